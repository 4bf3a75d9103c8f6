# shellcheck shell=bash source-path=SCRIPTDIR
#
# mailsiftd.sh - a mailsiftd under test.
#
#   mailsiftd_start VAR CONF SOCKET [ARGS...]
#       Starts "$MAILSIFTD -f -c CONF -p SOCKET -P DIR/pid ARGS..." with its
#       log in $(mailsiftd_log), waits until it listens (inet sockets: the
#       port; unix sockets: the file) and stores its pid in VAR. Stopped at
#       exit. Main shell only.
#   mailsiftd_log            prints the log file of the last started daemon
#   mailsiftd_reload PID     SIGHUP, then waits for the worker's verdict on
#                            the new configuration ("reloaded" or "rejected")
#   mailsiftd_stop PID       SIGTERM and wait; prints the milliseconds taken
#
# Environment: MAILSIFTD (the binary, required), MAILSIFT (the offline tool).

if [[ -z "${E2E_COMMON_LOADED:-}" ]]; then
    # shellcheck source=common.sh
    . "$(dirname "${BASH_SOURCE[0]}")/common.sh"
fi

MAILSIFTD_LOG=""

mailsiftd_log() { printf '%s\n' "$MAILSIFTD_LOG"; }

mailsiftd__listening() {
    local socket=$1 port
    case "$socket" in
        inet:*)
            port=${socket#inet:}
            e2e_port_listening "${port%@*}"
            ;;
        unix:*) [[ -S "${socket#unix:}" ]] ;;
    esac
}

mailsiftd_start() {
    local var=$1 conf=$2 socket=$3 msd_dir msd_pid
    shift 3
    [[ -x "${MAILSIFTD:-}" ]] || e2e_die "MAILSIFTD must name the mailsiftd binary"
    # Never the system resolver: tests talk to loopback only. A test that
    # does not run a DNS server of its own gets one where nothing answers.
    if ! grep -q -E '^dns_servers[[:space:]]+127\.' "$conf"; then
        printf '# added by tests/e2e/lib/mailsiftd.sh: no DNS outside loopback\ndns_servers 127.0.0.1@9\n' >>"$conf"
    fi
    e2e_tmpdir msd_dir
    MAILSIFTD_LOG="$msd_dir/mailsiftd.log"
    e2e_spawn msd_pid "$MAILSIFTD_LOG" "$MAILSIFTD" -f -c "$conf" -p "$socket" -P "$msd_dir/pid" "$@"
    if ! e2e_wait_for 10 mailsiftd__listening "$socket"; then
        printf 'mailsiftd did not start; its log:\n' >&2
        cat "$MAILSIFTD_LOG" >&2
        return 1
    fi
    printf -v "$var" "%s" "$msd_pid"
}

mailsiftd__count() { grep -c -E "$1" "$MAILSIFTD_LOG" 2>/dev/null || true; }

mailsiftd__reload_done() {
    (($(mailsiftd__count 'configuration reloaded|reload rejected') > $1))
}

mailsiftd_reload() {
    local pid=$1 before
    before=$(mailsiftd__count 'configuration reloaded|reload rejected')
    kill -HUP "$pid"
    e2e_wait_for 10 mailsiftd__reload_done "$before"
}

mailsiftd_stop() {
    local pid=$1 start end
    start=$(date +%s%N)
    kill -TERM "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    end=$(date +%s%N)
    printf '%s\n' $(((end - start) / 1000000))
}
