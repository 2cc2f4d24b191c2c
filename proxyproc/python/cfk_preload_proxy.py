#!/usr/bin/env python3
"""cfk_preload_proxy: a cfk proxy that shares memory between its services.

    cfk_preload_proxy.py --preload MODULE [--path DIR]... [--grace SECONDS]

cfkd runs it as a proxy (REFERENCE §4): it imports MODULE once, then reads
cfkd's commands on the fd in _CFK_COMMAND_FD, writes statuses on
_CFK_STATUS_FD and log lines on _CFK_LOG_FD. For each `start` it forks a
child that sets up its session, environment and fds as cfk-proxy does and
then runs the service inside the already-loaded interpreter, so the pages
MODULE filled are shared copy-on-write by every service:

  - cmd "package.module:function" (or an array whose first word is one):
    the function is called with no arguments; its return value, or the
    code of a SystemExit it raises, is the exit status (None is 0; a
    non-int is printed on stderr and gives 1, as sys.exit does);
  - cmd "path/to/script.py [ARGS...]": the script runs with runpy.run_path
    as __main__, with sys.argv set to the words;
  - anything else is exec'd as cfk-proxy would: an array as argv, a plain
    word list split with shlex, a string with any shell syntax through
    /bin/sh -c; with posix_spawn, which copies nothing of the loaded
    interpreter (a fork does), or, when that fails, a fork and an exec.

Python standard library only; one thread; one selectors loop that also
reaps children (SIGCHLD wakes it through signal.set_wakeup_fd).
"""

import argparse
import atexit
import collections
import gc
import importlib
import itertools
import json
import os
import re
import runpy
import select
import selectors
import shlex
import signal
import sys
import time
import traceback

PIPE_BUF = 4096  # as proxywire.PipeBuf: a write the kernel never splits
MAX_COMMAND_LINE = 1 << 20
MAX_LOG_BUFFER = 16 << 20  # log bytes waiting for cfkd; beyond, lines are dropped
SELF = "-"
SETUP_WAIT = 1.0  # seconds a stop waits for a child to lead its group
HANDLED = (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
# what posix_spawn's child gets back at its default action: what we
# handle, and what Python ignores
SPAWN_DEFAULT = HANDLED + (signal.SIGPIPE, signal.SIGXFSZ)
SPAWN = hasattr(os, "posix_spawn") and hasattr(os, "POSIX_SPAWN_DUP2")  # main clears it when it cannot

CALLABLE_RE = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")
# Outside quotes, these make a string need a shell (osproc.NeedsShell is
# finer; every doubt goes to sh, which is always right).
SHELL_CHARS = set(";&|<>()$`*?[]{}~!\n\r#\\\"'")
SHELL_WORDS = {
    "if", "then", "else", "elif", "fi", "do", "done", "case", "esac", "while",
    "until", "for", "in", "function", "select", "time", "[[", "]]", ".", ":",
    "source", "exec", "eval", "export", "readonly", "set", "unset", "shift",
    "trap", "ulimit", "umask", "cd", "wait", "exit", "return", "break",
    "continue", "alias", "unalias", "local", "command", "type", "hash", "read",
    "getopts", "times",
}
ASSIGNMENT_RE = re.compile(r"^[A-Za-z_]\w*=")


def perl_bool(v):
    """Truth as the original Perl cfkd meant it: "", "0", 0, null are false."""
    if v is None or v is False:
        return False
    if v is True:
        return True
    if isinstance(v, (int, float)):
        return v != 0
    if isinstance(v, str):
        return v not in ("", "0")
    raise ValueError("want a boolean, got %r" % (v,))


class BadCommand(Exception):
    pass


class UnknownCommand(BadCommand):
    pass


def parse_command(line):
    """Decode one command line into a dict with normalised fields."""
    try:
        obj = json.loads(line)
    except ValueError as e:
        raise BadCommand("invalid JSON: %s" % e)
    if not isinstance(obj, dict):
        raise BadCommand("not a JSON object")
    c = obj.get("command")
    if c not in ("start", "stop"):
        raise UnknownCommand("unknown command %s" % json.dumps(c))
    name = obj.get("name")
    if not isinstance(name, str) or name == "":
        raise BadCommand("name: missing or empty")
    out = {"command": c, "name": name}
    if c == "stop":
        return out
    cmd = obj.get("cmd")
    if isinstance(cmd, str):
        if not cmd.strip():
            raise BadCommand("cmd: empty")
    elif isinstance(cmd, list):
        if not cmd or not all(isinstance(w, str) for w in cmd) or cmd[0] == "":
            raise BadCommand("cmd: want a non-empty array of strings")
    else:
        raise BadCommand("cmd: missing")
    out["cmd"] = cmd
    env = obj.get("env")
    if env is None:
        env = {}
    if not isinstance(env, dict):
        raise BadCommand("env: want an object")
    clean = {}
    for k, v in env.items():
        if not k or "=" in k or "\0" in k:
            raise BadCommand("env: invalid variable name %r" % k)
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, (str, int, float)):
            raise BadCommand("env %s: want a string or a number" % k)
        clean[k] = v if isinstance(v, str) else json.dumps(v)
    out["env"] = clean
    for key in ("ignore_stdout", "ignore_stderr", "no_new_session"):
        try:
            out[key] = perl_bool(obj.get(key))
        except ValueError as e:
            raise BadCommand("%s: %s" % (key, e))
    tie = obj.get("tie_stdin_to")
    if tie is not None and not isinstance(tie, str):
        raise BadCommand("tie_stdin_to: want a string")
    out["tie_stdin_to"] = tie or ""
    return out


