/*
 * error.h - kumo.Error, the one error table raised for AWS, network,
 * credential and configuration failures, and the message handler every
 * host call into Lua goes through.
 *
 * A kumo.Error is a table with the fields below and the metatable
 * registered as "kumo.Error" (whose __tostring gives
 * "code: message (operation, request id X)").
 */
#ifndef KUMO_HOST_ERROR_H
#define KUMO_HOST_ERROR_H

#include <lua.h>

#include "kumo.h"

/* Codes kumo uses for failures that are not AWS error codes. */
#define KUMO_CODE_CONNECTION_FAILED "ConnectionFailed"
#define KUMO_CODE_TIMEOUT "Timeout"
#define KUMO_CODE_TLS_FAILED "TLSFailed"
#define KUMO_CODE_RESPONSE_TOO_LARGE "ResponseTooLarge"
#define KUMO_CODE_INVALID_RESPONSE "InvalidResponse"
#define KUMO_CODE_TRANSPORT_FAILED "TransportFailed"
#define KUMO_CODE_NO_CREDENTIALS "NoCredentials"
#define KUMO_CODE_CONFIG "InvalidConfiguration"

struct kumo_error_info {
    const char *kind;      /* "aws", "http", "timeout", "credentials", "config" */
    const char *operation; /* may be NULL */
    const char *code;
    const char *message;
    const char *request_id; /* may be NULL */
    const char *hint;       /* may be NULL */
    long http_status;       /* 0: no HTTP answer */
    int attempts;
};

/* Registers the "kumo.Error" metatable. */
void kumo_error_register(lua_State *L);

/* Pushes a new kumo.Error table. */
void kumo_error_push(lua_State *L, const struct kumo_error_info *info);

/* Raises a new kumo.Error. Does not return. Free C memory before calling. */
int kumo_error_raise(lua_State *L, const struct kumo_error_info *info);

/* The message handler for lua_pcall: keeps a kumo.Error's fields, turns any
 * other value into a message string, and adds a traceback (stored as field
 * `traceback` of the error table, or appended to a string message). */
int kumo_error_message_handler(lua_State *L);

/* Builds a public struct kumo_error from the error value at `index` (as left
 * by lua_pcall with the message handler). `fallback` is the status used when
 * the value is not a kumo.Error. Returns NULL only when out of memory. */
struct kumo_error *kumo_error_from_lua(lua_State *L, int index, enum kumo_status fallback);

/* Hands `value` to the caller through `slot` (an API function's error
 * out-parameter), or frees it when the caller passed no slot. */
void kumo_error_store(struct kumo_error **slot, struct kumo_error *value);

/* A struct kumo_error built from C strings (any may be NULL). */
struct kumo_error *kumo_error_new(enum kumo_status status, const char *kind, const char *code,
                                  const char *message);

#endif
