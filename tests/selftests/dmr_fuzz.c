// SPDX-License-Identifier: GPL-2.0
/*
 * dmr_fuzz: seeded random malformed requests on every command of the
 * dm-replica control device.
 *
 *   dmr_fuzz SEED COUNT [SECONDS [SOURCE POOL]]
 *
 * From SEED, issues COUNT requests (or as many as fit in SECONDS): each
 * command, a valid request mutated at random: sizes (too small, larger
 * with a zero or non-zero tail, beyond a page), the struct in read-only or
 * unmapped memory or running off a mapping, embedded pointers NULL,
 * unmapped, read-only, wild or to the kernel, random counts and lengths,
 * names and settings without a NUL, reserved and pad bytes set, random
 * bytes anywhere. With SOURCE and POOL the creates are valid but for what
 * was mutated. Every answer must be a row of the errno table of
 * Documentation/dm-replica.rst, and a refused request must leave the group
 * list as it was. A create or delete that succeeded is undone or waited
 * for. On the first failure it prints the seed and the request number, so
 * that "dmr_fuzz SEED N" replays it, and exits 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <linux/dm-replica.h>

static int fd;
static uint64_t seed, rng;
static unsigned long nreq;
static long page;
static struct dm_replica_dev src_dev, pool_dev;

/* Memory the pointers point to. */
static unsigned char *rw;	/* 2 pages: requests and buffers */
static unsigned char *ro;	/* 1 page, read-only but while a request is put there */
static unsigned char *edge;	/* last page before an unmapped page */
static unsigned char *hole;	/* unmapped */

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1DULL;
}

static unsigned int below(unsigned int n)
{
	return n ? (unsigned int)(rnd() % n) : 0;
}

static bool chance(unsigned int percent)
{
	return below(100) < percent;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	printf("dmr_fuzz: FAIL at request %lu of seed %" PRIu64 ": ", nreq, seed);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\nreplay: dmr_fuzz %" PRIu64 " %lu\n", seed, nreq + 1);
	fflush(stdout);
	exit(1);
}

struct cmd {
	const char *name;
	unsigned long ioc;
	size_t size;
	size_t job_off;		/* offset of job_id, 0: no job */
};

static const struct cmd cmds[] = {
	{ "version", DM_REPLICA_IOC_VERSION, sizeof(struct dm_replica_version), 0 },
	{ "create", DM_REPLICA_IOC_CREATE_GROUP, sizeof(struct dm_replica_create_group),
	  offsetof(struct dm_replica_create_group, job_id) },
	{ "job get", DM_REPLICA_IOC_JOB_GET, sizeof(struct dm_replica_job), 0 },
	{ "job wait", DM_REPLICA_IOC_JOB_WAIT, sizeof(struct dm_replica_job), 0 },
	{ "job cancel", DM_REPLICA_IOC_JOB_CANCEL, sizeof(struct dm_replica_job), 0 },
	{ "group list", DM_REPLICA_IOC_GROUP_LIST, sizeof(struct dm_replica_group_list), 0 },
	{ "group get", DM_REPLICA_IOC_GROUP_GET, sizeof(struct dm_replica_group), 0 },
	{ "modify", DM_REPLICA_IOC_MODIFY_SYNC, sizeof(struct dm_replica_modify_sync),
	  offsetof(struct dm_replica_modify_sync, job_id) },
	{ "changed", DM_REPLICA_IOC_CHANGED_CHUNKS, sizeof(struct dm_replica_changed), 0 },
};

/* A random pointer: NULL, unmapped, read-only, wild, kernel, or @good. */
static uint64_t pointer(void *good)
{
	switch (below(8)) {
	case 0:
		return 0;
	case 1:
		return (uintptr_t)hole + below(page);
	case 2:
		return (uintptr_t)ro;
	case 3:
		return rnd();
	case 4:
		return 0xffff888000000000ULL + below(1 << 20) * 4096ULL;
	case 5:
		return (uintptr_t)edge + page - below(64);
	default:
		return (uintptr_t)good;
	}
}

static uint32_t count(uint32_t good)
{
	switch (below(6)) {
	case 0:
		return 0;
	case 1:
		return (uint32_t)rnd();
	case 2:
		return good + 1 + below(8);
	case 3:
		return below(5000);
	default:
		return good;
	}
}

/* Buffers the valid requests point to, in the second page of rw. */
static struct dm_replica_dev *srcs_buf(void)
{
	return (struct dm_replica_dev *)(rw + page);
}

static char *settings_buf(void)
{
	return (char *)(rw + page + 1024);
}

static void *out_buf(void)
{
	return rw + page + 2048;
}

