/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * dm-replica control interface.
 *
 * The control device (/dev/dm-replica) takes ioctls whose argument is one
 * of the structs below. Every struct starts with a struct dm_replica_hdr;
 * its @size field, not the size encoded in the ioctl number, says how much
 * of the struct the caller knows about, so that an older or newer
 * replicactl keeps working with this module:
 *
 *  - a caller built against an older header passes a smaller @size; the
 *    fields it does not know are taken as zero;
 *  - a caller built against a newer header passes a larger @size; the
 *    kernel accepts it only if every byte past what it knows is zero.
 *
 * Rules of this ABI:
 *  - commands and fields are only ever appended, never renumbered;
 *  - fields marked "in: must be zero" are rejected with EINVAL when not
 *    zero, so that they can be given a meaning later;
 *  - padding is explicit and must be zero;
 *  - user pointers are carried in __u64 fields;
 *  - results follow the SMI-S replication service (see DM_REPLICA_RET_*):
 *    when the kernel could read the struct and write it back, it writes
 *    back @result and a NUL-terminated @message that names the offending
 *    field, and the ioctl returns the errno of the result: 0 for 0 and
 *    4096, EOPNOTSUPP for 1, EINTR for 2 (an interrupted wait), ETIMEDOUT
 *    for 3, EIO (or ENOMEM) for 4, EINVAL for 5, EBUSY for 6; with 5, a
 *    buffer the struct points to that cannot be read or written gives
 *    EFAULT and bytes past the struct the kernel knows that are not zero
 *    E2BIG;
 *  - a struct the kernel cannot read or write back (read-only memory,
 *    say) gets EFAULT and nothing is done or written; a hdr.size below
 *    the header EINVAL, above a page E2BIG, likewise;
 *  - a non-zero count or length with a NULL pointer is refused (5), as
 *    is a count above its limit.
 * Documentation/dm-replica.rst, "Errors", has the whole table.
 */
#ifndef _UAPI_LINUX_DM_REPLICA_H
#define _UAPI_LINUX_DM_REPLICA_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

/*
 * ABI version. The major number changes only if an existing command or
 * field changes meaning, which this ABI promises never to do; the minor
 * number grows with each appended command, field or feature bit; the patch
 * number marks fixes that do not change the interface.
 */
#define DM_REPLICA_VERSION_MAJOR	1
#define DM_REPLICA_VERSION_MINOR	3
#define DM_REPLICA_VERSION_PATCH	0

/* Name of the misc device, as it appears under /dev. */
#define DM_REPLICA_CONTROL_NAME		"dm-replica"

/* Names of the device-mapper targets. */
#define DM_REPLICA_TARGET_SOURCE	"replica-source"
#define DM_REPLICA_TARGET_REPLICA	"replica"
#define DM_REPLICA_TARGET_POOL		"replica-pool"

/* Length of every name field, including the terminating NUL. */
#define DM_REPLICA_NAME_LEN		128

/*
 * Largest number of source elements in one group, and so the largest
 * dm_replica_group.members_cap.
 */
#define DM_REPLICA_MAX_MEMBERS		64

/* Largest dm_replica_group_list.ids_cap; a larger one is refused (5). */
#define DM_REPLICA_MAX_IDS		4096

/* Length of dm_replica_hdr.message, including the terminating NUL. */
#define DM_REPLICA_MESSAGE_LEN		128

/*
 * Return values of the SMI-S replication service methods, as carried in
 * dm_replica_hdr.result.
 */
#define DM_REPLICA_RET_OK		0	/* Completed with No Error */
#define DM_REPLICA_RET_NOT_SUPPORTED	1	/* Not Supported */
#define DM_REPLICA_RET_UNKNOWN		2	/* Unknown */
#define DM_REPLICA_RET_TIMEOUT		3	/* Timeout */
#define DM_REPLICA_RET_FAILED		4	/* Failed */
#define DM_REPLICA_RET_INVALID_PARAM	5	/* Invalid Parameter */
#define DM_REPLICA_RET_IN_USE		6	/* In Use */
#define DM_REPLICA_RET_JOB_STARTED	4096	/* Method Parameters Checked - Job Started */

