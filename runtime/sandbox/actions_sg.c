/*
 * actions_sg.c - CreateSecurityGroup, DeleteSecurityGroup and
 * DescribeSecurityGroups on the sandbox world, with real EC2's checks
 * (name/description rules, duplicates per VPC, the `default` group,
 * DependencyViolation for a group another group's rule references,
 * MaxResults/NextToken).
 */
#include "sandbox/sandbox_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/xml_out.h"

/* EC2's character set for VPC group names and descriptions. */
static int valid_chars(const char *text)
{
    static const char extra[] = " ._-:/()#,@[]+=&;{}!$*";
    for (const char *p = text; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr(extra, c)))
            return 0;
    }
    return 1;
}

static int check_name_and_description(struct sb_ctx *ctx, const char *name, const char *description)
{
    if (strlen(name) > 255)
        return sb_fail(ctx, 400, "InvalidParameterValue",
                       "Value (%.64s...) for parameter GroupName is invalid. Length exceeds "
                       "maximum of 255.",
                       name);
    if (strncmp(name, "sg-", 3) == 0)
        return sb_fail(ctx, 400, "InvalidParameterValue",
                       "Value (%.256s) for parameter GroupName is invalid. Group names may not "
                       "be in the format sg-*.",
                       name);
    if (!valid_chars(name))
        return sb_fail(ctx, 400, "InvalidParameterValue",
                       "Value (%.256s) for parameter GroupName is invalid. Character sets "
                       "beyond ASCII are not supported.",
                       name);
    if (strlen(description) > 255)
        return sb_fail(ctx, 400, "InvalidParameterValue",
                       "Value (%.64s...) for parameter GroupDescription is invalid. Length "
                       "exceeds maximum of 255.",
                       description);
    if (!valid_chars(description))
        return sb_fail(ctx, 400, "InvalidParameterValue",
                       "Value (%.256s) for parameter GroupDescription is invalid. Character "
                       "sets beyond ASCII are not supported.",
                       description);
    return 0;
}

int sb_action_create_security_group(struct sb_ctx *ctx)
{
    const char *name, *description;
    if (sb_require(ctx, "GroupName", &name) != 0 ||
        sb_require(ctx, "GroupDescription", &description) != 0 ||
        check_name_and_description(ctx, name, description) != 0)
        return -1;
    const char *vpc_id = sb_form_get(ctx->form, "VpcId");
    struct sb_vpc *vpc;
    if (vpc_id && *vpc_id) {
        if (sb_check_id(ctx, vpc_id, "vpc", "InvalidVpcID.Malformed") != 0)
            return -1;
        vpc = sb_region_vpc(ctx->region, vpc_id);
        if (!vpc)
            return sb_fail(ctx, 400, "InvalidVpcID.NotFound", "The vpc ID '%.64s' does not exist",
                           vpc_id);
    } else {
        vpc = sb_region_default_vpc(ctx->region);
        if (!vpc)
            return sb_fail(ctx, 400, "VPCIdNotSpecified", "No default VPC for this user");
    }
    struct sb_tags tags = {0};
    if (sb_tag_specifications(ctx, "security-group", &tags) != 0)
        goto fail;
    if (sb_region_group_by_name(ctx->region, vpc->id, name)) {
        sb_fail(ctx, 400, "InvalidGroup.Duplicate",
                "The security group '%.256s' already exists for VPC '%s'", name, vpc->id);
        goto fail;
    }
    if (ctx->dry_run) {
        sb_dry_run(ctx);
        goto fail;
    }
    struct sb_group *group =
        sb_region_create_group(ctx->world, ctx->region, vpc->id, name, description);
    if (!group) {
        sb_oom(ctx);
        goto fail;
    }
    group->tags = tags;
    ctx->changed = 1;
    if (sb_group_add_default_rules(ctx->world, group, 0) != 0)
        return sb_oom(ctx);
    sb_begin(ctx);
    sb_xml_bool(ctx->out, "return", 1);
    sb_xml_text(ctx->out, "groupId", group->id);
    kumo_strbuf_printf(ctx->out,
                       "<securityGroupArn>arn:aws:ec2:%s:%s:security-group/%s"
                       "</securityGroupArn>",
                       ctx->region->name, KUMO_SANDBOX_ACCOUNT_ID, group->id);
    if (group->tags.count)
        sb_xml_tags(ctx->out, &group->tags);
    sb_end(ctx);
    return 0;
fail:
    sb_tags_clear(&tags);
    return -1;
}

/* The first rule of another group that references `group`, or NULL. */
static struct sb_group *referencing_group(struct sb_region *region, const struct sb_group *group)
{
    for (size_t i = 0; i < region->group_count; i++) {
        struct sb_group *other = region->groups[i];
        if (other == group)
            continue;
        for (size_t j = 0; j < other->rule_count; j++)
            if (other->rules[j]->kind == SB_SRC_GROUP &&
                strcmp(other->rules[j]->source, group->id) == 0)
                return other;
    }
    return NULL;
}

