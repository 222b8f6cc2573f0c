// SPDX-License-Identifier: GPL-2.0
/*
 * replicactl: requests to the control device, their errors, and jobs.
 *
 * Every request struct starts with a struct dm_replica_hdr whose @size is
 * the size of the struct this tool was built with; the kernel answers
 * with an SMI-S return value and a message naming the field at fault.
 * That message is what the user sees, and the return value is the exit
 * code, so that scripts can tell Invalid Parameter from In Use.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "replicactl.h"

/*
 * How long one JOB_WAIT may block: the refresh period of the progress bar.
 * JOB_WAIT rather than JOB_GET at this period, so that the end of the job
 * is seen at once.
 */
#define JOB_POLL_MS	500

void req_init(struct dm_replica_hdr *hdr, size_t size)
{
	memset(hdr, 0, size);
	hdr->size = (uint32_t)size;
}

/* The exit code for an SMI-S return value. */
int exit_code(unsigned int result)
{
	if (result == DM_REPLICA_RET_JOB_STARTED)
		return 0;
	return result <= DM_REPLICA_RET_IN_USE ? (int)result : DM_REPLICA_RET_FAILED;
}

/* The exit code of a failure that answered @result: never 0, whatever it says. */
static int fail_code(unsigned int result)
{
	int r = exit_code(result);

	return r ? r : DM_REPLICA_RET_FAILED;
}

static int unavailable(const struct ctx *ctx)
{
	if (errno == ENOENT)
		err("%s does not exist: is the dm-replica module loaded? (modprobe dm-replica)",
		    ctx->control);
	else
		err("cannot open %s: %s", ctx->control, strerror(errno));
	return EXIT_UNAVAILABLE;
}

/*
 * Is the module loaded? The pool commands do not use the control device,
 * but its targets come with it: without it, say so rather than let
 * libdevmapper report an unknown target type.
 */
int ctl_check(struct ctx *ctx)
{
	struct stat st;

	return stat(ctx->control, &st) ? unavailable(ctx) : 0;
}

/* The module must have every bit of @features: the ABI asks callers to test. */
static int ctl_features(struct ctx *ctx, uint64_t features)
{
	struct dm_replica_version v;
	int r;

	REQ_INIT(&v);
	r = ctl_call(ctx, DM_REPLICA_IOC_VERSION, &v.hdr, "version");
	if (r)
		return r;
	if ((v.features & features) != features) {
		err("the loaded dm-replica module lacks feature bits 0x%" PRIx64 " (see replicactl version)",
		    (uint64_t)(features & ~v.features));
		return DM_REPLICA_RET_NOT_SUPPORTED;
	}
	return 0;
}

/* Open the control device; main() closes it. Returns an exit code. */
int ctl_open(struct ctx *ctx, uint64_t features)
{
	ctx->fd = open(ctx->control, O_RDWR | O_CLOEXEC);
	if (ctx->fd < 0)
		return unavailable(ctx);
	return features ? ctl_features(ctx, features) : 0;
}

/* Issue a request; 0 or -errno, without a word. */
int ctl_try(struct ctx *ctx, unsigned long cmd, struct dm_replica_hdr *hdr)
{
	if (ioctl(ctx->fd, cmd, hdr))
		return -errno;
	/* A return value that is neither success nor a job is a failure. */
	if (hdr->result != DM_REPLICA_RET_OK && hdr->result != DM_REPLICA_RET_JOB_STARTED)
		return -EIO;
	return 0;
}

/*
 * Say why a request failed with @error, and return the exit code. When
 * the kernel could read the header it answered in it; otherwise only the
 * errno is known.
 */
int ctl_report(const struct dm_replica_hdr *hdr, int error, const char *what)
{
	if (hdr->result != DM_REPLICA_RET_OK) {
		err("%s: %.*s (%u %s)", what, (int)sizeof(hdr->message),
		    hdr->message[0] ? hdr->message : "failed", hdr->result,
		    value_name(&return_values, hdr->result));
		return fail_code(hdr->result);
	}
	if (error == ENOTTY) {
		err("%s: unknown to the loaded dm-replica module (see replicactl version)",
		    what);
		return DM_REPLICA_RET_NOT_SUPPORTED;
	}
	err("%s: %s", what, strerror(error));
	return DM_REPLICA_RET_FAILED;
}

/* Issue a request; on failure say why. Returns an exit code. */
int ctl_call(struct ctx *ctx, unsigned long cmd, struct dm_replica_hdr *hdr,
	     const char *what)
{
	int r = ctl_try(ctx, cmd, hdr);

	return r ? ctl_report(hdr, -r, what) : 0;
}

