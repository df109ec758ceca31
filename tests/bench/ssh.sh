#!/bin/sh
# ssh.sh: SSH sessions served by iridiumd against OpenSSH's sshd, side by
# side in one run, both on loopback, both driven by the same OpenSSH
# client with the same algorithms forced (ssh-ed25519 host and user keys),
# three times over: the defaults (curve25519-sha256 with
# chacha20-poly1305@openssh.com), AES (curve25519-sha256 with aes128-ctr
# and hmac-sha2-256-etm@openssh.com) and DH (diffie-hellman-group14-sha256
# with chacha20-poly1305@openssh.com). Set ALGS_ONLY=default (or aes, dh)
# for one of them. A fourth run compares two iridiumd logins with the
# default algorithms, back to back: a plain key in authorized_keys, and a
# user certificate (ssh-ed25519-cert-v01@openssh.com, from a CA in
# trusted_user_ca_keys, which iridiumd checks itself); goal: the
# certificate's server CPU per session within 10% of the key's.
# ALGS_ONLY=cert for that run alone.
#
#   iridiumd: ssh ... bench@127.0.0.1 run < contrib/examples/hello.iasm
#             (assemble and run a one-line program; its pre-forked ssh pool)
#   sshd:     ssh -s ... USER@127.0.0.1 sftp (internal-sftp: a session
#             served inside sshd and ended by stdin's EOF, sshd's cost
#             without a shell; SSHD_SHELL=yes: USER's shell runs true); its
#             own sshd_config, host key and authorized_keys in a temporary
#             directory
#
# For each: $SESSIONS sessions from $CLIENTS parallel clients; the time from
# starting ssh to its exit status (median, p99), sessions per second, and
# the main figure, server CPU per session: user + system time of the
# daemon and of every process it forked, reaped (cutime, cstime) or still
# alive (its pre-forked workers), from /proc/PID/stat, after the run minus
# before it. The clients' own CPU (the OpenSSH client's tens of ms per
# session) is not in it; it is shown apart, as "client CPU": on a machine
# the clients saturate, it is most of the connect-to-exit time of both.
#
# Starts and ends only its own daemons (by pid), uses loopback only, and
# removes its temporary directory.
#
# WORKER_UIDS=FIRST-LAST gives iridiumd's workers that range instead of
# the default (which a running iridiumd may hold).
#
# usage: tests/bench/ssh.sh BUILD_DIR
set -eu
B=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
SESSIONS=${SESSIONS:-400}
CLIENTS=${CLIENTS:-16}
SSHD=${SSHD:-/usr/sbin/sshd}
ALGS_ONLY=${ALGS_ONLY:-}
# Forced on both servers' clients in every run; each run adds its own.
ALGS="-o HostKeyAlgorithms=ssh-ed25519 -o PubkeyAcceptedAlgorithms=ssh-ed25519"
# The runs: NAME, then the client's options for them.
RUN_DEFAULT="-o KexAlgorithms=curve25519-sha256 \
-o Ciphers=chacha20-poly1305@openssh.com"
RUN_AES="-o KexAlgorithms=curve25519-sha256 -o Ciphers=aes128-ctr \
-o MACs=hmac-sha2-256-etm@openssh.com"
RUN_DH="-o KexAlgorithms=diffie-hellman-group14-sha256 \
-o Ciphers=chacha20-poly1305@openssh.com"

for t in ssh ssh-keygen "$SSHD"; do
	command -v "$t" >/dev/null 2>&1 || {
		echo "ssh.sh: $t is missing (openssh-client, openssh-server)" >&2
		exit 1; }
done

