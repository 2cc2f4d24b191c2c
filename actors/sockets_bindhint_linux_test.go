package actors

import (
	"fmt"
	"os"
	"testing"
)

// REFERENCE §3: an abstract UNIX socket (@NAME, Linux) whose name another
// socket of cfkd's holds names it too.
func TestBindInUseNamesTheAbstractSocketOfCfkdInTheWay(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	name := fmt.Sprintf("@cfk-bindhint-%d", os.Getpid())
	r.ok("socket a host=unix/", "socket a service="+name, "command bind a")
	r.ok("socket b host=unix/", "socket b service="+name)
	r.fails("command bind b", "cannot bind 'b': bind "+name+": address already in use (socket 'a' is bound on unix:"+name+")")
	r.shutdownClean()
}
