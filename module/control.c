// SPDX-License-Identifier: GPL-2.0
/*
 * dm-replica: the control device.
 *
 * /dev/dm-replica takes the ioctls of uapi/linux/dm-replica.h. Each
 * request is copied in whole with copy_struct_from_user(), written back
 * unchanged (so that a struct the caller cannot be answered in is refused
 * before anything is done), checked, handled, and copied back; the caller
 * always learns the SMI-S result and a message naming the field at fault
 * once its struct could be read and written. The errno of each answer is
 * the table of Documentation/dm-replica.rst, "Errors".
 *
 * This is the only piece that translates the user's structs to and from
 * the internal ones (group.h, job.h): it checks their reserved fields and
 * buffers and has request.c check a create request as given.
 *
 * The handlers keep no state of their own between calls, so the control
 * device needs no lock; what a handler touches is protected by the lock of
 * the object it touches.
 */
#include <kunit/visibility.h>
#include <linux/device-mapper.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <uapi/linux/dm-replica.h>

#include "control.h"
#include "dm-replica.h"
#include "group.h"
#include "job.h"
#include "request.h"

/*
 * Largest request the kernel reads. A newer caller's struct may be larger
 * than the kernel's (its tail must then be zero), but never this large.
 */
#define DMR_MAX_REQUEST_SIZE	PAGE_SIZE

/*
 * Record the answer to a request: the SMI-S @result and a message for the
 * caller, also logged at debug level for the administrator.
 */
void dmr_reply(struct dm_replica_hdr *hdr, u32 result, const char *fmt, ...)
{
	va_list args;

	hdr->result = result;
	va_start(args, fmt);
	vsnprintf(hdr->message, sizeof(hdr->message), fmt, args);
	va_end(args);
	if (result != DM_REPLICA_RET_OK && result != DM_REPLICA_RET_JOB_STARTED)
		DMDEBUG("control: result %u: %s", result, hdr->message);
}

/*
 * The errno that the ioctl returns along with an SMI-S result. Unknown (2)
 * is only ever the answer to an interrupted wait.
 */
int dmr_result_errno(u32 result)
{
	switch (result) {
	case DM_REPLICA_RET_OK:
	case DM_REPLICA_RET_JOB_STARTED:
		return 0;
	case DM_REPLICA_RET_NOT_SUPPORTED:
		return -EOPNOTSUPP;
	case DM_REPLICA_RET_UNKNOWN:
		return -EINTR;
	case DM_REPLICA_RET_TIMEOUT:
		return -ETIMEDOUT;
	case DM_REPLICA_RET_INVALID_PARAM:
		return -EINVAL;
	case DM_REPLICA_RET_IN_USE:
		return -EBUSY;
	default:
		return -EIO;
	}
}

/*
 * Check the common header. @result and @message are outputs: whatever the
 * caller left there is cleared, not checked.
 */
VISIBLE_IF_KUNIT int dmr_check_hdr(struct dm_replica_hdr *hdr)
{
	hdr->result = DM_REPLICA_RET_OK;
	memset(hdr->message, 0, sizeof(hdr->message));

	if (hdr->flags) {
		dmr_reply(hdr, DM_REPLICA_RET_INVALID_PARAM,
			  "hdr.flags: unknown flags 0x%x, must be zero", hdr->flags);
		return -EINVAL;
	}
	if (hdr->reserved) {
		dmr_reply(hdr, DM_REPLICA_RET_INVALID_PARAM,
			  "hdr.reserved: must be zero");
		return -EINVAL;
	}
	return 0;
}

/* DM_REPLICA_IOC_VERSION */
VISIBLE_IF_KUNIT int dmr_cmd_version(struct dm_replica_hdr *hdr)
{
	struct dm_replica_version *v = container_of(hdr, struct dm_replica_version, hdr);
	unsigned int i;

	if (v->pad) {
		dmr_reply(hdr, DM_REPLICA_RET_INVALID_PARAM, "pad: must be zero");
		return -EINVAL;
	}
	for (i = 0; i < ARRAY_SIZE(v->reserved); i++) {
		if (v->reserved[i]) {
			dmr_reply(hdr, DM_REPLICA_RET_INVALID_PARAM,
				  "reserved[%u]: must be zero", i);
			return -EINVAL;
		}
	}

	v->major = DM_REPLICA_VERSION_MAJOR;
	v->minor = DM_REPLICA_VERSION_MINOR;
	v->patch = DM_REPLICA_VERSION_PATCH;
	v->features = dmr_features();
	return 0;
}

/* Largest settings string a caller may pass. */
#define DMR_SETTINGS_MAX	4096

/*
 * Answer a buffer of user memory that could not be read or written:
 * -EFAULT with Invalid Parameter naming the field, or Failed when the
 * kernel ran out of memory.
 */
static int dmr_user_fault(struct dm_replica_hdr *hdr, int r, const char *field,
			  const char *what, u64 uptr)
{
	if (r == -ENOMEM) {
		dmr_reply(hdr, DM_REPLICA_RET_FAILED, "%s: out of memory", field);
		return r;
	}
	dmr_reply(hdr, DM_REPLICA_RET_INVALID_PARAM, "%s: cannot %s 0x%llx", field, what, uptr);
	return -EFAULT;
}

/*
 * A count or length of @n entries at user pointer @uptr: a NULL pointer
 * with a non-zero count is refused (a zero count with any pointer is
 * nothing to read or write). Then at most @max entries.
 */
VISIBLE_IF_KUNIT int dmr_check_buffer(struct dm_replica_hdr *hdr, u64 uptr, u32 n, u32 max,
				      const char *field, const char *count)
{
	if (n && !uptr) {
		dmr_reply(hdr, DM_REPLICA_RET_INVALID_PARAM, "%s: NULL, with %s %u", field,
			  count, n);
		return -EINVAL;
	}
	if (n > max) {
		dmr_reply(hdr, DM_REPLICA_RET_INVALID_PARAM, "%s: %s %u, at most %u", field,
			  count, n, max);
		return -EINVAL;
	}
	return 0;
}

