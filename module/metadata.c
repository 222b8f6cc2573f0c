// SPDX-License-Identifier: GPL-2.0
/*
 * dm-replica: the pool's persistent metadata.
 *
 * On-disk layout, in 512-byte sectors (all integers little-endian):
 *
 *   0                 superblock (one sector, crc32c), written once
 *   group_start       max_groups slots x 2 copies x 64 sectors:
 *                     group records, crc32c over the record; the
 *                     superblock says how many slots (1 to
 *                     DMR_MAX_GROUPS_LIMIT, 64 in pools made before
 *                     that was a choice)
 *   owner_start       owner table: 17 entries of 28 bytes per sector,
 *                     with a trailer (crc32c, magic, sector index)
 *   data_start        nr_chunks data chunks, chunk aligned
 *
 * Crash behaviour: the superblock is written last when formatting, so a
 * half-formatted device has none and is still blank. A group record is
 * written to the copy its old version is not in, with PREFLUSH and FUA; on
 * load the valid copy with the higher sequence wins, so a torn write
 * leaves the previous state. The owner table is written in sectors whose
 * content is fully described by their own trailer; a sector write is
 * atomic on the devices the block layer supports, and the unchanged
 * entries of a rewritten sector have the same bytes either way.
 *
 * Commits are numbered and run one at a time; each entry a commit writes
 * carries its number. A commit writes the changed sectors, then flushes
 * the device once (with the last write, PREFLUSH and FUA, on a device
 * with FUA): when it ends, every entry it wrote, and every chunk copied
 * before it, is durable. Callers acknowledge nothing that depends
 * on an entry before its commit has ended. Two kinds of entry differ in
 * how they may reach the disk before that flush:
 *  - a shared copy with a checksum of its data (DMR_OWNER_CSUM) may be
 *    durable before its data is: when the pool is loaded, the entries of
 *    the highest commit number on disk (the only commit that can have
 *    been cut off: the one before it had ended when it began) are checked
 *    against their data, and one that does not match is dropped and the
 *    drop made durable before the pool is used. The source write its
 *    copy was for never left, so the source still holds that data;
 *  - any other entry (a private chunk, whose data replica writes change
 *    later, or a copy made without a checksum) is written after a
 *    PREFLUSH, so that its data is durable first.
 * So a commit of shared copies costs one flush, and one with a private
 * chunk two, however many entries it holds.
 *
 * Only the owner blocks that describe chunks in use (or changes not yet
 * written) are held in memory: a block not held is all free on disk. See
 * struct dmr_md and dmr_md_reserve().
 */
#include <kunit/visibility.h>
#include <linux/bitmap.h>
#include <linux/blkdev.h>
#include <linux/completion.h>
#include <linux/crc32c.h>
#include <linux/device-mapper.h>
#include <linux/dm-io.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/stringify.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "dm-replica.h"
#include "metadata.h"

#define DMR_SB_MAGIC		0x53505244	/* "DRPS" */
#define DMR_GROUP_MAGIC		0x47505244	/* "DRPG" */
#define DMR_OWNER_MAGIC		0x4f505244	/* "DRPO" */
/*
 * Version 2 added the slot state "creating", the dm UUID and the reason
 * of each member, and doubled the group record to 64 sectors. Version 3
 * shares copies between the snapshots of a source: a member has the
 * origin id of its source in the pool and the epoch of its point in time,
 * and an owner entry is either a snapshot's private chunk or a copy
 * shared by the snapshots of one origin. Version 4 numbers the commits:
 * an owner entry has the number of the commit that wrote it and, for a
 * shared copy, a checksum of its data. Version 5 keeps the change maps
 * of clones in the pool (owner entries of a member whose source chunk has
 * DMR_CHANGES_TAG set) and, in the group record, which members' maps
 * cannot be trusted: a version 4 pool has neither, and is upgraded when
 * it is opened (its superblock rewritten, so that a module that reads
 * version 4 only refuses it by name). Older pools are refused by name
 * (see dmr_decode_sb()).
 */
#define DMR_FORMAT_VERSION	5
#define DMR_FORMAT_UPGRADED	4	/* read, and upgraded to DMR_FORMAT_VERSION */
#define DMR_CSUM_SEED		0x9a2e61b5

#ifndef DMR_GROUP_REC_SECTORS
#define DMR_GROUP_REC_SECTORS	64
#endif
#ifndef DMR_OWNERS_PER_SECTOR
#define DMR_OWNERS_PER_SECTOR	17
#endif
#define DMR_BLOCK_SECTORS	8	/* metadata is written in 4 KiB blocks */
#define DMR_COMMIT_BATCH	64	/* blocks written per commit round */

struct dmr_disk_sb {
	__le32 csum;
	__le32 magic;
	__le32 version;
	__le32 chunk_sectors;
	__le64 nr_chunks;
	__le64 group_start;
	__le64 owner_start;
	__le64 owner_sectors;
	__le64 data_start;
	__le64 created_ns;
	__le32 max_groups;
	__le32 group_rec_sectors;
} __packed;

struct dmr_disk_member {
	char source_name[DM_REPLICA_NAME_LEN];
	__le64 sectors;
	__le16 copy_state;
	__le16 origin;
	__le32 epoch;
	char source_uuid[DMR_UUID_LEN];
	char reason[DM_REPLICA_MESSAGE_LEN];
} __packed;

struct dmr_disk_group {
	__le32 csum;
	__le32 magic;
	__le64 seq;
	__le32 state;
	__le32 gen;
	__le32 id;
	__le16 sync_type;
	__le16 mode;
	__le16 consistency;
	__le16 copy_state;
	__le32 nr_members;
	__le64 created_ns;
	__le64 barrier_hold_ns;
	__le64 job_id;
	char relationship_name[DM_REPLICA_NAME_LEN];
	char source_group_name[DM_REPLICA_NAME_LEN];
	char target_group[DM_REPLICA_NAME_LEN];
	char broken_reason[DM_REPLICA_MESSAGE_LEN];
	struct dmr_disk_member members[DM_REPLICA_MAX_MEMBERS];
	/*
	 * Appended in format 4, zero in the records written before: a zero
	 * means "not given" (the defaults), so that those read the same.
	 */
	__le32 copy_rate_kib;
	__le16 copy_priority;
	__le16 flags;		/* DMR_GROUP_* */
	/* Appended in format 5: bit i, member i's change map is unknown. */
	__le64 changes_lost;
} __packed;

/*
 * An owner entry. @owner is 0 for a free chunk, the group slot + 1 for a
 * chunk private to member @member of generation @gen of that slot, or
 * DMR_OWNER_SHARED | origin id for a copy shared by the snapshots of one
 * source, with @gen its newest epoch (hi) and @member its flags
 * (DMR_OWNER_CSUM: @csum is the crc32c of the chunk's data). @commit is
 * the number of the commit that wrote the entry.
 */
#define DMR_OWNER_SHARED	0x8000
#define DMR_OWNER_CSUM		0x0001

struct dmr_disk_owner {
	__le64 src_chunk;
	__le16 owner;
	__le16 member;
	__le32 gen;
	__le64 commit;
	__le32 csum;
} __packed;

struct dmr_disk_owner_sector {
	struct dmr_disk_owner e[DMR_OWNERS_PER_SECTOR];
	__le32 csum;
	__le32 magic;
	__le64 index;
} __packed;

