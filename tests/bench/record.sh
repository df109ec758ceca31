#!/bin/sh
# record.sh: what recording costs. One iridiumd with two line listeners
# that differ only in `record` (off, and all: output and input), driven
# one after the other by the same load generator (tests/bench/loadgen.c)
# in the same run:
#
#  1. session rate: $CLIENTS clients in a closed loop for $DURATION s
#     (connect, prompt, `load $0 #1`, prompt, close); each recorded
#     session is a file made, a header written, a descriptor passed
#  2. REPL lines/s: $CLIENTS open sessions sending `load $0 #1` in a
#     closed loop for $DURATION s; each recorded line is an "i" event and
#     an "o" event, one write(2) each
#
# Each figure is the recorded listener's over the plain one's (goal: 0.9
# or more), over $ROUNDS rounds (default 4; plain first in odd rounds,
# recorded first in even ones); the per-round ratios are printed too, as
# a closed loop on a small machine varies by several percent from one
# round to the next. Beside them, the machine's CPU time per session and
# per line (/proc/stat around each phase, every process: the load
# generator's share is the same on both sides), and its recorded/plain
# ratio: what recording costs in CPU, whatever the closed loop made of it. The table names
# the recording directory's file system, and for ext4 whether it has a
# journal: without one, ext4 looks past every inode deleted in the last
# minutes before it reuses one, so making files costs far more there
# for a while after many deletions. RECORD_DIR=DIR records there instead of under the temporary
# state directory (say, a tmpfs, to tell the file system's cost from
# iridiumd's). Prints a table and writes BUILD_DIR/bench/record.json. Starts
# and ends only its own processes (by pid), uses loopback only, and
# removes its temporary directory (the recordings with it).
#
# usage: tests/bench/record.sh BUILD_DIR
set -eu
B=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
CLIENTS=${CLIENTS:-32}
DURATION=${DURATION:-8}
ROUNDS=${ROUNDS:-4}
CC=${CC:-cc}
CFLAGS_BENCH="-O2 -std=gnu11 -Wall -Wextra -Werror -Wshadow \
-Wstrict-prototypes -Wmissing-prototypes"

for t in "$B/iridiumd" "$B/iridium-worker" "$B/iridiumctl"; do
	[ -x "$t" ] || { echo "record.sh: $t is missing (make)" >&2; exit 1; }
done
mkdir -p "$B/bench"
if [ ! -x "$B/bench/loadgen" ] ||
    [ -n "$(find "$here/loadgen.c" -newer "$B/bench/loadgen")" ]; then
	# shellcheck disable=SC2086
	$CC $CFLAGS_BENCH -pthread -o "$B/bench/loadgen.tmp" "$here/loadgen.c"
	mv "$B/bench/loadgen.tmp" "$B/bench/loadgen"
fi
LG=$B/bench/loadgen

# Worker uids: $WORKER_UIDS, else a slice of 128 the test harness's way
# (tests/lib/uids.c: a lock in /tmp/iridium-test-uids/), so that neither
# a real iridiumd nor a test run on this machine shares one.
uids=${WORKER_UIDS:-}
if [ -z "$uids" ]; then
	mkdir -p /tmp/iridium-test-uids
	a=57216
	while [ $a -ge 40960 ]; do
		exec 9>"/tmp/iridium-test-uids/$a-$((a + 127)).lock"
		if flock -n 9; then
			uids=$a-$((a + 127))
			break
		fi
		a=$((a - 128))
	done
	[ -n "$uids" ] || { echo "record.sh: no free uid slice" >&2; exit 1; }
fi

