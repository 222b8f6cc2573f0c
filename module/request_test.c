// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the checks of CreateGroupReplicaFromElements requests.
 */
#include <kunit/test.h>
#include <linux/string.h>

#include "request.h"

enum dmr_req_field {
	F_NONE, F_SYNC, F_MODE, F_CONS, F_WAIT, F_NR, F_SAP, F_TAP, F_POOL, F_PAD, F_RES,
	F_PAD0, F_PAD2, F_RES0, F_SGNAME, F_TGNAME,
};

/*
 * One case: a valid request changed in one place (a field set to @val, or a
 * name), the settings strings, and the answer it must get. Every refused
 * case names the field its message must start with.
 */
struct dmr_req_case {
	const char *name;
	enum dmr_req_field field_id;	/* field to set to @val */
	u64 val;
	const char *str;	/* name to set, if not NULL: RelationshipName,
				 * or F_SGNAME SourceGroupName, F_TGNAME
				 * TargetGroup
				 */
	unsigned int fill;	/* or fill that name with this many 'n' */
	const char *tgroup;	/* TargetGroup to set, if not NULL */
	const char *settings;
	const char *goal;
	u32 result;
	const char *field;	/* what the message must name first */
};

static const struct dmr_req_case dmr_req_cases[] = {
	{ "valid", F_NONE, 0, NULL, 0, NULL, NULL, NULL, 0, NULL },
	{ "settings", F_NONE, 0, NULL, 0, NULL, "barrier_timeout_ms=250", NULL, 0, NULL },
	{ "Mirror not supported", F_SYNC, 6, NULL, 0, NULL, NULL, NULL, 1, "SyncType" },
	{ "Clone", F_SYNC, 8, NULL, 0, NULL, NULL, NULL, 0, NULL },
	{ "copy_rate for a Snapshot", F_NONE, 0, NULL, 0, NULL, "copy_rate=100", NULL, 5,
	  "ReplicationSettingData" },
	{ "copy_priority for a Snapshot", F_NONE, 0, NULL, 0, NULL, "copy_priority=1", NULL, 5,
	  "ReplicationSettingData" },
	{ "SyncType 5", F_SYNC, 5, NULL, 0, NULL, NULL, NULL, 5, "SyncType" },
	{ "SyncType vendor", F_SYNC, 40000, NULL, 0, NULL, NULL, NULL, 5, "SyncType" },
	{ "Mode Asynchronous", F_MODE, 3, NULL, 0, NULL, NULL, NULL, 1, "Mode" },
	{ "Mode 4", F_MODE, 4, NULL, 0, NULL, NULL, NULL, 5, "Mode" },
	{ "No Consistency", F_CONS, 2, NULL, 0, NULL, NULL, NULL, 0, NULL },
	{ "Consistency 1", F_CONS, 1, NULL, 0, NULL, NULL, NULL, 5, "Consistency" },
	{ "wait Synchronized", F_WAIT, 4, NULL, 0, NULL, NULL, NULL, 0, NULL },
	{ "wait Initialized", F_WAIT, 2, NULL, 0, NULL, NULL, NULL, 5,
	  "WaitForCopyState" },
	{ "wait Inactive", F_WAIT, 8, NULL, 0, NULL, NULL, NULL, 5,
	  "WaitForCopyState" },
	{ "wait 99", F_WAIT, 99, NULL, 0, NULL, NULL, NULL, 5,
	  "WaitForCopyState" },
	{ "no sources", F_NR, 0, NULL, 0, NULL, NULL, NULL, 5, "SourceElements" },
	{ "65 sources", F_NR, 65, NULL, 0, NULL, NULL, NULL, 5, "SourceElements" },
	{ "name with /", F_NONE, 0, "a/b", 0, NULL, NULL, NULL, 5, "RelationshipName" },
	{ "name too long", F_NONE, 0, NULL, 125, NULL, NULL, NULL, 5, "RelationshipName" },
	{ "name without NUL", F_NONE, 0, NULL, DM_REPLICA_NAME_LEN, NULL, NULL, NULL, 5,
	  "RelationshipName" },
	{ "name empty", F_NONE, 0, "", 0, NULL, NULL, NULL, 0, NULL },
	{ "SourceAccessPoint", F_SAP, 0x2000, NULL, 0, NULL, NULL, NULL, 1,
	  "SourceAccessPoint" },
	{ "TargetAccessPoint", F_TAP, 0x2000, NULL, 0, NULL, NULL, NULL, 1,
	  "TargetAccessPoint" },
	{ "TargetGroup and TargetPool", F_NONE, 0, NULL, 0, "old", NULL, NULL, 5, "TargetPool" },
	{ "TargetGroup and goal", F_POOL, 0, NULL, 0, "old", NULL, "x=1", 5,
	  "TargetSettingGoal" },
	{ "TargetGroup", F_POOL, 0, NULL, 0, "old", NULL, NULL, 1, "TargetGroup" },
	{ "no TargetPool", F_POOL, 0, NULL, 0, NULL, NULL, NULL, 5, "TargetPool" },
	{ "pad", F_PAD, 1, NULL, 0, NULL, NULL, NULL, 5, "pad" },
	{ "reserved", F_RES, 1, NULL, 0, NULL, NULL, NULL, 5, "reserved" },
	{ "unknown setting", F_NONE, 0, NULL, 0, NULL, "speed=3", NULL, 5,
	  "ReplicationSettingData" },
	{ "setting not key=value", F_NONE, 0, NULL, 0, NULL, "fast", NULL, 5,
	  "ReplicationSettingData" },
	{ "setting out of range", F_NONE, 0, NULL, 0, NULL, "barrier_timeout_ms=0", NULL, 5,
	  "ReplicationSettingData" },
	{ "goal key", F_NONE, 0, NULL, 0, NULL, NULL, "barrier_timeout_ms=5", 5,
	  "TargetSettingGoal" },

	/* pad0, pad1, pad2, reserved: every one must be zero. */
	{ "pad0", F_PAD0, 1, NULL, 0, NULL, NULL, NULL, 5, "pad" },
	{ "pad2", F_PAD2, 0x80000000, NULL, 0, NULL, NULL, NULL, 5, "pad" },
	{ "reserved[0]", F_RES0, 1ULL << 63, NULL, 0, NULL, NULL, NULL, 5, "reserved" },

	/* SyncType: Snapshot (7), Clone (8); 0-5 and 9-32767 reserved, 32768 up vendor. */
	{ "SyncType absent", F_SYNC, 0, NULL, 0, NULL, NULL, NULL, 5, "SyncType" },
	{ "SyncType 9", F_SYNC, 9, NULL, 0, NULL, NULL, NULL, 5, "SyncType" },
	{ "SyncType 32768", F_SYNC, 32768, NULL, 0, NULL, NULL, NULL, 5, "SyncType" },

	/* Mode: absent or Synchronous (2); Asynchronous (3) not for Snapshot. */
	{ "Mode Synchronous", F_MODE, 2, NULL, 0, NULL, NULL, NULL, 0, NULL },
	{ "Mode 1", F_MODE, 1, NULL, 0, NULL, NULL, NULL, 5, "Mode" },
	{ "Mode vendor", F_MODE, 0xffff, NULL, 0, NULL, NULL, NULL, 5, "Mode" },

	/* Consistency: absent, No Consistency (2), Sequential Consistency (3). */
	{ "Sequential Consistency", F_CONS, 3, NULL, 0, NULL, NULL, NULL, 0, NULL },
	{ "Consistency 4", F_CONS, 4, NULL, 0, NULL, NULL, NULL, 5, "Consistency" },

	/* WaitForCopyState: absent or Synchronized (4) for a Snapshot. */
	{ "wait Unsynchronized", F_WAIT, 3, NULL, 0, NULL, NULL, NULL, 5,
	  "WaitForCopyState" },
	{ "wait Broken", F_WAIT, 5, NULL, 0, NULL, NULL, NULL, 5, "WaitForCopyState" },
	{ "wait Not Applicable", F_WAIT, 15, NULL, 0, NULL, NULL, NULL, 5,
	  "WaitForCopyState" },
	{ "wait 1", F_WAIT, 1, NULL, 0, NULL, NULL, NULL, 5, "WaitForCopyState" },
	{ "wait 16", F_WAIT, 16, NULL, 0, NULL, NULL, NULL, 5, "WaitForCopyState" },

	/* SourceElements: 1 to DM_REPLICA_MAX_MEMBERS. */
	{ "1 source", F_NR, 1, NULL, 0, NULL, NULL, NULL, 0, NULL },
	{ "64 sources", F_NR, DM_REPLICA_MAX_MEMBERS, NULL, 0, NULL, NULL, NULL, 0, NULL },
	{ "4 billion sources", F_NR, U32_MAX, NULL, 0, NULL, NULL, NULL, 5,
	  "SourceElements" },

	/* RelationshipName: at most DM_REPLICA_NAME_LEN - 4 characters. */
	{ "name 124 characters", F_NONE, 0, NULL, DM_REPLICA_NAME_LEN - 4, NULL, NULL, NULL,
	  0, NULL },

	/* SourceGroupName and TargetGroup: NUL-terminated, no '/'. */
	{ "SourceGroupName 127 characters", F_SGNAME, 0, NULL, DM_REPLICA_NAME_LEN - 1, NULL,
	  NULL, NULL, 0, NULL },
	{ "SourceGroupName with /", F_SGNAME, 0, "db/logs", 0, NULL, NULL, NULL, 5,
	  "SourceGroupName" },
	{ "SourceGroupName without NUL", F_SGNAME, 0, NULL, DM_REPLICA_NAME_LEN, NULL, NULL,
	  NULL, 5, "SourceGroupName" },
	{ "TargetGroup with /", F_TGNAME, 0, "a/b", 0, NULL, NULL, NULL, 5, "TargetGroup" },
	{ "TargetGroup without NUL", F_TGNAME, 0, NULL, DM_REPLICA_NAME_LEN, NULL, NULL, NULL,
	  5, "TargetGroup" },

	/* ReplicationSettingData: barrier_timeout_ms 1 to 60000. */
	{ "setting 1", F_NONE, 0, NULL, 0, NULL, "barrier_timeout_ms=1", NULL, 0, NULL },
	{ "setting 60000", F_NONE, 0, NULL, 0, NULL, "barrier_timeout_ms=60000", NULL, 0,
	  NULL },
	{ "setting 60001", F_NONE, 0, NULL, 0, NULL, "barrier_timeout_ms=60001", NULL, 5,
	  "ReplicationSettingData" },
	{ "setting not a number", F_NONE, 0, NULL, 0, NULL, "barrier_timeout_ms=1s", NULL, 5,
	  "ReplicationSettingData" },
	{ "setting negative", F_NONE, 0, NULL, 0, NULL, "barrier_timeout_ms=-1", NULL, 5,
	  "ReplicationSettingData" },
	{ "setting unknown after a valid one", F_NONE, 0, NULL, 0, NULL,
	  "barrier_timeout_ms=250,speed=3", NULL, 5, "ReplicationSettingData" },
	{ "settings empty", F_NONE, 0, NULL, 0, NULL, "", NULL, 0, NULL },
	{ "settings empty entries", F_NONE, 0, NULL, 0, NULL, ",barrier_timeout_ms=250,", NULL,
	  0, NULL },

	/* TargetSettingGoal: no key is known for a Snapshot yet. */
	{ "goal empty", F_NONE, 0, NULL, 0, NULL, NULL, "", 0, NULL },
	{ "goal unknown key", F_NONE, 0, NULL, 0, NULL, NULL, "x=1", 5, "TargetSettingGoal" },
	{ "goal not key=value", F_NONE, 0, NULL, 0, NULL, NULL, "fast", 5,
	  "TargetSettingGoal" },
};

