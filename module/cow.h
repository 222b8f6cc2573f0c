/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dm-replica: copy-on-write of one source for all its snapshots in a pool.
 *
 * A dmr_cow belongs to one source in one pool; each snapshot of that
 * source (a member of a snapshot group) is a dmr_snap of it. The cow keeps
 * the old data the snapshots need, copied once however many snapshots
 * need the same version of a chunk:
 *
 *  - every snapshot has an epoch, taken from the pool when the snapshot's
 *    point in time is taken (dmr_snap_start(), under the barrier): epochs
 *    grow with time, pool-wide;
 *  - every copy of a source chunk has a @hi, the newest epoch among the
 *    snapshots at the time it was made. The copies of a chunk, ordered by
 *    @hi, split time: the copy with the smallest @hi >= e holds the chunk as
 *    snapshot e saw it; a snapshot newer than every copy's @hi sees the
 *    chunk at the source, which has not been written since;
 *  - a source write to a chunk needs a copy first when a snapshot newer
 *    than the chunk's newest copy exists (and has no private chunk there);
 *  - a replica write goes to a chunk private to its snapshot, made once;
 *  - deleting a snapshot frees its private chunks and every copy whose
 *    range of epochs holds no remaining snapshot.
 *
 * The targets and the barrier drive it through engine.h: the source
 * target sends its writes to dmr_cow_map_source(), a replica target all
 * its I/O to dmr_snap_map_replica().
 *
 * The invariant it keeps: a source write to a chunk a snapshot still needs
 * is held until the old data is copied to the pool and the metadata that
 * points to it is durable, and until every replica read of that chunk that
 * went to the source has completed.
 */
#ifndef DM_REPLICA_COW_H
#define DM_REPLICA_COW_H

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/list.h>
#include <linux/types.h>

#include "changes.h"

struct dmr_cow;
struct dmr_snap;
struct dmr_pool;
struct dmr_src_engine;
struct dmr_rep_engine;

/* What the copy-on-write decided for a bio. */
enum dmr_verdict {
	DMR_READY,		/* remapped: send it on */
	DMR_QUEUED,		/* parked: it comes back to the worker later */
	DMR_NEED,		/* a pending entry must be made for a chunk */
	DMR_KILL,		/* fail it */
};

struct dmr_pending;

/* Per-bio data of the replica target (ti->per_io_data_size). */
struct dmr_cow_io {
	struct hlist_node node;
	u64 chunk;
	bool tracked;	/* a read at the origin (cow->tracked) */
	bool pinned;	/* a read of a shared copy (cow->pinned) */
	struct dmr_snap *snap;
	struct dmr_pending *overwrite;	/* this write is the chunk's copy */
};

/*
 * The owner of a snapshot (its group) is told when the cow cannot go on:
 * @broken is called once per snapshot, from a worker, with the reason,
 * and records it durably before it returns. Source writes that needed a
 * copy are held until every snapshot's owner has returned. It may sleep,
 * but must not wait for those writes (allocate with noio).
 */
struct dmr_cow_owner_ops {
	void (*broken)(struct dmr_snap *snap, void *ctx, const char *reason);
	/*
	 * The change map of @snap could not be written: it is unknown from
	 * now on. Called from a worker, under the same rules as @broken;
	 * the writes it held go on once it returns.
	 */
	void (*changes_lost)(struct dmr_snap *snap, void *ctx);
};

/*
 * Identity of a snapshot's private chunks in the pool's owner table:
 * @slot + 1 is stored, with @gen, so that entries of a deleted group read
 * as free.
 */
struct dmr_cow_id {
	u16 slot;
	u32 gen;
	u16 member;
};

/* The snapshot engine's faces (engine.h) of a cow and of a snapshot. */
struct dmr_src_engine *dmr_cow_engine(struct dmr_cow *cow);
struct dmr_rep_engine *dmr_snap_engine(struct dmr_snap *snap);

