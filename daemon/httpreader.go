package daemon

import (
	"errors"
	"fmt"
	"net/netip"
	"os/user"
	"runtime"
	"strconv"
	"strings"

	"github.com/cfk/cfk/actors"
	"github.com/cfk/cfk/internal/nss"
	"github.com/cfk/cfk/internal/peeruid"
	"github.com/cfk/cfk/rights"
)

// httpReader is who reads the HTTP listener without a token (REFERENCE
// §10.1): a peer on loopback that owns its socket as a user the UNIX
// console lets in (rule.UserLevel: root, cfkd's user, the members of
// --admin-group). lookup is peeruid.OfAddrs. It runs in a request's
// goroutine: it asks the kernel who owns the peer's socket, and the user
// database for the groups of a user that is not admin by its uid.
func httpReader(rule *actors.ConsolePolicy, lookup func(local, remote netip.AddrPort) (uint32, error)) func(local, remote netip.AddrPort) error {
	who := readersText(rule)
	return func(local, remote netip.AddrPort) error {
		uid, err := lookup(local, remote)
		switch {
		case errors.Is(err, peeruid.ErrNotLoopback):
			return fmt.Errorf("%v is not on loopback: from there only a token reads", remote.Addr())
		case errors.Is(err, peeruid.ErrUnsupported):
			return fmt.Errorf("cfkd cannot tell who owns a loopback connection on %s: only a token reads", runtime.GOOS)
		case err != nil:
			return fmt.Errorf("cfkd cannot tell who you are (%v)", err)
		}
		if rule.UserLevel(uid, userGroups(uid)) == rights.None {
			return fmt.Errorf("uid %d may not read without a token: only %s may", uid, who)
		}
		return nil
	}
}

// userGroups says whether the user uid is in a group, its primary one or
// another, as the user database says (the kernel does not tell a TCP
// peer's groups); it looks the user up at its first call.
func userGroups(uid uint32) func(gid uint32) bool {
	var (
		looked bool
		gids   []string
	)
	return func(gid uint32) bool {
		if !looked {
			looked = true
			// os/user takes no context: a name service that never answers
			// (a dead LDAP, sssd) would hold the request, and each request
			// a goroutine more; bounded, one lookup in flight per uid, one
			// not answered in time is no group (only a token reads)
			id := strconv.FormatUint(uint64(uid), 10)
			v, err := nss.Do("groups of uid\x00"+id, fmt.Sprintf("lookup of the groups of uid %s", id), readerLookupTimeout,
				func() (any, error) { return userGroupIDs(id) })
			if err == nil {
				gids, _ = v.([]string)
			}
		}
		for _, g := range gids {
			if g == strconv.FormatUint(uint64(gid), 10) {
				return true
			}
		}
		return false
	}
}

// userGroupIDs are the groups of user uid, its primary one last (a test
// replaces it: a name service that hangs); readerLookupTimeout bounds it.
var (
	userGroupIDs = func(uid string) ([]string, error) {
		u, err := user.LookupId(uid)
		if err != nil {
			return nil, err
		}
		gids, _ := u.GroupIds()
		return append(gids, u.Gid), nil
	}
	readerLookupTimeout = nss.Timeout
)

// readersText says who reads without a token: "root, cfkd's user (uid
// 1000) and the members of group ops (gid 27)".
func readersText(rule *actors.ConsolePolicy) string {
	var who []string
	for _, uid := range rule.AdminUIDs {
		if uid == 0 {
			who = append(who, "root")
		} else {
			who = append(who, fmt.Sprintf("cfkd's user (uid %d)", uid))
		}
	}
	for _, g := range rule.Groups {
		who = append(who, fmt.Sprintf("the members of group %s (gid %d)", g.Name, g.GID))
	}
	if len(who) == 1 {
		return who[0]
	}
	return strings.Join(who[:len(who)-1], ", ") + " and " + who[len(who)-1]
}
