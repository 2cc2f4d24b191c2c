package accountfile

import (
	"bufio"
	"io"
	"strings"
)

// maxLine is the longest line read (a group listing many members).
const maxLine = 1 << 20

// Each gives take the fields of each entry of r, an account file, in
// order, until take returns false. complete says that every line was
// read and taken: not when take stopped, a line was NIS's, or the
// reading failed.
func Each(r io.Reader, take func(fields []string) bool) (complete bool) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	complete = true
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#':
		case line[0] == '+' || line[0] == '-':
			complete = false
		case !take(strings.Split(line, ":")):
			return false
		}
	}
	return complete && sc.Err() == nil
}
