package certs

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestIssueAddsAMember: a member added to a fleet whose CA exists gets its
// certificate from that CA (Generate refused, `ca.pem already exists`),
// loads against it, and handshakes with a member made before; the files
// of a member that exists are not overwritten, nor the inventory touched.
func TestIssueAddsAMember(t *testing.T) {
	dir := t.TempDir()
	if err := Generate(dir, []Member{{"hub", RoleHub, "127.0.0.1:7000"}, {"web1", RoleHost, "127.0.0.2:7000"}}, time.Hour); err != nil {
		t.Fatal(err)
	}
	inv, _ := os.ReadFile(filepath.Join(dir, InventoryFile))
	hubPEM, _ := os.ReadFile(filepath.Join(dir, "hub.pem"))
	if err := Issue(dir, []Member{{"web2", RoleHost, "127.0.0.3:7000"}}, time.Hour); err != nil {
		t.Fatal(err)
	}
	load := func(name string) *Credentials {
		t.Helper()
		c, k := Files(name)
		cr, err := Load(filepath.Join(dir, CAFile), filepath.Join(dir, c), filepath.Join(dir, k))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return cr
	}
	web2 := load("web2")
	if web2.ID != (Identity{Name: "web2", Role: RoleHost}) {
		t.Fatalf("web2: %+v", web2.ID)
	}
	if fi, _ := os.Stat(filepath.Join(dir, "web2.key")); fi.Mode().Perm() != 0o600 {
		t.Fatalf("web2.key mode %v", fi.Mode())
	}
	// the hub, made before, and web2 handshake: one CA
	hub := load("hub")
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	srv := tls.Server(a, web2.Server(RoleHub))
	errc := make(chan error, 1)
	go func() { errc <- srv.Handshake() }()
	cfg := hub.Client(RoleHost)
	cfg.ServerName = "127.0.0.3"
	if err := tls.Client(b, cfg).Handshake(); err != nil {
		t.Fatalf("hub → web2: %v", err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("web2 ← hub: %v", err)
	}
	// nothing overwritten: an existing member, a name given twice
	for _, m := range []Member{{"web1", RoleHost, "127.0.0.9:7000"}, {"hub", RoleHub, "127.0.0.1:7000"}} {
		if err := Issue(dir, []Member{m}, time.Hour); err == nil || !strings.Contains(err.Error(), "already exists: not overwritten") {
			t.Errorf("%s again: %v", m.Name, err)
		}
	}
	if now, _ := os.ReadFile(filepath.Join(dir, "hub.pem")); string(now) != string(hubPEM) {
		t.Error("hub.pem overwritten")
	}
	if now, _ := os.ReadFile(filepath.Join(dir, InventoryFile)); string(now) != string(inv) {
		t.Errorf("inventory changed: %q", now)
	}
	// no CA there, a CA key that is another's
	if err := Issue(t.TempDir(), []Member{{"web3", RoleHost, "127.0.0.4:7000"}}, time.Hour); err == nil || !strings.Contains(err.Error(), "no fleet CA there (fleet certs makes one)") {
		t.Errorf("no CA: %v", err)
	}
	other := t.TempDir()
	if err := Generate(other, []Member{{"hub", RoleHub, "127.0.0.1:7000"}}, time.Hour); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(other, CAKeyFile))
	key, _ := os.ReadFile(filepath.Join(dir, CAKeyFile))
	os.WriteFile(filepath.Join(other, CAKeyFile), key, 0o600)
	if err := Issue(other, []Member{{"web3", RoleHost, "127.0.0.4:7000"}}, time.Hour); err == nil || !strings.Contains(err.Error(), "is not the key of") {
		t.Errorf("another CA's key: %v", err)
	}
	if _, err := os.Stat(filepath.Join(other, "web3.pem")); err == nil {
		t.Error("web3.pem written with a key that is not the CA's")
	}
}

// Issue refuses a host at the address of another host of the fleet's
// inventory in dir, as Generate refuses two hosts of one address among
// the members it makes: it issued `web2` at web1's address, and printed
// an inventory line the hubs then refused, the certificate made. A
// certificate issued anew for a host of the inventory (its own expired,
// its key lost, or it moved) and a hub where a host listens are not
// refused (REFERENCE §12.2).
func TestIssueRefusesAHostAtTheAddressOfAnother(t *testing.T) {
	dir := t.TempDir()
	if err := Generate(dir, []Member{{"hub", RoleHub, "127.0.0.1:7000"}, {"web1", RoleHost, "127.0.0.2:7000"}}, time.Hour); err != nil {
		t.Fatal(err)
	}
	inv := filepath.Join(dir, InventoryFile)
	err := Issue(dir, []Member{{"web2", RoleHost, "127.0.0.2:07000"}}, time.Hour)
	if want := "web2: address 127.0.0.2:07000 is that of host web1 (" + inv + ":1)"; err == nil || err.Error() != want {
		t.Errorf("%v, want %q", err, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "web2.pem")); err == nil {
		t.Error("web2.pem written")
	}
	// web1's files went to web1: issued anew, where it is or moved
	os.Remove(filepath.Join(dir, "web1.pem"))
	os.Remove(filepath.Join(dir, "web1.key"))
	if err := Issue(dir, []Member{{"web1", RoleHost, "127.0.0.2:7000"}, {"hub2", RoleHub, "127.0.0.2:7001"}, {"hub3", RoleHub, "127.0.0.2:7000"}}, time.Hour); err != nil {
		t.Fatal(err)
	}
}

// Issue refuses a CA whose files it cannot sign with, each in its own
// words, and writes nothing: a certificate that is no CA's, a key that
// is not PKCS #8, one that cannot sign, and a key that is not the CA
// certificate's, of another type or of the same (another CA's), which
// tls.X509KeyPair finds.
func TestIssueRefusesABadCA(t *testing.T) {
	src := t.TempDir()
	if err := Generate(src, []Member{{"hub", RoleHub, "127.0.0.1:7000"}}, time.Hour); err != nil {
		t.Fatal(err)
	}
	read := func(name string) []byte {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	pkcs8 := func(k any) []byte {
		t.Helper()
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	xKey, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sec1, err := x509.MarshalECPrivateKey(ecKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, caKey := read(CAFile), read(CAKeyFile)
	for _, c := range []struct {
		name      string
		cert, key []byte
		want      string // DIR: the fleet's directory
	}{
		{"a member's certificate", read("hub.pem"), read("hub.key"), "DIR/ca.pem: not a CA certificate"},
		{"a SEC 1 key", ca, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}), "DIR/ca.key: no PEM private key (PKCS #8) in it"},
		{"a key that cannot sign", ca, pkcs8(xKey), "DIR/ca.key: not a signing key"},
		{"a key of another type", ca, pkcs8(edKey), "DIR/ca.key is not the key of DIR/ca.pem"},
		{"another key of its type", ca, pkcs8(ecKey), "DIR/ca.key is not the key of DIR/ca.pem"},
		{"its own key", ca, caKey, ""},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, CAFile), c.cert, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, CAKeyFile), c.key, 0o600); err != nil {
			t.Fatal(err)
		}
		err := Issue(dir, []Member{{"web1", RoleHost, "127.0.0.2:7000"}}, time.Hour)
		switch want := strings.ReplaceAll(c.want, "DIR", dir); {
		case want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case want != "" && (err == nil || err.Error() != want):
			t.Errorf("%s: %v, want %q", c.name, err, want)
		}
		if _, err := os.Stat(filepath.Join(dir, "web1.pem")); (err == nil) != (c.want == "") {
			t.Errorf("%s: web1.pem: %v", c.name, err)
		}
	}
}
