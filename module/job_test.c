// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the job state machine and the job table.
 */
#include <kunit/test.h>

#include "job.h"

static void dmr_test_job_transitions(struct kunit *test)
{
	static const u16 ends[] = { DM_REPLICA_JOB_COMPLETED, DM_REPLICA_JOB_TERMINATED,
				    DM_REPLICA_JOB_KILLED, DM_REPLICA_JOB_EXCEPTION };
	unsigned int i, j;

	KUNIT_EXPECT_TRUE(test, dmr_job_transition_ok(DM_REPLICA_JOB_NEW, DM_REPLICA_JOB_RUNNING));
	KUNIT_EXPECT_FALSE(test, dmr_job_transition_ok(DM_REPLICA_JOB_RUNNING,
						       DM_REPLICA_JOB_NEW));
	KUNIT_EXPECT_FALSE(test, dmr_job_transition_ok(DM_REPLICA_JOB_RUNNING,
						       DM_REPLICA_JOB_RUNNING));
	for (i = 0; i < ARRAY_SIZE(ends); i++) {
		KUNIT_EXPECT_TRUE(test, dmr_job_state_final(ends[i]));
		KUNIT_EXPECT_TRUE(test, dmr_job_transition_ok(DM_REPLICA_JOB_NEW, ends[i]));
		KUNIT_EXPECT_TRUE(test, dmr_job_transition_ok(DM_REPLICA_JOB_RUNNING, ends[i]));
		/* An ended job never moves again. */
		for (j = DM_REPLICA_JOB_NEW; j <= DM_REPLICA_JOB_QUERY_PENDING; j++)
			KUNIT_EXPECT_FALSE(test, dmr_job_transition_ok(ends[i], j));
	}
	KUNIT_EXPECT_FALSE(test, dmr_job_state_final(DM_REPLICA_JOB_RUNNING));
	KUNIT_EXPECT_FALSE(test, dmr_job_state_final(DM_REPLICA_JOB_NEW));
}

static void dmr_test_job_life(struct kunit *test)
{
	struct dmr_job_status info = {};
	struct dmr_job *job = dmr_job_new(7);
	u64 id;

	KUNIT_ASSERT_NOT_NULL(test, job);
	id = dmr_job_id(job);
	KUNIT_ASSERT_EQ(test, dmr_job_info(id, &info), 0);
	KUNIT_EXPECT_EQ(test, info.job_state, DM_REPLICA_JOB_NEW);
	KUNIT_EXPECT_EQ(test, info.operation, 7U);
	KUNIT_EXPECT_GT(test, info.time_submitted_ns, 0ULL);
	KUNIT_EXPECT_EQ(test, info.time_before_removal_ns, 300ULL * NSEC_PER_SEC);

	dmr_job_start(job);
	dmr_job_progress(job, 40);
	dmr_job_set_group(job, 9);
	KUNIT_ASSERT_EQ(test, dmr_job_info(id, &info), 0);
	KUNIT_EXPECT_EQ(test, info.job_state, DM_REPLICA_JOB_RUNNING);
	KUNIT_EXPECT_EQ(test, info.percent_complete, 40);
	KUNIT_EXPECT_EQ(test, info.group_id, 9U);
	KUNIT_EXPECT_GT(test, info.start_time_ns, 0ULL);

	/* Still running: a short wait times out, a cancel is recorded. */
	KUNIT_EXPECT_EQ(test, dmr_job_wait(id, 1, &info), -ETIMEDOUT);
	KUNIT_EXPECT_EQ(test, dmr_job_cancel(id, DM_REPLICA_JOB_REQ_TERMINATE, &info), 0);
	KUNIT_EXPECT_EQ(test, dmr_job_cancel_requested(job), DM_REPLICA_JOB_REQ_TERMINATE);

	dmr_job_end(job, DM_REPLICA_JOB_COMPLETED, 0, "done %d", 1);
	KUNIT_ASSERT_EQ(test, dmr_job_wait(id, 1000, &info), 0);
	KUNIT_EXPECT_EQ(test, info.job_state, DM_REPLICA_JOB_COMPLETED);
	KUNIT_EXPECT_EQ(test, info.percent_complete, 100);
	KUNIT_EXPECT_STREQ(test, info.error_description, "done 1");
	KUNIT_EXPECT_EQ(test, dmr_job_cancel(id, DM_REPLICA_JOB_REQ_KILL, &info), -EALREADY);
	dmr_job_put(job);
}

static void dmr_test_job_unknown(struct kunit *test)
{
	struct dmr_job_status info = {};

	KUNIT_EXPECT_EQ(test, dmr_job_info(~0ULL, &info), -ENOENT);
	KUNIT_EXPECT_EQ(test, dmr_job_wait(~0ULL, 1, &info), -ENOENT);
	KUNIT_EXPECT_EQ(test, dmr_job_cancel(~0ULL, DM_REPLICA_JOB_REQ_KILL, &info), -ENOENT);
}

