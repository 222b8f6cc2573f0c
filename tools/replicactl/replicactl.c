// SPDX-License-Identifier: GPL-2.0
/*
 * replicactl: the dm-replica front end.
 *
 * It talks to the kernel through the control device (/dev/dm-replica),
 * creates and removes the replica dm devices with libdevmapper, and maps
 * the SMI-S return values of the replication service to its exit codes
 * (see usage() and replicactl(8)).
 *
 * This file holds the command line: the global options, the table of
 * commands, the parsing of a command's options from its table, and --help.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "replicactl.h"

const char *prog = "replicactl";

void err(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const struct cmd *const commands[] = {
	&cmd_version,
	&cmd_create,
	&cmd_job_show,
	&cmd_job_wait,
	&cmd_job_cancel,
	&cmd_group_list,
	&cmd_group_show,
	&cmd_group_delete,
	&cmd_group_changed,
	&cmd_modify_sync,
	&cmd_pool_create,
	&cmd_pool_status,
	&cmd_source_create,
	&cmd_activate,
	&cmd_deactivate,
};

/* Option keys of a command's table: above every character getopt returns. */
#define OPT_KEY_BASE	256
#define MAX_OPTS	32

static const char exit_status_help[] =
	"Exit status: the SMI-S return value of the request, or 64 or 69:\n"
	"  0   Completed with No Error\n"
	"  1   Not Supported\n"
	"  2   Unknown\n"
	"  3   Timeout (also: job wait --timeout ran out)\n"
	"  4   Failed (also: any other return value)\n"
	"  5   Invalid Parameter (also: a device that cannot be found)\n"
	"  6   In Use\n"
	"  64  the command line was not understood\n"
	"  69  the control device cannot be opened (missing: module not loaded)\n";

static void synopsis(FILE *f, const char *lead, const struct cmd *c)
{
	fprintf(f, "%s%s %s%s%s%s%s\n", lead, prog, c->name, c->sub ? " " : "",
		c->sub ? c->sub : "", *c->synopsis ? " " : "", c->synopsis);
}

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: %s [-c PATH] [-t PATH] [-j] COMMAND [ARGS]\n\n"
		"Manage dm-replica consistent group replicas.\n\nCommands:\n", prog);
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		synopsis(f, "  ", commands[i]);
	fprintf(f, "\n"
		"Options:\n"
		"  -c, --control PATH  the control device (default /dev/%s)\n"
		"  -t, --replicatab PATH\n"
		"                      the replica table (default %s)\n"
		"  -j, --json          print one JSON object (also after the command)\n"
		"  -h, --help          show this help; COMMAND --help shows a command's\n"
		"\n%s", DM_REPLICA_CONTROL_NAME, DEFAULT_REPLICATAB, exit_status_help);
}

static void cmd_help(const struct cmd *c)
{
	synopsis(stdout, "Usage: ", c);
	putchar('\n');
	print_wrapped(c->summary, 0);
	printf("\nOptions:\n");
	opt_help(c->opts, c->nr_opts);
	printf("  -j, --json\n        Print one JSON object.\n"
	       "  -h, --help\n        Show this help.\n\n%s", exit_status_help);
}

/* The synopses of a command with subcommands, such as "job". */
static void family_help(FILE *f, const char *name)
{
	size_t i;

	fprintf(f, "Usage:\n");
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i]->name, name))
			synopsis(f, "  ", commands[i]);
}

/* "job show", or "version": how messages name a command. */
static const char *cmd_name(const struct cmd *c, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s", c->name, c->sub ? " " : "", c->sub ? c->sub : "");
	return buf;
}

/* After getopt_long() returned ':' or '?' (@key), with opterr off. */
static void bad_option(const char *where, int key, char **argv)
{
	const char *opt = argv[optind - 1];
	char shortopt[3] = { '-', (char)optopt, '\0' };

	if (key == '?' && optopt)
		opt = shortopt;
	err("%s%s%s '%s' (see --help)", where, *where ? ": " : "",
	    key == ':' ? "missing the argument of option" : "unknown option", opt);
}

