// SPDX-License-Identifier: GPL-2.0
/*
 * dm-replica: groups.
 *
 * Locking: dmr_lock (a mutex) protects the list of groups, each group's
 * membership links (member->src, member->nr_replicas, group->ready,
 * group->dying) and the source and pool registries. It is never held
 * across a wait for a source device: the barrier of a creation, the
 * erase and the copies a deletion waits for all run without it, on a
 * group that @ready and @dying keep out of every other operation's way.
 * (Pool metadata reads and writes at load and re-assembly do run under
 * it; they wait for the pool device only.)
 *
 * group->rec_lock serialises changes and writes of the group's metadata
 * record (it is held across the write); the copy-on-write code reports
 * failures through it without dmr_lock, since tearing a group down waits
 * for that code. group->state_lock, a spinlock taken inside rec_lock,
 * guards the record in memory for its readers: a reader never waits for
 * a record write, so dmr_lock, under which the control operations read
 * groups, is never held while one stalls. Member states change only
 * through dmr_member_set_state() (member.c), under both.
 */
#include <kunit/visibility.h>
#include <linux/bitmap.h>
#include <linux/device-mapper.h>
#include <linux/jiffies.h>
#include <linux/kdev_t.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/workqueue.h>

#include "barrier.h"
#include "clone.h"
#include "compat.h"
#include "cow.h"
#include "dm-replica.h"
#include "group.h"
#include "job.h"
#include "member.h"
#include "metadata.h"
#include "pool.h"
#include "request.h"
#include "restore.h"
#include "source.h"

struct dmr_group;

/*
 * struct dmr_origin - one source as the groups of one pool see it: the
 * copies its snapshots share, and the live source that feeds them.
 * @list:        in dmr_origins; dmr_lock.
 * @uuid:        the source's dm UUID, its identity.
 * @id:          its origin id in the pool's owner table.
 * @sectors:     its size when its first snapshot was taken.
 * @src:         the live source, or NULL; dmr_lock. Its writes go
 *               through @cow once a snapshot of it has been started.
 * @bdev:        our own reference to the source's device, once known, so
 *               that replica reads and copies in flight never see it go.
 * @nr_members:  members of groups using it; dmr_lock. The last one to go
 *               switches the source off and frees it.
 */
struct dmr_origin {
	struct list_head list;
	struct dmr_pool *pool;
	char uuid[DMR_UUID_LEN];
	u16 id;
	sector_t sectors;
	struct dmr_cow *cow;
	struct dmr_source *src;
	struct dmr_bdev_ref bdev;
	unsigned int nr_members;
};

/*
 * struct dmr_member - one source of a group and its replica
 * @org:         the source in this pool, shared with its other snapshots.
 * @snap:        the member's snapshot in @org's cow.
 * @nr_replicas: replica targets using the member; dmr_lock.
 */
struct dmr_member {
	struct dmr_group *group;
	unsigned int index;
	struct dmr_origin *org;
	struct dmr_snap *snap;
	unsigned int nr_replicas;
};

/*
 * struct dmr_group - a group
 * @list:     in dmr_groups; dmr_lock. A group stays listed until its slot
 *            is free on disk, so that no creation takes the slot before.
 * @rec:      the metadata record: changed under rec_lock and state_lock,
 *            read under either.
 * @ready:    the point in time is taken (creation job done) and no resync
 *            runs: replica devices, delete and resync may use the group;
 *            dmr_lock.
 * @dying:    being deleted or undone: invisible to lookups; dmr_lock. A
 *            creation undone whose slot could not be erased stays listed
 *            and dying, with its snapshots, until the pool is loaded again
 *            (dmr_group_abort()).
 */
struct dmr_group {
	struct list_head list;
	struct dmr_pool *pool;
	unsigned int slot;
	struct mutex rec_lock;	/* serialises record changes and writes */
	spinlock_t state_lock;	/* guards @rec for readers; inside rec_lock */
	struct dmr_group_rec rec;
	bool ready;
	bool dying;
	unsigned int nr_members;
	struct dmr_member members[DM_REPLICA_MAX_MEMBERS];

	/* Creation */
	struct work_struct create_work;
	struct dmr_job *job;
	struct dmr_create_params params;
	/* The job whose cancellation stops the barrier running now. */
	struct dmr_job *barrier_job;
	/*
	 * The snapshots of a point in time a resync could neither record
	 * nor undo on disk (see dmr_group_resync()): kept until the group
	 * is freed, an array of nr_members.
	 */
	struct dmr_snap **orphans;

	/*
	 * A clone group's background copy while it runs, and the job it
	 * reports to (the creation's, or one made when a load resumes the
	 * copy). Set before the copy starts, cleared only once it is
	 * stopped (dmr_group_copy_stop()).
	 */
	struct dmr_clone *clone;
	struct dmr_job *copy_job;

	/*
	 * Restore From Replica while it runs (the group is not ready): the
	 * sources' dm devices, held open exclusively, and its job.
	 */
	struct work_struct restore_work;
	struct dmr_job *restore_job;
	struct dmr_bdev_ref restore_to[DM_REPLICA_MAX_MEMBERS];
	/*
	 * A Detach asked to wait for the copy: the copy's job (a reference)
	 * until its work has waited for it to end.
	 */
	struct dmr_job *detach_copy;
};

static LIST_HEAD(dmr_groups);
static LIST_HEAD(dmr_origins);
static u32 dmr_next_group_id = 1;
static struct workqueue_struct *dmr_group_wq;
/*
 * Restore From Replica and Detach, which run long. Not dmr_group_wq,
 * whose rescuer would run creations behind them under memory pressure.
 * Our own rather than a system one, so that dmr_group_exit() waits for
 * them: see dmr_group_long_queue().
 */
static struct workqueue_struct *dmr_long_wq;

/* A live group by id; dying ones are gone for every caller. dmr_lock held. */
static struct dmr_group *dmr_group_find(u32 id)
{
	struct dmr_group *g;

	lockdep_assert_held(&dmr_lock);
	list_for_each_entry(g, &dmr_groups, list)
		if (g->rec.id == id && !g->dying)
			return g;
	return NULL;
}

/* Is @id taken by any group, dying or not? dmr_lock held. */
static bool dmr_group_id_used(u32 id)
{
	struct dmr_group *g;

	list_for_each_entry(g, &dmr_groups, list)
		if (g->rec.id == id)
			return true;
	return false;
}

static u32 dmr_group_new_id(void)
{
	while (!dmr_next_group_id || dmr_group_id_used(dmr_next_group_id))
		dmr_next_group_id++;
	return dmr_next_group_id++;
}

/* The pool's group slots, fixed when it was formatted. */
static unsigned int dmr_pool_slots(struct dmr_pool *pool)
{
	return dmr_md_geo(dmr_pool_md(pool))->max_groups;
}

static unsigned int dmr_groups_count(struct dmr_pool *pool)
{
	struct dmr_group *g;
	unsigned int n = 0;

	lockdep_assert_held(&dmr_lock);
	list_for_each_entry(g, &dmr_groups, list)
		n += g->pool == pool;
	return n;
}

/* The group's CopyState: the members' common one, or Mixed. rec_lock or state_lock. */
static u16 __dmr_group_copy_state(struct dmr_group *g)
{
	u16 s = g->rec.members[0].copy_state;
	unsigned int i;

	for (i = 1; i < g->nr_members; i++)
		if (g->rec.members[i].copy_state != s)
			return DM_REPLICA_COPY_MIXED;
	return s;
}

static int dmr_group_write(struct dmr_group *g)
{
	struct dmr_group_rec *copy;
	unsigned int noio;
	int r;

	lockdep_assert_held(&g->rec_lock);
	/*
	 * Once the slot is written free, no late change (a member breaking
	 * while its deletion waits for the last copies) may write the group
	 * back: it would come back at the next load, over a slot a new
	 * group may have taken.
	 */
	if (g->rec.state == DMR_SLOT_FREE)
		return 0;
	/* A copy is written, so that readers need not wait for the write. */
	noio = memalloc_noio_save();
	copy = kvmalloc(sizeof(*copy), GFP_KERNEL);
	memalloc_noio_restore(noio);
	if (!copy)
		return -ENOMEM;
	spin_lock(&g->state_lock);
	g->rec.copy_state = __dmr_group_copy_state(g);
	memcpy(copy, &g->rec, sizeof(*copy));
	spin_unlock(&g->state_lock);
	r = dmr_md_group_write(dmr_pool_md(g->pool), g->slot, copy);
	if (!r) {
		spin_lock(&g->state_lock);
		g->rec.seq = copy->seq;
		spin_unlock(&g->state_lock);
	}
	kvfree(copy);
	return r;
}

/*
 * Group @g is dissolved (DMR_GROUP_DISSOLVED): at Dissolve, once the flag
 * is durable, and at load, for a record that has it. Its clones are no
 * longer replicas of their sources: whatever follows a source's changes
 * for the group (change tracking, for an incremental resync) stops here
 * and lets go what it holds. dmr_lock held; no operation runs on @g (it
 * is not ready, or its pool is being loaded). May sleep.
 */
static void dmr_group_dissolved(struct dmr_group *g)
{
	unsigned int i;

	lockdep_assert_held(&dmr_lock);
	/* No Resync will read the change maps: their chunks go back. */
	for (i = 0; i < g->nr_members; i++)
		dmr_snap_untrack(g->members[i].snap);
	DMINFO("group %u is dissolved: its clones are no longer replicas of their sources",
	       g->rec.id);
}

/*
 * Make member @m Broken with @reason and persist it. rec_lock held. The
 * group keeps the first member's reason as its own. Returns the record
 * write's result (the state in memory is Broken either way).
 */
static int __dmr_member_break(struct dmr_member *m, const char *reason)
{
	struct dmr_group *g = m->group;
	struct dmr_member_rec *mr = &g->rec.members[m->index];

	lockdep_assert_held(&g->rec_lock);
	spin_lock(&g->state_lock);
	if (dmr_member_set_state(mr, DM_REPLICA_COPY_BROKEN, reason)) {
		spin_unlock(&g->state_lock);
		return 0;	/* already Broken */
	}
	if (!g->rec.broken_reason[0])
		snprintf(g->rec.broken_reason, sizeof(g->rec.broken_reason),
			 "%.40s_%u (%.30s): %s", g->rec.relationship_name, m->index + 1,
			 mr->source_name, reason);
	spin_unlock(&g->state_lock);
	DMERR("group %u: replica %s_%u broken: %s", g->rec.id, g->rec.relationship_name,
	      m->index + 1, reason);
	return dmr_group_write(g);
}

/*
 * The cow of a member's source failed: record it. The cow holds the
 * source writes that needed a copy until every snapshot's owner has
 * returned from here, so nothing here may wait for writeback of those
 * very writes: the record is written in a noio scope.
 */
static void dmr_member_broken(struct dmr_snap *snap, void *ctx, const char *reason)
{
	struct dmr_member *m = ctx;
	struct dmr_group *g = m->group;
	unsigned int noio = memalloc_noio_save();
	int r;

	mutex_lock(&g->rec_lock);
	r = __dmr_member_break(m, reason);
	mutex_unlock(&g->rec_lock);
	memalloc_noio_restore(noio);
	if (r)
		DMERR("group %u: cannot record that a replica is broken: %d", g->rec.id, r);
}

/*
 * The change map of a clone member can no longer be trusted: say so in
 * the record, so that a load does not trust it either. rec_lock held.
 */
static int __dmr_member_lose_changes(struct dmr_member *m)
{
	struct dmr_group *g = m->group;

	lockdep_assert_held(&g->rec_lock);
	dmr_snap_changes_lost(m->snap);
	if (g->rec.changes_lost & BIT_ULL(m->index))
		return 0;
	spin_lock(&g->state_lock);
	g->rec.changes_lost |= BIT_ULL(m->index);
	spin_unlock(&g->state_lock);
	DMWARN("group %u: replica %s_%u: changes unknown, its next resync copies every chunk",
	       g->rec.id, g->rec.relationship_name, m->index + 1);
	return dmr_group_write(g);
}

/* A map write failed (the cow's map worker): as for dmr_member_broken(). */
static void dmr_member_changes_lost(struct dmr_snap *snap, void *ctx)
{
	struct dmr_member *m = ctx;
	struct dmr_group *g = m->group;
	unsigned int noio = memalloc_noio_save();
	int r;

	mutex_lock(&g->rec_lock);
	r = __dmr_member_lose_changes(m);
	mutex_unlock(&g->rec_lock);
	memalloc_noio_restore(noio);
	if (r)
		DMERR("group %u: cannot record that a change map is lost: %d", g->rec.id, r);
}

static const struct dmr_cow_owner_ops dmr_member_ops = {
	.broken = dmr_member_broken,
	.changes_lost = dmr_member_changes_lost,
};

/* The origin of the source @uuid in @pool, or NULL. dmr_lock held. */
static struct dmr_origin *dmr_origin_find(struct dmr_pool *pool, const char *uuid)
{
	struct dmr_origin *org;

	lockdep_assert_held(&dmr_lock);
	list_for_each_entry(org, &dmr_origins, list)
		if (org->pool == pool && !strcmp(org->uuid, uuid))
			return org;
	return NULL;
}

static struct dmr_origin *dmr_origin_find_id(struct dmr_pool *pool, u16 id)
{
	struct dmr_origin *org;

	lockdep_assert_held(&dmr_lock);
	list_for_each_entry(org, &dmr_origins, list)
		if (org->pool == pool && org->id == id)
			return org;
	return NULL;
}

/* The lowest origin id @pool does not use, or 0. dmr_lock held. */
static u16 dmr_origin_new_id(struct dmr_pool *pool)
{
	struct dmr_origin *org;
	unsigned long *used;
	unsigned long id;

	used = bitmap_zalloc(DMR_MAX_ORIGINS + 1, GFP_KERNEL);
	if (!used)
		return 0;
	list_for_each_entry(org, &dmr_origins, list)
		if (org->pool == pool)
			__set_bit(org->id, used);
	id = find_next_zero_bit(used, DMR_MAX_ORIGINS + 1, 1);
	bitmap_free(used);
	return id <= DMR_MAX_ORIGINS ? id : 0;
}

/*
 * A member's reference to the origin of source @uuid in @pool, made if
 * there is none: with a new id, or with @id (from a record) when loading.
 * dmr_lock held.
 */
