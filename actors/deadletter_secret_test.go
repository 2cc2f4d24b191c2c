package actors

import (
	"github.com/cfk/cfk/internal/testkit"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/messages"
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
