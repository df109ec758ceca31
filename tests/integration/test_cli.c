/*
 * test_cli.c: the real `iridium` binary ($IRIDIUM_BUILD/iridium), run as
 * a user runs it: arguments, standard input, standard output and error
 * kept apart, the exit status. Covers --help/--version, usage errors,
 * run/asm/disasm/check with every exit status of iridium(1), the
 * state JSON, crafted bad images and every example in contrib/examples
 * with its known output. The REPL has test_cli_repl.c.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "vmstate.h"

#define A(s)	CLI_ARG(s)

/* snprintf into an array, failing the test rather than truncating. */
#define FMT(a, ...)	cr_assert_lt(snprintf((a), sizeof(a), __VA_ARGS__), \
			    (int)sizeof(a), "path too long")

static char	 tmpdir[64];

static void
setup(void)
{
	(void)cli_bin();
	strcpy(tmpdir, "/tmp/iridium-cli-XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
}

static void
teardown(void)
{
	struct dirent	*de;
	DIR		*d;
	char		 p[4096];

	if ((d = opendir(tmpdir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		FMT(p, "%s/%s", tmpdir, de->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(tmpdir);
}

TestSuite(cli, .init = setup, .fini = teardown);

/* A path in the test's temporary directory (static: one at a time each). */
static const char *
tmp(const char *name)
{
	static char	 p[4][4096];
	static int	 i;

	i = (i + 1) % 4;
	FMT(p[i], "%s/%s", tmpdir, name);
	return p[i];
}

#define example(name)	cli_example(name)

static void
put_file(const char *path, const void *data, size_t len)
{
	int	 fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void
put_text(const char *path, const char *text)
{
	put_file(path, text, strlen(text));
}

static char *
get_file(const char *path, size_t *lenp)
{
	struct stat	 sb;
	char		*p;
	int		 fd = open(path, O_RDONLY);

	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(fstat(fd, &sb), 0);
	p = malloc((size_t)sb.st_size + 1);
	cr_assert_eq(read(fd, p, (size_t)sb.st_size), sb.st_size);
	p[sb.st_size] = '\0';
	close(fd);
	*lenp = (size_t)sb.st_size;
	return p;
}

#define RUN(p, ...) do {						\
	char *const args_[] = { __VA_ARGS__, NULL };			\
	cli_run((p), NULL, 0, 0, args_);				\
} while (0)

#define RUN_IN(p, in, ...) do {						\
	char *const args_[] = { __VA_ARGS__, NULL };			\
	cli_run((p), (in), strlen(in), 0, args_);			\
} while (0)


#define proc_free(p)	cli_proc_free(p)

static void
expect(struct cli_proc *p, int status, const char *out, const char *err)
{
	cr_assert_eq(p->status, status, "status %d, want %d; stderr:\n%s",
	    p->status, status, p->err.data);
	if (out != NULL)
		cr_assert_str_eq(p->out.data, out);
	if (err != NULL)
		cr_assert_str_eq(p->err.data, err);
}

/* stderr is exactly one line that holds every given piece. */
static void
one_line(struct cli_proc *p, ...)
{
	va_list		 ap;
	const char	*piece;
	const char	*e = p->err.data;

	cr_assert_gt(p->err.len, 0, "nothing on stderr");
	cr_assert_eq(e[p->err.len - 1], '\n', "stderr: %s", e);
	cr_assert_eq(strchr(e, '\n'), e + p->err.len - 1,
	    "more than one line on stderr:\n%s", e);
	va_start(ap, p);
	while ((piece = va_arg(ap, const char *)) != NULL)
		cr_assert_not_null(strstr(e, piece), "stderr lacks '%s': %s",
		    piece, e);
	va_end(ap);
}

/* --- general ---------------------------------------------------------------- */

Test(cli, version_prints_the_build_version)
{
	struct cli_proc	 p;

	RUN(&p, A("--version"));
	expect(&p, 0, "iridium " IRIDIUM_VERSION "\n", "");
	proc_free(&p);
}

Test(cli, help_documents_subcommands_defaults_and_statuses)
{
	static const char *const want[] = {
		"iridium run", "iridium asm", "iridium disasm",
		"iridium check", "--budget N", "--heap BYTES", "--stack N",
		"--state-json PATH", "-o PATH", "--version", "100000000",
		"1048576", "65536", "no banner and no prompts", "Exit status",
		"  0 ", "  1 ", "  2 ", "  64 ", "  65 ", NULL
	};
	struct cli_proc	 p;
	size_t		 i;

	RUN(&p, A("--help"));
	expect(&p, 0, NULL, "");
	for (i = 0; want[i] != NULL; i++)
		cr_assert_not_null(strstr(p.out.data, want[i]),
		    "--help lacks '%s'", want[i]);
	proc_free(&p);
	RUN(&p, A("run"), A("--help"));
	expect(&p, 0, NULL, "");
	cr_assert_not_null(strstr(p.out.data, "usage: iridium"));
	proc_free(&p);
}

Test(cli, usage_errors_exit_64)
{
	static const char *const cases[][4] = {
		{ "--frob", NULL },
		{ "frob", NULL },
		{ "run", NULL },
		{ "run", "a.iasm", "b.iasm", NULL },
		{ "run", "--budget", "abc", "x" },
		{ "run", "--budget", "-1", "x" },
		{ "run", "--budget", "0", "x" },
		{ "run", "--budget", "99999999999999999999", "x" },
		{ "run", "--heap", "63", "x" },
		{ "run", "--heap", "4294967296", "x" },
		{ "run", "--heap", "1k", "x" },
		{ "run", "--stack", "0", "x" },
		{ "run", "--stack", "", "x" },
		{ "run", "x", "--budget", NULL },
		{ "--budget", "5", "asm", "x" },
		{ "asm", NULL },
		{ "asm", "-", NULL },
		{ "disasm", NULL },
		{ "check", "a", "b", NULL },
		{ "check", "--frob", "a", NULL },
		{ "--heap", "12", NULL },
	};
	struct cli_proc	 p;
	char		*args[5];
	size_t		 i, j;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (j = 0; j < 4 && cases[i][j] != NULL; j++)
			args[j] = A(cases[i][j]);
		args[j] = NULL;
		cli_run(&p, NULL, 0, 0, args);
		cr_assert_eq(p.status, 64, "case %zu (%s %s): status %d", i,
		    cases[i][0], cases[i][1] ? cases[i][1] : "", p.status);
		cr_assert_str_eq(p.out.data, "", "case %zu", i);
		cr_assert_eq(strncmp(p.err.data, "iridium: ", 9), 0,
		    "case %zu: %s", i, p.err.data);
		cr_assert_not_null(strstr(p.err.data, "--help"), "case %zu",
		    i);
		proc_free(&p);
	}
}

/* --- run ---------------------------------------------------------------------- */

static const struct {
	const char	*file;
	const char	*out;
} example_runs[] = {
	{ "hello.iasm", "Hello, World!\n" },
	{ "count.iasm", "counting to 5 with INC/LT/DJMPE: *****\n"
	    "counting to 3 with CLOOP/LOOP: ***\n" },
	{ "call.iasm", "main: calling sum_of_squares(3, 4)\n"
	    "sum_of_squares: calling square twice\n"
	    "main: back with 25 in $3\n" },
	{ "factorial.iasm", "0! = 1\n1! = 1\n2! = 2\n3! = 6\n4! = 24\n"
	    "5! = 120\n6! = 720\n7! = 5040\n8! = 40320\n9! = 362880\n"
	    "10! = 3628800\n11! = 39916800\n12! = 479001600\n" },
	{ "heap.iasm", "the squares of 0..9 add up to 285\n" },
	{ "float.iasm", "22/7 > 3: yes\n1/3 * 3 == 1: yes\n"
	    "1/0 > 1000000: yes\n0/0 == 0/0: no\n" },
	{ "stack.iasm", "5 4 3 2 1 liftoff!\n" },
};

Test(cli, every_example_runs_with_its_known_output)
{
	struct cli_proc	 p;
	struct dirent	*de;
	DIR		*d;
	size_t		 i, n = 0, found;

	for (i = 0; i < sizeof(example_runs) / sizeof(example_runs[0]); i++) {
		RUN(&p, A("run"), A(example(example_runs[i].file)));
		cr_assert_eq(p.status, 0, "%s: status %d: %s",
		    example_runs[i].file, p.status, p.err.data);
		cr_assert_str_eq(p.out.data, example_runs[i].out, "%s",
		    example_runs[i].file);
		cr_assert_str_eq(p.err.data, "");
		proc_free(&p);
	}
	/* Every example in the folder is in the table above. */
	cr_assert_not_null(d = opendir(cli_examples()));
	while ((de = readdir(d)) != NULL) {
		if (strstr(de->d_name, ".iasm") == NULL)
			continue;
		n++;
		found = 0;
		for (i = 0; i < sizeof(example_runs) /
		    sizeof(example_runs[0]); i++)
			found |= strcmp(de->d_name, example_runs[i].file) == 0;
		cr_assert(found, "%s has no expected output here", de->d_name);
	}
	closedir(d);
	cr_assert_eq(n, sizeof(example_runs) / sizeof(example_runs[0]));
}

Test(cli, standard_input_serves_run_check_and_asm)
{
	const char	*img = tmp("stdin.ir");
	struct cli_proc	 p;

	RUN_IN(&p, ".data\nm: .asciiz 'piped'\n.code\nprts @m\n", A("run"),
	    A("-"));
	expect(&p, 0, "piped", "");
	proc_free(&p);
	RUN_IN(&p, "hlt\nbad\n", A("run"), A("-"));
	expect(&p, 65, "", NULL);
	cr_assert_eq(strncmp(p.err.data, "<stdin>:2:1: ", 13), 0, "%s",
	    p.err.data);
	proc_free(&p);
	RUN_IN(&p, "hlt\nbad\n", A("check"), A("-"));
	expect(&p, 65, "", NULL);
	proc_free(&p);
	RUN_IN(&p, "hlt\n", A("check"), A("-"));
	expect(&p, 0, "", "");
	proc_free(&p);
	RUN_IN(&p, ".data\nm: .asciiz 'ir'\n.code\nprts @m\n", A("asm"),
	    A("-o"), A(img), A("-"));
	expect(&p, 0, "", "");
	proc_free(&p);
	RUN(&p, A("run"), A(img));
	expect(&p, 0, "ir", "");
	proc_free(&p);
}

Test(cli, runtime_error_exits_1_with_output_and_error_apart)
{
	const char	*f = tmp("div.iasm");
	char		 want[4200];
	struct cli_proc	 p;
	static const char src[] = ".data\nm: .asciiz 'before\\n'\n.code\n"
	    "prts @m\nload $1 #1\ndiv $1 $0 $2\nprts @m\n";

	put_file(f, src, strlen(src));
	RUN(&p, A("run"), A(f));
	FMT(want, "iridium: %s: division by zero at pc "
	    "84\n", f);
	expect(&p, 1, "before\n", want);
	proc_free(&p);
}

Test(cli, spent_budget_exits_2)
{
	const char	*f = tmp("spin.iasm");
	char		 want[4200];
	struct cli_proc	 p;

	put_text(f, "load $4 #4\njmpb $4\n");
	RUN(&p, A("run"), A("--budget"), A("100"), A(f));
	FMT(want, "iridium: %s: budget of 100 "
	    "instructions spent at pc 72\n", f);
	expect(&p, 2, "", want);
	proc_free(&p);
	/* Options after the file work too; the default budget ends it. */
	RUN(&p, A("run"), A(f), A("--budget=5"));
	expect(&p, 2, "", NULL);
	proc_free(&p);
}

Test(cli, heap_and_stack_limits_apply)
{
	const char	*f = tmp("grow.iasm");
	struct cli_proc	 p;

	put_text(f, "load $1 #100\naloc $1\npush $1\npush $1\n");
	RUN(&p, A("run"), A("--heap"), A("164"), A("--stack"), A("2"), A(f));
	expect(&p, 0, "", "");
	proc_free(&p);
	RUN(&p, A("run"), A("--heap"), A("163"), A(f));
	cr_assert_eq(p.status, 1);
	one_line(&p, "at pc 72", NULL);
	proc_free(&p);
	RUN(&p, A("run"), A("--stack"), A("1"), A(f));
	cr_assert_eq(p.status, 1);
	one_line(&p, "stack overflow", "at pc 80", NULL);
	proc_free(&p);
	/* Limits before `run` serve as its defaults. */
	RUN(&p, A("--stack"), A("1"), A("run"), A(f));
	cr_assert_eq(p.status, 1);
	proc_free(&p);
}

Test(cli, assembly_errors_exit_65_and_write_no_state)
{
	const char	*f = tmp("bad.iasm");
	const char	*j = tmp("state.json");
	struct cli_proc	 p;
	char		 want[4200];

	put_text(f, "hlt\nload $1\nfrob\n");
	RUN(&p, A("run"), A("--state-json"), A(j), A(f));
	cr_assert_eq(p.status, 65);
	cr_assert_str_eq(p.out.data, "");
	FMT(want, "%s:2:1: ", f);
	cr_assert_eq(strncmp(p.err.data, want, strlen(want)), 0, "%s",
	    p.err.data);
	FMT(want, "\n%s:3:1: ", f);
	cr_assert_not_null(strstr(p.err.data, want), "%s", p.err.data);
	cr_assert_neq(access(j, F_OK), 0, "state written after asm failure");
	proc_free(&p);
}

Test(cli, unreadable_inputs_exit_1_with_one_line)
{
	const char	*big = tmp("big.iasm");
	struct cli_proc	 p;
	int		 fd;

	RUN(&p, A("run"), A("/nonexistent/prog.iasm"));
	cr_assert_eq(p.status, 1);
	one_line(&p, "iridium: /nonexistent/prog.iasm: No such file or "
	    "directory", NULL);
	proc_free(&p);

	RUN(&p, A("run"), A(tmpdir));
	cr_assert_eq(p.status, 1);
	one_line(&p, tmpdir, "is a directory", NULL);
	proc_free(&p);

	fd = open(big, O_WRONLY | O_CREAT, 0644);
	cr_assert_eq(ftruncate(fd, 16 * 1024 * 1024 + 1), 0);
	close(fd);
	RUN(&p, A("run"), A(big));
	cr_assert_eq(p.status, 1);
	one_line(&p, big, "too large", NULL);
	proc_free(&p);

	RUN(&p, A("check"), A(big));
	cr_assert_eq(p.status, 1);
	proc_free(&p);
	RUN(&p, A("disasm"), A("/nonexistent.ir"));
	cr_assert_eq(p.status, 1);
	one_line(&p, "/nonexistent.ir", NULL);
	proc_free(&p);
}

/* An image: header, RO length, then the given body. */
static size_t
image(uint8_t *buf, uint32_t ro_len, const void *body, size_t blen)
{
	memset(buf, 0, 68);
	memcpy(buf, "EPIE", 4);
	buf[64] = (uint8_t)ro_len;
	buf[65] = (uint8_t)(ro_len >> 8);
	memcpy(buf + 68, body, blen);
	return 68 + blen;
}

Test(cli, bad_images_exit_1_with_one_line_naming_the_problem)
{
	static uint8_t	 big[40000];
	uint8_t		 img[128];
	const char	*f = tmp("bad.ir");
	const char	*j = tmp("bad.json");
	struct cli_proc	 p;
	json_t		*doc;
	size_t		 len;
	const char	*sub[] = { "run", "disasm", "check" };
	int		 i;

	for (i = 0; i < 3; i++) {
		put_file(f, "EPIE\0\0\0\0\0\0\0\0", 12);
		RUN(&p, A(sub[i]), A(f));
		cr_assert_eq(p.status, 1, "%s", sub[i]);
		one_line(&p, f, "image too short (12 bytes", NULL);
		cr_assert_str_eq(p.out.data, "");
		proc_free(&p);

		len = image(img, 0, "\5\0\0\0", 4);
		img[30] = 1;
		put_file(f, img, len);
		RUN(&p, A(sub[i]), A(f));
		cr_assert_eq(p.status, 1, "%s", sub[i]);
		one_line(&p, f, "offset 30", NULL);
		proc_free(&p);

		len = image(img, 8, "\5\0\0\0", 4);
		put_file(f, img, len);
		RUN(&p, A(sub[i]), A(f));
		cr_assert_eq(p.status, 1, "%s", sub[i]);
		one_line(&p, f, "runs past the end", NULL);
		proc_free(&p);

		len = image(img, 2, "\5\0\0\0", 4);
		put_file(f, img, len);
		RUN(&p, A(sub[i]), A(f));
		cr_assert_eq(p.status, 1, "%s", sub[i]);
		one_line(&p, f, "not a multiple of 4", NULL);
		proc_free(&p);

		len = image(img, 0, "\5\0\0\0\5\0", 6);
		put_file(f, img, len);
		RUN(&p, A(sub[i]), A(f));
		cr_assert_eq(p.status, 1, "%s", sub[i]);
		one_line(&p, f, "6 bytes", "4-byte instructions", NULL);
		proc_free(&p);

		image(big, 0, "", 0);
		put_file(f, big, sizeof(big));
		RUN(&p, A(sub[i]), A(f));
		cr_assert_eq(p.status, 1, "%s", sub[i]);
		one_line(&p, f, "image too large (40000 bytes", NULL);
		proc_free(&p);
	}

	/* Without the magic it is source to run, but no image to disasm. */
	memset(img, 0, 72);
	memcpy(img, "EPIX", 4);
	put_file(f, img, 72);
	RUN(&p, A("disasm"), A(f));
	cr_assert_eq(p.status, 1);
	one_line(&p, f, "bad magic", NULL);
	proc_free(&p);

	/* The state of an invalid image: status error and the message. */
	put_text(f, "EPIE");
	RUN(&p, A("run"), A("--state-json"), A(j), A(f));
	cr_assert_eq(p.status, 1);
	doc = json_load_file(j, 0, NULL);
	cr_assert_not_null(doc);
	cr_assert_str_eq(json_string_value(json_object_get(doc, "status")),
	    "error");
	cr_assert_not_null(strstr(json_string_value(json_object_get(doc,
	    "error")), "image too short (4 bytes"));
	json_decref(doc);
	proc_free(&p);
}

Test(cli, disasm_refuses_what_it_cannot_represent)
{
	uint8_t		 img[80];
	const char	*f = tmp("odd.ir");
	struct cli_proc	 p;
	size_t		 len;

	len = image(img, 0, "\5\0\0\0\143\0\0\0", 8);	/* byte 99 */
	put_file(f, img, len);
	RUN(&p, A("disasm"), A(f));
	cr_assert_eq(p.status, 1);
	one_line(&p, f, "72", NULL);
	cr_assert_str_eq(p.out.data, "");
	proc_free(&p);
	/* run takes it: the bad instruction is never reached. */
	RUN(&p, A("run"), A(f));
	expect(&p, 0, "", "");
	proc_free(&p);
}

/* --- the state JSON ------------------------------------------------------------ */

static json_t *
parse(const char *text)
{
	json_error_t	 e;
	json_t		*j = json_loads(text, 0, &e);

	cr_assert_not_null(j, "bad JSON (%s): %s", e.text, text);
	return j;
}

Test(cli, state_json_to_stdout_follows_the_output)
{
	static const struct vmstate_want vm = { .status = "halted",
	    .pc = 240, .instructions = 39, .equal_flag = false,
	    .heap_bytes = 64 };
	const char	*want = "22/7 > 3: yes\n1/3 * 3 == 1: yes\n"
	    "1/0 > 1000000: yes\n0/0 == 0/0: no\n";
	struct cli_proc	 p;
	json_t		*j, *f;

	RUN(&p, A("run"), A("--state-json"), A("-"),
	    A(example("float.iasm")));
	expect(&p, 0, NULL, "");
	cr_assert_eq(strncmp(p.out.data, want, strlen(want)), 0, "%s",
	    p.out.data);
	cr_assert_eq(p.out.data[p.out.len - 1], '\n');
	j = parse(p.out.data + strlen(want));
	vmstate_assert(j, &vm);
	f = json_object_get(j, "float_registers");
	cr_assert_str_eq(json_string_value(json_array_get(f, 8)), "inf");
	cr_assert_str_eq(json_string_value(json_array_get(f, 9)), "-inf");
	cr_assert_str_eq(json_string_value(json_array_get(f, 10)), "nan");
	cr_assert_eq(json_number_value(json_array_get(f, 4)), 22.0);
	cr_assert_eq(json_number_value(json_array_get(f, 6)), 1.0 / 3.0);
	cr_assert_eq(json_number_value(json_array_get(f, 11)), 1e6);
	cr_assert_eq(json_number_value(json_array_get(f, 12)), -1.0);
	cr_assert(json_is_real(json_array_get(f, 31)));
	json_decref(j);
	proc_free(&p);
}

Test(cli, state_json_to_a_file_for_each_outcome)
{
	static const struct vmstate_want fault = { .status = "error",
	    .error = "division by zero at pc 92", .pc = 92, .instructions = 7,
	    .equal_flag = true, .remainder = -1, .loop_counter = 5,
	    .heap_bytes = 64, .stack_depth = 1 };
	const char	*j = tmp("s.json");
	const char	*f = tmp("p.iasm");
	struct cli_proc	 p;
	json_t		*doc, *r;

	RUN(&p, A("run"), A("--state-json"), A(j), A(example("heap.iasm")));
	expect(&p, 0, "the squares of 0..9 add up to 285\n", "");
	doc = json_load_file(j, 0, NULL);
	cr_assert_not_null(doc);
	r = json_object_get(doc, "registers");
	cr_assert_eq(json_integer_value(json_array_get(r, 12)), 285);
	cr_assert_eq(json_integer_value(json_object_get(doc, "heap_bytes")),
	    104);
	json_decref(doc);
	proc_free(&p);

	put_text(f, "load $1 #-7\nload $2 #2\ndiv $1 $2 $3\neq $3 $3\n"
	    "cloop #5\npush $1\ndiv $1 $0 $1\n");
	RUN(&p, A("run"), A("--state-json"), A(j), A(f));
	cr_assert_eq(p.status, 1);
	doc = json_load_file(j, 0, NULL);
	cr_assert_not_null(doc);
	vmstate_assert(doc, &fault);
	r = json_object_get(doc, "registers");
	cr_assert_eq(json_integer_value(json_array_get(r, 1)), -7);
	cr_assert_eq(json_integer_value(json_array_get(r, 3)), -3);
	json_decref(doc);
	proc_free(&p);

	put_text(f, "load $4 #4\njmpb $4\n");
	RUN(&p, A("run"), A("--budget"), A("10"), A("--state-json"), A(j),
	    A(f));
	cr_assert_eq(p.status, 2);
	doc = json_load_file(j, 0, NULL);
	cr_assert_str_eq(json_string_value(json_object_get(doc, "status")),
	    "budget");
	cr_assert(json_is_null(json_object_get(doc, "error")));
	cr_assert_eq(json_integer_value(json_object_get(doc,
	    "instructions")), 10);
	json_decref(doc);
	proc_free(&p);

	put_text(f, "load $1 #1\n");
	RUN(&p, A("run"), A("--state-json"), A(j), A(f));
	cr_assert_eq(p.status, 0);
	doc = json_load_file(j, 0, NULL);
	cr_assert_str_eq(json_string_value(json_object_get(doc, "status")),
	    "end");
	json_decref(doc);
	proc_free(&p);

	RUN(&p, A("run"), A("--state-json"), A("/nonexistent/dir/s.json"),
	    A(f));
	cr_assert_eq(p.status, 1);
	one_line(&p, "/nonexistent/dir/s.json", NULL);
	proc_free(&p);
}

Test(cli, closed_stdout_is_an_error_not_a_crash)
{
	struct cli_proc	 p;
	char *const	 args[] = { A("run"), A(example("factorial.iasm")),
	    NULL };

	cli_run(&p, NULL, 0, 1, args);
	cr_assert_eq(p.status, 1);
	one_line(&p, "standard output", NULL);
	proc_free(&p);
}

/* --- asm, disasm, check ----------------------------------------------------------- */

Test(cli, asm_writes_an_image_that_runs_the_same)
{
	const char	*src = tmp("hello.iasm");
	const char	*img = tmp("hello.ir");
	const char	*other = tmp("other.bin");
	char		*text, *a, *b;
	size_t		 len, alen, blen;
	struct cli_proc	 p;

	text = get_file(example("hello.iasm"), &len);
	put_file(src, text, len);
	free(text);
	RUN(&p, A("asm"), A(src));
	expect(&p, 0, "", "");
	proc_free(&p);
	a = get_file(img, &alen);
	cr_assert_eq(memcmp(a, "EPIE", 4), 0);
	RUN(&p, A("run"), A(img));
	expect(&p, 0, "Hello, World!\n", "");
	proc_free(&p);

	RUN(&p, A("asm"), A("-o"), A(other), A(src));
	expect(&p, 0, "", "");
	proc_free(&p);
	b = get_file(other, &blen);
	cr_assert_eq(alen, blen);
	cr_assert_eq(memcmp(a, b, alen), 0);
	free(b);
	free(a);

	/* An image is no source. */
	RUN(&p, A("asm"), A("-o"), A(other), A(img));
	cr_assert_eq(p.status, 65);
	one_line(&p, img, "image", NULL);
	proc_free(&p);
}

Test(cli, asm_and_check_report_errors_with_65)
{
	const char	*src = tmp("e.iasm");
	const char	*out = tmp("e.ir");
	struct cli_proc	 p;
	char		 want[4200];

	put_text(src, "load $1 #1\nload $40 #1\n");
	RUN(&p, A("check"), A(src));
	FMT(want, "%s:2:6: ", src);
	cr_assert_eq(p.status, 65);
	cr_assert_eq(strncmp(p.err.data, want, strlen(want)), 0, "%s",
	    p.err.data);
	proc_free(&p);
	RUN(&p, A("asm"), A(src));
	cr_assert_eq(p.status, 65);
	cr_assert_neq(access(out, F_OK), 0, "image written despite errors");
	proc_free(&p);
	RUN(&p, A("check"), A(example("factorial.iasm")));
	expect(&p, 0, "", "");
	proc_free(&p);
}

Test(cli, disasm_output_reassembles_to_the_same_bytes)
{
	struct cli_proc	 p;
	char		*a, *b, name[64];
	size_t		 alen, blen, i;
	const char	*ir, *back, *ir2;

	for (i = 0; i < sizeof(example_runs) / sizeof(example_runs[0]); i++) {
		FMT(name, "%zu.ir", i);
		ir = tmp(name);
		FMT(name, "%zu-back.iasm", i);
		back = tmp(name);
		FMT(name, "%zu-back.ir", i);
		ir2 = tmp(name);

		RUN(&p, A("asm"), A(example(example_runs[i].file)), A("-o"),
		    A(ir));
		expect(&p, 0, "", "");
		proc_free(&p);
		RUN(&p, A("disasm"), A(ir));
		expect(&p, 0, NULL, "");
		put_file(back, p.out.data, p.out.len);
		proc_free(&p);
		RUN(&p, A("check"), A(back));
		expect(&p, 0, "", "");
		proc_free(&p);
		RUN(&p, A("asm"), A(back), A("-o"), A(ir2));
		expect(&p, 0, "", "");
		proc_free(&p);
		a = get_file(ir, &alen);
		b = get_file(ir2, &blen);
		cr_assert_eq(alen, blen, "%s", example_runs[i].file);
		cr_assert_eq(memcmp(a, b, alen), 0, "%s",
		    example_runs[i].file);
		free(a);
		free(b);
		RUN(&p, A("run"), A(ir2));
		expect(&p, 0, example_runs[i].out, "");
		proc_free(&p);
	}
}
