package fleet

import (
	"strings"
	"testing"
)

// An inventory's addresses: a port that is no port stops the hub (REFERENCE
// §12.1: a bad line stops cfkd), and one address spelled two ways is one.
func TestInventoryAddresses(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"host a addr=127.0.0.9:abc\n", "inventory:1: addr=127.0.0.9:abc: want HOST:PORT, PORT from 1 to 65535"},
		{"host a addr=127.0.0.9:99999\n", "inventory:1: addr=127.0.0.9:99999: want HOST:PORT, PORT from 1 to 65535"},
		{"host a addr=127.0.0.9:-1\n", "inventory:1: addr=127.0.0.9:-1: want HOST:PORT, PORT from 1 to 65535"},
		{"host a addr=127.0.0.9:0\n", "inventory:1: addr=127.0.0.9:0: want HOST:PORT, PORT from 1 to 65535"},
		{"host a addr=127.0.0.3:17100\nhost b addr=127.0.0.3:017100\n", "inventory:2: address 127.0.0.3:017100 already that of line 1"},
		// a wildcard, which no member's --fleet-listen is: the host was
		// down for good, `cannot connect to 0.0.0.0:7000`
		// a NUL or an escape sequence is not written raw to a terminal
		{"host a addr=127.0.0.9:7000\x00\n", `inventory:1: addr=127.0.0.9:7000\x00: want HOST:PORT, PORT from 1 to 65535`},
		{"host a addr=\x1bc:7000\nhost b addr=\x1bc:7000\n", `inventory:2: address \x1bc:7000 already that of line 1`},
		{"host a addr=0.0.0.0:7000\n", "inventory:1: addr=0.0.0.0:7000: want the host's --fleet-listen, the address it is reached at, not a wildcard"},
		{"host a addr=[::]:7000\n", "inventory:1: addr=[::]:7000: want the host's --fleet-listen, the address it is reached at, not a wildcard"},
		// an attribute given twice: the first addr= was dropped, the tags
		// merged
		{"host a addr=127.0.0.3:7000 addr=127.0.0.4:7000\n", "inventory:1: 'addr=' given twice: want 'host NAME addr=HOST:PORT [tags=TAG,TAG]'"},
		{"host a tags=web addr=127.0.0.3:7000 tags=eu\n", "inventory:1: 'tags=' given twice: want 'host NAME addr=HOST:PORT [tags=TAG,TAG]'"},
	} {
		_, err := ParseInventory(strings.NewReader(tc.text), "inventory")
		if err == nil || err.Error() != tc.want {
			t.Errorf("%q: %v, want %q", tc.text, err, tc.want)
		}
	}
	for _, text := range []string{"host a addr=[::1]:7000\nhost b addr=[0::1]:7000\n", "host a addr=H1:7000\nhost b addr=h1:7000\n"} {
		if _, err := ParseInventory(strings.NewReader(text), "inventory"); err == nil || !strings.Contains(err.Error(), "already that of line 1") {
			t.Errorf("%q: %v, want the second address refused", text, err)
		}
	}
	// a line longer than a line may be, named as cfkd -c names it: it was
	// `inventory: bufio.Scanner: token too long`, no line said
	long := "host a addr=127.0.0.3:7000\nhost b addr=127.0.0.4:7000 tags=" + strings.Repeat("t,", 40000) + "\n"
	if _, err := ParseInventory(strings.NewReader(long), "inventory"); err == nil || err.Error() != "inventory:2: line too long (max 65536 bytes)" {
		t.Errorf("a line of 80,000 bytes: %v, want inventory:2: line too long (max 65536 bytes)", err)
	}
	// kept as written: it is the member's --fleet-listen, which names it
	inv, err := ParseInventory(strings.NewReader("host a addr=10.0.0.2:07000\n"), "inventory")
	if err != nil || inv[0].Addr != "10.0.0.2:07000" {
		t.Errorf("a port with a leading zero: %+v, %v", inv, err)
	}
}

// An inventory that an editor saved with a UTF-8 byte order mark is read
// as cfkd -c reads a config file so saved: the mark is skipped. It
// refused the first line, `want 'host NAME addr=HOST:PORT ...'`, which
// it was, the mark invisible on a terminal.
func TestInventorySkipsAByteOrderMark(t *testing.T) {
	hosts, err := ParseInventory(strings.NewReader("\xef\xbb\xbfhost web1 addr=127.0.0.2:7000\r\n"), "inventory")
	if err != nil || len(hosts) != 1 || hosts[0].Name != "web1" {
		t.Fatalf("ParseInventory: %v, %v; want host web1", hosts, err)
	}
}
