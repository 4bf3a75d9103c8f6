#!/bin/bash
# The whole test suite: installs missing packages (as root), builds with
# -Werror, runs the unit tests, again under ASan+UBSan, make distcheck, the
# configuration check, bounded libFuzzer runs of the parsers, and the end-to-end suite through real Postfix and
# Sendmail. Ends with one line "suites: N passed, M failed".
#
# Usage: tests/run-all.sh [--no-e2e]
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
jobs=$(nproc 2>/dev/null || echo 2)
passed=0
failed=0
failed_names=()

stage() {
	local name=$1
	shift
	echo "=== $name"
	if "$@"; then
		passed=$((passed + 1))
		echo "=== $name: ok"
	else
		failed=$((failed + 1))
		failed_names+=("$name")
		echo "=== $name: FAILED"
	fi
}

show_failed_logs() {
	local dir=$1
	find "$dir/tests" -name '*.log' -newer "$dir/Makefile" -print0 2>/dev/null |
		xargs -0 -r grep -l -E '^(FAIL|ERROR)' 2>/dev/null | xargs -r tail -n 40
}

build() {
	local dir=$1
	shift
	mkdir -p "$dir" && cd "$dir" &&
		"$top/configure" -q --enable-werror "$@" &&
		make -s -j"$jobs"
	local rc=$?
	cd "$top" || return 1
	return $rc
}

unit_tests() {
	local dir=$1
	make -s -C "$dir" -j"$jobs" check || { show_failed_logs "$dir"; return 1; }
	cat "$dir"/tests/unit/*.log | grep -E '^[a-z0-9_]+: [0-9]+ passed, [0-9]+ failed' || true
}

sanitizer_tests() {
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		unit_tests _build-asan
}

distcheck() {
	make -s -C _build distcheck DISTCHECK_CONFIGURE_FLAGS=--enable-werror >/dev/null
}

config_check() {
	_build/mailsiftd -n -c doc/mailsift.conf.sample
}

address_data() {
	python3 tests/tools/check-address-cases.py --summary
}

fuzz() {
	bash tests/fuzz/run.sh 50000
}

e2e() {
	MAILSIFTD="$top/_build/mailsiftd" MAILSIFT="$top/_build/mailsift" bash tests/e2e/run.sh
}

bash tests/deps.sh || exit 1
stage autoreconf autoreconf -fi
stage build build _build
stage unit-tests unit_tests _build
stage sanitizer-build build _build-asan --enable-sanitizers
stage sanitizer-unit-tests sanitizer_tests
stage distcheck distcheck
stage config-check config_check
stage address-data address_data
stage fuzz fuzz
if [[ "${1:-}" != "--no-e2e" ]]; then
	stage e2e e2e
fi

if ((failed > 0)); then
	echo "failed: ${failed_names[*]}"
fi
echo "suites: $passed passed, $failed failed"
((failed == 0))
