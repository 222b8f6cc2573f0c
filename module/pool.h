/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dm-replica: the pool, as the other pieces see it.
 *
 * A pool is created by the replica-pool target and lives as long as a
 * table holds it or a group uses it (reference counted). Its services are
 * chunk allocation, the metadata (through these wrappers) and the copy
 * engine client shared by all its groups.
 */
#ifndef DM_REPLICA_POOL_H
#define DM_REPLICA_POOL_H

#include <linux/blkdev.h>
#include <linux/types.h>

#include "metadata.h"

struct dmr_pool;
struct dm_kcopyd_client;

/*
 * Find a pool by the dev_t of the dm device showing it, and take or drop
 * references. dmr_lock held for all three. The last put unlists the pool
 * and returns it: give it to dmr_pool_free() once dmr_lock is dropped
 * (closing waits for the pool's last commits); NULL otherwise.
 */
struct dmr_pool *dmr_pool_find(dev_t md_devt);
void dmr_pool_get_ref(struct dmr_pool *pool);
struct dmr_pool * __must_check dmr_pool_put(struct dmr_pool *pool);
/* No lock held; NULL is ignored. */
void dmr_pool_free(struct dmr_pool *pool);

dev_t dmr_pool_devt(struct dmr_pool *pool);
struct dmr_md *dmr_pool_md(struct dmr_pool *pool);
struct block_device *dmr_pool_bdev(struct dmr_pool *pool);
struct dm_kcopyd_client *dmr_pool_kcopyd(struct dmr_pool *pool);
u32 dmr_pool_chunk_sectors(struct dmr_pool *pool);
sector_t dmr_pool_chunk_sector(struct dmr_pool *pool, u64 chunk);
void dmr_pool_usage(struct dmr_pool *pool, u64 *used, u64 *total);
/*
 * The chunks a background copy (a clone's) leaves free, for the copies
 * that source writes need: a copy that cannot be made breaks every
 * snapshot of its source, a background copy that waits breaks nothing.
 * A thirty-second of the pool, at least one chunk, at most 1024.
 */
u64 dmr_pool_spare(struct dmr_pool *pool);

/*
 * Allocate a chunk: -ENOSPC when the pool is full, -ENOMEM when its owner
 * block cannot be held in memory. Process context, may sleep (GFP_NOIO).
 */
int dmr_pool_alloc_chunk(struct dmr_pool *pool, u64 *chunk);
/* Any context, once the chunk's owner entry is cleared. */
void dmr_pool_free_chunk(struct dmr_pool *pool, u64 chunk);
/* While loading. */
int dmr_pool_mark_chunk(struct dmr_pool *pool, u64 chunk);
/*
 * Device checks, so that no pool and source write into each other.
 * dmr_bdevs_overlap(): do two block devices share sectors (the same
 * device, or a partition and its disk)? Any context.
 * dmr_pool_on_bdev(): does a loaded pool's device, or one being opened,
 * overlap @bdev? dmr_lock held.
 * dmr_pool_uses_dev(): is @devt the pool's device or its dm device?
 * dmr_lock held.
 */
bool dmr_bdevs_overlap(struct block_device *a, struct block_device *b);
bool dmr_pool_on_bdev(struct block_device *bdev);
bool dmr_pool_uses_dev(struct dmr_pool *pool, dev_t devt);

/*
 * Epochs of snapshot points in time (see cow.h): dmr_pool_new_epoch()
 * gives the next, in any context; dmr_pool_seen_epoch() tells the pool,
 * while it loads (dmr_lock held), of an epoch found on disk, so that no
 * later one is smaller. Zero is never given.
 */
u32 dmr_pool_new_epoch(struct dmr_pool *pool);
void dmr_pool_seen_epoch(struct dmr_pool *pool, u32 epoch);

/* Has a metadata write failed? */
bool dmr_pool_failed(struct dmr_pool *pool);

/*
 * struct dmr_pool_user_ops - what a pool asks of the groups that draw from
 * it. The pool knows groups only through these, so that it need not call
 * up into the code that uses it. Both are called with dmr_lock held.
 * @load:  bring back the groups recorded in @pool, which is being loaded
 *         and already listed. On failure, with *@error set, no group of
 *         @pool is left.
 * @count: the number of groups of @pool, for its status.
 */
struct dmr_pool_user_ops {
	int (*load)(struct dmr_pool *pool, char **error);
	unsigned int (*count)(struct dmr_pool *pool);
};

/*
 * Set (or clear, with NULL) the groups' ops: at module init before the
 * replica-pool target is registered, and at exit after it is gone, so
 * that no pool ever sees them change.
 */
void dmr_pool_set_user_ops(const struct dmr_pool_user_ops *ops);

#endif /* DM_REPLICA_POOL_H */
