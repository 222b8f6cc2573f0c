// SPDX-License-Identifier: GPL-2.0
/*
 * replicactl: the dm-replica front end.
 *
 * It talks to the kernel through the control device (/dev/dm-replica),
 * creates and removes the replica dm devices with libdevmapper, and maps
 * the SMI-S return values of the replication service to its exit codes
 * (see usage() and replicactl(8)).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <libdevmapper.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <linux/dm-replica.h>

#define REPLICACTL_VERSION "1.1.0"

/* Exit codes besides the SMI-S return values 0-6. */
#define EXIT_USAGE		64	/* bad command line */
#define EXIT_UNAVAILABLE	69	/* no control device: module not loaded */

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct options {
	const char *control;
	int json;
};

static const char *prog = "replicactl";

static void __attribute__((format(printf, 1, 2))) err(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Names of the standard's values, indexed by value. */
struct value_name {
	unsigned int value;
	const char *name;	/* for humans */
	const char *word;	/* for the command line */
};

static const struct value_name sync_types[] = {
	{ DM_REPLICA_SYNC_MIRROR, "Mirror", "mirror" },
	{ DM_REPLICA_SYNC_SNAPSHOT, "Snapshot", "snapshot" },
	{ DM_REPLICA_SYNC_CLONE, "Clone", "clone" },
};

static const struct value_name modes[] = {
	{ DM_REPLICA_MODE_SYNCHRONOUS, "Synchronous", "synchronous" },
	{ DM_REPLICA_MODE_ASYNCHRONOUS, "Asynchronous", "asynchronous" },
};

static const struct value_name consistencies[] = {
	{ DM_REPLICA_CONSISTENCY_NONE, "No Consistency", "none" },
	{ DM_REPLICA_CONSISTENCY_SEQUENTIAL, "Sequential Consistency", "sequential" },
};

static const struct value_name copy_states[] = {
	{ DM_REPLICA_COPY_INITIALIZED, "Initialized", "initialized" },
	{ DM_REPLICA_COPY_UNSYNCHRONIZED, "Unsynchronized", "unsynchronized" },
	{ DM_REPLICA_COPY_SYNCHRONIZED, "Synchronized", "synchronized" },
	{ DM_REPLICA_COPY_BROKEN, "Broken", "broken" },
	{ DM_REPLICA_COPY_FRACTURED, "Fractured", "fractured" },
	{ DM_REPLICA_COPY_SPLIT, "Split", "split" },
	{ DM_REPLICA_COPY_INACTIVE, "Inactive", "inactive" },
	{ DM_REPLICA_COPY_SUSPENDED, "Suspended", "suspended" },
	{ DM_REPLICA_COPY_FAILEDOVER, "Failedover", "failedover" },
	{ DM_REPLICA_COPY_PREPARED, "Prepared", "prepared" },
	{ DM_REPLICA_COPY_ABORTED, "Aborted", "aborted" },
	{ DM_REPLICA_COPY_SKEWED, "Skewed", "skewed" },
	{ DM_REPLICA_COPY_MIXED, "Mixed", "mixed" },
	{ DM_REPLICA_COPY_NOT_APPLICABLE, "Not Applicable", "not-applicable" },
};

static const struct value_name job_states[] = {
	{ DM_REPLICA_JOB_NEW, "New", "new" },
	{ DM_REPLICA_JOB_STARTING, "Starting", "starting" },
	{ DM_REPLICA_JOB_RUNNING, "Running", "running" },
	{ DM_REPLICA_JOB_SUSPENDED, "Suspended", "suspended" },
	{ DM_REPLICA_JOB_SHUTTING_DOWN, "Shutting Down", "shutting-down" },
	{ DM_REPLICA_JOB_COMPLETED, "Completed", "completed" },
	{ DM_REPLICA_JOB_TERMINATED, "Terminated", "terminated" },
	{ DM_REPLICA_JOB_KILLED, "Killed", "killed" },
	{ DM_REPLICA_JOB_EXCEPTION, "Exception", "exception" },
	{ DM_REPLICA_JOB_SERVICE, "Service", "service" },
	{ DM_REPLICA_JOB_QUERY_PENDING, "Query Pending", "query-pending" },
};

#define NAME_OF(table, v) value_name(table, ARRAY_SIZE(table), v)

static const char *value_name(const struct value_name *t, size_t n, unsigned int v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i].value == v)
			return t[i].name;
	return v ? "unknown" : "absent";
}

/*
 * Parse a word of @t or a number. Numbers pass through unchanged, so that
 * the kernel's own checks answer for values the tool does not know.
 */
static int parse_value(const struct value_name *t, size_t n, const char *s,
		       const char *option, unsigned int *v)
{
	char *end;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!strcasecmp(s, t[i].word)) {
			*v = t[i].value;
			return 0;
		}
	}
	errno = 0;
	*v = strtoul(s, &end, 0);
	if (!*s || *end || errno || *v > 65535) {
		err("--%s: '%s' is neither a known name nor a number", option, s);
		return -1;
	}
	return 0;
}


