package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/IBM/sarama/mocks"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"ticket-processor/internal/dlq"
	"ticket-processor/internal/failure"
	"ticket-processor/internal/kafkatest"
)

// sample is a small dead-letter topic: five entries, one of them replayed
// three times already, and one broken record.
func sample() []*sarama.ConsumerMessage {
	broken := deadRecord("order-x", 0, 1, failure.Other, 0, 3)
	broken.Headers = broken.Headers[:1] // only the ticket's own header is left
	return []*sarama.ConsumerMessage{
		deadRecord("order-1", 0, 100, failure.Malformed, 0, 0),
		deadRecord("order-2", 1, 200, failure.TooLarge, 0, 1),
		deadRecord("order-3", 0, 300, failure.Malformed, 3, 2),
		broken,
		deadRecord("order-4", 2, 400, failure.RetriesExhausted, 1, 4),
		deadRecord("order-5", 0, 500, failure.Malformed, 0, 5),
	}
}

// process runs the records through a processor for opts and returns
// stdout, stderr and the first error.
func process(t *testing.T, opts options, producer sarama.SyncProducer, records []*sarama.ConsumerMessage) (stdout, stderr string, err error) {
	t.Helper()
	if opts.dlqTopic == "" {
		opts.dlqTopic = "tickets.dlq"
	}
	var out, errOut bytes.Buffer
	p := newProcessor(opts, &out, &errOut, producer, func() time.Time { return replayAt })
	for _, r := range records {
		if err = p.visit(context.Background(), r); err != nil {
			break
		}
	}
	if errors.Is(err, errStop) {
		err = nil
	}
	require.NoError(t, p.finish())
	return out.String(), errOut.String(), err
}

func TestListTable(t *testing.T) {
	stdout, stderr, err := process(t, options{command: commandList, output: outputTable, filter: dlq.Filter{MaxReplays: 3}}, nil, sample())

	require.NoError(t, err)
	lines := strings.Split(strings.TrimRight(stdout, "\n"), "\n")
	require.Len(t, lines, 5)
	assert.Equal(t, []string{"DLQ", "ORIGINAL", "ORDER", "REASON", "CLASS", "ATTEMPTS", "REPLAYS", "DEAD-LETTERED", "MESSAGE"},
		strings.Fields(lines[0]))
	assert.Equal(t, []string{"0@0", "tickets/0@100", "order-1", "malformed", "permanent", "1", "0", "2025-06-01T07:00:05Z",
		"decode", "ticket:", "malformed"}, strings.Fields(lines[1]))
	assert.Contains(t, lines[3], "order-4")
	assert.Contains(t, lines[4], "order-5")
	assert.NotContains(t, stdout, "order-3", "replayed three times already")
	assert.Contains(t, stderr, "ticketctl: skipping: invalid dead-letter record tickets.dlq/0@3: no dlq-* headers\n")
	assert.Contains(t, stderr, "ticketctl: scanned 6 records of tickets.dlq: 1 invalid, 5 matched, 1 skipped for --max-replays, 4 listed\n")
}

func TestListJSON(t *testing.T) {
	records := []*sarama.ConsumerMessage{deadRecord("order-1", 0, 100, failure.Malformed, 2, 0)}
	binary := deadRecord("order-2", 0, 101, failure.Other, 0, 1)
	binary.Key, binary.Value = nil, []byte{0xff, 0x00}
	records = append(records, binary)

	stdout, _, err := process(t, options{command: commandList, output: outputJSON}, nil, records)

	require.NoError(t, err)
	lines := strings.Split(strings.TrimRight(stdout, "\n"), "\n")
	require.Len(t, lines, 2, "one JSON object per line")
	var first map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &first))
	assert.Equal(t, map[string]any{
		"dlq_topic": "tickets.dlq", "dlq_partition": 0.0, "dlq_offset": 0.0,
		"original_topic": "tickets", "original_partition": 0.0, "original_offset": 100.0,
		"original_timestamp": "2025-06-01T07:00:00Z",
		"error_class":        "permanent", "error_reason": "malformed", "error_message": "decode ticket: malformed",
		"attempts": 1.0, "first_failure": "2025-06-01T07:00:05Z", "last_failure": "2025-06-01T07:00:05Z",
		"consumer_group": "ticket-processor", "dead_lettered_at": "2025-06-01T07:00:05Z", "replay_count": 2.0,
		"key": "order-1", "value": `{"order_id":"order-1"}`,
		"headers": []any{map[string]any{"key": "trace-id", "value": "t-order-1"}},
	}, first)
	var second map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &second))
	assert.NotContains(t, second, "key", "a nil key has no key field")
	assert.NotContains(t, second, "value")
	assert.Equal(t, "/wA=", second["value_base64"])
}