/**
 * struct dm_replica_hdr - common head of every control request
 * @size:	in: sizeof() the whole request struct as the caller knows it.
 * @flags:	in: must be zero; no flags are defined yet.
 * @result:	out: the SMI-S return value (DM_REPLICA_RET_*).
 * @reserved:	in: must be zero.
 * @message:	out: NUL-terminated explanation when @result is not
 *		DM_REPLICA_RET_OK; names the field or device at fault.
 */
struct dm_replica_hdr {
	__u32 size;
	__u32 flags;
	__u32 result;
	__u32 reserved;
	char message[DM_REPLICA_MESSAGE_LEN];
};

/* SyncType of CreateGroupReplicaFromElements. */
#define DM_REPLICA_SYNC_MIRROR		6
#define DM_REPLICA_SYNC_SNAPSHOT	7
#define DM_REPLICA_SYNC_CLONE		8

/* Mode: how the targets are updated. 0 in a request: absent. */
#define DM_REPLICA_MODE_SYNCHRONOUS	2
#define DM_REPLICA_MODE_ASYNCHRONOUS	3

/* Consistency. 0 in a request: absent (Sequential for groups). */
#define DM_REPLICA_CONSISTENCY_NONE		2
#define DM_REPLICA_CONSISTENCY_SEQUENTIAL	3

/* CopyState of a synchronization (a group, or one member of it). */
#define DM_REPLICA_COPY_INITIALIZED	2
#define DM_REPLICA_COPY_UNSYNCHRONIZED	3
#define DM_REPLICA_COPY_SYNCHRONIZED	4
#define DM_REPLICA_COPY_BROKEN		5
#define DM_REPLICA_COPY_FRACTURED	6
#define DM_REPLICA_COPY_SPLIT		7
#define DM_REPLICA_COPY_INACTIVE	8
#define DM_REPLICA_COPY_SUSPENDED	9
#define DM_REPLICA_COPY_FAILEDOVER	10
#define DM_REPLICA_COPY_PREPARED	11
#define DM_REPLICA_COPY_ABORTED		12
#define DM_REPLICA_COPY_SKEWED		13
#define DM_REPLICA_COPY_MIXED		14
#define DM_REPLICA_COPY_NOT_APPLICABLE	15

/*
 * CopyPriority, the ReplicationSettingData key copy_priority of a clone:
 * how its background copy yields to application I/O.
 */
#define DM_REPLICA_COPY_PRIORITY_LOW	1
#define DM_REPLICA_COPY_PRIORITY_SAME	2
#define DM_REPLICA_COPY_PRIORITY_HIGH	3

/* JobState of a job (CIM_ConcreteJob). */
#define DM_REPLICA_JOB_NEW		2
#define DM_REPLICA_JOB_STARTING		3
#define DM_REPLICA_JOB_RUNNING		4
#define DM_REPLICA_JOB_SUSPENDED	5
#define DM_REPLICA_JOB_SHUTTING_DOWN	6
#define DM_REPLICA_JOB_COMPLETED	7
#define DM_REPLICA_JOB_TERMINATED	8
#define DM_REPLICA_JOB_KILLED		9
#define DM_REPLICA_JOB_EXCEPTION	10
#define DM_REPLICA_JOB_SERVICE		11
#define DM_REPLICA_JOB_QUERY_PENDING	12

/* RequestStateChange of a job. */
#define DM_REPLICA_JOB_REQ_START	2
#define DM_REPLICA_JOB_REQ_SUSPEND	3
#define DM_REPLICA_JOB_REQ_TERMINATE	4
#define DM_REPLICA_JOB_REQ_KILL		5
#define DM_REPLICA_JOB_REQ_SERVICE	6

