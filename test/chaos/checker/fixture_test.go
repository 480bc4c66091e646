package checker

import (
	"fmt"
	"hash/crc32"
	"strconv"
	"time"
)

// The topic names of the constructed runs.
const (
	inputTopic  = "tickets"
	outputTopic = "tickets.processed"
	deadTopic   = "tickets.dlq"
)

// base is the wall-clock time constructed runs start at.
var base = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// at returns base plus seconds.
func at(seconds float64) time.Time {
	return base.Add(time.Duration(seconds * float64(time.Second)))
}

// fixture builds the three topics of one run by hand, assigning offsets
// per partition as Kafka would.
type fixture struct {
	input, output, dead []Record
	next                map[string]map[int32]int64
	clock               time.Time
}

func newFixture() *fixture {
	return &fixture{next: make(map[string]map[int32]int64), clock: base}
}

// tick returns the fixture's clock and moves it on by 10 ms, so that
// records written without an explicit time get increasing timestamps.
func (f *fixture) tick() time.Time {
	t := f.clock
	f.clock = f.clock.Add(10 * time.Millisecond)
	return t
}

func (f *fixture) write(topic string, partition int32, key string, value []byte, ts time.Time, headers ...Header) Record {
	if f.next[topic] == nil {
		f.next[topic] = make(map[int32]int64)
	}
	offset := f.next[topic][partition]
	f.next[topic][partition]++
	r := Record{Topic: topic, Partition: partition, Offset: offset, Key: []byte(key), Value: value, Headers: headers, Timestamp: ts}
	switch topic {
	case inputTopic:
		f.input = append(f.input, r)
	case outputTopic:
		f.output = append(f.output, r)
	default:
		f.dead = append(f.dead, r)
	}
	return r
}

// partitionOf puts orders on partitions the way a keyed producer would:
// always the same one for the same order.
func partitionOf(order string) int32 {
	var sum int32
	for _, c := range order {
		sum += c
	}
	return sum % 3
}

func ticketID(order string, seq uint64) string {
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", crc32.ChecksumIEEE([]byte(order)), seq)
}

func ticketValue(order string, seq uint64) []byte {
	return fmt.Appendf(nil, `{"ticket_id":%q,"order_id":%q,"customer_id":"cust-1","sequence":%d,"type":"updated","amount":100,"currency":"EUR","created_at":"2026-03-01T12:00:00Z","schema_version":1}`,
		ticketID(order, seq), order, seq)
}

// produce writes ticket seq of order to the input.
func (f *fixture) produce(order string, seq uint64) Record {
	return f.write(inputTopic, partitionOf(order), order, ticketValue(order, seq), f.tick())
}

// produceAll writes tickets 1..n of each order, interleaved.
func (f *fixture) produceAll(n uint64, orders ...string) []Record {
	var records []Record
	for seq := uint64(1); seq <= n; seq++ {
		for _, order := range orders {
			records = append(records, f.produce(order, seq))
		}
	}
	return records
}

// bad writes a record that is not a ticket to the input.
func (f *fixture) bad(value string) Record {
	return f.write(inputTopic, 0, "", []byte(value), f.tick())
}

// process writes the processed form of input ticket in to the output.
func (f *fixture) process(in Record) Record { return f.processAt(in, f.tick()) }

func (f *fixture) processAt(in Record, ts time.Time) Record {
	t, ok := decodeTicket(in.Value)
	if !ok {
		panic("fixture: process of a bad record")
	}
	return f.write(outputTopic, partitionOf(t.OrderID), t.OrderID, processedValue(in.Value), ts)
}

// processAll writes the processed form of each input ticket, in order.
func (f *fixture) processAll(records []Record) {
	for _, r := range records {
		f.process(r)
	}
}

func processedValue(ticket []byte) []byte {
	v := append([]byte(nil), ticket[:len(ticket)-1]...)
	return append(v, `,"processed_at":"2026-03-01T12:00:01Z","order_status":"open","order_total":100}`...)
}

// deadLetter writes in to the dead-letter topic as the consumer does.
func (f *fixture) deadLetter(in Record, reason string) Record {
	return f.deadLetterAt(in, reason, f.tick())
}

func (f *fixture) deadLetterAt(in Record, reason string, ts time.Time) Record {
	return f.write(deadTopic, 0, string(in.Key), in.Value, ts, deadLetterHeaders(in.Position(), reason)...)
}

func deadLetterHeaders(original Position, reason string) []Header {
	return []Header{
		{Key: "trace", Value: "kept"},
		{Key: headerOriginalTopic, Value: original.Topic},
		{Key: headerOriginalPartition, Value: strconv.Itoa(int(original.Partition))},
		{Key: headerOriginalOffset, Value: strconv.FormatInt(original.Offset, 10)},
		{Key: headerErrorReason, Value: reason},
	}
}

func (f *fixture) check(opts Options) Report {
	return Check(f.input, f.output, f.dead, opts)
}