/* Copy a NUL-terminated settings string of @len bytes from user space. */
static int dmr_copy_settings(struct dm_replica_hdr *hdr, u64 uptr, u32 len,
			     const char *field, char **out)
{
	char *s;

	*out = NULL;
	if (!uptr && !len)
		return 0;
	if (!len) {
		dmr_reply(hdr, DM_REPLICA_RET_INVALID_PARAM, "%s: length 0, must be 1 to %u",
			  field, DMR_SETTINGS_MAX);
		return -EINVAL;
	}
	if (dmr_check_buffer(hdr, uptr, len, DMR_SETTINGS_MAX, field, "length"))
		return -EINVAL;
	s = memdup_user(u64_to_user_ptr(uptr), len);
	if (IS_ERR(s))
		return dmr_user_fault(hdr, PTR_ERR(s), field, "read", uptr);
	if (!memchr(s, 0, len)) {
		kfree(s);
		dmr_reply(hdr, DM_REPLICA_RET_INVALID_PARAM, "%s: not NUL-terminated", field);
		return -EINVAL;
	}
	*out = s;
	return 0;
}

/* The create request as group.c takes it; dmr_check_create() passed it. */
VISIBLE_IF_KUNIT void dmr_create_req_in(struct dmr_create_req *c,
					const struct dm_replica_create_group *req,
					const struct dm_replica_dev *sources)
{
	unsigned int i;

	c->sync_type = req->sync_type;
	c->pool.major = req->target_pool.major;
	c->pool.minor = req->target_pool.minor;
	c->nr_sources = req->nr_sources;
	for (i = 0; i < req->nr_sources; i++) {
		c->sources[i].major = sources[i].major;
		c->sources[i].minor = sources[i].minor;
	}
	strscpy(c->relationship_name, req->relationship_name, sizeof(c->relationship_name));
	strscpy(c->source_group_name, req->source_group_name, sizeof(c->source_group_name));
	strscpy(c->target_group, req->target_group, sizeof(c->target_group));
}

/* What group.c made of the request: names, and the group once started. */
VISIBLE_IF_KUNIT void dmr_create_req_out(struct dm_replica_create_group *req,
					 const struct dmr_create_req *c)
{
	strscpy(req->relationship_name, c->relationship_name, sizeof(req->relationship_name));
	strscpy(req->source_group_name, c->source_group_name, sizeof(req->source_group_name));
	strscpy(req->target_group, c->target_group, sizeof(req->target_group));
	req->group_id = c->group_id;
	req->nr_replicas = c->nr_replicas;
}

/*
 * Check and start a creation as @job. Returns 0 when it started, else
 * the SMI-S result, with the reason in the header's message.
 */
static u32 dmr_create_group(struct dm_replica_create_group *req,
			    const struct dm_replica_dev *sources, const char *settings,
			    const char *goal, struct dmr_job *job,
			    struct dmr_create_params *params)
{
	struct dm_replica_hdr *hdr = &req->hdr;
	struct dmr_create_req *c;
	u32 res;

	res = dmr_check_create(req, settings, goal, params, hdr->message, sizeof(hdr->message));
	if (res)
		return res;
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c) {
		snprintf(hdr->message, sizeof(hdr->message), "out of memory");
		return DM_REPLICA_RET_FAILED;
	}
	c->params = *params;
	dmr_create_req_in(c, req, sources);
	res = dmr_group_create(c, job, hdr->message, sizeof(hdr->message));
	/* A late refusal, too, tells the names made up by then. */
	dmr_create_req_out(req, c);
	kfree(c);
	return res;
}

/* DM_REPLICA_IOC_CREATE_GROUP: CreateGroupReplicaFromElements */
static int dmr_cmd_create_group(struct dm_replica_hdr *hdr)
{
	struct dm_replica_create_group *req =
		container_of(hdr, struct dm_replica_create_group, hdr);
	struct dm_replica_dev *sources = NULL;
	char *settings = NULL, *goal = NULL;
	struct dmr_create_params params;
	struct dmr_job_status info;
	struct dmr_job *job;
	u32 res;
	int r;

	/* The outputs are outputs. */
	req->job_id = 0;
	req->group_id = 0;
	req->nr_replicas = 0;

	/* More than the maximum is dmr_check_create()'s to refuse, by name. */
	if (dmr_check_buffer(hdr, req->sources, req->nr_sources, U32_MAX, "SourceElements",
			     "nr_sources"))
		return -EINVAL;
	if (req->nr_sources && req->nr_sources <= DM_REPLICA_MAX_MEMBERS) {
		sources = memdup_user(u64_to_user_ptr(req->sources),
				      req->nr_sources * sizeof(*sources));
		if (IS_ERR(sources))
			return dmr_user_fault(hdr, PTR_ERR(sources), "SourceElements",
					      "read the elements at", req->sources);
	}
	r = dmr_copy_settings(hdr, req->settings, req->settings_len,
			      "ReplicationSettingData", &settings);
	if (!r)
		r = dmr_copy_settings(hdr, req->target_setting_goal,
				      req->target_setting_goal_len, "TargetSettingGoal", &goal);
	if (r)
		goto out;

	/* Every call yields a job, the refused ones included. */
	job = dmr_job_new(DM_REPLICA_CMD_CREATE_GROUP);
	if (!job) {
		dmr_reply(hdr, DM_REPLICA_RET_FAILED, "out of memory");
		r = -ENOMEM;
		goto out;
	}
	req->job_id = dmr_job_id(job);

	res = dmr_create_group(req, sources, settings, goal, job, &params);
	if (res) {
		hdr->result = res;
		dmr_job_end(job, DM_REPLICA_JOB_EXCEPTION, res, "%s", hdr->message);
		r = dmr_result_errno(res);
	} else if (params.wait_state) {
		/*
		 * Not bounded by a timeout of its own: the barrier has one, and
		 * a clone's copy is as long as its sources; a signal ends the
		 * wait, and the job goes on.
		 */
		while ((r = dmr_job_wait_state(job, params.wait_state, 1000, &info)) == -ETIMEDOUT)
			;
		if (r) {
			dmr_reply(hdr, DM_REPLICA_RET_JOB_STARTED,
				  "job %llu started; the wait was interrupted", req->job_id);
			r = 0;
		} else if (dmr_job_state_final(info.job_state) &&
			   info.job_state != DM_REPLICA_JOB_COMPLETED) {
			dmr_reply(hdr, info.error_code ?: DM_REPLICA_RET_FAILED, "%s",
				  info.error_description);
			r = dmr_result_errno(hdr->result);
		} else if (dmr_job_state_final(info.job_state)) {
			dmr_reply(hdr, DM_REPLICA_RET_OK, "Synchronized");
		} else {
			dmr_reply(hdr, DM_REPLICA_RET_OK,
				  "Unsynchronized: the copy goes on in job %llu", req->job_id);
		}
	} else {
		dmr_reply(hdr, DM_REPLICA_RET_JOB_STARTED, "job %llu started", req->job_id);
		r = 0;
	}
	dmr_job_put(job);
out:
	kfree(goal);
	kfree(settings);
	kfree(sources);
	return r;
}

