// SPDX-License-Identifier: GPL-2.0
/*
 * dm-replica: the background copy of a clone group (see clone.h).
 *
 * One kernel thread per copy, for all the group's members: they take
 * turns (DMR_CLONE_TURN chunks each), each with its own copies in flight,
 * so that the sources are read side by side. Everything in struct
 * dmr_clone but the constants is the thread's own: nothing else touches
 * it until dmr_clone_stop() has stopped the thread.
 */
#include <kunit/visibility.h>
#include <linux/device-mapper.h>
#include <linux/err.h>
#include <linux/freezer.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "clone.h"
#include "cow.h"
#include "dm-replica.h"
#include "request.h"

/* How often the owner hears of the progress. */
#define DMR_CLONE_REPORT_MS	250

/* Where a member's copy stands: its pass, and what the pass found. */
struct dmr_clone_cursor {
	u64 chunk;		/* the next chunk of the pass */
	bool all_held;		/* every chunk so far was private already */
	bool done;		/* a pass found every chunk private */
};

struct dmr_clone {
	struct task_struct *task;
	const struct dmr_clone_ops *ops;
	void *ctx;
	struct dmr_clone_params params;
	u32 chunk_bytes;
	unsigned int n;
	struct dmr_snap **snaps;
	struct dmr_clone_cursor *cur;	/* per member */

	/* The thread's own. */
	u64 next_copy_ns;		/* copy_rate: no copy starts before */
	unsigned long next_report;
	u64 total;
};

/* Sleep up to @timeout, unless told to stop. */
static void dmr_clone_nap(unsigned long timeout)
{
	set_current_state(TASK_INTERRUPTIBLE);
	if (!kthread_should_stop())
		schedule_timeout(timeout);
	__set_current_state(TASK_RUNNING);
	/* No copy starts while the system suspends. */
	try_to_freeze();
}

static void dmr_clone_report(struct dmr_clone *c, bool now)
{
	u64 copied = 0;
	unsigned int i;

	if (!now && time_before(jiffies, c->next_report))
		return;
	c->next_report = jiffies + msecs_to_jiffies(DMR_CLONE_REPORT_MS);
	for (i = 0; i < c->n; i++)
		copied += dmr_snap_copied_chunks(c->snaps[i]);
	c->ops->progress(c->ctx, min(copied, c->total), c->total);
}

/*
 * How many copies of @snap may be in flight now: what the priority
 * allows given the source's recent I/O.
 */
VISIBLE_IF_KUNIT unsigned int dmr_clone_depth_for(u16 priority, bool busy)
{
	if (!busy || priority == DM_REPLICA_COPY_PRIORITY_HIGH)
		return DMR_CLONE_DEPTH;
	return priority == DM_REPLICA_COPY_PRIORITY_SAME ? 1 : 0;
}
EXPORT_SYMBOL_IF_KUNIT(dmr_clone_depth_for);

static unsigned int dmr_clone_depth(struct dmr_clone *c, struct dmr_snap *snap)
{
	bool busy = time_before(jiffies, dmr_snap_last_io(snap) +
				msecs_to_jiffies(DMR_CLONE_IDLE_MS));

	return dmr_clone_depth_for(c->params.priority, busy);
}

/*
 * What a chunk of @chunk_bytes costs at @rate_kib KiB/s, in nanoseconds.
 * The divisor exceeds 32 bits from 4 GiB/s: div64_u64().
 */
VISIBLE_IF_KUNIT u64 dmr_clone_cost_ns(u32 chunk_bytes, unsigned int rate_kib)
{
	return div64_u64((u64)chunk_bytes * NSEC_PER_SEC, (u64)rate_kib << 10);
}
EXPORT_SYMBOL_IF_KUNIT(dmr_clone_cost_ns);

/* A copy of a chunk started: the next one waits its share of copy_rate. */
static void dmr_clone_charge(struct dmr_clone *c)
{
	u64 now = ktime_get_ns();

	if (!c->params.rate_kib)
		return;
	/* Time not used is not saved up beyond a second's worth. */
	if (c->next_copy_ns + NSEC_PER_SEC < now)
		c->next_copy_ns = now - NSEC_PER_SEC;
	c->next_copy_ns += dmr_clone_cost_ns(c->chunk_bytes, c->params.rate_kib);
}

