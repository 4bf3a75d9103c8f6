# shellcheck shell=bash source-path=SCRIPTDIR
#
# swaks.sh - drive an SMTP server with swaks and read its replies.
#
#   e2e_smtp PORT FROM TO [TO...] [SWAKS_OPTION...]
#       Runs one SMTP session against 127.0.0.1:PORT and prints the whole
#       swaks transcript (stdout and stderr) followed by a last line
#       "=== e2e_smtp: swaks exit N".  Always returns 0 unless swaks could not
#       be run at all: assert on the replies, not on the exit code.
#       FROM "" sends the null sender (MAIL FROM:<>).  Every TO argument up to
#       the first one starting with "-" is a recipient (one RCPT each; a TO
#       may also be a comma-separated list).  The remaining arguments are
#       passed to swaks as they are, e.g.
#         --data FILE          message from FILE (a leading @ is added; "-"
#                              reads stdin).  swaks turns LF into CRLF and
#                              dot-stuffs lines starting with ".".
#         --quit-after STAGE   CONNECT, FIRST-HELO, HELO, MAIL, RCPT, ...
#         --helo NAME          default: client.example.net
#         --header "H: v"      --body TEXT, --pipeline, --xclient-addr IP, ...
#       Timeout per reply: $E2E_SMTP_TIMEOUT (default 30s).  ~/.swaksrc and
#       SWAKS_OPT_* environment variables are ignored.  swaks exit codes seen
#       most: 0 ok, 2 cannot connect, 6 connection closed, 21 banner,
#       22 HELO, 23 MAIL, 24 no RCPT accepted, 25 DATA, 26 after the data.
#       Postfix (not Sendmail) accepts XCLIENT from 127.0.0.0/8, so
#       "--xclient-addr 192.0.2.1" fakes the client address for the milter.
#
#   e2e_reply_to TRANSCRIPT CMD
#       Prints the server's reply to the first client line starting with CMD,
#       as "CODE ENHANCED TEXT" (e.g. "550 5.1.7 text"); a multi-line reply
#       is printed one line each ("250-..." lines then the "250 ..." line).
#       CMD is a prefix of the line the client sent, e.g. "MAIL FROM",
#       "RCPT TO:<x@example.test>", "DATA", "EHLO"; two keywords are special:
#         CONNECT   the greeting banner
#         .         the reply at the end of the message data
#       Returns 1 (printing nothing) when the command was not sent or got no
#       reply (e.g. the connection was dropped).
#   e2e_reply_banner T          same as e2e_reply_to T CONNECT
#   e2e_reply_helo T            reply to EHLO/HELO (last line only)
#   e2e_reply_mail T            reply to MAIL FROM
#   e2e_reply_rcpt T ADDR       reply to RCPT TO:<ADDR>
#   e2e_reply_data T            reply to the DATA command (354 or an error)
#   e2e_reply_eod T             reply after the final "." (queued / rejected)
#   e2e_reply_code TEXT         first three characters of the last reply line
#   e2e_smtp_rc T               swaks's exit code recorded in the transcript

if [[ -z "${E2E_COMMON_LOADED:-}" ]]; then
    # shellcheck source=common.sh
    . "$(dirname "${BASH_SOURCE[0]}")/common.sh"
fi

e2e_smtp() {
    local port=$1 from=$2 to="" rc=0
    local -a args=()
    shift 2 || { printf 'e2e_smtp: usage: e2e_smtp PORT FROM TO... [SWAKS_OPTION...]\n' >&2; return 2; }
    while (($# > 0)) && [[ "$1" != -* ]]; do
        to+="${to:+,}$1"
        shift
    done
    [[ -n "$to" ]] || { printf 'e2e_smtp: no recipient\n' >&2; return 2; }
    [[ -n "$from" ]] || from='<>'
    while (($# > 0)); do
        case "$1" in
            --data)
                if (($# < 2)); then
                    printf 'e2e_smtp: --data needs an argument\n' >&2
                    return 2
                fi
                if [[ "$2" == - || "$2" == @* ]]; then
                    args+=(--data "$2")
                else
                    args+=(--data "@$2")
                fi
                shift 2
                ;;
            *)
                args+=("$1")
                shift
                ;;
        esac
    done
    # Hermetic: no ~/.swaksrc (bare --config) and no SWAKS_OPT_* variables.
    local -a unset_env=()
    local v
    for v in $(compgen -e); do
        [[ "$v" == SWAKS_* ]] && unset_env+=(-u "$v")
    done
    # Later options win in swaks, so the caller's --helo/--timeout override.
    env "${unset_env[@]}" swaks --config --server "127.0.0.1:$port" \
        --helo client.example.net --timeout "${E2E_SMTP_TIMEOUT:-30}" \
        --from "$from" --to "$to" "${args[@]}" 2>&1 || rc=$?
    printf '=== e2e_smtp: swaks exit %s\n' "$rc"
    return 0
}

e2e_smtp_rc() {
    local line
    line=$(grep -E '^=== e2e_smtp: swaks exit [0-9]+$' <<<"$1" | tail -n 1)
    [[ -n "$line" ]] || return 1
    printf '%s\n' "${line##* }"
}

e2e_reply_to() {
    awk -v cmd="$2" '
        function is_reply(l) { return l ~ /^(<-  |<\*\* |<~  |<~\* )/ }
        mode == 0 {
            if (cmd == "CONNECT") {
                if (!is_reply($0)) next
                mode = 1
            } else if (cmd == ".") {
                if ($0 != " -> .") next
                mode = 1; next
            } else {
                if (index($0, " -> " cmd) != 1) next
                mode = 1; next
            }
        }
        mode == 1 {
            if (is_reply($0)) {
                line = substr($0, 5)
                print line
                found = 1
                if (line !~ /^[0-9][0-9][0-9]-/) exit
                next
            }
            if (found || $0 ~ /^ -> /) exit
        }
        END { exit !found }
    ' <<<"$1"
}

e2e_reply_banner() { e2e_reply_to "$1" CONNECT; }
e2e_reply_mail() { e2e_reply_to "$1" "MAIL FROM:"; }
e2e_reply_rcpt() { e2e_reply_to "$1" "RCPT TO:<$2>"; }
e2e_reply_data() { e2e_reply_to "$1" "DATA"; }
e2e_reply_eod() { e2e_reply_to "$1" "."; }

e2e_reply_helo() {
    local r
    r=$(e2e_reply_to "$1" "EHLO ") || r=$(e2e_reply_to "$1" "HELO ") || return 1
    printf '%s\n' "${r##*$'\n'}"
}

e2e_reply_code() {
    local last=${1##*$'\n'}
    printf '%s\n' "${last:0:3}"
}
