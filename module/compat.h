/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dm-replica: the differences between the kernels the module builds for
 * (Linux 6.1 and 6.12 at least), kept in one place. Everything else uses
 * dm and block APIs common to all of them.
 */
#ifndef DM_REPLICA_COMPAT_H
#define DM_REPLICA_COMPAT_H

#include <linux/blkdev.h>
#include <linux/version.h>

/*
 * Since 6.9 the block layer derives max_discard_sectors from
 * max_hw_discard_sectors when it validates the limits, so a stacking
 * driver that wants discards off must clear the hardware limit.
 */
static inline void dmr_limits_no_discard(struct queue_limits *limits)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 9, 0)
	limits->max_hw_discard_sectors = 0;
#endif
	limits->max_discard_sectors = 0;
}

#endif /* DM_REPLICA_COMPAT_H */
