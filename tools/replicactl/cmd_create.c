// SPDX-License-Identifier: GPL-2.0
/*
 * replicactl create-group-replica: CreateGroupReplicaFromElements.
 *
 * The options are named after the method's parameters and fill struct
 * dm_replica_create_group as they are parsed. The command then waits for
 * the job the call started, and creates one dm device per member of the
 * new group: <RelationshipName>_<n>, on the replica target.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "replicactl.h"

struct create_args {
	struct dm_replica_create_group req;
	char *sources;		/* comma-separated, every --source-elements and argument */
	const char *target_pool;
	char *settings;		/* comma-separated, every --replication-setting-data */
	char *goal;		/* likewise, --target-setting-goal */
	const char *source_access_point;
	const char *target_access_point;
	bool no_devices;
};

static struct create_args create_args = {
	.req.sync_type = DM_REPLICA_SYNC_SNAPSHOT,
};

/* The resolved sources: the user's words and their numbers, in order. */
struct sources {
	unsigned int n;
	char **arg;
	struct dm_replica_dev *dev;
};

#define A(field)	offsetof(struct create_args, field)

/*
 * --copy-rate: KiB/s, or with a k, m or g suffix KiB/s, MiB/s or GiB/s;
 * appended to the settings as copy_rate=<KiB/s>. Its range is the
 * kernel's to check, so that its message names the key.
 */
static int opt_copy_rate(const struct opt_spec *s, const char *arg, void *field)
{
	static const struct { const char *suffix; unsigned int shift; } units[] = {
		{ "", 0 }, { "k", 0 }, { "m", 10 }, { "g", 20 },
	};
	size_t i, len = strspn(arg, "0123456789");
	char num[24], item[48];
	uint64_t v;

	for (i = 0; i < ARRAY_SIZE(units); i++)
		if (!strcasecmp(arg + len, units[i].suffix))
			break;
	if (!len || len >= sizeof(num) || i == ARRAY_SIZE(units)) {
		err("--%s: '%s' is not a number of KiB/s (or of MiB/s, GiB/s with m, g)",
		    s->name, arg);
		return -1;
	}
	memcpy(num, arg, len);
	num[len] = '\0';
	if (parse_uint(num, UINT64_MAX >> units[i].shift, &v)) {
		err("--%s: '%s' is too large", s->name, arg);
		return -1;
	}
	snprintf(item, sizeof(item), "copy_rate=%" PRIu64, v << units[i].shift);
	return list_append(field, item);
}

/* --copy-priority: a CopyPriority, appended to the settings as copy_priority=N. */
static int opt_copy_priority(const struct opt_spec *s, const char *arg, void *field)
{
	char item[32];
	uint16_t v;

	if (opt_value(s, arg, &v))
		return -1;
	snprintf(item, sizeof(item), "copy_priority=%u", v);
	return list_append(field, item);
}