/*
 * struct dmr_md - an open pool's metadata
 * @lock:     protects the contents of the images in @blocks, @reserved,
 *            @dirty, @waiters and @failed; @blocks is changed only with it
 *            held, except for inserts (see dmr_md_reserve()).
 * @blocks:   the owner blocks held in memory, by block number. A block is
 *            held while a chunk it describes is reserved or has an entry,
 *            or while it has changes not yet taken by a commit; any other
 *            block is all free on disk and reads as free. So the memory
 *            follows the chunks in use, not the size of the pool.
 * @reserved: per owner block, how many of its chunks are reserved
 *            (allocated in the pool, see dmr_md_reserve()).
 * @dirty:    one bit per owner block changed since its last write.
 * @waiters:  dmr_md_waiter to call at the end of the next commit round.
 * @bounce:   the commit worker's copies of the blocks it writes; only the
 *            worker uses it (@wq is ordered).
 * @commit:   the number of the last commit begun; the worker's (and
 *            dmr_md_open()'s, before the worker exists).
 */
struct dmr_md {
	struct block_device *bdev;
	struct dm_io_client *io;
	struct dmr_geometry geo;
	u64 nr_owner_blocks;

	spinlock_t lock;	/* see above */
	struct xarray blocks;
	atomic_long_t nr_held;	/* entries of @blocks */
	u8 *reserved;
	unsigned long *dirty;
	struct list_head waiters;
	bool failed;

	struct workqueue_struct *wq;
	struct work_struct commit_work;
	void *bounce;
	u64 commit;

	struct dmr_md_slot *slots;
	struct dmr_group_rec **loaded;
};

/*
 * What the metadata knows of a group slot without reading it: its state,
 * generation and write sequence (or the error reading it gave), as read
 * by dmr_md_open() and kept by dmr_md_group_write(). A free slot is read
 * from here; the records of the others are read by dmr_md_open() too and
 * kept in md->loaded until dmr_md_loaded_release(). So loading a pool's
 * groups and creating a group read no record, under whatever lock their
 * callers hold. @slots entries are the writer's (one writer per slot) and
 * read under md->lock; md->loaded and its entries change under md->lock,
 * as a record write of a slot drops its loaded copy.
 */
struct dmr_md_slot {
	int err;
	u32 state;
	u32 gen;
	u64 seq;
};

static u32 dmr_csum(const void *p, size_t len, u32 seed)
{
	return crc32c(seed ^ DMR_CSUM_SEED, p, len);
}

static bool dmr_all_zero(const void *p, size_t len)
{
	return !memchr_inv(p, 0, len);
}

/* A private owner entry's slot + 1 must stay clear of the shared flag. */
static_assert(DMR_MAX_GROUPS_LIMIT + 1 < DMR_OWNER_SHARED);

/* Where the owner table starts: after two copies of every group slot. */
static u64 dmr_owner_start(u64 group_start, u32 max_groups)
{
	return group_start + (u64)max_groups * 2 * DMR_GROUP_REC_SECTORS;
}

/* Set the superblock's checksum. */
VISIBLE_IF_KUNIT void dmr_seal_sb(void *buf)
{
	struct dmr_disk_sb *sb = buf;

	sb->csum = cpu_to_le32(dmr_csum(buf + 4, SECTOR_SIZE - 4, 0));
}

VISIBLE_IF_KUNIT void dmr_encode_sb(void *buf, const struct dmr_geometry *geo, u64 created_ns)
{
	struct dmr_disk_sb *sb = buf;

	memset(buf, 0, SECTOR_SIZE);
	sb->magic = cpu_to_le32(DMR_SB_MAGIC);
	sb->version = cpu_to_le32(DMR_FORMAT_VERSION);
	sb->chunk_sectors = cpu_to_le32(geo->chunk_sectors);
	sb->nr_chunks = cpu_to_le64(geo->nr_chunks);
	sb->group_start = cpu_to_le64(geo->group_start);
	sb->owner_start = cpu_to_le64(geo->owner_start);
	sb->owner_sectors = cpu_to_le64(geo->owner_sectors);
	sb->data_start = cpu_to_le64(geo->data_start);
	sb->created_ns = cpu_to_le64(created_ns);
	sb->max_groups = cpu_to_le32(geo->max_groups);
	sb->group_rec_sectors = cpu_to_le32(DMR_GROUP_REC_SECTORS);
	dmr_seal_sb(buf);
}

/* Check a superblock sector and decode the geometry it holds. */
VISIBLE_IF_KUNIT int dmr_decode_sb(const void *buf, struct dmr_geometry *geo,
				   char **error)
{
	const struct dmr_disk_sb *sb = buf;
	struct dmr_geometry g;

	if (le32_to_cpu(sb->magic) != DMR_SB_MAGIC) {
		*error = "Not a dm-replica pool (no pool superblock)";
		return -EINVAL;
	}
	if (le32_to_cpu(sb->csum) != dmr_csum(buf + 4, SECTOR_SIZE - 4, 0)) {
		*error = "Pool superblock checksum mismatch";
		return -EILSEQ;
	}
	if (le32_to_cpu(sb->version) != DMR_FORMAT_VERSION &&
	    le32_to_cpu(sb->version) != DMR_FORMAT_UPGRADED) {
		DMERR("pool on-disk format version %u, this module reads versions %u and %u",
		      le32_to_cpu(sb->version), DMR_FORMAT_UPGRADED, DMR_FORMAT_VERSION);
		switch (le32_to_cpu(sb->version)) {
		case 1:
			*error = "Pool has on-disk format version 1; this module reads 4 and 5";
			break;
		case 2:
			*error = "Pool has on-disk format version 2; this module reads 4 and 5";
			break;
		case 3:
			*error = "Pool has on-disk format version 3; this module reads 4 and 5";
			break;
		default:
			*error = "Pool has an unknown format version; this module reads 4 and 5";
		}
		return -EINVAL;
	}
	if (le32_to_cpu(sb->group_rec_sectors) != DMR_GROUP_REC_SECTORS) {
		*error = "Unsupported pool group table layout";
		return -EINVAL;
	}
	g.max_groups = le32_to_cpu(sb->max_groups);
	if (!g.max_groups || g.max_groups > DMR_MAX_GROUPS_LIMIT) {
		DMERR("pool superblock: max_groups %u, this module reads 1 to %u",
		      g.max_groups, DMR_MAX_GROUPS_LIMIT);
		*error = "Pool superblock max_groups (group slots) out of range";
		return -EINVAL;
	}

	g.chunk_sectors = le32_to_cpu(sb->chunk_sectors);
	g.nr_chunks = le64_to_cpu(sb->nr_chunks);
	g.group_start = le64_to_cpu(sb->group_start);
	g.owner_start = le64_to_cpu(sb->owner_start);
	g.owner_sectors = le64_to_cpu(sb->owner_sectors);
	g.data_start = le64_to_cpu(sb->data_start);

	/* The layout must be the one dmr_md_geometry() makes. */
	if (!is_power_of_2(g.chunk_sectors) || g.chunk_sectors < DMR_MIN_CHUNK_SECTORS ||
	    g.chunk_sectors > DMR_MAX_CHUNK_SECTORS || !g.nr_chunks ||
	    g.group_start != DMR_BLOCK_SECTORS ||
	    g.owner_start != dmr_owner_start(g.group_start, g.max_groups) ||
	    g.owner_sectors < DIV_ROUND_UP_ULL(g.nr_chunks, DMR_OWNERS_PER_SECTOR) ||
	    g.owner_sectors % DMR_BLOCK_SECTORS ||
	    g.data_start < g.owner_start + g.owner_sectors ||
	    g.data_start % g.chunk_sectors) {
		*error = "Pool superblock geometry is inconsistent";
		return -EINVAL;
	}
	*geo = g;
	return 0;
}