/*
 * Operation of ModifyReplicaSynchronization. Return To ResourcePool is the
 * one the module carries out; the others of the standard answer Not
 * Supported (1), and any other number Invalid Parameter.
 */
#define DM_REPLICA_OP_RETURN_TO_POOL	19

/* The standard's other operations, by the standard's names. */
#define DM_REPLICA_OP_ABORT			2
#define DM_REPLICA_OP_ACTIVATE_CONSISTENCY	3
#define DM_REPLICA_OP_ACTIVATE			4
#define DM_REPLICA_OP_ADD_SYNC_PAIR		5
#define DM_REPLICA_OP_DEACTIVATE_CONSISTENCY	6
#define DM_REPLICA_OP_DEACTIVATE		7
#define DM_REPLICA_OP_DETACH			8
#define DM_REPLICA_OP_DISSOLVE			9
#define DM_REPLICA_OP_FAILOVER			10
#define DM_REPLICA_OP_FAILBACK			11
#define DM_REPLICA_OP_FRACTURE			12
#define DM_REPLICA_OP_REMOVE_SYNC_PAIR		13
#define DM_REPLICA_OP_RESYNC_REPLICA		14
#define DM_REPLICA_OP_RESTORE_FROM_REPLICA	15
#define DM_REPLICA_OP_RESUME			16
#define DM_REPLICA_OP_RESET_TO_SYNC		17
#define DM_REPLICA_OP_RESET_TO_ASYNC		18
#define DM_REPLICA_OP_RETURN_TO_RESOURCE_POOL	DM_REPLICA_OP_RETURN_TO_POOL
#define DM_REPLICA_OP_REVERSE_ROLES		20
#define DM_REPLICA_OP_SPLIT			21
#define DM_REPLICA_OP_SUSPEND			22
#define DM_REPLICA_OP_UNPREPARE			23
#define DM_REPLICA_OP_PREPARE			24
#define DM_REPLICA_OP_RESET_TO_ADAPTIVE		25

/**
 * struct dm_replica_dev - a block device, by number
 * @major:	major number.
 * @minor:	minor number.
 */
struct dm_replica_dev {
	__u32 major;
	__u32 minor;
};

/*
 * Feature bits reported by DM_REPLICA_IOC_VERSION, one per capability the
 * loaded module has. A caller tests a bit before it relies on the feature.
 */
/* The replica-source target is available (pass-through over a device). */
#define DM_REPLICA_FEAT_SOURCE_TARGET	_BITULL(0)
/* Pools, snapshot groups (SyncType 7), jobs and the group commands. */
#define DM_REPLICA_FEAT_SNAPSHOT	_BITULL(1)
/*
 * Clone groups (SyncType 8) drawn from a TargetPool, with their background
 * copy, and the ReplicationSettingData keys copy_rate and copy_priority.
 */
#define DM_REPLICA_FEAT_CLONE		_BITULL(2)
/*
 * Change tracking of clone groups (ABI 1.3): DM_REPLICA_IOC_CHANGED_CHUNKS,
 * and Resync Replica (14) of a clone group, which copies only what
 * changed.
 */
#define DM_REPLICA_FEAT_CHANGES		_BITULL(3)

/**
 * struct dm_replica_version - DM_REPLICA_IOC_VERSION
 * @hdr:	common header.
 * @major:	out: DM_REPLICA_VERSION_MAJOR of the module.
 * @minor:	out: DM_REPLICA_VERSION_MINOR of the module.
 * @patch:	out: DM_REPLICA_VERSION_PATCH of the module.
 * @pad:	in: must be zero.
 * @features:	out: DM_REPLICA_FEAT_* bits.
 * @reserved:	in: must be zero.
 */
struct dm_replica_version {
	struct dm_replica_hdr hdr;
	__u32 major;
	__u32 minor;
	__u32 patch;
	__u32 pad;
	__u64 features;
	__u64 reserved[4];
};

