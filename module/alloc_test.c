// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the chunk allocator.
 */
#include <kunit/test.h>

#include "alloc.h"

/* The allocator of the running case, freed by the suite's exit. */
static struct dmr_alloc *dmr_test_alloc(struct kunit *test, u64 nr)
{
	struct dmr_alloc *a = kunit_kzalloc(test, sizeof(*a), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_EQ(test, dmr_alloc_init(a, nr), 0);
	test->priv = a;
	return a;
}

static void dmr_test_alloc_case_exit(struct kunit *test)
{
	if (test->priv)
		dmr_alloc_exit(test->priv);
}

static void dmr_test_alloc_all(struct kunit *test)
{
	struct dmr_alloc *a = dmr_test_alloc(test, 100);
	DECLARE_BITMAP(seen, 100);
	u64 c, used, total;
	unsigned int i;

	bitmap_zero(seen, 100);
	for (i = 0; i < 100; i++) {
		KUNIT_ASSERT_EQ(test, dmr_alloc_get(a, &c), 0);
		KUNIT_ASSERT_LT(test, c, 100ULL);
		/* Never the same chunk twice. */
		KUNIT_EXPECT_FALSE(test, test_and_set_bit(c, seen));
	}
	KUNIT_EXPECT_EQ(test, dmr_alloc_get(a, &c), -ENOSPC);
	dmr_alloc_usage(a, &used, &total);
	KUNIT_EXPECT_EQ(test, used, 100ULL);
	KUNIT_EXPECT_EQ(test, total, 100ULL);
}

static void dmr_test_alloc_put(struct kunit *test)
{
	struct dmr_alloc *a = dmr_test_alloc(test, 4);
	u64 c, used, total;
	unsigned int i;

	for (i = 0; i < 4; i++)
		KUNIT_ASSERT_EQ(test, dmr_alloc_get(a, &c), 0);
	dmr_alloc_put(a, 2);
	dmr_alloc_usage(a, &used, &total);
	KUNIT_EXPECT_EQ(test, used, 3ULL);
	/* The freed chunk is found again, past the cursor's end. */
	KUNIT_ASSERT_EQ(test, dmr_alloc_get(a, &c), 0);
	KUNIT_EXPECT_EQ(test, c, 2ULL);
	KUNIT_EXPECT_EQ(test, dmr_alloc_get(a, &c), -ENOSPC);
}

static void dmr_test_alloc_mark(struct kunit *test)
{
	struct dmr_alloc *a = dmr_test_alloc(test, 8);
	u64 c;

	KUNIT_EXPECT_EQ(test, dmr_alloc_mark(a, 0), 0);
	KUNIT_EXPECT_EQ(test, dmr_alloc_mark(a, 5), 0);
	KUNIT_EXPECT_EQ(test, dmr_alloc_mark(a, 5), -EEXIST);
	KUNIT_EXPECT_EQ(test, dmr_alloc_mark(a, 8), -ERANGE);
	/* Marked chunks are never handed out. */
	while (!dmr_alloc_get(a, &c)) {
		KUNIT_EXPECT_NE(test, c, 0ULL);
		KUNIT_EXPECT_NE(test, c, 5ULL);
	}
}

static struct kunit_case dmr_alloc_cases[] = {
	KUNIT_CASE(dmr_test_alloc_all),
	KUNIT_CASE(dmr_test_alloc_put),
	KUNIT_CASE(dmr_test_alloc_mark),
	{}
};

static struct kunit_suite dmr_alloc_suite = {
	.name = "dm_replica_alloc",
	.exit = dmr_test_alloc_case_exit,
	.test_cases = dmr_alloc_cases,
};

kunit_test_suite(dmr_alloc_suite);
