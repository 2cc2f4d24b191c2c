package ctl

import (
	"encoding/json"
	"io"
)

// jsonLines is the --json output of the commands without a shape of their
// own.
type jsonLines struct {
	OK    bool     `json:"ok"`
	Lines []string `json:"lines"`
}

// jsonFailure is the --json output of any failure but a usage error.
type jsonFailure struct {
	OK    bool   `json:"ok"`
	Error string `json:"error"`
}

// writeJSON writes v as one line of JSON, without HTML escaping.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
