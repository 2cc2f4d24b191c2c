package e2e

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// REFERENCE §8.2: a service verb sends every reference's selector in one
// request, whose services cfkd plans together: the failures of some
// while others succeed are warnings (exit 0), and a reference that
// selects nothing refuses it all. When that request would exceed cfkd's
// 65536 bytes (`cfkctl stop $(cfkctl list)` among thousands of
// services), cfkctl sent one request per reference instead: the first
// reference whose service was already down was an ERROR, exit 1, and
// the references after it were never sent, the services they named left
// running, where the same command with fewer services warned, exit 0.
// Now the references go in requests that fit, their replies made one.
func TestVerbOfManyReferences(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "")
	const n = 3000 // "service " and 40 bytes each: about 3 requests' worth
	names := make([]string, n)
	var conf strings.Builder
	for i := range names {
		names[i] = fmt.Sprintf("a-service-with-a-rather-long-name-%05d", i)
		fmt.Fprintf(&conf, "service %s cmd=sleep 100\nservice %s startwait_secs=0\n", names[i], names[i])
	}
	d.ctlOK(conf.String(), "load", "-")
	first, last := names[0], names[n-1]
	d.ctlOK("", "start", first, last)

	reversed := slices.Clone(names)
	slices.Reverse(reversed)
	// cfkd's rule for one request: done 2, a line per service already down
	out, errs, code := d.ctl("", append([]string{"--json", "stop"}, reversed...)...)
	if code != 0 || !strings.HasPrefix(out, `{"ok":true,"lines":["done 2",`) {
		t.Fatalf("stop of %d references, 2 running: exit %d, stdout %.200q, stderr %.300q", n, code, out, errs)
	}
	// a line per service that failed; of a request none of whose services
	// succeeded, cfkd's ERROR names its first failure only
	var reply struct{ Lines []string }
	if err := json.Unmarshal([]byte(out), &reply); err != nil {
		t.Fatalf("stop --json: %v: %.200q", err, out)
	}
	seen := map[string]bool{}
	for _, l := range reply.Lines[1:] {
		name, _, _ := strings.Cut(l, ": ")
		if l != name+": Service '"+name+"' is already down" || seen[name] || name == first || name == last {
			t.Errorf("stop --json: line %q", l)
		}
		seen[name] = true
	}
	c := d.dial()
	for _, name := range []string{first, last} {
		c.until(name+" stopped", func() bool { return c.status(name)[1] == "stopped" })
	}
	// none succeeds: the ERROR of the first failure in name order, exit 1
	_, errs, code = d.ctl("", append([]string{"stop"}, reversed...)...)
	if want := "Service '" + first + "' is already down\n"; code != 1 || errs != want {
		t.Errorf("stop of %d references, none running: exit %d, stderr %.300q; want exit 1, %q", n, code, errs, want)
	}
	// a reference that selects nothing refuses them all: nothing started
	_, errs, code = d.ctl("", append(append([]string{"start"}, reversed...), "nosuch")...)
	if want := "Couldn't find a valid service. bailing.\n"; code != 1 || errs != want {
		t.Errorf("start of %d references and nosuch: exit %d, stderr %.300q; want exit 1, %q", n, code, errs, want)
	}
	if st := c.status(last)[1]; st != "stopped" {
		t.Errorf("start refused: %s is %s", last, st)
	}
	// the warnings in text, each service once
	d.ctlOK("", "start", last)
	_, errs, code = d.ctl("", append([]string{"stop"}, names...)...)
	if code != 0 || !strings.HasPrefix(errs, "warning: ") || strings.Contains(errs, "warning: "+last+":") {
		t.Errorf("stop of %d references, 1 running: exit %d, %d warnings, stderr %.300q", n, code, strings.Count(errs, "warning: "), errs)
	}
}