static int dmr_job_reserved(struct dm_replica_job *j)
{
	unsigned int i;

	if (j->pad0 || j->pad1 || j->pad2) {
		dmr_reply(&j->hdr, DM_REPLICA_RET_INVALID_PARAM, "%s: must be zero",
			  j->pad0 ? "pad0" : j->pad1 ? "pad1" : "pad2");
		return -EINVAL;
	}
	for (i = 0; i < ARRAY_SIZE(j->reserved); i++) {
		if (j->reserved[i]) {
			dmr_reply(&j->hdr, DM_REPLICA_RET_INVALID_PARAM,
				  "reserved[%u]: must be zero", i);
			return -EINVAL;
		}
	}
	return 0;
}

/* Answer for a job command whose lookup failed with @r. */
static int dmr_job_answer(struct dm_replica_job *j, int r)
{
	switch (r) {
	case 0:
		return 0;
	case -ENOENT:
		dmr_reply(&j->hdr, DM_REPLICA_RET_INVALID_PARAM, "job_id: no job %llu", j->job_id);
		return -EINVAL;
	case -ETIMEDOUT:
		dmr_reply(&j->hdr, DM_REPLICA_RET_TIMEOUT, "job %llu still running after %u ms",
			  j->job_id, j->timeout_ms);
		return -ETIMEDOUT;
	case -EALREADY:
		dmr_reply(&j->hdr, DM_REPLICA_RET_INVALID_PARAM, "job %llu has already ended",
			  j->job_id);
		return -EINVAL;
	default:
		/* Interrupted: nothing to say, the caller asks again. */
		dmr_reply(&j->hdr, DM_REPLICA_RET_UNKNOWN, "job %llu: wait interrupted",
			  j->job_id);
		return -EINTR;
	}
}

VISIBLE_IF_KUNIT void dmr_job_out(struct dm_replica_job *j, const struct dmr_job_status *st)
{
	j->job_state = st->job_state;
	j->percent_complete = st->percent_complete;
	j->error_code = st->error_code;
	j->group_id = st->group_id;
	j->operation = st->operation;
	j->sync_operation = st->sync_operation;
	j->time_submitted_ns = st->time_submitted_ns;
	j->start_time_ns = st->start_time_ns;
	j->elapsed_ns = st->elapsed_ns;
	j->time_before_removal_ns = st->time_before_removal_ns;
	j->barrier_hold_ns = st->barrier_hold_ns;
	strscpy(j->error_description, st->error_description, sizeof(j->error_description));
}

/* DM_REPLICA_IOC_JOB_GET, _WAIT, _CANCEL: the job's state. */
static int dmr_cmd_job(struct dm_replica_hdr *hdr, unsigned int nr)
{
	struct dm_replica_job *j = container_of(hdr, struct dm_replica_job, hdr);
	struct dmr_job_status st;
	u16 request = j->request;
	int r;

	r = dmr_job_reserved(j);
	if (r)
		return r;
	if (nr != DM_REPLICA_CMD_JOB_WAIT && j->timeout_ms) {
		dmr_reply(hdr, DM_REPLICA_RET_INVALID_PARAM, "timeout_ms: must be zero");
		return -EINVAL;
	}
	if (nr != DM_REPLICA_CMD_JOB_CANCEL && request) {
		dmr_reply(hdr, DM_REPLICA_RET_INVALID_PARAM, "request: must be zero");
		return -EINVAL;
	}

	switch (nr) {
	case DM_REPLICA_CMD_JOB_GET:
		r = dmr_job_info(j->job_id, &st);
		break;
	case DM_REPLICA_CMD_JOB_WAIT:
		r = dmr_job_wait(j->job_id, j->timeout_ms, &st);
		break;
	default:
		if (request == DM_REPLICA_JOB_REQ_START || request == DM_REPLICA_JOB_REQ_SUSPEND ||
		    request == DM_REPLICA_JOB_REQ_SERVICE) {
			dmr_reply(hdr, DM_REPLICA_RET_NOT_SUPPORTED,
				  "request: %u is not supported; Terminate (4) and Kill (5) are",
				  request);
			return -EOPNOTSUPP;
		}
		if (request != DM_REPLICA_JOB_REQ_TERMINATE &&
		    request != DM_REPLICA_JOB_REQ_KILL) {
			dmr_reply(hdr, DM_REPLICA_RET_INVALID_PARAM,
				  "request: %u is not a RequestStateChange value", request);
			return -EINVAL;
		}
		r = dmr_job_cancel(j->job_id, request, &st);
		break;
	}
	/* Whatever the answer, an existing job is shown. */
	if (r != -ENOENT)
		dmr_job_out(j, &st);
	return dmr_job_answer(j, r);
}

