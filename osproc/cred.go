package osproc

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"slices"
	"strconv"
	"syscall"
)

// Credential resolves a user and/or group (names or numeric ids) into the
// credential a child runs with. Both empty: nil, the child keeps cfkd's
// identity. A user brings its primary group and supplementary groups; a
// group replaces the primary group, and alone leaves no supplementary group. Switching identity needs root: when
// cfkd is not root, naming anything but cfkd's own user and group is an
// error.
func Credential(userName, groupName string) (*syscall.Credential, error) {
	if userName == "" && groupName == "" {
		return nil, nil
	}
	cred := &syscall.Credential{Uid: uint32(os.Getuid()), Gid: uint32(os.Getgid()), NoSetGroups: true}
	if userName != "" {
		u, madeUp, err := lookupUser(userName)
		if err != nil {
			return nil, err
		}
		uid, _ := strconv.ParseUint(u.Uid, 10, 32)
		gid, _ := strconv.ParseUint(u.Gid, 10, 32)
		cred.Uid, cred.Gid = uint32(uid), uint32(gid)
		// the user's supplementary groups replace cfkd's, even when none
		// are known (a numeric id without a passwd entry): a child must
		// not keep root's groups
		cred.NoSetGroups = false
		ids, err := groupIDs(u)
		if err != nil && !madeUp {
			// the name service failed: running without the user's groups
			// would fail later with an unexplained EACCES
			return nil, fmt.Errorf("cannot look up the groups of user %q: %v", userName, err)
		}
		for _, s := range ids {
			if g, err := strconv.ParseUint(s, 10, 32); err == nil {
				cred.Groups = append(cred.Groups, uint32(g))
			}
		}
	}
	if groupName != "" {
		g, err := lookupGroup(groupName)
		if err != nil {
			return nil, err
		}
		gid, _ := strconv.ParseUint(g.Gid, 10, 32)
		if userName != "" {
			// as initgroups(user, group) under systemd's Group=: the
			// group replaces the user's primary group among the
			// supplementary ones too (the user's groups list it)
			cred.Groups = slices.DeleteFunc(cred.Groups, func(id uint32) bool { return id == cred.Gid })
			if !slices.Contains(cred.Groups, uint32(gid)) {
				cred.Groups = append(cred.Groups, uint32(gid))
			}
		} else {
			// a group alone: no supplementary group, as under systemd's
			// Group= without User= (PID 1 has none); cfkd's own (root's
			// group 0) must not stay with the child
			cred.NoSetGroups, cred.Groups = false, nil
		}
		cred.Gid = uint32(gid)
	}
	if os.Getuid() != 0 {
		// naming cfkd's own user (and its group) changes nothing: the
		// child keeps cfkd's identity, supplementary groups included
		if cred.Uid != uint32(os.Getuid()) || cred.Gid != uint32(os.Getgid()) {
			return nil, fmt.Errorf("cannot run as user %q group %q: cfkd is not running as root", userName, groupName)
		}
		return nil, nil
	}
	return cred, nil
}

// UserEnv is what a service that runs as userName finds in HOME, USER,
// LOGNAME and SHELL, as systemd's User= and su(1) set them (REFERENCE
// §2.4): its passwd entry's home, name and login shell (/bin/sh when the
// entry's is empty; its home "/" when the entry's is empty, as login(1)
// takes it: cfkd's own, /root, must not stay, nor USER=root). ok is false
// for a user without an entry (a numeric id alone) or a lookup that
// fails: the variables are then left as they are; shell is "" when the
// shell alone could not be read.
func UserEnv(userName string) (home, name, shell string, ok bool) {
	u, madeUp, err := lookupUser(userName)
	if err != nil || madeUp {
		return "", "", "", false
	}
	home = u.HomeDir
	if home == "" {
		home = "/"
	}
	shell, _ = lookupShell(u.Username)
	return home, u.Username, shell, true
}

// The lookups, replaced by tests (a name service that fails).
var (
	userLookup   = user.Lookup
	userLookupID = user.LookupId
	groupLookup  = user.LookupGroup
	groupIDs     = (*user.User).GroupIds
)

// lookupUser resolves a user name or numeric id. A numeric id without an
// entry runs as that uid with the same gid, and no supplementary group
// (madeUp). Only a user the name service does not know is an "unknown
// user": a lookup that fails (an LDAP or sssd error, an unreadable
// /etc/passwd) says so, with the error.
func lookupUser(s string) (u *user.User, madeUp bool, err error) {
	if _, err := strconv.ParseUint(s, 10, 32); err == nil {
		u, err := userLookupID(s)
		if err == nil {
			return u, false, nil
		}
		var unknown user.UnknownUserIdError
		if !errors.As(err, &unknown) {
			return nil, false, fmt.Errorf("cannot look up user %q: %v", s, err)
		}
		return &user.User{Uid: s, Gid: s, Username: s}, true, nil
	}
	u, err = userLookup(s)
	if err != nil {
		return nil, false, NameError("user", s, err)
	}
	return u, false, nil
}

// lookupGroup resolves a group name or numeric id, as lookupUser does.
func lookupGroup(s string) (*user.Group, error) {
	if _, err := strconv.ParseUint(s, 10, 32); err == nil {
		return &user.Group{Gid: s, Name: s}, nil
	}
	g, err := groupLookup(s)
	if err != nil {
		return nil, NameError("group", s, err)
	}
	return g, nil
}

// NameError is what the lookup of a user or group (kind) name s that
// failed with err says: "unknown KIND" for a name the name service does
// not know, else "cannot look up KIND" with the error (an LDAP or sssd
// failure, an unreadable /etc/passwd).
func NameError(kind, s string, err error) error {
	var unknownUser user.UnknownUserError
	var unknownGroup user.UnknownGroupError
	if errors.As(err, &unknownUser) || errors.As(err, &unknownGroup) {
		return fmt.Errorf("unknown %s %q", kind, s)
	}
	return fmt.Errorf("cannot look up %s %q: %v", kind, s, err)
}
