#!/usr/bin/env python3
"""Read tests/data/spf/*.cases strictly and count what they hold.

  python3 tests/tools/check-spf-cases.py [FILE.cases ...] [--summary] [--verify]

Without FILE arguments every *.cases file in tests/data/spf is read.  Each
file is parsed by the rules written in its header (and in
tests/data/spf/README.md), independently of the generator, so a file that a
C runner could misread is reported here.

--summary  print, per file: scenarios, tests, expected results (single results
           per value, and the lists of acceptable results), explanations,
           IPv6 clients, empty MAIL FROMs, DNS records per type, timeouts and
           tests per scenario.
--verify   compare the counts with the numbers published for the suites in
           the corpus description (shared/corpus/SOURCES.md, section 1;
           copied into EXPECTED below).

Only the Python 3 standard library is used.  Exit status: 0 if every file
parses (and, with --verify, every published number matches), 1 on a count
mismatch, 2 on a malformed file.
"""

import argparse
import glob
import ipaddress
import os
import re
import sys
from collections import Counter, OrderedDict

REPO_ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DATA_DIR = os.path.join(REPO_ROOT, "tests", "data", "spf")

RESULTS = ("fail", "permerror", "pass", "neutral", "none", "temperror", "softfail")
RR_TYPES = ("TXT", "SPF", "A", "AAAA", "MX", "PTR", "CNAME")
TEST_FIELDS = ("host", "helo", "mailfrom", "result", "explanation", "section")

# Numbers published in shared/corpus/SOURCES.md, section 1 ("SPF").
EXPECTED = {
    "rfc7208.cases": {
        "scenarios": 16,
        "tests": 203,
        "single results": {"fail": 53, "permerror": 74, "pass": 42, "neutral": 12,
                           "none": 8, "temperror": 5, "softfail": 3},
        "result lists": 6,
        "explanations": 22,
        "IPv6 clients": 27,
        "empty mailfrom": 3,
        "tests per scenario": [16, 7, 10, 12, 5, 8, 29, 9, 21, 7, 9, 9, 24, 24, 11, 2],
    },
    "rfc4408.cases": {
        "scenarios": 15,
        "tests": 191,
    },
}


class FormatError(Exception):
    pass


def unquote(s, pos):
    """Parse a "quoted string" starting at s[pos]; return (bytes, next pos)."""
    if pos >= len(s) or s[pos] != '"':
        raise FormatError("quoted string expected")
    out = bytearray()
    i = pos + 1
    while True:
        if i >= len(s):
            raise FormatError("unterminated string")
        c = s[i]
        if c == '"':
            return bytes(out), i + 1
        if c == "\\":
            nxt = s[i + 1:i + 2]
            if nxt in ('"', "\\"):
                out.append(ord(nxt))
                i += 2
            elif nxt == "x" and re.fullmatch(r"[0-9A-Fa-f]{2}", s[i + 2:i + 4]):
                out.append(int(s[i + 2:i + 4], 16))
                i += 4
            else:
                raise FormatError("bad escape %r" % s[i:i + 4])
        elif " " <= c <= "~":
            out.append(ord(c))
            i += 1
        else:
            raise FormatError("raw byte %r in string" % c)


def one_string(s):
    data, end = unquote(s, 0)
    if end != len(s):
        raise FormatError("text after string")
    return data


def untoken(s):
    """Unquoted NAME token -> bytes."""
    if not s:
        raise FormatError("empty name")
    out = bytearray()
    i = 0
    while i < len(s):
        c = s[i]
        if c == "\\":
            if s[i + 1:i + 2] != "x" or not re.fullmatch(r"[0-9A-Fa-f]{2}", s[i + 2:i + 4]):
                raise FormatError("bad escape in name %r" % s)
            out.append(int(s[i + 2:i + 4], 16))
            i += 4
        elif "!" <= c <= "~":
            out.append(ord(c))
            i += 1
        else:
            raise FormatError("bad character in name %r" % s)
    return bytes(out)