static int dmr_cmd_job_get(struct dm_replica_hdr *hdr)
{
	return dmr_cmd_job(hdr, DM_REPLICA_CMD_JOB_GET);
}

static int dmr_cmd_job_wait(struct dm_replica_hdr *hdr)
{
	return dmr_cmd_job(hdr, DM_REPLICA_CMD_JOB_WAIT);
}

static int dmr_cmd_job_cancel(struct dm_replica_hdr *hdr)
{
	return dmr_cmd_job(hdr, DM_REPLICA_CMD_JOB_CANCEL);
}

static bool dmr_u64_zero(const u64 *v, unsigned int n, struct dm_replica_hdr *hdr)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (v[i]) {
			dmr_reply(hdr, DM_REPLICA_RET_INVALID_PARAM,
				  "reserved[%u]: must be zero", i);
			return false;
		}
	}
	return true;
}

/* DM_REPLICA_IOC_GROUP_LIST */
static int dmr_cmd_group_list(struct dm_replica_hdr *hdr)
{
	struct dm_replica_group_list *req = container_of(hdr, struct dm_replica_group_list, hdr);
	u32 *ids = NULL;
	int r;

	if (!dmr_u64_zero(req->reserved, ARRAY_SIZE(req->reserved), hdr))
		return -EINVAL;
	if (dmr_check_buffer(hdr, req->ids, req->ids_cap, DM_REPLICA_MAX_IDS, "ids", "ids_cap"))
		return -EINVAL;
	if (req->ids_cap) {
		ids = kcalloc(req->ids_cap, sizeof(*ids), GFP_KERNEL);
		if (!ids)
			return -ENOMEM;
	}
	req->nr_groups = dmr_group_ids(ids, req->ids_cap);
	r = 0;
	if (ids && copy_to_user(u64_to_user_ptr(req->ids), ids,
				min(req->ids_cap, req->nr_groups) * sizeof(*ids)))
		r = dmr_user_fault(hdr, -EFAULT, "ids", "write to", req->ids);
	kfree(ids);
	return r;
}

static void dmr_dev_out(struct dm_replica_dev *d, dev_t devt)
{
	d->major = MAJOR(devt);
	d->minor = MINOR(devt);
}

VISIBLE_IF_KUNIT void dmr_group_out(struct dm_replica_group *req,
				    const struct dmr_group_info *info)
{
	req->nr_members = info->nr_members;
	req->sync_type = info->sync_type;
	req->mode = info->mode;
	req->consistency = info->consistency;
	req->copy_state = info->copy_state;
	dmr_dev_out(&req->pool, info->pool);
	req->chunk_sectors = info->chunk_sectors;
	req->pool_used_chunks = info->pool_used_chunks;
	req->pool_total_chunks = info->pool_total_chunks;
	req->group_chunks = info->group_chunks;
	req->barrier_hold_ns = info->barrier_hold_ns;
	req->created_ns = info->created_ns;
	req->job_id = info->job_id;
	strscpy(req->relationship_name, info->relationship_name, sizeof(req->relationship_name));
	strscpy(req->source_group_name, info->source_group_name, sizeof(req->source_group_name));
	strscpy(req->target_group, info->target_group, sizeof(req->target_group));
	strscpy(req->broken_reason, info->broken_reason, sizeof(req->broken_reason));
	req->flags = info->flags;
}

VISIBLE_IF_KUNIT void dmr_member_out(struct dm_replica_member *m,
				     const struct dmr_member_info *mi)
{
	memset(m, 0, sizeof(*m));
	dmr_dev_out(&m->source, mi->source);
	dmr_dev_out(&m->source_dev, mi->source_dev);
	m->sectors = mi->sectors;
	m->copy_state = mi->copy_state;
	m->copied_chunks = mi->copied_chunks;
	strscpy(m->source_name, mi->source_name, sizeof(m->source_name));
}

/* DM_REPLICA_IOC_GROUP_GET */
static int dmr_cmd_group_get(struct dm_replica_hdr *hdr)
{
	struct dm_replica_group *req = container_of(hdr, struct dm_replica_group, hdr);
	struct dm_replica_member *members = NULL;
	struct dmr_member_info *mi = NULL;
	struct dmr_group_info *info;
	u32 cap = req->members_cap;
	unsigned int i, n;
	int r;

	if (!dmr_u64_zero(req->reserved, ARRAY_SIZE(req->reserved), hdr))
		return -EINVAL;
	if (req->pad2) {
		dmr_reply(hdr, DM_REPLICA_RET_INVALID_PARAM, "pad2: must be zero");
		return -EINVAL;
	}
	if (dmr_check_buffer(hdr, req->members, cap, DM_REPLICA_MAX_MEMBERS, "members",
			     "members_cap"))
		return -EINVAL;
	info = kzalloc(sizeof(*info), GFP_KERNEL);
	if (cap) {
		members = kcalloc(cap, sizeof(*members), GFP_KERNEL);
		mi = kcalloc(cap, sizeof(*mi), GFP_KERNEL);
	}
	if (!info || (cap && (!members || !mi))) {
		r = -ENOMEM;
		goto out;
	}
	r = dmr_group_info(req->group_id, info, mi, cap);
	if (r) {
		dmr_reply(hdr, DM_REPLICA_RET_INVALID_PARAM, "group_id: no group %u",
			  req->group_id);
		r = -EINVAL;
		goto out;
	}
	dmr_group_out(req, info);
	n = min(cap, req->nr_members);
	for (i = 0; i < n; i++)
		dmr_member_out(&members[i], &mi[i]);
	if (members && copy_to_user(u64_to_user_ptr(req->members), members,
				    n * sizeof(*members)))
		r = dmr_user_fault(hdr, -EFAULT, "members", "write to", req->members);
out:
	kfree(mi);
	kfree(members);
	kfree(info);
	return r;
}

