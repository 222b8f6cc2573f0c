// SPDX-License-Identifier: GPL-2.0
/*
 * dmr_bench: I/O timings for make bench.
 *
 *   dmr_bench seq DEV SIZE BS           sequential O_DIRECT writes of SIZE
 *                                       bytes in BS blocks from offset 0
 *   dmr_bench rand DEV SPAN BS COUNT    COUNT O_DIRECT writes of BS bytes
 *                                       at distinct random BS-aligned
 *                                       offsets within SPAN bytes
 *   dmr_bench stall DEV...              4 KiB O_DIRECT writes round-robin
 *                                       to the devices until SIGTERM
 *
 * seq and rand print "<MB/s> <IOPS> <max latency us>"; stall prints
 * "<writes> <max latency us>" when it stops.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_DEVS 64

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t parse(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 0);

	if (*end == 'k')
		v <<= 10;
	else if (*end == 'm')
		v <<= 20;
	return v;
}

static int open_dev(const char *path)
{
	int fd = open(path, O_RDWR | O_DIRECT);

	if (fd < 0) {
		fprintf(stderr, "dmr_bench: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return fd;
}

static void *buffer(size_t bs)
{
	void *p;

	if (posix_memalign(&p, 4096, bs))
		exit(1);
	memset(p, 0xa5, bs);
	return p;
}

/* Write @n blocks at the offsets @off[i] * bs; print the figures. */
static int run(int fd, size_t bs, const uint64_t *off, uint64_t n)
{
	void *buf = buffer(bs);
	uint64_t i, t0, t, lat, max = 0, total;

	t0 = now_us();
	for (i = 0; i < n; i++) {
		t = now_us();
		if (pwrite(fd, buf, bs, (off_t)(off[i] * bs)) != (ssize_t)bs) {
			fprintf(stderr, "dmr_bench: write: %s\n", strerror(errno));
			return 1;
		}
		lat = now_us() - t;
		if (lat > max)
			max = lat;
	}
	if (fdatasync(fd))
		return 1;
	total = now_us() - t0;
	if (!total)
		total = 1;
	printf("%.2f %.0f %llu\n", (double)n * bs / total, n * 1e6 / total,
	       (unsigned long long)max);
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t *off, n, i, j, tmp;

	if (argc == 5 && !strcmp(argv[1], "seq")) {
		size_t bs = parse(argv[4]);

		n = parse(argv[3]) / bs;
		off = calloc(n, sizeof(*off));
		for (i = 0; i < n; i++)
			off[i] = i;
		return run(open_dev(argv[2]), bs, off, n);
	}
	if (argc == 6 && !strcmp(argv[1], "rand")) {
		size_t bs = parse(argv[4]);
		uint64_t span = parse(argv[3]) / bs;

		n = parse(argv[5]);
		if (n > span)
			n = span;
		off = calloc(span, sizeof(*off));
		for (i = 0; i < span; i++)
			off[i] = i;
		/* A fixed shuffle: the same offsets for every device measured. */
		srandom(42);
		for (i = span - 1; i > 0; i--) {
			j = (uint64_t)random() % (i + 1);
			tmp = off[i];
			off[i] = off[j];
			off[j] = tmp;
		}
		return run(open_dev(argv[2]), bs, off, n);
	}
	if (argc >= 3 && !strcmp(argv[1], "stall")) {
		struct sigaction sa = { .sa_handler = on_term };
		int fds[MAX_DEVS], nd = argc - 2, d;
		void *buf = buffer(4096);
		uint64_t t, lat, max = 0, writes = 0;

		if (nd > MAX_DEVS)
			return 2;
		for (d = 0; d < nd; d++)
			fds[d] = open_dev(argv[d + 2]);
		sigaction(SIGTERM, &sa, NULL);
		setvbuf(stdout, NULL, _IOLBF, 0);
		printf("ready\n");
		while (!stop) {
			d = (int)(writes % nd);
			t = now_us();
			if (pwrite(fds[d], buf, 4096, (off_t)((writes / nd) % 256) * 4096) != 4096)
				return 1;
			lat = now_us() - t;
			if (lat > max)
				max = lat;
			writes++;
		}
		printf("%llu %llu\n", (unsigned long long)writes, (unsigned long long)max);
		return 0;
	}
	fprintf(stderr, "usage: see the comment at the top of dmr_bench.c\n");
	return 2;
}
