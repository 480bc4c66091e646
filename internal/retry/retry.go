package retry

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// ErrInvalidPolicy is matched (with errors.Is) by every error
// [Policy.Validate] returns.
var ErrInvalidPolicy = errors.New("invalid retry policy")

// Policy says how often and how patiently an operation is retried. One type
// covers both shapes this project needs:
//
//   - a bounded number of attempts with full jitter, for work that is given
//     up (dead-lettered) when the attempts run out: MaxAttempts > 0;
//   - retrying until the operation succeeds or the context ends, with a
//     capped backoff, for waiting on Kafka: MaxAttempts 0, built by [Until].
type Policy struct {
	// MaxAttempts is the total number of attempts, the first one included;
	// 1 means no retry, and 0 means no limit (until success, a permanent
	// error or the end of the context).
	MaxAttempts int
	// Base is the wait after the first failed attempt (its upper bound with
	// FullJitter); it doubles after each further failure. Must be > 0.
	Base time.Duration
	// MaxDelay caps the wait; must be >= Base.
	MaxDelay time.Duration
	// Jitter says how each wait is drawn below its ceiling (default
	// FullJitter).
	Jitter Jitter
	// Rand returns a number in [0, 1) and draws the jitter. Nil uses
	// math/rand/v2's Float64. A Policy shared between goroutines needs a
	// Rand that is safe for concurrent use.
	Rand func() float64
}

// Jitter says how a wait is drawn below its ceiling.
type Jitter int

const (
	// FullJitter draws each wait uniformly from [0, ceiling], so that
	// clients that failed together do not retry together.
	FullJitter Jitter = iota
	// NoJitter waits the ceiling itself: Base, then twice that, up to
	// MaxDelay.
	NoJitter
)

// Until returns the policy that retries until success or the end of the
// context, waiting base, then twice as long each time, up to max.
func Until(base, max time.Duration) Policy {
	return Policy{Base: base, MaxDelay: max, Jitter: NoJitter}
}

// Validate reports every invalid field of p as one error matching
// [ErrInvalidPolicy]. Each message names the field, its value and what is
// allowed.
func (p Policy) Validate() error {
	var errs []error
	if p.MaxAttempts < 0 {
		errs = append(errs, fmt.Errorf("MaxAttempts=%d: must be >= 0 (0 means no limit, 1 no retry)", p.MaxAttempts))
	}
	errs = append(errs, p.ValidateAs(Names{Base: "Base", MaxDelay: "MaxDelay"}))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidPolicy, err)
	}
	return nil
}

// Names are the settings a Policy is read from, for the messages of
// [Policy.ValidateAs].
type Names struct {
	// MaxAttempts names the attempts; empty for a policy without a limit,
	// whose attempts are then not checked.
	MaxAttempts string
	Base        string
	MaxDelay    string
}

// ValidateAs returns every invalid field of p, each message naming the
// setting it came from, its value and what is allowed: the one check of a
// retry policy, wherever it is configured. A named MaxAttempts must be at
// least 1.
func (p Policy) ValidateAs(n Names) error {
	var errs []error
	if n.MaxAttempts != "" && p.MaxAttempts < 1 {
		errs = append(errs, fmt.Errorf("%s=%d: must be >= 1 (1 means no retry)", n.MaxAttempts, p.MaxAttempts))
	}
	if p.Base <= 0 {
		errs = append(errs, fmt.Errorf("%s=%s: must be > 0", n.Base, p.Base))
	}
	if p.MaxDelay < p.Base {
		errs = append(errs, fmt.Errorf("%s=%s: must be >= %s (%s)", n.MaxDelay, p.MaxDelay, n.Base, p.Base))
	}
	return errors.Join(errs...)
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

// Delay returns the wait before the next attempt after failedAttempts
// failed attempts: with FullJitter a uniform draw from [0, Ceiling], both
// ends included; with NoJitter the Ceiling itself.
func (p Policy) Delay(failedAttempts int) time.Duration {
	ceiling := p.Ceiling(failedAttempts)
	if ceiling <= 0 || p.Jitter == NoJitter {
		return ceiling
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

// SaramaBackoff returns p's waits as a sarama retry backoff function
// (Producer.Retry.BackoffFunc and the like), whose retries count from 1.
func (p Policy) SaramaBackoff() func(retries, maxRetries int) time.Duration {
	return func(retries, _ int) time.Duration { return p.Delay(retries) }
}

// Do calls fn, with the attempt number starting at 1, until it succeeds,
// returns a permanent error, has been called p.MaxAttempts times (never,
// when MaxAttempts is 0), or ctx ends; see the package documentation for
// what it returns in each case. Before each wait it calls onRetry (when not
// nil) with the number of the attempt that failed, its error and the wait.
// The wait is cut short when ctx ends. p must be valid (see
// [Policy.Validate]): Do does not check it again on every call.
func Do(ctx context.Context, p Policy, fn func(ctx context.Context, attempt int) error, onRetry func(attempt int, err error, delay time.Duration)) error {
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
		if p.MaxAttempts > 0 && attempt >= p.MaxAttempts {
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