static struct dmr_origin *dmr_origin_get(struct dmr_pool *pool, const char *uuid, u16 id,
					 sector_t sectors, char **error)
{
	struct dmr_origin *org = dmr_origin_find(pool, uuid);

	if (org) {
		if (id && org->id != id) {
			*error = "Pool group records give one source two origin ids";
			return ERR_PTR(-EILSEQ);
		}
		org->nr_members++;
		return org;
	}
	if (id && dmr_origin_find_id(pool, id)) {
		*error = "Pool group records give two sources one origin id";
		return ERR_PTR(-EILSEQ);
	}
	if (!id)
		id = dmr_origin_new_id(pool);
	if (!id) {
		*error = "TargetPool: no origin id left";
		return ERR_PTR(-ENOSPC);
	}
	org = kzalloc(sizeof(*org), GFP_KERNEL);
	if (!org)
		goto nomem;
	org->cow = dmr_cow_create(pool, id, sectors);
	if (!org->cow) {
		kfree(org);
		goto nomem;
	}
	org->pool = pool;
	org->id = id;
	org->sectors = sectors;
	strscpy(org->uuid, uuid, sizeof(org->uuid));
	org->nr_members = 1;
	list_add_tail(&org->list, &dmr_origins);
	return org;
nomem:
	*error = "out of memory";
	return ERR_PTR(-ENOMEM);
}

/* Attach a live source to an origin. dmr_lock held; the source has no
 * write that could race (a new device) or the caller holds them.
 */
static int dmr_origin_attach(struct dmr_origin *org, struct dmr_source *src)
{
	int r;

	if (org->src == src)
		return 0;
	if (!org->bdev.bdev) {
		r = dmr_bdev_open(dmr_source_origin(src), &org->bdev);
		if (r)
			return r;
	}
	dmr_source_get(src);
	org->src = src;
	dmr_source_set_member(src, org, dmr_pool_chunk_sectors(org->pool));
	return 0;
}

/* Switch the source off the cow and let it go. dmr_lock held. */
static void dmr_origin_detach(struct dmr_origin *org)
{
	struct dmr_source *src = org->src;

	if (!src)
		return;
	dmr_source_attach(src, NULL);
	dmr_cow_detached(org->cow);
	dmr_source_set_member(src, NULL, 0);
	org->src = NULL;
	dmr_source_put(src);
}

/*
 * Drop a member's reference. dmr_lock held. The last one takes the origin
 * off the list and switches its source off (which waits for no I/O), and
 * returns it, for dmr_origin_free() to free.
 */
static struct dmr_origin *dmr_origin_put(struct dmr_origin *org)
{
	lockdep_assert_held(&dmr_lock);
	if (--org->nr_members)
		return NULL;
	list_del(&org->list);
	dmr_origin_detach(org);
	return org;
}

/* Waits for the copies in flight; no lock held, unless none can be. */
static void dmr_origin_free(struct dmr_origin *org)
{
	if (!org)
		return;
	dmr_cow_destroy(org->cow);
	dmr_bdev_close(&org->bdev);
	kfree(org);
}

/*
 * Record every member of @org Broken with @reason (its cow is broken).
 * dmr_lock held.
 */
static void dmr_origin_break_members(struct dmr_origin *org, const char *reason)
{
	struct dmr_group *g;
	unsigned int i;

	lockdep_assert_held(&dmr_lock);
	list_for_each_entry(g, &dmr_groups, list) {
		for (i = 0; i < g->nr_members; i++) {
			if (g->members[i].org != org)
				continue;
			/*
			 * A clone whose copy ended needs nothing of its
			 * source, but no longer knows what changed there.
			 */
			if (dmr_snap_is_independent(g->members[i].snap)) {
				if (dmr_snap_tracked(g->members[i].snap))
					dmr_member_changes_lost(g->members[i].snap,
								&g->members[i]);
				continue;
			}
			mutex_lock(&g->rec_lock);
			if (__dmr_member_break(&g->members[i], reason))
				DMERR("group %u: cannot record that a replica is broken",
				      g->rec.id);
			mutex_unlock(&g->rec_lock);
		}
	}
}

/*
 * The source of @org is written without its cow: its tracked snapshots
 * no longer know what changed. dmr_lock held.
 */
static void dmr_origin_changes_lost(struct dmr_origin *org)
{
	struct dmr_group *g;
	unsigned int i;

	lockdep_assert_held(&dmr_lock);
	list_for_each_entry(g, &dmr_groups, list)
		for (i = 0; i < g->nr_members; i++)
			if (g->members[i].org == org && dmr_snap_tracked(g->members[i].snap))
				dmr_member_changes_lost(g->members[i].snap, &g->members[i]);
}

/*
 * Place the change maps of the @n tracked snapshots @snaps (of a clone
 * group, not yet started) in @pool, durably, before their point in time:
 * from then on their writes wait for their bits. On failure none stays
 * placed. May sleep.
 */
static int dmr_snaps_place_changes(struct dmr_pool *pool, struct dmr_snap **snaps,
				   unsigned int n)
{
	unsigned int i;
	int r = 0;

	for (i = 0; i < n && !r; i++)
		r = dmr_snap_place_changes(snaps[i]);
	if (!r)
		r = dmr_md_sync(dmr_pool_md(pool));
	if (r)
		for (i = 0; i < n; i++)
			dmr_snap_unplace_changes(snaps[i]);
	return r;
}

/* Let go of snapshots that were, or were to be, a point in time. */
static void dmr_snaps_drop(struct dmr_snap **snaps, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (!snaps[i])
			continue;
		dmr_snap_release(snaps[i]);
		dmr_snap_destroy(snaps[i]);
		snaps[i] = NULL;
	}
}

/*
 * Free a group whose snapshots are released or never started and which
 * is off the list: drop the origins (the last user of one waits for its
 * copies in flight) and the other references. With @locked, dmr_lock is
 * held and no copy can have run (a load that failed).
 *
 * The snapshots go first, without dmr_lock: taking one off its cow waits
 * for the cow's broken worker, which writes group records, and dmr_lock
 * is never held across I/O. The members' origin references keep the cows.
 */
static void __dmr_group_free(struct dmr_group *g, bool locked)
{
	struct dmr_origin *gone[DM_REPLICA_MAX_MEMBERS];
	struct dmr_pool *pool;
	unsigned int i;

	for (i = 0; i < g->nr_members; i++)
		dmr_snap_destroy(g->members[i].snap);
	if (g->orphans) {
		dmr_snaps_drop(g->orphans, g->nr_members);
		kfree(g->orphans);
	}
	if (!locked)
		mutex_lock(&dmr_lock);
	for (i = 0; i < g->nr_members; i++) {
		struct dmr_member *m = &g->members[i];

		gone[i] = m->org ? dmr_origin_put(m->org) : NULL;
	}
	if (!locked)
		mutex_unlock(&dmr_lock);
	for (i = 0; i < g->nr_members; i++)
		dmr_origin_free(gone[i]);
	if (g->job)
		dmr_job_put(g->job);
	if (g->copy_job)
		dmr_job_put(g->copy_job);
	if (!locked)
		mutex_lock(&dmr_lock);
	pool = dmr_pool_put(g->pool);
	if (!locked)
		mutex_unlock(&dmr_lock);
	/* A load that failed (@locked) holds the pool: never the last put. */
	if (!WARN_ON_ONCE(pool && locked))
		dmr_pool_free(pool);
	kfree(g);
	module_put(THIS_MODULE);
}

static void dmr_group_free(struct dmr_group *g)
{
	__dmr_group_free(g, false);
}

/*
 * A group in memory for @rec, its members on their sources' origins
 * (made when new). A member recorded Broken breaks its origin's cow:
 * Broken is final, and a reload does not make a replica readable.
 * dmr_lock held.
 */
static struct dmr_group *dmr_group_alloc(struct dmr_pool *pool, unsigned int slot,
					 const struct dmr_group_rec *rec, char **error)
{
	struct dmr_group *g;
	unsigned int i;

	lockdep_assert_held(&dmr_lock);
	g = kzalloc(sizeof(*g), GFP_KERNEL);
	if (!g) {
		*error = "out of memory";
		return NULL;
	}
	__module_get(THIS_MODULE);
	mutex_init(&g->rec_lock);
	spin_lock_init(&g->state_lock);
	dmr_pool_get_ref(pool);
	g->pool = pool;
	g->slot = slot;
	g->rec = *rec;
	g->nr_members = rec->nr_members;
	for (i = 0; i < g->nr_members; i++) {
		const struct dmr_member_rec *mr = &rec->members[i];
		struct dmr_cow_id id = { .slot = slot, .gen = rec->gen, .member = i };
		struct dmr_member *m = &g->members[i];
		struct dmr_origin *org;

		m->group = g;
		m->index = i;
		org = dmr_origin_get(pool, mr->source_uuid, mr->origin, mr->sectors, error);
		if (IS_ERR(org))
			goto bad;
		m->org = org;
		g->rec.members[i].origin = org->id;
		m->snap = dmr_snap_create(org->cow, &id, &dmr_member_ops, m);
		if (!m->snap) {
			*error = "out of memory";
			goto bad;
		}
		/*
		 * A clone tracks its changes from its point in time; one
		 * loaded from the pool does not know those made before.
		 */
		if (rec->sync_type == DM_REPLICA_SYNC_CLONE &&
		    dmr_snap_track(m->snap, rec->state == DMR_SLOT_LIVE)) {
			*error = "out of memory";
			goto bad;
		}
		if (mr->copy_state == DM_REPLICA_COPY_BROKEN)
			dmr_cow_mark_broken(org->cow, mr->reason);
	}
	return g;

bad:
	/* No snapshot was started: nothing waits for I/O. */
	__dmr_group_free(g, true);
	return NULL;
}

/* Write the group's slot free, durably. rec_lock held. */
static int dmr_group_erase_record(struct dmr_group *g)
{
	struct dmr_group_rec *free_rec;
	int r;

	free_rec = kzalloc(sizeof(*free_rec), GFP_NOIO);
	if (!free_rec)
		return -ENOMEM;
	free_rec->state = DMR_SLOT_FREE;
	free_rec->gen = g->rec.gen;
	free_rec->seq = g->rec.seq;
	r = dmr_md_group_write(dmr_pool_md(g->pool), g->slot, free_rec);
	if (!r) {
		spin_lock(&g->state_lock);
		g->rec.seq = free_rec->seq;
		g->rec.state = DMR_SLOT_FREE;
		spin_unlock(&g->state_lock);
	}
	kfree(free_rec);
	return r;
}

/* The background copy of a clone group (clone.c) reports here. */
static void dmr_group_copy_progress(void *ctx, u64 copied, u64 total)
{
	struct dmr_group *g = ctx;

	/* 100 is said by the job's end, once the members are Synchronized. */
	dmr_job_progress(g->copy_job, min_t(u64, div64_u64(copied * 100, total ?: 1), 99));
}

static bool dmr_group_copy_cancelled(void *ctx)
{
	struct dmr_group *g = ctx;

	return dmr_job_cancel_requested(g->copy_job);
}

/*
 * The copy is over (its thread). Done: every member becomes Synchronized
 * and the record says so; a record write that fails leaves the record
 * Unsynchronized, and the next load finds every chunk copied and ends the
 * copy at once.
 */
static void dmr_group_copy_ended(void *ctx, int err, unsigned int member)
{
	struct dmr_group *g = ctx;
	struct dmr_job *job = g->copy_job;
	char why[DM_REPLICA_MESSAGE_LEN];
	struct dmr_job_status st = {};
	bool deleted;
	unsigned int i;
	u64 fills = 0;
	int r = 0;

	if (err == -ECANCELED) {
		dmr_job_info(dmr_job_id(job), &st);
		dmr_job_end(job, dmr_job_cancel_requested(job) == DM_REPLICA_JOB_REQ_KILL ?
			    DM_REPLICA_JOB_KILLED : DM_REPLICA_JOB_TERMINATED,
			    DM_REPLICA_RET_FAILED,
			    "copy stopped at %u%%; it goes on when the pool is loaded again",
			    st.percent_complete);
		return;
	}
	mutex_lock(&g->rec_lock);
	spin_lock(&g->state_lock);
	deleted = g->rec.state == DMR_SLOT_FREE;
	for (i = 0; i < g->nr_members; i++)
		fills += dmr_snap_fills(g->members[i].snap);
	for (i = 0; !err && !deleted && i < g->nr_members; i++) {
		if (dmr_member_set_state(&g->rec.members[i], DM_REPLICA_COPY_SYNCHRONIZED,
					 NULL)) {
			err = -EIO;
			member = i;
		}
	}
	if (err)
		snprintf(why, sizeof(why), "SourceElements[%u]: %.40s: replica broken: %.60s",
			 member, g->rec.members[member].source_name,
			 g->rec.members[member].reason[0] ? g->rec.members[member].reason :
			 "the copy failed");
	spin_unlock(&g->state_lock);
	if (!err && !deleted)
		r = dmr_group_write(g);
	mutex_unlock(&g->rec_lock);

	if (deleted)
		dmr_job_end(job, DM_REPLICA_JOB_TERMINATED, DM_REPLICA_RET_FAILED,
			    "the group was deleted");
	else if (err)
		dmr_job_end(job, DM_REPLICA_JOB_EXCEPTION, DM_REPLICA_RET_FAILED, "%s", why);
	else if (r)
		dmr_job_end(job, DM_REPLICA_JOB_EXCEPTION, DM_REPLICA_RET_FAILED,
			    "TargetPool: every chunk is copied, the record cannot say so: %d", r);
	else
		dmr_job_end(job, DM_REPLICA_JOB_COMPLETED, DM_REPLICA_RET_OK,
			    "every chunk in the pool, %llu copied by this copy: Synchronized",
			    fills);
}

static const struct dmr_clone_ops dmr_group_copy_ops = {
	.progress = dmr_group_copy_progress,
	.ended = dmr_group_copy_ended,
	.cancelled = dmr_group_copy_cancelled,
};

/*
 * Start the background copy of clone group @g, reporting to @job (the
 * group takes a reference). dmr_lock held, with the group not yet ready
 * or being loaded: no copy runs, and no deletion can stop it before
 * @g->clone is set.
 */
