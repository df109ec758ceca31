#!/bin/sh
# sessions.sh: line sessions served by iridiumd against plain reference
# servers, side by side in one run, on loopback, driven by the same load
# generator (tests/bench/loadgen.c: one thread, epoll).
#
#   iridiumd:   a line listener on 127.0.0.1 with its pre-forked pool
#               (min_spare $CLIENTS); each session is a fresh sandboxed
#               worker, exec'd by the supervisor
#   ref_fork:   fork per connection, no sandbox, no exec
#               (tests/bench/ref_server.c fork): the reference for session
#               rate, first prompt and memory per idle session
#   ref_thread: a thread per connection in one process (tests/bench/
#               ref_server.c thread): the reference for REPL latency
#
# The references send iridiumd's banner and prompt bytes and answer each
# line with the prompt, as iridiumd answers `load $0 #1`.
#
#  1. session rate: $CLIENTS clients in a closed loop for $DURATION s
#     (connect, prompt, `load $0 #1`, prompt, close): sessions/s, each
#     session's time, server CPU per session (the daemon and everything
#     it forked, live or reaped, as in ssh.sh)
#  2. time to first prompt: $FIRST connects one after another
#  3. REPL latency: $CLIENTS open sessions sending `load $0 #1` in a
#     closed loop for $DURATION s: lines/s and round-trip percentiles
#  4. idle sessions: $HOLD sessions held open at their prompt (HOLD=10000
#     for the big run): PSS of the daemon and all its children over N,
#     the supervisor's RSS and open fds, the time to open them all
#  5. supervisor CPU per 1,000 sessions: utime + stime of the iridiumd
#     process itself (/proc/PID/stat) over the rate run (ref_fork: its
#     parent, which accepts and forks)
#
# Prints a table and writes every figure to BUILD_DIR/bench/sessions.json.
# Starts and ends only its own processes (by pid), uses loopback only,
# and removes its temporary directory.
#
# usage: tests/bench/sessions.sh BUILD_DIR
set -eu
B=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
CLIENTS=${CLIENTS:-64}
DURATION=${DURATION:-10}
FIRST=${FIRST:-500}
HOLD=${HOLD:-1000}
CC=${CC:-cc}
CFLAGS_BENCH="-O2 -std=gnu11 -Wall -Wextra -Werror -Wshadow \
-Wstrict-prototypes -Wmissing-prototypes"

for t in "$B/iridiumd" "$B/iridium-worker" "$B/iridiumctl"; do
	[ -x "$t" ] || { echo "sessions.sh: $t is missing (make)" >&2; exit 1; }
done

# --- the programs ------------------------------------------------------------

mkdir -p "$B/bench"
for p in loadgen ref_server; do
	if [ ! -x "$B/bench/$p" ] ||
	    [ -n "$(find "$here/$p.c" -newer "$B/bench/$p")" ]; then
		# shellcheck disable=SC2086
		$CC $CFLAGS_BENCH -pthread -o "$B/bench/$p.tmp" "$here/$p.c"
		mv "$B/bench/$p.tmp" "$B/bench/$p"
	fi
done
LG=$B/bench/loadgen

# Sessions need fds: the load generator one each, iridiumd one per worker.
# (ulimit -n: not POSIX, but in every sh we run: dash, bash, busybox.)
# shellcheck disable=SC3045
ulimit -n "$(ulimit -Hn 2>/dev/null)" 2>/dev/null || true
# shellcheck disable=SC3045
nofile=$(ulimit -n 2>/dev/null || echo unlimited)
if [ "$nofile" != unlimited ] && [ "$nofile" -lt $((HOLD + 512)) ]; then
	echo "sessions.sh: HOLD=$HOLD needs about $((HOLD + 512)) fds;" \
	    "the limit is $nofile" >&2
	exit 1
fi

