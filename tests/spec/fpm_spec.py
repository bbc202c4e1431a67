#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The ftp_portmap genetlink spec (YNL), and checks against it.

    fpm_spec.py uapi [--spec FILE] [--header FILE]
        include/uapi/ftp_portmap.h against the spec: every enum, member and
        value, every #define, and the type each attribute's comment states.
    fpm_spec.py kernel [--spec FILE]
        the running module against the spec (root, module loaded): family
        version, operations and their flags (CTRL_CMD_GETFAMILY), and every
        operation's attribute policy - which attributes, their types,
        value ranges and lengths (CTRL_CMD_GETPOLICY).
    fpm_spec.py names [--spec FILE]
        NAME=VALUE for every C name the spec defines (for shell scripts).

The checks print "ok: ..." or "FAIL: ..." per item and end with the line
"N passed, N failed"; the exit status is 1 when anything failed.  They are
strict: anything in the header or the kernel that the spec does not
describe, or the other way round, is a failure.

As a library (tests/netns/genl_raw.py): load() returns a Spec with the C
names and values (Spec.names()), the operations and attribute sets.

The spec follows the kernel's genetlink-legacy schema for what it uses
(Documentation/netlink/genetlink-legacy.yaml); keys this tool does not know
are refused rather than ignored, so that the spec cannot say more than is
checked.  Conventions beyond YNL: an operations enum names value 0
<name-prefix>UNSPEC; the header states each attribute's type as the first
word of its comment (u8 u16 u32 u64 s8 .. s64 binary string flag nested),
or, for the members of a nested set, in the parent's comment
("nested, FPM_CTR_* (u64 each)"); a flags definition with
"header-defines: true" is a set of #defines (1u << N) rather than an
enum.
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
SPEC = os.path.join(REPO, "Documentation", "netlink", "specs",
                    "ftp_portmap.yaml")
HEADER = os.path.join(REPO, "include", "uapi", "ftp_portmap.h")

INT_TYPES = {"u8": 8, "u16": 16, "u32": 32, "u64": 64,
             "s8": 8, "s16": 16, "s32": 32, "s64": 64}
ATTR_TYPES = set(INT_TYPES) | {"unused", "pad", "flag", "binary", "string",
                               "nest"}

# Keys of the genetlink-legacy schema this tool understands, per level.
KEYS_TOP = {"name", "doc", "protocol", "uapi-header", "c-family-name",
            "c-version-name", "max-by-define", "cmd-cnt-name", "cmd-max-name",
            "kernel-policy", "version", "definitions", "attribute-sets",
            "operations"}
KEYS_DEF = {"name", "type", "doc", "value", "name-prefix", "enum-name",
            "entries", "value-start", "render-max", "header-defines"}
KEYS_SET = {"name", "name-prefix", "enum-name", "doc", "attr-cnt-name",
            "attr-max-name", "attributes"}
KEYS_ATTR = {"name", "type", "doc", "value", "checks", "nested-attributes",
             "display-hint", "byte-order", "enum"}
KEYS_CHECKS = {"min", "max", "min-len", "max-len", "exact-len"}
KEYS_OPS = {"enum-name", "name-prefix", "list"}
KEYS_OP = {"name", "doc", "value", "attribute-set", "flags", "do", "dump"}
KEYS_SUBOP = {"request", "reply"}
KEYS_MSG = {"attributes"}


class SpecError(Exception):
    pass


def c_upper(name):
    return name.upper().replace("-", "_")


def _keys(obj, allowed, where):
    if not isinstance(obj, dict):
        raise SpecError("%s: not a mapping" % where)
    bad = set(obj) - allowed
    if bad:
        raise SpecError("%s: keys this checker does not know: %s" %
                        (where, ", ".join(sorted(bad))))


def numbered(items, what):
    """(item, value) pairs: an explicit "value", else the previous + 1
    (the first 0), never going back."""
    out, value = [], 0
    for item in items:
        if "value" in item:
            if item["value"] < value:
                raise SpecError("%s %s: value goes back" %
                                (what, item["name"]))
            value = item["value"]
        out.append((item, value))
        value += 1
    return out


