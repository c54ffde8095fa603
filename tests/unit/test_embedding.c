/*
 * test_embedding.c - the embedding API as a host uses it: the memory cap,
 * the time limit, the library allow-list, host functions and modules, JSON
 * input, cancelling from another thread, and several runtimes in parallel
 * threads, each against its own in-memory sandbox. Only kumo.h is used (and
 * fake_transport.h for the environment cleaner). Run under ASan/UBSan with
 * leak checking by `make asan`.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_transport.h"
#include "kumo.h"

/* ---- helpers ---------------------------------------------------------------- */

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void drop_log(void *user_data, enum kumo_log_level level, const char *message)
{
    (void)user_data;
    (void)level;
    (void)message;
}

/* A sandbox runtime (nothing leaves the process) with the given limits. */
static struct kumo_runtime *new_runtime(size_t memory_limit, long time_limit_ms, unsigned libraries)
{
    struct kumo_options options = {.log = drop_log,
                                   .log_level = KUMO_LOG_DEBUG,
                                   .sandbox = 1,
                                   .memory_limit_bytes = memory_limit,
                                   .time_limit_ms = time_limit_ms,
                                   .libraries = libraries};
    struct kumo_error *error = NULL;
    struct kumo_runtime *runtime = kumo_runtime_new(&options, &error);
    if (!runtime)
        fail_msg("kumo_runtime_new: %s", error ? error->message : "?");
    return runtime;
}

/* Runs `script`; fails the test unless it succeeds. Returns the JSON
 * result (free with kumo_free). */
static char *run_json(struct kumo_runtime *runtime, const char *script)
{
    char *json = NULL;
    struct kumo_error *error = NULL;
    enum kumo_status status = kumo_runtime_run_string(runtime, "=t", script, &json, &error);
    if (status != KUMO_OK)
        fail_msg("script failed (%d): %s\n%s", status, error ? error->message : "?",
                 error && error->traceback ? error->traceback : "");
    return json;
}

static void expect_result(struct kumo_runtime *runtime, const char *script, const char *expected)
{
    char *json = run_json(runtime, script);
    if (strcmp(json, expected) != 0)
        fail_msg("result %s, expected %s", json, expected);
    kumo_free(json);
}

/* Runs `script`, expects `status` and (when not NULL) the error's code. */
static void expect_failure(struct kumo_runtime *runtime, const char *script,
                           enum kumo_status status, const char *code, const char *in_message)
{
    char *json = NULL;
    struct kumo_error *error = NULL;
    enum kumo_status got = kumo_runtime_run_string(runtime, "=t", script, &json, &error);
    assert_null(json);
    assert_non_null(error);
    if (got != status)
        fail_msg("status %d, expected %d: %s", got, status, error->message);
    assert_int_equal(error->status, status);
    if (code) {
        assert_non_null(error->code);
        assert_string_equal(error->code, code);
    }
    if (in_message && !strstr(error->message, in_message))
        fail_msg("message '%s' lacks '%s'", error->message, in_message);
    kumo_error_free(error);
}

/* ---- the memory cap ------------------------------------------------------------ */

#define CAP (4u << 20)

static const char grow_table[] = "local t = {}\n"
                                 "for i = 1, 1e8 do t[i] = 'entry ' .. i end\n"
                                 "return #t";

static void test_memory_cap(void **state)
{
    (void)state;
    struct kumo_runtime *runtime = new_runtime(CAP, 0, 0);
    expect_failure(runtime, grow_table, KUMO_ERROR_LIMIT, "MemoryLimitExceeded", "memory limit");

    /* a script's pcall cannot swallow it, nor can a loop of pcalls */
    expect_failure(runtime,
                   "local ok = pcall(function()\n"
                   "  local t = {} for i = 1, 1e8 do t[i] = 'entry ' .. i end\n"
                   "end)\n"
                   "return 'survived'",
                   KUMO_ERROR_LIMIT, "MemoryLimitExceeded", NULL);
    expect_failure(runtime,
                   "for n = 1, 100 do\n"
                   "  pcall(function() local t = {} for i = 1, 1e8 do t[i] = {i} end end)\n"
                   "end\n"
                   "return 'survived'",
                   KUMO_ERROR_LIMIT, "MemoryLimitExceeded", NULL);
    /* one huge allocation in C (string.rep) */
    expect_failure(runtime, "return #string.rep('x', 64 * 1024 * 1024)", KUMO_ERROR_LIMIT,
                   "MemoryLimitExceeded", NULL);

    /* the runtime is usable afterwards, and garbage under the cap is fine:
     * allocating far more than the cap in total, a little at a time */
    expect_result(runtime, "return 1 + 1", "2");
    expect_result(runtime,
                  "local n = 0\n"
                  "for i = 1, 300000 do local t = {i, tostring(i)} n = n + #t end\n"
                  "return n",
                  "600000");
    expect_result(runtime, "return #string.rep('x', 1024 * 1024)", "1048576");
    kumo_runtime_destroy(runtime);
}

