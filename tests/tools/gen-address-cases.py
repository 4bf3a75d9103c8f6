#!/usr/bin/env python3
"""Generate tests/data/address/cases.tsv, the RFC 5321 Mailbox test cases.

  python3 tests/tools/gen-address-cases.py [CORPUS_DIR] [-o OUTPUT]

CORPUS_DIR is the shared test corpus (default: ../shared/corpus relative to
the repository root).  It must contain
  address/isemail/tests.xml            is_email test set v3.05
  address/isemail/tests-original.xml   is_email test set v3.04
  address/isemail-js/tests.json        JavaScript isemail test set
OUTPUT defaults to tests/data/address/cases.tsv in the repository.

Only the Python 3 standard library is used.  The output is deterministic.
The file format and the mapping rules are written into the header of the
generated file (see HEADER below).  Cases where the upstream category does
not give the RFC 5321 answer are listed in OVERRIDES, each with the reason;
tests/tools/check-address-cases.py re-checks every case against the grammar.
"""

import argparse
import json
import os
import sys
import xml.etree.ElementTree as ET

REPO_ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

# --------------------------------------------------------------------------
# Category mapping

XML_CATEGORY = {
    "ISEMAIL_VALID_CATEGORY": "valid",
    "ISEMAIL_DNSWARN": "valid",      # syntax fine, only a DNS lookup failed
    "ISEMAIL_RFC5321": "valid",      # quoted string, address literal, numeric TLD
    "ISEMAIL_CFWS": "invalid",       # comments / folding white space
    "ISEMAIL_DEPREC": "invalid",     # obsolete RFC 5322 syntax
    "ISEMAIL_RFC5322": "invalid",    # header-only syntax or over a length limit
    "ISEMAIL_ERR": "invalid",
}


def js_category(diag):
    if diag == "valid" or diag.startswith("rfc5321"):
        return "valid"
    for prefix in ("cfws", "deprecated", "rfc5322", "err"):
        if diag.startswith(prefix):
            return "invalid"
    raise ValueError("unknown isemail-js diagnosis %r" % diag)


# --------------------------------------------------------------------------
# Cases where the grammar, not the upstream category, decides.
# Key: (source, id, mode) -> (expect, reason written as a comment line).

IPV6_GROUPS = ("RFC 5321 4.1.3: '::' stands for at least two zero groups, so at most "
               "%s groups may be written beside it; upstream calls this "
               "RFC5321_IPV6DEPRECATED (category RFC5321) but it does not match IPv6-addr")
GENERAL_LIT = ("parses as General-address-literal = Standardized-tag \":\" 1*dcontent "
               "with tag %r; the IANA registration of the tag is not syntax, so valid "
               "by the grammar (upstream: RFC5322_DOMAINLITERAL)")

OVERRIDES = {
    ("isemail-original", 39, "ascii"): ("invalid", IPV6_GROUPS % "4 groups plus the IPv4 part"),
    ("isemail-original", 45, "ascii"): ("invalid", IPV6_GROUPS % "6 groups"),
    ("isemail-original", 230, "ascii"): ("invalid", IPV6_GROUPS % "6 groups"),
    ("isemail-original", 231, "ascii"): ("invalid", IPV6_GROUPS % "6 groups"),
    ("isemail-original", 252, "ascii"): ("invalid", IPV6_GROUPS % "4 groups plus the IPv4 part"),
    ("isemail-original", 254, "ascii"): ("invalid", IPV6_GROUPS % "4 groups plus the IPv4 part"),
    ("isemail", 66, "ascii"): ("valid", GENERAL_LIT % "1111"),
    ("isemail-original", 38, "ascii"): ("valid", GENERAL_LIT % "IPv5"),
    ("isemail-js", 146, "utf8"): (
        "valid",
        "U+0080 is UTF8-non-ascii, which RFC 6531 adds to qtextSMTP; upstream rejects it "
        "as a control character, the grammar does not (invalid in ascii mode)"),
}

