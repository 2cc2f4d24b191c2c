package e2e

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/fleet/certs"
)

// TestBadFleetFilesWriteNothing: a --fleet-ca, --fleet-cert or
// --fleet-key that cfkd refuses (not PEM, unreadable, a key others may
// read, a key that is not the certificate's) stops it before it writes
// anything, as a bad token file does: no home made, no log.config. They
// were read once the home was made and log.config written, a start that
// was refused leaving them behind.
func TestBadFleetFilesWriteNothing(t *testing.T) {
	dir := t.TempDir()
	c := filepath.Join(dir, "certs")
	listen := "127.0.0.1:" + strconv.Itoa(freePort(t))
	if err := certs.Generate(c, []certs.Member{{Name: "web1", Role: certs.RoleHost, Addr: listen},
		{Name: "web2", Role: certs.RoleHost, Addr: "127.0.0.2:1"}}, time.Hour); err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(c, certs.CAFile)
	cert, key := certs.Files(filepath.Join(c, "web1"))
	_, otherKey := certs.Files(filepath.Join(c, "web2"))
	notPEM := filepath.Join(dir, "notpem")
	writeFileE2E(t, notPEM, "not a certificate\n")
	readable := filepath.Join(dir, "readable.key")
	b, err := os.ReadFile(key)
	if err != nil {
		t.Fatal(err)
	}
	writeFileE2E(t, readable, string(b))
	if err := os.Chmod(readable, 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing")
	for _, tc := range []struct {
		name, ca, cert, key, want string
	}{
		{"ca not PEM", notPEM, cert, key, "cfkd: fleet CA " + notPEM + ": no PEM certificate in it"},
		{"ca missing", missing, cert, key, "cfkd: --fleet-ca " + missing + ": "},
		{"cert not PEM", ca, notPEM, key, "cfkd: fleet certificate: tls: failed to find any PEM data in certificate input"},
		{"cert missing", ca, missing, key, "cfkd: --fleet-cert " + missing + ": "},
		{"key not PEM", ca, cert, notPEM, "cfkd: fleet certificate: tls: failed to find any PEM data in key input"},
		{"key missing", ca, cert, missing, "cfkd: --fleet-key " + missing + ": "},
		{"key readable", ca, cert, readable, "cfkd: fleet key " + readable + ": mode 0644 lets others read or change it (chmod 600 " + readable + ")"},
		{"key not the cert's", ca, cert, otherKey, "cfkd: fleet certificate: tls: private key does not match public key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			home := filepath.Join(t.TempDir(), "home")
			out, err := cfkdOutput(t, home, nil, "--fleet-listen", listen, "--fleet-ca", tc.ca, "--fleet-cert", tc.cert, "--fleet-key", tc.key)
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 {
				t.Fatalf("cfkd: %v, want exit status 1\n%s", err, out)
			}
			if !strings.HasPrefix(string(out), tc.want) {
				t.Errorf("cfkd said:\n%s\nwant it to begin with %q", out, tc.want)
			}
			if _, err := os.Lstat(home); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a start refused for its fleet's files made its home (%v)", err)
			}
		})
	}
}