int sb_action_delete_security_group(struct sb_ctx *ctx)
{
    const char *id = sb_form_get(ctx->form, "GroupId");
    const char *name = sb_form_get(ctx->form, "GroupName");
    struct sb_group *group;
    if (id && *id) {
        if (sb_check_id(ctx, id, "sg", "InvalidGroupId.Malformed") != 0)
            return -1;
        group = sb_region_group(ctx->region, id);
        if (!group)
            return sb_fail(ctx, 400, "InvalidGroup.NotFound",
                           "The security group '%.64s' does not exist", id);
    } else if (name && *name) {
        struct sb_vpc *vpc = sb_region_default_vpc(ctx->region);
        group = vpc ? sb_region_group_by_name(ctx->region, vpc->id, name) : NULL;
        if (!group)
            return sb_fail(ctx, 400, "InvalidGroup.NotFound",
                           "The security group '%.256s' does not exist in default VPC '%s'", name,
                           vpc ? vpc->id : "none");
    } else {
        return sb_fail(ctx, 400, "MissingParameter",
                       "The request must contain the parameter GroupName or GroupId");
    }
    if (strcmp(group->name, "default") == 0)
        return sb_fail(ctx, 400, "CannotDelete",
                       "the specified group: \"%s\" name: \"default\" cannot be deleted by a "
                       "user",
                       group->id);
    struct sb_group *user = referencing_group(ctx->region, group);
    if (user)
        return sb_fail(ctx, 400, "DependencyViolation",
                       "resource %s has a dependent object (a rule of security group %s "
                       "references it)",
                       group->id, user->id);
    if (ctx->dry_run)
        return sb_dry_run(ctx);
    char deleted[64];
    snprintf(deleted, sizeof deleted, "%s", group->id);
    sb_region_delete_group(ctx->region, group);
    ctx->changed = 1;
    sb_begin(ctx);
    sb_xml_bool(ctx->out, "return", 1);
    sb_xml_text(ctx->out, "groupId", deleted);
    sb_end(ctx);
    return 0;
}

/* ---- DescribeSecurityGroups ---- */

static const char *const group_filters[] = {"vpc-id",
                                            "group-name",
                                            "group-id",
                                            "description",
                                            "owner-id",
                                            "ip-permission.protocol",
                                            "ip-permission.from-port",
                                            "ip-permission.to-port",
                                            "ip-permission.cidr",
                                            "ip-permission.ipv6-cidr",
                                            "ip-permission.group-id",
                                            "ip-permission.prefix-list-id",
                                            "egress.ip-permission.protocol",
                                            "egress.ip-permission.from-port",
                                            "egress.ip-permission.to-port",
                                            "egress.ip-permission.cidr",
                                            "egress.ip-permission.ipv6-cidr",
                                            "egress.ip-permission.group-id",
                                            "egress.ip-permission.prefix-list-id",
                                            NULL};

/* ip-permission.* filters: 1 when any rule of that direction matches. */
static int rule_filter_match(const struct sb_group *group, const struct sb_filter *f)
{
    int egress = strncmp(f->name, "egress.", 7) == 0;
    const char *field = f->name + (egress ? 7 : 0) + strlen("ip-permission.");
    for (size_t i = 0; i < group->rule_count; i++) {
        const struct sb_rule *r = group->rules[i];
        if (r->egress != egress)
            continue;
        char number[32];
        const char *value = NULL;
        if (strcmp(field, "protocol") == 0) {
            value = r->protocol;
        } else if (strcmp(field, "from-port") == 0 || strcmp(field, "to-port") == 0) {
            snprintf(number, sizeof number, "%d", field[0] == 'f' ? r->from_port : r->to_port);
            value = number;
        } else if (strcmp(field, "cidr") == 0 && r->kind == SB_SRC_CIDR4) {
            value = r->source;
        } else if (strcmp(field, "ipv6-cidr") == 0 && r->kind == SB_SRC_CIDR6) {
            value = r->source;
        } else if (strcmp(field, "group-id") == 0 && r->kind == SB_SRC_GROUP) {
            value = r->source;
        } else if (strcmp(field, "prefix-list-id") == 0 && r->kind == SB_SRC_PREFIX_LIST) {
            value = r->source;
        }
        if (value && sb_filter_any(f, value))
            return 1;
    }
    return 0;
}

