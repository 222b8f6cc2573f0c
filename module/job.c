// SPDX-License-Identifier: GPL-2.0
/*
 * dm-replica: jobs (CIM_ConcreteJob).
 *
 * The job table is a list under dmr_jobs_lock (a spinlock: jobs are
 * updated from workers and read from ioctls). A job is freed when it has
 * been removed from the table and its last reference is put. Waiters
 * sleep on dmr_job_wq, woken at every job end.
 */
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/timekeeping.h>
#include <linux/wait.h>

#include "dm-replica.h"
#include "job.h"

static unsigned int job_keep_seconds = 300;
module_param(job_keep_seconds, uint, 0644);
MODULE_PARM_DESC(job_keep_seconds,
		 "Seconds a finished job stays queryable (TimeBeforeRemoval), default 300");

/*
 * struct dmr_job - one job; every field but @list and @ref is protected
 * by dmr_jobs_lock.
 */
struct dmr_job {
	struct list_head list;
	struct kref ref;
	u64 id;
	u32 operation;
	u32 group_id;
	u16 state;
	u16 percent;
	u16 cancel;
	u32 error;
	u64 submitted_ns;
	u64 start_ns;
	u64 start_mono;
	u64 end_mono;
	u64 hold_ns;
	char desc[DM_REPLICA_MESSAGE_LEN];
};

static DEFINE_SPINLOCK(dmr_jobs_lock);
static LIST_HEAD(dmr_jobs);
static u64 dmr_job_next_id = 1;
static DECLARE_WAIT_QUEUE_HEAD(dmr_job_wq);

bool dmr_job_state_final(u16 state)
{
	return state == DM_REPLICA_JOB_COMPLETED || state == DM_REPLICA_JOB_TERMINATED ||
		state == DM_REPLICA_JOB_KILLED || state == DM_REPLICA_JOB_EXCEPTION;
}

/*
 * The transitions a job makes here: New -> Running; New or Running -> an
 * end state. End states are final.
 */
bool dmr_job_transition_ok(u16 from, u16 to)
{
	switch (from) {
	case DM_REPLICA_JOB_NEW:
		return to == DM_REPLICA_JOB_RUNNING || dmr_job_state_final(to);
	case DM_REPLICA_JOB_RUNNING:
		return dmr_job_state_final(to);
	default:
		return false;
	}
}

static void dmr_job_free(struct kref *ref)
{
	kfree(container_of(ref, struct dmr_job, ref));
}

void dmr_job_get_ref(struct dmr_job *job)
{
	kref_get(&job->ref);
}

void dmr_job_put(struct dmr_job *job)
{
	kref_put(&job->ref, dmr_job_free);
}

/* Drop ended jobs whose time is up. dmr_jobs_lock held. */
static void __dmr_job_gc(struct list_head *dead)
{
	u64 keep = (u64)job_keep_seconds * NSEC_PER_SEC, now = ktime_get_ns();
	struct dmr_job *job, *tmp;

	list_for_each_entry_safe(job, tmp, &dmr_jobs, list)
		if (dmr_job_state_final(job->state) && now - job->end_mono >= keep)
			list_move(&job->list, dead);
}

static void dmr_job_gc(void)
{
	struct dmr_job *job, *tmp;
	LIST_HEAD(dead);

	spin_lock(&dmr_jobs_lock);
	__dmr_job_gc(&dead);
	spin_unlock(&dmr_jobs_lock);
	list_for_each_entry_safe(job, tmp, &dead, list) {
		list_del(&job->list);
		dmr_job_put(job);
	}
}

struct dmr_job *dmr_job_new(u32 operation)
{
	struct dmr_job *job;

	dmr_job_gc();
	job = kzalloc(sizeof(*job), GFP_KERNEL);
	if (!job)
		return NULL;
	kref_init(&job->ref);
	kref_get(&job->ref);	/* the table's */
	job->operation = operation;
	job->state = DM_REPLICA_JOB_NEW;
	job->submitted_ns = ktime_get_real_ns();
	spin_lock(&dmr_jobs_lock);
	job->id = dmr_job_next_id++;
	list_add_tail(&job->list, &dmr_jobs);
	spin_unlock(&dmr_jobs_lock);
	return job;
}

u64 dmr_job_id(struct dmr_job *job)
{
	return job->id;
}

void dmr_job_set_group(struct dmr_job *job, u32 group_id)
{
	spin_lock(&dmr_jobs_lock);
	job->group_id = group_id;
	spin_unlock(&dmr_jobs_lock);
}

void dmr_job_start(struct dmr_job *job)
{
	spin_lock(&dmr_jobs_lock);
	if (!WARN_ON(!dmr_job_transition_ok(job->state, DM_REPLICA_JOB_RUNNING))) {
		job->state = DM_REPLICA_JOB_RUNNING;
		job->start_ns = ktime_get_real_ns();
		job->start_mono = ktime_get_ns();
	}
	spin_unlock(&dmr_jobs_lock);
}

