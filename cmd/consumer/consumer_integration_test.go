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

const (
	consumerBinary = "ticket-processor/cmd/consumer"
	producerBinary = "ticket-processor/cmd/producer"
)

// committedAtEnd reports whether group has committed the end offset of
// every partition of topic.
func committedAtEnd(t *testing.T, group, topic string) bool {
	t.Helper()
	return committedAtEndOn(t, kafkatest.Client(t), group, topic)
}

// committedAtEndOn is committedAtEnd through client.
func committedAtEndOn(t *testing.T, client sarama.Client, group, topic string) bool {
	t.Helper()
	admin, err := sarama.NewClusterAdminFromClient(client)
	require.NoError(t, err)
	partitions, err := client.Partitions(topic)
	require.NoError(t, err)
	resp, err := admin.ListConsumerGroupOffsets(group, map[string][]int32{topic: partitions})
	if err != nil {
		return false
	}
	for _, p := range partitions {
		end, err := client.GetOffset(topic, p, sarama.OffsetNewest)
		if err != nil {
			return false
		}
		if b := resp.GetBlock(topic, p); b == nil || b.Offset != end {
			return false
		}
	}
	return true
}

// TestGroupMemberStopped runs two consumers in one group while tickets
// arrive, stops one of them mid-run, and checks that the other takes over
// its partitions without losing a ticket.
func TestGroupMemberStopped(t *testing.T) {
	tests := []struct {
		name   string
		signal syscall.Signal
		// graceful: after a SIGTERM the stopped member finishes and commits
		// what it took, so no ticket is processed twice.
		graceful bool
	}{
		{"SIGTERM", syscall.SIGTERM, true},
		{"SIGKILL", syscall.SIGKILL, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const total = 4000
			brokers := strings.Join(kafkatest.Brokers(t), ",")
			in, out, dead, group := kafkatest.Name("it-in"), kafkatest.Name("it-out"), kafkatest.Name("it-dlq"), kafkatest.Name("it-group")
			producer := kafkatest.Start(t, kafkatest.Build(t, producerBinary), []string{
				"KAFKA_BROKERS=" + brokers, "KAFKA_TOPIC=" + in, "RATE=400", "ORDERS=100",
				fmt.Sprintf("MAX_TICKETS=%d", total), "LOG_LEVEL=warn",
			})
			env := []string{
				"KAFKA_BROKERS=" + brokers, "KAFKA_TOPIC=" + in, "OUTPUT_TOPIC=" + out, "DLQ_TOPIC=" + dead,
				"GROUP_ID=" + group, "WORKERS=8", "SHUTDOWN_TIMEOUT=30s",
				// The exactly-once variant is TestExactlyOnceUnderMemberFaults.
				"PROCESSING_GUARANTEE=at_least_once",
			}
			bin := kafkatest.Build(t, consumerBinary)
			stopped := kafkatest.Start(t, bin, env)
			survivor := kafkatest.Start(t, bin, env)
			kafkatest.WaitStatus(t, stopped.URL("/readyz"), 200, 60*time.Second)
			kafkatest.WaitStatus(t, survivor.URL("/readyz"), 200, 60*time.Second)

			kafkatest.ReadAll(t, out, total/3, 2*time.Minute) // mid-run
			require.NoError(t, stopped.Cmd.Process.Signal(tt.signal))
			status := stopped.Wait(t, 40*time.Second)
			if tt.graceful {
				require.Equal(t, 0, status, "graceful exit")
			}

			require.Equal(t, 0, producer.Wait(t, 2*time.Minute))
			require.Eventually(t, func() bool { return committedAtEnd(t, group, in) }, 2*time.Minute, 250*time.Millisecond,
				"the survivor commits every partition to its end")
			records := kafkatest.ReadToEnd(t, out)
			require.Equal(t, 200, kafkatest.Status(survivor.URL("/readyz")), "the survivor is still a member")

			seen := map[string]int{}
			last := map[string]uint64{}
			for _, r := range records {
				p, err := models.DecodeProcessed(r.Value)
				require.NoError(t, err)
				seen[p.TicketID]++
				if tt.graceful {
					require.Greater(t, p.Sequence, last[p.OrderID], "order %s stays in order across the handover", p.OrderID)
				}
				last[p.OrderID] = p.Sequence
			}
			assert.Len(t, seen, total, "no ticket lost")
			if tt.graceful {
				assert.Len(t, records, total, "no ticket processed twice after a SIGTERM")
			} else {
				t.Logf("after SIGKILL: %d outputs for %d tickets (%d reprocessed)", len(records), total, len(records)-total)
			}
			assert.Empty(t, kafkatest.ReadToEnd(t, dead))
		})
	}
}

