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
// empty, not valid UTF-8, not JSON, not an object, has data after the
// object, or has a key twice in one object. It wraps [ErrInvalidTicket].
var ErrMalformed = fmt.Errorf("%w: malformed", ErrInvalidTicket)

// ErrTooLarge means the input is larger than [MaxEncodedSize] and was rejected
// without being parsed. It wraps [ErrInvalidTicket].
var ErrTooLarge = fmt.Errorf("%w: too large", ErrInvalidTicket)

// ErrUnknownSchemaVersion means the record is not a ticket of this schema:
// its schema_version is present but of the wrong type or not
// [SchemaVersion], or it has none of a ticket's fields. It wraps
// [ErrInvalidTicket]. [*ValidationError] says when it matches.
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
// wins over other bad fields, because a ticket written under another schema
// is expected to fail field checks too; a ticket that merely lacks fields,
// schema_version among them, is "invalid_field" (see [ValidationError]).
// Reason(nil) is "other".
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
// order the fields appear in the wire format. It matches [ErrInvalidTicket].
// It also matches [ErrUnknownSchemaVersion] when the record does not look
// like a ticket of this schema:
//
//   - schema_version is present but is not [SchemaVersion] (another number,
//     or not an integer), because the record says it follows another schema;
//   - or every ticket field is missing (absent, or an empty string), as for
//     {} or an object of some other kind.
//
// A record with some of a ticket's fields that lacks others, schema_version
// included, is a ticket with missing fields: it matches only
// [ErrInvalidTicket], so [Reason] calls it "invalid_field".
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

// Unwrap returns [ErrUnknownSchemaVersion] when the record does not look
// like a ticket of this schema, as described on the type, and
// [ErrInvalidTicket] otherwise, so that errors.Is works.
func (e *ValidationError) Unwrap() error {
	if e.unknownSchema() {
		return ErrUnknownSchemaVersion
	}
	return ErrInvalidTicket
}

// unknownSchema reports whether schema_version is present and wrong, or
// every ticket field is missing.
func (e *ValidationError) unknownSchema() bool {
	missing := 0
	for _, f := range e.Fields {
		if f.Field == fieldSchemaVersion && f.Reason != reasonMissing {
			return true
		}
		if f.Reason == reasonMissing && isTicketField(f.Field) {
			missing++
		}
	}
	return missing == len(ticketFields)
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
	// syntax error, of a top-level value that is not an object, or of the
	// second appearance of a repeated key; -1 when the failure is not tied
	// to a position (too large, empty, bad fields).
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
