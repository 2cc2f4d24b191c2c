package e2e

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/cfk/cfk/internal/testkit"
)

var cfkdBin, cfkctlBin string

// cfkProxyBin is the Go proxy, built like cfkd; cfkProxyErr says why it
// could not be built (the proxy tests are then skipped with it).
var cfkProxyBin, cfkProxyErr string

// childEnv is the environment of the binaries the tests run. A binary
// built with -race sleeps 1 s at exit by default (atexit_sleep_ms):
// GORACE turns that off unless the caller set GORACE.
func childEnv(extra ...string) []string {
	env := os.Environ()
	if os.Getenv("GORACE") == "" {
		env = append(env, "GORACE=atexit_sleep_ms=0")
	}
	return append(env, extra...)
}

func TestMain(m *testing.M) {
	if os.Getenv(testkit.RunAsEnv) != "" {
		os.Exit(m.Run()) // a client run as another user (testkit.StartAs): nothing to build
	}
	dir, err := os.MkdirTemp("", "cfk-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	cfkdBin, cfkctlBin = filepath.Join(dir, "cfkd"), filepath.Join(dir, "cfkctl")
	for bin, pkg := range map[string]string{cfkdBin: "../../cmd/cfkd", cfkctlBin: "../../cmd/cfkctl"} {
		args := append([]string{"build", "-o", bin}, testkit.BuildFlags()...)
		if raceEnabled {
			args = append(args, "-race")
		}
		out, err := exec.Command("go", append(args, pkg)...).CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "go build %s: %v\n%s", pkg, err, out)
			os.Exit(2)
		}
	}
	cfkProxyBin = filepath.Join(dir, "cfk-proxy")
	args := append([]string{"build", "-o", cfkProxyBin}, testkit.BuildFlags()...)
	if raceEnabled {
		args = append(args, "-race")
	}
	if out, err := exec.Command("go", append(args, "../../cmd/cfk-proxy")...).CombinedOutput(); err != nil {
		cfkProxyBin, cfkProxyErr = "", fmt.Sprintf("go build cfk-proxy: %v\n%s", err, out)
	}
	// The tests mostly wait for cfkds (race-built, slow to start and to
	// stop), few use the CPUs: those marked t.Parallel (each on its own
	// home, and changing nothing of this process's: no environment, no
	// limit, no count of processes) run 4 at a time, not GOMAXPROCS (2 on
	// the 2-core machines make test must end in a few minutes on), unless
	// -parallel is given.
	flag.Parse()
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })
	if !given {
		flag.Set("test.parallel", strconv.Itoa(max(4, runtime.GOMAXPROCS(0))))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// killHome kills every process whose environment names home as CFKD_HOME
// (cfkd's services and their children, wherever they were reparented)
// and returns them. Processes that are still dying of a signal cfkd sent
// get up to a second to go first: only those still alive then are
// reported as left behind.
func killHome(home string) []int { return testkit.KillProcsWithEnv("CFKD_HOME="+home, time.Second) }

// homeProcs lists the live (non-zombie) processes whose environment names
// home as CFKD_HOME.
func homeProcs(home string) []int { return testkit.ProcsWithEnv("CFKD_HOME=" + home) }
