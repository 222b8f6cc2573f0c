// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the request checking of the control device, and for its
 * translations between the user's structs and the internal ones.
 */
#include <kunit/test.h>
#include <linux/kdev_t.h>
#include <linux/string.h>

#include <uapi/linux/dm-replica.h>

#include "control.h"
#include "group.h"
#include "job.h"

static void dmr_test_hdr_ok(struct kunit *test)
{
	struct dm_replica_hdr hdr = { .size = sizeof(hdr), .result = 77 };

	strscpy(hdr.message, "stale", sizeof(hdr.message));
	KUNIT_EXPECT_EQ(test, dmr_check_hdr(&hdr), 0);
	/* Output fields are cleared, not taken as input. */
	KUNIT_EXPECT_EQ(test, hdr.result, (u32)DM_REPLICA_RET_OK);
	KUNIT_EXPECT_STREQ(test, hdr.message, "");
}

static void dmr_test_hdr_flags(struct kunit *test)
{
	struct dm_replica_hdr hdr = { .size = sizeof(hdr), .flags = 0x4 };

	KUNIT_EXPECT_EQ(test, dmr_check_hdr(&hdr), -EINVAL);
	KUNIT_EXPECT_EQ(test, hdr.result, (u32)DM_REPLICA_RET_INVALID_PARAM);
	KUNIT_EXPECT_NOT_NULL(test, strstr(hdr.message, "hdr.flags"));
}

static void dmr_test_hdr_reserved(struct kunit *test)
{
	struct dm_replica_hdr hdr = { .size = sizeof(hdr), .reserved = 1 };

	KUNIT_EXPECT_EQ(test, dmr_check_hdr(&hdr), -EINVAL);
	KUNIT_EXPECT_EQ(test, hdr.result, (u32)DM_REPLICA_RET_INVALID_PARAM);
	KUNIT_EXPECT_NOT_NULL(test, strstr(hdr.message, "hdr.reserved"));
}

static void dmr_test_version(struct kunit *test)
{
	struct dm_replica_version v = { .hdr.size = sizeof(v) };

	KUNIT_ASSERT_EQ(test, dmr_check_hdr(&v.hdr), 0);
	KUNIT_EXPECT_EQ(test, dmr_cmd_version(&v.hdr), 0);
	KUNIT_EXPECT_EQ(test, v.hdr.result, (u32)DM_REPLICA_RET_OK);
	KUNIT_EXPECT_EQ(test, v.major, (u32)DM_REPLICA_VERSION_MAJOR);
	KUNIT_EXPECT_EQ(test, v.minor, (u32)DM_REPLICA_VERSION_MINOR);
	KUNIT_EXPECT_EQ(test, v.patch, (u32)DM_REPLICA_VERSION_PATCH);
	KUNIT_EXPECT_TRUE(test, v.features & DM_REPLICA_FEAT_SOURCE_TARGET);
}

static void dmr_test_version_pad(struct kunit *test)
{
	struct dm_replica_version v = { .hdr.size = sizeof(v), .pad = 1 };

	KUNIT_EXPECT_EQ(test, dmr_cmd_version(&v.hdr), -EINVAL);
	KUNIT_EXPECT_EQ(test, v.hdr.result, (u32)DM_REPLICA_RET_INVALID_PARAM);
	KUNIT_EXPECT_STREQ(test, v.hdr.message, "pad: must be zero");
	/* Nothing was answered. */
	KUNIT_EXPECT_EQ(test, v.major, 0U);
}

static void dmr_test_version_reserved(struct kunit *test)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(((struct dm_replica_version *)NULL)->reserved); i++) {
		struct dm_replica_version v = { .hdr.size = sizeof(v) };
		char want[32];

		v.reserved[i] = 1ULL << 63;
		snprintf(want, sizeof(want), "reserved[%u]: must be zero", i);
		KUNIT_EXPECT_EQ(test, dmr_cmd_version(&v.hdr), -EINVAL);
		KUNIT_EXPECT_STREQ(test, v.hdr.message, want);
	}
}

/*
 * The table of Documentation/dm-replica.rst, "Errors": the errno that goes
 * with each result once the answer is written back.
 */
