// SPDX-License-Identifier: GPL-2.0
/*
 * dm-replica: copy-on-write of one source for all its snapshots in a pool.
 *
 * State of a cow, all protected by cow->lock (taken with interrupts off,
 * since replica bios end in interrupt context):
 *
 *  snaps     the started snapshots, ordered by epoch (oldest first). Also
 *            changed only under cow->snaps_mutex, so that the broken
 *            worker can walk it while it sleeps.
 *  map       source chunk -> its copies (struct dmr_copy), newest first,
 *            for every chunk whose old data is in the pool and whose owner
 *            entry is durable. Copy i holds the chunk as every snapshot
 *            with an epoch in (hi of copy i+1, hi of copy i] saw it.
 *  snap->priv
 *            source chunk -> pool chunk a replica wrote (its own version
 *            of the chunk), once its owner entry is durable.
 *  pending   source chunk -> struct dmr_pending, for every chunk being
 *            copied (shared, or private to one snapshot), or copied and
 *            committed but still read at the origin by replica reads that
 *            started before. Source writes to such a chunk wait on it.
 *  tracked   replica reads in flight to the origin, hashed by chunk.
 *  pinned    replica reads in flight to a shared copy, hashed by chunk:
 *            no copy of a chunk with such a read is freed.
 *
 * A source write needs, for every chunk it covers, that no snapshot newer
 * than the chunk's newest copy is without its own version of the chunk,
 * and that none of the chunks is pending. When a chunk needs a copy, the
 * write is handed to the worker, which creates the pending entry (this
 * needs memory) and starts the copy: the origin chunk is read into a
 * buffer of the cow, checksummed and written to a fresh pool chunk
 * (through dm-kcopyd, unchecksummed, when no buffer is free, and for a
 * private chunk); then the owner entry is set and committed with the
 * pool's other changes; then the copy enters the map,
 * serving every snapshot taken since the chunk's previous copy; and when
 * no replica read of it is left at the origin, the waiting writes are sent
 * on. One copy serves them all: a chunk is copied once per version that a
 * snapshot needs, however many snapshots there are.
 *
 * A replica read goes to the snapshot's private chunk, else to the copy
 * that serves its epoch, else to the origin, where it is tracked until it
 * ends, so that no source write to the chunk can pass it. A replica write
 * goes to the snapshot's private chunk; the first one of a chunk makes it
 * by copying the chunk as the snapshot sees it (from the pool or the
 * origin), or, for a write of the whole chunk, by writing a fresh pool
 * chunk, ended only once the owner entry of that chunk is durable.
 *
 * A copy is needed while a snapshot in its range has no private version
 * of the chunk. Deleting a snapshot frees its private chunks and, of the
 * copies whose range held its epoch, those no snapshot needs any more; a
 * private version made later frees the copy that served only its
 * snapshot. A copy some reads of which are still in flight (pinned) is
 * kept until the last of them ends, which looks at the chunk again.
 *
 * When the pool is full or an I/O to it fails, the cow is broken: source
 * writes that need a copy are held until the owners of every snapshot
 * have recorded the failure durably, then go to the origin unchanged from
 * then on; replica I/O fails. One source's snapshots break together: the
 * copy that failed may have been needed by any of them, and every later
 * write would need the full pool as well.
 */
#include <kunit/visibility.h>
#include <linux/bio.h>
#include <linux/device-mapper.h>
#include <linux/dm-io.h>
#include <linux/dm-kcopyd.h>
#include <linux/hash.h>
#include <linux/mempool.h>
#include <linux/mutex.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "changes.h"
#include "cow.h"
#include "dm-replica.h"
#include "engine.h"
#include "metadata.h"
#include "pool.h"

#define DMR_TRACK_BITS		6
#define DMR_COPY_BUFS		16
#define DMR_REASON_LEN		DM_REPLICA_MESSAGE_LEN

enum dmr_cow_state {
	DMR_COW_ACTIVE,
	DMR_COW_BREAKING,	/* failed; the owners are recording it */
	DMR_COW_BROKEN,
};

/*
 * One copy of a source chunk, in the list of its copies (newest first).
 * Allocated with kmalloc, not a cache of ours: the KUnit suites build
 * maps before the module's init has run.
 */
struct dmr_copy {
	struct dmr_copy *next;
	u64 pool_chunk;
	u32 lo;		/* the oldest snapshot it was made for */
	u32 hi;		/* the newest */
	bool gc_deferred;	/* a look at the chunk waits for its reads */
};

struct dmr_snap {
	struct dmr_rep_engine eng;	/* what the replica target drives */
	struct dmr_cow *cow;
	struct list_head list;		/* in cow->snaps */
	u32 epoch;
	bool started;
	struct xarray priv;
	u64 copied;			/* cow->lock */
	u64 nr_priv;			/* entries in @priv; cow->lock */
	/*
	 * Every chunk is private: the snapshot needs nothing of its source
	 * or of the cow any more (a clone whose copy ended), and a cow that
	 * breaks does not break it. Set once, under cow->lock.
	 */
	bool independent;
	atomic_t nr_pending;		/* private copies in flight */
	atomic_t nr_filling;		/* of them, fills whose data is not written yet */
	atomic64_t nr_fills;		/* chunks a fill started to copy */
	/*
	 * The change map of a clone (dmr_snap_track(), changes.h); NULL when
	 * not tracked. Marked in the map paths under cow->lock, written by
	 * the cow's map worker; set before the snapshot is started or loaded,
	 * freed with it.
	 */
	struct dmr_changes *changes;
	struct dmr_cow_id id;
	const struct dmr_cow_owner_ops *ops;
	void *ctx;
};

struct dmr_pending {
	struct dmr_cow *cow;
	struct dmr_snap *snap;		/* a private copy for it; NULL: shared */
	u64 src_chunk;
	u64 pool_chunk;
	u64 from_chunk;			/* private: the shared copy it starts from */
	u32 hi;				/* shared: the newest epoch it serves */
	bool from_pool;
	bool have_chunk;
	bool filling;			/* a fill counted in snap->nr_filling */
	bool has_csum;			/* shared: copied through @buf, @csum */
	u32 csum;
	void *buf;			/* shared: the chunk, on its way */
	struct work_struct work;	/* shared: from read to write */
	bool committed;		/* in the map, waiting for tracked reads */
	struct dmr_copy *node;		/* shared: its entry in the map */
	struct bio *overwrite;	/* a replica write that is the copy */
	struct bio_list src_waiters;
	struct bio_list rep_waiters;
	struct dmr_md_waiter mdw;
};

struct dmr_cow {
	struct dmr_src_engine eng;	/* what the source target drives */
	spinlock_t lock;	/* protects all up to @reason, and the snaps' priv, copied */
	enum dmr_cow_state state;
	struct list_head snaps;
	struct xarray map;
	struct xarray pending;
	struct hlist_head tracked[1 << DMR_TRACK_BITS];
	struct hlist_head pinned[1 << DMR_TRACK_BITS];
	struct bio_list deferred_src;
	struct bio_list deferred_rep;
	struct bio_list broken_wait;
	/* Writes held until the change map bits they set are durable. */
	struct bio_list map_wait_src;
	struct bio_list map_wait_rep;
	u32 max_epoch;
	unsigned int nr_tracked;	/* snapshots in @snaps with change tracking */
	char reason[DMR_REASON_LEN];
	/*
	 * The source's writes come through the cow (set with the origin,
	 * cleared when the source goes): a background copy reads the origin
	 * only then, as nothing else holds writes that bypass the cow.
	 */
	bool attached;
	/* jiffies of the last source write or replica I/O mapped; no lock */
	unsigned long last_io;

	/* Held around changes of @snaps, and by the broken worker's walk. */
	struct mutex snaps_mutex;

	/* Constant after creation, but for @origin (set once, then constant). */
	struct dmr_pool *pool;
	struct dmr_md *md;
	u16 origin_id;
	struct block_device *origin;
	unsigned int chunk_shift;
	u64 nr_chunks;
	sector_t origin_sectors;

	struct work_struct work;
	struct work_struct broken_work;
	struct work_struct map_work;	/* writes the change maps */
	atomic_t nr_pending;
	wait_queue_head_t idle;

	/*
	 * Chunk buffers of shared copies (see dmr_copy_buf_get()): @nr_bufs
	 * allocated, the @nr_free first of @bufs free. cow->lock.
	 */
	struct dm_io_client *io;
	unsigned int nr_bufs;
	unsigned int nr_free;
	void *bufs[DMR_COPY_BUFS];

	/* KUnit: no pool; freed chunks go here, epochs are counted here. */
	void (*test_freed)(void *ctx, u64 pool_chunk);
	void *test_ctx;
	u32 test_epoch;
};

/* Pending entries for a few copies always in reserve (see dmr_cow_new_pending()). */
#define DMR_PENDING_RESERVE	16

static struct workqueue_struct *dmr_cow_wq;

/*
 * A shared copy goes through a buffer of the cow, so that its data can be
 * checksummed: its owner entry then needs no flush before it (see
 * metadata.c), and a commit of shared copies costs one flush instead of
 * two. Up to DMR_COPY_BUFS buffers and DMR_COPY_BUF_BYTES per cow, made
 * when first needed and kept; a copy that finds none free goes through
 * dm-kcopyd, unchecksummed, as a private one does.
 */
#define DMR_COPY_BUF_BYTES	(4U << 20)
static struct kmem_cache *dmr_pending_cache;
static mempool_t dmr_pending_pool;

static void dmr_cow_kick(struct dmr_cow *cow)
{
	queue_work(dmr_cow_wq, &cow->work);
}

/* Where pool chunk @pool_chunk starts on the pool device (changes.c asks). */
static sector_t dmr_cow_chunk_sector(void *ctx, u64 pool_chunk)
{
	struct dmr_cow *cow = ctx;

	return dmr_pool_chunk_sector(cow->pool, pool_chunk);
}

/* Give a pool chunk back: its owner entry is cleared in the next commit. */
static void dmr_cow_free_chunk(struct dmr_cow *cow, u64 pool_chunk)
{
	if (cow->test_freed) {
		cow->test_freed(cow->test_ctx, pool_chunk);
		return;
	}
	dmr_md_clear_owner(cow->md, pool_chunk);
	dmr_pool_free_chunk(cow->pool, pool_chunk);
}

/*
 * Tell every snapshot's owner, then let the held writes go. The snapshot
 * list cannot change meanwhile (snaps_mutex).
 */
