// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the copy-on-write decisions and the chunk map: which
 * source writes may go on, which need a copy first, where replica I/O
 * goes, and the tracking of replica reads at the origin.
 */
#include <kunit/test.h>
#include <linux/bio.h>
#include <linux/device-mapper.h>

#include "cow.h"

#define CHUNK	128	/* sectors */

static struct dmr_cow *dmr_test_cow(struct kunit *test)
{
	struct dmr_cow *cow = dmr_cow_create_test(CHUNK, 64 * CHUNK);

	KUNIT_ASSERT_NOT_NULL(test, cow);
	test->priv = cow;
	return cow;
}

static void dmr_test_cow_exit(struct kunit *test)
{
	if (test->priv)
		dmr_cow_destroy(test->priv);
}

/* A bio of @sectors at @sector, for deciding on only. */
static struct bio *dmr_test_bio(struct kunit *test, blk_opf_t op, sector_t sector,
				unsigned int sectors)
{
	struct bio *bio = kunit_kzalloc(test, sizeof(*bio), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, bio);
	bio_init(bio, NULL, NULL, 0, op);
	bio->bi_iter.bi_sector = sector;
	bio->bi_iter.bi_size = sectors << SECTOR_SHIFT;
	return bio;
}

static void dmr_test_cow_unmapped_needs_copy(struct kunit *test)
{
	struct dmr_cow *cow = dmr_test_cow(test);
	struct bio *bio = dmr_test_bio(test, REQ_OP_WRITE, 5 * CHUNK + 3, 8);
	u64 need = ~0ULL;

	KUNIT_EXPECT_EQ(test, __dmr_cow_source(cow, bio, &need), DMR_NEED);
	KUNIT_EXPECT_EQ(test, need, 5ULL);
}

static void dmr_test_cow_mapped_goes_on(struct kunit *test)
{
	struct dmr_cow *cow = dmr_test_cow(test);
	struct bio *bio = dmr_test_bio(test, REQ_OP_WRITE, 5 * CHUNK, CHUNK);
	u64 need;

	KUNIT_ASSERT_EQ(test, dmr_cow_load(cow, 5, 77), 0);
	KUNIT_EXPECT_EQ(test, dmr_cow_copied_chunks(cow), 1ULL);
	KUNIT_EXPECT_EQ(test, __dmr_cow_source(cow, bio, &need), DMR_READY);
}

static void dmr_test_cow_multi_chunk(struct kunit *test)
{
	struct dmr_cow *cow = dmr_test_cow(test);
	struct bio *bio = dmr_test_bio(test, REQ_OP_WRITE, 2 * CHUNK + 1, 3 * CHUNK);
	u64 need;

	/* Chunks 2 to 5: the first one without a copy is named. */
	KUNIT_ASSERT_EQ(test, dmr_cow_load(cow, 2, 10), 0);
	KUNIT_ASSERT_EQ(test, dmr_cow_load(cow, 3, 11), 0);
	KUNIT_EXPECT_EQ(test, __dmr_cow_source(cow, bio, &need), DMR_NEED);
	KUNIT_EXPECT_EQ(test, need, 4ULL);
	KUNIT_ASSERT_EQ(test, dmr_cow_load(cow, 4, 12), 0);
	KUNIT_EXPECT_EQ(test, __dmr_cow_source(cow, bio, &need), DMR_NEED);
	KUNIT_EXPECT_EQ(test, need, 5ULL);
	KUNIT_ASSERT_EQ(test, dmr_cow_load(cow, 5, 13), 0);
	KUNIT_EXPECT_EQ(test, __dmr_cow_source(cow, bio, &need), DMR_READY);
}

static void dmr_test_cow_load_checks(struct kunit *test)
{
	struct dmr_cow *cow = dmr_test_cow(test);

	KUNIT_EXPECT_EQ(test, dmr_cow_load(cow, 64, 1), -ERANGE);
	KUNIT_EXPECT_EQ(test, dmr_cow_load(cow, 63, 1), 0);
	KUNIT_EXPECT_EQ(test, dmr_cow_load(cow, 63, 2), -EBUSY);
	KUNIT_EXPECT_EQ(test, dmr_cow_copied_chunks(cow), 1ULL);
}

