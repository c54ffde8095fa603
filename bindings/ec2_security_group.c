/*
 * ec2_security_group.c - the typed security-group bindings of the `ec2`
 * library: create_security_group, authorize_ingress/egress,
 * revoke_ingress/egress, describe_security_groups,
 * describe_security_group_rules, delete_security_group.
 *
 * Each takes one table of snake_case fields, checks all of it before
 * anything is sent (messages name the field path), builds the wire
 * parameters in a Lua table and hands it to kumo_call_ec2. Rules in results
 * have the shape authorize accepts (validate.h, struct kumo_rule).
 */
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>

#include "bindings/bindings.h"
#include "aws/call.h"
#include "bindings/ec2_common.h"
#include "bindings/validate.h"

#define NAME_MAX_LENGTH 255
#define DESCRIPTION_MAX_LENGTH 255

/* ---- argument helpers ---- */

/* Checks the argument table (index 1) and its fields. */
static void check_arguments(lua_State *L, const struct kumo_check *check,
                            const char *const *allowed)
{
    lua_settop(L, 1);
    kumo_check_table(L, check, 1, "");
    kumo_check_fields(L, check, 1, "", allowed);
}

/* Required "sg-..." field `field` of the argument table. */
static const char *check_group_id(lua_State *L, const struct kumo_check *check, const char *field)
{
    const char *id = kumo_check_string(L, check, 1, "", field, NULL);
    kumo_check_id(L, check, field, id, "sg-", "security group id");
    return id;
}

/* Checks the non-empty rule list at `index` (field `path`), refusing the same
 * rule twice, and pushes the IpPermissions wire list. */
static void push_wire_rules(lua_State *L, const struct kumo_check *check, int index,
                            const char *path)
{
    char child[KUMO_PATH_MAX];
    char identity[KUMO_IDENTITY_MAX];
    index = lua_absindex(L, index);
    lua_Integer count = kumo_check_list(L, check, index, path);
    if (count == 0)
        kumo_check_fail(L, check, path, "at least one rule expected");
    lua_createtable(L, (int)count, 0);
    int wire = lua_gettop(L);
    lua_newtable(L); /* identity -> position */
    int seen = lua_gettop(L);
    for (lua_Integer i = 1; i <= count; i++) {
        struct kumo_rule rule;
        kumo_path_index(child, path, i);
        lua_rawgeti(L, index, i);
        kumo_rule_check(L, check, -1, child, KUMO_RULE_DECLARED, &rule);
        kumo_rule_identity(&rule, identity);
        if (lua_getfield(L, seen, identity) != LUA_TNIL)
            kumo_check_fail(L, check, child, "the same rule as %s[%d]", path,
                            (int)lua_tointeger(L, -1));
        lua_pop(L, 1);
        lua_pushinteger(L, i);
        lua_setfield(L, seen, identity);
        kumo_rule_push_wire(L, &rule); /* rule.description lives in the rule table, below */
        lua_rawseti(L, wire, i);
        lua_pop(L, 1); /* the rule table */
    }
    lua_pop(L, 1); /* seen */
}

/* Sets TagSpecification.1 (ResourceType, Tag.N) in the wire table at
 * `params` from the argument's `tags` map, when present and not empty. */
static void set_tag_specification(lua_State *L, const struct kumo_check *check, int params,
                                  const char *resource_type)
{
    if (lua_getfield(L, 1, "tags") == LUA_TNIL) {
        lua_pop(L, 1);
        return;
    }
    kumo_push_wire_tags(L, check, -1, "tags");
    if (lua_rawlen(L, -1) == 0) {
        lua_pop(L, 2);
        return;
    }
    lua_createtable(L, 1, 0);
    lua_createtable(L, 0, 2);
    lua_pushstring(L, resource_type);
    lua_setfield(L, -2, "ResourceType");
    lua_pushvalue(L, -3);
    lua_setfield(L, -2, "Tag");
    lua_rawseti(L, -2, 1);
    lua_setfield(L, params, "TagSpecification");
    lua_pop(L, 2);
}

/* ---- reading rules from responses ---- */

/* Fills the source of `rule` from a CIDR EC2 returned (canonical when it
 * parses, as given otherwise). */