static void dmr_cow_broken_work(struct work_struct *ws)
{
	struct dmr_cow *cow = container_of(ws, struct dmr_cow, broken_work);
	struct bio_list held;
	struct dmr_snap *s;

	mutex_lock(&cow->snaps_mutex);
	list_for_each_entry(s, &cow->snaps, list)
		if (s->ops && s->ops->broken && !READ_ONCE(s->independent))
			s->ops->broken(s, s->ctx, cow->reason);
	mutex_unlock(&cow->snaps_mutex);

	spin_lock_irq(&cow->lock);
	cow->state = DMR_COW_BROKEN;
	held = cow->broken_wait;
	bio_list_init(&cow->broken_wait);
	bio_list_merge(&cow->deferred_src, &held);
	spin_unlock_irq(&cow->lock);
	dmr_cow_kick(cow);
}

/* Mark the cow failed; the first reason is kept. Any context. */
static void dmr_cow_break(struct dmr_cow *cow, const char *reason)
{
	unsigned long flags;
	bool first = false;

	spin_lock_irqsave(&cow->lock, flags);
	if (cow->state == DMR_COW_ACTIVE) {
		cow->state = DMR_COW_BREAKING;
		strscpy(cow->reason, reason, sizeof(cow->reason));
		first = true;
	}
	spin_unlock_irqrestore(&cow->lock, flags);
	if (first) {
		DMERR("copy-on-write of source %u in its pool broken: %s", cow->origin_id,
		      reason);
		queue_work(dmr_cow_wq, &cow->broken_work);
	}
}

void dmr_cow_mark_broken(struct dmr_cow *cow, const char *reason)
{
	spin_lock_irq(&cow->lock);
	if (cow->state == DMR_COW_ACTIVE)
		strscpy(cow->reason, reason, sizeof(cow->reason));
	cow->state = DMR_COW_BROKEN;
	spin_unlock_irq(&cow->lock);
}

bool dmr_cow_is_broken(struct dmr_cow *cow)
{
	return READ_ONCE(cow->state) != DMR_COW_ACTIVE;
}

void dmr_cow_reason(struct dmr_cow *cow, char *buf, size_t len)
{
	spin_lock_irq(&cow->lock);
	strscpy(buf, cow->state == DMR_COW_ACTIVE ? "" : cow->reason, len);
	spin_unlock_irq(&cow->lock);
}

bool dmr_snap_is_broken(struct dmr_snap *snap)
{
	return !READ_ONCE(snap->independent) && dmr_cow_is_broken(snap->cow);
}

u64 dmr_snap_copied_chunks(struct dmr_snap *snap)
{
	return READ_ONCE(snap->copied);
}

u32 dmr_snap_epoch(struct dmr_snap *snap)
{
	return snap->epoch;
}

bool dmr_snap_started(struct dmr_snap *snap)
{
	return READ_ONCE(snap->started);
}

static struct hlist_head *dmr_track_bucket(struct dmr_cow *cow, u64 chunk)
{
	return &cow->tracked[hash_64(chunk, DMR_TRACK_BITS)];
}

static bool __dmr_in_bucket(struct hlist_head *bucket, u64 chunk)
{
	struct dmr_cow_io *io;

	hlist_for_each_entry(io, bucket, node)
		if (io->chunk == chunk)
			return true;
	return false;
}

/* Is a replica read of @chunk in flight at the origin? cow->lock held. */
VISIBLE_IF_KUNIT bool __dmr_tracked(struct dmr_cow *cow, u64 chunk)
{
	return __dmr_in_bucket(dmr_track_bucket(cow, chunk), chunk);
}

static struct hlist_head *dmr_pin_bucket(struct dmr_cow *cow, u64 chunk)
{
	return &cow->pinned[hash_64(chunk, DMR_TRACK_BITS)];
}

/* Was a look at @chunk's copies put off by a read? cow->lock held. */
static bool __dmr_gc_deferred(struct dmr_cow *cow, u64 chunk)
{
	struct dmr_copy *cp;

	for (cp = xa_load(&cow->map, chunk); cp; cp = cp->next)
		if (cp->gc_deferred)
			return true;
	return false;
}

/* Is a replica read of a copy of @chunk in flight? cow->lock held. */
static bool __dmr_pinned(struct dmr_cow *cow, u64 chunk)
{
	return __dmr_in_bucket(dmr_pin_bucket(cow, chunk), chunk);
}

static u64 dmr_chunk(struct dmr_cow *cow, sector_t sector)
{
	return sector >> cow->chunk_shift;
}

/* The newest epoch of a started snapshot, 0 if none. cow->lock held. */
static u32 __dmr_newest_epoch(struct dmr_cow *cow)
{
	return list_empty(&cow->snaps) ? 0 :
		list_last_entry(&cow->snaps, struct dmr_snap, list)->epoch;
}

/*
 * Does a write to @chunk need a copy first: is there a snapshot newer
 * than the chunk's newest copy, without its own version of the chunk?
 * cow->lock held. Walks only the snapshots newer than that copy.
 */
static bool __dmr_needs_copy(struct dmr_cow *cow, u64 chunk)
{
	struct dmr_copy *head = xa_load(&cow->map, chunk);
	u32 last = head ? head->hi : 0;
	struct dmr_snap *s;

	list_for_each_entry_reverse(s, &cow->snaps, list) {
		if (s->epoch <= last)
			break;
		if (!xa_load(&s->priv, chunk))
			return true;
	}
	return false;
}

/* The copy of @chunk that serves epoch @e, or NULL. cow->lock held. */
static struct dmr_copy *__dmr_find_copy(struct dmr_cow *cow, u64 chunk, u32 e)
{
	struct dmr_copy *cp, *best = NULL;

	for (cp = xa_load(&cow->map, chunk); cp && cp->hi >= e; cp = cp->next)
		best = cp;
	/* Older than its first snapshot: one with a version of its own. */
	return best && e >= best->lo ? best : NULL;
}

/*
 * Does a started snapshot with an epoch in [@lo, @hi] read @chunk from
 * the copy that serves that range: has it no version of its own?
 * cow->lock held.
 */
static bool __dmr_copy_needed(struct dmr_cow *cow, u64 chunk, u32 lo, u32 hi)
{
	struct dmr_snap *s;

	list_for_each_entry(s, &cow->snaps, list) {
		if (s->epoch > hi)
			break;
		if (s->epoch >= lo && !xa_load(&s->priv, chunk))
			return true;
	}
	return false;
}

/*
 * The oldest snapshot newer than @after, up to @hi, that has no version
 * of its own of @chunk: the first a copy made now is for. 0 if none.
 * cow->lock held.
 */
static u32 __dmr_first_needy(struct dmr_cow *cow, u64 chunk, u32 after, u32 hi)
{
	struct dmr_snap *s;

	list_for_each_entry(s, &cow->snaps, list) {
		if (s->epoch > hi)
			break;
		if (s->epoch > after && !xa_load(&s->priv, chunk))
			return s->epoch;
	}
	return 0;
}

/*
 * Count a copy of @chunk, serving [@lo, @hi], in the snapshots it serves
 * that have no version of their own. cow->lock held.
 */
static void __dmr_count_copy(struct dmr_cow *cow, u64 chunk, u32 lo, u32 hi)
{
	struct dmr_snap *s;

	list_for_each_entry(s, &cow->snaps, list) {
		if (s->epoch > hi)
			break;
		if (s->epoch >= lo && !xa_load(&s->priv, chunk))
			s->copied++;
	}
}

/*
 * A shared copy of @chunk is durable: put @node (pool chunk, hi set) at
 * the head of the chunk's copies, whose slot in the map is reserved. It
 * is for the snapshots from the oldest one newer than the previous copy
 * without a version of its own: those older than that had their own
 * version before the chunk was written, and never saw what it holds.
 * Returns false, and leaves the map alone, when no snapshot it would
 * serve is left (deleted while the copy was made). cow->lock held.
 */
static bool __dmr_insert_copy(struct dmr_cow *cow, u64 chunk, struct dmr_copy *node)
{
	struct dmr_copy *head = xa_load(&cow->map, chunk);

	node->lo = __dmr_first_needy(cow, chunk, head ? head->hi : 0, node->hi);
	if (!node->lo)
		return false;
	node->next = head;
	xa_store(&cow->map, chunk, node, GFP_ATOMIC);
	__dmr_count_copy(cow, chunk, node->lo, node->hi);
	return true;
}

static void __dmr_chunk_gc(struct dmr_cow *cow, u64 chunk, u32 epoch, bool all,
			   struct dmr_copy **freed);
static u64 dmr_cow_free_list(struct dmr_cow *cow, struct dmr_copy *cp);

/*
 * A private chunk of @snap is durable; its slot is reserved. The copy
 * that served the snapshot may now serve no one: it goes on @freed.
 * cow->lock held.
 */
static void __dmr_insert_private(struct dmr_snap *snap, u64 chunk, u64 pool_chunk,
				 struct dmr_copy **freed)
{
	if (!__dmr_find_copy(snap->cow, chunk, snap->epoch))
		snap->copied++;
	snap->nr_priv++;
	xa_store(&snap->priv, chunk, xa_mk_value(pool_chunk), GFP_ATOMIC);
	__dmr_chunk_gc(snap->cow, chunk, snap->epoch, false, freed);
}

/*
 * Decide for a source write. cow->lock held. On DMR_NEED, *@need is the
 * chunk that needs a copy and has no pending entry.
 */
VISIBLE_IF_KUNIT enum dmr_verdict __dmr_cow_source(struct dmr_cow *cow, struct bio *bio,
						   u64 *need)
{
	struct dmr_pending *first = NULL, *p;
	u64 c, last;

	if (cow->state == DMR_COW_BROKEN)
		return DMR_READY;
	if (cow->state == DMR_COW_BREAKING) {
		bio_list_add(&cow->broken_wait, bio);
		return DMR_QUEUED;
	}
	if (!bio_sectors(bio) || list_empty(&cow->snaps))
		return DMR_READY;

	c = dmr_chunk(cow, bio->bi_iter.bi_sector);
	last = dmr_chunk(cow, bio_end_sector(bio) - 1);
	for (; c <= last && c < cow->nr_chunks; c++) {
		p = xa_load(&cow->pending, c);
		if (p) {
			first = first ?: p;
			continue;
		}
		if (!__dmr_needs_copy(cow, c))
			continue;
		*need = c;
		return DMR_NEED;
	}
	if (first) {
		bio_list_add(&first->src_waiters, bio);
		return DMR_QUEUED;
	}
	return DMR_READY;
}

