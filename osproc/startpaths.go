package osproc

// What a start names, checked the way its child meets it: the program
// found in the PATH of the service's environment (lookPath), and the
// working directory it could not enter told from a missing program
// (dirError): the errors of REFERENCE §2.1.

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// dirError is the error of a child that could not enter its working
// directory dir, when that is why err (its chdir and its execve fail
// alike, with ENOENT, ENOTDIR or EACCES): a missing cwd is not a missing
// program. The child enters dir after it took cred: a directory that
// cfkd can enter and that user cannot is one too (`cwd /root: permission
// denied`, not `exec sleep: permission denied`), by the mode bits and
// ACLs (permits). nil otherwise.
func dirError(dir string, cred *syscall.Credential, err error) error {
	if dir == "" || !errors.Is(err, syscall.ENOENT) && !errors.Is(err, syscall.ENOTDIR) && !errors.Is(err, syscall.EACCES) {
		return nil
	}
	fi, serr := os.Stat(dir)
	switch {
	case serr != nil:
		return fmt.Errorf("cwd %s: %w", dir, errnoOf(serr))
	case !fi.IsDir():
		return fmt.Errorf("cwd %s: not a directory", dir)
	case errors.Is(err, syscall.EACCES) && cred != nil && !canSearch(dir, cred):
		return fmt.Errorf("cwd %s: %w", dir, syscall.EACCES)
	}
	return nil
}

// MayEnter says whether cred may enter the directory dir, by the mode
// bits and ACLs as a launch's cwd is checked (canSearch); false when dir
// is no directory (or cannot be read).
func MayEnter(dir string, cred *syscall.Credential) bool {
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return false
	}
	return canSearch(dir, cred)
}

// canSearch says whether cred may enter dir: search permission on dir
// and on every directory above it (permits), those of the path as it is
// written (up to a `..`, which the kernel resolves from where a symlink
// led) and those of the path its symlinks lead to: a link in a directory
// anyone may search (/usr/local/bin/tool, pipx's) that leads under one
// that user may not (/root/.local/pipx/venvs/tool/bin/tool) is
// EACCES at its execve, where the check passed it.
func canSearch(dir string, cred *syscall.Credential) bool {
	if cred.Uid == 0 {
		return true
	}
	if !searchUp(beforeDotDot(dir), cred) {
		return false
	}
	if real, err := filepath.EvalSymlinks(dir); err == nil && real != filepath.Clean(dir) {
		return searchUp(real, cred)
	}
	return true
}

// beforeDotDot is dir up to its first `..` component, cleaned.
func beforeDotDot(dir string) string {
	parts := strings.Split(dir, "/")
	for i, c := range parts {
		if c == ".." {
			if i == 0 {
				return ".."
			}
			parts = parts[:i]
			break
		}
	}
	if j := strings.Join(parts, "/"); j != "" {
		return filepath.Clean(j)
	}
	return "/"
}

// searchUp says whether cred may search dir and every directory above it
// (dir cleaned), by permits; one that does not answer a stat cannot tell.
func searchUp(dir string, cred *syscall.Credential) bool {
	for p := dir; ; p = filepath.Dir(p) {
		var st syscall.Stat_t
		if syscall.Stat(p, &st) != nil {
			return true // cannot tell
		}
		if !permits(p, &st, cred, 1) {
			return false
		}
		if p == "/" || p == "." {
			return true
		}
	}
}

