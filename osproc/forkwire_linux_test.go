//go:build linux && !cfkportable

package osproc

import (
	"bytes"
	"reflect"
	"testing"
)

func wireSamples() []forkRequest {
	uid := uint32(1000)
	return []forkRequest{
		{Path: "/bin/sleep", Argv: []string{"sleep", "1000"}, Fds: 3},
		{
			Path: "/usr/bin/env", Argv: []string{"env", "", "a b\x00c", "é"},
			Env: []string{"PATH=/bin", "CONTROL_FREAK_SERVICE=web", "EMPTY="}, Dir: "/srv/app",
			Setsid: true, Uid: &uid, Gid: 100, Groups: []uint32{100, 27, 0}, NoSetGroups: true, Fds: 5,
		},
		{Path: "x", Argv: []string{"x"}, Uid: new(uint32)}, // uid 0 is root, not "no uid"
	}
}

// Every field survives the trip, and the size forkExec allocates is exact.
func TestForkWireRoundTrip(t *testing.T) {
	for _, req := range wireSamples() {
		b := appendForkRequest(nil, req)
		if len(b) != requestSize(req) {
			t.Errorf("%v: encoded %d bytes, requestSize says %d", req.Argv, len(b), requestSize(req))
		}
		got, err := decodeForkRequest(b)
		if err != nil {
			t.Fatalf("%v: %v", req.Argv, err)
		}
		if !reflect.DeepEqual(got, req) {
			t.Errorf("decoded %+v, want %+v", got, req)
		}
	}
	for _, rep := range []forkReply{{Pid: 4194304}, {Errno: 2}, {Pid: -1, Errno: 11}} {
		got, err := decodeForkReply(appendForkReply(nil, rep))
		if err != nil || got != rep {
			t.Errorf("reply %+v came back as %+v, %v", rep, got, err)
		}
	}
}

// A request cut anywhere, with a byte too many, of another version or with
// unknown flags is refused; a count larger than the datagram is refused
// before anything is allocated for it.
func TestForkWireRefusesMalformed(t *testing.T) {
	b := appendForkRequest(nil, wireSamples()[1])
	for n := range len(b) {
		if _, err := decodeForkRequest(b[:n]); err == nil {
			t.Fatalf("a request cut at %d of %d bytes decoded", n, len(b))
		}
	}
	if _, err := decodeForkRequest(append(bytes.Clone(b), 0)); err == nil {
		t.Error("a request with a trailing byte decoded")
	}
	other := bytes.Clone(b)
	other[0] = forkWireVersion + 1
	if _, err := decodeForkRequest(other); err == nil {
		t.Error("a request of another version decoded")
	}
	other = bytes.Clone(b)
	other[1] |= 0x80
	if _, err := decodeForkRequest(other); err == nil {
		t.Error("a request with an unknown flag decoded")
	}
	// argv's count (after version, flags, 3 numbers, path and dir) set
	// to 2^32-1
	req := forkRequest{Path: "p", Argv: []string{"a"}}
	huge := appendForkRequest(nil, req)
	off := 2 + 12 + 4 + 1 + 4
	copy(huge[off:], []byte{0xff, 0xff, 0xff, 0xff})
	if _, err := decodeForkRequest(huge); err == nil {
		t.Error("a request whose argv count exceeds the datagram decoded")
	}
	for _, n := range []int{0, 7, 9} {
		if _, err := decodeForkReply(make([]byte, n)); err == nil {
			t.Errorf("a reply of %d bytes decoded", n)
		}
	}
}

// Whatever the helper receives, decoding never panics, and what decodes
// encodes back to the same bytes (one encoding per request).
func FuzzForkRequest(f *testing.F) {
	for _, req := range wireSamples() {
		f.Add(appendForkRequest(nil, req))
	}
	f.Add([]byte{forkWireVersion, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := decodeForkRequest(b)
		if err != nil {
			return
		}
		if again := appendForkRequest(nil, req); !bytes.Equal(again, b) {
			t.Fatalf("%x decoded to %+v, which encodes as %x", b, req, again)
		}
	})
}
