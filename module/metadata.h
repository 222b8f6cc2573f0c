/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dm-replica: the pool's persistent metadata.
 *
 * The metadata object owns the on-disk format; nothing outside
 * metadata.c sees an on-disk struct. It keeps three things:
 *  - the superblock, written once when the pool is formatted;
 *  - one record per group slot, written in two alternating copies so that
 *    a torn write never loses the previous state;
 *  - the owner table: for every data chunk of the pool, which group slot
 *    (and generation of it), which member and which source chunk it holds
 *    the data of. Only its 4 KiB blocks that describe chunks in use are
 *    held in memory (a chunk is in use from dmr_md_reserve() until
 *    dmr_md_unreserve()); changes are written back block-wise by
 *    dmr_md_commit(), each commit numbered and ended by one flush.
 * Documentation/dm-replica.rst describes the layout and its crash
 * behaviour.
 */
#ifndef DM_REPLICA_METADATA_H
#define DM_REPLICA_METADATA_H

#include <linux/blkdev.h>
#include <linux/list.h>
#include <linux/types.h>

#include <uapi/linux/dm-replica.h>

/*
 * Group slots of a pool: chosen when it is formatted (the table's
 * "groups <N>"), from 1 to DMR_MAX_GROUPS_LIMIT; DMR_DEFAULT_GROUPS when
 * not given. Pools formatted before the count was a choice have 64.
 *
 * Why 1024 at most: a slot costs 64 KiB of metadata (two copies of a
 * 32 KiB record, room for 64 members), so 1024 slots are 64 MiB, which
 * a format reads (the blank check) and writes, and which every load of
 * the pool reads again, one slot after the other, under dmr_lock. Past
 * that, the record table would be better read lazily or shrunk, which
 * is a format change. The owner table's hard bound is far above: it
 * stores slot + 1 in 15 bits of a u16 (0x8000 marks a shared copy).
 */
#define DMR_MAX_GROUPS_LIMIT	1024
#define DMR_DEFAULT_GROUPS	256
#define DMR_MIN_CHUNK_SECTORS	8	/* 4 KiB */
#define DMR_MAX_CHUNK_SECTORS	2048	/* 1 MiB */

/* A dm UUID (DM_UUID_LEN, 129) with its NUL, padded to 8 bytes. */
#define DMR_UUID_LEN		136

/*
 * The state of a group slot. A group is written CREATING before its point
 * in time is taken and LIVE once it is: a slot found CREATING when the
 * pool is loaded belongs to a creation that never completed, and is freed.
 */
enum dmr_slot_state {
	DMR_SLOT_FREE = 0,
	DMR_SLOT_LIVE = 1,
	DMR_SLOT_CREATING = 2,
};

/*
 * One member of a group record: the identity of its source (dm UUID; the
 * name is kept for messages), its size, its CopyState and, once Broken,
 * why (member.c owns the transitions).
 */
struct dmr_member_rec {
	char source_name[DM_REPLICA_NAME_LEN];
	char source_uuid[DMR_UUID_LEN];
	u64 sectors;
	u16 copy_state;
	u16 origin;	/* the source's origin id in the pool (1..DMR_MAX_ORIGINS) */
	u32 epoch;	/* of the member's point in time; 0 until it is taken */
	char reason[DM_REPLICA_MESSAGE_LEN];
};

/*
 * Flags of a group record. RESTORING: a Restore From Replica started and
 * has not completed, so the sources may be partly restored; written
 * before its first write reaches a source, cleared when it completes.
 * DISSOLVED: a Synchronized clone group that Dissolve made no longer a
 * replica of its sources (never cleared). A module that does not know a
 * flag refuses the record, and so the pool: it never takes a dissolved
 * group for a replica.
 */
#define DMR_GROUP_RESTORING	0x0001
#define DMR_GROUP_DISSOLVED	0x0002
#define DMR_GROUP_FLAGS		(DMR_GROUP_RESTORING | DMR_GROUP_DISSOLVED)

