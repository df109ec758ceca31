#!/bin/sh
# run.sh: run every libFuzzer target in a build directory for a bounded
# time each. Seeds come from tests/fuzz/corpus/<target>/ (read only); what
# the fuzzer finds goes to <builddir>/corpus/<target>/ and crashes to
# <builddir>/crashes/. Exits non-zero when any target fails.
#
# Targets run FUZZ_JOBS at a time (default 2: each fuzzer is one
# process, and a pair keeps two cores busy for SECONDS per pair).
#
# usage: tests/fuzz/run.sh BUILD_DIR SECONDS [TARGET...]
set -u
dir=$1
secs=$2
shift 2
src=$(cd "$(dirname "$0")" && pwd)
targets=${*:-$(cd "$dir/fuzz" && ls fuzz_* 2>/dev/null)}
[ -n "$targets" ] || { echo "run.sh: no fuzz targets in $dir/fuzz" >&2; exit 1; }

mkdir -p "$dir/crashes"
jobs=${FUZZ_JOBS:-2}

# fuzz_one TARGET: run it; its exit status is the fuzzer's.
fuzz_one() {
	work="$dir/corpus/$1"
	seeds="$src/corpus/$1"
	mkdir -p "$work"
	[ -d "$seeds" ] || seeds=""
	ASAN_OPTIONS=detect_leaks=1 "$dir/fuzz/$1" \
	    -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	    -max_len=65536 -print_final_stats=1 \
	    -artifact_prefix="$dir/crashes/$1-" "$work" $seeds \
	    >"$dir/$1.log" 2>&1
}

failed=""
set -- $targets
while [ $# -gt 0 ]; do
	running=""		# TARGET:PID pairs of this batch
	while [ $# -gt 0 ] && [ $(echo $running | wc -w) -lt "$jobs" ]; do
		echo "== fuzzing $1 for ${secs}s"
		fuzz_one "$1" &
		running="$running $1:$!"
		shift
	done
	for tp in $running; do
		t=${tp%%:*}
		if wait "${tp##*:}"; then
			grep -E 'stat::number_of_executed_units|Done' \
			    "$dir/$t.log" | tail -2 | sed "s/^/$t: /"
		else
			failed="$failed $t"
			tail -40 "$dir/$t.log"
		fi
	done
done
if [ -n "$failed" ]; then
	echo "fuzz: FAILED:$failed (inputs in $dir/crashes/)"
	exit 1
fi
echo "fuzz: all targets ran ${secs}s without a finding"
