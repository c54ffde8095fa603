/*
 * bindings.h - the Lua-facing libraries kumo registers in every runtime.
 * Each luaopen_* pushes its module table (luaL_Reg style) and returns 1;
 * runtime/host/runtime.c preloads them as "kumo.<name>" and sets the globals
 * ec2, json, log.
 */
#ifndef KUMO_BINDINGS_H
#define KUMO_BINDINGS_H

#include <lua.h>

int luaopen_kumo_ec2(lua_State *L);  /* ec2.call and the typed bindings (ec2_*.c) */
int luaopen_kumo_json(lua_State *L); /* json.encode, json.decode, json.null */
int luaopen_kumo_log(lua_State *L);  /* log.info, log.warn, log.error */

#endif
