/*
 * net.c - the `kumo.net` library: CIDR canonical forms and security group
 * rule identities, for Lua code (the stdlib) that compares declared rules
 * with the ones EC2 describes. It uses the same checks and the same
 * identity as the ec2 bindings (validate.h), so what the bindings accept
 * and refuse, and what they count as "the same rule", is decided in one
 * place.
 */
#include <lauxlib.h>

#include "bindings/bindings.h"
#include "bindings/validate.h"

/* net.canonical_cidr(text) -> canonical, "ipv4"|"ipv6"  |  nil, message
 * Host bits cleared, IPv6 lowercase and compressed:
 * "10.0.0.18/8" -> "10.0.0.0/8", "ipv4"; "2001:DB8::1/32" -> "2001:db8::/32", "ipv6". */
static int net_canonical_cidr(lua_State *L)
{
    size_t length;
    const char *text = luaL_checklstring(L, 1, &length);
    char canonical[KUMO_CIDR_MAX];
    enum kumo_family family;
    const char *reason = kumo_cidr_canonical(text, length, canonical, &family);
    if (reason) {
        luaL_pushfail(L);
        lua_pushfstring(L, "malformed CIDR '%s' (%s)", text, reason);
        return 2;
    }
    lua_pushstring(L, canonical);
    lua_pushstring(L, family == KUMO_IPV6 ? "ipv6" : "ipv4");
    return 2;
}

/* net.canonical_rule(rule) -> identity string
 * "<protocol>|<from>|<to>|<cidr|sg|pl>:<source>", e.g. "tcp|80|80|cidr:0.0.0.0/0",
 * the identity the bindings' duplicate check uses. Accepts the rule shape of
 * authorize and of results (rule_id, group_id and direction are ignored).
 * Raises "net.canonical_rule: rule.<field>: ..." on an invalid rule. */
static int net_canonical_rule(lua_State *L)
{
    const struct kumo_check check = {"net.canonical_rule", 1};
    struct kumo_rule rule;
    char identity[KUMO_IDENTITY_MAX];
    lua_settop(L, 1);
    kumo_rule_check(L, &check, 1, "rule", KUMO_RULE_RESULT, &rule);
    kumo_rule_identity(&rule, identity);
    lua_pushstring(L, identity);
    return 1;
}

/* net.validate_rule(rule, path?, level?) -> true
 * Checks a rule exactly as the ec2 bindings do and raises their message,
 * "<path>.<field>: ..." (path defaults to "rule"), positioned like error():
 * level 1 (default) is the caller of validate_rule, 0 adds no position. */
static int net_validate_rule(lua_State *L)
{
    const char *path = luaL_optstring(L, 2, "rule");
    lua_Integer level = luaL_optinteger(L, 3, 1);
    char copy[KUMO_PATH_MAX];
    lua_pushstring(L, path);
    kumo_path_field(copy, "", lua_tostring(L, -1));
    lua_pop(L, 1);
    const struct kumo_check check = {NULL, level < 0 ? 0 : (int)level};
    struct kumo_rule rule;
    kumo_rule_check(L, &check, 1, copy, KUMO_RULE_DECLARED, &rule);
    lua_pushboolean(L, 1);
    return 1;
}

static const luaL_Reg net_functions[] = {{"canonical_cidr", net_canonical_cidr},
                                         {"canonical_rule", net_canonical_rule},
                                         {"validate_rule", net_validate_rule},
                                         {NULL, NULL}};

int luaopen_kumo_net(lua_State *L)
{
    luaL_newlib(L, net_functions);
    return 1;
}
