// Package models defines the ticket event that travels on the Kafka topic and
// the record the consumer writes after processing it.
//
// # Wire format
//
// A [Ticket] is encoded as one JSON object with snake_case keys, one object per
// Kafka message value. [Ticket.Encode] validates before encoding and is
// deterministic: the same ticket always yields the same bytes, with CreatedAt
// normalised to UTC and written in RFC 3339 with nanoseconds
// ([time.RFC3339Nano], trailing zeros dropped).
//
// [Decode] and [DecodeAt] are the only ways bytes from the topic become a
// Ticket. They never panic, and they accept a value only if
//
//  1. it is at most [MaxEncodedSize] bytes (checked before any parsing),
//  2. it is valid UTF-8 and exactly one JSON object with nothing after it,
//  3. no object in it, at any depth, has the same key twice,
//  4. every field is present with the right JSON type,
//  5. every field passes [Ticket.Validate], and
//  6. created_at is at most [MaxClockSkew] (5 minutes) after the reader's
//     clock: time.Now for Decode, the time given to DecodeAt.
//
// Unknown extra keys are ignored so that a newer producer can add fields
// without breaking an older consumer; a change that alters the meaning of an
// existing field must bump [SchemaVersion] instead. Keys match exactly (no
// case folding). A key that appears twice in one object, compared after
// unescaping, makes the value malformed: JSON readers disagree on which of
// the two counts, so the ticket would not be the same for every reader.
//
// # Errors
//
// Every failure of [Decode], [DecodeProcessed], [Ticket.Validate] and
// [Ticket.Encode] matches [ErrInvalidTicket] with [errors.Is]. The more specific
// sentinels [ErrTooLarge], [ErrMalformed] and [ErrUnknownSchemaVersion] tell the
// causes apart, [*DecodeError] carries the input size and, for syntax errors,
// the byte offset, and [*ValidationError] lists every bad field. Each knows
// its failure reason, which failure.Of reads: a record that
// declares another schema_version, or has none of a ticket's fields, is
// "unknown_schema"; a ticket with fields missing, schema_version among them,
// is "invalid_field".
package models