static void test_memory_cap_too_small_for_setup(void **state)
{
    (void)state;
    struct kumo_options options = {.log = drop_log, .memory_limit_bytes = 4096};
    struct kumo_error *error = NULL;
    assert_null(kumo_runtime_new(&options, &error));
    assert_non_null(error);
    assert_int_equal(error->status, KUMO_ERROR_LIMIT);
    assert_string_equal(error->code, "MemoryLimitExceeded");
    kumo_error_free(error);
}

/* ---- the time limit ------------------------------------------------------------ */

#define TIME_LIMIT_MS 200
#define SLACK_MS 1500 /* generous: sanitizers, loaded CI machines */

static void expect_time_limit(struct kumo_runtime *runtime, const char *script)
{
    int64_t start = now_ms();
    expect_failure(runtime, script, KUMO_ERROR_LIMIT, "TimeLimitExceeded", "time limit");
    int64_t elapsed = now_ms() - start;
    if (elapsed < TIME_LIMIT_MS || elapsed > TIME_LIMIT_MS + SLACK_MS)
        fail_msg("stopped after %lld ms, limit %d ms", (long long)elapsed, TIME_LIMIT_MS);
    print_message("stopped after %lld ms (limit %d ms)\n", (long long)elapsed, TIME_LIMIT_MS);
}

static void test_time_limit(void **state)
{
    (void)state;
    struct kumo_runtime *runtime = new_runtime(0, TIME_LIMIT_MS, 0);
    expect_time_limit(runtime, "while true do end");
    expect_time_limit(runtime, "while true do pcall(function() while true do end end) end");
    expect_time_limit(runtime, "local co = coroutine.wrap(function() while true do end end)\n"
                               "while true do pcall(co) end");
    expect_time_limit(runtime, "while true do pcall(kumo.sleep, 10) end");
    expect_time_limit(runtime, "local ok, e = pcall(error, 'x') while true do\n"
                               "  xpcall(function() while true do end end,\n"
                               "         function(m) while true do end end)\n"
                               "end");
    /* a new run gets a new deadline */
    expect_result(runtime, "local n = 0 for i = 1, 1000 do n = n + i end return n", "500500");
    kumo_runtime_destroy(runtime);
}

/* ---- the library allow-list ------------------------------------------------------ */

/* A directory holding embedmod.lua (returns 42); the caller removes it. */
static void make_module_dir(char *dir, size_t size)
{
    snprintf(dir, size, "/tmp/kumo-embed-XXXXXX");
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/embedmod.lua", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("return 42\n", f);
    fclose(f);
}

static void remove_module_dir(const char *dir)
{
    char path[256];
    snprintf(path, sizeof path, "%s/embedmod.lua", dir);
    unlink(path);
    rmdir(dir);
}

static void set_dir_input(struct kumo_runtime *runtime, const char *dir)
{
    char input[300];
    snprintf(input, sizeof input, "{\"dir\": \"%s\"}", dir);
    assert_int_equal(kumo_runtime_set_input_json(runtime, input, NULL), KUMO_OK);
}

