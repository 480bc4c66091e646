package dlq_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/IBM/sarama"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"ticket-processor/internal/dlq"
	"ticket-processor/internal/failure"
	"ticket-processor/internal/kafkatest"
	"ticket-processor/internal/models"
	"ticket-processor/internal/retry"
)

var (
	cest         = time.FixedZone("CEST", 2*3600)
	originalTime = time.Date(2025, 6, 1, 9, 0, 0, 123456789, cest)
	firstFailure = time.Date(2025, 6, 1, 9, 0, 1, 500, cest)
	lastFailure  = time.Date(2025, 6, 1, 9, 0, 3, 0, cest)
	deadAt       = time.Date(2025, 6, 1, 9, 0, 4, 999000000, cest)
)

// consumed returns a record as the consumer would see it on the ticket
// topic.
func consumed(key, value []byte, headers ...*sarama.RecordHeader) *sarama.ConsumerMessage {
	return &sarama.ConsumerMessage{
		Topic: "tickets", Partition: 3, Offset: 1234, Timestamp: originalTime,
		Key: key, Value: value, Headers: headers,
	}
}

func hdr(key, value string) *sarama.RecordHeader {
	return &sarama.RecordHeader{Key: []byte(key), Value: []byte(value)}
}

func sampleFailure() dlq.Failure {
	return dlq.Failure{
		Class: dlq.ClassTransient, Reason: failure.RetriesExhausted, Message: "write tickets.processed: broker down",
		Attempts: 5, FirstFailure: firstFailure, LastFailure: lastFailure,
	}
}

// dlqHeaders returns the dlq-* headers by name, failing on a duplicate.
func dlqHeaders(t *testing.T, headers []sarama.RecordHeader) map[string]string {
	t.Helper()
	out := make(map[string]string)
	for _, h := range headers {
		if !strings.HasPrefix(string(h.Key), dlq.HeaderPrefix) {
			continue
		}
		_, dup := out[string(h.Key)]
		require.False(t, dup, "header %s appears twice", h.Key)
		out[string(h.Key)] = string(h.Value)
	}
	return out
}

func TestNewRecordWritesEveryHeader(t *testing.T) {
	msg := consumed([]byte("order-42"), []byte(`{"order_id":"order-42"}`), hdr("trace-id", "abc"))

	pm := dlq.NewRecord("tickets.dlq", "ticket-processor", msg, sampleFailure(), deadAt)

	assert.Equal(t, "tickets.dlq", pm.Topic)
	assert.Equal(t, deadAt, pm.Timestamp)
	assert.Equal(t, map[string]string{
		dlq.HeaderOriginalTopic:     "tickets",
		dlq.HeaderOriginalPartition: "3",
		dlq.HeaderOriginalOffset:    "1234",
		dlq.HeaderOriginalTimestamp: "2025-06-01T07:00:00.123456789Z",
		dlq.HeaderErrorClass:        "transient",
		dlq.HeaderErrorReason:       "retries_exhausted",
		dlq.HeaderErrorMessage:      "write tickets.processed: broker down",
		dlq.HeaderAttempts:          "5",
		dlq.HeaderFirstFailure:      "2025-06-01T07:00:01.0000005Z",
		dlq.HeaderLastFailure:       "2025-06-01T07:00:03Z",
		dlq.HeaderConsumerGroup:     "ticket-processor",
		dlq.HeaderDeadLetteredAt:    "2025-06-01T07:00:04.999Z",
		dlq.HeaderReplayCount:       "0",
	}, dlqHeaders(t, pm.Headers))
	require.NotEmpty(t, pm.Headers)
	assert.Equal(t, "trace-id", string(pm.Headers[0].Key), "original headers come first")
	for _, h := range pm.Headers {
		assert.True(t, utf8.Valid(h.Value), "header %s is UTF-8", h.Key)
	}
}

