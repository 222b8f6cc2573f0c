/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dm-replica: the control device's helpers for the command handlers, and
 * its request checking, visible to its KUnit suite.
 */
#ifndef DM_REPLICA_CONTROL_H
#define DM_REPLICA_CONTROL_H

#include <uapi/linux/dm-replica.h>

/* Record the answer to a request; used by the command handlers. */
__printf(3, 4)
void dmr_reply(struct dm_replica_hdr *hdr, u32 result, const char *fmt, ...);
int dmr_result_errno(u32 result);

#if IS_ENABLED(CONFIG_KUNIT)
int dmr_check_hdr(struct dm_replica_hdr *hdr);
int dmr_cmd_version(struct dm_replica_hdr *hdr);
int dmr_check_buffer(struct dm_replica_hdr *hdr, u64 uptr, u32 n, u32 max,
		     const char *field, const char *count);
#endif

#endif /* DM_REPLICA_CONTROL_H */
