package checker

import (
	"fmt"
	"strings"
	"time"
)

// Examples describes the first n defects of kind k in r, one line each, for
// a person diagnosing a run: the order, the sequence numbers and where the
// records are. n < 0 means all of them.
func (r Report) Examples(k Kind, n int) []string {
	var lines []string
	add := func(format string, args ...any) bool {
		if n >= 0 && len(lines) >= n {
			return false
		}
		lines = append(lines, fmt.Sprintf(format, args...))
		return true
	}
	switch k {
	case KindLost:
		for _, l := range r.Lost {
			var ok bool
			if l.BadRecord {
				ok = add("bad record at %s: not dead-lettered", l.Input)
			} else {
				ok = add("order %s seq %d ticket %s at %s: in neither output nor dead-letter topic", l.OrderID, l.Sequence, l.TicketID, l.Input)
			}
			if !ok {
				break
			}
		}
	case KindAckedMissing:
		if r.AckedMissing > 0 {
			add("producer acknowledged %d tickets, the input holds %d", r.ProducerAcked, r.InputTickets)
		}
	case KindDuplicated, KindDuplicatedDeadLetter, KindOutputAndDeadLetter, KindInputDuplicate:
		lines = describeDuplicates(r.duplicates(k), n)
	case KindReordered, KindInputReordered:
		list := r.Reordered
		if k == KindInputReordered {
			list = r.InputReordered
		}
		for _, ro := range list {
			if !add("order %s: first occurrences %s on %d partition(s)", ro.OrderID, describeSightings(ro), ro.Partitions) {
				break
			}
		}
	case KindInputGap:
		for _, g := range r.InputGaps {
			if !add("order %s: missing seq %s below %d", g.OrderID, joinUints(g.Missing), g.Highest) {
				break
			}
		}
	case KindPhantom, KindPhantomDeadLetter:
		list := r.Phantoms
		if k == KindPhantomDeadLetter {
			list = r.PhantomDeadLetters
		}
		for _, p := range list {
			var ok bool
			if p.TicketID == "" {
				ok = add("%s: %s", p.At, p.Why)
			} else {
				ok = add("%s: order %s seq %d ticket %s: %s", p.At, p.OrderID, p.Sequence, p.TicketID, p.Why)
			}
			if !ok {
				break
			}
		}
	}
	return lines
}

// Examples describes up to n defects of kind k the way [Report.Examples]
// does, preferring those that fail v: for a kind of duplicate with some
// that no fault explains, those.
func (v Verdict) Examples(r Report, k Kind, n int) []string {
	if unexplained, ok := v.Unexplained[k]; ok {
		return describeDuplicates(unexplained, n)
	}
	return r.Examples(k, n)
}

// describeDuplicates describes the first n of list; n < 0 means all.
func describeDuplicates(list []Duplicate, n int) []string {
	var lines []string
	for _, d := range list {
		if n >= 0 && len(lines) >= n {
			break
		}
		lines = append(lines, describeDuplicate(d)+": "+describeCopies(d.Copies))
	}
	return lines
}

func describeDuplicate(d Duplicate) string {
	if d.TicketID == "" {
		return fmt.Sprintf("bad record %s", d.Input)
	}
	return fmt.Sprintf("order %s seq %d ticket %s (input %s)", d.OrderID, d.Sequence, d.TicketID, d.Input)
}

func describeCopies(copies []Copy) string {
	parts := make([]string, len(copies))
	for i, c := range copies {
		parts[i] = fmt.Sprintf("%s at %s", c.Position, c.Timestamp.UTC().Format(time.RFC3339Nano))
	}
	return strings.Join(parts, ", ")
}

func describeSightings(ro Reordering) string {
	parts := make([]string, len(ro.Sequences))
	for i, seq := range ro.Sequences {
		parts[i] = fmt.Sprintf("%d@%s", seq, ro.Positions[i])
	}
	return strings.Join(parts, " ")
}

func joinUints(values []uint64) string {
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = fmt.Sprint(v)
	}
	return strings.Join(parts, ",")
}
