package dlq_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/IBM/sarama"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"ticket-processor/internal/dlq"
	"ticket-processor/internal/kafkatest"
)

// requiredHeaders are the headers every dead-letter record carries.
var requiredHeaders = []string{
	dlq.HeaderOriginalTopic, dlq.HeaderOriginalPartition, dlq.HeaderOriginalOffset, dlq.HeaderOriginalTimestamp,
	dlq.HeaderErrorClass, dlq.HeaderErrorReason, dlq.HeaderErrorMessage, dlq.HeaderAttempts,
	dlq.HeaderFirstFailure, dlq.HeaderLastFailure, dlq.HeaderConsumerGroup, dlq.HeaderDeadLetteredAt,
	dlq.HeaderReplayCount,
}

// validRecord returns a well-formed dead-letter record as read from the
// DLQ topic.
func validRecord(t *testing.T) *sarama.ConsumerMessage {
	t.Helper()
	msg := consumed([]byte("order-1"), []byte("v"), hdr("trace-id", "abc"))
	return kafkatest.Delivered(dlq.NewRecord("tickets.dlq", "g", msg, sampleFailure(), deadAt), 0, 12)
}

// without returns msg without the named header.
func without(msg *sarama.ConsumerMessage, name string) *sarama.ConsumerMessage {
	out := *msg
	out.Headers = slices.DeleteFunc(slices.Clone(msg.Headers), func(h *sarama.RecordHeader) bool { return string(h.Key) == name })
	return &out
}

// with returns msg with the named header's value replaced.
func with(msg *sarama.ConsumerMessage, name, value string) *sarama.ConsumerMessage {
	out := without(msg, name)
	out.Headers = append(out.Headers, hdr(name, value))
	return out
}

func TestParseMissingHeader(t *testing.T) {
	for _, name := range requiredHeaders {
		t.Run(name, func(t *testing.T) {
			_, err := dlq.Parse(without(validRecord(t), name))

			require.ErrorIs(t, err, dlq.ErrMissingHeader)
			require.ErrorIs(t, err, dlq.ErrInvalidRecord)
			var he *dlq.HeaderError
			require.ErrorAs(t, err, &he)
			assert.Equal(t, name, he.Header)
			assert.EqualError(t, err, "invalid dead-letter record tickets.dlq/0@12: header "+name+" is missing")
		})
	}
}

func TestParseRecordWithoutDeadLetterHeaders(t *testing.T) {
	msg := consumed([]byte("order-1"), []byte("v"), hdr("trace-id", "abc"))
	msg.Topic, msg.Partition, msg.Offset = "tickets.dlq", 1, 4

	e, err := dlq.Parse(msg)

	var pe *dlq.ParseError
	require.ErrorAs(t, err, &pe)
	assert.Len(t, pe.Headers, len(requiredHeaders))
	require.ErrorIs(t, err, dlq.ErrMissingHeader)
	assert.EqualError(t, err, "invalid dead-letter record tickets.dlq/1@4: no dlq-* headers")
	assert.Equal(t, []*sarama.RecordHeader{hdr("trace-id", "abc")}, e.Headers)
}

func TestParseOptionalReplayedAt(t *testing.T) {
	e, err := dlq.Parse(without(validRecord(t), dlq.HeaderReplayedAt))

	require.NoError(t, err)
	assert.True(t, e.ReplayedAt.IsZero())
}

