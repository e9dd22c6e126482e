#!/usr/bin/env python3
"""An independent reference for `consul snapshot inspect` (the table layout of Consul 1.9+).

Written from the format spec (sections 8 and 13: the statistics algorithm, ByteSize, the
tabwriter layout, the JSON shape) with Python's own gzip, tarfile and a msgpack reader of its
own; it shares no code with snapinspect. It produces the goldens in testdata/golden/inspect/
that the tests compare snapinspect's output with, byte for byte.

Usage: inspect-reference.py [-kvdetails] [-kvdepth N] [-kvfilter P] [-format pretty|json] FILE
       inspect-reference.py --regenerate     (rewrites testdata/golden/inspect/)
"""

import gzip
import io
import json
import os
import struct
import sys
import tarfile

# MessageType.String() names (spec section 8); anything else prints as Unknown(N).
NAMES = {
    0: "Register", 1: "Deregister", 2: "KVS", 3: "Session", 4: "ACL", 5: "Tombstone",
    6: "CoordinateBatchUpdate", 7: "PreparedQuery", 8: "Txn", 9: "Autopilot", 10: "Area",
    11: "ACLBootstrap", 12: "Intention", 13: "ConnectCA", 14: "ConnectCAProviderState",
    15: "ConnectCAConfig", 16: "Index", 17: "ACLToken", 18: "ACLTokenDelete",
    19: "ACLPolicy", 20: "ACLPolicyDelete", 21: "ConnectCALeaf", 22: "ConfigEntry",
    23: "ACLRole", 24: "ACLRoleDelete", 25: "ACLBindingRule", 26: "ACLBindingRuleDelete",
    27: "ACLAuthMethod", 28: "ACLAuthMethodDelete", 29: "ChunkingState",
    30: "FederationState", 31: "SystemMetadata", 32: "ServiceVirtualIP",
    33: "FreeVirtualIP", 34: "KindServiceName", 35: "Peering", 36: "PeeringDelete",
    38: "PeeringTrustBundle", 39: "PeeringTrustBundleDelete", 40: "PeeringSecret",
    41: "RaftLogVerifierCheckpoint", 42: "Resource", 43: "UpdateManualVirtualIPRequestType",
}


def type_name(t):
    return NAMES.get(t, "Unknown(%d)" % t)


class Reader:
    """A msgpack reader over bytes: decode() returns Python values, strings as bytes."""

    def __init__(self, data):
        self.data = data
        self.pos = 0

    def take(self, n):
        if self.pos + n > len(self.data):
            raise ValueError("truncated at byte %d" % self.pos)
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def uint(self, n):
        return int.from_bytes(self.take(n), "big")

    def decode(self):
        b = self.take(1)[0]
        if b <= 0x7F:
            return b
        if b >= 0xE0:
            return b - 0x100
        if 0x80 <= b <= 0x8F:
            return self.map(b & 0x0F)
        if 0x90 <= b <= 0x9F:
            return [self.decode() for _ in range(b & 0x0F)]
        if 0xA0 <= b <= 0xBF:
            return self.take(b & 0x1F)
        if b == 0xC0:
            return None
        if b == 0xC2:
            return False
        if b == 0xC3:
            return True
        if b in (0xC4, 0xC5, 0xC6):  # bin 8/16/32
            return self.take(self.uint(1 << (b - 0xC4)))
        if b in (0xC7, 0xC8, 0xC9):  # ext 8/16/32
            n = self.uint(1 << (b - 0xC7))
            self.take(1)
            return self.take(n)
        if b == 0xCA:
            return struct.unpack(">f", self.take(4))[0]
        if b == 0xCB:
            return struct.unpack(">d", self.take(8))[0]
        if 0xCC <= b <= 0xCF:
            return self.uint(1 << (b - 0xCC))
        if 0xD0 <= b <= 0xD3:
            n = 1 << (b - 0xD0)
            return int.from_bytes(self.take(n), "big", signed=True)
        if 0xD4 <= b <= 0xD8:  # fixext 1..16
            self.take(1)
            return self.take(1 << (b - 0xD4))
        if b == 0xD9:
            return self.take(self.uint(1))
        if b in (0xDA, 0xDB):
            return self.take(self.uint(2 if b == 0xDA else 4))
        if b in (0xDC, 0xDD):
            return [self.decode() for _ in range(self.uint(2 if b == 0xDC else 4))]
        if b in (0xDE, 0xDF):
            return self.map(self.uint(2 if b == 0xDE else 4))
        raise ValueError("unknown msgpack byte 0x%02x at %d" % (b, self.pos - 1))

    def map(self, n):
        out = []
        for _ in range(n):
            k = self.decode()
            out.append((k, self.decode()))
        return out


