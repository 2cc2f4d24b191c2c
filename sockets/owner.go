package sockets

import (
	"errors"
	"fmt"
	"os/user"
	"path/filepath"
	"strconv"

	"github.com/cfk/cfk/internal/nss"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/osproc"
)

// This file is the owner, group and mode of a UNIX socket's file
// (REFERENCE §1.2): user and group names are looked up here, off the
// actor (needsLookup), and listenUnix sets them between bind and listen.

// unixTarget is the target of a UNIX socket: its path, and the owner,
// group and mode of its file, user and group names looked up (the
// caller runs it off the actor when needsLookup says so).
func unixTarget(cfg messages.SocketConfig) (target, error) {
	if cfg.IsAbstract() {
		return abstractTarget(cfg)
	}
	if !filepath.IsAbs(cfg.Service) {
		return target{}, fmt.Errorf("the path of a UNIX socket must be absolute: %q", cfg.Service)
	}
	t := target{path: filepath.Clean(cfg.Service), uid: -1, gid: -1, mode: UnixMode}
	if cfg.Mode != "" {
		m, err := strconv.ParseUint(cfg.Mode, 8, 32)
		if err != nil || m > 0o777 {
			return target{}, fmt.Errorf("invalid mode %q", cfg.Mode)
		}
		t.mode = uint32(m)
	}
	var err error
	if cfg.User != "" {
		if t.uid, err = lookupID(cfg.User, "user"); err != nil {
			return target{}, err
		}
	}
	if cfg.Group != "" {
		if t.gid, err = lookupID(cfg.Group, "group"); err != nil {
			return target{}, err
		}
	}
	return t, nil
}

// numeric reports whether s is empty or a numeric id: nothing to look up.
func numeric(s string) bool {
	_, ok := numericID(s)
	return s == "" || ok
}

// numericID is s as a numeric id, taken as it is, known or not (as chown
// does): below 4294967295, which chown reads as "unchanged"; a larger
// number is looked up as a name.
func numericID(s string) (int, bool) {
	n, err := strconv.ParseUint(s, 10, 32)
	return int(n), err == nil && n < 1<<32-1
}

// lookupID turns a user or group (kind) name or numeric id (numericID)
// into its id.
func lookupID(s, kind string) (int, error) {
	if n, ok := numericID(s); ok {
		return n, nil
	}
	var id string
	// os/user takes no context: bounded by nss, one lookup in flight per
	// name (REFERENCE §1.2)
	v, err := nss.Do(kind+"\x00"+s, fmt.Sprintf("%s lookup %q", kind, s), lookupTimeout, func() (any, error) {
		if kind == "user" {
			return userLookup(s)
		}
		return groupLookup(s)
	})
	var late *nss.TimeoutError
	if errors.As(err, &late) {
		return -1, err
	}
	if err != nil {
		return -1, osproc.NameError(kind, s, err)
	}
	if u, ok := v.(*user.User); ok {
		id = u.Uid
	} else {
		id = v.(*user.Group).Gid
	}
	n, err := strconv.ParseUint(id, 10, 32)
	if err != nil {
		return -1, fmt.Errorf("%s %q: id %q is not a number", kind, s, id)
	}
	return int(n), nil
}

// The lookups (a test replaces them to count them, or to make them hang),
// and how long each may take.
var (
	userLookup    = user.Lookup
	groupLookup   = user.LookupGroup
	lookupTimeout = LookupTimeout
)
