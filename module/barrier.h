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
struct dmr_snap;

struct dmr_barrier_member {
	struct dmr_source *src;
	struct dmr_cow *cow;
	struct dmr_snap *snap;	/* the snapshot whose point in time is taken */
};

/*
 * Take the points in time of the snapshots of @m: start each snapshot in
 * its cow and switch its source to the cow (a source whose earlier
 * snapshots already use the cow stays on it). With @sequential, at one
 * instant for all: hold new writes at every source, drain the writes in
 * flight at every source, start and switch every member, then release
 * every source; no source is released before every member is switched.
 * Without, source by source. @cancelled, if set, is asked once all are
 * drained and before anything is switched.
 *
 * Returns 0, with the longest time writes were held in *@hold_ns and the
 * instant in *@instant_ns (CLOCK_REALTIME); -ETIMEDOUT when a source did
 * not drain within @timeout jiffies (*@stuck is its index); -ECANCELED.
 * A snapshot whose cow is broken is not started; the caller finds it so.
 * On error every source is released; the members already started (source
 * by source) are the caller's to undo (dmr_snap_release()). May sleep.
 */
int dmr_barrier_switch(struct dmr_barrier_member *m, unsigned int n, bool sequential,
		       unsigned long timeout, bool (*cancelled)(void *ctx), void *ctx,
		       u64 *hold_ns, u64 *instant_ns, unsigned int *stuck);

#endif /* DM_REPLICA_BARRIER_H */
