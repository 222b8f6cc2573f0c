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
 * group->rec_lock serialises writes of the group's metadata record and
 * protects the copy states in it; the copy-on-write code reports failures
 * through it without dmr_lock, since tearing a group down waits for that
 * code. Member states change only through dmr_member_set_state()
 * (member.c), under rec_lock.
 */
#include <kunit/visibility.h>
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
#include "compat.h"
#include "control.h"
#include "cow.h"
#include "dm-replica.h"
#include "group.h"
#include "job.h"
#include "member.h"
#include "metadata.h"
#include "pool.h"
#include "request.h"
#include "source.h"

struct dmr_group;

/*
 * struct dmr_member - one source of a group and its replica
 * @src:         the live source feeding the cow, or NULL; dmr_lock.
 * @origin:      our own reference to the source's device, once known, so
 *               that replica reads and copies in flight never see it go.
 * @nr_replicas: replica targets using the member; dmr_lock.
 */
struct dmr_member {
	struct dmr_group *group;
	unsigned int index;
	struct dmr_source *src;
	struct dmr_cow *cow;
	struct dmr_bdev_ref origin;
	unsigned int nr_replicas;
};

/*
 * struct dmr_group - a group
 * @list:     in dmr_groups; dmr_lock. A group stays listed until its slot
 *            is free on disk, so that no creation takes the slot before.
 * @rec:      the metadata record; rec_lock.
 * @ready:    the point in time is taken (creation job done); dmr_lock.
 * @dying:    being deleted or undone: invisible to lookups; dmr_lock.
 */
struct dmr_group {
	struct list_head list;
	struct dmr_pool *pool;
	unsigned int slot;
	struct mutex rec_lock;	/* serialises record writes, guards @rec */
	struct dmr_group_rec rec;
	bool ready;
	bool dying;
	unsigned int nr_members;
	struct dmr_member members[DM_REPLICA_MAX_MEMBERS];

	/* Creation */
	struct work_struct create_work;
	struct dmr_job *job;
	struct dmr_create_params params;
};

static LIST_HEAD(dmr_groups);
static u32 dmr_next_group_id = 1;
static struct workqueue_struct *dmr_group_wq;

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

static struct dmr_group *dmr_group_in_slot(struct dmr_pool *pool, unsigned int slot)
{
	struct dmr_group *g;

	list_for_each_entry(g, &dmr_groups, list)
		if (g->pool == pool && g->slot == slot)
			return g;
	return NULL;
}

unsigned int dmr_groups_count(struct dmr_pool *pool)
{
	struct dmr_group *g;
	unsigned int n = 0;

	lockdep_assert_held(&dmr_lock);
	list_for_each_entry(g, &dmr_groups, list)
		n += g->pool == pool;
	return n;
}

/* The group's CopyState: the members' common one, or Mixed. rec_lock held. */
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
	lockdep_assert_held(&g->rec_lock);
	/*
	 * Once the slot is written free, no late change (a member breaking
	 * while its deletion waits for the last copies) may write the group
	 * back: it would come back at the next load, over a slot a new
	 * group may have taken.
	 */
	if (g->rec.state == DMR_SLOT_FREE)
		return 0;
	g->rec.copy_state = __dmr_group_copy_state(g);
	return dmr_md_group_write(dmr_pool_md(g->pool), g->slot, &g->rec);
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
	if (dmr_member_set_state(mr, DM_REPLICA_COPY_BROKEN, reason))
		return 0;	/* already Broken */
	if (!g->rec.broken_reason[0])
		snprintf(g->rec.broken_reason, sizeof(g->rec.broken_reason),
			 "%.40s_%u (%.30s): %s", g->rec.relationship_name, m->index + 1,
			 mr->source_name, reason);
	DMERR("group %u: replica %s_%u broken: %s", g->rec.id, g->rec.relationship_name,
	      m->index + 1, reason);
	return dmr_group_write(g);
}

/*
 * A member's copy-on-write failed: record it, then let the source go on.
 * Source writes wait for this (the cow holds them until
 * dmr_cow_broken_done()), so nothing here may wait for writeback of
 * those very writes: the record is written in a noio scope.
 */
