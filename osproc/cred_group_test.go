package osproc

import (
	"os"
	"testing"
)

// TestGroupAloneLeavesNoSupplementaryGroup: group= without user= runs
// with that group and no supplementary group (REFERENCE §2.4), as under
// systemd's Group= without User=; the child kept cfkd's own (root's group
// 0 when cfkd runs from a root shell).
func TestGroupAloneLeavesNoSupplementaryGroup(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("switching identity needs root")
	}
	c, err := Credential("", "65534")
	if err != nil {
		t.Fatal(err)
	}
	if c == nil || c.Gid != 65534 || c.NoSetGroups || len(c.Groups) != 0 {
		t.Fatalf("credential %+v, want gid 65534, setgroups to none", c)
	}
	// with a user, the group replaces its primary group among its groups
	c, err = Credential("0", "65534")
	if err != nil {
		t.Fatal(err)
	}
	if c.Uid != 0 || c.Gid != 65534 || c.NoSetGroups {
		t.Fatalf("credential %+v", c)
	}
	for _, g := range c.Groups {
		if g == 0 {
			t.Fatalf("root's primary group kept among %v", c.Groups)
		}
	}
}
