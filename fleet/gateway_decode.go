package fleet

import (
	"fmt"

	"github.com/cfk/cfk/messages"
)

// An apply's DATA inflates to 16 MiB of text (REFERENCE §1.4): decoding
// it is heavy work, which the gateway's Receive never does (REFERENCE
// §12.5). A hub's apply is decoded by a goroutine, one at a time for the gateway
// (as many as when the actor decoded them), the others waiting in order;
// the Apply comes back as applyDecoded, and the call's lines go on.

// decodeJob is an apply of call c, read up to its DATA.
type decodeJob struct {
	key callKey
	c   *gwCall
	p   messages.PendingApply
}

// applyDecoded: the apply of call c's line c.parsed, decoded off the
// actor, or the error Parse gives that line.
type applyDecoded struct {
	key callKey
	c   *gwCall
	a   messages.Apply
	err error
}

// String names the apply without its declarations: protoactor logs a
// dead letter with its message (at debug level; one reaches a gateway
// stopped meanwhile), and an add_env value is never logged (REFERENCE
// §5.5).
func (m applyDecoded) String() string {
	what := m.a.Counts()
	if m.err != nil {
		what = m.err.Error()
	}
	return fmt.Sprintf("applyDecoded{hub %s, request %d: %s}", m.key.hub, m.key.id, what)
}

// GoString is String's, for %#v.
func (m applyDecoded) GoString() string { return m.String() }

// decode queues j, and starts it if no apply is being decoded.
func (g *gateway) decode(j decodeJob) {
	g.decodes = append(g.decodes, j)
	g.nextDecode()
}

// nextDecode starts the decoding of the first apply waiting whose call is
// still in flight, unless one is under way.
func (g *gateway) nextDecode() {
	for !g.decoding && len(g.decodes) > 0 {
		j := g.decodes[0]
		g.decodes[0] = decodeJob{}
		g.decodes = g.decodes[1:]
		if g.calls[j.key] != j.c {
			continue // its call ended while it waited
		}
		g.decoding = true
		root, self, hook := g.root, g.self, g.beforeDecode
		go func() {
			if hook != nil {
				hook()
			}
			a, err := j.p.Decode()
			root.Send(self, applyDecoded{key: j.key, c: j.c, a: a, err: err})
		}()
	}
}

// applyDecoded starts the next decoding, then goes on with the call of
// the apply decoded: refused if it does not decode or the policy refuses
// it now (a dry run that declares add_env), parsed on otherwise. The
// result for a call that ended meanwhile is dropped.
func (g *gateway) applyDecoded(m applyDecoded) {
	g.decoding = false
	g.nextDecode()
	c := m.c
	if g.calls[m.key] != c || c.answered || c.parsed >= len(c.req) {
		return
	}
	err := m.err
	if err == nil {
		err = g.check(m.key.hub, m.a, c.req[c.parsed])
	}
	if err != nil {
		g.finish(m.key, c, err)
		return
	}
	c.stmts = append(c.stmts, m.a)
	c.parsed++
	g.parse(m.key, c)
}