/* JSON string, escaped. */
static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static int open_control(const struct options *o)
{
	int fd = open(o->control, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		err("cannot open %s: %s%s", o->control, strerror(errno),
		    errno == ENOENT ? " (is the dm-replica module loaded?)" : "");
	return fd;
}

/* The exit code for an SMI-S result. */
static int exit_code(unsigned int result)
{
	if (result == DM_REPLICA_RET_JOB_STARTED)
		return 0;
	return result <= DM_REPLICA_RET_IN_USE ? (int)result : DM_REPLICA_RET_FAILED;
}

/*
 * Issue one request. Returns 0 with the kernel's result in hdr->result,
 * or the exit code after printing why it failed.
 */
static int control_call(int fd, unsigned long cmd, struct dm_replica_hdr *hdr,
			const char *what)
{
	if (ioctl(fd, cmd, hdr) == 0)
		return 0;
	if (hdr->result != DM_REPLICA_RET_OK) {
		err("%s: %s (return value %u)", what, hdr->message, hdr->result);
		return exit_code(hdr->result);
	}
	err("%s: %s", what, strerror(errno));
	return DM_REPLICA_RET_FAILED;
}

/* Open the control device and issue one request; returns an exit code. */
static int control_once(const struct options *o, unsigned long cmd,
			struct dm_replica_hdr *hdr, const char *what)
{
	int fd = open_control(o);
	int r;

	if (fd < 0)
		return EXIT_UNAVAILABLE;
	r = control_call(fd, cmd, hdr, what);
	close(fd);
	return r;
}

/* A block device path, or a dm name, to its number. */
static int dev_number(const char *path, struct dm_replica_dev *d)
{
	char buf[PATH_MAX];
	struct stat st;

	if (!strchr(path, '/')) {
		snprintf(buf, sizeof(buf), "/dev/mapper/%s", path);
		path = buf;
	}
	if (stat(path, &st)) {
		err("%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISBLK(st.st_mode)) {
		err("%s: not a block device", path);
		return -1;
	}
	d->major = major(st.st_rdev);
	d->minor = minor(st.st_rdev);
	return 0;
}

static int parse_u64(const char *s, const char *what, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	if (!*s || *end || errno) {
		err("%s: '%s' is not a number", what, s);
		return -1;
	}
	return 0;
}

/* libdevmapper */

static void dm_setup(void)
{
	/* Without udev (DM_DISABLE_UDEV), libdevmapper makes the nodes. */
	if (getenv("DM_DISABLE_UDEV"))
		dm_udev_set_sync_support(0);
	dm_log_init_verbose(0);
}

static int dm_run(struct dm_task *dmt)
{
	uint32_t cookie = 0;
	int r;

	if (dm_udev_get_sync_support() && !dm_task_set_cookie(dmt, &cookie, 0))
		return 0;
	r = dm_task_run(dmt);
	if (cookie)
		dm_udev_wait(cookie);
	return r;
}

static int dm_create_device(const char *name, uint64_t sectors, const char *type,
			    const char *params)
{
	struct dm_task *dmt = dm_task_create(DM_DEVICE_CREATE);
	int r = 0;

	if (dmt && dm_task_set_name(dmt, name) &&
	    dm_task_add_target(dmt, 0, sectors, type, params))
		r = dm_run(dmt);
	if (dmt)
		dm_task_destroy(dmt);
	return r ? 0 : -1;
}

static int dm_device_exists(const char *name)
{
	struct dm_task *dmt = dm_task_create(DM_DEVICE_INFO);
	struct dm_info info;
	int r = 0;

	if (dmt && dm_task_set_name(dmt, name) && dm_task_run(dmt) &&
	    dm_task_get_info(dmt, &info))
		r = info.exists;
	if (dmt)
		dm_task_destroy(dmt);
	return r;
}

static int dm_remove_device(const char *name)
{
	struct dm_task *dmt = dm_task_create(DM_DEVICE_REMOVE);
	int r = 0;

	if (dmt && dm_task_set_name(dmt, name))
		r = dm_run(dmt);
	if (dmt)
		dm_task_destroy(dmt);
	return r ? 0 : -1;
}

/* The first target's status parameters of device @name, malloc'ed. */
static char *dm_status(const char *name, char *type, size_t type_len)
{
	struct dm_task *dmt = dm_task_create(DM_DEVICE_STATUS);
	uint64_t start, length;
	char *ttype = NULL, *params = NULL, *r = NULL;

	if (dmt && dm_task_set_name(dmt, name) && dm_task_run(dmt)) {
		dm_get_next_target(dmt, NULL, &start, &length, &ttype, &params);
		if (ttype && params) {
			snprintf(type, type_len, "%s", ttype);
			r = strdup(params);
		}
	}
	if (dmt)
		dm_task_destroy(dmt);
	return r;
}

/* Jobs */

static int progress_shown;

static void show_progress(const struct dm_replica_job *j)
{
	int i, w = j->percent_complete / 4;

	if (!isatty(STDOUT_FILENO))
		return;
	fprintf(stderr, "\rjob %llu [", (unsigned long long)j->job_id);
	for (i = 0; i < 25; i++)
		fputc(i < w ? '#' : ' ', stderr);
	fprintf(stderr, "] %3u%% %-10s", j->percent_complete,
		NAME_OF(job_states, j->job_state));
	progress_shown = 1;
}

/*
 * Wait for a job to end, at most @timeout_s seconds (0: no limit).
 * Returns 0 with the job in @j, or an exit code.
 */
static int wait_job(int fd, uint64_t id, unsigned int timeout_s, struct dm_replica_job *j)
{
	time_t deadline = time(NULL) + timeout_s;
	int r;

	for (;;) {
		memset(j, 0, sizeof(*j));
		j->hdr.size = sizeof(*j);
		j->job_id = id;
		j->timeout_ms = 200;
		if (ioctl(fd, DM_REPLICA_IOC_JOB_WAIT, j) == 0 ||
		    j->hdr.result == DM_REPLICA_RET_TIMEOUT) {
			show_progress(j);
			if (j->job_state >= DM_REPLICA_JOB_COMPLETED &&
			    j->job_state <= DM_REPLICA_JOB_EXCEPTION)
				break;
			if (timeout_s && time(NULL) >= deadline) {
				if (progress_shown)
					fputc('\n', stderr);
				err("job %llu: still %s after %u s", (unsigned long long)id,
				    NAME_OF(job_states, j->job_state), timeout_s);
				return DM_REPLICA_RET_TIMEOUT;
			}
			continue;
		}
		if (errno == EINTR)
			continue;
		r = j->hdr.result ? exit_code(j->hdr.result) : DM_REPLICA_RET_FAILED;
		err("job %llu: %s", (unsigned long long)id,
		    j->hdr.result ? j->hdr.message : strerror(errno));
		return r;
	}
	if (progress_shown) {
		fputc('\n', stderr);
		progress_shown = 0;
	}
	return 0;
}

/* The exit code of an ended job. */
static int job_exit_code(const struct dm_replica_job *j)
{
	if (j->job_state == DM_REPLICA_JOB_COMPLETED)
		return 0;
	return j->error_code ? exit_code(j->error_code) : DM_REPLICA_RET_FAILED;
}

static void print_time(const char *label, uint64_t ns)
{
	char buf[64];
	time_t t = (time_t)(ns / 1000000000ULL);
	struct tm tm;

	if (!ns) {
		printf("  %-20s -\n", label);
		return;
	}
	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
	printf("  %-20s %s.%03u UTC\n", label, buf, (unsigned int)(ns / 1000000 % 1000));
}

static void print_job(const struct options *o, const struct dm_replica_job *j)
{
	if (o->json) {
		printf("{\"job_id\": %llu, \"job_state\": %u, \"job_state_name\": \"%s\", "
		       "\"percent_complete\": %u, \"error_code\": %u, \"error_description\": ",
		       (unsigned long long)j->job_id, j->job_state,
		       NAME_OF(job_states, j->job_state), j->percent_complete, j->error_code);
		json_str(j->error_description);
		printf(", \"group_id\": %u, \"operation\": %u, \"time_submitted_ns\": %llu, "
		       "\"start_time_ns\": %llu, \"elapsed_ns\": %llu, "
		       "\"time_before_removal_ns\": %llu, \"barrier_hold_ns\": %llu}\n",
		       j->group_id, j->operation, (unsigned long long)j->time_submitted_ns,
		       (unsigned long long)j->start_time_ns, (unsigned long long)j->elapsed_ns,
		       (unsigned long long)j->time_before_removal_ns,
		       (unsigned long long)j->barrier_hold_ns);
		return;
	}
	printf("job %llu\n", (unsigned long long)j->job_id);
	printf("  %-20s %s (%u)\n", "JobState", NAME_OF(job_states, j->job_state), j->job_state);
	printf("  %-20s %u%%\n", "PercentComplete", j->percent_complete);
	printf("  %-20s %u\n", "ErrorCode", j->error_code);
	printf("  %-20s %s\n", "ErrorDescription", j->error_description);
	printf("  %-20s %u\n", "Group", j->group_id);
	print_time("TimeSubmitted", j->time_submitted_ns);
	print_time("StartTime", j->start_time_ns);
	printf("  %-20s %.3f s\n", "ElapsedTime", j->elapsed_ns / 1e9);
	printf("  %-20s %llu s\n", "TimeBeforeRemoval",
	       (unsigned long long)(j->time_before_removal_ns / 1000000000ULL));
	printf("  %-20s %.3f ms\n", "BarrierHold", j->barrier_hold_ns / 1e6);
}

/* Groups */

static int get_group(int fd, uint32_t id, struct dm_replica_group *g,
		     struct dm_replica_member *m, uint32_t cap)
{
	memset(g, 0, sizeof(*g));
	g->hdr.size = sizeof(*g);
	g->group_id = id;
	g->members_cap = cap;
	g->members = (uintptr_t)m;
	return control_call(fd, DM_REPLICA_IOC_GROUP_GET, &g->hdr, "group");
}

static void print_group(const struct options *o, const struct dm_replica_group *g,
			const struct dm_replica_member *m)
{
	uint32_t i;

	if (o->json) {
		printf("{\"group_id\": %u, \"relationship_name\": ", g->group_id);
		json_str(g->relationship_name);
		printf(", \"source_group_name\": ");
		json_str(g->source_group_name);
		printf(", \"target_group\": ");
		json_str(g->target_group);
		printf(", \"sync_type\": %u, \"mode\": %u, \"consistency\": %u, "
		       "\"copy_state\": %u, \"copy_state_name\": \"%s\", \"pool\": \"%u:%u\", "
		       "\"chunk_sectors\": %u, \"pool_used_chunks\": %llu, "
		       "\"pool_total_chunks\": %llu, \"group_chunks\": %llu, "
		       "\"barrier_hold_ns\": %llu, \"created_ns\": %llu, \"job_id\": %llu, "
		       "\"broken_reason\": ",
		       g->sync_type, g->mode, g->consistency, g->copy_state,
		       NAME_OF(copy_states, g->copy_state), g->pool.major, g->pool.minor,
		       g->chunk_sectors, (unsigned long long)g->pool_used_chunks,
		       (unsigned long long)g->pool_total_chunks,
		       (unsigned long long)g->group_chunks,
		       (unsigned long long)g->barrier_hold_ns,
		       (unsigned long long)g->created_ns, (unsigned long long)g->job_id);
		json_str(g->broken_reason);
		printf(", \"members\": [");
		for (i = 0; i < g->nr_members && i < DM_REPLICA_MAX_MEMBERS; i++) {
			printf("%s{\"n\": %u, \"replica\": \"%s_%u\", \"source_name\": ",
			       i ? ", " : "", i + 1, g->relationship_name, i + 1);
			json_str(m[i].source_name);
			printf(", \"source\": \"%u:%u\", \"source_dev\": \"%u:%u\", "
			       "\"sectors\": %llu, \"copy_state\": %u, \"copied_chunks\": %llu}",
			       m[i].source.major, m[i].source.minor, m[i].source_dev.major,
			       m[i].source_dev.minor, (unsigned long long)m[i].sectors,
			       m[i].copy_state, (unsigned long long)m[i].copied_chunks);
		}
		printf("]}\n");
		return;
	}
	printf("group %u: %s\n", g->group_id, g->relationship_name);
	printf("  %-20s %s\n", "SourceGroupName", g->source_group_name);
	printf("  %-20s %s\n", "TargetGroup", g->target_group);
	printf("  %-20s %s (%u)\n", "SyncType", NAME_OF(sync_types, g->sync_type), g->sync_type);
	printf("  %-20s %s (%u)\n", "Mode", NAME_OF(modes, g->mode), g->mode);
	printf("  %-20s %s (%u)\n", "Consistency", NAME_OF(consistencies, g->consistency),
	       g->consistency);
	printf("  %-20s %s (%u)\n", "CopyState", NAME_OF(copy_states, g->copy_state),
	       g->copy_state);
	if (g->broken_reason[0])
		printf("  %-20s %s\n", "BrokenReason", g->broken_reason);
	printf("  %-20s %u:%u, chunks of %u sectors, %llu of %llu used\n", "Pool",
	       g->pool.major, g->pool.minor, g->chunk_sectors,
	       (unsigned long long)g->pool_used_chunks, (unsigned long long)g->pool_total_chunks);
	printf("  %-20s %llu\n", "GroupChunks", (unsigned long long)g->group_chunks);
	printf("  %-20s %.3f ms\n", "BarrierHold", g->barrier_hold_ns / 1e6);
	print_time("PointInTime", g->created_ns);
	printf("  %-20s %llu\n", "Job", (unsigned long long)g->job_id);
	printf("  members:\n");
	for (i = 0; i < g->nr_members && i < DM_REPLICA_MAX_MEMBERS; i++)
		printf("    %s_%u <- %s (%u:%u on %u:%u), %llu sectors, %s, %llu chunks\n",
		       g->relationship_name, i + 1, m[i].source_name, m[i].source.major,
		       m[i].source.minor, m[i].source_dev.major, m[i].source_dev.minor,
		       (unsigned long long)m[i].sectors, NAME_OF(copy_states, m[i].copy_state),
		       (unsigned long long)m[i].copied_chunks);
}

/* Create the replica dm devices of a group; on failure remove those made. */
static int create_replicas(const struct dm_replica_group *g, const struct dm_replica_member *m)
{
	char name[DM_REPLICA_NAME_LEN + 16], params[64];
	uint32_t i, j;

	for (i = 0; i < g->nr_members; i++) {
		snprintf(name, sizeof(name), "%s_%u", g->relationship_name, i + 1);
		snprintf(params, sizeof(params), "%u:%u %u %u", g->pool.major, g->pool.minor,
			 g->group_id, i + 1);
		if (dm_create_device(name, m[i].sectors, DM_REPLICA_TARGET_REPLICA, params)) {
			err("cannot create the replica device %s", name);
			for (j = 0; j < i; j++) {
				snprintf(name, sizeof(name), "%s_%u", g->relationship_name, j + 1);
				dm_remove_device(name);
			}
			return DM_REPLICA_RET_FAILED;
		}
	}
	return 0;
}

/* Command line of each command */

struct cmd {
	const char *name;
	const char *sub;
	int (*fn)(struct options *o, int argc, char **argv);
	const char *synopsis;
};

/*
 * Parse a command's options: @longopts plus --json and --help, which every
 * command takes. Returns the option character, 0 at the end, -1 on error
 * (the caller exits with EXIT_USAGE), or 'h' for help.
 */
static int next_opt(struct options *o, int argc, char **argv, const struct option *longopts)
{
	static struct option all[24];
	size_t n = 0;
	int c;

	if (!all[0].name) {
		for (; longopts && longopts[n].name; n++)
			all[n] = longopts[n];
		all[n++] = (struct option){ "json", no_argument, NULL, 'j' };
		all[n++] = (struct option){ "help", no_argument, NULL, 'h' };
		all[n] = (struct option){ NULL, 0, NULL, 0 };
	}
	for (;;) {
		/* Options and arguments may come in any order after the command. */
		c = getopt_long(argc, argv, "", all, NULL);
		if (c == 'j') {
			o->json = 1;
			continue;
		}
		if (c == -1)
			return 0;
		if (c == '?')
			return -1;
		return c;
	}
}

static void reset_opts(void)
{
	optind = 0;
}

static int cmd_version(struct options *o, int argc, char **argv)
{
	static const struct { uint64_t bit; const char *name; } features[] = {
		{ DM_REPLICA_FEAT_SOURCE_TARGET, "source-target" },
		{ DM_REPLICA_FEAT_SNAPSHOT, "snapshot" },
	};
	struct dm_replica_version v;
	uint64_t unknown;
	unsigned int i, n = 0;
	int c, r;

	reset_opts();
	while ((c = next_opt(o, argc, argv, NULL)))
		return c == 'h' ? (printf("Usage: %s version\n", prog), 0) : EXIT_USAGE;
	if (optind != argc) {
		err("version takes no arguments");
		return EXIT_USAGE;
	}

	memset(&v, 0, sizeof(v));
	v.hdr.size = sizeof(v);
	r = control_once(o, DM_REPLICA_IOC_VERSION, &v.hdr, "version");
	if (r)
		return r;

	unknown = v.features;
	if (o->json)
		printf("{\"tool\": {\"version\": \"%s\", \"abi\": \"%u.%u.%u\"}, "
		       "\"kernel\": {\"abi\": \"%u.%u.%u\", \"features\": [",
		       REPLICACTL_VERSION, DM_REPLICA_VERSION_MAJOR, DM_REPLICA_VERSION_MINOR,
		       DM_REPLICA_VERSION_PATCH, v.major, v.minor, v.patch);
	else
		printf("replicactl %s (ABI %u.%u.%u)\nkernel ABI %u.%u.%u\nfeatures:",
		       REPLICACTL_VERSION, DM_REPLICA_VERSION_MAJOR, DM_REPLICA_VERSION_MINOR,
		       DM_REPLICA_VERSION_PATCH, v.major, v.minor, v.patch);
	for (i = 0; i < ARRAY_SIZE(features); i++) {
		if (!(v.features & features[i].bit))
			continue;
		printf(o->json ? "%s\"%s\"" : "%s%s", o->json && n ? ", " : " " + !!o->json,
		       features[i].name);
		n++;
		unknown &= ~features[i].bit;
	}
	if (o->json)
		printf("], \"features_mask\": \"0x%llx\"}}\n", (unsigned long long)v.features);
	else
		printf(unknown ? " unknown:0x%llx\n" : "\n", (unsigned long long)unknown);

	if (v.major != DM_REPLICA_VERSION_MAJOR)
		err("warning: kernel ABI major %u differs from the tool's %u", v.major,
		    DM_REPLICA_VERSION_MAJOR);
	return 0;
}

static int copy_name(char *dst, size_t size, const char *src, const char *option)
{
	if (strlen(src) >= size) {
		err("--%s: longer than %zu characters", option, size - 1);
		return -1;
	}
	strcpy(dst, src);
	return 0;
}

/* An option that sets one of the standard's values. */
struct value_opt {
	int opt;
	const struct value_name *table;
	size_t n;
	const char *name;
	uint16_t *field;
};

/* An option that sets a name field of DM_REPLICA_NAME_LEN bytes. */
struct name_opt {
	int opt;
	char *field;
	const char *name;
};

/* Apply option @c if it is one of @t; -1 when its argument is bad. */
static int set_value(const struct value_opt *t, size_t n, int c)
{
	unsigned int v;
	size_t i;

	for (i = 0; i < n; i++) {
		if (t[i].opt != c)
			continue;
		if (parse_value(t[i].table, t[i].n, optarg, t[i].name, &v))
			return -1;
		*t[i].field = (uint16_t)v;
	}
	return 0;
}

static int set_name(const struct name_opt *t, size_t n, int c)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i].opt == c && copy_name(t[i].field, DM_REPLICA_NAME_LEN, optarg, t[i].name))
			return -1;
	return 0;
}

