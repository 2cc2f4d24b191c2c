package messages

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
)

// This file holds `command apply` (an extension, REFERENCE §1.4): the
// declarations of a whole config file, sent in one request line so that
// cfkd applies them as one unit. The line is
//
//	command apply [dry-run] [prune] [rolling] DATA
//
// DATA being the standard base64 of the gzip of the file's text (lines
// separated by "\n"; blank, comment and `command` lines are allowed and
// skipped). Compression lets a config file of several hundred kilobytes
// fit the 64 KiB of a request line (REFERENCE §1.5): such files repeat
// themselves.

// MaxApplyText bounds the text of an apply once decompressed (16 MiB): a
// small DATA cannot make cfkd inflate gigabytes.
const MaxApplyText = 16 << 20

// The options of `command apply`.
const (
	ApplyDryRun  = "dry-run" // print the plan, change nothing
	ApplyPrune   = "prune"   // destroy the services that the text does not declare
	ApplyRolling = "rolling" // restart the changed services one at a time
)

// ErrApplyNoData: `command apply` without DATA.
var ErrApplyNoData = errors.New("apply needs the declarations: command apply [dry-run] [prune] [rolling] DATA")

// applyTwice is the refusal of an option word given twice (REFERENCE
// §1.4): `apply: 'dry-run' given twice`.
func applyTwice(word string) error { return fmt.Errorf("apply: '%s' given twice", word) }

// Apply is `command apply [OPTIONS] DATA`: Want is what the text declares,
// built as cfkd builds its own declarations (Declare); cfkd makes its
// declarations equal to it (see PlanOf).
type Apply struct {
	DryRun  bool
	Prune   bool
	Rolling bool
	Want    Declarations
	// From is the peer that asked, as its audit record names it (set by
	// the connection): an apply under way is named so (REFERENCE §1.4).
	From string
}

// ApplyUnderWay begins the refusal of an apply while another is under
// way, and the note of a dry run then (REFERENCE §1.4): cfkctl apply
// tries again on it.
const ApplyUnderWay = "an apply is under way"

// NeedsPrivilege implements Statement: an apply declares services (a dry
// run only reads, and is allowed on a command-only console).
func (a Apply) NeedsPrivilege() bool { return !a.DryRun }

var _ Statement = Apply{}

// Request is the apply's request without its DATA: `command apply` and
// its options, as audit records and logs name it (REFERENCE §5.5).
func (a Apply) Request() string {
	b := []string{"command apply"}
	for _, o := range []struct {
		on   bool
		name string
	}{{a.DryRun, ApplyDryRun}, {a.Prune, ApplyPrune}, {a.Rolling, ApplyRolling}} {
		if o.on {
			b = append(b, o.name)
		}
	}
	return strings.Join(b, " ")
}

// Counts is what the apply declares, counted, `N services, N sockets, N
// proxies`: never its declarations (an add_env value is never logged).
func (a Apply) Counts() string {
	return fmt.Sprintf("%d services, %d sockets, %d proxies", len(a.Want.Services), len(a.Want.Sockets), len(a.Want.Proxies))
}

// PendingApply is `command apply` read up to its DATA, which is not
// decoded yet: what ParseDeferred makes of it. Decode inflates DATA (up to
// MaxApplyText) and builds the declarations, which a connection does off
// its actor, once the budget of applies lets it (REFERENCE §1.4).
type PendingApply struct {
	Apply // its options; Want is empty
	Data  string
}

var _ Statement = PendingApply{}

// Decode is the Apply of p: its DATA decoded and its text declared, or
// the error Parse gives the line. It runs in a goroutine of its own (off
// the actor that got the line), where a panic would end cfkd rather than
// an actor: one is an error (no input is known to cause one).
func (p PendingApply) Decode() (a Apply, err error) {
	defer func() {
		if r := recover(); r != nil {
			a, err = Apply{}, fmt.Errorf("apply DATA: internal error: %v", r)
		}
	}()
	text, err := DecodeApplyData(p.Data)
	if err != nil {
		return Apply{}, err
	}
	decodedHook(text)
	want, err := declareText(text)
	if err != nil {
		return Apply{}, err
	}
	a = p.Apply
	a.Want = want
	return a, nil
}

// decodedHook is called with each DATA's text (tests).
var decodedHook = func(string) {}

