package models_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"ticket-processor/internal/failure"
	"ticket-processor/internal/models"
)

// validTicket returns a ticket that passes Validate; tests mutate copies.
func validTicket() models.Ticket {
	return models.Ticket{
		TicketID:      "3f2b8c1e-9d4a-4f6b-8e2c-1a7d5b9c0e4f",
		OrderID:       "ord-00c0ffee00c0ffee",
		CustomerID:    "cust-000123",
		Sequence:      1,
		Type:          models.EventCreated,
		Amount:        4999,
		Currency:      "EUR",
		CreatedAt:     time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.UTC),
		SchemaVersion: models.SchemaVersion,
	}
}

// validWire is the encoding of validTicket.
const validWire = `{"ticket_id":"3f2b8c1e-9d4a-4f6b-8e2c-1a7d5b9c0e4f","order_id":"ord-00c0ffee00c0ffee",` +
	`"customer_id":"cust-000123","sequence":1,"type":"created","amount":4999,"currency":"EUR",` +
	`"created_at":"2025-03-14T15:09:26.535897932Z","schema_version":1}`

// wireWith returns validWire with the given keys replaced by raw JSON values;
// a nil value deletes the key.
func wireWith(t testing.TB, replace map[string]*string) []byte {
	t.Helper()
	var obj map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(validWire), &obj))
	for key, raw := range replace {
		if raw == nil {
			delete(obj, key)
			continue
		}
		obj[key] = json.RawMessage(*raw)
	}
	data, err := json.Marshal(obj)
	require.NoError(t, err)
	return data
}

func TestTicketValidateAcceptsValidTickets(t *testing.T) {
	tests := []struct {
		name   string
		ticket func() models.Ticket
	}{
		{"baseline", validTicket},
		{"zero amount", func() models.Ticket { tk := validTicket(); tk.Amount = 0; return tk }},
		{"max amount", func() models.Ticket { tk := validTicket(); tk.Amount = math.MaxInt64; return tk }},
		{"max sequence", func() models.Ticket { tk := validTicket(); tk.Sequence = math.MaxUint64; return tk }},
		{"closed event", func() models.Ticket { tk := validTicket(); tk.Type = models.EventClosed; return tk }},
		{"zero-decimal currency", func() models.Ticket { tk := validTicket(); tk.Currency = "JPY"; return tk }},
		{"three-decimal currency", func() models.Ticket { tk := validTicket(); tk.Currency = "KWD"; return tk }},
		{"upper-case UUID", func() models.Ticket {
			tk := validTicket()
			tk.TicketID = strings.ToUpper(tk.TicketID)
			return tk
		}},
		{"order id of 64 bytes", func() models.Ticket { tk := validTicket(); tk.OrderID = strings.Repeat("o", 64); return tk }},
		{"non-ASCII printable ids", func() models.Ticket {
			tk := validTicket()
			tk.OrderID, tk.CustomerID = "bestellung-ä-01", "клиент 7"
			return tk
		}},
		{"non-UTC created_at", func() models.Ticket {
			tk := validTicket()
			tk.CreatedAt = tk.CreatedAt.In(time.FixedZone("UTC-7", -7*3600))
			return tk
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.NoError(t, tt.ticket().Validate())
		})
	}
}

