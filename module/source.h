/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dm-replica: the replica-source target, as the group code sees it.
 *
 * One dmr_source exists per dm device (and start sector) that has a
 * replica-source target; target instances of successive tables of the same
 * device share it, so that a table reload keeps the source in its group.
 */
#ifndef DM_REPLICA_SOURCE_H
#define DM_REPLICA_SOURCE_H

#include <linux/types.h>

struct dmr_source;
struct dmr_src_engine;
struct block_device;

/*
 * Lookup and references. dmr_lock must be held for dmr_source_find()
 * and dmr_source_count(); dmr_source_get() and dmr_source_put() work in
 * any process context.
 */
struct dmr_source *dmr_source_find(dev_t md_devt);
struct dmr_source *dmr_source_find_uuid(const char *uuid);
unsigned int dmr_source_count(dev_t md_devt);
/* The name of a live source whose device overlaps @bdev, or NULL; dmr_lock held. */
const char *dmr_source_on_bdev(struct block_device *bdev);
void dmr_source_get(struct dmr_source *src);
void dmr_source_put(struct dmr_source *src);

/* Constant for the life of the source. */
const char *dmr_source_name(struct dmr_source *src);
const char *dmr_source_uuid(struct dmr_source *src);	/* "" when none */
dev_t dmr_source_devt(struct dmr_source *src);
dev_t dmr_source_origin(struct dmr_source *src);
sector_t dmr_source_begin(struct dmr_source *src);
sector_t dmr_source_sectors(struct dmr_source *src);

/*
 * The origin (group.c: the source as the groups of one pool see it) this
 * source feeds, or NULL; dmr_lock held. While it is set, writes are cut
 * at boundaries of @chunk_sectors.
 */
void *dmr_source_member(struct dmr_source *src);
void dmr_source_set_member(struct dmr_source *src, void *member, u32 chunk_sectors);

/*
 * struct dmr_source_watch_ops - what the groups are told of sources, so
 * that a group can find its source again and let go of it. Called with
 * dmr_lock held, from the target's constructor and destructor.
 * @added:   @src appeared (a new device; a reloaded table of the same
 *           device and start is no new source).
 * @removed: the last table of @src is gone; it is off the list already.
 */
struct dmr_source_watch_ops {
	void (*added)(struct dmr_source *src);
	void (*removed)(struct dmr_source *src);
};

/*
 * Set (or clear, with NULL) the watcher: at module init before the
 * replica-source target is registered, and at exit after it is gone.
 */
void dmr_source_set_watch_ops(const struct dmr_source_watch_ops *ops);

/*
 * The barrier steps (barrier.c). dmr_source_hold() makes new writes wait;
 * dmr_source_drain() waits until the writes already sent on have ended,
 * at most @timeout jiffies (returns 0 on timeout); dmr_source_attach()
 * switches the source to an engine (or back to none with NULL: it then
 * waits until no write is still handing itself to the old engine, which
 * takes no I/O; the writes the engine took are the engine's to finish);
 * dmr_source_release() sends the held writes on. Process context.
 */
void dmr_source_hold(struct dmr_source *src);
long dmr_source_drain(struct dmr_source *src, unsigned long timeout);
void dmr_source_attach(struct dmr_source *src, struct dmr_src_engine *eng);
void dmr_source_release(struct dmr_source *src);

/*
 * Re-assembly: switch the source to @eng unless a write reached the
 * device without an engine since the source appeared (-EEXIST): the point in
 * time can no longer be trusted then. Checked and switched under one
 * lock, so that no write slips between the two. Process context.
 */
int dmr_source_attach_unwritten(struct dmr_source *src, struct dmr_src_engine *eng);

#endif /* DM_REPLICA_SOURCE_H */