static void dmr_remap_pool(struct dmr_cow *cow, struct bio *bio, u64 pool_chunk)
{
	/* A KUnit cow has no pool: it only decides. */
	if (unlikely(!cow->pool))
		return;
	bio_set_dev(bio, dmr_pool_bdev(cow->pool));
	bio->bi_iter.bi_sector = dmr_pool_chunk_sector(cow->pool, pool_chunk) +
		(bio->bi_iter.bi_sector & ((1ULL << cow->chunk_shift) - 1));
}

/* Is replica I/O of @snap failed now? cow->lock held. */
static bool __dmr_snap_dead(struct dmr_snap *snap)
{
	return !snap->started || (snap->cow->state != DMR_COW_ACTIVE && !snap->independent);
}

/* Decide for replica I/O (within one chunk). cow->lock held. */
VISIBLE_IF_KUNIT enum dmr_verdict __dmr_snap_replica(struct dmr_snap *snap, struct bio *bio,
						     struct dmr_cow_io *io, u64 *need)
{
	struct dmr_cow *cow = snap->cow;
	u64 c = dmr_chunk(cow, bio->bi_iter.bi_sector);
	struct dmr_pending *p;
	struct dmr_copy *cp;
	void *v;

	if (__dmr_snap_dead(snap))
		return DMR_KILL;

	v = xa_load(&snap->priv, c);
	if (v) {
		dmr_remap_pool(cow, bio, xa_to_value(v));
		return DMR_READY;
	}

	p = xa_load(&cow->pending, c);
	if (p) {
		bio_list_add(&p->rep_waiters, bio);
		return DMR_QUEUED;
	}
	if (op_is_write(bio_op(bio))) {
		*need = c;
		return DMR_NEED;
	}

	cp = __dmr_find_copy(cow, c, snap->epoch);
	if (cp) {
		/* Pinned: a private version made meanwhile must not free it. */
		io->chunk = c;
		io->pinned = true;
		hlist_add_head(&io->node, dmr_pin_bucket(cow, c));
		dmr_remap_pool(cow, bio, cp->pool_chunk);
		return DMR_READY;
	}

	/* A read of data the source still holds: track it there. */
	io->chunk = c;
	io->tracked = true;
	hlist_add_head(&io->node, dmr_track_bucket(cow, c));
	bio_set_dev(bio, cow->origin);
	return DMR_READY;
}

/* Note application I/O, which a background copy yields to. */
static void dmr_cow_note_io(struct dmr_cow *cow)
{
	unsigned long now = jiffies;

	/* Written once a tick at most: the line is shared by every CPU. */
	if (READ_ONCE(cow->last_io) != now)
		WRITE_ONCE(cow->last_io, now);
}

/*
 * Note a source write in the change maps of the source's tracked
 * snapshots, whatever the cow decides for it: a broken cow still passes
 * writes to a source whose clones are independent. True when the write
 * must wait for a map write. cow->lock held.
 */
static bool __dmr_cow_track(struct dmr_cow *cow, struct bio *bio)
{
	struct dmr_snap *s;
	bool wait = false;
	u64 c, last;

	if (!cow->nr_tracked || !bio_sectors(bio))
		return false;
	c = dmr_chunk(cow, bio->bi_iter.bi_sector);
	last = min(dmr_chunk(cow, bio_end_sector(bio) - 1), cow->nr_chunks - 1);
	if (c > last)
		return false;
	list_for_each_entry(s, &cow->snaps, list)
		if (s->changes)
			wait |= __dmr_changes_mark(s->changes, DMR_SIDE_SOURCE, c, last);
	return wait;
}

int dmr_cow_map_source(struct dmr_cow *cow, struct bio *bio)
{
	enum dmr_verdict v;
	unsigned long flags;
	u64 need;

	dmr_cow_note_io(cow);
	spin_lock_irqsave(&cow->lock, flags);
	if (__dmr_cow_track(cow, bio)) {
		bio_list_add(&cow->map_wait_src, bio);
		spin_unlock_irqrestore(&cow->lock, flags);
		queue_work(dmr_cow_wq, &cow->map_work);
		return DM_MAPIO_SUBMITTED;
	}
	v = __dmr_cow_source(cow, bio, &need);
	if (v == DMR_NEED)
		bio_list_add(&cow->deferred_src, bio);
	spin_unlock_irqrestore(&cow->lock, flags);

	if (v == DMR_READY)
		return DM_MAPIO_REMAPPED;
	if (v == DMR_NEED)
		dmr_cow_kick(cow);
	return DM_MAPIO_SUBMITTED;
}

int dmr_snap_map_replica(struct dmr_snap *snap, struct bio *bio, struct dmr_cow_io *io)
{
	struct dmr_cow *cow = snap->cow;
	enum dmr_verdict v;
	unsigned long flags;
	u64 need, c;

	io->tracked = false;
	io->pinned = false;
	io->overwrite = NULL;
	io->snap = snap;
	dmr_cow_note_io(cow);
	if (bio_op(bio) == REQ_OP_DISCARD) {
		/*
		 * A discard only says the data is no longer needed; keeping
		 * it is a correct answer, and the cheapest one.
		 */
		bio_endio(bio);
		return DM_MAPIO_SUBMITTED;
	}
	if (!bio_sectors(bio)) {
		/* A flush: replica writes only ever land in the pool. */
		bio_set_dev(bio, dmr_pool_bdev(cow->pool));
		return DM_MAPIO_REMAPPED;
	}

	c = dmr_chunk(cow, bio->bi_iter.bi_sector);
	spin_lock_irqsave(&cow->lock, flags);
	/* A write that fails changes nothing. */
	if (snap->changes && op_is_write(bio_op(bio)) && !__dmr_snap_dead(snap) &&
	    __dmr_changes_mark(snap->changes, DMR_SIDE_REPLICA, c, c)) {
		bio_list_add(&cow->map_wait_rep, bio);
		spin_unlock_irqrestore(&cow->lock, flags);
		queue_work(dmr_cow_wq, &cow->map_work);
		return DM_MAPIO_SUBMITTED;
	}
	v = __dmr_snap_replica(snap, bio, io, &need);
	if (v == DMR_NEED)
		bio_list_add(&cow->deferred_rep, bio);
	spin_unlock_irqrestore(&cow->lock, flags);

	switch (v) {
	case DMR_READY:
		return DM_MAPIO_REMAPPED;
	case DMR_KILL:
		return DM_MAPIO_KILL;
	case DMR_NEED:
		dmr_cow_kick(cow);
		fallthrough;
	default:
		return DM_MAPIO_SUBMITTED;
	}
}

/*
 * A fill's data is written (or will never be): it no longer counts
 * against the fill's depth, though its entry waits for the commit.
 */
static void dmr_fill_written(struct dmr_pending *p)
{
	if (!p->filling)
		return;
	p->filling = false;
	atomic_dec(&p->snap->nr_filling);
	wake_up(&p->cow->idle);
}

/*
 * Free a pending entry that left the table, after handing its waiters to
 * the worker. The worker is kicked first: the last free wakes
 * dmr_cow_destroy(), after which @cow may be gone.
 */
static void dmr_pending_free(struct dmr_pending *p)
{
	struct dmr_cow *cow = p->cow;
	struct dmr_snap *snap = p->snap;
	unsigned long flags;

	dmr_fill_written(p);
	dmr_cow_kick(cow);
	kfree(p->node);
	mempool_free(p, &dmr_pending_pool);
	/*
	 * Count and wake under cow->lock: dmr_cow_quiesce() and
	 * dmr_snap_release() check the counts under it too, so they cannot
	 * see zero, return and free the cow or the snapshot before this
	 * wake-up is done with it.
	 */
	spin_lock_irqsave(&cow->lock, flags);
	if (snap)
		atomic_dec(&snap->nr_pending);
	/* dmr_snap_wait_chunk() may wait for a shared copy too. */
	if (atomic_dec_and_test(&cow->nr_pending) || snap || waitqueue_active(&cow->idle))
		wake_up(&cow->idle);
	spin_unlock_irqrestore(&cow->lock, flags);
}

/*
 * Take a pending entry out of the table and hand its waiters back to the
 * worker. cow->lock held.
 */
static void __dmr_pending_retire(struct dmr_cow *cow, struct dmr_pending *p)
{
	xa_erase(&cow->pending, p->src_chunk);
	bio_list_merge(&cow->deferred_src, &p->src_waiters);
	bio_list_merge(&cow->deferred_rep, &p->rep_waiters);
}

/* The map a pending entry's result goes to. */
static struct xarray *dmr_pending_map(struct dmr_pending *p)
{
	return p->snap ? &p->snap->priv : &p->cow->map;
}

static void dmr_overwrite_done(struct dmr_md_waiter *w, int err);
static void dmr_pending_fail(struct dmr_pending *p, const char *reason);

/* The owner entry of the pending entry's pool chunk. */
static void dmr_pending_owner(struct dmr_pending *p, struct dmr_owner *o)
{
	memset(o, 0, sizeof(*o));
	o->src_chunk = p->src_chunk;
	if (p->snap) {
		o->slot = p->snap->id.slot + 1;
		o->member = p->snap->id.member;
		o->gen = p->snap->id.gen;
	} else {
		o->origin = p->cow->origin_id;
		o->hi = p->hi;
		o->has_csum = p->has_csum;
		o->csum = p->csum;
	}
}

/*
 * The copy is in the pool: set its owner entry and commit it; @done ends
 * the entry when the commit has (md worker). Any context.
 */
static void dmr_pending_commit(struct dmr_pending *p,
			       void (*done)(struct dmr_md_waiter *w, int err))
{
	struct dmr_owner o;

	dmr_pending_owner(p, &o);
	dmr_md_set_owner(p->cow->md, p->pool_chunk, &o);
	p->mdw.fn = done;
	dmr_md_commit(p->cow->md, &p->mdw);
}

