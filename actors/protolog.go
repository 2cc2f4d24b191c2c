package actors

import (
	"context"
	"log/slog"

	"github.com/cfk/cfk/internal/protolog"
	"github.com/sirupsen/logrus"
)

// logrusHandler routes protoactor's slog records into cfkd's logrus logger
// (its default handler prints coloured text to stderr). protoactor's Info
// is library chatter, so it becomes Debug; Warn and Error stay. A message
// it names (a dead letter's) is written as its type (package protolog).
type logrusHandler struct {
	log   *logrus.Entry
	attrs []slog.Attr
}

func newLogrusHandler(log *logrus.Logger) slog.Handler {
	return &logrusHandler{log: log.WithField("category", "protoactor")}
}

func (h *logrusHandler) Enabled(_ context.Context, l slog.Level) bool {
	return h.log.Logger.IsLevelEnabled(level(l))
}

func (h *logrusHandler) Handle(_ context.Context, r slog.Record) error {
	h.log.WithFields(protolog.Fields(h.attrs, r)).Log(level(r.Level), r.Message)
	return nil
}

func (h *logrusHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &logrusHandler{log: h.log, attrs: append(append([]slog.Attr(nil), h.attrs...), as...)}
}

func (h *logrusHandler) WithGroup(string) slog.Handler { return h }

func level(l slog.Level) logrus.Level {
	switch {
	case l >= slog.LevelError:
		return logrus.ErrorLevel
	case l >= slog.LevelWarn:
		return logrus.WarnLevel
	default:
		return logrus.DebugLevel
	}
}
