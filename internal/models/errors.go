package models

import (
	"strings"

	"ticket-processor/internal/failure"
)

// ErrInvalidTicket is matched (with errors.Is) by every error this package
// returns for a ticket that cannot be decoded, validated or encoded. Its
// failure reason, and that of every error matching it and none of the
// more specific ones below, is [failure.InvalidField].
var ErrInvalidTicket error = &ticketError{msg: "invalid ticket", reason: failure.InvalidField}

// ErrMalformed means the input is not a single well-formed JSON object: it is
// empty, not valid UTF-8, not JSON, not an object, has data after the
// object, or has a key twice in one object. It wraps [ErrInvalidTicket];
// its failure reason is [failure.Malformed].
var ErrMalformed error = &ticketError{msg: "invalid ticket: malformed", parent: ErrInvalidTicket, reason: failure.Malformed}

// ErrTooLarge means the input is larger than [MaxEncodedSize] and was rejected
// without being parsed. It wraps [ErrInvalidTicket]; its failure reason is
// [failure.TooLarge].
var ErrTooLarge error = &ticketError{msg: "invalid ticket: too large", parent: ErrInvalidTicket, reason: failure.TooLarge}

// ErrUnknownSchemaVersion means the record is not a ticket of this schema:
// its schema_version is present but of the wrong type or not
// [SchemaVersion], or it has none of a ticket's fields. It wraps
// [ErrInvalidTicket]; its failure reason is [failure.UnknownSchema].
// [*ValidationError] says when it matches.
var ErrUnknownSchemaVersion error = &ticketError{msg: "invalid ticket: unknown schema version", parent: ErrInvalidTicket, reason: failure.UnknownSchema}

// ticketError is one of this package's sentinel errors: it knows its
// failure reason, so [failure.Of] classifies every error wrapping it.
type ticketError struct {
	msg    string
	parent error
	reason failure.Reason
}

func (e *ticketError) Error() string { return e.msg }

// Unwrap returns the more general sentinel, so that errors.Is matches it too.
func (e *ticketError) Unwrap() error { return e.parent }

// FailureReason returns the reason a ticket failing with e is dead-lettered.
func (e *ticketError) FailureReason() failure.Reason { return e.reason }

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
// [ErrInvalidTicket], so [failure.Of] calls it invalid_field.
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
