/*
 * world.c - the sandbox's data model (world.h): regions created lazily with
 * their default VPC and default group, VPCs, security groups, rules, tags,
 * and id generation from the world's seed and counter.
 */
#include "sandbox/world.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sandbox/sandbox.h"

char *sb_strdup(const char *text)
{
    if (!text)
        return NULL;
    size_t length = strlen(text);
    char *copy = malloc(length + 1);
    if (copy)
        memcpy(copy, text, length + 1);
    return copy;
}

/* Appends `item` to a growable pointer array (grown by one). */
static int push(void ***items, size_t *count, void *item)
{
    void **grown = realloc(*items, (*count + 1) * sizeof **items);
    if (!grown)
        return -1;
    grown[(*count)++] = item;
    *items = grown;
    return 0;
}

static void remove_at(void **items, size_t *count, void *item)
{
    for (size_t i = 0; i < *count; i++) {
        if (items[i] == item) {
            memmove(items + i, items + i + 1, (*count - i - 1) * sizeof *items);
            (*count)--;
            return;
        }
    }
}

static uint64_t splitmix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static uint64_t random_seed(void)
{
    uint64_t seed = 0;
    FILE *f = fopen("/dev/urandom", "rb");
    if (f) {
        if (fread(&seed, sizeof seed, 1, f) != 1)
            seed = 0;
        fclose(f);
    }
    if (seed == 0) {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        seed = splitmix64((uint64_t)now.tv_nsec ^ ((uint64_t)now.tv_sec << 20) ^
                          ((uint64_t)getpid() << 40));
    }
    return seed;
}

struct sb_world *sb_world_new(void)
{
    struct sb_world *world = calloc(1, sizeof *world);
    if (world)
        world->seed = random_seed();
    return world;
}

void sb_tags_clear(struct sb_tags *tags)
{
    for (size_t i = 0; i < tags->count; i++) {
        free(tags->items[i].key);
        free(tags->items[i].value);
    }
    free(tags->items);
    tags->items = NULL;
    tags->count = 0;
}

static void rule_free(struct sb_rule *rule)
{
    if (!rule)
        return;
    free(rule->id);
    free(rule->protocol);
    free(rule->source);
    free(rule->source_owner);
    free(rule->description);
    sb_tags_clear(&rule->tags);
    free(rule);
}

static void group_free(struct sb_group *group)
{
    if (!group)
        return;
    for (size_t i = 0; i < group->rule_count; i++)
        rule_free(group->rules[i]);
    free(group->rules);
    free(group->id);
    free(group->name);
    free(group->description);
    free(group->vpc_id);
    sb_tags_clear(&group->tags);
    free(group);
}

static void vpc_free(struct sb_vpc *vpc)
{
    if (!vpc)
        return;
    free(vpc->id);
    free(vpc->cidr);
    free(vpc->association_id);
    sb_tags_clear(&vpc->tags);
    free(vpc);
}

static void region_free(struct sb_region *region)
{
    for (size_t i = 0; i < region->vpc_count; i++)
        vpc_free(region->vpcs[i]);
    for (size_t i = 0; i < region->group_count; i++)
        group_free(region->groups[i]);
    free(region->vpcs);
    free(region->groups);
    free(region->name);
    free(region);
}

void sb_world_free(struct sb_world *world)
{
    if (!world)
        return;
    for (size_t i = 0; i < world->region_count; i++)
        region_free(world->regions[i]);
    free(world->regions);
    for (size_t i = 0; i < world->by_action_count; i++)
        free(world->by_action[i].action);
    free(world->by_action);
    free(world);
}

int sb_world_count_action(struct sb_world *world, const char *action, uint64_t count)
{
    for (size_t i = 0; i < world->by_action_count; i++) {
        if (strcmp(world->by_action[i].action, action) == 0) {
            world->by_action[i].count += count;
            return 0;
        }
    }
    char *copy = sb_strdup(action);
    struct sb_action_count *grown =
        copy ? realloc(world->by_action, (world->by_action_count + 1) * sizeof *grown) : NULL;
    if (!grown) {
        free(copy);
        return -1;
    }
    grown[world->by_action_count].action = copy;
    grown[world->by_action_count].count = count;
    world->by_action = grown;
    world->by_action_count++;
    return 0;
}

void sb_world_new_id(struct sb_world *world, const char *prefix, char out[64])
{
    world->counter++;
    uint64_t a = splitmix64(world->seed ^ splitmix64(world->counter));
    uint64_t b = splitmix64(a ^ world->counter);
    /* 17 hex digits: 64 bits of a, 4 bits of b. */
    snprintf(out, 64, "%s-%016llx%x", prefix, (unsigned long long)a, (unsigned)(b & 0xf));
}

