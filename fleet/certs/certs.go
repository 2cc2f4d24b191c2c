package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// The roles a certificate's OU may name.
const (
	RoleHub  = "hub"  // sends requests to hosts, receives their answers
	RoleHost = "host" // answers requests from hubs only
)

// Identity is who a certificate says its holder is.
type Identity struct {
	Name string // the subject's CN
	Role string // RoleHub or RoleHost: the subject's OU
}

func (id Identity) String() string { return id.Role + " " + id.Name }

// IdentityOf reads the name and role of a certificate: CN a valid name,
// exactly one OU, hub or host.
func IdentityOf(c *x509.Certificate) (Identity, error) {
	id := Identity{Name: c.Subject.CommonName}
	if len(c.Subject.OrganizationalUnit) != 1 {
		return id, fmt.Errorf("certificate %q: its subject must have one OU, hub or host (has %q)", id.Name, c.Subject.OrganizationalUnit)
	}
	id.Role = c.Subject.OrganizationalUnit[0]
	if id.Role != RoleHub && id.Role != RoleHost {
		return id, fmt.Errorf("certificate %q: unknown role %q (want hub or host)", id.Name, id.Role)
	}
	if !validName(id.Name) {
		return id, fmt.Errorf("certificate with CN %q: want a name of letters, digits, '_' and '-'", id.Name)
	}
	return id, nil
}

