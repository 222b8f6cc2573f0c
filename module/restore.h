/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dm-replica: Restore From Replica, the copy of a group's replicas back
 * onto their sources.
 *
 * A replica of a pool (snapshot, or clone in a pool) differs from its
 * source only in the chunks the pool holds for it: a source chunk that
 * was never written since the point in time is read at the source by the
 * replica, and is the same. So a restore copies exactly the chunks the
 * pool holds for each member (dmr_snap_lookup()) onto the source, and
 * nothing else.
 *
 * The copies are written to the source's dm device, not under it: the
 * source's other snapshots get their copies of the chunks it overwrites,
 * and a group barrier drains them like any write. The caller holds the
 * devices open, exclusively, so that no file system mounts them meanwhile.
 */
#ifndef DM_REPLICA_RESTORE_H
#define DM_REPLICA_RESTORE_H

#include <linux/blkdev.h>
#include <linux/types.h>

struct dmr_pool;
struct dmr_snap;

/*
 * One member: the snapshot whose chunks go back, onto @target, the
 * source's dm device, of @sectors.
 */
struct dmr_restore_member {
	struct dmr_snap *snap;
	struct block_device *target;
	sector_t sectors;
};

/*
 * What the restore tells its caller: @progress, now and then, chunks
 * written of those to write; @cancelled: should it stop here?
 */
struct dmr_restore_ops {
	void (*progress)(void *ctx, u64 done, u64 total);
	bool (*cancelled)(void *ctx);
};

/*
 * Copy, member after member, every chunk @pool holds for the member's
 * snapshot onto its target, then flush the targets. Returns 0, or
 * -ECANCELED, -ENOMEM, or -EIO with *@failed the member whose copy
 * failed. *@written counts the chunks written. May sleep; no lock held.
 */
int dmr_restore(const struct dmr_restore_member *m, unsigned int n, struct dmr_pool *pool,
		const struct dmr_restore_ops *ops, void *ctx, u64 *written,
		unsigned int *failed);

#endif /* DM_REPLICA_RESTORE_H */
