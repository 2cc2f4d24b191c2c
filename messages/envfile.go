package messages

import (
	"bytes"
	"fmt"
	"strings"
)

// maxEnvString is Linux's MAX_ARG_STRLEN: execve(2) refuses a string of
// the environment, `KEY=VALUE` and its NUL, of more bytes (E2BIG).
const maxEnvString = 32 * 4096

// utf8BOM is U+FEFF as UTF-8, the mark some editors put first in a file.
const utf8BOM = "\xef\xbb\xbf"

// ParseEnvFile reads an env_file (REFERENCE §2.4): one `KEY=VALUE` a line
// (an optional `export` and white space before it), blank lines and `#` comments
// skipped, VALUE taken as it is or between matching single or double
// quotes (no expansion, no escapes). An error names the line by its
// number, and the key when it is one, never quotes it: an env_file holds
// secrets (a file only root reads), and the error is the start's, kept
// in last_error, which read peers and the status page show.
//
// A UTF-8 byte order mark before the first line, which Windows editors
// write, is skipped, as docker's --env-file skips it: it made the first
// line's key "\ufeffKEY", refused as `line 1: want KEY=VALUE` of a line
// that reads right. A UTF-16 file (its mark) is refused as such: every
// other byte of it is a NUL.
func ParseEnvFile(data []byte) ([]EnvVar, error) {
	data = bytes.TrimPrefix(data, []byte(utf8BOM))
	if bytes.HasPrefix(data, []byte("\xff\xfe")) || bytes.HasPrefix(data, []byte("\xfe\xff")) {
		return nil, fmt.Errorf("line 1: the file is UTF-16 (it starts with its byte order mark): save it as UTF-8")
	}
	var out []EnvVar
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(strings.TrimSuffix(line, "\r"))
		if line == "" || line[0] == '#' {
			continue
		}
		if rest, ok := strings.CutPrefix(line, "export"); ok && rest != "" && (rest[0] == ' ' || rest[0] == '\t') {
			line = strings.TrimLeft(rest, " \t")
		}
		key, val, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		if !ok || !envKeyRe.MatchString(key) {
			return nil, fmt.Errorf("line %d: want KEY=VALUE, KEY of letters, digits and '_' (the line is not shown: it may hold a secret)", i+1)
		}
		val = strings.TrimSpace(val)
		if n := len(val); n > 0 && (val[0] == '"' || val[0] == '\'') {
			if n < 2 || val[n-1] != val[0] {
				return nil, fmt.Errorf("line %d: unbalanced quote in the value of %s", i+1, key)
			}
			val = val[1 : n-1]
		}
		if strings.IndexByte(val, 0) >= 0 {
			return nil, fmt.Errorf("line %d: a NUL byte in the value of %s", i+1, key)
		}
		if n := len(key) + 1 + len(val); n >= maxEnvString {
			return nil, fmt.Errorf("line %d: %s=VALUE is %d bytes: the kernel passes at most %d bytes a variable", i+1, key, n, maxEnvString-1)
		}
		out = append(out, EnvVar{Key: key, Value: val})
	}
	return out, nil
}
