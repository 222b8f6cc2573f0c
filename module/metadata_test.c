// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the pool metadata encoding, decoding and geometry.
 */
#include <kunit/test.h>
#include <linux/blkdev.h>
#include <linux/dm-ioctl.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "metadata.h"
#include "request.h"

static void dmr_test_geometry(struct kunit *test)
{
	struct dmr_geometry geo;
	char *err = NULL;
	u64 dev = 131072;	/* 64 MiB */

	KUNIT_ASSERT_EQ(test, dmr_md_geometry(dev, 128, DMR_DEFAULT_GROUPS, &geo, &err), 0);
	KUNIT_EXPECT_EQ(test, geo.chunk_sectors, 128U);
	KUNIT_EXPECT_EQ(test, geo.max_groups, DMR_DEFAULT_GROUPS);
	/* The owner table holds an entry for every chunk. */
	KUNIT_EXPECT_GE(test, geo.owner_sectors * DMR_OWNERS_PER_SECTOR, geo.nr_chunks);
	KUNIT_EXPECT_EQ(test, geo.data_start % 128, 0ULL);
	KUNIT_EXPECT_GE(test, geo.data_start, geo.owner_start + geo.owner_sectors);
	/* The data fits, and not one more chunk would. */
	KUNIT_EXPECT_LE(test, geo.data_start + geo.nr_chunks * 128, dev);
	KUNIT_EXPECT_GT(test, geo.data_start + (geo.nr_chunks + 1) * 128, dev);
}

static void dmr_test_geometry_bad(struct kunit *test)
{
	struct dmr_geometry geo;
	char *err = NULL;

	KUNIT_EXPECT_EQ(test, dmr_md_geometry(131072, 96, 64, &geo, &err), -EINVAL);
	KUNIT_EXPECT_NOT_NULL(test, strstr(err, "power of two"));
	KUNIT_EXPECT_EQ(test, dmr_md_geometry(131072, 4, 64, &geo, &err), -EINVAL);
	KUNIT_EXPECT_EQ(test, dmr_md_geometry(131072, 4096, 64, &geo, &err), -EINVAL);
	KUNIT_EXPECT_EQ(test, dmr_md_geometry(1000, 8, 64, &geo, &err), -ENOSPC);
	KUNIT_EXPECT_NOT_NULL(test, strstr(err, "too small"));

	/* The group slots: 1 to the limit, named in the refusal. */
	err = NULL;
	KUNIT_EXPECT_EQ(test, dmr_md_geometry(131072, 128, 0, &geo, &err), -EINVAL);
	KUNIT_ASSERT_NOT_NULL(test, err);
	KUNIT_EXPECT_NOT_NULL(test, strstr(err, "groups"));
	err = NULL;
	KUNIT_EXPECT_EQ(test, dmr_md_geometry(1 << 22, 128, DMR_MAX_GROUPS_LIMIT + 1, &geo, &err),
			-EINVAL);
	KUNIT_ASSERT_NOT_NULL(test, err);
	KUNIT_EXPECT_NOT_NULL(test, strstr(err, "groups"));
	/* 256 slots (16 MiB of records) do not fit a 16 MiB device. */
	KUNIT_EXPECT_EQ(test, dmr_md_geometry(32768, 128, 256, &geo, &err), -ENOSPC);
	KUNIT_EXPECT_EQ(test, dmr_md_geometry(32768, 128, 64, &geo, &err), 0);
}

/*
 * The group records take two copies of 64 sectors per slot after the
 * superblock's block; the owner table follows them.
 */
static void dmr_test_geometry_slots(struct kunit *test)
{
	struct dmr_geometry geo;
	char *err = NULL;

	/* The layout of the pools made when every pool had 64 slots. */
	KUNIT_ASSERT_EQ(test, dmr_md_geometry(131072, 128, 64, &geo, &err), 0);
	KUNIT_EXPECT_EQ(test, geo.group_start, 8ULL);
	KUNIT_EXPECT_EQ(test, geo.owner_start, 8ULL + 8192);

	KUNIT_ASSERT_EQ(test, dmr_md_geometry(131072, 128, 256, &geo, &err), 0);
	KUNIT_EXPECT_EQ(test, geo.owner_start, 8ULL + 256 * 2 * 64);

	/* The limit: 64 MiB of records, on a 1 GiB device. */
	KUNIT_ASSERT_EQ(test, dmr_md_geometry(2097152, 128, 1024, &geo, &err), 0);
	KUNIT_EXPECT_EQ(test, DMR_MAX_GROUPS_LIMIT, 1024);
	KUNIT_EXPECT_EQ(test, geo.max_groups, 1024U);
	KUNIT_EXPECT_EQ(test, geo.owner_start, 8ULL + 1024 * 2 * 64);
	KUNIT_EXPECT_EQ(test, geo.owner_start, 131080ULL);
	KUNIT_EXPECT_GE(test, geo.data_start, geo.owner_start + geo.owner_sectors);
	KUNIT_EXPECT_LE(test, geo.data_start + geo.nr_chunks * 128, 2097152ULL);
	KUNIT_EXPECT_GT(test, geo.data_start + (geo.nr_chunks + 1) * 128, 2097152ULL);
}

