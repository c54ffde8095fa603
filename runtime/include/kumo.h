/*
 * kumo.h - the public embedding API of libkumo, the only installed header.
 *
 * A host creates a runtime with kumo_runtime_new(), runs Lua provisioning
 * scripts with kumo_runtime_run_file() / kumo_runtime_run_string(), reads the
 * script's returned table as JSON text, and destroys the runtime. No Lua type
 * appears here: the Lua state is private to the runtime.
 *
 * Ownership rules, everywhere in this header:
 *   - strings passed in are copied; the caller keeps ownership of its own;
 *   - strings and structs handed out are owned by the caller and released with
 *     kumo_free() (strings) or kumo_error_free() (errors);
 *   - a runtime is used by one thread at a time.
 */
#ifndef KUMO_H
#define KUMO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define KUMO_API __attribute__((visibility("default")))
#else
#define KUMO_API
#endif

#define KUMO_VERSION_MAJOR 0
#define KUMO_VERSION_MINOR 1
#define KUMO_VERSION_PATCH 0
#define KUMO_VERSION_STRING "0.1.0"

/* Outcome of an API call. KUMO_OK is 0; every failure also fills a
 * struct kumo_error whose `kind` says more. */
enum kumo_status {
    KUMO_OK = 0,
    KUMO_ERROR_USAGE = 1,       /* bad argument to an API function, unreadable script file */
    KUMO_ERROR_SCRIPT = 2,      /* Lua syntax or runtime error raised by the script itself */
    KUMO_ERROR_AWS = 3,         /* AWS answered with an error document (kind "aws") */
    KUMO_ERROR_HTTP = 4,        /* connection, TLS, or unusable HTTP answer (kind "http") */
    KUMO_ERROR_TIMEOUT = 5,     /* the endpoint did not answer in time (kind "timeout") */
    KUMO_ERROR_CREDENTIALS = 6, /* no usable credentials (kind "credentials") */
    KUMO_ERROR_CONFIG = 7,      /* region, profile or endpoint cannot be resolved (kind "config") */
    KUMO_ERROR_MEMORY = 8,      /* out of memory */
    KUMO_ERROR_LIMIT = 9,       /* the script hit options.memory_limit_bytes (code
                                   "MemoryLimitExceeded") or options.time_limit_ms (code
                                   "TimeLimitExceeded"); kind "limit" */
    KUMO_ERROR_CANCELLED = 10   /* kumo_runtime_cancel() stopped the run (kind "cancelled",
                                   code "Cancelled") */
};

/* A failure, as the script or AWS reported it. Every string may be NULL when
 * it does not apply. Allocated by the library; release with kumo_error_free(). */
struct kumo_error {
    enum kumo_status status;
    char *kind;       /* "aws", "http", "timeout", "credentials", "config", "script", "usage",
                         "memory", "limit", "cancelled" */
    char *operation;  /* the EC2 action, e.g. "CreateSecurityGroup" */
    char *code;       /* the AWS error code, e.g. "InvalidGroup.Duplicate" */
    char *message;    /* human-readable message, never containing a secret */
    char *request_id; /* the AWS request id, when AWS sent one */
    char *hint;       /* what the user can do about it, when kumo knows */
    char *traceback;  /* Lua traceback at the point of the error */
    long http_status; /* 0 when no HTTP answer was received */
    int attempts;     /* HTTP attempts made for the failing operation (0 if none) */
};

/* Releases an error and all its strings. NULL is allowed. */
KUMO_API void kumo_error_free(struct kumo_error *error);

/* Releases a string returned by the library (JSON results). NULL is allowed. */
KUMO_API void kumo_free(void *ptr);

/* ---- Transport seam ------------------------------------------------------
 * The runtime hands each signed HTTP request to a transport: libcurl by
 * default, or one the host supplies (a test double, an offline simulator). */

struct kumo_http_header {
    const char *name;
    const char *value;
};

struct kumo_http_request {
    const char *method;                     /* "POST" */
    const char *url;                        /* "https://ec2.us-east-1.amazonaws.com/" */
    const struct kumo_http_header *headers; /* as signed, plus unsigned SDK headers */
    size_t header_count;
    const char *body;
    size_t body_length;
    long connect_timeout_ms;
    long timeout_ms;           /* whole exchange */
    size_t max_response_bytes; /* the response body cap */
    const char *ca_bundle;     /* PEM file to trust, or NULL for the system store */
    int allow_plain_http;      /* 1 only when the user named an http:// endpoint */
    int no_proxy;              /* 1: never through a proxy (instance metadata and
                                  container credential endpoints) */
};

