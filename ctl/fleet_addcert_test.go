package ctl

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cfk/cfk/fleet/certs"
)

// fleet addcert adds a member to a fleet `fleet certs` made, from its CA:
// `fleet certs` refused, `ca.pem already exists`, and adding one needed
// outside CA tooling (REFERENCE §12.2). It never overwrites a member's
// files, and prints the inventory line to add rather than change it.
func TestFleetAddCert(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "fleet")
	if r := runCtl(t, newFakeServer(t, nil), runCfg{}, "fleet", "certs", dir, "--hub", "hub=127.0.0.1:7000", "--host", "web1=127.0.0.2:7000"); r.code != ExitOK {
		t.Fatalf("fleet certs: %+v", r)
	}
	inv, _ := os.ReadFile(filepath.Join(dir, certs.InventoryFile))
	cmdCase{args: []string{"fleet", "addcert", dir, "--host", "web2=127.0.0.3:7000"}, code: ExitOK,
		stdout: dir + ": for each member NAME.pem, NAME.key, from ca.pem:\n" +
			"  host  web2             cfkd --fleet-listen 127.0.0.3:7000 --fleet-ca ca.pem --fleet-cert web2.pem --fleet-key web2.key\n" +
			"add to the hubs' inventory (then restart them; add the tags):\n  host web2 addr=127.0.0.3:7000\n"}.check(t)
	cr, err := certs.Load(filepath.Join(dir, certs.CAFile), filepath.Join(dir, "web2.pem"), filepath.Join(dir, "web2.key"))
	if err != nil || cr.ID != (certs.Identity{Name: "web2", Role: certs.RoleHost}) {
		t.Fatalf("web2: %+v, %v", cr, err)
	}
	if now, _ := os.ReadFile(filepath.Join(dir, certs.InventoryFile)); string(now) != string(inv) {
		t.Errorf("inventory changed: %q", now)
	}
	cmdCase{args: []string{"fleet", "addcert", dir, "--host", "web1=127.0.0.9:7000"}, code: ExitError,
		stderr: "fleet addcert: " + filepath.Join(dir, "web1.pem") + " already exists: not overwritten\n"}.check(t)
	const help = "\nusage: cfkctl fleet [--hosts NAME,@TAG,...] SUBCOMMAND [ARGS...]\nRun 'cfkctl help fleet' for details.\n"
	for _, tc := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"fleet", "addcert", dir}, "cfkctl: fleet addcert needs a member: --host NAME=HOST:PORT or --hub NAME=HOST:PORT"},
		{[]string{"fleet", "addcert", "--host", "web3=127.0.0.4:7000"}, "cfkctl: fleet addcert needs one directory, the fleet's (ca.pem, ca.key): fleet addcert DIR --host NAME=HOST:PORT..."},
		{[]string{"fleet", "addcert", dir, "--host", "web3=127.0.0.4:7000", "--hosts", "web1"}, "cfkctl: --hosts does not apply to fleet addcert"},
	} {
		cmdCase{args: tc.args, code: ExitUsage, stderr: tc.stderr + help}.check(t)
	}
	if _, err := os.Stat(filepath.Join(dir, "web3.pem")); err == nil {
		t.Error("web3.pem written by a refused command")
	}
	if r := runCtl(t, newFakeServer(t, nil), runCfg{}, "help", "fleet"); !strings.Contains(r.stdout, "fleet addcert DIR --host NAME=HOST:PORT...") {
		t.Errorf("cfkctl help fleet does not name fleet addcert:\n%s", r.stdout)
	}
}
