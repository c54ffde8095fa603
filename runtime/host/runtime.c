/*
 * runtime.c - the public embedding API: create a runtime (a Lua state with
 * the kumo libraries, globals and stdlib searcher), run scripts under
 * lua_pcall with the one message handler, hand back the result as JSON,
 * destroy. Everything the `kumo` command does goes through these functions.
 */
#include "kumo.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lualib.h>

#include "aws/call.h"
#include "aws/credentials.h"
#include "aws/http.h"
#include "aws/json.h"
#include "aws/xml.h"
#include "bindings/bindings.h"
#include "host/error.h"
#include "host/host_modules.h"
#include "host/limits.h"
#include "host/log.h"
#include "host/runtime_internal.h"
#include "host/stdlib.h"
#include "sandbox/sandbox.h"

#define RUNTIME_REGISTRY_KEY "kumo.runtime"
#define VARS_REGISTRY_KEY "kumo.vars"
#define MODULE_REGISTRY_KEY "kumo.module" /* the kumo library table (for kumo.input) */

struct kumo_runtime *kumo_runtime_from_lua(lua_State *L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, RUNTIME_REGISTRY_KEY);
    struct kumo_runtime *runtime = lua_touserdata(L, -1);
    lua_pop(L, 1);
    return runtime;
}

