package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// supervisor is one supervisord started by the tool, on a generated
// configuration in its own directory, driven through XML-RPC.
type supervisor struct {
	dir, sock string
	cmd       *exec.Cmd
	exited    chan struct{}
	rpc       *rpc
}

// svProgram is one [program:NAME] section.
type svProgram struct {
	name, command, extra string
}

// sleepPrograms are the N sleeps: started only when told, up at once
// (startsecs is whole seconds: 0 is the closest to cfkd's 0.1), output
// discarded (they write none).
func sleepPrograms(n int) []svProgram {
	ps := make([]svProgram, n)
	for i := range ps {
		ps[i] = svProgram{name: fmt.Sprintf("s%d", i), command: "sleep 1000",
			extra: "startsecs=0\nstdout_logfile=NONE\nstderr_logfile=NONE\n"}
	}
	return ps
}

// startSupervisord writes a configuration with progs under dir, runs bin
// in the foreground and waits until it answers getState RUNNING.
func startSupervisord(cl *cleaner, bin, dir string, progs []svProgram) (*supervisor, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	s := &supervisor{dir: dir, sock: filepath.Join(dir, "supervisor.sock"), exited: make(chan struct{})}
	s.rpc = newRPC(s.sock)
	var b strings.Builder
	fmt.Fprintf(&b, "[unix_http_server]\nfile=%s\n\n", s.sock)
	fmt.Fprintf(&b, "[supervisord]\nnodaemon=true\nlogfile=%s\npidfile=%s\nchildlogdir=%s\nminfds=%d\nminprocs=%d\n\n",
		filepath.Join(dir, "supervisord.log"), filepath.Join(dir, "supervisord.pid"), dir,
		max(1024, 4*len(progs)+64), 200)
	b.WriteString("[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n")
	for _, p := range progs {
		fmt.Fprintf(&b, "[program:%s]\ncommand=%s\nautostart=false\n%s\n", p.name, p.command, p.extra)
	}
	conf := filepath.Join(dir, "supervisord.conf")
	if err := os.WriteFile(conf, []byte(b.String()), 0o600); err != nil {
		return nil, err
	}
	out, err := os.Create(filepath.Join(dir, "supervisord.stderr"))
	if err != nil {
		return nil, err
	}
	defer out.Close()
	s.cmd = exec.Command(bin, "-n", "-c", conf)
	s.cmd.Env = cl.env()
	s.cmd.Stdout, s.cmd.Stderr = out, out
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { s.cmd.Wait(); close(s.exited) }()
	cl.add(s.shutdown)
	var state any
	ok := until(60*time.Second, 20*time.Millisecond, func() bool {
		select {
		case <-s.exited:
			return true
		default:
		}
		st, err := s.rpc.call("supervisor.getState")
		if m, isMap := st.(map[string]any); err == nil && isMap {
			state = m["statename"]
		}
		return state == "RUNNING"
	})
	select {
	case <-s.exited:
		return nil, fmt.Errorf("supervisord exited at start (see %s)", out.Name())
	default:
	}
	if !ok {
		return nil, fmt.Errorf("supervisord never came up on %s", s.sock)
	}
	return s, nil
}

func (s *supervisor) pid() int { return s.cmd.Process.Pid }

// shutdown asks supervisord to shut down, waits, and SIGKILLs it after a
// deadline.
func (s *supervisor) shutdown() {
	select {
	case <-s.exited:
		return
	default:
	}
	if _, err := s.rpc.call("supervisor.shutdown"); err != nil {
		s.cmd.Process.Signal(syscall.SIGTERM) // also a clean shutdown
	}
	s.rpc.close()
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		logf("supervisord ignored shutdown: SIGKILL")
		s.cmd.Process.Kill()
		<-s.exited
	}
}

// procInfo is what the benchmark reads of getAllProcessInfo.
type procInfo struct {
	name, state string
	pid         int
}

func (s *supervisor) infos() ([]procInfo, error) {
	res, err := s.rpc.call("supervisor.getAllProcessInfo")
	if err != nil {
		return nil, err
	}
	arr, ok := res.([]any)
	if !ok {
		return nil, fmt.Errorf("getAllProcessInfo: unexpected %T", res)
	}
	out := make([]procInfo, 0, len(arr))
	for _, e := range arr {
		m, _ := e.(map[string]any)
		name, _ := m["name"].(string)
		state, _ := m["statename"].(string)
		pid, _ := m["pid"].(int)
		out = append(out, procInfo{name: name, state: state, pid: pid})
	}
	return out, nil
}

// supervisordVersion is `supervisord --version`, or "" when bin fails.
func supervisordVersion(bin string) string {
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