VISIBLE_IF_KUNIT void dmr_encode_group(void *buf, const struct dmr_group_rec *rec)
{
	struct dmr_disk_group *d = buf;
	unsigned int i;

	BUILD_BUG_ON(sizeof(*d) > DMR_GROUP_REC_SECTORS * SECTOR_SIZE);
	memset(buf, 0, DMR_GROUP_REC_SECTORS * SECTOR_SIZE);
	d->magic = cpu_to_le32(DMR_GROUP_MAGIC);
	d->seq = cpu_to_le64(rec->seq);
	d->state = cpu_to_le32(rec->state);
	d->gen = cpu_to_le32(rec->gen);
	d->id = cpu_to_le32(rec->id);
	d->sync_type = cpu_to_le16(rec->sync_type);
	d->copy_rate_kib = cpu_to_le32(rec->copy_rate_kib);
	d->copy_priority = cpu_to_le16(rec->copy_priority);
	d->flags = cpu_to_le16(rec->flags);
	d->changes_lost = cpu_to_le64(rec->changes_lost);
	d->mode = cpu_to_le16(rec->mode);
	d->consistency = cpu_to_le16(rec->consistency);
	d->copy_state = cpu_to_le16(rec->copy_state);
	d->nr_members = cpu_to_le32(rec->nr_members);
	d->created_ns = cpu_to_le64(rec->created_ns);
	d->barrier_hold_ns = cpu_to_le64(rec->barrier_hold_ns);
	d->job_id = cpu_to_le64(rec->job_id);
	strscpy(d->relationship_name, rec->relationship_name, sizeof(d->relationship_name));
	strscpy(d->source_group_name, rec->source_group_name, sizeof(d->source_group_name));
	strscpy(d->target_group, rec->target_group, sizeof(d->target_group));
	strscpy(d->broken_reason, rec->broken_reason, sizeof(d->broken_reason));
	for (i = 0; i < rec->nr_members && i < DM_REPLICA_MAX_MEMBERS; i++) {
		strscpy(d->members[i].source_name, rec->members[i].source_name,
			sizeof(d->members[i].source_name));
		d->members[i].sectors = cpu_to_le64(rec->members[i].sectors);
		d->members[i].copy_state = cpu_to_le16(rec->members[i].copy_state);
		d->members[i].origin = cpu_to_le16(rec->members[i].origin);
		d->members[i].epoch = cpu_to_le32(rec->members[i].epoch);
		strscpy(d->members[i].source_uuid, rec->members[i].source_uuid,
			sizeof(d->members[i].source_uuid));
		strscpy(d->members[i].reason, rec->members[i].reason,
			sizeof(d->members[i].reason));
	}
	d->csum = cpu_to_le32(dmr_csum(buf + 4, DMR_GROUP_REC_SECTORS * SECTOR_SIZE - 4, 0));
}

/* Copy a fixed-size on-disk string; a string without NUL is corrupt. */
static int dmr_get_str(char *dst, const char *src, size_t len)
{
	if (strnlen(src, len) == len)
		return -EILSEQ;
	memcpy(dst, src, len);
	return 0;
}

/*
 * Decode one copy of a group record: 0 when valid, -ENODATA when never
 * written (all zero), -EILSEQ when corrupt.
 */
VISIBLE_IF_KUNIT int dmr_decode_group(const void *buf, struct dmr_group_rec *rec)
{
	const struct dmr_disk_group *d = buf;
	unsigned int i;

	if (dmr_all_zero(buf, DMR_GROUP_REC_SECTORS * SECTOR_SIZE))
		return -ENODATA;
	if (le32_to_cpu(d->magic) != DMR_GROUP_MAGIC ||
	    le32_to_cpu(d->csum) !=
	    dmr_csum(buf + 4, DMR_GROUP_REC_SECTORS * SECTOR_SIZE - 4, 0))
		return -EILSEQ;

	memset(rec, 0, sizeof(*rec));
	rec->seq = le64_to_cpu(d->seq);
	rec->state = le32_to_cpu(d->state);
	rec->gen = le32_to_cpu(d->gen);
	rec->id = le32_to_cpu(d->id);
	rec->sync_type = le16_to_cpu(d->sync_type);
	rec->mode = le16_to_cpu(d->mode);
	rec->consistency = le16_to_cpu(d->consistency);
	rec->copy_state = le16_to_cpu(d->copy_state);
	rec->nr_members = le32_to_cpu(d->nr_members);
	rec->created_ns = le64_to_cpu(d->created_ns);
	rec->barrier_hold_ns = le64_to_cpu(d->barrier_hold_ns);
	rec->job_id = le64_to_cpu(d->job_id);
	rec->copy_rate_kib = le32_to_cpu(d->copy_rate_kib);
	rec->copy_priority = le16_to_cpu(d->copy_priority);
	rec->flags = le16_to_cpu(d->flags);
	rec->changes_lost = le64_to_cpu(d->changes_lost);
	if (rec->state > DMR_SLOT_CREATING || rec->nr_members > DM_REPLICA_MAX_MEMBERS ||
	    (rec->state != DMR_SLOT_FREE && !rec->nr_members) ||
	    rec->copy_priority > DM_REPLICA_COPY_PRIORITY_HIGH || rec->flags & ~DMR_GROUP_FLAGS)
		return -EILSEQ;
	if (dmr_get_str(rec->relationship_name, d->relationship_name,
			sizeof(d->relationship_name)) ||
	    dmr_get_str(rec->source_group_name, d->source_group_name,
			sizeof(d->source_group_name)) ||
	    dmr_get_str(rec->target_group, d->target_group, sizeof(d->target_group)) ||
	    dmr_get_str(rec->broken_reason, d->broken_reason, sizeof(d->broken_reason)))
		return -EILSEQ;
	for (i = 0; i < rec->nr_members; i++) {
		if (dmr_get_str(rec->members[i].source_name, d->members[i].source_name,
				sizeof(d->members[i].source_name)) ||
		    dmr_get_str(rec->members[i].source_uuid, d->members[i].source_uuid,
				sizeof(d->members[i].source_uuid)) ||
		    dmr_get_str(rec->members[i].reason, d->members[i].reason,
				sizeof(d->members[i].reason)))
			return -EILSEQ;
		rec->members[i].sectors = le64_to_cpu(d->members[i].sectors);
		rec->members[i].copy_state = le16_to_cpu(d->members[i].copy_state);
		rec->members[i].origin = le16_to_cpu(d->members[i].origin);
		rec->members[i].epoch = le32_to_cpu(d->members[i].epoch);
		if (rec->state == DMR_SLOT_LIVE &&
		    (!rec->members[i].origin || rec->members[i].origin >= DMR_OWNER_SHARED))
			return -EILSEQ;
	}
	return 0;
}

VISIBLE_IF_KUNIT void dmr_seal_owner_sector(void *sector, u64 index)
{
	struct dmr_disk_owner_sector *s = sector;

	s->magic = cpu_to_le32(DMR_OWNER_MAGIC);
	s->index = cpu_to_le64(index);
	s->csum = cpu_to_le32(dmr_csum(s->e, sizeof(s->e), (u32)index));
}

