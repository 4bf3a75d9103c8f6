#!/usr/bin/env python3
"""Generate tests/data/spf/*.cases, the SPF test suites in a line format.

  python3 tests/tools/gen-spf-cases.py [SUITE.yml ...] [-o OUTDIR] [--check]

Each SUITE.yml is an openspf/pyspf SPF test suite (YAML).  Without arguments
the two RFC suites of the shared test corpus are read:
  ../shared/corpus/spf-testsuite/rfc7208-tests.yml
  ../shared/corpus/spf-testsuite/rfc4408-tests.yml
(relative to the repository root).  For NAME-tests.yml the output is
OUTDIR/NAME.cases (OUTDIR defaults to tests/data/spf in the repository), and
the suite's licence NAME-tests.LICENSE, if it sits beside the YAML file, is
copied byte for byte to OUTDIR/LICENSE-NAME-tests.

With --check nothing is written: the files that would be written are compared
with the ones in OUTDIR and the exit status is 1 if any differs.

Needs PyYAML (Debian: python3-yaml) - only this generator does; the generated
files are plain text and are committed.  The output is deterministic.  The
format is described in FORMAT below, which is also written at the top of every
generated file, and in tests/data/spf/README.md.
"""

import argparse
import hashlib
import ipaddress
import os
import re
import sys
import textwrap

try:
    import yaml
except ImportError:  # pragma: no cover
    sys.exit("gen-spf-cases.py: PyYAML is needed (apt-get install python3-yaml)")

REPO_ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DEFAULT_SUITE_DIR = os.path.normpath(os.path.join(REPO_ROOT, "..", "shared", "corpus", "spf-testsuite"))
DEFAULT_SUITES = ("rfc7208-tests.yml", "rfc4408-tests.yml")
DEFAULT_OUTDIR = os.path.join(REPO_ROOT, "tests", "data", "spf")

RESULTS = ("pass", "fail", "softfail", "neutral", "none", "permerror", "temperror")
RESULT_ALIASES = {"unknown": "permerror", "error": "temperror"}  # pre-RFC 7208 names
RR_TYPES = ("TXT", "SPF", "A", "AAAA", "MX", "PTR", "CNAME")

FORMAT = """\
# Format: one directive per line; fields are separated by single spaces.
# Lines starting with '#' are comments.  No line is blank.
#
#   scenario ID           Starts a scenario.  ID is NN-slug-of-its-description.
#                         Each scenario has its own DNS: a test sees only the
#                         rr and timeout lines of its own scenario.
#   rr NAME TYPE DATA     One DNS resource record.  TYPE is TXT, SPF, A, AAAA,
#                         MX, PTR or CNAME.  DATA depends on TYPE:
#                           TXT, SPF  the character-strings of the record, each
#                                     as a "quoted string", separated by one
#                                     space; a lone - (unquoted) is a
#                                     record with no strings.  A client
#                                     concatenates the strings without
#                                     separator (RFC 7208 3.3).
#                           A, AAAA   the address as written in the suite
#                           MX        PREFERENCE EXCHANGE; EXCHANGE "." is the
#                                     root (null MX)
#                           PTR, CNAME  the target name
#                         Several rr lines with the same NAME and TYPE form one
#                         RRset, in the order given.
#   timeout NAME [except=T1,T2...]
#                         Every query for NAME times out (temperror), except
#                         queries of the types listed after except=: those are
#                         answered by the rr lines of NAME (the records the
#                         suite lists before its TIMEOUT entry).
#   test NAME             Starts a test of the current scenario, followed by
#     host IP             the client address (IPv4 or IPv6)
#     helo "STRING"       the HELO/EHLO name
#     mailfrom "STRING"   the MAIL FROM identity; "" means empty: check
#                         postmaster@<helo> instead (RFC 7208 2.4); a value
#                         without local part (@domain) means postmaster
#     result R[,R...]     the expected result: pass, fail, softfail, neutral,
#                         none, permerror or temperror; with several (comma-
#                         separated), any is accepted, the first is preferred
#     explanation "STRING"  (optional) the expected explanation of a fail.
#                         "DEFAULT" stands for the default explanation: set it
#                         to the literal DEFAULT, or skip the comparison.
#     section TEXT        the RFC section/paragraph reference (rest of line;
#                         informational only)
#     end                 ends the test
#   The lines of a test come in the order shown.
#
# DNS rules: NAME (owner names and timeout names) is written in lower case
# without trailing dot; match query names case-insensitively.  A name that has
# no rr or timeout line in the scenario does not exist (NXDOMAIN), even when
# names below it are listed (as in the suite's own driver); a name that has
# lines, but none of the queried type, exists without data (NODATA).
# Record targets (PTR, CNAME, MX exchange) keep the suite's letter case,
# without trailing dot.  A CNAME is followed by the resolver: a query of
# another type for NAME is answered with the target's records of that type.
# SPF rr lines are the obsolete type 99 record; the suite rule "every SPF record
# is also a TXT record, unless the name has explicit TXT entries (TXT: NONE
# included)" is already applied: the copies are rr ... TXT lines.  Resolvers
# that only ask for TXT (RFC 7208) may ignore the SPF lines.
#
# Escapes: inside "quoted strings", \\\\ is a backslash, \\" a double quote and
# \\xHH (always exactly two hex digits, unlike C) any byte; every byte outside
# 0x20-0x7E is written as \\xHH.  NAME and target tokens are unquoted; in them
# \\xHH stands for a space, a backslash or any byte outside 0x21-0x7E.  Strings
# are bytes: non-ASCII characters of the suite (\\x80 in the YAML is U+0080)
# are given as their UTF-8 bytes, as pyspf sends them; NUL is \\x00.
"""


