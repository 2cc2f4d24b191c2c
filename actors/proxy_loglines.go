package actors

import (
	"fmt"

	"github.com/cfk/cfk/proxywire"
	"github.com/sirupsen/logrus"
)

// What a proxy writes on its log pipe and on its own stdout and stderr,
// logged (REFERENCE §4.1, §4.4).

// endedRun is what the log lines of the run that ended last need: its
// run and its names (the services it was asked to start, their pids and
// declarations), as they were at its end. A proxy's last lines (what a
// service died of, forwarded before the proxy exited) are read once cfkd
// took its end: they were dropped, a former run's.
type endedRun struct {
	run   uint64
	names proxiedNames
}

// logLine logs one `TYPE:SVCNAME:MESSAGE` line (REFERENCE §4.4): as the output
// of service SVCNAME (with its pid), or of the proxy itself for `-`; names
// are those of the run that wrote it (the live one's, or the endedRun's).
func (p *Proxy) logLine(line string, names *proxiedNames) {
	l, err := proxywire.ParseLogLine(line)
	if err != nil {
		// once a second at most: a proxy that wrote raw lines on its
		// log pipe wrote 556,300 of these records in 3 s, 88 MB of
		// cfkd's log, each an event (REFERENCE §4.4)
		if ok, muted := p.badLog.Allow(); ok {
			msg := fmt.Sprintf("proxy '%s' sent a bad log line", p.cfg.Name)
			if muted > 0 {
				msg += mutedLastSecond(muted, "more")
			}
			p.log.WithError(err).Error(msg)
		}
		return
	}
	lvl := logrus.InfoLevel
	if l.Stream == "err" {
		lvl = logrus.ErrorLevel
	}
	own := logrus.Fields{"category": "proxy." + p.cfg.Name + "." + l.Stream, "proxy": p.cfg.Name}
	if l.Service == "-" {
		p.opts.ServiceLog.WithFields(own).Log(lvl, l.Message)
		return
	}
	n := names.of(l.Service)
	if !n.asked && n.pid == 0 && n.lastPid == 0 {
		// a service this proxy was never asked to start (nor ran last):
		// the line is the proxy's own, not that service's log and tail
		p.opts.ServiceLog.WithFields(own).Log(lvl, fmt.Sprintf("for service '%s', not started under this proxy: %s", l.Service, l.Message))
		return
	}
	fields := logrus.Fields{"category": "service." + l.Service + "." + l.Stream, "service": l.Service, "proxy": p.cfg.Name}
	if n.pid != 0 {
		fields["pid"] = n.pid
	} else if n.lastPid != 0 {
		fields["pid"] = n.lastPid // its last lines, come after its exit
	}
	p.opts.ServiceLog.WithFields(fields).Log(lvl, l.Message)
	// `command tail` (REFERENCE §4.4): of the declaration this run last
	// started under that name, not one declared since (REFERENCE §6.4)
	p.opts.tail.addOf(l.Service, n.decl, []byte(l.Message))
}

// outputLogger logs what the proxy process writes on its own stdout and
// stderr, under the proxy's category.
func (p *Proxy) outputLogger(lvl logrus.Level) func(int, []byte) {
	stream := "out"
	if lvl == logrus.ErrorLevel {
		stream = "err"
	}
	return proxyOutputLogger(p.opts.ServiceLog, p.cfg.Name, stream)
}
