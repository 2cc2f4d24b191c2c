package messages

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// ParseSocketLine refused a line of more fields than it knew, so that a
// cfkctl failed on every sockets line of a newer cfkd (as the sixth field
// broke the cfkctls that knew five). It ignores the fields after the
// sixth now, the sixth then empty when no file attribute is set
// (REFERENCE §1.6); Format is unchanged.
func TestSocketLineIgnoresLaterFields(t *testing.T) {
	plain := SocketLine{Name: "web", Host: "127.0.0.1", Service: "8080", Bound: true, Services: []string{"w1", "w2"}}
	file := SocketLine{Name: "app", Host: "unix/", Service: "/run/app.sock", Services: []string{"w"}, Group: "33", Mode: "0660"}
	for _, tc := range []struct {
		line string
		want SocketLine
	}{
		{"web\t127.0.0.1\t8080\tbound\tw1,w2\t\tX", plain},
		{"web\t127.0.0.1\t8080\tbound\tw1,w2\t\tX\t\tY Z", plain},
		{"web\t127.0.0.1\t8080\tbound\tw1,w2\t\t", plain},
		{"app\tunix/\t/run/app.sock\tunbound\tw\tgroup=33 mode=0660\tX", file},
		{"app\tunix/\t/run/app.sock\tunbound\tw\tgroup=33 mode=0660\t\t", file},
	} {
		got, err := ParseSocketLine(tc.line)
		if err != nil || !sameSocket(got, tc.want) {
			t.Errorf("ParseSocketLine(%q) = %+v, %v; want %+v", tc.line, got, err, tc.want)
		}
	}
	// what the line says is still checked; the fields it knows are as
	// strict as ever
	for _, tc := range []struct{ line, err string }{
		{"web\t127.0.0.1\t8080\tup\tw1\t\tX", `state "up" is neither bound nor unbound`},
		{"web\tunix/\t/a\tbound\ta\tb\tX", `invalid file field "b"`},
		{"web\tunix/\t/a\tbound\ta\t", `invalid file field ""`},
	} {
		if _, err := ParseSocketLine(tc.line); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("ParseSocketLine(%q) = %v, want %q", tc.line, err, tc.err)
		}
	}
	if got := plain.Format(); got != "web\t127.0.0.1\t8080\tbound\tw1,w2" {
		t.Errorf("Format = %q", got)
	}
}

// A hub's fleet lines of kind ok and host (REFERENCE §12.4), whose last
// field holds no tab, refused a field after it (ok) or took it into the
// last one (host: tags); a newer hub's fields after them are ignored now.
func TestFleetLineIgnoresLaterFields(t *testing.T) {
	for _, tc := range []struct {
		line string
		want FleetLine
	}{
		{"web1\tok\t1.532\tX", FleetLine{Host: "web1", Kind: FleetOK, RTT: 1532 * time.Microsecond}},
		{"web1\thost\t127.0.0.2:7001\tweb,eu\tX\tY", FleetLine{Host: "web1", Kind: FleetHost, Text: "127.0.0.2:7001", Tags: []string{"web", "eu"}}},
		{"web1\thost\t127.0.0.2:7001\t\tX", FleetLine{Host: "web1", Kind: FleetHost, Text: "127.0.0.2:7001"}},
		// text fields keep their tabs
		{"web2\terror\t0.914\ta\tb", FleetLine{Host: "web2", Kind: FleetError, RTT: 914 * time.Microsecond, Text: "a\tb"}},
	} {
		got, err := ParseFleetLine(tc.line)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseFleetLine(%q) = %+v, %v; want %+v", tc.line, got, err, tc.want)
		}
	}
}

// A fleet line of a kind this reader does not know, a newer hub's
// (REFERENCE §12.4), was refused, which failed the whole cfkctl fleet: it
// is kept, not Known, its fields in Text, and written back the same.
func TestFleetLineOfALaterKind(t *testing.T) {
	for _, tc := range []struct {
		line string
		want FleetLine
	}{
		{"web1\tprogress\t3/5\tsvc1", FleetLine{Host: "web1", Kind: "progress", Text: "3/5\tsvc1"}},
		{"web1\twarn\tclock 2s ahead", FleetLine{Host: "web1", Kind: "warn", Text: "clock 2s ahead"}},
		{"web1\tdone\t", FleetLine{Host: "web1", Kind: "done"}},
	} {
		got, err := ParseFleetLine(tc.line)
		if err != nil || !reflect.DeepEqual(got, tc.want) || got.Known() || got.Outcome() {
			t.Errorf("ParseFleetLine(%q) = %+v, %v (known %v); want %+v", tc.line, got, err, got.Known(), tc.want)
		}
		if f := got.Format(); f != tc.line {
			t.Errorf("Format(%+v) = %q, want %q", got, f, tc.line)
		}
	}
	for _, k := range []FleetLineKind{FleetBody, FleetOK, FleetError, FleetDown, FleetSkipped, FleetHost} {
		if !(FleetLine{Kind: k}).Known() {
			t.Errorf("%s: not known", k)
		}
	}
}
