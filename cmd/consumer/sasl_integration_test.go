//go:build integration

package main

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"ticket-processor/internal/kafkatest"
	"ticket-processor/internal/models"
)

// TestConsumerSASL runs the whole pipeline over a SASL listener with
// SCRAM-SHA-512: the group joins, fetches, commits and publishes through
// it. With a wrong password the consumer stops with status 1 and never
// prints the password.
func TestConsumerSASL(t *testing.T) {
	const (
		user     = "ticket-consumer"
		password = "c0nsumer-Pa55word"
		wrong    = "not-the-Pa55word"
		total    = 300
	)
	broker := kafkatest.StartSASLBroker(t, user, password)
	sasl := []string{"KAFKA_BROKERS=" + broker.SASLAddr, "KAFKA_SASL_MECHANISM=SCRAM-SHA-512", "KAFKA_SASL_USERNAME=" + user}
	in, out, dead, group := kafkatest.Name("it-in"), kafkatest.Name("it-out"), kafkatest.Name("it-dlq"), kafkatest.Name("it-group")

	t.Run("processes every ticket", func(t *testing.T) {
		producer := kafkatest.Start(t, kafkatest.Build(t, producerBinary), append([]string{
			"KAFKA_TOPIC=" + in, "KAFKA_SASL_PASSWORD=" + password, "RATE=0", "ORDERS=20", fmt.Sprintf("MAX_TICKETS=%d", total), "LOG_LEVEL=warn",
		}, sasl...))
		require.Equal(t, 0, producer.Wait(t, time.Minute), "producer exit status")

		consumer := kafkatest.Start(t, kafkatest.Build(t, consumerBinary), append([]string{
			"KAFKA_TOPIC=" + in, "OUTPUT_TOPIC=" + out, "DLQ_TOPIC=" + dead, "GROUP_ID=" + group,
			"KAFKA_SASL_PASSWORD=" + password,
		}, sasl...))
		client, err := sarama.NewClient([]string{broker.Addr}, kafkatest.Config())
		require.NoError(t, err)
		defer client.Close()
		require.Eventually(t, func() bool { return committedAtEndOn(t, client, group, in) }, time.Minute, 250*time.Millisecond,
			"the consumer commits every partition to its end over SASL")
		require.NoError(t, consumer.Cmd.Process.Signal(syscall.SIGTERM))
		require.Equal(t, 0, consumer.Wait(t, 30*time.Second), "graceful exit")

		records := kafkatest.ReadAllFrom(t, broker.Addr, out, total, 30*time.Second)
		seen := map[string]bool{}
		for _, r := range records {
			p, err := models.DecodeProcessed(r.Value)
			require.NoError(t, err)
			seen[p.TicketID] = true
		}
		assert.Len(t, seen, total, "every ticket processed")
		assert.NotContains(t, consumer.Stdout()+consumer.Stderr(), password, "the password is never printed")
	})

	t.Run("wrong password", func(t *testing.T) {
		consumer := kafkatest.Start(t, kafkatest.Build(t, consumerBinary), append([]string{
			"KAFKA_TOPIC=" + in, "OUTPUT_TOPIC=" + out, "DLQ_TOPIC=" + dead, "GROUP_ID=" + group,
			"KAFKA_SASL_PASSWORD=" + wrong,
		}, sasl...))
		assert.Equal(t, 1, consumer.Wait(t, time.Minute), "a rejected client stops by itself")
		logs := consumer.Stdout() + consumer.Stderr()
		assert.Contains(t, logs, "SASL Authentication failed")
		assert.False(t, strings.Contains(logs, wrong) || strings.Contains(logs, password), "no password is printed")
	})
}
