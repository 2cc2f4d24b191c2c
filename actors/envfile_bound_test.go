package actors

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// An env_file is read with a bound: /dev/zero (endless) made cfkd
// allocate until it died, and a huge regular file cost cfkd twice its size.
func TestEnvFileIsBounded(t *testing.T) {
	big := filepath.Join(t.TempDir(), "big.env")
	if err := os.WriteFile(big, []byte("A="+strings.Repeat("x", 1<<20)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// the regular file first: without the bound, /dev/zero would eat the
	// machine's memory before the deadline
	for _, name := range []string{big, "/dev/zero"} {
		done := make(chan error, 1)
		go func() { _, err := readEnvFile(name, "", os.Geteuid()); done <- err }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "larger than 1048576 bytes") {
				t.Fatalf("readEnvFile(%s) = %v, want larger than 1048576 bytes", name, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("readEnvFile(%s) did not return in 10s", name)
		}
	}
	ok := filepath.Join(t.TempDir(), "ok.env")
	os.WriteFile(ok, []byte("A=1\n"), 0o600)
	if vars, err := readEnvFile(ok, "", os.Geteuid()); err != nil || len(vars) != 1 {
		t.Errorf("readEnvFile(ok) = %v, %v", vars, err)
	}
}
