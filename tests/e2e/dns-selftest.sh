#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
#
# Self-test of lib/dns.sh: private unbound servers on 127.0.0.1.  Proves
# NXDOMAIN/NODATA, MX, null MX, A, AAAA, TXT (several strings, long keys),
# PTR and CNAME answers through both query clients (dig and python3), the
# TIMEOUT/SERVFAIL/REFUSED names, two servers at once, that nothing outlives
# a failing or killed run, and (when libunbound's header and a C compiler
# are there) that libunbound in forwarding mode, as the filter uses it, gets
# the same answers.
#
# Usage: tests/e2e/dns-selftest.sh     (prints "N passed, M failed")

set -u

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/common.sh"
. "$HERE/lib/dns.sh"

pid_gone() { ! kill -0 "$1" 2>/dev/null; }

now_ms() {
    local t=${EPOCHREALTIME/./}
    printf '%s\n' $((t / 1000))
}

e2e_tmpdir WORK

# A DKIM key longer than one TXT string may be.
KEY=
for _ in 1 2 3 4 5 6 7 8 9 10 11 12; do
    KEY+=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA
done
LONG_TXT="v=DKIM1; k=rsa; p=$KEY"
# What the server must send: the text cut into 255-byte strings.
LONG_EXPECTED=
for ((i = 0; i < ${#LONG_TXT}; i += 255)); do
    LONG_EXPECTED+="${LONG_EXPECTED:+ }\"${LONG_TXT:i:255}\""
done

cat >"$WORK/a.zone" <<EOF
; sender domains
sender.test.                 300 IN MX   10 mx.sender.test.
sender.test.                 300 IN MX   20 mx2.sender.test.
sender.test.                 300 IN TXT  "v=spf1 ip4:192.0.2.0/24 -all"
mx.sender.test.              300 IN A    192.0.2.25
mx.sender.test.                  IN AAAA 2001:db8::25    ; TTL left out: 300
sel._domainkey.sender.test.  300 IN TXT  "v=DKIM1; k=rsa; " "p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC"
long._domainkey.sender.test. 300 IN TXT  "$LONG_TXT"
_dmarc.sender.test.          300 IN TXT  "v=DMARC1; p=reject; rua=mailto:d@sender.test"
quote.sender.test            60     TXT  "it's \"quoted\"; with a \\\\ backslash"
nullmx.test.                 300 IN MX   0 .
alias.example.               300 IN CNAME mx.sender.test.
host.example.                300 IN A    198.51.100.7

# reverse
25.2.0.192.in-addr.arpa.     300 IN PTR  mx.sender.test.
5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. 300 IN PTR mx.sender.test.

# failures
timeout.test.    TIMEOUT
ok.timeout.test. 300 IN A 192.0.2.99
servfail.test.   SERVFAIL
refused.test.    REFUSED
EOF

cat >"$WORK/b.zone" <<'EOF'
sender.test. 300 IN MX 5 other.example.
EOF

t0=$(now_ms)
dns_start DNS1 "$WORK/a.zone" || e2e_die "dns_start failed"
start_ms=$(($(now_ms) - t0))
e2e_log "dns_start took ${start_ms} ms"
e2e_assert_match "server address is 127.0.0.1@PORT" '^127\.0\.0\.1@[0-9]+$' "$DNS1"
e2e_assert_ok "started within 2 s (took ${start_ms} ms)" test "$start_ms" -lt 2000

# ---------------------------------------------------------------------------
# Answers, through each client.

check_answers() {
    local tool=$1 t
    export DNS_QUERY_TOOL=$tool
    e2e_assert_eq "$tool: unknown name is NXDOMAIN" NXDOMAIN "$(dns_query "$DNS1" nope.sender.test A)"
    e2e_assert_eq "$tool: unknown TLD is NXDOMAIN" NXDOMAIN "$(dns_query "$DNS1" www.nowhere.invalid A)"
    e2e_assert_eq "$tool: built-in localhost is off" NXDOMAIN "$(dns_query "$DNS1" localhost A)"
    e2e_assert_eq "$tool: known name, other type is NODATA" NOERROR "$(dns_query "$DNS1" sender.test A)"
    e2e_assert_eq "$tool: empty non-terminal is NODATA" NOERROR "$(dns_query "$DNS1" _domainkey.sender.test TXT)"
    e2e_assert_eq "$tool: MX records" \
        $'NOERROR\nsender.test. 300 IN MX 10 mx.sender.test.\nsender.test. 300 IN MX 20 mx2.sender.test.' \
        "$(dns_query "$DNS1" sender.test MX | { read -r l; echo "$l"; sort; })"
    e2e_assert_eq "$tool: dns_answer MX" $'10 mx.sender.test.\n20 mx2.sender.test.' "$(dns_answer "$DNS1" sender.test MX)"
    e2e_assert_eq "$tool: null MX" "0 ." "$(dns_answer "$DNS1" nullmx.test MX)"
    e2e_assert_eq "$tool: A" "192.0.2.25" "$(dns_answer "$DNS1" mx.sender.test A)"
    e2e_assert_eq "$tool: AAAA (default TTL)" $'NOERROR\nmx.sender.test. 300 IN AAAA 2001:db8::25' \
        "$(dns_query "$DNS1" mx.sender.test AAAA)"
    e2e_assert_eq "$tool: SPF TXT" '"v=spf1 ip4:192.0.2.0/24 -all"' "$(dns_answer "$DNS1" sender.test TXT)"
    e2e_assert_eq "$tool: TXT of several strings" '"v=DKIM1; k=rsa; " "p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC"' \
        "$(dns_answer "$DNS1" sel._domainkey.sender.test TXT)"
    e2e_assert_eq "$tool: long TXT cut into 255-byte strings" "$LONG_EXPECTED" \
        "$(dns_answer "$DNS1" long._domainkey.sender.test TXT)"
    e2e_assert_eq "$tool: DMARC TXT" '"v=DMARC1; p=reject; rua=mailto:d@sender.test"' \
        "$(dns_answer "$DNS1" _dmarc.sender.test TXT)"
    e2e_assert_eq "$tool: TXT with quote, escaped quotes, backslash, ;" \
        $'NOERROR\nquote.sender.test. 60 IN TXT "it\'s \\"quoted\\"; with a \\\\ backslash"' \
        "$(dns_query "$DNS1" quote.sender.test TXT)"
    e2e_assert_eq "$tool: IPv4 PTR" "mx.sender.test." "$(dns_answer "$DNS1" 25.2.0.192.in-addr.arpa PTR)"
    e2e_assert_eq "$tool: IPv6 PTR" "mx.sender.test." \
        "$(dns_answer "$DNS1" 5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa PTR)"
    e2e_assert_eq "$tool: CNAME" $'NOERROR\nalias.example. 300 IN CNAME mx.sender.test.' \
        "$(dns_query "$DNS1" alias.example A)"
    e2e_assert_eq "$tool: example. TLD" "198.51.100.7" "$(dns_answer "$DNS1" host.example A)"
    t=$(now_ms)
    e2e_assert_eq "$tool: SERVFAIL name" SERVFAIL "$(dns_rcode "$DNS1" a.b.servfail.test MX)"
    e2e_assert_ok "$tool: SERVFAIL within 1 s" test $(($(now_ms) - t)) -lt 1000
    e2e_assert_eq "$tool: REFUSED name" REFUSED "$(dns_rcode "$DNS1" refused.test TXT)"
    e2e_assert_eq "$tool: record below a TIMEOUT name answered" "192.0.2.99" "$(dns_answer "$DNS1" ok.timeout.test A)"
    e2e_assert_eq "$tool: TCP query" $'10 mx.sender.test.\n20 mx2.sender.test.' \
        "$(DNS_QUERY_TCP=1 dns_answer "$DNS1" sender.test MX)"
    e2e_assert_eq "$tool: TIMEOUT name over TCP: connection closed" CLOSED \
        "$(DNS_QUERY_TCP=1 dns_query "$DNS1" x.timeout.test A)"
    unset DNS_QUERY_TOOL
}

if command -v dig >/dev/null 2>&1; then
    check_answers dig
else
    e2e_skip "dig answers" "dig not installed (bind9-dnsutils)"
fi
if [[ -x /usr/bin/python3 ]] || command -v python3 >/dev/null 2>&1; then
    check_answers python
else
    e2e_skip "python answers" "python3 not installed"
fi

# The RD bit set (as by libunbound forwarding), answered authoritatively.
if command -v dig >/dev/null 2>&1; then
    out=$(dig +tries=1 +time=2 +recurse -p "${DNS1##*@}" @127.0.0.1 sender.test. MX 2>&1)
    e2e_assert_match "RD query answered with aa" $'flags: qr aa rd[ ;]' "$out"
fi

# ---------------------------------------------------------------------------
# TIMEOUT: no reply at all over UDP.

t=$(now_ms)
out=$(DNS_QUERY_TIMEOUT=3 dns_query "$DNS1" x.timeout.test A)
rc=$?
ms=$(($(now_ms) - t))
e2e_log "timeout name: '$out' rc=$rc after ${ms} ms (3 s timeout)"
e2e_assert_eq "TIMEOUT name: no reply within 3 s" "TIMEOUT rc=1" "$out rc=$rc"
e2e_assert_ok "TIMEOUT name: waited the 3 s (${ms} ms)" test "$ms" -ge 2900
t=$(now_ms)
out=$(DNS_QUERY_TOOL=python DNS_QUERY_TIMEOUT=2 dns_query "$DNS1" deep.below.timeout.test TXT)
ms=$(($(now_ms) - t))
e2e_assert_eq "TIMEOUT subtree, python client: no reply within 2 s" TIMEOUT "$out"
e2e_assert_ok "TIMEOUT subtree: waited the 2 s (${ms} ms)" test "$ms" -ge 1900
e2e_assert_eq "server still answers after dropped queries" "0 ." "$(dns_answer "$DNS1" nullmx.test MX)"

queries=$(dns_queries "$DNS1")
e2e_assert_contains "dns_queries: the dropped query" "x.timeout.test. A" "$queries"
e2e_assert_contains "dns_queries: an answered query" "nullmx.test. MX" "$queries"
e2e_assert_contains "dns_log: the log file" "start of service" "$(cat "$(dns_log "$DNS1")")"

# ---------------------------------------------------------------------------
# Bad zone files are refused with the line number.

printf 'ok.test. 300 IN A 192.0.2.1\nbroken line\n' >"$WORK/bad.zone"
if dns_start BAD "$WORK/bad.zone" 2>"$WORK/bad.err"; then
    e2e_fail "bad zone file refused" "dns_start succeeded: $BAD"
else
    e2e_assert_contains "bad zone file refused with its line" "bad.zone:2:" "$(cat "$WORK/bad.err")"
fi
printf 'ok.test. 300 IN A 192.0.2.300\n' >"$WORK/bad2.zone"
if dns_start BAD "$WORK/bad2.zone" 2>"$WORK/bad2.err"; then
    e2e_fail "bad record refused" "dns_start succeeded: $BAD"
else
    e2e_assert_contains "bad record refused with unbound's message" "192.0.2.300" "$(cat "$WORK/bad2.err")"
fi
e2e_assert_eq "usage error" "rc=2" "rc=$(dns_query "$DNS1" 2>/dev/null; echo $?)"
e2e_assert_eq "no query to a non-loopback server" "rc=1" "rc=$(dns_query 192.0.2.1@53 sender.test MX >/dev/null; echo $?)"

# ---------------------------------------------------------------------------
# Two servers at once, each with its own data.

t0=$(now_ms)
dns_start DNS2 "$WORK/b.zone" || e2e_die "second dns_start failed"
e2e_log "second dns_start took $(($(now_ms) - t0)) ms"
e2e_assert_ok "two servers on two ports" test "$DNS1" != "$DNS2"
e2e_assert_eq "second server: its own MX" "5 other.example." "$(dns_answer "$DNS2" sender.test MX)"
e2e_assert_eq "first server unchanged" $'10 mx.sender.test.\n20 mx2.sender.test.' "$(dns_answer "$DNS1" sender.test MX)"
e2e_assert_eq "second server: NXDOMAIN for the first one's names" NXDOMAIN "$(dns_rcode "$DNS2" mx.sender.test A)"
pid2=${DNS__PID[$DNS2]}
dns_stop "$DNS2"
e2e_assert_ok "dns_stop: process gone" pid_gone "$pid2"
e2e_assert_eq "dns_stop: no answer any more" "rc=1" "rc=$(DNS_QUERY_TIMEOUT=1 dns_query "$DNS2" sender.test MX >/dev/null; echo $?)"
dns_stop "$DNS2"
e2e_pass "dns_stop twice"

# ---------------------------------------------------------------------------
# Nothing outlives a run: a failing one, one that dies, one SIGKILLed.

cat >"$WORK/child.sh" <<'EOF'
# $1 = lib dir, $2 = zone, $3 = file for "PID RUNDIR", $4 = fail|die|hang
. "$1/common.sh"
. "$1/dns.sh"
dns_start S "$2" || exit 9
printf '%s %s\n' "${DNS__PID[$S]}" "$E2E_RUN_DIR" >"$3"
case $4 in
    fail) e2e_fail "deliberate failure"; e2e_summary ;;
    die) e2e_die "deliberate death" ;;
    hang) while :; do sleep 0.1; done ;;