/*
 * Parse the options of command @c from its table; options and arguments
 * may come in any order. Returns -1 to go on, or the exit code.
 */
static int cmd_options(struct ctx *ctx, const struct cmd *c, int argc, char **argv)
{
	struct option longopts[MAX_OPTS + 3] = { { 0 } };
	const struct opt_spec *s;
	char name[64];
	size_t i;
	int key;

	for (i = 0; i < c->nr_opts && i < MAX_OPTS; i++) {
		longopts[i].name = c->opts[i].name;
		longopts[i].has_arg = c->opts[i].arg ? required_argument : no_argument;
		longopts[i].val = OPT_KEY_BASE + (int)i;
	}
	longopts[i++] = (struct option){ "json", no_argument, NULL, 'j' };
	longopts[i++] = (struct option){ "help", no_argument, NULL, 'h' };

	/* 0: start afresh, after the global options were parsed. */
	optind = 0;
	opterr = 0;
	while ((key = getopt_long(argc, argv, ":jh", longopts, NULL)) != -1) {
		switch (key) {
		case 'j':
			ctx->json = true;
			break;
		case 'h':
			cmd_help(c);
			return 0;
		case ':':
		case '?':
			bad_option(cmd_name(c, name, sizeof(name)), key, argv);
			return EXIT_USAGE;
		default:
			s = &c->opts[key - OPT_KEY_BASE];
			if (s->parse(s, optarg, (char *)c->args + s->offset))
				return EXIT_USAGE;
		}
	}
	return -1;
}

/* Run command @c; @argv[0] is its last word ("show" of "job show"). */
static int cmd_run(struct ctx *ctx, const struct cmd *c, int argc, char **argv)
{
	unsigned int nargs;
	char name[64];
	int r;

	r = cmd_options(ctx, c, argc, argv);
	if (r >= 0)
		return r;
	nargs = (unsigned int)(argc - optind);
	if (nargs < c->min_args || nargs > c->max_args) {
		err("%s: wrong number of arguments", cmd_name(c, name, sizeof(name)));
		synopsis(stderr, "Usage: ", c);
		return EXIT_USAGE;
	}
	out_init(ctx->json);
	return c->run(ctx, (int)nargs, argv + optind);
}

/* Find the command named by @argv and run it. */
static int dispatch(struct ctx *ctx, int argc, char **argv)
{
	bool family = false;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(commands); i++) {
		const struct cmd *c = commands[i];

		if (strcmp(argv[0], c->name))
			continue;
		if (!c->sub)
			return cmd_run(ctx, c, argc, argv);
		family = true;
		if (argc > 1 && !strcmp(argv[1], c->sub))
			return cmd_run(ctx, c, argc - 1, argv + 1);
	}
	if (!family) {
		err("unknown command '%s' (see --help)", argv[0]);
		return EXIT_USAGE;
	}
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		family_help(stdout, argv[0]);
		return 0;
	}
	if (argc > 1)
		err("%s: unknown subcommand '%s'", argv[0], argv[1]);
	else
		err("%s: a subcommand is needed", argv[0]);
	family_help(stderr, argv[0]);
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "control", required_argument, NULL, 'c' },
		{ "replicatab", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctx ctx = {
		.control = "/dev/" DM_REPLICA_CONTROL_NAME,
		.tab = DEFAULT_REPLICATAB,
		.fd = -1,
	};
	int c, r;

	/* Options stop at the command: the command parses its own. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:c:t:jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			ctx.control = optarg;
			break;
		case 't':
			ctx.tab = optarg;
			break;
		case 'j':
			ctx.json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			bad_option("", c, argv);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	r = dispatch(&ctx, argc - optind, argv + optind);
	if (ctx.fd >= 0)
		close(ctx.fd);
	return r;
}
