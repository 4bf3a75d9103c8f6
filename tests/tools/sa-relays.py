#!/usr/bin/env python3
"""Writes tests/data/relays/cases.txt: for every corpus message with a
Received field (or a field SpamAssassin reads as one more hop), those fields
as written and the four X-Spam-Relays-* pseudo-headers SpamAssassin built
from them, taken from its debug output.

Usage: sa-relays.py CORPUS DBG-DIR > cases.txt
DBG-DIR is what sa-compare.sh --regenerate keeps with SA_COMPARE_DBG set:
INDEX.list and one INDEX.dbg per message."""
import os
import re
import sys

# the fields 10_default_prefs.cf lists in originating_ip_headers
ORIGINATING = ["x-yahoo-post-ip", "x-originating-ip", "x-apparently-from", "x-senderip",
               "x-aol-ip", "x-ms-exchange-crosstenant-originalattributedtenantconnectingip"]
SETS = ["Trusted", "Untrusted", "Internal", "External"]


def header_fields(data):
    """(name, text as written) of each field of the header block."""
    text = data.replace(b"\r\n", b"\n").decode("latin-1")
    lines = text.split("\n")
    if lines and lines[0].startswith("From "):
        lines = lines[1:]
    fields = []
    for line in lines:
        if line == "":
            break
        if line[0] in " \t" and fields:
            fields[-1][1].append(line)
        elif ":" in line:
            fields.append((line.split(":", 1)[0].strip().lower(), [line]))
    return [(name, "\n".join(body)) for name, body in fields]


def relays(dbg):
    got = {}
    with open(dbg, encoding="latin-1") as f:
        for line in f:
            m = re.search(r"dbg: metadata: X-Spam-Relays-(\w+): ?(.*)$", line.rstrip("\n"))
            if m:
                # the debug log writes bytes above 0x7f as \x{HH}
                got[m.group(1)] = re.sub(r"\\x\{([0-9A-Fa-f]{2})\}",
                                         lambda h: chr(int(h.group(1), 16)), m.group(2))
    return got


def main():
    sys.stdout.reconfigure(encoding="latin-1")
    corpus, dbgdir = sys.argv[1], sys.argv[2]
    print("# Received fields of the shared corpus's SpamAssassin and rspamd test messages")
    print("# (Apache License 2.0, see tests/data/relays/LICENSE) and the relays")
    print("# SpamAssassin 4.0.1 read from them. Written by tests/tools/sa-relays.py.")
    with open(os.path.join(dbgdir, "INDEX.list")) as f:
        index = [l.rstrip("\n").split("\t") for l in f if l.strip()]
    seen = set()
    for idx, path in index:
        with open(os.path.join(corpus, path), "rb") as f:
            fields = header_fields(f.read())
        keep = [t for n, t in fields if n == "received" or n in ORIGINATING]
        if not any(n == "received" for n, _ in fields):
            continue
        got = relays(os.path.join(dbgdir, idx + ".dbg"))
        if len(got) != 4:
            continue
        key = "\n".join(keep)
        if key in seen:
            continue
        seen.add(key)
        print("%% " + path)
        for t in keep:
            print(t)
        for s in SETS:
            sys.stdout.write("> %s: %s\n" % (s, got[s]))


main()
