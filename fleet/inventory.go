package fleet

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/cfk/cfk/fleet/certs"
	"github.com/cfk/cfk/internal/printable"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/protocol"
)

// Host is one line of a hub's inventory: `host NAME addr=HOST:PORT
// tags=web,eu` (REFERENCE §12.1).
type Host struct {
	Name string
	Addr string // where its cfkd's --fleet-listen is
	Tags []string
}

// HasTag reports whether the host has tag t.
func (h Host) HasTag(t string) bool { return slices.Contains(h.Tags, t) }

// ReadInventory reads an inventory file: one host a line, blank lines and
// `#` comments skipped. A bad line refuses the file (`FILE:N: WHY`).
func ReadInventory(name string) ([]Host, error) {
	f, err := certs.OpenFile(name) // a FIFO would hold cfkd's start for ever
	if err != nil {
		return nil, fmt.Errorf("fleet inventory: %w", err)
	}
	defer f.Close()
	hosts, err := ParseInventory(f, name)
	if err != nil {
		return nil, err
	}
	return hosts, nil
}

// maxInventoryLine is the longest inventory line, without its "\n" or
// "\r\n": a config line's (cfkd -c, protocol.MaxLine).
const maxInventoryLine = 64 << 10

// ParseInventory reads an inventory from r (name is for errors).
func ParseInventory(r interface{ Read([]byte) (int, error) }, name string) ([]Host, error) {
	var hosts []Host
	names, addrs := map[string]int{}, map[string]int{}
	sc := bufio.NewScanner(protocol.NewFileReader(r)) // a byte order mark skipped, as a config file's
	// room for a line of maxInventoryLine bytes and its "\r\n" (the
	// scanner's 64 KiB held the "\n" too: a line of the max length was
	// refused, its error saying that length was the max)
	sc.Buffer(nil, maxInventoryLine+2)
	n := 1
	for ; sc.Scan(); n++ {
		if len(sc.Bytes()) > maxInventoryLine { // its "\r\n" dropped
			return nil, fmt.Errorf("%s:%d: line too long (max %d bytes)", name, n, maxInventoryLine)
		}
		line := messages.Clean(sc.Text())
		if line == "" {
			continue
		}
		h, err := parseHostLine(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, n, err)
		}
		if m, ok := names[h.Name]; ok {
			return nil, fmt.Errorf("%s:%d: host %s already declared on line %d", name, n, h.Name, m)
		}
		// two spellings of one address are one, as cfkctl fleet certs
		// reads them
		same := certs.SameAddr(h.Addr)
		if m, ok := addrs[same]; ok {
			return nil, fmt.Errorf("%s:%d: address %s already that of line %d", name, n, printable.String(h.Addr), m)
		}
		names[h.Name], addrs[same] = n, n
		hosts = append(hosts, h)
	}
	if err := sc.Err(); errors.Is(err, bufio.ErrTooLong) {
		// the line as cfkd -c says it (`bufio.Scanner: token too long`,
		// without a line, was all it said)
		return nil, fmt.Errorf("%s:%d: line too long (max %d bytes)", name, n, maxInventoryLine)
	} else if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return hosts, nil
}

const hostLineUsage = "want 'host NAME addr=HOST:PORT [tags=TAG,TAG]'"

func parseHostLine(line string) (Host, error) {
	w := strings.Fields(line)
	if len(w) < 3 || w[0] != "host" {
		return Host{}, fmt.Errorf("%s", hostLineUsage)
	}
	h := Host{Name: w[1]}
	if !messages.ValidHostName(h.Name) {
		return Host{}, fmt.Errorf("invalid host name %q (letters, digits, '_' and '-')", h.Name)
	}
	seen := map[string]bool{}
	for _, kv := range w[2:] {
		k, v, ok := strings.Cut(kv, "=")
		// one of each: the first was dropped (addr=) or the two merged
		// (tags=), where one may have been meant (a line copied and
		// edited), as hosts= twice is refused (REFERENCE §12.3)
		if ok && (k == "addr" || k == "tags") {
			if seen[k] {
				return Host{}, fmt.Errorf("'%s=' given twice: %s", k, hostLineUsage)
			}
			seen[k] = true
		}
		switch {
		case !ok:
			return Host{}, fmt.Errorf("%q: %s", kv, hostLineUsage)
		case k == "addr":
			host, port, err := net.SplitHostPort(v)
			if err != nil || host == "" || port == "" {
				return Host{}, fmt.Errorf("addr=%s: want HOST:PORT", printable.String(v))
			}
			if p, err := strconv.ParseUint(port, 10, 16); err != nil || p == 0 {
				return Host{}, fmt.Errorf("addr=%s: want HOST:PORT, PORT from 1 to 65535", printable.String(v))
			}
			// no member listens there: --fleet-listen refuses a wildcard
			if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
				return Host{}, fmt.Errorf("addr=%s: want the host's --fleet-listen, the address it is reached at, not a wildcard", printable.String(v))
			}
			// as written: it must be the member's --fleet-listen, which
			// is its address as protoactor's messages name it
			h.Addr = v
		case k == "tags":
			for _, t := range strings.Split(v, ",") {
				if t == "" || h.HasTag(t) {
					continue
				}
				if !messages.ValidTag(t) {
					return Host{}, fmt.Errorf("invalid tag %q (letters, digits, '_', '.' and '-')", t)
				}
				h.Tags = append(h.Tags, t)
			}
		default:
			return Host{}, fmt.Errorf("unknown attribute %q: %s", k, hostLineUsage)
		}
	}
	if h.Addr == "" {
		return Host{}, fmt.Errorf("host %s has no addr=HOST:PORT", h.Name)
	}
	return h, nil
}

// selectHosts returns the indexes, in inventory order, of the hosts that
// refs (names and @tags) select; nil refs select every host. A name that
// is not in the inventory is an error; a tag may select none, but the
// whole selection may not be empty.
func selectHosts(inv []Host, refs []string) ([]int, error) {
	if len(inv) == 0 {
		return nil, fmt.Errorf("the fleet inventory has no host")
	}
	if refs == nil {
		out := make([]int, len(inv))
		for i := range inv {
			out[i] = i
		}
		return out, nil
	}
	take := make([]bool, len(inv))
	for _, r := range refs {
		if tag, ok := strings.CutPrefix(r, "@"); ok {
			for i, h := range inv {
				if h.HasTag(tag) {
					take[i] = true
				}
			}
			continue
		}
		i := slices.IndexFunc(inv, func(h Host) bool { return h.Name == r })
		if i < 0 {
			return nil, fmt.Errorf("unknown host '%s' (not in the fleet inventory)", r)
		}
		take[i] = true
	}
	var out []int
	for i, t := range take {
		if t {
			out = append(out, i)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no host has the tags of hosts=%s", strings.Join(refs, ","))
	}
	return out, nil
}