static int add_sources(struct dm_replica_dev *srcs, char names[][PATH_MAX], uint32_t *n,
		       char *list)
{
	char *tok, *save = NULL;

	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (*n >= DM_REPLICA_MAX_MEMBERS) {
			err("--source-elements: more than %u elements", DM_REPLICA_MAX_MEMBERS);
			return -1;
		}
		if (dev_number(tok, &srcs[*n]))
			return -1;
		snprintf(names[*n], PATH_MAX, "%s", tok);
		(*n)++;
	}
	return 0;
}

static int cmd_create(struct options *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "relationship-name", required_argument, NULL, 'r' },
		{ "sync-type", required_argument, NULL, 's' },
		{ "mode", required_argument, NULL, 'm' },
		{ "source-elements", required_argument, NULL, 'e' },
		{ "source-group-name", required_argument, NULL, 'G' },
		{ "target-group", required_argument, NULL, 'T' },
		{ "consistency", required_argument, NULL, 'c' },
		{ "replication-setting-data", required_argument, NULL, 'R' },
		{ "target-setting-goal", required_argument, NULL, 'g' },
		{ "target-pool", required_argument, NULL, 'p' },
		{ "wait-for-copy-state", required_argument, NULL, 'w' },
		{ "source-access-point", required_argument, NULL, 'S' },
		{ "target-access-point", required_argument, NULL, 'A' },
		{ "no-replica-devices", no_argument, NULL, 'N' },
		{ NULL, 0, NULL, 0 },
	};
	static struct dm_replica_dev srcs[DM_REPLICA_MAX_MEMBERS];
	static char names[DM_REPLICA_MAX_MEMBERS][PATH_MAX];
	struct dm_replica_member m[DM_REPLICA_MAX_MEMBERS];
	const char *settings = NULL, *goal = NULL, *sap = NULL, *tap = NULL;
	struct dm_replica_create_group req;
	struct dm_replica_group g;
	struct dm_replica_job j;
	unsigned int i;
	int c, fd, r, no_devices = 0;
	uint32_t n = 0;

	/* The options that set a standard value or a name of the request. */
	const struct value_opt values[] = {
		{ 's', sync_types, ARRAY_SIZE(sync_types), "sync-type", &req.sync_type },
		{ 'm', modes, ARRAY_SIZE(modes), "mode", &req.mode },
		{ 'c', consistencies, ARRAY_SIZE(consistencies), "consistency", &req.consistency },
		{ 'w', copy_states, ARRAY_SIZE(copy_states), "wait-for-copy-state",
		  &req.wait_for_copy_state },
	};
	const struct name_opt strs[] = {
		{ 'r', req.relationship_name, "relationship-name" },
		{ 'G', req.source_group_name, "source-group-name" },
		{ 'T', req.target_group, "target-group" },
	};

	memset(&req, 0, sizeof(req));
	req.hdr.size = sizeof(req);
	req.sync_type = DM_REPLICA_SYNC_SNAPSHOT;

	reset_opts();
	while ((c = next_opt(o, argc, argv, longopts))) {
		if (set_value(values, ARRAY_SIZE(values), c) || set_name(strs, ARRAY_SIZE(strs), c))
			return EXIT_USAGE;
		switch (c) {
		case 's':
		case 'm':
		case 'c':
		case 'w':
		case 'r':
		case 'G':
		case 'T':
			break;
		case 'e':
			if (add_sources(srcs, names, &n, optarg))
				return EXIT_USAGE;
			break;
		case 'p':
			if (dev_number(optarg, &req.target_pool))
				return EXIT_USAGE;
			break;
		case 'R':
			settings = optarg;
			break;
		case 'g':
			goal = optarg;
			break;
		case 'S':
			sap = optarg;
			break;
		case 'A':
			tap = optarg;
			break;
		case 'N':
			no_devices = 1;
			break;
		case 'h':
			printf("Usage: %s create-group-replica --target-pool DEV "
			       "--source-elements DEV[,DEV...] [options]\n"
			       "See replicactl(8) for every option.\n", prog);
			return 0;
		default:
			return EXIT_USAGE;
		}
	}
	for (; optind < argc; optind++)
		if (add_sources(srcs, names, &n, argv[optind]))
			return EXIT_USAGE;

	req.nr_sources = n;
	req.sources = (uintptr_t)srcs;
	if (settings) {
		req.settings = (uintptr_t)settings;
		req.settings_len = strlen(settings) + 1;
	}
	if (goal) {
		req.target_setting_goal = (uintptr_t)goal;
		req.target_setting_goal_len = strlen(goal) + 1;
	}
	req.source_access_point = (uintptr_t)sap;
	req.target_access_point = (uintptr_t)tap;

	fd = open_control(o);
	if (fd < 0)
		return EXIT_UNAVAILABLE;
	r = control_call(fd, DM_REPLICA_IOC_CREATE_GROUP, &req.hdr, "create-group-replica");
	if (r)
		goto out;
	if (!o->json) {
		printf("job %llu %s\n", (unsigned long long)req.job_id,
		       req.hdr.result == DM_REPLICA_RET_JOB_STARTED ? "started" : "completed");
		/* Whoever reads this may want to act on the job while it runs. */
		fflush(stdout);
	}

	r = wait_job(fd, req.job_id, 0, &j);
	if (r)
		goto out;
	if (j.job_state != DM_REPLICA_JOB_COMPLETED) {
		err("job %llu %s: %s", (unsigned long long)j.job_id,
		    NAME_OF(job_states, j.job_state), j.error_description);
		r = job_exit_code(&j);
		goto out;
	}

	r = get_group(fd, req.group_id, &g, m, DM_REPLICA_MAX_MEMBERS);
	if (r)
		goto out;
	if (!no_devices) {
		dm_setup();
		r = create_replicas(&g, m);
		if (r)
			goto out;
	}
	if (o->json) {
		printf("{\"job_id\": %llu, \"group_id\": %u, \"relationship_name\": ",
		       (unsigned long long)req.job_id, req.group_id);
		json_str(g.relationship_name);
		printf(", \"source_group_name\": ");
		json_str(g.source_group_name);
		printf(", \"target_group\": ");
		json_str(g.target_group);
		printf(", \"barrier_hold_ns\": %llu, \"replicas\": [",
		       (unsigned long long)g.barrier_hold_ns);
		for (i = 0; i < g.nr_members; i++) {
			printf("%s{\"name\": \"%s_%u\", \"source\": ", i ? ", " : "",
			       g.relationship_name, i + 1);
			json_str(names[i]);
			putchar('}');
		}
		printf("]}\n");
	} else {
		printf("group %u %s: %s, writes held %.3f ms\n", g.group_id, g.relationship_name,
		       NAME_OF(copy_states, g.copy_state), g.barrier_hold_ns / 1e6);
		for (i = 0; i < g.nr_members; i++)
			printf("  %s_%u <- %s\n", g.relationship_name, i + 1, names[i]);
	}
