package protolog

import (
	"fmt"
	"log/slog"

	"github.com/sirupsen/logrus"
)

// Fields returns the fields of record r with the handler's attributes
// pre before its own: each attribute's value as slog prints it, but for a
// message, named by its type (see the package's invariant).
func Fields(pre []slog.Attr, r slog.Record) logrus.Fields {
	fields := logrus.Fields{}
	add := func(a slog.Attr) bool { fields[a.Key] = value(a); return true }
	for _, a := range pre {
		add(a)
	}
	r.Attrs(add)
	return fields
}

// value is what the record says of a: a message's type, or a's value.
func value(a slog.Attr) string {
	if a.Key != "message" {
		return a.Value.String()
	}
	v := a.Value.Resolve()
	if v.Kind() != slog.KindAny {
		return v.String() // a string or a number: no message of cfkd's
	}
	return fmt.Sprintf("%T", v.Any())
}
