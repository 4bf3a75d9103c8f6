#!/bin/bash
# Runs the harness self-test and every end-to-end test script
# (tests/e2e/test_*.sh) and sums their
# "N passed, M failed" lines. Needs MAILSIFTD and MAILSIFT, root, and the
# packages of tests/deps.sh.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
total_pass=0
total_fail=0
scripts_failed=()
for t in "$here"/selftest.sh "$here"/dns-selftest.sh "$here"/test_*.sh; do
	name=$(basename "$t" .sh)
	echo "--- $name"
	out=$(bash "$t" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' <<<"$out" | tail -n 1)
	if [[ "$line" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
		total_pass=$((total_pass + BASH_REMATCH[1]))
		total_fail=$((total_fail + BASH_REMATCH[2]))
	fi
	if ((rc != 0)) || [[ -z "$line" ]]; then
		scripts_failed+=("$name")
		[[ -z "$line" ]] && total_fail=$((total_fail + 1))
	fi
done
if ((${#scripts_failed[@]} > 0)); then
	echo "e2e scripts with failures: ${scripts_failed[*]}"
fi
echo "e2e: $total_pass passed, $total_fail failed"
((total_fail == 0 && ${#scripts_failed[@]} == 0))