out:
	close(fd);
	return r;
}

static int job_id_arg(int argc, char **argv, uint64_t *id)
{
	if (optind != argc - 1) {
		err("expected one job id");
		return -1;
	}
	return parse_u64(argv[optind], "job id", id);
}

static int cmd_job_show(struct options *o, int argc, char **argv)
{
	struct dm_replica_job j;
	uint64_t id;
	int c, r;

	reset_opts();
	while ((c = next_opt(o, argc, argv, NULL)))
		return c == 'h' ? (printf("Usage: %s job show ID\n", prog), 0) : EXIT_USAGE;
	if (job_id_arg(argc, argv, &id))
		return EXIT_USAGE;
	memset(&j, 0, sizeof(j));
	j.hdr.size = sizeof(j);
	j.job_id = id;
	r = control_once(o, DM_REPLICA_IOC_JOB_GET, &j.hdr, "job show");
	if (!r)
		print_job(o, &j);
	return r;
}

static int cmd_job_wait(struct options *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct dm_replica_job j;
	uint64_t id, timeout = 0;
	int c, fd, r;

	reset_opts();
	while ((c = next_opt(o, argc, argv, longopts))) {
		if (c == 't' && !parse_u64(optarg, "--timeout", &timeout))
			continue;
		if (c == 'h') {
			printf("Usage: %s job wait ID [--timeout SECONDS]\n", prog);
			return 0;
		}
		return EXIT_USAGE;
	}
	if (job_id_arg(argc, argv, &id))
		return EXIT_USAGE;
	fd = open_control(o);
	if (fd < 0)
		return EXIT_UNAVAILABLE;
	r = wait_job(fd, id, (unsigned int)timeout, &j);
	close(fd);
	if (r)
		return r;
	print_job(o, &j);
	return job_exit_code(&j);
}

