package actors

import (
	"slices"
	"strings"
	"testing"
)

// A rolling apply's restart of a oneshot waits for it to be done, its
// clean exit (a oneshot is never running, REFERENCE §2.10), and its record
// and the refusal of another apply meanwhile say so: they said 'waiting
// for it to be running', a state it never reaches (REFERENCE §1.4).
func TestApplyRollingOneShotWaitsForDone(t *testing.T) {
	t.Parallel()
	log, rec := recordingLogger()
	r := newRig(t, func(o *Options) { o.Log = log })
	r.setAutoTerm()
	job := "service j oneshot=1\nservice j cmd=sleep "
	r.applyOK("", job+"1\n", "+ j")
	r.okDone("command start service j", 1)
	r.expectSeq("j", starting)
	roll := r.async(applyReq("rolling", job+"2\n"))
	r.expectSeq("j", stopping, stopped, starting)
	waitFor(t, "the roll's record", func() bool {
		return strings.Contains(rec.text(), "apply: rolling restart of 'j': waiting for it to be done")
	})
	if strings.Contains(rec.text(), "to be running") {
		t.Fatalf("records:\n%s", rec.text())
	}
	rep := r.exec(applyReq("", job+"3\n"))
	if rep.Err == nil || !strings.Contains(rep.Err.Error(), "rolling restart, 0 of 1 done, waiting for 'j' to be done)") {
		t.Fatalf("apply while the roll waits: %v %q", rep.Err, rep.Lines)
	}
	r.fake.exit(t, r.fake.waitLaunch(t, 2).Pid, exitCode(0))
	if rep := r.reply("the rolling apply", roll); rep.Err != nil || !slices.Equal(rep.Lines, []string{"~ j: cmd"}) {
		t.Fatalf("rolling apply: %v %q", rep.Err, rep.Lines)
	}
}
