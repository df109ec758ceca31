/*
 * init.c: process 1 of the throwaway VM tests/vm/no-ia32.sh boots: mount
 * what the tests use (proc, sys, dev, /dev/shm, /tmp, /run), bring up
 * loopback, run /run-tests.sh, say how it ended on the console and
 * power off. Linked statically: the initramfs has no loader of its own
 * for it to depend on.
 */
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void
lo_up(void)
{
	struct ifreq	 ifr;
	int		 fd = socket(AF_INET, SOCK_DGRAM, 0);

	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (fd == -1 || ioctl(fd, SIOCGIFFLAGS, &ifr) == -1)
		perror("lo");
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (fd == -1 || ioctl(fd, SIOCSIFFLAGS, &ifr) == -1)
		perror("lo up");
	if (fd != -1)
		close(fd);
}

int
main(void)
{
	static char	 e0[] = "PATH=/bin", e1[] = "HOME=/root",
			 e2[] = "IRIDIUM_BUILD=/iridium/build",
			 e3[] = "IRIDIUM_SRC=/iridium/src",
			 e4[] = "IRIDIUM_VARIANT=default", e5[] = "CI=true",
			 a0[] = "/bin/sh", a1[] = "/run-tests.sh";
	char *const	 env[] = { e0, e1, e2, e3, e4, e5, NULL };
	char *const	 argv[] = { a0, a1, NULL };
	pid_t		 pid;
	int		 st = 0;

	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mkdir("/dev/shm", 01777);
	mount("tmpfs", "/dev/shm", "tmpfs", 0, NULL);
	mount("tmpfs", "/tmp", "tmpfs", 0, "mode=1777");
	mount("tmpfs", "/run", "tmpfs", 0, NULL);
	lo_up();
	if ((pid = fork()) == 0) {
		execve(argv[0], argv, env);
		perror(argv[0]);
		_exit(127);
	}
	if (pid == -1 || waitpid(pid, &st, 0) == -1)
		perror("run-tests.sh");
	printf("vm: tests exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128);
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
