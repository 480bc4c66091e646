package retry

import (
	"context"
	"time"
)

// Backoff paces a loop that retries until it succeeds or its context
// ends: each Wait lasts Base, then twice as long, up to Max. It has no
// jitter; use Policy and Do to retry a bounded number of times.
//
// The zero value is not usable; build one with NewBackoff. A Backoff is
// not safe for concurrent use.
type Backoff struct {
	base, max, next time.Duration
}

// NewBackoff returns a Backoff from base doubling to max.
func NewBackoff(base, max time.Duration) *Backoff {
	return &Backoff{base: base, max: max, next: base}
}

// Next is how long the coming Wait lasts.
func (b *Backoff) Next() time.Duration { return b.next }

// Wait blocks for Next, or until ctx ends, in which case it returns ctx's
// error; then it doubles Next, capped at max.
func (b *Backoff) Wait(ctx context.Context) error {
	if err := wait(ctx, b.next); err != nil {
		return err
	}
	b.next = min(b.next*2, b.max)
	return nil
}

// Reset starts the doubling again from base.
func (b *Backoff) Reset() { b.next = b.base }
