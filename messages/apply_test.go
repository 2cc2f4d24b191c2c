package messages

import (
	"encoding/base64"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func applyLine(opts, text string) string {
	if opts != "" {
		opts += " "
	}
	return "command apply " + opts + EncodeApplyData(text)
}

func TestApplyDataRoundTrip(t *testing.T) {
	for _, text := range []string{"", "service a cmd=x\n", strings.Repeat("service web cmd=sleep 100\n", 10000)} {
		data := EncodeApplyData(text)
		if strings.ContainsAny(data, " \t\r\n#") {
			t.Fatalf("DATA holds white space or #: %q", data)
		}
		got, err := DecodeApplyData(data)
		if err != nil || got != text {
			t.Fatalf("round trip of %d bytes: %d bytes, %v", len(text), len(got), err)
		}
	}
	// a repetitive file of 250 KB fits a request line (64 KiB)
	big := ""
	for i := 0; i < 1000; i++ {
		big += "service web" + itoa3(i) + " cmd=python3 /srv/app/worker.py --port 80" + itoa3(i) + "\n" +
			"service web" + itoa3(i) + " tags=web,prod\nservice web" + itoa3(i) + " tie_stdin_to=web\n"
	}
	if n := len(EncodeApplyData(big)); n > 64<<10 {
		t.Errorf("%d bytes of config encode to %d bytes", len(big), n)
	}
}

func itoa3(i int) string {
	return string([]byte{byte('0' + i/100), byte('0' + i/10%10), byte('0' + i%10)})
}

func TestParseApply(t *testing.T) {
	text := "# a file\nsocket web host=127.0.0.1\nsocket web service=8080\ncommand bind web\n\n" +
		"service a cmd=sleep 1\r\nservice a startwait_secs=.5\nproxy p service w cmd=[\"w\"]\nproxy p noauto=yes\n" +
		"command start all\n"
	st, err := Parse(applyLine("prune rolling", text))
	if err != nil {
		t.Fatal(err)
	}
	a := st.(Apply)
	if a.DryRun || !a.Prune || !a.Rolling {
		t.Fatalf("options: %+v", a)
	}
	svcA := NewServiceConfig("a")
	svcA.Cmd, svcA.StartWait = "sleep 1", 500*time.Millisecond
	svcW := NewServiceConfig("w")
	svcW.Argv, svcW.Proxy = []string{"w"}, "p"
	want := Declarations{
		Services: map[string]ServiceConfig{"a": svcA, "w": svcW},
		Sockets:  map[string]SocketConfig{"web": {Name: "web", Host: "127.0.0.1", Service: "8080"}},
		Proxies:  map[string]ProxyConfig{"p": {Name: "p", NoAuto: true}},
		// no requires declared
		RequiresAt: map[string]int{},
	}
	if !reflect.DeepEqual(a.Want, want) {
		t.Fatalf("declarations\n got %+v\nwant %+v", a.Want, want)
	}
	if !a.NeedsPrivilege() {
		t.Error("an apply needs no privilege")
	}
	st, err = Parse(applyLine("dry-run", ""))
	if err != nil || !st.(Apply).DryRun || st.NeedsPrivilege() {
		t.Fatalf("dry run: %+v %v", st, err)
	}
	if d := st.(Apply).Want; len(d.Services)+len(d.Sockets)+len(d.Proxies) != 0 || d.Services == nil {
		t.Fatalf("empty text: %+v", d)
	}
}

func TestParseApplyErrors(t *testing.T) {
	nested := applyLine("", "service a cmd=x")
	gz := func(s string) string { return EncodeApplyData(s) }
	for _, tc := range []struct{ line, want string }{
		{"command apply", ErrApplyNoData.Error()},
		{"command apply " + "prune", "apply needs the declarations after 'prune': command apply [dry-run] [prune] [rolling] DATA"},
		{"command apply fast " + gz(""), "unknown apply option 'fast'"},
		{"command apply !!!", "apply: the declarations are not base64: illegal base64 data at input byte 0"},
		{"command apply " + base64.StdEncoding.EncodeToString([]byte("plain text")), "apply: the declarations are not gzip: gzip: invalid header"},
		{"command apply " + gz("service a cmd=x\nservice a bogus=1\n"), "line 2: invalid property 'bogus'"},
		{"command apply " + gz("service a cmd=x\n\ncommand nope\n"), "line 3: unknown command 'nope'"},
		{"command apply " + gz("exit\n"), "line 1: unknown command 'exit'"},
		{"command apply " + gz("service a cmd=x\n"+nested+"\n"), "line 2: apply cannot be nested"},
		{"command apply " + gz(strings.Repeat("#", MaxApplyText+1)), "apply: the declarations are longer than 16777216 bytes"},
	} {
		st, err := Parse(tc.line)
		if err == nil || st != nil {
			t.Errorf("Parse(%.60q) = %+v, want error %q", tc.line, st, tc.want)
			continue
		}
		if err.Error() != tc.want {
			t.Errorf("Parse(%.60q)\n got %q\nwant %q", tc.line, err, tc.want)
		}
	}
	// a line's error wraps the statement's own
	_, err := Parse("command apply " + gz("service a nope=1"))
	if !errors.Is(err, ErrInvalidProperty) {
		t.Errorf("not wrapped: %v", err)
	}
}

// A panic while an apply's DATA is decoded is its error: Decode runs in a
// goroutine of its own, where a panic would end cfkd.
func TestDecodePanicIsAnError(t *testing.T) {
	old := decodedHook
	decodedHook = func(string) { panic("boom") }
	t.Cleanup(func() { decodedHook = old })
	st, err := ParseDeferred("command apply dry-run " + EncodeApplyData("service a cmd=sleep 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := st.(PendingApply).Decode()
	if err == nil || err.Error() != "apply DATA: internal error: boom" || a.Want.Services != nil {
		t.Errorf("Decode: %+v, %v", a.Want, err)
	}
}