class Attr:
    def __init__(self, aset, raw, value):
        _keys(raw, KEYS_ATTR, "attribute %s" % raw.get("name"))
        self.name = raw["name"]
        self.type = raw["type"]
        if self.type not in ATTR_TYPES:
            raise SpecError("attribute %s: type %s not supported" %
                            (self.name, self.type))
        self.value = value
        self.cname = aset.prefix + c_upper(self.name)
        self.checks = raw.get("checks", {})
        _keys(self.checks, KEYS_CHECKS, "checks of %s" % self.name)
        self.nested = raw.get("nested-attributes")
        if (self.type == "nest") != (self.nested is not None):
            raise SpecError("attribute %s: nest needs nested-attributes, "
                            "and only a nest has them" % self.name)


class AttrSet:
    def __init__(self, raw):
        _keys(raw, KEYS_SET, "attribute set %s" % raw.get("name"))
        self.name = raw["name"]
        self.prefix = c_upper(raw["name-prefix"])
        self.enum = c_upper(raw["enum-name"]).lower()
        self.cnt = c_upper(raw.get("attr-cnt-name",
                                   "--" + raw["name-prefix"] + "max"))
        self.max = c_upper(raw.get("attr-max-name",
                                   raw["name-prefix"] + "max"))
        self.attrs = [Attr(self, a, v) for a, v in
                      numbered(raw["attributes"], "attribute")]
        self.by_name = {a.name: a for a in self.attrs}


class Op:
    def __init__(self, ops, raw, value):
        _keys(raw, KEYS_OP, "operation %s" % raw.get("name"))
        self.name = raw["name"]
        self.value = value
        self.cname = ops.prefix + c_upper(self.name)
        self.set = raw.get("attribute-set")
        self.flags = set(raw.get("flags", []))
        self.modes = {}
        for mode in ("do", "dump"):
            if mode in raw:
                sub = raw[mode] or {}
                _keys(sub, KEYS_SUBOP, "%s of %s" % (mode, self.name))
                msgs = {}
                for part in ("request", "reply"):
                    if part in sub:
                        _keys(sub[part] or {}, KEYS_MSG,
                              "%s %s of %s" % (mode, part, self.name))
                        msgs[part] = list((sub[part] or {}).get(
                            "attributes", []))
                self.modes[mode] = msgs

    def request_attrs(self):
        """Per-op policy: what any request of the operation may carry."""
        names = []
        for msgs in self.modes.values():
            for n in msgs.get("request", []):
                if n not in names:
                    names.append(n)
        return names


class Ops:
    def __init__(self, raw):
        _keys(raw, KEYS_OPS, "operations")
        self.prefix = c_upper(raw["name-prefix"])
        self.enum = c_upper(raw["enum-name"]).lower()
        self.list = [Op(self, o, v) for o, v in
                     numbered(raw["list"], "operation")]
        if self.list and self.list[0].value == 0:
            raise SpecError("operation value 0 is reserved (UNSPEC)")


