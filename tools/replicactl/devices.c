// SPDX-License-Identifier: GPL-2.0
/*
 * replicactl: the dm devices the tool makes, and how it knows them again.
 *
 * Every device replicactl creates carries a dm UUID with a prefix of the
 * tool, as LVM's carry "LVM-": a replica "DMR-REPLICA-<group>-<n>-<pool
 * major>:<minor>", a source "DMR-SOURCE-<32 hex digits>". A device is only
 * ever taken for one of ours (left alone as present, or removed) when its
 * UUID carries the prefix *and* its table is what the tool would build:
 * a name alone proves nothing, since anyone may create a device of that
 * name.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "replicactl.h"

/* The dm UUID of replica @n of group @g. */
void replica_uuid(char *buf, size_t size, const struct dm_replica_group *g, unsigned int n)
{
	snprintf(buf, size, "%s%u-%u-%u:%u", UUID_PREFIX_REPLICA, g->group_id, n,
		 g->pool.major, g->pool.minor);
}

/* The table of replica @n of group @g: replica <pool> <group> <n>. */
static void replica_params(char *buf, size_t size, const struct dm_replica_group *g,
			   unsigned int n)
{
	snprintf(buf, size, "%u:%u %u %u", g->pool.major, g->pool.minor, g->group_id, n);
}

/*
 * Is dm device @name replica @n of group @g? Its UUID must carry the
 * replica prefix and its table be this group's replica target (both: a
 * device another tool made may copy either). @quiet: say nothing.
 */
bool is_replica_of(const char *name, const struct dm_replica_group *g, unsigned int n,
		   bool quiet)
{
	unsigned int major, minor, group, member;
	char type[64], *params = NULL;
	struct mapper_info mi;
	bool r;

	if (mapper_info(name, NULL, &mi) != 1)
		return false;
	if (strncmp(mi.uuid, UUID_PREFIX_REPLICA, strlen(UUID_PREFIX_REPLICA))) {
		if (!quiet)
			err("warning: %s has dm UUID '%s', not a replica's (%s...); left alone",
			    name, mi.uuid, UUID_PREFIX_REPLICA);
		return false;
	}
	if (mapper_target(name, false, type, sizeof(type), &params)) {
		if (!quiet)
			err("warning: cannot read the table of %s; left alone", name);
		return false;
	}
	r = !strcmp(type, DM_REPLICA_TARGET_REPLICA) &&
	    sscanf(params, "%u:%u %u %u", &major, &minor, &group, &member) == 4 &&
	    major == g->pool.major && minor == g->pool.minor && group == g->group_id &&
	    member == n;
	if (!r && !quiet)
		err("warning: %s is not replica %u of group %u (table: %s %s); left alone",
		    name, n, g->group_id, type, params);
	free(params);
	return r;
}

/* Create replica @n of group @g, whose member is @m; 0 or -1 after saying why. */
int replica_create(const char *rel, const struct dm_replica_group *g,
		   const struct dm_replica_member *m, unsigned int n)
{
	char name[REPLICA_NAME_LEN], uuid[MAPPER_UUID_LEN], params[64];

	replica_name(name, rel, n);
	replica_uuid(uuid, sizeof(uuid), g, n);
	replica_params(params, sizeof(params), g, n);
	if (!mapper_create(name, uuid, m->sectors, DM_REPLICA_TARGET_REPLICA, params))
		return 0;
	err("cannot create the replica device %s (uuid %s, table: 0 %" PRIu64 " %s %s)", name,
	    uuid, (uint64_t)m->sectors, DM_REPLICA_TARGET_REPLICA, params);
	return -1;
}

/* A fresh source UUID: the prefix and 128 random bits. */
int source_uuid_new(char *buf, size_t size)
{
	unsigned char rnd[16];
	size_t i, len;

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		err("cannot draw a random UUID: %s", strerror(errno));
		return -1;
	}
	len = (size_t)snprintf(buf, size, "%s", UUID_PREFIX_SOURCE);
	for (i = 0; i < sizeof(rnd) && len + 2 < size; i++, len += 2)
		snprintf(buf + len, size - len, "%02x", rnd[i]);
	return 0;
}

/* The size of block device @path in sectors; 0 or -1 after saying why. */
int dev_sectors(const char *path, uint64_t *sectors)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint64_t bytes;
	struct stat st;
	int r = -1;

	if (fd < 0) {
		err("%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) || !S_ISBLK(st.st_mode))
		err("%s: not a block device", path);
	else if (ioctl(fd, BLKGETSIZE64, &bytes))
		err("%s: cannot read its size: %s", path, strerror(errno));
	else
		r = 0;
	close(fd);
	if (!r)
		*sectors = bytes >> 9;
	return r;
}

/* The table is one line of words: a path with a blank would split it. */
bool table_word(const char *s)
{
	if (*s && !strpbrk(s, " \t\n"))
		return true;
	err("'%s': a device path in a dm table cannot hold blanks", s);
	return false;
}

/*
 * Is the first word of the table of dm device @name, a target of @type,
 * the block device at @path? 1 yes, 0 no (*@why says what it is), -1 when
 * it cannot be read.
 */
int table_is(const char *name, const char *type, const char *path, char *why, size_t size)
{
	char ttype[64], *params = NULL;
	unsigned int major, minor;
	struct stat st;
	int r;

	if (stat(path, &st) || !S_ISBLK(st.st_mode)) {
		snprintf(why, size, "%s is not a block device", path);
		return -1;
	}
	if (mapper_target(name, false, ttype, sizeof(ttype), &params)) {
		snprintf(why, size, "its table cannot be read");
		return -1;
	}
	r = !strcmp(ttype, type) && sscanf(params, "%u:%u", &major, &minor) == 2 &&
	    major == major(st.st_rdev) && minor == minor(st.st_rdev);
	if (!r)
		snprintf(why, size, "its table is '%s %s', not %s on %s (%u:%u)", ttype, params,
			 type, path, major(st.st_rdev), minor(st.st_rdev));
	free(params);
	return r;
}
