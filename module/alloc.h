/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dm-replica: allocation of a pool's data chunks.
 *
 * A bitmap with a next-fit cursor. The bitmap is not persistent: the pool
 * rebuilds it from the owner table when it is loaded. All functions may be
 * called from any context; they take the allocator's spinlock.
 */
#ifndef DM_REPLICA_ALLOC_H
#define DM_REPLICA_ALLOC_H

#include <linux/spinlock.h>
#include <linux/types.h>

/*
 * struct dmr_alloc - the chunk allocator of one pool
 * @lock:   protects every other field.
 * @map:    one bit per data chunk, set when in use.
 * @cursor: where the next search starts.
 */
struct dmr_alloc {
	spinlock_t lock;	/* see above */
	unsigned long *map;
	u64 nr;
	u64 used;
	u64 cursor;
};

int dmr_alloc_init(struct dmr_alloc *a, u64 nr_chunks);
void dmr_alloc_exit(struct dmr_alloc *a);

/* Mark @chunk used while loading; -EEXIST if it already is. */
int dmr_alloc_mark(struct dmr_alloc *a, u64 chunk);

/* Take a free chunk; -ENOSPC when the pool is full. */
int dmr_alloc_get(struct dmr_alloc *a, u64 *chunk);

/* Give a chunk back. */
void dmr_alloc_put(struct dmr_alloc *a, u64 chunk);

void dmr_alloc_usage(struct dmr_alloc *a, u64 *used, u64 *total);

#endif /* DM_REPLICA_ALLOC_H */
