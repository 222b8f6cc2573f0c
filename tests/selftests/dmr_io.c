// SPDX-License-Identifier: GPL-2.0
/*
 * dmr_io: block I/O helper for the dm-replica selftests.
 *
 * Data is a deterministic pattern of the absolute byte offset and a seed,
 * so any range written with a seed can be verified later through any
 * device that maps the same data, at any offset and length.
 *
 *   dmr_io write  DEV OFF LEN SEED     write the pattern (buffered, fsync)
 *   dmr_io dwrite DEV OFF LEN SEED     the same with one O_DIRECT write
 *   dmr_io verify DEV OFF LEN SEED     compare with the pattern (after
 *                                      dropping the device's page cache)
 *   dmr_io zero-verify DEV OFF LEN     compare with zeroes
 *   dmr_io fsync DEV                   fsync the device (sends a flush)
 *   dmr_io discard DEV OFF LEN         BLKDISCARD
 *   dmr_io zeroout DEV OFF LEN         BLKZEROOUT
 *   dmr_io writer DEV BS               O_DIRECT writer, see do_writer()
 *   dmr_io check-writer DEV BS PASS BLOCK [SIZE]
 *                                      verify what the writer left in the
 *                                      first SIZE bytes (default: all)
 *   dmr_io owner-dup DEV               damage a pool's owner table: its
 *                                      second entry gets the first one's
 *                                      source chunk, and the sector is
 *                                      sealed again (a well-formed
 *                                      duplicate, as a bug could write)
 *   dmr_io owner-list DEV              a pool's data_start and its owner
 *                                      entries in use: pool chunk, source
 *                                      chunk, commit number, owner and
 *                                      member/flags (hex), data checksum
 *
 * OFF and LEN take a k, m or s (512-byte sector) suffix; a negative OFF
 * counts from the end of the device. Exit status 0 when all is as
 * expected, 1 on a mismatch or error (with a message on stderr).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "dmr_io: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* The byte of the pattern at absolute offset @off for @seed. */
static uint8_t pattern_byte(uint64_t seed, uint64_t off)
{
	uint64_t w = mix(seed * 0x100000001b3ULL ^ (off >> 3));

	return (uint8_t)(w >> ((off & 7) * 8));
}

static void fill(uint8_t *buf, uint64_t off, size_t len, uint64_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = pattern_byte(seed, off + i);
}

static uint64_t dev_size(int fd)
{
	uint64_t size;

	if (ioctl(fd, BLKGETSIZE64, &size))
		die("BLKGETSIZE64: %s", strerror(errno));
	return size;
}

static int64_t parse_num(const char *s)
{
	char *end;
	int64_t v = strtoll(s, &end, 0);

	switch (*end) {
	case 'k': v <<= 10; end++; break;
	case 'm': v <<= 20; end++; break;
	case 's': v <<= 9; end++; break;
	}
	if (*end)
		die("bad number '%s'", s);
	return v;
}

static int open_dev(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);

	if (fd < 0)
		die("open %s: %s", path, strerror(errno));
	return fd;
}

/* Resolve OFF (negative: from the end) and check OFF+LEN fits. */
static uint64_t resolve_off(int fd, const char *offs, uint64_t len)
{
	uint64_t size = dev_size(fd);
	int64_t off = parse_num(offs);

	if (off < 0)
		off += (int64_t)size;
	if (off < 0 || (uint64_t)off + len > size)
		die("range %s+%" PRIu64 " outside a device of %" PRIu64 " bytes",
		    offs, len, size);
	return (uint64_t)off;
}

static void *xmalloc(size_t n)
{
	void *p;

	if (posix_memalign(&p, 4096, n ? n : 1))
		die("out of memory");
	return p;
}