static const struct {
	u32 result;
	int err;
} dmr_errors_table[] = {
	{ DM_REPLICA_RET_OK, 0 },
	{ DM_REPLICA_RET_JOB_STARTED, 0 },
	{ DM_REPLICA_RET_NOT_SUPPORTED, -EOPNOTSUPP },
	{ DM_REPLICA_RET_UNKNOWN, -EINTR },
	{ DM_REPLICA_RET_TIMEOUT, -ETIMEDOUT },
	{ DM_REPLICA_RET_FAILED, -EIO },
	{ DM_REPLICA_RET_INVALID_PARAM, -EINVAL },
	{ DM_REPLICA_RET_IN_USE, -EBUSY },
};

static void dmr_test_result_errno(struct kunit *test)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(dmr_errors_table); i++)
		KUNIT_EXPECT_EQ_MSG(test, dmr_result_errno(dmr_errors_table[i].result),
				    dmr_errors_table[i].err, "result %u",
				    dmr_errors_table[i].result);
}

/*
 * Buffers: a non-zero count with a NULL pointer is Invalid Parameter
 * naming the pointer; a count above its limit is Invalid Parameter naming
 * the count (members_cap and ids_cap alike); a zero count takes any
 * pointer.
 */
static void dmr_test_buffer_rows(struct kunit *test)
{
	static const struct {
		u64 uptr;
		u32 n, max;
		int err;
		const char *msg;
	} rows[] = {
		{ 0, 0, 64, 0, "" },
		{ 0x1000, 0, 64, 0, "" },
		{ 0x1000, 64, 64, 0, "" },
		{ 0, 1, 64, -EINVAL, "members: NULL, with members_cap 1" },
		{ 0x1000, 65, 64, -EINVAL, "members: members_cap 65, at most 64" },
		{ 0x1000, 4097, DM_REPLICA_MAX_IDS, -EINVAL,
		  "members: members_cap 4097, at most 4096" },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		struct dm_replica_hdr hdr = { .size = sizeof(hdr) };

		KUNIT_EXPECT_EQ_MSG(test, dmr_check_buffer(&hdr, rows[i].uptr, rows[i].n,
							   rows[i].max, "members",
							   "members_cap"),
				    rows[i].err, "row %u", i);
		KUNIT_EXPECT_STREQ_MSG(test, hdr.message, rows[i].msg, "row %u", i);
		KUNIT_EXPECT_EQ_MSG(test, hdr.result, rows[i].err ?
				    (u32)DM_REPLICA_RET_INVALID_PARAM : (u32)DM_REPLICA_RET_OK,
				    "row %u", i);
		/* The errno is the one the result maps to. */
		KUNIT_EXPECT_EQ_MSG(test, dmr_result_errno(hdr.result), rows[i].err, "row %u", i);
	}
}

static void dmr_test_reply_truncates(struct kunit *test)
{
	struct dm_replica_hdr hdr = {};
	char *longname = kunit_kzalloc(test, 300, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, longname);
	memset(longname, 'x', 299);
	dmr_reply(&hdr, DM_REPLICA_RET_INVALID_PARAM, "field %s", longname);
	KUNIT_EXPECT_EQ(test, strnlen(hdr.message, sizeof(hdr.message)),
			sizeof(hdr.message) - 1);
	KUNIT_EXPECT_EQ(test, hdr.result, (u32)DM_REPLICA_RET_INVALID_PARAM);
}

/*
 * A create request reaches group.c with every field group.c needs, and
 * the names group.c made up, with the group, come back to the caller.
 */
