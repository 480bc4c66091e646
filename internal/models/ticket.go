package models

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"
)

// SchemaVersion is the only schema version this build writes and accepts.
const SchemaVersion = 1

// MaxEncodedSize is the largest encoded value, in bytes (1 MiB), that [Decode]
// and [DecodeProcessed] will parse. A larger value is rejected before parsing.
const MaxEncodedSize = 1 << 20

// MaxIDLength is the longest order_id or customer_id accepted, in bytes.
const MaxIDLength = 64

// MaxClockSkew is how far past the reader's clock a ticket's created_at may
// be (5 minutes). It allows for the producer's clock running ahead of the
// consumer's; a created_at later than that is an invalid field, so that a
// ticket stamped in the future neither passes as current nor skews the
// end-to-end latency. [Decode] and [DecodeAt] apply it; [Ticket.Validate]
// and [Ticket.Encode] do not, since whether a ticket can be written does
// not depend on the clock of whoever reads it.
const MaxClockSkew = 5 * time.Minute

// EventType is the kind of change a ticket reports about its order.
type EventType string

// The event types, in the order they occur in an order's lifecycle: created,
// zero or more updated, then paid or cancelled, then closed.
const (
	// EventCreated opens an order; it is the event with sequence 1.
	EventCreated EventType = "created"
	// EventUpdated changes an open order's amount.
	EventUpdated EventType = "updated"
	// EventPaid records that the order was paid.
	EventPaid EventType = "paid"
	// EventCancelled records that the order was cancelled.
	EventCancelled EventType = "cancelled"
	// EventClosed is an order's last event.
	EventClosed EventType = "closed"
)

// IsValid reports whether e is one of the defined event types.
func (e EventType) IsValid() bool {
	switch e {
	case EventCreated, EventUpdated, EventPaid, EventCancelled, EventClosed:
		return true
	default:
		return false
	}
}

// Ticket is one event in the life of an order, as written to Kafka.
//
// A Ticket is a value: build it with a struct literal, check it with
// [Ticket.Validate], and turn it into bytes with [Ticket.Encode].
type Ticket struct {
	// TicketID identifies this event: a UUID in canonical 36-character form
	// (8-4-4-4-12 hex digits; either case is accepted, the nil UUID is not).
	TicketID string `json:"ticket_id"`
	// OrderID identifies the order: non-empty, at most [MaxIDLength] bytes of
	// printable UTF-8.
	OrderID string `json:"order_id"`
	// CustomerID identifies the customer, with the same rules as OrderID.
	CustomerID string `json:"customer_id"`
	// Sequence numbers the events of one order 1, 2, 3… without gaps; >= 1.
	Sequence uint64 `json:"sequence"`
	// Type is the kind of event.
	Type EventType `json:"type"`
	// Amount is in minor units of Currency (cents for EUR, yen for JPY); >= 0.
	Amount int64 `json:"amount"`
	// Currency is an ISO 4217 alphabetic code accepted by [IsCurrency].
	Currency string `json:"currency"`
	// CreatedAt is when the event happened. It must not be zero and must fall
	// in the years 0001–9999 in UTC. Encode writes it in UTC with
	// [time.RFC3339Nano]; Decode returns it in UTC with nanoseconds kept.
	CreatedAt time.Time `json:"created_at"`
	// SchemaVersion must be [SchemaVersion].
	SchemaVersion int `json:"schema_version"`
}

// Validate returns nil if t can be encoded, and otherwise a
// [*ValidationError] naming every bad field.
func (t Ticket) Validate() error {
	if errs := checkFields(&t, ticketFields, nil); len(errs) > 0 {
		return &ValidationError{Fields: errs}
	}
	return nil
}

// Encode validates t and returns its JSON wire form. The bytes are
// deterministic: the same ticket always yields the same bytes, whatever the
// location of CreatedAt. A validation failure is a [*ValidationError].
func (t Ticket) Encode() ([]byte, error) {
	if err := t.Validate(); err != nil {
		return nil, fmt.Errorf("encode ticket: %w", err)
	}
	t.CreatedAt = t.CreatedAt.UTC()
	return json.Marshal(t)
}

// Decode parses one JSON-encoded ticket and validates it, with the bound on
// created_at taken from the system clock: it is [DecodeAt] at time.Now().
func Decode(data []byte) (Ticket, error) {
	return DecodeAt(data, time.Now())
}

// DecodeAt parses one JSON-encoded ticket read at now and validates it. It
// never panics. Every error is a [*DecodeError] matching [ErrInvalidTicket]
// and one of [ErrTooLarge], [ErrMalformed] (a key repeated in one object
// included), or, through a [*ValidationError] naming every missing,
// mistyped or invalid field, [ErrUnknownSchemaVersion] as described there.
// A created_at more than [MaxClockSkew] after now is an invalid field; a
// zero now applies no such bound. Unknown fields are ignored.
func DecodeAt(data []byte, now time.Time) (Ticket, error) {
	obj, err := parseObject(data)
	if err != nil {
		return Ticket{}, err
	}
	var t Ticket
	if errs := decodeFields(obj, &t, ticketFields, now, nil); len(errs) > 0 {
		return Ticket{}, &DecodeError{Size: len(data), Offset: -1, Err: &ValidationError{Fields: errs}}
	}
	return t, nil
}

// JSON keys of the ticket fields.
const (
	fieldTicketID      = "ticket_id"
	fieldOrderID       = "order_id"
	fieldCustomerID    = "customer_id"
	fieldSequence      = "sequence"
	fieldType          = "type"
	fieldAmount        = "amount"
	fieldCurrency      = "currency"
	fieldCreatedAt     = "created_at"
	fieldSchemaVersion = "schema_version"
)