static int64_t system_clock_ms(void *unused)
{
    (void)unused;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

int64_t kumo_runtime_now_ms(struct kumo_runtime *runtime)
{
    return runtime->clock(runtime->clock_data);
}

uint64_t kumo_runtime_random(struct kumo_runtime *runtime)
{
    /* xorshift64* */
    uint64_t x = runtime->random_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    runtime->random_state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

const char *kumo_version(void)
{
    return KUMO_VERSION_STRING;
}

void kumo_free(void *ptr)
{
    free(ptr);
}

static char *copy_option(const char *text, int *failed)
{
    if (!text || !*text)
        return NULL;
    char *copy = strdup(text);
    if (!copy)
        *failed = 1;
    return copy;
}

/* Library loader for package.preload that returns the given global's table,
 * so `require "kumo.ec2"` and the global `ec2` are the same table. */
static int preload_from_global(lua_State *L)
{
    lua_getglobal(L, lua_tostring(L, lua_upvalueindex(1)));
    return 1;
}

/* Opens one kumo library as global `global_name` and module `module_name`. */
static void open_library(lua_State *L, const char *global_name, const char *module_name,
                         lua_CFunction opener)
{
    lua_pushcfunction(L, opener);
    lua_call(L, 0, 1);
    lua_setglobal(L, global_name);
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "preload");
    lua_pushstring(L, global_name);
    lua_pushcclosure(L, preload_from_global, 1);
    lua_setfield(L, -2, module_name);
    lua_pop(L, 2);
}

/* kumo.is_error(value) -> true when value is a kumo.Error */
static int kumo_is_error(lua_State *L)
{
    int result = 0;
    if (lua_getmetatable(L, 1)) {
        luaL_getmetatable(L, "kumo.Error");
        result = lua_rawequal(L, -1, -2);
    }
    lua_pushboolean(L, result);
    return 1;
}

/* kumo.region() -> the AWS region this run uses (resolved on first use);
 * raises kumo.Error (kind "config") when none is configured. */
static int kumo_region(lua_State *L)
{
    lua_pushstring(L, kumo_call_region(L));
    return 1;
}

/* kumo.sleep(seconds) -> nothing. Waits; for polling and bounded retries. */
static int kumo_sleep(lua_State *L)
{
    lua_Number seconds = luaL_checknumber(L, 1);
    luaL_argcheck(L, seconds >= 0 && seconds <= 3600, 1, "seconds must be between 0 and 3600");
    /* in slices, so that a cancel or the time limit stops the wait */
    int64_t left_ns = (int64_t)(seconds * 1e9);
    do {
        kumo_limits_check(L);
        int64_t slice = left_ns < KUMO_LIMIT_SLEEP_SLICE_MS * 1000000LL
                            ? left_ns
                            : KUMO_LIMIT_SLEEP_SLICE_MS * 1000000LL;
        struct timespec delay = {.tv_sec = (time_t)(slice / 1000000000),
                                 .tv_nsec = (long)(slice % 1000000000)};
        while (nanosleep(&delay, &delay) != 0)
            ;
        left_ns -= slice;
    } while (left_ns > 0);
    kumo_limits_check(L);
    return 0;
}

/* kumo.raise{ kind, code, message, operation?, hint? } -> raises a kumo.Error
 * (for stdlib code that reports a failure the way the runtime does). */
static int kumo_raise(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    struct kumo_error_info info = {0};
    const char **fields[] = {&info.kind, &info.code, &info.message, &info.operation, &info.hint};
    static const char *const names[] = {"kind", "code", "message", "operation", "hint"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        lua_getfield(L, 1, names[i]);
        *fields[i] = lua_tostring(L, -1); /* kept alive by the stack slot */
    }
    luaL_argcheck(L, info.kind && info.message, 1, "kind and message are required");
    lua_getfield(L, 1, "http_status");
    info.http_status = (long)lua_tointeger(L, -1);
    lua_getfield(L, 1, "attempts");
    info.attempts = (int)lua_tointeger(L, -1);
    return kumo_error_raise(L, &info);
}

/* The `kumo` library: version, vars, input, mode, is_error, raise, region,
 * sleep. */
static int luaopen_kumo(lua_State *L)
{
    static const luaL_Reg functions[] = {{"is_error", kumo_is_error},
                                         {"raise", kumo_raise},
                                         {"region", kumo_region},
                                         {"sleep", kumo_sleep},
                                         {NULL, NULL}};
    luaL_newlib(L, functions);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, MODULE_REGISTRY_KEY);
    lua_pushliteral(L, KUMO_VERSION_STRING);
    lua_setfield(L, -2, "version");
    lua_getfield(L, LUA_REGISTRYINDEX, VARS_REGISTRY_KEY);
    lua_setfield(L, -2, "vars");
    static const char *const modes[] = {"apply", "plan", "dry_run", "destroy"};
    struct kumo_runtime *runtime = kumo_runtime_from_lua(L);
    lua_pushstring(L, modes[runtime->run_mode <= KUMO_RUN_DESTROY ? runtime->run_mode : 0]);
    lua_setfield(L, -2, "mode");
    lua_pushboolean(L, runtime->destroy_untagged);
    lua_setfield(L, -2, "destroy_untagged");
    return 1;
}

/* Runs in protected mode: everything that sets up a fresh state. */
static int setup_state(lua_State *L)
{
    struct kumo_runtime *runtime = lua_touserdata(L, 1);
    lua_pushlightuserdata(L, runtime);
    lua_setfield(L, LUA_REGISTRYINDEX, RUNTIME_REGISTRY_KEY);
    kumo_libraries_open(L, runtime->libraries);
    kumo_host_modules_setup(L);
    kumo_error_register(L);
    kumo_xml_register_array_metatable(L);
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, VARS_REGISTRY_KEY);
    open_library(L, "kumo", "kumo", luaopen_kumo);
    open_library(L, "ec2", "kumo.ec2", luaopen_kumo_ec2);
    open_library(L, "json", "kumo.json", luaopen_kumo_json);
    open_library(L, "log", "kumo.log", luaopen_kumo_log);
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
    lua_pushcfunction(L, luaopen_kumo_net);
    lua_setfield(L, -2, "kumo.net");
    lua_pushcfunction(L, luaopen_kumo_plan);
    lua_setfield(L, -2, "kumo.plan");
    lua_pop(L, 1);
    kumo_stdlib_install(L, runtime->stdlib_path);
    return 0;
}

