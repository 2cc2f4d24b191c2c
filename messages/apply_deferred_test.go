package messages

import (
	"reflect"
	"testing"
)

// TestParseDeferredIsParse: ParseDeferred leaves an apply's DATA to
// decode, and Decode then gives what Parse gives (its statement, or its
// error); an error of the options is told at once, as Parse tells it; a
// line that is no apply is Parse's.
func TestParseDeferredIsParse(t *testing.T) {
	data := EncodeApplyData("service a cmd=sleep 1\nsocket s address=tcp:127.0.0.1:0\n")
	bad := EncodeApplyData("service a nope=1\n")
	for _, line := range []string{
		"command apply dry-run " + data,
		"  command apply prune rolling " + data + "  # a comment",
		"command apply " + bad,
		"command apply dry-run notbase64!",
		"command apply dry-run dry-run " + data,
		"command apply prune",
		"command apply",
		"command apply nope " + data,
		"command status",
		"service a cmd=x",
	} {
		want, wantErr := Parse(line)
		st, err := ParseDeferred(line)
		if p, ok := st.(PendingApply); ok {
			if err != nil {
				t.Fatalf("%.40q: a PendingApply and %v", line, err)
			}
			if len(p.Want.Services) != 0 {
				t.Fatalf("%.40q: decoded already", line)
			}
			var a Apply
			a, err = p.Decode()
			st = a
			if err != nil {
				st = nil
			}
		}
		if !reflect.DeepEqual(st, want) || (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
			t.Errorf("%.40q: deferred %#v, %v; Parse %#v, %v", line, st, err, want, wantErr)
		}
	}
}
