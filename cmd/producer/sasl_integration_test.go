//go:build integration

package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"ticket-processor/internal/kafkatest"
)

// TestProducerSASL proves the KAFKA_SASL_* settings against a real broker:
// with each mechanism the producer creates its topic and delivers every
// ticket over the SASL listener, and with a wrong password it stops with
// status 1, says authentication failed and never prints
// the password. One private broker serves every case.
func TestProducerSASL(t *testing.T) {
	const (
		user     = "ticket-producer"
		password = "s3cret-Pa55word"
		wrong    = "not-the-Pa55word"
	)
	broker := kafkatest.StartSASLBroker(t, user, password)
	bin := kafkatest.Build(t, binary)
	passwordFile := filepath.Join(t.TempDir(), "password")
	// A trailing newline, as editors and `echo` leave one; the loader trims it.
	require.NoError(t, os.WriteFile(passwordFile, []byte(password+"\n"), 0o600))
	wrongFile := filepath.Join(t.TempDir(), "wrong-password")
	require.NoError(t, os.WriteFile(wrongFile, []byte(wrong), 0o600))

	tests := []struct {
		mechanism string
		password  string // the env entry that carries the password
	}{
		{"PLAIN", "KAFKA_SASL_PASSWORD_FILE=" + passwordFile},
		{"SCRAM-SHA-256", "KAFKA_SASL_PASSWORD=" + password},
		{"SCRAM-SHA-512", "KAFKA_SASL_PASSWORD_FILE=" + passwordFile},
	}
	for _, tt := range tests {
		t.Run(tt.mechanism+"/delivers", func(t *testing.T) {
			topic := kafkatest.Name("it-sasl")
			p := kafkatest.Start(t, bin, []string{
				"KAFKA_BROKERS=" + broker.SASLAddr, "KAFKA_TOPIC=" + topic,
				"KAFKA_SASL_MECHANISM=" + tt.mechanism, "KAFKA_SASL_USERNAME=" + user, tt.password,
				"RATE=0", "ORDERS=10", "MAX_TICKETS=50", "TOPIC_PARTITIONS=6",
			})
			require.Equal(t, 0, p.Wait(t, time.Minute), "producer exit status")

			records := kafkatest.ReadAllFrom(t, broker.Addr, topic, 50, 30*time.Second)
			require.Len(t, records, 50, "every ticket arrives, none twice")
			requireOrdered(t, records, 6)
			assert.NotContains(t, p.Stdout()+p.Stderr(), password, "the password is never printed")
		})
	}
	// The negative cases run side by side: each spends a few seconds on
	// sarama's metadata retries before it first reports the failure.
	t.Run("wrong password", func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.mechanism, func(t *testing.T) {
				t.Parallel()
				p := kafkatest.Start(t, bin, []string{
					"KAFKA_BROKERS=" + broker.SASLAddr, "KAFKA_TOPIC=" + kafkatest.Name("it-sasl-denied"),
					"KAFKA_SASL_MECHANISM=" + tt.mechanism, "KAFKA_SASL_USERNAME=" + user,
					"KAFKA_SASL_PASSWORD_FILE=" + wrongFile, "RATE=0", "MAX_TICKETS=50",
				})
				// A rejected client stops by itself with a runtime failure
				// that says what to check, rather than retrying for ever.
				assert.Equal(t, 1, p.Wait(t, time.Minute), "exit status")
				assert.Contains(t, p.Stdout(), "SASL Authentication failed")
				assert.Contains(t, p.Stdout(), "check the KAFKA_SASL_* and KAFKA_TLS_* settings")
				assert.NotContains(t, p.Stdout(), "Kafka not reachable; retrying")
				out := p.Stdout() + p.Stderr()
				assert.NotContains(t, out, wrong, "the password is never printed")
				assert.NotContains(t, out, password)
			})
		}
	})
}
