package models

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidTicket is matched (with errors.Is) by every error this package
// returns for a ticket that cannot be decoded, validated or encoded.
var ErrInvalidTicket = errors.New("invalid ticket")

// ErrMalformed means the input is not a single well-formed JSON object: it is
// empty, not valid UTF-8, not JSON, not an object, or has data after the
// object. It wraps [ErrInvalidTicket].
var ErrMalformed = fmt.Errorf("%w: malformed", ErrInvalidTicket)

// ErrTooLarge means the input is larger than [MaxEncodedSize] and was rejected
// without being parsed. It wraps [ErrInvalidTicket].
var ErrTooLarge = fmt.Errorf("%w: too large", ErrInvalidTicket)

// ErrUnknownSchemaVersion means schema_version is missing, of the wrong type,
// or not [SchemaVersion]. It wraps [ErrInvalidTicket]. A [*ValidationError]
// whose bad fields include schema_version matches it.
var ErrUnknownSchemaVersion = fmt.Errorf("%w: unknown schema version", ErrInvalidTicket)

// Metric label values returned by [Reason]. The set is fixed so it can label a
// Prometheus counter.
const (
	// ReasonTooLarge labels errors matching [ErrTooLarge].
	ReasonTooLarge = "too_large"
	// ReasonMalformed labels errors matching [ErrMalformed].
	ReasonMalformed = "malformed"
	// ReasonUnknownSchema labels errors matching [ErrUnknownSchemaVersion].
	ReasonUnknownSchema = "unknown_schema"
	// ReasonInvalidField labels any other error matching [ErrInvalidTicket],
	// typically a [*ValidationError].
	ReasonInvalidField = "invalid_field"
	// ReasonOther labels every error that is not a ticket error, and nil.
	ReasonOther = "other"
)

// Reasons returns every value [Reason] can return, for example to initialise
// each labelled series of a counter at zero.
func Reasons() []string {
	return []string{ReasonTooLarge, ReasonMalformed, ReasonUnknownSchema, ReasonInvalidField, ReasonOther}
}

// Reason maps err to one of the fixed metric label values: "too_large",
// "malformed", "unknown_schema", "invalid_field" or "other". An unknown schema
// version wins over other bad fields, because a ticket written under another
// schema is expected to fail field checks too. Reason(nil) is "other".
func Reason(err error) string {
	switch {
	case err == nil:
		return ReasonOther
	case errors.Is(err, ErrTooLarge):
		return ReasonTooLarge
	case errors.Is(err, ErrMalformed):
		return ReasonMalformed
	case errors.Is(err, ErrUnknownSchemaVersion):
		return ReasonUnknownSchema
	case errors.Is(err, ErrInvalidTicket):
		return ReasonInvalidField
	default:
		return ReasonOther
	}
}

// FieldError names one missing or invalid field by its JSON key.
type FieldError struct {
	// Field is the JSON key, e.g. "order_id".
	Field string
	// Reason says what is wrong, e.g. "missing" or "must be >= 0, got -5".
	Reason string
}

// String returns "field: reason".
func (f FieldError) String() string {
	return f.Field + ": " + f.Reason
}

// ValidationError lists every missing or invalid field of a ticket, in the
// order the fields appear in the wire format. It matches [ErrInvalidTicket],
// and also [ErrUnknownSchemaVersion] when schema_version is one of the fields.
type ValidationError struct {
	// Fields holds one entry per bad field.
	Fields []FieldError
}

// Error returns e.g. "invalid ticket: order_id: missing; amount: must be >= 0, got -5".
func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString(ErrInvalidTicket.Error())
	for i, f := range e.Fields {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(f.String())
	}
	return b.String()
}

// Unwrap returns [ErrUnknownSchemaVersion] when schema_version is one of the
// bad fields and [ErrInvalidTicket] otherwise, so that errors.Is works.
func (e *ValidationError) Unwrap() error {
	if e.Has(fieldSchemaVersion) {
		return ErrUnknownSchemaVersion
	}
	return ErrInvalidTicket
}

// Has reports whether field (a JSON key) is one of the bad fields.
func (e *ValidationError) Has(field string) bool {
	for _, f := range e.Fields {
		if f.Field == field {
			return true
		}
	}
	return false
}

// DecodeError is the error [Decode] and [DecodeProcessed] return for every
// failure, so callers can use errors.As to get the input size and, for syntax
// errors, where parsing stopped. Err is the cause: it matches [ErrTooLarge] or
// [ErrMalformed], or it is a [*ValidationError].
type DecodeError struct {
	// Size is the length of the input in bytes.
	Size int
	// Offset is the byte offset of the first invalid UTF-8 byte, of a JSON
	// syntax error, or of a top-level value that is not an object; -1 when
	// the failure is not tied to a position (too large, empty, bad fields).
	Offset int64
	// Err is the cause.
	Err error
}

// Error returns "decode ticket: " followed by the cause.
func (e *DecodeError) Error() string {
	if e.Err == nil {
		return "decode ticket: " + ErrInvalidTicket.Error()
	}
	return "decode ticket: " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *DecodeError) Unwrap() error {
	return e.Err
}
