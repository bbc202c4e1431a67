#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""TCP peers for the robustness suite (tests/netns/robust.sh).

Every mode uses the kernel's own TCP (plain sockets): the router in the
middle sees real handshakes, resets and retransmissions.

    robust_peer.py connects ADDR PORT COUNT [--syn-only] [--batch N]
        COUNT non-blocking connects, BATCH at a time.  Default: wait for
        each to end (refused, connected or timed out) and close it.  With
        --syn-only: close each socket as soon as its SYN is sent (for a
        router that drops them).  Prints "connects N refused N
        connected N timeout N errors N".

    robust_peer.py listen PORT [--report FILE]
        Accept connections and read and discard what they send; never
        send anything (a silent server / a sink).  Prints "listening",
        and, on SIGTERM or every second into FILE, "accepted N bytes N".

    robust_peer.py hold ADDR PORT COUNT
        Open COUNT connections (handshake only, nothing sent) and print
        "held N".  On SIGUSR1 send "NOOP\\r\\n" once on each and print
        "sent N"; on SIGTERM close them all and exit.

    robust_peer.py pump ADDR PORT FLOWS SECONDS
        FLOWS connections, each writing 64 KiB at a time of a continuous
        "NOOP\\r\\n" stream, for SECONDS; a broken connection is
        reopened.  Prints "bytes N writes N reconnects N flows N".

    robust_peer.py ct-delete PORT SECONDS
        In the router's namespace: dump the conntrack table and delete
        every TCP entry of PORT (original destination or reply source
        port), over and over for SECONDS, by ctnetlink as conntrack -D
        does.  Prints "deleted N rounds N".

    robust_peer.py ftp-pending ADDR PORT pasv|port [OWN_ADDR]
        An FTP client that logs in anonymously and sends PASV (or PORT
        naming OWN_ADDR and a listening port), prints the server's reply
        line, then "pending", and keeps the control connection open,
        opening no data connection, until SIGTERM.