/* @origin_id names the cow's shared copies in the owner table. */
struct dmr_cow *dmr_cow_create(struct dmr_pool *pool, u16 origin_id, sector_t origin_sectors);
/* No snapshot left: wait for copies in flight to end, then free. May sleep. */
void dmr_cow_destroy(struct dmr_cow *cow);
/* Wait until no copy is in flight and the workers are idle. May sleep. */
void dmr_cow_quiesce(struct dmr_cow *cow);
/*
 * A snapshot of the source was recorded Broken, or the source cannot be
 * vouched for: the cow breaks (source writes pass, replica I/O fails)
 * without telling the owners. Process context.
 */
void dmr_cow_mark_broken(struct dmr_cow *cow, const char *reason);
bool dmr_cow_is_broken(struct dmr_cow *cow);
/* Has the cow a started snapshot? */
bool dmr_cow_has_snaps(struct dmr_cow *cow);
/* Why it broke ("" while it works). */
void dmr_cow_reason(struct dmr_cow *cow, char *buf, size_t len);

/*
 * The device the source data lives on; set before the first source write
 * reaches the cow, while the source holds its writes.
 */
void dmr_cow_set_origin(struct dmr_cow *cow, struct block_device *origin);
/*
 * The source went (its writes no longer come through the cow): a
 * background copy waits until the origin is set again. Any context.
 */
void dmr_cow_detached(struct dmr_cow *cow);

/* A source write (or discard, write-zeroes): DM_MAPIO_REMAPPED when it
 * may go to the origin now, DM_MAPIO_SUBMITTED when the cow took it and
 * will send it on later with submit_bio_noacct(). Map context.
 */
int dmr_cow_map_source(struct dmr_cow *cow, struct bio *bio);

/* Load one shared copy read from the owner table. Before the cow is used. */
int dmr_cow_load_copy(struct dmr_cow *cow, u64 src_chunk, u32 hi, u64 pool_chunk);
/*
 * After every snapshot and copy is loaded: free the copies no snapshot
 * needs (left by a deletion the crash interrupted), returning how many.
 */
u64 dmr_cow_load_done(struct dmr_cow *cow);
/* The newest epoch the cow has seen, snapshots and copies. */
u32 dmr_cow_max_epoch(struct dmr_cow *cow);

/* A snapshot of the source. It takes no I/O until started or loaded. */
struct dmr_snap *dmr_snap_create(struct dmr_cow *cow, const struct dmr_cow_id *id,
				 const struct dmr_cow_owner_ops *ops, void *ctx);
/*
 * Free a snapshot that was never started or was released; or, when a load
 * failed, one that was loaded (nothing is given back to the pool then).
 */
void dmr_snap_destroy(struct dmr_snap *snap);
/*
 * The point in time: the snapshot takes the pool's next epoch and from now
 * on the cow keeps what it needs. With the source's writes held and drained (the
 * barrier). -EIO when the cow is broken.
 */
int dmr_snap_start(struct dmr_snap *snap);
/* A snapshot read from the pool, with its epoch. Before the cow is used. */
int dmr_snap_load(struct dmr_snap *snap, u32 epoch);
int dmr_snap_load_private(struct dmr_snap *snap, u64 src_chunk, u64 pool_chunk);
u32 dmr_snap_epoch(struct dmr_snap *snap);
bool dmr_snap_started(struct dmr_snap *snap);

/*
 * Delete a started snapshot: the cow forgets it, its private chunks and
 * the copies that only it needed go back to the pool. No replica of it may
 * be open. May sleep.
 */
void dmr_snap_release(struct dmr_snap *snap);
/*
 * The first half of a release: the cow forgets @snap (no source write
 * needs a copy for it, the copies only it needed go back), its private
 * chunks stay, for dmr_snap_adopt(), until dmr_snap_release(). May sleep.
 */
void dmr_snap_withdraw(struct dmr_snap *snap);

/* I/O to the replica: remaps the bio to the pool or to the origin, queues
 * it, or fails it. Map context; @io is the bio's per-bio data, whose size
 * the replica target must set as its per_io_data_size.
 */
int dmr_snap_map_replica(struct dmr_snap *snap, struct bio *bio, struct dmr_cow_io *io);
/*
 * End of a replica bio; must be called for every bio mapped above, and its
 * answer returned from the target's end_io: DM_ENDIO_INCOMPLETE when the
 * cow will end the bio again later (bio_endio()), once its chunk's
 * metadata is durable.
 */
