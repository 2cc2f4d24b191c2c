package actors

import (
	"github.com/cfk/cfk/internal/printable"
	"github.com/cfk/cfk/messages"
)

// The reply lines of status, desc, pids and inspect, built from the
// controller's view of a service and written by the codecs of package
// messages (REFERENCE §1.6). The status and desc lines (and the sockets
// one) quote what was declared (a desc, a command, a path) and what a
// run left (a fail reason): their control bytes are written \xNN
// (printable.Line), as an error's are, so that a raw client's terminal
// (socat, nc) gets no escape sequence from them; printable text is kept
// byte for byte (REFERENCE §1.5). inspect's is JSON, escaped as JSON.

// statusOf is the status line of a service.
func (c *Controller) statusOf(e *entry) messages.StatusLine {
	rt := e.rt
	return messages.StatusLine{
		Name: e.cfg.Name, State: rt.State, Pid: rt.Pid, StartTime: rt.StartTime, StopTime: rt.StopTime,
		Proxy: e.cfg.Proxy, ProxyDown: c.proxyDown(e), FailReason: rt.FailReason, RunningCmd: rt.RunningCmd,
	}
}

// statusLine is the status line written, built once per change of the
// service or of its proxy.
func (c *Controller) statusLine(e *entry) string {
	if e.status == "" {
		e.status = printable.Line(c.statusOf(e).Format())
	}
	return e.status
}

// statusOfAll is the status lines of every service in name order. The
// slice is kept and handed out again while no line changed, so that a
// console polling the status of thousands of services makes no garbage
// (each reply of 9,000 lines would otherwise be a new slice of 144 KiB,
// and the heap would grow with every poll). Nobody may change it: its
// length is its capacity, so that an append copies.
func (c *Controller) statusOfAll() []string {
	all := c.byName()
	same := len(c.statusAll) == len(all)
	for i, e := range all {
		if l := c.statusLine(e); same && c.statusAll[i] != l {
			same = false
		}
	}
	if !same {
		c.statusAll = make([]string, len(all))
		for i, e := range all {
			c.statusAll[i] = e.status
		}
	}
	return c.statusAll
}

// descLine is the desc line written (descOf, its control bytes \xNN).
func descLine(e *entry) string { return printable.Line(descOf(e).Format()) }

// descOf is the desc line of a service.
func descOf(e *entry) messages.DescLine {
	return messages.DescLine{Name: e.cfg.Name, Tags: e.cfg.Tags, Desc: e.cfg.Desc, Proxy: e.cfg.Proxy, Cmd: e.cfg.CmdText()}
}

// pidsOf is the pids line of a service: `NAME: PID`, or `NAME: PROXYPID,
// PID` under a declared proxy that runs. As the original's, the proxy's
// pid comes first only when the proxy has one: a service whose proxy does
// not run is `NAME: PID` (`w1: `), never `w1: , ` (REFERENCE §1.6).
func (c *Controller) pidsOf(e *entry) messages.PidsLine {
	l := messages.PidsLine{Name: e.cfg.Name, Pid: e.rt.Pid}
	if p := c.proxies[e.cfg.Proxy]; e.cfg.Proxy != "" && p != nil && p.procPid != 0 {
		l.Proxied, l.ProxyPid = true, p.procPid
	}
	return l
}

// infoOf is the inspect line of a service: status, desc, the counts,
// what it requires and what a start of it waits for (REFERENCE §2.8;
// waits is startWaits).
func (c *Controller) infoOf(e *entry, waits map[*entry][]string) messages.ServiceInfo {
	i := messages.NewServiceInfo(c.statusOf(e), descOf(e))
	i.Retries, i.Crashes, i.NextStart = e.rt.Retries, e.rt.Crashes, e.rt.NextStart
	i.Restarts, i.LastExit, i.LastExitTime, i.NotifyStatus = e.rt.Restarts, e.rt.LastExit, e.rt.LastExitTime, e.rt.NotifyStatus
	i.Requires, i.LastError = e.cfg.Requires, e.rt.LastError
	i.RunningFormer, i.Done = e.runsFormer(), e.rt.Done
	i.WaitingFor = waits[e]
	return i
}