class Spec:
    def __init__(self, raw):
        _keys(raw, KEYS_TOP, "top level")
        if raw.get("protocol") != "genetlink-legacy":
            raise SpecError("protocol must be genetlink-legacy")
        if raw.get("kernel-policy") != "per-op":
            raise SpecError("kernel-policy must be per-op (as the module's "
                            "genl_ops have one policy each)")
        self.family = raw["name"]
        self.version = raw.get("version", 1)
        self.family_define = c_upper(raw["c-family-name"])
        self.version_define = c_upper(raw["c-version-name"])
        self.max_by_define = bool(raw.get("max-by-define"))
        self.consts = []            # (C name, value)
        self.enums = []             # definitions of type enum/flags
        for d in raw.get("definitions", []):
            _keys(d, KEYS_DEF, "definition %s" % d.get("name"))
            prefix = c_upper(d.get("name-prefix", raw["name"] + "-"))
            if d["type"] == "const":
                self.consts.append((prefix + c_upper(d["name"]), d["value"]))
            elif d["type"] in ("enum", "flags"):
                self.enums.append((d, prefix))
            else:
                raise SpecError("definition %s: type %s not supported" %
                                (d["name"], d["type"]))
        self.sets = [AttrSet(s) for s in raw["attribute-sets"]]
        self.set_by_name = {s.name: s for s in self.sets}
        self.ops = Ops(raw["operations"])
        self.cmd_cnt = c_upper(raw.get("cmd-cnt-name", "--" +
                                       raw["operations"]["name-prefix"] +
                                       "max"))
        self.cmd_max = c_upper(raw.get("cmd-max-name",
                                       raw["operations"]["name-prefix"] +
                                       "max"))
        for op in self.ops.list:
            if op.set not in self.set_by_name:
                raise SpecError("operation %s: no attribute set %s" %
                                (op.name, op.set))
            s = self.set_by_name[op.set]
            for msgs in op.modes.values():
                for names in msgs.values():
                    for n in names:
                        if n not in s.by_name:
                            raise SpecError("operation %s: no attribute %s "
                                            "in set %s" % (op.name, n, s.name))
        for s in self.sets:
            for a in s.attrs:
                if a.nested and a.nested not in self.set_by_name:
                    raise SpecError("attribute %s: no set %s" %
                                    (a.name, a.nested))

    # -- what the header must hold ------------------------------------
    def header_enums(self):
        """{enum name: [(member, value), ...]} in order."""
        out = {}
        members = [(self.ops.prefix + "UNSPEC", 0)]
        members += [(o.cname, o.value) for o in self.ops.list]
        members.append((self.cmd_cnt, self.ops.list[-1].value + 1))
        out[self.ops.enum] = members
        for s in self.sets:
            m = [(a.cname, a.value) for a in s.attrs]
            m.append((s.cnt, s.attrs[-1].value + 1))
            out[s.enum] = m
        for d, prefix in self.enums:
            if d.get("header-defines"):
                continue
            value = d.get("value-start", 0)
            m = []
            for i, e in enumerate(d["entries"]):
                name = e if isinstance(e, str) else e["name"]
                if d["type"] == "flags":
                    v = 1 << (value + i)
                else:
                    v = e["value"] if isinstance(e, dict) and "value" in e \
                        else value
                    value = v + 1
                m.append((prefix + c_upper(name), v))
            if d.get("render-max"):
                m.append(("__" + prefix + "MAX", m[-1][1] + 1))
            out[c_upper(d.get("enum-name", d["name"])).lower()] = m
        return out

    def header_defines(self):
        """{define: value}: strings, ints, or "(X - 1)" expressions."""
        out = {self.family_define: self.family,
               self.version_define: self.version}
        for name, value in self.consts:
            out[name] = value
        if self.max_by_define:
            out[self.cmd_max] = "(%s - 1)" % self.cmd_cnt
            for s in self.sets:
                out[s.max] = "(%s - 1)" % s.cnt
        for d, prefix in self.enums:
            if d.get("render-max"):
                out[prefix + "MAX"] = "(__%sMAX - 1)" % prefix
            if d.get("header-defines"):
                # flags written as #defines: (1u << N)
                for i, e in enumerate(d["entries"]):
                    name = e if isinstance(e, str) else e["name"]
                    out[prefix + c_upper(name)] = "(1u << %d)" % (
                        d.get("value-start", 0) + i)
        return out

    def names(self):
        """Every C name the spec defines, with its value."""
        out = {}
        for members in self.header_enums().values():
            out.update(dict(members))
        for k, v in self.header_defines().items():
            if isinstance(v, int):
                out[k] = v
        return out


def load(path=SPEC):
    try:
        import yaml
    except ImportError:
        raise SpecError("python3-yaml is missing (scripts/install-deps.sh)")
    with open(path) as f:
        return Spec(yaml.safe_load(f))