static void full_pwrite(int fd, const void *buf, size_t len, uint64_t off)
{
	while (len) {
		ssize_t n = pwrite(fd, buf, len, (off_t)off);

		if (n < 0)
			die("write at %" PRIu64 ": %s", off, strerror(errno));
		buf = (const uint8_t *)buf + n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
}

static void full_pread(int fd, void *buf, size_t len, uint64_t off)
{
	while (len) {
		ssize_t n = pread(fd, buf, len, (off_t)off);

		if (n < 0)
			die("read at %" PRIu64 ": %s", off, strerror(errno));
		if (n == 0)
			die("short read at %" PRIu64, off);
		buf = (uint8_t *)buf + n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
}

static int do_write(const char *dev, const char *offs, const char *lens, uint64_t seed,
		    int flags)
{
	int fd = open_dev(dev, O_RDWR | flags);
	uint64_t len = (uint64_t)parse_num(lens);
	uint64_t off = resolve_off(fd, offs, len);
	uint8_t *buf = xmalloc(len);

	fill(buf, off, len, seed);
	full_pwrite(fd, buf, len, off);
	if (fsync(fd))
		die("fsync %s: %s", dev, strerror(errno));
	close(fd);
	free(buf);
	return 0;
}

/* @seed < 0 means zeroes. */
static int do_verify(const char *dev, const char *offs, const char *lens, int64_t seed)
{
	int fd = open_dev(dev, O_RDONLY);
	uint64_t len = (uint64_t)parse_num(lens);
	uint64_t off = resolve_off(fd, offs, len);
	uint8_t *buf = xmalloc(len);
	uint64_t i;

	/* Read what the device holds, not what this device's cache holds. */
	if (ioctl(fd, BLKFLSBUF, 0))
		die("BLKFLSBUF %s: %s", dev, strerror(errno));
	full_pread(fd, buf, len, off);
	for (i = 0; i < len; i++) {
		uint8_t want = seed < 0 ? 0 : pattern_byte((uint64_t)seed, off + i);

		if (buf[i] != want)
			die("%s: byte %" PRIu64 " is 0x%02x, expected 0x%02x (seed %" PRId64 ")",
			    dev, off + i, buf[i], want, seed);
	}
	close(fd);
	free(buf);
	return 0;
}

static int do_range_ioctl(const char *dev, unsigned long req, const char *name,
			  const char *offs, const char *lens)
{
	int fd = open_dev(dev, O_RDWR);
	uint64_t len = (uint64_t)parse_num(lens);
	uint64_t range[2] = { resolve_off(fd, offs, len), len };

	if (ioctl(fd, req, range)) {
		fprintf(stderr, "dmr_io: %s %s: %s\n", name, dev, strerror(errno));
		return errno == EOPNOTSUPP ? 2 : 1;
	}
	close(fd);
	return 0;
}

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

/*
 * Write the whole device with O_DIRECT, block by block, in passes: pass P
 * writes the pattern of seed P, and "done P" is printed after each pass.
 * The writer goes on until SIGTERM (taken into account from pass 1 on),
 * finishes the block it is writing, and prints "pass P block B": blocks
 * before B hold pass P, blocks from B on hold pass P-1.
 */
static int do_writer(const char *dev, const char *bss)
{
	int fd = open_dev(dev, O_RDWR | O_DIRECT);
	uint64_t bs = (uint64_t)parse_num(bss);
	uint64_t nblocks = dev_size(fd) / bs;
	uint8_t *buf = xmalloc(bs);
	struct sigaction sa = { .sa_handler = on_term };
	uint64_t pass = 0, b = 0;

	sigaction(SIGTERM, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (;;) {
		for (b = 0; b < nblocks; b++) {
			if (stop && pass > 0)
				goto out;
			fill(buf, b * bs, bs, pass);
			full_pwrite(fd, buf, bs, b * bs);
		}
		printf("done %" PRIu64 "\n", pass);
		pass++;
	}
out:
	printf("pass %" PRIu64 " block %" PRIu64 "\n", pass, b);
	close(fd);
	free(buf);
	return 0;
}

static int do_check_writer(const char *dev, const char *bss, const char *passs,
			   const char *blocks, const char *sizes)
{
	int fd = open_dev(dev, O_RDONLY | O_DIRECT);
	uint64_t bs = (uint64_t)parse_num(bss);
	uint64_t pass = (uint64_t)parse_num(passs), upto = (uint64_t)parse_num(blocks);
	uint64_t nblocks = (sizes ? (uint64_t)parse_num(sizes) : dev_size(fd)) / bs;
	uint8_t *buf = xmalloc(bs), *want = xmalloc(bs);
	uint64_t b;

	if (pass == 0)
		die("pass must be at least 1");
	for (b = 0; b < nblocks; b++) {
		uint64_t p = b < upto ? pass : pass - 1;

		full_pread(fd, buf, bs, b * bs);
		fill(want, b * bs, bs, p);
		if (memcmp(buf, want, bs))
			die("%s: block %" PRIu64 " does not hold pass %" PRIu64, dev, b, p);
	}
	close(fd);
	free(buf);
	free(want);
	return 0;
}

/* crc32c as the kernel's crc32c(): no inversion before or after. */
static uint32_t crc32c(uint32_t crc, const uint8_t *p, size_t len)
{
	int k;

	while (len--) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78U & -(crc & 1));
	}
	return crc;
}

static uint64_t get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
	while (n--) {
		*p++ = v;
		v >>= 8;
	}
}

/*
 * The pool layout of module/metadata.c, format 4: the superblock's
 * owner_start at byte 32; an owner sector holds 17 entries of 28 bytes
 * (source chunk first, then the owner) and a trailer of crc32c (at 476),
 * magic and index (at 484), the crc over the entries seeded with the
 * index xor'ed with the format's seed.
 */
#define POOL_CSUM_SEED	0x9a2e61b5U
#define OWNER_SIZE	28
#define OWNER_BYTES	(17 * OWNER_SIZE)

