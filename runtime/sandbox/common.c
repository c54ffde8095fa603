/*
 * common.c - helpers the sandbox's actions share: errors and document roots,
 * CIDR canonical forms, id checks, parameter parsing, tag specifications,
 * filters (with EC2's * and ? wildcards), MaxResults/NextToken pagination,
 * and the XML of tag sets and rule items.
 */
#include "sandbox/sandbox_internal.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/xml_out.h"

int sb_fail(struct sb_ctx *ctx, long status, const char *code, const char *format, ...)
{
    ctx->status = status;
    snprintf(ctx->code, sizeof ctx->code, "%s", code);
    va_list args;
    va_start(args, format);
    vsnprintf(ctx->message, sizeof ctx->message, format, args);
    va_end(args);
    return -1;
}

int sb_dry_run(struct sb_ctx *ctx)
{
    return sb_fail(ctx, 412, "DryRunOperation",
                   "Request would have succeeded, but DryRun flag is set.");
}

int sb_oom(struct sb_ctx *ctx)
{
    return sb_fail(ctx, 500, "InternalError",
                   "An internal error has occurred (the sandbox ran out of memory).");
}

void sb_begin(struct sb_ctx *ctx)
{
    char root[160];
    snprintf(root, sizeof root, "%sResponse", ctx->action);
    sb_xml_begin_document(ctx->out, root);
}

void sb_end(struct sb_ctx *ctx)
{
    char root[160];
    snprintf(root, sizeof root, "%sResponse", ctx->action);
    sb_xml_end_document(ctx->out, root, ctx->request_id);
}

/* Parses a decimal number without sign or leading zeros. */
static int parse_prefix(const char *text, int max)
{
    if (!*text || (text[0] == '0' && text[1]) || strlen(text) > 3)
        return -1;
    int n = 0;
    for (const char *p = text; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        n = n * 10 + (*p - '0');
    }
    return n <= max ? n : -1;
}

int sb_cidr_canonical(const char *text, char out[64])
{
    char address[64];
    const char *slash = strchr(text, '/');
    if (!slash || (size_t)(slash - text) >= sizeof address || slash == text)
        return 0;
    memcpy(address, text, (size_t)(slash - text));
    address[slash - text] = '\0';
    int family = strchr(address, ':') ? AF_INET6 : AF_INET;
    unsigned char bytes[16];
    if (inet_pton(family, address, bytes) != 1)
        return 0;
    int bits = family == AF_INET ? 32 : 128;
    int prefix = parse_prefix(slash + 1, bits);
    if (prefix < 0)
        return 0;
    for (int i = 0; i < bits / 8; i++) {
        int keep = prefix - i * 8;
        if (keep <= 0)
            bytes[i] = 0;
        else if (keep < 8)
            bytes[i] &= (unsigned char)(0xff << (8 - keep));
    }
    char printed[INET6_ADDRSTRLEN];
    if (!inet_ntop(family, bytes, printed, sizeof printed))
        return 0;
    snprintf(out, 64, "%s/%d", printed, prefix);
    return family == AF_INET ? 4 : 6;
}