static int dmr_group_copy_start(struct dmr_group *g, struct dmr_job *job)
{
	struct dmr_clone_params p = {
		.rate_kib = g->rec.copy_rate_kib,
		.priority = g->rec.copy_priority ?: DM_REPLICA_COPY_PRIORITY_SAME,
	};
	struct dmr_snap *snaps[DM_REPLICA_MAX_MEMBERS];
	struct dmr_clone *c;
	unsigned int i;

	for (i = 0; i < g->nr_members; i++)
		snaps[i] = g->members[i].snap;
	dmr_job_get_ref(job);
	g->copy_job = job;
	c = dmr_clone_start(snaps, g->nr_members, g->rec.id, &p, &dmr_group_copy_ops, g);
	if (IS_ERR(c)) {
		g->copy_job = NULL;
		dmr_job_put(job);
		return PTR_ERR(c);
	}
	g->clone = c;
	return 0;
}

/*
 * A loaded clone group whose copy had not ended: it goes on, under a new
 * job that the group's record names from now on (the old one is gone
 * with the machine). The copy finds what was copied held in the pool.
 * dmr_lock held.
 */
static void dmr_group_copy_resume(struct dmr_group *g)
{
	struct dmr_job *job = dmr_job_new(DM_REPLICA_CMD_CREATE_GROUP);
	int r = -ENOMEM;

	if (job) {
		dmr_job_set_group(job, g->rec.id);
		dmr_job_start(job);
		dmr_job_set_copy_state(job, DM_REPLICA_COPY_UNSYNCHRONIZED);
		mutex_lock(&g->rec_lock);
		spin_lock(&g->state_lock);
		g->rec.job_id = dmr_job_id(job);
		spin_unlock(&g->state_lock);
		mutex_unlock(&g->rec_lock);
		r = dmr_group_copy_start(g, job);
		if (r)
			dmr_job_end(job, DM_REPLICA_JOB_EXCEPTION, DM_REPLICA_RET_FAILED,
				    "the copy cannot start: %d", r);
		dmr_job_put(job);
	}
	if (r)
		DMERR("group %u: the background copy cannot go on (%d): it stays Unsynchronized",
		      g->rec.id, r);
	else
		DMINFO("group %u: the background copy goes on", g->rec.id);
}

/*
 * Stop the background copy of @g, if one runs, and end its job with
 * @why if the copy had not. No lock held: the copy's end takes rec_lock.
 */
static void dmr_group_copy_stop(struct dmr_group *g, const char *why)
{
	if (!g->clone)
		return;
	dmr_clone_stop(g->clone);
	g->clone = NULL;
	if (!dmr_job_ended(g->copy_job))
		dmr_job_end(g->copy_job, DM_REPLICA_JOB_TERMINATED, DM_REPLICA_RET_FAILED, "%s",
			    why);
}

/*
 * End a group that is marked dying: its snapshots leave their cows, which
 * gives back their private chunks and the copies only they needed (every
 * entry of this generation is stale once the slot is free on disk, and
 * is cleared in the next commit anyway); then it leaves the list and is
 * freed, and a source none of whose snapshots is left goes back to
 * pass-through. No lock held.
 */
static void dmr_group_end(struct dmr_group *g)
{
	unsigned int i;

	dmr_group_copy_stop(g, "the group was deleted");
	for (i = 0; i < g->nr_members; i++)
		dmr_snap_release(g->members[i].snap);
	/*
	 * Write the cleared entries now rather than with some later copy:
	 * their owner blocks leave memory once written, and the table on
	 * disk says what the allocator says. A failure fails the pool's
	 * metadata (logged there); the deletion goes on either way.
	 */
	dmr_md_sync(dmr_pool_md(g->pool));
	mutex_lock(&dmr_lock);
	list_del(&g->list);
	mutex_unlock(&dmr_lock);
	dmr_group_free(g);
}

/*
 * Undo a creation that did not reach a live record: free the slot, then
 * the snapshots and their chunks. When the slot cannot be erased, the
 * group is kept as it is (see below); a slot left "creating" on disk is
 * freed at the next load. Called without dmr_lock, on a group not yet
 * ready (no other operation touches it).
 */
static void dmr_group_abort(struct dmr_group *g)
{
	int r;

	mutex_lock(&dmr_lock);
	g->dying = true;
	mutex_unlock(&dmr_lock);

	mutex_lock(&g->rec_lock);
	r = dmr_group_erase_record(g);
	mutex_unlock(&g->rec_lock);
	if (r) {
		/*
		 * A live record whose write failed may still have reached the
		 * disk: the snapshots and their copies are kept (the group
		 * stays listed, dying, its slot taken) until the pool is
		 * loaded again and the record on disk decides.
		 */
		DMERR("group %u: cannot free its slot (%d): kept until the pool is loaded again",
		      g->rec.id, r);
		return;
	}
	dmr_group_end(g);
}

/*
 * Re-attach the live source @src to origin @org of a loaded pool, or make
 * its members Broken when their points in time cannot be vouched for.
 * dmr_lock held; @src is new or the caller made sure no write of it raced.
 */
static void dmr_origin_reattach(struct dmr_origin *org, struct dmr_source *src)
{
	char reason[DM_REPLICA_MESSAGE_LEN];
	int r;

	reason[0] = 0;
	if (dmr_source_sectors(src) != org->sectors) {
		/* Its writes since were not copied: the replicas are lost. */
		snprintf(reason, sizeof(reason),
			 "source %.40s came back with %llu sectors, the group has %llu",
			 dmr_source_name(src), (u64)dmr_source_sectors(src), (u64)org->sectors);
	} else {
		r = dmr_origin_attach(org, src);
		if (r) {
			DMERR("cannot open the device of source %s: %d", dmr_source_name(src), r);
			return;
		}
		/*
		 * A broken cow stays off the source: it passes writes
		 * through, which its independent clones do not see.
		 */
		if (dmr_cow_is_broken(org->cow) || !dmr_cow_has_snaps(org->cow)) {
			dmr_origin_changes_lost(org);
			return;
		}
		if (!dmr_source_attach_unwritten(src, dmr_cow_engine(org->cow)))
			return;
		snprintf(reason, sizeof(reason),
			 "source %.40s was written before its pool was loaded",
			 dmr_source_name(src));
	}

	/* Break the cow first: no replica read may see the source now. */
	dmr_cow_mark_broken(org->cow, reason);
	dmr_origin_break_members(org, reason);
}

/*
 * A group record of this pool is in use by another loaded pool's group:
 * give the loaded one a new id, durably. Replica tables name the pool as
 * well as the id, so an old table can never reach the other group.
 */
static int dmr_group_renumber(struct dmr_pool *pool, unsigned int slot,
			      struct dmr_group_rec *rec)
{
	u32 old = rec->id;
	int r;

	rec->id = dmr_group_new_id();
	r = dmr_md_group_write(dmr_pool_md(pool), slot, rec);
	if (!r)
		DMWARN("group %u of this pool is now group %u: its id is in use by another pool",
		       old, rec->id);
	return r;
}

static int dmr_groups_load(struct dmr_pool *pool, char **error)
{
	struct dmr_origin *org, *otmp;
	unsigned int slot, i, slots = dmr_pool_slots(pool);
	struct dmr_group *g, *tmp, **by_slot;
	struct dmr_group_rec *rec;
	struct dmr_owner o;
	u64 chunk;
	int r = 0;

	lockdep_assert_held(&dmr_lock);
	rec = kvmalloc(sizeof(*rec), GFP_KERNEL);
	/* The owner scan finds each entry's group here, not in the list. */
	by_slot = kvcalloc(slots, sizeof(*by_slot), GFP_KERNEL);
	if (!rec || !by_slot) {
		kvfree(by_slot);
		kvfree(rec);
		*error = "Out of memory loading the pool's groups";
		return -ENOMEM;
	}

	for (slot = 0; slot < slots; slot++) {
		r = dmr_md_group_read(dmr_pool_md(pool), slot, rec);
		if (r) {
			*error = "Pool group record unreadable or corrupt";
			goto out;
		}
		if (rec->state == DMR_SLOT_FREE)
			continue;
		if (rec->state == DMR_SLOT_CREATING) {
			/* Its creation never reached a live record: undo it. */
			rec->state = DMR_SLOT_FREE;
			r = dmr_md_group_write(dmr_pool_md(pool), slot, rec);
			if (r) {
				*error = "Cannot free the slot of an unfinished group";
				goto out;
			}
			continue;
		}
		if (dmr_group_id_used(rec->id) || !rec->id) {
			r = dmr_group_renumber(pool, slot, rec);
			if (r) {
				*error = "Cannot renumber a group whose id is in use";
				goto out;
			}
		}
		g = dmr_group_alloc(pool, slot, rec, error);
		if (!g) {
			r = -EILSEQ;
			goto out;
		}
		g->ready = true;
		list_add_tail(&g->list, &dmr_groups);
		by_slot[slot] = g;
		if (rec->flags & DMR_GROUP_RESTORING)
			DMWARN("group %u: a restore did not complete: sources partly restored",
			       rec->id);
		dmr_next_group_id = max(dmr_next_group_id, rec->id + 1);
		for (i = 0; i < g->nr_members; i++) {
			r = dmr_snap_load(g->members[i].snap, rec->members[i].epoch);
			if (r) {
				DMERR("group %u member %u: epoch %u: %d", g->rec.id, i,
				      rec->members[i].epoch, r);
				*error = "Pool records give a source two snapshots of one epoch";
				goto out;
			}
		}
	}

	/*
	 * Rebuild every snapshot's private chunks, every source's copies and
	 * the allocator from the owner table. Only an entry of a slot that
	 * is free, or of an older generation of it, or of an origin no group
	 * uses, is stale (left by a deletion) and freed; anything else that
	 * does not fit fails the load rather than lose a copy.
	 */
	for (chunk = 0; dmr_md_next_owner(dmr_pool_md(pool), &chunk, &o); chunk++) {
		if (o.slot) {
			g = o.slot <= slots ? by_slot[o.slot - 1] : NULL;
			if (!g || g->rec.gen != o.gen) {
				dmr_md_clear_owner(dmr_pool_md(pool), chunk);
				continue;
			}
			if (o.member >= g->nr_members) {
				DMERR("pool chunk %llu: member %u of group %u, which has %u",
				      chunk, o.member, g->rec.id, g->nr_members);
				*error = "Pool owner table names a member the group does not have";
				r = -EILSEQ;
				goto out;
			}
			if (dmr_changes_is_map(o.src_chunk))
				r = dmr_snap_load_change_chunk(g->members[o.member].snap,
							       o.src_chunk, chunk);
			else
				r = dmr_snap_load_private(g->members[o.member].snap, o.src_chunk,
							  chunk);
		} else if (o.origin) {
			/*
			 * Seen even when stale: should the clear not reach the
			 * disk before a crash, a later source given this origin
			 * id must have only newer epochs, so that the copy
			 * serves none of its snapshots and is freed at load.
			 */
			dmr_pool_seen_epoch(pool, o.hi);
			org = dmr_origin_find_id(pool, o.origin);
			if (!org) {
				dmr_md_clear_owner(dmr_pool_md(pool), chunk);
				continue;
			}
			r = dmr_cow_load_copy(org->cow, o.src_chunk, o.hi, chunk);
		} else {
			continue;
		}
		if (r) {
			DMERR("pool chunk %llu: source chunk %llu cannot be loaded: %d",
			      chunk, o.src_chunk, r);
			*error = r == -ENOMEM ? "Out of memory loading the owner table" :
				"Pool owner table is inconsistent (chunk out of range or twice)";
			goto out;
		}
		r = dmr_pool_mark_chunk(pool, chunk);
		if (r) {
			*error = "Pool owner table is inconsistent";
			goto out;
		}
	}

	list_for_each_entry(org, &dmr_origins, list) {
		u64 n;

		if (org->pool != pool)
			continue;
		/* Copies a deletion had no time to free. */
		n = dmr_cow_load_done(org->cow);
		if (n)
			DMINFO("source %u: %llu copies no snapshot needs were freed", org->id, n);
		dmr_pool_seen_epoch(pool, dmr_cow_max_epoch(org->cow));
	}

	/*
	 * A clone whose copy had ended has every chunk of its own: it needs
	 * nothing of its source, and what breaks the source's snapshots
	 * below leaves it alone.
	 */
	list_for_each_entry(g, &dmr_groups, list) {
		if (g->pool != pool || g->rec.sync_type != DM_REPLICA_SYNC_CLONE)
			continue;
		for (i = 0; i < g->nr_members; i++)
			if (g->rec.members[i].copy_state == DM_REPLICA_COPY_SYNCHRONIZED &&
			    !dmr_snap_make_independent(g->members[i].snap))
				DMWARN("group %u member %u: Synchronized, some chunks not its own",
				       g->rec.id, i);
	}

	/*
	 * The clones' change maps, read back before any source write can
	 * reach them. One that was lost, or is not all there (a pool of
	 * format 4, or a crash in a creation's last steps), is unknown.
	 */
	list_for_each_entry(g, &dmr_groups, list) {
		if (g->pool != pool || g->rec.sync_type != DM_REPLICA_SYNC_CLONE)
			continue;
		/* A dissolved group's maps are let go (their chunks found above). */
		if (g->rec.flags & DMR_GROUP_DISSOLVED) {
			dmr_group_dissolved(g);
			continue;
		}
		for (i = 0; i < g->nr_members; i++) {
			int e = dmr_snap_load_changes(g->members[i].snap,
						      g->rec.changes_lost & BIT_ULL(i));

			if (e)
				DMWARN("group %u member %u: change map not read: %d",
				       g->rec.id, i, e);
		}
	}

	/*
	 * A member recorded Broken broke its source's cow: the source's other
	 * snapshots in the pool are Broken too (they shared its copies).
	 */
	list_for_each_entry(org, &dmr_origins, list) {
		char reason[DM_REPLICA_MESSAGE_LEN];

		if (org->pool != pool || !dmr_cow_is_broken(org->cow))
			continue;
		dmr_cow_reason(org->cow, reason, sizeof(reason));
		dmr_origin_break_members(org, reason);
	}

	/* Sources already present get their snapshots back. */
	list_for_each_entry(org, &dmr_origins, list) {
		struct dmr_source *src;
		char reason[DM_REPLICA_MESSAGE_LEN];

		if (org->pool != pool || org->src)
			continue;
		src = dmr_source_find_uuid(org->uuid);
		if (!src)
			continue;
		if (!dmr_source_member(src)) {
			dmr_origin_reattach(org, src);
			continue;
		}
		/* Its writes went on under another pool's snapshots, uncopied. */
		snprintf(reason, sizeof(reason), "source %.40s is in a group of another pool",
			 dmr_source_name(src));
		dmr_cow_mark_broken(org->cow, reason);
		dmr_origin_break_members(org, reason);
	}

	/* Clones whose copy had not ended go on with it, under a new job. */
	list_for_each_entry(g, &dmr_groups, list) {
		if (g->pool == pool && g->rec.sync_type == DM_REPLICA_SYNC_CLONE &&
		    __dmr_group_copy_state(g) == DM_REPLICA_COPY_UNSYNCHRONIZED)
			dmr_group_copy_resume(g);
	}
out:
	dmr_md_loaded_release(dmr_pool_md(pool));
	if (r) {
		LIST_HEAD(undo);

		list_for_each_entry_safe(g, tmp, &dmr_groups, list) {
			if (g->pool != pool)
				continue;
			list_move(&g->list, &undo);
		}
		list_for_each_entry_safe(org, otmp, &dmr_origins, list)
			if (org->pool == pool)
				dmr_origin_detach(org);
		/*
		 * No copy ever ran, so nothing here waits for a device; and
		 * dmr_lock stays held, so that no one finds the pool half
		 * loaded.
		 */
		list_for_each_entry_safe(g, tmp, &undo, list)
			__dmr_group_free(g, true);
	}
	kvfree(by_slot);
	kvfree(rec);
	return r;
}