/**
 * struct dm_replica_create_group - DM_REPLICA_IOC_CREATE_GROUP:
 *	CreateGroupReplicaFromElements
 * @hdr:		common header. @hdr.result is 0 when the call completed
 *			(WaitForCopyState reached), 4096 when a job was started.
 *			A clone's job goes on with its background copy after a
 *			wait for Initialized or Unsynchronized has returned.
 * @relationship_name:	in/out: RelationshipName; empty: one is generated and
 *			returned. Replicas are named <RelationshipName>_<n>,
 *			n from 1. At most DM_REPLICA_NAME_LEN - 4 characters,
 *			no '/'.
 * @source_group_name:	in/out: SourceGroupName; empty: generated, returned.
 * @target_group:	in/out: TargetGroup. In: the name of an existing target
 *			group to use (not supported: answered with 1); empty:
 *			one is created. Out: the name of the target group.
 * @sync_type:		in: SyncType (DM_REPLICA_SYNC_*).
 * @mode:		in: Mode (DM_REPLICA_MODE_*); 0: absent. Snapshot:
 *			Synchronous (absent: Synchronous). Clone: whether the
 *			call waits for the copy: Synchronous as WaitForCopyState
 *			Synchronized, Asynchronous (absent) not.
 * @consistency:	in: Consistency (DM_REPLICA_CONSISTENCY_*); 0: absent.
 * @wait_for_copy_state: in: WaitForCopyState (DM_REPLICA_COPY_*); 0: absent.
 *			Snapshot: Synchronized. Clone: Initialized,
 *			Unsynchronized (both: the point in time is taken) or
 *			Synchronized (every chunk copied).
 * @nr_sources:		in: number of entries at @sources, 1 to
 *			DM_REPLICA_MAX_MEMBERS.
 * @pad0:		in: must be zero.
 * @sources:		in: user pointer to @nr_sources struct dm_replica_dev:
 *			the SourceElements, dm devices on replica-source.
 * @target_pool:	in: TargetPool, the dm device on replica-pool.
 * @settings:		in: ReplicationSettingData, a user pointer to a
 *			NUL-terminated "key=value[,key=value...]" string; 0:
 *			absent. Keys: barrier_timeout_ms (1 to 60000); for a
 *			clone, copy_rate (KiB/s the background copy reads at
 *			most, 0 for no limit) and copy_priority (CopyPriority:
 *			Low 1, Same 2, High 3).
 * @settings_len:	in: size of the buffer at @settings, NUL included;
 *			0 with @settings 0, else 1 to 4096.
 * @target_setting_goal_len: in: size of the buffer at @target_setting_goal.
 * @target_setting_goal: in: TargetSettingGoal, like @settings; 0: absent.
 * @source_access_point: in: SourceAccessPoint; must be 0 (absent): access
 *			points are not supported.
 * @target_access_point: in: TargetAccessPoint; must be 0, as above.
 * @job_id:		out: the job of this call: every call that is
 *			answered has one, the refused ones included.
 * @group_id:		out: the Synchronization: id of the group.
 * @nr_replicas:	out: number of replicas (= @nr_sources).
 * @pad1:		in: must be zero.
 * @reserved:		in: must be zero.
 */
struct dm_replica_create_group {
	struct dm_replica_hdr hdr;
	char relationship_name[DM_REPLICA_NAME_LEN];
	char source_group_name[DM_REPLICA_NAME_LEN];
	char target_group[DM_REPLICA_NAME_LEN];
	__u16 sync_type;
	__u16 mode;
	__u16 consistency;
	__u16 wait_for_copy_state;
	__u32 nr_sources;
	__u32 pad0;
	__u64 sources;
	struct dm_replica_dev target_pool;
	__u64 settings;
	__u32 settings_len;
	__u32 target_setting_goal_len;
	__u64 target_setting_goal;
	__u64 source_access_point;
	__u64 target_access_point;
	__u64 job_id;
	__u32 group_id;
	__u32 nr_replicas;
	__u32 pad1;
	__u32 pad2;
	__u64 reserved[8];
};

