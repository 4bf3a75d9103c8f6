#!/usr/bin/env python3
"""Independent reference validator for RFC 5321 envelope mailboxes.

Reads tests/data/address/cases.tsv (or the file given as argument), decodes
every ADDRESS, validates it with the reference validator below and reports
each case whose EXPECT disagrees.  Exit status: 0 if all cases agree, 1 if
any disagree, 2 on a malformed file.

  python3 tests/tools/check-address-cases.py [cases.tsv] [--summary]

The validator is written directly from the ABNF; it is a second opinion for
the data file, not the product's validator.  The rules it applies:

Mailbox          = Local-part "@" ( Domain / address-literal )    RFC 5321 4.1.2
Local-part       = Dot-string / Quoted-string
Dot-string       = Atom *("." Atom), Atom = 1*atext (RFC 5322 atext)
Quoted-string    = DQUOTE *QcontentSMTP DQUOTE
qtextSMTP        = %d32-33 / %d35-91 / %d93-126
quoted-pairSMTP  = %d92 %d32-126
Domain           = sub-domain *("." sub-domain)
sub-domain       = Let-dig [Ldh-str]
address-literal  = "[" ( IPv4-address-literal / IPv6-address-literal /
                         General-address-literal ) "]"        RFC 5321 4.1.3
  IPv4: Snum 3("." Snum), Snum = 1*3DIGIT with value 0-255.
  IPv6: "IPv6:" IPv6-addr.  ABNF quoted strings are case-insensitive
        (RFC 5234 2.3), so "ipv6:" and "IPV6:" are accepted too.  The
        grammar comments are enforced: "::" stands for at least two zero
        groups, so at most 6 groups (4 plus the IPv4 part) may be written
        next to it.
  General: Standardized-tag ":" 1*dcontent, tag = Ldh-str, dcontent =
        %d33-90 / %d94-126.  Any syntactically valid tag is accepted (the
        IANA registration requirement is not syntax) except a tag equal to
        "IPv6" ignoring case: that tag is registered with its own syntax, so
        a bad IPv6 literal is never re-read as a General-address-literal.

Lengths (RFC 5321 4.5.3.1): local part <= 64 octets, every label <= 63
octets, domain <= 255 octets, mailbox <= 254 octets (the 256-octet path limit
minus the angle brackets).  Quotes and backslashes count.

Mode "utf8" (RFC 6531, SMTPUTF8): the whole address must be well-formed
UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF);
atext, qtextSMTP and domain labels additionally accept any non-ASCII code
point.  quoted-pairSMTP and dcontent are NOT extended.  Hyphen rules apply to
every label.  Lengths are octets of the UTF-8 form, and in addition the DNS
limits (label 63, domain 255) and the 254-octet mailbox limit are checked on
the address with each non-ASCII label replaced by its A-label ("xn--" +
RFC 3492 Punycode of the label exactly as written, without mapping).

Mode "ascii": any octet >= 0x80 makes the address invalid.  An address made
only of ASCII octets gets the same result in both modes.
"""

import re
import sys

ATEXT_SPECIALS = set("!#$%&'*+-/=?^_`{|}~")
MAX_LOCAL = 64
MAX_LABEL = 63
MAX_DOMAIN = 255
MAX_MAILBOX = 254

_HEX = r"[0-9A-Fa-f]{1,4}"
_IPV4_RE = re.compile(r"\A[0-9]{1,3}(?:\.[0-9]{1,3}){3}\Z")
_V6_FULL = re.compile(r"\A%s(?::%s){7}\Z" % (_HEX, _HEX))
_V6_COMP = re.compile(r"\A(?:%s(?::%s){0,5})?::(?:%s(?::%s){0,5})?\Z"
                      % (_HEX, _HEX, _HEX, _HEX))
