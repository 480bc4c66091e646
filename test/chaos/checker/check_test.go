package checker

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCheckCountsEachKind builds runs with one kind of defect each (or
// none) and asserts that exactly that kind, and no other, is counted.
func TestCheckCountsEachKind(t *testing.T) {
	tests := []struct {
		name  string
		build func(f *fixture)
		opts  Options
		want  map[Kind]int
	}{
		{
			name: "clean run",
			build: func(f *fixture) {
				f.processAll(f.produceAll(3, "ord-a", "ord-b"))
			},
			want: nil,
		},
		{
			name: "lost ticket",
			build: func(f *fixture) {
				in := f.produceAll(3, "ord-a")
				f.process(in[0])
				f.process(in[2])
			},
			want: map[Kind]int{KindLost: 1},
		},
		{
			name: "dead-lettered ticket is not lost and leaves the order in sequence",
			build: func(f *fixture) {
				in := f.produceAll(3, "ord-a")
				f.process(in[0])
				f.deadLetter(in[1], "retries_exhausted")
				f.process(in[2])
			},
			want: nil,
		},
		{
			name: "bad record dead-lettered",
			build: func(f *fixture) {
				f.processAll(f.produceAll(2, "ord-a"))
				f.deadLetter(f.bad("not json at all"), "malformed")
				f.deadLetter(f.bad(`{"ticket_id":"x","order_id":"ord-z","sequence":0}`), "invalid_field")
			},
			want: nil,
		},
		{
			name: "bad record not dead-lettered is lost",
			build: func(f *fixture) {
				f.processAll(f.produceAll(2, "ord-a"))
				f.bad("not json at all")
			},
			want: map[Kind]int{KindLost: 1},
		},
		{
			name: "bad record processed instead of dead-lettered is lost and a phantom",
			build: func(f *fixture) {
				bad := f.bad(`["an", "array"]`)
				f.write(outputTopic, 0, "", bad.Value, f.tick())
			},
			want: map[Kind]int{KindLost: 1, KindPhantom: 1},
		},
		{
			name: "duplicated in the output",
			build: func(f *fixture) {
				in := f.produceAll(3, "ord-a")
				f.processAll(in)
				f.process(in[1])
			},
			want: map[Kind]int{KindDuplicated: 1},
		},
		{
			name: "redelivery after a crash duplicates without reordering",
			build: func(f *fixture) {
				in := f.produceAll(3, "ord-a")
				f.processAll(in)
				f.processAll(in[1:])
			},
			want: map[Kind]int{KindDuplicated: 2},
		},
		{
			name: "reordered in the output",
			build: func(f *fixture) {
				in := f.produceAll(3, "ord-a")
				f.process(in[0])
				f.process(in[2])
				f.process(in[1])
			},
			want: map[Kind]int{KindReordered: 1},
		},
		{
			name: "reordered around a dead-lettered ticket",
			build: func(f *fixture) {
				in := f.produceAll(3, "ord-a")
				f.deadLetter(in[0], "invalid_field")
				f.process(in[2])
				f.process(in[1])
			},
			want: map[Kind]int{KindReordered: 1},
		},
		{
			name: "an order's output on two partitions is reordered",
			build: func(f *fixture) {
				in := f.produceAll(2, "ord-a")
				f.process(in[0])
				f.write(outputTopic, partitionOf("ord-a")+1, "ord-a", processedValue(in[1].Value), f.tick())
			},
			want: map[Kind]int{KindReordered: 1},
		},
		{
			name: "gap in the input",
			build: func(f *fixture) {
				f.process(f.produce("ord-a", 1))
				f.process(f.produce("ord-a", 3))
				f.process(f.produce("ord-a", 4))
			},
			want: map[Kind]int{KindInputGap: 1},
		},
		{
			name: "duplicate in the input",
			build: func(f *fixture) {
				in := f.produceAll(2, "ord-a")
				f.produce("ord-a", 2)
				f.processAll(in)
			},
			want: map[Kind]int{KindInputDuplicate: 1},
		},
		{
			name: "reordered in the input",
			build: func(f *fixture) {
				two := f.produce("ord-a", 2)
				one := f.produce("ord-a", 1)
				f.process(one)
				f.process(two)
			},
			want: map[Kind]int{KindInputReordered: 1},
		},
		{
			name: "phantom output: unknown ticket, not a ticket, changed sequence",
			build: func(f *fixture) {
				in := f.produceAll(2, "ord-a")
				f.processAll(in)
				f.write(outputTopic, 0, "ord-x", processedValue(ticketValue("ord-x", 1)), f.tick())
				f.write(outputTopic, 0, "ord-a", []byte("{}"), f.tick())
				changed := []byte(`{"ticket_id":"` + ticketID("ord-a", 2) + `","order_id":"ord-a","sequence":7}`)
				f.write(outputTopic, partitionOf("ord-a"), "ord-a", changed, f.tick())
			},
			want: map[Kind]int{KindPhantom: 3},
		},
		{
			name: "phantom dead letters: unknown position, changed value, no headers",
			build: func(f *fixture) {
				in := f.produceAll(1, "ord-a")
				f.processAll(in)
				f.write(deadTopic, 0, "", []byte("x"), f.tick(), deadLetterHeaders(Position{Topic: inputTopic, Partition: 0, Offset: 999}, "malformed")...)
				f.write(deadTopic, 0, "", []byte("y"), f.tick(), deadLetterHeaders(in[0].Position(), "malformed")...)
				f.write(deadTopic, 0, "", []byte("z"), f.tick())
				f.write(deadTopic, 0, "", ticketValue("ord-x", 1), f.tick())
			},
			want: map[Kind]int{KindPhantomDeadLetter: 4},
		},
		{
			name: "dead letter from another topic is a phantom",
			build: func(f *fixture) {
				in := f.produceAll(1, "ord-a")
				f.processAll(in)
				other := in[0].Position()
				other.Topic = "elsewhere"
				f.write(deadTopic, 0, "", in[0].Value, f.tick(), deadLetterHeaders(other, "malformed")...)
			},
			want: map[Kind]int{KindPhantomDeadLetter: 1},
		},
		{
			name: "dead letter without headers found by its ticket id",
			build: func(f *fixture) {
				in := f.produceAll(2, "ord-a")
				f.process(in[0])
				f.write(deadTopic, 0, "ord-a", in[1].Value, f.tick())
			},
			want: nil,
		},
		{
			name: "bad record dead-lettered twice",
			build: func(f *fixture) {
				bad := f.bad("garbage")
				f.deadLetter(bad, "malformed")
				f.deadLetter(bad, "malformed")
			},
			want: map[Kind]int{KindDuplicatedDeadLetter: 1},
		},
		{
			name: "ticket both published and dead-lettered",
			build: func(f *fixture) {
				in := f.produceAll(2, "ord-a")
				f.processAll(in)
				f.deadLetter(in[1], "retries_exhausted")
			},
			want: map[Kind]int{KindOutputAndDeadLetter: 1},
		},
		{
			name: "producer acknowledged more than the input holds",
			build: func(f *fixture) {
				f.processAll(f.produceAll(2, "ord-a", "ord-b"))
			},
			opts: Options{ProducerAcked: 6},
			want: map[Kind]int{KindAckedMissing: 2},
		},
		{
			name: "producer acknowledged what the input holds",
			build: func(f *fixture) {
				f.processAll(f.produceAll(2, "ord-a", "ord-b"))
			},
			opts: Options{ProducerAcked: 4},
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture()
			tt.build(f)
			r := f.check(tt.opts)
			for _, k := range Kinds() {
				assert.Equal(t, tt.want[k], r.Count(k), "%s: %v", k, r.Examples(k, -1))
			}
		})
	}
}

