package messages

import (
	"errors"
	"reflect"
	"regexp"
	"testing"
)

// Helpers building the expected statements and values.

func svc(name string, attr ServiceAttr, v Value) Statement {
	return SetServiceAttr{Service: name, Attr: attr, Value: v}
}

func psvc(proxy, name string, attr ServiceAttr, v Value) Statement {
	return SetServiceAttr{Service: name, Proxy: proxy, Attr: attr, Value: v}
}

func sock(name string, attr SocketAttr, v Value) Statement {
	return SetSocketAttr{Socket: name, Attr: attr, Value: v}
}

func prx(name string, attr ProxyAttr, v Value) Statement {
	return SetProxyAttr{Proxy: name, Attr: attr, Value: v}
}

func cmd(verb Verb, kind SelectorKind, name string) Statement {
	return ControlCommand{Verb: verb, Sel: Selector{Kind: kind, Name: name}}
}

func cmdArg(verb Verb, arg string) Statement {
	return ControlCommand{Verb: verb, Arg: arg}
}

func str(s string) Value            { return Value{Str: s} }
func argv(a ...string) Value        { return Value{Argv: a} }
func boolean(b bool) Value          { return Value{Bool: b} }
func num(f float64) Value           { return Value{Num: f} }
func integer(n int) Value           { return Value{Int: n} }
func list(l ...string) Value        { return Value{List: l} }
func env(key, val string) Value     { return Value{Key: key, Str: val} }
func unset() Value                  { return Value{Unset: true} }
func on(attr ServiceAttr) Statement { return svc("a", attr, boolean(true)) }
func off(attr ServiceAttr) Statement {
	return svc("a", attr, boolean(false))
}

