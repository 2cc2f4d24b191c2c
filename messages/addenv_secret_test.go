package messages

import (
	"errors"
	"strings"
	"testing"
)

// TestAddEnvErrorsShowNoValue: a bad add_env is refused without its value
// (REFERENCE §1.1, §5.5): the error is logged when a config file holds it
// and is the reply of an apply, and the value may be a secret
// (`add_env=DB-PASSWORD=...`, a KEY with a dash; a KEY left out).
func TestAddEnvErrorsShowNoValue(t *testing.T) {
	const secret = "hunter2SECRET"
	lines := []string{
		"service a add_env=DB-PASSWORD=" + secret,
		"service a add_env=1PASS=" + secret,
		"service a add_env==" + secret,
		"service a add_env=" + secret,
		"service a add_env=PASS=" + secret + "\x00x",
		`service a add_env="PASS=` + secret,
		`service a add_env='PASS=` + secret,
		"proxy p add_env=DB-PASSWORD=" + secret,
		"proxy p add_env=" + secret,
		`proxy p add_env="PASS=` + secret,
	}
	for _, line := range lines {
		_, err := Parse(line)
		if err == nil {
			t.Fatalf("Parse(%q): no error", line)
		}
		if !errors.Is(err, ErrInvalidValue) || !strings.HasPrefix(err.Error(), "invalid value for add_env: ") {
			t.Errorf("Parse(%q) = %q, want an invalid value for add_env", line, err)
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("Parse(%q) = %q: it shows the value", line, err)
		}
	}
	// The KEY is shown, so that the user sees which line is wrong.
	if _, err := Parse("service a add_env=DB-PASSWORD=" + secret); err == nil || !strings.Contains(err.Error(), `KEY "DB-PASSWORD"`) {
		t.Errorf("the error %v does not name the KEY", err)
	}
	// An apply's DATA is parsed by the same code: its error names no value.
	_, err := Parse("command apply " + EncodeApplyData("service a cmd=x\nservice a add_env=DB-PASSWORD="+secret+"\n"))
	if err == nil || strings.Contains(err.Error(), secret) {
		t.Errorf("apply: %v", err)
	}
}
