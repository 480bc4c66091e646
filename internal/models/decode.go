package models

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"
)

// field describes one JSON key of a record of type T: how to decode its raw
// value into the record, and how to check the decoded value. Each returns ""
// when the field is fine and a [FieldError] reason otherwise.
type field[T any] struct {
	key    string
	decode func(raw json.RawMessage, v *T) string
	check  func(v *T) string
	// checkAt, when not nil, checks the value against the reader's clock.
	// Only decoding applies it: whether a value can be encoded does not
	// depend on when.
	checkAt func(v *T, now time.Time) string
}

// decodeFields decodes and checks every field of v from obj, appending one
// FieldError per absent, mistyped or invalid field to errs. A field whose
// decoding fails is not checked, so each field is reported once. The
// checkAt functions run against now, unless now is zero.
func decodeFields[T any](obj map[string]json.RawMessage, v *T, fields []field[T], now time.Time, errs []FieldError) []FieldError {
	for _, f := range fields {
		raw, ok := obj[f.key]
		var reason string
		if !ok {
			reason = reasonMissing
		} else if reason = f.decode(raw, v); reason == "" {
			reason = f.check(v)
		}
		if reason == "" && f.checkAt != nil && !now.IsZero() {
			reason = f.checkAt(v, now)
		}
		if reason != "" {
			errs = append(errs, FieldError{Field: f.key, Reason: reason})
		}
	}
	return errs
}

// checkFields checks every field of v, appending one FieldError per invalid
// field to errs.
func checkFields[T any](v *T, fields []field[T], errs []FieldError) []FieldError {
	for _, f := range fields {
		if reason := f.check(v); reason != "" {
			errs = append(errs, FieldError{Field: f.key, Reason: reason})
		}
	}
	return errs
}

// parseObject enforces the size limit, UTF-8 and JSON syntax, rejects a key
// repeated in one object, and splits a top-level JSON object into its raw
// member values.
func parseObject(data []byte) (map[string]json.RawMessage, error) {
	if len(data) > MaxEncodedSize {
		return nil, &DecodeError{Size: len(data), Offset: -1,
			Err: fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(data), MaxEncodedSize)}
	}
	// encoding/json would silently turn invalid UTF-8 inside strings into
	// U+FFFD, so check the whole input first.
	if !utf8.Valid(data) {
		off := invalidUTF8Offset(data)
		return nil, malformed(len(data), int64(off), "invalid UTF-8 at byte %d", off)
	}
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 {
		return nil, malformed(len(data), -1, "empty value")
	}
	// Unmarshal accepts null into a map, so insist on an object up front.
	if trimmed[0] != '{' {
		var value json.RawMessage
		if err := json.Unmarshal(data, &value); err != nil {
			return nil, malformedJSON(len(data), err)
		}
		return nil, malformed(len(data), int64(len(data)-len(trimmed)), "not a JSON object, got %s", jsonKind(trimmed))
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		return nil, malformedJSON(len(data), err)
	}
	// encoding/json keeps the last of two equal keys; readers that keep the
	// first would see another ticket, so a repeated key is malformed.
	if key, off, ok := duplicateKey(data); ok {
		return nil, malformed(len(data), int64(off), "duplicate key %s at byte %d", quote(key), off)
	}
	return obj, nil
}

// duplicateKey returns the first key that appears a second time in one
// object of data, at any depth, and the offset of that second appearance.
// Keys are compared after unescaping, as encoding/json compares them, so
// "a" and "\u0061" are the same key. data must be valid JSON.
func duplicateKey(data []byte) (string, int, bool) {
	// objectKeys holds the keys of one open object: a short list searched
	// in place, and a set once the object has more than listedKeys keys, so
	// that a huge object costs linear time.
	type objectKeys struct {
		list [][]byte
		set  map[string]struct{}
	}
	const listedKeys = 16
	type frame struct {
		object  bool
		wantKey bool // the next string in this object is a key
		keys    objectKeys
	}
	var stack []frame
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '{':
			stack = append(stack, frame{object: true, wantKey: true})
		case '[':
			stack = append(stack, frame{})
		case '}', ']':
			stack = stack[:len(stack)-1]
		case ',':
			if top := &stack[len(stack)-1]; top.object {
				top.wantKey = true
			}
		case '"':
			end := stringEnd(data, i)
			if n := len(stack); n > 0 && stack[n-1].wantKey {
				top := &stack[n-1]
				top.wantKey = false
				key := unquoteKey(data[i : end+1])
				keys := &top.keys
				switch {
				case keys.set != nil:
					if _, dup := keys.set[string(key)]; dup {
						return string(key), i, true
					}
					keys.set[string(key)] = struct{}{}
				default:
					for _, k := range keys.list {
						if bytes.Equal(k, key) {
							return string(key), i, true
						}
					}
					if keys.list == nil {
						keys.list = make([][]byte, 0, listedKeys+1)
					}
					keys.list = append(keys.list, key)
					if len(keys.list) > listedKeys {
						keys.set = make(map[string]struct{}, 2*listedKeys)
						for _, k := range keys.list {
							keys.set[string(k)] = struct{}{}
						}
						keys.list = nil
					}
				}
			}
			i = end
		}
	}
	return "", 0, false
}

