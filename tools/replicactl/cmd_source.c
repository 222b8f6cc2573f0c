// SPDX-License-Identifier: GPL-2.0
/*
 * replicactl source create: a replica-source dm device over a device, with
 * a dm UUID of its own, recorded in the replica table so that activate
 * brings it back after a boot under the same name and UUID (the identity
 * its group members know it by).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "replicactl.h"

struct source_args {
	bool no_record;
};

static struct source_args source_args;

static const struct opt_spec source_create_opts[] = {
	OPT("no-record", NULL,
	    "Do not record the source in the replica table (see --replicatab): activate will "
	    "not bring it up.",
	    opt_flag, offsetof(struct source_args, no_record)),
};

static int source_create_run(struct ctx *ctx, int argc, char **argv)
{
	struct tab_entry e = { .kind = TAB_SOURCE };
	const char *name = argv[0], *dev = argv[1];
	char params[600];
	uint64_t sectors;
	int r;

	(void)argc;
	r = ctl_check(ctx);
	if (r)
		return r;
	/* A group records its sources' names in fields of DM_REPLICA_NAME_LEN. */
	if (strlen(name) >= DM_REPLICA_NAME_LEN || strchr(name, '/')) {
		err("NAME: '%s' is not a dm name of at most %d characters without '/'", name,
		    DM_REPLICA_NAME_LEN - 1);
		return DM_REPLICA_RET_INVALID_PARAM;
	}
	if (!table_word(dev) || strlen(dev) >= sizeof(e.dev) || dev_sectors(dev, &sectors))
		return DM_REPLICA_RET_INVALID_PARAM;
	mapper_setup();
	r = mapper_exists(name);
	if (r) {
		err(r > 0 ? "%s: a dm device of that name exists" :
		    "%s: cannot tell whether a dm device of that name exists", name);
		return r > 0 ? DM_REPLICA_RET_IN_USE : DM_REPLICA_RET_FAILED;
	}
	if (source_uuid_new(e.uuid, sizeof(e.uuid)))
		return DM_REPLICA_RET_FAILED;
	snprintf(e.name, sizeof(e.name), "%s", name);
	snprintf(e.dev, sizeof(e.dev), "%s", dev);
	snprintf(params, sizeof(params), "%s", dev);
	if (mapper_create(name, e.uuid, sectors, DM_REPLICA_TARGET_SOURCE, params)) {
		err("cannot create the source %s on %s; the kernel log says why (dmesg)", name,
		    dev);
		return DM_REPLICA_RET_FAILED;
	}
	if (!source_args.no_record) {
		r = tab_record(ctx->tab, &e);
		if (r) {
			err("the source %s was created, but activate will not know it", name);
			return r;
		}
	}
	out_begin(NULL);
	out_str("name", NULL, name);
	out_str("device", NULL, dev);
	out_str("uuid", NULL, e.uuid);
	out_u64("sectors", NULL, sectors);
	out_bool("recorded", NULL, !source_args.no_record);
	out_end();
	if (!out_is_json())
		printf("source %s on %s: %" PRIu64 " sectors, uuid %s\n", name, dev, sectors,
		       e.uuid);
	return 0;
}

const struct cmd cmd_source_create = {
	.name = "source",
	.sub = "create",
	.synopsis = "NAME DEV [--no-record]",
	.summary = "Create the replica-source dm device NAME over DEV, with a dm UUID "
		   "DMR-SOURCE-<random>, and record it in the replica table.",
	.opts = source_create_opts,
	.nr_opts = ARRAY_SIZE(source_create_opts),
	.args = &source_args,
	.min_args = 2,
	.max_args = 2,
	.run = source_create_run,
};
