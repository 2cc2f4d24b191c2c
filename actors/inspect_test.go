package actors

import (
	"slices"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
)

// info runs `command inspect SEL` and reads its lines.
func (r *rig) info(sel string) []messages.ServiceInfo {
	r.t.Helper()
	var out []messages.ServiceInfo
	for _, l := range r.ok("command inspect " + sel) {
		i, err := messages.ParseServiceInfo(l)
		if err != nil {
			r.t.Fatalf("inspect %s: %v", sel, err)
		}
		out = append(out, i)
	}
	return out
}

func TestInspect(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.ok("proxy p service x cmd=sleep 1")
	t0 := time.Now()
	pid := r.startRunning("w", "tags=web,db", "desc=the web server")
	t1 := time.Now()

	// one object per service, by name, that says what status and desc say
	infos, status, desc := r.info(""), r.ok("command status"), r.ok("command desc")
	if len(infos) != 2 || len(status) != 2 || len(desc) != 2 {
		t.Fatalf("inspect %+v, status %q, desc %q", infos, status, desc)
	}
	for k, i := range infos {
		if st := i.StatusLine().Format(); st != status[k] {
			t.Errorf("inspect %s as a status line %q, status says %q", i.Name, st, status[k])
		}
		if d := i.DescLine().Format(); d != desc[k] {
			t.Errorf("inspect %s as a desc line %q, desc says %q", i.Name, d, desc[k])
		}
	}
	w, x := infos[0], infos[1]
	if x.Name != "x" || x.State != messages.Stopped || x.Proxy != "p" || x.ProxyUp || x.Cmd != "sleep 1" {
		t.Errorf("x %+v", x)
	}
	if w.Name != "w" || w.State != messages.Running || w.Pid != pid || w.Proxy != "" || w.RunningCmd != "sleep 100" ||
		!slices.Equal(w.Tags, []string{"web", "db"}) || w.Desc != "the web server" || w.Cmd != "sleep 100" ||
		w.Retries != 0 || w.Crashes != 0 || !w.NextStart.IsZero() || !w.StopTime.IsZero() {
		t.Errorf("w %+v", w)
	}
	if w.StartTime.Before(t0) || w.StartTime.After(t1) {
		t.Errorf("w start_time %v not in [%v, %v]: the time is not cut to the second", w.StartTime, t0, t1)
	}

	// a selector answers as status does
	for _, sel := range []string{"service w", "tag web", "all", "service nope", "tag nope"} {
		s, i := r.exec("command status "+sel), r.exec("command inspect "+sel)
		if errText(s.Err) != errText(i.Err) || len(s.Lines) != len(i.Lines) {
			t.Errorf("%s: status %v %q, inspect %v %q", sel, s.Err, s.Lines, i.Err, i.Lines)
		}
	}

	// the counts of the service's runtime; the compat status line does not
	// show them
	stop, next := time.Unix(1763738154, 0), time.Unix(1763738155, 3e8)
	r.tree.System.Root.Send(r.tree.Controller, messages.ServiceUpdated{Runtime: messages.ServiceRuntime{
		Name: "x", State: messages.Backoff, StopTime: stop, Retries: 3, Crashes: 1, NextStart: next}})
	got := r.info("service x")
	if len(got) != 1 || got[0].State != messages.Backoff || got[0].Retries != 3 || got[0].Crashes != 1 ||
		!got[0].NextStart.Equal(next) || !got[0].StopTime.Equal(stop) {
		t.Fatalf("x in backoff %+v", got)
	}
	if st := r.ok("command status service x"); !slices.Equal(st, []string{"x\tbackoff\t\t\t1763738154\tp!\t\t"}) {
		t.Fatalf("status of x %q", st)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