/* The response being received; owned by the runtime, filled by the transport
 * through the three functions below. */
struct kumo_http_response;

enum kumo_transport_result {
    KUMO_TRANSPORT_OK = 0,         /* an HTTP response (any status) was received */
    KUMO_TRANSPORT_CONNECT_FAILED, /* DNS, refused, unreachable */
    KUMO_TRANSPORT_TIMEOUT,        /* connect or total timeout */
    KUMO_TRANSPORT_TLS_FAILED,     /* certificate or handshake failure */
    KUMO_TRANSPORT_TOO_LARGE,      /* body over max_response_bytes */
    KUMO_TRANSPORT_FAILED          /* anything else (reset, truncated body, refused redirect) */
};

/* Sets the HTTP status code. */
KUMO_API void kumo_http_response_set_status(struct kumo_http_response *response, long status);
/* Records one response header (copied). Returns 0, or -1 when out of memory. */
KUMO_API int kumo_http_response_add_header(struct kumo_http_response *response, const char *name,
                                           size_t name_length, const char *value,
                                           size_t value_length);
/* Appends body bytes (copied). Returns 0, or -1 when the body would exceed
 * the request's max_response_bytes or memory runs out; the transport then
 * returns KUMO_TRANSPORT_TOO_LARGE. */
KUMO_API int kumo_http_response_append_body(struct kumo_http_response *response, const void *data,
                                            size_t length);

/* A transport sends one request and fills `response`. On failure it returns
 * a non-OK result and writes a one-line reason (no secrets) into
 * error_message. It must not keep pointers into request after returning. */
typedef enum kumo_transport_result (*kumo_transport_fn)(void *user_data,
                                                        const struct kumo_http_request *request,
                                                        struct kumo_http_response *response,
                                                        char *error_message,
                                                        size_t error_message_size);

/* Current time, in milliseconds since the Unix epoch. */
typedef int64_t (*kumo_clock_fn)(void *user_data);

enum kumo_log_level {
    KUMO_LOG_DEBUG = 0, /* one line per HTTP exchange; shown by `kumo run -v` */
    KUMO_LOG_INFO = 1,
    KUMO_LOG_WARN = 2,
    KUMO_LOG_ERROR = 3,
    KUMO_LOG_REPORT = 4 /* the run's report (a plan, dry-run results): shown even with -q,
                           printed by the `kumo` command without a prefix */
};

/* What a run does with the changes a script asks for (docs/plan.md). */
enum kumo_run_mode {
    KUMO_RUN_APPLY = 0,   /* make them */
    KUMO_RUN_PLAN = 1,    /* reads are real, writes are recorded and not sent; the result
                             is the plan */
    KUMO_RUN_DRY_RUN = 2, /* writes are sent with DryRun=true: AWS checks permissions,
                             nothing changes; the result lists allowed and denied actions */
    KUMO_RUN_DESTROY = 3  /* remove what the script manages, in reverse order */
};

/* Receives one log line (no trailing newline). Secrets are already masked. */
typedef void (*kumo_log_fn)(void *user_data, enum kumo_log_level level, const char *message);

/* Options for kumo_runtime_new(). Zero-initialise, then set what you need;
 * every NULL/0 field means "the default", which follows the AWS SDK rules:
 * region, profile and endpoint come from the environment and the shared
 * config files (see docs/configuration.md). */
