//go:build integration

package consumer

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"ticket-processor/internal/dlq"
	"ticket-processor/internal/failure"
	"ticket-processor/internal/kafkatest"
)

// TestDecodeDecisionsFromKcatAreDeadLettered writes, with kcat, the three
// inputs issue 9 asked to decide on, and checks each reaches the
// dead-letter topic with its reason while the partition flows on: a
// repeated key is malformed (at the top level and nested), a created_at
// beyond the clock skew and a record with only a ticket_id are
// invalid_field.
func TestDecodeDecisionsFromKcatAreDeadLettered(t *testing.T) {
	p := newPipeline(t, 1)
	valid := ticket("ord-valid", 1)
	validJSON, err := valid.Encode()
	require.NoError(t, err)
	farFuture := ticket("ord-future", 1)
	farFuture.CreatedAt = time.Now().AddDate(1, 0, 0).UTC()
	farFutureJSON, err := farFuture.Encode()
	require.NoError(t, err)
	tests := []struct {
		name    string
		key     string
		value   []byte
		reason  failure.Reason
		message string
	}{
		{"duplicate key", "ord-valid",
			[]byte(strings.Replace(string(validJSON), `"amount":100`, `"amount":100,"amount":999999`, 1)),
			failure.Malformed, `duplicate key "amount" at byte`},
		{"duplicate key in a nested object", "ord-valid",
			[]byte(strings.Replace(string(validJSON), "{", `{"meta":{"via":"web","via":"app"},`, 1)),
			failure.Malformed, `duplicate key "via" at byte`},
		{"created_at a year ahead", "ord-future", farFutureJSON,
			failure.InvalidField, "created_at: must be at most 5m0s after the reader's clock"},
		{"only a ticket_id", "k-lone", []byte(`{"ticket_id":"3f2b8c1e-9d4a-4f6b-8e2c-1a7d5b9c0e4f"}`),
			failure.InvalidField, "order_id: missing"},
	}
	for _, tt := range tests {
		kafkatest.Kcat(t, p.in, tt.key, tt.value)
	}
	kafkatest.Kcat(t, p.in, valid.OrderID, validJSON)
	r := p.start(t, p.config(t, nil), nil)

	dead := kafkatest.ReadAll(t, p.dead, len(tests), time.Minute)
	out := kafkatest.ReadAll(t, p.out, 1, time.Minute)
	r.stop()
	require.Len(t, dead, len(tests))
	require.Len(t, out, 1, "the partition keeps flowing past bad records")

	for _, d := range dead {
		e, err := dlq.Parse(d)
		require.NoError(t, err)
		require.Less(t, e.OriginalOffset, int64(len(tests)), "only the bad records are dead-lettered")
		tt := tests[e.OriginalOffset]
		assert.Equal(t, tt.reason, e.Failure.Reason, tt.name)
		assert.Equal(t, dlq.ClassPermanent, e.Failure.Class, tt.name)
		assert.Contains(t, e.Failure.Message, tt.message, tt.name)
		assert.Equal(t, tt.key, string(d.Key), tt.name)
		assert.Equal(t, tt.value, d.Value, "%s: value kept byte for byte", tt.name)
	}
	requireCommittedAtEnd(t, p.group, p.in)
}
