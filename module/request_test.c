// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the checks of CreateGroupReplicaFromElements requests.
 */
#include <kunit/test.h>
#include <linux/string.h>

#include "request.h"

enum dmr_req_field {
	F_NONE, F_SYNC, F_MODE, F_CONS, F_WAIT, F_NR, F_SAP, F_TAP, F_POOL, F_PAD, F_RES,
};

/*
 * One case: a valid request changed in one place (a field set to @val, or a
 * name), the settings strings, and the answer it must get.
 */
struct dmr_req_case {
	const char *name;
	enum dmr_req_field field_id;	/* field to set to @val */
	u64 val;
	const char *rel;	/* RelationshipName to set, if not NULL */
	unsigned int rel_fill;	/* or fill it with this many 'n' */
	const char *tgroup;	/* TargetGroup to set, if not NULL */
	const char *settings;
	const char *goal;
	u32 result;
	const char *field;	/* what the message must name */
};

static const struct dmr_req_case dmr_req_cases[] = {
	{ "valid", F_NONE, 0, NULL, 0, NULL, NULL, NULL, 0, NULL },
	{ "settings", F_NONE, 0, NULL, 0, NULL, "barrier_timeout_ms=250", NULL, 0, NULL },
	{ "Mirror not supported", F_SYNC, 6, NULL, 0, NULL, NULL, NULL, 1, "SyncType" },
	{ "Clone not supported", F_SYNC, 8, NULL, 0, NULL, NULL, NULL, 1, "SyncType" },
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
	  "barrier_timeout_ms" },
	{ "goal key", F_NONE, 0, NULL, 0, NULL, NULL, "barrier_timeout_ms=5", 5,
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
	}
	if (c->rel)
		strscpy(req->relationship_name, c->rel, sizeof(req->relationship_name));
	if (c->rel_fill)
		memset(req->relationship_name, 'n', c->rel_fill);
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
	if (c->field)
		KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(msg, c->field), "message: %s", msg);
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

static struct kunit_case dmr_request_cases[] = {
	KUNIT_CASE_PARAM(dmr_test_check_create, dmr_req_gen_params),
	KUNIT_CASE(dmr_test_check_defaults),
	{}
};

static struct kunit_suite dmr_request_suite = {
	.name = "dm_replica_request",
	.test_cases = dmr_request_cases,
};

kunit_test_suite(dmr_request_suite);
