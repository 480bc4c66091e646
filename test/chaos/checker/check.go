package checker

import (
	"bytes"
	"slices"
	"time"
)

// Options tune [Check].
type Options struct {
	// ProducerAcked is how many tickets the producer reported acknowledged,
	// from its final log line or its metrics. Zero or less means unknown,
	// and the acked_missing check is skipped.
	ProducerAcked int64
}

// Report is what [Check] found: counts of what the topics hold, and every
// defect, one list per kind. Nothing in it is a verdict; [Judge] turns it
// into one for a processing guarantee.
type Report struct {
	// InputRecords is every record of the input topic; it is InputTickets
	// plus InputBadRecords plus the repeats listed in InputDuplicates.
	InputRecords int `json:"input_records"`
	// InputTickets is how many distinct tickets (ticket ids) the input holds.
	InputTickets int `json:"input_tickets"`
	// InputBadRecords is how many input records are not tickets.
	InputBadRecords int `json:"input_bad_records"`
	// InputOrders is how many orders the input tickets belong to.
	InputOrders int `json:"input_orders"`
	// ProducerAcked is Options.ProducerAcked, when it was known.
	ProducerAcked int64 `json:"producer_acked,omitempty"`
	// OutputRecords is every record of the output topic.
	OutputRecords int `json:"output_records"`
	// DeadLetters is every record of the dead-letter topic.
	DeadLetters int `json:"dead_letters"`
	// DeadLetterReasons counts dead letters by their reason header; "" is
	// for those without one.
	DeadLetterReasons map[string]int `json:"dead_letter_reasons"`

	// Lost lists input records in neither the output nor the dead-letter
	// topic: tickets (by ticket id) and bad records (by position).
	Lost []Lost `json:"lost"`
	// AckedMissing is how many more tickets the producer reported
	// acknowledged than the input holds; 0 when it is not more, or unknown.
	AckedMissing int64 `json:"acked_missing"`
	// Duplicated lists tickets the output holds more than once.
	Duplicated []Duplicate `json:"duplicated"`
	// DuplicatedDeadLetters lists input records dead-lettered more than once.
	DuplicatedDeadLetters []Duplicate `json:"duplicated_dead_letters"`
	// OutputAndDeadLetter lists tickets that are both in the output and in
	// the dead-letter topic: written once too often, like a duplicate.
	OutputAndDeadLetter []Duplicate `json:"output_and_dead_letter"`
	// Reordered lists orders whose tickets' first occurrences in the output
	// are not in increasing sequence order, or are spread over partitions.
	Reordered []Reordering `json:"reordered"`
	// InputGaps lists orders whose sequence numbers in the input skip some.
	InputGaps []Gap `json:"input_gaps"`
	// InputDuplicates lists tickets the input holds more than once.
	InputDuplicates []Duplicate `json:"input_duplicates"`
	// InputReordered lists orders that are out of sequence in the input.
	InputReordered []Reordering `json:"input_reordered"`
	// Phantoms lists output records that no input ticket accounts for.
	Phantoms []Phantom `json:"phantoms"`
	// PhantomDeadLetters lists dead letters that no input record accounts for.
	PhantomDeadLetters []Phantom `json:"phantom_dead_letters"`
}

// Lost is an input record that reached neither the output nor the
// dead-letter topic.
type Lost struct {
	// Input is where the record is in the input; for a ticket the input
	// holds more than once, the first place.
	Input Position `json:"input"`
	// BadRecord is true for a record that is not a ticket; the ticket
	// fields are then empty.
	BadRecord bool   `json:"bad_record,omitempty"`
	TicketID  string `json:"ticket_id,omitempty"`
	OrderID   string `json:"order_id,omitempty"`
	Sequence  uint64 `json:"sequence,omitempty"`
}

// Duplicate is one ticket, or one bad input record, written more than once.
type Duplicate struct {
	// TicketID, OrderID and Sequence name the ticket; they are empty for a
	// bad record dead-lettered more than once.
	TicketID string `json:"ticket_id,omitempty"`
	OrderID  string `json:"order_id,omitempty"`
	Sequence uint64 `json:"sequence,omitempty"`
	// Input is where the original is in the input (the first place for a
	// ticket the input holds more than once).
	Input Position `json:"input"`
	// Copies are the records holding it, in order of timestamp.
	Copies []Copy `json:"copies"`
}