"""
import errno
import os
import select
import signal
import socket
import struct
import sys
import time

STOP = False


def on_term(_sig, _frm):
    global STOP
    STOP = True


def raise_nofile(want):
    try:
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < want:
            resource.setrlimit(resource.RLIMIT_NOFILE,
                               (min(want, hard) if hard > 0 else want, hard))
    except (ImportError, ValueError, OSError):
        pass


def cmd_connects(argv):
    addr, port, count = argv[0], int(argv[1]), int(argv[2])
    syn_only = "--syn-only" in argv
    batch = 256
    if "--batch" in argv:
        batch = int(argv[argv.index("--batch") + 1])
    raise_nofile(batch + 64)
    res = {"connects": 0, "refused": 0, "connected": 0, "timeout": 0,
           "errors": 0}
    done = 0
    while done < count:
        n = min(batch, count - done)
        socks = []
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            # No lingering state on close: no FIN handshake, no TIME_WAIT.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                         b"\x01\x00\x00\x00\x00\x00\x00\x00")
            err = s.connect_ex((addr, port))
            res["connects"] += 1
            if err not in (0, errno.EINPROGRESS):
                res["errors"] += 1
                s.close()
                continue
            if syn_only:
                s.close()
            else:
                socks.append(s)
        pend = {s.fileno(): s for s in socks}
        poll = select.poll()
        for fd in pend:
            poll.register(fd, select.POLLOUT | select.POLLERR |
                          select.POLLHUP)
        deadline = time.monotonic() + 20
        while pend and time.monotonic() < deadline:
            for fd, _ev in poll.poll(1000):
                s = pend.pop(fd, None)
                if s is None:
                    continue
                poll.unregister(fd)
                e = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if e == errno.ECONNREFUSED:
                    res["refused"] += 1
                elif e == 0:
                    res["connected"] += 1
                else:
                    res["errors"] += 1
                s.close()
        for s in pend.values():
            res["timeout"] += 1
            s.close()
        done += n
    print(" ".join("%s %d" % kv for kv in res.items()), flush=True)
    return 0


def cmd_listen(argv):
    port = int(argv[0])
    report = None
    if "--report" in argv:
        report = argv[argv.index("--report") + 1]
    raise_nofile(65536)
    signal.signal(signal.SIGTERM, on_term)
    ls = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    ls.bind(("::", port))
    ls.listen(4096)
    ls.setblocking(False)
    ep = select.epoll()
    ep.register(ls.fileno(), select.EPOLLIN)
    conns = {}
    accepted = 0
    total = 0
    last = 0.0
    print("listening", flush=True)

    def write_report():
        if report:
            with open(report + ".tmp", "w") as f:
                f.write("accepted %d bytes %d\n" % (accepted, total))
            os.replace(report + ".tmp", report)

    while not STOP:
        try:
            events = ep.poll(0.5)
        except InterruptedError:
            continue
        for fd, _ev in events:
            if fd == ls.fileno():
                while True:
                    try:
                        c, _peer = ls.accept()
                    except (BlockingIOError, InterruptedError):
                        break
                    except OSError:
                        break
                    c.setblocking(False)
                    conns[c.fileno()] = c
                    ep.register(c.fileno(), select.EPOLLIN)
                    accepted += 1
                continue
            c = conns.get(fd)
            if c is None:
                continue
            try:
                data = c.recv(1 << 20)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                data = b""
            if data:
                total += len(data)
                continue
            ep.unregister(fd)
            del conns[fd]
            c.close()
        now = time.monotonic()
        if now - last >= 1:
            last = now
            write_report()
    write_report()
    print("accepted %d bytes %d" % (accepted, total), flush=True)
    return 0


def cmd_hold(argv):
    addr, port, count = argv[0], int(argv[1]), int(argv[2])
    raise_nofile(count + 64)
    socks = []
    flags = {"send": False}

    def on_usr1(_sig, _frm):
        flags["send"] = True

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGUSR1, on_usr1)
    for i in range(count):
        s = socket.create_connection((addr, port), timeout=20)
        socks.append(s)
        if STOP:
            break
    print("held %d" % len(socks), flush=True)
    sent = False
    while not STOP:
        if flags["send"] and not sent:
            n = 0
            for s in socks:
                try:
                    s.sendall(b"NOOP\r\n")
                    n += 1
                except OSError:
                    pass
            sent = True
            print("sent %d" % n, flush=True)
        time.sleep(0.2)
    for s in socks:
        s.close()
    return 0


def cmd_pump(argv):
    addr, port, flows, secs = argv[0], int(argv[1]), int(argv[2]), \
        float(argv[3])
    signal.signal(signal.SIGTERM, on_term)
    line = b"NOOP\r\n"
    block = 65536
    # A continuous stream: each write starts where the last one ended.
    pattern = line * (block // len(line) + 2)
    st = {"bytes": 0, "writes": 0, "reconnects": 0, "flows": flows}
    socks = [None] * flows
    offs = [0] * flows

    def dial(i):
        try:
            s = socket.create_connection((addr, port), timeout=5)
            s.setblocking(False)
            socks[i] = s
            offs[i] = 0
        except OSError:
            socks[i] = None

    for i in range(flows):
        dial(i)
    end = time.monotonic() + secs
    while not STOP and time.monotonic() < end:
        for i in range(flows):
            if socks[i] is None:
                st["reconnects"] += 1
                dial(i)
        live = [s for s in socks if s is not None]
        if not live:
            time.sleep(0.2)
            continue
        _r, w, _x = select.select([], live, [], 0.5)
        for s in w:
            i = socks.index(s)
            o = offs[i]
            try:
                n = s.send(memoryview(pattern)[o:o + block])
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                s.close()
                socks[i] = None
                continue
            st["bytes"] += n
            st["writes"] += 1
            offs[i] = (o + n) % len(line)
    for s in socks:
        if s is not None:
            s.close()
    print(" ".join("%s %d" % kv for kv in st.items()), flush=True)
    return 0


def read_reply(f):
    """The final line of one FTP reply (multi-line replies skipped)."""
    first = f.readline()
    if not first:
        raise EOFError("connection closed")
    line = first
    if len(first) > 3 and first[3:4] == "-":
        code = first[:3]
        while not (line.startswith(code) and line[3:4] == " "):
            line = f.readline()
            if not line:
                raise EOFError("connection closed in a reply")
    if line[:1] == "1":
        return read_reply(f)
    return line.rstrip("\r\n")


def cmd_ftp_pending(argv):
    addr, port, mode = argv[0], int(argv[1]), argv[2]
    signal.signal(signal.SIGTERM, on_term)
    s = socket.create_connection((addr, port), timeout=20)
    f = s.makefile("r", encoding="latin-1", newline="\r\n")

    def cmd(text):
        s.sendall(text.encode() + b"\r\n")
        return read_reply(f)

    read_reply(f)
    cmd("USER anonymous")
    cmd("PASS robust@example.org")
    lsock = None
    if mode == "pasv":
        reply = cmd("PASV")
    else:
        own = argv[3]
        lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        lsock.bind((own, 0))
        lsock.listen(1)
        p = lsock.getsockname()[1]
        reply = cmd("PORT %s,%d,%d" % (own.replace(".", ","), p >> 8,
                                       p & 255))
    print(reply, flush=True)
    print("pending", flush=True)
    while not STOP:
        time.sleep(0.2)
    s.close()
    if lsock:
        lsock.close()
    return 0


NETLINK_NETFILTER = 12
NFNL_SUBSYS_CTNETLINK = 1
IPCTNL_MSG_CT_GET = 1
IPCTNL_MSG_CT_DELETE = 2
CTA_TUPLE_ORIG = 1
CTA_TUPLE_REPLY = 2
CTA_TUPLE_PROTO = 2
CTA_PROTO_NUM = 1
CTA_PROTO_SRC_PORT = 2
CTA_PROTO_DST_PORT = 3
NLM_F_REQUEST = 1
NLM_F_ACK = 4
NLM_F_DUMP = 0x300
NLMSG_ERROR = 2
NLMSG_DONE = 3


def nl_attrs(buf):
    """(type, payload, whole attribute) of a run of netlink attributes."""
    off = 0
    out = []
    while off + 4 <= len(buf):
        alen, atype = struct.unpack_from("=HH", buf, off)
        if alen < 4:
            break
        out.append((atype & 0x3fff, buf[off + 4:off + alen],
                    buf[off:off + alen]))
        off += (alen + 3) & ~3
    return out


def tuple_port(tup, which):
    """A TCP port (host order) of a CTA_TUPLE_* payload, or None."""
    for atype, pay, _whole in nl_attrs(tup):
        if atype != CTA_TUPLE_PROTO:
            continue
        a = {t: p for t, p, _w in nl_attrs(pay)}
        if a.get(CTA_PROTO_NUM) != b"\x06" or which not in a:
            return None
        return struct.unpack("!H", a[which][:2])[0]
    return None


def cmd_ct_delete(argv):
    """Delete, again and again, the conntrack entries of port PORT.

    What "conntrack -D -p tcp --orig-port-dst PORT" does (a dump, then a
    delete per entry found, by its tuple), in one process, so that it
    runs as often as the CPU allows rather than once per program start.
    Entries are picked by their original destination port or their reply
    source port and deleted by the original and the reply tuple in turn.
    """
    port, secs = int(argv[0]), float(argv[1])
    signal.signal(signal.SIGTERM, on_term)
    sk = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    sk.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    sk.bind((0, 0))
    seq = 0
    deleted = rounds = 0
    nfgen = struct.pack("=BBH", socket.AF_INET, 0, 0)

    def send(mtype, flags, payload):
        nonlocal seq
        seq += 1
        body = nfgen + payload
        sk.send(struct.pack("=IHHII", 16 + len(body),
                            (NFNL_SUBSYS_CTNETLINK << 8) | mtype, flags,
                            seq, 0) + body)
        return seq

    def replies(want):
        """Messages up to DONE/ERROR of sequence @want."""
        while True:
            buf = sk.recv(1 << 20)
            off = 0
            while off + 16 <= len(buf):
                mlen, mtyp, _fl, mseq, _pid = struct.unpack_from(
                    "=IHHII", buf, off)
                m = buf[off:off + mlen]
                off += (mlen + 3) & ~3
                if mseq != want:
                    continue
                if mtyp in (NLMSG_DONE, NLMSG_ERROR):
                    yield mtyp, m
                    return
                yield mtyp, m

    end = time.monotonic() + secs
    side = 0
    while not STOP and time.monotonic() < end:
        rounds += 1
        picked = []
        for mtyp, m in replies(send(IPCTNL_MSG_CT_GET,
                                    NLM_F_REQUEST | NLM_F_DUMP, b"")):
            if mtyp in (NLMSG_DONE, NLMSG_ERROR):
                break
            a = {t: (p, w) for t, p, w in nl_attrs(m[20:])}
            if CTA_TUPLE_ORIG not in a or CTA_TUPLE_REPLY not in a:
                continue
            if (tuple_port(a[CTA_TUPLE_ORIG][0], CTA_PROTO_DST_PORT) == port
                    or tuple_port(a[CTA_TUPLE_REPLY][0],
                                  CTA_PROTO_SRC_PORT) == port):
                picked.append(a[CTA_TUPLE_ORIG + side][1])
        for whole in picked:
            for mtyp, m in replies(send(IPCTNL_MSG_CT_DELETE,
                                        NLM_F_REQUEST | NLM_F_ACK, whole)):
                if mtyp == NLMSG_ERROR and \
                        struct.unpack_from("=i", m, 16)[0] == 0:
                    deleted += 1
        side ^= 1
    print("deleted %d rounds %d" % (deleted, rounds), flush=True)
    return 0


def main(argv):
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    modes = {"connects": cmd_connects, "listen": cmd_listen,
             "hold": cmd_hold, "pump": cmd_pump,
             "ftp-pending": cmd_ftp_pending, "ct-delete": cmd_ct_delete}
    if argv[0] not in modes:
        print(__doc__, file=sys.stderr)
        return 2
    return modes[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
