#!/bin/bash
# End to end with real DNS: a private unbound on 127.0.0.1 serves the test
# zones, mailsiftd resolves through it (dns_servers), a real Postfix asks
# mailsiftd. Sender-domain checks and SPF answered at RCPT; the
# Authentication-Results header on delivered mail; DNS trouble is a 4xx
# within the budget; the offline tool gives the daemon's SPF result.
#
# Needs: MAILSIFTD, MAILSIFT, root, postfix, swaks, unbound.
# shellcheck source-path=SCRIPTDIR
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
. "$here/lib/dns.sh"
. "$here/lib/postfix.sh"
. "$here/lib/swaks.sh"
. "$here/lib/mailsiftd.sh"

# shellcheck disable=SC2034 # msd: mailsiftd_start fills it; cleanup stops it
work="" milter_port="" smtp_port="" msd="" dns=""
e2e_tmpdir work
e2e_free_port milter_port
e2e_free_port smtp_port

cat >"$work/zone" <<'ZONE'
good.test.        300 IN MX  10 mx.good.test.
mx.good.test.     300 IN A   192.0.2.25
good.test.        300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
fail.test.        300 IN MX  10 mx.good.test.
fail.test.        300 IN TXT "v=spf1 ip4:203.0.113.0/24 " "-all"
soft.test.        300 IN A   192.0.2.26
soft.test.        300 IN TXT "v=spf1 ~all"
explained.test.   300 IN MX  10 mx.good.test.
explained.test.   300 IN TXT "v=spf1 -all exp=why.explained.test"
why.explained.test. 300 IN TXT "Mail from %{d} must come from our own servers"
nullmx.test.      300 IN MX  0 .
helo-bad.test.    300 IN TXT "v=spf1 -all"
football.example.com. 300 IN A 192.0.2.30
brisbane._domainkey.football.example.com. 300 IN TXT "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
test._domainkey.football.example.com. 300 IN TXT "v=DKIM1; g=*; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB"
slow.test.        TIMEOUT
_dmarc.good.test. 300 IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@good.test"
_dmarc.bank.test. 300 IN TXT "v=DMARC1; p=reject"
_dmarc.shop.test. 300 IN TXT "v=DMARC1; p=quarantine"
_dmarc.example.org. 300 IN TXT "v=DMARC1; p=reject"
dummy._domainkey.example.org. 300 IN TXT "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB"
ZONE
dns_start dns "$work/zone" || e2e_die "cannot start the DNS server"

cat >"$work/mailsift.conf" <<CONF
local_domains     example.test
trusted_networks  none
authserv_id       mx.e2e.test
dns_servers       $dns
dns_timeout       1s
dns_budget        3s
CONF
mailsiftd_start msd "$work/mailsift.conf" "inet:$milter_port@127.0.0.1" || e2e_die "mailsiftd"
postfix_start "$work/pf" "$smtp_port" "$milter_port" \
	"smtpd_authorized_xclient_hosts = 127.0.0.0/8" || e2e_die "postfix"
mbox=$(postfix_mbox "$work/pf")

# smtp IP FROM TO [swaks options]: one transaction from client IP (XCLIENT)
smtp() {
	local ip=$1
	shift
	e2e_smtp "$smtp_port" "$@" --helo mail.client.test --xclient-addr "$ip"
}

# --- SPF pass: delivered, Authentication-Results on top
t=$(smtp 192.0.2.10 alice@good.test user@example.test --header "Subject: spf pass")
e2e_assert_match "spf pass: RCPT accepted" '^250 2\.1\.5 ' "$(e2e_reply_rcpt "$t" user@example.test)"
e2e_assert_match "spf pass: queued" '^250 2\.0\.0 ' "$(e2e_reply_eod "$t")"
postfix_wait_delivery "$work/pf" 1
h=$(e2e_mbox_headers "$mbox" 1)
# the first header after Postfix's Return-Path/Delivered-To lines of local delivery
first=$(grep -v -E '^(From |Return-Path:|X-Original-To:|Delivered-To:)' <<<"$h" | head -n 1)
e2e_assert_eq "spf pass: Authentication-Results is the topmost header" \
	"Authentication-Results: mx.e2e.test; spf=pass (mechanism) smtp.mailfrom=alice@good.test; spf=none (no SPF record) smtp.helo=mail.client.test; dmarc=pass (p=reject sp=reject pct=100 dis=none) header.from=good.test" "$first"
e2e_assert_match "spf pass: Received-SPF added" \
	'Received-SPF: pass \(mx\.e2e\.test: domain of good\.test designates 192\.0\.2\.10 as permitted sender\) client-ip=192\.0\.2\.10; envelope-from=alice@good\.test; helo=mail\.client\.test;' "$h"
