package fleet

import (
	"context"
	"log/slog"

	"github.com/cfk/cfk/internal/protolog"
	"github.com/sirupsen/logrus"
)

// logCategory is the category of the fleet's records in cfkd's log.
const logCategory = "fleet"

// remoteLog routes the slog records of the fleet's actor system
// (protoactor and its remote) into cfkd's logger, category fleet, at most
// at info: what they report is about peers (a dial that failed, a stream
// that closed), which the fleet's own code reports once, as an answer
// and a warning, where it matters. Debug and info are debug. A message
// it names (a dead letter's) is written as its type (package protolog).
type remoteLog struct {
	log   *logrus.Entry
	attrs []slog.Attr
	// dialFailed, if set, is told each dial that failed (protoactor's
	// endpoint writer), before the endpoint's termination is published:
	// a hub names the cause of a `cannot connect` (§12.4)
	dialFailed func(addr, err string)
}

func (h *remoteLog) Enabled(_ context.Context, l slog.Level) bool {
	return h.log.Logger.IsLevelEnabled(remoteLevel(l))
}

func (h *remoteLog) Handle(_ context.Context, r slog.Record) error {
	fields := protolog.Fields(h.attrs, r)
	if r.Message == "EndpointWriter failed to connect" && h.dialFailed != nil {
		if addr, ok := fields["address"].(string); ok {
			e, _ := fields["error"].(string)
			h.dialFailed(addr, e)
		}
	}
	h.log.WithFields(fields).Log(remoteLevel(r.Level), "protoactor: "+r.Message)
	return nil
}

func (h *remoteLog) WithAttrs(as []slog.Attr) slog.Handler {
	return &remoteLog{log: h.log, dialFailed: h.dialFailed, attrs: append(append([]slog.Attr(nil), h.attrs...), as...)}
}

func (h *remoteLog) WithGroup(string) slog.Handler { return h }

func remoteLevel(l slog.Level) logrus.Level {
	if l >= slog.LevelWarn {
		return logrus.InfoLevel
	}
	return logrus.DebugLevel
}
