# shellcheck shell=bash
#
# common.sh - shared helpers for the mailsift end-to-end suite.
#
# Source it from a bash test script (it is `set -u` clean and does not change
# the caller's shell options):
#
#     . "$(dirname "$0")/lib/common.sh"
#
# Sourcing installs an EXIT trap (plus INT/TERM/HUP handlers that exit, so the
# EXIT trap runs) and creates the run directory $E2E_RUN_DIR lazily on the
# first call of e2e_tmpdir / e2e_free_port / an assertion.
#
# Functions
#   e2e_on_exit CMD [ARG...]    register a cleanup command; run LIFO at exit
#                               (and by a watchdog if the script is SIGKILLed)
#   e2e_tmpdir [VAR]            new private directory under the run dir; stores
#                               the path in VAR, or prints it without VAR
#   e2e_free_port [VAR]         reserve a free TCP port on 127.0.0.1; stores it
#                               in VAR, or prints it without VAR
#   e2e_wait_port PORT [SECS]   wait until something listens on 127.0.0.1:PORT
#   e2e_wait_port_closed PORT [SECS]
#   e2e_wait_for SECS CMD...    poll CMD (every 0.05 s) until it succeeds
#   e2e_spawn VAR LOG CMD...    start CMD in the background, pid in VAR,
#                               stopped at exit
#   e2e_kill_pid PID [SECS]     TERM, wait, KILL one process
#   e2e_mbox_count MBOX         messages in an mbox file
#   e2e_wait_mbox MBOX COUNT [SECS]   wait for COUNT complete messages
#   e2e_mbox_message MBOX N     message N (1-based, -1 = last)
#   e2e_mbox_headers MBOX N     header block of message N
#   e2e_assert_eq NAME EXPECTED ACTUAL
#   e2e_assert_match NAME REGEX TEXT      (bash ERE, whole TEXT; see below)
#   e2e_assert_no_match NAME REGEX TEXT
#   e2e_assert_contains NAME NEEDLE TEXT  (fixed string)
#   e2e_assert_not_contains NAME NEEDLE TEXT
#   e2e_assert_ok NAME CMD...   passes when CMD exits 0
#   e2e_pass NAME / e2e_fail NAME [DETAIL...] / e2e_skip NAME REASON
#   e2e_summary                 runs the cleanups, then prints as last line
#                               "N passed, M failed"; non-zero if M>0
#   e2e_log MSG... / e2e_die MSG...
#
# Important: functions that start processes or register cleanups
# (e2e_tmpdir VAR, e2e_free_port VAR, postfix_start, sendmail_start, ...) must
# run in the main shell, not inside $(...): a command substitution is a
# subshell and whatever it registers with e2e_on_exit would be lost.  That is
# why e2e_tmpdir and e2e_free_port take a variable name.  Assertion results are
# kept in a file, so assertions may be called from subshells.
#
# Environment
#   E2E_KEEP=1          keep the run directory (path printed at exit)
#   E2E_KEEP_ON_FAIL=1  keep it only when an assertion failed
#   E2E_WATCHDOG=0      do not start the watchdog
#   E2E_PORT_MIN / E2E_PORT_MAX   range for e2e_free_port (default: the 10000
#                       ports just below the kernel's ephemeral range, so an
#                       outgoing connection can never grab a reserved port)
#   E2E_LOCK_DIR        where port reservations live (default /tmp/e2e-port-locks)
#
# Variables set here: E2E_LIB_DIR (this directory), E2E_RUN_DIR (the run's
# temporary directory, once created).

if [[ -n "${E2E_COMMON_LOADED:-}" ]]; then
    return 0
fi
E2E_COMMON_LOADED=1

# Directory of these libraries, for scripts: . "$E2E_LIB_DIR/postfix.sh"
# shellcheck disable=SC2034
E2E_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
E2E_MAIN_PID=$$
# Never inherited: a nested test script gets its own run directory.
E2E_RUN_DIR=
E2E_LOCK_DIR=${E2E_LOCK_DIR:-/tmp/e2e-port-locks}
E2E_CLEANUPS=()
E2E_CLEANING=0

e2e_log() {
    printf '# %s\n' "$*" >&2
}

e2e_die() {
    printf 'e2e: fatal: %s\n' "$*" >&2
    exit 1
}

# True when running in the shell that sourced this file (not a subshell).
e2e__in_main_shell() {
    [[ "${BASHPID:-$$}" == "$E2E_MAIN_PID" ]]
}

# ---------------------------------------------------------------------------
# Cleanup registry

