#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR MIT
"""Generate the project's own FTP control-stream corpus.

    gen-corpus.py [--seed N] [--sessions N] OUTDIR

Writes three files into OUTDIR, the same every time for the same seed:

  session-client.txt  client-to-server command lines of --sessions sessions
                      (default 400), CR LF; a session starts at USER and
                      ends at QUIT.
  session-server.txt  the server's side of the same sessions, aligned with
                      the client's: per session the greeting, then exactly
                      one reply group per command (1yz preliminary lines,
                      then the final reply; multi-line replies as servers
                      send them).  tests/bench/bench_ftp relies on that.
  variants.tsv        single control lines with the endpoint a parser must
                      read from them: DIRECTION<TAB>EXPECT<TAB>LINE, where
                      DIRECTION is c (client to server) or s, and EXPECT is
                      ip:port, [v6]:port, :port (229), none (no endpoint)
                      or reject.  Read by tests/unit and tests/fuzz.

The sessions imitate the dialogues of real servers (vsftpd, ProFTPD,
Pure-FTPd, FileZilla Server, Microsoft IIS, Serv-U) with real clients
(lftp, curl, FileZilla, Windows ftp.exe): their greetings, FEAT lists,
reply wordings (227 with and without a trailing period, 229, 125/150
then 226, multi-line 226 and 221), passive and active mode, IPv4 EPRT,
failed commands.  Addresses are private (RFC 1918) or documentation
(RFC 5737/3849) ones; names and sizes are random.

The variant lines are built from the endpoint they must yield, so the
expectation is known by construction, not computed by a parser: valid
wordings of 227/229/PORT/EPRT with random endpoints (leading zeros,
lower case, other delimiters, every IPv6 text form), and lines a strict
parser must refuse (octets or ports out of range, missing or extra
fields, wrong EPRT family, bad delimiters, over-long lines), and lines
that carry no endpoint (wrong direction, multi-line replies, words that
only start like a command).  The rules are those of docs/parser.md.
"""
import argparse
import ipaddress
import os
import random
import sys

# ---------------------------------------------------------------------
# addresses and ports
# ---------------------------------------------------------------------


def private_v4(r):
    """A private IPv4 address, as servers behind NAT announce them."""
    k = r.random()
    if k < 0.45:
        return "10.%d.%d.%d" % (r.randrange(256), r.randrange(256),
                                r.randrange(1, 255))
    if k < 0.75:
        return "192.168.%d.%d" % (r.randrange(256), r.randrange(1, 255))
    return "172.%d.%d.%d" % (r.randrange(16, 32), r.randrange(256),
                             r.randrange(1, 255))


def any_v4(r):
    """Any IPv4 address (documentation, private or public-looking)."""
    k = r.random()
    if k < 0.5:
        return private_v4(r)
    if k < 0.7:
        return "%s.%d" % (r.choice(["192.0.2", "198.51.100", "203.0.113"]),
                          r.randrange(1, 255))
    return "%d.%d.%d.%d" % (r.randrange(1, 224), r.randrange(256),
                            r.randrange(256), r.randrange(256))


def tuple_text(addr, port, pad=False):
    """h1,h2,h3,h4,p1,p2; pad: every number with 3 digits."""
    nums = [int(x) for x in addr.split(".")] + [port >> 8, port & 255]
    fmt = "%03d" if pad else "%d"
    return ",".join(fmt % n for n in nums)


def v6_forms(r):
    """(text as written on the wire, canonical address) pairs."""
    out = []
    net = r.choice(["2001:db8:", "2001:db8:1:", "fd00:10:", "fd12:3456:"])
    host = "%x" % r.randrange(1, 0xffff)
    a = ipaddress.IPv6Address(net + ":" + host)
    out.append((a.compressed, a))                     # 2001:db8::5
    out.append((a.exploded, a))                       # all 8 groups, zeros
    out.append((a.compressed.upper(), a))             # upper case hex
    v4 = private_v4(r)
    m = ipaddress.IPv6Address("::ffff:" + v4)
    out.append(("::ffff:" + v4, m))                   # v4-mapped, dotted
    out.append((m.compressed, m))                     # v4-mapped, hex
    n64 = ipaddress.IPv6Address("64:ff9b::" + v4)
    out.append(("64:ff9b::" + v4, n64))               # NAT64 prefix, dotted
    ll = ipaddress.IPv6Address("fe80::%x:%x" % (r.randrange(1, 0xffff),
                                                r.randrange(1, 0xffff)))
    out.append((ll.compressed, ll))
    full = ipaddress.IPv6Address(":".join("%x" % r.randrange(1, 0xffff)
                                          for _ in range(8)))
    out.append((full.compressed, full))               # no :: at all
    return out


