package checker

import (
	"errors"
	"fmt"
	"time"
)

// Kind names one kind of defect. Each kind is counted and judged on its own.
type Kind string

// The kinds of defect, in the order reports list them.
const (
	// KindLost is an input record in neither the output nor the dead-letter topic.
	KindLost Kind = "lost"
	// KindAckedMissing is a ticket the producer had acknowledged that the
	// input does not hold.
	KindAckedMissing Kind = "acked_missing"
	// KindDuplicated is a ticket in the output more than once.
	KindDuplicated Kind = "duplicated"
	// KindDuplicatedDeadLetter is an input record dead-lettered more than once.
	KindDuplicatedDeadLetter Kind = "duplicated_dead_letter"
	// KindOutputAndDeadLetter is a ticket both in the output and dead-lettered.
	KindOutputAndDeadLetter Kind = "output_and_dead_letter"
	// KindReordered is an order whose output is out of sequence.
	KindReordered Kind = "reordered"
	// KindInputGap is an order whose input skips sequence numbers.
	KindInputGap Kind = "input_gap"
	// KindInputDuplicate is a ticket in the input more than once.
	KindInputDuplicate Kind = "input_duplicate"
	// KindInputReordered is an order whose input is out of sequence.
	KindInputReordered Kind = "input_reordered"
	// KindPhantom is an output record that no input ticket accounts for.
	KindPhantom Kind = "phantom"
	// KindPhantomDeadLetter is a dead letter that no input record accounts for.
	KindPhantomDeadLetter Kind = "phantom_dead_letter"
	// KindGuarantee is not a defect of the topics but of the call: [Judge]
	// was given a guarantee it does not know.
	KindGuarantee Kind = "guarantee"
)

// Kinds returns every kind of defect a [Report] can hold, in report order.
func Kinds() []Kind {
	return []Kind{KindLost, KindAckedMissing, KindDuplicated, KindDuplicatedDeadLetter, KindOutputAndDeadLetter,
		KindReordered, KindInputGap, KindInputDuplicate, KindInputReordered, KindPhantom, KindPhantomDeadLetter}
}

// Count returns how many defects of kind k r holds.
func (r Report) Count(k Kind) int {
	switch k {
	case KindLost:
		return len(r.Lost)
	case KindAckedMissing:
		return int(r.AckedMissing)
	case KindDuplicated:
		return len(r.Duplicated)
	case KindDuplicatedDeadLetter:
		return len(r.DuplicatedDeadLetters)
	case KindOutputAndDeadLetter:
		return len(r.OutputAndDeadLetter)
	case KindReordered:
		return len(r.Reordered)
	case KindInputGap:
		return len(r.InputGaps)
	case KindInputDuplicate:
		return len(r.InputDuplicates)
	case KindInputReordered:
		return len(r.InputReordered)
	case KindPhantom:
		return len(r.Phantoms)
	case KindPhantomDeadLetter:
		return len(r.PhantomDeadLetters)
	default:
		return 0
	}
}

// duplicates returns r's list of duplicates of kind k, or nil when k is not
// a kind of duplicate.
func (r Report) duplicates(k Kind) []Duplicate {
	switch k {
	case KindDuplicated:
		return r.Duplicated
	case KindDuplicatedDeadLetter:
		return r.DuplicatedDeadLetters
	case KindOutputAndDeadLetter:
		return r.OutputAndDeadLetter
	case KindInputDuplicate:
		return r.InputDuplicates
	default:
		return nil
	}
}

// isDuplicateKind reports whether k is a record written once too often,
// which at_least_once forgives when a fault explains it.
func isDuplicateKind(k Kind) bool {
	switch k {
	case KindDuplicated, KindDuplicatedDeadLetter, KindOutputAndDeadLetter, KindInputDuplicate:
		return true
	default:
		return false
	}
}

// Guarantee is the processing guarantee a run is judged by.
type Guarantee string

// The guarantees.
const (
	// AtLeastOnce forgives a duplicate of a ticket in flight when a fault hit.
	AtLeastOnce Guarantee = "at_least_once"
	// ExactlyOnce forgives no duplicate.
	ExactlyOnce Guarantee = "exactly_once"
)

// ErrUnknownGuarantee is returned by [ParseGuarantee] for a name that is
// not a guarantee.
var ErrUnknownGuarantee = errors.New("unknown guarantee")

// ParseGuarantee returns the guarantee named s.
func ParseGuarantee(s string) (Guarantee, error) {
	switch g := Guarantee(s); g {
	case AtLeastOnce, ExactlyOnce:
		return g, nil
	default:
		return "", fmt.Errorf("%q (want %s or %s): %w", s, AtLeastOnce, ExactlyOnce, ErrUnknownGuarantee)
	}
}