def stops_first(lines):
    """The command lines of one read, in the order to handle them: a stop
    line first when no earlier line of its service is still to handle,
    else the oldest line, as cfk-proxy does (REFERENCE §4.6). cfkd counts
    a stop's stopwait from writing it: it must not wait for the starts of
    other services, each a fork. The lines of one name keep their order,
    and the starts theirs (cfkd expects its starts answered in order)."""
    names = []
    by_name = {}
    stops = collections.deque()
    for i, line in enumerate(lines):
        name, stop = None, False
        try:
            c = parse_command(line.decode("utf-8", "replace"))
            name, stop = c["name"], c["command"] == "stop"
        except (UnknownCommand, BadCommand):
            pass
        names.append((name, stop))
        if name is not None:
            q = by_name.setdefault(name, collections.deque())
            q.append(i)
            if stop and len(q) == 1:
                stops.append(i)
    taken = [False] * len(lines)
    oldest = 0
    for _ in range(len(lines)):
        if stops:
            i = stops.popleft()
        else:
            while taken[oldest]:
                oldest += 1
            i = oldest
        taken[i] = True
        name = names[i][0]
        if name is not None:
            q = by_name[name]
            q.popleft()
            if q and names[q[0]][1]:
                stops.append(q[0])
        yield lines[i]


def exec_argv(cmd):
    """The argv cfk-proxy would exec for cmd (REFERENCE §2.6)."""
    if isinstance(cmd, list):
        return cmd
    if needs_shell(cmd):
        return ["/bin/sh", "-c", cmd]
    return shlex.split(cmd)


def needs_shell(s):
    if any(ch in SHELL_CHARS for ch in s):
        return True
    words = s.split()
    return not words or words[0] in SHELL_WORDS or bool(ASSIGNMENT_RE.match(words[0]))


def words_of(cmd):
    if isinstance(cmd, list):
        return cmd
    if needs_shell(cmd):
        return None
    return shlex.split(cmd)


def in_process_target(cmd):
    """("callable", spec, argv) or ("script", path, argv), or None to exec."""
    words = words_of(cmd)
    if not words:
        return None
    if CALLABLE_RE.match(words[0]):
        return ("callable", words[0], words)
    if words[0].endswith(".py"):
        return ("script", words[0], words)
    return None


def exit_code(obj):
    """The exit status sys.exit(obj) would give."""
    if obj is None:
        return 0
    if isinstance(obj, bool):
        return int(obj)
    if isinstance(obj, int):
        return obj & 0xFF
    try:
        print(obj, file=sys.stderr)
    except Exception:
        pass
    return 1


