// SPDX-License-Identifier: GPL-2.0
/*
 * dm-replica: copy-on-write of one group member.
 *
 * State of a cow, all protected by cow->lock (taken with interrupts off,
 * since replica bios end in interrupt context):
 *
 *  map       source chunk -> pool chunk, for every chunk whose old data is
 *            in the pool and whose owner entry is durable. A replica reads
 *            and writes such a chunk in the pool.
 *  pending   source chunk -> struct dmr_pending, for every chunk being
 *            copied, or copied and committed but still read at the origin
 *            by replica reads that started before. Source writes to such
 *            a chunk wait on it.
 *  tracked   replica reads in flight to the origin, hashed by chunk.
 *
 * A source write needs every chunk it covers to be in the map and none of
 * them to be pending. When a chunk is in neither, the write is handed to
 * the worker, which creates the pending entry (this needs memory) and
 * starts the copy: dm-kcopyd reads the origin chunk and writes it to a
 * fresh pool chunk; then the owner entry is set and committed with the
 * pool's other changes; then the chunk enters the map; and when no replica
 * read of it is left at the origin, the waiting writes are sent on.
 *
 * A replica read of a chunk that is neither mapped nor pending goes to the
 * origin and is tracked until it ends, so that no source write to the
 * chunk can pass it. A replica write of an unmapped chunk is copied first
 * like a source write, then goes to the pool chunk; a replica write of a
 * whole unmapped chunk is its own copy: it goes straight to a fresh pool
 * chunk, and is ended only once the owner entry of that chunk is durable.
 *
 * When the pool is full or an I/O to it fails, the cow is broken: source
 * writes that need a copy are held until the owner (the group) has
 * recorded the failure durably, then go to the origin unchanged from then
 * on; replica I/O fails.
 */
#include <kunit/visibility.h>
#include <linux/bio.h>
#include <linux/device-mapper.h>
#include <linux/dm-kcopyd.h>
#include <linux/hash.h>
#include <linux/mempool.h>
#include <linux/slab.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "cow.h"
#include "dm-replica.h"
#include "metadata.h"
#include "pool.h"

#define DMR_TRACK_BITS		6
#define DMR_REASON_LEN		DM_REPLICA_MESSAGE_LEN

enum dmr_cow_state {
	DMR_COW_ACTIVE,
	DMR_COW_BREAKING,	/* failed; the owner is recording it */
	DMR_COW_BROKEN,
};

struct dmr_pending {
	struct dmr_cow *cow;
	u64 src_chunk;
	u64 pool_chunk;
	bool have_chunk;
	bool committed;		/* in the map, waiting for tracked reads */
	struct bio *overwrite;	/* a replica write that is the copy */
	struct bio_list src_waiters;
	struct bio_list rep_waiters;
	struct dmr_md_waiter mdw;
};

struct dmr_cow {
	spinlock_t lock;	/* protects all up to @reason */
	enum dmr_cow_state state;
	struct xarray map;
	struct xarray pending;
	struct hlist_head tracked[1 << DMR_TRACK_BITS];
	struct bio_list deferred_src;
	struct bio_list deferred_rep;
	struct bio_list broken_wait;
	u64 copied;
	char reason[DMR_REASON_LEN];

	/* Constant after creation, but for @origin (set once, then constant). */
	struct dmr_pool *pool;
	struct dmr_md *md;
	struct dmr_cow_id id;
	struct block_device *origin;
	unsigned int chunk_shift;
	u64 nr_chunks;
	sector_t origin_sectors;
	const struct dmr_cow_owner_ops *ops;
	void *ctx;

	struct work_struct work;
	struct work_struct broken_work;
	atomic_t nr_pending;
	wait_queue_head_t idle;
};

/* Pending entries for a few copies always in reserve (see dmr_cow_new_pending()). */
#define DMR_PENDING_RESERVE	16

static struct workqueue_struct *dmr_cow_wq;
static struct kmem_cache *dmr_pending_cache;
static mempool_t dmr_pending_pool;

static void dmr_cow_kick(struct dmr_cow *cow)
{
	queue_work(dmr_cow_wq, &cow->work);
}

