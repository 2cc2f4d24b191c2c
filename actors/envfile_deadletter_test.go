package actors

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/messages"
)

// TestEnvFileDeadLetterNamesNoValue: the env_file of a start is read
// off the service's actor (credResolved); a service destroyed while the
// read is under way (a slow mount, an NSS lookup of its user) is gone
// when the variables come, and protoactor logs that dead letter (debug
// level) with its message: the env_file's values, which are never
// logged (REFERENCE §5.5), were in cfkd's log. A dead letter is named
// by its type alone now, and the message prints its variables' names
// alone (TestEnvMessagesPrintNoValue).
func TestEnvFileDeadLetterNamesNoValue(t *testing.T) {
	t.Parallel()
	env := filepath.Join(t.TempDir(), "app.env")
	hang, release := hungEnvFile(t, env, "DB_PASSWORD=s3cr3t-value\n")
	reading := make(chan struct{}, 1)
	logs := &logCapture{changed: make(chan struct{})}
	r := newRig(t, captureLog(logs), hang, func(o *Options) {
		o.PathTimeout = time.Minute
		read := o.readEnvFile
		o.readEnvFile = func(name, cwd string, uid int) ([]messages.EnvVar, error) {
			reading <- struct{}{}
			return read(name, cwd, uid)
		}
	})
	r.ok("service s cmd=sleep 100", "service s env_file="+env)
	start := r.async("command start service s")
	select {
	case <-reading:
	case <-time.After(deadline):
		t.Fatal("the env_file is not read")
	}
	gone := make(chan struct{})
	svc := r.servicePID("s")
	r.tree.System.Root.Spawn(actor.PropsFromFunc(func(ctx actor.Context) {
		switch ctx.Message().(type) {
		case *actor.Started:
			ctx.Watch(svc)
		case *actor.Terminated:
			close(gone)
			ctx.Stop(ctx.Self())
		}
	}))
	destroy := r.async("command destroy service s")
	r.reply("start", start)
	if rep := r.reply("destroy", destroy); rep.Err != nil {
		t.Fatalf("destroy: %v", rep.Err)
	}
	select {
	case <-gone:
	case <-time.After(deadline):
		t.Fatal("the service's actor did not stop")
	}
	release() // the read ends: its answer goes to an actor gone

	// the dead letter of the read's answer, named by its type
	timeout := time.After(deadline)
	for {
		logs.mu.Lock()
		var found, leaked string
		for _, e := range logs.entries {
			if s := fmt.Sprint(e.Data); e.Message == "[DeadLetter]" && strings.Contains(s, "actors.credResolved") {
				found = s
			}
			if s := fmt.Sprint(e.Message, e.Data); strings.Contains(s, "s3cr3t") {
				leaked = s
			}
		}
		ch := logs.changed
		logs.mu.Unlock()
		if leaked != "" {
			t.Fatalf("logged: %s", leaked)
		}
		if found != "" {
			return
		}
		select {
		case <-ch:
		case <-timeout:
			t.Fatal("no dead letter logged for the env_file's answer")
		}
	}
}

// The other messages that carry a declaration's environment, add_env
// and env_file values, print none of them: a proxy's start request (to
// the proxy actor, through the controller) and a proxy's declaration.
func TestEnvMessagesPrintNoValue(t *testing.T) {
	env := []messages.EnvVar{{Key: "K", Value: "s3cr3t-value"}}
	for _, m := range []any{
		credResolved{vars: env},
		proxyStartRequest{cfg: messages.ServiceConfig{Name: "a", Env: env}},
		toProxy{proxy: "p", msg: proxyStartRequest{cfg: messages.ServiceConfig{Name: "a", Env: env}}},
		configureProxy{cfg: messages.ProxyConfig{Name: "p", Env: env}},
	} {
		for _, s := range []string{fmt.Sprint(m), fmt.Sprintf("%v %+v %#v %s", m, m, m, m), slog.AnyValue(m).String()} {
			if strings.Contains(s, "s3cr3t") {
				t.Errorf("%T printed as %s", m, s)
			}
		}
	}
}
