/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dm-replica: declarations shared between the pieces of the module.
 *
 * Each piece (target, control device, ...) lives in its own file and
 * exports only its init and exit functions here; the pieces do not reach
 * into each other's structs.
 */
#ifndef DM_REPLICA_H
#define DM_REPLICA_H

#include <linux/mutex.h>
#include <linux/types.h>

#define DM_MSG_PREFIX "replica"

/*
 * dmr_lock serialises the control operations and protects the registries
 * of sources, pools and groups and the links between them (see group.c).
 * It is never taken on the I/O path.
 */
extern struct mutex dmr_lock;

/* source.c: the replica-source target */
int dmr_source_init(void);
void dmr_source_exit(void);

/* pool.c, replica.c: the other targets */
int dmr_pool_init(void);
void dmr_pool_exit(void);
int dmr_replica_init(void);
void dmr_replica_exit(void);

/* cow.c, group.c, job.c: their workqueues and caches */
int dmr_cow_init(void);
void dmr_cow_exit(void);
int dmr_group_init(void);
void dmr_group_exit(void);
int dmr_job_init(void);
void dmr_job_exit(void);

/* control.c: the control misc device */
int dmr_control_init(void);
void dmr_control_exit(void);

/* Features this build of the module provides (DM_REPLICA_FEAT_*). */
u64 dmr_features(void);

#endif /* DM_REPLICA_H */
