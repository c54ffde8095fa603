/*
 * intercept.h - what the one call path (call.c) asks before sending an EC2
 * request and after AWS refused one, so that plan and dry-run runs
 * (enum kumo_run_mode, docs/plan.md) go through the same bindings and
 * stdlib code as a real run:
 *
 *   plan:    a mutating action is recorded, not sent, and answered with the
 *            shape EC2 would send, carrying placeholder ids;
 *   dry run: a mutating action is sent with DryRun=true; DryRunOperation
 *            (allowed) and UnauthorizedOperation / AccessDenied (denied) are
 *            recorded and answered like a success, so the script goes on and
 *            every denied action is found.
 *
 * What was recorded lives in the registry table "kumo.plan" ({ calls,
 * allowed, denied, next_id }); kumo.plan (bindings/plan.c) reads it.
 */
#ifndef KUMO_INTERCEPT_H
#define KUMO_INTERCEPT_H

#include <lua.h>

struct kumo_runtime;

/* The registry key of the recorded table. */
#define KUMO_PLAN_REGISTRY_KEY "kumo.plan"

/* Placeholder ids: PREFIX-0000000000000NNNN (17 hex digits, 13 zeros and a
 * counter), valid for the bindings' id checks, shown as "(known after apply)". */
#define KUMO_PLACEHOLDER_ZEROS "0000000000000"

/* 1 when `action` changes something (not Describe*, Get*, List*). */
int kumo_intercept_is_mutating(const char *action);

/* 1 when `id` is a placeholder id (any prefix). */
int kumo_intercept_is_placeholder(const char *id);

/* Pushes a new placeholder id with `prefix` ("sg", "vpc", "sgr", ...). */
void kumo_intercept_push_placeholder(lua_State *L, const char *prefix);

/* Before sending `action` with the wire table at *params_index (0: none).
 * Returns 0: send it (in dry-run mode, a mutating action then carries
 * DryRun=true: the table at *params_index is replaced by a copy that has it,
 * or, when there was none, a new table is pushed and *params_index set to
 * it); 1: a synthesized response was pushed (plan mode, mutating action; the
 * call is recorded) and nothing must be sent. May raise (memory). */
int kumo_intercept_before(lua_State *L, struct kumo_runtime *rt, const char *action,
                          int *params_index);

/* After AWS answered `action` with error `code` (`message`, `http_status`):
 * in dry-run mode, DryRunOperation is recorded as allowed and
 * UnauthorizedOperation / AccessDenied as denied, a synthesized response is
 * pushed and 1 returned; a *.NotFound for a request naming a placeholder id
 * (a resource the dry run did not create) is recorded as allowed but not
 * verified. Otherwise returns 0 and pushes nothing. */
int kumo_intercept_error(lua_State *L, struct kumo_runtime *rt, const char *action,
                         int params_index, const char *code, const char *message, long http_status);

#endif
