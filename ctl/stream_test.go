package ctl

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
)

// cfkctl events and tail against a fake cfkd that sends a stream's lines,
// then closes the connection: with the end line of a shutdown (success),
// or without a word (cfkd lost: failure).

const (
	evCrash   = `{"kind":"service","time":"2009-11-11T16:04:05.5Z","service":"web1","from":"running","to":"fail","pid":123,"reason":"Exited with error 1"}`
	evStart   = `{"kind":"service","time":"2009-11-11T16:04:06Z","service":"web1","from":"fail","to":"starting","pid":124}`
	evProxy   = `{"kind":"proxy","time":"2009-11-11T16:04:07Z","proxy":"p","from":"down","to":"up","pid":7}`
	evSocket  = `{"kind":"socket","time":"2009-11-11T16:04:08Z","socket":"web","from":"unbound","to":"bound","address":"127.0.0.1:8080"}`
	evCfkd    = `{"kind":"cfkd","time":"2009-11-11T16:04:09Z","level":"warn","message":"web1 crashed 2 times in a row; restarting in 1s","service":"web1"}`
	evStopped = `{"kind":"service","time":"2009-11-11T16:04:10Z","service":"db","from":"stopping","to":"stopped"}`
	evFuture  = `{"kind":"weather","time":"2009-11-11T16:04:11Z","sky":"blue"}`
	evGone    = `{"kind":"destroyed","time":"2009-11-11T16:04:12Z","service":"web1"}`
	evShut    = `{"kind":"end","reason":"cfkd is shutting down","done":true}`
	shutEnd   = evShut + "\r\n" // the last line of a stream a shutdown ended
	lostText  = "the connection to cfkd was lost without a shutdown (cfkd crashed or was killed?)"
)

// streamOf is the wire text of a stream of lines.
func streamOf(lines ...string) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	return b.String()
}

func streamServer(t *testing.T, streams map[string]string) *fakeServer {
	f := newFakeServer(t, streams)
	for req := range streams {
		f.close[req] = true
	}
	return f
}

