package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// profile records the whole machine's CPU with `perf record -a -g` into
// -perf DIR/name.data, from now until the returned function is called, and
// cfkd's pid in DIR/name.pid; without -perf it does nothing. System-wide
// rather than `-p pid`: perf following cfkd's children (inherited events)
// slowed a stop of 1,000 from 0.2 to 4 s, and a child's work between fork
// and exec (closing the fds it inherited) is cfkd's cost too: its fork
// events (`perf script --show-task-events`) say which processes are
// cfkd's children. perf starts with its events disabled and is enabled
// through its control FIFO, whose ack says it is recording: the window is
// the phase's. What fails is logged, and the phase goes on unprofiled.
//
// Read a profile with, e.g.:
//
//	perf report -i DIR/n9000-start.data --pid $(cat DIR/n9000-start.pid) --no-children --sort symbol --stdio
func (o *options) profile(pid int, name string) (stop func()) {
	nop := func() {}
	if o.perfDir == "" {
		return nop
	}
	base := filepath.Join(o.perfDir, name)
	ctl, ack := base+".ctl", base+".ack"
	for _, f := range []string{ctl, ack} {
		os.Remove(f)
		if err := syscall.Mkfifo(f, 0o600); err != nil {
			logf("perf %s: %v", name, err)
			return nop
		}
	}
	// O_RDWR: opening a FIFO so never blocks, whether perf opened it yet
	// or not.
	ctlF, err := os.OpenFile(ctl, os.O_RDWR, 0)
	if err != nil {
		logf("perf %s: %v", name, err)
		return nop
	}
	ackF, err := os.OpenFile(ack, os.O_RDWR, 0)
	if err != nil {
		ctlF.Close()
		logf("perf %s: %v", name, err)
		return nop
	}
	closeAll := func() { ctlF.Close(); ackF.Close(); os.Remove(ctl); os.Remove(ack) }
	log, err := os.Create(base + ".log")
	if err != nil {
		closeAll()
		logf("perf %s: %v", name, err)
		return nop
	}
	defer log.Close()
	if err := os.WriteFile(base+".pid", []byte(fmt.Sprintln(pid)), 0o644); err != nil {
		closeAll()
		logf("perf %s: %v", name, err)
		return nop
	}
	cmd := exec.Command("perf", "record", "-a", "-g", "-D", "-1", "--control", "fifo:"+ctl+","+ack,
		"-o", base+".data")
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		closeAll()
		logf("perf %s: %v", name, err)
		return nop
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	end := func() {
		cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		closeAll()
	}
	acked := make(chan bool, 1)
	go func() {
		line, err := bufio.NewReader(ackF).ReadString('\n')
		acked <- err == nil && line == "ack\n"
	}()
	fmt.Fprintln(ctlF, "enable")
	select {
	case ok := <-acked:
		if !ok {
			logf("perf %s: no ack (see %s.log)", name, base)
			end()
			return nop
		}
	case <-exited:
		logf("perf %s: perf exited (see %s.log)", name, base)
		closeAll()
		return nop
	case <-time.After(30 * time.Second):
		logf("perf %s: no ack in 30 s (see %s.log)", name, base)
		end()
		return nop
	}
	logf("perf %s: recording (cfkd is pid %d)", name, pid)
	return end
}

// memSnapshot keeps, with -perf, what the kernel says of cfkd's memory
// (/proc/PID/status and smaps_rollup) in DIR/name.
func (o *options) memSnapshot(pid int, name string) {
	if o.perfDir == "" {
		return
	}
	var b []byte
	for _, f := range []string{"status", "smaps_rollup"} {
		data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/%s", pid, f))
		b = append(append(b, "== "+f+"\n"...), data...)
	}
	if err := os.WriteFile(filepath.Join(o.perfDir, name), b, 0o644); err != nil {
		logf("perf: %v", err)
	}
}

// keep copies, with -perf, the file src (a session's cfkd.stderr: its GC
// trace) to DIR/name.
func (o *options) keep(src, name string) {
	if o.perfDir == "" {
		return
	}
	data, err := os.ReadFile(src)
	if err == nil {
		err = os.WriteFile(filepath.Join(o.perfDir, name), data, 0o644)
	}
	if err != nil {
		logf("perf: %v", err)
	}
}
