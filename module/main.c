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

u64 dmr_features(void)
{
	return DM_REPLICA_FEAT_SOURCE_TARGET;
}

static int __init dm_replica_init(void)
{
	int r;

	r = dmr_source_init();
	if (r)
		return r;

	r = dmr_control_init();
	if (r)
		goto bad_control;

	return 0;

bad_control:
	dmr_source_exit();
	return r;
}

static void __exit dm_replica_exit(void)
{
	dmr_control_exit();
	dmr_source_exit();
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
