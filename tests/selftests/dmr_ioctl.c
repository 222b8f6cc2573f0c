// SPDX-License-Identifier: GPL-2.0
/*
 * dmr_ioctl: malformed and well-formed requests to the dm-replica control
 * device. Each case prints one "ok"/"not ok" line (as KTAP diagnostics,
 * prefixed with "# " by the runner); exit status 0 when every case got the
 * answer it must get.
 *
 *   dmr_ioctl [CONTROL]             the common header, VERSION and the
 *                                   rows of the errno table that need no
 *                                   pool
 *   dmr_ioctl create SOURCE POOL    malformed create requests that would
 *                                   be valid with SOURCE and POOL
 *   dmr_ioctl readonly SOURCE POOL  create and delete requests in read-only
 *                                   memory do nothing
 *   dmr_ioctl jobs N KEEP_MAX       N calls: the job table keeps the last
 *                                   KEEP_MAX finished jobs, and only them
 *   dmr_ioctl intr JOB              a JOB_WAIT on running job JOB that a
 *                                   signal interrupts: EINTR, Unknown (2)
 *   dmr_ioctl modify GROUP OP [FLAGS]
 *                                   one ModifyReplicaSynchronization, not
 *                                   waited for: prints "<result> <job id>
 *                                   <message>", exit status 0 when the
 *                                   ioctl succeeded
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/dm-replica.h>

static int fd, failed, n;

static void report(int ok, const char *name, const char *why)
{
	n++;
	if (!ok)
		failed++;
	printf("%sok %d %s%s%s\n", ok ? "" : "not ok ", n, name,
	       why ? " # " : "", why ? why : "");
}

/* Issue @cmd on @arg; check the errno (0: success) and, if @msg, that the
 * returned message mentions it and the result is Invalid Parameter. */
static void expect(const char *name, unsigned long cmd, void *arg, int want_errno,
		   const char *msg)
{
	struct dm_replica_hdr *hdr = arg;
	char why[256];
	int r = ioctl(fd, cmd, arg);
	int e = r ? errno : 0;

	if (e != want_errno) {
		snprintf(why, sizeof(why), "errno %d (%s), expected %d", e,
			 strerror(e), want_errno);
		report(0, name, why);
		return;
	}
	if (msg && (hdr->result != DM_REPLICA_RET_INVALID_PARAM ||
		    !strstr(hdr->message, msg))) {
		snprintf(why, sizeof(why), "result %u message '%.128s', expected 5 naming '%s'",
			 hdr->result, hdr->message, msg);
		report(0, name, why);
		return;
	}
	report(1, name, NULL);
}

/* The number of groups, or -1. */
static int group_count(void)
{
	struct dm_replica_group_list gl;

	memset(&gl, 0, sizeof(gl));
	gl.hdr.size = sizeof(gl);
	if (ioctl(fd, DM_REPLICA_IOC_GROUP_LIST, &gl))
		return -1;
	return (int)gl.nr_groups;
}

/* Job @id exists, ended in Exception with ErrorCode @error. */
static void expect_refused_job(const char *name, uint64_t id, uint32_t error)
{
	struct dm_replica_job j;
	char why[256];

	memset(&j, 0, sizeof(j));
	j.hdr.size = sizeof(j);
	j.job_id = id;
	if (!id || ioctl(fd, DM_REPLICA_IOC_JOB_GET, &j) ||
	    j.job_state != DM_REPLICA_JOB_EXCEPTION || j.error_code != error) {
		snprintf(why, sizeof(why), "job %llu: errno %d state %u error %u, expected %u",
			 (unsigned long long)id, id ? errno : 0, j.job_state, j.error_code, error);
		report(0, name, why);
		return;
	}
	report(1, name, NULL);
}

static void init_version(struct dm_replica_version *v)
{
	memset(v, 0, sizeof(*v));
	v->hdr.size = sizeof(*v);
}

static struct dm_replica_dev devnum(const char *path)
{
	struct dm_replica_dev d = { 0, 0 };
	struct stat st;

	if (!stat(path, &st)) {
		d.major = major(st.st_rdev);
		d.minor = minor(st.st_rdev);
	}
	return d;
}

/* A create request that is valid but for what each case changes. */
static struct dm_replica_dev create_src, create_pool;

