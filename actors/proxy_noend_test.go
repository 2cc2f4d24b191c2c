package actors

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/cfk/cfk/messages"
	"github.com/sirupsen/logrus"
)

// A proxy's stopped whose exit_status is no wait status of a process's
// end is the end of the process all the same (the proxy says so), taken
// as an abnormal one and said as what it is: its bits were decoded, so
// that -5 failed the service with 'Received signal 123', 65536 was a
// clean exit, and a stopped process's 4991 'Exited with error -1'. The
// line is logged as a bad one, and the service is respawned as after a
// crash.
func TestProxyStoppedWithNoEndFails(t *testing.T) {
	t.Parallel()
	for i, tc := range []struct{ ws, why string }{
		{"-5", "negative"},
		{"65536", "more than 16 bits"},
		{"4991", "a stopped process's"},
		{"99999999999", "more than 16 bits"},
		{"99999999999999999999", "more than 16 bits"},
		{"1.5", "not written as an integer"},
	} {
		t.Run(tc.ws, func(t *testing.T) {
			t.Parallel()
			pid := 410 + i
			r, rec := runThenStopped(t, pid, `,"exit_status":`+tc.ws)
			want := "proxy reported exit_status " + tc.ws + ", which is no process's end"
			ev := r.expectSeq("s", messages.Fail, messages.Starting)
			if ev[0].Reason != want {
				t.Errorf("fail reason %q, want %q", ev[0].Reason, want)
			}
			if i := r.info("service s")[0]; i.LastExit != "exit_status "+tc.ws {
				t.Errorf("last_exit %q", i.LastExit)
			}
			bad := "the exit of 's' (pid " + strconv.Itoa(pid) + "): exit_status " + tc.ws + " is no process's end (" + tc.why + "): taken as an abnormal end"
			badLoggedOnce(t, rec, bad)
			if !strings.Contains(rec.text(), "child terminated abnormally "+tc.ws+": "+want) {
				t.Errorf("no record of the end:\n%s", rec.text())
			}
		})
	}
}

// runThenStopped runs service s under a played proxy as pid, then has
// the proxy say it stopped with field (`,"exit_status":...`, or none)
// after its pid: the rig and the records of cfkd's log.
func runThenStopped(t *testing.T, pid int, field string) (*rig, *records) {
	t.Helper()
	log, rec := recordingLogger()
	r, p, _ := proxiedStartingWith(t, "5", func(o *Options) { o.Log = log })
	r.ok("service s startwait_secs=0")
	p.command() // the start of s
	p.started("s", pid)
	r.expectSeq("s", running)
	line := `{"status":"stopped","name":"s","pid":` + strconv.Itoa(pid) + field + "}\n"
	if _, err := p.statusW.Write([]byte(line)); err != nil {
		t.Fatal(err)
	}
	return r, rec
}

// badLoggedOnce waits for the record of a bad status line, and checks
// that there is one, whose error is bad.
func badLoggedOnce(t *testing.T, rec *records, bad string) {
	t.Helper()
	var errs []string
	waitFor(t, "the bad line logged", func() bool {
		errs = badStatusErrors(rec)
		return len(errs) > 0
	})
	if len(errs) != 1 || errs[0] != bad {
		t.Errorf("the bad line logged with %q, want once %q", errs, bad)
	}
}

// badStatusErrors is the error of every record of a bad status line.
func badStatusErrors(rec *records) []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var errs []string
	for _, e := range rec.entries {
		if strings.HasPrefix(e.Message, "proxy sent a bad status line") {
			err, _ := e.Data[logrus.ErrorKey].(error)
			errs = append(errs, fmt.Sprint(err))
		}
	}
	return errs
}

// A proxy's stopped whose exit_status is missing, null or a string is the
// end of the process too: it was logged as a bad status line and
// dropped, and its service stayed running for ever. A string of decimal
// digits is its value (256: exit 1), any other is an abnormal end said as
// such, the line logged as a bad one (REFERENCE §4.3).
func TestProxyStoppedWithNoExitStatus(t *testing.T) {
	t.Parallel()
	for i, tc := range []struct{ name, field, reason, lastExit, bad string }{
		{"missing", ``, "proxy reported no exit_status", "no exit_status", "no exit_status (absent or null)"},
		{"null", `,"exit_status":null`, "proxy reported no exit_status", "no exit_status", "no exit_status (absent or null)"},
		{"string", `,"exit_status":"abc"`, `proxy reported exit_status "abc", which is no process's end`, `exit_status "abc"`,
			`exit_status "abc" is no process's end (a string, not of decimal digits)`},
		{"digits", `,"exit_status":"256"`, "Exited with error 1", "exit 1", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pid := 430 + i
			r, rec := runThenStopped(t, pid, tc.field)
			ev := r.expectSeq("s", messages.Fail, messages.Starting)
			if ev[0].Reason != tc.reason {
				t.Errorf("fail reason %q, want %q", ev[0].Reason, tc.reason)
			}
			if i := r.info("service s")[0]; i.LastExit != tc.lastExit {
				t.Errorf("last_exit %q, want %q", i.LastExit, tc.lastExit)
			}
			if tc.bad == "" {
				if errs := badStatusErrors(rec); len(errs) != 0 {
					t.Errorf("logged as a bad line: %q", errs)
				}
				return
			}
			bad := "the exit of 's' (pid " + strconv.Itoa(pid) + "): " + tc.bad + ": taken as an abnormal end"
			badLoggedOnce(t, rec, bad)
		})
	}
}