static const struct opt_spec create_opts[] = {
	OPT("relationship-name", "NAME",
	    "RelationshipName; the replicas are named NAME_1, NAME_2... Absent: one is generated.",
	    opt_name, A(req.relationship_name)),
	OPT_VALUES("sync-type", "TYPE",
		   "SyncType: Mirror (6), Snapshot (7) or Clone (8): a copy of every chunk "
		   "into the pool, usable at once, filled in the background. Default: snapshot.",
		   sync_types, A(req.sync_type)),
	OPT_VALUES("mode", "MODE",
		   "Mode: Synchronous (2) or Asynchronous (3). Absent (0): the module decides.",
		   modes, A(req.mode)),
	OPT("source-elements", "DEV[,DEV...]",
	    "SourceElements: replica-source dm devices, by path or dm name. May be repeated; "
	    "sources may also be given as arguments.",
	    opt_list, A(sources)),
	OPT("source-group-name", "NAME", "SourceGroupName. Absent: one is generated.",
	    opt_name, A(req.source_group_name)),
	OPT("target-group", "NAME",
	    "TargetGroup: an existing target group to use. Absent: one is created.",
	    opt_name, A(req.target_group)),
	OPT_VALUES("consistency", "CONSISTENCY",
		   "Consistency: No Consistency (2) or Sequential Consistency (3). "
		   "Absent (0): sequential.",
		   consistencies, A(req.consistency)),
	OPT("replication-setting-data", "KEY=VALUE[,...]",
	    "ReplicationSettingData: barrier_timeout_ms=MS, and for a clone copy_rate=KIB_PER_S "
	    "and copy_priority=1|2|3. May be repeated.",
	    opt_list, A(settings)),
	OPT("copy-rate", "KIB_PER_S",
	    "Clone: the most the background copy reads per second, group-wide, in KiB (or "
	    "MiB, GiB with m, g); 0: no limit (the default). Adds copy_rate= to the settings.",
	    opt_copy_rate, A(settings)),
	{ .name = "copy-priority", .arg = "PRIORITY",
	  .help = "Clone: CopyPriority of the background copy against the I/O of the sources "
		  "and clones: low (1) copies only while they are idle, same (2, the default) "
		  "one chunk at a time while they are busy, high (3) at full depth always. Adds "
		  "copy_priority= to the settings.",
	  .parse = opt_copy_priority, .offset = A(settings), .values = &copy_priorities },
	OPT("target-setting-goal", "KEY=VALUE[,...]", "TargetSettingGoal. May be repeated.",
	    opt_list, A(goal)),
	OPT("target-pool", "DEV",
	    "TargetPool: the replica-pool dm device the replicas draw from. Required, unless "
	    "--target-group is given.",
	    opt_string, A(target_pool)),
	OPT_VALUES("wait-for-copy-state", "STATE",
		   "WaitForCopyState: the call returns once this CopyState is reached; "
		   "initialized, unsynchronized, synchronized and inactive make sense, and "
		   "a snapshot is synchronized once its point in time is taken. Absent (0): "
		   "the call returns with a job started, which the command waits for. A "
		   "clone is unsynchronized from its point in time, synchronized once "
		   "copied: the command makes its devices at the point in time, and with "
		   "synchronized (or --mode synchronous) follows the copy to its end.",
		   copy_states, A(req.wait_for_copy_state)),
	OPT("source-access-point", "TEXT", "SourceAccessPoint (passed on; not supported).",
	    opt_string, A(source_access_point)),
	OPT("target-access-point", "TEXT", "TargetAccessPoint (passed on; not supported).",
	    opt_string, A(target_access_point)),
	OPT("no-replica-devices", NULL, "Do not create the replica dm devices.",
	    opt_flag, A(no_devices)),
};

/* Split the source list into @s; an empty element is a usage error. */
static int sources_split(char *list, struct sources *s)
{
	char *p, *save = NULL;
	unsigned int n = 1;

	for (p = list; *p; p++)
		n += *p == ',';
	s->arg = calloc(n, sizeof(*s->arg));
	s->dev = calloc(n, sizeof(*s->dev));
	if (!s->arg || !s->dev) {
		err("out of memory");
		return -1;
	}
	if (!*list || *list == ',' || strstr(list, ",,") || list[strlen(list) - 1] == ',') {
		err("--source-elements: an empty element in '%s'", list);
		return -1;
	}
	for (p = strtok_r(list, ",", &save); p; p = strtok_r(NULL, ",", &save))
		s->arg[s->n++] = p;
	return 0;
}

/*
 * Resolve every source, in order; the count is the kernel's to check.
 * A device that does not exist is an Invalid Parameter, as the kernel
 * would say of one that is not a source.
 */
static int sources_resolve(struct sources *s)
{
	char what[32];
	unsigned int i;

	for (i = 0; i < s->n; i++) {
		snprintf(what, sizeof(what), "SourceElements[%u]", i);
		if (dev_number(what, s->arg[i], &s->dev[i]))
			return DM_REPLICA_RET_INVALID_PARAM;
	}
	return 0;
}

/* The user's word for the source of member @m, or the kernel's name. */
static const char *source_word(const struct sources *s, const struct dm_replica_member *m)
{
	unsigned int i;

	for (i = 0; i < s->n; i++)
		if (s->dev[i].major == m->source.major && s->dev[i].minor == m->source.minor)
			return s->arg[i];
	return m->source_name;
}