var parseOK = []struct {
	line string
	want Statement
}{
	// service cmd: string form, spacing, quotes, comments, line endings
	{"service a cmd=x", svc("a", SvcCmd, str("x"))},
	{"service somesvc cmd = some command", svc("somesvc", SvcCmd, str("some command"))},
	{"service somesvc cmd  ==  some command", svc("somesvc", SvcCmd, str("=  some command"))},
	{"service a cmd  ==  x", svc("a", SvcCmd, str("=  x"))},
	{"service a cmd=  ==  x", svc("a", SvcCmd, str("==  x"))},
	{"service a cmd=a=b", svc("a", SvcCmd, str("a=b"))},
	{`service a cmd="something"`, svc("a", SvcCmd, str("something"))},
	{`service a cmd='something'`, svc("a", SvcCmd, str("something"))},
	{`service a cmd=  "some thing"`, svc("a", SvcCmd, str("some thing"))},
	{`service a cmd="it's"`, svc("a", SvcCmd, str("it's"))},
	{`service a cmd='say "hi"'`, svc("a", SvcCmd, str(`say "hi"`))},
	{`service a cmd="a" b`, svc("a", SvcCmd, str("a"))},
	{`service a cmd=x "y"`, svc("a", SvcCmd, str(`x "y"`))},
	{"service a cmd=sleep 10; sleep 10", svc("a", SvcCmd, str("sleep 10; sleep 10"))},
	{"service a cmd=curl http://x/#y", svc("a", SvcCmd, str("curl http://x/#y"))},
	{"service a cmd=x # comment", svc("a", SvcCmd, str("x"))},
	{"service a cmd=x\t# comment", svc("a", SvcCmd, str("x"))},
	{"service a cmd=x#y", svc("a", SvcCmd, str("x#y"))},
	{"service a cmd=x\r\n", svc("a", SvcCmd, str("x"))},
	{"service a cmd=x\n", svc("a", SvcCmd, str("x"))},
	{"  service a cmd=x  ", svc("a", SvcCmd, str("x"))},
	{"\tservice\ta\tcmd\t=\tx\t", svc("a", SvcCmd, str("x"))},
	{"service   a   cmd=x", svc("a", SvcCmd, str("x"))},
	{"service a cmd=x\ry", svc("a", SvcCmd, str("x\ry"))},
	{"service a cmd=héllo wörld", svc("a", SvcCmd, str("héllo wörld"))},
	// service cmd: JSON arrays
	{`service a cmd=["a", "b"]`, svc("a", SvcCmd, argv("a", "b"))},
	{`service a cmd= ["/bin/sh","-c","echo hi"]`, svc("a", SvcCmd, argv("/bin/sh", "-c", "echo hi"))},
	{`service a cmd=["a"]`, svc("a", SvcCmd, argv("a"))},
	{`service a cmd=["a", ""]`, svc("a", SvcCmd, argv("a", ""))},
	{`service a cmd=["a\u0020b", "#x"]`, svc("a", SvcCmd, argv("a b", "#x"))},
	{`service a cmd='["a", "b c"]'`, svc("a", SvcCmd, argv("a", "b c"))},
	// unset forms
	{"service a cmd=", svc("a", SvcCmd, unset())},
	{"service a cmd=  ", svc("a", SvcCmd, unset())},
	{"service a cmd= \t ", svc("a", SvcCmd, unset())},
	{"service a cmd= \n", svc("a", SvcCmd, unset())},
	{`service a cmd=""`, svc("a", SvcCmd, unset())},
	{`service a cmd=''`, svc("a", SvcCmd, unset())},
	{"service a cmd= # nothing", svc("a", SvcCmd, unset())},
	{"service a desc=", svc("a", SvcDesc, unset())},
	{"service a tags=", svc("a", SvcTags, unset())},
	{"service a add_env=", svc("a", SvcAddEnv, unset())},
	{"service a tie_stdin_to=", svc("a", SvcTieStdinTo, unset())},
	{"service a ignore_stdout=", svc("a", SvcIgnoreStdout, unset())},
	{"service a respawn_max_retries=", svc("a", SvcRespawnMaxRetries, unset())},
	{"service a startwait_secs=", svc("a", SvcStartwaitSecs, unset())},
	{"service a stopwait_secs=", svc("a", SvcStopwaitSecs, unset())},
	{"service a cwd=", svc("a", SvcCwd, unset())},
	{"service a user=", svc("a", SvcUser, unset())},
	{"service a group=", svc("a", SvcGroup, unset())},
	// names
	{"service web-1 cmd=x", svc("web-1", SvcCmd, str("x"))},
	{"service _a cmd=x", svc("_a", SvcCmd, str("x"))},
	{"service a- cmd=x", svc("a-", SvcCmd, str("x"))},
	{"service A_b-C9 cmd=x", svc("A_b-C9", SvcCmd, str("x"))},
	{"service service cmd=x", svc("service", SvcCmd, str("x"))},
	// desc
	{"service a desc=a web server", svc("a", SvcDesc, str("a web server"))},
	{`service a desc="a" b"`, svc("a", SvcDesc, str(`a" b`))},
	{"service a desc=a\tb\rc", svc("a", SvcDesc, str("abc"))},
	{"service a desc=\"a\x00b\tc\"", svc("a", SvcDesc, str("abc"))},
	{"service a desc=\"\t\"", svc("a", SvcDesc, unset())},
	{"service a desc=bad\xffutf8", svc("a", SvcDesc, str("bad\xffutf8"))},
	// tags
	{"service a tags=t1", svc("a", SvcTags, list("t1"))},
	{"service a tags=t1,t3,t3", svc("a", SvcTags, list("t1", "t3"))},
	{"service a tags= web , prod ,web", svc("a", SvcTags, list("web", "prod"))},
	{"service a tags=b,a,,b,c,", svc("a", SvcTags, list("b", "a", "c"))},
	{"service a tags=w e b,x.y,z-1", svc("a", SvcTags, list("web", "x.y", "z-1"))},
	{"service a tags=,,", svc("a", SvcTags, unset())},
	{`service a tags=" , "`, svc("a", SvcTags, unset())},
	// listen_sockets: a comma list of socket names, like tags
	{"service a listen_sockets=web", svc("a", SvcListenSockets, list("web"))},
	{"service a listen_sockets= web , admin ", svc("a", SvcListenSockets, list("web", "admin"))},
	{"service a listen_sockets=b,a,,_c-1,", svc("a", SvcListenSockets, list("b", "a", "_c-1"))},
	{"service a listen_sockets=,,", svc("a", SvcListenSockets, unset())},
	{"service a listen_sockets=", svc("a", SvcListenSockets, unset())},
	// requires: a comma list of service names, declared or not
	{"service a requires=db", svc("a", SvcRequires, list("db"))},
	{"service a requires= db , cache ,db", svc("a", SvcRequires, list("db", "cache"))},
	{"service a requires=b,a,,_c-1,", svc("a", SvcRequires, list("b", "a", "_c-1"))},
	{"service a requires=,,", svc("a", SvcRequires, unset())},
	{"service a requires=", svc("a", SvcRequires, unset())},
	// add_env
	{"service a add_env=FOO=bar", svc("a", SvcAddEnv, env("FOO", "bar"))},
	{"service a add_env=FOO=", svc("a", SvcAddEnv, env("FOO", ""))},
	{"service a add_env=_x1=a=b c", svc("a", SvcAddEnv, env("_x1", "a=b c"))},
	{`service a add_env="PATH=/a b"`, svc("a", SvcAddEnv, env("PATH", "/a b"))},
	{`service a add_env=K="v"`, svc("a", SvcAddEnv, env("K", `"v"`))},
	// tie_stdin_to, cwd, user, group
	{"service a tie_stdin_to=fcgi", svc("a", SvcTieStdinTo, str("fcgi"))},
	{"service a tie_stdin_to=my-sock", svc("a", SvcTieStdinTo, str("my-sock"))},
	{"service a cwd=/", svc("a", SvcCwd, str("/"))},
	{"service a umask=022", svc("a", SvcUmask, str("0022"))},
	{"service a umask=0027", svc("a", SvcUmask, str("0027"))},
	{"service a umask=0", svc("a", SvcUmask, str("0000"))},
	{"service a umask=777", svc("a", SvcUmask, str("0777"))},
	{"service a umask=", svc("a", SvcUmask, unset())},
	{"service a limit_nofile=65536", svc("a", SvcLimitNofile, str("65536:65536"))},
	{"service a limit_nofile=1024:524288", svc("a", SvcLimitNofile, str("1024:524288"))},
	{"service a limit_nofile=01:1073741816", svc("a", SvcLimitNofile, str("1:1073741816"))},
	{"service a limit_nofile=", svc("a", SvcLimitNofile, unset())},
	{"service a cwd=/var/lib/x y", svc("a", SvcCwd, str("/var/lib/x y"))},
	{"service a user=www-data", svc("a", SvcUser, str("www-data"))},
	{"service a user=1000", svc("a", SvcUser, str("1000"))},
	{"service a user=4294967294", svc("a", SvcUser, str("4294967294"))},
	{"service a user=_apt", svc("a", SvcUser, str("_apt"))},
	{"service a group=wheel", svc("a", SvcGroup, str("wheel"))},
	{"service a group=0", svc("a", SvcGroup, str("0"))},
	{"service a group=a.b", svc("a", SvcGroup, str("a.b"))},
	// booleans: every spelling, every boolean attribute
	{"service a ignore_stdout=1", on(SvcIgnoreStdout)},
	{"service a ignore_stdout=true", on(SvcIgnoreStdout)},
	{"service a ignore_stdout=on", on(SvcIgnoreStdout)},
	{"service a ignore_stdout=yes", on(SvcIgnoreStdout)},
	{"service a ignore_stdout=enabled", on(SvcIgnoreStdout)},
	{"service a ignore_stdout=TRUE", on(SvcIgnoreStdout)},
	{"service a ignore_stdout=Yes", on(SvcIgnoreStdout)},
	{"service a ignore_stdout=ON", on(SvcIgnoreStdout)},
	{"service a ignore_stdout=EnAbLeD", on(SvcIgnoreStdout)},
	{"service a ignore_stdout=0", off(SvcIgnoreStdout)},
	{"service a ignore_stdout=false", off(SvcIgnoreStdout)},
	{"service a ignore_stdout=off", off(SvcIgnoreStdout)},
	{"service a ignore_stdout=no", off(SvcIgnoreStdout)},
	{"service a ignore_stdout=disabled", off(SvcIgnoreStdout)},
	{"service a ignore_stdout=FALSE", off(SvcIgnoreStdout)},
	{"service a ignore_stdout=No", off(SvcIgnoreStdout)},
	{"service a ignore_stdout=OFF", off(SvcIgnoreStdout)},
	{"service a ignore_stdout=Disabled", off(SvcIgnoreStdout)},
	{`service a ignore_stdout="yes"`, on(SvcIgnoreStdout)},
	{"service a ignore_stdout=  no", off(SvcIgnoreStdout)},
	{"service a ignore_stderr=1", on(SvcIgnoreStderr)},
	{"service a respawn_on_fail=0", off(SvcRespawnOnFail)},
	{"service a respawn_on_stop=yes", on(SvcRespawnOnStop)},
	{"service a no_new_session=on", on(SvcNoNewSession)},
	// numbers
	{"service a respawn_max_retries=1", svc("a", SvcRespawnMaxRetries, integer(1))},
	{"service a respawn_max_retries=8", svc("a", SvcRespawnMaxRetries, integer(8))},
	{"service a respawn_max_retries=007", svc("a", SvcRespawnMaxRetries, integer(7))},
	{"service a startwait_secs=0", svc("a", SvcStartwaitSecs, num(0))},
	{"service a startwait_secs=1", svc("a", SvcStartwaitSecs, num(1))},
	{"service a startwait_secs=0.5", svc("a", SvcStartwaitSecs, num(0.5))},
	{"service a startwait_secs=.25", svc("a", SvcStartwaitSecs, num(0.25))},
	{"service a startwait_secs=3.", svc("a", SvcStartwaitSecs, num(3))},
	{"service a startwait_secs=86400", svc("a", SvcStartwaitSecs, num(86400))},
	{"service a stopwait_secs=2", svc("a", SvcStopwaitSecs, num(2))},
	{"service a stopwait_secs=0.0", svc("a", SvcStopwaitSecs, num(0))},
	// socket
	{"socket s host=127.0.0.1", sock("s", SockHost, str("127.0.0.1"))},
	{"socket s host=0.0.0.0", sock("s", SockHost, str("0.0.0.0"))},
	{"socket s host=::1", sock("s", SockHost, str("::1"))},
	{"socket s host=[::1]", sock("s", SockHost, str("::1"))},
	{"socket s host=[fe80::1%eth0]", sock("s", SockHost, str("fe80::1%eth0"))},
	{"socket s host=::", sock("s", SockHost, str("::"))},
	{"socket s host=localhost", sock("s", SockHost, str("localhost"))},
	{"socket s host=web-1.example.com", sock("s", SockHost, str("web-1.example.com"))},
	{"socket s host=unix/", sock("s", SockHost, str("unix/"))},
	{"socket s host=unix", sock("s", SockHost, str("unix"))},
	{"socket s host=", sock("s", SockHost, unset())},
	{"socket s service=8080", sock("s", SockService, str("8080"))},
	{"socket s service=0", sock("s", SockService, str("0"))},
	{"socket s service=65535", sock("s", SockService, str("65535"))},
	{"socket s service=http", sock("s", SockService, str("http"))},
	{"socket s service=/tmp/x.sock", sock("s", SockService, str("/tmp/x.sock"))},
	{"socket s service=rel/x#y", sock("s", SockService, str("rel/x#y"))},
	{"socket s service=", sock("s", SockService, unset())},
	{"socket s nonblocking=1", sock("s", SockNonblocking, boolean(true))},
	{"socket s nonblocking=off", sock("s", SockNonblocking, boolean(false))},
	{"socket s listen_qsize=128", sock("s", SockListenQsize, integer(128))},
	{"socket s listen_qsize=max", sock("s", SockListenQsize, integer(0))},
	{"socket s listen_qsize=MAX", sock("s", SockListenQsize, integer(0))},
	{"socket s listen_qsize=2147483647", sock("s", SockListenQsize, integer(2147483647))},
	{"socket s listen_qsize=", sock("s", SockListenQsize, unset())},
	{"socket s user=www-data", sock("s", SockUser, str("www-data"))},
	{"socket s user=65534", sock("s", SockUser, str("65534"))},
	{"socket s group=nogroup", sock("s", SockGroup, str("nogroup"))},
	{"socket s group=", sock("s", SockGroup, unset())},
	{"socket s mode=0660", sock("s", SockMode, str("0660"))},
	{"socket s mode=660", sock("s", SockMode, str("0660"))},
	{"socket s mode=0", sock("s", SockMode, str("0000"))},
	{"socket s mode=0777", sock("s", SockMode, str("0777"))},
	{"socket s mode=", sock("s", SockMode, unset())},
	{"socket my-sock service = 80 # comment", sock("my-sock", SockService, str("80"))},
	// proxy attributes
	{"proxy p cmd=/usr/bin/cfk-proxy", prx("p", ProxyCmd, str("/usr/bin/cfk-proxy"))},
	{`proxy p cmd=["cfk-proxy", "-v"]`, prx("p", ProxyCmd, argv("cfk-proxy", "-v"))},
	{"proxy p cmd=", prx("p", ProxyCmd, unset())},
	{"proxy p desc=shared\tmemory", prx("p", ProxyDesc, str("sharedmemory"))},
	{"proxy p noauto=1", prx("p", ProxyNoauto, boolean(true))},
	{"proxy p noauto=no", prx("p", ProxyNoauto, boolean(false))},
	{"proxy p add_env=PERL5LIB=/lib", prx("p", ProxyAddEnv, env("PERL5LIB", "/lib"))},
	{"proxy p add_env=", prx("p", ProxyAddEnv, unset())},
	{"proxy p-1 cmd = x", prx("p-1", ProxyCmd, str("x"))},
	{"proxy p cmd = service x", prx("p", ProxyCmd, str("service x"))},
	// proxy services
	{"proxy p service s cmd=x", psvc("p", "s", SvcCmd, str("x"))},
	{"proxy p service s tags=a,b", psvc("p", "s", SvcTags, list("a", "b"))},
	{"proxy p\tservice\ts\tcmd = x y", psvc("p", "s", SvcCmd, str("x y"))},
	{"proxy p service s cmd=", psvc("p", "s", SvcCmd, unset())},
	{"proxy p service service cmd=x", psvc("p", "service", SvcCmd, str("x"))},
	{"proxy service service s cmd=x", psvc("service", "s", SvcCmd, str("x"))},
	// command: selectors
	{"command start", cmd(VerbStart, SelectNone, "")},
	{"command start service a", cmd(VerbStart, SelectService, "a")},
	{"command start tag web", cmd(VerbStart, SelectTag, "web")},
	{"command start all", cmd(VerbStart, SelectAll, "")},
	{"command stop service a", cmd(VerbStop, SelectService, "a")},
	{"command up all", cmd(VerbUp, SelectAll, "")},
	{"command down tag t", cmd(VerbDown, SelectTag, "t")},
	{"command restart service a", cmd(VerbRestart, SelectService, "a")},
	{"command destroy service a", cmd(VerbDestroy, SelectService, "a")},
	{"command status", cmd(VerbStatus, SelectNone, "")},
	{"command status all", cmd(VerbStatus, SelectAll, "")},
	{"command desc", cmd(VerbDesc, SelectNone, "")},
	{"command desc tag x", cmd(VerbDesc, SelectTag, "x")},
	{"command pids", cmd(VerbPids, SelectNone, "")},
	{"command pids service a", cmd(VerbPids, SelectService, "a")},
	{"command inspect", cmd(VerbInspect, SelectNone, "")},
	{"command inspect tag web", cmd(VerbInspect, SelectTag, "web")},
	// several selectors (extension): each once, all among them is all
	{"command stop service db service app", ControlCommand{Verb: VerbStop, Sel: Selector{SelectService, "db"},
		More: []Selector{{SelectService, "app"}}}},
	{"command start tag t service a tag t service a service b", ControlCommand{Verb: VerbStart, Sel: Selector{SelectTag, "t"},
		More: []Selector{{SelectService, "a"}, {SelectService, "b"}}}},
	{"command restart service a service a", cmd(VerbRestart, SelectService, "a")},
	{"command rollingrestart service tag tag service", ControlCommand{Verb: VerbRollingRestart, Sel: Selector{SelectService, "tag"},
		More: []Selector{{SelectTag, "service"}}}},
	{"command destroy service a all tag t", cmd(VerbDestroy, SelectAll, "")},
	{"command down all all", cmd(VerbDown, SelectAll, "")},
	{"command signal TERM service a tag b", ControlCommand{Verb: VerbSignal, Arg: "TERM", Sel: Selector{SelectService, "a"},
		More: []Selector{{SelectTag, "b"}}}},
	{"command start service 9bad!", cmd(VerbStart, SelectService, "9bad!")},
	{"command start service -", cmd(VerbStart, SelectService, "-")},
	{"  command \t start   service  a \r\n", cmd(VerbStart, SelectService, "a")},
	{"command start service a # why", cmd(VerbStart, SelectService, "a")},
	// command: other verbs
	{"command list", cmd(VerbList, SelectNone, "")},
	{"command version", cmd(VerbVersion, SelectNone, "")},
	{"command proxystatus", cmd(VerbProxyStatus, SelectNone, "")},
	{"command shutdown", cmd(VerbShutdown, SelectNone, "")},
	{"command proxyup p", cmdArg(VerbProxyUp, "p")},
	{"command proxydown p", cmdArg(VerbProxyDown, "p")},
	{"command proxyup 1nope", cmdArg(VerbProxyUp, "1nope")},
	{"command bind s", cmdArg(VerbBind, "s")},
	{"command unbind s", cmdArg(VerbUnbind, "s")},
	{"command unbind  web-1 ", cmdArg(VerbUnbind, "web-1")},
	// apply: options, then the base64 of the gzip of a config text
	{"command apply dry-run " + EncodeApplyData("service a cmd=x\ncommand start all\n"), Apply{DryRun: true, Want: Declarations{
		Services: map[string]ServiceConfig{"a": func() ServiceConfig { c := NewServiceConfig("a"); c.Cmd = "x"; return c }()},
		Sockets:  map[string]SocketConfig{}, Proxies: map[string]ProxyConfig{}, RequiresAt: map[string]int{}}}},
	{"command sockets", cmd(VerbSockets, SelectNone, "")},
	{"command sockets # all", cmd(VerbSockets, SelectNone, "")},
	{"command rollingrestart tag web", cmd(VerbRollingRestart, SelectTag, "web")},
	{"command rollingrestart service a", cmd(VerbRollingRestart, SelectService, "a")},
	{"command rollingrestart all", cmd(VerbRollingRestart, SelectAll, "")},
	{"command rollingrestart", cmd(VerbRollingRestart, SelectNone, "")},
	// events and tail (REFERENCE §1.4)
	{"command events", cmd(VerbEvents, SelectNone, "")},
	{"command events all", cmd(VerbEvents, SelectAll, "")},
	{"command events tag web", cmd(VerbEvents, SelectTag, "web")},
	{"command events service web1", cmd(VerbEvents, SelectService, "web1")},
	{"command tail web1", ControlCommand{Verb: VerbTail, Arg: "web1", Lines: 20}},
	{"command tail web1 20", ControlCommand{Verb: VerbTail, Arg: "web1", Lines: 20}},
	{"command tail web1 0", ControlCommand{Verb: VerbTail, Arg: "web1", Lines: 0}},
	{"command tail web1 007", ControlCommand{Verb: VerbTail, Arg: "web1", Lines: 7}},
	{"command tail web1 100000", ControlCommand{Verb: VerbTail, Arg: "web1", Lines: 100000}},
	{"command tail web1 follow", ControlCommand{Verb: VerbTail, Arg: "web1", Lines: 20, Follow: true}},
	{"command tail web1 5 follow", ControlCommand{Verb: VerbTail, Arg: "web1", Lines: 5, Follow: true}},
	{"command tail follow", ControlCommand{Verb: VerbTail, Arg: "follow", Lines: 20}},
}