static void dmr_groups_source_added(struct dmr_source *src)
{
	struct dmr_origin *org;

	lockdep_assert_held(&dmr_lock);
	if (dmr_source_begin(src) || dmr_source_member(src) || !*dmr_source_uuid(src))
		return;
	list_for_each_entry(org, &dmr_origins, list) {
		if (org->src || strcmp(org->uuid, dmr_source_uuid(src)))
			continue;
		dmr_origin_reattach(org, src);
		return;
	}
}

static void dmr_groups_source_removed(struct dmr_source *src)
{
	struct dmr_origin *org;

	lockdep_assert_held(&dmr_lock);
	org = dmr_source_member(src);
	if (org)
		dmr_origin_detach(org);
}

struct dmr_member *dmr_member_get(dev_t pool_devt, u32 group_id, unsigned int n,
				  char **error)
{
	struct dmr_member *m = NULL;
	struct dmr_group *g;

	mutex_lock(&dmr_lock);
	g = dmr_group_find(group_id);
	if (!g || dmr_pool_devt(g->pool) != pool_devt) {
		*error = "No such group in this pool";
	} else if (!g->ready) {
		*error = "Group is being created or resynchronized";
	} else if (!n || n > g->nr_members) {
		*error = "No such member in the group";
	} else if (!g->members[n - 1].org->bdev.bdev &&
		   !dmr_snap_is_independent(g->members[n - 1].snap)) {
		/* A clone whose copy ended needs no source. */
		*error = "The member's source device is not present";
	} else {
		m = &g->members[n - 1];
		m->nr_replicas++;
	}
	mutex_unlock(&dmr_lock);
	return m;
}

void dmr_member_put(struct dmr_member *m)
{
	mutex_lock(&dmr_lock);
	m->nr_replicas--;
	mutex_unlock(&dmr_lock);
}

struct dmr_rep_engine *dmr_member_engine(struct dmr_member *m)
{
	return dmr_snap_engine(m->snap);
}

dev_t dmr_member_origin(struct dmr_member *m)
{
	return m->org->bdev.bdev ? m->org->bdev.bdev->bd_dev : 0;
}

sector_t dmr_member_sectors(struct dmr_member *m)
{
	return m->group->rec.members[m->index].sectors;
}

u32 dmr_member_chunk_sectors(struct dmr_member *m)
{
	return dmr_pool_chunk_sectors(m->group->pool);
}

u16 dmr_member_copy_state(struct dmr_member *m)
{
	u16 s;

	spin_lock(&m->group->state_lock);
	s = m->group->rec.members[m->index].copy_state;
	spin_unlock(&m->group->state_lock);
	return s;
}

static bool dmr_group_cancelled(void *ctx)
{
	struct dmr_group *g = ctx;

	return dmr_job_cancel_requested(g->barrier_job);
}

/*
 * The barrier of a creation. The members' sources are taken (with a
 * reference each) under dmr_lock, which is then dropped: the barrier waits
 * for the sources' writes, and a stalled device must not stop every other
 * dm-replica operation. A source whose device went away before is
 * reported in *@gone (-ENODEV).
 */
static int dmr_group_switch_on(struct dmr_group *g, u64 *hold_ns, u64 *instant_ns,
			       unsigned int *stuck)
{
	struct dmr_barrier_member *bm;
	unsigned int i;
	int r = 0;

	bm = kcalloc(g->nr_members, sizeof(*bm), GFP_KERNEL);
	if (!bm)
		return -ENOMEM;
	mutex_lock(&dmr_lock);
	for (i = 0; i < g->nr_members; i++) {
		struct dmr_origin *org = g->members[i].org;

		if (!org->src) {
			*stuck = i;
			r = -ENODEV;
			break;
		}
		bm[i].src = org->src;
		bm[i].src_eng = dmr_cow_engine(org->cow);
		bm[i].rep_eng = dmr_snap_engine(g->members[i].snap);
		dmr_source_get(bm[i].src);
	}
	mutex_unlock(&dmr_lock);
	if (!r)
		r = dmr_barrier_switch(bm, g->nr_members,
				       g->rec.consistency == DM_REPLICA_CONSISTENCY_SEQUENTIAL,
				       msecs_to_jiffies(g->params.barrier_timeout_ms),
				       dmr_group_cancelled, g, hold_ns, instant_ns, stuck);

	mutex_lock(&dmr_lock);
	for (i = 0; i < g->nr_members && bm[i].src; i++) {
		/* Removed while the barrier ran: the group lost a member. */
		if (!r && g->members[i].org->src != bm[i].src) {
			*stuck = i;
			r = -ENODEV;
		}
		/* Undo the switch of a source no origin holds any more. */
		if (g->members[i].org->src != bm[i].src)
			dmr_source_attach(bm[i].src, NULL);
		dmr_source_put(bm[i].src);
	}
	mutex_unlock(&dmr_lock);
	kfree(bm);
	return r;
}

/*
 * The point in time is taken: make every member Synchronized and the
 * record live. A member that broke meanwhile keeps its Broken (the
 * transition table refuses Synchronized over it) and fails the creation.
 */
static int dmr_group_make_live(struct dmr_group *g, u64 hold_ns, u64 instant_ns,
			       unsigned int *broken)
{
	/* A clone's copy starts now: it is Synchronized when that ends. */
	u16 live = g->rec.sync_type == DM_REPLICA_SYNC_CLONE ? DM_REPLICA_COPY_UNSYNCHRONIZED :
		DM_REPLICA_COPY_SYNCHRONIZED;
	unsigned int i;
	int r;

	mutex_lock(&g->rec_lock);
	spin_lock(&g->state_lock);
	for (i = 0; i < g->nr_members; i++) {
		struct dmr_snap *snap = g->members[i].snap;

		/* Its cow was broken when the barrier came: not started. */
		if (!dmr_snap_started(snap) && !g->rec.members[i].reason[0])
			dmr_cow_reason(g->members[i].org->cow, g->rec.members[i].reason,
				       sizeof(g->rec.members[i].reason));
		if (!dmr_snap_started(snap) ||
		    dmr_member_set_state(&g->rec.members[i], live, NULL)) {
			*broken = i;
			spin_unlock(&g->state_lock);
			mutex_unlock(&g->rec_lock);
			return -ESTALE;
		}
		g->rec.members[i].epoch = dmr_snap_epoch(snap);
	}
	g->rec.state = DMR_SLOT_LIVE;
	g->rec.created_ns = instant_ns;
	g->rec.barrier_hold_ns = hold_ns;
	spin_unlock(&g->state_lock);
	r = dmr_group_write(g);
	/* Not live on disk: nothing may write it live before the undo. */
	if (r) {
		spin_lock(&g->state_lock);
		g->rec.state = DMR_SLOT_CREATING;
		spin_unlock(&g->state_lock);
	}
	mutex_unlock(&g->rec_lock);
	return r;
}

/*
 * A creation, on dmr_group_wq. Once the group is undone or ready (a
 * deletion may free it then), its module reference may be gone while
 * this still ends the job: dmr_group_exit() destroys dmr_group_wq, which
 * waits for this to return, and the jobs outlive it (main.c).
 */
static void dmr_group_create_work(struct work_struct *ws)
{
	struct dmr_group *g = container_of(ws, struct dmr_group, create_work);
	struct dmr_job *job = g->job;
	u64 hold_ns = 0, instant_ns = 0;
	unsigned int stuck = 0;
	bool clone;
	u16 cancel;
	int r;

	dmr_job_get_ref(job);
	dmr_job_start(job);
	g->barrier_job = job;
	r = dmr_group_switch_on(g, &hold_ns, &instant_ns, &stuck);
	dmr_job_set_hold(job, hold_ns);
	if (r) {
		cancel = dmr_job_cancel_requested(job);
		if (r == -ECANCELED)
			dmr_job_end(job, cancel == DM_REPLICA_JOB_REQ_KILL ?
				    DM_REPLICA_JOB_KILLED : DM_REPLICA_JOB_TERMINATED,
				    DM_REPLICA_RET_FAILED, "cancelled before the point in time");
		else if (r == -ETIMEDOUT)
			dmr_job_end(job, DM_REPLICA_JOB_EXCEPTION, DM_REPLICA_RET_TIMEOUT,
				    "SourceElements[%u]: %s did not drain its writes within %u ms",
				    stuck, g->rec.members[stuck].source_name,
				    g->params.barrier_timeout_ms);
		else if (r == -ENODEV)
			dmr_job_end(job, DM_REPLICA_JOB_EXCEPTION, DM_REPLICA_RET_FAILED,
				    "SourceElements[%u]: %s was removed before the point in time",
				    stuck, g->rec.members[stuck].source_name);
		else
			dmr_job_end(job, DM_REPLICA_JOB_EXCEPTION, DM_REPLICA_RET_FAILED,
				    "barrier failed: %d", r);
		dmr_group_abort(g);
		dmr_job_put(job);
		return;
	}

	r = dmr_group_make_live(g, hold_ns, instant_ns, &stuck);
	if (r) {
		if (r == -ESTALE)
			dmr_job_end(job, DM_REPLICA_JOB_EXCEPTION, DM_REPLICA_RET_FAILED,
				    "SourceElements[%u]: %s: replica broken during creation: %s",
				    stuck, g->rec.members[stuck].source_name,
				    g->rec.members[stuck].reason);
		else
			dmr_job_end(job, DM_REPLICA_JOB_EXCEPTION, DM_REPLICA_RET_FAILED,
				    "TargetPool: cannot record the group: %d", r);
		dmr_group_abort(g);
		dmr_job_put(job);
		return;
	}

	/*
	 * Ready, and a clone's copy started, at once: a replica device made
	 * as soon as the caller hears of the point in time must find the
	 * group ready. Once ready, a deletion may free @g: only @job, ours,
	 * is used after.
	 */
	clone = g->rec.sync_type == DM_REPLICA_SYNC_CLONE;
	mutex_lock(&dmr_lock);
	if (clone)
		r = dmr_group_copy_start(g, job);
	g->ready = true;
	mutex_unlock(&dmr_lock);
	if (!clone)
		dmr_job_end(job, DM_REPLICA_JOB_COMPLETED, DM_REPLICA_RET_OK,
			    "point in time taken, writes held %llu us",
			    div_u64(hold_ns, NSEC_PER_USEC));
	else if (r)
		dmr_job_end(job, DM_REPLICA_JOB_EXCEPTION, DM_REPLICA_RET_FAILED,
			    "point in time taken, but the copy cannot start (%d): it starts when the pool is loaded again",
			    r);
	else
		/* The job goes on with the copy, which ends it. */
		dmr_job_set_copy_state(job, DM_REPLICA_COPY_UNSYNCHRONIZED);
	dmr_job_put(job);
}

/*
 * Find a free slot of @pool: one that no listed group has (a group stays
 * listed until its slot is free on disk). dmr_lock held.
 */
static int dmr_pool_free_slot(struct dmr_pool *pool)
{
	DECLARE_BITMAP(used, DMR_MAX_GROUPS_LIMIT);
	unsigned int slot, slots = dmr_pool_slots(pool);
	struct dmr_group *g;

	lockdep_assert_held(&dmr_lock);
	bitmap_zero(used, slots);
	list_for_each_entry(g, &dmr_groups, list)
		if (g->pool == pool)
			__set_bit(g->slot, used);
	slot = find_first_zero_bit(used, slots);
	return slot < slots ? slot : -ENOSPC;
}

/* Resolve and check the sources and the pool. dmr_lock held. */
static u32 dmr_resolve(const struct dmr_create_req *req, struct dmr_source **srcs,
		       struct dmr_pool **poolp, char *msg, size_t len)
{
	u64 used, total;
	unsigned int i, j;
	dev_t devt;

	for (i = 0; i < req->nr_sources; i++) {
		const struct dmr_dev_nr *d = &req->sources[i];

		devt = MKDEV(d->major, d->minor);
		if (MAJOR(devt) != d->major || MINOR(devt) != d->minor) {
			snprintf(msg, len, "SourceElements[%u]: %u:%u is not a device number",
				 i, d->major, d->minor);
			return DM_REPLICA_RET_INVALID_PARAM;
		}
		for (j = 0; j < i; j++) {
			const struct dmr_dev_nr *e = &req->sources[j];

			if (e->major == d->major && e->minor == d->minor) {
				snprintf(msg, len,
					 "SourceElements[%u]: %u:%u is the same as SourceElements[%u]",
					 i, d->major, d->minor, j);
				return DM_REPLICA_RET_INVALID_PARAM;
			}
		}
		srcs[i] = dmr_source_find(devt);
		if (!srcs[i]) {
			snprintf(msg, len,
				 "SourceElements[%u]: %u:%u is not a replica-source device",
				 i, d->major, d->minor);
			return DM_REPLICA_RET_INVALID_PARAM;
		}
		if (dmr_source_count(devt) > 1) {
			snprintf(msg, len,
				 "SourceElements[%u]: %s has more than one target in its table",
				 i, dmr_source_name(srcs[i]));
			return DM_REPLICA_RET_INVALID_PARAM;
		}
		/* The identity a group finds its sources by after a restart. */
		if (!*dmr_source_uuid(srcs[i])) {
			snprintf(msg, len,
				 "SourceElements[%u]: %s has no dm UUID (dmsetup create --uuid)",
				 i, dmr_source_name(srcs[i]));
			return DM_REPLICA_RET_INVALID_PARAM;
		}
	}