e2e_assert_contains "spf pass: status header names the result" \
	"X-Mailsift-Status: accept; score=0.0; tests=spf_pass,dmarc_pass; host=mx.e2e.test" "$h"

# --- SPF fail: refused at RCPT, not at MAIL FROM; postmaster still reachable
t=$(smtp 198.51.100.7 bob@fail.test user@example.test postmaster@example.test --quit-after RCPT)
e2e_assert_match "spf fail: MAIL accepted" '^250 2\.1\.0 ' "$(e2e_reply_mail "$t")"
e2e_assert_eq "spf fail: 550 5.7.23 at RCPT" \
	"550 5.7.23 <bob@fail.test>: Sender address rejected: SPF check failed: fail.test does not designate 198.51.100.7 as a permitted sender" \
	"$(e2e_reply_rcpt "$t" user@example.test)"
e2e_assert_match "spf fail: postmaster accepted" '^250 2\.1\.5 ' \
	"$(e2e_reply_rcpt "$t" postmaster@example.test)"

t=$(smtp 198.51.100.7 carol@explained.test user@example.test --quit-after RCPT)
e2e_assert_eq "spf fail: the record's exp= text" \
	"550 5.7.23 <carol@explained.test>: Sender address rejected: SPF check failed: Mail from explained.test must come from our own servers" \
	"$(e2e_reply_rcpt "$t" user@example.test)"

# --- softfail is scored, not refused
t=$(smtp 198.51.100.7 dave@soft.test user@example.test --header "Subject: softfail")
e2e_assert_match "spf softfail: accepted" '^250 2\.0\.0 ' "$(e2e_reply_eod "$t")"
postfix_wait_delivery "$work/pf" 2
h=$(e2e_mbox_headers "$mbox" 2)
e2e_assert_contains "spf softfail: A-R" \
	"Authentication-Results: mx.e2e.test; spf=softfail (mechanism) smtp.mailfrom=dave@soft.test" "$h"
e2e_assert_contains "spf softfail: scored" "X-Mailsift-Status: accept; score=0.9; tests=spf_softfail" "$h"

# --- the HELO identity is checked too (RFC 7208 2.3): a fail is scored
t=$(e2e_smtp "$smtp_port" alice@good.test user@example.test --helo helo-bad.test \
	--xclient-addr 192.0.2.10 --header "Subject: helo fail")
e2e_assert_match "spf helo fail: accepted (scored)" '^250 2\.0\.0 ' "$(e2e_reply_eod "$t")"
postfix_wait_delivery "$work/pf" 3
h=$(e2e_mbox_headers "$mbox" 3)
e2e_assert_contains "spf helo fail: A-R has both identities" \
	"Authentication-Results: mx.e2e.test; spf=pass (mechanism) smtp.mailfrom=alice@good.test; spf=fail (mechanism) smtp.helo=helo-bad.test" "$h"
e2e_assert_contains "spf helo fail: scored" \
	"X-Mailsift-Status: accept; score=1.0; tests=spf_helo_fail,spf_pass,dmarc_pass; host=mx.e2e.test" "$h"

# --- sender domains: NXDOMAIN, null MX
t=$(smtp 198.51.100.7 eve@nosuch.test user@example.test --quit-after RCPT)
e2e_assert_eq "sender domain NXDOMAIN: 550 5.1.8" \
	"550 5.1.8 <eve@nosuch.test>: Sender address rejected: Domain not found" \
	"$(e2e_reply_rcpt "$t" user@example.test)"
t=$(smtp 198.51.100.7 frank@nullmx.test user@example.test --quit-after RCPT)
e2e_assert_eq "null MX: 550 5.7.27" \
	"550 5.7.27 <frank@nullmx.test>: Sender address rejected: Domain does not accept mail (null MX)" \
	"$(e2e_reply_rcpt "$t" user@example.test)"

# --- a name whose server never answers: 451 within the budget, never a 5xx
start=$SECONDS
t=$(smtp 198.51.100.7 gina@slow.test user@example.test --quit-after RCPT)
took=$((SECONDS - start))
e2e_assert_eq "DNS timeout: 451 4.4.3" \
	"451 4.4.3 <gina@slow.test>: Sender address rejected: Domain lookup failed, try again later" \
	"$(e2e_reply_rcpt "$t" user@example.test)"
e2e_log "the timed-out transaction took ${took}s (dns_budget 3s)"
e2e_assert_ok "DNS timeout: answered within the budget, far below Postfix's milter timeout" \
	test "$took" -le 6

