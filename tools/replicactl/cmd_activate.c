// SPDX-License-Identifier: GPL-2.0
/*
 * replicactl activate|deactivate: bring the dm devices of dm-replica up
 * after a boot, and down before a shutdown, in the one order that is
 * right.
 *
 * Up: the pools first, since loading a pool brings its groups back into
 * the kernel; then the sources, each re-attaching to its group member as
 * its table is loaded and before it can take a write; then the replica
 * devices of every group of those pools. Down: the other way round:
 * replicas, sources, pools. The pools and sources come from the replica
 * table (tab.c); the groups and their members from the kernel, which
 * learnt them from the pools.
 *
 * Both are idempotent: a device already present with the table it should
 * have is left alone, and one that is absent is not an error. A device
 * that carries the name but is something else is never touched.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replicactl.h"

/* What was done to one device, for the report. */
struct row {
	enum { ROW_POOL, ROW_SOURCE, ROW_REPLICA } kind;
	char name[MAPPER_NAME_LEN];
	const char *action;	/* created, present, removed, absent, failed, left */
};

/* A group of a selected pool, with its members. */
struct pgroup {
	struct dm_replica_group g;
	struct dm_replica_member m[DM_REPLICA_MAX_MEMBERS];
};

struct plan {
	struct tab tab;
	bool all;			/* no POOL named: every entry of the table */
	const struct tab_entry **pools;	/* the selected pools */
	struct dm_replica_dev *pool_dev;	/* their dm devices; 0:0 when absent */
	size_t nr_pools;
	struct pgroup *groups;
	size_t nr_groups;
	struct row *rows;
	size_t nr_rows;
	int rc;				/* the first failure's exit code */
};

static void plan_fail(struct plan *p, int rc)
{
	if (!p->rc)
		p->rc = rc;
}

static void row_add(struct plan *p, int kind, const char *name, const char *action)
{
	struct row *r = realloc(p->rows, (p->nr_rows + 1) * sizeof(*r));

	if (!r) {
		err("out of memory");
		plan_fail(p, DM_REPLICA_RET_FAILED);
		return;
	}
	p->rows = r;
	r += p->nr_rows++;
	r->kind = kind;
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->action = action;
}

static void plan_free(struct plan *p)
{
	tab_free(&p->tab);
	free(p->pools);
	free(p->pool_dev);
	free(p->groups);
	free(p->rows);
}

/* The report: one list per kind, in the order things were done. */
static void plan_print(const struct plan *p, const char *path)
{
	static const char *const keys[] = { "pools", "sources", "replicas" };
	static const char *const words[] = { "pool", "source", "replica" };
	size_t i;
	int k;

	out_begin(NULL);
	out_str("replicatab", NULL, path);
	for (k = ROW_POOL; k <= ROW_REPLICA; k++) {
		out_list(keys[k], NULL);
		for (i = 0; i < p->nr_rows; i++) {
			if ((int)p->rows[i].kind != k)
				continue;
			out_begin(NULL);
			out_str("name", NULL, p->rows[i].name);
			out_str("action", NULL, p->rows[i].action);
			out_end();
			if (!out_is_json())
				printf("%-8s %-32s %s\n", words[k], p->rows[i].name,
				       p->rows[i].action);
		}
		out_list_end();
	}
	out_u64("exit_code", NULL, (uint64_t)p->rc);
	out_end();
}

/* The pools named by @argv, or every pool of the table. Returns an exit code. */
static int plan_pools(struct plan *p, const char *path, int argc, char **argv)
{
	size_t i;
	int a;

	p->all = !argc;
	p->pools = calloc(p->tab.n + (size_t)argc + 1, sizeof(*p->pools));
	p->pool_dev = calloc(p->tab.n + (size_t)argc + 1, sizeof(*p->pool_dev));
	if (!p->pools || !p->pool_dev) {
		err("out of memory");
		return DM_REPLICA_RET_FAILED;
	}
	for (a = 0; a < argc; a++) {
		const struct tab_entry *e = tab_find(&p->tab, TAB_POOL, argv[a]);

		if (!e) {
			err("POOL: %s is no pool of %s", argv[a], path);
			return DM_REPLICA_RET_INVALID_PARAM;
		}
		for (i = 0; i < p->nr_pools && p->pools[i] != e; i++)
			;
		if (i == p->nr_pools)
			p->pools[p->nr_pools++] = e;
	}
	for (i = 0; p->all && i < p->tab.n; i++)
		if (p->tab.e[i].kind == TAB_POOL)
			p->pools[p->nr_pools++] = &p->tab.e[i];
	return 0;
}

