/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dm-replica: request checking of the control device, visible to its
 * KUnit suite.
 */
#ifndef DM_REPLICA_CONTROL_H
#define DM_REPLICA_CONTROL_H

#include <uapi/linux/dm-replica.h>

#if IS_ENABLED(CONFIG_KUNIT)
void dmr_reply(struct dm_replica_hdr *hdr, u32 result, const char *fmt, ...);
int dmr_result_errno(u32 result);
int dmr_check_hdr(struct dm_replica_hdr *hdr);
int dmr_cmd_version(struct dm_replica_hdr *hdr);
#endif

#endif /* DM_REPLICA_CONTROL_H */
