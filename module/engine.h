/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dm-replica: the seam between the targets and the replication engines.
 *
 * An engine keeps replicas of a source: snapshot (cow.c) is the first;
 * a clone in a pool is a snapshot that a background copy fills (clone.c),
 * and mirror is to come. The replica-source target, the replica
 * target and the group barrier drive an engine only through this table,
 * in the spirit of dm-exception-store's types, and never ask which kind
 * it is:
 *
 *  - a source's writes go through its source engine (struct
 *    dmr_src_engine), one per source and pool, shared by all the source's
 *    replicas of that engine in the pool;
 *  - a replica's I/O goes through its replica engine (struct
 *    dmr_rep_engine), one per group member;
 *  - the barrier starts a replica engine (its point in time) while the
 *    source's writes are held and drained, then switches the source to
 *    the source engine.
 *
 * An engine embeds the struct and sets @ops; the functions below only
 * dispatch.
 */
#ifndef DM_REPLICA_ENGINE_H
#define DM_REPLICA_ENGINE_H

#include <linux/bio.h>
#include <linux/blk_types.h>
#include <linux/types.h>

struct dmr_src_engine;
struct dmr_rep_engine;

/**
 * struct dmr_engine_ops - what an engine gives the targets
 * @name:          for messages.
 * @set_origin:    the device the source's data lives on; before the first
 *                 write reaches the engine, while the source holds them.
 * @map_source:    a source write (or discard, write-zeroes):
 *                 DM_MAPIO_REMAPPED when it may go to the origin now,
 *                 DM_MAPIO_SUBMITTED when the engine took it. Map context.
 * @rep_io_size:   per-bio data the replica target must reserve.
 * @map_replica:   replica I/O; @io is the bio's per-bio data. Map context.
 * @end_replica:   end of every bio @map_replica mapped; its answer is the
 *                 target's end_io answer.
 * @start:         take the replica's point in time; with the source's
 *                 writes held and drained. -EIO when the engine cannot.
 * @copied_chunks: chunks of the replica held in the pool.
 */
struct dmr_engine_ops {
	const char *name;
	void (*set_origin)(struct dmr_src_engine *e, struct block_device *origin);
	int (*map_source)(struct dmr_src_engine *e, struct bio *bio);
	size_t rep_io_size;
	int (*map_replica)(struct dmr_rep_engine *e, struct bio *bio, void *io);
	int (*end_replica)(struct dmr_rep_engine *e, void *io, blk_status_t *error);
	int (*start)(struct dmr_rep_engine *e);
	u64 (*copied_chunks)(struct dmr_rep_engine *e);
};

struct dmr_src_engine {
	const struct dmr_engine_ops *ops;
};

struct dmr_rep_engine {
	const struct dmr_engine_ops *ops;
};

static inline void dmr_engine_set_origin(struct dmr_src_engine *e, struct block_device *origin)
{
	e->ops->set_origin(e, origin);
}

static inline int dmr_engine_map_source(struct dmr_src_engine *e, struct bio *bio)
{
	return e->ops->map_source(e, bio);
}

static inline size_t dmr_engine_rep_io_size(struct dmr_rep_engine *e)
{
	return e->ops->rep_io_size;
}

static inline int dmr_engine_map_replica(struct dmr_rep_engine *e, struct bio *bio, void *io)
{
	return e->ops->map_replica(e, bio, io);
}

static inline int dmr_engine_end_replica(struct dmr_rep_engine *e, void *io,
					 blk_status_t *error)
{
	return e->ops->end_replica(e, io, error);
}

static inline int dmr_engine_start(struct dmr_rep_engine *e)
{
	return e->ops->start(e);
}

static inline u64 dmr_engine_copied_chunks(struct dmr_rep_engine *e)
{
	return e->ops->copied_chunks(e);
}

#endif /* DM_REPLICA_ENGINE_H */
