#!/usr/bin/env python3
"""Convert the authentication_milter end-to-end data for our e2e test.

  python3 tests/tools/authmilter-expect.py CORPUS_DIR [OUT_DIR]
  python3 tests/tools/authmilter-expect.py --ours AUTHSERV_ID [--hide-none] < JSON

CORPUS_DIR is the copy of fastmail/authentication_milter's test data (with
DERIVED-cases.json, example/ and zonefile); OUT_DIR defaults to
tests/data/authentication-milter.  Two files are written:

expected.tsv  one line per message of every case in DERIVED-cases.json:
              the envelope, and the spf, dkim and dmarc results that
              authentication_milter wrote in its own Authentication-Results
              header of the case's `dest` file in example/ (see FORMAT below).
zone          the corpus `zonefile` in the format of tests/e2e/lib/dns.sh:
              one record a line, no parentheses, every TXT character-string
              quoted; `;ERROR,name,type,rcode` forced errors mapped as
              closely as that format allows (see map_error()).

With --ours it reads the JSON of `mailsift check --json` instead and prints
our outcome, spf, dkim and dmarc columns the same way (see ours()), so that
both sides are read by the same parser.

Only the Python 3 standard library is used.  Exit status 0, or 2 when the
corpus holds something this converter does not understand.
"""

import ipaddress
import json
import os
import re
import sys

REPO_ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DEFAULT_OUT = os.path.join(REPO_ROOT, "tests", "data", "authentication-milter")

FORMAT = """\
# Expected results of the authentication_milter end-to-end cases.
# Written by tests/tools/authmilter-expect.py from DERIVED-cases.json and the
# Authentication-Results header authentication_milter added to each case's
# output in t/data/example (not copied).  Do not edit by hand.
#
# Columns (tab-separated):
#   case     the output file name without .eml (unique)
#   msg      message number within the case (pipelined SMTP cases have several)
#   config   the authentication_milter configuration the case ran with
#   source   the input message in source/
#   ip helo from to   the client address, HELO name, MAIL FROM and RCPT TO
#            given to authentication_milter ("-" for an empty MAIL FROM)
#   outcome  header  = its Authentication-Results header is in the output
#            noheader = the output has no Authentication-Results header of
#                       its own (dry-run configurations): nothing to read
#            reject   = the message was refused at end of data (550)
#   spf      the spf= result, "-" when there is no spf= entry
#   dkim     one "result:header.d" per dkim= entry, comma-separated, in
#            header order; "none" for "dkim=none" without header.d; "-" when
#            there is no dkim= entry
#   dmarc    one "result:header.from" per dmarc= entry, comma-separated;
#            just "result" for an entry without header.from; "-" when none
"""

# The authserv-id each configuration writes (authentication_milter.json's
# authserv_id, else the test harness's name for the milter or SMTP mode).
AUTHSERV_ID = {"hide_none": "mx.example.net", "hide_none.smtp": "mx.example.net"}


def die(msg):
    sys.stderr.write("authmilter-expect: %s\n" % msg)
    sys.exit(2)


def unfold_headers(text):
    """The header fields of each message in text, unfolded, as (name, value).

    Messages in a pipelined output are simply concatenated; a new message
    is not needed here: the Authentication-Results fields are read in order.
    """
    fields = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if line[:1] in (" ", "\t") and fields:
            name, value = fields[-1]
            fields[-1] = (name, value + " " + line.strip())
        elif ":" in line and re.match(r"^[!-9;-~]+:", line):
            name, value = line.split(":", 1)
            fields.append((name, value.strip()))
    return fields


def strip_comments(s):
    """s without RFC 5322 comments, quoted strings kept as they are."""
    out, depth, quoted, i = [], 0, False, 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            if depth == 0:
                out.append(s[i:i + 2])
            i += 2
            continue
        if quoted:
            quoted = c != '"'
            out.append(c)
        elif c == "(":
            depth += 1
        elif c == ")" and depth > 0:
            depth -= 1
        elif depth == 0:
            quoted = c == '"'
            out.append(c)
        i += 1
    return "".join(out)


def resinfos(value):
    """authserv-id and [(method, result, {property: value})] of an A-R value."""
    parts = [p.strip() for p in strip_comments(value).split(";")]
    entries = []
    for part in parts[1:]:
        m = re.match(r"^([A-Za-z0-9_.-]+)\s*=\s*([A-Za-z0-9_-]+)(.*)$", part)
        if m is None:
            continue
        props = dict(re.findall(r"([A-Za-z0-9_-]+\.[A-Za-z0-9_.-]+)=(\"[^\"]*\"|\S*)", m.group(3)))
        entries.append((m.group(1).lower(), m.group(2).lower(), props))
    return parts[0].split()[0] if parts[0] else "", entries


