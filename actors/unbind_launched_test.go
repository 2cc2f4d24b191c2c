package actors

import (
	"os"
	"syscall"
	"testing"

	"github.com/cfk/cfk/messages"
)

// An unbind the controller let through because it saw the service failed
// (a crash, its respawn at once) reached the service once its respawn had
// launched, its starting not yet seen by the controller: the service took
// the table without the socket and answered OK, so the socket was closed
// under an up service that declares it, and its next respawn failed
// "socket 'web' is not bound" while web stayed bound. The service now
// refuses it, as the controller refuses an unbind of a socket an up
// service uses (REFERENCE §3).
func TestUnbindReachingALaunchedServiceIsRefused(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.bindLoopback("web")
	pid := r.startRunning("s", "tie_stdin_to=web")
	// the controller's request, as it comes in that race: an unknown
	// request number, whose answer the controller drops
	r.tree.System.Root.Send(r.servicePID("s"), messages.SocketsChanged{Req: 987654321, Files: map[string]*os.File{}, Unbind: "web"})
	r.fake.exit(t, pid, killedBy(syscall.SIGKILL)) // a crash: launched again at once, with its table
	r.expectSeq("s", fail, starting)
	r.shutdownClean()
}
