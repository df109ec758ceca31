/*
 * iridium.c: the `iridium` tool for people writing Iridium programs.
 *
 *   iridium                  the REPL (libedit on a terminal, else plain
 *                            lines from standard input, for scripts)
 *   iridium run FILE         run source or an image; exit status per iridium(7)
 *   iridium asm FILE         assemble to an image
 *   iridium disasm FILE      an image back to source
 *   iridium check FILE       assemble only
 *
 * The language itself lives in the library (vm, asm, disasm, repl, run);
 * this file only reads files, parses the command line and talks to the
 * terminal. The one global is the SIGINT flag the REPL's poll callback
 * reads, so ^C interrupts a running program instead of killing the tool.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <histedit.h>
#include <limits.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wchar.h>

#include <jansson.h>

#include "asm.h"
#include "buf.h"
#include "disasm.h"
#include "image.h"
#include "isa.h"
#include "repl.h"
#include "run.h"
#include "vm.h"

/* Source files past this are refused before assembling (images: 32 KiB). */
#define CLI_SOURCE_MAX	(16 * 1024 * 1024)

static const char cli_usage[] =
"usage: iridium [--budget N] [--heap BYTES] [--stack N]\n"
"       iridium run [--budget N] [--heap BYTES] [--stack N]\n"
"                   [--state-json PATH] FILE\n"
"       iridium asm FILE.iasm [-o FILE.ir]\n"
"       iridium disasm FILE.ir\n"
"       iridium check FILE.iasm\n"
"       iridium --help | --version\n"
"\n"
"With no subcommand, iridium is the interactive REPL. When standard input\n"
"and output are a terminal it shows a banner and a prompt and edits lines\n"
"with history; ^C interrupts a running program (at the prompt it starts a\n"
"new line) and ^D leaves. Otherwise it reads lines from standard input and\n"
"writes only the REPL's output, with no banner and no prompts, so it can\n"
"be scripted:  printf 'load $1 #7\\n!registers\\n' | iridium\n"
"Type !help in the REPL for its commands.\n"
"\n"
"Subcommands:\n"
"  run FILE     run FILE: assembly source, or a program image (recognised\n"
"               by its magic \"EPIE\"); - reads standard input. The program's\n"
"               output goes to standard output, errors to standard error.\n"
"  asm FILE     assemble FILE into a program image\n"
"  disasm FILE  print the image FILE as source that assembles to the same\n"
"               bytes\n"
"  check FILE   assemble FILE and report its errors, writing nothing\n"
"               (an image is validated instead)\n"
"\n"
"Options:\n"
"  --budget N         instructions a run may execute; in the REPL, each\n"
"                     command (default 100000000)\n"
"  --heap BYTES       heap limit, at least 64 (default 1048576)\n"
"  --stack N          stack limit in entries, at least 1 (default 65536)\n"
"  --state-json PATH  run: write the final machine state to PATH as JSON\n"
"                     (- for standard output: one line after the output)\n"
"  -o PATH            asm: the image to write (default: FILE with .iasm\n"
"                     replaced by .ir; - for standard output)\n"
"  -h, --help         print this text\n"
"  --version          print the version\n"
"\n"
"Exit status:\n"
"  0   success; run: the program halted or reached the end of its code\n"
"  1   run: a runtime error; any command: an invalid image, a file that\n"
"      cannot be read or written\n"
"  2   run: the budget was spent\n"
"  64  usage error\n"
"  65  the assembly source has errors (nothing runs, nothing is written)\n";

/* Set by the SIGINT handler while the REPL runs or waits for a line. */
static volatile sig_atomic_t	cli_sigint;
static volatile sig_atomic_t	cli_sigwinch;

struct cli_limits {
	uint64_t	 budget;
	uint32_t	 heap;
	uint32_t	 stack;
	int		 given;
};

enum {
	OPT_BUDGET = 256,
	OPT_HEAP,
	OPT_STACK,
	OPT_STATE_JSON,
	OPT_VERSION,
};

