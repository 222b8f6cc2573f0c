/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dm-replica: groups, as the targets and the control device see them.
 *
 * A group is the N sources of one CreateGroupReplicaFromElements request,
 * their N replicas and the point in time that binds them. Its state lives
 * in group.c; the record of it in the pool's metadata. group.c never sees
 * the user's structs: control.c translates them to and from the ones
 * below.
 */
#ifndef DM_REPLICA_GROUP_H
#define DM_REPLICA_GROUP_H

#include <linux/types.h>

#include <uapi/linux/dm-replica.h>

#include "request.h"

struct dmr_job;
struct dmr_member;
struct dmr_rep_engine;

/* replica.c: the member @n (from 1) of group @group_id in the pool shown
 * by the dm device @pool_devt.
 */
struct dmr_member *dmr_member_get(dev_t pool_devt, u32 group_id, unsigned int n,
				  char **error);
void dmr_member_put(struct dmr_member *m);
struct dmr_rep_engine *dmr_member_engine(struct dmr_member *m);
/* The device under the member's source; 0 when it is not there (a clone
 * whose copy ended needs none).
 */
dev_t dmr_member_origin(struct dmr_member *m);
sector_t dmr_member_sectors(struct dmr_member *m);
u32 dmr_member_chunk_sectors(struct dmr_member *m);
u16 dmr_member_copy_state(struct dmr_member *m);

/*
 * The commands, as control.c hands them over once it has checked and
 * translated the user's structs (it alone speaks those). Messages go to
 * @msg: the reason of a refusal, naming the field at fault. May sleep.
 */

/* A device as the request numbers it; group.c checks it is a dev_t. */
struct dmr_dev_nr {
	u32 major;
	u32 minor;
};

/*
 * struct dmr_create_req - CreateGroupReplicaFromElements, checked by
 * dmr_check_create()
 * @params:    what dmr_check_create() made of mode, consistency, settings.
 * @sync_type: SyncType.
 * @pool:      TargetPool.
 * @sources:   SourceElements, @nr_sources of them (1 to the maximum).
 * @relationship_name, @source_group_name, @target_group: in: the names
 *             asked for, "" for made up; out: the group's names.
 * @group_id, @nr_replicas: out, when the creation started.
 */
struct dmr_create_req {
	struct dmr_create_params params;
	u16 sync_type;
	struct dmr_dev_nr pool;
	unsigned int nr_sources;
	struct dmr_dev_nr sources[DM_REPLICA_MAX_MEMBERS];
	char relationship_name[DM_REPLICA_NAME_LEN];
	char source_group_name[DM_REPLICA_NAME_LEN];
	char target_group[DM_REPLICA_NAME_LEN];
	u32 group_id;
	u32 nr_replicas;
};

/*
 * Start the creation of a group as @job, which it ends. Returns 0 when the
 * creation started (the group holds its own reference to @job), else the
 * SMI-S result of the refusal; @job is the caller's to end then.
 */
u32 dmr_group_create(struct dmr_create_req *req, struct dmr_job *job, char *msg, size_t len);

/* The ids of the groups, up to @cap of them; returns how many there are. */
u32 dmr_group_ids(u32 *ids, u32 cap);

/*
 * struct dmr_member_info - one member as GROUP_GET shows it
 * @source:     the replica-source device, 0 while it is absent.
 * @source_dev: the device under it, 0 until it has been seen.
 * @sectors:    the source's size at the point in time.
 */
struct dmr_member_info {
	dev_t source;
	dev_t source_dev;
	u64 sectors;
	u16 copy_state;
	u64 copied_chunks;
	char source_name[DM_REPLICA_NAME_LEN];
};

/*
 * struct dmr_group_info - a group as GROUP_GET shows it
 * @group_chunks: the members' copied chunks, all of them counted.
 */
