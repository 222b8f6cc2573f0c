/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dm-replica: the differences between the kernels the module builds for
 * (Linux 6.1 and 6.12 at least), kept in one place. Everything else uses
 * dm and block APIs common to all of them.
 */
#ifndef DM_REPLICA_COMPAT_H
#define DM_REPLICA_COMPAT_H

#include <linux/blkdev.h>

/*
 * The DMR_HAVE_* symbols are feature tests made by module/Kbuild against
 * the headers of the kernel being built for.
 */

/*
 * Since the block layer has max_user_discard_sectors (6.9), it derives
 * max_discard_sectors from max_hw_discard_sectors when it validates the
 * limits, so a stacking driver that wants discards off must clear the
 * hardware limit.
 */
static inline void dmr_limits_no_discard(struct queue_limits *limits)
{
#ifdef DMR_HAVE_MAX_USER_DISCARD
	limits->max_hw_discard_sectors = 0;
#endif
	limits->max_discard_sectors = 0;
}

#endif /* DM_REPLICA_COMPAT_H */
