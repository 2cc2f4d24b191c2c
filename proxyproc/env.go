package proxyproc

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// The environment variables cfkd sets for a proxy (REFERENCE §4.1).
const (
	EnvCommandFd  = "_CFK_COMMAND_FD"
	EnvStatusFd   = "_CFK_STATUS_FD"
	EnvLogFd      = "_CFK_LOG_FD"
	EnvSockPrefix = "_CFK_SOCK_"
)

// Pipes are the fds a proxy inherited from cfkd.
type Pipes struct {
	Command, Status, Log *os.File
	Sockets              map[string]*os.File
}

// PipesFromEnv opens the fds named by the _CFK_* variables of env. Each fd
// must be open; a socket fd that is not is skipped (listed in skipped), so
// that one bad socket does not stop the proxy.
func PipesFromEnv(env []string) (p Pipes, skipped []string, err error) {
	vars := map[string]string{}
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "_CFK_") {
			vars[k] = v
		}
	}
	open := func(key string) (*os.File, error) {
		v, ok := vars[key]
		if !ok {
			return nil, fmt.Errorf("%s: not set (this program is run by cfkd as a proxy)", key)
		}
		fd, err := strconv.Atoi(v)
		if err != nil || fd < 0 {
			return nil, fmt.Errorf("%s: not an fd: %q", key, v)
		}
		var st syscall.Stat_t
		if err := syscall.Fstat(fd, &st); err != nil {
			return nil, fmt.Errorf("%s: fd %d: %w", key, fd, err)
		}
		return os.NewFile(uintptr(fd), key), nil
	}
	if p.Command, err = open(EnvCommandFd); err != nil {
		return Pipes{}, nil, err
	}
	if p.Status, err = open(EnvStatusFd); err != nil {
		return Pipes{}, nil, err
	}
	if p.Log, err = open(EnvLogFd); err != nil {
		return Pipes{}, nil, err
	}
	p.Sockets = map[string]*os.File{}
	for k := range vars {
		name, ok := strings.CutPrefix(k, EnvSockPrefix)
		if !ok || name == "" {
			continue
		}
		f, err := open(k)
		if err != nil {
			skipped = append(skipped, "socket skipped: "+err.Error())
			continue
		}
		p.Sockets[name] = f
	}
	sort.Strings(skipped)
	return p, skipped, nil
}

// ChildEnv is the environment of a service (REFERENCE §2.4): base (the proxy's
// own, without its _CFK_* variables, whose fds the service does not get),
// then the service's env, then CONTROL_FREAK_ENABLED=1 and
// CONTROL_FREAK_SERVICE=name. A later value replaces an earlier one in
// place; each name appears once.
func ChildEnv(base []string, add map[string]string, name string) []string {
	out := make([]string, 0, len(base)+len(add)+2)
	index := make(map[string]int, len(base)+len(add)+2)
	set := func(k, v string) {
		kv := k + "=" + v
		if i, ok := index[k]; ok {
			out[i] = kv
			return
		}
		index[k] = len(out)
		out = append(out, kv)
	}
	for _, kv := range base {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || strings.HasPrefix(k, "_CFK_") {
			continue
		}
		set(k, v)
	}
	keys := make([]string, 0, len(add))
	for k := range add {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		set(k, add[k])
	}
	set("CONTROL_FREAK_ENABLED", "1")
	set("CONTROL_FREAK_SERVICE", name)
	return out
}