static int cmd_job_cancel(struct options *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "kill", no_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	struct dm_replica_job j;
	uint16_t request = DM_REPLICA_JOB_REQ_TERMINATE;
	uint64_t id;
	int c, r;

	reset_opts();
	while ((c = next_opt(o, argc, argv, longopts))) {
		if (c == 'k') {
			request = DM_REPLICA_JOB_REQ_KILL;
			continue;
		}
		if (c == 'h') {
			printf("Usage: %s job cancel ID [--kill]\n", prog);
			return 0;
		}
		return EXIT_USAGE;
	}
	if (job_id_arg(argc, argv, &id))
		return EXIT_USAGE;
	memset(&j, 0, sizeof(j));
	j.hdr.size = sizeof(j);
	j.job_id = id;
	j.request = request;
	r = control_once(o, DM_REPLICA_IOC_JOB_CANCEL, &j.hdr, "job cancel");
	if (!r)
		print_job(o, &j);
	return r;
}

static int group_id_arg(int argc, char **argv, uint32_t *id)
{
	uint64_t v;

	if (optind != argc - 1) {
		err("expected one group id");
		return -1;
	}
	if (parse_u64(argv[optind], "group id", &v) || v > UINT32_MAX)
		return -1;
	*id = (uint32_t)v;
	return 0;
}

