package fleet

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/cfk/cfk/fleet/certs"
)

// The inventory `cfkctl fleet certs` writes is one a hub reads.
func TestGeneratedInventoryReads(t *testing.T) {
	dir := t.TempDir()
	members := []certs.Member{{Name: "hub", Role: certs.RoleHub, Addr: "127.0.0.1:7000"},
		{Name: "web1", Role: certs.RoleHost, Addr: "127.0.0.2:7000"}, {Name: "db-1", Role: certs.RoleHost, Addr: "[::1]:7001"}}
	if err := certs.Generate(dir, members, time.Hour); err != nil {
		t.Fatal(err)
	}
	hosts, err := ReadInventory(filepath.Join(dir, certs.InventoryFile))
	if err != nil {
		t.Fatal(err)
	}
	want := []Host{{Name: "web1", Addr: "127.0.0.2:7000"}, {Name: "db-1", Addr: "[::1]:7001"}}
	if !reflect.DeepEqual(hosts, want) {
		t.Fatalf("hosts %+v, want %+v", hosts, want)
	}
}