class Out:
    """A pipe to cfkd, written without blocking the loop: each line whole,
    in one write of at most PIPE_BUF bytes, which the kernel takes whole
    or not at all (REFERENCE §4.6 step 5). The original cfkd reads with a
    readline that takes the part of a line in the pipe for a whole line."""

    def __init__(self, fd, sel, limit):
        self.fd, self.sel, self.limit = fd, sel, limit
        self.lines = collections.deque()  # whole lines, each with its "\n"
        self.size = 0  # their bytes
        self.dropped = 0
        self.broken = False
        self.registered = False
        os.set_blocking(fd, False)

    def write(self, data):
        """Queue data, one line with its "\n", and write what the pipe takes."""
        if self.broken:
            return
        if self.limit and self.size + len(data) > self.limit:
            self.dropped += 1
            return
        if self.dropped:
            n, self.dropped = self.dropped, 0
            self.queue(("err:-:%d log lines dropped: cfkd does not read the log pipe\n" % n).encode())
        self.queue(data)
        self.flush()

    def queue(self, line):
        self.lines.append(line)
        self.size += len(line)

    def flush(self):
        while self.lines and not self.broken:
            # as many whole lines as fit in PIPE_BUF, or one longer line
            # alone (none is: lines are cut to fit, but a write that takes
            # it in parts is then the best there is)
            batch, n = [self.lines[0]], len(self.lines[0])
            for line in itertools.islice(self.lines, 1, None):
                if n + len(line) > PIPE_BUF:
                    break
                batch.append(line)
                n += len(line)
            try:
                written = os.write(self.fd, b"".join(batch))
            except BlockingIOError:
                break
            except InterruptedError:
                continue
            except OSError:  # cfkd is gone
                self.broken = True
                self.lines.clear()
                self.size = 0
                break
            self.size -= written
            while written and written >= len(self.lines[0]):
                written -= len(self.lines.popleft())
            if written:  # a part of a line longer than PIPE_BUF
                self.lines[0] = self.lines[0][written:]
        want = bool(self.lines) and not self.broken
        if want and not self.registered:
            self.sel.register(self.fd, selectors.EVENT_WRITE, ("out", self))
            self.registered = True
        elif not want and self.registered:
            self.sel.unregister(self.fd)
            self.registered = False

    def drain(self, deadline):
        """Blocking flush at exit, until deadline."""
        while self.lines and not self.broken and time.monotonic() < deadline:
            self.flush()
            if self.lines:
                time.sleep(0.01)


def log_room(kind, name):
    """The longest message of one log line of kind and name: PIPE_BUF
    less TYPE:NAME: and the "\n" (4,089 bytes for service "s"), as
    proxywire.LogRoom; 64 at least (no name cfkd sends is that long)."""
    return max(PIPE_BUF - (len(kind) + len(name.encode()) + 3), 64)


class Reader:
    """The read end of a child's stdout or stderr, cut into lines: "\n" or
    "\r\n" taken off, a longer line than one log line holds cut in pieces
    of one log line each at a byte count, as cfk-proxy cuts them
    (REFERENCE §6.4)."""

    def __init__(self, fd, kind, name, proxy):
        self.fd, self.kind, self.name, self.proxy = fd, kind, name, proxy
        self.room = log_room(kind, name)
        self.partial = bytearray()

    def on_data(self, data):
        self.partial += data
        while True:
            i = self.partial.find(b"\n")
            if i < 0:
                break
            line = bytes(self.partial[:i])
            del self.partial[: i + 1]
            if line.endswith(b"\r"):
                line = line[:-1]
            self.emit(line)
        while len(self.partial) > self.room:
            self.emit(bytes(self.partial[: self.room]))
            del self.partial[: self.room]

    def emit(self, line):
        while len(line) > self.room:
            self.proxy.log_bytes(self.kind, self.name, line[: self.room])
            line = line[self.room :]
        self.proxy.log_bytes(self.kind, self.name, line)

    def eof(self):
        if self.partial:
            self.emit(bytes(self.partial))
            self.partial.clear()


