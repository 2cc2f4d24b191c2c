package daemon

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cfk/cfk/actors"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/protocol"
)

// loadConfig runs every line of a config file (-c), stopping at the first
// error, reported as FILE:LINE: reason. Lines are read as the admin socket
// reads them (protocol.ReadRequest: CRLF or LF, at most MaxLine bytes; a
// longer line is an error of its own, with its number); blank and comment
// lines are skipped; ${BASE} becomes the file's directory, made absolute
// (as `cfkctl apply FILE` makes it: applying the same file then finds
// nothing to change, REFERENCE §7.4).
func loadConfig(tree *actors.Tree, path string) error {
	fh, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	defer fh.Close()
	base, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return fmt.Errorf("config: the directory of %s for ${BASE}: %w", path, err)
	}
	r := protocol.NewFileReader(fh)
	for n := 1; ; n++ {
		line, err := protocol.ReadRequest(r)
		if err == io.EOF {
			return nil
		}
		if errors.Is(err, protocol.ErrLineTooLong) {
			return fmt.Errorf("%s:%d: %v", path, n, err)
		}
		if err != nil {
			return fmt.Errorf("%s:%d: %w", path, n, err)
		}
		line = strings.ReplaceAll(strings.TrimSuffix(line, "\r"), "${BASE}", base)
		if messages.IsBlank(line) {
			continue
		}
		if r := tree.Exec(line, actors.RequestTimeout); r.Err != nil { // as a console line gets (REFERENCE §1.7)
			return fmt.Errorf("%s:%d: %s", path, n, printable(r.Err.Error()))
		}
	}
}

// printable escapes what a terminal or a log should not get raw: bytes
// that are not UTF-8 and control characters become \xNN (a config file of
// binary junk is quoted back in its error).
func printable(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || !unicode.IsPrint(r) {
			for _, c := range []byte(s[i : i+size]) {
				fmt.Fprintf(&b, "\\x%02x", c)
			}
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
