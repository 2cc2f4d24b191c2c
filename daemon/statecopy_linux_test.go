//go:build linux && !cfkportable

package daemon

import (
	"os"
	"strconv"
	"testing"
)

// TestSealedStateCannotBeChanged: the memfd copy of the state is sealed:
// not written, not truncated, also through /proc/self/fd/N.
func TestSealedStateCannotBeChanged(t *testing.T) {
	f, err := sealedState([]byte("state"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt([]byte("x"), 0); err == nil {
		t.Error("the sealed copy took a write")
	}
	if err := f.Truncate(0); err == nil {
		t.Error("the sealed copy was truncated")
	}
	if g, err := os.OpenFile("/proc/self/fd/"+strconv.Itoa(int(f.Fd())), os.O_WRONLY, 0); err == nil {
		_, werr := g.Write([]byte("x"))
		g.Close()
		if werr == nil {
			t.Error("the sealed copy took a write through /proc/self/fd")
		}
	}
	if b, err := readCopy(dupFd(t, f), digest([]byte("state"))); err != nil || string(b) != "state" {
		t.Errorf("read back: %q %v", b, err)
	}
}