tmp=$(mktemp -d /tmp/iridium-bench-ssh-XXXXXX)
ird_pid=
sshd_pid=
made_privsep=
cleanup() {
	# Only what this script started, by pid.
	[ -n "$ird_pid" ] && kill "$ird_pid" 2>/dev/null && wait "$ird_pid" \
	    2>/dev/null
	[ -n "$sshd_pid" ] && kill "$sshd_pid" 2>/dev/null && wait "$sshd_pid" \
	    2>/dev/null
	[ -n "$made_privsep" ] && rmdir /run/sshd 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ssh-keygen -q -t ed25519 -N '' -C bench -f "$tmp/client"
# The certificate run's: a CA, a key of its own and its certificate.
ssh-keygen -q -t ed25519 -N '' -C ca -f "$tmp/ca"
ssh-keygen -q -t ed25519 -N '' -C cert -f "$tmp/certclient"
ssh-keygen -q -s "$tmp/ca" -I bench-cert -n bench -V -5m:+1d -z 1 \
    "$tmp/certclient.pub"
ssh-keygen -q -t ed25519 -N '' -C sshd -f "$tmp/sshd_host_key"
cp "$tmp/client.pub" "$tmp/authorized_keys"
chmod 600 "$tmp/authorized_keys"

# --- the daemons -----------------------------------------------------------

cat >"$tmp/iridiumd.conf" <<EOF
[daemon]
log_level = info
trusted_user_ca_keys = $tmp/ca.pub
[pool]
min_spare = $CLIENTS
max_spare = $((CLIENTS * 2))
max_workers = $((CLIENTS * 4))
[listener ssh]
transport = ssh
bind = 127.0.0.1
port = 0
[tenant bench]
authorized_keys = $tmp/authorized_keys
EOF
"$B/iridiumd" -f "$tmp/iridiumd.conf" --run-dir "$tmp/run" \
    --state-dir "$tmp/state" --worker-path "$B/iridium-worker" \
    --ssh-worker-path "$B/iridium-worker-ssh" \
    ${WORKER_UIDS:+--worker-uids "$WORKER_UIDS"} 2>"$tmp/iridiumd.log" &
ird_pid=$!
i=0
until ird_port=$(sed -n 's/.*listening on ssh 127\.0\.0\.1:\([0-9]*\).*/\1/p' \
    "$tmp/iridiumd.log") && [ -n "$ird_port" ]; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$ird_pid" 2>/dev/null; then
		echo "ssh.sh: iridiumd did not start:" >&2
		cat "$tmp/iridiumd.log" >&2
		exit 1
	fi
	sleep 0.1
done

if [ "$(id -u)" -eq 0 ] && [ ! -d /run/sshd ]; then
	# sshd's privilege separation directory (Debian's unit makes it).
	mkdir -m 0755 /run/sshd
	made_privsep=yes
fi
user=$(id -un)
# By default sshd's session is its in-process sftp server (ssh -s ...
# sftp, Subsystem sftp internal-sftp), which ends at the client's EOF:
# sshd's own per-session cost, without a shell, the figure most
# favourable to sshd. SSHD_SHELL=yes runs `true` through the user's shell
# instead, which also reads the user's rc files (bash does when sshd runs
# it), so it measures them too.
if [ "${SSHD_SHELL:-no}" = yes ]; then
	sshd_opt=
	sshd_cmd=true
	sshd_what="ssh $user@127.0.0.1 true, through $(getent passwd "$user" |
	    cut -d: -f7) and its rc files"
else
	sshd_opt=-s
	sshd_cmd=sftp
	sshd_what="ssh -s $user@127.0.0.1 sftp: internal-sftp, in sshd itself, ended by stdin's EOF (SSHD_SHELL=yes: true through the user's shell)"
fi
try=0
while :; do
	sshd_port=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))
	cat >"$tmp/sshd_config" <<EOF