static bool is_selected_pool(const struct plan *p, const struct dm_replica_dev *d)
{
	size_t i;

	for (i = 0; i < p->nr_pools; i++)
		if ((p->pool_dev[i].major || p->pool_dev[i].minor) &&
		    p->pool_dev[i].major == d->major && p->pool_dev[i].minor == d->minor)
			return true;
	return false;
}

/* The groups of the selected pools that are present, with their members. */
static int plan_groups(struct ctx *ctx, struct plan *p)
{
	uint32_t *ids, nr, i;
	struct pgroup *pg;
	int r;

	r = group_ids(ctx, &ids, &nr);
	if (r)
		return r;
	p->groups = calloc(nr ? nr : 1, sizeof(*p->groups));
	if (!p->groups) {
		free(ids);
		err("out of memory");
		return DM_REPLICA_RET_FAILED;
	}
	for (i = 0; i < nr; i++) {
		pg = &p->groups[p->nr_groups];
		REQ_INIT(&pg->g);
		pg->g.group_id = ids[i];
		pg->g.members_cap = DM_REPLICA_MAX_MEMBERS;
		pg->g.members = (uintptr_t)pg->m;
		/* A group deleted since the list is no error. */
		if (ctl_try(ctx, DM_REPLICA_IOC_GROUP_GET, &pg->g.hdr))
			continue;
		if (pg->g.nr_members > DM_REPLICA_MAX_MEMBERS)
			pg->g.nr_members = DM_REPLICA_MAX_MEMBERS;
		if (is_selected_pool(p, &pg->g.pool))
			p->nr_groups++;
	}
	free(ids);
	return 0;
}

/*
 * Is dm device @name (which exists) the device entry @e describes: its
 * target of @type on @e->dev, and for a source its dm UUID? 1 yes, 0 no
 * after saying why, -1 when it cannot be told.
 */
static int entry_matches(const struct tab_entry *e, const char *type, const char *uuid)
{
	char why[700];
	int r;

	r = table_is(e->name, type, e->dev, why, sizeof(why));
	if (r == 1 && *e->uuid && strcmp(uuid, e->uuid)) {
		snprintf(why, sizeof(why), "its dm UUID is '%s', not %s", uuid, e->uuid);
		r = 0;
	}
	if (r != 1)
		err("%s: a dm device of that name exists, but %s; left alone", e->name, why);
	return r;
}

/* Activate */

/* Create the dm device of entry @e, unless it is present. */
static int entry_up(struct plan *p, const struct tab_entry *e, int kind,
		    struct dm_replica_dev *dev)
{
	const char *type = kind == ROW_POOL ? DM_REPLICA_TARGET_POOL : DM_REPLICA_TARGET_SOURCE;
	struct mapper_info mi;
	uint64_t sectors;
	int r;

	r = mapper_info(e->name, NULL, &mi);
	if (r > 0) {
		r = entry_matches(e, type, mi.uuid);
		row_add(p, kind, e->name, r == 1 ? "present" : "failed");
		if (r != 1) {
			plan_fail(p, r ? DM_REPLICA_RET_FAILED : DM_REPLICA_RET_IN_USE);
			return -1;
		}
	} else if (r == 0) {
		/* Without "format": a pool is only ever loaded here, never made. */
		if (!table_word(e->dev) || dev_sectors(e->dev, &sectors) ||
		    mapper_create(e->name, *e->uuid ? e->uuid : NULL, sectors, type, e->dev)) {
			err("cannot create the %s %s on %s%s", kind == ROW_POOL ? "pool" : "source",
			    e->name, e->dev, kind == ROW_POOL ? "; the kernel log says why" : "");
			row_add(p, kind, e->name, "failed");
			plan_fail(p, DM_REPLICA_RET_FAILED);
			return -1;
		}
		row_add(p, kind, e->name, "created");
		if (mapper_info(e->name, NULL, &mi) != 1)
			return -1;
	} else {
		err("%s: cannot tell whether a dm device of that name exists", e->name);
		plan_fail(p, DM_REPLICA_RET_FAILED);
		return -1;
	}
	if (dev) {
		dev->major = mi.major;
		dev->minor = mi.minor;
	}
	return 0;
}