struct kumo_runtime *kumo_runtime_new(const struct kumo_options *options, struct kumo_error **error)
{
    static const struct kumo_options defaults = {.log_level = KUMO_LOG_INFO};
    if (error)
        *error = NULL;
    if (!options)
        options = &defaults;
    struct kumo_runtime *runtime = calloc(1, sizeof *runtime);
    if (!runtime)
        goto out_of_memory;
    int failed = 0;
    runtime->region = copy_option(options->region, &failed);
    runtime->profile = copy_option(options->profile, &failed);
    runtime->endpoint = copy_option(options->endpoint, &failed);
    const char *stdlib_path =
        options->stdlib_path ? options->stdlib_path : getenv("KUMO_STDLIB_PATH");
    runtime->stdlib_path = copy_option(stdlib_path, &failed);
    if (failed)
        goto out_of_memory;
    runtime->clock = options->clock ? options->clock : system_clock_ms;
    runtime->clock_data = options->clock ? options->clock_data : NULL;
    runtime->log = options->log ? options->log : kumo_log_stderr;
    runtime->log_data = options->log ? options->log_data : NULL;
    runtime->log_level = options->log_level;
    runtime->run_mode = options->run_mode;
    runtime->destroy_untagged = options->destroy_untagged;
    runtime->libraries = options->libraries & KUMO_LIBS_ALL;
    runtime->limits.memory_limit = options->memory_limit_bytes;
    runtime->limits.time_limit_ms = options->time_limit_ms > 0 ? options->time_limit_ms : 0;
    atomic_init(&runtime->limits.cancel, 0);
    kumo_xml_init();
    if (options->sandbox) {
        char message[1024] = "";
        runtime->sandbox = kumo_sandbox_new(options->sandbox_state_path, runtime->clock,
                                            runtime->clock_data, message, sizeof message);
        if (!runtime->sandbox) {
            kumo_error_store(
                error, kumo_error_new(KUMO_ERROR_CONFIG, "config", "InvalidSandboxState", message));
            kumo_runtime_destroy(runtime);
            return NULL;
        }
        runtime->transport = kumo_sandbox_send;
        runtime->transport_data = runtime->sandbox;
    } else if (options->transport) {
        runtime->transport = options->transport;
        runtime->transport_data = options->transport_data;
    } else {
        runtime->curl = kumo_curl_transport_new();
        if (!runtime->curl) {
            kumo_error_store(error,
                             kumo_error_new(KUMO_ERROR_HTTP, "http", KUMO_CODE_TRANSPORT_FAILED,
                                            "cannot initialise libcurl"));
            kumo_runtime_destroy(runtime);
            return NULL;
        }
        runtime->transport = kumo_curl_transport_send;
        runtime->transport_data = runtime->curl;
    }
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    runtime->random_state = ((uint64_t)now.tv_nsec << 20) ^ (uint64_t)now.tv_sec ^
                            ((uint64_t)getpid() << 40) ^ (uint64_t)(uintptr_t)runtime;
    if (runtime->random_state == 0)
        runtime->random_state = 0x9E3779B97F4A7C15ULL;

    lua_State *L = lua_newstate(kumo_limits_alloc, runtime);
    if (!L)
        goto setup_failed;
    runtime->L = L;
    kumo_limits_attach(runtime, L);
    lua_pushcfunction(L, setup_state);
    lua_pushlightuserdata(L, runtime);
    if (lua_pcall(L, 1, 0, 0) != LUA_OK)
        goto setup_failed;
    kumo_limits_reset_refusals(runtime);
    return runtime;

setup_failed:
    if (runtime->limits.memory_limit && runtime->limits.refusals) {
        char text[160];
        snprintf(text, sizeof text, "memory_limit_bytes (%zu) is too small for the kumo libraries",
                 runtime->limits.memory_limit);
        kumo_error_store(error,
                         kumo_error_new(KUMO_ERROR_LIMIT, "limit", "MemoryLimitExceeded", text));
    } else {
        const char *message = L ? lua_tostring(L, -1) : NULL;
        kumo_error_store(error, kumo_error_new(KUMO_ERROR_MEMORY, "memory", NULL,
                                               message ? message : "cannot set up the Lua state"));
    }
    kumo_runtime_destroy(runtime);
    return NULL;

out_of_memory:
    kumo_error_store(error, kumo_error_new(KUMO_ERROR_MEMORY, "memory", NULL, "out of memory"));
    kumo_runtime_destroy(runtime);
    return NULL;
}

