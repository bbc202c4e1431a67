#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Send one hand-made request to the ftp_portmap generic netlink family.

Used by tests/netns/cli.sh to reach the kernel's validation paths that
portmapctl never produces (port 0, HOST4 with AF_INET6, stray attributes,
reserved header bits).  Names and values come from the family's YNL spec,
Documentation/netlink/specs/ftp_portmap.yaml, read through
tests/spec/fpm_spec.py (which also checks the uapi header and the kernel's
policies against the spec).  Needs python3-yaml.

    genl_raw.py [--reserved N] [--dump] CMD [ATTR:TYPE:VALUE ...]

CMD is an fpm_cmd name (FPM_CMD_MAP_ADD); ATTR an fpm_attr name; TYPE one
of u8 u16 u32 str hex (VALUE in hex digits) or ip (an IPv4/IPv6 literal).
Prints "ok", "ok N" (N data messages) or "errno NAME msg MESSAGE" and exits
0 for ok, 1 for an error reply, 2 on bad usage.
"""
import errno
import ipaddress
import os
import socket
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "spec"))
import fpm_spec  # noqa: E402  (after the path)

NETLINK_GENERIC = 16
SOL_NETLINK = 270
NETLINK_CAP_ACK = 10
NETLINK_EXT_ACK = 11
NLMSG_ERROR = 2
NLMSG_DONE = 3
NLM_F_REQUEST = 0x1
NLM_F_ACK = 0x4
NLM_F_DUMP = 0x300
NLM_F_CAPPED = 0x100
NLM_F_ACK_TLVS = 0x200
NLMSGERR_ATTR_MSG = 1
GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2


def uapi_enums():
    """Every C name of the protocol (commands, attributes, counters) with
    its value, from the spec; "__family__" and "__version__" too."""
    spec = fpm_spec.load()
    names = spec.names()
    names["__family__"] = spec.family
    names["__version__"] = spec.version
    return names


def nla(atype, data):
    hdr = struct.pack("=HH", 4 + len(data), atype)
    pad = b"\0" * ((4 - len(data) % 4) % 4)
    return hdr + data + pad


def parse_attrs(buf):
    attrs = {}
    off = 0
    while off + 4 <= len(buf):
        alen, atype = struct.unpack_from("=HH", buf, off)
        if alen < 4:
            break
        attrs[atype & 0x3fff] = buf[off + 4:off + alen]
        off += (alen + 3) & ~3
    return attrs


class Genl:
    def __init__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW,
                                  NETLINK_GENERIC)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)
        self.sock.bind((0, 0))
        self.seq = 1

    def request(self, mtype, flags, cmd, version, payload, reserved=0):
        """Returns (error, extack message, data messages)."""
        self.seq += 1
        body = struct.pack("=BBH", cmd, version, reserved) + payload
        msg = struct.pack("=IHHII", 16 + len(body), mtype, flags, self.seq,
                          0) + body
        self.sock.send(msg)
        data = []
        while True:
            buf = self.sock.recv(65536)
            off = 0
            while off + 16 <= len(buf):
                mlen, mtyp, mflags, _seq, _pid = struct.unpack_from(
                    "=IHHII", buf, off)
                m = buf[off:off + mlen]
                off += (mlen + 3) & ~3
                if mtyp == NLMSG_ERROR:
                    (err,) = struct.unpack_from("=i", m, 16)
                    text = ""
                    if mflags & NLM_F_ACK_TLVS:
                        start = 20 + 16
                        if not mflags & NLM_F_CAPPED:
                            (olen,) = struct.unpack_from("=I", m, 20)
                            start = 20 + ((olen + 3) & ~3)
                        a = parse_attrs(m[start:])
                        if NLMSGERR_ATTR_MSG in a:
                            text = a[NLMSGERR_ATTR_MSG].rstrip(b"\0").decode()
                    return err, text, data
                if mtyp == NLMSG_DONE:
                    (err,) = struct.unpack_from("=i", m, 16)
                    return err, "", data
                data.append(m)
            if not flags & NLM_F_DUMP and data and not flags & NLM_F_ACK:
                return 0, "", data

    def family_id(self, name):
        err, text, data = self.request(
            GENL_ID_CTRL, NLM_F_REQUEST | NLM_F_ACK, CTRL_CMD_GETFAMILY, 1,
            nla(CTRL_ATTR_FAMILY_NAME, name.encode() + b"\0"))
        if err:
            return None
        a = parse_attrs(data[0][20:])
        return struct.unpack("=H", a[CTRL_ATTR_FAMILY_ID][:2])[0]


def encode(kind, value):
    if kind == "u8":
        return struct.pack("=B", int(value, 0))
    if kind == "u16":
        return struct.pack("=H", int(value, 0))
    if kind == "u32":
        return struct.pack("=I", int(value, 0))
    if kind == "str":
        return value.encode() + b"\0"
    if kind == "hex":
        return bytes.fromhex(value)
    if kind == "ip":
        return ipaddress.ip_address(value).packed
    raise ValueError(kind)


def main(argv):
    names = uapi_enums()
    reserved = 0
    dump = False
    while argv and argv[0].startswith("--"):
        if argv[0] == "--reserved":
            reserved = int(argv[1], 0)
            argv = argv[2:]
        elif argv[0] == "--dump":
            dump = True
            argv = argv[1:]
        else:
            print(__doc__, file=sys.stderr)
            return 2
    if not argv or argv[0] not in names:
        print(__doc__, file=sys.stderr)
        return 2
    cmd = names[argv[0]]
    payload = b""
    for spec in argv[1:]:
        name, kind, value = spec.split(":", 2)
        atype = names[name] if name in names else int(name, 0)
        payload += nla(atype, encode(kind, value))

    g = Genl()
    fid = g.family_id(names["__family__"])
    if fid is None:
        print("errno ENOENT msg family not registered")
        return 1
    flags = NLM_F_REQUEST | (NLM_F_DUMP if dump else NLM_F_ACK)
    err, text, data = g.request(fid, flags, cmd, names["__version__"],
                                payload, reserved)
    if err:
        print("errno %s msg %s" % (errno.errorcode.get(-err, str(-err)), text))
        return 1
    print("ok %d" % len(data) if data else "ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
