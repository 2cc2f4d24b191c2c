package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
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
// longer records cost before any supervisor's code runs. The raw copier
// (-copier) reads the same pipe alike and writes the bytes as they are:
// the pipe's cost alone, which the floor's ratio includes.

// formatterRead is the floor's read size; formatterPipe the size it
// asks for its pipe (cfkd's grownRead and grownPipe).
const (
	formatterRead = 128 << 10
	formatterPipe = 1 << 20
)

// openFloor opens a floor's file at path (created, truncated) and grows
// its stdin pipe as cfkd grows a flooding service's.
func openFloor(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	syscall.Syscall(syscall.SYS_FCNTL, 0, syscall.F_SETPIPE_SZ, formatterPipe) // refused: the default size
	return f, nil
}

// readStdin is one read(2) of stdin into b, again after EINTR.
func readStdin(b []byte) (int, error) {
	for {
		n, err := syscall.Read(0, b)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("read: %w", err)
		}
		return n, nil
	}
}

// formatLines is the -formatter mode: stdin's lines, each as a record,
// into the file at path (created, truncated). A line longer than its
// read buffer, or a read that fails, is an error: the floor must do the
// whole job or say it did not.
func formatLines(path string) error {
	f, err := openFloor(path)
	if err != nil {
		return err
	}
	defer f.Close()
	in := make([]byte, formatterRead)
	out := make([]byte, 0, 2*formatterRead)
	tail := strconv.Itoa(os.Getppid()) + " INFO service.logw.out - "
	header := func() []byte {
		head := time.Now().AppendFormat(nil, "2006-01-02T15:04:05.000Z07:00")
		return append(append(head, ' '), tail...)
	}
	part := 0 // bytes of a partial line kept at the start of in
	for {
		if part == len(in) {
			return fmt.Errorf("a line longer than %d bytes", len(in))
		}
		n, err := readStdin(in[part:])
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
		head := header()
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
	if part > 0 { // the last line, without its "\n"
		if _, err := f.Write(append(append(header(), in[:part]...), '\n')); err != nil {
			return err
		}
	}
	return nil
}

// copyRaw is the -copier mode: stdin's bytes as they are into the file at
// path (created, truncated), read as the formatter reads them (its pipe
// grown alike, formatterRead at a time), each read written with one
// write(2). It is the pipe's own cost: what a supervisor that copies
// the bytes, with no record, takes at least (supervisord does).
func copyRaw(path string) error {
	f, err := openFloor(path)
	if err != nil {
		return err
	}
	defer f.Close()
	in := make([]byte, formatterRead)
	for {
		n, err := readStdin(in)
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		if _, err := f.Write(in[:n]); err != nil {
			return err
		}
	}
}

// Floors of the log rows: the mode of this tool the writer's output goes
// through, and the file it writes.
const (
	floorFormatter = "-formatter" // records, as cfkd writes them (formatLines)
	floorCopier    = "-copier"    // the bytes as they are (copyRaw)
)

// logFloor runs the writer into mode (floorFormatter or floorCopier) of
// this tool and returns the lines per second, from the writer's start to
// the end of both. The pipe's ends are each held by one process only, so
// that either one's failure ends the other (EOF, EPIPE) and nothing
// waits forever.
func logFloor(cl *cleaner, dir string, n int, each bool, mode string) (float64, error) {
	argv, err := writerArgv(n)
	if err != nil {
		return 0, err
	}
	path := filepath.Join(dir, strings.TrimPrefix(mode, "-")+".log")
	r, w, err := os.Pipe()
	if err != nil {
		return 0, err
	}
	formatter := exec.Command(argv[0], mode, path)
	formatter.Env, formatter.Stdin, formatter.Stderr = cl.env(), r, os.Stderr
	err = formatter.Start()
	r.Close()
	if err != nil {
		w.Close()
		return 0, err
	}
	writer := exec.Command(argv[0], argv[1:]...)
	writer.Env, writer.Stdout, writer.Stderr = cl.env(eachEnv(each)), w, os.Stderr
	t0 := time.Now()
	werr := writer.Start()
	w.Close()
	if werr == nil {
		werr = writer.Wait()
	}
	ferr := formatter.Wait()
	el := time.Since(t0)
	if werr != nil || ferr != nil {
		return 0, fmt.Errorf("log floor %s: writer: %v, floor: %v", mode, werr, ferr)
	}
	if got := (&lineCounter{path: path}).count(); got != n {
		return 0, fmt.Errorf("log floor %s: %d lines in %s, want %d", mode, got, path, n)
	}
	return float64(n) / el.Seconds(), nil
}