# Remarks that explain a case without changing the category's answer.
NOTES = {
    ("isemail", 1): "empty: the null reverse-path <> is not a Mailbox and is handled "
                    "before validation",
    ("isemail", 43): "empty quoted local part: allowed by the RFC 5321 grammar "
                     "(Quoted-string = DQUOTE *QcontentSMTP DQUOTE), though unwise",
    ("isemail", 23): "all-digit TLD: RFC 5321 sub-domain = Let-dig [Ldh-str] allows it "
                     "(upstream RFC5321_TLDNUMERIC), kept valid",
    ("isemail", 24): "all-digit labels without brackets are a Domain, not an address "
                     "literal; grammatically valid",
    ("isemail", 71): "7 groups beside '::': invalid by RFC 5321 (upstream DEPREC agrees)",
    ("isemail", 160): "quoted-pairSMTP is %d92 %d32-126 and is not extended by RFC 6531",
    ("isemail-js", 32): "label is 68 octets of UTF-8 but its A-label is 24 octets; the "
                        "63-octet DNS limit applies to the A-label",
    ("isemail-js", 44): "label is 60 octets of UTF-8 but its A-label is 67 octets",
    ("isemail-js", 45): "253 octets as written, 260 with the domain as A-labels",
    ("isemail-js", 199): "lone UTF-16 surrogate, written as ED A0 80, is not UTF-8",
    ("isemail-js", 204): "223 octets as written, exactly 254 with the domain as A-labels",
    ("isemail-js", 205): "233 octets as written, 260 with the domain as A-labels",
}

# --------------------------------------------------------------------------
# Hand-written cases: (expect, mode, address, name, note or None).
# The address is str (encoded as UTF-8) or bytes (used as is).


def _dom(*sizes, chars="bcdefghij"):
    return ".".join(chars[i] * n for i, n in enumerate(sizes))


CJK19 = "".join(chr(0x4E00 + i * 997) for i in range(19))   # 57 octets, A-label 61
CJK20 = "".join(chr(0x4E00 + i * 997) for i in range(20))   # 60 octets, A-label 64

V, I = "valid", "invalid"
A, U = "ascii", "utf8"