/* Was source @name brought up (or found) by this run? */
static const struct row *row_find(const struct plan *p, int kind, const char *name)
{
	size_t i;

	for (i = 0; i < p->nr_rows; i++)
		if ((int)p->rows[i].kind == kind && !strcmp(p->rows[i].name, name))
			return &p->rows[i];
	return NULL;
}

/* The source of member @n of group @pg, from the table. */
static void member_source_up(struct plan *p, const struct pgroup *pg, unsigned int n)
{
	const char *name = pg->m[n - 1].source_name;
	const struct tab_entry *e;

	if (row_find(p, ROW_SOURCE, name))
		return;
	e = tab_find(&p->tab, TAB_SOURCE, name);
	if (e) {
		entry_up(p, e, ROW_SOURCE, NULL);
		return;
	}
	if (mapper_exists(name) == 1) {
		/* Made by other means (dmsetup): not ours to judge. */
		row_add(p, ROW_SOURCE, name, "present");
		return;
	}
	err("group %u member %u: its source %s is not in the replica table", pg->g.group_id, n,
	    name);
	row_add(p, ROW_SOURCE, name, "failed");
	plan_fail(p, DM_REPLICA_RET_FAILED);
}

/* Replica @n of group @pg, unless present; not without its source. */
static void replica_up(struct plan *p, const struct pgroup *pg, unsigned int n)
{
	const struct row *src = row_find(p, ROW_SOURCE, pg->m[n - 1].source_name);
	char name[REPLICA_NAME_LEN];
	int r;

	replica_name(name, pg->g.relationship_name, n);
	r = mapper_exists(name);
	if (r > 0) {
		if (is_replica_of(name, &pg->g, n, false)) {
			row_add(p, ROW_REPLICA, name, "present");
		} else {
			row_add(p, ROW_REPLICA, name, "failed");
			plan_fail(p, DM_REPLICA_RET_IN_USE);
		}
		return;
	}
	if (r < 0 || !src || !strcmp(src->action, "failed")) {
		if (r < 0)
			err("%s: cannot tell whether a dm device of that name exists", name);
		else
			err("%s: not created, its source %s is not there", name,
			    pg->m[n - 1].source_name);
		row_add(p, ROW_REPLICA, name, "failed");
		plan_fail(p, DM_REPLICA_RET_FAILED);
		return;
	}
	if (replica_create(pg->g.relationship_name, &pg->g, &pg->m[n - 1], n)) {
		row_add(p, ROW_REPLICA, name, "failed");
		plan_fail(p, DM_REPLICA_RET_FAILED);
		return;
	}
	row_add(p, ROW_REPLICA, name, "created");
}

static void activate(struct ctx *ctx, struct plan *p)
{
	size_t i;
	unsigned int n;
	int r;

	for (i = 0; i < p->nr_pools; i++)
		entry_up(p, p->pools[i], ROW_POOL, &p->pool_dev[i]);
	r = plan_groups(ctx, p);
	if (r) {
		plan_fail(p, r);
		return;
	}
	for (i = 0; i < p->nr_groups; i++)
		for (n = 1; n <= p->groups[i].g.nr_members; n++)
			member_source_up(p, &p->groups[i], n);
	/* Sources in no group yet: every one, when no pool was named. */
	for (i = 0; p->all && i < p->tab.n; i++)
		if (p->tab.e[i].kind == TAB_SOURCE && !row_find(p, ROW_SOURCE, p->tab.e[i].name))
			entry_up(p, &p->tab.e[i], ROW_SOURCE, NULL);
	for (i = 0; i < p->nr_groups; i++) {
		/* A group whose creation never reached its point in time has no replicas. */
		if (p->groups[i].g.copy_state == DM_REPLICA_COPY_INITIALIZED)
			continue;
		for (n = 1; n <= p->groups[i].g.nr_members; n++)
			replica_up(p, &p->groups[i], n);
	}
}