static int cmd_group_list(struct options *o, int argc, char **argv)
{
	struct dm_replica_member m[DM_REPLICA_MAX_MEMBERS];
	struct dm_replica_group_list l;
	struct dm_replica_group g;
	uint32_t ids[1024], i;
	int c, fd, r;

	reset_opts();
	while ((c = next_opt(o, argc, argv, NULL)))
		return c == 'h' ? (printf("Usage: %s group list\n", prog), 0) : EXIT_USAGE;
	if (optind != argc) {
		err("group list takes no arguments");
		return EXIT_USAGE;
	}
	fd = open_control(o);
	if (fd < 0)
		return EXIT_UNAVAILABLE;
	memset(&l, 0, sizeof(l));
	l.hdr.size = sizeof(l);
	l.ids_cap = ARRAY_SIZE(ids);
	l.ids = (uintptr_t)ids;
	r = control_call(fd, DM_REPLICA_IOC_GROUP_LIST, &l.hdr, "group list");
	if (r)
		goto out;
	if (o->json)
		printf("{\"groups\": [");
	else
		printf("%-6s %-24s %-9s %-15s %7s %10s %10s\n", "ID", "RELATIONSHIP", "SYNCTYPE",
		       "COPYSTATE", "MEMBERS", "CHUNKS", "HOLD(ms)");
	for (i = 0; i < l.nr_groups && i < l.ids_cap; i++) {
		r = get_group(fd, ids[i], &g, m, 0);
		if (r)
			goto out;
		if (o->json) {
			printf("%s{\"id\": %u, \"relationship_name\": ", i ? ", " : "", g.group_id);
			json_str(g.relationship_name);
			printf(", \"sync_type\": %u, \"copy_state\": %u, \"members\": %u}",
			       g.sync_type, g.copy_state, g.nr_members);
		} else {
			printf("%-6u %-24s %-9s %-15s %7u %10llu %10.3f\n", g.group_id,
			       g.relationship_name, NAME_OF(sync_types, g.sync_type),
			       NAME_OF(copy_states, g.copy_state), g.nr_members,
			       (unsigned long long)g.group_chunks, g.barrier_hold_ns / 1e6);
		}
	}
	if (o->json)
		printf("]}\n");
out:
	close(fd);
	return r;
}

