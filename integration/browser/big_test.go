//go:build browser

package browser

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The page holds 9,000 services: they load from one snapshot, a filter
// narrows them, and a start among them shows live.
func TestPageAt9000Services(t *testing.T) {
	conf := sleepServices(9000)
	conf = append(conf, "service s4242 startwait_secs=0.2")
	ctx := browser(t)
	d := startCfkd(t, "", conf...)
	t0 := time.Now()
	do(t, ctx, "load the page", chromedp.Navigate(d.url))
	waitJS(t, ctx, "9000 rows", `document.querySelectorAll('tr.svc').length === 9000`)
	t.Logf("9000 rows shown %v after the page was asked for", time.Since(t0).Round(time.Millisecond))
	do(t, ctx, "filter", chromedp.SendKeys(chromedp.ID("filter"), "s42"))
	waitJS(t, ctx, "100 rows shown", `document.getElementById('shown').textContent === '100 of 9000 services'`)
	if code := d.post("/api/services/s4242/start", ""); code != 403 {
		t.Errorf("POST without a token: %d", code)
	}
	// started from the admin socket: the page sees it
	d.admin("command start service s4242")
	waitJS(t, ctx, "s4242 running", `document.querySelector('tr[data-name="s4242"] td.state')?.dataset.state === 'running'`)
	screenshot(t, ctx, "9000")
}
