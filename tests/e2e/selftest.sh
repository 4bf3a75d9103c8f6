#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
#
# Self-test of the end-to-end libraries: real Postfix and Sendmail on
# 127.0.0.1, without mailsiftd.  Proves that mail is delivered with no milter,
# that an unreachable milter gives the MTA's exact tempfail reply, and (when
# bench/acceptall has been built) that a milter's header reaches the mbox.
#
# Usage: tests/e2e/selftest.sh        (root; prints "N passed, M failed")

set -u

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/common.sh"
. "$HERE/lib/postfix.sh"
. "$HERE/lib/sendmail.sh"
. "$HERE/lib/swaks.sh"

XBENCH_RE=$'(^|\n)X-Bench: 1(\n|$)'
ACCEPTALL=${E2E_ACCEPTALL:-$(cd "$HERE/../.." && pwd)/bench/acceptall}

# Measured with Postfix 3.7 / Sendmail 8.17 when the milter port is closed.
POSTFIX_DEAD_MILTER_REPLY='451 4.7.1 Service unavailable - try again later'
SENDMAIL_DEAD_MILTER_REPLY='451 4.3.2 Please try again later'

started=$SECONDS
e2e_tmpdir WORK
# Reserved and never listened on: "a milter that is down".
e2e_free_port DEAD_PORT

# ---------------------------------------------------------------------------
# Library checks that need no MTA.

t=$'=== Connected to 127.0.0.1.\n<-  220 mx ESMTP\n -> EHLO h\n<-  250-mx\n<-  250 HELP\n'
t+=$' -> MAIL FROM:<a@example.org>\n<-  250 2.1.0 Ok\n -> RCPT TO:<x@example.test>\n'
t+=$'<** 550-5.7.1 first\n<** 550 5.7.1 second\n -> RCPT TO:<y@example.test>\n<-  250 2.1.5 Ok\n'
t+=$' -> DATA\n<-  354 go\n -> Subject: s\n -> \n -> ..\n -> .\n<** 554 5.7.1 no\n -> QUIT\n'
t+=$'<-  221 Bye\n=== e2e_smtp: swaks exit 25\n'
e2e_assert_eq "reply parser: banner" "220 mx ESMTP" "$(e2e_reply_banner "$t")"
e2e_assert_eq "reply parser: ehlo last line" "250 HELP" "$(e2e_reply_helo "$t")"
e2e_assert_eq "reply parser: mail" "250 2.1.0 Ok" "$(e2e_reply_mail "$t")"
e2e_assert_eq "reply parser: multi-line rcpt" $'550-5.7.1 first\n550 5.7.1 second' "$(e2e_reply_rcpt "$t" x@example.test)"
e2e_assert_eq "reply parser: second rcpt" "250 2.1.5 Ok" "$(e2e_reply_rcpt "$t" y@example.test)"
e2e_assert_eq "reply parser: data" "354 go" "$(e2e_reply_data "$t")"
e2e_assert_eq "reply parser: end of data (dot-stuffed line skipped)" "554 5.7.1 no" "$(e2e_reply_eod "$t")"
e2e_assert_eq "reply parser: code" "550" "$(e2e_reply_code "$(e2e_reply_rcpt "$t" x@example.test)")"
e2e_assert_eq "reply parser: missing command" "rc=1" "rc=$(e2e_reply_rcpt "$t" z@example.test >/dev/null; echo $?)"
e2e_assert_eq "reply parser: swaks rc" "25" "$(e2e_smtp_rc "$t")"
e2e_assert_eq "milter spec: postfix from port" "inet:127.0.0.1:1234" "$(postfix_milter_spec 1234)"
e2e_assert_eq "milter spec: postfix from sendmail syntax" "inet:127.0.0.1:1234" "$(postfix_milter_spec inet:1234@127.0.0.1)"
e2e_assert_eq "milter spec: sendmail from port" "inet:1234@127.0.0.1" "$(sendmail_milter_spec 1234)"
e2e_assert_eq "milter spec: sendmail from postfix syntax" "inet:1234@127.0.0.1" "$(sendmail_milter_spec inet:127.0.0.1:1234)"
e2e_assert_eq "milter spec: none" "" "$(postfix_milter_spec none)$(sendmail_milter_spec none)"

# ---------------------------------------------------------------------------
# Shared checks for one MTA.  $1 = postfix|sendmail.