// stringEnd returns the offset of the quote that closes the JSON string
// opening at data[start].
func stringEnd(data []byte, start int) int {
	for i := start + 1; i < len(data); i++ {
		switch data[i] {
		case '\\':
			i++ // the escaped byte cannot close the string
		case '"':
			return i
		}
	}
	return len(data) - 1
}

// unquoteKey returns the text of a quoted JSON key, unescaped.
func unquoteKey(quoted []byte) []byte {
	inner := quoted[1 : len(quoted)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return inner
	}
	var s string
	if err := json.Unmarshal(quoted, &s); err != nil {
		return inner // cannot happen: data is valid JSON
	}
	return []byte(s)
}

// malformed returns a *DecodeError for an input of size bytes that matches
// ErrMalformed, with a message built from format and args.
func malformed(size int, offset int64, format string, args ...any) error {
	return &DecodeError{Size: size, Offset: offset, Err: fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)}
}

// malformedJSON turns an error from json.Unmarshal into a malformed-input
// error, keeping the offset of a *json.SyntaxError.
func malformedJSON(size int, err error) error {
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return malformed(size, se.Offset, "%w", err)
	}
	return malformed(size, -1, "%w", err)
}

// invalidUTF8Offset returns the offset of the first byte that is not part of
// a valid UTF-8 sequence, or len(data).
func invalidUTF8Offset(data []byte) int {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return len(data)
}

// jsonKind names the JSON type of a syntactically valid raw value.
func jsonKind(raw []byte) string {
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	default:
		return "number"
	}
}

func wantGot(want string, raw []byte) string {
	return "want " + want + ", got " + jsonKind(raw)
}

// decodeString decodes a JSON string. The input has already passed UTF-8 and
// syntax checks, so a string without escapes is used as it stands.
func decodeString(raw json.RawMessage) (string, string) {
	if jsonKind(raw) != "string" {
		return "", wantGot("string", raw)
	}
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1]), ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", "invalid string: " + err.Error()
	}
	return s, ""
}

// integerText returns the text of a JSON number that is written as an
// integer (no fraction, no exponent), or a FieldError reason.
func integerText(raw json.RawMessage) (string, string) {
	if jsonKind(raw) != "number" {
		return "", wantGot("integer", raw)
	}
	if bytes.ContainsAny(raw, ".eE") {
		return "", "want integer, got number " + quote(string(raw))
	}
	return string(raw), ""
}

func decodeInt64(raw json.RawMessage) (int64, string) {
	text, reason := integerText(raw)
	if reason != "" {
		return 0, reason
	}
	v, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return 0, "out of range for a 64-bit integer, got " + quote(text)
	}
	return v, ""
}

func decodeSequence(raw json.RawMessage) (uint64, string) {
	text, reason := integerText(raw)
	if reason != "" {
		return 0, reason
	}
	if text[0] == '-' {
		if v, err := strconv.ParseInt(text, 10, 64); err == nil {
			return 0, "must be >= 1, got " + strconv.FormatInt(v, 10)
		}
		return 0, "must be >= 1, got " + quote(text)
	}
	v, err := strconv.ParseUint(text, 10, 64)
	if err != nil {
		return 0, "out of range for an unsigned 64-bit integer, got " + quote(text)
	}
	return v, ""
}

// decodeTime decodes an RFC 3339 timestamp string and returns it in UTC.
func decodeTime(raw json.RawMessage) (time.Time, string) {
	if jsonKind(raw) != "string" {
		return time.Time{}, wantGot("RFC 3339 timestamp string", raw)
	}
	s, reason := decodeString(raw)
	if reason != "" {
		return time.Time{}, reason
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, "must be an RFC 3339 timestamp, got " + quote(s)
	}
	return t.UTC(), ""
}
