package failure_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"ticket-processor/internal/failure"
	"ticket-processor/internal/retry"
)

type reasoned struct{ r failure.Reason }

func (e reasoned) Error() string                 { return string(e.r) }
func (e reasoned) FailureReason() failure.Reason { return e.r }

func TestOf(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want failure.Reason
	}{
		{"nil", nil, failure.Other},
		{"plain error", errors.New("boom"), failure.Other},
		{"a reasoner", reasoned{failure.TooLarge}, failure.TooLarge},
		{"a wrapped reasoner", fmt.Errorf("decode: %w", reasoned{failure.Malformed}), failure.Malformed},
		{"retries ran out", &retry.Failure{Class: retry.ClassTransient, Err: errors.New("timeout")}, failure.RetriesExhausted},
		{"retries ran out on a reasoner", &retry.Failure{Class: retry.ClassTransient, Err: reasoned{failure.InvalidField}}, failure.RetriesExhausted},
		{"permanent failure keeps its cause's reason", &retry.Failure{Class: retry.ClassPermanent, Err: retry.Permanent(reasoned{failure.InvalidField})}, failure.InvalidField},
		{"permanent failure without a reason", &retry.Failure{Class: retry.ClassPermanent, Err: retry.Permanent(errors.New("x"))}, failure.Other},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, failure.Of(tt.err))
		})
	}
}

func TestKnown(t *testing.T) {
	for _, r := range failure.Strings() {
		assert.True(t, failure.Known(r), r)
	}
	assert.False(t, failure.Known(""))
	assert.False(t, failure.Known("Malformed"))
	assert.Len(t, failure.Reasons(), 8)
}