def data_port(r):
    return r.choice([r.randrange(1024, 65536), r.randrange(30000, 50000),
                     r.randrange(49152, 65536)])


def ep4(addr, port):
    return "%s:%d" % (addr, port)


def ep6(addr, port):
    return "[%s]:%d" % (addr.compressed, port)


# ---------------------------------------------------------------------
# variant lines
# ---------------------------------------------------------------------

EPRT_DELIMS = "|!#$&*+/;=?@^_~-"


def variants(r):
    """(direction, expectation, line) triples."""
    v = []

    def add(d, e, t):
        v.append((d, e, t))

    # --- 227: the wordings servers use
    w227 = [
        "227 Entering Passive Mode (%s)",                  # ProFTPD, FileZilla
        "227 Entering Passive Mode (%s).",                 # vsftpd, IIS
        "227 Entering Passive Mode %s",
        "227 Entering Passive Mode. %s",
        "227 Entering passive mode (%s)",
        "227 =%s",
        "227 %s",
        "227 Data transfer will passively listen to %s",
        "227 Passive Mode (%s) OK",
        "227 Entering Passive Mode 2 (%s)",                # a digit run first
        "227 PASV ok (%s)",
        "227  Entering Passive Mode (%s)",                 # two spaces
    ]
    for w in w227:
        for _ in range(3):
            a, p = private_v4(r), data_port(r)
            add("s", ep4(a, p), w % tuple_text(a, p))
    for _ in range(4):                                     # leading zeros
        a, p = private_v4(r), data_port(r)
        add("s", ep4(a, p),
            "227 Entering Passive Mode (%s)" % tuple_text(a, p, pad=True))
    for p in (1, 255, 256, 1023, 65535):                   # port edges
        a = any_v4(r)
        add("s", ep4(a, p), "227 Entering Passive Mode (%s)." %
            tuple_text(a, p))
    a, p = "0.0.0.0", data_port(r)                          # 0.0.0.0 parses
    add("s", ep4(a, p), "227 Entering Passive Mode (%s)" % tuple_text(a, p))
    for t in ("227 Logout.", "227 Passive mode 5", "227 ok", "227",
              "227 Entering Passive Mode", "227 Entering Passive Mode ()"):
        add("s", "none", t)
    for _ in range(2):
        a, p = private_v4(r), data_port(r)
        h = a.split(".")
        q = [p >> 8, p & 255]
        bad = [
            "(%s,%s,%s,%d,%d,%d)" % (h[0], h[1], h[2], 256 + r.randrange(700),
                                     q[0], q[1]),          # octet > 255
            "(%s,%s,%s,%s,%d,%d)" % (h[0], h[1], h[2], h[3],
                                     256 + r.randrange(700), q[1]),
            "(%s,%s,%s,%s,%d,%d)" % (h[0], h[1], h[2], h[3], q[0],
                                     256 + r.randrange(700)),
            "(%s,%s,%s,%s,0,0)" % tuple(h),                # port 0
            "(%s,%s,%s,%s,%d)" % (h[0], h[1], h[2], h[3], q[0]),
            "(%s,%s,%s,%s,%d,%d,%d)" % (h[0], h[1], h[2], h[3], q[0], q[1],
                                        r.randrange(256)),  # seven numbers
            "(%s,%s,%s,%s,%d,)" % (h[0], h[1], h[2], h[3], q[0]),
            "(%s, %s, %s, %s, %d, %d)" % (h[0], h[1], h[2], h[3], q[0],
                                          q[1]),           # spaces
            "(%s,%s,%s,%s,-%d,%d)" % (h[0], h[1], h[2], h[3], q[0], q[1]),
            "(%d,%s,%s,%s,%d,%d)" % (r.randrange(100000, 10 ** 12), h[1],
                                     h[2], h[3], q[0], q[1]),  # > 5 digits
            "(%s,%s,%s,%s,%d,%d" % (h[0], h[1], h[2], h[3], q[0],
                                    r.randrange(10 ** 6, 10 ** 9)),
        ]
        for b in bad:
            add("s", "reject", "227 Entering Passive Mode " + b)

    # --- 229
    w229 = [
        "229 Entering Extended Passive Mode (%s)",
        "229 Entering Extended Passive Mode (%s).",
        "229 Extended Passive mode OK (%s)",              # Pure-FTPd
        "229 EPSV ok (%s)",
        "229 Entering Extended Passive Mode (%s) ready",
        "229 (%s)",
    ]
    for w in w229:
        for _ in range(3):
            p = data_port(r)
            d = r.choice("|||||!#$%&*+/;=?@^_~-")
            add("s", ":%d" % p, w % (d * 3 + str(p) + d))
    for p in (1, 21, 65535):
        add("s", ":%d" % p, "229 Entering Extended Passive Mode (|||%d|)" % p)
    p = data_port(r)
    add("s", ":%d" % p, "229 Entering Extended Passive Mode (|||%05d|)" % p
        if p < 10000 else "229 Entering Extended Passive Mode (|||%d|)" % p)
    for b in ("(|||0|)", "(|||65536|)", "(|||%d|)" % r.randrange(70000, 99999),
              "(||%d|)" % data_port(r), "(|||%d)" % data_port(r),
              "(|||%d" % data_port(r), "(|||%d||)" % data_port(r),
              "(   %d )" % data_port(r), "(|||-%d|)" % data_port(r),
              "(|||%d|" % data_port(r), "(|!|%d|)" % data_port(r),
              "(|||1234567|)"):
        add("s", "reject", "229 Entering Extended Passive Mode " + b)
    add("s", "reject", "229 Entering Extended Passive Mode")
    add("s", "reject", "229 Entering Extended Passive Mode |||%d|" %
        data_port(r))

    # --- PORT
    for _ in range(10):
        a, p = private_v4(r), data_port(r)
        add("c", ep4(a, p), "PORT %s" % tuple_text(a, p))
    for form in ("port %s", "Port %s", "PORT  %s", "PORT %s   ",
                 "PORT %s "):
        a, p = private_v4(r), data_port(r)
        add("c", ep4(a, p), form % tuple_text(a, p))
    for _ in range(3):
        a, p = private_v4(r), data_port(r)
        add("c", ep4(a, p), "PORT %s" % tuple_text(a, p, pad=True))
    for p in (1, 20, 256, 65535):
        a = any_v4(r)
        add("c", ep4(a, p), "PORT %s" % tuple_text(a, p))
    for _ in range(2):
        a, p = private_v4(r), data_port(r)
        h = a.split(".")
        q = [p >> 8, p & 255]
        for b in (
            "%s,%s,%s,%s,%d" % (h[0], h[1], h[2], h[3], q[0]),
            "%s,%s,%s,%s,%d," % (h[0], h[1], h[2], h[3], q[0]),
            "%s,%s,%s,%s,%d,%d,%d" % (h[0], h[1], h[2], h[3], q[0], q[1], 7),
            "%s,%s,%s,%d,%d,%d" % (h[0], h[1], h[2], 256 + r.randrange(744),
                                   q[0], q[1]),
            "%s,%s,%s,%s,%d,%d" % (h[0], h[1], h[2], h[3],
                                   256 + r.randrange(744), q[1]),
            "%s,%s,%s,%s,0,0" % tuple(h),
            "%s,%s,%s,%s,%d,%d x" % (h[0], h[1], h[2], h[3], q[0], q[1]),
            "(%s,%s,%s,%s,%d,%d)" % (h[0], h[1], h[2], h[3], q[0], q[1]),
            "%s, %s,%s,%s,%d,%d" % (h[0], h[1], h[2], h[3], q[0], q[1]),
            "%s.%s.%s.%s,%d,%d" % (h[0], h[1], h[2], h[3], q[0], q[1]),
            "%06d,%s,%s,%s,%d,%d" % (int(h[0]), h[1], h[2], h[3], q[0], q[1]),
            "+%s,%s,%s,%s,%d,%d" % (h[0], h[1], h[2], h[3], q[0], q[1]),
        ):
            add("c", "reject", "PORT " + b)
    add("c", "reject", "PORT")
    add("c", "reject", "PORT ")
    add("c", "reject", "PORT ,,,,,")

    # --- EPRT
    for _ in range(8):
        a, p = private_v4(r), data_port(r)
        d = r.choice(EPRT_DELIMS)
        add("c", ep4(a, p), "EPRT %s1%s%s%s%d%s" % (d, d, a, d, p, d))
    for text, addr in v6_forms(r) + v6_forms(r):
        p = data_port(r)
        d = r.choice(EPRT_DELIMS)
        add("c", ep6(addr, p), "EPRT %s2%s%s%s%d%s" % (d, d, text, d, p, d))
    a, p = private_v4(r), data_port(r)
    add("c", ep4(a, p), "eprt |1|%s|%d|" % (a, p))
    add("c", ep4(a, p), "EPRT |1|%s|%d|  " % (a, p))
    add("c", ep4(a, 65535), "EPRT |1|%s|65535|" % a)
    a6 = ipaddress.IPv6Address("2001:db8::%x" % r.randrange(1, 0xffff))
    p = data_port(r)
    for b in (
        "|1|%s|%d|" % (a6.compressed, p),                 # family mismatch
        "|2|%s|%d|" % (a, p),
        "|3|%s|%d|" % (a, p),                             # family 3
        "|0|%s|%d|" % (a, p),
        "||%s|%d|" % (a, p),
        "|1|%s|0|" % a,                                   # port 0
        "|1|%s|%d|" % (a, r.randrange(65536, 99999)),
        "|1|%s|%d" % (a, p),                              # no closing delim
        "|1|%s|%d|x" % (a, p),                            # junk after
        "|1|%s|" % a,
        "|1|%s||" % a,
        "|1|0%s|%d|" % (a, p),                            # leading zero
        "|1|%s.%d|%d|" % (a, r.randrange(256), p),       # five numbers
        "|1|%s|%d|" % (".".join(a.split(".")[:3]), p),   # three numbers
        "|1|%s.%d|%d|" % (".".join(a.split(".")[:3]), 256 + r.randrange(700),
                          p),                             # octet > 255
        "|2|%s%%eth0|%d|" % ("fe80::1", p),               # zone id
        "|2|2001:db8::5::1|%d|" % p,                      # two ::
        "|2|2001:db8:12345::1|%d|" % p,                   # 5 hex digits
        "|2|1:2:3:4:5:6:7:8:9|%d|" % p,
        "|2|1:2:3:4:5:6:7|%d|" % p,
        "|2|gggg::1|%d|" % p,
        "|2|::ffff:%s.%d|%d|" % (".".join(a.split(".")[:3]),
                                 256 + r.randrange(700), p),
        "|2|::ffff:%s|%d|" % (".".join(a.split(".")[:3]), p),
        " 1 %s %d " % (a, p),                             # space delimiter
        "1%s1%s%d1" % (a, a, p),                          # digit delimiter
        "|1|%s|-%d|" % (a, p),
    ):
        add("c", "reject", "EPRT " + b)
    add("c", "reject", "EPRT")
    add("c", "reject", "EPRT |1|")

    # --- commands and replies that carry no endpoint
    for t in ("PASV", "pasv", "PASV x", "EPSV", "EPSV ALL", "epsv all",
              "EPSV 1", "EPSV 2", "EPSV 2  ", "AUTH TLS", "AUTH SSL",
              "AUTH TLS-C", "AUTH TLS-P", "auth tls", "AUTH  TLS",
              "AUTH GSSAPI", "AUTH", "CCC", "ccc", "PBSZ 0", "PROT P",
              "PORTS 10,0,0,5,4,1", " PORT 10,0,0,5,4,1",
              "RETR PORT 10,0,0,5,4,1", "STOR EPRT |1|10.0.0.5|1025|",
              "XPORT 10,0,0,5,4,1", "EPRTX |1|10.0.0.5|1025|",
              "SITE PORT 10,0,0,5,4,1", "NOOP", "TYPE I", "LIST -la",
              "227 Entering Passive Mode (10,0,0,5,4,1)",
              "229 Entering Extended Passive Mode (|||5001|)"):
        add("c", "none", t)
    for t in ("EPSV 3", "EPSV 0", "EPSV ALL now", "EPSV x", "EPSV 1 2",
              "EPSV -1"):
        add("c", "reject", t)
    for t in ("234 AUTH TLS successful", "234 Proceed with negotiation.",
              "234", "220 (vsFTPd 3.0.3)", "230 Login successful.",
              "226 Transfer complete.", "200 PORT command successful.",
              "200 EPRT command successful. Consider using EPSV.",
              "227-Entering Passive Mode (10,0,0,5,4,1)",
              "229-Entering Extended Passive Mode (|||5001|)",
              " 227 Entering Passive Mode (10,0,0,5,4,1)",
              "2270 Entering Passive Mode (10,0,0,5,4,1)",
              "PORT 10,0,0,5,4,1", "EPRT |1|10.0.0.5|1025|", "PASV",
              "150 Opening BINARY mode data connection for PORT 10,0,0,5,4,1",
              "500 Illegal PORT command.", "501 EPRT: bad family"):
        add("s", "none", t)

    # --- over-long lines (the limit is 512 bytes with CR LF)
    a, p = private_v4(r), data_port(r)
    add("s", "reject", "227 Entering Passive Mode (%s) %s" %
        (tuple_text(a, p), "x" * 600))
    add("c", "reject", "PORT %s%s" % (tuple_text(a, p), " " * 600))
    add("c", "reject", "EPRT |1|%s|%d|%s" % (a, p, " " * 600))
    add("s", "reject", "229 Entering Extended Passive Mode (|||%d|) %s" %
        (p, "y" * 600))
    add("s", "none", "226 %s" % ("z" * 700))
    add("c", "none", "RETR %s" % ("d/" * 350))
    return v


