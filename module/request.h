/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dm-replica: the checks of a CreateGroupReplicaFromElements request
 * before anything is built.
 *
 * They look at the request alone (values, names, settings, reserved
 * fields) and need no lock and no lookup: what the request names (pool,
 * sources) is found and checked by group.c afterwards.
 */
#ifndef DM_REPLICA_REQUEST_H
#define DM_REPLICA_REQUEST_H

#include <linux/string.h>
#include <linux/types.h>

#include <uapi/linux/dm-replica.h>

/* The barrier timeout when the request does not set one. */
#define DMR_BARRIER_TIMEOUT_MS	5000

/* Most a clone's copy_rate setting may ask for, in KiB/s (16 GiB/s). */
#define DMR_COPY_RATE_MAX	(16U << 20)

/*
 * What a checked create request asks for, with the defaults filled in.
 * @wait_state:    the CopyState the call waits for before it answers, 0
 *                 when it answers once the job started.
 * @copy_rate_kib: clone: most the background copy reads per second, in
 *                 KiB, group-wide; 0 for no limit.
 * @copy_priority: clone: the standard's CopyPriority (Low, Same, High).
 */
struct dmr_create_params {
	u16 mode;
	u16 consistency;
	u16 wait_state;
	u16 copy_priority;
	unsigned int barrier_timeout_ms;
	unsigned int copy_rate_kib;
};

/*
 * Check what a create request says by itself. Returns the SMI-S result
 * (0 when it may go on) and writes the reason, naming the field, to @msg.
 * May sleep (it allocates to parse the settings).
 */
u32 dmr_check_create(const struct dm_replica_create_group *req, const char *settings,
		     const char *goal, struct dmr_create_params *p, char *msg, size_t len);

/* Are the @n bytes at @p all zero? For reserved fields. */
static inline bool dmr_mem_zero(const void *p, size_t n)
{
	return !memchr_inv(p, 0, n);
}

#endif /* DM_REPLICA_REQUEST_H */