static void dmr_valid_req(struct dm_replica_create_group *req)
{
	memset(req, 0, sizeof(*req));
	req->hdr.size = sizeof(*req);
	req->sync_type = DM_REPLICA_SYNC_SNAPSHOT;
	req->nr_sources = 2;
	req->sources = 0x1000;
	req->target_pool.major = 253;
	req->target_pool.minor = 9;
	strscpy(req->relationship_name, "backup", sizeof(req->relationship_name));
}

static void dmr_apply(struct dm_replica_create_group *req, const struct dmr_req_case *c)
{
	char *name = req->relationship_name;

	switch (c->field_id) {
	case F_NONE:
		break;
	case F_SYNC:
		req->sync_type = c->val;
		break;
	case F_MODE:
		req->mode = c->val;
		break;
	case F_CONS:
		req->consistency = c->val;
		break;
	case F_WAIT:
		req->wait_for_copy_state = c->val;
		break;
	case F_NR:
		req->nr_sources = c->val;
		break;
	case F_SAP:
		req->source_access_point = c->val;
		break;
	case F_TAP:
		req->target_access_point = c->val;
		break;
	case F_POOL:
		req->target_pool.major = c->val;
		req->target_pool.minor = c->val;
		break;
	case F_PAD:
		req->pad1 = c->val;
		break;
	case F_RES:
		req->reserved[7] = c->val;
		break;
	case F_PAD0:
		req->pad0 = c->val;
		break;
	case F_PAD2:
		req->pad2 = c->val;
		break;
	case F_RES0:
		req->reserved[0] = c->val;
		break;
	case F_SGNAME:
		name = req->source_group_name;
		break;
	case F_TGNAME:
		name = req->target_group;
		break;
	}
	if (c->str)
		strscpy(name, c->str, DM_REPLICA_NAME_LEN);
	if (c->fill)
		memset(name, 'n', c->fill);
	if (c->tgroup)
		strscpy(req->target_group, c->tgroup, sizeof(req->target_group));
}

