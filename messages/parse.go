package messages

import (
	"errors"
	"fmt"
	"strings"
)

// The fixed error texts of REFERENCE §1. Clients match on them: do not reword.
var (
	// ErrVoid: the line is empty once cleaned. Config files and `load`
	// skip such lines instead (see IsBlank).
	ErrVoid = errors.New("command is void")
	// ErrNotAuthorized: a request the peer's rights do not allow
	// (package rights, REFERENCE §5.1). Parse never returns it; the
	// console does.
	ErrNotAuthorized = errors.New("not authorized")
	// ErrTooManyConnections: a connection past the console's bounds,
	// answered at connect or at its auth (REFERENCE §5.4). Parse never
	// returns it; the console does.
	ErrTooManyConnections = errors.New("too many connections")
	// ErrNoService: an unknown service name, or a selector that matched
	// nothing for a multi-service verb (status, desc and pids of an empty
	// tag answer an empty OK). Parse never returns it; the controller does.
	ErrNoService = errors.New("Couldn't find a valid service. bailing.")
	// ErrNoProxy: proxyup/proxydown without exactly one name. The
	// controller also returns it for an unknown proxy.
	ErrNoProxy = errors.New("Couldn't find a valid proxy. bailing.")

	// ErrEmptyService, ErrEmptySocket, ErrEmptyProxy: nothing after the
	// first word of a declaration.
	ErrEmptyService = errors.New("empty service command")
	ErrEmptySocket  = errors.New("empty socket command")
	ErrEmptyProxy   = errors.New("empty proxy command")
	// ErrEmptyCommand: `command` alone.
	ErrEmptyCommand = errors.New("empty command")

	// ErrServiceName, ErrSocketName, ErrProxyName: the NAME of a
	// declaration is not a valid name (see ValidName).
	ErrServiceName = errors.New("service name is invalid")
	ErrSocketName  = errors.New("socket name is invalid")
	ErrProxyName   = errors.New("proxy name is invalid")

	// ErrBindNoName and ErrBindArgs: `command bind` without exactly one
	// socket name.
	ErrBindNoName = errors.New("bind needs a socket name")
	ErrBindArgs   = errors.New("bind takes exactly 1 argument: socket name")
	// ErrUnbindNoName and ErrUnbindArgs: the same for `command unbind`.
	ErrUnbindNoName = errors.New("unbind needs a socket name")
	ErrUnbindArgs   = errors.New("unbind takes exactly 1 argument: socket name")

	// ErrTailNoName and ErrTailArgs: `command tail` without a service
	// name, or with words after it that are not N and follow.
	ErrTailNoName = errors.New("tail needs a service name: tail NAME [N] [follow]")
	ErrTailArgs   = errors.New("tail takes a service name, a number of lines and follow: tail NAME [N] [follow]")

	// ErrUnknownCommand is wrapped by `unknown command 'WORD'` (a bad first
	// word or verb).
	ErrUnknownCommand = errors.New("unknown command")
	// ErrInvalidProperty is wrapped by `invalid property 'ATTR'`.
	ErrInvalidProperty = errors.New("invalid property")
	// ErrInvalidValue is wrapped by every bad-value error:
	// `invalid value for ATTR: "VALUE" (want ...)`.
	ErrInvalidValue = errors.New("invalid value")
)

// spaceChars is white space for the language: the ASCII set of Go's regexp
// `\s` (space, tab, LF, FF, CR), used for comments, trimming and splitting
// alike so that they agree with the declaration shape below.
const spaceChars = " \t\n\f\r"

// Parse turns one line of the command language into a Statement (REFERENCE §1).
// It cleans the line first (see Clean); an empty line is ErrVoid. Every
// error text is the one REFERENCE §1 gives. Parse is pure and never panics.
func Parse(line string) (Statement, error) {
	st, err := ParseDeferred(line)
	if p, ok := st.(PendingApply); ok && err == nil {
		a, err := p.Decode()
		if err != nil {
			return nil, err
		}
		return a, nil
	}
	return st, err
}

