#!/bin/bash
# End to end through a real Postfix: envelope checks at RCPT, per-recipient
# answers, delivered headers, XCLIENT client addresses, reload on SIGHUP,
# fast stop, and the offline tool agreeing with the daemon.
#
# Needs: MAILSIFTD, MAILSIFT (binaries), root, postfix and swaks installed.
# shellcheck source-path=SCRIPTDIR
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
. "$here/lib/postfix.sh"
. "$here/lib/swaks.sh"
. "$here/lib/mailsiftd.sh"

work="" milter_port="" smtp_port="" msd=""
e2e_tmpdir work
e2e_free_port milter_port
e2e_free_port smtp_port

cat >"$work/rcpts" <<'EOF'
user@example.test
postmaster@example.test
abuse@example.test
@example.net
EOF

write_conf() {
	cat >"$work/mailsift.conf" <<EOF
# written by tests/e2e/test_postfix.sh
local_domains     example.test
recipient_map     $work/rcpts
trusted_networks  $1
authserv_id       mx.e2e.test
sender_domain_check no
spf_check no
dmarc_check no
dns_servers       127.0.0.1@9
EOF
}
write_conf "192.0.2.0/24"

mailsiftd_start msd "$work/mailsift.conf" "inet:$milter_port@127.0.0.1" || e2e_die "mailsiftd"
postfix_start "$work/pf" "$smtp_port" "$milter_port" \
	"smtpd_authorized_xclient_hosts = 127.0.0.0/8" || e2e_die "postfix"
mbox=$(postfix_mbox "$work/pf")

smtp() { e2e_smtp "$smtp_port" "$@" --helo client.example.net; }

# --- a clean message is delivered with our status header
t=$(smtp alice@example.org user@example.test --header "Subject: clean")
e2e_assert_match "clean: RCPT accepted" '^250 2\.1\.5 ' "$(e2e_reply_rcpt "$t" user@example.test)"
e2e_assert_match "clean: queued" '^250 2\.0\.0 Ok: queued' "$(e2e_reply_eod "$t")"
postfix_wait_delivery "$work/pf" 1
h=$(e2e_mbox_headers "$mbox" 1)
e2e_assert_contains "clean: status header" \
	"X-Mailsift-Status: accept; score=0.0; tests=none; host=mx.e2e.test" "$h"

# --- a bad sender is refused at RCPT, not at MAIL FROM
t=$(smtp 'bad..dots@example.org' user@example.test --quit-after RCPT)
e2e_assert_match "bad sender: MAIL accepted" '^250 2\.1\.0 ' "$(e2e_reply_mail "$t")"
e2e_assert_eq "bad sender: 550 5.1.7 at RCPT" \
	"550 5.1.7 <bad..dots@example.org>: Sender address rejected: invalid local part" \
	"$(e2e_reply_rcpt "$t" user@example.test)"

# --- ... but postmaster and abuse still get mail from it (RFC 5321 4.5.1)
t=$(smtp 'bad..dots@example.org' postmaster@example.test abuse@example.test user@example.test \
	--header "Subject: to postmaster")
e2e_assert_match "bad sender: postmaster accepted" '^250 2\.1\.5 ' \
	"$(e2e_reply_rcpt "$t" postmaster@example.test)"
e2e_assert_match "bad sender: abuse accepted" '^250 2\.1\.5 ' "$(e2e_reply_rcpt "$t" abuse@example.test)"
e2e_assert_match "bad sender: user refused in the same transaction" '^550 5\.1\.7 ' \
	"$(e2e_reply_rcpt "$t" user@example.test)"
e2e_assert_match "bad sender: message to postmaster queued" '^250 2\.0\.0 ' "$(e2e_reply_eod "$t")"
# one copy per accepted recipient: postmaster and abuse
postfix_wait_delivery "$work/pf" 3
h=$(e2e_mbox_headers "$mbox" 2)
e2e_assert_contains "postmaster copy: status names the sender result" \
	"X-Mailsift-Status: accept; score=0.0; tests=sender_syntax; host=mx.e2e.test" "$h"

# --- unknown recipient, bad recipient syntax, relaying
t=$(smtp alice@example.org nobody@example.test user@example.test --header "Subject: partial")
e2e_assert_eq "unknown recipient: 550 5.1.1" \
	"550 5.1.1 <nobody@example.test>: Recipient address rejected: User unknown" \
	"$(e2e_reply_rcpt "$t" nobody@example.test)"
e2e_assert_match "known recipient beside it accepted" '^250 2\.1\.5 ' "$(e2e_reply_rcpt "$t" user@example.test)"
e2e_assert_match "partial: queued" '^250 2\.0\.0 ' "$(e2e_reply_eod "$t")"
postfix_wait_delivery "$work/pf" 4
h=$(e2e_mbox_headers "$mbox" 4)
e2e_assert_contains "partial: delivered to the accepted recipient" "Subject: partial" "$h"
e2e_assert_contains "partial: delivered with status header" \
	"X-Mailsift-Status: accept; score=0.0; tests=none; host=mx.e2e.test" "$h"

t=$(smtp alice@example.org 'a..b@example.test' --quit-after RCPT)
e2e_assert_eq "bad recipient syntax: 553 5.1.3" \
	"553 5.1.3 <a..b@example.test>: Recipient address rejected: invalid local part" \
	"$(e2e_reply_rcpt "$t" 'a..b@example.test')"