int dmr_snap_end_replica(struct dmr_snap *snap, struct dmr_cow_io *io, blk_status_t *error)
{
	struct dmr_cow *cow = snap->cow;
	struct dmr_pending *p = NULL;
	unsigned long flags;

	if (io->overwrite) {
		p = io->overwrite;
		io->overwrite = NULL;
		if (*error) {
			dmr_pending_fail(p, "writing to the pool failed");
			return DM_ENDIO_DONE;
		}
		dmr_pending_commit(p, dmr_overwrite_done);
		return DM_ENDIO_INCOMPLETE;
	}
	if (io->pinned) {
		struct dmr_copy *freed = NULL;

		spin_lock_irqsave(&cow->lock, flags);
		hlist_del(&io->node);
		io->pinned = false;
		/*
		 * The last read lets go of copies a private version or a
		 * deletion made useless while it ran; the chunk is looked at
		 * again only if such a look was put off.
		 */
		if (!__dmr_pinned(cow, io->chunk) && __dmr_gc_deferred(cow, io->chunk))
			__dmr_chunk_gc(cow, io->chunk, 0, true, &freed);
		spin_unlock_irqrestore(&cow->lock, flags);
		dmr_cow_free_list(cow, freed);
		return DM_ENDIO_DONE;
	}
	if (!io->tracked)
		return DM_ENDIO_DONE;

	spin_lock_irqsave(&cow->lock, flags);
	hlist_del(&io->node);
	io->tracked = false;
	if (!__dmr_tracked(cow, io->chunk)) {
		p = xa_load(&cow->pending, io->chunk);
		if (p && p->committed)
			__dmr_pending_retire(cow, p);
		else
			p = NULL;
	}
	spin_unlock_irqrestore(&cow->lock, flags);

	/*
	 * The read went to the origin, where a broken cow no longer holds
	 * source writes back: what it read may mix both. Fail it rather
	 * than return it as the point in time.
	 */
	if (READ_ONCE(cow->state) != DMR_COW_ACTIVE && !*error)
		*error = BLK_STS_IOERR;
	if (p)
		dmr_pending_free(p);
	return DM_ENDIO_DONE;
}

/* A copy could not be made durable: give up on the chunk. */
static void dmr_pending_fail(struct dmr_pending *p, const char *reason)
{
	struct dmr_cow *cow = p->cow;
	unsigned long flags;

	dmr_fill_written(p);
	dmr_cow_break(cow, reason);
	if (p->have_chunk)
		dmr_cow_free_chunk(cow, p->pool_chunk);
	spin_lock_irqsave(&cow->lock, flags);
	xa_release(dmr_pending_map(p), p->src_chunk);
	__dmr_pending_retire(cow, p);
	spin_unlock_irqrestore(&cow->lock, flags);
	dmr_pending_free(p);
}

/* The owner entry of the copy is durable (md worker). */
static void dmr_commit_done(struct dmr_md_waiter *w, int err)
{
	struct dmr_pending *p = container_of(w, struct dmr_pending, mdw);
	struct dmr_cow *cow = p->cow;
	bool done = false, unused = false;
	struct dmr_copy *freed = NULL;
	unsigned long flags;

	if (err) {
		dmr_pending_fail(p, "pool metadata write failed");
		return;
	}

	spin_lock_irqsave(&cow->lock, flags);
	/* The slot was reserved when the pending entry was made. */
	if (p->snap) {
		__dmr_insert_private(p->snap, p->src_chunk, p->pool_chunk, &freed);
	} else if (__dmr_insert_copy(cow, p->src_chunk, p->node)) {
		p->node = NULL;
	} else {
		/* Every snapshot it was for was deleted meanwhile. */
		xa_release(&cow->map, p->src_chunk);
		unused = true;
	}
	if (__dmr_tracked(cow, p->src_chunk)) {
		p->committed = true;
	} else {
		__dmr_pending_retire(cow, p);
		done = true;
	}
	spin_unlock_irqrestore(&cow->lock, flags);

	dmr_cow_free_list(cow, freed);
	if (unused)
		dmr_cow_free_chunk(cow, p->pool_chunk);
	if (done)
		dmr_pending_free(p);
}

/*
 * The owner entry of a chunk a whole replica write filled is durable (md
 * worker): the chunk enters the map, and the write ends now.
 */
static void dmr_overwrite_done(struct dmr_md_waiter *w, int err)
{
	struct dmr_pending *p = container_of(w, struct dmr_pending, mdw);
	struct bio *bio = p->overwrite;

	/* dmr_commit_done() may free @p. */
	if (err)
		bio->bi_status = BLK_STS_IOERR;
	dmr_commit_done(w, err);
	bio_endio(bio);
}

/* The old data is in the pool chunk (kcopyd thread). */
static void dmr_copy_done(int read_err, unsigned long write_err, void *context)
{
	struct dmr_pending *p = context;

	dmr_fill_written(p);
	if (read_err || write_err) {
		dmr_pending_fail(p, read_err ? "reading the source for a copy failed" :
				 "writing a copy to the pool failed");
		return;
	}
	dmr_pending_commit(p, dmr_commit_done);
}

static size_t dmr_chunk_bytes(struct dmr_cow *cow)
{
	return (size_t)SECTOR_SIZE << cow->chunk_shift;
}

/* A free chunk buffer, or NULL. Worker context. */
static void *dmr_copy_buf_get(struct dmr_cow *cow)
{
	unsigned int max = clamp_t(unsigned int, DMR_COPY_BUF_BYTES / dmr_chunk_bytes(cow), 1,
				   DMR_COPY_BUFS);
	unsigned int noio;
	void *buf = NULL;

	spin_lock_irq(&cow->lock);
	if (cow->nr_free) {
		buf = cow->bufs[--cow->nr_free];
	} else if (cow->nr_bufs < max && cow->io) {
		cow->nr_bufs++;
	} else {
		spin_unlock_irq(&cow->lock);
		return NULL;
	}
	spin_unlock_irq(&cow->lock);
	if (buf)
		return buf;

	/* The source write waits for this copy: no allocation may wait on it. */
	noio = memalloc_noio_save();
	buf = kvmalloc(dmr_chunk_bytes(cow), GFP_KERNEL | __GFP_NOWARN);
	memalloc_noio_restore(noio);
	if (!buf) {
		spin_lock_irq(&cow->lock);
		cow->nr_bufs--;
		spin_unlock_irq(&cow->lock);
	}
	return buf;
}

/* Any context. */
static void dmr_copy_buf_put(struct dmr_cow *cow, void *buf)
{
	unsigned long flags;

	spin_lock_irqsave(&cow->lock, flags);
	cow->bufs[cow->nr_free++] = buf;
	spin_unlock_irqrestore(&cow->lock, flags);
}

static int dmr_copy_io(struct dmr_cow *cow, blk_opf_t opf, struct block_device *bdev,
		       sector_t sector, sector_t count, void *buf, io_notify_fn fn, void *ctx)
{
	struct dm_io_region where = { .bdev = bdev, .sector = sector, .count = count };
	struct dm_io_request req = {
		.bi_opf = opf,
		.mem.type = is_vmalloc_addr(buf) ? DM_IO_VMA : DM_IO_KMEM,
		.mem.ptr.addr = buf,
		.notify.fn = fn,
		.notify.context = ctx,
		.client = cow->io,
	};

	if (req.mem.type == DM_IO_VMA)
		req.mem.ptr.vma = buf;
	return dm_io(&req, 1, &where, NULL, IOPRIO_DEFAULT);
}

/* The shared copy is in the pool chunk (any context). */
static void dmr_copy_write_done(unsigned long error, void *context)
{
	struct dmr_pending *p = context;
	struct dmr_cow *cow = p->cow;

	dmr_copy_buf_put(cow, p->buf);
	p->buf = NULL;
	if (error) {
		dmr_pending_fail(p, "writing a copy to the pool failed");
		return;
	}
	p->has_csum = true;
	dmr_pending_commit(p, dmr_commit_done);
}

/* The origin chunk is in the buffer: checksum it, write it (worker). */
static void dmr_copy_write(struct work_struct *ws)
{
	struct dmr_pending *p = container_of(ws, struct dmr_pending, work);
	struct dmr_cow *cow = p->cow;
	sector_t start = p->src_chunk << cow->chunk_shift;
	size_t len = min_t(sector_t, 1ULL << cow->chunk_shift,
			   cow->origin_sectors - start) << SECTOR_SHIFT;

	/* The whole chunk is written and checksummed: a short last one padded. */
	memset(p->buf + len, 0, dmr_chunk_bytes(cow) - len);
	p->csum = dmr_md_data_csum(p->buf, dmr_chunk_bytes(cow));
	if (dmr_copy_io(cow, REQ_OP_WRITE, dmr_pool_bdev(cow->pool),
			dmr_pool_chunk_sector(cow->pool, p->pool_chunk),
			1ULL << cow->chunk_shift, p->buf, dmr_copy_write_done, p))
		dmr_copy_write_done(1, p);
}

/* The origin chunk was read (any context). */
static void dmr_copy_read_done(unsigned long error, void *context)
{
	struct dmr_pending *p = context;

	if (error) {
		dmr_copy_buf_put(p->cow, p->buf);
		p->buf = NULL;
		dmr_pending_fail(p, "reading the source for a copy failed");
		return;
	}
	queue_work(dmr_cow_wq, &p->work);
}

static void dmr_pending_start(struct dmr_pending *p)
{
	struct dmr_cow *cow = p->cow;
	sector_t start = p->src_chunk << cow->chunk_shift;
	struct dm_io_region from, to;
	int r;

	r = dmr_pool_alloc_chunk(cow->pool, &p->pool_chunk);
	if (r) {
		dmr_pending_fail(p, r == -ENOSPC ? "the pool is full" :
				 "out of memory for the pool's owner table");
		return;
	}
	p->have_chunk = true;
	if (p->node)
		p->node->pool_chunk = p->pool_chunk;

	from.count = min_t(sector_t, 1ULL << cow->chunk_shift, cow->origin_sectors - start);
	if (p->from_pool) {
		/* The snapshot's version is a shared copy: start from it. */
		from.bdev = dmr_pool_bdev(cow->pool);
		from.sector = dmr_pool_chunk_sector(cow->pool, p->from_chunk);
	} else {
		from.bdev = cow->origin;
		from.sector = start;
	}
	if (!p->snap) {
		p->buf = dmr_copy_buf_get(cow);
		if (p->buf) {
			INIT_WORK(&p->work, dmr_copy_write);
			if (dmr_copy_io(cow, REQ_OP_READ, from.bdev, from.sector, from.count,
					p->buf, dmr_copy_read_done, p))
				dmr_copy_read_done(1, p);
			return;
		}
	}
	to.bdev = dmr_pool_bdev(cow->pool);
	to.sector = dmr_pool_chunk_sector(cow->pool, p->pool_chunk);
	to.count = from.count;
	dm_kcopyd_copy(dmr_pool_kcopyd(cow->pool), &from, 1, &to, 0, dmr_copy_done, p);
}

/*
 * A replica write of the whole chunk: no need to copy the data it
 * replaces. It goes to a fresh pool chunk and ends in dmr_overwrite_done().
 * Returns true when it took the bio.
 */