static int set_var(lua_State *L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, VARS_REGISTRY_KEY);
    lua_pushstring(L, lua_touserdata(L, 1));
    lua_pushstring(L, lua_touserdata(L, 2));
    lua_rawset(L, -3);
    return 0;
}

enum kumo_status kumo_runtime_set_var(struct kumo_runtime *runtime, const char *key,
                                      const char *value)
{
    if (!runtime || !key || !*key || !value || runtime->running)
        return KUMO_ERROR_USAGE;
    lua_State *L = runtime->L;
    lua_pushcfunction(L, set_var);
    lua_pushlightuserdata(L, (void *)key);
    lua_pushlightuserdata(L, (void *)value);
    enum kumo_status status = KUMO_OK;
    if (lua_pcall(L, 2, 0, 0) != LUA_OK) {
        lua_pop(L, 1);
        status = runtime->limits.memory_limit && runtime->limits.refusals ? KUMO_ERROR_LIMIT
                                                                          : KUMO_ERROR_MEMORY;
    }
    kumo_limits_reset_refusals(runtime);
    return status;
}

/* Protected: decodes the JSON text (stack 1, a light userdata) and pushes
 * the value, or pushes nil and the decoder's message. */
static int decode_input(lua_State *L)
{
    const char *text = lua_touserdata(L, 1);
    char message[256];
    if (kumo_json_push_decoded(L, text, strlen(text), message, sizeof message) != 0) {
        lua_pushnil(L);
        lua_pushstring(L, message);
        return 2;
    }
    return 1;
}

enum kumo_status kumo_runtime_set_input_json(struct kumo_runtime *runtime, const char *json,
                                             struct kumo_error **error)
{
    if (error)
        *error = NULL;
    if (!runtime || runtime->running) {
        kumo_error_store(
            error, kumo_error_new(KUMO_ERROR_USAGE, "usage", NULL,
                                  runtime ? "kumo_runtime_set_input_json: a run is in progress"
                                          : "kumo_runtime_set_input_json: no runtime"));
        return KUMO_ERROR_USAGE;
    }
    if (!json) {
        free(runtime->input_json);
        runtime->input_json = NULL;
        return KUMO_OK;
    }
    lua_State *L = runtime->L;
    int top = lua_gettop(L);
    lua_pushcfunction(L, decode_input);
    lua_pushlightuserdata(L, (void *)json);
    enum kumo_status status = KUMO_OK;
    if (lua_pcall(L, 1, LUA_MULTRET, 0) != LUA_OK) {
        status = runtime->limits.memory_limit && runtime->limits.refusals ? KUMO_ERROR_LIMIT
                                                                          : KUMO_ERROR_MEMORY;
        kumo_error_store(error,
                         kumo_error_new(status, status == KUMO_ERROR_LIMIT ? "limit" : "memory",
                                        status == KUMO_ERROR_LIMIT ? "MemoryLimitExceeded" : NULL,
                                        "the input does not fit in memory"));
    } else if (lua_gettop(L) - top == 2) {
        char text[400];
        snprintf(text, sizeof text, "input: %s", lua_tostring(L, -1));
        kumo_error_store(error, kumo_error_new(KUMO_ERROR_USAGE, "usage", "InvalidInput", text));
        status = KUMO_ERROR_USAGE;
    }
    lua_settop(L, top);
    kumo_limits_reset_refusals(runtime);
    if (status != KUMO_OK)
        return status;
    char *copy = strdup(json);
    if (!copy) {
        kumo_error_store(error, kumo_error_new(KUMO_ERROR_MEMORY, "memory", NULL, "out of memory"));
        return KUMO_ERROR_MEMORY;
    }
    free(runtime->input_json);
    runtime->input_json = copy;
    return KUMO_OK;
}

