package dlq

import (
	"bytes"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/IBM/sarama"

	"ticket-processor/internal/failure"
	"ticket-processor/internal/retry"
)

// Failure describes why a ticket was dead-lettered.
type Failure struct {
	// Class is ClassPermanent or ClassTransient; NewRecord writes anything
	// else as ClassPermanent.
	Class string
	// Reason is one of failure.Reasons; NewRecord writes anything else as
	// failure.Other.
	Reason failure.Reason
	// Message is the error text. NewRecord replaces invalid UTF-8 and cuts
	// it to MaxMessageBytes.
	Message string
	// Attempts is how many processing attempts were made (0 for a parked
	// ticket that was never tried).
	Attempts int
	// FirstFailure and LastFailure are when the first and the last attempt
	// failed.
	FirstFailure, LastFailure time.Time
	// Sequence is set on a ticket dead-lettered as failure.OutOfSequence.
	Sequence *SequenceMismatch
}

// SequenceMismatch is what the sequence check saw: the sequence the order
// expected next and the one the ticket carried.
type SequenceMismatch struct {
	Expected, Actual uint64
}

// FailureFromRetry turns what [retry.Do] returned into a Failure with the
// given reason: its class, the last error's message, its attempts and its
// failure times.
func FailureFromRetry(f *retry.Failure, reason failure.Reason) Failure {
	if f == nil {
		return Failure{Class: ClassPermanent, Reason: reason}
	}
	return Failure{
		Class:        f.Class,
		Reason:       reason,
		Message:      f.Message(),
		Attempts:     f.Attempts,
		FirstFailure: f.First,
		LastFailure:  f.Last,
	}
}

// NewRecord builds the dead-letter record for msg, consumed by group, that
// failed with f; now is the dead-lettering time. The record goes to dlqTopic
// with msg's key, value and non-dlq headers byte-identical and in order (a
// nil key or value stays nil), followed by one set of dlq-* headers. Headers
// left by an earlier dead-lettering of a replayed ticket are dropped, except
// the replay markers, which are carried over. A nil msg is treated as an
// empty record.
func NewRecord(dlqTopic, group string, msg *sarama.ConsumerMessage, f Failure, now time.Time) *sarama.ProducerMessage {
	if msg == nil {
		msg = &sarama.ConsumerMessage{}
	}
	headers := make([]sarama.RecordHeader, 0, len(msg.Headers)+14)
	var replayedAt []byte
	for _, h := range msg.Headers {
		if h == nil {
			continue
		}
		if isDLQHeader(h.Key) {
			if string(h.Key) == HeaderReplayedAt {
				replayedAt = h.Value
			}
			continue
		}
		headers = append(headers, cloneHeader(h))
	}
	headers = append(headers, Origin{msg.Topic, msg.Partition, msg.Offset}.headers()...)
	headers = append(headers,
		header(HeaderOriginalTimestamp, formatTime(msg.Timestamp)),
		header(HeaderErrorClass, normaliseClass(f.Class)),
		header(HeaderErrorReason, normaliseReason(f.Reason)),
		header(HeaderErrorMessage, truncateMessage(f.Message)),
		header(HeaderAttempts, strconv.Itoa(max(f.Attempts, 0))),
		header(HeaderFirstFailure, formatTime(f.FirstFailure)),
		header(HeaderLastFailure, formatTime(f.LastFailure)),
		header(HeaderConsumerGroup, group),
		header(HeaderDeadLetteredAt, formatTime(now)),
		header(HeaderReplayCount, strconv.Itoa(ReplayCount(msg.Headers))),
	)
	if replayedAt != nil {
		headers = append(headers, sarama.RecordHeader{Key: []byte(HeaderReplayedAt), Value: bytes.Clone(replayedAt)})
	}
	if f.Sequence != nil {
		headers = append(headers,
			header(HeaderExpectedSequence, strconv.FormatUint(f.Sequence.Expected, 10)),
			header(HeaderActualSequence, strconv.FormatUint(f.Sequence.Actual, 10)),
		)
	}
	return &sarama.ProducerMessage{
		Topic:     dlqTopic,
		Key:       encoder(msg.Key),
		Value:     encoder(msg.Value),
		Headers:   headers,
		Timestamp: now,
	}
}

// NewReplay builds the record that sends e back to its original topic: the
// original key and value, the original non-dlq headers, the original
// record's topic, partition and offset (HeaderOriginalTopic,
// HeaderOriginalPartition, HeaderOriginalOffset), HeaderReplayCount set to
// e.ReplayCount+1 and HeaderReplayedAt set to now. Its timestamp is now.
// Set Topic on the result to replay somewhere else.
func NewReplay(e Entry, now time.Time) *sarama.ProducerMessage {
	headers := make([]sarama.RecordHeader, 0, len(e.Headers)+5)
	for _, h := range e.Headers {
		if h == nil || isDLQHeader(h.Key) {
			continue
		}
		headers = append(headers, cloneHeader(h))
	}
	headers = append(headers, Origin{e.OriginalTopic, e.OriginalPartition, e.OriginalOffset}.headers()...)
	headers = append(headers,
		header(HeaderReplayCount, strconv.Itoa(max(e.ReplayCount, 0)+1)),
		header(HeaderReplayedAt, formatTime(now)),
	)
	return &sarama.ProducerMessage{
		Topic:     e.OriginalTopic,
		Key:       encoder(e.Key),
		Value:     encoder(e.Value),
		Headers:   headers,
		Timestamp: now,
	}
}