int dmr_snap_end_replica(struct dmr_snap *snap, struct dmr_cow_io *io, blk_status_t *error);

/*
 * The pool chunk that holds @chunk as @snap sees it (its own version, or
 * the copy that serves its epoch): false when the snapshot reads it at
 * the source, which has not been written there since its point in time.
 */
bool dmr_snap_lookup(struct dmr_snap *snap, u64 chunk, u64 *pool_chunk);

/*
 * The background copy of a clone (clone.c) fills its snapshot: every
 * chunk that is not private to the snapshot (read at the source, or from
 * a copy shared with other snapshots) is copied into a chunk private to
 * it, through the same pending entry a replica write makes, so that
 * source writes to the chunk wait for the copy as they wait for any
 * other. Once every chunk is private, source writes need no copy for it
 * any more, and the snapshot can be made independent.
 */
enum dmr_fill {
	DMR_FILL_HELD,		/* the snapshot's version is in the pool already */
	DMR_FILL_STARTED,	/* a copy of it started */
	DMR_FILL_BUSY,		/* another copy of the chunk is in flight: look later */
	DMR_FILL_NOMEM,		/* no memory now: try later */
	DMR_FILL_NOSPACE,	/* the pool is down to its spare chunks: try later */
	DMR_FILL_NO_ORIGIN,	/* the source is not there (yet, or any more) */
	DMR_FILL_BROKEN,	/* the cow is broken: the snapshot is lost */
	DMR_FILL_TOOK,		/* (internal) a replica write became the copy */
};

/* Copy @chunk into @snap unless it is private to @snap. Process context. */
enum dmr_fill dmr_snap_fill(struct dmr_snap *snap, u64 chunk);
/*
 * When every chunk of @snap is private to it: make it independent of its
 * cow (a cow that breaks no longer breaks it, its replica I/O goes on)
 * and return true. Before the cow is used, or from the fill's owner.
 */
bool dmr_snap_make_independent(struct dmr_snap *snap);
bool dmr_snap_is_independent(struct dmr_snap *snap);
u32 dmr_snap_chunk_sectors(struct dmr_snap *snap);
/* Chunks of the source, the last one maybe short. */
u64 dmr_snap_nr_chunks(struct dmr_snap *snap);
/*
 * Copies private to @snap in flight (the fill's and the replica's writes),
 * until their owner entries are durable; and of them, the fill's whose
 * data is not written yet: a fill needs no more than that many devices'
 * worth of depth, while the commits of the others are shared.
 */
unsigned int dmr_snap_copies_in_flight(struct dmr_snap *snap);
unsigned int dmr_snap_fills_in_flight(struct dmr_snap *snap);
/*
 * Wait until fewer than @copies are in flight or fewer than @fills are
 * writing their data; false on timeout. May sleep.
 */
bool dmr_snap_wait_copies(struct dmr_snap *snap, unsigned int copies, unsigned int fills,
			  unsigned long timeout);
/* jiffies of the last source write or replica I/O of @snap's source. */
unsigned long dmr_snap_last_io(struct dmr_snap *snap);

/* Chunks a fill of @snap started to copy, since it was made. */
u64 dmr_snap_fills(struct dmr_snap *snap);

/*
 * Change tracking of a clone: which chunks were written since the point
 * in time at the source and at the replica (changes.h). A Resync Replica
 * copies only those (the others it takes over from the old point in time
 * with dmr_snap_adopt()), and user space reads them as runs. A placed map
 * is in the pool, and every write waits until its bit there is durable.
 */
/*
 * Track the changes of @snap from its start (or load); @unknown: what
 * changed before is not known (a snapshot loaded), so every chunk counts
 * as changed. Before dmr_snap_start() or dmr_snap_load(). May sleep.
 */
int dmr_snap_track(struct dmr_snap *snap, bool unknown);
bool dmr_snap_tracked(struct dmr_snap *snap);
/*
 * Give the tracked @snap, not yet started, its map in the pool: chunks
 * allocated, zeroed and owned by it (durable with the next commit, which
 * the caller waits for before the point in time). On failure, the chunks
 * placed so far stay until dmr_snap_unplace_changes(). May sleep.
 */
