// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the background copy's pacing: how many copies a member
 * may have in flight, and what copy_rate makes a chunk cost.
 */
#include <kunit/test.h>

#include "clone.h"
#include "request.h"

/* CopyPriority against a busy or idle source. */
static void dmr_test_clone_depth(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, dmr_clone_depth_for(DM_REPLICA_COPY_PRIORITY_HIGH, true),
			DMR_CLONE_DEPTH);
	KUNIT_EXPECT_EQ(test, dmr_clone_depth_for(DM_REPLICA_COPY_PRIORITY_SAME, true), 1U);
	KUNIT_EXPECT_EQ(test, dmr_clone_depth_for(DM_REPLICA_COPY_PRIORITY_LOW, true), 0U);
	KUNIT_EXPECT_EQ(test, dmr_clone_depth_for(DM_REPLICA_COPY_PRIORITY_HIGH, false),
			DMR_CLONE_DEPTH);
	KUNIT_EXPECT_EQ(test, dmr_clone_depth_for(DM_REPLICA_COPY_PRIORITY_SAME, false),
			DMR_CLONE_DEPTH);
	KUNIT_EXPECT_EQ(test, dmr_clone_depth_for(DM_REPLICA_COPY_PRIORITY_LOW, false),
			DMR_CLONE_DEPTH);
}

/*
 * copy_rate over its whole range: exact where it divides, and no
 * truncated divisor at the top (4 GiB/s and more once made one of 0).
 */
static void dmr_test_clone_cost(struct kunit *test)
{
	/* 64 KiB at 4 MiB/s: 1/64 s. */
	KUNIT_EXPECT_EQ(test, dmr_clone_cost_ns(64 << 10, 4096), NSEC_PER_SEC / 64);
	/* 64 KiB at 1 KiB/s: 64 s. */
	KUNIT_EXPECT_EQ(test, dmr_clone_cost_ns(64 << 10, 1), 64 * NSEC_PER_SEC);
	/* 64 KiB at 4 GiB/s: 15.3 us; at 4 GiB/s + 1 KiB/s, a hair less. */
	KUNIT_EXPECT_EQ(test, dmr_clone_cost_ns(64 << 10, 4U << 20), 15258ULL);
	KUNIT_EXPECT_EQ(test, dmr_clone_cost_ns(64 << 10, (4U << 20) + 1), 15258ULL);
	/* 1 MiB at the most copy_rate may ask, 16 GiB/s: 61 us. */
	KUNIT_EXPECT_EQ(test, dmr_clone_cost_ns(1 << 20, DMR_COPY_RATE_MAX), 61035ULL);
	/* 1 MiB at 5000000 KiB/s: 204.8 us. */
	KUNIT_EXPECT_EQ(test, dmr_clone_cost_ns(1 << 20, 5000000), 204800ULL);
}

static struct kunit_case dmr_clone_cases[] = {
	KUNIT_CASE(dmr_test_clone_depth),
	KUNIT_CASE(dmr_test_clone_cost),
	{}
};

static struct kunit_suite dmr_clone_suite = {
	.name = "dm_replica_clone",
	.test_cases = dmr_clone_cases,
};

kunit_test_suite(dmr_clone_suite);