static void dmr_req_desc(const struct dmr_req_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(dmr_req, dmr_req_cases, dmr_req_desc);

static void dmr_test_check_create(struct kunit *test)
{
	const struct dmr_req_case *c = test->param_value;
	struct dm_replica_create_group *req = kunit_kzalloc(test, sizeof(*req), GFP_KERNEL);
	struct dmr_create_params p;
	char msg[DM_REPLICA_MESSAGE_LEN] = "";

	KUNIT_ASSERT_NOT_NULL(test, req);
	dmr_valid_req(req);
	dmr_apply(req, c);
	KUNIT_EXPECT_EQ(test, dmr_check_create(req, c->settings, c->goal, &p, msg, sizeof(msg)),
			c->result);
	if (!c->result) {
		KUNIT_EXPECT_STREQ(test, msg, "");
		return;
	}
	/* The message starts with the field it refuses: "<field>: ...". */
	KUNIT_ASSERT_NOT_NULL(test, c->field);
	KUNIT_EXPECT_TRUE_MSG(test, !strncmp(msg, c->field, strlen(c->field)) &&
			      msg[strlen(c->field)] == ':', "message: %s", msg);
}

static void dmr_test_check_defaults(struct kunit *test)
{
	struct dm_replica_create_group *req = kunit_kzalloc(test, sizeof(*req), GFP_KERNEL);
	struct dmr_create_params p;
	char msg[DM_REPLICA_MESSAGE_LEN];

	KUNIT_ASSERT_NOT_NULL(test, req);
	dmr_valid_req(req);
	KUNIT_ASSERT_EQ(test, dmr_check_create(req, NULL, NULL, &p, msg, sizeof(msg)), 0U);
	/* Absent Mode and Consistency take the group defaults. */
	KUNIT_EXPECT_EQ(test, p.mode, DM_REPLICA_MODE_SYNCHRONOUS);
	KUNIT_EXPECT_EQ(test, p.consistency, DM_REPLICA_CONSISTENCY_SEQUENTIAL);
	KUNIT_EXPECT_EQ(test, p.barrier_timeout_ms, 5000U);
	KUNIT_ASSERT_EQ(test, dmr_check_create(req, "barrier_timeout_ms=250", NULL, &p, msg,
					       sizeof(msg)), 0U);
	KUNIT_EXPECT_EQ(test, p.barrier_timeout_ms, 250U);
}

/* What an accepted request asks for reaches the group as asked. */
static void dmr_test_check_params(struct kunit *test)
{
	struct dm_replica_create_group *req = kunit_kzalloc(test, sizeof(*req), GFP_KERNEL);
	struct dmr_create_params p;
	char msg[DM_REPLICA_MESSAGE_LEN] = "";

	KUNIT_ASSERT_NOT_NULL(test, req);
	dmr_valid_req(req);
	req->mode = DM_REPLICA_MODE_SYNCHRONOUS;
	req->consistency = DM_REPLICA_CONSISTENCY_NONE;
	KUNIT_ASSERT_EQ(test, dmr_check_create(req, "barrier_timeout_ms=1", NULL, &p, msg,
					       sizeof(msg)), 0U);
	KUNIT_EXPECT_EQ(test, p.mode, DM_REPLICA_MODE_SYNCHRONOUS);
	KUNIT_EXPECT_EQ(test, p.consistency, DM_REPLICA_CONSISTENCY_NONE);
	KUNIT_EXPECT_EQ(test, p.barrier_timeout_ms, 1U);

	req->consistency = DM_REPLICA_CONSISTENCY_SEQUENTIAL;
	KUNIT_ASSERT_EQ(test, dmr_check_create(req, ",barrier_timeout_ms=60000,", NULL, &p,
					       msg, sizeof(msg)), 0U);
	KUNIT_EXPECT_EQ(test, p.consistency, DM_REPLICA_CONSISTENCY_SEQUENTIAL);
	KUNIT_EXPECT_EQ(test, p.barrier_timeout_ms, 60000U);

	/* A refused value names its key as well as its field. */
	KUNIT_EXPECT_EQ(test, dmr_check_create(req, "barrier_timeout_ms=0", NULL, &p, msg,
					       sizeof(msg)), DM_REPLICA_RET_INVALID_PARAM);
	KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(msg, "barrier_timeout_ms"), "message: %s", msg);
}

