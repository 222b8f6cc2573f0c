// SPDX-License-Identifier: GPL-2.0
/*
 * dm-replica: the replica-pool target and the pool object.
 *
 * The pool object belongs to the device, not to a table: it is found by
 * the device number of the pool's underlying device, shared by successive
 * tables of the pool's dm device, and kept alive by the groups that draw
 * from it even when no table shows it. It holds its own reference to the
 * underlying device for that reason.
 */
#include <linux/device-mapper.h>
#include <linux/dm-kcopyd.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/stringify.h>

#include <uapi/linux/dm-replica.h>

#include "alloc.h"
#include "compat.h"
#include "dm-replica.h"
#include "metadata.h"
#include "pool.h"
#include "source.h"

/*
 * A pool device being formatted or opened: that reads and writes the
 * device, so it is done without dmr_lock (a stalled device must not hold
 * up every other pool, group and control command). Meanwhile the device
 * is listed here, and another table for it, or a replica-source on it,
 * is refused; the same while a pool's last reference is gone and it
 * is being closed (its last commits written). On the stack of the
 * constructor, or in the pool; the list is dmr_lock's.
 */
struct dmr_pool_opening {
	struct list_head list;
	struct block_device *bdev;
};

/*
 * struct dmr_pool - one pool
 * @list:       in dmr_pools; dmr_lock.
 * @ref:        tables and groups using it; dmr_lock.
 * @md_devt:    the dm device showing it, 0 when none; dmr_lock.
 * @nr_targets: table instances showing it; dmr_lock.
 * The rest is constant while the pool exists.
 */
struct dmr_pool {
	struct list_head list;
	unsigned int ref;
	dev_t md_devt;
	unsigned int nr_targets;
	struct dmr_bdev_ref bdev;
	struct dmr_md *md;
	struct dmr_alloc alloc;
	struct dm_kcopyd_client *kc;
	u32 chunk_sectors;
	sector_t data_start;
	atomic_t epoch;		/* the newest epoch given (see cow.h) */
	struct dmr_pool_opening closing;	/* once the last reference is gone */
};

/* One table instance. */
struct pool_target {
	struct dm_dev *dev;
	struct dmr_pool *pool;
};

static LIST_HEAD(dmr_pools);
static LIST_HEAD(dmr_pools_opening);

/* The groups' side (group.c); constant while the target is registered. */
static const struct dmr_pool_user_ops *dmr_pool_users;

void dmr_pool_set_user_ops(const struct dmr_pool_user_ops *ops)
{
	dmr_pool_users = ops;
}

struct dmr_pool *dmr_pool_find(dev_t md_devt)
{
	struct dmr_pool *pool;

	lockdep_assert_held(&dmr_lock);
	list_for_each_entry(pool, &dmr_pools, list)
		if (pool->md_devt == md_devt)
			return pool;
	return NULL;
}

void dmr_pool_get_ref(struct dmr_pool *pool)
{
	lockdep_assert_held(&dmr_lock);
	pool->ref++;
}

/*
 * Close a pool nobody uses: its last commits are written first. Without
 * dmr_lock (it waits on the device); a pool that was listed is on
 * dmr_pools_opening until its device is closed.
 */
static void dmr_pool_destroy(struct dmr_pool *pool)
{
	if (pool->md)
		dmr_md_flush_commits(pool->md);
	if (pool->kc)
		dm_kcopyd_client_destroy(pool->kc);
	dmr_md_close(pool->md);
	dmr_alloc_exit(&pool->alloc);
	/* Unlisted before its device is closed: the list's users read it. */
	if (pool->closing.bdev) {
		mutex_lock(&dmr_lock);
		list_del(&pool->closing.list);
		mutex_unlock(&dmr_lock);
	}
	dmr_bdev_close(&pool->bdev);
	kfree(pool);
}

struct dmr_pool *dmr_pool_put(struct dmr_pool *pool)
{
	lockdep_assert_held(&dmr_lock);
	if (--pool->ref)
		return NULL;
	list_del(&pool->list);
	pool->closing.bdev = pool->bdev.bdev;
	list_add(&pool->closing.list, &dmr_pools_opening);
	return pool;
}

void dmr_pool_free(struct dmr_pool *pool)
{
	if (!pool)
		return;
	dmr_pool_destroy(pool);
}

dev_t dmr_pool_devt(struct dmr_pool *pool)
{
	return pool->md_devt;
}

struct dmr_md *dmr_pool_md(struct dmr_pool *pool)
{
	return pool->md;
}

