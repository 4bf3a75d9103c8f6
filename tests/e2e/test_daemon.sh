#!/bin/bash
# mailsiftd as a process: -n, unix socket mode and group, stale sockets,
# privilege drop, pid file locking, worker restart after a crash.
#
# Needs: MAILSIFTD, root (for -u and socket_group).
# shellcheck source-path=SCRIPTDIR
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
. "$here/lib/mailsiftd.sh"

work="" msd="" msd2=""
e2e_tmpdir work
chmod 0755 "$work"

cat >"$work/ok.conf" <<CONF
socket_mode   0660
socket_group  nogroup
local_domains example.test
CONF
printf 'local_domains example.test\nreply.rcpt_unknown 550 4.1.1 nope\nfrobnicate yes\n' >"$work/bad.conf"

# --- -n: 0 and "OK" for a good file, 1 and FILE:LINE: message per error
out=$("$MAILSIFTD" -n -c "$work/ok.conf" 2>&1)
e2e_assert_eq "-n good config: exit 0" 0 "$?"
e2e_assert_eq "-n good config: says OK" "$work/ok.conf: OK" "$out"
out=$("$MAILSIFTD" -n -c "$work/bad.conf" 2>&1)
e2e_assert_eq "-n bad config: exit 1" 1 "$?"
e2e_assert_eq "-n bad config: every error with file:line" \
	"$work/bad.conf:2: bad value for 'reply.rcpt_unknown': reply code and enhanced status disagree in class (4xx goes with 4.x.x, 5xx with 5.x.x)
$work/bad.conf:3: unknown key 'frobnicate'" "$out"

# --- unix socket with mode and group, owned by the user it runs as
sock="$work/run/mailsiftd.sock"
mkdir -p "$work/run" && chown nobody "$work/run"
mailsiftd_start msd "$work/ok.conf" "unix:$sock" -u nobody || e2e_die "mailsiftd"
e2e_assert_eq "socket: mode 0660, owner nobody, group nogroup" "660 nobody nogroup" \
	"$(stat -c '%a %U %G' "$sock")"
worker=$(pgrep -P "$msd" | head -n 1)
e2e_assert_eq "-u nobody: the worker runs as nobody" "$(id -u nobody)" \
	"$(awk '/^Uid:/ {print $2 "," $3 "," $4 "," $5}' "/proc/$worker/status" | tr ',' '\n' | sort -u)"
e2e_assert_eq "-u nobody: supplementary groups dropped" "$(id -g nobody)" \
	"$(awk '/^Groups:/ {print $2}' "/proc/$worker/status")"

# --- a second daemon on the same pid file or live socket is refused
out=$("$MAILSIFTD" -f -c "$work/ok.conf" -p "unix:$work/other.sock" -P "$(dirname "$(mailsiftd_log)")/pid" 2>&1)
e2e_assert_eq "pid file lock: second daemon exits 1" 1 "$?"
e2e_assert_contains "pid file lock: says why" "is locked: another mailsiftd is running" "$out"
out=$(timeout 10 "$MAILSIFTD" -f -c "$work/ok.conf" -p "unix:$sock" 2>&1)
e2e_assert_eq "live socket: second daemon exits 1" 1 "$?"
e2e_assert_contains "live socket: not stolen" "socket is in use by another process" "$out"

# --- a worker that dies is replaced
kill -KILL "$worker"
e2e_assert_ok "crash: a new worker listens again" e2e_wait_for 10 \
	bash -c "w=\$(pgrep -P $msd); [[ -n \$w && \$w != $worker && -S $sock ]]"
e2e_assert_ok "crash: logged" grep -q "worker died (signal 9); restarting" "$(mailsiftd_log)"

# --- SIGKILL leaves a stale socket; the next start replaces it
kill -KILL "$msd" "$(pgrep -P "$msd")" 2>/dev/null
wait "$msd" 2>/dev/null
e2e_assert_ok "stale socket left behind" test -S "$sock"
mailsiftd_start msd2 "$work/ok.conf" "unix:$sock" -u nobody || e2e_die "mailsiftd restart"
e2e_assert_ok "stale socket: replaced, daemon started" \
	e2e_wait_for 10 grep -q "listening on unix:$sock" "$(mailsiftd_log)"
mailsiftd_stop "$msd2" >/dev/null

# --- a path that is not a socket is never removed
printf 'precious\n' >"$work/file.sock"
out=$(timeout 10 "$MAILSIFTD" -f -c "$work/ok.conf" -p "unix:$work/file.sock" 2>&1)
e2e_assert_eq "non-socket path: refused" 1 "$?"
e2e_assert_contains "non-socket path: says why" "is not a socket; not removing it" "$out"
e2e_assert_eq "non-socket path: file intact" "precious" "$(cat "$work/file.sock")"

e2e_summary
