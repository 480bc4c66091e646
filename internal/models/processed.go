package models

import (
	"encoding/json"
	"fmt"
	"time"
)

// OrderStatus is the state of an order after the consumer applied a ticket.
type OrderStatus string

// The order statuses.
const (
	// OrderOpen is the status after created and updated events.
	OrderOpen OrderStatus = "open"
	// OrderPaid is the status after a paid event.
	OrderPaid OrderStatus = "paid"
	// OrderCancelled is the status after a cancelled event.
	OrderCancelled OrderStatus = "cancelled"
	// OrderClosed is the status after a closed event.
	OrderClosed OrderStatus = "closed"
)

// IsValid reports whether s is one of the defined order statuses.
func (s OrderStatus) IsValid() bool {
	switch s {
	case OrderOpen, OrderPaid, OrderCancelled, OrderClosed:
		return true
	default:
		return false
	}
}

// ProcessedTicket is the consumer's output record: the ticket it processed
// and the state of the order afterwards. Its JSON object has the ticket's
// fields plus processed_at, order_status and order_total.
type ProcessedTicket struct {
	Ticket
	// ProcessedAt is when the consumer processed the ticket; the same rules
	// as Ticket.CreatedAt apply.
	ProcessedAt time.Time `json:"processed_at"`
	// OrderStatus is the order's status after this ticket.
	OrderStatus OrderStatus `json:"order_status"`
	// OrderTotal is the order's running total after this ticket, in minor
	// units of Currency; >= 0.
	OrderTotal int64 `json:"order_total"`
}

// Validate returns nil if p can be encoded, and otherwise a
// [*ValidationError] naming every bad field, ticket fields first.
func (p ProcessedTicket) Validate() error {
	errs := checkFields(&p.Ticket, ticketFields, nil)
	if errs = checkFields(&p, processedFields, errs); len(errs) > 0 {
		return &ValidationError{Fields: errs}
	}
	return nil
}

// Encode validates p and returns its JSON form, deterministically and with
// both timestamps in UTC, like [Ticket.Encode].
func (p ProcessedTicket) Encode() ([]byte, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("encode processed ticket: %w", err)
	}
	p.CreatedAt = p.CreatedAt.UTC()
	p.ProcessedAt = p.ProcessedAt.UTC()
	return json.Marshal(p)
}

// DecodeProcessed parses one JSON-encoded processed ticket with the same
// rules and errors as [Decode], except for the bound on created_at: the
// consumer applied it when it took the ticket in, and a reader of its
// output, later and on another clock, has nothing to add.
func DecodeProcessed(data []byte) (ProcessedTicket, error) {
	obj, err := parseObject(data)
	if err != nil {
		return ProcessedTicket{}, err
	}
	var p ProcessedTicket
	errs := decodeFields(obj, &p.Ticket, ticketFields, time.Time{}, nil)
	if errs = decodeFields(obj, &p, processedFields, time.Time{}, errs); len(errs) > 0 {
		return ProcessedTicket{}, &DecodeError{Size: len(data), Offset: -1, Err: &ValidationError{Fields: errs}}
	}
	return p, nil
}

// processedFields lists the fields ProcessedTicket adds to Ticket.
var processedFields = []field[ProcessedTicket]{
	{
		key: "processed_at",
		decode: func(raw json.RawMessage, p *ProcessedTicket) (r string) {
			p.ProcessedAt, r = decodeTime(raw)
			return r
		},
		check: func(p *ProcessedTicket) string { return checkTime(p.ProcessedAt) },
	},
	{
		key: "order_status",
		decode: func(raw json.RawMessage, p *ProcessedTicket) string {
			s, r := decodeString(raw)
			p.OrderStatus = OrderStatus(s)
			return r
		},
		check: func(p *ProcessedTicket) string {
			switch {
			case p.OrderStatus == "":
				return reasonMissing
			case !p.OrderStatus.IsValid():
				return "must be one of open, paid, cancelled, closed, got " + quote(string(p.OrderStatus))
			}
			return ""
		},
	},
	{
		key: "order_total",
		decode: func(raw json.RawMessage, p *ProcessedTicket) (r string) {
			p.OrderTotal, r = decodeInt64(raw)
			return r
		},
		check: func(p *ProcessedTicket) string { return checkNonNegative(p.OrderTotal) },
	},
}