	devt = MKDEV(req->pool.major, req->pool.minor);
	*poolp = dmr_pool_find(devt);
	if (!*poolp) {
		snprintf(msg, len, "TargetPool: %u:%u is not a replica-pool device",
			 req->pool.major, req->pool.minor);
		return DM_REPLICA_RET_INVALID_PARAM;
	}
	dmr_pool_usage(*poolp, &used, &total);
	if (total < req->nr_sources) {
		snprintf(msg, len, "TargetPool: %llu chunks, too small for %u replicas",
			 total, req->nr_sources);
		return DM_REPLICA_RET_INVALID_PARAM;
	}
	if (total - used < req->nr_sources) {
		snprintf(msg, len, "TargetPool: full (%llu of %llu chunks used)", used, total);
		return DM_REPLICA_RET_INVALID_PARAM;
	}
	for (i = 0; i < req->nr_sources; i++) {
		struct dmr_origin *org = dmr_source_member(srcs[i]);

		/*
		 * A source has snapshots in one pool: its writes go through
		 * one cow.
		 */
		if (org && org->pool != *poolp) {
			snprintf(msg, len,
				 "SourceElements[%u]: %s has replicas in pool %u:%u; its snapshots share one pool",
				 i, dmr_source_name(srcs[i]), MAJOR(dmr_pool_devt(org->pool)),
				 MINOR(dmr_pool_devt(org->pool)));
			return DM_REPLICA_RET_IN_USE;
		}
		org = dmr_origin_find(*poolp, dmr_source_uuid(srcs[i]));
		if (org && dmr_cow_is_broken(org->cow)) {
			snprintf(msg, len,
				 "SourceElements[%u]: %s has Broken replicas in this pool; delete them first",
				 i, dmr_source_name(srcs[i]));
			return DM_REPLICA_RET_IN_USE;
		}
		/* Copy-on-write into the device being written: refuse. */
		if (dmr_pool_uses_dev(*poolp, dmr_source_origin(srcs[i]))) {
			snprintf(msg, len,
				 "SourceElements[%u]: %s lies on the device of TargetPool %u:%u",
				 i, dmr_source_name(srcs[i]), req->pool.major, req->pool.minor);
			return DM_REPLICA_RET_INVALID_PARAM;
		}
	}
	if (dmr_pool_failed(*poolp)) {
		snprintf(msg, len, "TargetPool: the pool has failed");
		return DM_REPLICA_RET_FAILED;
	}
	if (dmr_pool_free_slot(*poolp) < 0) {
		snprintf(msg, len,
			 "TargetPool: already holds %u groups, the most it was formatted for",
			 dmr_pool_slots(*poolp));
		return DM_REPLICA_RET_IN_USE;
	}
	return 0;
}

u32 dmr_group_create(struct dmr_create_req *req, struct dmr_job *job, char *msg, size_t len)
{
	struct dmr_source **srcs = NULL;
	struct dmr_group_rec *rec = NULL;
	struct dmr_pool *pool = NULL;
	struct dmr_group *g = NULL;
	char *error = "";
	unsigned int i;
	int slot, r;
	u32 res;

	srcs = kcalloc(req->nr_sources, sizeof(*srcs), GFP_KERNEL);
	rec = kvzalloc(sizeof(*rec), GFP_KERNEL);
	if (!srcs || !rec) {
		res = DM_REPLICA_RET_FAILED;
		snprintf(msg, len, "out of memory");
		goto refuse;
	}

	mutex_lock(&dmr_lock);
	res = dmr_resolve(req, srcs, &pool, msg, len);
	if (res)
		goto refuse_locked;

	if (req->sync_type == DM_REPLICA_SYNC_CLONE) {
		u64 used, total, need = 0;
		u32 cs = dmr_pool_chunk_sectors(pool);

		/*
		 * A clone ends up with every chunk of its sources in the pool,
		 * and its copy leaves the pool's spare chunks alone. The space
		 * is not set aside: snapshots taken meanwhile share it, and
		 * the copy waits when they have used it.
		 */
		for (i = 0; i < req->nr_sources; i++) {
			u64 n = DIV_ROUND_UP_ULL(dmr_source_sectors(srcs[i]), cs);

			need += n + dmr_changes_pool_chunks(n, cs);
		}
		dmr_pool_usage(pool, &used, &total);
		if (need + dmr_pool_spare(pool) > total - used) {
			res = DM_REPLICA_RET_INVALID_PARAM;
			snprintf(msg, len,
				 "TargetPool: %llu chunks free, the clones need %llu and %llu spare",
				 total - used, need, dmr_pool_spare(pool));
			goto refuse_locked;
		}
	}

	slot = dmr_pool_free_slot(pool);
	r = dmr_md_group_read(dmr_pool_md(pool), slot, rec);
	if (r) {
		res = DM_REPLICA_RET_FAILED;
		snprintf(msg, len, "TargetPool: cannot read group slot %d: %d", slot, r);
		goto refuse_locked;
	}

	/* Fill in the record; names that were not given are made up. */
	rec->state = DMR_SLOT_CREATING;
	rec->gen++;
	rec->id = dmr_group_new_id();
	rec->sync_type = req->sync_type;
	/* Kept in the record: a copy resumed after a restart obeys them too. */
	rec->flags = 0;
	rec->copy_rate_kib = 0;
	rec->copy_priority = 0;
	if (req->sync_type == DM_REPLICA_SYNC_CLONE) {
		rec->copy_rate_kib = req->params.copy_rate_kib;
		rec->copy_priority = req->params.copy_priority;
	}
	rec->mode = req->params.mode;
	rec->consistency = req->params.consistency;
	rec->nr_members = req->nr_sources;
	rec->job_id = dmr_job_id(job);
	rec->broken_reason[0] = 0;
	if (!req->relationship_name[0])
		snprintf(req->relationship_name, sizeof(req->relationship_name), "replica%u",
			 rec->id);
	if (!req->source_group_name[0])
		snprintf(req->source_group_name, sizeof(req->source_group_name),
			 "%.119s_sources", req->relationship_name);
	snprintf(req->target_group, sizeof(req->target_group), "%.119s_targets",
		 req->relationship_name);
	strscpy(rec->relationship_name, req->relationship_name, sizeof(rec->relationship_name));
	strscpy(rec->source_group_name, req->source_group_name, sizeof(rec->source_group_name));
	strscpy(rec->target_group, req->target_group, sizeof(rec->target_group));
	for (i = 0; i < req->nr_sources; i++) {
		strscpy(rec->members[i].source_name, dmr_source_name(srcs[i]),
			sizeof(rec->members[i].source_name));
		strscpy(rec->members[i].source_uuid, dmr_source_uuid(srcs[i]),
			sizeof(rec->members[i].source_uuid));
		rec->members[i].reason[0] = 0;
		rec->members[i].sectors = dmr_source_sectors(srcs[i]);
		rec->members[i].copy_state = DM_REPLICA_COPY_INITIALIZED;
	}

	g = dmr_group_alloc(pool, slot, rec, &error);
	if (!g) {
		res = DM_REPLICA_RET_FAILED;
		snprintf(msg, len, "%s", error);
		goto refuse_locked;
	}
	g->params = req->params;
	for (i = 0; i < req->nr_sources; i++) {
		r = dmr_origin_attach(g->members[i].org, srcs[i]);
		if (r) {
			res = DM_REPLICA_RET_FAILED;
			snprintf(msg, len, "SourceElements[%u]: cannot open %s: %d", i,
				 dmr_source_name(srcs[i]), r);
			goto refuse_group;
		}
	}

	/*
	 * Listed, not ready: the slot, the id and the sources are taken, and
	 * no other operation uses the group, while its record is written
	 * without dmr_lock.
	 */
	list_add_tail(&g->list, &dmr_groups);
	mutex_unlock(&dmr_lock);

	if (g->rec.sync_type == DM_REPLICA_SYNC_CLONE) {
		struct dmr_snap *snaps[DM_REPLICA_MAX_MEMBERS];

		for (i = 0; i < g->nr_members; i++)
			snaps[i] = g->members[i].snap;
		r = dmr_snaps_place_changes(g->pool, snaps, g->nr_members);
		if (r) {
			res = DM_REPLICA_RET_FAILED;
			snprintf(msg, len, "TargetPool: cannot make the clones' change maps: %d",
				 r);
			mutex_lock(&dmr_lock);
			list_del(&g->list);
			goto refuse_group;
		}
	}

	mutex_lock(&g->rec_lock);
	r = dmr_group_write(g);
	mutex_unlock(&g->rec_lock);
	if (r) {
		res = DM_REPLICA_RET_FAILED;
		snprintf(msg, len, "TargetPool: cannot write the group record: %d", r);
		/* The maps' chunks go back; their entries are stale on disk anyway. */
		for (i = 0; i < g->nr_members; i++)
			dmr_snap_unplace_changes(g->members[i].snap);
		mutex_lock(&dmr_lock);
		list_del(&g->list);
		goto refuse_group;
	}

	/* The group's own reference: the caller may drop its own at once. */
	dmr_job_get_ref(job);
	g->job = job;
	dmr_job_set_group(job, g->rec.id);
	req->group_id = g->rec.id;
	req->nr_replicas = g->nr_members;
	INIT_WORK(&g->create_work, dmr_group_create_work);
	queue_work(dmr_group_wq, &g->create_work);
	kvfree(rec);
	kfree(srcs);
	return 0;

refuse_group:
	/* No snapshot started: nothing to release. */
	__dmr_group_free(g, true);
refuse_locked:
	mutex_unlock(&dmr_lock);
refuse:
	kvfree(rec);
	kfree(srcs);
	return res;
}

u32 dmr_group_ids(u32 *ids, u32 cap)
{
	struct dmr_group *g;
	u32 n = 0;

	mutex_lock(&dmr_lock);
	list_for_each_entry(g, &dmr_groups, list) {
		if (g->dying)
			continue;
		if (n < cap)
			ids[n] = g->rec.id;
		n++;
	}
	mutex_unlock(&dmr_lock);
	return n;
}

int dmr_group_info(u32 id, struct dmr_group_info *info, struct dmr_member_info *members,
		   u32 cap)
{
	struct dmr_group *g;
	unsigned int i;

	mutex_lock(&dmr_lock);
	g = dmr_group_find(id);
	if (!g) {
		mutex_unlock(&dmr_lock);
		return -ENOENT;
	}

	spin_lock(&g->state_lock);
	info->nr_members = g->nr_members;
	info->sync_type = g->rec.sync_type;
	info->mode = g->rec.mode;
	info->consistency = g->rec.consistency;
	info->copy_state = __dmr_group_copy_state(g);
	info->pool = dmr_pool_devt(g->pool);
	info->chunk_sectors = dmr_pool_chunk_sectors(g->pool);
	dmr_pool_usage(g->pool, &info->pool_used_chunks, &info->pool_total_chunks);
	info->barrier_hold_ns = g->rec.barrier_hold_ns;
	info->created_ns = g->rec.created_ns;
	info->job_id = g->rec.job_id;
	info->flags = (g->rec.flags & DMR_GROUP_RESTORING ?
		       DM_REPLICA_GROUP_RESTORE_INCOMPLETE : 0) |
		(g->rec.flags & DMR_GROUP_DISSOLVED ? DM_REPLICA_GROUP_DISSOLVED : 0);
	strscpy(info->relationship_name, g->rec.relationship_name,
		sizeof(info->relationship_name));
	strscpy(info->source_group_name, g->rec.source_group_name,
		sizeof(info->source_group_name));
	strscpy(info->target_group, g->rec.target_group, sizeof(info->target_group));
	strscpy(info->broken_reason, g->rec.broken_reason, sizeof(info->broken_reason));
	info->group_chunks = 0;
	for (i = 0; i < g->nr_members; i++) {
		struct dmr_member *m = &g->members[i];
		struct dmr_member_info *mi = &members[i];
		u64 copied = dmr_snap_copied_chunks(m->snap);

		info->group_chunks += copied;
		if (i >= cap)
			continue;
		memset(mi, 0, sizeof(*mi));
		if (m->org->src)
			mi->source = dmr_source_devt(m->org->src);
		if (m->org->bdev.bdev)
			mi->source_dev = m->org->bdev.bdev->bd_dev;
		mi->sectors = g->rec.members[i].sectors;
		mi->copy_state = g->rec.members[i].copy_state;
		mi->copied_chunks = copied;
		strscpy(mi->source_name, g->rec.members[i].source_name, sizeof(mi->source_name));
	}
	spin_unlock(&g->state_lock);
	mutex_unlock(&dmr_lock);
	return 0;
}