static void __attribute__((format(printf, 1, 2)))
cli_warnx(const char *fmt, ...)
{
	va_list	 ap;

	fflush(stdout);
	fputs("iridium: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int __attribute__((format(printf, 1, 2)))
cli_usage_error(const char *fmt, ...)
{
	va_list	 ap;

	fputs("iridium: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'iridium --help' for usage.\n", stderr);
	return RUN_EXIT_USAGE;
}

/* A decimal number in min..max, or -1 after a usage message. */
static int
cli_number(const char *opt, const char *s, uint64_t min, uint64_t max,
    uint64_t *out)
{
	unsigned long long v;
	char		*end;

	if (*s < '0' || *s > '9') {
		cli_usage_error("%s: '%s' is not a decimal number", opt, s);
		return -1;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end != '\0') {
		cli_usage_error("%s: '%s' is not a decimal number", opt, s);
		return -1;
	}
	if (errno == ERANGE || v < min || v > max) {
		cli_usage_error("%s: %s is out of range (%llu..%llu)", opt, s,
		    (unsigned long long)min, (unsigned long long)max);
		return -1;
	}
	*out = v;
	return 0;
}

/* Handles a limits option; 0, or -1 after a usage message. */
static int
cli_limit_opt(struct cli_limits *lim, int opt, const char *arg)
{
	uint64_t	 v;

	switch (opt) {
	case OPT_BUDGET:
		if (cli_number("--budget", arg, 1, INT64_MAX, &v) == -1)
			return -1;
		lim->budget = v;
		break;
	case OPT_HEAP:
		if (cli_number("--heap", arg, VM_HEAP_INITIAL, UINT32_MAX,
		    &v) == -1)
			return -1;
		lim->heap = (uint32_t)v;
		break;
	case OPT_STACK:
		if (cli_number("--stack", arg, 1, UINT32_MAX, &v) == -1)
			return -1;
		lim->stack = (uint32_t)v;
		break;
	}
	lim->given = 1;
	return 0;
}

/* The usage message for getopt's '?' and ':' answers. */
static int
cli_bad_option(int c, char **argv)
{
	const char	*arg = argv[optind - 1];

	if (c == ':')
		return cli_usage_error("option %s needs a value", arg);
	if (optopt != 0 && optopt < 256)
		return cli_usage_error("unknown option -%c", optopt);
	return cli_usage_error("unknown option %s", arg);
}

static const char *
cli_name(const char *path)
{
	return strcmp(path, "-") == 0 ? "<stdin>" : path;
}

/*
 * Read path ("-": standard input) whole, refusing more than max bytes.
 * NULL after one line on stderr naming the file and the reason.
 */
static uint8_t *
cli_read(const char *path, size_t max, size_t *lenp)
{
	struct stat	 sb;
	uint8_t		*p = NULL, *np;
	size_t		 len = 0, cap = 0;
	ssize_t		 n;
	int		 fd;

	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		cli_warnx("%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &sb) == -1) {
		cli_warnx("%s: %s", cli_name(path), strerror(errno));
		goto fail;
	}
	if (S_ISDIR(sb.st_mode)) {
		cli_warnx("%s: is a directory", cli_name(path));
		goto fail;
	}
	if (S_ISREG(sb.st_mode) && (uintmax_t)sb.st_size > max) {
		cli_warnx("%s: too large (%jd bytes, at most %zu)",
		    cli_name(path), (intmax_t)sb.st_size, max);
		goto fail;
	}
	for (;;) {
		if (len == cap) {
			if (cap > max) {
				cli_warnx("%s: too large (over %zu bytes)",
				    cli_name(path), max);
				goto fail;
			}
			cap = cap != 0 ? cap * 2 : 65536;
			if ((np = realloc(p, cap)) == NULL) {
				cli_warnx("%s: %s", cli_name(path),
				    strerror(errno));
				goto fail;
			}
			p = np;
		}
		n = read(fd, p + len, cap - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			cli_warnx("%s: %s", cli_name(path), strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max) {
		cli_warnx("%s: too large (over %zu bytes)", cli_name(path),
		    max);
		goto fail;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	*lenp = len;
	return p != NULL ? p : calloc(1, 1);
fail:
	free(p);
	if (fd != STDIN_FILENO)
		close(fd);
	return NULL;
}

/* Write all of buf to fd; -1 with errno on failure. */
static int
cli_write_all(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Replace path with buf: a temporary file beside it, renamed over it, so
 * a failed write never leaves half an image behind. "-": standard output.
 */
static int
cli_write_file(const char *path, const void *buf, size_t len)
{
	char	*tmp = NULL, *slash;
	mode_t	 mask;
	int	 fd, e;

	if (strcmp(path, "-") == 0) {
		fflush(stdout);
		if (cli_write_all(STDOUT_FILENO, buf, len) == -1) {
			cli_warnx("standard output: %s", strerror(errno));
			return -1;
		}
		return 0;
	}
	slash = strrchr(path, '/');
	if (asprintf(&tmp, "%.*s.iridium.XXXXXX", slash != NULL ?
	    (int)(slash - path + 1) : 0, path) == -1) {
		cli_warnx("%s: %s", path, strerror(errno));
		return -1;
	}
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		cli_warnx("%s: %s", path, strerror(errno));
		free(tmp);
		return -1;
	}
	mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) == -1 ||
	    cli_write_all(fd, buf, len) == -1) {
		e = errno;
		close(fd);
		goto fail;
	}
	if (close(fd) == -1 || rename(tmp, path) == -1) {
		e = errno;
		goto fail;
	}
	free(tmp);
	return 0;
fail:
	cli_warnx("%s: %s", path, strerror(e));
	unlink(tmp);
	free(tmp);
	return -1;
}

/* --- run ---------------------------------------------------------------- */

struct cli_run {
	const char	*name;
	int		 out_failed;
	char		 last;		/* last byte of output, or '\n' */
};

static int
cli_run_output(void *arg, const uint8_t *buf, size_t len)
{
	struct cli_run	*c = arg;

	if (fwrite(buf, 1, len, stdout) != len) {
		c->out_failed = 1;
		return -1;
	}
	if (len > 0)
		c->last = (char)buf[len - 1];
	return 0;
}

static void
cli_run_message(void *arg, enum run_msg kind, const char *msg)
{
	struct cli_run	*c = arg;

	if (kind == RUN_MSG_ASM) {
		fflush(stdout);
		fprintf(stderr, "%s\n", msg);
	} else if (!c->out_failed)
		cli_warnx("%s: %s", c->name, msg);
}

/* On standard output the JSON gets a line of its own, after the output. */
static int
cli_state_json(const char *path, const struct run_result *res, char last)
{
	json_t	*j;
	char	*s;
	size_t	 len;
	int	 rv;

	if ((j = run_state_json(res)) == NULL ||
	    (s = json_dumps(j, 0)) == NULL) {
		json_decref(j);
		cli_warnx("%s: cannot make the state JSON: out of memory",
		    path);
		return -1;
	}
	json_decref(j);
	if (strcmp(path, "-") == 0 && last != '\n')
		fputc('\n', stdout);
	len = strlen(s);
	s[len] = '\n';	/* json_dumps' NUL: we write len + 1 bytes */
	rv = cli_write_file(path, s, len + 1);
	free(s);
	return rv;
}

static int
cmd_run(int argc, char **argv, const struct cli_limits *defaults)
{
	static const struct option opts[] = {
		{ "budget", required_argument, NULL, OPT_BUDGET },
		{ "heap", required_argument, NULL, OPT_HEAP },
		{ "stack", required_argument, NULL, OPT_STACK },
		{ "state-json", required_argument, NULL, OPT_STATE_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct cli_limits lim = *defaults;
	struct run_config cfg;
	struct run_result res;
	struct run_io	 io;
	struct cli_run	 c;
	const char	*json = NULL;
	uint8_t		*input;
	size_t		 len;
	int		 ch, status;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case OPT_BUDGET:
		case OPT_HEAP:
		case OPT_STACK:
			if (cli_limit_opt(&lim, ch, optarg) == -1)
				return RUN_EXIT_USAGE;
			break;
		case OPT_STATE_JSON:
			json = optarg;
			break;
		case 'h':
			fputs(cli_usage, stdout);
			return 0;
		default:
			return cli_bad_option(ch, argv);
		}
	}
	if (argc - optind != 1)
		return cli_usage_error("run takes one FILE");
	if ((input = cli_read(argv[optind], CLI_SOURCE_MAX, &len)) == NULL)
		return RUN_EXIT_ERROR;

	c.name = cli_name(argv[optind]);
	c.out_failed = 0;
	c.last = '\n';
	memset(&cfg, 0, sizeof(cfg));
	cfg.budget = lim.budget;
	cfg.heap_bytes = lim.heap;
	cfg.stack_depth = lim.stack;
	cfg.name = c.name;
	io.output = cli_run_output;
	io.message = cli_run_message;
	io.poll = NULL;		/* ^C keeps its default: it ends the tool */
	io.arg = &c;
	status = run_program(&cfg, &io, input, len, &res);
	free(input);

	if (fflush(stdout) == EOF || c.out_failed) {
		cli_warnx("standard output: %s", strerror(errno));
		if (status == RUN_EXIT_OK)
			status = RUN_EXIT_ERROR;
	}
	if (json != NULL && res.outcome != RUN_ASM_FAILED &&
	    cli_state_json(json, &res, c.last) == -1 &&
	    status == RUN_EXIT_OK)
		status = RUN_EXIT_ERROR;
	return status;
}

/* --- asm, disasm, check --------------------------------------------------- */

/* Assemble src (read from path); 0, or RUN_EXIT_* after saying why. */
static int
cli_assemble(const char *path, const uint8_t *src, size_t len,
    struct asm_prog *prog)
{
	struct asm_diags d;
	struct buf	 b;
	size_t		 i;
	char		 msg[1024];
	int		 rv = 0;

	if (image_has_magic(src, len)) {
		cli_warnx("%s: a program image, not assembly source",
		    cli_name(path));
		return RUN_EXIT_ASM;
	}
	asm_diags_init(&d);
	if (asm_source(prog, (const char *)src, len, &d) == -1) {
		if (d.n == 0)
			cli_warnx("%s: out of memory", cli_name(path));
		for (i = 0; i < d.n; i++) {
			asm_diag_format(msg, sizeof(msg), cli_name(path),
			    &d.v[i]);
			buf_init(&b, 0);
			if (run_escape(&b, msg, strlen(msg)) == 0 &&
			    b.data != NULL)
				fprintf(stderr, "%s\n", b.data);
			buf_free(&b);
		}
		rv = d.n == 0 ? RUN_EXIT_ERROR : RUN_EXIT_ASM;
	}
	asm_diags_free(&d);
	return rv;
}

/* FILE.iasm -> FILE.ir; anything else gets .ir appended. */
static char *
cli_image_path(const char *src)
{
	size_t	 len = strlen(src);
	char	*p;

	if (len > 5 && strcmp(src + len - 5, ".iasm") == 0) {
		if (asprintf(&p, "%.*s.ir", (int)(len - 5), src) == -1)
			return NULL;
	} else if (asprintf(&p, "%s.ir", src) == -1)
		return NULL;
	return p;
}

static int
cmd_asm(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct asm_prog	 prog;
	const char	*out = NULL;
	char		*def = NULL;
	uint8_t		*img, *src;
	size_t		 len;
	int		 ch, rv;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":ho:", opts, NULL)) != -1) {
		switch (ch) {
		case 'o':
			out = optarg;
			break;
		case 'h':
			fputs(cli_usage, stdout);
			return 0;
		default:
			return cli_bad_option(ch, argv);
		}
	}
	if (argc - optind != 1)
		return cli_usage_error("asm takes one FILE");
	if (out == NULL && strcmp(argv[optind], "-") == 0)
		return cli_usage_error("asm: reading standard input needs -o");
	if (out == NULL && (out = def = cli_image_path(argv[optind])) ==
	    NULL) {
		cli_warnx("%s", strerror(errno));
		return RUN_EXIT_ERROR;
	}
	if ((src = cli_read(argv[optind], CLI_SOURCE_MAX, &len)) == NULL) {
		free(def);
		return RUN_EXIT_ERROR;
	}
	asm_prog_init(&prog);
	if ((rv = cli_assemble(argv[optind], src, len, &prog)) == 0) {
		if ((img = asm_prog_build(&prog, &len)) == NULL) {
			cli_warnx("%s: out of memory", out);
			rv = RUN_EXIT_ERROR;
		} else {
			if (cli_write_file(out, img, len) == -1)
				rv = RUN_EXIT_ERROR;
			free(img);
		}
	}
	asm_prog_free(&prog);
	free(src);
	free(def);
	return rv;
}

