// SPDX-License-Identifier: GPL-2.0
/*
 * replicactl group list|show|delete|changed-chunks: the groups
 * (synchronizations) the module knows, ModifyReplicaSynchronization Return
 * To ResourcePool, and what changed in a clone since its point in time.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replicactl.h"

/* The group id argument; then the control device. */
static int group_start(struct ctx *ctx, char **argv, uint32_t *id)
{
	uint64_t v;

	if (parse_id(argv[0], "group id", UINT32_MAX, &v))
		return EXIT_USAGE;
	*id = (uint32_t)v;
	return ctl_open(ctx, DM_REPLICA_FEAT_SNAPSHOT);
}

/*
 * How much of a clone is copied into the pool, in percent of its chunks,
 * rounded down as the job's PercentComplete is: 100 only when every chunk
 * is there.
 */
static unsigned int percent_of(uint64_t copied, uint64_t chunks)
{
	if (copied >= chunks)
		return 100;
	return (unsigned int)(copied * 100 / chunks);
}

/* A member has ceil(sectors / chunk_sectors) chunks. */
static uint64_t member_chunks(const struct dm_replica_group *g, const struct dm_replica_member *m)
{
	return g->chunk_sectors ? (m->sectors + g->chunk_sectors - 1) / g->chunk_sectors : 0;
}

/*
 * Every member's copied chunks, and all their chunks, as the create job
 * counts its PercentComplete.
 */
static void group_copied(const struct dm_replica_group *g, const struct dm_replica_member *m,
			 uint64_t *copied, uint64_t *chunks)
{
	uint64_t n;
	uint32_t i;

	*copied = 0;
	*chunks = 0;
	for (i = 0; i < g->nr_members && i < DM_REPLICA_MAX_MEMBERS; i++) {
		n = member_chunks(g, &m[i]);
		*copied += m[i].copied_chunks < n ? m[i].copied_chunks : n;
		*chunks += n;
	}
}

static bool is_clone(const struct dm_replica_group *g)
{
	return g->sync_type == DM_REPLICA_SYNC_CLONE;
}

/* A clone's percent: a number in JSON, with the chunks in text. */
static void out_percent(const char *label, unsigned int pct, uint64_t copied, uint64_t chunks)
{
	char buf[80];

	if (out_is_json()) {
		out_u64("percent_copied", NULL, pct);
		return;
	}
	snprintf(buf, sizeof(buf), "%u%% (%" PRIu64 " of %" PRIu64 " chunks)", pct, copied,
		 chunks);
	out_str("percent_copied", label, buf);
}

/* GROUP_GET for the list; *@gone when the group was deleted since GROUP_LIST. */
static int group_list_get(struct ctx *ctx, uint32_t id, struct dm_replica_group *g,
			  struct dm_replica_member *m, bool *gone)
{
	int r;

	REQ_INIT(g);
	g->group_id = id;
	/* The members, for a clone group's percent copied. */
	g->members_cap = DM_REPLICA_MAX_MEMBERS;
	g->members = (uintptr_t)m;
	r = ctl_try(ctx, DM_REPLICA_IOC_GROUP_GET, &g->hdr);
	*gone = r && g->hdr.result == DM_REPLICA_RET_INVALID_PARAM;
	return r && !*gone ? ctl_report(&g->hdr, -r, "group list") : 0;
}

static void group_list_row(const struct dm_replica_group *g, const struct dm_replica_member *m)
{
	uint64_t copied, chunks;
	char pct[8] = "-";

	out_begin(NULL);
	out_u64("id", NULL, g->group_id);
	out_str("relationship_name", NULL, g->relationship_name);
	out_value("sync_type", NULL, &sync_types, g->sync_type);
	out_value("copy_state", NULL, &copy_states, g->copy_state);
	out_u64("members", NULL, g->nr_members);
	out_u64("group_chunks", NULL, g->group_chunks);
	out_u64("barrier_hold_ns", NULL, g->barrier_hold_ns);
	if (is_clone(g)) {
		group_copied(g, m, &copied, &chunks);
		out_u64("percent_copied", NULL, percent_of(copied, chunks));
		snprintf(pct, sizeof(pct), "%u%%", percent_of(copied, chunks));
	}
	out_bool("dissolved", NULL, g->flags & DM_REPLICA_GROUP_DISSOLVED);
	out_end();
	if (!out_is_json())
		printf("%-6u %-24s %-9s %-15s %7u %10" PRIu64 " %10.3f %6s %s\n", g->group_id,
		       g->relationship_name, value_name(&sync_types, g->sync_type),
		       value_name(&copy_states, g->copy_state), g->nr_members,
		       (uint64_t)g->group_chunks, g->barrier_hold_ns / 1e6, pct,
		       g->flags & DM_REPLICA_GROUP_DISSOLVED ? "dissolved" : "-");
}

