package retry_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"ticket-processor/internal/retry"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var errBrokerDown = errors.New("broker down")

// fastPolicy retries quickly: every wait is zero, so tests run at once.
func fastPolicy(attempts int) retry.Policy {
	return retry.Policy{MaxAttempts: attempts, Base: time.Millisecond, MaxDelay: time.Millisecond, Rand: func() float64 { return 0 }}
}

func TestPolicyValidate(t *testing.T) {
	tests := []struct {
		name    string
		policy  retry.Policy
		wantMsg string
	}{
		{"valid", retry.Policy{MaxAttempts: 1, Base: time.Millisecond, MaxDelay: time.Millisecond}, ""},
		{"no limit", retry.Policy{MaxAttempts: 0, Base: time.Millisecond, MaxDelay: time.Second}, ""},
		{"negative attempts", retry.Policy{MaxAttempts: -2, Base: time.Millisecond, MaxDelay: time.Second},
			"invalid retry policy: MaxAttempts=-2: must be >= 0 (0 means no limit, 1 no retry)"},
		{"zero base", retry.Policy{MaxAttempts: 3, Base: 0, MaxDelay: time.Second},
			"invalid retry policy: Base=0s: must be > 0"},
		{"max below base", retry.Policy{MaxAttempts: 3, Base: time.Second, MaxDelay: time.Millisecond},
			"invalid retry policy: MaxDelay=1ms: must be >= Base (1s)"},
		{"every field named", retry.Policy{MaxAttempts: -1, Base: -time.Second, MaxDelay: -2 * time.Second},
			"invalid retry policy: MaxAttempts=-1: must be >= 0 (0 means no limit, 1 no retry)\n" +
				"Base=-1s: must be > 0\n" +
				"MaxDelay=-2s: must be >= Base (-1s)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.policy.Validate()

			if tt.wantMsg == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, retry.ErrInvalidPolicy)
			assert.EqualError(t, err, tt.wantMsg)
		})
	}
}

func TestCeiling(t *testing.T) {
	p := retry.Policy{MaxAttempts: 10, Base: 100 * time.Millisecond, MaxDelay: 5 * time.Second}
	tests := []struct {
		failed int
		want   time.Duration
	}{
		{-1, 100 * time.Millisecond},
		{0, 100 * time.Millisecond},
		{1, 100 * time.Millisecond},
		{2, 200 * time.Millisecond},
		{3, 400 * time.Millisecond},
		{6, 3200 * time.Millisecond},
		{7, 5 * time.Second},
		{1000, 5 * time.Second},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, p.Ceiling(tt.failed), "failed attempts %d", tt.failed)
	}
}

func TestCeilingDoesNotOverflow(t *testing.T) {
	p := retry.Policy{MaxAttempts: 1, Base: time.Duration(1) << 40, MaxDelay: time.Duration(1<<63 - 1)}

	for _, n := range []int{22, 23, 24, 64, 1 << 20} {
		got := p.Ceiling(n)
		assert.Positive(t, got, "failed attempts %d", n)
		assert.LessOrEqual(t, got, p.MaxDelay)
	}
	assert.Equal(t, p.MaxDelay, p.Ceiling(1<<20))
}

func TestDelayFullJitterBounds(t *testing.T) {
	src := rand.New(rand.NewPCG(1, 2))
	p := retry.Policy{MaxAttempts: 10, Base: 100 * time.Millisecond, MaxDelay: time.Second, Rand: src.Float64}
	for failed := 1; failed <= 8; failed++ {
		ceiling := p.Ceiling(failed)
		var lowHalf, highHalf int
		for range 2000 {
			d := p.Delay(failed)
			require.GreaterOrEqual(t, d, time.Duration(0))
			require.LessOrEqual(t, d, ceiling)
			require.LessOrEqual(t, d, p.MaxDelay)
			if d < ceiling/2 {
				lowHalf++
			} else {
				highHalf++
			}
		}
		// Full jitter spreads the draws over the whole range.
		assert.Greater(t, lowHalf, 800, "failed attempts %d", failed)
		assert.Greater(t, highHalf, 800, "failed attempts %d", failed)
	}
}

