// SPDX-License-Identifier: GPL-2.0
/*
 * replicactl modify-sync: ModifyReplicaSynchronization of a group, by the
 * standard's operation name or number.
 *
 * Return To ResourcePool (19) is what "group delete" does, replica devices
 * first, and shares its code. Resync Replica (14) takes a new point in
 * time, Restore From Replica (15) copies the replicas back onto their
 * sources: for both the replica devices are removed first (the module
 * refuses while one is in use, as their data would change under the
 * operation) and made again after, whatever the answer; a job the module
 * starts is waited for. Any other operation goes to the module as it is,
 * and its answer is printed: the module is the one that knows which
 * operations it carries out (today 19, 14 and 15 on snapshot and clone
 * groups, 8 and 9 on clone groups; the standard's others answer Not
 * Supported, other numbers Invalid Parameter). Detach (8) takes the
 * target devices of --targets, and with --wait a clone group still
 * copying: its job waits for the copy. Dissolve (9) leaves the replica
 * devices as they are: what they read does not change.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "replicactl.h"

struct modify_args {
	uint16_t operation;
	bool given;		/* --operation was given: 0 is a number too */
	bool force;
	bool wait;		/* Detach: wait for a copy still running */
	char *targets;		/* comma-separated, every --targets */
};

/* Detach's target devices, resolved, in order. */
static struct dm_replica_dev detach_targets[DM_REPLICA_MAX_MEMBERS];
static unsigned int nr_detach_targets;

static struct modify_args modify_args;

/* opt_value(), remembering that the option was there. */
static int opt_operation(const struct opt_spec *s, const char *arg, void *field)
{
	modify_args.given = true;
	return opt_value(s, arg, field);
}

static const struct opt_spec modify_opts[] = {
	{ .name = "operation", .arg = "NAME|NUMBER",
	  .help = "The Operation: the standard's name (case, spaces and dashes do not count: "
		  "\"Resync Replica\" or resync-replica) or its number. Return To ResourcePool "
		  "(19), Restore From Replica (15), Resync Replica (14: for a clone group, a "
		  "new point in time and a copy of the chunks changed since the last) and, "
		  "for a clone group, Detach (8) and Dissolve (9) work; the standard's others "
		  "answer Not Supported (1).",
	  .parse = opt_operation, .offset = offsetof(struct modify_args, operation),
	  .values = &sync_operations },
	{ .name = "targets", .arg = "DEV[,DEV...]",
	  .help = "Detach (8) of a clone group: the block devices the clones are copied onto, "
		  "one per member in order, each at least as large as its source. May be "
		  "repeated.",
	  .parse = opt_list, .offset = offsetof(struct modify_args, targets) },
	{ .name = "wait", .help = "Detach (8) of a clone group still copying: instead of the "
				  "refusal, the job waits for the copy to end, then copies the "
				  "clones onto the targets (held from the call on).",
	  .parse = opt_flag, .offset = offsetof(struct modify_args, wait) },
	{ .name = "force", .help = "Restore From Replica (15) even when a source device is open "
				   "(not when it is mounted): what has it open reads the sources "
				   "change under it.",
	  .parse = opt_flag, .offset = offsetof(struct modify_args, force) },
};

/* The module's answer to an operation other than 19. */
static void modify_print(uint32_t id, const struct dm_replica_modify_sync *req)
{
	out_begin(NULL);
	out_u64("group_id", "Group", id);
	out_value("operation", "Operation", &sync_operations, req->operation);
	out_u64("job_id", "Job", req->job_id);
	out_value("return_value", "ReturnValue", &return_values, req->hdr.result);
	out_str("message", "Message", req->hdr.message);
	out_end();
}

static int modify_other(struct ctx *ctx, uint32_t id, uint16_t op)
{
	struct dm_replica_modify_sync req;
	struct dm_replica_job j;
	int r;

	REQ_INIT(&req);
	req.group_id = id;
	req.operation = op;
	if (modify_args.force)
		req.flags |= DM_REPLICA_MODIFY_FORCE;
	if (modify_args.wait)
		req.flags |= DM_REPLICA_MODIFY_WAIT;
	if (nr_detach_targets) {
		req.targets = (uintptr_t)detach_targets;
		req.nr_targets = nr_detach_targets;
	}
	r = ctl_try(ctx, DM_REPLICA_IOC_MODIFY_SYNC, &req.hdr);
	/* Without an answer in the header, there is nothing but the errno to tell. */
	if (r && req.hdr.result == DM_REPLICA_RET_OK)
		return ctl_report(&req.hdr, -r, "modify-sync");
	modify_print(id, &req);
	if (r)
		return ctl_report(&req.hdr, -r, "modify-sync");
	if (req.hdr.result == DM_REPLICA_RET_JOB_STARTED)
		return job_finish(ctx, req.job_id, &j);
	return 0;
}

/*
 * Resync Replica, Restore From Replica, Detach: the group's replica
 * devices that exist are removed, the request sent (its job waited for),
 * and those devices made again (over the new point in time, or over the
 * old one if the module refused), unless a Detach ended: the group is
 * gone then.
 */
