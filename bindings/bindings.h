/*
 * bindings.h - the Lua-facing libraries kumo registers in every runtime.
 * Each luaopen_* pushes its module table (luaL_Reg style) and returns 1;
 * runtime/host/runtime.c preloads them as "kumo.<name>" and sets the globals
 * ec2, json, log.
 */
#ifndef KUMO_BINDINGS_H
#define KUMO_BINDINGS_H

#include <lua.h>

int luaopen_kumo_ec2(lua_State *L);  /* ec2.call and the typed bindings (ec2_*.c) */
int luaopen_kumo_json(lua_State *L); /* json.encode, json.decode, json.null */
int luaopen_kumo_log(lua_State *L);  /* log.info, log.warn, log.error */
int luaopen_kumo_net(lua_State *L);  /* kumo.net: canonical_cidr, canonical_rule, validate_rule */
int luaopen_kumo_plan(lua_State *L); /* kumo.plan: what plan / dry-run runs recorded (plan.c) */

/* The typed EC2 bindings, one file per resource family. Each adds its
 * functions to the table on top of the stack (luaopen_kumo_ec2 calls them). */
void kumo_ec2_register_security_groups(lua_State *L); /* ec2_security_group.c */
void kumo_ec2_register_vpcs(lua_State *L);            /* ec2_vpc.c */
void kumo_ec2_register_tags(lua_State *L);            /* ec2_tags.c */

#endif