/**
 * struct dm_replica_job - DM_REPLICA_IOC_JOB_GET, _JOB_WAIT, _JOB_CANCEL
 * @hdr:		common header.
 * @job_id:		in: the job.
 * @timeout_ms:		in: JOB_WAIT: longest wait for the job to end, in
 *			milliseconds; the wait is interruptible. Answers
 *			Timeout (3) if the job is still running then. Must be
 *			zero for the other commands.
 * @request:		in: JOB_CANCEL: RequestStateChange, Terminate (4) or
 *			Kill (5). Must be zero for the other commands.
 * @job_state:		out: JobState (DM_REPLICA_JOB_*).
 * @percent_complete:	out: PercentComplete, 0 to 100.
 * @error_code:		out: the SMI-S return value the job ended with.
 * @group_id:		out: the group the job works on.
 * @operation:		out: what the job does: DM_REPLICA_CMD_* of the call
 *			that started it.
 * @time_submitted_ns:	out: TimeSubmitted, CLOCK_REALTIME in nanoseconds.
 * @start_time_ns:	out: StartTime, likewise; 0 before it started.
 * @elapsed_ns:		out: ElapsedTime, nanoseconds running.
 * @time_before_removal_ns: out: TimeBeforeRemoval: how long a finished job
 *			stays queryable.
 * @barrier_hold_ns:	out: longest time writes were held at the sources
 *			by this job's group barrier; 0 if it held none.
 * @error_description:	out: ErrorDescription, NUL-terminated.
 * @sync_operation:	out: for a job of ModifyReplicaSynchronization, its
 *			Operation (DM_REPLICA_OP_*); 0 for the others. (ABI
 *			1.2; was reserved, and is zero from an older module.)
 * @pad1:		in: must be zero.
 * @pad2:		in: must be zero.
 * @reserved:		in: must be zero.
 */
struct dm_replica_job {
	struct dm_replica_hdr hdr;
	__u64 job_id;
	__u32 timeout_ms;
	__u16 request;
	__u16 job_state;
	__u16 percent_complete;
	__u16 pad0;
	__u32 error_code;
	__u32 group_id;
	__u32 operation;
	__u64 time_submitted_ns;
	__u64 start_time_ns;
	__u64 elapsed_ns;
	__u64 time_before_removal_ns;
	__u64 barrier_hold_ns;
	char error_description[DM_REPLICA_MESSAGE_LEN];
	__u16 sync_operation;
	__u16 pad1;
	__u32 pad2;
	__u64 reserved[3];
};

/**
 * struct dm_replica_member - one member of a group, as DM_REPLICA_IOC_GROUP_GET
 *	reports it
 * @source:		the source dm device (replica-source).
 * @source_dev:		the device under the source, which the replica reads.
 * @sectors:		size of the source in 512-byte sectors.
 * @copy_state:		CopyState of this member.
 * @pad:		zero.
 * @copied_chunks:	pool chunks this member's replica uses.
 * @source_name:	dm name of the source device.
 */
struct dm_replica_member {
	struct dm_replica_dev source;
	struct dm_replica_dev source_dev;
	__u64 sectors;
	__u16 copy_state;
	__u16 pad[3];
	__u64 copied_chunks;
	char source_name[DM_REPLICA_NAME_LEN];
};

