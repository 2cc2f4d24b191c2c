package actors

import (
	"io"
	"maps"
	"os"
	"sync"
	"testing"

	"github.com/cfk/cfk/protocol"
	"github.com/sirupsen/logrus"
)

// auditRecords is an EventLogger that keeps the audit records it is
// given.
type auditRecords struct {
	mu   sync.Mutex
	recs []auditRecord
}

type auditRecord struct {
	lvl  logrus.Level
	data logrus.Fields
	msg  string
}

func (a *auditRecords) Event(lvl logrus.Level, data logrus.Fields, msg string) {
	if data["category"] != AuditCategory {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.recs = append(a.recs, auditRecord{lvl: lvl, data: maps.Clone(data), msg: msg}) // data is the caller's, reused
}

// TestOptionsAudit: with Options.Events, the audit records of the
// requests a console runs go to it, at info level, one per request past
// read level (the lines of a run of declarations each in its turn), with
// the connection's fields.
func TestOptionsAudit(t *testing.T) {
	t.Parallel()
	audit := &auditRecords{}
	tree, err := Start(Options{Launcher: newFakeLauncher(), Log: quietLogger(), ServiceLog: quietLogger(),
		Env: []string{"PATH=/usr/bin:/bin"}, Events: audit})
	if err != nil {
		t.Fatal(err)
	}
	defer tree.Stop()
	conn, r := consoleOf(t, tree, StartConsole{Policy: &ConsolePolicy{AdminUIDs: []uint32{uint32(os.Getuid())}}})
	lines := []string{"service a cmd=sleep 1", "service b cmd=sleep 1", "command status", "service a desc=x # note"}
	if err := writeLines(conn, lines); err != nil {
		t.Fatal(err)
	}
	for _, l := range lines {
		if rep, err := protocol.ReadReply(r); err != nil || rep.Err != nil {
			t.Fatalf("%q: %v %v", l, err, rep.Err)
		}
	}
	audit.mu.Lock()
	defer audit.mu.Unlock()
	want := []string{"service a cmd=sleep 1", "service b cmd=sleep 1", "service a desc=x"}
	if len(audit.recs) != len(want) {
		t.Fatalf("%d records, want %d: %+v", len(audit.recs), len(want), audit.recs)
	}
	for i, rec := range audit.recs {
		if rec.msg != want[i] || rec.lvl != logrus.InfoLevel || rec.data["right"] != "admin" || rec.data["peer"] == nil {
			t.Errorf("record %d: %q %v %v, want %q at info, right admin, a peer", i, rec.msg, rec.lvl, rec.data, want[i])
		}
	}
}

// eventRecords is an EventLogger that keeps what it is given.
type eventRecords struct {
	mu   sync.Mutex
	recs []eventRecord
}

type eventRecord struct {
	lvl  logrus.Level
	data logrus.Fields
	msg  string
}

func (e *eventRecords) Event(lvl logrus.Level, data logrus.Fields, msg string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.recs = append(e.recs, eventRecord{lvl: lvl, data: maps.Clone(data), msg: msg}) // data is the caller's, reused
}

// entryHook keeps the messages of the entries a logger makes.
type entryHook struct {
	mu   sync.Mutex
	msgs []string
}

func (h *entryHook) Levels() []logrus.Level { return logrus.AllLevels }
func (h *entryHook) Fire(e *logrus.Entry) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.msgs = append(h.msgs, e.Message)
	return nil
}

// TestOptionsEvents: with Options.Events, a service's lifecycle records
// at info level go to it, with the service's name and pid, and not
// through Log.
func TestOptionsEvents(t *testing.T) {
	t.Parallel()
	events, hook := &eventRecords{}, &entryHook{}
	r := newRig(t, func(o *Options) {
		o.Log = logrus.New()
		o.Log.SetOutput(io.Discard)
		o.Log.AddHook(hook)
		o.Events = events
	})
	pid := r.startRunning("a")
	r.setAutoTerm()
	r.okDone("command stop service a", 1)
	r.expectSeq("a", stopping, stopped)
	want := "Stopping service a"
	r.wait("the stop's record", func() bool {
		events.mu.Lock()
		defer events.mu.Unlock()
		for _, e := range events.recs {
			if e.msg == want {
				if e.lvl != logrus.InfoLevel || e.data["service"] != "a" || e.data["pid"] != pid {
					t.Errorf("record %+v, want info, service a, pid %d", e, pid)
				}
				return true
			}
		}
		return false
	})
	hook.mu.Lock()
	defer hook.mu.Unlock()
	for _, m := range hook.msgs {
		if m == want {
			t.Errorf("%q went through Log too", want)
		}
	}
}