u32 dmr_group_delete(u32 id, struct dmr_job *job, char *msg, size_t len)
{
	struct dmr_group *g;
	unsigned int i;
	u32 res = 0;
	int r;

	mutex_lock(&dmr_lock);
	g = dmr_group_find(id);
	if (!g) {
		res = DM_REPLICA_RET_INVALID_PARAM;
		snprintf(msg, len, "Synchronization: no group %u", id);
		goto out_locked;
	}
	if (!g->ready) {
		res = DM_REPLICA_RET_IN_USE;
		snprintf(msg, len, "Synchronization: group %u is being created or resynchronized",
			 g->rec.id);
		goto out_locked;
	}
	for (i = 0; i < g->nr_members; i++) {
		if (g->members[i].nr_replicas) {
			res = DM_REPLICA_RET_IN_USE;
			snprintf(msg, len,
				 "Synchronization: replica %.60s_%u of group %u is still in use",
				 g->rec.relationship_name, i + 1, g->rec.id);
			goto out_locked;
		}
	}

	/*
	 * From here the group is invisible to every other operation. The
	 * slot is written free first: if that fails, nothing has changed.
	 * Then its snapshots leave their cows, with no group-wide hold: a
	 * write already in a cow still gets its copy, which is freed at once
	 * if no snapshot needs it any more; a source with no snapshot left
	 * goes back to pass-through. Nothing below holds dmr_lock across
	 * I/O, so a member whose device stalls delays this deletion only.
	 */
	g->dying = true;
	mutex_unlock(&dmr_lock);
	dmr_job_start(job);

	mutex_lock(&g->rec_lock);
	r = dmr_group_erase_record(g);
	mutex_unlock(&g->rec_lock);
	mutex_lock(&dmr_lock);
	if (r) {
		g->dying = false;
		res = DM_REPLICA_RET_FAILED;
		snprintf(msg, len, "Synchronization: cannot delete group %u: %d", g->rec.id, r);
		goto out_locked;
	}
	mutex_unlock(&dmr_lock);
	dmr_group_end(g);
	return 0;
out_locked:
	mutex_unlock(&dmr_lock);
	return res;
}

/*
 * Swap every member's snapshot for the one in @snaps (and @snaps gets the
 * old ones). The group is not ready: no replica target uses a member; the
 * listing reads m->snap under dmr_lock and state_lock.
 */
static void dmr_group_swap_snaps(struct dmr_group *g, struct dmr_snap **snaps)
{
	unsigned int i;

	mutex_lock(&dmr_lock);
	spin_lock(&g->state_lock);
	for (i = 0; i < g->nr_members; i++)
		swap(g->members[i].snap, snaps[i]);
	spin_unlock(&g->state_lock);
	mutex_unlock(&dmr_lock);
}

/*
 * Resync Replica of a clone group, once its new point in time is recorded
 * (new generation, members Unsynchronized): each new snapshot takes over
 * from the old one, @old, every private chunk that changed on neither
 * side since the old point in time (it holds what the new one would
 * copy), the old snapshots and their other chunks go, and the background
 * copy, reporting to @job, copies what is left: the changed chunks. The
 * owner entries that change hands are durable with the commit after the
 * record; a crash before leaves them stale (of the old generation), and
 * the copy that resumes at load copies those chunks as well, from the
 * source as the new point in time sees it. Returns 4096 with the copy
 * running, and makes the group ready.
 */
static u32 dmr_group_resync_clone(struct dmr_group *g, struct dmr_snap **old,
				  struct dmr_job *job, u64 hold_ns, char *msg, size_t len)
{
	u64 kept = 0, total = 0, c, n;
	unsigned int i;
	int r;

	for (i = 0; i < g->nr_members; i++)
		dmr_snap_withdraw(old[i]);
	for (i = 0; i < g->nr_members; i++) {
		struct dmr_snap *snap = g->members[i].snap;

		n = dmr_snap_nr_chunks(snap);
		total += n;
		for (c = 0; c < n; c++) {
			if (dmr_snap_chunk_changed(old[i], c))
				continue;
			while ((r = dmr_snap_adopt(snap, old[i], c)) == -EBUSY)
				dmr_snap_wait_chunk(snap, c);
			/*
			 * -ENOENT: a source write made the new one its copy
			 * first. Another failure (no memory, a broken cow)
			 * leaves the rest of the member to the copy.
			 */
			if (!r)
				kept++;
			else if (r != -ENOENT)
				break;
			cond_resched();
		}
	}
	dmr_snaps_drop(old, g->nr_members);
	dmr_md_sync(dmr_pool_md(g->pool));

	/*
	 * The copy of the old point in time ended, its thread waits to be
	 * stopped; the group lets it and its job go before the new one.
	 */
	dmr_group_copy_stop(g, "a new point in time was taken");
	mutex_lock(&dmr_lock);
	if (g->copy_job) {
		dmr_job_put(g->copy_job);
		g->copy_job = NULL;
	}
	r = dmr_group_copy_start(g, job);
	g->ready = true;
	mutex_unlock(&dmr_lock);
	if (r) {
		/* The group is Unsynchronized: a load of the pool starts the copy. */
		snprintf(msg, len,
			 "new point in time taken, but the copy cannot start (%d): it starts when the pool is loaded again",
			 r);
		return DM_REPLICA_RET_FAILED;
	}
	dmr_job_set_copy_state(job, DM_REPLICA_COPY_UNSYNCHRONIZED);
	snprintf(msg, len,
		 "new point in time taken, writes held %llu us; job %llu copies the %llu of %llu chunks changed since the last",
		 div_u64(hold_ns, NSEC_PER_USEC), dmr_job_id(job), total - kept, total);
	return DM_REPLICA_RET_JOB_STARTED;
}

/*
 * Resync Replica of a snapshot group: a new point in time for every member
 * at once, taken as a creation takes it, then the old one is let go. No
 * replica device may use the group meanwhile (its data would change under
 * it). The new snapshots are made with the slot's next generation, so that
 * the old ones' private chunks are stale once the record says so:
 *  - until the record is written, the old point in time stands (a crash
 *    leaves it, and the copies made for the new one are freed at load as
 *    no snapshot needs them);
 *  - the record, written with the new generation and epochs, is the
 *    switch; then the old snapshots are released, which frees their
 *    private chunks and the copies only they needed (a crash before that
 *    frees them at load).
 * Called without locks; waits for the barrier and the record's write.
 */
u32 dmr_group_resync(u32 id, struct dmr_job *job, char *msg, size_t len)
{
	u64 hold_ns = 0, instant_ns = 0, created_ns, old_hold_ns, old_job_id, old_lost;
	unsigned int i, stuck = 0;
	struct dmr_snap **snaps;
	struct dmr_group *g;
	u32 res = 0, gen, *epochs;
	bool clone = false;
	int r, r2 = 0;

	snaps = kcalloc(DM_REPLICA_MAX_MEMBERS, sizeof(*snaps), GFP_KERNEL);
	epochs = kcalloc(DM_REPLICA_MAX_MEMBERS, sizeof(*epochs), GFP_KERNEL);
	if (!snaps || !epochs) {
		kfree(snaps);
		kfree(epochs);
		snprintf(msg, len, "out of memory");
		return DM_REPLICA_RET_FAILED;
	}
	mutex_lock(&dmr_lock);
	g = dmr_group_find(id);
	if (!g) {
		res = DM_REPLICA_RET_INVALID_PARAM;
		snprintf(msg, len, "Synchronization: no group %u", id);
		goto out_locked;
	}
	if (!g->ready) {
		res = DM_REPLICA_RET_IN_USE;
		snprintf(msg, len,
			 "Synchronization: group %u is being created or resynchronized", id);
		goto out_locked;
	}
	if (g->rec.flags & DMR_GROUP_DISSOLVED) {
		res = DM_REPLICA_RET_FAILED;
		snprintf(msg, len,
			 "Synchronization: group %u is dissolved: its clones are no longer replicas of their sources",
			 id);
		goto out_locked;
	}
	clone = g->rec.sync_type == DM_REPLICA_SYNC_CLONE;
	for (i = 0; i < g->nr_members; i++) {
		struct dmr_member *m = &g->members[i];

		if (m->nr_replicas) {
			res = DM_REPLICA_RET_IN_USE;
			snprintf(msg, len,
				 "Synchronization: replica %.60s_%u of group %u is still in use",
				 g->rec.relationship_name, i + 1, id);
			goto out_locked;
		}
		if (dmr_member_copy_state(m) == DM_REPLICA_COPY_BROKEN) {
			res = DM_REPLICA_RET_FAILED;
			snprintf(msg, len,
				 "Synchronization: replica %.60s_%u of group %u is Broken: no new point in time",
				 g->rec.relationship_name, i + 1, id);
			goto out_locked;
		}
		if (!m->org->src) {
			res = DM_REPLICA_RET_FAILED;
			snprintf(msg, len,
				 "Synchronization: the source of replica %.60s_%u is not present",
				 g->rec.relationship_name, i + 1);
			goto out_locked;
		}
		if (clone && !dmr_snap_is_independent(m->snap)) {
			res = DM_REPLICA_RET_FAILED;
			snprintf(msg, len,
				 "Synchronization: replica %.60s_%u is not Synchronized: its copy must end before a Resync",
				 g->rec.relationship_name, i + 1);
			goto out_locked;
		}
		/* A new point in time needs the source's copy-on-write. */
		if (dmr_cow_is_broken(m->org->cow)) {
			char why[DM_REPLICA_MESSAGE_LEN];

			dmr_cow_reason(m->org->cow, why, sizeof(why));
			res = DM_REPLICA_RET_FAILED;
			snprintf(msg, len, "SourceElements[%u]: %.40s: copy-on-write broken: %.60s",
				 i, g->rec.members[i].source_name, why);
			goto out_locked;
		}
	}
	g->ready = false;
	mutex_unlock(&dmr_lock);
	dmr_job_start(job);

	gen = g->rec.gen + 1;
	for (i = 0; i < g->nr_members; i++) {
		struct dmr_cow_id cid = { .slot = g->slot, .gen = gen, .member = i };

		snaps[i] = dmr_snap_create(g->members[i].org->cow, &cid, &dmr_member_ops,
					   &g->members[i]);
		if (!snaps[i] || (clone && dmr_snap_track(snaps[i], false))) {
			res = DM_REPLICA_RET_FAILED;
			snprintf(msg, len, "out of memory");
			goto undo;
		}
	}
	if (clone) {
		r = dmr_snaps_place_changes(g->pool, snaps, g->nr_members);
		if (r) {
			res = DM_REPLICA_RET_FAILED;
			snprintf(msg, len, "TargetPool: cannot make the clones' change maps: %d",
				 r);
			goto undo;
		}
	}
	dmr_group_swap_snaps(g, snaps);

	if (!g->params.barrier_timeout_ms)	/* a group loaded from the pool */
		g->params.barrier_timeout_ms = DMR_BARRIER_TIMEOUT_MS;
	g->barrier_job = job;
	r = dmr_group_switch_on(g, &hold_ns, &instant_ns, &stuck);
	dmr_job_set_hold(job, hold_ns);
	if (r) {
		res = r == -ETIMEDOUT ? DM_REPLICA_RET_TIMEOUT : DM_REPLICA_RET_FAILED;
		if (r == -ETIMEDOUT)
			snprintf(msg, len,
				 "SourceElements[%u]: %s did not drain its writes within %u ms",
				 stuck, g->rec.members[stuck].source_name,
				 g->params.barrier_timeout_ms);
		else if (r == -ECANCELED)
			snprintf(msg, len, "cancelled before the new point in time");
		else
			snprintf(msg, len, "SourceElements[%u]: %s: barrier failed: %d", stuck,
				 g->rec.members[stuck].source_name, r);
		goto swap_back;
	}

	mutex_lock(&g->rec_lock);
	spin_lock(&g->state_lock);
	/* A member whose cow broke since the barrier (it may have started). */
	for (i = 0; i < g->nr_members; i++)
		if (!dmr_snap_started(g->members[i].snap) ||
		    dmr_snap_is_broken(g->members[i].snap) ||
		    g->rec.members[i].copy_state == DM_REPLICA_COPY_BROKEN)
			break;
	if (i < g->nr_members) {
		spin_unlock(&g->state_lock);
		mutex_unlock(&g->rec_lock);
		res = DM_REPLICA_RET_FAILED;
		snprintf(msg, len, "SourceElements[%u]: %s: broken during the resync", i,
			 g->rec.members[i].source_name);
		goto swap_back;
	}
	for (i = 0; i < g->nr_members; i++) {
		epochs[i] = g->rec.members[i].epoch;
		g->rec.members[i].epoch = dmr_snap_epoch(g->members[i].snap);
		/* A clone is Unsynchronized until its changed chunks are copied. */
		if (clone)
			WARN_ON(dmr_member_set_state(&g->rec.members[i],
						     DM_REPLICA_COPY_UNSYNCHRONIZED, NULL));
	}
	created_ns = g->rec.created_ns;
	old_hold_ns = g->rec.barrier_hold_ns;
	old_job_id = g->rec.job_id;
	old_lost = g->rec.changes_lost;
	/* The new maps hold every change from the new point in time. */
	g->rec.changes_lost = 0;
	g->rec.gen = gen;
	g->rec.created_ns = instant_ns;
	g->rec.barrier_hold_ns = hold_ns;
	if (clone)
		g->rec.job_id = dmr_job_id(job);
	spin_unlock(&g->state_lock);
	r = dmr_group_write(g);
	if (r) {
		/*
		 * A failed write may still have reached the disk: the old
		 * record is written again, into the same copy, before the
		 * new snapshots may go.
		 */
		spin_lock(&g->state_lock);
		for (i = 0; i < g->nr_members; i++) {
			g->rec.members[i].epoch = epochs[i];
			if (clone)
				WARN_ON(dmr_member_set_state(&g->rec.members[i],
							     DM_REPLICA_COPY_SYNCHRONIZED, NULL));
		}
		g->rec.job_id = old_job_id;
		g->rec.changes_lost = old_lost;
		g->rec.gen = gen - 1;
		g->rec.created_ns = created_ns;
		g->rec.barrier_hold_ns = old_hold_ns;
		spin_unlock(&g->state_lock);
		r2 = dmr_group_write(g);
	}
	mutex_unlock(&g->rec_lock);
	if (r && r2) {
		/*
		 * Which point in time the disk holds is not known: keep
		 * both, and the group out of every operation's way, until
		 * the pool is loaded again and its record decides.
		 */
		DMERR("group %u: new point in time not recorded (%d), old not rewritten (%d)",
		      id, r, r2);
		dmr_group_swap_snaps(g, snaps);
		g->orphans = snaps;
		snaps = NULL;
		res = DM_REPLICA_RET_FAILED;
		snprintf(msg, len,
			 "TargetPool: cannot record the new point in time (%d) nor the old (%d)",
			 r, r2);
		kfree(epochs);
		return res;
	}
	if (r) {
		res = DM_REPLICA_RET_FAILED;
		snprintf(msg, len, "TargetPool: cannot record the new point in time: %d", r);
		goto swap_back;
	}

	if (clone) {
		res = dmr_group_resync_clone(g, snaps, job, hold_ns, msg, len);
		goto out;
	}

	/* The new point in time is the group's: let the old one go. */
	dmr_snaps_drop(snaps, g->nr_members);
	dmr_md_sync(dmr_pool_md(g->pool));
	snprintf(msg, len, "new point in time taken, writes held %llu us",
		 div_u64(hold_ns, NSEC_PER_USEC));
	goto ready;

swap_back:
	dmr_group_swap_snaps(g, snaps);
undo:
	dmr_snaps_drop(snaps, g->nr_members);
ready:
	mutex_lock(&dmr_lock);
	g->ready = true;
out_locked:
	mutex_unlock(&dmr_lock);
out:
	kfree(snaps);
	kfree(epochs);
	return res;
}