struct kumo_options {
    const char *region;          /* like --region */
    const char *profile;         /* like --profile */
    const char *endpoint;        /* like --endpoint; an http:// URL is allowed here only */
    kumo_transport_fn transport; /* NULL: libcurl */
    void *transport_data;
    kumo_clock_fn clock; /* NULL: the system clock */
    void *clock_data;
    kumo_log_fn log; /* NULL: lines go to stderr */
    void *log_data;
    enum kumo_log_level log_level; /* lines below this level are dropped */
    const char *stdlib_path;       /* development: load the stdlib modules (kumo/NAME.lua) from this
                                      directory instead of the compiled-in copies;
                                      NULL: $KUMO_STDLIB_PATH, else compiled-in */
    int sandbox;                   /* 1: run against kumo's offline EC2 simulator
                                      (docs/sandbox.md) instead of AWS: its own
                                      credentials, region defaulting to us-east-1,
                                      nothing leaves the machine */
    const char *sandbox_state_path; /* with sandbox: load the simulated world from this
                                       JSON file and save it back after each run
                                       (atomically); NULL: in memory only */
    enum kumo_run_mode run_mode;    /* KUMO_RUN_APPLY unless set */
    int destroy_untagged;           /* with KUMO_RUN_DESTROY: also delete resources that lack
                                       kumo's `kumo:stack` tag (normally refused) */
    /* ---- Limits, for scripts the host does not trust (see "Limits" below) ---- */
    size_t memory_limit_bytes; /* cap on everything the runtime's Lua state allocates (the
                                  kumo libraries included, ~1 MiB is a sensible minimum);
                                  0: no cap */
    long time_limit_ms;        /* wall-clock limit of each kumo_runtime_run_*() call;
                                  0: none */
    unsigned libraries;        /* KUMO_LIB_* flags: what a script may use beyond the safe set;
                                  0: the safe set only */
};

/* ---- Limits ------------------------------------------------------------------
 * The safe set of Lua libraries (options.libraries == 0): the base library
 * without dofile and loadfile (load accepts text chunks only), string, table,
 * math, utf8, coroutine, an `os` table with only time, clock, date and
 * difftime, the kumo libraries, and `require` limited to package.preload, the
 * kumo stdlib and the host's modules (kumo_runtime_register_*()). Each flag
 * below adds one capability back. The `kumo` command passes KUMO_LIBS_ALL:
 * it runs the user's own scripts.
 *
 * memory_limit_bytes: an allocation that would exceed the cap fails; when it
 * still fails after Lua's emergency garbage collection, the run stops with
 * KUMO_ERROR_LIMIT "MemoryLimitExceeded". time_limit_ms: checked every 1000
 * Lua instructions and in kumo.sleep(); past the deadline the run stops with
 * KUMO_ERROR_LIMIT "TimeLimitExceeded". A script cannot catch either stop (or
 * a cancel) with pcall: once stopped, every further Lua instruction raises
 * again. A long call into C (an HTTP exchange, one huge string.rep) finishes
 * (or times out) before the stop is seen. After the failed run the runtime is
 * usable again (the hook and flags are reset, garbage collected); destroying
 * it releases everything. Memory outside the Lua state (HTTP buffers, the
 * sandbox world, C-side JSON) is not counted. */
#define KUMO_LIB_IO (1u << 0)       /* the io library */
#define KUMO_LIB_OS (1u << 1)       /* the whole os library (execute, getenv, remove, exit...) */
#define KUMO_LIB_DEBUG (1u << 2)    /* the debug library */
#define KUMO_LIB_NATIVE (1u << 3)   /* package.loadlib, package.cpath and the C searchers */
#define KUMO_LIB_BYTECODE (1u << 4) /* binary (precompiled) chunks in load() */
#define KUMO_LIB_FILES                                                                             \
    (1u << 5) /* require of .lua files on package.path (and, for                                   \
                 kumo_runtime_run_file(), next to the script),                                     \
                 package.searchpath, dofile, loadfile */
#define KUMO_LIBS_ALL                                                                              \
    (KUMO_LIB_IO | KUMO_LIB_OS | KUMO_LIB_DEBUG | KUMO_LIB_NATIVE | KUMO_LIB_BYTECODE |            \
     KUMO_LIB_FILES)

struct kumo_runtime;

/* Creates a runtime: a fresh Lua state with the kumo libraries loaded.
 * Region, endpoint and credentials are resolved lazily, on the first AWS
 * call, so a script that makes none needs no AWS configuration.
 * Returns NULL on failure and, when `error` is not NULL, stores a new error
 * there (release with kumo_error_free()). */
KUMO_API struct kumo_runtime *kumo_runtime_new(const struct kumo_options *options,
                                               struct kumo_error **error);

/* Sets kumo.vars[key] = value (both copied) for scripts run later.
 * Returns KUMO_OK or KUMO_ERROR_USAGE (NULL or empty key) / KUMO_ERROR_MEMORY. */