/* 0 when the sector is valid or was never written, -EILSEQ otherwise. */
VISIBLE_IF_KUNIT int dmr_check_owner_sector(const void *sector, u64 index)
{
	const struct dmr_disk_owner_sector *s = sector;

	if (dmr_all_zero(sector, SECTOR_SIZE))
		return 0;
	if (le32_to_cpu(s->magic) != DMR_OWNER_MAGIC || le64_to_cpu(s->index) != index ||
	    le32_to_cpu(s->csum) != dmr_csum(s->e, sizeof(s->e), (u32)index))
		return -EILSEQ;
	return 0;
}

VISIBLE_IF_KUNIT void dmr_get_owner(const void *sector, unsigned int i, struct dmr_owner *o)
{
	const struct dmr_disk_owner *e = &((const struct dmr_disk_owner_sector *)sector)->e[i];

	u16 owner = le16_to_cpu(e->owner);

	memset(o, 0, sizeof(*o));
	o->src_chunk = le64_to_cpu(e->src_chunk);
	o->commit = le64_to_cpu(e->commit);
	if (owner & DMR_OWNER_SHARED) {
		o->origin = owner & ~DMR_OWNER_SHARED;
		o->hi = le32_to_cpu(e->gen);
		o->has_csum = le16_to_cpu(e->member) & DMR_OWNER_CSUM;
		o->csum = le32_to_cpu(e->csum);
	} else {
		o->slot = owner;
		o->member = le16_to_cpu(e->member);
		o->gen = le32_to_cpu(e->gen);
	}
}

VISIBLE_IF_KUNIT void dmr_put_owner(void *sector, unsigned int i, const struct dmr_owner *o)
{
	struct dmr_disk_owner *e = &((struct dmr_disk_owner_sector *)sector)->e[i];

	e->src_chunk = cpu_to_le64(o->src_chunk);
	e->commit = cpu_to_le64(o->commit);
	if (o->origin) {
		e->owner = cpu_to_le16(DMR_OWNER_SHARED | o->origin);
		e->member = cpu_to_le16(o->has_csum ? DMR_OWNER_CSUM : 0);
		e->gen = cpu_to_le32(o->hi);
		e->csum = cpu_to_le32(o->has_csum ? o->csum : 0);
	} else {
		e->owner = cpu_to_le16(o->slot);
		e->member = cpu_to_le16(o->member);
		e->gen = cpu_to_le32(o->gen);
		e->csum = 0;
	}
}

/*
 * Stamp the entries of an owner sector that changed since it was last
 * written (non-free, commit 0) with commit @commit. Returns true when one
 * of them must be ordered after its data (see the top of this file).
 */
VISIBLE_IF_KUNIT bool dmr_stamp_owner_sector(void *sector, u64 commit)
{
	struct dmr_disk_owner *e = ((struct dmr_disk_owner_sector *)sector)->e;
	bool ordered = false;
	unsigned int i;

	for (i = 0; i < DMR_OWNERS_PER_SECTOR; i++) {
		if (!e[i].owner || e[i].commit)
			continue;
		e[i].commit = cpu_to_le64(commit);
		if (!(le16_to_cpu(e[i].owner) & DMR_OWNER_SHARED) ||
		    !(le16_to_cpu(e[i].member) & DMR_OWNER_CSUM))
			ordered = true;
	}
	return ordered;
}

/*
 * Must the data of an entry be read and checked when the pool is loaded?
 * Only a checksummed shared copy of the last commit on disk may be there
 * without its data.
 */
VISIBLE_IF_KUNIT bool dmr_owner_unproven(const struct dmr_owner *o, u64 last_commit)
{
	return o->origin && o->has_csum && o->commit == last_commit;
}

u32 dmr_md_data_csum(const void *data, size_t len)
{
	return dmr_csum(data, len, 0);
}

int dmr_md_geometry(u64 dev_sectors, u32 chunk_sectors, u32 max_groups,
		    struct dmr_geometry *geo, char **error)
{
	u64 nr, owner_sectors, data_start;

	if (!is_power_of_2(chunk_sectors) || chunk_sectors < DMR_MIN_CHUNK_SECTORS ||
	    chunk_sectors > DMR_MAX_CHUNK_SECTORS) {
		*error = "Chunk size must be a power of two from 8 to 2048 sectors";
		return -EINVAL;
	}
	if (!max_groups || max_groups > DMR_MAX_GROUPS_LIMIT) {
		*error = "Invalid groups: the number of group slots must be from 1 to "
			 __stringify(DMR_MAX_GROUPS_LIMIT);
		return -EINVAL;
	}

	geo->chunk_sectors = chunk_sectors;
	geo->max_groups = max_groups;
	geo->group_start = DMR_BLOCK_SECTORS;
	geo->owner_start = dmr_owner_start(geo->group_start, max_groups);
	if (dev_sectors <= geo->owner_start) {
		*error = "Pool device too small for its metadata (fewer groups need less)";
		return -ENOSPC;
	}

	/* The owner table grows with the data: shrink until both fit. */
	nr = (dev_sectors - geo->owner_start) / chunk_sectors;
	for (;;) {
		owner_sectors = round_up(DIV_ROUND_UP_ULL(nr, DMR_OWNERS_PER_SECTOR),
					 DMR_BLOCK_SECTORS);
		data_start = round_up(geo->owner_start + owner_sectors, chunk_sectors);
		if (!nr || data_start + nr * chunk_sectors <= dev_sectors)
			break;
		nr--;
	}
	if (!nr) {
		*error = "Pool device too small for one data chunk";
		return -ENOSPC;
	}
	geo->nr_chunks = nr;
	geo->owner_sectors = owner_sectors;
	geo->data_start = data_start;
	return 0;
}

/* Synchronous I/O to the pool device; @buf is kmalloc'ed or vmalloc'ed. */
static int dmr_md_io(struct block_device *bdev, struct dm_io_client *io, blk_opf_t opf,
		     sector_t sector, sector_t count, void *buf)
{
	struct dm_io_region where = { .bdev = bdev, .sector = sector, .count = count };
	struct dm_io_request req = {
		.bi_opf = opf,
		.mem.type = is_vmalloc_addr(buf) ? DM_IO_VMA : DM_IO_KMEM,
		.mem.ptr.addr = buf,
		.client = io,
	};

	if (req.mem.type == DM_IO_VMA)
		req.mem.ptr.vma = buf;
	return dm_io(&req, 1, &where, NULL, IOPRIO_DEFAULT);
}

/*
 * Is everything a format would write, sectors 0 to @geo->data_start, all
 * zero? The range grows with the owner table (about one sector for 31
 * chunks, GiBs for a large pool of small chunks), so it is read in pieces
 * of DMR_SCAN_BYTES through one buffer. Returns 0 when it is blank,
 * -EEXIST with *@found set to the byte offset of the first non-zero byte,
 * or another error when it cannot be read.
 */