// Copy is one record among a duplicate's copies.
type Copy struct {
	Position
	Timestamp time.Time `json:"timestamp"`
}

// Reordering is one order whose tickets are out of sequence in a topic.
type Reordering struct {
	OrderID string `json:"order_id"`
	// Sequences are the order's sequence numbers at their first occurrence,
	// in the order a reader of the topic meets them (partition, then offset).
	Sequences []uint64 `json:"sequences"`
	// Positions are where those first occurrences are, index for index.
	Positions []Position `json:"positions"`
	// Partitions is how many partitions the order's records are on; more
	// than one is a reordering in itself, since nothing orders records
	// across partitions.
	Partitions int `json:"partitions"`
}

// Gap is one order whose input skips sequence numbers.
type Gap struct {
	OrderID string `json:"order_id"`
	// Missing are the sequence numbers below Highest that the input lacks.
	Missing []uint64 `json:"missing"`
	// Highest is the order's highest sequence number in the input.
	Highest uint64 `json:"highest"`
}

// Phantom is an output record or a dead letter that nothing in the input
// accounts for.
type Phantom struct {
	// At is where the phantom is.
	At Position `json:"at"`
	// TicketID, OrderID and Sequence are what the record claims to be, when
	// it is a ticket.
	TicketID string `json:"ticket_id,omitempty"`
	OrderID  string `json:"order_id,omitempty"`
	Sequence uint64 `json:"sequence,omitempty"`
	// Why says what does not match.
	Why string `json:"why"`
}

// The reasons a record is a phantom.
const (
	whyNotTicket        = "not a ticket"
	whyUnknownTicket    = "ticket_id not in the input"
	whyDiffers          = "order_id or sequence differs from the input ticket"
	whyUnknownPosition  = "original position not in the input"
	whyValueDiffers     = "value differs from the input record at the original position"
	whyNoOriginal       = "no original position headers, and the value is no input ticket"
	whyNoOriginalTicket = "no original position headers, and the value is not a ticket"
)

// inputTicket is one ticket of the input with every place it is written.
type inputTicket struct {
	ticket
	positions []Position
}

// sighting is one record of an order in a topic.
type sighting struct {
	sequence uint64
	at       Position
}

// index is the input, arranged for look-ups.
type index struct {
	records map[Position]Record
	tickets map[string]*inputTicket
	// ticketIDs lists the tickets in input order, for stable reports.
	ticketIDs []string
	// badRecords lists the records that are not tickets, in input order.
	badRecords []Position
	orders     map[string][]sighting
	// orderIDs lists the orders in input order of their first ticket.
	orderIDs []string
}

func newIndex(input []Record) *index {
	ix := &index{
		records: make(map[Position]Record, len(input)),
		tickets: make(map[string]*inputTicket),
		orders:  make(map[string][]sighting),
	}
	for _, r := range input {
		pos := r.Position()
		ix.records[pos] = r
		t, ok := decodeTicket(r.Value)
		if !ok {
			ix.badRecords = append(ix.badRecords, pos)
			continue
		}
		if it := ix.tickets[t.ID]; it != nil {
			it.positions = append(it.positions, pos)
		} else {
			ix.tickets[t.ID] = &inputTicket{ticket: t, positions: []Position{pos}}
			ix.ticketIDs = append(ix.ticketIDs, t.ID)
		}
		if _, seen := ix.orders[t.OrderID]; !seen {
			ix.orderIDs = append(ix.orderIDs, t.OrderID)
		}
		ix.orders[t.OrderID] = append(ix.orders[t.OrderID], sighting{sequence: t.Sequence, at: pos})
	}
	return ix
}

