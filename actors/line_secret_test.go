package actors

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/cfk/cfk/messages"
)

// TestLineNamesNoAddEnvValue: a request line printed (a dead letter is
// logged with its message: the lines a reader read as its connection
// stopped, sent by its deferred send) shows an add_env value nowhere, nor
// an apply's DATA, which holds them: it is the audit's text, `service a
// add_env=K=...` (REFERENCE §5.5). It printed the line whole.
func TestLineNamesNoAddEnvValue(t *testing.T) {
	data := messages.EncodeApplyData("service a cmd=sleep 1\nservice a add_env=K=s3cr3t-value\n")
	for line, want := range map[string]string{
		"service a add_env=K=s3cr3t-value":         "service a add_env=K=...",
		"proxy p add_env=K=s3cr3t-value":           "proxy p add_env=K=...",
		"proxy p service a add_env=K=s3cr3t-value": "proxy p service a add_env=K=...",
		"service a add_env=K=s3cr3t-value x y":     "",
		"command apply dry-run " + data:            "command apply dry-run (" + fmt.Sprint(len(data)) + " bytes of DATA)",
	} {
		m := lineReceived{line: line}
		for _, s := range []string{fmt.Sprint(m), fmt.Sprintf("%v %+v %#v %s", m, m, m, m), slog.AnyValue(m).String(),
			fmt.Sprint(linesReceived{m, m}), slog.AnyValue(linesReceived{m}).String()} {
			if strings.Contains(s, "s3cr3t") || strings.Contains(s, data) {
				t.Errorf("%q printed as %s", line, s)
			}
		}
		if got := fmt.Sprint(m); want != "" && got != want {
			t.Errorf("%q printed as %q, want %q", line, got, want)
		}
	}
	if got := fmt.Sprint(lineReceived{line: "service a cmd=sleep 1"}); got != "service a cmd=sleep 1" {
		t.Errorf("another line: %q", got)
	}
}