func TestNewRecordKeepsOriginalBytes(t *testing.T) {
	binary := []byte{0x00, 0xff, 0xfe, 0xc3, 0x28, '{'}
	tests := []struct {
		name    string
		key     []byte
		value   []byte
		headers []*sarama.RecordHeader
	}{
		{"json ticket", []byte("order-1"), []byte(`{"order_id":"order-1"}`), []*sarama.RecordHeader{hdr("a", "1"), hdr("b", "2")}},
		{"nil key", nil, []byte("v"), nil},
		{"empty key", []byte{}, []byte("v"), nil},
		{"nil value (tombstone)", []byte("k"), nil, nil},
		{"binary and invalid UTF-8", binary, binary, []*sarama.RecordHeader{{Key: binary, Value: binary}}},
		{"header with nil value and repeated names", []byte("k"), []byte("v"),
			[]*sarama.RecordHeader{{Key: []byte("x"), Value: nil}, hdr("x", "2"), {Key: []byte{}, Value: []byte{}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pm := dlq.NewRecord("tickets.dlq", "g", consumed(tt.key, tt.value, tt.headers...), sampleFailure(), deadAt)
			cm := kafkatest.Delivered(pm, 0, 7)

			if tt.key == nil {
				assert.Nil(t, pm.Key, "a nil key stays null")
			}
			if tt.value == nil {
				assert.Nil(t, pm.Value, "a nil value stays null")
			}
			assert.Equal(t, tt.key, cm.Key)
			assert.Equal(t, tt.value, cm.Value)
			require.GreaterOrEqual(t, len(cm.Headers), len(tt.headers))
			for i, h := range tt.headers {
				assert.Equal(t, h, cm.Headers[i], "header %d", i)
			}

			e, err := dlq.Parse(cm)
			require.NoError(t, err)
			assert.Equal(t, tt.key, e.Key)
			assert.Equal(t, tt.value, e.Value)
			assert.Equal(t, tt.headers, e.Headers)
		})
	}
}

func TestNewRecordDoesNotShareMemory(t *testing.T) {
	msg := consumed([]byte("order-1"), []byte("value"), hdr("h", "v"))
	pm := dlq.NewRecord("tickets.dlq", "g", msg, sampleFailure(), deadAt)

	msg.Key[0], msg.Value[0], msg.Headers[0].Value[0] = 'X', 'X', 'X'

	cm := kafkatest.Delivered(pm, 0, 0)
	assert.Equal(t, "order-1", string(cm.Key))
	assert.Equal(t, "value", string(cm.Value))
	assert.Equal(t, "v", string(cm.Headers[0].Value))
}

func TestRoundTrip(t *testing.T) {
	msg := consumed([]byte("order-42"), []byte(`{"order_id":"order-42"}`), hdr("trace-id", "abc"))

	cm := kafkatest.Delivered(dlq.NewRecord("tickets.dlq", "ticket-processor", msg, sampleFailure(), deadAt), 2, 99)
	e, err := dlq.Parse(cm)

	require.NoError(t, err)
	assert.Equal(t, dlq.Entry{
		DLQTopic:          "tickets.dlq",
		DLQPartition:      2,
		DLQOffset:         99,
		OriginalTopic:     "tickets",
		OriginalPartition: 3,
		OriginalOffset:    1234,
		OriginalTimestamp: originalTime.UTC(),
		Failure: dlq.Failure{
			Class: dlq.ClassTransient, Reason: failure.RetriesExhausted, Message: "write tickets.processed: broker down",
			Attempts: 5, FirstFailure: firstFailure.UTC(), LastFailure: lastFailure.UTC(),
		},
		ConsumerGroup:  "ticket-processor",
		DeadLetteredAt: deadAt.UTC(),
		ReplayCount:    0,
		Key:            []byte("order-42"),
		Value:          []byte(`{"order_id":"order-42"}`),
		Headers:        []*sarama.RecordHeader{hdr("trace-id", "abc")},
	}, e)
}

func TestNewRecordNormalisesFailure(t *testing.T) {
	longMessage := strings.Repeat("é", dlq.MaxMessageBytes) // 2 bytes each
	tests := []struct {
		name        string
		failure     dlq.Failure
		wantClass   string
		wantReason  failure.Reason
		wantMessage func(t *testing.T, msg string)
		wantAttempt int
	}{
		{"permanent stays", dlq.Failure{Class: dlq.ClassPermanent, Reason: failure.Malformed, Message: "bad", Attempts: 1},
			dlq.ClassPermanent, failure.Malformed, func(t *testing.T, m string) { assert.Equal(t, "bad", m) }, 1},
		{"unknown class and reason", dlq.Failure{Class: "fatal", Reason: "cosmic_ray", Attempts: 2},
			dlq.ClassPermanent, failure.Other, func(t *testing.T, m string) { assert.Empty(t, m) }, 2},
		{"parked, never attempted", dlq.Failure{Class: dlq.ClassPermanent, Reason: failure.OrderParked},
			dlq.ClassPermanent, failure.OrderParked, func(t *testing.T, m string) { assert.Empty(t, m) }, 0},
		{"negative attempts", dlq.Failure{Class: dlq.ClassTransient, Reason: failure.Other, Attempts: -3},
			dlq.ClassTransient, failure.Other, func(t *testing.T, m string) { assert.Empty(t, m) }, 0},
		{"invalid UTF-8 message", dlq.Failure{Reason: failure.Other, Message: "bad \xff byte"},
			dlq.ClassPermanent, failure.Other, func(t *testing.T, m string) { assert.Equal(t, "bad \uFFFD byte", m) }, 0},
		{"long message is cut on a character boundary", dlq.Failure{Reason: failure.Other, Message: longMessage},
			dlq.ClassPermanent, failure.Other, func(t *testing.T, m string) {
				assert.LessOrEqual(t, len(m), dlq.MaxMessageBytes)
				assert.Greater(t, len(m), dlq.MaxMessageBytes-8)
				assert.True(t, utf8.ValidString(m))
				assert.True(t, strings.HasSuffix(m, "é…"))
			}, 0},
		{"message of exactly the limit is kept", dlq.Failure{Reason: failure.Other, Message: strings.Repeat("a", dlq.MaxMessageBytes)},
			dlq.ClassPermanent, failure.Other, func(t *testing.T, m string) { assert.Len(t, m, dlq.MaxMessageBytes) }, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cm := kafkatest.Delivered(dlq.NewRecord("tickets.dlq", "g", consumed([]byte("k"), []byte("v")), tt.failure, deadAt), 0, 0)

			e, err := dlq.Parse(cm)

			require.NoError(t, err)
			assert.Equal(t, tt.wantClass, e.Failure.Class)
			assert.Equal(t, tt.wantReason, e.Failure.Reason)
			assert.Equal(t, tt.wantAttempt, e.Failure.Attempts)
			tt.wantMessage(t, e.Failure.Message)
		})
	}
}

