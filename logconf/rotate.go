package logconf

import (
	"errors"
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
// (logrotate moved it: a new one). A write that would pass max into a file
// no longer at the path (moved, the reload not yet come) goes to the
// file at the path instead, rotating nothing (follow).
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
	// stuck: the last rotation failed (rotate); the file is written on
	// past max, and the rotation tried again once it would pass retryAt
	// (0 after a Close: at the next write past max)
	stuck   bool
	retryAt int64
	// note: what the last rotation has to say, for the sink to report
	// (takeNote): a failure when stuck, set with it
	note string
	// shut: closed for good (shut): a write fails, opening nothing
	shut bool
}

// rotateNow is the clock of the rotated files' names (tests replace it).
var rotateNow = time.Now

func newRotator(path string, maxSizeMB, backups int) *rotator {
	return &rotator{path: path, max: int64(maxSizeMB) << 20, backups: backups}
}

func (r *rotator) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.shut {
		return 0, os.ErrClosed
	}
	if r.f == nil {
		if err := r.open(); err != nil {
			return 0, err
		}
	}
	if r.size > 0 && r.size+int64(len(p)) > max(r.max, r.retryAt) {
		// the file may have been emptied under its handle (logrotate's
		// copytruncate, `: > FILE`): its size, not what was written,
		// says whether it is full (one fstat, near the maximum only)
		if st, err := r.f.Stat(); err == nil {
			r.size = st.Size()
		}
	}
	if r.size > 0 && r.size+int64(len(p)) > max(r.max, r.retryAt) && r.follow() {
		// the handle's file was moved away: its successor at the path
		// is the file now, and rotates only if it is full itself
		if st, err := r.f.Stat(); err == nil {
			r.size = st.Size()
		}
	}
	if r.size > 0 && r.size+int64(len(p)) > max(r.max, r.retryAt) {
		r.rotate()
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
	r.f, r.retryAt = nil, 0
	return err
}

// shutter closes its rotator for good: the sink's closer, whose close
// is the last. A write that waited for the rotator's lock (a sink's
// write held by a hung disk's) while the close waited for it too, and
// came after it, reopened the file, never closed again.
type shutter struct{ r *rotator }

func (s shutter) Close() error {
	s.r.mu.Lock()
	s.r.shut = true
	s.r.mu.Unlock()
	return s.r.Close()
}

// follow reports whether the file at the path is not the one the handle
// writes, and then writes on at the path instead: an outside tool moved
// the file (logrotate, whose SIGUSR1 has not come yet, or whose records
// the reload still drains, REFERENCE §6.1). Rotating then would rename
// what is at the path, a file the handle never filled (logrotate's
// `create`, the reload's probe: an empty one) and count it among
// max_backups, pushing out a full one. A path that cannot be opened keeps
// the handle: nothing is lost, the rotation goes as before.
func (r *rotator) follow() bool {
	at, err := os.Stat(r.path)
	if err != nil && !os.IsNotExist(err) {
		return false
	}
	if err == nil {
		mine, ferr := r.f.Stat()
		if ferr != nil || os.SameFile(at, mine) {
			return false
		}
	}
	old := r.f
	if r.open() != nil {
		return false
	}
	old.Close() // its records are written: a close of a regular file loses none
	r.retryAt = 0
	return true
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
// old one's mode, and removes the rotated files past backups. A rotation
// that cannot rename the file or create the new one (a directory cfkd may
// not change, a file marked append-only) loses nothing: the file is
// written on past its maximum, that is said once (note), and the rotation
// is tried again once the file has grown by max again, or after a Close
// (a reload: SIGUSR1); its first success is said too (REFERENCE §6.1).
func (r *rotator) rotate() {
	mode := os.FileMode(0o600)
	if st, err := r.f.Stat(); err == nil {
		mode = st.Mode().Perm()
	}
	dir, base := filepath.Split(r.path)
	ext := filepath.Ext(base)
	prefix := strings.TrimSuffix(base, ext) + "-"
	stamp, k := rotateNow().Format(backupTime), 0
	if stamp == r.lastStamp {
		k = r.lastK + 1
	}
	var moved string
	for ; ; k++ {
		name := prefix + stamp + ext
		if k > 0 {
			name = prefix + stamp + "-" + strconv.Itoa(k) + ext
		}
		if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
			continue
		} else if !os.IsNotExist(err) {
			r.failed("lstat", err)
			return
		}
		if err := rename(r.path, filepath.Join(dir, name)); err != nil && !os.IsNotExist(err) {
			r.failed("rename", err)
			return
		} else if err == nil {
			moved = filepath.Join(dir, name)
		}
		r.lastStamp, r.lastK = stamp, k
		break
	}
	f, err := createNew(r.path, mode)
	if err != nil {
		if moved != "" {
			rename(moved, r.path) // back, if it can: the handle writes on either way
		}
		r.failed("create", err)
		return
	}
	r.f.Close() // its records are written: a close of a regular file loses none
	r.f, r.size = f, 0
	if r.stuck {
		r.stuck, r.retryAt = false, 0
		r.note = fmt.Sprintf("rotation of %s works again", r.path)
	}
	if r.backups > 0 {
		r.prune(dir, prefix, ext)
	}
}

// failed records a rotation that failed at step (rename, create): the
// file is written on, and the rotation tried again once it grew by max
// more. The first failure of a streak is noted.
func (r *rotator) failed(step string, err error) {
	var le *os.LinkError
	var pe *os.PathError
	switch {
	case errors.As(err, &le):
		err = le.Err
	case errors.As(err, &pe):
		err = pe.Err
	}
	r.retryAt = r.size + r.max
	if r.stuck {
		return
	}
	r.stuck = true
	r.note = fmt.Sprintf("rotation of %s failed: %s: %v: writing on past max_size_mb", r.path, step, err)
}

// takeNote returns, and forgets, what the last write's rotation has to
// say ("" if nothing), and whether it is a failure: stuck, which only
// the notes' two writes change, each with its note.
func (r *rotator) takeNote() (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.note
	r.note = ""
	return n, r.stuck
}

// rename and createNew are the rotation's steps (tests make them fail).
var (
	rename    = os.Rename
	createNew = func(path string, mode os.FileMode) (*os.File, error) {
		return os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	}
)

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