func TestCheckCountsRecords(t *testing.T) {
	f := newFixture()
	in := f.produceAll(2, "ord-a", "ord-b", "ord-c")
	f.processAll(in[1:])
	f.deadLetter(in[0], "retries_exhausted")
	f.deadLetter(f.bad("nope"), "malformed")
	f.deadLetter(f.bad("{"), "malformed")

	r := f.check(Options{ProducerAcked: 6})

	assert.Equal(t, 8, r.InputRecords)
	assert.Equal(t, 6, r.InputTickets)
	assert.Equal(t, 2, r.InputBadRecords)
	assert.Equal(t, 3, r.InputOrders)
	assert.Equal(t, 5, r.OutputRecords)
	assert.Equal(t, 3, r.DeadLetters)
	assert.Equal(t, int64(6), r.ProducerAcked)
	assert.Equal(t, map[string]int{"retries_exhausted": 1, "malformed": 2}, r.DeadLetterReasons)
	for _, k := range Kinds() {
		assert.Zero(t, r.Count(k), k)
	}
}

// TestCheckDescribesDefects asserts that each defect names the records a
// person would look for.
func TestCheckDescribesDefects(t *testing.T) {
	f := newFixture()
	a := f.produceAll(4, "ord-a")
	bad := f.bad("garbage")
	b1 := f.produce("ord-b", 1)
	b3 := f.produce("ord-b", 3)
	f.process(a[0])
	f.process(a[2])
	f.process(a[1])
	first := f.processAt(a[2], at(5))
	second := f.processAt(a[2], at(4))
	f.process(b1)
	f.process(b3)

	r := f.check(Options{})

	require.Len(t, r.Lost, 2)
	assert.Equal(t, Lost{Input: a[3].Position(), TicketID: ticketID("ord-a", 4), OrderID: "ord-a", Sequence: 4}, r.Lost[0])
	assert.Equal(t, Lost{Input: bad.Position(), BadRecord: true}, r.Lost[1])

	require.Len(t, r.Reordered, 1)
	assert.Equal(t, "ord-a", r.Reordered[0].OrderID)
	assert.Equal(t, []uint64{1, 3, 2}, r.Reordered[0].Sequences)
	assert.Equal(t, 1, r.Reordered[0].Partitions)

	require.Len(t, r.Duplicated, 1)
	d := r.Duplicated[0]
	assert.Equal(t, ticketID("ord-a", 3), d.TicketID)
	assert.Equal(t, a[2].Position(), d.Input)
	require.Len(t, d.Copies, 3)
	assert.Equal(t, second.Position(), d.Copies[1].Position, "copies are in timestamp order")
	assert.Equal(t, first.Position(), d.Copies[2].Position, "copies are in timestamp order")

	require.Len(t, r.InputGaps, 1)
	assert.Equal(t, Gap{OrderID: "ord-b", Missing: []uint64{2}, Highest: 3}, r.InputGaps[0])

	assert.Equal(t, []string{"order ord-b: missing seq 2 below 3"}, r.Examples(KindInputGap, 5))
	assert.Len(t, r.Examples(KindLost, 1), 1, "examples are capped")
	assert.Len(t, r.Examples(KindLost, -1), 2)
}