def summarize(entries):
    """The spf, dkim and dmarc columns for one Authentication-Results.

    authentication_milter writes one spf= entry; mailsift one for MAIL FROM
    (smtp.mailfrom, or smtp.helo alone for the null sender) and one more
    for the HELO identity: the MAIL FROM one is the one compared.
    """
    spf = [r for (meth, r, p) in entries if meth == "spf" and "smtp.mailfrom" in p]
    if not spf:
        spf = [r for (meth, r, _) in entries if meth == "spf"][:1]
    if len(spf) > 1:
        die("several spf= entries for MAIL FROM")
    dkim = []
    for meth, r, props in entries:
        if meth == "dkim":
            d = props.get("header.d", "").lower()
            dkim.append("%s:%s" % (r, d) if d else r)
    dmarc = []
    for meth, r, props in entries:
        if meth == "dmarc":
            f = props.get("header.from", "").lower()
            dmarc.append("%s:%s" % (r, f) if f else r)
    return (spf[0] if spf else "-", ",".join(dkim) or "-", ",".join(dmarc) or "-")


def listify(v, n):
    return v if isinstance(v, list) else [v] * n


def case_rows(corpus, case):
    """expected.tsv rows (lists of columns) of one case."""
    dest = case["dest"]
    name = dest[:-4] if dest.endswith(".eml") else die("dest without .eml: " + dest)
    config = os.path.basename(case["running_config"])
    sources = listify(case["source"], 1)
    n = len(sources)
    envs = [listify(case[k], n) for k in ("ip", "name", "from", "to")]
    path = os.path.join(corpus, "example", dest)
    want_id = AUTHSERV_ID.get(config, "server.example.com" if case["mode"] == "smtp" else "test.module")
    if not os.path.exists(path):
        # The SMTP "DMARC Reject Hard" case has no output: upstream's
        # t/AuthMilterTest.pm runs it with eom_expect => '550', no_cat => 1.
        if dest != "dmarc_reject_hard.smtp.eml":
            die("missing output " + dest)
        results = [("reject", "-", "-", "-")]
    else:
        with open(path, encoding="utf-8", errors="surrogateescape") as fp:
            text = fp.read()
        if text.startswith("Message rejected with code : 550"):
            results = [("reject", "-", "-", "-")]
        else:
            results = []
            for hname, value in unfold_headers(text):
                if hname.lower() != "authentication-results":
                    continue
                authserv_id, entries = resinfos(value)
                if authserv_id == want_id:
                    results.append(("header",) + summarize(entries))
            if not results:
                results = [("noheader", "-", "-", "-")]
    # pipelined.limit.smtp: six messages sent, the output holds the first
    # four (pipeline_limit 4); the others have no expectation.
    if len(results) > n or (len(results) < n and not name.startswith("pipelined.limit")):
        die("%s: %d messages, %d results" % (dest, n, len(results)))
    rows = []
    for i, res in enumerate(results):
        env = [e[i] if e[i] != "" else "-" for e in envs]
        rows.append([name, str(i + 1), config, sources[i]] + env + list(res))
    return rows


def write_expected(corpus, out):
    with open(os.path.join(corpus, "DERIVED-cases.json"), encoding="utf-8") as fp:
        cases = json.load(fp)["cases"]
    names = set()
    lines = [FORMAT]
    for case in cases:
        for row in case_rows(corpus, case):
            if row[1] == "1" and row[0] in names:
                die("duplicate case " + row[0])
            names.add(row[0])
            if any("\t" in c or "\n" in c for c in row):
                die("tab or newline in " + row[0])
            lines.append("\t".join(row) + "\n")
    with open(os.path.join(out, "expected.tsv"), "w", encoding="utf-8") as fp:
        fp.writelines(lines)
    return len(cases), len(lines) - 1


# --- zone file

ZONE_HEAD = """\
; DNS data of the authentication_milter end-to-end cases, in the format of
; tests/e2e/lib/dns.sh.  Written by tests/tools/authmilter-expect.py from
; the corpus file t/zonefile; do not edit by hand.  Changes made on the way:
; multi-line/parenthesised records joined, unquoted TXT character-strings
; quoted, relative names made absolute, identical records written once, and
; each ";ERROR,name,type,rcode" forced error mapped as noted where it stood.
"""


def logical_records(text):
    """(first line number, text) of each record, parentheses joined."""
    recs, cur, depth, start = [], [], 0, 0
    for no, line in enumerate(text.split("\n"), 1):
        if depth == 0 and line.startswith(";"):
            recs.append((no, line))
            continue
        body, inq = [], False
        for c in line:
            if c == '"':
                inq = not inq
            elif c == ";" and not inq:
                break
            elif c in "()" and not inq:
                depth += 1 if c == "(" else -1
                c = " "
            body.append(c)
        if not cur:
            start = no
        cur.append("".join(body))
        if depth == 0:
            joined = " ".join(cur).strip()
            if joined:
                recs.append((start, joined))
            cur = []
    if depth != 0:
        die("zonefile: unbalanced parentheses")
    return recs


def txt_strings(data):
    """TXT data as a list of character-strings (quoted or bare tokens)."""
    out = []
    for m in re.finditer(r'"((?:[^"\\]|\\.)*)"|(\S+)', data):
        out.append(m.group(1) if m.group(1) is not None else m.group(2).replace('"', '\\"'))
    return out