class Proxy:
    def __init__(self, cmd_fd, status_fd, log_fd, sockets, grace):
        self.sel = selectors.DefaultSelector()
        self.cmd_fd = cmd_fd
        self.status = Out(status_fd, self.sel, 0)
        self.log = Out(log_fd, self.sel, MAX_LOG_BUFFER)
        self.sockets = sockets
        self.grace = grace
        self.children = {}  # pid -> Child
        self.by_name = {}  # name -> latest pid
        self.exited_alone = {}  # name -> pid of its latest child, exited with no stop line (REFERENCE §4.6)
        self.unreported = {}  # name -> deque of its pids forked, `started` not written yet, in fork order
        self.early_exits = {}  # pid -> status, reaped before its `started` was written
        self.readers = {}  # fd -> Reader
        self.cmd_buf = bytearray()
        self.null = None  # /dev/null, for what spawn runs
        self.pid = os.getpid()
        self.cmd_skipping = False
        self.shutting_down = False
        self.kill_at = None
        os.set_blocking(cmd_fd, False)
        self.sel.register(cmd_fd, selectors.EVENT_READ, ("cmd", None))
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)
        signal.set_wakeup_fd(self.wake_w, warn_on_full_buffer=False)
        for sig in HANDLED:
            signal.signal(sig, _noop)
        self.sel.register(self.wake_r, selectors.EVENT_READ, ("wake", None))

    # -- output to cfkd

    def log_bytes(self, kind, name, msg):
        """Write msg as log lines of kind and name: one, or pieces of one
        log line each (cut at a UTF-8 character's start when one is near,
        as proxywire.EncodeLog cuts them) when it is longer."""
        prefix = b"%s:%s:" % (kind.encode(), name.replace("\n", " ").encode())
        msg = msg.replace(b"\n", b" ")
        room = max(PIPE_BUF - len(prefix) - 1, 64)  # log_room's
        while len(msg) > room:
            cut = room
            for i in range(4):  # utf8.UTFMax
                if cut - i <= 0:
                    break
                if msg[cut - i] & 0xC0 != 0x80:  # a character starts there
                    cut -= i
                    break
            self.log.write(prefix + msg[:cut] + b"\n")
            msg = msg[cut:]
        self.log.write(prefix + msg + b"\n")

    def logf(self, kind, fmt, *args):
        self.log_bytes(kind, SELF, (fmt % args).encode("utf-8", "replace"))

    def send_status(self, status, name, pid, exit_status=None):
        d = {"status": status, "name": name, "pid": pid}
        if status == "stopped":
            d["exit_status"] = exit_status
        line = json.dumps(d, ensure_ascii=False, separators=(",", ":"))
        self.status.write(line.encode("utf-8", "surrogatepass") + b"\n")

    # -- the loop

    def run(self):
        self.logf("out", "%s proxy started", os.path.basename(sys.argv[0]))
        while not self.shutting_down or self.children:
            timeout = None
            if self.kill_at is not None:
                timeout = max(0.0, self.kill_at - time.monotonic())
            for key, _ in self.sel.select(timeout):
                what, obj = key.data
                if what == "cmd":
                    self.read_commands()
                elif what == "wake":
                    self.on_wake()
                elif what == "child":
                    self.read_child(key.fd, obj)
                elif what == "sync":
                    self.on_sync(obj)
                elif what == "out":
                    obj.flush()
            self.reap()
            if self.kill_at is not None and time.monotonic() >= self.kill_at:
                self.kill_at = None
                if self.children:
                    self.logf("err", "%d service(s) still alive after %gs: SIGKILL", len(self.children), self.grace)
                    self.signal_all(signal.SIGKILL)
        self.finish()

    def on_wake(self):
        try:
            data = os.read(self.wake_r, 4096)
        except BlockingIOError:
            return
        for signum in data:
            if signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                self.logf("err", "Got signal %s", signal.Signals(signum).name[3:])
                self.shutdown("signal")

    def read_commands(self):
        try:
            data = os.read(self.cmd_fd, 65536)
        except BlockingIOError:
            return
        except OSError as e:
            self.logf("err", "reading commands: %s", e)
            data = b""
        if not data:
            if self.cmd_buf and not self.cmd_skipping:
                self.handle(bytes(self.cmd_buf))
            self.cmd_buf.clear()
            self.shutdown("command pipe closed")
            return
        self.cmd_buf += data
        lines = []
        while True:
            i = self.cmd_buf.find(b"\n")
            if i < 0:
                break
            line = bytes(self.cmd_buf[:i])
            del self.cmd_buf[: i + 1]
            if self.cmd_skipping:
                self.cmd_skipping = False
                continue
            lines.append(line)
        for line in stops_first(lines):
            self.handle(line)
            if self.shutting_down:
                return
        if len(self.cmd_buf) > MAX_COMMAND_LINE:
            self.logf("err", "command line longer than %d bytes dropped", MAX_COMMAND_LINE)
            self.cmd_buf.clear()
            self.cmd_skipping = True

    def handle(self, line):
        if not line.strip():
            return
        text = line.decode("utf-8", "replace")
        try:
            c = parse_command(text)
        except UnknownCommand as e:
            self.logf("err", "couldn't understand command %s: %s", text, e)
            return
        except BadCommand as e:
            self.logf("err", "parse error in command %s: %s", text, e)
            return
        if c["command"] == "start":
            self.start(c)
        else:
            self.stop(c["name"])

    # -- services

    def start(self, c):
        name = c["name"]
        if name in self.by_name:
            former = self.by_name[name]
            if self.children[former].stop_asked:
                # a stop line came for it: cfkd took the service as stopped
                # (it may have killed that process itself, a `started` after
                # the stop: REFERENCE §4.5) and starts it again before this
                # proxy reaped the former one (REFERENCE §4.6)
                self.logf("out", "'%s': starting again while its former process (pid %d) ends", name, former)
            else:
                self.logf("err", "'%s' is already running (pid %d): starting another one", name, former)
        self.logf("out", "starting %s", name)
        self.exited_alone.pop(name, None)  # a stop line from now on is this start's
        stdin = None
        if c["tie_stdin_to"]:
            stdin = self.sockets.get(c["tie_stdin_to"])
            if stdin is None:
                self.logf("err", "'%s' not found in proxy", c["tie_stdin_to"])
        pipes = {}
        pid = -1
        sync_r = None
        try:
            for fd, key, kind in ((1, "ignore_stdout", "out"), (2, "ignore_stderr", "err")):
                if not c[key]:
                    r, w = os.pipe()
                    pipes[fd] = (r, w, kind)
            if self.spawn(c, stdin, pipes):
                return
            sys.stdout.flush()
            sys.stderr.flush()
            # The child closes sync_w once it leads its own group: its
            # `started` is written only then, so that a stop right after
            # it finds the group. The loop waits for that (on_sync), not
            # this start: the next one forks meanwhile.
            sync_r, sync_w = os.pipe()
            # Until the child has its default handlers back, a SIGTERM sent
            # to it would go to our no-op handler and be lost: block them
            # across the fork (only: a failure before it must not leave
            # them blocked); the child unblocks once they are reset.
            signal.pthread_sigmask(signal.SIG_BLOCK, HANDLED)
            try:
                pid = os.fork()
            finally:
                if pid != 0:
                    signal.pthread_sigmask(signal.SIG_UNBLOCK, HANDLED)
                    os.close(sync_w)
        except OSError as e:
            for r, w, _ in pipes.values():
                os.close(r)
                os.close(w)
            if sync_r is not None:
                os.close(sync_r)
            self.logf("err", "cannot start %s: %s", name, e)
            self.send_status("stopped", name, 0, 127 << 8)
            return
        if pid == 0:
            run_child(c, stdin, {fd: w for fd, (r, w, _) in pipes.items()}, sync_w, self.pid)  # never returns
        outs = []
        for r, w, kind in pipes.values():
            os.close(w)
            os.set_blocking(r, False)
            outs.append((r, kind))
        self.children[pid] = Child(name, not c["no_new_session"], sync_r, outs)
        self.by_name[name] = pid
        self.unreported.setdefault(name, collections.deque()).append(pid)
        self.sel.register(sync_r, selectors.EVENT_READ, ("sync", pid))

    def spawn(self, c, stdin, pipes):
        """Run an exec'd service with posix_spawn: no copy of the proxy's
        memory (a fork of the loaded interpreter costs several times
        more), and the call returns once the child has exec'd, its session
        set. False when it cannot (an in-process service, no such program,
        a failed exec...): the fork then runs it, or says why on the
        service's stderr as ever."""
        if not SPAWN or in_process_target(c["cmd"]) is not None:
            return False
        argv = exec_argv(c["cmd"])
        env = service_env(c)
        path = find_program(argv[0], env)
        if path is None:
            return False
        null = self.devnull()
        actions = [
            (os.POSIX_SPAWN_DUP2, stdin if stdin is not None else null, 0),
            (os.POSIX_SPAWN_DUP2, pipes[1][1] if 1 in pipes else null, 1),
            (os.POSIX_SPAWN_DUP2, pipes[2][1] if 2 in pipes else null, 2),
        ]
        try:
            pid = os.posix_spawn(path, argv, env, file_actions=actions, setsid=not c["no_new_session"],
                                 setsigmask=(), setsigdef=SPAWN_DEFAULT)
        except (OSError, NotImplementedError, ValueError, TypeError):
            return False
        outs = []
        for r, w, kind in pipes.values():
            os.close(w)
            os.set_blocking(r, False)
            outs.append((r, kind))
        self.children[pid] = Child(c["name"], not c["no_new_session"], None, outs)
        self.by_name[c["name"]] = pid
        self.unreported.setdefault(c["name"], collections.deque()).append(pid)
        self.report(c["name"])  # after the forks of that service before it
        return True

    def devnull(self):
        if self.null is None:
            self.null = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)
        return self.null

    def on_sync(self, pid):
        """The child's sync pipe is at EOF: it leads its group (or died)."""
        if pid not in self.children:
            # a stop handled before this event, in the same pass of the
            # loop, settled it and wrote its exit (it had been reaped)
            return
        self.settled(pid)
        self.report(self.children[pid].name)

    def settled(self, pid):
        child = self.children[pid]
        if child.sync_r is not None:
            self.sel.unregister(child.sync_r)
            os.close(child.sync_r)
            child.sync_r = None

    def settle(self, pid, deadline):
        """Wait until deadline (time.monotonic) for the child to be set up
        (a few system calls): a stop must find its group. False when it
        is not by then (stuck in a preloaded library's at-fork handler)."""
        child = self.children[pid]
        while child.sync_r is not None:
            poll = select.poll()
            poll.register(child.sync_r, select.POLLIN)
            try:
                ready = poll.poll(max(0.0, deadline - time.monotonic()) * 1000)
            except InterruptedError:
                continue
            if ready:  # EOF: the child never writes
                self.settled(pid)
            elif time.monotonic() >= deadline:
                return False
        return True

    def report(self, name):
        """Write `started` for the children of name that are set up, in
        the order they were forked (cfkd gives a pid to the oldest start
        of a service awaiting one), then the exit of any reaped meanwhile.
        Other services do not wait for them."""
        queue = self.unreported.get(name)
        while queue and self.children[queue[0]].sync_r is None:
            pid = queue.popleft()
            child = self.children[pid]
            child.reported = True
            for r, kind in child.outs:
                reader = Reader(r, kind, child.name, self)
                self.readers[r] = reader
                self.sel.register(r, selectors.EVENT_READ, ("child", reader))
            self.send_status("started", child.name, pid)
            if pid in self.early_exits:
                self.exited(pid, self.early_exits.pop(pid))
        if not queue:
            self.unreported.pop(name, None)

    def stop(self, name):
        pid = self.by_name.get(name)
        if pid is None and name in self.exited_alone:
            # its latest child exited on its own, and its service was
            # stopped since (REFERENCE §4.6): this proxy is no subreaper,
            # what that child left is cfkd's to end (REFERENCE §7.5)
            self.logf("out", "stopping %s: it had exited (pid %d)", name, self.exited_alone.pop(name))
            return
        if pid is None:
            self.logf("err", "Oops, I don't know about '%s'", name)
            return
        self.logf("out", "stopping %s", name)
        self.children[pid].stop_asked = True
        if not self.settle(pid, time.monotonic() + SETUP_WAIT):
            self.kill_unset(pid)
            return
        self.report(name)
        if pid not in self.children:
            # reaped before its `started` was written (it exited at once,
            # while this loop forked others): report wrote its `started`
            # and its exit just now; nothing is left to signal
            return
        self.signal(pid, signal.SIGTERM)
        # a stopped process (SIGSTOP, a job-control stop) holds the SIGTERM
        # pending: continued, it handles it (as cfk-proxy and cfkd do)
        self.signal(pid, signal.SIGCONT)

    def kill_unset(self, pid):
        """SIGKILL a child not set up after SETUP_WAIT: it ran none of its
        service's code, and its signals may still be blocked. Its `started`
        and its exit are written once it is reaped."""
        child = self.children[pid]
        self.logf("err", "'%s' (pid %d) not set up after %gs: SIGKILL", child.name, pid, SETUP_WAIT)
        for target in (pid, -pid) if child.group else (pid,):
            try:
                os.kill(target, signal.SIGKILL)  # -pid: a group only it can lead, not reaped yet
            except OSError:
                pass

    def signal(self, pid, sig):
        child = self.children[pid]
        group = child.group and child.sync_r is None  # its group is set up
        target = -pid if group and pid != os.getpgrp() else pid
        try:
            os.kill(target, sig)
        except ProcessLookupError:
            pass  # the leader is a zombie about to be reaped, its group gone
        except OSError as e:
            self.logf("err", "kill %d: %s", target, e)

    def signal_all(self, sig):
        deadline = time.monotonic() + (0 if sig == signal.SIGKILL else SETUP_WAIT)
        unset = [pid for pid in sorted(self.children) if not self.settle(pid, deadline)]
        for name in list(self.unreported):
            self.report(name)
        for pid in sorted(self.children):
            if pid in unset:
                self.kill_unset(pid)
            else:
                self.signal(pid, sig)

    def shutdown(self, why):
        if self.shutting_down:
            return
        self.shutting_down = True
        try:
            self.sel.unregister(self.cmd_fd)
        except (KeyError, ValueError):
            pass
        self.logf("out", "shutting down: %s", why)
        self.signal_all(signal.SIGTERM)
        self.signal_all(signal.SIGCONT)
        self.kill_at = time.monotonic() + self.grace

    def reap(self):
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            except InterruptedError:
                continue
            if pid == 0:
                return
            child = self.children.get(pid)
            if child is not None and child.reported:
                self.exited(pid, status)
            else:  # told once its `started` is written (report)
                self.early_exits[pid] = status

    def exited(self, pid, status):
        child = self.children.pop(pid)
        name = child.name
        if self.by_name.get(name) == pid:
            del self.by_name[name]
            if not child.stop_asked:
                self.exited_alone[name] = pid
        self.send_status("stopped", name, pid, status)

    def read_child(self, fd, reader):
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if data:
            reader.on_data(data)
            return
        reader.eof()
        self.sel.unregister(fd)
        os.close(fd)
        del self.readers[fd]

    def finish(self):
        # the last output of the children: what is in their pipes now
        for fd, reader in list(self.readers.items()):
            while True:
                try:
                    data = os.read(fd, 65536)
                except (BlockingIOError, OSError):
                    break
                if not data:
                    break
                reader.on_data(data)
            reader.eof()
            self.sel.unregister(fd)
            os.close(fd)
        self.readers.clear()
        deadline = time.monotonic() + 1.0
        self.status.drain(deadline)
        self.log.drain(deadline)


