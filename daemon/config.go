package daemon

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/cfk/cfk/actors"
	"github.com/cfk/cfk/internal/printable"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/protocol"
)

// loadConfig runs every line of a config file (-c), stopping at the first
// error, reported as FILE:LINE: reason (with the attribute meant, for an
// unknown one: attributeHint). Lines are read as the admin socket
// reads them (protocol.ReadRequest: CRLF or LF, at most MaxLine bytes; a
// longer line is an error of its own, with its number); blank and comment
// lines are skipped; ${BASE} becomes the file's directory, made absolute
// (as `cfkctl apply FILE` makes it: applying the same file then finds
// nothing to change, REFERENCE §7.4). Every line is parsed before any
// runs (checkConfig): a line that does not parse, or one that could never
// run here (`command shutdown`, a stream, `command fleet`), refuses the
// file with nothing run, and every such line is named; a
// line with another attribute in its value (messages.AttributeInValue)
// is warned of, and runs. The
// services a line's verb could not act on while it did on others
// (`command start all`, one without cmd: `done 2`, then `y: Service 'y'
// has no known command`) do not stop it: each is a warning,
// FILE:LINE: NAME: MESSAGE, as cfkctl says them. A warning is given
// to warn as at (FILE:LINE) and its message unescaped: the log escapes
// what it writes (REFERENCE §6.2), stderr gets printable.Unambiguous's,
// as an error's MESSAGE is (REFERENCE §7.4). A shutdown (stop
// closed) while the file is read gives the read up (readConfigUntil).
func loadConfig(tree *actors.Tree, path string, warn func(at, msg string), stop <-chan struct{}) error {
	lines, err := readConfigUntil(path, stop)
	if err != nil {
		return err
	}
	if err := checkConfig(path, lines); err != nil {
		return err
	}
	for i, line := range lines {
		if name, attr, word := messages.AttributeInValue(line); word != "" {
			warn(fmt.Sprintf("%s:%d", path, i+1), messages.AttributeInValueWarning(name, attr, word))
		}
	}
	for i, line := range lines {
		if messages.IsBlank(line) {
			continue
		}
		r := tree.Exec(line, actors.RequestTimeout)
		if r.Err != nil { // as a console line gets (REFERENCE §1.7)
			at, hint := fmt.Sprintf("%s:%d: ", path, i+1), attributeHint(r.Err.Error())
			return configError{shown: printable.Unambiguous(at+r.Err.Error()) + hint, raw: at + r.Err.Error() + hint}
		}
		for _, l := range failedServices(line, r) {
			warn(fmt.Sprintf("%s:%d", path, i+1), l)
		}
	}
	return nil
}

// readConfigUntil is readConfig, given up when stop closes (a shutdown
// completed): a FIFO no process writes (`cfkd -c FIFO`), a pipe whose
// writer stalls (`-c <(gen)`), a file on a hung mount hold the open or a
// read, and a signal's shutdown must end cfkd all the same (REFERENCE
// §7.3); before, it logged `shutdown complete` and cfkd ran on, holding
// its home's lock, its parent under -d saying it shut down. The read
// given up is left to its goroutine, which ends with cfkd.
func readConfigUntil(path string, stop <-chan struct{}) ([]string, error) {
	type read struct {
		lines []string
		err   error
	}
	got := make(chan read, 1)
	go func() {
		lines, err := readConfig(path)
		got <- read{lines, err}
	}()
	select {
	case r := <-got:
		return r.lines, r.err
	case <-stop:
		return nil, fileError(fmt.Sprintf("config: %s not read: cfkd shut down while it waited for the file", path))
	}
}

// readConfig is the lines of the config file path, ${BASE} replaced, a
// line's number its index plus one.
func readConfig(path string) ([]string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fileError("config: " + err.Error())
	}
	defer fh.Close()
	if st, err := fh.Stat(); err == nil && st.IsDir() {
		// its read's error came as the first line's: `FILE:1: read
		// FILE: is a directory`
		return nil, fileError(fmt.Sprintf("config: %s: a directory, not a file", path))
	}
	base, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, fileError(fmt.Sprintf("config: the directory of %s for ${BASE}: %v", path, err))
	}
	var lines []string
	r := protocol.NewFileReader(fh)
	for n := 1; ; n++ {
		line, err := protocol.ReadRequest(r)
		if err == io.EOF {
			return lines, nil
		}
		if err != nil {
			return nil, fileError(fmt.Sprintf("%s:%d: %v", path, n, err))
		}
		lines = append(lines, strings.ReplaceAll(strings.TrimSuffix(line, "\r"), "${BASE}", base))
	}
}

// maxConfigErrors is how many bad lines of a config file cfkd names.
const maxConfigErrors = 20

