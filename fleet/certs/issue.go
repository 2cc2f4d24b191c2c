package certs

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Issue writes in dir, which holds a fleet's CA (ca.pem, ca.key, as
// Generate made them), NAME.pem and NAME.key for each new member, signed
// by that CA, valid for validity (not past the CA's end): a member added
// to a fleet without outside CA tooling (REFERENCE §12.2). It refuses
// what Generate refuses, a member whose files dir already holds (nothing
// is overwritten), a host at the address of another host of dir's
// inventory, and a CA key that is not the CA certificate's. The
// inventory is left as it is: the caller says which lines to add.
func Issue(dir string, members []Member, validity time.Duration) error {
	if err := checkMembers(members); err != nil {
		return err
	}
	var names []string
	for _, m := range members {
		c, k := Files(m.Name)
		names = append(names, c, k)
	}
	if err := refuseExisting(dir, names); err != nil {
		return err
	}
	if err := refuseTakenAddrs(dir, members); err != nil {
		return err
	}
	caCert, caKey, err := loadCA(dir)
	if err != nil {
		return err
	}
	now := time.Now().Add(-time.Minute)
	if !now.Before(caCert.NotAfter) {
		return fmt.Errorf("%s: the CA expired on %s: make a new fleet (fleet certs)", filepath.Join(dir, CAFile), caCert.NotAfter.Format(time.DateOnly))
	}
	for _, m := range members {
		if err := issue(dir, m, caCert, caKey, now, validity); err != nil {
			return err
		}
	}
	return nil
}

// loadCA reads dir's CA certificate and key, and checks they go together.
func loadCA(dir string) (*x509.Certificate, crypto.Signer, error) {
	certFile, keyFile := filepath.Join(dir, CAFile), filepath.Join(dir, CAKeyFile)
	certPEM, err := readPEM(certFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("%s: no fleet CA there (fleet certs makes one)", dir)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("fleet CA: %w", err)
	}
	if err := privateFile(keyFile); err != nil {
		return nil, nil, err
	}
	keyPEM, err := readPEM(keyFile)
	if err != nil {
		return nil, nil, fmt.Errorf("fleet CA key: %w", err)
	}
	cb, _ := pem.Decode(certPEM)
	if cb == nil || cb.Type != "CERTIFICATE" {
		return nil, nil, fmt.Errorf("%s: no PEM certificate in it", certFile)
	}
	caCert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", certFile, err)
	}
	if !caCert.IsCA {
		return nil, nil, fmt.Errorf("%s: not a CA certificate", certFile)
	}
	kb, _ := pem.Decode(keyPEM)
	if kb == nil || kb.Type != "PRIVATE KEY" {
		return nil, nil, fmt.Errorf("%s: no PEM private key (PKCS #8) in it", keyFile)
	}
	k, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", keyFile, err)
	}
	key, ok := k.(crypto.Signer)
	if !ok {
		return nil, nil, errors.New(keyFile + ": not a signing key")
	}
	// the key must be the certificate's: checked as Load checks a
	// member's, by tls.X509KeyPair, once each file passed the checks
	// above, whose wordings are this package's (it takes PKCS #1 and
	// SEC 1 keys, a certificate after other blocks, a certificate of no
	// CA), and the only one left to fail is that its key is another's
	if _, err := tls.X509KeyPair(certPEM, keyPEM); err != nil {
		return nil, nil, fmt.Errorf("%s is not the key of %s", keyFile, certFile)
	}
	return caCert, key, nil
}

// refuseTakenAddrs refuses a host of members at the address of another
// host of dir's inventory (if dir holds one), as Generate refuses two
// hosts of one address: the hubs would refuse the line of the one added.
// A host of the inventory issued anew (its certificate expired, its key
// lost, or it moved) is not refused, nor a hub.
func refuseTakenAddrs(dir string, members []Member) error {
	name := filepath.Join(dir, InventoryFile)
	b, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for n, line := range strings.Split(string(b), "\n") {
		w := strings.Fields(line)
		if len(w) < 3 || w[0] != "host" {
			continue
		}
		for _, kv := range w[2:] {
			addr, ok := strings.CutPrefix(kv, "addr=")
			if !ok {
				continue
			}
			for _, m := range members {
				if m.Role == RoleHost && m.Name != w[1] && SameAddr(m.Addr) == SameAddr(addr) {
					return fmt.Errorf("%s: address %s is that of host %s (%s:%d)", m.Name, m.Addr, w[1], name, n+1)
				}
			}
		}
	}
	return nil
}
