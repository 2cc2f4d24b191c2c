//go:build browser

package browser

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/chromedp/chromedp"
)

// nobody is the uid the browser runs as: not root, not cfkd's user, in
// no admin group, so cfkd's uid rule refuses its reads (REFERENCE §10.1).
const nobody = 65534

// A user whom the uid rule refuses (the browser runs as nobody, cfkd as
// root) loads the page: it shows why it may not read and a token field,
// and no service; with a read token it shows the services, a crash live,
// and a log that follows; the token is kept across a reload (the tab's
// sessionStorage), and asked for no more.
func TestPageWithAReadTokenForARefusedUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("runs the browser as another uid: needs root")
	}
	home, err := os.MkdirTemp("", "cfk-browser-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(home) })
	if err := os.Chmod(home, 0o755); err != nil {
		t.Fatal(err)
	}
	profile := filepath.Join(home, "profile")
	if err := os.Mkdir(profile, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(profile, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	ctx := browser(t, chromedp.UserDataDir(profile), chromedp.Env("HOME="+profile),
		chromedp.ModifyCmdFunc(func(cmd *exec.Cmd) {
			cmd.SysProcAttr = &syscall.SysProcAttr{
				Credential: &syscall.Credential{Uid: nobody, Gid: nobody},
				Pdeathsig:  syscall.SIGKILL,
			}
		}))

	read, operate := "read-"+random(), "operate-"+random()
	d := startCfkd(t, "read "+read+" monitoring\noperate "+operate+" deploy",
		"service svc-alpha cmd=i=0; while :; do echo line $i; i=$((i+1)); sleep 0.2; done",
		"service svc-alpha startwait_secs=0.3",
		"service svc-beta cmd=sleep 1000", "service svc-beta startwait_secs=0.3",
		"command start all")

	// without a token: why not, and a field; no data
	do(t, ctx, "load the page", chromedp.Navigate(d.url))
	waitJS(t, ctx, "the token field", `!document.getElementById('login').hidden && !document.getElementById('login-form').hidden`)
	msg := eval[string](t, ctx, `document.getElementById('login-msg').textContent`)
	if !strings.Contains(msg, "uid "+strconv.Itoa(nobody)) || !strings.Contains(msg, "Authorization: Bearer TOKEN") {
		t.Errorf("the page says %q: want the refusal of uid %d", msg, nobody)
	}
	if html := eval[string](t, ctx, `document.documentElement.outerHTML`); strings.Contains(html, "svc-") || strings.Contains(html, "sleep 1000") {
		t.Errorf("the page without a token shows data:\n%s", html)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('tr.svc').length`); n != 0 {
		t.Errorf("%d rows without a token", n)
	}

	screenshot(t, ctx, "token-asked")

	// a read token: the services, live
	do(t, ctx, "give the read token", chromedp.SendKeys(chromedp.ID("login-token"), read), chromedp.Click(chromedp.ID("login-save")))
	all := `document.querySelectorAll('tr.svc').length === 2 && ` +
		`[...document.querySelectorAll('tr.svc td.state')].every(td => td.dataset.state === 'running')`
	waitJS(t, ctx, "2 services running", all)
	if !eval[bool](t, ctx, `document.getElementById('login').hidden`) {
		t.Error("the token field still shows")
	}
	if n := eval[int](t, ctx, jsButtons); n != 0 {
		t.Errorf("%d buttons with a read token", n)
	}
	pid := eval[int](t, ctx, jsPid("svc-beta"))
	if pid == 0 {
		t.Fatal("no pid for svc-beta on the page")
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, "svc-beta restarted on its row", jsPid("svc-beta")+` !== `+strconv.Itoa(pid)+
		` && document.querySelector('tr[data-name="svc-beta"] td.state')?.dataset.state === 'running'`)
	if recent := eval[string](t, ctx, `document.getElementById('recent').innerText`); !strings.Contains(recent, "svc-beta running → fail (Received signal 9)") {
		t.Errorf("recent changes:\n%s", recent)
	}

	// the log panel follows
	do(t, ctx, "open svc-alpha", chromedp.Click(chromedp.CSS(`tr[data-name="svc-alpha"] td.name`)))
	jsLast := `(() => { const m = (document.querySelector('pre.log')?.textContent || '').match(/line (\d+)\n$/); return m ? +m[1] : -1; })()`
	waitJS(t, ctx, "svc-alpha's log lines", jsLast+` >= 0`)
	first := eval[int](t, ctx, jsLast)
	waitJS(t, ctx, "svc-alpha's log following", jsLast+` >= `+strconv.Itoa(first+3))
	screenshot(t, ctx, "read-token")

	// kept for the tab: a reload asks for nothing
	do(t, ctx, "reload", chromedp.Reload())
	waitJS(t, ctx, "2 services running after a reload", all+` && document.getElementById('login').hidden`)
}
