package actors

import "testing"

// An apply refused for a dependency cycle says its path from the service
// whose line of the file closes it, back to it, as `load` of the same
// lines is refused (REFERENCE §2.8, §1.7): a file whose last line is
// `service s1 requires=s0` said `s0 -> s1 -> s0` (the first cycle in the
// order of names), where load says `s1 -> s0 -> s1`.
func TestApplyCycleSaidFromTheServiceThatClosesIt(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.fails(applyReq("", "service s0 cmd=sleep 1\nservice s0 requires=s1\nservice s1 cmd=sleep 1\nservice s1 requires=s0\n"),
		"dependency cycle: s1 -> s0 -> s1")
	r.fails(applyReq("dry-run", "service s1 requires=s0\nservice s0 requires=s1\n"),
		"dependency cycle: s0 -> s1 -> s0")
	r.fails(applyReq("", "service a requires=b\nservice c requires=a\nservice b requires=c\nservice a desc=x\n"),
		"dependency cycle: b -> c -> a -> b")
	// through a service cfkd declares and the file leaves out
	r.ok("service z requires=y")
	r.fails(applyReq("", "service y requires=z\n"), "dependency cycle: y -> z -> y")
	r.fails(applyReq("", "service a cmd=sleep 1\nservice a requires=a\n"), "dependency cycle: a -> a")
	// load says the same
	r.ok("service s0 cmd=sleep 1", "service s0 requires=s1", "service s1 cmd=sleep 1")
	r.fails("service s1 requires=s0", "dependency cycle: s1 -> s0 -> s1")
}