func TestDelayEnds(t *testing.T) {
	tests := []struct {
		name string
		rand float64
		want time.Duration
	}{
		{"zero draw gives no wait", 0, 0},
		{"largest draw gives the ceiling", 1 - 1e-16, 400 * time.Millisecond},
		{"draw of one is capped", 1, 400 * time.Millisecond},
		{"negative draw gives no wait", -0.5, 0},
		{"half draw", 0.5, 200 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := retry.Policy{MaxAttempts: 5, Base: 100 * time.Millisecond, MaxDelay: time.Second, Rand: func() float64 { return tt.rand }}

			assert.InDelta(t, float64(tt.want), float64(p.Delay(3)), 1)
		})
	}
}

func TestDelayDefaultSource(t *testing.T) {
	p := retry.Policy{MaxAttempts: 5, Base: time.Millisecond, MaxDelay: 10 * time.Millisecond}
	for range 1000 {
		d := p.Delay(5)
		require.GreaterOrEqual(t, d, time.Duration(0))
		require.LessOrEqual(t, d, 10*time.Millisecond)
	}
}

func TestPermanent(t *testing.T) {
	cause := errors.New("bad ticket")
	tests := []struct {
		name      string
		err       error
		permanent bool
	}{
		{"nil", nil, false},
		{"plain", cause, false},
		{"marked", retry.Permanent(cause), true},
		{"marked then wrapped", errors.Join(errors.New("context"), retry.Permanent(cause)), true},
		{"permanent failure", &retry.Failure{Class: retry.ClassPermanent, Err: retry.Permanent(cause)}, true},
		{"transient failure", &retry.Failure{Class: retry.ClassTransient, Err: cause}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.permanent, retry.IsPermanent(tt.err))
		})
	}

	require.NoError(t, retry.Permanent(nil))
	assert.Equal(t, "bad ticket", retry.Permanent(cause).Error(), "marking keeps the message")
	assert.ErrorIs(t, retry.Permanent(cause), cause)
}

func TestDoSucceedsFirstTime(t *testing.T) {
	calls := 0
	err := retry.Do(context.Background(), fastPolicy(3), func(context.Context, int) error {
		calls++
		return nil
	}, nil)

	require.NoError(t, err)
	assert.Equal(t, 1, calls)
}

func TestDoSucceedsAfterTransientFailures(t *testing.T) {
	tests := []struct {
		name     string
		failures int
	}{
		{"one failure", 1},
		{"two failures", 2},
		{"fails on all but the last attempt", 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var attempts []int
			err := retry.Do(context.Background(), fastPolicy(5), func(_ context.Context, attempt int) error {
				attempts = append(attempts, attempt)
				if attempt <= tt.failures {
					return errBrokerDown
				}
				return nil
			}, nil)

			require.NoError(t, err)
			assert.Len(t, attempts, tt.failures+1)
			assert.Equal(t, tt.failures+1, attempts[len(attempts)-1])
		})
	}
}

func TestDoStopsAtOnceOnPermanentError(t *testing.T) {
	cause := errors.New("malformed ticket")
	retried := false
	before := time.Now()
	err := retry.Do(context.Background(), fastPolicy(5), func(_ context.Context, attempt int) error {
		if attempt == 1 {
			return errBrokerDown
		}
		return retry.Permanent(cause)
	}, func(int, error, time.Duration) { retried = true })
	after := time.Now()

	var f *retry.Failure
	require.ErrorAs(t, err, &f)
	assert.Equal(t, retry.ClassPermanent, f.Class)
	assert.Equal(t, 2, f.Attempts)
	assert.True(t, retried)
	assert.True(t, retry.IsPermanent(err))
	assert.ErrorIs(t, err, cause)
	assert.NotErrorIs(t, err, retry.ErrExhausted)
	assert.Equal(t, "malformed ticket", f.Message())
	assert.Equal(t, "permanent failure on attempt 2: malformed ticket", err.Error())
	assert.False(t, f.First.Before(before))
	assert.False(t, f.Last.Before(f.First))
	assert.False(t, f.Last.After(after))
}