static void test_safe_set(void **state)
{
    (void)state;
    char dir[64];
    make_module_dir(dir, sizeof dir);
    struct kumo_runtime *runtime = new_runtime(0, 0, 0);
    set_dir_input(runtime, dir);
    expect_result(runtime,
                  "local dir = kumo.input.dir\n"
                  "assert(io == nil, 'io')\n"
                  "assert(debug == nil, 'debug')\n"
                  "assert(os.execute == nil and os.getenv == nil and os.remove == nil\n"
                  "       and os.exit == nil and os.tmpname == nil, 'os')\n"
                  "for _, f in ipairs{'time', 'clock', 'date', 'difftime'} do\n"
                  "  assert(type(os[f]) == 'function', f)\n"
                  "end\n"
                  "assert(package.loadlib == nil and package.cpath == nil, 'native')\n"
                  "assert(package.searchpath == nil, 'searchpath')\n"
                  "assert(dofile == nil and loadfile == nil, 'files')\n"
                  "local f, err = load(string.dump(function() return 1 end))\n"
                  "assert(f == nil and err:find('binary chunk'), tostring(err))\n"
                  "f, err = load(string.dump(function() return 1 end), 'x', 'b')\n"
                  "assert(f == nil, 'bytecode with mode b')\n"
                  "assert(load('return 41 + 1')() == 42)\n"
                  "local ok0, e0 = pcall(setmetatable, {}, {__gc = function() end})\n"
                  "assert(not ok0 and e0:find('__gc metamethods are not allowed'), e0)\n"
                  "assert(select(2, xpcall(error, function(m) return 'handled ' .. m end, 'x')) == "
                  "'handled x')\n"
                  "local co = coroutine.wrap(function() return xpcall(function() "
                  "coroutine.yield(1) return 2 end, print) end)\n"
                  "assert(co() == 1 and select(2, co()) == 2, 'yield across xpcall')\n"
                  "local ok, e = pcall(require, 'socket')\n"
                  "assert(not ok and e:find(\"module 'socket' not found\"), e)\n"
                  "package.path = dir .. '/?.lua'\n"
                  "ok, e = pcall(require, 'embedmod')\n"
                  "assert(not ok, 'a file module was loaded')\n"
                  "assert(require('kumo.sg') and require('string') == string)\n"
                  "assert(require('kumo.vpc').ensure)\n"
                  "return 'safe'",
                  "\"safe\"");
    /* run_file does not open package.path next to the script either */
    char script[256];
    snprintf(script, sizeof script, "%s/main.lua", dir);
    FILE *f = fopen(script, "w");
    assert_non_null(f);
    fputs("return require 'embedmod'\n", f);
    fclose(f);
    struct kumo_error *error = NULL;
    assert_int_equal(kumo_runtime_run_file(runtime, script, NULL, &error), KUMO_ERROR_SCRIPT);
    assert_non_null(strstr(error->message, "embedmod"));
    kumo_error_free(error);
    unlink(script);
    kumo_runtime_destroy(runtime);
    remove_module_dir(dir);
}

static void test_all_libraries(void **state)
{
    (void)state;
    char dir[64];
    make_module_dir(dir, sizeof dir);
    struct kumo_runtime *runtime = new_runtime(0, 0, KUMO_LIBS_ALL);
    set_dir_input(runtime, dir);
    expect_result(runtime,
                  "local dir = kumo.input.dir\n"
                  "assert(io.open and os.getenv and os.execute and debug.traceback)\n"
                  "assert(package.loadlib and package.cpath and package.searchpath)\n"
                  "assert(load(string.dump(function() return 7 end))() == 7)\n"
                  "package.path = dir .. '/?.lua'\n"
                  "assert(require('embedmod') == 42)\n"
                  "assert(dofile(dir .. '/embedmod.lua') == 42)\n"
                  "assert(loadfile(dir .. '/embedmod.lua')() == 42)\n"
                  "return 'all'",
                  "\"all\"");
    kumo_runtime_destroy(runtime);

    /* one flag at a time */
    runtime = new_runtime(0, 0, KUMO_LIB_BYTECODE);
    expect_result(runtime,
                  "assert(io == nil and debug == nil and dofile == nil)\n"
                  "return load(string.dump(function() return 7 end))()",
                  "7");
    kumo_runtime_destroy(runtime);
    runtime = new_runtime(0, 0, KUMO_LIB_IO | KUMO_LIB_OS);
    expect_result(runtime, "return io.write ~= nil and os.getenv ~= nil and debug == nil", "true");
    kumo_runtime_destroy(runtime);
    runtime = new_runtime(0, 0, KUMO_LIB_FILES);
    set_dir_input(runtime, dir);
    expect_result(runtime,
                  "package.path = kumo.input.dir .. '/?.lua'\n"
                  "return require('embedmod') + (package.loadlib and 1 or 0)",
                  "42");
    kumo_runtime_destroy(runtime);
    remove_module_dir(dir);
}

