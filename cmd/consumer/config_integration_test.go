//go:build integration

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"ticket-processor/internal/kafkatest"
)

// TestInvalidConfigurationExitsWithStatus2 starts the consumer with each
// bad setting next to a reachable broker and topics of its own, so that
// a setting the consumer wrongly accepted would leave it running: it must
// exit at once with status 2 and a line naming the variable.
func TestInvalidConfigurationExitsWithStatus2(t *testing.T) {
	bin := kafkatest.Build(t, consumerBinary)
	notACert := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(notACert, []byte("no certificate in here\n"), 0o600))
	tests := []struct {
		name string
		env  []string
		want string
	}{
		{"dead letters into the output topic", []string{"OUTPUT_TOPIC=cfg.same", "DLQ_TOPIC=cfg.same"},
			`DLQ_TOPIC="cfg.same": must differ from OUTPUT_TOPIC`},
		{"reading the output topic", []string{"KAFKA_TOPIC=cfg.loop", "OUTPUT_TOPIC=cfg.loop"},
			`KAFKA_TOPIC="cfg.loop": must differ from OUTPUT_TOPIC and DLQ_TOPIC`},
		{"reading the dead-letter topic", []string{"KAFKA_TOPIC=cfg.loop", "DLQ_TOPIC=cfg.loop"},
			`KAFKA_TOPIC="cfg.loop": must differ from OUTPUT_TOPIC and DLQ_TOPIC`},
		{"space in a broker host", []string{"KAFKA_BROKERS=a b:1"},
			`KAFKA_BROKERS entry "a b:1": want a host name`},
		{"control character in the client id", []string{"KAFKA_CLIENT_ID=consumer\x01one"},
			`KAFKA_CLIENT_ID="consumer\x01one": must hold only printable characters`},
		{"control character in the group id", []string{"GROUP_ID=group\x1b[2J"},
			`GROUP_ID="group\x1b[2J": must hold only printable characters`},
		{"space in the TLS server name", []string{"KAFKA_TLS_ENABLED=true", "KAFKA_TLS_SERVER_NAME=x y"},
			`KAFKA_TLS_SERVER_NAME="x y": want a host name`},
		{"TLS server name without TLS", []string{"KAFKA_TLS_SERVER_NAME=broker.example"},
			`KAFKA_TLS_SERVER_NAME="broker.example": set KAFKA_TLS_ENABLED=true`},
		{"version above the client's newest", []string{"KAFKA_VERSION=99.0.0"},
			`KAFKA_VERSION="99.0.0": want at most`},
		{"fewer in flight than workers", []string{"WORKERS=8", "MAX_IN_FLIGHT=4"},
			"MAX_IN_FLIGHT=4: must be >= WORKERS (8)"},
		{"CA file without a certificate", []string{"KAFKA_TLS_ENABLED=true", "KAFKA_TLS_CA_FILE=" + notACert},
			`KAFKA_TLS_CA_FILE="` + notACert + `": holds no PEM certificate`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := []string{
				"KAFKA_BROKERS=" + strings.Join(kafkatest.Brokers(t), ","),
				"KAFKA_TOPIC=" + kafkatest.Name("cfg-in"), "OUTPUT_TOPIC=" + kafkatest.Name("cfg-out"),
				"DLQ_TOPIC=" + kafkatest.Name("cfg-dlq"), "GROUP_ID=" + kafkatest.Name("cfg-group"),
			}
			p := kafkatest.Start(t, bin, append(env, tt.env...)) // a later entry wins

			require.Equal(t, 2, p.Wait(t, 10*time.Second))
			assert.Contains(t, p.Stderr(), "consumer: invalid configuration:")
			assert.Contains(t, p.Stderr(), tt.want)
			assert.Empty(t, p.Stdout(), "nothing starts")
		})
	}
}
