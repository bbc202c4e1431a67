#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""ftppeer - a scripted FTP peer for control-stream tracking tests.

Two roles over real TCP sockets, IPv4 or IPv6:

  ftppeer.py server --listen ADDR --port PORT [scenario options]
  ftppeer.py client --connect ADDR --port PORT [session options]

Writes are controlled: TCP_NODELAY is set, every scripted write is one
send() followed by a short pause (--pause), so separate writes leave as
separate TCP segments and several lines in one write leave as one segment
(pipelining).  A line can be cut at any byte offset into two writes.

The server speaks enough FTP for the scenarios: 220, USER, PASS, TYPE,
PASV (227 with its own address), EPSV (229), PORT/EPRT (connects back),
RETR data-SEED-SIZE.bin (a deterministic pseudo-random payload), NOOP,
AUTH TLS, PBSZ, PROT, CCC, QUIT.  Its scenario options (command line
defaults, changed per session by the client with "SITE PEER opt ...", a
line no FTP helper looks at):

  split-reply=N    the 227/229 reply is cut at byte offset N (two writes)
  pipeline-227     the reply to TYPE is held and written in the same
                   segment as the 227/229 that follows it
  logout-227       the first PASV is answered "227 Logout."
  garbage          before the 227/229: a garbage line (one write), then a
                   2000-byte line cut in two writes of 1000
  unsolicited-227  NOOP is answered with a 227 naming a listening port
                   (no PASV pending)
  send=MODE        how the replies are written from then on: "send" (one
                   send(), the default), "sendfile" (the bytes go into a
                   memfd and leave with sendfile(): the segments carry
                   page-cache pages the kernel marks shared) or
                   "zerocopy" (send() with MSG_ZEROCOPY: the segments carry
                   the peer's own pinned pages until they are acked)
  jumbo=N          the reply to TYPE is a multi-line 200 of about N bytes,
                   held and written in the same segment as the reply that
                   follows it (227/229, or 200 to PORT/EPRT): with a large
                   MTU, one segment of more than N bytes whose line of
                   interest comes after them
  connect-timeout=S  how long an active-mode connect back may take (a
                   lost SYN is retried by TCP after 1 s, 3 s, 7 s ...)

The client runs one or more sessions (login, data setup, RETR, compare,
QUIT) and exits 0 only if every session's data matched.  It prints the
address it received in every 227/229 (under NAT: the rewritten one) and
the address the server saw in every PORT/EPRT.  Every wait is bounded
(--timeout), so a stalled control stream is a prompt failure that says
what it waited for.

Only the Python standard library is used.
"""

import argparse
import concurrent.futures
import ipaddress
import os
import random
import re
import select
import socket
import ssl
import sys
import threading
import time

CRLF = b"\r\n"
SEND_MODES = ("send", "sendfile", "zerocopy")
SO_ZEROCOPY = getattr(socket, "SO_ZEROCOPY", 60)
MSG_ZEROCOPY = getattr(socket, "MSG_ZEROCOPY", 0x4000000)
MAX_LINE = 8192


class PeerError(Exception):
    """A session step failed; the message says which and why."""


class PeerSkip(Exception):
    """The session does not apply (a cut offset past the line's end)."""


def log(role, msg):
    sys.stdout.write("%s: %s\n" % (role, msg))
    sys.stdout.flush()


def payload(seed, size):
    """The deterministic data both sides agree on."""
    return random.Random(seed).randbytes(size)


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def parse_offsets(text):
    """'1-30' or '1,5,9' or '3-5,20' -> [ints]."""
    out = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            a, b = part.split("-", 1)
            out.extend(range(int(a), int(b) + 1))
        else:
            out.append(int(part))
    return out


class Conn:
    """A TCP socket with controlled writes and a bounded line reader."""

    def __init__(self, sock, role, pause, timeout, send="send"):
        self.sock = sock
        self.role = role
        self.pause = pause
        self.timeout = timeout
        self.buf = b""
        self.raw = sock          # the TCP socket under a TLS layer
        self.send_mode = "send"
        self.memfd = None        # sendfile: the file the bytes leave from
        self.mem_off = 0
        self.zc_keep = []        # zerocopy: buffers the kernel may still read
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(timeout)
        self.set_send(send)

    def set_send(self, mode):
        """Switch the way clear-text writes leave (see SEND_MODES)."""
        if mode == "zerocopy":
            try:
                self.raw.setsockopt(socket.SOL_SOCKET, SO_ZEROCOPY, 1)
            except OSError as e:
                raise PeerError("SO_ZEROCOPY refused: %s" % e)
        self.send_mode = mode

    def _sendfile(self, data):
        if self.memfd is None:
            self.memfd = os.fdopen(os.memfd_create("ftppeer"), "r+b")
        # Appended, never rewritten: bytes in flight (or waiting for a
        # retransmission) keep their page-cache page unchanged.
        self.memfd.seek(self.mem_off)
        self.memfd.write(data)
        self.memfd.flush()
        sent = self.raw.sendfile(self.memfd, self.mem_off, len(data))
        self.mem_off += len(data)
        if sent != len(data):
            raise PeerError("sendfile sent %d of %d bytes" % (sent, len(data)))

    def _zerocopy(self, data):
        # The kernel reads the pages of @data until the segments are
        # acked: the buffer is kept for the connection's life.
        self._zc_reap()
        buf = bytes(data)
        self.zc_keep.append(buf)
        self.raw.sendall(buf, MSG_ZEROCOPY)

    def _zc_reap(self):
        """Read the completions off the error queue (they would keep the
        socket readable for poll() with nothing to read)."""
        if not self.zc_keep:
            return
        # Non-blocking mode: with a timeout set, Python would wait for
        # readability (normal data) and retry on EAGAIN until it expires.
        t = self.raw.gettimeout()
        self.raw.settimeout(0)
        try:
            while True:
                self.raw.recvmsg(1, 1024, socket.MSG_ERRQUEUE)
        except OSError:
            pass
        finally:
            self.raw.settimeout(t)

    def write(self, data):
        """One scripted write: one send, then a pause (one segment)."""
        if isinstance(data, str):
            data = data.encode("latin-1")
        if self.sock is not self.raw or self.send_mode == "send":
            self.sock.sendall(data)
        elif self.send_mode == "sendfile":
            self._sendfile(data)
        else:
            self._zerocopy(data)
        if self.pause > 0:
            time.sleep(self.pause)

    def write_split(self, data, offset):
        """Cut data at byte offset into two writes."""
        if isinstance(data, str):
            data = data.encode("latin-1")
        if 0 < offset < len(data):
            self.write(data[:offset])
            self.write(data[offset:])
        else:
            self.write(data)

    def readline(self, what):
        """A line without its CRLF; PeerError on timeout/EOF."""
        deadline = time.monotonic() + self.timeout
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                line, self.buf = self.buf[:i + 1], self.buf[i + 1:]
                return line.rstrip(b"\r\n").decode("latin-1")
            if len(self.buf) > MAX_LINE * 4:
                line, self.buf = self.buf, b""
                return line.decode("latin-1")
            left = deadline - time.monotonic()
            if left <= 0:
                raise PeerError("stall: no complete line within %.1fs "
                                "waiting for %s" % (self.timeout, what))
            self._zc_reap()
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                raise PeerError("stall: no complete line within %.1fs "
                                "waiting for %s" % (self.timeout, what))
            except ssl.SSLError as e:
                raise PeerError("TLS error waiting for %s: %s" % (what, e))
            except OSError as e:
                raise PeerError("connection error waiting for %s: %s"
                                % (what, e))
            finally:
                self.sock.settimeout(self.timeout)
            if not chunk:
                raise PeerError("connection closed by peer while waiting "
                                "for %s" % what)
            self.buf += chunk

    def start_tls(self, ctx, server_side):
        if self.buf:
            raise PeerError("data pending before TLS handshake")
        self.sock.settimeout(self.timeout)
        self.sock = ctx.wrap_socket(self.raw, server_side=server_side,
                                    server_hostname=None)
        self.sock.settimeout(self.timeout)

    def stop_tls(self):
        """CCC: close_notify both ways, keep the TCP connection."""
        self.raw = self.sock.unwrap()
        self.sock = self.raw
        self.sock.settimeout(self.timeout)

    def close(self):
        if self.memfd is not None:
            self.memfd.close()
        try:
            self.sock.close()
        except OSError:
            pass
        if self.raw is not self.sock:
            try:
                self.raw.close()
            except OSError:
                pass


def read_reply(conn, what):
    """(code, text) of one FTP reply, multi-line aware.

    Lines that are not replies (garbage, over-long lines) are skipped and
    noted; they must not stop the client.
    """
    skipped = 0
    while True:
        line = conn.readline("reply to " + what)
        m = re.match(r"^(\d{3})([ -])(.*)$", line)
        if not m:
            skipped += 1
            if skipped > 64:
                raise PeerError("too many non-reply lines waiting for %s"
                                % what)
            continue
        code, sep, text = int(m.group(1)), m.group(2), m.group(3)
        if sep == " ":
            return code, text
        # multi-line: until "code " again
        end = "%03d " % code
        while True:
            line = conn.readline("end of multi-line reply to " + what)
            if line.startswith(end):
                return code, text


def expect_code(conn, what, ok):
    code, text = read_reply(conn, what)
    if code not in ok:
        raise PeerError("%s: unexpected reply %d %s" % (what, code, text))
    return code, text


PASV_RE = re.compile(r"(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),"
                     r"(\d{1,3}),(\d{1,3})")
EPSV_RE = re.compile(r"\((.)\1\1(\d{1,5})\1\)")


def parse_227(text):
    m = PASV_RE.search(text)
    if not m:
        return None
    n = [int(x) for x in m.groups()]
    if any(x > 255 for x in n):
        return None
    return "%d.%d.%d.%d" % tuple(n[:4]), n[4] * 256 + n[5]


def parse_229(text):
    m = EPSV_RE.search(text)
    if not m:
        return None
    return int(m.group(2))


def fmt_port_cmd(addr, port):
    return "PORT %s,%d,%d\r\n" % (addr.replace(".", ","), port >> 8,
                                  port & 255)


def fmt_eprt_cmd(addr, port):
    af = 2 if ":" in addr else 1
    return "EPRT |%d|%s|%d|\r\n" % (af, addr, port)


def parse_port_arg(arg):
    n = arg.strip().split(",")
    if len(n) != 6:
        return None
    try:
        n = [int(x) for x in n]
    except ValueError:
        return None
    if any(x < 0 or x > 255 for x in n):
        return None
    return "%d.%d.%d.%d" % tuple(n[:4]), n[4] * 256 + n[5]


def parse_eprt_arg(arg):
    arg = arg.strip()
    if len(arg) < 4:
        return None
    d = arg[0]
    parts = arg.split(d)
    if len(parts) != 5:
        return None
    try:
        ipaddress.ip_address(parts[2])
        return parts[2], int(parts[3])
    except ValueError:
        return None


def same_addr(x, y):
    try:
        return ipaddress.ip_address(x) == ipaddress.ip_address(y)
    except ValueError:
        return x == y


def sockaddr(addr, port):
    if ":" in addr:
        return (addr, port, 0, 0)
    return (addr, port)


def listen_on(addr, port=0):
    s = socket.socket(family_of(addr), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(sockaddr(addr, port))
    s.listen(8)
    return s


def recv_all(sock, timeout, limit):
    sock.settimeout(timeout)
    data = bytearray()
    while True:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            raise PeerError("stall: data connection idle for %.1fs after "
                            "%d bytes" % (timeout, len(data)))
        if not chunk:
            return bytes(data)
        data += chunk
        if len(data) > limit:
            raise PeerError("more data than expected (%d bytes)" % len(data))


# ---------------------------------------------------------------- server

SCENARIO_KEYS = ("split-reply", "pipeline-227", "logout-227", "garbage",
                 "unsolicited-227", "connect-timeout", "jumbo", "send")


def scenario_from_args(args):
    return {
        "split-reply": args.split_reply,
        "pipeline-227": args.pipeline_227,
        "logout-227": args.logout_227,
        "garbage": args.garbage,
        "unsolicited-227": args.unsolicited_227,
        "connect-timeout": args.connect_timeout,
        "jumbo": 0,
        "send": "send",
    }


def scenario_update(sc, words):
    for w in words:
        k, _, v = w.partition("=")
        k = k.lower()
        if k not in SCENARIO_KEYS:
            return "unknown scenario option %s" % k
        if k in ("split-reply", "jumbo"):
            try:
                sc[k] = int(v)
            except ValueError:
                return "%s needs a number" % k
            if k == "jumbo" and not 0 <= sc[k] <= 60000:
                return "jumbo needs 0..60000 bytes"
        elif k == "send":
            if v.lower() not in SEND_MODES:
                return "send needs one of %s" % ", ".join(SEND_MODES)
            sc[k] = v.lower()
        elif k == "connect-timeout":
            try:
                sc[k] = float(v)
            except ValueError:
                return "connect-timeout needs a number of seconds"
        else:
            sc[k] = v.lower() not in ("0", "off", "no", "false")
    return None


def jumbo_reply(code, size, last):
    """A multi-line reply of about `size` bytes (lines of 72 and CRLF)."""
    out, k = [], 0
    while sum(len(x) for x in out) < size:
        k += 1
        out.append(("%03d-padding line %05d " % (code, k)).ljust(72, "."))
        out[-1] += "\r\n"
    out.append("%03d %s\r\n" % (code, last))
    return "".join(out).encode("latin-1")


class ServerSession:
    def __init__(self, args, sock, peer, tls_ctx):
        self.args = args
        self.peer = peer
        self.name = "server[%s]:" % peer[0]
        self.c = Conn(sock, "server", args.pause, args.timeout)
        self.sc = scenario_from_args(args)
        self.tls_ctx = tls_ctx
        self.held = b""          # a reply held for pipelining
        self.pasv_sock = None
        self.port_addr = None
        self.logout_done = False
        self.local = sock.getsockname()[0]
        if self.local.startswith("::ffff:"):
            self.local = self.local[7:]

    def say(self, msg):
        log(self.name.rstrip(":"), msg)

    def reply(self, text):
        data = (text + "\r\n").encode("latin-1")
        if self.held:
            data, self.held = self.held + data, b""
        self.c.write(data)

    def open_pasv(self):
        if self.pasv_sock:
            self.pasv_sock.close()
        self.pasv_sock = listen_on(self.local)
        self.port_addr = None
        return self.pasv_sock.getsockname()[1]

    def data_reply(self, line):
        """Write a 227/229 line with the scenario's cuts and companions."""
        data = (line + "\r\n").encode("latin-1")
        if self.sc["garbage"]:
            self.c.write(b"\x16\x03\x01garbage \x00\xff\x7f no code here\r\n")
            # over-long, and cut: a helper has to carry or give up
            # 1000 bytes of an unfinished line
            self.c.write(b"X" * 1000)
            self.c.write(b"Y" * 1000 + b"\r\n")
        if self.held:
            data, self.held = self.held + data, b""
            off = self.sc["split-reply"]
            if off:
                off += len(data) - len(line) - 2
            self.c.write_split(data, off)
        else:
            self.c.write_split(data, self.sc["split-reply"])

    def run(self):
        try:
            self.reply("220 ftppeer ready")
            while True:
                line = self.c.readline("a command")
                if not self.command(line):
                    break
        except PeerError as e:
            self.say("session ended: %s" % e)
        except OSError as e:
            self.say("session ended: %s" % e)
        finally:
            if self.pasv_sock:
                self.pasv_sock.close()
            self.c.close()

    def command(self, line):
        verb, _, arg = line.partition(" ")
        verb = verb.upper()
        if verb == "USER":
            self.reply("331 Password required")
        elif verb == "PASS":
            self.reply("230 Logged in")
        elif verb == "SYST":
            self.reply("215 UNIX Type: L8")
        elif verb == "SITE":
            words = arg.split()
            if words and words[0].upper() == "PEER":
                err = scenario_update(self.sc, words[1:])
                if err:
                    self.reply("501 " + err)
                else:
                    self.c.set_send(self.sc["send"])
                    self.reply("200 scenario " + " ".join(words[1:]))
            else:
                self.reply("502 SITE not implemented")
        elif verb == "TYPE":
            if self.sc["jumbo"]:
                self.held = jumbo_reply(200, self.sc["jumbo"],
                                        "Type set to I.")
            elif self.sc["pipeline-227"]:
                self.held = b"200 Type set to I.\r\n"
            else:
                self.reply("200 Type set to I.")
        elif verb == "NOOP":
            if self.sc["unsolicited-227"]:
                s = listen_on(self.local)
                p = s.getsockname()[1]
                threading.Thread(target=self.unsolicited_accept, args=(s,),
                                 daemon=True).start()
                if ":" in self.local:
                    self.reply("229 Entering Extended Passive Mode "
                               "(|||%d|)" % p)
                else:
                    self.reply("227 Entering Passive Mode (%s,%d,%d)."
                               % (self.local.replace(".", ","), p >> 8,
                                  p & 255))
                self.say("NOOP answered with an unsolicited 227 naming "
                         "port %d" % p)
            else:
                self.reply("200 NOOP ok")
        elif verb == "PASV":
            if ":" in self.local:
                self.reply("500 PASV is for IPv4; use EPSV")
            elif self.sc["logout-227"] and not self.logout_done:
                self.logout_done = True
                self.c.write_split(self.held + b"227 Logout.\r\n", 0)
                self.held = b""
            else:
                p = self.open_pasv()
                self.data_reply("227 Entering Passive Mode (%s,%d,%d)."
                                % (self.local.replace(".", ","), p >> 8,
                                   p & 255))
        elif verb == "EPSV":
            p = self.open_pasv()
            self.data_reply("229 Entering Extended Passive Mode (|||%d|)"
                            % p)
        elif verb in ("PORT", "EPRT"):
            ap = parse_port_arg(arg) if verb == "PORT" else \
                parse_eprt_arg(arg)
            if not ap:
                self.reply("501 Bad %s argument" % verb)
            else:
                self.port_addr = ap
                if self.pasv_sock:
                    self.pasv_sock.close()
                    self.pasv_sock = None
                self.say("%s names %s port %d (control peer %s)"
                         % (verb, ap[0], ap[1], self.peer[0]))
                self.reply("200 %s ok: saw [%s]:%d" % (verb, ap[0], ap[1]))
        elif verb == "RETR":
            self.retr(arg.strip())
        elif verb == "AUTH":
            if self.tls_ctx is None:
                self.reply("502 no TLS configured")
            else:
                self.reply("234 AUTH %s ok" % arg.strip())
                self.c.start_tls(self.tls_ctx, True)
                self.say("TLS established")
        elif verb == "PBSZ":
            self.reply("200 PBSZ=0")
        elif verb == "PROT":
            self.reply("200 Protection set to %s" % arg.strip())
        elif verb == "CCC":
            self.reply("200 Clearing control channel")
            self.c.stop_tls()
            self.say("control channel back to clear text")
        elif verb == "QUIT":
            self.reply("221 Goodbye")
            return False
        else:
            self.reply("502 %s not implemented" % verb)
        return True

    def unsolicited_accept(self, s):
        s.settimeout(self.args.timeout)
        try:
            d, a = s.accept()
            self.say("unsolicited 227: a data connection came from %s"
                     % a[0])
            d.close()
        except OSError:
            pass
        finally:
            s.close()

    def retr(self, name):
        m = re.match(r"^data-(\d+)-(\d+)\.bin$", name)
        if not m:
            self.reply("550 No such file")
            return
        data = payload(int(m.group(1)), int(m.group(2)))
        dsock = None
        try:
            if self.pasv_sock:
                self.pasv_sock.settimeout(self.args.timeout)
                try:
                    dsock, _ = self.pasv_sock.accept()
                except OSError as e:
                    raise PeerError("no passive data connection: %s" % e)
                finally:
                    self.pasv_sock.close()
                    self.pasv_sock = None
            elif self.port_addr:
                addr, port = self.port_addr
                self.port_addr = None
                dsock = socket.socket(family_of(addr), socket.SOCK_STREAM)
                dsock.settimeout(self.sc["connect-timeout"])
                try:
                    dsock.connect(sockaddr(addr, port))
                except OSError as e:
                    dsock.close()
                    dsock = None
                    raise PeerError("active connect to [%s]:%d failed: %s"
                                    % (addr, port, e))
            else:
                self.reply("503 PORT or PASV first")
                return
        except PeerError as e:
            self.say(str(e))
            self.reply("425 Can't open data connection")
            return
        self.reply("150 Opening BINARY data connection for %s (%d bytes)"
                   % (name, len(data)))
        try:
            dsock.settimeout(self.args.timeout)
            dsock.sendall(data)
            dsock.shutdown(socket.SHUT_WR)
            dsock.close()
        except OSError as e:
            self.say("data send failed: %s" % e)
            self.reply("426 Transfer aborted")
            return
        self.reply("226 Transfer complete")


def tls_server_ctx(args):
    if not args.cert:
        return None
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key or None)
    if args.tls12:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def run_server(args):
    fam = family_of(args.listen)
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(sockaddr(args.listen, args.port))
    ls.listen(64)
    ctx = tls_server_ctx(args)
    log("server", "listening on [%s]:%d" % (args.listen, args.port))
    served = 0
    deadline = time.monotonic() + args.lifetime if args.lifetime else None
    while args.sessions == 0 or served < args.sessions:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                log("server", "lifetime over, exiting")
                break
            ls.settimeout(min(left, 1.0))
        else:
            ls.settimeout(None)
        try:
            s, peer = ls.accept()
        except socket.timeout:
            continue
        served += 1
        t = threading.Thread(target=ServerSession(args, s, peer, ctx).run,
                             daemon=True)
        t.start()
    ls.close()
    return 0


# ---------------------------------------------------------------- client

class Session:
    """One scripted client session; run() returns (ok, message)."""

    def __init__(self, args, idx, mode, split_cmd=0, split_reply=0):
        self.args = args
        self.idx = idx
        self.mode = mode
        self.split_cmd = split_cmd
        self.split_reply = split_reply
        self.notes = []
        self.c = None
        self.seed = args.seed + idx
        desc = [mode]
        if split_cmd:
            desc.append("split-cmd=%d" % split_cmd)
        if split_reply:
            desc.append("split-reply=%d" % split_reply)
        for flag in ("pipeline_cmd", "pipeline_reply", "logout_227",
                     "garbage", "unsolicited", "tls", "ccc"):
            if getattr(args, flag):
                desc.append(flag.replace("_", "-"))
        if args.bounce:
            desc.append("bounce=" + args.bounce)
        if args.jumbo:
            desc.append("jumbo=%d" % args.jumbo)
        if args.send != "send":
            desc.append("send=" + args.send)
        self.desc = " ".join(desc)

    def cmd(self, line, what=None):
        self.c.write(line + "\r\n")
        return what or line.split(" ")[0]

    def run(self):
        t0 = time.monotonic()
        try:
            msg = self.script()
            return True, "%s (%.2fs)" % (msg, time.monotonic() - t0)
        except PeerSkip as e:
            return None, str(e)
        except PeerError as e:
            return False, "%s (%.2fs)" % (e, time.monotonic() - t0)
        except OSError as e:
            return False, "socket error: %s (%.2fs)" % (
                e, time.monotonic() - t0)
        finally:
            if self.c:
                self.c.close()

    def connect(self):
        a = self.args
        s = socket.socket(family_of(a.connect), socket.SOCK_STREAM)
        s.settimeout(a.connect_timeout)
        try:
            s.connect(sockaddr(a.connect, a.port))
        except OSError as e:
            s.close()
            raise PeerError("control connect to [%s]:%d failed: %s"
                            % (a.connect, a.port, e))
        self.c = Conn(s, "client", a.pause, a.timeout, a.send)
        self.local = s.getsockname()[0]

    def script(self):
        a = self.args
        self.connect()
        expect_code(self.c, "greeting", (220,))
        if a.tls or a.ccc:
            self.cmd("AUTH TLS")
            expect_code(self.c, "AUTH TLS", (234,))
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            if a.tls12:
                ctx.maximum_version = ssl.TLSVersion.TLSv1_2
            try:
                self.c.start_tls(ctx, False)
            except (ssl.SSLError, OSError) as e:
                raise PeerError("TLS handshake failed: %s" % e)
            self.notes.append("TLS up")
        self.cmd("USER anonymous")
        expect_code(self.c, "USER", (331, 230))
        self.cmd("PASS ftppeer@")
        expect_code(self.c, "PASS", (230,))
        if a.tls or a.ccc:
            self.cmd("PBSZ 0")
            expect_code(self.c, "PBSZ", (200,))
            self.cmd("PROT C")
            expect_code(self.c, "PROT", (200,))
            self.cmd("NOOP")
            expect_code(self.c, "NOOP over TLS", (200,))
        if a.ccc:
            self.cmd("CCC")
            expect_code(self.c, "CCC", (200,))
            try:
                self.c.stop_tls()
            except (ssl.SSLError, OSError) as e:
                raise PeerError("CCC: TLS shutdown failed: %s" % e)
            self.notes.append("CCC: clear text again")
        elif a.tls:
            # Encrypted control channel: prove it keeps flowing, then quit.
            for _ in range(3):
                self.cmd("NOOP")
                expect_code(self.c, "NOOP over TLS", (200,))
            self.cmd("QUIT")
            expect_code(self.c, "QUIT", (221,))
            return "TLS control channel ok"
        sc = []
        if self.split_reply:
            sc.append("split-reply=%d" % self.split_reply)
        if a.server_connect_timeout:
            sc.append("connect-timeout=%g" % a.server_connect_timeout)
        if a.jumbo:
            sc.append("jumbo=%d" % a.jumbo)
        if a.send != "send":
            sc.append("send=" + a.send)
        for flag, key in (("pipeline_reply", "pipeline-227"),
                          ("logout_227", "logout-227"),
                          ("garbage", "garbage"),
                          ("unsolicited", "unsolicited-227")):
            if getattr(a, flag):
                sc.append(key)
        if sc:
            self.cmd("SITE PEER " + " ".join(sc))
            expect_code(self.c, "SITE PEER", (200,))
        if a.unsolicited:
            self.unsolicited()
        if self.mode in ("pasv", "epsv"):
            return self.passive()
        return self.active()

    def unsolicited(self):
        self.cmd("NOOP")
        code, text = read_reply(self.c, "NOOP")
        if code == 227:
            ap = parse_227(text)
        elif code == 229:
            p = parse_229(text)
            ap = (self.args.connect, p) if p else None
        else:
            raise PeerError("NOOP: expected the unsolicited 227, got %d"
                            % code)
        if not ap:
            raise PeerError("unsolicited 227 unparsable: %s" % text)
        log("client", "unsolicited %d received names %s port %d"
            % (code, ap[0], ap[1]))
        s = socket.socket(family_of(ap[0]), socket.SOCK_STREAM)
        s.settimeout(self.args.probe_timeout)
        try:
            s.connect(sockaddr(ap[0], ap[1]))
            connected = True
        except OSError:
            connected = False
        finally:
            s.close()
        if connected:
            raise PeerError("unsolicited 227 was acted on: a data "
                            "connection to %s port %d got through" % ap)
        self.notes.append("unsolicited 227 not acted on")

    def type_and(self, second, what):
        """TYPE I then `second`: pipelined, held, or one at a time."""
        a = self.args
        if a.jumbo:
            # one write: a NOOP with a long argument, TYPE, `second`
            self.c.write("NOOP " + "x" * a.jumbo + "\r\nTYPE I\r\n" +
                         second)
            expect_code(self.c, "NOOP (jumbo)", (200,))
            expect_code(self.c, "TYPE (jumbo)", (200,))
        elif a.pipeline_cmd:
            self.c.write("TYPE I\r\n" + second)
            expect_code(self.c, "TYPE (pipelined)", (200,))
        elif a.pipeline_reply:
            self.c.write("TYPE I\r\n")
            self.c.write(second)
            expect_code(self.c, "TYPE (reply held by server)", (200,))
        else:
            self.c.write("TYPE I\r\n")
            expect_code(self.c, "TYPE", (200,))
            if self.split_cmd:
                self.c.write_split(second, self.split_cmd)
            else:
                self.c.write(second)
        return read_reply(self.c, what)

    def passive(self):
        a = self.args
        verb = "PASV" if self.mode == "pasv" else "EPSV"
        code, text = self.type_and(verb + "\r\n", verb)
        tries = 0
        while True:
            if verb == "PASV" and code == 227:
                ap = parse_227(text)
            elif verb == "EPSV" and code == 229:
                p = parse_229(text)
                ap = (a.connect, p) if p else None
            else:
                raise PeerError("%s: unexpected reply %d %s"
                                % (verb, code, text))
            if ap:
                break
            tries += 1
            self.notes.append("unparsable %d (%s), PASV again"
                              % (code, text.strip()))
            if tries > 2:
                raise PeerError("%s: no usable reply" % verb)
            self.cmd(verb)
            code, text = read_reply(self.c, verb)
        addr, port = ap
        self.notes.append("%d names %s port %d" % (code, addr, port))
        if a.expect_pasv and verb == "PASV" and addr != a.expect_pasv:
            raise PeerError("227 names %s, expected %s (not rewritten?)"
                            % (addr, a.expect_pasv))
        d = socket.socket(family_of(addr), socket.SOCK_STREAM)
        d.settimeout(a.connect_timeout)
        try:
            d.connect(sockaddr(addr, port))
        except OSError as e:
            d.close()
            raise PeerError("passive data connect to [%s]:%d failed: %s"
                            % (addr, port, e))
        try:
            return self.retr(d)
        finally:
            d.close()

    def active(self):
        a = self.args
        bind = a.bounce or a.local_addr or self.local
        if bind.startswith("::ffff:"):
            bind = bind[7:]
        ls = listen_on(bind)
        port = ls.getsockname()[1]
        try:
            if self.mode == "port":
                line = fmt_port_cmd(bind, port)
            else:
                line = fmt_eprt_cmd(bind, port)
            verb = line.split(" ")[0]
            if self.split_cmd >= len(line):
                raise PeerSkip("offset %d is past the %d-byte %s line"
                               % (self.split_cmd, len(line), verb))
            code, text = self.type_and(line, verb)
            if code != 200:
                if a.bounce:
                    self.notes.append("%s refused by server: %d" % (verb, code))
                else:
                    raise PeerError("%s: unexpected reply %d %s"
                                    % (verb, code, text))
            m = re.search(r"saw \[([^\]]*)\]:(\d+)", text)
            if m:
                self.notes.append("%s sent %s port %d, server saw %s port %s"
                                  % (verb, bind, port, m.group(1), m.group(2)))
                if a.expect_port and not same_addr(m.group(1),
                                                   a.expect_port):
                    raise PeerError("server saw %s in %s, expected %s "
                                    "(not rewritten?)"
                                    % (m.group(1), verb, a.expect_port))
            if a.bounce:
                return self.bounce(ls)
            self.cmd("RETR data-%d-%d.bin" % (self.seed, a.size))
            ls.settimeout(a.connect_timeout)
            try:
                d, peer = ls.accept()
            except OSError:
                # the server tells why (425) if it can
                try:
                    code, text = read_reply(self.c, "RETR")
                    why = "%d %s" % (code, text)
                except PeerError as e:
                    why = str(e)
                raise PeerError("no active data connection within %.1fs "
                                "(server: %s)" % (a.connect_timeout, why))
            try:
                return self.retr(d, sent=True)
            finally:
                d.close()
        finally:
            ls.close()

    def bounce(self, ls):
        a = self.args
        self.cmd("RETR data-%d-%d.bin" % (self.seed, a.size))
        ls.settimeout(a.probe_timeout)
        try:
            d, peer = ls.accept()
            d.close()
            raise PeerError("bounce went through: the server reached %s "
                            "(from %s)" % (a.bounce, peer[0]))
        except socket.timeout:
            pass
        code, text = read_reply(self.c, "RETR to bounce address")
        if code not in (425, 426, 450, 451, 503):
            raise PeerError("RETR to bounce address: unexpected reply %d"
                            % code)
        self.notes.append("no connection reached %s (server: %d)"
                          % (a.bounce, code))
        self.cmd("QUIT")
        expect_code(self.c, "QUIT", (221,))
        return "; ".join(self.notes)

    def retr(self, d, sent=False):
        a = self.args
        if not sent:
            self.cmd("RETR data-%d-%d.bin" % (self.seed, a.size))
        expect_code(self.c, "RETR", (150, 125))
        data = recv_all(d, a.timeout, a.size)
        want = payload(self.seed, a.size)
        expect_code(self.c, "end of transfer", (226, 250))
        if data != want:
            raise PeerError("data mismatch: got %d bytes, want %d"
                            % (len(data), len(want)))
        self.notes.append("%d bytes intact" % len(data))
        self.cmd("QUIT")
        expect_code(self.c, "QUIT", (221,))
        return "; ".join(self.notes)


def run_client(args):
    v6 = ":" in args.connect
    if args.mode == "mix":
        modes = ["epsv", "eprt"] if v6 else ["pasv", "port"]
    else:
        modes = [args.mode]
    plans = []
    if args.split_cmd:
        for i, off in enumerate(parse_offsets(args.split_cmd)):
            plans.append((i, modes[i % len(modes)], off, 0))
    elif args.split_reply:
        for i, off in enumerate(parse_offsets(args.split_reply)):
            plans.append((i, modes[i % len(modes)], 0, off))
    else:
        for i in range(args.sessions):
            plans.append((i, modes[i % len(modes)], 0, 0))

    results = [None] * len(plans)

    def one(plan):
        i, mode, sc, sr = plan
        s = Session(args, i, mode, sc, sr)
        ok, msg = s.run()
        log("client", "session %d [%s]: %s: %s"
            % (i + 1, s.desc, {True: "ok", False: "FAIL", None: "skip"}[ok],
               msg))
        results[i] = (ok, plan)

    if args.jobs > 1:
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as ex:
            list(ex.map(one, plans))
    else:
        for p in plans:
            one(p)
    good = sum(1 for r in results if r and r[0])
    skipped = [r[1] for r in results if r and r[0] is None]
    bad = [r[1] for r in results if not (r and r[0] in (True, None))]
    if bad and (args.split_cmd or args.split_reply):
        offs = [p[2] or p[3] for p in bad]
        log("client", "failed offsets: %s" % ",".join(str(o) for o in offs))
    if skipped:
        offs = [p[2] or p[3] for p in skipped]
        log("client", "skipped offsets (past the line): %s"
            % ",".join(str(o) for o in offs))
    log("client", "%d/%d sessions ok" % (good, len(plans) - len(skipped)))
    return 0 if not bad else 1


def sink(args):
    """Listen and report whether anything connects within --timeout."""
    ls = listen_on(args.listen, args.port)
    ls.settimeout(args.timeout)
    try:
        d, peer = ls.accept()
        log("sink", "connection from %s" % peer[0])
        d.close()
        return 1
    except socket.timeout:
        log("sink", "no connection within %.1fs" % args.timeout)
        return 0
    finally:
        ls.close()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="role", required=True)

    def common(q):
        q.add_argument("--port", type=int, default=2121)
        q.add_argument("--timeout", type=float, default=5.0,
                       help="bound on every wait for a line or data (s)")
        q.add_argument("--connect-timeout", type=float, default=3.0)
        q.add_argument("--pause", type=float, default=0.06,
                       help="pause after every scripted write (s)")
        q.add_argument("--tls12", action="store_true",
                       help="cap TLS at 1.2")

    s = sub.add_parser("server", help="scripted FTP server")
    common(s)
    s.add_argument("--listen", required=True)
    s.add_argument("--sessions", type=int, default=0,
                   help="exit after this many sessions (0: never)")
    s.add_argument("--lifetime", type=float, default=0,
                   help="exit after this many seconds (0: never)")
    s.add_argument("--split-reply", type=int, default=0)
    s.add_argument("--pipeline-227", action="store_true")
    s.add_argument("--logout-227", action="store_true")
    s.add_argument("--garbage", action="store_true")
    s.add_argument("--unsolicited-227", action="store_true")
    s.add_argument("--cert", help="PEM certificate for AUTH TLS")
    s.add_argument("--key", help="PEM key (if not in --cert)")

    c = sub.add_parser("client", help="scripted FTP client")
    common(c)
    c.add_argument("--connect", required=True)
    c.add_argument("--mode", default="pasv",
                   choices=("pasv", "epsv", "port", "eprt", "mix"))
    c.add_argument("--sessions", type=int, default=1)
    c.add_argument("--jobs", type=int, default=1,
                   help="sessions run in parallel")
    c.add_argument("--size", type=int, default=8192, help="payload bytes")
    c.add_argument("--seed", type=int, default=1)
    c.add_argument("--split-cmd", metavar="OFFSETS",
                   help="cut PORT/EPRT at each offset, one session each")
    c.add_argument("--split-reply", metavar="OFFSETS",
                   help="server cuts 227/229 at each offset")
    c.add_argument("--pipeline-cmd", action="store_true",
                   help="TYPE I and PORT/PASV in one write")
    c.add_argument("--pipeline-reply", action="store_true",
                   help="server writes TYPE's 200 with the 227")
    c.add_argument("--jumbo", type=int, default=0, metavar="N",
                   help="N bytes before the line of interest in one write "
                   "each way: a NOOP with an N-byte argument, TYPE and "
                   "PORT/PASV...; the server's TYPE reply a multi-line "
                   "200 of N bytes written with the next reply")
    c.add_argument("--send", default="send", choices=SEND_MODES,
                   help="how this client's clear-text writes leave, and "
                   "(SITE PEER send=MODE) the server's: send(), sendfile() "
                   "from a memfd, or send() with MSG_ZEROCOPY")
    c.add_argument("--logout-227", action="store_true")
    c.add_argument("--garbage", action="store_true")
    c.add_argument("--unsolicited", action="store_true",
                   help="server answers NOOP with a 227; it must not work")
    c.add_argument("--probe-timeout", type=float, default=2.0)
    c.add_argument("--server-connect-timeout", type=float, default=0,
                   metavar="S", help="ask the server to allow S seconds "
                   "for its active-mode connect back")
    c.add_argument("--bounce", metavar="ADDR",
                   help="PORT/EPRT names ADDR (local); nothing may arrive")
    c.add_argument("--local-addr",
                   help="address advertised in PORT (default: own)")
    c.add_argument("--expect-pasv", metavar="ADDR",
                   help="a received 227 must name ADDR (the NAT's)")
    c.add_argument("--expect-port", metavar="ADDR",
                   help="the server must see ADDR in PORT/EPRT")
    c.add_argument("--tls", action="store_true",
                   help="AUTH TLS, stay encrypted, NOOPs, QUIT")
    c.add_argument("--ccc", action="store_true",
                   help="AUTH TLS, CCC, then the data session in clear")

    k = sub.add_parser("sink", help="report any connection to ADDR:PORT")
    common(k)
    k.add_argument("--listen", required=True)

    args = p.parse_args(argv)
    if args.role == "server":
        return run_server(args)
    if args.role == "client":
        return run_client(args)
    return sink(args)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