#define DMR_SCAN_BYTES	(256 * 1024)
static int dmr_md_range_blank(struct block_device *bdev, struct dm_io_client *io,
			      const struct dmr_geometry *geo, u64 *found)
{
	sector_t sector, count;
	const u8 *nz;
	void *buf;
	int r = 0;

	buf = kvmalloc(DMR_SCAN_BYTES, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	for (sector = 0; sector < geo->data_start; sector += count) {
		count = min_t(sector_t, geo->data_start - sector, DMR_SCAN_BYTES >> SECTOR_SHIFT);
		r = dmr_md_io(bdev, io, REQ_OP_READ, sector, count, buf);
		if (r)
			break;
		nz = memchr_inv(buf, 0, count << SECTOR_SHIFT);
		if (nz) {
			*found = ((u64)sector << SECTOR_SHIFT) + (nz - (const u8 *)buf);
			r = -EEXIST;
			break;
		}
		cond_resched();
	}
	kvfree(buf);
	return r;
}

int dmr_md_format(struct block_device *bdev, u32 chunk_sectors, u32 max_groups,
		  char **error)
{
	struct dmr_geometry geo;
	struct dm_io_client *io;
	void *buf = NULL;
	u64 found;
	int r;

	r = dmr_md_geometry(bdev_nr_sectors(bdev), chunk_sectors, max_groups, &geo, error);
	if (r)
		return r;

	io = dm_io_client_create();
	if (IS_ERR(io)) {
		*error = "Cannot create an I/O client";
		return PTR_ERR(io);
	}

	/*
	 * Nothing is formatted silently: every byte the format would write
	 * must already be zero. A blank first block is not enough (md 1.2
	 * puts its superblock at 4 KiB, bcache at 4 KiB, btrfs at 64 KiB).
	 * Nothing is written before the whole range has been read.
	 */
	r = dmr_md_range_blank(bdev, io, &geo, &found);
	if (r == -EEXIST) {
		DMERR("%pg: non-zero data at byte offset %llu: refusing to format it as a pool",
		      bdev, found);
		*error = "Device is not blank: refusing to format it as a pool";
		goto out;
	}
	if (r) {
		*error = "Cannot read the pool device";
		goto out;
	}

	buf = kzalloc(DMR_BLOCK_SECTORS * SECTOR_SIZE, GFP_KERNEL);
	if (!buf) {
		r = -ENOMEM;
		*error = "Cannot allocate a metadata buffer";
		goto out;
	}
	/*
	 * The range reads as zero, but a device may answer zeroes for blocks
	 * it has not stored (after a discard) and later something else:
	 * write the zeroes the empty group records and owner table are,
	 * then the superblock.
	 */
	r = blkdev_issue_zeroout(bdev, geo.group_start, geo.data_start - geo.group_start,
				 GFP_KERNEL, 0);
	if (r) {
		*error = "Cannot clear the pool metadata area";
		goto out;
	}
	dmr_encode_sb(buf, &geo, ktime_get_real_ns());
	r = dmr_md_io(bdev, io, REQ_OP_WRITE | REQ_PREFLUSH | REQ_FUA, 0, 1, buf);
	if (r)
		*error = "Cannot write the pool superblock";
out:
	kfree(buf);
	dm_io_client_destroy(io);
	return r;
}

#define DMR_BLOCK_BYTES		(DMR_BLOCK_SECTORS * SECTOR_SIZE)
#define DMR_OWNERS_PER_BLOCK	(DMR_BLOCK_SECTORS * DMR_OWNERS_PER_SECTOR)

static u64 dmr_owner_block(u64 chunk)
{
	return div_u64(chunk, DMR_OWNERS_PER_BLOCK);
}

/*
 * The sector of @chunk's entry in its block's image, or NULL when the
 * block is not held (all free). md->lock held, or the pool not yet shared.
 */
static void *dmr_owner_sector(struct dmr_md *md, u64 chunk, unsigned int *i)
{
	u32 rem;
	u64 s = div_u64_rem(chunk, DMR_OWNERS_PER_SECTOR, &rem);
	void *img = xa_load(&md->blocks, s / DMR_BLOCK_SECTORS);

	*i = rem;
	return img ? img + (s % DMR_BLOCK_SECTORS) * SECTOR_SIZE : NULL;
}

/* Does the image of a block hold any entry? */
static bool dmr_block_used(const void *img)
{
	struct dmr_owner o;
	unsigned int s, i;

	for (s = 0; s < DMR_BLOCK_SECTORS; s++) {
		for (i = 0; i < DMR_OWNERS_PER_SECTOR; i++) {
			dmr_get_owner(img + s * SECTOR_SIZE, i, &o);
			if (o.slot || o.origin)
				return true;
		}
	}
	return false;
}

/*
 * Let go of block @b's image if nothing keeps it: no reserved chunk, no
 * entry, no change to write. md->lock held (irqs off): the image cannot
 * be found again once it is erased, as lookups take md->lock too.
 */
static void __dmr_md_maybe_drop(struct dmr_md *md, u64 b)
{
	void *img = xa_load(&md->blocks, b);

	if (!img || md->reserved[b] || test_bit(b, md->dirty) || dmr_block_used(img))
		return;
	xa_lock(&md->blocks);
	__xa_erase(&md->blocks, b);
	xa_unlock(&md->blocks);
	atomic_long_dec(&md->nr_held);
	kfree(img);
}

/*
 * Hold @img as block @b's image. Process context; not with md->lock
 * (the xarray may allocate). -EBUSY when the block is held already.
 */
static int dmr_md_hold(struct dmr_md *md, u64 b, void *img)
{
	int r = xa_insert_irq(&md->blocks, b, img, GFP_NOIO);

	if (!r)
		atomic_long_inc(&md->nr_held);
	return r;
}

static void dmr_md_commit_work(struct work_struct *ws);
static int dmr_md_write_dirty(struct dmr_md *md);

/*
 * The last commit on disk (the highest number) may have been cut off:
 * check each checksummed shared copy it wrote against its data, drop the
 * ones whose data is not there, and make the drops durable before
 * anything can reuse their chunks. Sets md->commit. May sleep.
 */
static int dmr_md_check_last_commit(struct dmr_md *md, char **error)
{
	u64 chunk, dropped = 0, checked = 0;
	size_t len = md->geo.chunk_sectors << SECTOR_SHIFT;
	unsigned long b;
	struct dmr_owner o;
	unsigned int i, j;
	void *buf = NULL, *img, *sec;
	int r = 0;

	xa_for_each(&md->blocks, b, img) {
		for (j = 0; j < DMR_OWNERS_PER_BLOCK; j++) {
			chunk = (u64)b * DMR_OWNERS_PER_BLOCK + j;
			if (chunk >= md->geo.nr_chunks)
				break;
			sec = img + (j / DMR_OWNERS_PER_SECTOR) * SECTOR_SIZE;
			i = j % DMR_OWNERS_PER_SECTOR;
			dmr_get_owner(sec, i, &o);
			if (!dmr_owner_unproven(&o, md->commit))
				continue;
			if (!buf)
				buf = kvmalloc(len, GFP_KERNEL);
			if (!buf) {
				*error = "Cannot allocate a buffer to check the last commit";
				return -ENOMEM;
			}
			r = dmr_md_io(md->bdev, md->io, REQ_OP_READ,
				      md->geo.data_start + chunk * md->geo.chunk_sectors,
				      md->geo.chunk_sectors, buf);
			if (r) {
				*error = "Cannot read a pool chunk to check the last commit";
				goto out;
			}
			checked++;
			if (dmr_md_data_csum(buf, len) == o.csum)
				continue;
			memset(&o, 0, sizeof(o));
			dmr_put_owner(sec, i, &o);
			__set_bit(b, md->dirty);
			dropped++;
			cond_resched();
		}
	}
	if (dropped) {
		DMWARN("%pg: %llu of %llu copies of commit %llu were not durable: dropped",
		       md->bdev, dropped, checked, md->commit);
		r = dmr_md_write_dirty(md);
		if (r)
			*error = "Cannot write the pool owner table";
	}
out:
	kvfree(buf);
	return r;
}

/*
 * Read the owner table in pieces of DMR_COMMIT_BATCH blocks through the
 * bounce buffer, check every sector, and hold the blocks that have
 * entries. Sets md->commit to the highest commit number on disk.
 */
static int dmr_md_load_owners(struct dmr_md *md, char **error)
{
	u64 b, n, k, s, last = 0;
	struct dmr_owner o;
	unsigned int j;
	void *blk, *img;
	int r;

	for (b = 0; b < md->nr_owner_blocks; b += n) {
		n = min_t(u64, DMR_COMMIT_BATCH, md->nr_owner_blocks - b);
		r = dmr_md_io(md->bdev, md->io, REQ_OP_READ,
			      md->geo.owner_start + b * DMR_BLOCK_SECTORS,
			      n * DMR_BLOCK_SECTORS, md->bounce);
		if (r) {
			*error = "Cannot read the pool owner table";
			return r;
		}
		for (k = 0; k < n; k++) {
			blk = md->bounce + k * DMR_BLOCK_BYTES;
			for (s = 0; s < DMR_BLOCK_SECTORS; s++) {
				if (dmr_check_owner_sector(blk + s * SECTOR_SIZE,
							   (b + k) * DMR_BLOCK_SECTORS + s)) {
					*error = "Pool owner table checksum mismatch";
					return -EILSEQ;
				}
				for (j = 0; j < DMR_OWNERS_PER_SECTOR; j++) {
					dmr_get_owner(blk + s * SECTOR_SIZE, j, &o);
					if (o.slot || o.origin)
						last = max(last, o.commit);
				}
			}
			if (!dmr_block_used(blk))
				continue;
			img = kmemdup(blk, DMR_BLOCK_BYTES, GFP_KERNEL);
			if (!img) {
				*error = "Out of memory loading the owner table";
				return -ENOMEM;
			}
			r = dmr_md_hold(md, b + k, img);
			if (r) {
				kfree(img);
				*error = "Out of memory loading the owner table";
				return r;
			}
		}
		cond_resched();
	}
	md->commit = last;
	return 0;
}

static int dmr_md_load_slots(struct dmr_md *md, char **error);

struct dmr_md *dmr_md_open(struct block_device *bdev, char **error)
{
	struct dmr_md *md;
	int r;

	md = kzalloc(sizeof(*md), GFP_KERNEL);
	if (!md)
		goto nomem;
	md->bdev = bdev;
	spin_lock_init(&md->lock);
	xa_init_flags(&md->blocks, XA_FLAGS_LOCK_IRQ);
	INIT_LIST_HEAD(&md->waiters);
	INIT_WORK(&md->commit_work, dmr_md_commit_work);

	md->io = dm_io_client_create();
	if (IS_ERR(md->io)) {
		r = PTR_ERR(md->io);
		md->io = NULL;
		*error = "Cannot create an I/O client";
		goto bad;
	}
	md->bounce = kvmalloc(DMR_COMMIT_BATCH * DMR_BLOCK_SECTORS * SECTOR_SIZE, GFP_KERNEL);
	if (!md->bounce)
		goto nomem_md;

	r = dmr_md_io(bdev, md->io, REQ_OP_READ, 0, 1, md->bounce);
	if (r) {
		*error = "Cannot read the pool superblock";
		goto bad;
	}
	r = dmr_decode_sb(md->bounce, &md->geo, error);
	if (r)
		goto bad;
	if (le32_to_cpu(((struct dmr_disk_sb *)md->bounce)->version) == DMR_FORMAT_UPGRADED) {
		/* Everything of version 4 reads the same in version 5. */
		((struct dmr_disk_sb *)md->bounce)->version = cpu_to_le32(DMR_FORMAT_VERSION);
		dmr_seal_sb(md->bounce);
		r = dmr_md_io(bdev, md->io, REQ_OP_WRITE | REQ_PREFLUSH | REQ_FUA, 0, 1,
			      md->bounce);
		if (r) {
			*error = "Cannot upgrade the pool superblock to format version 5";
			goto bad;
		}
		DMINFO("pool of on-disk format version %u upgraded to version %u",
		       DMR_FORMAT_UPGRADED, DMR_FORMAT_VERSION);
	}
	if (md->geo.data_start + md->geo.nr_chunks * md->geo.chunk_sectors >
	    bdev_nr_sectors(bdev)) {
		*error = "Pool device is smaller than its superblock says";
		r = -EINVAL;
		goto bad;
	}

	md->nr_owner_blocks = md->geo.owner_sectors / DMR_BLOCK_SECTORS;
	md->reserved = kvcalloc(md->nr_owner_blocks, sizeof(*md->reserved), GFP_KERNEL);
	md->dirty = bitmap_zalloc(md->nr_owner_blocks, GFP_KERNEL);
	if (!md->reserved || !md->dirty)
		goto nomem_md;
	r = dmr_md_load_owners(md, error);
	if (r)
		goto bad;
	r = dmr_md_check_last_commit(md, error);
	if (r)
		goto bad;
	r = dmr_md_load_slots(md, error);
	if (r)
		goto bad;

	md->wq = alloc_ordered_workqueue("dmr-md", WQ_MEM_RECLAIM);
	if (!md->wq)
		goto nomem_md;
	return md;

nomem_md:
nomem:
	r = -ENOMEM;
	*error = "Cannot allocate the pool metadata";
bad:
	dmr_md_close(md);
	return ERR_PTR(r);
}

void dmr_md_close(struct dmr_md *md)
{
	unsigned long b;
	void *img;

	if (!md)
		return;
	if (md->wq) {
		flush_workqueue(md->wq);
		destroy_workqueue(md->wq);
	}
	WARN_ON(!list_empty(&md->waiters));
	dmr_md_loaded_release(md);
	kvfree(md->slots);
	xa_for_each(&md->blocks, b, img)
		kfree(img);
	xa_destroy(&md->blocks);
	bitmap_free(md->dirty);
	kvfree(md->reserved);
	kvfree(md->bounce);
	if (md->io)
		dm_io_client_destroy(md->io);
	kfree(md);
}

const struct dmr_geometry *dmr_md_geo(struct dmr_md *md)
{
	return &md->geo;
}

static sector_t dmr_slot_sector(struct dmr_md *md, unsigned int slot, unsigned int copy)
{
	return md->geo.group_start + (slot * 2 + copy) * DMR_GROUP_REC_SECTORS;
}

/*
 * Read a group slot: the valid copy with the higher sequence. A slot never
 * written reads as free. -EILSEQ when neither copy is valid. The two
 * copies are adjacent and read in one request: a load reads every slot.
 */
static int dmr_md_group_read_disk(struct dmr_md *md, unsigned int slot,
				  struct dmr_group_rec *rec)
{
	struct dmr_group_rec *tmp;
	int r, rc[2], best = -1;
	unsigned int c;
	void *buf;

	if (WARN_ON_ONCE(slot >= md->geo.max_groups))
		return -EINVAL;
	buf = kvmalloc(2 * DMR_GROUP_REC_SECTORS * SECTOR_SIZE, GFP_KERNEL);
	tmp = kvmalloc(sizeof(*tmp), GFP_KERNEL);
	if (!buf || !tmp) {
		r = -ENOMEM;
		goto out;
	}

	r = dmr_md_io(md->bdev, md->io, REQ_OP_READ, dmr_slot_sector(md, slot, 0),
		      2 * DMR_GROUP_REC_SECTORS, buf);
	if (r)
		goto out;
	for (c = 0; c < 2; c++) {
		rc[c] = dmr_decode_group(buf + c * DMR_GROUP_REC_SECTORS * SECTOR_SIZE, tmp);
		if (!rc[c] && (best < 0 || tmp->seq > rec->seq)) {
			memcpy(rec, tmp, sizeof(*rec));
			best = c;
		}
	}

	r = 0;
	if (best >= 0)
		goto out;
	if (rc[0] == -ENODATA && rc[1] == -ENODATA) {
		memset(rec, 0, sizeof(*rec));
		rec->state = DMR_SLOT_FREE;
	} else {
		r = -EILSEQ;
	}
out:
	kvfree(tmp);
	kvfree(buf);
	return r;
}

static void dmr_md_slot_set(struct dmr_md *md, unsigned int slot,
			    const struct dmr_group_rec *rec, int err)
{
	spin_lock_irq(&md->lock);
	md->slots[slot].err = err;
	md->slots[slot].state = rec->state;
	md->slots[slot].gen = rec->gen;
	md->slots[slot].seq = rec->seq;
	spin_unlock_irq(&md->lock);
}

/*
 * Read every slot once, without any lock of the caller's: the state of
 * each, and the record of each slot in use. Process context.
 */
static int dmr_md_load_slots(struct dmr_md *md, char **error)
{
	struct dmr_group_rec *rec = NULL;
	unsigned int slot;
	int r;

	md->slots = kvcalloc(md->geo.max_groups, sizeof(*md->slots), GFP_KERNEL);
	md->loaded = kvcalloc(md->geo.max_groups, sizeof(*md->loaded), GFP_KERNEL);
	if (!md->slots || !md->loaded)
		goto nomem;
	for (slot = 0; slot < md->geo.max_groups; slot++) {
		if (!rec)
			rec = kvmalloc(sizeof(*rec), GFP_KERNEL);
		if (!rec)
			goto nomem;
		r = dmr_md_group_read_disk(md, slot, rec);
		if (r == -ENOMEM)
			goto nomem;
		/* An unreadable slot fails the groups' load, which says so. */
		md->slots[slot].err = r;
		if (r)
			continue;
		md->slots[slot].state = rec->state;
		md->slots[slot].gen = rec->gen;
		md->slots[slot].seq = rec->seq;
		if (rec->state != DMR_SLOT_FREE) {
			md->loaded[slot] = rec;
			rec = NULL;
		}
		cond_resched();
	}
	kvfree(rec);
	return 0;

nomem:
	kvfree(rec);
	*error = "Out of memory reading the pool's group records";
	return -ENOMEM;
}

void dmr_md_loaded_release(struct dmr_md *md)
{
	struct dmr_group_rec **loaded;
	unsigned int slot;

	spin_lock_irq(&md->lock);
	loaded = md->loaded;
	md->loaded = NULL;
	spin_unlock_irq(&md->lock);
	if (!loaded)
		return;
	for (slot = 0; slot < md->geo.max_groups; slot++)
		kvfree(loaded[slot]);
	kvfree(loaded);
}

int dmr_md_group_read(struct dmr_md *md, unsigned int slot, struct dmr_group_rec *rec)
{
	struct dmr_md_slot st;
	int r;

	if (WARN_ON_ONCE(slot >= md->geo.max_groups))
		return -EINVAL;
	spin_lock_irq(&md->lock);
	if (md->loaded && md->loaded[slot]) {
		memcpy(rec, md->loaded[slot], sizeof(*rec));
		spin_unlock_irq(&md->lock);
		return 0;
	}
	st = md->slots[slot];
	spin_unlock_irq(&md->lock);
	if (st.err)
		return st.err;
	if (st.state == DMR_SLOT_FREE) {
		/* All a free slot's record holds (see dmr_md_group_write()). */
		memset(rec, 0, sizeof(*rec));
		rec->state = DMR_SLOT_FREE;
		rec->gen = st.gen;
		rec->seq = st.seq;
		return 0;
	}
	r = dmr_md_group_read_disk(md, slot, rec);
	if (!r)
		dmr_md_slot_set(md, slot, rec, 0);
	return r;
}

/*
 * Write a group slot durably, into the copy that does not hold the
 * current version. rec->seq is advanced on success.
 */
int dmr_md_group_write(struct dmr_md *md, unsigned int slot, struct dmr_group_rec *rec)
{
	u64 seq = rec->seq + 1;
	unsigned int noio;
	void *buf;
	int r;

	if (WARN_ON_ONCE(slot >= md->geo.max_groups))
		return -EINVAL;
	/*
	 * A member breaking writes its record while source writes wait for
	 * it: no allocation here may wait for writeback of those writes.
	 */
	noio = memalloc_noio_save();
	buf = kvmalloc(DMR_GROUP_REC_SECTORS * SECTOR_SIZE, GFP_KERNEL);
	memalloc_noio_restore(noio);
	if (!buf)
		return -ENOMEM;
	rec->seq = seq;
	dmr_encode_group(buf, rec);
	r = dmr_md_io(md->bdev, md->io, REQ_OP_WRITE | REQ_PREFLUSH | REQ_FUA,
		      dmr_slot_sector(md, slot, seq & 1), DMR_GROUP_REC_SECTORS, buf);
	if (r) {
		rec->seq = seq - 1;
	} else {
		struct dmr_group_rec *old = NULL;

		dmr_md_slot_set(md, slot, rec, 0);
		/* The groups' load may write a slot it read: not read again. */
		spin_lock_irq(&md->lock);
		if (md->loaded)
			swap(old, md->loaded[slot]);
		spin_unlock_irq(&md->lock);
		kvfree(old);
	}
	kvfree(buf);
	return r;
}

bool dmr_md_next_owner(struct dmr_md *md, u64 *chunk, struct dmr_owner *o)
{
	unsigned long b = dmr_owner_block(*chunk);
	u64 c = *chunk;
	void *img;

	spin_lock_irq(&md->lock);
	while (c < md->geo.nr_chunks &&
	       (img = xa_find(&md->blocks, &b, ULONG_MAX, XA_PRESENT))) {
		unsigned int j;

		c = max_t(u64, c, (u64)b * DMR_OWNERS_PER_BLOCK);
		for (j = c - (u64)b * DMR_OWNERS_PER_BLOCK;
		     j < DMR_OWNERS_PER_BLOCK && c < md->geo.nr_chunks; j++, c++) {
			dmr_get_owner(img + (j / DMR_OWNERS_PER_SECTOR) * SECTOR_SIZE,
				      j % DMR_OWNERS_PER_SECTOR, o);
			if (o->slot || o->origin) {
				spin_unlock_irq(&md->lock);
				*chunk = c;
				return true;
			}
		}
		b++;
	}
	spin_unlock_irq(&md->lock);
	return false;
}

void dmr_md_set_owner(struct dmr_md *md, u64 chunk, const struct dmr_owner *o)
{
	struct dmr_owner e = *o;
	unsigned long flags;
	unsigned int i;
	void *s;

	/* Unstamped: the commit that writes it gives it its number. */
	e.commit = 0;
	spin_lock_irqsave(&md->lock, flags);
	s = dmr_owner_sector(md, chunk, &i);
	if (s) {
		dmr_put_owner(s, i, &e);
		__set_bit(dmr_owner_block(chunk), md->dirty);
	} else if (e.slot || e.origin) {
		/*
		 * An entry for a chunk nobody reserved: it cannot be written,
		 * so no later commit may claim it is durable.
		 */
		WARN_ONCE(1, "dm-replica: owner entry for unreserved pool chunk %llu", chunk);
		md->failed = true;
	}
	/* else: a free entry in a block not held, which is all free already */
	spin_unlock_irqrestore(&md->lock, flags);
}

void dmr_md_clear_owner(struct dmr_md *md, u64 chunk)
{
	static const struct dmr_owner free_owner;

	dmr_md_set_owner(md, chunk, &free_owner);
}

int dmr_md_reserve(struct dmr_md *md, u64 chunk)
{
	u64 b = dmr_owner_block(chunk);
	void *img = NULL;
	int r;

	for (;;) {
		spin_lock_irq(&md->lock);
		if (xa_load(&md->blocks, b)) {
			md->reserved[b]++;
			spin_unlock_irq(&md->lock);
			kfree(img);
			return 0;
		}
		spin_unlock_irq(&md->lock);
		/*
		 * Not held: all its entries are free on disk, so an image of
		 * zeroes is the block (the seals are set when it is written).
		 */
		if (!img) {
			img = kzalloc(DMR_BLOCK_BYTES, GFP_NOIO);
			if (!img)
				return -ENOMEM;
		}
		r = dmr_md_hold(md, b, img);
		if (!r)
			img = NULL;
		else if (r != -EBUSY)
			break;
		/* Held now, by us or another: take the reservation. */
	}
	kfree(img);
	return r;
}

void dmr_md_unreserve(struct dmr_md *md, u64 chunk)
{
	u64 b = dmr_owner_block(chunk);
	unsigned long flags;

	spin_lock_irqsave(&md->lock, flags);
	if (!WARN_ON_ONCE(!md->reserved[b])) {
		md->reserved[b]--;
		__dmr_md_maybe_drop(md, b);
	}
	spin_unlock_irqrestore(&md->lock, flags);
}

void dmr_md_usage(struct dmr_md *md, u64 *held, u64 *blocks)
{
	*held = atomic_long_read(&md->nr_held);
	*blocks = md->nr_owner_blocks;
}

void dmr_md_commit(struct dmr_md *md, struct dmr_md_waiter *w)
{
	unsigned long flags;

	spin_lock_irqsave(&md->lock, flags);
	list_add_tail(&w->list, &md->waiters);
	spin_unlock_irqrestore(&md->lock, flags);
	queue_work(md->wq, &md->commit_work);
}

struct dmr_md_sync {
	struct dmr_md_waiter w;
	struct completion done;
	int err;
};

static void dmr_md_sync_done(struct dmr_md_waiter *w, int err)
{
	struct dmr_md_sync *sw = container_of(w, struct dmr_md_sync, w);

	sw->err = err;
	complete(&sw->done);
}

int dmr_md_sync(struct dmr_md *md)
{
	struct dmr_md_sync sw = { .w.fn = dmr_md_sync_done };

	init_completion(&sw.done);
	dmr_md_commit(md, &sw.w);
	wait_for_completion(&sw.done);
	return sw.err;
}

bool dmr_md_failed(struct dmr_md *md)
{
	return READ_ONCE(md->failed);
}

void dmr_md_flush_commits(struct dmr_md *md)
{
	flush_workqueue(md->wq);
}

/*
 * Take up to DMR_COMMIT_BATCH dirty blocks: stamp their new entries with
 * the commit's number, seal their sectors and copy them to the bounce
 * buffer. Returns how many were taken; @blocks gets their numbers, and
 * *@ordered is set when an entry must follow its data. Called with
 * md->lock held.
 */
static unsigned int __dmr_md_take_dirty(struct dmr_md *md, u64 *blocks, bool *ordered)
{
	unsigned int n = 0, j;
	unsigned long b;

	for_each_set_bit(b, md->dirty, md->nr_owner_blocks) {
		void *src = xa_load(&md->blocks, b);

		/* A dirty block is held until it is taken (see above). */
		if (WARN_ON_ONCE(!src)) {
			__clear_bit(b, md->dirty);
			md->failed = true;
			continue;
		}

		for (j = 0; j < DMR_BLOCK_SECTORS; j++) {
			if (dmr_stamp_owner_sector(src + j * SECTOR_SIZE, md->commit))
				*ordered = true;
			dmr_seal_owner_sector(src + j * SECTOR_SIZE,
					      b * DMR_BLOCK_SECTORS + j);
		}
		memcpy(md->bounce + n * DMR_BLOCK_SECTORS * SECTOR_SIZE, src,
		       DMR_BLOCK_SECTORS * SECTOR_SIZE);
		__clear_bit(b, md->dirty);
		__dmr_md_maybe_drop(md, b);
		blocks[n++] = b;
		if (n == DMR_COMMIT_BATCH)
			break;
	}
	return n;
}

/*
 * One commit: every dirty block, then one flush. A round that holds an
 * entry which must follow its data starts with a PREFLUSH. On a device
 * with FUA, the commit's last write carries the flush (PREFLUSH and FUA:
 * one request); without FUA, that would cost a flush before and one
 * after it, so the blocks are written plainly and one flush follows. The
 * worker's (or dmr_md_open()'s, before the worker exists).
 */
static int dmr_md_write_dirty(struct dmr_md *md)
{
	bool fua = bdev_fua(md->bdev), ordered, wrote = false, flushed = false;
	u64 blocks[DMR_COMMIT_BATCH];
	unsigned int n, i;
	blk_opf_t opf;
	int r = 0;

	/* A commit with nothing to write takes no number (and no flush). */
	spin_lock_irq(&md->lock);
	n = find_first_bit(md->dirty, md->nr_owner_blocks) < md->nr_owner_blocks;
	spin_unlock_irq(&md->lock);
	if (!n)
		return 0;
	md->commit++;
	do {
		ordered = false;
		spin_lock_irq(&md->lock);
		n = __dmr_md_take_dirty(md, blocks, &ordered);
		spin_unlock_irq(&md->lock);
		for (i = 0; i < n && !r; i++) {
			opf = REQ_OP_WRITE;
			if (!i && ordered)
				opf |= REQ_PREFLUSH;
			if (fua && i == n - 1 && n < DMR_COMMIT_BATCH) {
				opf |= REQ_PREFLUSH | REQ_FUA;
				flushed = true;
			}
			r = dmr_md_io(md->bdev, md->io, opf,
				      md->geo.owner_start + blocks[i] * DMR_BLOCK_SECTORS,
				      DMR_BLOCK_SECTORS,
				      md->bounce + i * DMR_BLOCK_SECTORS * SECTOR_SIZE);
		}
		wrote |= n > 0;
	} while (n == DMR_COMMIT_BATCH && !r);
	/*
	 * Nothing dirty: whatever the waiters wait for was taken by a commit
	 * that has ended (commits run one at a time).
	 */
	if (!r && wrote && !flushed)
		r = blkdev_issue_flush(md->bdev);
	return r;
}

static void dmr_md_commit_work(struct work_struct *ws)
{
	struct dmr_md *md = container_of(ws, struct dmr_md, commit_work);
	struct dmr_md_waiter *w, *tmp;
	LIST_HEAD(waiters);
	int r = 0;

	spin_lock_irq(&md->lock);
	list_splice_init(&md->waiters, &waiters);
	if (md->failed)
		r = -EIO;
	spin_unlock_irq(&md->lock);

	if (!r)
		r = dmr_md_write_dirty(md);

	if (r) {
		spin_lock_irq(&md->lock);
		if (!md->failed)
			DMERR("pool metadata write failed: %d", r);
		md->failed = true;
		spin_unlock_irq(&md->lock);
	}

	list_for_each_entry_safe(w, tmp, &waiters, list) {
		list_del(&w->list);
		w->fn(w, r);
	}
}
