package actors

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/internal/testkit"
	"github.com/cfk/cfk/messages"
	"github.com/sirupsen/logrus"
)

// TestDeclarationDeadLetterNamesNoAddEnvValue: a declaration, a batch of
// them or an apply that reaches the controller once it stopped (the end
// of a shutdown) is a dead letter, which protoactor logs with its
// message: `add_env` values with it, where one is never logged
// (REFERENCE §5.5). Such messages are not logged there now.
func TestDeclarationDeadLetterNamesNoAddEnvValue(t *testing.T) {
	out := new(testkit.Buffer)
	sys := actor.NewActorSystemWithConfig(actor.Configure(actor.WithDeadLetterThrottleCount(100), actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})))
	t.Cleanup(sys.Shutdown)
	decl, err := messages.Parse("service a add_env=K=s3cr3t-value")
	if err != nil {
		t.Fatal(err)
	}
	apply, err := messages.Parse("command apply " + messages.EncodeApplyData("service a cmd=sleep 1\nservice a add_env=K=s3cr3t-value\n"))
	if err != nil {
		t.Fatal(err)
	}
	pid := sys.Root.Spawn(actor.PropsFromFunc(func(actor.Context) {}))
	if err := sys.Root.PoisonFuture(pid).Wait(); err != nil {
		t.Fatal(err)
	}
	sa, ok := decl.(messages.SetServiceAttr)
	if !ok {
		t.Fatalf("parsed %T", decl)
	}
	pdecl, err := messages.Parse("proxy p add_env=K=s3cr3t-value")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []any{decl, pdecl, apply, declareBatch{decls: []messages.SetServiceAttr{sa}}} {
		sys.Root.Send(pid, m)
	}
	sys.Root.Send(pid, "the-marker") // logged after the others, if they are
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "the-marker") {
		if time.Now().After(deadline) {
			t.Fatal("no dead letter logged for the marker")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if s := out.String(); strings.Contains(s, "s3cr3t") {
		t.Errorf("logged:\n%s", s)
	}
}

// secretCarrier is a message with no marker of its own that keeps it out
// of the dead-letter log.
type secretCarrier struct{ Value string }

// TestDeadLetterNamedByItsType: a message of any type that reaches an
// actor gone is logged by cfkd's handler of protoactor's records with its
// type only, not its fields: a message no marker was thought of for
// writes no value of it there (REFERENCE §5.5).
func TestDeadLetterNamedByItsType(t *testing.T) {
	out := new(testkit.Buffer)
	log := logrus.New()
	log.SetOutput(out)
	log.SetLevel(logrus.DebugLevel)
	sys := actor.NewActorSystemWithConfig(actor.Configure(actor.WithDeadLetterThrottleCount(100), actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(newLogrusHandler(log))
	})))
	t.Cleanup(sys.Shutdown)
	pid := sys.Root.Spawn(actor.PropsFromFunc(func(actor.Context) {}))
	if err := sys.Root.PoisonFuture(pid).Wait(); err != nil {
		t.Fatal(err)
	}
	sys.Root.Send(pid, &secretCarrier{Value: "s3cr3t-value"})
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "DeadLetter") {
		if time.Now().After(deadline) {
			t.Fatal("no dead letter logged")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if s := out.String(); strings.Contains(s, "s3cr3t") || !strings.Contains(s, "*actors.secretCarrier") {
		t.Errorf("logged:\n%s", s)
	}
}
