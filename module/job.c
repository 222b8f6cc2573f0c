// SPDX-License-Identifier: GPL-2.0
/*
 * dm-replica: jobs (CIM_ConcreteJob).
 *
 * The job table is an xarray indexed by job id (dmr_jobs), so that a
 * lookup costs the same however many jobs there are. Every field of a job
 * but @ref, and the list of finished jobs, are protected by dmr_jobs_lock
 * (a spinlock: jobs are updated from workers and read from ioctls); the
 * xarray is changed only under dmr_jobs_lock too, with its own lock nested
 * inside it, except for the insertion of a new job, which takes the
 * xarray's lock alone.
 *
 * A job is freed when it has been removed from the table and its last
 * reference is put. Running jobs stay in the table. Finished jobs are kept
 * in the order they ended (dmr_jobs_done), and those whose end has been
 * told to a caller also in the order they were told (dmr_jobs_told). When
 * more than job_keep_max are kept, the first to have ended is removed;
 * a job told job_keep_seconds ago is removed. A job whose end nobody has
 * been told yet stays (bounded by job_keep_max), so that the caller of a
 * request learns how its job ended even with job_keep_seconds=0. Waiters
 * hold a reference to the job they wait on and sleep on dmr_job_wq, woken
 * at every job end.
 */
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/timekeeping.h>
#include <linux/wait.h>
#include <linux/xarray.h>

#include "dm-replica.h"
#include "job.h"

static unsigned int job_keep_seconds = 300;
module_param(job_keep_seconds, uint, 0644);
MODULE_PARM_DESC(job_keep_seconds,
		 "Seconds a finished job stays queryable (TimeBeforeRemoval), default 300");

static unsigned int job_keep_max = DMR_JOB_KEEP_MAX;
module_param(job_keep_max, uint, 0644);
MODULE_PARM_DESC(job_keep_max,
		 "Most finished jobs kept; beyond it the oldest finished is removed, default 1024");

/*
 * struct dmr_job - one job; every field but @ref is protected by
 * dmr_jobs_lock.
 * @done:      entry in dmr_jobs_done once the job has ended and while it
 *             is in the table.
 * @told_list: entry in dmr_jobs_told once @told, while in the table.
 * @told:      its end state has been given to a caller, at @told_mono.
 * @gone:      removed from the table.
 */
struct dmr_job {
	struct list_head done;
	struct list_head told_list;
	struct kref ref;
	u64 id;
	u32 operation;
	u32 group_id;
	u16 sync_operation;
	u16 state;
	u16 percent;
	u16 cancel;
	u16 copy_state;
	bool told;
	bool gone;
	u32 error;
	u64 submitted_ns;
	u64 start_ns;
	u64 start_mono;
	u64 end_mono;
	u64 hold_ns;
	u64 told_mono;
	char desc[DM_REPLICA_MESSAGE_LEN];
};

static DEFINE_SPINLOCK(dmr_jobs_lock);
static DEFINE_XARRAY(dmr_jobs);
static LIST_HEAD(dmr_jobs_done);
static LIST_HEAD(dmr_jobs_told);
static unsigned int dmr_jobs_nr_done;
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

/*
 * Take a finished job out of the table; its table reference goes to @dead
 * (through @done), to be put once dmr_jobs_lock is released.
 */
static void __dmr_job_remove(struct dmr_job *job, struct list_head *dead)
{
	lockdep_assert_held(&dmr_jobs_lock);
	xa_erase(&dmr_jobs, job->id);
	job->gone = true;
	list_del_init(&job->told_list);
	list_move_tail(&job->done, dead);
	dmr_jobs_nr_done--;
}

/*
 * Remove finished jobs: the first to have ended beyond job_keep_max, and
 * those told job_keep_seconds ago. Both lists are in order, so each call
 * costs only what it removes.
 */
static void __dmr_job_gc(struct list_head *dead)
{
	u64 keep = (u64)READ_ONCE(job_keep_seconds) * NSEC_PER_SEC, now = ktime_get_ns();
	struct dmr_job *job;

	lockdep_assert_held(&dmr_jobs_lock);
	while (dmr_jobs_nr_done > READ_ONCE(job_keep_max))
		__dmr_job_remove(list_first_entry(&dmr_jobs_done, struct dmr_job, done), dead);
	while (!list_empty(&dmr_jobs_told)) {
		job = list_first_entry(&dmr_jobs_told, struct dmr_job, told_list);
		if (now - job->told_mono < keep)
			break;
		__dmr_job_remove(job, dead);
	}
}

