// Package retry runs an operation again after transient failures, with
// capped exponential backoff, and tells transient failures from permanent
// ones by type. It is the project's one way to wait and retry: a bounded
// number of attempts with full jitter, or until the operation succeeds or
// the context ends ([Until]), and sarama's retry backoff
// ([Policy.SaramaBackoff]).
//
// # Classifying errors
//
// An operation reports an error that retrying cannot fix (a malformed
// ticket, a failed validation) by returning [Permanent](err). Every other
// error is transient. The classification travels with the error:
// [IsPermanent] uses errors.As, never the message text.
//
// # Outcome of Do
//
// [Do] calls the operation until one of these happens, in this order of
// precedence after each attempt:
//
//  1. It succeeds: Do returns nil.
//  2. It returns a permanent error: Do returns a [*Failure] with Class
//     [ClassPermanent], at once.
//  3. The context has ended: Do returns an error matching the context's
//     error (errors.Is(err, context.Canceled) or context.DeadlineExceeded)
//     and never a *Failure, so a caller that shuts down does not mistake
//     an interrupted ticket for a failed one.
//  4. Policy.MaxAttempts attempts have failed (never, when MaxAttempts is
//     0): Do returns a [*Failure] with Class [ClassTransient] that matches
//     [ErrExhausted].
//  5. Otherwise it waits [Policy.Delay] (interruptible by the context) and
//     tries again.
//
// A *Failure records the class, the number of attempts and the times of the
// first and last failed attempt, which is what a dead-letter record needs.
//
// # Backoff
//
// The wait after n failed attempts is drawn uniformly from
// [0, min(MaxDelay, Base·2^(n-1))] ("full jitter"), so clients that failed
// together do not retry together. With [NoJitter], the shape [Until]
// returns, it is that ceiling itself.
package retry
