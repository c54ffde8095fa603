/*
 * ec2_common.c - describe calls that follow NextToken to the end, and
 * helpers that read decoded EC2 responses (see ec2_common.h).
 */
#include "bindings/validate.h"
#include "bindings/ec2_common.h"

#include <lauxlib.h>

#include "aws/call.h"

#define MAX_PAGES 10000
#define MAX_RESULTS 1000

void kumo_ec2_call_pages(lua_State *L, const char *action, int params_index, const char *list_field)
{
    params_index = lua_absindex(L, params_index);
    lua_newtable(L);
    kumo_mark_array(L);
    int items = lua_gettop(L);
    lua_newtable(L); /* tokens seen */
    int seen = lua_gettop(L);
    lua_Integer count = 0;
    for (int page = 1;; page++) {
        if (page > MAX_PAGES)
            luaL_error(L, "%s: more than %d pages; stopping", action, MAX_PAGES);
        kumo_call_ec2(L, action, params_index);
        int response = lua_gettop(L);
        if (lua_getfield(L, response, list_field) == LUA_TTABLE) {
            lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
            for (lua_Integer i = 1; i <= n; i++) {
                lua_rawgeti(L, -1, i);
                lua_rawseti(L, items, ++count);
            }
        }
        lua_pop(L, 1);
        const char *token = kumo_ec2_string(L, response, "nextToken");
        if (!token || !*token) {
            lua_pop(L, 1);
            break;
        }
        lua_pushstring(L, token);
        if (lua_rawget(L, seen) != LUA_TNIL)
            luaL_error(L, "%s: the server returned the same NextToken twice", action);
        lua_pop(L, 1);
        lua_pushstring(L, token);
        lua_pushboolean(L, 1);
        lua_rawset(L, seen);
        lua_pushstring(L, token);
        lua_setfield(L, params_index, "NextToken");
        lua_pop(L, 1); /* response */
    }
    lua_pop(L, 1); /* seen */
}

const char *kumo_ec2_string(lua_State *L, int index, const char *name)
{
    if (lua_type(L, index) != LUA_TTABLE)
        return NULL;
    lua_getfield(L, index, name);
    const char *text = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    lua_pop(L, 1);
    return text;
}

void kumo_ec2_push_tags(lua_State *L, int index)
{
    index = lua_absindex(L, index);
    lua_newtable(L);
    if (lua_getfield(L, index, "tagSet") == LUA_TTABLE) {
        lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
        for (lua_Integer i = 1; i <= n; i++) {
            lua_rawgeti(L, -1, i);
            const char *key = kumo_ec2_string(L, -1, "key");
            const char *value = kumo_ec2_string(L, -1, "value");
            if (key) {
                lua_pushstring(L, value ? value : "");
                lua_setfield(L, -4, key);
            }
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 1);
}

void kumo_ec2_set_dry_run(lua_State *L, int args_index, int params_index,
                          const struct kumo_check *check)
{
    params_index = lua_absindex(L, params_index);
    if (kumo_check_opt_boolean(L, check, args_index, "", "dry_run")) {
        lua_pushboolean(L, 1);
        lua_setfield(L, params_index, "DryRun");
    }
}

void kumo_ec2_describe_all(lua_State *L, const char *action, int params, int filters, int by_id,
                           const char *list_field, kumo_ec2_item_fn convert)
{
    params = lua_absindex(L, params);
    filters = lua_absindex(L, filters);
    if (lua_rawlen(L, filters) > 0) {
        lua_pushvalue(L, filters);
        lua_setfield(L, params, "Filter");
    }
    if (!by_id) {
        lua_pushinteger(L, MAX_RESULTS);
        lua_setfield(L, params, "MaxResults");
    }
    kumo_ec2_call_pages(L, action, params, list_field);
    int items = lua_gettop(L);
    lua_Integer n = (lua_Integer)lua_rawlen(L, items);
    lua_createtable(L, (int)n, 0);
    kumo_mark_array(L);
    lua_Integer count = 0;
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, items, i);
        if (convert(L, lua_gettop(L)))
            lua_rawseti(L, -3, ++count);
        lua_pop(L, 1);
    }
    lua_remove(L, items);
}
