// SPDX-License-Identifier: GPL-2.0
/*
 * dmr_dwc: dependent-write consistency across devices.
 *
 *   dmr_dwc write DEV...   write sequence-numbered records round-robin to
 *                          the devices, each write issued only after the
 *                          previous one completed (O_DIRECT, O_DSYNC),
 *                          until SIGTERM. Prints "seq S" every 64 records.
 *   dmr_dwc check DEV...   check that the devices (the replicas, in the
 *                          same order) hold exactly the records 1..S for
 *                          some S: a record is never present without every
 *                          record written before it. Prints "consistent at
 *                          S" and exits 0, or names the missing record.
 *
 * Record s goes to device s % N, slot (s / N) % SLOTS, so that the devices
 * form one ring of N * SLOTS records; each slot holds the newest record
 * written to it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REC_SIZE	4096
#define SLOTS		64
#define MAX_DEVS	64
#define REC_MAGIC	0x6477637265636f72ULL	/* "dwcrecor" */

struct rec {
	uint64_t magic;
	uint64_t seq;
	uint64_t check;
};

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t rec_check(uint64_t seq)
{
	return seq * 0x9e3779b97f4a7c15ULL ^ REC_MAGIC;
}

static int open_all(int n, char **paths, int *fds, int flags)
{
	int i;

	for (i = 0; i < n; i++) {
		fds[i] = open(paths[i], flags | O_DIRECT);
		if (fds[i] < 0) {
			fprintf(stderr, "dmr_dwc: open %s: %s\n", paths[i], strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int do_write(int n, char **paths)
{
	struct sigaction sa = { .sa_handler = on_term };
	int fds[MAX_DEVS];
	struct rec *r;
	uint64_t seq;

	if (open_all(n, paths, fds, O_RDWR | O_DSYNC))
		return 1;
	if (posix_memalign((void **)&r, 4096, REC_SIZE))
		return 1;
	memset(r, 0, REC_SIZE);
	sigaction(SIGTERM, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);

	for (seq = 1; !stop; seq++) {
		off_t off = (off_t)((seq / n) % SLOTS) * REC_SIZE;

		r->magic = REC_MAGIC;
		r->seq = seq;
		r->check = rec_check(seq);
		if (pwrite(fds[seq % n], r, REC_SIZE, off) != REC_SIZE) {
			fprintf(stderr, "dmr_dwc: write of record %" PRIu64 ": %s\n", seq,
				strerror(errno));
			return 1;
		}
		if (seq % 64 == 0)
			printf("seq %" PRIu64 "\n", seq);
	}
	printf("stopped after %" PRIu64 "\n", seq - 1);
	return 0;
}

static int do_check(int n, char **paths)
{
	static uint64_t have[MAX_DEVS][SLOTS];
	uint64_t top = 0, s, want;
	int fds[MAX_DEVS], d, k;
	struct rec *r;

	if (open_all(n, paths, fds, O_RDONLY))
		return 1;
	if (posix_memalign((void **)&r, 4096, REC_SIZE))
		return 1;

	for (d = 0; d < n; d++) {
		for (k = 0; k < SLOTS; k++) {
			if (pread(fds[d], r, REC_SIZE, (off_t)k * REC_SIZE) != REC_SIZE) {
				fprintf(stderr, "dmr_dwc: read %s: %s\n", paths[d], strerror(errno));
				return 1;
			}
			if (r->magic == 0 && r->seq == 0) {
				have[d][k] = 0;
				continue;
			}
			if (r->magic != REC_MAGIC || r->check != rec_check(r->seq) ||
			    r->seq % n != (uint64_t)d || (r->seq / n) % SLOTS != (uint64_t)k) {
				fprintf(stderr, "dmr_dwc: %s slot %d: damaged record\n", paths[d], k);
				return 1;
			}
			have[d][k] = r->seq;
			if (r->seq > top)
				top = r->seq;
		}
	}

	/* Every slot must hold the newest record up to @top that maps to it. */
	for (d = 0; d < n; d++) {
		for (k = 0; k < SLOTS; k++) {
			want = 0;
			for (s = top; s > 0 && top - s < (uint64_t)n * SLOTS; s--) {
				if (s % n == (uint64_t)d && (s / n) % SLOTS == (uint64_t)k) {
					want = s;
					break;
				}
			}
			if (have[d][k] != want) {
				fprintf(stderr,
					"dmr_dwc: inconsistent: record %" PRIu64 " is present, but %s slot %d holds %" PRIu64 " instead of %" PRIu64 "\n",
					top, paths[d], k, have[d][k], want);
				return 1;
			}
		}
	}
	printf("consistent at %" PRIu64 "\n", top);
	return 0;
}

int main(int argc, char **argv)
{
	int n = argc - 2;

	if (argc < 3 || n > MAX_DEVS) {
		fprintf(stderr, "usage: dmr_dwc write|check DEV...\n");
		return 2;
	}
	if (!strcmp(argv[1], "write"))
		return do_write(n, argv + 2);
	if (!strcmp(argv[1], "check"))
		return do_check(n, argv + 2);
	fprintf(stderr, "usage: dmr_dwc write|check DEV...\n");
	return 2;
}
