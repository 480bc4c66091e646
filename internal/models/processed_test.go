package models_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"ticket-processor/internal/failure"
	"ticket-processor/internal/models"
)

func validProcessed() models.ProcessedTicket {
	return models.ProcessedTicket{
		Ticket:      validTicket(),
		ProcessedAt: time.Date(2025, 3, 14, 15, 9, 27, 1, time.UTC),
		OrderStatus: models.OrderOpen,
		OrderTotal:  4999,
	}
}

const validProcessedWire = `{"ticket_id":"3f2b8c1e-9d4a-4f6b-8e2c-1a7d5b9c0e4f","order_id":"ord-00c0ffee00c0ffee",` +
	`"customer_id":"cust-000123","sequence":1,"type":"created","amount":4999,"currency":"EUR",` +
	`"created_at":"2025-03-14T15:09:26.535897932Z","schema_version":1,` +
	`"processed_at":"2025-03-14T15:09:27.000000001Z","order_status":"open","order_total":4999}`

func TestProcessedTicketEncodeIsDeterministicAndFlat(t *testing.T) {
	p := validProcessed()
	p.CreatedAt = p.CreatedAt.In(time.FixedZone("", 3600))
	p.ProcessedAt = p.ProcessedAt.In(time.FixedZone("", -3600))

	data, err := p.Encode()

	require.NoError(t, err)
	assert.Equal(t, validProcessedWire, string(data))
}

func TestProcessedTicketRoundTrip(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*models.ProcessedTicket)
	}{
		{"open", func(*models.ProcessedTicket) {}},
		{"paid", func(p *models.ProcessedTicket) { p.Type, p.OrderStatus = models.EventPaid, models.OrderPaid }},
		{"cancelled", func(p *models.ProcessedTicket) {
			p.Type, p.OrderStatus, p.OrderTotal = models.EventCancelled, models.OrderCancelled, 0
		}},
		{"closed", func(p *models.ProcessedTicket) { p.Type, p.OrderStatus = models.EventClosed, models.OrderClosed }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := validProcessed()
			tt.mutate(&p)

			data, err := p.Encode()
			require.NoError(t, err)
			got, err := models.DecodeProcessed(data)
			require.NoError(t, err)

			assert.Equal(t, p, got)
		})
	}
}

func TestProcessedTicketValidateNamesTicketAndOutputFields(t *testing.T) {
	p := validProcessed()
	p.Amount = -1
	p.ProcessedAt = time.Time{}
	p.OrderStatus = "pending"
	p.OrderTotal = -7

	err := p.Validate()

	require.EqualError(t, err, `invalid ticket: amount: must be >= 0, got -1; processed_at: must not be zero; `+
		`order_status: must be one of open, paid, cancelled, closed, got "pending"; order_total: must be >= 0, got -7`)
	_, encErr := p.Encode()
	assert.ErrorIs(t, encErr, models.ErrInvalidTicket)
}

func TestDecodeProcessedNamesEveryBadField(t *testing.T) {
	tests := []struct {
		name string
		data string
		want []models.FieldError
	}{
		{
			name: "plain ticket lacks the output fields",
			data: validWire,
			want: []models.FieldError{
				{Field: "processed_at", Reason: "missing"},
				{Field: "order_status", Reason: "missing"},
				{Field: "order_total", Reason: "missing"},
			},
		},
		{
			name: "wrong types",
			data: strings.NewReplacer(`"order_total":4999`, `"order_total":"4999"`,
				`"order_status":"open"`, `"order_status":null`,
				`"processed_at":"2025-03-14T15:09:27.000000001Z"`, `"processed_at":0`).Replace(validProcessedWire),
			want: []models.FieldError{
				{Field: "processed_at", Reason: "want RFC 3339 timestamp string, got number"},
				{Field: "order_status", Reason: "want string, got null"},
				{Field: "order_total", Reason: "want integer, got string"},
			},
		},
		{
			name: "ticket and output fields together",
			data: strings.NewReplacer(`"order_total":4999`, `"order_total":-1`,
				`"sequence":1`, `"sequence":0`).Replace(validProcessedWire),
			want: []models.FieldError{
				{Field: "sequence", Reason: "must be >= 1, got 0"},
				{Field: "order_total", Reason: "must be >= 0, got -1"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := models.DecodeProcessed([]byte(tt.data))

			require.Error(t, err)
			assert.Equal(t, models.ProcessedTicket{}, got)
			assert.Equal(t, failure.InvalidField, failure.Of(err))
			verr, ok := errors.AsType[*models.ValidationError](err)
			require.True(t, ok, "want *ValidationError, got %T", err)
			assert.Equal(t, tt.want, verr.Fields)
		})
	}
}

func TestDecodeProcessedRejectsMalformedAndOversizedInput(t *testing.T) {
	tests := []struct {
		name    string
		data    []byte
		wantErr error
	}{
		{"empty", nil, models.ErrMalformed},
		{"array", []byte("[]"), models.ErrMalformed},
		{"trailing data", []byte(validProcessedWire + "}"), models.ErrMalformed},
		{"too large", make([]byte, models.MaxEncodedSize+1), models.ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := models.DecodeProcessed(tt.data)

			assert.ErrorIs(t, err, tt.wantErr)
		})
	}
}

func TestDecodeReadsTheTicketInsideAProcessedRecord(t *testing.T) {
	got, err := models.Decode([]byte(validProcessedWire))

	require.NoError(t, err)
	assert.Equal(t, validTicket(), got)
}

func TestOrderStatusIsValid(t *testing.T) {
	tests := []struct {
		status models.OrderStatus
		want   bool
	}{
		{models.OrderOpen, true},
		{models.OrderPaid, true},
		{models.OrderCancelled, true},
		{models.OrderClosed, true},
		{"", false},
		{"OPEN", false},
		{"pending", false},
	}
	for _, tt := range tests {
		t.Run(string(tt.status), func(t *testing.T) {
			assert.Equal(t, tt.want, tt.status.IsValid())
		})
	}
}
