/*
 * intercept.c - plan and dry-run interception on the one call path (see
 * intercept.h): records mutating calls instead of sending them (plan),
 * adds DryRun=true and turns DryRunOperation / UnauthorizedOperation into
 * recorded results (dry run), and makes the placeholder ids that stand for
 * resources a plan would create.
 *
 * Everything recorded is a Lua table in the registry, so a raised error
 * (memory) leaks nothing.
 */
#include "aws/intercept.h"

#include <stdio.h>
#include <string.h>

#include <lauxlib.h>

#include "host/runtime_internal.h"

#define COPY_MAX_DEPTH 32

int kumo_intercept_is_mutating(const char *action)
{
    static const char *const reads[] = {"Describe", "Get", "List", NULL};
    for (size_t i = 0; reads[i]; i++)
        if (strncmp(action, reads[i], strlen(reads[i])) == 0)
            return 0;
    return 1;
}

int kumo_intercept_is_placeholder(const char *id)
{
    const char *dash = id ? strchr(id, '-') : NULL;
    if (!dash || dash == id)
        return 0;
    for (const char *p = id; p < dash; p++)
        if (*p < 'a' || *p > 'z')
            return 0;
    const char *digits = dash + 1;
    size_t zeros = strlen(KUMO_PLACEHOLDER_ZEROS);
    if (strlen(digits) != zeros + 4 || strncmp(digits, KUMO_PLACEHOLDER_ZEROS, zeros) != 0)
        return 0;
    for (const char *p = digits + zeros; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return 0;
    return 1;
}

/* Pushes the registry table "kumo.plan", creating it (and its lists) on
 * first use. */
static void push_state(lua_State *L)
{
    if (luaL_getsubtable(L, LUA_REGISTRYINDEX, KUMO_PLAN_REGISTRY_KEY))
        return;
    static const char *const lists[] = {"calls", "allowed", "denied"};
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        lua_newtable(L);
        lua_setfield(L, -2, lists[i]);
    }
    lua_pushinteger(L, 0);
    lua_setfield(L, -2, "next_id");
}

void kumo_intercept_push_placeholder(lua_State *L, const char *prefix)
{
    push_state(L);
    lua_getfield(L, -1, "next_id");
    lua_Integer next = lua_tointeger(L, -1) + 1;
    lua_pop(L, 1);
    lua_pushinteger(L, next);
    lua_setfield(L, -2, "next_id");
    lua_pop(L, 1);
    char id[64];
    snprintf(id, sizeof id, "%.16s-%s%04x", prefix, KUMO_PLACEHOLDER_ZEROS,
             (unsigned)(next & 0xffff));
    lua_pushstring(L, id);
}

/* Appends the value on top of the stack to list `name` of the state table
 * (pops the value). */
static void append_to(lua_State *L, const char *name)
{
    push_state(L);
    lua_getfield(L, -1, name);
    lua_pushvalue(L, -3);
    lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
    lua_pop(L, 3);
}

/* Pushes a deep copy of the value at `index` (tables keep their metatable). */
static void push_copy(lua_State *L, int index, int depth)
{
    index = lua_absindex(L, index);
    if (lua_type(L, index) != LUA_TTABLE || depth >= COPY_MAX_DEPTH) {
        lua_pushvalue(L, index);
        return;
    }
    luaL_checkstack(L, 4, "copying the request parameters");
    lua_newtable(L);
    lua_pushnil(L);
    while (lua_next(L, index)) {
        lua_pushvalue(L, -2);
        push_copy(L, -2, depth + 1);
        lua_rawset(L, -5);
        lua_pop(L, 1);
    }
    if (lua_getmetatable(L, index))
        lua_setmetatable(L, -2);
}

/* 1 when some string in the table at `index` (nested) is a placeholder id. */
static int names_placeholder(lua_State *L, int index, int depth)
{
    index = lua_absindex(L, index);
    if (lua_type(L, index) != LUA_TTABLE || depth >= COPY_MAX_DEPTH)
        return 0;
    luaL_checkstack(L, 3, "reading the request parameters");
    int found = 0;
    lua_pushnil(L);
    while (!found && lua_next(L, index)) {
        if (lua_type(L, -1) == LUA_TSTRING)
            found = kumo_intercept_is_placeholder(lua_tostring(L, -1));
        else
            found = names_placeholder(L, -1, depth + 1);
        lua_pop(L, 1);
    }
    if (found)
        lua_pop(L, 1); /* the key lua_next left */
    return found;
}

/* Pushes an empty array (kumo.array metatable, so JSON writes []). */
static void push_empty_array(lua_State *L)
{
    lua_newtable(L);
    luaL_getmetatable(L, "kumo.array");
    if (lua_isnil(L, -1))
        lua_pop(L, 1);
    else
        lua_setmetatable(L, -2);
}

/* Pushes the response EC2 would send to a successful `action`, with a new
 * placeholder id where EC2 would name a new resource. */
