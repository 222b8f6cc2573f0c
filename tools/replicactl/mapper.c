// SPDX-License-Identifier: GPL-2.0
/*
 * replicactl: dm devices through libdevmapper.
 *
 * Devices are created and removed with a udev cookie, as dmsetup does, so
 * that /dev/mapper/<name> exists (or is gone) when a call returns. Where
 * no udev runs (DM_DISABLE_UDEV set, as in a minimal initramfs),
 * libdevmapper makes the nodes itself, and dm_udev_wait() is where it does.
 */
#include <errno.h>
#include <libdevmapper.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replicactl.h"

void mapper_setup(void)
{
	if (getenv("DM_DISABLE_UDEV"))
		dm_udev_set_sync_support(0);
	/* libdevmapper still reports its errors, which name the ioctl that failed. */
	dm_log_init_verbose(0);
}

/* Run a task that changes devices; as dm_task_run(), 1 on success. */
static int mapper_run(struct dm_task *dmt)
{
	uint32_t cookie = 0;
	int r;

	if (!dm_task_set_cookie(dmt, &cookie, 0))
		return 0;
	r = dm_task_run(dmt);
	/* Also when the task failed: the cookie is released here. */
	dm_udev_wait(cookie);
	return r;
}

static struct dm_task *mapper_task(int type, const char *name)
{
	struct dm_task *dmt = dm_task_create(type);

	if (dmt && !dm_task_set_name(dmt, name)) {
		dm_task_destroy(dmt);
		dmt = NULL;
	}
	if (!dmt)
		err("%s: cannot prepare a device-mapper request", name);
	return dmt;
}

/*
 * Create device @name of one target, with dm UUID @uuid unless NULL; 0 or
 * -1. Device-mapper refuses a name or a UUID that another device has.
 */
int mapper_create(const char *name, const char *uuid, uint64_t sectors, const char *type,
		  const char *params)
{
	struct dm_task *dmt = mapper_task(DM_DEVICE_CREATE, name);
	int r = 0;

	if (!dmt)
		return -1;
	if ((!uuid || dm_task_set_uuid(dmt, uuid)) &&
	    dm_task_add_target(dmt, 0, sectors, type, params))
		r = mapper_run(dmt);
	dm_task_destroy(dmt);
	return r ? 0 : -1;
}

/* Remove device @name; 0 or -1. */
int mapper_remove(const char *name)
{
	struct dm_task *dmt = mapper_task(DM_DEVICE_REMOVE, name);
	int r;

	if (!dmt)
		return -1;
	/* udev may still be probing a device just created: retry while busy. */
	dm_task_retry_remove(dmt);
	r = mapper_run(dmt);
	dm_task_destroy(dmt);
	return r ? 0 : -1;
}

/*
 * What device-mapper says of device @name, or of the device with dm UUID
 * @uuid when @name is NULL: 1 when it exists (@mi filled), 0 when not,
 * -1 when device-mapper cannot tell.
 */
int mapper_info(const char *name, const char *uuid, struct mapper_info *mi)
{
	struct dm_task *dmt;
	struct dm_info info;
	const char *s;
	int r = -1;

	if (name) {
		dmt = mapper_task(DM_DEVICE_INFO, name);
	} else {
		dmt = dm_task_create(DM_DEVICE_INFO);
		if (dmt && !dm_task_set_uuid(dmt, uuid)) {
			dm_task_destroy(dmt);
			dmt = NULL;
		}
		if (!dmt)
			err("%s: cannot prepare a device-mapper request", uuid);
	}
	if (!dmt)
		return -1;
	memset(mi, 0, sizeof(*mi));
	if (dm_task_run(dmt) && dm_task_get_info(dmt, &info)) {
		r = info.exists ? 1 : 0;
		mi->open_count = info.open_count;
		mi->major = info.major;
		mi->minor = info.minor;
		s = info.exists ? dm_task_get_uuid(dmt) : NULL;
		snprintf(mi->uuid, sizeof(mi->uuid), "%s", s ? s : "");
		s = info.exists ? dm_task_get_name(dmt) : NULL;
		snprintf(mi->name, sizeof(mi->name), "%s", s ? s : "");
	}
	dm_task_destroy(dmt);
	return r;
}

/* Does device @name exist? 1, 0, or -1 when device-mapper cannot tell. */
int mapper_exists(const char *name)
{
	struct mapper_info mi;

	return mapper_info(name, NULL, &mi);
}

/*
 * The first target of device @name: its type, and its table line or its
 * status line (@status) in *@params, to be freed. Returns 0, -ENODEV when
 * there is no such device, -1 on another failure.
 */
int mapper_target(const char *name, bool status, char *type, size_t type_len, char **params)
{
	char *ttype = NULL, *tparams = NULL;
	uint64_t start, length;
	struct dm_task *dmt;
	int r;

	r = mapper_exists(name);
	if (r <= 0)
		return r ? -1 : -ENODEV;
	dmt = mapper_task(status ? DM_DEVICE_STATUS : DM_DEVICE_TABLE, name);
	if (!dmt)
		return -1;
	r = -1;
	if (dm_task_run(dmt)) {
		dm_get_next_target(dmt, NULL, &start, &length, &ttype, &tparams);
		if (ttype && tparams) {
			snprintf(type, type_len, "%s", ttype);
			*params = strdup(tparams);
			r = *params ? 0 : -1;
		}
	}
	dm_task_destroy(dmt);
	return r;
}