static int group_matches(const struct sb_group *group, const struct sb_filters *filters)
{
    for (size_t i = 0; i < filters->count; i++) {
        const struct sb_filter *f = &filters->items[i];
        int match = sb_filter_tags(f, &group->tags);
        if (match < 0 && strstr(f->name, "ip-permission."))
            match = rule_filter_match(group, f);
        if (match < 0) {
            const char *value = "";
            if (strcmp(f->name, "vpc-id") == 0)
                value = group->vpc_id;
            else if (strcmp(f->name, "group-name") == 0)
                value = group->name;
            else if (strcmp(f->name, "group-id") == 0)
                value = group->id;
            else if (strcmp(f->name, "description") == 0)
                value = group->description;
            else if (strcmp(f->name, "owner-id") == 0)
                value = KUMO_SANDBOX_ACCOUNT_ID;
            match = sb_filter_any(f, value);
        }
        if (!match)
            return 0;
    }
    return 1;
}

static void xml_list_or_empty(struct kumo_strbuf *out, const char *name, struct kumo_strbuf *items)
{
    if (items->length == 0) {
        sb_xml_empty(out, name);
    } else {
        sb_xml_open(out, name);
        kumo_strbuf_append(out, items->data, items->length);
        sb_xml_close(out, name);
    }
    kumo_strbuf_reset(items);
}

static void xml_description(struct kumo_strbuf *out, const struct sb_rule *rule)
{
    if (rule->description && *rule->description)
        sb_xml_text(out, "description", rule->description);
}

/* One direction's rules as EC2's ipPermissions: one item per protocol and
 * port range, holding every source of that range. */
static void xml_permissions(struct kumo_strbuf *out, const char *name, const struct sb_group *group,
                            int egress)
{
    size_t n = group->rule_count;
    if (sb_group_count_rules(group, egress) == 0) {
        sb_xml_empty(out, name);
        return;
    }
    sb_xml_open(out, name);
    struct kumo_strbuf part = KUMO_STRBUF_INIT;
    for (size_t i = 0; i < n; i++) {
        const struct sb_rule *first = group->rules[i];
        if (first->egress != egress)
            continue;
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++) {
            const struct sb_rule *r = group->rules[j];
            seen = r->egress == egress && strcmp(r->protocol, first->protocol) == 0 &&
                   r->from_port == first->from_port && r->to_port == first->to_port;
        }
        if (seen)
            continue;
        sb_xml_open(out, "item");
        sb_xml_text(out, "ipProtocol", first->protocol);
        if (strcmp(first->protocol, "-1") != 0) {
            sb_xml_int(out, "fromPort", first->from_port);
            sb_xml_int(out, "toPort", first->to_port);
        }
        for (int kind = 0; kind < 4; kind++) {
            static const char *const containers[] = {"ipRanges", "ipv6Ranges", "groups",
                                                     "prefixListIds"};
            static const enum sb_source_kind order[] = {SB_SRC_CIDR4, SB_SRC_CIDR6, SB_SRC_GROUP,
                                                        SB_SRC_PREFIX_LIST};
            for (size_t j = i; j < n; j++) {
                const struct sb_rule *r = group->rules[j];
                if (r->egress != egress || r->kind != order[kind] ||
                    strcmp(r->protocol, first->protocol) != 0 || r->from_port != first->from_port ||
                    r->to_port != first->to_port)
                    continue;
                sb_xml_open(&part, "item");
                switch (r->kind) {
                case SB_SRC_CIDR4:
                    sb_xml_text(&part, "cidrIp", r->source);
                    break;
                case SB_SRC_CIDR6:
                    sb_xml_text(&part, "cidrIpv6", r->source);
                    break;
                case SB_SRC_GROUP:
                    sb_xml_text(&part, "userId",
                                r->source_owner ? r->source_owner : KUMO_SANDBOX_ACCOUNT_ID);
                    sb_xml_text(&part, "groupId", r->source);
                    break;
                case SB_SRC_PREFIX_LIST:
                    sb_xml_text(&part, "prefixListId", r->source);
                    break;
                }
                xml_description(&part, r);
                sb_xml_close(&part, "item");
            }
            xml_list_or_empty(out, containers[kind], &part);
        }
        sb_xml_close(out, "item");
    }
    kumo_strbuf_free(&part);
    sb_xml_close(out, name);
}

static void xml_group(struct sb_ctx *ctx, const struct sb_group *group)
{
    struct kumo_strbuf *out = ctx->out;
    sb_xml_open(out, "item");
    sb_xml_text(out, "ownerId", KUMO_SANDBOX_ACCOUNT_ID);
    sb_xml_text(out, "groupId", group->id);
    sb_xml_text(out, "groupName", group->name);
    sb_xml_text(out, "groupDescription", group->description);
    sb_xml_text(out, "vpcId", group->vpc_id);
    kumo_strbuf_printf(out,
                       "<securityGroupArn>arn:aws:ec2:%s:%s:security-group/%s"
                       "</securityGroupArn>",
                       ctx->region->name, KUMO_SANDBOX_ACCOUNT_ID, group->id);
    xml_permissions(out, "ipPermissions", group, 0);
    xml_permissions(out, "ipPermissionsEgress", group, 1);
    sb_xml_tags(out, &group->tags);
    sb_xml_close(out, "item");
}

