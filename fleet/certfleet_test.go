package fleet

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/cfk/cfk/fleet/certs"
)

// certFleet is the certificates of a test's members, made by a CA of its
// own in a temporary directory, and the nodes it serves.
type certFleet struct {
	t   *testing.T
	dir string
}

func newCertFleet(t *testing.T, members ...certs.Member) *certFleet {
	t.Helper()
	dir := t.TempDir()
	if err := certs.Generate(dir, members, time.Hour); err != nil {
		t.Fatal(err)
	}
	return &certFleet{t: t, dir: dir}
}

// conf is the Config of member name listening on listen (HOST:PORT), a
// hub with the inventory file inv ("": none).
func (c *certFleet) conf(name, listen, inv string) Config {
	cert, key := certs.Files(name)
	return Config{Listen: listen, CA: filepath.Join(c.dir, certs.CAFile), Cert: filepath.Join(c.dir, cert),
		Key: filepath.Join(c.dir, key), Inventory: inv, Timeout: 2 * time.Second, Version: "cfk test", Log: quietLog()}
}

// serve runs member name with local, stopped at the test's end.
func (c *certFleet) serve(name, listen, inv string, local Local) *Node {
	c.t.Helper()
	return serveNode(c.t, c.conf(name, listen, inv), local)
}

// serveNode runs a member of configuration cfg with local, stopped at
// the test's end.
func serveNode(t testing.TB, cfg Config, local Local) *Node {
	t.Helper()
	n, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Serve(local); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Stop)
	return n
}

// inventory writes the inventory file name (in the certificates'
// directory) with text, and returns its path.
func (c *certFleet) inventory(name, text string) string {
	path := filepath.Join(c.dir, name)
	writeFile(c.t, path, text)
	return path
}
