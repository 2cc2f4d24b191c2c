package actors

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/cfk/cfk/messages"
)

// shimShells are the shells a /bin/sh may be, each as `sh` (bash then
// runs in its POSIX mode): dash (Debian's), busybox's ash (Alpine's,
// Debian's package busybox) and bash (Fedora's, Arch's). A test runs
// the shim through each: the shim's text is the same whatever runs it.
// A shell this machine lacks is skipped, and says so.
func shimShells(t *testing.T) map[string]string {
	t.Helper()
	dir := t.TempDir()
	shells := map[string]string{}
	for _, name := range []string{"dash", "busybox", "bash"} {
		p, err := exec.LookPath(name)
		if err != nil {
			continue
		}
		sh := filepath.Join(dir, name, "sh")
		if err := os.Mkdir(filepath.Dir(sh), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(p, sh); err != nil {
			t.Fatal(err)
		}
		shells[name] = sh
	}
	return shells
}

// shimRun is what a command run by the shim had: its environment, its
// umask, its limits of open files and its pid.
type shimRun struct {
	env        map[string]string
	umask      string
	soft, hard string
	pid        string
	stderr     string // what the shell and the command wrote there
}

// runShimmed runs argv under the shim of c (listen: with LISTEN_PID)
// with env, in dir, through the shell sh, for real: the command is cat
// of its /proc/self/environ, status and limits, which it reads as the
// process the shell exec'd. It ends by itself; killed at the deadline.
func runShimmed(t *testing.T, sh string, c *messages.ServiceConfig, env []string, dir string) shimRun {
	t.Helper()
	argv, shEnv, _ := underShim(c, true, []string{"cat", "/proc/self/environ", "/proc/self/status", "/proc/self/limits"}, env)
	if argv[0] != "/bin/sh" {
		t.Fatalf("no shim: %q", argv)
	}
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	cmd := exec.CommandContext(ctx, sh, argv[1:]...)
	cmd.Env, cmd.Dir = shEnv, dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("the shim under %s: %v: %s", sh, err, stderr.String())
	}
	i := bytes.LastIndexByte(out, 0)
	r := shimRun{env: envOf(string(out[:i+1])), stderr: stderr.String()}
	rest := string(out[i+1:])
	find := func(re string) []string {
		m := regexp.MustCompile(re).FindStringSubmatch(rest)
		if m == nil {
			t.Fatalf("no %s in %q", re, rest)
		}
		return m
	}
	r.umask, r.pid = find(`(?m)^Umask:\s*(\d+)$`)[1], find(`(?m)^Pid:\s*(\d+)$`)[1]
	m := find(`(?m)^Max open files\s+(\d+)\s+(\d+)`)
	r.soft, r.hard = m[1], m[2]
	return r
}

