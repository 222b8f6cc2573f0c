// SPDX-License-Identifier: GPL-2.0
/*
 * replicactl version: the tool's ABI, and the loaded module's ABI and
 * features (DM_REPLICA_IOC_VERSION).
 */
#include <inttypes.h>
#include <stdio.h>

#include "replicactl.h"

static const struct {
	uint64_t bit;
	const char *name;
} features[] = {
	{ DM_REPLICA_FEAT_SOURCE_TARGET, "source-target" },
	{ DM_REPLICA_FEAT_SNAPSHOT, "snapshot" },
	{ DM_REPLICA_FEAT_CLONE, "clone" },
	{ DM_REPLICA_FEAT_CHANGES, "changes" },
};

static void abi_str(const char *key, unsigned int major, unsigned int minor,
		    unsigned int patch)
{
	char buf[40];

	snprintf(buf, sizeof(buf), "%u.%u.%u", major, minor, patch);
	out_str(key, NULL, buf);
}

static void version_json(const struct dm_replica_version *v)
{
	size_t i;

	out_begin(NULL);
	out_begin("tool");
	out_str("version", NULL, REPLICACTL_VERSION);
	abi_str("abi", DM_REPLICA_VERSION_MAJOR, DM_REPLICA_VERSION_MINOR,
		DM_REPLICA_VERSION_PATCH);
	out_end();
	out_begin("kernel");
	abi_str("abi", v->major, v->minor, v->patch);
	out_list("features", NULL);
	for (i = 0; i < ARRAY_SIZE(features); i++)
		if (v->features & features[i].bit)
			out_str(NULL, NULL, features[i].name);
	out_list_end();
	out_u64("features_mask", NULL, v->features);
	out_end();
	out_end();
}

/* Bits this tool has no name for are shown as a mask. */
static void version_text(const struct dm_replica_version *v)
{
	uint64_t unknown = v->features;
	size_t i;

	printf("replicactl %s (ABI %u.%u.%u)\nkernel ABI %u.%u.%u\nfeatures:",
	       REPLICACTL_VERSION, DM_REPLICA_VERSION_MAJOR, DM_REPLICA_VERSION_MINOR,
	       DM_REPLICA_VERSION_PATCH, v->major, v->minor, v->patch);
	for (i = 0; i < ARRAY_SIZE(features); i++) {
		if (v->features & features[i].bit)
			printf(" %s", features[i].name);
		unknown &= ~features[i].bit;
	}
	if (unknown)
		printf(" unknown:0x%" PRIx64, unknown);
	putchar('\n');
}

static int version_run(struct ctx *ctx, int argc, char **argv)
{
	struct dm_replica_version v;
	int r;

	(void)argc;
	(void)argv;
	r = ctl_open(ctx, 0);
	if (r)
		return r;
	REQ_INIT(&v);
	r = ctl_call(ctx, DM_REPLICA_IOC_VERSION, &v.hdr, "version");
	if (r)
		return r;
	if (out_is_json())
		version_json(&v);
	else
		version_text(&v);
	/* Same major: every command this tool sends means the same to the module. */
	if (v.major != DM_REPLICA_VERSION_MAJOR)
		err("warning: the module's ABI major %u differs from the tool's %u", v.major,
		    DM_REPLICA_VERSION_MAJOR);
	return 0;
}

const struct cmd cmd_version = {
	.name = "version",
	.synopsis = "",
	.summary = "Print the tool's ABI version, and the module's ABI version and features.",
	.run = version_run,
};
