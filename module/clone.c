// SPDX-License-Identifier: GPL-2.0
/*
 * dm-replica: the background copy of a clone group (see clone.h).
 *
 * One kernel thread per copy. Everything in struct dmr_clone but the
 * constants is the thread's own: nothing else touches it until
 * dmr_clone_stop() has stopped the thread.
 */
#include <linux/device-mapper.h>
#include <linux/err.h>
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

struct dmr_clone {
	struct task_struct *task;
	const struct dmr_clone_ops *ops;
	void *ctx;
	struct dmr_clone_params params;
	u32 chunk_bytes;
	unsigned int n;
	struct dmr_snap **snaps;

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
static unsigned int dmr_clone_depth(struct dmr_clone *c, struct dmr_snap *snap)
{
	bool busy = time_before(jiffies, dmr_snap_last_io(snap) +
				msecs_to_jiffies(DMR_CLONE_IDLE_MS));

	if (!busy || c->params.priority == DMR_COPY_PRIORITY_HIGH)
		return DMR_CLONE_DEPTH;
	return c->params.priority == DMR_COPY_PRIORITY_SAME ? 1 : 0;
}

/*
 * Wait until one more copy of @snap may start. Returns 0, or why the copy
 * must end: -EINTR (stopped), -ECANCELED.
 */
static int dmr_clone_throttle(struct dmr_clone *c, struct dmr_snap *snap)
{
	unsigned int depth;
	u64 now;

	for (;;) {
		if (kthread_should_stop())
			return -EINTR;
		if (c->ops->cancelled(c->ctx))
			return -ECANCELED;
		dmr_clone_report(c, false);
		now = ktime_get_ns();
		if (c->params.rate_kib && now < c->next_copy_ns) {
			dmr_clone_nap(nsecs_to_jiffies(c->next_copy_ns - now) + 1);
			continue;
		}
		depth = dmr_clone_depth(c, snap);
		if (!depth) {
			dmr_clone_nap(msecs_to_jiffies(DMR_CLONE_IDLE_MS));
			continue;
		}
		if (dmr_snap_copies_in_flight(snap) < depth)
			return 0;
		dmr_snap_wait_copies(snap, depth, msecs_to_jiffies(DMR_CLONE_REPORT_MS));
	}
}

/* A copy of a chunk started: the next one waits its share of copy_rate. */
static void dmr_clone_charge(struct dmr_clone *c)
{
	u64 now = ktime_get_ns();

	if (!c->params.rate_kib)
		return;
	/* Time not used is not saved up beyond a second's worth. */
	if (c->next_copy_ns + NSEC_PER_SEC < now)
		c->next_copy_ns = now - NSEC_PER_SEC;
	c->next_copy_ns += div_u64((u64)c->chunk_bytes * NSEC_PER_SEC,
				   c->params.rate_kib * 1024ULL);
}

/*
 * One pass over member @snap: start a copy of every chunk the pool does
 * not hold for it. Returns 1 when every chunk was found held (the member
 * is done), 0 when a copy was started or a chunk must be looked at again,
 * else why the copy must end.
 */
static int dmr_clone_pass(struct dmr_clone *c, struct dmr_snap *snap)
{
	u64 chunk, n = dmr_snap_nr_chunks(snap);
	bool all_held = true;
	int r;

	for (chunk = 0; chunk < n; chunk++) {
		r = dmr_clone_throttle(c, snap);
		if (r)
			return r;
		switch (dmr_snap_fill(snap, chunk)) {
		case DMR_FILL_HELD:
			break;
		case DMR_FILL_STARTED:
			dmr_clone_charge(c);
			all_held = false;
			break;
		case DMR_FILL_NO_ORIGIN:
			/* The source is not back yet: wait for it, on this chunk. */
			dmr_clone_nap(HZ);
			chunk--;
			break;
		case DMR_FILL_NOMEM:
			dmr_clone_nap(msecs_to_jiffies(DMR_CLONE_IDLE_MS));
			fallthrough;
		case DMR_FILL_BUSY:
		case DMR_FILL_TOOK:
			all_held = false;
			break;
		case DMR_FILL_BROKEN:
			return -EIO;
		}
		cond_resched();
	}
	return all_held;
}

/* Copy member @snap whole. Returns 0 once every chunk is in the pool. */
static int dmr_clone_member(struct dmr_clone *c, struct dmr_snap *snap)
{
	int r;

	/*
	 * A pass that started copies is followed by another once they have
	 * ended: it finds every chunk held, or the ones a busy chunk or a
	 * failed allocation left.
	 */
	while ((r = dmr_clone_pass(c, snap)) == 0) {
		while (dmr_snap_copies_in_flight(snap)) {
			if (kthread_should_stop())
				return -EINTR;
			dmr_snap_wait_copies(snap, 1, msecs_to_jiffies(DMR_CLONE_REPORT_MS));
			dmr_clone_report(c, false);
		}
	}
	return r < 0 ? r : 0;
}

static int dmr_clone_thread(void *data)
{
	struct dmr_clone *c = data;
	unsigned int i;
	int r = 0;

	c->next_copy_ns = ktime_get_ns();
	c->next_report = jiffies;
	for (i = 0; i < c->n; i++) {
		r = dmr_clone_member(c, c->snaps[i]);
		if (r)
			break;
	}
	if (r != -EINTR) {
		dmr_clone_report(c, true);
		c->ops->ended(c->ctx, r, i);
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
	if (!c->snaps) {
		kfree(c);
		return ERR_PTR(-ENOMEM);
	}
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
	kfree(c->snaps);
	kfree(c);
}