// validName is messages.ValidName (not imported: this package has no
// dependency).
func validName(s string) bool {
	if s == "" || !(isLetter(s[0]) || s[0] == '_') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(isLetter(c) || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// Credentials are a member's: the fleet CA, its own certificate and key,
// and the identity its certificate gives.
type Credentials struct {
	CA   *x509.CertPool
	Cert tls.Certificate
	ID   Identity
}

// Load reads a member's files: the CA certificate, its certificate and
// its key (PEM). The certificate must chain to the CA, be valid now, allow
// both TLS server and client use, and name a role.
func Load(caFile, certFile, keyFile string) (*Credentials, error) {
	caPEM, err := readPEM(caFile)
	if err != nil {
		return nil, fmt.Errorf("fleet CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("fleet CA %s: no PEM certificate in it", caFile)
	}
	if err := privateFile(keyFile); err != nil {
		return nil, err
	}
	certPEM, err := readPEM(certFile)
	if err != nil {
		return nil, fmt.Errorf("fleet certificate: %w", err)
	}
	keyPEM, err := readPEM(keyFile)
	if err != nil {
		return nil, fmt.Errorf("fleet key: %w", err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("fleet certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return nil, fmt.Errorf("fleet certificate %s: %w", certFile, err)
	}
	pair.Leaf = leaf
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		return nil, fmt.Errorf("fleet certificate %s: %w", certFile, err)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		return nil, fmt.Errorf("fleet certificate %s: %w", certFile, err)
	}
	id, err := IdentityOf(leaf)
	if err != nil {
		return nil, err
	}
	return &Credentials{CA: pool, Cert: pair, ID: id}, nil
}

// privateFile refuses a key file that others may read or write.
func privateFile(name string) error {
	fi, err := os.Stat(name)
	if err != nil {
		return fmt.Errorf("fleet key: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("fleet key %s: mode %#o lets others read or change it (chmod 600 %s)", name, fi.Mode().Perm(), name)
	}
	return nil
}

// peerIdentity is the identity of the verified peer certificate of a
// handshake.
func peerIdentity(cs tls.ConnectionState) (Identity, error) {
	if len(cs.VerifiedChains) == 0 || len(cs.VerifiedChains[0]) == 0 {
		return Identity{}, errors.New("no verified certificate")
	}
	return IdentityOf(cs.VerifiedChains[0][0])
}

// PeerIdentity is the identity of the other side of a TLS connection
// that Server or Client configured.
func PeerIdentity(cs tls.ConnectionState) (Identity, error) { return peerIdentity(cs) }

// Server is the TLS configuration of a member's listening side: TLS 1.3,
// a client certificate from the fleet CA required, of one of the roles
// accept.
func (c *Credentials) Server(accept ...string) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{c.Cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    c.CA,
		VerifyConnection: func(cs tls.ConnectionState) error {
			id, err := peerIdentity(cs)
			if err != nil {
				return err
			}
			if !slices.Contains(accept, id.Role) {
				return fmt.Errorf("a %s may not connect to this %s", id, c.ID.Role)
			}
			return nil
		},
	}
}

// Client is the TLS configuration of a member's dialling side: TLS 1.3,
// its own certificate given, the server's verified against the fleet CA
// (and its address) and of one of the roles expect.
func (c *Credentials) Client(expect ...string) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{c.Cert},
		RootCAs:      c.CA,
		VerifyConnection: func(cs tls.ConnectionState) error {
			id, err := peerIdentity(cs)
			if err != nil {
				return err
			}
			if !slices.Contains(expect, id.Role) {
				return fmt.Errorf("%s is a %s, not a %v", cs.ServerName, id, expect)
			}
			return nil
		},
	}
}

// Member is one certificate to make: its name, role, and the address it
// listens on (HOST:PORT; HOST, an IP address or a DNS name, goes in the
// certificate).
type Member struct {
	Name string
	Role string
	Addr string
}

// Files are the names Generate writes in its directory.
func Files(name string) (cert, key string) { return name + ".pem", name + ".key" }

// CAFiles are the CA's files in a directory made by Generate, and
// InventoryFile the hosts' inventory it writes for the hubs.
const (
	CAFile        = "ca.pem"
	CAKeyFile     = "ca.key"
	InventoryFile = "inventory"
)

// Generate writes in dir (created 0700 if missing) a new CA (ca.pem,
// ca.key) and, for each member, NAME.pem and NAME.key, signed by it,
// valid for validity (the CA for ten times that); with hosts, an
// inventory of them (`host NAME addr=HOST:PORT` lines, REFERENCE §12.1),
// for the hubs' --fleet-inventory. It refuses names given twice and a
// directory that already holds one of the files.
func Generate(dir string, members []Member, validity time.Duration) error {
	if err := checkMembers(members); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	names := []string{CAFile, CAKeyFile}
	var inventory strings.Builder
	for _, m := range members {
		c, k := Files(m.Name)
		names = append(names, c, k)
		if m.Role == RoleHost {
			fmt.Fprintf(&inventory, "host %s addr=%s\n", m.Name, m.Addr)
		}
	}
	if inventory.Len() > 0 {
		names = append(names, InventoryFile)
	}
	if err := refuseExisting(dir, names); err != nil {
		return err
	}
	now := time.Now().Add(-time.Minute)
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "cfk fleet CA", Organization: []string{"cfk"}},
		NotBefore:             now,
		NotAfter:              now.Add(10 * validity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return err
	}
	if err := writeCert(filepath.Join(dir, CAFile), caDER); err != nil {
		return err
	}
	if err := writeKey(filepath.Join(dir, CAKeyFile), caKey); err != nil {
		return err
	}
	for _, m := range members {
		if err := issue(dir, m, caCert, caKey, now, validity); err != nil {
			return err
		}
	}
	if inventory.Len() > 0 {
		return writeNew(filepath.Join(dir, InventoryFile), []byte(inventory.String()), 0o644)
	}
	return nil
}

// checkMembers refuses a bad name, role or address, a name given twice
// (or "ca"), two hosts of one address.
func checkMembers(members []Member) error {
	seen, addrs := map[string]bool{}, map[string]bool{}
	for _, m := range members {
		if !validName(m.Name) {
			return fmt.Errorf("invalid name %q (want letters, digits, '_' and '-')", m.Name)
		}
		if seen[m.Name] || m.Name == "ca" {
			return fmt.Errorf("name %q given twice (or reserved)", m.Name)
		}
		seen[m.Name] = true
		if m.Role != RoleHub && m.Role != RoleHost {
			return fmt.Errorf("%s: unknown role %q", m.Name, m.Role)
		}
		if _, _, err := sanOf(m.Addr); err != nil {
			return fmt.Errorf("%s: %w", m.Name, err)
		}
		// two spellings of one address are one, as the inventory
		// reads them (127.0.0.1:7000 and 127.0.0.1:07000)
		same := SameAddr(m.Addr)
		if m.Role == RoleHost && addrs[same] {
			return fmt.Errorf("%s: address %s given to another host", m.Name, m.Addr)
		}
		addrs[same] = addrs[same] || m.Role == RoleHost
	}
	return nil
}

// refuseExisting refuses a dir that holds one of names: nothing is
// overwritten.
func refuseExisting(dir string, names []string) error {
	for _, n := range names {
		if _, err := os.Lstat(filepath.Join(dir, n)); err == nil {
			return fmt.Errorf("%s already exists: not overwritten", filepath.Join(dir, n))
		}
	}
	return nil
}

// issue writes m's certificate and key in dir, signed by the CA, valid
// from now for validity (not past the CA's own end).
func issue(dir string, m Member, caCert *x509.Certificate, caKey crypto.Signer, now time.Time, validity time.Duration) error {
	ips, dns, _ := sanOf(m.Addr)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: m.Name, OrganizationalUnit: []string{m.Role}, Organization: []string{"cfk"}},
		NotBefore:    now,
		NotAfter:     now.Add(validity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses:  ips,
		DNSNames:     dns,
	}
	if tmpl.NotAfter.After(caCert.NotAfter) {
		tmpl.NotAfter = caCert.NotAfter
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		return err
	}
	c, k := Files(m.Name)
	if err := writeCert(filepath.Join(dir, c), der); err != nil {
		return err
	}
	return writeKey(filepath.Join(dir, k), key)
}

