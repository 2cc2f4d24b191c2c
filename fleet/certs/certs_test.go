package certs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestGenerateAndLoad(t *testing.T) {
	dir := t.TempDir()
	members := []Member{{"hub", RoleHub, "127.0.0.1:7000"}, {"web1", RoleHost, "web1.example:7000"}}
	if err := Generate(dir, members, time.Hour); err != nil {
		t.Fatal(err)
	}
	for _, m := range members {
		c, k := Files(m.Name)
		cr, err := Load(filepath.Join(dir, CAFile), filepath.Join(dir, c), filepath.Join(dir, k))
		if err != nil {
			t.Fatalf("%s: %v", m.Name, err)
		}
		if cr.ID != (Identity{Name: m.Name, Role: m.Role}) {
			t.Fatalf("%s: %+v", m.Name, cr.ID)
		}
		if fi, _ := os.Stat(filepath.Join(dir, k)); fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: key mode %v", m.Name, fi.Mode())
		}
	}
	leaf := func(name string) *Credentials {
		c, k := Files(name)
		cr, _ := Load(filepath.Join(dir, CAFile), filepath.Join(dir, c), filepath.Join(dir, k))
		return cr
	}
	if n := leaf("hub").Cert.Leaf.IPAddresses; len(n) != 1 || n[0].String() != "127.0.0.1" {
		t.Fatalf("hub's SAN: %v", n)
	}
	if n := leaf("web1").Cert.Leaf.DNSNames; len(n) != 1 || n[0] != "web1.example" {
		t.Fatalf("web1's SAN: %v", n)
	}
	// never overwritten
	if err := Generate(dir, members[:1], time.Hour); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("second Generate: %v", err)
	}
	// a key others may read is refused
	_, k := Files("web1")
	os.Chmod(filepath.Join(dir, k), 0o644)
	if _, err := Load(filepath.Join(dir, CAFile), filepath.Join(dir, "web1.pem"), filepath.Join(dir, k)); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("open key: %v", err)
	}
	// a certificate of another CA does not load against this one
	other := t.TempDir()
	if err := Generate(other, members[:1], time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(filepath.Join(dir, CAFile), filepath.Join(other, "hub.pem"), filepath.Join(other, "hub.key")); err == nil {
		t.Fatal("another CA's certificate loaded")
	}
}

func TestGenerateRefuses(t *testing.T) {
	for _, m := range []Member{
		{"bad name", RoleHost, "127.0.0.1:1"},
		{"ca", RoleHost, "127.0.0.1:1"},
		{"x", "root", "127.0.0.1:1"},
		{"x", RoleHost, "127.0.0.1"},
		{"x", RoleHost, "0.0.0.0:7000"},
		{"x", RoleHost, ":7000"},
		// ports cfkd's --fleet-listen and inventory refuse: the inventory
		// written stopped the hub, `addr=127.0.0.1:0: want HOST:PORT...`
		{"x", RoleHost, "127.0.0.1:0"},
		{"x", RoleHost, "127.0.0.1:http"},
		{"x", RoleHost, "127.0.0.1:65536"},
		{"x", RoleHub, "127.0.0.1:-1"},
	} {
		if err := Generate(t.TempDir(), []Member{m}, time.Hour); err == nil {
			t.Errorf("%+v: accepted", m)
		}
	}
	if err := Generate(t.TempDir(), []Member{{"a", RoleHost, "127.0.0.1:1"}, {"a", RoleHub, "127.0.0.1:2"}}, time.Hour); err == nil {
		t.Error("a name given twice was accepted")
	}
}

func TestGenerateWritesTheInventory(t *testing.T) {
	dir := t.TempDir()
	members := []Member{{"hub", RoleHub, "127.0.0.1:7000"}, {"web1", RoleHost, "127.0.0.2:7000"}, {"web2", RoleHost, "web2.example:7000"}}
	if err := Generate(dir, members, time.Hour); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, InventoryFile))
	if want := "host web1 addr=127.0.0.2:7000\nhost web2 addr=web2.example:7000\n"; err != nil || string(b) != want {
		t.Fatalf("inventory %q, %v; want %q", b, err, want)
	}
	// a hub alone: no inventory
	alone := t.TempDir()
	if err := Generate(alone, members[:1], time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(alone, InventoryFile)); !os.IsNotExist(err) {
		t.Fatalf("inventory of no host: %v", err)
	}
	// an inventory already there is not overwritten, and nothing is written
	again := t.TempDir()
	os.WriteFile(filepath.Join(again, InventoryFile), []byte("mine\n"), 0o600)
	if err := Generate(again, members, time.Hour); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("Generate over an inventory: %v", err)
	}
	if _, err := os.Stat(filepath.Join(again, CAFile)); !os.IsNotExist(err) {
		t.Fatalf("a CA was written beside an existing inventory: %v", err)
	}
	// two hosts of one address would make an inventory the hub refuses
	if err := Generate(t.TempDir(), []Member{{"a", RoleHost, "127.0.0.1:1"}, {"b", RoleHost, "127.0.0.1:1"}}, time.Hour); err == nil {
		t.Fatal("two hosts of one address accepted")
	}
	// nor one address written two ways, which the inventory reads as one
	for _, two := range [][2]string{{"127.0.0.1:7000", "127.0.0.1:07000"}, {"[::1]:7000", "[0:0::1]:7000"}, {"web.example:7000", "WEB.example:7000"}} {
		if err := Generate(t.TempDir(), []Member{{"hub", RoleHub, "127.0.0.9:7000"}, {"a", RoleHost, two[0]}, {"b", RoleHost, two[1]}}, time.Hour); err == nil {
			t.Errorf("hosts at %s and %s accepted", two[0], two[1])
		}
	}
}
