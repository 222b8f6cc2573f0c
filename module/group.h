/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dm-replica: groups, as the targets and the control device see them.
 *
 * A group is the N sources of one CreateGroupReplicaFromElements request,
 * their N replicas and the point in time that binds them. Its state lives
 * in group.c; the record of it in the pool's metadata.
 */
#ifndef DM_REPLICA_GROUP_H
#define DM_REPLICA_GROUP_H

#include <linux/types.h>

#include <uapi/linux/dm-replica.h>

struct dmr_pool;
struct dmr_source;
struct dmr_member;
struct dmr_rep_engine;

/* pool.c, with dmr_lock held: bring back a pool's groups when it is
 * loaded; count them; forget them when the pool object goes.
 */
int dmr_groups_load(struct dmr_pool *pool, char **error);
unsigned int dmr_groups_count(struct dmr_pool *pool);

/* source.c, with dmr_lock held: a source device appeared or went. */
void dmr_groups_source_added(struct dmr_source *src);
void dmr_groups_source_removed(struct dmr_source *src);

/* replica.c: the member @n (from 1) of group @group_id in the pool shown
 * by the dm device @pool_devt.
 */
struct dmr_member *dmr_member_get(dev_t pool_devt, u32 group_id, unsigned int n,
				  char **error);
void dmr_member_put(struct dmr_member *m);
struct dmr_rep_engine *dmr_member_engine(struct dmr_member *m);
dev_t dmr_member_origin(struct dmr_member *m);
sector_t dmr_member_sectors(struct dmr_member *m);
u32 dmr_member_chunk_sectors(struct dmr_member *m);
u16 dmr_member_copy_state(struct dmr_member *m);

/*
 * control.c: the commands. Each fills @hdr->result and @hdr->message and
 * returns 0 or a negative errno. May sleep.
 */
struct dmr_create_args {
	struct dm_replica_create_group *req;
	struct dm_replica_dev *sources;	/* req->nr_sources entries */
	char *settings;			/* NUL-terminated, or NULL */
	char *goal;			/* NUL-terminated, or NULL */
};

int dmr_group_create(struct dmr_create_args *args);
int dmr_group_list(struct dm_replica_group_list *req, u32 *ids, u32 cap);
int dmr_group_get(struct dm_replica_group *req, struct dm_replica_member *members,
		  u32 cap);
int dmr_group_modify(struct dm_replica_modify_sync *req);

#endif /* DM_REPLICA_GROUP_H */