static void init_create(struct dm_replica_create_group *c, struct dm_replica_dev *srcs)
{
	memset(c, 0, sizeof(*c));
	c->hdr.size = sizeof(*c);
	c->sync_type = DM_REPLICA_SYNC_SNAPSHOT;
	c->nr_sources = 1;
	srcs[0] = create_src;
	c->sources = (uintptr_t)srcs;
	c->target_pool = create_pool;
	strcpy(c->relationship_name, "badreq");
}

/*
 * Malformed CreateGroupReplicaFromElements requests that only a program
 * can make: sizes, pointers, counts, reserved fields, settings without
 * NUL. Each must be answered and must leave no group behind.
 */
static void create_cases(void)
{
	long page = sysconf(_SC_PAGESIZE);
	struct dm_replica_create_group c;
	struct dm_replica_dev srcs[2];
	struct dm_replica_group_list gl;
	unsigned char *map;
	char settings[8];

	init_create(&c, srcs);
	c.hdr.size = sizeof(c) - 8;
	expect("create: struct too small names hdr.size", DM_REPLICA_IOC_CREATE_GROUP, &c,
	       EINVAL, "hdr.size");

	init_create(&c, srcs);
	c.hdr.size = page + 8;
	expect("create: struct too large is refused", DM_REPLICA_IOC_CREATE_GROUP, &c, E2BIG,
	       NULL);

	init_create(&c, srcs);
	c.reserved[2] = 1;
	expect("create: non-zero reserved is named", DM_REPLICA_IOC_CREATE_GROUP, &c, EINVAL,
	       "reserved");

	init_create(&c, srcs);
	c.pad0 = 1;
	expect("create: non-zero pad is named", DM_REPLICA_IOC_CREATE_GROUP, &c, EINVAL, "pad");

	init_create(&c, srcs);
	c.sources = 8;
	expect("create: unmapped SourceElements pointer", DM_REPLICA_IOC_CREATE_GROUP, &c,
	       EFAULT, "SourceElements");
	expect_refused_job("create: a bad pointer still gets a job", c.job_id,
			   DM_REPLICA_RET_INVALID_PARAM);

	init_create(&c, srcs);
	c.sources = 0;
	c.nr_sources = 2;
	expect("create: NULL SourceElements with a count", DM_REPLICA_IOC_CREATE_GROUP, &c,
	       EINVAL, "SourceElements: NULL");

	init_create(&c, srcs);
	c.hdr.flags = 1;
	expect("create: hdr.flags is named", DM_REPLICA_IOC_CREATE_GROUP, &c, EINVAL,
	       "hdr.flags");
	expect_refused_job("create: refused in the header, still a job", c.job_id,
			   DM_REPLICA_RET_INVALID_PARAM);

	init_create(&c, srcs);
	c.settings_len = 16;
	expect("create: NULL settings with a length", DM_REPLICA_IOC_CREATE_GROUP, &c, EINVAL,
	       "ReplicationSettingData: NULL");

	init_create(&c, srcs);
	c.target_setting_goal_len = 8;
	expect("create: NULL TargetSettingGoal with a length", DM_REPLICA_IOC_CREATE_GROUP, &c,
	       EINVAL, "TargetSettingGoal: NULL");

	/* The array ends at an unmapped page, one element short of the count. */
	map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(map + page, page);
	init_create(&c, srcs);
	memcpy(map + page - sizeof(srcs[0]), &create_src, sizeof(srcs[0]));
	c.sources = (uintptr_t)(map + page - sizeof(srcs[0]));
	c.nr_sources = 2;
	expect("create: a count larger than the array behind it", DM_REPLICA_IOC_CREATE_GROUP,
	       &c, EFAULT, "SourceElements");
	munmap(map, page);

	init_create(&c, srcs);
	c.nr_sources = 0;
	expect("create: empty SourceElements", DM_REPLICA_IOC_CREATE_GROUP, &c, EINVAL,
	       "SourceElements");

	init_create(&c, srcs);
	c.nr_sources = 100000;
	expect("create: a huge count", DM_REPLICA_IOC_CREATE_GROUP, &c, EINVAL,
	       "SourceElements");

	init_create(&c, srcs);
	memset(c.relationship_name, 'x', sizeof(c.relationship_name));
	expect("create: RelationshipName without NUL", DM_REPLICA_IOC_CREATE_GROUP, &c, EINVAL,
	       "RelationshipName");

	init_create(&c, srcs);
	memcpy(settings, "a=bcdefg", 8);
	c.settings = (uintptr_t)settings;
	c.settings_len = sizeof(settings);
	expect("create: settings without NUL", DM_REPLICA_IOC_CREATE_GROUP, &c, EINVAL,
	       "ReplicationSettingData");

	init_create(&c, srcs);
	c.settings = 8;
	c.settings_len = 16;
	expect("create: unmapped settings pointer", DM_REPLICA_IOC_CREATE_GROUP, &c, EFAULT,
	       "ReplicationSettingData");

	init_create(&c, srcs);
	c.settings = (uintptr_t)"x=1";
	c.settings_len = 1 << 20;
	expect("create: settings length too large", DM_REPLICA_IOC_CREATE_GROUP, &c, EINVAL,
	       "ReplicationSettingData");

	init_create(&c, srcs);
	srcs[0].major = 1 << 20;
	expect("create: not a device number", DM_REPLICA_IOC_CREATE_GROUP, &c, EINVAL,
	       "SourceElements[0]");

	memset(&gl, 0, sizeof(gl));
	gl.hdr.size = sizeof(gl);
	expect("group list answers", DM_REPLICA_IOC_GROUP_LIST, &gl, 0, NULL);
	report(gl.nr_groups == 0, "no group was left behind", NULL);
}