HAND = [
    # ---- lengths
    (V, A, "a" * 64 + "@example.com", "local-64", "local part of exactly 64 octets"),
    (I, A, "a" * 65 + "@example.com", "local-65", "local part of 65 octets"),
    (V, A, '"' + "a" * 62 + '"@example.com', "quoted-local-64", "the quotes count"),
    (I, A, '"' + "a" * 63 + '"@example.com', "quoted-local-65", "the quotes count"),
    (V, A, "user@" + "a" * 63 + ".example", "label-63", None),
    (I, A, "user@" + "a" * 64 + ".example", "label-64", None),
    (I, A, "user@example." + "a" * 64, "last-label-64", None),
    (V, A, "a" * 64 + "@" + _dom(63, 63, 61), "mailbox-254", "64 + 1 + 189 octets"),
    (I, A, "a" * 64 + "@" + _dom(63, 63, 62), "mailbox-255",
     "every part within its own limit, but over 254 octets"),
    (V, A, "x@" + _dom(63, 63, 63, 60), "domain-252",
     "252 is the longest domain that fits: 254 - 'x@'"),
    (I, A, "x@" + _dom(63, 63, 63, 61), "domain-253",
     "a 253-octet domain is a legal DNS name, but no Mailbox with it fits the "
     "254-octet limit (256-octet path minus '<' and '>')"),
    (I, A, "x@" + _dom(63, 63, 63, 63, 1), "domain-257", "over the 255-octet domain limit"),
    # ---- IPv4 literals
    (V, A, "user@[192.0.2.1]", "ipv4", None),
    (V, A, "user@[0.0.0.0]", "ipv4-zero", None),
    (V, A, "user@[192.0.2.001]", "ipv4-leading-zero", "Snum = 1*3DIGIT, value 0-255"),
    (I, A, "user@[192.0.2.0001]", "ipv4-four-digits", "Snum is at most 3 digits"),
    (I, A, "user@[192.0.2.256]", "ipv4-256", None),
    (I, A, "user@[1.2.3]", "ipv4-three-parts", None),
    (I, A, "user@[1.2.3.4.5]", "ipv4-five-parts", None),
    (I, A, "user@[192.0.2.1.]", "ipv4-trailing-dot", None),
    (I, A, "user@[ 192.0.2.1]", "ipv4-space", None),
    (I, A, "user@[]", "literal-empty", None),
    (I, A, "user@[192.0.2.1", "literal-unclosed", None),
    (I, A, "user@[192.0.2.1]x", "literal-trailing", None),
    (I, A, "user@x[192.0.2.1]", "literal-leading", None),
    (I, A, "user@[192.0.2.1].example", "literal-then-label", None),
    (V, A, "user@192.0.2.1", "ipv4-unbracketed",
     "not an address literal but four all-digit labels: a valid Domain by grammar"),
    # ---- IPv6 literals
    (V, A, "user@[IPv6:2001:db8:0:0:0:0:0:1]", "ipv6-full", None),
    (V, A, "user@[IPv6:2001:DB8:0:0:0:0:0:1]", "ipv6-full-upper-hex", None),
    (V, A, "user@[IPv6:2001:db8::1]", "ipv6-comp", None),
    (V, A, "user@[IPv6:::1]", "ipv6-loopback", None),
    (V, A, "user@[IPv6:::]", "ipv6-unspecified", None),
    (V, A, "user@[IPv6:::ffff:192.0.2.1]", "ipv6-v4mapped", None),
    (V, A, "user@[IPv6:2001:db8::192.0.2.1]", "ipv6-v4-comp", None),
    (V, A, "user@[IPv6:1:2:3:4:5:6:192.0.2.1]", "ipv6-v4-full", None),
    (I, A, "user@[IPv6:1:2:3:4:5:6:7:192.0.2.1]", "ipv6-v4-too-many", None),
    (I, A, "user@[IPv6:::ffff:192.0.2.256]", "ipv6-v4-bad-octet", None),
    (I, A, "user@[IPv6:2001:db8:1:2:3:4:5:6:7]", "ipv6-nine-groups", None),
    (I, A, "user@[IPv6:2001:db8:1:2:3:4:5]", "ipv6-seven-groups", None),
    (I, A, "user@[IPv6:2001:db8::1::2]", "ipv6-two-double-colons", None),
    (I, A, "user@[IPv6:2001:db8:1:2:3:4:5::]", "ipv6-comp-seven-groups",
     "'::' must stand for at least two groups (RFC 5321 4.1.3), unlike RFC 4291"),
    (I, A, "user@[IPv6:12345::1]", "ipv6-five-hex-digits", None),
    (I, A, "user@[IPv6:2001:db8::g]", "ipv6-bad-hex", None),
    (I, A, "user@[IPv6:]", "ipv6-empty", None),
    (I, A, "user@[IPv6:2001:db8::1 ]", "ipv6-space", None),
    (V, A, "user@[ipv6:2001:db8::1]", "ipv6-tag-lower",
     "ABNF quoted strings are case-insensitive (RFC 5234 2.3), so \"IPv6:\" matches any case"),
    (V, A, "user@[IPV6:2001:db8::1]", "ipv6-tag-upper", "tag is case-insensitive"),
    (I, A, "user@[ipv6:2001:db8::1::2]", "ipv6-tag-lower-bad",
     "a tag equal to IPv6 in any case must be followed by IPv6-addr; it is never "
     "re-read as a General-address-literal"),
    (I, A, "user@[IPv6 :::1]", "ipv6-tag-space", None),
    # ---- General-address-literal
    (V, A, "user@[x-tag:content]", "general-literal",
     "Standardized-tag \":\" 1*dcontent; registration with IANA is not checked"),
    (V, A, "user@[x-tag:a:b/c=d]", "general-literal-punct", "dcontent is %d33-90 / %d94-126"),
    (I, A, "user@[x-tag:]", "general-literal-empty", "1*dcontent"),
    (I, A, "user@[:content]", "general-literal-no-tag", None),
    (I, A, "user@[x-tag:con tent]", "general-literal-space", None),
    (I, A, "user@[x-tag:a[b]", "general-literal-bracket", None),
    (I, A, "user@[x-tag:a\\b]", "general-literal-backslash", None),
    (I, A, "user@[x-:content]", "general-literal-tag-hyphen-end", "Ldh-str ends with Let-dig"),
    (I, A, "user@[x_tag:content]", "general-literal-tag-underscore", None),
    # ---- structure
    (I, A, "user", "no-at", None),
    (I, A, "user@", "no-domain", None),
    (I, A, "@example.com", "no-local", None),
    (I, A, "a@b@example.com", "two-at", None),
    (I, A, "user@@example.com", "double-at", None),
    (V, A, '"a@b"@example.com', "at-in-quotes", None),
    (I, A, "<user@example.com>", "angle-brackets", "the brackets belong to the Path"),
    (I, A, "@a.example,@b.example:user@c.example", "source-route",
     "a source route is part of the Path (RFC 5321 4.1.2), never of the Mailbox; "
     "the validator gets the Mailbox with any route already stripped"),
    (I, A, "postmaster", "postmaster-bare",
     "RCPT TO:<Postmaster> is a special Path form (RFC 5321 4.1.1.3); as a Mailbox it "
     "has no domain - MTAs add their own domain before the check"),
    (V, A, "postmaster@example.com", "postmaster", None),
    (V, A, "USER@EXAMPLE.COM", "uppercase", None),
    (V, A, '"USER"@EXAMPLE.COM', "uppercase-quoted", None),
    (V, A, "user@localhost", "single-label",
     "Domain = sub-domain *(\".\" sub-domain): one label is grammatical"),
    # ---- dots
    (I, A, ".user@example.com", "dot-leading", None),
    (I, A, "user.@example.com", "dot-trailing", None),
    (I, A, "us..er@example.com", "dot-double", None),
    (I, A, ".@example.com", "dot-only", None),
    (V, A, '".user"@example.com', "dot-leading-quoted", None),
    (V, A, '"user."@example.com', "dot-trailing-quoted", None),
    (V, A, '"us..er"@example.com', "dot-double-quoted", None),
    (V, A, '"."@example.com', "dot-only-quoted", None),
    (I, A, "user@example.com.", "domain-trailing-dot", None),
    (I, A, "user@.example.com", "domain-leading-dot", None),
    (I, A, "user@example..com", "domain-double-dot", None),
    (I, A, '"a".b@example.com', "quoted-dot-atom", "obs-local-part, not RFC 5321"),
    # ---- local-part characters
    (V, A, "!#$%&'*+-/=?^_`{|}~@example.com", "atext-specials", None),
    (V, A, "-user-@example.com", "local-hyphen", "atext includes '-'"),
    (I, A, "us er@example.com", "space-unquoted", None),
    (V, A, '"us er"@example.com', "space-quoted", None),
    (I, A, '"us\ter"@example.com', "tab-quoted",
     "qtextSMTP has no HTAB (RFC 5322 qtext/FWS would allow it)"),
    (I, A, '"us\\\ter"@example.com', "tab-quoted-pair", "quoted-pairSMTP is %d92 %d32-126"),
    (V, A, '"\\ "@example.com', "quoted-pair-space", None),
    (V, A, '"a\\"b"@example.com', "quoted-pair-dquote", None),
    (V, A, '"a\\\\b"@example.com', "quoted-pair-backslash", None),
    (I, A, '"a\\"@example.com', "quoted-unterminated", None),
    (I, A, '"a"b"@example.com', "quoted-stray-dquote", None),
    (I, A, "a\\@b@example.com", "backslash-unquoted", None),
    (I, A, "(comment)user@example.com", "comment", None),
    (I, A, " user@example.com", "space-leading", None),
    (I, A, "user@example.com ", "space-trailing", None),
    (I, A, "a,b@example.com", "comma", None),
    (I, A, "a;b@example.com", "semicolon", None),
    (I, A, "a:b@example.com", "colon", None),
    (I, A, "a[b]@example.com", "brackets-local", None),
    (I, A, '"\x7f"@example.com', "del-quoted", None),
    # ---- NUL, CR, LF
    (I, A, "us\0er@example.com", "nul-local", None),
    (I, A, "user@exa\0mple.com", "nul-domain", None),
    (I, A, "user@example.com\0", "nul-end", None),
    (I, A, "\0user@example.com", "nul-start", None),
    (I, A, '"us\0er"@example.com', "nul-quoted", None),
    (I, A, '"us\\\0er"@example.com', "nul-quoted-pair", None),
    (I, A, "user@[192.0.2.1\0]", "nul-literal", None),
    (I, U, "us\0er@example.com", "nul-local-utf8", None),
    (I, A, "user@example.com\r\n", "crlf-end", None),
    (I, A, "user@example.com\n", "lf-end", None),
    (I, A, "user@example.com\r", "cr-end", None),
    (I, A, "us\ner@example.com", "lf-local", None),
    (I, A, '"us\r\n er"@example.com', "fws-quoted", "no folding white space in SMTP"),
    (I, A, '"us\\\rer"@example.com', "cr-quoted-pair", None),
    # ---- domain labels
    (V, A, "user@a-b.example", "hyphen-inside", None),
    (V, A, "user@a--b.example", "hyphen-double", None),
    (V, A, "user@xn--bcher-kva.example", "a-label", None),
    (I, A, "user@-ab.example", "hyphen-start", None),
    (I, A, "user@ab-.example", "hyphen-end", None),
    (I, A, "user@example.-com", "hyphen-start-tld", None),
    (I, A, "user@example.com-", "hyphen-end-tld", None),
    (I, A, "user@-.example", "hyphen-only", None),
    (I, A, "user@exa_mple.com", "underscore-domain", None),
    (I, A, "user@_dmarc.example.com", "underscore-domain-start", None),
    (V, A, "us_er@example.com", "underscore-local", None),
    (V, A, "user@3com.example", "label-digit-start", "RFC 1123 relaxed; sub-domain = Let-dig ..."),
    (V, A, "user@a.b", "labels-one-char", None),
    (V, A, "user@example.123", "tld-numeric", "grammatical; upstream RFC5321_TLDNUMERIC"),
    (I, A, "user@exa mple.com", "space-domain", None),
    (I, A, "user@exa!mple.com", "bang-domain", None),
    # ---- ASCII addresses in utf8 mode (same answer as ascii mode)
    (V, U, "user@example.com", "ascii-in-utf8", None),
    (I, U, ".user@example.com", "dot-leading-utf8", None),
    (V, U, "user@[IPv6:::1]", "ipv6-utf8", None),
    (V, U, '"us er"@example.com', "space-quoted-utf8", None),
    (I, U, "a" * 65 + "@example.com", "local-65-utf8", None),
    # ---- non-ASCII
    (I, A, "\u00fcser@example.com", "utf8-local-ascii", "non-ASCII needs SMTPUTF8"),
    (V, U, "\u00fcser@example.com", "utf8-local", None),
    (I, A, "user@ex\u00e4mple.com", "utf8-domain-ascii", None),
    (V, U, "user@ex\u00e4mple.com", "utf8-domain", "RFC 6531: sub-domain =/ U-label"),
    (I, A, "\u7528\u6237@\u4f8b\u5b50.\u5e7f\u544a", "utf8-cjk-ascii", None),
    (V, U, "\u7528\u6237@\u4f8b\u5b50.\u5e7f\u544a", "utf8-cjk", None),
    (I, A, '"\u00fc"@example.com', "utf8-quoted-ascii", None),
    (V, U, '"\u00fc s"@example.com', "utf8-quoted", "RFC 6531: qtextSMTP =/ UTF8-non-ascii"),
    (I, U, '"\\\u00fc"@example.com', "utf8-quoted-pair",
     "quoted-pairSMTP is not extended by RFC 6531"),
    (I, U, "user@[x-tag:\u00fc]", "utf8-dcontent", "dcontent is not extended by RFC 6531"),
    (I, U, "user@-\u00e4b.example", "utf8-label-hyphen-start", None),
    (I, U, "user@\u00e4b-.example", "utf8-label-hyphen-end", None),
    (I, U, "us\u00e9 r@example.com", "utf8-space-unquoted", None),
    (I, U, "user\uff20example.com", "utf8-fullwidth-at", "U+FF20 is not '@'"),
    (V, U, "\u00e9" * 32 + "@example.com", "utf8-local-64-octets", "32 characters, 64 octets"),
    (I, U, "\u00e9" * 32 + "a@example.com", "utf8-local-65-octets",
     "33 characters, 65 octets: the limit is in octets"),
    (V, U, "\u00e9" * 32 + "@" + _dom(63, 63, 61), "utf8-mailbox-254", None),
    (I, U, "\u00e9" * 32 + "@" + _dom(63, 63, 62), "utf8-mailbox-255", None),
    (V, U, "user@" + "\u00fc" * 57 + ".example", "utf8-label-alabel-63",
     "114 octets of UTF-8, A-label xn--tda... of 63 octets: within the DNS limit"),
    (I, U, "user@" + "\u00fc" * 58 + ".example", "utf8-label-alabel-64",
     "A-label of 64 octets"),
    (V, U, "user@" + CJK19 + ".example", "utf8-label-cjk19", "57 octets, A-label 61"),
    (I, U, "user@" + CJK20 + ".example", "utf8-label-cjk20",
     "60 octets of UTF-8 but the A-label is 64 octets"),
    (V, U, "a" * 64 + "@" + ".".join([CJK19] * 3) + ".xyz", "utf8-alabel-mailbox-254",
     "242 octets as written, exactly 254 with the domain as A-labels"),
    (I, U, "a" * 64 + "@" + ".".join([CJK19] * 3) + ".xyzw", "utf8-alabel-mailbox-255",
     "243 octets as written, 255 with the domain as A-labels"),
    # ---- malformed UTF-8: invalid in both modes
    (I, A, b"us\xffer@example.com", "bad-utf8-ff", None),
    (I, U, b"us\xffer@example.com", "bad-utf8-ff-utf8", None),
    (I, U, b"\xc0\xafuser@example.com", "bad-utf8-overlong", None),
    (I, U, b"user\xc3@example.com", "bad-utf8-truncated", None),
    (I, U, b"\xed\xa0\x80@example.com", "bad-utf8-surrogate", None),
    (I, U, b"\xf4\x90\x80\x80@example.com", "bad-utf8-above-10ffff", None),
    (I, U, b"user@ex\xe4mple.com", "bad-utf8-latin1-domain", None),
    (I, U, b'"\xe9"@example.com', "bad-utf8-latin1-quoted", None),
    (I, U, b"\x80@example.com", "bad-utf8-lone-continuation", None),
]

