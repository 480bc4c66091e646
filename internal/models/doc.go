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
// [Decode] is the only way bytes from the topic become a Ticket. It never
// panics, and it accepts a value only if
//
//  1. it is at most [MaxEncodedSize] bytes (checked before any parsing),
//  2. it is valid UTF-8 and exactly one JSON object with nothing after it,
//  3. every field is present with the right JSON type, and
//  4. every field passes [Ticket.Validate].
//
// Unknown extra keys are ignored so that a newer producer can add fields
// without breaking an older consumer; a change that alters the meaning of an
// existing field must bump [SchemaVersion] instead. Keys match exactly (no
// case folding). When a key appears twice the last one wins.
//
// # Errors
//
// Every failure of [Decode], [DecodeProcessed], [Ticket.Validate] and
// [Ticket.Encode] matches [ErrInvalidTicket] with [errors.Is]. The more specific
// sentinels [ErrTooLarge], [ErrMalformed] and [ErrUnknownSchemaVersion] tell the
// causes apart, [*DecodeError] carries the input size and, for syntax errors,
// the byte offset, and [*ValidationError] lists every bad field. [Reason] maps
// any of them to a small fixed set of metric label values.
package models
