# shellcheck shell=bash source-path=SCRIPTDIR
#
# sendmail.sh - private Sendmail instances on 127.0.0.1 for end-to-end tests.
#
# Sendmail and Postfix conflict as Debian packages, so Sendmail is not
# installed: its .debs are downloaded and unpacked into a private root.
#
#   sendmail_setup
#       Once per machine: apt-get download sendmail-bin sendmail-base
#       sendmail-cf libwrap0 into $SENDMAIL_CACHE_DIR (skipped when present),
#       unpack them with dpkg-deb -x into $SENDMAIL_CACHE_DIR/root and clear
#       the setgid bit of the sendmail binary (setgid makes the loader ignore
#       LD_LIBRARY_PATH, which is needed for the private libwrap).  Installs
#       missing shared-library dependencies with apt-get.  Sets SENDMAIL_BIN.
#       Called by sendmail_start when needed; call it in the main shell.
#   sendmail_start DIR SMTP_PORT MILTER [MC_LINE...]
#       Builds DIR/sendmail.cf with m4 from sendmail-cf's cf.m4 and starts
#       "sendmail -bD" listening on 127.0.0.1:SMTP_PORT.  MILTER is
#         none | ""            no milter
#         PORT (digits)        inet:PORT@127.0.0.1
#         inet:HOST:PORT       Postfix syntax, converted
#         inet:PORT@HOST, unix:/path, local:/path   used as is
#       The milter is INPUT_MAIL_FILTER(`mailsift', `S=...,
#       F=T, T=C:5s;S:10s;R:10s;E:30s') (F=T: tempfail when it is down;
#       override with SENDMAIL_MILTER_FLAGS / SENDMAIL_MILTER_TIMEOUTS).
#       Each MC_LINE is added to the .mc before the mailer definitions
#       (e.g. "define(\`confMILTER_MACROS_CONNECT', \`j, {client_addr}')").
#       Recipients in example.test and example.org are delivered into one
#       mbox by a script mailer; any other recipient is refused at RCPT with
#       "550 5.7.1" (nothing leaves the machine).  Relaying is open
#       (promiscuous_relay) so the milter decides.
#       Sendmail runs under "unshare -m --uts" with the host name
#       mx.sendmail.test and private /etc/hosts and /etc/resolv.conf bind
#       mounted (else it sleeps 60 s looking for a qualified host name).
#       Registers sendmail_stop DIR with e2e_on_exit.  Main shell only.
#   sendmail_stop DIR       stops every process of the instance (idempotent)
#   sendmail_running DIR    true while any process of the instance exists
#   sendmail_mbox DIR       prints the mbox path
#   sendmail_count DIR      prints how many messages the mbox holds
#   sendmail_wait_delivery DIR COUNT [SECS=20]
#   sendmail_log DIR        prints the path of the daemon's stdout/stderr
#                           (only useful with SENDMAIL_DEBUG, e.g. "-d64.5")
#
# Environment
#   SENDMAIL_CACHE_DIR   default /var/tmp/mailsift-e2e-sendmail
#   SENDMAIL_DEBUG       extra -d flags for the daemon (output in the log)
#   SENDMAIL_TRACE=1     milter/SMTP trace via -X DIR/trace
#
# Sendmail writes its own log only to syslog, which the test machines do not
# have: inspect SMTP replies, the mbox, or use SENDMAIL_TRACE / SENDMAIL_DEBUG.

if [[ -z "${E2E_COMMON_LOADED:-}" ]]; then
    # shellcheck source=common.sh
    . "$(dirname "${BASH_SOURCE[0]}")/common.sh"
fi

SENDMAIL_CACHE_DIR=${SENDMAIL_CACHE_DIR:-/var/tmp/mailsift-e2e-sendmail}
SENDMAIL_PACKAGES=(sendmail-bin sendmail-base sendmail-cf libwrap0)
SENDMAIL_ROOT="$SENDMAIL_CACHE_DIR/root"
SENDMAIL_BIN="$SENDMAIL_ROOT/usr/libexec/sendmail/sendmail"
SENDMAIL_CF_DIR="$SENDMAIL_ROOT/usr/share/sendmail/cf"
SENDMAIL_HOSTNAME=${SENDMAIL_HOSTNAME:-mx.sendmail.test}