class SuiteError(Exception):
    pass


# --------------------------------------------------------------------------
# Escaping

def to_bytes(s):
    """Text of the suite -> the bytes sent on the wire (UTF-8)."""
    return s.encode("utf-8")


def quote(s):
    """C-like double-quoted string; \\xHH is always two hex digits."""
    out = ['"']
    for b in to_bytes(s):
        if b == 0x22:
            out.append('\\"')
        elif b == 0x5C:
            out.append("\\\\")
        elif 0x20 <= b <= 0x7E:
            out.append(chr(b))
        else:
            out.append("\\x%02X" % b)
    out.append('"')
    return "".join(out)


def token(s, lower=False):
    """Unquoted token (a name): no spaces, no backslashes, printable ASCII."""
    data = to_bytes(s)
    if lower:
        data = data.lower()  # ASCII letters only
    if not data:
        raise SuiteError("empty name")
    out = []
    for b in data:
        if 0x21 <= b <= 0x7E and b != 0x5C:
            out.append(chr(b))
        else:
            out.append("\\x%02X" % b)
    return "".join(out)


def dns_name(s, lower=False):
    """Owner or target name: no trailing dot (the root stays ".")."""
    if s in ("", "."):
        return "."
    if s.endswith("."):
        s = s[:-1]
    return token(s, lower)


def comment_lines(label, text):
    text = " ".join(str(text).split())
    text = "".join(c if " " <= c <= "~" else "\\x%02X" % b
                   for c in text for b in to_bytes(c))  # printable ASCII only
    return textwrap.wrap(text, width=76, initial_indent="# %s: " % label,
                         subsequent_indent="#   ", break_long_words=False,
                         break_on_hyphens=False)


def slug(text):
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return s or "scenario"


# --------------------------------------------------------------------------
# Conversion

def rr_data(rtype, value, where):
    if rtype in ("TXT", "SPF"):
        if isinstance(value, str):
            strings = [value]
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            strings = value
        else:
            raise SuiteError("%s: bad %s value %r" % (where, rtype, value))
        return " ".join(quote(v) for v in strings) if strings else "-"
    if rtype in ("A", "AAAA"):
        if not isinstance(value, str):
            raise SuiteError("%s: bad %s value %r" % (where, rtype, value))
        addr = ipaddress.ip_address(value)
        if addr.version != (4 if rtype == "A" else 6):
            raise SuiteError("%s: %s value %r has the wrong family" % (where, rtype, value))
        return value
    if rtype == "MX":
        if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)
                and re.fullmatch(r"[0-9]+", value[0]) and int(value[0]) <= 65535):
            raise SuiteError("%s: bad MX value %r" % (where, value))
        return "%d %s" % (int(value[0]), dns_name(value[1]))
    if rtype in ("PTR", "CNAME"):
        if not isinstance(value, str) or value in ("", "."):
            raise SuiteError("%s: bad %s value %r" % (where, rtype, value))
        return dns_name(value)
    raise SuiteError("%s: unknown RR type %r" % (where, rtype))