static void set_described_cidr(struct kumo_rule *rule, const char *cidr)
{
    enum kumo_family family;
    if (kumo_cidr_canonical(cidr, strlen(cidr), rule->source_id, &family) == NULL) {
        rule->source = family == KUMO_IPV6 ? KUMO_SOURCE_IPV6 : KUMO_SOURCE_IPV4;
    } else {
        snprintf(rule->source_id, sizeof rule->source_id, "%s", cidr);
        rule->source = strchr(cidr, ':') ? KUMO_SOURCE_IPV6 : KUMO_SOURCE_IPV4;
    }
}

/* Starts a described rule: protocol and ports from EC2's text fields. */
static void start_described_rule(struct kumo_rule *rule, const char *protocol, const char *from,
                                 const char *to)
{
    memset(rule, 0, sizeof *rule);
    if (!protocol || kumo_protocol_normalize(protocol, rule->protocol) != 0)
        snprintf(rule->protocol, sizeof rule->protocol, "%s", protocol ? protocol : "all");
    kumo_rule_set_described_ports(rule, from, to);
}

/* Pushes one rule (the authorize shape, plus rule_id and, when `full`,
 * group_id and direction) from a securityGroupRuleSet item at `item`.
 * Returns 0 and pushes nothing for an item with no source. */
static int push_rule_item(lua_State *L, int item, int full)
{
    struct kumo_rule rule;
    item = lua_absindex(L, item);
    start_described_rule(&rule, kumo_ec2_string(L, item, "ipProtocol"),
                         kumo_ec2_string(L, item, "fromPort"), kumo_ec2_string(L, item, "toPort"));
    const char *text;
    if ((text = kumo_ec2_string(L, item, "cidrIpv4")) != NULL ||
        (text = kumo_ec2_string(L, item, "cidrIpv6")) != NULL) {
        set_described_cidr(&rule, text);
    } else if ((text = kumo_ec2_string(L, item, "prefixListId")) != NULL) {
        rule.source = KUMO_SOURCE_PREFIX_LIST;
        snprintf(rule.source_id, sizeof rule.source_id, "%s", text);
    } else if (lua_getfield(L, item, "referencedGroupInfo") == LUA_TTABLE &&
               (text = kumo_ec2_string(L, -1, "groupId")) != NULL) {
        rule.source = KUMO_SOURCE_GROUP;
        snprintf(rule.source_id, sizeof rule.source_id, "%s", text);
        const char *owner = kumo_ec2_string(L, -1, "userId");
        if (owner)
            snprintf(rule.owner_id, sizeof rule.owner_id, "%s", owner);
        lua_pop(L, 1);
    } else {
        lua_pop(L, 1);
        return 0;
    }
    rule.description = kumo_ec2_string(L, item, "description");
    kumo_rule_push_table(L, &rule, kumo_ec2_string(L, item, "groupOwnerId"));
    if ((text = kumo_ec2_string(L, item, "securityGroupRuleId")) != NULL) {
        lua_pushstring(L, text);
        lua_setfield(L, -2, "rule_id");
    }
    if (full) {
        if ((text = kumo_ec2_string(L, item, "groupId")) != NULL) {
            lua_pushstring(L, text);
            lua_setfield(L, -2, "group_id");
        }
        text = kumo_ec2_string(L, item, "isEgress");
        lua_pushstring(L, text && strcmp(text, "true") == 0 ? "egress" : "ingress");
        lua_setfield(L, -2, "direction");
    }
    return 1;
}

/* Pushes an array of rules from the securityGroupRuleSet of the response at
 * `response`. */
