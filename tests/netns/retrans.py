#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""retrans.py - sequence-exact scenarios for tests/netns/retrans.sh.

One process drives both ends of each control connection: a raw-socket
TCP peer (tests/rawpeer/rawtcp.py) on one side of the router, a normal
kernel TCP endpoint plus an AF_PACKET capture on the other side.  It
switches network namespaces per socket (setns), so every step is in one
deterministic order: send this segment, see what arrived at the far end
(sequence number and bytes), read what the far-end application got, read
the ACK that came back through the router.

Output, one line per check: "ok: ...", "FAIL: ...", and "info: ..." lines;
the suite counts the first two.  Exit status 0 whatever the checks said
(1 only for a usage error).  A detailed trace goes to --trace FILE.

Topology (built by retrans.sh):

    in  10.0.0.22, 192.168.100.222 (a0) -- ra  router  rp -- p0 pub 203.0.113.2
                                                rs
                                                |
                         srv 10.10.10.10, 10.9.9.5, 192.168.200.222 (s0)

  router: masquerade out of rp (to 203.0.113.1); DNAT 203.0.113.1:2121 ->
  10.10.10.10:2121, :2122 -> 10.9.9.5:2121, :2123 -> 192.168.200.222:2121;
  forward policy drop (established/related, invalid dropped); mapping 2121.
  Segments sent with DSCP CS1 are dropped by the far end's prerouting (a
  downstream loss the router does not know about); its capture still sees
  them.
"""

import argparse
import os
import re
import select
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "rawpeer"))
import rawtcp  # noqa: E402
from rawtcp import (Capture, DSCP_LOSE, Netns, PeerError, RawConn,  # noqa
                    RawListener, seq_diff, seq_add)

ARGS = None
TRACE = None
RESULTS = {"ok": 0, "fail": 0}


def out(kind, msg):
    sys.stdout.write("%s: %s\n" % (kind, msg))
    sys.stdout.flush()
    trace("%s: %s" % (kind, msg))


def ok(msg):
    RESULTS["ok"] += 1
    out("ok", msg)


def fail(msg):
    RESULTS["fail"] += 1
    out("FAIL", msg)


def info(msg):
    out("info", msg)


def trace(msg):
    if TRACE:
        TRACE.write("%.3f %s\n" % (time.monotonic(), msg))
        TRACE.flush()


def check(cond, msg_ok, msg_fail):
    if cond:
        ok(msg_ok)
    else:
        fail(msg_fail)
    return cond


def b2s(b):
    return repr(bytes(b))[2:-1]


def comma(addr):
    return addr.replace(".", ",")


def nsrun(ns, *cmd):
    r = subprocess.run(["nsenter", "--net=/run/netns/" + ns] + list(cmd),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=20)
    return r.stdout.decode("latin-1", "replace")


def stats():
    """The router's ftp-portmap counters, as a dict (empty if none)."""
    if not ARGS.portmapctl:
        return {}
    import json
    try:
        s = json.loads(nsrun(ARGS.ns_rtr, ARGS.portmapctl, "stats", "--json"))
    except (ValueError, subprocess.SubprocessError):
        return {}
    s = s.get("stats", s) if isinstance(s, dict) else {}
    return {k: v for k, v in s.items() if isinstance(v, int)}


def no_false_rewrite_fail(tag, before):
    """Every address was rewritten: the rewrite_fail counter ("NAT
    mangling failed") must not say otherwise.  Modules before main
    e667e13 also counted the segments they drop on purpose (beyond a hole
    under NAT, or held back whole) as rewrite_fail (docs/retrans.md,
    fixed bug 1): with --strict-counters 0 a rise up to the module's own
    count of those (ooo + held) is reported, not failed."""
    if not before:
        return
    now = stats()
    d = {k: now.get(k, 0) - before.get(k, 0)
         for k in ("rewrite_fail", "ooo", "held")}
    rf, deliberate = d["rewrite_fail"], d["ooo"] + d["held"]
    if rf == 0:
        ok("%s: rewrite_fail did not move" % tag)
    elif ARGS.strict_counters:
        fail("%s: rewrite_fail +%d although every address was rewritten"
             % (tag, rf))
    elif rf <= deliberate:
        info("%s: rewrite_fail +%d, no more than the segments dropped on "
             "purpose (ooo +%d, held +%d): the counter bug of modules "
             "before e667e13 (docs/retrans.md, bug 1)" % (tag, rf, d["ooo"], d["held"]))
        ok("%s: rewrite_fail +%d <= deliberate drops (%d)"
           % (tag, rf, deliberate))
    else:
        fail("%s: rewrite_fail +%d although every address was rewritten "
             "(more than the %d segments dropped on purpose)"
             % (tag, rf, deliberate))


def stats_delta(before):
    after = stats()
    d = {k: after[k] - before.get(k, 0) for k in after
         if after[k] != before.get(k, 0)}
    return ", ".join("%s +%d" % kv for kv in sorted(d.items())) or "none"


