/*
 * runtime_internal.h - the definition of struct kumo_runtime (opaque in
 * kumo.h) and what the rest of the runtime and the bindings may ask of it.
 */
#ifndef KUMO_RUNTIME_INTERNAL_H
#define KUMO_RUNTIME_INTERNAL_H

#include <stdint.h>

#include <lua.h>

#include "kumo.h"
#include "aws/config.h"

struct kumo_curl_transport;
struct kumo_sandbox;

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
    int config_resolved;      /* region/endpoint resolved into `config` */
    int credentials_resolved; /* credentials resolved into `config` */
    struct kumo_config config;
    uint64_t random_state; /* xorshift state for retry jitter and invocation ids */
};

/* The runtime that owns L (stored in the registry). Never NULL inside a
 * runtime's Lua state. */
struct kumo_runtime *kumo_runtime_from_lua(lua_State *L);

/* The runtime's clock, in milliseconds since the epoch. */
int64_t kumo_runtime_now_ms(struct kumo_runtime *runtime);

/* A pseudo-random 64-bit value (not for secrets). */
uint64_t kumo_runtime_random(struct kumo_runtime *runtime);

#endif
