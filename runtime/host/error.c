/*
 * error.c - kumo.Error: the structured error raised into Lua for AWS,
 * network, credential and configuration failures; the one message handler
 * for host calls; and the conversion to the public struct kumo_error.
 */
#include "host/error.h"

#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#define ERROR_METATABLE "kumo.Error"

static const char *const string_fields[] = {"kind",       "operation", "code", "message",
                                            "request_id", "hint",      NULL};

/* tostring(err) -> "code: message (operation, request id X)" */
static int error_tostring(lua_State *L)
{
    luaL_Buffer b;
    lua_getfield(L, 1, "code");
    lua_getfield(L, 1, "message");
    lua_getfield(L, 1, "operation");
    lua_getfield(L, 1, "request_id");
    const char *code = lua_tostring(L, -4);
    const char *message = lua_tostring(L, -3);
    const char *operation = lua_tostring(L, -2);
    const char *request_id = lua_tostring(L, -1);
    /* the four strings stay referenced by their stack slots below the buffer */
    luaL_Buffer *buf = &b;
    luaL_buffinit(L, buf);
    if (code && *code) {
        luaL_addstring(buf, code);
        luaL_addstring(buf, ": ");
    }
    luaL_addstring(buf, message ? message : "unknown error");
    if ((operation && *operation) || (request_id && *request_id)) {
        luaL_addstring(buf, " (");
        if (operation && *operation)
            luaL_addstring(buf, operation);
        if (request_id && *request_id) {
            if (operation && *operation)
                luaL_addstring(buf, ", ");
            luaL_addstring(buf, "request id ");
            luaL_addstring(buf, request_id);
        }
        luaL_addstring(buf, ")");
    }
    luaL_pushresult(buf);
    return 1;
}

void kumo_error_register(lua_State *L)
{
    if (luaL_newmetatable(L, ERROR_METATABLE)) {
        lua_pushcfunction(L, error_tostring);
        lua_setfield(L, -2, "__tostring");
        lua_pushliteral(L, ERROR_METATABLE);
        lua_setfield(L, -2, "__name");
    }
    lua_pop(L, 1);
}

static void set_string(lua_State *L, const char *field, const char *value)
{
    if (value) {
        lua_pushstring(L, value);
        lua_setfield(L, -2, field);
    }
}

void kumo_error_push(lua_State *L, const struct kumo_error_info *info)
{
    lua_createtable(L, 0, 9);
    set_string(L, "kind", info->kind);
    set_string(L, "operation", info->operation);
    set_string(L, "code", info->code);
    set_string(L, "message", info->message);
    set_string(L, "request_id", info->request_id);
    set_string(L, "hint", info->hint);
    lua_pushinteger(L, info->http_status);
    lua_setfield(L, -2, "http_status");
    lua_pushinteger(L, info->attempts);
    lua_setfield(L, -2, "attempts");
    luaL_setmetatable(L, ERROR_METATABLE);
}

int kumo_error_raise(lua_State *L, const struct kumo_error_info *info)
{
    kumo_error_push(L, info);
    return lua_error(L);
}

/* 1 when the value at index is a table carrying the kumo.Error metatable. */
static int is_kumo_error(lua_State *L, int index)
{
    if (!lua_istable(L, index) || !lua_getmetatable(L, index))
        return 0;
    luaL_getmetatable(L, ERROR_METATABLE);
    int same = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
    return same;
}

/* Message handler: error value in, kumo.Error table (with traceback) out. */
int kumo_error_message_handler(lua_State *L)
{
    if (!is_kumo_error(L, 1)) {
        const char *message;
        if (lua_type(L, 1) == LUA_TSTRING || lua_type(L, 1) == LUA_TNUMBER)
            message = lua_tostring(L, 1);
        else if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
            message = lua_tostring(L, -1);
        else
            message = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
        struct kumo_error_info info = {.kind = "script", .message = message};
        kumo_error_push(L, &info);
        lua_replace(L, 1);
        lua_settop(L, 1);
    }
    luaL_traceback(L, L, NULL, 1);
    lua_setfield(L, 1, "traceback");
    lua_settop(L, 1);
    return 1;
}

