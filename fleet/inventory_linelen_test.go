package fleet

import (
	"strings"
	"testing"
)

// TestInventoryLineOfTheMaxLength: REFERENCE §12.1 refuses a line over
// 65,536 bytes, `line too long (max 65536 bytes)`, as cfkd -c reads its
// config: a line of 65,536 bytes is taken (with "\n" or "\r\n"), one
// byte more is refused. The scanner's 64 KiB held the "\n" too, so a
// line of 65,536 bytes was refused saying the max was its own length.
func TestInventoryLineOfTheMaxLength(t *testing.T) {
	line := func(n int) string {
		l := "host b addr=127.0.0.4:7000 tags="
		l += strings.Repeat("t,", (n-len(l))/2)
		return l + strings.Repeat("u", n-len(l))
	}
	for _, eol := range []string{"\n", "\r\n", ""} {
		text := "host a addr=127.0.0.3:7000\n" + line(65536) + eol
		if inv, err := ParseInventory(strings.NewReader(text), "inventory"); err != nil || len(inv) != 2 {
			t.Errorf("a line of 65536 bytes, ending %q: %v", eol, err)
		}
		text = "host a addr=127.0.0.3:7000\n" + line(65537) + eol
		if _, err := ParseInventory(strings.NewReader(text), "inventory"); err == nil || err.Error() != "inventory:2: line too long (max 65536 bytes)" {
			t.Errorf("a line of 65537 bytes, ending %q: %v, want inventory:2: line too long (max 65536 bytes)", eol, err)
		}
	}
}
