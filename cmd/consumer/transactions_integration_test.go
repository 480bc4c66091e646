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
	"ticket-processor/internal/metrics"
	"ticket-processor/internal/models"
)

// TestExactlyOnceUnderMemberFaults runs two exactly-once members while
// tickets arrive and hits one of them mid-run. A read_committed reader
// must then find every ticket in the output exactly once, each order in
// sequence: a member stopped with SIGTERM commits its last transaction
// before its partitions move, a SIGKILLed member's is aborted, and a member
// frozen past its session timeout (a zombie) is fenced when it wakes, by
// the group generation its transaction carries.
func TestExactlyOnceUnderMemberFaults(t *testing.T) {
	tests := []struct {
		name  string
		fault func(t *testing.T, victim, survivor *kafkatest.Process)
	}{
		{"SIGTERM", func(t *testing.T, victim, _ *kafkatest.Process) {
			// Both members' partitions are revoked; each commits its
			// session's last transaction before they move.
			require.NoError(t, victim.Cmd.Process.Signal(syscall.SIGTERM))
			require.Equal(t, 0, victim.Wait(t, 40*time.Second), "graceful exit")
		}},
		{"SIGKILL", func(t *testing.T, victim, _ *kafkatest.Process) {
			require.NoError(t, victim.Cmd.Process.Signal(syscall.SIGKILL))
			victim.Wait(t, 10*time.Second)
		}},
		{"zombie", func(t *testing.T, victim, survivor *kafkatest.Process) {
			require.NoError(t, victim.Cmd.Process.Signal(syscall.SIGSTOP))
			// The session times out and the survivor takes every partition.
			require.Eventually(t, func() bool {
				return kafkatest.MetricSum(survivor.URL("/metrics"), metrics.ConsumerAssignedPartitions, nil) == 6
			}, time.Minute, 100*time.Millisecond, "the survivor takes the frozen member's partitions")
			require.NoError(t, victim.Cmd.Process.Signal(syscall.SIGCONT))
			// Awake, the zombie still holds the transaction it had open;
			// committing it with its old generation is refused, and it
			// aborts.
			require.Eventually(t, func() bool {
				return kafkatest.MetricSum(victim.URL("/metrics"), metrics.ConsumerTransactionsAbortedTotal, nil) > 0
			}, time.Minute, 100*time.Millisecond, "the zombie's transaction is aborted")
			t.Logf("zombie: %.0f transactions aborted, %.0f producers fenced",
				kafkatest.MetricSum(victim.URL("/metrics"), metrics.ConsumerTransactionsAbortedTotal, nil),
				kafkatest.MetricSum(victim.URL("/metrics"), metrics.ConsumerProducersFencedTotal, nil))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const total = 8000
			brokers := strings.Join(kafkatest.Brokers(t), ",")
			in, out, dead, group := kafkatest.Name("it-in"), kafkatest.Name("it-out"), kafkatest.Name("it-dlq"), kafkatest.Name("it-group")
			producer := kafkatest.Start(t, kafkatest.Build(t, producerBinary), []string{
				"KAFKA_BROKERS=" + brokers, "KAFKA_TOPIC=" + in, "RATE=400", "ORDERS=100",
				fmt.Sprintf("MAX_TICKETS=%d", total), "LOG_LEVEL=warn",
			})
			env := []string{
				"KAFKA_BROKERS=" + brokers, "KAFKA_TOPIC=" + in, "OUTPUT_TOPIC=" + out, "DLQ_TOPIC=" + dead,
				"GROUP_ID=" + group, "WORKERS=8", "SHUTDOWN_TIMEOUT=30s", "PROCESSING_GUARANTEE=exactly_once",
				"TRANSACTIONAL_ID_PREFIX=" + kafkatest.Name("it-txn"),
			}
			bin := kafkatest.Build(t, consumerBinary)
			victim := kafkatest.Start(t, bin, env)
			survivor := kafkatest.Start(t, bin, env)
			kafkatest.WaitStatus(t, victim.URL("/readyz"), 200, 60*time.Second)
			kafkatest.WaitStatus(t, survivor.URL("/readyz"), 200, 60*time.Second)

			kafkatest.ReadAll(t, out, total/5, 2*time.Minute) // mid-run
			tt.fault(t, victim, survivor)

			require.Equal(t, 0, producer.Wait(t, 2*time.Minute))
			require.Eventually(t, func() bool { return committedAtEnd(t, group, in) }, 2*time.Minute, 250*time.Millisecond,
				"the group commits every partition to its end")
			records := kafkatest.ReadToEnd(t, out)

			seen := map[string]int{}
			last := map[string]uint64{}
			for _, r := range records {
				p, err := models.DecodeProcessed(r.Value)
				require.NoError(t, err)
				seen[p.TicketID]++
				require.Greater(t, p.Sequence, last[p.OrderID], "order %s stays in order", p.OrderID)
				last[p.OrderID] = p.Sequence
			}
			assert.Len(t, seen, total, "no ticket lost")
			assert.Len(t, records, total, "no ticket twice for a read_committed reader")
			assert.Empty(t, kafkatest.ReadToEnd(t, dead))
		})
	}
}

