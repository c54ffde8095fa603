/*
 * limits.h - what keeps an untrusted script in bounds: the Lua allocator
 * with a memory cap, the count hook that enforces the time limit and
 * cancelling, and the stop that pcall cannot swallow.
 *
 * How a stop works (the Redis / HAProxy technique): when the memory cap is
 * hit (an allocation still refused after Lua's emergency collection), the
 * deadline passes, or kumo_runtime_cancel() was called, `stop` is set and the
 * count hook of the running thread fires on every instruction, raising a
 * kumo.Error (kind "limit" or "cancelled") each time; a script's pcall
 * catches one raise, and the next instruction raises again, until the error
 * reaches the runtime. While stopped, the allocator grants a reserve of
 * KUMO_LIMIT_MEMORY_RESERVE bytes above the cap, so that the error table and
 * traceback can be built. kumo_limits_run_end() resets everything.
 */
#ifndef KUMO_HOST_LIMITS_H
#define KUMO_HOST_LIMITS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <lua.h>

#include "kumo.h"

struct kumo_runtime;

/* The hook runs every this many Lua instructions (per coroutine). */
#define KUMO_LIMIT_HOOK_INSTRUCTIONS 1000
/* Bytes allowed above the memory cap once a run is stopping. */
#define KUMO_LIMIT_MEMORY_RESERVE (64 * 1024)
/* kumo.sleep() checks for a stop at least this often. */
#define KUMO_LIMIT_SLEEP_SLICE_MS 50

enum kumo_stop {
    KUMO_STOP_NONE = 0,
    KUMO_STOP_MEMORY, /* the memory cap was hit */
    KUMO_STOP_TIME,   /* the deadline passed */
    KUMO_STOP_CANCEL  /* kumo_runtime_cancel() */
};

struct kumo_limits {
    size_t memory_limit; /* bytes; 0: no cap */
    size_t memory_used;  /* bytes the Lua state holds now */
    long time_limit_ms;  /* per run; 0: none */
    int64_t deadline_ms; /* CLOCK_MONOTONIC ms; 0: none */
    int in_run;          /* between kumo_limits_run_begin() and _run_end() */
    enum kumo_stop stop; /* why the current run stops */
    atomic_int cancel;   /* set by kumo_runtime_cancel(), from any thread */
    int refusals;        /* allocations refused since the last reset */
    /* the last refused allocation, to recognise Lua's retry of it after an
     * emergency collection (only a refused retry hits the cap) */
    int retry_pending;
    const void *refused_block;
    size_t refused_osize;
    size_t refused_nsize;
    int warnings_on; /* Lua warnings ("@on"/"@off") go to the log sink */
};

/* The lua_Alloc of every runtime; `ud` is the struct kumo_runtime. */
void *kumo_limits_alloc(void *ud, void *ptr, size_t osize, size_t nsize);

/* Sets up a new state: the hook (on the main thread, inherited by every
 * coroutine), the panic and the warning functions. */
void kumo_limits_attach(struct kumo_runtime *runtime, lua_State *L);

/* Around each run: sets the deadline / clears every stop, cancel request and
 * counter, and collects garbage after a stop. */
void kumo_limits_run_begin(struct kumo_runtime *runtime);
void kumo_limits_run_end(struct kumo_runtime *runtime);

/* Clears the refusal counters after a call outside a run (set_var, ...). */
void kumo_limits_reset_refusals(struct kumo_runtime *runtime);

/* Raises the stop error when the run must stop now (cancel, deadline, cap);
 * returns otherwise. For C functions that wait (kumo.sleep). */
void kumo_limits_check(lua_State *L);

/* 1 when the current run is stopping (after a limit or a cancel). */
int kumo_limits_stopping(lua_State *L);

/* Milliseconds left before the deadline (-1: no deadline). */
int64_t kumo_limits_remaining_ms(struct kumo_runtime *runtime);

/* What explains a failed Lua call (`lua_status` as lua_pcall or a load
 * returned it): KUMO_ERROR_LIMIT, KUMO_ERROR_CANCELLED, or KUMO_OK when no
 * limit or cancel is involved. */
enum kumo_status kumo_limits_status(struct kumo_runtime *runtime, int lua_status);

/* The public error for `status` (from kumo_limits_status()), with the
 * traceback of the error value at `index` when it has one. NULL only when
 * out of memory. */
struct kumo_error *kumo_limits_error(struct kumo_runtime *runtime, lua_State *L, int index,
                                     enum kumo_status status);

#endif
