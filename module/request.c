// SPDX-License-Identifier: GPL-2.0
/*
 * dm-replica: the checks of a create request before anything is built
 * (see request.h). Nothing here takes a lock or looks anything up.
 */
#include <linux/device-mapper.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "request.h"

#define DMR_SETTINGS_MAX	4096

static const char * const dmr_sync_names[] = {
	[DM_REPLICA_SYNC_MIRROR] = "Mirror",
	[DM_REPLICA_SYNC_SNAPSHOT] = "Snapshot",
	[DM_REPLICA_SYNC_CLONE] = "Clone",
};

static const char * const dmr_copy_names[] = {
	[DM_REPLICA_COPY_INITIALIZED] = "Initialized",
	[DM_REPLICA_COPY_UNSYNCHRONIZED] = "Unsynchronized",
	[DM_REPLICA_COPY_SYNCHRONIZED] = "Synchronized",
	[DM_REPLICA_COPY_BROKEN] = "Broken",
	[DM_REPLICA_COPY_FRACTURED] = "Fractured",
	[DM_REPLICA_COPY_SPLIT] = "Split",
	[DM_REPLICA_COPY_INACTIVE] = "Inactive",
	[DM_REPLICA_COPY_SUSPENDED] = "Suspended",
	[DM_REPLICA_COPY_FAILEDOVER] = "Failedover",
	[DM_REPLICA_COPY_PREPARED] = "Prepared",
	[DM_REPLICA_COPY_ABORTED] = "Aborted",
	[DM_REPLICA_COPY_SKEWED] = "Skewed",
	[DM_REPLICA_COPY_MIXED] = "Mixed",
	[DM_REPLICA_COPY_NOT_APPLICABLE] = "Not Applicable",
};

static const char *dmr_copy_name(unsigned int s)
{
	return s < ARRAY_SIZE(dmr_copy_names) && dmr_copy_names[s] ? dmr_copy_names[s] : NULL;
}

/* A fixed-size name field: NUL-terminated, short enough, no '/'. */
static u32 dmr_check_name(const char *name, size_t size, size_t max, const char *field,
			  char *msg, size_t len)
{
	size_t n = strnlen(name, size);

	if (n == size) {
		snprintf(msg, len, "%s: not NUL-terminated", field);
		return DM_REPLICA_RET_INVALID_PARAM;
	}
	if (n > max) {
		snprintf(msg, len, "%s: %zu characters, at most %zu", field, n, max);
		return DM_REPLICA_RET_INVALID_PARAM;
	}
	if (strchr(name, '/')) {
		snprintf(msg, len, "%s: '%s' contains '/'", field, name);
		return DM_REPLICA_RET_INVALID_PARAM;
	}
	return 0;
}

/*
 * Parse "key=value[,key=value...]" settings. The keys known for
 * ReplicationSettingData:
 *  - barrier_timeout_ms (1 to 60000): how long the group barrier waits
 *    for writes in flight to drain;
 *  - clone only: copy_rate (KiB/s, 0 to DMR_COPY_RATE_MAX, 0 for no
 *    limit) and copy_priority (the standard's CopyPriority, Low (1), Same
 *    (2) or High (3)): how fast the background copy may go, and how it
 *    yields to application I/O.
 */