func TestDoExhaustsAttempts(t *testing.T) {
	tests := []struct {
		name        string
		maxAttempts int
	}{
		{"single attempt", 1},
		{"three attempts", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var failedAt []time.Time
			before := time.Now()
			err := retry.Do(context.Background(), fastPolicy(tt.maxAttempts), func(context.Context, int) error {
				failedAt = append(failedAt, time.Now())
				return errBrokerDown
			}, nil)
			after := time.Now()

			var f *retry.Failure
			require.ErrorAs(t, err, &f)
			require.ErrorIs(t, err, retry.ErrExhausted)
			assert.ErrorIs(t, err, errBrokerDown)
			assert.False(t, retry.IsPermanent(err))
			assert.Equal(t, retry.ClassTransient, f.Class)
			assert.Equal(t, tt.maxAttempts, f.Attempts)
			require.Len(t, failedAt, tt.maxAttempts)
			assert.False(t, f.First.Before(before))
			assert.False(t, f.First.Before(failedAt[0]), "first failure recorded after the first call began")
			assert.False(t, f.Last.Before(failedAt[len(failedAt)-1]))
			assert.False(t, f.Last.Before(f.First))
			assert.False(t, f.Last.After(after))
			assert.Equal(t, "broker down", f.Message())
		})
	}
}

func TestDoCallsOnRetryBeforeEachWait(t *testing.T) {
	type call struct {
		attempt int
		err     error
		delay   time.Duration
	}
	p := retry.Policy{MaxAttempts: 4, Base: time.Microsecond, MaxDelay: 4 * time.Microsecond, Rand: func() float64 { return 0.999999 }}
	var calls []call
	err := retry.Do(context.Background(), p, func(_ context.Context, attempt int) error {
		return errors.New("attempt " + string(rune('0'+attempt)))
	}, func(attempt int, err error, delay time.Duration) {
		calls = append(calls, call{attempt, err, delay})
	})

	require.ErrorIs(t, err, retry.ErrExhausted)
	require.Len(t, calls, 3, "no wait follows the last attempt")
	for i, c := range calls {
		assert.Equal(t, i+1, c.attempt)
		assert.EqualError(t, c.err, "attempt "+string(rune('1'+i)))
		assert.Equal(t, p.Ceiling(i+1), c.delay)
	}
}

func TestDoCancelMidWaitReturnsPromptly(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// An hour-long wait: only cancellation can end it within the test.
	p := retry.Policy{MaxAttempts: 5, Base: time.Hour, MaxDelay: time.Hour, Rand: func() float64 { return 0.999 }}
	waiting := make(chan struct{})
	done := make(chan error, 1)
	calls := 0
	go func() {
		done <- retry.Do(ctx, p, func(context.Context, int) error {
			calls++
			return errBrokerDown
		}, func(int, error, time.Duration) { close(waiting) })
	}()

	select {
	case <-waiting:
	case <-time.After(10 * time.Second):
		t.Fatal("Do never reached its first wait")
	}
	cancel()

	var err error
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Do did not return after its context was cancelled")
	}
	require.ErrorIs(t, err, context.Canceled)
	var f *retry.Failure
	assert.False(t, errors.As(err, &f), "an interrupted retry is not a failure to dead-letter")
	assert.Equal(t, 1, calls)
}

func TestDoContextEndedDuringAttempt(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	err := retry.Do(ctx, fastPolicy(5), func(ctx context.Context, _ int) error {
		cancel()
		return ctx.Err()
	}, func(int, error, time.Duration) { t.Error("no retry after the context ended") })

	require.ErrorIs(t, err, context.Canceled)
	var f *retry.Failure
	assert.False(t, errors.As(err, &f))
	assert.Contains(t, err.Error(), "after 1 attempt (last error: context canceled)")
}

func TestDoContextDeadline(t *testing.T) {
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	called := false

	err := retry.Do(ctx, fastPolicy(5), func(context.Context, int) error {
		called = true
		return nil
	}, nil)

	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.False(t, called, "an ended context stops Do before the first attempt")
}

func TestDoPermanentWinsOverEndedContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	err := retry.Do(ctx, fastPolicy(5), func(context.Context, int) error {
		cancel()
		return retry.Permanent(errors.New("invalid ticket"))
	}, nil)

	var f *retry.Failure
	require.ErrorAs(t, err, &f)
	assert.Equal(t, retry.ClassPermanent, f.Class)
}

func TestUntilRetriesWithoutLimitAndWithoutJitter(t *testing.T) {
	p := retry.Until(time.Millisecond, 4*time.Millisecond)
	require.NoError(t, p.Validate())
	assert.Equal(t, []time.Duration{time.Millisecond, 2 * time.Millisecond, 4 * time.Millisecond, 4 * time.Millisecond},
		[]time.Duration{p.Delay(1), p.Delay(2), p.Delay(3), p.Delay(4)})

	calls := 0
	var waits []time.Duration
	err := retry.Do(context.Background(), p, func(context.Context, int) error {
		calls++
		if calls < 40 {
			return errors.New("broker not reachable")
		}
		return nil
	}, func(_ int, _ error, d time.Duration) { waits = append(waits, d) })

	require.NoError(t, err, "no attempt limit: it goes on until the operation succeeds")
	assert.Equal(t, 40, calls)
	assert.Len(t, waits, 39)
}

func TestUntilEndsWithContextOrPermanentError(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	err := retry.Do(ctx, retry.Until(time.Millisecond, time.Millisecond), func(_ context.Context, attempt int) error {
		if attempt == 5 {
			cancel()
		}
		return errors.New("still down")
	}, nil)
	require.ErrorIs(t, err, context.Canceled)
	var f *retry.Failure
	assert.False(t, errors.As(err, &f), "an ended wait is not a failure")

	err = retry.Do(context.Background(), retry.Until(time.Millisecond, time.Millisecond), func(context.Context, int) error {
		return retry.Permanent(errors.New("rejected"))
	}, nil)
	require.ErrorAs(t, err, &f)
	assert.Equal(t, retry.ClassPermanent, f.Class)
}

func TestSaramaBackoff(t *testing.T) {
	backoff := retry.Until(100*time.Millisecond, 2*time.Second).SaramaBackoff()
	assert.Equal(t, 100*time.Millisecond, backoff(1, 30))
	assert.Equal(t, 200*time.Millisecond, backoff(2, 30))
	assert.Equal(t, 2*time.Second, backoff(10, 30))
	assert.Equal(t, 2*time.Second, backoff(1000, 30), "no overflow")
}

func TestFailureError(t *testing.T) {
	tests := []struct {
		name    string
		failure *retry.Failure
		want    string
	}{
		{"transient", &retry.Failure{Class: retry.ClassTransient, Attempts: 5, Err: errBrokerDown},
			"retries exhausted after 5 attempts: broker down"},
		{"permanent", &retry.Failure{Class: retry.ClassPermanent, Attempts: 1, Err: retry.Permanent(errors.New("bad"))},
			"permanent failure on attempt 1: bad"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.EqualError(t, tt.failure, tt.want)
		})
	}
	assert.Empty(t, (&retry.Failure{}).Message())
}

func TestValidateAsNamesTheSettings(t *testing.T) {
	err := retry.Policy{MaxAttempts: 0, Base: 0, MaxDelay: -time.Second}.
		ValidateAs(retry.Names{MaxAttempts: "RETRY_MAX", Base: "RETRY_BASE", MaxDelay: "RETRY_MAX_DELAY"})
	assert.EqualError(t, err, "RETRY_MAX=0: must be >= 1 (1 means no retry)\n"+
		"RETRY_BASE=0s: must be > 0\n"+
		"RETRY_MAX_DELAY=-1s: must be >= RETRY_BASE (0s)")

	assert.NoError(t, retry.Until(time.Second, time.Minute).ValidateAs(retry.Names{Base: "B", MaxDelay: "M"}),
		"without a named limit, the attempts are not checked")
}