struct block_device *dmr_pool_bdev(struct dmr_pool *pool)
{
	return pool->bdev.bdev;
}

struct dm_kcopyd_client *dmr_pool_kcopyd(struct dmr_pool *pool)
{
	return pool->kc;
}

u32 dmr_pool_chunk_sectors(struct dmr_pool *pool)
{
	return pool->chunk_sectors;
}

sector_t dmr_pool_chunk_sector(struct dmr_pool *pool, u64 chunk)
{
	return pool->data_start + chunk * pool->chunk_sectors;
}

void dmr_pool_usage(struct dmr_pool *pool, u64 *used, u64 *total)
{
	dmr_alloc_usage(&pool->alloc, used, total);
}

u64 dmr_pool_spare(struct dmr_pool *pool)
{
	u64 used, total;

	dmr_alloc_usage(&pool->alloc, &used, &total);
	return clamp_t(u64, total / 32, 1, 1024);
}

int dmr_pool_alloc_chunk(struct dmr_pool *pool, u64 *chunk)
{
	int r = dmr_alloc_get(&pool->alloc, chunk);

	if (r)
		return r;
	r = dmr_md_reserve(pool->md, *chunk);
	if (r)
		dmr_alloc_put(&pool->alloc, *chunk);
	return r;
}

void dmr_pool_free_chunk(struct dmr_pool *pool, u64 chunk)
{
	dmr_md_unreserve(pool->md, chunk);
	dmr_alloc_put(&pool->alloc, chunk);
}

int dmr_pool_mark_chunk(struct dmr_pool *pool, u64 chunk)
{
	int r = dmr_alloc_mark(&pool->alloc, chunk);

	if (r)
		return r;
	r = dmr_md_reserve(pool->md, chunk);
	if (r)
		dmr_alloc_put(&pool->alloc, chunk);
	return r;
}

u32 dmr_pool_new_epoch(struct dmr_pool *pool)
{
	return atomic_inc_return(&pool->epoch);
}

void dmr_pool_seen_epoch(struct dmr_pool *pool, u32 epoch)
{
	lockdep_assert_held(&dmr_lock);
	if ((u32)atomic_read(&pool->epoch) < epoch)
		atomic_set(&pool->epoch, epoch);
}

bool dmr_pool_failed(struct dmr_pool *pool)
{
	return dmr_md_failed(pool->md);
}

bool dmr_bdevs_overlap(struct block_device *a, struct block_device *b)
{
	sector_t a_start = a->bd_start_sect, b_start = b->bd_start_sect;

	return bdev_whole(a) == bdev_whole(b) &&
	       a_start < b_start + bdev_nr_sectors(b) &&
	       b_start < a_start + bdev_nr_sectors(a);
}

static bool dmr_pool_opening(struct block_device *bdev)
{
	struct dmr_pool_opening *o;

	lockdep_assert_held(&dmr_lock);
	list_for_each_entry(o, &dmr_pools_opening, list)
		if (dmr_bdevs_overlap(o->bdev, bdev))
			return true;
	return false;
}

bool dmr_pool_on_bdev(struct block_device *bdev)
{
	struct dmr_pool *pool;

	lockdep_assert_held(&dmr_lock);
	list_for_each_entry(pool, &dmr_pools, list)
		if (dmr_bdevs_overlap(pool->bdev.bdev, bdev))
			return true;
	return dmr_pool_opening(bdev);
}

bool dmr_pool_uses_dev(struct dmr_pool *pool, dev_t devt)
{
	lockdep_assert_held(&dmr_lock);
	return devt == pool->bdev.bdev->bd_dev || (pool->md_devt && devt == pool->md_devt);
}

/*
 * Does anyone but the table being built hold @bdev? A mounted filesystem,
 * md or bcache claims the device with a holder of its own, and then our
 * dm_get_device() has already failed. But dm claims every device of every
 * table with one and the same holder pointer, so another dm device over
 * @bdev (a replica-source, a linear, ...) does not make our claim fail.
 * Which disks hold @bdev is kept in struct bd_holder_disk, private to
 * block/holder.c (and on 6.1 listed from the holding disk, not from
 * @bdev), so count claims instead: bd_finish_claiming() adds one to
 * bd_holders of a partition and two to that of a whole disk (it counts the
 * whole and the part, which are the same), on 6.1 as on 6.12. A mapped
 * device opens a device once for all its tables (per mode), so the table
 * being built counts once. A whole disk and its partitions cannot be
 * claimed by different holders at once (bd_may_claim()), and dm's claim of
 * one excludes everyone else's of the other, so @bdev's own count is
 * enough. bd_holders is read without bdev_lock, private to the block
 * layer: a claim made at this very moment may be missed, as mkfs's own
 * check can miss one.
 */