func TestTicketValidateNamesEveryBadField(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*models.Ticket)
		want   []models.FieldError
	}{
		{
			name:   "missing ticket_id",
			mutate: func(tk *models.Ticket) { tk.TicketID = "" },
			want:   []models.FieldError{{Field: "ticket_id", Reason: "missing"}},
		},
		{
			name:   "ticket_id not a UUID",
			mutate: func(tk *models.Ticket) { tk.TicketID = "not-a-uuid" },
			want:   []models.FieldError{{Field: "ticket_id", Reason: `must be a UUID in canonical 36-character form, got "not-a-uuid"`}},
		},
		{
			name:   "ticket_id without hyphens",
			mutate: func(tk *models.Ticket) { tk.TicketID = "3f2b8c1e9d4a4f6b8e2c1a7d5b9c0e4f" },
			want:   []models.FieldError{{Field: "ticket_id", Reason: `must be a UUID in canonical 36-character form, got "3f2b8c1e9d4a4f6b8e2c1a7d5b9c0e4f"`}},
		},
		{
			name:   "ticket_id in braces",
			mutate: func(tk *models.Ticket) { tk.TicketID = "{3f2b8c1e-9d4a-4f6b-8e2c-1a7d5b9c0e4}" },
			want:   []models.FieldError{{Field: "ticket_id", Reason: `must be a UUID in canonical 36-character form, got "{3f2b8c1e-9d4a-4f6b-8e2c-1a7d5b9c0e4}"`}},
		},
		{
			name:   "ticket_id with non-hex digit",
			mutate: func(tk *models.Ticket) { tk.TicketID = "3f2b8c1e-9d4a-4f6b-8e2c-1a7d5b9c0e4g" },
			want:   []models.FieldError{{Field: "ticket_id", Reason: `must be a UUID in canonical 36-character form, got "3f2b8c1e-9d4a-4f6b-8e2c-1a7d5b9c0e4g"`}},
		},
		{
			name:   "nil UUID",
			mutate: func(tk *models.Ticket) { tk.TicketID = "00000000-0000-0000-0000-000000000000" },
			want:   []models.FieldError{{Field: "ticket_id", Reason: "must not be the nil UUID"}},
		},
		{
			name:   "missing order_id",
			mutate: func(tk *models.Ticket) { tk.OrderID = "" },
			want:   []models.FieldError{{Field: "order_id", Reason: "missing"}},
		},
		{
			name:   "order_id too long",
			mutate: func(tk *models.Ticket) { tk.OrderID = strings.Repeat("o", 65) },
			want:   []models.FieldError{{Field: "order_id", Reason: "must be at most 64 bytes, got 65"}},
		},
		{
			name:   "order_id with control character",
			mutate: func(tk *models.Ticket) { tk.OrderID = "ord-1\n" },
			want:   []models.FieldError{{Field: "order_id", Reason: `must contain only printable characters, got "ord-1\n"`}},
		},
		{
			name:   "order_id with invalid UTF-8",
			mutate: func(tk *models.Ticket) { tk.OrderID = "ord-\xff" },
			want:   []models.FieldError{{Field: "order_id", Reason: "must be valid UTF-8"}},
		},
		{
			name:   "missing customer_id",
			mutate: func(tk *models.Ticket) { tk.CustomerID = "" },
			want:   []models.FieldError{{Field: "customer_id", Reason: "missing"}},
		},
		{
			name:   "zero sequence",
			mutate: func(tk *models.Ticket) { tk.Sequence = 0 },
			want:   []models.FieldError{{Field: "sequence", Reason: "must be >= 1, got 0"}},
		},
		{
			name:   "missing type",
			mutate: func(tk *models.Ticket) { tk.Type = "" },
			want:   []models.FieldError{{Field: "type", Reason: "missing"}},
		},
		{
			name:   "unknown type",
			mutate: func(tk *models.Ticket) { tk.Type = "refunded" },
			want:   []models.FieldError{{Field: "type", Reason: `must be one of created, updated, paid, cancelled, closed, got "refunded"`}},
		},
		{
			name:   "negative amount",
			mutate: func(tk *models.Ticket) { tk.Amount = -5 },
			want:   []models.FieldError{{Field: "amount", Reason: "must be >= 0, got -5"}},
		},
		{
			name:   "missing currency",
			mutate: func(tk *models.Ticket) { tk.Currency = "" },
			want:   []models.FieldError{{Field: "currency", Reason: "missing"}},
		},
		{
			name:   "lower-case currency",
			mutate: func(tk *models.Ticket) { tk.Currency = "eur" },
			want:   []models.FieldError{{Field: "currency", Reason: `must be an ISO 4217 currency code, got "eur"`}},
		},
		{
			name:   "three letters but not a currency",
			mutate: func(tk *models.Ticket) { tk.Currency = "ABC" },
			want:   []models.FieldError{{Field: "currency", Reason: `must be an ISO 4217 currency code, got "ABC"`}},
		},
		{
			name:   "withdrawn currency",
			mutate: func(tk *models.Ticket) { tk.Currency = "HRK" },
			want:   []models.FieldError{{Field: "currency", Reason: `must be an ISO 4217 currency code, got "HRK"`}},
		},
		{
			name:   "zero created_at",
			mutate: func(tk *models.Ticket) { tk.CreatedAt = time.Time{} },
			want:   []models.FieldError{{Field: "created_at", Reason: "must not be zero"}},
		},
		{
			name:   "created_at beyond year 9999",
			mutate: func(tk *models.Ticket) { tk.CreatedAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) },
			want:   []models.FieldError{{Field: "created_at", Reason: "must be in the years 0001-9999 UTC, got year 10000"}},
		},
		{
			name:   "zero schema_version",
			mutate: func(tk *models.Ticket) { tk.SchemaVersion = 0 },
			want:   []models.FieldError{{Field: "schema_version", Reason: "must be 1, got 0"}},
		},
		{
			name: "several bad fields at once, in wire order",
			mutate: func(tk *models.Ticket) {
				*tk = models.Ticket{Amount: -1, SchemaVersion: models.SchemaVersion}
			},
			want: []models.FieldError{
				{Field: "ticket_id", Reason: "missing"},
				{Field: "order_id", Reason: "missing"},
				{Field: "customer_id", Reason: "missing"},
				{Field: "sequence", Reason: "must be >= 1, got 0"},
				{Field: "type", Reason: "missing"},
				{Field: "amount", Reason: "must be >= 0, got -1"},
				{Field: "currency", Reason: "missing"},
				{Field: "created_at", Reason: "must not be zero"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk := validTicket()
			tt.mutate(&tk)

			err := tk.Validate()

			require.Error(t, err)
			assert.ErrorIs(t, err, models.ErrInvalidTicket)
			verr, ok := errors.AsType[*models.ValidationError](err)
			require.True(t, ok, "want *ValidationError, got %T", err)
			assert.Equal(t, tt.want, verr.Fields)

			_, encErr := tk.Encode()
			assert.ErrorIs(t, encErr, models.ErrInvalidTicket, "Encode must validate first")
		})
	}
}

