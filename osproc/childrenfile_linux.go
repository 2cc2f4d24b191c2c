package osproc

import (
	"os"

	"golang.org/x/sys/unix"
)

// readChildren reads the pids of one /proc/PID/task/TID/children file.
//
// The file is a seq_file: a read(2) gives one walk of the list of
// children, one page of it at most (and os.ReadFile's first read asks for
// 512 bytes), and the next read(2) starts its walk again by position, the
// number of children listed so far (fs/proc/array.c, children_seq_start).
// A child reaped between two reads (or handed to another thread, its own
// having ended), among those already listed, moves every later one a place
// down: the next read starts a place too far, and the child at the gap is
// skipped although it is alive throughout (os.ReadFile missed one in 1.5%
// of the reads of a list of 3,000 children, 250 of them reaped a second;
// readChildren in none). cfkd's orphan scan then missed an orphan, left
// running unsupervised (REFERENCE §7.5).
//
// One walk skips a child too, even a list that one read(2) gives whole:
// when the child listed just before it is reaped between the two (next,
// by then, looks it up by position). The reaper reaps such a child as a
// stop's clean-up lists the orphans its daemons leave, and the daemon
// adopted right after it, at the list's end, was skipped: the rounds
// ended, and a chain of daemons ran on. So every list is read again,
// whole, until a read lists every pid of the one before it (at most
// childrenReads reads; twice when no child is reaped meanwhile): a child is skipped only when a child listed before it is gone
// from the list by the next read(2) (children are appended at the list's
// end, never inserted: the children listed and still there fill the
// positions before it), and such a child is not in the read after
// (unless its pid went round pid_max to a new child meanwhile). That read
// proves the one before it whole; the pids of every read are kept
// (each once), so a child skipped by one read and listed by another is
// there too. When the children go on being reaped through every read,
// the pids of all of them are kept: a child missed then was skipped by
// each. Pids of processes reaped meanwhile may be listed: callers read
// each pid's stat, and leave out those gone.
func readChildren(path string) ([]int, error) {
	text, err := readChildrenText(path)
	if err != nil {
		return nil, err
	}
	prev := appendPids(nil, text)
	pids := append([]int(nil), prev...)
	listed := make(map[int]bool, len(prev))
	for _, pid := range prev {
		listed[pid] = true
	}
	for range childrenReads - 1 {
		text, err := readChildrenText(path)
		if err != nil {
			break // the process ended: what was read stands
		}
		cur := appendPids(nil, text)
		in := make(map[int]bool, len(cur))
		for _, pid := range cur {
			in[pid] = true
			if !listed[pid] {
				listed[pid] = true
				pids = append(pids, pid)
			}
		}
		if containsAll(in, prev) {
			break
		}
		prev = cur
	}
	return pids, nil
}

// childrenReads bounds the reads of a children file read in pieces
// (readChildren): the first one and the reads again.
const childrenReads = 4

// containsAll says whether every pid of pids is in set.
func containsAll(set map[int]bool, pids []int) bool {
	for _, pid := range pids {
		if !set[pid] {
			return false
		}
	}
	return true
}

// readChildrenText reads a children file to its end, childrenReadSize
// bytes a read(2) at most. The text may have skipped a child (see
// readChildren), whatever the number of reads it took.
func readChildrenText(path string) (text []byte, err error) {
	read, closeFile, err := openChildren(path)
	if err != nil {
		return nil, err
	}
	defer closeFile()
	size := childrenReadSize()
	for {
		if cap(text)-len(text) < size {
			text = append(text[:cap(text)], make([]byte, size)...)[:len(text)]
		}
		n, err := read(text[len(text) : len(text)+size])
		switch {
		case err == unix.EINTR:
		case err != nil:
			return nil, err
		case n == 0:
			return text, nil
		default:
			text = text[:len(text)+n]
		}
	}
}

// childrenReadSize is the size of one read(2) of a children file: a page,
// all one walk of the list gives (a test makes it smaller, to read a
// short list in many pieces).
var childrenReadSize = os.Getpagesize

// openChildren opens a children file: read is one read(2) of it (a test
// puts a list that changes between two reads in its place).
var openChildren = func(path string) (read func(b []byte) (int, error), closeFile func(), err error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return func(b []byte) (int, error) { return unix.Read(fd, b) }, func() { unix.Close(fd) }, nil
}