/*
 * A clone: Mode says whether the call waits for the copy, any of the
 * states a creation passes can be waited for, and the copy settings are
 * taken with their limits.
 */
static void dmr_test_check_clone(struct kunit *test)
{
	struct dm_replica_create_group *req = kunit_kzalloc(test, sizeof(*req), GFP_KERNEL);
	static const struct {
		const char *settings;
		unsigned int rate;
		u16 prio;
	} ok[] = {
		{ NULL, 0, DM_REPLICA_COPY_PRIORITY_SAME },
		{ "copy_rate=0", 0, DM_REPLICA_COPY_PRIORITY_SAME },
		{ "copy_rate=16777216,copy_priority=1", DMR_COPY_RATE_MAX,
		  DM_REPLICA_COPY_PRIORITY_LOW },
		{ "copy_priority=3,barrier_timeout_ms=10", 0, DM_REPLICA_COPY_PRIORITY_HIGH },
	};
	static const char * const bad[] = {
		"copy_rate=16777217", "copy_rate=-1", "copy_rate=fast", "copy_rate=",
		"copy_priority=0", "copy_priority=4", "copy_priority=high",
	};
	struct dmr_create_params p;
	char msg[DM_REPLICA_MESSAGE_LEN] = "";
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, req);
	dmr_valid_req(req);
	req->sync_type = DM_REPLICA_SYNC_CLONE;

	KUNIT_ASSERT_EQ(test, dmr_check_create(req, NULL, NULL, &p, msg, sizeof(msg)), 0U);
	KUNIT_EXPECT_EQ(test, p.mode, DM_REPLICA_MODE_ASYNCHRONOUS);
	KUNIT_EXPECT_EQ(test, p.wait_state, 0);
	req->mode = DM_REPLICA_MODE_SYNCHRONOUS;
	KUNIT_ASSERT_EQ(test, dmr_check_create(req, NULL, NULL, &p, msg, sizeof(msg)), 0U);
	KUNIT_EXPECT_EQ(test, p.wait_state, DM_REPLICA_COPY_SYNCHRONIZED);
	req->mode = DM_REPLICA_MODE_ASYNCHRONOUS;
	req->wait_for_copy_state = DM_REPLICA_COPY_UNSYNCHRONIZED;
	KUNIT_ASSERT_EQ(test, dmr_check_create(req, NULL, NULL, &p, msg, sizeof(msg)), 0U);
	KUNIT_EXPECT_EQ(test, p.mode, DM_REPLICA_MODE_ASYNCHRONOUS);
	KUNIT_EXPECT_EQ(test, p.wait_state, DM_REPLICA_COPY_UNSYNCHRONIZED);
	req->wait_for_copy_state = DM_REPLICA_COPY_INITIALIZED;
	KUNIT_ASSERT_EQ(test, dmr_check_create(req, NULL, NULL, &p, msg, sizeof(msg)), 0U);
	KUNIT_EXPECT_EQ(test, p.wait_state, DM_REPLICA_COPY_INITIALIZED);
	req->wait_for_copy_state = DM_REPLICA_COPY_INACTIVE;
	KUNIT_EXPECT_EQ(test, dmr_check_create(req, NULL, NULL, &p, msg, sizeof(msg)),
			DM_REPLICA_RET_INVALID_PARAM);
	KUNIT_EXPECT_TRUE_MSG(test, !strncmp(msg, "WaitForCopyState:", 17), "message: %s", msg);
	req->wait_for_copy_state = 0;

	for (i = 0; i < ARRAY_SIZE(ok); i++) {
		KUNIT_ASSERT_EQ_MSG(test, dmr_check_create(req, ok[i].settings, NULL, &p, msg,
							   sizeof(msg)), 0U, "%s", ok[i].settings);
		KUNIT_EXPECT_EQ(test, p.copy_rate_kib, ok[i].rate);
		KUNIT_EXPECT_EQ(test, p.copy_priority, ok[i].prio);
	}
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		msg[0] = 0;
		KUNIT_EXPECT_EQ_MSG(test, dmr_check_create(req, bad[i], NULL, &p, msg, sizeof(msg)),
				    DM_REPLICA_RET_INVALID_PARAM, "%s", bad[i]);
		KUNIT_EXPECT_TRUE_MSG(test, !strncmp(msg, "ReplicationSettingData: copy_", 29),
				      "%s: message: %s", bad[i], msg);
	}
	/* The copy settings are for the replicas, not for the goal they keep. */
	KUNIT_EXPECT_EQ(test, dmr_check_create(req, NULL, "copy_rate=5", &p, msg, sizeof(msg)),
			DM_REPLICA_RET_INVALID_PARAM);
}

static struct kunit_case dmr_request_cases[] = {
	KUNIT_CASE_PARAM(dmr_test_check_create, dmr_req_gen_params),
	KUNIT_CASE(dmr_test_check_defaults),
	KUNIT_CASE(dmr_test_check_params),
	KUNIT_CASE(dmr_test_check_clone),
	{}
};

static struct kunit_suite dmr_request_suite = {
	.name = "dm_replica_request",
	.test_cases = dmr_request_cases,
};

kunit_test_suite(dmr_request_suite);