/*
 * struct dmr_group_rec - a group as the metadata records it
 * @gen:   generation of the slot: owner entries of an older generation
 *         are free.
 * @seq:   write sequence, managed by dmr_md_group_write().
 */
struct dmr_group_rec {
	u32 state;
	/*
	 * A clone's copy settings (ReplicationSettingData), 0 when not
	 * given: KiB/s, 0 for no limit; CopyPriority, 0 for the default.
	 */
	u32 copy_rate_kib;
	u16 copy_priority;
	u16 flags;	/* DMR_GROUP_* */
	u32 gen;
	u64 seq;
	u32 id;
	u16 sync_type;
	u16 mode;
	u16 consistency;
	u16 copy_state;
	u32 nr_members;
	u64 created_ns;
	u64 barrier_hold_ns;
	u64 job_id;
	char relationship_name[DM_REPLICA_NAME_LEN];
	char source_group_name[DM_REPLICA_NAME_LEN];
	char target_group[DM_REPLICA_NAME_LEN];
	char broken_reason[DM_REPLICA_MESSAGE_LEN];
	struct dmr_member_rec members[DM_REPLICA_MAX_MEMBERS];
	/*
	 * Bit i: the change map of clone member i cannot be trusted (its
	 * source was written without its pool, or a map write failed).
	 */
	u64 changes_lost;
};

/* The geometry of a pool, fixed when it is formatted. */
struct dmr_geometry {
	u32 chunk_sectors;
	u32 max_groups;		/* group slots, 1 to DMR_MAX_GROUPS_LIMIT */
	u64 nr_chunks;		/* data chunks */
	u64 group_start;	/* sectors */
	u64 owner_start;	/* sectors */
	u64 owner_sectors;
	u64 data_start;		/* sectors, chunk aligned */
};

struct dmr_md;

/*
 * Waiter of a commit: @fn is called from the commit worker once every
 * change made before dmr_md_commit() is durable, or with an error.
 */
struct dmr_md_waiter {
	struct list_head list;
	void (*fn)(struct dmr_md_waiter *w, int err);
};

/*
 * Compute the geometry for a device of @dev_sectors with @max_groups
 * group slots. Process context.
 */
int dmr_md_geometry(u64 dev_sectors, u32 chunk_sectors, u32 max_groups,
		    struct dmr_geometry *geo, char **error);

/*
 * Format @bdev as a pool. Refuses a device on which any byte of the range
 * the format writes (superblock, group records, owner table: sectors 0 to
 * the geometry's data_start) is not zero, and logs the offset of the first
 * such byte: nothing is formatted silently. May sleep.
 */
int dmr_md_format(struct block_device *bdev, u32 chunk_sectors, u32 max_groups,
		  char **error);

/* Open the pool on @bdev: read and check all metadata. May sleep. */
struct dmr_md *dmr_md_open(struct block_device *bdev, char **error);
void dmr_md_close(struct dmr_md *md);

const struct dmr_geometry *dmr_md_geo(struct dmr_md *md);

/*
 * Group records, of slots 0 to the geometry's max_groups - 1 (-EINVAL for
 * another). May sleep; the caller serialises writes to one slot.
 * dmr_md_open() reads every slot: until dmr_md_loaded_release(), reading
 * a slot in use costs no I/O, and reading a free slot never does (a free
 * record holds its generation and sequence only). -EILSEQ for a slot
 * neither of whose copies is valid.
 */
int dmr_md_group_read(struct dmr_md *md, unsigned int slot, struct dmr_group_rec *rec);
int dmr_md_group_write(struct dmr_md *md, unsigned int slot, struct dmr_group_rec *rec);
/* The groups are loaded: drop the records dmr_md_open() kept. */
void dmr_md_loaded_release(struct dmr_md *md);

/*
 * Owner table. dmr_md_next_owner() reads entries as loaded or last set;
 * dmr_md_set_owner() and dmr_md_clear_owner() change one in memory and
 * mark it for the next commit. Any context; they take a spinlock.
 */
/*
 * An owner entry: a chunk private to a member (@slot != 0), a copy shared
 * by the snapshots of one source (@origin != 0), or free (both 0).
 */
