// SPDX-License-Identifier: GPL-2.0
/*
 * replicactl pool create|status: the replica-pool dm device, through
 * libdevmapper alone; the control device does not know pools by name.
 */
#include <blkid/blkid.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "replicactl.h"

/*
 * The most group slots the module formats a pool with (its
 * DMR_MAX_GROUPS_LIMIT, which says why); the kernel checks it again.
 */
#define POOL_MAX_GROUPS		1024

struct pool_args {
	const char *name;
	uint32_t chunk_sectors;
	uint32_t groups;	/* 0: the module's default */
	bool no_record;
	bool force;
};

/* --groups: a number of group slots, 1 to POOL_MAX_GROUPS. */
static int opt_groups(const struct opt_spec *s, const char *arg, void *field)
{
	uint64_t v;

	if (parse_uint(arg, POOL_MAX_GROUPS, &v) || !v) {
		err("--%s: '%s' is not a number of group slots from 1 to %u", s->name, arg,
		    POOL_MAX_GROUPS);
		return -1;
	}
	*(uint32_t *)field = (uint32_t)v;
	return 0;
}

static struct pool_args pool_args = {
	.name = "pool",
	.chunk_sectors = 128,
};

static const struct opt_spec pool_create_opts[] = {
	OPT("name", "NAME", "The dm name of the pool. Default: pool.",
	    opt_string, offsetof(struct pool_args, name)),
	OPT("chunk-size", "SIZE",
	    "The copy unit: sectors, or KiB or MiB with a k or m suffix; a power of two of at "
	    "least 4k. Default: 64k.",
	    opt_chunk_size, offsetof(struct pool_args, chunk_sectors)),
	OPT("groups", "N",
	    "The most groups (snapshots of one source included) the pool can hold, 1 to 1024; "
	    "each costs 64 KiB of metadata. Fixed at format. Default: 256.",
	    opt_groups, offsetof(struct pool_args, groups)),
	OPT("no-record", NULL,
	    "Do not record the pool in the replica table (see --replicatab): activate will not "
	    "bring it up.",
	    opt_flag, offsetof(struct pool_args, no_record)),
	OPT("force", NULL,
	    "Format even where libblkid finds a signature (a filesystem, RAID member, ...). "
	    "The kernel still refuses a device whose metadata range is not all zero.",
	    opt_flag, offsetof(struct pool_args, force)),
};

/* The size of block device @path in sectors, and its number. */
static int pool_dev_size(const char *path, uint64_t *sectors, dev_t *rdev)
{
	struct stat st;

	if (dev_sectors(path, sectors))
		return -1;
	if (stat(path, &st)) {
		err("%s: %s", path, strerror(errno));
		return -1;
	}
	*rdev = st.st_rdev;
	return 0;
}

/* The first entry of sysfs directory @dir other than . and .., in @buf. */
static bool first_entry(const char *dir, char *buf, size_t size)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool found = false;

	if (!d)
		return false;
	while (!found && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(buf, size, "%s", e->d_name);
		found = true;
	}
	closedir(d);
	return found;
}

/* Say who holds @path through block device @blk (sysfs name) and return true. */
static bool held_by(const char *path, const char *sysdir, const char *blk)
{
	char dir[512], holder[256], file[600], dmname[256] = "";
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/holders", sysdir);
	if (!first_entry(dir, holder, sizeof(holder)))
		return false;
	snprintf(file, sizeof(file), "/sys/class/block/%s/dm/name", holder);
	f = fopen(file, "re");
	if (f) {
		if (!fgets(dmname, sizeof(dmname), f))
			dmname[0] = 0;
		dmname[strcspn(dmname, "\n")] = 0;
		fclose(f);
	}
	if (dmname[0])
		err("%s: in use: %s is held by dm device %s (%s)", path, blk, dmname, holder);
	else
		err("%s: in use: %s is held by %s", path, blk, holder);
	return true;
}

/* Is a filesystem on @rdev mounted? Says where and returns true. */
static bool mounted(const char *path, dev_t rdev, const char *blk)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	unsigned int maj, min;
	char line[4096], where[4096];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*u %*u %u:%u %*s %4095s", &maj, &min, where) == 3 &&
		    makedev(maj, min) == rdev) {
			err("%s: in use: %s is mounted on %s", path, blk, where);
			found = true;
		}
	}
	fclose(f);
	return found;
}

/*
 * Refuse a device that something else uses, as mkfs does: a dm device (a
 * replica-source, say) or md array holding it or one of its partitions
 * (sysfs holders/), a mounted filesystem on it or on a partition, or any
 * exclusive opener the kernel knows (O_EXCL on a block device fails then).
 * Returns true after saying why.
 */
