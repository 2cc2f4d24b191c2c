package actors

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// limit_nofile's check (REFERENCE §1.1) asks whether the shim, a /bin/sh
// that cfkd execs, may raise a hard limit: capabilities(7) gives the shell
// of root its bounding set (with the inheritable and ambient ones), and the
// shell of another uid only the ambient set, whatever cfkd's effective set
// holds. The check read cfkd's effective set: a cfkd of another user given
// CAP_SYS_RESOURCE by its file (setcap cap_sys_resource+ep) passed it, and
// its service exited 126 at each launch, the shell's ulimit refused; a
// root cfkd that had dropped it from its effective set only was refused a
// start its shell could make.
func TestNofileCheckReadsTheShellsCapabilities(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		root bool
		caps capSets
		want bool
	}{
		{"root, bounding and effective", true, capSets{effective: true, permitted: true, bounding: true}, true},
		{"root under no_new_privs, bounding, not permitted", true, capSets{bounding: true, noNewPrivs: true}, false},
		{"root under no_new_privs, bounding and permitted", true, capSets{permitted: true, bounding: true, noNewPrivs: true}, true},
		{"root without it in its bounding set (a container's)", true, capSets{}, false},
		{"root, bounding set, dropped from effective", true, capSets{bounding: true}, true},
		{"root, effective, dropped from bounding", true, capSets{effective: true}, false},
		{"root, inheritable", true, capSets{inheritable: true}, true},
		{"root with SECBIT_NOROOT", true, capSets{effective: true, bounding: true, noRoot: true}, false},
		{"root with SECBIT_NOROOT, ambient", true, capSets{bounding: true, ambient: true, noRoot: true}, true},
		{"another user, by its file (setcap +ep)", false, capSets{effective: true, bounding: true}, false},
		{"another user, ambient (AmbientCapabilities=)", false, capSets{effective: true, bounding: true, ambient: true}, true},
		{"another user, none", false, capSets{bounding: true}, false},
	} {
		if got := raisesAfterExec(c.root, c.caps); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	// cfkd's own sets are read as the kernel shows them
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip(err)
	}
	for _, l := range strings.Split(string(status), "\n") {
		for field, got := range map[string]bool{"CapBnd:": readCaps(24).bounding, "CapAmb:": readCaps(24).ambient, "CapInh:": readCaps(24).inheritable, "CapEff:": readCaps(24).effective, "CapPrm:": readCaps(24).permitted} {
			if v, ok := strings.CutPrefix(l, field); ok {
				n, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
				if err != nil {
					t.Fatalf("%q: %v", l, err)
				}
				if want := n&(1<<24) != 0; got != want {
					t.Errorf("%s CAP_SYS_RESOURCE read %v, /proc says %v", field, got, want)
				}
			}
		}
	}
}