esac
EOF

gone() { pid_gone "$1" && ! pgrep -f -- "$2" >/dev/null; }

for how in fail die hang; do
    rm -f "$WORK/child.$how"
    if [[ $how == hang ]]; then
        bash "$WORK/child.sh" "$E2E_LIB_DIR" "$WORK/b.zone" "$WORK/child.$how" "$how" >"$WORK/child.$how.out" 2>&1 &
        child=$!
        e2e_wait_for 10 test -s "$WORK/child.$how"
        kill -KILL "$child"
        wait "$child" 2>/dev/null
        secs=10
    else
        bash "$WORK/child.sh" "$E2E_LIB_DIR" "$WORK/b.zone" "$WORK/child.$how" "$how" >"$WORK/child.$how.out" 2>&1
        secs=2
    fi
    read -r cpid cdir <"$WORK/child.$how" || { cpid=; cdir=; }
    if [[ -z "$cpid" ]]; then
        e2e_fail "run that ends by $how: server started" "$(cat "$WORK/child.$how.out")"
        continue
    fi
    t=$(now_ms)
    if e2e_wait_for "$secs" gone "$cpid" "$cdir"; then
        e2e_pass "run that ends by $how: its unbound is gone ($(($(now_ms) - t)) ms)"
    else
        e2e_fail "run that ends by $how: its unbound is gone" "$(ps -o pid,args -p "$cpid")"
        kill -KILL "$cpid" 2>/dev/null
    fi
