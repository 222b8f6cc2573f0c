// SPDX-License-Identifier: GPL-2.0
/*
 * dm-replica: the replica-source target.
 *
 * A source device is reached through a dm device whose table uses this
 * target. While no group includes the source, the target is a 1:1
 * pass-through to the underlying device: every bio, flushes, discards and
 * write-zeroes included, is remapped and sent down unchanged. When a group
 * includes it, writes (and discards and write-zeroes) go through the
 * engine of its replicas first (engine.h), and the group barrier can hold
 * them for a moment (barrier.c).
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/device-mapper.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/wait.h>

#include <uapi/linux/dm-replica.h>

#include "compat.h"
#include "engine.h"
#include "dm-replica.h"
#include "pool.h"
#include "source.h"

/*
 * struct dmr_source - the state of one source device
 * @list:     in dmr_sources, under dmr_lock.
 * @ref:      target instances and group members using it.
 * @nr_targets: target instances using it; under dmr_lock.
 * @member:   the origin it feeds (its snapshots in one pool); under dmr_lock.
 * @split:    while an origin is attached, the pool's chunk size: writes are
 *            cut at chunk boundaries in the map path, so that the cow
 *            decides for one chunk at a time whatever a bio's size (a
 *            discard of the whole device included). Set under dmr_lock,
 *            read locklessly in map: a bio that missed the change is
 *            still correct, only handled in one piece.
 * @lock:     protects @held, @held_bios, @eng and @written.
 * @written:  a write went to the device with no engine attached since this
 *            state was made: a member re-attached to it now would show
 *            data newer than its point in time (see
 *            dmr_source_attach_unwritten()).
 * @inflight: writes sent on (to the engine or the device) and not ended.
 * @entering: writes that read @eng and are still handing themselves to
 *            it; dmr_source_attach() waits for them when it takes an
 *            engine away, so that its owner may then wait for the engine's
 *            own work and free it.
 * The other fields are constant.
 */
struct dmr_source {
	struct list_head list;
	refcount_t ref;
	dev_t md_devt;
	sector_t begin;
	sector_t len;
	struct block_device *origin;
	char name[DM_NAME_LEN];
	char uuid[DM_UUID_LEN];
	unsigned int nr_targets;
	void *member;
	u32 split;

	spinlock_t lock;	/* protects held, held_bios, eng, written */
	/* Barriers holding its writes: groups may take points in time at once. */
	unsigned int held;
	bool written;
	struct bio_list held_bios;
	struct dmr_src_engine *eng;
	atomic_t inflight;
	atomic_t entering;
	wait_queue_head_t drained;
};

/* Per-bio data: whether the bio counts in @inflight. */
struct dmr_source_io {
	bool counted;
};

/* One target instance. */
struct replica_source {
	struct dm_dev *dev;
	struct dmr_source *src;
};

static LIST_HEAD(dmr_sources);

/* The groups' side (group.c); constant while the target is registered. */
static const struct dmr_source_watch_ops *dmr_source_watch;

void dmr_source_set_watch_ops(const struct dmr_source_watch_ops *ops)
{
	dmr_source_watch = ops;
}

struct dmr_source *dmr_source_find(dev_t md_devt)
{
	struct dmr_source *src;

	lockdep_assert_held(&dmr_lock);
	list_for_each_entry(src, &dmr_sources, list)
		if (src->md_devt == md_devt && !src->begin)
			return src;
	return NULL;
}

struct dmr_source *dmr_source_find_uuid(const char *uuid)
{
	struct dmr_source *src;

	lockdep_assert_held(&dmr_lock);
	if (!*uuid)
		return NULL;
	list_for_each_entry(src, &dmr_sources, list)
		if (!src->begin && !strcmp(src->uuid, uuid))
			return src;
	return NULL;
}

const char *dmr_source_on_bdev(struct block_device *bdev)
{
	struct dmr_source *src;

	lockdep_assert_held(&dmr_lock);
	list_for_each_entry(src, &dmr_sources, list)
		if (dmr_bdevs_overlap(src->origin, bdev))
			return src->name;
	return NULL;
}

unsigned int dmr_source_count(dev_t md_devt)
{
	struct dmr_source *src;
	unsigned int n = 0;

	lockdep_assert_held(&dmr_lock);
	list_for_each_entry(src, &dmr_sources, list)
		n += src->md_devt == md_devt;
	return n;
}

void dmr_source_get(struct dmr_source *src)
{
	refcount_inc(&src->ref);
}

void dmr_source_put(struct dmr_source *src)
{
	if (refcount_dec_and_test(&src->ref)) {
		WARN_ON(src->eng || !bio_list_empty(&src->held_bios));
		kfree(src);
	}
}

