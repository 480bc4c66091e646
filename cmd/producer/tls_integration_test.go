//go:build integration

package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"ticket-processor/internal/kafkatest"
)

// TestProducerTLS proves the KAFKA_TLS_* settings against a real broker's
// SSL listener: trusting the broker's CA (by its IP address, or by the
// name KAFKA_TLS_SERVER_NAME gives) the producer delivers every ticket;
// without the CA, or expecting another name, it refuses the broker, stays
// unready and says why. One private broker serves every case.
func TestProducerTLS(t *testing.T) {
	broker := kafkatest.StartTLSBroker(t)
	bin := kafkatest.Build(t, binary)

	t.Run("delivers", func(t *testing.T) {
		tests := []struct {
			name string
			env  []string
		}{
			{"CA file", []string{"KAFKA_TLS_CA_FILE=" + broker.CAFile}},
			{"server name", []string{"KAFKA_TLS_CA_FILE=" + broker.CAFile, "KAFKA_TLS_SERVER_NAME=" + kafkatest.TLSServerName}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				topic := kafkatest.Name("it-tls")
				p := kafkatest.Start(t, bin, append([]string{
					"KAFKA_BROKERS=" + broker.TLSAddr, "KAFKA_TOPIC=" + topic, "KAFKA_TLS_ENABLED=true",
					"RATE=0", "ORDERS=10", "MAX_TICKETS=50", "TOPIC_PARTITIONS=6",
				}, tt.env...))
				require.Equal(t, 0, p.Wait(t, time.Minute), "producer exit status")

				records := kafkatest.ReadAllFrom(t, broker.Addr, topic, 50, 30*time.Second)
				require.Len(t, records, 50, "every ticket arrives, none twice")
				requireOrdered(t, records, 6)
			})
		}
	})
	t.Run("refuses", func(t *testing.T) {
		tests := []struct {
			name    string
			env     []string
			wantLog string
		}{
			{"unknown CA", nil, "x509: certificate signed by unknown authority"},
			{"other name", []string{"KAFKA_TLS_CA_FILE=" + broker.CAFile, "KAFKA_TLS_SERVER_NAME=other.example"},
				"not other.example"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				p := kafkatest.Start(t, bin, append([]string{
					"KAFKA_BROKERS=" + broker.TLSAddr, "KAFKA_TOPIC=" + kafkatest.Name("it-tls-refused"),
					"KAFKA_TLS_ENABLED=true", "RATE=0", "MAX_TICKETS=50",
				}, tt.env...))
				assert.Equal(t, 1, p.Wait(t, time.Minute), "a rejected broker stops the producer")
				assert.Contains(t, p.Stdout(), tt.wantLog, "the log says why the broker is refused")
				assert.Contains(t, p.Stdout(), "check the KAFKA_SASL_* and KAFKA_TLS_* settings")
			})
		}
	})
}