static bool dmr_bdev_held_by_others(struct block_device *bdev)
{
	int ours = bdev_is_partition(bdev) ? 1 : 2;

	return READ_ONCE(bdev->bd_holders) > ours;
}

/*
 * Open the pool on @dev: its metadata (read whole and checked), allocator
 * and copy client. Not listed yet; no lock held (it waits on the device).
 */
static struct dmr_pool *dmr_pool_open(struct block_device *bdev, char **error)
{
	const struct dmr_geometry *geo;
	struct dmr_pool *pool;
	int r;

	pool = kzalloc(sizeof(*pool), GFP_KERNEL);
	if (!pool) {
		*error = "Cannot allocate the pool";
		return ERR_PTR(-ENOMEM);
	}
	pool->ref = 1;
	INIT_LIST_HEAD(&pool->list);

	r = dmr_bdev_open(bdev->bd_dev, &pool->bdev);
	if (r) {
		*error = "Cannot open the pool device";
		goto bad;
	}
	pool->md = dmr_md_open(pool->bdev.bdev, error);
	if (IS_ERR(pool->md)) {
		r = PTR_ERR(pool->md);
		pool->md = NULL;
		goto bad;
	}
	geo = dmr_md_geo(pool->md);
	pool->chunk_sectors = geo->chunk_sectors;
	pool->data_start = geo->data_start;
	r = dmr_alloc_init(&pool->alloc, geo->nr_chunks);
	if (r) {
		*error = "Cannot allocate the chunk allocator";
		goto bad;
	}
	pool->kc = dm_kcopyd_client_create(NULL);
	if (IS_ERR(pool->kc)) {
		r = PTR_ERR(pool->kc);
		pool->kc = NULL;
		*error = "Cannot create a copy engine client";
		goto bad;
	}
	return pool;

bad:
	dmr_pool_destroy(pool);
	return ERR_PTR(r);
}

/*
 * List an opened pool and load its groups. dmr_lock held. On failure,
 * *@gone is the pool for dmr_pool_free() once dmr_lock is dropped.
 */
static int dmr_pool_add(struct dmr_pool *pool, struct dmr_pool **gone, char **error)
{
	int r;

	lockdep_assert_held(&dmr_lock);
	list_add(&pool->list, &dmr_pools);
	r = dmr_pool_users->load(pool, error);
	if (r)
		/* Groups loaded so far hold references: drop ours last. */
		*gone = dmr_pool_put(pool);
	return r;
}

/*
 * The optional arguments of pool_ctr(): "format <chunk_sectors>" and
 * "groups <N>", each at most once, "groups" only with "format". Sets
 * *@chunk_sectors (0 when not formatting) and *@groups.
 */
static int pool_parse_opts(struct dm_arg_set *as, unsigned int *chunk_sectors,
			   unsigned int *groups, char **error)
{
	static const struct dm_arg _args[] = {
		{0, 4, "Invalid number of optional arguments"},
		{1, DMR_MAX_GROUPS_LIMIT,
		 "Invalid groups: the number of group slots must be from 1 to "
		 __stringify(DMR_MAX_GROUPS_LIMIT)},
	};
	bool format = false, have_groups = false;
	unsigned int nr_opt;
	const char *arg;
	int r;

	*chunk_sectors = 0;
	*groups = DMR_DEFAULT_GROUPS;
	if (!as->argc)
		return 0;
	r = dm_read_arg_group(_args, as, &nr_opt, error);
	if (r)
		return r;
	while (nr_opt--) {
		arg = dm_shift_arg(as);
		if (strcasecmp(arg, "format") && strcasecmp(arg, "groups")) {
			*error = "Expected optional arguments: format <chunk_sectors> [groups <N>]";
			return -EINVAL;
		}
		if (!nr_opt--) {
			*error = "Optional argument without its value (format, groups)";
			return -EINVAL;
		}
		if (!strcasecmp(arg, "groups")) {
			if (have_groups) {
				*error = "Optional argument given twice: groups";
				return -EINVAL;
			}
			have_groups = true;
			r = dm_read_arg(&_args[1], as, groups, error);
			if (r)
				return r;
			continue;
		}
		if (format) {
			*error = "Optional argument given twice: format";
			return -EINVAL;
		}
		format = true;
		/* "format 0" would read as no format at all. */
		if (kstrtouint(dm_shift_arg(as), 10, chunk_sectors) || !*chunk_sectors) {
			*error = "Chunk size must be a power of two from 8 to 2048 sectors";
			return -EINVAL;
		}
	}
	if (have_groups && !format) {
		*error = "Invalid groups: only a format (format <chunk_sectors>) sets them";
		return -EINVAL;
	}
	return 0;
}

