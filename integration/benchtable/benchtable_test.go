package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestMain lets this test binary serve as the log writer and the log
// floor's formatter and raw copier: run() starts os.Executable() with
// -writer N, -formatter PATH or -copier PATH, which is the test binary
// here.
func TestMain(m *testing.M) {
	if len(os.Args) == 3 && os.Args[1] == "-writer" {
		_, n, err := parseFlags(os.Args[1:])
		if err != nil || writeLines(n) != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	if len(os.Args) == 3 && os.Args[1] == "-formatter" {
		if err := formatLines(os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, "benchtable -formatter:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if len(os.Args) == 3 && os.Args[1] == "-copier" {
		if err := copyRaw(os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, "benchtable -copier:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestQuick runs the tool end to end against the built binaries (bin/ at
// the repository root, from `make build`), in a shortened quick mode
// without supervisord; CFK_BENCHTABLE_TEST=1 runs the whole -quick mode,
// supervisord included when installed. It checks the tables' shape and
// that no process of the run is left, not the verdicts (machine-bound).
func TestQuick(t *testing.T) {
	root, _ := filepath.Abs("../..")
	cfkd, cfkctl := filepath.Join(root, "bin/cfkd"), filepath.Join(root, "bin/cfkctl")
	for _, b := range []string{cfkd, cfkctl} {
		if _, err := os.Stat(b); err != nil {
			t.Skipf("%s missing (run `make build`)", b)
		}
	}
	out := filepath.Join(t.TempDir(), "table.md")
	args := []string{"-quick", "-cfkd", cfkd, "-cfkctl", cfkctl, "-out", out, "-tmp", t.TempDir()}
	if os.Getenv("CFK_BENCHTABLE_TEST") != "1" {
		args = append(args, "-supervisord", "off", "-idle", "1s", "-storm", "3s", "-rounds", "100")
	}
	o, _, err := parseFlags(args)
	if err != nil {
		t.Fatal(err)
	}
	cl := &cleaner{}
	var stdout bytes.Buffer
	if err := run(cl, o, &stdout); err != nil {
		t.Fatalf("run: %v\n%s", err, stdout.String())
	}
	if left := markedProcs(cl.marker); len(left) > 0 {
		t.Errorf("processes left behind: %v", left)
	}
	if _, err := os.Stat(cl.dir); !os.IsNotExist(err) {
		t.Errorf("temporary directory %s not removed: %v", cl.dir, err)
	}
	file, err := os.ReadFile(out)
	if err != nil || !bytes.Equal(file, stdout.Bytes()) {
		t.Errorf("-out file differs from stdout (%v)", err)
	}
	text := stdout.String()
	t.Logf("\n%s", text)
	for _, want := range []string{
		"- machine: nproc ", "### N = 20 services",
		"| start → all have pids |", "| start all: services started at once, none fatal | — | 20 of 20, none fatal |", "| stop all → every pid gone, no child left |", "| stop all → all exited (zombie or reaped) |", "| RSS, N running |",
		"| idle CPU over ", "| pipelined declarations: 20 lines written, then the replies read | ", "| status round trip p50 ", "| log lines/s ", "| log (64 KiB writes, as stdio buffers): cfkd against the minimal formatter (the floor) |",
		"| stop all: cfkd against the bare loop with 2 pipes per child (the floor) |",
		"- log (64 KiB writes, as stdio buffers): the raw copier against the direct writer, median of each round's ratio: ",
		"| restart storm: starts per service", "| restart storm: CPU over the window |",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, "| ") && !strings.HasPrefix(l, "| metric") && strings.Count(l, "|") != 7 {
			t.Errorf("row with %d cells: %q", strings.Count(l, "|")-1, l)
		}
	}
}

// TestOnlyDecl: -only decl measures the pipelined declarations alone, one
// table per N; -only takes "log" or "decl" only.
func TestOnlyDecl(t *testing.T) {
	if _, _, err := parseFlags([]string{"-only", "bogus"}); err == nil || !strings.Contains(err.Error(), `"decl"`) {
		t.Errorf("-only bogus: %v", err)
	}
	root, _ := filepath.Abs("../..")
	cfkd, cfkctl := filepath.Join(root, "bin/cfkd"), filepath.Join(root, "bin/cfkctl")
	for _, b := range []string{cfkd, cfkctl} {
		if _, err := os.Stat(b); err != nil {
			t.Skipf("%s missing (run `make build`)", b)
		}
	}
	o, _, err := parseFlags([]string{"-only", "decl", "-n", "20,30", "-repeat", "2", "-supervisord", "off",
		"-cfkd", cfkd, "-cfkctl", cfkctl, "-tmp", t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	cl := &cleaner{}
	if err := run(cl, o, &stdout); err != nil {
		t.Fatalf("run: %v\n%s", err, stdout.String())
	}
	text := stdout.String()
	for _, want := range []string{"### N = 20 services: pipelined declarations", "### N = 30 services: pipelined declarations",
		"| pipelined declarations: 20 lines written, then the replies read (median of 2) | ",
		"| pipelined declarations: 30 lines written, then the replies read (median of 2) | "} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	for _, not := range []string{"| start → all have pids |", "| log lines/s ", "| log (64 KiB writes, as stdio buffers): cfkd against the minimal formatter (the floor) |",
		"| stop all: cfkd against the bare loop with 2 pipes per child (the floor) |", "| restart storm"} {
		if strings.Contains(text, not) {
			t.Errorf("output has %q", not)
		}
	}
	if rows := strings.Count(text, "\n| pipelined declarations"); rows != 2 {
		t.Errorf("%d rows of pipelined declarations, want 2:\n%s", rows, text)
	}
}

// TestFormatter: the log floor's formatter writes one record a line, the
// last line without "\n" too, each with a header of cfkd's record
// layout; a line longer than its read buffer fails it, with a message,
// rather than cutting the line.
func TestFormatter(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	run := func(input string) (string, string, error) {
		dir := t.TempDir()
		in, out := filepath.Join(dir, "in"), filepath.Join(dir, "out")
		if err := os.WriteFile(in, []byte(input), 0o600); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(in)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		var stderr bytes.Buffer
		cmd := exec.Command(self, "-formatter", out)
		cmd.Stdin, cmd.Stderr = f, &stderr
		err = cmd.Run()
		data, _ := os.ReadFile(out)
		return string(data), stderr.String(), err
	}
	got, _, err := run("a\n\nlast")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	header := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:\d\d) \d+ INFO service\.logw\.out - (.*)$`)
	var msgs []string
	for _, l := range lines {
		m := header.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("record %q has not cfkd's layout", l)
		}
		msgs = append(msgs, m[2])
	}
	if want := []string{"a", "", "last"}; !slices.Equal(msgs, want) {
		t.Errorf("records of %q, want %q", msgs, want)
	}
	_, stderr, err := run(strings.Repeat("x", formatterRead+1) + "\n")
	if err == nil || !strings.Contains(stderr, "a line longer than") {
		t.Errorf("a line longer than the buffer: %v, stderr %q", err, stderr)
	}
}

// TestCopier: the raw copier writes its input byte for byte, the last
// line without "\n" too, through reads of formatterRead at a time.
func TestCopier(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in"), filepath.Join(dir, "out")
	input := []byte(strings.Repeat("0123456789abcdef\n", 3*formatterRead/17) + "last")
	if err := os.WriteFile(in, input, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var stderr bytes.Buffer
	cmd := exec.Command(self, "-copier", out)
	cmd.Stdin, cmd.Stderr = f, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("-copier: %v: %s", err, stderr.String())
	}
	got, err := os.ReadFile(out)
	if err != nil || !bytes.Equal(got, input) {
		t.Errorf("-copier wrote %d bytes (%v), want its %d bytes of input as they are", len(got), err, len(input))
	}
}

// TestParseRepeat: -repeat is the default per N, one count for all, or
// one per -n; anything else is refused.
func TestParseRepeat(t *testing.T) {
	ns := []int{200, 1000, 9000}
	for _, c := range []struct {
		v    string
		want []int
	}{{"", []int{9, 9, 5}}, {"3", []int{3, 3, 3}}, {"2, 4,6", []int{2, 4, 6}}} {
		got, err := parseRepeat(c.v, ns)
		if err != nil || fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("parseRepeat(%q) = %v, %v; want %v", c.v, got, err, c.want)
		}
	}
	for _, v := range []string{"0", "x", "1,2", "1,2,3,4", "5,,5"} {
		if got, err := parseRepeat(v, ns); err == nil {
			t.Errorf("parseRepeat(%q) = %v, want an error", v, got)
		}
	}
	o, _, err := parseFlags([]string{"-n", "20,9000", "-supervisord", "off"})
	if err != nil {
		t.Fatal(err)
	}
	if o.repeatFor(20) != 9 || o.repeatFor(9000) != 5 {
		t.Errorf("default rounds: %d at 20, %d at 9000; want 9 and 5", o.repeatFor(20), o.repeatFor(9000))
	}
}