static void *dmr_test_sb(struct kunit *test, struct dmr_geometry *geo)
{
	void *buf = kunit_kzalloc(test, SECTOR_SIZE, GFP_KERNEL);
	char *err = NULL;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, dmr_md_geometry(262144, 64, DMR_DEFAULT_GROUPS, geo, &err), 0);
	dmr_encode_sb(buf, geo, 12345);
	return buf;
}

static void dmr_test_sb_roundtrip(struct kunit *test)
{
	struct dmr_geometry geo, back;
	void *buf = dmr_test_sb(test, &geo);
	char *err = NULL;

	KUNIT_ASSERT_EQ(test, dmr_decode_sb(buf, &back, &err), 0);
	KUNIT_EXPECT_EQ(test, memcmp(&geo, &back, sizeof(geo)), 0);
}

/* A pool's slot count other than the default survives the superblock. */
static void dmr_test_sb_slots_roundtrip(struct kunit *test)
{
	void *buf = kunit_kzalloc(test, SECTOR_SIZE, GFP_KERNEL);
	struct dmr_geometry geo, back;
	char *err = NULL;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, dmr_md_geometry(262144, 64, 80, &geo, &err), 0);
	dmr_encode_sb(buf, &geo, 1);
	/* max_groups is the little-endian word at byte 64. */
	KUNIT_EXPECT_EQ(test, le32_to_cpu(*(__le32 *)(buf + 64)), 80U);
	KUNIT_ASSERT_EQ(test, dmr_decode_sb(buf, &back, &err), 0);
	KUNIT_EXPECT_EQ(test, back.max_groups, 80U);
	KUNIT_EXPECT_EQ(test, back.owner_start, 8ULL + 80 * 2 * 64);
	KUNIT_EXPECT_EQ(test, memcmp(&geo, &back, sizeof(geo)), 0);

	/* The smallest and the largest. */
	KUNIT_ASSERT_EQ(test, dmr_md_geometry(262144, 64, 1, &geo, &err), 0);
	dmr_encode_sb(buf, &geo, 1);
	KUNIT_ASSERT_EQ(test, dmr_decode_sb(buf, &back, &err), 0);
	KUNIT_EXPECT_EQ(test, memcmp(&geo, &back, sizeof(geo)), 0);
	KUNIT_ASSERT_EQ(test, dmr_md_geometry(1 << 22, 64, DMR_MAX_GROUPS_LIMIT, &geo, &err), 0);
	dmr_encode_sb(buf, &geo, 1);
	KUNIT_ASSERT_EQ(test, dmr_decode_sb(buf, &back, &err), 0);
	KUNIT_EXPECT_EQ(test, memcmp(&geo, &back, sizeof(geo)), 0);
}

/*
 * A superblock whose max_groups is 0 or past the limit is refused by
 * name, even when the layout agrees with it; one whose owner table does
 * not start after its slots is inconsistent.
 */