tmp=$(mktemp -d /tmp/iridium-bench-sessions-XXXXXX)
ird_pid=
fork_pid=
thread_pid=
hold_pid=
cleanup() {
	# Only what this script started, by pid; a killed one's status is
	# not an error here.
	set +e
	exec 3>&-
	for p in $hold_pid $ird_pid $fork_pid $thread_pid; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# --- the servers -------------------------------------------------------------

# Sized for $CLIENTS concurrent clients and $HOLD held sessions. Raised
# from the defaults, each of which refuses sessions here (tried):
#   queue 16: connections waiting for a worker; a closed loop of 64
#     clients outruns the spares and most sessions are told "Server
#     busy", and so are most of hold's 128 connects in flight
#   sessions 64 (per tenant, queued included): 64 clients get "Too many
#     sessions for tenant anonymous": a client reconnects before iridiumd
#     has seen its last session end; hold needs $HOLD
#   max_startups 64:30:256: connections not in a session yet (queued);
#     hold's 128 connects in flight are refused from 64 on
#   max_workers 64: $HOLD sessions plus the spares
# sessions_per_source and penalties: loopback is in source_exempt.
maxw=$((HOLD + CLIENTS * 2 + 64))
[ $maxw -lt 1200 ] && maxw=1200
cat >"$tmp/iridiumd.conf" <<EOF
[daemon]
log_level = info
[pool]
min_spare = $CLIENTS
max_spare = $((CLIENTS * 2))
max_workers = $maxw
queue = 1024
[listener line]
transport = line
bind = 127.0.0.1
port = 0
[limits]
sessions = $maxw
max_startups = 1024
EOF
"$B/iridiumd" -f "$tmp/iridiumd.conf" --run-dir "$tmp/run" \
    --state-dir "$tmp/state" --worker-path "$B/iridium-worker" \
    2>"$tmp/iridiumd.log" &
ird_pid=$!
"$B/bench/ref_server" fork 0 >"$tmp/ref_fork.out" 2>"$tmp/ref_fork.err" &
fork_pid=$!
"$B/bench/ref_server" thread 0 >"$tmp/ref_thread.out" 2>"$tmp/ref_thread.err" &
thread_pid=$!

# wait_for WHAT PID FILE SED_SCRIPT TENTHS: the text SED_SCRIPT prints from
# FILE, once there is some; exits if PID is gone or TENTHS pass.
wait_for() {
	i=0
	until v=$(sed -n "$4" "$3") && [ -n "$v" ]; do
		i=$((i + 1))
		if [ $i -gt "$5" ] || ! kill -0 "$2" 2>/dev/null; then
			echo "sessions.sh: $1 did not start:" >&2
			cat "$3" >&2
			exit 1
		fi
		sleep 0.1
	done
	echo "$v"
}
ird_port=$(wait_for iridiumd "$ird_pid" "$tmp/iridiumd.log" \
    's/.*listening on line 127\.0\.0\.1:\([0-9]*\).*/\1/p' 100)
fork_port=$(wait_for ref_fork "$fork_pid" "$tmp/ref_fork.out" \
    's/^port \([0-9]*\)$/\1/p' 50)
thread_port=$(wait_for ref_thread "$thread_pid" "$tmp/ref_thread.out" \
    's/^port \([0-9]*\)$/\1/p' 50)
# The pool grows 1, 2, 4 ... 32 workers a second to min_spare.
wait_for "iridiumd's pool" "$ird_pid" "$tmp/iridiumd.log" \
    '/ready: every pool has its spare workers/p' 200 >/dev/null

# --- measuring ---------------------------------------------------------------

hz=$(getconf CLK_TCK)
ctl() { "$B/iridiumctl" -s "$tmp/run/control.sock" "$@"; }

# idle: the line pool's idle workers (iridiumctl status).
idle() {
	ctl status 2>/dev/null | awk '$1 == "POOL" { p = 1; next }
	    p && $1 == "line" { v = $3; exit } END { print v + 0 }'
}

# settle: the pool refilled after a phase: 2 s, then up to 8 s more until
# min_spare workers are idle.
settle() {
	sleep 2
	i=0
	while [ "$(idle)" -lt "$CLIENTS" ] && [ $i -lt 40 ]; do
		sleep 0.2
		i=$((i + 1))
	done
}

# self_ticks PID: utime + stime of PID itself, in clock ticks.
self_ticks() {
	awk '{ s = $0; sub(/^.*\) /, "", s); split(s, a, " ")
	    print a[12] + a[13] }' "/proc/$1/stat"
}