// checkConfig parses every line of a config file before any runs: a
// file with a line that does not parse (the error the line would get
// when run: messages.Parse is the first thing a line goes through), or
// one refused whatever is declared (messages.ConfigRefusal: `command
// shutdown`, `command upgrade`, a stream, `command fleet`), is refused with nothing run, not after its first
// lines started services, and every such line is named, the first
// maxConfigErrors of them (configErrors). What only running finds (a
// verb on a service not declared) still stops the file at its line.
func checkConfig(path string, lines []string) error {
	var bad, raw []string // FILE:N: MESSAGE each, for stderr and for the log (configError)
	more := 0
	for i, line := range lines {
		if messages.IsBlank(line) {
			continue
		}
		var msg, rawMsg string
		if st, err := messages.Parse(line); err != nil {
			msg, rawMsg = printable.Unambiguous(err.Error())+attributeHint(err.Error()), err.Error()+attributeHint(err.Error())
		} else if err := messages.ConfigRefusal(st); err != nil {
			msg = err.Error() // shutdown, a stream, fleet: refused whatever is declared
			rawMsg = msg
		} else {
			continue
		}
		if len(bad) == maxConfigErrors {
			more++
			continue
		}
		at := fmt.Sprintf("%s:%d: ", path, i+1)
		bad, raw = append(bad, printable.Unambiguous(at)+msg), append(raw, at+rawMsg)
	}
	if more > 0 {
		last := fmt.Sprintf("%s: and %d more bad lines", path, more)
		bad, raw = append(bad, printable.Unambiguous(last)), append(raw, last)
	}
	if len(bad) == 0 {
		return nil
	}
	// one a line, each after the first with cfkd's `cfkd: `, as Run's
	// caller prints the first (`cfkd: ` + Run's error)
	return configError{shown: strings.Join(bad, "\ncfkd: "), raw: strings.Join(raw, "\ncfkd: ")}
}

// configError is an error of a config file's lines (FILE:N: MESSAGE):
// its Error is stderr's text, what MESSAGE quotes of the lines escaped
// (printable.Unambiguous, REFERENCE §7.4); raw is the same unescaped, for
// the log, which escapes every message and quotes every field itself
// (REFERENCE §6.2): given the escaped text, it wrote a literal \n of a
// line \\\\n and an ESC \\x1b (errLogText).
type configError struct{ shown, raw string }

// fileError is the configError of raw, a text of cfkd's naming the
// config file (its path may hold any byte but NUL and /): stderr gets it
// escaped as a line's text is.
func fileError(raw string) configError {
	return configError{shown: printable.Unambiguous(raw), raw: raw}
}

func (e configError) Error() string { return e.shown }

// errLogText is err's text for the log: a configError's in it unescaped.
func errLogText(err error) string {
	text := err.Error()
	var ce configError
	if errors.As(err, &ce) {
		text = strings.Replace(text, ce.shown, ce.raw, 1)
	}
	return text
}

// StderrText is err's text as cfkd's main writes it on its stderr: each
// line with what a terminal should not get raw written \xNN
// (printable.Line), as a path a flag names may hold an ESC (REFERENCE
// §7.4). A config file's errors are escaped already (configError: a \
// as \\ too) and come back as they are.
func StderrText(err error) string {
	lines := strings.Split(err.Error(), "\n")
	for i, l := range lines {
		lines[i] = printable.Line(l)
	}
	return strings.Join(lines, "\n")
}

// attributeHint is what cfkd adds to its refusal of a line of -c FILE
// with `invalid property 'ATTR'` (the console's text, kept) when ATTR is
// likely an attribute misspelt, or supervisord's or systemd's name for
// one: ` (did you mean 'cwd'?)`, on the same line; "" otherwise
// (REFERENCE §7.4).
func attributeHint(msg string) string {
	if _, meant := messages.AttributeMeant(msg); meant != "" {
		return fmt.Sprintf(" (did you mean '%s'?)", meant)
	}
	return ""
}

// errConfigShutdown refuses `command shutdown` in -c FILE (REFERENCE
// §7.4): messages.ConfigRefusal's text.
var errConfigShutdown = messages.ErrConfigShutdown

// failedServices is the `NAME: MESSAGE` lines of the OK reply of a verb
// that acts on services (REFERENCE §1.4, multi-service replies): those
// that failed while others succeeded.
func failedServices(line string, r messages.Reply) []string {
	st, err := messages.Parse(line)
	c, ok := st.(messages.ControlCommand)
	if err != nil || !ok {
		return nil
	}
	if !actors.IsServiceVerb(c.Verb) {
		return nil
	}
	var failed []string
	for _, l := range r.Lines {
		if !messages.IsDoneLine(l) {
			failed = append(failed, l)
		}
	}
	return failed
}
