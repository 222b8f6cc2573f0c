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
struct dmr_create_req;
struct dmr_group_info;
struct dmr_member_info;
struct dmr_job_status;

int dmr_check_hdr(struct dm_replica_hdr *hdr);
int dmr_cmd_version(struct dm_replica_hdr *hdr);
int dmr_check_buffer(struct dm_replica_hdr *hdr, u64 uptr, u32 n, u32 max,
		     const char *field, const char *count);
/* The translations between the user's structs and the internal ones. */
void dmr_create_req_in(struct dmr_create_req *c, const struct dm_replica_create_group *req,
		       const struct dm_replica_dev *sources);
void dmr_create_req_out(struct dm_replica_create_group *req, const struct dmr_create_req *c);
void dmr_group_out(struct dm_replica_group *req, const struct dmr_group_info *info);
void dmr_member_out(struct dm_replica_member *m, const struct dmr_member_info *mi);
void dmr_job_out(struct dm_replica_job *j, const struct dmr_job_status *st);
/* ModifyReplicaSynchronization: the operations' names and refusals. */
const char *dmr_op_name(u16 op);
u32 dmr_check_operation(u16 op, char *msg, size_t len);
u32 dmr_unsupported_op(u16 op, u16 sync_type, char *msg, size_t len);
int dmr_cmd_modify_sync(struct dm_replica_hdr *hdr);
int dmr_cmd_changed_chunks(struct dm_replica_hdr *hdr);
#endif

#endif /* DM_REPLICA_CONTROL_H */