func TestValidationErrorMessageNamesEveryField(t *testing.T) {
	tk := validTicket()
	tk.OrderID = ""
	tk.Amount = -5

	err := tk.Validate()

	require.EqualError(t, err, "invalid ticket: order_id: missing; amount: must be >= 0, got -5")
}

func TestValidationErrorMatchesUnknownSchemaVersionOnlyForSchemaField(t *testing.T) {
	tests := []struct {
		name        string
		fields      []models.FieldError
		wantUnknown bool
	}{
		{"amount only", []models.FieldError{{Field: "amount", Reason: "x"}}, false},
		{"schema_version only", []models.FieldError{{Field: "schema_version", Reason: "x"}}, true},
		{"schema_version among others", []models.FieldError{{Field: "amount", Reason: "x"}, {Field: "schema_version", Reason: "x"}}, true},
		{"no fields", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := fmt.Errorf("wrapped: %w", &models.ValidationError{Fields: tt.fields})

			assert.ErrorIs(t, err, models.ErrInvalidTicket)
			assert.Equal(t, tt.wantUnknown, errors.Is(err, models.ErrUnknownSchemaVersion))
			assert.False(t, errors.Is(err, models.ErrMalformed))
			assert.False(t, errors.Is(err, models.ErrTooLarge))
		})
	}
}

func TestEncodeIsDeterministicSnakeCaseJSON(t *testing.T) {
	first, err := validTicket().Encode()
	require.NoError(t, err)
	second, err := validTicket().Encode()
	require.NoError(t, err)

	assert.Equal(t, validWire, string(first))
	assert.Equal(t, first, second)
}