static int modify_without_replicas(struct ctx *ctx, uint32_t id, uint16_t op)
{
	static struct dm_replica_member m[DM_REPLICA_MAX_MEMBERS];
	bool removed[DM_REPLICA_MAX_MEMBERS] = { false };
	struct dm_replica_group g;
	uint32_t n;
	int r, r2 = 0;

	r = group_get(ctx, id, &g, m, DM_REPLICA_MAX_MEMBERS);
	if (!r)
		r = group_remove_replicas(&g, removed);
	if (r)
		return r;
	r = modify_other(ctx, id, op);
	/* A Detach that ended returned the group to the pool: no replicas to make. */
	if (op == DM_REPLICA_OP_DETACH && !r)
		return 0;
	for (n = 1; n <= g.nr_members && n <= DM_REPLICA_MAX_MEMBERS; n++)
		if (removed[n - 1] && replica_create(g.relationship_name, &g, &m[n - 1], n))
			r2 = DM_REPLICA_RET_FAILED;
	return r ? r : r2;
}

/* Return To ResourcePool: group delete, with the fields of modify-sync. */
static int modify_return_to_pool(struct ctx *ctx, uint32_t id)
{
	struct group_deletion d;
	int r;

	r = group_delete(ctx, id, "modify-sync", &d);
	if (r)
		return r;
	out_begin(NULL);
	out_u64("group_id", NULL, id);
	out_value("operation", NULL, &sync_operations, DM_REPLICA_OP_RETURN_TO_POOL);
	out_u64("job_id", NULL, d.job_id);
	out_value("return_value", NULL, &return_values, DM_REPLICA_RET_OK);
	group_deletion_print(&d);
	out_end();
	return 0;
}

static int modify_run(struct ctx *ctx, int argc, char **argv)
{
	uint64_t v;
	int r;

	(void)argc;
	if (!modify_args.given) {
		err("modify-sync: --operation is required");
		return EXIT_USAGE;
	}
	if (parse_id(argv[0], "group id", UINT32_MAX, &v))
		return EXIT_USAGE;
	r = ctl_open(ctx, DM_REPLICA_FEAT_SNAPSHOT);
	if (r)
		return r;
	if (modify_args.operation == DM_REPLICA_OP_RETURN_TO_POOL)
		return modify_return_to_pool(ctx, (uint32_t)v);
	if (modify_args.force && modify_args.operation != DM_REPLICA_OP_RESTORE_FROM_REPLICA) {
		err("modify-sync: --force applies to Restore From Replica (15) only");
		return EXIT_USAGE;
	}
	if (modify_args.wait && modify_args.operation != DM_REPLICA_OP_DETACH) {
		err("modify-sync: --wait applies to Detach (8) only");
		return EXIT_USAGE;
	}
	if (modify_args.targets && modify_args.operation != DM_REPLICA_OP_DETACH) {
		err("modify-sync: --targets applies to Detach (8) only");
		return EXIT_USAGE;
	}
	if (modify_args.targets) {
		char *p, *save = NULL, what[32];

		for (p = strtok_r(modify_args.targets, ",", &save); p;
		     p = strtok_r(NULL, ",", &save)) {
			if (nr_detach_targets == DM_REPLICA_MAX_MEMBERS) {
				err("modify-sync: --targets: more than %u devices",
				    DM_REPLICA_MAX_MEMBERS);
				return EXIT_USAGE;
			}
			snprintf(what, sizeof(what), "targets[%u]", nr_detach_targets);
			if (dev_number(what, p, &detach_targets[nr_detach_targets]))
				return DM_REPLICA_RET_INVALID_PARAM;
			nr_detach_targets++;
		}
	}
	if (modify_args.operation == DM_REPLICA_OP_RESYNC_REPLICA ||
	    modify_args.operation == DM_REPLICA_OP_RESTORE_FROM_REPLICA ||
	    modify_args.operation == DM_REPLICA_OP_DETACH)
		return modify_without_replicas(ctx, (uint32_t)v, modify_args.operation);
	return modify_other(ctx, (uint32_t)v, modify_args.operation);
}

const struct cmd cmd_modify_sync = {
	.name = "modify-sync",
	.synopsis = "--operation NAME|NUMBER ID",
	.summary = "ModifyReplicaSynchronization of group ID. Return To ResourcePool (19) "
		   "removes the group's replica devices first, as group delete does; Resync "
		   "Replica (14) takes a new point in time for a snapshot group, Restore From "
		   "Replica (15) copies a snapshot or clone group back onto its sources (as a "
		   "job, waited for), their replica devices removed before and made again "
		   "after; Detach (8) copies a Synchronized clone group onto the devices of "
		   "--targets and returns it to the pool (with --wait, once a copy still running has "
		   "ended); Dissolve (9) ends a Synchronized clone group's association with its "
		   "sources, its replica devices left as they are; any other operation is sent as it is "
		   "and the module's answer printed (today they answer Not Supported).",
	.opts = modify_opts,
	.nr_opts = ARRAY_SIZE(modify_opts),
	.args = &modify_args,
	.min_args = 1,
	.max_args = 1,
	.run = modify_run,
};
