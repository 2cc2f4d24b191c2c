package messages

import (
	"strings"
	"testing"
)

// REFERENCE §1.1: `ready` takes `http:URL` (`http:http://127.0.0.1:8080/
// health`). A user who writes the URL alone, `ready=http://127.0.0.1:8080/
// health`, is refused, and the error tells them the wanted form is
// `http://URL`: the very thing they wrote. The error must name the form
// the parser takes (or the parser take the form the error names).
func TestReadyErrorNamesTheFormItTakes(t *testing.T) {
	t.Parallel()
	line := "service a ready=http://127.0.0.1:8080/health"
	_, err := Parse(line)
	if err == nil {
		return // the URL alone is taken: the error's want was right
	}
	if !strings.Contains(err.Error(), "http:URL") {
		t.Fatalf("%q: %v\nthe error does not name the form ready takes (http:URL, REFERENCE §1.1)", line, err)
	}
}

// REFERENCE §1.1: `ready` is `notify`, nothing after it. `ready=notify:x`
// (or `notify:`) was taken, and the service was given no NOTIFY_SOCKET
// (its value is not `notify`) nor a probe (its kind is): it stayed
// `starting` until ready_timeout_secs ended it, `Not ready after 60s`.
func TestReadyNotifyTakesNoTarget(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"notify:x", "notify:", "notify:1"} {
		line := "service a ready=" + v
		_, err := Parse(line)
		want := `invalid value for ready: "` + v + `" (want notify, tcp:HOST:PORT, http:URL as in http:http://HOST:PORT/PATH, or exec:COMMAND)`
		if err == nil || err.Error() != want {
			t.Errorf("%q: %v, want %s", line, err, want)
		}
	}
	if _, err := Parse("service a ready=notify"); err != nil {
		t.Errorf("ready=notify: %v", err)
	}
}

// REFERENCE §2.9: a ready=http: port out of 1-65535 is refused when the
// line is read, as a ready=tcp: one is. It was taken, and the probe
// failed at each try until ready_timeout_secs ended the start.
func TestReadyHTTPPortOutOfRange(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"http:http://h:0/", "http:http://h:99999/", "http:https://[::1]:65536/x", "http:http://h:000/", "http:http://h:99999999999999999999999/"} {
		line := "service a ready=" + v
		_, err := Parse(line)
		want := `invalid value for ready: "` + v + `" (want notify, tcp:HOST:PORT, http:URL as in http:http://HOST:PORT/PATH, or exec:COMMAND)`
		if err == nil || err.Error() != want {
			t.Errorf("%q: %v, want %s", line, err, want)
		}
	}
	for _, v := range []string{"http:http://h:1/", "http:http://h:65535/", "http:http://h:/", "http:http://h/", "http:https://[::1]:08443/"} {
		if _, err := Parse("service a ready=" + v); err != nil {
			t.Errorf("ready=%s: %v", v, err)
		}
	}
}