static int
cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct asm_prog	 prog;
	struct image	 img;
	uint8_t		*buf;
	size_t		 len;
	char		 err[256];
	int		 ch, rv;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (ch != 'h')
			return cli_bad_option(ch, argv);
		fputs(cli_usage, stdout);
		return 0;
	}
	if (argc - optind != 1)
		return cli_usage_error("check takes one FILE");
	/* An image has nothing to assemble: check it as run would. */
	if ((buf = cli_read(argv[optind], CLI_SOURCE_MAX, &len)) == NULL)
		return RUN_EXIT_ERROR;
	if (image_has_magic(buf, len)) {
		rv = 0;
		if (image_parse(&img, buf, len, err, sizeof(err)) == -1) {
			cli_warnx("%s: %s", cli_name(argv[optind]), err);
			rv = RUN_EXIT_ERROR;
		}
	} else {
		asm_prog_init(&prog);
		rv = cli_assemble(argv[optind], buf, len, &prog);
		asm_prog_free(&prog);
	}
	free(buf);
	return rv;
}

static int
cmd_disasm(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct image	 img;
	struct buf	 out;
	uint8_t		*buf;
	size_t		 len;
	char		 err[256];
	int		 ch, rv = 0;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (ch != 'h')
			return cli_bad_option(ch, argv);
		fputs(cli_usage, stdout);
		return 0;
	}
	if (argc - optind != 1)
		return cli_usage_error("disasm takes one FILE");
	if ((buf = cli_read(argv[optind], CLI_SOURCE_MAX, &len)) == NULL)
		return RUN_EXIT_ERROR;
	buf_init(&out, 0);
	if (image_parse(&img, buf, len, err, sizeof(err)) == -1 ||
	    disasm_source(&out, &img, err, sizeof(err)) == -1) {
		cli_warnx("%s: %s", cli_name(argv[optind]), err);
		rv = RUN_EXIT_ERROR;
	} else if (fwrite(out.data, 1, out.len, stdout) != out.len ||
	    fflush(stdout) == EOF) {
		cli_warnx("standard output: %s", strerror(errno));
		rv = RUN_EXIT_ERROR;
	}
	buf_free(&out);
	free(buf);
	return rv;
}

