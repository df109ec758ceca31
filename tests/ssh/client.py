#!/usr/bin/python3
#
# client.py: paramiko, with its default settings, as the ssh integration
# tests drive it (tests/integration/test_ssh_clients.c), the way Fabric
# and Ansible's paramiko connection use it. Debian's python3-paramiko:
# run with /usr/bin/python3.
#
#   client.py run PORT KEY HOSTS        exec "run", the program on stdin;
#                                       its stdout, stderr, exit status
#   client.py shell PORT KEY HOSTS      a pty shell; stdin's lines typed one
#                                       by one; the output, exit status
#   client.py sha1 PORT RSAKEY KEY      sign with ssh-rsa (SHA-1), then KEY
#   client.py close HOW PORT KEY        end a session by HOW (see below);
#                                       prints how the server ended it
#   client.py password PORT SOURCE N    N attempts from SOURCE, password and
#                                       keyboard-interactive in turn
#   client.py interrupt PORT KEY COMMAND FILE [NAME=VALUE]
#                                       exec COMMAND (with the env request
#                                       NAME=VALUE), FILE on its stdin, then
#                                       EOF; a `signal` INT request once a
#                                       line comes on our stdin; its
#                                       stdout, stderr, exit status
#
# HOSTS is a known_hosts file: read if it exists, the server's key added
# (paramiko's AutoAddPolicy) and the file written back, so the test can
# compare what paramiko recorded with the server's key. The user is
# always "dev". Each prints "error: ..." and exits 2 on a client error.

import socket
import sys
import time

import paramiko
from paramiko.common import MSG_EXT_INFO

USER = "dev"


def connect(port, key, hosts=None):
    c = paramiko.SSHClient()
    if hosts is not None:
        open(hosts, "a").close()
        c.load_host_keys(hosts)
    c.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    c.connect("127.0.0.1", port=port, username=USER, key_filename=key,
              look_for_keys=False, allow_agent=False, timeout=20)
    if hosts is not None:
        c.save_host_keys(hosts)
    return c


def drain(chan, out, err):
    """Everything until the channel's EOF, then the exit status."""
    while True:
        if chan.recv_ready():
            out.extend(chan.recv(65536))
        elif chan.recv_stderr_ready():
            err.extend(chan.recv_stderr(65536))
        elif chan.exit_status_ready() and chan.eof_received:
            break
        else:
            time.sleep(0.01)
    while chan.recv_stderr_ready():
        err.extend(chan.recv_stderr(65536))
    return chan.recv_exit_status()


def finish(c, chan):
    """The channel's stdout and stderr, as ours; its exit status."""
    out, err = bytearray(), bytearray()
    status = drain(chan, out, err)
    sys.stdout.buffer.write(out)
    sys.stderr.buffer.write(err)
    c.close()
    return status


def cmd_run(port, key, hosts):
    c = connect(port, key, hosts)
    chan = c.get_transport().open_session()
    chan.exec_command("run")
    chan.sendall(sys.stdin.buffer.read())
    chan.shutdown_write()
    return finish(c, chan)


def cmd_shell(port, key, hosts):
    c = connect(port, key, hosts)
    chan = c.invoke_shell(term="xterm", width=80, height=24)
    chan.settimeout(20)
    out = bytearray()
    # Typed: each line once the prompt for it is there.
    for i, line in enumerate(sys.stdin.buffer.read().splitlines()):
        while out.count(b">>> ") < i + 1:
            data = chan.recv(65536)
            if not data:
                break
            out.extend(data)
        chan.sendall(line + b"\r")
    chan.settimeout(None)
    status = drain(chan, out, bytearray())
    sys.stdout.buffer.write(out)
    c.close()
    return status


def cmd_sha1(port, rsakey, key):
    # As a library that signs an RSA key with ssh-rsa: rsa-sha2 disabled,
    # the server's server-sig-algs list not read.
    t = paramiko.Transport(("127.0.0.1", port), disabled_algorithms={
        "pubkeys": ["rsa-sha2-256", "rsa-sha2-512"]})
    t._handler_table = dict(t._handler_table)
    t._handler_table[MSG_EXT_INFO] = lambda self, m: None
    t.start_client(timeout=20)
    t0 = time.time()
    try:
        t.auth_publickey(USER, paramiko.RSAKey.from_private_key_file(rsakey))
        print("ssh-rsa accepted")
    except paramiko.AuthenticationException as e:
        print("ssh-rsa refused: %s" % e)
    print("answered after %.3f s" % (time.time() - t0))
    t.auth_publickey(USER, paramiko.Ed25519Key.from_private_key_file(key))
    print("next key %s" % ("accepted" if t.is_authenticated() else
                           "refused"))
    t.close()
    return 0