static bool dmr_overwrite_start(struct dmr_pending *p, struct bio *bio)
{
	struct dmr_cow *cow = p->cow;
	struct dmr_cow_io *io = dm_per_bio_data(bio, sizeof(*io));
	int r = dmr_pool_alloc_chunk(cow->pool, &p->pool_chunk);

	if (r) {
		/* The write waits on the entry, and fails with the cow. */
		bio_list_add(&p->rep_waiters, bio);
		dmr_pending_fail(p, r == -ENOSPC ? "the pool is full" :
				 "out of memory for the pool's owner table");
		return true;
	}
	p->have_chunk = true;
	p->overwrite = bio;
	io->overwrite = p;
	bio_set_dev(bio, dmr_pool_bdev(cow->pool));
	bio->bi_iter.bi_sector = dmr_pool_chunk_sector(cow->pool, p->pool_chunk);
	submit_bio_noacct(bio);
	return true;
}

/* Does @bio cover all of chunk @c? */
static bool dmr_whole_chunk(struct dmr_cow *cow, struct bio *bio, u64 c)
{
	sector_t start = c << cow->chunk_shift;

	return bio->bi_iter.bi_sector == start &&
		bio_sectors(bio) == min_t(sector_t, 1ULL << cow->chunk_shift,
					  cow->origin_sectors - start);
}

/*
 * The body of dmr_cow_new_pending(); with @fill, for a background copy of
 * @chunk into @snap (dmr_snap_fill()): its memory comes from the slab
 * only, never from the reserve that source writes rely on, and its
 * failure is no one's: it is told, not turned into a broken cow. Returns
 * DMR_FILL_TOOK when it took @overwrite, DMR_FILL_STARTED when a copy
 * started, else why not.
 */
static enum dmr_fill __dmr_cow_new_pending(struct dmr_cow *cow, u64 chunk, struct dmr_snap *snap,
					   struct bio *overwrite, bool fill)
{
	enum dmr_fill res = DMR_FILL_HELD;
	struct dmr_pending *p;
	struct dmr_copy *cp;
	struct xarray *map;
	unsigned long flags;
	int r;

	if (fill) {
		u64 used, total;

		/* The pool's spare chunks are for the copies source writes need. */
		dmr_pool_usage(cow->pool, &used, &total);
		if (total - used <= dmr_pool_spare(cow->pool))
			return DMR_FILL_NOSPACE;
		p = kmem_cache_alloc(dmr_pending_cache, GFP_NOIO | __GFP_NORETRY | __GFP_NOWARN);
		if (!p)
			return DMR_FILL_NOMEM;
	} else {
		/* Source writes wait on this: no I/O to free memory, never fail. */
		p = mempool_alloc(&dmr_pending_pool, GFP_NOIO);
	}
	memset(p, 0, sizeof(*p));
	p->cow = cow;
	p->snap = snap;
	p->src_chunk = chunk;
	bio_list_init(&p->src_waiters);
	bio_list_init(&p->rep_waiters);
	map = dmr_pending_map(p);

	/*
	 * Reserve both slots now, so that no store under the lock allocates.
	 * The xarrays' own locks are taken with interrupts off everywhere,
	 * as cow->lock, which is held around them, is.
	 */
	r = -ENOMEM;
	if (!snap)
		p->node = kzalloc(sizeof(*p->node), GFP_NOIO);
	if (snap || p->node)
		r = xa_reserve_irq(&cow->pending, chunk, GFP_NOIO);
	if (!r) {
		r = xa_reserve_irq(map, chunk, GFP_NOIO);
		if (r) {
			spin_lock_irqsave(&cow->lock, flags);
			xa_release(&cow->pending, chunk);
			spin_unlock_irqrestore(&cow->lock, flags);
		}
	}
	if (r) {
		kfree(p->node);
		mempool_free(p, &dmr_pending_pool);
		if (fill)
			return DMR_FILL_NOMEM;
		dmr_cow_break(cow, "out of memory for the chunk map");
		return DMR_FILL_HELD;
	}

	spin_lock_irqsave(&cow->lock, flags);
	if (cow->state != DMR_COW_ACTIVE)
		res = DMR_FILL_BROKEN;
	else if (xa_load(&cow->pending, chunk))
		res = DMR_FILL_BUSY;
	else if (snap ? !!xa_load(&snap->priv, chunk) : !__dmr_needs_copy(cow, chunk))
		res = DMR_FILL_HELD;
	else
		res = DMR_FILL_STARTED;
	if (res != DMR_FILL_STARTED) {
		xa_release(&cow->pending, chunk);
		xa_release(map, chunk);
		spin_unlock_irqrestore(&cow->lock, flags);
		kfree(p->node);
		mempool_free(p, &dmr_pending_pool);
		return res;
	}
	if (snap) {
		cp = __dmr_find_copy(cow, chunk, snap->epoch);
		if (cp) {
			p->from_pool = true;
			p->from_chunk = cp->pool_chunk;
		}
		atomic_inc(&snap->nr_pending);
		if (fill) {
			p->filling = true;
			atomic_inc(&snap->nr_filling);
		}
	} else {
		p->hi = __dmr_newest_epoch(cow);
		p->node->hi = p->hi;
	}
	xa_store(&cow->pending, chunk, p, GFP_ATOMIC);
	atomic_inc(&cow->nr_pending);
	spin_unlock_irqrestore(&cow->lock, flags);

	if (!overwrite) {
		dmr_pending_start(p);
		return DMR_FILL_STARTED;
	}
	return dmr_overwrite_start(p, overwrite) ? DMR_FILL_TOOK : DMR_FILL_STARTED;
}

/*
 * Make a pending entry for @chunk unless one appeared meanwhile or the
 * need went, and start its copy: a shared one, or with @snap one private
 * to it, and with @overwrite the replica write that is the copy. Worker
 * context. Returns true when it took @overwrite.
 */
static bool dmr_cow_new_pending(struct dmr_cow *cow, u64 chunk, struct dmr_snap *snap,
				struct bio *overwrite)
{
	return __dmr_cow_new_pending(cow, chunk, snap, overwrite, false) == DMR_FILL_TOOK;
}

enum dmr_fill dmr_snap_fill(struct dmr_snap *snap, u64 chunk)
{
	struct dmr_cow *cow = snap->cow;
	enum dmr_fill res = DMR_FILL_STARTED;
	unsigned long flags;

	/* Most chunks are looked at once and found held: no allocation then. */
	spin_lock_irqsave(&cow->lock, flags);
	if (cow->state != DMR_COW_ACTIVE || !snap->started)
		res = DMR_FILL_BROKEN;
	else if (!cow->origin || !cow->attached)
		res = DMR_FILL_NO_ORIGIN;
	else if (xa_load(&snap->priv, chunk))
		res = DMR_FILL_HELD;
	else if (xa_load(&cow->pending, chunk))
		res = DMR_FILL_BUSY;
	spin_unlock_irqrestore(&cow->lock, flags);
	if (res != DMR_FILL_STARTED)
		return res;
	res = __dmr_cow_new_pending(cow, chunk, snap, NULL, true);
	if (res == DMR_FILL_STARTED)
		atomic64_inc(&snap->nr_fills);
	return res;
}

u64 dmr_snap_fills(struct dmr_snap *snap)
{
	return atomic64_read(&snap->nr_fills);
}

bool dmr_snap_make_independent(struct dmr_snap *snap)
{
	struct dmr_cow *cow = snap->cow;
	unsigned long flags;
	bool r;

	spin_lock_irqsave(&cow->lock, flags);
	r = snap->started && snap->nr_priv == cow->nr_chunks;
	if (r)
		WRITE_ONCE(snap->independent, true);
	spin_unlock_irqrestore(&cow->lock, flags);
	return r;
}

bool dmr_snap_is_independent(struct dmr_snap *snap)
{
	return READ_ONCE(snap->independent);
}

u32 dmr_snap_chunk_sectors(struct dmr_snap *snap)
{
	return 1U << snap->cow->chunk_shift;
}

u64 dmr_snap_nr_chunks(struct dmr_snap *snap)
{
	return snap->cow->nr_chunks;
}

unsigned int dmr_snap_copies_in_flight(struct dmr_snap *snap)
{
	return atomic_read(&snap->nr_pending);
}

unsigned int dmr_snap_fills_in_flight(struct dmr_snap *snap)
{
	return atomic_read(&snap->nr_filling);
}

bool dmr_snap_wait_copies(struct dmr_snap *snap, unsigned int copies, unsigned int fills,
			  unsigned long timeout)
{
	return wait_event_timeout(snap->cow->idle,
				  atomic_read(&snap->nr_pending) < copies ||
				  atomic_read(&snap->nr_filling) < fills, timeout);
}

unsigned long dmr_snap_last_io(struct dmr_snap *snap)
{
	return READ_ONCE(snap->cow->last_io);
}

static void dmr_cow_process(struct dmr_cow *cow, struct bio *bio, bool replica)
{
	struct dmr_cow_io *io = replica ? dm_per_bio_data(bio, sizeof(*io)) : NULL;
	enum dmr_verdict v;
	unsigned long flags;
	u64 need;

	for (;;) {
		spin_lock_irqsave(&cow->lock, flags);
		v = replica ? __dmr_snap_replica(io->snap, bio, io, &need) :
			__dmr_cow_source(cow, bio, &need);
		spin_unlock_irqrestore(&cow->lock, flags);
		if (v != DMR_NEED)
			break;
		if (dmr_cow_new_pending(cow, need, replica ? io->snap : NULL,
					replica && dmr_whole_chunk(cow, bio, need) ? bio : NULL))
			return;
	}

	if (v == DMR_READY) {
		if (!replica)
			bio_set_dev(bio, cow->origin);
		submit_bio_noacct(bio);
	} else if (v == DMR_KILL) {
		bio_io_error(bio);
	}
}

static void dmr_cow_work(struct work_struct *ws)
{
	struct dmr_cow *cow = container_of(ws, struct dmr_cow, work);
	struct bio_list src, rep;
	struct bio *bio;

	spin_lock_irq(&cow->lock);
	src = cow->deferred_src;
	rep = cow->deferred_rep;
	bio_list_init(&cow->deferred_src);
	bio_list_init(&cow->deferred_rep);
	spin_unlock_irq(&cow->lock);

	while ((bio = bio_list_pop(&src)))
		dmr_cow_process(cow, bio, false);
	while ((bio = bio_list_pop(&rep)))
		dmr_cow_process(cow, bio, true);
}

/*
 * Write the change maps of the source's tracked snapshots, then let the
 * writes that waited for them go on (the cow worker maps them again, and
 * finds their bits durable). One round at a time: a write held while a
 * round runs waits for the next, which writes what it changed. A map
 * that cannot be written becomes unknown, and its owner records that
 * before the writes go on: a later Resync copies every chunk then.
 * snaps_mutex keeps the list, and the snapshots, while the blocks are
 * written without cow->lock.
 */
