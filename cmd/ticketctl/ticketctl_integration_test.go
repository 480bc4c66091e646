//go:build integration

package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"ticket-processor/internal/dlq"
	"ticket-processor/internal/failure"
	"ticket-processor/internal/kafka"
	"ticket-processor/internal/kafkatest"
)

// ctl runs ticketctl in-process against the test broker and returns its
// exit status, stdout and stderr.
func ctl(t *testing.T, args ...string) (status int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	args = append(args, "--brokers", strings.Join(kafkatest.Brokers(t), ","), "--idle-timeout", "20s")
	status = start(args, env(map[string]string{"KAFKA_DIAL_TIMEOUT": "5s"}), &out, &errOut)
	return status, out.String(), errOut.String()
}

// seedDLQ writes dead-letter records for tickets of topic (4 partitions)
// to dlqTopic: order-1 to order-4 with various reasons, order-5 already
// replayed three times, and one record that is not a dead-letter record.
func seedDLQ(t *testing.T, dlqTopic, topic string) {
	t.Helper()
	now := time.Now().UTC()
	type seed struct {
		order   string
		reason  failure.Reason
		class   string
		replays string
		value   []byte
	}
	seeds := []seed{
		{"order-1", failure.Malformed, dlq.ClassPermanent, "", []byte(`{"order_id":"order-1"`)},
		{"order-2", failure.RetriesExhausted, dlq.ClassTransient, "", []byte(`{"order_id":"order-2"}`)},
		{"order-3", failure.InvalidField, dlq.ClassPermanent, "1", []byte{0xff, 0xfe, 0x00}},
		{"order-4", failure.Malformed, dlq.ClassPermanent, "", []byte(`not json`)},
		{"order-5", failure.Malformed, dlq.ClassPermanent, "3", []byte(`{}`)},
	}
	var msgs []*sarama.ProducerMessage
	for i, s := range seeds {
		headers := []*sarama.RecordHeader{{Key: []byte("trace-id"), Value: []byte("trace-" + s.order)}}
		if s.replays != "" {
			headers = append(headers, &sarama.RecordHeader{Key: []byte(dlq.HeaderReplayCount), Value: []byte(s.replays)})
		}
		original := &sarama.ConsumerMessage{
			Topic: topic, Partition: kafka.PartitionFor([]byte(s.order), 4), Offset: int64(100 * (i + 1)),
			Timestamp: now.Add(-time.Hour), Key: []byte(s.order), Value: s.value, Headers: headers,
		}
		msgs = append(msgs, dlq.NewRecord(dlqTopic, "it-group", original, dlq.Failure{
			Class: s.class, Reason: s.reason, Message: "failed: " + string(s.reason), Attempts: 2,
			FirstFailure: now.Add(-time.Minute), LastFailure: now,
		}, now))
	}
	msgs = append(msgs, &sarama.ProducerMessage{Topic: dlqTopic, Key: sarama.StringEncoder("stray"), Value: sarama.StringEncoder("x")})
	kafkatest.Produce(t, msgs...)
}