# tree PID: "PROCESSES PSS_KIB CPU_NS" of PID and all its descendants:
# the sum of their PSS (smaps_rollup) and the CPU time they used, live
# (schedstat, exact) or reaped (cutime + cstime, in ticks).
tree() {
	for d in /proc/[0-9]*; do
		echo "${d#/proc/}"
	done | awk -v root="$1" -v hz="$hz" '
	{
		f = "/proc/" $1 "/stat"
		if ((getline s < f) > 0) {
			sub(/^.*\) /, "", s)
			split(s, a, " ")
			ppid[$1] = a[2]
			reaped[$1] = a[14] + a[15]
		}
		close(f)
	}
	END {
		in_tree[root] = 1
		do {
			more = 0
			for (p in ppid)
				if (!(p in in_tree) && (ppid[p] in in_tree)) {
					in_tree[p] = 1
					more = 1
				}
		} while (more)
		for (p in in_tree) {
			if (!(p in ppid))
				continue
			n++
			cpu += reaped[p] * 1e9 / hz
			f = "/proc/" p "/schedstat"
			if ((getline s < f) > 0) {
				split(s, a, " ")
				cpu += a[1]
			}
			close(f)
			f = "/proc/" p "/smaps_rollup"
			while ((getline s < f) > 0)
				if (s ~ /^Pss:/) {
					split(s, a, " ")
					pss += a[2]
				}
			close(f)
		}
		printf "%d %d %.0f\n", n, pss, cpu
	}'
}

# jget FILE KEY: a number from loadgen's JSON line (0 when missing).
jget() {
	v=$(sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p" "$1")
	echo "${v:-0}"
}

# rate NAME PID PORT: the session rate run; NAME.json, NAME.cpu
# ("SELF_TICKS TREE_NS" used during it).
rate() {
	s0=$(self_ticks "$2")
	set -- "$1" "$2" "$3" "$(tree "$2")"
	"$LG" rate "$3" "$CLIENTS" "$DURATION" >"$tmp/$1.json" \
	    2>"$tmp/$1.err"
	s1=$(self_ticks "$2")
	t1=$(tree "$2")
	echo "$((s1 - s0)) $(echo "$4 $t1" |
	    awk '{ printf "%.0f", $6 - $3 }')" >"$tmp/$1.cpu"
}

# hold NAME PID PORT: $HOLD sessions held; NAME.json, NAME.held
# ("PROCESSES PSS_KIB CPU_NS RSS_KIB FDS SELF_TICKS": PID's tree while
# they are open, PID's RSS and fds, the CPU PID itself used opening them).
hold() {
	s0=$(self_ticks "$2")
	rm -f "$tmp/hold.in"
	mkfifo "$tmp/hold.in"
	"$LG" hold "$3" "$HOLD" <"$tmp/hold.in" >"$tmp/$1.json" \
	    2>"$tmp/$1.err" &
	hold_pid=$!
	exec 3>"$tmp/hold.in"
	i=0
	until grep -q '^held ' "$tmp/$1.json"; do
		i=$((i + 1))
		if [ $i -gt $((600 + HOLD / 10)) ] ||
		    ! kill -0 "$hold_pid" 2>/dev/null; then
			echo "sessions.sh: loadgen hold $1 did not finish" \
			    "opening:" >&2
			cat "$tmp/$1.err" >&2
			exit 1
		fi
		sleep 0.1
	done
	s1=$(self_ticks "$2")
	sleep 1		# the pool's spawning settled
	set -- "$1" "$2" "$(tree "$2")"
	# shellcheck disable=SC2012
	echo "$3 $(sed -n 's/^VmRSS:[^0-9]*\([0-9]*\).*/\1/p' \
	    "/proc/$2/status") $(ls "/proc/$2/fd" | wc -l) $((s1 - s0))" \
	    >"$tmp/$1.held"
	exec 3>&-
	wait "$hold_pid" || true
	hold_pid=
}

ncpu=$(nproc)
echo
echo "== Line sessions (tests/bench/sessions.sh): loopback, $ncpu CPUs," \
    "one load generator (tests/bench/loadgen.c)"
echo "   iridiumd: line listener, pool min_spare $CLIENTS max_spare" \
    "$((CLIENTS * 2)), a sandboxed worker exec'd per session"
echo "   ref_fork: fork per connection; ref_thread: thread per connection" \
    "(same banner and prompt bytes)"

# 1 and 5: session rate; supervisor CPU.
rate rate_ird "$ird_pid" "$ird_port"
sleep 1		# iridiumd's last sessions ended
rate rate_fork "$fork_pid" "$fork_port"
# 2: time to first prompt.
settle
"$LG" first "$ird_port" "$FIRST" >"$tmp/first_ird.json" 2>"$tmp/first_ird.err"
"$LG" first "$fork_port" "$FIRST" >"$tmp/first_fork.json" \
    2>"$tmp/first_fork.err"