// sanOf is what a certificate for addr names: its host, as an IP address
// or a DNS name.
func sanOf(addr string) ([]net.IP, []string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, fmt.Errorf("address %q: want HOST:PORT", addr)
	}
	// the inventory written is read word by word: a blank in it made a
	// line that stopped the hub at start
	if strings.ContainsFunc(addr, func(r rune) bool { return r <= ' ' || r == 0x7f || unicode.IsSpace(r) }) {
		return nil, nil, fmt.Errorf("address %q: want HOST:PORT without blanks or control characters", addr)
	}
	// a port cfkd's --fleet-listen and a hub's inventory take: the
	// inventory written, and the flags printed, work as they are
	if p, err := strconv.ParseUint(port, 10, 16); err != nil || p == 0 {
		return nil, nil, fmt.Errorf("address %q: want HOST:PORT, PORT from 1 to 65535", addr)
	}
	if host == "" {
		return nil, nil, fmt.Errorf("address %q: want the host others reach it at", addr)
	}
	if ip := net.ParseIP(host); ip != nil {
		if ip.IsUnspecified() {
			return nil, nil, fmt.Errorf("address %q: want the host others reach it at, not %s", addr, host)
		}
		return []net.IP{ip}, nil, nil
	}
	return nil, []string{host}, nil
}

// SameAddr is one spelling of a HOST:PORT that parsed: the port without
// leading zeros, an IP address in its canonical form, a name in lower
// case (two spellings of one member's address are one).
func SameAddr(addr string) string {
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.ParseUint(port, 10, 16)
	if ip := net.ParseIP(host); ip != nil {
		host = ip.String()
	}
	return net.JoinHostPort(strings.ToLower(host), strconv.FormatUint(p, 10))
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err) // crypto/rand does not fail
	}
	return n
}

func writeCert(name string, der []byte) error {
	return writeNew(name, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

func writeKey(name string, key *ecdsa.PrivateKey) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	return writeNew(name, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
}

// writeNew writes a file that must not exist yet.
func writeNew(name string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
