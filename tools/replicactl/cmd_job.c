// SPDX-License-Identifier: GPL-2.0
/*
 * replicactl job show|wait|cancel: a job of the replication service
 * (CIM_ConcreteJob), by id. Every creation and deletion has one; a
 * finished job stays for its TimeBeforeRemoval.
 */
#include <inttypes.h>
#include <stdio.h>

#include "replicactl.h"

struct job_args {
	long long timeout_ms;	/* job wait --timeout */
	bool kill;		/* job cancel --kill */
};

static struct job_args job_args = {
	.timeout_ms = WAIT_FOREVER,
};

static const struct opt_spec job_wait_opts[] = {
	OPT("timeout", "SECONDS",
	    "Give up after SECONDS (fractions allowed; 0: look once) and exit 3, Timeout.",
	    opt_seconds, offsetof(struct job_args, timeout_ms)),
};

static const struct opt_spec job_cancel_opts[] = {
	OPT("kill", NULL, "RequestStateChange Kill (5) instead of Terminate (4).",
	    opt_flag, offsetof(struct job_args, kill)),
};

/* Open the control device and read the job id argument. */
static int job_start(struct ctx *ctx, char **argv, uint64_t *id)
{
	if (parse_id(argv[0], "job id", UINT64_MAX, id))
		return EXIT_USAGE;
	return ctl_open(ctx, DM_REPLICA_FEAT_SNAPSHOT);
}

static int job_show_run(struct ctx *ctx, int argc, char **argv)
{
	struct dm_replica_job j;
	uint64_t id;
	int r;

	(void)argc;
	r = job_start(ctx, argv, &id);
	if (r)
		return r;
	REQ_INIT(&j);
	j.job_id = id;
	r = ctl_call(ctx, DM_REPLICA_IOC_JOB_GET, &j.hdr, "job show");
	if (!r)
		job_print(&j);
	return r;
}

/* The job is printed however the wait ended, so that a script sees where it is. */
static int job_wait_run(struct ctx *ctx, int argc, char **argv)
{
	struct dm_replica_job j;
	uint64_t id;
	int r;

	(void)argc;
	r = job_start(ctx, argv, &id);
	if (r)
		return r;
	r = job_wait(ctx, id, job_args.timeout_ms, &j);
	if (r && r != DM_REPLICA_RET_TIMEOUT)
		return r;
	job_print(&j);
	if (r) {
		err("job %" PRIu64 ": still %s at %u%% after %.3f s", id,
		    value_name(&job_states, j.job_state), j.percent_complete,
		    job_args.timeout_ms / 1e3);
		return r;
	}
	return job_exit_code(&j);
}

static int job_cancel_run(struct ctx *ctx, int argc, char **argv)
{
	struct dm_replica_job j;
	uint64_t id;
	int r;

	(void)argc;
	r = job_start(ctx, argv, &id);
	if (r)
		return r;
	REQ_INIT(&j);
	j.job_id = id;
	j.request = job_args.kill ? DM_REPLICA_JOB_REQ_KILL : DM_REPLICA_JOB_REQ_TERMINATE;
	r = ctl_call(ctx, DM_REPLICA_IOC_JOB_CANCEL, &j.hdr, "job cancel");
	if (!r)
		job_print(&j);
	return r;
}

const struct cmd cmd_job_show = {
	.name = "job",
	.sub = "show",
	.synopsis = "ID",
	.summary = "Print every field of a job: JobState, PercentComplete, ErrorCode, "
		   "ErrorDescription, its group and operation, and its times.",
	.min_args = 1,
	.max_args = 1,
	.run = job_show_run,
};

const struct cmd cmd_job_wait = {
	.name = "job",
	.sub = "wait",
	.synopsis = "ID [--timeout SECONDS]",
	.summary = "Wait for a job to end, with a progress bar on a terminal; print it and exit "
		   "with its ErrorCode.",
	.opts = job_wait_opts,
	.nr_opts = ARRAY_SIZE(job_wait_opts),
	.args = &job_args,
	.min_args = 1,
	.max_args = 1,
	.run = job_wait_run,
};

const struct cmd cmd_job_cancel = {
	.name = "job",
	.sub = "cancel",
	.synopsis = "ID [--kill]",
	.summary = "RequestStateChange Terminate (or Kill) of a running job; print it.",
	.opts = job_cancel_opts,
	.nr_opts = ARRAY_SIZE(job_cancel_opts),
	.args = &job_args,
	.min_args = 1,
	.max_args = 1,
	.run = job_cancel_run,
};
