package fleet

// endRequests: the hub cfkd shuts down or execs (an upgrade in place):
// every request in flight is answered now, each host that has not
// answered down with why, the hosts a rolling request has not asked yet
// skipped (REFERENCE §12.4). Its admin connection is closed a moment
// later: waited for, the hosts' answers came after it, the reply unsent,
// and a shutdown waited for them up to 10 s.
type endRequests struct{ why string }

// Texts of endRequests's why (REFERENCE §12.4).
const (
	WhyHubShutDown = "the hub shut down before the host answered"
	WhyHubUpgraded = "the hub was upgraded in place before the host answered"
)

// EndRequests answers every request in flight at once, each host that
// has not answered `down` with why (WhyHubShutDown, WhyHubUpgraded). It
// does not wait; the hub goes on serving.
func (h *Handler) EndRequests(why string) {
	if !h.node.started.Load() {
		return
	}
	h.node.sys.Root.Send(h.node.hub, endRequests{why: why})
}

// endRequests fails every request's call with why: the hosts still run
// what they have (down is not "not run").
func (h *hub) endRequests(why string) {
	for _, c := range h.calls {
		if c.op != nil {
			h.fail(c, why)
		}
	}
}
