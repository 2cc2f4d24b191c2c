package logconf

import (
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
)

// A destination that fails (a full disk: /dev/full) said so only on
// cfkd's stderr, which is /dev/null under cfkd -d: the services' lines
// were lost and neither cfkd's log nor `cfkctl events` said a word. The
// failure is now also one of cfkd's records, in cfkd's own destination,
// and an event of kind cfkd (OnDropNote's f, cfkd's event hook); the
// recovery too, in the log (REFERENCE §6.2).
func TestFailingDestinationLoggedAmongCfkdEvents(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	f := newFixture(t)
	events := make(chan *logrus.Entry, 16)
	f.r.OnDropNote(func(e *logrus.Entry) {
		select {
		case events <- e:
		default:
		}
	})
	f.apply(t, "cfkd = file:cfkd.log\nservices = file:/dev/full\n")
	f.line("web", "out", 42, "lost")
	f.line("web", "out", 42, "lost too")

	select {
	case e := <-events:
		if e.Level != logrus.WarnLevel || !strings.Contains(e.Message, "no space left on device") || e.Data["destination"] != "file:/dev/full" {
			t.Errorf("event %v %q %v, want a warning naming file:/dev/full and its error", e.Level, e.Message, e.Data)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no event of the failing destination")
	}
	want := "WARN cfkd - log destination fails: write /dev/full: no space left on device (its records are lost until it takes them again) destination=file:/dev/full"
	end := time.Now().Add(10 * time.Second)
	for {
		f.r.Sync()
		b, err := os.ReadFile(filepath.Join(f.home, "cfkd.log"))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if strings.Contains(string(b), want) {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("cfkd.log %q does not say %q", b, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n := strings.Count(f.report.String(), "cfkd: log destination"); n != 1 {
		t.Errorf("stderr said it %d times, want once: %q", n, f.report)
	}
}

// toggleWriter fails while fail is set.
type toggleWriter struct{ fail atomic.Bool }

func (w *toggleWriter) Write(p []byte) (int, error) {
	if w.fail.Load() {
		return 0, syscall.ENOSPC
	}
	return len(p), nil
}

// Once the destination takes records again, cfkd's log says so, with the
// count of the records lost meanwhile.
func TestRecoveredDestinationLogged(t *testing.T) {
	f := newFixture(t)
	w := &toggleWriter{}
	w.fail.Store(true)
	f.r.stdout.w = w
	f.apply(t, "cfkd = file:cfkd.log\nservices = stdout\n")
	f.line("web", "out", 42, "lost")
	f.r.Sync()
	w.fail.Store(false)
	f.line("web", "out", 42, "taken")
	want := "INFO cfkd - log destination writable again (1 records lost so far) destination=stdout"
	end := time.Now().Add(10 * time.Second)
	for {
		f.r.Sync()
		b, err := os.ReadFile(filepath.Join(f.home, "cfkd.log"))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), want) && strings.Contains(string(b), "WARN cfkd - log destination fails: no space left on device") {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("cfkd.log %q does not say %q after the failure", b, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