# ---------------------------------------------------------------------
# kernel TCP endpoints (the "far end" application)
# ---------------------------------------------------------------------
class App:
    """A kernel TCP socket with bounded reads."""

    def __init__(self, sock):
        self.sock = sock
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.rx = bytearray()

    def read_until(self, n, timeout):
        """Read until n bytes in total have arrived (or timeout)."""
        end = time.monotonic() + timeout
        while len(self.rx) < n:
            left = end - time.monotonic()
            if left <= 0:
                break
            self.sock.settimeout(left)
            try:
                d = self.sock.recv(65536)
            except socket.timeout:
                break
            except OSError as e:
                trace("app recv: %s" % e)
                break
            if not d:
                break
            self.rx += d
        return bytes(self.rx)

    def read_more(self, timeout):
        """Whatever else arrives within timeout."""
        return self.read_until(len(self.rx) + 1, timeout)

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("latin-1")
        self.sock.sendall(data)

    def set_tos(self, tos):
        """DSCP of everything the socket sends from now on (its ACKs too)."""
        if self.sock.family == socket.AF_INET6:
            self.sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_TCLASS, tos)
        else:
            self.sock.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, tos)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def listen(ns, addr, port):
    Netns.enter(ns)
    s = socket.socket(rawtcp.family_of(addr), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(16)
    return s


def accept(ls, timeout=5.0):
    ls.settimeout(timeout)
    try:
        s, _ = ls.accept()
    except socket.timeout:
        raise PeerError("the far end accepted no connection within %.1fs"
                        % timeout)
    return App(s)


def connect_start(ns, laddr, raddr, rport):
    """Non-blocking connect of a kernel socket (completed by the raw
    listener's handshake)."""
    Netns.enter(ns)
    s = socket.socket(rawtcp.family_of(raddr), socket.SOCK_STREAM)
    s.bind((laddr, 0))
    s.setblocking(False)
    e = s.connect_ex((raddr, rport))
    if e not in (0, 115):       # EINPROGRESS
        raise PeerError("connect: %s" % os.strerror(e))
    return s


def connect_finish(s, timeout=5.0):
    import select
    _, w, _ = select.select([], [s], [], timeout)
    if not w:
        raise PeerError("connect did not complete in %.1fs" % timeout)
    e = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    if e:
        raise PeerError("connect: %s" % os.strerror(e))
    s.setblocking(True)
    return App(s)


# ---------------------------------------------------------------------
# what arrives at the far end: the capture, in output offsets
# ---------------------------------------------------------------------
class FarEnd:
    """The capture's view of one direction of one connection: segments
    arriving at the far end from (src, sport) to (dst, dport), their
    sequence numbers as offsets from the raw peer's ISN + 1 (NAT does
    not move sequence numbers; only the ALG's adjustment does)."""

    def __init__(self, cap, src, sport, dst, dport, iss):
        self.cap = cap
        self.src, self.sport, self.dst, self.dport = src, sport, dst, dport
        self.base = seq_add(iss, 1)
        self.segs = []        # (off, payload, tos) of data segments

    def _mine(self, s):
        return (not s.outgoing and s.sport == self.sport
                and s.dport == self.dport
                and rawtcp.same_addr(s.src, self.src)
                and rawtcp.same_addr(s.dst, self.dst))

    def next_data(self, timeout=1.5):
        """The next data segment of this direction (or None)."""
        s = self.cap.wait(lambda x: self._mine(x) and len(x.payload) > 0,
                          timeout)
        if s is None:
            return None
        off = seq_diff(s.seq, self.base)
        rec = (off, s.payload, s.tos)
        self.segs.append(rec)
        trace("far end got off %d len %d tos %d %r" % (off, len(s.payload),
                                                        s.tos, s.payload))
        return rec

    def drain(self, timeout=0.0):
        """Record what else arrived (data segments only)."""
        for s in self.cap.read(timeout):
            if self._mine(s) and s.payload:
                off = seq_diff(s.seq, self.base)
                self.segs.append((off, s.payload, s.tos))
                trace("far end got off %d len %d tos %d %r"
                      % (off, len(s.payload), s.tos, s.payload))

    def inconsistent(self, stream):
        """Segments whose bytes are not the final stream's bytes at their
        offsets: [(off, payload, expected)]."""
        bad = []
        for off, p, _ in self.segs:
            exp = stream[off:off + len(p)] if off >= 0 else b""
            if off < 0 or exp != p:
                bad.append((off, p, exp))
        return bad


def describe_segs(segs, limit=6):
    return "; ".join("off %d %r" % (o, p) for o, p, _ in segs[-limit:])


def check_wire(tag, far, stream, who, wait=0.05):
    """After @wait seconds for stragglers: every segment that reached
    @who (the far end's capture @far) carries @stream's bytes at its
    offset."""
    far.drain(wait)
    bad = far.inconsistent(stream)
    check(not bad, "%s: every segment %s got matches its stream at its "
          "offset (%d segments)" % (tag, who, len(far.segs)),
          "%s: segments %s got that do not match its stream at their "
          "offset: %s" % (tag, who, "; ".join(
              "off %d %r (stream has %r)" % x for x in bad[:4])))


# ---------------------------------------------------------------------
# the expected rewrite of one line
# ---------------------------------------------------------------------
class Line:
    """An original line O holding address text orig, the rewritten line
    R (orig -> rep), and the output position of original offsets.

    tail: the rest of the endpoint after the address (the port text,
    kept as it is).  A module may rewrite the address alone or the whole
    endpoint (address and port, as the first transmission of an uncut
    line is), so inside [a, a + olen + len(tail)) an original byte has no
    single right output position: a segment starting there may start
    anywhere in the rewritten endpoint, as long as its bytes are R's."""

    def __init__(self, o, orig, rep, tail=""):
        self.o = o.encode("latin-1") if isinstance(o, str) else o
        orig = orig.encode("latin-1")
        rep = rep.encode("latin-1")
        self.a = self.o.index(orig)
        self.olen, self.rlen = len(orig), len(rep)
        self.tail = len(tail)
        assert self.o[self.a + self.olen:].startswith(tail.encode())
        self.r = self.o[:self.a] + rep + self.o[self.a + self.olen:]
        self.delta = self.rlen - self.olen

    def ambiguous_end(self):
        """First original offset after the rewritable endpoint."""
        return self.a + self.olen + self.tail

    def out_pos(self, k):
        """Output offset of original offset k; None inside the endpoint
        (no single right answer: any start consistent with R is)."""
        if k <= self.a:
            return k
        if k >= self.ambiguous_end():
            return k + self.delta
        return None

    def start_range(self):
        """Where a segment starting inside the endpoint may start."""
        return self.a, self.a + self.rlen + self.tail


def offsets_for(line, word_end):
    """Named retransmission starts in a line: the brief's list."""
    a, olen = line.a, line.olen
    n = len(line.o)
    named = [
        ("seg_start", 0),
        ("before_word", 2),
        ("at_word", word_end),       # PORT / the 227 text
        ("addr_start", a),
        ("in_addr", a + 2),
        ("in_addr_late", a + olen - 2),
        ("addr_last", a + olen - 1),
        ("after_addr", a + olen),
        ("after_port", line.ambiguous_end()),
        ("at_crlf", n - 2),
    ]
    seen, res = set(), []
    for name, k in named:
        if 0 <= k < n and k not in seen:
            seen.add(k)
            res.append((name, k))
    return res


# The brief's starts: the segment start, after it but before the word,
# at the word (PORT/EPRT, the 227's text), inside the address, its last
# byte, right after it, right after the port; and for a shrinking rewrite
# also late in the address (past the replacement's length).
DEFAULT_STARTS = ("seg_start", "before_word", "at_word", "in_addr",
                  "addr_last", "after_addr", "after_port")


def pick_offsets(offs, only, line):
    """--only NAMES (or "all"); default: DEFAULT_STARTS (+ in_addr_late
    when the rewrite shrinks the line)."""
    if only == "all":
        return offs
    names = only.split(",") if only else list(DEFAULT_STARTS) + (
        ["in_addr_late"] if line.delta < 0 else [])
    return [x for x in offs if x[0] in names]


# ---------------------------------------------------------------------
# retransmission of a rewritten line, sent by the raw peer
# ---------------------------------------------------------------------
DSCP_ACKLOSS = 0x40      # TOS CS2: the far end's own output drops it


def seg_problems(line, base_r, kk, nbytes, off, p):
    """What is wrong with segment (off, p) as the router's output for
    original bytes [kk, kk + nbytes) of line (output base base_r)."""
    r = line.r
    want_start = line.out_pos(kk)
    want_end = line.out_pos(kk + nbytes)
    exp = r[off - base_r:off - base_r + len(p)] if off >= base_r else None
    problems = []
    if want_start is not None and off != base_r + want_start:
        problems.append("starts at off %d, expected %d"
                        % (off, base_r + want_start))
    lo, hi = line.start_range()
    if want_start is None and not base_r + lo <= off <= base_r + hi:
        problems.append("starts at off %d, outside the rewritten endpoint "
                        "[%d,%d]" % (off, base_r + lo, base_r + hi))
    if want_end is not None and off + len(p) != base_r + want_end:
        problems.append("ends at off %d, expected %d"
                        % (off + len(p), base_r + want_end))
    if exp != p:
        problems.append("bytes %r, the rewritten line has %r there"
                        % (p, exp))
    return problems


def retrans_checks(tag, raw, far, line, base_o, base_r, k, variant, app):
    """Send line at original offset base_o (output base_r), then
    retransmit it from k.  Variants:

      ackloss  the first transmission reaches the far end, its ACK is lost
               before the router (the far end's socket marks its packets
               DSCP CS2, which its own output drops): the retransmission
               from k is a duplicate the router cannot know is one; it
               must arrive with exact sequence numbers and the same bytes
      lost     the first transmission is lost after the router; the
               retransmission comes as two segments [0,k) and [k,n), back
               to back, then TCP-like recovery (from snd_una, collapsed)
               until all is ACKed; every byte that arrives must be the
               rewritten line's byte at its offset
      acked    the first transmission is delivered and ACKed through the
               router; a spurious retransmission from k may be cut (the
               router knows the far end has it) but whatever of it
               arrives must be exact

    The caller checks the far-end application's stream and that the ACKs
    come back exact (raw.snd_una) once the far end talks again."""
    o, r = line.o, line.r
    end_o = base_o + len(o)
    if variant == "ackloss":
        app.set_tos(DSCP_ACKLOSS)
    raw.send_at(base_o, o, tos=DSCP_LOSE if variant == "lost" else 0)
    first = far.next_data()
    if first is None:
        fail("%s: first transmission never reached the far end" % tag)
        app.set_tos(0)
        return False
    check(first[0] == base_r and first[1] == r,
          "%s: first transmission at +%d, rewritten (%d -> %d bytes)"
          % (tag, base_r, len(o), len(r)),
          "%s: first transmission: expected off %d %r, got off %d %r"
          % (tag, base_r, r, first[0], first[1]))
    if variant == "acked":
        try:
            raw.wait_acked(end_o, 3.0)
        except PeerError as e:
            fail("%s: ACK of the first transmission: %s" % (tag, e))
            return False
    if variant == "ackloss":
        raw.poll(0.1)
        if raw.snd_una > base_o:
            fail("%s: harness: the far end's ACK (%d) was not lost as "
                 "arranged" % (tag, raw.snd_una))
    if variant in ("ackloss", "acked"):
        raw.send_at(base_o + k, o[k:])
        seg = far.next_data(1.0 if variant == "acked" else 1.5)
        app.set_tos(0)
        if seg is None:
            if variant == "acked":
                ok("%s: the spurious retransmission [%d,%d) was cut "
                   "(already ACKed)" % (tag, k, len(o)))
                return True
            fail("%s: retransmission [%d,%d) %r never reached the far end"
                 % (tag, k, len(o), o[k:]))
            return False
        problems = seg_problems(line, base_r, k, len(o) - k, seg[0], seg[1])
        if variant == "acked" and problems and seg[0] > base_r + k and \
                not seg_problems(line, base_r, len(o) - len(seg[1]),
                                 len(seg[1]), seg[0], seg[1]):
            problems = []       # front cut off, the rest exact
        return check(not problems,
                     "%s: retransmission [%d,%d) arrived as off [%d,%d) %r"
                     % (tag, k, len(o), seg[0], seg[0] + len(seg[1]),
                        seg[1]),
                     "%s: retransmission [%d,%d) %r: %s"
                     % (tag, k, len(o), o[k:], "; ".join(problems)))
    # lost: [0,k) and [k,n) back to back, then recover like a TCP
    parts = ([(0, o[:k])] if k > 0 else []) + [(k, o[k:])]
    for kk, part in parts:
        raw.send_at(base_o + kk, part)
    got = []
    while True:
        seg = far.next_data(0.4)
        if seg is None:
            break
        got.append(seg)
    good = True
    for off, p, _ in got:
        exp = r[off - base_r:off - base_r + len(p)] if off >= base_r else None
        if exp != p:
            fail("%s: the retransmission arrived as off %d %r, the "
                 "rewritten line has %r there" % (tag, off, p, exp))
            good = False
    exact = [x for x in got if any(not seg_problems(line, base_r, kk,
                                                    len(part), x[0], x[1])
                                   for kk, part in parts)]
    recoveries = 0
    for _ in range(6):
        try:
            raw.wait_acked(end_o, 0.4)
            break
        except PeerError:
            pass
        kk = max(raw.snd_una, base_o)
        raw.send_at(kk, o[kk - base_o:])
        recoveries += 1
    far.drain(0.05)
    if raw.snd_una < end_o:
        fail("%s: after [0,%d) + [%d,%d) and %d recoveries the far end "
             "has ACKed only %d of %d (saw: %s)"
             % (tag, k, k, len(o), recoveries, raw.snd_una - base_o, len(o),
                describe_segs(far.segs)))
        return False
    if good:
        ok("%s: retransmitted as [0,%d) + [%d,%d): %d of %d segment(s) "
           "arrived exactly as sent%s, all bytes the rewritten line's"
           % (tag, k, k, len(o), len(exact), len(parts),
              ", %d recovery retransmission(s)" % recoveries
              if recoveries else ""))
    return good


def ack_check(tag, raw, end_o):
    """The far end's ACKs, mapped back by the router, acknowledge exactly
    what was sent: nothing less (the sender would retransmit forever),
    nothing more (conntrack would call it invalid)."""
    check(raw.snd_una == end_o and not raw.bad_acks,
          "%s: the far end's ACK came back through the router as %d"
          % (tag, raw.snd_una),
          "%s: the far end's ACKs came back as %d%s, expected %d"
          % (tag, raw.snd_una, " and beyond what was sent: %s"
             % raw.bad_acks[:4] if raw.bad_acks else "", end_o))


def later_command(tag, raw, far, far_app, base_o, base_r, text, reply):
    """A later segment in order (after the rewrite), its ACK lost before
    the router, and its retransmission: exact offsets both times.  Then,
    if reply: the far-end application (far_app) answers, and the ACK that
    comes back with the answer must acknowledge exactly what was sent.
    (Without a reply the caller makes the far end talk and checks.)"""
    text = text.encode("latin-1")
    far_app.set_tos(DSCP_ACKLOSS)
    raw.send_at(base_o, text)
    seg = far.next_data()
    good = check(seg is not None and seg[0] == base_r and seg[1] == text,
                 "%s: later segment %r at exact off %d" % (tag, text, base_r),
                 "%s: later segment %r: expected off %d, got %s"
                 % (tag, text, base_r, seg and seg[:2]))
    raw.send_at(base_o, text)
    seg = far.next_data()
    far_app.set_tos(0)
    good &= check(seg is not None and seg[0] == base_r and seg[1] == text,
                  "%s: its retransmission (ACK lost) at exact off %d"
                  % (tag, base_r),
                  "%s: retransmission of the later segment (ACK lost): "
                  "expected off %d, got %s" % (tag, base_r, seg and seg[:2]))
    if reply:
        far_app.send(reply)
        try:
            raw.wait_rx_text(reply, 3.0)
        except PeerError as e:
            fail("%s: the reply %r never got back: %s" % (tag, reply, e))
            return False
        ack_check(tag, raw, base_o + len(text))
    return good


# ---------------------------------------------------------------------
# scenario: PORT from a masqueraded raw client, retransmitted
# ---------------------------------------------------------------------
def port_line(client, pub, p2):
    """The client's TYPE + PORT (IPv4) or EPRT (IPv6) in one segment, as
    a Line (address client -> pub)."""
    if ":" in client:
        tail = "|%d|" % (10000 + p2)
        return Line("TYPE I\r\nEPRT |2|%s%s\r\n" % (client, tail),
                    client, pub, tail)
    tail = ",39,%d" % p2
    return Line("TYPE I\r\nPORT %s%s\r\n" % (comma(client), tail),
                comma(client), comma(pub), tail)


def addr_text(addr):
    return addr if ":" in addr else comma(addr)


def scen_port(a):
    client = a.client
    orig = addr_text(client)
    rep = addr_text(a.pub)
    ls = listen(a.ns_pub, a.server, a.port)
    Netns.enter(a.ns_pub)
    cap = Capture(a.if_pub)
    p2 = a.port_base
    variants = a.variants.split(",")
    line0 = port_line(client, a.pub, p2)
    word = b"EPRT" if ":" in client else b"PORT"
    offs = offsets_for(line0, line0.o.index(word))
    offs = pick_offsets(offs, a.only, line0)
    info("%s %s -> %s (%+d bytes), %d starts x %s"
         % (word.decode(), orig, rep, line0.delta, len(offs),
            "/".join(variants)))
    for variant in variants:
        for name, k in offs:
            p2 += 1
            tag = "%s %s k=%d(%s)" % (a.label, variant, k, name)
            line = port_line(client, a.pub, p2)
            try:
                port_one(a, tag, ls, cap, line, k, variant)
            except (PeerError, OSError) as e:
                fail("%s: %s" % (tag, e))


def raw_client_conn(a, ls, cap):
    """The raw client in ns_in connects to the server; the server
    application accepts on ls and sends its banner, which the raw client
    reads.  Returns (raw, app, far); closes both ends if the banner
    fails.  (raw_server_conn is the other way round.)"""
    Netns.enter(a.ns_in)
    raw = RawConn(a.client, a.server, a.port, log=trace)
    raw.connect()
    app = accept(ls)
    try:
        peer = app.sock.getpeername()
        far = FarEnd(cap, peer[0], peer[1], a.server, a.port, raw.iss)
        cap.read(0)
        banner = b"220 ready\r\n"
        app.send(banner)
        raw.wait_rx(len(banner))
    except BaseException:
        app.close()
        raw.close()
        raise
    return raw, app, far


def port_one(a, tag, ls, cap, line, k, variant):
    raw, app, far = raw_client_conn(a, ls, cap)
    try:
        retrans_checks(tag, raw, far, line, 0, 0, k, variant, app)
        app.read_until(len(line.r), 2.0)
        got = app.read_more(0.1)
        check(got == line.r, "%s: the server application read the "
              "rewritten line, nothing else" % tag,
              "%s: the server application read %r, expected %r"
              % (tag, got, line.r))
        app.send("200 Type set to I.\r\n200 PORT command successful.\r\n")
        raw.wait_rx_text(b"200 PORT command successful.\r\n", 3.0)
        ack_check(tag, raw, len(line.o))
        later_command(tag, raw, far, app, len(line.o), len(line.r),
                      "NOOP\r\n", "200 NOOP ok.\r\n")
        got = app.read_until(len(line.r) + 6, 2.0)
        check(got == line.r + b"NOOP\r\n",
              "%s: server application stream exact" % tag,
              "%s: server application stream %r, expected %r"
              % (tag, got, line.r + b"NOOP\r\n"))
        check_wire(tag, far, bytes(app.rx), "the server")
    finally:
        app.close()
        raw.close()


# ---------------------------------------------------------------------
# scenario: 227 from a raw server behind DNAT, retransmitted
# ---------------------------------------------------------------------
def raw_server_conn(a, vport, ls_raw, cap):
    """A client app in pub connects to the VIP; the raw server in srv
    accepts.  Returns (app, raw, far) with the banner exchanged."""
    csock = connect_start(a.ns_pub, a.client, a.pub, vport)
    Netns.enter(a.ns_srv)
    raw = ls_raw.accept(5.0)
    app = connect_finish(csock)
    lp = app.sock.getsockname()
    far = FarEnd(cap, a.pub, vport, lp[0], lp[1], raw.iss)
    cap.read(0)
    banner = b"220 ready\r\n"
    raw.send_reliably([(0, banner)])
    got = app.read_until(len(banner), 3.0)
    if got != banner:
        raise PeerError("banner: the client read %r" % got)
    far.drain(0.05)
    return app, raw, far


def client_cmd(app, raw, text, timeout=3.0):
    """The client app sends a command; the raw server reads it."""
    n = raw.rx.count(text)
    app.send(text)
    raw.wait_rx_count(text, n + 1, timeout)


def scen_pasv(a):
    server = a.server
    orig = comma(server)
    rep = comma(a.pub)
    Netns.enter(a.ns_pub)
    cap = Capture(a.if_pub)
    variants = a.variants.split(",")
    p2 = a.port_base
    line0 = Line("227 Entering Passive Mode (%s,39,%d)\r\n" % (orig, p2),
                 orig, rep, ",39,%d" % p2)
    offs = offsets_for(line0, line0.o.index(b"Entering"))
    offs = pick_offsets(offs, a.only, line0)
    info("227 %s -> %s (%+d bytes), %d starts x %s"
         % (orig, rep, line0.delta, len(offs), "/".join(variants)))
    Netns.enter(a.ns_srv)
    ls_raw = RawListener(server, 2121, log=trace)
    for variant in variants:
        for name, k in offs:
            p2 += 1
            tag = "%s %s k=%d(%s)" % (a.label, variant, k, name)
            line = Line("227 Entering Passive Mode (%s,39,%d)\r\n"
                        % (orig, p2), orig, rep, ",39,%d" % p2)
            try:
                pasv_one(a, tag, ls_raw, cap, line, k, variant)
            except (PeerError, OSError) as e:
                fail("%s: %s" % (tag, e))


def pasv_one(a, tag, ls_raw, cap, line, k, variant):
    app, raw, far = raw_server_conn(a, a.vport, ls_raw, cap)
    try:
        client_cmd(app, raw, b"PASV\r\n")
        b0 = raw.snd_nxt
        retrans_checks(tag, raw, far, line, b0, b0, k, variant, app)
        want = b"220 ready\r\n" + line.r
        app.read_until(len(want), 2.0)
        got = app.read_more(0.1)
        check(got == want, "%s: the client application read the "
              "rewritten 227, nothing else" % tag,
              "%s: the client application read %r, expected %r"
              % (tag, got[b0:], line.r))
        client_cmd(app, raw, b"NOOP\r\n")
        ack_check(tag, raw, b0 + len(line.o))
        bo = b0 + len(line.o)
        br = b0 + len(line.r)
        # the reply to NOOP is the later segment, sent by the raw server
        later_command(tag, raw, far, app, bo, br, "200 NOOP ok.\r\n", None)
        want += b"200 NOOP ok.\r\n"
        got = app.read_until(len(want), 2.0)
        check(got == want, "%s: client application stream exact" % tag,
              "%s: client application stream %r, expected %r"
              % (tag, got[b0:], want[b0:]))
        # and the client can still talk: a command gets through, with
        # an ACK of everything the raw server sent
        client_cmd(app, raw, b"NOOP\r\n")
        ack_check(tag, raw, bo + len(b"200 NOOP ok.\r\n"))
        check_wire(tag, far, bytes(app.rx), "the client")
    finally:
        app.close()
        raw.close()


# ---------------------------------------------------------------------
# data connections: did the ALG make the expectation?
# ---------------------------------------------------------------------
def data_conn(ns_conn, conn_from, ns_listen, listen_addr, dst, port,
              timeout=2.5):
    """A kernel listener at listen_addr:port in ns_listen; a connect from
    conn_from in ns_conn to dst:port (what the control line named, as the
    peer saw it).  Through the router's forward policy only if the ALG
    expected it.  Returns "" on success, else why not."""
    try:
        ls = listen(ns_listen, listen_addr, port)
    except OSError as e:
        return "listen on %s:%d: %s" % (listen_addr, port, e)
    try:
        Netns.enter(ns_conn)
        c = socket.socket(rawtcp.family_of(dst), socket.SOCK_STREAM)
        c.bind((conn_from, 0))
        c.settimeout(timeout)
        try:
            c.connect((dst, port))
        except OSError as e:
            return "connect to %s:%d: %s" % (dst, port, e)
        c.sendall(b"data ok")
        try:
            srv = accept(ls, timeout)
        except PeerError as e:
            return str(e)
        got = srv.read_until(7, timeout)
        srv.close()
        c.close()
        return "" if got == b"data ok" else "data connection read %r" % got
    finally:
        ls.close()


def expect_list():
    """conntrack -L expect in the router (for the log)."""
    return " | ".join(l.strip() for l in
                      nsrun(ARGS.ns_rtr, "conntrack", "-L", "expect")
                      .splitlines() if "dport" in l or "sport" in l)


PASV_RE = re.compile(rb"\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)")


def addr_227(line):
    m = PASV_RE.search(line)
    if not m:
        return None, None
    n = [int(x) for x in m.groups()]
    return "%d.%d.%d.%d" % tuple(n[:4]), n[4] * 256 + n[5]


def read_line(app, start, timeout=3.0):
    """The next CRLF-terminated line at or after byte start of app.rx."""
    end = time.monotonic() + timeout
    while True:
        i = app.rx.find(b"\n", start)
        if i >= 0:
            return bytes(app.rx[start:i + 1])
        left = end - time.monotonic()
        if left <= 0:
            return None
        app.read_until(len(app.rx) + 1, left)


# ---------------------------------------------------------------------
# scenario: pairing after over-long lines (finding 4)
# ---------------------------------------------------------------------
def scen_pairing(a):
    Netns.enter(a.ns_pub)
    cap = Capture(a.if_pub)
    Netns.enter(a.ns_srv)
    ls_raw = RawListener(a.server, 2121, log=trace)
    path = "/" + "d" * 599
    long257 = ('257 "%s" is the current directory.\r\n' % path).encode()
    cases = [
        ("short 257 (control)", "PWD", [b'257 "/" is the current '
                                        b'directory.\r\n']),
        ("600-byte 257 in 2 segments", "PWD",
         [long257[:300], long257[300:]]),
        ("600-byte 257 in 3 segments", "PWD",
         [long257[:200], long257[200:400], long257[400:]]),
        ("600-byte 257, first segment over 512", "PWD",
         [long257[:520], long257[520:]]),
        ("600-byte command in 2 segments, PASV pipelined behind it",
         "SITE " + "x" * 600, None),
    ]
    if a.cases:
        cases = [c for i, c in enumerate(cases) if str(i) in a.cases.split(",")]
    p2 = a.port_base
    for name, cmd, reply in cases:
        p2 += 1
        tag = "%s: %s" % (a.label, name)
        try:
            pairing_one(a, tag, ls_raw, cap, cmd, reply, p2)
        except (PeerError, OSError) as e:
            fail("%s: %s" % (tag, e))


def pairing_one(a, tag, ls_raw, cap, cmd, reply, p2):
    app, raw, far = raw_server_conn(a, a.vport, ls_raw, cap)
    try:
        cmd = (cmd + "\r\n").encode()
        pipelined = reply is None
        if pipelined:
            # the client's over-long command cut in two writes, and PASV
            # right behind it (before the answer): the 500 must pair with
            # the long command, the 227 with PASV
            app.send(cmd[:300])
            time.sleep(0.05)
            app.send(cmd[300:])
            time.sleep(0.05)
            app.send(b"PASV\r\n")
            raw.wait_rx_text(cmd + b"PASV\r\n", 3.0)
            reply = [b"500 Command line too long.\r\n"]
        else:
            client_cmd(app, raw, cmd)
        off, segs = raw.snd_nxt, []
        for part in reply:
            segs.append((off, part))
            off += len(part)
        raw.send_reliably(segs, rto=0.4, tries=6, collapse=True)
        whole = b"".join(reply)
        want = b"220 ready\r\n" + whole
        got = app.read_until(len(want), 3.0)
        if got != want:
            fail("%s: the client read %r, expected %r" % (tag, got[11:80],
                                                          whole[:80]))
            return
        if not pipelined:
            client_cmd(app, raw, b"PASV\r\n")
        line = ("227 Entering Passive Mode (%s,39,%d)\r\n"
                % (comma(a.server), p2)).encode()
        raw.send_reliably([(raw.snd_nxt, line)], rto=0.4, tries=6,
                          collapse=True)
        got = read_line(app, len(want))
        dst, port = addr_227(got or b"")
        check(dst == a.pub and port == 39 * 256 + p2,
              "%s: the 227 after it was paired with PASV and rewritten: %r"
              % (tag, got),
              "%s: the 227 after it reached the client as %r (expected "
              "%s,39,%d): not paired with PASV" % (tag, got, comma(a.pub),
                                                    p2))
        trace("expectations: %s" % expect_list())
        if dst:
            why = data_conn(a.ns_pub, a.client, a.ns_srv, a.server, dst, port)
            check(not why, "%s: the data connection to %s:%d got through"
                  % (tag, dst, port), "%s: data connection to %s:%d: %s"
                  % (tag, dst, port, why))
    finally:
        app.close()
        raw.close()


# ---------------------------------------------------------------------
# scenario: a digit ending a segment is not an address (finding 6)
# ---------------------------------------------------------------------
def scen_prefix(a):
    Netns.enter(a.ns_pub)
    cap = Capture(a.if_pub)
    Netns.enter(a.ns_srv)
    ls_raw = RawListener(a.server, 2121, log=trace)
    addr = comma(a.server)
    cases = [
        ("227 Entering mode 1", " (%s,39,%%d)\r\n" % addr),
        ("227 Entering mode 10", " (%s,39,%%d)\r\n" % addr),
        ("227 Entering mode 7", " (%s,39,%%d)\r\n" % addr),
        ("227 Entering mode 1", "0 (%s,39,%%d)\r\n" % addr),
        # a real cut inside the address (control: rewritten as it passes)
        ("227 Entering Passive Mode (%s" % addr[:4],
         "%s,39,%%d)\r\n" % addr[4:]),
    ]
    if a.cases:
        cases = [c for i, c in enumerate(cases) if str(i) in a.cases.split(",")]
    p2 = a.port_base
    for head, tail in cases:
        p2 += 1
        tail = tail % p2
        tag = "%s: %r + %r" % (a.label, head, tail)
        try:
            prefix_one(a, tag, ls_raw, cap, head.encode(), tail.encode(), p2)
        except (PeerError, OSError) as e:
            fail("%s: %s" % (tag, e))


def prefix_one(a, tag, ls_raw, cap, head, tail, p2):
    app, raw, far = raw_server_conn(a, a.vport, ls_raw, cap)
    try:
        before = stats()
        client_cmd(app, raw, b"PASV\r\n")
        b0 = raw.snd_nxt
        o = head + tail
        r = o.replace(comma(a.server).encode(), comma(a.pub).encode())
        retr = raw.send_reliably([(b0, head), (b0 + len(head), tail)],
                                 rto=0.4, tries=6, collapse=True)
        got = read_line(app, b0)
        check(got == r, "%s: the client got %r%s" % (
            tag, got, " after %d retransmission(s)" % retr if retr else ""),
            "%s: the client got %r, expected %r" % (tag, got, r))
        check_wire(tag, far, bytes(app.rx), "the client", 0.1)
        info("%s: counters %s" % (tag, stats_delta(before)))
        if got == r:
            no_false_rewrite_fail(tag, before)
        dst, port = addr_227(got or b"")
        if dst:
            why = data_conn(a.ns_pub, a.client, a.ns_srv, a.server, dst, port)
            check(not why, "%s: data connection to %s:%d got through"
                  % (tag, dst, port), "%s: data connection to %s:%d: %s"
                  % (tag, dst, port, why))
    finally:
        app.close()
        raw.close()


# ---------------------------------------------------------------------
# scenario: holes in the client's stream (finding 7)
# ---------------------------------------------------------------------
def send_until_seen(raw, far, off, data, times, wait=0.5):
    """Send data at off up to times times; how many sends it took until
    the far end saw it (0: never)."""
    for n in range(1, times + 1):
        raw.send_at(off, data)
        seg = far.next_data(wait)
        while seg is not None and seg[0] != off:
            seg = far.next_data(wait)
        if seg is not None:
            return n
    return 0


def port_line_check(tag, got, client, pub, p2, nat, must_rewrite):
    """A PORT line as the far end got it: rewritten (NAT), untouched
    (no NAT, or refused after a resync when allowed), never garbled."""
    plain = ("PORT %s,39,%d\r\n" % (comma(client), p2)).encode()
    rew = ("PORT %s,39,%d\r\n" % (comma(pub), p2)).encode()
    want = rew if nat else plain
    if got == want:
        ok("%s: the server got %r" % (tag, got))
        return True
    if got == plain and not must_rewrite:
        info("%s: the server got the PORT untouched %r (refused right "
             "after the resync: allowed, never garbled)" % (tag, got))
        return False
    fail("%s: the server got %r, expected %r" % (tag, got, want))
    return False


def scen_hole(a):
    """Raw client; segment 2 before segment 1, then PORTs in order."""
    nat = a.nat
    Netns.enter(a.ns_far)
    cap = Capture(a.if_far)
    ls = listen(a.ns_far, a.server, a.port)
    raw, app, far = raw_client_conn(a, ls, cap)
    before = stats()
    tag = a.label
    try:
        seg1, seg2 = b"TYPE I\r\n", b"NOOP\r\n"
        if nat:
            n = send_until_seen(raw, far, len(seg1), seg2, 3)
            check(1 <= n <= 3, "%s: segment 2 beyond the hole reached the "
                  "server at send %d (dropped %d times, at most 2)"
                  % (tag, n, n - 1),
                  "%s: segment 2 beyond the hole was dropped %s"
                  % (tag, "3 times in a row (at most 2 allowed)" if not n
                     else "%d times" % (n - 1)))
        else:
            n = send_until_seen(raw, far, len(seg1), seg2, 1, wait=1.0)
            check(n == 1, "%s: segment 2 beyond the hole was forwarded "
                  "(not NATed: never dropped)" % tag,
                  "%s: segment 2 beyond the hole was dropped by the router "
                  "(not NATed: must be forwarded)" % tag)
        # the hole is filled; TCP retransmits whatever is still missing
        raw.send_at(0, seg1)
        try:
            raw.wait_acked(len(seg1), 1.0)
            if raw.snd_una < len(seg1) + len(seg2):
                raw.send_reliably([(len(seg1), seg2)], rto=0.4, tries=4)
        except PeerError as e:
            fail("%s: after the hole was filled: %s" % (tag, e))
            return
        got = app.read_until(len(seg1 + seg2), 2.0)
        check(got == seg1 + seg2, "%s: server stream %r" % (tag, got),
              "%s: server stream %r, expected %r" % (tag, got, seg1 + seg2))
        app.send(b"200 Type set to I.\r\n200 NOOP ok.\r\n")
        raw.wait_rx_text(b"200 NOOP ok.\r\n")
        # PORT #1 right after: may be refused (resync), never garbled
        p2 = a.port_base
        port_seen = []
        for i, must in ((1, False), (2, True)):
            p2 += 1
            line = ("PORT %s,39,%d\r\n" % (comma(a.client), p2)).encode()
            start = len(app.rx)
            raw.send_reliably([(raw.snd_nxt, line)], rto=0.4, tries=4)
            got = read_line(app, start, 2.0)
            t = "%s: PORT #%d in order after the hole" % (tag, i)
            port_seen.append(port_line_check(t, got, a.client, a.pub, p2,
                                             nat, must))
            app.send(b"200 PORT command successful.\r\n")
            raw.wait_rx_count(b"200 PORT command successful.\r\n", i)
            # an active-mode data connection back to the client
            if got and (must or port_seen[-1]):
                dst = a.pub if nat else a.client
                why = data_conn(a.ns_far, a.server, a.ns_in, a.client, dst,
                                39 * 256 + p2)
                if must or not why:
                    check(not why, "%s: the server's data connection to "
                          "%s:%d got through" % (t, dst, 39 * 256 + p2),
                          "%s: data connection to %s:%d: %s"
                          % (t, dst, 39 * 256 + p2, why))
                else:
                    info("%s: no data connection (refused right after the "
                         "resync: allowed): %s" % (t, why))
            if i == 1:
                start = len(app.rx)
                raw.send_reliably([(raw.snd_nxt, b"NOOP\r\n")], rto=0.4)
                app.read_until(start + 6, 2.0)
                app.send(b"200 NOOP ok.\r\n")
                raw.wait_rx_count(b"200 NOOP ok.\r\n", 2)
        # pairing: the hole was at the client's very first data bytes;
        # every command since must have been counted (a PASV's 227 is
        # paired and acted on: the server names itself, no rewrite)
        start = len(app.rx)
        raw.send_reliably([(raw.snd_nxt, b"PASV\r\n")], rto=0.4, tries=4)
        app.read_until(start + 6, 2.0)
        p2 += 1
        dport = 39 * 256 + p2
        line227 = ("227 Entering Passive Mode (%s,39,%d)\r\n"
                   % (comma(a.server), p2)).encode()
        app.send(line227)
        t = "%s: PASV after the hole" % tag
        try:
            raw.wait_rx_text(line227, 3.0)
            ok("%s: the client got the 227 as sent %r" % (t, line227))
        except PeerError as e:
            fail("%s: %s" % (t, e))
        if nat:
            # the client's data connection to a public server goes out
            # anyway (masquerade): look for the expectation itself
            exps = expect_list()
            check("dport=%d " % dport in exps + " ",
                  "%s: the router expects the data connection to port %d"
                  % (t, dport), "%s: no expectation for port %d: [%s]"
                  % (t, dport, exps))
        else:
            why = data_conn(a.ns_in, a.client, a.ns_far, a.server,
                            a.server, dport)
            check(not why, "%s: the client's data connection to %s:%d got "
                  "through" % (t, a.server, dport),
                  "%s: data connection to %s:%d: %s"
                  % (t, a.server, dport, why))
        check_wire(tag, far, bytes(app.rx), "the server")
        if nat and all(port_seen):
            no_false_rewrite_fail(tag, before)
        info("%s: counters %s" % (tag, stats_delta(before)))
    finally:
        app.close()
        raw.close()


# ---------------------------------------------------------------------
# scenario: holes in the server's stream (finding 7), 227 after
# ---------------------------------------------------------------------
def scen_hole_srv(a):
    nat = a.nat
    Netns.enter(a.ns_cli)
    cap = Capture(a.if_cli)
    Netns.enter(a.ns_srv)
    ls_raw = RawListener(a.server, 2121, log=trace)
    csock = connect_start(a.ns_cli, a.client, a.dial, a.vport)
    Netns.enter(a.ns_srv)
    raw = ls_raw.accept(5.0)
    app = connect_finish(csock)
    before = stats()
    tag = a.label
    try:
        lp = app.sock.getsockname()
        far = FarEnd(cap, a.dial, a.vport, lp[0], lp[1], raw.iss)
        cap.read(0)
        raw.send_reliably([(0, b"220 ready\r\n")])
        app.read_until(11, 3.0)
        client_cmd(app, raw, b"TYPE I\r\n")
        client_cmd(app, raw, b"NOOP\r\n")
        r1, r2 = b"200 Type set to I.\r\n", b"200 NOOP ok.\r\n"
        o1 = raw.snd_nxt
        if nat:
            n = send_until_seen(raw, far, o1 + len(r1), r2, 3)
            check(1 <= n <= 3, "%s: reply 2 beyond the hole reached the "
                  "client at send %d (dropped %d times, at most 2)"
                  % (tag, n, n - 1),
                  "%s: reply 2 beyond the hole was dropped %s"
                  % (tag, "3 times in a row (at most 2 allowed)" if not n
                     else "%d times" % (n - 1)))
        else:
            n = send_until_seen(raw, far, o1 + len(r1), r2, 1, wait=1.0)
            check(n == 1, "%s: reply 2 beyond the hole was forwarded "
                  "(not NATed: never dropped)" % tag,
                  "%s: reply 2 beyond the hole was dropped by the router "
                  "(not NATed: must be forwarded)" % tag)
        raw.send_at(o1, r1)
        try:
            raw.wait_acked(o1 + len(r1), 1.0)
            if raw.snd_una < o1 + len(r1) + len(r2):
                raw.send_reliably([(o1 + len(r1), r2)], rto=0.4, tries=4)
        except PeerError as e:
            fail("%s: after the hole was filled: %s" % (tag, e))
            return
        want = b"220 ready\r\n" + r1 + r2
        got = app.read_until(len(want), 2.0)
        check(got == want, "%s: client stream %r" % (tag, got[11:]),
              "%s: client stream %r, expected %r" % (tag, got[11:],
                                                     want[11:]))
        p2 = a.port_base
        orig = comma(a.server)
        rep = comma(a.pub) if nat else orig
        rewritten = []
        for i, must in ((1, False), (2, True)):
            p2 += 1
            client_cmd(app, raw, b"PASV\r\n")
            line = ("227 Entering Passive Mode (%s,39,%d)\r\n"
                    % (orig, p2)).encode()
            start = len(app.rx)
            raw.send_reliably([(raw.snd_nxt, line)], rto=0.4, tries=4)
            got = read_line(app, start, 2.0)
            want = line.replace(orig.encode(), rep.encode())
            t = "%s: PASV #%d after the hole" % (tag, i)
            rewritten.append(got == want)
            if got == want:
                ok("%s: the client got %r" % (t, got))
            elif got == line and not must:
                info("%s: the client got the 227 untouched %r (refused "
                     "right after the resync: allowed, never garbled)"
                     % (t, got))
                continue
            else:
                fail("%s: the client got %r, expected %r" % (t, got, want))
                continue
            dst, port = addr_227(got)
            why = data_conn(a.ns_cli, a.client, a.ns_srv, a.server, dst, port)
            if must or not why:
                check(not why, "%s: data connection to %s:%d got through"
                      % (t, dst, port), "%s: data connection to %s:%d: %s"
                      % (t, dst, port, why))
            else:
                info("%s: no data connection (refused right after the "
                     "resync: allowed): %s" % (t, why))
        check_wire(tag, far, bytes(app.rx), "the client")
        if nat and all(rewritten):
            no_false_rewrite_fail(tag, before)
        info("%s: counters %s" % (tag, stats_delta(before)))
    finally:
        app.close()
        raw.close()


# ---------------------------------------------------------------------
# scenario: pipelined replies beyond a hole under NAT, a 227 among them
# ---------------------------------------------------------------------
def scen_hole_pipe(a):
    """The client pipelines TYPE I, SIZE, MDTM, PASV (lftp with
    ftp:sync-mode off does).  The raw server's first reply (200) is lost
    before the router; its three later replies (213, 213, 227) arrive
    beyond the hole, back to back, once each; then the 200 comes again
    and the rest is retransmitted like a TCP (collapsed, from snd_una).
    Whatever the router does with segments beyond the hole, the 227 must
    reach the client rewritten (the router's address), never with the
    server's private address, and its data connection must work."""
    Netns.enter(a.ns_cli)
    cap = Capture(a.if_cli)
    Netns.enter(a.ns_srv)
    ls_raw = RawListener(a.server, 2121, log=trace)
    p2 = a.port_base
    for case in range(max(1, a.repeat)):
        p2 += 1
        tag = "%s #%d" % (a.label, case + 1)
        try:
            hole_pipe_one(a, tag, ls_raw, cap, p2)
        except (PeerError, OSError) as e:
            fail("%s: %s" % (tag, e))


def hole_pipe_one(a, tag, ls_raw, cap, p2):
    csock = connect_start(a.ns_cli, a.client, a.dial, a.vport)
    Netns.enter(a.ns_srv)
    raw = ls_raw.accept(5.0)
    app = connect_finish(csock)
    before = stats()
    try:
        lp = app.sock.getsockname()
        far = FarEnd(cap, a.dial, a.vport, lp[0], lp[1], raw.iss)
        cap.read(0)
        raw.send_reliably([(0, b"220 ready\r\n")])
        app.read_until(11, 3.0)
        cmds = b"TYPE I\r\nSIZE f\r\nMDTM f\r\nPASV\r\n"
        app.send(cmds)
        raw.wait_rx_text(cmds, 3.0)
        orig, rep = comma(a.server), comma(a.pub)
        r1 = b"200 Switching to Binary mode.\r\n"
        rest = [b"213 17384\r\n", b"213 20261201191338\r\n",
                ("227 Entering Passive Mode (%s,39,%d).\r\n"
                 % (orig, p2)).encode()]
        o1 = raw.snd_nxt
        segs, off = [], o1 + len(r1)
        for r in rest:
            segs.append((off, r))
            off += len(r)
        # first transmissions: the three beyond the hole, then the hole
        retr = raw.send_reliably(segs + [(o1, r1)], rto=0.4, tries=8,
                                 collapse=True)
        stream = r1 + b"".join(rest)
        want = b"220 ready\r\n" + stream.replace(orig.encode(),
                                                  rep.encode())
        got = app.read_until(len(want), 3.0)
        m = re.search(rb"227 [^\n]*\n", got)
        got227 = m.group(0) if m else b""
        check(got == want,
              "%s: the client read the replies, the 227 rewritten (%d "
              "retransmission(s))" % (tag, retr),
              "%s: the client read %r, expected %r"
              % (tag, got[11:], want[11:]))
        far.drain(0.05)
        leaked = [(o, p) for o, p, _ in far.segs if orig.encode() in p]
        check(not leaked, "%s: no segment on the wire carried the "
              "server's private address %s" % (tag, orig),
              "%s: the server's private address reached the client: %s"
              % (tag, "; ".join("off %d %r" % x for x in leaked[:3])))
        dst, port = addr_227(got227)
        if dst == a.pub:
            why = data_conn(a.ns_cli, a.client, a.ns_srv, a.server, dst,
                            port)
            check(not why, "%s: data connection to %s:%d got through"
                  % (tag, dst, port), "%s: data connection to %s:%d: %s"
                  % (tag, dst, port, why))
        else:
            fail("%s: no data connection to try: the 227 named %s"
                 % (tag, dst))
        info("%s: counters %s" % (tag, stats_delta(before)))
    finally:
        app.close()
        raw.close()


# ---------------------------------------------------------------------
# scenario: two length-changing rewrites in flight in one direction
# ---------------------------------------------------------------------
def scen_inflight(a):
    Netns.enter(a.ns_pub)
    cap = Capture(a.if_pub)
    ls = listen(a.ns_pub, a.server, a.port)
    orig, rep = comma(a.client), comma(a.pub)
    cases = ["lost first", "one segment", "back to back"]
    if a.cases:
        cases = [c for i, c in enumerate(cases) if str(i) in a.cases.split(",")]
    p2 = a.port_base
    for case in cases:
        tag = "%s: %s" % (a.label, case)
        p2 += 2
        la = ("PORT %s,39,%d\r\n" % (orig, p2)).encode()
        lb = ("PORT %s,39,%d\r\n" % (orig, p2 + 1)).encode()
        want = la.replace(orig.encode(), rep.encode()) + \
            lb.replace(orig.encode(), rep.encode())
        try:
            raw, app, far = raw_client_conn(a, ls, cap)
        except (PeerError, OSError) as e:
            fail("%s: %s" % (tag, e))
            continue
        try:
            if case == "lost first":
                raw.send_at(0, la, tos=DSCP_LOSE)
                raw.send_at(len(la), lb)
                segs = [(0, la), (len(la), lb)]
            elif case == "one segment":
                segs = [(0, la + lb)]
                raw.send_at(0, la + lb)
            else:
                segs = [(0, la), (len(la), lb)]
                raw.send_at(0, la)
                raw.send_at(len(la), lb)
            del segs
            # the sends above were the first transmissions; now behave
            # like a TCP: retransmit (collapsed) until all is acknowledged
            retr = 0
            for _ in range(8):
                try:
                    raw.wait_acked(len(la) + len(lb), 0.4)
                    break
                except PeerError:
                    k = raw.snd_una
                    raw.send_at(k, (la + lb)[k:])
                    retr += 1
            got = app.read_until(len(want), 2.0)
            got = app.read_more(0.1)
            check(got == want, "%s: server stream exact (both rewritten, %d "
                  "retransmission(s))" % (tag, retr),
                  "%s: server stream %r, expected %r" % (tag, got, want))
            check_wire(tag, far, want, "the server")
            app.send(b"200 PORT ok.\r\n200 PORT ok.\r\n")
            try:
                raw.wait_rx_text(b"200 PORT ok.\r\n200 PORT ok.\r\n")
                later_command(tag, raw, far, app, len(la) + len(lb),
                              len(want), "NOOP\r\n", "200 NOOP ok.\r\n")
            except PeerError as e:
                fail("%s: afterwards: %s" % (tag, e))
        finally:
            app.close()
            raw.close()


# ---------------------------------------------------------------------
# scenario: an ICMP error about the control connection is not its payload
# ---------------------------------------------------------------------
def icmp_time_exceeded(inner_src, inner_dst, sport, dport, unused, payload):
    """ICMP time exceeded quoting a TCP segment inner_src:sport ->
    inner_dst:dport that carries payload.  Read by a helper as if it were
    a TCP segment (protoff at the ICMP header), it would have: sequence
    number = unused (ICMP bytes 4-7), data offset 5 and no flags (the
    quoted IP header's identification, 0x5000), payload from ICMP byte 20
    on: the quoted addresses, TCP header and payload."""
    tcph = struct.pack("!HHIIBBHHH", sport, dport, 0x11223344, 0x55667788,
                       0x50, 0x18, 65535, 0, 0)
    iph = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40 + len(payload), 0x5000,
                      0, 64, socket.IPPROTO_TCP, 0,
                      socket.inet_aton(inner_src), socket.inet_aton(inner_dst))
    iph = iph[:10] + struct.pack("!H", rawtcp.checksum(iph)) + iph[12:]
    icmp = struct.pack("!BBHI", 11, 0, 0, unused) + iph + tcph + payload
    return icmp[:2] + struct.pack("!H", rawtcp.checksum(icmp)) + icmp[4:]