static void push_rule_set(lua_State *L, int response, int full)
{
    response = lua_absindex(L, response);
    lua_newtable(L);
    kumo_mark_array(L);
    lua_Integer count = 0;
    if (lua_getfield(L, response, "securityGroupRuleSet") == LUA_TTABLE) {
        lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
        for (lua_Integer i = 1; i <= n; i++) {
            lua_rawgeti(L, -1, i);
            if (push_rule_item(L, -1, full))
                lua_rawseti(L, -4, ++count);
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 1);
}

/* Appends to the array at `rules` one rule per source entry of `list` (an
 * ipRanges/ipv6Ranges/groups/prefixListIds array at the top of the stack)
 * of a permission whose protocol and ports `base` holds. */
static void append_entries(lua_State *L, int rules, const struct kumo_rule *base,
                           enum kumo_source kind, const char *group_owner_id)
{
    static const char *const keys[] = {"cidrIp", "cidrIpv6", "groupId", "prefixListId"};
    if (lua_type(L, -1) != LUA_TTABLE)
        return;
    lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, -1, i);
        const char *id = kumo_ec2_string(L, -1, keys[kind]);
        if (id) {
            struct kumo_rule rule = *base;
            if (kind == KUMO_SOURCE_IPV4 || kind == KUMO_SOURCE_IPV6) {
                set_described_cidr(&rule, id);
            } else {
                rule.source = kind;
                snprintf(rule.source_id, sizeof rule.source_id, "%s", id);
            }
            const char *owner = kind == KUMO_SOURCE_GROUP ? kumo_ec2_string(L, -1, "userId") : NULL;
            snprintf(rule.owner_id, sizeof rule.owner_id, "%s", owner ? owner : "");
            rule.description = kumo_ec2_string(L, -1, "description");
            kumo_rule_push_table(L, &rule, group_owner_id);
            lua_rawseti(L, rules, (lua_Integer)lua_rawlen(L, rules) + 1);
        }
        lua_pop(L, 1);
    }
}

/* Pushes the rules of the permission list `field` (ipPermissions or
 * ipPermissionsEgress) of the group item at `group`: one rule per source. */