static void dmr_test_create_req(struct kunit *test)
{
	struct dm_replica_create_group *req = kunit_kzalloc(test, sizeof(*req), GFP_KERNEL);
	struct dmr_create_req *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	struct dm_replica_dev sources[2] = { { 253, 1 }, { 8, 16 } };

	KUNIT_ASSERT_NOT_NULL(test, req);
	KUNIT_ASSERT_NOT_NULL(test, c);
	req->sync_type = DM_REPLICA_SYNC_SNAPSHOT;
	req->target_pool.major = 253;
	req->target_pool.minor = 9;
	req->nr_sources = 2;
	strscpy(req->relationship_name, "nightly", sizeof(req->relationship_name));
	dmr_create_req_in(c, req, sources);
	KUNIT_EXPECT_EQ(test, c->sync_type, DM_REPLICA_SYNC_SNAPSHOT);
	KUNIT_EXPECT_EQ(test, c->pool.major, 253U);
	KUNIT_EXPECT_EQ(test, c->pool.minor, 9U);
	KUNIT_EXPECT_EQ(test, c->nr_sources, 2U);
	KUNIT_EXPECT_EQ(test, c->sources[0].major, 253U);
	KUNIT_EXPECT_EQ(test, c->sources[0].minor, 1U);
	KUNIT_EXPECT_EQ(test, c->sources[1].major, 8U);
	KUNIT_EXPECT_EQ(test, c->sources[1].minor, 16U);
	KUNIT_EXPECT_STREQ(test, c->relationship_name, "nightly");
	KUNIT_EXPECT_STREQ(test, c->source_group_name, "");
	KUNIT_EXPECT_STREQ(test, c->target_group, "");

	strscpy(c->source_group_name, "nightly_sources", sizeof(c->source_group_name));
	strscpy(c->target_group, "nightly_targets", sizeof(c->target_group));
	c->group_id = 12;
	c->nr_replicas = 2;
	dmr_create_req_out(req, c);
	KUNIT_EXPECT_STREQ(test, req->relationship_name, "nightly");
	KUNIT_EXPECT_STREQ(test, req->source_group_name, "nightly_sources");
	KUNIT_EXPECT_STREQ(test, req->target_group, "nightly_targets");
	KUNIT_EXPECT_EQ(test, req->group_id, 12U);
	KUNIT_EXPECT_EQ(test, req->nr_replicas, 2U);
}

/* Every field of GROUP_GET's answer comes from the group's summary. */
static void dmr_test_group_out(struct kunit *test)
{
	struct dm_replica_group *req = kunit_kzalloc(test, sizeof(*req), GFP_KERNEL);
	struct dmr_group_info *info = kunit_kzalloc(test, sizeof(*info), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, req);
	KUNIT_ASSERT_NOT_NULL(test, info);
	memset(req, 0xa5, sizeof(*req));
	*info = (struct dmr_group_info) {
		.nr_members = 3, .sync_type = DM_REPLICA_SYNC_SNAPSHOT,
		.mode = DM_REPLICA_MODE_SYNCHRONOUS,
		.consistency = DM_REPLICA_CONSISTENCY_SEQUENTIAL,
		.copy_state = DM_REPLICA_COPY_MIXED, .pool = MKDEV(253, 7),
		.chunk_sectors = 128, .pool_used_chunks = 5, .pool_total_chunks = 6,
		.group_chunks = 4, .barrier_hold_ns = 8, .created_ns = 9, .job_id = 10,
	};
	strscpy(info->relationship_name, "r", sizeof(info->relationship_name));
	strscpy(info->source_group_name, "s", sizeof(info->source_group_name));
	strscpy(info->target_group, "t", sizeof(info->target_group));
	strscpy(info->broken_reason, "b", sizeof(info->broken_reason));
	dmr_group_out(req, info);
	KUNIT_EXPECT_EQ(test, req->nr_members, 3U);
	KUNIT_EXPECT_EQ(test, req->sync_type, DM_REPLICA_SYNC_SNAPSHOT);
	KUNIT_EXPECT_EQ(test, req->mode, DM_REPLICA_MODE_SYNCHRONOUS);
	KUNIT_EXPECT_EQ(test, req->consistency, DM_REPLICA_CONSISTENCY_SEQUENTIAL);
	KUNIT_EXPECT_EQ(test, req->copy_state, DM_REPLICA_COPY_MIXED);
	KUNIT_EXPECT_EQ(test, req->pool.major, 253U);
	KUNIT_EXPECT_EQ(test, req->pool.minor, 7U);
	KUNIT_EXPECT_EQ(test, req->chunk_sectors, 128U);
	KUNIT_EXPECT_EQ(test, req->pool_used_chunks, 5ULL);
	KUNIT_EXPECT_EQ(test, req->pool_total_chunks, 6ULL);
	KUNIT_EXPECT_EQ(test, req->group_chunks, 4ULL);
	KUNIT_EXPECT_EQ(test, req->barrier_hold_ns, 8ULL);
	KUNIT_EXPECT_EQ(test, req->created_ns, 9ULL);
	KUNIT_EXPECT_EQ(test, req->job_id, 10ULL);
	KUNIT_EXPECT_STREQ(test, req->relationship_name, "r");
	KUNIT_EXPECT_STREQ(test, req->source_group_name, "s");
	KUNIT_EXPECT_STREQ(test, req->target_group, "t");
	KUNIT_EXPECT_STREQ(test, req->broken_reason, "b");
}

