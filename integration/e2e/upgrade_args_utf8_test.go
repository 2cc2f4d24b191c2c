package e2e

import (
	"os"
	"path/filepath"
	"testing"
)

// TestUpgradeWithANonUTF8TokenPath: a file name on Linux is bytes, and
// cfkd takes --http-token at any path it can read (REFERENCE §5.3). The
// upgrade's check gets cfkd's flags as JSON (CFKD_UPGRADE_ARGS), which
// turns every byte that is not UTF-8 into U+FFFD: the check then reads
// another path, finds no file, and refuses an upgrade the new cfkd (the
// same argv, byte for byte) would take.
func TestUpgradeWithANonUTF8TokenPath(t *testing.T) {
	newBin, _ := upgradeBins(t)
	dir := filepath.Join(t.TempDir(), "caf\xe9")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	token := filepath.Join(dir, "token")
	if err := os.WriteFile(token, []byte("e2e-token-e2e-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, "", "--http", "127.0.0.1:0", "--http-token", token)
	d.upgradeTo(newBin, "cfk "+newVersion)
}