t=$(smtp alice@example.org victim@example.org --quit-after RCPT)
e2e_assert_eq "relay denied: 554 5.7.1" "554 5.7.1 <victim@example.org>: Relay access denied" \
	"$(e2e_reply_rcpt "$t" victim@example.org)"

# --- the null sender is fine for MAIL FROM
t=$(smtp "" user@example.test --header "Subject: bounce")
e2e_assert_match "null sender accepted" '^250 2\.1\.5 ' "$(e2e_reply_rcpt "$t" user@example.test)"
postfix_wait_delivery "$work/pf" 5

# --- a forged copy of our status header does not survive
t=$(smtp alice@example.org user@example.test --header "Subject: forged" \
	--add-header "X-Mailsift-Status: accept; score=-100.0; tests=none; host=mx.e2e.test")
e2e_assert_match "forged: queued" '^250 2\.0\.0 ' "$(e2e_reply_eod "$t")"
postfix_wait_delivery "$work/pf" 6
h=$(e2e_mbox_headers "$mbox" 6)
e2e_assert_contains "forged: right message" "Subject: forged" "$h"
e2e_assert_eq "forged: exactly one status header" 1 "$(grep -c '^X-Mailsift-Status:' <<<"$h")"
e2e_assert_not_contains "forged: the forged value is gone" "score=-100.0" "$h"

# --- the client address the milter sees decides trust (XCLIENT)
t=$(smtp alice@example.org victim@example.org --xclient-addr 198.51.100.7 --quit-after RCPT)
e2e_assert_match "untrusted XCLIENT address: relay denied" '^554 5\.7\.1 ' \
	"$(e2e_reply_rcpt "$t" victim@example.org)"
t=$(smtp 'bad..dots@example.org' victim@example.org --xclient-addr 192.0.2.10 --quit-after RCPT)
e2e_assert_match "trusted network: relay and sender checks skipped" '^250 2\.1\.5 ' \
	"$(e2e_reply_rcpt "$t" victim@example.org)"

# --- the offline tool gives the daemon's answer
printf 'From: x@example.org\nTo: user@example.test\nSubject: offline\n\nhello\n' >"$work/m.eml"
json=$("$MAILSIFT" check -c "$work/mailsift.conf" --ip 198.51.100.7 --from '<bad..dots@example.org>' \
	--rcpt '<user@example.test>' --json "$work/m.eml")
e2e_assert_contains "offline: same verdict" '"verdict":"reject","stage":"rcpt","smtp_code":"550","enhanced_status":"5.1.7"' "$json"
e2e_assert_contains "offline: same text" \
	'"text":"<bad..dots@example.org>: Sender address rejected: invalid local part"' "$json"

# --- the summary log line
log=$(mailsiftd_log)
e2e_assert_ok "log: one summary line for the refused sender" \
	grep -q -E 'client=localhost\[127\.0\.0\.1\] helo=client\.example\.net from=<bad\.\.dots@example\.org> to=<user@example\.test>:reject:550 verdict=reject stage=rcpt reply="550 5\.1\.7 .*" score=0\.0 results=sender_syntax\(invalid local part\)' "$log"

# --- SIGHUP reload: a broken file is refused and the old one keeps serving
cp "$work/mailsift.conf" "$work/good.conf"
dup_line=$(($(wc -l <"$work/mailsift.conf") + 1))
printf 'trusted_networks 127.0.0.0/33\n' >>"$work/mailsift.conf"
mailsiftd_reload "$msd"
e2e_assert_ok "reload: broken config refused with file:line" \
	grep -q "reload rejected, still serving the previous configuration: $work/mailsift.conf:$dup_line: duplicate key 'trusted_networks'" "$log"
t=$(smtp alice@example.org victim@example.org --quit-after RCPT)
e2e_assert_match "reload: old configuration still in force" '^554 5\.7\.1 ' \
	"$(e2e_reply_rcpt "$t" victim@example.org)"
write_conf "127.0.0.0/8"
mailsiftd_reload "$msd"
e2e_assert_ok "reload: new configuration taken" grep -q "configuration reloaded from $work/mailsift.conf" "$log"
t=$(smtp alice@example.org victim@example.org --quit-after RCPT)
e2e_assert_match "reload: loopback now trusted, relay allowed" '^250 2\.1\.5 ' \
	"$(e2e_reply_rcpt "$t" victim@example.org)"

# --- a worker restarted after a crash serves the reloaded configuration
worker=$(pgrep -P "$msd" | head -n 1)
kill -KILL "$worker"
e2e_assert_ok "crash: a new worker listens" e2e_wait_for 10 \
	bash -c "w=\$(pgrep -P $msd); [[ -n \$w && \$w != $worker ]] && ss -Hltn 'sport = :$milter_port' | grep -q ."
t=$(smtp alice@example.org victim@example.org --quit-after RCPT)
e2e_assert_match "crash: the new worker keeps the reloaded configuration" '^250 2\.1\.5 ' \
	"$(e2e_reply_rcpt "$t" victim@example.org)"

# --- a stop takes well under a second (libmilter alone needs ~5 s)
ms=$(mailsiftd_stop "$msd")
e2e_log "mailsiftd stopped in $ms ms"
e2e_assert_ok "stop: within 1 s after SIGTERM" test "$ms" -lt 1000
t=$(smtp alice@example.org user@example.test --quit-after RCPT)
e2e_assert_match "filter down: Postfix tempfails (milter_default_action)" '^451 4\.7\.1 ' \
	"$(e2e_reply_mail "$t")"

e2e_summary