func TestNewRecordReplacesEarlierDeadLetterHeaders(t *testing.T) {
	replayedAt := "2025-05-30T10:00:00Z"
	// A ticket that was dead-lettered, replayed twice, and failed again:
	// stale dlq-* headers from a careless tool sit between its own.
	msg := consumed([]byte("order-7"), []byte("v"),
		hdr("trace-id", "abc"),
		hdr(dlq.HeaderErrorReason, string(failure.Malformed)),
		hdr(dlq.HeaderAttempts, "9"),
		hdr(dlq.HeaderReplayCount, "2"),
		hdr("dlq-from-the-future", "x"),
		hdr("tenant", "eu"),
		hdr(dlq.HeaderReplayedAt, replayedAt),
	)

	pm := dlq.NewRecord("tickets.dlq", "g", msg, sampleFailure(), deadAt)

	got := dlqHeaders(t, pm.Headers)
	assert.Equal(t, "2", got[dlq.HeaderReplayCount])
	assert.Equal(t, replayedAt, got[dlq.HeaderReplayedAt])
	assert.Equal(t, "retries_exhausted", got[dlq.HeaderErrorReason])
	assert.Equal(t, "5", got[dlq.HeaderAttempts])
	assert.NotContains(t, got, "dlq-from-the-future")
	assert.Len(t, got, 14, "one full set, replayed-at included")
	assert.Equal(t, []sarama.RecordHeader{
		{Key: []byte("trace-id"), Value: []byte("abc")},
		{Key: []byte("tenant"), Value: []byte("eu")},
	}, pm.Headers[:2])

	e, err := dlq.Parse(kafkatest.Delivered(pm, 0, 0))
	require.NoError(t, err)
	assert.Equal(t, 2, e.ReplayCount)
	assert.Equal(t, time.Date(2025, 5, 30, 10, 0, 0, 0, time.UTC), e.ReplayedAt)
}