/* What pools and sources tell the groups, and ask of them. */
static const struct dmr_pool_user_ops dmr_group_pool_ops = {
	.load = dmr_groups_load,
	.count = dmr_groups_count,
};

static const struct dmr_source_watch_ops dmr_group_source_ops = {
	.added = dmr_groups_source_added,
	.removed = dmr_groups_source_removed,
};

/* Set or clear @flag in the group's record, durably. No lock held. */
static int dmr_group_set_flag(struct dmr_group *g, u16 flag, bool on)
{
	u16 old;
	int r;

	mutex_lock(&g->rec_lock);
	spin_lock(&g->state_lock);
	old = g->rec.flags;
	g->rec.flags = on ? old | flag : old & ~flag;
	spin_unlock(&g->state_lock);
	r = g->rec.flags == old ? 0 : dmr_group_write(g);
	if (r) {
		spin_lock(&g->state_lock);
		g->rec.flags = old;
		spin_unlock(&g->state_lock);
	}
	mutex_unlock(&g->rec_lock);
	return r;
}

/*
 * Queue @ws, the long work of group @g's Restore or Detach, on
 * dmr_long_wq. The work holds a module reference of its own until it has
 * ended its job: once the group is ready again (Restore) or gone with its
 * own reference (Detach), nothing else may hold one, and an rmmod must
 * not run the module's exit, nor free its text, while the work still
 * ends the job. It drops the reference last (dmr_group_long_done()); the
 * few instructions of module text that run after that are covered by
 * dmr_group_exit(), which destroys dmr_long_wq and so waits for every
 * work on it to return before the module is freed (a kthread would use
 * module_put_and_kthread_exit() instead; a work item has no such call).
 */
static void dmr_group_long_queue(struct dmr_group *g, struct work_struct *ws,
				 work_func_t fn)
{
	__module_get(THIS_MODULE);
	INIT_WORK(ws, fn);
	queue_work(dmr_long_wq, ws);
}

/* The last thing a work of dmr_group_long_queue() does. */
static void dmr_group_long_done(void)
{
	module_put(THIS_MODULE);
}

/* Is @g dissolved? Its record's flags are read under state_lock. */
static bool dmr_group_is_dissolved(struct dmr_group *g)
{
	bool r;

	spin_lock(&g->state_lock);
	r = g->rec.flags & DMR_GROUP_DISSOLVED;
	spin_unlock(&g->state_lock);
	return r;
}

/* The refusal of an operation that needs @g to be a replica of its sources. */
static u32 dmr_group_dissolved_refusal(struct dmr_group *g, char *msg, size_t len)
{
	snprintf(msg, len,
		 "Synchronization: group %u is dissolved: its clones are no longer replicas of their sources",
		 g->rec.id);
	return DM_REPLICA_RET_FAILED;
}

u32 dmr_group_refuse_dissolved(u32 id, char *msg, size_t len)
{
	struct dmr_group *g;
	u32 res = 0;

	mutex_lock(&dmr_lock);
	g = dmr_group_find(id);
	if (g && dmr_group_is_dissolved(g))
		res = dmr_group_dissolved_refusal(g, msg, len);
	mutex_unlock(&dmr_lock);
	return res;
}

/*
 * Group @id for an operation that copies its replicas out (Restore From
 * Replica, Detach): one that exists, is ready and is not dissolved. Else
 * NULL, with the refusal in *@res and @msg. dmr_lock held.
 */
static struct dmr_group *dmr_group_find_ready(u32 id, u32 *res, char *msg, size_t len)
{
	struct dmr_group *g;

	lockdep_assert_held(&dmr_lock);
	g = dmr_group_find(id);
	if (!g) {
		snprintf(msg, len, "Synchronization: no group %u", id);
		*res = DM_REPLICA_RET_INVALID_PARAM;
	} else if (!g->ready) {
		snprintf(msg, len,
			 "Synchronization: group %u is being created, resynchronized or restored",
			 id);
		*res = DM_REPLICA_RET_IN_USE;
	} else if (dmr_group_is_dissolved(g)) {
		*res = dmr_group_dissolved_refusal(g, msg, len);
	} else {
		return g;
	}
	return NULL;
}

/* Restore From Replica reports here. */
static void dmr_group_restore_progress(void *ctx, u64 done, u64 total)
{
	struct dmr_group *g = ctx;

	dmr_job_progress(g->restore_job, total ? min_t(u64, div64_u64(done * 100, total), 99) :
			 99);
}

static bool dmr_group_restore_cancelled(void *ctx)
{
	struct dmr_group *g = ctx;

	return dmr_job_cancel_requested(g->restore_job);
}

static const struct dmr_restore_ops dmr_group_restore_ops = {
	.progress = dmr_group_restore_progress,
	.cancelled = dmr_group_restore_cancelled,
};

static void dmr_group_close_sources(struct dmr_group *g)
{
	unsigned int i;

	for (i = 0; i < g->nr_members; i++)
		dmr_bdev_close_excl(&g->restore_to[i]);
}

/*
 * Open the device @devt that member @i of @g is copied onto, exclusively,
 * into @g->restore_to[i], and check it: for a Restore (@detach false) the
 * member's source, which may be open elsewhere only with @force; for a
 * Detach a target, which may not be open elsewhere and must hold the
 * member. Returns 0 or the refusal, @msg naming the field. No lock held:
 * an open may wait for the device.
 */
static u32 dmr_group_open_one(struct dmr_group *g, unsigned int i, dev_t devt, bool detach,
			      bool force, char *msg, size_t len)
{
	struct dmr_bdev_ref *ref = &g->restore_to[i];
	const struct dmr_member_rec *mr = &g->rec.members[i];
	char what[DM_REPLICA_NAME_LEN + 32];
	int r;

	if (detach)
		snprintf(what, sizeof(what), "targets[%u]: %u:%u", i, MAJOR(devt), MINOR(devt));
	else
		snprintf(what, sizeof(what), "SourceElements[%u]: %s", i, mr->source_name);
	r = dmr_bdev_open_excl(devt, g, ref);
	if (r) {
		ref->bdev = NULL;
		snprintf(msg, len, "%s %s (%d)", what,
			 r == -EBUSY ? "is in use (mounted, or under another device)" :
			 "cannot be opened", r);
		if (r == -EBUSY)
			return DM_REPLICA_RET_IN_USE;
		return detach ? DM_REPLICA_RET_INVALID_PARAM : DM_REPLICA_RET_FAILED;
	}
	if (!force && dmr_bdev_openers(ref->bdev) > 1) {
		snprintf(msg, len, "%s is open%s", what,
			 detach ? "" : "; close it, or force the restore");
		return DM_REPLICA_RET_IN_USE;
	}
	if (detach && bdev_nr_sectors(ref->bdev) < mr->sectors) {
		snprintf(msg, len, "%s has %llu sectors, the clone of %.40s %llu", what,
			 (u64)bdev_nr_sectors(ref->bdev), mr->source_name, mr->sectors);
		return DM_REPLICA_RET_INVALID_PARAM;
	}
	return 0;
}

/*
 * Open and check the device of every member of @g (dmr_group_open_one()),
 * which the caller made not ready; on a refusal, close those opened.
 */
static u32 dmr_group_open_all(struct dmr_group *g, const dev_t *devs, bool detach, bool force,
			      char *msg, size_t len)
{
	unsigned int i;
	u32 res = 0;

	for (i = 0; i < g->nr_members && !res; i++)
		res = dmr_group_open_one(g, i, devs[i], detach, force, msg, len);
	if (res)
		dmr_group_close_sources(g);
	return res;
}

/* Make @g ready again after a Restore or Detach that did not start. */
static void dmr_group_set_ready(struct dmr_group *g)
{
	mutex_lock(&dmr_lock);
	g->ready = true;
	mutex_unlock(&dmr_lock);
}

/*
 * Copy every member's chunks held in the pool onto the device opened in
 * @g->restore_to for it (restore.c), then let the devices go.
 */
static int dmr_group_copy_out(struct dmr_group *g, u64 *written, unsigned int *failed)
{
	struct dmr_restore_member *m;
	unsigned int i;
	int r = -ENOMEM;

	m = kcalloc(g->nr_members, sizeof(*m), GFP_KERNEL);
	if (m) {
		for (i = 0; i < g->nr_members; i++) {
			m[i].snap = g->members[i].snap;
			m[i].target = g->restore_to[i].bdev;
			m[i].sectors = g->rec.members[i].sectors;
		}
		r = dmr_restore(m, g->nr_members, g->pool, &dmr_group_restore_ops, g, written,
				failed);
		kfree(m);
	}
	dmr_group_close_sources(g);
	return r;
}

static void dmr_group_restore_work(struct work_struct *ws)
{
	struct dmr_group *g = container_of(ws, struct dmr_group, restore_work);
	u16 cancel, state = DM_REPLICA_JOB_EXCEPTION;
	struct dmr_job *job = g->restore_job;
	char why[DM_REPLICA_MESSAGE_LEN];
	unsigned int failed = 0;
	u64 written = 0;
	int r;

	r = dmr_group_copy_out(g, &written, &failed);

	/* Said before the group is ready: a deletion may free it then. */
	cancel = dmr_job_cancel_requested(job);
	if (!r && dmr_group_set_flag(g, DMR_GROUP_RESTORING, false)) {
		/* Done, but the record still says otherwise: say so. */
		snprintf(why, sizeof(why),
			 "%llu chunks restored; the record still says the restore is incomplete",
			 written);
	} else if (!r) {
		state = DM_REPLICA_JOB_COMPLETED;
		snprintf(why, sizeof(why), "%llu chunks restored", written);
	} else if (r == -ECANCELED) {
		state = cancel == DM_REPLICA_JOB_REQ_KILL ? DM_REPLICA_JOB_KILLED :
			DM_REPLICA_JOB_TERMINATED;
		snprintf(why, sizeof(why),
			 "cancelled after %llu chunks: the sources are partly restored", written);
	} else if (r == -EIO) {
		snprintf(why, sizeof(why),
			 "SourceElements[%u]: %.40s: a copy back failed after %llu chunks",
			 failed, g->rec.members[failed].source_name, written);
	} else {
		snprintf(why, sizeof(why), "restore failed: %d", r);
	}
	mutex_lock(&dmr_lock);
	g->ready = true;
	g->restore_job = NULL;
	mutex_unlock(&dmr_lock);

	dmr_job_end(job, state, state == DM_REPLICA_JOB_COMPLETED ? DM_REPLICA_RET_OK :
		    DM_REPLICA_RET_FAILED, "%s", why);
	dmr_job_put(job);
	dmr_group_long_done();
}

/*
 * Restore From Replica: copy every member's replica back onto its source,
 * as a job. Refused (In Use) while the group is busy, a replica device of
 * it is open, or, unless @force, a source is open; a Broken replica has
 * nothing to give back. The sources are held open exclusively until the
 * job ends, so that nothing mounts them meanwhile. Returns 4096 once the
 * job runs.
 */
u32 dmr_group_restore(u32 id, bool force, struct dmr_job *job, char *msg, size_t len)
{
	dev_t devs[DM_REPLICA_MAX_MEMBERS];
	struct dmr_group *g;
	unsigned int i;
	u32 res = 0;
	int r;

	mutex_lock(&dmr_lock);
	g = dmr_group_find_ready(id, &res, msg, len);
	for (i = 0; g && i < g->nr_members; i++) {
		struct dmr_member *m = &g->members[i];

		if (m->nr_replicas) {
			res = DM_REPLICA_RET_IN_USE;
			snprintf(msg, len,
				 "Synchronization: replica %.60s_%u of group %u is in use",
				 g->rec.relationship_name, i + 1, id);
		} else if (dmr_member_copy_state(m) == DM_REPLICA_COPY_BROKEN) {
			res = DM_REPLICA_RET_FAILED;
			snprintf(msg, len,
				 "Synchronization: replica %.60s_%u of group %u is Broken: nothing to restore",
				 g->rec.relationship_name, i + 1, id);
		} else if (!m->org->src) {
			res = DM_REPLICA_RET_FAILED;
			snprintf(msg, len, "SourceElements[%u]: %s is not present", i,
				 g->rec.members[i].source_name);
		}
		if (res)
			break;
		devs[i] = dmr_source_devt(m->org->src);
	}
	if (res) {
		mutex_unlock(&dmr_lock);
		return res;
	}
	g->ready = false;
	mutex_unlock(&dmr_lock);

	res = dmr_group_open_all(g, devs, false, force, msg, len);
	/*
	 * Recorded before the first write reaches a source, so that a
	 * restore cut off by a restart is known after it: the sources may
	 * be partly restored until a restore completes.
	 */
	if (!res) {
		r = dmr_group_set_flag(g, DMR_GROUP_RESTORING, true);
		if (r) {
			dmr_group_close_sources(g);
			res = DM_REPLICA_RET_FAILED;
			snprintf(msg, len, "TargetPool: cannot record the restore: %d", r);
		}
	}
	if (res) {
		dmr_group_set_ready(g);
		return res;
	}

	dmr_job_get_ref(job);
	g->restore_job = job;
	dmr_job_start(job);
	dmr_group_long_queue(g, &g->restore_work, dmr_group_restore_work);
	snprintf(msg, len, "job %llu restores group %u", dmr_job_id(job), id);
	return DM_REPLICA_RET_JOB_STARTED;
}

/*
 * A Detach that waits: until the copy of every clone has ended. Returns
 * 0 when every clone is then Synchronized; -ECANCELED when the Detach's
 * job was cancelled first; -EIO when the copy ended short of that (a
 * clone broke, or the copy was cancelled), with @why saying so. The
 * group is not ready meanwhile: nothing but the copy changes it.
 */
