package safepath

import (
	"os"
	"strconv"
	"strings"

	"github.com/cfk/cfk/internal/accountfile"
)

// A user private group (Debian's and Ubuntu's USERGROUPS_ENAB, under
// umask 002: group alice, alice's primary group, no other member) lets
// no one but its user write what it may: a file or a directory that
// such a group of the trusted uid's may write is judged as one only its
// owner may, as Debian's OpenSSH judges ~/.ssh (REFERENCE §7.2). The
// group must have exactly one member, the trusted uid: no user but it
// has the group as primary group, and its member list names it alone or
// no one. A group with no member (a setgid program's) or with another
// one stays refused.
//
// The members are read from /etc/passwd and /etc/group: os/user cannot
// list the users whose primary group a group is, nor give a group's
// member list. A user or a group of a directory service (LDAP, sssd),
// not in those files, is not known to be alone: refused, as any group
// other than root's is. So are all groups while either file pulls in
// NIS entries ("+" or "-" lines): it does not say every member then.

// accounts are the files the members are read from (UseAccounts).
var accounts = struct{ passwd, group string }{"/etc/passwd", "/etc/group"}

// UseAccounts makes the members of groups be read from the passwd and
// group files given, until restore is called: for tests, of this package
// and of its callers.
func UseAccounts(passwd, group string) (restore func()) {
	old := accounts
	accounts.passwd, accounts.group = passwd, group
	return func() { accounts = old }
}

// members are what the account files say of groups, read once per
// check, when a group other than root's may write on the way.
type members struct {
	read     bool
	complete bool                // no NIS lines, both files read
	primary  map[uint32][]uint32 // gid: the uids whose primary group it is
	uidOf    map[string][]uint32 // name: its uids (several lines may name one)
	listed   map[uint32][]string // gid: its member lists, of every line with that gid
}

// alone says whether uid is the one member of group gid.
func (m *members) alone(gid uint32, uid int) bool {
	if !m.read {
		m.load()
	}
	if !m.complete || uid < 0 {
		return false
	}
	names, ok := m.listed[gid]
	if !ok {
		return false // not a group of /etc/group's
	}
	n := 0
	for _, u := range m.primary[gid] {
		if int(u) != uid {
			return false
		}
		n++
	}
	for _, name := range names {
		uids := m.uidOf[name]
		if len(uids) == 0 {
			return false // a user the files do not have: of a directory service
		}
		for _, u := range uids {
			if int(u) != uid {
				return false
			}
		}
		n++
	}
	return n > 0
}

func (m *members) load() {
	m.read = true
	m.primary, m.uidOf, m.listed = map[uint32][]uint32{}, map[string][]uint32{}, map[uint32][]string{}
	okP := eachLine(accounts.passwd, func(f []string) bool {
		if len(f) < 4 {
			return false
		}
		uid, err1 := strconv.ParseUint(f[2], 10, 32)
		gid, err2 := strconv.ParseUint(f[3], 10, 32)
		if err1 != nil || err2 != nil {
			return false
		}
		m.primary[uint32(gid)] = append(m.primary[uint32(gid)], uint32(uid))
		m.uidOf[f[0]] = append(m.uidOf[f[0]], uint32(uid))
		return true
	})
	okG := eachLine(accounts.group, func(f []string) bool {
		if len(f) < 4 {
			return false
		}
		gid, err := strconv.ParseUint(f[2], 10, 32)
		if err != nil {
			return false
		}
		list := m.listed[uint32(gid)]
		if list == nil {
			list = []string{}
		}
		for _, name := range strings.Split(f[3], ",") {
			if name = strings.TrimSpace(name); name != "" {
				list = append(list, name)
			}
		}
		m.listed[uint32(gid)] = list
		return true
	})
	m.complete = okP && okG
}

// eachLine gives each entry of a colon-separated account file to take,
// and says whether the whole file was read and taken: not when a line is
// NIS's ("+", "-") or one take cannot read (the file may not say all).
func eachLine(path string, take func([]string) bool) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	return accountfile.Each(f, take)
}
