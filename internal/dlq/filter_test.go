package dlq_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"ticket-processor/internal/dlq"
	"ticket-processor/internal/failure"
)

func ptr[T any](v T) *T { return &v }

func TestFilterMatch(t *testing.T) {
	entry := dlq.Entry{
		OriginalTopic: "tickets", OriginalPartition: 3, OriginalOffset: 100,
		Failure:     dlq.Failure{Reason: failure.Malformed},
		ReplayCount: 2,
		Key:         []byte("order-42"),
	}
	tests := []struct {
		name      string
		filter    dlq.Filter
		entry     dlq.Entry
		selects   bool
		exhausted bool
	}{
		{"zero filter keeps everything", dlq.Filter{}, entry, true, false},
		{"reason in set", dlq.Filter{Reasons: []failure.Reason{failure.TooLarge, failure.Malformed}}, entry, true, false},
		{"reason not in set", dlq.Filter{Reasons: []failure.Reason{failure.TooLarge}}, entry, false, false},
		{"order id equal", dlq.Filter{OrderID: "order-42"}, entry, true, false},
		{"order id is not a prefix match", dlq.Filter{OrderID: "order-4"}, entry, false, false},
		{"order id against nil key", dlq.Filter{OrderID: "order-42"}, dlq.Entry{}, false, false},
		{"partition equal", dlq.Filter{Partition: ptr[int32](3)}, entry, true, false},
		{"partition zero is a real filter", dlq.Filter{Partition: ptr[int32](0)}, entry, false, false},
		{"offset range includes both ends (from)", dlq.Filter{FromOffset: ptr[int64](100), ToOffset: ptr[int64](200)}, entry, true, false},
		{"offset range includes both ends (to)", dlq.Filter{FromOffset: ptr[int64](0), ToOffset: ptr[int64](100)}, entry, true, false},
		{"offset below range", dlq.Filter{FromOffset: ptr[int64](101)}, entry, false, false},
		{"offset above range", dlq.Filter{ToOffset: ptr[int64](99)}, entry, false, false},
		{"replays below the limit", dlq.Filter{MaxReplays: 3}, entry, true, false},
		{"replays at the limit", dlq.Filter{MaxReplays: 2}, entry, true, true},
		{"no limit", dlq.Filter{MaxReplays: 0}, dlq.Entry{ReplayCount: 1000}, true, false},
		{"every criterion", dlq.Filter{Reasons: []failure.Reason{failure.Malformed}, OrderID: "order-42", Partition: ptr[int32](3),
			FromOffset: ptr[int64](50), ToOffset: ptr[int64](150), MaxReplays: 3}, entry, true, false},
		{"one criterion fails", dlq.Filter{Reasons: []failure.Reason{failure.Malformed}, OrderID: "order-42", Partition: ptr[int32](4)},
			entry, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.selects, tt.filter.Selects(tt.entry))
			assert.Equal(t, tt.exhausted, tt.filter.ReplaysExhausted(tt.entry))
			assert.Equal(t, tt.selects && !tt.exhausted, tt.filter.Match(tt.entry))
		})
	}
}

func TestFilterValidate(t *testing.T) {
	tests := []struct {
		name    string
		filter  dlq.Filter
		wantMsg string
	}{
		{"zero", dlq.Filter{}, ""},
		{"full", dlq.Filter{Reasons: failure.Reasons(), OrderID: "o", Partition: ptr[int32](0),
			FromOffset: ptr[int64](5), ToOffset: ptr[int64](5), MaxReplays: 3}, ""},
		{"unknown reason", dlq.Filter{Reasons: []failure.Reason{"malformd"}},
			`invalid filter: Reasons: "malformd" is not a reason: want one of malformed, invalid_field, unknown_schema, too_large, retries_exhausted, order_parked, out_of_sequence, other`},
		{"negative partition", dlq.Filter{Partition: ptr[int32](-1)}, "invalid filter: Partition = -1: must be >= 0"},
		{"reversed range", dlq.Filter{FromOffset: ptr[int64](10), ToOffset: ptr[int64](9)},
			"invalid filter: FromOffset = 10: must be <= ToOffset (9)"},
		{"every field named", dlq.Filter{FromOffset: ptr[int64](-1), ToOffset: ptr[int64](-2), MaxReplays: -1},
			"invalid filter: FromOffset = -1: must be >= 0\nToOffset = -2: must be >= 0\n" +
				"FromOffset = -1: must be <= ToOffset (-2)\nMaxReplays = -1: must be >= 0 (0 means no limit)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.filter.Validate()

			if tt.wantMsg == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, dlq.ErrInvalidFilter)
			assert.EqualError(t, err, tt.wantMsg)
		})
	}
}