def zone_lines(name, entries, where):
    """The rr/timeout lines for one zonedata name."""
    owner = dns_name(name, lower=True)
    if owner == ".":
        raise SuiteError("%s: empty owner name" % where)
    if not isinstance(entries, list):
        raise SuiteError("%s: RR list expected" % where)
    has_txt = any(isinstance(e, dict) and "TXT" in e for e in entries)
    lines = []
    answered = []  # types with records before TIMEOUT, first-seen order
    timeout = False
    generated_txt = False
    for i, entry in enumerate(entries):
        w = "%s[%d]" % (where, i)
        if entry == "TIMEOUT":
            if timeout:
                raise SuiteError("%s: second TIMEOUT" % w)
            timeout = True
            continue
        if not (isinstance(entry, dict) and len(entry) == 1):
            raise SuiteError("%s: unsupported entry %r" % (w, entry))
        if timeout:
            raise SuiteError("%s: records after TIMEOUT are not supported" % w)
        (rtype, value), = entry.items()
        if rtype not in RR_TYPES:
            raise SuiteError("%s: unsupported RR type %r" % (w, rtype))
        if value == "TIMEOUT":
            raise SuiteError("%s: per-type TIMEOUT values are not supported" % w)
        if rtype == "TXT" and value == "NONE":
            continue  # no record; only switches off the SPF->TXT copies
        data = rr_data(rtype, value, w)
        lines.append("rr %s %s %s" % (owner, rtype, data))
        if rtype not in answered:
            answered.append(rtype)
        if rtype == "SPF" and not has_txt:
            lines.append("rr %s TXT %s" % (owner, data))
            generated_txt = True
    if timeout:
        if generated_txt:
            # The suite does not say whether a copied TXT record counts as
            # "listed before TIMEOUT"; no test needs it, so refuse to guess.
            raise SuiteError("%s: SPF records without TXT entries before TIMEOUT are ambiguous" % where)
        lines.append("timeout %s%s" % (owner, " except=" + ",".join(answered) if answered else ""))
    if not lines:
        raise SuiteError("%s: a name with no records cannot be written" % where)
    if "CNAME" in answered and len(lines) > 1:
        raise SuiteError("%s: CNAME beside other data is not supported" % where)
    return owner, lines


def results(value, where):
    vals = [value] if isinstance(value, str) else value
    if not isinstance(vals, list) or not vals:
        raise SuiteError("%s: bad result %r" % (where, value))
    out = []
    for v in vals:
        if not isinstance(v, str):
            raise SuiteError("%s: bad result %r" % (where, value))
        v = RESULT_ALIASES.get(v.lower(), v.lower())
        if v not in RESULTS:
            raise SuiteError("%s: unknown result %r" % (where, v))
        if v not in out:
            out.append(v)
    return ",".join(out)


def section(spec, where):
    if isinstance(spec, list):
        spec = ", ".join(str(s) for s in spec)
    if not isinstance(spec, str):
        raise SuiteError("%s: bad spec %r" % (where, spec))
    spec = " ".join(spec.split())
    if not re.fullmatch(r"[ -~]*", spec):
        raise SuiteError("%s: spec is not printable ASCII" % where)
    return spec or "-"


