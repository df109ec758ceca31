#!/usr/bin/python3
"""typed.py: a typed line to its answer over `ssh -tt`, as a person meets it.

usage: typed.py N PROMPT LINE -- SSH_ARGV...

Runs SSH_ARGV (an `ssh -tt ...` command) on a pseudo-terminal (pexpect),
waits for PROMPT, then N times types LINE with a CR and times it until
the next PROMPT: the line echoed by the server's editor (iridiumd's
worker, or the kernel's pty and the shell's readline under OpenSSH's
sshd), its answer, the new prompt. Prints one line: the count, median,
p99 and mean in milliseconds. The first 20 lines warm up, outside the
figures.
"""
import sys
import time

import pexpect


def main():
    n, prompt, line = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    argv = sys.argv[sys.argv.index("--") + 1:]
    child = pexpect.spawn(argv[0], argv[1:], encoding="utf-8", timeout=20,
                          dimensions=(50, 120))
    # pexpect waits 50 ms before each send unless told not to.
    child.delaybeforesend = None
    child.expect_exact(prompt)
    times = []
    for i in range(20 + n):
        t0 = time.perf_counter_ns()
        child.send(line + "\r")
        child.expect_exact(prompt)
        if i >= 20:
            times.append(time.perf_counter_ns() - t0)
    child.sendcontrol("d")
    child.close(force=True)
    times.sort()
    med = times[(len(times) - 1) // 2] / 1e6
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))] / 1e6
    mean = sum(times) / len(times) / 1e6
    print("%d %.3f %.3f %.3f" % (len(times), med, p99, mean))


if __name__ == "__main__":
    main()