func TestEncodeNormalisesCreatedAtToUTC(t *testing.T) {
	tests := []struct {
		name string
		loc  *time.Location
	}{
		{"UTC", time.UTC},
		{"fixed +05:30", time.FixedZone("IST", 5*3600+1800)},
		{"fixed -07:00", time.FixedZone("MST", -7*3600)},
		{"local", time.Local},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk := validTicket()
			tk.CreatedAt = tk.CreatedAt.In(tt.loc)

			data, err := tk.Encode()

			require.NoError(t, err)
			assert.Equal(t, validWire, string(data))
		})
	}
}

func TestEncodeKeepsNanoseconds(t *testing.T) {
	tests := []struct {
		name string
		nsec int
		want string
	}{
		{"whole second", 0, `"created_at":"2025-03-14T15:09:26Z"`},
		{"one nanosecond", 1, `"created_at":"2025-03-14T15:09:26.000000001Z"`},
		{"milliseconds", 250_000_000, `"created_at":"2025-03-14T15:09:26.25Z"`},
		{"all nine digits", 999_999_999, `"created_at":"2025-03-14T15:09:26.999999999Z"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk := validTicket()
			tk.CreatedAt = time.Date(2025, 3, 14, 15, 9, 26, tt.nsec, time.UTC)

			data, err := tk.Encode()
			require.NoError(t, err)
			got, err := models.Decode(data)
			require.NoError(t, err)

			assert.Contains(t, string(data), tt.want)
			assert.Equal(t, tt.nsec, got.CreatedAt.Nanosecond())
			assert.True(t, tk.CreatedAt.Equal(got.CreatedAt))
		})
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*models.Ticket)
	}{
		{"baseline", func(*models.Ticket) {}},
		{"non-UTC created_at", func(tk *models.Ticket) {
			tk.CreatedAt = time.Date(2024, 2, 29, 23, 59, 59, 1, time.FixedZone("", 14*3600))
		}},
		{"extreme numbers", func(tk *models.Ticket) { tk.Amount, tk.Sequence = math.MaxInt64, math.MaxUint64 }},
		{"characters JSON must escape", func(tk *models.Ticket) { tk.OrderID, tk.CustomerID = `o"r\d<e>r&`, "c/é'c" }},
		{"non-ASCII ids", func(tk *models.Ticket) { tk.OrderID, tk.CustomerID = "注文-42", "😀-kunde" }},
		{"every event type", func(tk *models.Ticket) { tk.Type = models.EventCancelled }},
		{"earliest time", func(tk *models.Ticket) { tk.CreatedAt = time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC) }},
		{"latest time", func(tk *models.Ticket) {
			tk.CreatedAt = time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk := validTicket()
			tt.mutate(&tk)

			data, err := tk.Encode()
			require.NoError(t, err)
			// Read at the ticket's own time, so that the latest instant
			// is not refused as ahead of the clock.
			got, err := models.DecodeAt(data, tk.CreatedAt)
			require.NoError(t, err)

			want := tk
			want.CreatedAt = tk.CreatedAt.UTC()
			assert.Equal(t, want, got)
			assert.Equal(t, time.UTC, got.CreatedAt.Location())
		})
	}
}

func TestDecodeAcceptsUnknownFieldsAndWhitespace(t *testing.T) {
	tests := []struct {
		name string
		data string
	}{
		{"exact", validWire},
		{"unknown scalar field", strings.Replace(validWire, "{", `{"channel":"web",`, 1)},
		{"unknown nested field", strings.Replace(validWire, "{", `{"meta":{"a":[1,{"b":null}]},`, 1)},
		{"surrounding whitespace", " \n\t" + validWire + "\r\n "},
		{"escaped key", strings.Replace(validWire, `"order_id"`, `"order\u005fid"`, 1)},
		{"offset created_at", strings.Replace(validWire, "2025-03-14T15:09:26.535897932Z", "2025-03-14T16:09:26.535897932+01:00", 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := models.Decode([]byte(tt.data))

			require.NoError(t, err)
			assert.Equal(t, validTicket(), got)
		})
	}
}