def parse_rr(rest):
    parts = rest.split(" ", 2)
    if len(parts) != 3:
        raise FormatError("rr NAME TYPE DATA expected")
    name, rtype, data = parts
    owner = untoken(name)
    if owner != owner.lower() or owner.endswith(b".") or owner == b".":
        raise FormatError("owner name must be lower case without trailing dot")
    if rtype not in RR_TYPES:
        raise FormatError("unknown type %r" % rtype)
    if rtype in ("TXT", "SPF"):
        if data == "-":
            value = ()
        else:
            strings, pos = [], 0
            while True:
                s, pos = unquote(data, pos)
                strings.append(s)
                if pos == len(data):
                    break
                if data[pos] != " ":
                    raise FormatError("strings must be separated by one space")
                pos += 1
            value = tuple(strings)
    elif rtype in ("A", "AAAA"):
        addr = ipaddress.ip_address(data)
        if addr.version != (4 if rtype == "A" else 6):
            raise FormatError("%s with a wrong address %r" % (rtype, data))
        value = data
    elif rtype == "MX":
        m = re.fullmatch(r"([0-9]+) (\S+)", data)
        if not m or int(m.group(1)) > 65535:
            raise FormatError("MX PREFERENCE EXCHANGE expected")
        exch = untoken(m.group(2))
        if exch != b"." and exch.endswith(b"."):
            raise FormatError("trailing dot in MX exchange")
        value = (int(m.group(1)), exch)
    else:
        target = untoken(data)
        if target.endswith(b"."):
            raise FormatError("trailing dot in target")
        value = target
    return owner, rtype, value


class Scenario:
    def __init__(self, ident):
        self.ident = ident
        self.rrs = []                 # (owner, type, value)
        self.timeouts = OrderedDict()  # owner -> tuple of answered types
        self.tests = []


def parse_file(path):
    scenarios = []
    test_names = set()
    test = None
    with open(path, "rb") as f:
        raw = f.read()
    if not raw.endswith(b"\n"):
        raise FormatError("%s: no newline at end of file" % path)
    for lineno, bline in enumerate(raw[:-1].split(b"\n"), 1):
        where = "%s:%d" % (path, lineno)
        try:
            line = bline.decode("ascii")
        except UnicodeDecodeError:
            raise FormatError("%s: non-ASCII byte" % where)
        try:
            if line.startswith("#"):
                continue
            if not line or line != line.strip() or "\t" in line or "\r" in line:
                raise FormatError("blank line, or stray white space")
            word, _, rest = line.partition(" ")
            if test is not None:
                if word == "end":
                    if rest:
                        raise FormatError("text after end")
                    for key in ("host", "helo", "mailfrom", "result", "section"):
                        if key not in test:
                            raise FormatError("test %s has no %s" % (test["name"], key))
                    scenarios[-1].tests.append(test)
                    test = None
                    continue
                if word not in TEST_FIELDS:
                    raise FormatError("%r inside a test" % word)
                order = [k for k in TEST_FIELDS if k in test]
                if word in test or (order and TEST_FIELDS.index(word) < TEST_FIELDS.index(order[-1])):
                    raise FormatError("field %s repeated or out of order" % word)
                if word == "host":
                    ipaddress.ip_address(rest)
                    test[word] = rest
                elif word in ("helo", "mailfrom", "explanation"):
                    test[word] = one_string(rest)
                elif word == "result":
                    vals = rest.split(",")
                    if any(v not in RESULTS for v in vals) or len(set(vals)) != len(vals):
                        raise FormatError("bad result %r" % rest)
                    test[word] = vals
                else:  # section
                    if not rest:
                        raise FormatError("empty section")
                    test[word] = rest
                continue
            if word == "scenario":
                if not re.fullmatch(r"[0-9]{2}-[a-z0-9-]+", rest):
                    raise FormatError("bad scenario id %r" % rest)
                if any(s.ident == rest for s in scenarios):
                    raise FormatError("scenario %s repeated" % rest)
                scenarios.append(Scenario(rest))
                continue
            if not scenarios:
                raise FormatError("%r before the first scenario" % word)
            sc = scenarios[-1]
            if word == "rr":
                if sc.tests:
                    raise FormatError("rr after the first test of the scenario")
                owner, rtype, value = parse_rr(rest)
                if owner in sc.timeouts:
                    raise FormatError("rr after the timeout line of its name")
                sc.rrs.append((owner, rtype, value))
            elif word == "timeout":
                if sc.tests:
                    raise FormatError("timeout after the first test of the scenario")
                m = re.fullmatch(r"(\S+)(?: except=([A-Z]+(?:,[A-Z]+)*))?", rest)
                if not m:
                    raise FormatError("timeout NAME [except=TYPES] expected")
                owner = untoken(m.group(1))
                if owner in sc.timeouts:
                    raise FormatError("second timeout for a name")
                answered = tuple(m.group(2).split(",")) if m.group(2) else ()
                have = {t for o, t, _ in sc.rrs if o == owner}
                if set(answered) != have or len(set(answered)) != len(answered):
                    raise FormatError("except= %s does not match the rr lines of the name %s"
                                      % (",".join(answered) or "(none)", sorted(have)))
                sc.timeouts[owner] = answered
            elif word == "test":
                name = rest
                if not re.fullmatch(r"[!-~]+", name) or "\\" in name:
                    raise FormatError("bad test name %r" % name)
                if name in test_names:
                    raise FormatError("test %s repeated" % name)
                test_names.add(name)
                test = {"name": name}
            else:
                raise FormatError("unknown directive %r" % word)
        except (FormatError, ValueError) as e:
            raise FormatError("%s: %s" % (where, e))
    if test is not None:
        raise FormatError("%s: test %s has no end" % (path, test["name"]))
    for sc in scenarios:
        if not sc.tests:
            raise FormatError("%s: scenario %s has no tests" % (path, sc.ident))
    return scenarios


