/*
 * log.c - the `log` library: log.info, log.warn, log.error write one line
 * to the host's log sink (stderr for the `kumo` command; -q hides info).
 */
#include <lauxlib.h>

#include "bindings/bindings.h"
#include "host/log.h"
#include "host/runtime_internal.h"

/* Builds the line: string.format(fmt, ...) when there are extra arguments,
 * else tostring(fmt). Leaves the line on the stack top. */
static const char *log_line(lua_State *L)
{
    if (lua_gettop(L) > 1) {
        luaL_checkstring(L, 1);
        lua_getglobal(L, "string");
        lua_getfield(L, -1, "format");
        lua_remove(L, -2);
        lua_insert(L, 1);
        lua_call(L, lua_gettop(L) - 1, 1);
        return lua_tostring(L, -1);
    }
    return luaL_tolstring(L, 1, NULL);
}

static int log_at(lua_State *L, enum kumo_log_level level)
{
    luaL_checkany(L, 1);
    struct kumo_runtime *runtime = kumo_runtime_from_lua(L);
    if (!kumo_log_enabled(runtime, level))
        return 0;
    kumo_log(runtime, level, "%s", log_line(L));
    return 0;
}

/* log.info(message, ...) -> nothing; with more arguments, string.format(message, ...) */
static int log_info(lua_State *L)
{
    return log_at(L, KUMO_LOG_INFO);
}

/* log.warn(message, ...) -> nothing */
static int log_warn(lua_State *L)
{
    return log_at(L, KUMO_LOG_WARN);
}

/* log.error(message, ...) -> nothing (it does not raise; use error() to stop) */
static int log_error(lua_State *L)
{
    return log_at(L, KUMO_LOG_ERROR);
}

/* log.report(message, ...) -> nothing: a line of the run's report (a plan,
 * dry-run results), shown even with -q and printed without a prefix */
static int log_report(lua_State *L)
{
    return log_at(L, KUMO_LOG_REPORT);
}

static const luaL_Reg log_functions[] = {{"info", log_info},
                                         {"warn", log_warn},
                                         {"error", log_error},
                                         {"report", log_report},
                                         {NULL, NULL}};

int luaopen_kumo_log(lua_State *L)
{
    luaL_newlib(L, log_functions);
    return 1;
}
