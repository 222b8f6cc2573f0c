/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dm-replica: the change map of a clone.
 *
 * A clone keeps, for each side (its source, its replica), one bit per
 * chunk written since its point in time. A Resync Replica copies only the
 * chunks with a bit on either side; user space reads them as runs.
 *
 * The map is in memory and, once placed (dmr_changes_place()), in chunks
 * of the pool: DMR_CHANGES_BLOCK_BYTES blocks of little-endian 64-bit
 * words, the source side's blocks and then the replica side's, in map
 * chunks numbered 0, 1, ... and owned by the snapshot with
 * dmr_changes_src_chunk(i) as their source chunk. Like
 * dm-era's write sets, a bit is durable before the write it stands for
 * goes on: a write that sets a bit, or finds its block not yet written,
 * is held (__dmr_changes_mark() says so) until the caller has written
 * every block changed before it (dmr_changes_write_start(), _block(),
 * _end()). A crash never loses a change; a chunk costs one map write per
 * point in time, and a write to a chunk whose bit is durable goes on at
 * once.
 *
 * A map that cannot be trusted (a pool loaded without it, a source
 * written without its pool, a map write that failed) is "unknown": every
 * chunk counts as changed, and nothing is held or written for it.
 *
 * Locking: the caller serialises __dmr_changes_mark(), the reads and
 * dmr_changes_write_start()/_end() with one lock (the cow's); the blocks
 * are copied for writing without it (bits are set atomically, and a bit
 * set after a block was taken marks the block for the next write); one
 * writer at a time.
 */
#ifndef DM_REPLICA_CHANGES_H
#define DM_REPLICA_CHANGES_H

#include <linux/types.h>

struct dm_io_client;
struct block_device;

enum dmr_side {
	DMR_SIDE_SOURCE,
	DMR_SIDE_REPLICA,
	DMR_NR_SIDES,
};

/* What dmr_changes_next() says of a run of chunks (the ABI's values). */
#define DMR_CHANGED_SOURCE	0x1	/* written at the source */
#define DMR_CHANGED_REPLICA	0x2	/* written at the replica */
#define DMR_CHANGED_UNKNOWN	0x4	/* not known: taken as changed */

#define DMR_CHANGES_BLOCK_BYTES	4096U
#define DMR_CHANGES_BLOCK_BITS	(DMR_CHANGES_BLOCK_BYTES * 8)

/*
 * The source chunk an owner entry of a map chunk carries: far above any
 * source's chunks (which are below 2^63).
 */
#define DMR_CHANGES_TAG		BIT_ULL(63)
static inline u64 dmr_changes_src_chunk(u32 index)
{
	return DMR_CHANGES_TAG | index;
}

static inline bool dmr_changes_is_map(u64 src_chunk)
{
	return src_chunk & DMR_CHANGES_TAG;
}

struct dmr_changes;

/* A map of @nr_chunks chunks, in memory; @unknown: every chunk counts. */
struct dmr_changes *dmr_changes_alloc(u64 nr_chunks, u32 pool_chunk_sectors, bool unknown);
void dmr_changes_free(struct dmr_changes *ch);

/* Pool chunks a map of @nr_chunks takes, both sides. */
unsigned int dmr_changes_pool_chunks(u64 nr_chunks, u32 pool_chunk_sectors);

/*
 * The pool chunks of the map: dmr_changes_place() records where map chunk
 * @index is (zeroed by the caller, its owner entry set), and
 * dmr_changes_where() tells it (false when not placed), of the
 * dmr_changes_map_chunks() the map has. Once every one is placed, writes
 * are held for their bits: dmr_changes_placed().
 */
void dmr_changes_place(struct dmr_changes *ch, u32 index, u64 pool_chunk);
bool dmr_changes_where(struct dmr_changes *ch, u32 index, u64 *pool_chunk);
u32 dmr_changes_map_chunks(struct dmr_changes *ch);
bool dmr_changes_placed(struct dmr_changes *ch);

/*
 * Read a loaded map back from the pool (every chunk placed): @bdev and
 * @sector_of translate pool chunks. -ENOENT when a chunk is missing, the
 * I/O error otherwise; the map is unknown then. Process context.
 */
int dmr_changes_read(struct dmr_changes *ch, struct dm_io_client *io, struct block_device *bdev,
		     sector_t (*sector_of)(void *ctx, u64 pool_chunk), void *ctx);

/*
 * A write to chunks @first to @last of @side: set their bits. True when
 * the write must wait for a map write. Caller's lock held; any context.
 */
bool __dmr_changes_mark(struct dmr_changes *ch, unsigned int side, u64 first, u64 last);

/* Is the map unknown (every chunk counts as changed)? */
bool dmr_changes_unknown(struct dmr_changes *ch);
/* From now on it is. Caller's lock held. */
void __dmr_changes_lose(struct dmr_changes *ch);

/* DMR_CHANGED_* of @chunk. Caller's lock held. */
unsigned int __dmr_changes_of(struct dmr_changes *ch, u64 chunk);
/*
 * The first changed chunk at or after @chunk, or the map's size when
 * there is none. Caller's lock held.
 */
u64 __dmr_changes_next(struct dmr_changes *ch, u64 chunk);
/*
 * The end of the run of chunks from @chunk changed on @sides (what
 * __dmr_changes_of(@chunk) says): the first chunk past it. Caller's lock
 * held.
 */
u64 __dmr_changes_run_end(struct dmr_changes *ch, u64 chunk, unsigned int sides);

/*
 * A map write: _start() takes the blocks changed since the last one
 * (caller's lock held) and returns how many; _block() writes the next of
 * them (process context, no lock; false when none is left, with *@err
 * the first error); _end() says they are written (caller's lock held).
 */
unsigned int __dmr_changes_write_start(struct dmr_changes *ch);
bool dmr_changes_write_block(struct dmr_changes *ch, struct dm_io_client *io,
			     struct block_device *bdev,
			     sector_t (*sector_of)(void *ctx, u64 pool_chunk), void *ctx,
			     void *page, int *err);
void __dmr_changes_write_end(struct dmr_changes *ch);

#endif /* DM_REPLICA_CHANGES_H */
