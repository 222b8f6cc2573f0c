// SPDX-License-Identifier: GPL-2.0
/*
 * dm-replica: the group barrier.
 *
 * Why it gives one instant for the whole group (Sequential Consistency):
 * every source is held before any is drained, and every source is
 * switched before any is released. A write that completed before its
 * source was held is in the point-in-time image; a write held, or issued
 * after the hold, completes only after the release, when every source is
 * switched, so it is after the instant on every device. A write issued
 * after another completed therefore never lands in the image without it.
 *
 * It does not deadlock with dm suspend: a source suspended by dm has no
 * write in flight and drains at once; a suspend that starts while writes
 * are held waits for the release, which never waits for anything but the
 * drain; and the drain is bounded by a timeout, after which everything is
 * released unchanged.
 */
#include <linux/jiffies.h>
#include <linux/sched.h>
#include <linux/ktime.h>
#include <linux/timekeeping.h>

#include "barrier.h"
#include "engine.h"
#include "source.h"

/* Drain sources [0, n) within what is left of @deadline. */
static int dmr_barrier_drain(struct dmr_barrier_member *m, unsigned int n,
			     unsigned long deadline, unsigned int *stuck)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		long left = (long)(deadline - jiffies);

		if (!dmr_source_drain(m[i].src, left > 0 ? left : 0)) {
			*stuck = i;
			return -ETIMEDOUT;
		}
	}
	return 0;
}

static int dmr_barrier_all(struct dmr_barrier_member *m, unsigned int n,
			   unsigned long timeout, bool (*cancelled)(void *ctx), void *ctx,
			   u64 *hold_ns, u64 *instant_ns, unsigned int *stuck)
{
	unsigned long deadline = jiffies + timeout;
	ktime_t start;
	unsigned int i;
	int r;

	start = ktime_get();
	for (i = 0; i < n; i++)
		dmr_source_hold(m[i].src);

	r = dmr_barrier_drain(m, n, deadline, stuck);
	if (!r && cancelled && cancelled(ctx))
		r = -ECANCELED;
	if (!r) {
		for (i = 0; i < n; i++) {
			/* One that cannot start: the creation finds it so. */
			if (!dmr_engine_start(m[i].rep_eng))
				dmr_source_attach(m[i].src, m[i].src_eng);
		}
		*instant_ns = ktime_get_real_ns();
	}

	for (i = 0; i < n; i++)
		dmr_source_release(m[i].src);
	*hold_ns = ktime_to_ns(ktime_sub(ktime_get(), start));
	return r;
}

static int dmr_barrier_each(struct dmr_barrier_member *m, unsigned int n,
			    unsigned long timeout, bool (*cancelled)(void *ctx), void *ctx,
			    u64 *hold_ns, u64 *instant_ns, unsigned int *stuck)
{
	unsigned int i, j;
	u64 hold, longest = 0;
	int r;

	if (cancelled && cancelled(ctx))
		return -ECANCELED;
	for (i = 0; i < n; i++) {
		r = dmr_barrier_all(&m[i], 1, timeout, NULL, NULL, &hold, instant_ns, &j);
		longest = max(longest, hold);
		if (r) {
			/*
			 * The members already started stay so: deleting a
			 * snapshot needs no barrier, and the caller undoes
			 * the creation.
			 */
			*stuck = i;
			return r;
		}
	}
	*hold_ns = longest;
	return 0;
}

int dmr_barrier_switch(struct dmr_barrier_member *m, unsigned int n, bool sequential,
		       unsigned long timeout, bool (*cancelled)(void *ctx), void *ctx,
		       u64 *hold_ns, u64 *instant_ns, unsigned int *stuck)
{
	*hold_ns = 0;
	if (sequential)
		return dmr_barrier_all(m, n, timeout, cancelled, ctx, hold_ns, instant_ns,
				       stuck);
	return dmr_barrier_each(m, n, timeout, cancelled, ctx, hold_ns, instant_ns, stuck);
}
