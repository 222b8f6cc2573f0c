/* SPDX-License-Identifier: GPL-2.0 */
/*
 * replicactl: what the pieces of the tool share.
 *
 * replicactl.c  command line: global options, dispatch, --help
 * options.c     option tables: parsing and help lines
 * values.c      the SMI-S values and their names
 * output.c      text or JSON output of fields
 * control.c     the control device: requests, errors, jobs
 * mapper.c      dm devices through libdevmapper
 * devices.c     the dm devices the tool makes: their UUIDs and tables
 * tab.c         the replica table activate reads (/etc/dm-replica/replicatab)
 * cmd_*.c       one file per command family
 */
#ifndef REPLICACTL_H
#define REPLICACTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/dm-replica.h>

#define REPLICACTL_VERSION	"1.1.0"

/*
 * Exit codes. A request's exit code is its SMI-S return value 0 to 6
 * (DM_REPLICA_RET_*); other return values exit DM_REPLICA_RET_FAILED.
 * These come on top, from sysexits.h:
 */
#define EXIT_USAGE		64	/* the command line was not understood */
#define EXIT_UNAVAILABLE	69	/* no control device: module not loaded */

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define __printf(a, b)	__attribute__((format(printf, a, b)))

/* Longest dm name of a replica: <RelationshipName>_<n>. */
#define REPLICA_NAME_LEN	(DM_REPLICA_NAME_LEN + 12)

extern const char *prog;

__printf(1, 2) void err(const char *fmt, ...);

/* Where "pool create" and "source create" record what activate brings up. */
#define DEFAULT_REPLICATAB	"/etc/dm-replica/replicatab"

/* What every command gets. */
struct ctx {
	const char *control;	/* path of the control device */
	const char *tab;	/* path of the replica table */
	bool json;		/* --json */
	int fd;			/* the open control device, or -1 */
};

/* values.c: a value of the standard with its names. */
struct value_name {
	unsigned int value;
	const char *name;	/* the standard's, for people */
	const char *word;	/* for the command line; NULL: output only */
};

struct value_table {
	const char *what;	/* the standard's name of the property */
	const struct value_name *v;
	size_t n;
};

extern const struct value_table sync_types, modes, consistencies, copy_states,
	copy_priorities, job_states, job_operations, sync_operations, return_values;

const char *value_name(const struct value_table *t, unsigned int v);
int parse_value(const struct value_table *t, const char *s, unsigned int *v);
void value_words(const struct value_table *t, const char *sep, char *buf, size_t size);

/* options.c: a command's options, as a table. */
struct opt_spec;

/* Parse @arg into the field at @field; 0 or -1 after saying why. */
typedef int (*opt_parse_fn)(const struct opt_spec *s, const char *arg, void *field);

struct opt_spec {
	const char *name;	/* long option, without "--" */
	const char *arg;	/* its argument for --help; NULL: a flag */
	const char *help;	/* one line */
	opt_parse_fn parse;
	size_t offset;		/* of the field in the command's argument struct */
	const struct value_table *values;	/* for opt_value */
};

/* @off: offsetof() the field in the command's argument struct. */
#define OPT(n, a, h, fn, off) \
	{ .name = n, .arg = a, .help = h, .parse = fn, .offset = off }
/* The argument is a word of table @t or a number. */
#define OPT_VALUES(n, a, h, t, off) \
	{ .name = n, .arg = a, .help = h, .parse = opt_value, .offset = off, .values = &(t) }

int opt_flag(const struct opt_spec *s, const char *arg, void *field);
int opt_string(const struct opt_spec *s, const char *arg, void *field);
int opt_name(const struct opt_spec *s, const char *arg, void *field);
int opt_list(const struct opt_spec *s, const char *arg, void *field);
int opt_value(const struct opt_spec *s, const char *arg, void *field);
int opt_seconds(const struct opt_spec *s, const char *arg, void *field);
int opt_chunk_size(const struct opt_spec *s, const char *arg, void *field);

void opt_help(const struct opt_spec *opts, size_t n);
void print_wrapped(const char *text, int col);

int parse_uint(const char *s, uint64_t max, uint64_t *v);
int parse_id(const char *s, const char *what, uint64_t max, uint64_t *v);
int list_append(char **list, const char *item);

/* One command: "job show", or "version" (no @sub). */
struct cmd {
	const char *name;
	const char *sub;
	const char *synopsis;	/* what follows the name on the command line */
	const char *summary;	/* what it does, one line */
	const struct opt_spec *opts;
	size_t nr_opts;
	void *args;		/* where @opts write */
	unsigned int min_args;	/* number of positional arguments */
	unsigned int max_args;
	int (*run)(struct ctx *ctx, int argc, char **argv);
};

extern const struct cmd cmd_version, cmd_create, cmd_job_show, cmd_job_wait,
	cmd_job_cancel, cmd_group_list, cmd_group_show, cmd_group_delete,
	cmd_group_changed,
	cmd_pool_create, cmd_pool_status, cmd_source_create, cmd_activate,
	cmd_deactivate, cmd_modify_sync;

