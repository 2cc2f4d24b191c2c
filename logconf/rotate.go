package logconf

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// maxSizeMBLimit bounds max_size_mb: 1 TiB.
const maxSizeMBLimit = 1 << 20

// backupTime is the time in a rotated file's name, NAME-TIME.EXT, in
// local time: lumberjack's format, so that the files it rotated before are
// counted among the backups.
const backupTime = "2006-01-02T15-04-05.000"

// rotator is a file rotated by size (REFERENCE §6.1): a write that would
// take it past max bytes renames it NAME-TIME.EXT and starts a new one,
// and at most backups rotated files are kept (0: all). A rotation never
// replaces a file: two in one millisecond name the second NAME-TIME-1.EXT
// (lumberjack, used before, renamed over the first and lost it). A record
// longer than max is written whole, into a file of its own. The size is
// the file's: one emptied under the rotator (copytruncate) fills again
// before it rotates. Close closes the file; the next write opens it again
// (logrotate moved it: a new one).
type rotator struct {
	path    string
	max     int64
	backups int

	mu   sync.Mutex
	f    *os.File
	size int64
	// the name of the last rotation: the next in the same millisecond
	// takes a counter past it, never a lower one prune may have freed
	// (it would sort as older and be pruned at once)
	lastStamp string
	lastK     int
}

// rotateNow is the clock of the rotated files' names (tests replace it).
var rotateNow = time.Now

func newRotator(path string, maxSizeMB, backups int) *rotator {
	return &rotator{path: path, max: int64(maxSizeMB) << 20, backups: backups}
}

func (r *rotator) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		if err := r.open(); err != nil {
			return 0, err
		}
	}
	if r.size > 0 && r.size+int64(len(p)) > r.max {
		// the file may have been emptied under its handle (logrotate's
		// copytruncate, `: > FILE`): its size, not what was written,
		// says whether it is full (one fstat, near the maximum only)
		if st, err := r.f.Stat(); err == nil {
			r.size = st.Size()
		}
	}
	if r.size > 0 && r.size+int64(len(p)) > r.max {
		if err := r.rotate(); err != nil {
			return 0, err
		}
	}
	n, err := r.f.Write(p)
	r.size += int64(n)
	return n, err
}

func (r *rotator) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return nil
	}
	err := r.f.Close()
	r.f = nil
	return err
}

// open opens the file for appending, creating it.
func (r *rotator) open() error {
	f, err := os.OpenFile(r.path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	r.f, r.size = f, st.Size()
	return nil
}

// rotate renames the file to a name no file has, opens a new one with the
// old one's mode, and removes the rotated files past backups.
func (r *rotator) rotate() error {
	mode := os.FileMode(0o600)
	if st, err := r.f.Stat(); err == nil {
		mode = st.Mode().Perm()
	}
	if err := r.f.Close(); err != nil {
		r.f = nil
		return err
	}
	r.f = nil
	dir, base := filepath.Split(r.path)
	ext := filepath.Ext(base)
	prefix := strings.TrimSuffix(base, ext) + "-"
	stamp, k := rotateNow().Format(backupTime), 0
	if stamp == r.lastStamp {
		k = r.lastK + 1
	}
	for ; ; k++ {
		name := prefix + stamp + ext
		if k > 0 {
			name = prefix + stamp + "-" + strconv.Itoa(k) + ext
		}
		if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
			continue
		} else if !os.IsNotExist(err) {
			return fmt.Errorf("rotate %s: %w", r.path, err)
		}
		if err := os.Rename(r.path, filepath.Join(dir, name)); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("rotate %s: %w", r.path, err)
		}
		r.lastStamp, r.lastK = stamp, k
		break
	}
	f, err := os.OpenFile(r.path, os.O_APPEND|os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	r.f, r.size = f, 0
	if r.backups > 0 {
		r.prune(dir, prefix, ext)
	}
	return nil
}

// prune removes the oldest rotated files past backups: by the time of
// their last write, then by the time in their names, then their counter.
// The names alone do not order them: their time is local, and when
// daylight saving time ends the clock goes through an hour again, so a
// file rotated in that second hour was named as older than those rotated
// in the first, and pruned at once (the newest one lost, an hour's worth
// of older ones kept). A file's last write precedes its rotation, which
// precedes every write to the next one.
func (r *rotator) prune(dir, prefix, ext string) {
	ents, err := os.ReadDir(filepath.Join(dir, "."))
	if err != nil {
		return
	}
	type backup struct {
		name     string
		modified time.Time
		at       time.Time
		k        int
	}
	var found []backup
	for _, e := range ents {
		n := e.Name()
		if !e.Type().IsRegular() || !strings.HasPrefix(n, prefix) || !strings.HasSuffix(n, ext) {
			continue
		}
		mid := strings.TrimSuffix(strings.TrimPrefix(n, prefix), ext)
		if len(mid) < len(backupTime) {
			continue
		}
		at, err := time.ParseInLocation(backupTime, mid[:len(backupTime)], time.Local)
		if err != nil {
			continue
		}
		k := 0
		if rest := mid[len(backupTime):]; rest != "" {
			if k, err = strconv.Atoi(strings.TrimPrefix(rest, "-")); err != nil || !strings.HasPrefix(rest, "-") || k < 1 {
				continue
			}
		}
		info, err := e.Info()
		if err != nil {
			continue // gone meanwhile
		}
		found = append(found, backup{name: n, modified: info.ModTime(), at: at, k: k})
	}
	sort.Slice(found, func(i, j int) bool {
		if !found[i].modified.Equal(found[j].modified) {
			return found[i].modified.After(found[j].modified)
		}
		if !found[i].at.Equal(found[j].at) {
			return found[i].at.After(found[j].at)
		}
		return found[i].k > found[j].k
	})
	for _, b := range found[min(r.backups, len(found)):] {
		os.Remove(filepath.Join(dir, b.name))
	}
}