// ParseDeferred is Parse, but for `command apply`, whose DATA it does not
// decode: it answers a PendingApply (or the error of its options), and
// the caller decodes it (PendingApply.Decode) when and where it may
// spend the memory and the time.
func ParseDeferred(line string) (Statement, error) {
	s := Clean(line)
	if s == "" {
		return nil, ErrVoid
	}
	word, rest := splitWord(s)
	switch word {
	case "service":
		return parseService(rest, "")
	case "socket":
		return parseSocket(rest)
	case "proxy":
		return parseProxy(rest)
	case "command":
		return parseCommand(rest)
	}
	return nil, unknownCommand(word)
}

// Clean strips the comment and the surrounding white space of a line
// (REFERENCE §1 steps 1-2). A `#` starts a comment at the start of the line or after
// white space only, so `cmd=curl http://x/#y` keeps its `#y`.
func Clean(line string) string {
	for i := 0; i < len(line); i++ {
		if line[i] == '#' && (i == 0 || isSpace(line[i-1])) {
			line = line[:i]
			break
		}
	}
	return strings.Trim(line, spaceChars)
}

// IsBlank reports whether a line is empty or only a comment once cleaned:
// config files and `load` skip such lines.
func IsBlank(line string) bool {
	return Clean(line) == ""
}

// IsExit reports whether a line is `exit` once cleaned as REFERENCE §1
// says (its comment stripped, white space trimmed), in any case: `exit #
// bye` and `\tEXIT ` end a connection as `exit` does (§1.5).
func IsExit(line string) bool {
	return strings.EqualFold(Clean(line), "exit")
}

