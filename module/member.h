/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dm-replica: the state of one group member.
 *
 * A member's CopyState is persisted in its group's record. Every change
 * of it goes through dmr_member_set_state(), which knows the allowed
 * transitions (Documentation/dm-replica.rst, "Member and group states"):
 *
 *   create request     --> Initialized    group record written "creating"
 *   Initialized        --> Synchronized   snapshot: the point in time is
 *                                         taken and the record written "live"
 *   Initialized        --> Unsynchronized clone: likewise, and its
 *                                         background copy starts
 *   Unsynchronized     --> Synchronized   clone: every chunk is in the pool
 *   Synchronized       --> Unsynchronized clone: Resync Replica took a new
 *                                         point in time, the chunks changed
 *                                         since the last are being copied
 *   Initialized        --> Broken         a copy failed before the record
 *                                         was live: the creation is undone
 *   Synchronized       --> Broken         the pool is full or failing, the
 *   Unsynchronized     --> Broken         source was written without its
 *                                         pool, or came back another size
 *
 * Broken is final for a snapshot: its replica fails every I/O, its source
 * goes on as a pass-through, and only Return To ResourcePool ends it. No
 * transition leads out of Broken, so a reload, a re-attached source or a
 * late creation step can never bring a broken replica back.
 */
#ifndef DM_REPLICA_MEMBER_H
#define DM_REPLICA_MEMBER_H

#include <linux/types.h>

#include "metadata.h"

/* Is @from -> @to one of the transitions above? */
bool dmr_member_transition_ok(u16 from, u16 to);

/*
 * Change the state of @rec to @to, with @reason when it is Broken (the
 * first reason is kept). Returns -EINVAL and changes nothing when the
 * transition is not allowed. The caller holds the lock that guards the
 * record and persists it.
 */
int dmr_member_set_state(struct dmr_member_rec *rec, u16 to, const char *reason);

#endif /* DM_REPLICA_MEMBER_H */
