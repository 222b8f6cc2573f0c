// SPDX-License-Identifier: GPL-2.0
/*
 * dm-replica: the change map of a clone (see changes.h).
 */
#include <linux/bitmap.h>
#include <linux/blkdev.h>
#include <linux/dm-io.h>
#include <linux/slab.h>

#include "changes.h"

#define DMR_CHANGES_NONE	U64_MAX
#define DMR_BLOCK_SECTORS	(DMR_CHANGES_BLOCK_BYTES >> SECTOR_SHIFT)
#define DMR_BLOCK_WORDS		(DMR_CHANGES_BLOCK_BYTES / sizeof(u64))

/*
 * struct dmr_changes - the change map of one clone
 * @bits:     per side, one bit per chunk, rounded up to whole blocks;
 *            set atomically under the caller's lock.
 * @dirty:    per side, one bit per block: changed since the last write
 *            took it. Caller's lock.
 * @writing:  per side, the blocks the write in progress took. Set and
 *            cleared under the caller's lock; the writer walks them alone.
 * @where:    the pool chunk of each map chunk: the source side's blocks
 *            first, then the replica side's, DMR_CHANGES_BLOCK_BYTES each.
 * @nr_placed: map chunks with a place.
 * @unknown:  every chunk counts as changed; nothing is held or written.
 * @cursor:   the writer's position (side * nr_blocks + block).
 */
struct dmr_changes {
	u64 nr_chunks;
	unsigned int nr_blocks;		/* per side */
	unsigned int blocks_per_chunk;
	unsigned int nr_map_chunks;
	unsigned int nr_placed;
	bool unknown;
	unsigned long *bits[DMR_NR_SIDES];
	unsigned long *dirty[DMR_NR_SIDES];
	unsigned long *writing[DMR_NR_SIDES];
	u64 *where;
	unsigned int cursor;
};

static unsigned int dmr_changes_blocks(u64 nr_chunks)
{
	return DIV_ROUND_UP_ULL(nr_chunks, DMR_CHANGES_BLOCK_BITS) ?: 1;
}

unsigned int dmr_changes_pool_chunks(u64 nr_chunks, u32 pool_chunk_sectors)
{
	unsigned int bpc = (pool_chunk_sectors << SECTOR_SHIFT) / DMR_CHANGES_BLOCK_BYTES;

	return DIV_ROUND_UP(DMR_NR_SIDES * dmr_changes_blocks(nr_chunks), bpc);
}

struct dmr_changes *dmr_changes_alloc(u64 nr_chunks, u32 pool_chunk_sectors, bool unknown)
{
	struct dmr_changes *ch = kzalloc(sizeof(*ch), GFP_KERNEL);
	unsigned int s, i;

	if (!ch)
		return NULL;
	ch->nr_chunks = nr_chunks;
	ch->nr_blocks = dmr_changes_blocks(nr_chunks);
	/* A chunk is at least one block (DMR_MIN_CHUNK_SECTORS). */
	ch->blocks_per_chunk = (pool_chunk_sectors << SECTOR_SHIFT) / DMR_CHANGES_BLOCK_BYTES;
	ch->nr_map_chunks = dmr_changes_pool_chunks(nr_chunks, pool_chunk_sectors);
	ch->unknown = unknown;
	ch->where = kvmalloc_array(ch->nr_map_chunks, sizeof(u64), GFP_KERNEL);
	if (!ch->where)
		goto nomem;
	for (i = 0; i < ch->nr_map_chunks; i++)
		ch->where[i] = DMR_CHANGES_NONE;
	for (s = 0; s < DMR_NR_SIDES; s++) {
		ch->bits[s] = kvcalloc(ch->nr_blocks, DMR_CHANGES_BLOCK_BYTES, GFP_KERNEL);
		ch->dirty[s] = bitmap_zalloc(ch->nr_blocks, GFP_KERNEL);
		ch->writing[s] = bitmap_zalloc(ch->nr_blocks, GFP_KERNEL);
		if (!ch->bits[s] || !ch->dirty[s] || !ch->writing[s])
			goto nomem;
	}
	return ch;
nomem:
	dmr_changes_free(ch);
	return NULL;
}

