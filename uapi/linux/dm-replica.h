/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * dm-replica control interface.
 *
 * The control device (/dev/dm-replica) takes ioctls whose argument is one
 * of the structs below. Every struct starts with a struct dm_replica_hdr;
 * its @size field, not the size encoded in the ioctl number, says how much
 * of the struct the caller knows about, so that an older or newer
 * replicactl keeps working with this module:
 *
 *  - a caller built against an older header passes a smaller @size; the
 *    fields it does not know are taken as zero;
 *  - a caller built against a newer header passes a larger @size; the
 *    kernel accepts it only if every byte past what it knows is zero.
 *
 * Rules of this ABI:
 *  - commands and fields are only ever appended, never renumbered;
 *  - fields marked "in: must be zero" are rejected with EINVAL when not
 *    zero, so that they can be given a meaning later;
 *  - padding is explicit and must be zero;
 *  - user pointers are carried in __u64 fields;
 *  - results follow the SMI-S replication service (see DM_REPLICA_RET_*):
 *    when the kernel could read the header, it writes back @result and a
 *    NUL-terminated @message that names the offending field, and the
 *    ioctl returns a negative errno matching the result.
 */
#ifndef _UAPI_LINUX_DM_REPLICA_H
#define _UAPI_LINUX_DM_REPLICA_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

/*
 * ABI version. The major number changes only if an existing command or
 * field changes meaning, which this ABI promises never to do; the minor
 * number grows with each appended command, field or feature bit; the patch
 * number marks fixes that do not change the interface.
 */
#define DM_REPLICA_VERSION_MAJOR	1
#define DM_REPLICA_VERSION_MINOR	0
#define DM_REPLICA_VERSION_PATCH	0

/* Name of the misc device, as it appears under /dev. */
#define DM_REPLICA_CONTROL_NAME		"dm-replica"

/* Names of the device-mapper targets. */
#define DM_REPLICA_TARGET_SOURCE	"replica-source"

/* Length of dm_replica_hdr.message, including the terminating NUL. */
#define DM_REPLICA_MESSAGE_LEN		128

/*
 * Return values of the SMI-S replication service methods, as carried in
 * dm_replica_hdr.result.
 */
#define DM_REPLICA_RET_OK		0	/* Completed with No Error */
#define DM_REPLICA_RET_NOT_SUPPORTED	1	/* Not Supported */
#define DM_REPLICA_RET_UNKNOWN		2	/* Unknown */
#define DM_REPLICA_RET_TIMEOUT		3	/* Timeout */
#define DM_REPLICA_RET_FAILED		4	/* Failed */
#define DM_REPLICA_RET_INVALID_PARAM	5	/* Invalid Parameter */
#define DM_REPLICA_RET_IN_USE		6	/* In Use */
#define DM_REPLICA_RET_JOB_STARTED	4096	/* Method Parameters Checked - Job Started */

/**
 * struct dm_replica_hdr - common head of every control request
 * @size:	in: sizeof() the whole request struct as the caller knows it.
 * @flags:	in: must be zero; no flags are defined yet.
 * @result:	out: the SMI-S return value (DM_REPLICA_RET_*).
 * @reserved:	in: must be zero.
 * @message:	out: NUL-terminated explanation when @result is not
 *		DM_REPLICA_RET_OK; names the field or device at fault.
 */
struct dm_replica_hdr {
	__u32 size;
	__u32 flags;
	__u32 result;
	__u32 reserved;
	char message[DM_REPLICA_MESSAGE_LEN];
};

/*
 * Feature bits reported by DM_REPLICA_IOC_VERSION, one per capability the
 * loaded module has. A caller tests a bit before it relies on the feature.
 */
/* The replica-source target is available (pass-through over a device). */
#define DM_REPLICA_FEAT_SOURCE_TARGET	_BITULL(0)

/**
 * struct dm_replica_version - DM_REPLICA_IOC_VERSION
 * @hdr:	common header.
 * @major:	out: DM_REPLICA_VERSION_MAJOR of the module.
 * @minor:	out: DM_REPLICA_VERSION_MINOR of the module.
 * @patch:	out: DM_REPLICA_VERSION_PATCH of the module.
 * @pad:	in: must be zero.
 * @features:	out: DM_REPLICA_FEAT_* bits.
 * @reserved:	in: must be zero.
 */
struct dm_replica_version {
	struct dm_replica_hdr hdr;
	__u32 major;
	__u32 minor;
	__u32 patch;
	__u32 pad;
	__u64 features;
	__u64 reserved[4];
};

/* Ioctl type byte of the control device. */
#define DM_REPLICA_IOC_MAGIC		0xDC

/* Command numbers, append only. */
enum {
	DM_REPLICA_CMD_VERSION = 0,
};

#define DM_REPLICA_IOC_VERSION \
	_IOWR(DM_REPLICA_IOC_MAGIC, DM_REPLICA_CMD_VERSION, struct dm_replica_version)

#endif /* _UAPI_LINUX_DM_REPLICA_H */