/* --- the REPL ------------------------------------------------------------ */

struct cli_term {
	EditLine	*el;
	History		*hist;
	struct repl	*repl;
	sigset_t	 waitmask;	/* the mask while waiting for input */
	mbstate_t	 mbs;
	int		 cancelled;	/* ^C ended the line being edited */
};

static void
cli_on_signal(int sig)
{
	if (sig == SIGINT)
		cli_sigint = 1;
	else
		cli_sigwinch = 1;
}

static int
cli_repl_write(void *arg, const char *buf, size_t len)
{
	(void)arg;
	return fwrite(buf, 1, len, stdout) == len ? 0 : -1;
}

/* Plain mode: make long-running output visible as it comes. */
static enum repl_poll
cli_plain_poll(void *arg)
{
	(void)arg;
	return fflush(stdout) == EOF ? REPL_POLL_HANGUP : REPL_POLL_GO;
}

static enum repl_poll
cli_term_poll(void *arg)
{
	(void)arg;
	if (fflush(stdout) == EOF)
		return REPL_POLL_HANGUP;
	if (cli_sigint) {
		cli_sigint = 0;
		/* The terminal echoed ^C where the output stopped. */
		fputc('\n', stdout);
		return REPL_POLL_INTERRUPT;
	}
	return REPL_POLL_GO;
}

