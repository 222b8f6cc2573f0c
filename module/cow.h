/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dm-replica: copy-on-write of one group member.
 *
 * A dmr_cow keeps the point-in-time image of one source: the map from
 * source chunks to the pool chunks that hold their old data, the copies
 * in flight, and the replica reads that go to the source. The
 * replica-source target sends its writes through dmr_cow_map_source(), the
 * replica target all its I/O through dmr_cow_map_replica().
 *
 * The invariant it keeps: a source write to a chunk the replica still
 * needs is held until the old data is copied to the pool and the metadata
 * that points to it is durable, and until every replica read of that
 * chunk that went to the source has completed.
 */
#ifndef DM_REPLICA_COW_H
#define DM_REPLICA_COW_H

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/list.h>
#include <linux/types.h>

struct dmr_cow;
struct dmr_pool;

/* What the copy-on-write decided for a bio. */
enum dmr_verdict {
	DMR_READY,		/* remapped: send it on */
	DMR_QUEUED,		/* parked: it comes back to the worker later */
	DMR_NEED,		/* a pending entry must be made for a chunk */
	DMR_KILL,		/* fail it */
};

/* Per-bio data of the replica target (ti->per_io_data_size). */
struct dmr_pending;

struct dmr_cow_io {
	struct hlist_node node;
	u64 chunk;
	bool tracked;
	struct dmr_pending *overwrite;	/* this write is the chunk's copy */
};

/*
 * The owner of a cow (the group) is told when it cannot go on: @broken is
 * called once, from a worker, with the reason. The owner records it
 * durably and then calls dmr_cow_broken_done(); source writes that needed
 * a copy are held until then.
 */
struct dmr_cow_owner_ops {
	void (*broken)(struct dmr_cow *cow, void *ctx, const char *reason);
};

/*
 * Identity of the member in the pool's owner table: @slot + 1 is stored,
 * with @gen, so that entries of a deleted group read as free.
 */
struct dmr_cow_id {
	u16 slot;
	u32 gen;
	u16 member;
};

struct dmr_cow *dmr_cow_create(struct dmr_pool *pool, const struct dmr_cow_id *id,
			       sector_t origin_sectors,
			       const struct dmr_cow_owner_ops *ops, void *ctx);
/* Wait for copies in flight to end, then free. May sleep. */
void dmr_cow_destroy(struct dmr_cow *cow);
/* Wait until no copy is in flight and the workers are idle. May sleep. */
void dmr_cow_quiesce(struct dmr_cow *cow);
/*
 * A member recorded Broken: the cow starts broken (source writes pass,
 * replica I/O fails) without telling its owner again. Before first use.
 */
void dmr_cow_mark_broken(struct dmr_cow *cow);

/* Load one mapping read from the owner table. Before the cow is used. */
int dmr_cow_load(struct dmr_cow *cow, u64 src_chunk, u64 pool_chunk);

/*
 * The device the source data lives on; set before the first source write
 * reaches the cow, while the source holds its writes.
 */
void dmr_cow_set_origin(struct dmr_cow *cow, struct block_device *origin);

/* A source write (or discard, write-zeroes): DM_MAPIO_REMAPPED when it
 * may go to the origin now, DM_MAPIO_SUBMITTED when the cow took it and
 * will send it on later with submit_bio_noacct(). Map context.
 */
int dmr_cow_map_source(struct dmr_cow *cow, struct bio *bio);

/* I/O to the replica: remaps the bio to the pool or to the origin, queues
 * it, or fails it. Map context; @io is the bio's per-bio data, whose size
 * the replica target must set as its per_io_data_size.
 */
int dmr_cow_map_replica(struct dmr_cow *cow, struct bio *bio, struct dmr_cow_io *io);
/*
 * End of a replica bio; must be called for every bio mapped above, and its
 * answer returned from the target's end_io: DM_ENDIO_INCOMPLETE when the
 * cow will end the bio again later (bio_endio()), once its chunk's
 * metadata is durable.
 */
int dmr_cow_end_replica(struct dmr_cow *cow, struct dmr_cow_io *io, blk_status_t *error);

/* After the owner recorded the failure durably. */
void dmr_cow_broken_done(struct dmr_cow *cow);

bool dmr_cow_is_broken(struct dmr_cow *cow);
u64 dmr_cow_copied_chunks(struct dmr_cow *cow);

/* Give every chunk of the member back to the pool (group deletion). No
 * source or replica may be attached; copies still in flight are waited
 * for first. May sleep.
 */
void dmr_cow_release_chunks(struct dmr_cow *cow);

#if IS_ENABLED(CONFIG_KUNIT)
/* The decisions a cow makes; not static when the kernel has KUnit. */
enum dmr_verdict __dmr_cow_source(struct dmr_cow *cow, struct bio *bio, u64 *need);
enum dmr_verdict __dmr_cow_replica(struct dmr_cow *cow, struct bio *bio,
				   struct dmr_cow_io *io, u64 *need);
bool __dmr_tracked(struct dmr_cow *cow, u64 chunk);
#endif
#ifdef DMR_KUNIT_TEST
/* For the KUnit suite only (make DMR_KUNIT=1): a cow with no pool. */
struct dmr_cow *dmr_cow_create_test(u32 chunk_sectors, sector_t origin_sectors);
#endif

#endif /* DM_REPLICA_COW_H */
