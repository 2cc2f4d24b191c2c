package actors

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/lifecycle"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/osproc"
	"github.com/cfk/cfk/sockets"
	"github.com/cfk/cfk/upgrade"
	"github.com/sirupsen/logrus"
)

// This file is the controller's side of the new cfkd of an upgrade in
// place (REFERENCE §13): RestoreState makes every declaration again and
// adopts, from the launcher, every process (services and proxies) and
// output pipe the former cfkd had, before the launcher thaws.

// restoreState makes the declarations of st again and gives each service
// its lifecycle, process and pipes.
func (c *Controller) restoreState(ctx actor.Context, m RestoreState) messages.Reply {
	st := m.State
	for _, p := range st.Proxies {
		e, err := c.ensureProxy(ctx, p.Config.Name)
		if err != nil {
			return messages.ErrorReply(err)
		}
		e.cfg = p.Config
		ctx.Send(e.pid, configureProxy{cfg: p.Config})
	}
	proxyPids := map[string]int{}
	for _, p := range st.Proxies {
		if p.Running {
			proxyPids[p.Config.Name] = p.Pid
		}
	}
	files, names := map[string]*os.File{}, map[string]bool{}
	for _, s := range st.Sockets {
		name := s.Config.Name
		var f *os.File
		if s.Fd >= 0 {
			if f = m.Files[s.Fd]; f == nil {
				return messages.ErrorReply(fmt.Errorf("socket '%s': fd %d not handed over", name, s.Fd))
			}
		}
		log, bound, service := c.log, s.Bound, s.Service
		props := actor.PropsFromProducer(func() actor.Actor {
			if f == nil {
				return sockets.New(name, log)
			}
			return sockets.Adopted(name, log, f, bound, service)
		})
		pid, err := ctx.SpawnNamed(props, "socket/"+name)
		if err != nil {
			return messages.ErrorReply(fmt.Errorf("socket '%s': %w", name, err))
		}
		e := &sockEntry{pid: pid, cfg: s.Config}
		if f != nil {
			e.file, e.boundCfg, e.service = f, s.Bound, s.Service
			files[name] = f
		}
		c.sockets[name] = e
		names[name] = true
	}
	c.files, c.sockNames = files, names
	c.sendProxies(messages.SocketsChanged{Files: files})
	pipes := map[string][]osproc.FrozenPipe{}
	for _, p := range st.Pipes {
		pipes[p.Tag] = append(pipes[p.Tag], p)
	}
	for _, svc := range st.Services {
		cfg := svc.Config
		e := c.addService(&cfg)
		c.servicePID(e)
		e.setRuntime(svc.Lifecycle.Runtime(cfg.Name, svc.RunningCmd))
		proc := c.adopt(svc, e.pid, e.tailGen, pipes[ServiceTag(cfg.Name)])
		delete(pipes, ServiceTag(cfg.Name))
		held := svc.NotifyUid != nil && c.opts.notifyShared != nil
		if held {
			// the run's count on the shared notify socket, taken here,
			// before the former cfkd's are dropped (below): no datagram
			// of its uid is refused meanwhile
			c.opts.notifyShared.Acquire(*svc.NotifyUid)
		}
		ctx.Send(e.pid, restoreService{svc: svc, proc: proc, proxyPid: proxyPids[cfg.Proxy], sharedHeld: held})
		// notify datagrams find it; those kept, read from the socket
		// before now (sent during the exec), are routed to it: after its
		// restore, or it would drop them as an ended run's (no pid yet)
		c.trackPid(cfg.Name, 0, e.rt.Pid)
	}
	if c.opts.notifyShared != nil {
		c.opts.notifyShared.DropInherited()
	}
	formerDecls := map[string]uint64{}
	for _, svc := range st.Services {
		formerDecls[svc.Config.Name] = svc.Decl
	}
	for _, p := range st.Proxies {
		if err := c.restoreProxy(ctx, p, m.Files, pipes[ProxyTag(p.Config.Name)], formerDecls); err != nil {
			return messages.ErrorReply(err)
		}
		delete(pipes, ProxyTag(p.Config.Name))
	}
	ad, canAdopt := c.opts.Launcher.(Adopter)
	for _, tag := range sortedKeys(pipes) {
		name, ok := strings.CutPrefix(tag, ServiceTag(""))
		for _, p := range pipes[tag] {
			if !ok || !canAdopt {
				syscall.Close(p.Fd) // a probe's: not read
				continue
			}
			// a destroyed service's, which a process it left still holds
			// (REFERENCE §6.4, §7.5): read on, its lines logged as the
			// former cfkd logged them, not kept. Closed, that process
			// died of SIGPIPE at its next write, what the pipe held lost.
			c.adoptPipe(ad, p, name, formerTailGen)
		}
	}
	c.log.Infof("upgrade: adopted %d services, %d sockets, %d proxies from cfkd %s", len(st.Services), len(st.Sockets), len(st.Proxies), st.CfkdVersion)
	return messages.Reply{}
}

