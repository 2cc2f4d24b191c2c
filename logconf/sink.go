package logconf

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"

	"gopkg.in/natefinch/lumberjack.v2"
)

// sink is one open destination, shared by every category routed to it.
// Writes are serialised by mu, so records of several categories never
// interleave inside a line.
type sink struct {
	name   string    // "file:/abs/path", "stderr" or "stdout"
	w      io.Writer // the *os.File or *lumberjack.Logger
	closer io.Closer // nil for stdout and stderr, which a Router never closes
	rot    *lumberjack.Logger
	// rotation settings rot was made with (so an Apply can reuse it).
	maxSizeMB, maxBackups int

	mu      sync.Mutex
	failing bool // the last write failed; the failure was reported
	errs    atomic.Uint64
}

// write writes one record. A failed write is counted; the first failure of a
// streak is reported to report, and so is the first success after it. There
// is no retry: the next record simply tries again.
func (s *sink) write(p []byte, report io.Writer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.w.Write(p); err != nil {
		s.errs.Add(1)
		if !s.failing {
			s.failing = true
			fmt.Fprintf(report, "cfkd: log destination %s: %v (records are lost; further errors counted, not reported)\n", s.name, err)
		}
		return
	}
	if s.failing {
		s.failing = false
		fmt.Fprintf(report, "cfkd: log destination %s: writable again (%d failed writes so far)\n", s.name, s.errs.Load())
	}
}

// close closes a file sink; stdout and stderr stay open.
func (s *sink) close() error {
	if s.closer == nil {
		return nil
	}
	return s.closer.Close()
}

// openFile opens path for appending (created 0600 if missing). With
// maxSizeMB > 0 the file is handed to lumberjack, which opens it itself on
// the first write; it is opened here all the same, so that an unopenable
// path is an error now rather than a lost record later.
func openFile(path string, maxSizeMB, maxBackups int) (*sink, error) {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	s := &sink{name: "file:" + path, maxSizeMB: maxSizeMB, maxBackups: maxBackups}
	if maxSizeMB <= 0 {
		s.w, s.closer = f, f
		return s, nil
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	s.rot = &lumberjack.Logger{
		Filename: path, MaxSize: maxSizeMB, MaxBackups: maxBackups, LocalTime: true,
	}
	s.w, s.closer = s.rot, s.rot
	return s, nil
}

// probe checks that path can still be opened for appending (creating it,
// as logrotate's move leaves no file behind).
func probe(path string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	return f.Close()
}
