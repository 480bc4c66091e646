package retry

import (
	"errors"
	"fmt"
	"time"
)

// Failure classes, as written to the dead-letter header dlq-error-class.
const (
	// ClassPermanent marks an error that retrying cannot fix.
	ClassPermanent = "permanent"
	// ClassTransient marks an error that might go away on retry.
	ClassTransient = "transient"
)

// ErrExhausted is matched (with errors.Is) by the [*Failure] that [Do]
// returns when every attempt failed with a transient error.
var ErrExhausted = errors.New("retries exhausted")

// PermanentError marks its cause as not worth retrying. Build one with
// [Permanent] and detect it with [IsPermanent].
type PermanentError struct {
	// Err is the cause.
	Err error
}

// Error returns the cause's message unchanged, so that marking an error
// permanent does not alter what is logged or dead-lettered.
func (e *PermanentError) Error() string {
	if e.Err == nil {
		return "permanent error"
	}
	return e.Err.Error()
}

// Unwrap returns the cause.
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent marks err as not worth retrying: [Do] stops at once when fn
// returns it. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &PermanentError{Err: err}
}

// IsPermanent reports whether err, or any error it wraps, was marked with
// [Permanent]. A [*Failure] of class [ClassPermanent] is permanent too.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// Failure is the error [Do] returns when it gives up on an operation: what
// kind of failure it was, how many attempts were made and when the first and
// last of them failed.
type Failure struct {
	// Class is [ClassPermanent] or [ClassTransient].
	Class string
	// Attempts is how many times the operation was called.
	Attempts int
	// First and Last are when the first and the last attempt failed.
	First, Last time.Time
	// Err is the error of the last attempt; for a permanent failure it is
	// (or wraps) a [*PermanentError].
	Err error
}

// Error returns e.g. "retries exhausted after 5 attempts: broker down" or
// "permanent failure on attempt 1: invalid ticket".
func (f *Failure) Error() string {
	if f.Class == ClassPermanent {
		return fmt.Sprintf("permanent failure on attempt %d: %v", f.Attempts, f.Err)
	}
	return fmt.Sprintf("%s after %s: %v", ErrExhausted.Error(), plural(f.Attempts, "attempt"), f.Err)
}

// Unwrap returns the error of the last attempt.
func (f *Failure) Unwrap() error { return f.Err }

// Is reports whether target is [ErrExhausted] and the failure is transient.
func (f *Failure) Is(target error) bool {
	return target == ErrExhausted && f.Class == ClassTransient
}

// Message returns the last attempt's error message without the retry
// context, for a dead-letter header; "" when there is none.
func (f *Failure) Message() string {
	if f.Err == nil {
		return ""
	}
	return f.Err.Error()
}