/* A valid request of command @c in @req (of c->size bytes). */
static void fill_valid(unsigned int c, void *req)
{
	memset(req, 0, cmds[c].size);
	((struct dm_replica_hdr *)req)->size = cmds[c].size;
	switch (c) {
	case 1: {
		struct dm_replica_create_group *r = req;

		srcs_buf()[0] = src_dev;
		r->sync_type = DM_REPLICA_SYNC_SNAPSHOT;
		r->nr_sources = 1;
		r->sources = (uintptr_t)srcs_buf();
		r->target_pool = pool_dev;
		snprintf(r->relationship_name, sizeof(r->relationship_name), "fuzz%u", below(4));
		if (chance(30)) {
			strcpy(settings_buf(), "barrier_timeout_ms=2000");
			r->settings = (uintptr_t)settings_buf();
			r->settings_len = strlen(settings_buf()) + 1;
		}
		if (chance(30))
			r->wait_for_copy_state = DM_REPLICA_COPY_SYNCHRONIZED;
		break;
	}
	case 2: case 3: case 4: {
		struct dm_replica_job *r = req;

		r->job_id = below(3) ? 1 + below(nreq + 2) : rnd();
		if (c == 3)
			r->timeout_ms = below(20);
		if (c == 4)
			r->request = DM_REPLICA_JOB_REQ_TERMINATE + below(2);
		break;
	}
	case 5: {
		struct dm_replica_group_list *r = req;

		r->ids_cap = below(16);
		r->ids = (uintptr_t)out_buf();
		break;
	}
	case 6: {
		struct dm_replica_group *r = req;

		r->group_id = below(8);
		r->members_cap = below(4);
		r->members = (uintptr_t)out_buf();
		break;
	}
	case 7: {
		struct dm_replica_modify_sync *r = req;

		/* Rarely a real group: the fuzzer's own, if any. */
		r->group_id = chance(10) ? below(8) : 0x10000000 + below(1000);
		r->operation = chance(80) ? DM_REPLICA_OP_RETURN_TO_POOL : below(40);
		break;
	}
	case 8: {
		struct dm_replica_changed *r = req;

		r->group_id = below(8);
		r->member = below(3);
		r->start = chance(80) ? 0 : rnd();
		r->ranges_cap = 1 + below(16);
		r->ranges = (uintptr_t)out_buf();
		break;
	}
	}
}

/* Mutate the request: fields, pointers, counts, bytes. */
static void mutate(unsigned int c, unsigned char *req)
{
	unsigned int i, n = 1 + below(3);
	size_t size = cmds[c].size;

	for (i = 0; i < n; i++) {
		switch (below(6)) {
		case 0: /* a random byte anywhere past hdr.size */
			req[4 + below(size - 4)] = (unsigned char)rnd();
			break;
		case 1: /* a header field */
			((struct dm_replica_hdr *)req)->flags = chance(50) ? 1u << below(32) : 0;
			((struct dm_replica_hdr *)req)->reserved = chance(30) ? (uint32_t)rnd() : 0;
			break;
		case 2: /* a reserved or pad byte: the struct's last 32 bytes */
			req[size - 1 - below(32)] = 1 + below(255);
			break;
		default:
			break;
		}
		switch (c) {
		case 1: {
			struct dm_replica_create_group *r = (void *)req;

			switch (below(10)) {
			case 0: r->sources = pointer(srcs_buf()); break;
			case 1: r->nr_sources = count(1); break;
			case 2: r->settings = pointer(settings_buf()); break;
			case 3: r->settings_len = count(r->settings_len); break;
			case 4: /* settings without a NUL */
				memset(settings_buf(), 'x', 64);
				r->settings = (uintptr_t)settings_buf();
				r->settings_len = 64;
				break;
			case 5: r->target_setting_goal = pointer(settings_buf());
				r->target_setting_goal_len = count(8);
				break;
			case 6: /* a name without NUL */
				memset(r->relationship_name + below(3) * DM_REPLICA_NAME_LEN, 'n',
				       DM_REPLICA_NAME_LEN);
				break;
			case 7: srcs_buf()[0].major = (uint32_t)rnd(); break;
			case 8: r->target_pool.minor = (uint32_t)rnd(); break;
			default: r->sync_type = below(12); r->mode = below(5);
				r->consistency = below(5); r->wait_for_copy_state = below(16);
				break;
			}
			break;
		}
		case 5: {
			struct dm_replica_group_list *r = (void *)req;

			r->ids = pointer(out_buf());
			r->ids_cap = count(r->ids_cap);
			break;
		}
		case 6: {
			struct dm_replica_group *r = (void *)req;

			r->members = pointer(out_buf());
			r->members_cap = count(r->members_cap);
			break;
		}
		case 8: {
			struct dm_replica_changed *r = (void *)req;

			r->ranges = pointer(out_buf());
			r->ranges_cap = count(r->ranges_cap);
			break;
		}
		case 2: case 3: case 4: {
			struct dm_replica_job *r = (void *)req;

			if (chance(30))
				r->request = below(8);
			if (chance(20))
				r->timeout_ms = below(50);
			break;
		}
		default:
			break;
		}
	}
}

