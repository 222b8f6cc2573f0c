// SPDX-License-Identifier: GPL-2.0
/*
 * dm-replica: the control device.
 *
 * /dev/dm-replica takes the ioctls of uapi/linux/dm-replica.h. Each
 * request is copied in whole with copy_struct_from_user(), checked,
 * handled, and copied back; the caller always learns the SMI-S result and
 * a message naming the field at fault once its header could be read.
 *
 * The handlers keep no state of their own between calls, so the control
 * device needs no lock; what a handler touches is protected by the lock of
 * the object it touches.
 */
#include <kunit/visibility.h>
#include <linux/device-mapper.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <uapi/linux/dm-replica.h>

#include "control.h"
#include "dm-replica.h"

/*
 * Largest request the kernel reads. A newer caller's struct may be larger
 * than the kernel's (its tail must then be zero), but never this large.
 */
#define DMR_MAX_REQUEST_SIZE	PAGE_SIZE

/*
 * Record the answer to a request: the SMI-S @result and a message for the
 * caller, also logged at debug level for the administrator.
 */
VISIBLE_IF_KUNIT __printf(3, 4)
void dmr_reply(struct dm_replica_hdr *hdr, u32 result, const char *fmt, ...)
{
	va_list args;

	hdr->result = result;
	va_start(args, fmt);
	vsnprintf(hdr->message, sizeof(hdr->message), fmt, args);
	va_end(args);
	if (result != DM_REPLICA_RET_OK && result != DM_REPLICA_RET_JOB_STARTED)
		DMDEBUG("control: result %u: %s", result, hdr->message);
}
EXPORT_SYMBOL_IF_KUNIT(dmr_reply);

/* The errno that the ioctl returns along with an SMI-S result. */
VISIBLE_IF_KUNIT int dmr_result_errno(u32 result)
{
	switch (result) {
	case DM_REPLICA_RET_OK:
	case DM_REPLICA_RET_JOB_STARTED:
		return 0;
	case DM_REPLICA_RET_NOT_SUPPORTED:
		return -EOPNOTSUPP;
	case DM_REPLICA_RET_TIMEOUT:
		return -ETIMEDOUT;
	case DM_REPLICA_RET_INVALID_PARAM:
		return -EINVAL;
	case DM_REPLICA_RET_IN_USE:
		return -EBUSY;
	default:
		return -EIO;
	}
}
EXPORT_SYMBOL_IF_KUNIT(dmr_result_errno);

/*
 * Check the common header. @result and @message are outputs: whatever the
 * caller left there is cleared, not checked.
 */