/* A member: an absent device is 0:0, and the padding is zero. */
static void dmr_test_member_out(struct kunit *test)
{
	struct dmr_member_info mi = {
		.source = MKDEV(253, 4), .sectors = 2048,
		.copy_state = DM_REPLICA_COPY_BROKEN, .copied_chunks = 11,
	};
	struct dm_replica_member m;

	memset(&m, 0xa5, sizeof(m));
	strscpy(mi.source_name, "vg-data", sizeof(mi.source_name));
	dmr_member_out(&m, &mi);
	KUNIT_EXPECT_EQ(test, m.source.major, 253U);
	KUNIT_EXPECT_EQ(test, m.source.minor, 4U);
	KUNIT_EXPECT_EQ(test, m.source_dev.major, 0U);
	KUNIT_EXPECT_EQ(test, m.source_dev.minor, 0U);
	KUNIT_EXPECT_EQ(test, m.sectors, 2048ULL);
	KUNIT_EXPECT_EQ(test, m.copy_state, DM_REPLICA_COPY_BROKEN);
	KUNIT_EXPECT_TRUE(test, !m.pad[0] && !m.pad[1] && !m.pad[2]);
	KUNIT_EXPECT_EQ(test, m.copied_chunks, 11ULL);
	KUNIT_EXPECT_STREQ(test, m.source_name, "vg-data");
}

/* Every output field of a job command comes from the job's status. */
static void dmr_test_job_out(struct kunit *test)
{
	struct dm_replica_job *j = kunit_kzalloc(test, sizeof(*j), GFP_KERNEL);
	struct dmr_job_status st = {
		.job_state = DM_REPLICA_JOB_EXCEPTION, .percent_complete = 40,
		.error_code = DM_REPLICA_RET_TIMEOUT, .group_id = 3,
		.operation = DM_REPLICA_CMD_MODIFY_SYNC, .sync_operation = 15,
		.time_submitted_ns = 5,
		.start_time_ns = 6, .elapsed_ns = 7, .time_before_removal_ns = 8,
		.barrier_hold_ns = 9,
	};

	KUNIT_ASSERT_NOT_NULL(test, j);
	strscpy(st.error_description, "late", sizeof(st.error_description));
	j->job_id = 77;
	dmr_job_out(j, &st);
	KUNIT_EXPECT_EQ(test, j->job_id, 77ULL);
	KUNIT_EXPECT_EQ(test, j->job_state, DM_REPLICA_JOB_EXCEPTION);
	KUNIT_EXPECT_EQ(test, j->percent_complete, 40);
	KUNIT_EXPECT_EQ(test, j->error_code, (u32)DM_REPLICA_RET_TIMEOUT);
	KUNIT_EXPECT_EQ(test, j->group_id, 3U);
	KUNIT_EXPECT_EQ(test, j->operation, (u32)DM_REPLICA_CMD_MODIFY_SYNC);
	KUNIT_EXPECT_EQ(test, j->sync_operation, 15);
	KUNIT_EXPECT_EQ(test, j->time_submitted_ns, 5ULL);
	KUNIT_EXPECT_EQ(test, j->start_time_ns, 6ULL);
	KUNIT_EXPECT_EQ(test, j->elapsed_ns, 7ULL);
	KUNIT_EXPECT_EQ(test, j->time_before_removal_ns, 8ULL);
	KUNIT_EXPECT_EQ(test, j->barrier_hold_ns, 9ULL);
	KUNIT_EXPECT_STREQ(test, j->error_description, "late");
}

/*
 * ModifyReplicaSynchronization: each of the standard's operations has the
 * standard's name, and only those numbers (2 to 25) are operations; any
 * other is Invalid Parameter naming the field.
 */