func TestReplayCycle(t *testing.T) {
	original := consumed([]byte("order-9"), []byte{0xff, 0x00}, hdr("trace-id", "abc"))
	msg := original
	for replay := 1; replay <= 3; replay++ {
		from := dlq.Origin{Topic: msg.Topic, Partition: msg.Partition, Offset: msg.Offset}
		dead := kafkatest.Delivered(dlq.NewRecord("tickets.dlq", "g", msg, sampleFailure(), deadAt), 1, int64(replay))
		e, err := dlq.Parse(dead)
		require.NoError(t, err)
		require.Equal(t, replay-1, e.ReplayCount)

		replayedAt := deadAt.Add(time.Duration(replay) * time.Hour)
		pm := dlq.NewReplay(e, replayedAt)

		assert.Equal(t, "tickets", pm.Topic, "back to the original topic")
		assert.Equal(t, replayedAt, pm.Timestamp)
		msg = kafkatest.Delivered(pm, 3, 5000+int64(replay))
		assert.Equal(t, original.Key, msg.Key)
		assert.Equal(t, original.Value, msg.Value)
		assert.Equal(t, replay, dlq.ReplayCount(msg.Headers))
		got, ok := dlq.ReplayOrigin(msg.Headers)
		require.True(t, ok, "a replay names the record it copies")
		assert.Equal(t, from, got)
		assert.Equal(t, []*sarama.RecordHeader{
			hdr("trace-id", "abc"),
			hdr(dlq.HeaderOriginalTopic, from.Topic),
			hdr(dlq.HeaderOriginalPartition, strconv.Itoa(int(from.Partition))),
			hdr(dlq.HeaderOriginalOffset, strconv.FormatInt(from.Offset, 10)),
			hdr(dlq.HeaderReplayCount, strconv.Itoa(replay)),
			hdr(dlq.HeaderReplayedAt, replayedAt.UTC().Format(time.RFC3339Nano)),
		}, msg.Headers)
	}
}

func TestNewReplayDropsStrayDeadLetterHeaders(t *testing.T) {
	e := dlq.Entry{
		OriginalTopic: "tickets", ReplayCount: 4, Key: nil, Value: []byte("v"),
		Headers: []*sarama.RecordHeader{hdr("a", "1"), nil, hdr(dlq.HeaderAttempts, "3")},
	}

	pm := dlq.NewReplay(e, deadAt)

	assert.Nil(t, pm.Key)
	assert.Equal(t, []sarama.RecordHeader{
		{Key: []byte("a"), Value: []byte("1")},
		{Key: []byte(dlq.HeaderOriginalTopic), Value: []byte("tickets")},
		{Key: []byte(dlq.HeaderOriginalPartition), Value: []byte("0")},
		{Key: []byte(dlq.HeaderOriginalOffset), Value: []byte("0")},
		{Key: []byte(dlq.HeaderReplayCount), Value: []byte("5")},
		{Key: []byte(dlq.HeaderReplayedAt), Value: []byte("2025-06-01T07:00:04.999Z")},
	}, pm.Headers)
}

func TestReplayCount(t *testing.T) {
	tests := []struct {
		name    string
		headers []*sarama.RecordHeader
		want    int
	}{
		{"no headers", nil, 0},
		{"absent", []*sarama.RecordHeader{hdr("a", "1")}, 0},
		{"present", []*sarama.RecordHeader{hdr(dlq.HeaderReplayCount, "3")}, 3},
		{"last one wins", []*sarama.RecordHeader{hdr(dlq.HeaderReplayCount, "1"), hdr(dlq.HeaderReplayCount, "2")}, 2},
		{"not a number", []*sarama.RecordHeader{hdr(dlq.HeaderReplayCount, "many")}, 0},
		{"negative", []*sarama.RecordHeader{hdr(dlq.HeaderReplayCount, "-1")}, 0},
		{"nil header", []*sarama.RecordHeader{nil, hdr(dlq.HeaderReplayCount, "1")}, 1},
		{"nil value", []*sarama.RecordHeader{{Key: []byte(dlq.HeaderReplayCount)}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, dlq.ReplayCount(tt.headers))
		})
	}
}