func TestEventsCommand(t *testing.T) {
	all := streamOf(evCrash, evStart, evProxy, evSocket, evCfkd, evFuture, evGone)
	f := streamServer(t, map[string]string{
		"command events all":          all + shutEnd,
		"command events service web1": streamOf(evCrash, evStart) + shutEnd,
		"command events tag db":       streamOf(evStopped, evCrash) + shutEnd,
		"command events tag unread":   "", // closed by the shutdown's drain before its request was read
		"command events tag killed":   streamOf(evCrash),
		"command events tag sigkill":  streamOf(evCrash) + `{"kind":"service","time":"2009-11-11T16:04:13Z","service":"web1","fr`,
		"command events service nope": "ERROR: Couldn't find a valid service. bailing.\r\n",
		"command events tag slow":     streamOf(evCrash) + `{"kind":"lost","lost":42}` + "\r\n",
		"command events tag gone":     streamOf(evCrash) + `{"kind":"end","reason":"token t is no longer in the token file: rights withdrawn"}` + "\r\n",
	})
	for _, tc := range []struct {
		name       string
		args       []string
		cfg        runCfg
		reqs       []string
		code       int
		out, errer string
	}{
		{name: "all", args: []string{"events"}, reqs: []string{"command events all"},
			out: "16:04:05 web1 running → fail (Exited with error 1)\n16:04:06 web1 fail → starting (pid 124)\n" +
				"16:04:07 proxy p down → up (pid 7)\n16:04:08 socket web unbound → bound (127.0.0.1:8080)\n" +
				"16:04:09 cfkd warn: web1 crashed 2 times in a row; restarting in 1s (service web1)\n" + evFuture + "\n" +
				"16:04:12 web1 destroyed\n"},
		{name: "json", args: []string{"--json", "events", "all"}, reqs: []string{"command events all"}, out: all + evShut + "\n"},
		{name: "colours", args: []string{"events", "web1"}, cfg: runCfg{terminal: true}, reqs: []string{"command events service web1"},
			out: "16:04:05 web1 running → \x1b[1;31mfail\x1b[0m (Exited with error 1)\n16:04:06 web1 fail → \x1b[1;33mstarting\x1b[0m (pid 124)\n"},
		{name: "refs merged, once each", args: []string{"events", "web1", "@db"}, reqs: []string{"command events service web1", "command events tag db"},
			out: "16:04:05 web1 running → fail (Exited with error 1)\n16:04:06 web1 fail → starting (pid 124)\n16:04:10 db stopping → stopped\n"},
		{name: "a shutdown, one selector unread", args: []string{"events", "@db", "@unread"}, reqs: []string{"command events tag db", "command events tag unread"},
			out: "16:04:05 web1 running → fail (Exited with error 1)\n16:04:10 db stopping → stopped\n"},
		{name: "cfkd lost", args: []string{"events", "@killed"}, reqs: []string{"command events tag killed"}, code: 1,
			out:   "16:04:05 web1 running → fail (Exited with error 1)\n",
			errer: "cfkctl: events: " + lostText + "\n"},
		{name: "cfkd lost in a line", args: []string{"events", "@sigkill"}, reqs: []string{"command events tag sigkill"}, code: 1,
			out:   "16:04:05 web1 running → fail (Exited with error 1)\n",
			errer: "cfkctl: reading from cfkd: cfkd closed the connection\n"},
		{name: "cfkd lost json", args: []string{"--json", "events", "@killed"}, reqs: []string{"command events tag killed"}, code: 1,
			out:   evCrash + "\n" + `{"ok":false,"error":"events: ` + lostText + `"}` + "\n",
			errer: "cfkctl: events: " + lostText + "\n"},
		{name: "refused", args: []string{"events", "nope"}, reqs: []string{"command events service nope"},
			code: 1, errer: "Couldn't find a valid service. bailing.\n"},
		{name: "cut off", args: []string{"events", "@slow"}, reqs: []string{"command events tag slow"}, code: 1,
			out:   "16:04:05 web1 running → fail (Exited with error 1)\n",
			errer: "cfkctl: events: cut off by cfkd after losing 42 events (not read fast enough)\n"},
		{name: "ended: rights withdrawn", args: []string{"events", "@gone"}, reqs: []string{"command events tag gone"}, code: 1,
			out:   "16:04:05 web1 running → fail (Exited with error 1)\n",
			errer: "cfkctl: events: cfkd ended the stream: token t is no longer in the token file: rights withdrawn\n"},
		{name: "cut off json", args: []string{"events", "--json", "@slow"}, reqs: []string{"command events tag slow"}, code: 1,
			out:   evCrash + "\n" + `{"kind":"lost","lost":42}` + "\n" + `{"ok":false,"error":"events: cut off by cfkd after losing 42 events (not read fast enough)"}` + "\n",
			errer: "cfkctl: events: cut off by cfkd after losing 42 events (not read fast enough)\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.mu.Lock()
			f.reqs = nil
			f.mu.Unlock()
			r := runCtl(t, f, tc.cfg, tc.args...)
			got := r.stdout
			if strings.HasPrefix(tc.name, "refs merged") || strings.HasPrefix(tc.name, "a shutdown") { // two streams: any interleaving
				l := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
				sort.Strings(l)
				got = strings.Join(l, "\n") + "\n"
			}
			if r.code != tc.code || got != tc.out || r.stderr != tc.errer {
				t.Errorf("cfkctl %q:\n code %d, want %d\n stdout %q\n   want %q\n stderr %q\n   want %q",
					tc.args, r.code, tc.code, r.stdout, tc.out, r.stderr, tc.errer)
			}
			reqs := f.waitRequests(t, len(tc.reqs))
			sort.Strings(reqs)
			if !reflect.DeepEqual(reqs, tc.reqs) {
				t.Errorf("requests %q, want %q", reqs, tc.reqs)
			}
		})
	}
}