# e2e_on_exit CMD [ARG...]
# Registers a cleanup.  With one argument it is a shell command string (eval'd
# as it is); with several, they are the words of one command (quoted, so
# paths with spaces are safe).  Cleanups run in reverse order of
# registration, each one even if an earlier one failed.  They are also
# written to $E2E_RUN_DIR/cleanups for the watchdog (see e2e__start_watchdog).
e2e_on_exit() {
    local cmd
    if ! e2e__in_main_shell; then
        printf 'e2e: warning: e2e_on_exit called in a subshell, ignored: %s\n' "$*" >&2
        return 1
    fi
    e2e__init_run_dir
    if (($# == 1)); then
        cmd=$1
    else
        printf -v cmd '%q ' "$@"
    fi
    E2E_CLEANUPS+=("$cmd")
    if [[ -n "$E2E_RUN_DIR" && -d "$E2E_RUN_DIR" ]]; then
        printf '%s\n' "${cmd//$'\n'/ }" >>"$E2E_RUN_DIR/cleanups"
    fi
}

e2e__run_cleanups() {
    local rc=$? i
    # Only the main shell cleans up.
    e2e__in_main_shell || return "$rc"
    [[ "$E2E_CLEANING" == 1 ]] && return "$rc"
    E2E_CLEANING=1
    # A second Ctrl-C or TERM must not cut the cleanup short.
    trap '' INT TERM HUP
    for ((i = ${#E2E_CLEANUPS[@]} - 1; i >= 0; i--)); do
        eval "${E2E_CLEANUPS[i]}" || printf 'e2e: cleanup failed (ignored): %s\n' "${E2E_CLEANUPS[i]}" >&2
    done
    E2E_CLEANUPS=()
    if [[ -n "${E2E_WATCHDOG_PID:-}" ]]; then
        kill -TERM "$E2E_WATCHDOG_PID" 2>/dev/null
        E2E_WATCHDOG_PID=
    fi
    # The run directory is gone; a later use starts a new one.
    E2E_RUN_DIR=
    e2e__install_signal_traps
    E2E_CLEANING=0
    return "$rc"
}

# The watchdog: a background copy of this shell (no child processes of its
# own: it naps in "read -t" on a fifo) that notices when the main shell has
# vanished without running its EXIT trap (SIGKILL, e.g. a CI timeout) and
# then runs the registered cleanups from $E2E_RUN_DIR/cleanups, so no MTA or
# milter outlives the run.  The main shell kills it after a normal cleanup.
# It is disowned, so a plain "wait" in a test does not wait for it.
e2e__start_watchdog() {
    local fifo="$E2E_RUN_DIR/.watchdog"
    [[ "${E2E_WATCHDOG:-1}" == 1 ]] || return 0
    mkfifo -m 0600 "$fifo" 2>/dev/null || return 0
    (
        set +e +u
        trap '' INT HUP
        exec {wfd}<>"$fifo" || exit 0
        rm -f "$fifo"
        while kill -0 "$E2E_MAIN_PID" 2>/dev/null; do
            read -r -t 0.5 -u "$wfd" _
        done
        e2e__watchdog_cleanup
    ) </dev/null >/dev/null 2>&1 &
    E2E_WATCHDOG_PID=$!
    disown "$E2E_WATCHDOG_PID" 2>/dev/null
}

e2e__watchdog_cleanup() {
    local f i
    local -a cmds=()
    # Functions of libraries sourced after the watchdog was forked.
    for f in "$E2E_LIB_DIR"/*.sh; do
        # shellcheck disable=SC1090
        . "$f"
    done
    [[ -f "$E2E_RUN_DIR/cleanups" ]] || return 0
    mapfile -t cmds <"$E2E_RUN_DIR/cleanups"
    for ((i = ${#cmds[@]} - 1; i >= 0; i--)); do
        eval "${cmds[i]}"
    done
}

e2e__on_signal() {
    printf 'e2e: interrupted by SIG%s, cleaning up\n' "$1" >&2
    exit 130
}

e2e__install_signal_traps() {
    trap 'e2e__on_signal INT' INT
    trap 'e2e__on_signal TERM' TERM
    trap 'e2e__on_signal HUP' HUP
}

trap e2e__run_cleanups EXIT
e2e__install_signal_traps

# ---------------------------------------------------------------------------
# Temporary directories

e2e__remove_run_dir() {
    local dir=$1 failed=0
    [[ -f "$dir/results" ]] && failed=$(grep -c '^F' "$dir/results" || true)
    if [[ "${E2E_KEEP:-0}" == 1 ]] || { [[ "${E2E_KEEP_ON_FAIL:-0}" == 1 ]] && ((failed > 0)); }; then
        printf 'e2e: keeping %s\n' "$dir" >&2
        return 0
    fi
    rm -rf -- "$dir"
}

e2e__init_run_dir() {
    [[ -n "$E2E_RUN_DIR" && -d "$E2E_RUN_DIR" ]] && return 0
    e2e__in_main_shell || e2e_die "the first e2e_tmpdir/e2e_free_port/assertion must run in the main shell"
    E2E_RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/mailsift-e2e.XXXXXX") || e2e_die "mktemp failed"
    # Daemons dropping privileges (postfix, nobody) must be able to traverse it.
    chmod 0755 "$E2E_RUN_DIR"
    : >"$E2E_RUN_DIR/results"
    : >"$E2E_RUN_DIR/cleanups"
    e2e_on_exit e2e__remove_run_dir "$E2E_RUN_DIR"
    e2e__start_watchdog
}

# e2e_tmpdir [VAR]
# Makes a new directory (mode 0755) inside the run directory, which is removed
# at exit.  With VAR the path is assigned to that variable, otherwise printed.
e2e_tmpdir() {
    local dir
    e2e__init_run_dir
    dir=$(mktemp -d "$E2E_RUN_DIR/d.XXXXXX") || return 1
    chmod 0755 "$dir"
    if (($# > 0)); then
        printf -v "$1" '%s' "$dir"
    else
        printf '%s\n' "$dir"
    fi
}

# ---------------------------------------------------------------------------
# Ports

# e2e__port_bindable PORT: true if 127.0.0.1:PORT can be bound right now
# (perl-base's Socket module: perl is always there, swaks needs it anyway).
e2e__port_bindable() {
    perl -MSocket -e '
        socket(my $s, PF_INET, SOCK_STREAM, 0) or exit 2;
        bind($s, pack_sockaddr_in($ARGV[0], inet_aton("127.0.0.1"))) or exit 1;
        exit 0;' "$1"
}

e2e__port_range() {
    local lo _hi
    if [[ -n "${E2E_PORT_MIN:-}" && -n "${E2E_PORT_MAX:-}" ]]; then
        printf '%s %s\n' "$E2E_PORT_MIN" "$E2E_PORT_MAX"
        return
    fi
    read -r lo _hi </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || lo=32768
    if ((lo > 11024)); then
        printf '%s %s\n' "$((lo - 10000))" "$((lo - 1))"
    else
        printf '%s %s\n' 61000 65535
    fi
}

e2e__release_port() {
    rm -rf -- "${E2E_LOCK_DIR:?}/$1"
}

# e2e_free_port [VAR]
# Picks a random port in the range below the ephemeral range, checks that it
# can be bound on 127.0.0.1 and reserves it with an atomic mkdir in
# $E2E_LOCK_DIR (owner pid recorded; stale reservations of dead runs are
# reclaimed), so two concurrent runs never get the same port.  The
# reservation is dropped at exit.
e2e_free_port() {
    local lo hi port tries owner lock
    e2e__init_run_dir
    e2e__in_main_shell || e2e_die "e2e_free_port must run in the main shell (use: e2e_free_port VAR)"
    read -r lo hi < <(e2e__port_range)
    mkdir -p "$E2E_LOCK_DIR" && chmod 1777 "$E2E_LOCK_DIR" 2>/dev/null
    for ((tries = 0; tries < 500; tries++)); do
        port=$((lo + (RANDOM * 32768 + RANDOM) % (hi - lo + 1)))
        lock="$E2E_LOCK_DIR/$port"
        if ! mkdir "$lock" 2>/dev/null; then
            owner=$(cat "$lock/pid" 2>/dev/null || true)
            # Reclaim a reservation whose run is gone (not one being created).
            if [[ -n "$owner" ]] && ! kill -0 "$owner" 2>/dev/null; then
                rm -rf -- "$lock"
            fi
            continue
        fi
        echo "$E2E_MAIN_PID" >"$lock/pid"
        if ! e2e__port_bindable "$port"; then
            rm -rf -- "$lock"
            continue
        fi
        e2e_on_exit e2e__release_port "$port"
        if (($# > 0)); then
            printf -v "$1" '%s' "$port"
        else
            printf '%s\n' "$port"
        fi
        return 0
    done
    e2e_die "no free port found in $lo-$hi"
}

# e2e_port_listening PORT: true if a TCP socket listens on 127.0.0.1:PORT or
# on the wildcard address.  Uses ss, so nothing connects to the server.
e2e_port_listening() {
    local out
    out=$(ss -Hltn "sport = :$1" 2>/dev/null) || {
        # No ss: fall back to a connection attempt.
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
        return
    }
    [[ -n "$out" ]]
}

# e2e_wait_for SECS CMD...: runs CMD every 0.05 s until it succeeds (0) or
# SECS seconds passed (1).
e2e_wait_for() {
    local secs=$1 deadline
    shift
    deadline=$((SECONDS + secs))
    while true; do
        "$@" && return 0
        ((SECONDS >= deadline)) && return 1
        sleep 0.05
    done
}

# e2e_wait_port PORT [SECS=10]
e2e_wait_port() {
    e2e_wait_for "${2:-10}" e2e_port_listening "$1" && return 0
    printf 'e2e: nothing listens on 127.0.0.1:%s after %ss\n' "$1" "${2:-10}" >&2
    return 1
}

e2e__port_closed() { ! e2e_port_listening "$1"; }

# e2e_wait_port_closed PORT [SECS=10]
e2e_wait_port_closed() {
    e2e_wait_for "${2:-10}" e2e__port_closed "$1" && return 0
    printf 'e2e: 127.0.0.1:%s still listening after %ss\n' "$1" "${2:-10}" >&2
    return 1
}

# e2e_kill_pid PID [SECS=10]: SIGTERM, wait, then SIGKILL.  Only that pid.
e2e_kill_pid() {
    local pid=$1 secs=${2:-10} i
    [[ -n "$pid" ]] || return 0
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < secs * 20; i++)); do
        kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
        sleep 0.05
    done
    printf 'e2e: pid %s still running %ss after SIGTERM, sending SIGKILL\n' "$pid" "$secs" >&2
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 0
}

# e2e_spawn VAR LOG CMD...: starts CMD in the background (stdin /dev/null,
# stdout+stderr to LOG), stores its pid in VAR and registers e2e_kill_pid
# for it.  Main shell only.  Stop it earlier with e2e_kill_pid "$VAR".
# E2E_SPAWN_STOP_SECS (default 10) bounds the wait after SIGTERM at exit.
e2e_spawn() {
    local var=$1 log=$2 pid
    shift 2
    e2e__in_main_shell || e2e_die "e2e_spawn must run in the main shell"
    "$@" </dev/null >"$log" 2>&1 &
    pid=$!
    e2e_on_exit e2e_kill_pid "$pid" "${E2E_SPAWN_STOP_SECS:-10}"
    printf -v "$var" '%s' "$pid"
}

# ---------------------------------------------------------------------------
# Mailboxes.  Both MTA libraries deliver into one mboxrd file per instance:
# a message starts with a "From " line (body lines starting with "From " are
# written as ">From ") and the writer holds the dot-lock file MBOX.lock.

# e2e_mbox_count MBOX: number of messages in MBOX (0 if it does not exist).
e2e_mbox_count() {
    if [[ -f "$1" ]]; then
        grep -c '^From ' "$1" || true
    else
        echo 0
    fi
}

# True when MBOX holds >= COUNT complete messages: the count is only trusted
# when no delivery held the lock before and after counting.
e2e__mbox_has() {
    local mbox=$1 want=$2 n
    [[ -e "$mbox.lock" ]] && return 1
    n=$(e2e_mbox_count "$mbox")
    [[ -e "$mbox.lock" ]] && return 1
    ((n >= want))
}

# e2e_wait_mbox MBOX COUNT [SECS=20]: waits until MBOX holds at least COUNT
# complete messages.  A message with several recipients counts once per
# recipient (each delivery appends a copy).
e2e_wait_mbox() {
    e2e_wait_for "${3:-20}" e2e__mbox_has "$1" "$2"
}

# e2e_mbox_message MBOX N: prints message N (1-based; negative counts from
# the end, -1 = last) including its "From " line.
e2e_mbox_message() {
    local mbox=$1 n=$2 total
    [[ -f "$mbox" ]] || return 1
    total=$(e2e_mbox_count "$mbox")
    ((n < 0)) && n=$((total + 1 + n))
    ((n >= 1 && n <= total)) || return 1
    awk -v n="$n" '/^From / { i++ } i == n' "$mbox"
}

# e2e_mbox_headers MBOX N: the header block of message N (no "From " line).
e2e_mbox_headers() {
    e2e_mbox_message "$1" "$2" | awk 'NR == 1 { next } /^$/ { exit } { print }'
}

# ---------------------------------------------------------------------------
# Assertions.  Results are appended to $E2E_RUN_DIR/results ("P name" /
# "F name" / "S name") so that they survive subshells.

e2e__record() {
    e2e__init_run_dir
    printf '%s %s\n' "$1" "$2" >>"$E2E_RUN_DIR/results"
}

e2e__indent() {
    # Prints "$2" with every line prefixed by "$1" (empty value shown as <empty>).
    if [[ -z "$2" ]]; then
        printf '%s<empty>\n' "$1"
    else
        printf '%s\n' "$2" | sed "s/^/$1/"
    fi
}

e2e_pass() {
    e2e__record P "$1"
    printf 'ok - %s\n' "$1"
}

# e2e_fail NAME [DETAIL...]: records a failure; details printed indented.
e2e_fail() {
    local name=$1 d
    shift
    e2e__record F "$name"
    printf 'FAIL - %s\n' "$name"
    for d in "$@"; do
        e2e__indent '    ' "$d"
    done
}

# e2e_skip NAME REASON
e2e_skip() {
    e2e__record S "$1"
    printf 'skip - %s: %s\n' "$1" "${2:-}"
}

e2e_assert_eq() {
    local name=$1 expected=$2 actual=$3
    if [[ "$expected" == "$actual" ]]; then
        e2e_pass "$name"
        return 0
    fi
    e2e_fail "$name" "expected:" "$(e2e__indent '  ' "$expected")" "actual:" "$(e2e__indent '  ' "$actual")"
    return 1
}

# e2e_assert_match NAME REGEX TEXT
# bash [[ =~ ]] extended regex against the whole TEXT: ^ and $ anchor the
# start/end of TEXT, not of its lines.  To anchor a whole line, build the
# regex with $'...':  re=$'(^|\n)X-Bench: 1(\n|$)'; e2e_assert_match n "$re" "$t"
e2e_assert_match() {
    local name=$1 re=$2 text=$3
    if [[ "$text" =~ $re ]]; then
        e2e_pass "$name"
        return 0
    fi
    e2e_fail "$name" "regex: $re" "text:" "$(e2e__indent '  ' "$text")"
    return 1
}

e2e_assert_no_match() {
    local name=$1 re=$2 text=$3
    if ! [[ "$text" =~ $re ]]; then
        e2e_pass "$name"
        return 0
    fi
    e2e_fail "$name" "regex unexpectedly matched: $re" "text:" "$(e2e__indent '  ' "$text")"
    return 1
}

e2e_assert_contains() {
    local name=$1 needle=$2 text=$3
    if [[ "$text" == *"$needle"* ]]; then
        e2e_pass "$name"
        return 0
    fi
    e2e_fail "$name" "missing: $needle" "text:" "$(e2e__indent '  ' "$text")"
    return 1
}

e2e_assert_not_contains() {
    local name=$1 needle=$2 text=$3
    if [[ "$text" != *"$needle"* ]]; then
        e2e_pass "$name"
        return 0
    fi
    e2e_fail "$name" "unexpectedly present: $needle" "text:" "$(e2e__indent '  ' "$text")"
    return 1
}

# e2e_assert_ok NAME CMD...: passes when CMD exits 0; its output is shown on
# failure.
e2e_assert_ok() {
    local name=$1 out rc=0
    shift
    out=$("$@" 2>&1) || rc=$?
    if ((rc == 0)); then
        e2e_pass "$name"
        return 0
    fi
    e2e_fail "$name" "command failed (exit $rc): $*" "$out"
    return 1
}

# e2e_summary: stops everything registered with e2e_on_exit (so that no
# message of a cleanup comes after the result), then prints the names of the
# failed assertions, the number skipped, and as the very last line exactly
# "N passed, M failed".  Returns 1 if M > 0.  Call it last.
e2e_summary() {
    local passed=0 failed=0 skipped=0 file
    e2e__init_run_dir
    file="$E2E_RUN_DIR/results"
    passed=$(grep -c '^P ' "$file" || true)
    failed=$(grep -c '^F ' "$file" || true)
    skipped=$(grep -c '^S ' "$file" || true)
    if ((failed > 0)); then
        printf 'failed:\n'
        sed -n 's/^F /  /p' "$file"
    fi
    if e2e__in_main_shell; then
        e2e__run_cleanups
    fi
    if ((skipped > 0)); then
        printf '%s skipped\n' "$skipped"
    fi
    printf '%s passed, %s failed\n' "$passed" "$failed"
    ((failed == 0))
}