# --------------------------------------------------------------------------

HEADER = """\
# RFC 5321 envelope Mailbox test cases (the address inside MAIL FROM:<...> and
# RCPT TO:<...>, without the angle brackets).  Generated by
# tests/tools/gen-address-cases.py - do not edit by hand; change the generator.
# Checked by tests/tools/check-address-cases.py.  See README.md beside this file.
#
# Format: one case per line, four TAB-separated fields:
#   EXPECT<TAB>MODE<TAB>ADDRESS<TAB>SOURCE
# EXPECT  valid | invalid
# MODE    ascii: validated without SMTPUTF8 (RFC 5321 only)
#         utf8:  validated as if the client used SMTPUTF8 (RFC 6531)
# ADDRESS the octets of the address, escaped so that the file is ASCII:
#         \\\\ backslash, \\t TAB, \\r CR, \\n LF, \\0 NUL, and \\xHH (two upper-case
#         hex digits) for every other octet < 0x20, 0x7F and >= 0x80 (so UTF-8
#         appears as \\xHH sequences).  All other characters stand for themselves.
#         The field may be empty (the empty address).
# SOURCE  isemail:N          tests.xml (is_email v3.05) test id N
#         isemail-original:N tests-original.xml (is_email v3.04) test id N
#         isemail-js:N       tests.json (JavaScript isemail), 0-based array index N
#         hand:NAME          written for this file
# Lines starting with '#' are comments; a comment just before a case explains it.
# The pair (ADDRESS, MODE) is unique: cases repeated in the corpus are kept once,
# under the first source in the order above.
#
# Mapping of the upstream categories (isemail-js: by diagnosis prefix):
#   VALID, DNSWARN, RFC5321 (isemail-js: valid, rfc5321*)       -> valid
#   CFWS, DEPREC, RFC5322, ERR (cfws*, deprecated*, rfc5322*, err*) -> invalid
# except where the RFC 5321 grammar says otherwise (each such case has a comment
# starting with "grammar:").  is_email writes control characters as U+2400+n;
# they are mapped back to octets 0x00-0x1F.  isemail-js strings are encoded as
# UTF-8; a lone UTF-16 surrogate becomes ED A0 80 (malformed UTF-8).
# An upstream address containing non-ASCII gives two cases: invalid in ascii mode,
# and the grammar's answer in utf8 mode.  All-ASCII upstream addresses are listed
# in ascii mode only: an all-ASCII address has the same answer in both modes.
#
# Rules (RFC 5321 4.1.2, 4.1.3, 4.5.3.1; RFC 6531 3.3):
#   Local-part = Dot-string / Quoted-string; atext as in RFC 5322;
#   qtextSMTP = %d32-33 / %d35-91 / %d93-126; quoted-pairSMTP = %d92 %d32-126.
#   No comments, no folding white space, no obs- syntax.  ""@domain is grammatical.
#   Domain = sub-domain *("." sub-domain), sub-domain = Let-dig [Ldh-str]; no
#   trailing dot; all-digit labels are allowed.  address-literal: IPv4, "IPv6:"
#   (tag case-insensitive, as all ABNF strings; "::" stands for >= 2 groups), or
#   Standardized-tag ":" 1*dcontent for any other Ldh-str tag.
#   Lengths in octets: local part <= 64, label <= 63, domain <= 255, whole mailbox
#   <= 254 (the 256-octet path limit minus "<" and ">").
#   utf8 mode: well-formed UTF-8 required; atext, qtextSMTP and labels also take any
#   non-ASCII character (quoted-pairSMTP and dcontent do not); the label and domain
#   limits apply to the A-label form (xn-- + Punycode of the label as written), and
#   the 254-octet limit applies both as written and with the domain as A-labels.
"""