VISIBLE_IF_KUNIT int dmr_check_hdr(struct dm_replica_hdr *hdr)
{
	hdr->result = DM_REPLICA_RET_OK;
	memset(hdr->message, 0, sizeof(hdr->message));

	if (hdr->flags) {
		dmr_reply(hdr, DM_REPLICA_RET_INVALID_PARAM,
			  "hdr.flags: unknown flags 0x%x, must be zero", hdr->flags);
		return -EINVAL;
	}
	if (hdr->reserved) {
		dmr_reply(hdr, DM_REPLICA_RET_INVALID_PARAM,
			  "hdr.reserved: must be zero");
		return -EINVAL;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(dmr_check_hdr);

/* DM_REPLICA_IOC_VERSION */
VISIBLE_IF_KUNIT int dmr_cmd_version(struct dm_replica_hdr *hdr)
{
	struct dm_replica_version *v = container_of(hdr, struct dm_replica_version, hdr);
	unsigned int i;

	if (v->pad) {
		dmr_reply(hdr, DM_REPLICA_RET_INVALID_PARAM, "pad: must be zero");
		return -EINVAL;
	}
	for (i = 0; i < ARRAY_SIZE(v->reserved); i++) {
		if (v->reserved[i]) {
			dmr_reply(hdr, DM_REPLICA_RET_INVALID_PARAM,
				  "reserved[%u]: must be zero", i);
			return -EINVAL;
		}
	}

	v->major = DM_REPLICA_VERSION_MAJOR;
	v->minor = DM_REPLICA_VERSION_MINOR;
	v->patch = DM_REPLICA_VERSION_PATCH;
	v->features = dmr_features();
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(dmr_cmd_version);

/*
 * struct dmr_cmd - one control command
 * @nr:       the command number (DM_REPLICA_CMD_*).
 * @size:     sizeof() the request struct as this kernel knows it.
 * @min_size: the smallest @size an older caller may pass: the size of the
 *            struct when the command was introduced.
 * @fn:       the handler; returns 0 or a negative errno and has set
 *            hdr->result and hdr->message in either case.
 */
struct dmr_cmd {
	unsigned int nr;
	size_t size;
	size_t min_size;
	int (*fn)(struct dm_replica_hdr *hdr);
};

static const struct dmr_cmd dmr_cmds[] = {
	{ DM_REPLICA_CMD_VERSION, sizeof(struct dm_replica_version),
	  sizeof(struct dm_replica_version), dmr_cmd_version },
};

static const struct dmr_cmd *dmr_find_cmd(unsigned int cmd)
{
	unsigned int i;

	if (_IOC_TYPE(cmd) != DM_REPLICA_IOC_MAGIC ||
	    _IOC_DIR(cmd) != (_IOC_READ | _IOC_WRITE))
		return NULL;

	for (i = 0; i < ARRAY_SIZE(dmr_cmds); i++)
		if (dmr_cmds[i].nr == _IOC_NR(cmd))
			return &dmr_cmds[i];
	return NULL;
}

static long dmr_ctl_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct dm_replica_hdr __user *uhdr = (void __user *)arg;
	const struct dmr_cmd *c;
	struct dm_replica_hdr *hdr;
	u32 usize;
	int r;

	c = dmr_find_cmd(cmd);
	if (!c)
		return -ENOTTY;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;

	if (get_user(usize, &uhdr->size))
		return -EFAULT;
	/* Too small to carry even the answer: nothing can be written back. */
	if (usize < sizeof(*hdr))
		return -EINVAL;
	if (usize > DMR_MAX_REQUEST_SIZE)
		return -E2BIG;

	hdr = kzalloc(c->size, GFP_KERNEL);
	if (!hdr)
		return -ENOMEM;

	r = copy_struct_from_user(hdr, c->size, uhdr, usize);
	if (r == -E2BIG) {
		/*
		 * A newer caller asked for something this kernel does not
		 * know. Answer in the header alone and leave the rest of
		 * the caller's struct untouched.
		 */
		if (copy_from_user(hdr, uhdr, sizeof(*hdr))) {
			r = -EFAULT;
			goto out;
		}
		dmr_check_hdr(hdr);
		dmr_reply(hdr, DM_REPLICA_RET_INVALID_PARAM,
			  "hdr.size: %u bytes, and those past the %zu this kernel knows are not zero",
			  usize, c->size);
		if (copy_to_user(uhdr, hdr, sizeof(*hdr)))
			r = -EFAULT;
		goto out;
	}
	if (r)
		goto out;

	if (usize < c->min_size) {
		r = -EINVAL;
		dmr_check_hdr(hdr);
		dmr_reply(hdr, DM_REPLICA_RET_INVALID_PARAM,
			  "hdr.size: %u bytes, this command needs at least %zu",
			  usize, c->min_size);
	} else {
		r = dmr_check_hdr(hdr);
		if (!r)
			r = c->fn(hdr);
		/* A handler that failed has said why. */
		WARN_ON_ONCE(r && hdr->result == DM_REPLICA_RET_OK);
		r = r ?: dmr_result_errno(hdr->result);
	}

	/* Write back as much as the caller knows of. */
	if (copy_to_user(uhdr, hdr, min_t(size_t, usize, c->size)))
		r = -EFAULT;
out:
	kfree(hdr);
	return r;
}

static const struct file_operations dmr_ctl_fops = {
	.owner = THIS_MODULE,
	.open = nonseekable_open,
	.unlocked_ioctl = dmr_ctl_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice dmr_ctl_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = DM_REPLICA_CONTROL_NAME,
	.nodename = DM_REPLICA_CONTROL_NAME,
	.mode = 0600,
	.fops = &dmr_ctl_fops,
};

int dmr_control_init(void)
{
	int r = misc_register(&dmr_ctl_misc);

	if (r)
		DMERR("cannot register the control device: %d", r);
	return r;
}

void dmr_control_exit(void)
{
	misc_deregister(&dmr_ctl_misc);
}
