//go:build browser

package browser

import (
	"encoding/json"
	"fmt"
	"sync"
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

// The page keeps up with a burst of restarts of its 1,000 services, three
// selectors at once, five times: thousands of small updates, each of
// which laid the whole table out again to restart its rows' flash, so the
// page showed stale rows (starting, old pids) for minutes after cfkd was
// done, its clicks unanswered. It shows what cfkd says within seconds.
func TestPageKeepsUpWithABurstOfRestarts(t *testing.T) {
	conf := sleepServices(1000)
	for i := range 1000 {
		conf = append(conf, fmt.Sprintf("service s%04d tags=t%d", i, i%3))
	}
	conf = append(conf, "command start all")
	ctx := browser(t)
	console := watchConsole(t, ctx)
	d := startCfkd(t, "", conf...)
	do(t, ctx, "load the page", chromedp.Navigate(d.url))
	const jsRunning = `document.querySelectorAll('tr.svc td.state[data-state="running"]').length`
	waitJS(t, ctx, "1000 running", jsRunning+` === 1000`)
	for range 5 {
		var wg sync.WaitGroup
		for k := range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				d.admin(fmt.Sprintf("command restart tag t%d", k))
			}()
		}
		wg.Wait()
	}
	// wait for cfkd to be done: every service running, its pid the one
	// the API gives
	var pids map[string]int
	for end := time.Now().Add(deadline); pids == nil; time.Sleep(50 * time.Millisecond) {
		pids = map[string]int{}
		for _, s := range d.services() {
			if s.State != "running" {
				if time.Now().After(end) {
					t.Fatalf("%s is %s %v after its restart", s.Name, s.State, deadline)
				}
				pids = nil
				break
			}
			pids[s.Name] = s.Pid
		}
	}
	t0 := time.Now()
	want, _ := json.Marshal(pids)
	waitJS(t, ctx, "the page shows every new pid", `(() => {
		const want = `+string(want)+`;
		const rows = document.querySelectorAll('tr.svc');
		return rows.length === 1000 && [...rows].every((r) =>
			r.querySelector('td.state').dataset.state === 'running' &&
			+r.querySelector('td.pid').textContent === want[r.dataset.name]);
	})()`)
	t.Logf("the page showed the restarts of 1000 services %v after they were done", time.Since(t0).Round(time.Millisecond))
	if errs := console(); len(errs) > 0 {
		t.Errorf("the page's console: %q", errs)
	}
}