/* A block device, by path or by dm name, to its number; @what names it in errors. */
int dev_number(const char *what, const char *path, struct dm_replica_dev *d)
{
	char buf[4096];
	struct stat st;

	if (!strchr(path, '/')) {
		snprintf(buf, sizeof(buf), "/dev/mapper/%s", path);
		path = buf;
	}
	if (stat(path, &st)) {
		err("%s: %s: %s", what, path, strerror(errno));
		return -1;
	}
	if (!S_ISBLK(st.st_mode)) {
		err("%s: %s: not a block device", what, path);
		return -1;
	}
	d->major = major(st.st_rdev);
	d->minor = minor(st.st_rdev);
	return 0;
}

/* Jobs */

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * The progress bar of a job being waited for: for a person watching, so
 * only when standard error is a terminal (standard output may be JSON
 * going to a file: the bar never touches it). Elsewhere nothing is
 * printed while the job runs, as a log or a script wants; "job show"
 * gives the PercentComplete whenever it is asked.
 */
struct progress {
	bool on;		/* standard error is a terminal */
	bool shown;		/* a line was drawn, to be ended */
	long long t0;		/* when the bar first saw the job, ms */
	unsigned int p0;	/* its PercentComplete then */
};

static void progress_init(struct progress *p)
{
	*p = (struct progress){ .on = isatty(STDERR_FILENO) };
}

