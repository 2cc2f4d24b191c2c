package ctl

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/protocol"
)

// runLoad is `cfkctl load FILE|-`: every line that is not blank or a
// comment goes to cfkd as it is, but for ${BASE}; the first ERROR stops it,
// reported as FILE:LINE: MESSAGE. Body lines of the replies (a `command
// status` in the file, say) are printed.
func runLoad(s *session, args []string) error {
	file := args[0]
	var in io.Reader
	if file == "-" {
		in = s.env.stdin
	} else {
		f, err := openConfig("load", file)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	base, err := s.basedir()
	if err != nil {
		return err
	}
	if err := s.connect(); err != nil {
		return err
	}
	var out []string
	r := protocol.NewFileReader(in)
	for lineno := 1; ; lineno++ {
		line, err := protocol.ReadRequest(r)
		if err == io.EOF {
			break
		}
		if err != nil {
			if errors.Is(err, protocol.ErrLineTooLong) {
				return &userError{msg: fmt.Sprintf("%s:%d: %v", file, lineno, err)}
			}
			return readError("load", file, err)
		}
		line = strings.TrimSuffix(line, "\r") // a last CRLF line without its LF
		if messages.IsBlank(line) {
			continue
		}
		if messages.IsExit(line) {
			// The console would close the connection.
			return &userError{msg: fmt.Sprintf("%s:%d: exit is not a statement (it would end the connection)", file, lineno)}
		}
		if st, err := messages.Parse(line); err == nil {
			// The console would make the connection a stream, which never ends.
			if c, ok := st.(messages.ControlCommand); ok && c.Streams() {
				return &userError{msg: fmt.Sprintf("%s:%d: command %s streams (it would never end): use cfkctl %s", file, lineno, c.Verb, c.Verb)}
			}
			if f, ok := st.(messages.Fleet); ok && f.Streams() {
				return &userError{msg: fmt.Sprintf("%s:%d: command fleet %s streams (it would never end): use cfkctl fleet %s", file, lineno, f.Verb, f.Verb)}
			}
		}
		line = strings.ReplaceAll(line, "${BASE}", base)
		warnAttributeInValue(s, file, lineno, line)
		rep, err := s.request(line)
		switch {
		case errors.Is(err, protocol.ErrBadRequest), errors.Is(err, protocol.ErrLineTooLong):
			return &userError{msg: fmt.Sprintf("%s:%d: %v", file, lineno, err)}
		case err != nil:
			return fmt.Errorf("%s:%d: %w", file, lineno, err)
		case rep.Err != nil:
			return &userError{msg: fmt.Sprintf("%s:%d: %v", file, lineno, rep.Err)}
		}
		if s.opts.json {
			out = append(out, rep.Lines...)
		} else if err := printLines(s, rep.Lines); err != nil {
			return err
		}
	}
	if s.opts.json {
		return printLines(s, out)
	}
	return nil
}

// basedir is what ${BASE} stands for: --basedir made absolute (services
// run in cfkd's directory, not ours), or the current directory.
func (s *session) basedir() (string, error) {
	if s.opts.basedir == "" {
		wd, err := s.env.getwd()
		if err != nil {
			return "", fmt.Errorf("load: current directory for ${BASE}: %w", err)
		}
		return wd, nil
	}
	if filepath.IsAbs(s.opts.basedir) {
		return filepath.Clean(s.opts.basedir), nil
	}
	wd, err := s.env.getwd()
	if err != nil {
		return "", fmt.Errorf("load: --basedir %s: %w", s.opts.basedir, err)
	}
	return filepath.Join(wd, s.opts.basedir), nil
}