const char *dmr_source_name(struct dmr_source *src)
{
	return src->name;
}

const char *dmr_source_uuid(struct dmr_source *src)
{
	return src->uuid;
}

dev_t dmr_source_devt(struct dmr_source *src)
{
	return src->md_devt;
}

dev_t dmr_source_origin(struct dmr_source *src)
{
	return src->origin->bd_dev;
}

sector_t dmr_source_begin(struct dmr_source *src)
{
	return src->begin;
}

sector_t dmr_source_sectors(struct dmr_source *src)
{
	return src->len;
}

void *dmr_source_member(struct dmr_source *src)
{
	lockdep_assert_held(&dmr_lock);
	return src->member;
}

void dmr_source_set_member(struct dmr_source *src, void *member, u32 chunk_sectors)
{
	lockdep_assert_held(&dmr_lock);
	src->member = member;
	WRITE_ONCE(src->split, member ? chunk_sectors : 0);
}

/*
 * Decide for a write whose sector is already relative to the device:
 * hold it, hand it to the engine, or let it through. Any context.
 */
static int dmr_source_write(struct dmr_source *src, struct bio *bio)
{
	struct dmr_source_io *io = dm_per_bio_data(bio, sizeof(*io));
	struct dmr_src_engine *eng;
	unsigned long flags;

	spin_lock_irqsave(&src->lock, flags);
	if (src->held) {
		bio_list_add(&src->held_bios, bio);
		spin_unlock_irqrestore(&src->lock, flags);
		return DM_MAPIO_SUBMITTED;
	}
	eng = src->eng;
	if (!eng)
		src->written = true;
	else
		atomic_inc(&src->entering);
	atomic_inc(&src->inflight);
	io->counted = true;
	spin_unlock_irqrestore(&src->lock, flags);

	if (eng) {
		int r = dmr_engine_map_source(eng, bio);

		if (atomic_dec_and_test(&src->entering))
			wake_up(&src->drained);
		return r;
	}
	return DM_MAPIO_REMAPPED;
}

void dmr_source_hold(struct dmr_source *src)
{
	spin_lock_irq(&src->lock);
	src->held++;
	spin_unlock_irq(&src->lock);
}

long dmr_source_drain(struct dmr_source *src, unsigned long timeout)
{
	return wait_event_timeout(src->drained, !atomic_read(&src->inflight), timeout) ?: 0;
}

void dmr_source_attach(struct dmr_source *src, struct dmr_src_engine *eng)
{
	if (eng)
		dmr_engine_set_origin(eng, src->origin);
	spin_lock_irq(&src->lock);
	src->eng = eng;
	spin_unlock_irq(&src->lock);
	/* No I/O is waited for here: only the map calls in progress. */
	if (!eng)
		wait_event(src->drained, !atomic_read(&src->entering));
}

int dmr_source_attach_unwritten(struct dmr_source *src, struct dmr_src_engine *eng)
{
	int r = 0;

	dmr_engine_set_origin(eng, src->origin);
	spin_lock_irq(&src->lock);
	if (src->written)
		r = -EEXIST;
	else
		src->eng = eng;
	spin_unlock_irq(&src->lock);
	return r;
}

void dmr_source_release(struct dmr_source *src)
{
	struct bio_list held;
	struct bio *bio;

	spin_lock_irq(&src->lock);
	if (WARN_ON(!src->held) || --src->held) {
		/* Another barrier still holds the writes. */
		spin_unlock_irq(&src->lock);
		return;
	}
	held = src->held_bios;
	bio_list_init(&src->held_bios);
	spin_unlock_irq(&src->lock);

	while ((bio = bio_list_pop(&held))) {
		if (dmr_source_write(src, bio) == DM_MAPIO_REMAPPED) {
			bio_set_dev(bio, src->origin);
			submit_bio_noacct(bio);
		}
	}
}

/*
 * Find the state of this device and start sector, or make it. A reload
 * with another underlying device is refused while the source is in a
 * group. dmr_lock held.
 */
static struct dmr_source *dmr_source_get_or_create(struct dm_target *ti,
						   struct block_device *origin)
{
	struct mapped_device *md = dm_table_get_md(ti->table);
	dev_t devt = disk_devt(dm_disk(md));
	struct dmr_source *src;

	list_for_each_entry(src, &dmr_sources, list) {
		if (src->md_devt != devt || src->begin != ti->begin)
			continue;
		if (src->member && (src->origin != origin || src->len != ti->len)) {
			ti->error = "Source is in a group: its device and size cannot change";
			return ERR_PTR(-EBUSY);
		}
		src->origin = origin;
		src->len = ti->len;
		src->nr_targets++;
		dmr_source_get(src);
		return src;
	}

