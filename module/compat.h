/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dm-replica: the differences between the kernels the module builds for
 * (Linux 6.1 and 6.12 at least), kept in one place. Everything else uses
 * dm and block APIs common to all of them.
 */
#ifndef DM_REPLICA_COMPAT_H
#define DM_REPLICA_COMPAT_H

#include <linux/blkdev.h>
#include <linux/file.h>
#include <linux/fs.h>

/*
 * The DMR_HAVE_* symbols are feature tests made by module/Kbuild against
 * the headers of the kernel being built for.
 */

/*
 * Since the block layer has max_user_discard_sectors (6.9), it derives
 * max_discard_sectors from max_hw_discard_sectors when it validates the
 * limits, so a stacking driver that wants discards off must clear the
 * hardware limit.
 */
static inline void dmr_limits_no_discard(struct queue_limits *limits)
{
#ifdef DMR_HAVE_MAX_USER_DISCARD
	limits->max_hw_discard_sectors = 0;
#endif
	limits->max_discard_sectors = 0;
}

/* Advertise discards of up to @sectors, in units of @sectors. */
static inline void dmr_limits_set_discard(struct queue_limits *limits, unsigned int sectors)
{
#ifdef DMR_HAVE_MAX_USER_DISCARD
	limits->max_hw_discard_sectors = sectors;
#endif
	limits->max_discard_sectors = sectors;
	limits->discard_granularity = sectors << SECTOR_SHIFT;
}

/*
 * A reference to a block device of the module's own, by number, so that
 * it stays open whatever happens to the dm table that named it. Opened
 * for read and write, not exclusively: the table that named the device
 * holds the exclusive claim. 6.9 replaced blkdev_get_by_dev() with
 * bdev_file_open_by_dev().
 */
struct dmr_bdev_ref {
	struct block_device *bdev;
#ifdef DMR_HAVE_BDEV_FILE
	struct file *file;
#endif
};

static inline int dmr_bdev_open(dev_t devt, struct dmr_bdev_ref *ref)
{
#ifdef DMR_HAVE_BDEV_FILE
	ref->file = bdev_file_open_by_dev(devt, BLK_OPEN_READ | BLK_OPEN_WRITE, NULL, NULL);
	if (IS_ERR(ref->file))
		return PTR_ERR(ref->file);
	ref->bdev = file_bdev(ref->file);
#else
	ref->bdev = blkdev_get_by_dev(devt, FMODE_READ | FMODE_WRITE, NULL);
	if (IS_ERR(ref->bdev))
		return PTR_ERR(ref->bdev);
#endif
	return 0;
}

static inline void dmr_bdev_close(struct dmr_bdev_ref *ref)
{
	if (!ref->bdev)
		return;
#ifdef DMR_HAVE_BDEV_FILE
	fput(ref->file);
#else
	blkdev_put(ref->bdev, FMODE_READ | FMODE_WRITE);
#endif
	ref->bdev = NULL;
}

/*
 * Open @devt for writing, exclusively, as @holder: -EBUSY while another
 * holder has it (mounted, or under another device). Since 6.5 a holder
 * alone makes an open exclusive.
 */
static inline int dmr_bdev_open_excl(dev_t devt, void *holder, struct dmr_bdev_ref *ref)
{
#ifdef DMR_HAVE_BDEV_FILE
	ref->file = bdev_file_open_by_dev(devt, BLK_OPEN_READ | BLK_OPEN_WRITE, holder, NULL);
	if (IS_ERR(ref->file))
		return PTR_ERR(ref->file);
	ref->bdev = file_bdev(ref->file);
#else
	ref->bdev = blkdev_get_by_dev(devt, FMODE_READ | FMODE_WRITE | FMODE_EXCL, holder);
	if (IS_ERR(ref->bdev))
		return PTR_ERR(ref->bdev);
#endif
	return 0;
}

static inline void dmr_bdev_close_excl(struct dmr_bdev_ref *ref)
{
	if (!ref->bdev)
		return;
#ifdef DMR_HAVE_BDEV_FPUT
	/* The claim goes now, not with a deferred fput() of a kworker. */
	bdev_fput(ref->file);
#elif defined(DMR_HAVE_BDEV_FILE)
	fput(ref->file);
#else
	blkdev_put(ref->bdev, FMODE_READ | FMODE_WRITE | FMODE_EXCL);
#endif
	ref->bdev = NULL;
}

/* How many opens of @bdev there are, ours included. */
static inline int dmr_bdev_openers(struct block_device *bdev)
{
	return atomic_read(&bdev->bd_openers);
}

#endif /* DM_REPLICA_COMPAT_H */
