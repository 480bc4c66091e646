// Package failure is the project's one vocabulary of why a ticket failed:
// the reasons it is dead-lettered for, and the one function that tells a
// reason from an error. A reason is a small fixed set, so it labels a
// metric, fills the dlq-error-reason header and filters ticketctl's
// listings; models, dlq, metrics, the consumer and the demo all take it
// from here.
package failure

import (
	"errors"
	"slices"

	"ticket-processor/internal/retry"
)

// Reason says why a ticket was dead-lettered.
type Reason string

// The reasons, in the order they are listed.
const (
	// Malformed: the value is not one well-formed JSON object.
	Malformed Reason = "malformed"
	// InvalidField: a field is missing or invalid.
	InvalidField Reason = "invalid_field"
	// UnknownSchema: the record is not a ticket of a schema this consumer
	// understands.
	UnknownSchema Reason = "unknown_schema"
	// TooLarge: the value is larger than the consumer accepts.
	TooLarge Reason = "too_large"
	// RetriesExhausted: transient errors outlasted the retry policy.
	RetriesExhausted Reason = "retries_exhausted"
	// OrderParked: an earlier ticket of the same order was dead-lettered
	// and the order is parked.
	OrderParked Reason = "order_parked"
	// OutOfSequence: the ticket's sequence is not the one its order
	// expected next (a late, repeated or skipped-ahead ticket), and it is
	// not a copy of a ticket already processed.
	OutOfSequence Reason = "out_of_sequence"
	// Other: anything else.
	Other Reason = "other"
)

// Reasons returns every reason, for example to initialise each labelled
// series of a counter at zero.
func Reasons() []Reason {
	return []Reason{Malformed, InvalidField, UnknownSchema, TooLarge, RetriesExhausted, OrderParked, OutOfSequence, Other}
}

// Strings returns Reasons as strings, for messages and label values.
func Strings() []string {
	out := make([]string, 0, len(Reasons()))
	for _, r := range Reasons() {
		out = append(out, string(r))
	}
	return out
}

// Known reports whether s is one of Reasons.
func Known(s string) bool { return slices.Contains(Reasons(), Reason(s)) }

// Reasoner is an error that knows its reason. The ticket errors of package
// models implement it.
type Reasoner interface {
	error
	FailureReason() Reason
}

// Of returns the reason of err: RetriesExhausted for a transient
// [*retry.Failure], whose attempts ran out; otherwise the reason of the
// first [Reasoner] in err's chain; Other when there is none, and for nil.
func Of(err error) Reason {
	if err == nil {
		return Other
	}
	var exhausted *retry.Failure
	if errors.As(err, &exhausted) && exhausted.Class == retry.ClassTransient {
		return RetriesExhausted
	}
	var r Reasoner
	if errors.As(err, &r) {
		return r.FailureReason()
	}
	return Other
}