func TestParseBadHeader(t *testing.T) {
	tests := []struct {
		header  string
		value   string
		wantMsg string
	}{
		{dlq.HeaderOriginalTopic, "", `header dlq-original-topic="": want a non-empty value`},
		{dlq.HeaderOriginalTopic, "tick\xffets", `header dlq-original-topic="tick\xffets": want valid UTF-8`},
		{dlq.HeaderOriginalPartition, "-1", `header dlq-original-partition="-1": want a whole number from 0 to 2147483647`},
		{dlq.HeaderOriginalPartition, "2147483648", `header dlq-original-partition="2147483648": want a whole number from 0 to 2147483647`},
		{dlq.HeaderOriginalPartition, " 3", `header dlq-original-partition=" 3": want a whole number from 0 to 2147483647`},
		{dlq.HeaderOriginalOffset, "1e3", `header dlq-original-offset="1e3": want a whole number from 0 to 9223372036854775807`},
		{dlq.HeaderOriginalOffset, "99999999999999999999", `header dlq-original-offset="99999999999999999999": want a whole number from 0 to 9223372036854775807`},
		{dlq.HeaderOriginalTimestamp, "yesterday", `header dlq-original-timestamp="yesterday": want an RFC 3339 time such as 2025-06-01T07:00:00.123456789Z`},
		{dlq.HeaderErrorClass, "fatal", `header dlq-error-class="fatal": want permanent or transient`},
		{dlq.HeaderErrorClass, "Permanent", `header dlq-error-class="Permanent": want permanent or transient`},
		{dlq.HeaderErrorReason, "", `header dlq-error-reason="": want a reason such as malformed, invalid_field, unknown_schema, too_large, retries_exhausted, order_parked, out_of_sequence, other`},
		{dlq.HeaderErrorReason, "Bad Reason", `header dlq-error-reason="Bad Reason": want a reason such as malformed, invalid_field, unknown_schema, too_large, retries_exhausted, order_parked, out_of_sequence, other`},
		{dlq.HeaderAttempts, "many", `header dlq-attempts="many": want a whole number from 0 to 2147483647`},
		{dlq.HeaderFirstFailure, "2025-06-01 07:00:00", `header dlq-first-failure="2025-06-01 07:00:00": want an RFC 3339 time such as 2025-06-01T07:00:00.123456789Z`},
		{dlq.HeaderLastFailure, "", `header dlq-last-failure="": want an RFC 3339 time such as 2025-06-01T07:00:00.123456789Z`},
		{dlq.HeaderConsumerGroup, "\xc3", `header dlq-consumer-group="\xc3": want valid UTF-8`},
		{dlq.HeaderDeadLetteredAt, "1717225200", `header dlq-dead-lettered-at="1717225200": want an RFC 3339 time such as 2025-06-01T07:00:00.123456789Z`},
		{dlq.HeaderReplayCount, "-2", `header dlq-replay-count="-2": want a whole number from 0 to 2147483647`},
		{dlq.HeaderReplayedAt, "never", `header dlq-replayed-at="never": want an RFC 3339 time such as 2025-06-01T07:00:00.123456789Z`},
	}
	for _, tt := range tests {
		t.Run(tt.header+"="+tt.value, func(t *testing.T) {
			e, err := dlq.Parse(with(validRecord(t), tt.header, tt.value))

			require.ErrorIs(t, err, dlq.ErrBadHeader)
			require.ErrorIs(t, err, dlq.ErrInvalidRecord)
			assert.EqualError(t, err, "invalid dead-letter record tickets.dlq/0@12: "+tt.wantMsg)
			assert.Equal(t, int64(12), e.DLQOffset, "the entry still locates the record")
			assert.Equal(t, "order-1", string(e.Key))
		})
	}
}

func TestParseReportsEveryProblem(t *testing.T) {
	msg := with(without(validRecord(t), dlq.HeaderAttempts), dlq.HeaderErrorClass, "fatal")
	msg.Headers = append(msg.Headers, hdr(dlq.HeaderOriginalTopic, "again"))

	_, err := dlq.Parse(msg)

	var pe *dlq.ParseError
	require.ErrorAs(t, err, &pe)
	require.Len(t, pe.Headers, 3)
	assert.Equal(t, dlq.HeaderOriginalTopic, pe.Headers[0].Header)
	assert.Equal(t, "one header, found 2", pe.Headers[0].Want)
	assert.Equal(t, dlq.HeaderErrorClass, pe.Headers[1].Header)
	assert.Equal(t, dlq.HeaderAttempts, pe.Headers[2].Header)
	assert.True(t, pe.Headers[2].Missing)
	assert.ErrorIs(t, err, dlq.ErrMissingHeader)
	assert.ErrorIs(t, err, dlq.ErrBadHeader)
}