static int group_list_run(struct ctx *ctx, int argc, char **argv)
{
	struct dm_replica_member m[DM_REPLICA_MAX_MEMBERS];
	struct dm_replica_group g;
	uint32_t *ids, nr, i;
	bool gone;
	int r;

	(void)argc;
	(void)argv;
	r = ctl_open(ctx, DM_REPLICA_FEAT_SNAPSHOT);
	if (r)
		return r;
	r = group_ids(ctx, &ids, &nr);
	if (r)
		return r;
	out_begin(NULL);
	out_list("groups", NULL);
	if (!out_is_json())
		printf("%-6s %-24s %-9s %-15s %7s %10s %10s %6s %s\n", "ID", "RELATIONSHIP",
		       "SYNCTYPE", "COPYSTATE", "MEMBERS", "CHUNKS", "HOLD(ms)", "COPIED",
		       "ASSOCIATION");
	for (i = 0; i < nr && !r; i++) {
		r = group_list_get(ctx, ids[i], &g, m, &gone);
		if (!r && !gone)
			group_list_row(&g, m);
	}
	out_list_end();
	out_end();
	free(ids);
	return r;
}

static void member_print(const struct dm_replica_group *g, const struct dm_replica_member *m,
			 uint32_t n)
{
	char name[REPLICA_NAME_LEN];

	replica_name(name, g->relationship_name, n);
	out_section(NULL, "member %u: %s", n, name);
	out_u64("n", NULL, n);
	out_str("replica", NULL, name);
	out_str("source_name", "SourceName", m->source_name);
	out_dev("source", "Source", &m->source);
	out_dev("source_dev", "SourceDevice", &m->source_dev);
	out_u64("sectors", "Sectors", m->sectors);
	out_value("copy_state", "CopyState", &copy_states, m->copy_state);
	out_u64("copied_chunks", "CopiedChunks", m->copied_chunks);
	if (is_clone(g))
		out_percent("PercentCopied", percent_of(m->copied_chunks, member_chunks(g, m)),
			    m->copied_chunks, member_chunks(g, m));
	out_end();
}

/* Every field of a group, then its members. */
static void group_print(const struct dm_replica_group *g, const struct dm_replica_member *m)
{
	uint64_t copied, chunks;
	uint32_t i;

	out_section(NULL, "group %u: %s", g->group_id, g->relationship_name);
	out_u64("group_id", NULL, g->group_id);
	out_str("relationship_name", NULL, g->relationship_name);
	out_str("source_group_name", "SourceGroupName", g->source_group_name);
	out_str("target_group", "TargetGroup", g->target_group);
	out_value("sync_type", "SyncType", &sync_types, g->sync_type);
	out_value("mode", "Mode", &modes, g->mode);
	out_value("consistency", "Consistency", &consistencies, g->consistency);
	out_value("copy_state", "CopyState", &copy_states, g->copy_state);
	out_str("broken_reason", "BrokenReason", g->broken_reason);
	/* A restore that did not complete: the sources may be partly restored. */
	out_bool("restore_incomplete", "RestoreIncomplete",
		 g->flags & DM_REPLICA_GROUP_RESTORE_INCOMPLETE);
	/* Dissolve ended its association with its sources. */
	out_bool("dissolved", "Dissolved", g->flags & DM_REPLICA_GROUP_DISSOLVED);
	out_dev("pool", "Pool", &g->pool);
	out_u64("chunk_sectors", "ChunkSectors", g->chunk_sectors);
	out_u64("pool_used_chunks", "PoolUsedChunks", g->pool_used_chunks);
	out_u64("pool_total_chunks", "PoolTotalChunks", g->pool_total_chunks);
	out_u64("group_chunks", "GroupChunks", g->group_chunks);
	if (is_clone(g)) {
		group_copied(g, m, &copied, &chunks);
		out_percent("PercentCopied", percent_of(copied, chunks), copied, chunks);
	}
	out_duration("barrier_hold_ns", "BarrierHold", g->barrier_hold_ns);
	out_time("created_ns", "PointInTime", g->created_ns);
	out_u64("job_id", "Job", g->job_id);
	out_u64("nr_members", "Members", g->nr_members);
	out_list("members", NULL);
	for (i = 0; i < g->nr_members && i < DM_REPLICA_MAX_MEMBERS; i++)
		member_print(g, &m[i], i + 1);
	out_list_end();
	out_end();
}