static char *
cli_term_prompt(EditLine *el)
{
	struct cli_term	*t;

	el_get(el, EL_CLIENTDATA, &t);
	/* libedit wants char *; it never writes through it. */
	return (char *)(uintptr_t)repl_prompt(t->repl);
}

/*
 * libedit's character source. SIGINT and SIGWINCH are blocked except
 * inside ppoll(), so a ^C is never lost between the flag check and the
 * wait. A ^C ends the line as if Enter was pressed, marked cancelled.
 */
static int
cli_term_getc(EditLine *el, wchar_t *wc)
{
	struct cli_term	*t;
	struct pollfd	 pfd;
	unsigned char	 c;
	ssize_t		 n;
	size_t		 r;

	el_get(el, EL_CLIENTDATA, &t);
	for (;;) {
		if (cli_sigint) {
			cli_sigint = 0;
			t->cancelled = 1;
			memset(&t->mbs, 0, sizeof(t->mbs));
			*wc = L'\n';
			return 1;
		}
		if (cli_sigwinch) {
			cli_sigwinch = 0;
			el_resize(el);
		}
		pfd.fd = STDIN_FILENO;
		pfd.events = POLLIN;
		if (ppoll(&pfd, 1, NULL, &t->waitmask) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		n = read(STDIN_FILENO, &c, 1);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return (int)n;
		r = mbrtowc(wc, (const char *)&c, 1, &t->mbs);
		if (r == (size_t)-2)
			continue;
		if (r == (size_t)-1) {
			/* Not in the locale's charset: pass the byte on. */
			memset(&t->mbs, 0, sizeof(t->mbs));
			*wc = (wchar_t)c;
		}
		return 1;
	}
}

static int
cli_repl_term(struct cli_term *t)
{
	enum repl_result res = REPL_CONTINUE;
	struct sigaction sa;
	sigset_t	 block, old;
	HistEvent	 ev;
	const char	*line;
	size_t		 len;
	int		 count;

	memset(&sa, 0, sizeof(sa));
	/*
	 * SA_RESTART so a ^C during a write to a busy terminal does not fail
	 * the write (and end the session); ppoll() is never restarted, so
	 * it still wakes up for the signal.
	 */
	sa.sa_handler = cli_on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGWINCH, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGWINCH);
	sigprocmask(SIG_BLOCK, &block, &old);
	t->waitmask = old;
	sigdelset(&t->waitmask, SIGINT);
	sigdelset(&t->waitmask, SIGWINCH);

	if ((t->hist = history_init()) == NULL ||
	    (t->el = el_init("iridium", stdin, stdout, stderr)) == NULL) {
		cli_warnx("cannot set up line editing");
		if (t->hist != NULL)
			history_end(t->hist);
		sigprocmask(SIG_SETMASK, &old, NULL);
		return RUN_EXIT_ERROR;
	}
	history(t->hist, &ev, H_SETSIZE, 1000);
	history(t->hist, &ev, H_SETUNIQUE, 1);
	el_set(t->el, EL_EDITOR, "emacs");
	el_set(t->el, EL_CLIENTDATA, t);
	el_set(t->el, EL_PROMPT, cli_term_prompt);
	el_set(t->el, EL_HIST, history, t->hist);
	el_set(t->el, EL_GETCFN, cli_term_getc);
	el_source(t->el, NULL);		/* the user's ~/.editrc */

	printf("%s\n", REPL_BANNER);
	while (res == REPL_CONTINUE) {
		t->cancelled = 0;
		line = el_gets(t->el, &count);
		if (t->cancelled)
			continue;
		if (line == NULL || count <= 0) {
			fputc('\n', stdout);	/* ^D: leave the shell a line */
			break;
		}
		len = strlen(line);
		if (len > 0 && line[len - 1] == '\n')
			len--;
		if (len > 0)
			history(t->hist, &ev, H_ENTER, line);
		/* ^C now interrupts the program instead of the editing. */
		cli_sigint = 0;
		sigemptyset(&block);
		sigaddset(&block, SIGINT);
		sigprocmask(SIG_UNBLOCK, &block, NULL);
		res = repl_feed(t->repl, line, len);
		fflush(stdout);
		sigprocmask(SIG_BLOCK, &block, NULL);
		cli_sigint = 0;
	}
	el_end(t->el);
	history_end(t->hist);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return res == REPL_HANGUP ? RUN_EXIT_ERROR : 0;
}

