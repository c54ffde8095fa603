/*
 * actions_tags.c - CreateTags and DeleteTags for the sandbox's taggable
 * resources (vpc-, sg- and sgr- ids). All resources are checked before any
 * tag changes.
 */
#include "sandbox/sandbox_internal.h"

#include <stdlib.h>
#include <string.h>

#include "sandbox/xml_out.h"

#define MAX_TAGS_PER_RESOURCE 50

/* The tag set of resource `id`, or NULL with the error recorded. */
static struct sb_tags *resource_tags(struct sb_ctx *ctx, const char *id)
{
    if (strncmp(id, "vpc-", 4) == 0 && sb_id_well_formed(id, "vpc")) {
        struct sb_vpc *vpc = sb_region_vpc(ctx->region, id);
        if (vpc)
            return &vpc->tags;
        sb_fail(ctx, 400, "InvalidVpcID.NotFound", "The vpc ID '%.64s' does not exist", id);
        return NULL;
    }
    if (strncmp(id, "sg-", 3) == 0 && sb_id_well_formed(id, "sg")) {
        struct sb_group *group = sb_region_group(ctx->region, id);
        if (group)
            return &group->tags;
        sb_fail(ctx, 400, "InvalidGroup.NotFound", "The security group '%.64s' does not exist", id);
        return NULL;
    }
    if (strncmp(id, "sgr-", 4) == 0 && sb_id_well_formed(id, "sgr")) {
        struct sb_rule *rule = sb_region_rule(ctx->region, id, NULL);
        if (rule)
            return &rule->tags;
        sb_fail(ctx, 400, "InvalidSecurityGroupRuleId.NotFound",
                "The security group rule ID '%.64s' does not exist", id);
        return NULL;
    }
    sb_fail(ctx, 400, "InvalidID", "The ID '%.64s' is not valid", id);
    return NULL;
}

/* Resolves every ResourceId.N; *out malloc'ed. Returns the count or -1. */
static long resources(struct sb_ctx *ctx, struct sb_tags ***out)
{
    const char **ids = NULL;
    *out = NULL;
    long count = sb_list_values(ctx, "ResourceId", &ids);
    if (count < 0)
        return -1;
    if (count == 0) {
        free(ids);
        sb_fail(ctx, 400, "MissingParameter",
                "The request must contain the parameter resourceIdSet");
        return -1;
    }
    struct sb_tags **sets = calloc((size_t)count, sizeof *sets);
    if (!sets) {
        free(ids);
        sb_oom(ctx);
        return -1;
    }
    for (long i = 0; i < count; i++) {
        sets[i] = resource_tags(ctx, ids[i]);
        if (!sets[i]) {
            free(ids);
            free(sets);
            return -1;
        }
    }
    free(ids);
    *out = sets;
    return count;
}

int sb_action_create_tags(struct sb_ctx *ctx)
{
    struct sb_tags **sets = NULL;
    int rc = -1;
    long count = resources(ctx, &sets);
    if (count < 0)
        return -1;
    size_t tag_count = sb_form_list_max(ctx->form, "Tag");
    if (tag_count == 0) {
        sb_fail(ctx, 400, "MissingParameter", "The request must contain the parameter tagSet");
        goto done;
    }
    for (size_t n = 1; n <= tag_count; n++) {
        const char *key = sb_form_getf(ctx->form, "Tag.%zu.Key", n);
        const char *value = sb_form_getf(ctx->form, "Tag.%zu.Value", n);
        if ((key || value) && sb_check_tag(ctx, key, value) != 0)
            goto done;
    }
    for (long i = 0; i < count; i++) {
        size_t total = sets[i]->count;
        for (size_t n = 1; n <= tag_count; n++) {
            const char *key = sb_form_getf(ctx->form, "Tag.%zu.Key", n);
            if (key && !sb_tags_find(sets[i], key))
                total++;
        }
        if (total > MAX_TAGS_PER_RESOURCE) {
            sb_fail(ctx, 400, "TagLimitExceeded",
                    "The maximum number of Tags for a resource has been reached.");
            goto done;
        }
    }
    if (ctx->dry_run) {
        sb_dry_run(ctx);
        goto done;
    }
    for (long i = 0; i < count; i++) {
        for (size_t n = 1; n <= tag_count; n++) {
            const char *key = sb_form_getf(ctx->form, "Tag.%zu.Key", n);
            const char *value = sb_form_getf(ctx->form, "Tag.%zu.Value", n);
            if (key && sb_tags_set(sets[i], key, value) != 0) {
                sb_oom(ctx);
                goto done;
            }
        }
    }
    ctx->changed = 1;
    sb_begin(ctx);
    sb_xml_bool(ctx->out, "return", 1);
    sb_end(ctx);
    rc = 0;
done:
    free(sets);
    return rc;
}

int sb_action_delete_tags(struct sb_ctx *ctx)
{
    struct sb_tags **sets = NULL;
    long count = resources(ctx, &sets);
    if (count < 0)
        return -1;
    size_t tag_count = sb_form_list_max(ctx->form, "Tag");
    for (size_t n = 1; n <= tag_count; n++) {
        const char *key = sb_form_getf(ctx->form, "Tag.%zu.Key", n);
        if (key && sb_check_tag(ctx, key, NULL) != 0) {
            free(sets);
            return -1;
        }
    }
    if (ctx->dry_run) {
        free(sets);
        return sb_dry_run(ctx);
    }
    for (long i = 0; i < count; i++) {
        if (tag_count == 0) {
            sb_tags_clear(sets[i]);
            continue;
        }
        for (size_t n = 1; n <= tag_count; n++) {
            const char *key = sb_form_getf(ctx->form, "Tag.%zu.Key", n);
            const char *value = sb_form_getf(ctx->form, "Tag.%zu.Value", n);
            if (!key)
                continue;
            const struct sb_tag *tag = sb_tags_find(sets[i], key);
            if (tag && (!value || strcmp(tag->value, value) == 0))
                sb_tags_remove(sets[i], key);
        }
    }
    free(sets);
    ctx->changed = 1;
    sb_begin(ctx);
    sb_xml_bool(ctx->out, "return", 1);
    sb_end(ctx);
    return 0;
}
