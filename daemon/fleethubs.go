package daemon

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/cfk/cfk/fleet"
	"github.com/cfk/cfk/internal/safepath"
	"github.com/sirupsen/logrus"
)

// fleetHubsEnv carries, across an upgrade's exec, the addresses of the
// hubs the former cfkd told it was leaving (fleet.Node.Leave): the new
// one tells them it is back once its member serves (fleet.Node.Back), so
// that their `fleet events` streams subscribe again at once rather than
// after --fleet-timeout, the events meanwhile lost (REFERENCE §12.3).
// Unset at once: no service inherits it.
const fleetHubsEnv = "_CFKD_FLEET_HUBS"

// fleetHubsFromEnv reads and unsets fleetHubsEnv.
func fleetHubsFromEnv() []string {
	v := os.Getenv(fleetHubsEnv)
	os.Unsetenv(fleetHubsEnv)
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

// withFleetHubs is env with fleetHubsEnv set to hubs (unset when none).
func withFleetHubs(env []string, hubs []string) []string {
	env = withoutVar(env, fleetHubsEnv)
	if len(hubs) == 0 {
		return env
	}
	return append(env, fleetHubsEnv+"="+strings.Join(hubs, ","))
}

// fleetHubsFile, in cfkd's home, names the hubs a cfkd told at its
// shutdown that it went (fleet.Node.Leave), one HOST:PORT a line: the
// next cfkd on that home, once its member serves, tells them it is back
// (fleet.Node.BackFromShutdown), and their `fleet events` streams
// subscribe there at once, where they waited for their next try, up to
// --fleet-timeout, the host's events meanwhile lost (REFERENCE §12.3,
// §7.2). The next start reads it and removes it, whatever it holds.
const fleetHubsFile = "fleet.hubs"

// maxFleetHubsBytes bounds what is read of fleetHubsFile: MaxRejoinHubs
// addresses of a DNS name's length at most.
const maxFleetHubsBytes = fleet.MaxRejoinHubs * (253 + len(":65535\n"))

// saveFleetHubs writes hubs, the addresses of the hubs this cfkd told it
// shuts down, in home's fleetHubsFile: a file of cfkd's user's, mode
// 0600, written whole under another name and renamed, so that the next
// start reads all of it or nothing. None told removes a file left there.
// A failure is logged: the hubs then ask the host again after their
// --fleet-timeout, as before. A directory in the file's place is never
// removed: said when hubs were told (the next start says it anyway).
func saveFleetHubs(home string, hubs []string, log logrus.FieldLogger) {
	p := filepath.Join(home, fleetHubsFile)
	if fi, err := os.Lstat(p); err == nil && fi.IsDir() {
		if len(hubs) > 0 {
			log.Warn(fleetHubsDirectory(p, "not written"))
		}
		return
	}
	if len(hubs) == 0 {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			log.Warnf("cannot remove %s: %v", p, err)
		}
		return
	}
	var b strings.Builder
	for _, h := range hubs {
		b.WriteString(h + "\n")
	}
	if err := writeFileAtomic(p, b.String()); err != nil {
		log.Warnf("cannot write %s, for the next cfkd to tell the hubs told of this shutdown that it is back (they will ask again after their --fleet-timeout): %v", p, err)
	}
}

// writeFileAtomic makes p hold text: written to a temporary file of mode
// 0600 in p's directory, synced, then renamed over p.
func writeFileAtomic(p, text string) error {
	f, err := os.CreateTemp(filepath.Dir(p), "."+filepath.Base(p)+"-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.WriteString(text)
	if err == nil {
		err = f.Chmod(0o600)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, p)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// takeFleetHubs reads home's fleetHubsFile and removes it: the addresses
// of the hubs the former cfkd told at its shutdown. A missing file is
// none; one that is not a regular file of cfkd's user's of mode 0600 (or
// 0400), is unreadable, too long, or holds a line that is not HOST:PORT,
// is logged once and ignored (the hubs ask again after their
// --fleet-timeout): never an error, cfkd starts all the same. A symlink
// is not followed: it is removed, as such a file is. A directory is not
// removed (it may hold files of someone's): it is said at each start,
// with what to do, since each shutdown meanwhile fails to write the file
// (saveFleetHubs). Not from an actor: it reads the disk.
func takeFleetHubs(home string, log logrus.FieldLogger) []string {
	p := filepath.Join(home, fleetHubsFile)
	fi, err := os.Lstat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err == nil && fi.IsDir():
		log.Warn(fleetHubsDirectory(p, "ignored"))
		return nil
	}
	var hubs []string
	if err == nil {
		hubs, err = readFleetHubs(p, fi)
	}
	if rerr := os.Remove(p); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) && err == nil {
		err = fmt.Errorf("cannot remove it: %w", rerr)
	}
	if err != nil {
		log.Warnf("%s ignored: %v (the hubs its former cfkd told at its shutdown, if any, ask this host again after their --fleet-timeout)", p, err)
		return nil
	}
	return hubs
}