// parseApply reads the arguments of `command apply`: options, in any
// order, each once, then DATA (always the last word). An option given
// twice is refused, naming it (REFERENCE §1.4): `dry-run dry-run` was
// taken as one, silently. Its DATA is not decoded: a PendingApply
// (Parse decodes it, ParseDeferred leaves it to its caller).
func parseApply(args []string) (Statement, error) {
	if len(args) == 0 {
		return nil, ErrApplyNoData
	}
	opts, data := args[:len(args)-1], args[len(args)-1]
	if isApplyOption(data) {
		// DATA left out: an option word is no base64 of a gzip
		// (`prune` was refused as `not base64: illegal base64 data at
		// input byte 4`); the options are read first, for their errors
		opts, data = args, ""
	}
	var a Apply
	for _, w := range opts {
		var opt *bool
		switch w {
		case ApplyDryRun:
			opt = &a.DryRun
		case ApplyPrune:
			opt = &a.Prune
		case ApplyRolling:
			opt = &a.Rolling
		default:
			return nil, fmt.Errorf("unknown apply option '%s'", w)
		}
		if *opt {
			return nil, applyTwice(w)
		}
		*opt = true
	}
	if data == "" {
		return nil, fmt.Errorf("apply needs the declarations after '%s': command apply [dry-run] [prune] [rolling] DATA", args[len(args)-1])
	}
	return PendingApply{Apply: a, Data: data}, nil
}

// isApplyOption reports whether w is an option word of `command apply`:
// none is a DATA (none is base64 of a gzip).
func isApplyOption(w string) bool {
	return w == ApplyDryRun || w == ApplyPrune || w == ApplyRolling
}

// EncodeApplyData is DATA for text: the standard base64 of its gzip.
func EncodeApplyData(text string) string {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression) // a valid level: no error
	zw.Write([]byte(text))                                 // a bytes.Buffer does not fail
	zw.Close()
	return base64.StdEncoding.EncodeToString(b.Bytes())
}

// DecodeApplyData is the inverse of EncodeApplyData. Text longer than
// MaxApplyText is an error.
func DecodeApplyData(data string) (string, error) {
	z, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		return "", fmt.Errorf("apply: the declarations are not base64: %v", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(z))
	if err != nil {
		return "", fmt.Errorf("apply: the declarations are not gzip: %v", err)
	}
	// Into a strings.Builder: its String is the bytes read, not a copy
	// of them (a 16 MiB text took 16 MiB more).
	var b strings.Builder
	if _, err := io.Copy(&b, io.LimitReader(zr, MaxApplyText+1)); err != nil {
		return "", fmt.Errorf("apply: the declarations are not gzip: %v", err)
	}
	if b.Len() > MaxApplyText {
		return "", fmt.Errorf("apply: the declarations are longer than %d bytes", MaxApplyText)
	}
	return b.String(), nil
}

// declareText parses every line of text and builds the declarations it
// makes (see Declare). Blank and comment lines are skipped, and so are
// `command` lines once they parse, but for those cfkd -c refuses
// (ConfigRefusal: shutdown, a stream, fleet): a broken file is refused
// whole, as `cfkd -c` refuses it. An error names its line: `line N: MESSAGE`, the
// first bad line's (ApplyTextErrors gives them all).
func declareText(text string) (Declarations, error) {
	var first error
	d := walkDeclarations(text, func(e LineError) bool {
		first = e
		return false
	})
	if first != nil {
		return Declarations{}, first
	}
	return d, nil
}

// LineError is the error of one line of a text: `line N: MESSAGE`.
type LineError struct {
	Line int // from 1
	Err  error
}

func (e LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

func (e LineError) Unwrap() error { return e.Err }

// ApplyTextErrors is every bad line of the text of an apply, as
// `command apply` reads it: the first max of them, and how many more
// there are. The first is the error cfkd answers (declareText); the
// others are what it would answer once the lines before them are mended,
// a line refused being left out of the declarations as if not written
// (so that a line's error may be a consequence of an earlier one's, as a
// compiler's).
func ApplyTextErrors(text string, max int) (errs []LineError, more int) {
	walkDeclarations(text, func(e LineError) bool {
		if len(errs) < max {
			errs = append(errs, e)
		} else {
			more++
		}
		return true
	})
	return errs, more
}

// walkDeclarations is declareText's walk of the lines, calling bad for each
// line refused; it goes on while bad returns true. A line refused
// declares nothing.
func walkDeclarations(text string, bad func(LineError) bool) Declarations {
	d := NewDeclarations()
	envs := map[envOwner]*envBuilder{} // add_env lines, at a constant cost each
	n := -1
	for line := range strings.Lines(text) {
		n++
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		if IsBlank(line) {
			continue
		}
		if w := fields(Clean(line)); len(w) >= 2 && w[0] == "command" && w[1] == string(VerbApply) {
			// Refused before it is decoded: nested DATA would multiply
			// the work of one request.
			if !bad(LineError{n + 1, errors.New("apply cannot be nested")}) {
				return d
			}
			continue
		}
		st, err := Parse(line)
		if err == nil {
			err = ConfigRefusal(st) // what cfkd -c of the file would refuse
		}
		if err == nil {
			err = d.declare(takeEnv(envs, st), n)
		}
		if err != nil && !bad(LineError{n + 1, err}) {
			return d
		}
	}
	d.setEnvs(envs)
	return d
}