func TestListAndReplay(t *testing.T) {
	dlqTopic := kafkatest.CreateTopic(t, "it-ticketctl-dlq", 3, nil)
	topic := kafkatest.CreateTopic(t, "it-ticketctl-tickets", 4, nil)
	seedDLQ(t, dlqTopic, topic)

	t.Run("list", func(t *testing.T) {
		status, stdout, stderr := ctl(t, "dlq", "list", "--dlq-topic", dlqTopic, "--output", "json")

		require.Equal(t, 0, status, stderr)
		var orders []string
		for _, line := range strings.Split(strings.TrimRight(stdout, "\n"), "\n") {
			var e struct {
				Key           string `json:"key"`
				OriginalTopic string `json:"original_topic"`
				ErrorReason   string `json:"error_reason"`
				ConsumerGroup string `json:"consumer_group"`
				Attempts      int    `json:"attempts"`
			}
			require.NoError(t, json.Unmarshal([]byte(line), &e), line)
			assert.Equal(t, topic, e.OriginalTopic)
			assert.Equal(t, "it-group", e.ConsumerGroup)
			assert.Equal(t, 2, e.Attempts)
			orders = append(orders, e.Key)
		}
		assert.ElementsMatch(t, []string{"order-1", "order-2", "order-3", "order-4"}, orders, "order-5 was replayed 3 times")
		assert.Contains(t, stderr, "scanned 6 records of "+dlqTopic+": 1 invalid, 5 matched, 1 skipped for --max-replays, 4 listed")
		assert.Contains(t, stderr, "no dlq-* headers")
	})

	t.Run("list table with filters", func(t *testing.T) {
		status, stdout, stderr := ctl(t, "dlq", "list", "--dlq-topic", dlqTopic, "--reason", "malformed", "--max-replays", "0")

		require.Equal(t, 0, status, stderr)
		assert.Contains(t, stdout, "order-1")
		assert.Contains(t, stdout, "order-4")
		assert.Contains(t, stdout, "order-5")
		assert.NotContains(t, stdout, "order-2")
		assert.Contains(t, stderr, "3 matched, 0 skipped for --max-replays, 3 listed")
	})

	t.Run("dry run sends nothing", func(t *testing.T) {
		status, stdout, stderr := ctl(t, "dlq", "replay", "--dlq-topic", dlqTopic, "--dry-run")

		require.Equal(t, 0, status, stderr)
		assert.Equal(t, 4, strings.Count(stdout, "would replay "))
		assert.Contains(t, stderr, "4 would be replayed (dry run)")
		assert.Empty(t, kafkatest.ReadToEnd(t, topic))
	})

	t.Run("replay", func(t *testing.T) {
		status, stdout, stderr := ctl(t, "dlq", "replay", "--dlq-topic", dlqTopic, "--reason", "malformed,invalid_field", "--rate", "100")

		require.Equal(t, 0, status, stderr)
		assert.Equal(t, 3, strings.Count(stdout, "replayed "))
		assert.Contains(t, stderr, "4 matched, 1 skipped for --max-replays, 0 not replayable, 3 replayed")

		records := kafkatest.ReadAll(t, topic, 3, 30*time.Second)
		require.Len(t, records, 3)
		byOrder := map[string]*sarama.ConsumerMessage{}
		for _, r := range records {
			byOrder[string(r.Key)] = r
			assert.Equal(t, kafka.PartitionFor(r.Key, 4), r.Partition, "%s on its murmur2 partition", r.Key)
		}
		require.Contains(t, byOrder, "order-3")
		r := byOrder["order-3"]
		assert.Equal(t, []byte{0xff, 0xfe, 0x00}, r.Value, "value byte for byte")
		assert.Equal(t, 2, dlq.ReplayCount(r.Headers), "replayed once before, now twice")
		require.NotEmpty(t, r.Headers)
		assert.Equal(t, "trace-id", string(r.Headers[0].Key))
		assert.Equal(t, "trace-order-3", string(r.Headers[0].Value))
		assert.Equal(t, 1, dlq.ReplayCount(byOrder["order-1"].Headers))
		for _, h := range r.Headers {
			assert.Contains(t, []string{"trace-id", dlq.HeaderOriginalTopic, dlq.HeaderOriginalPartition,
				dlq.HeaderOriginalOffset, dlq.HeaderReplayCount, dlq.HeaderReplayedAt}, string(h.Key))
		}
		origin, ok := dlq.ReplayOrigin(r.Headers)
		require.True(t, ok, "a replay names the record it copies")
		assert.Equal(t, topic, origin.Topic)

		// The consumer fails on the replayed ticket again: the new
		// dead-letter record carries the replay count on.
		again := dlq.NewRecord(dlqTopic, "it-group", r, dlq.Failure{Class: dlq.ClassPermanent, Reason: failure.InvalidField}, time.Now())
		kafkatest.Produce(t, again)
		status, stdout, stderr = ctl(t, "dlq", "list", "--dlq-topic", dlqTopic, "--order", "order-3", "--output", "json", "--max-replays", "2")
		require.Equal(t, 0, status, stderr)
		assert.Equal(t, 1, strings.Count(stdout, "\n"), "the second dead-lettering is past --max-replays=2")
		assert.Contains(t, stdout, `"replay_count":1`)
		assert.Contains(t, stderr, "2 matched, 1 skipped for --max-replays, 1 listed")
	})

	t.Run("replay to another topic with a limit", func(t *testing.T) {
		other := kafkatest.CreateTopic(t, "it-ticketctl-retry", 2, nil)

		status, _, stderr := ctl(t, "dlq", "replay", "--dlq-topic", dlqTopic, "--to-topic", other, "--limit", "1")

		require.Equal(t, 0, status, stderr)
		assert.Contains(t, stderr, "1 replayed (stopped at --limit=1)")
		assert.Len(t, kafkatest.ReadAll(t, other, 1, 30*time.Second), 1)
	})

	t.Run("missing topic is a runtime failure", func(t *testing.T) {
		status, _, stderr := ctl(t, "dlq", "list", "--dlq-topic", kafkatest.Name("it-ticketctl-missing"))

		assert.Equal(t, 1, status)
		assert.Contains(t, stderr, "ticketctl: list partitions: ")
	})
}

// TestListLeavesOutAbortedDeadLetters writes dead letters the way an
// exactly-once consumer does, in transactions, and aborts one of them:
// ticketctl must list only the committed ones, and reach the topic's end
// although its last offsets are transaction markers.
func TestListLeavesOutAbortedDeadLetters(t *testing.T) {
	dlqTopic := kafkatest.CreateTopic(t, "it-ticketctl-txn-dlq", 1, nil)
	cfg := kafkatest.Config()
	cfg.Producer.Idempotent = true
	cfg.Net.MaxOpenRequests = 1
	cfg.Producer.Transaction.ID = kafkatest.Name("it-ticketctl-txn")
	sp, err := sarama.NewSyncProducer(kafkatest.Brokers(t), cfg)
	require.NoError(t, err)
	defer sp.Close()
	now := time.Now().UTC()
	deadLetter := func(order string) *sarama.ProducerMessage {
		original := &sarama.ConsumerMessage{Topic: "tickets", Partition: 0, Offset: 1, Timestamp: now,
			Key: []byte(order), Value: []byte(`{"order_id":"` + order + `"`)}
		return dlq.NewRecord(dlqTopic, "it-group", original, dlq.Failure{
			Class: dlq.ClassPermanent, Reason: failure.Malformed, Message: "failed", Attempts: 1,
			FirstFailure: now, LastFailure: now,
		}, now)
	}
	for _, txn := range []struct {
		order  string
		commit bool
	}{{"order-committed-1", true}, {"order-aborted", false}, {"order-committed-2", true}} {
		require.NoError(t, sp.BeginTxn())
		_, _, err := sp.SendMessage(deadLetter(txn.order))
		require.NoError(t, err)
		if txn.commit {
			require.NoError(t, sp.CommitTxn())
		} else {
			require.NoError(t, sp.AbortTxn())
		}
	}

	status, stdout, stderr := ctl(t, "dlq", "list", "--dlq-topic", dlqTopic, "--output", "json")

	require.Equal(t, 0, status, stderr)
	assert.Contains(t, stdout, "order-committed-1")
	assert.Contains(t, stdout, "order-committed-2")
	assert.NotContains(t, stdout, "order-aborted")
	assert.Contains(t, stderr, "scanned 2 records of "+dlqTopic)
}
