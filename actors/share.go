package actors

import (
	"fmt"
	"sync"

	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/rights"
	"github.com/sirupsen/logrus"
)

// This file holds a peer's share of the console's places (REFERENCE
// §5.4): a peer that is not admin holds at most half of them, so that one
// member of --admin-group, or one holder of a read or operate token,
// cannot lock the others out; and, on TCP with tokens, the places kept
// for admin peers, which only an auth can tell.

// peerShareDiv: a peer that is not admin holds at most 1/peerShareDiv of
// the places (half of the bound in force: MaxConnections, or the fd
// quarter when it is lower).
const peerShareDiv = 2

// share is the most connections a peer that is not admin may hold now.
func (p *ConsolePolicy) share() (share, all int) {
	all = p.maxConns()
	return max(all/peerShareDiv, 1), all
}

// shareHold is a connection's place in its peer's share (counted in
// ConsolePolicy.shares under key): taken at connect where the peer's
// level is known then (UNIX, --insecure-tcp), at the auth that gives read
// or operate on TCP with tokens (the right is known only then: counted at
// connect, an admin token would be refused with its peer's readers).
// Given back at the close, or at an auth that gives admin. The actor of
// the connection and its Close (any goroutine) use it: a mutex.
type shareHold struct {
	p    *ConsolePolicy
	key  string // the peer: "uid N" (UNIX, loopback), else its IP address
	log  *logrus.Logger
	peer string // the connection, for the log

	mu     sync.Mutex
	held   bool
	closed bool
}

// take counts the connection in its peer's share; it returns why it may
// not (for the log), "" when it may.
func (h *shareHold) take() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.held || h.closed {
		return ""
	}
	share, all := h.p.share()
	if ok, open, _ := h.p.shares.TakeWithin(h.key, share); !ok {
		return fmt.Sprintf("%s holds %d: the most a peer that is not admin may, half of the %d places", h.key, open, all)
	}
	h.held = true
	return ""
}

// give gives the place back; close for good (the connection's Close:
// no take after it).
func (h *shareHold) give(close bool) {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = h.closed || close
	if h.held {
		h.held = false
		h.p.shares.Give(h.key)
	}
}

// authAs applies an auth that gave a token of level (before the cap, as
// the UNIX console goes by who the peer is, not by --command-only): admin
// is bound by no share and may take the places kept for admin peers; read
// or operate takes a place in its peer's share, and may not take one of
// the places kept for admin (REFERENCE §5.4). It reports false, and logs
// the refusal (one line a second at most), when the connection is one too
// many: it is to be answered `ERROR: too many connections` and closed.
// What it calls never waits: an atomic, a mutex held for a map's update.
func (h *shareHold) authAs(level rights.Level, token string) bool {
	if level >= rights.Admin {
		h.give(false)
		return true
	}
	h.mu.Lock()
	held := h.held
	h.mu.Unlock()
	if held {
		return true
	}
	why := h.take() // its share first: the more telling refusal, as at connect
	if why == "" && h.p.active.Load() > int64(h.p.limit(true)) {
		why = h.p.tooMany(true)
		h.give(false)
	}
	if why == "" {
		return true
	}
	h.p.logRefusal(h.log, h.peer, messages.ErrTooManyConnections, "at auth with token "+token+": "+why)
	return false
}