_V6V4_FULL = re.compile(r"\A%s(?::%s){5}:(?P<v4>[0-9.]+)\Z" % (_HEX, _HEX))
_V6V4_COMP = re.compile(r"\A(?:%s(?::%s){0,3})?::(?:%s(?::%s){0,3}:)?"
                        r"(?P<v4>[0-9.]+)\Z" % (_HEX, _HEX, _HEX, _HEX))


def _is_alnum_ascii(c):
    return ("a" <= c <= "z") or ("A" <= c <= "Z") or ("0" <= c <= "9")


def _is_atext(c, utf8):
    if ord(c) >= 0x80:
        return utf8
    return _is_alnum_ascii(c) or c in ATEXT_SPECIALS


def _is_qtext(c, utf8):
    o = ord(c)
    if o >= 0x80:
        return utf8
    return o in (32, 33) or 35 <= o <= 91 or 93 <= o <= 126


def is_ipv4(s):
    if not _IPV4_RE.match(s):
        return False
    return all(int(p) <= 255 for p in s.split("."))


def _groups(s):
    return len([g for g in re.split(r":+", s) if g])


def is_ipv6(s):
    if _V6_FULL.match(s):
        return True
    if _V6_COMP.match(s):
        return _groups(s) <= 6
    m = _V6V4_FULL.match(s)
    if m:
        return is_ipv4(m.group("v4"))
    m = _V6V4_COMP.match(s)
    if m:
        v4 = m.group("v4")
        return is_ipv4(v4) and _groups(s[: -len(v4)]) <= 4
    return False


def is_ldh_str(s):
    # Ldh-str = *( ALPHA / DIGIT / "-" ) Let-dig
    return (len(s) >= 1 and all(_is_alnum_ascii(c) or c == "-" for c in s)
            and _is_alnum_ascii(s[-1]))


def check_literal(inner):
    """inner = text between [ and ]; returns None if valid, else reason."""
    if is_ipv4(inner):
        return None
    colon = inner.find(":")
    if colon < 0:
        return "address literal is neither IPv4 nor tagged"
    tag, rest = inner[:colon], inner[colon + 1:]
    if tag.lower() == "ipv6":
        return None if is_ipv6(rest) else "bad IPv6 address literal"
    if not is_ldh_str(tag):
        return "bad Standardized-tag"
    if not rest:
        return "empty General-address-literal content"
    for c in rest:
        o = ord(c)
        if not (33 <= o <= 90 or 94 <= o <= 126):
            return "bad dcontent"
    return None


def a_label(label):
    if all(ord(c) < 0x80 for c in label):
        return label
    return "xn--" + label.encode("punycode").decode("ascii")


def check_domain(dom, utf8):
    if dom == "":
        return "empty domain", None
    labels = dom.split(".")
    for lab in labels:
        if lab == "":
            return "empty label (leading, trailing or double dot)", None
        for c in lab:
            if not (_is_alnum_ascii(c) or c == "-" or (utf8 and ord(c) >= 0x80)):
                return "bad character in domain", None
        if lab[0] == "-" or lab[-1] == "-":
            return "label starts or ends with hyphen", None
        if len(a_label(lab)) > MAX_LABEL:
            return "label (as A-label) longer than 63 octets", None
    ace = ".".join(a_label(lab) for lab in labels)
    if len(dom.encode("utf-8")) > MAX_DOMAIN or len(ace) > MAX_DOMAIN:
        return "domain longer than 255 octets", None
    return None, ace


