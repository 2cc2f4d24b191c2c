package actors

import (
	"fmt"
	"os"
	"syscall"
	"testing"

	"github.com/sirupsen/logrus"
)

// A client accepted on a free fd while the spare cannot be opened again
// for want of fds holds cfkd's last fd: the number the spare's client
// freed as it closed, taken by the accept loop's accept(2) before the
// spare was. It is the client on the spare, its streams refused
// (REFERENCE §7.6): it was served as any, so its stream held that fd, the
// spare stayed closed, and no `stop` could be served until it ended (seen
// on a clean-clone CI: a stream asked there got no refusal). A client
// accepted when the spare opens again is served as any.
func TestClientOnTheFdTheSpareCouldNotTakeIsOnTheSpare(t *testing.T) {
	t.Parallel()
	log := logrus.New()
	log.SetOutput(os.Stderr)
	full := fmt.Errorf("open %s: %w", os.DevNull, syscall.EMFILE)
	s := &acceptSpare{log: log, back: make(chan struct{}, 1), open: func() (*os.File, error) { return nil, full }}
	s.lent = true // a client was on the spare, and has closed
	s.returned()
	if !s.accepted() {
		t.Fatal("a client accepted on the last fd, the spare not opened again: served as any, its streams allowed")
	}
	if !s.lent || s.short != full || s.f != nil {
		t.Fatalf("after it: lent %v, short %v, spare %v: want it lent, for want of fds", s.lent, s.short, s.f)
	}

	// that client closes; the next is accepted when the spare opens again
	s.open = openDevNull
	s.returned()
	if s.accepted() {
		t.Fatal("a client accepted with the spare opened again: taken for the client on the spare")
	}
	if s.lent || s.f == nil {
		t.Fatalf("after it: lent %v, spare %v: want the spare held", s.lent, s.f)
	}
	s.close()

	// another error than a want of fds leaves clients served as any
	s = &acceptSpare{log: log, back: make(chan struct{}, 1), open: func() (*os.File, error) { return nil, syscall.ENOENT }}
	if s.accepted() {
		t.Fatal("a spare that cannot be opened for another reason than fds: a client taken for the client on the spare")
	}
}
