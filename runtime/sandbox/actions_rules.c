/*
 * actions_rules.c - AuthorizeSecurityGroupIngress/Egress,
 * RevokeSecurityGroupIngress/Egress and DescribeSecurityGroupRules on the
 * sandbox world. Rules are decoded from IpPermissions.N (one rule per source
 * entry), protocols and CIDRs canonicalised, duplicates found whatever the
 * description, the 60-rules-per-direction quota enforced, and a call that
 * fails changes nothing.
 */
#include "sandbox/sandbox_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sandbox/xml_out.h"

/* A rule decoded from the request, before it is stored. */
struct wanted {
    struct sb_rule rule; /* strings point into `protocol`, `source` or the form */
    char protocol[16];
    char source[128];
    size_t permission; /* N of IpPermissions.N */
};

struct wanted_list {
    struct wanted *items;
    size_t count;
};

static int canonical_protocol(struct sb_ctx *ctx, const char *text, char out[16])
{
    static const struct {
        const char *name, *number;
    } known[] = {{"tcp", "6"}, {"udp", "17"}, {"icmp", "1"}, {"icmpv6", "58"}, {"-1", "all"}};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        if (strcasecmp(text, known[i].name) == 0 || strcasecmp(text, known[i].number) == 0) {
            snprintf(out, 16, "%s", known[i].name);
            return 0;
        }
    }
    long long number;
    if (*text >= '0' && *text <= '9' && strlen(text) <= 3 &&
        sb_parse_int(ctx, "IpProtocol", text, 0, 255, &number) == 0) {
        snprintf(out, 16, "%lld", number);
        return 0;
    }
    return sb_fail(ctx, 400, "InvalidParameterValue",
                   "Invalid value '%.64s' for IP protocol. Unknown protocol.", text);
}

static int check_description(struct sb_ctx *ctx, const char *text)
{
    static const char extra[] = " ._-:/()#,@[]+=&;{}!$*";
    int ok = strlen(text) <= 255;
    for (const char *p = text; ok && *p; p++)
        ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
             strchr(extra, *p) != NULL;
    if (!ok)
        return sb_fail(ctx, 400, "InvalidParameterValue",
                       "Invalid rule description. Valid descriptions are strings less than 256 "
                       "characters from the following set:  a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*");
    return 0;
}

static int ports(struct sb_ctx *ctx, size_t n, const char *protocol, int *from, int *to)
{
    const char *from_text = sb_form_getf(ctx->form, "IpPermissions.%zu.FromPort", n);
    const char *to_text = sb_form_getf(ctx->form, "IpPermissions.%zu.ToPort", n);
    long long f = -1, t = -1;
    *from = *to = -1;
    if (strcmp(protocol, "tcp") == 0 || strcmp(protocol, "udp") == 0) {
        if (!from_text || !to_text)
            return sb_fail(ctx, 400, "InvalidParameterValue",
                           "Invalid value 'Must specify both from and to ports with TCP/UDP.' "
                           "for portRange");
        if (sb_parse_int(ctx, "fromPort", from_text, 0, 65535, &f) != 0 ||
            sb_parse_int(ctx, "toPort", to_text, 0, 65535, &t) != 0)
            return -1;
        if (f > t)
            return sb_fail(ctx, 400, "InvalidParameterValue",
                           "Invalid TCP/UDP port range: from port %lld is greater than to port "
                           "%lld",
                           f, t);
    } else if (strcmp(protocol, "icmp") == 0 || strcmp(protocol, "icmpv6") == 0) {
        if ((from_text && sb_parse_int(ctx, "fromPort", from_text, -1, 255, &f) != 0) ||
            (to_text && sb_parse_int(ctx, "toPort", to_text, -1, 255, &t) != 0))
            return -1;
        if (f == -1 && t != -1)
            return sb_fail(ctx, 400, "InvalidParameterValue",
                           "Invalid value for portRange. ICMP code must be -1 when the type is "
                           "-1 (all)");
    }
    *from = (int)f;
    *to = (int)t;
    return 0;
}

