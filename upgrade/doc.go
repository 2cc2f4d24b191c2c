// Package upgrade is the state document an upgrade in place carries
// across exec (REFERENCE §13), and the one codec of it: the old cfkd
// writes it, the candidate binary checks it (`cfkd --check-upgrade
// FILE`), the new cfkd reads it and adopts what it names.
//
// Model: State holds every declaration (services, sockets, proxies, with
// their tags and environments), every service's lifecycle.Lifecycle (its
// pending timer as a deadline), the fds that cross the exec by number
// (the lock, the admin listener, the --http listener, the bound sockets,
// the output pipes with the bytes read but not yet cut into lines and the
// declaration of their service they are of) and
// what cfkd was started with (its home, its log configuration). It is
// JSON, versioned by Version: StateVersion is the version this build
// writes; it reads it and the older ones back to OldestStateVersion (a
// version only adds fields). Decode refuses any other (older or newer)
// with an error that says which, and never returns a partial state.
//
// The check: the old cfkd runs the candidate binary with CheckFlag FILE;
// a cfkd that understood the state prints CheckLine (its version and the
// state version) on stdout and exits 0. Anything else (another program, a
// failure, a crash, a state version it does not know: exit 3 and a
// message on stderr) is not a cfkd that can take over (ParseCheckLine).
//
// Invariants: every fd the new cfkd adopts is named in the state (Fds);
// the old cfkd clears close-on-exec on exactly those. Decode checks that
// the fds named are distinct, above stderr and 32-bit, so a corrupt
// state cannot make cfkd adopt its own stdio twice, and every pid 32-bit
// (kill(2) cuts a longer one: 4294967295 is -1, every process), and that the state is one an
// export writes (consistent): every service, socket, proxy and pid named
// once, every lifecycle in the lifecycle's range with no launch awaited
// and no waiter or deferred event, every service under a declared proxy,
// a proxy's pipes all or none. A running proxy without pipes is the
// check's state (before the freeze): the new cfkd adopts only a state
// that passes CheckFrozen, and checks each fd (daemon) before using any.
package upgrade
