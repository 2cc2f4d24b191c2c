package fleet

import (
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/fleet/wire"
)

// The new cfkd of a host's upgrade in place can say it is back (Back)
// before protoactor says the former cfkd's connection is lost: the hub's
// subscription then went over that connection, and was failed with it,
// its stream waiting for the retry (--fleet-timeout) and saying the host
// down for a connection lost, not for the upgrade. It subscribes again as
// soon as the loss is said, which it says as the upgrade (REFERENCE
// §12.3). The order is made here: the loss is put in the hub's mailbox
// once the Back's subscription came, the host serving all along.
func TestHubSubscribesAgainWhenTheFormerConnectionIsLostAfterBack(t *testing.T) {
	const timeout = 10 * time.Second // the retry: far after the deadline below
	tf := newTestFleetTimeout(t, timeout, "web1")
	feed := hubEvents(t, tf)
	waitSubscribed(t, tf.locals[0], 10*time.Second)
	tf.hosts[0].Leave(WhyHostUpgraded)
	root, hub := tf.hub.sys.Root, tf.hub.hub
	root.Send(hub, &wire.Back{Host: "web1"})
	// the Back's subscription, sent before the loss
	tf.locals[0].waitFeed(t, 2, timeout/2)
	root.Send(hub, endpointLost{addr: tf.hosts[0].Address(), at: time.Now()})
	// and the one made when the loss is said
	sub := tf.locals[0].waitFeed(t, 3, timeout/2)
	sub.Push([]byte(`{"kind":"state","service":"a","from":"running","to":"stopping"}`))
	var got []string
	readUntil(feed, &got, timeout/2, func(s string) bool { return strings.Contains(s, `"service":"a"`) })
	s := strings.Join(got, "\n")
	down := strings.Index(s, `"from":"up","to":"down","reason":"cfkd is being upgraded in place"`)
	up := strings.Index(s, `"from":"down","to":"up"`)
	if down < 0 || up < down || !strings.Contains(s[up:], `"service":"a"`) {
		t.Fatalf("the stream said:\n%s\nwant the host down (cfkd is being upgraded in place), up, then its event", s)
	}
}
