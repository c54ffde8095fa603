/*
 * call.h - the one entry point bindings use to talk to EC2: encode the wire
 * parameters, resolve configuration and credentials (once per runtime),
 * sign, send through the runtime's transport with retries, decode.
 */
#ifndef KUMO_CALL_H
#define KUMO_CALL_H

#include <lua.h>

/* Performs EC2 `action` with the wire-parameter table at `params_index`
 * (0 or a nil value: none). Pushes the decoded response table (see xml.h)
 * and returns 1, or raises a kumo.Error. */
int kumo_call_ec2(lua_State *L, const char *action, int params_index);

/* Resolves region and endpoint (not credentials) once per runtime and
 * returns the region; raises a kumo.Error of kind "config" when it cannot. */
const char *kumo_call_region(lua_State *L);

#endif