struct dmr_group_info {
	u32 nr_members;
	u16 sync_type;
	u16 mode;
	u16 consistency;
	u16 copy_state;
	dev_t pool;
	u32 chunk_sectors;
	u64 pool_used_chunks;
	u64 pool_total_chunks;
	u64 group_chunks;
	u64 barrier_hold_ns;
	u64 created_ns;
	u64 job_id;
	u32 flags;	/* DM_REPLICA_GROUP_* */
	char relationship_name[DM_REPLICA_NAME_LEN];
	char source_group_name[DM_REPLICA_NAME_LEN];
	char target_group[DM_REPLICA_NAME_LEN];
	char broken_reason[DM_REPLICA_MESSAGE_LEN];
};

/*
 * Describe group @id, and its first @cap members in @members. -ENOENT
 * when there is no such group.
 */
int dmr_group_info(u32 id, struct dmr_group_info *info, struct dmr_member_info *members,
		   u32 cap);

/*
 * Return To ResourcePool: delete group @id as @job, which the caller ends.
 * The job is started once the deletion is under way. Returns the SMI-S
 * result.
 */
u32 dmr_group_delete(u32 id, struct dmr_job *job, char *msg, size_t len);
/*
 * Resync Replica: a new point in time for every member of group @id, the
 * old one let go. Refused while a replica device uses the group. A clone
 * group then copies, as @job (4096), the chunks changed on either side
 * since the old point in time, and keeps the others. Returns the
 * standard's value, @msg says what happened.
 */
u32 dmr_group_resync(u32 id, struct dmr_job *job, char *msg, size_t len);
/*
 * Restore From Replica: copy group @id's replicas back onto their sources,
 * as @job, which it ends. Refused (In Use) while a source is open, unless
 * @force. Returns the standard's value: 4096 once the job runs.
 */
u32 dmr_group_restore(u32 id, bool force, struct dmr_job *job, char *msg, size_t len);
/*
 * Detach: copy Synchronized clone group @id onto the @n devices @targets
 * (one per member) as @job, which it ends, then return the group to the
 * pool; with @wait, the job first waits for a copy still running to end.
 * Returns the standard's value: 4096 once the job runs.
 */
u32 dmr_group_detach(u32 id, const struct dmr_dev_nr *targets, unsigned int n, bool wait,
		     struct dmr_job *job, char *msg, size_t len);
/*
 * Dissolve: Synchronized clone group @id stops being a replica of its
 * sources, durably; its clones stay as they are. Returns the standard's
 * value: Not Supported for a snapshot group, Failed for a clone whose
 * copy has not ended.
 */
u32 dmr_group_dissolve(u32 id, char *msg, size_t len);
/*
 * The refusal of an operation on group @id that needs it to be a replica
 * of its sources (Resync Replica, Restore From Replica, Detach) once it
 * is dissolved: Failed, @msg naming the group. 0 when it is not.
 */
u32 dmr_group_refuse_dissolved(u32 id, char *msg, size_t len);

/* A run of chunks of a member changed since its point in time. */
struct dmr_change_range {
	u64 start;
	u64 count;
	u32 sides;	/* DM_REPLICA_CHANGED_* */
};

/*
 * struct dmr_change_query - the changed chunks of one member
 * @member:  in: 0 to the group's members - 1.
 * @start:   in: the first chunk looked at.
 * @ranges:  in: room for @cap runs; @nr out: the runs found.
 * @next:    out: where the next query starts (@nr_chunks: no more).
 */
struct dmr_change_query {
	u32 member;
	u64 start;
	struct dmr_change_range *ranges;
	u32 cap;
	u32 nr;
	u32 chunk_sectors;
	u64 nr_chunks;
	u64 next;
};

/*
 * The chunks of member @q->member of clone group @id changed at its source
 * or replica since its point in time. Returns the standard's value, with
 * @msg naming the field when it is not 0.
 */
u32 dmr_group_changes(u32 id, struct dmr_change_query *q, char *msg, size_t len);

#endif /* DM_REPLICA_GROUP_H */