int sb_id_well_formed(const char *id, const char *prefix)
{
    size_t n = strlen(prefix);
    if (strncmp(id, prefix, n) != 0 || id[n] != '-')
        return 0;
    const char *hex = id + n + 1;
    size_t length = strlen(hex);
    if (length != 8 && length != 17)
        return 0;
    for (const char *p = hex; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return 0;
    return 1;
}

int sb_check_id(struct sb_ctx *ctx, const char *id, const char *prefix, const char *code)
{
    if (sb_id_well_formed(id, prefix))
        return 0;
    return sb_fail(ctx, 400, code, "Invalid id: \"%.256s\" (expecting \"%s-...\")", id, prefix);
}

int sb_require(struct sb_ctx *ctx, const char *name, const char **value)
{
    *value = sb_form_get(ctx->form, name);
    if (!*value || !**value)
        return sb_fail(ctx, 400, "MissingParameter", "The request must contain the parameter %s",
                       name);
    return 0;
}

int sb_parse_int(struct sb_ctx *ctx, const char *name, const char *text, long long min,
                 long long max, long long *out)
{
    char *end = NULL;
    errno = 0;
    long long value = strtoll(text, &end, 10);
    if (!*text || *end || errno || isspace((unsigned char)*text) || value < min || value > max)
        return sb_fail(ctx, 400, "InvalidParameterValue", "Invalid value '%.128s' for %s", text,
                       name);
    *out = value;
    return 0;
}

int sb_check_tag(struct sb_ctx *ctx, const char *key, const char *value)
{
    if (!key || !*key)
        return sb_fail(ctx, 400, "InvalidParameterValue", "Tag keys must not be empty");
    if (strlen(key) > 128)
        return sb_fail(ctx, 400, "InvalidParameterValue",
                       "Tag key exceeds the maximum length of 128 characters");
    if (strncmp(key, "aws:", 4) == 0)
        return sb_fail(ctx, 400, "InvalidParameterValue",
                       "Tag keys starting with 'aws:' are reserved for internal use");
    if (value && strlen(value) > 256)
        return sb_fail(ctx, 400, "InvalidParameterValue",
                       "Tag value exceeds the maximum length of 256 characters");
    return 0;
}

int sb_tag_specifications(struct sb_ctx *ctx, const char *resource_type, struct sb_tags *tags)
{
    size_t specs = sb_form_list_max(ctx->form, "TagSpecification");
    for (size_t n = 1; n <= specs; n++) {
        const char *type = sb_form_getf(ctx->form, "TagSpecification.%zu.ResourceType", n);
        if (!type || !*type)
            return sb_fail(ctx, 400, "MissingParameter",
                           "The request must contain the parameter "
                           "TagSpecification.%zu.ResourceType",
                           n);
        if (strcmp(type, resource_type) != 0)
            return sb_fail(ctx, 400, "InvalidParameterValue",
                           "'%.64s' is not a valid taggable resource type for this operation.",
                           type);
        char prefix[64];
        snprintf(prefix, sizeof prefix, "TagSpecification.%zu.Tag", n);
        size_t count = sb_form_list_max(ctx->form, prefix);
        for (size_t m = 1; m <= count; m++) {
            const char *key = sb_form_getf(ctx->form, "%s.%zu.Key", prefix, m);
            const char *value = sb_form_getf(ctx->form, "%s.%zu.Value", prefix, m);
            if (!key && !value)
                continue;
            if (sb_check_tag(ctx, key, value) != 0)
                return -1;
            if (sb_tags_find(tags, key))
                return sb_fail(ctx, 400, "InvalidParameterValue",
                               "Duplicate tag key '%.128s' specified.", key);
            if (sb_tags_set(tags, key, value) != 0)
                return sb_oom(ctx);
        }
    }
    return 0;
}

int sb_filters_parse(struct sb_ctx *ctx, const char *const *allowed, struct sb_filters *out)
{
    out->items = NULL;
    out->count = 0;
    size_t count = sb_form_list_max(ctx->form, "Filter");
    if (count == 0)
        return 0;
    out->items = calloc(count, sizeof *out->items);
    if (!out->items)
        return sb_oom(ctx);
    for (size_t n = 1; n <= count; n++) {
        const char *name = sb_form_getf(ctx->form, "Filter.%zu.Name", n);
        if (!name)
            continue;
        int known = strncmp(name, "tag:", 4) == 0 || strcmp(name, "tag-key") == 0 ||
                    strcmp(name, "tag-value") == 0;
        for (const char *const *a = allowed; !known && *a; a++)
            known = strcmp(*a, name) == 0;
        if (!known) {
            sb_filters_free(out);
            return sb_fail(ctx, 400, "InvalidParameterValue", "The filter '%.128s' is invalid",
                           name);
        }
        struct sb_filter *f = &out->items[out->count++];
        f->name = name;
        char prefix[64];
        snprintf(prefix, sizeof prefix, "Filter.%zu.Value", n);
        size_t values = sb_form_list_max(ctx->form, prefix);
        f->values = calloc(values ? values : 1, sizeof *f->values);
        if (!f->values) {
            sb_filters_free(out);
            return sb_oom(ctx);
        }
        for (size_t m = 1; m <= values; m++) {
            const char *v = sb_form_getf(ctx->form, "%s.%zu", prefix, m);
            if (v)
                f->values[f->value_count++] = v;
        }
    }
    return 0;
}

void sb_filters_free(struct sb_filters *filters)
{
    for (size_t i = 0; i < filters->count; i++)
        free(filters->items[i].values);
    free(filters->items);
    filters->items = NULL;
    filters->count = 0;
}

/* EC2 filter wildcards: * any run, ? one character; \ escapes. */
static int glob(const char *pattern, const char *text)
{
    while (*pattern) {
        if (*pattern == '*') {
            pattern++;
            for (const char *t = text;; t++) {
                if (glob(pattern, t))
                    return 1;
                if (!*t)
                    return 0;
            }
        }
        if (!*text)
            return 0;
        if (*pattern == '\\' && pattern[1])
            pattern++;
        else if (*pattern == '?') {
            pattern++;
            text++;
            continue;
        }
        if (*pattern != *text)
            return 0;
        pattern++;
        text++;
    }
    return *text == '\0';
}

int sb_filter_any(const struct sb_filter *filter, const char *value)
{
    for (size_t i = 0; i < filter->value_count; i++)
        if (glob(filter->values[i], value ? value : ""))
            return 1;
    return 0;
}

int sb_filter_tags(const struct sb_filter *filter, const struct sb_tags *tags)
{
    if (strncmp(filter->name, "tag:", 4) == 0) {
        const struct sb_tag *tag = sb_tags_find(tags, filter->name + 4);
        return tag && sb_filter_any(filter, tag->value);
    }
    int by_key = strcmp(filter->name, "tag-key") == 0;
    if (!by_key && strcmp(filter->name, "tag-value") != 0)
        return -1;
    for (size_t i = 0; i < tags->count; i++)
        if (sb_filter_any(filter, by_key ? tags->items[i].key : tags->items[i].value))
            return 1;
    return 0;
}

long sb_list_values(struct sb_ctx *ctx, const char *prefix, const char ***out)
{
    *out = NULL;
    size_t max = sb_form_list_max(ctx->form, prefix);
    if (max == 0)
        return 0;
    const char **values = calloc(max, sizeof *values);
    if (!values) {
        sb_oom(ctx);
        return -1;
    }
    long count = 0;
    for (size_t n = 1; n <= max; n++) {
        const char *v = sb_form_getf(ctx->form, "%s.%zu", prefix, n);
        if (v)
            values[count++] = v;
    }
    *out = values;
    return count;
}

/* Tokens bind the offset to the world's seed and the action, so they are
 * opaque and a token from another action or world is refused. */
static uint64_t token_mix(const struct sb_ctx *ctx, uint64_t x)
{
    uint64_t h = ctx->world->seed ^ 0x6b756d6f746f6b6eULL;
    for (const char *p = ctx->action; *p; p++)
        h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
    x ^= h;
    x = (x ^ (x >> 31)) * 0x7fb5d329728ea185ULL;
    x = (x ^ (x >> 27)) * 0x81dadef4bc2dd44dULL;
    return x ^ (x >> 33);
}

int sb_page_params(struct sb_ctx *ctx, int ids_given, long *max_results, size_t *start)
{
    *max_results = 0;
    *start = 0;
    const char *max = sb_form_get(ctx->form, "MaxResults");
    const char *token = sb_form_get(ctx->form, "NextToken");
    if (max) {
        long long value;
        if (ids_given)
            return sb_fail(ctx, 400, "InvalidParameterCombination",
                           "The parameter MaxResults cannot be used with the parameter %s",
                           strcmp(ctx->action, "DescribeVpcs") == 0 ? "VpcId"
                           : strcmp(ctx->action, "DescribeSecurityGroupRules") == 0
                               ? "SecurityGroupRuleId"
                               : "GroupId");
        if (sb_parse_int(ctx, "MaxResults", max, -2147483647LL, 2147483647LL, &value) != 0)
            return -1;
        if (value < 5 || value > 1000)
            return sb_fail(ctx, 400, "InvalidParameterValue",
                           "Value ( %lld ) for parameter maxResults is invalid. Expecting a "
                           "value greater than 5 and less than 1000.",
                           value);
        *max_results = (long)value;
    }
    if (token && *token) {
        unsigned long long offset = 0, check = 0;
        char tail;
        if (strlen(token) != 36 || strncmp(token, "kumo", 4) != 0 ||
            sscanf(token + 4, "%16llx%16llx%c", &offset, &check, &tail) != 2 ||
            token_mix(ctx, offset) != check || offset > (1ULL << 32))
            return sb_fail(ctx, 400, "InvalidPaginationToken",
                           "The pagination token '%.64s' is not valid or is expired.", token);
        *start = (size_t)offset;
    }
    return 0;
}

void sb_page_token(struct sb_ctx *ctx, size_t next, size_t total)
{
    if (next >= total)
        return;
    char token[64];
    snprintf(token, sizeof token, "kumo%016llx%016llx", (unsigned long long)next,
             (unsigned long long)token_mix(ctx, next));
    sb_xml_text(ctx->out, "nextToken", token);
}

void sb_xml_tags(struct kumo_strbuf *out, const struct sb_tags *tags)
{
    if (tags->count == 0) {
        sb_xml_empty(out, "tagSet");
        return;
    }
    sb_xml_open(out, "tagSet");
    for (size_t i = 0; i < tags->count; i++) {
        sb_xml_open(out, "item");
        sb_xml_text(out, "key", tags->items[i].key);
        sb_xml_text(out, "value", tags->items[i].value);
        sb_xml_close(out, "item");
    }
    sb_xml_close(out, "tagSet");
}

void sb_xml_rule_item(struct kumo_strbuf *out, const struct sb_group *group,
                      const struct sb_rule *rule)
{
    sb_xml_open(out, "item");
    sb_xml_text(out, "securityGroupRuleId", rule->id);
    sb_xml_text(out, "groupId", group->id);
    sb_xml_text(out, "groupOwnerId", KUMO_SANDBOX_ACCOUNT_ID);
    sb_xml_bool(out, "isEgress", rule->egress);
    sb_xml_text(out, "ipProtocol", rule->protocol);
    sb_xml_int(out, "fromPort", rule->from_port);
    sb_xml_int(out, "toPort", rule->to_port);
    switch (rule->kind) {
    case SB_SRC_CIDR4:
        sb_xml_text(out, "cidrIpv4", rule->source);
        break;
    case SB_SRC_CIDR6:
        sb_xml_text(out, "cidrIpv6", rule->source);
        break;
    case SB_SRC_GROUP:
        sb_xml_open(out, "referencedGroupInfo");
        sb_xml_text(out, "groupId", rule->source);
        sb_xml_text(out, "userId",
                    rule->source_owner ? rule->source_owner : KUMO_SANDBOX_ACCOUNT_ID);
        sb_xml_close(out, "referencedGroupInfo");
        break;
    case SB_SRC_PREFIX_LIST:
        sb_xml_text(out, "prefixListId", rule->source);
        break;
    }
    if (rule->description && *rule->description)
        sb_xml_text(out, "description", rule->description);
    sb_xml_tags(out, &rule->tags);
    sb_xml_close(out, "item");
}
