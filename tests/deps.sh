#!/bin/sh
# Installs what mailsift needs to build, run its tests and its demo on
# Debian 12. Idempotent: does nothing when everything is there.
# Usage: tests/deps.sh [--force]
set -eu

PACKAGES="build-essential autoconf automake libtool pkg-config m4 make \
libmilter-dev libspf2-dev publicsuffix libopendkim-dev libpcre2-dev libunbound-dev libssl-dev check \
postfix swaks libnet-ssleay-perl python3 util-linux procps iproute2 \
ca-certificates clang libclang-rt-14-dev \
unbound bind9-dnsutils \
spamassassin"

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -z "$missing" ] && [ "${1:-}" != "--force" ]; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages:$missing; run as root (or with sudo) to install them" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# spamassassin is there for its rule files (tests/tools/sa-load.sh); its
# spamd must not start either.
# Postfix asks how to configure itself: the tests run private instances and
# need none.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
apt-get update -q
# The packages' own services (a system Postfix, a system unbound resolving
# for the whole machine) must not start: the tests run private instances on
# loopback. A policy-rc.d that says "no" keeps them down during the install.
policy=/usr/sbin/policy-rc.d
made_policy=""
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	made_policy=1
fi
rc=0
# shellcheck disable=SC2086 # word splitting wanted
apt-get install -y -q --no-install-recommends $PACKAGES || rc=$?
[ -n "$made_policy" ] && rm -f "$policy"
exit $rc
