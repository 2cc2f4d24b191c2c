package actors

import (
	"os"
	"slices"
	"testing"
)

// A proxy's log line loses its "\n" alone, as the original cfkd's reader
// took it (REFERENCE §4.4): a "\r" before it is the service's (a proxy
// cuts a service's lines as cfkd cuts a direct service's, §2.4). A status
// line loses any "\r" too (JSON). Empty lines are skipped.
func TestProxyLineEnds(t *testing.T) {
	t.Parallel()
	const in = "out:s:OK\r\r\n\n\r\nerr:s:x\r\nout:s:last"
	for _, tc := range []struct {
		name string
		trim func([]byte) []byte
		want []string
	}{
		{"log", logLineEnd, []string{"out:s:OK\r\r", "\r", "err:s:x\r", "out:s:last"}},
		{"status", statusLineEnd, []string{"out:s:OK", "err:s:x", "out:s:last"}},
	} {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		go func() { w.WriteString(in); w.Close() }()
		var got []string
		readLinesFrom(r, []byte("err:-:carried\n"), tc.trim, func(l []byte) { got = append(got, string(l)) }, readerEnd{})
		if want := append([]string{"err:-:carried"}, tc.want...); !slices.Equal(got, want) {
			t.Errorf("%s lines: %q, want %q", tc.name, got, want)
		}
	}
}
