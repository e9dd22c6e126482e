#!/usr/bin/env python3
"""What `nomad operator snapshot inspect` prints for a Nomad snapshot, written from Nomad's
source alone (hashicorp/nomad command/operator_snapshot_inspect.go, command/helpers.go,
nomad/fsm.go; go-humanize's IBytes; ryanuber/columnize's Format), sharing no code with
snapinspect: Python's gzip and tarfile and a msgpack length walker of its own.

Usage: scripts/nomad-inspect-reference.py SNAP            (prints the report)
       scripts/nomad-inspect-reference.py --regenerate    (writes testdata/golden/nomad/)
Created is printed in UTC (Nomad prints the local time: run it with TZ=UTC to compare).
"""

import datetime
import gzip
import io
import math
import os
import struct
import sys
import tarfile

# nomad/fsm.go snapshotTypeStrings
NAMES = {
    0: "Node", 1: "Job", 2: "Index", 3: "Eval", 4: "Alloc", 5: "TimeTable",
    6: "PeriodicLaunch", 7: "JobSummary", 8: "VaultAccessor", 9: "JobVersion",
    10: "Deployment", 11: "ACLPolicy", 12: "ACLToken", 13: "SchedulerConfig",
    14: "ClusterMetadata", 15: "ServiceIdentityTokenAccessor", 16: "ScalingPolicy",
    17: "CSIPlugin", 18: "CSIVolume", 19: "ScalingEvents", 20: "EventSink",
    21: "ServiceRegistration", 22: "Variables", 23: "VariablesQuota", 24: "RootKeyMeta",
    25: "ACLRole", 26: "ACLAuthMethod", 27: "ACLBindingRule", 28: "NodePool",
    29: "JobSubmission", 30: "WrappedRootKeys", 31: "HostVolumeSnapshot", 64: "Namespace",
}


def skip(b, i):
    """Index just past the msgpack value starting at b[i]."""
    c = b[i]
    i += 1
    if c <= 0x7F or c >= 0xE0 or c in (0xC0, 0xC2, 0xC3):
        return i
    if 0xA0 <= c <= 0xBF:
        return i + (c & 0x1F)
    if 0x90 <= c <= 0x9F:
        for _ in range(c & 0x0F):
            i = skip(b, i)
        return i
    if 0x80 <= c <= 0x8F:
        for _ in range(2 * (c & 0x0F)):
            i = skip(b, i)
        return i
    fixed = {0xCC: 1, 0xCD: 2, 0xCE: 4, 0xCF: 8, 0xD0: 1, 0xD1: 2, 0xD2: 4, 0xD3: 8,
             0xCA: 4, 0xCB: 8, 0xD4: 2, 0xD5: 3, 0xD6: 5, 0xD7: 9, 0xD8: 17}
    if c in fixed:
        return i + fixed[c]
    lens = {0xD9: 1, 0xDA: 2, 0xDB: 4, 0xC4: 1, 0xC5: 2, 0xC6: 4}
    if c in lens:
        n = int.from_bytes(b[i:i + lens[c]], "big")
        return i + lens[c] + n
    if c in (0xC7, 0xC8, 0xC9):
        w = {0xC7: 1, 0xC8: 2, 0xC9: 4}[c]
        n = int.from_bytes(b[i:i + w], "big")
        return i + w + 1 + n
    if c in (0xDC, 0xDD, 0xDE, 0xDF):
        w = 2 if c in (0xDC, 0xDE) else 4
        n = int.from_bytes(b[i:i + w], "big")
        i += w
        for _ in range(n * (2 if c >= 0xDE else 1)):
            i = skip(b, i)
        return i
    raise ValueError("bad msgpack byte 0x%02x" % c)


def ibytes(s):
    if s < 10:
        return "%d B" % s
    sizes = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
    e = math.floor(math.log(s) / math.log(1024))
    val = math.floor(s / math.pow(1024, e) * 10 + 0.5) / 10
    return ("%.0f %s" if val >= 10 else "%.1f %s") % (val, sizes[int(e)])


def columnize(lines, glue, empty):
    rows = [[(c.strip() or empty) for c in l.split("|")] for l in lines]
    widths = []
    for r in rows:
        for i, c in enumerate(r):
            if i < len(widths):
                widths[i] = max(widths[i], len(c))
            else:
                widths.append(len(c))
    out = []
    for r in rows:
        out.append("".join(c.ljust(widths[i]) + glue if i < len(r) - 1 else c
                           for i, c in enumerate(r)))
    return "\n".join(out)


def inspect(path):
    import json
    with tarfile.open(fileobj=io.BytesIO(gzip.open(path).read())) as t:
        meta = json.loads(t.extractfile("meta.json").read())
        state = t.extractfile("state.bin").read()
    assert state[0] == 0x80, "not a Nomad header"
    stats = {}
    total = 0
    count = 0
    i = 1
    while i < len(state):
        typ = state[i]
        end = skip(state, i + 1)
        name = NAMES.get(typ, "Unknown(%d)" % typ)
        s, c = stats.get(name, (0, 0))
        stats[name] = (s + end - total, c + 1)
        total = end
        count += 1
        i = end
    parts = meta["ID"].split("-")
    created = ""
    if len(parts) == 3:
        ms = int(parts[2])
        if ms // 1000 >= 1:
            created = datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    out = columnize([
        "Created|%s" % created, "ID|%s" % meta["ID"], "Size|%s" % ibytes(meta["Size"]),
        "Index|%d" % meta["Index"], "Term|%d" % meta["Term"], "Version|%d" % meta["Version"],
    ], " = ", "<none>") + "\n\n"
    rows = sorted(stats.items(), key=lambda kv: (-kv[1][0], kv[0]))
    lines = ["Type|Count|Size"] + ["%s|%d|%s" % (n, c, ibytes(s)) for n, (s, c) in rows]
    lines += [" | | ", "Total|%d|%s" % (count, ibytes(total))]
    return out + columnize(lines, "  ", "") + "\n"


def main(argv):
    if argv[1:] == ["--regenerate"]:
        root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testdata")
        with open(os.path.join(root, "golden", "nomad", "inspect.txt"), "w") as f:
            f.write(inspect(os.path.join(root, "nomad.snap")))
        return 0
    sys.stdout.write(inspect(argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
