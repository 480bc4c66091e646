package checker

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// Record is one Kafka record as the checker sees it: where it is, what it
// holds and when it was written. [ReadTopics] fills it from a broker; unit
// tests build it by hand.
type Record struct {
	// Topic, Partition and Offset place the record.
	Topic     string
	Partition int32
	Offset    int64
	// Key and Value are the record's bytes; nil stays nil.
	Key, Value []byte
	// Headers are the record's headers, in order.
	Headers []Header
	// Timestamp is the record's timestamp: the producer's create time, or
	// the broker's append time on a topic configured for it.
	Timestamp time.Time
}

// Position returns where r is.
func (r Record) Position() Position {
	return Position{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset}
}

// Header returns the value of r's last header named key, and whether there
// is one.
func (r Record) Header(key string) (string, bool) {
	for i := len(r.Headers) - 1; i >= 0; i-- {
		if r.Headers[i].Key == key {
			return r.Headers[i].Value, true
		}
	}
	return "", false
}

// Header is one record header. Strings hold arbitrary bytes in Go, so a
// binary header survives the conversion.
type Header struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Position is where a record is in Kafka.
type Position struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Offset    int64  `json:"offset"`
}

// String writes p as topic/partition@offset.
func (p Position) String() string {
	return fmt.Sprintf("%s/%d@%d", p.Topic, p.Partition, p.Offset)
}

// comparePositions orders positions by topic, partition and offset.
func comparePositions(a, b Position) int {
	return cmp.Or(cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition), cmp.Compare(a.Offset, b.Offset))
}

// sortedByPosition returns a copy of records in topic, partition and offset
// order, so that a caller's order of records cannot change the report.
func sortedByPosition(records []Record) []Record {
	sorted := slices.Clone(records)
	slices.SortStableFunc(sorted, func(a, b Record) int { return comparePositions(a.Position(), b.Position()) })
	return sorted
}

// Header names of the consumer's dead-letter records that the checker reads.
// They are written out here rather than imported so that the checker shares
// no code with the pipeline it checks.
const (
	headerOriginalTopic     = "dlq-original-topic"
	headerOriginalPartition = "dlq-original-partition"
	headerOriginalOffset    = "dlq-original-offset"
	headerErrorReason       = "dlq-error-reason"
)

// originalPosition reads where a dead-letter record's original was read,
// from its headers. ok is false when a header is missing or not a number.
func originalPosition(r Record) (Position, bool) {
	topic, okTopic := r.Header(headerOriginalTopic)
	partition, okPartition := r.Header(headerOriginalPartition)
	offset, okOffset := r.Header(headerOriginalOffset)
	if !okTopic || !okPartition || !okOffset {
		return Position{}, false
	}
	p, err := strconv.ParseInt(partition, 10, 32)
	if err != nil {
		return Position{}, false
	}
	o, err := strconv.ParseInt(offset, 10, 64)
	if err != nil {
		return Position{}, false
	}
	return Position{Topic: topic, Partition: int32(p), Offset: o}, true
}

// ticket is the little of a ticket the checker needs: which ticket, which
// order, and where in the order.
type ticket struct {
	ID       string
	OrderID  string
	Sequence uint64
}

// decodeTicket is the checker's own minimal ticket reader, for input and
// output values alike. A value is a ticket when it is one JSON object whose
// "ticket_id" and "order_id" are non-empty strings and whose "sequence" is
// a whole number >= 1 written as plain digits. Every other field is
// ignored, and so is every other rule the consumer applies: a value that
// passes here but not there is dead-lettered, which accounts for it.
func decodeTicket(value []byte) (ticket, bool) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(value, &fields); err != nil || fields == nil {
		return ticket{}, false
	}
	var t ticket
	if json.Unmarshal(fields["ticket_id"], &t.ID) != nil || t.ID == "" {
		return ticket{}, false
	}
	if json.Unmarshal(fields["order_id"], &t.OrderID) != nil || t.OrderID == "" {
		return ticket{}, false
	}
	seq, err := strconv.ParseUint(string(fields["sequence"]), 10, 64)
	if err != nil || seq < 1 {
		return ticket{}, false
	}
	t.Sequence = seq
	return t, true
}