int sb_action_describe_security_groups(struct sb_ctx *ctx)
{
    struct sb_region *region = ctx->region;
    const char **ids = NULL, **names = NULL;
    struct sb_filters filters = {0};
    struct sb_group **selected = NULL;
    int rc = -1;
    long id_count = sb_list_values(ctx, "GroupId", &ids);
    long name_count = id_count < 0 ? -1 : sb_list_values(ctx, "GroupName", &names);
    if (id_count < 0 || name_count < 0)
        goto done;
    for (long i = 0; i < id_count; i++) {
        if (sb_check_id(ctx, ids[i], "sg", "InvalidGroupId.Malformed") != 0)
            goto done;
        if (!sb_region_group(region, ids[i])) {
            sb_fail(ctx, 400, "InvalidGroup.NotFound", "The security group '%.64s' does not exist",
                    ids[i]);
            goto done;
        }
    }
    struct sb_vpc *default_vpc = sb_region_default_vpc(region);
    for (long i = 0; i < name_count; i++) {
        if (!default_vpc || !sb_region_group_by_name(region, default_vpc->id, names[i])) {
            sb_fail(ctx, 400, "InvalidGroup.NotFound",
                    "The security group '%.256s' does not exist in default VPC '%s'", names[i],
                    default_vpc ? default_vpc->id : "none");
            goto done;
        }
    }
    long max_results;
    size_t start;
    if (sb_page_params(ctx, id_count > 0, &max_results, &start) != 0 ||
        sb_filters_parse(ctx, group_filters, &filters) != 0)
        goto done;
    if (ctx->dry_run) {
        sb_dry_run(ctx);
        goto done;
    }
    selected = calloc(region->group_count + 1, sizeof *selected);
    if (!selected) {
        sb_oom(ctx);
        goto done;
    }
    size_t total = 0;
    for (size_t i = 0; i < region->group_count; i++) {
        struct sb_group *g = region->groups[i];
        int wanted = id_count == 0 && name_count == 0;
        for (long k = 0; k < id_count && !wanted; k++)
            wanted = strcmp(ids[k], g->id) == 0;
        for (long k = 0; k < name_count && !wanted; k++)
            wanted = strcmp(g->vpc_id, default_vpc->id) == 0 && strcmp(names[k], g->name) == 0;
        if (wanted && group_matches(g, &filters))
            selected[total++] = g;
    }
    size_t end =
        max_results && start + (size_t)max_results < total ? start + (size_t)max_results : total;
    sb_begin(ctx);
    if (start >= end) {
        sb_xml_empty(ctx->out, "securityGroupInfo");
    } else {
        sb_xml_open(ctx->out, "securityGroupInfo");
        for (size_t i = start; i < end; i++)
            xml_group(ctx, selected[i]);
        sb_xml_close(ctx->out, "securityGroupInfo");
    }
    sb_page_token(ctx, end, total);
    sb_end(ctx);
    rc = 0;
done:
    free(ids);
    free(names);
    free(selected);
    sb_filters_free(&filters);
    return rc;
}

/* ---- DescribeNetworkInterfaces ---- */

static const char *const interface_filters[] = {
    "group-id", "vpc-id", "subnet-id", "description", "network-interface-id", "status", NULL};

/* The sandbox simulates no instances, so no network interface exists: the
 * answer is always an empty set (the filters are still checked). kumo asks
 * for it to explain a DependencyViolation. */
int sb_action_describe_network_interfaces(struct sb_ctx *ctx)
{
    const char **ids = NULL;
    struct sb_filters filters = {0};
    int rc = -1;
    long id_count = sb_list_values(ctx, "NetworkInterfaceId", &ids);
    if (id_count < 0)
        goto done;
    if (id_count > 0) {
        if (sb_check_id(ctx, ids[0], "eni", "InvalidNetworkInterfaceId.Malformed") == 0)
            sb_fail(ctx, 400, "InvalidNetworkInterfaceID.NotFound",
                    "The networkInterface ID '%.64s' does not exist", ids[0]);
        goto done;
    }
    long max_results;
    size_t start;
    if (sb_page_params(ctx, 0, &max_results, &start) != 0 ||
        sb_filters_parse(ctx, interface_filters, &filters) != 0)
        goto done;
    if (ctx->dry_run) {
        sb_dry_run(ctx);
        goto done;
    }
    sb_begin(ctx);
    sb_xml_empty(ctx->out, "networkInterfaceSet");
    sb_end(ctx);
    rc = 0;
done:
    free(ids);
    sb_filters_free(&filters);
    return rc;
}