/* ---- host functions and modules ---------------------------------------------------- */

struct host_log {
    char args[8][256];
    int calls;
};

static void host_echo(void *user_data, const char *args_json, struct kumo_host_call *call)
{
    struct host_log *log = user_data;
    if (log->calls < 8)
        snprintf(log->args[log->calls], sizeof log->args[0], "%s", args_json);
    log->calls++;
    assert_int_equal(kumo_host_call_return_json(call, args_json), KUMO_OK);
}

static void host_fail(void *user_data, const char *args_json, struct kumo_host_call *call)
{
    (void)user_data;
    (void)args_json;
    kumo_host_call_return_json(call, "1"); /* replaced by the failure */
    assert_int_equal(kumo_host_call_fail(call, "disk full"), KUMO_OK);
}

static void host_bad_json(void *user_data, const char *args_json, struct kumo_host_call *call)
{
    (void)user_data;
    (void)args_json;
    kumo_host_call_return_json(call, "{not json");
}

static void host_nothing(void *user_data, const char *args_json, struct kumo_host_call *call)
{
    (void)user_data;
    (void)args_json;
    (void)call;
}

static void host_null(void *user_data, const char *args_json, struct kumo_host_call *call)
{
    (void)user_data;
    (void)args_json;
    kumo_host_call_return_json(call, "null");
}

static void test_host_functions(void **state)
{
    (void)state;
    struct host_log log = {0};
    struct kumo_runtime *runtime = new_runtime(CAP, 0, 0);
    assert_int_equal(kumo_runtime_register_function(runtime, "host", "echo", host_echo, &log),
                     KUMO_OK);
    assert_int_equal(kumo_runtime_register_function(runtime, "host", "fail", host_fail, NULL),
                     KUMO_OK);
    assert_int_equal(kumo_runtime_register_function(runtime, "host", "bad", host_bad_json, NULL),
                     KUMO_OK);
    assert_int_equal(kumo_runtime_register_function(runtime, "host", "nothing", host_nothing, NULL),
                     KUMO_OK);
    assert_int_equal(kumo_runtime_register_function(runtime, "host", "null", host_null, NULL),
                     KUMO_OK);
    assert_int_equal(kumo_runtime_register_function(runtime, "acme.tools", "echo", host_echo, &log),
                     KUMO_OK);

    expect_result(runtime,
                  "local host = require 'host'\n"
                  "local r = host.echo(1, 'two', {three = 3}, nil, true, 2.5)\n"
                  "assert(r[1] == 1 and r[2] == 'two' and r[3].three == 3)\n"
                  "assert(r[4] == json.null and r[5] == true and r[6] == 2.5)\n"
                  "assert(#host.echo() == 0)\n"
                  "assert(host.nothing() == nil and select('#', host.nothing()) == 0)\n"
                  "assert(host.null() == nil)\n"
                  "assert(require('acme.tools').echo('x')[1] == 'x')\n"
                  "local ok, e = pcall(function() local x = host.fail('a') return x end)\n"
                  "assert(not ok and e == 't:9: disk full', e)\n"
                  "ok, e = pcall(host.fail)\n"
                  "assert(not ok and e == 'disk full', e) -- called from C: no position\n"
                  "ok, e = pcall(host.bad)\n"
                  "assert(not ok and e:find('host.bad returned invalid JSON'), e)\n"
                  "ok, e = pcall(host.echo, print)\n"
                  "assert(not ok and e:find('host.echo: cannot pass the arguments: '), e)\n"
                  "return r",
                  "[\n  1,\n  \"two\",\n  {\n    \"three\": 3\n  },\n  null,\n  true,\n  2.5\n]");
    assert_int_equal(log.calls, 3);
    assert_string_equal(log.args[0], "[1,\"two\",{\"three\":3},null,true,2.5]");
    assert_string_equal(log.args[1], "[]");
    assert_string_equal(log.args[2], "[\"x\"]");

    /* an uncaught failure is a script error; an unknown module too */
    expect_failure(runtime, "require('host').fail()", KUMO_ERROR_SCRIPT, NULL, "t:1: disk full");
    expect_failure(runtime, "require('nohost')", KUMO_ERROR_SCRIPT, NULL,
                   "module 'nohost' not found");

    /* refused registrations */
    assert_int_equal(kumo_runtime_register_function(runtime, "kumo", "x", host_echo, NULL),
                     KUMO_ERROR_USAGE);
    assert_int_equal(kumo_runtime_register_function(runtime, "kumo.sg", "x", host_echo, NULL),
                     KUMO_ERROR_USAGE);
    assert_int_equal(kumo_runtime_register_function(runtime, "string", "x", host_echo, NULL),
                     KUMO_ERROR_USAGE);
    assert_int_equal(kumo_runtime_register_function(runtime, "host", "", host_echo, NULL),
                     KUMO_ERROR_USAGE);
    assert_int_equal(kumo_runtime_register_function(runtime, "host", "x", NULL, NULL),
                     KUMO_ERROR_USAGE);
    assert_int_equal(kumo_runtime_register_function(NULL, "host", "x", host_echo, NULL),
                     KUMO_ERROR_USAGE);
    assert_int_equal(kumo_host_call_return_json(NULL, "1"), KUMO_ERROR_USAGE);
    assert_int_equal(kumo_host_call_fail(NULL, "x"), KUMO_ERROR_USAGE);

    /* a function registered after the module was required appears in it */
    assert_int_equal(kumo_runtime_register_function(runtime, "host", "late", host_null, NULL),
                     KUMO_OK);
    expect_result(runtime, "return type(require('host').late)", "\"function\"");
    kumo_runtime_destroy(runtime);
}

