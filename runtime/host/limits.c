/*
 * limits.c - the memory cap (the runtime's lua_Alloc), the time limit and
 * cancelling (a count hook), and the stop a script's pcall cannot swallow.
 * See limits.h for how a stop propagates.
 */
#include "host/limits.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lauxlib.h>

#include "host/error.h"
#include "host/log.h"
#include "host/runtime_internal.h"

static int64_t monotonic_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* The runtime of any thread of its state: the allocator's user data, read
 * without allocating (the hook may run with the cap reached). */
static struct kumo_runtime *runtime_of(lua_State *L)
{
    void *ud = NULL;
    lua_getallocf(L, &ud);
    return ud;
}

static void limit_hook(lua_State *L, lua_Debug *ar);

/* Makes `L` (and the main thread) run the hook on every instruction. */
static void escalate(struct kumo_runtime *runtime, lua_State *L)
{
    if (L && lua_gethookcount(L) != 1)
        lua_sethook(L, limit_hook, LUA_MASKCOUNT, 1);
    if (runtime->L && runtime->L != L && lua_gethookcount(runtime->L) != 1)
        lua_sethook(runtime->L, limit_hook, LUA_MASKCOUNT, 1);
}

static void set_stop(struct kumo_runtime *runtime, enum kumo_stop stop)
{
    if (runtime->limits.stop == KUMO_STOP_NONE)
        runtime->limits.stop = stop;
}

/* Notices a cancel request or a passed deadline; returns the stop, if any. */
static enum kumo_stop observe(struct kumo_runtime *runtime)
{
    struct kumo_limits *limits = &runtime->limits;
    if (limits->stop != KUMO_STOP_NONE || !limits->in_run)
        return limits->stop;
    if (atomic_load_explicit(&limits->cancel, memory_order_relaxed))
        set_stop(runtime, KUMO_STOP_CANCEL);
    else if (limits->deadline_ms && monotonic_ms() >= limits->deadline_ms)
        set_stop(runtime, KUMO_STOP_TIME);
    return limits->stop;
}

static void describe_stop(const struct kumo_runtime *runtime, enum kumo_stop stop,
                          struct kumo_error_info *info, char *message, size_t size)
{
    switch (stop) {
    case KUMO_STOP_MEMORY:
        info->kind = "limit";
        info->code = "MemoryLimitExceeded";
        snprintf(message, size, "the script exceeded its memory limit of %zu bytes",
                 runtime->limits.memory_limit);
        info->hint = "raise memory_limit_bytes, or make the script keep less data";
        break;
    case KUMO_STOP_TIME:
        info->kind = "limit";
        info->code = "TimeLimitExceeded";
        snprintf(message, size, "the script exceeded its time limit of %ld ms",
                 runtime->limits.time_limit_ms);
        info->hint = "raise time_limit_ms, or look for a loop that does not end";
        break;
    default:
        info->kind = "cancelled";
        info->code = "Cancelled";
        snprintf(message, size, "the run was cancelled");
        break;
    }
    info->message = message;
}

/* Raises the stop as a kumo.Error. Does not return. */
static void raise_stop(lua_State *L, struct kumo_runtime *runtime, enum kumo_stop stop)
{
    escalate(runtime, L);
    char message[128];
    struct kumo_error_info info = {0};
    describe_stop(runtime, stop, &info, message, sizeof message);
    kumo_error_raise(L, &info); /* the strings are copied into Lua first */
}

/* The count hook: every KUMO_LIMIT_HOOK_INSTRUCTIONS instructions, or every
 * instruction once the run is stopping. */
static void limit_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    struct kumo_runtime *runtime = runtime_of(L);
    enum kumo_stop stop = observe(runtime);
    if (stop == KUMO_STOP_NONE) {
        /* a coroutine still escalated by an earlier run */
        if (lua_gethookcount(L) != KUMO_LIMIT_HOOK_INSTRUCTIONS)
            lua_sethook(L, limit_hook, LUA_MASKCOUNT, KUMO_LIMIT_HOOK_INSTRUCTIONS);
        return;
    }
    raise_stop(L, runtime, stop);
}

void kumo_limits_check(lua_State *L)
{
    struct kumo_runtime *runtime = runtime_of(L);
    enum kumo_stop stop = observe(runtime);
    if (stop != KUMO_STOP_NONE)
        raise_stop(L, runtime, stop);
}

int kumo_limits_stopping(lua_State *L)
{
    return observe(runtime_of(L)) != KUMO_STOP_NONE;
}

int64_t kumo_limits_remaining_ms(struct kumo_runtime *runtime)
{
    if (!runtime->limits.deadline_ms)
        return -1;
    int64_t left = runtime->limits.deadline_ms - monotonic_ms();
    return left > 0 ? left : 0;
}

/* An allocation over the cap. The first refusal of a block is not yet a
 * stop: Lua collects garbage and asks again with the same arguments; only a
 * refused retry hits the cap. */
static void refuse(struct kumo_runtime *runtime, const void *block, size_t osize, size_t nsize)
{
    struct kumo_limits *limits = &runtime->limits;
    limits->refusals++;
    if (limits->retry_pending && limits->refused_block == block && limits->refused_osize == osize &&
        limits->refused_nsize == nsize) {
        limits->retry_pending = 0;
        if (limits->stop == KUMO_STOP_NONE) {
            set_stop(runtime, KUMO_STOP_MEMORY);
            escalate(runtime, NULL);
        }
        return;
    }
    limits->retry_pending = 1;
    limits->refused_block = block;
    limits->refused_osize = osize;
    limits->refused_nsize = nsize;
}

