/*
 * msg.c: framing of the supervisor <-> worker channel (see msg.h).
 *
 * One SOCK_SEQPACKET datagram carries one message and at most one fd
 * (SCM_RIGHTS). Sending encodes through the table in msgtab.c, so only
 * valid messages leave. Receiving is written for a hostile peer: a
 * datagram that is too long, carries more than one fd, an fd its type does
 * not take, or any control message but SCM_RIGHTS, is refused, and every
 * fd that came with it is closed before we return, so a worker cannot fill
 * the supervisor's fd table.
 *
 * End of file: recvmsg() returns 0 both when the peer has closed and when
 * it sent a zero-length datagram. The two cannot be told apart without a
 * second read, and no valid message is empty, so both count as EOF and the
 * caller drops the peer; fds that came with an empty datagram are closed.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>

#include "buf.h"
#include "msg.h"

/*
 * Room for this many fds in one receive. More than one is always refused,
 * but we must see them to close them; past this the kernel sets MSG_CTRUNC
 * and drops the rest itself, without installing them in our table.
 */
#define RECV_FDS	32

/* Control buffer that is aligned for struct cmsghdr. */
union cmsgbuf {
	struct cmsghdr	 hdr;
	char		 buf[CMSG_SPACE(sizeof(int) * RECV_FDS)];
};

union cmsgbuf1 {
	struct cmsghdr	 hdr;
	char		 buf[CMSG_SPACE(sizeof(int))];
};

static void
set_err(char *err, size_t errlen, const char *s)
{
	if (err != NULL && errlen > 0)
		strlcpy(err, s, errlen);
}

int
msg_send_raw(int fd, const void *buf, size_t len, int passfd, int flags)
{
	struct msghdr	 mh;
	struct iovec	 iov;
	union cmsgbuf1	 cb;
	struct cmsghdr	*cm;
	ssize_t		 n;

	memset(&mh, 0, sizeof(mh));
	/* sendmsg does not write through iov_base */
	iov.iov_base = (void *)(uintptr_t)buf;
	iov.iov_len = len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (passfd >= 0) {
		memset(&cb, 0, sizeof(cb));
		mh.msg_control = cb.buf;
		mh.msg_controllen = sizeof(cb.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &passfd, sizeof(int));
	}
	if ((n = sendmsg(fd, &mh, MSG_NOSIGNAL | flags)) == -1)
		return -1;
	if ((size_t)n != len) {
		/* cannot happen on SEQPACKET; never report a short send */
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

int
msg_pack(struct buf *b, enum msg_type type, const void *body, int nfds,
    char *err, size_t errlen)
{
	struct msg	 probe;

	if (msg_encode(b, type, body, err, errlen) == -1) {
		errno = EINVAL;
		return -1;
	}
	/*
	 * The fd rule is the table's: let the decoder judge our own bytes
	 * with the fd count we are about to send, so a missing or stray fd
	 * fails here, in the process with the bug, and not at the peer.
	 */
	if (msg_decode(b->data, b->len, nfds, MSG_FROM_EITHER, WS_ANY,
	    &probe, err, errlen) == -1) {
		errno = EINVAL;
		return -1;
	}
	msg_clear(&probe);
	return 0;
}

int
msg_send(int fd, enum msg_type type, const void *body, int passfd,
    int flags, char *err, size_t errlen)
{
	struct buf	 b;
	int		 rv = -1;

	buf_init(&b, MSG_MAX);
	if (msg_pack(&b, type, body, passfd >= 0 ? 1 : 0, err, errlen) == 0)
		rv = msg_send_raw(fd, b.data, b.len, passfd, flags);
	buf_free(&b);
	return rv;
}

/* Close every fd in a received control buffer. */
static void
close_fds(const int *fds, int n)
{
	int	 i;

	for (i = 0; i < n; i++)
		close(fds[i]);
}

int
msg_recv(int fd, enum msg_dir from, unsigned state, struct msg *m,
    char *err, size_t errlen)
{
	struct msghdr	 mh;
	struct iovec	 iov;
	union cmsgbuf	 cb;
	struct cmsghdr	*cm;
	char		*data;
	int		 fds[RECV_FDS], nfds = 0, other = 0, olevel = 0;
	int		 otype = 0, rv, saved;
	size_t		 k, nrights;
	ssize_t		 n;

	memset(m, 0, sizeof(*m));
	m->fd = -1;
	m->json = NULL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	/* one byte more than allowed, so an oversized message shows */
	if ((data = malloc(MSG_MAX + 1)) == NULL)
		return -1;
	memset(&mh, 0, sizeof(mh));
	memset(&cb, 0, sizeof(cb));
	iov.iov_base = data;
	iov.iov_len = MSG_MAX + 1;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cb.buf;
	mh.msg_controllen = sizeof(cb.buf);
	if ((n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC)) == -1) {
		saved = errno;
		free(data);
		errno = saved;
		return -1;
	}

	/* First take every fd, whatever else is wrong, to close it. */
	for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_type != SCM_RIGHTS) {
			if (other++ == 0) {
				olevel = cm->cmsg_level;
				otype = cm->cmsg_type;
			}
			continue;
		}
		nrights = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (k = 0; k < nrights && nfds < RECV_FDS; k++)
			memcpy(&fds[nfds++], CMSG_DATA(cm) + k * sizeof(int),
			    sizeof(int));
	}

	rv = -2;
	if (n == 0)
		rv = 0;		/* EOF, or an empty datagram: see above */
	else if ((mh.msg_flags & MSG_TRUNC) != 0) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "message: longer than %d bytes "
			    "(truncated)", MSG_MAX);
	}
	else if ((mh.msg_flags & MSG_CTRUNC) != 0)
		set_err(err, errlen, "message: control data truncated (too "
		    "many fds)");
	else if (other > 0) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "message: unexpected control "
			    "message (level %d, type %d)", olevel, otype);
	} else if (msg_decode(data, (size_t)n, nfds, from, state, m, err,
	    errlen) == 0)
		rv = 1;
	free(data);
	if (rv == 1) {
		if (nfds == 1)
			m->fd = fds[0];
		return 1;
	}
	close_fds(fds, nfds);
	return rv;
}

void
msg_clear(struct msg *m)
{
	if (m->fd >= 0) {
		close(m->fd);
		m->fd = -1;
	}
	json_decref(m->json);
	m->json = NULL;
}
