#!/bin/bash
# End to end through a real Sendmail: the envelope answers at RCPT, the
# delivered header, and a content reject decided at end of header, as with
# Postfix.
#
# Needs: MAILSIFTD, root, swaks; Sendmail is unpacked privately by
# lib/sendmail.sh (it conflicts with the postfix package).
# shellcheck source-path=SCRIPTDIR
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
. "$here/lib/sendmail.sh"
. "$here/lib/swaks.sh"
. "$here/lib/mailsiftd.sh"

# shellcheck disable=SC2034 # msd: mailsiftd_start fills it; cleanup stops it
work="" milter_port="" smtp_port="" msd=""
e2e_tmpdir work
e2e_free_port milter_port
e2e_free_port smtp_port

printf 'user@example.test\npostmaster@example.test\n' >"$work/rcpts"
printf 'header T_LOTTERY Subject =~ /lottery winner/i\nscore T_LOTTERY 20\n' >"$work/early.cf"
cat >"$work/mailsift.conf" <<CONF
local_domains     example.test
recipient_map     $work/rcpts
trusted_networks  192.0.2.0/24
authserv_id       mx.e2e.test
sender_domain_check no
spf_check no
dmarc_check no
rules             $work/early.cf
CONF

sendmail_setup || e2e_die "cannot set up sendmail"
mailsiftd_start msd "$work/mailsift.conf" "inet:$milter_port@127.0.0.1" || e2e_die "mailsiftd"
sendmail_start "$work/sm" "$smtp_port" "inet:$milter_port@127.0.0.1" || e2e_die "sendmail"
mbox=$(sendmail_mbox "$work/sm")

smtp() { e2e_smtp "$smtp_port" "$@" --helo client.example.net; }

t=$(smtp alice@example.org user@example.test --header "Subject: clean")
e2e_assert_match "sendmail clean: RCPT accepted" '^250 2\.1\.5 ' "$(e2e_reply_rcpt "$t" user@example.test)"
e2e_assert_match "sendmail clean: queued" '^250 2\.0\.0 ' "$(e2e_reply_eod "$t")"
sendmail_wait_delivery "$work/sm" 1
e2e_assert_contains "sendmail clean: status header" \
	"X-Mailsift-Status: accept; score=0.0; tests=none; host=mx.e2e.test" "$(e2e_mbox_headers "$mbox" 1)"

t=$(smtp 'bad..dots@example.org' user@example.test postmaster@example.test --header "Subject: pm")
e2e_assert_match "sendmail bad sender: MAIL accepted" '^250 2\.1\.0 ' "$(e2e_reply_mail "$t")"
# Sendmail puts "<recipient>... " before a milter's RCPT reply text
e2e_assert_eq "sendmail bad sender: 550 5.1.7 at RCPT" \
	"550 5.1.7 <user@example.test>... <bad..dots@example.org>: Sender address rejected: invalid local part" \
	"$(e2e_reply_rcpt "$t" user@example.test)"
e2e_assert_match "sendmail bad sender: postmaster accepted" '^250 2\.1\.5 ' \
	"$(e2e_reply_rcpt "$t" postmaster@example.test)"
e2e_assert_match "sendmail bad sender: queued for postmaster" '^250 2\.0\.0 ' "$(e2e_reply_eod "$t")"
sendmail_wait_delivery "$work/sm" 2
e2e_assert_contains "sendmail postmaster copy: status header" \
	"X-Mailsift-Status: accept; score=0.0; tests=sender_syntax; host=mx.e2e.test" "$(e2e_mbox_headers "$mbox" 2)"

t=$(smtp alice@example.org nobody@example.test --quit-after RCPT)
e2e_assert_eq "sendmail unknown recipient: 550 5.1.1" \
	"550 5.1.1 <nobody@example.test>... <nobody@example.test>: Recipient address rejected: User unknown" \
	"$(e2e_reply_rcpt "$t" nobody@example.test)"

t=$(smtp alice@example.org victim@example.org --quit-after RCPT)
e2e_assert_eq "sendmail relay denied: 554 5.7.1" "554 5.7.1 <victim@example.org>: Relay access denied" \
	"$(e2e_reply_rcpt "$t" victim@example.org)"
e2e_assert_ok "sendmail relay: the answer came from mailsiftd" \
	e2e_wait_for 5 grep -q 'to=<victim@example.org>:reject:554 verdict=reject stage=rcpt' "$(mailsiftd_log)"

# early_reject: the Subject alone scores 20, nothing could lower it
t=$(smtp alice@example.org user@example.test --header "Subject: lottery winner" --body "Claim it.")
e2e_assert_eq "sendmail early_reject: 550 5.7.1 for the header alone" \
	"550 5.7.1 Message rejected as spam" "$(e2e_reply_eod "$t")"
e2e_assert_ok "sendmail early_reject: decided at end of header" \
	e2e_wait_for 5 grep -q 'verdict=reject stage=eoh reply="550 5.7.1 Message rejected as spam"' \
	"$(mailsiftd_log)"

e2e_summary
