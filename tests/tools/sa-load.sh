#!/bin/sh
# Loads Debian's SpamAssassin rule set (package spamassassin, never copied
# into the repository) with "mailsift lint" and prints how many of its regex
# rules (header, body, rawbody, full, uri, mimeheader) load, and why the
# others do not. Fails below 95%.
# Usage: tests/tools/sa-load.sh [MAILSIFT] [RULEDIR]
# (MAILSIFT defaults to $MAILSIFT, as "make check" sets it, then ./mailsift)
set -eu

mailsift=${1:-${MAILSIFT:-./mailsift}}
dir=${2:-/usr/share/spamassassin}
if ! ls "$dir"/*.cf >/dev/null 2>&1; then
	echo "sa-load: no rules in $dir (apt-get install spamassassin); skipped"
	exit 77
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
rc=0
below=0
"$mailsift" lint --types "$dir"/*.cf >"$out" || rc=$?
# exit 1 only says some rules failed: the figure below says how many
if [ "$rc" -gt 1 ]; then
	cat "$out"
	echo "sa-load: mailsift lint failed (exit $rc)"
	exit 1
fi
grep -E '^(header|body|rawbody|full|uri|mimeheader|meta|net|rules): ' "$out"
# "TYPE: ... (regex tests: LOADED, INERT, FAILED)"
awk '
/^(header|body|rawbody|full|uri|mimeheader): / {
	sub(/.*\(regex tests: /, ""); sub(/\)$/, "")
	split($0, f, ", "); l += f[1]; i += f[2]; x += f[3]
}
END {
	t = l + i + x
	printf "regex rules: %d of %d loaded (%.1f%%), %d inert, %d failed\n", l, t, t ? 100 * l / t : 0, i, x
	exit (t > 0 && l * 100 >= 95 * t) ? 0 : 1
}' "$out" || below=1
echo "reasons (rules not loaded, and warnings):"
grep -E '^[^ ]+:[0-9]+: ' "$out" | sed -E 's/^[^ ]+:[0-9]+: [^:]+: //' |
	sed -E 's/offset [0-9]+/offset N/; s/eval test [a-z_0-9]+\(\)/eval test X()/; s/unknown rule [A-Za-z_0-9]+/unknown rule X/; s/through [A-Za-z_0-9]+/through X/' |
	sort | uniq -c | sort -rn
exit "$below"
