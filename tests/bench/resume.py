#!/usr/bin/python3
#
# resume.py: the detached-session figures of tests/bench/resume.sh, with
# paramiko (Debian's python3-paramiko: run with /usr/bin/python3) against
# an iridiumd ssh listener whose tenant "bench" has the key KEY.
#
#   resume.py time PORT KEY ROUNDS
#       A session with a 1 MiB heap and the largest program an image holds
#       (8,000 instructions) drops; a new login resumes it with !resume,
#       drops, and the next one resumes it again, ROUNDS times. Prints the
#       median time from sending !resume to its prompt, and the median of a
#       reference in the same sessions: !registers, a command that
#       produces about as many bytes of answer and moves no state.
#   resume.py hold PORT KEY N CTL
#       N sessions at their prompt: the PSS of their workers (found with
#       iridiumctl -s CTL status --json); then every connection drops,
#       and once all N are detached, the PSS of the same workers again.
#
# Prints "name value" lines.

import json
import socket
import statistics
import subprocess
import sys
import time

import paramiko

PROMPT = b">>> "


def login(port, key):
    c = paramiko.SSHClient()
    c.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    c.connect("127.0.0.1", port=port, username="bench", key_filename=key,
              look_for_keys=False, allow_agent=False, timeout=30)
    ch = c.invoke_shell(width=200)
    return c, ch


LEFT = {}


def until(ch, want, timeout=60.0):
    """Read up to and including want; what came after it is kept."""
    got = LEFT.pop(ch, b"")
    end = time.monotonic() + timeout
    while want not in got:
        if time.monotonic() > end:
            raise SystemExit("error: no %r; got %r" % (want, got[-400:]))
        if ch.recv_ready():
            got += ch.recv(65536)
        else:
            time.sleep(0.0002)
    i = got.index(want) + len(want)
    LEFT[ch] = got[i:]
    return got[:i]


def drop(c):
    """The connection ends as a dropped link does: no goodbye."""
    sock = c.get_transport().sock
    sock.shutdown(socket.SHUT_RDWR)
    sock.close()
    c.get_transport().close()


def timed(ch, line, want):
    t0 = time.monotonic()
    ch.send(line + "\r")
    until(ch, want)
    return time.monotonic() - t0


def status(ctl):
    out = subprocess.run(ctl + ["status", "--json"], check=True,
                         capture_output=True).stdout
    return json.loads(out)


def mem(pid):
    """PSS and private (USS) KiB of a process."""
    pss = uss = 0
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            if line.startswith("Pss:"):
                pss = int(line.split()[1])
            elif line.startswith(("Private_Clean:", "Private_Dirty:")):
                uss += int(line.split()[1])
    return pss, uss


def total(pids):
    m = [mem(p) for p in pids]
    return sum(x[0] for x in m), sum(x[1] for x in m)


def resume_time(port, key, rounds):
    c, ch = login(port, key)
    until(ch, PROMPT)
    ch.send("load $1 #1048000\raloc $1\r")
    until(ch, b"aloc $1\r\n" + PROMPT)
    prog = "!load\r" + "inc $2\r" * 8000 + "!end\r"
    ch.sendall(prog)
    until(ch, b"loaded 8000 instructions")
    until(ch, PROMPT)
    drop(c)
    res, ref = [], []
    for _ in range(rounds):
        time.sleep(0.3)         # the supervisor hears of the drop
        c, ch = login(port, key)
        until(ch, b"!resume")   # the notice names it
        until(ch, PROMPT)
        for _ in range(3):
            ref.append(timed(ch, "!registers", b"pc "))
            until(ch, PROMPT)
        t0 = time.monotonic()
        ch.send("!resume\r")
        until(ch, b"Resumed session")
        until(ch, PROMPT)
        res.append(time.monotonic() - t0)
        drop(c)
    print("resume_ms %.2f" % (statistics.median(res) * 1000))
    print("registers_ms %.2f" % (statistics.median(ref) * 1000))
    print("resume_ratio %.2f" % (statistics.median(res) /
                                 statistics.median(ref)))


def workers(ctl, state):
    return [w["pid"] for w in status(ctl)["workers"]
            if w["state"] == state and w.get("session")]


def hold(port, key, n, ctl):
    conns = []
    for _ in range(n):
        c, ch = login(port, key)
        until(ch, PROMPT)
        ch.send("load $1 #1\r")
        until(ch, b"load $1 #1\r\n" + PROMPT)
        conns.append(c)
    pids = workers(ctl, "busy")
    idle, idle_uss = total(pids)
    for c in conns:
        drop(c)
    end = time.monotonic() + 120
    while len(workers(ctl, "detached")) < len(pids):
        if time.monotonic() > end:
            raise SystemExit("error: not all sessions detached")
        time.sleep(0.2)
    det, det_uss = total(pids)
    print("sessions %d" % len(pids))
    print("idle_pss_kib %d" % idle)
    print("detached_pss_kib %d" % det)
    print("detached_ratio %.3f" % (det / idle))
    print("idle_uss_kib %d" % idle_uss)
    print("detached_uss_kib %d" % det_uss)
    print("detached_uss_ratio %.3f" % (det_uss / idle_uss))


def main():
    if len(sys.argv) >= 5 and sys.argv[1] == "time":
        resume_time(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]))
    elif len(sys.argv) >= 6 and sys.argv[1] == "hold":
        hold(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]),
             sys.argv[5].split())
    else:
        raise SystemExit("usage: resume.py time PORT KEY ROUNDS | "
                         "hold PORT KEY N CTL")


main()