static void dmr_job_put_dead(struct list_head *dead)
{
	struct dmr_job *job, *tmp;

	list_for_each_entry_safe(job, tmp, dead, done) {
		list_del_init(&job->done);
		dmr_job_put(job);
	}
}

static void dmr_job_gc(void)
{
	LIST_HEAD(dead);

	spin_lock(&dmr_jobs_lock);
	__dmr_job_gc(&dead);
	spin_unlock(&dmr_jobs_lock);
	dmr_job_put_dead(&dead);
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
	INIT_LIST_HEAD(&job->done);
	INIT_LIST_HEAD(&job->told_list);
	job->operation = operation;
	job->state = DM_REPLICA_JOB_NEW;
	job->submitted_ns = ktime_get_real_ns();
	spin_lock(&dmr_jobs_lock);
	job->id = dmr_job_next_id++;
	spin_unlock(&dmr_jobs_lock);
	/* Nobody knows the id yet: no lookup can miss the job meanwhile. */
	if (xa_insert(&dmr_jobs, job->id, job, GFP_KERNEL)) {
		kfree(job);
		return NULL;
	}
	return job;
}

/* A job for a call refused before it reached its handler's job. */
u64 dmr_job_refused(u32 operation, u32 result, const char *desc)
{
	struct dmr_job *job = dmr_job_new(operation);
	u64 id;

	if (!job)
		return 0;
	id = dmr_job_id(job);
	dmr_job_end(job, DM_REPLICA_JOB_EXCEPTION, result, "%s", desc);
	dmr_job_told(id);
	dmr_job_put(job);
	return id;
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

void dmr_job_set_sync_operation(struct dmr_job *job, u16 op)
{
	spin_lock(&dmr_jobs_lock);
	job->sync_operation = op;
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

void dmr_job_set_copy_state(struct dmr_job *job, u16 copy_state)
{
	spin_lock(&dmr_jobs_lock);
	job->copy_state = copy_state;
	spin_unlock(&dmr_jobs_lock);
	wake_up_all(&dmr_job_wq);
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
	LIST_HEAD(dead);
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
	if (!job->gone) {
		list_add_tail(&job->done, &dmr_jobs_done);
		dmr_jobs_nr_done++;
	}
	__dmr_job_gc(&dead);
	spin_unlock(&dmr_jobs_lock);
	dmr_job_put_dead(&dead);
	wake_up_all(&dmr_job_wq);
}

/* The job @id, or NULL. dmr_jobs_lock held. */
static struct dmr_job *__dmr_job_find(u64 id)
{
	lockdep_assert_held(&dmr_jobs_lock);
	if (id > ULONG_MAX)
		return NULL;
	return xa_load(&dmr_jobs, id);
}

/* An ended job's end has been told: its keep time starts. dmr_jobs_lock held. */
static void __dmr_job_set_told(struct dmr_job *job)
{
	if (job->told || job->gone || !dmr_job_state_final(job->state))
		return;
	job->told = true;
	job->told_mono = ktime_get_ns();
	list_add_tail(&job->told_list, &dmr_jobs_told);
}

/* dmr_jobs_lock held. */
static void __dmr_job_fill(struct dmr_job *job, struct dmr_job_status *out)
{
	u64 now = ktime_get_ns();

	out->job_state = job->state;
	out->percent_complete = job->percent;
	out->error_code = job->error;
	out->group_id = job->group_id;
	out->operation = job->operation;
	out->sync_operation = job->sync_operation;
	out->time_submitted_ns = job->submitted_ns;
	out->start_time_ns = job->start_ns;
	out->elapsed_ns = !job->start_mono ? 0 :
		(dmr_job_state_final(job->state) ? job->end_mono : now) - job->start_mono;
	out->time_before_removal_ns = (u64)job_keep_seconds * NSEC_PER_SEC;
	out->barrier_hold_ns = job->hold_ns;
	strscpy(out->error_description, job->desc, sizeof(out->error_description));
	__dmr_job_set_told(job);
}

void dmr_job_told(u64 id)
{
	struct dmr_job *job;

	spin_lock(&dmr_jobs_lock);
	job = __dmr_job_find(id);
	if (job)
		__dmr_job_set_told(job);
	spin_unlock(&dmr_jobs_lock);
}

int dmr_job_info(u64 id, struct dmr_job_status *out)
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

bool dmr_job_ended(struct dmr_job *job)
{
	bool r;

	spin_lock(&dmr_jobs_lock);
	r = dmr_job_state_final(job->state);
	spin_unlock(&dmr_jobs_lock);
	return r;
}

/*
 * Has the job ended, or, with @copy_state below Synchronized, has its
 * work reached that CopyState? A job is Synchronized only when it ends.
 */
static bool __dmr_job_reached(struct dmr_job *job, u16 copy_state)
{
	lockdep_assert_held(&dmr_jobs_lock);
	return dmr_job_state_final(job->state) ||
		(copy_state && copy_state < DM_REPLICA_COPY_SYNCHRONIZED &&
		 job->copy_state >= copy_state);
}

static bool dmr_job_reached(struct dmr_job *job, u16 copy_state)
{
	bool r;

	spin_lock(&dmr_jobs_lock);
	r = __dmr_job_reached(job, copy_state);
	spin_unlock(&dmr_jobs_lock);
	return r;
}

int dmr_job_wait_state(struct dmr_job *job, u16 copy_state, unsigned int timeout_ms,
		       struct dmr_job_status *out)
{
	long t;
	bool r;

	t = wait_event_interruptible_timeout(dmr_job_wq, dmr_job_reached(job, copy_state),
					     msecs_to_jiffies(timeout_ms));
	/* Filled from the job itself: it may have left the table meanwhile. */
	spin_lock(&dmr_jobs_lock);
	__dmr_job_fill(job, out);
	r = __dmr_job_reached(job, copy_state);
	spin_unlock(&dmr_jobs_lock);
	if (r)
		return 0;
	return t < 0 ? t : -ETIMEDOUT;
}

int dmr_job_wait_job(struct dmr_job *job, unsigned int timeout_ms, struct dmr_job_status *out)
{
	return dmr_job_wait_state(job, 0, timeout_ms, out);
}

int dmr_job_wait(u64 id, unsigned int timeout_ms, struct dmr_job_status *out)
{
	struct dmr_job *job;
	int r;

	dmr_job_gc();
	spin_lock(&dmr_jobs_lock);
	job = __dmr_job_find(id);
	if (job)
		dmr_job_get_ref(job);
	spin_unlock(&dmr_jobs_lock);
	if (!job)
		return -ENOENT;
	r = dmr_job_wait_job(job, timeout_ms, out);
	dmr_job_put(job);
	return r;
}

int dmr_job_cancel(u64 id, u16 request, struct dmr_job_status *out)
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
	/* For dmr_job_wait_other(): a cancelled job stops waiting. */
	if (!r)
		wake_up_all(&dmr_job_wq);
	return r;
}

static bool dmr_job_other_ended(struct dmr_job *job, struct dmr_job *other)
{
	bool r;

	spin_lock(&dmr_jobs_lock);
	r = job->cancel || dmr_job_state_final(other->state);
	spin_unlock(&dmr_jobs_lock);
	return r;
}

int dmr_job_wait_other(struct dmr_job *job, struct dmr_job *other)
{
	/* Interruptible: no hung-task report however long it waits. */
	if (wait_event_interruptible(dmr_job_wq, dmr_job_other_ended(job, other)) ||
	    dmr_job_cancel_requested(job))
		return -ECANCELED;
	return 0;
}

#ifdef DMR_KUNIT_TEST
/* For the KUnit suite: set job_keep_max, return the old value. */
unsigned int dmr_job_set_keep_max(unsigned int max)
{
	unsigned int old = job_keep_max;
	LIST_HEAD(dead);

	spin_lock(&dmr_jobs_lock);
	WRITE_ONCE(job_keep_max, max);
	__dmr_job_gc(&dead);
	spin_unlock(&dmr_jobs_lock);
	dmr_job_put_dead(&dead);
	return old;
}

/* For the KUnit suite: set job_keep_seconds, return the old value. */
unsigned int dmr_job_set_keep_seconds(unsigned int seconds)
{
	unsigned int old = job_keep_seconds;

	WRITE_ONCE(job_keep_seconds, seconds);
	return old;
}

/* For the KUnit suite: the number of finished jobs in the table. */
unsigned int dmr_job_nr_done(void)
{
	unsigned int n;

	spin_lock(&dmr_jobs_lock);
	n = dmr_jobs_nr_done;
	spin_unlock(&dmr_jobs_lock);
	return n;
}
#endif

int dmr_job_init(void)
{
	return 0;
}

void dmr_job_exit(void)
{
	struct dmr_job *job;
	unsigned long id;

	xa_for_each(&dmr_jobs, id, job) {
		xa_erase(&dmr_jobs, id);
		WARN_ON(!dmr_job_state_final(job->state));
		dmr_job_put(job);
	}
	xa_destroy(&dmr_jobs);
}