# --- a forged Authentication-Results claiming our authserv-id is removed
t=$(smtp 192.0.2.10 alice@good.test user@example.test --header "Subject: forged ar" \
	--add-header "Authentication-Results: mx.e2e.test; spf=pass smtp.mailfrom=ceo@bank.test" \
	--add-header "Authentication-Results: other.example; spf=fail smtp.mailfrom=x@y.test")
e2e_assert_match "forged A-R: queued" '^250 2\.0\.0 ' "$(e2e_reply_eod "$t")"
postfix_wait_delivery "$work/pf" 4
h=$(e2e_mbox_headers "$mbox" 4)
e2e_assert_contains "forged A-R: right message" "Subject: forged ar" "$h"
e2e_assert_eq "forged A-R: only ours claims mx.e2e.test" 1 "$(grep -c '^Authentication-Results: mx\.e2e\.test;' <<<"$h")"
e2e_assert_not_contains "forged A-R: the forged result is gone" "ceo@bank.test" "$h"
e2e_assert_contains "forged A-R: another server's header is kept" \
	"Authentication-Results: other.example; spf=fail" "$h"

# --- DKIM: the RFC 8463 example (Ed25519 and RSA signatures) verifies
signed="$here/../data/dkim/rfc6376.signed.msg"
t=$(smtp 192.0.2.10 joe@football.example.com user@example.test --data "$signed")
e2e_assert_match "dkim: queued" '^250 2\.0\.0 ' "$(e2e_reply_eod "$t")"
postfix_wait_delivery "$work/pf" 5
h=$(e2e_mbox_headers "$mbox" 5)
e2e_assert_contains "dkim: Ed25519 signature passes" \
	"dkim=pass (signature verified) header.d=football.example.com header.s=brisbane header.i=@football.example.com header.b=9/dsDChY" "$h"
e2e_assert_contains "dkim: RSA signature passes" \
	"dkim=pass (signature verified) header.d=football.example.com header.s=test header.i=@football.example.com header.b=icKcLSEZ" "$h"
sed 's/We lost the game/We won the game/' "$signed" >"$work/altered.msg"
t=$(smtp 192.0.2.10 joe@football.example.com user@example.test --data "$work/altered.msg")
e2e_assert_match "dkim altered: still queued (DKIM alone never rejects)" '^250 2\.0\.0 ' "$(e2e_reply_eod "$t")"
postfix_wait_delivery "$work/pf" 6
h=$(e2e_mbox_headers "$mbox" 6)
e2e_assert_contains "dkim altered: fails" \
	"dkim=fail (body hash mismatch) header.d=football.example.com header.s=brisbane" "$h"
e2e_assert_match "dkim altered: scored" 'X-Mailsift-Status: accept; score=1\.0; tests=[a-z_,]*dkim_fail' "$h"

# --- DMARC: SPF passes for the envelope, but the From domain (p=reject) is
# --- not aligned with it: 550 5.7.1 at end of message
t=$(smtp 192.0.2.10 alice@good.test user@example.test --header "From: ceo@bank.test" \
	--header "Subject: dmarc reject")
e2e_assert_match "dmarc reject: RCPT accepted (DMARC needs the header)" '^250 2\.1\.5 ' \
	"$(e2e_reply_rcpt "$t" user@example.test)"
e2e_assert_eq "dmarc reject: 550 5.7.1 at end of message" \
	"550 5.7.1 Message rejected per DMARC policy of bank.test" "$(e2e_reply_eod "$t")"

# --- ... but postmaster still gets it (RFC 5321 4.5.1): recorded, not enforced
t=$(smtp 192.0.2.10 alice@good.test postmaster@example.test --header "From: ceo@bank.test" \
	--header "Subject: dmarc to postmaster")
e2e_assert_match "dmarc reject: mail to postmaster alone still accepted" '^250 2\.0\.0 ' \
	"$(e2e_reply_eod "$t")"

# --- p=quarantine: accepted, held in the MTA's quarantine (hold queue)
t=$(smtp 192.0.2.10 alice@good.test user@example.test --header "From: orders@shop.test" \
	--header "Subject: dmarc quarantine")
e2e_assert_match "dmarc quarantine: accepted" '^250 2\.0\.0 ' "$(e2e_reply_eod "$t")"
held() { grep -q 'milter-hold: END-OF-MESSAGE .*milter triggers HOLD action' "$(postfix_log "$work/pf")"; }
e2e_assert_ok "dmarc quarantine: held by Postfix" e2e_wait_for 10 held

