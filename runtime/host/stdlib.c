/*
 * stdlib.c - finds the kumo stdlib for `require`: a package searcher that
 * serves "kumo.<name>" from the copies compiled into the binary, or, for
 * development, from a source directory (KUMO_STDLIB_PATH / options).
 */
#include "host/stdlib.h"

#include <string.h>

#include <lauxlib.h>

/* searcher(name) -> loader, origin | message. Upvalue 1: override dir or nil. */
static int stdlib_searcher(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    if (strncmp(name, "kumo.", 5) != 0 || strchr(name + 5, '/') || strstr(name, ".."))
        return 0;
    const char *dir = lua_tostring(L, lua_upvalueindex(1));
    if (dir) {
        luaL_gsub(L, name, ".", "/");
        const char *path = lua_pushfstring(L, "%s/%s.lua", dir, lua_tostring(L, -1));
        if (luaL_loadfilex(L, path, "t") != LUA_OK)
            return luaL_error(L, "error loading module '%s' from file '%s':\n\t%s", name, path,
                              lua_tostring(L, -1));
        lua_pushstring(L, path);
        return 2;
    }
    for (const struct kumo_stdlib_module *m = kumo_stdlib_modules; m->name; m++) {
        if (strcmp(m->name, name) != 0)
            continue;
        lua_pushfstring(L, "@%s", m->path);
        if (luaL_loadbufferx(L, m->source, m->length, lua_tostring(L, -1), "t") != LUA_OK)
            return luaL_error(L, "error loading module '%s':\n\t%s", name, lua_tostring(L, -1));
        lua_pushstring(L, m->path);
        return 2;
    }
    lua_pushfstring(L, "no module '%s' in kumo's stdlib", name);
    return 1;
}

void kumo_stdlib_install(lua_State *L, const char *override_dir)
{
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "searchers");
    /* shift searchers[2..n] up one and put ours at 2, right after preload */
    lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
    for (lua_Integer i = n; i >= 2; i--) {
        lua_rawgeti(L, -1, i);
        lua_rawseti(L, -2, i + 1);
    }
    if (override_dir)
        lua_pushstring(L, override_dir);
    else
        lua_pushnil(L);
    lua_pushcclosure(L, stdlib_searcher, 1);
    lua_rawseti(L, -2, 2);
    lua_pop(L, 2);
}