KUMO_API enum kumo_status kumo_runtime_set_var(struct kumo_runtime *runtime, const char *key,
                                               const char *value);

/* Runs the Lua file at `path`. On success returns KUMO_OK and, when
 * `result_json` is not NULL, stores the script's first return value as JSON
 * text ("null" when it returned nothing), to be released with kumo_free().
 * On failure returns the status and, when `error` is not NULL, stores a new
 * error there. */
KUMO_API enum kumo_status kumo_runtime_run_file(struct kumo_runtime *runtime, const char *path,
                                                char **result_json, struct kumo_error **error);

/* Like kumo_runtime_run_file() for a chunk of Lua source; `chunk_name` names
 * it in error messages (e.g. "=config"). */
KUMO_API enum kumo_status kumo_runtime_run_string(struct kumo_runtime *runtime,
                                                  const char *chunk_name, const char *source,
                                                  char **result_json, struct kumo_error **error);

/* Destroys a runtime and everything it owns. NULL is allowed. Must not run
 * concurrently with any other call on the same runtime (kumo_runtime_cancel()
 * included): join the thread that runs scripts first. */
KUMO_API void kumo_runtime_destroy(struct kumo_runtime *runtime);

/* ---- Input ---------------------------------------------------------------- */

/* Sets the input of the runs that follow: `json` (any JSON text, copied) is
 * decoded afresh for each run and seen by the script both as `kumo.input`
 * and as the chunk's first argument (`local input = ...`); objects become
 * tables, arrays tables with the kumo.array metatable, null json.null.
 * NULL clears it (kumo.input is nil and the chunk gets no argument).
 * Returns KUMO_OK; KUMO_ERROR_USAGE when `json` is not valid JSON (the error,
 * when `error` is not NULL, says where: "input: unexpected character ']' at
 * byte 4") or a run is in progress; KUMO_ERROR_MEMORY. The previous input is
 * kept on failure. */
KUMO_API enum kumo_status kumo_runtime_set_input_json(struct kumo_runtime *runtime,
                                                      const char *json, struct kumo_error **error);

/* ---- Host functions and modules ----------------------------------------------
 * A host adds its own Lua modules, without seeing a Lua type:
 *
 *   static void notify(void *user_data, const char *args_json, struct kumo_host_call *call)
 *   {
 *       printf("notify %s\n", args_json);           // ["deployed",3]
 *       kumo_host_call_return_json(call, "true");
 *   }
 *   kumo_runtime_register_function(runtime, "host", "notify", notify, NULL);
 *   -- Lua: local ok = require("host").notify("deployed", 3)
 */

/* The call in progress: valid only during the kumo_host_fn it is passed to. */
struct kumo_host_call;

/* A host function. `args_json` is the script's arguments as a JSON array
 * ("[]" with none; nil becomes null; tables as json.encode writes them),
 * valid until the function returns. The function answers through `call`
 * (at most one of the two; the later call replaces the earlier), or not at
 * all (the script gets no value). It runs on the thread that runs the
 * script, in the middle of the run: it must not call any kumo_runtime_*()
 * function on the same runtime except kumo_runtime_cancel(), and must
 * return (no longjmp, no C++ exception). Limits do not interrupt it: the
 * time it takes counts against time_limit_ms and is seen when it returns. */
typedef void (*kumo_host_fn)(void *user_data, const char *args_json, struct kumo_host_call *call);

/* Registers `fn` as require(module)[name] for the scripts of this runtime
 * (strings copied; `user_data` is passed back as is and stays owned by the
 * host, which must keep it valid until the runtime is destroyed). Several
 * functions may share one module; registering a name again replaces it.
 * `module` must not be "kumo", start with "kumo.", name a built-in library
 * or a module registered with kumo_runtime_register_module().
 * Returns KUMO_OK, KUMO_ERROR_USAGE (NULL/empty names, a reserved or taken
 * module, a run in progress) or KUMO_ERROR_MEMORY / KUMO_ERROR_LIMIT. */
KUMO_API enum kumo_status kumo_runtime_register_function(struct kumo_runtime *runtime,
                                                         const char *module, const char *name,
                                                         kumo_host_fn fn, void *user_data);

/* The host function's result: `json` (copied) is decoded and becomes the
 * Lua call's one return value (a top-level null becomes nil). Invalid JSON
 * is raised in the script as an error naming the function. Returns KUMO_OK,
 * KUMO_ERROR_USAGE (NULL argument) or KUMO_ERROR_MEMORY. */