static void dmr_test_sb_bad_slots(struct kunit *test)
{
	void *buf = kunit_kzalloc(test, SECTOR_SIZE, GFP_KERNEL);
	struct dmr_geometry geo, back;
	char *err = NULL;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, dmr_md_geometry(1 << 22, 64, 64, &geo, &err), 0);

	geo.max_groups = 0;
	geo.owner_start = geo.group_start;
	dmr_encode_sb(buf, &geo, 1);
	KUNIT_EXPECT_EQ(test, dmr_decode_sb(buf, &back, &err), -EINVAL);
	KUNIT_EXPECT_NOT_NULL(test, strstr(err, "max_groups"));

	geo.max_groups = DMR_MAX_GROUPS_LIMIT + 1;
	geo.owner_start = geo.group_start + (DMR_MAX_GROUPS_LIMIT + 1) * 2 * 64;
	dmr_encode_sb(buf, &geo, 1);
	KUNIT_EXPECT_EQ(test, dmr_decode_sb(buf, &back, &err), -EINVAL);
	KUNIT_EXPECT_NOT_NULL(test, strstr(err, "max_groups"));

	/* 65 slots in the field, the owner table where 64 put it. */
	KUNIT_ASSERT_EQ(test, dmr_md_geometry(1 << 22, 64, 64, &geo, &err), 0);
	geo.max_groups = 65;
	dmr_encode_sb(buf, &geo, 1);
	KUNIT_EXPECT_EQ(test, dmr_decode_sb(buf, &back, &err), -EINVAL);
	KUNIT_EXPECT_NOT_NULL(test, strstr(err, "inconsistent"));
}

static void dmr_test_sb_corrupt(struct kunit *test)
{
	struct dmr_geometry geo, back;
	void *buf = dmr_test_sb(test, &geo);
	char *err = NULL;
	unsigned int i;

	/* A flipped bit anywhere in the used part is caught. */
	for (i = 4; i < 80; i++) {
		((u8 *)buf)[i] ^= 0x10;
		KUNIT_EXPECT_NE(test, dmr_decode_sb(buf, &back, &err), 0);
		((u8 *)buf)[i] ^= 0x10;
	}
	KUNIT_EXPECT_EQ(test, dmr_decode_sb(buf, &back, &err), 0);

	/* A blank sector or another format is not a pool. */
	memset(buf, 0, SECTOR_SIZE);
	KUNIT_EXPECT_EQ(test, dmr_decode_sb(buf, &back, &err), -EINVAL);
	KUNIT_EXPECT_NOT_NULL(test, strstr(err, "Not a dm-replica pool"));
	memset(buf, 0x5a, SECTOR_SIZE);
	KUNIT_EXPECT_EQ(test, dmr_decode_sb(buf, &back, &err), -EINVAL);
}

static void dmr_test_sb_bad_geometry(struct kunit *test)
{
	struct dmr_geometry geo, back;
	void *buf;
	char *err = NULL;

	buf = dmr_test_sb(test, &geo);
	geo.chunk_sectors = 96;
	dmr_encode_sb(buf, &geo, 1);
	KUNIT_EXPECT_EQ(test, dmr_decode_sb(buf, &back, &err), -EINVAL);
	KUNIT_EXPECT_NOT_NULL(test, strstr(err, "inconsistent"));

	buf = dmr_test_sb(test, &geo);
	geo.nr_chunks = geo.owner_sectors * DMR_OWNERS_PER_SECTOR + 1;
	dmr_encode_sb(buf, &geo, 1);
	KUNIT_EXPECT_EQ(test, dmr_decode_sb(buf, &back, &err), -EINVAL);
}

static struct dmr_group_rec *dmr_test_rec(struct kunit *test)
{
	struct dmr_group_rec *rec = kunit_kzalloc(test, sizeof(*rec), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, rec);
	rec->state = DMR_SLOT_LIVE;
	rec->gen = 3;
	rec->seq = 7;
	rec->id = 42;
	rec->sync_type = DM_REPLICA_SYNC_SNAPSHOT;
	rec->copy_rate_kib = DMR_COPY_RATE_MAX;
	rec->copy_priority = DM_REPLICA_COPY_PRIORITY_LOW;
	rec->flags = DMR_GROUP_RESTORING;
	rec->changes_lost = BIT_ULL(63) | 1;
	rec->mode = DM_REPLICA_MODE_SYNCHRONOUS;
	rec->consistency = DM_REPLICA_CONSISTENCY_SEQUENTIAL;
	rec->copy_state = DM_REPLICA_COPY_SYNCHRONIZED;
	rec->nr_members = 2;
	rec->created_ns = 1ULL << 60;
	rec->barrier_hold_ns = 999;
	rec->job_id = 5;
	strscpy(rec->relationship_name, "backup", sizeof(rec->relationship_name));
	strscpy(rec->members[0].source_name, "db", sizeof(rec->members[0].source_name));
	strscpy(rec->members[1].source_name, "log", sizeof(rec->members[1].source_name));
	rec->members[0].sectors = 2048;
	rec->members[1].sectors = 4096;
	rec->members[1].copy_state = DM_REPLICA_COPY_BROKEN;
	rec->members[0].origin = 1;
	rec->members[1].origin = DMR_MAX_ORIGINS;
	rec->members[0].epoch = 17;
	rec->members[1].epoch = 0xfffffff0;
	strscpy(rec->members[0].source_uuid, "DMR-SOURCE-db", sizeof(rec->members[0].source_uuid));
	memset(rec->members[1].source_uuid, 'u', DM_UUID_LEN - 1);
	strscpy(rec->members[1].reason, "the pool is full", sizeof(rec->members[1].reason));
	return rec;
}

