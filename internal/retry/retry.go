package retry

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"
)

// ErrInvalidPolicy is matched (with errors.Is) by every error
// [Policy.Validate] returns.
var ErrInvalidPolicy = errors.New("invalid retry policy")

// Policy says how often and how patiently an operation is retried.
type Policy struct {
	// MaxAttempts is the total number of attempts, the first one included;
	// >= 1, and 1 means no retry.
	MaxAttempts int
	// Base is the upper bound of the wait after the first failed attempt;
	// the bound doubles after each further failure. Must be > 0.
	Base time.Duration
	// MaxDelay caps the bound on the wait; must be >= Base.
	MaxDelay time.Duration
	// Rand returns a number in [0, 1) and draws the jitter. Nil uses
	// math/rand/v2's Float64. A Policy shared between goroutines needs a
	// Rand that is safe for concurrent use.
	Rand func() float64
}

// Validate reports every invalid field of p as one error matching
// [ErrInvalidPolicy]. Each message names the field, its value and what is
// allowed.
func (p Policy) Validate() error {
	var problems []string
	if p.MaxAttempts < 1 {
		problems = append(problems, fmt.Sprintf("MaxAttempts = %d: must be >= 1 (1 means no retry)", p.MaxAttempts))
	}
	if p.Base <= 0 {
		problems = append(problems, fmt.Sprintf("Base = %s: must be > 0", p.Base))
	}
	if p.MaxDelay < p.Base {
		problems = append(problems, fmt.Sprintf("MaxDelay = %s: must be >= Base (%s)", p.MaxDelay, p.Base))
	}
	if len(problems) > 0 {
		// One line per problem, as errors.Join would print them.
		return fmt.Errorf("%w: %s", ErrInvalidPolicy, strings.Join(problems, "\n"))
	}
	return nil
}

// Ceiling returns the largest wait [Policy.Delay] may return after
// failedAttempts failed attempts: min(MaxDelay, Base·2^(failedAttempts-1)),
// without overflowing. A failedAttempts below 1 counts as 1.
func (p Policy) Ceiling(failedAttempts int) time.Duration {
	if p.Base <= 0 || p.MaxDelay <= 0 {
		return 0
	}
	ceiling := p.Base
	for i := 1; i < failedAttempts && ceiling < p.MaxDelay; i++ {
		if ceiling > p.MaxDelay/2 {
			ceiling = p.MaxDelay
			break
		}
		ceiling *= 2
	}
	return min(ceiling, p.MaxDelay)
}

// Delay returns the full-jitter wait before the next attempt after
// failedAttempts failed attempts: a uniform draw from [0, Ceiling], both
// ends included.
func (p Policy) Delay(failedAttempts int) time.Duration {
	ceiling := p.Ceiling(failedAttempts)
	if ceiling <= 0 {
		return 0
	}
	draw := rand.Float64
	if p.Rand != nil {
		draw = p.Rand
	}
	r := draw()
	if r <= 0 || math.IsNaN(r) { // from a misbehaving source
		return 0
	}
	// ceiling+1 so that the ceiling itself can be drawn; the float product
	// may round up to ceiling+1, hence the min.
	return min(time.Duration(r*float64(ceiling+1)), ceiling)
}

// Do calls fn, with the attempt number starting at 1, until it succeeds,
// returns a permanent error, has been called p.MaxAttempts times, or ctx
// ends; see the package documentation for what it returns in each case.
// Before each wait it calls onRetry (when not nil) with the number of the
// attempt that failed, its error and the wait. The wait is cut short when
// ctx ends. An invalid p is reported at once, without calling fn.
func Do(ctx context.Context, p Policy, fn func(ctx context.Context, attempt int) error, onRetry func(attempt int, err error, delay time.Duration)) error {
	if err := p.Validate(); err != nil {
		return err
	}
	var first time.Time
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return interrupted(err, attempt-1, nil)
		}
		err := fn(ctx, attempt)
		if err == nil {
			return nil
		}
		now := time.Now()
		if attempt == 1 {
			first = now
		}
		if IsPermanent(err) {
			return &Failure{Class: ClassPermanent, Attempts: attempt, First: first, Last: now, Err: err}
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return interrupted(ctxErr, attempt, err)
		}
		if attempt >= p.MaxAttempts {
			return &Failure{Class: ClassTransient, Attempts: attempt, First: first, Last: now, Err: err}
		}
		delay := p.Delay(attempt)
		if onRetry != nil {
			onRetry(attempt, err, delay)
		}
		if err := wait(ctx, delay); err != nil {
			return interrupted(err, attempt, nil)
		}
	}
}

// wait blocks for d or until ctx ends, whichever comes first, and returns
// ctx's error in the second case.
func wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// interrupted wraps ctxErr, the error of an ended context, noting how many
// attempts were made and, when an attempt failed because of it, its error.
func interrupted(ctxErr error, attempts int, last error) error {
	if last != nil {
		return fmt.Errorf("retry interrupted after %s (last error: %v): %w", plural(attempts, "attempt"), last, ctxErr)
	}
	return fmt.Errorf("retry interrupted after %s: %w", plural(attempts, "attempt"), ctxErr)
}

// plural returns e.g. "1 attempt" or "3 attempts".
func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