// lookPath finds file in the PATH of env (cfkd's PATH when env has none).
// A name with a slash is used as it is (relative to dir when relative).
// The child execs as cred: as execvp(3) in it would, a file its user may
// not execute (in a directory it cannot search, as root's
// /root/.local/bin, without its x permission by the mode bits or by an
// ACL, on a noexec mount, or not a regular file) is passed over for the
// next in the PATH (REFERENCE §2.4); found for cfkd alone, 'exec python3:
// permission denied' failed a `user=nobody` start that /usr/bin/python3
// would have served. When nothing later is found, the search fails as
// execvp(3) does after such a file, EACCES, naming the first: `exec
// prog: /mnt/nx/prog: permission denied`, not `executable file not found
// in PATH`, and a restart's check refuses it. Where cfkd reads no ACL
// (aclsUnread) a file the mode bits deny the user may be granted by one:
// the first that cfkd may execute is taken then (the exec says). As
// execvp(3), it goes on past a file that is not there (execvpGoesOn) or
// that the user may not execute, and stops at any other error (a symlink
// loop, a name too long); it joins each entry and the name as they are,
// not cleaned (a `..` after a symlink is the kernel's to resolve), an
// empty entry (or PATH set empty) the working directory. crlf is the
// `#!` line of the file found when it ends with "\r" (interpreter, which
// read its head: Launch warns of it, reading the file no second time).
func lookPath(file string, env []string, dir string, cred *syscall.Credential) (found, crlf string, err error) {
	if strings.Contains(file, "/") {
		// joined, not cleaned: `prog/` is no file (ENOTDIR), and a
		// `..` after a symlink is the kernel's to resolve
		p := file
		if !filepath.IsAbs(p) && dir != "" {
			p = dir + "/" + p
		}
		if err := executable(p); err != nil {
			return "", "", fmt.Errorf("exec %s: %w", file, err)
		}
		crlf, err := interpreter(p, cred, env, dir)
		if err != nil {
			return "", "", fmt.Errorf("exec %s: %w", file, err)
		}
		// the child execs as cred: a file that user may not execute
		// (no x bit for it, a directory above it that it cannot
		// search) fails there, after a restart's check stopped the
		// process that ran (an ACL read as the kernel reads it)
		if !mayExecOrACL(p, cred) {
			return "", "", fmt.Errorf("exec %s: %w", file, syscall.EACCES)
		}
		return file, crlf, nil
	}
	if len(file) > nameMax { // execvp(3) fails so at once, before any search
		return "", "", fmt.Errorf("exec %s: %w", file, syscall.ENAMETOOLONG)
	}
	var badScript error // the first found whose interpreter is not there (or that the user may not run)
	var denied error    // the first the user may not execute (execve: EACCES)
	var fallback string // executable, but not by cred's mode bits, where ACLs are not read
	var fallbackCRLF string
	dirs := filepath.SplitList(pathOf(env))
	if len(dirs) == 0 { // PATH= set empty: one empty entry, the working directory
		dirs = []string{""}
	}
	for _, d := range dirs {
		if len(d) >= pathMax { // execvp(3) skips an entry it cannot hold
			continue
		}
		// the entry as execvp(3) joins it, not cleaned: the kernel
		// resolves a `..` after a symlink from the symlink's target
		// (/opt/app/current/../bin, current a link), where
		// filepath.Join took it away and ran another directory's file;
		// an empty entry is the working directory
		p := file
		if d != "" {
			p = d + "/" + file
		}
		// a relative PATH entry is relative to dir in the child (it
		// changes directory before exec): check the file found there
		check := p
		if !filepath.IsAbs(p) {
			if dir != "" {
				check = dir + "/" + p
			}
			if !strings.HasPrefix(p, "./") && !strings.HasPrefix(p, "../") {
				p = "./" + p // execve does no PATH search anyway; be explicit
			}
		}
		if err := executable(check); err != nil {
			// execvp(3) goes on after an EACCES (a directory too:
			// execve refuses it so), and fails with it when nothing
			// later is found; after an ENOENT, ENOTDIR, as if none;
			// at any other error it stops, failing with it
			if denied == nil && (errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EISDIR)) {
				denied = fmt.Errorf("exec %s: %s: %w", file, p, syscall.EACCES)
			}
			// (the user's execve meets it only where it may search:
			// behind a directory it may not, it meets EACCES, which
			// execvp(3) goes on after and fails with)
			if !execvpGoesOn(err) {
				if cred == nil || canReach(check, cred) {
					return "", "", fmt.Errorf("exec %s: %s: %w", file, p, errnoOf(err))
				}
				if denied == nil {
					denied = fmt.Errorf("exec %s: %s: %w", file, p, syscall.EACCES)
				}
			}
			continue
		}
		crlf, err := interpreter(check, cred, env, dir)
		if err != nil {
			var ran *ranButFails
			// execvp(3) stops at it (it runs, or its execve fails
			// with an error execvp does not go on after, as an
			// interpreter behind a symlink loop): so does the launch
			if (errors.As(err, &ran) || !execvpGoesOn(err)) && mayExec(check, cred) {
				return "", "", fmt.Errorf("exec %s: %s: %w", file, p, err)
			}
			// passed over, as execvp(3) passes over an ENOENT (and
			// an EACCES: a file the user may not execute never runs)
			if badScript == nil {
				badScript = fmt.Errorf("exec %s: %s: %w", file, p, err)
			}
			continue
		}
		// by the mode bits, or by an ACL that grants (setfacl -m
		// u:svc:rx /opt/tools) or denies (setfacl -m u:svc:r--) more
		if mayExec(check, cred) {
			return p, crlf, nil
		}
		if aclsUnread && fallback == "" {
			fallback, fallbackCRLF = p, crlf
		}
		if denied == nil {
			denied = fmt.Errorf("exec %s: %s: %w", file, p, syscall.EACCES)
		}
	}
	switch {
	case fallback != "":
		return fallback, fallbackCRLF, nil
	case badScript != nil && (denied == nil || errors.Is(badScript, syscall.EACCES)):
		return "", "", badScript
	case denied != nil: // execvp(3)'s EACCES wins over its ENOENTs
		return "", "", denied
	}
	return "", "", fmt.Errorf("exec %s: executable file not found in PATH", file)
}

