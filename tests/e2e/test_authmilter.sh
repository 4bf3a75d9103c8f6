#!/bin/bash
# The end-to-end cases of authentication_milter (tests/data/authentication-milter):
# a private unbound serves their DNS data, the offline tool runs every case's
# message with its client address, HELO, MAIL FROM and RCPT TO, and our spf,
# dkim and dmarc results (read from the Authentication-Results header we
# would add) are compared with the ones authentication_milter wrote
# (expected.tsv).  A difference listed in known-differences, with its
# reason, is expected; an unlisted one fails, and so does a listed one that
# no longer differs.
#
# Each case's authentication_milter configuration is translated into ours
# (conf_for below; the choices are explained in doc/conformance.md):
# authentication_milter only reports, so every sender check that would
# refuse mail only logs, except DMARC p=reject under hard_reject; its
# LocalIP/TrustedIP handlers are trusted_networks; a "dkim:DOMAIN" DMARC
# whitelist is dmarc_override; hide_none hides our "none" results too.
#
# Needs: MAILSIFT, unbound, python3.
# shellcheck source-path=SCRIPTDIR
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/common.sh"
. "$here/lib/dns.sh"

: "${MAILSIFT:?set MAILSIFT to the mailsift binary}"
data=$(cd "$here/../data/authentication-milter" && pwd)
tool="$here/../tools/authmilter-expect.py"
psl=$(cd "$here/../data/dmarc" && pwd)/public_suffix_list.dat

work="" dns=""
e2e_tmpdir work
dns_start dns "$data/zone" || e2e_die "cannot start the DNS server"

# What authentication_milter never refuses for: logged, so that the message
# reaches the end of data and gets its Authentication-Results.
report_only="sender_syntax sender_domain_unknown sender_null_mx sender_domain_tempfail
spf_fail spf_temperror dmarc_quarantine dmarc_temperror helo_forged"

# conf_for CONFIG: path of our configuration for that authentication_milter
# configuration (written once).
conf_for() {
	local cfg=$1 f="$work/$1.conf" s
	if [[ ! -f "$f" ]]; then
		{
			printf 'authserv_id test.module\ndns_servers %s\n' "$dns"
			printf 'dns_timeout 2s\ndns_budget 5s\npsl_file %s\n' "$psl"
			for s in $report_only; do
				printf 'action.%s log\n' "$s"
			done
			case $cfg in
			hide_none | hide_none.smtp | timeout) echo "trusted_networks none" ;;
			*) echo "trusted_networks 127.0.0.0/8, 123.123.12.3" ;; # LocalIP, TrustedIP
			esac
			case $cfg in
			dmarc_reject | dmarc_reject.smtp) ;; # hard_reject: our default
			dmarc_reject_wl | dmarc_reject_wl.smtp) echo "dmarc_override marcbradshaw.net" ;;
			*) echo "action.dmarc_reject log" ;;
			esac
			case $cfg in
			dryrun | dryrun.smtp) echo "dry_run yes" ;;
			timeout) printf 'dry_run yes\nspf_check no\ndkim_check no\ndmarc_check no\n' ;;
			esac
		} >"$f"
	fi
	printf '%s\n' "$f"
}

# smtp_path ARG: the MAIL FROM or RCPT TO path for the offline tool ("-" =
# null sender; ESMTP parameters such as BODY=8BITMIME are not part of it).
smtp_path() {
	local a=$1
	[[ "$a" == "-" ]] && a=""
	a=${a%% BODY=*}
	[[ "$a" == \<*\> ]] || a="<$a>"
	printf '%s\n' "$a"
}

declare -A known=() seen=() case_bad=()
while IFS= read -r line; do
	[[ -z "$line" || "$line" == \#* ]] && continue
	read -r key method reason <<<"$line"
	known["$key $method"]=$reason
done <"$data/known-differences"

methods=(outcome spf dkim dmarc)
cases=()
while IFS=$'\t' read -r name msg cfg src ip helo from to outcome spf dkim dmarc; do
	[[ "$name" == \#* ]] && continue
	key=$name
	((msg > 1)) && key="$name#$msg"
	[[ -n "${case_bad[$name]+x}" ]] || {
		cases+=("$name")
		case_bad[$name]=0
	}
	conf=$(conf_for "$cfg")
	hide=""
	[[ "$cfg" == hide_none* ]] && hide=--hide-none
	json=$("$MAILSIFT" check -c "$conf" --ip "$ip" --helo "$helo" --from "$(smtp_path "$from")" \
		--rcpt "$(smtp_path "$to")" --json "$data/source/$src" 2>"$work/stderr") || {
		e2e_fail "$key: mailsift check" "$(cat "$work/stderr")"
		case_bad[$name]=1
		continue
	}
	got=$(python3 "$tool" --ours test.module $hide <<<"$json") || {
		e2e_fail "$key: reading our result" "$json"
		case_bad[$name]=1
		continue
	}
	IFS=$'\t' read -r g_outcome g_spf g_dkim g_dmarc <<<"$got"
	declare -A want=([outcome]=$outcome [spf]=$spf [dkim]=$dkim [dmarc]=$dmarc)
	declare -A have=([outcome]=$g_outcome [spf]=$g_spf [dkim]=$g_dkim [dmarc]=$g_dmarc)
	# Without a header on both sides there are no results to compare.
	check=(outcome)
	[[ "$outcome" == header && "$g_outcome" == header ]] && check=("${methods[@]}")
	problems=() notes=()
	for m in "${check[@]}"; do
		k="$key $m"
		[[ -n "${known[$k]+x}" ]] && seen[$k]=1
		if [[ "${want[$m]}" == "${have[$m]}" ]]; then
			[[ -n "${known[$k]+x}" ]] && problems+=("$m: listed as a known difference, now matches (${want[$m]})")
		else
			case_bad[$name]=1
			if [[ -n "${known[$k]+x}" ]]; then
				notes+=("$m: expected ${want[$m]}, got ${have[$m]} (known: ${known[$k]})")
			else
				problems+=("$m: expected ${want[$m]}, got ${have[$m]}")
			fi
		fi
	done
	if ((${#problems[@]} > 0)); then
		e2e_fail "$key ($cfg)" "${problems[@]}" "${notes[@]}"
	else
		for n in "${notes[@]}"; do
			e2e_log "$key $n"
		done
		e2e_pass "$key ($cfg)${notes:+ [known difference]}"
	fi
	unset want have
done <"$data/expected.tsv"

# Every known difference must name a case and method that was run.
stale=()
for k in "${!known[@]}"; do
	[[ -n "${seen[$k]+x}" ]] || stale+=("$k")
done
if ((${#stale[@]} > 0)); then
	e2e_fail "known-differences names only cases and methods that were compared" "${stale[@]}"
else
	e2e_pass "known-differences names only cases and methods that were compared"
fi
e2e_assert_eq "all 70 cases ran" 70 "${#cases[@]}"

passed=0 failed=0
for c in "${cases[@]}"; do
	if ((case_bad[$c] == 0)); then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
done
printf 'authentication-milter: %d passed, %d failed\n' "$passed" "$failed"
e2e_summary
