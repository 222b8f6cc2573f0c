// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the copy-on-write decisions and the chunk map: which
 * source writes may go on, which need a copy first, where replica I/O
 * goes, the tracking of replica reads at the origin, and the sharing of
 * copies between the snapshots of a source, checked against a model.
 */
#include <kunit/test.h>
#include <linux/bio.h>
#include <linux/device-mapper.h>
#include <linux/prandom.h>

#include "cow.h"

#define CHUNK	128	/* sectors */

struct dmr_test_ctx {
	struct dmr_cow *cow;
	struct dmr_snap *snaps[64];
	unsigned int nr_snaps;
	u64 freed[4096];
	unsigned int nr_freed;
};

static void dmr_test_freed(void *ctx, u64 pool_chunk)
{
	struct dmr_test_ctx *t = ctx;

	if (t->nr_freed < ARRAY_SIZE(t->freed))
		t->freed[t->nr_freed] = pool_chunk;
	t->nr_freed++;
}

static struct dmr_test_ctx *dmr_test_ctx(struct kunit *test)
{
	struct dmr_test_ctx *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	t->cow = dmr_cow_create_test(CHUNK, 64 * CHUNK, dmr_test_freed, t);
	KUNIT_ASSERT_NOT_NULL(test, t->cow);
	test->priv = t;
	return t;
}

/* A started snapshot of the test cow. */
static struct dmr_snap *dmr_test_snap(struct kunit *test, struct dmr_test_ctx *t)
{
	struct dmr_snap *snap = dmr_snap_create(t->cow, NULL, NULL, NULL);

	KUNIT_ASSERT_NOT_NULL(test, snap);
	KUNIT_ASSERT_LT(test, t->nr_snaps, ARRAY_SIZE(t->snaps));
	t->snaps[t->nr_snaps++] = snap;
	KUNIT_ASSERT_EQ(test, dmr_snap_start(snap), 0);
	return snap;
}

/* Delete a snapshot; returns how many pool chunks that freed. */
static unsigned int dmr_test_delete(struct dmr_test_ctx *t, struct dmr_snap *snap)
{
	unsigned int before = t->nr_freed, i;

	dmr_snap_release(snap);
	for (i = 0; i < t->nr_snaps; i++) {
		if (t->snaps[i] == snap) {
			t->snaps[i] = t->snaps[--t->nr_snaps];
			break;
		}
	}
	dmr_snap_destroy(snap);
	return t->nr_freed - before;
}

