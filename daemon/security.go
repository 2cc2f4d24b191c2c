package daemon

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/cfk/cfk/actors"
	"github.com/cfk/cfk/internal/nss"
	"github.com/cfk/cfk/rights"
)

// security is what the flags say of who gets in (REFERENCE §5.2): the
// console's policy, and what to tell at start.
type security struct {
	policy *actors.ConsolePolicy
	// group: --admin-group, whose members reach the UNIX socket (its
	// file is made 0660, group group.GID).
	group *actors.GroupRight
	// summary says in the start-up log who gets what.
	summary string
	// warnings are logged at start, after "admin console on ADDR: ".
	warnings []string
}

// buildSecurity turns the flags into the console's policy, or says why
// they do not make one. It reads the token file and looks up the group:
// cfkd calls it at start, before any actor runs.
func buildSecurity(f Flags, addr Address) (*security, error) {
	s := &security{policy: &actors.ConsolePolicy{MaxConnections: f.MaxConnections}}
	p := s.policy
	if f.CommandOnly {
		p.Cap = rights.Operate
	}
	capNote := ""
	if f.CommandOnly {
		capNote = "; --command-only: operate at most"
	}
	if addr.Network == "unix" {
		switch {
		case f.AdminToken != "":
			return nil, errors.New("cfkd: --admin-token is for a TCP console (-a HOST:PORT): on a UNIX socket the peer's user and groups decide")
		case f.InsecureTCP:
			return nil, errors.New("cfkd: --insecure-tcp is for a TCP console (-a HOST:PORT)")
		}
		p.AdminUIDs = adminUIDs()
		who := "root"
		if len(p.AdminUIDs) > 1 {
			who = fmt.Sprintf("root and uid %d", p.AdminUIDs[1])
		}
		s.summary = who + ": admin"
		if f.AdminGroup != "" {
			g, err := parseAdminGroup(f.AdminGroup)
			if err != nil {
				return nil, err
			}
			s.group = &g
			p.Groups = []actors.GroupRight{g}
			s.summary += fmt.Sprintf("; group %s (gid %d): %v", g.Name, g.GID, g.Level)
		}
		s.summary += "; anyone else: refused" + capNote
		if f.idleSet {
			p.IdleTimeout = f.IdleTimeout
		}
		return s, nil
	}

	switch {
	case f.AdminGroup != "":
		return nil, errors.New("cfkd: --admin-group is for a UNIX socket: a TCP console goes by tokens (--admin-token FILE)")
	case f.AdminToken != "" && f.InsecureTCP:
		return nil, errors.New("cfkd: --admin-token and --insecure-tcp exclude each other")
	case f.RemotePrivileged && !f.InsecureTCP:
		return nil, errors.New("cfkd: --remote-privileged only applies with --insecure-tcp (with --admin-token, each token's level decides)")
	case f.AdminToken == "" && !f.InsecureTCP:
		return nil, fmt.Errorf("cfkd: a TCP console (%s) needs a token file: --admin-token FILE, of lines 'LEVEL TOKEN' "+
			"(or --insecure-tcp, to let anyone who can connect in without one)", addr)
	}
	p.IdleTimeout = DefaultTCPIdle
	if f.idleSet {
		p.IdleTimeout = f.IdleTimeout
	}
	if f.AdminToken != "" {
		store, err := rights.OpenStoreFunc(f.AdminToken, checkedTokens("--admin-token", adminTokenChooses, adminTokens))
		if err != nil {
			return nil, err
		}
		p.Tokens = store
		s.summary = fmt.Sprintf("every client: auth TOKEN, %d tokens in %s%s", store.Load().Len(), f.AdminToken, capNote)
		return s, nil
	}
	p.Insecure, p.InsecureLevel = true, rights.Operate
	if addr.Loopback() || f.RemotePrivileged {
		p.InsecureLevel = rights.Admin
	}
	level := p.InsecureLevel
	if f.CommandOnly {
		level = min(level, rights.Operate)
	}
	s.summary = fmt.Sprintf("--insecure-tcp: anyone who can connect: %v, no token%s", level, capNote)
	s.warnings = append(s.warnings, fmt.Sprintf("no tokens (--insecure-tcp): anyone who can connect gets %v", level))
	if level == rights.Admin {
		s.warnings = append(s.warnings, fmt.Sprintf("admin means running any command as cfkd's user (uid %d)", os.Geteuid()))
	}
	if !addr.Loopback() && !f.RemotePrivileged && !f.CommandOnly {
		s.warnings = append(s.warnings, "not loopback: operate at most (declarations refused); "+
			"--remote-privileged allows them to anyone who can connect")
	}
	return s, nil
}

// adminTokens reads --admin-token's file (REFERENCE §5.3), its errors
// said as cfkd's, at start and at a reload.
func adminTokens(path string) (*rights.Tokens, error) {
	t, err := rights.ParseTokenFile(path)
	if err != nil {
		return nil, fmt.Errorf("cfkd: --admin-token: %w", err)
	}
	return t, nil
}

// adminUIDs are the users that are admin on the UNIX socket by who they
// are: root and cfkd's own user (REFERENCE §5.2).
func adminUIDs() []uint32 {
	uids := []uint32{0}
	if uid := uint32(os.Geteuid()); uid != 0 {
		uids = append(uids, uid)
	}
	return uids
}