# ---------------------------------------------------------------------
# sessions
# ---------------------------------------------------------------------

FILES = ["README", "README.txt", "index.html", "backup.tar.gz",
         "release-2.4.1.tar.xz", "photos/IMG_%04d.JPG", "data/set-%d.csv",
         "logs/access.log.%d.gz", "pub/linux/iso/debian-12.%d.0-amd64.iso",
         "invoice_%d.pdf", "docs/manual-v%d.pdf", "music/track %02d.flac",
         "upload/report-%d.xlsx", "firmware/fw_%d.bin"]
DIRS = ["/pub", "/pub/%d", "/incoming", "/data", "/home/user/www",
        "/mirror/debian/dists", "/outgoing/%d", "/backups/daily"]


def a_file(r):
    f = r.choice(FILES)
    return f % r.randrange(1, 99) if "%" in f else f


def a_dir(r):
    d = r.choice(DIRS)
    return d % r.randrange(1, 99) if "%" in d else d


def size(r):
    return r.choice([r.randrange(100, 10 ** 4), r.randrange(10 ** 4, 10 ** 7),
                     r.randrange(10 ** 7, 5 * 10 ** 9)])


def mdtm(r):
    return "20%02d%02d%02d%02d%02d%02d" % (r.randrange(10, 25),
                                           r.randrange(1, 13),
                                           r.randrange(1, 29),
                                           r.randrange(24), r.randrange(60),
                                           r.randrange(60))