/* Chunks a member's turn looks at, at most: the members take turns. */
#define DMR_CLONE_TURN		64
/*
 * Copies of a member whose owner entries are not yet durable, at most: a
 * copy's slot is freed for the next once its data is written, and the
 * entries of all those written meanwhile share one commit (one flush of
 * the pool) instead of a commit each.
 */
#define DMR_CLONE_COMMITS	256

/*
 * Member @i's turn: start the copies it may start now, looking at up to
 * DMR_CLONE_TURN chunks. Returns 1 when it moved on (looked at a chunk,
 * started a pass or ended), 0 when it has to wait (*@wait jiffies at
 * most, or for its copies in flight), -EIO when its snapshot broke.
 */
static int dmr_clone_turn(struct dmr_clone *c, unsigned int i, unsigned long *wait)
{
	struct dmr_clone_cursor *cu = &c->cur[i];
	struct dmr_snap *snap = c->snaps[i];
	u64 n = dmr_snap_nr_chunks(snap), now;
	unsigned int budget, depth;
	int moved = 0;

	for (budget = DMR_CLONE_TURN; budget; budget--) {
		if (cu->chunk == n) {
			/*
			 * The end of a pass. One that started copies is
			 * followed by another once they have ended: it finds
			 * every chunk private, or the ones a busy chunk or a
			 * failed allocation left.
			 */
			if (dmr_snap_copies_in_flight(snap))
				return moved;
			if (cu->all_held) {
				/* A pass found every chunk private: the counts agree. */
				WARN_ON_ONCE(!dmr_snap_make_independent(snap));
				cu->done = true;
				return 1;
			}
			cu->chunk = 0;
			cu->all_held = true;
		}
		now = ktime_get_ns();
		if (c->params.rate_kib && now < c->next_copy_ns) {
			*wait = min(*wait, nsecs_to_jiffies(c->next_copy_ns - now) + 1);
			return moved;
		}
		depth = dmr_clone_depth(c, snap);
		if (!depth) {
			*wait = min(*wait, msecs_to_jiffies(DMR_CLONE_IDLE_MS));
			return moved;
		}
		if (dmr_snap_fills_in_flight(snap) >= depth ||
		    dmr_snap_copies_in_flight(snap) >= DMR_CLONE_COMMITS)
			return moved;
		switch (dmr_snap_fill(snap, cu->chunk)) {
		case DMR_FILL_HELD:
			break;
		case DMR_FILL_STARTED:
			dmr_clone_charge(c);
			cu->all_held = false;
			break;
		case DMR_FILL_NO_ORIGIN:
		case DMR_FILL_NOSPACE:
			/*
			 * The source is not back yet, or the pool is short of
			 * space (a deletion may give some back): wait, on
			 * this chunk.
			 */
			*wait = min(*wait, (unsigned long)HZ);
			return moved;
		case DMR_FILL_NOMEM:
			*wait = min(*wait, msecs_to_jiffies(DMR_CLONE_IDLE_MS));
			cu->all_held = false;
			cu->chunk++;
			return 1;
		case DMR_FILL_BUSY:
		case DMR_FILL_TOOK:
			cu->all_held = false;
			break;
		case DMR_FILL_BROKEN:
			return -EIO;
		}
		cu->chunk++;
		moved = 1;
	}
	return moved;
}

/*
 * Copy every member whole, the members taking turns, so that the sources
 * are read side by side. Returns 0 once every chunk of every member is
 * its own, else why the copy ends: -EINTR (stopped), -ECANCELED, or -EIO
 * with *@failed the member whose snapshot broke.
 */
