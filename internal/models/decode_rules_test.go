package models_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"ticket-processor/internal/failure"
	"ticket-processor/internal/models"
)

// withKeys returns validWire with members inserted after its opening brace.
func withKeys(members string) string {
	return strings.Replace(validWire, "{", "{"+members+",", 1)
}

func TestDecodeRejectsDuplicateKeys(t *testing.T) {
	manyKeys := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, `"k%d":%d,`, i, i)
		}
		return b.String()
	}
	tests := []struct {
		name string
		data string
		key  string
	}{
		{"ticket field twice", strings.Replace(validWire, `"amount":4999`, `"amount":4999,"amount":1`, 1), "amount"},
		{"ticket field twice with the same value", strings.Replace(validWire, `"currency":"EUR"`, `"currency":"EUR","currency":"EUR"`, 1), "currency"},
		{"twice through an escape", strings.Replace(validWire, `"order_id"`, `"order\u005fid":"ord-other","order_id"`, 1), "order_id"},
		{"unknown field twice", withKeys(`"channel":"web","channel":"app"`), "channel"},
		{"in a nested object", withKeys(`"meta":{"a":1,"b":{"c":1,"c":2}}`), "c"},
		{"in an object in an array", withKeys(`"items":[{"sku":"a"},{"sku":"b","sku":"c"}]`), "sku"},
		{"in an object of many keys", withKeys(`"meta":{` + manyKeys(40) + `"k7":0}`), "k7"},
		{"empty key twice", withKeys(`"":1,"":2`), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := models.Decode([]byte(tt.data))

			require.Error(t, err)
			assert.Equal(t, models.Ticket{}, got)
			assert.ErrorIs(t, err, models.ErrMalformed)
			assert.Equal(t, failure.Malformed, failure.Of(err))
			derr, ok := errors.AsType[*models.DecodeError](err)
			require.True(t, ok, "want *DecodeError, got %T", err)
			assert.EqualError(t, err, fmt.Sprintf("decode ticket: invalid ticket: malformed: duplicate key %q at byte %d", tt.key, derr.Offset))
			require.Positive(t, derr.Offset)
			assert.Equal(t, byte('"'), tt.data[derr.Offset], "the offset is where the second key starts")
		})
	}
}

