/*
 * state.c - the sandbox world as a JSON file (cJSON): loaded at start,
 * written back atomically (a temporary file in the same directory, fsync,
 * rename, fsync of the directory). A file that cannot be read, is not JSON,
 * or is not in this format is an error naming the file and the problem, and
 * is never overwritten by the loader.
 *
 * The format (written pretty-printed with sorted keys, so diffs read well):
 *
 *   {
 *     "format": "kumo-sandbox/1",
 *     "seed": "0123456789abcdef",      per-world id seed (16 hex digits)
 *     "counter": 42,                   ids generated so far
 *     "request_count": 17,             API requests served, all runs together
 *     "requests": { "by_action": { "CreateSecurityGroup": 2, ... } },
 *                                      requests per known action (signature valid)
 *     "regions": {
 *       "us-east-1": {
 *         "vpcs": [ { "id": "vpc-...", "cidr": "172.31.0.0/16",
 *                     "association_id": "vpc-cidr-assoc-...", "is_default": true,
 *                     "tags": { "Name": "..." } } ],
 *         "security_groups": [ { "id": "sg-...", "name": "...", "description": "...",
 *                                "vpc_id": "vpc-...", "tags": { ... },
 *                                "ingress": [ RULE... ], "egress": [ RULE... ] } ]
 *       }
 *     }
 *   }
 *
 *   RULE = { "id": "sgr-...", "protocol": "tcp" | "udp" | "icmp" | "icmpv6" | "-1" | "50",
 *            "from_port": 80, "to_port": 80,            (-1 when the protocol has no ports)
 *            exactly one of "cidr_ipv4", "cidr_ipv6", "group_id" (+ "group_owner"),
 *            "prefix_list_id";
 *            "description": "", "tags": { ... } }
 *
 * Lists keep creation order (the order Describe* answers in). Within a group
 * the ingress rules are loaded before the egress rules.
 */
#include "sandbox/sandbox_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cJSON.h>

#define STATE_FORMAT "kumo-sandbox/1"
#define STATE_MAX_BYTES ((long)64 * 1024 * 1024)

/* ---- loading ---- */

struct loader {
    const char *path;
    char *errbuf;
    size_t errbuf_size;
};

static int bad(struct loader *ld, const char *where, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

static int bad(struct loader *ld, const char *where, const char *format, ...)
{
    char detail[512];
    va_list args;
    va_start(args, format);
    vsnprintf(detail, sizeof detail, format, args);
    va_end(args);
    snprintf(ld->errbuf, ld->errbuf_size, "sandbox state file %s is corrupt: %s: %s", ld->path,
             where, detail);
    return -1;
}

static const char *get_string(struct loader *ld, const cJSON *obj, const char *where,
                              const char *key, int required)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!item && !required)
        return NULL;
    if (!cJSON_IsString(item)) {
        bad(ld, where, "\"%s\": string expected", key);
        return NULL;
    }
    return item->valuestring;
}

static int get_number(struct loader *ld, const cJSON *obj, const char *where, const char *key,
                      double min, double max, double *out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsNumber(item) || item->valuedouble < min || item->valuedouble > max ||
        item->valuedouble != (double)(int64_t)item->valuedouble)
        return bad(ld, where, "\"%s\": integer from %.0f to %.0f expected", key, min, max);
    *out = item->valuedouble;
    return 0;
}

static const cJSON *get_array(struct loader *ld, const cJSON *obj, const char *where,
                              const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!item)
        return NULL;
    if (!cJSON_IsArray(item)) {
        bad(ld, where, "\"%s\": array expected", key);
        return NULL;
    }
    return item;
}

static int load_tags(struct loader *ld, const cJSON *obj, const char *where, struct sb_tags *tags)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, "tags");
    if (!item)
        return 0;
    if (!cJSON_IsObject(item))
        return bad(ld, where, "\"tags\": object expected");
    const cJSON *tag;
    cJSON_ArrayForEach(tag, item)
    {
        if (!cJSON_IsString(tag) || !tag->string || !*tag->string)
            return bad(ld, where, "\"tags\": string values with non-empty keys expected");
        if (sb_tags_set(tags, tag->string, tag->valuestring) != 0)
            return bad(ld, where, "out of memory");
    }
    return 0;
}