// ValidName reports whether s is a valid service, socket or proxy name: an
// ASCII letter or `_`, then letters, digits, `_` or `-`. The name `-` alone
// is thus refused (it means "the proxy itself" in the proxy log protocol).
func ValidName(s string) bool {
	if s == "" || !(isLetter(s[0]) || s[0] == '_') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(isLetter(c) || ('0' <= c && c <= '9') || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// parseService parses what follows `service` (or `proxy PROXY service`,
// then proxy is PROXY).
func parseService(rest, proxy string) (Statement, error) {
	d, err := parseServiceDecl(rest, proxy)
	if err != nil {
		return nil, err
	}
	return d, nil
}

// parseServiceDecl is parseService's declaration, unboxed.
func parseServiceDecl(rest, proxy string) (SetServiceAttr, error) {
	name, attr, raw, err := splitDecl("service", rest, ErrEmptyService, ErrServiceName)
	if err != nil {
		return SetServiceAttr{}, err
	}
	p, ok := serviceAttrs[ServiceAttr(attr)]
	if !ok {
		return SetServiceAttr{}, invalidProperty(attr)
	}
	v, err := parseValue(attr, raw, p)
	if err != nil {
		return SetServiceAttr{}, err
	}
	return SetServiceAttr{Service: name, Proxy: proxy, Attr: ServiceAttr(attr), Value: v}, nil
}

// ParseServiceLine is Parse for the commonest line, `service NAME
// ATTR=VALUE`: ok when Parse(line) returns a SetServiceAttr without error,
// which it returns too, as a value (Parse's Statement is boxed: a run of
// thousands of declarations makes as much garbage). For any other line
// (`proxy P service ...` included) ok is false: call Parse.
func ParseServiceLine(line string) (d SetServiceAttr, ok bool) {
	s := Clean(line)
	word, rest := splitWord(s)
	if word != "service" {
		return SetServiceAttr{}, false
	}
	d, err := parseServiceDecl(rest, "")
	return d, err == nil
}

// parseSocket parses what follows `socket`.
func parseSocket(rest string) (Statement, error) {
	name, attr, raw, err := splitDecl("socket", rest, ErrEmptySocket, ErrSocketName)
	if err != nil {
		return nil, err
	}
	p, ok := socketAttrs[SocketAttr(attr)]
	if !ok {
		return nil, invalidProperty(attr)
	}
	v, err := parseValue(attr, raw, p)
	if err != nil {
		return nil, err
	}
	return SetSocketAttr{Socket: name, Attr: SocketAttr(attr), Value: v}, nil
}

// parseProxy parses what follows `proxy`: either `NAME service SVCREST`
// (the second word is exactly `service`, then white space or nothing) or
// `NAME ATTR=VALUE`.
func parseProxy(rest string) (Statement, error) {
	if rest == "" {
		return nil, ErrEmptyProxy
	}
	name, after := splitWord(rest)
	if second, svcRest := splitWord(after); second == "service" {
		if name == "" || wordRun(name) != len(name) { // not a NAME of the declaration shape
			return nil, malformed("proxy", rest)
		}
		if !ValidName(name) {
			return nil, ErrProxyName
		}
		return parseService(svcRest, name)
	}
	name, attr, raw, err := splitDecl("proxy", rest, ErrEmptyProxy, ErrProxyName)
	if err != nil {
		return nil, err
	}
	p, ok := proxyAttrs[ProxyAttr(attr)]
	if !ok {
		return nil, invalidProperty(attr)
	}
	v, err := parseValue(attr, raw, p)
	if err != nil {
		return nil, err
	}
	return SetProxyAttr{Proxy: name, Attr: ProxyAttr(attr), Value: v}, nil
}

// parseCommand parses what follows `command`: VERB then its arguments
// (REFERENCE §1.4).
func parseCommand(rest string) (Statement, error) {
	words := fields(rest)
	if len(words) == 0 {
		return nil, ErrEmptyCommand
	}
	verb, args := Verb(words[0]), words[1:]
	switch verb {
	case VerbStart, VerbStop, VerbUp, VerbDown, VerbRestart, VerbDestroy, VerbRollingRestart:
		sel, more, err := parseVerbSelectors(args)
		if err != nil {
			return nil, err
		}
		return ControlCommand{Verb: verb, Sel: sel, More: more}, nil
	case VerbStatus, VerbDesc, VerbPids, VerbInspect, VerbEvents:
		sel, err := parseSelector(args)
		if err != nil {
			return nil, err
		}
		return ControlCommand{Verb: verb, Sel: sel}, nil
	case VerbList, VerbVersion, VerbProxyStatus, VerbShutdown, VerbSockets, VerbUpgraded:
		if len(args) > 0 {
			return nil, fmt.Errorf("'%s' takes no argument", verb)
		}
		return ControlCommand{Verb: verb}, nil
	case VerbProxyUp, VerbProxyDown:
		if len(args) != 1 {
			return nil, ErrNoProxy
		}
		return ControlCommand{Verb: verb, Arg: args[0]}, nil
	case VerbSignal:
		if len(args) == 0 {
			return nil, errors.New("signal takes a signal and a selector: signal SIG SEL")
		}
		if _, ok := ParseSignal(args[0]); !ok {
			return nil, fmt.Errorf("unknown signal '%s'", args[0])
		}
		sel, more, err := parseVerbSelectors(args[1:])
		if err != nil {
			return nil, err
		}
		return ControlCommand{Verb: verb, Sel: sel, More: more, Arg: args[0]}, nil
	case VerbBind:
		return socketVerb(verb, args, ErrBindNoName, ErrBindArgs)
	case VerbUnbind:
		return socketVerb(verb, args, ErrUnbindNoName, ErrUnbindArgs)
	case VerbApply:
		return parseApply(args) // its DATA decoded by Parse, not ParseDeferred
	case VerbTail:
		return parseTail(args)
	case VerbFleet:
		return parseFleet(args)
	case VerbUpgrade:
		if len(args) > 1 {
			return nil, errors.New("upgrade takes one argument at most: upgrade [PATH]")
		}
		c := ControlCommand{Verb: verb}
		if len(args) == 1 {
			c.Arg = args[0]
		}
		return c, nil
	}
	return nil, unknownCommand(words[0])
}

// parseTail reads `tail NAME [N] [follow]` (REFERENCE §1.4). Whether NAME
// names a service is for the controller to say.
func parseTail(args []string) (Statement, error) {
	if len(args) == 0 {
		return nil, ErrTailNoName
	}
	c := ControlCommand{Verb: VerbTail, Arg: args[0], Lines: DefaultTailLines}
	rest := args[1:]
	if len(rest) > 0 && rest[0] != "follow" {
		n, ok := tailLines(rest[0])
		if !ok {
			return nil, fmt.Errorf("invalid number of lines '%s' (want 0 to %d)", rest[0], MaxTailLines)
		}
		c.Lines, rest = n, rest[1:]
	}
	if len(rest) > 0 && rest[0] == "follow" {
		c.Follow, rest = true, rest[1:]
	}
	if len(rest) > 0 {
		return nil, tailArgsError(args[1:], rest[0], c.Follow)
	}
	return c, nil
}

// tailArgsError is the refusal of the words of tail after what it read:
// a word given twice is named (REFERENCE §1.4), anything else is
// ErrTailArgs.
func tailArgsError(words []string, w string, follow bool) error {
	if w == "follow" && follow {
		return errors.New("tail: 'follow' given twice: tail NAME [N] [follow]")
	}
	if _, ok := tailLines(w); ok && !follow && len(words) >= 2 {
		return fmt.Errorf("tail: N given twice ('%s', then '%s'): tail NAME [N] [follow]", words[0], w)
	}
	return ErrTailArgs
}

// tailLines reads N of tail: digits only, at most MaxTailLines.
func tailLines(s string) (int, bool) {
	if s == "" || len(s) > 6 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, n <= MaxTailLines
}

// socketVerb reads the one socket name of bind and unbind.
func socketVerb(verb Verb, args []string, errNoName, errArgs error) (Statement, error) {
	switch {
	case len(args) == 0:
		return nil, errNoName
	case len(args) > 1:
		return nil, errArgs
	}
	return ControlCommand{Verb: verb, Arg: args[0]}, nil
}

// parseSelector reads the optional selector of a service verb: `service
// NAME`, `tag TAG` or `all`. A NAME or TAG that names nothing is kept: the
// controller decides (ErrNoService, or an empty OK for a query of a tag).
func parseSelector(args []string) (Selector, error) {
	if len(args) == 0 {
		return Selector{Kind: SelectNone}, nil
	}
	switch args[0] {
	case "service":
		if len(args) != 2 {
			return Selector{}, errors.New(errServiceSelectorArgs)
		}
		return Selector{Kind: SelectService, Name: args[1]}, nil
	case "tag":
		if len(args) != 2 {
			return Selector{}, errors.New(errTagSelectorArgs)
		}
		return Selector{Kind: SelectTag, Name: args[1]}, nil
	case "all":
		if len(args) != 1 {
			return Selector{}, errors.New("all selector takes no argument")
		}
		return Selector{Kind: SelectAll}, nil
	}
	return Selector{}, fmt.Errorf("unknown selector '%s'", args[0])
}

// IsOneSelectorError reports whether msg, a cfkd's ERROR, is its refusal
// of several selectors in one request: the original's error for a
// selector given more words than it takes, which a cfkd that takes
// several never answers to well-formed selectors (REFERENCE §1.4).
func IsOneSelectorError(msg string) bool {
	switch msg {
	case errServiceSelectorArgs, errTagSelectorArgs:
		return true
	}
	return false
}

// The original's errors for a selector given more words than it takes.
const (
	errServiceSelectorArgs = "service selector takes exactly 1 argument: name"
	errTagSelectorArgs     = "tag selector takes exactly 1 argument: tag"
)

// parseVerbSelectors reads the selectors of a service verb (REFERENCE
// §1.4): none or one as parseSelector, or several (an extension: `stop
// service db service app` is one request, whose services the controller
// plans together, REFERENCE §2.8), each once, `all` among them standing
// for all. The original refused every form of more words than one
// selector takes, so a sequence that does not read as selectors is
// refused with the original's error for the whole (`service a b`:
// `service selector takes exactly 1 argument: name`), byte for byte.
func parseVerbSelectors(args []string) (Selector, []Selector, error) {
	if len(args) == 0 {
		return Selector{Kind: SelectNone}, nil, nil
	}
	var sels []Selector
	seen := map[Selector]bool{}
	all := false
	for rest := args; len(rest) > 0; {
		n := 2
		if rest[0] == "all" {
			n = 1
		}
		if rest[0] != "service" && rest[0] != "tag" && rest[0] != "all" || len(rest) < n {
			_, err := parseSelector(args) // what is no sequence is no selector either: an error
			return Selector{}, nil, err
		}
		sel, err := parseSelector(rest[:n])
		if err != nil {
			return Selector{}, nil, err
		}
		all = all || sel.Kind == SelectAll
		if !seen[sel] {
			seen[sel] = true
			sels = append(sels, sel)
		}
		rest = rest[n:]
	}
	switch {
	case all:
		return Selector{Kind: SelectAll}, nil, nil
	case len(sels) == 1:
		return sels[0], nil, nil
	}
	return sels[0], sels[1:], nil
}

// splitDecl checks the `NAME ATTR=VALUE` shape of a declaration of the
// given kind and returns its parts, VALUE raw (not cleaned yet).
func splitDecl(kind, rest string, errEmpty, errName error) (name, attr, raw string, err error) {
	if rest == "" {
		return "", "", "", errEmpty
	}
	name, attr, raw, ok := cutDecl(rest)
	if !ok {
		return "", "", "", malformed(kind, rest)
	}
	if !ValidName(name) {
		return "", "", "", errName
	}
	return name, attr, raw, nil
}

// cutDecl cuts what follows `service`, `socket` and `proxy` (REFERENCE
// §1.1) into NAME, ATTR and the value: a run of word characters (\w or
// `-`), white space, another such run, white space or none, `=`, then
// everything to the end but a line feed. It is the shape
// `^([\w-]+)\s+([\w-]+)\s*=(.*)$` of Go's regexp, matched by hand: a
// declaration costs no regexp (a config file sent whole is thousands).
func cutDecl(s string) (name, attr, raw string, ok bool) {
	i := wordRun(s)
	j := i + spaceRun(s[i:])
	if i == 0 || j == i {
		return "", "", "", false
	}
	k := j + wordRun(s[j:])
	eq := k + spaceRun(s[k:])
	if k == j || eq == len(s) || s[eq] != '=' || strings.IndexByte(s[eq+1:], '\n') >= 0 {
		return "", "", "", false
	}
	return s[:i], s[j:k], s[eq+1:], true
}

// wordRun is the length of the run of \w or `-` that starts s.
func wordRun(s string) int {
	i := 0
	for i < len(s) && (isLetter(s[i]) || '0' <= s[i] && s[i] <= '9' || s[i] == '_' || s[i] == '-') {
		i++
	}
	return i
}

// spaceRun is the length of the run of white space (spaceChars) that
// starts s.
func spaceRun(s string) int {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return i
}

// splitWord cuts s at its first run of white space: the first word, and the
// rest with its leading white space removed.
func splitWord(s string) (word, rest string) {
	i := strings.IndexAny(s, spaceChars)
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimLeft(s[i:], spaceChars)
}

// fields splits s into words separated by white space.
func fields(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r < 0x80 && isSpace(byte(r))
	})
}

func isSpace(c byte) bool  { return strings.IndexByte(spaceChars, c) >= 0 }
func isLetter(c byte) bool { return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') }

func unknownCommand(word string) error { return fmt.Errorf("%w '%s'", ErrUnknownCommand, word) }
func invalidProperty(attr string) error {
	return fmt.Errorf("%w '%s'", ErrInvalidProperty, attr)
}
func malformed(kind, rest string) error { return fmt.Errorf("malformed %s command '%s'", kind, rest) }