func TestDecodeAcceptsKeysRepeatedOnlyAcrossObjects(t *testing.T) {
	tests := []struct {
		name string
		data string
	}{
		{"same key in sibling objects", withKeys(`"a":{"x":1},"b":{"x":2}`)},
		{"same key at another depth", withKeys(`"x":{"x":{"x":1}}`)},
		{"ticket key inside an unknown field", withKeys(`"previous":{"amount":1,"currency":"USD"}`)},
		{"key names as values", withKeys(`"note":"amount","tags":["amount","amount"]`)},
		{"quotes and braces inside strings", withKeys(`"note":"a\"}{\"amount\":1,\"amount\":2","n\"ote":"\\"`)},
		{"objects in an array", withKeys(`"items":[{"sku":"a"},{"sku":"b"}]`)},
		{"many distinct keys", withKeys(`"meta":{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,` +
			`"k9":9,"k10":10,"k11":11,"k12":12,"k13":13,"k14":14,"k15":15,"k16":16,"k17":17,"k18":18}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := models.Decode([]byte(tt.data))

			require.NoError(t, err)
			assert.Equal(t, validTicket(), got)
		})
	}
}

func TestDecodeAtBoundsCreatedAtByTheClockSkew(t *testing.T) {
	created := validTicket().CreatedAt
	tests := []struct {
		name    string
		now     time.Time
		wantErr string
	}{
		{"read a day later", created.Add(24 * time.Hour), ""},
		{"read at the same instant", created, ""},
		{"stamped the whole skew ahead", created.Add(-models.MaxClockSkew), ""},
		{"stamped just over the skew ahead", created.Add(-models.MaxClockSkew - time.Nanosecond),
			"must be at most 5m0s after the reader's clock (2025-03-14T15:04:26Z), got 2025-03-14T15:09:26.535897932Z"},
		{"stamped a year ahead", created.AddDate(-1, 0, 0),
			"must be at most 5m0s after the reader's clock (2024-03-14T15:09:26Z), got 2025-03-14T15:09:26.535897932Z"},
		{"a reader in another zone", created.Add(-time.Hour).In(time.FixedZone("", 9*3600)),
			"must be at most 5m0s after the reader's clock (2025-03-14T14:09:26Z), got 2025-03-14T15:09:26.535897932Z"},
		{"zero now applies no bound", time.Time{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := models.DecodeAt([]byte(validWire), tt.now)

			if tt.wantErr == "" {
				require.NoError(t, err)
				assert.Equal(t, validTicket(), got)
				return
			}
			require.Error(t, err)
			assert.Equal(t, models.Ticket{}, got)
			assert.Equal(t, failure.InvalidField, failure.Of(err))
			verr, ok := errors.AsType[*models.ValidationError](err)
			require.True(t, ok, "want *ValidationError, got %T", err)
			assert.Equal(t, []models.FieldError{{Field: "created_at", Reason: tt.wantErr}}, verr.Fields)
		})
	}
}

func TestDecodeUsesTheSystemClock(t *testing.T) {
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339Nano)
	data := strings.Replace(validWire, "2025-03-14T15:09:26.535897932Z", future, 1)

	_, err := models.Decode([]byte(data))

	require.Error(t, err)
	assert.Equal(t, failure.InvalidField, failure.Of(err))
	assert.ErrorContains(t, err, "created_at: must be at most 5m0s after the reader's clock")
}

func TestValidateAndDecodeProcessedApplyNoClockBound(t *testing.T) {
	tk := validTicket()
	tk.CreatedAt = time.Now().AddDate(10, 0, 0)
	assert.NoError(t, tk.Validate(), "whether a ticket can be written does not depend on the reader's clock")

	p := validProcessed()
	p.CreatedAt = tk.CreatedAt
	data, err := p.Encode()
	require.NoError(t, err)
	_, err = models.DecodeProcessed(data)
	assert.NoError(t, err, "the consumer applied the bound when it took the ticket in")
}

func TestDecodeProcessedRejectsDuplicateKeys(t *testing.T) {
	data := strings.Replace(validProcessedWire, `"order_total":4999`, `"order_total":4999,"order_total":0`, 1)

	_, err := models.DecodeProcessed([]byte(data))

	assert.ErrorIs(t, err, models.ErrMalformed)
	assert.ErrorContains(t, err, `duplicate key "order_total"`)
}

// TestReasonForMissingFields pins the rule between unknown_schema and
// invalid_field: a record with some of a ticket's fields is a ticket with
// fields missing; only a schema_version other than 1, or a record with
// nothing of a ticket, is an unknown schema.
func TestReasonForMissingFields(t *testing.T) {
	tests := []struct {
		name       string
		data       string
		want       failure.Reason
		wantFields []string
	}{
		{"only a ticket_id", `{"ticket_id":"3f2b8c1e-9d4a-4f6b-8e2c-1a7d5b9c0e4f"}`, failure.InvalidField,
			[]string{"order_id", "customer_id", "sequence", "type", "amount", "currency", "created_at", "schema_version"}},
		{"only an order_id and an unknown field", `{"order_id":"ord-1","note":"x"}`, failure.InvalidField,
			[]string{"ticket_id", "customer_id", "sequence", "type", "amount", "currency", "created_at", "schema_version"}},
		{"only the schema version", `{"schema_version":1}`, failure.InvalidField,
			[]string{"ticket_id", "order_id", "customer_id", "sequence", "type", "amount", "currency", "created_at"}},
		{"everything but the schema version", strings.Replace(validWire, `,"schema_version":1`, "", 1), failure.InvalidField,
			[]string{"schema_version"}},
		{"only a wrong schema version", `{"schema_version":2}`, failure.UnknownSchema,
			[]string{"ticket_id", "order_id", "customer_id", "sequence", "type", "amount", "currency", "created_at", "schema_version"}},
		{"a schema version that is not a number", `{"ticket_id":"3f2b8c1e-9d4a-4f6b-8e2c-1a7d5b9c0e4f","schema_version":"v1"}`, failure.UnknownSchema,
			[]string{"order_id", "customer_id", "sequence", "type", "amount", "currency", "created_at", "schema_version"}},
		{"an empty object", `{}`, failure.UnknownSchema,
			[]string{"ticket_id", "order_id", "customer_id", "sequence", "type", "amount", "currency", "created_at", "schema_version"}},
		{"an object of another kind", `{"user":"ada","action":"login"}`, failure.UnknownSchema,
			[]string{"ticket_id", "order_id", "customer_id", "sequence", "type", "amount", "currency", "created_at", "schema_version"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := models.Decode([]byte(tt.data))

			require.Error(t, err)
			assert.Equal(t, tt.want, failure.Of(err))
			assert.Equal(t, tt.want == failure.UnknownSchema, errors.Is(err, models.ErrUnknownSchemaVersion))
			verr, ok := errors.AsType[*models.ValidationError](err)
			require.True(t, ok, "want *ValidationError, got %T", err)
			var fields []string
			for _, f := range verr.Fields {
				fields = append(fields, f.Field)
			}
			assert.Equal(t, tt.wantFields, fields)
		})
	}
}
