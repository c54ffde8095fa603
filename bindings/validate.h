/*
 * validate.h - argument checking for the typed EC2 bindings and kumo.net:
 * field paths, unknown fields, types, lengths, the characters EC2 accepts in
 * names and descriptions, resource ids, tags and filters, and the one rule
 * model (struct kumo_rule) that authorize, revoke, describe and kumo.net
 * share: checking a rule table, its identity, its wire form, its Lua shape.
 *
 * Every check raises a plain Lua error string
 *   "<where><function>: <path>: <message>"
 * e.g. "script.lua:12: ec2.authorize_ingress: rules[2].from_port: integer
 * expected, got string". No C heap memory is used: paths live in fixed
 * buffers on the C stack, everything else in Lua.
 */
#ifndef KUMO_BINDINGS_VALIDATE_H
#define KUMO_BINDINGS_VALIDATE_H

#include <stddef.h>

#include <lua.h>

/* Longest field path kept in a message (longer ones are cut). */
#define KUMO_PATH_MAX 160

/* Where a failed check is reported. */
struct kumo_check {
    const char *function; /* "ec2.authorize_ingress"; NULL: no function prefix */
    int level;            /* luaL_where level of the position; 0: no position */
};

/* Raises "<where><function>: <path>: <formatted message>" (no "<path>: "
 * when path is empty). The format is lua_pushfstring's. Does not return. */
int kumo_check_fail(lua_State *L, const struct kumo_check *check, const char *path,
                    const char *format, ...);

/* Child paths: "parent.field" (just "field" at the top), "parent[index]",
 * and "parent.key" or parent["key"] for a key that is not a Lua name. */
void kumo_path_field(char *out, const char *parent, const char *field);
void kumo_path_index(char *out, const char *parent, lua_Integer index);
void kumo_path_key(char *out, const char *parent, const char *key);

/* Raises "<path>: table expected, got <type>" unless the value at `index`
 * is a table. */
void kumo_check_table(lua_State *L, const struct kumo_check *check, int index, const char *path);

/* Raises "<path>.<key>: unknown field" for any key of the table at `index`
 * not in the NULL-terminated `allowed` list (non-string keys included). */
void kumo_check_fields(lua_State *L, const struct kumo_check *check, int index, const char *path,
                       const char *const *allowed);

/* Field `field` of the table at `index` (raw access). Optional forms return
 * NULL (or 0 in *present) when the field is nil; required forms raise
 * "<path>.<field>: required". Strings stay owned by the table. */
const char *kumo_check_opt_string(lua_State *L, const struct kumo_check *check, int index,
                                  const char *path, const char *field, size_t *length);
const char *kumo_check_string(lua_State *L, const struct kumo_check *check, int index,
                              const char *path, const char *field, size_t *length);
lua_Integer kumo_check_opt_integer(lua_State *L, const struct kumo_check *check, int index,
                                   const char *path, const char *field, int *present);
/* 1 for true, 0 for false or nil. */
int kumo_check_opt_boolean(lua_State *L, const struct kumo_check *check, int index,
                           const char *path, const char *field);

/* Length in [min, max] characters (bytes). */
void kumo_check_length(lua_State *L, const struct kumo_check *check, const char *path,
                       size_t length, size_t min, size_t max);

/* Only a-zA-Z0-9, space and ._-:/()#,@[]+=&;{}!$* (EC2's set for security
 * group names and descriptions). */
void kumo_check_ec2_text(lua_State *L, const struct kumo_check *check, const char *path,
                         const char *text, size_t length);

/* `prefix` followed by one or more lowercase hex digits, at most 64 bytes
 * ("sg-", "vpc-", "pl-", "sgr-"). `what` names the kind in the message. */
void kumo_check_id(lua_State *L, const struct kumo_check *check, const char *path, const char *text,
                   const char *prefix, const char *what);

/* The value at `index` must be a list (keys 1..n, nothing else); returns n. */
lua_Integer kumo_check_list(lua_State *L, const struct kumo_check *check, int index,
                            const char *path);

/* Checks the list at `index` (non-empty) of ids with `prefix` (NULL: any
 * "<letters>-<hex>" resource id), refusing repeats, and pushes a new array
 * of the ids for the wire. */
void kumo_push_id_list(lua_State *L, const struct kumo_check *check, int index, const char *path,
                       const char *prefix, const char *what);

/* Checks a tag map { Key = "value" } (keys 1..128 characters, not starting
 * with "aws:", values strings of 0..256) at `index` and pushes the wire list
 * { { Key = k, Value = v }, ... } sorted by key. Empty map: empty list. */
void kumo_push_wire_tags(lua_State *L, const struct kumo_check *check, int index, const char *path);

/* Checks a filter map { ["name"] = "v" | { "v1", ... } } at `index` and
 * appends { Name = name, Value = { ... } } entries, sorted by name, to the
 * wire list at `list_index`. Raises when a name is already in that list
 * (e.g. "vpc-id" given both as vpc_id and in filters). */