// REFERENCE §2.6: the shim was checked under dash alone. Under busybox's
// sh and bash as sh, a command it runs has the environment it has
// without the shim, whatever the values (empty, blanks, newlines,
// quotes, $(...), backslashes, an IFS of 131067 bytes, which reaches
// the shell in parts), its umask, its limits of open files and its
// LISTEN_PID, but what REFERENCE §2.6 says bash does not let the shim
// give back: its readonly PPID, SHELLOPTS and BASHOPTS, the `_` and
// BASH_VERSINFO it drops, and its SHLVL, 0 for none or no number. busybox
// passed on its SHLVL one more (1 when there was none), and bash unset
// PS1 and PS2, set LINENO, POSIXLY_CORRECT=y, OPTERR=1 and its own
// BASH_VERSION, RANDOM, ... A service's own CFK_SHIM_IFS was taken for
// the shim's.
func TestShimUnderEachShell(t *testing.T) {
	t.Parallel()
	shells := shimShells(t)
	hard, err := strconv.Atoi(strings.TrimSpace(func() string {
		out, _ := exec.Command("/bin/sh", "-c", "ulimit -Hn").Output()
		return string(out)
	}()))
	if err != nil || hard < 64 {
		t.Fatalf("cannot read the hard limit of open files: %v", err)
	}
	odd := []string{"", " ", "a b\tc\n", "\n", `'"`, "$(echo x)", "`id`", `\`, `a\\b\n\`, "${X:-y} $$ *"}
	oddEnv := []string{"PATH=/usr/bin:/bin", "OPTIND= 042 ", "PPID=4242", "PWD=/nonexistent 'pwd'\n$(x)", "SHLVL=7", "_=/under score"}
	for i, k := range []string{"IFS", "BASH", "BASHPID", "BASH_ARGV0", "BASH_COMMAND", "BASH_EXECUTION_STRING", "BASH_SUBSHELL",
		"BASH_VERSINFO", "BASH_VERSION", "COMP_WORDBREAKS", "EPOCHREALTIME", "EPOCHSECONDS", "HISTCMD", "LINENO", "OLDPWD",
		"OPTERR", "POSIXLY_CORRECT", "PS1", "PS2", "PS4", "RANDOM", "SRANDOM", "OTHER", "HOSTNAME", "ENV", "MAIL", "OPTARG", "SHELLOPTS", "BASHOPTS"} {
		oddEnv = append(oddEnv, k+"="+odd[i%len(odd)])
	}
	longIFS := strings.Repeat("\\$ '\n", 131067/5) + strings.Repeat("x", 131067%5)
	for _, c := range []struct {
		name string
		env  []string
	}{
		{"odd values", oddEnv},
		{"a long IFS", []string{"PATH=/usr/bin:/bin", "IFS=" + longIFS, "PPID=", "PWD=", "SHLVL="}},
		{"none of them", []string{"PATH=/usr/bin:/bin"}},
		{"the shim's names", []string{"PATH=/usr/bin:/bin", "IFS=x", "CFK_SHIM_IFS=its own", "CFK_SHIM_PPID_1=own too", "CFK_SHIM1_PWD=and", "PWD=/p"}},
	} {
		for _, name := range []string{"dash", "busybox", "bash"} {
			t.Run(c.name+"/"+name, func(t *testing.T) {
				t.Parallel()
				sh := shells[name]
				if sh == "" {
					t.Skipf("%s is not installed (Debian: apt-get install %s): the shim is not checked under it", name, name)
				}
				soft := strconv.Itoa(hard / 2)
				cfg := &messages.ServiceConfig{Umask: "0027", LimitNofile: fmt.Sprintf("%s:%s", soft, soft)}
				got := runShimmed(t, sh, cfg, c.env, t.TempDir())
				if got.umask != "0027" || got.soft != soft || got.hard != soft {
					t.Errorf("umask %s, limits %s:%s; want 0027, %s:%s", got.umask, got.soft, got.hard, soft, soft)
				}
				want := envOf(strings.Join(c.env, "\x00"))
				want["LISTEN_PID"] = got.pid
				if name == "bash" { // what REFERENCE §2.6 says it cannot give back
					delete(want, "PPID")
					delete(got.env, "PPID")
					for _, k := range []string{"_", "BASH_VERSINFO", "SHELLOPTS", "BASHOPTS"} {
						delete(want, k)
						delete(got.env, k)
					}
					if _, ok := want["SHLVL"]; !ok {
						want["SHLVL"] = "0"
					} else if _, err := strconv.Atoi(want["SHLVL"]); err != nil {
						want["SHLVL"] = "0"
					}
				}
				for k, v := range want {
					if g, ok := got.env[k]; !ok || g != v {
						t.Errorf("the command has %s=%.60q (%v), want %.60q", k, g, ok, v)
					}
				}
				for k, v := range got.env {
					if _, ok := want[k]; !ok {
						t.Errorf("the command has %s=%.60q, which it has not without the shim", k, v)
					}
				}
			})
		}
	}
}

// REFERENCE §2.6: bash as /bin/sh runs with the options of the
// SHELLOPTS it gets (a cfkd started by a script that ran `set -e;
// export SHELLOPTS`), the shim's shell too: with errexit it exited,
// status 1, at the first step of the shim that failed (`command unset
// PPID`, readonly in bash; the first `ulimit -S -n` where the hard limit
// is raised), and no launch ran the command. The command has the
// SHELLOPTS as it got it (dash, busybox) or bash's options (its errexit
// and nounset among them).
func TestShimRunsUnderErrexit(t *testing.T) {
	t.Parallel()
	shells := shimShells(t)
	const opts = "braceexpand:errexit:hashall:nounset"
	for _, name := range []string{"dash", "busybox", "bash"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sh := shells[name]
			if sh == "" {
				t.Skipf("%s is not installed (Debian: apt-get install %s): the shim is not checked under it", name, name)
			}
			env := []string{"PATH=/usr/bin:/bin", "SHELLOPTS=" + opts, "PPID=4242", "IFS=x"}
			got := runShimmed(t, sh, &messages.ServiceConfig{Umask: "0027"}, env, t.TempDir())
			if got.umask != "0027" || got.env["IFS"] != "x" || got.stderr != "" {
				t.Errorf("umask %s, IFS=%q, stderr %q; want 0027, x, nothing", got.umask, got.env["IFS"], got.stderr)
			}
			if g := got.env["SHELLOPTS"]; name != "bash" && g != opts || !strings.Contains(g, ":errexit:") || !strings.Contains(g, ":nounset") {
				t.Errorf("the command has SHELLOPTS=%q, want %q (bash: with its own options)", g, opts)
			}
			// a limit_nofile above the hard limit the shim's shell got
			// (which it may not raise here): the shim's own failure, said
			argv, shEnv, _ := underShim(&messages.ServiceConfig{LimitNofile: "128:128"}, false, []string{"true"}, env)
			ctx, cancel := context.WithTimeout(context.Background(), deadline)
			defer cancel()
			cmd := exec.CommandContext(ctx, "/bin/sh", append([]string{"-c", `ulimit -n 64 && exec "$0" "$@"`, sh}, argv[1:]...)...)
			cmd.Env = shEnv
			out, err := cmd.CombinedOutput()
			if ee := (*exec.ExitError)(nil); !errors.As(err, &ee) || ee.ExitCode() != 126 || !strings.Contains(string(out), "cfkd: limit_nofile=128:128 could not be set") {
				t.Errorf("the shim under a hard limit of 64: %v %q; want exit status 126 and why", err, out)
			}
		})
	}
}

