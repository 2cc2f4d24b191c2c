package actors

import (
	"fmt"

	"github.com/cfk/cfk/proxywire"
	"github.com/sirupsen/logrus"
)

// What a proxy writes on its log pipe and on its own stdout and stderr,
// logged (REFERENCE §4.1, §4.4).

// logLine logs one `TYPE:SVCNAME:MESSAGE` line (REFERENCE §4.4): as the output
// of service SVCNAME (with its pid), or of the proxy itself for `-`.
func (p *Proxy) logLine(line string) {
	l, err := proxywire.ParseLogLine(line)
	if err != nil {
		// once a second at most: a proxy that wrote raw lines on its
		// log pipe wrote 556,300 of these records in 3 s, 88 MB of
		// cfkd's log, each an event (REFERENCE §4.4)
		if ok, muted := p.badLog.Allow(); ok {
			msg := fmt.Sprintf("proxy '%s' sent a bad log line", p.cfg.Name)
			if muted > 0 {
				msg += fmt.Sprintf(" (and %d more in the last second, not logged)", muted)
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
	if _, ok := p.svcs[l.Service]; !ok && p.pids[l.Service] == 0 && p.lastPid[l.Service] == 0 {
		// a service this proxy was never asked to start (nor ran last):
		// the line is the proxy's own, not that service's log and tail
		p.opts.ServiceLog.WithFields(own).Log(lvl, fmt.Sprintf("for service '%s', not started under this proxy: %s", l.Service, l.Message))
		return
	}
	fields := logrus.Fields{"category": "service." + l.Service + "." + l.Stream, "service": l.Service, "proxy": p.cfg.Name}
	if pid := p.pids[l.Service]; pid != 0 {
		fields["pid"] = pid
	} else if pid := p.lastPid[l.Service]; pid != 0 {
		fields["pid"] = pid // its last lines, come after its exit
	}
	p.opts.ServiceLog.WithFields(fields).Log(lvl, l.Message)
	p.opts.tail.add(l.Service, []byte(l.Message)) // `command tail` (REFERENCE §4.4)
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