static bool dev_in_use(const char *path, dev_t rdev)
{
	char sysdir[64], sub[PATH_MAX], *slash;
	const char *blk;
	struct dirent *e;
	bool used = false;
	DIR *d;
	int fd;

	snprintf(sysdir, sizeof(sysdir), "/sys/dev/block/%u:%u", major(rdev), minor(rdev));
	if (!realpath(sysdir, sub)) {
		err("%s: not found in /sys/dev/block: %s", path, strerror(errno));
		return true;
	}
	slash = strrchr(sub, '/');
	blk = slash ? slash + 1 : sub;
	if (held_by(path, sysdir, blk) || mounted(path, rdev, blk))
		return true;

	/* A whole disk: its partitions are directories with a "partition" file. */
	d = opendir(sysdir);
	while (d && !used && (e = readdir(d))) {
		char part[900], file[1000], dev[32];
		unsigned int maj, min;
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(part, sizeof(part), "%s/%s", sysdir, e->d_name);
		snprintf(file, sizeof(file), "%s/partition", part);
		if (access(file, F_OK))
			continue;
		used = held_by(path, part, e->d_name);
		snprintf(file, sizeof(file), "%s/dev", part);
		f = fopen(file, "re");
		if (!used && f && fgets(dev, sizeof(dev), f) &&
		    sscanf(dev, "%u:%u", &maj, &min) == 2)
			used = mounted(path, makedev(maj, min), e->d_name);
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	if (used)
		return true;

	fd = open(path, O_RDONLY | O_EXCL | O_CLOEXEC);
	if (fd < 0 && errno == EBUSY) {
		err("%s: in use: the kernel has it open exclusively (swap, md, a filesystem?)",
		    path);
		return true;
	}
	if (fd >= 0)
		close(fd);
	return false;
}

/*
 * Look for signatures with libblkid, as wipefs does: filesystems, RAID
 * members (md, LVM, ...), bcache, swap, partition tables, with bad
 * checksums too (a damaged superblock still means data). Returns 0 when
 * there is none, 1 after naming those found, -1 when the probe failed.
 */
static int dev_signatures(const char *path)
{
	blkid_probe pr = blkid_new_probe_from_filename(path);
	const char *type, *off;
	int found = 0;

	if (!pr) {
		err("%s: cannot probe it for signatures (libblkid): %s", path, strerror(errno));
		return -1;
	}
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_USAGE |
					  BLKID_SUBLKS_MAGIC | BLKID_SUBLKS_BADCSUM);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_MAGIC);
	while (blkid_do_probe(pr) == 0) {
		if (!blkid_probe_lookup_value(pr, "TYPE", &type, NULL)) {
			if (blkid_probe_lookup_value(pr, "SBMAGIC_OFFSET", &off, NULL))
				off = "?";
		} else if (!blkid_probe_lookup_value(pr, "PTTYPE", &type, NULL)) {
			if (blkid_probe_lookup_value(pr, "PTMAGIC_OFFSET", &off, NULL))
				off = "?";
		} else {
			continue;
		}
		err("%s: holds a %s signature at byte offset %s", path, type, off);
		found = 1;
	}
	blkid_free_probe(pr);
	return found;
}

/* The INFO status of a pool, as the replica-pool target prints it. */
struct pool_status {
	unsigned int chunk_sectors;
	unsigned long long used, total;
	unsigned int groups;
	char health[32];
	unsigned int max_groups;	/* 0 from a module that does not say */
	unsigned long long md_held, md_blocks;	/* owner table blocks in memory, of */
};

/*
 * Read the status line of pool @name; returns an exit code. An older
 * module prints only the first five fields, without <max_groups> and
 * <held>/<owner_blocks>: those read as 0.
 */
static int pool_status_get(const char *name, struct pool_status *st)
{
	char type[64], *params = NULL;
	int r;

	mapper_setup();
	r = mapper_target(name, true, type, sizeof(type), &params);
	if (r == -ENODEV) {
		err("%s: no such dm device", name);
		return DM_REPLICA_RET_INVALID_PARAM;
	}
	if (r) {
		err("%s: cannot read its status", name);
		return DM_REPLICA_RET_FAILED;
	}
	r = 0;
	st->max_groups = 0;
	st->md_held = 0;
	st->md_blocks = 0;
	if (strcmp(type, DM_REPLICA_TARGET_POOL)) {
		err("%s: a %s device, not a %s", name, type, DM_REPLICA_TARGET_POOL);
		r = DM_REPLICA_RET_INVALID_PARAM;
	} else if (sscanf(params, "%u %llu/%llu %u %31s %u %llu/%llu", &st->chunk_sectors,
			  &st->used, &st->total, &st->groups, st->health, &st->max_groups,
			  &st->md_held, &st->md_blocks) < 5) {
		err("%s: status '%s' is not <chunk_sectors> <used>/<total> <groups> <health> "
		    "[<max_groups> <held>/<owner_blocks>]", name, params);
		r = DM_REPLICA_RET_FAILED;
	}
	free(params);
	return r;
}