static void dmr_cow_map_work(struct work_struct *ws)
{
	struct dmr_cow *cow = container_of(ws, struct dmr_cow, map_work);
	struct bio_list src, rep;
	unsigned int n = 0, noio;
	struct dmr_snap *s;
	void *page = NULL;
	int err;

	mutex_lock(&cow->snaps_mutex);
	spin_lock_irq(&cow->lock);
	src = cow->map_wait_src;
	rep = cow->map_wait_rep;
	bio_list_init(&cow->map_wait_src);
	bio_list_init(&cow->map_wait_rep);
	list_for_each_entry(s, &cow->snaps, list)
		if (s->changes)
			n += __dmr_changes_write_start(s->changes);
	spin_unlock_irq(&cow->lock);

	if (n) {
		/* The writes held wait for this: no allocation may wait on them. */
		noio = memalloc_noio_save();
		page = kmalloc(DMR_CHANGES_BLOCK_BYTES, GFP_KERNEL);
		memalloc_noio_restore(noio);
	}
	list_for_each_entry(s, &cow->snaps, list) {
		if (!s->changes)
			continue;
		err = page ? 0 : -ENOMEM;
		while (page && dmr_changes_write_block(s->changes, cow->io,
						       dmr_pool_bdev(cow->pool),
						       dmr_cow_chunk_sector, cow, page, &err))
			cond_resched();
		spin_lock_irq(&cow->lock);
		__dmr_changes_write_end(s->changes);
		if (err && n && !dmr_changes_unknown(s->changes)) {
			__dmr_changes_lose(s->changes);
			spin_unlock_irq(&cow->lock);
			DMERR("source %u: a change map cannot be written: %d", cow->origin_id, err);
			if (s->ops && s->ops->changes_lost)
				s->ops->changes_lost(s, s->ctx);
			continue;
		}
		spin_unlock_irq(&cow->lock);
	}
	mutex_unlock(&cow->snaps_mutex);
	kfree(page);

	if (bio_list_empty(&src) && bio_list_empty(&rep))
		return;
	spin_lock_irq(&cow->lock);
	bio_list_merge(&cow->deferred_src, &src);
	bio_list_merge(&cow->deferred_rep, &rep);
	spin_unlock_irq(&cow->lock);
	dmr_cow_kick(cow);
}

/* The snapshot engine, as the targets and the barrier see it. */
static void dmr_snapshot_set_origin(struct dmr_src_engine *e, struct block_device *origin)
{
	dmr_cow_set_origin(container_of(e, struct dmr_cow, eng), origin);
}

static int dmr_snapshot_map_source(struct dmr_src_engine *e, struct bio *bio)
{
	return dmr_cow_map_source(container_of(e, struct dmr_cow, eng), bio);
}

static int dmr_snapshot_map_replica(struct dmr_rep_engine *e, struct bio *bio, void *io)
{
	return dmr_snap_map_replica(container_of(e, struct dmr_snap, eng), bio, io);
}

static int dmr_snapshot_end_replica(struct dmr_rep_engine *e, void *io, blk_status_t *error)
{
	return dmr_snap_end_replica(container_of(e, struct dmr_snap, eng), io, error);
}

static int dmr_snapshot_start(struct dmr_rep_engine *e)
{
	return dmr_snap_start(container_of(e, struct dmr_snap, eng));
}

static u64 dmr_snapshot_copied_chunks(struct dmr_rep_engine *e)
{
	return dmr_snap_copied_chunks(container_of(e, struct dmr_snap, eng));
}

static const struct dmr_engine_ops dmr_snapshot_ops = {
	.name = "snapshot",
	.set_origin = dmr_snapshot_set_origin,
	.map_source = dmr_snapshot_map_source,
	.rep_io_size = sizeof(struct dmr_cow_io),
	.map_replica = dmr_snapshot_map_replica,
	.end_replica = dmr_snapshot_end_replica,
	.start = dmr_snapshot_start,
	.copied_chunks = dmr_snapshot_copied_chunks,
};

struct dmr_src_engine *dmr_cow_engine(struct dmr_cow *cow)
{
	return &cow->eng;
}

struct dmr_rep_engine *dmr_snap_engine(struct dmr_snap *snap)
{
	return &snap->eng;
}

static struct dmr_cow *dmr_cow_alloc(u32 cs, sector_t origin_sectors)
{
	struct dmr_cow *cow;
	unsigned int i;

	cow = kzalloc(sizeof(*cow), GFP_KERNEL);
	if (!cow)
		return NULL;
	cow->eng.ops = &dmr_snapshot_ops;
	spin_lock_init(&cow->lock);
	mutex_init(&cow->snaps_mutex);
	cow->state = DMR_COW_ACTIVE;
	INIT_LIST_HEAD(&cow->snaps);
	xa_init_flags(&cow->map, XA_FLAGS_LOCK_IRQ);
	xa_init_flags(&cow->pending, XA_FLAGS_LOCK_IRQ);
	for (i = 0; i < ARRAY_SIZE(cow->tracked); i++) {
		INIT_HLIST_HEAD(&cow->tracked[i]);
		INIT_HLIST_HEAD(&cow->pinned[i]);
	}
	bio_list_init(&cow->deferred_src);
	bio_list_init(&cow->deferred_rep);
	bio_list_init(&cow->broken_wait);
	bio_list_init(&cow->map_wait_src);
	bio_list_init(&cow->map_wait_rep);
	cow->chunk_shift = ilog2(cs);
	cow->origin_sectors = origin_sectors;
	cow->nr_chunks = DIV_ROUND_UP_ULL(origin_sectors, cs);
	INIT_WORK(&cow->work, dmr_cow_work);
	INIT_WORK(&cow->broken_work, dmr_cow_broken_work);
	INIT_WORK(&cow->map_work, dmr_cow_map_work);
	atomic_set(&cow->nr_pending, 0);
	init_waitqueue_head(&cow->idle);
	return cow;
}

struct dmr_cow *dmr_cow_create(struct dmr_pool *pool, u16 origin_id, sector_t origin_sectors)
{
	struct dmr_cow *cow = dmr_cow_alloc(dmr_pool_chunk_sectors(pool), origin_sectors);

	if (!cow)
		return NULL;
	cow->pool = pool;
	cow->md = dmr_pool_md(pool);
	cow->origin_id = origin_id;
	/* Without a client, shared copies go through dm-kcopyd. */
	cow->io = dm_io_client_create();
	if (IS_ERR(cow->io))
		cow->io = NULL;
	return cow;
}

#ifdef DMR_KUNIT_TEST
struct dmr_cow *dmr_cow_create_test(u32 chunk_sectors, sector_t origin_sectors,
				    void (*freed)(void *ctx, u64 pool_chunk), void *ctx)
{
	struct dmr_cow *cow = dmr_cow_alloc(chunk_sectors, origin_sectors);

	if (cow) {
		cow->test_freed = freed;
		cow->test_ctx = ctx;
	}
	return cow;
}
#endif

void dmr_cow_set_origin(struct dmr_cow *cow, struct block_device *origin)
{
	unsigned long flags;

	spin_lock_irqsave(&cow->lock, flags);
	cow->origin = origin;
	cow->attached = true;
	spin_unlock_irqrestore(&cow->lock, flags);
}

void dmr_cow_detached(struct dmr_cow *cow)
{
	unsigned long flags;

	spin_lock_irqsave(&cow->lock, flags);
	cow->attached = false;
	spin_unlock_irqrestore(&cow->lock, flags);
}

/*
 * No source or replica hands the cow new bios any more; wait until every
 * bio it took has been sent on or ended. A copy that fails meanwhile
 * breaks the cow, whose held writes come back to the worker once the
 * owners recorded the failure: so loop until nothing is pending, queued or
 * breaking, and neither work item is queued.
 */
void dmr_cow_quiesce(struct dmr_cow *cow)
{
	bool idle;

	do {
		flush_work(&cow->map_work);
		flush_work(&cow->broken_work);
		flush_work(&cow->work);
		spin_lock_irq(&cow->lock);
		wait_event_lock_irq(cow->idle, !atomic_read(&cow->nr_pending), cow->lock);
		idle = bio_list_empty(&cow->deferred_src) && bio_list_empty(&cow->deferred_rep) &&
			bio_list_empty(&cow->broken_wait) && cow->state != DMR_COW_BREAKING &&
			bio_list_empty(&cow->map_wait_src) && bio_list_empty(&cow->map_wait_rep);
		spin_unlock_irq(&cow->lock);
	} while (!idle || work_pending(&cow->work) || work_pending(&cow->broken_work) ||
		 work_pending(&cow->map_work));
}

/* Free the memory of every copy left in the map; the pool is not told. */
static void dmr_cow_free_map(struct dmr_cow *cow)
{
	struct dmr_copy *cp, *next;
	unsigned long index;

	xa_for_each(&cow->map, index, cp) {
		xa_erase_irq(&cow->map, index);
		for (; cp; cp = next) {
			next = cp->next;
			kfree(cp);
		}
	}
}

void dmr_cow_destroy(struct dmr_cow *cow)
{
	if (!cow)
		return;
	dmr_cow_quiesce(cow);
	WARN_ON(!bio_list_empty(&cow->deferred_src) || !bio_list_empty(&cow->deferred_rep) ||
		!bio_list_empty(&cow->broken_wait) || !list_empty(&cow->snaps));
	/*
	 * No snapshot is left, and each deletion freed the copies that only
	 * it needed: the map is empty, unless a load failed, whose entries
	 * stay as they are on disk.
	 */
	dmr_cow_free_map(cow);
	xa_destroy(&cow->map);
	xa_destroy(&cow->pending);
	WARN_ON(cow->nr_free != cow->nr_bufs);
	while (cow->nr_free)
		kvfree(cow->bufs[--cow->nr_free]);
	if (cow->io)
		dm_io_client_destroy(cow->io);
	kfree(cow);
}

struct dmr_snap *dmr_snap_create(struct dmr_cow *cow, const struct dmr_cow_id *id,
				 const struct dmr_cow_owner_ops *ops, void *ctx)
{
	struct dmr_snap *snap = kzalloc(sizeof(*snap), GFP_KERNEL);

	if (!snap)
		return NULL;
	snap->eng.ops = &dmr_snapshot_ops;
	snap->cow = cow;
	INIT_LIST_HEAD(&snap->list);
	xa_init_flags(&snap->priv, XA_FLAGS_LOCK_IRQ);
	atomic_set(&snap->nr_pending, 0);
	if (id)
		snap->id = *id;
	snap->ops = ops;
	snap->ctx = ctx;
	return snap;
}