def escape(raw):
    out = []
    for b in raw:
        if b == 0x5C:
            out.append("\\\\")
        elif b == 0x09:
            out.append("\\t")
        elif b == 0x0D:
            out.append("\\r")
        elif b == 0x0A:
            out.append("\\n")
        elif b == 0x00:
            out.append("\\0")
        elif b < 0x20 or b >= 0x7F:
            out.append("\\x%02X" % b)
        else:
            out.append(chr(b))
    return "".join(out)


def control_pictures(s):
    """U+2400..U+241F -> U+0000..U+001F (is_email's notation)."""
    return "".join(chr(ord(c) - 0x2400) if 0x2400 <= ord(c) <= 0x241F else c for c in s)


def read_xml(path, source):
    root = ET.parse(path).getroot()
    for test in root.findall("test"):
        tid = int(test.get("id"))
        text = control_pictures(test.findtext("address") or "")
        cat = test.findtext("category").strip()
        if cat not in XML_CATEGORY:
            raise ValueError("%s: unknown category %r" % (path, cat))
        yield source, tid, text.encode("utf-8"), XML_CATEGORY[cat]


def read_js(path):
    with open(path, encoding="utf-8") as f:
        tests = json.load(f)
    for idx, (addr, diag) in enumerate(tests):
        yield "isemail-js", idx, addr.encode("utf-8", "surrogatepass"), js_category(diag)