func TestDecodeRejectsMalformedInput(t *testing.T) {
	tests := []struct {
		name       string
		data       string
		wantOffset int64
		wantMsg    string
	}{
		{"empty", "", -1, "empty value"},
		{"only whitespace", " \n\t ", -1, "empty value"},
		{"null", "null", 0, "not a JSON object, got null"},
		{"array", `[` + validWire + `]`, 0, "not a JSON object, got array"},
		{"string", `"ticket"`, 0, "not a JSON object, got string"},
		{"number", ` 42`, 1, "not a JSON object, got number"},
		{"boolean", `true`, 0, "not a JSON object, got boolean"},
		{"not JSON", `<ticket/>`, 1, "invalid character '<' looking for beginning of value"},
		{"truncated", validWire[:40], 40, "unexpected end of JSON input"},
		{"trailing data", validWire + "x", int64(len(validWire)) + 1, "invalid character 'x' after top-level value"},
		{"two objects", validWire + validWire, int64(len(validWire)) + 1, "invalid character '{' after top-level value"},
		{"trailing comma", strings.TrimSuffix(validWire, "}") + ",}", int64(len(validWire)) + 1, "invalid character '}' looking for beginning of object key string"},
		{"invalid UTF-8 in a value", strings.Replace(validWire, "cust-000123", "cust-\xff", 1), 106, "invalid UTF-8 at byte 106"},
		{"invalid UTF-8 in a key", "{\"\xc3\x28\":1}", 2, "invalid UTF-8 at byte 2"},
		{"overlong UTF-8 encoding", "{\"a\":\"\xc0\xaf\"}", 6, "invalid UTF-8 at byte 6"},
		{"UTF-16 surrogate as UTF-8", "{\"a\":\"\xed\xa0\x80\"}", 6, "invalid UTF-8 at byte 6"},
		{"byte order mark", "\ufeff" + validWire, 1, "invalid character 'ï' looking for beginning of value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := models.Decode([]byte(tt.data))

			require.Error(t, err)
			assert.ErrorIs(t, err, models.ErrMalformed)
			assert.ErrorIs(t, err, models.ErrInvalidTicket)
			assert.Equal(t, failure.Malformed, failure.Of(err))
			derr, ok := errors.AsType[*models.DecodeError](err)
			require.True(t, ok, "want *DecodeError, got %T", err)
			assert.Equal(t, len(tt.data), derr.Size)
			assert.Equal(t, tt.wantOffset, derr.Offset)
			assert.EqualError(t, err, "decode ticket: invalid ticket: malformed: "+tt.wantMsg)
		})
	}
}

func TestDecodeRejectsValuesOverSizeLimitBeforeParsing(t *testing.T) {
	// pad builds a valid ticket of exactly size bytes with an unknown field.
	pad := func(size int) []byte {
		prefix := `{"padding":"`
		suffix := `",` + strings.TrimPrefix(validWire, "{")
		return []byte(prefix + strings.Repeat("p", size-len(prefix)-len(suffix)) + suffix)
	}
	tests := []struct {
		name    string
		data    []byte
		wantErr error
	}{
		{"valid ticket at the limit", pad(models.MaxEncodedSize), nil},
		{"valid ticket one byte over", pad(models.MaxEncodedSize + 1), models.ErrTooLarge},
		{"garbage over the limit", []byte(strings.Repeat("\xff", 2*models.MaxEncodedSize)), models.ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := models.Decode(tt.data)

			assert.ErrorIs(t, err, tt.wantErr)
		})
	}

	_, err := models.Decode(pad(models.MaxEncodedSize + 1))
	assert.Equal(t, failure.TooLarge, failure.Of(err))
	assert.ErrorIs(t, err, models.ErrInvalidTicket)
	assert.EqualError(t, err, fmt.Sprintf("decode ticket: invalid ticket: too large: %d bytes, limit %d",
		models.MaxEncodedSize+1, models.MaxEncodedSize))
}

// raw returns a pointer to a raw JSON value for wireWith.
func raw(s string) *string { return &s }