Port $sshd_port
ListenAddress 127.0.0.1
HostKey $tmp/sshd_host_key
PidFile none
AuthorizedKeysFile $tmp/authorized_keys
StrictModes no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin prohibit-password
KexAlgorithms curve25519-sha256,diffie-hellman-group14-sha256
HostKeyAlgorithms ssh-ed25519
PubkeyAcceptedAlgorithms ssh-ed25519
Ciphers chacha20-poly1305@openssh.com,aes128-ctr
MACs hmac-sha2-256-etm@openssh.com
Compression no
UseDNS no
PrintMotd no
PrintLastLog no
MaxStartups $((CLIENTS * 4))
LogLevel INFO
Subsystem sftp internal-sftp
EOF
	"$SSHD" -D -f "$tmp/sshd_config" -E "$tmp/sshd.log" &
	sshd_pid=$!
	sleep 0.5
	kill -0 "$sshd_pid" 2>/dev/null && break
	wait "$sshd_pid" 2>/dev/null || true
	sshd_pid=
	try=$((try + 1))
	if [ $try -ge 5 ]; then
		echo "ssh.sh: sshd did not start:" >&2
		cat "$tmp/sshd.log" >&2
		exit 1
	fi
done

ird_hostkey=$(cut -d' ' -f1,2 "$tmp/state/ssh_host_ed25519_key.pub")
sshd_hostkey=$(cut -d' ' -f1,2 "$tmp/sshd_host_key.pub")
{
	echo "[127.0.0.1]:$ird_port $ird_hostkey"
	echo "[127.0.0.1]:$sshd_port $sshd_hostkey"
} >"$tmp/known_hosts"

# --- measuring ---------------------------------------------------------------

# CPU nanoseconds of pid and of its children: for each of pid and its
# live children, its own run time (schedstat: exact, where stat's
# utime+stime would be rounded down to clock ticks per process) and what
# its reaped descendants used (stat's cutime+cstime: summed exactly by
# the kernel, shown in ticks).
tree_ns() {
	hz=$(getconf CLK_TCK)
	for d in /proc/[0-9]*; do
		s=$(cat "$d/stat" 2>/dev/null) || continue
		r=$(cut -d' ' -f1 "$d/schedstat" 2>/dev/null) || continue
		echo "$r $s"
	done | awk -v p="$1" -v hz="$hz" '{
		run = $1
		pid = $2
		s = $0
		sub(/^[^)]*\) /, "", s)	# after "run pid (comm) "
		split(s, a, " ")	# a[2] ppid, a[14], a[15] cutime, cstime
		if (pid == p || a[2] == p)
			t += run + (a[14] + a[15]) * 1e9 / hz
	} END { printf "%.0f\n", t }'
}

# CPU nanoseconds this script's reaped children have used: the client
# loops below, and through them every ssh client they ran (cutime+cstime,
# in clock ticks, summed exactly by the kernel).
clients_ns() {
	awk -v hz="$(getconf CLK_TCK)" '{
		s = $0
		sub(/^[^)]*\) /, "", s)
		split(s, a, " ")
		printf "%.0f\n", (a[14] + a[15]) * 1e9 / hz
	}' "/proc/$$/stat"
}

# client NAME PORT USER CMD INPUT N [OPT]: N sessions one after another,
# each one's wall time in ns appended to $tmp/NAME.times; failures counted.
# The run's algorithms are $RUN.
client() {
	n=0
	while [ $n -lt "$6" ]; do
		t0=$(date +%s%N)
		if ssh -F /dev/null -p "$2" -i "${KEY:-$tmp/client}" \
		    -o BatchMode=yes \
		    -o IdentitiesOnly=yes -o UserKnownHostsFile="$tmp/known_hosts" \
		    -o GlobalKnownHostsFile=/dev/null \
		    -o StrictHostKeyChecking=yes -o LogLevel=ERROR $ALGS $RUN \
		    ${7:-} "$3@127.0.0.1" "$4" <"$5" >/dev/null \
		    2>>"$tmp/$1.err"; then
			t1=$(date +%s%N)
			echo $((t1 - t0)) >>"$tmp/$1.times"
		else
			echo x >>"$tmp/$1.failed"
		fi
		n=$((n + 1))
	done
}