def icmp_seen(sock, timeout):
    """An ICMP time exceeded read from the raw ICMP socket sock."""
    end = time.time() + timeout
    while time.time() < end:
        r, _, _ = select.select([sock], [], [], max(0.0, end - time.time()))
        if not r:
            break
        pkt = sock.recv(65535)
        ihl = (pkt[0] & 15) * 4
        if len(pkt) > ihl and pkt[ihl] == 11:
            return True
    return False


def scen_icmp(a):
    """An ICMP error travelling towards the server, about a segment the
    server sent: the router's conntrack gives it the control connection
    as IP_CT_RELATED in the original direction, and nf_confirm() calls
    the helper for it.  It quotes a PORT line and carries the client's
    next sequence number where a TCP header's would be: a helper that
    took it for client payload would rewrite and expect that PORT (and
    shift the connection's sequence numbers).  Then the real PORT."""
    Netns.enter(a.ns_pub)
    cap = Capture(a.if_pub)
    ls = listen(a.ns_pub, a.server, a.port)
    icmp_rx = socket.socket(socket.AF_INET, socket.SOCK_RAW,
                            socket.IPPROTO_ICMP)
    Netns.enter(a.ns_in)
    icmp_tx = socket.socket(socket.AF_INET, socket.SOCK_RAW,
                            socket.IPPROTO_ICMP)
    tag = a.label
    p2 = a.port_base
    raw, app, far = raw_client_conn(a, ls, cap)
    try:
        before = stats()
        forged = ("\r\nPORT %s,39,%d\r\n" % (comma(a.client), p2)).encode()
        for _ in range(3):
            icmp_tx.sendto(icmp_time_exceeded(a.server, a.client, a.port,
                                              raw.lport,
                                              rawtcp.seq_add(raw.iss, 1),
                                              forged), (a.server, 0))
        check(icmp_seen(icmp_rx, 3.0),
              "%s: the ICMP errors crossed the router (related to the "
              "control connection)" % tag,
              "%s: no ICMP error reached the server's side" % tag)
        time.sleep(0.2)
        exp = expect_list()
        check("dport=%d " % (39 * 256 + p2) not in exp + " ",
              "%s: no expectation for the PORT inside the ICMP errors" % tag,
              "%s: the ICMP errors' PORT was expected: %s" % (tag, exp))
        info("%s: counters after the ICMP errors: %s"
             % (tag, stats_delta(before)))
        line = port_line(a.client, a.pub, p2 + 1)
        raw.send_reliably([(0, line.o)])
        app.read_until(len(line.r), 2.0)
        got = app.read_more(0.1)
        check(got == line.r, "%s: then the real PORT reached the server "
              "rewritten, at the right sequence numbers" % tag,
              "%s: then the server read %r, expected %r"
              % (tag, got, line.r))
        exp = expect_list()
        check("dport=%d " % (39 * 256 + p2 + 1) in exp + " ",
              "%s: and was expected" % tag,
              "%s: the real PORT was not expected: %s" % (tag, exp))
        check_wire(tag, far, bytes(app.rx), "the server")
    finally:
        app.close()
        raw.close()
        icmp_tx.close()
        icmp_rx.close()