# 3: REPL latency.
settle
"$LG" repl "$ird_port" "$CLIENTS" "$DURATION" >"$tmp/repl_ird.json" \
    2>"$tmp/repl_ird.err"
sleep 1
"$LG" repl "$thread_port" "$CLIENTS" "$DURATION" >"$tmp/repl_thread.json" \
    2>"$tmp/repl_thread.err"
# 4: idle sessions.
settle
hold hold_ird "$ird_pid" "$ird_port"
hold hold_fork "$fork_pid" "$fork_port"
server_sessions=$(ctl status | sed -n 's/^sessions: //p')
server_admission=$(ctl status | sed -n 's/^admission: //p')

# --- the table and the JSON --------------------------------------------------

# The figures, one "RUN KEY VALUE" a line: loadgen's, then what was read
# from /proc around the runs.
{
	for r in rate_ird rate_fork first_ird first_fork repl_ird repl_thread \
	    hold_ird hold_fork; do
		for k in sessions lines per_s errors p50_us p99_us p999_us \
		    max_us held dropped; do
			if grep -q "\"$k\":" "$tmp/$r.json"; then
				echo "$r $k $(jget "$tmp/$r.json" "$k")"
			fi
		done
	done
	for r in rate_ird rate_fork; do
		read -r ticks ns <"$tmp/$r.cpu"
		echo "$r self_ticks $ticks"
		echo "$r tree_ns $ns"
	done
	for r in hold_ird hold_fork; do
		read -r procs pss _ rss fds ticks <"$tmp/$r.held"
		echo "$r open_seconds $(jget "$tmp/$r.json" open_seconds)"
		echo "$r self_ticks $ticks"
		echo "$r processes $procs"
		echo "$r pss_kib_total $pss"
		echo "$r rss_kib $rss"
		echo "$r fds $fds"
	done
} >"$tmp/figures"

awk -v hz="$hz" -v clients="$CLIENTS" -v dur="$DURATION" -v first="$FIRST" \
    -v hold="$HOLD" -v ncpu="$ncpu" -v json="$B/bench/sessions.json" \
    -v srv_sessions="$server_sessions" -v srv_adm="$server_admission" '
