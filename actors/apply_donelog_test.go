package actors

import (
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"
)

// The end of an apply that could not restart one service was logged
// `apply: done: 1 services not destroyed or restarted`; it reads `1
// service` (REFERENCE §1.4).
func TestApplyDoneLogOfOneService(t *testing.T) {
	t.Parallel()
	log := logrus.New()
	log.SetOutput(io.Discard)
	hook := logtest.NewLocal(log)
	r := newRig(t, func(o *Options) { o.Log = log })
	r.setAutoTerm()
	file := "service w1 cmd=sleep 1\nservice w1 startwait_secs=0.1\nservice w1 respawn_on_fail=0\n"
	r.ok(applyReq("", file), "command start all")
	r.expectSeq("w1", starting, running)
	ch := r.async(applyReq("rolling", strings.ReplaceAll(file, "cmd=sleep 1", "cmd=sleep 2")))
	r.expectSeq("w1", stopping, stopped, starting)
	r.fake.exit(t, r.fake.waitLaunch(t, 2).Pid, exitCode(1))
	if rep := r.reply("rolling apply", ch); rep.Err != nil || len(rep.Lines) != 2 {
		t.Fatalf("reply %v\n%s", rep.Err, strings.Join(rep.Lines, "\n"))
	}
	var done []string
	for _, e := range hook.AllEntries() {
		if strings.HasPrefix(e.Message, "apply: done") {
			done = append(done, e.Message)
		}
	}
	if want := "apply: done: 1 service not destroyed or restarted"; len(done) != 2 || done[1] != want {
		t.Fatalf("logged %q, want %q last", done, want)
	}
}

// cfkd logs each change an apply makes (REFERENCE §1.4). What it keeps,
// a service marked - without prune, a socket or a proxy marked - (cfkd
// cannot forget one), was logged `apply: - socket s` as if removed.
func TestApplyLogsOnlyWhatItChanges(t *testing.T) {
	t.Parallel()
	log := logrus.New()
	log.SetOutput(io.Discard)
	hook := logtest.NewLocal(log)
	r := newRig(t, func(o *Options) { o.Log = log })
	r.ok("service old cmd=sleep 1", "socket s host=127.0.0.1", "proxy p cmd=/bin/true", "service gone cmd=sleep 1")
	r.ok(applyReq("", "service w1 cmd=sleep 1\nservice gone cmd=sleep 1\n"))
	r.ok(applyReq("prune", "service w1 cmd=sleep 2\n"))
	var logged []string
	for _, e := range hook.AllEntries() {
		if strings.HasPrefix(e.Message, "apply: ") {
			logged = append(logged, e.Message)
		}
	}
	want := []string{"apply: + w1", "apply: done", "apply: - gone", "apply: - old", "apply: ~ w1: cmd", "apply: done"}
	if !slices.Equal(logged, want) {
		t.Fatalf("logged %q, want %q", logged, want)
	}
}