// nameMax is NAME_MAX, the longest name of a file that execvp(3) looks
// for in the PATH.
const nameMax = 255

// pathMax is PATH_MAX: execvp(3) skips a PATH entry of that length or
// more (glibc's execvpe), which cfkd's stat found ENAMETOOLONG and, as
// execvp(3) stops at that error, failed the search at.
const pathMax = 4096

// canReach says whether cred may search every directory above p that
// answers a stat: those its execve of p passes before it meets what p
// is (a symlink loop, a name too long), where it would meet EACCES. The
// path is walked up as written, not cleaned (dirOf): a `..` after a
// symlink leads where the link's target does.
func canReach(p string, cred *syscall.Credential) bool {
	for q := dirOf(p); ; q = dirOf(q) {
		var st syscall.Stat_t
		if syscall.Stat(q, &st) == nil {
			return canSearch(q, cred)
		}
		if q == "/" || q == "." {
			return true
		}
	}
}

// execvpGoesOn says whether execvp(3) goes on to the next directory of
// the PATH after its execve failed with err (glibc's execvpe): after an
// EACCES (remembered: the search fails with it when nothing later runs),
// ENOENT, ESTALE, ENOTDIR, ENODEV or ETIMEDOUT. At any other error (a
// symlink loop, ELOOP; a name too long, ENAMETOOLONG; EIO) it stops and
// fails with it: cfkd passed over such an entry and ran a later one.
// EISDIR is execve's EACCES of a directory.
func execvpGoesOn(err error) bool {
	for _, e := range []error{syscall.EACCES, syscall.EISDIR, syscall.ENOENT, syscall.ESTALE, syscall.ENOTDIR, syscall.ENODEV, syscall.ETIMEDOUT} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// errnoOf is the errno of err, a *os.PathError's (it says the path its
// caller names already), else err.
func errnoOf(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// mayExec says whether cred may execute the file p: its x permission
// for that user, and search permission on every directory above it
// (canSearch), by permits. Root's: any x bit does (executable). nil is
// cfkd's own identity: the kernel's word for it (mayExecSelf).
func mayExec(p string, cred *syscall.Credential) bool {
	if cred == nil {
		return mayExecSelf(p)
	}
	if cred.Uid == 0 {
		return true
	}
	var st syscall.Stat_t
	if syscall.Stat(p, &st) != nil {
		return true // cannot tell: the exec says
	}
	// the directory as written, not cleaned: in a/link/../bin/prog the
	// kernel walks link's target's parent, never a/bin (canSearch)
	if !permits(p, &st, cred, 1) || !canSearch(dirOf(p), cred) {
		return false
	}
	// a symlink: the directories above the file it leads to too
	if real, err := filepath.EvalSymlinks(p); err == nil && filepath.Dir(real) != filepath.Clean(dirOf(p)) {
		return canSearch(filepath.Dir(real), cred)
	}
	return true
}

// dirOf is the directory of p as written, not cleaned (filepath.Dir
// cleans a `..` after a symlink away): "." for a bare name.
func dirOf(p string) string {
	switch i := strings.LastIndex(p, "/"); i {
	case -1:
		return "."
	case 0:
		return "/"
	default:
		return p[:i]
	}
}

// mayExecSelf says whether cfkd's own user, the one a service with no
// `user` runs as, may execute p: root may any file with an x bit
// (executable); another user as the kernel says (faccessat X_OK with
// AT_EACCESS: the mode bits, ACLs, a noexec mount, the directories
// above). A non-root cfkd took any file with an x bit, so a restart's
// check passed a program of root's of mode 0700, stopped the service and
// then failed `permission denied`. An answer other than EACCES cannot
// tell: the exec says.
func mayExecSelf(p string) bool {
	if os.Geteuid() == 0 {
		return true
	}
	err := unix.Faccessat(unix.AT_FDCWD, p, unix.X_OK, unix.AT_EACCESS)
	return !errors.Is(err, syscall.EACCES)
}

// mayExecOrACL: cred may execute p (mayExec), or, where cfkd reads no
// ACLs (aclsUnread), an ACL may say so (then the exec tells).
func mayExecOrACL(p string, cred *syscall.Credential) bool {
	return mayExec(p, cred) || aclsUnread
}

// permits says whether cred, not root, has every permission of want (4
// r, 2 w, 1 x) on p, whose stat is st, as the kernel decides: by its
// POSIX ACL when it has one (aclPermits: one that denies what the mode
// bits allow, setfacl -m u:nobody:r--, denies it), else by the mode
// bits of the owner, the group (cred's own or a supplementary one) or
// the others, the first that cred is.
func permits(p string, st *syscall.Stat_t, cred *syscall.Credential, want uint32) bool {
	if ok, read := aclPermits(p, st, cred, want); read {
		return ok
	}
	shift := 0
	switch {
	case st.Uid == cred.Uid:
		shift = 6
	case credInGroup(cred, st.Gid):
		shift = 3
	}
	return uint32(st.Mode)>>shift&want == want
}

// credInGroup says whether cred is in group g: its own or a supplementary.
func credInGroup(cred *syscall.Credential, g uint32) bool {
	return g == cred.Gid || slices.Contains(cred.Groups, g)
}

func executable(p string) error {
	statHook(p)
	st, err := os.Stat(p)
	if err != nil {
		return err
	}
	if st.IsDir() {
		return syscall.EISDIR
	}
	// a FIFO, socket or device, whatever its mode: execve(2) refuses
	// what is not a regular file with EACCES
	if !st.Mode().IsRegular() || st.Mode()&0o111 == 0 || onNoexecMount(p) {
		return syscall.EACCES
	}
	return nil
}

// interpreter checks the interpreter that the `#!` line of the script p
// names, as the kernel reads it (the first word after `#!`, blanks
// skipped, a `\r` kept: a script saved with CRLF names `/bin/sh\r`): an
// absolute one that is not there fails the execve with ENOENT, which
// read `exec app.sh: no such file or directory` of a script that is
// there, and which a restart's check passed before it stopped the
// process that ran (REFERENCE §2.7); one that cred may not execute (by
// the mode bits and ACLs, as mayExec) fails it with EACCES. A file cfkd cannot
// read, or that is no script, is the exec's to tell. So is a dynamic ELF
// program whose loader (its PT_INTERP, elfInterp) is not there: a
// program built against musl on a glibc host, or one copied from another
// distribution, fails its execve with ENOENT as a script does, which read
// `exec /srv/app: no such file or directory` of a program that is there,
// and which a restart's check passed before it stopped the process that
// ran.
//
// Two more that the kernel meets (Linux, scriptcheck_linux.go): a file
// that is neither a `#!` script nor an ELF program, nor of a binfmt_misc
// format, fails its execve with ENOEXEC; a `#!/usr/bin/env NAME` script
// whose NAME is in no directory of the service's PATH runs env, which
// exits 127 at once. Both are ranButFails: the execve of the file found
// first in the PATH meets them (execvp(3) does not pass over it).
//
// crlf is the crlfOf of what it read of p (its `#!` line when that ends
// with "\r"), for Launch to warn of: the one read of p's head a launch
// makes when it looks its program up (crlfLine's when the cache answers).
func interpreter(p string, cred *syscall.Credential, env []string, dir string) (crlf string, err error) {
	// a regular file only: an open of a FIFO given as the program
	// would wait for a writer (the exec refuses it)
	if st, err := os.Stat(p); err != nil || !st.Mode().IsRegular() {
		return "", nil
	}
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return "", nil
	}
	defer f.Close()
	buf := make([]byte, 256)
	n, err := io.ReadFull(f, buf)
	crlf = crlfOf(buf[:n]) // what crlfLine would say of what was read
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return crlf, nil // unreadable (EIO): not known to be empty, the exec says
	}
	what, name, arg := "its interpreter", "", []byte(nil)
	if bytes.HasPrefix(buf[:n], []byte(elf.ELFMAG)) {
		what, name = "its ELF interpreter", elfInterp(f, buf[:n])
	} else {
		line, ok := bytes.CutPrefix(buf[:n], []byte("#!"))
		if !ok {
			return crlf, unknownFormat(p, buf[:n])
		}
		line = bytes.TrimLeft(line, " \t")
		if i := bytes.IndexAny(line, " \t\n"); i >= 0 {
			line, arg = line[:i], line[i:]
		}
		name = string(line)
	}
	if !filepath.IsAbs(name) {
		return crlf, nil // none, or relative to the child's cwd: the exec says
	}
	// no program the kernel runs, whoever execs it (root too), as for
	// the program itself: missing, not a regular file (a directory,
	// `#! /usr/bin/ env`: EACCES, not EISDIR, for an interpreter), no x
	// bit at all, on a noexec mount; then not one cred may execute
	// (mayExec says yes to any file for cfkd's own identity and root)
	if err := executable(name); err != nil {
		if err = errnoOf(err); err == syscall.EISDIR {
			err = syscall.EACCES
		}
		return crlf, fmt.Errorf("%s %q: %w%s", what, name, err, crlfNote(name))
	}
	if !mayExecOrACL(name, cred) { // the child execs it as cred
		return crlf, fmt.Errorf("%s %q: %w", what, name, syscall.EACCES)
	}
	return crlf, envTarget(name, arg, env, dir) // nil but for `#!/usr/bin/env NAME`
}