class Child:
    """A service's process: sync_r is its set-up pipe until it is set
    up (then None), outs its output pipes, read once `started` is
    written (reported); stop_asked once a stop line came for it."""

    __slots__ = ("name", "group", "sync_r", "outs", "reported", "stop_asked")

    def __init__(self, name, group, sync_r, outs):
        self.name, self.group, self.sync_r, self.outs = name, group, sync_r, outs
        self.reported = False
        self.stop_asked = False


def _noop(signum, frame):
    pass


def run_child(c, stdin, out_fds, sync_w, proxy_pid):
    """In the forked child: set up as cfk-proxy does, run the service, _exit."""
    code = 127
    try:
        signal.set_wakeup_fd(-1)
        for sig in HANDLED:
            signal.signal(sig, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, HANDLED)
        if not c["no_new_session"]:
            os.setsid()
        if in_process_target(c["cmd"]) is not None:
            die_with_proxy(proxy_pid)
        os.close(sync_w)
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(stdin if stdin is not None else null, 0)
        os.dup2(out_fds.get(1, null), 1)
        os.dup2(out_fds.get(2, null), 2)
        os.closerange(3, _max_fd())
        env = service_env(c)
        target = in_process_target(c["cmd"])
        if target is None:
            argv = exec_argv(c["cmd"])
            for sig in (signal.SIGPIPE, signal.SIGXFSZ):  # Python ignores them
                signal.signal(sig, signal.SIG_DFL)
            try:
                os.execvpe(argv[0], argv, env)
            except OSError as e:
                os.write(2, ("cannot exec %s: %s\n" % (argv[0], e)).encode())
                os._exit(127)
        os.environ.clear()
        os.environ.update(env)
        sys.stdout.reconfigure(line_buffering=True)
        sys.stderr.reconfigure(line_buffering=True)
        kind, what, argv = target
        sys.argv = list(argv)
        try:
            if kind == "callable":
                code = exit_code(call_spec(what))
            else:
                runpy.run_path(what, run_name="__main__")
                code = 0
        except SystemExit as e:
            code = exit_code(e.code)
        except BaseException:
            traceback.print_exc()
            code = 1
        try:
            atexit._run_exitfuncs()
        except BaseException:
            pass
    except BaseException:
        try:
            traceback.print_exc()
        except BaseException:
            pass
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except BaseException:
            pass
        os._exit(code)


