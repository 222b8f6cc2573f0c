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

#include <linux/types.h>

#define DM_MSG_PREFIX "replica"

/* source.c: the replica-source target */
int dmr_source_init(void);
void dmr_source_exit(void);

/* control.c: the control misc device */
int dmr_control_init(void);
void dmr_control_exit(void);

/* Features this build of the module provides (DM_REPLICA_FEAT_*). */
u64 dmr_features(void);

#endif /* DM_REPLICA_H */
