#!/bin/bash
# End to end through a real Postfix: content rules in SpamAssassin syntax
# scored on the decoded message (base64 HTML included), the X-Spam-*
# header fields, reject_score answered at end of data with 550 5.7.1 and
# the rule names kept from the client, or at end of header when the header
# alone settles it (early_reject), broken MIME named, a reload that
# brings new rules, and a rule file with errors that still loads the rest.
#
# Needs: MAILSIFTD, MAILSIFT, root, postfix and swaks.
# shellcheck source-path=SCRIPTDIR
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
. "$here/lib/postfix.sh"
. "$here/lib/swaks.sh"
. "$here/lib/mailsiftd.sh"

# shellcheck disable=SC2034 # msd: mailsiftd_start fills it; cleanup stops it
work="" milter_port="" smtp_port="" msd=""
e2e_tmpdir work
e2e_free_port milter_port
e2e_free_port smtp_port

cat >"$work/test.cf" <<'EOF'
# rules for tests/e2e/test_content.sh
body     T_PRIZE      /\byou have won\b/i
describe T_PRIZE      Announces a prize
score    T_PRIZE      3.5
header   T_SUBJ_URG   Subject =~ /\burgent\b/i
score    T_SUBJ_URG   2.0
uri      T_IP_LINK    m{^https?://\d+\.\d+\.\d+\.\d+/}
score    T_IP_LINK    1.5
meta     T_PRIZE_LINK T_PRIZE && T_IP_LINK
score    T_PRIZE_LINK 9.0
header   T_FAKE_BANK  From:addr =~ /\@bank-secure\.example$/
score    T_FAKE_BANK  16.0
body     T_BROKEN     /unclosed (paren/
EOF
cat >"$work/mailsift.conf" <<EOF
local_domains     example.test
trusted_networks  none
authserv_id       mx.e2e.test
sender_domain_check no
spf_check no
dmarc_check no
rules             test.cf
EOF

out=$("$MAILSIFTD" -n -c "$work/mailsift.conf" 2>&1)
e2e_assert_contains "-n: the broken rule named with file:line" \
	"$work/test.cf:13: T_BROKEN:" "$out"
e2e_assert_contains "-n: the rest loads" "rules: 5 loaded, 0 inert, 1 failed" "$out"
e2e_assert_contains "-n: configuration OK" "$work/mailsift.conf: OK" "$out"

mailsiftd_start msd "$work/mailsift.conf" "inet:$milter_port@127.0.0.1" || e2e_die "mailsiftd"
postfix_start "$work/pf" "$smtp_port" "$milter_port" \
	"smtpd_authorized_xclient_hosts = 127.0.0.0/8" || e2e_die "postfix"
mbox=$(postfix_mbox "$work/pf")
smtp() { e2e_smtp "$smtp_port" "$@" --helo client.example.net --xclient-addr 198.51.100.7; }

# --- a clean message: X-Spam-Status No
t=$(smtp alice@example.org user@example.test --header "Subject: lunch" --body "See you at noon.")
e2e_assert_match "clean: queued" '^250 2\.0\.0 ' "$(e2e_reply_eod "$t")"
postfix_wait_delivery "$work/pf" 1
h=$(e2e_mbox_headers "$mbox" 1)
e2e_assert_contains "clean: X-Spam-Status" "X-Spam-Status: No, score=0.0 required=5.0 tests=none" "$h"
e2e_assert_contains "clean: X-Spam-Score" "X-Spam-Score: 0.0" "$h"
e2e_assert_not_contains "clean: no X-Spam-Flag" "X-Spam-Flag" "$h"

# --- spam: the prize is in a base64 HTML part, the subject is urgent; a
# --- forged X-Spam-Flag: NO from the sender is removed
cat >"$work/spam.eml" <<EOF
From: alice@example.org
To: user@example.test
Subject: URGENT notice
X-Spam-Flag: NO
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: base64

$(printf '<p>Dear friend, <b>you</b> have <i>won</i>!</p>' | base64)
EOF
t=$(smtp alice@example.org user@example.test --data "$work/spam.eml")
e2e_assert_match "spam: queued (below reject_score)" '^250 2\.0\.0 ' "$(e2e_reply_eod "$t")"
postfix_wait_delivery "$work/pf" 2
h=$(e2e_mbox_headers "$mbox" 2)
e2e_assert_contains "spam: X-Spam-Flag" "X-Spam-Flag: YES" "$h"
e2e_assert_contains "spam: X-Spam-Status names the rules" \
	"X-Spam-Status: Yes, score=5.5 required=5.0 tests=T_PRIZE,T_SUBJ_URG" "$h"
e2e_assert_eq "spam: the sender's X-Spam-Flag is gone" 1 "$(grep -c '^X-Spam-Flag:' <<<"$h")"
e2e_assert_contains "spam: status header" \
	"X-Mailsift-Status: accept; score=5.5; tests=T_PRIZE,T_SUBJ_URG; host=mx.e2e.test" "$h"

# --- reject_score: prize + IP link + meta = 14.0 + urgent 2.0 >= 15
t=$(smtp alice@example.org user@example.test --header "Subject: urgent" \
	--body "You have won! Claim at http://192.0.2.7/claim now.")
e2e_assert_eq "reject_score: 550 5.7.1 at end of data, no rule names" \
	"550 5.7.1 Message rejected as spam" "$(e2e_reply_eod "$t")"

# --- early_reject: the header alone scores 16 and no rule could lower it,
# --- so the answer is decided at end of header (Postfix gives it after DATA)
t=$(smtp alice@bank-secure.example user@example.test --header "From: <alice@bank-secure.example>" \
	--header "Subject: account" --body "Please log in.")
e2e_assert_eq "early_reject: 550 5.7.1 for the header alone" \
	"550 5.7.1 Message rejected as spam" "$(e2e_reply_eod "$t")"
e2e_assert_ok "early_reject: decided at end of header" e2e_wait_for 10 \
	grep -q 'verdict=reject stage=eoh reply="550 5.7.1 Message rejected as spam" score=16.0' \
	"$(mailsiftd_log)"

# --- broken MIME: a multipart that never ends is still read, and named
cat >"$work/broken.eml" <<'EOF'
From: alice@example.org
To: user@example.test
Subject: broken
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain

you have won, said the unterminated part
EOF
t=$(smtp alice@example.org user@example.test --data "$work/broken.eml")
e2e_assert_match "broken MIME: queued" '^250 2\.0\.0 ' "$(e2e_reply_eod "$t")"
postfix_wait_delivery "$work/pf" 3
h=$(e2e_mbox_headers "$mbox" 3)
e2e_assert_contains "broken MIME: named, and the rules read the part" \
	"X-Mailsift-Status: accept; score=4.5; tests=mime_broken,T_PRIZE; host=mx.e2e.test" "$h"

# --- a reload brings new rules; a running server keeps serving
printf 'body T_LUNCH /\\bnoon\\b/\nscore T_LUNCH 0.5\n' >>"$work/test.cf"
mailsiftd_reload "$msd"
e2e_assert_ok "reload: the outgoing rules' hit counters logged" \
	grep -q "rule hits before reload: T_PRIZE=3 T_SUBJ_URG=2 T_FAKE_BANK=1 T_IP_LINK=1 T_PRIZE_LINK=1" "$(mailsiftd_log)"
e2e_assert_ok "reload: logged with the new rule count" e2e_wait_for 10 \
	grep -q "rules: 6 loaded, 0 inert, 1 failed" "$(mailsiftd_log)"
t=$(smtp alice@example.org user@example.test --header "Subject: lunch" --body "See you at noon.")
postfix_wait_delivery "$work/pf" 4
h=$(e2e_mbox_headers "$mbox" 4)
e2e_assert_contains "reload: the new rule hits" "X-Spam-Status: No, score=0.5 required=5.0 tests=T_LUNCH" "$h"

# --- the offline tool lists each rule hit with its score and description
json=$("$MAILSIFT" check -c "$work/mailsift.conf" --ip 198.51.100.7 --from '<alice@example.org>' \
	--rcpt '<user@example.test>' --json "$work/spam.eml")
e2e_assert_contains "offline: rule hit in results" \
	'{"rule":"T_PRIZE","score":3.50,"count":1,"describe":"Announces a prize","stage":"eom"}' "$json"

e2e_summary