/*
 * Construct a replica-pool mapping:
 *
 *   replica-pool <dev_path> [<#opt_args> [format <chunk_sectors>] [groups <N>]]
 *
 * <dev_path>:      the device holding the pool's metadata and data.
 * format <chunk_sectors>:
 *                  format a blank device as a pool with chunks of
 *                  <chunk_sectors> (a power of two, 8 to 2048). Blank: every
 *                  byte the format writes (up to the first data chunk) is
 *                  zero, and no other device holds it. Without it, the
 *                  device must hold a pool.
 * groups <N>:      with format: the pool's group slots, the most groups
 *                  it can hold (1 to DMR_MAX_GROUPS_LIMIT; default
 *                  DMR_DEFAULT_GROUPS). Each costs 64 KiB of metadata.
 *
 * The device of a live replica-source is refused either way: the source
 * would write into the pool's metadata (and source.c refuses the converse).
 */
static int pool_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	dev_t md_devt = disk_devt(dm_disk(dm_table_get_md(ti->table)));
	struct dm_arg_set as = { .argc = argc, .argv = argv };
	struct dmr_pool_opening opening;
	struct dmr_pool *gone = NULL;
	unsigned int chunk_sectors, groups;
	struct pool_target *pt;
	const char *name;
	int r;

	if (argc < 1) {
		ti->error = "Invalid argument count: expected <dev_path> [<#opt_args> ...]";
		return -EINVAL;
	}
	dm_consume_args(&as, 1);
	r = pool_parse_opts(&as, &chunk_sectors, &groups, &ti->error);
	if (r)
		return r;
	if (as.argc) {
		ti->error = "Too many arguments";
		return -EINVAL;
	}

	pt = kzalloc(sizeof(*pt), GFP_KERNEL);
	if (!pt) {
		ti->error = "Cannot allocate context";
		return -ENOMEM;
	}
	r = dm_get_device(ti, argv[0], dm_table_get_mode(ti->table), &pt->dev);
	if (r) {
		ti->error = "Pool device lookup failed";
		goto bad_dev;
	}

	mutex_lock(&dmr_lock);
	list_for_each_entry(pt->pool, &dmr_pools, list)
		if (pt->pool->bdev.bdev->bd_dev == pt->dev->bdev->bd_dev)
			goto found;
	if (dmr_pool_opening(pt->dev->bdev)) {
		ti->error = "Device is being opened or closed as a pool by another table";
		r = -EBUSY;
		goto bad_locked;
	}

	/* A live replica-source writes there: neither open nor format it. */
	name = dmr_source_on_bdev(pt->dev->bdev);
	if (name) {
		DMERR("%pg is the device of replica-source %s: refusing it as a pool",
		      pt->dev->bdev, name);
		ti->error = "Device is in use by a replica-source: refusing it as a pool";
		r = -EBUSY;
		goto bad_locked;
	}
	if (chunk_sectors && dmr_bdev_held_by_others(pt->dev->bdev)) {
		DMERR("%pg is held by another device (sysfs holders/): refusing to format it",
		      pt->dev->bdev);
		ti->error = "Device is in use by another device: refusing to format it as a pool";
		r = -EBUSY;
		goto bad_locked;
	}
	opening.bdev = pt->dev->bdev;
	list_add(&opening.list, &dmr_pools_opening);
	mutex_unlock(&dmr_lock);

	r = 0;
	if (chunk_sectors)
		r = dmr_md_format(pt->dev->bdev, chunk_sectors, groups, &ti->error);
	if (!r) {
		pt->pool = dmr_pool_open(pt->dev->bdev, &ti->error);
		if (IS_ERR(pt->pool))
			r = PTR_ERR(pt->pool);
	}

	mutex_lock(&dmr_lock);
	list_del(&opening.list);
	if (!r)
		r = dmr_pool_add(pt->pool, &gone, &ti->error);
	if (r)
		goto bad_locked;
	goto opened;
found:
	if (chunk_sectors) {
		ti->error = "Device already holds a pool: refusing to format it";
		r = -EEXIST;
		goto bad_locked;
	}
	dmr_pool_get_ref(pt->pool);