void *kumo_limits_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    struct kumo_runtime *runtime = ud;
    struct kumo_limits *limits = &runtime->limits;
    size_t old = ptr ? osize : 0; /* without ptr, osize is the object type */
    if (nsize == 0) {
        free(ptr);
        limits->memory_used -= old;
        return NULL;
    }
    if (nsize > old && limits->memory_limit) {
        size_t budget = limits->memory_limit;
        if (limits->stop != KUMO_STOP_NONE)
            budget += KUMO_LIMIT_MEMORY_RESERVE;
        size_t growth = nsize - old;
        if (limits->memory_used > budget || growth > budget - limits->memory_used) {
            refuse(runtime, ptr, osize, nsize);
            return NULL;
        }
    }
    void *block = realloc(ptr, nsize);
    if (!block)
        return NULL;
    limits->memory_used = limits->memory_used - old + nsize;
    if (nsize > old)
        limits->retry_pending = 0;
    return block;
}

/* lua_atpanic: an error outside any protected call (a bug in kumo). */
static int panic(lua_State *L)
{
    const char *message = lua_tostring(L, -1);
    fprintf(stderr, "kumo: PANIC: unprotected error in call to Lua API (%s)\n",
            message ? message : "error object is not a string");
    return 0; /* Lua aborts */
}

/* lua_WarnFunction: off until a script says warn("@on"); then each piece
 * goes to the log sink as a warning. */
static void warning(void *ud, const char *message, int tocont)
{
    struct kumo_runtime *runtime = ud;
    if (!tocont && message[0] == '@') {
        if (strcmp(message, "@on") == 0)
            runtime->limits.warnings_on = 1;
        else if (strcmp(message, "@off") == 0)
            runtime->limits.warnings_on = 0;
        return;
    }
    if (runtime->limits.warnings_on)
        kumo_log(runtime, KUMO_LOG_WARN, "Lua warning: %s", message);
}

void kumo_limits_attach(struct kumo_runtime *runtime, lua_State *L)
{
    lua_atpanic(L, panic);
    lua_setwarnf(L, warning, runtime);
    lua_sethook(L, limit_hook, LUA_MASKCOUNT, KUMO_LIMIT_HOOK_INSTRUCTIONS);
}

void kumo_limits_reset_refusals(struct kumo_runtime *runtime)
{
    runtime->limits.refusals = 0;
    runtime->limits.retry_pending = 0;
}

void kumo_limits_run_begin(struct kumo_runtime *runtime)
{
    struct kumo_limits *limits = &runtime->limits;
    limits->stop = KUMO_STOP_NONE;
    kumo_limits_reset_refusals(runtime);
    limits->deadline_ms = limits->time_limit_ms > 0 ? monotonic_ms() + limits->time_limit_ms : 0;
    limits->in_run = 1;
    lua_sethook(runtime->L, limit_hook, LUA_MASKCOUNT, KUMO_LIMIT_HOOK_INSTRUCTIONS);
    if (atomic_load(&limits->cancel))
        escalate(runtime, NULL); /* cancelled before it started: stop at once */
}

void kumo_limits_run_end(struct kumo_runtime *runtime)
{
    struct kumo_limits *limits = &runtime->limits;
    int collect = limits->stop != KUMO_STOP_NONE || limits->refusals > 0;
    limits->in_run = 0;
    limits->deadline_ms = 0;
    limits->stop = KUMO_STOP_NONE;
    atomic_store(&limits->cancel, 0);
    lua_sethook(runtime->L, limit_hook, LUA_MASKCOUNT, KUMO_LIMIT_HOOK_INSTRUCTIONS);
    if (collect)
        lua_gc(runtime->L, LUA_GCCOLLECT); /* give back what the stopped script held */
    kumo_limits_reset_refusals(runtime);
}

enum kumo_status kumo_limits_status(struct kumo_runtime *runtime, int lua_status)
{
    switch (runtime->limits.stop) {
    case KUMO_STOP_MEMORY:
    case KUMO_STOP_TIME:
        return KUMO_ERROR_LIMIT;
    case KUMO_STOP_CANCEL:
        return KUMO_ERROR_CANCELLED;
    default:
        break;
    }
    /* refused without Lua's retry (during a collection): still the cap */
    if (lua_status == LUA_ERRMEM && runtime->limits.memory_limit && runtime->limits.refusals) {
        runtime->limits.stop = KUMO_STOP_MEMORY;
        return KUMO_ERROR_LIMIT;
    }
    return KUMO_OK;
}

struct kumo_error *kumo_limits_error(struct kumo_runtime *runtime, lua_State *L, int index,
                                     enum kumo_status status)
{
    enum kumo_stop stop = runtime->limits.stop;
    if (stop == KUMO_STOP_NONE)
        stop = status == KUMO_ERROR_CANCELLED ? KUMO_STOP_CANCEL : KUMO_STOP_MEMORY;
    char message[128];
    struct kumo_error_info info = {0};
    describe_stop(runtime, stop, &info, message, sizeof message);
    struct kumo_error *error = kumo_error_new(status, info.kind, info.code, info.message);
    if (!error)
        return NULL;
    error->hint = info.hint ? strdup(info.hint) : NULL;
    int table = lua_absindex(L, index);
    if (lua_istable(L, table)) {
        /* raw access, no metamethod; the key is already interned (the
         * message handler set it) */
        lua_pushliteral(L, "traceback");
        lua_rawget(L, table);
        if (lua_type(L, -1) == LUA_TSTRING)
            error->traceback = strdup(lua_tostring(L, -1));
        lua_pop(L, 1);
    }
    return error;
}