# ---------------------------------------------------------------------
# reporting
# ---------------------------------------------------------------------
class Report:
    def __init__(self):
        self.passed = self.failed = 0

    def ok(self, what):
        self.passed += 1
        print("ok: %s" % what)

    def fail(self, what):
        self.failed += 1
        print("FAIL: %s" % what)

    def check(self, cond, what, why=""):
        if cond:
            self.ok(what)
        else:
            self.fail(what + (": " + why if why else ""))

    def end(self):
        print("%d passed, %d failed" % (self.passed, self.failed))
        return 1 if self.failed else 0


# ---------------------------------------------------------------------
# the uapi header
# ---------------------------------------------------------------------
def parse_header(text):
    """(enums, defines): enums {name: [(member, value, comment)]},
    defines {name: value}."""
    enums = {}
    for m in re.finditer(r"enum\s+(\w+)\s*\{(.*?)\}\s*;", text, re.S):
        body = re.sub(r"/\*(?:(?!\*/).)*?\n(?:(?!\*/).)*\*/", "", m.group(2),
                      flags=re.S)          # comments over several lines
        members, value = [], -1
        for line in body.split("\n"):
            line = line.strip()
            if not line or line.startswith("/*") or line.startswith("*"):
                continue
            lm = re.match(r"(\w+)\s*(?:=\s*([^,/]+?))?\s*,?\s*"
                          r"(?:/\*\s*(.*?)\s*\*/)?$", line)
            if not lm:
                raise SpecError("enum %s: cannot read '%s'" %
                                (m.group(1), line))
            if lm.group(2) is not None:
                value = int(lm.group(2), 0)
            else:
                value += 1
            members.append((lm.group(1), value, lm.group(3) or ""))
        enums[m.group(1)] = members
    defines = {}
    for dm in re.finditer(r"^#define\s+(\w+)(?:[ \t]+(.*?))?\s*$", text,
                          re.M):
        v = (dm.group(2) or "").strip()
        v = re.sub(r"/\*.*?\*/", "", v).strip()
        if v == "":
            continue            # the include guard
        if v.startswith('"'):
            defines[dm.group(1)] = v.strip('"')
        elif re.fullmatch(r"\d+|0x[0-9a-fA-F]+", v):
            defines[dm.group(1)] = int(v, 0)
        else:
            defines[dm.group(1)] = re.sub(r"\s+", " ", v)
    return enums, defines


TYPE_WORDS = {"u8": "u8", "u16": "u16", "u32": "u32", "u64": "u64",
              "s8": "s8", "s16": "s16", "s32": "s32", "s64": "s64",
              "binary": "binary", "string": "string", "flag": "flag",
              "nested": "nest"}