void kumo_runtime_cancel(struct kumo_runtime *runtime)
{
    if (runtime)
        atomic_store(&runtime->limits.cancel, 1);
}

/* Runs in protected mode after a script in plan, dry-run or destroy mode:
 * require("kumo.run").finish(result) reports the plan / the dry-run results
 * / carries out the destruction, and returns what the run's result becomes. */
static int finish_run(lua_State *L)
{
    lua_getglobal(L, "require");
    lua_pushliteral(L, "kumo.run");
    lua_call(L, 1, 1);
    lua_getfield(L, -1, "finish");
    lua_pushvalue(L, 1);
    lua_call(L, 1, 1);
    return 1;
}

/* Protected: decodes the run's input (stack 1: the JSON text as a light
 * userdata, or NULL), sets kumo.input, and returns it (nothing without
 * input). Invalid JSON cannot happen: kumo_runtime_set_input_json() checked. */
static int push_run_input(lua_State *L)
{
    const char *text = lua_touserdata(L, 1);
    lua_settop(L, 0);
    lua_getfield(L, LUA_REGISTRYINDEX, MODULE_REGISTRY_KEY);
    char message[256];
    if (text && kumo_json_push_decoded(L, text, strlen(text), message, sizeof message) != 0)
        return luaL_error(L, "input: %s", message);
    if (!text)
        lua_pushnil(L);
    lua_pushvalue(L, -1);
    lua_setfield(L, 1, "input");
    return text ? 1 : 0;
}

/* The public error for a failed Lua call (status from lua_pcall or a load,
 * error value on top). */
static struct kumo_error *error_of_failure(struct kumo_runtime *runtime, int status,
                                           enum kumo_status fallback)
{
    lua_State *L = runtime->L;
    enum kumo_status limit = kumo_limits_status(runtime, status);
    if (limit != KUMO_OK)
        return kumo_limits_error(runtime, L, -1, limit);
    if (status == LUA_ERRMEM)
        return kumo_error_new(KUMO_ERROR_MEMORY, "memory", NULL, "out of memory");
    return kumo_error_from_lua(L, -1, fallback);
}

/* Runs the chunk on top (its input as argument) under the message handler
 * at handler_index, then encodes its first result. Leaves the stack as it
 * was below the handler. */
static enum kumo_status call_chunk(struct kumo_runtime *runtime, int handler_index,
                                   char **result_json, struct kumo_error **error)
{
    lua_State *L = runtime->L;
    int base = lua_gettop(L);
    lua_pushcfunction(L, push_run_input);
    lua_pushlightuserdata(L, runtime->input_json);
    int status = lua_pcall(L, 1, LUA_MULTRET, handler_index);
    if (status == LUA_OK)
        status = lua_pcall(L, lua_gettop(L) - base, 1, handler_index);
    if (status == LUA_OK && runtime->run_mode != KUMO_RUN_APPLY) {
        lua_pushcfunction(L, finish_run);
        lua_insert(L, -2);
        status = lua_pcall(L, 1, 1, handler_index);
    }
    if (status != LUA_OK) {
        struct kumo_error *e = error_of_failure(runtime, status, KUMO_ERROR_SCRIPT);
        enum kumo_status result = e ? e->status : KUMO_ERROR_MEMORY;
        kumo_error_store(error, e);
        lua_settop(L, handler_index - 1);
        return result;
    }
    enum kumo_status result = KUMO_OK;
    if (result_json) {
        char message[512];
        *result_json = kumo_json_encode(L, -1, 1, message, sizeof message);
        enum kumo_status limit = *result_json ? KUMO_OK : kumo_limits_status(runtime, LUA_ERRMEM);
        if (limit != KUMO_OK) {
            struct kumo_error *e = kumo_limits_error(runtime, L, -1, limit);
            result = e ? e->status : KUMO_ERROR_MEMORY;
            kumo_error_store(error, e);
        } else if (!*result_json) {
            char text[600];
            snprintf(text, sizeof text, "the script's result cannot be written as JSON: %s",
                     message);
            kumo_error_store(error, kumo_error_new(KUMO_ERROR_SCRIPT, "script", NULL, text));
            result = KUMO_ERROR_SCRIPT;
        }
    }
    lua_settop(L, handler_index - 1);
    return result;
}