void dmr_job_progress(struct dmr_job *job, unsigned int percent)
{
	spin_lock(&dmr_jobs_lock);
	job->percent = min(percent, 100U);
	spin_unlock(&dmr_jobs_lock);
}

void dmr_job_set_hold(struct dmr_job *job, u64 hold_ns)
{
	spin_lock(&dmr_jobs_lock);
	job->hold_ns = hold_ns;
	spin_unlock(&dmr_jobs_lock);
}

u16 dmr_job_cancel_requested(struct dmr_job *job)
{
	u16 r;

	spin_lock(&dmr_jobs_lock);
	r = job->cancel;
	spin_unlock(&dmr_jobs_lock);
	return r;
}

void dmr_job_end(struct dmr_job *job, u16 state, u32 error, const char *fmt, ...)
{
	va_list args;

	spin_lock(&dmr_jobs_lock);
	if (WARN_ON(!dmr_job_transition_ok(job->state, state))) {
		spin_unlock(&dmr_jobs_lock);
		return;
	}
	if (!job->start_mono) {
		job->start_ns = ktime_get_real_ns();
		job->start_mono = ktime_get_ns();
	}
	job->state = state;
	job->error = error;
	if (state == DM_REPLICA_JOB_COMPLETED)
		job->percent = 100;
	job->end_mono = ktime_get_ns();
	va_start(args, fmt);
	vsnprintf(job->desc, sizeof(job->desc), fmt, args);
	va_end(args);
	spin_unlock(&dmr_jobs_lock);
	wake_up_all(&dmr_job_wq);
}

static struct dmr_job *__dmr_job_find(u64 id)
{
	struct dmr_job *job;

	list_for_each_entry(job, &dmr_jobs, list)
		if (job->id == id)
			return job;
	return NULL;
}

static void __dmr_job_fill(struct dmr_job *job, struct dm_replica_job *out)
{
	u64 now = ktime_get_ns();

	out->job_state = job->state;
	out->percent_complete = job->percent;
	out->error_code = job->error;
	out->group_id = job->group_id;
	out->operation = job->operation;
	out->time_submitted_ns = job->submitted_ns;
	out->start_time_ns = job->start_ns;
	out->elapsed_ns = !job->start_mono ? 0 :
		(dmr_job_state_final(job->state) ? job->end_mono : now) - job->start_mono;
	out->time_before_removal_ns = (u64)job_keep_seconds * NSEC_PER_SEC;
	out->barrier_hold_ns = job->hold_ns;
	strscpy(out->error_description, job->desc, sizeof(out->error_description));
}

int dmr_job_info(u64 id, struct dm_replica_job *out)
{
	struct dmr_job *job;
	int r = -ENOENT;

	dmr_job_gc();
	spin_lock(&dmr_jobs_lock);
	job = __dmr_job_find(id);
	if (job) {
		__dmr_job_fill(job, out);
		r = 0;
	}
	spin_unlock(&dmr_jobs_lock);
	return r;
}

/* Has job @id ended (or gone)? For wait_event. */
static bool dmr_job_ended(u64 id)
{
	struct dmr_job *job;
	bool r;

	spin_lock(&dmr_jobs_lock);
	job = __dmr_job_find(id);
	r = !job || dmr_job_state_final(job->state);
	spin_unlock(&dmr_jobs_lock);
	return r;
}

int dmr_job_wait(u64 id, unsigned int timeout_ms, struct dm_replica_job *out)
{
	long t;
	int r;

	r = dmr_job_info(id, out);
	if (r || dmr_job_state_final(out->job_state))
		return r;
	t = wait_event_interruptible_timeout(dmr_job_wq, dmr_job_ended(id),
					     msecs_to_jiffies(timeout_ms));
	r = dmr_job_info(id, out);
	if (r)
		return r;
	if (t < 0)
		return t;
	return dmr_job_state_final(out->job_state) ? 0 : -ETIMEDOUT;
}

int dmr_job_cancel(u64 id, u16 request, struct dm_replica_job *out)
{
	struct dmr_job *job;
	int r = -ENOENT;

	spin_lock(&dmr_jobs_lock);
	job = __dmr_job_find(id);
	if (job) {
		r = dmr_job_state_final(job->state) ? -EALREADY : 0;
		if (!r && !job->cancel)
			job->cancel = request;
		__dmr_job_fill(job, out);
	}
	spin_unlock(&dmr_jobs_lock);
	return r;
}

int dmr_job_init(void)
{
	return 0;
}

void dmr_job_exit(void)
{
	struct dmr_job *job, *tmp;

	list_for_each_entry_safe(job, tmp, &dmr_jobs, list) {
		list_del(&job->list);
		WARN_ON(!dmr_job_state_final(job->state));
		dmr_job_put(job);
	}
}
