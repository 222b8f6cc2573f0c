// SPDX-License-Identifier: GPL-2.0
/*
 * replicactl: the values of the SMI-S replication service, with the
 * standard's names for output and one word each for the command line.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

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

/* CopyPriority of the standard, which the copy_priority setting of a clone takes. */
static const struct value_name copy_priorities_v[] = {
	{ DM_REPLICA_COPY_PRIORITY_LOW, "Low", "low" },
	{ DM_REPLICA_COPY_PRIORITY_SAME, "Same", "same" },
	{ DM_REPLICA_COPY_PRIORITY_HIGH, "High", "high" },
};

const struct value_table copy_priorities = TABLE("CopyPriority", copy_priorities_v);

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

/*
 * Operation of ModifyReplicaSynchronization. On the command line a word
 * matches the standard's name, too: case and the separators between words
 * do not count (see word_matches()).
 */
static const struct value_name sync_operations_v[] = {
	{ DM_REPLICA_OP_ABORT, "Abort", "abort" },
	{ DM_REPLICA_OP_ACTIVATE_CONSISTENCY, "Activate Consistency", "activate-consistency" },
	{ DM_REPLICA_OP_ACTIVATE, "Activate", "activate" },
	{ DM_REPLICA_OP_ADD_SYNC_PAIR, "AddSyncPair", "addsyncpair" },
	{ DM_REPLICA_OP_DEACTIVATE_CONSISTENCY, "Deactivate Consistency",
	  "deactivate-consistency" },
	{ DM_REPLICA_OP_DEACTIVATE, "Deactivate", "deactivate" },
	{ DM_REPLICA_OP_DETACH, "Detach", "detach" },
	{ DM_REPLICA_OP_DISSOLVE, "Dissolve", "dissolve" },
	{ DM_REPLICA_OP_FAILOVER, "Failover", "failover" },
	{ DM_REPLICA_OP_FAILBACK, "Failback", "failback" },
	{ DM_REPLICA_OP_FRACTURE, "Fracture", "fracture" },
	{ DM_REPLICA_OP_REMOVE_SYNC_PAIR, "RemoveSyncPair", "removesyncpair" },
	{ DM_REPLICA_OP_RESYNC_REPLICA, "Resync Replica", "resync-replica" },
	{ DM_REPLICA_OP_RESTORE_FROM_REPLICA, "Restore from Replica", "restore-from-replica" },
	{ DM_REPLICA_OP_RESUME, "Resume", "resume" },
	{ DM_REPLICA_OP_RESET_TO_SYNC, "Reset To Sync", "reset-to-sync" },
	{ DM_REPLICA_OP_RESET_TO_ASYNC, "Reset To Async", "reset-to-async" },
	{ DM_REPLICA_OP_RETURN_TO_POOL, "Return To ResourcePool", "return-to-resourcepool" },
	{ DM_REPLICA_OP_REVERSE_ROLES, "Reverse Roles", "reverse-roles" },
	{ DM_REPLICA_OP_SPLIT, "Split", "split" },
	{ DM_REPLICA_OP_SUSPEND, "Suspend", "suspend" },
	{ DM_REPLICA_OP_UNPREPARE, "Unprepare", "unprepare" },
	{ DM_REPLICA_OP_PREPARE, "Prepare", "prepare" },
	{ DM_REPLICA_OP_RESET_TO_ADAPTIVE, "Reset To Adaptive", "reset-to-adaptive" },
};

const struct value_table sync_operations = TABLE("Operation", sync_operations_v);

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

/* Between the words of a value: "Resync Replica", "resync-replica", "resync_replica". */
static bool word_separator(char c)
{
	return c == ' ' || c == '-' || c == '_';
}

/*
 * Does @s name @word? Case does not count, nor do separators, so that the
 * standard's name as it is written ("Return To ResourcePool") is as good
 * as the word ("return-to-resourcepool").
 */
static bool word_matches(const char *s, const char *word)
{
	for (;;) {
		while (word_separator(*s))
			s++;
		while (word_separator(*word))
			word++;
		if (!*s || !*word)
			return !*s && !*word;
		if (tolower((unsigned char)*s) != tolower((unsigned char)*word))
			return false;
		s++;
		word++;
	}
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
		if (t->v[i].word && word_matches(s, t->v[i].word)) {
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