done

# ---------------------------------------------------------------------------
# libunbound forwarding to the server, as the filter's resolver does.

UB_PROBE='
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <unbound.h>
static int done_async;
static void cb(void *arg, int err, struct ub_result *r)
{
	(void)arg;
	done_async = 1;
	if (r != NULL)
		ub_resolve_free(r);
	(void)err;
}
/* argv: server, override(0|1), then NAME/TYPE...; NAME/TYPE/async waits 2 s */
int main(int argc, char **argv)
{
	struct ub_ctx *c = ub_ctx_create();
	setvbuf(stdout, NULL, _IONBF, 0);
	ub_ctx_async(c, 1); /* threads, as the filter */
	ub_ctx_set_option(c, "do-not-query-localhost:", "no");
	if (atoi(argv[2])) {
		ub_ctx_set_option(c, "local-zone:", "test. transparent");
		ub_ctx_set_option(c, "local-zone:", "2.0.192.in-addr.arpa. transparent");
	}
	if (ub_ctx_set_fwd(c, argv[1]) != 0)
		return 2;
	for (int i = 3; i < argc; i++) {
		char name[256], mode[16] = "";
		int type, async_id;
		struct ub_result *r;
		if (sscanf(argv[i], "%255[^/]/%d/%15s", name, &type, mode) < 2)
			return 2;
		if (strcmp(mode, "async") == 0) {
			ub_resolve_async(c, name, type, 1, NULL, cb, &async_id);
			for (int n = 0; n < 200; n++) {
				usleep(10000);
				ub_process(c);
			}
			printf("%s %s\n", argv[i], done_async ? "answered" : "pending");
			ub_cancel(c, async_id);
			continue;
		}
		if (ub_resolve(c, name, type, 1, &r) != 0) {
			printf("%s error\n", argv[i]);
			continue;
		}
		printf("%s rcode=%d havedata=%d nxdomain=%d\n", argv[i], r->rcode, r->havedata, r->nxdomain);
		ub_resolve_free(r);
	}
	ub_ctx_delete(c);
	return 0;
}
'
CC=${CC:-cc}
if command -v "$CC" >/dev/null 2>&1 && [[ -f /usr/include/unbound.h ]] &&
    printf '%s' "$UB_PROBE" | "$CC" -x c -o "$WORK/ubprobe" - -lunbound 2>"$WORK/ubprobe.err"; then
    out=$("$WORK/ubprobe" "$DNS1" 1 sender.test/15 nope.sender.test/1 sender.test/1 nullmx.test/15 \
        sel._domainkey.sender.test/16 25.2.0.192.in-addr.arpa/12 alias.example/1 x.servfail.test/1 \
        refused.test/16 x.timeout.test/1/async sender.test/16)
    e2e_assert_eq "libunbound forwarding: answers" "sender.test/15 rcode=0 havedata=1 nxdomain=0
nope.sender.test/1 rcode=3 havedata=0 nxdomain=1
sender.test/1 rcode=0 havedata=0 nxdomain=0
nullmx.test/15 rcode=0 havedata=1 nxdomain=0
sel._domainkey.sender.test/16 rcode=0 havedata=1 nxdomain=0
25.2.0.192.in-addr.arpa/12 rcode=0 havedata=1 nxdomain=0
alias.example/1 rcode=0 havedata=1 nxdomain=0
x.servfail.test/1 rcode=2 havedata=0 nxdomain=0
refused.test/16 rcode=2 havedata=0 nxdomain=0
x.timeout.test/1/async pending
sender.test/16 rcode=0 havedata=1 nxdomain=0" "$out"
    # Without the override libunbound answers test. itself (logged, not
    # asserted: a fact about libunbound, not about this library).
    e2e_log "libunbound without 'local-zone: test. transparent': $("$WORK/ubprobe" "$DNS1" 0 sender.test/15)"
else
    e2e_skip "libunbound forwarding" "no C compiler or libunbound-dev"
fi

e2e_summary
