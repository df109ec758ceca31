#!/bin/sh
# asm.sh: what a source built to attack the assembler's label table costs
# against an ordinary source of the same size: LABELS labels whose names
# all land in one run of an unkeyed FNV-1a table (tests/lib/crafted.c),
# and LABELS ordinary names of the same length, each assembled by
# `iridium check`. Prints the CPU time of each (best of REPS) and their
# ratio; a keyed table makes it about 1.
#
# usage: tests/bench/asm.sh BUILD_DIR
set -eu
B=$1
here=$(cd "$(dirname "$0")" && pwd)
REPS=${REPS:-3}
LABELS=${LABELS:-100000}
CC=${CC:-cc}

[ -x "$B/iridium" ] || { echo "asm.sh: $B/iridium is missing (make)" >&2; exit 1; }
mkdir -p "$B/bench"
gen=$B/bench/asmgen
if [ ! -x "$gen" ] || [ -n "$(find "$here/asmgen.c" "$here/../lib/crafted.c" \
    -newer "$gen")" ]; then
	$CC -O2 -std=gnu11 -Wall -Wextra -Werror -I"$here/../lib" \
	    -o "$gen.tmp" "$here/asmgen.c" "$here/../lib/crafted.c"
	mv "$gen.tmp" "$gen"
fi
"$gen" crafted "$LABELS" > "$B/bench/crafted.iasm"
"$gen" ordinary "$LABELS" > "$B/bench/ordinary.iasm"

# cpu_ms FILE: the least user+system CPU of REPS runs of iridium check.
cpu_ms() {
	best=0
	i=0
	while [ $i -lt "$REPS" ]; do
		t=$( { /usr/bin/time -f '%U %S' "$B/iridium" check "$1" \
		    >/dev/null; } 2>&1 | tail -1)
		ms=$(echo "$t" | awk '{ printf "%d", ($1 + $2) * 1000 + 0.5 }')
		if [ $best -eq 0 ] || [ "$ms" -lt $best ]; then best=$ms; fi
		i=$((i + 1))
	done
	echo "$best"
}

size=$(wc -c < "$B/bench/crafted.iasm")
o=$(cpu_ms "$B/bench/ordinary.iasm")
c=$(cpu_ms "$B/bench/crafted.iasm")
printf '%-36s %6s ms CPU\n' "ordinary labels ($LABELS, $size bytes)" "$o"
printf '%-36s %6s ms CPU\n' "crafted labels ($LABELS, $size bytes)" "$c"
# 10 ms is the resolution of the kernel's CPU accounting here.
echo "ratio crafted / ordinary:   $(awk -v a="$c" -v b="$o" \
    'BEGIN { if (b < 10) b = 10; if (a < 10) a = 10; printf "%.2f", a / b }')x  (goal: about 1)"