def check_uapi(spec, header_path, rep):
    text = open(header_path).read()
    enums, defines = parse_header(text)
    want_enums = spec.header_enums()
    for name, members in want_enums.items():
        if name not in enums:
            rep.fail("enum %s: missing from the header" % name)
            continue
        got = [(n, v) for n, v, _ in enums[name]]
        if got == members:
            rep.ok("enum %s: %d members, names and values as in the spec" %
                   (name, len(members)))
            continue
        gd, wd = dict(got), dict(members)
        for n, v in members:
            if n not in gd:
                rep.fail("enum %s: %s (= %d) missing from the header" %
                         (name, n, v))
            elif gd[n] != v:
                rep.fail("enum %s: %s is %d in the header, %d in the spec" %
                         (name, n, gd[n], v))
        for n, v in got:
            if n not in wd:
                rep.fail("enum %s: %s (= %d) is not in the spec" %
                         (name, n, v))
        if [n for n, _ in got if n in wd] != [n for n, _ in members
                                               if n in gd]:
            rep.fail("enum %s: members in another order than in the spec" %
                     name)
    for name in enums:
        if name not in want_enums:
            rep.fail("enum %s: in the header, not in the spec" % name)

    want_defs = spec.header_defines()
    for name, value in want_defs.items():
        if name not in defines:
            rep.fail("#define %s: missing from the header" % name)
        else:
            rep.check(defines[name] == value, "#define %s %r" % (name, value),
                      "the header has %r" % defines[name])
    for name in defines:
        if name not in want_defs:
            rep.fail("#define %s: in the header, not in the spec" % name)

    # Types: the attribute's own comment, or the parent nest's "(T each)".
    each = {}
    for s in spec.sets:
        for a in s.attrs:
            if a.type != "nest":
                continue
            comment = dict((n, c) for n, _, c in enums.get(s.enum, [])
                           ).get(a.cname, "")
            em = re.search(r"\((\w+) each\)", comment)
            if em:
                each[a.nested] = em.group(1)
            pm = re.search(r"\b([A-Z0-9_]+_)\*", comment)
            nested = spec.set_by_name[a.nested]
            rep.check(pm is not None and pm.group(1) == nested.prefix,
                      "%s: comment names the nested set %s*" %
                      (a.cname, nested.prefix),
                      "comment '%s'" % comment)
    for s in spec.sets:
        comments = dict((n, c) for n, _, c in enums.get(s.enum, []))
        for a in s.attrs:
            if a.type in ("unused", "pad") or a.cname not in comments:
                continue
            word = re.match(r"([a-z0-9]+)", comments[a.cname])
            stated = TYPE_WORDS.get(word.group(1)) if word else None
            if stated is None:
                stated = each.get(s.name)
            if stated is None:
                rep.fail("%s: the header does not state its type (%s)" %
                         (a.cname, a.type))
                continue
            rep.check(stated == a.type, "%s: type %s" % (a.cname, a.type),
                      "the header says %s" % stated)
            lm = re.search(r"\b(\d+) bytes\b", comments[a.cname])
            if lm and a.type == "binary":
                rep.check(int(lm.group(1)) == a.checks.get("exact-len"),
                          "%s: %s bytes" % (a.cname, lm.group(1)),
                          "the spec's exact-len is %s" %
                          a.checks.get("exact-len"))


# ---------------------------------------------------------------------
# the running kernel
# ---------------------------------------------------------------------
CTRL_CMD_GETFAMILY = 3
CTRL_CMD_GETPOLICY = 10
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2
CTRL_ATTR_VERSION = 3
CTRL_ATTR_OPS = 6
CTRL_ATTR_POLICY = 8
CTRL_ATTR_OP_POLICY = 9
CTRL_ATTR_OP_ID = 1
CTRL_ATTR_OP_FLAGS = 2
CTRL_ATTR_POLICY_DO = 1
CTRL_ATTR_POLICY_DUMP = 2
GENL_ADMIN_PERM = 0x01
GENL_CMD_CAP_DO = 0x02
GENL_CMD_CAP_DUMP = 0x04
GENL_CMD_CAP_HASPOL = 0x08
GENL_UNS_ADMIN_PERM = 0x10

NL_ATTR_TYPE = {"flag": 1, "u8": 2, "u16": 3, "u32": 4, "u64": 5, "s8": 6,
                "s16": 7, "s32": 8, "s64": 9, "binary": 10, "string": 11,
                "nest": 13}
NL_ATTR_TYPE_NAMES = {1: "flag", 2: "u8", 3: "u16", 4: "u32", 5: "u64",
                      6: "s8", 7: "s16", 8: "s32", 9: "s64", 10: "binary",
                      11: "string", 12: "nul-string", 13: "nest",
                      14: "nest-array", 15: "bitfield32", 16: "sint",
                      17: "uint"}
PT = {1: "type", 2: "min_s", 3: "max_s", 4: "min_u", 5: "max_u",
      6: "min_len", 7: "max_len", 8: "policy_idx", 9: "maxtype",
      10: "bitfield32_mask", 12: "mask"}


def _num(b):
    import struct
    return {1: lambda x: x[0], 2: lambda x: struct.unpack("=H", x)[0],
            4: lambda x: struct.unpack("=I", x)[0],
            8: lambda x: struct.unpack("=Q", x)[0]}[len(b)](b)


def _snum(b):
    import struct
    return {4: lambda x: struct.unpack("=i", x)[0],
            8: lambda x: struct.unpack("=q", x)[0]}[len(b)](b)