SCENARIOS = {
    "port": scen_port,
    "pasv": scen_pasv,
    "pairing": scen_pairing,
    "prefix": scen_prefix,
    "hole": scen_hole,
    "hole_srv": scen_hole_srv,
    "hole_pipe": scen_hole_pipe,
    "inflight": scen_inflight,
    "icmp": scen_icmp,
}


def main():
    global ARGS, TRACE
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("scenario", choices=sorted(SCENARIOS))
    ap.add_argument("--ns-in", dest="ns_in")
    ap.add_argument("--ns-rtr", dest="ns_rtr")
    ap.add_argument("--ns-pub", dest="ns_pub")
    ap.add_argument("--ns-srv", dest="ns_srv")
    ap.add_argument("--if-pub", dest="if_pub", default="p0")
    ap.add_argument("--if-srv", dest="if_srv", default="s0")
    ap.add_argument("--if-in", dest="if_in", default="a0")
    ap.add_argument("--client", help="the client's own address")
    ap.add_argument("--server", help="the server's own address")
    ap.add_argument("--pub", default="203.0.113.1",
                    help="the router's public address")
    ap.add_argument("--port", type=int, default=2121)
    ap.add_argument("--vport", type=int, default=2121,
                    help="public port the client dials (DNAT)")
    ap.add_argument("--port-base", type=int, default=15,
                    help="low byte of the first data port (39,N)")
    ap.add_argument("--variants", default="ackloss,lost",
                    help="ackloss, lost, acked (see retrans_checks)")
    ap.add_argument("--only", default="", help="offset names to run")
    ap.add_argument("--cases", default="",
                    help="pairing/prefix/inflight: case numbers to run")
    ap.add_argument("--label", default="")
    ap.add_argument("--nat", type=int, default=1,
                    help="hole scenarios: the connection is NATed")
    ap.add_argument("--ns-far", dest="ns_far", help="hole: the server's ns")
    ap.add_argument("--if-far", dest="if_far", help="hole: its interface")
    ap.add_argument("--ns-cli", dest="ns_cli", help="hole_srv: client's ns")
    ap.add_argument("--if-cli", dest="if_cli", help="hole_srv: interface")
    ap.add_argument("--dial", help="hole_srv: the address the client dials")
    ap.add_argument("--repeat", type=int, default=1,
                    help="hole_pipe: connections to run")
    ap.add_argument("--strict-counters", dest="strict_counters", type=int,
                    default=1, help="any rise of rewrite_fail fails")
    ap.add_argument("--portmapctl", default="")
    ap.add_argument("--trace")
    ARGS = ap.parse_args()
    if ARGS.trace:
        TRACE = open(ARGS.trace, "a")
    ARGS.label = ARGS.label or ARGS.scenario
    before = stats()
    t0 = time.monotonic()
    try:
        SCENARIOS[ARGS.scenario](ARGS)
    except (PeerError, OSError) as e:
        fail("%s: %s" % (ARGS.label, e))
    info("%s: %d ok, %d failed, %.1fs; router counters: %s"
         % (ARGS.label, RESULTS["ok"], RESULTS["fail"],
            time.monotonic() - t0, stats_delta(before)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