# Reply wordings of the server programs.  A reply is a list of lines, each
# a str.format template over the fields of fields() below; a value may be
# a list of such replies, one picked at random.  "greeting" is the banner,
# "feat" the FEAT list (one line per feature), "size-missing" the reply to
# SIZE of a file that is not there, "list"/"retr"/"stor" the replies to
# the data commands ("fail" a refused RETR, with "fail-rate").  Commands a
# server has no wording for get the common ones (COMMON).
COMMON = {
    "size": ["213 {size}"],
    "mdtm": ["213 {mdtm}"],
    "rest": ["350 Restarting at {arg}. Send STORE or RETRIEVE."],
    "syst": ["215 UNIX Type: L8"],
    "opts": ["200 Always in UTF8 mode."],
    "pwd": ['257 "{cwd}" is the current directory'],
    "noop": ["200 NOOP ok."],
    "quit": ["221 Goodbye."],
    "pasv": ["227 Entering Passive Mode ({tuple})"],
    "epsv": ["229 Entering Extended Passive Mode (|||{pport}|)"],
    "size-missing": ["550 {arg}: No such file or directory"],
    "feat-head": "211-Features:", "feat-tail": "211 End",
    "fail-rate": 0.0,
}

SERVERS = {
    "vsftpd": {
        "weight": 30,
        "greeting": [["220 (vsFTPd 3.0.3)"], ["220 (vsFTPd 3.0.5)"],
                     ["220 (vsFTPd 2.3.4)"]],
        "feat": ["EPRT", "EPSV", "MDTM", "PASV", "REST STREAM", "SIZE",
                 "TVFS", "UTF8"],
        "user": ["331 Please specify the password."],
        "pass": ["230 Login successful."],
        "type": ["200 Switching to {binary_ascii} mode."],
        "cwd": [["250 Directory successfully changed."]] * 9 +
               [["550 Failed to change directory."]],
        "pasv": ["227 Entering Passive Mode ({tuple})."],
        "port": ["200 PORT command successful. Consider using PASV."],
        "eprt": ["200 EPRT command successful. Consider using EPSV."],
        "size-missing": ["550 Could not get file size."],
        "list": ["150 Here comes the directory listing.",
                 "226 Directory send OK."],
        "retr": ["150 Opening BINARY mode data connection for {arg} "
                 "({size} bytes).", "226 Transfer complete."],
        "stor": ["150 Ok to send data.", "226 Transfer complete."],
        "fail": ["550 Failed to open file."], "fail-rate": 0.08,
    },
    "proftpd": {
        "weight": 20,
        "greeting": [["220 ProFTPD Server (Debian) [{server}]"],
                     ["220 ProFTPD Server (FTP archive) [{server}]"]],
        "feat": ["AUTH TLS", "CCC", "CLNT", "EPRT", "EPSV", "HOST",
                 "LANG en-US*", "MDTM", "MFF modify;UNIX.group;UNIX.mode;",
                 "MFMT", "MLST modify*;perm*;size*;type*;unique*;"
                 "UNIX.group*;UNIX.mode*;UNIX.owner*;", "PBSZ", "PROT",
                 "REST STREAM", "SITE COPY", "SITE MKDIR", "SITE RMDIR",
                 "SITE SYMLINK", "SITE UTIME", "SIZE", "TVFS", "UTF8"],
        "user": ["331 {user_prompt}"],
        "pass": ["230 {login_ok}"],
        "type": ["200 Type set to {type}"],
        "cwd": ["250 CWD command successful"],
        "port": ["200 PORT command successful"],
        "eprt": ["200 EPRT command successful"],
        "noop": ["200 NOOP command successful"],
        "list": ["150 Opening ASCII mode data connection for file list",
                 "226 Transfer complete"],
        "retr": ["150 Opening BINARY mode data connection for {arg} "
                 "({size} bytes)", "226 Transfer complete"],
        "fail": ["550 {arg}: No such file or directory"], "fail-rate": 0.06,
    },
    "pure-ftpd": {
        "weight": 15,
        "greeting": ["220---------- Welcome to Pure-FTPd [privsep] [TLS] "
                     "----------",
                     "220-You are user number {n} of 50 allowed.",
                     "220-Local time is now {hh}:{mm}. Server port: 21.",
                     "220-This is a private system - No anonymous login",
                     "220 You will be disconnected after 15 minutes of "
                     "inactivity."],
        "feat-head": "211-Extensions supported:", "feat-tail": "211 End.",
        "feat": ["EPRT", "IDLE", "MDTM", "SIZE", "MFMT", "REST STREAM",
                 "MLST type*;size*;sizd*;modify*;UNIX.mode*;UNIX.uid*;"
                 "UNIX.gid*;unique*;", "MLSD", "PRET", "AUTH TLS", "PBSZ",
                 "PROT", "UTF8", "TVFS", "ESTA", "PASV", "EPSV", "ESTP"],
        "user": ["331 User {user} OK. Password required"],
        "pass": ["230 OK. Current directory is /"],
        "type": ["200 TYPE is now {binary_8bit}"],
        "cwd": ["250 OK. Current directory is {arg}"],
        "pwd": ['257 "{cwd}" is your current location'],
        "epsv": ["229 Extended Passive mode OK (|||{pport}|)"],
        "port": ["200 PORT command successful"],
        "eprt": ["200 PORT command successful"],
        "noop": ["200 Zzz..."],
        "quit": ["221-Goodbye. You uploaded {kbu} and downloaded {kbd} "
                 "kbytes.", "221 Logout."],
        "list": ["150 Accepted data connection", "226-Options: -a -l ",
                 "226 {n} matches total"],
        "retr": ["150 Accepted data connection",
                 "226-File successfully transferred",
                 "226 {secs} seconds (measured here), {rate} Mbytes per "
                 "second"],
    },
    "filezilla": {
        "weight": 12,
        "greeting": [["220-FileZilla Server 1.7.0",
                      "220 Please visit https://filezilla-project.org/"],
                     ["220-FileZilla Server 0.9.60 beta",
                      "220 Please visit https://filezilla-project.org/"]],
        "feat": ["MDTM", "REST STREAM", "SIZE",
                 "MLST type*;size*;modify*;perm*;", "MLSD", "AUTH SSL",
                 "AUTH TLS", "PROT", "PBSZ", "UTF8", "TVFS", "EPSV", "EPRT",
                 "MFMT"],
        "user": ["331 Please, specify the password."],
        "pass": ["230 Login successful."],
        "type": ["200 Type set to {type}"],
        "cwd": ["250 CWD command successful"],
        "pwd": ['257 "{cwd}" is current directory.'],
        "port": ["200 PORT command successful."],
        "eprt": ["200 EPRT command successful."],
        "list": ["150 About to start data transfer.",
                 "226 Operation successful"],
        "retr": ["150 Starting data transfer.", "226 Operation successful"],
    },
    "iis": {
        "weight": 13,
        "greeting": ["220 Microsoft FTP Service"],
        "feat": ["LANG EN*", "UTF8", "AUTH TLS;TLS-C;SSL;TLS-P;", "PBSZ",
                 "PROT C;P;", "CCC", "HOST", "SIZE", "MDTM", "REST STREAM"],
        "user": ["331 {iis_user_prompt}"],
        "pass": ["230 User logged in."],
        "syst": ["215 Windows_NT"],
        "type": ["200 Type set to {type}."],
        "cwd": ["250 CWD command successful."],
        "pwd": ['257 "{cwd}" is current directory.'],
        "pasv": ["227 Entering Passive Mode ({tuple})."],
        "port": ["200 PORT command successful."],
        "eprt": ["200 EPRT command successful."],
        "noop": ["200 NOOP command successful."],
        "size-missing": ["550 The system cannot find the file specified. "],
        "list": [["125 Data connection already open; Transfer starting.",
                  "226 Transfer complete."],
                 ["150 Opening ASCII mode data connection.",
                  "226 Transfer complete."]],
        "retr": [["125 Data connection already open; Transfer starting.",
                  "226 Transfer complete."],
                 ["150 Opening BINARY mode data connection.",
                  "226 Transfer complete."]],
    },
    "serv-u": {
        "weight": 10,
        "greeting": [["220 Serv-U FTP Server v15.3 ready..."],
                     ["220 Serv-U FTP Server v6.4 ready..."]],
        "feat": ["EPRT", "EPSV", "MDTM", "PASV", "REST STREAM", "SIZE",
                 "TVFS"],
        "user": ["331 User name okay, need password."],
        "pass": ["230 User logged in, proceed."],
        "type": ["200 Type set to {type}."],
        "cwd": ["250 Directory changed to {arg}"],
        "pwd": ['257 "{cwd}" is current directory.'],
        "port": ["200 PORT Command successful."],
        "eprt": ["200 EPRT Command successful."],
        "noop": ["200 Command okay."],
        "list": ["150 Opening ASCII mode data connection for /bin/ls.",
                 "226 Transfer complete. {size_commas} bytes transferred. "
                 "{kbsec} KB/sec."],
        "retr": ["150 Opening BINARY mode data connection for {arg}.",
                 "226 Transfer complete. {size_commas} bytes transferred. "
                 "{kbsec} KB/sec."],
    },
}