sendmail__libpath() {
    printf '%s/usr/lib/x86_64-linux-gnu:%s/lib/x86_64-linux-gnu\n' "$SENDMAIL_ROOT" "$SENDMAIL_ROOT"
}

sendmail__have_debs() {
    local p
    for p in "${SENDMAIL_PACKAGES[@]}"; do
        compgen -G "$SENDMAIL_CACHE_DIR/${p}_*.deb" >/dev/null || return 1
    done
}

sendmail_setup() {
    local lockfd rc=0
    if [[ -x "$SENDMAIL_BIN" && -f "$SENDMAIL_ROOT/.unpacked" ]]; then
        return 0
    fi
    mkdir -p "$SENDMAIL_CACHE_DIR" || return 1
    # Concurrent first runs: one downloads and unpacks, the others wait.
    exec {lockfd}>"$SENDMAIL_CACHE_DIR/.lock" || return 1
    flock "$lockfd" || { exec {lockfd}>&-; return 1; }
    if [[ ! -x "$SENDMAIL_BIN" || ! -f "$SENDMAIL_ROOT/.unpacked" ]]; then
        sendmail__setup_locked || rc=$?
    fi
    exec {lockfd}>&-
    return "$rc"
}

sendmail__setup_locked() {
    local deb missing
    if ! sendmail__have_debs; then
        # The sandbox user _apt cannot write here: download as root.
        if ! (cd "$SENDMAIL_CACHE_DIR" && apt-get -q -o APT::Sandbox::User=root download "${SENDMAIL_PACKAGES[@]}") >"$SENDMAIL_CACHE_DIR/download.log" 2>&1; then
            # Fresh machines may have no package lists yet.
            apt-get -q update >>"$SENDMAIL_CACHE_DIR/download.log" 2>&1
            (cd "$SENDMAIL_CACHE_DIR" && apt-get -q -o APT::Sandbox::User=root download "${SENDMAIL_PACKAGES[@]}") >>"$SENDMAIL_CACHE_DIR/download.log" 2>&1 || {
                printf 'e2e: apt-get download of sendmail failed:\n' >&2
                tail -n 20 "$SENDMAIL_CACHE_DIR/download.log" >&2
                return 1
            }
        fi
    fi
    rm -rf "$SENDMAIL_ROOT"
    mkdir -p "$SENDMAIL_ROOT"
    for deb in "$SENDMAIL_CACHE_DIR"/*.deb; do
        dpkg-deb -x "$deb" "$SENDMAIL_ROOT" || return 1
    done
    # setgid => AT_SECURE => LD_LIBRARY_PATH ignored => libwrap not found.
    chmod g-s "$SENDMAIL_BIN" || return 1
    # Shared libraries sendmail-bin needs from the system (usually present
    # with postfix): install those that are missing.
    missing=$(LD_LIBRARY_PATH=$(sendmail__libpath) ldd "$SENDMAIL_BIN" 2>/dev/null | grep -c 'not found' || true)
    if ((missing > 0)); then
        printf 'e2e: installing shared libraries needed by sendmail\n' >&2
        DEBIAN_FRONTEND=noninteractive apt-get -q -y install libdb5.3 libnsl2 \
            libldap-2.5-0 libsasl2-2 libssl3 liblockfile1 >&2 || return 1
    fi
    [[ -f "$SENDMAIL_CF_DIR/m4/cf.m4" ]] || { printf 'e2e: no cf.m4 in %s\n' "$SENDMAIL_CF_DIR" >&2; return 1; }
    : >"$SENDMAIL_ROOT/.unpacked"
}

# sendmail_milter_spec ARG: prints the libmilter/sendmail spec for ARG.
sendmail_milter_spec() {
    local arg=${1:-}
    case "$arg" in
        "" | none) printf '\n' ;;
        *[!0-9]*)
            if [[ "$arg" =~ ^inet:([^@:]+):([0-9]+)$ ]]; then
                printf 'inet:%s@%s\n' "${BASH_REMATCH[2]}" "${BASH_REMATCH[1]}"
            else
                printf '%s\n' "$arg"
            fi
            ;;
        *) printf 'inet:%s@127.0.0.1\n' "$arg" ;;
    esac
}

sendmail_mbox() { printf '%s/mail/mbox\n' "$1"; }
sendmail_log() { printf '%s/sendmail.out\n' "$1"; }

sendmail__write_deliver() {
    local dir=$1
    # P= mailer: deliver SENDER RECIPIENT < message.  Appends one mboxrd
    # message, holding the dot-lock mbox.lock meanwhile (the same lock the
    # wait helpers look at for Postfix's virtual(8)).
    cat >"$dir/deliver" <<EOF
#!/bin/sh
mbox='$dir/mail/mbox'
tmp=\$(mktemp '$dir/mail/.msg.XXXXXX') || exit 75
{
    printf 'From %s  %s\n' "\${1:-MAILER-DAEMON}" "\$(LC_ALL=C date -u '+%a %b %e %H:%M:%S %Y')"
    printf 'X-Envelope-To: %s\n' "\$2"
    sed 's/^\(>*From \)/>\1/'
    echo
} >"\$tmp" || { rm -f "\$tmp"; exit 75; }
n=0
until (set -C; : >"\$mbox.lock") 2>/dev/null; do
    n=\$((n + 1)); [ \$n -gt 200 ] && { rm -f "\$tmp"; exit 75; }
    sleep 0.05
done
cat "\$tmp" >>"\$mbox"; rc=\$?
rm -f "\$mbox.lock" "\$tmp"
[ \$rc -eq 0 ] || exit 74
exit 0
EOF
    chmod 0755 "$dir/deliver"
}

sendmail__write_mc() {
    local dir=$1 port=$2 spec=$3 line
    shift 3
    {
        cat <<EOF
divert(-1)
# Private Sendmail instance for the mailsift end-to-end tests.
divert(0)dnl
VERSIONID(\`mailsift e2e')dnl
OSTYPE(\`linux')dnl
define(\`confDOMAIN_NAME', \`$SENDMAIL_HOSTNAME')dnl
define(\`confSMTP_LOGIN_MSG', \`\$j Sendmail')dnl
define(\`QUEUE_DIR', \`$dir/queue')dnl
define(\`confPID_FILE', \`$dir/sendmail.pid')dnl
define(\`ALIAS_FILE', \`')dnl
define(\`confSERVICE_SWITCH_FILE', \`$dir/service.switch')dnl
define(\`confHOSTS_FILE', \`$dir/hosts')dnl
define(\`confSTATUS_FILE', \`$dir/statistics')dnl
define(\`confHELP_FILE', \`')dnl
define(\`confCW_FILE', \`$dir/local-host-names')dnl
define(\`confCT_FILE', \`$dir/trusted-users')dnl
define(\`confHOST_STATUS_DIRECTORY', \`')dnl
define(\`confDEF_USER_ID', \`65534:65534')dnl
define(\`confDONT_PROBE_INTERFACES', \`True')dnl
define(\`confTO_IDENT', \`0s')dnl
define(\`confREFUSE_LA', \`999')dnl
define(\`confQUEUE_LA', \`999')dnl
define(\`confDELAY_LA', \`0')dnl
define(\`confDELIVERY_MODE', \`background')dnl
define(\`confBIND_OPTS', \`-DNSRCH -DEFNAMES')dnl
define(\`confPRIVACY_FLAGS', \`authwarnings')dnl
define(\`confMAX_DAEMON_CHILDREN', \`0')dnl
define(\`confCONNECTION_RATE_THROTTLE', \`0')dnl
FEATURE(\`nocanonify')dnl
FEATURE(\`no_default_msa')dnl
FEATURE(\`accept_unresolvable_domains')dnl
FEATURE(\`accept_unqualified_senders')dnl
dnl Open relay ON PURPOSE: the milter is what the tests assert.  Nothing can
dnl leave: only the mbox mailer below exists for remote domains.
FEATURE(\`promiscuous_relay')dnl
DAEMON_OPTIONS(\`Port=$port, Addr=127.0.0.1, Name=MTA, Family=inet')dnl
EOF
        if [[ -n "$spec" ]]; then
            printf "INPUT_MAIL_FILTER(\`mailsift', \`S=%s, F=%s, T=%s')dnl\n" \
                "$spec" "${SENDMAIL_MILTER_FLAGS:-T}" "${SENDMAIL_MILTER_TIMEOUTS:-C:5s;S:10s;R:10s;E:30s}"
        fi
        for line in "$@"; do
            printf '%s\n' "$line"
        done
        cat <<EOF
MAILER(\`local')dnl
LOCAL_CONFIG
C{E2EDomains}example.test example.org
MAILER_DEFINITIONS
Mmbox,	P=$dir/deliver, F=lsDFMPhnu, U=65534:65534,
	T=DNS/RFC822/X-Unix, A=deliver \$g \$u@\$h
LOCAL_RULE_0
R\$+ < @ \$={E2EDomains} . >	\$#mbox \$@ \$2 \$: \$1
R\$+ < @ \$={E2EDomains} >	\$#mbox \$@ \$2 \$: \$1
R\$* < @ \$+ > \$*	\$#error \$@ 5.7.1 \$: "550 mail leaving the machine is disabled in tests"
EOF
    } >"$dir/sendmail.mc"
}

# Pids of all processes in mount namespace NS ("mnt:[N]"): the instance's
# daemon, its SMTP children and delivery processes (which call setsid, so a
# process group would miss them).  Zombies waiting for pid 1 do not count.
sendmail__ns_pids() {
    local ns=$1 link p stat state
    # One find for all links; the brackets of "mnt:[N]" are escaped for -lname.
    while IFS= read -r link; do
        p=${link#/proc/}
        p=${p%%/*}
        read -r stat 2>/dev/null <"/proc/$p/stat" || continue
        read -r state _ <<<"${stat##*) }"
        [[ "$state" == Z ]] && continue
        printf '%s\n' "$p"
    done < <(find /proc/[0-9]*/ns/mnt -maxdepth 0 -lname "${ns//[/\\[}" 2>/dev/null)
}