/* Writes the sandbox world back to its state file after a run (whether the
 * script succeeded or not: what it changed, it changed). A failure to save
 * turns a successful run into a failed one. */
static enum kumo_status save_sandbox(struct kumo_runtime *runtime, enum kumo_status status,
                                     char **result_json, struct kumo_error **error)
{
    if (!runtime->sandbox || !kumo_sandbox_dirty(runtime->sandbox))
        return status;
    char message[1024] = "";
    if (kumo_sandbox_save(runtime->sandbox, message, sizeof message) == 0)
        return status;
    if (status != KUMO_OK) {
        kumo_log(runtime, KUMO_LOG_ERROR, "%s", message);
        return status;
    }
    if (result_json) {
        kumo_free(*result_json);
        *result_json = NULL;
    }
    kumo_error_store(error,
                     kumo_error_new(KUMO_ERROR_CONFIG, "config", "SandboxSaveFailed", message));
    return KUMO_ERROR_CONFIG;
}

/* Loads then runs; `load_status` is what luaL_load* returned. */
static enum kumo_status run_loaded(struct kumo_runtime *runtime, int handler_index, int load_status,
                                   char **result_json, struct kumo_error **error)
{
    lua_State *L = runtime->L;
    if (load_status != LUA_OK) {
        enum kumo_status limit = kumo_limits_status(runtime, load_status);
        if (limit != KUMO_OK) {
            struct kumo_error *e = kumo_limits_error(runtime, L, -1, limit);
            kumo_error_store(error, e);
            lua_settop(L, handler_index - 1);
            return e ? limit : KUMO_ERROR_MEMORY;
        }
        const char *message = lua_tostring(L, -1);
        enum kumo_status status = load_status == LUA_ERRMEM    ? KUMO_ERROR_MEMORY
                                  : load_status == LUA_ERRFILE ? KUMO_ERROR_USAGE
                                                               : KUMO_ERROR_SCRIPT;
        kumo_error_store(error,
                         kumo_error_new(status, status == KUMO_ERROR_USAGE ? "usage" : "script",
                                        NULL, message ? message : "cannot load the script"));
        lua_settop(L, handler_index - 1);
        return status;
    }
    enum kumo_status status = call_chunk(runtime, handler_index, result_json, error);
    return save_sandbox(runtime, status, result_json, error);
}

/* Lets a script `require` modules that sit next to it (KUMO_LIB_FILES). */
static void add_script_dir_to_path(lua_State *L, const char *path)
{
    const char *slash = strrchr(path, '/');
    lua_getglobal(L, "package");
    if (slash)
        lua_pushlstring(L, path, (size_t)(slash - path));
    else
        lua_pushliteral(L, ".");
    lua_getfield(L, -2, "path");
    lua_pushfstring(L, "%s/?.lua;%s", lua_tostring(L, -2), lua_tostring(L, -1));
    lua_setfield(L, -4, "path");
    lua_pop(L, 3);
}

static int prepare_file_run(lua_State *L)
{
    add_script_dir_to_path(L, lua_touserdata(L, 1));
    return 0;
}

