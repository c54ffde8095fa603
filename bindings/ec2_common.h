/*
 * ec2_common.h - what the typed EC2 bindings share beyond argument checks:
 * describe calls that follow NextToken to the end, and reading the decoded
 * response tables (strings, tag sets).
 */
#ifndef KUMO_BINDINGS_EC2_COMMON_H
#define KUMO_BINDINGS_EC2_COMMON_H

#include <lua.h>

struct kumo_check;

/* The luaL_where level of a binding's caller: the binding is the running C
 * function (level 0), the script line that called it is level 1. */
#define KUMO_BINDING_LEVEL 1

/* Calls `action` with the wire table at `params_index`, then again with
 * NextToken set (in that table) while the response carries a non-empty
 * nextToken. Pushes one array of the items of `list_field` of every page.
 * Raises kumo.Error as kumo_call_ec2 does, and a plain error when the
 * server repeats a token. */
void kumo_ec2_call_pages(lua_State *L, const char *action, int params_index,
                         const char *list_field);

/* Converts one decoded response item (at `index`) into a result table on
 * the stack; returns 1 when it pushed one, 0 to skip the item. */
typedef int (*kumo_ec2_item_fn)(lua_State *L, int index);

/* A whole Describe* call: sets `Filter` in the wire table at `params` from
 * the filter list at `filters` (when not empty) and MaxResults=1000 unless
 * `by_id` (EC2 refuses the two together), follows NextToken to the end, and
 * pushes one array of the converted items of `list_field`. */
void kumo_ec2_describe_all(lua_State *L, const char *action, int params, int filters, int by_id,
                           const char *list_field, kumo_ec2_item_fn convert);

/* Field `name` of the table at `index` when it is a string, else NULL. The
 * string stays valid while the table does. */
const char *kumo_ec2_string(lua_State *L, int index, const char *name);

/* Pushes { key = value, ... } from the `tagSet` array of the response item
 * at `index` (empty table when absent). */
void kumo_ec2_push_tags(lua_State *L, int index);

/* Pushes the DryRun wire flag into the wire table at `params_index` when
 * the argument table at `args_index` has dry_run = true. */
void kumo_ec2_set_dry_run(lua_State *L, int args_index, int params_index,
                          const struct kumo_check *check);

#endif