func TestTailCommand(t *testing.T) {
	f := streamServer(t, map[string]string{
		"command tail web1 20 follow": streamOf("one", "OK", `"quoted"`) + shutEnd,
		"command tail kill 20 follow": streamOf("one"),
		"command tail dest 20 follow": streamOf("one") + `{"kind":"end","reason":"service dest was destroyed","done":true}` + "\r\n",
		"command tail slow 5 follow":  streamOf("one") + `{"kind":"lost","lost":3}` + "\r\n",
		"command tail gone 20 follow": streamOf("one") + `{"kind":"end","reason":"token t is no longer in the token file: rights withdrawn"}` + "\r\n",
		"command tail nope 20 follow": "ERROR: Couldn't find a valid service. bailing.\r\n",
	})
	f.replies["command tail web1 20"] = ok("one", "two")
	f.replies["command tail web1 3"] = ok("two")
	f.close["command tail web1 20"], f.close["command tail web1 3"] = false, false
	for _, tc := range []struct {
		args       []string
		code       int
		out, errer string
	}{
		{args: []string{"tail", "web1"}, out: "one\ntwo\n"},
		{args: []string{"tail", "-n", "3", "web1"}, out: "two\n"},
		{args: []string{"tail", "--json", "web1"}, out: `{"ok":true,"lines":["one","two"]}` + "\n"},
		{args: []string{"tail", "-f", "web1"}, out: "one\nOK\n\"quoted\"\n"},
		{args: []string{"tail", "--follow", "--json", "web1"}, out: `"one"` + "\n" + `"OK"` + "\n" + `"\"quoted\""` + "\n"},
		{args: []string{"tail", "-f", "kill"}, code: 1, out: "one\n", errer: "cfkctl: tail: " + lostText + "\n"},
		{args: []string{"tail", "-f", "--json", "kill"}, code: 1, out: `"one"` + "\n" + `{"ok":false,"error":"tail: ` + lostText + `"}` + "\n",
			errer: "cfkctl: tail: " + lostText + "\n"},
		{args: []string{"tail", "-f", "dest"}, out: "one\n"},
		{args: []string{"tail", "-f", "-n", "5", "slow"}, code: 1, out: "one\n",
			errer: "cfkctl: tail: cut off by cfkd after losing 3 lines (not read fast enough)\n"},
		{args: []string{"tail", "-f", "nope"}, code: 1, errer: "Couldn't find a valid service. bailing.\n"},
		{args: []string{"tail", "-f", "gone"}, code: 1, out: "one\n",
			errer: "cfkctl: tail: cfkd ended the stream: token t is no longer in the token file: rights withdrawn\n"},
		{args: []string{"tail", "-n", "-1", "web1"}, code: ExitUsage,
			errer: "cfkctl: -n wants a number of lines from 0 to 100000\nusage: cfkctl tail [-f] [-n N] NAME\nRun 'cfkctl help tail' for details.\n"},
		{args: []string{"status", "-f"}, code: ExitUsage,
			errer: "cfkctl: -f only applies to tail\nusage: cfkctl status [REF...]\nRun 'cfkctl help status' for details.\n"},
		{args: []string{"tail", "a", "b"}, code: ExitUsage,
			errer: "cfkctl: tail takes exactly one argument: NAME\nusage: cfkctl tail [-f] [-n N] NAME\nRun 'cfkctl help tail' for details.\n"},
	} {
		r := runCtl(t, f, runCfg{}, tc.args...)
		if r.code != tc.code || r.stdout != tc.out || r.stderr != tc.errer {
			t.Errorf("cfkctl %q:\n code %d, want %d\n stdout %q\n   want %q\n stderr %q\n   want %q",
				tc.args, r.code, tc.code, r.stdout, tc.out, r.stderr, tc.errer)
		}
	}
}

