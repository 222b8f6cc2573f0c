// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the member state machine: every pair of CopyStates
 * against the table in member.h, and what a change does to the record.
 */
#include <kunit/test.h>
#include <linux/string.h>

#include "member.h"

/* The transitions member.h documents; every other pair is refused. */
static bool dmr_test_allowed(u16 from, u16 to)
{
	return (from == DM_REPLICA_COPY_INITIALIZED &&
		(to == DM_REPLICA_COPY_SYNCHRONIZED || to == DM_REPLICA_COPY_UNSYNCHRONIZED ||
		 to == DM_REPLICA_COPY_BROKEN)) ||
	       (from == DM_REPLICA_COPY_UNSYNCHRONIZED &&
		(to == DM_REPLICA_COPY_SYNCHRONIZED || to == DM_REPLICA_COPY_BROKEN)) ||
	       (from == DM_REPLICA_COPY_SYNCHRONIZED &&
		(to == DM_REPLICA_COPY_UNSYNCHRONIZED || to == DM_REPLICA_COPY_BROKEN));
}

static void dmr_test_member_table(struct kunit *test)
{
	u16 from, to;

	for (from = 0; from <= DM_REPLICA_COPY_NOT_APPLICABLE + 1; from++)
		for (to = 0; to <= DM_REPLICA_COPY_NOT_APPLICABLE + 1; to++)
			KUNIT_EXPECT_EQ_MSG(test, dmr_member_transition_ok(from, to),
					    dmr_test_allowed(from, to), "%u -> %u", from, to);
}

/* Broken is final: nothing brings a broken replica back. */
static void dmr_test_member_broken_final(struct kunit *test)
{
	struct dmr_member_rec *rec = kunit_kzalloc(test, sizeof(*rec), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, rec);
	rec->copy_state = DM_REPLICA_COPY_SYNCHRONIZED;
	KUNIT_EXPECT_EQ(test, dmr_member_set_state(rec, DM_REPLICA_COPY_BROKEN,
						   "the pool is full"), 0);
	KUNIT_EXPECT_STREQ(test, rec->reason, "the pool is full");
	KUNIT_EXPECT_EQ(test, dmr_member_set_state(rec, DM_REPLICA_COPY_SYNCHRONIZED, NULL),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, dmr_member_set_state(rec, DM_REPLICA_COPY_INITIALIZED, NULL),
			-EINVAL);
	/* A second failure keeps the first reason. */
	KUNIT_EXPECT_EQ(test, dmr_member_set_state(rec, DM_REPLICA_COPY_BROKEN, "later"),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, rec->copy_state, DM_REPLICA_COPY_BROKEN);
	KUNIT_EXPECT_STREQ(test, rec->reason, "the pool is full");
}

/* A creation that completes never writes Synchronized over a Broken. */
static void dmr_test_member_creation(struct kunit *test)
{
	struct dmr_member_rec *rec = kunit_kzalloc(test, sizeof(*rec), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, rec);
	rec->copy_state = DM_REPLICA_COPY_INITIALIZED;
	KUNIT_EXPECT_EQ(test, dmr_member_set_state(rec, DM_REPLICA_COPY_BROKEN,
						   "writing a copy to the pool failed"), 0);
	KUNIT_EXPECT_EQ(test, dmr_member_set_state(rec, DM_REPLICA_COPY_SYNCHRONIZED, NULL),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, rec->copy_state, DM_REPLICA_COPY_BROKEN);

	memset(rec, 0, sizeof(*rec));
	rec->copy_state = DM_REPLICA_COPY_INITIALIZED;
	KUNIT_EXPECT_EQ(test, dmr_member_set_state(rec, DM_REPLICA_COPY_SYNCHRONIZED, NULL), 0);
	KUNIT_EXPECT_STREQ(test, rec->reason, "");
}

/*
 * A clone: Unsynchronized while it copies, and again while a Resync
 * Replica copies what changed; never out of Broken.
 */
static void dmr_test_member_clone(struct kunit *test)
{
	struct dmr_member_rec *rec = kunit_kzalloc(test, sizeof(*rec), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, rec);
	rec->copy_state = DM_REPLICA_COPY_INITIALIZED;
	KUNIT_EXPECT_EQ(test, dmr_member_set_state(rec, DM_REPLICA_COPY_UNSYNCHRONIZED, NULL), 0);
	KUNIT_EXPECT_EQ(test, dmr_member_set_state(rec, DM_REPLICA_COPY_INITIALIZED, NULL),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, dmr_member_set_state(rec, DM_REPLICA_COPY_SYNCHRONIZED, NULL), 0);
	KUNIT_EXPECT_EQ(test, dmr_member_set_state(rec, DM_REPLICA_COPY_INITIALIZED, NULL),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, rec->copy_state, DM_REPLICA_COPY_SYNCHRONIZED);
	KUNIT_EXPECT_EQ(test, dmr_member_set_state(rec, DM_REPLICA_COPY_UNSYNCHRONIZED, NULL), 0);
	KUNIT_EXPECT_EQ(test, rec->copy_state, DM_REPLICA_COPY_UNSYNCHRONIZED);
	KUNIT_EXPECT_EQ(test, dmr_member_set_state(rec, DM_REPLICA_COPY_SYNCHRONIZED, NULL), 0);

	rec->copy_state = DM_REPLICA_COPY_UNSYNCHRONIZED;
	KUNIT_EXPECT_EQ(test, dmr_member_set_state(rec, DM_REPLICA_COPY_BROKEN, "the pool is full"),
			0);
	KUNIT_EXPECT_EQ(test, dmr_member_set_state(rec, DM_REPLICA_COPY_UNSYNCHRONIZED, NULL),
			-EINVAL);
}

static struct kunit_case dmr_member_cases[] = {
	KUNIT_CASE(dmr_test_member_table),
	KUNIT_CASE(dmr_test_member_broken_final),
	KUNIT_CASE(dmr_test_member_creation),
	KUNIT_CASE(dmr_test_member_clone),
	{}
};

static struct kunit_suite dmr_member_suite = {
	.name = "dm_replica_member",
	.test_cases = dmr_member_cases,
};

kunit_test_suite(dmr_member_suite);