static struct wanted *add_wanted(struct sb_ctx *ctx, struct wanted_list *list)
{
    struct wanted *grown = realloc(list->items, (list->count + 1) * sizeof *grown);
    if (!grown) {
        sb_oom(ctx);
        return NULL;
    }
    list->items = grown;
    struct wanted *w = &grown[list->count++];
    memset(w, 0, sizeof *w);
    return w;
}

/* Decodes IpPermissions.N into one wanted rule per source. `authorize`:
 * referenced groups must exist. */
static int decode_permissions(struct sb_ctx *ctx, int egress, int authorize,
                              struct wanted_list *list)
{
    size_t permissions = sb_form_list_max(ctx->form, "IpPermissions");
    if (permissions == 0)
        return sb_fail(ctx, 400, "MissingParameter",
                       "The request must contain the parameter ipPermissions");
    for (size_t n = 1; n <= permissions; n++) {
        const char *protocol_text = sb_form_getf(ctx->form, "IpPermissions.%zu.IpProtocol", n);
        if (!protocol_text || !*protocol_text)
            return sb_fail(ctx, 400, "MissingParameter",
                           "The request must contain the parameter "
                           "IpPermissions.%zu.IpProtocol",
                           n);
        char protocol[16];
        int from, to;
        if (canonical_protocol(ctx, protocol_text, protocol) != 0 ||
            ports(ctx, n, protocol, &from, &to) != 0)
            return -1;
        static const char *const lists[] = {"IpRanges", "Ipv6Ranges", "Groups", "PrefixListIds"};
        size_t before = list->count;
        for (int kind = 0; kind < 4; kind++) {
            char prefix[64];
            snprintf(prefix, sizeof prefix, "IpPermissions.%zu.%s", n, lists[kind]);
            size_t entries = sb_form_list_max(ctx->form, prefix);
            for (size_t m = 1; m <= entries; m++) {
                const char *description = sb_form_getf(ctx->form, "%s.%zu.Description", prefix, m);
                if (description && check_description(ctx, description) != 0)
                    return -1;
                const char *value = NULL, *owner = NULL;
                char canonical[64];
                enum sb_source_kind source_kind = (enum sb_source_kind)kind;
                if (kind == 0 || kind == 1) {
                    const char *param = kind == 0 ? "CidrIp" : "CidrIpv6";
                    value = sb_form_getf(ctx->form, "%s.%zu.%s", prefix, m, param);
                    if (!value)
                        return sb_fail(ctx, 400, "MissingParameter",
                                       "The request must contain the parameter %s.%zu.%s", prefix,
                                       m, param);
                    if (sb_cidr_canonical(value, canonical) != (kind == 0 ? 4 : 6))
                        return sb_fail(ctx, 400, "InvalidParameterValue",
                                       "Value (%.64s) for parameter %s is invalid. This is not a "
                                       "valid CIDR block.",
                                       value, kind == 0 ? "cidrIp" : "cidrIpv6");
                    value = canonical;
                } else if (kind == 2) {
                    value = sb_form_getf(ctx->form, "%s.%zu.GroupId", prefix, m);
                    owner = sb_form_getf(ctx->form, "%s.%zu.UserId", prefix, m);
                    const char *name = sb_form_getf(ctx->form, "%s.%zu.GroupName", prefix, m);
                    if ((!value || !*value) && name && *name) {
                        struct sb_vpc *vpc = sb_region_default_vpc(ctx->region);
                        struct sb_group *g =
                            vpc ? sb_region_group_by_name(ctx->region, vpc->id, name) : NULL;
                        if (!g)
                            return sb_fail(ctx, 400, "InvalidGroup.NotFound",
                                           "The security group '%.256s' does not exist in "
                                           "default VPC",
                                           name);
                        value = g->id;
                    }
                    if (!value || !*value)
                        return sb_fail(ctx, 400, "MissingParameter",
                                       "The request must contain the parameter %s.%zu.GroupId",
                                       prefix, m);
                    if (sb_check_id(ctx, value, "sg", "InvalidGroupId.Malformed") != 0)
                        return -1;
                    int foreign = owner && *owner && strcmp(owner, KUMO_SANDBOX_ACCOUNT_ID) != 0;
                    if (authorize && !foreign && !sb_region_group(ctx->region, value))
                        return sb_fail(ctx, 400, "InvalidGroup.NotFound",
                                       "The security group '%.64s' does not exist", value);
                    if (!owner || !*owner)
                        owner = KUMO_SANDBOX_ACCOUNT_ID;
                } else {
                    value = sb_form_getf(ctx->form, "%s.%zu.PrefixListId", prefix, m);
                    if (!value || strncmp(value, "pl-", 3) != 0 || strlen(value) > 64)
                        return sb_fail(ctx, 400, "InvalidPrefixListId.Malformed",
                                       "Invalid id: \"%.64s\" (expecting \"pl-...\")",
                                       value ? value : "");
                }
                struct wanted *w = add_wanted(ctx, list);
                if (!w)
                    return -1;
                snprintf(w->protocol, sizeof w->protocol, "%s", protocol);
                snprintf(w->source, sizeof w->source, "%s", value);
                w->permission = n;
                w->rule.egress = egress;
                w->rule.from_port = from;
                w->rule.to_port = to;
                w->rule.kind = source_kind;
                w->rule.source_owner = (char *)owner;
                w->rule.description = (char *)(description ? description : "");
            }
        }
        if (list->count == before)
            return sb_fail(ctx, 400, "MissingParameter",
                           "IpPermissions.%zu has no source: give IpRanges, Ipv6Ranges, Groups "
                           "or PrefixListIds",
                           n);
    }
    /* Pointers into the items only now: the array no longer moves. */
    for (size_t i = 0; i < list->count; i++) {
        list->items[i].rule.protocol = list->items[i].protocol;
        list->items[i].rule.source = list->items[i].source;
    }
    return 0;
}