func TestParseQuotesLongValuesShortly(t *testing.T) {
	long := string(make([]byte, 1000))

	_, err := dlq.Parse(with(validRecord(t), dlq.HeaderErrorClass, long))

	require.Error(t, err)
	assert.Less(t, len(err.Error()), 400)
}

func TestParseBrokenRecordsNeverPanic(t *testing.T) {
	tests := []struct {
		name string
		msg  *sarama.ConsumerMessage
	}{
		{"nil message", nil},
		{"empty message", &sarama.ConsumerMessage{}},
		{"nil headers in the list", &sarama.ConsumerMessage{Headers: []*sarama.RecordHeader{nil, nil}}},
		{"header with nil key and value", &sarama.ConsumerMessage{Headers: []*sarama.RecordHeader{{}}}},
		{"only the prefix", &sarama.ConsumerMessage{Headers: []*sarama.RecordHeader{hdr("dlq-", "x")}}},
		{"nil dlq values", &sarama.ConsumerMessage{Headers: func() []*sarama.RecordHeader {
			var hs []*sarama.RecordHeader
			for _, name := range requiredHeaders {
				hs = append(hs, &sarama.RecordHeader{Key: []byte(name)})
			}
			return hs
		}()}},
		{"binary values", &sarama.ConsumerMessage{Headers: func() []*sarama.RecordHeader {
			var hs []*sarama.RecordHeader
			for _, name := range requiredHeaders {
				hs = append(hs, &sarama.RecordHeader{Key: []byte(name), Value: []byte{0xff, 0x00, 0xfe}})
			}
			return hs
		}()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NotPanics(t, func() {
				_, err := dlq.Parse(tt.msg)
				assert.ErrorIs(t, err, dlq.ErrInvalidRecord)
			})
		})
	}
}

// TestParseRandomMutationsNeverPanic damages valid records at random:
// dropped, duplicated, truncated and garbled headers.
func TestParseRandomMutationsNeverPanic(t *testing.T) {
	src := rand.New(rand.NewPCG(7, 11))
	base := validRecord(t)
	for range 5000 {
		msg := *base
		msg.Headers = nil
		for _, h := range base.Headers {
			switch src.IntN(6) {
			case 0: // drop
			case 1:
				msg.Headers = append(msg.Headers, h, h)
			case 2:
				v := h.Value[:src.IntN(len(h.Value)+1)]
				msg.Headers = append(msg.Headers, &sarama.RecordHeader{Key: h.Key, Value: v})
			case 3:
				v := make([]byte, src.IntN(40))
				for i := range v {
					v[i] = byte(src.UintN(256))
				}
				msg.Headers = append(msg.Headers, &sarama.RecordHeader{Key: h.Key, Value: v})
			default:
				msg.Headers = append(msg.Headers, h)
			}
		}
		require.NotPanics(t, func() {
			e, err := dlq.Parse(&msg)
			if err != nil {
				assert.ErrorIs(t, err, dlq.ErrInvalidRecord)
			} else {
				assert.NotEmpty(t, e.OriginalTopic)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("dlq-original-topic"), []byte("tickets"), []byte("dlq-attempts"), []byte("3"))
	f.Add([]byte("dlq-replay-count"), []byte("-1"), []byte("dlq-replayed-at"), []byte("\xff"))
	f.Add([]byte{}, []byte{}, []byte("dlq-"), []byte(nil))
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 []byte) {
		msg := *validRecord(t)
		msg.Headers = append(slices.Clone(msg.Headers), &sarama.RecordHeader{Key: k1, Value: v1}, &sarama.RecordHeader{Key: k2, Value: v2})
		e, err := dlq.Parse(&msg)
		if err != nil {
			require.ErrorIs(t, err, dlq.ErrInvalidRecord)
			return
		}
		// Whatever parsed must survive a replay and a second dead-lettering.
		back := kafkatest.Delivered(dlq.NewRecord("tickets.dlq", "g", kafkatest.Delivered(dlq.NewReplay(e, deadAt), 0, 0), e.Failure, deadAt), 0, 1)
		again, err := dlq.Parse(back)
		require.NoError(t, err)
		assert.Equal(t, e.ReplayCount+1, again.ReplayCount)
	})
}
