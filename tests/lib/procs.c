/*
 * procs.c: a test daemon's processes and any process's state, as /proc
 * shows them (see harness.h): its children (the workers and the helper
 * that starts them), which worker serves a client, a process's open fds
 * and the numbers of its status file; a thread by its name, and strace
 * holding one of its system calls.
 */
#include <sys/wait.h>

#include <dirent.h>
#include <fcntl.h>
#include <glob.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

/*
 * /proc/pid/file into buf (NUL-terminated; what does not fit is left
 * out): its length, or -1 when the process is gone.
 */
static ssize_t
proc_read(pid_t pid, const char *file, char *buf, size_t len)
{
	char	 path[64];
	ssize_t	 n;
	int	 fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/* From /proc/pid/stat: its state letter and its parent; false if gone. */
static bool
proc_stat(pid_t pid, char *state, long *ppid)
{
	char	 buf[512], *p;

	/* pid (comm) state ppid ...; comm may hold spaces and parentheses */
	return proc_read(pid, "stat", buf, sizeof(buf)) > 0 &&
	    (p = strrchr(buf, ')')) != NULL &&
	    sscanf(p + 2, "%c %ld", state, ppid) == 2;
}

int
hd_children(struct hd *h, pid_t *pids, int max)
{
	DIR		*d;
	struct dirent	*de;
	pid_t		 pid;
	long		 ppid;
	char		 state;
	int		 n = 0;

	if ((d = opendir("/proc")) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL && n < max) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		pid = (pid_t)atoi(de->d_name);
		if (proc_stat(pid, &state, &ppid) && ppid == h->pid)
			pids[n++] = pid;
	}
	closedir(d);
	return n;
}

pid_t
hd_worker_for_port(struct hd *h, int port)
{
	pid_t	 pids[512];
	char	 buf[1024], want[32], *p;
	size_t	 wlen;
	ssize_t	 len, j;
	int	 n, i;

	wlen = (size_t)snprintf(want, sizeof(want), ":%d", port);
	n = hd_children(h, pids, 512);
	for (i = 0; i < n; i++) {
		if ((len = proc_read(pids[i], "cmdline", buf, sizeof(buf))) ==
		    -1)
			continue;
		for (j = 0; j < len; j++)
			if (buf[j] == '\0')
				buf[j] = ' ';
		/* the title ends with the peer "ADDR:PORT" */
		if ((p = strstr(buf, want)) != NULL && (p[wlen] == ' ' ||
		    p[wlen] == '\0'))
			return pids[i];
	}
	return -1;
}

pid_t
hd_spawner(struct hd *h)
{
	pid_t	 pids[256];
	char	 comm[32];
	int	 n, i;

	n = hd_children(h, pids, 256);
	for (i = 0; i < n; i++)
		if (proc_read(pids[i], "comm", comm, sizeof(comm)) > 0 &&
		    strcmp(comm, "iridiumd-spawn\n") == 0 &&
		    !proc_gone(pids[i]))
			return pids[i];
	return 0;
}

int
proc_fd_count(pid_t pid)
{
	char		 path[64];
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

bool
proc_gone(pid_t pid)
{
	long	 ppid;
	char	 state;

	return !proc_stat(pid, &state, &ppid) || state == 'Z' ||
	    state == 'X';
}

long
proc_status_num(pid_t pid, const char *name)
{
	char	 buf[8192], *p;
	size_t	 len = strlen(name);

	if (proc_read(pid, "status", buf, sizeof(buf)) == -1)
		return -1;
	p = buf;
	do {
		if (strncmp(p, name, len) == 0)
			return strtol(p + len, NULL, 10);
	} while ((p = strchr(p, '\n')) != NULL && *++p != '\0');
	return -1;
}

pid_t
proc_thread_named(pid_t pid, const char *name)
{
	char	 pat[64], comm[64];
	glob_t	 g;
	size_t	 i;
	FILE	*f;
	pid_t	 tid = 0;

	snprintf(pat, sizeof(pat), "/proc/%d/task/*/comm", (int)pid);
	if (glob(pat, 0, NULL, &g) != 0)
		return 0;
	for (i = 0; i < g.gl_pathc && tid == 0; i++) {
		if ((f = fopen(g.gl_pathv[i], "r")) == NULL)
			continue;
		/* /proc/PID/task/TID/comm */
		if (fgets(comm, sizeof(comm), f) != NULL &&
		    strncmp(comm, name, strlen(name)) == 0 &&
		    comm[strlen(name)] == '\n')
			tid = (pid_t)atoi(strstr(g.gl_pathv[i], "/task/") +
			    strlen("/task/"));
		fclose(f);
	}
	globfree(&g);
	return tid;
}

pid_t
proc_strace_delay(pid_t tid, const char *syscall, long usec)
{
	char		 trace[64], inject[96], tids[16];
	pid_t		 s;
	long long	 end = hd_now_ms() + 20000;

	snprintf(trace, sizeof(trace), "trace=%s", syscall);
	snprintf(inject, sizeof(inject), "inject=%s:delay_enter=%ld", syscall,
	    usec);
	snprintf(tids, sizeof(tids), "%d", (int)tid);
	if ((s = fork()) == -1)
		return -1;
	if (s == 0) {
		execl("/usr/bin/strace", "strace", "-qq", "-o", "/dev/null",
		    "-e", trace, "-e", inject, "-p", tids, (char *)NULL);
		_exit(127);
	}
	/* Attached when the thread has a tracer (/proc/TID is the thread). */
	while (hd_now_ms() < end) {
		if (proc_status_num(tid, "TracerPid:") == (long)s)
			return s;
		if (waitpid(s, NULL, WNOHANG) == s)
			return -1;
		usleep(20000);
	}
	kill(s, SIGKILL);
	waitpid(s, NULL, 0);
	return -1;
}

void
proc_strace_end(pid_t s)
{
	kill(s, SIGTERM);
	waitpid(s, NULL, 0);
}