void sb_world_request_id(struct sb_world *world, char out[37])
{
    uint64_t a = splitmix64(world->seed ^ (world->request_count * 0x2545f4914f6cdd1dULL));
    uint64_t b = splitmix64(a);
    snprintf(out, 37, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32),
             (unsigned)(a >> 16) & 0xffff, (unsigned)a & 0xfff,
             (unsigned)((b >> 48) & 0x3fff) | 0x8000, (unsigned long long)(b & 0xffffffffffffULL));
}

struct sb_region *sb_world_add_region(struct sb_world *world, const char *name)
{
    for (size_t i = 0; i < world->region_count; i++)
        if (strcmp(world->regions[i]->name, name) == 0)
            return world->regions[i];
    struct sb_region *region = calloc(1, sizeof *region);
    if (!region)
        return NULL;
    region->name = sb_strdup(name);
    if (!region->name || push((void ***)&world->regions, &world->region_count, region) != 0) {
        free(region->name);
        free(region);
        return NULL;
    }
    return region;
}

struct sb_region *sb_world_region(struct sb_world *world, const char *name)
{
    for (size_t i = 0; i < world->region_count; i++)
        if (strcmp(world->regions[i]->name, name) == 0)
            return world->regions[i];
    struct sb_region *region = sb_world_add_region(world, name);
    if (!region)
        return NULL;
    if (!sb_region_create_vpc(world, region, "172.31.0.0/16", 1))
        return NULL;
    return region;
}

struct sb_vpc *sb_region_vpc(struct sb_region *region, const char *id)
{
    for (size_t i = 0; i < region->vpc_count; i++)
        if (strcmp(region->vpcs[i]->id, id) == 0)
            return region->vpcs[i];
    return NULL;
}

struct sb_vpc *sb_region_default_vpc(struct sb_region *region)
{
    for (size_t i = 0; i < region->vpc_count; i++)
        if (region->vpcs[i]->is_default)
            return region->vpcs[i];
    return NULL;
}

struct sb_group *sb_region_group(struct sb_region *region, const char *id)
{
    for (size_t i = 0; i < region->group_count; i++)
        if (strcmp(region->groups[i]->id, id) == 0)
            return region->groups[i];
    return NULL;
}

struct sb_group *sb_region_group_by_name(struct sb_region *region, const char *vpc_id,
                                         const char *name)
{
    for (size_t i = 0; i < region->group_count; i++) {
        struct sb_group *g = region->groups[i];
        if (strcmp(g->vpc_id, vpc_id) == 0 && strcmp(g->name, name) == 0)
            return g;
    }
    return NULL;
}

struct sb_rule *sb_region_rule(struct sb_region *region, const char *id,
                               struct sb_group **group_out)
{
    for (size_t i = 0; i < region->group_count; i++) {
        struct sb_group *g = region->groups[i];
        for (size_t j = 0; j < g->rule_count; j++) {
            if (strcmp(g->rules[j]->id, id) == 0) {
                if (group_out)
                    *group_out = g;
                return g->rules[j];
            }
        }
    }
    return NULL;
}

struct sb_vpc *sb_region_create_vpc(struct sb_world *world, struct sb_region *region,
                                    const char *cidr, int is_default)
{
    char id[64], assoc[64];
    struct sb_vpc *vpc = calloc(1, sizeof *vpc);
    if (!vpc)
        return NULL;
    sb_world_new_id(world, "vpc", id);
    sb_world_new_id(world, "vpc-cidr-assoc", assoc);
    vpc->id = sb_strdup(id);
    vpc->cidr = sb_strdup(cidr);
    vpc->association_id = sb_strdup(assoc);
    vpc->is_default = is_default;
    if (!vpc->id || !vpc->cidr || !vpc->association_id ||
        push((void ***)&region->vpcs, &region->vpc_count, vpc) != 0) {
        vpc_free(vpc);
        return NULL;
    }
    struct sb_group *group =
        sb_region_create_group(world, region, vpc->id, "default", "default VPC security group");
    if (!group || sb_group_add_default_rules(world, group, 1) != 0) {
        if (group)
            sb_region_delete_group(region, group);
        sb_region_delete_vpc(region, vpc);
        return NULL;
    }
    return vpc;
}

struct sb_group *sb_region_create_group(struct sb_world *world, struct sb_region *region,
                                        const char *vpc_id, const char *name,
                                        const char *description)
{
    char id[64];
    struct sb_group *group = calloc(1, sizeof *group);
    if (!group)
        return NULL;
    sb_world_new_id(world, "sg", id);
    group->id = sb_strdup(id);
    group->name = sb_strdup(name);
    group->description = sb_strdup(description);
    group->vpc_id = sb_strdup(vpc_id);
    if (!group->id || !group->name || !group->description || !group->vpc_id ||
        push((void ***)&region->groups, &region->group_count, group) != 0) {
        group_free(group);
        return NULL;
    }
    return group;
}