/**
 * struct dm_replica_group - DM_REPLICA_IOC_GROUP_GET
 * @hdr:		common header.
 * @group_id:		in: the group.
 * @members_cap:	in: number of entries the buffer at @members holds;
 *			0 to ask only for @nr_members. At most
 *			DM_REPLICA_MAX_MEMBERS, else refused (5).
 * @members:		in: user pointer to @members_cap struct
 *			dm_replica_member, filled up to @nr_members.
 * @nr_members:		out: the group's number of members.
 * @sync_type:		out: SyncType.
 * @mode:		out: Mode.
 * @consistency:	out: Consistency.
 * @copy_state:		out: CopyState of the group: the members' common one,
 *			or Mixed (14).
 * @pool:		out: the replica-pool dm device.
 * @chunk_sectors:	out: the pool's chunk size in sectors.
 * @pool_used_chunks:	out: chunks in use in the pool, all groups.
 * @pool_total_chunks:	out: data chunks of the pool.
 * @group_chunks:	out: chunks this group uses.
 * @barrier_hold_ns:	out: how long the group barrier held writes.
 * @created_ns:		out: when the point in time was taken, CLOCK_REALTIME.
 * @job_id:		out: the job that created the group.
 * @relationship_name:	out: RelationshipName.
 * @source_group_name:	out: SourceGroupName.
 * @target_group:	out: TargetGroup name.
 * @broken_reason:	out: why the group is Broken, NUL-terminated; empty
 *			otherwise.
 * @flags:		out: DM_REPLICA_GROUP_* (ABI 1.2; was reserved).
 * @pad2:		in: must be zero.
 * @reserved:		in: must be zero.
 */
struct dm_replica_group {
	struct dm_replica_hdr hdr;
	__u32 group_id;
	__u32 members_cap;
	__u64 members;
	__u32 nr_members;
	__u16 sync_type;
	__u16 mode;
	__u16 consistency;
	__u16 copy_state;
	struct dm_replica_dev pool;
	__u32 chunk_sectors;
	__u64 pool_used_chunks;
	__u64 pool_total_chunks;
	__u64 group_chunks;
	__u64 barrier_hold_ns;
	__u64 created_ns;
	__u64 job_id;
	char relationship_name[DM_REPLICA_NAME_LEN];
	char source_group_name[DM_REPLICA_NAME_LEN];
	char target_group[DM_REPLICA_NAME_LEN];
	char broken_reason[DM_REPLICA_MESSAGE_LEN];
	__u32 flags;
	__u32 pad2;
	__u64 reserved[3];
};

/*
 * dm_replica_group.flags. RESTORE_INCOMPLETE: a Restore From Replica of
 * the group started and did not complete (it runs now, or it was
 * cancelled, failed or cut off by a restart): the sources may be partly
 * restored until a restore completes.
 */
#define DM_REPLICA_GROUP_RESTORE_INCOMPLETE	0x00000001
/*
 * DISSOLVED (ABI 1.3): Dissolve (9) ended the association of this clone
 * group with its sources: its clones stay, as they were, usable replica
 * devices in the pool, which need no source; Detach, Resync Replica and
 * Restore From Replica are refused (4); Return To ResourcePool deletes it.
 */
#define DM_REPLICA_GROUP_DISSOLVED		0x00000002

/**
 * struct dm_replica_group_list - DM_REPLICA_IOC_GROUP_LIST
 * @hdr:	common header.
 * @ids_cap:	in: number of entries the buffer at @ids holds; at most
 *		DM_REPLICA_MAX_IDS, else refused (5).
 * @nr_groups:	out: number of groups (may exceed @ids_cap).
 * @ids:	in: user pointer to @ids_cap __u32, filled with group ids.
 * @reserved:	in: must be zero.
 */
struct dm_replica_group_list {
	struct dm_replica_hdr hdr;
	__u32 ids_cap;
	__u32 nr_groups;
	__u64 ids;
	__u64 reserved[4];
};