/*
 * The operations of ModifyReplicaSynchronization, by the standard's names,
 * so that a refusal says which one it refused.
 */
static const char *const dmr_op_names[] = {
	[DM_REPLICA_OP_ABORT] = "Abort",
	[DM_REPLICA_OP_ACTIVATE_CONSISTENCY] = "Activate Consistency",
	[DM_REPLICA_OP_ACTIVATE] = "Activate",
	[DM_REPLICA_OP_ADD_SYNC_PAIR] = "AddSyncPair",
	[DM_REPLICA_OP_DEACTIVATE_CONSISTENCY] = "Deactivate Consistency",
	[DM_REPLICA_OP_DEACTIVATE] = "Deactivate",
	[DM_REPLICA_OP_DETACH] = "Detach",
	[DM_REPLICA_OP_DISSOLVE] = "Dissolve",
	[DM_REPLICA_OP_FAILOVER] = "Failover",
	[DM_REPLICA_OP_FAILBACK] = "Failback",
	[DM_REPLICA_OP_FRACTURE] = "Fracture",
	[DM_REPLICA_OP_REMOVE_SYNC_PAIR] = "RemoveSyncPair",
	[DM_REPLICA_OP_RESYNC_REPLICA] = "Resync Replica",
	[DM_REPLICA_OP_RESTORE_FROM_REPLICA] = "Restore from Replica",
	[DM_REPLICA_OP_RESUME] = "Resume",
	[DM_REPLICA_OP_RESET_TO_SYNC] = "Reset To Sync",
	[DM_REPLICA_OP_RESET_TO_ASYNC] = "Reset To Async",
	[DM_REPLICA_OP_RETURN_TO_POOL] = "Return To ResourcePool",
	[DM_REPLICA_OP_REVERSE_ROLES] = "Reverse Roles",
	[DM_REPLICA_OP_SPLIT] = "Split",
	[DM_REPLICA_OP_SUSPEND] = "Suspend",
	[DM_REPLICA_OP_UNPREPARE] = "Unprepare",
	[DM_REPLICA_OP_PREPARE] = "Prepare",
	[DM_REPLICA_OP_RESET_TO_ADAPTIVE] = "Reset To Adaptive",
};

/* The standard's name of operation @op, NULL when it is none of its values. */
VISIBLE_IF_KUNIT const char *dmr_op_name(u16 op)
{
	return op < ARRAY_SIZE(dmr_op_names) ? dmr_op_names[op] : NULL;
}

/* What a group of SyncType @sync_type is called in a message. */
static const char *dmr_sync_type_word(u16 sync_type)
{
	switch (sync_type) {
	case DM_REPLICA_SYNC_MIRROR:
		return "mirror";
	case DM_REPLICA_SYNC_SNAPSHOT:
		return "snapshot";
	case DM_REPLICA_SYNC_CLONE:
		return "clone";
	default:
		return "these";
	}
}

/*
 * Operation @op is not one of the standard's values: Invalid Parameter
 * naming the field. Returns 0 for one of them.
 */
VISIBLE_IF_KUNIT u32 dmr_check_operation(u16 op, char *msg, size_t len)
{
	if (dmr_op_name(op))
		return 0;
	snprintf(msg, len, "Operation: %u is not an operation of ModifyReplicaSynchronization",
		 op);
	return DM_REPLICA_RET_INVALID_PARAM;
}

/* The refusal of operation @op, which the module does not carry out yet. */
VISIBLE_IF_KUNIT u32 dmr_unsupported_op(u16 op, u16 sync_type, char *msg, size_t len)
{
	snprintf(msg, len, "Operation: %s (%u) is not supported for %s groups yet",
		 dmr_op_name(op) ?: "?", op, dmr_sync_type_word(sync_type));
	return DM_REPLICA_RET_NOT_SUPPORTED;
}

/*
 * The group @id that an operation other than Return To ResourcePool or
 * Dissolve is for, as GROUP_GET shows it (the caller frees it); NULL with
 * the refusal in *@res when there is no such group (answered as
 * dmr_group_delete() answers it) or no memory.
 */
static struct dmr_group_info *dmr_modify_group(u32 id, u32 *res, char *msg, size_t len)
{
	struct dmr_group_info *info;

	info = kzalloc(sizeof(*info), GFP_KERNEL);
	if (!info) {
		snprintf(msg, len, "out of memory");
		*res = DM_REPLICA_RET_FAILED;
	} else if (dmr_group_info(id, info, NULL, 0)) {
		kfree(info);
		info = NULL;
		snprintf(msg, len, "Synchronization: no group %u", id);
		*res = DM_REPLICA_RET_INVALID_PARAM;
	}
	return info;
}

/*
 * An operation other than Return To ResourcePool, on group @id: a group
 * that does not exist is answered as dmr_group_delete() answers it, so
 * that the caller learns of the wrong id before it learns that the
 * operation would not have worked anyway. Resync Replica of a snapshot
 * group takes a new point in time, Restore From Replica copies a snapshot
 * or clone group back onto its sources; the others are not supported yet.
 */
