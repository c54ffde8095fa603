/*
 * actions_vpc.c - DescribeVpcs, CreateVpc and DeleteVpc on the sandbox world
 * (a new VPC gets its `default` security group; DeleteVpc refuses while
 * other groups remain, as real EC2 does).
 */
#include "sandbox/sandbox_internal.h"

#include <stdlib.h>
#include <string.h>

#include "sandbox/xml_out.h"

static void xml_vpc_body(struct kumo_strbuf *out, const struct sb_vpc *vpc)
{
    sb_xml_text(out, "vpcId", vpc->id);
    sb_xml_text(out, "ownerId", KUMO_SANDBOX_ACCOUNT_ID);
    sb_xml_text(out, "state", "available");
    sb_xml_text(out, "cidrBlock", vpc->cidr);
    sb_xml_open(out, "cidrBlockAssociationSet");
    sb_xml_open(out, "item");
    sb_xml_text(out, "associationId", vpc->association_id);
    sb_xml_text(out, "cidrBlock", vpc->cidr);
    sb_xml_open(out, "cidrBlockState");
    sb_xml_text(out, "state", "associated");
    sb_xml_close(out, "cidrBlockState");
    sb_xml_close(out, "item");
    sb_xml_close(out, "cidrBlockAssociationSet");
    sb_xml_empty(out, "ipv6CidrBlockAssociationSet");
    sb_xml_text(out, "dhcpOptionsId", "default");
    sb_xml_text(out, "instanceTenancy", "default");
    sb_xml_bool(out, "isDefault", vpc->is_default);
    sb_xml_tags(out, &vpc->tags);
}

static const char *const vpc_filters[] = {"vpc-id",
                                          "is-default",
                                          "cidr",
                                          "cidr-block-association.cidr-block",
                                          "cidr-block-association.association-id",
                                          "cidr-block-association.state",
                                          "state",
                                          "owner-id",
                                          "dhcp-options-id",
                                          NULL};

static int vpc_matches(const struct sb_vpc *vpc, const struct sb_filters *filters)
{
    for (size_t i = 0; i < filters->count; i++) {
        const struct sb_filter *f = &filters->items[i];
        int match = sb_filter_tags(f, &vpc->tags);
        if (match >= 0) {
            if (!match)
                return 0;
            continue;
        }
        const char *value = "";
        if (strcmp(f->name, "vpc-id") == 0)
            value = vpc->id;
        else if (strcmp(f->name, "is-default") == 0)
            value = vpc->is_default ? "true" : "false";
        else if (strcmp(f->name, "cidr") == 0 ||
                 strcmp(f->name, "cidr-block-association.cidr-block") == 0)
            value = vpc->cidr;
        else if (strcmp(f->name, "cidr-block-association.association-id") == 0)
            value = vpc->association_id;
        else if (strcmp(f->name, "cidr-block-association.state") == 0)
            value = "associated";
        else if (strcmp(f->name, "state") == 0)
            value = "available";
        else if (strcmp(f->name, "owner-id") == 0)
            value = KUMO_SANDBOX_ACCOUNT_ID;
        else if (strcmp(f->name, "dhcp-options-id") == 0)
            value = "default";
        if (!sb_filter_any(f, value))
            return 0;
    }
    return 1;
}

