//go:build browser

package browser

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The page keeps up with an update of its 1,000 rows at once (a "stop
// all"): it restarted each row's flash animation with a layout of the
// whole table, a thousand layouts of a thousand rows that held the page
// (its stream, its clicks) for tens of seconds.
func TestPageKeepsUpWithAStopOf1000Services(t *testing.T) {
	conf := sleepServices(1000)
	conf = append(conf, "command start all")
	ctx := browser(t)
	console := watchConsole(t, ctx)
	d := startCfkd(t, "", conf...)
	do(t, ctx, "load the page", chromedp.Navigate(d.url))
	const jsRunning = `document.querySelectorAll('tr.svc td.state[data-state="running"]').length`
	waitJS(t, ctx, "1000 running", jsRunning+` === 1000`)
	t0 := time.Now()
	if got := d.admin("command stop all"); len(got) != 1 || got[0] != "done 1000" {
		t.Fatalf("stop all: %q", got)
	}
	waitJS(t, ctx, "none running", jsRunning+` === 0 && document.querySelectorAll('tr.svc td.state[data-state="stopped"]').length === 1000`)
	// the page redraws the rows of each batch as it comes: at 1,000 it
	// takes under a second (on 2 busy cores); 10 s is its bound here
	if took := time.Since(t0); took > 10*time.Second {
		t.Errorf("the page showed the stop of 1000 services %v after it was done", took.Round(time.Millisecond))
	} else {
		t.Logf("the page showed the stop of 1000 services %v after it was done", took.Round(time.Millisecond))
	}
	if errs := console(); len(errs) > 0 {
		t.Errorf("the page's console: %q", errs)
	}
}