static u32 dmr_modify_other(u32 id, u16 op, bool force, struct dmr_job *job, char *msg,
			    size_t len)
{
	struct dmr_group_info *info;
	u32 res;

	info = dmr_modify_group(id, &res, msg, len);
	if (!info)
		return res;
	if (info->flags & DM_REPLICA_GROUP_DISSOLVED &&
	    (op == DM_REPLICA_OP_RESYNC_REPLICA || op == DM_REPLICA_OP_RESTORE_FROM_REPLICA)) {
		/* Worded by group.c; 0 only for a group deleted since. */
		res = dmr_group_refuse_dissolved(id, msg, len);
		if (!res) {
			snprintf(msg, len, "Synchronization: no group %u", id);
			res = DM_REPLICA_RET_INVALID_PARAM;
		}
	} else if (op == DM_REPLICA_OP_RESYNC_REPLICA &&
		   (info->sync_type == DM_REPLICA_SYNC_SNAPSHOT ||
		    info->sync_type == DM_REPLICA_SYNC_CLONE)) {
		res = dmr_group_resync(id, job, msg, len);
	} else if (op == DM_REPLICA_OP_RESTORE_FROM_REPLICA &&
		   (info->sync_type == DM_REPLICA_SYNC_SNAPSHOT ||
		    info->sync_type == DM_REPLICA_SYNC_CLONE)) {
		res = dmr_group_restore(id, force, job, msg, len);
	} else {
		res = dmr_unsupported_op(op, info->sync_type, msg, len);
	}
	kfree(info);
	return res;
}

/*
 * Detach of group @id onto the @n devices at @targets (the user's
 * numbers, checked by group.c), waiting for its copy if @wait. A group
 * that is not a clone group gets the usual refusal of an operation not
 * supported for it.
 */
static u32 dmr_modify_detach(u32 id, const struct dm_replica_dev *targets, u32 n, bool wait,
			     struct dmr_job *job, char *msg, size_t len)
{
	struct dmr_dev_nr devs[DM_REPLICA_MAX_MEMBERS];
	struct dmr_group_info *info;
	u32 i, res;

	info = dmr_modify_group(id, &res, msg, len);
	if (!info)
		return res;
	if (info->sync_type != DM_REPLICA_SYNC_CLONE) {
		res = dmr_unsupported_op(DM_REPLICA_OP_DETACH, info->sync_type, msg, len);
	} else {
		for (i = 0; i < n; i++) {
			devs[i].major = targets[i].major;
			devs[i].minor = targets[i].minor;
		}
		res = dmr_group_detach(id, devs, n, wait, job, msg, len);
	}
	kfree(info);
	return res;
}

/* The DM_REPLICA_MODIFY_* flags this module knows. */
#define DMR_MODIFY_FLAGS	(DM_REPLICA_MODIFY_FORCE | DM_REPLICA_MODIFY_WAIT)

/* DM_REPLICA_IOC_MODIFY_SYNC: ModifyReplicaSynchronization */
VISIBLE_IF_KUNIT int dmr_cmd_modify_sync(struct dm_replica_hdr *hdr)
{
	struct dm_replica_modify_sync *req = container_of(hdr, struct dm_replica_modify_sync, hdr);
	struct dm_replica_dev *targets = NULL;
	struct dmr_job *job;
	int fault = 0;
	u32 res = 0;

	job = dmr_job_new(DM_REPLICA_CMD_MODIFY_SYNC);
	if (!job) {
		dmr_reply(hdr, DM_REPLICA_RET_FAILED, "out of memory");
		return -ENOMEM;
	}
	req->job_id = dmr_job_id(job);
	dmr_job_set_group(job, req->group_id);
	dmr_job_set_sync_operation(job, req->operation);

	if (!dmr_mem_zero(req->reserved, sizeof(req->reserved)) || req->pad2) {
		res = DM_REPLICA_RET_INVALID_PARAM;
		snprintf(hdr->message, sizeof(hdr->message), "%s: must be zero",
			 req->pad2 ? "pad2" : "reserved");
	} else if (req->flags & ~DMR_MODIFY_FLAGS) {
		res = DM_REPLICA_RET_INVALID_PARAM;
		snprintf(hdr->message, sizeof(hdr->message), "flags: unknown flags 0x%x",
			 req->flags & ~DMR_MODIFY_FLAGS);
	} else {
		res = dmr_check_operation(req->operation, hdr->message, sizeof(hdr->message));
		if (!res && req->flags & DM_REPLICA_MODIFY_FORCE &&
		    req->operation != DM_REPLICA_OP_RESTORE_FROM_REPLICA) {
			res = DM_REPLICA_RET_INVALID_PARAM;
			snprintf(hdr->message, sizeof(hdr->message),
				 "flags: force applies to Restore From Replica (15) only");
		}
		if (!res && req->flags & DM_REPLICA_MODIFY_WAIT &&
		    req->operation != DM_REPLICA_OP_DETACH) {
			res = DM_REPLICA_RET_INVALID_PARAM;
			snprintf(hdr->message, sizeof(hdr->message),
				 "flags: wait applies to Detach (8) only");
		}
		if (!res && (req->targets || req->nr_targets) &&
		    req->operation != DM_REPLICA_OP_DETACH) {
			res = DM_REPLICA_RET_INVALID_PARAM;
			snprintf(hdr->message, sizeof(hdr->message),
				 "targets: only Detach (8) takes target devices");
		}
	}
	if (!res && req->nr_targets) {
		if (dmr_check_buffer(hdr, req->targets, req->nr_targets, DM_REPLICA_MAX_MEMBERS,
				     "targets", "nr_targets")) {
			res = hdr->result;
		} else {
			targets = memdup_user(u64_to_user_ptr(req->targets),
					      req->nr_targets * sizeof(*targets));
			if (IS_ERR(targets)) {
				fault = dmr_user_fault(hdr, PTR_ERR(targets), "targets", "read",
						       req->targets);
				res = hdr->result;
				targets = NULL;
			}
		}
	}
	if (!res && req->operation == DM_REPLICA_OP_RETURN_TO_POOL)
		res = dmr_group_delete(req->group_id, job, hdr->message, sizeof(hdr->message));
	else if (!res && req->operation == DM_REPLICA_OP_DISSOLVE)
		res = dmr_group_dissolve(req->group_id, hdr->message, sizeof(hdr->message));
	else if (!res && req->operation == DM_REPLICA_OP_DETACH)
		res = dmr_modify_detach(req->group_id, targets, req->nr_targets,
					req->flags & DM_REPLICA_MODIFY_WAIT, job, hdr->message,
					sizeof(hdr->message));
	else if (!res)
		res = dmr_modify_other(req->group_id, req->operation,
				       req->flags & DM_REPLICA_MODIFY_FORCE, job, hdr->message,
				       sizeof(hdr->message));
	kfree(targets);

	hdr->result = res;
	if (res == DM_REPLICA_RET_JOB_STARTED)
		;	/* the job runs on, and ends itself */
	else if (res)
		dmr_job_end(job, DM_REPLICA_JOB_EXCEPTION, res, "%s", hdr->message);
	else if (req->operation == DM_REPLICA_OP_RETURN_TO_POOL)
		dmr_job_end(job, DM_REPLICA_JOB_COMPLETED, DM_REPLICA_RET_OK,
			    "group returned to the pool");
	else
		dmr_job_end(job, DM_REPLICA_JOB_COMPLETED, DM_REPLICA_RET_OK, "%s",
			    hdr->message);
	dmr_job_put(job);
	return fault ?: dmr_result_errno(res);
}

