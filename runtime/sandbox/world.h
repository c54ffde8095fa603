/*
 * world.h - the sandbox's data model: per-region VPCs, security groups, their
 * rules and tags, with EC2-looking ids generated from a per-world seed and a
 * counter (both kept in the state file, so ids are stable inside it).
 *
 * Everything is kept in creation order (DescribeX answers in that order).
 * All strings are malloc'ed and owned by the object holding them.
 */
#ifndef KUMO_SANDBOX_WORLD_H
#define KUMO_SANDBOX_WORLD_H

#include <stddef.h>
#include <stdint.h>

#define SB_RULES_PER_DIRECTION 60

struct sb_tag {
    char *key;
    char *value; /* "" when the tag has no value */
};

struct sb_tags {
    struct sb_tag *items;
    size_t count;
};

enum sb_source_kind { SB_SRC_CIDR4 = 0, SB_SRC_CIDR6, SB_SRC_GROUP, SB_SRC_PREFIX_LIST };

struct sb_rule {
    char *id; /* "sgr-..." */
    int egress;
    char *protocol; /* canonical: tcp, udp, icmp, icmpv6, -1, or a decimal number */
    int from_port;  /* -1 when the protocol has no ports */
    int to_port;
    enum sb_source_kind kind;
    char *source;       /* canonical CIDR, group id or prefix list id */
    char *source_owner; /* account of a referenced group; NULL otherwise */
    char *description;  /* "" when none */
    struct sb_tags tags;
};

struct sb_group {
    char *id; /* "sg-..." */
    char *name;
    char *description;
    char *vpc_id;
    struct sb_tags tags;
    struct sb_rule **rules; /* ingress and egress, in creation order */
    size_t rule_count;
};

struct sb_vpc {
    char *id; /* "vpc-..." */
    char *cidr;
    char *association_id; /* "vpc-cidr-assoc-..." */
    int is_default;
    struct sb_tags tags;
};

struct sb_region {
    char *name;
    struct sb_vpc **vpcs;
    size_t vpc_count;
    struct sb_group **groups;
    size_t group_count;
};

/* Requests served for one action (the state's requests.by_action). */
struct sb_action_count {
    char *action;
    uint64_t count;
};

struct sb_world {
    uint64_t seed;          /* per-world random seed for ids */
    uint64_t counter;       /* ids generated so far */
    uint64_t request_count; /* every API request served, whatever the answer */
    struct sb_action_count *by_action;
    size_t by_action_count;
    struct sb_region **regions;
    size_t region_count;
};

/* An empty world with a fresh random seed. NULL when out of memory. */
struct sb_world *sb_world_new(void);
void sb_world_free(struct sb_world *world);

/* The region's part of the world, created on first use together with its
 * default VPC (172.31.0.0/16) and that VPC's default group. NULL when out of
 * memory. */
struct sb_region *sb_world_region(struct sb_world *world, const char *name);
/* The region without creating anything (state loading). */
struct sb_region *sb_world_add_region(struct sb_world *world, const char *name);

/* Adds `count` to the action's counter. -1 out of memory. */
int sb_world_count_action(struct sb_world *world, const char *action, uint64_t count);

/* Writes a new id "<prefix>-" + 17 lowercase hex digits into out[64]. */
void sb_world_new_id(struct sb_world *world, const char *prefix, char out[64]);
/* A request id (UUID-shaped) for the next response. */
void sb_world_request_id(struct sb_world *world, char out[37]);

/* Lookups (NULL when absent). */
struct sb_vpc *sb_region_vpc(struct sb_region *region, const char *id);
struct sb_vpc *sb_region_default_vpc(struct sb_region *region);
struct sb_group *sb_region_group(struct sb_region *region, const char *id);
struct sb_group *sb_region_group_by_name(struct sb_region *region, const char *vpc_id,
                                         const char *name);
/* The rule with that id in any group of the region; *group_out set too. */
struct sb_rule *sb_region_rule(struct sb_region *region, const char *id,
                               struct sb_group **group_out);

/* Creation. Each returns the new object (owned by the region/group), or NULL
 * when out of memory. sb_region_create_vpc also creates its default group. */
struct sb_vpc *sb_region_create_vpc(struct sb_world *world, struct sb_region *region,
                                    const char *cidr, int is_default);
struct sb_group *sb_region_create_group(struct sb_world *world, struct sb_region *region,
                                        const char *vpc_id, const char *name,
                                        const char *description);
/* Appends a rule; strings are copied; the id is generated unless given. */
struct sb_rule *sb_group_add_rule(struct sb_world *world, struct sb_group *group, int egress,
                                  const char *protocol, int from_port, int to_port,
                                  enum sb_source_kind kind, const char *source,
                                  const char *source_owner, const char *description,
                                  const char *id);

/* Adds the default rules of a new group: all outbound to 0.0.0.0/0, and for
 * a VPC's `default` group also all inbound from itself. -1 out of memory. */
int sb_group_add_default_rules(struct sb_world *world, struct sb_group *group, int is_default);

void sb_region_delete_vpc(struct sb_region *region, struct sb_vpc *vpc);
void sb_region_delete_group(struct sb_region *region, struct sb_group *group);
void sb_group_delete_rule(struct sb_group *group, struct sb_rule *rule);

size_t sb_group_count_rules(const struct sb_group *group, int egress);
/* 1 when the two rules are the same rule for EC2 (direction, protocol,
 * ports, source; the description and the source owner do not count). */
int sb_rule_same(const struct sb_rule *a, const struct sb_rule *b);

/* Tags: set (replace the value) / remove / find. -1 out of memory. */
int sb_tags_set(struct sb_tags *tags, const char *key, const char *value);
void sb_tags_remove(struct sb_tags *tags, const char *key);
const struct sb_tag *sb_tags_find(const struct sb_tags *tags, const char *key);
void sb_tags_clear(struct sb_tags *tags);

char *sb_strdup(const char *text);

#endif
