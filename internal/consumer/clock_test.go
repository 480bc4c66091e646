package consumer

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"ticket-processor/internal/dlq"
	"ticket-processor/internal/failure"
	"ticket-processor/internal/models"
)

// TestCreatedAtIsJudgedByTheConsumersClock runs the partition on a clock
// years ahead of the real one: tickets up to models.MaxClockSkew ahead of
// that clock are processed, a later one is dead-lettered as invalid_field.
func TestCreatedAtIsJudgedByTheConsumersClock(t *testing.T) {
	clock := time.Now().AddDate(5, 0, 0).UTC()
	tests := []struct {
		order     string
		createdAt time.Time
		dead      bool
	}{
		{"ord-past", clock.Add(-time.Hour), false},
		{"ord-at-the-skew", clock.Add(models.MaxClockSkew), false},
		{"ord-beyond-the-skew", clock.Add(models.MaxClockSkew + time.Second), true},
		{"ord-next-year", clock.AddDate(1, 0, 0), true},
	}
	h := newHarness(t, testOptions(), NoopStep)
	h.part.proc.now = func() time.Time { return clock }
	for i, tt := range tests {
		tk := ticket(tt.order, 1)
		tk.CreatedAt = tt.createdAt
		v, err := tk.Encode()
		require.NoError(t, err)
		h.in <- record(int64(i), tt.order, v)
	}
	ctx, cancel := context.WithCancel(context.Background())
	wait := h.run(ctx)
	require.Eventually(t, func() bool { return h.marks.last() == int64(len(tests)) }, 10*time.Second, time.Millisecond)
	cancel()
	wait()

	deadOrders := map[string]dlq.Entry{}
	for _, r := range h.out.topic("dlq") {
		e, err := dlq.Parse(asConsumed(r))
		require.NoError(t, err)
		deadOrders[string(e.Key)] = e
	}
	processed := map[string]bool{}
	for _, r := range h.out.topic("out") {
		k, err := r.Key.Encode()
		require.NoError(t, err)
		processed[string(k)] = true
	}
	for _, tt := range tests {
		e, dead := deadOrders[tt.order]
		assert.Equal(t, tt.dead, dead, "%s dead-lettered", tt.order)
		assert.Equal(t, !tt.dead, processed[tt.order], "%s processed", tt.order)
		if dead {
			assert.Equal(t, failure.InvalidField, e.Failure.Reason, tt.order)
			assert.Contains(t, e.Failure.Message, "created_at: must be at most 5m0s after the reader's clock", tt.order)
		}
	}
}
