#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""TCP port probe of tests/netns/natserver.sh.

  natserver_probe.py serve PORT|LO-HI ...   listen on [::] (IPv4 too) on
                                            every port; each connection
                                            gets "port N" and is closed
  natserver_probe.py probe HOST PORT        print the server's line, or
                                            "FAIL <reason>"
"""
import selectors
import socket
import sys


def ports(args):
    for a in args:
        lo, _, hi = a.partition("-")
        for p in range(int(lo), int(hi or lo) + 1):
            yield p


def serve(args):
    sel = selectors.DefaultSelector()
    for p in ports(args):
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("::", p))
        s.listen(16)
        sel.register(s, selectors.EVENT_READ, p)
    print("ready", flush=True)
    while True:
        for key, _ in sel.select():
            try:
                c, _ = key.fileobj.accept()
                c.sendall(b"port %d\n" % key.data)
                c.close()
            except OSError:
                pass


def probe(host, port):
    try:
        with socket.create_connection((host, int(port)), timeout=3) as s:
            s.settimeout(3)
            line = s.recv(64).decode(errors="replace").strip()
            print(line or "FAIL empty")
    except OSError as e:
        print("FAIL %s" % e)


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "serve":
        serve(sys.argv[2:])
    elif len(sys.argv) == 4 and sys.argv[1] == "probe":
        probe(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
