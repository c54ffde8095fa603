/*
 * host_modules.c - the host's own Lua modules: C functions that take and
 * return JSON (kumo_runtime_register_function()) and modules written in Lua
 * (kumo_runtime_register_module()), both served by package.preload, so the
 * safe set's `require` finds them.
 *
 * The registry table "kumo.host_modules" maps each host module name to its
 * function table (C functions) or to `true` (a Lua source module).
 */
#include "host/host_modules.h"

#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "aws/json.h"
#include "host/error.h"
#include "host/limits.h"
#include "host/runtime_internal.h"

#define HOST_MODULES_KEY "kumo.host_modules"
#define HOST_CALL_METATABLE "kumo.HostCall"

/* The call box: a userdata owned by Lua for the length of one host call, so
 * that a raise at any point (a memory error while decoding) frees the
 * strings it holds through __gc. */
struct kumo_host_call {
    char *args;    /* the arguments as JSON, from kumo_json_encode */
    char *result;  /* kumo_host_call_return_json() */
    char *failure; /* kumo_host_call_fail() */
};

/* Upvalue 1 of each host function's closure (a userdata). */
struct host_function {
    kumo_host_fn fn;
    void *user_data;
};

static void call_clear(struct kumo_host_call *call)
{
    free(call->args);
    free(call->result);
    free(call->failure);
    call->args = call->result = call->failure = NULL;
}

static int call_gc(lua_State *L)
{
    call_clear(luaL_checkudata(L, 1, HOST_CALL_METATABLE));
    return 0;
}

void kumo_host_modules_setup(lua_State *L)
{
    if (luaL_newmetatable(L, HOST_CALL_METATABLE)) {
        lua_pushcfunction(L, call_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_pop(L, 1);
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, HOST_MODULES_KEY);
}

enum kumo_status kumo_host_call_return_json(struct kumo_host_call *call, const char *json)
{
    if (!call || !json)
        return KUMO_ERROR_USAGE;
    char *copy = strdup(json);
    if (!copy)
        return KUMO_ERROR_MEMORY;
    free(call->result);
    free(call->failure);
    call->result = copy;
    call->failure = NULL;
    return KUMO_OK;
}

enum kumo_status kumo_host_call_fail(struct kumo_host_call *call, const char *message)
{
    if (!call || !message)
        return KUMO_ERROR_USAGE;
    char *copy = strdup(message);
    if (!copy)
        return KUMO_ERROR_MEMORY;
    free(call->result);
    free(call->failure);
    call->failure = copy;
    call->result = NULL;
    return KUMO_OK;
}

/* module.name(...) -> the decoded JSON the host returned (nil for none or
 * null). Raises "<where>: <message>" when the host failed the call,
 * "module.name: cannot pass the arguments: $[2]: ..." for arguments JSON
 * cannot hold, "module.name returned invalid JSON: ..." for a bad answer.
 * Upvalues: the struct host_function, the module name, the function name. */
static int host_call(lua_State *L)
{
    const struct host_function *f = lua_touserdata(L, lua_upvalueindex(1));
    const char *module = lua_tostring(L, lua_upvalueindex(2));
    const char *name = lua_tostring(L, lua_upvalueindex(3));
    int n = lua_gettop(L);
    struct kumo_host_call *call = lua_newuserdatauv(L, sizeof *call, 0);
    memset(call, 0, sizeof *call);
    luaL_setmetatable(L, HOST_CALL_METATABLE);
    lua_createtable(L, n, 0);
    for (int i = 1; i <= n; i++) {
        if (lua_isnil(L, i))
            kumo_json_push_null(L);
        else
            lua_pushvalue(L, i);
        lua_rawseti(L, -2, i);
    }
    luaL_setmetatable(L, "kumo.array");
    char message[512];
    call->args = kumo_json_encode(L, -1, 0, message, sizeof message);
    if (!call->args)
        return luaL_error(L, "%s.%s: cannot pass the arguments: %s", module, name, message);
    lua_pop(L, 1);

    f->fn(f->user_data, call->args, call);

    free(call->args);
    call->args = NULL;
    if (call->failure) {
        luaL_where(L, 1);
        lua_pushstring(L, call->failure);
        call_clear(call);
        lua_concat(L, 2);
        return lua_error(L);
    }
    if (!call->result)
        return 0;
    int decoded =
        kumo_json_push_decoded(L, call->result, strlen(call->result), message, sizeof message);
    call_clear(call);
    if (decoded != 0)
        return luaL_error(L, "%s.%s returned invalid JSON: %s", module, name, message);
    kumo_json_push_null(L);
    if (lua_rawequal(L, -1, -2))
        return 0;
    lua_pop(L, 1);
    return 1;
}

/* package.preload loader of a C function module: returns its table.
 * Upvalue 1: the table. */
static int load_function_module(lua_State *L)
{
    lua_pushvalue(L, lua_upvalueindex(1));
    return 1;
}

struct registration {
    const char *module;
    const char *name; /* function name; NULL for a source module */
    kumo_host_fn fn;
    void *user_data;
    const char *source;      /* source module */
    enum kumo_status status; /* set by the protected function on refusal */
    char *message;           /* syntax error (malloc'ed) */
};

static int is_reserved(const char *module)
{
    static const char *const builtin[] = {"kumo", "_G",     "package", "coroutine", "table", "io",
                                          "os",   "string", "math",    "utf8",      "debug", NULL};
    if (strncmp(module, "kumo.", 5) == 0)
        return 1;
    for (int i = 0; builtin[i]; i++)
        if (strcmp(module, builtin[i]) == 0)
            return 1;
    return 0;
}

/* Pushes registry[HOST_MODULES_KEY][module]; 1 when a module of that name
 * is taken by something else than the host (loaded or preloaded). */
static int taken_elsewhere(lua_State *L, const char *module)
{
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    int loaded = lua_getfield(L, -1, module) != LUA_TNIL;
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
    int preloaded = lua_getfield(L, -1, module) != LUA_TNIL;
    lua_pop(L, 4);
    return loaded || preloaded;
}

/* Protected: stack 1 = struct registration. */
static int register_in_lua(lua_State *L)
{
    struct registration *r = lua_touserdata(L, 1);
    lua_getfield(L, LUA_REGISTRYINDEX, HOST_MODULES_KEY);
    int modules = lua_gettop(L);
    int existing = lua_getfield(L, modules, r->module);
    if (!r->name) { /* a Lua source module */
        if (existing != LUA_TNIL || taken_elsewhere(L, r->module)) {
            r->status = KUMO_ERROR_USAGE;
            return 0;
        }
        const char *chunk_name = lua_pushfstring(L, "=%s", r->module);
        int loaded = luaL_loadbufferx(L, r->source, strlen(r->source), chunk_name, "t");
        if (loaded != LUA_OK) {
            if (loaded == LUA_ERRMEM)
                return lua_error(L);
            r->status = KUMO_ERROR_SCRIPT;
            r->message = strdup(lua_tostring(L, -1));
            return 0;
        }
        luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
        lua_insert(L, -2);
        lua_setfield(L, -2, r->module);
        lua_pushboolean(L, 1);
        lua_setfield(L, modules, r->module);
        return 0;
    }
    if (existing == LUA_TNIL) {
        if (taken_elsewhere(L, r->module)) {
            r->status = KUMO_ERROR_USAGE;
            return 0;
        }
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, modules, r->module);
        luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
        lua_pushvalue(L, -2);
        lua_pushcclosure(L, load_function_module, 1);
        lua_setfield(L, -2, r->module);
        lua_pop(L, 1);
    } else if (existing != LUA_TTABLE) { /* a source module of that name */
        r->status = KUMO_ERROR_USAGE;
        return 0;
    }
    /* stack: ... modules, function table */
    struct host_function *f = lua_newuserdatauv(L, sizeof *f, 0);
    f->fn = r->fn;
    f->user_data = r->user_data;
    lua_pushstring(L, r->module);
    lua_pushstring(L, r->name);
    lua_pushcclosure(L, host_call, 3);
    lua_setfield(L, -2, r->name);
    return 0;
}