def load_prctl():
    """libc's prctl(2) on Linux (None elsewhere, or without it)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes
        return ctypes.CDLL(None, use_errno=True).prctl
    except (ImportError, OSError, AttributeError):
        return None


PRCTL = None  # main sets it: load_prctl()
PR_SET_PDEATHSIG = 1


def die_with_proxy(proxy_pid):
    """In a child that runs its service in this interpreter: have the
    kernel SIGKILL it when the proxy dies (Linux). Its /proc environ is
    the proxy's, so cfkd's scan for what a dead proxy left cannot tell
    it apart (REFERENCE §4.5): one the proxy had not reported would run
    on, unsupervised. A proxy that died before this call is not waited
    for: the child ends itself."""
    if PRCTL is None or PRCTL(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) != 0:
        return
    if os.getppid() != proxy_pid:
        os.kill(os.getpid(), signal.SIGKILL)


def service_env(c):
    """The environment of service c (REFERENCE §4.6, step 2)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("_CFK_")}
    env.update(c["env"])
    env["CONTROL_FREAK_ENABLED"] = "1"
    env["CONTROL_FREAK_SERVICE"] = c["name"]
    return env


def find_program(name, env):
    """The file os.execvpe(name, ..., env) would run: name itself when it
    holds a slash, else the first executable file of that name on env's
    PATH; None when there is none."""
    if "/" in name:
        return name
    for d in os.get_exec_path(env):
        path = os.path.join(d, name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def cloexec_all():
    """Mark every fd above 2 close-on-exec: what posix_spawn runs gets
    fds 0, 1 and 2 only, as after run_child's closerange (Python's own fds
    are so already; a preloaded C library's may not be)."""
    try:
        fds = [int(f) for f in os.listdir("/proc/self/fd")]
    except OSError:
        try:
            fds = [int(f) for f in os.listdir("/dev/fd")]
        except OSError:
            return False
    for fd in fds:
        if fd > 2:
            try:
                os.set_inheritable(fd, False)
            except OSError:
                pass  # the listing's own fd, closed since
    return True


def call_spec(spec):
    mod_name, _, attr = spec.partition(":")
    obj = importlib.import_module(mod_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj()


def _max_fd():
    try:
        return os.sysconf("SC_OPEN_MAX")
    except (ValueError, OSError):
        return 1024


def fd_from_env(key):
    v = os.environ.get(key)
    if v is None:
        raise SystemExit("cfk_preload_proxy: %s not set (cfkd runs this program as a proxy)" % key)
    try:
        fd = int(v)
        os.fstat(fd)
    except (ValueError, OSError) as e:
        raise SystemExit("cfk_preload_proxy: %s=%r: %s" % (key, v, e))
    return fd


def main(argv=None):
    ap = argparse.ArgumentParser(description="cfk proxy that preloads a Python module and forks services from it")
    ap.add_argument("-p", "--preload", action="append", default=[], help="module to import once (repeatable)")
    ap.add_argument("--path", action="append", default=[], help="directory put first on sys.path (repeatable)")
    ap.add_argument("--grace", type=float, default=2.0, help="seconds between SIGTERM and SIGKILL at shutdown")
    args = ap.parse_args(argv)
    for d in reversed(args.path):
        sys.path.insert(0, os.path.abspath(d))

    cmd_fd = fd_from_env("_CFK_COMMAND_FD")
    status_fd = fd_from_env("_CFK_STATUS_FD")
    log_fd = fd_from_env("_CFK_LOG_FD")
    sockets = {}
    bad_sockets = []
    for k, v in os.environ.items():
        if k.startswith("_CFK_SOCK_") and len(k) > len("_CFK_SOCK_"):
            try:
                fd = int(v)
                os.fstat(fd)
                sockets[k[len("_CFK_SOCK_"):]] = fd
            except (ValueError, OSError) as e:
                bad_sockets.append("%s=%s: %s" % (k, v, e))
    for fd in [cmd_fd, status_fd, log_fd] + list(sockets.values()):
        os.set_inheritable(fd, False)  # children get only what run_child gives

    proxy = Proxy(cmd_fd, status_fd, log_fd, sockets, args.grace)
    for b in bad_sockets:
        proxy.logf("err", "socket skipped: %s", b)
    for m in args.preload:
        try:
            importlib.import_module(m)
        except BaseException as e:
            proxy.logf("err", "cannot preload %s: %s", m, "".join(traceback.format_exception_only(type(e), e)).strip())
            proxy.log.drain(time.monotonic() + 1.0)
            return 1
        proxy.logf("out", "preloaded %s", m)
    global PRCTL
    PRCTL = load_prctl()
    # Objects loaded so far are never collected: keep the collector from
    # writing to their pages (which would unshare them in every child).
    gc.collect()
    gc.freeze()
    global SPAWN
    if SPAWN and not cloexec_all():
        SPAWN = False  # no fd list: a spawned service could inherit one
    proxy.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
