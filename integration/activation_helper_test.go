package integration

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/coreos/go-systemd/v22/activation"
	"golang.org/x/sys/unix"
)

// helperEnv, set in a service's environment, makes the test binary run as
// a helper program instead of the tests (see TestMain).
const helperEnv = "CFK_TEST_HELPER"

// activatedMain is a socket-activated HTTP server, as systemd units are
// written: it takes its listeners with go-systemd's activation package,
// which only hands them out when LISTEN_PID is its own pid (sd_listen_fds
// rules), and answers `pid PID via NAME` on each. SIGTERM: graceful stop.
func activatedMain() int {
	byName, err := activation.ListenersWithNames()
	if err != nil || len(byName) == 0 {
		fmt.Printf("no listeners (LISTEN_PID=%q, my pid %d, err %v)\n", os.Getenv("LISTEN_PID"), os.Getpid(), err)
		return 3
	}
	var names []string
	srvs := map[string]*http.Server{}
	done := make(chan string, len(byName))
	for name, lns := range byName {
		names = append(names, name)
		name := name
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "pid %d via %s", os.Getpid(), name)
		})}
		srvs[name] = srv
		go func(ln net.Listener) { srv.Serve(ln); done <- name }(lns[0])
	}
	sort.Strings(names)
	fmt.Printf("activated pid=%d listeners=%s env-left=%q\n", os.Getpid(), strings.Join(names, ","), os.Getenv("LISTEN_FDS"))
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	<-sig
	for _, srv := range srvs {
		srv.Shutdown(context.Background())
	}
	return 0
}

// sockcatMain is the original's t/sockcat.pl in Go: it accepts quota
// connections on its stdin (a listening socket) one after the other and
// prints `NAME LINE` for every line each one sends. It uses accept(2) on
// fd 0 directly: net.FileListener would make the socket non-blocking for
// every process sharing it.
func sockcatMain(args []string) int {
	if len(args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: sockcat NAME QUOTA")
		return 2
	}
	quota, err := strconv.Atoi(args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	for i := 0; i < quota; i++ {
		fd, _, err := unix.Accept(0)
		if err != nil {
			fmt.Fprintln(os.Stderr, "accept:", err)
			return 1
		}
		conn := os.NewFile(uintptr(fd), "conn")
		sc := bufio.NewScanner(conn)
		for sc.Scan() {
			fmt.Printf("%s %s\n", args[0], sc.Text())
		}
		conn.Close()
	}
	return 0
}