DATA_WORDS = {"RETR": "retr", "STOR": "stor", "LIST": "list", "NLST": "list",
              "MLSD": "list"}


class Server:
    """One server program's dialogue, behind NAT at a private address."""

    def __init__(self, r, name, addr):
        self.r = r
        self.w = dict(COMMON, **SERVERS[name])
        self.w.setdefault("stor", self.w["retr"])
        self.addr = addr
        lo = r.choice([30000, 40000, 49152, 50000, 60000])
        self.pasv = (lo, min(lo + r.choice([99, 999, 4999]), 65535))

    def fields(self, arg, ctx):
        r = self.r
        n = size(r)
        anon = ctx["user"] == "anonymous"
        return {
            "arg": arg, "cwd": ctx["cwd"], "user": ctx["user"],
            "server": self.addr, "size": n, "mdtm": mdtm(r),
            "size_commas": "{:,}".format(n),
            "tuple": tuple_text(self.addr, r.randrange(*self.pasv)),
            "pport": r.randrange(*self.pasv),
            "type": arg[:1], "binary_ascii": "Binary" if arg[:1] == "I"
            else "ASCII", "binary_8bit": "8-bit binary" if arg[:1] == "I"
            else "ASCII",
            "user_prompt": "Anonymous login ok, send your complete email "
            "address as your password" if anon else
            "Password required for %s" % ctx["user"],
            "login_ok": "Anonymous access granted, restrictions apply"
            if anon else "User %s logged in" % ctx["user"],
            "iis_user_prompt": "Anonymous access allowed, send identity "
            "(e-mail name) as password." if anon else "Password required",
            "n": r.randrange(1, 300), "hh": "%02d" % r.randrange(24),
            "mm": "%02d" % r.randrange(60), "kbu": r.randrange(9999),
            "kbd": r.randrange(99999),
            "secs": "%.3f" % (r.randrange(1, 9999) / 1000.0),
            "rate": "%.2f" % (r.randrange(1, 11000) / 100.0),
            "kbsec": "%.2f" % (r.randrange(1, 900000) / 100.0),
        }

    def render(self, key, arg, ctx):
        reply = self.w[key]
        if reply and isinstance(reply[0], list):
            reply = self.r.choice(reply)
        f = self.fields(arg, ctx)
        return [line.format(**f) for line in reply]

    def greeting(self, ctx):
        return self.render("greeting", "", ctx)

    def reply(self, word, arg, ctx):
        if word == "FEAT":
            return [self.w["feat-head"]] + \
                [" " + x for x in self.w["feat"]] + [self.w["feat-tail"]]
        if word in DATA_WORDS:
            if word == "RETR" and self.r.random() < self.w["fail-rate"]:
                return self.render("fail", arg or ".", ctx)
            return self.render(DATA_WORDS[word], arg or ".", ctx)
        if word == "SIZE" and self.r.random() < 0.12:
            return self.render("size-missing", arg, ctx)
        key = word.lower()
        if key in self.w:
            return self.render(key, arg, ctx)
        return ["502 Command not implemented."]


