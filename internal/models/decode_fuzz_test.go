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

// FuzzDecode checks that DecodeAt never panics, that every error it returns
// is a *DecodeError matching ErrInvalidTicket with a known metric reason,
// that every ticket it accepts is within MaxClockSkew of the clock, and
// that it re-encodes and decodes to the same value. The clock is fixed, so
// that whatever the fuzzer finds repeats.
//
// The seeds below and the files in testdata/fuzz/FuzzDecode run with every
// plain `go test`; run the fuzzer itself with
//
//	go test -run='^$' -fuzz=FuzzDecode -fuzztime=60s ./internal/models
//
// and keep anything it finds as a corpus file whose name does not start with
// a hex digit (the .gitignore drops the fuzzer's hash-named files).
func FuzzDecode(f *testing.F) {
	seeds := []string{
		validWire,
		validProcessedWire,
		" \n" + validWire + "\n",
		strings.Replace(validWire, "{", `{"extra":{"nested":[1,2,{"x":null}]},`, 1),
		strings.Replace(validWire, "2025-03-14T15:09:26.535897932Z", "2025-03-14T16:09:26.5+01:00", 1),
		strings.Replace(validWire, `"EUR"`, `"JPY"`, 1),
		strings.Replace(validWire, `"ord-00c0ffee00c0ffee"`, `"o\u0072d-\ud83d\ude00"`, 1),
		strings.Replace(validWire, `"ord-00c0ffee00c0ffee"`, `"ord-\ud800"`, 1),
		strings.Replace(validWire, `"schema_version":1`, `"schema_version":2`, 1),
		strings.Replace(validWire, `"amount":4999`, `"amount":"4999"`, 1),
		strings.Replace(validWire, `"amount":4999`, `"amount":-0`, 1),
		strings.Replace(validWire, `"sequence":1`, `"sequence":1e0`, 1),
		strings.Replace(validWire, `"sequence":1`, `"sequence":18446744073709551615`, 1),
		strings.Replace(validWire, "2025-03-14T15:09:26.535897932Z", "0001-01-01T00:00:00Z", 1),
		strings.Replace(validWire, "2025-03-14T15:09:26.535897932Z", "9999-12-31T23:59:59.999999999-23:59", 1),
		validWire + validWire,
		validWire[:len(validWire)/2],
		"",
		"null",
		"[]",
		"{}",
		`{"ticket_id":null,"order_id":null,"customer_id":null,"sequence":null,"type":null,"amount":null,"currency":null,"created_at":null,"schema_version":null}`,
		"\xff\xfe",
		"{\"order_id\":\"\xc3\x28\"}",
		strings.Repeat("[", 20000),
		strings.Replace(validWire, `"amount":4999`, `"amount":4999,"amount":1`, 1),
		strings.Replace(validWire, "{", `{"meta":{"a":[{"b":1,"b\u0000":2,"b":3}]},`, 1),
		strings.Replace(validWire, "2025-03-14T15:09:26.535897932Z", "2025-03-14T15:19:26Z", 1),
		`{"ticket_id":"3f2b8c1e-9d4a-4f6b-8e2c-1a7d5b9c0e4f"}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}

	// Five minutes after validWire's created_at: the seed ten minutes
	// ahead of it is refused, one at the edge of the skew is not.
	now := time.Date(2025, 3, 14, 15, 14, 26, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := models.DecodeAt(data, now)
		if err != nil {
			assert.ErrorIs(t, err, models.ErrInvalidTicket)
			_, isDecodeErr := errors.AsType[*models.DecodeError](err)
			assert.True(t, isDecodeErr, "want *DecodeError, got %T", err)
			assert.NotEqual(t, failure.Other, failure.Of(err))
			assert.Equal(t, models.Ticket{}, got)
			return
		}

		require.NoError(t, got.Validate())
		require.LessOrEqual(t, got.CreatedAt.Sub(now), models.MaxClockSkew)
		encoded, err := got.Encode()
		require.NoError(t, err)
		again, err := models.DecodeAt(encoded, now)
		require.NoError(t, err)
		require.Equal(t, got, again)
		reencoded, err := again.Encode()
		require.NoError(t, err)
		require.Equal(t, encoded, reencoded, "encoding must be deterministic")
	})
}