// REFERENCE §2.6: the warning of the variables whose names are not a
// shell's said they never reach the command through the shim, which is
// false under bash as /bin/sh (Fedora's, Arch's): bash passes them on.
// What cfkd's /bin/sh does is learned by behaviour (ShKeepsOtherNames):
// under each shell, its answer is what the shim does with `a.b` (dash and
// busybox drop it, bash keeps it), and a start names `a.b` only where
// the shell drops it; the OPTIND that cfkd leaves out is named under
// each.
func TestShKeepsOtherNamesUnderEachShell(t *testing.T) {
	t.Parallel()
	shells := shimShells(t)
	if ShKeepsOtherNames(filepath.Join(t.TempDir(), "no-sh")) {
		t.Errorf("a /bin/sh that does not run keeps the names, want it not to")
	}
	env := []string{"PATH=/usr/bin:/bin", "a.b=1", "OPTIND=abc"}
	const optind = "cfkd leaves out an OPTIND that is not a number from 0 to 2147483647 for the /bin/sh that sets its umask, limit_nofile or LISTEN_PID (dash refuses one)"
	for _, name := range []string{"dash", "busybox", "bash"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sh := shells[name]
			if sh == "" {
				t.Skipf("%s is not installed (Debian: apt-get install %s): the probe is not checked under it", name, name)
			}
			keeps := ShKeepsOtherNames(sh)
			if want := name == "bash"; keeps != want {
				t.Errorf("%s keeps the names that are not a shell's: %v, want %v", name, keeps, want)
			}
			got := runShimmed(t, sh, &messages.ServiceConfig{Umask: "0027"}, env, t.TempDir())
			if reached := got.env["a.b"] == "1"; reached != keeps {
				t.Errorf("a.b reached the command through the shim under %s: %v, the probe says %v", name, reached, keeps)
			}
			logs := &logCapture{changed: make(chan struct{})}
			r := newRig(t, captureLog(logs), func(o *Options) { o.Env, o.ShKeepsOtherNames = env, keeps })
			r.ok("service s cmd=server", "service s umask=027")
			r.okDone("command start service s", 1)
			r.fake.waitLaunch(t, 1) // the warning comes before the launch
			want := "warning: s: the variable OPTIND of its environment does not reach its command: " + optind
			if !keeps {
				want = "warning: s: the variables a.b, OPTIND of its environment do not reach its command: the /bin/sh that sets its umask, limit_nofile or LISTEN_PID before it execs the command (dash, busybox) drops a variable whose name is not made of letters, digits and '_', and " + optind
			}
			logs.oneWarning(t, "reach its command", want)
		})
	}
}