static u32 dmr_parse_settings(const char *s, const char *field, bool allow_keys,
			      u16 sync_type, struct dmr_create_params *p, char *msg, size_t len)
{
	char *copy, *cur, *kv;
	u32 r = 0;

	if (!s || !*s)
		return 0;
	copy = kstrdup(s, GFP_KERNEL);
	if (!copy) {
		snprintf(msg, len, "%s: out of memory", field);
		return DM_REPLICA_RET_FAILED;
	}
	cur = copy;
	while (!r && (kv = strsep(&cur, ","))) {
		char *val = strchr(kv, '=');
		unsigned int v;

		if (!*kv)
			continue;
		if (!val) {
			snprintf(msg, len, "%s: '%.40s' is not key=value", field, kv);
			r = DM_REPLICA_RET_INVALID_PARAM;
			break;
		}
		*val++ = 0;
		if (allow_keys && !strcmp(kv, "barrier_timeout_ms")) {
			if (kstrtouint(val, 10, &v) || !v || v > 60000) {
				snprintf(msg, len, "%s: barrier_timeout_ms must be 1 to 60000",
					 field);
				r = DM_REPLICA_RET_INVALID_PARAM;
			} else {
				p->barrier_timeout_ms = v;
			}
			continue;
		}
		if (allow_keys && (!strcmp(kv, "copy_rate") || !strcmp(kv, "copy_priority"))) {
			bool rate = kv[5] == 'r';

			if (sync_type != DM_REPLICA_SYNC_CLONE) {
				snprintf(msg, len, "%s: %s applies to Clone (8) only", field, kv);
				r = DM_REPLICA_RET_INVALID_PARAM;
			} else if (rate && (kstrtouint(val, 10, &v) || v > DMR_COPY_RATE_MAX)) {
				snprintf(msg, len, "%s: copy_rate must be 0 to %u (KiB/s)", field,
					 DMR_COPY_RATE_MAX);
				r = DM_REPLICA_RET_INVALID_PARAM;
			} else if (!rate && (kstrtouint(val, 10, &v) ||
					     v < DM_REPLICA_COPY_PRIORITY_LOW ||
					     v > DM_REPLICA_COPY_PRIORITY_HIGH)) {
				snprintf(msg, len,
					 "%s: copy_priority must be Low (1), Same (2) or High (3)",
					 field);
				r = DM_REPLICA_RET_INVALID_PARAM;
			} else if (rate) {
				p->copy_rate_kib = v;
			} else {
				p->copy_priority = v;
			}
			continue;
		}
		snprintf(msg, len, "%s: unknown key '%.40s'", field, kv);
		r = DM_REPLICA_RET_INVALID_PARAM;
	}
	kfree(copy);
	return r;
}

/*
 * Check what a create request says by itself: values, names, settings,
 * reserved fields. Returns the SMI-S result and writes the reason to @msg.
 */