def counts(scenarios):
    tests = [t for sc in scenarios for t in sc.tests]
    single = Counter(t["result"][0] for t in tests if len(t["result"]) == 1)
    lists = Counter(",".join(t["result"]) for t in tests if len(t["result"]) > 1)
    return OrderedDict([
        ("scenarios", len(scenarios)),
        ("tests", len(tests)),
        ("single results", OrderedDict((r, single.get(r, 0)) for r in RESULTS)),
        ("result lists", sum(lists.values())),
        ("result list values", OrderedDict(sorted(lists.items()))),
        ("explanations", sum(1 for t in tests if "explanation" in t)),
        ("DEFAULT explanations", sum(1 for t in tests if t.get("explanation") == b"DEFAULT")),
        ("IPv6 clients", sum(1 for t in tests if ipaddress.ip_address(t["host"]).version == 6)),
        ("of them IPv4-mapped", sum(1 for t in tests
                                    if getattr(ipaddress.ip_address(t["host"]), "ipv4_mapped", None))),
        ("empty mailfrom", sum(1 for t in tests if t["mailfrom"] == b"")),
        ("rr lines", OrderedDict((ty, sum(1 for sc in scenarios for _, t, _ in sc.rrs if t == ty))
                                 for ty in RR_TYPES)),
        ("timeouts", sum(len(sc.timeouts) for sc in scenarios)),
        ("tests per scenario", [len(sc.tests) for sc in scenarios]),
    ])


def fmt(value):
    if isinstance(value, dict):
        return ", ".join("%s %s" % (k, v) for k, v in value.items()) or "-"
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="*")
    ap.add_argument("--summary", action="store_true")
    ap.add_argument("--verify", action="store_true")
    args = ap.parse_args()
    files = args.files or sorted(glob.glob(os.path.join(DATA_DIR, "*.cases")))
    if not files:
        print("check-spf-cases.py: no .cases files", file=sys.stderr)
        return 2
    status = 0
    for path in files:
        try:
            scenarios = parse_file(path)
        except (OSError, FormatError) as e:
            print("check-spf-cases.py: %s" % e, file=sys.stderr)
            return 2
        c = counts(scenarios)
        base = os.path.basename(path)
        if args.summary:
            print("%s:" % base)
            for key, value in c.items():
                print("  %-22s %s" % (key + ":", fmt(value)))
            for sc in scenarios:
                print("    %-46s %3d tests" % (sc.ident, len(sc.tests)))
        if args.verify:
            expected = EXPECTED.get(base)
            if expected is None:
                print("%s: no published numbers to compare with" % base)
                continue
            bad = [k for k, v in expected.items() if c[k] != v]
            for k in bad:
                print("%s: %s is %s, published %s" % (base, k, fmt(c[k]), fmt(expected[k])))
            if bad:
                status = 1
            else:
                print("%s: all %d published numbers match" % (base, len(expected)))
        if args.summary:
            print()
        elif not args.summary:
            print("%s: %d scenarios, %d tests" % (base, c["scenarios"], c["tests"]))
    return status


if __name__ == "__main__":
    sys.exit(main())