func TestDecodeNamesEveryMissingOrMistypedField(t *testing.T) {
	tests := []struct {
		name    string
		replace map[string]*string
		want    []models.FieldError
	}{
		{"ticket_id missing", map[string]*string{"ticket_id": nil},
			[]models.FieldError{{Field: "ticket_id", Reason: "missing"}}},
		{"ticket_id null", map[string]*string{"ticket_id": raw("null")},
			[]models.FieldError{{Field: "ticket_id", Reason: "want string, got null"}}},
		{"ticket_id number", map[string]*string{"ticket_id": raw("42")},
			[]models.FieldError{{Field: "ticket_id", Reason: "want string, got number"}}},
		{"order_id empty", map[string]*string{"order_id": raw(`""`)},
			[]models.FieldError{{Field: "order_id", Reason: "missing"}}},
		{"order_id object", map[string]*string{"order_id": raw(`{"id":"x"}`)},
			[]models.FieldError{{Field: "order_id", Reason: "want string, got object"}}},
		{"order_id escaped control character", map[string]*string{"order_id": raw(`"ord\u0000"`)},
			[]models.FieldError{{Field: "order_id", Reason: `must contain only printable characters, got "ord\x00"`}}},
		{"customer_id array", map[string]*string{"customer_id": raw(`["c"]`)},
			[]models.FieldError{{Field: "customer_id", Reason: "want string, got array"}}},
		{"sequence string", map[string]*string{"sequence": raw(`"1"`)},
			[]models.FieldError{{Field: "sequence", Reason: "want integer, got string"}}},
		{"sequence fraction", map[string]*string{"sequence": raw(`1.5`)},
			[]models.FieldError{{Field: "sequence", Reason: `want integer, got number "1.5"`}}},
		{"sequence exponent", map[string]*string{"sequence": raw(`1e3`)},
			[]models.FieldError{{Field: "sequence", Reason: `want integer, got number "1e3"`}}},
		{"sequence zero", map[string]*string{"sequence": raw(`0`)},
			[]models.FieldError{{Field: "sequence", Reason: "must be >= 1, got 0"}}},
		{"sequence negative", map[string]*string{"sequence": raw(`-3`)},
			[]models.FieldError{{Field: "sequence", Reason: "must be >= 1, got -3"}}},
		{"sequence overflow", map[string]*string{"sequence": raw(`18446744073709551616`)},
			[]models.FieldError{{Field: "sequence", Reason: `out of range for an unsigned 64-bit integer, got "18446744073709551616"`}}},
		{"type boolean", map[string]*string{"type": raw(`true`)},
			[]models.FieldError{{Field: "type", Reason: "want string, got boolean"}}},
		{"type unknown", map[string]*string{"type": raw(`"CREATED"`)},
			[]models.FieldError{{Field: "type", Reason: `must be one of created, updated, paid, cancelled, closed, got "CREATED"`}}},
		{"amount string", map[string]*string{"amount": raw(`"5"`)},
			[]models.FieldError{{Field: "amount", Reason: "want integer, got string"}}},
		{"amount null", map[string]*string{"amount": raw(`null`)},
			[]models.FieldError{{Field: "amount", Reason: "want integer, got null"}}},
		{"amount negative", map[string]*string{"amount": raw(`-5`)},
			[]models.FieldError{{Field: "amount", Reason: "must be >= 0, got -5"}}},
		{"amount overflow", map[string]*string{"amount": raw(`9223372036854775808`)},
			[]models.FieldError{{Field: "amount", Reason: `out of range for a 64-bit integer, got "9223372036854775808"`}}},
		{"currency number", map[string]*string{"currency": raw(`978`)},
			[]models.FieldError{{Field: "currency", Reason: "want string, got number"}}},
		{"currency unknown", map[string]*string{"currency": raw(`"BTC"`)},
			[]models.FieldError{{Field: "currency", Reason: `must be an ISO 4217 currency code, got "BTC"`}}},
		{"created_at number", map[string]*string{"created_at": raw(`1741964966`)},
			[]models.FieldError{{Field: "created_at", Reason: "want RFC 3339 timestamp string, got number"}}},
		{"created_at not RFC 3339", map[string]*string{"created_at": raw(`"14/03/2025 15:09"`)},
			[]models.FieldError{{Field: "created_at", Reason: `must be an RFC 3339 timestamp, got "14/03/2025 15:09"`}}},
		{"created_at without zone", map[string]*string{"created_at": raw(`"2025-03-14T15:09:26"`)},
			[]models.FieldError{{Field: "created_at", Reason: `must be an RFC 3339 timestamp, got "2025-03-14T15:09:26"`}}},
		{"created_at zero", map[string]*string{"created_at": raw(`"0001-01-01T00:00:00Z"`)},
			[]models.FieldError{{Field: "created_at", Reason: "must not be zero"}}},
		{"created_at before year 1 in UTC", map[string]*string{"created_at": raw(`"0001-01-01T00:30:00+01:00"`)},
			[]models.FieldError{{Field: "created_at", Reason: "must be in the years 0001-9999 UTC, got year 0"}}},
		{"created_at after year 9999 in UTC", map[string]*string{"created_at": raw(`"9999-12-31T23:30:00-01:00"`)},
			[]models.FieldError{{Field: "created_at", Reason: "must be in the years 0001-9999 UTC, got year 10000"}}},
		{"schema_version missing", map[string]*string{"schema_version": nil},
			[]models.FieldError{{Field: "schema_version", Reason: "missing"}}},
		{
			name:    "wrong type in one field does not hide the others",
			replace: map[string]*string{"amount": raw(`"5"`), "order_id": nil, "sequence": raw(`-1`), "currency": raw(`"eur"`)},
			want: []models.FieldError{
				{Field: "order_id", Reason: "missing"},
				{Field: "sequence", Reason: "must be >= 1, got -1"},
				{Field: "amount", Reason: "want integer, got string"},
				{Field: "currency", Reason: `must be an ISO 4217 currency code, got "eur"`},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := models.Decode(wireWith(t, tt.replace))

			require.Error(t, err)
			assert.Equal(t, models.Ticket{}, got)
			assert.ErrorIs(t, err, models.ErrInvalidTicket)
			assert.NotErrorIs(t, err, models.ErrUnknownSchemaVersion)
			assert.Equal(t, failure.InvalidField, failure.Of(err))
			verr, ok := errors.AsType[*models.ValidationError](err)
			require.True(t, ok, "want *ValidationError, got %T", err)
			assert.Equal(t, tt.want, verr.Fields)
			derr, ok := errors.AsType[*models.DecodeError](err)
			require.True(t, ok, "want *DecodeError, got %T", err)
			assert.Equal(t, int64(-1), derr.Offset)
		})
	}
}

