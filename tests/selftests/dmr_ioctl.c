// SPDX-License-Identifier: GPL-2.0
/*
 * dmr_ioctl: malformed and well-formed requests to the dm-replica control
 * device. Each case prints one "ok"/"not ok" line (as KTAP diagnostics,
 * prefixed with "# " by the runner); exit status 0 when every case got the
 * answer it must get.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
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

static void init_version(struct dm_replica_version *v)
{
	memset(v, 0, sizeof(*v));
	v->hdr.size = sizeof(*v);
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/dev/" DM_REPLICA_CONTROL_NAME;
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
	expect("larger struct with a non-zero tail names hdr.size",
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

	printf("%d of %d cases failed\n", failed, n);
	return failed ? 1 : 0;
}