/* The group ids, sorted as the kernel lists them; returns the count. */
static int groups(uint32_t *ids, unsigned int cap)
{
	struct dm_replica_group_list gl;

	memset(&gl, 0, sizeof(gl));
	gl.hdr.size = sizeof(gl);
	gl.ids_cap = cap;
	gl.ids = (uintptr_t)ids;
	if (ioctl(fd, DM_REPLICA_IOC_GROUP_LIST, &gl))
		die("group list: errno %d", errno);
	if (gl.nr_groups > cap)
		die("more than %u groups", cap);
	return (int)gl.nr_groups;
}

/* The errno that goes with a written-back result (the table). */
static bool row_ok(int err, uint32_t result)
{
	switch (result) {
	case DM_REPLICA_RET_OK:
	case DM_REPLICA_RET_JOB_STARTED:
		return err == 0;
	case DM_REPLICA_RET_NOT_SUPPORTED:
		return err == EOPNOTSUPP;
	case DM_REPLICA_RET_UNKNOWN:
		return err == EINTR;
	case DM_REPLICA_RET_TIMEOUT:
		return err == ETIMEDOUT;
	case DM_REPLICA_RET_FAILED:
		return err == EIO || err == ENOMEM;
	case DM_REPLICA_RET_INVALID_PARAM:
		return err == EINVAL || err == EFAULT || err == E2BIG;
	case DM_REPLICA_RET_IN_USE:
		return err == EBUSY;
	default:
		return false;
	}
}

/* Wait for job @id to end. */
static void job_end(uint64_t id)
{
	struct dm_replica_job j;
	int tries;

	for (tries = 0; tries < 600; tries++) {
		memset(&j, 0, sizeof(j));
		j.hdr.size = sizeof(j);
		j.job_id = id;
		j.timeout_ms = 1000;
		if (!ioctl(fd, DM_REPLICA_IOC_JOB_WAIT, &j) && j.job_state >= DM_REPLICA_JOB_COMPLETED)
			return;
		if (errno != ETIMEDOUT && errno != EINTR)
			die("job %" PRIu64 " of a create: JOB_WAIT errno %d", id, errno);
	}
	die("job %" PRIu64 " did not end", id);
}

/* Delete group @id, made by a create that got through. */
static void undo(uint32_t id)
{
	struct dm_replica_modify_sync m;

	memset(&m, 0, sizeof(m));
	m.hdr.size = sizeof(m);
	m.group_id = id;
	m.operation = DM_REPLICA_OP_RETURN_TO_POOL;
	if (ioctl(fd, DM_REPLICA_IOC_MODIFY_SYNC, &m) && errno != EINVAL)
		die("cannot delete group %u: errno %d: %s", id, errno, m.hdr.message);
}