// REFERENCE §2.6: a program whose name starts with '-' (`cmd=-weird a`,
// an array's first word, a path `-sub/-weird`) failed under the shim of
// bash and busybox as sh, `exec: -w: invalid option`, exit 2, and never
// ran, where it ran without the shim (and under dash). Under each shell
// it runs now, as the shell's exec of "$0" (its pid the shim's), found
// in the PATH when its name has no '/' (the PATH's first), and with its
// arguments, one that starts with '-' too.
func TestShimRunsAProgramNamedWithADash(t *testing.T) {
	t.Parallel()
	shells := shimShells(t)
	dir := t.TempDir()
	for _, p := range []string{"bin/-weird", "later/-weird", "cwd/-weird", "cwd/-sub/-weird"} {
		// `-`: its interpreter, run as `/bin/sh - PATH ARGS`, takes
		// no `-sub/-weird` for its options
		script := fmt.Sprintf("#!/bin/sh -\nprintf '%%s|' \"$$\" %s \"$@\"\n", p)
		p = filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		// no fork under way meanwhile: a child forked while the file
		// is open for writing holds its fd until its exec, and the
		// script's exec fails ETXTBSY (text file busy)
		syscall.ForkLock.RLock()
		err := os.WriteFile(p, []byte(script), 0o755)
		syscall.ForkLock.RUnlock()
		if err != nil {
			t.Fatal(err)
		}
	}
	cwd := filepath.Join(dir, "cwd")
	env := []string{"PATH=" + filepath.Join(dir, "bin") + ":" + filepath.Join(dir, "later") + ":/usr/bin:/bin"}
	for _, name := range []string{"dash", "busybox", "bash"} {
		for _, c := range []struct {
			argv []string
			prog string // the script run
		}{
			{[]string{"-weird", "a", "-b", "--"}, "bin/-weird"},
			{[]string{"-weird"}, "bin/-weird"},
			{[]string{"-sub/-weird", "-x"}, "cwd/-sub/-weird"},
			{[]string{"./-weird", "-y"}, "cwd/-weird"},
		} {
			t.Run(name+"/"+strings.Join(c.argv, " "), func(t *testing.T) {
				t.Parallel()
				sh := shells[name]
				if sh == "" {
					t.Skipf("%s is not installed (Debian: apt-get install %s): the shim is not checked under it", name, name)
				}
				argv, shEnv, _ := underShim(&messages.ServiceConfig{Umask: "0027"}, false, c.argv, env)
				ctx, cancel := context.WithTimeout(context.Background(), deadline)
				defer cancel()
				cmd := exec.CommandContext(ctx, sh, argv[1:]...)
				cmd.Env, cmd.Dir = shEnv, cwd
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				out, err := cmd.Output()
				if err != nil {
					t.Fatalf("the shim of %q under %s: %v: %s", c.argv, name, err, stderr.String())
				}
				want := strings.Join(append([]string{strconv.Itoa(cmd.Process.Pid), c.prog}, c.argv[1:]...), "|") + "|"
				if string(out) != want || stderr.Len() > 0 {
					t.Errorf("the shim of %q under %s: %q, stderr %q; want %q (pid, script, args), nothing", c.argv, name, out, stderr.String(), want)
				}
			})
		}
	}
}