static void dmr_cow_broken_work(struct work_struct *ws)
{
	struct dmr_cow *cow = container_of(ws, struct dmr_cow, broken_work);

	if (cow->ops && cow->ops->broken)
		cow->ops->broken(cow, cow->ctx, cow->reason);
	else
		dmr_cow_broken_done(cow);
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
		DMERR("replica of group slot %u member %u broken: %s",
		      cow->id.slot, cow->id.member, reason);
		queue_work(dmr_cow_wq, &cow->broken_work);
	}
}

void dmr_cow_broken_done(struct dmr_cow *cow)
{
	struct bio_list held;
	unsigned long flags;

	spin_lock_irqsave(&cow->lock, flags);
	cow->state = DMR_COW_BROKEN;
	held = cow->broken_wait;
	bio_list_init(&cow->broken_wait);
	bio_list_merge(&cow->deferred_src, &held);
	spin_unlock_irqrestore(&cow->lock, flags);
	dmr_cow_kick(cow);
}

bool dmr_cow_is_broken(struct dmr_cow *cow)
{
	return READ_ONCE(cow->state) != DMR_COW_ACTIVE;
}

u64 dmr_cow_copied_chunks(struct dmr_cow *cow)
{
	return READ_ONCE(cow->copied);
}

static struct hlist_head *dmr_track_bucket(struct dmr_cow *cow, u64 chunk)
{
	return &cow->tracked[hash_64(chunk, DMR_TRACK_BITS)];
}

/* Is a replica read of @chunk in flight at the origin? cow->lock held. */
VISIBLE_IF_KUNIT bool __dmr_tracked(struct dmr_cow *cow, u64 chunk)
{
	struct dmr_cow_io *io;

	hlist_for_each_entry(io, dmr_track_bucket(cow, chunk), node)
		if (io->chunk == chunk)
			return true;
	return false;
}

static u64 dmr_chunk(struct dmr_cow *cow, sector_t sector)
{
	return sector >> cow->chunk_shift;
}

/*
 * Decide for a source write. cow->lock held. On DMR_NEED, *@need is the
 * chunk that has neither a copy nor a pending entry.
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
	if (!bio_sectors(bio))
		return DMR_READY;

	c = dmr_chunk(cow, bio->bi_iter.bi_sector);
	last = dmr_chunk(cow, bio_end_sector(bio) - 1);
	for (; c <= last && c < cow->nr_chunks; c++) {
		p = xa_load(&cow->pending, c);
		if (p) {
			first = first ?: p;
			continue;
		}
		if (xa_load(&cow->map, c))
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

/* Decide for replica I/O (within one chunk). cow->lock held. */
VISIBLE_IF_KUNIT enum dmr_verdict __dmr_cow_replica(struct dmr_cow *cow, struct bio *bio,
						    struct dmr_cow_io *io, u64 *need)
{
	u64 c = dmr_chunk(cow, bio->bi_iter.bi_sector);
	struct dmr_pending *p;
	void *v;

	if (cow->state != DMR_COW_ACTIVE)
		return DMR_KILL;

