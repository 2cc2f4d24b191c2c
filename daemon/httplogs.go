package daemon

import (
	"context"
	"errors"
	"fmt"

	"github.com/cfk/cfk/actors"
	"github.com/cfk/cfk/web"
)

// tailLogs is the web page's log source (REFERENCE §10): the tail store
// of the tree (REFERENCE §6.4), its lines as strings.
type tailLogs struct{ tail *actors.Tail }

// followBacklog bounds what a page that does not keep up holds of cfkd's
// memory before its log stream is cut (the page then follows again).
var followBacklog = actors.Backlog{Lines: 2000, Bytes: 1 << 20}

func (l tailLogs) Last(name string, n int) ([]string, error) {
	if !l.tail.Declared(name) {
		return nil, fmt.Errorf("Service '%s' is %w", name, web.ErrNotDeclared)
	}
	lines := l.tail.Last(name, n)
	out := make([]string, len(lines))
	for i, b := range lines {
		out[i] = string(b)
	}
	return out, nil
}

// Follow streams the lines written from now on: a goroutine moves them
// from the tail's bounded feed to a small channel, and closes it when the
// feed ends (cut off, service destroyed) or stop is called; ended then
// says why the feed ended, for the end event of the page's stream
// (REFERENCE §10.3).
func (l tailLogs) Follow(name string) (<-chan string, func(), func() string, error) {
	if !l.tail.Declared(name) {
		return nil, nil, nil, fmt.Errorf("Service '%s' is %w", name, web.ErrNotDeclared)
	}
	feed := l.tail.Follow(name, 0, followBacklog)
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan string, 64)
	var why string // written before out is closed, read after
	go func() {
		defer close(out)
		defer feed.Close()
		for {
			lines, err := feed.Next(ctx)
			for _, b := range lines {
				select {
				case out <- string(b):
				case <-ctx.Done():
					return
				}
			}
			if err != nil { // cut off, destroyed, stopped: the page follows again
				why = followEnd(name, err)
				return
			}
		}
	}()
	return out, cancel, func() string { return why }, nil
}

// followEnd is why a follow of name's lines ended with err.
func followEnd(name string, err error) string {
	var cut *actors.CutOffError
	switch {
	case errors.As(err, &cut):
		return fmt.Sprintf("too slow: more than %d lines or %d KiB waiting (%d lines lost)",
			followBacklog.Lines, followBacklog.Bytes>>10, cut.Lost)
	case errors.Is(err, actors.ErrFeedClosed):
		return fmt.Sprintf("service '%s' was destroyed", name)
	}
	return ""
}
