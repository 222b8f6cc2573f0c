// SPDX-License-Identifier: GPL-2.0
/*
 * dm-replica: consistent group snapshot, clone and mirror for
 * device-mapper.
 *
 * This file only ties the pieces together: it registers the targets and
 * the control device at load and unregisters them at unload.
 */
#include <linux/device-mapper.h>
#include <linux/module.h>

#include <uapi/linux/dm-replica.h>

#include "dm-replica.h"

/* Serialises control operations and guards the registries (dm-replica.h). */
DEFINE_MUTEX(dmr_lock);

u64 dmr_features(void)
{
	return DM_REPLICA_FEAT_SOURCE_TARGET | DM_REPLICA_FEAT_SNAPSHOT | DM_REPLICA_FEAT_CLONE |
		DM_REPLICA_FEAT_CHANGES;
}

/* The pieces, in the order they start; they stop in the reverse order. */
static const struct {
	int (*init)(void);
	void (*exit)(void);
} dmr_pieces[] = {
	{ dmr_job_init, dmr_job_exit },
	{ dmr_cow_init, dmr_cow_exit },
	{ dmr_group_init, dmr_group_exit },
	{ dmr_source_init, dmr_source_exit },
	{ dmr_pool_init, dmr_pool_exit },
	{ dmr_replica_init, dmr_replica_exit },
	{ dmr_control_init, dmr_control_exit },
};

static int __init dm_replica_init(void)
{
	unsigned int i;
	int r;

	for (i = 0; i < ARRAY_SIZE(dmr_pieces); i++) {
		r = dmr_pieces[i].init();
		if (r)
			goto bad;
	}
	return 0;

bad:
	while (i--)
		dmr_pieces[i].exit();
	return r;
}

static void __exit dm_replica_exit(void)
{
	unsigned int i = ARRAY_SIZE(dmr_pieces);

	while (i--)
		dmr_pieces[i].exit();
}

module_init(dm_replica_init);
module_exit(dm_replica_exit);

#define DMR_STR(x) #x
#define DMR_VERSION_STR(a, b, c) DMR_STR(a) "." DMR_STR(b) "." DMR_STR(c)

MODULE_DESCRIPTION(DM_NAME " consistent group replicas (snapshot, clone, mirror)");
MODULE_AUTHOR("dm-replica developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(DMR_VERSION_STR(DM_REPLICA_VERSION_MAJOR,
			       DM_REPLICA_VERSION_MINOR,
			       DM_REPLICA_VERSION_PATCH));