KUMO_API enum kumo_status kumo_host_call_return_json(struct kumo_host_call *call, const char *json);

/* Makes the Lua call raise `message` (copied) as an error in the script,
 * prefixed with the calling line ("deploy.lua:7: disk full"); pcall
 * catches it. Returns KUMO_OK, KUMO_ERROR_USAGE or KUMO_ERROR_MEMORY. */
KUMO_API enum kumo_status kumo_host_call_fail(struct kumo_host_call *call, const char *message);

/* Registers a module written in Lua: require(name) runs `lua_source`
 * (text only, compiled now, copied) once and returns what it returns, as
 * for a file module. Same naming rules as kumo_runtime_register_function();
 * the name must not be taken. Returns KUMO_OK, KUMO_ERROR_USAGE (bad or
 * taken name, a run in progress), KUMO_ERROR_SCRIPT (syntax error, message
 * in the error) or KUMO_ERROR_MEMORY / KUMO_ERROR_LIMIT; `error` as for
 * kumo_runtime_new(). */
KUMO_API enum kumo_status kumo_runtime_register_module(struct kumo_runtime *runtime,
                                                       const char *name, const char *lua_source,
                                                       struct kumo_error **error);

/* ---- Cancelling ----------------------------------------------------------------
 * Threads: a runtime belongs to one thread at a time; different runtimes
 * may run in parallel threads (the library's global initialisation, libcurl
 * and libxml2, happens once, thread-safely). kumo_runtime_cancel() is the
 * one call that may come from another thread. */

/* Asks the running script of `runtime` to stop: at its next check (within
 * 1000 Lua instructions, or within 50 ms of kumo.sleep()) the run fails with
 * KUMO_ERROR_CANCELLED, which pcall cannot catch. An HTTP exchange in flight
 * finishes or times out first. A cancel requested while no run is in
 * progress stops the next run at its start; every run clears the request
 * when it ends. Thread-safe and async-signal-safe (an atomic store); the
 * runtime must stay alive until the call returns. NULL is allowed. */
KUMO_API void kumo_runtime_cancel(struct kumo_runtime *runtime);

/* ---- The offline sandbox as a server ----------------------------------------
 * Serves the same simulated EC2 over plain HTTP on a loopback address, so
 * that other clients (the AWS CLI, boto3) can inspect or prepare a sandbox
 * state file: `aws --endpoint-url http://127.0.0.1:PORT ec2 describe-vpcs`
 * with the sandbox credentials. */

/* The credentials the sandbox accepts (not secrets). */
KUMO_API const char *kumo_sandbox_access_key_id(void);
KUMO_API const char *kumo_sandbox_secret_access_key(void);

/* Called once the server listens; `port` is the bound port. */
typedef void (*kumo_serve_ready_fn)(void *user_data, const char *host, int port);

/* Serves the sandbox world of `state_path` (NULL: in memory) on host:port
 * (host must be a loopback address; port 0 picks a free one) until SIGINT
 * or SIGTERM, reloading the file when another process changed it and saving
 * after every change. One request per connection. Returns KUMO_OK after a
 * clean stop, or a status with an error. */
KUMO_API enum kumo_status kumo_sandbox_serve(const char *state_path, const char *host, int port,
                                             kumo_serve_ready_fn ready, void *ready_data,
                                             struct kumo_error **error);

/* What a run of this runtime would use, and where each value came from: the
 * profile, region, endpoint, credential source (the access key id masked,
 * never a secret), retry mode and attempts, CA bundle; a setting that cannot
 * be resolved carries its error instead. Resolving the credentials may call
 * STS, a credential process or a metadata endpoint, as a run would. With
 * `as_json` the report is a JSON object ({ "region": { "value", "source",
 * "error"? }, ... }), else an aligned text table. The report is released
 * with kumo_free(). Used by `kumo config`. */
KUMO_API enum kumo_status kumo_runtime_describe_config(struct kumo_runtime *runtime, int as_json,
                                                       char **report, struct kumo_error **error);

/* The library version, e.g. "0.1.0". */
KUMO_API const char *kumo_version(void);

#ifdef __cplusplus
}
#endif

#endif /* KUMO_H */