static void dmr_test_group_roundtrip(struct kunit *test)
{
	struct dmr_group_rec *rec = dmr_test_rec(test), *back = dmr_test_rec(test);
	void *buf = kunit_kzalloc(test, DMR_GROUP_REC_SECTORS * SECTOR_SIZE, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, buf);
	memset(back, 0, sizeof(*back));
	dmr_encode_group(buf, rec);
	KUNIT_ASSERT_EQ(test, dmr_decode_group(buf, back), 0);
	KUNIT_EXPECT_EQ(test, memcmp(rec, back, sizeof(*rec)), 0);
}

/*
 * The copy settings appended to format 4 records: a record written
 * before them (zero there) reads with no settings; a priority beyond
 * High is refused.
 */
static void dmr_test_group_copy_settings(struct kunit *test)
{
	struct dmr_group_rec *rec = dmr_test_rec(test), *back = dmr_test_rec(test);
	void *buf = kunit_kzalloc(test, DMR_GROUP_REC_SECTORS * SECTOR_SIZE, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, buf);
	rec->copy_rate_kib = 0;
	rec->copy_priority = 0;
	dmr_encode_group(buf, rec);
	KUNIT_ASSERT_EQ(test, dmr_decode_group(buf, back), 0);
	KUNIT_EXPECT_EQ(test, back->copy_rate_kib, 0U);
	KUNIT_EXPECT_EQ(test, back->copy_priority, 0);

	rec->copy_priority = DM_REPLICA_COPY_PRIORITY_HIGH + 1;
	dmr_encode_group(buf, rec);
	KUNIT_EXPECT_EQ(test, dmr_decode_group(buf, back), -EILSEQ);

	/* A restore under way is kept; an unknown flag is refused. */
	rec->copy_priority = 0;
	rec->flags = DMR_GROUP_RESTORING;
	dmr_encode_group(buf, rec);
	KUNIT_ASSERT_EQ(test, dmr_decode_group(buf, back), 0);
	KUNIT_EXPECT_EQ(test, back->flags, DMR_GROUP_RESTORING);
	rec->flags = 0x8000;
	dmr_encode_group(buf, rec);
	KUNIT_EXPECT_EQ(test, dmr_decode_group(buf, back), -EILSEQ);
}

/* Format 2: a creating slot, and every member's identity and reason. */
static void dmr_test_group_creating(struct kunit *test)
{
	struct dmr_group_rec *rec = dmr_test_rec(test), *back = dmr_test_rec(test);
	void *buf = kunit_kzalloc(test, DMR_GROUP_REC_SECTORS * SECTOR_SIZE, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, buf);
	rec->state = DMR_SLOT_CREATING;
	memset(back, 0, sizeof(*back));
	dmr_encode_group(buf, rec);
	KUNIT_ASSERT_EQ(test, dmr_decode_group(buf, back), 0);
	KUNIT_EXPECT_EQ(test, back->state, (u32)DMR_SLOT_CREATING);
	KUNIT_EXPECT_STREQ(test, back->members[0].source_uuid, "DMR-SOURCE-db");
	KUNIT_EXPECT_EQ(test, strlen(back->members[1].source_uuid), (size_t)DM_UUID_LEN - 1);
	KUNIT_EXPECT_STREQ(test, back->members[1].reason, "the pool is full");
}

/*
 * A pool of format version 1, 2, 3 or one newer than 5 is refused, and the
 * message says so; version 4 is read.
 */