static int do_owner_dup(const char *dev)
{
	int fd = open_dev(dev, O_RDWR);
	uint8_t sb[512], sec[512];
	uint64_t at;

	if (pread(fd, sb, sizeof(sb), 0) != (ssize_t)sizeof(sb))
		die("read the superblock of %s: %s", dev, strerror(errno));
	at = get_le(sb + 32, 8) * 512;
	if (pread(fd, sec, sizeof(sec), (off_t)at) != (ssize_t)sizeof(sec))
		die("read the owner table of %s: %s", dev, strerror(errno));
	if (!get_le(sec + 8, 2) || !get_le(sec + OWNER_SIZE + 8, 2))
		die("%s: the first two owner entries are not both in use", dev);
	memcpy(sec + OWNER_SIZE, sec, 8);
	put_le(sec + OWNER_BYTES,
	       crc32c(POOL_CSUM_SEED ^ (uint32_t)get_le(sec + OWNER_BYTES + 8, 8), sec,
		      OWNER_BYTES), 4);
	if (pwrite(fd, sec, sizeof(sec), (off_t)at) != (ssize_t)sizeof(sec) || fsync(fd))
		die("write the owner table of %s: %s", dev, strerror(errno));
	close(fd);
	return 0;
}

/*
 * Print "POOL_CHUNK SRC_CHUNK COMMIT" for each owner entry in use, and the
 * data area's first sector, as "data_start SECTOR", first.
 */
static int do_owner_list(const char *dev)
{
	int fd = open_dev(dev, O_RDONLY);
	uint64_t at, nsec, s, chunk = 0;
	uint8_t sb[512], sec[512];
	unsigned int i;

	/* The pool wrote around this device's page cache. */
	if (ioctl(fd, BLKFLSBUF, 0))
		die("BLKFLSBUF %s: %s", dev, strerror(errno));
	if (pread(fd, sb, sizeof(sb), 0) != (ssize_t)sizeof(sb))
		die("read the superblock of %s: %s", dev, strerror(errno));
	at = get_le(sb + 32, 8) * 512;
	nsec = get_le(sb + 40, 8);
	printf("data_start %" PRIu64 "\n", get_le(sb + 48, 8));
	for (s = 0; s < nsec; s++) {
		if (pread(fd, sec, sizeof(sec), (off_t)(at + s * 512)) != (ssize_t)sizeof(sec))
			die("read the owner table of %s: %s", dev, strerror(errno));
		for (i = 0; i < OWNER_BYTES / OWNER_SIZE; i++, chunk++) {
			const uint8_t *e = sec + i * OWNER_SIZE;

			if (get_le(e + 8, 2))
				printf("%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIx64 " %08" PRIx64 "\n",
				       chunk, get_le(e, 8), get_le(e + 16, 8),
				       get_le(e + 8, 4), get_le(e + 24, 4));
		}
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	if (!strcmp(cmd, "write") && argc == 6)
		return do_write(argv[2], argv[3], argv[4], (uint64_t)parse_num(argv[5]), 0);
	if (!strcmp(cmd, "dwrite") && argc == 6)
		return do_write(argv[2], argv[3], argv[4], (uint64_t)parse_num(argv[5]), O_DIRECT);
	if (!strcmp(cmd, "verify") && argc == 6)
		return do_verify(argv[2], argv[3], argv[4], parse_num(argv[5]));
	if (!strcmp(cmd, "zero-verify") && argc == 5)
		return do_verify(argv[2], argv[3], argv[4], -1);
	if (!strcmp(cmd, "fsync") && argc == 3) {
		int fd = open_dev(argv[2], O_RDWR);

		if (fsync(fd))
			die("fsync %s: %s", argv[2], strerror(errno));
		return 0;
	}
	if (!strcmp(cmd, "discard") && argc == 5)
		return do_range_ioctl(argv[2], BLKDISCARD, "BLKDISCARD", argv[3], argv[4]);
	if (!strcmp(cmd, "zeroout") && argc == 5)
		return do_range_ioctl(argv[2], BLKZEROOUT, "BLKZEROOUT", argv[3], argv[4]);
	if (!strcmp(cmd, "writer") && argc == 4)
		return do_writer(argv[2], argv[3]);
	if (!strcmp(cmd, "check-writer") && (argc == 6 || argc == 7))
		return do_check_writer(argv[2], argv[3], argv[4], argv[5],
				       argc == 7 ? argv[6] : NULL);

	if (!strcmp(cmd, "owner-dup") && argc == 3)
		return do_owner_dup(argv[2]);
	if (!strcmp(cmd, "owner-list") && argc == 3)
		return do_owner_list(argv[2]);

	fprintf(stderr, "usage: see the comment at the top of dmr_io.c\n");
	return 1;
}