// TestCheckIgnoresArgumentOrder asserts that records handed over in any
// order give the same report, since a reader may return partitions in any
// order.
func TestCheckIgnoresArgumentOrder(t *testing.T) {
	f := newFixture()
	in := f.produceAll(3, "ord-a", "ord-b", "ord-c")
	f.processAll(in)
	f.process(in[4])

	want := f.check(Options{})
	reversed := func(records []Record) []Record {
		out := make([]Record, len(records))
		for i, r := range records {
			out[len(records)-1-i] = r
		}
		return out
	}
	got := Check(reversed(f.input), reversed(f.output), reversed(f.dead), Options{})

	assert.Equal(t, want, got)
	assert.Equal(t, 1, got.Count(KindDuplicated))
}

func TestDecodeTicket(t *testing.T) {
	tests := []struct {
		name  string
		value string
		want  ticket
		ok    bool
	}{
		{"input ticket", string(ticketValue("ord-a", 2)), ticket{ID: ticketID("ord-a", 2), OrderID: "ord-a", Sequence: 2}, true},
		{"processed ticket", string(processedValue(ticketValue("ord-a", 1))), ticket{ID: ticketID("ord-a", 1), OrderID: "ord-a", Sequence: 1}, true},
		{"minimal", `{"ticket_id":"t","order_id":"o","sequence":18446744073709551615}`, ticket{ID: "t", OrderID: "o", Sequence: 18446744073709551615}, true},
		{"not json", `garbage`, ticket{}, false},
		{"empty", ``, ticket{}, false},
		{"null", `null`, ticket{}, false},
		{"array", `[1]`, ticket{}, false},
		{"trailing data", `{"ticket_id":"t","order_id":"o","sequence":1} {}`, ticket{}, false},
		{"no ticket_id", `{"order_id":"o","sequence":1}`, ticket{}, false},
		{"empty order_id", `{"ticket_id":"t","order_id":"","sequence":1}`, ticket{}, false},
		{"numeric order_id", `{"ticket_id":"t","order_id":5,"sequence":1}`, ticket{}, false},
		{"sequence zero", `{"ticket_id":"t","order_id":"o","sequence":0}`, ticket{}, false},
		{"sequence negative", `{"ticket_id":"t","order_id":"o","sequence":-1}`, ticket{}, false},
		{"sequence quoted", `{"ticket_id":"t","order_id":"o","sequence":"1"}`, ticket{}, false},
		{"sequence fractional", `{"ticket_id":"t","order_id":"o","sequence":1.5}`, ticket{}, false},
		{"sequence too large", `{"ticket_id":"t","order_id":"o","sequence":18446744073709551616}`, ticket{}, false},
		{"sequence missing", `{"ticket_id":"t","order_id":"o"}`, ticket{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := decodeTicket([]byte(tt.value))
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}
