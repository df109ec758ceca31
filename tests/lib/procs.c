/*
 * procs.c: a test daemon's processes and any process's state, as /proc
 * shows them (see harness.h): its children (the workers and the helper
 * that starts them), which worker serves a client, a process's open fds
 * and the numbers of its status file.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

int
hd_children(struct hd *h, pid_t *pids, int max)
{
	DIR		*d;
	struct dirent	*de;
	char		 path[300], buf[512], *p;
	int		 n = 0, fd;
	ssize_t		 len;
	long		 ppid;

	if ((d = opendir("/proc")) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL && n < max) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		if ((fd = open(path, O_RDONLY)) == -1)
			continue;
		len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (len <= 0)
			continue;
		buf[len] = '\0';
		/* pid (comm) state ppid ... ; comm may hold spaces */
		if ((p = strrchr(buf, ')')) == NULL)
			continue;
		if (sscanf(p + 2, "%*c %ld", &ppid) != 1)
			continue;
		if (ppid == h->pid)
			pids[n++] = (pid_t)atoi(de->d_name);
	}
	closedir(d);
	return n;
}

pid_t
hd_worker_for_port(struct hd *h, int port)
{
	pid_t	 pids[512];
	char	 path[64], buf[1024], want[32];
	int	 n, i, fd;
	ssize_t	 len;

	snprintf(want, sizeof(want), ":%d", port);
	n = hd_children(h, pids, 512);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pids[i]);
		if ((fd = open(path, O_RDONLY)) == -1)
			continue;
		len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (len <= 0)
			continue;
		buf[len] = '\0';
		for (ssize_t j = 0; j < len; j++)
			if (buf[j] == '\0')
				buf[j] = ' ';
		/* the title ends with the peer "ADDR:PORT" */
		char *p = strstr(buf, want);
		if (p != NULL && (p[strlen(want)] == ' ' ||
		    p[strlen(want)] == '\0'))
			return pids[i];
	}
	return -1;
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

pid_t
hd_spawner(struct hd *h)
{
	pid_t	 pids[256];
	char	 path[64], comm[32];
	FILE	*f;
	int	 n, i;
	bool	 found;

	n = hd_children(h, pids, 256);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/proc/%d/comm", (int)pids[i]);
		if ((f = fopen(path, "re")) == NULL)
			continue;
		found = fgets(comm, sizeof(comm), f) != NULL &&
		    strcmp(comm, "iridiumd-spawn\n") == 0 &&
		    !proc_gone(pids[i]);
		fclose(f);
		if (found)
			return pids[i];
	}
	return 0;
}

bool
proc_gone(pid_t pid)
{
	char	 path[64], buf[512], *p;
	FILE	*f;
	bool	 gone = true;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "re")) == NULL)
		return true;
	/* pid (comm) state ...; comm may hold spaces and parentheses */
	if (fgets(buf, sizeof(buf), f) != NULL &&
	    (p = strrchr(buf, ')')) != NULL)
		gone = p[2] == 'Z' || p[2] == 'X';
	fclose(f);
	return gone;
}

long
proc_status_num(pid_t pid, const char *name)
{
	char	 path[64], line[256];
	FILE	*f;
	size_t	 len = strlen(name);
	long	 v = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	while (v == -1 && fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, name, len) == 0)
			v = strtol(line + len, NULL, 10);
	fclose(f);
	return v;
}