/* DM_REPLICA_IOC_CHANGED_CHUNKS: the chunks of a clone changed since its point in time */
VISIBLE_IF_KUNIT int dmr_cmd_changed_chunks(struct dm_replica_hdr *hdr)
{
	struct dm_replica_changed *req = container_of(hdr, struct dm_replica_changed, hdr);
	struct dm_replica_range *out = NULL;
	struct dmr_change_query q = {};
	u32 i, res;
	int r = 0;

	if (!dmr_u64_zero(req->reserved, ARRAY_SIZE(req->reserved), hdr))
		return -EINVAL;
	if (req->pad) {
		dmr_reply(hdr, DM_REPLICA_RET_INVALID_PARAM, "pad: must be zero");
		return -EINVAL;
	}
	if (!req->ranges_cap) {
		dmr_reply(hdr, DM_REPLICA_RET_INVALID_PARAM, "ranges_cap: 0, at least 1");
		return -EINVAL;
	}
	if (dmr_check_buffer(hdr, req->ranges, req->ranges_cap, DM_REPLICA_MAX_RANGES, "ranges",
			     "ranges_cap"))
		return -EINVAL;
	if (!req->member) {
		dmr_reply(hdr, DM_REPLICA_RET_INVALID_PARAM, "member: 0, members count from 1");
		return -EINVAL;
	}
	q.member = req->member - 1;
	q.start = req->start;
	q.cap = req->ranges_cap;
	q.ranges = kvcalloc(q.cap, sizeof(*q.ranges), GFP_KERNEL);
	out = kvcalloc(q.cap, sizeof(*out), GFP_KERNEL);
	if (!q.ranges || !out) {
		r = -ENOMEM;
		goto free;
	}
	res = dmr_group_changes(req->group_id, &q, hdr->message, sizeof(hdr->message));
	hdr->result = res;
	if (res)
		goto free;
	for (i = 0; i < q.nr; i++) {
		out[i].start = q.ranges[i].start;
		out[i].count = q.ranges[i].count;
		out[i].sides = q.ranges[i].sides;
	}
	req->nr_ranges = q.nr;
	req->chunk_sectors = q.chunk_sectors;
	req->nr_chunks = q.nr_chunks;
	req->next = q.next;
	if (copy_to_user(u64_to_user_ptr(req->ranges), out, q.nr * sizeof(*out)))
		r = dmr_user_fault(hdr, -EFAULT, "ranges", "write to", req->ranges);
free:
	kvfree(out);
	kvfree(q.ranges);
	return r;
}

/*
 * struct dmr_cmd - one control command
 * @nr:       the command number (DM_REPLICA_CMD_*).
 * @size:     sizeof() the request struct as this kernel knows it.
 * @min_size: the smallest @size an older caller may pass: the size of the
 *            struct when the command was introduced.
 * @job_off:  for a command that starts a job, the offset of its job_id
 *            field; 0 for the others.
 * @fn:       the handler; returns 0 or a negative errno and has set
 *            hdr->result and hdr->message in either case.
 */
struct dmr_cmd {
	unsigned int nr;
	size_t size;
	size_t min_size;
	size_t job_off;
	int (*fn)(struct dm_replica_hdr *hdr);
};

static const struct dmr_cmd dmr_cmds[] = {
	{ DM_REPLICA_CMD_VERSION, sizeof(struct dm_replica_version),
	  sizeof(struct dm_replica_version), 0, dmr_cmd_version },
	{ DM_REPLICA_CMD_CREATE_GROUP, sizeof(struct dm_replica_create_group),
	  sizeof(struct dm_replica_create_group),
	  offsetof(struct dm_replica_create_group, job_id), dmr_cmd_create_group },
	{ DM_REPLICA_CMD_JOB_GET, sizeof(struct dm_replica_job),
	  sizeof(struct dm_replica_job), 0, dmr_cmd_job_get },
	{ DM_REPLICA_CMD_JOB_WAIT, sizeof(struct dm_replica_job),
	  sizeof(struct dm_replica_job), 0, dmr_cmd_job_wait },
	{ DM_REPLICA_CMD_JOB_CANCEL, sizeof(struct dm_replica_job),
	  sizeof(struct dm_replica_job), 0, dmr_cmd_job_cancel },
	{ DM_REPLICA_CMD_GROUP_LIST, sizeof(struct dm_replica_group_list),
	  sizeof(struct dm_replica_group_list), 0, dmr_cmd_group_list },
	{ DM_REPLICA_CMD_GROUP_GET, sizeof(struct dm_replica_group),
	  sizeof(struct dm_replica_group), 0, dmr_cmd_group_get },
	{ DM_REPLICA_CMD_MODIFY_SYNC, sizeof(struct dm_replica_modify_sync),
	  sizeof(struct dm_replica_modify_sync),
	  offsetof(struct dm_replica_modify_sync, job_id), dmr_cmd_modify_sync },
	{ DM_REPLICA_CMD_CHANGED_CHUNKS, sizeof(struct dm_replica_changed),
	  sizeof(struct dm_replica_changed), 0, dmr_cmd_changed_chunks },
};

