// SPDX-License-Identifier: GPL-2.0
/*
 * dm-replica: Restore From Replica (see restore.h).
 *
 * The chunks are copied by a dm-kcopyd client of the restore's own: the
 * writes go through the source's cow, whose copies use the pool's
 * client, and must not wait behind them for the same pages.
 */
#include <linux/device-mapper.h>
#include <linux/dm-kcopyd.h>
#include <linux/jiffies.h>
#include <linux/sched.h>
#include <linux/wait.h>

#include "cow.h"
#include "dm-replica.h"
#include "pool.h"
#include "restore.h"

/* Chunk copies in flight at most. */
#define DMR_RESTORE_DEPTH	16
/* How often the caller hears of the progress. */
#define DMR_RESTORE_REPORT_MS	250

struct dmr_restore {
	struct dm_kcopyd_client *kc;
	atomic_t in_flight;
	atomic_t errors;
	wait_queue_head_t wait;
};

/* A chunk is on its source (kcopyd thread). */
static void dmr_restore_done(int read_err, unsigned long write_err, void *context)
{
	struct dmr_restore *rs = context;

	if (read_err || write_err)
		atomic_inc(&rs->errors);
	/*
	 * @rs lives until dm_kcopyd_client_destroy(), which waits for this
	 * callback to return.
	 */
	atomic_dec(&rs->in_flight);
	wake_up(&rs->wait);
}

/*
 * Wait until fewer than @below copies are in flight. A device that stalls
 * (suspended) stalls the restore: woken every second, so that it is not
 * taken for a hung task.
 */
static void dmr_restore_wait(struct dmr_restore *rs, int below)
{
	while (!wait_event_timeout(rs->wait, atomic_read(&rs->in_flight) < below, HZ))
		;
}

/* The chunks of member @m the pool holds. */
static u64 dmr_restore_count(const struct dmr_restore_member *m)
{
	u64 c, n = dmr_snap_nr_chunks(m->snap), held = 0, pc;

	for (c = 0; c < n; c++) {
		if (dmr_snap_lookup(m->snap, c, &pc))
			held++;
		cond_resched();
	}
	return held;
}

static int dmr_restore_member(struct dmr_restore *rs, const struct dmr_restore_member *m,
			      struct dmr_pool *pool, const struct dmr_restore_ops *ops,
			      void *ctx, u64 *written, u64 total, unsigned long *next_report)
{
	u32 cs = dmr_snap_chunk_sectors(m->snap);
	u64 c, n = dmr_snap_nr_chunks(m->snap), pc;
	struct dm_io_region from, to;

	for (c = 0; c < n; c++) {
		if (!dmr_snap_lookup(m->snap, c, &pc))
			continue;
		if (ops->cancelled(ctx))
			return -ECANCELED;
		if (atomic_read(&rs->errors))
			return -EIO;
		dmr_restore_wait(rs, DMR_RESTORE_DEPTH);

		from.bdev = dmr_pool_bdev(pool);
		from.sector = dmr_pool_chunk_sector(pool, pc);
		from.count = min_t(sector_t, cs, m->sectors - c * cs);
		to.bdev = m->target;
		to.sector = c * cs;
		to.count = from.count;
		atomic_inc(&rs->in_flight);
		dm_kcopyd_copy(rs->kc, &from, 1, &to, 0, dmr_restore_done, rs);
		(*written)++;
		if (time_after_eq(jiffies, *next_report)) {
			*next_report = jiffies + msecs_to_jiffies(DMR_RESTORE_REPORT_MS);
			ops->progress(ctx, *written, total);
		}
		cond_resched();
	}
	dmr_restore_wait(rs, 1);
	if (atomic_read(&rs->errors))
		return -EIO;
	return blkdev_issue_flush(m->target) ? -EIO : 0;
}

int dmr_restore(const struct dmr_restore_member *m, unsigned int n, struct dmr_pool *pool,
		const struct dmr_restore_ops *ops, void *ctx, u64 *written,
		unsigned int *failed)
{
	unsigned long next_report = jiffies;
	struct dmr_restore rs;
	unsigned int i;
	u64 total = 0;
	int r = 0;

	*written = 0;
	*failed = 0;
	rs.kc = dm_kcopyd_client_create(NULL);
	if (IS_ERR(rs.kc))
		return PTR_ERR(rs.kc);
	atomic_set(&rs.in_flight, 0);
	atomic_set(&rs.errors, 0);
	init_waitqueue_head(&rs.wait);

	for (i = 0; i < n; i++)
		total += dmr_restore_count(&m[i]);
	ops->progress(ctx, 0, total);
	for (i = 0; i < n && !r; i++) {
		r = dmr_restore_member(&rs, &m[i], pool, ops, ctx, written, total, &next_report);
		if (r)
			*failed = i;
	}
	/* Cancelled or failed: what is in flight ends before @rs goes. */
	dmr_restore_wait(&rs, 1);
	dm_kcopyd_client_destroy(rs.kc);
	if (!r)
		ops->progress(ctx, total, total);
	return r;
}
