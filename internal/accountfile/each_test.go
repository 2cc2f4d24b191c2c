package accountfile

import (
	"strings"
	"testing"
)

// Each gives the entries alone, and says when the file does not say
// every account (NIS lines, a line too long) or take stopped it.
func TestEach(t *testing.T) {
	for _, c := range []struct {
		name, file string
		stopAt     string
		want       []string
		complete   bool
	}{
		{"entries", "# users\nroot:x:0:0::/root:/bin/bash\n\n  daemon:x:1:1::/:/bin/sh  \n", "", []string{"root", "daemon"}, true},
		{"nis", "root:x:0:0::/root:/bin/bash\n+nis::::::\n-bad::::::\nbin:x:2:2::/:/bin/sh\n", "", []string{"root", "bin"}, false},
		{"stopped", "a:x:1:1\nb:x:2:2\nc:x:3:3\n", "b", []string{"a", "b"}, false},
		{"too long", "a:x:1:1\n" + strings.Repeat("z", maxLine+1) + "\nb:x:2:2\n", "", []string{"a"}, false},
		{"no newline at the end", "a:x:1:1", "", []string{"a"}, true},
	} {
		var got []string
		complete := Each(strings.NewReader(c.file), func(f []string) bool {
			got = append(got, f[0])
			return f[0] != c.stopAt
		})
		if strings.Join(got, ",") != strings.Join(c.want, ",") || complete != c.complete {
			t.Errorf("%s: %v complete %v, want %v complete %v", c.name, got, complete, c.want, c.complete)
		}
	}
}