struct sb_rule *sb_group_add_rule(struct sb_world *world, struct sb_group *group, int egress,
                                  const char *protocol, int from_port, int to_port,
                                  enum sb_source_kind kind, const char *source,
                                  const char *source_owner, const char *description, const char *id)
{
    char generated[64];
    struct sb_rule *rule = calloc(1, sizeof *rule);
    if (!rule)
        return NULL;
    if (!id) {
        sb_world_new_id(world, "sgr", generated);
        id = generated;
    }
    rule->id = sb_strdup(id);
    rule->egress = egress;
    rule->protocol = sb_strdup(protocol);
    rule->from_port = from_port;
    rule->to_port = to_port;
    rule->kind = kind;
    rule->source = sb_strdup(source);
    rule->source_owner = source_owner ? sb_strdup(source_owner) : NULL;
    rule->description = sb_strdup(description ? description : "");
    if (!rule->id || !rule->protocol || !rule->source || !rule->description ||
        (source_owner && !rule->source_owner) ||
        push((void ***)&group->rules, &group->rule_count, rule) != 0) {
        rule_free(rule);
        return NULL;
    }
    return rule;
}

int sb_group_add_default_rules(struct sb_world *world, struct sb_group *group, int is_default)
{
    if (is_default && !sb_group_add_rule(world, group, 0, "-1", -1, -1, SB_SRC_GROUP, group->id,
                                         KUMO_SANDBOX_ACCOUNT_ID, "", NULL))
        return -1;
    if (!sb_group_add_rule(world, group, 1, "-1", -1, -1, SB_SRC_CIDR4, "0.0.0.0/0", NULL, "",
                           NULL))
        return -1;
    return 0;
}

void sb_region_delete_vpc(struct sb_region *region, struct sb_vpc *vpc)
{
    remove_at((void **)region->vpcs, &region->vpc_count, vpc);
    vpc_free(vpc);
}

void sb_region_delete_group(struct sb_region *region, struct sb_group *group)
{
    remove_at((void **)region->groups, &region->group_count, group);
    group_free(group);
}

void sb_group_delete_rule(struct sb_group *group, struct sb_rule *rule)
{
    remove_at((void **)group->rules, &group->rule_count, rule);
    rule_free(rule);
}

size_t sb_group_count_rules(const struct sb_group *group, int egress)
{
    size_t n = 0;
    for (size_t i = 0; i < group->rule_count; i++)
        if (group->rules[i]->egress == egress)
            n++;
    return n;
}

int sb_rule_same(const struct sb_rule *a, const struct sb_rule *b)
{
    return a->egress == b->egress && strcmp(a->protocol, b->protocol) == 0 &&
           a->from_port == b->from_port && a->to_port == b->to_port &&
           (a->kind == b->kind || ((a->kind == SB_SRC_CIDR4 || a->kind == SB_SRC_CIDR6) &&
                                   (b->kind == SB_SRC_CIDR4 || b->kind == SB_SRC_CIDR6))) &&
           strcmp(a->source, b->source) == 0;
}

const struct sb_tag *sb_tags_find(const struct sb_tags *tags, const char *key)
{
    for (size_t i = 0; i < tags->count; i++)
        if (strcmp(tags->items[i].key, key) == 0)
            return &tags->items[i];
    return NULL;
}

int sb_tags_set(struct sb_tags *tags, const char *key, const char *value)
{
    char *copy = sb_strdup(value ? value : "");
    if (!copy)
        return -1;
    for (size_t i = 0; i < tags->count; i++) {
        if (strcmp(tags->items[i].key, key) == 0) {
            free(tags->items[i].value);
            tags->items[i].value = copy;
            return 0;
        }
    }
    char *key_copy = sb_strdup(key);
    struct sb_tag *grown =
        key_copy ? realloc(tags->items, (tags->count + 1) * sizeof *grown) : NULL;
    if (!grown) {
        free(copy);
        free(key_copy);
        return -1;
    }
    grown[tags->count].key = key_copy;
    grown[tags->count].value = copy;
    tags->items = grown;
    tags->count++;
    return 0;
}

void sb_tags_remove(struct sb_tags *tags, const char *key)
{
    for (size_t i = 0; i < tags->count; i++) {
        if (strcmp(tags->items[i].key, key) == 0) {
            free(tags->items[i].key);
            free(tags->items[i].value);
            memmove(tags->items + i, tags->items + i + 1,
                    (tags->count - i - 1) * sizeof *tags->items);
            tags->count--;
            return;
        }
    }
}