def convert(path, licence_name):
    with open(path, "rb") as f:
        raw = f.read()
    # BaseLoader keeps every scalar as a string, so "spec: 5.10" stays 5.10
    # instead of becoming a float; the suites use no other tagged types.
    docs = [d for d in yaml.load_all(raw, Loader=yaml.BaseLoader) if d is not None]
    base = os.path.basename(path)
    out = [
        "# SPF test cases converted from %s (the openspf/pyspf test suite)." % base,
        "# Source sha256 %s." % hashlib.sha256(raw).hexdigest(),
        "# Generated by tests/tools/gen-spf-cases.py; do not edit by hand.",
        "# Licence: BSD-3-Clause, see %s beside this file; README.md there" % licence_name,
        "# tells where the suite comes from and how to regenerate this file.",
        "#",
    ]
    out.extend(FORMAT.rstrip("\n").split("\n"))
    test_names = set()
    for n, doc in enumerate(docs, 1):
        where = "%s: scenario %d" % (base, n)
        if not (isinstance(doc, dict) and isinstance(doc.get("tests"), dict)
                and isinstance(doc.get("zonedata", {}), dict)):
            raise SuiteError("%s: not a scenario" % where)
        unknown = set(doc) - {"description", "comment", "tests", "zonedata"}
        if unknown:
            raise SuiteError("%s: unknown keys %s" % (where, sorted(unknown)))
        desc = doc.get("description", "")
        out.append("#")
        out.append("# " + "=" * 74)
        out.extend(comment_lines("scenario", desc))
        if "comment" in doc:
            out.extend(comment_lines("comment", doc["comment"]))
        out.append("scenario %02d-%s" % (n, slug(desc)))
        owners = set()
        for name, entries in doc.get("zonedata", {}).items():
            owner, lines = zone_lines(name, entries, "%s: zonedata %s" % (where, name))
            if owner in owners:
                raise SuiteError("%s: name %s listed twice" % (where, owner))
            owners.add(owner)
            out.extend(lines)
        for tname, t in doc["tests"].items():
            tw = "%s: test %s" % (where, tname)
            if tname in test_names:
                raise SuiteError("%s: duplicate test name" % tw)
            test_names.add(tname)
            if not isinstance(t, dict):
                raise SuiteError("%s: not a map" % tw)
            unknown = set(t) - {"description", "comment", "spec", "helo", "host",
                                "mailfrom", "result", "explanation", "strict"}
            if unknown:
                raise SuiteError("%s: unknown keys %s" % (tw, sorted(unknown)))
            for key in ("host", "helo", "mailfrom", "result"):
                if key not in t:
                    raise SuiteError("%s: no %s" % (tw, key))
            for key in ("host", "helo", "mailfrom"):
                if not isinstance(t[key], str):
                    raise SuiteError("%s: bad %s %r" % (tw, key, t[key]))
            ipaddress.ip_address(t["host"])
            out.append("#")
            if "description" in t:
                out.extend(comment_lines("description", t["description"]))
            if "comment" in t:
                out.extend(comment_lines("comment", t["comment"]))
            out.append("test %s" % token(tname))
            out.append("host %s" % t["host"])
            out.append("helo %s" % quote(t["helo"]))
            out.append("mailfrom %s" % quote(t["mailfrom"]))
            out.append("result %s" % results(t["result"], tw))
            if "explanation" in t:
                if not isinstance(t["explanation"], str):
                    raise SuiteError("%s: bad explanation" % tw)
                out.append("explanation %s" % quote(t["explanation"]))
            out.append("section %s" % section(t.get("spec", "-"), tw))
            out.append("end")
    return ("\n".join(out) + "\n").encode("ascii")


def output_stem(path):
    base = os.path.basename(path)
    for ext in (".yml", ".yaml"):
        if base.endswith(ext):
            base = base[: -len(ext)]
    return base[: -len("-tests")] if base.endswith("-tests") else base


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("suites", nargs="*", help="suite YAML files")
    ap.add_argument("-o", "--outdir", default=DEFAULT_OUTDIR)
    ap.add_argument("--check", action="store_true",
                    help="compare with the files in OUTDIR instead of writing")
    args = ap.parse_args()
    suites = args.suites or [os.path.join(DEFAULT_SUITE_DIR, s) for s in DEFAULT_SUITES]

    files = []  # (output path, bytes)
    for path in suites:
        stem = output_stem(path)
        licence_name = "LICENSE-%s-tests" % stem
        licence_src = os.path.join(os.path.dirname(path), "%s-tests.LICENSE" % stem)
        try:
            data = convert(path, licence_name)
        except (OSError, yaml.YAMLError, SuiteError, ValueError) as e:
            sys.exit("gen-spf-cases.py: %s" % e)
        files.append((os.path.join(args.outdir, stem + ".cases"), data))
        if os.path.exists(licence_src):
            with open(licence_src, "rb") as f:
                files.append((os.path.join(args.outdir, licence_name), f.read()))
        else:
            print("gen-spf-cases.py: warning: no licence file %s" % licence_src, file=sys.stderr)

    status = 0
    for out, data in files:
        if args.check:
            try:
                with open(out, "rb") as f:
                    same = f.read() == data
            except OSError:
                same = False
            if not same:
                print("%s: out of date" % out)
                status = 1
        else:
            os.makedirs(os.path.dirname(out), exist_ok=True)
            with open(out, "wb") as f:
                f.write(data)
            print("wrote %s" % out)
    return status


if __name__ == "__main__":
    sys.exit(main())