static int
cli_repl_plain(struct repl *repl)
{
	enum repl_result res = REPL_CONTINUE;
	char		*line = NULL;
	size_t		 cap = 0, len;
	ssize_t		 n;

	while (res == REPL_CONTINUE &&
	    (n = getline(&line, &cap, stdin)) != -1) {
		len = (size_t)n;
		if (len > 0 && line[len - 1] == '\n')
			len--;
		if (len > 0 && line[len - 1] == '\r')
			len--;
		res = repl_feed(repl, line, len);
		if (fflush(stdout) == EOF)
			res = REPL_HANGUP;
	}
	free(line);
	if (ferror(stdin)) {
		cli_warnx("standard input: %s", strerror(errno));
		return RUN_EXIT_ERROR;
	}
	return res == REPL_HANGUP ? RUN_EXIT_ERROR : 0;
}

static int
cmd_repl(const struct cli_limits *lim)
{
	struct repl_config cfg;
	struct repl_io	 io;
	struct cli_term	 t;
	int		 tty, rv;

	tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	memset(&cfg, 0, sizeof(cfg));
	cfg.budget = lim->budget;
	cfg.heap_bytes = lim->heap;
	cfg.stack_depth = lim->stack;
	cfg.local = 1;
	memset(&io, 0, sizeof(io));
	io.write = cli_repl_write;
	io.poll = tty ? cli_term_poll : cli_plain_poll;
	if ((t.repl = repl_new(&cfg, &io)) == NULL) {
		cli_warnx("cannot start the REPL: out of memory");
		return RUN_EXIT_ERROR;
	}
	if (tty) {
		setlocale(LC_CTYPE, "");
		memset(&t.mbs, 0, sizeof(t.mbs));
		t.hist = NULL;
		t.el = NULL;
		rv = cli_repl_term(&t);
	} else
		rv = cli_repl_plain(t.repl);
	if (rv != 0 && ferror(stdout))
		cli_warnx("standard output: write error");
	repl_free(t.repl);
	return rv;
}