/* Take @snap out of its cow's list: no write needs a copy for it any more. */
static void dmr_snap_unlist(struct dmr_snap *snap)
{
	struct dmr_cow *cow = snap->cow;

	mutex_lock(&cow->snaps_mutex);
	spin_lock_irq(&cow->lock);
	list_del_init(&snap->list);
	snap->started = false;
	cow->nr_tracked -= !!snap->changes;
	spin_unlock_irq(&cow->lock);
	mutex_unlock(&cow->snaps_mutex);
}

void dmr_snap_destroy(struct dmr_snap *snap)
{
	if (!snap)
		return;
	/*
	 * Still started only when a load failed: forget it, free nothing. A
	 * released snapshot is off the list already (nothing else puts it
	 * back), and its destruction does not wait for the broken worker.
	 */
	if (!list_empty(&snap->list))
		dmr_snap_unlist(snap);
	xa_destroy(&snap->priv);
	dmr_changes_free(snap->changes);
	kfree(snap);
}

bool dmr_cow_has_snaps(struct dmr_cow *cow)
{
	bool r;

	spin_lock_irq(&cow->lock);
	r = !list_empty(&cow->snaps);
	spin_unlock_irq(&cow->lock);
	return r;
}

/* Put @snap in the list by its epoch. Both locks held. */
static int __dmr_snap_add(struct dmr_snap *snap, u32 epoch)
{
	struct dmr_cow *cow = snap->cow;
	struct dmr_snap *s;

	if (!epoch || snap->started)
		return -EINVAL;
	list_for_each_entry(s, &cow->snaps, list) {
		if (s->epoch == epoch)
			return -EEXIST;
		if (s->epoch > epoch)
			break;
	}
	snap->epoch = epoch;
	list_add_tail(&snap->list, &s->list);
	snap->started = true;
	cow->nr_tracked += !!snap->changes;
	cow->max_epoch = max(cow->max_epoch, epoch);
	return 0;
}

static u32 dmr_cow_new_epoch(struct dmr_cow *cow)
{
	if (cow->test_freed)
		return ++cow->test_epoch;
	return dmr_pool_new_epoch(cow->pool);
}

int dmr_snap_start(struct dmr_snap *snap)
{
	struct dmr_cow *cow = snap->cow;
	int r;

	mutex_lock(&cow->snaps_mutex);
	spin_lock_irq(&cow->lock);
	if (cow->state != DMR_COW_ACTIVE) {
		r = -EIO;
	} else {
		/* Newer than every snapshot and copy: it goes last. */
		r = __dmr_snap_add(snap, dmr_cow_new_epoch(cow));
		WARN_ON(!r && !list_is_last(&snap->list, &cow->snaps));
	}
	spin_unlock_irq(&cow->lock);
	mutex_unlock(&cow->snaps_mutex);
	return r;
}

int dmr_snap_load(struct dmr_snap *snap, u32 epoch)
{
	struct dmr_cow *cow = snap->cow;
	int r;

	mutex_lock(&cow->snaps_mutex);
	spin_lock_irq(&cow->lock);
	r = __dmr_snap_add(snap, epoch);
	spin_unlock_irq(&cow->lock);
	mutex_unlock(&cow->snaps_mutex);
	return r;
}

int dmr_snap_load_private(struct dmr_snap *snap, u64 src_chunk, u64 pool_chunk)
{
	if (src_chunk >= snap->cow->nr_chunks)
		return -ERANGE;
	return xa_insert_irq(&snap->priv, src_chunk, xa_mk_value(pool_chunk), GFP_KERNEL);
}

int dmr_cow_load_copy(struct dmr_cow *cow, u64 src_chunk, u32 hi, u64 pool_chunk)
{
	struct dmr_copy *node, *cp, **link;
	int r = 0;

	if (src_chunk >= cow->nr_chunks || !hi)
		return -ERANGE;
	node = kzalloc(sizeof(*node), GFP_KERNEL);
	if (!node)
		return -ENOMEM;
	node->hi = hi;
	node->pool_chunk = pool_chunk;

	/* Slot reserved first: a store under the lock must not allocate. */
	r = xa_reserve_irq(&cow->map, src_chunk, GFP_KERNEL);
	if (r) {
		kfree(node);
		return r;
	}
	spin_lock_irq(&cow->lock);
	cp = xa_load(&cow->map, src_chunk);
	if (!cp || cp->hi < hi) {
		node->next = cp;
		xa_store(&cow->map, src_chunk, node, GFP_ATOMIC);
	} else {
		/* Keep the list newest first. */
		for (link = &cp->next; *link && (*link)->hi > hi; link = &(*link)->next)
			;
		if (cp->hi == hi || (*link && (*link)->hi == hi)) {
			r = -EEXIST;
		} else {
			node->next = *link;
			*link = node;
		}
	}
	if (!r)
		cow->max_epoch = max(cow->max_epoch, hi);
	spin_unlock_irq(&cow->lock);
	if (r)
		kfree(node);
	return r;
}

u32 dmr_cow_max_epoch(struct dmr_cow *cow)
{
	return cow->max_epoch;
}

/*
 * Drop from @chunk's copies those no started snapshot needs; with @epoch,
 * only the one serving @epoch is looked at. A chunk with reads of a copy
 * in flight keeps them all: the last read looks again when it ends.
 * cow->lock held. The dropped ones are put on @freed (by their next).
 */
static void __dmr_chunk_gc(struct dmr_cow *cow, u64 chunk, u32 epoch, bool all,
			   struct dmr_copy **freed)
{
	struct dmr_copy *head = xa_load(&cow->map, chunk);
	struct dmr_copy **link = &head, *cp;

	if (!head)
		return;
	if (__dmr_pinned(cow, chunk)) {
		head->gc_deferred = true;
		return;
	}
	while ((cp = *link)) {
		cp->gc_deferred = false;
		if ((all || (epoch >= cp->lo && epoch <= cp->hi)) &&
		    !__dmr_copy_needed(cow, chunk, cp->lo, cp->hi)) {
			*link = cp->next;
			cp->next = *freed;
			*freed = cp;
			continue;
		}
		link = &cp->next;
	}
	if (!head)
		xa_erase(&cow->map, chunk);
	else if (head != xa_load(&cow->map, chunk))
		xa_store(&cow->map, chunk, head, GFP_ATOMIC);	/* slot in use: no allocation */
}

static u64 dmr_cow_free_list(struct dmr_cow *cow, struct dmr_copy *cp)
{
	struct dmr_copy *next;
	u64 n = 0;

	for (; cp; cp = next, n++) {
		next = cp->next;
		dmr_cow_free_chunk(cow, cp->pool_chunk);
		kfree(cp);
	}
	return n;
}

/* Garbage-collect every chunk's copies; with @epoch only around it. */
static u64 dmr_cow_gc(struct dmr_cow *cow, u32 epoch, bool all)
{
	struct dmr_copy *cp, *freed;
	unsigned long index;
	u64 n = 0;

	xa_for_each(&cow->map, index, cp) {
		freed = NULL;
		spin_lock_irq(&cow->lock);
		__dmr_chunk_gc(cow, index, epoch, all, &freed);
		spin_unlock_irq(&cow->lock);
		/* Every walker of the lists holds cow->lock: free after it. */
		n += dmr_cow_free_list(cow, freed);
		cond_resched();
	}
	return n;
}

u64 dmr_cow_load_done(struct dmr_cow *cow)
{
	struct dmr_copy *cp;
	struct dmr_snap *s;
	unsigned long index;
	void *v;
	u64 n;

	/*
	 * The owner table keeps @hi only: a copy is for the snapshots since
	 * the previous copy that have no version of their own. One for none
	 * of them gets lo 0, and is freed below.
	 */
	xa_for_each(&cow->map, index, cp) {
		spin_lock_irq(&cow->lock);
		for (; cp; cp = cp->next)
			cp->lo = __dmr_first_needy(cow, index, cp->next ? cp->next->hi : 0,
						   cp->hi) ?: U32_MAX;
		spin_unlock_irq(&cow->lock);
	}
	n = dmr_cow_gc(cow, 0, true);

	/* What each snapshot holds in the pool. */
	spin_lock_irq(&cow->lock);
	list_for_each_entry(s, &cow->snaps, list) {
		s->copied = 0;
		xa_for_each(&s->priv, index, v)
			s->copied++;
		s->nr_priv = s->copied;
	}
	xa_for_each(&cow->map, index, cp)
		for (; cp; cp = cp->next)
			__dmr_count_copy(cow, index, cp->lo, cp->hi);
	spin_unlock_irq(&cow->lock);
	return n;
}

void dmr_snap_unplace_changes(struct dmr_snap *snap)
{
	u32 i;
	u64 pc;

	if (!snap->changes)
		return;
	for (i = 0; i < dmr_changes_map_chunks(snap->changes); i++)
		if (dmr_changes_where(snap->changes, i, &pc))
			dmr_cow_free_chunk(snap->cow, pc);
	dmr_changes_free(snap->changes);
	snap->changes = NULL;
}

void dmr_snap_untrack(struct dmr_snap *snap)
{
	struct dmr_cow *cow = snap->cow;
	struct dmr_changes *ch;
	u32 i;
	u64 pc;

	/* snaps_mutex: no round of map writes is at work on it meanwhile. */
	mutex_lock(&cow->snaps_mutex);
	spin_lock_irq(&cow->lock);
	ch = snap->changes;
	if (ch && snap->started)
		cow->nr_tracked--;
	snap->changes = NULL;
	spin_unlock_irq(&cow->lock);
	mutex_unlock(&cow->snaps_mutex);
	if (!ch)
		return;
	for (i = 0; i < dmr_changes_map_chunks(ch); i++)
		if (dmr_changes_where(ch, i, &pc))
			dmr_cow_free_chunk(cow, pc);
	dmr_changes_free(ch);
	/* Writes held for its map go on with the next round. */
	if (cow->pool)
		queue_work(dmr_cow_wq, &cow->map_work);
}

void dmr_snap_withdraw(struct dmr_snap *snap)
{
	struct dmr_cow *cow = snap->cow;

	/* Its private copies in flight would land in chunks given away. */
	spin_lock_irq(&cow->lock);
	wait_event_lock_irq(cow->idle, !atomic_read(&snap->nr_pending), cow->lock);
	spin_unlock_irq(&cow->lock);

	if (snap->started) {
		dmr_snap_unlist(snap);
		dmr_cow_gc(cow, snap->epoch, false);
	}
	/* A round of map writes that found it listed is over. */
	flush_work(&cow->map_work);
}