/* Deactivate */

/* A device to remove. */
struct victim {
	int kind;
	char name[MAPPER_NAME_LEN];
};

struct victims {
	struct victim *v;
	size_t n;
};

static int victim_add(struct victims *vs, int kind, const char *name)
{
	struct victim *v;
	size_t i;

	for (i = 0; i < vs->n; i++)
		if (vs->v[i].kind == kind && !strcmp(vs->v[i].name, name))
			return 0;
	v = realloc(vs->v, (vs->n + 1) * sizeof(*v));
	if (!v) {
		err("out of memory");
		return -1;
	}
	vs->v = v;
	v += vs->n++;
	v->kind = kind;
	snprintf(v->name, sizeof(v->name), "%s", name);
	return 0;
}

/* Source @name is to go if it is the table's, as the table describes it. */
static int source_victim(struct plan *p, struct victims *vs, const char *name)
{
	const struct tab_entry *e = tab_find(&p->tab, TAB_SOURCE, name);
	struct mapper_info mi;
	int r;

	if (row_find(p, ROW_SOURCE, name))
		return 0;
	r = mapper_info(name, NULL, &mi);
	if (r <= 0) {
		if (r < 0)
			plan_fail(p, DM_REPLICA_RET_FAILED);
		row_add(p, ROW_SOURCE, name, r ? "failed" : "absent");
		return 0;
	}
	if (!e) {
		/* Activate could not bring it back: it stays. */
		err("warning: source %s is not in the replica table; left alone", name);
		row_add(p, ROW_SOURCE, name, "left");
		return 0;
	}
	if (entry_matches(e, DM_REPLICA_TARGET_SOURCE, mi.uuid) != 1) {
		row_add(p, ROW_SOURCE, name, "left");
		return 0;
	}
	return victim_add(vs, ROW_SOURCE, name);
}

/* Every device to remove, replicas first; nothing is removed yet. */
static int deactivate_plan(struct ctx *ctx, struct plan *p, struct victims *vs)
{
	char name[REPLICA_NAME_LEN];
	struct mapper_info mi;
	unsigned int n;
	size_t i;
	int r;

	for (i = 0; i < p->nr_pools; i++) {
		r = mapper_info(p->pools[i]->name, NULL, &mi);
		if (r > 0 && entry_matches(p->pools[i], DM_REPLICA_TARGET_POOL, mi.uuid) == 1) {
			p->pool_dev[i].major = mi.major;
			p->pool_dev[i].minor = mi.minor;
		} else if (r) {
			row_add(p, ROW_POOL, p->pools[i]->name, "left");
			plan_fail(p, r > 0 ? DM_REPLICA_RET_IN_USE : DM_REPLICA_RET_FAILED);
		} else {
			row_add(p, ROW_POOL, p->pools[i]->name, "absent");
		}
	}
	r = plan_groups(ctx, p);
	if (r)
		return r;
	for (i = 0; i < p->nr_groups; i++) {
		const struct pgroup *pg = &p->groups[i];

		for (n = 1; n <= pg->g.nr_members; n++) {
			replica_name(name, pg->g.relationship_name, n);
			r = mapper_exists(name);
			if (r > 0 && is_replica_of(name, &pg->g, n, false)) {
				r = victim_add(vs, ROW_REPLICA, name);
			} else if (r > 0) {
				/* Someone else's device of that name. */
				row_add(p, ROW_REPLICA, name, "left");
				r = 0;
			}
			if (r)
				return DM_REPLICA_RET_FAILED;
		}
	}
	for (i = 0; i < p->nr_groups; i++)
		for (n = 1; n <= p->groups[i].g.nr_members; n++)
			if (source_victim(p, vs, p->groups[i].m[n - 1].source_name))
				return DM_REPLICA_RET_FAILED;
	for (i = 0; p->all && i < p->tab.n; i++)
		if (p->tab.e[i].kind == TAB_SOURCE &&
		    source_victim(p, vs, p->tab.e[i].name))
			return DM_REPLICA_RET_FAILED;
	for (i = 0; i < p->nr_pools; i++)
		if ((p->pool_dev[i].major || p->pool_dev[i].minor) &&
		    victim_add(vs, ROW_POOL, p->pools[i]->name))
			return DM_REPLICA_RET_FAILED;
	return 0;
}