func TestDecodeEmptyObjectNamesEveryField(t *testing.T) {
	_, err := models.Decode([]byte(`{}`))

	require.EqualError(t, err, "decode ticket: invalid ticket: ticket_id: missing; order_id: missing; "+
		"customer_id: missing; sequence: missing; type: missing; amount: missing; currency: missing; "+
		"created_at: missing; schema_version: missing")
}

func TestDecodeKeysAreCaseSensitive(t *testing.T) {
	data := strings.Replace(validWire, `"ticket_id"`, `"Ticket_ID"`, 1)

	_, err := models.Decode([]byte(data))

	require.EqualError(t, err, "decode ticket: invalid ticket: ticket_id: missing")
}

func TestDecodeUnknownSchemaVersion(t *testing.T) {
	tests := []struct {
		name    string
		replace map[string]*string
		want    []models.FieldError
	}{
		{"newer version", map[string]*string{"schema_version": raw("2")},
			[]models.FieldError{{Field: "schema_version", Reason: "must be 1, got 2"}}},
		{"version zero", map[string]*string{"schema_version": raw("0")},
			[]models.FieldError{{Field: "schema_version", Reason: "must be 1, got 0"}}},
		{"huge version", map[string]*string{"schema_version": raw("9223372036854775807")},
			[]models.FieldError{{Field: "schema_version", Reason: "must be 1, got 9223372036854775807"}}},
		{"version as string", map[string]*string{"schema_version": raw(`"1"`)},
			[]models.FieldError{{Field: "schema_version", Reason: "want integer, got string"}}},
		{"version null", map[string]*string{"schema_version": raw(`null`)},
			[]models.FieldError{{Field: "schema_version", Reason: "want integer, got null"}}},
		{
			name:    "other bad fields are still named",
			replace: map[string]*string{"schema_version": raw("2"), "amount": nil, "total": raw("5")},
			want: []models.FieldError{
				{Field: "amount", Reason: "missing"},
				{Field: "schema_version", Reason: "must be 1, got 2"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := models.Decode(wireWith(t, tt.replace))

			require.Error(t, err)
			assert.ErrorIs(t, err, models.ErrUnknownSchemaVersion)
			assert.ErrorIs(t, err, models.ErrInvalidTicket)
			assert.Equal(t, failure.UnknownSchema, failure.Of(err))
			verr, ok := errors.AsType[*models.ValidationError](err)
			require.True(t, ok, "want *ValidationError, got %T", err)
			assert.Equal(t, tt.want, verr.Fields)
		})
	}
}

func TestReason(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, "other"},
		{"unrelated", io.EOF, "other"},
		{"too large", models.ErrTooLarge, "too_large"},
		{"wrapped too large", fmt.Errorf("consume: %w", models.ErrTooLarge), "too_large"},
		{"malformed", models.ErrMalformed, "malformed"},
		{"unknown schema", models.ErrUnknownSchemaVersion, "unknown_schema"},
		{"bare invalid ticket", models.ErrInvalidTicket, "invalid_field"},
		{"validation error", &models.ValidationError{Fields: []models.FieldError{{Field: "amount", Reason: "x"}}}, "invalid_field"},
		{"joined with unrelated", errors.Join(io.EOF, models.ErrMalformed), "malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := failure.Of(tt.err)

			assert.Equal(t, failure.Reason(tt.want), got)
			assert.Contains(t, failure.Reasons(), got)
		})
	}
}