static void dmr_member_broken(struct dmr_cow *cow, void *ctx, const char *reason)
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
	dmr_cow_broken_done(cow);
}

static const struct dmr_cow_owner_ops dmr_member_ops = {
	.broken = dmr_member_broken,
};

/* Attach a live source to a member. dmr_lock held; the source has no I/O
 * that could race (a new device) or the caller holds it.
 */
static int dmr_member_attach(struct dmr_member *m, struct dmr_source *src)
{
	int r;

	if (!m->origin.bdev) {
		r = dmr_bdev_open(dmr_source_origin(src), &m->origin);
		if (r)
			return r;
	}
	dmr_source_get(src);
	m->src = src;
	dmr_source_set_member(src, m, dmr_pool_chunk_sectors(m->group->pool));
	return 0;
}

/* Switch the source off the cow and let it go. dmr_lock held. */
static void dmr_member_detach(struct dmr_member *m)
{
	struct dmr_source *src = m->src;

	if (!src)
		return;
	dmr_source_attach(src, NULL);
	dmr_source_set_member(src, NULL, 0);
	m->src = NULL;
	dmr_source_put(src);
}

/*
 * Free a group whose members are detached and which is off the list: wait
 * for the cows, drop the references. No lock held; may wait for I/O.
 */
static void __dmr_group_free(struct dmr_group *g, bool locked)
{
	unsigned int i;

	for (i = 0; i < g->nr_members; i++) {
		WARN_ON(g->members[i].src);
		dmr_cow_destroy(g->members[i].cow);
		dmr_bdev_close(&g->members[i].origin);
	}
	if (g->job)
		dmr_job_put(g->job);
	if (!locked)
		mutex_lock(&dmr_lock);
	dmr_pool_put(g->pool);
	if (!locked)
		mutex_unlock(&dmr_lock);
	kfree(g);
	module_put(THIS_MODULE);
}

static void dmr_group_free(struct dmr_group *g)
{
	__dmr_group_free(g, false);
}

static struct dmr_group *dmr_group_alloc(struct dmr_pool *pool, unsigned int slot,
					 const struct dmr_group_rec *rec)
{
	struct dmr_group *g;
	unsigned int i;

	lockdep_assert_held(&dmr_lock);
	g = kzalloc(sizeof(*g), GFP_KERNEL);
	if (!g)
		return NULL;
	__module_get(THIS_MODULE);
	mutex_init(&g->rec_lock);
	dmr_pool_get_ref(pool);
	g->pool = pool;
	g->slot = slot;
	g->rec = *rec;
	g->nr_members = rec->nr_members;
	for (i = 0; i < g->nr_members; i++) {
		struct dmr_cow_id id = { .slot = slot, .gen = rec->gen, .member = i };
		struct dmr_member *m = &g->members[i];

		m->group = g;
		m->index = i;
		m->cow = dmr_cow_create(pool, &id, rec->members[i].sectors, &dmr_member_ops, m);
		if (!m->cow)
			goto bad;
		/* Broken is final: a reload does not make the replica readable. */
		if (rec->members[i].copy_state == DM_REPLICA_COPY_BROKEN)
			dmr_cow_mark_broken(m->cow);
	}
	return g;

bad:
	for (i = 0; i < g->nr_members; i++)
		dmr_cow_destroy(g->members[i].cow);
	dmr_pool_put(pool);
	kfree(g);
	module_put(THIS_MODULE);
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
		g->rec.seq = free_rec->seq;
		g->rec.state = DMR_SLOT_FREE;
	}
	kfree(free_rec);
	return r;
}

/*
 * End a group that is marked dying and whose sources are detached: its
 * chunks go back to the pool (every entry of this generation is stale
 * once the slot is free on disk, and is cleared in the next commit
 * anyway), then it leaves the list and is freed. No lock held.
 */
static void dmr_group_end(struct dmr_group *g)
{
	unsigned int i;

	for (i = 0; i < g->nr_members; i++)
		dmr_cow_release_chunks(g->members[i].cow);
	mutex_lock(&dmr_lock);
	list_del(&g->list);
	mutex_unlock(&dmr_lock);
	dmr_group_free(g);
}

