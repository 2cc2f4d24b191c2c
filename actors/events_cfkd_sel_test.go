package actors

import (
	"testing"

	"github.com/cfk/cfk/messages"
	"github.com/sirupsen/logrus"
)

// A stream of `service NAME` or `tag TAG` took only the transitions of
// its services: cfkd's records that name one of them (`web1 crashed 2
// times in a row; restarting in 1s`) went only to a stream of all. They
// are taken too, a tag as the service is declared when the record is
// logged (REFERENCE §1.4).
func TestEventsSelectedTakeCfkdRecordsOfTheirServices(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.ok("service a cmd=sleep 100", "service a tags=web")
	r.ok("service b cmd=sleep 100", "service b tags=other")
	a := r.tree.Subscribe(serviceSel("a"), Backlog{})
	web := r.tree.Subscribe(tagSel("web"), Backlog{})
	other := r.tree.Subscribe(tagSel("other"), Backlog{})
	defer a.Close()
	defer web.Close()
	defer other.Close()
	warn := func(service, msg string) string {
		t.Helper()
		en := &logrus.Entry{Level: logrus.WarnLevel, Message: msg, Data: logrus.Fields{}}
		if service != "" {
			en.Data["service"] = service
		}
		if err := r.tree.hook.Fire(en); err != nil {
			t.Fatal(err)
		}
		return msg
	}
	message := func(f *Feed) string {
		t.Helper()
		e, err := messages.ParseEvent(collect(t, f, 1)[0])
		if err != nil || e.Kind != messages.EventCfkd {
			t.Fatalf("%+v, %v: want a record of cfkd's", e, err)
		}
		return e.Message
	}
	warn("", "a record that names no service")
	m := warn("a", "a crashed 2 times in a row; restarting in 1s")
	if got := message(a); got != m {
		t.Fatalf("service a's stream: %q, want %q", got, m)
	}
	if got := message(web); got != m {
		t.Fatalf("tag web's stream: %q, want %q", got, m)
	}
	m = warn("b", "b crashed 2 times in a row; restarting in 1s")
	if got := message(other); got != m {
		t.Fatalf("tag other's stream: %q, want %q", got, m)
	}
	quietFeed(t, a, "service a's stream")
	quietFeed(t, web, "tag web's stream")
	// retagged: as declared now
	r.ok("service a tags=other")
	m = warn("a", "a: something else")
	if got := message(other); got != m {
		t.Fatalf("tag other's stream after the retag: %q, want %q", got, m)
	}
	if got := message(a); got != m {
		t.Fatalf("service a's stream: %q, want %q", got, m)
	}
	quietFeed(t, web, "tag web's stream after the retag")
}
