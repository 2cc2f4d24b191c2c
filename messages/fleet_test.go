package messages

import (
	"reflect"
	"testing"
	"time"
)

func TestParseFleet(t *testing.T) {
	for _, tc := range []struct {
		line    string
		want    Fleet
		lines   []string
		oneEach []string
		err     string
	}{
		{line: "command fleet status", want: Fleet{Verb: VerbStatus}, lines: []string{"command status"}},
		{line: "command fleet hosts", want: Fleet{Verb: VerbFleetHosts}},
		{line: "command fleet hosts=web1,@eu status tag web", want: Fleet{Hosts: []string{"web1", "@eu"}, Verb: VerbStatus},
			lines: []string{"command status tag web"}},
		{line: "command fleet hosts=web1,@eu,web1,@eu status", want: Fleet{Hosts: []string{"web1", "@eu"}, Verb: VerbStatus},
			lines: []string{"command status"}},
		{line: "command fleet restart service a tag web service a", want: Fleet{Verb: VerbRestart},
			lines:   []string{"command restart service a tag web"},
			oneEach: []string{"command restart service a", "command restart tag web"}},
		{line: "command fleet stop service db service app", want: Fleet{Verb: VerbStop},
			lines:   []string{"command stop service db service app"},
			oneEach: []string{"command stop service db", "command stop service app"}},
		{line: "command fleet stop service app service db", want: Fleet{Verb: VerbStop},
			lines:   []string{"command stop service app service db"},
			oneEach: []string{"command stop service app", "command stop service db"}},
		{line: "command fleet signal HUP tag web service db", want: Fleet{Verb: VerbSignal},
			lines:   []string{"command signal HUP tag web service db"},
			oneEach: []string{"command signal HUP tag web", "command signal HUP service db"}},
		{line: "command fleet rolling-hosts restart tag web service db", want: Fleet{Verb: VerbRestart, Rolling: true},
			lines:   []string{"command rollingrestart tag web service db"},
			oneEach: []string{"command rollingrestart tag web", "command rollingrestart service db"}},
		{line: "command fleet status tag web service db", want: Fleet{Verb: VerbStatus},
			lines: []string{"command status tag web", "command status service db"}},
		{line: "command fleet restart tag web all", want: Fleet{Verb: VerbRestart}, lines: []string{"command restart all"}},
		{line: "command fleet rolling-hosts restart tag web", want: Fleet{Verb: VerbRestart, Rolling: true},
			lines: []string{"command rollingrestart tag web"}},
		{line: "command fleet signal HUP tag web", want: Fleet{Verb: VerbSignal}, lines: []string{"command signal HUP tag web"}},
		{line: "command fleet events", want: Fleet{Verb: VerbEvents}, lines: []string{"command events"}},
		{line: "command fleet destroy tag old", want: Fleet{Verb: VerbDestroy}, lines: []string{"command destroy tag old"}},
		{line: "command fleet", err: ErrFleetNoVerb.Error()},
		{line: "command fleet hosts=web1", err: ErrFleetNoVerb.Error()},
		{line: "command fleet hosts=a!b status", err: "invalid host 'a!b' in hosts= (want host names and @tags)"},
		{line: "command fleet hosts= status", err: "hosts= needs host names or @tags"},
		{line: "command fleet hosts x", err: "'hosts' takes no argument"},
		{line: "command fleet rolling-hosts stop tag web", err: "rolling-hosts goes with restart only"},
		{line: "command fleet tail web1", err: "'tail' does not go over the fleet"},
		{line: "command fleet fleet status", err: "'fleet' does not go over the fleet"},
		{line: "command fleet upgrade", err: "'upgrade' does not go over the fleet"},
		{line: "command fleet status bogus", err: "unknown selector 'bogus'"},
		{line: "command fleet status tag", err: "tag selector takes exactly 1 argument: tag"},
		{line: "command fleet signal BOGUS all", err: "unknown signal 'BOGUS'"},
		{line: "command fleet events tag a tag b", err: "fleet events takes one selector at most"},
		{line: "command fleet nosuch", err: "unknown command 'nosuch'"},
	} {
		st, err := Parse(tc.line)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("%q: error %v, want %q", tc.line, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.line, err)
			continue
		}
		f := st.(Fleet)
		if !reflect.DeepEqual(f.Lines, tc.lines) {
			t.Errorf("%q: lines %q, want %q", tc.line, f.Lines, tc.lines)
		}
		for i, l := range f.Lines {
			if c, err := Parse(l); err != nil || !reflect.DeepEqual(c, f.Commands[i]) {
				t.Errorf("%q: line %q parses to %#v (%v), not %#v", tc.line, l, c, err, f.Commands[i])
			}
		}
		if !reflect.DeepEqual(f.OneEach, tc.oneEach) {
			t.Errorf("%q: one each %q, want %q", tc.line, f.OneEach, tc.oneEach)
		}
		for _, l := range f.OneEach {
			if _, err := Parse(l); err != nil {
				t.Errorf("%q: line %q: %v", tc.line, l, err)
			}
		}
		f.Lines, f.Commands, f.OneEach = nil, nil, nil
		if !reflect.DeepEqual(f, tc.want) {
			t.Errorf("%q: %+v, want %+v", tc.line, f, tc.want)
		}
	}
}

func TestFleetLineRoundTrip(t *testing.T) {
	for _, l := range []FleetLine{
		{Host: "web1", Kind: FleetBody, Text: "svc1\trunning\t4711\t1795274153\t\t\t\tsleep 100"},
		{Host: "web1", Kind: FleetOK, RTT: 1532 * time.Microsecond},
		{Host: "web2", Kind: FleetError, RTT: 914 * time.Microsecond, Text: "Couldn't find a valid service. bailing."},
		{Host: "web3", Kind: FleetDown, Text: "no answer within 5s"},
		{Host: "web4", Kind: FleetSkipped, Text: "the rolling restart stopped at web2"},
		{Host: "web1", Kind: FleetHost, Text: "127.0.0.2:7001", Tags: []string{"web", "eu"}},
		{Host: "web1", Kind: FleetHost, Text: "127.0.0.2:7001"},
	} {
		got, err := ParseFleetLine(l.Format())
		if err != nil || !reflect.DeepEqual(got, l) {
			t.Errorf("%q: %+v %v, want %+v", l.Format(), got, err, l)
		}
	}
	for _, bad := range []string{"", "web1", "web1\t", "web1\tno pe\tx", "web1\tok\tx", "web1\terror\t1.0", "we b\tline\tx", "web1\thost\taddr"} {
		if _, err := ParseFleetLine(bad); err == nil {
			t.Errorf("%q: accepted", bad)
		}
	}
	h, e, err := ParseFleetEventLine(string(FleetEventLine("web1", []byte(`{"kind":"lost","lost":1}`))))
	if err != nil || h != "web1" || e != `{"kind":"lost","lost":1}` {
		t.Errorf("event line: %q %q %v", h, e, err)
	}
	ev := Event{Kind: EventHost, Time: time.Unix(1795274153, 0).UTC(), From: "up", To: "down", Reason: "no answer within 5s"}
	if got, err := ParseEvent(ev.Format()); err != nil || !reflect.DeepEqual(got, ev) {
		t.Errorf("host event: %+v %v", got, err)
	}
}
