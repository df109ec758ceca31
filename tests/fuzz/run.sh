#!/bin/sh
# run.sh: run every libFuzzer target in a build directory for a bounded
# time each. Seeds come from tests/fuzz/corpus/<target>/ (read only); what
# the fuzzer finds goes to <builddir>/corpus/<target>/ and crashes to
# <builddir>/crashes/. Exits non-zero when any target fails.
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
failed=""
for t in $targets; do
	work="$dir/corpus/$t"
	seeds="$src/corpus/$t"
	mkdir -p "$work"
	[ -d "$seeds" ] || seeds=""
	echo "== fuzzing $t for ${secs}s"
	if ! ASAN_OPTIONS=detect_leaks=1 "$dir/fuzz/$t" \
	    -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	    -max_len=65536 -print_final_stats=1 \
	    -artifact_prefix="$dir/crashes/$t-" "$work" $seeds \
	    >"$dir/$t.log" 2>&1; then
		failed="$failed $t"
		tail -40 "$dir/$t.log"
	else
		grep -E 'stat::number_of_executed_units|Done' "$dir/$t.log" |
		    tail -2
	fi
done
if [ -n "$failed" ]; then
	echo "fuzz: FAILED:$failed (inputs in $dir/crashes/)"
	exit 1
fi
echo "fuzz: all targets ran ${secs}s without a finding"
