#!/bin/sh
# run.sh: every benchmark, each against its reference in the same run.
# usage: tests/bench/run.sh BUILD_DIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
B=$1
echo "== VM dispatch (tests/bench/vm.sh)"
"$here/vm.sh" "$B"
echo
echo "== the assembler under colliding label names (tests/bench/asm.sh)"
"$here/asm.sh" "$B"
echo
"$here/ssh.sh" "$B"
sh "$here/sessions.sh" "$B"
echo
sh "$here/resume.sh" "$B"

echo
sh "$here/record.sh" "$B"