	v = xa_load(&cow->map, c);
	if (v) {
		bio_set_dev(bio, dmr_pool_bdev(cow->pool));
		bio->bi_iter.bi_sector = dmr_pool_chunk_sector(cow->pool, xa_to_value(v)) +
			(bio->bi_iter.bi_sector & ((1ULL << cow->chunk_shift) - 1));
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

	/* A read of data the source still holds: track it there. */
	io->chunk = c;
	io->tracked = true;
	hlist_add_head(&io->node, dmr_track_bucket(cow, c));
	bio_set_dev(bio, cow->origin);
	return DMR_READY;
}

int dmr_cow_map_source(struct dmr_cow *cow, struct bio *bio)
{
	enum dmr_verdict v;
	unsigned long flags;
	u64 need;

	spin_lock_irqsave(&cow->lock, flags);
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

int dmr_cow_map_replica(struct dmr_cow *cow, struct bio *bio, struct dmr_cow_io *io)
{
	enum dmr_verdict v;
	unsigned long flags;
	u64 need;

	io->tracked = false;
	io->overwrite = NULL;
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

	spin_lock_irqsave(&cow->lock, flags);
	v = __dmr_cow_replica(cow, bio, io, &need);
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
 * Free a pending entry that left the table, after handing its waiters to
 * the worker. The worker is kicked first: the last free wakes
 * dmr_cow_destroy(), after which @cow may be gone.
 */
static void dmr_pending_free(struct dmr_pending *p)
{
	struct dmr_cow *cow = p->cow;
	unsigned long flags;

	dmr_cow_kick(cow);
	mempool_free(p, &dmr_pending_pool);
	/*
	 * Count and wake under cow->lock: dmr_cow_quiesce() checks the
	 * count under it too, so it cannot see zero, return and free the
	 * cow before this wake-up is done with it.
	 */
	spin_lock_irqsave(&cow->lock, flags);
	if (atomic_dec_and_test(&cow->nr_pending))
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

static void dmr_overwrite_done(struct dmr_md_waiter *w, int err);
static void dmr_pending_fail(struct dmr_pending *p, const char *reason);

int dmr_cow_end_replica(struct dmr_cow *cow, struct dmr_cow_io *io, blk_status_t *error)
{
	struct dmr_pending *p = NULL;
	unsigned long flags;

	if (io->overwrite) {
		p = io->overwrite;
		io->overwrite = NULL;
		if (*error) {
			dmr_pending_fail(p, "writing to the pool failed");
			return DM_ENDIO_DONE;
		}
		dmr_md_set_owner(cow->md, p->pool_chunk, &(struct dmr_owner) {
			.slot = cow->id.slot + 1, .member = cow->id.member,
			.gen = cow->id.gen, .src_chunk = p->src_chunk });
		p->mdw.fn = dmr_overwrite_done;
		dmr_md_commit(cow->md, &p->mdw);
		return DM_ENDIO_INCOMPLETE;
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

	dmr_cow_break(cow, reason);
	if (p->have_chunk) {
		dmr_md_clear_owner(cow->md, p->pool_chunk);
		dmr_pool_free_chunk(cow->pool, p->pool_chunk);
	}
	spin_lock_irqsave(&cow->lock, flags);
	xa_release(&cow->map, p->src_chunk);
	__dmr_pending_retire(cow, p);
	spin_unlock_irqrestore(&cow->lock, flags);
	dmr_pending_free(p);
}

/* The owner entry of the copy is durable (md worker). */
static void dmr_commit_done(struct dmr_md_waiter *w, int err)
{
	struct dmr_pending *p = container_of(w, struct dmr_pending, mdw);
	struct dmr_cow *cow = p->cow;
	bool done = false;
	unsigned long flags;

	if (err) {
		dmr_pending_fail(p, "pool metadata write failed");
		return;
	}

	spin_lock_irqsave(&cow->lock, flags);
	/* The slot was reserved when the pending entry was made. */
	xa_store(&cow->map, p->src_chunk, xa_mk_value(p->pool_chunk), GFP_ATOMIC);
	cow->copied++;
	if (__dmr_tracked(cow, p->src_chunk)) {
		p->committed = true;
	} else {
		__dmr_pending_retire(cow, p);
		done = true;
	}
	spin_unlock_irqrestore(&cow->lock, flags);

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
	struct dmr_cow *cow = p->cow;
	struct dmr_owner o = {
		.slot = cow->id.slot + 1,
		.member = cow->id.member,
		.gen = cow->id.gen,
		.src_chunk = p->src_chunk,
	};

	if (read_err || write_err) {
		dmr_pending_fail(p, read_err ? "reading the source for a copy failed" :
				 "writing a copy to the pool failed");
		return;
	}
	dmr_md_set_owner(cow->md, p->pool_chunk, &o);
	p->mdw.fn = dmr_commit_done;
	dmr_md_commit(cow->md, &p->mdw);
}

static void dmr_pending_start(struct dmr_pending *p)
{
	struct dmr_cow *cow = p->cow;
	sector_t start = p->src_chunk << cow->chunk_shift;
	struct dm_io_region from, to;

	if (dmr_pool_alloc_chunk(cow->pool, &p->pool_chunk)) {
		dmr_pending_fail(p, "the pool is full");
		return;
	}
	p->have_chunk = true;

	from.bdev = cow->origin;
	from.sector = start;
	from.count = min_t(sector_t, 1ULL << cow->chunk_shift, cow->origin_sectors - start);
	to.bdev = dmr_pool_bdev(cow->pool);
	to.sector = dmr_pool_chunk_sector(cow->pool, p->pool_chunk);
	to.count = from.count;
	dm_kcopyd_copy(dmr_pool_kcopyd(cow->pool), &from, 1, &to, 0, dmr_copy_done, p);
}

/*
 * A replica write of the whole chunk: no need to copy the old data it
 * replaces. It goes to a fresh pool chunk and ends in dmr_overwrite_done().
 * Returns true when it took the bio.
 */
static bool dmr_overwrite_start(struct dmr_pending *p, struct bio *bio)
{
	struct dmr_cow *cow = p->cow;
	struct dmr_cow_io *io = dm_per_bio_data(bio, sizeof(*io));

	if (dmr_pool_alloc_chunk(cow->pool, &p->pool_chunk)) {
		/* The write waits on the entry, and fails with the cow. */
		bio_list_add(&p->rep_waiters, bio);
		dmr_pending_fail(p, "the pool is full");
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
 * Make a pending entry for @chunk unless one appeared meanwhile, and start
 * its copy; with @overwrite, the replica write that is the copy. Worker
 * context. Returns true when it took @overwrite.
 */
static bool dmr_cow_new_pending(struct dmr_cow *cow, u64 chunk, struct bio *overwrite)
{
	struct dmr_pending *p;
	unsigned long flags;
	int r;

	/* Source writes wait on this: no I/O to free memory, never fail. */
	p = mempool_alloc(&dmr_pending_pool, GFP_NOIO);
	memset(p, 0, sizeof(*p));
	p->cow = cow;
	p->src_chunk = chunk;
	bio_list_init(&p->src_waiters);
	bio_list_init(&p->rep_waiters);

	/*
	 * Reserve both slots now, so that no store under the lock allocates.
	 * The xarrays' own locks are taken with interrupts off everywhere,
	 * as cow->lock, which is held around them, is.
	 */
	r = xa_reserve_irq(&cow->pending, chunk, GFP_NOIO);
	if (!r) {
		r = xa_reserve_irq(&cow->map, chunk, GFP_NOIO);
		if (r) {
			spin_lock_irqsave(&cow->lock, flags);
			xa_release(&cow->pending, chunk);
			spin_unlock_irqrestore(&cow->lock, flags);
		}
	}
	if (r) {
		mempool_free(p, &dmr_pending_pool);
		dmr_cow_break(cow, "out of memory for the chunk map");
		return false;
	}

	spin_lock_irqsave(&cow->lock, flags);
	if (cow->state != DMR_COW_ACTIVE || xa_load(&cow->pending, chunk) ||
	    xa_load(&cow->map, chunk)) {
		xa_release(&cow->pending, chunk);
		xa_release(&cow->map, chunk);
		spin_unlock_irqrestore(&cow->lock, flags);
		mempool_free(p, &dmr_pending_pool);
		return false;
	}
	xa_store(&cow->pending, chunk, p, GFP_ATOMIC);
	atomic_inc(&cow->nr_pending);
	spin_unlock_irqrestore(&cow->lock, flags);

	if (!overwrite) {
		dmr_pending_start(p);
		return false;
	}
	return dmr_overwrite_start(p, overwrite);
}

static void dmr_cow_process(struct dmr_cow *cow, struct bio *bio, bool replica)
{
	struct dmr_cow_io *io = replica ? dm_per_bio_data(bio, sizeof(*io)) : NULL;
	enum dmr_verdict v;
	unsigned long flags;
	u64 need;

	for (;;) {
		spin_lock_irqsave(&cow->lock, flags);
		v = replica ? __dmr_cow_replica(cow, bio, io, &need) :
			__dmr_cow_source(cow, bio, &need);
		spin_unlock_irqrestore(&cow->lock, flags);
		if (v != DMR_NEED)
			break;
		if (dmr_cow_new_pending(cow, need, replica && dmr_whole_chunk(cow, bio, need) ?
					bio : NULL))
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

static struct dmr_cow *dmr_cow_alloc(u32 cs, sector_t origin_sectors)
{
	struct dmr_cow *cow;
	unsigned int i;

	cow = kzalloc(sizeof(*cow), GFP_KERNEL);
	if (!cow)
		return NULL;
	spin_lock_init(&cow->lock);
	cow->state = DMR_COW_ACTIVE;
	xa_init_flags(&cow->map, XA_FLAGS_LOCK_IRQ);
	xa_init_flags(&cow->pending, XA_FLAGS_LOCK_IRQ);
	for (i = 0; i < ARRAY_SIZE(cow->tracked); i++)
		INIT_HLIST_HEAD(&cow->tracked[i]);
	bio_list_init(&cow->deferred_src);
	bio_list_init(&cow->deferred_rep);
	bio_list_init(&cow->broken_wait);
	cow->chunk_shift = ilog2(cs);
	cow->origin_sectors = origin_sectors;
	cow->nr_chunks = DIV_ROUND_UP_ULL(origin_sectors, cs);
	INIT_WORK(&cow->work, dmr_cow_work);
	INIT_WORK(&cow->broken_work, dmr_cow_broken_work);
	atomic_set(&cow->nr_pending, 0);
	init_waitqueue_head(&cow->idle);
	return cow;
}

struct dmr_cow *dmr_cow_create(struct dmr_pool *pool, const struct dmr_cow_id *id,
			       sector_t origin_sectors,
			       const struct dmr_cow_owner_ops *ops, void *ctx)
{
	struct dmr_cow *cow = dmr_cow_alloc(dmr_pool_chunk_sectors(pool), origin_sectors);

	if (!cow)
		return NULL;
	cow->pool = pool;
	cow->md = dmr_pool_md(pool);
	cow->id = *id;
	cow->ops = ops;
	cow->ctx = ctx;
	return cow;
}

void dmr_cow_mark_broken(struct dmr_cow *cow)
{
	spin_lock_irq(&cow->lock);
	cow->state = DMR_COW_BROKEN;
	spin_unlock_irq(&cow->lock);
}

#ifdef DMR_KUNIT_TEST
struct dmr_cow *dmr_cow_create_test(u32 chunk_sectors, sector_t origin_sectors)
{
	return dmr_cow_alloc(chunk_sectors, origin_sectors);
}
#endif

void dmr_cow_set_origin(struct dmr_cow *cow, struct block_device *origin)
{
	WRITE_ONCE(cow->origin, origin);
}

int dmr_cow_load(struct dmr_cow *cow, u64 src_chunk, u64 pool_chunk)
{
	int r;

	if (src_chunk >= cow->nr_chunks)
		return -ERANGE;
	r = xa_insert_irq(&cow->map, src_chunk, xa_mk_value(pool_chunk), GFP_KERNEL);
	if (!r)
		cow->copied++;
	return r;
}

/*
 * No source or replica hands the cow new bios any more; wait until every
 * bio it took has been sent on or ended. A copy that fails meanwhile
 * breaks the cow, whose held writes come back to the worker once the
 * owner recorded the failure: so loop until nothing is pending, queued or
 * breaking, and neither work item is queued.
 */
void dmr_cow_quiesce(struct dmr_cow *cow)
{
	bool idle;

	do {
		flush_work(&cow->broken_work);
		flush_work(&cow->work);
		spin_lock_irq(&cow->lock);
		wait_event_lock_irq(cow->idle, !atomic_read(&cow->nr_pending), cow->lock);
		idle = bio_list_empty(&cow->deferred_src) && bio_list_empty(&cow->deferred_rep) &&
			bio_list_empty(&cow->broken_wait) && cow->state != DMR_COW_BREAKING;
		spin_unlock_irq(&cow->lock);
	} while (!idle || work_pending(&cow->work) || work_pending(&cow->broken_work));
}

void dmr_cow_destroy(struct dmr_cow *cow)
{
	if (!cow)
		return;
	dmr_cow_quiesce(cow);
	WARN_ON(!bio_list_empty(&cow->deferred_src) || !bio_list_empty(&cow->deferred_rep) ||
		!bio_list_empty(&cow->broken_wait));
	xa_destroy(&cow->map);
	xa_destroy(&cow->pending);
	kfree(cow);
}

void dmr_cow_release_chunks(struct dmr_cow *cow)
{
	unsigned long index;
	void *v;

	/* A copy still in flight would land in a chunk given away. */
	dmr_cow_quiesce(cow);
	xa_for_each(&cow->map, index, v) {
		dmr_md_clear_owner(cow->md, xa_to_value(v));
		dmr_pool_free_chunk(cow->pool, xa_to_value(v));
		xa_erase_irq(&cow->map, index);
	}
	cow->copied = 0;
}

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