struct dmr_owner {
	u16 slot;	/* private: group slot + 1 */
	u16 member;	/* private */
	u32 gen;	/* private: generation of the slot */
	u16 origin;	/* shared: the source's origin id in the pool */
	u32 hi;		/* shared: the newest epoch it serves */
	bool has_csum;	/* shared: @csum is dmr_md_data_csum() of the chunk */
	u32 csum;
	u64 src_chunk;
	u64 commit;	/* read: the commit that wrote it; ignored when set */
};

/* Origin ids a pool can give its sources: 1 to DMR_MAX_ORIGINS. */
#define DMR_MAX_ORIGINS		0x7fff

/*
 * The checksum a shared copy's entry carries: over the whole chunk as
 * written to the pool (a source's last, partial chunk padded with zeroes).
 */
u32 dmr_md_data_csum(const void *data, size_t len);

void dmr_md_set_owner(struct dmr_md *md, u64 chunk, const struct dmr_owner *o);
void dmr_md_clear_owner(struct dmr_md *md, u64 chunk);

/*
 * The first chunk at or after *@chunk that has an entry: true with
 * *@chunk and *@o set, false when there is none. Walks only the blocks
 * held, so a load costs the chunks in use, not the size of the pool.
 */
bool dmr_md_next_owner(struct dmr_md *md, u64 *chunk, struct dmr_owner *o);

/*
 * A chunk is reserved while the pool has it allocated: its owner block is
 * held in memory from then on, so that dmr_md_set_owner() never has to
 * read or allocate (it runs in any context). dmr_md_reserve() may sleep
 * (GFP_NOIO); dmr_md_unreserve() runs in any context, after the chunk's
 * entry was cleared. An entry set on a chunk not reserved is a bug: it
 * warns and fails the metadata.
 */
int dmr_md_reserve(struct dmr_md *md, u64 chunk);
void dmr_md_unreserve(struct dmr_md *md, u64 chunk);

/* How many owner blocks are held in memory, of how many. */
void dmr_md_usage(struct dmr_md *md, u64 *held, u64 *blocks);

/*
 * Make every change so far durable, then call @w->fn. Any context. An
 * entry set without a checksum must have its data written (completed)
 * before dmr_md_set_owner(): the commit flushes that data first.
 */
void dmr_md_commit(struct dmr_md *md, struct dmr_md_waiter *w);

/* dmr_md_commit() and wait for it. Process context, no lock held. */
int dmr_md_sync(struct dmr_md *md);

/* Has a metadata write failed? Then every later commit fails too. */
bool dmr_md_failed(struct dmr_md *md);

/* Wait until every commit queued so far has ended. May sleep. */
void dmr_md_flush_commits(struct dmr_md *md);

#if IS_ENABLED(CONFIG_KUNIT)
/* Encoding and decoding, for the KUnit suite. @buf is one group record or
 * one owner sector or one superblock sector.
 */
#define DMR_GROUP_REC_SECTORS	64
void dmr_encode_sb(void *buf, const struct dmr_geometry *geo, u64 created_ns);
void dmr_seal_sb(void *buf);
/* The format version is the third 32-bit word of the superblock. */
#define DMR_SB_VERSION_OFFSET	8
int dmr_decode_sb(const void *buf, struct dmr_geometry *geo, char **error);
void dmr_encode_group(void *buf, const struct dmr_group_rec *rec);
int dmr_decode_group(const void *buf, struct dmr_group_rec *rec);
#define DMR_OWNERS_PER_SECTOR	17
void dmr_seal_owner_sector(void *sector, u64 index);
bool dmr_stamp_owner_sector(void *sector, u64 commit);
bool dmr_owner_unproven(const struct dmr_owner *o, u64 last_commit);
int dmr_check_owner_sector(const void *sector, u64 index);
void dmr_get_owner(const void *sector, unsigned int i, struct dmr_owner *o);
void dmr_put_owner(void *sector, unsigned int i, const struct dmr_owner *o);
#endif

#endif /* DM_REPLICA_METADATA_H */