func TestRestartAfterGracefulStopProcessesNothingTwice(t *testing.T) {
	const total = 3000
	brokers := strings.Join(kafkatest.Brokers(t), ",")
	in, out, dead, group := kafkatest.Name("it-in"), kafkatest.Name("it-out"), kafkatest.Name("it-dlq"), kafkatest.Name("it-group")
	// Tickets keep arriving while the consumer is stopped and restarted.
	producer := kafkatest.Start(t, kafkatest.Build(t, producerBinary), []string{
		"KAFKA_BROKERS=" + brokers, "KAFKA_TOPIC=" + in, "RATE=500", "ORDERS=50",
		fmt.Sprintf("MAX_TICKETS=%d", total), "LOG_LEVEL=warn",
	})
	env := []string{
		"KAFKA_BROKERS=" + brokers, "KAFKA_TOPIC=" + in, "OUTPUT_TOPIC=" + out, "DLQ_TOPIC=" + dead, "GROUP_ID=" + group,
	}
	bin := kafkatest.Build(t, consumerBinary)

	first := kafkatest.Start(t, bin, env)
	kafkatest.ReadAll(t, out, 500, time.Minute)
	require.NoError(t, first.Cmd.Process.Signal(syscall.SIGTERM))
	require.Equal(t, 0, first.Wait(t, 30*time.Second))

	second := kafkatest.Start(t, bin, env)
	// Signal it only once it is running: a signal during start-up, before
	// the handler is installed, kills any process.
	kafkatest.WaitStatus(t, second.URL("/readyz"), 200, time.Minute)
	require.Equal(t, 0, producer.Wait(t, time.Minute))
	require.Eventually(t, func() bool { return committedAtEnd(t, group, in) }, time.Minute, 250*time.Millisecond)
	require.NoError(t, second.Cmd.Process.Signal(syscall.SIGTERM))
	require.Equal(t, 0, second.Wait(t, 30*time.Second))

	records := kafkatest.ReadToEnd(t, out)
	seen := map[string]bool{}
	for _, r := range records {
		p, err := models.DecodeProcessed(r.Value)
		require.NoError(t, err)
		require.False(t, seen[p.TicketID], "ticket %s processed twice", p.TicketID)
		seen[p.TicketID] = true
	}
	assert.Len(t, records, total)
}

// TestConsumerRidesOutBrokerOutage stops the broker while the consumer
// works through a backlog, and keeps it away until one ticket's publish has
// failed more often than the ticket has attempts. A broker that is away is
// not the tickets' fault: none may be lost, dead-lettered or put out of
// order because of it. One partition and one worker make "one ticket"
// exact: the failures can only be the one ticket in flight.
func TestConsumerRidesOutBrokerOutage(t *testing.T) {
	const (
		total    = 10000
		retryMax = 3
	)
	broker := kafkatest.StartBroker(t) // its own, so that stopping it disturbs no other test
	in, out, dead, group := kafkatest.Name("it-in"), kafkatest.Name("it-out"), kafkatest.Name("it-dlq"), kafkatest.Name("it-group")
	producer := kafkatest.Start(t, kafkatest.Build(t, producerBinary), []string{
		"KAFKA_BROKERS=" + broker.Addr, "KAFKA_TOPIC=" + in, "TOPIC_PARTITIONS=1", "RATE=0", "ORDERS=50",
		fmt.Sprintf("MAX_TICKETS=%d", total), "LOG_LEVEL=warn",
	})
	require.Equal(t, 0, producer.Wait(t, time.Minute), "the producer delivers every ticket")
	consumer := kafkatest.Start(t, kafkatest.Build(t, consumerBinary), []string{
		"KAFKA_BROKERS=" + broker.Addr, "KAFKA_TOPIC=" + in, "OUTPUT_TOPIC=" + out, "DLQ_TOPIC=" + dead,
		"GROUP_ID=" + group, "WORKERS=1", fmt.Sprintf("RETRY_MAX=%d", retryMax), "SHUTDOWN_TIMEOUT=30s",
		// Waiting out an outage without spending attempts is the
		// at-least-once path; exactly once, a failed write aborts the
		// transaction instead.
		"PROCESSING_GUARANTEE=at_least_once",
	})
	kafkatest.ReadAllFrom(t, broker.Addr, out, 200, time.Minute) // under way, with a backlog to go

	broker.Stop(t)
	require.Eventually(t, func() bool {
		// Output and dead-letter writes alike: before an outage stopped
		// counting as attempts, the ticket's failures went on as failed
		// dead-letter writes once its attempts were spent.
		return kafkatest.MetricSum(consumer.URL("/metrics"), "ticket_processor_consumer_publish_errors_total", nil) > retryMax
	}, time.Minute, 100*time.Millisecond, "the ticket in flight fails more often than it has attempts")
	broker.Start(t)

	client, err := sarama.NewClient([]string{broker.Addr}, kafkatest.Config())
	require.NoError(t, err)
	defer client.Close()
	require.Eventually(t, func() bool { return committedAtEndOn(t, client, group, in) }, 2*time.Minute, 250*time.Millisecond,
		"the consumer commits every partition to its end")
	require.NoError(t, consumer.Cmd.Process.Signal(syscall.SIGTERM))
	require.Equal(t, 0, consumer.Wait(t, 40*time.Second), "graceful exit")

	records := kafkatest.ReadAllFrom(t, broker.Addr, out, total, 30*time.Second)
	seen := map[string]bool{}
	last := map[string]uint64{}
	for _, r := range records {
		p, err := models.DecodeProcessed(r.Value)
		require.NoError(t, err)
		// The output is at-least-once: a ticket may appear twice, but each
		// order's tickets come in sequence, without a gap.
		if seen[p.TicketID] {
			continue
		}
		require.Equal(t, last[p.OrderID]+1, p.Sequence, "order %s: the ticket after sequence %d", p.OrderID, last[p.OrderID])
		seen[p.TicketID], last[p.OrderID] = true, p.Sequence
	}
	assert.Len(t, seen, total, "every ticket processed")
	t.Logf("%d outputs for %d tickets", len(records), total)
	assert.Empty(t, kafkatest.ReadAllFrom(t, broker.Addr, dead, 0, 30*time.Second), "nothing dead-lettered for an outage")
}
