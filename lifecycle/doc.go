// Package lifecycle is the supervision of one service as data plus a
// transition table (REFERENCE §2.7).
//
// Model:
//
//	Next(Lifecycle, Policy, Input{Event, Now, Roll}) (Lifecycle, []Effect)
//
// Lifecycle is plain data: the state (stopped starting running stopping
// fail fatal backoff), what the operator wants (Want), the counts of
// failed starts and of crashes, the launch attempt, the pid, the times,
// the one armed timer (kind, deadline, generation) and the requests
// waiting for an answer. It serialises to JSON. Events are what happened
// (a request, the executor's launch outcome, a proxy's report, an exit, a
// timer); effects are what to do (launch, terminate, kill, arm or disarm
// the timer, publish a transition, update the status, reply, leave the
// proxy, hold the handle of a pid a proxy reported, kill the process of
// a start given up, log). What becomes of every pid a proxy reports is
// the table's: the run's, or a start given up (an earlier attempt's, or
// one reported once the service is down), killed. The Service actor (package actors) turns messages into
// events and carries out effects; a direct service and a proxied one
// differ only in who carries out Launch, Terminate and Kill.
//
// Invariants:
//   - Next is pure: no actor, no clock (Input.Now), no random source
//     (Input.Roll), no syscall. A (state, event) pair has exactly one row,
//     "ignore" included: init panics otherwise, and the tests walk them all.
//   - The state changes only in step.to, which publishes the transition:
//     only states that happened are published (a launch that fails goes
//     from its state to backoff, fatal or fail without a `starting`).
//   - A Launch effect is answered by the executor (EvLaunched or
//     EvLaunchFailed) before any other event; Launching says one is due.
//     Runtime (what status shows) derives `starting` from it, without a
//     pid: the service was told to start; no row and no transition
//     stand for it (REFERENCE §2.1), and Next tells the controller
//     (Update) as of any change of what status shows.
//     So is a CheckLaunch (a restart's check of what the launch needs,
//     before the stop) by EvChecked; Checking says one is due.
//   - Every timer event carries the generation it was armed with; every
//     Arm and Disarm bumps the generation, so a late timer is dropped.
//   - Crash loops are throttled: a running process that ends unasked is
//     launched again at once the first time, then after a doubling delay
//     (1 s up to restart_max_delay_secs) in backoff; running
//     restart_reset_secs resets the count. Failed starts (dying before
//     startwait) back off k × 0.3 s and end fatal after
//     respawn_max_retries. startwait 0 counts a launched process as running
//     at once, so its instant exits are crashes, throttled. A launch that
//     cfkd's shutdown cancelled before its fork (CauseCancelled), or a
//     proxydown of its proxy before its start reached the proxy
//     (CauseProxyDown), made EvLaunchCancelled, is no failed start: it
//     ends stopped, uncounted.
//     Nor is a launch cfkd's shortage failed (CauseShortage), nor a ready
//     timeout while the probe's last try could not run for it
//     (EvReadyShort, End EndShort): backoff with cfkd's reason, retried
//     after ShortageDelay, uncounted, never fatal.
package lifecycle