static void dmr_test_sb_old_version(struct kunit *test)
{
	struct dmr_geometry geo, back;
	char *err = NULL;
	u8 *buf;

	buf = dmr_test_sb(test, &geo);
	*(__le32 *)(buf + DMR_SB_VERSION_OFFSET) = cpu_to_le32(1);
	dmr_seal_sb(buf);
	KUNIT_EXPECT_EQ(test, dmr_decode_sb(buf, &back, &err), -EINVAL);
	KUNIT_ASSERT_NOT_NULL(test, err);
	KUNIT_EXPECT_NOT_NULL(test, strstr(err, "format version 1;"));

	*(__le32 *)(buf + DMR_SB_VERSION_OFFSET) = cpu_to_le32(2);
	dmr_seal_sb(buf);
	KUNIT_EXPECT_EQ(test, dmr_decode_sb(buf, &back, &err), -EINVAL);
	KUNIT_EXPECT_NOT_NULL(test, strstr(err, "format version 2;"));

	*(__le32 *)(buf + DMR_SB_VERSION_OFFSET) = cpu_to_le32(3);
	dmr_seal_sb(buf);
	KUNIT_EXPECT_EQ(test, dmr_decode_sb(buf, &back, &err), -EINVAL);
	KUNIT_EXPECT_NOT_NULL(test, strstr(err, "format version 3;"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(err, "reads 4 and 5"));

	*(__le32 *)(buf + DMR_SB_VERSION_OFFSET) = cpu_to_le32(6);
	dmr_seal_sb(buf);
	KUNIT_EXPECT_EQ(test, dmr_decode_sb(buf, &back, &err), -EINVAL);
	KUNIT_EXPECT_NOT_NULL(test, strstr(err, "unknown format version"));

	/* Version 4 is read (and upgraded when the pool is opened). */
	*(__le32 *)(buf + DMR_SB_VERSION_OFFSET) = cpu_to_le32(4);
	dmr_seal_sb(buf);
	KUNIT_EXPECT_EQ(test, dmr_decode_sb(buf, &back, &err), 0);
	KUNIT_EXPECT_EQ(test, back.nr_chunks, geo.nr_chunks);
}

/* A live member without an origin id is corrupt (format 3). */
static void dmr_test_group_no_origin(struct kunit *test)
{
	struct dmr_group_rec *rec = dmr_test_rec(test), *back = dmr_test_rec(test);
	void *buf = kunit_kzalloc(test, DMR_GROUP_REC_SECTORS * SECTOR_SIZE, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, buf);
	rec->members[1].origin = 0;
	dmr_encode_group(buf, rec);
	KUNIT_EXPECT_EQ(test, dmr_decode_group(buf, back), -EILSEQ);
}

static void dmr_expect_owner(struct kunit *test, const struct dmr_owner *a,
			     const struct dmr_owner *b)
{
	KUNIT_EXPECT_EQ(test, a->slot, b->slot);
	KUNIT_EXPECT_EQ(test, a->member, b->member);
	KUNIT_EXPECT_EQ(test, a->gen, b->gen);
	KUNIT_EXPECT_EQ(test, a->origin, b->origin);
	KUNIT_EXPECT_EQ(test, a->hi, b->hi);
	KUNIT_EXPECT_EQ(test, a->has_csum, b->has_csum);
	KUNIT_EXPECT_EQ(test, a->csum, b->csum);
	KUNIT_EXPECT_EQ(test, a->src_chunk, b->src_chunk);
	KUNIT_EXPECT_EQ(test, a->commit, b->commit);
}

/* Both kinds of owner entry, and a free one, survive the encoding. */
static void dmr_test_owner_kinds(struct kunit *test)
{
	u8 *sector = kunit_kzalloc(test, SECTOR_SIZE, GFP_KERNEL);
	struct dmr_owner shared = { .origin = DMR_MAX_ORIGINS, .hi = 0xfffffffe,
				    .has_csum = true, .csum = 0xdeadbeef,
				    .src_chunk = 12345, .commit = 1ULL << 40 };
	struct dmr_owner plain = { .origin = 1, .hi = 2, .src_chunk = 3, .commit = 4 };
	struct dmr_owner priv = { .slot = 64, .member = 63, .gen = 9, .src_chunk = 7,
				  .commit = 8 };
	struct dmr_owner none = {}, back;

	KUNIT_ASSERT_NOT_NULL(test, sector);
	dmr_put_owner(sector, 0, &shared);
	dmr_put_owner(sector, 1, &priv);
	dmr_put_owner(sector, 2, &none);
	dmr_put_owner(sector, DMR_OWNERS_PER_SECTOR - 1, &plain);
	dmr_seal_owner_sector(sector, 3);
	KUNIT_ASSERT_EQ(test, dmr_check_owner_sector(sector, 3), 0);
	dmr_get_owner(sector, 0, &back);
	dmr_expect_owner(test, &back, &shared);
	dmr_get_owner(sector, 1, &back);
	dmr_expect_owner(test, &back, &priv);
	dmr_get_owner(sector, 2, &back);
	dmr_expect_owner(test, &back, &none);
	dmr_get_owner(sector, DMR_OWNERS_PER_SECTOR - 1, &back);
	dmr_expect_owner(test, &back, &plain);
}

/*
 * A commit stamps the entries set since the last write (commit 0) and no
 * other; it must flush first exactly when one of them is not a
 * checksummed shared copy.
 */
static void dmr_test_owner_stamp(struct kunit *test)
{
	u8 *sector = kunit_kzalloc(test, SECTOR_SIZE, GFP_KERNEL);
	struct dmr_owner csum = { .origin = 5, .hi = 6, .has_csum = true, .csum = 1 };
	struct dmr_owner old = { .origin = 5, .hi = 2, .has_csum = true, .commit = 3 };
	struct dmr_owner priv = { .slot = 1, .member = 0, .gen = 1 };
	struct dmr_owner plain = { .origin = 5, .hi = 7 };
	struct dmr_owner back;

	KUNIT_ASSERT_NOT_NULL(test, sector);
	dmr_put_owner(sector, 0, &csum);
	dmr_put_owner(sector, 1, &old);
	KUNIT_EXPECT_FALSE(test, dmr_stamp_owner_sector(sector, 9));
	dmr_get_owner(sector, 0, &back);
	KUNIT_EXPECT_EQ(test, back.commit, 9ULL);
	dmr_get_owner(sector, 1, &back);
	KUNIT_EXPECT_EQ(test, back.commit, 3ULL);
	dmr_get_owner(sector, 2, &back);
	KUNIT_EXPECT_EQ(test, back.commit, 0ULL);	/* free: never stamped */

	/* Stamped once: a later commit leaves it alone. */
	KUNIT_EXPECT_FALSE(test, dmr_stamp_owner_sector(sector, 10));
	dmr_get_owner(sector, 0, &back);
	KUNIT_EXPECT_EQ(test, back.commit, 9ULL);

	dmr_put_owner(sector, 3, &priv);
	KUNIT_EXPECT_TRUE(test, dmr_stamp_owner_sector(sector, 11));
	dmr_put_owner(sector, 4, &plain);
	KUNIT_EXPECT_TRUE(test, dmr_stamp_owner_sector(sector, 12));
	dmr_get_owner(sector, 4, &back);
	KUNIT_EXPECT_EQ(test, back.commit, 12ULL);
}

/* Only a checksummed shared copy of the last commit is read back at load. */
static void dmr_test_owner_unproven(struct kunit *test)
{
	struct dmr_owner o = { .origin = 5, .hi = 6, .has_csum = true, .commit = 9 };

	KUNIT_EXPECT_TRUE(test, dmr_owner_unproven(&o, 9));
	KUNIT_EXPECT_FALSE(test, dmr_owner_unproven(&o, 10));
	o.has_csum = false;
	KUNIT_EXPECT_FALSE(test, dmr_owner_unproven(&o, 9));
	o = (struct dmr_owner){ .slot = 1, .gen = 1, .commit = 9 };
	KUNIT_EXPECT_FALSE(test, dmr_owner_unproven(&o, 9));
	o = (struct dmr_owner){};
	KUNIT_EXPECT_FALSE(test, dmr_owner_unproven(&o, 0));
}

static void dmr_test_group_corrupt(struct kunit *test)
{
	struct dmr_group_rec *rec = dmr_test_rec(test), *back = dmr_test_rec(test);
	size_t size = DMR_GROUP_REC_SECTORS * SECTOR_SIZE;
	u8 *buf = kunit_kzalloc(test, size, GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_EXPECT_EQ(test, dmr_decode_group(buf, back), -ENODATA);

	dmr_encode_group(buf, rec);
	/* A torn write: everything from the member list on is still zero. */
	memset(buf + 512, 0, size - 512);
	KUNIT_EXPECT_EQ(test, dmr_decode_group(buf, back), -EILSEQ);

	for (i = 8; i < size; i += 511) {
		dmr_encode_group(buf, rec);
		buf[i] ^= 1;
		KUNIT_EXPECT_EQ(test, dmr_decode_group(buf, back), -EILSEQ);
	}
}

static void dmr_test_group_invalid_fields(struct kunit *test)
{
	struct dmr_group_rec *rec = dmr_test_rec(test), *back = dmr_test_rec(test);
	void *buf = kunit_kzalloc(test, DMR_GROUP_REC_SECTORS * SECTOR_SIZE, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, buf);
	/* Well sealed, but impossible: refused all the same. */
	rec->nr_members = DM_REPLICA_MAX_MEMBERS + 1;
	dmr_encode_group(buf, rec);
	KUNIT_EXPECT_EQ(test, dmr_decode_group(buf, back), -EILSEQ);

	rec = dmr_test_rec(test);
	rec->nr_members = 0;
	dmr_encode_group(buf, rec);
	KUNIT_EXPECT_EQ(test, dmr_decode_group(buf, back), -EILSEQ);

	rec = dmr_test_rec(test);
	rec->state = 9;
	dmr_encode_group(buf, rec);
	KUNIT_EXPECT_EQ(test, dmr_decode_group(buf, back), -EILSEQ);
}

static void dmr_test_owner_sector(struct kunit *test)
{
	u8 *sector = kunit_kzalloc(test, SECTOR_SIZE, GFP_KERNEL);
	struct dmr_owner o = { .slot = 3, .member = 63, .gen = 0xfffffffe,
			       .src_chunk = 1ULL << 40 }, back;
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, sector);
	/* A sector never written is valid and empty. */
	KUNIT_EXPECT_EQ(test, dmr_check_owner_sector(sector, 17), 0);
	dmr_get_owner(sector, 0, &back);
	KUNIT_EXPECT_EQ(test, back.slot, 0);

	for (i = 0; i < DMR_OWNERS_PER_SECTOR; i++) {
		o.src_chunk = i * 1000;
		dmr_put_owner(sector, i, &o);
	}
	dmr_seal_owner_sector(sector, 17);
	KUNIT_EXPECT_EQ(test, dmr_check_owner_sector(sector, 17), 0);
	for (i = 0; i < DMR_OWNERS_PER_SECTOR; i++) {
		dmr_get_owner(sector, i, &back);
		KUNIT_EXPECT_EQ(test, back.src_chunk, (u64)i * 1000);
		KUNIT_EXPECT_EQ(test, back.slot, o.slot);
		KUNIT_EXPECT_EQ(test, back.member, o.member);
		KUNIT_EXPECT_EQ(test, back.gen, o.gen);
	}

	/* In the wrong place, or changed without a new seal: corrupt. */
	KUNIT_EXPECT_EQ(test, dmr_check_owner_sector(sector, 18), -EILSEQ);
	sector[100] ^= 4;
	KUNIT_EXPECT_EQ(test, dmr_check_owner_sector(sector, 17), -EILSEQ);
}

static struct kunit_case dmr_metadata_cases[] = {
	KUNIT_CASE(dmr_test_group_no_origin),
	KUNIT_CASE(dmr_test_owner_kinds),
	KUNIT_CASE(dmr_test_owner_stamp),
	KUNIT_CASE(dmr_test_owner_unproven),
	KUNIT_CASE(dmr_test_geometry),
	KUNIT_CASE(dmr_test_geometry_bad),
	KUNIT_CASE(dmr_test_geometry_slots),
	KUNIT_CASE(dmr_test_sb_slots_roundtrip),
	KUNIT_CASE(dmr_test_sb_bad_slots),
	KUNIT_CASE(dmr_test_sb_roundtrip),
	KUNIT_CASE(dmr_test_sb_corrupt),
	KUNIT_CASE(dmr_test_sb_bad_geometry),
	KUNIT_CASE(dmr_test_sb_old_version),
	KUNIT_CASE(dmr_test_group_roundtrip),
	KUNIT_CASE(dmr_test_group_copy_settings),
	KUNIT_CASE(dmr_test_group_creating),
	KUNIT_CASE(dmr_test_group_corrupt),
	KUNIT_CASE(dmr_test_group_invalid_fields),
	KUNIT_CASE(dmr_test_owner_sector),
	{}
};

static struct kunit_suite dmr_metadata_suite = {
	.name = "dm_replica_metadata",
	.test_cases = dmr_metadata_cases,
};

kunit_test_suite(dmr_metadata_suite);