static void dmr_test_cow_replica_tracking(struct kunit *test)
{
	struct dmr_cow *cow = dmr_test_cow(test);
	struct bio *bio2 = dmr_test_bio(test, REQ_OP_READ, 7 * CHUNK + 8, 8);
	struct dmr_cow_io io = {}, io2 = {};
	blk_status_t status = BLK_STS_OK;
	u64 need;

	/* A replica read of an uncopied chunk goes to the origin, tracked. */
	KUNIT_EXPECT_EQ(test, __dmr_cow_replica(cow, dmr_test_bio(test, REQ_OP_READ, 7 * CHUNK, 8),
						&io, &need), DMR_READY);
	KUNIT_EXPECT_TRUE(test, io.tracked);
	KUNIT_EXPECT_EQ(test, io.chunk, 7ULL);
	KUNIT_EXPECT_TRUE(test, __dmr_tracked(cow, 7));
	KUNIT_EXPECT_FALSE(test, __dmr_tracked(cow, 8));

	/* Two reads of one chunk: tracked until both end. */
	KUNIT_EXPECT_EQ(test, __dmr_cow_replica(cow, bio2, &io2, &need), DMR_READY);
	KUNIT_EXPECT_EQ(test, dmr_cow_end_replica(cow, &io, &status), DM_ENDIO_DONE);
	KUNIT_EXPECT_TRUE(test, __dmr_tracked(cow, 7));
	KUNIT_EXPECT_EQ(test, dmr_cow_end_replica(cow, &io2, &status), DM_ENDIO_DONE);
	KUNIT_EXPECT_FALSE(test, __dmr_tracked(cow, 7));
	KUNIT_EXPECT_FALSE(test, io2.tracked);
}

static void dmr_test_cow_replica_write_needs_copy(struct kunit *test)
{
	struct dmr_cow *cow = dmr_test_cow(test);
	struct dmr_cow_io io = {};
	u64 need = 0;

	KUNIT_EXPECT_EQ(test, __dmr_cow_replica(cow, dmr_test_bio(test, REQ_OP_WRITE, 9 * CHUNK, 8),
						&io, &need), DMR_NEED);
	KUNIT_EXPECT_EQ(test, need, 9ULL);
	KUNIT_EXPECT_FALSE(test, io.tracked);
}

static void dmr_test_cow_broken(struct kunit *test)
{
	struct dmr_cow *cow = dmr_test_cow(test);
	struct dmr_cow_io io = {};
	u64 need;

	/*
	 * The suites run before the module's workqueues exist: set the state
	 * the failure path ends in directly.
	 */
	dmr_cow_mark_broken(cow);
	KUNIT_EXPECT_TRUE(test, dmr_cow_is_broken(cow));
	/* The source goes on unchanged; the replica fails. */
	KUNIT_EXPECT_EQ(test, __dmr_cow_source(cow, dmr_test_bio(test, REQ_OP_WRITE, 0, 8), &need),
			DMR_READY);
	KUNIT_EXPECT_EQ(test, __dmr_cow_replica(cow, dmr_test_bio(test, REQ_OP_READ, 0, 8), &io,
						&need), DMR_KILL);
}

static struct kunit_case dmr_cow_cases[] = {
	KUNIT_CASE(dmr_test_cow_unmapped_needs_copy),
	KUNIT_CASE(dmr_test_cow_mapped_goes_on),
	KUNIT_CASE(dmr_test_cow_multi_chunk),
	KUNIT_CASE(dmr_test_cow_load_checks),
	KUNIT_CASE(dmr_test_cow_replica_tracking),
	KUNIT_CASE(dmr_test_cow_replica_write_needs_copy),
	KUNIT_CASE(dmr_test_cow_broken),
	{}
};

static struct kunit_suite dmr_cow_suite = {
	.name = "dm_replica_chunk_map",
	.exit = dmr_test_cow_exit,
	.test_cases = dmr_cow_cases,
};

kunit_test_suite(dmr_cow_suite);