// Check compares the three topics of one run, each read whole, and lists
// every defect it finds; the package documentation gives the rules. The
// order of records within each argument does not matter.
func Check(input, output, deadLetters []Record, opts Options) Report {
	input, output, deadLetters = sortedByPosition(input), sortedByPosition(output), sortedByPosition(deadLetters)
	ix := newIndex(input)
	r := Report{
		InputRecords:      len(input),
		InputTickets:      len(ix.tickets),
		InputBadRecords:   len(ix.badRecords),
		InputOrders:       len(ix.orders),
		OutputRecords:     len(output),
		DeadLetters:       len(deadLetters),
		DeadLetterReasons: make(map[string]int),
	}
	if opts.ProducerAcked > 0 {
		r.ProducerAcked = opts.ProducerAcked
		r.AckedMissing = max(opts.ProducerAcked-int64(len(ix.tickets)), 0)
	}

	// The input on its own.
	for _, id := range ix.ticketIDs {
		if it := ix.tickets[id]; len(it.positions) > 1 {
			copies := make([]Copy, len(it.positions))
			for i, pos := range it.positions {
				copies[i] = Copy{Position: pos, Timestamp: ix.records[pos].Timestamp}
			}
			r.InputDuplicates = append(r.InputDuplicates, duplicateOf(it, copies))
		}
	}
	for _, orderID := range ix.orderIDs {
		if gap, ok := findGap(orderID, ix.orders[orderID]); ok {
			r.InputGaps = append(r.InputGaps, gap)
		}
		if reordering, ok := findReordering(orderID, ix.orders[orderID]); ok {
			r.InputReordered = append(r.InputReordered, reordering)
		}
	}

	// The dead-letter topic: every dead letter names its original.
	deadByTicket := make(map[string][]Copy)
	deadByPosition := make(map[Position][]Copy)
	for _, d := range deadLetters {
		reason, _ := d.Header(headerErrorReason)
		r.DeadLetterReasons[reason]++
		c := Copy{Position: d.Position(), Timestamp: d.Timestamp}
		original, ok := originalPosition(d)
		if !ok {
			// Without the headers, only the value can say which ticket
			// this was; a bad record cannot be told from another.
			t, isTicket := decodeTicket(d.Value)
			switch {
			case !isTicket:
				r.PhantomDeadLetters = append(r.PhantomDeadLetters, Phantom{At: c.Position, Why: whyNoOriginalTicket})
			case ix.tickets[t.ID] == nil:
				r.PhantomDeadLetters = append(r.PhantomDeadLetters, phantomOf(c.Position, t, whyNoOriginal))
			default:
				deadByTicket[t.ID] = append(deadByTicket[t.ID], c)
				deadByPosition[ix.tickets[t.ID].positions[0]] = append(deadByPosition[ix.tickets[t.ID].positions[0]], c)
			}
			continue
		}
		in, ok := ix.records[original]
		switch {
		case !ok:
			p := Phantom{At: c.Position, Why: whyUnknownPosition}
			if t, isTicket := decodeTicket(d.Value); isTicket {
				p = phantomOf(c.Position, t, whyUnknownPosition)
			}
			r.PhantomDeadLetters = append(r.PhantomDeadLetters, p)
			continue
		case !bytes.Equal(in.Value, d.Value):
			r.PhantomDeadLetters = append(r.PhantomDeadLetters, Phantom{At: c.Position, Why: whyValueDiffers})
			continue
		}
		deadByPosition[original] = append(deadByPosition[original], c)
		if t, isTicket := decodeTicket(in.Value); isTicket {
			deadByTicket[t.ID] = append(deadByTicket[t.ID], c)
		}
	}

	// The output: every record must be an input ticket, as it was.
	outputByTicket := make(map[string][]Copy)
	outputOrders := make(map[string][]sighting)
	for _, o := range output {
		c := Copy{Position: o.Position(), Timestamp: o.Timestamp}
		t, ok := decodeTicket(o.Value)
		if !ok {
			r.Phantoms = append(r.Phantoms, Phantom{At: c.Position, Why: whyNotTicket})
			continue
		}
		in := ix.tickets[t.ID]
		switch {
		case in == nil:
			r.Phantoms = append(r.Phantoms, phantomOf(c.Position, t, whyUnknownTicket))
			continue
		case in.OrderID != t.OrderID || in.Sequence != t.Sequence:
			r.Phantoms = append(r.Phantoms, phantomOf(c.Position, t, whyDiffers))
			continue
		}
		outputByTicket[t.ID] = append(outputByTicket[t.ID], c)
		outputOrders[t.OrderID] = append(outputOrders[t.OrderID], sighting{sequence: t.Sequence, at: c.Position})
	}

	// Every input record accounted for, and each exactly once.
	for _, id := range ix.ticketIDs {
		it := ix.tickets[id]
		out, dead := outputByTicket[id], deadByTicket[id]
		switch {
		case len(out) == 0 && len(dead) == 0:
			r.Lost = append(r.Lost, Lost{Input: it.positions[0], TicketID: id, OrderID: it.OrderID, Sequence: it.Sequence})
		case len(out) > 0 && len(dead) > 0:
			r.OutputAndDeadLetter = append(r.OutputAndDeadLetter, duplicateOf(it, append(slices.Clone(out), dead...)))
		}
		if len(out) > 1 {
			r.Duplicated = append(r.Duplicated, duplicateOf(it, out))
		}
	}
	for _, pos := range ix.badRecords {
		if len(deadByPosition[pos]) == 0 {
			r.Lost = append(r.Lost, Lost{Input: pos, BadRecord: true})
		}
	}
	for _, in := range input {
		pos := in.Position()
		dead := deadByPosition[pos]
		if len(dead) < 2 {
			continue
		}
		d := Duplicate{Input: pos}
		if t, ok := decodeTicket(in.Value); ok {
			d = duplicateOf(ix.tickets[t.ID], nil)
			d.Input = pos
		}
		d.Copies = byTimestamp(dead)
		r.DuplicatedDeadLetters = append(r.DuplicatedDeadLetters, d)
	}

	// Order in the output, order by order, in input order of orders.
	for _, orderID := range ix.orderIDs {
		if reordering, ok := findReordering(orderID, outputOrders[orderID]); ok {
			r.Reordered = append(r.Reordered, reordering)
		}
	}
	return r
}