static int dmr_clone_run(struct dmr_clone *c, unsigned int *failed)
{
	unsigned int i, left;
	unsigned long wait;
	bool moved;
	int r;

	for (;;) {
		if (kthread_should_stop())
			return -EINTR;
		if (c->ops->cancelled(c->ctx))
			return -ECANCELED;
		dmr_clone_report(c, false);

		moved = false;
		left = 0;
		wait = msecs_to_jiffies(DMR_CLONE_REPORT_MS);
		for (i = 0; i < c->n; i++) {
			if (c->cur[i].done)
				continue;
			r = dmr_clone_turn(c, i, &wait);
			if (r < 0) {
				*failed = i;
				return r;
			}
			moved |= r;
			left += !c->cur[i].done;
		}
		if (!left)
			return 0;
		if (moved) {
			cond_resched();
			continue;
		}
		/* Nobody could go on: wait for a copy to end, or the time said. */
		for (i = 0; i < c->n; i++) {
			struct dmr_snap *snap = c->snaps[i];
			unsigned int busy = dmr_snap_copies_in_flight(snap);

			if (!c->cur[i].done && busy) {
				dmr_snap_wait_copies(snap, busy, dmr_snap_fills_in_flight(snap),
						     wait);
				break;
			}
		}
		if (i == c->n)
			dmr_clone_nap(wait);
	}
}

/* Wait until no copy of any member is in flight. -EINTR when stopped. */
static int dmr_clone_drain(struct dmr_clone *c)
{
	unsigned int i, busy;

	for (i = 0; i < c->n; i++) {
		while ((busy = dmr_snap_copies_in_flight(c->snaps[i]))) {
			if (kthread_should_stop())
				return -EINTR;
			dmr_snap_wait_copies(c->snaps[i], busy, 0,
					     msecs_to_jiffies(DMR_CLONE_REPORT_MS));
		}
	}
	return 0;
}

static int dmr_clone_thread(void *data)
{
	struct dmr_clone *c = data;
	unsigned int failed = 0;
	int r;

	set_freezable();
	c->next_copy_ns = ktime_get_ns();
	c->next_report = jiffies;
	r = dmr_clone_run(c, &failed);
	/*
	 * A copy that ends for a cancel or a failure says so only once the
	 * copies it started have ended: nothing is copied after its job ends.
	 */
	if (r != -EINTR)
		r = dmr_clone_drain(c) ?: r;
	if (r != -EINTR) {
		dmr_clone_report(c, true);
		c->ops->ended(c->ctx, r, failed);
	}
	/* Parked until dmr_clone_stop(): it alone ends the thread. */
	while (!kthread_should_stop())
		dmr_clone_nap(MAX_SCHEDULE_TIMEOUT);
	return 0;
}

struct dmr_clone *dmr_clone_start(struct dmr_snap **snaps, unsigned int n, u32 id,
				  const struct dmr_clone_params *p,
				  const struct dmr_clone_ops *ops, void *ctx)
{
	struct dmr_clone *c;
	unsigned int i;

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return ERR_PTR(-ENOMEM);
	c->snaps = kmemdup(snaps, n * sizeof(*snaps), GFP_KERNEL);
	c->cur = kcalloc(n, sizeof(*c->cur), GFP_KERNEL);
	if (!c->snaps || !c->cur) {
		kfree(c->cur);
		kfree(c->snaps);
		kfree(c);
		return ERR_PTR(-ENOMEM);
	}
	for (i = 0; i < n; i++)
		c->cur[i].all_held = true;
	c->n = n;
	c->ops = ops;
	c->ctx = ctx;
	c->params = *p;
	c->chunk_bytes = dmr_snap_chunk_sectors(snaps[0]) << SECTOR_SHIFT;
	for (i = 0; i < n; i++)
		c->total += dmr_snap_nr_chunks(snaps[i]);
	c->task = kthread_run(dmr_clone_thread, c, "dmr-clone/%u", id);
	if (IS_ERR(c->task)) {
		int r = PTR_ERR(c->task);

		kfree(c->cur);
		kfree(c->snaps);
		kfree(c);
		return ERR_PTR(r);
	}
	return c;
}

void dmr_clone_stop(struct dmr_clone *c)
{
	if (!c)
		return;
	kthread_stop(c->task);
	kfree(c->cur);
	kfree(c->snaps);
	kfree(c);
}