/* A duration as m:ss, or h:mm:ss from an hour on. */
static const char *fmt_clock(long long ms, char *buf, size_t size)
{
	long long s = ms / 1000;

	if (s >= 3600)
		snprintf(buf, size, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(buf, size, "%lld:%02lld", s / 60, s % 60);
	return buf;
}

/*
 * One line, redrawn in place: the bar, PercentComplete, JobState, the
 * job's ElapsedTime and, once the percent has moved under our eyes, the
 * time left at the pace seen since (not since the job started: a copy
 * resumed after a restart starts from where it was).
 */
static void progress_show(struct progress *p, const struct dm_replica_job *j)
{
	unsigned int i, pct = j->percent_complete > 100 ? 100 : j->percent_complete;
	long long now = now_ms();
	char elapsed[24], left[24];

	if (!p->on)
		return;
	if (!p->shown) {
		p->t0 = now;
		p->p0 = pct;
	}
	p->shown = true;
	fprintf(stderr, "\rjob %" PRIu64 " [", (uint64_t)j->job_id);
	for (i = 0; i < 25; i++)
		fputc(i < pct / 4 ? '#' : ' ', stderr);
	fprintf(stderr, "] %3u%% %s %s", pct, value_name(&job_states, j->job_state),
		fmt_clock((long long)(j->elapsed_ns / 1000000), elapsed, sizeof(elapsed)));
	if (j->job_state < DM_REPLICA_JOB_COMPLETED && pct > p->p0 && pct < 100 &&
	    now - p->t0 >= 1000)
		fprintf(stderr, ", %s left",
			fmt_clock((now - p->t0) * (100 - pct) / (pct - p->p0), left,
				  sizeof(left)));
	/* Clear what a longer line before left. */
	fputs("\033[K", stderr);
}

static void progress_end(const struct progress *p)
{
	if (p->shown)
		fputc('\n', stderr);
}

/* One JOB_WAIT of at most @ms; 0 when it answered, or an exit code. */
static int job_wait_once(struct ctx *ctx, uint64_t id, unsigned int ms,
			 struct dm_replica_job *j)
{
	char what[48];
	int r;

	do {
		REQ_INIT(j);
		j->job_id = id;
		j->timeout_ms = ms;
		r = ctl_try(ctx, DM_REPLICA_IOC_JOB_WAIT, &j->hdr);
		/* Interrupted by a signal that did not kill us: ask again. */
	} while (r == -EINTR);
	/* Timeout only means the job still runs; the job fields are filled. */
	if (!r || j->hdr.result == DM_REPLICA_RET_TIMEOUT)
		return 0;
	snprintf(what, sizeof(what), "job %" PRIu64, id);
	return ctl_report(&j->hdr, -r, what);
}

/*
 * Wait while the JobState of job @id is below Completed (New to Shutting
 * Down), at most @timeout_ms or WAIT_FOREVER. Returns 0 with the ended job
 * in @j, DM_REPLICA_RET_TIMEOUT with the job still running in @j, or the
 * exit code of a failed request.
 */
int job_wait(struct ctx *ctx, uint64_t id, long long timeout_ms, struct dm_replica_job *j)
{
	long long left, deadline = now_ms() + timeout_ms;
	struct progress bar;
	int r;

	progress_init(&bar);
	for (;;) {
		left = timeout_ms == WAIT_FOREVER ? JOB_POLL_MS : deadline - now_ms();
		left = left < 0 ? 0 : left > JOB_POLL_MS ? JOB_POLL_MS : left;
		r = job_wait_once(ctx, id, (unsigned int)left, j);
		if (r)
			break;
		progress_show(&bar, j);
		if (j->job_state >= DM_REPLICA_JOB_COMPLETED)
			break;
		if (timeout_ms != WAIT_FOREVER && now_ms() >= deadline) {
			r = DM_REPLICA_RET_TIMEOUT;
			break;
		}
	}
	progress_end(&bar);
	return r;
}

/* The exit code of an ended job: 0 if Completed, else its ErrorCode or Failed. */
int job_exit_code(const struct dm_replica_job *j)
{
	if (j->job_state == DM_REPLICA_JOB_COMPLETED)
		return 0;
	return fail_code(j->error_code);
}

/* Wait for job @id to end; unless it Completed, say why and fail. */
int job_finish(struct ctx *ctx, uint64_t id, struct dm_replica_job *j)
{
	int r = job_wait(ctx, id, WAIT_FOREVER, j);

	if (r)
		return r;
	if (j->job_state != DM_REPLICA_JOB_COMPLETED)
		err("job %" PRIu64 " %s: %s", id, value_name(&job_states, j->job_state),
		    j->error_description[0] ? j->error_description : "no error description");
	return job_exit_code(j);
}

/* Every field of a job. */
void job_print(const struct dm_replica_job *j)
{
	out_section(NULL, "job %" PRIu64, (uint64_t)j->job_id);
	out_u64("job_id", NULL, j->job_id);
	out_value("job_state", "JobState", &job_states, j->job_state);
	out_u64("percent_complete", "PercentComplete", j->percent_complete);
	out_value("error_code", "ErrorCode", &return_values, j->error_code);
	out_str("error_description", "ErrorDescription", j->error_description);
	out_u64("group_id", "Group", j->group_id);
	out_value("operation", "Operation", &job_operations, j->operation);
	/* ModifyReplicaSynchronization: which operation (ABI 1.2; 0 before). */
	if (j->operation == DM_REPLICA_CMD_MODIFY_SYNC && j->sync_operation)
		out_value("sync_operation", "SyncOperation", &sync_operations,
			  j->sync_operation);
	out_time("time_submitted_ns", "TimeSubmitted", j->time_submitted_ns);
	out_time("start_time_ns", "StartTime", j->start_time_ns);
	out_duration("elapsed_ns", "ElapsedTime", j->elapsed_ns);
	out_duration("time_before_removal_ns", "TimeBeforeRemoval", j->time_before_removal_ns);
	out_duration("barrier_hold_ns", "BarrierHold", j->barrier_hold_ns);
	out_end();
}

/* Groups */

/* GROUP_GET of group @id with room for @cap members at @m. */
int group_get(struct ctx *ctx, uint32_t id, struct dm_replica_group *g,
	      struct dm_replica_member *m, uint32_t cap)
{
	char what[32];

	REQ_INIT(g);
	g->group_id = id;
	g->members_cap = cap;
	g->members = (uintptr_t)m;
	snprintf(what, sizeof(what), "group %u", id);
	return ctl_call(ctx, DM_REPLICA_IOC_GROUP_GET, &g->hdr, what);
}

/*
 * The ids of all groups, in *@ids (to be freed). The list may grow between
 * two calls: ask again with room for what the kernel counted.
 */
int group_ids(struct ctx *ctx, uint32_t **ids, uint32_t *nr)
{
	struct dm_replica_group_list l;
	uint32_t cap = 64, *p;
	int tries, r;

	*ids = NULL;
	for (tries = 0; tries < 4; tries++) {
		p = realloc(*ids, cap * sizeof(*p));
		if (!p) {
			err("out of memory");
			return DM_REPLICA_RET_FAILED;
		}
		*ids = p;
		REQ_INIT(&l);
		l.ids_cap = cap;
		l.ids = (uintptr_t)p;
		r = ctl_call(ctx, DM_REPLICA_IOC_GROUP_LIST, &l.hdr, "group list");
		if (r)
			return r;
		*nr = l.nr_groups < cap ? l.nr_groups : cap;
		if (l.nr_groups <= cap)
			return 0;
		cap = l.nr_groups;
	}
	return 0;
}

/*
 * ModifyReplicaSynchronization Return To ResourcePool, and its job; @what
 * names the command in messages.
 */
int group_return_to_pool(struct ctx *ctx, uint32_t id, const char *what, uint64_t *job_id)
{
	struct dm_replica_modify_sync req;
	struct dm_replica_job j;
	int r;

	REQ_INIT(&req);
	req.group_id = id;
	req.operation = DM_REPLICA_OP_RETURN_TO_POOL;
	r = ctl_call(ctx, DM_REPLICA_IOC_MODIFY_SYNC, &req.hdr, what);
	*job_id = req.job_id;
	if (r || req.hdr.result != DM_REPLICA_RET_JOB_STARTED)
		return r;
	return job_finish(ctx, req.job_id, &j);
}

/* The dm name of replica @n (from 1) of a group. */
void replica_name(char *buf, const char *relationship, unsigned int n)
{
	snprintf(buf, REPLICA_NAME_LEN, "%s_%u", relationship, n);
}