func TestCurrencyTable(t *testing.T) {
	tests := []struct {
		code       string
		wantOK     bool
		wantDigits int
	}{
		{"EUR", true, 2},
		{"USD", true, 2},
		{"GBP", true, 2},
		{"CHF", true, 2},
		{"SEK", true, 2},
		{"JPY", true, 0},
		{"KRW", true, 0},
		{"KWD", true, 3},
		{"BHD", true, 3},
		{"XOF", true, 0},
		{"XCG", true, 2},
		{"ZWG", true, 2},
		{"eur", false, 0},
		{"EURO", false, 0},
		{"", false, 0},
		{"ABC", false, 0},
		{"XXX", false, 0},
		{"XTS", false, 0},
		{"XAU", false, 0},
		{"HRK", false, 0},
		{"VEF", false, 0},
		{"ZWL", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			digits, ok := models.CurrencyMinorUnits(tt.code)

			assert.Equal(t, tt.wantOK, ok)
			assert.Equal(t, tt.wantDigits, digits)
			assert.Equal(t, tt.wantOK, models.IsCurrency(tt.code))
		})
	}
}

func TestEventTypeIsValid(t *testing.T) {
	tests := []struct {
		typ  models.EventType
		want bool
	}{
		{models.EventCreated, true},
		{models.EventUpdated, true},
		{models.EventPaid, true},
		{models.EventCancelled, true},
		{models.EventClosed, true},
		{"", false},
		{"Created", false},
		{"refunded", false},
	}
	for _, tt := range tests {
		t.Run(string(tt.typ), func(t *testing.T) {
			assert.Equal(t, tt.want, tt.typ.IsValid())
		})
	}
}

func BenchmarkEncode(b *testing.B) {
	tk := validTicket()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tk.Encode(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	data := []byte(validWire)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := models.Decode(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeInvalid(b *testing.B) {
	data := []byte(`{"amount":"5","sequence":-3,"schema_version":2,"created_at":null}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := models.Decode(data); err == nil {
			b.Fatal("want error")
		}
	}
}