// TestExactlyOnceRidesOutBrokerOutage stops the broker of an exactly-once
// consumer with a backlog to go. The open transaction fails and is
// aborted, and the member rejoins, with a backoff, until the broker is
// back; then every ticket is in the output exactly once, in sequence, and
// nothing is dead-lettered for the outage.
func TestExactlyOnceRidesOutBrokerOutage(t *testing.T) {
	const total = 10000
	broker := kafkatest.StartBroker(t) // its own, so that stopping it disturbs no other test
	in, out, dead, group := kafkatest.Name("it-in"), kafkatest.Name("it-out"), kafkatest.Name("it-dlq"), kafkatest.Name("it-group")
	producer := kafkatest.Start(t, kafkatest.Build(t, producerBinary), []string{
		"KAFKA_BROKERS=" + broker.Addr, "KAFKA_TOPIC=" + in, "TOPIC_PARTITIONS=3", "RATE=0", "ORDERS=50",
		fmt.Sprintf("MAX_TICKETS=%d", total), "LOG_LEVEL=warn",
	})
	require.Equal(t, 0, producer.Wait(t, time.Minute), "the producer delivers every ticket")
	consumer := kafkatest.Start(t, kafkatest.Build(t, consumerBinary), []string{
		"KAFKA_BROKERS=" + broker.Addr, "KAFKA_TOPIC=" + in, "OUTPUT_TOPIC=" + out, "DLQ_TOPIC=" + dead,
		"GROUP_ID=" + group, "WORKERS=1", "SHUTDOWN_TIMEOUT=30s", "PROCESSING_GUARANTEE=exactly_once",
		// A short window, so that the backlog outlasts the stop.
		"MAX_IN_FLIGHT=50",
	})
	kafkatest.ReadAllFrom(t, broker.Addr, out, 200, time.Minute) // under way

	broker.Stop(t)
	require.Eventually(t, func() bool {
		return kafkatest.MetricSum(consumer.URL("/metrics"), metrics.ConsumerTransactionsAbortedTotal, nil) > 0
	}, time.Minute, 100*time.Millisecond, "the open transaction fails and is aborted")
	broker.Start(t)

	client, err := sarama.NewClient([]string{broker.Addr}, kafkatest.Config())
	require.NoError(t, err)
	defer client.Close()
	require.Eventually(t, func() bool { return committedAtEndOn(t, client, group, in) }, 2*time.Minute, 250*time.Millisecond,
		"the consumer commits every partition to its end")
	t.Logf("aborted transactions: %.0f", kafkatest.MetricSum(consumer.URL("/metrics"), metrics.ConsumerTransactionsAbortedTotal, nil))
	require.NoError(t, consumer.Cmd.Process.Signal(syscall.SIGTERM))
	require.Equal(t, 0, consumer.Wait(t, 40*time.Second), "graceful exit")

	records := kafkatest.ReadAllFrom(t, broker.Addr, out, total, 30*time.Second)
	seen := map[string]int{}
	last := map[string]uint64{}
	for _, r := range records {
		p, err := models.DecodeProcessed(r.Value)
		require.NoError(t, err)
		seen[p.TicketID]++
		require.Equal(t, last[p.OrderID]+1, p.Sequence, "order %s: the ticket after sequence %d", p.OrderID, last[p.OrderID])
		last[p.OrderID] = p.Sequence
	}
	assert.Len(t, seen, total, "every ticket processed")
	assert.Len(t, records, total, "none twice for a read_committed reader")
	assert.Empty(t, kafkatest.ReadAllFrom(t, broker.Addr, dead, 0, 30*time.Second), "nothing dead-lettered for an outage")
}