int sb_action_describe_vpcs(struct sb_ctx *ctx)
{
    struct sb_region *region = ctx->region;
    const char **ids = NULL;
    struct sb_filters filters = {0};
    struct sb_vpc **selected = NULL;
    int rc = -1;
    long id_count = sb_list_values(ctx, "VpcId", &ids);
    if (id_count < 0)
        return -1;
    for (long i = 0; i < id_count; i++) {
        if (sb_check_id(ctx, ids[i], "vpc", "InvalidVpcID.Malformed") != 0)
            goto done;
        if (!sb_region_vpc(region, ids[i])) {
            sb_fail(ctx, 400, "InvalidVpcID.NotFound", "The vpc ID '%.64s' does not exist", ids[i]);
            goto done;
        }
    }
    long max_results;
    size_t start;
    if (sb_page_params(ctx, id_count > 0, &max_results, &start) != 0 ||
        sb_filters_parse(ctx, vpc_filters, &filters) != 0)
        goto done;
    if (ctx->dry_run) {
        sb_dry_run(ctx);
        goto done;
    }
    selected = calloc(region->vpc_count + 1, sizeof *selected);
    if (!selected) {
        sb_oom(ctx);
        goto done;
    }
    size_t total = 0;
    for (size_t i = 0; i < region->vpc_count; i++) {
        struct sb_vpc *vpc = region->vpcs[i];
        int wanted = id_count == 0;
        for (long k = 0; k < id_count && !wanted; k++)
            wanted = strcmp(ids[k], vpc->id) == 0;
        if (wanted && vpc_matches(vpc, &filters))
            selected[total++] = vpc;
    }
    size_t end =
        max_results && start + (size_t)max_results < total ? start + (size_t)max_results : total;
    sb_begin(ctx);
    if (start >= end) {
        sb_xml_empty(ctx->out, "vpcSet");
    } else {
        sb_xml_open(ctx->out, "vpcSet");
        for (size_t i = start; i < end; i++) {
            sb_xml_open(ctx->out, "item");
            xml_vpc_body(ctx->out, selected[i]);
            sb_xml_close(ctx->out, "item");
        }
        sb_xml_close(ctx->out, "vpcSet");
    }
    sb_page_token(ctx, end, total);
    sb_end(ctx);
    rc = 0;
done:
    free(ids);
    free(selected);
    sb_filters_free(&filters);
    return rc;
}

int sb_action_create_vpc(struct sb_ctx *ctx)
{
    const char *cidr_text;
    if (sb_require(ctx, "CidrBlock", &cidr_text) != 0)
        return -1;
    char cidr[64];
    if (sb_cidr_canonical(cidr_text, cidr) != 4)
        return sb_fail(ctx, 400, "InvalidParameterValue",
                       "Value (%.64s) for parameter cidrBlock is invalid. This is not a valid "
                       "CIDR block.",
                       cidr_text);
    int prefix = atoi(strchr(cidr, '/') + 1);
    if (prefix < 16 || prefix > 28)
        return sb_fail(ctx, 400, "InvalidVpc.Range", "The CIDR '%.64s' is invalid.", cidr_text);
    struct sb_tags tags = {0};
    if (sb_tag_specifications(ctx, "vpc", &tags) != 0) {
        sb_tags_clear(&tags);
        return -1;
    }
    if (ctx->dry_run) {
        sb_tags_clear(&tags);
        return sb_dry_run(ctx);
    }
    struct sb_vpc *vpc = sb_region_create_vpc(ctx->world, ctx->region, cidr, 0);
    if (!vpc) {
        sb_tags_clear(&tags);
        return sb_oom(ctx);
    }
    vpc->tags = tags;
    ctx->changed = 1;
    sb_begin(ctx);
    sb_xml_open(ctx->out, "vpc");
    xml_vpc_body(ctx->out, vpc);
    sb_xml_close(ctx->out, "vpc");
    sb_end(ctx);
    return 0;
}

int sb_action_delete_vpc(struct sb_ctx *ctx)
{
    const char *id;
    if (sb_require(ctx, "VpcId", &id) != 0 ||
        sb_check_id(ctx, id, "vpc", "InvalidVpcID.Malformed") != 0)
        return -1;
    struct sb_vpc *vpc = sb_region_vpc(ctx->region, id);
    if (!vpc)
        return sb_fail(ctx, 400, "InvalidVpcID.NotFound", "The vpc ID '%.64s' does not exist", id);
    struct sb_group *default_group = NULL;
    for (size_t i = 0; i < ctx->region->group_count; i++) {
        struct sb_group *g = ctx->region->groups[i];
        if (strcmp(g->vpc_id, vpc->id) != 0)
            continue;
        if (strcmp(g->name, "default") != 0)
            return sb_fail(ctx, 400, "DependencyViolation",
                           "The vpc '%s' has dependencies and cannot be deleted.", vpc->id);
        default_group = g;
    }
    if (ctx->dry_run)
        return sb_dry_run(ctx);
    if (default_group)
        sb_region_delete_group(ctx->region, default_group);
    sb_region_delete_vpc(ctx->region, vpc);
    ctx->changed = 1;
    sb_begin(ctx);
    sb_xml_bool(ctx->out, "return", 1);
    sb_end(ctx);
    return 0;
}
