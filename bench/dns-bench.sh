#!/bin/bash
# DNS benchmark: mailsiftd with the sender-domain check and SPF on, its
# resolver pointed at a private unbound on 127.0.0.1 serving the senders'
# zone, driven by milterload. Two runs: the resolver's cache off (every
# message asks the DNS server: MX, then the SPF record and what it names)
# and on (warm after the first messages).
#
# usage: MAILSIFTD=_build/mailsiftd bench/dns-bench.sh
#   CONC [8]  MSGS [2000]  RCPTS [3]  PER_CONN [5]   milterload -c/-n/-r/-m
# shellcheck source-path=SCRIPTDIR
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../tests/e2e/lib/common.sh"
. "$HERE/../tests/e2e/lib/dns.sh"
. "$HERE/../tests/e2e/lib/mailsiftd.sh"

[[ -x "${MAILSIFTD:-}" ]] || e2e_die "set MAILSIFTD to the mailsiftd binary"
make -s -C "$HERE" >/dev/null || e2e_die "cannot build the bench tools"
CONC=${CONC:-8} MSGS=${MSGS:-2000} RCPTS=${RCPTS:-3} PER_CONN=${PER_CONN:-5}

work="" dns="" msd=""
e2e_tmpdir work
mkdir -p "$work/msgs"
for i in $(seq 1 40); do
	# 40 sender domains, so the cache holds several zones' answers
	printf 'From: <sender%d@d%d.bench.test>\r\nTo: <rcpt%d@example.test>\r\nSubject: dns bench %d\r\n\r\n%s\r\n' \
		"$i" "$i" "$i" "$i" "$(head -c 3000 /dev/urandom | base64 -w 76)" >"$work/msgs/m$i.eml"
done
{
	for i in $(seq 1 40); do
		printf 'd%d.bench.test. 300 IN MX 10 mx.bench.test.\n' "$i"
		printf 'd%d.bench.test. 300 IN TXT "v=spf1 include:spf.bench.test -all"\n' "$i"
	done
	printf 'mx.bench.test. 300 IN A 192.0.2.25\n'
	printf 'spf.bench.test. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 ip4:198.51.100.0/24 ip4:203.0.113.0/24 -all"\n'
} >"$work/zone"
dns_start dns "$work/zone" || e2e_die "cannot start the DNS server"

run() {
	local name=$1 cache=$2 mport
	cat >"$work/$name.conf" <<CONF
local_domains     example.test
trusted_networks  none
authserv_id       mx.bench.test
dns_servers       $dns
dns_cache         $cache
CONF
	e2e_free_port mport
	mailsiftd_start msd "$work/$name.conf" "inet:$mport@127.0.0.1" || e2e_die "mailsiftd"
	echo "=== mailsiftd, sender-domain check + SPF, cache $cache"
	"$HERE/milterload" -s "inet:$mport@127.0.0.1" -d "$work/msgs" -c "$CONC" -n "$MSGS" \
		-r "$RCPTS" -m "$PER_CONN" | tee "$work/$name.out" | grep -E '^(final verdicts|RESULT)'
	mailsiftd_stop "$msd" >/dev/null
}
run cold no
run warm yes
queries=$(dns_queries "$dns" | wc -l)
echo "DNS server answered $queries queries in all"
echo "=== summary (-c $CONC -n $MSGS -r $RCPTS -m $PER_CONN, $(nproc) cores)"
printf '%-36s %s\n' "cache off (every lookup asked)" "$(grep RESULT "$work/cold.out")"
printf '%-36s %s\n' "cache on (warm)" "$(grep RESULT "$work/warm.out")"