def reverse_name(name):
    """1.2.3.4 -> 4.3.2.1.in-addr.arpa. (Net::DNS does this for PTR)."""
    try:
        return ipaddress.ip_address(name).reverse_pointer + "."
    except ValueError:
        return name if name.endswith(".") else name + "."


def map_error(line, owners):
    """Our lines for one ";ERROR,name,type,rcode" forced error."""
    try:
        _, name, rtype, rcode = [f.strip() for f in line.split(",")]
    except ValueError:
        die("zonefile: bad ERROR line: " + line)
    fq = reverse_name(name) if rtype.upper() == "PTR" else (name if name.endswith(".") else name + ".")
    rcode = rcode.upper()
    if rcode == "NXDOMAIN":
        if fq.lower() in owners:
            # our format has no per-type NXDOMAIN: the name has other data
            return ["; %s: cannot map: %s has other records (NXDOMAIN for %s only)" % (line, fq, rtype)]
        return ["; %s: %s is not listed, so every type of it is NXDOMAIN" % (line, fq)]
    if rcode in ("SERVFAIL", "REFUSED", "TIMEOUT"):
        return ["; %s: for every type of %s and the names below it" % (line, fq),
                "%s %s" % (fq, rcode)]
    die("zonefile: unknown rcode in " + line)
    return []


def convert_zone(text):
    recs = logical_records(text)
    owners, parsed = set(), []
    for no, rec in recs:
        if rec.startswith(";"):
            parsed.append((no, rec, None))
            continue
        toks = rec.split()
        name = toks[0] if toks[0].endswith(".") else toks[0] + "."
        i = 1
        ttl = "300"
        if i < len(toks) and toks[i].isdigit():
            ttl, i = toks[i], i + 1
        if i < len(toks) and toks[i].upper() == "IN":
            i += 1
        if i >= len(toks):
            die("zonefile:%d: no type: %s" % (no, rec))
        rtype = toks[i].upper()
        data = rec.split(None, i + 1)[i + 1] if len(toks) > i + 1 else ""
        owners.add(name.lower())
        parsed.append((no, name, (ttl, rtype, data)))
    out, seen = [ZONE_HEAD], set()
    for no, name, rr in parsed:
        if rr is None:
            if name.startswith(";ERROR,"):
                out.extend(l + "\n" for l in map_error(name, owners))
            else:
                out.append(name + "\n")
            continue
        ttl, rtype, data = rr
        if rtype == "TXT":
            strings = txt_strings(data)
            if not strings:
                out.append("; zonefile line %d: TXT without data, served as one empty string\n" % no)
                strings = [""]
            data = " ".join('"%s"' % s for s in strings)
        elif not data:
            die("zonefile:%d: %s without data" % (no, rtype))
        elif rtype in ("CNAME", "PTR", "NS", "MX") and not data.endswith("."):
            data += "."
        line = "%s %s IN %s %s" % (name, ttl, rtype, " ".join(data.split()) if rtype != "TXT" else data)
        key = (name.lower(), rtype, data)
        if key in seen:
            continue
        seen.add(key)
        out.append(line + "\n")
    return out


def ours(argv):
    """--ours AUTHSERV_ID [--hide-none] < JSON: our columns, as expected.tsv's.

    Reads the JSON of `mailsift check --json` and prints outcome, spf, dkim
    and dmarc, tab-separated.  A message without a DKIM signature gets no
    dkim= entry from mailsift: "none", as authentication_milter writes it.
    --hide-none drops "none" results, as that configuration option does.
    """
    run = json.load(sys.stdin)
    hide_none = "--hide-none" in argv
    if run["verdict"] == "reject":
        print("reject\t-\t-\t-")
        return 0
    values = [h["value"] for h in run["headers_added"] if h["name"].lower() == "authentication-results"]
    mine = [resinfos(v)[1] for v in values if resinfos(v)[0] == argv[0]]
    if not mine:
        print("noheader\t-\t-\t-")
        return 0
    spf, dkim, dmarc = summarize(mine[0])
    if dkim == "-":
        dkim = "none"
    if hide_none:
        spf = "-" if spf == "none" else spf
        dkim = ",".join(d for d in dkim.split(",") if d.split(":")[0] != "none") or "-"
        dmarc = ",".join(d for d in dmarc.split(",") if d.split(":")[0] != "none") or "-"
    print("header\t%s\t%s\t%s" % (spf, dkim, dmarc))
    return 0


def main(argv):
    if len(argv) >= 3 and argv[1] == "--ours":
        return ours(argv[2:])
    if len(argv) not in (2, 3):
        sys.stderr.write(__doc__)
        return 2
    corpus = argv[1]
    out = argv[2] if len(argv) == 3 else DEFAULT_OUT
    ncases, nrows = write_expected(corpus, out)
    with open(os.path.join(corpus, "zonefile"), encoding="utf-8") as fp:
        zone = convert_zone(fp.read())
    with open(os.path.join(out, "zone"), "w", encoding="utf-8") as fp:
        fp.writelines(zone)
    print("%d cases, %d messages with expectations; zone: %d records"
          % (ncases, nrows, sum(1 for l in zone if l[:1] not in (";", "\n"))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
