// SPDX-License-Identifier: GPL-2.0
/*
 * replicactl: the values of the SMI-S replication service, with the
 * standard's names for output and one word each for the command line.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "replicactl.h"

#define TABLE(what_, v_)	{ .what = what_, .v = v_, .n = ARRAY_SIZE(v_) }

static const struct value_name sync_types_v[] = {
	{ DM_REPLICA_SYNC_MIRROR, "Mirror", "mirror" },
	{ DM_REPLICA_SYNC_SNAPSHOT, "Snapshot", "snapshot" },
	{ DM_REPLICA_SYNC_CLONE, "Clone", "clone" },
};

const struct value_table sync_types = TABLE("SyncType", sync_types_v);

static const struct value_name modes_v[] = {
	{ DM_REPLICA_MODE_SYNCHRONOUS, "Synchronous", "synchronous" },
	{ DM_REPLICA_MODE_ASYNCHRONOUS, "Asynchronous", "asynchronous" },
};

const struct value_table modes = TABLE("Mode", modes_v);

static const struct value_name consistencies_v[] = {
	{ DM_REPLICA_CONSISTENCY_NONE, "No Consistency", "none" },
	{ DM_REPLICA_CONSISTENCY_SEQUENTIAL, "Sequential Consistency", "sequential" },
};

const struct value_table consistencies = TABLE("Consistency", consistencies_v);

static const struct value_name copy_states_v[] = {
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

const struct value_table copy_states = TABLE("CopyState", copy_states_v);

static const struct value_name job_states_v[] = {
	{ DM_REPLICA_JOB_NEW, "New", NULL },
	{ DM_REPLICA_JOB_STARTING, "Starting", NULL },
	{ DM_REPLICA_JOB_RUNNING, "Running", NULL },
	{ DM_REPLICA_JOB_SUSPENDED, "Suspended", NULL },
	{ DM_REPLICA_JOB_SHUTTING_DOWN, "Shutting Down", NULL },
	{ DM_REPLICA_JOB_COMPLETED, "Completed", NULL },
	{ DM_REPLICA_JOB_TERMINATED, "Terminated", NULL },
	{ DM_REPLICA_JOB_KILLED, "Killed", NULL },
	{ DM_REPLICA_JOB_EXCEPTION, "Exception", NULL },
	{ DM_REPLICA_JOB_SERVICE, "Service", NULL },
	{ DM_REPLICA_JOB_QUERY_PENDING, "Query Pending", NULL },
};

const struct value_table job_states = TABLE("JobState", job_states_v);

/* What a job does: the command of the call that started it. */
static const struct value_name job_operations_v[] = {
	{ DM_REPLICA_CMD_CREATE_GROUP, "CreateGroupReplicaFromElements", NULL },
	{ DM_REPLICA_CMD_MODIFY_SYNC, "ModifyReplicaSynchronization", NULL },
};

const struct value_table job_operations = TABLE("Operation", job_operations_v);

static const struct value_name return_values_v[] = {
	{ DM_REPLICA_RET_OK, "Completed with No Error", NULL },
	{ DM_REPLICA_RET_NOT_SUPPORTED, "Not Supported", NULL },
	{ DM_REPLICA_RET_UNKNOWN, "Unknown", NULL },
	{ DM_REPLICA_RET_TIMEOUT, "Timeout", NULL },
	{ DM_REPLICA_RET_FAILED, "Failed", NULL },
	{ DM_REPLICA_RET_INVALID_PARAM, "Invalid Parameter", NULL },
	{ DM_REPLICA_RET_IN_USE, "In Use", NULL },
	{ DM_REPLICA_RET_JOB_STARTED, "Method Parameters Checked - Job Started", NULL },
};

const struct value_table return_values = TABLE("ReturnValue", return_values_v);

/* The standard's name of @v; in requests 0 means the property is absent. */
const char *value_name(const struct value_table *t, unsigned int v)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->v[i].value == v)
			return t->v[i].name;
	return v ? "unknown" : "absent";
}

/*
 * A word of @t, or a number. Numbers pass through unchanged, whether the
 * tool knows them or not, so that the kernel's checks answer for them.
 */
int parse_value(const struct value_table *t, const char *s, unsigned int *v)
{
	uint64_t n;
	size_t i;

	for (i = 0; i < t->n; i++) {
		if (t->v[i].word && !strcasecmp(s, t->v[i].word)) {
			*v = t->v[i].value;
			return 0;
		}
	}
	if (parse_uint(s, UINT16_MAX, &n))
		return -1;
	*v = (unsigned int)n;
	return 0;
}

/* The words of @t and "NUMBER", separated by @sep, for --help. */
void value_words(const struct value_table *t, const char *sep, char *buf, size_t size)
{
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < t->n && len < size; i++)
		if (t->v[i].word)
			len += snprintf(buf + len, size - len, "%s%s", t->v[i].word, sep);
	if (len < size)
		snprintf(buf + len, size - len, "NUMBER");
}
