#!/usr/bin/env python3
"""A prefork HTTP worker for cfk (python3, standard library only).

cfkd binds the listening socket once and hands it to every worker as its
stdin (tie_stdin_to); the kernel spreads the connections among the workers
accepting on it. The socket is declared nonblocking=1, so a worker waits for
it with select() and a worker that loses the race for a connection just goes
back to waiting.

SIGTERM is graceful: the worker stops accepting, finishes the request it is
serving, and exits 0. Connections it did not accept stay in the socket's
backlog, kept open by cfkd, for the other workers or the next one: a restart
drops nothing.

GET /?sleep=0.2 answers after 0.2 s (to see in-flight requests survive a
restart). Every answer names the worker and its pid.

Readiness (cfk's `ready=http:...`): with WORKER_WARMUP=SECONDS the worker
warms up that long before it accepts, and with WORKER_HEALTH_PORT=PORT it
answers GET http://127.0.0.1:PORT/ with 200 once it accepts (503 before):
declare `ready=http:http://127.0.0.1:PORT/` and cfkd counts it running only
then, so that a rolling restart waits for each worker to serve.
"""

import os
import select
import threading
import signal
import socket
import sys
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlparse

NAME = os.environ.get("CONTROL_FREAK_SERVICE", "worker")
stopping = False


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # one request per connection
    timeout = 10  # a client that sends nothing cannot hold the worker

    def do_GET(self):
        query = parse_qs(urlparse(self.path).query)
        delay = float(query.get("sleep", ["0"])[0])
        if delay > 0:
            time.sleep(min(delay, 5))
        body = f"hello from {NAME} (pid {os.getpid()})\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        if os.environ.get("WORKER_VERBOSE"):
            print(f"{NAME}: {self.address_string()} {fmt % args}", flush=True)


class Server:
    """What BaseHTTPRequestHandler expects of its server."""

    server_name, server_port = "cfk-prefork", 0


def on_term(signum, frame):
    global stopping
    stopping = True


accepting = threading.Event()


def serve_health(port):
    """Answers 200 on 127.0.0.1:port once the worker accepts, 503 before."""
    from http.server import HTTPServer

    class Health(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if accepting.is_set() else 503)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, fmt, *args):
            pass

    HTTPServer(("127.0.0.1", port), Health).serve_forever()


def main():
    listener = socket.socket(fileno=0)  # the shared socket cfkd gave us
    health = os.environ.get("WORKER_HEALTH_PORT")
    if health:
        threading.Thread(target=serve_health, args=(int(health),), daemon=True).start()
    time.sleep(float(os.environ.get("WORKER_WARMUP", "0")))  # loading, say
    accepting.set()
    wake_r, wake_w = os.pipe()  # SIGTERM wakes select() up
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGTERM, on_term)
    print(f"{NAME}: pid {os.getpid()} accepting on {listener.getsockname()}", flush=True)
    server = Server()
    while not stopping:
        ready, _, _ = select.select([listener, wake_r], [], [])
        if stopping:
            break
        if listener not in ready:
            continue
        try:
            conn, addr = listener.accept()
        except (BlockingIOError, InterruptedError):
            continue  # another worker took it
        conn.setblocking(True)
        try:
            Handler(conn, addr, server)
        except Exception as e:  # one bad client must not kill the worker
            print(f"{NAME}: {addr}: {e}", file=sys.stderr, flush=True)
        finally:
            conn.close()
    print(f"{NAME}: SIGTERM: stopped accepting, in-flight requests done, exiting", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