/*
 * Is device @v open? Replicas and sources are checked before anything is
 * removed; a pool only once its replicas are gone, since they hold it open.
 */
static bool victim_open(struct plan *p, const struct victim *v)
{
	struct mapper_info mi;

	if (mapper_info(v->name, NULL, &mi) != 1 || !mi.open_count)
		return false;
	err("%s is open (%d opener%s): %s", v->name, mi.open_count,
	    mi.open_count == 1 ? "" : "s",
	    v->kind == ROW_POOL ? "the pool stays" : "nothing was removed");
	row_add(p, v->kind, v->name, "open");
	plan_fail(p, DM_REPLICA_RET_IN_USE);
	return true;
}

static void deactivate(struct ctx *ctx, struct plan *p)
{
	struct victims vs = { 0 };
	bool open = false;
	size_t i;
	int r;

	r = deactivate_plan(ctx, p, &vs);
	if (r) {
		plan_fail(p, r);
		goto out;
	}
	for (i = 0; i < vs.n; i++)
		if (vs.v[i].kind != ROW_POOL)
			open |= victim_open(p, &vs.v[i]);
	if (open)
		goto out;
	for (i = 0; i < vs.n; i++) {
		if (vs.v[i].kind == ROW_POOL && victim_open(p, &vs.v[i]))
			continue;
		if (mapper_remove(vs.v[i].name)) {
			err("cannot remove %s", vs.v[i].name);
			row_add(p, vs.v[i].kind, vs.v[i].name, "failed");
			plan_fail(p, DM_REPLICA_RET_FAILED);
			/* What stands on it cannot go either. */
			if (vs.v[i].kind != ROW_POOL)
				break;
			continue;
		}
		row_add(p, vs.v[i].kind, vs.v[i].name, "removed");
	}
out:
	free(vs.v);
}

static int activate_common(struct ctx *ctx, int argc, char **argv, bool up)
{
	struct plan p = { 0 };
	int r;

	r = tab_read(ctx->tab, &p.tab);
	if (!r)
		r = plan_pools(&p, ctx->tab, argc, argv);
	if (!r)
		r = ctl_open(ctx, DM_REPLICA_FEAT_SNAPSHOT);
	if (r) {
		plan_free(&p);
		return r;
	}
	mapper_setup();
	if (up)
		activate(ctx, &p);
	else
		deactivate(ctx, &p);
	plan_print(&p, ctx->tab);
	r = p.rc;
	plan_free(&p);
	return r;
}

static int activate_run(struct ctx *ctx, int argc, char **argv)
{
	return activate_common(ctx, argc, argv, true);
}

static int deactivate_run(struct ctx *ctx, int argc, char **argv)
{
	return activate_common(ctx, argc, argv, false);
}

const struct cmd cmd_activate = {
	.name = "activate",
	.synopsis = "[POOL...]",
	.summary = "Bring up, from the replica table, the pools named (all by default), then "
		   "the sources of their groups (and, with no POOL, every source of the table), "
		   "then the replica devices of every group of those pools. Devices already "
		   "present with the right table are left alone.",
	.max_args = ~0u,
	.run = activate_run,
};

const struct cmd cmd_deactivate = {
	.name = "deactivate",
	.synopsis = "[POOL...]",
	.summary = "Remove the replica devices of the groups of the pools named (all by "
		   "default), then their sources that the replica table holds, then the pools. "
		   "Refused with In Use (6), naming it, while a replica or source is open.",
	.max_args = ~0u,
	.run = deactivate_run,
};