static int load_rule(struct loader *ld, struct sb_world *world, struct sb_group *group,
                     const cJSON *obj, int egress, const char *where)
{
    if (!cJSON_IsObject(obj))
        return bad(ld, where, "object expected");
    const char *id = get_string(ld, obj, where, "id", 1);
    const char *protocol = id ? get_string(ld, obj, where, "protocol", 1) : NULL;
    if (!protocol)
        return -1;
    if (!sb_id_well_formed(id, "sgr"))
        return bad(ld, where, "\"id\": \"sgr-\" id expected");
    double from, to;
    if (get_number(ld, obj, where, "from_port", -1, 65535, &from) != 0 ||
        get_number(ld, obj, where, "to_port", -1, 65535, &to) != 0)
        return -1;
    static const char *const keys[] = {"cidr_ipv4", "cidr_ipv6", "group_id", "prefix_list_id"};
    const char *source = NULL;
    int kind = -1;
    for (int k = 0; k < 4; k++) {
        if (!cJSON_GetObjectItemCaseSensitive(obj, keys[k]))
            continue;
        if (kind >= 0)
            return bad(ld, where, "more than one source (\"%s\" and \"%s\")", keys[kind], keys[k]);
        kind = k;
        source = get_string(ld, obj, where, keys[k], 1);
        if (!source)
            return -1;
    }
    if (kind < 0)
        return bad(ld, where, "no source (cidr_ipv4, cidr_ipv6, group_id or prefix_list_id)");
    char canonical[64];
    if ((kind == 0 || kind == 1) && sb_cidr_canonical(source, canonical) != (kind == 0 ? 4 : 6))
        return bad(ld, where, "\"%s\": \"%s\" is not a CIDR block", keys[kind], source);
    const char *owner = kind == 2 ? get_string(ld, obj, where, "group_owner", 0) : NULL;
    const char *description = get_string(ld, obj, where, "description", 0);
    if (cJSON_GetObjectItemCaseSensitive(obj, "description") && !description)
        return -1;
    struct sb_rule *rule = sb_group_add_rule(
        world, group, egress, protocol, (int)from, (int)to, (enum sb_source_kind)kind,
        kind == 0 || kind == 1 ? canonical : source,
        kind == 2 ? (owner ? owner : KUMO_SANDBOX_ACCOUNT_ID) : NULL, description, id);
    if (!rule)
        return bad(ld, where, "out of memory");
    return load_tags(ld, obj, where, &rule->tags);
}

static int load_group(struct loader *ld, struct sb_world *world, struct sb_region *region,
                      const cJSON *obj, const char *where)
{
    if (!cJSON_IsObject(obj))
        return bad(ld, where, "object expected");
    const char *id = get_string(ld, obj, where, "id", 1);
    const char *name = id ? get_string(ld, obj, where, "name", 1) : NULL;
    const char *description = name ? get_string(ld, obj, where, "description", 1) : NULL;
    const char *vpc_id = description ? get_string(ld, obj, where, "vpc_id", 1) : NULL;
    if (!vpc_id)
        return -1;
    if (!sb_id_well_formed(id, "sg") || sb_region_group(region, id))
        return bad(ld, where, "\"id\": a unique \"sg-\" id expected");
    if (!sb_region_vpc(region, vpc_id))
        return bad(ld, where, "\"vpc_id\": no VPC %s in this region", vpc_id);
    struct sb_group *group = sb_region_create_group(world, region, vpc_id, name, description);
    if (!group)
        return bad(ld, where, "out of memory");
    free(group->id);
    group->id = sb_strdup(id);
    if (!group->id)
        return bad(ld, where, "out of memory");
    if (load_tags(ld, obj, where, &group->tags) != 0)
        return -1;
    for (int egress = 0; egress < 2; egress++) {
        const char *key = egress ? "egress" : "ingress";
        const cJSON *rules = get_array(ld, obj, where, key);
        if (!rules && cJSON_GetObjectItemCaseSensitive(obj, key))
            return -1;
        int index = 0;
        const cJSON *rule;
        cJSON_ArrayForEach(rule, rules)
        {
            char rule_where[400];
            snprintf(rule_where, sizeof rule_where, "%.300s.%s[%d]", where, key, index++);
            if (load_rule(ld, world, group, rule, egress, rule_where) != 0)
                return -1;
        }
    }
    return 0;
}