/* output.c */
void out_init(bool json);
bool out_is_json(void);
void out_begin(const char *key);
__printf(2, 3) void out_section(const char *key, const char *title, ...);
void out_end(void);
void out_list(const char *key, const char *title);
void out_list_end(void);
void out_str(const char *key, const char *label, const char *s);
void out_u64(const char *key, const char *label, uint64_t v);
void out_value(const char *key, const char *label, const struct value_table *t,
	       unsigned int v);
void out_dev(const char *key, const char *label, const struct dm_replica_dev *d);
void out_time(const char *key, const char *label, uint64_t ns);
void out_duration(const char *key, const char *label, uint64_t ns);
void out_bool(const char *key, const char *label, bool v);
const char *fmt_duration(uint64_t ns, char *buf, size_t size);

/* control.c */
#define REQ_INIT(req)	req_init(&(req)->hdr, sizeof(*(req)))

void req_init(struct dm_replica_hdr *hdr, size_t size);
int exit_code(unsigned int result);
int ctl_check(struct ctx *ctx);
int ctl_open(struct ctx *ctx, uint64_t features);
int ctl_try(struct ctx *ctx, unsigned long cmd, struct dm_replica_hdr *hdr);
int ctl_report(const struct dm_replica_hdr *hdr, int error, const char *what);
int ctl_call(struct ctx *ctx, unsigned long cmd, struct dm_replica_hdr *hdr,
	     const char *what);
int dev_number(const char *what, const char *path, struct dm_replica_dev *d);

#define WAIT_FOREVER	(-1LL)
int job_wait(struct ctx *ctx, uint64_t id, long long timeout_ms, struct dm_replica_job *j);
int job_exit_code(const struct dm_replica_job *j);
int job_finish(struct ctx *ctx, uint64_t id, struct dm_replica_job *j);
void job_print(const struct dm_replica_job *j);
int group_get(struct ctx *ctx, uint32_t id, struct dm_replica_group *g,
	      struct dm_replica_member *m, uint32_t cap);
int group_ids(struct ctx *ctx, uint32_t **ids, uint32_t *nr);
int group_return_to_pool(struct ctx *ctx, uint32_t id, const char *what, uint64_t *job_id);
void replica_name(char *buf, const char *relationship, unsigned int n);

/* cmd_group.c: group delete, which modify-sync does for Return To ResourcePool. */
struct group_deletion {
	struct dm_replica_group g;
	bool removed[DM_REPLICA_MAX_MEMBERS];	/* replica device n + 1 was removed */
	uint64_t job_id;
};

int group_delete(struct ctx *ctx, uint32_t id, const char *what, struct group_deletion *d);
void group_deletion_print(const struct group_deletion *d);
/* Remove the replica devices of @g that exist; @removed[n - 1] says which. */
int group_remove_replicas(const struct dm_replica_group *g, bool *removed);

/* mapper.c */

/* A dm UUID holds at most 128 characters (DM_UUID_LEN, NUL included). */
#define MAPPER_UUID_LEN		129
#define MAPPER_NAME_LEN		128

struct mapper_info {
	unsigned int major, minor;
	int open_count;
	char name[MAPPER_NAME_LEN];
	char uuid[MAPPER_UUID_LEN];
};

void mapper_setup(void);
int mapper_create(const char *name, const char *uuid, uint64_t sectors, const char *type,
		  const char *params);
int mapper_remove(const char *name);
int mapper_info(const char *name, const char *uuid, struct mapper_info *mi);
int mapper_exists(const char *name);
int mapper_target(const char *name, bool status, char *type, size_t type_len, char **params);

/* devices.c */

/* The dm UUID prefixes of the devices replicactl makes. */
#define UUID_PREFIX_REPLICA	"DMR-REPLICA-"
#define UUID_PREFIX_SOURCE	"DMR-SOURCE-"

void replica_uuid(char *buf, size_t size, const struct dm_replica_group *g, unsigned int n);
bool is_replica_of(const char *name, const struct dm_replica_group *g, unsigned int n,
		   bool quiet);
int replica_create(const char *rel, const struct dm_replica_group *g,
		   const struct dm_replica_member *m, unsigned int n);
int source_uuid_new(char *buf, size_t size);
int dev_sectors(const char *path, uint64_t *sectors);
bool table_word(const char *s);
int table_is(const char *name, const char *type, const char *path, char *why, size_t size);

/* tab.c */
enum tab_kind { TAB_POOL, TAB_SOURCE };

struct tab_entry {
	enum tab_kind kind;
	char name[MAPPER_NAME_LEN];
	char dev[512];
	char uuid[MAPPER_UUID_LEN];	/* sources only */
};

struct tab {
	struct tab_entry *e;
	size_t n;
};

int tab_read(const char *path, struct tab *t);
void tab_free(struct tab *t);
const struct tab_entry *tab_find(const struct tab *t, enum tab_kind kind, const char *name);
int tab_record(const char *path, const struct tab_entry *e);

#endif /* REPLICACTL_H */
