/*
 * ec2_call.c - the `ec2` library: ec2.call, the generic binding that speaks
 * EC2 wire names, and luaopen_kumo_ec2, which assembles the library.
 */
#include <string.h>

#include <lauxlib.h>

#include "aws/call.h"
#include "bindings/bindings.h"

/* 1 when name looks like an EC2 action: a capital letter, then letters or digits. */
static int is_action_name(const char *name, size_t length)
{
    if (length == 0 || length > 128 || name[0] < 'A' || name[0] > 'Z')
        return 0;
    for (size_t i = 1; i < length; i++) {
        char c = name[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
            return 0;
    }
    return 1;
}

/* ec2.call(action, params?) -> response table
 * `action` is an EC2 action name ("DescribeVpcs"); `params` a table of wire
 * parameters, nested tables flattened the EC2 way. Raises kumo.Error on AWS,
 * network, credential or configuration failures. */
static int ec2_call(lua_State *L)
{
    size_t length;
    const char *action = luaL_checklstring(L, 1, &length);
    if (!is_action_name(action, length))
        return luaL_argerror(L, 1, "EC2 action name expected (like \"DescribeVpcs\")");
    if (!lua_isnoneornil(L, 2))
        luaL_checktype(L, 2, LUA_TTABLE);
    lua_settop(L, 2);
    return kumo_call_ec2(L, action, lua_isnil(L, 2) ? 0 : 2);
}

static const luaL_Reg ec2_functions[] = {{"call", ec2_call}, {NULL, NULL}};

int luaopen_kumo_ec2(lua_State *L)
{
    luaL_newlib(L, ec2_functions);
    kumo_ec2_register_security_groups(L);
    kumo_ec2_register_vpcs(L);
    kumo_ec2_register_tags(L);
    return 1;
}