check_plain_delivery() {
    local mta=$1 dir=$2 port=$3 t mbox
    mbox=$("${mta}_mbox" "$dir")
    t=$(e2e_smtp "$port" sender@example.org rcpt@example.test \
        --header "Subject: selftest $mta plain" --body "hello from the $mta selftest")
    e2e_assert_match "$mta/no milter: MAIL FROM accepted" '^250 2\.1\.0' "$(e2e_reply_mail "$t")"
    e2e_assert_match "$mta/no milter: RCPT accepted" '^250 2\.1\.5' "$(e2e_reply_rcpt "$t" rcpt@example.test)"
    e2e_assert_match "$mta/no milter: message queued" '^250 2\.0\.0 ' "$(e2e_reply_eod "$t")"
    if "${mta}_wait_delivery" "$dir" 1 20; then
        e2e_pass "$mta/no milter: delivered to the mbox"
    else
        e2e_fail "$mta/no milter: delivered to the mbox" "$t"
    fi
    e2e_assert_contains "$mta/no milter: subject in mbox" "Subject: selftest $mta plain" "$(e2e_mbox_headers "$mbox" 1)"
    e2e_assert_contains "$mta/no milter: body in mbox" "hello from the $mta selftest" "$(e2e_mbox_message "$mbox" 1)"

    # Two recipients in two domains: one copy each.
    t=$(e2e_smtp "$port" "" one@example.test two@example.org --header "Subject: selftest $mta two")
    e2e_assert_match "$mta/no milter: null sender accepted" '^250 2\.1\.0' "$(e2e_reply_mail "$t")"
    e2e_assert_match "$mta/no milter: example.org RCPT accepted" '^250 2\.1\.5' "$(e2e_reply_rcpt "$t" two@example.org)"
    if "${mta}_wait_delivery" "$dir" 3 20; then
        e2e_pass "$mta/no milter: two recipients give two copies"
    else
        e2e_fail "$mta/no milter: two recipients give two copies" "$t"
    fi
    e2e_assert_eq "$mta/no milter: mbox count" 3 "$("${mta}_count" "$dir")"

    # --quit-after RCPT: nothing queued.
    t=$(e2e_smtp "$port" sender@example.org rcpt@example.test --quit-after RCPT)
    e2e_assert_match "$mta/no milter: quit after RCPT" '^250 2\.1\.5' "$(e2e_reply_rcpt "$t" rcpt@example.test)"
    e2e_assert_eq "$mta/no milter: no DATA sent" "" "$(e2e_reply_data "$t")"
}

check_dead_milter() {
    local mta=$1 dir=$2 port=$3 expected=$4 t
    t=$(e2e_smtp "$port" sender@example.org rcpt@example.test)
    e2e_assert_match "$mta/dead milter: EHLO still accepted" '^250 ' "$(e2e_reply_helo "$t")"
    e2e_assert_eq "$mta/dead milter: MAIL FROM tempfailed" "$expected" "$(e2e_reply_mail "$t")"
    e2e_assert_eq "$mta/dead milter: swaks exit 23 (error after MAIL)" 23 "$(e2e_smtp_rc "$t")"
    sleep 0.3
    e2e_assert_eq "$mta/dead milter: nothing delivered" 0 "$("${mta}_count" "$dir")"
}

check_stopped() {
    local mta=$1 dir=$2 port=$3
    "${mta}_stop" "$dir"
    if "${mta}_running" "$dir"; then
        e2e_fail "$mta: every process stopped" "$(ps -eo pid,pgid,stat,args)"
    else
        e2e_pass "$mta: every process stopped"
    fi
    if e2e_port_listening "$port"; then
        e2e_fail "$mta: port $port closed"
    else
        e2e_pass "$mta: port $port closed"
    fi
}

# ---------------------------------------------------------------------------
# Postfix

e2e_free_port PF1_PORT
e2e_free_port PF2_PORT
t0=$SECONDS
if postfix_start "$WORK/pf-plain" "$PF1_PORT" none; then
    e2e_pass "postfix/no milter: started"
    # A second instance at the same time: nothing shared between them.
    if postfix_start "$WORK/pf-dead" "$PF2_PORT" "$DEAD_PORT"; then
        e2e_pass "postfix/dead milter: second instance started beside the first"
        check_dead_milter postfix "$WORK/pf-dead" "$PF2_PORT" "$POSTFIX_DEAD_MILTER_REPLY"
        e2e_assert_contains "postfix/dead milter: logged" "connect to Milter service inet:127.0.0.1:$DEAD_PORT" \
            "$(cat "$(postfix_log "$WORK/pf-dead")")"
        check_stopped postfix "$WORK/pf-dead" "$PF2_PORT"
    else
        e2e_fail "postfix/dead milter: second instance started beside the first"
    fi
    check_plain_delivery postfix "$WORK/pf-plain" "$PF1_PORT"
    check_stopped postfix "$WORK/pf-plain" "$PF1_PORT"