/* Point the request at the strings; 0 pointers where they were not given. */
static void create_pointers(struct create_args *a, const struct sources *s)
{
	struct dm_replica_create_group *req = &a->req;

	req->nr_sources = s->n;
	req->sources = (uintptr_t)s->dev;
	if (a->settings) {
		req->settings = (uintptr_t)a->settings;
		req->settings_len = (uint32_t)strlen(a->settings) + 1;
	}
	if (a->goal) {
		req->target_setting_goal = (uintptr_t)a->goal;
		req->target_setting_goal_len = (uint32_t)strlen(a->goal) + 1;
	}
	req->source_access_point = (uintptr_t)a->source_access_point;
	req->target_access_point = (uintptr_t)a->target_access_point;
}

/*
 * A clone is usable from its point in time on, while the job copies it
 * into the pool. So the call is asked to return at the point in time
 * (WaitForCopyState Unsynchronized), the replica devices are made then,
 * and when the user asked to wait for the copy (WaitForCopyState
 * Synchronized, or Mode Synchronous without a WaitForCopyState) the
 * command follows the job itself, with a progress bar: the call would
 * otherwise block until the copy is done, with nothing to show. Any other
 * WaitForCopyState goes to the kernel as given. Returns true when the
 * command is to follow the copy.
 */
static bool clone_request(struct dm_replica_create_group *req)
{
	bool follow;

	if (req->sync_type != DM_REPLICA_SYNC_CLONE)
		return false;
	follow = req->wait_for_copy_state == DM_REPLICA_COPY_SYNCHRONIZED ||
		 (!req->wait_for_copy_state && req->mode == DM_REPLICA_MODE_SYNCHRONOUS);
	if (follow || !req->wait_for_copy_state)
		req->wait_for_copy_state = DM_REPLICA_COPY_UNSYNCHRONIZED;
	return follow;
}

/* The JobState of job @id, or 0 when it cannot be read. */
static unsigned int job_state(struct ctx *ctx, uint64_t id)
{
	struct dm_replica_job j;

	REQ_INIT(&j);
	j.job_id = id;
	return ctl_try(ctx, DM_REPLICA_IOC_JOB_GET, &j.hdr) ? 0 : j.job_state;
}

/* Issue the request, and wait for its job. Returns an exit code. */
static int create_call(struct ctx *ctx, struct dm_replica_create_group *req,
		       struct dm_replica_job *j)
{
	bool done;
	int r;

	/* The options filled the request; only its header is left. */
	req->hdr.size = sizeof(*req);
	r = ctl_call(ctx, DM_REPLICA_IOC_CREATE_GROUP, &req->hdr, "create-group-replica");
	if (r)
		return r;
	if (req->hdr.result != DM_REPLICA_RET_JOB_STARTED) {
		/* A clone's job goes on copying after the call. */
		done = req->sync_type != DM_REPLICA_SYNC_CLONE ||
		       job_state(ctx, req->job_id) == DM_REPLICA_JOB_COMPLETED;
		if (!out_is_json()) {
			printf("job %" PRIu64 " %s\n", (uint64_t)req->job_id,
			       done ? "completed" : "started");
			fflush(stdout);
		}
		return 0;
	}
	if (!out_is_json()) {
		printf("job %" PRIu64 " started\n", (uint64_t)req->job_id);
		/* Whoever reads this may act on the job while it runs. */
		fflush(stdout);
	}
	r = job_finish(ctx, req->job_id, j);
	/* The group may only be known once the job has formed it. */
	if (!r && !req->group_id)
		req->group_id = j->group_id;
	return r;
}

/*
 * Are the replica device names free? Checked before the request, so that
 * a name taken leaves nothing behind. Only possible when the user gave
 * the RelationshipName; a generated one is checked by the creation
 * itself, and undone (create_undo()). Returns an exit code.
 */
static int create_names_free(const char *rel, unsigned int nr)
{
	char name[REPLICA_NAME_LEN];
	unsigned int i;
	int r = 0, exists;

	mapper_setup();
	for (i = 1; i <= nr; i++) {
		replica_name(name, rel, i);
		if (strlen(name) >= MAPPER_NAME_LEN) {
			err("RelationshipName: the replica device name %s is longer than the %d "
			    "characters of a dm name; nothing was created", name,
			    MAPPER_NAME_LEN - 1);
			return DM_REPLICA_RET_INVALID_PARAM;
		}
		exists = mapper_exists(name);
		if (exists < 0) {
			err("cannot tell whether a dm device %s exists", name);
			return DM_REPLICA_RET_FAILED;
		}
		if (exists) {
			err("RelationshipName: the replica device name %s is taken by an existing "
			    "dm device; nothing was created", name);
			r = DM_REPLICA_RET_IN_USE;
		}
	}
	return r;
}