static int load_vpc(struct loader *ld, struct sb_region *region, const cJSON *obj,
                    const char *where)
{
    if (!cJSON_IsObject(obj))
        return bad(ld, where, "object expected");
    const char *id = get_string(ld, obj, where, "id", 1);
    const char *cidr = id ? get_string(ld, obj, where, "cidr", 1) : NULL;
    const char *assoc = cidr ? get_string(ld, obj, where, "association_id", 1) : NULL;
    if (!assoc)
        return -1;
    if (!sb_id_well_formed(id, "vpc") || sb_region_vpc(region, id))
        return bad(ld, where, "\"id\": a unique \"vpc-\" id expected");
    char canonical[64];
    if (sb_cidr_canonical(cidr, canonical) != 4)
        return bad(ld, where, "\"cidr\": \"%s\" is not an IPv4 CIDR block", cidr);
    const cJSON *is_default = cJSON_GetObjectItemCaseSensitive(obj, "is_default");
    if (is_default && !cJSON_IsBool(is_default))
        return bad(ld, where, "\"is_default\": boolean expected");
    struct sb_vpc *vpc = calloc(1, sizeof *vpc);
    if (!vpc)
        return bad(ld, where, "out of memory");
    vpc->id = sb_strdup(id);
    vpc->cidr = sb_strdup(canonical);
    vpc->association_id = sb_strdup(assoc);
    vpc->is_default = cJSON_IsTrue(is_default);
    struct sb_vpc **grown = realloc(region->vpcs, (region->vpc_count + 1) * sizeof *grown);
    if (!grown || !vpc->id || !vpc->cidr || !vpc->association_id) {
        if (grown)
            region->vpcs = grown;
        free(vpc->id);
        free(vpc->cidr);
        free(vpc->association_id);
        free(vpc);
        return bad(ld, where, "out of memory");
    }
    region->vpcs = grown;
    region->vpcs[region->vpc_count++] = vpc;
    return load_tags(ld, obj, where, &vpc->tags);
}

static int valid_region_name(const char *name)
{
    if (!*name || strlen(name) > 64)
        return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
            return 0;
    return 1;
}

static int load_document(struct loader *ld, const cJSON *root, struct sb_world *world)
{
    if (!cJSON_IsObject(root))
        return bad(ld, "top level", "object expected");
    const cJSON *format = cJSON_GetObjectItemCaseSensitive(root, "format");
    if (!cJSON_IsString(format) || strcmp(format->valuestring, STATE_FORMAT) != 0) {
        snprintf(ld->errbuf, ld->errbuf_size,
                 "%s is not a kumo sandbox state file: \"format\" is %s%s%s, expected \"%s\"",
                 ld->path, cJSON_IsString(format) ? "\"" : "",
                 cJSON_IsString(format) ? format->valuestring : "missing or not a string",
                 cJSON_IsString(format) ? "\"" : "", STATE_FORMAT);
        return -1;
    }
    const char *seed = get_string(ld, root, "top level", "seed", 1);
    if (!seed)
        return -1;
    char *end = NULL;
    errno = 0;
    unsigned long long seed_value = strtoull(seed, &end, 16);
    if (strlen(seed) != 16 || *end || errno)
        return bad(ld, "top level", "\"seed\": 16 hex digits expected");
    world->seed = seed_value;
    double counter, served;
    if (get_number(ld, root, "top level", "counter", 0, 9007199254740991.0, &counter) != 0 ||
        get_number(ld, root, "top level", "request_count", 0, 9007199254740991.0, &served) != 0)
        return -1;
    const cJSON *requests = cJSON_GetObjectItemCaseSensitive(root, "requests");
    if (requests) {
        const cJSON *by_action = cJSON_GetObjectItemCaseSensitive(requests, "by_action");
        if (!cJSON_IsObject(requests) || (by_action && !cJSON_IsObject(by_action)))
            return bad(ld, "requests", "\"by_action\": object expected");
        const cJSON *entry;
        cJSON_ArrayForEach(entry, by_action)
        {
            if (!cJSON_IsNumber(entry) || entry->valuedouble < 0 ||
                entry->valuedouble > 9007199254740991.0 || !*entry->string)
                return bad(ld, "requests.by_action", "a count per action expected");
            if (sb_world_count_action(world, entry->string, (uint64_t)entry->valuedouble) != 0)
                return bad(ld, "requests.by_action", "out of memory");
        }
    }
    const cJSON *regions = cJSON_GetObjectItemCaseSensitive(root, "regions");
    if (!cJSON_IsObject(regions))
        return bad(ld, "top level", "\"regions\": object expected");
    const cJSON *region_obj;
    cJSON_ArrayForEach(region_obj, regions)
    {
        char where[256];
        snprintf(where, sizeof where, "regions.%.64s", region_obj->string);
        if (!valid_region_name(region_obj->string) || !cJSON_IsObject(region_obj))
            return bad(ld, where, "a region name and an object expected");
        struct sb_region *region = sb_world_add_region(world, region_obj->string);
        if (!region)
            return bad(ld, where, "out of memory");
        const cJSON *vpcs = get_array(ld, region_obj, where, "vpcs");
        const cJSON *groups = get_array(ld, region_obj, where, "security_groups");
        if ((!vpcs && cJSON_GetObjectItemCaseSensitive(region_obj, "vpcs")) ||
            (!groups && cJSON_GetObjectItemCaseSensitive(region_obj, "security_groups")))
            return -1;
        int index = 0;
        const cJSON *item;
        cJSON_ArrayForEach(item, vpcs)
        {
            char item_where[300];
            snprintf(item_where, sizeof item_where, "%s.vpcs[%d]", where, index++);
            if (load_vpc(ld, region, item, item_where) != 0)
                return -1;
        }
        index = 0;
        cJSON_ArrayForEach(item, groups)
        {
            char item_where[300];
            snprintf(item_where, sizeof item_where, "%s.security_groups[%d]", where, index++);
            if (load_group(ld, world, region, item, item_where) != 0)
                return -1;
        }
    }
    /* Loading generated ids for the objects it replaced; the stored counter
     * is the truth. */
    world->counter = (uint64_t)counter;
    world->request_count = (uint64_t)served;
    return 0;
}

