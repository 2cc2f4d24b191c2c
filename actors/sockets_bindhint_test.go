package actors

import (
	"net"
	"path/filepath"
	"strconv"
	"testing"
)

// REFERENCE §3: a bind that fails `address already in use` because
// another socket of cfkd's holds the address (the same one declared
// twice, a wildcard beside it, a UNIX path declared twice) names that
// socket; one that another process holds stays the bare error.
func TestBindInUseNamesTheSocketOfCfkdInTheWay(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	port := r.bindLoopback("a")
	r.ok("socket b host=127.0.0.1", "socket b service="+port)
	r.fails("command bind b", "cannot bind 'b': bind 127.0.0.1:"+port+": address already in use (socket 'a' is bound on 127.0.0.1:"+port+")")
	r.ok("socket any host=0.0.0.0", "socket any service="+port)
	r.fails("command bind any", "cannot bind 'any': bind 0.0.0.0:"+port+": address already in use (socket 'a' is bound on 127.0.0.1:"+port+")")

	// a port another process holds: nothing of cfkd's to name
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		r.shutdownClean()
		t.Fatal(err)
	}
	defer l.Close()
	other := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	r.ok("socket c host=127.0.0.1", "socket c service="+other)
	r.fails("command bind c", "cannot bind 'c': bind 127.0.0.1:"+other+": address already in use")

	dir := t.TempDir()
	path := filepath.Join(dir, "web.sock")
	r.ok("socket u host=unix/", "socket u service="+path, "command bind u")
	r.ok("socket v host=unix/", "socket v service="+dir+"//./web.sock")
	r.fails("command bind v", "cannot bind 'v': address already in use (a process accepts on "+path+") (socket 'u' is bound on unix:"+path+")")
	r.shutdownClean()
}