// Fault is one fault the scheduler injected, by wall clock: the clock the
// pipeline stamps its records with, which on one machine is the same.
type Fault struct {
	// Name says what the fault was, for the report.
	Name string `json:"name"`
	// Start is when the fault hit.
	Start time.Time `json:"start"`
	// End is when it was healed. A zero End, or one before Start, is taken
	// as Start: a fault with no duration, such as a SIGKILL.
	End time.Time `json:"end"`
}

// Faults is what the fault scheduler tells [Judge] about a run.
type Faults struct {
	// Windows are the faults injected, in any order.
	Windows []Fault `json:"windows"`
	// Lead is how long before a fault's Start a copy may have been written
	// and still count as in flight when the fault hit: about the longest a
	// finished ticket can wait for its offset to be committed.
	Lead time.Duration `json:"lead"`
}

// explains reports whether every repeat among d's copies is one that a
// fault explains, by the rule in the package documentation.
func (f Faults) explains(d Duplicate) bool {
	for i := 1; i < len(d.Copies); i++ {
		if !f.explainsRepeat(d.Copies[i-1].Timestamp, d.Copies[i].Timestamp) {
			return false
		}
	}
	return true
}

// explainsRepeat reports whether some fault hit while the copy written at
// first was in flight, and repeat was written after it hit or is the same
// send resent with its timestamp kept.
func (f Faults) explainsRepeat(first, repeat time.Time) bool {
	if first.IsZero() || repeat.IsZero() {
		return false
	}
	for _, w := range f.Windows {
		// Record timestamps are whole milliseconds.
		start := w.Start.Truncate(time.Millisecond)
		end := w.End
		if end.Before(w.Start) {
			end = w.Start
		}
		if first.Before(start.Add(-f.Lead)) || first.After(end) {
			continue
		}
		if !repeat.Before(start) || repeat.Equal(first) {
			return true
		}
	}
	return false
}

// Verdict is a [Report] judged by a guarantee.
type Verdict struct {
	Guarantee Guarantee `json:"guarantee"`
	// Failures lists each kind of defect that fails the run.
	Failures []Failure `json:"failures"`
	// InFlight counts, per kind of duplicate, those forgiven as in flight
	// when a fault hit (at_least_once only).
	InFlight map[Kind]int `json:"in_flight,omitempty"`
	// Unexplained lists, per kind of duplicate, those no fault explains
	// (at_least_once only; under exactly_once every duplicate fails).
	Unexplained map[Kind][]Duplicate `json:"unexplained,omitempty"`
}

// Failure is one kind of defect that fails a run.
type Failure struct {
	Kind Kind `json:"kind"`
	// Count is how many defects of the kind fail the run.
	Count int `json:"count"`
	// Rule says why they fail.
	Rule string `json:"rule"`
}

// Passed reports whether v fails nothing.
func (v Verdict) Passed() bool { return len(v.Failures) == 0 }

// Judge decides whether r passes under g, with f the faults injected
// during the run. Loss, reordering, gaps and phantoms fail under every
// guarantee; duplicates fail under exactly_once, and under at_least_once
// unless a fault explains them. An unknown g fails with [KindGuarantee] and
// is otherwise judged as exactly_once.
func Judge(r Report, g Guarantee, f Faults) Verdict {
	v := Verdict{Guarantee: g}
	if _, err := ParseGuarantee(string(g)); err != nil {
		v.Failures = append(v.Failures, Failure{Kind: KindGuarantee, Count: 1, Rule: err.Error()})
	}
	for _, k := range Kinds() {
		n := r.Count(k)
		if n == 0 {
			continue
		}
		if !isDuplicateKind(k) {
			v.Failures = append(v.Failures, Failure{Kind: k, Count: n, Rule: ruleAlways(k)})
			continue
		}
		if g != AtLeastOnce {
			v.Failures = append(v.Failures, Failure{Kind: k, Count: n, Rule: "no duplicate is allowed under " + string(ExactlyOnce)})
			continue
		}
		var unexplained []Duplicate
		for _, d := range r.duplicates(k) {
			if !f.explains(d) {
				unexplained = append(unexplained, d)
			}
		}
		if forgiven := n - len(unexplained); forgiven > 0 {
			if v.InFlight == nil {
				v.InFlight = make(map[Kind]int)
			}
			v.InFlight[k] = forgiven
		}
		if len(unexplained) > 0 {
			if v.Unexplained == nil {
				v.Unexplained = make(map[Kind][]Duplicate)
			}
			v.Unexplained[k] = unexplained
			v.Failures = append(v.Failures, Failure{Kind: k, Count: len(unexplained),
				Rule: string(AtLeastOnce) + " allows a duplicate only of a ticket in flight when a fault hit"})
		}
	}
	return v
}

// ruleAlways says why a defect that is not a duplicate fails.
func ruleAlways(k Kind) string {
	switch k {
	case KindLost, KindAckedMissing, KindInputGap:
		return "loss fails under every guarantee"
	case KindReordered, KindInputReordered:
		return "reordering fails under every guarantee"
	default:
		return "a record nothing accounts for fails under every guarantee"
	}
}