static int group_show_run(struct ctx *ctx, int argc, char **argv)
{
	struct dm_replica_member m[DM_REPLICA_MAX_MEMBERS];
	struct dm_replica_group g;
	uint32_t id;
	int r;

	(void)argc;
	r = group_start(ctx, argv, &id);
	if (r)
		return r;
	r = group_get(ctx, id, &g, m, DM_REPLICA_MAX_MEMBERS);
	if (!r)
		group_print(&g, m);
	return r;
}

/* Remove the replica devices of @g that exist; @removed[n - 1] for each. */
int group_remove_replicas(const struct dm_replica_group *g, bool *removed)
{
	char name[REPLICA_NAME_LEN];
	uint32_t n;
	int exists;

	mapper_setup();
	for (n = 1; n <= g->nr_members && n <= DM_REPLICA_MAX_MEMBERS; n++) {
		replica_name(name, g->relationship_name, n);
		exists = mapper_exists(name);
		if (exists < 0) {
			err("cannot tell whether the replica device %s exists", name);
			return DM_REPLICA_RET_FAILED;
		}
		if (!exists || !is_replica_of(name, g, n, false))
			continue;
		if (mapper_remove(name)) {
			err("cannot remove the replica device %s (is it open?)", name);
			return DM_REPLICA_RET_IN_USE;
		}
		removed[n - 1] = true;
	}
	return 0;
}

/*
 * The "removed" list and, in text, what was done. The caller opens the
 * object, so that modify-sync can put its own fields before.
 */
void group_deletion_print(const struct group_deletion *d)
{
	const struct dm_replica_group *g = &d->g;
	char name[REPLICA_NAME_LEN];
	uint32_t n;

	out_list("removed", NULL);
	for (n = 1; n <= g->nr_members && n <= DM_REPLICA_MAX_MEMBERS; n++) {
		if (!d->removed[n - 1])
			continue;
		replica_name(name, g->relationship_name, n);
		out_str(NULL, NULL, name);
		if (!out_is_json())
			printf("removed %s\n", name);
	}
	out_list_end();
	if (!out_is_json())
		printf("group %u returned to the pool (job %" PRIu64 ")\n", g->group_id, d->job_id);
}

/*
 * Return To ResourcePool of group @id, with the control device open. The
 * replica devices go first: the module refuses to delete a group in use.
 * @what names the command in messages. Returns an exit code.
 */
int group_delete(struct ctx *ctx, uint32_t id, const char *what, struct group_deletion *d)
{
	int r;

	memset(d, 0, sizeof(*d));
	r = group_get(ctx, id, &d->g, NULL, 0);
	if (!r)
		r = group_remove_replicas(&d->g, d->removed);
	if (!r)
		r = group_return_to_pool(ctx, id, what, &d->job_id);
	return r;
}

static int group_delete_run(struct ctx *ctx, int argc, char **argv)
{
	struct group_deletion d;
	uint32_t id;
	int r;

	(void)argc;
	r = group_start(ctx, argv, &id);
	if (r)
		return r;
	r = group_delete(ctx, id, "group delete", &d);
	if (r)
		return r;
	out_begin(NULL);
	out_u64("group_id", NULL, d.g.group_id);
	out_u64("job_id", NULL, d.job_id);
	group_deletion_print(&d);
	out_end();
	return 0;
}

/* Where a run of chunks changed, as changed-chunks prints it. */
static const char *changed_on(uint32_t sides)
{
	if (sides & DM_REPLICA_CHANGED_UNKNOWN)
		return "unknown";
	if ((sides & DM_REPLICA_CHANGED_SOURCE) && (sides & DM_REPLICA_CHANGED_REPLICA))
		return "both";
	return sides & DM_REPLICA_CHANGED_SOURCE ? "source" : "replica";
}