void dmr_changes_free(struct dmr_changes *ch)
{
	unsigned int s;

	if (!ch)
		return;
	for (s = 0; s < DMR_NR_SIDES; s++) {
		kvfree(ch->bits[s]);
		bitmap_free(ch->dirty[s]);
		bitmap_free(ch->writing[s]);
	}
	kvfree(ch->where);
	kfree(ch);
}

void dmr_changes_place(struct dmr_changes *ch, u32 index, u64 pool_chunk)
{
	if (WARN_ON(index >= ch->nr_map_chunks))
		return;
	if (ch->where[index] == DMR_CHANGES_NONE)
		ch->nr_placed++;
	ch->where[index] = pool_chunk;
}

bool dmr_changes_where(struct dmr_changes *ch, u32 index, u64 *pool_chunk)
{
	if (index >= ch->nr_map_chunks || ch->where[index] == DMR_CHANGES_NONE)
		return false;
	*pool_chunk = ch->where[index];
	return true;
}

u32 dmr_changes_map_chunks(struct dmr_changes *ch)
{
	return ch->nr_map_chunks;
}

bool dmr_changes_placed(struct dmr_changes *ch)
{
	return ch->nr_placed == ch->nr_map_chunks;
}

bool dmr_changes_unknown(struct dmr_changes *ch)
{
	return READ_ONCE(ch->unknown);
}

void __dmr_changes_lose(struct dmr_changes *ch)
{
	WRITE_ONCE(ch->unknown, true);
}

/* Where block @b of @side is on the pool device. */
static sector_t dmr_block_sector(struct dmr_changes *ch, unsigned int side, unsigned int b,
				 sector_t (*sector_of)(void *ctx, u64 pool_chunk), void *ctx)
{
	unsigned int n = side * ch->nr_blocks + b;

	return sector_of(ctx, ch->where[n / ch->blocks_per_chunk]) +
		(sector_t)(n % ch->blocks_per_chunk) * DMR_BLOCK_SECTORS;
}

static int dmr_block_io(struct dm_io_client *io, blk_opf_t opf, struct block_device *bdev,
			sector_t sector, void *page)
{
	struct dm_io_region where = {
		.bdev = bdev, .sector = sector, .count = DMR_BLOCK_SECTORS,
	};
	struct dm_io_request req = {
		.bi_opf = opf,
		.mem.type = DM_IO_KMEM,
		.mem.ptr.addr = page,
		.client = io,
	};

	/* No notify function: dm_io() waits. */
	return dm_io(&req, 1, &where, NULL, IOPRIO_DEFAULT);
}

int dmr_changes_read(struct dmr_changes *ch, struct dm_io_client *io, struct block_device *bdev,
		     sector_t (*sector_of)(void *ctx, u64 pool_chunk), void *ctx)
{
	u64 *words;
	unsigned int s, b, w;
	int r = 0;

	if (!dmr_changes_placed(ch)) {
		ch->unknown = true;
		return -ENOENT;
	}
	words = kmalloc(DMR_CHANGES_BLOCK_BYTES, GFP_KERNEL);
	if (!words) {
		ch->unknown = true;
		return -ENOMEM;
	}
	for (s = 0; s < DMR_NR_SIDES && !r; s++) {
		for (b = 0; b < ch->nr_blocks && !r; b++) {
			r = dmr_block_io(io, REQ_OP_READ, bdev,
					 dmr_block_sector(ch, s, b, sector_of, ctx), words);
			for (w = 0; w < DMR_BLOCK_WORDS; w++)
				le64_to_cpus(&words[w]);
			bitmap_from_arr64(ch->bits[s] + b * BITS_TO_LONGS(DMR_CHANGES_BLOCK_BITS),
					  words, DMR_CHANGES_BLOCK_BITS);
		}
		/* Bits past the last chunk are not changes: a map is whole blocks. */
		bitmap_clear(ch->bits[s], ch->nr_chunks,
			     ch->nr_blocks * DMR_CHANGES_BLOCK_BITS - ch->nr_chunks);
	}
	kfree(words);
	/* Known from here on only when all of it was read. */
	ch->unknown = r != 0;
	return r;
}

bool __dmr_changes_mark(struct dmr_changes *ch, unsigned int side, u64 first, u64 last)
{
	bool wait = false;
	unsigned int b;
	u64 c;

	for (c = first; c <= last; c++) {
		b = c / DMR_CHANGES_BLOCK_BITS;
		/* Set now, or set before and not yet written: not durable. */
		if (!test_and_set_bit(c, ch->bits[side])) {
			__set_bit(b, ch->dirty[side]);
			wait = true;
		} else if (test_bit(b, ch->dirty[side]) || test_bit(b, ch->writing[side])) {
			wait = true;
		}
	}
	return wait && !ch->unknown && dmr_changes_placed(ch);
}