// adoptPipe reads on the output pipe p of service name, its lines kept
// in the tail of the declaration gen (formerTailGen: logged only), the
// pipe's Owner from now on for this cfkd's own upgrade.
func (c *Controller) adoptPipe(ad Adopter, p osproc.FrozenPipe, name string, gen uint64) {
	p.Owner = gen
	if err := ad.AdoptOutputLines(p, serviceOutputLogger(c.opts.tail, name, gen, streamOf(p))); err != nil {
		c.log.WithError(err).WithFields(logrus.Fields{"service": name, "pid": p.Pid}).Error("the output of the process is not read")
	}
}

// adopt registers the process of svc with the launcher (its exit goes to
// the service actor pid) and its output pipes with the poller, before the
// launcher thaws; it returns the process (nil when there is none).
func (c *Controller) adopt(svc upgrade.Service, pid *actor.PID, tailGen uint64, pipes []osproc.FrozenPipe) *osproc.Process {
	ad, ok := c.opts.Launcher.(Adopter)
	if !ok {
		for _, p := range pipes {
			syscall.Close(p.Fd)
		}
		return nil
	}
	name := svc.Config.Name
	for _, p := range pipes {
		gen := tailGen
		if p.Owner != 0 && p.Owner != svc.Decl {
			// a former declaration's run (destroyed, declared anew),
			// which an orphan still writes to: logged, not kept
			// (REFERENCE §6.4)
			gen = formerTailGen
		}
		c.adoptPipe(ad, p, name, gen)
	}
	lc := svc.Lifecycle
	if lc.Pid == 0 || lc.Proxied || !lc.State.IsUp() {
		return nil
	}
	for _, e := range svc.Exits {
		if e.Pid == lc.Pid {
			return nil // reaped by the former cfkd: the service handles it first
		}
	}
	root := c.sys.Root
	onExit := func(p int, ws syscall.WaitStatus) { root.Send(pid, messages.ProcessExited{Pid: p, Status: ws}) }
	if sa, ok := c.opts.Launcher.(ServiceAdopter); ok {
		// a stop under way: the former cfkd signalled the process, its
		// orphans are ended at its exit as they would have been there
		stopping := lc.State == messages.Stopping || lc.Timer == lifecycle.TimerStopWait || lc.Timer == lifecycle.TimerKillWait ||
			lc.Signalled
		return sa.AdoptService(name, lc.Pid, svc.Group, stopping, onExit)
	}
	return ad.Adopt(lc.Pid, svc.Group, onExit)
}

