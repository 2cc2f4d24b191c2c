package proxywire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// object decodes a line holding one JSON object, keys kept exactly.
func object(line []byte) (map[string]json.RawMessage, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(line, &obj); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if obj == nil {
		return nil, errors.New("not a JSON object")
	}
	return obj, nil
}

// str reads an optional string field: absent or null is "".
func str(obj map[string]json.RawMessage, key string) (string, error) {
	raw, ok := obj[key]
	if !ok || isNull(raw) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("%s: want a string, got %s", key, clip(raw))
	}
	return s, nil
}

// isNull reports whether raw (as json.RawMessage gives it: no surrounding
// space) is null.
func isNull(raw json.RawMessage) bool { return string(raw) == "null" }

// clip shortens a raw value for an error message.
func clip(raw []byte) string {
	const max = 40
	if len(raw) > max {
		return string(raw[:max]) + "..."
	}
	return string(raw)
}

// writeJSON appends v as JSON without HTML escaping (as Perl's JSON::XS)
// and without the encoder's "\n". Invalid UTF-8 becomes U+FFFD.
func writeJSON(b *bytes.Buffer, v any) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	enc.Encode(v) // cannot fail for strings, string slices, bools and ints
	b.Truncate(b.Len() - 1)
}
