package consumer

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// The commit metadata of a partition names the offsets above its commit
// point that are finished already, so that the partition's next owner
// skips them instead of processing them again. The commit point itself is
// never among them: it is the lowest unfinished offset.
//
// The metadata is a version and form prefix followed by unpadded URL-safe
// base64 of one of two forms, whichever is shorter (runs on a tie):
//
//	""          nothing above the commit point is finished
//	"1r" + b64  runs: uvarint pairs (gap, run). Counting starts at the
//	            offset after the commit point; each pair skips gap
//	            unfinished offsets, then covers run finished ones.
//	"1b" + b64  bitmap: bit i of byte i/8 (least significant bit first)
//	            is set when offset commit point + 1 + i is finished;
//	            trailing zero bytes are left out.
//
// Runs are short when finished offsets bunch together, the usual case; a
// bitmap has a size set by the span alone, however the offsets are mixed,
// which is what bounds the metadata: see maxAheadSpan.
const (
	metadataVersion = "1"
	formRuns        = metadataVersion + "r"
	formBitmap      = metadataVersion + "b"
)

// DefaultMetadataMaxBytes is the broker's default offset.metadata.max.bytes.
const DefaultMetadataMaxBytes = 4096

// maxDecodedSpan bounds the offsets one metadata string may cover when it
// is read back: metadata from Kafka is input like any other, and a run
// claiming millions of offsets finished is refused rather than believed.
const maxDecodedSpan = 1 << 24

var b64 = base64.RawURLEncoding

// ErrMetadata is returned for commit metadata that cannot be read.
var ErrMetadata = errors.New("unreadable commit metadata")

// span is a half-open range of finished offsets [from, to).
type span struct{ from, to int64 }

// encodeAhead returns the metadata for the finished offsets above point,
// given as ascending, disjoint, non-adjacent spans that all start above
// point.
func encodeAhead(point int64, spans []span) string {
	if len(spans) == 0 {
		return ""
	}
	var runs []byte
	pos := point + 1
	for _, s := range spans {
		runs = binary.AppendUvarint(runs, uint64(s.from-pos))
		runs = binary.AppendUvarint(runs, uint64(s.to-s.from))
		pos = s.to
	}
	last := spans[len(spans)-1].to - 1 - (point + 1) // bit index of the last finished offset
	if bitmapBytes := int(last/8) + 1; b64.EncodedLen(bitmapBytes) < b64.EncodedLen(len(runs)) {
		bits := make([]byte, bitmapBytes)
		for _, s := range spans {
			for o := s.from; o < s.to; o++ {
				i := o - point - 1
				bits[i/8] |= 1 << (i % 8)
			}
		}
		return formBitmap + b64.EncodeToString(bits)
	}
	return formRuns + b64.EncodeToString(runs)
}

// decodeAhead reads metadata written by encodeAhead for point. Empty
// metadata is no spans; anything unreadable is an error wrapping
// ErrMetadata, and the caller then skips nothing.
func decodeAhead(point int64, md string) ([]span, error) {
	if md == "" {
		return nil, nil
	}
	if len(md) < 2 {
		return nil, fmt.Errorf("%w: %q has no form", ErrMetadata, md)
	}
	form, body := md[:2], md[2:]
	raw, err := b64.DecodeString(body)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMetadata, err)
	}
	var spans []span
	switch form {
	case formRuns:
		pos := point + 1
		for len(raw) > 0 {
			gap, n := binary.Uvarint(raw)
			if n <= 0 {
				return nil, fmt.Errorf("%w: a run's gap is cut short", ErrMetadata)
			}
			raw = raw[n:]
			run, n := binary.Uvarint(raw)
			if n <= 0 {
				return nil, fmt.Errorf("%w: a run's length is cut short", ErrMetadata)
			}
			raw = raw[n:]
			if run == 0 || (gap == 0 && len(spans) > 0) {
				return nil, fmt.Errorf("%w: runs not in their shortest form", ErrMetadata)
			}
			if gap > maxDecodedSpan || run > maxDecodedSpan || pos+int64(gap)+int64(run)-point > maxDecodedSpan {
				return nil, fmt.Errorf("%w: runs cover more than %d offsets", ErrMetadata, maxDecodedSpan)
			}
			from := pos + int64(gap)
			pos = from + int64(run)
			spans = append(spans, span{from, pos})
		}
	case formBitmap:
		if len(raw)*8 > maxDecodedSpan {
			return nil, fmt.Errorf("%w: a bitmap of more than %d offsets", ErrMetadata, maxDecodedSpan)
		}
		for i := range int64(len(raw)) * 8 {
			if raw[i/8]&(1<<(i%8)) == 0 {
				continue
			}
			o := point + 1 + i
			if n := len(spans); n > 0 && spans[n-1].to == o {
				spans[n-1].to++
				continue
			}
			spans = append(spans, span{o, o + 1})
		}
	default:
		return nil, fmt.Errorf("%w: unknown form %q (this consumer reads %s)", ErrMetadata, form,
			strings.Join([]string{formRuns, formBitmap}, " and "))
	}
	return spans, nil
}

// maxAheadSpan is how far above the commit point a partition may take
// records so that its metadata fits in limit bytes whatever they finish:
// the bitmap of offsets point+1 to point+n takes ceil(n/8) bytes, however
// they are mixed, and the runs form is only ever used when shorter.
func maxAheadSpan(limit int) int64 {
	room := limit - len(formBitmap)
	if room < 2 {
		return 0
	}
	bytes := room * 3 / 4 // unpadded base64: 4 characters carry 3 bytes
	return int64(bytes) * 8
}

// aheadSpans turns the tracked window of a committer (ascending, its first
// entry the unfinished commit point) into the spans of finished offsets
// above it. Offsets between tracked ones hold no record the claim
// delivers (transaction markers, aborted or compacted records), so a span
// reaches back over the untracked offsets before it: that keeps spans few
// and the metadata short.
func aheadSpans(window []tracked) []span {
	var spans []span
	for i := 1; i < len(window); i++ {
		if !window[i].done {
			continue
		}
		if window[i-1].done {
			spans[len(spans)-1].to = window[i].offset + 1
			continue
		}
		spans = append(spans, span{window[i-1].offset + 1, window[i].offset + 1})
	}
	return spans
}

// skipList answers whether an offset is among the spans a partition's
// previous owner finished; offsets are asked in ascending order.
type skipList struct{ spans []span }

// finished reports whether offset lies in a span, dropping the spans
// wholly below it.
func (s *skipList) finished(offset int64) bool {
	for len(s.spans) > 0 && s.spans[0].to <= offset {
		s.spans = s.spans[1:]
	}
	return len(s.spans) > 0 && s.spans[0].from <= offset
}