static int cmd_group_show(struct options *o, int argc, char **argv)
{
	struct dm_replica_member m[DM_REPLICA_MAX_MEMBERS];
	struct dm_replica_group g;
	uint32_t id;
	int c, fd, r;

	reset_opts();
	while ((c = next_opt(o, argc, argv, NULL)))
		return c == 'h' ? (printf("Usage: %s group show ID\n", prog), 0) : EXIT_USAGE;
	if (group_id_arg(argc, argv, &id))
		return EXIT_USAGE;
	fd = open_control(o);
	if (fd < 0)
		return EXIT_UNAVAILABLE;
	r = get_group(fd, id, &g, m, DM_REPLICA_MAX_MEMBERS);
	close(fd);
	if (!r)
		print_group(o, &g, m);
	return r;
}

static int cmd_group_delete(struct options *o, int argc, char **argv)
{
	struct dm_replica_member m[DM_REPLICA_MAX_MEMBERS];
	struct dm_replica_modify_sync req;
	struct dm_replica_group g;
	char name[DM_REPLICA_NAME_LEN + 16];
	struct dm_replica_job j;
	uint32_t id, i;
	int c, fd, r;

	reset_opts();
	while ((c = next_opt(o, argc, argv, NULL)))
		return c == 'h' ? (printf("Usage: %s group delete ID\n", prog), 0) : EXIT_USAGE;
	if (group_id_arg(argc, argv, &id))
		return EXIT_USAGE;
	fd = open_control(o);
	if (fd < 0)
		return EXIT_UNAVAILABLE;
	r = get_group(fd, id, &g, m, DM_REPLICA_MAX_MEMBERS);
	if (r)
		goto out;

	/* The replica devices go first: the kernel refuses while they exist. */
	dm_setup();
	for (i = 0; i < g.nr_members; i++) {
		snprintf(name, sizeof(name), "%s_%u", g.relationship_name, i + 1);
		if (dm_device_exists(name) && dm_remove_device(name)) {
			err("cannot remove the replica device %s", name);
			r = DM_REPLICA_RET_IN_USE;
			goto out;
		}
	}

	memset(&req, 0, sizeof(req));
	req.hdr.size = sizeof(req);
	req.group_id = id;
	req.operation = DM_REPLICA_OP_RETURN_TO_POOL;
	r = control_call(fd, DM_REPLICA_IOC_MODIFY_SYNC, &req.hdr, "group delete");
	if (r)
		goto out;
	if (req.hdr.result == DM_REPLICA_RET_JOB_STARTED) {
		r = wait_job(fd, req.job_id, 0, &j);
		if (!r)
			r = job_exit_code(&j);
	}
	if (!r && !o->json)
		printf("group %u returned to the pool (job %llu)\n", id,
		       (unsigned long long)req.job_id);
out:
	close(fd);
	return r;
}

