/*
 * libraries.c - the allow-list of Lua standard libraries. Unlike
 * luaL_openlibs, it opens only what the runtime's options allow: the safe
 * set (base without dofile/loadfile and with text-only load, string, table,
 * math, utf8, coroutine, a restricted os, package with require limited to
 * package.preload) plus what each KUMO_LIB_* flag adds back.
 */
#include "host/host_modules.h"

#include <lauxlib.h>
#include <lualib.h>

#include "host/limits.h"
#include "kumo.h"

/* load(chunk [, chunkname [, mode [, env]]]) with mode forced to "t": a
 * binary chunk is refused ("attempt to load a binary chunk (mode is 't')").
 * Upvalue 1: the original load. */
static int load_text_only(lua_State *L)
{
    if (lua_gettop(L) < 3)
        lua_settop(L, 3);
    lua_pushliteral(L, "t");
    lua_replace(L, 3);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

/* The message handler xpcall really gets: calls the script's handler
 * (upvalue 1), except while the run is stopping. A hook raising the stop
 * leaves Lua's hooks off until the error reaches a pcall, so a script's
 * handler would then run unchecked (`xpcall(f, function() while true do
 * end end)`); during a stop it is skipped and the error passes through. */
static int guarded_handler(lua_State *L)
{
    if (kumo_limits_stopping(L))
        return 1;
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

static int finish_xpcall(lua_State *L, int status, lua_KContext context)
{
    (void)status;
    (void)context;
    return lua_gettop(L);
}

/* xpcall(f, msgh, ...) with msgh guarded. Upvalue 1: the original xpcall.
 * f may yield (lua_callk). */
static int guarded_xpcall(lua_State *L)
{
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_pushvalue(L, 2);
    lua_pushcclosure(L, guarded_handler, 1);
    lua_replace(L, 2);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_callk(L, lua_gettop(L) - 1, LUA_MULTRET, 0, finish_xpcall);
    return finish_xpcall(L, LUA_OK, 0);
}

/* setmetatable(t, mt) refusing a __gc field: Lua runs finalizers with
 * hooks off, so neither the time limit nor a cancel could stop one. Upvalue
 * 1: the original setmetatable. */
static int setmetatable_without_gc(lua_State *L)
{
    if (lua_type(L, 2) == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        if (lua_rawget(L, 2) != LUA_TNIL)
            return luaL_argerror(L, 2, "__gc metamethods are not allowed (KUMO_LIB_DEBUG)");
        lua_pop(L, 1);
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

/* Replaces globals[name] with `wrapper` closing over the original. */
static void wrap_global(lua_State *L, int globals, const char *name, lua_CFunction wrapper)
{
    lua_getfield(L, globals, name);
    lua_pushcclosure(L, wrapper, 1);
    lua_setfield(L, globals, name);
}

/* The os functions that neither touch the system nor reveal it. */
static void open_restricted_os(lua_State *L)
{
    static const char *const kept[] = {"time", "clock", "date", "difftime", NULL};
    lua_pushcfunction(L, luaopen_os);
    lua_call(L, 0, 1); /* the full os table, never registered */
    lua_createtable(L, 0, 4);
    for (int i = 0; kept[i]; i++) {
        lua_getfield(L, -2, kept[i]);
        lua_setfield(L, -2, kept[i]);
    }
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    lua_pushvalue(L, -2);
    lua_setfield(L, -2, LUA_OSLIBNAME);
    lua_pop(L, 1);
    lua_setglobal(L, LUA_OSLIBNAME);
    lua_pop(L, 1);
}

static void clear_field(lua_State *L, int table, const char *name)
{
    lua_pushnil(L);
    lua_setfield(L, table, name);
}

/* package.searchers keeps preload, plus the Lua file searcher (FILES) and
 * the two C searchers (NATIVE). Stack: package table on top. */
static void restrict_package(lua_State *L, unsigned libraries)
{
    int package = lua_gettop(L);
    lua_getfield(L, package, "searchers");
    int old = lua_gettop(L);
    lua_createtable(L, 4, 0);
    int n = 0;
    for (lua_Integer i = 1; i <= 4; i++) {
        int keep = i == 1 || (i == 2 && (libraries & KUMO_LIB_FILES)) ||
                   (i >= 3 && (libraries & KUMO_LIB_NATIVE));
        if (!keep)
            continue;
        lua_rawgeti(L, old, i);
        lua_rawseti(L, -2, ++n);
    }
    lua_setfield(L, package, "searchers");
    lua_pop(L, 1);
    if (!(libraries & KUMO_LIB_NATIVE)) {
        clear_field(L, package, "loadlib");
        clear_field(L, package, "cpath");
    }
    if (!(libraries & KUMO_LIB_FILES)) {
        clear_field(L, package, "path");
        clear_field(L, package, "searchpath");
    }
}

void kumo_libraries_open(lua_State *L, unsigned libraries)
{
    static const luaL_Reg safe[] = {
        {LUA_GNAME, luaopen_base},          {LUA_LOADLIBNAME, luaopen_package},
        {LUA_COLIBNAME, luaopen_coroutine}, {LUA_TABLIBNAME, luaopen_table},
        {LUA_STRLIBNAME, luaopen_string},   {LUA_MATHLIBNAME, luaopen_math},
        {LUA_UTF8LIBNAME, luaopen_utf8},    {NULL, NULL}};
    for (const luaL_Reg *lib = safe; lib->name; lib++) {
        luaL_requiref(L, lib->name, lib->func, 1);
        lua_pop(L, 1);
    }
    if (libraries & KUMO_LIB_IO) {
        luaL_requiref(L, LUA_IOLIBNAME, luaopen_io, 1);
        lua_pop(L, 1);
    }
    if (libraries & KUMO_LIB_DEBUG) {
        luaL_requiref(L, LUA_DBLIBNAME, luaopen_debug, 1);
        lua_pop(L, 1);
    }
    if (libraries & KUMO_LIB_OS) {
        luaL_requiref(L, LUA_OSLIBNAME, luaopen_os, 1);
        lua_pop(L, 1);
    } else {
        open_restricted_os(L);
    }

    lua_pushglobaltable(L);
    int globals = lua_gettop(L);
    if (!(libraries & KUMO_LIB_FILES)) {
        clear_field(L, globals, "dofile");
        clear_field(L, globals, "loadfile");
    }
    if (!(libraries & KUMO_LIB_BYTECODE))
        wrap_global(L, globals, "load", load_text_only);
    wrap_global(L, globals, "xpcall", guarded_xpcall);
    if (!(libraries & KUMO_LIB_DEBUG))
        wrap_global(L, globals, "setmetatable", setmetatable_without_gc);
    lua_getfield(L, globals, LUA_LOADLIBNAME);
    restrict_package(L, libraries);
    lua_pop(L, 2);
}
