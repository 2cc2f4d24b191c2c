//go:build browser

package browser

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// watchConsole records, from now on, what the page's console shows as an
// error or a warning (a resource that failed to load among them) and its
// uncaught exceptions; the function returned reads them.
func watchConsole(t *testing.T, ctx context.Context) func() []string {
	t.Helper()
	var mu sync.Mutex
	var seen []string
	err := chromedp.Listen(ctx, func(ev any) {
		var line string
		switch e := ev.(type) {
		case *cdplog.EventEntryAdded:
			if e.Entry.Level == cdplog.EntryLevelError || e.Entry.Level == cdplog.EntryLevelWarning {
				line = fmt.Sprintf("%s: %s (%s)", e.Entry.Level, e.Entry.Text, e.Entry.URL)
			}
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeWarning {
				var args []string
				for _, a := range e.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				line = fmt.Sprintf("console.%s: %s", e.Type, strings.Join(args, " "))
			}
		case *runtime.EventExceptionThrown:
			line = "exception: " + e.ExceptionDetails.Text
			if x := e.ExceptionDetails.Exception; x != nil {
				line += " " + x.Description
			}
		}
		if line != "" {
			mu.Lock()
			seen = append(seen, line)
			mu.Unlock()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
}

// The page loads, shows its services live and opens a row with nothing
// on the console: it once asked for /favicon.ico, a 404 that Chromium
// logs as an error on every load.
func TestPageShowsNoConsoleErrors(t *testing.T) {
	ctx := browser(t)
	console := watchConsole(t, ctx)
	d := startCfkd(t, "", three...)
	do(t, ctx, "load the page", chromedp.Navigate(d.url))
	waitJS(t, ctx, "3 services running", jsAllRunning)
	do(t, ctx, "open a row", chromedp.Click(`tr[data-name="a"]`))
	d.admin("command restart service a")
	d.admin("command stop service c")
	waitJS(t, ctx, "c stopped", `document.querySelector('tr[data-name="c"] td.state')?.dataset.state === 'stopped'`)
	// a round trip to the page: the events of the load have come by then
	eval[int](t, ctx, `1`)
	if errs := console(); len(errs) > 0 {
		t.Errorf("the page's console:\n%s", strings.Join(errs, "\n"))
	}
}
