#!/bin/bash
# Builds the libFuzzer targets with clang (ASan+UBSan) and runs each one for a
# bounded number of inputs, starting from the seeds in tests/fuzz/seeds/.
# Usage: tests/fuzz/run.sh [RUNS]   (default 100000 inputs per target)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-100000}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

lib_sources=""
for f in "$top"/src/*.c "$top"/src/checks/*.c "$top"/src/rules/*.c; do
	case "${f##*/}" in
	mailsiftd.c | mailsift.c | daemon.c | milter.c | listen.c | privdrop.c) ;;
	*) lib_sources="$lib_sources $f" ;;
	esac
done
printf '#define PACKAGE_VERSION "fuzz"\n' > "$out/config.h"
rc=0
for target in addr config msgfile mime rules relays; do
	src="$top/tests/fuzz/fuzz_$target.c"
	bin="$out/fuzz_$target"
	# shellcheck disable=SC2086 # one word per source file
	(cd "$top" && clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-I"$out" -Iinclude -DSYSCONFDIR='"/etc"' -DRULESDIR='"/nonexistent"' -pthread "$src" $lib_sources \
		-lspf2 -lopendkim -lunbound -lcrypto -lpcre2-8 -lm -o "$bin")
	corpus="$out/corpus_$target"
	mkdir -p "$corpus"
	if [[ -d "$top/tests/fuzz/seeds/$target" ]]; then
		cp "$top/tests/fuzz/seeds/$target"/* "$corpus"/ 2>/dev/null || true
	fi
	echo "fuzz_$target: $runs inputs"
	if ! "$bin" -runs="$runs" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$out/" "$corpus" > "$out/$target.log" 2>&1; then
		echo "fuzz_$target FAILED"
		tail -n 40 "$out/$target.log"
		mkdir -p "$top/tests/fuzz/crashes"
		cp "$out"/crash-* "$out"/leak-* "$out"/timeout-* "$top/tests/fuzz/crashes/" 2>/dev/null || true
		rc=1
	else
		grep -E '^Done|^#[0-9]+.*DONE' "$out/$target.log" | tail -n 1
	fi
done
exit $rc
