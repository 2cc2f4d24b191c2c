package rights

import (
	"bufio"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/cfk/cfk/protocol"
)

// MinTokenLength is the shortest token a token file may hold: a token is
// a password that a client sends with no account to lock, so it must be
// long enough not to be guessed (`openssl rand -hex 32` makes 64).
const MinTokenLength = 16

// Token is one line of a token file, without its secret.
type Token struct {
	Level Level
	// Name is what logs say of the token: the line's third word, or
	// `line N`.
	Name string
}

// Sum is the SHA-256 of a token: what a Tokens keeps, and what a
// connection may keep to find its token again after a reload (Find).
type Sum [sha256.Size]byte

// Hash is the Sum of secret.
func Hash(secret string) Sum { return sha256.Sum256([]byte(secret)) }

type entry struct {
	sum Sum
	tok Token
}

// Tokens is a parsed token file: the SHA-256 of each token with its level
// and name. It is immutable.
type Tokens struct {
	entries []entry
}

// Len is how many tokens t holds.
func (t *Tokens) Len() int {
	if t == nil {
		return 0
	}
	return len(t.entries)
}

// Lookup finds the token secret. Its time depends on the number of tokens
// only: every one is compared, in constant time, whichever matches (and
// the secrets compared are hashes, all of one length). A nil *Tokens holds
// none.
func (t *Tokens) Lookup(secret string) (Token, bool) { return t.Find(Hash(secret)) }

// Find is Lookup of a token by its Sum, in constant time as well.
func (t *Tokens) Find(sum Sum) (Token, bool) {
	if t == nil {
		return Token{}, false
	}
	found := -1
	for i := range t.entries {
		eq := subtle.ConstantTimeCompare(sum[:], t.entries[i].sum[:])
		found = subtle.ConstantTimeSelect(eq, i, found)
	}
	if found < 0 {
		return Token{}, false
	}
	return t.entries[found].tok, true
}

// ParseTokens reads a token file's text (REFERENCE §5.3): one token a
// line, `LEVEL TOKEN [NAME]`, LEVEL read, operate or admin, TOKEN at least
// MinTokenLength printable ASCII characters without blanks, NAME one word
// (default `line N`); blank lines and lines starting with `#` are skipped.
// name prefixes the errors (`NAME:LINE: problem`), which never quote a
// token. A file without a token is an error.
func ParseTokens(name string, r io.Reader) (*Tokens, error) {
	t := &Tokens{}
	seen := map[Sum]int{}
	names := map[string]int{}
	sc := bufio.NewScanner(protocol.NewFileReader(r)) // a byte order mark skipped, as a config file's
	sc.Buffer(make([]byte, 4096), 64<<10)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		bad := func(format string, args ...any) error {
			return fmt.Errorf("%s:%d: %s", name, n, fmt.Sprintf(format, args...))
		}
		f := strings.Fields(line)
		if len(f) < 2 || len(f) > 3 {
			return nil, bad("expected \"LEVEL TOKEN [NAME]\"")
		}
		lv, err := ParseLevel(f[0])
		if err != nil {
			return nil, bad("%v", err)
		}
		if len(f[1]) < MinTokenLength {
			return nil, bad("token too short (at least %d characters)", MinTokenLength)
		}
		for i := 0; i < len(f[1]); i++ {
			if c := f[1][i]; c <= ' ' || c >= 0x7f {
				return nil, bad("a token is printable ASCII")
			}
		}
		tok := Token{Level: lv, Name: fmt.Sprintf("line %d", n)}
		if len(f) == 3 {
			tok.Name = f[2]
			if first, dup := names[tok.Name]; dup {
				return nil, bad("name %q already given on line %d", tok.Name, first)
			}
			names[tok.Name] = n
		}
		sum := Hash(f[1])
		if first, dup := seen[sum]; dup {
			return nil, bad("the same token as line %d", first)
		}
		seen[sum] = n
		t.entries = append(t.entries, entry{sum: sum, tok: tok})
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("%s: a line is too long", name)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(t.entries) == 0 {
		return nil, fmt.Errorf("%s: no token", name)
	}
	return t, nil
}

