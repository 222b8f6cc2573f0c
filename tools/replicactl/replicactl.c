// SPDX-License-Identifier: GPL-2.0
/*
 * replicactl: the dm-replica front end.
 *
 * It talks to the kernel through the control device (/dev/dm-replica) and
 * maps the SMI-S return values of the replication service to its exit
 * codes (see usage() and replicactl(8)).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/dm-replica.h>

#define REPLICACTL_VERSION "1.0.0"

/* Exit codes besides the SMI-S return values 0-6. */
#define EXIT_USAGE		64	/* bad command line */
#define EXIT_UNAVAILABLE	69	/* no control device: module not loaded */

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

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [options] <command> [args]\n"
		"\n"
		"Manage dm-replica consistent group replicas.\n"
		"\n"
		"Commands:\n"
		"  version           show the tool's version and the kernel module's\n"
		"                    ABI version and features\n"
		"\n"
		"Options:\n"
		"  -c, --control PATH  control device (default /dev/%s)\n"
		"  -j, --json          print machine-readable JSON\n"
		"  -h, --help          show this help\n"
		"\n"
		"Exit status:\n"
		"  0   Completed with No Error\n"
		"  1   Not Supported\n"
		"  2   Unknown\n"
		"  3   Timeout\n"
		"  4   Failed\n"
		"  5   Invalid Parameter\n"
		"  6   In Use\n"
		"  %d  usage error\n"
		"  %d  control device unavailable (dm-replica module not loaded)\n",
		prog, DM_REPLICA_CONTROL_NAME, EXIT_USAGE, EXIT_UNAVAILABLE);
}

static int open_control(const struct options *o)
{
	int fd = open(o->control, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		err("cannot open %s: %s%s", o->control, strerror(errno),
		    errno == ENOENT ? " (is the dm-replica module loaded?)" : "");
	return fd;
}

/*
 * Issue one request. Returns the SMI-S result the kernel gave, or Failed
 * (4) when the request never reached a handler; prints the kernel's
 * message on failure.
 */
static int control_call(int fd, unsigned long cmd, struct dm_replica_hdr *hdr,
			const char *what)
{
	if (ioctl(fd, cmd, hdr) == 0)
		return (int)hdr->result;

	if (hdr->result != DM_REPLICA_RET_OK) {
		err("%s: %s (result %u)", what, hdr->message, hdr->result);
		return hdr->result <= DM_REPLICA_RET_IN_USE ? (int)hdr->result :
			DM_REPLICA_RET_FAILED;
	}
	err("%s: %s", what, strerror(errno));
	return DM_REPLICA_RET_FAILED;
}

static const struct {
	uint64_t bit;
	const char *name;
} feature_names[] = {
	{ DM_REPLICA_FEAT_SOURCE_TARGET, "source-target" },
};

static int cmd_version(const struct options *o, int argc, char **argv)
{
	struct dm_replica_version v;
	uint64_t unknown;
	unsigned int i;
	int fd, r, n;

	(void)argv;
	if (argc != 1) {
		err("version takes no arguments");
		return EXIT_USAGE;
	}

	fd = open_control(o);
	if (fd < 0)
		return EXIT_UNAVAILABLE;

	memset(&v, 0, sizeof(v));
	v.hdr.size = sizeof(v);
	r = control_call(fd, DM_REPLICA_IOC_VERSION, &v.hdr, "version");
	close(fd);
	if (r)
		return r;

	unknown = v.features;
	if (o->json) {
		printf("{\"tool\": {\"version\": \"%s\", \"abi\": \"%u.%u.%u\"}, ",
		       REPLICACTL_VERSION, DM_REPLICA_VERSION_MAJOR,
		       DM_REPLICA_VERSION_MINOR, DM_REPLICA_VERSION_PATCH);
		printf("\"kernel\": {\"abi\": \"%u.%u.%u\", \"features\": [",
		       v.major, v.minor, v.patch);
		for (i = 0, n = 0; i < sizeof(feature_names) / sizeof(feature_names[0]); i++) {
			if (!(v.features & feature_names[i].bit))
				continue;
			printf("%s\"%s\"", n++ ? ", " : "", feature_names[i].name);
			unknown &= ~feature_names[i].bit;
		}
		printf("], \"features_mask\": \"0x%llx\"}}\n",
		       (unsigned long long)v.features);
	} else {
		printf("replicactl %s (ABI %u.%u.%u)\n", REPLICACTL_VERSION,
		       DM_REPLICA_VERSION_MAJOR, DM_REPLICA_VERSION_MINOR,
		       DM_REPLICA_VERSION_PATCH);
		printf("kernel ABI %u.%u.%u\n", v.major, v.minor, v.patch);
		printf("features:");
		for (i = 0; i < sizeof(feature_names) / sizeof(feature_names[0]); i++) {
			if (!(v.features & feature_names[i].bit))
				continue;
			printf(" %s", feature_names[i].name);
			unknown &= ~feature_names[i].bit;
		}
		if (unknown)
			printf(" unknown:0x%llx", (unsigned long long)unknown);
		printf("\n");
	}

	if (v.major != DM_REPLICA_VERSION_MAJOR)
		err("warning: kernel ABI major %u differs from the tool's %u",
		    v.major, DM_REPLICA_VERSION_MAJOR);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(const struct options *o, int argc, char **argv);
} commands[] = {
	{ "version", cmd_version },
};

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
	int c;

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

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[optind], commands[i].name))
			return commands[i].fn(&o, argc - optind, argv + optind);

	err("unknown command '%s' (see --help)", argv[optind]);
	return EXIT_USAGE;
}
