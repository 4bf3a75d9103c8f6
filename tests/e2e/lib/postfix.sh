# shellcheck shell=bash source-path=SCRIPTDIR
#
# postfix.sh - private Postfix instances on 127.0.0.1 for end-to-end tests.
# Requires lib/common.sh to be sourced first (it is sourced here if needed).
#
#   postfix_start DIR SMTP_PORT MILTER [MAIN_CF_LINE...]
#       Creates and starts an instance whose config, queue, data directory,
#       pid files, master lock, log and mailbox all live under DIR (created if
#       missing; nothing under /etc/postfix or /var/spool/postfix is used or
#       changed).  smtpd listens on 127.0.0.1:SMTP_PORT only.  MILTER is
#         none | ""            no milter (smtpd_milters empty)
#         PORT (digits)        inet:127.0.0.1:PORT
#         inet:PORT@HOST       sendmail/libmilter syntax, converted
#         inet:HOST:PORT, unix:/path, or a list   used as is
#       Each MAIN_CF_LINE ("name = value") is applied with postconf -e after
#       the defaults, so it overrides them (e.g. "milter_command_timeout = 5s").
#       Postfix runs in a private mount namespace with DIR/hosts and
#       DIR/resolv.conf (nameserver 127.0.0.1) bind-mounted, so no DNS query
#       leaves loopback (POSTFIX_UNSHARE=0 to disable).  XCLIENT is allowed
#       from 127.0.0.0/8.
#       Registers postfix_stop DIR with e2e_on_exit.  Must run in the main shell.
#       Returns non-zero (after printing the log tail) if the start fails.
#   postfix_stop DIR          stops the instance; waits until every process of
#                             it is gone (idempotent)
#   postfix_running DIR       true while any process of the instance exists
#   postfix_mbox DIR          prints the mbox path (all recipients land there)
#   postfix_log DIR           prints the log file path
#   postfix_count DIR         prints how many messages the mbox holds
#   postfix_wait_delivery DIR COUNT [SECS=20]
#                             waits until the mbox holds >= COUNT messages
#   postfix_postconf DIR ARGS...   runs postconf against the instance
#   postfix_reload DIR        postfix reload (after postfix_postconf -e ...)
#
# Environment: POSTFIX_MASTER_CF_EXTRA - text appended to master.cf.
#
# Delivery: virtual_mailbox_domains = example.test example.org, every
# recipient of those domains goes to one mbox (virtual_mailbox_maps =
# static:mbox).  Any other domain goes to the error: transport, so nothing
# leaves the machine; use only those two domains for recipients (and for
# senders, or bounces of rejected-after-queue mail end up in the mbox too).

if [[ -z "${E2E_COMMON_LOADED:-}" ]]; then
    # shellcheck source=common.sh
    . "$(dirname "${BASH_SOURCE[0]}")/common.sh"
fi

# postfix_milter_spec ARG: prints the Postfix milter spec for ARG (see above).
postfix_milter_spec() {
    local arg=${1:-}
    case "$arg" in
        "" | none) printf '\n' ;;
        *[!0-9]*)
            if [[ "$arg" =~ ^inet:([0-9]+)@(.+)$ ]]; then
                printf 'inet:%s:%s\n' "${BASH_REMATCH[2]}" "${BASH_REMATCH[1]}"
            else
                printf '%s\n' "$arg"
            fi
            ;;
        *) printf 'inet:127.0.0.1:%s\n' "$arg" ;;
    esac
}

postfix_mbox() { printf '%s/mail/mbox\n' "$1"; }
postfix_log() { printf '%s/maillog\n' "$1"; }

postfix_postconf() {
    local dir=$1 rc=0
    shift
    postconf -c "$dir/etc" "$@" || rc=$?
    postfix__backdate "$dir"
    return "$rc"
}

# Postfix re-reads a main.cf changed within the last second until it is
# stable (300 ms naps, ~1.5 s per program start): backdate the files.
postfix__backdate() {
    touch -d "@$(($(date +%s) - 10))" "$1/etc/main.cf" "$1/etc/master.cf"
}