var parseErr = []struct {
	line string
	want string
}{
	// void
	{"", "command is void"},
	{" ", "command is void"},
	{"\n", "command is void"},
	{"\t", "command is void"},
	{"\r\n", "command is void"},
	{"# comment", "command is void"},
	{"   # indented comment", "command is void"},
	{"#", "command is void"},
	// first word
	{"unknown", "unknown command 'unknown'"},
	{"Service a cmd=x", "unknown command 'Service'"},
	{"SERVICE a cmd=x", "unknown command 'SERVICE'"},
	{"services a cmd=x", "unknown command 'services'"},
	{"service=a", "unknown command 'service=a'"},
	{"exit", "unknown command 'exit'"},
	{"#x service a cmd=x", "command is void"},
	{"x#y", "unknown command 'x#y'"},
	// service shape
	{"service", "empty service command"},
	{"service  ", "empty service command"},
	{"service \t ", "empty service command"},
	{"service # c", "empty service command"},
	{"service \t=", "malformed service command '='"},
	{"service \t==", "malformed service command '=='"},
	{"service a =", "malformed service command 'a ='"},
	{"service a=b a =b", "malformed service command 'a=b a =b'"},
	{"service && a =b", "malformed service command '&& a =b'"},
	{"service a", "malformed service command 'a'"},
	{"service a cmd", "malformed service command 'a cmd'"},
	{"service a cmd x", "malformed service command 'a cmd x'"},
	{"service a b c=d", "malformed service command 'a b c=d'"},
	{"service a.b cmd=x", "malformed service command 'a.b cmd=x'"},
	{"service acmd=x", "malformed service command 'acmd=x'"},
	{"service a cmd=x\ny", "malformed service command 'a cmd=x\ny'"},
	{"service a cmd#x=y", "malformed service command 'a cmd#x=y'"},
	{"service a cmd #x=y", "malformed service command 'a cmd'"},
	{"service é cmd=x", "malformed service command 'é cmd=x'"},
	// service name
	{"service 1a cmd=x", "service name is invalid"},
	{"service 0 cmd=x", "service name is invalid"},
	{"service - cmd=x", "service name is invalid"},
	{"service -a cmd=x", "service name is invalid"},
	{"service -- cmd=x", "service name is invalid"},
	// service attributes
	{"service a a=b", "invalid property 'a'"},
	{"service cmd a=b", "invalid property 'a'"},
	{"service cmdcmd a=b", "invalid property 'a'"},
	{"service a CMD=x", "invalid property 'CMD'"},
	{"service a noauto=1", "invalid property 'noauto'"},
	{"service a host=x", "invalid property 'host'"},
	{"service a start-wait=1", "invalid property 'start-wait'"},
	{"service a start_secs=1", "invalid property 'start_secs'"},
	// quotes
	{`service a cmd="abc`, `invalid value for cmd: "\"abc" (want a closing " quote)`},
	{`service a cmd='abc`, `invalid value for cmd: "'abc" (want a closing ' quote)`},
	{`service a cmd='abc"`, `invalid value for cmd: "'abc\"" (want a closing ' quote)`},
	{`service a desc="a #b"`, `invalid value for desc: "\"a" (want a closing " quote)`},
	{`service a ignore_stdout="`, `invalid value for ignore_stdout: "\"" (want a closing " quote)`},
	// cmd JSON
	{"service a cmd= [b", `invalid value for cmd: "[b" (want a JSON array of strings like ["prog", "arg"])`},
	{"service a cmd= [[b", `invalid value for cmd: "[[b" (want a JSON array of strings like ["prog", "arg"])`},
	{"service a cmd=[{b}]", `invalid value for cmd: "[{b}]" (want a JSON array of strings like ["prog", "arg"])`},
	{"service a cmd=[]", `invalid value for cmd: "[]" (want a JSON array of strings like ["prog", "arg"])`},
	{"service a cmd=[ ]", `invalid value for cmd: "[ ]" (want a JSON array of strings like ["prog", "arg"])`},
	{`service a cmd=["a", 1]`, `invalid value for cmd: "[\"a\", 1]" (want a JSON array of strings like ["prog", "arg"])`},
	{`service a cmd=["a", null]`, `invalid value for cmd: "[\"a\", null]" (want a JSON array of strings like ["prog", "arg"])`},
	{`service a cmd=[null]`, `invalid value for cmd: "[null]" (want a JSON array of strings like ["prog", "arg"])`},
	{`service a cmd=[["a"]]`, `invalid value for cmd: "[[\"a\"]]" (want a JSON array of strings like ["prog", "arg"])`},
	{`service a cmd=["a"] x`, `invalid value for cmd: "[\"a\"] x" (want a JSON array of strings like ["prog", "arg"])`},
	{`service a cmd=[""]`, `invalid value for cmd: "[\"\"]" (want a JSON array of strings like ["prog", "arg"])`},
	{`service a cmd=['a']`, `invalid value for cmd: "['a']" (want a JSON array of strings like ["prog", "arg"])`},
	{`service a cmd=["a\u0000"]`, `invalid value for cmd: "[\"a\\u0000\"]" (want a JSON array of strings like ["prog", "arg"])`},
	{"service a cmd=a\x00b", `invalid value for cmd: "a\x00b" (want a command without NUL bytes)`},
	// JSON is UTF-8: decoding would turn the byte into U+FFFD, and run
	// another argv than the one declared (the original's decode_json refused it).
	{"service a cmd=[\"echo\", \"\xff\"]", `invalid value for cmd: "[\"echo\", \"\xff\"]" (want a JSON array of strings like ["prog", "arg"])`},
	{"proxy p cmd=[\"prox\xe9\"]", `invalid value for cmd: "[\"prox\xe9\"]" (want a JSON array of strings like ["prog", "arg"])`},
	// tags
	{"service a tags=a,b/c", `invalid value for tags: "b/c" (want comma-separated tags of letters, digits, '_', '.' or '-')`},
	{"service a tags=a;b", `invalid value for tags: "a;b" (want comma-separated tags of letters, digits, '_', '.' or '-')`},
	{"service a tags=@web", `invalid value for tags: "@web" (want comma-separated tags of letters, digits, '_', '.' or '-')`},
	// add_env
	{"service a add_env=FOO", `invalid value for add_env: no '=' (the text is not shown: it may be a secret) (want KEY=VALUE with KEY made of letters, digits and '_', not starting with a digit)`},
	{"service a add_env==x", `invalid value for add_env: KEY "" (the value is not shown: it may be a secret) (want KEY=VALUE with KEY made of letters, digits and '_', not starting with a digit)`},
	{"service a add_env=1X=y", `invalid value for add_env: KEY "1X" (the value is not shown: it may be a secret) (want KEY=VALUE with KEY made of letters, digits and '_', not starting with a digit)`},
	{"service a add_env=A-B=y", `invalid value for add_env: KEY "A-B" (the value is not shown: it may be a secret) (want KEY=VALUE with KEY made of letters, digits and '_', not starting with a digit)`},
	{"service a add_env=A B=y", `invalid value for add_env: KEY "A B" (the value is not shown: it may be a secret) (want KEY=VALUE with KEY made of letters, digits and '_', not starting with a digit)`},
	// tie_stdin_to, cwd, user, group
	{"service a tie_stdin_to=1s", `invalid value for tie_stdin_to: "1s" (want a socket name)`},
	{"service a tie_stdin_to=-", `invalid value for tie_stdin_to: "-" (want a socket name)`},
	{"service a tie_stdin_to=a b", `invalid value for tie_stdin_to: "a b" (want a socket name)`},
	{"service a cwd=relative/dir", `invalid value for cwd: "relative/dir" (want an absolute directory path)`},
	{"service a cwd=./x", `invalid value for cwd: "./x" (want an absolute directory path)`},
	{"service a user=-x", `invalid value for user: "-x" (want a name or a numeric id)`},
	{"service a user=a b", `invalid value for user: "a b" (want a name or a numeric id)`},
	{"service a user=root;", `invalid value for user: "root;" (want a name or a numeric id)`},
	{"service a group=a:b", `invalid value for group: "a:b" (want a name or a numeric id)`},
	// (uid_t)-1 is "leave it as it is" to setresuid and chown; the launch
	// failed as 'exec PROG: invalid argument' at each retry
	{"service a user=4294967295", `invalid value for user: "4294967295" (want a name or a numeric id from 0 to 4294967294)`},
	{"service a group=4294967295", `invalid value for group: "4294967295" (want a name or a numeric id from 0 to 4294967294)`},
	{"service a user=04294967295", `invalid value for user: "04294967295" (want a name or a numeric id from 0 to 4294967294)`},
	{"service a user=99999999999", `invalid value for user: "99999999999" (want a name or a numeric id from 0 to 4294967294)`},
	// booleans
	{"service a ignore_stdout=maybe", `invalid value for ignore_stdout: "maybe" (want 1/0, true/false, on/off, yes/no or enabled/disabled)`},
	{"service a ignore_stderr=2", `invalid value for ignore_stderr: "2" (want 1/0, true/false, on/off, yes/no or enabled/disabled)`},
	{"service a respawn_on_fail=yess", `invalid value for respawn_on_fail: "yess" (want 1/0, true/false, on/off, yes/no or enabled/disabled)`},
	{"service a respawn_on_stop=t", `invalid value for respawn_on_stop: "t" (want 1/0, true/false, on/off, yes/no or enabled/disabled)`},
	{"service a no_new_session=y", `invalid value for no_new_session: "y" (want 1/0, true/false, on/off, yes/no or enabled/disabled)`},
	{"service a no_new_session=yeſ", `invalid value for no_new_session: "yeſ" (want 1/0, true/false, on/off, yes/no or enabled/disabled)`},
	{"service a no_new_session=yes please", `invalid value for no_new_session: "yes please" (want 1/0, true/false, on/off, yes/no or enabled/disabled)`},
	// respawn_max_retries
	{"service a respawn_max_retries=0", `invalid value for respawn_max_retries: "0" (want an integer >= 1)`},
	{"service a respawn_max_retries=-1", `invalid value for respawn_max_retries: "-1" (want an integer >= 1)`},
	{"service a respawn_max_retries=+1", `invalid value for respawn_max_retries: "+1" (want an integer >= 1)`},
	{"service a respawn_max_retries=1.5", `invalid value for respawn_max_retries: "1.5" (want an integer >= 1)`},
	{"service a respawn_max_retries=0x10", `invalid value for respawn_max_retries: "0x10" (want an integer >= 1)`},
	{"service a respawn_max_retries=abc", `invalid value for respawn_max_retries: "abc" (want an integer >= 1)`},
	{"service a respawn_max_retries=99999999999999999999", `invalid value for respawn_max_retries: "99999999999999999999" (want an integer >= 1)`},
	// seconds
	{"service a startwait_secs=abc", `invalid value for startwait_secs: "abc" (want a number of seconds >= 0 and <= 86400)`},
	{"service a startwait_secs=-1", `invalid value for startwait_secs: "-1" (want a number of seconds >= 0 and <= 86400)`},
	{"service a startwait_secs=+1", `invalid value for startwait_secs: "+1" (want a number of seconds >= 0 and <= 86400)`},
	{"service a startwait_secs=1e3", `invalid value for startwait_secs: "1e3" (want a number of seconds >= 0 and <= 86400)`},
	{"service a startwait_secs=0x1p-2", `invalid value for startwait_secs: "0x1p-2" (want a number of seconds >= 0 and <= 86400)`},
	{"service a startwait_secs=Inf", `invalid value for startwait_secs: "Inf" (want a number of seconds >= 0 and <= 86400)`},
	{"service a startwait_secs=NaN", `invalid value for startwait_secs: "NaN" (want a number of seconds >= 0 and <= 86400)`},
	{"service a startwait_secs=.", `invalid value for startwait_secs: "." (want a number of seconds >= 0 and <= 86400)`},
	{"service a startwait_secs=1_000", `invalid value for startwait_secs: "1_000" (want a number of seconds >= 0 and <= 86400)`},
	{"service a startwait_secs=86400.001", `invalid value for startwait_secs: "86400.001" (want a number of seconds >= 0 and <= 86400)`},
	{"service a stopwait_secs=1 s", `invalid value for stopwait_secs: "1 s" (want a number of seconds >= 0 and <= 86400)`},
	{"service a stopwait_secs=" + longDigits, `invalid value for stopwait_secs: "` + longDigits + `" (want a number of seconds >= 0 and <= 86400)`},
	// socket
	{"socket", "empty socket command"},
	{"socket  # c", "empty socket command"},
	{"socket s", "malformed socket command 's'"},
	{"socket s host", "malformed socket command 's host'"},
	{"socket s=1 host=x", "malformed socket command 's=1 host=x'"},
	{"socket 1s host=x", "socket name is invalid"},
	{"socket - host=x", "socket name is invalid"},
	{"socket s cmd=x", "invalid property 'cmd'"},
	{"socket s port=80", "invalid property 'port'"},
	{"socket s host=a b", `invalid value for host: "a b" (want an IP address, [IPv6], a host name or unix/)`},
	{"socket s host=[127.0.0.1]", `invalid value for host: "[127.0.0.1]" (want an IP address, [IPv6], a host name or unix/)`},
	{"socket s host=[localhost]", `invalid value for host: "[localhost]" (want an IP address, [IPv6], a host name or unix/)`},
	{"socket s host=::g", `invalid value for host: "::g" (want an IP address, [IPv6], a host name or unix/)`},
	{"socket s host=[::1", `invalid value for host: "[::1" (want an IP address, [IPv6], a host name or unix/)`},
	{"socket s host=unix//", `invalid value for host: "unix//" (want an IP address, [IPv6], a host name or unix/)`},
	{"socket s host=unix:/x", `invalid value for host: "unix:/x" (want an IP address, [IPv6], a host name or unix/)`},
	{"socket s host=host_name", `invalid value for host: "host_name" (want an IP address, [IPv6], a host name or unix/)`},
	{"socket s service=a b", `invalid value for service: "a b" (want a port, a service name or a path, without white space)`},
	{"socket s service=/a\u00a0b", `invalid value for service: "/a\u00a0b" (want a port, a service name or a path, without white space)`},
	{"socket s nonblocking=nope", `invalid value for nonblocking: "nope" (want 1/0, true/false, on/off, yes/no or enabled/disabled)`},
	{"service a limit_nofile=0", `invalid value for limit_nofile: "0" (want N or SOFT:HARD, numbers of open files from 1 to 1073741816, SOFT <= HARD)`},
	{"service a limit_nofile=2:1", `invalid value for limit_nofile: "2:1" (want N or SOFT:HARD, numbers of open files from 1 to 1073741816, SOFT <= HARD)`},
	{"service a limit_nofile=1073741817", `invalid value for limit_nofile: "1073741817" (want N or SOFT:HARD, numbers of open files from 1 to 1073741816, SOFT <= HARD)`},
	{"service a limit_nofile=1:1073741817", `invalid value for limit_nofile: "1:1073741817" (want N or SOFT:HARD, numbers of open files from 1 to 1073741816, SOFT <= HARD)`},
	{"service a limit_nofile=:5", `invalid value for limit_nofile: ":5" (want N or SOFT:HARD, numbers of open files from 1 to 1073741816, SOFT <= HARD)`},
	{"service a limit_nofile=5:", `invalid value for limit_nofile: "5:" (want N or SOFT:HARD, numbers of open files from 1 to 1073741816, SOFT <= HARD)`},
	{"service a limit_nofile=a", `invalid value for limit_nofile: "a" (want N or SOFT:HARD, numbers of open files from 1 to 1073741816, SOFT <= HARD)`},
	{"service a limit_nofile=-1", `invalid value for limit_nofile: "-1" (want N or SOFT:HARD, numbers of open files from 1 to 1073741816, SOFT <= HARD)`},
	{"service a limit_nofile=1:2:3", `invalid value for limit_nofile: "1:2:3" (want N or SOFT:HARD, numbers of open files from 1 to 1073741816, SOFT <= HARD)`},
	{"service a limit_nofile=1 : 2", `invalid value for limit_nofile: "1 : 2" (want N or SOFT:HARD, numbers of open files from 1 to 1073741816, SOFT <= HARD)`},
	{"service a limit_nofile=99999999999999999999999", `invalid value for limit_nofile: "99999999999999999999999" (want N or SOFT:HARD, numbers of open files from 1 to 1073741816, SOFT <= HARD)`},
	{"service a umask=028", `invalid value for umask: "028" (want an octal umask 0 to 0777, like 0022)`},
	{"service a umask=1022", `invalid value for umask: "1022" (want an octal umask 0 to 0777, like 0022)`},
	{"service a umask=00022", `invalid value for umask: "00022" (want an octal umask 0 to 0777, like 0022)`},
	{"service a umask=u=rwx", `invalid value for umask: "u=rwx" (want an octal umask 0 to 0777, like 0022)`},
	{"socket s mode=0668", `invalid value for mode: "0668" (want octal permission bits 0 to 0777, like 0660)`},
	{"socket s mode=1777", `invalid value for mode: "1777" (want octal permission bits 0 to 0777, like 0660)`},
	{"socket s mode=4755", `invalid value for mode: "4755" (want octal permission bits 0 to 0777, like 0660)`},
	{"socket s mode=00660", `invalid value for mode: "00660" (want octal permission bits 0 to 0777, like 0660)`},
	{"socket s mode=-660", `invalid value for mode: "-660" (want octal permission bits 0 to 0777, like 0660)`},
	{"socket s mode=0o660", `invalid value for mode: "0o660" (want octal permission bits 0 to 0777, like 0660)`},
	{"socket s mode=rw", `invalid value for mode: "rw" (want octal permission bits 0 to 0777, like 0660)`},
	{"socket s user=a:b", `invalid value for user: "a:b" (want a name or a numeric id)`},
	{"socket s group=-g", `invalid value for group: "-g" (want a name or a numeric id)`},
	{"socket s user=4294967295", `invalid value for user: "4294967295" (want a name or a numeric id from 0 to 4294967294)`},
	{"socket s listen_qsize=0", `invalid value for listen_qsize: "0" (want an integer >= 1 or max)`},
	{"socket s listen_qsize=-5", `invalid value for listen_qsize: "-5" (want an integer >= 1 or max)`},
	{"socket s listen_qsize=maximum", `invalid value for listen_qsize: "maximum" (want an integer >= 1 or max)`},
	{"socket s listen_qsize=2147483648", `invalid value for listen_qsize: "2147483648" (want an integer >= 1 or max)`},
	// proxy
	{"proxy", "empty proxy command"},
	{"proxy   ", "empty proxy command"},
	{"proxy proxy", "malformed proxy command 'proxy'"},
	{"proxy service=s", "malformed proxy command 'service=s'"},
	{"proxy p", "malformed proxy command 'p'"},
	{"proxy p cmd", "malformed proxy command 'p cmd'"},
	{"proxy p cmd x", "malformed proxy command 'p cmd x'"},
	{"proxy && service s cmd=x", "malformed proxy command '&& service s cmd=x'"},
	{"proxy 1p cmd=x", "proxy name is invalid"},
	{"proxy - cmd=x", "proxy name is invalid"},
	{"proxy 1p service s cmd=x", "proxy name is invalid"},
	{"proxy p service=s", "invalid property 'service'"},
	{"proxy p tags=a", "invalid property 'tags'"},
	{"proxy p respawn_on_fail=1", "invalid property 'respawn_on_fail'"},
	{"proxy p noauto=perhaps", `invalid value for noauto: "perhaps" (want 1/0, true/false, on/off, yes/no or enabled/disabled)`},
	{"proxy p cmd=[", `invalid value for cmd: "[" (want a JSON array of strings like ["prog", "arg"])`},
	{"proxy p add_env=x", `invalid value for add_env: no '=' (the text is not shown: it may be a secret) (want KEY=VALUE with KEY made of letters, digits and '_', not starting with a digit)`},
	// proxy services: the inner service statement's own errors
	{"proxy a service cmd=s", "malformed service command 'cmd=s'"},
	{"proxy a service", "empty service command"},
	{"proxy a service   ", "empty service command"},
	{"proxy a service =x", "malformed service command '=x'"},
	{"proxy p service 1s cmd=x", "service name is invalid"},
	{"proxy p service s noauto=1", "invalid property 'noauto'"},
	{"proxy p service s respawn_max_retries=0", `invalid value for respawn_max_retries: "0" (want an integer >= 1)`},
	// command
	{"command", "empty command"},
	{"command   ", "empty command"},
	{"command # nothing", "empty command"},
	{"command foo", "unknown command 'foo'"},
	{"command START", "unknown command 'START'"},
	{"command exit", "unknown command 'exit'"},
	{"command start service", "service selector takes exactly 1 argument: name"},
	{"command start service a b", "service selector takes exactly 1 argument: name"},
	{"command status service", "service selector takes exactly 1 argument: name"},
	{"command inspect tag", "tag selector takes exactly 1 argument: tag"},
	{"command start tag", "tag selector takes exactly 1 argument: tag"},
	{"command stop tag a b", "tag selector takes exactly 1 argument: tag"},
	{"command start all x", "all selector takes no argument"},
	{"command pids all all", "all selector takes no argument"},
	{"command start a", "unknown selector 'a'"},
	// more words than one selector, not selectors: the original's error for the whole
	{"command stop service a b c", "service selector takes exactly 1 argument: name"},
	{"command stop service a service", "service selector takes exactly 1 argument: name"},
	{"command stop service a tag", "service selector takes exactly 1 argument: name"},
	{"command stop service a a service b", "service selector takes exactly 1 argument: name"},
	{"command start tag a service", "tag selector takes exactly 1 argument: tag"},
	{"command start all service", "all selector takes no argument"},
	{"command start all x y", "all selector takes no argument"},
	{"command start foo service a", "unknown selector 'foo'"},
	{"command signal TERM service a b", "service selector takes exactly 1 argument: name"},
	{"command status service a service b", "service selector takes exactly 1 argument: name"},
	{"command inspect tag a tag b", "tag selector takes exactly 1 argument: tag"},
	{"command events service a service b", "service selector takes exactly 1 argument: name"},
	{"command start ALL", "unknown selector 'ALL'"},
	{"command desc services a", "unknown selector 'services'"},
	{"command tail", "tail needs a service name: tail NAME [N] [follow]"},
	{"command tail a -1", "invalid number of lines '-1' (want 0 to 100000)"},
	{"command tail a 100001", "invalid number of lines '100001' (want 0 to 100000)"},
	{"command tail a 1000000", "invalid number of lines '1000000' (want 0 to 100000)"},
	{"command tail a 1e3", "invalid number of lines '1e3' (want 0 to 100000)"},
	{"command tail a follow 5", "tail takes a service name, a number of lines and follow: tail NAME [N] [follow]"},
	{"command tail a 5 follow x", "tail takes a service name, a number of lines and follow: tail NAME [N] [follow]"},
	{"command tail a follow follow", "tail: 'follow' given twice: tail NAME [N] [follow]"},
	{"command tail a 5 follow follow", "tail: 'follow' given twice: tail NAME [N] [follow]"},
	{"command tail a 5 7", "tail: N given twice ('5', then '7'): tail NAME [N] [follow]"},
	{"command tail a 5 7 follow", "tail: N given twice ('5', then '7'): tail NAME [N] [follow]"},
	{"command tail a 5 follow 7", "tail takes a service name, a number of lines and follow: tail NAME [N] [follow]"},
	{"command events service", "service selector takes exactly 1 argument: name"},
	{"command events web", "unknown selector 'web'"},
	{"command list x", "'list' takes no argument"},
	{"command version 2", "'version' takes no argument"},
	{"command proxystatus p", "'proxystatus' takes no argument"},
	{"command shutdown now", "'shutdown' takes no argument"},
	{"command proxyup", "Couldn't find a valid proxy. bailing."},
	{"command proxyup a b", "Couldn't find a valid proxy. bailing."},
	{"command proxydown", "Couldn't find a valid proxy. bailing."},
	{"command proxydown a b", "Couldn't find a valid proxy. bailing."},
	{"command bind", "bind needs a socket name"},
	{"command bind a b", "bind takes exactly 1 argument: socket name"},
	{"command unbind", "unbind needs a socket name"},
	{"command unbind a b", "unbind takes exactly 1 argument: socket name"},
	{"command sockets web", "'sockets' takes no argument"},
	{"command rollingrestart web", "unknown selector 'web'"},
	{"command apply", "apply needs the declarations: command apply [dry-run] [prune] [rolling] DATA"},
	{"command apply now " + EncodeApplyData(""), "unknown apply option 'now'"},
	{"command apply " + EncodeApplyData("service a nope=1"), "line 1: invalid property 'nope'"},
	{"command rollingrestart tag", "tag selector takes exactly 1 argument: tag"},
	{"command Unbind a", "unknown command 'Unbind'"},
	{"service a listen_sockets=1web", `invalid value for listen_sockets: "1web" (want comma-separated socket names)`},
	{"service a listen_sockets=web,-", `invalid value for listen_sockets: "-" (want comma-separated socket names)`},
	{"service a listen_sockets=web;x", `invalid value for listen_sockets: "web;x" (want comma-separated socket names)`},
	// the same socket twice: refused (it was dropped, moving the fds after it)
	{"service a listen_sockets=web,web", `invalid value for listen_sockets: "web" (want comma-separated socket names, each once)`},
	{"service a listen_sockets= web , admin ,web", `invalid value for listen_sockets: "web" (want comma-separated socket names, each once)`},
	{"service a listen_sockets=b,a,,b,_c-1,", `invalid value for listen_sockets: "b" (want comma-separated socket names, each once)`},
	{"service a requires=1db", `invalid value for requires: "1db" (want comma-separated service names)`},
	{"service a requires=db,-", `invalid value for requires: "-" (want comma-separated service names)`},
	{"service a requires=db;x", `invalid value for requires: "db;x" (want comma-separated service names)`},
	{"service a requires=@web", `invalid value for requires: "@web" (want comma-separated service names)`},
	// white space inside a name: two names meant (systemd's lists are
	// space-separated), refused rather than read as "dbcache"
	{"service a requires=db cache", `invalid value for requires: "db cache" (want comma-separated service names)`},
	{"service a requires=db, cache\tredis", `invalid value for requires: "cache\tredis" (want comma-separated service names)`},
	{"service a listen_sockets=web admin", `invalid value for listen_sockets: "web admin" (want comma-separated socket names)`},
}