int dmr_snap_place_changes(struct dmr_snap *snap);
/*
 * Give the chunks of @snap's map back to the pool and stop tracking it
 * (a creation undone; a release does it too). May sleep.
 */
void dmr_snap_unplace_changes(struct dmr_snap *snap);
/*
 * Stop tracking @snap, started or not, and give its map's chunks back (a
 * dissolved clone). Writes held for its map go on. May sleep.
 */
void dmr_snap_untrack(struct dmr_snap *snap);
/*
 * Loading: a map chunk of @snap found in the owner table (its source
 * chunk has DMR_CHANGES_TAG), then, once all are, the map read back from
 * the pool; with @lost, or a chunk missing, it is unknown. May sleep.
 */
int dmr_snap_load_change_chunk(struct dmr_snap *snap, u64 src_chunk, u64 pool_chunk);
int dmr_snap_load_changes(struct dmr_snap *snap, bool lost);
/* Tracked, and every change since the point in time is known. */
bool dmr_snap_changes_known(struct dmr_snap *snap);
/* A write may have passed unseen: from now on every chunk counts as changed. */
void dmr_snap_changes_lost(struct dmr_snap *snap);
/*
 * The first run of changed chunks at or after *@chunk: its start in
 * *@chunk, its length in *@count and DMR_CHANGED_* in *@sides (the same
 * for the whole run). False when there is none. Process context.
 */
bool dmr_snap_changed_next(struct dmr_snap *snap, u64 *chunk, u64 *count, unsigned int *sides);
/* Has @chunk changed on either side (or is it not known)? Any context. */
bool dmr_snap_chunk_changed(struct dmr_snap *snap, u64 chunk);
/*
 * Give @to, started, the private chunk of @from, withdrawn, for @chunk:
 * the caller knows that it holds what @to's point in time holds there.
 * -ENOENT when @from has none or @to has one, -EBUSY while a copy of the
 * chunk is in flight (dmr_snap_wait_chunk(), then again), -EIO when the
 * cow broke. Only the owner entry changes: it is durable with the next
 * commit. Process context.
 */
int dmr_snap_adopt(struct dmr_snap *to, struct dmr_snap *from, u64 chunk);
/* Wait until no copy of @chunk is in flight. May sleep. */
void dmr_snap_wait_chunk(struct dmr_snap *snap, u64 chunk);

bool dmr_snap_is_broken(struct dmr_snap *snap);
/* Chunks of the snapshot held in the pool (shared copies and private). */
u64 dmr_snap_copied_chunks(struct dmr_snap *snap);

#if IS_ENABLED(CONFIG_KUNIT)
/* The decisions a cow makes; not static when the kernel has KUnit. */
enum dmr_verdict __dmr_cow_source(struct dmr_cow *cow, struct bio *bio, u64 *need);
enum dmr_verdict __dmr_snap_replica(struct dmr_snap *snap, struct bio *bio,
				    struct dmr_cow_io *io, u64 *need);
bool __dmr_tracked(struct dmr_cow *cow, u64 chunk);
/*
 * The mapping itself, without I/O: does a write to @chunk need a copy;
 * record a copy made now (with @hi the newest epoch). cow->lock is taken
 * inside.
 */
bool dmr_cow_needs_copy(struct dmr_cow *cow, u64 chunk);
int dmr_cow_add_copy(struct dmr_cow *cow, u64 chunk, u64 pool_chunk);
/* Record a private chunk of @snap made now. */
int dmr_snap_add_private(struct dmr_snap *snap, u64 chunk, u64 pool_chunk);
/* Every copy of @chunk, newest first; returns how many (at most @max). */
unsigned int dmr_cow_copies(struct dmr_cow *cow, u64 chunk, u64 *pool_chunks, u32 *his,
			    unsigned int max);
#endif
#ifdef DMR_KUNIT_TEST
/*
 * For the KUnit suite only (make DMR_KUNIT=1): a cow with no pool. The
 * pool chunks it frees are handed to @freed.
 */
struct dmr_cow *dmr_cow_create_test(u32 chunk_sectors, sector_t origin_sectors,
				    void (*freed)(void *ctx, u64 pool_chunk), void *ctx);
#endif

#endif /* DM_REPLICA_COW_H */