opened:
	if (pt->pool->md_devt && pt->pool->md_devt != md_devt) {
		ti->error = "Pool is already shown by another dm device";
		gone = dmr_pool_put(pt->pool);
		r = -EBUSY;
		goto bad_locked;
	}
	pt->pool->md_devt = md_devt;
	pt->pool->nr_targets++;
	mutex_unlock(&dmr_lock);

	ti->private = pt;
	ti->num_flush_bios = 1;
	return 0;

bad_locked:
	mutex_unlock(&dmr_lock);
	dmr_pool_free(gone);
	dm_put_device(ti, pt->dev);
bad_dev:
	kfree(pt);
	return r;
}

static void pool_dtr(struct dm_target *ti)
{
	struct pool_target *pt = ti->private;

	struct dmr_pool *gone;

	mutex_lock(&dmr_lock);
	if (!--pt->pool->nr_targets)
		pt->pool->md_devt = 0;
	gone = dmr_pool_put(pt->pool);
	mutex_unlock(&dmr_lock);
	dmr_pool_free(gone);
	dm_put_device(ti, pt->dev);
	kfree(pt);
}

/*
 * The pool's dm device shows the pool device for reading (so that tools
 * can look at it); writes would destroy metadata and copies, and fail.
 */
static int pool_map(struct dm_target *ti, struct bio *bio)
{
	struct pool_target *pt = ti->private;

	if (op_is_write(bio_op(bio)) && bio_sectors(bio))
		return DM_MAPIO_KILL;
	bio_set_dev(bio, pt->dev->bdev);
	if (bio_sectors(bio))
		bio->bi_iter.bi_sector = dm_target_offset(ti, bio->bi_iter.bi_sector);
	return DM_MAPIO_REMAPPED;
}

/*
 * Status:
 *
 *   INFO:  <chunk_sectors> <used_chunks>/<total_chunks> <nr_groups> <health>
 *          <max_groups>
 *          <health> is "ok", "full" when every chunk is used, or "failed"
 *          when a metadata write failed. <max_groups> is the number of
 *          group slots the pool was formatted with (last, so that readers
 *          of the older five fields still parse it).
 *   TABLE: <dev>
 */
static void pool_status(struct dm_target *ti, status_type_t type,
			unsigned int status_flags, char *result, unsigned int maxlen)
{
	struct pool_target *pt = ti->private;
	struct dmr_pool *pool = pt->pool;
	unsigned int sz = 0, groups;
	u64 used, total, held, blocks;
	const char *health;

	switch (type) {
	case STATUSTYPE_INFO:
		dmr_pool_usage(pool, &used, &total);
		mutex_lock(&dmr_lock);
		groups = dmr_pool_users->count(pool);
		mutex_unlock(&dmr_lock);
		health = dmr_pool_failed(pool) ? "failed" : used == total ? "full" : "ok";
		dmr_md_usage(pool->md, &held, &blocks);
		DMEMIT("%u %llu/%llu %u %s %u %llu/%llu", pool->chunk_sectors, used, total, groups,
		       health, dmr_md_geo(pool->md)->max_groups, held, blocks);
		break;
	case STATUSTYPE_TABLE:
		DMEMIT("%s", pt->dev->name);
		break;
	case STATUSTYPE_IMA:
		DMEMIT_TARGET_NAME_VERSION(ti->type);
		DMEMIT(",pool_device_name=%s,chunk_sectors=%u,max_groups=%u;", pt->dev->name,
		       pool->chunk_sectors, dmr_md_geo(pool->md)->max_groups);
		break;
	}
}

static int pool_iterate_devices(struct dm_target *ti, iterate_devices_callout_fn fn,
				void *data)
{
	struct pool_target *pt = ti->private;

	return fn(ti, pt->dev, 0, ti->len, data);
}

static struct target_type pool_target = {
	.name = DM_REPLICA_TARGET_POOL,
	.version = {DM_REPLICA_VERSION_MAJOR, DM_REPLICA_VERSION_MINOR,
		    DM_REPLICA_VERSION_PATCH},
	.module = THIS_MODULE,
	.ctr = pool_ctr,
	.dtr = pool_dtr,
	.map = pool_map,
	.status = pool_status,
	.iterate_devices = pool_iterate_devices,
};

int dmr_pool_init(void)
{
	int r = dm_register_target(&pool_target);

	if (r)
		DMERR("register of %s target failed: %d", pool_target.name, r);
	return r;
}

void dmr_pool_exit(void)
{
	dm_unregister_target(&pool_target);
}