void kumo_append_wire_filters(lua_State *L, const struct kumo_check *check, int index,
                              const char *path, int list_index);

/* Appends { Name = name, Value = { values... } } to the wire filter list at
 * `list_index`; the values are the list at `values_index`, or the single
 * string `value` when values_index is 0. */
void kumo_append_filter(lua_State *L, int list_index, const char *name, int values_index,
                        const char *value);

/* Pushes a new array of the string keys of the table at `index`, sorted
 * bytewise. */
void kumo_push_sorted_keys(lua_State *L, int index);

/* Gives the table on top of the stack the "kumo.array" metatable (when the
 * runtime registered one), so an empty array is written as [] in JSON. */
void kumo_mark_array(lua_State *L);

/* ---- CIDR blocks ---- */

enum kumo_family { KUMO_IPV4 = 4, KUMO_IPV6 = 6 };

/* Longest canonical CIDR text, NUL included. */
#define KUMO_CIDR_MAX 64

/* Canonical form of a CIDR block: IPv4 "a.b.c.d/n" (n 0..32) or IPv6
 * "addr/n" (n 0..128, inet_pton syntax), host bits cleared, IPv6 in
 * lowercase compressed form (inet_ntop). Returns NULL and fills `out` and
 * `family`, or returns a reason ("prefix length must be 0-32", ...). */
const char *kumo_cidr_canonical(const char *text, size_t length, char out[KUMO_CIDR_MAX],
                                enum kumo_family *family);

/* ---- Rules ---- */

enum kumo_source {
    KUMO_SOURCE_IPV4,        /* cidr, IPv4 */
    KUMO_SOURCE_IPV6,        /* cidr, IPv6 */
    KUMO_SOURCE_GROUP,       /* source_group */
    KUMO_SOURCE_PREFIX_LIST, /* prefix_list */
};

/* One rule: a protocol, its ports, one source, an optional description. */
struct kumo_rule {
    char protocol[8];        /* "tcp" "udp" "icmp" "icmpv6" "all", or "0".."255" */
    int has_ports;           /* 1 for tcp, udp, icmp, icmpv6 */
    long from_port, to_port; /* -1 -1 when has_ports is 0 */
    enum kumo_source source;
    char source_id[72];      /* canonical CIDR, group id or prefix list id */
    char owner_id[16];       /* source group's account; "" when not given */
    const char *description; /* NULL, or a non-empty string owned by Lua */
};

/* Longest identity string, NUL included. */
#define KUMO_IDENTITY_MAX 112

/* Extra fields a rule table may carry; see kumo_rule_check. */
enum kumo_rule_fields {
    KUMO_RULE_DECLARED, /* only the fields authorize accepts */
    KUMO_RULE_RESULT,   /* also rule_id, group_id, direction (ignored) */
};

/* Checks the rule table at `index` (path e.g. "rules[2]") and fills `out`.
 * Raises on unknown fields, wrong types, bad protocols, ports, CIDRs, ids,
 * descriptions, and a missing or second source. */
void kumo_rule_check(lua_State *L, const struct kumo_check *check, int index, const char *path,
                     enum kumo_rule_fields fields, struct kumo_rule *out);

/* Normalises a protocol given as text ("tcp", "6", "-1", "all", "50") into
 * out: names for 6, 17, 1, 58 and -1, else the decimal number. Returns 0, or
 * -1 when the text is not a protocol. */
int kumo_protocol_normalize(const char *text, char out[8]);

/* Sets has_ports and the ports for the protocol in `rule` from EC2's
 * fromPort/toPort text (either may be NULL), as describe results give them. */
void kumo_rule_set_described_ports(struct kumo_rule *rule, const char *from, const char *to);

/* The identity string "<protocol>|<from>|<to>|<kind>:<source>", e.g.
 * "tcp|80|80|cidr:0.0.0.0/0", "all|-1|-1|cidr:::/0", "icmp|8|-1|sg:sg-1",
 * "udp|53|53|pl:pl-63a5400a". Description and owner are not part of it. */
void kumo_rule_identity(const struct kumo_rule *rule, char out[KUMO_IDENTITY_MAX]);

/* Pushes the wire form of one rule: an IpPermissions entry
 * { IpProtocol, FromPort?, ToPort?, IpRanges | Ipv6Ranges | Groups |
 *   PrefixListIds = { { ..., Description? } } }. */
void kumo_rule_push_wire(lua_State *L, const struct kumo_rule *rule);

/* Pushes the Lua shape of a rule, the one authorize accepts: protocol, port
 * or from_port/to_port, cidr | source_group | prefix_list, description?.
 * source_group is the plain id unless the rule's owner_id is set and differs
 * from `group_owner_id` (NULL: unknown, plain id). */
void kumo_rule_push_table(lua_State *L, const struct kumo_rule *rule, const char *group_owner_id);

#endif
