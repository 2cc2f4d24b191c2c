package daemon

// An upgrade asked while cfkd starts (SIGUSR2 while -c FILE loads) waits
// for cfkd to serve, and a signal's shutdown asked meanwhile is refused
// for it (REFERENCE §13.1). When the file then fails, cfkd will never
// serve: notServing ends that wait at once, so that the upgrade fails and
// the shutdown can be asked again (REFERENCE §7.4).

// begin counts an upgrade under way (hook, before its goroutine starts).
func (u *upgrader) begin() {
	u.runMu.Lock()
	defer u.runMu.Unlock()
	if u.runN == 0 {
		u.idle = make(chan struct{})
	}
	u.runN++
	u.asked = true
}

// end is begin's upgrade over: its answer is sent to the controller.
func (u *upgrader) end() {
	u.runMu.Lock()
	defer u.runMu.Unlock()
	u.runN--
	if u.runN == 0 {
		close(u.idle)
	}
}

// notServing says that cfkd will not serve: an upgrade waiting for it
// fails now, and so does any asked after. It returns once no upgrade is
// under way, reporting whether one was asked since cfkd started (a
// shutdown asked while it ran was refused).
func (u *upgrader) notServing() (asked bool) {
	u.startFailedOnce.Do(func() { close(u.startFailed) })
	u.runMu.Lock()
	idle, asked := u.idle, u.asked
	if u.runN == 0 {
		idle = nil
	}
	u.runMu.Unlock()
	if idle != nil {
		<-idle
	}
	return asked
}
