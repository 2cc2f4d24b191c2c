package actors

import (
	"context"
	"os/exec"
	"slices"
	"strings"
	"time"
)

// shProbeVar is the variable whose name is not a shell's that
// ShKeepsOtherNames gives the shell.
const shProbeVar = "cfk.probe=1"

// ShKeepsOtherNames says whether the shell sh (cfkd: /bin/sh, which runs
// the shim of umask, limit_nofile and listen_sockets) passes on to the
// command it execs the variables of its environment whose names are not a
// shell's (REFERENCE §2.6): learned by behaviour, not by the shell's
// name, as `sh -c 'exec env'` with such a variable shows it or not. bash
// keeps them; dash and busybox's sh drop them. false when sh could not
// tell within 5 s (6 s at most: a process the shell left holding its
// stdout is not waited for).
//
// It runs a process and waits for it (os/exec): cfkd calls it once at
// its start, before its Launcher's reaper runs (a wait4(-1) would take
// the probe's exit), never inside a Receive; Options.ShKeepsOtherNames
// carries the answer to the tree.
func ShKeepsOtherNames(sh string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, sh, "-c", "exec env")
	cmd.Env = []string{"PATH=/usr/bin:/bin", shProbeVar}
	// once sh is killed at the timeout, a process it left holding its
	// stdout must not hold the probe (and cfkd's start) for its life
	cmd.WaitDelay = time.Second
	out, err := cmd.Output()
	return err == nil && slices.Contains(strings.Split(string(out), "\n"), shProbeVar)
}
