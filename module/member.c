// SPDX-License-Identifier: GPL-2.0
/*
 * dm-replica: the member state machine (see member.h).
 */
#include <kunit/visibility.h>
#include <linux/string.h>

#include "member.h"

bool dmr_member_transition_ok(u16 from, u16 to)
{
	switch (from) {
	case DM_REPLICA_COPY_INITIALIZED:
		return to == DM_REPLICA_COPY_SYNCHRONIZED || to == DM_REPLICA_COPY_UNSYNCHRONIZED ||
			to == DM_REPLICA_COPY_BROKEN;
	case DM_REPLICA_COPY_UNSYNCHRONIZED:
		return to == DM_REPLICA_COPY_SYNCHRONIZED || to == DM_REPLICA_COPY_BROKEN;
	case DM_REPLICA_COPY_SYNCHRONIZED:
		return to == DM_REPLICA_COPY_UNSYNCHRONIZED || to == DM_REPLICA_COPY_BROKEN;
	default:
		return false;
	}
}
EXPORT_SYMBOL_IF_KUNIT(dmr_member_transition_ok);

int dmr_member_set_state(struct dmr_member_rec *rec, u16 to, const char *reason)
{
	if (!dmr_member_transition_ok(rec->copy_state, to))
		return -EINVAL;
	rec->copy_state = to;
	if (to == DM_REPLICA_COPY_BROKEN && !rec->reason[0])
		strscpy(rec->reason, reason ?: "unknown", sizeof(rec->reason));
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(dmr_member_set_state);
