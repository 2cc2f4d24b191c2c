package actors

import (
	"testing"

	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/proxywire"
)

// The bytes cfkd writes on a proxy's command pipe: JSON without HTML
// escaping, keys in the order of REFERENCE §4.2, null for no tie_stdin_to.
func TestProxyCommandLines(t *testing.T) {
	c := messages.NewServiceConfig("s")
	c.Cmd = `perl -e 'print "<&>"'`
	c.Env = []messages.EnvVar{{Key: "K", Value: "v"}}
	want := `{"command":"start","name":"s","cmd":"perl -e 'print \"<&>\"'","env":{"K":"v"},"ignore_stdout":false,"ignore_stderr":false,"tie_stdin_to":null,"no_new_session":false}` + "\n"
	if got, err := proxywire.EncodeCommand(startCommand(c)); string(got) != want {
		t.Fatalf("\n got %s (%v)\nwant %s", got, err, want)
	}
	stop, err := proxywire.EncodeCommand(proxywire.Command{Command: proxywire.CommandStop, Name: "s"})
	if string(stop) != `{"command":"stop","name":"s"}`+"\n" {
		t.Fatalf("stop %s (%v)", stop, err)
	}
}