static int dmr_group_detach_wait(struct dmr_group *g, struct dmr_job *job, char *why,
				 size_t len)
{
	struct dmr_job *copy = g->detach_copy;
	struct dmr_job_status st = {};
	unsigned int i;
	int r;

	g->detach_copy = NULL;
	r = dmr_job_wait_other(job, copy);
	if (r) {
		snprintf(why, len,
			 "cancelled while waiting for the copy of group %u: the group stays",
			 g->rec.id);
	} else {
		for (i = 0; i < g->nr_members; i++)
			if (!dmr_snap_is_independent(g->members[i].snap))
				break;
		if (i < g->nr_members) {
			/* Filled from the job itself, ended: no wait. */
			dmr_job_wait_job(copy, 0, &st);
			snprintf(why, len,
				 "replica %.60s_%u is not Synchronized: its copy ended: %.120s",
				 g->rec.relationship_name, i + 1, st.error_description);
			r = -EIO;
		}
	}
	dmr_job_put(copy);
	return r;
}

/*
 * Detach: the clones are on their target devices; the group goes back to
 * the pool, as Return To ResourcePool would give it back. A Detach that
 * waits for the copy does so first.
 */
static void dmr_group_detach_work(struct work_struct *ws)
{
	struct dmr_group *g = container_of(ws, struct dmr_group, restore_work);
	u16 cancel, state = DM_REPLICA_JOB_EXCEPTION;
	struct dmr_job *job = g->restore_job;
	char why[DM_REPLICA_MESSAGE_LEN];
	unsigned int failed = 0;
	u64 written = 0;
	int r = 0;

	if (g->detach_copy) {
		r = dmr_group_detach_wait(g, job, why, sizeof(why));
		if (r)
			dmr_group_close_sources(g);
	}
	if (!r) {
		r = dmr_group_copy_out(g, &written, &failed);
		if (r == -ECANCELED)
			snprintf(why, sizeof(why),
				 "cancelled after %llu chunks: the group stays, the targets are partly written",
				 written);
		else if (r)
			snprintf(why, sizeof(why),
				 "targets[%u]: writing the clone of %.40s failed: %d", failed,
				 g->rec.members[failed].source_name, r);
	}
	cancel = dmr_job_cancel_requested(job);
	if (r == -ECANCELED) {
		state = cancel == DM_REPLICA_JOB_REQ_KILL ? DM_REPLICA_JOB_KILLED :
			DM_REPLICA_JOB_TERMINATED;
	} else if (!r) {
		mutex_lock(&dmr_lock);
		g->dying = true;
		mutex_unlock(&dmr_lock);
		mutex_lock(&g->rec_lock);
		r = dmr_group_erase_record(g);
		mutex_unlock(&g->rec_lock);
		if (!r) {
			/* The job is ended with the group gone. */
			g->restore_job = NULL;
			dmr_group_end(g);
			dmr_job_end(job, DM_REPLICA_JOB_COMPLETED, DM_REPLICA_RET_OK,
				    "%llu chunks copied onto the targets; group returned to the pool",
				    written);
			dmr_job_put(job);
			dmr_group_long_done();
			return;
		}
		mutex_lock(&dmr_lock);
		g->dying = false;
		mutex_unlock(&dmr_lock);
		snprintf(why, sizeof(why),
			 "the targets hold the clones, but the group cannot be returned to the pool: %d",
			 r);
	}
	mutex_lock(&dmr_lock);
	g->ready = true;
	g->restore_job = NULL;
	mutex_unlock(&dmr_lock);
	dmr_job_end(job, state, DM_REPLICA_RET_FAILED, "%s", why);
	dmr_job_put(job);
	dmr_group_long_done();
}

/*
 * Detach of a clone group: once every clone is Synchronized (independent
 * of its source), copy each onto its target device, as a job, and return
 * the group to the pool; the targets are then devices of their own, which
 * no dm-replica table involves. The targets are held open exclusively
 * until the job ends. With @wait, a clone still copying does not refuse
 * the Detach: its job waits for the copy first. Returns 4096 once the job
 * runs.
 */
u32 dmr_group_detach(u32 id, const struct dmr_dev_nr *targets, unsigned int n, bool wait,
		     struct dmr_job *job, char *msg, size_t len)
{
	dev_t devs[DM_REPLICA_MAX_MEMBERS];
	bool copying = false;
	struct dmr_group *g;
	unsigned int i, j;
	u32 res = 0;

	mutex_lock(&dmr_lock);
	g = dmr_group_find_ready(id, &res, msg, len);
	if (g && n != g->nr_members) {
		snprintf(msg, len, "targets: %u devices for the %u members of group %u", n,
			 g->nr_members, id);
		res = DM_REPLICA_RET_INVALID_PARAM;
	}
	for (i = 0; !res && i < g->nr_members; i++) {
		struct dmr_member *m = &g->members[i];

		devs[i] = MKDEV(targets[i].major, targets[i].minor);
		copying |= !dmr_snap_is_independent(m->snap);
		if (!wait && !dmr_snap_is_independent(m->snap)) {
			snprintf(msg, len,
				 "Synchronization: replica %.60s_%u is not Synchronized: its copy must end before a Detach, or the Detach must wait",
				 g->rec.relationship_name, i + 1);
			res = DM_REPLICA_RET_FAILED;
		} else if (m->nr_replicas) {
			snprintf(msg, len,
				 "Synchronization: replica %.60s_%u of group %u is in use",
				 g->rec.relationship_name, i + 1, id);
			res = DM_REPLICA_RET_IN_USE;
		} else if (MAJOR(devs[i]) != targets[i].major ||
			   MINOR(devs[i]) != targets[i].minor || !devs[i]) {
			snprintf(msg, len, "targets[%u]: %u:%u is not a device number", i,
				 targets[i].major, targets[i].minor);
			res = DM_REPLICA_RET_INVALID_PARAM;
		} else if (dmr_source_find(devs[i]) || dmr_pool_find(devs[i])) {
			snprintf(msg, len, "targets[%u]: %u:%u is a replica %s device", i,
				 targets[i].major, targets[i].minor,
				 dmr_pool_find(devs[i]) ? "pool" : "source");
			res = DM_REPLICA_RET_INVALID_PARAM;
		}
		for (j = 0; !res && j < i; j++) {
			if (devs[j] == devs[i]) {
				snprintf(msg, len, "targets[%u]: %u:%u is targets[%u] too", i,
					 targets[i].major, targets[i].minor, j);
				res = DM_REPLICA_RET_INVALID_PARAM;
			}
		}
	}
	/* A copy that does not run (it could not start) would never end. */
	if (!res && copying && !g->copy_job) {
		snprintf(msg, len,
			 "Synchronization: the copy of group %u does not run: it starts when the pool is loaded again",
			 id);
		res = DM_REPLICA_RET_FAILED;
	}
	if (res) {
		mutex_unlock(&dmr_lock);
		return res;
	}
	g->ready = false;
	/* Held until the work has waited: the group keeps its own till freed. */
	if (copying) {
		dmr_job_get_ref(g->copy_job);
		g->detach_copy = g->copy_job;
	}
	mutex_unlock(&dmr_lock);

	res = dmr_group_open_all(g, devs, true, false, msg, len);
	if (res) {
		if (g->detach_copy)
			dmr_job_put(g->detach_copy);
		g->detach_copy = NULL;
		dmr_group_set_ready(g);
		return res;
	}

	dmr_job_get_ref(job);
	g->restore_job = job;
	dmr_job_start(job);
	dmr_group_long_queue(g, &g->restore_work, dmr_group_detach_work);
	snprintf(msg, len, copying ? "job %llu detaches group %u once its copy has ended" :
		 "job %llu detaches group %u", dmr_job_id(job), id);
	return DM_REPLICA_RET_JOB_STARTED;
}

/*
 * Dissolve of a clone group whose every clone is Synchronized: each has
 * every chunk of its own in the pool (dmr_snap_make_independent()), so
 * ending the association changes no data. The record says so first;
 * then dmr_group_dissolved() stops what follows the sources for it. The
 * replica devices may stay open: what they read does not change.
 * A snapshot group cannot be dissolved: its replicas read their sources.
 */
u32 dmr_group_dissolve(u32 id, char *msg, size_t len)
{
	struct dmr_group *g;
	unsigned int i;
	u32 res = 0;
	int r;

	mutex_lock(&dmr_lock);
	g = dmr_group_find(id);
	if (!g) {
		snprintf(msg, len, "Synchronization: no group %u", id);
		res = DM_REPLICA_RET_INVALID_PARAM;
	} else if (g->rec.sync_type != DM_REPLICA_SYNC_CLONE) {
		snprintf(msg, len,
			 "Operation: Dissolve (9) is not supported for snapshot groups: a snapshot reads its sources, it cannot outlive its association with them");
		res = DM_REPLICA_RET_NOT_SUPPORTED;
	} else if (!g->ready) {
		snprintf(msg, len,
			 "Synchronization: group %u is being created, resynchronized, restored or detached",
			 id);
		res = DM_REPLICA_RET_IN_USE;
	} else if (dmr_group_is_dissolved(g)) {
		snprintf(msg, len, "group %u was dissolved already", id);
		mutex_unlock(&dmr_lock);
		return 0;
	}
	for (i = 0; !res && i < g->nr_members; i++) {
		if (!dmr_snap_is_independent(g->members[i].snap) ||
		    dmr_member_copy_state(&g->members[i]) != DM_REPLICA_COPY_SYNCHRONIZED) {
			snprintf(msg, len,
				 "Synchronization: replica %.60s_%u is not Synchronized: its copy must end before a Dissolve",
				 g->rec.relationship_name, i + 1);
			res = DM_REPLICA_RET_FAILED;
		}
	}
	if (res) {
		mutex_unlock(&dmr_lock);
		return res;
	}
	g->ready = false;
	mutex_unlock(&dmr_lock);

	r = dmr_group_set_flag(g, DMR_GROUP_DISSOLVED, true);

	if (!r) {
		mutex_lock(&dmr_lock);
		dmr_group_dissolved(g);
		mutex_unlock(&dmr_lock);
		/* The maps' chunks are free on disk too. */
		dmr_md_sync(dmr_pool_md(g->pool));
	}
	mutex_lock(&dmr_lock);
	g->ready = true;
	mutex_unlock(&dmr_lock);
	if (r) {
		snprintf(msg, len, "TargetPool: cannot record that group %u is dissolved: %d", id,
			 r);
		return DM_REPLICA_RET_FAILED;
	}
	snprintf(msg, len, "group %u dissolved: its clones are no longer replicas of their sources",
		 id);
	return 0;
}

u32 dmr_group_changes(u32 id, struct dmr_change_query *q, char *msg, size_t len)
{
	struct dmr_group *g;
	struct dmr_snap *snap;
	u64 c, count;
	unsigned int sides;
	u32 res = 0;

	/* cow.c's bits are the ABI's. */
	static_assert(DM_REPLICA_CHANGED_SOURCE == DMR_CHANGED_SOURCE);
	static_assert(DM_REPLICA_CHANGED_REPLICA == DMR_CHANGED_REPLICA);
	static_assert(DM_REPLICA_CHANGED_UNKNOWN == DMR_CHANGED_UNKNOWN);
	q->nr = 0;
	/* dmr_lock keeps the member's snapshot; the walk takes no sleeping lock. */
	mutex_lock(&dmr_lock);
	g = dmr_group_find(id);
	if (!g) {
		snprintf(msg, len, "group_id: no group %u", id);
		res = DM_REPLICA_RET_INVALID_PARAM;
		goto out;
	}
	if (q->member >= g->nr_members) {
		snprintf(msg, len, "member: %u, group %u has members 1 to %u", q->member + 1, id,
			 g->nr_members);
		res = DM_REPLICA_RET_INVALID_PARAM;
		goto out;
	}
	snap = g->members[q->member].snap;
	if (!dmr_snap_tracked(snap)) {
		snprintf(msg, len, "group_id: group %u is %s: its changes are not tracked", id,
			 g->rec.sync_type != DM_REPLICA_SYNC_CLONE ? "not a clone group" :
			 "dissolved");
		res = DM_REPLICA_RET_NOT_SUPPORTED;
		goto out;
	}
	q->chunk_sectors = dmr_snap_chunk_sectors(snap);
	q->nr_chunks = dmr_snap_nr_chunks(snap);
	if (q->start > q->nr_chunks) {
		snprintf(msg, len, "start: chunk %llu, the member has %llu", q->start,
			 q->nr_chunks);
		res = DM_REPLICA_RET_INVALID_PARAM;
		goto out;
	}
	c = q->start;
	while (q->nr < q->cap && dmr_snap_changed_next(snap, &c, &count, &sides)) {
		q->ranges[q->nr].start = c;
		q->ranges[q->nr].count = count;
		q->ranges[q->nr].sides = sides;
		q->nr++;
		c += count;
	}
	/* Room ran out: the next call starts after the last run told. */
	q->next = q->nr == q->cap ? c : q->nr_chunks;
	snprintf(msg, len, "%u runs of changed chunks%s", q->nr,
		 dmr_snap_changes_known(snap) ? "" : "; not known: every chunk counts");
out:
	mutex_unlock(&dmr_lock);
	return res;
}

/* Before the targets are registered (main.c), after they are gone. */
int dmr_group_init(void)
{
	dmr_group_wq = alloc_workqueue("dmr-group", WQ_MEM_RECLAIM, 0);
	if (!dmr_group_wq)
		return -ENOMEM;
	dmr_long_wq = alloc_workqueue("dmr-long", 0, 0);
	if (!dmr_long_wq) {
		destroy_workqueue(dmr_group_wq);
		return -ENOMEM;
	}
	dmr_pool_set_user_ops(&dmr_group_pool_ops);
	dmr_source_set_watch_ops(&dmr_group_source_ops);
	return 0;
}

void dmr_group_exit(void)
{
	/* Groups hold a module reference: none is left at unload. */
	WARN_ON(!list_empty(&dmr_groups));
	dmr_source_set_watch_ops(NULL);
	dmr_pool_set_user_ops(NULL);
	/* Waits for the works that dropped their module reference to return. */
	destroy_workqueue(dmr_long_wq);
	destroy_workqueue(dmr_group_wq);
}

