// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the change map of a clone (changes.c): which writes it
 * holds for a map write, what it reports, and its size in the pool.
 */
#include <kunit/test.h>

#include "changes.h"

#define DMR_TEST_CHUNK_SECTORS	128	/* 64 KiB: 16 map blocks per pool chunk */

static struct dmr_changes *dmr_test_changes(struct kunit *test, u64 nr_chunks, bool place)
{
	struct dmr_changes *ch = dmr_changes_alloc(nr_chunks, DMR_TEST_CHUNK_SECTORS, false);
	u32 i;

	KUNIT_ASSERT_NOT_NULL(test, ch);
	for (i = 0; place && i < dmr_changes_map_chunks(ch); i++)
		dmr_changes_place(ch, i, 1000 + i);
	KUNIT_EXPECT_EQ(test, dmr_changes_placed(ch), place);
	return ch;
}

/* Two sides of whole 4 KiB blocks, as many pool chunks as they fill. */
static void dmr_test_changes_size(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, dmr_changes_pool_chunks(1, DMR_TEST_CHUNK_SECTORS), 1U);
	KUNIT_EXPECT_EQ(test, dmr_changes_pool_chunks(8 * DMR_CHANGES_BLOCK_BITS,
						      DMR_TEST_CHUNK_SECTORS), 1U);
	KUNIT_EXPECT_EQ(test, dmr_changes_pool_chunks(8 * DMR_CHANGES_BLOCK_BITS + 1,
						      DMR_TEST_CHUNK_SECTORS), 2U);
	/* 4 KiB chunks: one block each. */
	KUNIT_EXPECT_EQ(test, dmr_changes_pool_chunks(3 * DMR_CHANGES_BLOCK_BITS, 8), 6U);
}

/* Not placed (no pool yet): writes are marked, never held. */
static void dmr_test_changes_unplaced(struct kunit *test)
{
	struct dmr_changes *ch = dmr_test_changes(test, 256, false);

	KUNIT_EXPECT_FALSE(test, __dmr_changes_mark(ch, DMR_SIDE_SOURCE, 3, 5));
	KUNIT_EXPECT_FALSE(test, __dmr_changes_mark(ch, DMR_SIDE_REPLICA, 5, 5));
	KUNIT_EXPECT_EQ(test, __dmr_changes_next(ch, 0), 3ULL);
	KUNIT_EXPECT_EQ(test, __dmr_changes_of(ch, 3), (unsigned int)DMR_CHANGED_SOURCE);
	KUNIT_EXPECT_EQ(test, __dmr_changes_of(ch, 5),
			(unsigned int)(DMR_CHANGED_SOURCE | DMR_CHANGED_REPLICA));
	KUNIT_EXPECT_EQ(test, __dmr_changes_of(ch, 6), 0U);
	KUNIT_EXPECT_EQ(test, __dmr_changes_next(ch, 6), 256ULL);
	/* Runs: 3-4 at the source, 5 on both sides. */
	KUNIT_EXPECT_EQ(test, __dmr_changes_run_end(ch, 3, DMR_CHANGED_SOURCE), 5ULL);
	KUNIT_EXPECT_EQ(test, __dmr_changes_run_end(ch, 5, DMR_CHANGED_SOURCE |
						    DMR_CHANGED_REPLICA), 6ULL);
	KUNIT_EXPECT_FALSE(test, __dmr_changes_mark(ch, DMR_SIDE_REPLICA, 200, 255));
	KUNIT_EXPECT_EQ(test, __dmr_changes_run_end(ch, 200, DMR_CHANGED_REPLICA), 256ULL);
	/* Nothing to write for a map with no place. */
	KUNIT_EXPECT_EQ(test, __dmr_changes_write_start(ch), 0U);
	dmr_changes_free(ch);
}

/*
 * Placed: a write is held while its bit is not durable (set now, or set
 * and its block not yet written, or being written), and goes on at once
 * when a map write that took its block has ended.
 */