tmp=$(mktemp -d /tmp/iridium-bench-record-XXXXXX)
ird_pid=
cleanup() {
	set +e
	if [ -n "$ird_pid" ]; then
		kill "$ird_pid" 2>/dev/null && wait "$ird_pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# Limits raised as in sessions.sh, so that nothing is refused; workers
# within the 128 uids.
mkdir -p "$tmp/state"
recdir=${RECORD_DIR:-$tmp/state/recordings}
cat >"$tmp/iridiumd.conf" <<EOF
[daemon]
log_level = info
record_dir = $recdir
[pool]
min_spare = $CLIENTS
max_spare = $((CLIENTS * 2))
max_workers = 120
queue = 1024
[limits]
sessions = 120
max_startups = 1024
[listener plain]
transport = line
bind = 127.0.0.1
port = 0
[listener rec]
transport = line
bind = 127.0.0.1
port = 0
record = all
EOF
"$B/iridiumd" -f "$tmp/iridiumd.conf" --run-dir "$tmp/run" \
    --state-dir "$tmp/state" --worker-path "$B/iridium-worker" \
    --worker-uids "$uids" 2>"$tmp/iridiumd.log" &
ird_pid=$!

port_of() {
	i=0
	until p=$(sed -n "s/.*listening on $1 127\.0\.0\.1:\([0-9]*\).*/\1/p" \
	    "$tmp/iridiumd.log") && [ -n "$p" ]; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$ird_pid" 2>/dev/null; then
			echo "record.sh: iridiumd did not start:" >&2
			cat "$tmp/iridiumd.log" >&2
			exit 1
		fi
		sleep 0.1
	done
	echo "$p"
}
plain=$(port_of plain)
rec=$(port_of rec)
i=0
until grep -q 'ready: every pool has its spare workers' "$tmp/iridiumd.log"
do
	i=$((i + 1))
	[ $i -gt 300 ] && { echo "record.sh: pools never filled" >&2; exit 1; }
	sleep 0.1
done

jget() {
	v=$(sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p" "$1")
	echo "${v:-0}"
}
settle() { sleep 3; }

# $ROUNDS rounds, plain first in odd rounds and recorded first in even
# ones, so that neither always runs second. Around each phase the
# machine's busy CPU time (/proc/stat, every CPU, in USER_HZ ticks).
busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
phase() { # kind listener round
	eval port=\$$2
	settle
	b0=$(busy)
	"$LG" "$1" "$port" "$CLIENTS" "$DURATION" \
	    >"$tmp/$1_$2_$3.json" 2>"$tmp/$1_$2_$3.err"
	echo $(($(busy) - b0)) >"$tmp/$1_$2_$3.busy"
}
round=1
while [ $round -le "$ROUNDS" ]; do
	if [ $((round % 2)) -eq 1 ]; then order="plain rec"; else
		order="rec plain"; fi
	for l in $order; do
		phase rate $l $round
		phase repl $l $round
	done
	round=$((round + 1))
done

files=$(find "$recdir" -name '*.cast' | wc -l)
bytes=$(du -sk "$recdir" | cut -f1)
fstype=$(stat -f -c %T "$recdir")
if [ "$fstype" = ext2/ext3 ]; then
	# stat says ext2/ext3 for ext4 too; the journal is what matters.
	dev=$(df --output=source "$recdir" | tail -1)
	if ls /proc/fs/jbd2 2>/dev/null | grep -q "^$(basename "$dev")-"; then
		fstype="ext4 with a journal"
	else
		fstype="ext4 without a journal"
	fi
fi
[ -n "${RECORD_DIR:-}" ] && rm -rf "$recdir/anonymous"
# One line per phase: kind listener round per_s errors
for f in "$tmp"/rate_*.json "$tmp"/repl_*.json; do
	b=$(basename "$f" .json)
	echo "$b" | tr _ ' ' | tr '\n' ' '
	# A rate phase counts sessions, a REPL phase lines: the other is 0.
	echo "$(jget "$f" per_s) $(jget "$f" errors) $(cat "${f%.json}.busy")" \
	    "$(($(jget "$f" sessions) + $(jget "$f" lines)))"
done >"$tmp/phases"
echo
echo "== Recording (tests/bench/record.sh): loopback, $(nproc) CPUs," \
    "$CLIENTS clients, $ROUNDS x $DURATION s each"
awk -v files="$files" -v kib="$bytes" -v dir="$recdir" -v fs="$fstype" \
    -v rounds="$ROUNDS" -v hz="$(getconf CLK_TCK)" \
    -v json="$B/bench/record.json" '
{ v[$1, $2, $3] = $4; sum[$1, $2] += $4; err[$2] += $5
  ticks[$1, $2] += $6; ops[$1, $2] += $7 }
# Machine CPU per operation, recorded over plain: what recording costs
# in CPU, whatever the closed loop made of it.
function cost(k,   p, r) {
	if (ops[k, "plain"] == 0 || ops[k, "rec"] == 0 || ticks[k, "plain"] == 0)
		return "-"
	p = ticks[k, "plain"] / ops[k, "plain"]
	r = ticks[k, "rec"] / ops[k, "rec"]
	return sprintf("%.2f", r / p)
}
function us(k, l) {
	return ops[k, l] > 0 ? sprintf("%.1f", ticks[k, l] * 1e6 / hz / ops[k, l]) : "-"
}
function ratio(a, b) { return b > 0 ? sprintf("%.2f", a / b) : "-" }
function rounds_of(k,   r, s) {
	s = ""
	for (r = 1; r <= rounds; r++)
		s = s (r > 1 ? " " : "") ratio(v[k, "rec", r], v[k, "plain", r])
	return s
}
END {
	printf "%-28s %14s %14s %8s  %s\n", "", "record = off", "record = all",
	    "all/off", "each round"
	printf "%-28s %14.1f %14.1f %8s  %s\n", "session rate, sessions/s",
	    sum["rate", "plain"] / rounds, sum["rate", "rec"] / rounds,
	    ratio(sum["rate", "rec"], sum["rate", "plain"]), rounds_of("rate")
	printf "%-28s %14.0f %14.0f %8s  %s\n", "REPL lines/s",
	    sum["repl", "plain"] / rounds, sum["repl", "rec"] / rounds,
	    ratio(sum["repl", "rec"], sum["repl", "plain"]), rounds_of("repl")
	printf "%-28s %14d %14d\n", "failed", err["plain"], err["rec"]
	printf "%-28s %14s %14s %8s\n", "CPU us per session", us("rate", "plain"),
	    us("rate", "rec"), cost("rate")
	printf "%-28s %14s %14s %8s\n", "CPU us per REPL line", us("repl", "plain"),
	    us("repl", "rec"), cost("repl")
	printf "recordings written: %d files, %d KiB, in %s (%s)\n", files,
	    kib, dir, fs
	printf "{\"sessions_per_s\":{\"off\":%.1f,\"all\":%.1f,\"ratio\":%s}," \
	    "\"lines_per_s\":{\"off\":%.0f,\"all\":%.0f,\"ratio\":%s}," \
	    "\"failed\":{\"off\":%d,\"all\":%d},\"files\":%d,\"kib\":%d," \
	    "\"fs\":\"%s\",\"cpu_cost\":{\"session\":\"%s\",\"line\":\"%s\"}}\n",
	    sum["rate", "plain"] / rounds, sum["rate", "rec"] / rounds,
	    ratio(sum["rate", "rec"], sum["rate", "plain"]),
	    sum["repl", "plain"] / rounds, sum["repl", "rec"] / rounds,
	    ratio(sum["repl", "rec"], sum["repl", "plain"]),
	    err["plain"], err["rec"], files, kib, fs, cost("rate"),
	    cost("repl") > json
}' "$tmp/phases"
grep -E 'not recorded|recording stopped|crash|kill' "$tmp/iridiumd.log" |
    head -5 | sed 's/^/   iridiumd: /' || :
echo "figures: $B/bench/record.json"
