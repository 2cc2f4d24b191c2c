package actors

import "github.com/cfk/cfk/messages"

// envOwn is the environment of a service's add_env lines, kept so that a
// line adding a new key costs a constant, amortized: each line copied the
// whole list (messages' withEnv), and 20,000 add_env lines on one service
// took cfkd 9.4 s of CPU in its controller (5,000: 1 s), quadratic.
//
// The declarations handed out (to the service's actor, as e.run, ...) are
// never changed: each holds a prefix of arr, of at most used entries, and
// a new key is written at arr[used], past every one of them. The current
// declaration's list is arr[:used] exactly, or the list is not this one
// (an apply, a key set again, an unset, a failed declaration after the
// append) and is copied into a new arr first.
type envOwn struct {
	arr  []messages.EnvVar
	used int
	keys map[string]struct{} // the keys of arr[:used]
}

// minOwnedEnv: a list shorter than that is copied by withEnv as cheaply.
const minOwnedEnv = 32

// appendEnv returns e's environment with v added (a key it lacks), and
// true; false when withEnv must make it (an unset, a key set again, a
// short list).
func (e *entry) appendEnv(v messages.Value) ([]messages.EnvVar, bool) {
	env := e.cfg.Env
	if v.Unset || len(env) < minOwnedEnv {
		return nil, false
	}
	o := &e.env
	if o.used != len(env) || &o.arr[0] != &env[0] {
		o.arr = make([]messages.EnvVar, 2*len(env))
		copy(o.arr, env)
		o.used = len(env)
		o.keys = make(map[string]struct{}, 2*len(env))
		for _, x := range env {
			o.keys[x.Key] = struct{}{}
		}
	}
	if _, again := o.keys[v.Key]; again {
		return nil, false // it moves to the end: withEnv
	}
	if o.used == len(o.arr) {
		arr := make([]messages.EnvVar, 2*len(o.arr))
		copy(arr, o.arr[:o.used])
		o.arr = arr
	}
	o.arr[o.used] = messages.EnvVar{Key: v.Key, Value: v.Str}
	o.used++
	o.keys[v.Key] = struct{}{}
	return o.arr[:o.used:o.used], true
}

// appendEnvFor is appendEnv for an add_env declaration of an existing
// service; false for any other.
func (e *entry) appendEnvFor(m messages.SetServiceAttr) ([]messages.EnvVar, bool) {
	if e == nil || m.Attr != messages.SvcAddEnv {
		return nil, false
	}
	return e.appendEnv(m.Value)
}
