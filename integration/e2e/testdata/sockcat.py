#!/usr/bin/env python3
"""The original's t/sockcat.pl: accept QUOTA connections on stdin (a
listening socket shared by cfkd), one after the other, and print
`NAME LINE` for every line each one sends."""
import socket
import sys

name, quota = sys.argv[1], int(sys.argv[2])
listener = socket.socket(fileno=0)
for _ in range(quota):
    conn, _ = listener.accept()
    with conn, conn.makefile("r") as lines:
        for line in lines:
            print(name, line.rstrip("\r\n"), flush=True)
