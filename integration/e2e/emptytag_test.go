package e2e

import (
	"testing"
)

// TestQueriesOfAnEmptyTag: status, desc and pids of a tag that matches
// nothing (never used, emptied by a retag or a destroy) answer exactly
// `OK\r\n`, as the original did; an unknown service name stays an error.
// cfkctl prints nothing and exits 0 for such a tag.
func TestQueriesOfAnEmptyTag(t *testing.T) {
	d := startDaemon(t, "")
	c := d.dial()
	const noService = "ERROR: Couldn't find a valid service. bailing.\r\n"
	c.raw("service web1 cmd=sleep 100\r\n", "OK\r\n")
	c.raw("service web1 tags=prod\r\n", "OK\r\n")
	for _, verb := range []string{"status", "desc", "pids"} {
		if l := c.ok("command " + verb + " tag prod"); len(l) != 1 {
			t.Fatalf("%s tag prod: %q", verb, l)
		}
	}
	// each reply is read to its exact length, then the next request's
	// reply follows at once: nothing extra was written in between
	empty := func(tag string) {
		t.Helper()
		for _, verb := range []string{"status", "desc", "pids"} {
			c.raw("command "+verb+" tag "+tag+"\r\n", "OK\r\n")
		}
	}
	empty("nosuch")
	c.raw("service web1 tags=web\r\n", "OK\r\n")
	empty("prod")
	c.raw("command destroy tag web\r\n", "done 1\nOK\r\n")
	empty("web")
	// a name must exist; a multi-service verb still refuses an empty tag
	c.raw("command status service nosuch\r\n", noService)
	c.raw("command pids service web1\r\n", noService)
	c.raw("command start tag prod\r\n", noService)

	for _, args := range [][]string{{"status", "@nosuch"}, {"desc", "@prod"}, {"pids", "@web"}} {
		out, errs, code := d.ctl("", args...)
		if out != "" || errs != "" || code != 0 {
			t.Errorf("cfkctl %v: stdout %q stderr %q exit %d, want nothing and 0", args, out, errs, code)
		}
	}
	if out := d.ctlOK("", "--json", "status", "@nosuch"); out != "[]\n" {
		t.Errorf("cfkctl --json status @nosuch: %q", out)
	}
	out, errs, code := d.ctl("", "status", "nosuch")
	if out != "" || errs != "Couldn't find a valid service. bailing.\n" || code != 1 {
		t.Errorf("cfkctl status nosuch: stdout %q stderr %q exit %d", out, errs, code)
	}
}
