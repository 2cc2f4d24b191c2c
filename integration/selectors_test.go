package integration

import (
	"strings"
	"testing"

	. "github.com/cfk/cfk/messages"
)

func TestTagsAndSelectors(t *testing.T) {
	h := newHarness(t)
	h.ok("service web1 cmd=sleep 100", "service web1 tags=web,prod",
		"service web2 cmd=sleep 100", "service web2 tags=web",
		"service web3 cmd=sleep 100", "service web3 tags=web, stage",
		"service db cmd=sleep 100")
	if r := h.ok("command start tag web"); r[0] != "done 3" {
		t.Fatalf("start tag web: %q", r)
	}
	for _, n := range []string{"web1", "web2", "web3"} {
		h.expect(n, Starting)
	}
	if got := h.ok("command status tag prod"); len(got) != 1 || !strings.HasPrefix(got[0], "web1\tstarting") && !strings.HasPrefix(got[0], "web1\trunning") {
		t.Fatalf("status tag prod: %q", got)
	}
	desc := h.ok("command desc service web3")
	if desc[0] != "web3\tweb, stage\t\t\tsleep 100" {
		t.Fatalf("desc: %q", desc)
	}
	// partly failing: one service succeeds, the others are reported
	r := h.ok("command start all")
	if r[0] != "done 1" || len(r) != 4 || r[1] != "web1: Service 'web1' is already up" {
		t.Fatalf("start all: %q", r)
	}
	h.expect("db", Starting)
	// nothing succeeds: ERROR with the first failure
	h.fails("command start tag web", "Service 'web1' is already up")
	// up is not an error for a service already up, nor counted (as the
	// original's): all are up
	if r := h.ok("command up all"); r[0] != "done 0" {
		t.Fatalf("up all: %q", r)
	}
	if r := h.ok("command down tag stage"); r[0] != "done 1" {
		t.Fatalf("down tag stage: %q", r)
	}
	h.expect("web3", Stopped)
	if r := h.ok("command down tag stage"); r[0] != "done 0" {
		t.Fatalf("down again: %q", r)
	}
	h.fails("command stop service web3", "Service 'web3' is already down")
	h.fails("command start service nope", ErrNoService.Error())
	h.fails("command start tag nope", ErrNoService.Error())
	h.fails("command status service nope", ErrNoService.Error())
	h.fails("command start", ErrNoService.Error())
	h.fails("command start everything", "unknown selector 'everything'")
	h.fails("command start service a b", "service selector takes exactly 1 argument: name")
	if got := h.ok("command list"); strings.Join(got, ",") != "db,web1,web2,web3" {
		t.Fatalf("list: %q", got)
	}
	pids := h.ok("command pids")
	if len(pids) != 4 || !strings.HasPrefix(pids[3], "web3: ") || strings.TrimPrefix(pids[3], "web3: ") != "" {
		t.Fatalf("pids: %q", pids)
	}
	if v := h.ok("command version"); v[0] != "cfk-test" {
		t.Fatalf("version %q", v)
	}
}

func TestDeclarationErrorsChangeNothing(t *testing.T) {
	h := newHarness(t)
	h.fails("service s startwait_secs=abc", `invalid value for startwait_secs: "abc" (want a number of seconds >= 0 and <= 86400)`)
	if got := h.ok("command list"); len(got) != 0 {
		t.Fatalf("a failed declaration created %q", got)
	}
	h.ok("service s cmd=sleep 1", "service s startwait_secs=3")
	h.fails("service s startwait_secs=-1", `invalid value for startwait_secs: "-1" (want a number of seconds >= 0 and <= 86400)`)
	h.fails("service s bogus=1", "invalid property 'bogus'")
	h.fails("command bind web", "unknown socket 'web'")
	h.fails("socket web bogus=1", "invalid property 'bogus'")
	if got := h.ok("command sockets"); len(got) != 0 {
		t.Fatalf("a failed socket declaration created %q", got)
	}
	h.fails("command proxyup p", ErrNoProxy.Error())
	if got := h.ok("command proxystatus"); len(got) != 0 {
		t.Fatalf("proxystatus %q", got)
	}
	h.fails("command frobnicate", "unknown command 'frobnicate'")
}
