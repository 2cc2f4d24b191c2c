package protolog

import (
	"log/slog"
	"strings"
	"testing"
	"time"
)

type carrier struct{ Value string }

// A message in a record is named by its type, whatever the type: its
// fields (a secret) are not written; other attributes are as slog prints
// them, the handler's before the record's.
func TestFieldsNameAMessageByItsType(t *testing.T) {
	r := slog.NewRecord(time.Now(), slog.LevelInfo, "[DeadLetter]", 0)
	r.AddAttrs(slog.Any("message", &carrier{Value: "s3cr3t"}), slog.Any("pid", "nonhost/controller"), slog.Int("n", 3))
	f := Fields([]slog.Attr{slog.String("address", "127.0.0.2:7000")}, r)
	if got := f["message"]; got != "*protolog.carrier" {
		t.Errorf("message: %q, want its type", got)
	}
	if f["pid"] != "nonhost/controller" || f["n"] != "3" || f["address"] != "127.0.0.2:7000" {
		t.Errorf("the other fields: %v", f)
	}
	for k, v := range f {
		if strings.Contains(v.(string), "s3cr3t") {
			t.Errorf("field %s: %q", k, v)
		}
	}
	for _, tc := range []struct {
		v    slog.Value
		want string
	}{
		{slog.StringValue("a text"), "a text"},
		{slog.AnyValue(carrier{Value: "s3cr3t"}), "protolog.carrier"},
		{slog.AnyValue(nil), "<nil>"},
	} {
		r := slog.NewRecord(time.Now(), slog.LevelInfo, "m", 0)
		r.AddAttrs(slog.Attr{Key: "message", Value: tc.v})
		if got := Fields(nil, r)["message"]; got != tc.want {
			t.Errorf("%v: %q, want %q", tc.v, got, tc.want)
		}
	}
}