	src = kzalloc(sizeof(*src), GFP_KERNEL);
	if (!src) {
		ti->error = "Cannot allocate source state";
		return ERR_PTR(-ENOMEM);
	}
	refcount_set(&src->ref, 1);
	src->nr_targets = 1;
	src->md_devt = devt;
	src->begin = ti->begin;
	src->len = ti->len;
	src->origin = origin;
	/*
	 * The dm UUID is the identity a group records and matches on
	 * re-assembly; the name is for messages. Both are set before a
	 * table is loaded (dmsetup create --uuid).
	 */
	if (dm_copy_name_and_uuid(md, src->name, src->uuid))
		strscpy(src->name, dm_device_name(md), sizeof(src->name));
	spin_lock_init(&src->lock);
	bio_list_init(&src->held_bios);
	atomic_set(&src->inflight, 0);
	atomic_set(&src->entering, 0);
	init_waitqueue_head(&src->drained);
	list_add(&src->list, &dmr_sources);
	dmr_source_watch->added(src);
	return src;
}

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

	mutex_lock(&dmr_lock);
	/* Writes here would land in a loaded pool's metadata and copies. */
	if (dmr_pool_on_bdev(rs->dev->bdev)) {
		ti->error = "Device holds a loaded replica-pool: refusing it as a source";
		rs->src = ERR_PTR(-EBUSY);
	} else {
		rs->src = dmr_source_get_or_create(ti, rs->dev->bdev);
	}
	mutex_unlock(&dmr_lock);
	if (IS_ERR(rs->src)) {
		r = PTR_ERR(rs->src);
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
	ti->per_io_data_size = sizeof(struct dmr_source_io);
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
	struct dmr_source *src = rs->src;

	mutex_lock(&dmr_lock);
	if (!--src->nr_targets) {
		/* The device goes away: its group member loses its source. */
		list_del(&src->list);
		dmr_source_watch->removed(src);
	}
	mutex_unlock(&dmr_lock);
	dmr_source_put(src);
	dm_put_device(ti, rs->dev);
	kfree(rs);
}

static int source_map(struct dm_target *ti, struct bio *bio)
{
	struct replica_source *rs = ti->private;
	struct dmr_source_io *io = dm_per_bio_data(bio, sizeof(*io));
	int r = DM_MAPIO_REMAPPED;

	io->counted = false;
	/* An empty flush carries no sector to remap. */
	if (bio_sectors(bio))
		bio->bi_iter.bi_sector = dm_target_offset(ti, bio->bi_iter.bi_sector);
	if (op_is_write(bio_op(bio)) && bio_sectors(bio)) {
		u32 split = READ_ONCE(rs->src->split);

		if (split) {
			sector_t left = split - (bio->bi_iter.bi_sector & (split - 1));

			if (bio_sectors(bio) > left)
				dm_accept_partial_bio(bio, left);
		}
		r = dmr_source_write(rs->src, bio);
	}
	if (r == DM_MAPIO_REMAPPED)
		bio_set_dev(bio, rs->dev->bdev);
	return r;
}

static int source_end_io(struct dm_target *ti, struct bio *bio, blk_status_t *error)
{
	struct replica_source *rs = ti->private;
	struct dmr_source_io *io = dm_per_bio_data(bio, sizeof(*io));

	if (io->counted && atomic_dec_and_test(&rs->src->inflight))
		wake_up(&rs->src->drained);
	return DM_ENDIO_DONE;
}

/*
 * Status:
 *
 *   INFO:  <mode>
 *          <mode> is "passthrough" while no group uses the source, "cow"
 *          while a group's copy-on-write is attached to it.
 *   TABLE: <dev>
 *          the device as <major>:<minor>, which builds the same target.
 */
static void source_status(struct dm_target *ti, status_type_t type,
			  unsigned int status_flags, char *result,
			  unsigned int maxlen)
{
	struct replica_source *rs = ti->private;
	const char *mode = READ_ONCE(rs->src->eng) ? "cow" : "passthrough";
	unsigned int sz = 0;

	switch (type) {
	case STATUSTYPE_INFO:
		DMEMIT("%s", mode);
		break;
	case STATUSTYPE_TABLE:
		DMEMIT("%s", rs->dev->name);
		break;
	case STATUSTYPE_IMA:
		DMEMIT_TARGET_NAME_VERSION(ti->type);
		DMEMIT(",source_device_name=%s,mode=%s;", rs->dev->name, mode);
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
	.end_io = source_end_io,
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
