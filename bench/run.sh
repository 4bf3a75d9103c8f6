#!/usr/bin/env bash
# Milter benchmark: milterload against acceptall (libmilter default, then
# with TCP_NODELAY) and, when MAILSIFTD and MAILSIFT_CONF are set, against
# mailsiftd.
#
# usage: bench/run.sh [MSGDIR]
#   MSGDIR   directory of RFC 5322 message files; generated when omitted
# environment (defaults in brackets):
#   CONC [8]  MSGS [2000]  RCPTS [3]  PER_CONN [5]   milterload -c/-n/-r/-m
#   MAILSIFTD=/path/to/mailsiftd MAILSIFT_CONF=/path/to/conf
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CONC=${CONC:-8}
MSGS=${MSGS:-2000}
RCPTS=${RCPTS:-3}
PER_CONN=${PER_CONN:-5}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/milterbench.XXXXXX")
PIDS=()
SUMMARY=()
FAILED=0

cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# A small, varied message set: mostly a few KiB, some larger than one
# 64 KiB body chunk, with folded and repeated headers.
gen_messages() {
	local dir=$1 i size
	local sizes=(1200 2500 4000 6000 9000 15000 30000 90000 200000 3000)
	mkdir -p "$dir"
	for i in $(seq 1 40); do
		size=${sizes[$((i % ${#sizes[@]}))]}
		{
			printf 'Received: from client%d.example.net (client%d.example.net [192.0.2.%d])\r\n' "$i" "$i" "$i"
			printf '\tby mx.bench.example with ESMTPS id 4B%08X\r\n' "$i"
			printf '\tfor <rcpt%d@example.test>; Mon, 1 Jan 2024 12:00:00 +0000\r\n' "$i"
			printf 'From: "Sender %d" <sender%d@example.com>\r\n' "$i" "$i"
			printf 'To: Recipient <rcpt%d@example.test>\r\n' "$i"
			printf 'Subject: benchmark message %d\r\n' "$i"
			printf 'Date: Mon, 1 Jan 2024 12:00:%02d +0000\r\n' "$((i % 60))"
			printf 'Message-ID: <bench.%d@example.com>\r\n' "$i"
			printf 'MIME-Version: 1.0\r\n'
			printf 'Content-Type: text/plain; charset=us-ascii\r\n'
			printf 'Content-Transfer-Encoding: 7bit\r\n\r\n'
			head -c "$size" /dev/urandom | base64 -w 76 | sed 's/$/\r/'
		} >"$dir/msg$(printf %03d "$i").eml"
	done
}

FILTER_PID=
FILTER_PORT=
# start_filter NAME CMD... : CMD gets "-p inet:PORT@127.0.0.1" appended
start_filter() {
	local name=$1 port
	shift
	port=$("$HERE/benchport")
	"$@" -p "inet:$port@127.0.0.1" >"$WORK/$name.log" 2>&1 &
	FILTER_PID=$!
	PIDS+=("$FILTER_PID")
	if ! "$HERE/benchport" -w "$port" 15 || ! kill -0 "$FILTER_PID" 2>/dev/null; then
		echo "run.sh: $name did not start listening on port $port; its log:" >&2
		cat "$WORK/$name.log" >&2
		exit 1
	fi
	FILTER_PORT=$port
}

stop_filter() {
	local p keep=()
	kill -TERM "$FILTER_PID" 2>/dev/null || true
	wait "$FILTER_PID" 2>/dev/null || true
	for p in "${PIDS[@]}"; do
		[ "$p" = "$FILTER_PID" ] || keep+=("$p")
	done
	PIDS=("${keep[@]+"${keep[@]}"}")
}

# run_load LABEL [milterload options...]
run_load() {
	local label=$1 out=$WORK/load.out rc=0
	shift
	echo
	echo "=== $label ==="
	"$HERE/milterload" -s "inet:$FILTER_PORT@127.0.0.1" -d "$MSGDIR" \
		-c "$CONC" -n "$MSGS" -r "$RCPTS" -m "$PER_CONN" "$@" >"$out" 2>&1 || rc=$?
	cat "$out"
	if [ "$rc" -ne 0 ]; then
		echo "run.sh: milterload exited with status $rc" >&2
		FAILED=1
	fi
	SUMMARY+=("$(printf '%-36s %s' "$label" "$(grep '^RESULT' "$out" || echo 'RESULT (none)')")")
}

rate_of() { # extracts rate= from a summary line
	sed -n 's/.* rate=\([0-9.]*\).*/\1/p' <<<"$1"
}

make -s -C "$HERE"

if [ $# -ge 1 ]; then
	MSGDIR=$1
	[ -d "$MSGDIR" ] || { echo "run.sh: $MSGDIR is not a directory" >&2; exit 2; }
else
	MSGDIR=$WORK/msgs
	gen_messages "$MSGDIR"
fi

echo "machine: $(nproc) cores, $(uname -sr); messages from $MSGDIR"
echo "load: -c $CONC -n $MSGS -r $RCPTS -m $PER_CONN"

start_filter acceptall "$HERE/acceptall"
run_load "acceptall (libmilter default)"
run_load "acceptall, milterload --nodelay" --nodelay
stop_filter

start_filter acceptall-N "$HERE/acceptall" -N
run_load "acceptall -N (TCP_NODELAY)"
stop_filter

if [ -n "${MAILSIFTD:-}" ] && [ -n "${MAILSIFT_CONF:-}" ]; then
	start_filter mailsiftd "$MAILSIFTD" -f -c "$MAILSIFT_CONF"
	run_load "mailsiftd"
	stop_filter
else
	echo
	echo "(mailsiftd skipped: set MAILSIFTD=/path/to/mailsiftd and MAILSIFT_CONF=/path/to/conf)"
fi

echo
echo "=== summary (-c $CONC -n $MSGS -r $RCPTS -m $PER_CONN, $(nproc) cores) ==="
printf '%s\n' "${SUMMARY[@]}"
slow=$(rate_of "${SUMMARY[0]}")
fast=$(rate_of "${SUMMARY[2]}")
if [ -n "$slow" ] && [ -n "$fast" ]; then
	awk -v s="$slow" -v f="$fast" 'BEGIN { if (s > 0) printf "TCP_NODELAY on the filter side: %.1fx the messages per second\n", f / s }'
fi
exit "$FAILED"