/*
 * The chunks of one clone changed since its point in time, at its source
 * or at the replica, as JSON (whatever --json says: it is read by
 * programs, a backup tool copying only what changed): the chunk size, and
 * the runs of changed chunks in order, in chunks and in bytes. The module
 * is asked a page of runs at a time.
 */
static int group_changed_run(struct ctx *ctx, int argc, char **argv)
{
	static struct dm_replica_range ranges[256];
	struct dm_replica_changed req;
	uint64_t v, member, start = 0, bytes = 0;
	bool header = false, first = true, known = true;
	uint32_t id, i;
	int r;

	(void)argc;
	if (parse_id(argv[1], "member", DM_REPLICA_MAX_MEMBERS, &member))
		return EXIT_USAGE;
	if (parse_id(argv[0], "group id", UINT32_MAX, &v))
		return EXIT_USAGE;
	id = (uint32_t)v;
	r = ctl_open(ctx, DM_REPLICA_FEAT_CHANGES);
	if (r)
		return r;
	do {
		REQ_INIT(&req);
		req.group_id = id;
		req.member = (uint32_t)member;
		req.start = start;
		req.ranges = (uintptr_t)ranges;
		req.ranges_cap = sizeof(ranges) / sizeof(ranges[0]);
		r = ctl_call(ctx, DM_REPLICA_IOC_CHANGED_CHUNKS, &req.hdr, "group changed-chunks");
		if (r)
			return r;
		if (!header) {
			header = true;
			bytes = (uint64_t)req.chunk_sectors << 9;
			printf("{\"group_id\":%" PRIu32 ",\"member\":%" PRIu64
			       ",\"chunk_bytes\":%" PRIu64 ",\"chunks\":%" PRIu64 ",\"ranges\":[",
			       id, member, bytes, (uint64_t)req.nr_chunks);
		}
		for (i = 0; i < req.nr_ranges; i++) {
			const struct dm_replica_range *x = &ranges[i];

			known &= !(x->sides & DM_REPLICA_CHANGED_UNKNOWN);
			printf("%s{\"start_chunk\":%" PRIu64 ",\"chunk_count\":%" PRIu64
			       ",\"offset\":%" PRIu64 ",\"length\":%" PRIu64
			       ",\"changed_on\":\"%s\"}",
			       first && !i ? "" : ",", (uint64_t)x->start, (uint64_t)x->count,
			       (uint64_t)x->start * bytes, (uint64_t)x->count * bytes,
			       changed_on(x->sides));
		}
		first &= !req.nr_ranges;
		start = req.next;
	} while (start < req.nr_chunks);
	printf("],\"known\":%s}\n", known ? "true" : "false");
	return 0;
}

const struct cmd cmd_group_list = {
	.name = "group",
	.sub = "list",
	.synopsis = "",
	.summary = "List the groups: id, RelationshipName, SyncType, CopyState, members, "
		   "chunks used and how long writes were held.",
	.run = group_list_run,
};

const struct cmd cmd_group_show = {
	.name = "group",
	.sub = "show",
	.synopsis = "ID",
	.summary = "Print every field of a group and of each of its members.",
	.min_args = 1,
	.max_args = 1,
	.run = group_show_run,
};

const struct cmd cmd_group_delete = {
	.name = "group",
	.sub = "delete",
	.synopsis = "ID",
	.summary = "Remove the group's replica devices, then ModifyReplicaSynchronization "
		   "Return To ResourcePool (19): the group's chunks go back to the pool.",
	.min_args = 1,
	.max_args = 1,
	.run = group_delete_run,
};

const struct cmd cmd_group_changed = {
	.name = "group",
	.sub = "changed-chunks",
	.synopsis = "ID MEMBER",
	.summary = "Print, as JSON, the chunks of clone MEMBER (1, 2, ...) of the group "
		   "written since its point in time, at its source or at the replica, as runs "
		   "(start_chunk, chunk_count, offset and length in bytes, changed_on: source, "
		   "replica, both, or unknown when the module cannot tell). \"known\" is false "
		   "when it cannot: every chunk is then listed.",
	.min_args = 2,
	.max_args = 2,
	.run = group_changed_run,
};