/* Size of a block device in sectors. */
static int dev_sectors(const char *path, uint64_t *sectors)
{
	uint64_t bytes;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || ioctl(fd, BLKGETSIZE64, &bytes)) {
		err("%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	*sectors = bytes >> 9;
	return 0;
}

static int parse_size_sectors(const char *s, uint64_t *sectors)
{
	char *end;
	uint64_t v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	if (!strcasecmp(end, "k"))
		v *= 2;
	else if (!strcasecmp(end, "m"))
		v *= 2048;
	else if (*end && strcasecmp(end, "s"))
		return -1;
	*sectors = v;
	return 0;
}

static int cmd_pool_create(struct options *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "chunk-size", required_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 },
	};
	const char *name = "pool";
	uint64_t chunk = 128, size;
	char params[PATH_MAX + 64];
	int c;

	reset_opts();
	while ((c = next_opt(o, argc, argv, longopts))) {
		switch (c) {
		case 'n':
			name = optarg;
			break;
		case 'C':
			if (parse_size_sectors(optarg, &chunk) || chunk < 8 || chunk > 2048 ||
			    (chunk & (chunk - 1))) {
				err("--chunk-size: a power of two from 4k to 1m");
				return EXIT_USAGE;
			}
			break;
		case 'h':
			printf("Usage: %s pool create DEV [--name NAME] [--chunk-size SIZE]\n",
			       prog);
			return 0;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		err("expected one device");
		return EXIT_USAGE;
	}
	if (dev_sectors(argv[optind], &size))
		return DM_REPLICA_RET_INVALID_PARAM;
	snprintf(params, sizeof(params), "%s 2 format %llu", argv[optind],
		 (unsigned long long)chunk);
	dm_setup();
	if (dm_create_device(name, size, DM_REPLICA_TARGET_POOL, params)) {
		err("cannot create the pool %s on %s (see the kernel log for why)", name,
		    argv[optind]);
		return DM_REPLICA_RET_FAILED;
	}
	if (!o->json)
		printf("pool %s on %s: chunks of %llu sectors\n", name, argv[optind],
		       (unsigned long long)chunk);
	return 0;
}

static int cmd_pool_status(struct options *o, int argc, char **argv)
{
	unsigned long long used, total;
	unsigned int chunk, groups;
	char type[32], health[32];
	char *st;
	int c;

	reset_opts();
	while ((c = next_opt(o, argc, argv, NULL)))
		return c == 'h' ? (printf("Usage: %s pool status NAME\n", prog), 0) : EXIT_USAGE;
	if (optind != argc - 1) {
		err("expected one pool name");
		return EXIT_USAGE;
	}
	dm_setup();
	st = dm_status(argv[optind], type, sizeof(type));
	if (!st || strcmp(type, DM_REPLICA_TARGET_POOL) ||
	    sscanf(st, "%u %llu/%llu %u %31s", &chunk, &used, &total, &groups, health) != 5) {
		err("%s: not a replica-pool device", argv[optind]);
		free(st);
		return DM_REPLICA_RET_INVALID_PARAM;
	}
	free(st);
	if (o->json)
		printf("{\"name\": \"%s\", \"chunk_sectors\": %u, \"used_chunks\": %llu, "
		       "\"total_chunks\": %llu, \"groups\": %u, \"health\": \"%s\"}\n",
		       argv[optind], chunk, used, total, groups, health);
	else
		printf("pool %s: %llu of %llu chunks of %u sectors used (%.1f%%), %u groups, %s\n",
		       argv[optind], used, total, chunk, total ? 100.0 * used / total : 0.0,
		       groups, health);
	return 0;
}

static const struct cmd commands[] = {
	{ "version", NULL, cmd_version, "version" },
	{ "create-group-replica", NULL, cmd_create,
	  "create-group-replica --target-pool DEV --source-elements DEV[,DEV...] [options]" },
	{ "job", "show", cmd_job_show, "job show ID" },
	{ "job", "wait", cmd_job_wait, "job wait ID [--timeout SECONDS]" },
	{ "job", "cancel", cmd_job_cancel, "job cancel ID [--kill]" },
	{ "group", "list", cmd_group_list, "group list" },
	{ "group", "show", cmd_group_show, "group show ID" },
	{ "group", "delete", cmd_group_delete, "group delete ID" },
	{ "pool", "create", cmd_pool_create, "pool create DEV [--name NAME] [--chunk-size SIZE]" },
	{ "pool", "status", cmd_pool_status, "pool status NAME" },
};

static void usage(FILE *f)
{
	unsigned int i;

	fprintf(f, "Usage: %s [options] <command> [args]\n\n"
		"Manage dm-replica consistent group replicas.\n\nCommands:\n", prog);
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %s\n", commands[i].synopsis);
	fprintf(f,
		"\n"
		"Options:\n"
		"  -c, --control PATH  control device (default /dev/%s)\n"
		"  -j, --json          print machine-readable JSON\n"
		"  -h, --help          show this help\n"
		"\n"
		"Exit status (the SMI-S return value of the request):\n"
		"  0   Completed with No Error\n"
		"  1   Not Supported\n"
		"  2   Unknown\n"
		"  3   Timeout\n"
		"  4   Failed\n"
		"  5   Invalid Parameter\n"
		"  6   In Use\n"
		"  %d  usage error\n"
		"  %d  control device unavailable (dm-replica module not loaded)\n",
		DM_REPLICA_CONTROL_NAME, EXIT_USAGE, EXIT_UNAVAILABLE);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "control", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct options o = { .control = "/dev/" DM_REPLICA_CONTROL_NAME };
	unsigned int i;
	int c, known = 0;

	/* Options stop at the command: the command parses its own. */
	while ((c = getopt_long(argc, argv, "+c:jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o.control = optarg;
			break;
		case 'j':
			o.json = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}

	argc -= optind;
	argv += optind;
	for (i = 0; i < ARRAY_SIZE(commands); i++) {
		if (strcmp(argv[0], commands[i].name))
			continue;
		known = 1;
		if (!commands[i].sub)
			return commands[i].fn(&o, argc, argv);
		if (argc > 1 && !strcmp(argv[1], commands[i].sub))
			return commands[i].fn(&o, argc - 1, argv + 1);
	}
	if (known)
		err("%s: expected a subcommand (see --help)", argv[0]);
	else
		err("unknown command '%s' (see --help)", argv[0]);
	return EXIT_USAGE;
}