/* A page of its own, so that it can be made read-only. */
static void *page_alloc(void)
{
	void *p = mmap(NULL, sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	return p;
}

static void page_protect(void *p, int prot)
{
	if (mprotect(p, sysconf(_SC_PAGESIZE), prot)) {
		perror("mprotect");
		exit(1);
	}
}

/*
 * A create or delete whose struct the kernel cannot write to is refused
 * with EFAULT before anything is done: no group is created, none deleted.
 */
static void readonly_cases(void)
{
	struct dm_replica_create_group *c = page_alloc();
	struct dm_replica_modify_sync *m = page_alloc();
	struct dm_replica_dev srcs[2];
	int before = group_count();
	char why[160];

	init_create(c, srcs);
	strcpy(c->relationship_name, "rocreate");
	c->wait_for_copy_state = DM_REPLICA_COPY_SYNCHRONIZED;
	page_protect(c, PROT_READ);
	expect("create: a read-only struct faults", DM_REPLICA_IOC_CREATE_GROUP, c, EFAULT, NULL);
	snprintf(why, sizeof(why), "%d groups, %d before", group_count(), before);
	report(group_count() == before, "create: a read-only struct creates no group", why);

	page_protect(c, PROT_READ | PROT_WRITE);
	expect("create: the same struct writable succeeds", DM_REPLICA_IOC_CREATE_GROUP, c, 0,
	       NULL);
	report(c->hdr.result == DM_REPLICA_RET_OK && c->group_id && c->job_id &&
	       group_count() == before + 1, "create: the answer has the group and the job",
	       c->hdr.message);

	memset(m, 0, sizeof(*m));
	m->hdr.size = sizeof(*m);
	m->group_id = c->group_id;
	m->operation = DM_REPLICA_OP_RETURN_TO_POOL;
	page_protect(m, PROT_READ);
	expect("delete: a read-only struct faults", DM_REPLICA_IOC_MODIFY_SYNC, m, EFAULT, NULL);
	snprintf(why, sizeof(why), "%d groups, %d expected", group_count(), before + 1);
	report(group_count() == before + 1, "delete: a read-only struct deletes nothing", why);

	page_protect(m, PROT_READ | PROT_WRITE);
	expect("delete: the same struct writable succeeds", DM_REPLICA_IOC_MODIFY_SYNC, m, 0,
	       NULL);
	report(m->job_id && group_count() == before, "delete: the group is gone", m->hdr.message);
}

/*
 * @nr calls that each get a job (deletes of a group that does not exist):
 * the finished jobs kept are the last @keep, and looking them up works.
 */
static void jobs_cases(unsigned int nr, unsigned int keep)
{
	uint64_t *ids = calloc(nr, sizeof(*ids));
	struct dm_replica_modify_sync m;
	struct dm_replica_job j;
	unsigned int i, found_old = 0, found_new = 0;
	char why[160];

	for (i = 0; i < nr; i++) {
		memset(&m, 0, sizeof(m));
		m.hdr.size = sizeof(m);
		m.group_id = 0xfffffff0;
		m.operation = DM_REPLICA_OP_RETURN_TO_POOL;
		ioctl(fd, DM_REPLICA_IOC_MODIFY_SYNC, &m);
		ids[i] = m.job_id;
	}
	for (i = 0; i < nr; i++) {
		memset(&j, 0, sizeof(j));
		j.hdr.size = sizeof(j);
		j.job_id = ids[i];
		if (ioctl(fd, DM_REPLICA_IOC_JOB_GET, &j))
			continue;
		if (i + keep < nr)
			found_old++;
		else if (j.job_state == DM_REPLICA_JOB_EXCEPTION &&
			 j.error_code == DM_REPLICA_RET_INVALID_PARAM)
			found_new++;
	}
	snprintf(why, sizeof(why), "%u of the %u oldest jobs still there", found_old, nr - keep);
	report(found_old == 0, "jobs: the table keeps no more than job_keep_max", why);
	snprintf(why, sizeof(why), "%u of the %u newest jobs found", found_new, keep);
	report(found_new == keep, "jobs: the newest are found", why);
	free(ids);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* JOB_WAIT on running job @id, interrupted by a signal after a second. */
static void intr_cases(uint64_t id)
{
	struct sigaction sa;
	struct dm_replica_job j;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;	/* no SA_RESTART */
	sigaction(SIGALRM, &sa, NULL);
	memset(&j, 0, sizeof(j));
	j.hdr.size = sizeof(j);
	j.job_id = id;
	j.timeout_ms = 30000;
	alarm(1);
	expect("job wait: interrupted by a signal", DM_REPLICA_IOC_JOB_WAIT, &j, EINTR, NULL);
	report(j.hdr.result == DM_REPLICA_RET_UNKNOWN && j.job_state == DM_REPLICA_JOB_RUNNING,
	       "job wait: interrupted answers Unknown (2) and the job still running",
	       j.hdr.message);
}

/* The rows of the errno table that need no pool. */
static void table_cases(void)
{
	long page = sysconf(_SC_PAGESIZE);
	struct dm_replica_group_list gl;
	struct dm_replica_group g;
	struct dm_replica_modify_sync m;
	struct dm_replica_job j;
	struct dm_replica_version *v;

	memset(&gl, 0, sizeof(gl));
	gl.hdr.size = sizeof(gl);
	gl.ids_cap = 4;
	expect("group list: NULL ids with a capacity", DM_REPLICA_IOC_GROUP_LIST, &gl, EINVAL,
	       "ids: NULL");
	gl.ids_cap = DM_REPLICA_MAX_IDS + 1;
	gl.ids = (uintptr_t)&gl;
	expect("group list: ids_cap above the limit", DM_REPLICA_IOC_GROUP_LIST, &gl, EINVAL,
	       "ids_cap");
	gl.ids = 8;
	gl.ids_cap = 4;
	expect("group list: unmapped ids", DM_REPLICA_IOC_GROUP_LIST, &gl,
	       group_count() > 0 ? EFAULT : 0, group_count() > 0 ? "ids" : NULL);

	memset(&g, 0, sizeof(g));
	g.hdr.size = sizeof(g);
	g.members_cap = DM_REPLICA_MAX_MEMBERS + 1;
	g.members = (uintptr_t)&g;
	expect("group get: members_cap above the limit", DM_REPLICA_IOC_GROUP_GET, &g, EINVAL,
	       "members_cap");
	g.members_cap = 2;
	g.members = 0;
	expect("group get: NULL members with a capacity", DM_REPLICA_IOC_GROUP_GET, &g, EINVAL,
	       "members: NULL");

	memset(&m, 0, sizeof(m));
	m.hdr.size = sizeof(m);
	m.hdr.flags = 2;
	m.job_id = 12345678;
	m.group_id = 1;
	m.operation = DM_REPLICA_OP_RETURN_TO_POOL;
	expect("modify: hdr.flags is named", DM_REPLICA_IOC_MODIFY_SYNC, &m, EINVAL, "hdr.flags");
	report(m.job_id != 12345678, "modify: job_id is an output", NULL);
	expect_refused_job("modify: refused in the header, still a job", m.job_id,
			   DM_REPLICA_RET_INVALID_PARAM);

	memset(&j, 0, sizeof(j));
	j.hdr.size = sizeof(j);
	j.job_id = ~0ULL;
	expect("job get: no such job", DM_REPLICA_IOC_JOB_GET, &j, EINVAL, "job_id");
	/* A job of a modify its handler answered: it names the operation. */
	m.hdr.flags = 0;
	m.group_id = 0xfffffff0;
	m.operation = DM_REPLICA_OP_RESTORE_FROM_REPLICA;
	expect("modify: no such group", DM_REPLICA_IOC_MODIFY_SYNC, &m, EINVAL,
	       "Synchronization");
	j.job_id = m.job_id;
	j.pad1 = 1;
	expect("job get: non-zero pad1 is named", DM_REPLICA_IOC_JOB_GET, &j, EINVAL, "pad1");
	j.pad1 = 0;
	j.pad2 = 1;
	expect("job get: non-zero pad2 is named", DM_REPLICA_IOC_JOB_GET, &j, EINVAL, "pad2");
	j.pad2 = 0;
	j.sync_operation = 7;
	if (ioctl(fd, DM_REPLICA_IOC_JOB_GET, &j))
		report(0, "job get: sync_operation is an output", strerror(errno));
	else
		report(j.sync_operation == DM_REPLICA_OP_RESTORE_FROM_REPLICA,
		       "job get: sync_operation is an output: the modify's operation", NULL);

	v = page_alloc();
	init_version(v);
	page_protect(v, PROT_READ);
	expect("version: a read-only struct faults", DM_REPLICA_IOC_VERSION, v, EFAULT, NULL);
	report(v->major == 0 && v->hdr.result == 0, "version: nothing written", NULL);
	munmap(v, page);
}

int main(int argc, char **argv)
{
	const char *path = "/dev/" DM_REPLICA_CONTROL_NAME;

	if (argc == 4 && (!strcmp(argv[1], "create") || !strcmp(argv[1], "readonly"))) {
		create_src = devnum(argv[2]);
		create_pool = devnum(argv[3]);
		fd = open(path, O_RDWR);
		if (fd < 0) {
			perror(path);
			return 1;
		}
		if (!strcmp(argv[1], "create"))
			create_cases();
		else
			readonly_cases();
		printf("%d of %d cases failed\n", failed, n);
		return failed ? 1 : 0;
	}
	if (argc == 3 && !strcmp(argv[1], "intr")) {
		fd = open(path, O_RDWR);
		if (fd < 0) {
			perror(path);
			return 1;
		}
		intr_cases(strtoull(argv[2], NULL, 0));
		printf("%d of %d cases failed\n", failed, n);
		return failed ? 1 : 0;
	}
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "modify")) {
		struct dm_replica_modify_sync m;
		int r;

		fd = open(path, O_RDWR);
		if (fd < 0) {
			perror(path);
			return 1;
		}
		memset(&m, 0, sizeof(m));
		m.hdr.size = sizeof(m);
		m.group_id = strtoul(argv[2], NULL, 0);
		m.operation = strtoul(argv[3], NULL, 0);
		m.flags = argc == 5 ? strtoul(argv[4], NULL, 0) : 0;
		r = ioctl(fd, DM_REPLICA_IOC_MODIFY_SYNC, &m);
		printf("%u %llu %s\n", m.hdr.result, (unsigned long long)m.job_id, m.hdr.message);
		return r ? 1 : 0;
	}
	if (argc == 4 && !strcmp(argv[1], "jobs")) {
		fd = open(path, O_RDWR);
		if (fd < 0) {
			perror(path);
			return 1;
		}
		jobs_cases(atoi(argv[2]), atoi(argv[3]));
		printf("%d of %d cases failed\n", failed, n);
		return failed ? 1 : 0;
	}
	if (argc > 1)
		path = argv[1];
	long page = sysconf(_SC_PAGESIZE);
	struct dm_replica_version v;
	unsigned char *big, *map;
	pid_t pid;
	int status;

	fd = open(path, O_RDWR);
	if (fd < 0) {
		perror(path);
		return 1;
	}

	init_version(&v);
	expect("version succeeds", DM_REPLICA_IOC_VERSION, &v, 0, NULL);
	report(v.major == DM_REPLICA_VERSION_MAJOR && v.minor == DM_REPLICA_VERSION_MINOR &&
	       v.hdr.result == 0 && (v.features & DM_REPLICA_FEAT_SOURCE_TARGET),
	       "version answers major, minor and features", NULL);

	init_version(&v);
	v.hdr.size = 0;
	expect("size 0 is refused", DM_REPLICA_IOC_VERSION, &v, EINVAL, NULL);

	init_version(&v);
	v.hdr.size = sizeof(v.hdr) - 1;
	expect("size smaller than the header is refused", DM_REPLICA_IOC_VERSION, &v,
	       EINVAL, NULL);

	init_version(&v);
	v.hdr.size = sizeof(v.hdr);
	expect("size smaller than the command's struct names hdr.size",
	       DM_REPLICA_IOC_VERSION, &v, EINVAL, "hdr.size");

	init_version(&v);
	v.hdr.size = (uint32_t)page + 1;
	expect("size larger than a page is refused", DM_REPLICA_IOC_VERSION, &v, E2BIG,
	       NULL);

	/* A newer caller: a larger struct whose unknown tail is zero. */
	big = calloc(1, sizeof(v) + 64);
	init_version((struct dm_replica_version *)big);
	((struct dm_replica_hdr *)big)->size = sizeof(v) + 64;
	expect("larger struct with a zero tail is accepted", DM_REPLICA_IOC_VERSION, big,
	       0, NULL);
	big[sizeof(v) + 10] = 1;
	expect("larger struct with a non-zero tail: E2BIG, result 5 naming hdr.size",
	       DM_REPLICA_IOC_VERSION, big, E2BIG, "hdr.size");
	report(big[sizeof(v) + 10] == 1, "the unknown tail is left untouched", NULL);
	free(big);

	init_version(&v);
	v.hdr.flags = 1;
	expect("non-zero hdr.flags is named", DM_REPLICA_IOC_VERSION, &v, EINVAL,
	       "hdr.flags");

	init_version(&v);
	v.hdr.reserved = 1;
	expect("non-zero hdr.reserved is named", DM_REPLICA_IOC_VERSION, &v, EINVAL,
	       "hdr.reserved");

	init_version(&v);
	v.pad = 1;
	expect("non-zero pad is named", DM_REPLICA_IOC_VERSION, &v, EINVAL, "pad");

	init_version(&v);
	v.reserved[3] = 1;
	expect("non-zero reserved[3] is named", DM_REPLICA_IOC_VERSION, &v, EINVAL,
	       "reserved[3]");

	expect("NULL pointer faults", DM_REPLICA_IOC_VERSION, NULL, EFAULT, NULL);
	expect("wild pointer faults", DM_REPLICA_IOC_VERSION, (void *)16, EFAULT, NULL);

	/* A struct that runs off the end of mapped memory. */
	map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	if (map == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	munmap(map + page, page);
	{
		struct dm_replica_version *tail =
			(void *)(map + page - sizeof(v.hdr) - 8);

		memset(tail, 0, sizeof(v.hdr) + 8);
		tail->hdr.size = sizeof(v);
		expect("struct running into an unmapped page faults",
		       DM_REPLICA_IOC_VERSION, tail, EFAULT, NULL);
	}
	mprotect(map, page, PROT_NONE);
	expect("struct in a PROT_NONE page faults", DM_REPLICA_IOC_VERSION, map,
	       EFAULT, NULL);
	munmap(map, page);

	init_version(&v);
	expect("unknown command number is refused",
	       _IOWR(DM_REPLICA_IOC_MAGIC, 0x7f, struct dm_replica_version), &v, ENOTTY,
	       NULL);
	expect("wrong direction is refused",
	       _IOR(DM_REPLICA_IOC_MAGIC, DM_REPLICA_CMD_VERSION, struct dm_replica_version),
	       &v, ENOTTY, NULL);
	expect("wrong ioctl type is refused",
	       _IOWR(0xfd, DM_REPLICA_CMD_VERSION, struct dm_replica_version), &v, ENOTTY,
	       NULL);

	/* Without CAP_SYS_ADMIN, nothing is answered. */
	pid = fork();
	if (pid == 0) {
		init_version(&v);
		if (setresuid(65534, 65534, 65534))
			_exit(2);
		_exit(ioctl(fd, DM_REPLICA_IOC_VERSION, &v) == -1 && errno == EPERM ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	report(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "an unprivileged caller gets EPERM", NULL);

	table_cases();

	printf("%d of %d cases failed\n", failed, n);
	return failed ? 1 : 0;
}