// ReplayCount returns how many times the record with these headers was
// replayed: the value of the last HeaderReplayCount header, or 0 when there
// is none or it is not a whole number >= 0.
func ReplayCount(headers []*sarama.RecordHeader) int {
	count := 0
	for _, h := range headers {
		if h == nil || string(h.Key) != HeaderReplayCount {
			continue
		}
		n, err := strconv.Atoi(string(h.Value))
		if err != nil || n < 0 {
			n = 0
		}
		count = n
	}
	return count
}

// Origin locates the record a replay was made from.
type Origin struct {
	Topic     string
	Partition int32
	Offset    int64
}

// headers are o as HeaderOriginalTopic, HeaderOriginalPartition and
// HeaderOriginalOffset.
func (o Origin) headers() []sarama.RecordHeader {
	return []sarama.RecordHeader{
		header(HeaderOriginalTopic, o.Topic),
		header(HeaderOriginalPartition, strconv.FormatInt(int64(o.Partition), 10)),
		header(HeaderOriginalOffset, strconv.FormatInt(o.Offset, 10)),
	}
}

// ReplayOrigin returns the original record a replayed record claims to
// copy, from its HeaderOriginalTopic, HeaderOriginalPartition and
// HeaderOriginalOffset, and false unless it carries each exactly once,
// well formed, together with a replay count above zero. A claim is only a
// claim: anyone can write these headers, so a reader that trusts a replay
// must check the original record itself.
func ReplayOrigin(headers []*sarama.RecordHeader) (Origin, bool) {
	if ReplayCount(headers) == 0 {
		return Origin{}, false
	}
	var (
		o     Origin
		found int
	)
	for _, h := range headers {
		if h == nil {
			continue
		}
		switch string(h.Key) {
		case HeaderOriginalTopic:
			o.Topic = string(h.Value)
		case HeaderOriginalPartition:
			n, err := strconv.ParseInt(string(h.Value), 10, 32)
			if err != nil || n < 0 {
				return Origin{}, false
			}
			o.Partition = int32(n)
		case HeaderOriginalOffset:
			n, err := strconv.ParseInt(string(h.Value), 10, 64)
			if err != nil || n < 0 {
				return Origin{}, false
			}
			o.Offset = n
		default:
			continue
		}
		found++
	}
	if found != 3 || o.Topic == "" {
		return Origin{}, false
	}
	return o, true
}

// PlainHeaders returns headers without the dlq-* ones and without nil
// entries: the headers a record had before any dead-lettering or replay.
func PlainHeaders(headers []*sarama.RecordHeader) []*sarama.RecordHeader {
	plain := make([]*sarama.RecordHeader, 0, len(headers))
	for _, h := range headers {
		if h != nil && !isDLQHeader(h.Key) {
			plain = append(plain, h)
		}
	}
	return plain
}

// isDLQHeader reports whether a header name belongs to this format.
func isDLQHeader(key []byte) bool {
	return bytes.HasPrefix(key, []byte(HeaderPrefix))
}

func header(key, value string) sarama.RecordHeader {
	return sarama.RecordHeader{Key: []byte(key), Value: []byte(value)}
}

// cloneHeader copies h, keeping nil slices nil.
func cloneHeader(h *sarama.RecordHeader) sarama.RecordHeader {
	return sarama.RecordHeader{Key: bytes.Clone(h.Key), Value: bytes.Clone(h.Value)}
}

// encoder returns b as a sarama.Encoder, or nil for a nil b, so that a null
// key or value stays null rather than becoming empty.
func encoder(b []byte) sarama.Encoder {
	if b == nil {
		return nil
	}
	return sarama.ByteEncoder(bytes.Clone(b))
}

// formatTime writes t in UTC as RFC 3339 with nanoseconds.
func formatTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339Nano)
}

func normaliseClass(class string) string {
	if class == ClassTransient {
		return ClassTransient
	}
	return ClassPermanent
}

func normaliseReason(reason failure.Reason) string {
	if failure.Known(string(reason)) {
		return string(reason)
	}
	return string(failure.Other)
}

// truncateMessage makes msg valid UTF-8 and at most MaxMessageBytes long,
// cutting at a character boundary and marking the cut with "…".
func truncateMessage(msg string) string {
	msg = strings.ToValidUTF8(msg, "\uFFFD")
	if len(msg) <= MaxMessageBytes {
		return msg
	}
	const ellipsis = "…"
	cut := MaxMessageBytes - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return msg[:cut] + ellipsis
}