unsigned int __dmr_changes_of(struct dmr_changes *ch, u64 chunk)
{
	if (ch->unknown)
		return DMR_CHANGED_UNKNOWN;
	return (test_bit(chunk, ch->bits[DMR_SIDE_SOURCE]) ? DMR_CHANGED_SOURCE : 0) |
		(test_bit(chunk, ch->bits[DMR_SIDE_REPLICA]) ? DMR_CHANGED_REPLICA : 0);
}

u64 __dmr_changes_next(struct dmr_changes *ch, u64 chunk)
{
	if (ch->unknown)
		return chunk;
	return min(find_next_bit(ch->bits[DMR_SIDE_SOURCE], ch->nr_chunks, chunk),
		   find_next_bit(ch->bits[DMR_SIDE_REPLICA], ch->nr_chunks, chunk));
}

u64 __dmr_changes_run_end(struct dmr_changes *ch, u64 chunk, unsigned int sides)
{
	unsigned long *src = ch->bits[DMR_SIDE_SOURCE], *rep = ch->bits[DMR_SIDE_REPLICA];
	u64 n = ch->nr_chunks;

	/* Word by word, not bit by bit: the caller has interrupts off. */
	switch (sides) {
	case DMR_CHANGED_SOURCE:
		return min(find_next_zero_bit(src, n, chunk), find_next_bit(rep, n, chunk));
	case DMR_CHANGED_REPLICA:
		return min(find_next_zero_bit(rep, n, chunk), find_next_bit(src, n, chunk));
	case DMR_CHANGED_SOURCE | DMR_CHANGED_REPLICA:
		return min(find_next_zero_bit(src, n, chunk), find_next_zero_bit(rep, n, chunk));
	default:
		/* Unknown: the map says nothing of any chunk. */
		return n;
	}
}

unsigned int __dmr_changes_write_start(struct dmr_changes *ch)
{
	unsigned int s, n = 0;

	ch->cursor = 0;
	if (ch->unknown || !dmr_changes_placed(ch))
		return 0;
	for (s = 0; s < DMR_NR_SIDES; s++) {
		bitmap_copy(ch->writing[s], ch->dirty[s], ch->nr_blocks);
		bitmap_zero(ch->dirty[s], ch->nr_blocks);
		n += bitmap_weight(ch->writing[s], ch->nr_blocks);
	}
	return n;
}

bool dmr_changes_write_block(struct dmr_changes *ch, struct dm_io_client *io,
			     struct block_device *bdev,
			     sector_t (*sector_of)(void *ctx, u64 pool_chunk), void *ctx,
			     void *page, int *err)
{
	unsigned int s, b, w, pos;
	u64 *words = page;
	int r;

	for (pos = ch->cursor; pos < DMR_NR_SIDES * ch->nr_blocks; pos++) {
		s = pos / ch->nr_blocks;
		b = pos % ch->nr_blocks;
		if (test_bit(b, ch->writing[s]))
			break;
	}
	if (pos == DMR_NR_SIDES * ch->nr_blocks)
		return false;
	ch->cursor = pos + 1;
	/*
	 * Without the lock: a bit set meanwhile is in the copy or not, and
	 * marked its block dirty for the next write either way.
	 */
	bitmap_to_arr64(words, ch->bits[s] + b * BITS_TO_LONGS(DMR_CHANGES_BLOCK_BITS),
			DMR_CHANGES_BLOCK_BITS);
	for (w = 0; w < DMR_BLOCK_WORDS; w++)
		cpu_to_le64s(&words[w]);
	r = dmr_block_io(io, REQ_OP_WRITE | REQ_SYNC | REQ_FUA, bdev,
			 dmr_block_sector(ch, s, b, sector_of, ctx), words);
	if (r && !*err)
		*err = r;
	return true;
}

void __dmr_changes_write_end(struct dmr_changes *ch)
{
	unsigned int s;

	for (s = 0; s < DMR_NR_SIDES; s++)
		bitmap_zero(ch->writing[s], ch->nr_blocks);
}
