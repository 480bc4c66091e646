package dlq

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/IBM/sarama"

	"ticket-processor/internal/failure"
)

// ErrInvalidRecord is matched (with errors.Is) by every error [Parse]
// returns.
var ErrInvalidRecord = errors.New("invalid dead-letter record")

// ErrMissingHeader means a required dlq-* header is absent. It wraps
// [ErrInvalidRecord].
var ErrMissingHeader = fmt.Errorf("%w: missing header", ErrInvalidRecord)

// ErrBadHeader means a dlq-* header has a value that does not parse or is
// out of range, or appears more than once. It wraps [ErrInvalidRecord].
var ErrBadHeader = fmt.Errorf("%w: bad header", ErrInvalidRecord)

// HeaderError names one missing or bad header of a dead-letter record.
type HeaderError struct {
	// Header is the header name, e.g. "dlq-attempts".
	Header string
	// Value is the header's value (empty when missing).
	Value []byte
	// Missing is true when the header is absent.
	Missing bool
	// Want says what the value should be, e.g. "a whole number >= 0".
	Want string
}

// Error returns e.g. "header dlq-attempts is missing" or
// `header dlq-attempts="many": want a whole number >= 0`.
func (e *HeaderError) Error() string {
	if e.Missing {
		return "header " + e.Header + " is missing"
	}
	return fmt.Sprintf("header %s=%s: want %s", e.Header, quote(e.Value), e.Want)
}

// Unwrap returns [ErrMissingHeader] or [ErrBadHeader].
func (e *HeaderError) Unwrap() error {
	if e.Missing {
		return ErrMissingHeader
	}
	return ErrBadHeader
}

// ParseError is the error [Parse] returns for a record it cannot read: where
// the record is and every header that is wrong.
type ParseError struct {
	// Topic, Partition and Offset locate the dead-letter record.
	Topic     string
	Partition int32
	Offset    int64
	// Headers lists each missing or bad header, in the order of the format.
	Headers []*HeaderError
}

// Error returns e.g. "invalid dead-letter record tickets.dlq/0@12: header
// dlq-attempts is missing; header dlq-error-class="fatal": want permanent or
// transient".
// When every required header is missing it says so in one phrase.
func (e *ParseError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s/%d@%d", ErrInvalidRecord, e.Topic, e.Partition, e.Offset)
	if e.allMissing() {
		b.WriteString(": no dlq-* headers")
		return b.String()
	}
	for i, h := range e.Headers {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(h.Error())
	}
	return b.String()
}

// allMissing reports whether every required header is missing.
func (e *ParseError) allMissing() bool {
	if len(e.Headers) != requiredHeaders {
		return false
	}
	for _, h := range e.Headers {
		if !h.Missing {
			return false
		}
	}
	return true
}

// Unwrap returns the header errors, so errors.Is matches [ErrMissingHeader],
// [ErrBadHeader] and [ErrInvalidRecord], and errors.As finds a [*HeaderError].
func (e *ParseError) Unwrap() []error {
	if len(e.Headers) == 0 {
		return []error{ErrInvalidRecord}
	}
	errs := make([]error, len(e.Headers))
	for i, h := range e.Headers {
		errs[i] = h
	}
	return errs
}

// Entry is a parsed dead-letter record.
type Entry struct {
	// DLQTopic, DLQPartition and DLQOffset locate the dead-letter record.
	DLQTopic     string
	DLQPartition int32
	DLQOffset    int64

	// OriginalTopic, OriginalPartition, OriginalOffset and
	// OriginalTimestamp describe the record that was dead-lettered.
	OriginalTopic     string
	OriginalPartition int32
	OriginalOffset    int64
	OriginalTimestamp time.Time

	// Failure is why it was dead-lettered.
	Failure Failure
	// ConsumerGroup is the group that dead-lettered it.
	ConsumerGroup string
	// DeadLetteredAt is when the dead-letter record was built.
	DeadLetteredAt time.Time
	// ReplayCount is how many times the ticket had been replayed before
	// this dead-lettering.
	ReplayCount int
	// ReplayedAt is when it was last replayed; zero if never.
	ReplayedAt time.Time

	// Key and Value are the original record's, byte for byte (the order id
	// is the key).
	Key, Value []byte
	// Headers are the original record's headers, without any dlq-* header.
	Headers []*sarama.RecordHeader
}

// Parse reads a dead-letter record. Every time is returned in UTC. It
// returns a [*ParseError] naming every missing or bad header; the Entry then
// still holds the record's position, key, value and non-dlq headers. Parse
// never panics, whatever the bytes. Key, Value and Headers share memory with
// msg.
func Parse(msg *sarama.ConsumerMessage) (Entry, error) {
	if msg == nil {
		return Entry{}, fmt.Errorf("%w: no message", ErrInvalidRecord)
	}
	e := Entry{
		DLQTopic:     msg.Topic,
		DLQPartition: msg.Partition,
		DLQOffset:    msg.Offset,
		Key:          msg.Key,
		Value:        msg.Value,
	}
	r := headerReader{values: make(map[string][][]byte)}
	for _, h := range msg.Headers {
		if h == nil {
			continue
		}
		if isDLQHeader(h.Key) {
			r.values[string(h.Key)] = append(r.values[string(h.Key)], h.Value)
			continue
		}
		e.Headers = append(e.Headers, h)
	}

	e.OriginalTopic = r.text(HeaderOriginalTopic, true)
	e.OriginalPartition = int32(r.number(HeaderOriginalPartition, 1<<31-1))
	e.OriginalOffset = r.number(HeaderOriginalOffset, 1<<63-1)
	e.OriginalTimestamp = r.time(HeaderOriginalTimestamp, true)
	e.Failure.Class = r.class(HeaderErrorClass)
	e.Failure.Reason = failure.Reason(r.reason(HeaderErrorReason))
	e.Failure.Message = r.message(HeaderErrorMessage)
	e.Failure.Attempts = int(r.number(HeaderAttempts, 1<<31-1))
	e.Failure.FirstFailure = r.time(HeaderFirstFailure, true)
	e.Failure.LastFailure = r.time(HeaderLastFailure, true)
	e.ConsumerGroup = r.text(HeaderConsumerGroup, false)
	e.DeadLetteredAt = r.time(HeaderDeadLetteredAt, true)
	e.ReplayCount = int(r.number(HeaderReplayCount, 1<<31-1))
	e.ReplayedAt = r.time(HeaderReplayedAt, false)
	e.Failure.Sequence = r.sequence()

	if len(r.errs) > 0 {
		return e, &ParseError{Topic: msg.Topic, Partition: msg.Partition, Offset: msg.Offset, Headers: r.errs}
	}
	return e, nil
}

