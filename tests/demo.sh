#!/bin/bash
# The demo: installs what is missing (as root), builds mailsift, starts a
# private Postfix on 127.0.0.1 with mailsiftd attached, sends a few messages
# through it and shows what happened to each. Everything runs under a
# temporary directory on ports picked at run time, and is stopped at the end.
#
# Usage: bash tests/demo.sh
# shellcheck source-path=SCRIPTDIR
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1

bash tests/deps.sh || exit 1
if [[ ! -x _build/mailsiftd ]]; then
	echo "== building mailsift in _build/"
	if ! { [[ -x configure ]] || autoreconf -fi; } ||
		! mkdir -p _build || ! (cd _build && ../configure -q && make -s -j"$(nproc)"); then
		echo "build failed" >&2
		exit 1
	fi
fi
export MAILSIFTD="$top/_build/mailsiftd" MAILSIFT="$top/_build/mailsift"

. tests/e2e/lib/common.sh
. tests/e2e/lib/dns.sh
. tests/e2e/lib/postfix.sh
. tests/e2e/lib/swaks.sh
. tests/e2e/lib/mailsiftd.sh

# shellcheck disable=SC2034 # msd: mailsiftd_start fills it; cleanup stops it
work="" milter_port="" smtp_port="" msd="" dns=""
e2e_tmpdir work
e2e_free_port milter_port
e2e_free_port smtp_port
printf 'user@example.test\npostmaster@example.test\n' >"$work/recipients"
# the senders' DNS, served on 127.0.0.1 by a private unbound
cat >"$work/zone" <<'ZONE'
example.org.      300 IN MX  10 mx.example.org.
mx.example.org.   300 IN A   198.51.100.25
example.org.      300 IN TXT "v=spf1 ip4:198.51.100.0/24 -all"
_dmarc.example.org. 300 IN TXT "v=DMARC1; p=reject"
bank.example.     300 IN MX  10 mx.example.org.
_dmarc.bank.example. 300 IN TXT "v=DMARC1; p=reject"
ZONE
dns_start dns "$work/zone" || exit 1
cat >"$work/mailsift.conf" <<CONF
local_domains     example.test
recipient_map     $work/recipients
trusted_networks  192.0.2.0/24
authserv_id       mx.demo.test
dns_servers       $dns
rules             $top/rules
CONF

echo "== mailsiftd on 127.0.0.1:$milter_port, Postfix on 127.0.0.1:$smtp_port"
echo "   mailsift.conf:"
sed 's/^/     /' "$work/mailsift.conf"
mailsiftd_start msd "$work/mailsift.conf" "inet:$milter_port@127.0.0.1" || exit 1
postfix_start "$work/pf" "$smtp_port" "$milter_port" \
	"smtpd_authorized_xclient_hosts = 127.0.0.0/8" || exit 1

show() {
	local title=$1 t
	shift
	echo
	echo "== $title"
	# the client address mailsiftd sees (Postfix's XCLIENT): an outside host
	t=$(e2e_smtp "$smtp_port" "$@" --helo client.example.net --xclient-addr "${CLIENT:-198.51.100.7}")
	# swaks marks the client's lines "->", replies "<-" and errors "<**"
	grep -E '^ *(->|<-|<\*\*)  ?(MAIL FROM|RCPT TO|[0-9]{3}[ -])' <<<"$t" |
		grep -v -E '<-  ?(220|221|250-|250 [A-Z]|354)' | sed 's/^ */   /'
}

show "a clean message" alice@example.org user@example.test --header "Subject: hello"
show "an invalid sender: refused at RCPT with 550 5.1.7, postmaster still reachable" \
	'bad..dots@example.org' user@example.test postmaster@example.test --header "Subject: invalid sender"
show "an unknown recipient beside a known one" \
	alice@example.org nobody@example.test user@example.test --header "Subject: partial"
show "a relay attempt" alice@example.org victim@example.org --quit-after RCPT
show "a bad recipient address" alice@example.org 'a..b@example.test' --quit-after RCPT
CLIENT=203.0.113.9 show "SPF: a host example.org's record does not allow" \
	alice@example.org user@example.test --quit-after RCPT
show "a sender domain that does not exist" someone@nowhere.example user@example.test --quit-after RCPT
show "DMARC: From claims bank.example (p=reject), nothing aligns: 550 5.7.1 at end of data" \
	alice@example.org user@example.test --header "From: security@bank.example" \
	--header "Subject: account notice"
show "content rules: phishing phrasing and an IP-literal link, scored" \
	alice@example.org user@example.test --header "Subject: ACTION REQUIRED ON YOUR ACCOUNT" \
	--body "Your account has been suspended. Verify your account within 24 hours at http://192.0.2.44/login"

postfix_wait_delivery "$work/pf" 4 20 >/dev/null
echo
echo "== mailsiftd's log: one summary line per message"
sleep 0.5
grep -E 'client=' "$(mailsiftd_log)" | sed 's/^/   /'
echo
echo "== delivered: $(postfix_count "$work/pf") messages; the headers mailsiftd added"
grep -E '^(Subject|X-Mailsift-Status|X-Spam-Status|Authentication-Results|Received-SPF):' "$(postfix_mbox "$work/pf")" |
	sed 's/^/   /'
echo
echo "== the offline tool on the same invalid sender"
printf 'From: bad@example.org\nTo: user@example.test\nSubject: offline\n\nhi\n' >"$work/m.eml"
"$MAILSIFT" check -c "$work/mailsift.conf" --ip 198.51.100.7 --helo client.example.net \
	--from '<bad..dots@example.org>' --rcpt '<user@example.test>' --rcpt '<postmaster@example.test>' \
	"$work/m.eml" | sed 's/^/   /'
echo
echo "== stopping mailsiftd and Postfix"
