#!/usr/bin/env python3
"""Parsing and arithmetic for tests/tools/sa-compare.sh.

  sa-compare.py expected RULES.tsv LIST DBGDIR HEADER >expected.tsv
      LIST holds one "INDEX<TAB>PATH" line per message; DBGDIR/INDEX.dbg is
      the "spamassassin -t -D" output for it. Writes, per message, the
      compared rules SpamAssassin reports as hit.
  sa-compare.py compare RULES.tsv EXPECTED.tsv LINT LIST OUTDIR FLOOR
      OUTDIR/INDEX.json is "mailsift check --json" for message INDEX of
      LIST. Prints the agreement per message and overall; exits 1 when the
      pair agreement is below FLOOR percent.

The compared rules are the top-level rules of RULES.tsv (SpamAssassin's own
regex rules, and the metas built only from regex rules, as
sa-compare-rules.pl lists them) less any rule "mailsift lint" reports as
failed or inert. __ sub-rules are left out: neither side reports them.
"""

import json
import os
import re
import sys

SA_HIT = re.compile(rb"dbg: rules: ran (?:header|body|rawbody|uri|full|meta) rule (\S+) ======> got hit")
SA_MIMEHEADER_HIT = re.compile(rb"dbg: mimeheader: ran rule (\S+) ======> got hit")
LINT_PROBLEM = re.compile(r"^\S+:[0-9]+: (\S+): (.*)$")


def read_rules(path):
    """{name: (type, score)} of the top-level rules of RULES.tsv."""
    rules = {}
    with open(path, encoding="utf-8") as fp:
        for line in fp:
            if line.startswith("#") or not line.strip():
                continue
            name, rtype, score = line.split("\t", 3)[:3]
            if not name.startswith("__"):
                rules[name] = (rtype, float(score))
    return rules


def read_list(path):
    """[(index, message path)] in list order."""
    out = []
    with open(path, encoding="utf-8") as fp:
        for line in fp:
            index, rel = line.rstrip("\n").split("\t", 1)
            out.append((index, rel))
    return out


def sa_hits(path, compared):
    with open(path, "rb") as fp:
        data = fp.read()
    found = set(m.group(1).decode("ascii", "replace") for m in SA_HIT.finditer(data))
    found |= set(m.group(1).decode("ascii", "replace") for m in SA_MIMEHEADER_HIT.finditer(data))
    return found & compared


def cmd_expected(rules_tsv, list_path, dbgdir, header):
    # SpamAssassin's debug output names every meta that matched, but a rule
    # scored 0 is no hit: got_hit() drops it, and regex rules scored 0 do not run.
    compared = set(n for n, (t, score) in read_rules(rules_tsv).items() if score != 0)
    print("# The compared rules SpamAssassin reports as hit (a score of 0 is no hit), one message a line:")
    print("# PATH (relative to the corpus)<TAB>RULE,RULE,... (sorted; empty: none).")
    print("# Written by tests/tools/sa-compare.sh --regenerate; do not edit by hand.")
    for line in header.split("\n"):
        print("# " + line)
    for index, rel in read_list(list_path):
        dbg = os.path.join(dbgdir, index + ".dbg")
        print(rel + "\t" + ",".join(sorted(sa_hits(dbg, compared))))
    return 0


def read_expected(path):
    out = {}
    with open(path, encoding="utf-8") as fp:
        for line in fp:
            if line.startswith("#") or not line.strip():
                continue
            rel, rules = line.rstrip("\n").split("\t", 1)
            out[rel] = set(r for r in rules.split(",") if r)
    return out


def lint_unloaded(path):
    """Rules "mailsift lint" reports as failed or inert."""
    out = set()
    with open(path, encoding="utf-8", errors="replace") as fp:
        for line in fp:
            m = LINT_PROBLEM.match(line.rstrip("\n"))
            if m and ("inert" in m.group(2) or "bad regex" in m.group(2) or "failed" in m.group(2)):
                out.add(m.group(1))
    return out


def mailsift_hits(path, compared):
    """The compared rules among mailsift's results; None if it gave no JSON."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fp:
            doc = json.load(fp)
    except (OSError, ValueError):
        return None
    return set(r.get("rule") for r in doc.get("results", [])) & compared


def cmd_compare(rules_tsv, expected_tsv, lint, list_path, outdir, floor):
    types = read_rules(rules_tsv)
    unloaded = lint_unloaded(lint) & set(types)
    compared = set(types) - unloaded
    expected = read_expected(expected_tsv)
    passed = failed = 0
    by_type = {}  # type: [pairs hit by both, pairs hit by either]
    for index, rel in read_list(list_path):
        sa = expected[rel] & compared
        ms = mailsift_hits(os.path.join(outdir, index + ".json"), compared)
        note = ""
        if ms is None:
            ms, note = set(), " (mailsift gave no result)"
        for name in sa | ms:
            count = by_type.setdefault(types[name][0], [0, 0])
            count[0] += name in sa and name in ms
            count[1] += 1
        print("%s: agree %d of %d%s" % (rel, len(sa & ms), len(sa | ms), note))
        if sa == ms and not note:
            passed += 1
            continue
        failed += 1
        if sa - ms:
            print("  spamassassin only: " + " ".join(sorted(sa - ms)))
        if ms - sa:
            print("  mailsift only: " + " ".join(sorted(ms - sa)))
    agree = sum(c[0] for c in by_type.values())
    union = sum(c[1] for c in by_type.values())
    pct = 100.0 * agree / union if union else 100.0
    print("compared rules: %d (%d not loaded by mailsift)" % (len(compared), len(unloaded)))
    for rtype in sorted(by_type):
        print("  %s: %d of %d pairs agree" % (rtype, by_type[rtype][0], by_type[rtype][1]))
    print("sa-compare: %d passed, %d failed" % (passed, failed))
    print("pairs: %d of %d agree (%.1f%%)" % (agree, union, pct))
    if pct + 1e-9 < floor:
        print("sa-compare: pair agreement %.1f%% is below the floor %.1f%%" % (pct, floor))
        return 1
    return 0


def main(argv):
    if len(argv) == 6 and argv[1] == "expected":
        return cmd_expected(argv[2], argv[3], argv[4], argv[5])
    if len(argv) == 8 and argv[1] == "compare":
        return cmd_compare(argv[2], argv[3], argv[4], argv[5], argv[6], float(argv[7]))
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
