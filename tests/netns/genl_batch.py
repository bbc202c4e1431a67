#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Add many port mappings at once over the ftp_portmap genetlink family.

portmapctl adds one mapping per run; the robustness suite needs hundreds
of thousands.  This packs many FPM_CMD_MAP_ADD requests into each netlink
write (only the last of a write asks for an ACK; any error comes back as
its own message) and reports how many the kernel refused.

    genl_batch.py map-add COUNT [--per-write N]

Mapping i (0 <= i < COUNT) is port 1024 + i // 4 on host 198.51.100.(i % 4
+ 1): four host-scoped mappings per port, so COUNT may go up to 4 * 64512.
Prints "added N errors N first_error ERRNO" and exits 0 only when every
request was accepted.  Uses the message helpers of genl_raw.py.
"""
import errno
import os
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import genl_raw  # noqa: E402


def main(argv):
    if len(argv) < 2 or argv[0] != "map-add":
        print(__doc__, file=sys.stderr)
        return 2
    count = int(argv[1])
    per_write = 512
    if "--per-write" in argv:
        per_write = int(argv[argv.index("--per-write") + 1])
    if count < 1 or count > 4 * 64512:
        print("COUNT out of range", file=sys.stderr)
        return 2
    names = genl_raw.uapi_enums()
    g = genl_raw.Genl()
    g.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    fid = g.family_id(names["__family__"])
    if fid is None:
        print("errno ENOENT msg family not registered")
        return 1
    cmd = names["FPM_CMD_MAP_ADD"]
    ver = names["__version__"]
    a_port = names["FPM_A_PORT"]
    a_family = names["FPM_A_FAMILY"]
    a_host4 = names["FPM_A_HOST4"]
    genl_hdr = struct.pack("=BBH", cmd, ver, 0)
    fam_attr = genl_raw.nla(a_family, struct.pack("=B", socket.AF_INET))
    req = genl_raw.NLM_F_REQUEST
    ack = genl_raw.NLM_F_ACK
    errors = 0
    first_error = 0
    seq = 1000
    i = 0
    while i < count:
        n = min(per_write, count - i)
        parts = []
        for k in range(n):
            j = i + k
            body = (genl_hdr +
                    genl_raw.nla(a_port, struct.pack("=H", 1024 + j // 4)) +
                    fam_attr +
                    genl_raw.nla(a_host4, bytes([198, 51, 100, j % 4 + 1])))
            seq += 1
            flags = req | (ack if k == n - 1 else 0)
            parts.append(struct.pack("=IHHII", 16 + len(body), fid, flags,
                                     seq, 0) + body)
        g.sock.send(b"".join(parts))
        last = seq
        done = False
        while not done:
            buf = g.sock.recv(1 << 20)
            off = 0
            while off + 16 <= len(buf):
                mlen, mtyp, _fl, mseq, _pid = struct.unpack_from(
                    "=IHHII", buf, off)
                if mtyp == genl_raw.NLMSG_ERROR:
                    (err,) = struct.unpack_from("=i", buf, off + 16)
                    if err:
                        errors += 1
                        first_error = first_error or -err
                    if mseq == last:
                        done = True
                off += (mlen + 3) & ~3
        i += n
    print("added %d errors %d first_error %s" %
          (count - errors, errors,
           errno.errorcode.get(first_error, str(first_error))))
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