u32 dmr_check_create(const struct dm_replica_create_group *req, const char *settings,
		     const char *goal, struct dmr_create_params *p, char *msg, size_t len)
{
	u32 r;

	memset(p, 0, sizeof(*p));
	p->barrier_timeout_ms = DMR_BARRIER_TIMEOUT_MS;
	p->copy_priority = DM_REPLICA_COPY_PRIORITY_SAME;

	if (req->pad0 || req->pad1 || req->pad2) {
		snprintf(msg, len, "pad: must be zero");
		return DM_REPLICA_RET_INVALID_PARAM;
	}
	if (!dmr_mem_zero(req->reserved, sizeof(req->reserved))) {
		snprintf(msg, len, "reserved: must be zero");
		return DM_REPLICA_RET_INVALID_PARAM;
	}

	switch (req->sync_type) {
	case DM_REPLICA_SYNC_SNAPSHOT:
	case DM_REPLICA_SYNC_CLONE:
		break;
	case DM_REPLICA_SYNC_MIRROR:
		snprintf(msg, len, "SyncType: %s (%u) is not supported yet",
			 dmr_sync_names[req->sync_type], req->sync_type);
		return DM_REPLICA_RET_NOT_SUPPORTED;
	default:
		snprintf(msg, len, "SyncType: %u is not one of Mirror (6), Snapshot (7), Clone (8)",
			 req->sync_type);
		return DM_REPLICA_RET_INVALID_PARAM;
	}

	switch (req->mode) {
	case 0:
		/*
		 * Copy-on-write copies before the write: a snapshot is
		 * synchronous. A clone's copy runs behind the call.
		 */
		p->mode = req->sync_type == DM_REPLICA_SYNC_CLONE ? DM_REPLICA_MODE_ASYNCHRONOUS :
			DM_REPLICA_MODE_SYNCHRONOUS;
		break;
	case DM_REPLICA_MODE_SYNCHRONOUS:
		p->mode = req->mode;
		break;
	case DM_REPLICA_MODE_ASYNCHRONOUS:
		if (req->sync_type != DM_REPLICA_SYNC_CLONE) {
			snprintf(msg, len, "Mode: Asynchronous (3) is not supported for Snapshot");
			return DM_REPLICA_RET_NOT_SUPPORTED;
		}
		p->mode = req->mode;
		break;
	default:
		snprintf(msg, len, "Mode: %u is not one of Synchronous (2), Asynchronous (3)",
			 req->mode);
		return DM_REPLICA_RET_INVALID_PARAM;
	}

	switch (req->consistency) {
	case 0:
		p->consistency = DM_REPLICA_CONSISTENCY_SEQUENTIAL;
		break;
	case DM_REPLICA_CONSISTENCY_NONE:
	case DM_REPLICA_CONSISTENCY_SEQUENTIAL:
		p->consistency = req->consistency;
		break;
	default:
		snprintf(msg, len,
			 "Consistency: %u is not one of No Consistency (2), Sequential Consistency (3)",
			 req->consistency);
		return DM_REPLICA_RET_INVALID_PARAM;
	}

	switch (req->wait_for_copy_state) {
	case 0:
		/* A clone made in Synchronous mode: the call waits for the copy. */
		if (req->sync_type == DM_REPLICA_SYNC_CLONE &&
		    p->mode == DM_REPLICA_MODE_SYNCHRONOUS)
			p->wait_state = DM_REPLICA_COPY_SYNCHRONIZED;
		break;
	case DM_REPLICA_COPY_SYNCHRONIZED:
		p->wait_state = req->wait_for_copy_state;
		break;
	case DM_REPLICA_COPY_INITIALIZED:
	case DM_REPLICA_COPY_UNSYNCHRONIZED:
		if (req->sync_type == DM_REPLICA_SYNC_CLONE) {
			p->wait_state = req->wait_for_copy_state;
			break;
		}
		fallthrough;
	case DM_REPLICA_COPY_INACTIVE:
		if (req->sync_type == DM_REPLICA_SYNC_CLONE) {
			snprintf(msg, len,
				 "WaitForCopyState: Inactive (8) is never reached by a Clone's creation");
			return DM_REPLICA_RET_INVALID_PARAM;
		}
		snprintf(msg, len,
			 "WaitForCopyState: %s (%u) makes no sense for a Snapshot, which is Synchronized (4) once taken",
			 dmr_copy_name(req->wait_for_copy_state), req->wait_for_copy_state);
		return DM_REPLICA_RET_INVALID_PARAM;
	default:
		if (dmr_copy_name(req->wait_for_copy_state))
			snprintf(msg, len, "WaitForCopyState: %s (%u) cannot be waited for",
				 dmr_copy_name(req->wait_for_copy_state),
				 req->wait_for_copy_state);
		else
			snprintf(msg, len, "WaitForCopyState: %u is not a CopyState",
				 req->wait_for_copy_state);
		return DM_REPLICA_RET_INVALID_PARAM;
	}

	if (!req->nr_sources) {
		snprintf(msg, len, "SourceElements: empty");
		return DM_REPLICA_RET_INVALID_PARAM;
	}
	if (req->nr_sources > DM_REPLICA_MAX_MEMBERS) {
		snprintf(msg, len, "SourceElements: %u elements, at most %u", req->nr_sources,
			 DM_REPLICA_MAX_MEMBERS);
		return DM_REPLICA_RET_INVALID_PARAM;
	}

	/* Replicas are named <RelationshipName>_<n>, n up to 64, in a dm name. */
	r = dmr_check_name(req->relationship_name, sizeof(req->relationship_name),
			   DM_NAME_LEN - 1 - 3, "RelationshipName", msg, len);
	if (!r)
		r = dmr_check_name(req->source_group_name, sizeof(req->source_group_name),
				   sizeof(req->source_group_name) - 1, "SourceGroupName",
				   msg, len);
	if (!r)
		r = dmr_check_name(req->target_group, sizeof(req->target_group),
				   sizeof(req->target_group) - 1, "TargetGroup", msg, len);
	if (r)
		return r;

	if (req->source_access_point) {
		snprintf(msg, len, "SourceAccessPoint: access points are not supported");
		return DM_REPLICA_RET_NOT_SUPPORTED;
	}
	if (req->target_access_point) {
		snprintf(msg, len, "TargetAccessPoint: access points are not supported");
		return DM_REPLICA_RET_NOT_SUPPORTED;
	}

	if (req->target_group[0]) {
		if (req->target_pool.major || req->target_pool.minor) {
			snprintf(msg, len, "TargetPool: must be absent when TargetGroup is given");
			return DM_REPLICA_RET_INVALID_PARAM;
		}
		if (goal && *goal) {
			snprintf(msg, len,
				 "TargetSettingGoal: must be absent when TargetGroup is given");
			return DM_REPLICA_RET_INVALID_PARAM;
		}
		snprintf(msg, len, "TargetGroup: using existing target elements is not supported");
		return DM_REPLICA_RET_NOT_SUPPORTED;
	}
	if (!req->target_pool.major && !req->target_pool.minor) {
		snprintf(msg, len, "TargetPool: missing");
		return DM_REPLICA_RET_INVALID_PARAM;
	}

	r = dmr_parse_settings(settings, "ReplicationSettingData", true, req->sync_type, p, msg,
			       len);
	if (!r)
		r = dmr_parse_settings(goal, "TargetSettingGoal", false, req->sync_type, p, msg,
				       len);
	return r;
}
