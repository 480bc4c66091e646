package consumer

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMetadataRoundTrips(t *testing.T) {
	tests := []struct {
		name  string
		point int64
		spans []span
		form  string
	}{
		{name: "nothing ahead", point: 7},
		{name: "a few offsets: the bitmap is shorter", point: 9, spans: []span{{10, 14}}, form: formBitmap},
		{name: "one long run right above the point", point: 100, spans: []span{{101, 1101}}, form: formRuns},
		{name: "runs far apart", point: 0, spans: []span{{10, 20}, {5000, 5001}, {90000, 90010}}, form: formRuns},
		{name: "every other offset", point: 41, spans: alternate(43, 400), form: formBitmap},
		{name: "offsets near the top of int64", point: 1 << 62, spans: []span{{1<<62 + 3, 1<<62 + 9}}, form: formBitmap},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			md := encodeAhead(tt.point, tt.spans)
			if tt.form == "" {
				assert.Empty(t, md)
			} else {
				assert.True(t, strings.HasPrefix(md, tt.form), "form of %q", md)
			}
			got, err := decodeAhead(tt.point, md)
			require.NoError(t, err)
			assert.Equal(t, tt.spans, got)
		})
	}
}

// alternate returns the spans of every other offset from first, n spans.
func alternate(first int64, n int) []span {
	spans := make([]span, n)
	for i := range spans {
		o := first + 2*int64(i)
		spans[i] = span{o, o + 1}
	}
	return spans
}

func TestMetadataNeverOverflowsItsBoundWithinTheAdmittedSpan(t *testing.T) {
	for _, limit := range []int{DefaultMetadataMaxBytes, 1024, 100, 7} {
		n := maxAheadSpan(limit)
		require.Positive(t, n, "limit %d", limit)
		point := int64(1_000_000)
		// The worst pattern for runs, every other offset, and the worst for
		// the span, the last admitted offset finished: the bitmap is full.
		spans := alternate(point+1, int(n/2)-1)
		spans = append(spans, span{point + n, point + n + 1})
		md := encodeAhead(point, spans)
		assert.LessOrEqual(t, len(md), limit, "limit %d, span %d", limit, n)
		got, err := decodeAhead(point, md)
		require.NoError(t, err)
		assert.Equal(t, spans, got)

		// One byte of bitmap further would not fit: the bound is tight.
		beyond := append(spans, span{point + n + 8, point + n + 9})
		assert.Greater(t, len(encodeAhead(point, beyond)), limit, "limit %d: span %d is not the largest that fits", limit, n)
	}
	assert.Equal(t, int64(24560), maxAheadSpan(DefaultMetadataMaxBytes), "4096 bytes hold 3070 bitmap bytes")
	assert.Zero(t, maxAheadSpan(3), "no room for even one offset")
}

func TestMetadataRandomSetsRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 500 {
		point := r.Int64N(1 << 40)
		var spans []span
		pos := point + 1 + r.Int64N(3)
		for range r.IntN(50) {
			n := 1 + r.Int64N(20)
			spans = append(spans, span{pos, pos + n})
			pos += n + 1 + r.Int64N(30)
		}
		got, err := decodeAhead(point, encodeAhead(point, spans))
		require.NoError(t, err)
		assert.Equal(t, spans, got)
	}
}

func TestUnreadableMetadataIsAnError(t *testing.T) {
	tests := []struct{ name, md string }{
		{"too short", "1"},
		{"unknown version", "2r" + b64.EncodeToString([]byte{0, 1})},
		{"unknown form", "1x" + b64.EncodeToString([]byte{0, 1})},
		{"not base64", "1r%%%"},
		{"cut-short run", "1r" + b64.EncodeToString([]byte{0})},
		{"cut-short varint", "1r" + b64.EncodeToString([]byte{0x80})},
		{"empty run", "1r" + b64.EncodeToString([]byte{0, 0})},
		{"adjacent runs", "1r" + b64.EncodeToString([]byte{0, 1, 0, 1})},
		{"a run of millions", "1r" + b64.EncodeToString([]byte{0, 0xff, 0xff, 0xff, 0x7f})},
		{"a bitmap of millions", "1b" + b64.EncodeToString(make([]byte, maxDecodedSpan/8+1))},
		{"text written by someone else", "consumed up to here"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spans, err := decodeAhead(10, tt.md)
			require.ErrorIs(t, err, ErrMetadata)
			assert.Nil(t, spans)
		})
	}
}

func FuzzDecodeAhead(f *testing.F) {
	f.Add(int64(0), "")
	f.Add(int64(5), encodeAhead(5, []span{{6, 9}, {20, 21}}))
	f.Add(int64(5), encodeAhead(5, alternate(7, 40)))
	f.Fuzz(func(t *testing.T, point int64, md string) {
		if point < 0 || point > 1<<62 {
			return // offsets are never negative, nor near the top of int64
		}
		spans, err := decodeAhead(point, md)
		if err != nil {
			return
		}
		prev := point
		for _, s := range spans {
			if s.from <= prev || s.to <= s.from || s.to-point > maxDecodedSpan+1 {
				t.Fatalf("%q at %d decodes to bad spans %v", md, point, spans)
			}
			prev = s.to
		}
	})
}

func TestAheadSpansReachBackOverUntrackedOffsets(t *testing.T) {
	window := []tracked{
		{offset: 10},             // the commit point
		{offset: 11, done: true}, // a span from 11
		{offset: 14, done: true}, // 12 and 13 were never delivered
		{offset: 15},
		{offset: 18, done: true}, // from 16, over 16 and 17
		{offset: 19},
	}
	assert.Equal(t, []span{{11, 15}, {16, 19}}, aheadSpans(window))
	assert.Empty(t, aheadSpans(window[:1]))
}

func TestSkipListAnswersInAscendingOrder(t *testing.T) {
	s := skipList{spans: []span{{3, 5}, {8, 9}}}
	var skipped []int64
	for o := range int64(12) {
		if s.finished(o) {
			skipped = append(skipped, o)
		}
	}
	assert.Equal(t, []int64{3, 4, 8}, skipped)
	assert.Empty(t, s.spans, "spans behind are dropped")
}