/*
 * A replica device could not be created after the point in time: remove
 * those made (@made of them) and delete the group again, so that nothing
 * is left holding the sources. Returns an exit code.
 */
static int create_undo(struct ctx *ctx, const char *rel, const struct dm_replica_group *g,
		       uint32_t made)
{
	char name[REPLICA_NAME_LEN];
	uint64_t job_id = 0;
	uint32_t i;
	int r;

	for (i = made; i > 0; i--) {
		replica_name(name, rel, i);
		if (mapper_remove(name))
			err("cannot remove the replica device %s", name);
	}
	r = group_return_to_pool(ctx, g->group_id, "group delete", &job_id);
	if (r) {
		err("group %u stays, without replica devices: 'group delete %u' deletes it",
		    g->group_id, g->group_id);
		return r;
	}
	err("group %u deleted again (job %" PRIu64 "): its replica devices could not all be "
	    "created", g->group_id, job_id);
	return DM_REPLICA_RET_FAILED;
}

/* One replica device per member; on failure, none and no group. Returns an exit code. */
static int create_replicas(struct ctx *ctx, const char *rel, const struct dm_replica_group *g,
			   const struct dm_replica_member *m)
{
	uint32_t i;

	mapper_setup();
	for (i = 0; i < g->nr_members; i++)
		if (replica_create(rel, g, &m[i], i + 1))
			return create_undo(ctx, rel, g, i);
	return 0;
}

static void create_summary(const struct create_args *a, const struct sources *s,
			   const struct dm_replica_group *g, const struct dm_replica_member *m,
			   const char *rel)
{
	char name[REPLICA_NAME_LEN], hold[32];
	uint32_t i;

	out_begin(NULL);
	out_u64("job_id", NULL, a->req.job_id);
	out_u64("group_id", NULL, g->group_id);
	out_str("relationship_name", NULL, rel);
	out_str("source_group_name", NULL, g->source_group_name);
	out_str("target_group", NULL, g->target_group);
	out_value("copy_state", NULL, &copy_states, g->copy_state);
	out_u64("barrier_hold_ns", NULL, g->barrier_hold_ns);
	out_bool("replica_devices", NULL, !a->no_devices);
	if (!out_is_json())
		printf("group %u %s: %s, writes held %s\n", g->group_id, rel,
		       value_name(&copy_states, g->copy_state),
		       fmt_duration(g->barrier_hold_ns, hold, sizeof(hold)));
	out_list("replicas", NULL);
	for (i = 0; i < g->nr_members; i++) {
		const char *source = source_word(s, &m[i]);

		replica_name(name, rel, i + 1);
		out_begin(NULL);
		out_u64("n", NULL, i + 1);
		out_str("name", NULL, name);
		out_str("source", NULL, source);
		out_str("source_name", NULL, m[i].source_name);
		out_end();
		if (!out_is_json())
			printf("  %s <- %s%s\n", name, source,
			       a->no_devices ? " (no device created)" : "");
	}
	out_list_end();
	out_end();
}

/* The checks of the command line, before anything is asked of the kernel. */
static int create_usage(struct create_args *a, int argc, char **argv, struct sources *s)
{
	int i;

	for (i = 0; i < argc; i++)
		if (list_append(&a->sources, argv[i]))
			return DM_REPLICA_RET_FAILED;
	if (!a->sources) {
		err("no source: give --source-elements DEV[,DEV...] or DEV arguments");
		return EXIT_USAGE;
	}
	/* TargetPool must be absent with a TargetGroup: let the kernel judge that. */
	if (!a->target_pool && !a->req.target_group[0]) {
		err("--target-pool is required");
		return EXIT_USAGE;
	}
	return sources_split(a->sources, s) ? EXIT_USAGE : 0;
}