static struct sb_group *target_group(struct sb_ctx *ctx)
{
    const char *id = sb_form_get(ctx->form, "GroupId");
    const char *name = sb_form_get(ctx->form, "GroupName");
    if (id && *id) {
        if (sb_check_id(ctx, id, "sg", "InvalidGroupId.Malformed") != 0)
            return NULL;
        struct sb_group *group = sb_region_group(ctx->region, id);
        if (!group)
            sb_fail(ctx, 400, "InvalidGroup.NotFound", "The security group '%.64s' does not exist",
                    id);
        return group;
    }
    if (name && *name) {
        struct sb_vpc *vpc = sb_region_default_vpc(ctx->region);
        struct sb_group *group = vpc ? sb_region_group_by_name(ctx->region, vpc->id, name) : NULL;
        if (!group)
            sb_fail(ctx, 400, "InvalidGroup.NotFound",
                    "The security group '%.256s' does not exist in default VPC '%s'", name,
                    vpc ? vpc->id : "none");
        return group;
    }
    sb_fail(ctx, 400, "MissingParameter",
            "The request must contain the parameter groupName or groupId");
    return NULL;
}

static int duplicate(struct sb_ctx *ctx, const struct sb_rule *rule)
{
    char ports_text[64] = "";
    if (rule->from_port != -1 || rule->to_port != -1)
        snprintf(ports_text, sizeof ports_text, ", from port: %d, to port: %d", rule->from_port,
                 rule->to_port);
    return sb_fail(ctx, 400, "InvalidPermission.Duplicate",
                   "the specified rule \"peer: %s, %s%s, ALLOW\" already exists", rule->source,
                   strcmp(rule->protocol, "-1") == 0 ? "ALL" : rule->protocol, ports_text);
}