func TestFailureFromRetry(t *testing.T) {
	err := retry.Permanent(errors.New("decode ticket: malformed"))
	f := &retry.Failure{Class: retry.ClassPermanent, Attempts: 1, First: firstFailure, Last: lastFailure, Err: err}

	assert.Equal(t, dlq.Failure{
		Class: dlq.ClassPermanent, Reason: failure.Malformed, Message: "decode ticket: malformed",
		Attempts: 1, FirstFailure: firstFailure, LastFailure: lastFailure,
	}, dlq.FailureFromRetry(f, failure.Malformed))
	assert.Equal(t, dlq.Failure{Class: dlq.ClassPermanent, Reason: failure.Other}, dlq.FailureFromRetry(nil, failure.Other))
}

func TestReasonsCoverModelReasons(t *testing.T) {
	for _, err := range []error{models.ErrInvalidTicket, models.ErrMalformed, models.ErrTooLarge, models.ErrUnknownSchemaVersion} {
		r := failure.Of(err)
		assert.True(t, failure.Known(string(r)), "the reason %q of %v is a dead-letter reason", r, err)
		assert.NotEqual(t, failure.Other, r, "%v knows its reason", err)
	}
	assert.False(t, failure.Known(""))
	assert.Len(t, failure.Strings(), 8)
}

func TestReplayOrigin(t *testing.T) {
	full := []*sarama.RecordHeader{
		hdr(dlq.HeaderOriginalTopic, "tickets"), hdr(dlq.HeaderOriginalPartition, "3"),
		hdr(dlq.HeaderOriginalOffset, "1234"), hdr(dlq.HeaderReplayCount, "1"),
	}
	without := func(name string) []*sarama.RecordHeader {
		var hs []*sarama.RecordHeader
		for _, h := range full {
			if string(h.Key) != name {
				hs = append(hs, h)
			}
		}
		return hs
	}
	tests := []struct {
		name    string
		headers []*sarama.RecordHeader
		want    dlq.Origin
		ok      bool
	}{
		{"a replay", full, dlq.Origin{Topic: "tickets", Partition: 3, Offset: 1234}, true},
		{"no replay count", without(dlq.HeaderReplayCount), dlq.Origin{}, false},
		{"replay count only", []*sarama.RecordHeader{hdr(dlq.HeaderReplayCount, "1")}, dlq.Origin{}, false},
		{"no topic", without(dlq.HeaderOriginalTopic), dlq.Origin{}, false},
		{"no offset", without(dlq.HeaderOriginalOffset), dlq.Origin{}, false},
		{"bad offset", append(without(dlq.HeaderOriginalOffset), hdr(dlq.HeaderOriginalOffset, "-1")), dlq.Origin{}, false},
		{"bad partition", append(without(dlq.HeaderOriginalPartition), hdr(dlq.HeaderOriginalPartition, "x")), dlq.Origin{}, false},
		{"repeated offset", append(full, hdr(dlq.HeaderOriginalOffset, "7")), dlq.Origin{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := dlq.ReplayOrigin(tt.headers)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestSequenceMismatchRoundTrip(t *testing.T) {
	f := sampleFailure()
	f.Reason = failure.OutOfSequence
	f.Sequence = &dlq.SequenceMismatch{Expected: 3, Actual: 2}

	pm := dlq.NewRecord("tickets.dlq", "g", consumed([]byte("order-1"), []byte("{}")), f, deadAt)
	e, err := dlq.Parse(kafkatest.Delivered(pm, 0, 9))

	require.NoError(t, err)
	assert.Equal(t, failure.OutOfSequence, e.Failure.Reason)
	assert.Equal(t, &dlq.SequenceMismatch{Expected: 3, Actual: 2}, e.Failure.Sequence)

	plain, err := dlq.Parse(kafkatest.Delivered(dlq.NewRecord("tickets.dlq", "g", consumed(nil, nil), sampleFailure(), deadAt), 0, 1))
	require.NoError(t, err)
	assert.Nil(t, plain.Failure.Sequence, "no sequence headers unless the check failed")

	half := kafkatest.Delivered(pm, 0, 9)
	half.Headers = half.Headers[:len(half.Headers)-1] // actual sequence dropped
	_, err = dlq.Parse(half)
	require.ErrorIs(t, err, dlq.ErrMissingHeader)
}
