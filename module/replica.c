// SPDX-License-Identifier: GPL-2.0
/*
 * dm-replica: the replica target, the view of one group member.
 *
 * A snapshot replica reads the chunks whose old data was copied from the
 * pool and the others from the source device; writes to it (a writable
 * snapshot) land in the pool. The decisions are the member's cow's.
 */
#include <linux/device-mapper.h>
#include <linux/kdev_t.h>
#include <linux/module.h>
#include <linux/slab.h>

#include <uapi/linux/dm-replica.h>

#include "compat.h"
#include "engine.h"
#include "dm-replica.h"
#include "group.h"

struct replica_target {
	struct dm_dev *pool_dev;
	struct dm_dev *origin_dev;
	struct dmr_member *member;
	struct dmr_rep_engine *eng;
	u32 group_id;
	unsigned int n;
};

/*
 * Construct a replica mapping:
 *
 *   replica <pool_dev> <group_id> <n>
 *
 * <pool_dev>:  the dm device of the replica-pool the group draws from.
 * <group_id>:  the group (Synchronization) id.
 * <n>:         the member, from 1 (the replica named <RelationshipName>_<n>).
 *
 * The target's length may not exceed the source's.
 */
static int replica_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct replica_target *rt;
	char origin[16];
	int r;

	if (argc != 3) {
		ti->error = "Invalid argument count: expected <pool_dev> <group_id> <n>";
		return -EINVAL;
	}
	rt = kzalloc(sizeof(*rt), GFP_KERNEL);
	if (!rt) {
		ti->error = "Cannot allocate context";
		return -ENOMEM;
	}
	if (kstrtou32(argv[1], 10, &rt->group_id) || kstrtouint(argv[2], 10, &rt->n)) {
		ti->error = "Invalid group id or member number";
		r = -EINVAL;
		goto bad;
	}

	/* Holding the pool device open keeps the pool's table from going. */
	r = dm_get_device(ti, argv[0], dm_table_get_mode(ti->table), &rt->pool_dev);
	if (r) {
		ti->error = "Pool device lookup failed";
		goto bad;
	}
	rt->member = dmr_member_get(rt->pool_dev->bdev->bd_dev, rt->group_id, rt->n,
				    &ti->error);
	if (!rt->member) {
		r = -EINVAL;
		goto bad_member;
	}
	if (ti->begin || ti->len > dmr_member_sectors(rt->member)) {
		ti->error = "Replica must start at sector 0 and be no larger than its source";
		r = -EINVAL;
		goto bad_origin;
	}
	rt->eng = dmr_member_engine(rt->member);

	/*
	 * The source device too: its limits apply to reads that go there. A
	 * clone whose copy ended reads the pool only, and may have none.
	 */
	if (dmr_member_origin(rt->member)) {
		snprintf(origin, sizeof(origin), "%u:%u", MAJOR(dmr_member_origin(rt->member)),
			 MINOR(dmr_member_origin(rt->member)));
		r = dm_get_device(ti, origin, dm_table_get_mode(ti->table), &rt->origin_dev);
		if (r) {
			ti->error = "Source device lookup failed";
			goto bad_origin;
		}
	}

	r = dm_set_target_max_io_len(ti, dmr_member_chunk_sectors(rt->member));
	if (r) {
		ti->error = "Cannot set the chunk size as the largest I/O";
		goto bad_max;
	}
	ti->num_flush_bios = 1;
	/* Discards are taken (and ignored) whatever the devices below do. */
	ti->num_discard_bios = 1;
	ti->discards_supported = true;
	ti->per_io_data_size = dmr_engine_rep_io_size(rt->eng);
	ti->private = rt;
	return 0;

bad_max:
	if (rt->origin_dev)
		dm_put_device(ti, rt->origin_dev);
bad_origin:
	dmr_member_put(rt->member);
bad_member:
	dm_put_device(ti, rt->pool_dev);
bad:
	kfree(rt);
	return r;
}

static void replica_dtr(struct dm_target *ti)
{
	struct replica_target *rt = ti->private;

	if (rt->origin_dev)
		dm_put_device(ti, rt->origin_dev);
	dmr_member_put(rt->member);
	dm_put_device(ti, rt->pool_dev);
	kfree(rt);
}

static int replica_map(struct dm_target *ti, struct bio *bio)
{
	struct replica_target *rt = ti->private;

	return dmr_engine_map_replica(rt->eng, bio,
				      dm_per_bio_data(bio, dmr_engine_rep_io_size(rt->eng)));
}

static int replica_end_io(struct dm_target *ti, struct bio *bio, blk_status_t *error)
{
	struct replica_target *rt = ti->private;

	void *io = dm_per_bio_data(bio, dmr_engine_rep_io_size(rt->eng));

	return dmr_engine_end_replica(rt->eng, io, error);
}

/*
 * Status:
 *
 *   INFO:  <copy_state> <copied_chunks>
 *          the member's CopyState number (4 Synchronized, 5 Broken) and the
 *          pool chunks its replica uses.
 *   TABLE: <pool_dev> <group_id> <n>
 */
static void replica_status(struct dm_target *ti, status_type_t type,
			   unsigned int status_flags, char *result, unsigned int maxlen)
{
	struct replica_target *rt = ti->private;
	unsigned int sz = 0;

	switch (type) {
	case STATUSTYPE_INFO:
		DMEMIT("%u %llu", dmr_member_copy_state(rt->member),
		       dmr_engine_copied_chunks(rt->eng));
		break;
	case STATUSTYPE_TABLE:
		DMEMIT("%s %u %u", rt->pool_dev->name, rt->group_id, rt->n);
		break;
	case STATUSTYPE_IMA:
		DMEMIT_TARGET_NAME_VERSION(ti->type);
		DMEMIT(",pool_device_name=%s,group_id=%u,member=%u;", rt->pool_dev->name,
		       rt->group_id, rt->n);
		break;
	}
}

static int replica_iterate_devices(struct dm_target *ti, iterate_devices_callout_fn fn,
				   void *data)
{
	struct replica_target *rt = ti->private;
	int r;

	r = rt->origin_dev ? fn(ti, rt->origin_dev, 0, ti->len, data) : 0;
	if (!r)
		r = fn(ti, rt->pool_dev, 0, 0, data);
	return r;
}

/*
 * A replica's chunks come from two devices; a discard is accepted and
 * ignored (see cow.c), in chunks.
 */
static void replica_io_hints(struct dm_target *ti, struct queue_limits *limits)
{
	struct replica_target *rt = ti->private;

	dmr_limits_set_discard(limits, dmr_member_chunk_sectors(rt->member));
}

static struct target_type replica_target_type = {
	.name = DM_REPLICA_TARGET_REPLICA,
	.version = {DM_REPLICA_VERSION_MAJOR, DM_REPLICA_VERSION_MINOR,
		    DM_REPLICA_VERSION_PATCH},
	.module = THIS_MODULE,
	.ctr = replica_ctr,
	.dtr = replica_dtr,
	.map = replica_map,
	.end_io = replica_end_io,
	.status = replica_status,
	.iterate_devices = replica_iterate_devices,
	.io_hints = replica_io_hints,
};

int dmr_replica_init(void)
{
	int r = dm_register_target(&replica_target_type);

	if (r)
		DMERR("register of %s target failed: %d", replica_target_type.name, r);
	return r;
}

void dmr_replica_exit(void)
{
	dm_unregister_target(&replica_target_type);
}