static void push_response(lua_State *L, const char *action, int params_index)
{
    lua_newtable(L);
    int response = lua_gettop(L);
    lua_pushliteral(L, "true");
    lua_setfield(L, response, "return");
    lua_pushliteral(L, "plan-0000");
    lua_setfield(L, response, "requestId");
    if (strcmp(action, "CreateSecurityGroup") == 0) {
        kumo_intercept_push_placeholder(L, "sg");
        lua_setfield(L, response, "groupId");
    } else if (strcmp(action, "CreateVpc") == 0) {
        lua_newtable(L);
        kumo_intercept_push_placeholder(L, "vpc");
        lua_setfield(L, -2, "vpcId");
        if (params_index != 0 && lua_getfield(L, params_index, "CidrBlock") == LUA_TSTRING)
            lua_setfield(L, -2, "cidrBlock");
        else
            lua_pop(L, 1);
        lua_pushliteral(L, "pending");
        lua_setfield(L, -2, "state");
        lua_setfield(L, response, "vpc");
    } else if (strncmp(action, "AuthorizeSecurityGroup", 22) == 0) {
        push_empty_array(L);
        lua_setfield(L, response, "securityGroupRuleSet");
    }
}

/* The id a synthesized response introduced (groupId, vpc.vpcId), pushed,
 * or nil. */
static void push_new_id(lua_State *L, int response)
{
    if (lua_getfield(L, response, "groupId") == LUA_TSTRING)
        return;
    lua_pop(L, 1);
    if (lua_getfield(L, response, "vpc") == LUA_TTABLE) {
        lua_getfield(L, -1, "vpcId");
        lua_remove(L, -2);
        return;
    }
    lua_pop(L, 1);
    lua_pushnil(L);
}

int kumo_intercept_before(lua_State *L, struct kumo_runtime *rt, const char *action,
                          int *params_index)
{
    if (rt->run_mode != KUMO_RUN_PLAN && rt->run_mode != KUMO_RUN_DRY_RUN)
        return 0;
    if (!kumo_intercept_is_mutating(action))
        return 0;
    int params = *params_index ? lua_absindex(L, *params_index) : 0;
    if (params && lua_type(L, params) != LUA_TTABLE)
        params = 0;
    if (rt->run_mode == KUMO_RUN_DRY_RUN) {
        /* a copy, so a caller's own table (ec2.call) is left as it was */
        lua_newtable(L);
        if (params) {
            lua_pushnil(L);
            while (lua_next(L, params)) {
                lua_pushvalue(L, -2);
                lua_insert(L, -2);
                lua_rawset(L, -4);
            }
        }
        lua_pushliteral(L, "true");
        lua_setfield(L, -2, "DryRun");
        if (params) {
            lua_replace(L, params);
        } else {
            *params_index = lua_gettop(L);
        }
        return 0;
    }
    /* plan: record { action, params, id } and answer like EC2 */
    push_response(L, action, params);
    int response = lua_gettop(L);
    lua_createtable(L, 0, 3);
    lua_pushstring(L, action);
    lua_setfield(L, -2, "action");
    if (params)
        push_copy(L, params, 0);
    else
        lua_newtable(L);
    lua_setfield(L, -2, "params");
    push_new_id(L, response);
    lua_setfield(L, -2, "id");
    append_to(L, "calls");
    return 1;
}

int kumo_intercept_error(lua_State *L, struct kumo_runtime *rt, const char *action,
                         int params_index, const char *code, const char *message, long http_status)
{
    if (rt->run_mode != KUMO_RUN_DRY_RUN || !code || !kumo_intercept_is_mutating(action))
        return 0;
    const char *list;
    int unverified = 0;
    size_t code_length = strlen(code);
    if (strcmp(code, "DryRunOperation") == 0) {
        list = "allowed";
    } else if (strcmp(code, "UnauthorizedOperation") == 0 || strcmp(code, "AccessDenied") == 0 ||
               strcmp(code, "AccessDeniedException") == 0) {
        list = "denied";
    } else if (code_length > 9 && strcmp(code + code_length - 9, ".NotFound") == 0 &&
               params_index != 0 && names_placeholder(L, params_index, 0)) {
        list = "allowed";
        unverified = 1;
    } else {
        return 0;
    }
    push_response(L, action, 0);
    lua_createtable(L, 0, 5);
    lua_pushstring(L, action);
    lua_setfield(L, -2, "action");
    lua_pushstring(L, code);
    lua_setfield(L, -2, "code");
    lua_pushstring(L, message ? message : "");
    lua_setfield(L, -2, "message");
    lua_pushinteger(L, http_status);
    lua_setfield(L, -2, "http_status");
    if (unverified) {
        lua_pushboolean(L, 1);
        lua_setfield(L, -2, "unverified");
    }
    append_to(L, list);
    return 1;
}