static int pool_create_run(struct ctx *ctx, int argc, char **argv)
{
	const char *dev = argv[0], *name = pool_args.name;
	uint32_t chunk = pool_args.chunk_sectors;
	struct pool_status st = { 0 };
	char params[4200];
	uint64_t sectors;
	dev_t rdev;
	int r;

	(void)argc;
	r = ctl_check(ctx);
	if (r)
		return r;
	if (!table_word(dev) || pool_dev_size(dev, &sectors, &rdev))
		return DM_REPLICA_RET_INVALID_PARAM;
	/* Nothing is formatted silently; --force passes signatures only. */
	if (dev_in_use(dev, rdev))
		return DM_REPLICA_RET_IN_USE;
	r = dev_signatures(dev);
	if (r < 0)
		return DM_REPLICA_RET_FAILED;
	if (r && !pool_args.force) {
		err("%s: refusing to format a device that holds data (--force to format it anyway)",
		    dev);
		return DM_REPLICA_RET_INVALID_PARAM;
	}
	if (pool_args.groups)
		snprintf(params, sizeof(params), "%s 4 format %u groups %u", dev, chunk,
			 pool_args.groups);
	else
		snprintf(params, sizeof(params), "%s 2 format %u", dev, chunk);
	mapper_setup();
	if (mapper_create(name, NULL, sectors, DM_REPLICA_TARGET_POOL, params)) {
		err("cannot create the pool %s on %s; the kernel log says why (dmesg)", name, dev);
		return DM_REPLICA_RET_FAILED;
	}
	if (!pool_args.no_record) {
		struct tab_entry e = { .kind = TAB_POOL };

		snprintf(e.name, sizeof(e.name), "%s", name);
		snprintf(e.dev, sizeof(e.dev), "%s", dev);
		r = tab_record(ctx->tab, &e);
		if (r) {
			err("the pool %s was created, but activate will not know it", name);
			return r;
		}
	}
	/* The group slots the module chose, when --groups did not say. */
	if (pool_status_get(name, &st))
		st.max_groups = 0;
	out_begin(NULL);
	out_str("name", NULL, name);
	out_str("device", NULL, dev);
	out_u64("sectors", NULL, sectors);
	out_u64("chunk_sectors", NULL, chunk);
	if (st.max_groups)
		out_u64("max_groups", NULL, st.max_groups);
	out_end();
	if (!out_is_json()) {
		printf("pool %s on %s: %" PRIu64 " sectors, chunks of %u sectors", name, dev,
		       sectors, chunk);
		if (st.max_groups)
			printf(", %u group slots", st.max_groups);
		printf("\n");
	}
	return 0;
}

static int pool_status_run(struct ctx *ctx, int argc, char **argv)
{
	const char *name = argv[0];
	struct pool_status st;
	int r;

	(void)argc;
	r = ctl_check(ctx);
	if (!r)
		r = pool_status_get(name, &st);
	if (r)
		return r;
	out_begin(NULL);
	out_str("name", NULL, name);
	out_u64("chunk_sectors", NULL, st.chunk_sectors);
	out_u64("used_chunks", NULL, st.used);
	out_u64("total_chunks", NULL, st.total);
	out_u64("groups", NULL, st.groups);
	if (st.max_groups)
		out_u64("max_groups", NULL, st.max_groups);
	out_str("health", NULL, st.health);
	if (st.md_blocks) {
		out_u64("owner_blocks_held", NULL, st.md_held);
		out_u64("owner_blocks", NULL, st.md_blocks);
	}
	out_end();
	if (out_is_json())
		return 0;
	printf("pool %s: %llu of %llu chunks of %u sectors used (%.1f%%), %u groups",
	       name, st.used, st.total, st.chunk_sectors,
	       st.total ? 100.0 * st.used / st.total : 0.0, st.groups);
	if (st.max_groups)
		printf(" of %u", st.max_groups);
	printf(", %s", st.health);
	if (st.md_blocks)
		printf("; owner table: %llu of %llu blocks in memory", st.md_held, st.md_blocks);
	printf("\n");
	return 0;
}

const struct cmd cmd_pool_create = {
	.name = "pool",
	.sub = "create",
	.synopsis = "DEV [--name NAME] [--chunk-size SIZE] [--groups N] [--force] [--no-record]",
	.summary = "Format the blank device DEV as a pool, create its dm device and record it in "
		   "the replica table. DEV must be unused, without a signature libblkid knows "
		   "(unless --force) and zero in the pool's metadata range.",
	.opts = pool_create_opts,
	.nr_opts = ARRAY_SIZE(pool_create_opts),
	.args = &pool_args,
	.min_args = 1,
	.max_args = 1,
	.run = pool_create_run,
};

const struct cmd cmd_pool_status = {
	.name = "pool",
	.sub = "status",
	.synopsis = "NAME",
	.summary = "Print a pool's chunk size, chunks used and total, number of groups, "
		   "health and group slots, from its dm status.",
	.min_args = 1,
	.max_args = 1,
	.run = pool_status_run,
};