static void test_host_modules(void **state)
{
    (void)state;
    struct kumo_runtime *runtime = new_runtime(CAP, 0, 0);
    struct kumo_error *error = NULL;
    assert_int_equal(kumo_runtime_register_module(runtime, "greet",
                                                  "local name = ...\n"
                                                  "local M = {}\n"
                                                  "function M.hi(who) return 'hi ' .. who end\n"
                                                  "M.name = name\n"
                                                  "return M",
                                                  &error),
                     KUMO_OK);
    assert_null(error);
    expect_result(runtime,
                  "local g = require 'greet'\n"
                  "assert(g == require 'greet' and g.name == 'greet')\n"
                  "return g.hi('web')",
                  "\"hi web\"");

    assert_int_equal(kumo_runtime_register_module(runtime, "broken", "return {", &error),
                     KUMO_ERROR_SCRIPT);
    assert_non_null(strstr(error->message, "broken:1:"));
    kumo_error_free(error);
    assert_int_equal(kumo_runtime_register_module(runtime, "greet", "return 1", &error),
                     KUMO_ERROR_USAGE);
    kumo_error_free(error);
    assert_int_equal(kumo_runtime_register_module(runtime, "kumo.x", "return 1", &error),
                     KUMO_ERROR_USAGE);
    kumo_error_free(error);
    assert_int_equal(kumo_runtime_register_function(runtime, "greet", "x", host_null, NULL),
                     KUMO_ERROR_USAGE);
    assert_int_equal(kumo_runtime_register_function(runtime, "fns", "x", host_null, NULL), KUMO_OK);
    assert_int_equal(kumo_runtime_register_module(runtime, "fns", "return 1", NULL),
                     KUMO_ERROR_USAGE);
    /* a binary chunk is refused (text only) */
    assert_int_equal(kumo_runtime_register_module(runtime, "bin", "\x1bLua", &error),
                     KUMO_ERROR_SCRIPT);
    kumo_error_free(error);
    kumo_runtime_destroy(runtime);
}

/* ---- input -------------------------------------------------------------------- */

