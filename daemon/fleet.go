package daemon

import (
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"time"

	"github.com/cfk/cfk/fleet"
	"github.com/cfk/cfk/messages"
	"github.com/sirupsen/logrus"
)

// FleetFlags are the --fleet-* flags (REFERENCE §7.1, §12): a cfkd that
// joins a fleet, and a hub's inventory.
type FleetFlags struct {
	Listen    string
	CA        string
	Cert      string
	Key       string
	Inventory string
	Allow     string
	Timeout   time.Duration
	timeout   bool
	Keepalive time.Duration // --fleet-keepalive (fleet.DefaultKeepalive)
	keepalive bool
}

const fleetUsage = `  --fleet-listen HOST:PORT   join a fleet: protoactor remote on HOST:PORT (the address the
                             others reach this cfkd at), mutual TLS 1.3 with the three below
  --fleet-ca FILE            the fleet's CA certificate: only its certificates get in
  --fleet-cert FILE          this cfkd's certificate (CN its name, OU hub or host)
  --fleet-key FILE           its key, mode 0600
  --fleet-inventory FILE     be a hub: FILE holds lines 'host NAME addr=HOST:PORT tags=a,b'
  --fleet-allow LIST         what hubs may run here beyond operate: declare, destroy, bind,
                             unbind, apply, shutdown (comma list)
  --fleet-timeout DUR        a hub's deadline for a host's first answer (default 5s)
  --fleet-keepalive DUR      ping a connection silent for DUR, 10s to 1h (default 50s): a peer
                             frozen with it open is lost DUR+10s after; keep 50s or more while
                             the fleet has members older than this flag
`

func (ff *FleetFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&ff.Listen, "fleet-listen", "", "")
	fs.StringVar(&ff.CA, "fleet-ca", "", "")
	fs.StringVar(&ff.Cert, "fleet-cert", "", "")
	fs.StringVar(&ff.Key, "fleet-key", "", "")
	fs.StringVar(&ff.Inventory, "fleet-inventory", "", "")
	fs.StringVar(&ff.Allow, "fleet-allow", "", "")
	fs.Var(durationValue{&ff.Timeout, &ff.timeout, minTimeout, false, 0}, "fleet-timeout", "")
	fs.Var(durationValue{&ff.Keepalive, &ff.keepalive, fleet.MinKeepalive, false, fleet.MaxKeepalive}, "fleet-keepalive", "")
}

// check makes the files absolute (cfkd -d runs from /) and refuses a
// --fleet-* flag without --fleet-listen, and a --fleet-allow it cannot
// read.
func (ff *FleetFlags) check() error {
	if ff.Listen == "" {
		if ff.CA != "" || ff.Cert != "" || ff.Key != "" || ff.Inventory != "" || ff.Allow != "" || ff.timeout || ff.keepalive {
			return errors.New("cfkd: the --fleet-* flags need --fleet-listen HOST:PORT")
		}
		return nil
	}
	if ff.timeout && ff.Timeout == 0 {
		return errors.New("cfkd: --fleet-timeout 0: want a deadline")
	}
	if ff.keepalive && ff.Keepalive == 0 {
		return fmt.Errorf("cfkd: --fleet-keepalive 0: want %v to %v", fleet.MinKeepalive, fleet.MaxKeepalive)
	}
	if !ff.keepalive {
		ff.Keepalive = fleet.DefaultKeepalive
	}
	// --fleet-allow is read again by fleet.New; refused here, it stops
	// cfkd before -d detaches, with the other flags' mistakes
	if _, err := fleet.ParsePolicy(ff.Allow); err != nil {
		return errors.New("cfkd: " + err.Error())
	}
	for _, p := range []*string{&ff.CA, &ff.Cert, &ff.Key, &ff.Inventory} {
		if *p != "" {
			abs, err := filepath.Abs(*p)
			if err != nil {
				return err
			}
			*p = abs
		}
	}
	return nil
}

// newFleet makes this cfkd's member of its fleet (nil without
// --fleet-listen): its certificates, inventory and --fleet-allow are
// checked now, so that a mistake stops cfkd at start.
func newFleet(ff FleetFlags, log *logrus.Logger) (*fleet.Node, error) {
	if ff.Listen == "" {
		return nil, nil
	}
	// whoever may change the CA chooses who may act on this cfkd (a CA
	// of theirs: their hub), the certificate and key which member it is,
	// the inventory where a hub sends commands (REFERENCE §7.2); read at
	// start only (and by an upgrade's check)
	for _, f := range []struct{ flag, path, what string }{
		{"--fleet-ca", ff.CA, fleetCAChooses}, {"--fleet-cert", ff.Cert, fleetCertChooses},
		{"--fleet-key", ff.Key, fleetKeyChooses}, {"--fleet-inventory", ff.Inventory, inventoryChooses},
	} {
		if f.path == "" {
			continue
		}
		if err := checkObeyedFile(f.flag, f.what, f.path, false); err != nil {
			return nil, fmt.Errorf("cfkd: %w", err)
		}
	}
	n, err := fleet.New(fleet.Config{Listen: ff.Listen, CA: ff.CA, Cert: ff.Cert, Key: ff.Key, Inventory: ff.Inventory,
		Allow: ff.Allow, Timeout: ff.Timeout, Keepalive: ff.Keepalive, Version: "cfk " + messages.Version, Log: log})
	if err != nil {
		return nil, errors.New("cfkd: " + err.Error())
	}
	return n, nil
}