/* --- main ---------------------------------------------------------------- */

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "budget", required_argument, NULL, OPT_BUDGET },
		{ "heap", required_argument, NULL, OPT_HEAP },
		{ "stack", required_argument, NULL, OPT_STACK },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 }
	};
	struct cli_limits lim = {
		VM_DEFAULT_BUDGET, VM_DEFAULT_HEAP, VM_DEFAULT_STACK, 0
	};
	const char	*cmd;
	int		 ch;

	/* A closed pipe is a write error to report, not a silent death. */
	signal(SIGPIPE, SIG_IGN);
	opterr = 0;
	/* '+': stop at the subcommand; its options are its own. */
	while ((ch = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		switch (ch) {
		case OPT_BUDGET:
		case OPT_HEAP:
		case OPT_STACK:
			if (cli_limit_opt(&lim, ch, optarg) == -1)
				return RUN_EXIT_USAGE;
			break;
		case 'h':
			fputs(cli_usage, stdout);
			return fflush(stdout) == EOF ? RUN_EXIT_ERROR : 0;
		case OPT_VERSION:
			printf("iridium %s\n", IRIDIUM_VERSION);
			return fflush(stdout) == EOF ? RUN_EXIT_ERROR : 0;
		default:
			return cli_bad_option(ch, argv);
		}
	}
	if (optind == argc)
		return cmd_repl(&lim);
	cmd = argv[optind];
	argc -= optind;
	argv += optind;
	if (strcmp(cmd, "run") == 0)
		return cmd_run(argc, argv, &lim);
	if (lim.given)
		return cli_usage_error("--budget, --heap and --stack belong to "
		    "the REPL or to run, not to %s", cmd);
	if (strcmp(cmd, "asm") == 0)
		return cmd_asm(argc, argv);
	if (strcmp(cmd, "disasm") == 0)
		return cmd_disasm(argc, argv);
	if (strcmp(cmd, "check") == 0)
		return cmd_check(argc, argv);
	if (strcmp(cmd, "help") == 0) {
		fputs(cli_usage, stdout);
		return 0;
	}
	return cli_usage_error("unknown subcommand '%s'", cmd);
}