# bench NAME PID PORT USER CMD INPUT [OPT]: the run; one result line.
bench() {
	name=$1 pid=$2
	per=$((SESSIONS / CLIENTS))
	total=$((per * CLIENTS))
	: >"$tmp/$name.times"
	# Warm up (page cache, the pool), outside the figures.
	client "$name.warm" "$3" "$4" "$5" "$6" 4 "${7:-}"
	sleep 1
	k0=$(clients_ns)
	c0=$(tree_ns "$pid")
	d0=$(cut -d' ' -f1 "/proc/$pid/schedstat")
	s0=$(date +%s%N)
	k=0
	pids=
	while [ $k -lt "$CLIENTS" ]; do
		client "$name" "$3" "$4" "$5" "$6" "$per" "${7:-}" &
		pids="$pids $!"
		k=$((k + 1))
	done
	for j in $pids; do
		wait "$j" || true
	done
	s1=$(date +%s%N)
	sleep 1		# every session reaped, spares refilled
	c1=$(tree_ns "$pid")
	k1=$(clients_ns)
	d1=$(cut -d' ' -f1 "/proc/$pid/schedstat")
	ok=$(wc -l <"$tmp/$name.times")
	failed=$(cat "$tmp/$name.failed" 2>/dev/null | wc -l)
	sort -n "$tmp/$name.times" | awk -v n="$ok" -v tot="$total" \
	    -v cpu=$((c1 - c0)) -v ns=$((s1 - s0)) -v self=$((d1 - d0)) \
	    -v ccpu=$((k1 - k0)) \
	    -v name="$name" -v failed="$failed" '
		{ v[NR] = $1 }
		END {
			med = v[int((n + 1) / 2)] / 1e6
			i = int(n * 0.99 + 0.999); if (i > n) i = n
			p99 = v[i] / 1e6
			cpums = cpu / 1e6 / tot
			printf "%-18s %8.2f ms %9.2f ms %10.1f ms %8.1f ms " \
			    "%10.1f %8d %9.2f ms\n", name, cpums,
			    self / 1e6 / tot, med, p99, tot / (ns / 1e9),
			    failed, ccpu / 1e6 / tot
			printf "%s %.3f %.3f\n", name, cpums, med > "/dev/stderr"
		}' 2>>"$tmp/figures"
}

: >"$tmp/empty.in"
echo "== SSH sessions (tests/bench/ssh.sh): $SESSIONS per server, $CLIENTS" \
    "parallel clients, loopback, $(nproc) CPUs"
echo "   forced on both: ssh-ed25519 (host and user keys), and per run:"
echo "   default: curve25519-sha256, chacha20-poly1305@openssh.com"
echo "   aes:     curve25519-sha256, aes128-ctr," \
    "hmac-sha2-256-etm@openssh.com"
echo "   dh:      diffie-hellman-group14-sha256," \
    "chacha20-poly1305@openssh.com"
echo "   iridiumd: ssh bench@127.0.0.1 run < contrib/examples/hello.iasm" \
    "(pool min_spare $CLIENTS)"
echo "   sshd:     $sshd_what ($("$SSHD" -V 2>&1 | head -1 | cut -d, -f1))"
printf '%-18s %11s %12s %13s %11s %10s %8s %12s\n' "server" \
    "CPU/session" "(listener)" "median" "p99" "sessions/s" "failed" \
    "client CPU"
for run in default aes dh; do
	[ -z "$ALGS_ONLY" ] || [ "$ALGS_ONLY" = "$run" ] || continue
	case $run in
	default) RUN=$RUN_DEFAULT ;;
	aes) RUN=$RUN_AES ;;
	dh) RUN=$RUN_DH ;;
	esac
	bench "iridiumd-$run" "$ird_pid" "$ird_port" bench run \
	    "$src/contrib/examples/hello.iasm"
	bench "sshd-$run" "$sshd_pid" "$sshd_port" "$user" "$sshd_cmd" \
	    "$tmp/empty.in" $sshd_opt
done
if [ -z "$ALGS_ONLY" ] || [ "$ALGS_ONLY" = cert ]; then
	RUN=$RUN_DEFAULT
	bench "iridiumd-key" "$ird_pid" "$ird_port" bench run \
	    "$src/contrib/examples/hello.iasm"
	ALGS="-o HostKeyAlgorithms=ssh-ed25519 \
-o PubkeyAcceptedAlgorithms=ssh-ed25519-cert-v01@openssh.com"
	KEY=$tmp/certclient
	bench "iridiumd-cert" "$ird_pid" "$ird_port" bench run \
	    "$src/contrib/examples/hello.iasm"
	KEY=
	grep -q "ID bench-cert (serial 1)" "$tmp/iridiumd.log" || {
		echo "ssh.sh: no certificate login in iridiumd's log" >&2
		exit 1; }
