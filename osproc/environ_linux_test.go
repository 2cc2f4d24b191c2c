package osproc

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"
)

// /proc/PID/environ is read from the memory that its open pinned: once
// the process has exec'd, that memory is dropped and a read finds
// nothing. Environ read it in pieces (os.ReadFile: 512 bytes first), and
// the environment of an orphan that exec'd between two pieces was cut
// short, CONTROL_FREAK_SERVICE (appended last) lost: the scan after its
// service's stop, or after the end of the proxy that forked it, left it
// running (daemon's TestEndLostStartEndsWhatTheDeadProxyForked, about
// once in 70 runs). readWhole reads it in one read: all of it, or what
// the process has after its execve.
func TestReadWholeOfAProcessThatExecs(t *testing.T) {
	for _, size := range []int{600, 4096, 10000} {
		var env []byte
		for i := 0; len(env) < size-len("CONTROL_FREAK_SERVICE=svc\x00"); i++ {
			env = append(env, "V=x\x00"...)
		}
		env = append(env, "CONTROL_FREAK_SERVICE=svc\x00"...)
		reads := 0
		got, err := readWhole(func(b []byte) (int, error) {
			reads++
			if reads > 1 {
				return 0, nil // the process exec'd: its new memory has no environment yet
			}
			return copy(b, env), nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) > 0 && !bytes.Equal(got, env) || len(env) < 4096 && len(got) == 0 {
			t.Errorf("an environment of %d bytes read as %d bytes (%d reads): want all of it, or nothing when it needs a second read", len(env), len(got), reads)
		}
	}
}

// Environ of a process with a large environment (100 KiB, over many
// pages: the buffer grows) has all of it, in order.
func TestEnvironLarge(t *testing.T) {
	env := []string{"BIG=" + strings.Repeat("x", 100<<10), "PATH=" + os.Getenv("PATH"), "CONTROL_FREAK_SERVICE=big"}
	p := start(t, Spec{Argv: []string{"sleep", "1000"}, Env: env}) // killed and reaped at the end
	var got []string
	eventually(t, "the sleep has its environment", func() (bool, string) {
		got = Environ(p.Pid)
		return slices.Contains(got, "CONTROL_FREAK_SERVICE=big"), ""
	})
	if !slices.Equal(got, env) {
		t.Errorf("Environ: %d variables, %d bytes; want %d variables", len(got), len(strings.Join(got, "")), len(env))
	}
}
