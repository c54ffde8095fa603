/*
 * runtime_internal.h - the definition of struct kumo_runtime (opaque in
 * kumo.h) and what the rest of the runtime and the bindings may ask of it.
 */
#ifndef KUMO_RUNTIME_INTERNAL_H
#define KUMO_RUNTIME_INTERNAL_H

#include <stdint.h>

#include <lua.h>

#include "kumo.h"
#include "host/limits.h"
#include "aws/config.h"
#include "aws/retry.h"

struct kumo_curl_transport;
struct kumo_sandbox;
struct kumo_credential_chain;

struct kumo_runtime {
    lua_State *L;
    char *region; /* copies of the options; NULL when not given */
    char *profile;
    char *endpoint;
    char *stdlib_path; /* development override for stdlib/, or NULL */
    kumo_transport_fn transport;
    void *transport_data;
    struct kumo_curl_transport *curl; /* owned; set when the default transport is used */
    struct kumo_sandbox *sandbox;     /* owned; set in sandbox mode (the transport) */
    kumo_clock_fn clock;
    void *clock_data;
    kumo_log_fn log;
    void *log_data;
    enum kumo_log_level log_level;
    enum kumo_run_mode run_mode;
    int destroy_untagged;
    unsigned libraries;        /* KUMO_LIB_* flags from the options */
    struct kumo_limits limits; /* memory cap, time limit, cancel (host/limits.h) */
    char *input_json;          /* kumo_runtime_set_input_json(), or NULL */
    int running;               /* a kumo_runtime_run_*() is in progress */
    int config_resolved;       /* region/endpoint resolved into `config` */
    int credentials_resolved;  /* credentials checked once (sandbox: set in `config`) */
    struct kumo_credential_chain *credentials; /* owned; the SDK chain (not in sandbox mode) */
    struct kumo_config config;
    uint64_t random_state;         /* xorshift state for retry jitter and invocation ids */
    struct kumo_retry_state retry; /* quota, rate limiter, clock offset (aws/retry.h) */
};

/* The runtime that owns L (stored in the registry). Never NULL inside a
 * runtime's Lua state. */
struct kumo_runtime *kumo_runtime_from_lua(lua_State *L);

/* The runtime's clock, in milliseconds since the epoch. */
int64_t kumo_runtime_now_ms(struct kumo_runtime *runtime);

/* A pseudo-random 64-bit value (not for secrets). */
uint64_t kumo_runtime_random(struct kumo_runtime *runtime);

#endif