static void dmr_test_changes_held(struct kunit *test)
{
	struct dmr_changes *ch = dmr_test_changes(test, 2 * DMR_CHANGES_BLOCK_BITS, true);
	u64 far = DMR_CHANGES_BLOCK_BITS + 7;

	KUNIT_EXPECT_TRUE(test, __dmr_changes_mark(ch, DMR_SIDE_SOURCE, 10, 10));
	/* Set, its block not written yet: held too. */
	KUNIT_EXPECT_TRUE(test, __dmr_changes_mark(ch, DMR_SIDE_SOURCE, 10, 10));
	KUNIT_EXPECT_TRUE(test, __dmr_changes_mark(ch, DMR_SIDE_REPLICA, far, far));

	/* A write takes the two changed blocks; one of them changes again. */
	KUNIT_EXPECT_EQ(test, __dmr_changes_write_start(ch), 2U);
	KUNIT_EXPECT_TRUE(test, __dmr_changes_mark(ch, DMR_SIDE_SOURCE, 10, 10));
	KUNIT_EXPECT_TRUE(test, __dmr_changes_mark(ch, DMR_SIDE_SOURCE, 11, 11));
	__dmr_changes_write_end(ch);

	/* Chunk 10 is durable, its block is dirty again for chunk 11. */
	KUNIT_EXPECT_TRUE(test, __dmr_changes_mark(ch, DMR_SIDE_SOURCE, 10, 10));
	KUNIT_EXPECT_FALSE(test, __dmr_changes_mark(ch, DMR_SIDE_REPLICA, far, far));
	KUNIT_EXPECT_EQ(test, __dmr_changes_write_start(ch), 1U);
	__dmr_changes_write_end(ch);
	KUNIT_EXPECT_FALSE(test, __dmr_changes_mark(ch, DMR_SIDE_SOURCE, 10, 11));
	/* A range with one new chunk is held. */
	KUNIT_EXPECT_TRUE(test, __dmr_changes_mark(ch, DMR_SIDE_SOURCE, 9, 11));
	KUNIT_EXPECT_EQ(test, __dmr_changes_next(ch, 0), 9ULL);
	KUNIT_EXPECT_EQ(test, __dmr_changes_next(ch, 12), far);
	dmr_changes_free(ch);
}

/* Unknown: every chunk counts as changed, nothing is held. */
static void dmr_test_changes_unknown(struct kunit *test)
{
	struct dmr_changes *ch = dmr_test_changes(test, 100, true);

	__dmr_changes_lose(ch);
	KUNIT_EXPECT_TRUE(test, dmr_changes_unknown(ch));
	KUNIT_EXPECT_FALSE(test, __dmr_changes_mark(ch, DMR_SIDE_SOURCE, 1, 1));
	KUNIT_EXPECT_EQ(test, __dmr_changes_of(ch, 50), (unsigned int)DMR_CHANGED_UNKNOWN);
	KUNIT_EXPECT_EQ(test, __dmr_changes_next(ch, 42), 42ULL);
	KUNIT_EXPECT_EQ(test, __dmr_changes_run_end(ch, 42, DMR_CHANGED_UNKNOWN), 100ULL);
	KUNIT_EXPECT_EQ(test, __dmr_changes_write_start(ch), 0U);
	dmr_changes_free(ch);

	ch = dmr_changes_alloc(100, DMR_TEST_CHUNK_SECTORS, true);
	KUNIT_ASSERT_NOT_NULL(test, ch);
	KUNIT_EXPECT_TRUE(test, dmr_changes_unknown(ch));
	dmr_changes_free(ch);
}

/* A map chunk is placed once; an index past the map is not. */
static void dmr_test_changes_place(struct kunit *test)
{
	struct dmr_changes *ch = dmr_test_changes(test, 9 * DMR_CHANGES_BLOCK_BITS, false);
	u64 pc;

	KUNIT_EXPECT_EQ(test, dmr_changes_map_chunks(ch), 2U);
	dmr_changes_place(ch, 1, 77);
	KUNIT_EXPECT_FALSE(test, dmr_changes_placed(ch));
	KUNIT_EXPECT_TRUE(test, dmr_changes_where(ch, 1, &pc));
	KUNIT_EXPECT_EQ(test, pc, 77ULL);
	KUNIT_EXPECT_FALSE(test, dmr_changes_where(ch, 0, &pc));
	KUNIT_EXPECT_FALSE(test, dmr_changes_where(ch, 2, &pc));
	dmr_changes_place(ch, 0, 78);
	KUNIT_EXPECT_TRUE(test, dmr_changes_placed(ch));
	KUNIT_EXPECT_TRUE(test, dmr_changes_is_map(dmr_changes_src_chunk(1)));
	KUNIT_EXPECT_FALSE(test, dmr_changes_is_map(U32_MAX));
	dmr_changes_free(ch);
}

static struct kunit_case dmr_changes_cases[] = {
	KUNIT_CASE(dmr_test_changes_size),
	KUNIT_CASE(dmr_test_changes_unplaced),
	KUNIT_CASE(dmr_test_changes_held),
	KUNIT_CASE(dmr_test_changes_unknown),
	KUNIT_CASE(dmr_test_changes_place),
	{}
};

static struct kunit_suite dmr_changes_suite = {
	.name = "dm_replica_changes",
	.test_cases = dmr_changes_cases,
};

kunit_test_suite(dmr_changes_suite);
