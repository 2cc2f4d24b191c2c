package fleet

import (
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/fleet/wire"
	"github.com/sirupsen/logrus"
)

// fieldLines keeps each record with its fields, as cfkd's log writes
// them; seen is told each one.
type fieldLines struct {
	mu    sync.Mutex
	lines []string
	seen  chan string
}

func (l *fieldLines) Levels() []logrus.Level { return logrus.AllLevels }
func (l *fieldLines) Fire(e *logrus.Entry) error {
	s := fmt.Sprint(e.Message, " ", e.Data)
	l.mu.Lock()
	l.lines = append(l.lines, s)
	l.mu.Unlock()
	select {
	case l.seen <- s:
	default:
	}
	return nil
}

// TestRequestDeadLetterNamesNoAddEnvValue: a hub's request that reaches a
// gateway stopped meanwhile (a member shutting down) is a dead letter,
// which protoactor logs with its message, at debug level in cfkd's log
// (category fleet): the request's lines, `service a add_env=K=VALUE`
// with its value (`--fleet-allow declare`), or an apply's DATA, which
// holds such values, where an add_env value is never logged (REFERENCE
// §5.5). A request is not logged there now (the hub is answered, and
// says it). A message of a type with no such marker is named by its type
// alone (package protolog).
func TestRequestDeadLetterNamesNoAddEnvValue(t *testing.T) {
	log := logrus.New()
	log.SetLevel(logrus.DebugLevel)
	log.SetOutput(new(strings.Builder))
	rec := &fieldLines{seen: make(chan string, 64)}
	log.AddHook(rec)
	sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(&remoteLog{log: log.WithField("category", logCategory)})
	}))
	t.Cleanup(sys.Shutdown)
	pid := sys.Root.Spawn(actor.PropsFromFunc(func(actor.Context) {}))
	if err := sys.Root.PoisonFuture(pid).Wait(); err != nil {
		t.Fatal(err)
	}
	sys.Root.Send(pid, &wire.Request{Id: 1, Hub: "hub1", Lines: []string{"service a add_env=K=s3cr3t-value"}})
	sys.Root.Send(pid, &unmarked{Value: "s3cr3t-value"})
	sys.Root.Send(pid, "the-marker") // logged after the request's, if that one is
	deadline := time.After(10 * time.Second)
	for done := false; !done; {
		select {
		case s := <-rec.seen:
			done = strings.Contains(s, "the-marker")
		case <-deadline:
			t.Fatal("no dead letter logged for the marker")
		}
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	typed := false
	for _, l := range rec.lines {
		if strings.Contains(l, "s3cr3t") {
			t.Errorf("logged: %s", l)
		}
		typed = typed || strings.Contains(l, "message:*fleet.unmarked")
	}
	if !typed {
		t.Errorf("no record names the unmarked message by its type: %q", rec.lines)
	}
}

// unmarked is a message with no marker that keeps it out of the
// dead-letter log.
type unmarked struct{ Value string }
