// SPDX-License-Identifier: GPL-2.0
/*
 * dm-replica: the replica-source target.
 *
 * A source device is reached through a dm device whose table uses this
 * target. While no group includes the source, the target is a 1:1
 * pass-through to the underlying device: every bio, flushes, discards and
 * write-zeroes included, is remapped and sent down unchanged.
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/device-mapper.h>
#include <linux/module.h>
#include <linux/slab.h>

#include <uapi/linux/dm-replica.h>

#include "compat.h"
#include "dm-replica.h"

/*
 * struct replica_source - one replica-source target instance
 * @dev: the underlying source device; set in the constructor, constant
 *       until the destructor.
 */
struct replica_source {
	struct dm_dev *dev;
};

/*
 * Construct a replica-source mapping:
 *
 *   replica-source <dev_path>
 *
 * <dev_path>: the block device holding the source data, as a path or as
 *             <major>:<minor>. The target maps it from sector 0; the
 *             target's length may not exceed the device.
 */
static int source_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct replica_source *rs;
	int r;

	if (argc != 1) {
		ti->error = "Invalid argument count: expected <dev_path>";
		return -EINVAL;
	}

	rs = kzalloc(sizeof(*rs), GFP_KERNEL);
	if (!rs) {
		ti->error = "Cannot allocate context";
		return -ENOMEM;
	}

	r = dm_get_device(ti, argv[0], dm_table_get_mode(ti->table), &rs->dev);
	if (r) {
		ti->error = "Source device lookup failed";
		goto bad_dev;
	}

	if (ti->len > bdev_nr_sectors(rs->dev->bdev)) {
		ti->error = "Source device is smaller than the target";
		r = -EINVAL;
		goto bad_len;
	}

	/*
	 * Flushes, discards and write-zeroes are passed down as they come;
	 * dm core stops advertising discard and write-zeroes when the
	 * device cannot do them (see also source_io_hints()).
	 */
	ti->num_flush_bios = 1;
	ti->num_discard_bios = 1;
	ti->num_write_zeroes_bios = 1;
	ti->private = rs;
	return 0;

bad_len:
	dm_put_device(ti, rs->dev);
bad_dev:
	kfree(rs);
	return r;
}

static void source_dtr(struct dm_target *ti)
{
	struct replica_source *rs = ti->private;

	dm_put_device(ti, rs->dev);
	kfree(rs);
}

static int source_map(struct dm_target *ti, struct bio *bio)
{
	struct replica_source *rs = ti->private;

	bio_set_dev(bio, rs->dev->bdev);
	/* An empty flush carries no sector to remap. */
	if (bio_sectors(bio))
		bio->bi_iter.bi_sector = dm_target_offset(ti, bio->bi_iter.bi_sector);

	return DM_MAPIO_REMAPPED;
}

/*
 * Status:
 *
 *   INFO:  <mode>
 *          <mode> is "passthrough" while no group uses the source.
 *   TABLE: <dev>
 *          the device as <major>:<minor>, which builds the same target.
 */
static void source_status(struct dm_target *ti, status_type_t type,
			  unsigned int status_flags, char *result,
			  unsigned int maxlen)
{
	struct replica_source *rs = ti->private;
	unsigned int sz = 0;

	switch (type) {
	case STATUSTYPE_INFO:
		DMEMIT("passthrough");
		break;
	case STATUSTYPE_TABLE:
		DMEMIT("%s", rs->dev->name);
		break;
	case STATUSTYPE_IMA:
		DMEMIT_TARGET_NAME_VERSION(ti->type);
		DMEMIT(",source_device_name=%s,mode=passthrough;", rs->dev->name);
		break;
	}
}

static int source_iterate_devices(struct dm_target *ti,
				  iterate_devices_callout_fn fn, void *data)
{
	struct replica_source *rs = ti->private;

	return fn(ti, rs->dev, 0, ti->len, data);
}

/*
 * The limits of the source device are stacked by dm core through
 * iterate_devices. Say explicitly that discard and write-zeroes are off
 * when the device has none, so that no caller is told otherwise whatever
 * the stacking rules of the running kernel are.
 */
static void source_io_hints(struct dm_target *ti, struct queue_limits *limits)
{
	struct replica_source *rs = ti->private;
	struct block_device *bdev = rs->dev->bdev;

	if (!bdev_max_discard_sectors(bdev))
		dmr_limits_no_discard(limits);
	if (!bdev_write_zeroes_sectors(bdev))
		limits->max_write_zeroes_sectors = 0;
}

static struct target_type source_target = {
	.name = DM_REPLICA_TARGET_SOURCE,
	.version = {DM_REPLICA_VERSION_MAJOR, DM_REPLICA_VERSION_MINOR,
		    DM_REPLICA_VERSION_PATCH},
	.module = THIS_MODULE,
	.ctr = source_ctr,
	.dtr = source_dtr,
	.map = source_map,
	.status = source_status,
	.iterate_devices = source_iterate_devices,
	.io_hints = source_io_hints,
};

int dmr_source_init(void)
{
	int r = dm_register_target(&source_target);

	if (r)
		DMERR("register of %s target failed: %d", source_target.name, r);
	return r;
}

void dmr_source_exit(void)
{
	dm_unregister_target(&source_target);
}
