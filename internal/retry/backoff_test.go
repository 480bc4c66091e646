package retry_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"ticket-processor/internal/retry"
)

func TestBackoffDoublesUpToMaxAndResets(t *testing.T) {
	b := retry.NewBackoff(time.Millisecond, 5*time.Millisecond)
	var got []time.Duration
	for range 5 {
		got = append(got, b.Next())
		require.NoError(t, b.Wait(context.Background()))
	}
	assert.Equal(t, []time.Duration{1, 2, 4, 5, 5}, scale(got, time.Millisecond))
	b.Reset()
	assert.Equal(t, time.Millisecond, b.Next())
}

func TestBackoffWaitEndsWithContext(t *testing.T) {
	b := retry.NewBackoff(time.Hour, time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, b.Wait(ctx), context.Canceled)
	assert.Equal(t, time.Hour, b.Next(), "an interrupted wait does not double")
}

func scale(ds []time.Duration, unit time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d / unit
	}
	return out
}