void dmr_snap_release(struct dmr_snap *snap)
{
	struct dmr_cow *cow = snap->cow;
	unsigned long index;
	void *v;

	dmr_snap_withdraw(snap);

	xa_for_each(&snap->priv, index, v) {
		xa_erase_irq(&snap->priv, index);
		dmr_cow_free_chunk(cow, xa_to_value(v));
	}
	snap->copied = 0;
	snap->nr_priv = 0;
	dmr_snap_unplace_changes(snap);
}

bool dmr_snap_lookup(struct dmr_snap *snap, u64 chunk, u64 *pool_chunk)
{
	struct dmr_cow *cow = snap->cow;
	struct dmr_copy *cp;
	bool r = true;
	void *v;

	spin_lock_irq(&cow->lock);
	v = xa_load(&snap->priv, chunk);
	cp = __dmr_find_copy(cow, chunk, snap->epoch);
	if (v)
		*pool_chunk = xa_to_value(v);
	else if (cp)
		*pool_chunk = cp->pool_chunk;
	else
		r = false;
	spin_unlock_irq(&cow->lock);
	return r;
}

int dmr_snap_track(struct dmr_snap *snap, bool unknown)
{
	if (WARN_ON(snap->started || snap->changes))
		return -EINVAL;
	snap->changes = dmr_changes_alloc(snap->cow->nr_chunks, 1U << snap->cow->chunk_shift,
					  unknown);
	return snap->changes ? 0 : -ENOMEM;
}

bool dmr_snap_tracked(struct dmr_snap *snap)
{
	return snap->changes;
}

bool dmr_snap_changes_known(struct dmr_snap *snap)
{
	return snap->changes && !dmr_changes_unknown(snap->changes);
}

void dmr_snap_changes_lost(struct dmr_snap *snap)
{
	if (!snap->changes)
		return;
	spin_lock_irq(&snap->cow->lock);
	__dmr_changes_lose(snap->changes);
	spin_unlock_irq(&snap->cow->lock);
}

int dmr_snap_place_changes(struct dmr_snap *snap)
{
	struct dmr_cow *cow = snap->cow;
	u32 cs = 1U << cow->chunk_shift, i;
	struct dmr_owner o;
	u64 pc;
	int r;

	if (WARN_ON(!snap->changes || snap->started || !cow->pool))
		return -EINVAL;
	for (i = 0; i < dmr_changes_map_chunks(snap->changes); i++) {
		r = dmr_pool_alloc_chunk(cow->pool, &pc);
		if (r)
			return r;
		/* A block never written reads as no change. */
		r = blkdev_issue_zeroout(dmr_pool_bdev(cow->pool),
					 dmr_pool_chunk_sector(cow->pool, pc), cs, GFP_NOIO, 0);
		if (r) {
			dmr_pool_free_chunk(cow->pool, pc);
			return r;
		}
		memset(&o, 0, sizeof(o));
		o.slot = snap->id.slot + 1;
		o.member = snap->id.member;
		o.gen = snap->id.gen;
		o.src_chunk = dmr_changes_src_chunk(i);
		dmr_md_set_owner(cow->md, pc, &o);
		dmr_changes_place(snap->changes, i, pc);
	}
	return 0;
}

int dmr_snap_load_change_chunk(struct dmr_snap *snap, u64 src_chunk, u64 pool_chunk)
{
	u64 index = src_chunk & ~DMR_CHANGES_TAG, old;

	if (!snap->changes || index >= dmr_changes_map_chunks(snap->changes) ||
	    dmr_changes_where(snap->changes, index, &old))
		return -ERANGE;
	dmr_changes_place(snap->changes, index, pool_chunk);
	return 0;
}

int dmr_snap_load_changes(struct dmr_snap *snap, bool lost)
{
	struct dmr_cow *cow = snap->cow;

	if (!snap->changes)
		return 0;
	if (lost) {
		__dmr_changes_lose(snap->changes);
		return 0;
	}
	return dmr_changes_read(snap->changes, cow->io, dmr_pool_bdev(cow->pool),
				dmr_cow_chunk_sector, cow);
}

/* Which sides changed @chunk, DMR_CHANGED_* bits. cow->lock held. */
static unsigned int __dmr_snap_changed(struct dmr_snap *snap, u64 chunk)
{
	return __dmr_changes_of(snap->changes, chunk);
}

bool dmr_snap_changed_next(struct dmr_snap *snap, u64 *chunk, u64 *count, unsigned int *sides)
{
	struct dmr_cow *cow = snap->cow;
	u64 n = cow->nr_chunks, c;
	unsigned int how;

	if (!snap->changes || *chunk >= n)
		return false;
	spin_lock_irq(&cow->lock);
	c = __dmr_changes_next(snap->changes, *chunk);
	if (c >= n) {
		spin_unlock_irq(&cow->lock);
		return false;
	}
	how = __dmr_snap_changed(snap, c);
	*chunk = c;
	c = __dmr_changes_run_end(snap->changes, c, how);
	spin_unlock_irq(&cow->lock);
	*count = c - *chunk;
	*sides = how;
	return true;
}

bool dmr_snap_chunk_changed(struct dmr_snap *snap, u64 chunk)
{
	unsigned long flags;
	bool r;

	if (!snap->changes || chunk >= snap->cow->nr_chunks)
		return true;
	spin_lock_irqsave(&snap->cow->lock, flags);
	r = __dmr_snap_changed(snap, chunk);
	spin_unlock_irqrestore(&snap->cow->lock, flags);
	return r;
}

int dmr_snap_adopt(struct dmr_snap *to, struct dmr_snap *from, u64 chunk)
{
	struct dmr_cow *cow = to->cow;
	struct dmr_copy *freed = NULL;
	struct dmr_owner o = {};
	u64 pool_chunk;
	void *v;
	int r;

	if (WARN_ON(from->cow != cow || from->started || !to->started))
		return -EINVAL;
	/* Reserved first: no allocation may fail under the lock. */
	r = xa_reserve_irq(&to->priv, chunk, GFP_KERNEL);
	if (r)
		return r;
	spin_lock_irq(&cow->lock);
	v = xa_load(&from->priv, chunk);
	if (!v || xa_load(&to->priv, chunk)) {
		r = -ENOENT;
	} else if (xa_load(&cow->pending, chunk)) {
		r = -EBUSY;
	} else if (cow->state != DMR_COW_ACTIVE && !to->independent) {
		r = -EIO;
	} else {
		pool_chunk = xa_to_value(v);
		xa_erase(&from->priv, chunk);
		from->nr_priv--;
		o.slot = to->id.slot + 1;
		o.member = to->id.member;
		o.gen = to->id.gen;
		o.src_chunk = chunk;
		/* The data is durable already: the entry only changes hands. */
		if (!cow->test_freed)
			dmr_md_set_owner(cow->md, pool_chunk, &o);
		__dmr_insert_private(to, chunk, pool_chunk, &freed);
	}
	spin_unlock_irq(&cow->lock);
	/* xa_release(), with the interrupts off the array's lock needs. */
	if (r)
		xa_cmpxchg_irq(&to->priv, chunk, XA_ZERO_ENTRY, NULL, 0);
	dmr_cow_free_list(cow, freed);
	return r;
}

void dmr_snap_wait_chunk(struct dmr_snap *snap, u64 chunk)
{
	struct dmr_cow *cow = snap->cow;

	spin_lock_irq(&cow->lock);
	wait_event_lock_irq(cow->idle, !xa_load(&cow->pending, chunk), cow->lock);
	spin_unlock_irq(&cow->lock);
}

#if IS_ENABLED(CONFIG_KUNIT)
bool dmr_cow_needs_copy(struct dmr_cow *cow, u64 chunk)
{
	bool r;

	spin_lock_irq(&cow->lock);
	r = __dmr_needs_copy(cow, chunk);
	spin_unlock_irq(&cow->lock);
	return r;
}

int dmr_cow_add_copy(struct dmr_cow *cow, u64 chunk, u64 pool_chunk)
{
	struct dmr_copy *node = kzalloc(sizeof(*node), GFP_KERNEL);
	int r = 0;

	if (!node)
		return -ENOMEM;
	if (xa_reserve_irq(&cow->map, chunk, GFP_KERNEL)) {
		kfree(node);
		return -ENOMEM;
	}
	spin_lock_irq(&cow->lock);
	node->pool_chunk = pool_chunk;
	node->hi = __dmr_newest_epoch(cow);
	if (!__dmr_needs_copy(cow, chunk) || !__dmr_insert_copy(cow, chunk, node)) {
		xa_release(&cow->map, chunk);
		r = -EINVAL;
	}
	spin_unlock_irq(&cow->lock);
	if (r)
		kfree(node);
	return r;
}

int dmr_snap_add_private(struct dmr_snap *snap, u64 chunk, u64 pool_chunk)
{
	struct dmr_cow *cow = snap->cow;
	struct dmr_copy *freed = NULL;
	int r = 0;

	if (xa_reserve_irq(&snap->priv, chunk, GFP_KERNEL))
		return -ENOMEM;
	spin_lock_irq(&cow->lock);
	if (xa_load(&snap->priv, chunk))
		r = -EEXIST;
	else
		__dmr_insert_private(snap, chunk, pool_chunk, &freed);
	spin_unlock_irq(&cow->lock);
	dmr_cow_free_list(cow, freed);
	return r;
}

unsigned int dmr_cow_copies(struct dmr_cow *cow, u64 chunk, u64 *pool_chunks, u32 *his,
			    unsigned int max)
{
	struct dmr_copy *cp;
	unsigned int n = 0;

	spin_lock_irq(&cow->lock);
	for (cp = xa_load(&cow->map, chunk); cp && n < max; cp = cp->next, n++) {
		pool_chunks[n] = cp->pool_chunk;
		his[n] = cp->hi;
	}
	spin_unlock_irq(&cow->lock);
	return n;
}
#endif

int dmr_cow_init(void)
{
	dmr_pending_cache = KMEM_CACHE(dmr_pending, 0);
	if (!dmr_pending_cache)
		return -ENOMEM;
	if (mempool_init_slab_pool(&dmr_pending_pool, DMR_PENDING_RESERVE, dmr_pending_cache))
		goto bad_pool;
	dmr_cow_wq = alloc_workqueue("dmr-cow", WQ_MEM_RECLAIM, 0);
	if (!dmr_cow_wq)
		goto bad_wq;
	return 0;

bad_wq:
	mempool_exit(&dmr_pending_pool);
bad_pool:
	kmem_cache_destroy(dmr_pending_cache);
	return -ENOMEM;
}

void dmr_cow_exit(void)
{
	destroy_workqueue(dmr_cow_wq);
	mempool_exit(&dmr_pending_pool);
	kmem_cache_destroy(dmr_pending_cache);
}