# --- the From domain's policy cannot be fetched: 451, never a 5xx
t=$(smtp 192.0.2.10 alice@good.test user@example.test --header "From: boss@slow.test" \
	--header "Subject: dmarc dns trouble")
e2e_assert_eq "dmarc DNS trouble: 451 4.7.5" \
	"451 4.7.5 DMARC policy of slow.test could not be checked, try again later" \
	"$(e2e_reply_eod "$t")"

# --- the offline tool, same configuration, same DNS: same SPF answer
printf 'From: bob@fail.test\nTo: user@example.test\nSubject: offline\n\nhi\n' >"$work/m.eml"
json=$("$MAILSIFT" check -c "$work/mailsift.conf" --ip 198.51.100.7 --helo mail.client.test \
	--from '<bob@fail.test>' --rcpt '<user@example.test>' --json "$work/m.eml")
e2e_assert_contains "offline: spf_fail like the daemon" \
	'"symbol":"spf_fail","score":0.00,"detail":"fail.test does not designate 198.51.100.7 as a permitted sender"' "$json"
e2e_assert_contains "offline: same reply" '"smtp_code":"550","enhanced_status":"5.7.23"' "$json"
json=$("$MAILSIFT" check -c "$work/mailsift.conf" --ip 192.0.2.10 --from '<alice@good.test>' \
	--rcpt '<user@example.test>' --json "$work/m.eml")
e2e_assert_contains "offline: the A-R header it would add" \
	'{"name":"Authentication-Results","value":"mx.e2e.test; spf=pass (mechanism) smtp.mailfrom=alice@good.test; dmarc=none (no DMARC record) header.from=fail.test"}' "$json"

# --- dmarc_override: a forwarder's failures are recorded, not enforced
printf 'From: ceo@bank.test\nTo: user@example.test\nSubject: forwarded\n\nhi\n' >"$work/fwd.eml"
json=$("$MAILSIFT" check -c "$work/mailsift.conf" --ip 192.0.2.10 --from '<alice@good.test>' \
	--rcpt '<user@example.test>' --json "$work/fwd.eml")
e2e_assert_contains "offline: dmarc reject like the daemon" \
	'"smtp_code":"550","enhanced_status":"5.7.1"' "$json"
cp "$work/mailsift.conf" "$work/override.conf"
printf 'dmarc_override lists.good.test good.test\n' >>"$work/override.conf"
json=$("$MAILSIFT" check -c "$work/override.conf" --ip 192.0.2.10 --from '<alice@good.test>' \
	--rcpt '<user@example.test>' --json "$work/fwd.eml")
e2e_assert_contains "dmarc override: accepted" '"verdict":"accept"' "$json"
e2e_assert_contains "dmarc override: the failure is in the A-R header" \
	'dmarc=fail (p=reject sp=reject pct=100 dis=none local override) header.from=bank.test' "$json"
e2e_assert_contains "dmarc override: symbol" '"symbol":"dmarc_override"' "$json"

# --- ARC: a forwarded message whose chain validates (two sets sealed by
# --- example.org); its From domain publishes p=reject and nothing aligns
arcmsg="$here/../data/arc/pass-i2.eml"
t=$(smtp 192.0.2.10 alice@good.test user@example.test --data "$arcmsg")
e2e_assert_eq "arc: an untrusted chain does not save a DMARC failure" \
	"550 5.7.1 Message rejected per DMARC policy of d1.example.org" "$(e2e_reply_eod "$t")"
cp "$work/mailsift.conf" "$work/arc.conf"
printf 'arc_trusted_sealers example.org\n' >>"$work/arc.conf"
json=$("$MAILSIFT" check -c "$work/arc.conf" --ip 192.0.2.10 --from '<alice@good.test>' \
	--rcpt '<user@example.test>' --json "$arcmsg")
e2e_assert_contains "arc trusted sealer: accepted" '"verdict":"accept"' "$json"
e2e_assert_contains "arc trusted sealer: arc=pass and the DMARC failure recorded" \
	'arc=pass; dmarc=fail (p=reject sp=reject pct=100 dis=none local override) header.from=d1.example.org' "$json"
sed 's/This is a test message/This is an altered message/' "$arcmsg" >"$work/arc-altered.eml"
json=$("$MAILSIFT" check -c "$work/arc.conf" --ip 192.0.2.10 --from '<alice@good.test>' \
	--rcpt '<user@example.test>' --json "$work/arc-altered.eml")
e2e_assert_contains "arc altered: the chain fails" '"symbol":"arc_fail"' "$json"
e2e_assert_contains "arc altered: no trust, DMARC enforced" '"smtp_code":"550","enhanced_status":"5.7.1"' "$json"

e2e_summary
