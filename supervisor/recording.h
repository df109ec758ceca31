/*
 * recording.h: session recordings, the supervisor's side.
 *
 * A worker has no file system, so the supervisor opens each recording
 * itself, under a directory fd it holds: record_dir/TENANT/YYYY-MM-DD/
 * ID-PEER.cast, made with mkdirat and openat (O_CREAT | O_EXCL |
 * O_NOFOLLOW | O_APPEND, mode 0640, group admin_group), writes the
 * asciicast v2 header line (terminal size, tenant, key fingerprint, peer,
 * session id, start), and hands the worker the descriptor in `record`
 * (msg.h). The worker appends events (worker/record.h) and can do nothing
 * else with it: its seccomp filter has no lseek, ftruncate, fchmod or
 * openat, and its RLIMIT_FSIZE, which the supervisor raises from 0 to
 * the header plus record_max for that session alone, bounds the file.
 *
 * Library code: it returns what went wrong, the caller logs.
 */
#ifndef IRIDIUM_RECORDING_H
#define IRIDIUM_RECORDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "config.h"
#include "msg.h"

/* What the worker may add past record_max: its last marker. */
#define RECORDING_SLACK		512

struct recorder {
	int		 dirfd;		/* -1: recordings are not possible */
	char		 dir[CONFIG_PATHLEN];
	gid_t		 gid;		/* admin_group's; -1: none */
	int64_t		 retry_ms;	/* when to try the directory again */
	uint64_t	 late;		/* sessions whose file came too late */
};

/* What a recording's header says. */
struct recording_info {
	int64_t		 id;
	const char	*tenant;
	const char	*listener;
	const char	*transport;
	const char	*peer;		/* "addr:port" */
	const char	*fingerprint;	/* "SHA256:..." or "" */
};

/* The directory record_dir resolves to (state_dir's recordings). */
void		 recording_dir(const struct config *, char *out, size_t len);
/* Whether any listener records. */
bool		 recording_wanted(const struct config *);
/*
 * Whether the directory is there and writable (or can be made): 0, or
 * -1 with why in err. For `iridiumd -t` and the start.
 */
int		 recording_check(const struct config *, char *err,
		    size_t errlen);

/*
 * The recordings under the directory, of tenant ("": every one) from
 * the day since ("": every day), oldest first, at most RECORDING_LIST_MAX:
 * {"dir": ..., "recordings": [{"tenant", "date", "file", "bytes",
 * "started", "duration_seconds"}, ...], "truncated": bool}. started is
 * the header's timestamp (iridiumd's own first line), duration the last
 * write's time since. NULL with err when the directory is not open.
 */
#define RECORDING_LIST_MAX	10000
json_t		*recorder_list(struct recorder *, const char *tenant,
		    const char *since, char *err, size_t errlen);

void		 recorder_init(struct recorder *);
/*
 * Open (making it when its parent exists) the directory: 0, or -1 with
 * err; sessions then go unrecorded until it can be opened.
 */
int		 recorder_open(struct recorder *, const struct config *,
		    char *err, size_t errlen);
void		 recorder_close(struct recorder *);
/*
 * A new recording is made in two steps, so that the file work can run
 * beside the event loop (filer.h): recorder_prepare, in the loop, fills a
 * request (the header line, the names, its own copy of the directory
 * fd); recording_create, in any thread, makes the file and writes the
 * header: system calls only, its answer in the request (fd, or -1 with
 * err). recording_req_free closes what the request still holds.
 */
struct recording_req {
	/* asked */
	int		 dirfd;
	gid_t		 gid;
	char		 dir[CONFIG_PATHLEN];	/* for messages */
	char		 tenant[MSG_NAME_MAX + 1];
	char		 day[16];		/* YYYY-MM-DD, UTC */
	char		 stem[MSG_ADDR_MAX + 32];	/* ID-PEER */
	char		*header;
	size_t		 hdrlen;
	/* answered */
	int		 fd;			/* -1: err says why */
	char		 path[CONFIG_PATHLEN];	/* under dir */
	char		 err[2 * CONFIG_PATHLEN + 128];
};

/* 0, or -1 with err (no directory, no memory): q then holds nothing. */
int		 recorder_prepare(struct recorder *,
		    const struct recording_info *, struct recording_req *q,
		    char *err, size_t errlen);
void		 recording_create(struct recording_req *q);
void		 recording_req_free(struct recording_req *q);

#endif
