#!/bin/sh
# resume.sh: detached ssh sessions, measured against a reference in the
# same run (tests/bench/resume.py drives them with paramiko):
#
#  1. resume time: from !resume to its prompt, for a session with a
#     1 MiB heap and an 8,000-instruction program (the most an image of
#     32 KiB holds), against !registers in the same sessions (a command
#     that moves no state): milliseconds and the ratio
#  2. memory: $HOLD sessions at their prompt, then the same sessions
#     detached (their connections dropped): the PSS and the private
#     memory (USS) of their workers, and detached / at the prompt
#
# Starts and ends only its own processes (by pid), uses loopback only,
# and removes its temporary directory.
#
# usage: tests/bench/resume.sh BUILD_DIR
set -eu
B=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
HOLD=${HOLD:-1000}
ROUNDS=${ROUNDS:-7}

/usr/bin/python3 -c 'import paramiko' 2>/dev/null || {
	echo "resume.sh: python3-paramiko is missing" >&2; exit 1; }
tmp=$(mktemp -d /tmp/iridium-bench-resume-XXXXXX)
ird_pid=
cleanup() {
	[ -n "$ird_pid" ] && kill "$ird_pid" 2>/dev/null && wait "$ird_pid" \
	    2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ssh-keygen -q -t ed25519 -N '' -C bench -f "$tmp/client"
cp "$tmp/client.pub" "$tmp/authorized_keys"
cat >"$tmp/iridiumd.conf" <<EOF
[daemon]
log_level = notice
[pool]
min_spare = 8
max_spare = 32
max_workers = $((HOLD * 2 + 64))
[limits]
sessions = 0
sessions_per_source = 0
max_startups = 0
[listener ssh]
transport = ssh
bind = 127.0.0.1
port = 0
[tenant bench]
authorized_keys = $tmp/authorized_keys
EOF
# shellcheck disable=SC3045
ulimit -n "$(ulimit -Hn 2>/dev/null)" 2>/dev/null || true
# As root, workers take uids of their own: a range no other daemon on
# this machine (another run, another checkout) is likely to hold.
uids=$((3000000 + $$ % 997 * 5000))
"$B/iridiumd" -f "$tmp/iridiumd.conf" --run-dir "$tmp/run" \
    --worker-uids "$uids-$((uids + 4999))" \
    --state-dir "$tmp/state" --worker-path "$B/iridium-worker" \
    --ssh-worker-path "$B/iridium-worker-ssh" --log-level info \
    2>"$tmp/iridiumd.log" &
ird_pid=$!
i=0
until port=$(sed -n 's/.*listening on ssh 127\.0\.0\.1:\([0-9]*\).*/\1/p' \
    "$tmp/iridiumd.log") && [ -n "$port" ]; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$ird_pid" 2>/dev/null; then
		echo "resume.sh: iridiumd did not start:" >&2
		cat "$tmp/iridiumd.log" >&2
		exit 1
	fi
	sleep 0.1
done

echo "== detached sessions (tests/bench/resume.sh)"
# paramiko's reader thread complains of the sockets we close under it
# (the drop): its stderr is shown only when a run fails.
/usr/bin/python3 "$here/resume.py" time "$port" "$tmp/client" "$ROUNDS" \
    >"$tmp/time.out" 2>"$tmp/time.err" || { cat "$tmp/time.err" >&2; exit 1; }
/usr/bin/python3 "$here/resume.py" hold "$port" "$tmp/client" "$HOLD" \
    "$B/iridiumctl -s $tmp/run/control.sock" >"$tmp/hold.out" \
    2>"$tmp/hold.err" || { cat "$tmp/hold.err" >&2; exit 1; }
v() { sed -n "s/^$1 //p" "$2"; }
printf '%-58s %10s %10s %7s\n' "" "iridiumd" "reference" "ratio"
printf '%-58s %10s %10s %7s\n' \
    "!resume to prompt, 1 MiB heap + 8,000 insns (ms, median)" \
    "$(v resume_ms "$tmp/time.out")" "$(v registers_ms "$tmp/time.out")" \
    "$(v resume_ratio "$tmp/time.out")"
printf '%-58s %10s %10s %7s\n' \
    "PSS of $(v sessions "$tmp/hold.out") sessions: detached vs at the prompt (KiB)" \
    "$(v detached_pss_kib "$tmp/hold.out")" \
    "$(v idle_pss_kib "$tmp/hold.out")" \
    "$(v detached_ratio "$tmp/hold.out")"
printf '%-58s %10s %10s %7s\n' \
    "private memory (USS) of the same (KiB)" \
    "$(v detached_uss_kib "$tmp/hold.out")" \
    "$(v idle_uss_kib "$tmp/hold.out")" \
    "$(v detached_uss_ratio "$tmp/hold.out")"
echo "(reference: !registers in the same sessions; the same sessions at" \
    "their prompt)"
