package messages

import (
	"strings"
	"testing"
	"time"
)

func TestEventLines(t *testing.T) {
	at := time.Date(2026, 11, 21, 15, 4, 5, 123e6, time.FixedZone("CET", 3600))
	for _, tc := range []struct {
		e    Event
		want string
	}{
		{ServiceEvent(ServiceStateChanged{Name: "web1", From: Running, To: Fail, Pid: 123, Reason: "Exited with error 1", At: at, Tags: []string{"web"}}),
			`{"kind":"service","time":"2026-11-21T14:04:05.123Z","service":"web1","from":"running","to":"fail","pid":123,"reason":"Exited with error 1"}`},
		{ServiceEvent(ServiceStateChanged{Name: "a", From: Stopped, To: Starting, At: at}),
			`{"kind":"service","time":"2026-11-21T14:04:05.123Z","service":"a","from":"stopped","to":"starting"}`},
		{ProxyEvent(ProxyStateChanged{Name: "p", From: "down", To: "up", Running: true, Pid: 7}, at),
			`{"kind":"proxy","time":"2026-11-21T14:04:05.123Z","proxy":"p","from":"down","to":"up","pid":7}`},
		{SocketEvent(SocketStateChanged{Name: "web", From: "unbound", To: "bound", Address: "127.0.0.1:8080", At: at}),
			`{"kind":"socket","time":"2026-11-21T14:04:05.123Z","socket":"web","from":"unbound","to":"bound","address":"127.0.0.1:8080"}`},
		{Event{Kind: EventCfkd, Time: at, Level: "warn", Message: "a <b> & c", Service: "web1"},
			`{"kind":"cfkd","time":"2026-11-21T14:04:05.123Z","service":"web1","level":"warn","message":"a <b> & c"}`},
		{DestroyedEvent(ServiceForgotten{Name: "web1", At: at, Tags: []string{"web"}}),
			`{"kind":"destroyed","time":"2026-11-21T14:04:05.123Z","service":"web1"}`},
		{LostEvent(42), `{"kind":"lost","lost":42}`},
		{UpgradeEndEvent(), `{"kind":"end","reason":"cfkd is being upgraded in place","resume":true}`},
		{DoneEndEvent(ShutdownReason), `{"kind":"end","reason":"cfkd is shutting down","done":true}`},
	} {
		if got := tc.e.Format(); got != tc.want {
			t.Errorf("%+v\nwrites %s\nwant   %s", tc.e, got, tc.want)
		}
		back, err := ParseEvent(tc.want)
		if err != nil || back.Format() != tc.want {
			t.Errorf("%s reads back as %+v, %v", tc.want, back, err)
		}
	}
}

func TestEventLineErrors(t *testing.T) {
	for line, want := range map[string]string{
		`{"kind":"service","service":"a","from":"stopped","to":"starting"}`:                               "a service event without time",
		`{"kind":"destroyed","time":"2026-01-01T00:00:00Z"}`:                                              "a destroyed event without service",
		`{"kind":"destroyed","time":"2026-01-01T00:00:00Z","service":"a","pid":3}`:                        "a destroyed event with pid",
		`{"kind":"service","time":"2026-01-01T00:00:00Z","service":"a","from":"up","to":"starting"}`:      "unknown service state",
		`{"kind":"proxy","time":"2026-01-01T00:00:00Z","proxy":"p","from":"down","to":"up","reason":"x"}`: "a proxy event with reason",
		`{"kind":"cfkd","time":"2026-01-01T00:00:00Z","level":"info","message":"x"}`:                      `unknown level "info"`,
		`{"kind":"weather","time":"2026-01-01T00:00:00Z"}`:                                                `unknown kind "weather"`,
		`{"kind":"end","reason":"x","done":true,"time":"2026-01-01T00:00:00Z"}`:                           "a end event with time",
		`{"kind":"lost","lost":-1}`:                                                                         "negative lost count",
		`{"kind":"lost","time":"2026-01-01T00:00:00Z","lost":1}`:                                            "a lost event with time",
		`{"kind":"socket","time":"yesterday","socket":"s","from":"bound","to":"unbound"}`:                   "not an RFC 3339 time",
		`{"kind":"service","time":"2026-01-01T00:00:00Z","service":"a b","from":"stopped","to":"starting"}`: "invalid service",
		`not json`: "malformed event line",
	} {
		_, err := ParseEvent(line)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseEvent(%s) = %v, want an error with %q", line, err, want)
		}
	}
}