int sb_state_load(const char *path, struct sb_world **out, char *errbuf, size_t errbuf_size)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT) {
            *out = sb_world_new();
            if (!*out) {
                snprintf(errbuf, errbuf_size, "out of memory");
                return -1;
            }
            return 0;
        }
        snprintf(errbuf, errbuf_size, "cannot read sandbox state file %s: %s", path,
                 strerror(errno));
        return -1;
    }
    struct kumo_strbuf text = KUMO_STRBUF_INIT;
    char chunk[65536];
    size_t n;
    int read_error = 0;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (text.length + n > (size_t)STATE_MAX_BYTES || kumo_strbuf_append(&text, chunk, n)) {
            read_error = EFBIG;
            break;
        }
    }
    if (!read_error && ferror(f))
        read_error = errno ? errno : EIO;
    fclose(f);
    if (read_error) {
        kumo_strbuf_free(&text);
        snprintf(errbuf, errbuf_size, "cannot read sandbox state file %s: %s", path,
                 read_error == EFBIG ? "larger than 64 MiB" : strerror(read_error));
        return -1;
    }
    if (strlen(kumo_strbuf_cstr(&text)) != text.length) {
        snprintf(errbuf, errbuf_size,
                 "sandbox state file %s is corrupt: not valid JSON (a NUL byte at %zu)", path,
                 strlen(kumo_strbuf_cstr(&text)));
        kumo_strbuf_free(&text);
        return -1;
    }
    const char *parse_end = NULL;
    cJSON *root = cJSON_ParseWithOpts(kumo_strbuf_cstr(&text), &parse_end, 1);
    if (!root) {
        size_t offset = parse_end ? (size_t)(parse_end - kumo_strbuf_cstr(&text)) : 0;
        snprintf(errbuf, errbuf_size,
                 "sandbox state file %s is corrupt: not valid JSON (near byte %zu)", path, offset);
        kumo_strbuf_free(&text);
        return -1;
    }
    kumo_strbuf_free(&text);
    struct sb_world *world = sb_world_new();
    struct loader ld = {path, errbuf, errbuf_size};
    if (!world) {
        cJSON_Delete(root);
        snprintf(errbuf, errbuf_size, "out of memory");
        return -1;
    }
    if (load_document(&ld, root, world) != 0) {
        cJSON_Delete(root);
        sb_world_free(world);
        return -1;
    }
    cJSON_Delete(root);
    *out = world;
    return 0;
}

/* ---- saving ---- */

static int compare_keys(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    return strcmp(x->string, y->string);
}