def wait_closed(t, seconds):
    until = time.time() + seconds
    while t.is_active() and time.time() < until:
        time.sleep(0.05)
    return not t.is_active()


def cmd_close(how, port, key):
    """
    shell-close: a pty shell, a line typed, the channel closed without
        EOF; the transport is kept open.
    exec-close: exec "run", half a program sent, the channel closed
        without EOF; the transport kept.
    status-close: exec "!help", its exit status read, the channel
        closed; the transport kept.
    eof-close: a shell without pty, a line and EOF, then the channel
        closed at once, before any answer is read.
    transport-close: a shell, then the TCP connection closed under it.
    """
    c = connect(port, key)
    t = c.get_transport()
    if how == "shell-close":
        chan = c.invoke_shell()
        chan.sendall(b"!registers\r")
        time.sleep(0.2)
        chan.close()
    elif how == "exec-close":
        chan = t.open_session()
        chan.exec_command("run")
        chan.sendall(b"load $0 #1\n")
        time.sleep(0.2)
        chan.close()
    elif how == "status-close":
        chan = t.open_session()
        chan.exec_command("!help")
        chan.recv_exit_status()
        chan.close()
    elif how == "eof-close":
        chan = t.open_session()
        chan.invoke_shell()
        chan.sendall(b"!registers\n")
        chan.shutdown_write()
        chan.close()
    elif how == "transport-close":
        chan = c.invoke_shell()
        chan.sendall(b"!registers\r")
        time.sleep(0.2)
        t.sock.close()
        print("connection closed by the client")
        return 0
    else:
        print("error: unknown way to close: %s" % how)
        return 2
    t0 = time.time()
    gone = wait_closed(t, 10)
    print("server ended the connection after %.1f s" % (time.time() - t0)
          if gone else "connection still open after 10 s")
    c.close()
    return 0


def cmd_password(port, source, n):
    s = socket.create_connection(("127.0.0.1", port), timeout=20,
                                 source_address=(source, 0))
    t = paramiko.Transport(s)
    t.start_client(timeout=20)
    tried = 0
    for i in range(n):
        if not t.is_active():
            break
        try:
            if i % 2 == 0:
                t.auth_password(USER, "not the password")
            else:
                t.auth_interactive(USER, lambda title, instr, prompts:
                                   ["no"] * len(prompts))
        except paramiko.BadAuthenticationType:
            pass
        except (paramiko.AuthenticationException, paramiko.SSHException,
                EOFError, OSError) as e:
            print("attempt %d: %s: %s" % (tried + 1, type(e).__name__, e))
        tried += 1
    # Attempts already sent are answered before the disconnect comes.
    gone = wait_closed(t, 5)
    print("tried %d; connection %s" % (tried, "closed by the server" if gone
                                        else "still open after 5 s"))
    t.close()
    return 0


def cmd_interrupt(port, key, command, path, env):
    c = connect(port, key)
    chan = c.get_transport().open_session()
    if env is not None:
        name, value = env.split("=", 1)
        chan.set_environment_variable(name, value)
    chan.exec_command(command)
    with open(path, "rb") as f:
        chan.sendall(f.read())
    chan.shutdown_write()
    # The test says when: paramiko has no call for a signal request.
    sys.stdin.readline()
    m = paramiko.Message()
    m.add_byte(paramiko.common.cMSG_CHANNEL_REQUEST)
    m.add_int(chan.remote_chanid)
    m.add_string("signal")
    m.add_boolean(False)
    m.add_string("INT")
    chan.transport._send_user_message(m)
    return finish(c, chan)


def main(argv):
    try:
        if argv[1] == "run":
            return cmd_run(int(argv[2]), argv[3], argv[4])
        if argv[1] == "shell":
            return cmd_shell(int(argv[2]), argv[3], argv[4])
        if argv[1] == "sha1":
            return cmd_sha1(int(argv[2]), argv[3], argv[4])
        if argv[1] == "close":
            return cmd_close(argv[2], int(argv[3]), argv[4])
        if argv[1] == "password":
            return cmd_password(int(argv[2]), argv[3], int(argv[4]))
        if argv[1] == "interrupt":
            return cmd_interrupt(int(argv[2]), argv[3], argv[4], argv[5],
                                 argv[6] if len(argv) > 6 else None)
    except (paramiko.SSHException, OSError, EOFError) as e:
        print("error: %s: %s" % (type(e).__name__, e))
        return 2
    print("usage: client.py run|shell|sha1|close|password|interrupt ...")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
