package messages

// envBuilder gathers the add_env lines of one service or proxy of a text
// (declareText) at a constant cost each: withEnv copies the list for each
// line, N lines against K keys cost N×K, and a 64 KiB `command apply` line
// inflates to 16 MiB of them, parsed before the rights check (REFERENCE
// §1.4, §5.1). The list it makes is withEnv's: a key set again moves to
// the end with its new value, an unset empties it.
type envBuilder struct {
	at   map[string]int // the live entry of each key in vars
	vars []EnvVar
	dead []bool // vars[i] was replaced by a later one
}

func (b *envBuilder) set(v Value) {
	if v.Unset {
		*b = envBuilder{}
		return
	}
	if b.at == nil {
		b.at = map[string]int{}
	}
	if i, ok := b.at[v.Key]; ok {
		b.dead[i] = true
	}
	b.at[v.Key] = len(b.vars)
	b.vars = append(b.vars, EnvVar{Key: v.Key, Value: v.Str})
	b.dead = append(b.dead, false)
}

// list is the environment, as withEnv would have made it (nil if empty).
func (b *envBuilder) list() []EnvVar {
	if len(b.at) == 0 {
		return nil
	}
	out := make([]EnvVar, 0, len(b.at))
	for i, v := range b.vars {
		if !b.dead[i] {
			out = append(out, v)
		}
	}
	return out
}

// envOwner names a service or a proxy of a text.
type envOwner struct {
	proxy bool
	name  string
}

// takeEnv gathers st into envs when it is an add_env line, and returns the
// statement to declare in its place: the same with an unset add_env (it
// declares the service, and its proxy, as the line would; the list is
// set from envs once the text is read: setEnvs).
func takeEnv(envs map[envOwner]*envBuilder, st Statement) Statement {
	var o envOwner
	var v Value
	switch m := st.(type) {
	case SetServiceAttr:
		if m.Attr != SvcAddEnv {
			return st
		}
		o, v = envOwner{name: m.Service}, m.Value
		m.Value = Value{Unset: true}
		st = m
	case SetProxyAttr:
		if m.Attr != ProxyAddEnv {
			return st
		}
		o, v = envOwner{proxy: true, name: m.Proxy}, m.Value
		m.Value = Value{Unset: true}
		st = m
	default:
		return st
	}
	b := envs[o]
	if b == nil {
		b = &envBuilder{}
		envs[o] = b
	}
	b.set(v)
	return st
}

// setEnvs sets the environment of each service and proxy envs gathered.
func (d Declarations) setEnvs(envs map[envOwner]*envBuilder) {
	for o, b := range envs {
		if o.proxy {
			c := d.Proxies[o.name]
			c.Env = b.list()
			d.Proxies[o.name] = c
			continue
		}
		c := d.Services[o.name]
		c.Env = b.list()
		d.Services[o.name] = c
	}
}