static void dmr_test_operation_rows(struct kunit *test)
{
	static const struct {
		u16 op;
		const char *name;
	} rows[] = {
		{ 2, "Abort" }, { 3, "Activate Consistency" }, { 4, "Activate" },
		{ 5, "AddSyncPair" }, { 6, "Deactivate Consistency" }, { 7, "Deactivate" },
		{ 8, "Detach" }, { 9, "Dissolve" }, { 10, "Failover" }, { 11, "Failback" },
		{ 12, "Fracture" }, { 13, "RemoveSyncPair" }, { 14, "Resync Replica" },
		{ 15, "Restore from Replica" }, { 16, "Resume" }, { 17, "Reset To Sync" },
		{ 18, "Reset To Async" }, { 19, "Return To ResourcePool" },
		{ 20, "Reverse Roles" }, { 21, "Split" }, { 22, "Suspend" },
		{ 23, "Unprepare" }, { 24, "Prepare" }, { 25, "Reset To Adaptive" },
	};
	static const u16 bad[] = { 0, 1, 26, 99, U16_MAX };
	char msg[DM_REPLICA_MESSAGE_LEN], want[DM_REPLICA_MESSAGE_LEN];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		KUNIT_EXPECT_STREQ_MSG(test, dmr_op_name(rows[i].op) ?: "(null)", rows[i].name,
				       "operation %u", rows[i].op);
		msg[0] = '\0';
		KUNIT_EXPECT_EQ_MSG(test, dmr_check_operation(rows[i].op, msg, sizeof(msg)), 0U,
				    "operation %u", rows[i].op);
		KUNIT_EXPECT_STREQ(test, msg, "");
	}
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		KUNIT_EXPECT_NULL(test, dmr_op_name(bad[i]));
		KUNIT_EXPECT_EQ(test, dmr_check_operation(bad[i], msg, sizeof(msg)),
				(u32)DM_REPLICA_RET_INVALID_PARAM);
		snprintf(want, sizeof(want),
			 "Operation: %u is not an operation of ModifyReplicaSynchronization",
			 bad[i]);
		KUNIT_EXPECT_STREQ(test, msg, want);
	}
}

/* A refused operation is named by the standard's name and number, and the group's kind. */
static void dmr_test_operation_unsupported(struct kunit *test)
{
	static const struct {
		u16 op, sync_type;
		const char *msg;
	} rows[] = {
		{ DM_REPLICA_OP_RESYNC_REPLICA, DM_REPLICA_SYNC_SNAPSHOT,
		  "Operation: Resync Replica (14) is not supported for snapshot groups yet" },
		{ DM_REPLICA_OP_DETACH, DM_REPLICA_SYNC_CLONE,
		  "Operation: Detach (8) is not supported for clone groups yet" },
		{ DM_REPLICA_OP_RESTORE_FROM_REPLICA, DM_REPLICA_SYNC_SNAPSHOT,
		  "Operation: Restore from Replica (15) is not supported for snapshot groups yet"
		},
		/* The longest name still fits the message whole. */
		{ DM_REPLICA_OP_DEACTIVATE_CONSISTENCY, DM_REPLICA_SYNC_SNAPSHOT,
		  "Operation: Deactivate Consistency (6) is not supported for snapshot groups yet"
		},
	};
	char msg[DM_REPLICA_MESSAGE_LEN];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		KUNIT_EXPECT_EQ_MSG(test, dmr_unsupported_op(rows[i].op, rows[i].sync_type, msg,
							     sizeof(msg)),
				    (u32)DM_REPLICA_RET_NOT_SUPPORTED, "row %u", i);
		KUNIT_EXPECT_STREQ_MSG(test, msg, rows[i].msg, "row %u", i);
	}
}

/*
 * The handler: a refused call answers with the result and the message,
 * and its job ends in Exception with the same. A group that does not exist
 * is answered as Return To ResourcePool answers it, whatever the
 * (supported or not) operation; an operation that is none is refused first.
 */
