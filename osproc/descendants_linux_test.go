package osproc

import (
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// Descendants lists a child with its start time, which ReadProc gives
// too: the pair names that process, not a later one with its pid.
func TestDescendantsWithStartTimes(t *testing.T) {
	cmd := exec.Command("/bin/sh", "-c", "sleep 30 & wait")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	var grandchild int
	for end := time.Now().Add(10 * time.Second); grandchild == 0; time.Sleep(10 * time.Millisecond) {
		for pid := range Descendants([]int{cmd.Process.Pid}) {
			grandchild = pid
		}
		if grandchild == 0 && time.Now().After(end) {
			t.Fatal("the shell's sleep never showed")
		}
	}
	// the shell's child: killed before the shell (cleanups run last first)
	t.Cleanup(func() { syscall.Kill(grandchild, syscall.SIGKILL) })
	d := Descendants([]int{os.Getpid()})
	p, ok := ReadProc(cmd.Process.Pid)
	if !ok || p.Start == 0 {
		t.Fatalf("ReadProc(%d): %+v %v, want a start time", cmd.Process.Pid, p, ok)
	}
	if start, listed := d[cmd.Process.Pid]; !listed || start != p.Start {
		t.Errorf("child %d: listed %v with start %d, want %d", cmd.Process.Pid, listed, start, p.Start)
	}
	if _, listed := d[grandchild]; !listed {
		t.Errorf("grandchild %d not listed among the descendants of this process: %v", grandchild, d)
	}
	if _, listed := d[os.Getpid()]; listed {
		t.Error("the process itself is listed")
	}
}
