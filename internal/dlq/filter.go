package dlq

import (
	"ticket-processor/internal/failure"

	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrInvalidFilter is matched (with errors.Is) by every error
// [Filter.Validate] returns.
var ErrInvalidFilter = errors.New("invalid filter")

// Filter selects dead-letter entries. The zero value selects every entry;
// each set field narrows the selection.
type Filter struct {
	// Reasons keeps entries whose reason is one of these; empty keeps all.
	Reasons []failure.Reason
	// OrderID keeps entries whose key is exactly this order id; empty keeps
	// all.
	OrderID string
	// Partition keeps entries from this original partition; nil keeps all.
	Partition *int32
	// FromOffset and ToOffset keep entries whose original offset is in
	// [FromOffset, ToOffset], both ends included; nil leaves that end open.
	FromOffset, ToOffset *int64
	// MaxReplays rejects entries already replayed this many times or more;
	// 0 means no limit.
	MaxReplays int
}

// Validate reports every invalid field of f as one error matching
// [ErrInvalidFilter]. Each message names the field, its value and what is
// allowed.
func (f Filter) Validate() error {
	var problems []string
	for _, r := range f.Reasons {
		if !failure.Known(string(r)) {
			problems = append(problems, fmt.Sprintf("Reasons: %q is not a reason: want one of %s", r, strings.Join(failure.Strings(), ", ")))
		}
	}
	if f.Partition != nil && *f.Partition < 0 {
		problems = append(problems, fmt.Sprintf("Partition = %d: must be >= 0", *f.Partition))
	}
	if f.FromOffset != nil && *f.FromOffset < 0 {
		problems = append(problems, fmt.Sprintf("FromOffset = %d: must be >= 0", *f.FromOffset))
	}
	if f.ToOffset != nil && *f.ToOffset < 0 {
		problems = append(problems, fmt.Sprintf("ToOffset = %d: must be >= 0", *f.ToOffset))
	}
	if f.FromOffset != nil && f.ToOffset != nil && *f.FromOffset > *f.ToOffset {
		problems = append(problems, fmt.Sprintf("FromOffset = %d: must be <= ToOffset (%d)", *f.FromOffset, *f.ToOffset))
	}
	if f.MaxReplays < 0 {
		problems = append(problems, fmt.Sprintf("MaxReplays = %d: must be >= 0 (0 means no limit)", f.MaxReplays))
	}
	if len(problems) > 0 {
		// One line per problem, as errors.Join would print them.
		return fmt.Errorf("%w: %s", ErrInvalidFilter, strings.Join(problems, "\n"))
	}
	return nil
}

// Selects reports whether e passes every criterion except MaxReplays.
func (f Filter) Selects(e Entry) bool {
	switch {
	case len(f.Reasons) > 0 && !slices.Contains(f.Reasons, e.Failure.Reason):
		return false
	case f.OrderID != "" && !bytes.Equal(e.Key, []byte(f.OrderID)):
		return false
	case f.Partition != nil && e.OriginalPartition != *f.Partition:
		return false
	case f.FromOffset != nil && e.OriginalOffset < *f.FromOffset:
		return false
	case f.ToOffset != nil && e.OriginalOffset > *f.ToOffset:
		return false
	default:
		return true
	}
}

// ReplaysExhausted reports whether e has been replayed MaxReplays times or
// more; always false when MaxReplays is 0.
func (f Filter) ReplaysExhausted(e Entry) bool {
	return f.MaxReplays > 0 && e.ReplayCount >= f.MaxReplays
}

// Match reports whether e passes every criterion: it is selected and its
// replays are not exhausted.
func (f Filter) Match(e Entry) bool {
	return f.Selects(e) && !f.ReplaysExhausted(e)
}
