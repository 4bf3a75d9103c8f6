#!/bin/bash
# Content-rule throughput, single thread: Debian's SpamAssassin rule set
# (package spamassassin) over the corpus messages, through mailsift's MIME
# decoder and rule engine. Run from a configured build tree.
# Usage: bench/rules-bench.sh [ROUNDS] [CORPUS_DIR]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-3}
corpus=${2:-$top/../shared/corpus/messages}
rules=/usr/share/spamassassin
[[ -d "$rules" ]] || { echo "rules-bench: $rules missing (apt-get install spamassassin)" >&2; exit 1; }
[[ -d "$corpus" ]] || { echo "rules-bench: no corpus at $corpus" >&2; exit 1; }
make -s -C "$top" bench/rulesbench
mapfile -t msgs < <(find "$corpus/spamassassin" "$corpus/rspamd" -type f \
	\( -name '*.eml' -o -path '*/spam/*' -o -path '*/nice/*' \) -size -2M | sort)
echo "$(nproc) cores; ${#msgs[@]} messages from $corpus"
"$top/bench/rulesbench" "$rounds" "$rules" "${msgs[@]}"
