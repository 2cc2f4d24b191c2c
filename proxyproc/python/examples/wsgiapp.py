"""A WSGI app served by workers that share one listening socket.

Run under cfk_preload_proxy.py with `--preload wsgiapp` and each worker as
a service with cmd=wsgiapp:serve and tie_stdin_to=SOCKET: the app (and
whatever it imports) is loaded once in the proxy, every worker is a fork of
it, and the kernel spreads connections among the workers, which all
accept() on fd 0. The same module works exec'd (cfk-proxy, or a direct
service): cmd=python3 -c "import wsgiapp; wsgiapp.serve()".
"""

import os
import socket
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

# Load the heavy, read-only things at import: the proxy imports this module
# once, the workers share these pages.
GREETING = b"hello from cfk worker "


def app(environ, start_response):
    body = GREETING + str(os.getpid()).encode() + b"\n"
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


class _Quiet(WSGIRequestHandler):
    def log_message(self, fmt, *args):  # one line per request on stdout
        print("%s %s" % (self.address_string(), fmt % args), flush=True)


class _InheritedServer(WSGIServer):
    """A WSGIServer on an already bound and listening socket."""

    def __init__(self, sock, handler):
        # bind_and_activate=False: the socket is cfkd's, bound and
        # listening already; only adopt it.
        super().__init__(sock.getsockname()[:2], handler, bind_and_activate=False)
        self.socket.close()
        self.socket = sock
        self.server_address = sock.getsockname()[:2]
        self.server_name, self.server_port = self.server_address
        self.setup_environ()


def serve():
    """Serve app on the listening socket that is our fd 0."""
    sock = socket.socket(fileno=0)
    server = _InheritedServer(sock, _Quiet)
    server.set_app(app)
    print("serving on", sock.getsockname()[:2], flush=True)
    server.serve_forever()