def read_snapshot(path):
    """(meta dict, state.bin bytes) of a .snap archive, or of DIR/state.bin."""
    if os.path.basename(path).lower() == "state.bin":
        with open(os.path.join(os.path.dirname(path), "meta.json"), "rb") as f:
            meta = json.load(f)
        with open(path, "rb") as f:
            return meta, f.read()
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    members = {}
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        for m in tar.getmembers():
            members[m.name] = tar.extractfile(m).read()
    return json.loads(members["meta.json"]), members["state.bin"]


def stats(state, kvdetails, kvdepth, kvfilter):
    """Per-type and per-prefix (count, sum) as spec section 13.3 defines them."""
    r = Reader(state)
    r.decode()  # the header {"LastIndex": N}; its bytes count into the first record
    types, kvs = {}, {}
    total = total_kv = 0
    while r.pos < len(state):
        t = r.take(1)[0]
        value = r.decode()
        size = r.pos - total
        total = r.pos
        name = type_name(t).encode()
        prev = types.get(t)
        types[t] = (name, (prev[1] if prev else 0) + 1, (prev[2] if prev else 0) + size)
        if kvdetails and name == b"KVS":
            key = dict(value).get(b"Key", b"")
            if kvfilter and not key.startswith(kvfilter):
                continue
            parts = key.split(b"/")
            prefix = b"/".join(parts[:min(kvdepth, len(parts))])
            n, sm = kvs.get(prefix, (0, 0))
            kvs[prefix] = (n + 1, sm + size)
            total_kv += size
    type_rows = sorted(((n, c, s) for (n, c, s) in types.values()), key=lambda x: (-x[2], x[0]))
    kv_rows = sorted(((p, c, s) for p, (c, s) in kvs.items()), key=lambda x: (-x[2], x[0]))
    return type_rows, (kv_rows if kv_rows else None), total, total_kv


def byte_size(n):
    """Consul's ByteSize: binary units with decimal-looking names, one decimal, no `.0`."""
    if n == 0:
        return "0"
    for unit, name in ((1 << 40, "TB"), (1 << 30, "GB"), (1 << 20, "MB"), (1 << 10, "KB")):
        if n >= unit:
            break
    else:
        unit, name = 1, "B"
    text = "%.1f" % (n / unit)
    if text.endswith(".0"):
        text = text[:-2]
    return text + name


def rune_count(cell):
    """utf8.RuneCount: each invalid byte is one rune."""
    n = 0
    i = 0
    while i < len(cell):
        b = cell[i]
        width = 1 if b < 0x80 else 2 if 0xC2 <= b <= 0xDF else 3 if 0xE0 <= b <= 0xEF else 4 if 0xF0 <= b <= 0xF4 else 0
        if width > 1:
            try:
                cell[i:i + width].decode("utf-8")
            except UnicodeDecodeError:
                width = 0
        i += max(width, 1)
        n += 1
    return n


def tabwrite(lines, minwidth=8, padding=6):
    """Go's text/tabwriter with space padding and no flags, as spec section 13.5 states it."""
    cells = [line.split(b"\t") for line in lines]
    out = [b"" for _ in lines]
    widths_for = [dict() for _ in lines]

    def layout(first, last, column):
        # Lines first..last-1 all have more than `column` tab-terminated cells.
        i = first
        while i < last:
            if len(cells[i]) - 1 <= column:
                i += 1
                continue
            j = i
            width = minwidth
            while j < last and len(cells[j]) - 1 > column:
                width = max(width, rune_count(cells[j][column]) + padding)
                j += 1
            for k in range(i, j):
                widths_for[k][column] = width
            layout(i, j, column + 1)
            i = j

    layout(0, len(lines), 0)
    for i, row in enumerate(cells):
        text = b""
        for c, cell in enumerate(row):
            if c < len(row) - 1:
                text += cell + b" " * (widths_for[i][c] - rune_count(cell))
            else:
                text += cell
        out[i] = text
    return b"\n".join(out) + b"\n"


def go_json_string(b):
    """encoding/json's string: invalid UTF-8 bytes become \\ufffd, HTML-safe escapes."""
    out = ['"']
    i = 0
    while i < len(b):
        c = b[i]
        if c < 0x80:
            ch = chr(c)
            if ch == '"':
                out.append('\\"')
            elif ch == "\\":
                out.append("\\\\")
            elif ch == "\n":
                out.append("\\n")
            elif ch == "\r":
                out.append("\\r")
            elif ch == "\t":
                out.append("\\t")
            elif c < 0x20 or ch in "<>&":
                out.append("\\u%04x" % c)
            else:
                out.append(ch)
            i += 1
            continue
        for width in (2, 3, 4):
            try:
                ch = b[i:i + width].decode("utf-8")
                if len(ch) == 1:
                    break
            except UnicodeDecodeError:
                ch = None
        else:
            ch = None
        if ch is None:
            out.append("\\ufffd")
            i += 1
        else:
            out.append("\\u%04x" % ord(ch) if ch in "\u2028\u2029" else ch)
            i += width
    out.append('"')
    return "".join(out)