/* The checks every run starts with; KUMO_OK, or a usage error stored. */
static enum kumo_status check_run(struct kumo_runtime *runtime, const void *script,
                                  char **result_json, struct kumo_error **error)
{
    if (error)
        *error = NULL;
    if (result_json)
        *result_json = NULL;
    const char *refusal = !runtime || !script ? "no script given"
                          : runtime->running  ? "a run is already in progress on this runtime"
                                              : NULL;
    if (!refusal)
        return KUMO_OK;
    kumo_error_store(error, kumo_error_new(KUMO_ERROR_USAGE, "usage", NULL, refusal));
    return KUMO_ERROR_USAGE;
}

static void begin_run(struct kumo_runtime *runtime)
{
    runtime->running = 1;
    kumo_limits_run_begin(runtime);
}

static enum kumo_status end_run(struct kumo_runtime *runtime, enum kumo_status status)
{
    kumo_limits_run_end(runtime);
    runtime->running = 0;
    return status;
}

enum kumo_status kumo_runtime_run_file(struct kumo_runtime *runtime, const char *path,
                                       char **result_json, struct kumo_error **error)
{
    enum kumo_status checked = check_run(runtime, path, result_json, error);
    if (checked != KUMO_OK)
        return checked;
    FILE *probe = fopen(path, "r");
    if (!probe) {
        char text[1024];
        snprintf(text, sizeof text, "cannot open script '%s': %s", path, strerror(errno));
        kumo_error_store(error, kumo_error_new(KUMO_ERROR_USAGE, "usage", NULL, text));
        return KUMO_ERROR_USAGE;
    }
    fclose(probe);
    lua_State *L = runtime->L;
    begin_run(runtime);
    if (runtime->libraries & KUMO_LIB_FILES) {
        lua_pushcfunction(L, prepare_file_run);
        lua_pushlightuserdata(L, (void *)path);
        if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
            lua_pop(L, 1);
            enum kumo_status limit = kumo_limits_status(runtime, LUA_ERRMEM);
            kumo_error_store(
                error, limit != KUMO_OK
                           ? kumo_error_new(limit, "limit", "MemoryLimitExceeded",
                                            "the script exceeded its memory limit")
                           : kumo_error_new(KUMO_ERROR_MEMORY, "memory", NULL, "out of memory"));
            return end_run(runtime, limit != KUMO_OK ? limit : KUMO_ERROR_MEMORY);
        }
    }
    lua_pushcfunction(L, kumo_error_message_handler);
    int handler_index = lua_gettop(L);
    int load_status = luaL_loadfilex(L, path, "t");
    return end_run(runtime, run_loaded(runtime, handler_index, load_status, result_json, error));
}

enum kumo_status kumo_runtime_run_string(struct kumo_runtime *runtime, const char *chunk_name,
                                         const char *source, char **result_json,
                                         struct kumo_error **error)
{
    enum kumo_status checked = check_run(runtime, source, result_json, error);
    if (checked != KUMO_OK)
        return checked;
    lua_State *L = runtime->L;
    begin_run(runtime);
    lua_pushcfunction(L, kumo_error_message_handler);
    int handler_index = lua_gettop(L);
    int load_status =
        luaL_loadbufferx(L, source, strlen(source), chunk_name ? chunk_name : "=script", "t");
    return end_run(runtime, run_loaded(runtime, handler_index, load_status, result_json, error));
}

void kumo_runtime_destroy(struct kumo_runtime *runtime)
{
    if (!runtime)
        return;
    if (runtime->L)
        lua_close(runtime->L);
    if (runtime->curl)
        kumo_curl_transport_free(runtime->curl);
    if (runtime->sandbox)
        kumo_sandbox_free(runtime->sandbox);
    kumo_credential_chain_free(runtime->credentials);
    kumo_config_clear(&runtime->config);
    free(runtime->region);
    free(runtime->profile);
    free(runtime->endpoint);
    free(runtime->stdlib_path);
    free(runtime->input_json);
    free(runtime);
}
