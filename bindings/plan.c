/*
 * plan.c - the `kumo.plan` library: what a plan or dry-run run recorded on
 * the call path (runtime/aws/intercept.c), for stdlib/kumo/run.lua, and
 * the placeholder ids that stand for resources not created yet.
 */
#include <lauxlib.h>

#include "aws/intercept.h"
#include "bindings/bindings.h"

/* Pushes field `name` of the registry table kumo.plan (an empty table when
 * nothing was recorded). */
static void push_recorded(lua_State *L, const char *name)
{
    int top = lua_gettop(L);
    if (lua_getfield(L, LUA_REGISTRYINDEX, KUMO_PLAN_REGISTRY_KEY) != LUA_TTABLE ||
        lua_getfield(L, -1, name) != LUA_TTABLE) {
        lua_settop(L, top);
        lua_newtable(L);
        return;
    }
    lua_remove(L, -2);
}

/* plan.calls() -> { { action = "CreateSecurityGroup", params = { wire... },
 *                     id = "sg-0000000000000" .. "0001" | nil }, ... }
 * The mutating calls a plan run recorded instead of sending, in order. */
static int plan_calls(lua_State *L)
{
    lua_settop(L, 0);
    push_recorded(L, "calls");
    return 1;
}

/* plan.dry_run_results() -> { allowed = { { action, code, message,
 *   unverified? }, ... }, denied = { { action, code, message }, ... } } */
static int plan_dry_run_results(lua_State *L)
{
    lua_settop(L, 0);
    lua_createtable(L, 0, 2);
    push_recorded(L, "allowed");
    lua_setfield(L, 1, "allowed");
    push_recorded(L, "denied");
    lua_setfield(L, 1, "denied");
    return 1;
}

/* plan.is_placeholder(value) -> true when value is a placeholder id */
static int plan_is_placeholder(lua_State *L)
{
    lua_pushboolean(L, lua_type(L, 1) == LUA_TSTRING &&
                           kumo_intercept_is_placeholder(lua_tostring(L, 1)));
    return 1;
}

/* plan.placeholder(prefix) -> a new placeholder id ("sg" -> "sg-0000000000000000N") */
static int plan_placeholder(lua_State *L)
{
    const char *prefix = luaL_checkstring(L, 1);
    for (const char *p = prefix; *p; p++)
        luaL_argcheck(L, *p >= 'a' && *p <= 'z', 1, "lowercase letters expected");
    luaL_argcheck(L, *prefix && lua_rawlen(L, 1) <= 16, 1, "1 to 16 letters expected");
    kumo_intercept_push_placeholder(L, prefix);
    return 1;
}

static const luaL_Reg plan_functions[] = {{"calls", plan_calls},
                                          {"dry_run_results", plan_dry_run_results},
                                          {"is_placeholder", plan_is_placeholder},
                                          {"placeholder", plan_placeholder},
                                          {NULL, NULL}};

int luaopen_kumo_plan(lua_State *L)
{
    luaL_newlib(L, plan_functions);
    return 1;
}
