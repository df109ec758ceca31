#!/bin/sh
# vm.sh: the VM's dispatch speed against Lua 5.4 (and LuaJIT's interpreter
# when installed) on the same counting loop, side by side in one run.
# Prints iterations per second for each and the ratios. Best of $REPS runs.
#
# usage: tests/bench/vm.sh BUILD_DIR
set -eu
B=$1
here=$(cd "$(dirname "$0")" && pwd)
REPS=${REPS:-3}
ITER=100000000
LUA='local i = 0 while i < 100000000 do i = i + 1 end'

now() { date +%s%N; }

# best_ns CMD...: the fastest wall time of REPS runs, in nanoseconds.
best_ns() {
	best=0
	i=0
	while [ $i -lt "$REPS" ]; do
		t0=$(now)
		"$@" >/dev/null
		t1=$(now)
		d=$((t1 - t0))
		if [ $best -eq 0 ] || [ $d -lt $best ]; then best=$d; fi
		i=$((i + 1))
	done
	echo $best
}

rate() { awk -v n="$ITER" -v ns="$1" 'BEGIN { printf "%.1f", n / (ns / 1e9) / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b / a }'; }

# The VM must actually complete the loop: check the result once.
out=$("$B/iridium" run --budget 400000000 --state-json - "$here/loop.iasm")
echo "$out" | grep -q '"status": *"halted"' || {
	echo "vm.sh: the benchmark program did not halt: $out" >&2; exit 1; }

vm=$(best_ns "$B/iridium" run --budget 400000000 "$here/loop.iasm")
lua=$(best_ns lua5.4 -e "$LUA")
printf '%-28s %8s M iter/s  (%.3f s)\n' "iridium VM" "$(rate "$vm")" \
    "$(awk -v ns="$vm" 'BEGIN{print ns/1e9}')"
printf '%-28s %8s M iter/s  (%.3f s)\n' "lua5.4" "$(rate "$lua")" \
    "$(awk -v ns="$lua" 'BEGIN{print ns/1e9}')"
if command -v luajit >/dev/null 2>&1; then
	jit=$(best_ns luajit -joff -e "$LUA")
	printf '%-28s %8s M iter/s  (%.3f s)\n' "luajit -joff" \
	    "$(rate "$jit")" "$(awk -v ns="$jit" 'BEGIN{print ns/1e9}')"
fi
echo "ratio iridium / lua5.4:        $(ratio "$vm" "$lua")x  (goal >= 1.5x)"
if [ -n "${jit:-}" ]; then
	echo "ratio luajit -joff / lua5.4:   $(ratio "$jit" "$lua")x"
	echo "ratio iridium / luajit -joff:  $(ratio "$vm" "$jit")x"
fi