static enum kumo_status run_registration(struct kumo_runtime *runtime, struct registration *r)
{
    lua_State *L = runtime->L;
    lua_pushcfunction(L, register_in_lua);
    lua_pushlightuserdata(L, r);
    enum kumo_status status = KUMO_OK;
    int rc = lua_pcall(L, 1, 0, 0);
    if (rc != LUA_OK) {
        lua_pop(L, 1);
        status = runtime->limits.memory_limit && runtime->limits.refusals ? KUMO_ERROR_LIMIT
                                                                          : KUMO_ERROR_MEMORY;
    } else {
        status = r->status;
    }
    kumo_limits_reset_refusals(runtime);
    return status;
}

enum kumo_status kumo_runtime_register_function(struct kumo_runtime *runtime, const char *module,
                                                const char *name, kumo_host_fn fn, void *user_data)
{
    if (!runtime || !module || !*module || !name || !*name || !fn || runtime->running ||
        is_reserved(module))
        return KUMO_ERROR_USAGE;
    struct registration r = {
        .module = module, .name = name, .fn = fn, .user_data = user_data, .status = KUMO_OK};
    return run_registration(runtime, &r);
}

enum kumo_status kumo_runtime_register_module(struct kumo_runtime *runtime, const char *name,
                                              const char *lua_source, struct kumo_error **error)
{
    if (error)
        *error = NULL;
    const char *refusal = NULL;
    if (!runtime || !name || !*name || !lua_source)
        refusal = "kumo_runtime_register_module: a runtime, a name and a source are required";
    else if (runtime->running)
        refusal = "kumo_runtime_register_module: a run is in progress";
    else if (is_reserved(name))
        refusal = "kumo_runtime_register_module: the module name is reserved";
    if (refusal) {
        kumo_error_store(error, kumo_error_new(KUMO_ERROR_USAGE, "usage", NULL, refusal));
        return KUMO_ERROR_USAGE;
    }
    struct registration r = {.module = name, .source = lua_source, .status = KUMO_OK};
    enum kumo_status status = run_registration(runtime, &r);
    if (status == KUMO_ERROR_USAGE)
        kumo_error_store(error,
                         kumo_error_new(status, "usage", NULL,
                                        "kumo_runtime_register_module: the module name is taken"));
    else if (status == KUMO_ERROR_SCRIPT)
        kumo_error_store(
            error, kumo_error_new(status, "script", NULL, r.message ? r.message : "syntax error"));
    else if (status == KUMO_ERROR_LIMIT)
        kumo_error_store(error, kumo_error_new(status, "limit", "MemoryLimitExceeded",
                                               "the module does not fit in memory_limit_bytes"));
    else if (status != KUMO_OK)
        kumo_error_store(error, kumo_error_new(status, "memory", NULL, "out of memory"));
    free(r.message);
    return status;
}