// requiredHeaders is how many headers Parse requires: all but
// HeaderReplayedAt.
const requiredHeaders = 13

// headerReader reads the dlq-* headers of one record, collecting an error
// for each one that is missing, repeated or bad.
type headerReader struct {
	values map[string][][]byte
	errs   []*HeaderError
}

// get returns the single value of name; ok is false (and an error is
// recorded unless the header is optional and absent) otherwise.
func (r *headerReader) get(name string, required bool) (value []byte, ok bool) {
	values := r.values[name]
	switch len(values) {
	case 0:
		if required {
			r.errs = append(r.errs, &HeaderError{Header: name, Missing: true})
		}
		return nil, false
	case 1:
		return values[0], true
	default:
		r.errs = append(r.errs, &HeaderError{Header: name, Value: values[len(values)-1],
			Want: fmt.Sprintf("one header, found %d", len(values))})
		return nil, false
	}
}

func (r *headerReader) bad(name string, value []byte, want string) {
	r.errs = append(r.errs, &HeaderError{Header: name, Value: value, Want: want})
}

// text reads a UTF-8 string; nonEmpty rejects "". Every header but
// dlq-replayed-at is required.
func (r *headerReader) text(name string, nonEmpty bool) string {
	v, ok := r.get(name, true)
	if !ok {
		return ""
	}
	switch {
	case !utf8.Valid(v):
		r.bad(name, v, "valid UTF-8")
		return ""
	case nonEmpty && len(v) == 0:
		r.bad(name, v, "a non-empty value")
		return ""
	}
	return string(v)
}

// number reads a whole number in [0, limit].
func (r *headerReader) number(name string, limit int64) int64 {
	v, ok := r.get(name, true)
	if !ok {
		return 0
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil || n < 0 || n > limit {
		r.bad(name, v, fmt.Sprintf("a whole number from 0 to %d", limit))
		return 0
	}
	return n
}

// sequence reads the optional pair HeaderExpectedSequence and
// HeaderActualSequence: both or neither.
func (r *headerReader) sequence() *SequenceMismatch {
	_, hasExpected := r.values[HeaderExpectedSequence]
	_, hasActual := r.values[HeaderActualSequence]
	if !hasExpected && !hasActual {
		return nil
	}
	var m SequenceMismatch
	ok := true
	for _, f := range []struct {
		name string
		to   *uint64
	}{{HeaderExpectedSequence, &m.Expected}, {HeaderActualSequence, &m.Actual}} {
		v, present := r.get(f.name, true)
		if !present {
			ok = false
			continue
		}
		n, err := strconv.ParseUint(string(v), 10, 64)
		if err != nil {
			r.bad(f.name, v, "a whole number from 0 to 18446744073709551615")
			ok = false
			continue
		}
		*f.to = n
	}
	if !ok {
		return nil
	}
	return &m
}

// time reads an RFC 3339 time and returns it in UTC.
func (r *headerReader) time(name string, required bool) time.Time {
	v, ok := r.get(name, required)
	if !ok {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, string(v))
	if err != nil {
		r.bad(name, v, "an RFC 3339 time such as 2025-06-01T07:00:00.123456789Z")
		return time.Time{}
	}
	return t.UTC()
}

func (r *headerReader) class(name string) string {
	v, ok := r.get(name, true)
	if !ok {
		return ""
	}
	if s := string(v); s == ClassPermanent || s == ClassTransient {
		return s
	}
	r.bad(name, v, ClassPermanent+" or "+ClassTransient)
	return ""
}

// reason accepts any non-empty lower-case token, so that a reason added by a
// newer consumer can still be read.
func (r *headerReader) reason(name string) string {
	v, ok := r.get(name, true)
	if !ok {
		return ""
	}
	if len(v) == 0 || len(v) > 64 || strings.TrimLeft(string(v), "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
		r.bad(name, v, "a reason such as "+strings.Join(failure.Strings(), ", "))
		return ""
	}
	return string(v)
}

// message reads the error message leniently: it is for people, so invalid
// UTF-8 is replaced rather than rejected.
func (r *headerReader) message(name string) string {
	v, ok := r.get(name, true)
	if !ok {
		return ""
	}
	return strings.ToValidUTF8(string(v), "\uFFFD")
}

// quote returns v as a Go string literal, cut to 64 bytes, for an error
// message.
func quote(v []byte) string {
	const limit = 64
	if len(v) > limit {
		return strconv.Quote(string(v[:limit])) + "…"
	}
	return strconv.Quote(string(v))
}