static int authorize(struct sb_ctx *ctx, int egress)
{
    struct wanted_list list = {0};
    struct sb_tags tags = {0};
    int rc = -1;
    struct sb_group *group = target_group(ctx);
    if (!group || decode_permissions(ctx, egress, 1, &list) != 0 ||
        sb_tag_specifications(ctx, "security-group-rule", &tags) != 0)
        goto done;
    for (size_t i = 0; i < list.count; i++) {
        const struct sb_rule *rule = &list.items[i].rule;
        for (size_t j = 0; j < i; j++)
            if (sb_rule_same(rule, &list.items[j].rule)) {
                duplicate(ctx, rule);
                goto done;
            }
        for (size_t j = 0; j < group->rule_count; j++)
            if (sb_rule_same(rule, group->rules[j])) {
                duplicate(ctx, rule);
                goto done;
            }
    }
    if (sb_group_count_rules(group, egress) + list.count > SB_RULES_PER_DIRECTION) {
        sb_fail(ctx, 400, "RulesPerSecurityGroupLimitExceeded",
                "The maximum number of rules per security group has been reached.");
        goto done;
    }
    if (ctx->dry_run) {
        sb_dry_run(ctx);
        goto done;
    }
    size_t first = group->rule_count;
    for (size_t i = 0; i < list.count; i++) {
        const struct sb_rule *w = &list.items[i].rule;
        struct sb_rule *rule =
            sb_group_add_rule(ctx->world, group, egress, w->protocol, w->from_port, w->to_port,
                              w->kind, w->source, w->source_owner, w->description, NULL);
        if (!rule) {
            while (group->rule_count > first)
                sb_group_delete_rule(group, group->rules[group->rule_count - 1]);
            sb_oom(ctx);
            goto done;
        }
        for (size_t t = 0; t < tags.count; t++)
            if (sb_tags_set(&rule->tags, tags.items[t].key, tags.items[t].value) != 0) {
                while (group->rule_count > first)
                    sb_group_delete_rule(group, group->rules[group->rule_count - 1]);
                sb_oom(ctx);
                goto done;
            }
    }
    ctx->changed = 1;
    sb_begin(ctx);
    sb_xml_bool(ctx->out, "return", 1);
    sb_xml_open(ctx->out, "securityGroupRuleSet");
    for (size_t i = first; i < group->rule_count; i++)
        sb_xml_rule_item(ctx->out, group, group->rules[i]);
    sb_xml_close(ctx->out, "securityGroupRuleSet");
    sb_end(ctx);
    rc = 0;
done:
    free(list.items);
    sb_tags_clear(&tags);
    return rc;
}

int sb_action_authorize_ingress(struct sb_ctx *ctx)
{
    return authorize(ctx, 0);
}

int sb_action_authorize_egress(struct sb_ctx *ctx)
{
    return authorize(ctx, 1);
}

static int revoke(struct sb_ctx *ctx, int egress)
{
    struct wanted_list list = {0};
    const char **ids = NULL;
    struct sb_rule **doomed = NULL;
    int rc = -1;
    struct sb_group *group = target_group(ctx);
    if (!group)
        goto done;
    long id_count = sb_list_values(ctx, "SecurityGroupRuleId", &ids);
    if (id_count < 0)
        goto done;
    int by_permissions = sb_form_list_max(ctx->form, "IpPermissions") > 0;
    if (id_count > 0 && by_permissions) {
        sb_fail(ctx, 400, "InvalidParameterCombination",
                "The parameter SecurityGroupRuleId cannot be used with the parameter "
                "IpPermissions");
        goto done;
    }
    if (id_count == 0 && decode_permissions(ctx, egress, 0, &list) != 0)
        goto done;
    size_t wanted = id_count > 0 ? (size_t)id_count : list.count;
    doomed = calloc(wanted + 1, sizeof *doomed);
    if (!doomed) {
        sb_oom(ctx);
        goto done;
    }
    for (size_t i = 0; i < wanted; i++) {
        struct sb_rule *found = NULL;
        if (id_count > 0) {
            if (sb_check_id(ctx, ids[i], "sgr", "InvalidSecurityGroupRuleId.Malformed") != 0)
                goto done;
            for (size_t j = 0; j < group->rule_count && !found; j++)
                if (group->rules[j]->egress == egress && strcmp(group->rules[j]->id, ids[i]) == 0)
                    found = group->rules[j];
            if (!found) {
                sb_fail(ctx, 400, "InvalidSecurityGroupRuleId.NotFound",
                        "The security group rule ID '%.64s' does not exist in security group "
                        "'%s'",
                        ids[i], group->id);
                goto done;
            }
        } else {
            for (size_t j = 0; j < group->rule_count && !found; j++)
                if (sb_rule_same(&list.items[i].rule, group->rules[j]))
                    found = group->rules[j];
            if (!found) {
                sb_fail(ctx, 400, "InvalidPermission.NotFound",
                        "The specified rule does not exist in this security group.");
                goto done;
            }
        }
        doomed[i] = found;
    }
    if (ctx->dry_run) {
        sb_dry_run(ctx);
        goto done;
    }
    for (size_t i = 0; i < wanted; i++) {
        int again = 0;
        for (size_t j = 0; j < i; j++)
            again |= doomed[j] == doomed[i];
        if (!again)
            sb_group_delete_rule(group, doomed[i]);
    }
    ctx->changed = 1;
    sb_begin(ctx);
    sb_xml_bool(ctx->out, "return", 1);
    sb_end(ctx);
    rc = 0;
done:
    free(list.items);
    free(ids);
    free(doomed);
    return rc;
}

