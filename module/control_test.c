// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the request checking of the control device.
 */
#include <kunit/test.h>
#include <linux/string.h>

#include <uapi/linux/dm-replica.h>

#include "control.h"

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
	{}
};

static struct kunit_suite dmr_control_suite = {
	.name = "dm_replica_control",
	.test_cases = dmr_control_cases,
};

kunit_test_suite(dmr_control_suite);