class Output:
    def __init__(self):
        self.lines = []
        self.seen = {}
        self.dupes = 0
        self.used_overrides = set()

    def add(self, expect, mode, raw, source, notes=(), overridden=False):
        key = (raw, mode)
        if key in self.seen:
            first_expect, first_source, first_overridden = self.seen[key]
            # A repeat may disagree only when the kept case was decided by the
            # grammar (OVERRIDES) and the repeat carries the same upstream category.
            if first_expect != expect and not first_overridden:
                raise ValueError("%s: %s/%s repeats %s with a different answer"
                                 % (source, expect, mode, first_source))
            self.dupes += 1
            return
        self.seen[key] = (expect, source, overridden)
        for note in notes:
            self.lines.append("# " + note)
        self.lines.append("\t".join((expect, mode, escape(raw), source)))


def add_corpus_case(out, source, tid, raw, expect):
    src = "%s:%d" % (source, tid)
    note = NOTES.get((source, tid))
    modes = ["ascii"] if all(b < 0x80 for b in raw) else ["ascii", "utf8"]
    for mode in modes:
        exp = expect
        notes = [note] if note and mode == modes[-1] else []
        if mode == "ascii" and len(modes) == 2:
            exp = "invalid"
        ov = OVERRIDES.get((source, tid, mode))
        overridden = bool(ov)
        if ov:
            out.used_overrides.add((source, tid, mode))
            notes = ["grammar: %s -> %s: %s" % (src, ov[0], ov[1])] + notes
            exp = ov[0]
        out.add(exp, mode, raw, src, notes, overridden)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpus", nargs="?",
                    default=os.path.join(REPO_ROOT, "..", "shared", "corpus"))
    ap.add_argument("-o", "--output",
                    default=os.path.join(REPO_ROOT, "tests", "data", "address", "cases.tsv"))
    args = ap.parse_args()
    adir = os.path.join(args.corpus, "address")

    out = Output()
    out.lines.append("## from isemail tests.xml")
    for case in read_xml(os.path.join(adir, "isemail", "tests.xml"), "isemail"):
        add_corpus_case(out, *case)
    out.lines.append("## from isemail tests-original.xml")
    for case in read_xml(os.path.join(adir, "isemail", "tests-original.xml"), "isemail-original"):
        add_corpus_case(out, *case)
    out.lines.append("## from isemail-js tests.json")
    for case in read_js(os.path.join(adir, "isemail-js", "tests.json")):
        add_corpus_case(out, *case)
    unused = set(OVERRIDES) - out.used_overrides
    if unused:
        raise ValueError("overrides never used: %r" % sorted(unused))

    out.lines.append("## hand-written")
    names = set()
    for expect, mode, addr, name, note in HAND:
        if name in names:
            raise ValueError("duplicate hand case name %r" % name)
        names.add(name)
        raw = addr if isinstance(addr, bytes) else addr.encode("utf-8")
        before = len(out.lines)
        out.add(expect, mode, raw, "hand:" + name, [note] if note else [])
        if len(out.lines) == before:
            raise ValueError("hand case %r repeats an earlier case" % name)

    text = HEADER + "\n".join(out.lines) + "\n"
    text.encode("ascii")
    with open(args.output, "w", encoding="ascii", newline="\n") as f:
        f.write(text)
    ncases = sum(1 for l in out.lines if not l.startswith("#"))
    print("%s: %d cases (%d repeated corpus cases dropped)" % (args.output, ncases, out.dupes),
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
