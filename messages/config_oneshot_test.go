package messages

import "testing"

// REFERENCE §2.10: oneshot and ready are refused together, whichever
// comes second; unset, the other is taken; a diff names oneshot.
func TestOneShotRefusesReady(t *testing.T) {
	apply := func(c ServiceConfig, line string) (ServiceConfig, error) {
		t.Helper()
		st, err := Parse(line)
		if err != nil {
			t.Fatal(err)
		}
		m := st.(SetServiceAttr)
		return c.Apply(m.Attr, m.Value)
	}
	c, err := apply(NewServiceConfig("migrate"), "service migrate oneshot=yes")
	if err != nil || !c.OneShot {
		t.Fatalf("%+v %v", c, err)
	}
	if got := DiffService(NewServiceConfig("migrate"), c); len(got) != 1 || got[0] != "oneshot" {
		t.Fatalf("diff %q", got)
	}
	got, err := apply(c, "service migrate ready=notify")
	if want := `invalid value for ready: "notify" (want none: service migrate is oneshot=1, done when it exits (unset oneshot first))`; err == nil || err.Error() != want {
		t.Fatalf("ready on a oneshot: %v, want %s", err, want)
	}
	if got.Ready != "" || !got.OneShot {
		t.Fatalf("config changed by a refusal: %+v", got)
	}
	r, err := apply(NewServiceConfig("migrate"), "service migrate ready=notify")
	if err != nil {
		t.Fatal(err)
	}
	_, err = apply(r, "service migrate oneshot=1")
	if want := `invalid value for oneshot: "1" (want a service without ready: service migrate has ready=notify, and a oneshot is done when it exits (unset ready first))`; err == nil || err.Error() != want {
		t.Fatalf("oneshot with ready: %v, want %s", err, want)
	}
	if c, err = apply(c, "service migrate oneshot="); err != nil || c.OneShot {
		t.Fatalf("unset: %+v %v", c, err)
	}
	if _, err = apply(c, "service migrate ready=notify"); err != nil {
		t.Fatalf("ready once oneshot is unset: %v", err)
	}
}