// ticketFields lists the ticket's fields in wire order, which is the order
// field errors are reported in.
var ticketFields = []field[Ticket]{
	{
		key:    fieldTicketID,
		decode: func(raw json.RawMessage, t *Ticket) (r string) { t.TicketID, r = decodeString(raw); return r },
		check:  func(t *Ticket) string { return checkUUID(t.TicketID) },
	},
	{
		key:    fieldOrderID,
		decode: func(raw json.RawMessage, t *Ticket) (r string) { t.OrderID, r = decodeString(raw); return r },
		check:  func(t *Ticket) string { return checkID(t.OrderID) },
	},
	{
		key:    fieldCustomerID,
		decode: func(raw json.RawMessage, t *Ticket) (r string) { t.CustomerID, r = decodeString(raw); return r },
		check:  func(t *Ticket) string { return checkID(t.CustomerID) },
	},
	{
		key:    fieldSequence,
		decode: func(raw json.RawMessage, t *Ticket) (r string) { t.Sequence, r = decodeSequence(raw); return r },
		check: func(t *Ticket) string {
			if t.Sequence < 1 {
				return "must be >= 1, got 0"
			}
			return ""
		},
	},
	{
		key: fieldType,
		decode: func(raw json.RawMessage, t *Ticket) string {
			s, r := decodeString(raw)
			t.Type = EventType(s)
			return r
		},
		check: func(t *Ticket) string {
			switch {
			case t.Type == "":
				return reasonMissing
			case !t.Type.IsValid():
				return "must be one of created, updated, paid, cancelled, closed, got " + quote(string(t.Type))
			}
			return ""
		},
	},
	{
		key:    fieldAmount,
		decode: func(raw json.RawMessage, t *Ticket) (r string) { t.Amount, r = decodeInt64(raw); return r },
		check:  func(t *Ticket) string { return checkNonNegative(t.Amount) },
	},
	{
		key:    fieldCurrency,
		decode: func(raw json.RawMessage, t *Ticket) (r string) { t.Currency, r = decodeString(raw); return r },
		check: func(t *Ticket) string {
			switch {
			case t.Currency == "":
				return reasonMissing
			case !IsCurrency(t.Currency):
				return "must be an ISO 4217 currency code, got " + quote(t.Currency)
			}
			return ""
		},
	},
	{
		key:     fieldCreatedAt,
		decode:  func(raw json.RawMessage, t *Ticket) (r string) { t.CreatedAt, r = decodeTime(raw); return r },
		check:   func(t *Ticket) string { return checkTime(t.CreatedAt) },
		checkAt: func(t *Ticket, now time.Time) string { return checkNotAhead(t.CreatedAt, now) },
	},
	{
		key: fieldSchemaVersion,
		decode: func(raw json.RawMessage, t *Ticket) string {
			v, r := decodeInt64(raw)
			if r != "" {
				return r
			}
			if v != SchemaVersion {
				// Checked here so that a value that does not fit in an int on
				// a 32-bit platform is still reported as itself.
				return fmt.Sprintf("must be %d, got %d", SchemaVersion, v)
			}
			t.SchemaVersion = int(v)
			return ""
		},
		check: func(t *Ticket) string {
			if t.SchemaVersion != SchemaVersion {
				return fmt.Sprintf("must be %d, got %d", SchemaVersion, t.SchemaVersion)
			}
			return ""
		},
	},
}

// reasonMissing is the FieldError reason for an absent key or an empty value.
const reasonMissing = "missing"

// checkUUID checks the canonical 8-4-4-4-12 form without allocating.
func checkUUID(s string) string {
	if s == "" {
		return reasonMissing
	}
	if len(s) != 36 {
		return "must be a UUID in canonical 36-character form, got " + quote(s)
	}
	allZero := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return "must be a UUID in canonical 36-character form, got " + quote(s)
			}
		case c == '0':
		case '1' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
			allZero = false
		default:
			return "must be a UUID in canonical 36-character form, got " + quote(s)
		}
	}
	if allZero {
		return "must not be the nil UUID"
	}
	return ""
}

// checkID applies the rules shared by order_id and customer_id.
func checkID(s string) string {
	switch {
	case s == "":
		return reasonMissing
	case len(s) > MaxIDLength:
		return fmt.Sprintf("must be at most %d bytes, got %d", MaxIDLength, len(s))
	case !utf8.ValidString(s):
		return "must be valid UTF-8"
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return "must contain only printable characters, got " + quote(s)
		}
	}
	return ""
}

func checkNonNegative(v int64) string {
	if v < 0 {
		return "must be >= 0, got " + strconv.FormatInt(v, 10)
	}
	return ""
}

// checkTime rejects the zero time and instants whose UTC form cannot be
// written as RFC 3339 (years outside 0001–9999).
func checkTime(t time.Time) string {
	if t.IsZero() {
		return "must not be zero"
	}
	if y := t.UTC().Year(); y < 1 || y > 9999 {
		return "must be in the years 0001-9999 UTC, got year " + strconv.Itoa(y)
	}
	return ""
}

// checkNotAhead rejects an instant more than MaxClockSkew after now.
func checkNotAhead(t, now time.Time) string {
	if t.Sub(now) > MaxClockSkew {
		return fmt.Sprintf("must be at most %s after the reader's clock (%s), got %s",
			MaxClockSkew, now.UTC().Format(time.RFC3339), t.UTC().Format(time.RFC3339Nano))
	}
	return ""
}

// quote returns s in Go quotes, cut to a length fit for an error message.
func quote(s string) string {
	const limit = 40
	if len(s) <= limit {
		return strconv.Quote(s)
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "…"
}

// isTicketField reports whether key is the JSON key of a ticket field.
func isTicketField(key string) bool {
	for _, f := range ticketFields {
		if f.key == key {
			return true
		}
	}
	return false
}