def expected_policy(spec, aset, names):
    """{attr value: {field: value}} as CTRL_CMD_GETPOLICY reports it."""
    out = {}
    for n in names:
        a = aset.by_name[n]
        if a.type in ("unused", "pad"):
            continue
        e = {"type": NL_ATTR_TYPE[a.type]}
        c = a.checks
        if a.type in INT_TYPES:
            bits = INT_TYPES[a.type]
            if a.type.startswith("u"):
                e["min_u"] = c.get("min", 0)
                e["max_u"] = c.get("max", (1 << bits) - 1)
            else:
                e["min_s"] = c.get("min", -(1 << (bits - 1)))
                e["max_s"] = c.get("max", (1 << (bits - 1)) - 1)
        elif a.type in ("binary", "string"):
            lo = c.get("exact-len", c.get("min-len"))
            hi = c.get("exact-len", c.get("max-len"))
            if lo:
                e["min_len"] = lo
            if hi is not None:
                e["max_len"] = hi
        out[a.value] = e
    return out


def check_kernel(spec, rep):
    sys.path.insert(0, os.path.join(REPO, "tests", "netns"))
    import genl_raw

    g = genl_raw.Genl()
    fid = g.family_id(spec.family)
    if fid is None:
        rep.fail("family %s is not registered (module not loaded?)" %
                 spec.family)
        return
    rep.ok("family %s registered (id %d)" % (spec.family, fid))
    err, text, data = g.request(
        genl_raw.GENL_ID_CTRL, genl_raw.NLM_F_REQUEST | genl_raw.NLM_F_ACK,
        CTRL_CMD_GETFAMILY, 1,
        genl_raw.nla(CTRL_ATTR_FAMILY_NAME, spec.family.encode() + b"\0"))
    if err or not data:
        rep.fail("CTRL_CMD_GETFAMILY: errno %d %s" % (-err, text))
        return
    top = genl_raw.parse_attrs(data[0][20:])
    rep.check(_num(top[CTRL_ATTR_VERSION]) == spec.version,
              "family version %d" % spec.version,
              "the kernel has %d" % _num(top[CTRL_ATTR_VERSION]))
    kops = {}
    for nest in genl_raw.parse_attrs(top.get(CTRL_ATTR_OPS, b"")).values():
        a = genl_raw.parse_attrs(nest)
        kops[_num(a[CTRL_ATTR_OP_ID])] = _num(a.get(CTRL_ATTR_OP_FLAGS,
                                                    b"\0\0\0\0"))
    for op in spec.ops.list:
        if op.value not in kops:
            rep.fail("%s (%d): not an operation of the module" %
                     (op.cname, op.value))
            continue
        want = 0
        if "do" in op.modes:
            want |= GENL_CMD_CAP_DO
        if "dump" in op.modes:
            want |= GENL_CMD_CAP_DUMP
        if "admin-perm" in op.flags:
            want |= GENL_ADMIN_PERM
        if "uns-admin-perm" in op.flags:
            want |= GENL_UNS_ADMIN_PERM
        got = kops[op.value] & ~GENL_CMD_CAP_HASPOL
        rep.check(got == want, "%s: flags 0x%x (do/dump/permissions)" %
                  (op.cname, want), "the kernel has 0x%x" % got)
    for v in sorted(set(kops) - {o.value for o in spec.ops.list}):
        rep.fail("operation %d: in the module, not in the spec" % v)

    err, text, data = g.request(
        genl_raw.GENL_ID_CTRL, genl_raw.NLM_F_REQUEST | genl_raw.NLM_F_DUMP,
        CTRL_CMD_GETPOLICY, 1,
        genl_raw.nla(CTRL_ATTR_FAMILY_NAME, spec.family.encode() + b"\0"))
    if err:
        rep.fail("CTRL_CMD_GETPOLICY: errno %d %s" % (-err, text))
        return
    policies, op_pol = {}, {}
    for msg in data:
        a = genl_raw.parse_attrs(msg[20:])
        if CTRL_ATTR_POLICY in a:
            for idx, pnest in genl_raw.parse_attrs(
                    a[CTRL_ATTR_POLICY]).items():
                pol = policies.setdefault(idx, {})
                for attr, anest in genl_raw.parse_attrs(pnest).items():
                    fields = {}
                    for k, raw in genl_raw.parse_attrs(anest).items():
                        if k in (2, 3):
                            fields[PT[k]] = _snum(raw)
                        elif k in PT:
                            fields[PT[k]] = _num(raw)
                    pol[attr] = fields
        if CTRL_ATTR_OP_POLICY in a:
            for cmd, onest in genl_raw.parse_attrs(
                    a[CTRL_ATTR_OP_POLICY]).items():
                o = genl_raw.parse_attrs(onest)
                op_pol[cmd] = {m: _num(o[k]) for m, k in
                               (("do", CTRL_ATTR_POLICY_DO),
                                ("dump", CTRL_ATTR_POLICY_DUMP)) if k in o}
    for op in spec.ops.list:
        aset = spec.set_by_name[op.set]
        want = expected_policy(spec, aset, op.request_attrs())
        for mode in ("do", "dump"):
            if mode not in op.modes:
                if mode in op_pol.get(op.value, {}):
                    rep.fail("%s: the kernel has a %s policy, the spec no %s"
                             % (op.cname, mode, mode))
                continue
            idx = op_pol.get(op.value, {}).get(mode)
            got = policies.get(idx, {}) if idx is not None else {}
            what = "%s %s policy: %s" % (
                op.cname, mode, ", ".join(
                    "%s %s" % (aset.attrs[[x.value for x in aset.attrs]
                                          .index(v)].cname,
                               _describe(e)) for v, e in sorted(want.items()))
                or "no attributes")
            if got == want:
                rep.ok(what)
                continue
            diffs = []
            names = {x.value: x.cname for x in aset.attrs}
            for v in sorted(set(got) | set(want)):
                n = names.get(v, "attribute %d" % v)
                if v not in got:
                    diffs.append("%s missing in the kernel" % n)
                elif v not in want:
                    diffs.append("%s (%s) accepted by the kernel, not in the"
                                 " spec" % (n, _describe(got[v])))
                elif got[v] != want[v]:
                    diffs.append("%s is %s in the kernel" %
                                 (n, _describe(got[v])))
            rep.fail(what + ": " + "; ".join(diffs))


