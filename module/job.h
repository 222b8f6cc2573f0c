/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dm-replica: jobs (CIM_ConcreteJob).
 *
 * Every create or modify request gets a job; the work it starts reports
 * through it. A finished job stays queryable for job_keep_seconds (the
 * standard's TimeBeforeRemoval, 5 minutes by default) once its end has
 * been told to a caller, then is removed; at most job_keep_max finished
 * jobs are kept, the oldest finished removed first. Running jobs stay.
 * All functions take the job table's spinlock; those that wait say so.
 */
#ifndef DM_REPLICA_JOB_H
#define DM_REPLICA_JOB_H

#include <linux/types.h>

#include <uapi/linux/dm-replica.h>

struct dmr_job;

/* Default of the job_keep_max module parameter. */
#define DMR_JOB_KEEP_MAX	1024

/* A new job in state New; the caller holds a reference. */
struct dmr_job *dmr_job_new(u32 operation);
void dmr_job_get_ref(struct dmr_job *job);
void dmr_job_put(struct dmr_job *job);
u64 dmr_job_id(struct dmr_job *job);
void dmr_job_set_group(struct dmr_job *job, u32 group_id);
/* The Operation of a ModifyReplicaSynchronization job. */
void dmr_job_set_sync_operation(struct dmr_job *job, u16 op);

/* New -> Running. */
void dmr_job_start(struct dmr_job *job);
void dmr_job_progress(struct dmr_job *job, unsigned int percent);
void dmr_job_set_hold(struct dmr_job *job, u64 hold_ns);
/*
 * The CopyState the job's work has reached (a clone's creation:
 * Unsynchronized once its point in time is taken), for the callers that
 * wait for it; Synchronized is reached only by the job's end.
 */
void dmr_job_set_copy_state(struct dmr_job *job, u16 copy_state);

/* Is the job in an end state? */
bool dmr_job_ended(struct dmr_job *job);
/* The RequestStateChange asked for (Terminate, Kill), or 0. */
u16 dmr_job_cancel_requested(struct dmr_job *job);

/* Running (or New) -> @state, one of Completed, Terminated, Killed,
 * Exception, with the SMI-S @error and its description.
 */
__printf(4, 5)
void dmr_job_end(struct dmr_job *job, u16 state, u32 error, const char *fmt, ...);

/*
 * A job for a call refused before it got one: ended in Exception with
 * @result and @desc at once, its end told. Returns its id, 0 without
 * memory.
 */
u64 dmr_job_refused(u32 operation, u32 result, const char *desc);
/* The caller of the request has been answered with the job's end. */
void dmr_job_told(u64 id);

/*
 * struct dmr_job_status - what a job shows (CIM_ConcreteJob); control.c
 * turns it into the JOB_GET answer.
 * @operation:        DM_REPLICA_CMD_* of the call that started the job.
 * @sync_operation:   its Operation, for ModifyReplicaSynchronization.
 * @time_submitted_ns, @start_time_ns: CLOCK_REALTIME; 0 before the start.
 * @elapsed_ns:       time running, up to the end.
 */
struct dmr_job_status {
	u16 job_state;
	u16 percent_complete;
	u32 error_code;
	u32 group_id;
	u32 operation;
	u16 sync_operation;
	u64 time_submitted_ns;
	u64 start_time_ns;
	u64 elapsed_ns;
	u64 time_before_removal_ns;
	u64 barrier_hold_ns;
	char error_description[DM_REPLICA_MESSAGE_LEN];
};

/*
 * Control commands: fill @out whenever the job exists; -ENOENT for an
 * unknown job (@out untouched).
 */
int dmr_job_info(u64 id, struct dmr_job_status *out);
/* Waits, interruptibly: -ETIMEDOUT, -ERESTARTSYS. */
int dmr_job_wait(u64 id, unsigned int timeout_ms, struct dmr_job_status *out);
/* Likewise, for a job the caller holds a reference to. */
int dmr_job_wait_job(struct dmr_job *job, unsigned int timeout_ms, struct dmr_job_status *out);
/*
 * Likewise, but return as well once the job has reached @copy_state, if
 * that is Initialized or Unsynchronized (see dmr_job_set_copy_state()).
 */
int dmr_job_wait_state(struct dmr_job *job, u16 copy_state, unsigned int timeout_ms,
		       struct dmr_job_status *out);
/* -EALREADY when the job has ended. */
int dmr_job_cancel(u64 id, u16 request, struct dmr_job_status *out);
/*
 * For the work of @job: wait until @other (a reference held) has ended.
 * -ECANCELED when @job's cancellation was asked first (or the wait was
 * interrupted). May sleep, for as long as @other runs.
 */
int dmr_job_wait_other(struct dmr_job *job, struct dmr_job *other);

/* The job state machine, for the KUnit suite and the checks above. */
bool dmr_job_transition_ok(u16 from, u16 to);
bool dmr_job_state_final(u16 state);

#ifdef DMR_KUNIT_TEST
unsigned int dmr_job_set_keep_max(unsigned int max);
unsigned int dmr_job_set_keep_seconds(unsigned int seconds);
unsigned int dmr_job_nr_done(void);
#endif

#endif /* DM_REPLICA_JOB_H */