func TestListFilterAndLimit(t *testing.T) {
	tests := []struct {
		name       string
		filter     dlq.Filter
		limit      int
		wantOrders []string
		wantSum    string
	}{
		{"no filter, no replay limit", dlq.Filter{}, 0, []string{"order-1", "order-2", "order-3", "order-4", "order-5"},
			"1 invalid, 5 matched, 0 skipped for --max-replays, 5 listed\n"},
		{"by reason", dlq.Filter{Reasons: []failure.Reason{failure.Malformed}, MaxReplays: 3}, 0, []string{"order-1", "order-5"},
			"1 invalid, 3 matched, 1 skipped for --max-replays, 2 listed\n"},
		{"by order", dlq.Filter{OrderID: "order-4", MaxReplays: 3}, 0, []string{"order-4"},
			"1 invalid, 1 matched, 0 skipped for --max-replays, 1 listed\n"},
		{"by partition and offsets", dlq.Filter{Partition: ptr[int32](0), FromOffset: ptr[int64](100), ToOffset: ptr[int64](300)}, 0,
			[]string{"order-1", "order-3"}, "1 invalid, 2 matched, 0 skipped for --max-replays, 2 listed\n"},
		{"limit stops the scan", dlq.Filter{MaxReplays: 3}, 2, []string{"order-1", "order-2"},
			"0 invalid, 2 matched, 0 skipped for --max-replays, 2 listed (stopped at --limit=2)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, err := process(t, options{command: commandList, output: outputJSON, filter: tt.filter, limit: tt.limit}, nil, sample())

			require.NoError(t, err)
			var orders []string
			for _, line := range strings.Split(strings.TrimRight(stdout, "\n"), "\n") {
				var e struct{ Key string }
				require.NoError(t, json.Unmarshal([]byte(line), &e))
				orders = append(orders, e.Key)
			}
			assert.Equal(t, tt.wantOrders, orders)
			assert.True(t, strings.HasSuffix(stderr, tt.wantSum), stderr)
		})
	}
}

func TestReplayDryRunSendsNothing(t *testing.T) {
	stdout, stderr, err := process(t, options{command: commandReplay, dryRun: true, rate: 1, filter: dlq.Filter{MaxReplays: 3}}, nil, sample())

	require.NoError(t, err)
	assert.Equal(t, `would replay tickets.dlq/0@0 to tickets: order order-1, reason malformed, replay 1
would replay tickets.dlq/0@1 to tickets: order order-2, reason too_large, replay 1
would replay tickets.dlq/0@4 to tickets: order order-4, reason retries_exhausted, replay 2
would replay tickets.dlq/0@5 to tickets: order order-5, reason malformed, replay 1
`, stdout)
	assert.Contains(t, stderr, "ticketctl: skipping tickets.dlq/0@2: replayed 3 times already (--max-replays=3)\n")
	assert.Contains(t, stderr, "1 invalid, 5 matched, 1 skipped for --max-replays, 0 not replayable, 4 would be replayed (dry run)\n")
}

func TestReplaySends(t *testing.T) {
	producer := mocks.NewSyncProducer(t, nil)
	defer func() { require.NoError(t, producer.Close()) }()
	var sent []*sarama.ProducerMessage
	for range 2 {
		producer.ExpectSendMessageWithMessageCheckerFunctionAndSucceed(func(msg *sarama.ProducerMessage) error {
			sent = append(sent, msg)
			return nil
		})
	}

	stdout, stderr, err := process(t, options{command: commandReplay, rate: 1000, toTopic: "tickets.retry",
		filter: dlq.Filter{Reasons: []failure.Reason{failure.Malformed, failure.RetriesExhausted}, MaxReplays: 3}, limit: 2}, producer, sample())

	require.NoError(t, err)
	require.Len(t, sent, 2)
	got := kafkatest.Delivered(sent[1], 0, 0)
	assert.Equal(t, "tickets.retry", got.Topic)
	assert.Equal(t, "order-4", string(got.Key))
	assert.Equal(t, `{"order_id":"order-4"}`, string(got.Value))
	assert.Equal(t, 2, dlq.ReplayCount(got.Headers))
	assert.Equal(t, []*sarama.RecordHeader{
		{Key: []byte("trace-id"), Value: []byte("t-order-4")},
		{Key: []byte(dlq.HeaderOriginalTopic), Value: []byte("tickets")},
		{Key: []byte(dlq.HeaderOriginalPartition), Value: []byte("2")},
		{Key: []byte(dlq.HeaderOriginalOffset), Value: []byte("400")},
		{Key: []byte(dlq.HeaderReplayCount), Value: []byte("2")},
		{Key: []byte(dlq.HeaderReplayedAt), Value: []byte("2025-06-02T08:00:00Z")},
	}, got.Headers)
	assert.Regexp(t, `^replayed tickets.dlq/0@0 to tickets.retry/\d+@\d+: order order-1, reason malformed, replay 1
replayed tickets.dlq/0@4 to tickets.retry/\d+@\d+: order order-4, reason retries_exhausted, replay 2
$`, stdout)
	assert.Contains(t, stderr, "1 invalid, 3 matched, 1 skipped for --max-replays, 0 not replayable, 2 replayed (stopped at --limit=2)\n")
}