int sb_action_revoke_ingress(struct sb_ctx *ctx)
{
    return revoke(ctx, 0);
}

int sb_action_revoke_egress(struct sb_ctx *ctx)
{
    return revoke(ctx, 1);
}

static const char *const rule_filters[] = {"group-id", "security-group-rule-id", NULL};

static int rule_matches(const struct sb_group *group, const struct sb_rule *rule,
                        const struct sb_filters *filters)
{
    for (size_t i = 0; i < filters->count; i++) {
        const struct sb_filter *f = &filters->items[i];
        int match = sb_filter_tags(f, &rule->tags);
        if (match < 0)
            match = sb_filter_any(f, strcmp(f->name, "group-id") == 0 ? group->id : rule->id);
        if (!match)
            return 0;
    }
    return 1;
}

int sb_action_describe_security_group_rules(struct sb_ctx *ctx)
{
    struct sb_region *region = ctx->region;
    const char **ids = NULL;
    struct sb_filters filters = {0};
    struct kumo_strbuf items = KUMO_STRBUF_INIT;
    int rc = -1;
    long id_count = sb_list_values(ctx, "SecurityGroupRuleId", &ids);
    if (id_count < 0)
        return -1;
    for (long i = 0; i < id_count; i++) {
        if (sb_check_id(ctx, ids[i], "sgr", "InvalidSecurityGroupRuleId.Malformed") != 0)
            goto done;
        if (!sb_region_rule(region, ids[i], NULL)) {
            sb_fail(ctx, 400, "InvalidSecurityGroupRuleId.NotFound",
                    "The security group rule ID '%.64s' does not exist", ids[i]);
            goto done;
        }
    }
    long max_results;
    size_t start;
    if (sb_page_params(ctx, id_count > 0, &max_results, &start) != 0 ||
        sb_filters_parse(ctx, rule_filters, &filters) != 0)
        goto done;
    if (ctx->dry_run) {
        sb_dry_run(ctx);
        goto done;
    }
    size_t total = 0, end = 0;
    for (size_t g = 0; g < region->group_count; g++) {
        const struct sb_group *group = region->groups[g];
        for (size_t r = 0; r < group->rule_count; r++) {
            const struct sb_rule *rule = group->rules[r];
            int wanted = id_count == 0;
            for (long k = 0; k < id_count && !wanted; k++)
                wanted = strcmp(ids[k], rule->id) == 0;
            if (!wanted || !rule_matches(group, rule, &filters))
                continue;
            if (total >= start && (!max_results || total < start + (size_t)max_results)) {
                sb_xml_rule_item(&items, group, rule);
                end = total + 1;
            }
            total++;
        }
    }
    sb_begin(ctx);
    if (items.length == 0) {
        sb_xml_empty(ctx->out, "securityGroupRuleSet");
    } else {
        sb_xml_open(ctx->out, "securityGroupRuleSet");
        kumo_strbuf_append(ctx->out, items.data, items.length);
        sb_xml_close(ctx->out, "securityGroupRuleSet");
    }
    sb_page_token(ctx, end > start ? end : total, total);
    sb_end(ctx);
    rc = 0;
done:
    free(ids);
    kumo_strbuf_free(&items);
    sb_filters_free(&filters);
    return rc;
}
