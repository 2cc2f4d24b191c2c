//go:build linux && !cfkportable

package osproc

import (
	"encoding/binary"
	"errors"
)

// The fork server's wire format (spawn_linux.go): one datagram a request,
// one a reply, between two processes of the same binary. It was JSON; the
// helper's decoding of the environment was then a third of its CPU in a
// mass start, for a format nobody else reads. Integers are little-endian
// uint32; a string or a list is its count, then its items.
//
//	request: version, flags (setsid, uid, nosetgroups), fds, uid, gid,
//	         path, dir, argv, env, groups
//	reply:   pid, errno (pid -1 with an errno: the child failed after
//	         its fork, childFailed; -2: the helper could not take
//	         cfkd's limits, notServed; 0: the fork failed)
//
// A request that does not decode (truncated, a count past its end, bytes
// left over, another version, unknown flags, a uid without its flag) is
// refused with EINVAL, never guessed at: each request has one encoding.

const forkWireVersion = 1

const (
	wireSetsid = 1 << iota
	wireUid
	wireNoSetGroups
)

var errForkWire = errors.New("fork request: malformed")

// appendForkRequest encodes req after b.
func appendForkRequest(b []byte, req forkRequest) []byte {
	var flags byte
	if req.Setsid {
		flags |= wireSetsid
	}
	var uid uint32
	if req.Uid != nil {
		flags |= wireUid
		uid = *req.Uid
	}
	if req.NoSetGroups {
		flags |= wireNoSetGroups
	}
	b = append(b, forkWireVersion, flags)
	b = binary.LittleEndian.AppendUint32(b, uint32(req.Fds))
	b = binary.LittleEndian.AppendUint32(b, uid)
	b = binary.LittleEndian.AppendUint32(b, req.Gid)
	b = appendWireString(b, req.Path)
	b = appendWireString(b, req.Dir)
	b = appendWireStrings(b, req.Argv)
	b = appendWireStrings(b, req.Env)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(req.Groups)))
	for _, g := range req.Groups {
		b = binary.LittleEndian.AppendUint32(b, g)
	}
	return b
}

func appendWireString(b []byte, s string) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

func appendWireStrings(b []byte, ss []string) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(ss)))
	for _, s := range ss {
		b = appendWireString(b, s)
	}
	return b
}

// wireReader decodes from b; the first error sticks.
type wireReader struct {
	b   []byte
	err error
}

func (r *wireReader) uint32() uint32 {
	if r.err != nil || len(r.b) < 4 {
		r.err = errForkWire
		return 0
	}
	v := binary.LittleEndian.Uint32(r.b)
	r.b = r.b[4:]
	return v
}

func (r *wireReader) string() string {
	n := r.uint32()
	if r.err != nil || uint64(n) > uint64(len(r.b)) {
		r.err = errForkWire
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

// count reads a list's count, refused when its items (each at least
// min bytes) could not fit in what is left: a bogus count never makes a
// large allocation.
func (r *wireReader) count(min int) int {
	n := r.uint32()
	if r.err != nil || uint64(n)*uint64(min) > uint64(len(r.b)) {
		r.err = errForkWire
		return 0
	}
	return int(n)
}

func (r *wireReader) strings() []string {
	n := r.count(4)
	if n == 0 {
		return nil
	}
	ss := make([]string, n)
	for i := range ss {
		ss[i] = r.string()
	}
	return ss
}

// decodeForkRequest decodes one request, all of b.
func decodeForkRequest(b []byte) (forkRequest, error) {
	var req forkRequest
	if len(b) < 2 || b[0] != forkWireVersion {
		return req, errForkWire
	}
	flags := b[1]
	r := wireReader{b: b[2:]}
	req.Fds = int(r.uint32())
	uid := r.uint32()
	req.Gid = r.uint32()
	req.Path = r.string()
	req.Dir = r.string()
	req.Argv = r.strings()
	req.Env = r.strings()
	if n := r.count(4); n > 0 {
		req.Groups = make([]uint32, n)
		for i := range req.Groups {
			req.Groups[i] = r.uint32()
		}
	}
	if r.err != nil || len(r.b) != 0 || flags&^(wireSetsid|wireUid|wireNoSetGroups) != 0 || flags&wireUid == 0 && uid != 0 {
		return forkRequest{}, errForkWire
	}
	req.Setsid = flags&wireSetsid != 0
	req.NoSetGroups = flags&wireNoSetGroups != 0
	if flags&wireUid != 0 {
		req.Uid = &uid
	}
	return req, nil
}

// appendForkReply encodes rep after b.
func appendForkReply(b []byte, rep forkReply) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(int32(rep.Pid)))
	return binary.LittleEndian.AppendUint32(b, uint32(int32(rep.Errno)))
}

// decodeForkReply decodes one reply, all of b.
func decodeForkReply(b []byte) (forkReply, error) {
	if len(b) != 8 {
		return forkReply{}, errForkWire
	}
	return forkReply{
		Pid:   int(int32(binary.LittleEndian.Uint32(b))),
		Errno: int(int32(binary.LittleEndian.Uint32(b[4:]))),
	}, nil
}

// requestSize is the encoded size of req, for one allocation.
func requestSize(req forkRequest) int {
	n := 2 + 3*4 + 4 + len(req.Path) + 4 + len(req.Dir) + 3*4 + 4*len(req.Groups) // + the 3 counts
	for _, s := range req.Argv {
		n += 4 + len(s)
	}
	for _, s := range req.Env {
		n += 4 + len(s)
	}
	return n
}