/* Sorts every object's members by key, recursively. -1 out of memory. */
static int sort_keys(cJSON *item)
{
    size_t count = 0;
    for (cJSON *c = item->child; c; c = c->next) {
        if (sort_keys(c) != 0)
            return -1;
        count++;
    }
    if (!cJSON_IsObject(item) || count < 2)
        return 0;
    cJSON **members = malloc(count * sizeof *members);
    if (!members)
        return -1;
    size_t i = 0;
    for (cJSON *c = item->child; c; c = c->next)
        members[i++] = c;
    qsort(members, count, sizeof *members, compare_keys);
    for (i = 0; i < count; i++) {
        members[i]->prev = i ? members[i - 1] : members[count - 1];
        members[i]->next = i + 1 < count ? members[i + 1] : NULL;
    }
    item->child = members[0];
    free(members);
    return 0;
}

static cJSON *tags_json(const struct sb_tags *tags)
{
    cJSON *obj = cJSON_CreateObject();
    for (size_t i = 0; obj && i < tags->count; i++)
        if (!cJSON_AddStringToObject(obj, tags->items[i].key, tags->items[i].value)) {
            cJSON_Delete(obj);
            return NULL;
        }
    return obj;
}

/* Adds `item` to `obj` under `key`; 0, or -1 (item freed) on failure. */
static int put(cJSON *obj, const char *key, cJSON *item)
{
    if (!item)
        return -1;
    if (!cJSON_AddItemToObject(obj, key, item)) {
        cJSON_Delete(item);
        return -1;
    }
    return 0;
}

static cJSON *rule_json(const struct sb_rule *rule)
{
    static const char *const keys[] = {"cidr_ipv4", "cidr_ipv6", "group_id", "prefix_list_id"};
    cJSON *obj = cJSON_CreateObject();
    if (!obj || put(obj, "id", cJSON_CreateString(rule->id)) ||
        put(obj, "protocol", cJSON_CreateString(rule->protocol)) ||
        put(obj, "from_port", cJSON_CreateNumber(rule->from_port)) ||
        put(obj, "to_port", cJSON_CreateNumber(rule->to_port)) ||
        put(obj, keys[rule->kind], cJSON_CreateString(rule->source)) ||
        (rule->kind == SB_SRC_GROUP &&
         put(obj, "group_owner",
             cJSON_CreateString(rule->source_owner ? rule->source_owner
                                                   : KUMO_SANDBOX_ACCOUNT_ID))) ||
        put(obj, "description", cJSON_CreateString(rule->description ? rule->description : "")) ||
        put(obj, "tags", tags_json(&rule->tags))) {
        cJSON_Delete(obj);
        return NULL;
    }
    return obj;
}

static cJSON *group_json(const struct sb_group *group)
{
    cJSON *obj = cJSON_CreateObject();
    cJSON *ingress = cJSON_CreateArray(), *egress = cJSON_CreateArray();
    if (!obj || put(obj, "ingress", ingress) || put(obj, "egress", egress)) {
        cJSON_Delete(obj);
        return NULL;
    }
    for (size_t i = 0; i < group->rule_count; i++) {
        cJSON *rule = rule_json(group->rules[i]);
        if (!rule || !cJSON_AddItemToArray(group->rules[i]->egress ? egress : ingress, rule)) {
            cJSON_Delete(rule);
            cJSON_Delete(obj);
            return NULL;
        }
    }
    if (put(obj, "id", cJSON_CreateString(group->id)) ||
        put(obj, "name", cJSON_CreateString(group->name)) ||
        put(obj, "description", cJSON_CreateString(group->description)) ||
        put(obj, "vpc_id", cJSON_CreateString(group->vpc_id)) ||
        put(obj, "tags", tags_json(&group->tags))) {
        cJSON_Delete(obj);
        return NULL;
    }
    return obj;
}

static cJSON *vpc_json(const struct sb_vpc *vpc)
{
    cJSON *obj = cJSON_CreateObject();
    if (!obj || put(obj, "id", cJSON_CreateString(vpc->id)) ||
        put(obj, "cidr", cJSON_CreateString(vpc->cidr)) ||
        put(obj, "association_id", cJSON_CreateString(vpc->association_id)) ||
        put(obj, "is_default", cJSON_CreateBool(vpc->is_default)) ||
        put(obj, "tags", tags_json(&vpc->tags))) {
        cJSON_Delete(obj);
        return NULL;
    }
    return obj;
}