func TestReplayStopsAtSendFailure(t *testing.T) {
	producer := mocks.NewSyncProducer(t, nil)
	defer func() { require.NoError(t, producer.Close()) }()
	producer.ExpectSendMessageAndSucceed()
	producer.ExpectSendMessageAndFail(sarama.ErrNotEnoughReplicas)

	stdout, stderr, err := process(t, options{command: commandReplay, rate: 1000}, producer, sample())

	require.ErrorIs(t, err, sarama.ErrNotEnoughReplicas)
	assert.EqualError(t, err, "replay tickets.dlq/0@1 to tickets: kafka server: Messages are rejected since there are fewer in-sync replicas than required")
	assert.Equal(t, 1, strings.Count(stdout, "replayed "))
	assert.Contains(t, stderr, "2 matched, 0 skipped for --max-replays, 0 not replayable, 1 replayed\n", "the summary tells what was sent")
}

func TestReplayRefusesUnreplayableEntries(t *testing.T) {
	loop := deadRecord("order-1", 0, 1, failure.Malformed, 0, 0)
	for _, h := range loop.Headers {
		if string(h.Key) == dlq.HeaderOriginalTopic {
			h.Value = []byte("tickets.dlq")
		}
	}
	keyless := deadRecord("order-2", 0, 2, failure.Malformed, 0, 1)
	keyless.Key = nil
	fine := deadRecord("order-3", 0, 3, failure.Malformed, 0, 2)

	stdout, stderr, err := process(t, options{command: commandReplay, dryRun: true, rate: 1}, nil,
		[]*sarama.ConsumerMessage{loop, keyless, fine})

	require.NoError(t, err)
	assert.Equal(t, "would replay tickets.dlq/0@2 to tickets: order order-3, reason malformed, replay 1\n", stdout)
	assert.Contains(t, stderr, "ticketctl: skipping tickets.dlq/0@0: its original topic is the dead-letter topic\n")
	assert.Contains(t, stderr, "ticketctl: skipping tickets.dlq/0@1: it has no key (order id)\n")
	assert.Contains(t, stderr, "0 invalid, 3 matched, 0 skipped for --max-replays, 2 not replayable, 1 would be replayed (dry run)\n")
}

func TestReplayHonoursContext(t *testing.T) {
	producer := mocks.NewSyncProducer(t, nil)
	defer func() { require.NoError(t, producer.Close()) }()
	producer.ExpectSendMessageAndSucceed()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut bytes.Buffer
	// One record per hour: the second one waits for the limiter.
	p := newProcessor(options{command: commandReplay, rate: 1.0 / 3600, dlqTopic: "tickets.dlq"}, &out, &errOut, producer, time.Now)

	require.NoError(t, p.visit(ctx, deadRecord("order-1", 0, 1, failure.Malformed, 0, 0)))
	cancel()
	err := p.visit(ctx, deadRecord("order-2", 0, 2, failure.Malformed, 0, 1))

	require.Error(t, err)
	assert.Contains(t, err.Error(), "replay tickets.dlq/0@1: ")
}

func TestPrintable(t *testing.T) {
	tests := []struct {
		name  string
		in    []byte
		limit int
		want  string
	}{
		{"nil", nil, 10, "-"},
		{"empty", []byte{}, 10, `""`},
		{"plain", []byte("order-42"), 10, "order-42"},
		{"unicode", []byte("commande-é"), 20, "commande-é"},
		{"tab", []byte("a\tb"), 10, `"a\tb"`},
		{"newline", []byte("line1\nline2"), 20, `"line1\nline2"`},
		{"binary", []byte{0xff, 0x00}, 20, `"\xff\x00"`},
		{"cut", []byte("abcdefghijkl"), 5, "abcd…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, printable(tt.in, tt.limit))
		})
	}
}