function put(r, k, x) {
	if (!((r, k) in v))
		keys[r, ++nk[r]] = k
	v[r, k] = x
}
function g(r, k) { return v[r, k] + 0 }
function ratio(a, b) { return b > 0 ? sprintf("%.2f", a / b) : "-" }
function row(label, a, b, rt) {
	printf "%-38s %20s %20s %8s\n", label, a, b, rt
}
# num LABEL KEY FMT [DIV]: KEY of run I and run R, and their ratio.
function num(label, k, fmt, div,   a, b) {
	if (div == 0)
		div = 1
	a = g(I, k) / div
	b = g(R, k) / div
	row(label, sprintf(fmt, a), sprintf(fmt, b), ratio(a, b))
}
# pct LABEL: p50 / p99 in ms, and the ratio of the p50s.
function pct(label) {
	row(label, sprintf("%.2f / %.2f", g(I, "p50_us") / 1000,
	    g(I, "p99_us") / 1000), sprintf("%.2f / %.2f",
	    g(R, "p50_us") / 1000, g(R, "p99_us") / 1000),
	    ratio(g(I, "p50_us"), g(R, "p50_us")))
}
function obj(r,   i, k, s) {
	s = "{"
	for (i = 1; i <= nk[r]; i++) {
		k = keys[r, i]
		s = s (i > 1 ? "," : "") "\"" k "\":" v[r, k]
	}
	return s "}"
}
{ put($1, $2, $3) }
END {
	for (r in nk) {
		if (r ~ /^rate_/) {
			n = g(r, "sessions")
			put(r, "cpu_ms_per_session", sprintf("%.4f",
			    n > 0 ? g(r, "tree_ns") / n / 1e6 : 0))
			put(r, "self_cpu_s_per_1000_sessions", sprintf("%.4f",
			    n > 0 ? g(r, "self_ticks") / hz / (n / 1000) : 0))
		}
		if (r ~ /^hold_/) {
			put(r, "self_cpu_s", sprintf("%.2f",
			    g(r, "self_ticks") / hz))
			put(r, "pss_kib_per_session", sprintf("%.1f",
			    g(r, "pss_kib_total") / hold))
		}
	}

	row("", "iridiumd", "reference", "ird/ref")
	I = "rate_ird"; R = "rate_fork"
	printf "1. session rate: %d clients, closed loop, %d s (ref_fork)\n",
	    clients, dur
	num("   sessions/s", "per_s", "%.1f")
	row("   sessions done (failed)", g(I, "sessions") " (" \
	    g(I, "errors") ")", g(R, "sessions") " (" g(R, "errors") ")", "")
	pct("   session time p50 / p99, ms")
	num("   server CPU per session, ms (all)", "cpu_ms_per_session",
	    "%.3f")
	printf "5. supervisor CPU: the daemon process itself, utime+stime " \
	    "(ref_fork: its parent)\n"
	num("   CPU s per 1,000 sessions", "self_cpu_s_per_1000_sessions",
	    "%.3f")

	I = "first_ird"; R = "first_fork"
	printf "2. time to first prompt: %d connects, one at a time " \
	    "(ref_fork)\n", first
	num("   p50, ms", "p50_us", "%.2f", 1000)
	num("   p99, ms", "p99_us", "%.2f", 1000)
	row("   failed", g(I, "errors"), g(R, "errors"), "")

	I = "repl_ird"; R = "repl_thread"
	printf "3. REPL latency: %d sessions, closed loop, %d s " \
	    "(ref_thread)\n", clients, dur
	num("   lines/s", "per_s", "%.0f")
	num("   round trip p50, us", "p50_us", "%d")
	num("   round trip p99, us", "p99_us", "%d")
	num("   round trip p999, us", "p999_us", "%d")
	row("   failed", g(I, "errors"), g(R, "errors"), "")

	I = "hold_ird"; R = "hold_fork"
	printf "4. idle sessions: %d held at their prompt (ref_fork)\n", hold
	row("   held (failed, dropped)", g(I, "held") " (" g(I, "errors") \
	    ", " g(I, "dropped") ")", g(R, "held") " (" g(R, "errors") \
	    ", " g(R, "dropped") ")", "")
	num("   time to open them all, s", "open_seconds", "%.2f")
	pct("   time to each prompt p50 / p99, ms")
	num("   supervisor CPU opening them, s", "self_cpu_s", "%.2f")
	num("   PSS per session, KiB (all procs)", "pss_kib_per_session",
	    "%.1f")
	row("   processes", g(I, "processes"), g(R, "processes"), "")
	num("   supervisor RSS, KiB", "rss_kib", "%d")
	num("   supervisor open fds", "fds", "%d")
	printf "iridiumd sessions: %s\n", srv_sessions
	printf "iridiumd admission: %s\n", srv_adm

	printf "{\"cpus\":%d,\"clients\":%d,\"seconds\":%d," \
	    "\"first_connects\":%d,\"hold\":%d,", ncpu, clients, dur,
	    first, hold > json
	printf "\"rate\":{\"iridiumd\":%s,\"ref_fork\":%s,\"ratio\":%s},",
	    obj("rate_ird"), obj("rate_fork"),
	    ratio(g("rate_ird", "per_s"), g("rate_fork", "per_s")) > json
	printf "\"first_prompt\":{\"iridiumd\":%s,\"ref_fork\":%s},",
	    obj("first_ird"), obj("first_fork") > json
	printf "\"repl\":{\"iridiumd\":%s,\"ref_thread\":%s},",
	    obj("repl_ird"), obj("repl_thread") > json
	printf "\"idle\":{\"iridiumd\":%s,\"ref_fork\":%s}}\n",
	    obj("hold_ird"), obj("hold_fork") > json
}' "$tmp/figures"

# What went wrong on iridiumd's side (its log: workers killed, crashed or
# dead, refusals, stalls), the first lines.
grep -E 'kill|crash|died|refused|unresponsive|fail|error|busy|paus' \
    "$tmp/iridiumd.log" >"$tmp/iridiumd.trouble" || :
if [ -s "$tmp/iridiumd.trouble" ]; then
	echo "iridiumd log ($(wc -l <"$tmp/iridiumd.trouble") lines of" \
	    "trouble; the first):"
	head -10 "$tmp/iridiumd.trouble" | sed 's/^/   /'
fi
# Errors, as loadgen described the first few of each run.
for e in "$tmp"/*.err; do
	if [ -s "$e" ]; then
		echo "$(basename "$e" .err):"
		head -5 "$e" | sed 's/^/   /'
	fi
done
echo "figures: $B/bench/sessions.json"