// duplicateOf describes it written as copies.
func duplicateOf(it *inputTicket, copies []Copy) Duplicate {
	return Duplicate{
		TicketID: it.ID,
		OrderID:  it.OrderID,
		Sequence: it.Sequence,
		Input:    it.positions[0],
		Copies:   byTimestamp(copies),
	}
}

// byTimestamp returns copies sorted by timestamp, then by position.
func byTimestamp(copies []Copy) []Copy {
	sorted := slices.Clone(copies)
	slices.SortStableFunc(sorted, func(a, b Copy) int {
		if c := a.Timestamp.Compare(b.Timestamp); c != 0 {
			return c
		}
		return comparePositions(a.Position, b.Position)
	})
	return sorted
}

func phantomOf(at Position, t ticket, why string) Phantom {
	return Phantom{At: at, TicketID: t.ID, OrderID: t.OrderID, Sequence: t.Sequence, Why: why}
}

// findGap reports the sequence numbers from 1 to the highest that an
// order's sightings lack.
func findGap(orderID string, sightings []sighting) (Gap, bool) {
	present := make(map[uint64]bool, len(sightings))
	var highest uint64
	for _, s := range sightings {
		present[s.sequence] = true
		highest = max(highest, s.sequence)
	}
	var missing []uint64
	for seq := uint64(1); seq < highest; seq++ {
		if !present[seq] {
			missing = append(missing, seq)
		}
	}
	if len(missing) == 0 {
		return Gap{}, false
	}
	return Gap{OrderID: orderID, Missing: missing, Highest: highest}, true
}

// findReordering reports an order whose sightings, in topic order, are on
// more than one partition, or whose first occurrences of each sequence
// number do not increase. A repeat of a sequence number already seen is a
// duplicate, not a reordering, and is skipped here.
func findReordering(orderID string, sightings []sighting) (Reordering, bool) {
	if len(sightings) == 0 {
		return Reordering{}, false
	}
	partitions := make(map[int32]bool)
	seen := make(map[uint64]bool, len(sightings))
	ro := Reordering{OrderID: orderID}
	inOrder := true
	for _, s := range sightings {
		partitions[s.at.Partition] = true
		if seen[s.sequence] {
			continue
		}
		seen[s.sequence] = true
		if n := len(ro.Sequences); n > 0 && s.sequence < ro.Sequences[n-1] {
			inOrder = false
		}
		ro.Sequences = append(ro.Sequences, s.sequence)
		ro.Positions = append(ro.Positions, s.at)
	}
	ro.Partitions = len(partitions)
	if inOrder && ro.Partitions == 1 {
		return Reordering{}, false
	}
	return ro, true
}
