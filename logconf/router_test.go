package logconf

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
)

// syncBuffer is a bytes.Buffer safe for concurrent use; String first runs
// before (the router's Sync: records are written by flushers).
type syncBuffer struct {
	mu     sync.Mutex
	b      bytes.Buffer
	before func()
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	if s.before != nil {
		s.before()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type fixture struct {
	home     string
	log, svc *logrus.Logger
	r        *Router
	report   *syncBuffer // what the router reports on stderr
	stdout   *syncBuffer
	stderr   *syncBuffer
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{
		home: t.TempDir(), log: logrus.New(), svc: logrus.New(),
		report: &syncBuffer{}, stdout: &syncBuffer{}, stderr: &syncBuffer{},
	}
	f.r = NewRouter(f.home, f.log, f.svc)
	f.r.report, f.r.stdout.w, f.r.stderr.w = f.report, f.stdout, f.stderr
	f.report.before, f.stdout.before, f.stderr.before = f.r.Sync, f.r.Sync, f.r.Sync
	t.Cleanup(func() { f.r.Close() })
	return f
}

func (f *fixture) apply(t *testing.T, text string) {
	t.Helper()
	cfg, err := Parse("log.config", strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.r.Apply(cfg); err != nil {
		t.Fatal(err)
	}
}

// writeConfig writes text as the home's log.config and returns its path.
func (f *fixture) writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(f.home, "log.config")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// line logs one line of a service's output the way the service actor does.
func (f *fixture) line(name, stream string, pid int, msg string) {
	lvl := logrus.InfoLevel
	if stream == "err" {
		lvl = logrus.ErrorLevel
	}
	f.svc.WithFields(logrus.Fields{"category": "service." + name + "." + stream, "service": name}).
		WithField("pid", pid).Log(lvl, msg)
}

func (f *fixture) read(t *testing.T, name string) string {
	t.Helper()
	f.r.Sync()
	b, err := os.ReadFile(filepath.Join(f.home, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// entryPairs reads name (Sync first; failing if it cannot) and checks
// that its lines come in equal pairs, an entry's record then the one
// what wrote for it; it returns the lines.
func entryPairs(t *testing.T, f *fixture, name, what string) []string {
	t.Helper()
	text := f.read(t, name)
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines)%2 != 0 {
		t.Fatalf("%s: odd number of lines:\n%s", name, text)
	}
	for i := 0; i < len(lines); i += 2 {
		if lines[i] != lines[i+1] {
			t.Errorf("%s: entry and %s differ:\n%s\n%s", name, what, lines[i], lines[i+1])
		}
	}
	return lines
}

func wantFile(t *testing.T, f *fixture, name string, lines ...string) {
	t.Helper()
	want := ""
	for _, l := range lines {
		want += ts + " " + l + "\n"
	}
	if got := f.read(t, name); got != want {
		t.Errorf("%s:\n got %q\nwant %q", name, got, want)
	}
}

func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(ents)
}

func TestRouting(t *testing.T) {
	fixedClock(t)
	f := newFixture(t)
	f.apply(t, `
cfkd = file:cfkd.log
services = file:services.log
service.web1 = file:web1.log
service.web2.err = file:web2.err.log
`)
	f.log.WithField("service", "web1").Info("starting web1")
	f.line("web1", "out", 11, "w1 out")
	f.line("web1", "err", 11, "w1 err")
	f.line("web2", "out", 12, "w2 out")
	f.line("web2", "err", 12, "w2 err")
	f.line("web3", "out", 13, "w3 out")
	f.log.WithFields(logrus.Fields{"service": "web3", "pid": 13}).Error("child web3 terminated abnormally")

	wantFile(t, f, "cfkd.log",
		"- INFO cfkd - starting web1 service=web1",
		"13 ERROR cfkd - child web3 terminated abnormally service=web3")
	wantFile(t, f, "services.log",
		"12 INFO service.web2.out - w2 out",
		"13 INFO service.web3.out - w3 out")
	wantFile(t, f, "web1.log",
		"11 INFO service.web1.out - w1 out",
		"11 ERROR service.web1.err - w1 err")
	wantFile(t, f, "web2.err.log", "12 ERROR service.web2.err - w2 err")
	if f.report.String() != "" || f.stderr.String() != "" {
		t.Errorf("unexpected stderr: %q %q", f.report, f.stderr)
	}
}

func TestStreamOverridesServiceAndNoneDrops(t *testing.T) {
	fixedClock(t)
	f := newFixture(t)
	f.apply(t, `
cfkd = none
service.db = file:db.log
service.db.out = none
service.db.err = stderr
`)
	f.log.Info("dropped")
	f.line("db", "out", 5, "dropped too")
	f.line("db", "err", 5, "to stderr")
	f.line("other", "out", 6, "dropped: services follow cfkd")
	if got, want := f.stderr.String(), ts+" 5 ERROR service.db.err - to stderr\n"; got != want {
		t.Errorf("stderr = %q, want %q", got, want)
	}
	wantFile(t, f, "db.log")
}

func TestSharedFileIsOpenedOnce(t *testing.T) {
	fixedClock(t)
	f := newFixture(t)
	f.apply(t, "cfkd = file:all.log\nservices = file:./all.log\nservice.a = file:"+filepath.Join(f.home, "all.log"))
	if n := len(f.r.cur.Load().sinks); n != 1 {
		t.Errorf("%d destinations open, want 1", n)
	}
	f.log.Info("one")
	f.line("a", "out", 1, "two")
	f.line("b", "err", 2, "three")
	wantFile(t, f, "all.log",
		"- INFO cfkd - one",
		"1 INFO service.a.out - two",
		"2 ERROR service.b.err - three")
}

func TestOneLoggerForBoth(t *testing.T) {
	fixedClock(t)
	home := t.TempDir()
	l := logrus.New()
	r := NewRouter(home, l, l)
	defer r.Close()
	cfg, _ := Parse("x", strings.NewReader("cfkd = file:cfkd.log\nservices = file:svc.log"))
	if err := r.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	l.WithFields(logrus.Fields{"service": "s", "pid": 3}).Info("child s exited")
	l.WithFields(logrus.Fields{"category": "service.s.out", "service": "s", "pid": 3}).Info("hello")
	r.Sync()
	b1, _ := os.ReadFile(filepath.Join(home, "cfkd.log"))
	b2, _ := os.ReadFile(filepath.Join(home, "svc.log"))
	if want := ts + " 3 INFO cfkd - child s exited service=s\n"; string(b1) != want {
		t.Errorf("cfkd.log = %q, want %q", b1, want)
	}
	if want := ts + " 3 INFO service.s.out - hello\n"; string(b2) != want {
		t.Errorf("svc.log = %q, want %q", b2, want)
	}
}

func TestLevelAndJSON(t *testing.T) {
	fixedClock(t)
	f := newFixture(t)
	f.apply(t, "level = warn\nformat = json\ncfkd = stdout\nservices = stdout")
	if f.log.GetLevel() != logrus.WarnLevel || f.svc.GetLevel() != logrus.WarnLevel {
		t.Errorf("levels = %v, %v", f.log.GetLevel(), f.svc.GetLevel())
	}
	f.log.Info("dropped")
	f.line("w", "out", 1, "dropped")
	f.log.WithField("n", 2).Warn("kept")
	f.line("w", "err", 1, "kept")
	want := `{"time":"` + ts + `","level":"warn","category":"cfkd","pid":null,"msg":"kept","n":2}` + "\n" +
		`{"time":"` + ts + `","level":"error","category":"service.w.err","pid":1,"msg":"kept","service":"w"}` + "\n"
	if got := f.stdout.String(); got != want {
		t.Errorf("stdout:\n got %s\nwant %s", got, want)
	}
}

func TestBeforeApplyEverythingGoesToStderr(t *testing.T) {
	fixedClock(t)
	f := newFixture(t)
	f.log.Info("early")
	f.line("w", "out", 1, "early line")
	want := ts + " - INFO cfkd - early\n" + ts + " 1 INFO service.w.out - early line\n"
	if got := f.stderr.String(); got != want {
		t.Errorf("stderr = %q, want %q", got, want)
	}
}

func TestApplyUnopenableKeepsOld(t *testing.T) {
	fixedClock(t)
	f := newFixture(t)
	f.apply(t, "cfkd = file:cfkd.log")
	if err := os.WriteFile(filepath.Join(f.home, "notadir"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	fds := openFDs(t)
	cfg, err := Parse("log.config", strings.NewReader("cfkd = file:new.log\nservices = file:notadir/x.log"))
	if err != nil {
		t.Fatal(err)
	}
	err = f.r.Apply(cfg)
	want := "log destination file:notadir/x.log: open " + filepath.Join(f.home, "notadir/x.log") + ": not a directory"
	if err == nil || err.Error() != want {
		t.Fatalf("Apply = %v, want %s", err, want)
	}
	if n := openFDs(t); n != fds {
		t.Errorf("%d fds open after a failed Apply, %d before: new.log leaked", n, fds)
	}
	f.log.Info("still here")
	f.line("w", "out", 1, "me too")
	wantFile(t, f, "cfkd.log", "- INFO cfkd - still here", "1 INFO service.w.out - me too")
	wantFile(t, f, "new.log")
}

func TestApplyClosesFilesNoLongerUsed(t *testing.T) {
	fixedClock(t)
	f := newFixture(t)
	f.apply(t, "cfkd = file:a.log")
	fds := openFDs(t)
	f.apply(t, "cfkd = file:b.log")
	if n := openFDs(t); n != fds {
		t.Errorf("%d fds open after switching files, %d before", n, fds)
	}
	f.apply(t, "cfkd = stderr")
	if n := openFDs(t); n != fds-1 {
		t.Errorf("%d fds open after dropping the file, want %d", n, fds-1)
	}
	f.log.Info("x")
	wantFile(t, f, "a.log")
	wantFile(t, f, "b.log")
}

func TestReloadErrorsKeepOld(t *testing.T) {
	fixedClock(t)
	f := newFixture(t)
	path := f.writeConfig(t, "cfkd = file:cfkd.log\n")
	if err := f.r.Reload(path); err != nil {
		t.Fatal(err)
	}
	f.writeConfig(t, "cfkd = file:other.log\nlevel = loud\n")
	err := f.r.Reload(path)
	var pe *ParseError
	if !errors.As(err, &pe) || err.Error() != path+`:2: unknown level "loud"` {
		t.Errorf("Reload = %v", err)
	}
	if err := f.r.Reload(filepath.Join(f.home, "missing")); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Reload of a missing file = %v", err)
	}
	f.log.Info("kept")
	wantFile(t, f, "cfkd.log", "- INFO cfkd - kept")
	if _, err := os.Stat(filepath.Join(f.home, "other.log")); err == nil {
		t.Error("other.log was created by a refused config")
	}
}

// TestReloadAfterMove is logrotate's scenario: mv file file.1, then SIGUSR1.
func TestReloadAfterMove(t *testing.T) {
	fixedClock(t)
	f := newFixture(t)
	path := f.writeConfig(t, "cfkd = file:cfkd.log\n")
	if err := f.r.Reload(path); err != nil {
		t.Fatal(err)
	}
	f.log.Info("before move")
	if err := os.Rename(filepath.Join(f.home, "cfkd.log"), filepath.Join(f.home, "cfkd.log.1")); err != nil {
		t.Fatal(err)
	}
	f.log.Info("after move, before reload")
	if err := f.r.Reload(path); err != nil {
		t.Fatal(err)
	}
	f.log.Info("after reload")
	wantFile(t, f, "cfkd.log.1", "- INFO cfkd - before move", "- INFO cfkd - after move, before reload")
	wantFile(t, f, "cfkd.log", "- INFO cfkd - after reload")
	if fi, _ := os.Stat(filepath.Join(f.home, "cfkd.log")); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", fi.Mode().Perm())
	}
}

func backups(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "cfkd-*.log"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestRotationBySize(t *testing.T) {
	f := newFixture(t)
	path := f.writeConfig(t, "cfkd = file:cfkd.log\nmax_size_mb = 1\nmax_backups = 2\n")
	if err := f.r.Reload(path); err != nil {
		t.Fatal(err)
	}
	msg := strings.Repeat("x", 1000)
	logMiB := func(n float64) {
		for i := 0; i < int(n*1024*1024/1000); i++ {
			f.log.Info(msg)
		}
		f.r.Sync() // logging does not wait for the file
	}
	logMiB(1.5)
	if n := len(backups(t, f.home)); n != 1 {
		t.Fatalf("%d backups after 1.5 MiB, want 1", n)
	}
	// A reload keeps rotating (same rotator, re-opened).
	if err := f.r.Reload(path); err != nil {
		t.Fatal(err)
	}
	logMiB(2.5)
	deadline := time.Now().Add(5 * time.Second)
	for len(backups(t, f.home)) != 2 { // removed at the rotation
		if time.Now().After(deadline) {
			t.Fatalf("backups = %v, want 2 of them", backups(t, f.home))
		}
		time.Sleep(10 * time.Millisecond)
	}
	fi, err := os.Stat(filepath.Join(f.home, "cfkd.log"))
	if err != nil || fi.Size() > 1024*1024 || fi.Size() == 0 {
		t.Errorf("cfkd.log: %v, %v", fi, err)
	}
	if f.report.String() != "" {
		t.Errorf("reported: %.300q", f.report.String())
	}
}

func TestUnwritableDestinationIsReportedOnce(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	fixedClock(t)
	f := newFixture(t)
	f.apply(t, "cfkd = file:/dev/full\nservices = file:svc.log")
	for i := 0; i < 50; i++ {
		f.log.Info("lost")
		f.line("w", "out", 1, "kept")
	}
	rep := f.report.String()
	want := "cfkd: log destination file:/dev/full: write /dev/full: no space left on device (records are lost; further errors counted, not reported)\n"
	if rep != want {
		t.Errorf("report = %q, want %q", rep, want)
	}
	if got := f.r.WriteErrors(); len(got) != 1 || got["file:/dev/full"] != 50 {
		t.Errorf("WriteErrors = %v", got)
	}
	if n := strings.Count(f.read(t, "svc.log"), "\n"); n != 50 {
		t.Errorf("svc.log has %d lines, want 50", n)
	}
	f.apply(t, "cfkd = file:cfkd.log")
	f.log.Info("back")
	wantFile(t, f, "cfkd.log", "- INFO cfkd - back")
}

// flaky fails while fail is set.
type flaky struct{ fail bool }

func (w *flaky) Write(p []byte) (int, error) {
	if w.fail {
		return 0, errors.New("disk on fire")
	}
	return len(p), nil
}

// A failure streak is said on stderr at most once per failNoteEvery, as
// among cfkd's events (a flapping destination said each turn on stderr,
// the journal under systemd): the streaks kept back meanwhile are
// counted in the next one said (REFERENCE §6.2).
func TestSinkReportsFailureStreaksOnce(t *testing.T) {
	defer func(old time.Duration) { failNoteEvery = old }(failNoteEvery)
	failNoteEvery = time.Hour
	w := &flaky{fail: true}
	s := &sink{name: "file:/x", w: w, tally: new(tally)}
	var rep bytes.Buffer
	put := func(rec string) { s.queue([]byte(rec), &rep); s.sync() } // one write each
	for i := 0; i < 3; i++ {
		put("a\n")
	}
	w.fail = false
	put("a\n")
	put("a\n")
	for i := 0; i < 10; i++ { // 10 more streaks within the period: kept back
		w.fail = true
		put("a\n")
		w.fail = false
		put("a\n")
	}
	failNoteEvery = 0
	w.fail = true
	put("a\n")
	want := "cfkd: log destination file:/x: disk on fire (records are lost; further errors counted, not reported)\n" +
		"cfkd: log destination file:/x: writable again (3 records lost so far)\n" +
		"cfkd: log destination file:/x: disk on fire (records are lost; further errors counted, not reported; 10 earlier failures not reported)\n"
	if rep.String() != want {
		t.Errorf("report:\n%s\nwant:\n%s", rep.String(), want)
	}
	if s.errs.Load() != 14 {
		t.Errorf("errs = %d, want 14", s.errs.Load())
	}
}

// blocking blocks every write until release is closed.
type blocking struct {
	started chan struct{}
	release chan struct{}
	once    sync.Once
}

func (w *blocking) Write(p []byte) (int, error) {
	w.once.Do(func() { close(w.started) })
	<-w.release
	return len(p), nil
}

func TestStalledStdoutDoesNotStallApply(t *testing.T) {
	f := newFixture(t)
	w := &blocking{started: make(chan struct{}), release: make(chan struct{})}
	f.r.stdout.w = w
	f.apply(t, "cfkd = stdout\nservices = file:svc.log")
	done := make(chan struct{})
	go func() {
		f.log.Info("stuck")
		close(done)
	}()
	<-w.started
	applied := make(chan error)
	go func() {
		cfg, _ := Parse("x", strings.NewReader("cfkd = file:cfkd.log\nservices = file:svc2.log"))
		applied <- f.r.Apply(cfg)
	}()
	select {
	case err := <-applied:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Apply blocked behind a stalled stdout write")
	}
	f.line("w", "out", 1, "flows")
	if !strings.Contains(f.read(t, "svc2.log"), "flows") {
		t.Error("service line not written while stdout is stalled")
	}
	close(w.release)
	<-done
}

func TestConcurrentLoggingDuringReload(t *testing.T) {
	f := newFixture(t)
	path := f.writeConfig(t, "cfkd = file:cfkd.log\nservices = file:cfkd.log\nservice.w0 = file:w0.log\n")
	if err := f.r.Reload(path); err != nil {
		t.Fatal(err)
	}
	// Writers log until the reloader has moved the file away and reloaded
	// 30 times (logrotate in a loop), each writer at least 50 times.
	const writers, reloads, minPerWriter = 8, 30, 50
	var wg sync.WaitGroup
	stop := make(chan struct{})
	written := make([]int, writers)
	for i := 0; i < writers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; ; j++ {
				if j >= minPerWriter {
					select {
					case <-stop:
						written[i] = 2 * j
						return
					default:
					}
				}
				f.log.WithField("n", j).Info("event")
				f.line(fmt.Sprintf("w%d", i), "out", i, "line")
			}
		}(i)
	}
	for n := 1; n <= reloads; n++ {
		cur := filepath.Join(f.home, "cfkd.log")
		if err := os.Rename(cur, fmt.Sprintf("%s.%d", cur, n)); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Error(err)
		}
		if err := f.r.Reload(path); err != nil {
			t.Error(err)
		}
	}
	close(stop)
	wg.Wait()
	want := 0
	for _, n := range written {
		want += n
	}
	f.r.Sync()
	all, _ := filepath.Glob(filepath.Join(f.home, "*.log*"))
	// nothing waits: a writer faster than the disk has records dropped,
	// but never silently (REFERENCE §6.2)
	lines, dropped := 0, 0
	note := regexp.MustCompile(` - WARN cfkd - (\d+) lines dropped destination=\S+$`)
	for _, p := range all {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
			if l == "" {
				continue
			}
			if m := note.FindStringSubmatch(l); m != nil {
				n, _ := strconv.Atoi(m[1])
				dropped += n
				continue
			}
			lines++
			if !strings.HasSuffix(l, " - line") && !strings.Contains(l, " INFO cfkd - event n=") {
				t.Fatalf("%s: mangled line %q", p, l)
			}
		}
	}
	if lines+dropped != want {
		t.Errorf("%d lines (and %d dropped) over %d files after %d reloads, want %d", lines, dropped, len(all), reloads, want)
	}
	if dropped > 0 {
		t.Logf("%d of %d records dropped", dropped, want)
	}
	if f.report.String() != "" {
		t.Errorf("reported: %.300q", f.report.String())
	}
}

func TestClose(t *testing.T) {
	f := newFixture(t)
	f.apply(t, "cfkd = file:cfkd.log")
	fds := openFDs(t)
	if err := f.r.Close(); err != nil {
		t.Fatal(err)
	}
	if n := openFDs(t); n != fds-1 {
		t.Errorf("%d fds after Close, want %d", n, fds-1)
	}
	f.log.Info("dropped")
	f.line("w", "err", 1, "dropped")
	if f.read(t, "cfkd.log") != "" || f.stderr.String() != "" {
		t.Error("something was written after Close")
	}
	if err := f.r.Apply(Default()); !errors.Is(err, ErrClosed) {
		t.Errorf("Apply after Close = %v", err)
	}
	if err := f.r.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
}

// The report of a recovery counts the records lost, as cfkd's event
// does (REFERENCE §6.2): one failed write of a batch of three records
// lost three, not one "failed write".
func TestSinkReportsTheRecordsLost(t *testing.T) {
	w := &flaky{fail: true}
	s := &sink{name: "file:/x", w: w, tally: new(tally)}
	var rep bytes.Buffer
	s.queue([]byte("a\nb\nc\n"), &rep) // one batch, one write
	s.sync()
	w.fail = false
	s.queue([]byte("d\n"), &rep)
	s.sync()
	if want := "cfkd: log destination file:/x: writable again (3 records lost so far)\n"; !strings.HasSuffix(rep.String(), want) {
		t.Errorf("report:\n%s\nwant it to end with:\n%s", rep.String(), want)
	}
}