static void dmr_test_modify_sync_refused(struct kunit *test)
{
	static const struct {
		u16 op, flags;
		u32 result;
		int err;
		const char *msg;
	} rows[] = {
		{ DM_REPLICA_OP_RESYNC_REPLICA, 0, DM_REPLICA_RET_INVALID_PARAM, -EINVAL,
		  "Synchronization: no group 4294967040" },
		{ DM_REPLICA_OP_DETACH, 0, DM_REPLICA_RET_INVALID_PARAM, -EINVAL,
		  "Synchronization: no group 4294967040" },
		{ DM_REPLICA_OP_RETURN_TO_POOL, 0, DM_REPLICA_RET_INVALID_PARAM, -EINVAL,
		  "Synchronization: no group 4294967040" },
		{ DM_REPLICA_OP_DISSOLVE, 0, DM_REPLICA_RET_INVALID_PARAM, -EINVAL,
		  "Synchronization: no group 4294967040" },
		{ 99, 0, DM_REPLICA_RET_INVALID_PARAM, -EINVAL,
		  "Operation: 99 is not an operation of ModifyReplicaSynchronization" },
		{ DM_REPLICA_OP_DETACH, 4 | DM_REPLICA_MODIFY_WAIT, DM_REPLICA_RET_INVALID_PARAM,
		  -EINVAL, "flags: unknown flags 0x4" },
		{ DM_REPLICA_OP_RESTORE_FROM_REPLICA, DM_REPLICA_MODIFY_WAIT,
		  DM_REPLICA_RET_INVALID_PARAM, -EINVAL, "flags: wait applies to Detach (8) only" },
		{ DM_REPLICA_OP_DETACH, DM_REPLICA_MODIFY_WAIT, DM_REPLICA_RET_INVALID_PARAM,
		  -EINVAL, "Synchronization: no group 4294967040" },
		{ DM_REPLICA_OP_DETACH, DM_REPLICA_MODIFY_FORCE, DM_REPLICA_RET_INVALID_PARAM,
		  -EINVAL, "flags: force applies to Restore From Replica (15) only" },
		{ DM_REPLICA_OP_RESTORE_FROM_REPLICA, DM_REPLICA_MODIFY_FORCE,
		  DM_REPLICA_RET_INVALID_PARAM, -EINVAL, "Synchronization: no group 4294967040" },
	};
	struct dm_replica_modify_sync *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	struct dmr_job_status *st = kunit_kzalloc(test, sizeof(*st), GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_ASSERT_NOT_NULL(test, st);
	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		memset(m, 0, sizeof(*m));
		m->hdr.size = sizeof(*m);
		/* No group has this id: the module loaded just now has none. */
		m->group_id = 0xffffff00;
		m->operation = rows[i].op;
		m->flags = rows[i].flags;
		KUNIT_EXPECT_EQ_MSG(test, dmr_cmd_modify_sync(&m->hdr), rows[i].err, "row %u", i);
		KUNIT_EXPECT_EQ_MSG(test, m->hdr.result, rows[i].result, "row %u", i);
		KUNIT_EXPECT_STREQ_MSG(test, m->hdr.message, rows[i].msg, "row %u", i);
		KUNIT_ASSERT_NE(test, m->job_id, 0ULL);
		KUNIT_ASSERT_EQ(test, dmr_job_info(m->job_id, st), 0);
		KUNIT_EXPECT_EQ_MSG(test, st->job_state, DM_REPLICA_JOB_EXCEPTION, "row %u", i);
		KUNIT_EXPECT_EQ_MSG(test, st->error_code, rows[i].result, "row %u", i);
		KUNIT_EXPECT_EQ_MSG(test, st->operation, (u32)DM_REPLICA_CMD_MODIFY_SYNC,
				    "row %u", i);
		KUNIT_EXPECT_EQ_MSG(test, st->sync_operation, rows[i].op, "row %u", i);
		KUNIT_EXPECT_EQ_MSG(test, st->group_id, 0xffffff00U, "row %u", i);
		KUNIT_EXPECT_STREQ_MSG(test, st->error_description, rows[i].msg, "row %u", i);
		/* As the ioctl does once the answer is given: the job may go. */
		dmr_job_told(m->job_id);
	}
}

static struct kunit_case dmr_control_cases[] = {
	KUNIT_CASE(dmr_test_hdr_ok),
	KUNIT_CASE(dmr_test_hdr_flags),
	KUNIT_CASE(dmr_test_hdr_reserved),
	KUNIT_CASE(dmr_test_version),
	KUNIT_CASE(dmr_test_version_pad),
	KUNIT_CASE(dmr_test_version_reserved),
	KUNIT_CASE(dmr_test_result_errno),
	KUNIT_CASE(dmr_test_buffer_rows),
	KUNIT_CASE(dmr_test_reply_truncates),
	KUNIT_CASE(dmr_test_create_req),
	KUNIT_CASE(dmr_test_group_out),
	KUNIT_CASE(dmr_test_member_out),
	KUNIT_CASE(dmr_test_job_out),
	KUNIT_CASE(dmr_test_operation_rows),
	KUNIT_CASE(dmr_test_operation_unsupported),
	KUNIT_CASE(dmr_test_modify_sync_refused),
	{}
};

static struct kunit_suite dmr_control_suite = {
	.name = "dm_replica_control",
	.test_cases = dmr_control_cases,
};

kunit_test_suite(dmr_control_suite);