/*
 * Follow the copy of clone group @g to its end, with a progress bar, then
 * read the group again. Returns an exit code: 0 when every clone is
 * Synchronized, the job's error otherwise (the replica devices stay: the
 * clones are usable, and a copy stopped resumes at the next re-assembly).
 */
static int clone_follow(struct ctx *ctx, const struct create_args *a,
			struct dm_replica_group *g, struct dm_replica_member *m)
{
	struct dm_replica_job j;
	int r;

	r = job_finish(ctx, a->req.job_id, &j);
	if (r) {
		err("group %u stays, %s: 'replicactl group show %u' shows its clones", g->group_id,
		    a->no_devices ? "without replica devices" : "with its replica devices",
		    g->group_id);
		return r;
	}
	r = group_get(ctx, g->group_id, g, m, DM_REPLICA_MAX_MEMBERS);
	if (!r && g->nr_members > DM_REPLICA_MAX_MEMBERS)
		g->nr_members = DM_REPLICA_MAX_MEMBERS;
	return r;
}

/* Resolve the devices, call, wait, make the replica devices, report. */
static int create(struct ctx *ctx, struct create_args *a, struct sources *s)
{
	struct dm_replica_member m[DM_REPLICA_MAX_MEMBERS];
	struct dm_replica_group g;
	struct dm_replica_job j;
	unsigned int state;
	const char *rel;
	bool follow;
	int r;

	r = ctl_open(ctx, DM_REPLICA_FEAT_SNAPSHOT);
	if (!r)
		r = sources_resolve(s);
	if (r)
		return r;
	if (a->target_pool && dev_number("TargetPool", a->target_pool, &a->req.target_pool))
		return DM_REPLICA_RET_INVALID_PARAM;
	/* A name with '/' is no dm name: the kernel refuses it, with a message. */
	if (!a->no_devices && a->req.relationship_name[0] &&
	    !strchr(a->req.relationship_name, '/')) {
		r = create_names_free(a->req.relationship_name, s->n);
		if (r)
			return r;
	}
	create_pointers(a, s);
	follow = clone_request(&a->req);

	r = create_call(ctx, &a->req, &j);
	if (!r)
		r = group_get(ctx, a->req.group_id, &g, m, DM_REPLICA_MAX_MEMBERS);
	if (r)
		return r;
	if (g.nr_members > DM_REPLICA_MAX_MEMBERS)
		g.nr_members = DM_REPLICA_MAX_MEMBERS;
	/* The name the kernel answered with: it generates one when none was given. */
	rel = a->req.relationship_name[0] ? a->req.relationship_name : g.relationship_name;
	if (!a->no_devices) {
		r = create_replicas(ctx, rel, &g, m);
		if (r)
			return r;
	}
	if (follow) {
		r = clone_follow(ctx, a, &g, m);
		if (r)
			return r;
	}
	create_summary(a, s, &g, m, rel);
	state = g.sync_type == DM_REPLICA_SYNC_CLONE ? job_state(ctx, a->req.job_id) : 0;
	if (state && state < DM_REPLICA_JOB_COMPLETED && !out_is_json())
		printf("job %" PRIu64 " copies the clones in the background: "
		       "'replicactl job wait %" PRIu64 "' follows it\n",
		       (uint64_t)a->req.job_id, (uint64_t)a->req.job_id);
	return 0;
}

static int create_run(struct ctx *ctx, int argc, char **argv)
{
	struct sources s = { 0 };
	int r;

	r = create_usage(&create_args, argc, argv, &s);
	if (!r)
		r = create(ctx, &create_args, &s);
	free(s.arg);
	free(s.dev);
	return r;
}

const struct cmd cmd_create = {
	.name = "create-group-replica",
	.synopsis = "--target-pool DEV --source-elements DEV[,DEV...] [options] [DEV...]",
	.summary = "CreateGroupReplicaFromElements: replicas of the sources, all at one point in "
		   "time, drawn from the pool; waits for the job, then creates the replica "
		   "devices <RelationshipName>_<n>. A clone's devices are made at its point in "
		   "time; its copy is followed to the end when waited for.",
	.opts = create_opts,
	.nr_opts = ARRAY_SIZE(create_opts),
	.args = &create_args,
	.max_args = ~0u,
	.run = create_run,
};
