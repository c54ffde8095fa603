/*
 * host_modules.h - what a fresh Lua state gets beyond the kumo libraries:
 * the Lua standard libraries the options allow (libraries.c), and the
 * machinery behind the host's own modules (host_modules.c; the public side
 * is kumo_runtime_register_function() / _register_module() in kumo.h).
 */
#ifndef KUMO_HOST_MODULES_H
#define KUMO_HOST_MODULES_H

#include <lua.h>

/* Opens the Lua standard libraries allowed by `libraries` (KUMO_LIB_*
 * flags; 0: the safe set), with package.searchers reduced to what they
 * allow (preload always; Lua files with KUMO_LIB_FILES; C modules with
 * KUMO_LIB_NATIVE). The kumo stdlib searcher is added afterwards. Raises on
 * memory errors (call it in protected mode). */
void kumo_libraries_open(lua_State *L, unsigned libraries);

/* Registers what host modules need in a fresh state (the call box
 * metatable, the registry of host modules). Raises on memory errors. */
void kumo_host_modules_setup(lua_State *L);

#endif