static cJSON *world_json(const struct sb_world *world)
{
    char seed[17];
    snprintf(seed, sizeof seed, "%016" PRIx64, world->seed);
    cJSON *root = cJSON_CreateObject();
    cJSON *regions = cJSON_CreateObject();
    if (!root || put(root, "regions", regions) ||
        put(root, "format", cJSON_CreateString(STATE_FORMAT)) ||
        put(root, "seed", cJSON_CreateString(seed)) ||
        put(root, "counter", cJSON_CreateNumber((double)world->counter)) ||
        put(root, "request_count", cJSON_CreateNumber((double)world->request_count)))
        goto fail;
    cJSON *requests = cJSON_CreateObject(), *by_action = cJSON_CreateObject();
    if (put(root, "requests", requests)) {
        cJSON_Delete(by_action);
        goto fail;
    }
    if (put(requests, "by_action", by_action))
        goto fail;
    for (size_t i = 0; i < world->by_action_count; i++)
        if (put(by_action, world->by_action[i].action,
                cJSON_CreateNumber((double)world->by_action[i].count)))
            goto fail;
    for (size_t r = 0; r < world->region_count; r++) {
        const struct sb_region *region = world->regions[r];
        cJSON *obj = cJSON_CreateObject();
        cJSON *vpcs = cJSON_CreateArray(), *groups = cJSON_CreateArray();
        if (put(regions, region->name, obj)) {
            cJSON_Delete(vpcs);
            cJSON_Delete(groups);
            goto fail;
        }
        if (put(obj, "vpcs", vpcs) || put(obj, "security_groups", groups))
            goto fail;
        for (size_t i = 0; i < region->vpc_count; i++) {
            cJSON *item = vpc_json(region->vpcs[i]);
            if (!item || !cJSON_AddItemToArray(vpcs, item)) {
                cJSON_Delete(item);
                goto fail;
            }
        }
        for (size_t i = 0; i < region->group_count; i++) {
            cJSON *item = group_json(region->groups[i]);
            if (!item || !cJSON_AddItemToArray(groups, item)) {
                cJSON_Delete(item);
                goto fail;
            }
        }
    }
    if (sort_keys(root) != 0)
        goto fail;
    return root;
fail:
    cJSON_Delete(root);
    return NULL;
}

static int write_all(int fd, const char *data, size_t length)
{
    while (length > 0) {
        ssize_t n = write(fd, data, length);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        data += n;
        length -= (size_t)n;
    }
    return 0;
}

int sb_state_save(const char *path, const struct sb_world *world, char *errbuf, size_t errbuf_size)
{
    cJSON *root = world_json(world);
    char *text = root ? cJSON_Print(root) : NULL;
    cJSON_Delete(root);
    if (!text) {
        snprintf(errbuf, errbuf_size, "cannot save sandbox state file %s: out of memory", path);
        return -1;
    }
    /* The temporary file sits beside the target so rename() is atomic. */
    const char *slash = strrchr(path, '/');
    size_t dir_length = slash ? (size_t)(slash - path) : 0;
    const char *base = slash ? slash + 1 : path;
    size_t tmp_size = strlen(path) + 32;
    char *tmp = malloc(tmp_size);
    char *dir = malloc(dir_length + 2);
    if (!tmp || !dir) {
        free(tmp);
        free(dir);
        free(text);
        snprintf(errbuf, errbuf_size, "cannot save sandbox state file %s: out of memory", path);
        return -1;
    }
    if (slash) {
        memcpy(dir, path, dir_length);
        dir[dir_length] = '\0';
        if (dir_length == 0)
            strcpy(dir, "/");
        snprintf(tmp, tmp_size, "%s/.%s.tmp-XXXXXX", dir_length ? dir : "", base);
    } else {
        strcpy(dir, ".");
        snprintf(tmp, tmp_size, ".%s.tmp-XXXXXX", base);
    }
    int rc = -1;
    int fd = mkstemp(tmp);
    if (fd < 0) {
        snprintf(errbuf, errbuf_size,
                 "cannot save sandbox state file %s: cannot create a "
                 "temporary file in its directory: %s",
                 path, strerror(errno));
        goto done;
    }
    size_t length = strlen(text);
    if (write_all(fd, text, length) != 0 || write_all(fd, "\n", 1) != 0 || fsync(fd) != 0) {
        snprintf(errbuf, errbuf_size, "cannot save sandbox state file %s: %s", path,
                 strerror(errno));
        close(fd);
        unlink(tmp);
        goto done;
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        snprintf(errbuf, errbuf_size, "cannot save sandbox state file %s: %s", path,
                 strerror(errno));
        unlink(tmp);
        goto done;
    }
    int dir_fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dir_fd >= 0) {
        (void)fsync(dir_fd);
        close(dir_fd);
    }
    rc = 0;
done:
    free(text);
    free(tmp);
    free(dir);
    return rc;
}
