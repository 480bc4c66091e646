//go:build integration

package main

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

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