def pick(r, weighted):
    total = sum(w for _, w in weighted)
    x = r.uniform(0, total)
    for item, w in weighted:
        x -= w
        if x <= 0:
            return item
    return weighted[-1][0]


def client_commands(r, client_addr):
    """One session's commands, as (word, argument) pairs."""
    style = pick(r, [("lftp", 35), ("curl", 20), ("filezilla", 25),
                     ("ftpexe", 10), ("script", 10)])
    user = r.choice(["anonymous"] * 3 + ["ftpuser", "backup", "www-data",
                                          "alice", "deploy"])
    cmds = [("USER", user),
            ("PASS", "guest@" if user == "anonymous" else
             "".join(r.choice("abcdefghkmnpqrstuvwxyz23456789")
                     for _ in range(r.randrange(8, 16))))]
    if style in ("lftp", "filezilla"):
        cmds.append(("FEAT", ""))
    if style == "filezilla":
        cmds.append(("OPTS", "UTF8 ON"))
    if style in ("ftpexe", "script"):
        cmds.append(("SYST", ""))
    cmds.append(("PWD", ""))
    cmds.append(("TYPE", "I" if style != "ftpexe" else "A"))
    # Passive or active, with or without the extended commands.
    if style == "ftpexe":
        modes = ["PORT"]
    elif style == "curl":
        modes = ["EPSV", "PASV"]
    else:
        modes = [pick(r, [("PASV", 45), ("EPSV", 25), ("PORT", 18),
                          ("EPRT", 12)])]
    transfers = r.randrange(1, 8)      # at most 8 data commands a session
    for _ in range(transfers):
        k = r.random()
        if k < 0.25:
            cmds.append(("CWD", a_dir(r)))
        if k > 0.85:
            cmds.append(("NOOP", ""))
        word = pick(r, [("RETR", 30), ("STOR", 20), ("LIST", 20),
                        ("MLSD", 15), ("NLST", 5)])
        f = a_file(r) if word in ("RETR", "STOR") else ""
        if word in ("RETR", "STOR"):
            cmds.append(("SIZE", f))
            if r.random() < 0.3:
                cmds.append(("MDTM", f))
            if word == "RETR" and r.random() < 0.1:
                cmds.append(("REST", "0"))
        mode = modes[0] if len(modes) == 1 or r.random() < 0.8 else modes[1]
        port = r.randrange(1024, 65536)
        if mode == "PORT":
            cmds.append(("PORT", tuple_text(client_addr, port)))
        elif mode == "EPRT":
            cmds.append(("EPRT", "|1|%s|%d|" % (client_addr, port)))
        else:
            cmds.append((mode, ""))
        cmds.append((word, f))
    if r.random() < 0.4:
        cmds.append(("NOOP", ""))
    cmds.append(("QUIT", ""))
    return cmds


