/*
 * json.c - the `json` Lua library: json.encode, json.decode and json.null.
 * A thin layer over runtime/aws/json.h (which owns cJSON); this file sees
 * only Lua and the runtime's private headers.
 */
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "aws/json.h"
#include "aws/xml.h"
#include "bindings/bindings.h"

/* lua_pcall'ed: [1] = a malloc'ed NUL-terminated string (light userdata).
 * Pushes it as a Lua string. */
static int push_text(lua_State *L)
{
    lua_pushstring(L, lua_touserdata(L, 1));
    return 1;
}

/* Reads the options table of json.encode (argument 2): only `pretty`. */
static int check_encode_options(lua_State *L)
{
    int pretty = 0;
    if (lua_isnoneornil(L, 2))
        return 0;
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_pushnil(L);
    while (lua_next(L, 2) != 0) {
        if (lua_type(L, -2) != LUA_TSTRING || strcmp(lua_tostring(L, -2), "pretty") != 0) {
            lua_pop(L, 1);
            lua_pushfstring(L, "unknown option '%s'",
                            lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1)
                                                           : luaL_typename(L, -1));
            luaL_argerror(L, 2, lua_tostring(L, -1));
        }
        if (lua_type(L, -1) != LUA_TBOOLEAN)
            luaL_argerror(
                L, 2, lua_pushfstring(L, "pretty: boolean expected, got %s", luaL_typename(L, -1)));
        pretty = lua_toboolean(L, -1);
        lua_pop(L, 1);
    }
    return pretty;
}

/*
 * json.encode(value [, { pretty = true }]) -> string
 * Tables with keys 1..n and tables marked as kumo.array become arrays (an
 * empty marked table is []); other tables become objects with sorted keys
 * (an empty plain table is {}). json.null and nil become null.
 * Raises "json.encode: <path>: <reason>" for a value JSON cannot hold (a
 * function, NaN, a cycle, ...), e.g. "json.encode: $.rules[2]: cannot encode
 * a function".
 */
static int json_encode(lua_State *L)
{
    char message[512];
    luaL_checkany(L, 1);
    int pretty = check_encode_options(L);
    char *text = kumo_json_encode(L, 1, pretty, message, sizeof message);
    if (text == NULL)
        return luaL_error(L, "json.encode: %s", message);
    lua_pushcfunction(L, push_text);
    lua_pushlightuserdata(L, text);
    int status = lua_pcall(L, 1, 1, 0);
    free(text);
    if (status != LUA_OK)
        return lua_error(L);
    return 1;
}

/*
 * json.decode(text) -> value
 * Objects become tables, arrays become tables marked as kumo.array, null
 * becomes json.null, integral numbers become integers.
 * Raises "json.decode: <reason> at byte N" on invalid JSON.
 */
static int json_decode(lua_State *L)
{
    char message[256];
    size_t length;
    const char *text = luaL_checklstring(L, 1, &length);
    if (kumo_json_push_decoded(L, text, length, message, sizeof message) != 0)
        return luaL_error(L, "json.decode: %s", message);
    return 1;
}

static const luaL_Reg json_functions[] = {
    {"encode", json_encode},
    {"decode", json_decode},
    {NULL, NULL},
};

int luaopen_kumo_json(lua_State *L)
{
    kumo_xml_register_array_metatable(L);
    luaL_newlib(L, json_functions);
    kumo_json_push_null(L);
    lua_setfield(L, -2, "null");
    return 1;
}
