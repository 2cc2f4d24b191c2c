package lifecycle

import (
	"testing"

	"github.com/cfk/cfk/messages"
)

// running_cmd is empty when there is no process (REFERENCE §1.6): a
// proxied start whose pid has not come showed the command it would run,
// in status and inspect, as if a process ran it.
func TestRunningCmdOnlyWithAProcess(t *testing.T) {
	for _, tc := range []struct {
		l    Lifecycle
		want string
	}{
		{Lifecycle{State: messages.Starting}, ""},
		{Lifecycle{State: messages.Starting, Pid: 42}, "sleep 100"},
		{Lifecycle{State: messages.Running, Pid: 42}, "sleep 100"},
		{Lifecycle{State: messages.Stopped}, ""},
	} {
		if got := tc.l.Runtime("s", "sleep 100").RunningCmd; got != tc.want {
			t.Errorf("%s pid %d: running_cmd %q, want %q", tc.l.State, tc.l.Pid, got, tc.want)
		}
	}
}
