package fleet

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cfk/cfk/fleet/certs"
	"github.com/sirupsen/logrus"
)

// logLines keeps the messages a logger writes.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) Levels() []logrus.Level { return logrus.AllLevels }
func (l *logLines) Fire(e *logrus.Entry) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, e.Message)
	return nil
}
func (l *logLines) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// An inventory that names a member otherwise than its certificate does
// (db1 at web1's address): the member runs the request and answers as
// web1, which the hub does not take, and reports db1 down. The hub said
// nothing of why; it logs it now, and says it in db1's outcome.
func TestHubSaysWhenAMemberIsNotTheInventorysOne(t *testing.T) {
	skipRace(t)
	tf := &testFleet{t: t, dir: t.TempDir(), timeout: 2 * time.Second}
	members := []certs.Member{{Name: "hub", Role: certs.RoleHub, Addr: "127.0.0.1:1"}, {Name: "web1", Role: certs.RoleHost, Addr: "127.0.0.1:2"}}
	if err := certs.Generate(tf.dir, members, time.Hour); err != nil {
		t.Fatal(err)
	}
	web1, loc := tf.start("web1", "")
	inv := filepath.Join(tf.dir, "inventory")
	if err := os.WriteFile(inv, []byte("host db1 addr="+web1.Address()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rec := &logLines{}
	log := logrus.New()
	log.SetOutput(io.Discard)
	log.AddHook(rec)
	cfg := tf.config("hub", inv)
	cfg.Log, cfg.Timeout = log, time.Second
	hub := serveNode(t, cfg, &fakeLocal{name: "hub"})
	tf.hub = hub
	r := tf.ask("command fleet status")
	// and says so in the reply, which said only `no answer within 1s`
	// of a member that answered
	down := "db1\tdown\tno answer within 1s: " + web1.Address() + " answers as web1 (its certificate), not db1, and may have run the request; fix the inventory"
	if r.Err != nil || len(r.Lines) != 1 || r.Lines[0] != down {
		t.Fatalf("fleet status: %v %q, want %q", r.Err, r.Lines, down)
	}
	if got := loc.askedVerbs(); len(got) != 1 {
		t.Fatalf("web1 ran %q, want the status", got)
	}
	want := "fleet: " + web1.Address() + ", which the inventory names db1, answers as web1 (its certificate): its answers are not taken; fix the inventory"
	if !strings.Contains(rec.text(), want) {
		t.Fatalf("the hub's log says nothing of it:\n%s", rec.text())
	}
}
