package fleet

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/cfk/cfk/messages"
)

// depsHost plays a host's controller for two services, app requiring db
// (REFERENCE §2.8): a stop of db takes app down first; a stop of a
// service already down is `Service 'NAME' is already down`; the
// selectors of one request are planned together, each service once, in
// name order (§1.4). old plays a cfkd that takes one selector a request:
// several are refused with the original's selector error.
type depsHost struct {
	mu  sync.Mutex
	old bool
	up  map[string]bool
	got []string // each request's selectors, by name
}

func (d *depsHost) reset() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.up, d.got = map[string]bool{"app": true, "db": true}, nil
}

func (d *depsHost) requests() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.got...)
}

func (d *depsHost) answer(c messages.ControlCommand) messages.Reply {
	d.mu.Lock()
	defer d.mu.Unlock()
	var names []string
	for _, s := range c.Selectors() {
		names = append(names, s.Name)
	}
	d.got = append(d.got, strings.Join(names, " "))
	if c.Verb != messages.VerbStop {
		return messages.ErrorReply(fmt.Errorf("unexpected %s", c.Verb))
	}
	if d.old && len(c.More) > 0 {
		return messages.ErrorReply(errors.New("service selector takes exactly 1 argument: name"))
	}
	sort.Strings(names)
	done, failures := 0, []string(nil)
	for _, n := range names {
		if !d.up[n] {
			failures = append(failures, fmt.Sprintf("%s: Service '%s' is already down", n, n))
			continue
		}
		done++
	}
	for _, n := range names {
		if n == "db" {
			d.up["app"] = false // what requires db goes down first
		}
		d.up[n] = false
	}
	if done == 0 {
		_, msg, _ := strings.Cut(failures[0], ": ")
		return messages.ErrorReply(errors.New(msg))
	}
	return messages.Reply{Lines: append([]string{fmt.Sprintf("done %d", done)}, failures...)}
}

// TestFleetSelectorsPlannedTogether: `fleet stop service db service app`
// (app requires db) went to each host as one request per selector, the
// first failure ending the host's part: the stop of db took app down, and
// the stop of app failed `Service 'app' is already down`, while `stop
// service app service db` went well. The hub sends each host one request
// with every selector, which the host plans together: `done 2` in either
// order. A host that refuses it with the original's selector error (an
// older cfkd) is asked again, one line a selector, as before (REFERENCE
// §12.3).
func TestFleetSelectorsPlannedTogether(t *testing.T) {
	tf := newTestFleet(t, "web1", "web2")
	hosts := []*depsHost{{}, {old: true}}
	for i, d := range hosts {
		tf.locals[i].answer = d.answer
	}
	for _, tc := range []struct {
		order    string
		web2     messages.FleetLineKind
		web2Body []string
	}{
		{order: "service db service app", web2: messages.FleetError},
		{order: "service app service db", web2: messages.FleetOK, web2Body: []string{"done 1", "done 1"}},
	} {
		for _, d := range hosts {
			d.reset()
		}
		sels := strings.Fields(tc.order)
		one, two := sels[1], sels[3]
		lines, out := outcomes(t, tf.ask("command fleet stop "+tc.order))
		if out["web1"].Kind != messages.FleetOK || !reflect.DeepEqual(lines["web1"], []string{"done 2"}) {
			t.Errorf("%s: web1 %+v %q, want ok, done 2", tc.order, out["web1"], lines["web1"])
		}
		if got, want := hosts[0].requests(), []string{one + " " + two}; !reflect.DeepEqual(got, want) {
			t.Errorf("%s: web1 was asked %q, want %q: one request", tc.order, got, want)
		}
		// the older host: the request refused, then one a selector, in order
		if out["web2"].Kind != tc.web2 || !reflect.DeepEqual(lines["web2"], tc.web2Body) {
			t.Errorf("%s: web2 %+v %q, want %s %q", tc.order, out["web2"], lines["web2"], tc.web2, tc.web2Body)
		}
		if tc.web2 == messages.FleetError && out["web2"].Text != "Service 'app' is already down" {
			t.Errorf("%s: web2 %q", tc.order, out["web2"].Text)
		}
		if got, want := hosts[1].requests(), []string{one + " " + two, one, two}; !reflect.DeepEqual(got, want) {
			t.Errorf("%s: web2 was asked %q, want %q", tc.order, got, want)
		}
	}
}