fi
awk '{ cpu[$1] = $2; med[$1] = $3 }
	END {
		split("default aes dh", runs, " ")
		for (i = 1; i <= 3; i++) {
			r = runs[i]
			if (!(("iridiumd-" r) in cpu) || !(("sshd-" r) in cpu))
				continue
			printf "iridiumd / sshd, %-7s server CPU per session " \
			    "%.2f%s, median connect-to-exit %.2f%s\n", r ":",
			    cpu["iridiumd-" r] / cpu["sshd-" r],
			    r == "default" ? " (goal <= 0.25)" : "",
			    med["iridiumd-" r] / med["sshd-" r],
			    r == "default" ? " (goal <= 0.50)" : ""
		}
		if (("iridiumd-cert" in cpu) && ("iridiumd-key" in cpu))
			printf "iridiumd certificate / plain key login: server " \
			    "CPU per session %.2f (goal <= 1.10), median " \
			    "connect-to-exit %.2f\n", cpu["iridiumd-cert"] / \
			    cpu["iridiumd-key"], med["iridiumd-cert"] / \
			    med["iridiumd-key"]
	}' "$tmp/figures"

# A typed line to its answer on a pty (ssh -tt), PTY_LINES of them, one
# session each, default algorithms: iridiumd's REPL (the worker's line
# editor echoes, `load $0 #1` runs, the prompt comes back) beside sshd
# running bash without rc files (the kernel's pty and readline echo,
# `true` runs, the prompt comes back). PTY_LINES=0 skips it.
PTY_LINES=${PTY_LINES:-500}
if [ "$PTY_LINES" -gt 0 ] && /usr/bin/python3 -c 'import pexpect' \
    2>/dev/null; then
	sshc="ssh -tt -F /dev/null -i $tmp/client -o BatchMode=yes \
-o IdentitiesOnly=yes -o UserKnownHostsFile=$tmp/known_hosts \
-o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes \
-o LogLevel=ERROR $ALGS $RUN_DEFAULT"
	echo
	echo "== a typed line to its answer, ssh -tt, $PTY_LINES lines" \
	    "(tests/bench/typed.py)"
	printf '%-34s %10s %10s %10s\n' "server: line" "median" "p99" "mean"
	ird=$(/usr/bin/python3 "$here/typed.py" "$PTY_LINES" ">>> " \
	    'load $0 #1' -- $sshc -p "$ird_port" bench@127.0.0.1)
	# shellcheck disable=SC2016
	shd=$(/usr/bin/python3 "$here/typed.py" "$PTY_LINES" "bench> " true \
	    -- $sshc -p "$sshd_port" "$user@127.0.0.1" \
	    "env PS1='bench> ' bash --norc --noprofile -i")
	echo "$ird" | awk '{ printf "%-34s %7.3f ms %7.3f ms %7.3f ms\n",
	    "iridiumd: load $0 #1", $2, $3, $4 }'
	echo "$shd" | awk '{ printf "%-34s %7.3f ms %7.3f ms %7.3f ms\n",
	    "sshd, bash --norc: true", $2, $3, $4 }'
	echo "$ird $shd" | awk '{ printf "iridiumd / sshd, median typed-line" \
	    " round trip %.2f\n", $2 / $6 }'
elif [ "$PTY_LINES" -gt 0 ]; then
	echo "ssh.sh: python3-pexpect is missing: no pty round trip" >&2
fi
for f in "$tmp"/iridiumd-*.err "$tmp"/sshd-*.err; do
	[ -s "$f" ] || continue
	echo "client errors of $(basename "$f" .err) (first lines):"
	head -3 "$f"
done