// crlfNote names the cause of an interpreter not found whose name (as
// the kernel reads the `#!` line) ends with a carriage return: a script
// saved with CRLF line ends, which the kernel does not strip; the error
// alone, `its interpreter "/bin/sh\r": no such file or directory`, was
// puzzling of a /bin/sh that is there. "" for any other name.
func crlfNote(name string) string {
	if !strings.HasSuffix(name, "\r") {
		return ""
	}
	return ` (its "#!" line ends with a carriage return, which the kernel keeps: the file was saved with CRLF line ends; save it with LF ones, as dos2unix does)`
}

// elfInterp is the loader that the dynamic ELF program in f names (its
// PT_INTERP), which the kernel opens as it execs the program; head is the
// start of f. "" for a static program, for one of another machine or
// class (the exec refuses it, or binfmt_misc runs it under an emulator
// that finds its loader elsewhere), or for headers the kernel would
// refuse (the exec says). It reads the program headers and the loader's
// name alone (two preads, where debug/elf reads every section header: a
// start looks its program up each time).
func elfInterp(f *os.File, head []byte) string {
	native, ok := nativeELF[runtime.GOARCH]
	if !ok || len(head) < 52 || elf.Class(head[elf.EI_CLASS]) != nativeClass() {
		return ""
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if elf.Data(head[elf.EI_DATA]) == elf.ELFDATA2MSB {
		bo = binary.BigEndian
	}
	if elf.Machine(bo.Uint16(head[18:])) != native {
		return ""
	}
	// e_phoff, e_phentsize, e_phnum; in a program header: p_type,
	// p_offset, p_filesz
	phoff, entsize, num := uint64(bo.Uint32(head[28:])), int(bo.Uint16(head[42:])), int(bo.Uint16(head[44:]))
	want, offAt, sizeAt := 32, 4, 16
	if nativeClass() == elf.ELFCLASS64 {
		if len(head) < 64 {
			return ""
		}
		phoff, entsize, num = bo.Uint64(head[32:]), int(bo.Uint16(head[54:])), int(bo.Uint16(head[56:]))
		want, offAt, sizeAt = 56, 8, 32
	}
	if entsize != want || num == 0 || num*entsize > 4096 || phoff > 1<<62 { // the kernel's bounds
		return ""
	}
	ph := make([]byte, num*entsize)
	if _, err := f.ReadAt(ph, int64(phoff)); err != nil {
		return ""
	}
	for ; len(ph) >= entsize; ph = ph[entsize:] {
		if elf.ProgType(bo.Uint32(ph)) != elf.PT_INTERP {
			continue
		}
		off, size := uint64(bo.Uint32(ph[offAt:])), uint64(bo.Uint32(ph[sizeAt:]))
		if entsize == 56 {
			off, size = bo.Uint64(ph[offAt:]), bo.Uint64(ph[sizeAt:])
		}
		if size < 2 || size > 4096 || off > 1<<62 { // the kernel refuses it (ENOEXEC)
			return ""
		}
		b := make([]byte, size)
		if _, err := f.ReadAt(b, int64(off)); err != nil {
			return ""
		}
		name, _, _ := bytes.Cut(b, []byte{0})
		return string(name)
	}
	return ""
}

// nativeELF is the ELF machine of each GOARCH whose programs the kernel's
// own ELF loader runs.
var nativeELF = map[string]elf.Machine{
	"386": elf.EM_386, "amd64": elf.EM_X86_64, "arm": elf.EM_ARM, "arm64": elf.EM_AARCH64,
	"loong64": elf.EM_LOONGARCH, "mips": elf.EM_MIPS, "mipsle": elf.EM_MIPS,
	"mips64": elf.EM_MIPS, "mips64le": elf.EM_MIPS, "ppc64": elf.EM_PPC64,
	"ppc64le": elf.EM_PPC64, "riscv64": elf.EM_RISCV, "s390x": elf.EM_S390,
}

// nativeClass is the ELF class of cfkd's own programs.
func nativeClass() elf.Class {
	if strconv.IntSize == 64 {
		return elf.ELFCLASS64
	}
	return elf.ELFCLASS32
}
