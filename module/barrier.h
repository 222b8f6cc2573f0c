/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dm-replica: the group barrier.
 */
#ifndef DM_REPLICA_BARRIER_H
#define DM_REPLICA_BARRIER_H

#include <linux/ktime.h>
#include <linux/types.h>

struct dmr_source;
struct dmr_src_engine;
struct dmr_rep_engine;

struct dmr_barrier_member {
	struct dmr_source *src;
	struct dmr_src_engine *src_eng;	/* the engine its writes go through */
	struct dmr_rep_engine *rep_eng;	/* the replica whose point in time it is */
};

/*
 * Take the points in time of the replicas of @m: start each replica
 * engine and switch its source to the source engine (a source whose
 * earlier replicas already use it stays on it). With @sequential, at one
 * instant for all: hold new writes at every source, drain the writes in
 * flight at every source, start and switch every member, then release
 * every source; no source is released before every member is switched.
 * Without, source by source. @cancelled, if set, is asked once all are
 * drained and before anything is switched.
 *
 * Returns 0, with the longest time writes were held in *@hold_ns and the
 * instant in *@instant_ns (CLOCK_REALTIME); -ETIMEDOUT when a source did
 * not drain within @timeout jiffies (*@stuck is its index); -ECANCELED.
 * A replica whose engine cannot start is left so; the caller finds it.
 * On error every source is released; the members already started (source
 * by source) are the caller's to undo. May sleep.
 */
int dmr_barrier_switch(struct dmr_barrier_member *m, unsigned int n, bool sequential,
		       unsigned long timeout, bool (*cancelled)(void *ctx), void *ctx,
		       u64 *hold_ns, u64 *instant_ns, unsigned int *stuck);

#endif /* DM_REPLICA_BARRIER_H */
