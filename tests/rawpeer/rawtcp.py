#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""rawtcp - a TCP peer made of raw sockets, for sequence-exact tests.

Python standard library only.  A RawConn is one end of a TCP connection
whose every segment is built by hand (TCP header and checksum, IPv4 or
IPv6) and sent through a raw IP socket: first transmissions,
retransmissions starting anywhere, duplicates, segments out of order or
beyond a hole, exactly as the test asks.  Segments from the other end are
read from the same raw socket (it gets a copy of every TCP packet the
namespace receives); in-order data is acknowledged as a TCP would.

The namespace's own kernel knows nothing of the connection and would
answer every segment with a RST: the caller drops outgoing RSTs there
(nft "tcp flags & rst == rst drop" on output).

Capture is an AF_PACKET socket on an interface of the far end's
namespace: it records the sequence number and payload of every segment
that arrives there (before netfilter of that namespace, so also segments
a rule there drops on purpose, e.g. to simulate a downstream loss).

Network namespaces: Netns.enter(name) moves the calling thread into
/run/netns/NAME (setns through ctypes); sockets keep the namespace they
were created in, so one single-threaded process can drive a raw peer in
one namespace, a normal TCP endpoint and a capture in another.

Sequence numbers in the API are offsets: 0 is the first payload byte
(ISN + 1) of the direction, on the wire seq = ISN + 1 + offset.
"""

import ctypes
import ctypes.util
import errno
import ipaddress
import os
import random
import select
import socket
import struct
import time

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
ETH_P_IPV6 = 0x86DD
PACKET_OUTGOING = 4

# Segments the test wants lost after the router: a DSCP the far end's
# namespace drops in prerouting (after the capture saw them).
DSCP_LOSE = 0x20          # TOS byte 0x20 = DSCP CS1

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)


class Netns:
    """Switch the calling thread between network namespaces."""

    _home = None

    @classmethod
    def enter(cls, name):
        if cls._home is None:
            cls._home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        path = name if name.startswith("/") else "/run/netns/" + name
        fd = os.open(path, os.O_RDONLY)
        try:
            if _libc.setns(fd, CLONE_NEWNET) != 0:
                e = ctypes.get_errno()
                raise OSError(e, "setns %s: %s" % (name, os.strerror(e)))
        finally:
            os.close(fd)

    @classmethod
    def home(cls):
        if cls._home is not None and _libc.setns(cls._home, CLONE_NEWNET) != 0:
            e = ctypes.get_errno()
            raise OSError(e, "setns back: %s" % os.strerror(e))


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def seq_add(a, b):
    return (a + b) & 0xFFFFFFFF


def seq_diff(a, b):
    """a - b as a signed 32-bit difference."""
    d = (a - b) & 0xFFFFFFFF
    return d - (1 << 32) if d & 0x80000000 else d


def checksum(data):
    if len(data) & 1:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def pseudo_header(src, dst, length):
    a = ipaddress.ip_address(src)
    b = ipaddress.ip_address(dst)
    if a.version == 4:
        return a.packed + b.packed + struct.pack("!BBH", 0, socket.IPPROTO_TCP,
                                                 length)
    return a.packed + b.packed + struct.pack("!I3xB", length,
                                             socket.IPPROTO_TCP)


def build_tcp(src, dst, sport, dport, seq, ack, flags, win=65535,
              payload=b"", options=b""):
    """A TCP header + payload with a correct checksum."""
    while len(options) % 4:
        options += b"\x01"          # NOP padding
    doff = (20 + len(options)) // 4
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, doff << 4,
                      flags, win, 0, 0) + options
    seg = hdr + payload
    c = checksum(pseudo_header(src, dst, len(seg)) + seg)
    return seg[:16] + struct.pack("!H", c) + seg[18:]


class Segment:
    """A parsed TCP segment (from the raw socket or a capture)."""

    __slots__ = ("src", "dst", "sport", "dport", "seq", "ack", "flags",
                 "win", "payload", "tos", "outgoing", "t", "mss")

    def __str__(self):
        f = "".join(c for c, b in (("S", SYN), ("F", FIN), ("R", RST),
                                   ("P", PSH), (".", ACK)) if self.flags & b)
        return ("%s:%d > %s:%d [%s] seq %u ack %u len %d%s %r"
                % (self.src, self.sport, self.dst, self.dport, f, self.seq,
                   self.ack, len(self.payload),
                   " tos 0x%02x" % self.tos if self.tos else "",
                   self.payload[:80]))


def parse_tcp(tcp, src, dst, tos=0):
    if len(tcp) < 20:
        return None
    sport, dport, seq, ack, off, flags, win = struct.unpack("!HHIIBBH",
                                                            tcp[:16])
    doff = (off >> 4) * 4
    if doff < 20 or doff > len(tcp):
        return None
    s = Segment()
    s.src, s.dst, s.sport, s.dport = src, dst, sport, dport
    s.seq, s.ack, s.flags, s.win = seq, ack, flags, win
    s.payload = bytes(tcp[doff:])
    s.tos = tos
    s.outgoing = False
    s.t = time.monotonic()
    s.mss = None
    opts, i = tcp[20:doff], 0
    while i < len(opts):
        k = opts[i]
        if k == 0:
            break
        if k == 1:
            i += 1
            continue
        if i + 1 >= len(opts) or opts[i + 1] < 2:
            break
        if k == 2 and opts[i + 1] == 4:
            s.mss = struct.unpack("!H", opts[i + 2:i + 4])[0]
        i += opts[i + 1]
    return s


def parse_ip(pkt):
    """A TCP segment from an IPv4/IPv6 packet, or None."""
    if not pkt:
        return None
    v = pkt[0] >> 4
    if v == 4:
        ihl = (pkt[0] & 15) * 4
        if len(pkt) < ihl + 20 or pkt[9] != socket.IPPROTO_TCP:
            return None
        total = struct.unpack("!H", pkt[2:4])[0]
        src = socket.inet_ntop(socket.AF_INET, pkt[12:16])
        dst = socket.inet_ntop(socket.AF_INET, pkt[16:20])
        return parse_tcp(pkt[ihl:total], src, dst, pkt[1])
    if v == 6:
        if len(pkt) < 60 or pkt[6] != socket.IPPROTO_TCP:
            return None   # extension headers: not used by these tests
        plen = struct.unpack("!H", pkt[4:6])[0]
        tc = ((pkt[0] & 15) << 4) | (pkt[1] >> 4)
        src = socket.inet_ntop(socket.AF_INET6, pkt[8:24])
        dst = socket.inet_ntop(socket.AF_INET6, pkt[24:40])
        return parse_tcp(pkt[40:40 + plen], src, dst, tc)
    return None


def same_addr(a, b):
    return ipaddress.ip_address(a) == ipaddress.ip_address(b)


class Capture:
    """AF_PACKET capture of TCP segments on one interface (both ways).

    Create it in the namespace of the interface (Netns.enter first).
    Packets queue in the socket until read(), so nothing between two
    reads is missed (the buffer is made large)."""

    def __init__(self, ifname):
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM,
                                  socket.htons(ETH_P_ALL))
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.bind((ifname, ETH_P_ALL))
        self.ifname = ifname
        self.segs = []            # everything captured
        self.pending = []         # captured, not yet consumed

    def _fill(self, timeout):
        """Move what arrives within timeout (then what is queued) from
        the socket to self.pending."""
        end = time.monotonic() + timeout
        while True:
            left = max(0.0, end - time.monotonic())
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                return
            pkt, addr = self.sock.recvfrom(65535)
            if addr[1] not in (ETH_P_IP, ETH_P_IPV6):
                continue
            s = parse_ip(pkt)
            if s is None:
                continue
            s.outgoing = addr[2] == PACKET_OUTGOING
            self.segs.append(s)
            self.pending.append(s)
            end = time.monotonic()   # then drain without waiting

    def read(self, timeout=0.0):
        """Every segment not yet consumed; waits up to timeout for the
        first one when there is none."""
        if not self.pending:
            self._fill(timeout)
        else:
            self._fill(0.0)
        got, self.pending = self.pending, []
        return got

    def wait(self, pred, timeout):
        """The first not yet consumed segment with pred(seg), or None.
        Segments before it are consumed; those after it stay pending."""
        end = time.monotonic() + timeout
        while True:
            for i, s in enumerate(self.pending):
                if pred(s):
                    del self.pending[:i + 1]
                    return s
            self.pending = []
            left = end - time.monotonic()
            if left <= 0:
                return None
            self._fill(left)
            if not self.pending:
                return None

    def close(self):
        self.sock.close()


class PeerError(Exception):
    pass


class RawListener:
    """Passive open: catches a SYN to laddr:lport.  Create it before the
    peer connects (the SYN waits in the socket until accept())."""

    def __init__(self, laddr, lport, log=None):
        self.laddr, self.lport, self.log = laddr, lport, log
        self.fam = family_of(laddr)
        self.sock = socket.socket(self.fam, socket.SOCK_RAW,
                                  socket.IPPROTO_TCP)
        self.sock.bind((laddr, 0) if self.fam == socket.AF_INET
                       else (laddr, 0, 0, 0))

    def accept(self, timeout=5.0):
        """Wait for a SYN, answer SYN-ACK, wait for the ACK: a RawConn."""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise PeerError("no SYN to %s:%d within %.1fs"
                                % (self.laddr, self.lport, timeout))
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                continue
            pkt, addr = self.sock.recvfrom(65535)
            s = (parse_ip(pkt) if self.fam == socket.AF_INET
                 else parse_tcp(pkt, addr[0], self.laddr))
            if s and s.dport == self.lport and s.flags & SYN and \
                    not s.flags & ACK and same_addr(s.dst, self.laddr):
                break
        c = RawConn(self.laddr, s.src, s.sport, lport=self.lport,
                    log=self.log)
        c.irs = s.seq
        if s.mss:
            c.mss = min(c.mss, s.mss)
        c.accept_syn(timeout=max(1.0, end - time.monotonic()))
        return c

    def close(self):
        self.sock.close()


class RawConn:
    """One TCP connection driven segment by segment.

    laddr/lport: this end (lport 0: a random one); raddr/rport: the peer.
    Offsets (off) count payload bytes from ISN + 1 of each direction.
    """

    def __init__(self, laddr, raddr, rport, lport=0, mss=1460, win=65535,
                 log=None):
        self.fam = family_of(laddr)
        self.laddr, self.raddr, self.rport = laddr, raddr, rport
        self.lport = lport or random.randint(20000, 60000)
        self.mss, self.win = mss, win
        self.iss = random.getrandbits(32)
        self.irs = None
        self.snd_una = 0          # offsets
        self.snd_nxt = 0
        self.rcv_nxt = 0
        self.rx = bytearray()     # in-order data received
        self.rx_segs = []         # every segment received from the peer
        self.tx_log = []          # (off, len, tos) of every data send
        self.peer_fin = False
        self.fin_sent = False
        self.bad_acks = []        # ACKs of data never sent
        self.log = log or (lambda m: None)
        self.sock = socket.socket(self.fam, socket.SOCK_RAW,
                                  socket.IPPROTO_TCP)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.bind((laddr, 0) if self.fam == socket.AF_INET
                       else (laddr, 0, 0, 0))
        self._tos = None

    # -- sending ---------------------------------------------------------
    def _raw(self, seq, ack, flags, payload=b"", options=b"", tos=0):
        if tos != self._tos:
            if self.fam == socket.AF_INET:
                self.sock.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, tos)
            else:
                self.sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_TCLASS,
                                     tos)
            self._tos = tos
        seg = build_tcp(self.laddr, self.raddr, self.lport, self.rport, seq,
                        ack, flags, self.win, payload, options)
        dst = ((self.raddr, 0) if self.fam == socket.AF_INET
               else (self.raddr, 0, 0, 0))
        self.sock.sendto(seg, dst)

    def _ack_value(self):
        if self.irs is None:
            return 0
        return seq_add(self.irs, 1 + self.rcv_nxt + (1 if self.peer_fin
                                                     else 0))

    def send_at(self, off, data, tos=0, flags=PSH | ACK):
        """Send data as one segment at payload offset off."""
        if isinstance(data, str):
            data = data.encode("latin-1")
        self._raw(seq_add(self.iss, 1 + off), self._ack_value(), flags,
                  data, tos=tos)
        self.tx_log.append((off, len(data), tos))
        self.snd_nxt = max(self.snd_nxt, off + len(data))

    def send_ack(self):
        self._raw(seq_add(self.iss, 1 + self.snd_nxt), self._ack_value(),
                  ACK)

    # -- receiving -------------------------------------------------------
    def _mine(self, s):
        return (s.sport == self.rport and s.dport == self.lport
                and same_addr(s.src, self.raddr))

    def _recv(self, timeout):
        """Segments of this connection arriving within timeout (at least
        one if any arrives; then what is queued)."""
        out = []
        end = time.monotonic() + timeout
        while True:
            left = max(0.0, end - time.monotonic())
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                return out
            pkt, addr = self.sock.recvfrom(65535)
            if self.fam == socket.AF_INET:
                s = parse_ip(pkt)
            else:
                s = parse_tcp(pkt, addr[0], self.laddr)
            if s is None or not self._mine(s):
                continue
            out.append(s)
            end = time.monotonic()

    def _process(self, s):
        self.rx_segs.append(s)
        if s.flags & RST:
            raise PeerError("connection reset by the peer (or the router): "
                            "%s" % s)
        if self.irs is None:
            return
        if s.flags & ACK:
            a = seq_diff(s.ack, seq_add(self.iss, 1))
            if a > self.snd_nxt + (1 if self.fin_sent else 0):
                self.bad_acks.append(a)     # acknowledges unsent data
            elif a > self.snd_una:
                self.snd_una = min(a, self.snd_nxt)
        off = seq_diff(s.seq, seq_add(self.irs, 1))
        if s.payload:
            if off <= self.rcv_nxt < off + len(s.payload):
                self.rx += s.payload[self.rcv_nxt - off:]
                self.rcv_nxt = off + len(s.payload)
            # every data segment gets an ACK (a dup ACK if out of order)
            self.send_ack()
        if s.flags & FIN and off + len(s.payload) == self.rcv_nxt \
                and not self.peer_fin:
            self.peer_fin = True
            self.send_ack()

    def poll(self, timeout=0.0):
        """Process what arrives within timeout; returns the segments."""
        segs = self._recv(timeout)
        for s in segs:
            self._process(s)
        return segs

    def wait(self, cond, timeout, what):
        end = time.monotonic() + timeout
        while not cond():
            left = end - time.monotonic()
            if left <= 0:
                raise PeerError("timeout (%.1fs) waiting for %s" %
                                (timeout, what))
            self.poll(min(left, 0.2))

    def wait_acked(self, off, timeout=3.0):
        self.wait(lambda: self.snd_una >= off, timeout,
                  "the peer to ACK offset %d (acked %d)" % (off, self.snd_una))

    def wait_rx(self, n, timeout=3.0):
        """Until n bytes of in-order data have been received."""
        self.wait(lambda: len(self.rx) >= n, timeout,
                  "%d bytes from the peer (have %d: %r)"
                  % (n, len(self.rx), bytes(self.rx[-60:])))

    def wait_rx_count(self, text, n, timeout=3.0):
        """Until text occurs n times in the data received."""
        if isinstance(text, str):
            text = text.encode("latin-1")
        self.wait(lambda: self.rx.count(text) >= n, timeout,
                  "%r %d times from the peer (have %r)"
                  % (text, n, bytes(self.rx[-80:])))

    def wait_rx_text(self, text, timeout=3.0):
        if isinstance(text, str):
            text = text.encode("latin-1")
        self.wait(lambda: text in self.rx, timeout,
                  "%r from the peer (have %r)" % (text, bytes(self.rx[-80:])))

    # -- opening ----------------------------------------------------------
    def _syn_opts(self):
        return struct.pack("!BBH", 2, 4, self.mss)

    def connect(self, timeout=5.0):
        """Active open: SYN, SYN-ACK, ACK (SYN retried every second)."""
        end = time.monotonic() + timeout
        while True:
            self._raw(self.iss, 0, SYN, options=self._syn_opts())
            for s in self._recv(min(1.0, max(0.0, end - time.monotonic()))):
                self.rx_segs.append(s)
                if s.flags & RST:
                    raise PeerError("connect refused/reset: %s" % s)
                if s.flags & SYN and s.flags & ACK and \
                        s.ack == seq_add(self.iss, 1):
                    self.irs = s.seq
                    self.send_ack()
                    return
            if time.monotonic() >= end:
                raise PeerError("connect to %s:%d: no SYN-ACK within %.1fs"
                                % (self.raddr, self.rport, timeout))

    def accept_syn(self, timeout=5.0):
        end = time.monotonic() + timeout
        while True:
            self._raw(self.iss, seq_add(self.irs, 1), SYN | ACK,
                      options=self._syn_opts())
            for s in self._recv(min(1.0, max(0.0, end - time.monotonic()))):
                self.rx_segs.append(s)
                if s.flags & ACK and not s.flags & SYN and \
                        s.ack == seq_add(self.iss, 1):
                    if s.payload:
                        self._process(s)
                    return
            if time.monotonic() >= end:
                raise PeerError("no ACK for our SYN-ACK within %.1fs"
                                % timeout)

    # -- a sender that retransmits ---------------------------------------
    def send_reliably(self, segments, rto=0.3, tries=6, tos_first=None,
                      collapse=False):
        """Send [(off, data)...] in the given order, then retransmit what
        is not acknowledged every rto seconds, as a TCP would after its
        RTO: from snd_una, within the original segment boundaries, one
        segment at a time (go-back-N); with collapse, from snd_una to the
        end of everything unacknowledged in one segment (Linux collapses
        small segments on retransmission: tcp_retrans_collapse).  Returns
        the number of retransmissions.  tos_first: a TOS for the first
        transmission of each segment (DSCP_LOSE)."""
        segs = []
        for off, data in segments:
            if isinstance(data, str):
                data = data.encode("latin-1")
            segs.append((off, data))
            self.send_at(off, data, tos=tos_first or 0)
        if not segs:
            return 0
        end_all = max(off + len(d) for off, d in segs)
        start_all = min(off for off, d in segs)
        retrans = 0
        for _ in range(tries):
            try:
                self.wait_acked(end_all, rto)
                return retrans
            except PeerError:
                pass
            if collapse:
                stream = bytearray(end_all - start_all)
                for off, data in segs:
                    stream[off - start_all:off - start_all + len(data)] = data
                k = max(self.snd_una, start_all)
                self.send_at(k, bytes(stream[k - start_all:]))
                retrans += 1
                continue
            for off, data in sorted(segs, key=lambda x: x[0]):
                if off + len(data) <= self.snd_una:
                    continue
                k = max(0, self.snd_una - off)
                self.send_at(off + k, data[k:])
                retrans += 1
                break
        self.wait_acked(end_all, rto)
        return retrans

    def close(self):
        self.sock.close()


def errno_name(e):
    return errno.errorcode.get(e, str(e))
