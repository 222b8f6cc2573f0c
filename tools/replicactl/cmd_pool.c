// SPDX-License-Identifier: GPL-2.0
/*
 * replicactl pool create|status: the replica-pool dm device, through
 * libdevmapper alone; the control device does not know pools by name.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "replicactl.h"

struct pool_args {
	const char *name;
	uint32_t chunk_sectors;
	bool no_record;
};

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
	OPT("no-record", NULL,
	    "Do not record the pool in the replica table (see --replicatab): activate will not "
	    "bring it up.",
	    opt_flag, offsetof(struct pool_args, no_record)),
};

static int pool_create_run(struct ctx *ctx, int argc, char **argv)
{
	const char *dev = argv[0], *name = pool_args.name;
	uint32_t chunk = pool_args.chunk_sectors;
	char params[4200];
	uint64_t sectors;
	int r;

	(void)argc;
	r = ctl_check(ctx);
	if (r)
		return r;
	if (!table_word(dev) || dev_sectors(dev, &sectors))
		return DM_REPLICA_RET_INVALID_PARAM;
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
	out_begin(NULL);
	out_str("name", NULL, name);
	out_str("device", NULL, dev);
	out_u64("sectors", NULL, sectors);
	out_u64("chunk_sectors", NULL, chunk);
	out_end();
	if (!out_is_json())
		printf("pool %s on %s: %" PRIu64 " sectors, chunks of %u sectors\n", name, dev,
		       sectors, chunk);
	return 0;
}

/* The INFO status of a pool, as the replica-pool target prints it. */
struct pool_status {
	unsigned int chunk_sectors;
	unsigned long long used, total;
	unsigned int groups;
	char health[32];
};

/* Read the status line of pool @name; returns an exit code. */
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
	if (strcmp(type, DM_REPLICA_TARGET_POOL)) {
		err("%s: a %s device, not a %s", name, type, DM_REPLICA_TARGET_POOL);
		r = DM_REPLICA_RET_INVALID_PARAM;
	} else if (sscanf(params, "%u %llu/%llu %u %31s", &st->chunk_sectors, &st->used,
			  &st->total, &st->groups, st->health) != 5) {
		err("%s: status '%s' is not <chunk_sectors> <used>/<total> <groups> <health>",
		    name, params);
		r = DM_REPLICA_RET_FAILED;
	}
	free(params);
	return r;
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
	out_str("health", NULL, st.health);
	out_end();
	if (!out_is_json())
		printf("pool %s: %llu of %llu chunks of %u sectors used (%.1f%%), %u groups, %s\n",
		       name, st.used, st.total, st.chunk_sectors,
		       st.total ? 100.0 * st.used / st.total : 0.0, st.groups, st.health);
	return 0;
}

const struct cmd cmd_pool_create = {
	.name = "pool",
	.sub = "create",
	.synopsis = "DEV [--name NAME] [--chunk-size SIZE] [--no-record]",
	.summary = "Format the blank device DEV (its first 4 KiB zero) as a pool, create its "
		   "dm device and record it in the replica table.",
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
	.summary = "Print a pool's chunk size, chunks used and total, number of groups and "
		   "health, from its dm status.",
	.min_args = 1,
	.max_args = 1,
	.run = pool_status_run,
};
