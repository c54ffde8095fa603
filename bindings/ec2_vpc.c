/*
 * ec2_vpc.c - the typed VPC bindings of the `ec2` library:
 * describe_vpcs (by ids, by Name tag, by filters), following NextToken.
 */
#include <string.h>

#include <lauxlib.h>

#include "bindings/bindings.h"
#include "bindings/ec2_common.h"
#include "bindings/validate.h"

/* Pushes the result shape of one vpcSet item at `item`. */
static int push_vpc(lua_State *L, int item)
{
    static const char *const copies[][2] = {
        {"vpcId", "vpc_id"}, {"cidrBlock", "cidr"}, {"state", "state"}, {"ownerId", "owner_id"}};
    item = lua_absindex(L, item);
    lua_createtable(L, 0, 6);
    for (size_t i = 0; i < sizeof copies / sizeof copies[0]; i++) {
        const char *text = kumo_ec2_string(L, item, copies[i][0]);
        if (text) {
            lua_pushstring(L, text);
            lua_setfield(L, -2, copies[i][1]);
        }
    }
    const char *is_default = kumo_ec2_string(L, item, "isDefault");
    lua_pushboolean(L, is_default && strcmp(is_default, "true") == 0);
    lua_setfield(L, -2, "is_default");
    kumo_ec2_push_tags(L, item);
    lua_setfield(L, -2, "tags");
    return 1;
}

/* ec2.describe_vpcs{ vpc_ids = { "vpc-..." }?, name = "..."?,
 *                    filters = { [name] = v | { v, ... } }? }
 *   -> { { vpc_id, cidr, state, is_default = boolean, owner_id,
 *          tags = { K = v } }, ... }
 * name becomes the filter tag:Name. Follows NextToken to the end
 * (MaxResults=1000 unless vpc_ids are given). Raises a field-path message
 * on bad input (nothing sent), kumo.Error on AWS failures. */
static int ec2_describe_vpcs(lua_State *L)
{
    static const char *const fields[] = {"vpc_ids", "name", "filters", NULL};
    const struct kumo_check check = {"ec2.describe_vpcs", KUMO_BINDING_LEVEL};
    lua_settop(L, 1);
    kumo_check_table(L, &check, 1, "");
    kumo_check_fields(L, &check, 1, "", fields);
    lua_newtable(L);
    int params = lua_gettop(L);
    lua_newtable(L);
    int filters = lua_gettop(L);
    int by_id = lua_getfield(L, 1, "vpc_ids") != LUA_TNIL;
    if (by_id) {
        kumo_push_id_list(L, &check, -1, "vpc_ids", "vpc-", "VPC id");
        lua_setfield(L, params, "VpcId");
    }
    lua_pop(L, 1);
    size_t length;
    const char *name = kumo_check_opt_string(L, &check, 1, "", "name", &length);
    if (name) {
        kumo_check_length(L, &check, "name", length, 1, 256);
        kumo_append_filter(L, filters, "tag:Name", 0, name);
    }
    if (lua_getfield(L, 1, "filters") != LUA_TNIL)
        kumo_append_wire_filters(L, &check, -1, "filters", filters);
    lua_pop(L, 1);
    kumo_ec2_describe_all(L, "DescribeVpcs", params, filters, by_id, "vpcSet", push_vpc);
    return 1;
}

static const luaL_Reg vpc_functions[] = {{"describe_vpcs", ec2_describe_vpcs}, {NULL, NULL}};

void kumo_ec2_register_vpcs(lua_State *L)
{
    luaL_setfuncs(L, vpc_functions, 0);
}
