package daemon

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/fleet/certs"
	"github.com/sirupsen/logrus"
)

// A --fleet-cert or --fleet-key in a directory another user may write (or
// theirs) is refused at start, as --fleet-ca is: that user could put a
// certificate and a key of theirs in their place, and this cfkd would be
// the member of their choosing, to its hubs and hosts (REFERENCE §7.2,
// §12.2). A key that others may write is told chmod 600; the files in a
// directory only root and cfkd's user may change are taken.
func TestFleetCertAndKeyOthersMayReplaceRefused(t *testing.T) {
	top := t.TempDir()
	own := filepath.Join(top, "certs")
	const listen = "127.0.0.1:7001"
	if err := certs.Generate(own, []certs.Member{{Name: "web1", Role: certs.RoleHost, Addr: listen}}, time.Hour); err != nil {
		t.Fatal(err)
	}
	cert, key := certs.Files(filepath.Join(own, "web1"))
	ff := FleetFlags{Listen: listen, CA: filepath.Join(own, certs.CAFile), Cert: cert, Key: key}
	log := logrus.New()
	log.SetOutput(io.Discard)

	n, err := newFleet(ff, log)
	if err != nil {
		t.Fatalf("the files in a directory of cfkd's user's: %v", err)
	}
	n.Stop()

	copyTo := func(src, dst string, mode os.FileMode) string {
		t.Helper()
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dst, mode); err != nil {
			t.Fatal(err)
		}
		return dst
	}
	type refused struct {
		ff   FleetFlags
		want string
	}
	var cases []refused
	for dir, why := range unsafeDirs(t, top) {
		c, k := ff, ff
		c.Cert = copyTo(cert, filepath.Join(dir, "web1.pem"), 0o644)
		k.Key = copyTo(key, filepath.Join(dir, "web1.key"), 0o600)
		cases = append(cases,
			refused{c, "cfkd: --fleet-cert " + c.Cert + ": " + why + ", and choose " + fleetCertChooses},
			refused{k, "cfkd: --fleet-key " + k.Key + ": " + why + ", and choose " + fleetKeyChooses})
	}
	loose := ff
	loose.Key = copyTo(key, filepath.Join(own, "loose.key"), 0o666)
	cases = append(cases, refused{loose, "cfkd: --fleet-key " + loose.Key + ": writable by others (mode 0666): any user could choose " +
		fleetKeyChooses + " (chmod 600 " + loose.Key + ")"})
	for _, c := range cases {
		n, err := newFleet(c.ff, log)
		if n != nil {
			n.Stop()
		}
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("newFleet cert %s key %s:\n got %v\nwant %s...", c.ff.Cert, c.ff.Key, err, c.want)
		}
	}
}
