package osproc

import (
	"errors"
	"os/user"
	"strings"
	"testing"
)

// TestLookupFailureIsNotUnknown: a name service that fails (LDAP down) is
// said as such, not as an unknown user or group, and a numeric uid whose
// lookup fails is refused rather than run with a made-up group.
func TestLookupFailureIsNotUnknown(t *testing.T) {
	down := errors.New("ldap: server unreachable")
	oldU, oldID, oldG := userLookup, userLookupID, groupLookup
	t.Cleanup(func() { userLookup, userLookupID, groupLookup = oldU, oldID, oldG })
	userLookup = func(string) (*user.User, error) { return nil, down }
	userLookupID = func(string) (*user.User, error) { return nil, down }
	groupLookup = func(string) (*user.Group, error) { return nil, down }
	for _, c := range []struct{ u, g, want string }{
		{"www", "", `cannot look up user "www": ldap: server unreachable`},
		{"1234", "", `cannot look up user "1234": ldap: server unreachable`},
		{"", "www", `cannot look up group "www": ldap: server unreachable`},
	} {
		_, err := Credential(c.u, c.g)
		if err == nil || err.Error() != c.want {
			t.Errorf("Credential(%q, %q): %v, want %q", c.u, c.g, err, c.want)
		}
	}
	// the user is known, its groups' lookup fails: said, not run without
	// them (an EACCES later, unexplained)
	oldIDs := groupIDs
	t.Cleanup(func() { groupIDs = oldIDs })
	userLookup = func(s string) (*user.User, error) { return &user.User{Uid: "1234", Gid: "1234", Username: s}, nil }
	groupIDs = func(*user.User) ([]string, error) { return nil, down }
	if _, err := Credential("www", ""); err == nil || err.Error() != `cannot look up the groups of user "www": ldap: server unreachable` {
		t.Errorf("groups not found: %v", err)
	}

	userLookup = func(s string) (*user.User, error) { return nil, user.UnknownUserError(s) }
	userLookupID = func(s string) (*user.User, error) { return nil, user.UnknownUserIdError(1234) }
	groupLookup = func(s string) (*user.Group, error) { return nil, user.UnknownGroupError(s) }
	if _, err := Credential("www", ""); err == nil || err.Error() != `unknown user "www"` {
		t.Errorf("unknown user: %v", err)
	}
	if _, err := Credential("", "www"); err == nil || err.Error() != `unknown group "www"` {
		t.Errorf("unknown group: %v", err)
	}
	// a numeric uid without an entry stays allowed (as root: that uid,
	// the same gid)
	if _, err := Credential("1234", ""); err != nil && !strings.Contains(err.Error(), "not running as root") {
		t.Errorf("numeric uid without an entry: %v", err)
	}
}