postfix__write_main_cf() {
    local dir=$1 port=$2 milters=$3
    cat >"$dir/etc/main.cf" <<EOF
# Private Postfix instance for the mailsift end-to-end tests.
compatibility_level = 3.6
queue_directory = $dir/spool
data_directory = $dir/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.postfix.test
mydomain = postfix.test
myorigin = \$myhostname
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
mydestination =
relay_domains =
local_recipient_maps =
alias_maps =
alias_database =
append_dot_mydomain = no
biff = no
readme_directory = no
smtputf8_enable = yes
# Lets swaks --xclient-addr 192.0.2.x fake the client address (SPF treats
# 127.0.0.0/8 specially).
smtpd_authorized_xclient_hosts = 127.0.0.0/8

# Relay and recipient control are wide open ON PURPOSE: the tests assert what
# the milter decides, so Postfix itself must accept every sender and recipient
# and leave the verdict to the milter.  Nothing can leave the machine: the only
# real delivery is the virtual mailbox below, every other destination goes to
# the error transport.
# smtpd refuses to start (fatal, then "bad command startup -- throttling" and
# clients hang) unless one of the two lists holds a reachable
# reject_unauth_destination, so relaying is "permit_mynetworks" (127.0.0.0/8)
# and the virtual domains below are never "unauth" destinations: every
# recipient in example.test / example.org is accepted from any client address
# (also one faked with XCLIENT), and the milter decides.
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_recipient_restrictions = permit
smtpd_delay_reject = yes
default_transport = error:mail leaving the machine is disabled in tests
relay_transport = error:mail leaving the machine is disabled in tests

virtual_mailbox_domains = example.test example.org
virtual_mailbox_base = $dir/mail
virtual_mailbox_maps = static:mbox
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
virtual_minimum_uid = 1

smtpd_milters = $milters
non_smtpd_milters =
milter_default_action = tempfail
milter_protocol = 6

# Fast and forgiving for tests that send many rejected commands.
smtpd_error_sleep_time = 0s
smtpd_soft_error_limit = 1000
smtpd_hard_error_limit = 1000
smtpd_junk_command_limit = 1000
in_flow_delay = 0s
delay_warning_time = 0h

# Logging without syslog: postlogd (master.cf) writes this file.
maillog_file = $dir/maillog
maillog_file_prefixes = $dir
EOF
}

postfix__write_master_cf() {
    local dir=$1 port=$2
    # Stock services, none chrooted (a chroot would need copies of /etc files
    # in the queue directory).  No smtp/lmtp client: nothing may leave.
    cat >"$dir/etc/master.cf" <<EOF
127.0.0.1:$port inet n - n - - smtpd
pickup     unix  n - n 60 1 pickup
cleanup    unix  n - n - 0 cleanup
qmgr       unix  n - n 300 1 qmgr
rewrite    unix  - - n - - trivial-rewrite
bounce     unix  - - n - 0 bounce
defer      unix  - - n - 0 bounce
trace      unix  - - n - 0 bounce
verify     unix  - - n - 1 verify
flush      unix  n - n 1000? 0 flush
proxymap   unix  - - n - - proxymap
proxywrite unix  - - n - 1 proxymap
showq      unix  n - n - - showq
error      unix  - - n - - error
retry      unix  - - n - - error
discard    unix  - - n - - discard
virtual    unix  - n n - - virtual
anvil      unix  - - n - 1 anvil
scache     unix  - - n - 1 scache
postlog    unix-dgram n - n - 1 postlogd
${POSTFIX_MASTER_CF_EXTRA:-}
EOF
}

# postfix__create_dirs DIR: creates the queue and data directories the way
# "post-install create-missing" would, from the d entries of postfix-files.
# post-install takes ~2.4 s on a fresh tree; this takes a few ms, and lets
# the start skip the integrity checks via the quick-start file.
postfix__create_dirs() {
    local dir=$1 meta files name type owner group mode _flags n=0
    meta=$(postconf -dh meta_directory 2>/dev/null) || return 1
    files="$meta/postfix-files"
    [[ -r "$files" ]] || return 1
    # shellcheck disable=SC2016 # the $names are literal text in postfix-files
    while IFS=: read -r name type owner group mode _flags; do
        [[ "$type" == d ]] || continue
        case "$name" in
            '$queue_directory'*) name="$dir/spool${name#\$queue_directory}" ;;
            '$data_directory'*) name="$dir/data${name#\$data_directory}" ;;
            *) continue ;;
        esac
        case "$owner" in '$mail_owner') owner=postfix ;; - | '') owner=root ;; esac
        case "$group" in '$setgid_group') group=postdrop ;; - | '') group="" ;; esac
        mkdir -p "$name" || return 1
        chown "$owner${group:+:$group}" "$name" || return 1
        chmod "$mode" "$name" || return 1
        n=$((n + 1))
    done <"$files"
    ((n > 0))
}

postfix__master_pid() {
    local pid
    read -r pid 2>/dev/null <"$1/spool/pid/master.pid" || return 1
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    printf '%s\n' "$pid"
}

# Pids of the processes in process group PGID (the master is a session and
# group leader; all its children stay in its group).  Zombies do not count:
# once the master is gone its children are reparented to pid 1, which may be
# slow to reap them.
postfix__group_pids() {
    local pgid=$1 file stat state pgrp
    for file in /proc/[0-9]*/stat; do
        read -r stat 2>/dev/null <"$file" || continue
        # Fields after "(comm) ": state ppid pgrp ...
        read -r state _ pgrp _ <<<"${stat##*) }"
        if [[ "$pgrp" == "$pgid" && "$state" != Z ]]; then
            printf '%s\n' "${stat%% *}"
        fi
    done
}

