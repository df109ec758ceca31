/*
 * test_manpages.c: the manual pages tell the whole truth: every key of
 * the configuration table is documented in iridiumd.conf(5), with its
 * default, and every flag of iridiumd's usage appears in iridiumd(8).
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static char *
slurp(const char *name)
{
	const char	*src = getenv("IRIDIUM_SRC");
	char		 path[512], *buf;
	FILE		*f;
	size_t		 n;

	cr_assert_not_null(src, "IRIDIUM_SRC is not set");
	snprintf(path, sizeof(path), "%s/contrib/man/%s", src, name);
	f = fopen(path, "r");
	cr_assert_not_null(f, "%s", path);
	buf = calloc(1, 1 << 20);
	n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

Test(manpages, every_config_key_is_in_iridiumd_conf_5)
{
	char	*page = slurp("iridiumd.conf.5"), want[256];
	size_t	 i;

	for (i = 0; i < CK_NKEYS; i++) {
		const struct cfg_key *k = &config_keys[i];

		/* A sentence's full stop would be mdoc's: in the text. */
		if (k->def != NULL && k->def[0] != '\0' &&
		    strchr(k->def, '/') == NULL &&
		    k->def[strlen(k->def) - 1] != '.')
			snprintf(want, sizeof(want), "\n.It Ic %s Pq default "
			    "Ql %s\n", k->name, k->def);
		else
			snprintf(want, sizeof(want), "\n.It Ic %s", k->name);
		cr_assert_not_null(strstr(page, want), "iridiumd.conf.5 lacks "
		    "\"%s\"", want + 1);
	}
	free(page);
}
