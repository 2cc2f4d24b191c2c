package actors

import (
	"bufio"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cfk/cfk/protocol"
	"github.com/sirupsen/logrus"
)

// auditRecords is an AuditLogger that keeps what it is given.
type auditRecords struct {
	mu   sync.Mutex
	recs []auditRecord
}

type auditRecord struct {
	data logrus.Fields
	msg  string
}

func (a *auditRecords) Audit(data logrus.Fields, msg string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.recs = append(a.recs, auditRecord{data: data, msg: msg})
}

// TestOptionsAudit: with Options.Audit, the audit records of the requests
// a console runs go to it, one per request past read level (the lines of
// a run of declarations each in its turn), with the connection's fields.
func TestOptionsAudit(t *testing.T) {
	t.Parallel()
	audit := &auditRecords{}
	tree, err := Start(Options{Launcher: newFakeLauncher(), Log: quietLogger(), ServiceLog: quietLogger(),
		Env: []string{"PATH=/usr/bin:/bin"}, Audit: audit})
	if err != nil {
		t.Fatal(err)
	}
	defer tree.Stop()
	ln, err := net.Listen("unix", filepath.Join(t.TempDir(), "sock"))
	if err != nil {
		t.Fatal(err)
	}
	policy := &ConsolePolicy{AdminUIDs: []uint32{uint32(os.Getuid())}}
	if _, err := tree.System.Root.RequestFuture(tree.Controller, StartConsole{Listener: ln, Policy: policy}, deadline).Result(); err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("unix", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(deadline))
	lines := []string{"service a cmd=sleep 1", "service b cmd=sleep 1", "command status", "service a desc=x # note"}
	if err := writeLines(conn, lines); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(conn)
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
		if rec.msg != want[i] || rec.data["category"] != AuditCategory || rec.data["right"] != "admin" || rec.data["peer"] == nil {
			t.Errorf("record %d: %q %v, want %q, category audit, right admin, a peer", i, rec.msg, rec.data, want[i])
		}
	}
}