else
    e2e_fail "postfix/no milter: started"
fi
e2e_log "postfix cases took $((SECONDS - t0)) s"

# ---------------------------------------------------------------------------
# Sendmail

e2e_free_port SM1_PORT
e2e_free_port SM2_PORT
t0=$SECONDS
if ! sendmail_setup; then
    e2e_fail "sendmail: setup (download and unpack)"
elif sendmail_start "$WORK/sm-plain" "$SM1_PORT" none; then
    e2e_pass "sendmail/no milter: started"
    if sendmail_start "$WORK/sm-dead" "$SM2_PORT" "$DEAD_PORT"; then
        e2e_pass "sendmail/dead milter: second instance started beside the first"
        check_dead_milter sendmail "$WORK/sm-dead" "$SM2_PORT" "$SENDMAIL_DEAD_MILTER_REPLY"
        check_stopped sendmail "$WORK/sm-dead" "$SM2_PORT"
    else
        e2e_fail "sendmail/dead milter: second instance started beside the first"
    fi
    check_plain_delivery sendmail "$WORK/sm-plain" "$SM1_PORT"
    t=$(e2e_smtp "$SM1_PORT" sender@example.org away@example.com --quit-after RCPT)
    e2e_assert_eq "sendmail: other domains refused (nothing leaves)" \
        "550 5.7.1 <away@example.com>... mail leaving the machine is disabled in tests" \
        "$(e2e_reply_rcpt "$t" away@example.com)"
    check_stopped sendmail "$WORK/sm-plain" "$SM1_PORT"
else
    e2e_fail "sendmail/no milter: started"
fi
e2e_log "sendmail cases took $((SECONDS - t0)) s"

# ---------------------------------------------------------------------------
# Through a real milter: bench/acceptall adds "X-Bench: 1".

if [[ -x "$ACCEPTALL" ]]; then
    t0=$SECONDS
    e2e_free_port MILTER_PORT
    e2e_free_port PF3_PORT
    e2e_free_port SM3_PORT
    # Not the milter under test: do not wait out libmilter's slow SIGTERM.
    E2E_SPAWN_STOP_SECS=1 e2e_spawn MILTER_PID "$WORK/acceptall.log" \
        "$ACCEPTALL" -p "inet:$MILTER_PORT@127.0.0.1"
    if e2e_wait_port "$MILTER_PORT" 10; then
        e2e_pass "acceptall: listening"
        if postfix_start "$WORK/pf-milter" "$PF3_PORT" "$MILTER_PORT"; then
            t=$(e2e_smtp "$PF3_PORT" sender@example.org rcpt@example.test --header "Subject: via acceptall")
            e2e_assert_match "postfix/acceptall: queued" '^250 2\.0\.0 ' "$(e2e_reply_eod "$t")"
            postfix_wait_delivery "$WORK/pf-milter" 1 20
            e2e_assert_match "postfix/acceptall: X-Bench header" "$XBENCH_RE" \
                "$(e2e_mbox_headers "$(postfix_mbox "$WORK/pf-milter")" 1)"
            postfix_stop "$WORK/pf-milter"
        else
            e2e_fail "postfix/acceptall: started"
        fi
        if sendmail_start "$WORK/sm-milter" "$SM3_PORT" "$MILTER_PORT"; then
            t=$(e2e_smtp "$SM3_PORT" sender@example.org rcpt@example.test --header "Subject: via acceptall")
            e2e_assert_match "sendmail/acceptall: queued" '^250 2\.0\.0 ' "$(e2e_reply_eod "$t")"
            sendmail_wait_delivery "$WORK/sm-milter" 1 20
            e2e_assert_match "sendmail/acceptall: X-Bench header" "$XBENCH_RE" \
                "$(e2e_mbox_headers "$(sendmail_mbox "$WORK/sm-milter")" 1)"
            sendmail_stop "$WORK/sm-milter"
        else
            e2e_fail "sendmail/acceptall: started"
        fi
    else
        e2e_fail "acceptall: listening" "$(cat "$WORK/acceptall.log")"
    fi
    e2e_log "acceptall cases took $((SECONDS - t0)) s"
else
    e2e_skip "postfix+sendmail/acceptall: X-Bench header" \
        "$ACCEPTALL not built (make -C bench)"
fi

e2e_log "selftest took $((SECONDS - started)) s"
e2e_summary