static void test_input_json(void **state)
{
    (void)state;
    struct kumo_runtime *runtime = new_runtime(0, 0, 0);
    expect_result(runtime, "return {n = select('#', ...), input = kumo.input == nil}",
                  "{\n  \"input\": true,\n  \"n\": 0\n}");
    assert_int_equal(
        kumo_runtime_set_input_json(runtime, "{\"name\": \"web\", \"ports\": [80, 443]}", NULL),
        KUMO_OK);
    const char *script = "local input = ...\n"
                         "assert(input == kumo.input)\n"
                         "local name = input.name\n"
                         "input.name = 'changed'\n"
                         "return {name = name, n = #input.ports, first = input.ports[1]}";
    const char *expected = "{\n  \"first\": 80,\n  \"n\": 2,\n  \"name\": \"web\"\n}";
    expect_result(runtime, script, expected);
    expect_result(runtime, script, expected); /* decoded afresh for each run */

    struct kumo_error *error = NULL;
    assert_int_equal(kumo_runtime_set_input_json(runtime, "[1, ]", &error), KUMO_ERROR_USAGE);
    assert_int_equal(error->status, KUMO_ERROR_USAGE);
    assert_non_null(strstr(error->message, "input: "));
    assert_non_null(strstr(error->message, "byte"));
    kumo_error_free(error);
    expect_result(runtime, script, expected); /* the previous input is kept */

    assert_int_equal(kumo_runtime_set_input_json(runtime, "\"scalar\"", NULL), KUMO_OK);
    expect_result(runtime, "return ...", "\"scalar\"");
    assert_int_equal(kumo_runtime_set_input_json(runtime, NULL, NULL), KUMO_OK);
    expect_result(runtime, "return select('#', ...)", "0");
    kumo_runtime_destroy(runtime);
}

/* ---- cancelling ------------------------------------------------------------------ */

struct cancel_run {
    struct kumo_runtime *runtime;
    const char *script;
    atomic_int started;
    enum kumo_status status;
    char code[64];
};

static void host_started(void *user_data, const char *args_json, struct kumo_host_call *call)
{
    (void)args_json;
    (void)call;
    atomic_store(&((struct cancel_run *)user_data)->started, 1);
}

static void *cancel_thread(void *arg)
{
    struct cancel_run *run = arg;
    struct kumo_error *error = NULL;
    run->status = kumo_runtime_run_string(run->runtime, "=t", run->script, NULL, &error);
    snprintf(run->code, sizeof run->code, "%s", error && error->code ? error->code : "");
    kumo_error_free(error);
    return NULL;
}

static void cancel_while_running(struct kumo_runtime *runtime, struct cancel_run *run,
                                 const char *script)
{
    run->script = script;
    atomic_store(&run->started, 0);
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, cancel_thread, run), 0);
    while (!atomic_load(&run->started))
        usleep(1000);
    usleep(50 * 1000);
    int64_t start = now_ms();
    kumo_runtime_cancel(runtime);
    pthread_join(thread, NULL);
    int64_t elapsed = now_ms() - start;
    assert_int_equal(run->status, KUMO_ERROR_CANCELLED);
    assert_string_equal(run->code, "Cancelled");
    if (elapsed > 1000)
        fail_msg("the cancel took %lld ms", (long long)elapsed);
}

static void test_cancel(void **state)
{
    (void)state;
    struct kumo_runtime *runtime = new_runtime(0, 0, 0);
    struct cancel_run run = {.runtime = runtime};
    assert_int_equal(kumo_runtime_register_function(runtime, "host", "started", host_started, &run),
                     KUMO_OK);
    cancel_while_running(runtime, &run, "require('host').started() while true do end");
    cancel_while_running(runtime, &run,
                         "require('host').started()\n"
                         "while true do pcall(function() while true do end end) end");
    cancel_while_running(runtime, &run, "require('host').started() kumo.sleep(60)");
    /* the request is cleared after the run: the next one runs */
    expect_result(runtime, "return 'after'", "\"after\"");
    /* a cancel between runs stops the next run at once */
    kumo_runtime_cancel(runtime);
    expect_failure(runtime, "while true do end", KUMO_ERROR_CANCELLED, "Cancelled", "cancelled");
    expect_result(runtime, "return 'again'", "\"again\"");
    kumo_runtime_cancel(NULL);
    kumo_runtime_destroy(runtime);
}

/* ---- one runtime per thread, in parallel ------------------------------------------ */

#define THREADS 4

static const char provision[] =
    "local vpc = require 'kumo.vpc'\n"
    "local sg = require 'kumo.sg'\n"
    "local input = ...\n"
    "local v = vpc.ensure{ name = input.prefix .. '-vpc', cidr = input.cidr }\n"
    "local web = sg.ensure{ name = input.prefix .. '-web', description = 'web',\n"
    "  vpc_id = v.vpc_id,\n"
    "  ingress = { { protocol = 'tcp', port = 443, cidr = '0.0.0.0/0' } } }\n"
    "local groups = ec2.describe_security_groups{ vpc_id = v.vpc_id }\n"
    "local names = {}\n"
    "for _, g in ipairs(groups) do names[#names + 1] = g.name end\n"
    "table.sort(names)\n"
    "return { prefix = input.prefix, created = v.created, vpc_cidr = v.cidr,\n"
    "         vpc_id = v.vpc_id, group_id = web.group_id, groups = names }";