/**
 * struct dm_replica_modify_sync - DM_REPLICA_IOC_MODIFY_SYNC:
 *	ModifyReplicaSynchronization
 * @hdr:	common header.
 * @group_id:	in: the Synchronization (group).
 * @operation:	in: the operation (DM_REPLICA_OP_*); Return To ResourcePool
 *		(19) deletes the group and gives its pool space back; Resync
 *		Replica (14) takes a snapshot group's new point in time, or a
 *		Synchronized clone group's, then copies as a job (4096) the
 *		chunks changed on either side since the old one (ABI 1.3);
 *		Restore From Replica (15) copies a snapshot or clone group's
 *		replicas back onto their sources, as a job (@hdr.result
 *		4096), refused with In Use (6) while a source is open unless
 *		@flags has DM_REPLICA_MODIFY_FORCE; Detach (8) copies a
 *		Synchronized clone group onto the devices at @targets, as a
 *		job, and returns it to the pool (a clone still copying is
 *		refused, Failed (4), unless @flags has
 *		DM_REPLICA_MODIFY_WAIT); Dissolve (9) ends a Synchronized
 *		clone group's association with its sources (the clones
 *		stay), Not Supported (1) for a snapshot group, Failed (4)
 *		for a clone still copying. The standard's others (2
 *		to 25) answer Not Supported (1), naming the operation; any
 *		other number Invalid Parameter (5).
 * @flags:	in: DM_REPLICA_MODIFY_* (was padding, zero: no flag).
 * @job_id:	out: the job of this call, refused or not.
 * @targets:	in: Detach (8) of a clone group: a user pointer to
 *		@nr_targets struct dm_replica_dev, one block device per
 *		member, in order, each at least as large as its source, that
 *		the clones are copied onto; then the group is returned to the
 *		pool. 0 for every other operation. (ABI 1.2; was reserved.)
 * @nr_targets:	in: the number of entries at @targets: the group's
 *		number of members; 0 for every other operation.
 * @pad2:	in: must be zero.
 * @reserved:	in: must be zero.
 */
struct dm_replica_modify_sync {
	struct dm_replica_hdr hdr;
	__u32 group_id;
	__u16 operation;
	__u16 flags;
	__u64 job_id;
	__u64 targets;
	__u32 nr_targets;
	__u32 pad2;
	__u64 reserved[2];
};

/*
 * dm_replica_modify_sync.flags. FORCE: Restore From Replica goes on even
 * when a source device is open (not when it is mounted). WAIT (ABI 1.3):
 * Detach of a clone group whose copy has not ended is not refused: its
 * job waits for the copy (the targets are checked and held from the
 * call on), then copies the clones onto them; a clone that breaks, or a
 * copy that is cancelled, ends the job Failed (4), and cancelling the
 * job stops the wait. Any other bit is refused (5).
 */
#define DM_REPLICA_MODIFY_FORCE		0x0001
#define DM_REPLICA_MODIFY_WAIT		0x0002

/* Largest dm_replica_changed.ranges_cap; a larger one is refused (5). */
#define DM_REPLICA_MAX_RANGES		4096

/*
 * dm_replica_range.sides: where the chunks were written since the point
 * in time. UNKNOWN: the module cannot tell (the pool was loaded since, or
 * the source was written without its pool), and takes them as changed.
 */
#define DM_REPLICA_CHANGED_SOURCE	0x0001
#define DM_REPLICA_CHANGED_REPLICA	0x0002
#define DM_REPLICA_CHANGED_UNKNOWN	0x0004

/**
 * struct dm_replica_range - a run of chunks of one member
 * @start:	first chunk (chunks of dm_replica_changed.chunk_sectors).
 * @count:	number of chunks.
 * @sides:	DM_REPLICA_CHANGED_*, the same for every chunk of the run.
 * @pad:	zero.
 */
struct dm_replica_range {
	__u64 start;
	__u64 count;
	__u32 sides;
	__u32 pad;
};