static void push_permissions(lua_State *L, int group, const char *field, const char *group_owner_id)
{
    static const char *const lists[] = {"ipRanges", "ipv6Ranges", "groups", "prefixListIds"};
    group = lua_absindex(L, group);
    lua_newtable(L);
    kumo_mark_array(L);
    int rules = lua_gettop(L);
    if (lua_getfield(L, group, field) == LUA_TTABLE) {
        lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
        for (lua_Integer i = 1; i <= n; i++) {
            lua_rawgeti(L, -1, i);
            int permission = lua_gettop(L);
            struct kumo_rule base;
            start_described_rule(&base, kumo_ec2_string(L, permission, "ipProtocol"),
                                 kumo_ec2_string(L, permission, "fromPort"),
                                 kumo_ec2_string(L, permission, "toPort"));
            for (int kind = KUMO_SOURCE_IPV4; kind <= KUMO_SOURCE_PREFIX_LIST; kind++) {
                lua_getfield(L, permission, lists[kind]);
                append_entries(L, rules, &base, (enum kumo_source)kind, group_owner_id);
                lua_pop(L, 1);
            }
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 1);
}

/* Copies string field `from` of the table at `source` into field `to` of the
 * table on top of the stack, when present. */
static void copy_string(lua_State *L, int source, const char *from, const char *to)
{
    const char *text = kumo_ec2_string(L, source, from);
    if (text) {
        lua_pushstring(L, text);
        lua_setfield(L, -2, to);
    }
}

/* Pushes the result shape of one securityGroupInfo item at `item`. */
static int push_group(lua_State *L, int item)
{
    item = lua_absindex(L, item);
    const char *owner = kumo_ec2_string(L, item, "ownerId");
    lua_createtable(L, 0, 9);
    copy_string(L, item, "groupId", "group_id");
    copy_string(L, item, "groupName", "name");
    copy_string(L, item, "groupDescription", "description");
    copy_string(L, item, "vpcId", "vpc_id");
    copy_string(L, item, "ownerId", "owner_id");
    copy_string(L, item, "securityGroupArn", "arn");
    kumo_ec2_push_tags(L, item);
    lua_setfield(L, -2, "tags");
    push_permissions(L, item, "ipPermissions", owner);
    lua_setfield(L, -2, "ingress");
    push_permissions(L, item, "ipPermissionsEgress", owner);
    lua_setfield(L, -2, "egress");
    return 1;
}

/* Pushes the result shape of one securityGroupRuleSet item (with rule_id,
 * group_id and direction); skips items it cannot express as a rule. */
static int push_described_rule(lua_State *L, int item)
{
    return push_rule_item(L, item, 1);
}

/* ---- the bindings ---- */

/* ec2.create_security_group{ name, description, vpc_id, tags = { Key = "v" }?,
 *                            dry_run? } -> { group_id = "sg-...", arn = "..." }
 * name: 1..255 characters, not starting with "sg-"; name and description
 * (1..255) only in EC2's character set. Raises a field-path message on bad
 * input (nothing sent), kumo.Error on AWS failures. */
static int ec2_create_security_group(lua_State *L)
{
    static const char *const fields[] = {"name", "description", "vpc_id", "tags", "dry_run", NULL};
    const struct kumo_check check = {"ec2.create_security_group", KUMO_BINDING_LEVEL};
    check_arguments(L, &check, fields);
    size_t length;
    const char *name = kumo_check_string(L, &check, 1, "", "name", &length);
    kumo_check_length(L, &check, "name", length, 1, NAME_MAX_LENGTH);
    if (strncmp(name, "sg-", 3) == 0)
        kumo_check_fail(L, &check, "name", "must not start with 'sg-' (EC2 reserves it for ids)");
    kumo_check_ec2_text(L, &check, "name", name, length);
    const char *description = kumo_check_string(L, &check, 1, "", "description", &length);
    kumo_check_length(L, &check, "description", length, 1, DESCRIPTION_MAX_LENGTH);
    kumo_check_ec2_text(L, &check, "description", description, length);
    const char *vpc_id = kumo_check_string(L, &check, 1, "", "vpc_id", NULL);
    kumo_check_id(L, &check, "vpc_id", vpc_id, "vpc-", "VPC id");

    lua_newtable(L);
    int params = lua_gettop(L);
    lua_pushstring(L, name);
    lua_setfield(L, params, "GroupName");
    lua_pushstring(L, description);
    lua_setfield(L, params, "GroupDescription");
    lua_pushstring(L, vpc_id);
    lua_setfield(L, params, "VpcId");
    set_tag_specification(L, &check, params, "security-group");
    kumo_ec2_set_dry_run(L, 1, params, &check);

    kumo_call_ec2(L, "CreateSecurityGroup", params);
    int response = lua_gettop(L);
    lua_createtable(L, 0, 2);
    copy_string(L, response, "groupId", "group_id");
    copy_string(L, response, "securityGroupArn", "arn");
    return 1;
}

/* Checks the argument table of a call on one group (`fields` allowed,
 * group_id required) and pushes its wire table with GroupId set; returns
 * the wire table's index. */
static int start_group_call(lua_State *L, const struct kumo_check *check, const char *const *fields)
{
    check_arguments(L, check, fields);
    const char *group_id = check_group_id(L, check, "group_id");
    lua_newtable(L);
    lua_pushstring(L, group_id);
    lua_setfield(L, -2, "GroupId");
    return lua_gettop(L);
}

/* Shared body of authorize_ingress and authorize_egress. */
static int authorize(lua_State *L, const char *function, const char *action)
{
    static const char *const fields[] = {"group_id", "rules", "tags", "dry_run", NULL};
    const struct kumo_check check = {function, KUMO_BINDING_LEVEL};
    int params = start_group_call(L, &check, fields);
    lua_getfield(L, 1, "rules");
    if (lua_isnil(L, -1))
        kumo_check_fail(L, &check, "rules", "required");
    push_wire_rules(L, &check, -1, "rules");
    lua_setfield(L, params, "IpPermissions");
    lua_pop(L, 1);
    set_tag_specification(L, &check, params, "security-group-rule");
    kumo_ec2_set_dry_run(L, 1, params, &check);

    kumo_call_ec2(L, action, params);
    int response = lua_gettop(L);
    lua_createtable(L, 0, 1);
    push_rule_set(L, response, 0);
    lua_setfield(L, -2, "rules");
    return 1;
}

/* ec2.authorize_ingress{ group_id, rules = { rule, ... }, tags?, dry_run? }
 *   -> { rules = { { <rule>, rule_id = "sgr-..." }, ... } }
 * A rule: { protocol, port | from_port + to_port, cidr | source_group |
 * prefix_list, description? } (see validate.h). tags go on the new rules.
 * Raises a field-path message on bad input or a repeated rule (nothing
 * sent), kumo.Error on AWS failures. */
static int ec2_authorize_ingress(lua_State *L)
{
    return authorize(L, "ec2.authorize_ingress", "AuthorizeSecurityGroupIngress");
}

/* ec2.authorize_egress{ group_id, rules, tags?, dry_run? } -> { rules = {...} }
 * As authorize_ingress, for outbound rules. */
static int ec2_authorize_egress(lua_State *L)
{
    return authorize(L, "ec2.authorize_egress", "AuthorizeSecurityGroupEgress");
}

/* Shared body of revoke_ingress and revoke_egress. */
static int revoke(lua_State *L, const char *function, const char *action)
{
    static const char *const fields[] = {"group_id", "rules", "rule_ids", "dry_run", NULL};
    const struct kumo_check check = {function, KUMO_BINDING_LEVEL};
    int params = start_group_call(L, &check, fields);
    int has_rules = lua_getfield(L, 1, "rules") != LUA_TNIL;
    int has_ids = lua_getfield(L, 1, "rule_ids") != LUA_TNIL;
    if (has_rules && has_ids)
        kumo_check_fail(L, &check, "rule_ids", "cannot be combined with rules");
    if (!has_rules && !has_ids)
        kumo_check_fail(L, &check, "", "one of rules or rule_ids is required");
    if (has_rules) {
        push_wire_rules(L, &check, -2, "rules");
        lua_setfield(L, params, "IpPermissions");
    } else {
        kumo_push_id_list(L, &check, -1, "rule_ids", "sgr-", "security group rule id");
        lua_setfield(L, params, "SecurityGroupRuleId");
    }
    lua_pop(L, 2);
    kumo_ec2_set_dry_run(L, 1, params, &check);

    kumo_call_ec2(L, action, params);
    const char *result = kumo_ec2_string(L, -1, "return");
    lua_createtable(L, 0, 1);
    lua_pushboolean(L, !result || strcmp(result, "true") == 0);
    lua_setfield(L, -2, "revoked");
    return 1;
}

/* ec2.revoke_ingress{ group_id, rules = { rule, ... } | rule_ids = { "sgr-..." },
 *                     dry_run? } -> { revoked = boolean }
 * Exactly one of rules and rule_ids. Raises like authorize_ingress. */
static int ec2_revoke_ingress(lua_State *L)
{
    return revoke(L, "ec2.revoke_ingress", "RevokeSecurityGroupIngress");
}

/* ec2.revoke_egress{ group_id, rules | rule_ids, dry_run? } -> { revoked = boolean }
 * As revoke_ingress, for outbound rules. */
static int ec2_revoke_egress(lua_State *L)
{
    return revoke(L, "ec2.revoke_egress", "RevokeSecurityGroupEgress");
}

/* ec2.describe_security_groups{ group_ids = { "sg-..." }?, vpc_id = "vpc-..."?,
 *                               names = { "..." }?, filters = { [name] = v | {v...} }? }
 *   -> { { group_id, name, description, vpc_id, owner_id, arn, tags = { K = v },
 *          ingress = { rule... }, egress = { rule... } }, ... }
 * vpc_id and names become the filters vpc-id and group-name. Follows
 * NextToken to the end (MaxResults=1000 unless group_ids are given). Rules
 * have the shape authorize accepts, one per source. */
static int ec2_describe_security_groups(lua_State *L)
{
    static const char *const fields[] = {"group_ids", "vpc_id", "names", "filters", NULL};
    const struct kumo_check check = {"ec2.describe_security_groups", KUMO_BINDING_LEVEL};
    char child[KUMO_PATH_MAX];
    check_arguments(L, &check, fields);
    lua_newtable(L);
    int params = lua_gettop(L);
    lua_newtable(L);
    int filters = lua_gettop(L);
    int by_id = lua_getfield(L, 1, "group_ids") != LUA_TNIL;
    if (by_id) {
        kumo_push_id_list(L, &check, -1, "group_ids", "sg-", "security group id");
        lua_setfield(L, params, "GroupId");
    }
    lua_pop(L, 1);
    const char *vpc_id = kumo_check_opt_string(L, &check, 1, "", "vpc_id", NULL);
    if (vpc_id) {
        kumo_check_id(L, &check, "vpc_id", vpc_id, "vpc-", "VPC id");
        kumo_append_filter(L, filters, "vpc-id", 0, vpc_id);
    }
    if (lua_getfield(L, 1, "names") != LUA_TNIL) {
        lua_Integer n = kumo_check_list(L, &check, -1, "names");
        if (n == 0)
            kumo_check_fail(L, &check, "names", "at least one name expected");
        for (lua_Integer i = 1; i <= n; i++) {
            kumo_path_index(child, "names", i);
            if (lua_rawgeti(L, -1, i) != LUA_TSTRING)
                kumo_check_fail(L, &check, child, "string expected, got %s", luaL_typename(L, -1));
            kumo_check_length(L, &check, child, lua_rawlen(L, -1), 1, NAME_MAX_LENGTH);
            lua_pop(L, 1);
        }
        kumo_append_filter(L, filters, "group-name", -1, NULL);
    }
    lua_pop(L, 1);
    if (lua_getfield(L, 1, "filters") != LUA_TNIL)
        kumo_append_wire_filters(L, &check, -1, "filters", filters);
    lua_pop(L, 1);
    kumo_ec2_describe_all(L, "DescribeSecurityGroups", params, filters, by_id, "securityGroupInfo",
                          push_group);
    return 1;
}

/* ec2.describe_security_group_rules{ group_id = "sg-..."?, rule_ids = { "sgr-..." }?,
 *                                    filters? }
 *   -> { { rule_id, group_id, direction = "ingress"|"egress", <rule> }, ... }
 * group_id becomes the filter group-id. Follows NextToken to the end
 * (MaxResults=1000 unless rule_ids are given). */
static int ec2_describe_security_group_rules(lua_State *L)
{
    static const char *const fields[] = {"group_id", "rule_ids", "filters", NULL};
    const struct kumo_check check = {"ec2.describe_security_group_rules", KUMO_BINDING_LEVEL};
    check_arguments(L, &check, fields);
    lua_newtable(L);
    int params = lua_gettop(L);
    lua_newtable(L);
    int filters = lua_gettop(L);
    const char *group_id = kumo_check_opt_string(L, &check, 1, "", "group_id", NULL);
    if (group_id) {
        kumo_check_id(L, &check, "group_id", group_id, "sg-", "security group id");
        kumo_append_filter(L, filters, "group-id", 0, group_id);
    }
    int by_id = lua_getfield(L, 1, "rule_ids") != LUA_TNIL;
    if (by_id) {
        kumo_push_id_list(L, &check, -1, "rule_ids", "sgr-", "security group rule id");
        lua_setfield(L, params, "SecurityGroupRuleId");
    }
    lua_pop(L, 1);
    if (lua_getfield(L, 1, "filters") != LUA_TNIL)
        kumo_append_wire_filters(L, &check, -1, "filters", filters);
    lua_pop(L, 1);
    kumo_ec2_describe_all(L, "DescribeSecurityGroupRules", params, filters, by_id,
                          "securityGroupRuleSet", push_described_rule);
    return 1;
}

/* ec2.delete_security_group{ group_id, dry_run? } -> { deleted = true }
 * By id only (deleting by name fails outside the default VPC). Raises a
 * field-path message on bad input, kumo.Error on AWS failures
 * (DependencyViolation while something still uses the group). */
static int ec2_delete_security_group(lua_State *L)
{
    static const char *const fields[] = {"group_id", "dry_run", NULL};
    const struct kumo_check check = {"ec2.delete_security_group", KUMO_BINDING_LEVEL};
    check_arguments(L, &check, fields);
    const char *group_id = check_group_id(L, &check, "group_id");
    lua_newtable(L);
    int params = lua_gettop(L);
    lua_pushstring(L, group_id);
    lua_setfield(L, params, "GroupId");
    kumo_ec2_set_dry_run(L, 1, params, &check);
    kumo_call_ec2(L, "DeleteSecurityGroup", params);
    lua_createtable(L, 0, 1);
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "deleted");
    return 1;
}

static const luaL_Reg security_group_functions[] = {
    {"create_security_group", ec2_create_security_group},
    {"authorize_ingress", ec2_authorize_ingress},
    {"authorize_egress", ec2_authorize_egress},
    {"revoke_ingress", ec2_revoke_ingress},
    {"revoke_egress", ec2_revoke_egress},
    {"describe_security_groups", ec2_describe_security_groups},
    {"describe_security_group_rules", ec2_describe_security_group_rules},
    {"delete_security_group", ec2_delete_security_group},
    {NULL, NULL}};

void kumo_ec2_register_security_groups(lua_State *L)
{
    luaL_setfuncs(L, security_group_functions, 0);
}