// fleetHubsDirectory is the warning of a directory at fleetHubsFile p:
// what cfkd did (done), that it leaves it, and what to do.
func fleetHubsDirectory(p, done string) string {
	return fmt.Sprintf("%s %s: a directory, where cfkd writes a file at its shutdown, and not removed: "+
		"remove it (rm -r %s), or the hubs a shutdown tells are not told this host is back at its next start: "+
		"they ask it again only after their --fleet-timeout", p, done, p)
}

// readFleetHubs reads and checks the addresses of fleetHubsFile p, which
// fi, its Lstat, says is not a directory. Only a regular file of cfkd's
// user's is opened (safepath.OpenOwned): not a symlink's target, nor a
// FIFO, a device or a socket, nor another user's file.
func readFleetHubs(p string, fi fs.FileInfo) ([]string, error) {
	if fi.Mode()&fs.ModeSymlink != 0 {
		return nil, errors.New("a symlink, not the file cfkd writes: not followed")
	}
	euid := os.Geteuid()
	f, err := safepath.OpenOwned(p, euid)
	if n := (*safepath.NotOwned)(nil); errors.As(err, &n) {
		if !n.Regular {
			return nil, fmt.Errorf("not a regular file (%s), not the file cfkd writes", fileKind(fi.Mode()))
		}
		return nil, fmt.Errorf("owned by uid %d, not by cfkd's user (uid %d), who wrote it", n.Owner, euid)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil {
		return nil, err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("mode %04o: others may read or write it, cfkd writes it 0600", fi.Mode().Perm())
	}
	data, err := io.ReadAll(io.LimitReader(f, int64(maxFleetHubsBytes)+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxFleetHubsBytes {
		return nil, fmt.Errorf("longer than %d bytes (%d addresses at most)", maxFleetHubsBytes, fleet.MaxRejoinHubs)
	}
	var hubs []string
	text := strings.TrimSuffix(string(data), "\n")
	if text == "" {
		return nil, errors.New("empty: cfkd writes none that is")
	}
	for i, line := range strings.Split(text, "\n") {
		if err := checkHubAddr(line); err != nil {
			// not escaped here: the log's record escapes it (REFERENCE §6.2),
			// and escaped twice its ESC read \\x1b
			return nil, fmt.Errorf("line %d, %s: %v", i+1, line, err)
		}
		if !slices.Contains(hubs, line) {
			hubs = append(hubs, line)
		}
	}
	if len(hubs) > fleet.MaxRejoinHubs {
		return nil, fmt.Errorf("%d addresses, more than %d", len(hubs), fleet.MaxRejoinHubs)
	}
	return hubs, nil
}

// fileKind names what a file of mode m that is not a regular one is.
func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m.IsDir():
		return "a directory"
	}
	return m.Type().String()
}

// checkHubAddr refuses what is not a hub's address as protoactor names
// it: HOST:PORT, HOST an IP address or a DNS name, a port 1 to 65535.
func checkHubAddr(a string) error {
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return errors.New("not HOST:PORT")
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
		return errors.New("not a port")
	}
	if net.ParseIP(host) != nil {
		return nil
	}
	if host == "" || len(host) > 253 {
		return errors.New("not a host")
	}
	for _, r := range host {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return errors.New("not an IP address nor a DNS name")
		}
	}
	return nil
}