postfix__group_gone() { [[ -z "$(postfix__group_pids "$1")" ]]; }

postfix_start() {
    local dir=$1 port=$2 milter=${3:-none} line milters
    shift $(($# < 3 ? $# : 3))
    e2e__in_main_shell || e2e_die "postfix_start must run in the main shell"
    mkdir -p "$dir/etc" "$dir/spool" "$dir/mail" || return 1
    chmod 0755 "$dir" "$dir/etc" "$dir/spool"
    chown 65534:65534 "$dir/mail"
    milters=$(postfix_milter_spec "$milter")
    postfix__write_main_cf "$dir" "$port" "$milters"
    postfix__write_master_cf "$dir" "$port"
    for line in "$@"; do
        postconf -c "$dir/etc" -e "$line" || e2e_die "postconf -e failed: $line"
    done
    postfix__backdate "$dir"
    : >>"$dir/maillog"
    # With the directories in place, "quick-start" makes postfix-script skip
    # create-missing and the other checks (2.5 s -> 0.3 s).
    if postfix__create_dirs "$dir"; then
        : >"$dir/spool/quick-start"
    fi
    printf '127.0.0.1\tlocalhost mx.postfix.test\n' >"$dir/hosts"
    printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$dir/resolv.conf"
    e2e_on_exit postfix_stop "$dir"
    if ! postfix__launch "$dir" >"$dir/start.out" 2>&1; then
        printf 'e2e: postfix start failed in %s:\n' "$dir" >&2
        cat "$dir/start.out" >&2
        tail -n 20 "$dir/maillog" >&2
        return 1
    fi
    if ! e2e_wait_port "$port" 10 || ! postfix__probe "$port"; then
        printf 'e2e: postfix in %s does not answer on port %s; log tail:\n' "$dir" "$port" >&2
        tail -n 20 "$dir/maillog" >&2
        return 1
    fi
}

# postfix__launch DIR: "postfix start" in a private mount namespace whose
# /etc/hosts and /etc/resolv.conf are DIR/hosts and DIR/resolv.conf, so that
# no lookup (e.g. the reverse lookup of an XCLIENT address) leaves loopback.
# The master and all its children stay in that namespace.
# POSTFIX_UNSHARE=0 starts it in the caller's namespace instead.
postfix__launch() {
    local dir=$1
    if [[ "${POSTFIX_UNSHARE:-1}" == 0 ]]; then
        postfix -c "$dir/etc" start
        return
    fi
    # shellcheck disable=SC2016 # expanded by the inner sh
    unshare -m sh -c '
        mount --bind "$1/hosts" /etc/hosts &&
        mount --bind "$1/resolv.conf" /etc/resolv.conf &&
        exec postfix -c "$1/etc" start' sh "$dir"
}

# postfix__probe PORT: reads the 220 banner and quits.  A listening master
# does not prove smtpd can start (a fatal config error makes the master
# throttle and the connection hang).
postfix__probe() {
    local line
    (
        exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        IFS= read -r -t 5 line <&3 || exit 1
        printf 'QUIT\r\n' >&3
        IFS= read -r -t 5 _ <&3
        [[ "$line" == 220* ]]
    ) 2>/dev/null
}

postfix_stop() {
    local dir=$1 pid
    pid=$(postfix__master_pid "$dir") || return 0
    # On SIGTERM the master stops its children; wait for the whole group
    # (also when the master is already gone but children linger).
    kill -TERM "$pid" 2>/dev/null
    if ! e2e_wait_for 10 postfix__group_gone "$pid"; then
        printf 'e2e: postfix in %s did not stop, killing group %s\n' "$dir" "$pid" >&2
        kill -KILL -- "-$pid" 2>/dev/null
        e2e_wait_for 5 postfix__group_gone "$pid"
    fi
    rm -f "$dir/spool/pid/master.pid"
    return 0
}

# postfix_running DIR: true while any process of the instance exists.
postfix_running() {
    local pid
    pid=$(postfix__master_pid "$1") || return 1
    ! postfix__group_gone "$pid"
}

postfix_reload() {
    postfix__backdate "$1"
    postfix -c "$1/etc" reload >/dev/null 2>&1
}

# postfix_count DIR: number of messages in the mbox.
postfix_count() {
    e2e_mbox_count "$(postfix_mbox "$1")"
}

postfix_wait_delivery() {
    local dir=$1 count=$2 secs=${3:-20}
    e2e_wait_mbox "$(postfix_mbox "$dir")" "$count" "$secs" && return 0
    printf 'e2e: postfix mbox in %s holds %s message(s), wanted %s after %ss; log tail:\n' \
        "$dir" "$(postfix_count "$dir")" "$count" "$secs" >&2
    tail -n 15 "$(postfix_log "$dir")" >&2
    return 1
}