def _describe(e):
    t = NL_ATTR_TYPE_NAMES.get(e.get("type"), "type %s" % e.get("type"))
    extra = []
    if "min_u" in e or "max_u" in e:
        extra.append("%s..%s" % (e.get("min_u"), e.get("max_u")))
    if "min_s" in e or "max_s" in e:
        extra.append("%s..%s" % (e.get("min_s"), e.get("max_s")))
    if "min_len" in e or "max_len" in e:
        extra.append("len %s..%s" % (e.get("min_len", 0), e.get("max_len",
                                                                 "")))
    for k in ("policy_idx", "maxtype", "mask", "bitfield32_mask"):
        if k in e:
            extra.append("%s %s" % (k, e[k]))
    return t + (" " + " ".join(extra) if extra else "")


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(
        description="Check the ftp_portmap YNL spec against the uapi "
        "header or the running kernel.")
    ap.add_argument("what", choices=["uapi", "kernel", "names"])
    ap.add_argument("--spec", default=SPEC)
    ap.add_argument("--header", default=HEADER)
    a = ap.parse_args(argv)
    rep = Report()
    try:
        spec = load(a.spec)
    except (SpecError, KeyError, TypeError, OSError) as e:
        print("FAIL: spec %s: %s" % (a.spec, e))
        print("0 passed, 1 failed")
        return 1
    if a.what == "names":
        for k, v in sorted(spec.names().items(), key=lambda kv: kv[0]):
            print("%s=%s" % (k, v))
        return 0
    rep.ok("spec %s read (%d operations, %d attribute sets)" %
           (os.path.relpath(a.spec, REPO), len(spec.ops.list),
            len(spec.sets)))
    try:
        if a.what == "uapi":
            check_uapi(spec, a.header, rep)
        else:
            check_kernel(spec, rep)
    except SpecError as e:
        rep.fail(str(e))
    return rep.end()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