// TestLoadRefusesStreams: a stream in a loaded file would never end.
func TestLoadRefusesStreams(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "x.conf")
	if err := os.WriteFile(file, []byte("service a cmd=x\ncommand tail a 5 follow\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f := newFakeServer(t, map[string]string{"service a cmd=x": ok()})
	r := runCtl(t, f, runCfg{}, "load", file)
	if want := file + ":2: command tail streams (it would never end): use cfkctl tail\n"; r.code != 1 || r.stderr != want {
		t.Fatalf("got %+v, want %q", r, want)
	}
}

// TestLoadRefusesFleetEvents: `command fleet events` streams too, on a
// hub: a loaded file holding it waited for a reply that never comes, its
// events piling up, until --timeout.
func TestLoadRefusesFleetEvents(t *testing.T) {
	file := filepath.Join(t.TempDir(), "x.conf")
	if err := os.WriteFile(file, []byte("service a cmd=x\ncommand fleet hosts=h1 events\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f := newFakeServer(t, map[string]string{"service a cmd=x": ok()})
	r := runCtl(t, f, runCfg{}, "load", file)
	if want := file + ":2: command fleet events streams (it would never end): use cfkctl fleet events\n"; r.code != 1 || r.stderr != want {
		t.Fatalf("got %+v, want %q", r, want)
	}
}

// TestStreamsResumeAcrossAnUpgrade: a stream whose last line says that
// cfkd is being upgraded in place, and that the request may be sent again
// (resume), goes on over a new connection: cfkctl says so on stderr, and
// ends as the new stream does. A tail asks for no last lines again. They
// exited at the upgrade (REFERENCE §1.5).
func TestStreamsResumeAcrossAnUpgrade(t *testing.T) {
	upgrading := `{"kind":"end","reason":"cfkd is being upgraded in place","resume":true}` + "\r\n"
	f := streamServer(t, map[string]string{
		"command events tag up":       streamOf(evCrash) + upgrading,
		"command tail web1 20 follow": streamOf("one") + upgrading,
		"command tail web1 0 follow":  streamOf("two") + shutEnd,
		"command fleet events":        streamOf(string(messages.FleetEventLine("web1", []byte(evCrash)))) + upgrading,
	})
	f.then["command fleet events"] = streamOf(string(messages.FleetEventLine("web2", []byte(evStart)))) + shutEnd
	f.then["command events tag up"] = streamOf(evStart) + shutEnd
	notice := func(what string) string {
		return "cfkctl: " + what + ": cfkd is being upgraded in place: following again (what happens meanwhile is not shown)\n"
	}
	r := runCtl(t, f, runCfg{}, "events", "@up")
	if want := "16:04:05 web1 running → fail (Exited with error 1)\n16:04:06 web1 fail → starting (pid 124)\n"; r.code != 0 || r.stdout != want || r.stderr != notice("events") {
		t.Errorf("events: code %d\n stdout %q\n   want %q\n stderr %q", r.code, r.stdout, want, r.stderr)
	}
	r = runCtl(t, f, runCfg{}, "tail", "-f", "web1")
	if r.code != 0 || r.stdout != "one\ntwo\n" || r.stderr != notice("tail") {
		t.Errorf("tail -f: code %d\n stdout %q\n stderr %q", r.code, r.stdout, r.stderr)
	}
	r = runCtl(t, f, runCfg{}, "fleet", "events")
	if want := "web1 16:04:05 web1 running → fail (Exited with error 1)\nweb2 16:04:06 web1 fail → starting (pid 124)\n"; r.code != 0 || r.stdout != want || r.stderr != notice("fleet events") {
		t.Errorf("fleet events: code %d\n stdout %q\n   want %q\n stderr %q", r.code, r.stdout, want, r.stderr)
	}
	if reqs := f.waitRequests(t, 6); !reflect.DeepEqual(reqs, []string{"command events tag up", "command events tag up", "command tail web1 20 follow", "command tail web1 0 follow",
		"command fleet events", "command fleet events"}) {
		t.Errorf("requests %q", reqs)
	}
}

// TestStreamResumeGivesUp: a cfkd that ends a stream for an upgrade again
// and again, with nothing between, is asked again after a growing pause,
// then given up on: cfkctl reconnected in a tight loop, for ever.
func TestStreamResumeGivesUp(t *testing.T) {
	pause, maxPause := resumePause, resumeMaxPause
	resumePause, resumeMaxPause = time.Millisecond, 4*time.Millisecond
	t.Cleanup(func() { resumePause, resumeMaxPause = pause, maxPause })
	upgrading := `{"kind":"end","reason":"cfkd is being upgraded in place","resume":true}` + "\r\n"
	f := streamServer(t, map[string]string{"command events tag up": upgrading})
	r := runCtl(t, f, runCfg{}, "events", "@up")
	want := fmt.Sprintf("cfkctl: events: cfkd ended the stream for an upgrade %d times in a row with nothing between: giving up\n", resumeTries+1)
	if r.code != 1 || !strings.HasSuffix(r.stderr, want) {
		t.Errorf("code %d, stderr %q, want it to end %q", r.code, r.stderr, want)
	}
	if n := len(f.requests()); n != resumeTries+1 {
		t.Errorf("%d requests, want %d", n, resumeTries+1)
	}
}

// TestStreamsOfOneCommandResumeTogether: of the streams of one command,
// one is told of an upgrade and another's connection is closed without a
// word (its request had not been read when cfkd drained it). Either both
// go on, or the command ends: it went on following one selector only.
func TestStreamsOfOneCommandResumeTogether(t *testing.T) {
	upgrading := `{"kind":"end","reason":"cfkd is being upgraded in place","resume":true}` + "\r\n"
	f := streamServer(t, map[string]string{
		"command events tag a": streamOf(evCrash) + upgrading,
		"command events tag b": "",
	})
	f.then["command events tag a"], f.then["command events tag b"] = streamOf(evStart), streamOf(evStopped)
	f.holdThen["command events tag a"], f.holdThen["command events tag b"] = true, true // the new cfkd's streams go on
	done := make(chan result, 1)
	go func() { done <- runCtl(t, f, runCfg{}, "--json", "events", "@a", "@b") }()
	count := func(req string) int {
		n := 0
		for _, r := range f.requests() {
			if r == req {
				n++
			}
		}
		return n
	}
	var r result
	for end := time.Now().Add(10 * time.Second); ; {
		select {
		case r = <-done: // ended together
		default:
			if count("command events tag a") == 2 && count("command events tag b") == 2 {
				f.release() // both went on: the new cfkd closes them
				r = <-done
			} else if time.Now().After(end) {
				f.release()
				<-done
				t.Fatalf("following one selector only: requests %q", f.requests())
			} else {
				time.Sleep(10 * time.Millisecond)
				continue
			}
		}
		break
	}
	got := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	sort.Strings(got)
	both := []string{evCrash, evStart, evStopped, messages.UpgradeEndEvent().Format()}
	sort.Strings(both)
	if r.code != 0 || !reflect.DeepEqual(got, []string{evCrash}) && !reflect.DeepEqual(got, both) {
		t.Errorf("code %d, stdout %q: want the first event alone (ended together) or %q (went on together)", r.code, got, both)
	}
}

// TestQuietStreamResumesAcrossSpacedUpgrades: a stream with nothing to
// show (a quiet service's tail) across upgrades far apart resumes each
// time: only resumes in a row, close together, are given up on. It gave
// up at the ninth upgrade, however far apart.
func TestQuietStreamResumesAcrossSpacedUpgrades(t *testing.T) {
	quiet := resumeQuiet
	resumeQuiet = 20 * time.Millisecond
	t.Cleanup(func() { resumeQuiet = quiet })
	upgrading := `{"kind":"end","reason":"cfkd is being upgraded in place","resume":true}` + "\r\n"
	f := streamServer(t, map[string]string{"command events tag up": upgrading})
	f.delay["command events tag up"] = 40 * time.Millisecond // upgrades farther apart than resumeQuiet
	done := make(chan result, 1)
	go func() { done <- runCtl(t, f, runCfg{}, "events", "@up") }()
	f.waitRequests(t, resumeTries+3)
	f.ln.Close() // cfkd gone for good: the next resume cannot connect
	r := <-done
	if strings.Contains(r.stderr, "giving up") || len(f.requests()) < resumeTries+3 {
		t.Errorf("%d requests, stderr %q: gave up on upgrades far apart", len(f.requests()), r.stderr)
	}
}

// TestStreamsOfOneCommandEndTogetherDuringAnUpgrade: one stream of a
// command resumed after an upgrade, and another ends for good soon after
// (its request closed unread twice: a second upgrade): the command ends.
// It went on following the first selector alone.
func TestStreamsOfOneCommandEndTogetherDuringAnUpgrade(t *testing.T) {
	upgrading := `{"kind":"end","reason":"cfkd is being upgraded in place","resume":true}` + "\r\n"
	f := streamServer(t, map[string]string{
		"command events tag a": streamOf(evCrash) + upgrading,
		"command events tag b": "",
	})
	f.then["command events tag a"] = streamOf(evStart)
	f.holdThen["command events tag a"] = true                // a goes on
	f.atEOF["command events tag a"] = streamOf(evStopped)    // what cfkd held for it when it was ended
	f.delay["command events tag b"] = 300 * time.Millisecond // b ends after a resumed, each time
	done := make(chan result, 1)
	go func() { done <- runCtl(t, f, runCfg{}, "events", "@a", "@b") }()
	select {
	case r := <-done:
		if r.code != 0 || !strings.Contains(r.stdout, "16:04:10 db stopping → stopped") {
			t.Errorf("code %d, stdout %q (want a's last line, written once it was ended), stderr %q", r.code, r.stdout, r.stderr)
		}
	case <-time.After(10 * time.Second):
		f.release()
		<-done
		t.Fatalf("still following @a alone after @b ended: requests %q", f.requests())
	}
}
