// SPDX-License-Identifier: GPL-2.0
/*
 * dm-replica: allocation of a pool's data chunks.
 */
#include <linux/bitmap.h>
#include <linux/bug.h>
#include <linux/slab.h>

#include "alloc.h"

int dmr_alloc_init(struct dmr_alloc *a, u64 nr_chunks)
{
	spin_lock_init(&a->lock);
	a->map = bitmap_zalloc(nr_chunks, GFP_KERNEL);
	if (!a->map)
		return -ENOMEM;
	a->nr = nr_chunks;
	a->used = 0;
	a->cursor = 0;
	return 0;
}

void dmr_alloc_exit(struct dmr_alloc *a)
{
	bitmap_free(a->map);
	a->map = NULL;
}

int dmr_alloc_mark(struct dmr_alloc *a, u64 chunk)
{
	unsigned long flags;
	int r = 0;

	if (chunk >= a->nr)
		return -ERANGE;
	spin_lock_irqsave(&a->lock, flags);
	if (__test_and_set_bit(chunk, a->map))
		r = -EEXIST;
	else
		a->used++;
	spin_unlock_irqrestore(&a->lock, flags);
	return r;
}

int dmr_alloc_get(struct dmr_alloc *a, u64 *chunk)
{
	unsigned long flags, b;

	spin_lock_irqsave(&a->lock, flags);
	if (a->used == a->nr) {
		spin_unlock_irqrestore(&a->lock, flags);
		return -ENOSPC;
	}
	b = find_next_zero_bit(a->map, a->nr, a->cursor);
	if (b >= a->nr)
		b = find_first_zero_bit(a->map, a->nr);
	__set_bit(b, a->map);
	a->used++;
	a->cursor = b + 1;
	spin_unlock_irqrestore(&a->lock, flags);
	*chunk = b;
	return 0;
}

void dmr_alloc_put(struct dmr_alloc *a, u64 chunk)
{
	unsigned long flags;

	spin_lock_irqsave(&a->lock, flags);
	if (!WARN_ON_ONCE(chunk >= a->nr || !__test_and_clear_bit(chunk, a->map)))
		a->used--;
	spin_unlock_irqrestore(&a->lock, flags);
}

void dmr_alloc_usage(struct dmr_alloc *a, u64 *used, u64 *total)
{
	unsigned long flags;

	spin_lock_irqsave(&a->lock, flags);
	*used = a->used;
	*total = a->nr;
	spin_unlock_irqrestore(&a->lock, flags);
}