// parseAdminGroup reads GROUP[:LEVEL]: a group name or numeric id, and
// read, operate (the default) or admin.
func parseAdminGroup(v string) (actors.GroupRight, error) {
	name, lv, hasLevel := strings.Cut(v, ":")
	g := actors.GroupRight{Name: name, Level: rights.Operate}
	if hasLevel {
		l, err := rights.ParseLevel(lv)
		if err != nil {
			return g, fmt.Errorf("cfkd: --admin-group %s: %w", v, err)
		}
		g.Level = l
	}
	if name == "" {
		return g, fmt.Errorf("cfkd: --admin-group %q: no group", v)
	}
	if id, err := strconv.ParseUint(name, 10, 32); err == nil {
		g.GID = uint32(id)
		// its name only tells the log: not answered in time, the number
		if gr, err := boundedGroup("admin group id", name, adminGroupIDLookup); err == nil {
			g.Name = gr.Name
		}
		return g, nil
	}
	gr, err := boundedGroup("admin group", name, adminGroupLookup)
	if err != nil {
		var unknown user.UnknownGroupError
		var late *nss.TimeoutError
		switch {
		case errors.As(err, &late):
			return g, fmt.Errorf("cfkd: --admin-group %s: the group lookup did not answer within %v", name, late.After)
		case errors.As(err, &unknown):
			return g, fmt.Errorf("cfkd: --admin-group: unknown group %q", name)
		}
		return g, fmt.Errorf("cfkd: --admin-group: cannot look up group %q: %v", name, err)
	}
	id, err := strconv.ParseUint(gr.Gid, 10, 32)
	if err != nil {
		return g, fmt.Errorf("cfkd: --admin-group: group %q has gid %q", name, gr.Gid)
	}
	g.GID = uint32(id)
	return g, nil
}

// boundedGroup looks group name up with lookup, bounded by
// adminGroupTimeout (nss.Timeout): os/user takes no context, and a name
// service that is down (LDAP, sssd) would hang cfkd's start for ever
// (REFERENCE §5.2). One that does not answer is an *nss.TimeoutError.
func boundedGroup(kind, name string, lookup func(string) (*user.Group, error)) (*user.Group, error) {
	v, err := nss.Do(kind+"\x00"+name, fmt.Sprintf("group lookup %q", name), adminGroupTimeout,
		func() (any, error) { return lookup(name) })
	if err != nil {
		return nil, err
	}
	return v.(*user.Group), nil
}

// The lookups of --admin-group's group, by name and by id, and their
// bound (a test replaces them: a name service that hangs).
var (
	adminGroupLookup   = user.LookupGroup
	adminGroupIDLookup = user.LookupGroupId
	adminGroupTimeout  = nss.Timeout
)

// notInGroup is why a chown to g's group was refused (EPERM) when cfkd's
// user is not a member of it (REFERENCE §5.2): only root, or a member,
// may give a file that group; "" otherwise. groupUnreachable refuses
// that case before the start makes anything, when it can tell.
func notInGroup(err error, g actors.GroupRight, egid func() int, groups func() ([]int, error)) string {
	if !errors.Is(err, syscall.EPERM) {
		return ""
	}
	gids, gerr := groups()
	if gerr != nil || int(g.GID) == egid() || slices.Contains(gids, int(g.GID)) {
		return ""
	}
	return ": " + notMember(g)
}

// shareSocket gives the members of g the UNIX socket at path: mode 0660,
// group g. When the socket is in home, home becomes mode 0710, group g,
// so that they can reach the socket without listing or reading the
// home. It returns the warnings about directories above the socket that
// the group cannot pass (REFERENCE §5.6).
func shareSocket(path, home string, g actors.GroupRight) (warnings []string, err error) {
	dir := filepath.Dir(path)
	if filepath.Clean(dir) == filepath.Clean(home) {
		if err := os.Chown(home, -1, int(g.GID)); err != nil {
			return nil, fmt.Errorf("cfkd: --admin-group: %w%s", err, notInGroup(err, g, os.Getegid, os.Getgroups))
		}
		if err := os.Chmod(home, 0o710); err != nil {
			return nil, fmt.Errorf("cfkd: --admin-group: %w", err)
		}
	}
	if err := os.Chown(path, -1, int(g.GID)); err != nil {
		return nil, fmt.Errorf("cfkd: --admin-group: %w%s", err, notInGroup(err, g, os.Getegid, os.Getgroups))
	}
	if err := os.Chmod(path, 0o660); err != nil {
		return nil, fmt.Errorf("cfkd: --admin-group: %w", err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err == nil {
			mode, gid := st.Mode().Perm(), uint32(0)
			if sys, ok := st.Sys().(*syscall.Stat_t); ok {
				gid = sys.Gid
			}
			if mode&0o001 == 0 && (mode&0o010 == 0 || gid != g.GID) {
				warnings = append(warnings, fmt.Sprintf("--admin-group %s: its members cannot reach the socket: %s is mode %04o "+
					"(put the socket elsewhere: --home DIR or -a unix:PATH)", g.Name, d, mode))
			}
		}
		if d == "/" || d == "." {
			return warnings, nil
		}
	}
}
