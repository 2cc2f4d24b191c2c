package logconf

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/sirupsen/logrus"
)

// A rotation that could not rename its file (a directory cfkd may not
// change, a file marked append-only) failed every write that would cross
// max_size_mb, and lost its records, while smaller ones went through:
// the file stayed just under its maximum, and stderr said "fails" and
// "writable again" by turns. The file is written on past its maximum
// (nothing is lost), that is said once on stderr and among cfkd's
// events, and the rotation is tried again at the next reload (or once
// the file grew by max_size_mb more), its success said too (REFERENCE
// §6.1). The same for a rotation that cannot create the new file.
func TestRotationThatCannotRenameWritesOn(t *testing.T) {
	for _, c := range []struct {
		step string
		own  bool // the file is cfkd's own destination too
	}{{"rename", false}, {"create", false}, {"rename", true}} {
		step, cfkd := c.step, "cfkd.log"
		if c.own {
			cfkd = "svc.log"
		}
		t.Run(fmt.Sprintf("%s/%s", step, cfkd), func(t *testing.T) {
			defer func(r func(string, string) error, c func(string, os.FileMode) (*os.File, error)) {
				rename, createNew = r, c
			}(rename, createNew)
			realRename, realCreate := rename, createNew
			var fail atomic.Bool
			fail.Store(true)
			rename = func(a, b string) error {
				if fail.Load() && step == "rename" {
					return &os.LinkError{Op: "rename", Old: a, New: b, Err: syscall.EPERM}
				}
				return realRename(a, b)
			}
			createNew = func(path string, mode os.FileMode) (*os.File, error) {
				if fail.Load() && step == "create" {
					return nil, &os.PathError{Op: "open", Path: path, Err: syscall.EACCES}
				}
				return realCreate(path, mode)
			}
			f := newFixture(t)
			events := make(chan *logrus.Entry, 16)
			f.r.OnDropNote(func(e *logrus.Entry) {
				select {
				case events <- e:
				default:
				}
			})
			conf := "cfkd = file:" + cfkd + "\nservices = file:svc.log\nmax_size_mb = 1\n"
			f.apply(t, conf)
			pad := strings.Repeat("x", 500)
			const n = 3000 // 1.5 MiB
			for i := 0; i < n; i++ {
				f.line("web", "out", 42, fmt.Sprintf("%d %s", i, pad))
				if i%100 == 0 {
					f.r.Sync() // several batches, several writes past the maximum
				}
			}
			f.r.Sync()
			svc := filepath.Join(f.home, "svc.log")
			got := f.read(t, "svc.log")
			lost := uint64(0)
			for _, e := range f.r.WriteErrors() {
				lost += e
			}
			if c := strings.Count(got, "service.web.out"); c != n || lost != 0 {
				t.Fatalf("svc.log holds %d records, want %d; write errors %d; stderr %q", c, n, lost, f.report.String())
			}
			if ents, _ := os.ReadDir(f.home); len(ents) != map[bool]int{false: 2, true: 1}[c.own] {
				t.Fatalf("files in the home %v, want svc.log and %s alone", ents, cfkd)
			}
			what := map[string]string{"rename": "rename: operation not permitted", "create": "create: permission denied"}[step]
			said := fmt.Sprintf("rotation of %s failed: %s: writing on past max_size_mb", svc, what)
			rep := f.report.String()
			if strings.Count(rep, "cfkd: log destination file:"+svc+": "+said+"\n") != 1 || strings.Count(rep, "cfkd:") != 1 {
				t.Fatalf("stderr %q, want once %q", rep, said)
			}
			if log := f.read(t, cfkd); strings.Count(log, "WARN cfkd - "+said+" destination=file:"+svc) != 1 {
				t.Fatalf("cfkd.log %q, want once %q", log, said)
			}
			select {
			case e := <-events:
				if e.Level != logrus.WarnLevel || e.Message != said {
					t.Fatalf("event %v %q, want WARN %q", e.Level, e.Message, said)
				}
			default:
				t.Fatal("no event of the failed rotation")
			}

			// it works again: the next reload tries it at the next write
			fail.Store(false)
			f.apply(t, conf)
			f.line("web", "out", 42, "after")
			f.r.Sync()
			if got := f.read(t, "svc.log"); !strings.Contains(got, " after\n") || strings.Count(got, "service.web.out") != 1 {
				t.Fatalf("svc.log after the reload %q, want the one record after it", got)
			}
			again := fmt.Sprintf("rotation of %s works again", svc)
			if log := f.read(t, cfkd); !strings.Contains(log, "INFO cfkd - "+again+" destination=file:"+svc) {
				t.Fatalf("cfkd.log %q, want %q", log, again)
			}
			if rep := f.report.String(); !strings.HasSuffix(rep, "cfkd: log destination file:"+svc+": "+again+"\n") {
				t.Fatalf("stderr %q, want %q", rep, again)
			}
		})
	}
}

// Without a reload, a rotation that failed is tried again once the file
// grew by max_size_mb more: not at every write past the maximum.
func TestRotationRetriedAfterAnotherMaximum(t *testing.T) {
	defer func(r func(string, string) error) { rename = r }(rename)
	realRename := rename
	var fail atomic.Bool
	fail.Store(true)
	var tries atomic.Int64
	rename = func(a, b string) error {
		tries.Add(1)
		if fail.Load() {
			return &os.LinkError{Op: "rename", Old: a, New: b, Err: syscall.EPERM}
		}
		return realRename(a, b)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "svc.log")
	r := newRotator(path, 1, 0)
	defer r.Close()
	rec := strings.Repeat("x", 300<<10) + "\n"
	count := func() int {
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		return len(ents)
	}
	for i := 0; i < 6; i++ { // 1.8 MiB: the rotation fails at the 4th (at 0.9 MiB), and is tried again at the 7th (past 1.9 MiB)
		if _, err := r.Write([]byte(rec)); err != nil {
			t.Fatal(err)
		}
	}
	if n := tries.Load(); n != 1 || count() != 1 {
		t.Fatalf("%d renames tried, %d files, want 1 and 1", n, count())
	}
	fail.Store(false)
	if _, err := r.Write([]byte(rec)); err != nil {
		t.Fatal(err)
	}
	if n := tries.Load(); n != 2 || count() != 2 {
		t.Fatalf("%d renames tried, %d files, want 2 and 2", n, count())
	}
	if msg, warn := r.takeNote(); warn || !strings.Contains(msg, "works again") {
		t.Fatalf("note %q (warn %v), want that it works again", msg, warn)
	}
}