const longDigits = "9999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999"

func TestParseOK(t *testing.T) {
	for _, tc := range parseOK {
		got, err := Parse(tc.line)
		if err != nil {
			t.Errorf("Parse(%q): unexpected error %q", tc.line, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Parse(%q)\n got %#v\nwant %#v", tc.line, got, tc.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range parseErr {
		got, err := Parse(tc.line)
		if err == nil {
			t.Errorf("Parse(%q) = %#v, want error %q", tc.line, got, tc.want)
			continue
		}
		if got != nil {
			t.Errorf("Parse(%q) returned %#v with its error", tc.line, got)
		}
		if err.Error() != tc.want {
			t.Errorf("Parse(%q)\n got error %q\nwant error %q", tc.line, err, tc.want)
		}
	}
}

// TestSentinels checks that the fixed texts are the sentinels themselves
// (or wrap them), so callers can use errors.Is.
func TestSentinels(t *testing.T) {
	for _, tc := range []struct {
		line string
		want error
	}{
		{"", ErrVoid},
		{"service", ErrEmptyService},
		{"socket", ErrEmptySocket},
		{"proxy", ErrEmptyProxy},
		{"command", ErrEmptyCommand},
		{"service 1 cmd=x", ErrServiceName},
		{"socket 1 host=x", ErrSocketName},
		{"proxy 1 cmd=x", ErrProxyName},
		{"command proxyup", ErrNoProxy},
		{"command bind", ErrBindNoName},
		{"command bind a b", ErrBindArgs},
		{"nope", ErrUnknownCommand},
		{"command nope", ErrUnknownCommand},
		{"service a nope=1", ErrInvalidProperty},
		{"service a startwait_secs=x", ErrInvalidValue},
		{"socket s host=a b", ErrInvalidValue},
	} {
		if _, err := Parse(tc.line); !errors.Is(err, tc.want) {
			t.Errorf("Parse(%q) = %v, want errors.Is %v", tc.line, err, tc.want)
		}
	}
	if ErrNotAuthorized.Error() != "not authorized" {
		t.Errorf("ErrNotAuthorized = %q", ErrNotAuthorized)
	}
	if ErrNoService.Error() != "Couldn't find a valid service. bailing." {
		t.Errorf("ErrNoService = %q", ErrNoService)
	}
}

func TestNeedsPrivilege(t *testing.T) {
	for line, want := range map[string]bool{
		"service a cmd=x":         true,
		"socket s host=unix/":     true,
		"proxy p noauto=1":        true,
		"proxy p service a cmd=x": true,
		"command status":          false,
	} {
		st, err := Parse(line)
		if err != nil {
			t.Fatalf("Parse(%q): %v", line, err)
		}
		if st.NeedsPrivilege() != want {
			t.Errorf("Parse(%q).NeedsPrivilege() = %v, want %v", line, !want, want)
		}
	}
}

func TestClean(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"   ", ""},
		{"\t\r\n", ""},
		{"# all comment", ""},
		{"  # indented", ""},
		{"a # b", "a"},
		{"a\t#b", "a"},
		{"a#b", "a#b"},
		{"curl http://x/#y", "curl http://x/#y"},
		{"curl http://x/#y #z", "curl http://x/#y"},
		{"a ## b", "a"},
		{" \t a  b \r\n", "a  b"},
		{"a\r\n", "a"},
		{"\fa\f", "a"},
		{"#a\nb", ""},
		{"a\n#b", "a"},
	} {
		if got := Clean(tc.in); got != tc.want {
			t.Errorf("Clean(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestIsBlank(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"", true},
		{" ", true},
		{"\t", true},
		{"\r\n", true},
		{"\n", true},
		{"# comment", true},
		{"   # comment", true},
		{"\t#", true},
		{"x", false},
		{"x # comment", false},
		{"a#b", false},
		{"service a cmd=x", false},
	} {
		if got := IsBlank(tc.in); got != tc.want {
			t.Errorf("IsBlank(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestValidName(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"a", true},
		{"A", true},
		{"_", true},
		{"_a", true},
		{"web-1", true},
		{"a-", true},
		{"a_b-C9", true},
		{"", false},
		{"-", false},
		{"-a", false},
		{"1a", false},
		{"9", false},
		{"a.b", false},
		{"a b", false},
		{"é", false},
		{"aé", false},
		{"a/b", false},
	} {
		if got := ValidName(tc.in); got != tc.want {
			t.Errorf("ValidName(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// TestCaseCount keeps the tables from shrinking unnoticed.
func TestCaseCount(t *testing.T) {
	if n := len(parseOK) + len(parseErr); n < 150 {
		t.Errorf("only %d Parse cases", n)
	}
}

// TestCutDeclIsTheShape: cutDecl matches exactly what the regexp it
// replaces matched, with the same parts.
func TestCutDeclIsTheShape(t *testing.T) {
	shape := regexp.MustCompile(`^([\w-]+)\s+([\w-]+)\s*=(.*)$`)
	check := func(s string) {
		name, attr, raw, ok := cutDecl(s)
		m := shape.FindStringSubmatch(s)
		if ok != (m != nil) || ok && (name != m[1] || attr != m[2] || raw != m[3]) {
			t.Errorf("%q: cutDecl %q %q %q %v, regexp %q", s, name, attr, raw, ok, m)
		}
	}
	for _, s := range []string{"", "a", "a b", "a b=", "a b=c", "a  b = c d", "a\tb\f=\r", "a b=c\nd", "a b=c\n",
		"a-b_9 x-y=1=2", "a=b", " a b=c", "a b c=d", "é b=c", "a é=c", "a b=\xff", "a\vb=c", "a\nb=c", "a b \n=c", "-- -=-"} {
		check(s)
	}
	// every string of up to 5 bytes over an alphabet of each class
	alphabet := []byte("a_-9 \t\n=#.\x80")
	var gen func(prefix []byte)
	gen = func(prefix []byte) {
		check(string(prefix))
		if len(prefix) == 5 {
			return
		}
		for _, c := range alphabet {
			gen(append(prefix, c))
		}
	}
	gen(nil)
}