// ParseTokenFile reads the token file at path (REFERENCE §5.3) after
// checking that it is a regular file that only its owner may read and
// write (mode 0600 or 0400), owned by root or by the process reading it.
func ParseTokenFile(path string) (*Tokens, error) {
	f, err := openPrivate(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseTokens(path, f)
}

// ReadPrivate reads the file at path once it is known to be private, as
// a token file must be (regular, no permission for group and others,
// owned by root or the effective user).
func ReadPrivate(path string) ([]byte, error) {
	f, err := openPrivate(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// openPrivate opens path for reading once it is known to be a regular
// file with no permission for group and others, owned by root or by the
// effective user. The checks are made on the open file (fstat): a rename
// between the check and the open cannot change what is read.
func openPrivate(path string) (*os.File, error) {
	// non-blocking: the open of a FIFO waited for a writer for ever
	// (before the check below could refuse it), and on SIGUSR1 cfkd's
	// signal goroutine with it, which then no longer obeyed SIGTERM
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		// `token file: open PATH: ...` said the file only inside the
		// errno's text: the file first, then what is wrong with it
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("token file %s: cannot open it: %w", path, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("token file: %w", err)
	}
	if st.IsDir() {
		f.Close()
		return nil, fmt.Errorf("token file %s: a directory, not a file", path)
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("token file %s: not a regular file", path)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		f.Close()
		return nil, fmt.Errorf("token file %s: mode %04o lets others read or change it (chmod 600 %s)", path, perm, path)
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok && sys.Uid != 0 && int(sys.Uid) != os.Geteuid() {
		f.Close()
		return nil, fmt.Errorf("token file %s: owned by uid %d, neither root nor uid %d", path, sys.Uid, os.Geteuid())
	}
	return f, nil
}

// ReadClientToken reads the token a client sends (cfkctl --token-file,
// REFERENCE §8.1): the first line that is not blank nor a comment, which
// is either the token alone or a line of a token file (`LEVEL TOKEN
// [NAME]`, of which TOKEN is taken). The file must be private as for
// ParseTokenFile.
func ReadClientToken(path string) (string, error) {
	f, err := openPrivate(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(protocol.NewFileReader(f)) // a byte order mark skipped
	sc.Buffer(make([]byte, 4096), 64<<10)
	empty := true
	for sc.Scan() {
		empty = false
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		w := strings.Fields(line)
		switch {
		case len(w) == 1:
			return w[0], nil
		case len(w) <= 3:
			if _, err := ParseLevel(w[0]); err == nil {
				return w[1], nil
			}
		}
		return "", fmt.Errorf("token file %s: expected the token alone or \"LEVEL TOKEN [NAME]\"", path)
	}
	if err := sc.Err(); err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return "", fmt.Errorf("token file %s: cannot read it: %w", path, err)
	}
	if empty {
		return "", fmt.Errorf("token file %s: empty, no token in it", path)
	}
	return "", fmt.Errorf("token file %s: no token (only blank lines and comments)", path)
}

// Store holds the current tokens of a token file: Load is safe from any
// goroutine and does no I/O; Reload reads the file again and replaces the
// set whole, or keeps it when the file is refused.
type Store struct {
	parse func(string) (*Tokens, error) // ParseTokenFile, or OpenStoreFunc's
	path  string
	cur   atomic.Pointer[Tokens]
}

// OpenStore reads the token file at path (ParseTokenFile).
func OpenStore(path string) (*Store, error) { return OpenStoreFunc(path, ParseTokenFile) }

// OpenStoreFunc reads the file at path with parse, at once and at each
// Reload.
func OpenStoreFunc(path string, parse func(string) (*Tokens, error)) (*Store, error) {
	t, err := parse(path)
	if err != nil {
		return nil, err
	}
	s := &Store{path: path, parse: parse}
	s.cur.Store(t)
	return s, nil
}

// Bare is the tokens of a file holding one bare token: that token, at
// the operate level, named `the token`. Looked up as any Tokens (hashes
// compared in constant time), it tells nothing of the token's length.
func Bare(secret string) *Tokens {
	return &Tokens{entries: []entry{{sum: Hash(secret), tok: Token{Level: Operate, Name: "the token"}}}}
}

// StoreOf is a Store holding t, with no file to reload (Reload keeps t).
func StoreOf(t *Tokens) *Store {
	s := &Store{}
	s.cur.Store(t)
	return s
}

// Path is the file the store reads.
func (s *Store) Path() string { return s.path }

// Load returns the current tokens.
func (s *Store) Load() *Tokens { return s.cur.Load() }

// Lookup finds secret among the current tokens (Tokens.Lookup).
func (s *Store) Lookup(secret string) (Token, bool) { return s.Load().Lookup(secret) }

// Reload reads the file again. On error the current tokens stay.
func (s *Store) Reload() (*Tokens, error) {
	if s.path == "" {
		return s.Load(), nil
	}
	t, err := s.parse(s.path)
	if err != nil {
		return nil, err
	}
	s.cur.Store(t)
	return t, nil
}

// WithdrawnCheck is what a stream opened with the token whose Sum is sum
// checks before each write (REFERENCE §5.3, §10.1): once a reload of the
// token file removed the token, why the stream ends; "" while it is
// there. seen is the set the token was last found in, name its name
// there; each set it is found in again gives the name that set gives it.
// The closure keeps its own copy of both: one goroutine calls it.
func (s *Store) WithdrawnCheck(sum Sum, seen *Tokens, name string) func() string {
	return func() string {
		cur := s.Load()
		if cur == seen {
			return ""
		}
		if t, ok := cur.Find(sum); ok {
			seen, name = cur, t.Name
			return ""
		}
		return "token " + name + " is no longer in the token file: rights withdrawn"
	}
}