static enum kumo_status status_for_kind(const char *kind, enum kumo_status fallback)
{
    static const struct {
        const char *kind;
        enum kumo_status status;
    } kinds[] = {{"aws", KUMO_ERROR_AWS},         {"http", KUMO_ERROR_HTTP},
                 {"timeout", KUMO_ERROR_TIMEOUT}, {"credentials", KUMO_ERROR_CREDENTIALS},
                 {"config", KUMO_ERROR_CONFIG},   {"script", KUMO_ERROR_SCRIPT},
                 {"usage", KUMO_ERROR_USAGE},     {"memory", KUMO_ERROR_MEMORY}};
    if (kind)
        for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
            if (strcmp(kind, kinds[i].kind) == 0)
                return kinds[i].status;
    return fallback;
}

static char *dup_or_null(const char *text)
{
    return text ? strdup(text) : NULL;
}

struct kumo_error *kumo_error_new(enum kumo_status status, const char *kind, const char *code,
                                  const char *message)
{
    struct kumo_error *error = calloc(1, sizeof *error);
    if (!error)
        return NULL;
    error->status = status;
    error->kind = dup_or_null(kind);
    error->code = dup_or_null(code);
    error->message = dup_or_null(message);
    return error;
}

/* Reads a string field of the table at index without invoking metamethods. */
static char *field_copy(lua_State *L, int index, const char *field)
{
    lua_pushstring(L, field);
    lua_rawget(L, index);
    char *copy = NULL;
    if (lua_type(L, -1) == LUA_TSTRING)
        copy = strdup(lua_tostring(L, -1));
    else if (lua_type(L, -1) == LUA_TNUMBER)
        copy = strdup(lua_tostring(L, -1));
    lua_pop(L, 1);
    return copy;
}

static lua_Integer field_integer(lua_State *L, int index, const char *field)
{
    lua_pushstring(L, field);
    lua_rawget(L, index);
    lua_Integer value = lua_isinteger(L, -1) ? lua_tointeger(L, -1) : 0;
    lua_pop(L, 1);
    return value;
}

struct kumo_error *kumo_error_from_lua(lua_State *L, int index, enum kumo_status fallback)
{
    index = lua_absindex(L, index);
    if (!lua_checkstack(L, 4))
        return kumo_error_new(KUMO_ERROR_MEMORY, "memory", NULL, "out of memory");
    if (!lua_istable(L, index)) {
        const char *message = lua_tostring(L, index);
        return kumo_error_new(fallback, "script", NULL, message ? message : "unknown error");
    }
    struct kumo_error *error = calloc(1, sizeof *error);
    if (!error)
        return NULL;
    char **targets[] = {&error->kind,    &error->operation,  &error->code,
                        &error->message, &error->request_id, &error->hint};
    for (size_t i = 0; string_fields[i]; i++)
        *targets[i] = field_copy(L, index, string_fields[i]);
    error->traceback = field_copy(L, index, "traceback");
    error->http_status = (long)field_integer(L, index, "http_status");
    error->attempts = (int)field_integer(L, index, "attempts");
    error->status = status_for_kind(error->kind, fallback);
    if (!error->message)
        error->message = strdup("unknown error");
    return error;
}

void kumo_error_store(struct kumo_error **slot, struct kumo_error *value)
{
    if (slot)
        *slot = value;
    else
        kumo_error_free(value);
}

void kumo_error_free(struct kumo_error *error)
{
    if (!error)
        return;
    free(error->kind);
    free(error->operation);
    free(error->code);
    free(error->message);
    free(error->request_id);
    free(error->hint);
    free(error->traceback);
    free(error);
}