/*
 * After a command that starts jobs: a call refused before its handler made
 * a job gets one now (every call has a job, the documentation promises),
 * and a job whose end the answer carries counts as told. @usize: what the
 * caller knows of the struct.
 */
static void dmr_cmd_job_done(const struct dmr_cmd *c, struct dm_replica_hdr *hdr, u32 usize)
{
	u64 *job_id = (u64 *)((char *)hdr + c->job_off);

	/* Only a job id the caller will read back. */
	if (!c->job_off || usize < c->job_off + sizeof(*job_id))
		return;
	if (!*job_id && hdr->result != DM_REPLICA_RET_OK)
		*job_id = dmr_job_refused(c->nr, hdr->result, hdr->message);
	else if (*job_id && hdr->result != DM_REPLICA_RET_JOB_STARTED)
		dmr_job_told(*job_id);
}

static const struct dmr_cmd *dmr_find_cmd(unsigned int cmd)
{
	unsigned int i;

	if (_IOC_TYPE(cmd) != DM_REPLICA_IOC_MAGIC ||
	    _IOC_DIR(cmd) != (_IOC_READ | _IOC_WRITE))
		return NULL;

	for (i = 0; i < ARRAY_SIZE(dmr_cmds); i++)
		if (dmr_cmds[i].nr == _IOC_NR(cmd))
			return &dmr_cmds[i];
	return NULL;
}

static long dmr_ctl_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct dm_replica_hdr __user *uhdr = (void __user *)arg;
	const struct dmr_cmd *c;
	struct dm_replica_hdr *hdr;
	u32 usize;
	int r;

	c = dmr_find_cmd(cmd);
	if (!c)
		return -ENOTTY;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;

	if (get_user(usize, &uhdr->size))
		return -EFAULT;
	/* Too small to carry even the answer: nothing can be written back. */
	if (usize < sizeof(*hdr))
		return -EINVAL;
	if (usize > DMR_MAX_REQUEST_SIZE)
		return -E2BIG;

	hdr = kzalloc(c->size, GFP_KERNEL);
	if (!hdr)
		return -ENOMEM;

	r = copy_struct_from_user(hdr, c->size, uhdr, usize);
	if (r == -E2BIG) {
		/*
		 * A newer caller asked for something this kernel does not
		 * know. Answer in the header alone and leave the rest of
		 * the caller's struct untouched.
		 */
		if (copy_from_user(hdr, uhdr, sizeof(*hdr)) ||
		    copy_to_user(uhdr, hdr, sizeof(*hdr))) {
			r = -EFAULT;
			goto out;
		}
		dmr_check_hdr(hdr);
		dmr_reply(hdr, DM_REPLICA_RET_INVALID_PARAM,
			  "hdr.size: %u bytes, and those past the %zu this kernel knows are not zero",
			  usize, c->size);
		if (copy_to_user(uhdr, hdr, sizeof(*hdr)))
			r = -EFAULT;
		goto out;
	}
	if (r)
		goto out;
	/*
	 * Make sure the answer can be delivered before acting: a create or
	 * delete whose struct is read-only must not be done with its caller
	 * never learning the group or the job. Writing back what was read
	 * changes nothing and faults the pages in writable.
	 */
	if (copy_to_user(uhdr, hdr, min_t(size_t, usize, c->size))) {
		r = -EFAULT;
		goto out;
	}

	/* job_id is an output: what the caller left there is not a job. */
	if (c->job_off)
		*(u64 *)((char *)hdr + c->job_off) = 0;

	if (usize < c->min_size) {
		r = -EINVAL;
		dmr_check_hdr(hdr);
		dmr_reply(hdr, DM_REPLICA_RET_INVALID_PARAM,
			  "hdr.size: %u bytes, this command needs at least %zu",
			  usize, c->min_size);
	} else {
		r = dmr_check_hdr(hdr);
		if (!r)
			r = c->fn(hdr);
		/* A handler that failed without saying why ran out of something. */
		if (r == -ENOMEM && hdr->result == DM_REPLICA_RET_OK)
			dmr_reply(hdr, DM_REPLICA_RET_FAILED, "out of memory");
		else if (r && hdr->result == DM_REPLICA_RET_OK)
			dmr_reply(hdr, DM_REPLICA_RET_FAILED, "failed: %d", r);
		r = r ?: dmr_result_errno(hdr->result);
	}
	dmr_cmd_job_done(c, hdr, usize);

	/* Write back as much as the caller knows of. */
	if (copy_to_user(uhdr, hdr, min_t(size_t, usize, c->size)))
		r = -EFAULT;
out:
	kfree(hdr);
	return r;
}

static const struct file_operations dmr_ctl_fops = {
	.owner = THIS_MODULE,
	.open = nonseekable_open,
	.unlocked_ioctl = dmr_ctl_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice dmr_ctl_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = DM_REPLICA_CONTROL_NAME,
	.nodename = DM_REPLICA_CONTROL_NAME,
	.mode = 0600,
	.fops = &dmr_ctl_fops,
};

int dmr_control_init(void)
{
	int r = misc_register(&dmr_ctl_misc);

	if (r)
		DMERR("cannot register the control device: %d", r);
	return r;
}

void dmr_control_exit(void)
{
	misc_deregister(&dmr_ctl_misc);
}