def session(r):
    names = list(SERVERS)
    server = Server(r, pick(r, [(n, SERVERS[n]["weight"]) for n in names]),
                    private_v4(r))
    client_addr = private_v4(r)
    ctx = {"user": "", "cwd": "/"}
    client, replies = [], server.greeting(ctx)
    for word, arg in client_commands(r, client_addr):
        client.append(word + (" " + arg if arg else ""))
        if word == "USER":
            ctx["user"] = arg
        if word == "CWD":
            ctx["cwd"] = arg
        replies.extend(server.reply(word, arg, ctx))
    return client, replies


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=20240611)
    ap.add_argument("--sessions", type=int, default=400)
    ap.add_argument("outdir")
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    r = random.Random(a.seed)

    client, server = [], []
    for _ in range(a.sessions):
        c, s = session(r)
        client += c
        server += s
    for name, lines in (("session-client.txt", client),
                        ("session-server.txt", server)):
        with open(os.path.join(a.outdir, name + ".tmp"), "w",
                  newline="") as f:
            f.write("".join(line + "\r\n" for line in lines))
        os.replace(os.path.join(a.outdir, name + ".tmp"),
                   os.path.join(a.outdir, name))

    vs = variants(random.Random(a.seed + 1))
    path = os.path.join(a.outdir, "variants.tsv")
    with open(path + ".tmp", "w", newline="") as f:
        f.write("# Generated by tests/corpus/gen-corpus.py --seed %d: "
                "DIRECTION<TAB>EXPECT<TAB>LINE\n" % a.seed)
        f.write("# DIRECTION: c = client to server, s = server to client. "
                "EXPECT: the endpoint (ip:port, [v6]:port, :port), "
                "'none' (no address) or 'reject'.\n")
        for d, e, t in vs:
            assert "\t" not in t and "\n" not in t and "\r" not in t
            f.write("%s\t%s\t%s\n" % (d, e, t))
    os.replace(path + ".tmp", path)
    print("gen-corpus: %d sessions (%d commands, %d reply lines), "
          "%d variant lines in %s" % (a.sessions, len(client), len(server),
                                      len(vs), a.outdir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