/**
 * struct dm_replica_changed - DM_REPLICA_IOC_CHANGED_CHUNKS: the chunks
 *	of one clone that changed since its point in time, at its source
 *	or at the replica (ABI 1.3)
 * @hdr:	common header.
 * @group_id:	in: the clone group.
 * @member:	in: the member, 1 to the group's number of members (the
 *		_N of its replica device).
 * @start:	in: the first chunk to look at; 0 for the first call.
 * @ranges:	in: a user pointer to @ranges_cap struct dm_replica_range.
 * @ranges_cap:	in: room at @ranges, 1 to DM_REPLICA_MAX_RANGES.
 * @nr_ranges:	out: the runs of changed chunks written there, in order.
 * @chunk_sectors: out: the size of a chunk, in 512-byte sectors.
 * @pad:	in: must be zero.
 * @nr_chunks:	out: the member's chunks (the last one may be short).
 * @next:	out: where the next call starts: @nr_chunks when every run
 *		has been told.
 * @reserved:	in: must be zero.
 *
 * A snapshot group has no change tracking: Not Supported (1).
 */
struct dm_replica_changed {
	struct dm_replica_hdr hdr;
	__u32 group_id;
	__u32 member;
	__u64 start;
	__u64 ranges;
	__u32 ranges_cap;
	__u32 nr_ranges;
	__u32 chunk_sectors;
	__u32 pad;
	__u64 nr_chunks;
	__u64 next;
	__u64 reserved[4];
};

/* Ioctl type byte of the control device. */
#define DM_REPLICA_IOC_MAGIC		0xDC

/* Command numbers, append only. */
enum {
	DM_REPLICA_CMD_VERSION = 0,
	DM_REPLICA_CMD_CREATE_GROUP = 1,
	DM_REPLICA_CMD_JOB_GET = 2,
	DM_REPLICA_CMD_JOB_WAIT = 3,
	DM_REPLICA_CMD_JOB_CANCEL = 4,
	DM_REPLICA_CMD_GROUP_LIST = 5,
	DM_REPLICA_CMD_GROUP_GET = 6,
	DM_REPLICA_CMD_MODIFY_SYNC = 7,
	DM_REPLICA_CMD_CHANGED_CHUNKS = 8,
};

#define DM_REPLICA_IOC_VERSION \
	_IOWR(DM_REPLICA_IOC_MAGIC, DM_REPLICA_CMD_VERSION, struct dm_replica_version)
#define DM_REPLICA_IOC_CREATE_GROUP \
	_IOWR(DM_REPLICA_IOC_MAGIC, DM_REPLICA_CMD_CREATE_GROUP, struct dm_replica_create_group)
#define DM_REPLICA_IOC_JOB_GET \
	_IOWR(DM_REPLICA_IOC_MAGIC, DM_REPLICA_CMD_JOB_GET, struct dm_replica_job)
#define DM_REPLICA_IOC_JOB_WAIT \
	_IOWR(DM_REPLICA_IOC_MAGIC, DM_REPLICA_CMD_JOB_WAIT, struct dm_replica_job)
#define DM_REPLICA_IOC_JOB_CANCEL \
	_IOWR(DM_REPLICA_IOC_MAGIC, DM_REPLICA_CMD_JOB_CANCEL, struct dm_replica_job)
#define DM_REPLICA_IOC_GROUP_LIST \
	_IOWR(DM_REPLICA_IOC_MAGIC, DM_REPLICA_CMD_GROUP_LIST, struct dm_replica_group_list)
#define DM_REPLICA_IOC_GROUP_GET \
	_IOWR(DM_REPLICA_IOC_MAGIC, DM_REPLICA_CMD_GROUP_GET, struct dm_replica_group)
#define DM_REPLICA_IOC_MODIFY_SYNC \
	_IOWR(DM_REPLICA_IOC_MAGIC, DM_REPLICA_CMD_MODIFY_SYNC, struct dm_replica_modify_sync)
#define DM_REPLICA_IOC_CHANGED_CHUNKS \
	_IOWR(DM_REPLICA_IOC_MAGIC, DM_REPLICA_CMD_CHANGED_CHUNKS, struct dm_replica_changed)

#endif /* _UAPI_LINUX_DM_REPLICA_H */