static void one(void)
{
	static uint32_t before[4096], after[4096];
	unsigned int c = below(sizeof(cmds) / sizeof(cmds[0]) + 1), where;
	unsigned char *req, saved[4096 + 64];
	struct dm_replica_hdr *hdr;
	unsigned long ioc;
	size_t size, usize;
	int nb, na, r, err, i;
	bool tail = false, writable = true, readable = true;

	if (c == sizeof(cmds) / sizeof(cmds[0])) {
		/* An unknown command: ENOTTY, nothing read. */
		ioc = _IOWR(DM_REPLICA_IOC_MAGIC, 9 + below(247), struct dm_replica_version);
		if (chance(50))
			ioc = _IOR(DM_REPLICA_IOC_MAGIC, below(9), struct dm_replica_version);
		r = ioctl(fd, ioc, rw);
		if (r != -1 || errno != ENOTTY)
			die("unknown command 0x%lx: %d errno %d", ioc, r, errno);
		return;
	}
	size = cmds[c].size;
	ioc = cmds[c].ioc;
	nb = groups(before, 4096);

	/*
	 * Where the struct lies: read-only, running into an unmapped page
	 * past its header, or where the answer can be written.
	 */
	where = below(20);
	if (where == 0) {
		req = ro + page - size;
		writable = false;
		if (mprotect(ro, page, PROT_READ | PROT_WRITE))
			die("mprotect: %d", errno);
	} else if (where == 1) {
		req = edge + page - sizeof(*hdr) - 8 * below((size - sizeof(*hdr)) / 8);
		readable = false;
	} else {
		req = rw;
	}
	hdr = (struct dm_replica_hdr *)req;
	if (readable) {
		fill_valid(c, req);
		if (chance(85))
			mutate(c, req);
	} else {
		memset(req, 0, edge + page - req);
		hdr->size = size;
	}
	usize = size;
	if (readable && writable && chance(15)) {
		switch (below(4)) {
		case 0: usize = below(sizeof(*hdr)); break;
		case 1: usize = below(size); break;
		case 2: usize = page + 1 + below(page); break;
		default:
			usize = size + 1 + below(64);
			memset(req + size, 0, usize - size);
			if (chance(50)) {
				req[size + below(usize - size)] = 1;
				tail = true;
			}
			break;
		}
		hdr->size = usize;
	}
	if (readable && writable)
		memcpy(saved, req, size < usize && usize <= (size_t)page ? usize : size);
	if (!writable) {
		hdr->size = usize;
		if (mprotect(ro, page, PROT_READ))
			die("mprotect: %d", errno);
	}

	r = ioctl(fd, ioc, req);
	err = r ? errno : 0;
	if (r && r != -1)
		die("%s: returned %d", cmds[c].name, r);

	if (!readable || !writable) {
		if (err != EFAULT)
			die("%s: struct %s: errno %d, expected EFAULT", cmds[c].name,
			    readable ? "read-only" : "unmapped", err);
	} else if (usize < sizeof(*hdr) || usize > (size_t)page) {
		int want = usize < sizeof(*hdr) ? EINVAL : E2BIG;

		if (err != want || memcmp(saved, req, size))
			die("%s: size %zu: errno %d, expected %d and nothing written",
			    cmds[c].name, usize, err, want);
	} else {
		if (!row_ok(err, hdr->result))
			die("%s: errno %d with result %u (%.128s): not a row of the table",
			    cmds[c].name, err, hdr->result, hdr->message);
		if (!memchr(hdr->message, 0, sizeof(hdr->message)))
			die("%s: message not NUL-terminated", cmds[c].name);
		if (hdr->result != DM_REPLICA_RET_OK && hdr->result != DM_REPLICA_RET_JOB_STARTED &&
		    !hdr->message[0])
			die("%s: result %u without a message", cmds[c].name, hdr->result);
		if (tail) {
			if (err != E2BIG || memcmp(saved + sizeof(*hdr), req + sizeof(*hdr),
						   usize - sizeof(*hdr)))
				die("%s: non-zero tail: errno %d, expected E2BIG and only the header written",
				    cmds[c].name, err);
		} else if (err == E2BIG) {
			die("%s: E2BIG without a non-zero tail", cmds[c].name);
		}
		/* Every call of a job command that was answered has a job. */
		if (cmds[c].job_off && !tail && err != ENOMEM &&
		    usize >= cmds[c].job_off + 8 &&
		    !*(uint64_t *)(req + cmds[c].job_off))
			die("%s: answered (result %u: %.128s) without a job", cmds[c].name,
			    hdr->result, hdr->message);
	}

	if (c == 1 && !err) {
		struct dm_replica_create_group *cr = (void *)req;

		if (hdr->result == DM_REPLICA_RET_JOB_STARTED)
			job_end(cr->job_id);
		na = groups(after, 4096);
		for (i = 0; i < na; i++)
			undo(after[i]);
		return;
	}
	if (c == 7 && !err)
		return;	/* deleted one of the fuzzer's groups */

	na = groups(after, 4096);
	if (na != nb || memcmp(before, after, nb * sizeof(before[0])))
		die("%s refused (errno %d) but the group list changed: %d groups, %d before",
		    cmds[c].name, err, na, nb);
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

int main(int argc, char **argv)
{
	unsigned long n, count_max;
	time_t end = 0, start = time(NULL);

	if (argc != 3 && argc != 4 && argc != 6) {
		fprintf(stderr, "usage: dmr_fuzz SEED COUNT [SECONDS [SOURCE POOL]]\n");
		return 2;
	}
	seed = strtoull(argv[1], NULL, 0);
	count_max = strtoul(argv[2], NULL, 0);
	if (argc >= 4 && atoi(argv[3]) > 0)
		end = time(NULL) + atoi(argv[3]);
	if (argc == 6) {
		src_dev = devnum(argv[4]);
		pool_dev = devnum(argv[5]);
	}
	rng = seed * 0x9E3779B97F4A7C15ULL + 1;
	page = sysconf(_SC_PAGESIZE);

	fd = open("/dev/" DM_REPLICA_CONTROL_NAME, O_RDWR);
	if (fd < 0) {
		perror("/dev/" DM_REPLICA_CONTROL_NAME);
		return 1;
	}
	rw = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ro = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	edge = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (rw == MAP_FAILED || ro == MAP_FAILED || edge == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	hole = edge + page;
	munmap(hole, page);

	for (n = 0; n < count_max; n++) {
		nreq = n;
		one();
		if (end && !(n % 64) && time(NULL) >= end)
			break;
	}
	printf("dmr_fuzz: seed %" PRIu64 ": %lu requests in %ld s, every answer in the table\n",
	       seed, n, (long)(time(NULL) - start));
	return 0;
}