def validate(raw, mode):
    """raw: bytes; mode: 'ascii' or 'utf8'.  Returns None if valid, else a
    short reason string."""
    utf8 = mode == "utf8"
    if utf8:
        try:
            s = raw.decode("utf-8", errors="strict")
        except UnicodeDecodeError:
            return "malformed UTF-8"
    else:
        if any(b >= 0x80 for b in raw):
            return "non-ASCII octet without SMTPUTF8"
        s = raw.decode("ascii")
    if s == "":
        return "empty"
    # local part
    i = 0
    n = len(s)
    if s[0] == '"':
        i = 1
        while True:
            if i >= n:
                return "unterminated quoted string"
            c = s[i]
            if c == '"':
                i += 1
                break
            if c == "\\":
                if i + 1 >= n:
                    return "backslash at end"
                o = ord(s[i + 1])
                if not 32 <= o <= 126:
                    return "bad quoted-pair"
                i += 2
                continue
            if not _is_qtext(c, utf8):
                return "bad character in quoted string"
            i += 1
    else:
        while True:
            start = i
            while i < n and _is_atext(s[i], utf8):
                i += 1
            if i == start:
                return "empty atom or bad character in local part"
            if i < n and s[i] == ".":
                i += 1
                continue
            break
    if i >= n or s[i] != "@":
        return "local part not followed by @"
    local = s[:i]
    dom = s[i + 1:]
    if len(local.encode("utf-8")) > MAX_LOCAL:
        return "local part longer than 64 octets"
    if dom.startswith("["):
        if not dom.endswith("]") or len(dom) < 2:
            return "unterminated address literal"
        inner = dom[1:-1]
        if "[" in inner or "]" in inner:
            return "bracket inside address literal"
        why = check_literal(inner)
        if why:
            return why
        ace = dom
    else:
        why, ace = check_domain(dom, utf8)
        if why:
            return why
    if len(raw) > MAX_MAILBOX:
        return "mailbox longer than 254 octets"
    if len(local.encode("utf-8")) + 1 + len(ace) > MAX_MAILBOX:
        return "mailbox longer than 254 octets with A-label domain"
    return None


_ESC = {"\\": 0x5C, "t": 0x09, "r": 0x0D, "n": 0x0A, "0": 0x00}


def unescape(field):
    out = bytearray()
    i = 0
    b = field.encode("ascii")
    while i < len(b):
        c = b[i]
        if c != 0x5C:
            out.append(c)
            i += 1
            continue
        if i + 1 >= len(b):
            raise ValueError("dangling backslash")
        e = chr(b[i + 1])
        if e in _ESC:
            out.append(_ESC[e])
            i += 2
        elif e == "x" and re.match(rb"[0-9A-Fa-f]{2}\Z", b[i + 2:i + 4]):
            out.append(int(b[i + 2:i + 4], 16))
            i += 4
        else:
            raise ValueError("bad escape \\%s" % e)
    return bytes(out)


def main(argv):
    import os
    args = [a for a in argv[1:] if not a.startswith("--")]
    summary = "--summary" in argv
    path = args[0] if args else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "data", "address", "cases.tsv")
    bad = 0
    seen = set()
    counts = {}
    with open(path, "rb") as f:
        data = f.read()
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        print("%s: not plain ASCII" % path)
        return 2
    for lineno, line in enumerate(text.split("\n"), 1):
        if line == "" or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 4 or fields[0] not in ("valid", "invalid") \
                or fields[1] not in ("ascii", "utf8"):
            print("%s:%d: malformed line" % (path, lineno))
            return 2
        expect, mode, addr, source = fields
        raw = unescape(addr)
        if (raw, mode) in seen:
            print("%s:%d: duplicate address+mode" % (path, lineno))
            bad += 1
        seen.add((raw, mode))
        why = validate(raw, mode)
        got = "valid" if why is None else "invalid"
        if got != expect:
            bad += 1
            print("%s:%d: %s expects %s, reference says %s (%s): %s"
                  % (path, lineno, source, expect, got, why or "ok", addr))
        key = (source.split(":", 1)[0], mode, expect)
        counts[key] = counts.get(key, 0) + 1
    if summary:
        total = sum(counts.values())
        for key in sorted(counts):
            print("%-18s %-5s %-7s %4d" % (key + (counts[key],)))
        for mode in ("ascii", "utf8"):
            for ex in ("valid", "invalid"):
                print("all %-5s %-7s %4d" % (mode, ex, sum(
                    v for k, v in counts.items() if k[1] == mode and k[2] == ex)))
        print("total %d cases, %d disagreements" % (total, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
