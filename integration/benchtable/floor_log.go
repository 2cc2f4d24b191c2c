package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// The log floor: what any supervisor that writes each line as a record
// must at least do, done by the simplest program. The same writer's
// output goes through a pipe to this tool's -formatter mode, one thread
// that reads the pipe 128 KiB at a time (on a pipe grown to 1 MiB, as
// cfkd grows a flooding service's), puts a record header of cfkd's
// length before each line (time with milliseconds read once per read,
// pid, level, category), and writes each read's records with one
// write(2). No timestamps per line, no queue, no other service, no
// actor: the row that compares cfkd with it shows cfkd's own cost, and
// the floor's ratio to the direct writer shows what the pipe and the
// longer records cost before any supervisor's code runs.

// formatterRead is the floor's read size; formatterPipe the size it
// asks for its pipe (cfkd's grownRead and grownPipe).
const (
	formatterRead = 128 << 10
	formatterPipe = 1 << 20
)

// formatLines is the -formatter mode: stdin's lines, each as a record,
// into the file at path (created, truncated).
func formatLines(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	syscall.Syscall(syscall.SYS_FCNTL, 0, syscall.F_SETPIPE_SZ, formatterPipe) // refused: the default size
	in := make([]byte, formatterRead)
	out := make([]byte, 0, 2*formatterRead)
	tail := strconv.Itoa(os.Getppid()) + " INFO service.logw.out - "
	part := 0 // bytes of a partial line kept at the start of in
	for {
		n, err := syscall.Read(0, in[part:])
		if err == syscall.EINTR {
			continue
		}
		if n <= 0 {
			break
		}
		head := time.Now().AppendFormat(nil, "2006-01-02T15:04:05.000Z07:00")
		head = append(append(head, ' '), tail...)
		data := in[:part+n]
		out = out[:0]
		for {
			nl := bytes.IndexByte(data, '\n')
			if nl < 0 {
				break
			}
			out = append(append(out, head...), data[:nl+1]...)
			data = data[nl+1:]
		}
		if _, err := f.Write(out); err != nil {
			return err
		}
		part = copy(in, data)
	}
	return nil
}

// logFloor runs the writer into the -formatter mode of this tool and
// returns the lines per second, from the writer's start to the end of
// both.
func logFloor(cl *cleaner, dir string, n int, each bool) (float64, error) {
	argv, err := writerArgv(n)
	if err != nil {
		return 0, err
	}
	path := filepath.Join(dir, "floor.log")
	r, w, err := os.Pipe()
	if err != nil {
		return 0, err
	}
	writer := exec.Command(argv[0], argv[1:]...)
	writer.Env, writer.Stdout = cl.env(eachEnv(each)), w
	formatter := exec.Command(argv[0], "-formatter", path)
	formatter.Env, formatter.Stdin = cl.env(), r
	t0 := time.Now()
	if err := formatter.Start(); err != nil {
		r.Close()
		w.Close()
		return 0, err
	}
	werr := writer.Run()
	w.Close()
	ferr := formatter.Wait()
	el := time.Since(t0)
	r.Close()
	if werr != nil || ferr != nil {
		return 0, fmt.Errorf("log floor: writer %v, formatter %v", werr, ferr)
	}
	if got := (&lineCounter{path: path}).count(); got != n {
		return 0, fmt.Errorf("log floor: %d lines in %s, want %d", got, path, n)
	}
	return float64(n) / el.Seconds(), nil
}
