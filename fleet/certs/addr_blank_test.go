package certs

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestGenerateRefusesABlankInAnAddress: the inventory Generate writes,
// `host NAME addr=HOST:PORT`, is read word by word (REFERENCE §12.1): an
// address holding a blank (--host 'x=web 1:7000', a tab pasted in) was
// taken, its certificate made, and the inventory written stopped the hub
// at start, `inventory:1: "1:7000": want 'host NAME addr=HOST:PORT
// [tags=TAG,TAG]'`. It is refused before anything is written, as a PORT
// the inventory refuses is.
func TestGenerateRefusesABlankInAnAddress(t *testing.T) {
	for _, addr := range []string{"web 1:7000", "web\t1:7000", "web1\r:7000"} {
		dir := filepath.Join(t.TempDir(), "certs")
		err := Generate(dir, []Member{{"x", RoleHost, addr}}, time.Hour)
		if want := fmt.Sprintf("x: address %q: want HOST:PORT without blanks or control characters", addr); err == nil || err.Error() != want {
			t.Errorf("%q: %v, want %s", addr, err, want)
		}
		if _, err := os.Stat(dir); err == nil {
			t.Errorf("%q: %s written", addr, dir)
		}
	}
}