static void dmr_test_job_exception(struct kunit *test)
{
	struct dmr_job_status info = {};
	struct dmr_job *job = dmr_job_new(1);

	KUNIT_ASSERT_NOT_NULL(test, job);
	/* Refused at once: New straight to Exception, with the reason. */
	dmr_job_end(job, DM_REPLICA_JOB_EXCEPTION, DM_REPLICA_RET_INVALID_PARAM,
		    "SyncType: %u", 5);
	KUNIT_ASSERT_EQ(test, dmr_job_info(dmr_job_id(job), &info), 0);
	KUNIT_EXPECT_EQ(test, info.job_state, DM_REPLICA_JOB_EXCEPTION);
	KUNIT_EXPECT_EQ(test, info.error_code, (u32)DM_REPLICA_RET_INVALID_PARAM);
	KUNIT_EXPECT_STREQ(test, info.error_description, "SyncType: 5");
	dmr_job_put(job);
}

/*
 * At most job_keep_max finished jobs stay, the first to have finished
 * removed first (not the first created); a running job is never removed.
 */
static void dmr_test_job_bound(struct kunit *test)
{
	static const unsigned int end_order[] = { 3, 0, 1, 4, 2 };
	struct dmr_job_status info = {};
	struct dmr_job *jobs[5], *running;
	unsigned int i, old;
	u64 ids[5];

	running = dmr_job_new(1);
	KUNIT_ASSERT_NOT_NULL(test, running);
	for (i = 0; i < ARRAY_SIZE(jobs); i++) {
		jobs[i] = dmr_job_new(1);
		KUNIT_ASSERT_NOT_NULL(test, jobs[i]);
		ids[i] = dmr_job_id(jobs[i]);
	}
	old = dmr_job_set_keep_max(3);
	for (i = 0; i < ARRAY_SIZE(end_order); i++) {
		dmr_job_end(jobs[end_order[i]], DM_REPLICA_JOB_COMPLETED, 0, "job %u", i);
		KUNIT_EXPECT_LE(test, dmr_job_nr_done(), 3U);
	}
	/* Ended first: 3 then 0; the last three to end stay. */
	KUNIT_EXPECT_EQ(test, dmr_job_info(ids[3], &info), -ENOENT);
	KUNIT_EXPECT_EQ(test, dmr_job_info(ids[0], &info), -ENOENT);
	KUNIT_EXPECT_EQ(test, dmr_job_info(ids[1], &info), 0);
	KUNIT_EXPECT_EQ(test, dmr_job_info(ids[4], &info), 0);
	KUNIT_EXPECT_EQ(test, dmr_job_info(ids[2], &info), 0);
	KUNIT_EXPECT_STREQ(test, info.error_description, "job 4");
	/* The running job, older than all of them, is still there. */
	KUNIT_EXPECT_EQ(test, dmr_job_info(dmr_job_id(running), &info), 0);
	KUNIT_EXPECT_EQ(test, info.job_state, DM_REPLICA_JOB_NEW);

	/* A removed job the caller still holds stays readable to it. */
	KUNIT_EXPECT_EQ(test, dmr_job_wait_job(jobs[3], 1, &info), 0);
	KUNIT_EXPECT_STREQ(test, info.error_description, "job 0");

	dmr_job_end(running, DM_REPLICA_JOB_COMPLETED, 0, "running");
	dmr_job_set_keep_max(old);
	dmr_job_put(running);
	for (i = 0; i < ARRAY_SIZE(jobs); i++)
		dmr_job_put(jobs[i]);
}

/*
 * With job_keep_seconds=0 a finished job stays until its end was told
 * once; a wait that holds the job gets the answer.
 */
static void dmr_test_job_keep_zero(struct kunit *test)
{
	struct dmr_job_status info = {};
	struct dmr_job *job = dmr_job_new(1), *other;
	unsigned int old;
	u64 id;

	KUNIT_ASSERT_NOT_NULL(test, job);
	id = dmr_job_id(job);
	old = dmr_job_set_keep_seconds(0);
	dmr_job_start(job);
	dmr_job_end(job, DM_REPLICA_JOB_COMPLETED, 0, "done");
	dmr_job_put(job);
	/* Other calls reap, but not a job nobody has been told the end of. */
	other = dmr_job_new(1);
	KUNIT_ASSERT_NOT_NULL(test, other);
	dmr_job_end(other, DM_REPLICA_JOB_COMPLETED, 0, "other");
	dmr_job_put(other);
	KUNIT_EXPECT_EQ(test, dmr_job_wait(id, 1, &info), 0);
	KUNIT_EXPECT_EQ(test, info.job_state, DM_REPLICA_JOB_COMPLETED);
	/* Told: the next look finds it gone. */
	KUNIT_EXPECT_EQ(test, dmr_job_info(id, &info), -ENOENT);
	dmr_job_set_keep_seconds(old);
}

static struct kunit_case dmr_job_cases[] = {
	KUNIT_CASE(dmr_test_job_transitions),
	KUNIT_CASE(dmr_test_job_life),
	KUNIT_CASE(dmr_test_job_unknown),
	KUNIT_CASE(dmr_test_job_exception),
	KUNIT_CASE(dmr_test_job_bound),
	KUNIT_CASE(dmr_test_job_keep_zero),
	{}
};

static struct kunit_suite dmr_job_suite = {
	.name = "dm_replica_job",
	.test_cases = dmr_job_cases,
};

kunit_test_suite(dmr_job_suite);