/* Detach every member of @g. dmr_lock held. */
static void dmr_group_detach_all(struct dmr_group *g)
{
	unsigned int i;

	lockdep_assert_held(&dmr_lock);
	for (i = 0; i < g->nr_members; i++)
		dmr_member_detach(&g->members[i]);
}

/*
 * Undo a creation that did not reach a live record: switch the sources
 * off, free the slot and the chunks. The slot is erased best effort: a
 * slot left "creating" on disk is freed at the next load. Called without
 * dmr_lock, on a group not yet ready (no other operation touches it).
 */
static void dmr_group_abort(struct dmr_group *g)
{
	int r;

	mutex_lock(&dmr_lock);
	g->dying = true;
	dmr_group_detach_all(g);
	mutex_unlock(&dmr_lock);

	mutex_lock(&g->rec_lock);
	r = dmr_group_erase_record(g);
	mutex_unlock(&g->rec_lock);
	if (r)
		DMERR("group %u: cannot free its slot (%d); the next load frees it",
		      g->rec.id, r);
	dmr_group_end(g);
}

/*
 * Re-attach the live source @src to member @m of a loaded group, or make
 * the member Broken when its point in time cannot be vouched for. dmr_lock
 * held; @src is new or the caller made sure no write of it raced.
 */
static void dmr_member_reattach(struct dmr_member *m, struct dmr_source *src)
{
	struct dmr_group *g = m->group;
	const struct dmr_member_rec *mr = &g->rec.members[m->index];
	char reason[DM_REPLICA_MESSAGE_LEN];
	int r;

	reason[0] = 0;
	if (dmr_source_sectors(src) != mr->sectors) {
		/* Its writes since were not copied: the replica is lost. */
		snprintf(reason, sizeof(reason),
			 "source %.40s came back with %llu sectors, the group has %llu",
			 dmr_source_name(src), (u64)dmr_source_sectors(src), mr->sectors);
	} else {
		r = dmr_member_attach(m, src);
		if (r) {
			DMERR("group %u: cannot open the device of source %s: %d", g->rec.id,
			      dmr_source_name(src), r);
			return;
		}
		if (!g->ready || mr->copy_state != DM_REPLICA_COPY_SYNCHRONIZED)
			return;
		if (!dmr_source_attach_unwritten(src, m->cow))
			return;
		snprintf(reason, sizeof(reason),
			 "source %.40s was written before its pool was loaded",
			 dmr_source_name(src));
	}

	/* Break the cow first: no replica read may see the source now. */
	dmr_cow_mark_broken(m->cow);
	mutex_lock(&g->rec_lock);
	r = __dmr_member_break(m, reason);
	mutex_unlock(&g->rec_lock);
	if (r)
		DMERR("group %u: cannot record that a replica is broken: %d", g->rec.id, r);
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

int dmr_groups_load(struct dmr_pool *pool, char **error)
{
	const struct dmr_geometry *geo = dmr_md_geo(dmr_pool_md(pool));
	struct dmr_group *g, *tmp;
	struct dmr_group_rec *rec;
	struct dmr_owner o;
	unsigned int slot;
	u64 chunk;
	int r = 0;

	lockdep_assert_held(&dmr_lock);
	rec = kvmalloc(sizeof(*rec), GFP_KERNEL);
	if (!rec)
		return -ENOMEM;

	for (slot = 0; slot < DMR_MAX_GROUPS; slot++) {
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
		g = dmr_group_alloc(pool, slot, rec);
		if (!g) {
			*error = "Cannot allocate a group";
			r = -ENOMEM;
			goto out;
		}
		g->ready = true;
		list_add_tail(&g->list, &dmr_groups);
		dmr_next_group_id = max(dmr_next_group_id, rec->id + 1);
	}

	/*
	 * Rebuild every member's map and the allocator from the owner table.
	 * Only an entry of a slot that is free, or of an older generation of
	 * it, is stale (left by a deleted group) and freed; anything else
	 * that does not fit fails the load rather than lose a copy.
	 */
	for (chunk = 0; chunk < geo->nr_chunks; chunk++) {
		dmr_md_owner(dmr_pool_md(pool), chunk, &o);
		if (!o.slot)
			continue;
		g = o.slot <= DMR_MAX_GROUPS ? dmr_group_in_slot(pool, o.slot - 1) : NULL;
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
		r = dmr_cow_load(g->members[o.member].cow, o.src_chunk, chunk);
		if (r) {
			DMERR("pool chunk %llu: group %u member %u chunk %llu: cannot load: %d",
			      chunk, g->rec.id, o.member, o.src_chunk, r);
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

	/* Sources already present get their members back. */
	list_for_each_entry(g, &dmr_groups, list) {
		unsigned int i;

		if (g->pool != pool)
			continue;
		for (i = 0; i < g->nr_members; i++) {
			const char *uuid = g->rec.members[i].source_uuid;
			struct dmr_source *src = dmr_source_find_uuid(uuid);

			if (!src || g->members[i].src)
				continue;
			if (!dmr_source_member(src)) {
				dmr_member_reattach(&g->members[i], src);
			} else {
				/* Its writes went on under another group, uncopied. */
				char reason[DM_REPLICA_MESSAGE_LEN];
				struct dmr_member *m = &g->members[i];

				snprintf(reason, sizeof(reason),
					 "source %.40s is in another group",
					 dmr_source_name(src));
				dmr_cow_mark_broken(m->cow);
				mutex_lock(&g->rec_lock);
				if (__dmr_member_break(m, reason))
					DMERR("group %u: cannot record that a replica is broken",
					      g->rec.id);
				mutex_unlock(&g->rec_lock);
			}
		}
	}
out:
	if (r) {
		LIST_HEAD(undo);

		list_for_each_entry_safe(g, tmp, &dmr_groups, list) {
			if (g->pool != pool)
				continue;
			dmr_group_detach_all(g);
			list_move(&g->list, &undo);
		}
		/*
		 * No copy ever ran, so nothing here waits for a device; and
		 * dmr_lock stays held, so that no one finds the pool half
		 * loaded.
		 */
		list_for_each_entry_safe(g, tmp, &undo, list)
			__dmr_group_free(g, true);
	}
	kvfree(rec);
	return r;
}

void dmr_groups_source_added(struct dmr_source *src)
{
	struct dmr_group *g;
	unsigned int i;

	lockdep_assert_held(&dmr_lock);
	if (dmr_source_begin(src) || dmr_source_member(src) || !*dmr_source_uuid(src))
		return;
	list_for_each_entry(g, &dmr_groups, list) {
		if (g->dying)
			continue;
		for (i = 0; i < g->nr_members; i++) {
			struct dmr_member *m = &g->members[i];

			if (m->src || strcmp(g->rec.members[i].source_uuid, dmr_source_uuid(src)))
				continue;
			dmr_member_reattach(m, src);
			return;
		}
	}
}

void dmr_groups_source_removed(struct dmr_source *src)
{
	struct dmr_member *m;

	lockdep_assert_held(&dmr_lock);
	m = dmr_source_member(src);
	if (m)
		dmr_member_detach(m);
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
		*error = "Group is still being created";
	} else if (!n || n > g->nr_members) {
		*error = "No such member in the group";
	} else if (!g->members[n - 1].origin.bdev) {
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

struct dmr_cow *dmr_member_cow(struct dmr_member *m)
{
	return m->cow;
}

dev_t dmr_member_origin(struct dmr_member *m)
{
	return m->origin.bdev->bd_dev;
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

	mutex_lock(&m->group->rec_lock);
	s = m->group->rec.members[m->index].copy_state;
	mutex_unlock(&m->group->rec_lock);
	return s;
}

static bool dmr_group_cancelled(void *ctx)
{
	struct dmr_group *g = ctx;

	return dmr_job_cancel_requested(g->job);
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
		if (!g->members[i].src) {
			*stuck = i;
			r = -ENODEV;
			break;
		}
		bm[i].src = g->members[i].src;
		bm[i].cow = g->members[i].cow;
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
		if (!r && g->members[i].src != bm[i].src) {
			*stuck = i;
			r = -ENODEV;
		}
		/* Undo the switch of a source no member holds any more. */
		if (g->members[i].src != bm[i].src)
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
	unsigned int i;
	int r;

	mutex_lock(&g->rec_lock);
	for (i = 0; i < g->nr_members; i++) {
		if (dmr_member_set_state(&g->rec.members[i], DM_REPLICA_COPY_SYNCHRONIZED,
					 NULL)) {
			*broken = i;
			mutex_unlock(&g->rec_lock);
			return -ESTALE;
		}
	}
	g->rec.state = DMR_SLOT_LIVE;
	g->rec.created_ns = instant_ns;
	g->rec.barrier_hold_ns = hold_ns;
	r = dmr_group_write(g);
	/* Not live on disk: nothing may write it live before the undo. */
	if (r)
		g->rec.state = DMR_SLOT_CREATING;
	mutex_unlock(&g->rec_lock);
	return r;
}

static void dmr_group_create_work(struct work_struct *ws)
{
	struct dmr_group *g = container_of(ws, struct dmr_group, create_work);
	struct dmr_job *job = g->job;
	u64 hold_ns = 0, instant_ns = 0;
	unsigned int stuck = 0;
	u16 cancel;
	int r;

	dmr_job_get_ref(job);
	dmr_job_start(job);
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

	mutex_lock(&dmr_lock);
	g->ready = true;
	mutex_unlock(&dmr_lock);
	dmr_job_end(job, DM_REPLICA_JOB_COMPLETED, DM_REPLICA_RET_OK,
		    "point in time taken, writes held %llu us", div_u64(hold_ns, NSEC_PER_USEC));
	dmr_job_put(job);
}

/* Find a free slot of @pool. dmr_lock held. */
static int dmr_pool_free_slot(struct dmr_pool *pool)
{
	unsigned int slot;

	for (slot = 0; slot < DMR_MAX_GROUPS; slot++)
		if (!dmr_group_in_slot(pool, slot))
			return slot;
	return -ENOSPC;
}

/* Resolve and check the sources and the pool. dmr_lock held. */
static u32 dmr_resolve(struct dmr_create_args *a, struct dmr_source **srcs,
		       struct dmr_pool **poolp, char *msg, size_t len)
{
	struct dm_replica_create_group *req = a->req;
	u64 used, total;
	unsigned int i, j;
	dev_t devt;

	for (i = 0; i < req->nr_sources; i++) {
		struct dm_replica_dev *d = &a->sources[i];
		struct dmr_member *m;

		devt = MKDEV(d->major, d->minor);
		if (MAJOR(devt) != d->major || MINOR(devt) != d->minor) {
			snprintf(msg, len, "SourceElements[%u]: %u:%u is not a device number",
				 i, d->major, d->minor);
			return DM_REPLICA_RET_INVALID_PARAM;
		}
		for (j = 0; j < i; j++) {
			if (a->sources[j].major == d->major && a->sources[j].minor == d->minor) {
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
		m = dmr_source_member(srcs[i]);
		if (m) {
			snprintf(msg, len, "SourceElements[%u]: %s is already in group %u",
				 i, dmr_source_name(srcs[i]), m->group->rec.id);
			return DM_REPLICA_RET_IN_USE;
		}
	}

	devt = MKDEV(req->target_pool.major, req->target_pool.minor);
	*poolp = dmr_pool_find(devt);
	if (!*poolp) {
		snprintf(msg, len, "TargetPool: %u:%u is not a replica-pool device",
			 req->target_pool.major, req->target_pool.minor);
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
		/* Copy-on-write into the device being written: refuse. */
		if (dmr_pool_uses_dev(*poolp, dmr_source_origin(srcs[i]))) {
			snprintf(msg, len,
				 "SourceElements[%u]: %s lies on the device of TargetPool %u:%u",
				 i, dmr_source_name(srcs[i]), req->target_pool.major,
				 req->target_pool.minor);
			return DM_REPLICA_RET_INVALID_PARAM;
		}
	}
	if (dmr_pool_failed(*poolp)) {
		snprintf(msg, len, "TargetPool: the pool has failed");
		return DM_REPLICA_RET_FAILED;
	}
	if (dmr_pool_free_slot(*poolp) < 0) {
		snprintf(msg, len, "TargetPool: already holds %u groups", DMR_MAX_GROUPS);
		return DM_REPLICA_RET_IN_USE;
	}
	return 0;
}

int dmr_group_create(struct dmr_create_args *a)
{
	struct dm_replica_create_group *req = a->req;
	struct dm_replica_hdr *hdr = &req->hdr;
	struct dmr_source **srcs = NULL;
	struct dmr_group_rec *rec = NULL;
	struct dmr_create_params params;
	struct dmr_pool *pool = NULL;
	struct dmr_group *g = NULL;
	struct dmr_job *job;
	unsigned int i;
	int slot, r;
	u32 res;

	/* Every call yields a job, the refused ones included. */
	job = dmr_job_new(DM_REPLICA_CMD_CREATE_GROUP);
	if (!job) {
		dmr_reply(hdr, DM_REPLICA_RET_FAILED, "out of memory");
		return -ENOMEM;
	}
	req->job_id = dmr_job_id(job);

	res = dmr_check_create(req, a->settings, a->goal, &params, hdr->message,
			       sizeof(hdr->message));
	if (res)
		goto refuse;

	srcs = kcalloc(req->nr_sources, sizeof(*srcs), GFP_KERNEL);
	rec = kvzalloc(sizeof(*rec), GFP_KERNEL);
	if (!srcs || !rec) {
		res = DM_REPLICA_RET_FAILED;
		snprintf(hdr->message, sizeof(hdr->message), "out of memory");
		goto refuse;
	}

	mutex_lock(&dmr_lock);
	res = dmr_resolve(a, srcs, &pool, hdr->message, sizeof(hdr->message));
	if (res)
		goto refuse_locked;

	slot = dmr_pool_free_slot(pool);
	r = dmr_md_group_read(dmr_pool_md(pool), slot, rec);
	if (r) {
		res = DM_REPLICA_RET_FAILED;
		snprintf(hdr->message, sizeof(hdr->message),
			 "TargetPool: cannot read group slot %d: %d", slot, r);
		goto refuse_locked;
	}

	/* Fill in the record; names that were not given are made up. */
	rec->state = DMR_SLOT_CREATING;
	rec->gen++;
	rec->id = dmr_group_new_id();
	rec->sync_type = req->sync_type;
	rec->mode = params.mode;
	rec->consistency = params.consistency;
	rec->nr_members = req->nr_sources;
	rec->job_id = req->job_id;
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

	g = dmr_group_alloc(pool, slot, rec);
	if (!g) {
		res = DM_REPLICA_RET_FAILED;
		snprintf(hdr->message, sizeof(hdr->message), "out of memory");
		goto refuse_locked;
	}
	g->params = params;
	for (i = 0; i < req->nr_sources; i++) {
		r = dmr_member_attach(&g->members[i], srcs[i]);
		if (r) {
			res = DM_REPLICA_RET_FAILED;
			snprintf(hdr->message, sizeof(hdr->message),
				 "SourceElements[%u]: cannot open %s: %d", i,
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

	mutex_lock(&g->rec_lock);
	r = dmr_group_write(g);
	mutex_unlock(&g->rec_lock);
	if (r) {
		res = DM_REPLICA_RET_FAILED;
		snprintf(hdr->message, sizeof(hdr->message),
			 "TargetPool: cannot write the group record: %d", r);
		mutex_lock(&dmr_lock);
		list_del(&g->list);
		goto refuse_group;
	}

	g->job = job;
	dmr_job_set_group(job, g->rec.id);
	req->group_id = g->rec.id;
	req->nr_replicas = g->nr_members;
	INIT_WORK(&g->create_work, dmr_group_create_work);
	/* The wait's own reference: the job outlives an aborted group. */
	if (req->wait_for_copy_state)
		dmr_job_get_ref(job);
	queue_work(dmr_group_wq, &g->create_work);
	kvfree(rec);
	kfree(srcs);

	if (req->wait_for_copy_state) {
		struct dm_replica_job info;

		/* Uninterrupted by the timeout: the barrier has its own. */
		while ((r = dmr_job_wait_job(job, 1000, &info)) == -ETIMEDOUT)
			;
		dmr_job_put(job);
		if (r) {
			dmr_reply(hdr, DM_REPLICA_RET_JOB_STARTED,
				  "job %llu started; the wait was interrupted", req->job_id);
			return 0;
		}
		if (info.job_state != DM_REPLICA_JOB_COMPLETED) {
			dmr_reply(hdr, info.error_code ?: DM_REPLICA_RET_FAILED, "%s",
				  info.error_description);
			return dmr_result_errno(hdr->result);
		}
		dmr_reply(hdr, DM_REPLICA_RET_OK, "Synchronized");
		return 0;
	}
	dmr_reply(hdr, DM_REPLICA_RET_JOB_STARTED, "job %llu started", req->job_id);
	return 0;

refuse_group:
	dmr_group_detach_all(g);
	mutex_unlock(&dmr_lock);
	dmr_group_free(g);
	goto refuse;
refuse_locked:
	mutex_unlock(&dmr_lock);
refuse:
	kvfree(rec);
	kfree(srcs);
	hdr->result = res;
	dmr_job_end(job, DM_REPLICA_JOB_EXCEPTION, res, "%s", hdr->message);
	dmr_job_put(job);
	return dmr_result_errno(res);
}

int dmr_group_list(struct dm_replica_group_list *req, u32 *ids, u32 cap)
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
	req->nr_groups = n;
	return 0;
}

int dmr_group_get(struct dm_replica_group *req, struct dm_replica_member *members, u32 cap)
{
	struct dmr_group *g;
	unsigned int i;

	mutex_lock(&dmr_lock);
	g = dmr_group_find(req->group_id);
	if (!g) {
		mutex_unlock(&dmr_lock);
		dmr_reply(&req->hdr, DM_REPLICA_RET_INVALID_PARAM, "group_id: no group %u",
			  req->group_id);
		return -EINVAL;
	}

	mutex_lock(&g->rec_lock);
	req->nr_members = g->nr_members;
	req->sync_type = g->rec.sync_type;
	req->mode = g->rec.mode;
	req->consistency = g->rec.consistency;
	req->copy_state = __dmr_group_copy_state(g);
	req->pool.major = MAJOR(dmr_pool_devt(g->pool));
	req->pool.minor = MINOR(dmr_pool_devt(g->pool));
	req->chunk_sectors = dmr_pool_chunk_sectors(g->pool);
	dmr_pool_usage(g->pool, &req->pool_used_chunks, &req->pool_total_chunks);
	req->barrier_hold_ns = g->rec.barrier_hold_ns;
	req->created_ns = g->rec.created_ns;
	req->job_id = g->rec.job_id;
	strscpy(req->relationship_name, g->rec.relationship_name, sizeof(req->relationship_name));
	strscpy(req->source_group_name, g->rec.source_group_name, sizeof(req->source_group_name));
	strscpy(req->target_group, g->rec.target_group, sizeof(req->target_group));
	strscpy(req->broken_reason, g->rec.broken_reason, sizeof(req->broken_reason));
	req->group_chunks = 0;
	for (i = 0; i < g->nr_members; i++) {
		struct dmr_member *m = &g->members[i];
		u64 copied = dmr_cow_copied_chunks(m->cow);

		req->group_chunks += copied;
		if (i >= cap)
			continue;
		memset(&members[i], 0, sizeof(members[i]));
		if (m->src) {
			members[i].source.major = MAJOR(dmr_source_devt(m->src));
			members[i].source.minor = MINOR(dmr_source_devt(m->src));
		}
		if (m->origin.bdev) {
			members[i].source_dev.major = MAJOR(m->origin.bdev->bd_dev);
			members[i].source_dev.minor = MINOR(m->origin.bdev->bd_dev);
		}
		members[i].sectors = g->rec.members[i].sectors;
		members[i].copy_state = g->rec.members[i].copy_state;
		members[i].copied_chunks = copied;
		strscpy(members[i].source_name, g->rec.members[i].source_name,
			sizeof(members[i].source_name));
	}
	mutex_unlock(&g->rec_lock);
	mutex_unlock(&dmr_lock);
	return 0;
}

/* ModifyReplicaSynchronization: Return To ResourcePool (delete). */
int dmr_group_modify(struct dm_replica_modify_sync *req)
{
	struct dm_replica_hdr *hdr = &req->hdr;
	struct dmr_group *g;
	struct dmr_job *job;
	unsigned int i;
	u32 res = 0;
	int r;

	job = dmr_job_new(DM_REPLICA_CMD_MODIFY_SYNC);
	if (!job) {
		dmr_reply(hdr, DM_REPLICA_RET_FAILED, "out of memory");
		return -ENOMEM;
	}
	req->job_id = dmr_job_id(job);
	dmr_job_set_group(job, req->group_id);

	if (req->pad || !dmr_mem_zero(req->reserved, sizeof(req->reserved))) {
		res = DM_REPLICA_RET_INVALID_PARAM;
		snprintf(hdr->message, sizeof(hdr->message), "%s: must be zero",
			 req->pad ? "pad" : "reserved");
		goto out;
	}
	if (req->operation != DM_REPLICA_OP_RETURN_TO_POOL) {
		res = req->operation >= 2 && req->operation <= 25 ?
			DM_REPLICA_RET_NOT_SUPPORTED : DM_REPLICA_RET_INVALID_PARAM;
		snprintf(hdr->message, sizeof(hdr->message), "Operation: %u is %s", req->operation,
			 res == DM_REPLICA_RET_NOT_SUPPORTED ? "not supported yet" :
			 "not an operation of ModifyReplicaSynchronization");
		goto out;
	}

	mutex_lock(&dmr_lock);
	g = dmr_group_find(req->group_id);
	if (!g) {
		res = DM_REPLICA_RET_INVALID_PARAM;
		snprintf(hdr->message, sizeof(hdr->message), "Synchronization: no group %u",
			 req->group_id);
		goto out_locked;
	}
	if (!g->ready) {
		res = DM_REPLICA_RET_IN_USE;
		snprintf(hdr->message, sizeof(hdr->message),
			 "Synchronization: group %u is still being created", g->rec.id);
		goto out_locked;
	}
	for (i = 0; i < g->nr_members; i++) {
		if (g->members[i].nr_replicas) {
			res = DM_REPLICA_RET_IN_USE;
			snprintf(hdr->message, sizeof(hdr->message),
				 "Synchronization: replica %.60s_%u of group %u is still in use",
				 g->rec.relationship_name, i + 1, g->rec.id);
			goto out_locked;
		}
	}

	/*
	 * From here the group is invisible to every other operation. The
	 * slot is written free first: if that fails, nothing has changed.
	 * Then the sources go back to pass-through, with no group-wide hold:
	 * a write already in a cow still gets its copy, which no replica
	 * needs any more. Nothing below holds dmr_lock across I/O, so a
	 * member whose device stalls delays this deletion only.
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
		snprintf(hdr->message, sizeof(hdr->message),
			 "Synchronization: cannot delete group %u: %d", g->rec.id, r);
		goto out_locked;
	}
	dmr_group_detach_all(g);
	mutex_unlock(&dmr_lock);
	dmr_group_end(g);
	goto out;
out_locked:
	mutex_unlock(&dmr_lock);
out:
	hdr->result = res;
	if (res)
		dmr_job_end(job, DM_REPLICA_JOB_EXCEPTION, res, "%s", hdr->message);
	else
		dmr_job_end(job, DM_REPLICA_JOB_COMPLETED, DM_REPLICA_RET_OK,
			    "group returned to the pool");
	dmr_job_put(job);
	return dmr_result_errno(res);
}

int dmr_group_init(void)
{
	dmr_group_wq = alloc_workqueue("dmr-group", WQ_MEM_RECLAIM, 0);
	return dmr_group_wq ? 0 : -ENOMEM;
}

void dmr_group_exit(void)
{
	/* Groups hold a module reference: none is left at unload. */
	WARN_ON(!list_empty(&dmr_groups));
	destroy_workqueue(dmr_group_wq);
}