static void dmr_test_cow_exit(struct kunit *test)
{
	struct dmr_test_ctx *t = test->priv;

	if (!t)
		return;
	while (t->nr_snaps)
		dmr_test_delete(t, t->snaps[0]);
	dmr_cow_destroy(t->cow);
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

static void dmr_test_cow_no_snapshot_no_copy(struct kunit *test)
{
	struct dmr_test_ctx *t = dmr_test_ctx(test);
	u64 need;

	/* Before a point in time is taken, writes pass. */
	KUNIT_EXPECT_EQ(test, __dmr_cow_source(t->cow, dmr_test_bio(test, REQ_OP_WRITE, 0, 8),
					       &need), DMR_READY);
}

static void dmr_test_cow_unmapped_needs_copy(struct kunit *test)
{
	struct dmr_test_ctx *t = dmr_test_ctx(test);
	struct bio *bio = dmr_test_bio(test, REQ_OP_WRITE, 5 * CHUNK + 3, 8);
	u64 need = ~0ULL;

	dmr_test_snap(test, t);
	KUNIT_EXPECT_EQ(test, __dmr_cow_source(t->cow, bio, &need), DMR_NEED);
	KUNIT_EXPECT_EQ(test, need, 5ULL);
}

static void dmr_test_cow_mapped_goes_on(struct kunit *test)
{
	struct dmr_test_ctx *t = dmr_test_ctx(test);
	struct bio *bio = dmr_test_bio(test, REQ_OP_WRITE, 5 * CHUNK, CHUNK);
	struct dmr_snap *s = dmr_test_snap(test, t);
	u64 need;

	KUNIT_ASSERT_EQ(test, dmr_cow_load_copy(t->cow, 5, dmr_snap_epoch(s), 77), 0);
	KUNIT_EXPECT_EQ(test, dmr_cow_load_done(t->cow), 0ULL);
	KUNIT_EXPECT_EQ(test, dmr_snap_copied_chunks(s), 1ULL);
	KUNIT_EXPECT_EQ(test, __dmr_cow_source(t->cow, bio, &need), DMR_READY);
}

static void dmr_test_cow_multi_chunk(struct kunit *test)
{
	struct dmr_test_ctx *t = dmr_test_ctx(test);
	struct bio *bio = dmr_test_bio(test, REQ_OP_WRITE, 2 * CHUNK + 1, 3 * CHUNK);
	u32 e = dmr_snap_epoch(dmr_test_snap(test, t));
	u64 need;

	/* Chunks 2 to 5: the first one without a copy is named. */
	KUNIT_ASSERT_EQ(test, dmr_cow_load_copy(t->cow, 2, e, 10), 0);
	KUNIT_ASSERT_EQ(test, dmr_cow_load_copy(t->cow, 3, e, 11), 0);
	KUNIT_EXPECT_EQ(test, __dmr_cow_source(t->cow, bio, &need), DMR_NEED);
	KUNIT_EXPECT_EQ(test, need, 4ULL);
	KUNIT_ASSERT_EQ(test, dmr_cow_load_copy(t->cow, 4, e, 12), 0);
	KUNIT_EXPECT_EQ(test, __dmr_cow_source(t->cow, bio, &need), DMR_NEED);
	KUNIT_EXPECT_EQ(test, need, 5ULL);
	KUNIT_ASSERT_EQ(test, dmr_cow_load_copy(t->cow, 5, e, 13), 0);
	KUNIT_EXPECT_EQ(test, __dmr_cow_source(t->cow, bio, &need), DMR_READY);
}

static void dmr_test_cow_load_checks(struct kunit *test)
{
	struct dmr_test_ctx *t = dmr_test_ctx(test);
	struct dmr_snap *s1 = dmr_snap_create(t->cow, NULL, NULL, NULL);
	struct dmr_snap *s2 = dmr_snap_create(t->cow, NULL, NULL, NULL);
	struct dmr_snap *dup = dmr_snap_create(t->cow, NULL, NULL, NULL);
	u32 e1 = 5, e2 = 9;

	KUNIT_ASSERT_NOT_NULL(test, s1);
	KUNIT_ASSERT_NOT_NULL(test, s2);
	KUNIT_ASSERT_NOT_NULL(test, dup);
	t->snaps[t->nr_snaps++] = s1;
	t->snaps[t->nr_snaps++] = s2;
	/* Loaded in any order; two snapshots of one epoch cannot be. */
	KUNIT_ASSERT_EQ(test, dmr_snap_load(s2, e2), 0);
	KUNIT_ASSERT_EQ(test, dmr_snap_load(s1, e1), 0);
	KUNIT_EXPECT_EQ(test, dmr_snap_load(dup, e1), -EEXIST);
	dmr_snap_destroy(dup);

	KUNIT_EXPECT_EQ(test, dmr_cow_load_copy(t->cow, 64, e1, 1), -ERANGE);
	KUNIT_EXPECT_EQ(test, dmr_cow_load_copy(t->cow, 63, 0, 1), -ERANGE);
	KUNIT_EXPECT_EQ(test, dmr_cow_load_copy(t->cow, 63, e2, 1), 0);
	KUNIT_EXPECT_EQ(test, dmr_cow_load_copy(t->cow, 63, e2, 2), -EEXIST);
	KUNIT_EXPECT_EQ(test, dmr_cow_load_copy(t->cow, 63, e1, 3), 0);
	/* Older than every snapshot: left by a deletion, freed. */
	KUNIT_EXPECT_EQ(test, dmr_cow_load_copy(t->cow, 62, e1 - 1, 4), 0);
	KUNIT_EXPECT_EQ(test, dmr_cow_load_done(t->cow), 1ULL);
	KUNIT_EXPECT_EQ(test, t->freed[0], 4ULL);
	KUNIT_EXPECT_EQ(test, dmr_snap_copied_chunks(s1), 1ULL);
	KUNIT_EXPECT_EQ(test, dmr_snap_copied_chunks(s2), 1ULL);
	KUNIT_EXPECT_EQ(test, dmr_cow_max_epoch(t->cow), e2);
}

static void dmr_test_cow_replica_tracking(struct kunit *test)
{
	struct dmr_test_ctx *t = dmr_test_ctx(test);
	struct dmr_snap *s = dmr_test_snap(test, t);
	struct bio *bio2 = dmr_test_bio(test, REQ_OP_READ, 7 * CHUNK + 8, 8);
	struct dmr_cow_io io = {}, io2 = {};
	blk_status_t status = BLK_STS_OK;
	u64 need;

	/* A replica read of an uncopied chunk goes to the origin, tracked. */
	KUNIT_EXPECT_EQ(test, __dmr_snap_replica(s, dmr_test_bio(test, REQ_OP_READ, 7 * CHUNK, 8),
						 &io, &need), DMR_READY);
	KUNIT_EXPECT_TRUE(test, io.tracked);
	KUNIT_EXPECT_EQ(test, io.chunk, 7ULL);
	KUNIT_EXPECT_TRUE(test, __dmr_tracked(t->cow, 7));
	KUNIT_EXPECT_FALSE(test, __dmr_tracked(t->cow, 8));

	/* Two reads of one chunk: tracked until both end. */
	KUNIT_EXPECT_EQ(test, __dmr_snap_replica(s, bio2, &io2, &need), DMR_READY);
	KUNIT_EXPECT_EQ(test, dmr_snap_end_replica(s, &io, &status), DM_ENDIO_DONE);
	KUNIT_EXPECT_TRUE(test, __dmr_tracked(t->cow, 7));
	KUNIT_EXPECT_EQ(test, dmr_snap_end_replica(s, &io2, &status), DM_ENDIO_DONE);
	KUNIT_EXPECT_FALSE(test, __dmr_tracked(t->cow, 7));
	KUNIT_EXPECT_FALSE(test, io2.tracked);
}

static void dmr_test_cow_replica_write_needs_copy(struct kunit *test)
{
	struct dmr_test_ctx *t = dmr_test_ctx(test);
	struct dmr_snap *s = dmr_test_snap(test, t);
	struct dmr_cow_io io = {};
	u64 need = 0;

	KUNIT_EXPECT_EQ(test, __dmr_snap_replica(s, dmr_test_bio(test, REQ_OP_WRITE, 9 * CHUNK, 8),
						 &io, &need), DMR_NEED);
	KUNIT_EXPECT_EQ(test, need, 9ULL);
	KUNIT_EXPECT_FALSE(test, io.tracked);
}

static void dmr_test_cow_broken(struct kunit *test)
{
	struct dmr_test_ctx *t = dmr_test_ctx(test);
	struct dmr_snap *s = dmr_test_snap(test, t);
	struct dmr_snap *late = dmr_snap_create(t->cow, NULL, NULL, NULL);
	struct dmr_cow_io io = {};
	char reason[32];
	u64 need;

	/*
	 * The suites run before the module's workqueues exist: set the state
	 * the failure path ends in directly.
	 */
	dmr_cow_mark_broken(t->cow, "test reason");
	KUNIT_EXPECT_TRUE(test, dmr_snap_is_broken(s));
	dmr_cow_reason(t->cow, reason, sizeof(reason));
	KUNIT_EXPECT_STREQ(test, reason, "test reason");
	/* The source goes on unchanged; the replica fails. */
	KUNIT_EXPECT_EQ(test, __dmr_cow_source(t->cow, dmr_test_bio(test, REQ_OP_WRITE, 0, 8),
					       &need), DMR_READY);
	KUNIT_EXPECT_EQ(test, __dmr_snap_replica(s, dmr_test_bio(test, REQ_OP_READ, 0, 8), &io,
						 &need), DMR_KILL);
	/* No new point in time on a broken cow. */
	KUNIT_ASSERT_NOT_NULL(test, late);
	KUNIT_EXPECT_EQ(test, dmr_snap_start(late), -EIO);
	dmr_snap_destroy(late);
}

/*
 * A private version frees the copy that served only its snapshot, but not
 * while a read of that copy is in flight: the last read frees it.
 */
static void dmr_test_cow_pinned_copy(struct kunit *test)
{
	struct dmr_test_ctx *t = dmr_test_ctx(test);
	struct dmr_snap *s1 = dmr_test_snap(test, t);
	struct dmr_cow_io io = {}, io2 = {};
	blk_status_t status = BLK_STS_OK;
	u64 need, pc;

	KUNIT_ASSERT_EQ(test, dmr_cow_add_copy(t->cow, 3, 100), 0);
	KUNIT_EXPECT_EQ(test, __dmr_snap_replica(s1, dmr_test_bio(test, REQ_OP_READ, 3 * CHUNK, 8),
						 &io, &need), DMR_READY);
	KUNIT_EXPECT_TRUE(test, io.pinned);
	KUNIT_EXPECT_FALSE(test, io.tracked);
	KUNIT_EXPECT_EQ(test, __dmr_snap_replica(s1, dmr_test_bio(test, REQ_OP_READ, 3 * CHUNK, 8),
						 &io2, &need), DMR_READY);

	/* The private version is made while both reads are in flight. */
	KUNIT_ASSERT_EQ(test, dmr_snap_add_private(s1, 3, 101), 0);
	KUNIT_EXPECT_EQ(test, t->nr_freed, 0U);
	KUNIT_EXPECT_TRUE(test, dmr_snap_lookup(s1, 3, &pc));
	KUNIT_EXPECT_EQ(test, pc, 101ULL);

	KUNIT_EXPECT_EQ(test, dmr_snap_end_replica(s1, &io, &status), DM_ENDIO_DONE);
	KUNIT_EXPECT_EQ(test, t->nr_freed, 0U);
	KUNIT_EXPECT_EQ(test, dmr_snap_end_replica(s1, &io2, &status), DM_ENDIO_DONE);
	KUNIT_EXPECT_FALSE(test, io2.pinned);
	KUNIT_ASSERT_EQ(test, t->nr_freed, 1U);
	KUNIT_EXPECT_EQ(test, t->freed[0], 100ULL);

	/* A copy another snapshot still reads stays. */
	KUNIT_ASSERT_EQ(test, dmr_cow_add_copy(t->cow, 5, 102), 0);
	dmr_test_snap(test, t);
	KUNIT_ASSERT_EQ(test, dmr_cow_add_copy(t->cow, 5, 103), 0);
	KUNIT_ASSERT_EQ(test, dmr_snap_add_private(s1, 5, 104), 0);
	KUNIT_ASSERT_EQ(test, t->nr_freed, 2U);
	KUNIT_EXPECT_EQ(test, t->freed[1], 102ULL);
	KUNIT_EXPECT_EQ(test, dmr_test_delete(t, s1), 2U);
}

/*
 * S1, S2, write, S3, write: one copy serves S1 and S2, a second S3;
 * deleting S3 frees the second, S1 nothing, S2 the first.
 */
static void dmr_test_cow_shared_copy(struct kunit *test)
{
	struct dmr_test_ctx *t = dmr_test_ctx(test);
	struct dmr_snap *s1 = dmr_test_snap(test, t), *s2 = dmr_test_snap(test, t), *s3;
	u64 pc;

	KUNIT_EXPECT_TRUE(test, dmr_cow_needs_copy(t->cow, 4));
	KUNIT_ASSERT_EQ(test, dmr_cow_add_copy(t->cow, 4, 100), 0);
	KUNIT_EXPECT_FALSE(test, dmr_cow_needs_copy(t->cow, 4));
	KUNIT_ASSERT_TRUE(test, dmr_snap_lookup(s1, 4, &pc));
	KUNIT_EXPECT_EQ(test, pc, 100ULL);
	KUNIT_ASSERT_TRUE(test, dmr_snap_lookup(s2, 4, &pc));
	KUNIT_EXPECT_EQ(test, pc, 100ULL);
	KUNIT_EXPECT_EQ(test, dmr_snap_copied_chunks(s1), 1ULL);
	KUNIT_EXPECT_EQ(test, dmr_snap_copied_chunks(s2), 1ULL);

	s3 = dmr_test_snap(test, t);
	KUNIT_EXPECT_FALSE(test, dmr_snap_lookup(s3, 4, &pc));
	KUNIT_EXPECT_TRUE(test, dmr_cow_needs_copy(t->cow, 4));
	KUNIT_ASSERT_EQ(test, dmr_cow_add_copy(t->cow, 4, 101), 0);
	KUNIT_ASSERT_TRUE(test, dmr_snap_lookup(s3, 4, &pc));
	KUNIT_EXPECT_EQ(test, pc, 101ULL);
	KUNIT_ASSERT_TRUE(test, dmr_snap_lookup(s1, 4, &pc));
	KUNIT_EXPECT_EQ(test, pc, 100ULL);

	KUNIT_EXPECT_EQ(test, dmr_test_delete(t, s3), 1U);
	KUNIT_EXPECT_EQ(test, t->freed[0], 101ULL);
	KUNIT_EXPECT_FALSE(test, dmr_cow_needs_copy(t->cow, 4));
	KUNIT_EXPECT_EQ(test, dmr_test_delete(t, s1), 0U);
	KUNIT_ASSERT_TRUE(test, dmr_snap_lookup(s2, 4, &pc));
	KUNIT_EXPECT_EQ(test, pc, 100ULL);
	KUNIT_EXPECT_EQ(test, dmr_test_delete(t, s2), 1U);
	KUNIT_EXPECT_EQ(test, t->freed[1], 100ULL);
}

/* A snapshot with its own version of a chunk needs no copy of it. */
static void dmr_test_cow_private_no_copy(struct kunit *test)
{
	struct dmr_test_ctx *t = dmr_test_ctx(test);
	struct dmr_snap *s1 = dmr_test_snap(test, t);
	u64 pc;

	KUNIT_ASSERT_EQ(test, dmr_snap_add_private(s1, 3, 200), 0);
	KUNIT_EXPECT_EQ(test, dmr_snap_copied_chunks(s1), 1ULL);
	KUNIT_EXPECT_FALSE(test, dmr_cow_needs_copy(t->cow, 3));
	KUNIT_ASSERT_TRUE(test, dmr_snap_lookup(s1, 3, &pc));
	KUNIT_EXPECT_EQ(test, pc, 200ULL);
	KUNIT_EXPECT_EQ(test, dmr_test_delete(t, s1), 1U);
	KUNIT_EXPECT_EQ(test, t->freed[0], 200ULL);
}

/*
 * The model: the source's chunks have versions (a write makes a new one);
 * a snapshot sees, per chunk, the version current when it was taken, or
 * its own private version; a pool chunk holds one version. What the cow
 * answers is checked against it after every step of a random sequence of
 * source writes, snapshots, replica writes and deletions:
 *  - a write needs a copy exactly when a snapshot without a private
 *    version still sees the current one;
 *  - every snapshot reads, for every chunk, the version it must see;
 *  - the pool chunks in use are exactly the private versions and the
 *    copies made (one per version written over while a snapshot without
 *    a private version saw it) that a snapshot taken since the first one
 *    it was made for still sees and has no private version of: a private
 *    version made later frees a copy no one else needs.
 */
#define MODEL_CHUNKS	8
#define MODEL_SNAPS	12
#define MODEL_STEPS	3000
#define MODEL_POOL	8192

struct dmr_model {
	u32 version[MODEL_CHUNKS];		/* the source's current one */
	struct {
		struct dmr_snap *snap;
		u32 view[MODEL_CHUNKS];
		u32 priv[MODEL_CHUNKS];		/* 0: none */
	} s[MODEL_SNAPS];
	u32 copies[MODEL_CHUNKS][MODEL_STEPS];	/* versions copied, kept */
	u32 copy_lo[MODEL_CHUNKS][MODEL_STEPS];	/* first snapshot each is for */
	unsigned int nr_copies[MODEL_CHUNKS];
	u32 pool[MODEL_POOL];			/* version a pool chunk holds */
	bool pool_used[MODEL_POOL];
	u64 next_pool;
	u32 next_version;
};

/*
 * Is a copy of version @v of chunk @c, made for the snapshots from epoch
 * @lo on, still needed: does a live snapshot taken since @lo, without a
 * private version, see @v?
 */
static bool dmr_model_seen(struct dmr_model *m, unsigned int c, u32 v, u32 lo)
{
	unsigned int i;

	for (i = 0; i < MODEL_SNAPS; i++)
		if (m->s[i].snap && !m->s[i].priv[c] && m->s[i].view[c] == v &&
		    dmr_snap_epoch(m->s[i].snap) >= lo)
			return true;
	return false;
}

/* The oldest snapshot that sees the current version of @c with no private one. */
static u32 dmr_model_first_needy(struct dmr_model *m, unsigned int c)
{
	u32 lo = U32_MAX, e;
	unsigned int i;

	for (i = 0; i < MODEL_SNAPS; i++) {
		if (!m->s[i].snap || m->s[i].priv[c] || m->s[i].view[c] != m->version[c])
			continue;
		e = dmr_snap_epoch(m->s[i].snap);
		lo = min(lo, e);
	}
	return lo;
}

static void dmr_model_check(struct kunit *test, struct dmr_test_ctx *t, struct dmr_model *m)
{
	unsigned int i, c, j, used = 0, want = 0;
	u64 pc;

	for (j = 0; j < t->nr_freed && j < ARRAY_SIZE(t->freed); j++) {
		KUNIT_ASSERT_LT(test, t->freed[j], (u64)MODEL_POOL);
		KUNIT_ASSERT_TRUE(test, m->pool_used[t->freed[j]]);
		m->pool_used[t->freed[j]] = false;
	}
	t->nr_freed = 0;
	for (j = 0; j < MODEL_POOL; j++)
		used += m->pool_used[j];

	for (c = 0; c < MODEL_CHUNKS; c++) {
		bool need = false;

		/* A copy is kept while a snapshot sees its version. */
		for (j = 0; j < m->nr_copies[c]; ) {
			if (dmr_model_seen(m, c, m->copies[c][j], m->copy_lo[c][j])) {
				j++;
			} else {
				m->nr_copies[c]--;
				m->copies[c][j] = m->copies[c][m->nr_copies[c]];
				m->copy_lo[c][j] = m->copy_lo[c][m->nr_copies[c]];
			}
		}
		want += m->nr_copies[c];

		for (i = 0; i < MODEL_SNAPS; i++) {
			if (!m->s[i].snap)
				continue;
			if (m->s[i].priv[c])
				want++;
			else if (m->s[i].view[c] == m->version[c])
				need = true;

			if (dmr_snap_lookup(m->s[i].snap, c, &pc)) {
				KUNIT_ASSERT_LT(test, pc, (u64)MODEL_POOL);
				KUNIT_EXPECT_TRUE(test, m->pool_used[pc]);
				KUNIT_EXPECT_EQ(test, m->pool[pc],
						m->s[i].priv[c] ?: m->s[i].view[c]);
			} else {
				KUNIT_EXPECT_EQ(test, m->s[i].priv[c], 0U);
				KUNIT_EXPECT_EQ(test, m->s[i].view[c], m->version[c]);
			}
		}
		KUNIT_EXPECT_EQ(test, dmr_cow_needs_copy(t->cow, c), need);
	}
	KUNIT_EXPECT_EQ(test, used, want);
}

static u64 dmr_model_pool(struct kunit *test, struct dmr_model *m, u32 version)
{
	u64 pc = m->next_pool++;

	KUNIT_ASSERT_LT(test, pc, (u64)MODEL_POOL);
	m->pool[pc] = version;
	m->pool_used[pc] = true;
	return pc;
}

static void dmr_test_cow_model(struct kunit *test)
{
	struct dmr_test_ctx *t = dmr_test_ctx(test);
	struct dmr_model *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	struct rnd_state rnd;
	unsigned int step, i, c, op;

	KUNIT_ASSERT_NOT_NULL(test, m);
	prandom_seed_state(&rnd, 0x5eed);
	for (c = 0; c < MODEL_CHUNKS; c++)
		m->version[c] = ++m->next_version;

	for (step = 0; step < MODEL_STEPS; step++) {
		op = prandom_u32_state(&rnd) % 100;
		c = prandom_u32_state(&rnd) % MODEL_CHUNKS;
		i = prandom_u32_state(&rnd) % MODEL_SNAPS;
		if (op < 50) {
			/* A source write: copy first if needed, then a new version. */
			if (dmr_cow_needs_copy(t->cow, c)) {
				u64 pc = dmr_model_pool(test, m, m->version[c]);

				KUNIT_ASSERT_EQ(test, dmr_cow_add_copy(t->cow, c, pc), 0);
				m->copy_lo[c][m->nr_copies[c]] = dmr_model_first_needy(m, c);
				m->copies[c][m->nr_copies[c]++] = m->version[c];
			}
			m->version[c] = ++m->next_version;
		} else if (op < 70) {
			/* A point in time. */
			if (m->s[i].snap)
				continue;
			m->s[i].snap = dmr_test_snap(test, t);
			memcpy(m->s[i].view, m->version, sizeof(m->version));
			memset(m->s[i].priv, 0, sizeof(m->s[i].priv));
		} else if (op < 82) {
			/* A replica write: the snapshot's own version. */
			if (!m->s[i].snap)
				continue;
			if (!m->s[i].priv[c]) {
				u32 v = ++m->next_version;
				u64 pc = dmr_model_pool(test, m, v);

				KUNIT_ASSERT_EQ(test, dmr_snap_add_private(m->s[i].snap, c, pc), 0);
				m->s[i].priv[c] = v;
			}
		} else {
			/* A deletion. */
			if (!m->s[i].snap)
				continue;
			dmr_test_delete(t, m->s[i].snap);
			m->s[i].snap = NULL;
		}
		dmr_model_check(test, t, m);
		if (test->status == KUNIT_FAILURE) {
			kunit_info(test, "first failure at step %u (op %u chunk %u snap %u)",
				   step, op, c, i);
			return;
		}
	}
}

/*
 * Change tracking and adoption. The suites run before the module's
 * workqueues exist, so only I/O the cow decides on at once goes through
 * the map paths here: a source write to chunks whose copies are made
 * already (or to a broken cow), a replica write to a chunk private to its
 * snapshot, one the cow fails; never one that would need a copy first.
 */

/* A snapshot with change tracking, started when @start. */
static struct dmr_snap *dmr_test_tracked(struct kunit *test, struct dmr_test_ctx *t,
					 bool unknown, bool start)
{
	struct dmr_snap *snap = dmr_snap_create(t->cow, NULL, NULL, NULL);

	KUNIT_ASSERT_NOT_NULL(test, snap);
	KUNIT_ASSERT_LT(test, t->nr_snaps, ARRAY_SIZE(t->snaps));
	t->snaps[t->nr_snaps++] = snap;
	KUNIT_ASSERT_EQ(test, dmr_snap_track(snap, unknown), 0);
	KUNIT_EXPECT_TRUE(test, dmr_snap_tracked(snap));
	if (start)
		KUNIT_ASSERT_EQ(test, dmr_snap_start(snap), 0);
	return snap;
}

/* A source write through the map path, which must let it go on now. */
static void dmr_test_source_io(struct kunit *test, struct dmr_test_ctx *t, blk_opf_t op,
			       sector_t sector, unsigned int sectors)
{
	KUNIT_EXPECT_EQ(test, dmr_cow_map_source(t->cow, dmr_test_bio(test, op, sector, sectors)),
			DM_MAPIO_REMAPPED);
}

static void dmr_test_endio(struct bio *bio)
{
	(*(unsigned int *)bio->bi_private)++;
}

/*
 * Replica I/O through the map path and, unless the cow ended it, the end
 * path; returns what the map path answered.
 */
static int dmr_test_replica_io(struct kunit *test, struct dmr_snap *snap, blk_opf_t op,
			       sector_t sector, unsigned int sectors)
{
	struct bio *bio = dmr_test_bio(test, op, sector, sectors);
	blk_status_t status = BLK_STS_OK;
	struct dmr_cow_io io = {};
	unsigned int ended = 0;
	int r;

	bio->bi_end_io = dmr_test_endio;
	bio->bi_private = &ended;
	r = dmr_snap_map_replica(snap, bio, &io);
	if (r == DM_MAPIO_SUBMITTED) {
		/* Only a discard is ended at once; nothing else may be held. */
		KUNIT_EXPECT_TRUE(test, bio_op(bio) == REQ_OP_DISCARD);
		KUNIT_EXPECT_EQ(test, ended, 1U);
	} else {
		KUNIT_EXPECT_EQ(test, dmr_snap_end_replica(snap, &io, &status), DM_ENDIO_DONE);
	}
	return r;
}

/* The runs dmr_snap_changed_next() gives from chunk 0: {start, count, sides}. */
static void dmr_test_expect_runs(struct kunit *test, struct dmr_snap *snap,
				 const u64 (*runs)[3], unsigned int nr)
{
	u64 c = 0, count = 0;
	unsigned int i, sides = 0;

	for (i = 0; i < nr; i++) {
		KUNIT_ASSERT_TRUE_MSG(test, dmr_snap_changed_next(snap, &c, &count, &sides),
				      "run %u missing", i);
		KUNIT_EXPECT_EQ_MSG(test, c, runs[i][0], "run %u", i);
		KUNIT_EXPECT_EQ_MSG(test, count, runs[i][1], "run %u", i);
		KUNIT_EXPECT_EQ_MSG(test, (u64)sides, runs[i][2], "run %u", i);
		c += count;
	}
	KUNIT_EXPECT_FALSE_MSG(test, dmr_snap_changed_next(snap, &c, &count, &sides),
			       "a run at %llu after the last one", c);
}

/* dmr_snap_chunk_changed() is true exactly for the chunks in @mask (64 chunks). */
static void dmr_test_expect_changed(struct kunit *test, struct dmr_snap *snap, u64 mask)
{
	u64 c;

	for (c = 0; c < 64; c++)
		KUNIT_EXPECT_EQ_MSG(test, dmr_snap_chunk_changed(snap, c),
				    !!(mask & BIT_ULL(c)), "chunk %llu", c);
}

/*
 * Source writes mark every chunk the bio covers, replica writes the
 * chunk of their own snapshot; reads and replica discards mark nothing;
 * runs come back per side, from the chunk asked for.
 */
static void dmr_test_cow_changes_tracked(struct kunit *test)
{
	static const u64 runs[][3] = {
		{ 3, 3, DMR_CHANGED_SOURCE },
		{ 10, 1, DMR_CHANGED_REPLICA },
		{ 20, 1, DMR_CHANGED_SOURCE | DMR_CHANGED_REPLICA },
	};
	struct dmr_test_ctx *t = dmr_test_ctx(test);
	struct dmr_snap *s = dmr_test_tracked(test, t, false, true);
	struct dmr_snap *plain = dmr_test_snap(test, t);
	u64 c, count;
	unsigned int sides;

	KUNIT_EXPECT_TRUE(test, dmr_snap_changes_known(s));
	KUNIT_EXPECT_FALSE(test, dmr_snap_tracked(plain));
	KUNIT_EXPECT_FALSE(test, dmr_snap_changes_known(plain));
	/* Nothing written yet. */
	dmr_test_expect_runs(test, s, runs, 0);
	dmr_test_expect_changed(test, s, 0);

	/* Copies made, so that the source writes go on at once. */
	KUNIT_ASSERT_EQ(test, dmr_cow_add_copy(t->cow, 3, 100), 0);
	KUNIT_ASSERT_EQ(test, dmr_cow_add_copy(t->cow, 4, 101), 0);
	KUNIT_ASSERT_EQ(test, dmr_cow_add_copy(t->cow, 5, 102), 0);
	KUNIT_ASSERT_EQ(test, dmr_cow_add_copy(t->cow, 20, 103), 0);
	KUNIT_ASSERT_EQ(test, dmr_snap_add_private(s, 10, 110), 0);
	KUNIT_ASSERT_EQ(test, dmr_snap_add_private(s, 20, 111), 0);
	KUNIT_ASSERT_EQ(test, dmr_snap_add_private(s, 40, 112), 0);
	KUNIT_ASSERT_EQ(test, dmr_snap_add_private(s, 41, 113), 0);
	KUNIT_ASSERT_EQ(test, dmr_snap_add_private(plain, 30, 114), 0);

	/* One bio from inside chunk 3 to inside chunk 5. */
	dmr_test_source_io(test, t, REQ_OP_WRITE, 3 * CHUNK + 5, 2 * CHUNK + 10);
	dmr_test_source_io(test, t, REQ_OP_WRITE, 20 * CHUNK + 64, 8);
	KUNIT_EXPECT_EQ(test, dmr_test_replica_io(test, s, REQ_OP_WRITE, 10 * CHUNK + 100, 8),
			DM_MAPIO_REMAPPED);
	KUNIT_EXPECT_EQ(test, dmr_test_replica_io(test, s, REQ_OP_WRITE, 20 * CHUNK, 8),
			DM_MAPIO_REMAPPED);
	/* Not changes of @s: a read, a discard, another snapshot's write. */
	KUNIT_EXPECT_EQ(test, dmr_test_replica_io(test, s, REQ_OP_READ, 40 * CHUNK, 8),
			DM_MAPIO_REMAPPED);
	KUNIT_EXPECT_EQ(test, dmr_test_replica_io(test, s, REQ_OP_DISCARD, 41 * CHUNK, CHUNK),
			DM_MAPIO_SUBMITTED);
	KUNIT_EXPECT_EQ(test, dmr_test_replica_io(test, plain, REQ_OP_WRITE, 30 * CHUNK, 8),
			DM_MAPIO_REMAPPED);

	dmr_test_expect_runs(test, s, runs, ARRAY_SIZE(runs));
	dmr_test_expect_changed(test, s, BIT_ULL(3) | BIT_ULL(4) | BIT_ULL(5) | BIT_ULL(10) |
				BIT_ULL(20));
	KUNIT_EXPECT_TRUE(test, dmr_snap_changes_known(s));

	/* From inside a run: the rest of it. */
	c = 4;
	KUNIT_ASSERT_TRUE(test, dmr_snap_changed_next(s, &c, &count, &sides));
	KUNIT_EXPECT_EQ(test, c, 4ULL);
	KUNIT_EXPECT_EQ(test, count, 2ULL);
	KUNIT_EXPECT_EQ(test, sides, (unsigned int)DMR_CHANGED_SOURCE);
	c = 64;
	KUNIT_EXPECT_FALSE(test, dmr_snap_changed_next(s, &c, &count, &sides));

	/* The untracked snapshot sees no run (and cannot say a chunk is unchanged). */
	c = 0;
	KUNIT_EXPECT_FALSE(test, dmr_snap_tracked(plain));
	KUNIT_EXPECT_FALSE(test, dmr_snap_changed_next(plain, &c, &count, &sides));
	KUNIT_EXPECT_TRUE(test, dmr_snap_chunk_changed(plain, 0));
}

/* Not known what changed: one run of every chunk, counted as changed. */
static void dmr_test_cow_changes_unknown(struct kunit *test)
{
	static const u64 all[][3] = { { 0, 64, DMR_CHANGED_UNKNOWN } };
	static const u64 one[][3] = { { 8, 1, DMR_CHANGED_SOURCE } };
	struct dmr_test_ctx *t = dmr_test_ctx(test);
	struct dmr_snap *s1 = dmr_test_tracked(test, t, true, true);
	struct dmr_snap *s2 = dmr_test_tracked(test, t, false, true);
	u64 c = 10, count;
	unsigned int sides;

	KUNIT_EXPECT_TRUE(test, dmr_snap_tracked(s1));
	KUNIT_EXPECT_FALSE(test, dmr_snap_changes_known(s1));
	dmr_test_expect_runs(test, s1, all, ARRAY_SIZE(all));
	dmr_test_expect_changed(test, s1, ~0ULL);
	KUNIT_ASSERT_TRUE(test, dmr_snap_changed_next(s1, &c, &count, &sides));
	KUNIT_EXPECT_EQ(test, c, 10ULL);
	KUNIT_EXPECT_EQ(test, count, 54ULL);
	KUNIT_EXPECT_EQ(test, sides, (unsigned int)DMR_CHANGED_UNKNOWN);

	KUNIT_ASSERT_EQ(test, dmr_cow_add_copy(t->cow, 8, 100), 0);
	dmr_test_source_io(test, t, REQ_OP_WRITE, 8 * CHUNK, 8);
	KUNIT_EXPECT_TRUE(test, dmr_snap_changes_known(s2));
	dmr_test_expect_runs(test, s2, one, ARRAY_SIZE(one));
	dmr_test_expect_changed(test, s2, BIT_ULL(8));
	/* The write changes nothing of what s1 says. */
	dmr_test_expect_runs(test, s1, all, ARRAY_SIZE(all));

	/* A write passed unseen: s2 no longer knows either. */
	dmr_snap_changes_lost(s2);
	KUNIT_EXPECT_TRUE(test, dmr_snap_tracked(s2));
	KUNIT_EXPECT_FALSE(test, dmr_snap_changes_known(s2));
	dmr_test_expect_runs(test, s2, all, ARRAY_SIZE(all));
	dmr_test_expect_changed(test, s2, ~0ULL);
}

/*
 * A source write is marked in the snapshots started before it, and in
 * no other; on a broken cow it is still marked, while a replica write
 * the cow fails is not (one it passes, to an independent clone, is).
 */
static void dmr_test_cow_changes_start_broken(struct kunit *test)
{
	static const u64 a_runs[][3] = {
		{ 1, 2, DMR_CHANGED_SOURCE },
		{ 40, 1, DMR_CHANGED_SOURCE },
		{ 42, 1, DMR_CHANGED_SOURCE },
	};
	static const u64 b_runs[][3] = {
		{ 2, 1, DMR_CHANGED_SOURCE },	/* next to a run of the other side */
		{ 3, 1, DMR_CHANGED_REPLICA },
		{ 40, 1, DMR_CHANGED_SOURCE },
		{ 42, 1, DMR_CHANGED_SOURCE },
	};
	struct dmr_test_ctx *t = dmr_test_ctx(test);
	struct dmr_snap *a = dmr_test_tracked(test, t, false, false);
	struct dmr_snap *b = dmr_test_tracked(test, t, false, false);
	u64 c;

	/* No snapshot started: the write passes, unmarked. */
	dmr_test_source_io(test, t, REQ_OP_WRITE, 0, 8);
	KUNIT_ASSERT_EQ(test, dmr_snap_start(a), 0);
	KUNIT_ASSERT_EQ(test, dmr_cow_add_copy(t->cow, 1, 100), 0);
	/* a is started, b not yet. */
	dmr_test_source_io(test, t, REQ_OP_WRITE, 1 * CHUNK, CHUNK);
	KUNIT_ASSERT_EQ(test, dmr_snap_start(b), 0);
	KUNIT_ASSERT_EQ(test, dmr_cow_add_copy(t->cow, 2, 101), 0);
	dmr_test_source_io(test, t, REQ_OP_WRITE_ZEROES, 2 * CHUNK, 16);

	/* b every chunk private: independent, its replica I/O survives the cow. */
	for (c = 0; c < 64; c++)
		KUNIT_ASSERT_EQ(test, dmr_snap_add_private(b, c, 200 + c), 0);
	KUNIT_ASSERT_TRUE(test, dmr_snap_make_independent(b));
	KUNIT_ASSERT_EQ(test, dmr_snap_add_private(a, 41, 300), 0);

	dmr_cow_mark_broken(t->cow, "test reason");
	dmr_test_source_io(test, t, REQ_OP_WRITE, 40 * CHUNK + 1, 8);
	dmr_test_source_io(test, t, REQ_OP_DISCARD, 42 * CHUNK, CHUNK);
	/* Failed: a's replica does not change. */
	KUNIT_EXPECT_EQ(test, dmr_test_replica_io(test, a, REQ_OP_WRITE, 41 * CHUNK, 8),
			DM_MAPIO_KILL);
	KUNIT_EXPECT_EQ(test, dmr_test_replica_io(test, b, REQ_OP_WRITE, 3 * CHUNK, 8),
			DM_MAPIO_REMAPPED);

	dmr_test_expect_runs(test, a, a_runs, ARRAY_SIZE(a_runs));
	dmr_test_expect_changed(test, a, BIT_ULL(1) | BIT_ULL(2) | BIT_ULL(40) | BIT_ULL(42));
	dmr_test_expect_runs(test, b, b_runs, ARRAY_SIZE(b_runs));
	dmr_test_expect_changed(test, b, BIT_ULL(2) | BIT_ULL(3) | BIT_ULL(40) | BIT_ULL(42));
	KUNIT_EXPECT_TRUE(test, dmr_snap_changes_known(a));
	KUNIT_EXPECT_TRUE(test, dmr_snap_changes_known(b));
}

/* Was @pool_chunk handed to the freed hook? */
static bool dmr_test_was_freed(struct dmr_test_ctx *t, u64 pool_chunk)
{
	unsigned int i;

	for (i = 0; i < t->nr_freed && i < ARRAY_SIZE(t->freed); i++)
		if (t->freed[i] == pool_chunk)
			return true;
	return false;
}

/*
 * A withdrawn snapshot's private chunks go to a newer one: the pool chunk
 * changes hands, is not freed, and is not freed again with its old
 * snapshot; the copy that served the newer one there goes.
 */
static void dmr_test_cow_adopt(struct kunit *test)
{
	struct dmr_test_ctx *t = dmr_test_ctx(test);
	struct dmr_snap *from = dmr_test_snap(test, t), *to;
	u64 pc, pcs[4];
	u32 his[4];

	KUNIT_ASSERT_EQ(test, dmr_snap_add_private(from, 2, 200), 0);
	KUNIT_ASSERT_EQ(test, dmr_snap_add_private(from, 3, 201), 0);
	KUNIT_ASSERT_EQ(test, dmr_snap_add_private(from, 4, 202), 0);
	KUNIT_ASSERT_EQ(test, dmr_snap_add_private(from, 6, 203), 0);
	to = dmr_test_snap(test, t);
	KUNIT_ASSERT_EQ(test, dmr_snap_add_private(to, 4, 300), 0);
	/* A source write to chunk 3 made a copy for to alone. */
	KUNIT_ASSERT_EQ(test, dmr_cow_add_copy(t->cow, 3, 400), 0);
	KUNIT_ASSERT_TRUE(test, dmr_snap_lookup(to, 3, &pc));
	KUNIT_EXPECT_EQ(test, pc, 400ULL);
	KUNIT_EXPECT_EQ(test, dmr_snap_copied_chunks(to), 2ULL);

	dmr_snap_withdraw(from);
	KUNIT_EXPECT_FALSE(test, dmr_snap_started(from));
	KUNIT_EXPECT_EQ(test, t->nr_freed, 0U);

	KUNIT_EXPECT_EQ(test, dmr_snap_adopt(to, from, 2), 0);
	KUNIT_ASSERT_TRUE(test, dmr_snap_lookup(to, 2, &pc));
	KUNIT_EXPECT_EQ(test, pc, 200ULL);
	KUNIT_EXPECT_FALSE(test, dmr_snap_lookup(from, 2, &pc));
	KUNIT_EXPECT_EQ(test, t->nr_freed, 0U);
	/* to holds its version: a source write needs no copy for it. */
	KUNIT_EXPECT_FALSE(test, dmr_cow_needs_copy(t->cow, 2));

	/* The copy that served to at chunk 3 serves no one after. */
	KUNIT_EXPECT_EQ(test, dmr_snap_adopt(to, from, 3), 0);
	KUNIT_ASSERT_TRUE(test, dmr_snap_lookup(to, 3, &pc));
	KUNIT_EXPECT_EQ(test, pc, 201ULL);
	KUNIT_EXPECT_FALSE(test, dmr_snap_lookup(from, 3, &pc));
	KUNIT_ASSERT_EQ(test, t->nr_freed, 1U);
	KUNIT_EXPECT_EQ(test, t->freed[0], 400ULL);
	KUNIT_EXPECT_EQ(test, dmr_cow_copies(t->cow, 3, pcs, his, ARRAY_SIZE(pcs)), 0U);
	/* 2, 3 (no longer a copy) and 4. */
	KUNIT_EXPECT_EQ(test, dmr_snap_copied_chunks(to), 3ULL);

	/* to has its own; from has none (any more). Nothing moves. */
	KUNIT_EXPECT_EQ(test, dmr_snap_adopt(to, from, 4), -ENOENT);
	KUNIT_ASSERT_TRUE(test, dmr_snap_lookup(to, 4, &pc));
	KUNIT_EXPECT_EQ(test, pc, 300ULL);
	KUNIT_EXPECT_EQ(test, dmr_snap_adopt(to, from, 5), -ENOENT);
	KUNIT_EXPECT_FALSE(test, dmr_snap_lookup(to, 5, &pc));
	KUNIT_EXPECT_EQ(test, dmr_snap_adopt(to, from, 2), -ENOENT);
	KUNIT_ASSERT_TRUE(test, dmr_snap_lookup(to, 2, &pc));
	KUNIT_EXPECT_EQ(test, pc, 200ULL);
	KUNIT_EXPECT_EQ(test, t->nr_freed, 1U);

	/* from frees what it kept, 202 and 203; to the rest. */
	KUNIT_EXPECT_EQ(test, dmr_test_delete(t, from), 2U);
	KUNIT_EXPECT_TRUE(test, dmr_test_was_freed(t, 202));
	KUNIT_EXPECT_TRUE(test, dmr_test_was_freed(t, 203));
	KUNIT_EXPECT_FALSE(test, dmr_test_was_freed(t, 200));
	KUNIT_EXPECT_FALSE(test, dmr_test_was_freed(t, 201));
	KUNIT_EXPECT_EQ(test, dmr_test_delete(t, to), 3U);
	KUNIT_EXPECT_TRUE(test, dmr_test_was_freed(t, 200));
	KUNIT_EXPECT_TRUE(test, dmr_test_was_freed(t, 201));
	KUNIT_EXPECT_TRUE(test, dmr_test_was_freed(t, 300));
	KUNIT_EXPECT_EQ(test, t->nr_freed, 6U);
}

/*
 * The same with snapshots loaded from the pool, their private chunks
 * loaded; and a broken cow, whose chunks stay where they are.
 */
static void dmr_test_cow_adopt_loaded(struct kunit *test)
{
	struct dmr_test_ctx *t = dmr_test_ctx(test);
	struct dmr_snap *from = dmr_snap_create(t->cow, NULL, NULL, NULL);
	struct dmr_snap *to = dmr_snap_create(t->cow, NULL, NULL, NULL);
	u64 pc;

	KUNIT_ASSERT_NOT_NULL(test, from);
	KUNIT_ASSERT_NOT_NULL(test, to);
	t->snaps[t->nr_snaps++] = from;
	t->snaps[t->nr_snaps++] = to;
	KUNIT_ASSERT_EQ(test, dmr_snap_load(from, 3), 0);
	KUNIT_ASSERT_EQ(test, dmr_snap_load(to, 5), 0);
	KUNIT_ASSERT_EQ(test, dmr_snap_load_private(from, 0, 500), 0);
	KUNIT_ASSERT_EQ(test, dmr_snap_load_private(from, 63, 501), 0);
	KUNIT_ASSERT_EQ(test, dmr_snap_load_private(from, 9, 502), 0);
	KUNIT_ASSERT_EQ(test, dmr_snap_load_private(from, 12, 505), 0);
	KUNIT_ASSERT_EQ(test, dmr_snap_load_private(to, 9, 503), 0);
	/* A copy for to only (from has its own there). */
	KUNIT_ASSERT_EQ(test, dmr_cow_load_copy(t->cow, 63, 5, 504), 0);
	KUNIT_EXPECT_EQ(test, dmr_cow_load_done(t->cow), 0ULL);
	KUNIT_EXPECT_EQ(test, dmr_snap_copied_chunks(to), 2ULL);

	dmr_snap_withdraw(from);
	KUNIT_EXPECT_EQ(test, t->nr_freed, 0U);
	KUNIT_EXPECT_EQ(test, dmr_snap_adopt(to, from, 0), 0);
	KUNIT_EXPECT_EQ(test, dmr_snap_adopt(to, from, 63), 0);
	KUNIT_EXPECT_EQ(test, dmr_snap_adopt(to, from, 9), -ENOENT);
	KUNIT_ASSERT_TRUE(test, dmr_snap_lookup(to, 0, &pc));
	KUNIT_EXPECT_EQ(test, pc, 500ULL);
	KUNIT_ASSERT_TRUE(test, dmr_snap_lookup(to, 63, &pc));
	KUNIT_EXPECT_EQ(test, pc, 501ULL);
	KUNIT_ASSERT_TRUE(test, dmr_snap_lookup(to, 9, &pc));
	KUNIT_EXPECT_EQ(test, pc, 503ULL);
	KUNIT_ASSERT_EQ(test, t->nr_freed, 1U);
	KUNIT_EXPECT_EQ(test, t->freed[0], 504ULL);
	KUNIT_EXPECT_EQ(test, dmr_snap_copied_chunks(to), 3ULL);

	/* A broken cow gives nothing away. */
	dmr_cow_mark_broken(t->cow, "test reason");
	KUNIT_EXPECT_EQ(test, dmr_snap_adopt(to, from, 12), -EIO);
	KUNIT_EXPECT_FALSE(test, dmr_snap_lookup(to, 12, &pc));

	KUNIT_EXPECT_EQ(test, dmr_test_delete(t, from), 2U);
	KUNIT_EXPECT_TRUE(test, dmr_test_was_freed(t, 502));
	KUNIT_EXPECT_TRUE(test, dmr_test_was_freed(t, 505));
	KUNIT_EXPECT_EQ(test, dmr_test_delete(t, to), 3U);
	KUNIT_EXPECT_TRUE(test, dmr_test_was_freed(t, 500));
	KUNIT_EXPECT_TRUE(test, dmr_test_was_freed(t, 501));
	KUNIT_EXPECT_TRUE(test, dmr_test_was_freed(t, 503));
}

static struct kunit_case dmr_cow_cases[] = {
	KUNIT_CASE(dmr_test_cow_no_snapshot_no_copy),
	KUNIT_CASE(dmr_test_cow_unmapped_needs_copy),
	KUNIT_CASE(dmr_test_cow_mapped_goes_on),
	KUNIT_CASE(dmr_test_cow_multi_chunk),
	KUNIT_CASE(dmr_test_cow_load_checks),
	KUNIT_CASE(dmr_test_cow_replica_tracking),
	KUNIT_CASE(dmr_test_cow_replica_write_needs_copy),
	KUNIT_CASE(dmr_test_cow_broken),
	KUNIT_CASE(dmr_test_cow_shared_copy),
	KUNIT_CASE(dmr_test_cow_private_no_copy),
	KUNIT_CASE(dmr_test_cow_pinned_copy),
	KUNIT_CASE(dmr_test_cow_model),
	KUNIT_CASE(dmr_test_cow_changes_tracked),
	KUNIT_CASE(dmr_test_cow_changes_unknown),
	KUNIT_CASE(dmr_test_cow_changes_start_broken),
	KUNIT_CASE(dmr_test_cow_adopt),
	KUNIT_CASE(dmr_test_cow_adopt_loaded),
	{}
};

static struct kunit_suite dmr_cow_suite = {
	.name = "dm_replica_chunk_map",
	.exit = dmr_test_cow_exit,
	.test_cases = dmr_cow_cases,
};

kunit_test_suite(dmr_cow_suite);