struct parallel_run {
    int index;
    int ok;
    char message[512];
    char first[2048];
    char second[2048];
};

static void *parallel_thread(void *arg)
{
    struct parallel_run *run = arg;
    struct kumo_options options = {
        .log = drop_log, .sandbox = 1, .memory_limit_bytes = 32u << 20, .time_limit_ms = 60000};
    struct kumo_error *error = NULL;
    struct kumo_runtime *runtime = kumo_runtime_new(&options, &error);
    if (!runtime) {
        snprintf(run->message, sizeof run->message, "new: %s", error ? error->message : "?");
        kumo_error_free(error);
        return NULL;
    }
    char input[128];
    snprintf(input, sizeof input, "{\"prefix\": \"t%d\", \"cidr\": \"10.%d.0.0/16\"}", run->index,
             run->index + 10);
    char *results[2] = {NULL, NULL};
    enum kumo_status status = kumo_runtime_set_input_json(runtime, input, &error);
    for (int i = 0; i < 2 && status == KUMO_OK; i++)
        status = kumo_runtime_run_string(runtime, "=provision", provision, &results[i], &error);
    if (status == KUMO_OK) {
        run->ok = 1;
        snprintf(run->first, sizeof run->first, "%s", results[0]);
        snprintf(run->second, sizeof run->second, "%s", results[1]);
    } else {
        snprintf(run->message, sizeof run->message, "%d: %s", status, error ? error->message : "?");
    }
    kumo_free(results[0]);
    kumo_free(results[1]);
    kumo_error_free(error);
    kumo_runtime_destroy(runtime);
    return NULL;
}

static void test_parallel_runtimes(void **state)
{
    (void)state;
    pthread_t threads[THREADS];
    struct parallel_run runs[THREADS];
    memset(runs, 0, sizeof runs);
    for (int i = 0; i < THREADS; i++) {
        runs[i].index = i;
        assert_int_equal(pthread_create(&threads[i], NULL, parallel_thread, &runs[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(threads[i], NULL);
    for (int i = 0; i < THREADS; i++) {
        if (!runs[i].ok)
            fail_msg("thread %d: %s", i, runs[i].message);
        char expect[128];
        snprintf(expect, sizeof expect, "\"prefix\": \"t%d\"", i);
        assert_non_null(strstr(runs[i].first, expect));
        snprintf(expect, sizeof expect, "\"vpc_cidr\": \"10.%d.0.0/16\"", i + 10);
        assert_non_null(strstr(runs[i].first, expect));
        assert_non_null(strstr(runs[i].first, "\"created\": true"));
        assert_non_null(strstr(runs[i].second, "\"created\": false"));
        /* each world holds only its own groups: default and t<i>-web */
        snprintf(expect, sizeof expect, "\"groups\": [\n    \"default\",\n    \"t%d-web\"\n  ]", i);
        if (!strstr(runs[i].first, expect))
            fail_msg("thread %d: %s", i, runs[i].first);
        /* the second run found the same VPC and group */
        const char *id = strstr(runs[i].first, "\"vpc_id\"");
        assert_non_null(id);
        assert_non_null(strstr(runs[i].second, id));
    }
}

int main(int argc, char **argv)
{
    clean_aws_environment();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memory_cap),    cmocka_unit_test(test_memory_cap_too_small_for_setup),
        cmocka_unit_test(test_time_limit),    cmocka_unit_test(test_safe_set),
        cmocka_unit_test(test_all_libraries), cmocka_unit_test(test_host_functions),
        cmocka_unit_test(test_host_modules),  cmocka_unit_test(test_input_json),
        cmocka_unit_test(test_cancel),        cmocka_unit_test(test_parallel_runtimes),
    };
    if (argc > 1) {
        char filter[128];
        snprintf(filter, sizeof filter, "test_%s", argv[1]);
        cmocka_set_test_filter(filter);
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
