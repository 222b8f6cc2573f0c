/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dm-replica: the group barrier.
 */
#ifndef DM_REPLICA_BARRIER_H
#define DM_REPLICA_BARRIER_H

#include <linux/ktime.h>
#include <linux/types.h>

struct dmr_source;
struct dmr_cow;

struct dmr_barrier_member {
	struct dmr_source *src;
	struct dmr_cow *cow;	/* NULL to detach */
};

/*
 * Switch the sources of @m to their cows. With @sequential, at one
 * instant for all: hold new writes at every source, drain the writes in
 * flight at every source, switch every source, then release every
 * source; no source is released before every source is switched. Without,
 * source by source. @cancelled, if set, is asked once all are drained and
 * before anything is switched.
 *
 * Returns 0, with the longest time writes were held in *@hold_ns and the
 * instant in *@instant_ns (CLOCK_REALTIME); -ETIMEDOUT when a source did
 * not drain within @timeout jiffies (*@stuck is its index); -ECANCELED.
 * On error nothing is switched and every source is released. May sleep.
 */
int dmr_barrier_switch(struct dmr_barrier_member *m, unsigned int n, bool sequential,
		       unsigned long timeout, bool (*cancelled)(void *ctx), void *ctx,
		       u64 *hold_ns, u64 *instant_ns, unsigned int *stuck);

#endif /* DM_REPLICA_BARRIER_H */
