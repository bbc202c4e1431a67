#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""ha_client - an FTP client that stops where the HA tests fail a router over.

  ha_client.py --connect ADDR --port PORT --dir DIR STEP...

lftp cannot be stopped between a PASV and the data connection, nor made to
send a PASV alone; the failover cases of tests/netns/ha.sh need both.  This
client runs one control connection and the steps given, in order:

  login            USER anonymous / PASS, TYPE I
  pasv             send PASV, wait for the 227 (it may come late: after a
                   failover) and remember the address it names
  wait:NAME        create DIR/NAME.reached, wait until DIR/NAME.go exists
  retr:FILE:OUT    connect to the remembered 227 address, RETR FILE into
                   OUT, wait for the 226
  quit             QUIT

It prints every reply line it gets ("<--- ...") and every command it sends
("---> ..."), and exits 0 only if every step worked.  Every wait is bounded
by --timeout.  Only the Python standard library is used.
"""

import argparse
import os
import re
import socket
import sys
import time


class StepError(Exception):
    """A step failed; the message says which and why."""


def say(msg):
    sys.stdout.write(msg + "\n")
    sys.stdout.flush()


class Control:
    def __init__(self, addr, port, timeout):
        self.timeout = timeout
        self.sock = socket.create_connection((addr, port), timeout=timeout)
        self.buf = b""

    def send(self, line):
        say("---> " + line)
        self.sock.sendall(line.encode() + b"\r\n")

    def line(self):
        end = time.monotonic() + self.timeout
        while b"\n" not in self.buf:
            left = end - time.monotonic()
            if left <= 0:
                raise StepError("no reply line within %ss" % self.timeout)
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(4096)
            except socket.timeout as e:
                raise StepError("no reply line within %ss" % self.timeout) from e
            if not data:
                raise StepError("control connection closed by the peer")
            self.buf += data
        raw, self.buf = self.buf.split(b"\n", 1)
        text = raw.rstrip(b"\r").decode("latin-1")
        say("<--- " + text)
        return text

    def reply(self):
        """A whole reply (multi-line ones too); returns (code, last line)."""
        first = self.line()
        if len(first) < 3 or not first[:3].isdigit():
            raise StepError("not a reply: %r" % first)
        code = first[:3]
        last = first
        if first[3:4] == "-":
            while not (last[:3] == code and last[3:4] == " "):
                last = self.line()
        return int(code), last

    def expect(self, want, what):
        code, text = self.reply()
        if code // 100 != want:
            raise StepError("%s: got %r" % (what, text))
        return code, text


def wait_go(directory, name, timeout):
    open(os.path.join(directory, name + ".reached"), "w").close()
    go = os.path.join(directory, name + ".go")
    end = time.monotonic() + timeout
    while not os.path.exists(go):
        if time.monotonic() > end:
            raise StepError("wait:%s: no go within %ss" % (name, timeout))
        time.sleep(0.1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--connect", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("steps", nargs="+")
    args = ap.parse_args()

    pasv = None
    try:
        ctl = Control(args.connect, args.port, args.timeout)
        ctl.expect(2, "greeting")
        for step in args.steps:
            kind, _, rest = step.partition(":")
            if kind == "login":
                ctl.send("USER anonymous")
                code, text = ctl.reply()
                if code == 331:
                    ctl.send("PASS ha@example.org")
                    ctl.expect(2, "PASS")
                elif code // 100 != 2:
                    raise StepError("USER: got %r" % text)
                ctl.send("TYPE I")
                ctl.expect(2, "TYPE I")
            elif kind == "pasv":
                ctl.send("PASV")
                code, text = ctl.reply()
                m = re.search(r"(\d+),(\d+),(\d+),(\d+),(\d+),(\d+)", text)
                if code != 227 or not m:
                    raise StepError("PASV: got %r" % text)
                n = [int(x) for x in m.groups()]
                pasv = ("%d.%d.%d.%d" % tuple(n[:4]), n[4] * 256 + n[5])
                say("# pasv address %s port %d" % pasv)
            elif kind == "wait":
                wait_go(args.dir, rest, args.timeout)
            elif kind == "retr":
                name, _, out = rest.partition(":")
                if pasv is None:
                    raise StepError("retr before pasv")
                data = socket.create_connection(pasv, timeout=args.timeout)
                say("# data connection to %s:%d open" % pasv)
                ctl.send("RETR " + name)
                ctl.expect(1, "RETR")
                got = 0
                with open(out, "wb") as f:
                    while True:
                        chunk = data.recv(65536)
                        if not chunk:
                            break
                        f.write(chunk)
                        got += len(chunk)
                data.close()
                say("# %d bytes received" % got)
                ctl.expect(2, "transfer")
                pasv = None
            elif kind == "quit":
                ctl.send("QUIT")
                ctl.expect(2, "QUIT")
            else:
                raise StepError("unknown step %r" % step)
    except (StepError, OSError) as e:
        say("FAILED: %s" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
