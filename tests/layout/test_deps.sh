#!/bin/sh
# test_deps.sh: the dependency rule holds, and breaking it fails.
#
# 1. tests/layout/deps.sh passes on the tree.
# 2. In a copy of the tree, each deliberate break below makes deps.sh
#    fail and name the file.
# 3. Each room's include path (from the Makefile: INC_WORKER, INC_LANG,
#    INC_PROTO, INC_COMMON, and CC) refuses to compile a header the rule
#    forbids it: the layering fails at build time, not only here.
#
# usage: CC=cc INC_WORKER=... INC_LANG=... INC_PROTO=... INC_COMMON=... \
#        tests/layout/test_deps.sh
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
fail=0

tests/layout/deps.sh >/dev/null || { tests/layout/deps.sh; exit 1; }
echo "test_deps: the tree keeps the rule"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/iridium-deps.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# FILE  HEADER  what the line must name
breaks='
worker/worker.c daemon.h supervisor/daemon.h
worker/lang/vm.c msg.h include/proto/msg.h
worker/lang/repl.c transport.h worker/transport.h
supervisor/pool.c vm.h include/lang/vm.h
supervisor/ctl/iridiumctl.c config.h supervisor/config.h
proto/msg.c log.h
proto/common/buf.c msg.h include/proto/msg.h
worker/lang/disasm.c asm_internal.h private
'
echo "$breaks" | while read -r file header want; do
	[ -n "$file" ] || continue
	rm -rf "$tmp/tree"
	mkdir -p "$tmp/tree"
	cp -R include proto supervisor worker "$tmp/tree/"
	# Appended, so it is a break wherever the file's other includes are.
	printf '#include "%s"\n' "$header" >> "$tmp/tree/$file"
	if out=$(tests/layout/deps.sh "$tmp/tree" 2>&1); then
		case "$header" in
		log.h)	# proto may use common: this one is allowed
			echo "test_deps: $file including $header: allowed, as it should be" ;;
		*)
			echo "test_deps: FAIL: $file including $header passed the check"
			echo 1 > "$tmp/failed" ;;
		esac
		continue
	fi
	if [ "$header" = log.h ]; then
		echo "test_deps: FAIL: proto including common was refused: $out"
		echo 1 > "$tmp/failed"
		continue
	fi
	if ! echo "$out" | grep -q "^$file: .*$want"; then
		echo "test_deps: FAIL: $file including $header: not named: $out"
		echo 1 > "$tmp/failed"
		continue
	fi
	echo "test_deps: $file including $header: refused"
done
[ -e "$tmp/failed" ] && fail=1

# The compiler's side: ROOM FLAGS-VARIABLE HEADER (each must fail).
if [ -n "${INC_WORKER:-}" ]; then
	for probe in "worker:INC_WORKER:daemon.h" "worker:INC_WORKER:config.h" \
	    "lang:INC_LANG:msg.h" "lang:INC_LANG:transport.h" \
	    "supervisor:INC_PROTO:vm.h" "supervisor:INC_PROTO:repl.h" \
	    "common:INC_COMMON:msg.h"; do
		room=${probe%%:*}
		rest=${probe#*:}
		var=${rest%%:*}
		header=${rest#*:}
		eval "flags=\$$var"
		printf '#include "%s"\nint x;\n' "$header" > "$tmp/probe.c"
		# shellcheck disable=SC2086
		if ${CC:-cc} -D_GNU_SOURCE $flags -fsyntax-only "$tmp/probe.c" \
		    2>/dev/null; then
			echo "test_deps: FAIL: with the $room room's include path ($var), \"$header\" compiles"
			fail=1
		else
			echo "test_deps: the $room room cannot compile \"$header\""
		fi
	done
else
	echo "test_deps: FAIL: no include paths given (run it through make)"
	fail=1
fi
[ "$fail" -eq 0 ] || exit 1
echo "test_deps: every deliberate break fails"
