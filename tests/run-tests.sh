#!/bin/bash
# run-tests.sh: run test binaries, TEST_JOBS at a time (default 2), each
# with its log in LOGDIR/NAME.log; print each one's result as it ends:
# its "NAME: CASE: ..." and "NAME: SKIPPED: ..." lines (what this machine
# offered, so what was checked), its summary and its seconds. A binary
# fails on a non-zero status or on a sanitizer report in its log. Every
# binary runs even when one fails; exits 1 if any failed, after the tail
# of each failed one's log.
#
# Most tests wait on sockets and timeouts rather than compute, so two
# binaries side by side take about half the time of one after the other
# on two cores; criterion runs each binary's tests two at a time too.
#
# usage: TEST_JOBS=N tests/run-tests.sh LOGDIR BINARY...
# (IRIDIUM_BUILD, IRIDIUM_SRC and IRIDIUM_VARIANT come from the caller)
set -u
logs=$1
shift
jobs=${TEST_JOBS:-2}
mkdir -p "$logs"
rm -f "$logs"/*.failed

# one BINARY: run it, then print its result in one write.
one() {
	local t=$1 n=${1##*/} t0 rc out
	t0=$(date +%s)
	"$t" --jobs=2 >"$logs/$n.log" 2>&1
	rc=$?
	out="== $n"$'\n'
	out+=$(grep -E ': (CASE|SKIPPED): |^\[SKIP\]' "$logs/$n.log" | sort -u)
	out+=$'\n'
	out+=$(grep -E '^\[====\] Synthesis|^\[FAIL\]' "$logs/$n.log" |
	    sed "s/\$/ ($(( $(date +%s) - t0 )) s)/")
	if [ $rc -ne 0 ]; then
		[ -n "$(grep -E '^\[====\] Synthesis' "$logs/$n.log")" ] ||
		    out+=$'\n'"$n: exited with status $rc"
		: >"$logs/$n.failed"
	elif grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' \
	    "$logs/$n.log"; then
		out+=$'\n'"$n: sanitizer report in $logs/$n.log"
		: >"$logs/$n.failed"
	fi
	printf '%s\n' "$(printf '%s' "$out" | sed '/^$/d')"
}

running=0
for t in "$@"; do
	if [ "$running" -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
	one "$t" &
	running=$((running + 1))
done
wait

failed=""
for t in "$@"; do
	n=${t##*/}
	[ -e "$logs/$n.failed" ] && failed="$failed $n"
done
if [ -n "$failed" ]; then
	for n in $failed; do
		echo "--- $n (tail of its log)"
		tail -60 "$logs/$n.log"
	done
	echo "FAILED:$failed"
	exit 1
fi
exit 0
