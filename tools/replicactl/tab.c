// SPDX-License-Identifier: GPL-2.0
/*
 * replicactl: the replica table, /etc/dm-replica/replicatab by default.
 *
 * What activate needs to bring the devices back after a boot, and which
 * the kernel cannot know before they exist: the dm name and the device of
 * each pool, and the dm name, device and dm UUID of each source. One entry
 * a line, words separated by blanks, '#' starts a comment:
 *
 *   pool    <name> <device>
 *   source  <name> <device> <uuid>
 *
 * "pool create" and "source create" add their entry; a new entry of a kind
 * and name replaces the old one. The file is rewritten whole, through a
 * temporary file renamed over it, so that a crash leaves the old or the
 * new table, never half of one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "replicactl.h"

static const char *const kinds[] = { [TAB_POOL] = "pool", [TAB_SOURCE] = "source" };

void tab_free(struct tab *t)
{
	free(t->e);
	t->e = NULL;
	t->n = 0;
}

/*
 * Parse line @lineno of @path into @e: 1 an entry, 0 nothing, -1 bad
 * (said, unless @lineno is 0: tab_record() keeps lines it does not know).
 */
static int tab_parse(const char *path, unsigned int lineno, char *line, struct tab_entry *e)
{
	char *w[5], *save = NULL;
	unsigned int n = 0, want;
	char *p;

	p = strchr(line, '#');
	if (p)
		*p = '\0';
	for (p = strtok_r(line, " \t\r\n", &save); p && n < ARRAY_SIZE(w);
	     p = strtok_r(NULL, " \t\r\n", &save))
		w[n++] = p;
	if (!n)
		return 0;
	memset(e, 0, sizeof(*e));
	if (!strcmp(w[0], kinds[TAB_POOL])) {
		e->kind = TAB_POOL;
		want = 3;
	} else if (!strcmp(w[0], kinds[TAB_SOURCE])) {
		e->kind = TAB_SOURCE;
		want = 4;
	} else {
		if (lineno)
			err("%s:%u: '%s' is neither pool nor source", path, lineno, w[0]);
		return -1;
	}
	if (n != want) {
		if (lineno)
			err("%s:%u: expected %s", path, lineno, e->kind == TAB_POOL ?
			    "pool <name> <device>" : "source <name> <device> <uuid>");
		return -1;
	}
	if (strlen(w[1]) >= sizeof(e->name) || strlen(w[2]) >= sizeof(e->dev) ||
	    (n > 3 && strlen(w[3]) >= sizeof(e->uuid))) {
		if (lineno)
			err("%s:%u: a word is too long", path, lineno);
		return -1;
	}
	strcpy(e->name, w[1]);
	strcpy(e->dev, w[2]);
	if (n > 3)
		strcpy(e->uuid, w[3]);
	return 1;
}

/*
 * Read the table at @path into @t. A missing file is an empty table; an
 * entry that cannot be parsed is an error naming the line. Returns an exit
 * code.
 */
int tab_read(const char *path, struct tab *t)
{
	char line[1024];
	unsigned int lineno = 0;
	struct tab_entry e, *p;
	FILE *f;
	int r = 0;

	memset(t, 0, sizeof(*t));
	f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		err("%s: %s", path, strerror(errno));
		return DM_REPLICA_RET_FAILED;
	}
	while (!r && fgets(line, sizeof(line), f)) {
		lineno++;
		switch (tab_parse(path, lineno, line, &e)) {
		case 0:
			continue;
		case -1:
			r = DM_REPLICA_RET_INVALID_PARAM;
			continue;
		}
		p = realloc(t->e, (t->n + 1) * sizeof(*p));
		if (!p) {
			err("out of memory");
			r = DM_REPLICA_RET_FAILED;
			continue;
		}
		t->e = p;
		t->e[t->n++] = e;
	}
	fclose(f);
	if (r)
		tab_free(t);
	return r;
}

/* The entry of @kind named @name, or NULL. */
const struct tab_entry *tab_find(const struct tab *t, enum tab_kind kind, const char *name)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->e[i].kind == kind && !strcmp(t->e[i].name, name))
			return &t->e[i];
	return NULL;
}

static void tab_line(FILE *f, const struct tab_entry *e)
{
	fprintf(f, "%-7s %s %s%s%s\n", kinds[e->kind], e->name, e->dev, *e->uuid ? " " : "",
		e->uuid);
}

/* mkdir -p of the directory of @path, as far as it is missing. */
static int tab_mkdir(const char *path)
{
	char dir[4096], *p;

	snprintf(dir, sizeof(dir), "%s", path);
	p = strrchr(dir, '/');
	if (!p || p == dir)
		return 0;
	*p = '\0';
	for (p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(dir, 0755) && errno != EEXIST ? -1 : 0;
}

/*
 * Record entry @e in the table at @path, in place of an entry of the same
 * kind and name. Comments and other entries stay as they were. Returns an
 * exit code.
 */
int tab_record(const char *path, const struct tab_entry *e)
{
	char tmp[4200], line[1024], copy[1024];
	struct tab_entry old;
	FILE *in, *out;
	int fd, r = 0;

	if (tab_mkdir(path)) {
		err("%s: cannot create its directory: %s", path, strerror(errno));
		return DM_REPLICA_RET_FAILED;
	}
	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	fd = mkstemp(tmp);
	out = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!out) {
		err("%s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return DM_REPLICA_RET_FAILED;
	}
	fchmod(fd, 0644);
	in = fopen(path, "re");
	if (!in)
		fputs("# dm-replica devices, brought up by 'replicactl activate' (replicactl(8)).\n"
		      "# pool   <name> <device>\n# source <name> <device> <dm uuid>\n", out);
	while (in && fgets(line, sizeof(line), in)) {
		snprintf(copy, sizeof(copy), "%s", line);
		if (tab_parse(path, 0, copy, &old) == 1 && old.kind == e->kind &&
		    !strcmp(old.name, e->name))
			continue;
		fputs(line, out);
	}
	if (in)
		fclose(in);
	tab_line(out, e);
	if (fflush(out) || fsync(fd))
		r = DM_REPLICA_RET_FAILED;
	if (fclose(out))
		r = DM_REPLICA_RET_FAILED;
	if (!r && rename(tmp, path))
		r = DM_REPLICA_RET_FAILED;
	if (r) {
		err("%s: cannot write it: %s", path, strerror(errno));
		unlink(tmp);
	}
	return r;
}