// restoreProxy adopts a running proxy's process, output and pipes, and
// hands the proxy actor its state; formerDecls are the declarations of
// the services in the former cfkd (upgrade.Service.Decl), by name.
func (c *Controller) restoreProxy(ctx actor.Context, px upgrade.Proxy, files map[int]*os.File, out []osproc.FrozenPipe, formerDecls map[string]uint64) error {
	e := c.proxies[px.Config.Name]
	m := restoreProxy{px: px, svcs: map[string]*actor.PID{}, decls: map[string]uint64{}}
	for _, s := range px.Services {
		se := c.services[s.Name]
		if se != nil && !s.Gone { // a name asked nothing any more needs none
			m.svcs[s.Name] = c.servicePID(se)
		}
		switch {
		case s.Decl == 0: // a former cfkd that did not carry it: the declaration of the name now, if any
			if se != nil {
				m.decls[s.Name] = se.tailGen
			}
		case se != nil && s.Decl == formerDecls[s.Name]:
			m.decls[s.Name] = se.tailGen // the service declared now was the one started
		default:
			// started for a former declaration of its name (destroyed,
			// declared anew or not since): the lines the proxy forwards
			// for it are logged, not kept (REFERENCE §6.4)
			m.decls[s.Name] = formerTailGen
		}
	}
	if px.Running {
		for i, fd := range []int{px.CmdFd, px.StatusFd, px.LogFd} {
			if m.files[i] = files[fd]; m.files[i] == nil {
				return fmt.Errorf("proxy '%s': fd %d not handed over", px.Config.Name, fd)
			}
		}
	}
	ad, ok := c.opts.Launcher.(Adopter)
	for _, p := range out {
		if !ok {
			syscall.Close(p.Fd)
			continue
		}
		if err := ad.AdoptOutput(p, proxyOutputLogger(c.opts.ServiceLog, px.Config.Name, streamOf(p))); err != nil {
			c.log.WithError(err).WithField("proxy", px.Config.Name).Error("the output of the proxy is not read")
		}
	}
	gone := false
	for _, x := range px.Exits {
		gone = gone || x.Pid == px.Pid
	}
	if px.Running && ok && !gone {
		root, pid, run := c.sys.Root, e.pid, px.Run
		m.proc = ad.Adopt(px.Pid, true, func(p int, ws syscall.WaitStatus) {
			root.Send(pid, proxyExited{run: run, pid: p, ws: ws})
		})
	}
	ctx.Send(e.pid, m)
	c.replayRequests(ctx, e.pid, px.Requests)
	return nil
}

// replayRequests sends proxy the services' requests that came once the
// former cfkd's proxy was frozen (upgrade.Proxy.Requests), whether its
// process ran or not, and whatever it was asked of each name at the
// export: a start after its service went down (Gone), or its first under
// this proxy, is sent too, for the service declared by that name, if
// any (REFERENCE §13.2). Such a start was dropped, and its service
// failed it once the proxy said it had none under way. A start keeps the
// environment it was sent with (ProxyRequest.Env: its env_file's
// variables; it was built from the declaration alone). They go right
// behind the proxy's restore, in the order the services sent them, and
// before anything the controller forwards once the restore is done: a
// start then a stop of one name would else play back as a stop, then a
// start (running the service whose stop came last), and a down handed
// back to the controller to send came after a start its service sent
// meanwhile, which the proxy then took for one given up and killed.
func (c *Controller) replayRequests(ctx actor.Context, proxy *actor.PID, reqs []upgrade.ProxyRequest) {
	for _, r := range reqs {
		switch r.Kind {
		case "start":
			if e := c.services[r.Name]; e != nil {
				cfg := *e.cfg
				if r.Env != nil {
					// as the service sent it: with its env_file's
					// variables, which no declaration holds (REFERENCE
					// §2.4)
					cfg.Env = r.Env
				}
				ctx.Send(proxy, proxyStartRequest{svc: c.servicePID(e), cfg: cfg, attempt: r.Attempt, decl: e.tailGen})
			}
		case "stop":
			ctx.Send(proxy, proxyStopRequest{name: r.Name})
		case "down":
			down := proxiedServiceDown{name: r.Name}
			if r.Retry != 0 { // in backoff: the proxy holds for its retry
				down.retry = time.Unix(0, r.Retry)
			}
			ctx.Send(proxy, down)
		}
	}
}

// streamOf is the stream ("out", "err") of a pipe handed over.
func streamOf(p osproc.FrozenPipe) string {
	if p.Stream == "stderr" {
		return "err"
	}
	return "out"
}