sendmail__ns_gone() { [[ -z "$(sendmail__ns_pids "$1")" ]]; }

sendmail_start() {
    local dir=$1 port=$2 milter=${3:-none} spec
    shift $(($# < 3 ? $# : 3))
    e2e__in_main_shell || e2e_die "sendmail_start must run in the main shell"
    sendmail_setup || return 1
    mkdir -p "$dir/queue" "$dir/mail" || return 1
    chmod 0755 "$dir"
    chmod 0700 "$dir/queue"
    chown 65534:65534 "$dir/mail"
    spec=$(sendmail_milter_spec "$milter")
    printf '127.0.0.1\tlocalhost %s %s\n' "$SENDMAIL_HOSTNAME" "${SENDMAIL_HOSTNAME%%.*}" >"$dir/hosts"
    printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$dir/resolv.conf"
    printf 'hosts\tfiles\naliases\tfiles\n' >"$dir/service.switch"
    printf '%s\nlocalhost\n' "$SENDMAIL_HOSTNAME" >"$dir/local-host-names"
    : >"$dir/trusted-users"
    : >"$dir/statistics"
    sendmail__write_deliver "$dir"
    sendmail__write_mc "$dir" "$port" "$spec" "$@"
    if ! m4 -I "$SENDMAIL_CF_DIR" -D "_CF_DIR_=$SENDMAIL_CF_DIR/" \
        "$SENDMAIL_CF_DIR/m4/cf.m4" "$dir/sendmail.mc" >"$dir/sendmail.cf" 2>"$dir/m4.err" ||
        grep -q 'ERROR' "$dir/m4.err"; then
        printf 'e2e: building sendmail.cf failed:\n' >&2
        cat "$dir/m4.err" >&2
        return 1
    fi
    local -a flags=(-C "$dir/sendmail.cf" -bD -q30s)
    [[ "${SENDMAIL_TRACE:-0}" == 1 ]] && flags+=(-X "$dir/trace")
    if [[ -n "${SENDMAIL_DEBUG:-}" ]]; then
        local -a dbg
        read -r -a dbg <<<"$SENDMAIL_DEBUG"
        flags+=("${dbg[@]}")
    fi
    e2e_on_exit sendmail_stop "$dir"
    # A new mount + UTS namespace: dotted host name, private hosts and
    # resolv.conf.  The namespace also identifies every process to stop.
    # unshare without --fork and "exec" keep one pid: $! is the daemon.
    # shellcheck disable=SC2016 # expanded by the inner sh
    LD_LIBRARY_PATH=$(sendmail__libpath) unshare -m --uts sh -c '
        dir=$1; host=$2; shift 2
        hostname "$host" &&
        mount --bind "$dir/hosts" /etc/hosts &&
        mount --bind "$dir/resolv.conf" /etc/resolv.conf &&
        exec "$@"' sh "$dir" "$SENDMAIL_HOSTNAME" "$SENDMAIL_BIN" "${flags[@]}" \
        </dev/null >"$dir/sendmail.out" 2>&1 &
    echo "$!" >"$dir/launcher.pid"
    if ! e2e_wait_port "$port" 15; then
        printf 'e2e: sendmail in %s did not start; output:\n' "$dir" >&2
        cat "$dir/sendmail.out" >&2
        return 1
    fi
    sendmail__ns_of "$dir" >"$dir/mntns"
    if [[ ! -s "$dir/mntns" ]]; then
        printf 'e2e: cannot find the mount namespace of sendmail in %s\n' "$dir" >&2
        return 1
    fi
}

# sendmail__ns_of DIR: mount namespace of the running daemon (launcher pid,
# else the pid file), only if it differs from ours.
sendmail__ns_of() {
    local dir=$1 pid ns
    for pid in "$(cat "$dir/launcher.pid" 2>/dev/null)" "$(head -n 1 "$dir/sendmail.pid" 2>/dev/null)"; do
        [[ "$pid" =~ ^[0-9]+$ ]] || continue
        ns=$(readlink "/proc/$pid/ns/mnt" 2>/dev/null) || continue
        [[ "$ns" != "$(readlink /proc/self/ns/mnt)" ]] || continue
        printf '%s\n' "$ns"
        return 0
    done
    return 1
}

# sendmail_running DIR: true while any process of the instance exists.
sendmail_running() {
    local ns
    ns=$(cat "$1/mntns" 2>/dev/null) || return 1
    [[ -n "$ns" ]] && ! sendmail__ns_gone "$ns"
}

sendmail_stop() {
    local dir=$1 pid ns i p
    [[ -f "$dir/launcher.pid" ]] || return 0
    read -r pid <"$dir/launcher.pid"
    ns=$(cat "$dir/mntns" 2>/dev/null || sendmail__ns_of "$dir" || true)
    # The launcher execs sendmail -bD, so it is the daemon itself.
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null
    fi
    if [[ -n "$ns" ]]; then
        for ((i = 0; i < 100; i++)); do
            sendmail__ns_gone "$ns" && break
            if ((i == 40)); then
                for p in $(sendmail__ns_pids "$ns"); do kill -TERM "$p" 2>/dev/null; done
            fi
            sleep 0.05
        done
        if ! sendmail__ns_gone "$ns"; then
            printf 'e2e: sendmail in %s did not stop, killing\n' "$dir" >&2
            for p in $(sendmail__ns_pids "$ns"); do kill -KILL "$p" 2>/dev/null; done
        fi
    fi
    if kill -0 "$pid" 2>/dev/null; then
        # Namespace unknown and the daemon ignored SIGTERM.
        e2e_kill_pid "$pid" 5
    fi
    wait "$pid" 2>/dev/null
    rm -f "$dir/launcher.pid"
    return 0
}

# sendmail_count DIR: number of messages in the mbox.
sendmail_count() {
    e2e_mbox_count "$(sendmail_mbox "$1")"
}

sendmail_wait_delivery() {
    local dir=$1 count=$2 secs=${3:-20}
    e2e_wait_mbox "$(sendmail_mbox "$dir")" "$count" "$secs" && return 0
    printf 'e2e: sendmail mbox in %s holds %s message(s), wanted %s after %ss\n' \
        "$dir" "$(sendmail_count "$dir")" "$count" "$secs" >&2
    return 1
}