def to_json(meta, rows, kv_rows, total, total_kv):
    ind = "   "

    def stat_list(items, level):
        if items is None:
            return "null"
        if not items:
            return "[]"
        pad = ind * level
        parts = []
        for name, count, size in items:
            parts.append(
                pad + ind + "{\n"
                + pad + ind * 2 + '"Name": ' + go_json_string(name) + ",\n"
                + pad + ind * 2 + '"Sum": ' + str(size) + ",\n"
                + pad + ind * 2 + '"Count": ' + str(count) + "\n"
                + pad + ind + "}"
            )
        return "[\n" + ",\n".join(parts) + "\n" + pad + "]"

    return (
        "{\n"
        + ind + '"Meta": {\n'
        + ind * 2 + '"ID": ' + go_json_string(meta["ID"].encode()) + ",\n"
        + ind * 2 + '"Size": ' + str(meta["Size"]) + ",\n"
        + ind * 2 + '"Index": ' + str(meta["Index"]) + ",\n"
        + ind * 2 + '"Term": ' + str(meta["Term"]) + ",\n"
        + ind * 2 + '"Version": ' + str(meta["Version"]) + "\n"
        + ind + "},\n"
        + ind + '"Stats": ' + stat_list(rows, 1) + ",\n"
        + ind + '"StatsKV": ' + stat_list(kv_rows, 1) + ",\n"
        + ind + '"TotalSize": ' + str(total) + ",\n"
        + ind + '"TotalSizeKV": ' + str(total_kv) + "\n"
        + "}\n"
    ).encode()


def inspect(path, kvdetails=False, kvdepth=2, kvfilter=b"", fmt="pretty"):
    meta, state = read_snapshot(path)
    rows, kv_rows, total, total_kv = stats(state, kvdetails, kvdepth, kvfilter)
    if fmt == "json":
        return to_json(meta, rows, kv_rows, total, total_kv)
    lines = [
        b" ID\t" + meta["ID"].encode(),
        b" Size\t%d" % meta["Size"],
        b" Index\t%d" % meta["Index"],
        b" Term\t%d" % meta["Term"],
        b" Version\t%d" % meta["Version"],
        b"",
        b" Type\tCount\tSize",
        b" ----\t----\t----",
    ]
    lines += [b" %s\t%d\t%s" % (n, c, byte_size(s).encode()) for n, c, s in rows]
    lines += [b" ----\t----\t----", b" Total\t\t" + byte_size(total).encode()]
    if kv_rows is not None:
        lines += [b"", b" Key Name\tCount\tSize", b" ----\t----\t----"]
        lines += [b" %s\t%d\t%s" % (p, c, byte_size(s).encode()) for p, c, s in kv_rows]
        lines += [b" ----\t----\t----", b" Total\t\t" + byte_size(total_kv).encode()]
    return tabwrite(lines)


# The goldens: (file suffix, inspect arguments).
VARIANTS = [
    ("txt", dict()),
    ("kvdetails.txt", dict(kvdetails=True)),
    ("kvdepth1.txt", dict(kvdetails=True, kvdepth=1)),
    ("kvdepth3.txt", dict(kvdetails=True, kvdepth=3)),
    ("json", dict(fmt="json")),
    ("kvdetails.json", dict(kvdetails=True, fmt="json")),
]
SNAPSHOTS = ["acl", "all", "basic", "kv", "large"]


def main(argv):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if argv == ["--regenerate"]:
        out_dir = os.path.join(root, "testdata", "golden", "inspect")
        os.makedirs(out_dir, exist_ok=True)
        for snap in SNAPSHOTS:
            for suffix, kw in VARIANTS:
                data = inspect(os.path.join(root, "testdata", snap + ".snap"), **kw)
                with open(os.path.join(out_dir, snap + "." + suffix), "wb") as f:
                    f.write(data)
        return 0
    kw = dict()
    i = 0
    while i < len(argv) - 1:
        flag = argv[i].lstrip("-")
        if flag == "kvdetails":
            kw["kvdetails"] = True
        elif flag == "kvdepth":
            i += 1
            kw["kvdepth"] = int(argv[i])
        elif flag == "kvfilter":
            i += 1
            kw["kvfilter"] = argv[i].encode()
        elif flag == "format":
            i += 1
            kw["fmt"] = argv[i]
        else:
            sys.stderr.write("unknown flag %s\n" % argv[i])
            return 2
        i += 1
    if not argv:
        sys.stderr.write(__doc__)
        return 2
    sys.stdout.buffer.write(inspect(argv[-1], **kw))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
