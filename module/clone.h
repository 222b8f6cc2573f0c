/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dm-replica: the background copy of a clone group.
 *
 * A clone in a pool is a snapshot of each source (cow.c) that does not
 * stay one: from its point in time a thread of the group copies, its
 * members side by side, every chunk the snapshot does not have of its
 * own (read at its source, or from a copy shared with other snapshots)
 * into a chunk of its own in the pool (dmr_snap_fill()). The replica
 * reads the point in time all along, whatever has been copied; once every
 * chunk is its own it is independent (dmr_snap_make_independent()):
 * source writes no longer need a copy for it, and a source that breaks
 * its other snapshots (pool full, written without its pool) leaves it
 * alone.
 *
 * The copy yields to application I/O as the standard's CopyPriority
 * says (the model is md's resync speed limits and dm-clone's hydration
 * threshold): High keeps DMR_CLONE_DEPTH chunk copies in flight per
 * member; Same
 * does so only while the source and its replicas have seen no I/O for
 * DMR_CLONE_IDLE_MS, and one at a time otherwise; Low copies nothing
 * until then. copy_rate caps what it reads per second, group-wide.
 *
 * What has been copied is in the pool's owner table, durable with each
 * chunk: a copy that stopped (cancelled, or the machine went down)
 * starts again from the first chunk and finds the copied ones held,
 * without reading them again.
 */
#ifndef DM_REPLICA_CLONE_H
#define DM_REPLICA_CLONE_H

#include <linux/types.h>

struct dmr_clone;
struct dmr_snap;

/* Chunk copies in flight per member, at most. */
#define DMR_CLONE_DEPTH		16
/* I/O that recent makes the source busy. */
#define DMR_CLONE_IDLE_MS	100

/*
 * What the owner of a copy (its group) is told, from the copy's thread.
 * @progress:   @copied of @total chunks are in the pool; now and then.
 * @ended:      the copy is over: 0 when every member's chunks are in the
 *              pool, -ECANCELED when @cancelled said so, -EIO when member
 *              @member's snapshot broke. Not called when stopped.
 * @cancelled:  should the copy stop here?
 */
struct dmr_clone_ops {
	void (*progress)(void *ctx, u64 copied, u64 total);
	void (*ended)(void *ctx, int err, unsigned int member);
	bool (*cancelled)(void *ctx);
};

/*
 * struct dmr_clone_params - how the copy goes
 * @rate_kib: most it reads per second, in KiB; 0 for no limit.
 * @priority: CopyPriority: DM_REPLICA_COPY_PRIORITY_LOW, _SAME or _HIGH.
 */
struct dmr_clone_params {
	unsigned int rate_kib;
	u16 priority;
};

/*
 * Start the copy of the @n started snapshots @snaps (kept as given) of
 * group @id. Returns an ERR_PTR on failure. May sleep.
 */
struct dmr_clone *dmr_clone_start(struct dmr_snap **snaps, unsigned int n, u32 id,
				  const struct dmr_clone_params *p,
				  const struct dmr_clone_ops *ops, void *ctx);
/*
 * Stop the copy and free it: its thread is gone when this returns, and so
 * are its callbacks; copies it started may still be in flight (releasing
 * a snapshot waits for them). NULL is ignored. May sleep.
 */
void dmr_clone_stop(struct dmr_clone *c);

#endif /* DM_REPLICA_CLONE_H */
