/*
 * validate.c - argument checking for the typed EC2 bindings and kumo.net
 * (see validate.h): field paths and messages, types, lengths, EC2's text
 * character set, resource ids, tags, filters, CIDR blocks, and the rule
 * model shared by authorize, revoke, describe and kumo.net.
 */
#include "bindings/validate.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#define DESCRIPTION_MAX 255
#define TAG_KEY_MAX 128
#define TAG_VALUE_MAX 256
#define ID_MAX 64
#define OWNER_ID_LENGTH 12

int kumo_check_fail(lua_State *L, const struct kumo_check *check, const char *path,
                    const char *format, ...)
{
    if (check->level > 0)
        luaL_where(L, check->level);
    else
        lua_pushliteral(L, "");
    if (check->function)
        lua_pushfstring(L, "%s: ", check->function);
    else
        lua_pushliteral(L, "");
    if (path && *path)
        lua_pushfstring(L, "%s: ", path);
    else
        lua_pushliteral(L, "");
    va_list arguments;
    va_start(arguments, format);
    lua_pushvfstring(L, format, arguments);
    va_end(arguments);
    lua_concat(L, 4);
    return lua_error(L);
}

/* ---- paths ---- */

/* Formats a path into out (KUMO_PATH_MAX bytes); a longer one is cut. */
__attribute__((format(printf, 2, 3))) static void format_path(char *out, const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(out, KUMO_PATH_MAX, format, arguments);
    va_end(arguments);
}

void kumo_path_field(char *out, const char *parent, const char *field)
{
    if (parent && *parent)
        format_path(out, "%s.%s", parent, field);
    else
        format_path(out, "%s", field);
}

void kumo_path_index(char *out, const char *parent, lua_Integer index)
{
    format_path(out, "%s[%lld]", parent ? parent : "", (long long)index);
}

static int is_lua_name(const char *text)
{
    if (!*text || (*text >= '0' && *text <= '9'))
        return 0;
    for (const char *p = text; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return 0;
    }
    return 1;
}

void kumo_path_key(char *out, const char *parent, const char *key)
{
    if (is_lua_name(key))
        kumo_path_field(out, parent, key);
    else
        format_path(out, "%s[\"%.64s\"]", parent ? parent : "", key);
}

/* ---- types and fields ---- */

void kumo_check_table(lua_State *L, const struct kumo_check *check, int index, const char *path)
{
    if (lua_type(L, index) != LUA_TTABLE)
        kumo_check_fail(L, check, path, "table expected, got %s", luaL_typename(L, index));
}

static int in_list(const char *name, const char *const *allowed)
{
    for (size_t i = 0; allowed[i]; i++)
        if (strcmp(name, allowed[i]) == 0)
            return 1;
    return 0;
}

void kumo_check_fields(lua_State *L, const struct kumo_check *check, int index, const char *path,
                       const char *const *allowed)
{
    char child[KUMO_PATH_MAX];
    index = lua_absindex(L, index);
    lua_pushnil(L);
    while (lua_next(L, index)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) == LUA_TSTRING) {
            const char *key = lua_tostring(L, -1);
            if (!in_list(key, allowed)) {
                kumo_path_key(child, path, key);
                kumo_check_fail(L, check, child, "unknown field");
            }
        } else if (lua_type(L, -1) == LUA_TNUMBER && lua_isinteger(L, -1)) {
            kumo_path_index(child, path, lua_tointeger(L, -1));
            kumo_check_fail(L, check, child, "unknown field (a table of named fields expected)");
        } else {
            kumo_check_fail(L, check, path, "unknown field of type %s (named fields expected)",
                            luaL_typename(L, -1));
        }
    }
}

/* Pushes field `field` of the table at absolute `index` (raw access) and
 * returns its type. */
static int raw_field(lua_State *L, int index, const char *field)
{
    lua_pushstring(L, field);
    return lua_rawget(L, index);
}

const char *kumo_check_opt_string(lua_State *L, const struct kumo_check *check, int index,
                                  const char *path, const char *field, size_t *length)
{
    index = lua_absindex(L, index);
    lua_pushstring(L, field);
    int type = lua_rawget(L, index);
    if (type == LUA_TNIL) {
        lua_pop(L, 1);
        if (length)
            *length = 0;
        return NULL;
    }
    if (type != LUA_TSTRING) {
        char child[KUMO_PATH_MAX];
        kumo_path_field(child, path, field);
        kumo_check_fail(L, check, child, "string expected, got %s", luaL_typename(L, -1));
    }
    const char *text = lua_tolstring(L, -1, length);
    lua_pop(L, 1); /* the table keeps the string alive */
    return text;
}

const char *kumo_check_string(lua_State *L, const struct kumo_check *check, int index,
                              const char *path, const char *field, size_t *length)
{
    const char *text = kumo_check_opt_string(L, check, index, path, field, length);
    if (!text) {
        char child[KUMO_PATH_MAX];
        kumo_path_field(child, path, field);
        kumo_check_fail(L, check, child, "required");
    }
    return text;
}

lua_Integer kumo_check_opt_integer(lua_State *L, const struct kumo_check *check, int index,
                                   const char *path, const char *field, int *present)
{
    index = lua_absindex(L, index);
    lua_pushstring(L, field);
    int type = lua_rawget(L, index);
    *present = type != LUA_TNIL;
    if (!*present) {
        lua_pop(L, 1);
        return 0;
    }
    int is_integer = 0;
    lua_Integer value = 0;
    if (type == LUA_TNUMBER)
        value = lua_tointegerx(L, -1, &is_integer);
    if (!is_integer) {
        char child[KUMO_PATH_MAX];
        kumo_path_field(child, path, field);
        if (type == LUA_TNUMBER)
            kumo_check_fail(L, check, child, "integer expected, got %s",
                            lua_tostring(L, -1)); /* number -> string in place: fine, raising */
        kumo_check_fail(L, check, child, "integer expected, got %s", luaL_typename(L, -1));
    }
    lua_pop(L, 1);
    return value;
}

int kumo_check_opt_boolean(lua_State *L, const struct kumo_check *check, int index,
                           const char *path, const char *field)
{
    index = lua_absindex(L, index);
    lua_pushstring(L, field);
    int type = lua_rawget(L, index);
    if (type != LUA_TNIL && type != LUA_TBOOLEAN) {
        char child[KUMO_PATH_MAX];
        kumo_path_field(child, path, field);
        kumo_check_fail(L, check, child, "boolean expected, got %s", luaL_typename(L, -1));
    }
    int value = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return value;
}

void kumo_check_length(lua_State *L, const struct kumo_check *check, const char *path,
                       size_t length, size_t min, size_t max)
{
    if (length < min) {
        if (min == 1)
            kumo_check_fail(L, check, path, "must not be empty");
        kumo_check_fail(L, check, path, "at least %I characters expected, got %I", (LUAI_UACINT)min,
                        (LUAI_UACINT)length);
    }
    if (length > max)
        kumo_check_fail(L, check, path, "at most %I characters allowed, got %I", (LUAI_UACINT)max,
                        (LUAI_UACINT)length);
}

static int is_ec2_text_char(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return 1;
    return c != '\0' && strchr(" ._-:/()#,@[]+=&;{}!$*", c) != NULL;
}

void kumo_check_ec2_text(lua_State *L, const struct kumo_check *check, const char *path,
                         const char *text, size_t length)
{
    for (size_t i = 0; i < length; i++) {
        unsigned char c = (unsigned char)text[i];
        if (is_ec2_text_char(c))
            continue;
        char shown[16];
        if (c > 32 && c < 127)
            snprintf(shown, sizeof shown, "'%c'", c);
        else
            snprintf(shown, sizeof shown, "byte 0x%02X", c);
        kumo_check_fail(L, check, path,
                        "character %s at position %d is not allowed (EC2 accepts only "
                        "a-z A-Z 0-9, space and ._-:/()#,@[]+=&;{}!$*)",
                        shown, (int)i + 1);
    }
}

static int is_hex_id(const char *text, const char *prefix)
{
    size_t prefix_length = strlen(prefix);
    size_t length = strlen(text);
    if (length <= prefix_length || length > ID_MAX || strncmp(text, prefix, prefix_length) != 0)
        return 0;
    for (const char *p = text + prefix_length; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return 0;
    return 1;
}

/* Any EC2 resource id: lowercase letters, '-', lowercase hex digits. */
static int is_resource_id(const char *text)
{
    const char *dash = strchr(text, '-');
    if (!dash || dash == text || strlen(text) > ID_MAX)
        return 0;
    for (const char *p = text; p < dash; p++)
        if (*p < 'a' || *p > 'z')
            return 0;
    return is_hex_id(dash, "-");
}

void kumo_check_id(lua_State *L, const struct kumo_check *check, const char *path, const char *text,
                   const char *prefix, const char *what)
{
    if (!is_hex_id(text, prefix))
        kumo_check_fail(L, check, path, "'%s' is not a %s (%s followed by hex digits)", text, what,
                        prefix);
}

lua_Integer kumo_check_list(lua_State *L, const struct kumo_check *check, int index,
                            const char *path)
{
    index = lua_absindex(L, index);
    if (lua_type(L, index) != LUA_TTABLE)
        kumo_check_fail(L, check, path, "list expected, got %s", luaL_typename(L, index));
    lua_Integer count = 0;
    lua_pushnil(L);
    while (lua_next(L, index)) {
        lua_pop(L, 1);
        count++;
    }
    lua_Integer length = (lua_Integer)lua_rawlen(L, index);
    if (length != count)
        kumo_check_fail(L, check, path, "list expected (keys 1..n only)");
    return length;
}

void kumo_push_id_list(lua_State *L, const struct kumo_check *check, int index, const char *path,
                       const char *prefix, const char *what)
{
    char child[KUMO_PATH_MAX];
    index = lua_absindex(L, index);
    lua_Integer count = kumo_check_list(L, check, index, path);
    if (count == 0)
        kumo_check_fail(L, check, path, "at least one %s expected", what);
    lua_createtable(L, (int)count, 0);
    int list = lua_gettop(L);
    lua_newtable(L); /* id -> position, for repeats */
    int seen = lua_gettop(L);
    for (lua_Integer i = 1; i <= count; i++) {
        kumo_path_index(child, path, i);
        if (lua_rawgeti(L, index, i) != LUA_TSTRING)
            kumo_check_fail(L, check, child, "string expected, got %s", luaL_typename(L, -1));
        const char *id = lua_tostring(L, -1);
        if (prefix)
            kumo_check_id(L, check, child, id, prefix, what);
        else if (!is_resource_id(id))
            kumo_check_fail(L, check, child, "'%s' is not a resource id (like sg-0123abcd)", id);
        lua_pushvalue(L, -1);
        if (lua_rawget(L, seen) != LUA_TNIL)
            kumo_check_fail(L, check, child, "the same %s as %s[%d]", what, path,
                            (int)lua_tointeger(L, -1));
        lua_pop(L, 1);
        lua_pushvalue(L, -1);
        lua_pushinteger(L, i);
        lua_rawset(L, seen);
        lua_rawseti(L, list, i);
    }
    lua_pop(L, 1); /* seen */
}

void kumo_push_sorted_keys(lua_State *L, int index)
{
    index = lua_absindex(L, index);
    lua_newtable(L);
    int keys = lua_gettop(L);
    lua_Integer n = 0;
    lua_pushnil(L);
    while (lua_next(L, index)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING)
            continue;
        /* insertion sort into keys[1..n] */
        size_t key_length;
        const char *key = lua_tolstring(L, -1, &key_length);
        lua_Integer position = n + 1;
        while (position > 1) {
            lua_rawgeti(L, keys, position - 1);
            size_t other_length;
            const char *other = lua_tolstring(L, -1, &other_length);
            size_t common = key_length < other_length ? key_length : other_length;
            int order = memcmp(other, key, common);
            int greater = order > 0 || (order == 0 && other_length > key_length);
            if (!greater) {
                lua_pop(L, 1);
                break;
            }
            lua_rawseti(L, keys, position);
            position--;
        }
        lua_pushvalue(L, -1);
        lua_rawseti(L, keys, position);
        n++;
    }
}

void kumo_push_wire_tags(lua_State *L, const struct kumo_check *check, int index, const char *path)
{
    char child[KUMO_PATH_MAX];
    index = lua_absindex(L, index);
    kumo_check_table(L, check, index, path);
    lua_pushnil(L);
    while (lua_next(L, index)) {
        if (lua_type(L, -2) != LUA_TSTRING)
            kumo_check_fail(L, check, path,
                            "tag keys must be strings, got %s (use { Key = \"value\" })",
                            luaL_typename(L, -2));
        size_t key_length;
        const char *key = lua_tolstring(L, -2, &key_length);
        kumo_path_key(child, path, key);
        kumo_check_length(L, check, child, key_length, 1, TAG_KEY_MAX);
        if (strncmp(key, "aws:", 4) == 0)
            kumo_check_fail(L, check, child, "tag keys starting with 'aws:' are reserved by AWS");
        if (lua_type(L, -1) != LUA_TSTRING)
            kumo_check_fail(L, check, child, "string expected, got %s", luaL_typename(L, -1));
        size_t value_length;
        lua_tolstring(L, -1, &value_length);
        kumo_check_length(L, check, child, value_length, 0, TAG_VALUE_MAX);
        lua_pop(L, 1);
    }
    kumo_push_sorted_keys(L, index);
    int keys = lua_gettop(L);
    lua_Integer n = (lua_Integer)lua_rawlen(L, keys);
    lua_createtable(L, (int)n, 0);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_createtable(L, 0, 2);
        lua_rawgeti(L, keys, i);
        lua_pushvalue(L, -1);
        lua_setfield(L, -3, "Key");
        lua_rawget(L, index);
        lua_setfield(L, -2, "Value");
        lua_rawseti(L, -2, i);
    }
    lua_remove(L, keys);
}

void kumo_append_filter(lua_State *L, int list_index, const char *name, int values_index,
                        const char *value)
{
    list_index = lua_absindex(L, list_index);
    if (values_index)
        values_index = lua_absindex(L, values_index);
    lua_createtable(L, 0, 2);
    lua_pushstring(L, name);
    lua_setfield(L, -2, "Name");
    if (values_index) {
        lua_Integer n = (lua_Integer)lua_rawlen(L, values_index);
        lua_createtable(L, (int)n, 0);
        for (lua_Integer i = 1; i <= n; i++) {
            lua_rawgeti(L, values_index, i);
            lua_rawseti(L, -2, i);
        }
    } else {
        lua_createtable(L, 1, 0);
        lua_pushstring(L, value);
        lua_rawseti(L, -2, 1);
    }
    lua_setfield(L, -2, "Value");
    lua_rawseti(L, list_index, (lua_Integer)lua_rawlen(L, list_index) + 1);
}

void kumo_append_wire_filters(lua_State *L, const struct kumo_check *check, int index,
                              const char *path, int list_index)
{
    char child[KUMO_PATH_MAX];
    char item[KUMO_PATH_MAX];
    index = lua_absindex(L, index);
    list_index = lua_absindex(L, list_index);
    kumo_check_table(L, check, index, path);
    lua_pushnil(L);
    while (lua_next(L, index)) {
        if (lua_type(L, -2) != LUA_TSTRING)
            kumo_check_fail(L, check, path,
                            "filter names must be strings, got %s (use { [\"name\"] = "
                            "\"value\" })",
                            luaL_typename(L, -2));
        size_t name_length;
        const char *name = lua_tolstring(L, -2, &name_length);
        kumo_path_key(child, path, name);
        kumo_check_length(L, check, child, name_length, 1, 255);
        if (lua_type(L, -1) == LUA_TTABLE) {
            lua_Integer n = kumo_check_list(L, check, -1, child);
            if (n == 0)
                kumo_check_fail(L, check, child, "at least one value expected");
            for (lua_Integer i = 1; i <= n; i++) {
                if (lua_rawgeti(L, -1, i) != LUA_TSTRING) {
                    kumo_path_index(item, child, i);
                    kumo_check_fail(L, check, item, "string expected, got %s",
                                    luaL_typename(L, -1));
                }
                lua_pop(L, 1);
            }
        } else if (lua_type(L, -1) != LUA_TSTRING) {
            kumo_check_fail(L, check, child, "string or list of strings expected, got %s",
                            luaL_typename(L, -1));
        }
        /* a name the binding already set from its own field */
        lua_Integer existing = (lua_Integer)lua_rawlen(L, list_index);
        for (lua_Integer i = 1; i <= existing; i++) {
            lua_rawgeti(L, list_index, i);
            lua_getfield(L, -1, "Name");
            int same = strcmp(lua_tostring(L, -1), name) == 0;
            lua_pop(L, 2);
            if (same)
                kumo_check_fail(L, check, child, "filter '%s' is already set by another field",
                                name);
        }
        lua_pop(L, 1);
    }
    kumo_push_sorted_keys(L, index);
    int keys = lua_gettop(L);
    lua_Integer n = (lua_Integer)lua_rawlen(L, keys);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, keys, i);
        const char *name = lua_tostring(L, -1);
        lua_pushvalue(L, -1);
        if (lua_rawget(L, index) == LUA_TTABLE)
            kumo_append_filter(L, list_index, name, -1, NULL);
        else
            kumo_append_filter(L, list_index, name, 0, lua_tostring(L, -1));
        lua_pop(L, 2);
    }
    lua_pop(L, 1); /* keys */
}

void kumo_mark_array(lua_State *L)
{
    luaL_getmetatable(L, "kumo.array");
    if (lua_isnil(L, -1))
        lua_pop(L, 1);
    else
        lua_setmetatable(L, -2);
}

/* ---- CIDR blocks ---- */

/* Parses the prefix length after '/': 1 to 3 digits, no sign. */
static int parse_prefix(const char *text, size_t length, int max)
{
    if (length == 0 || length > 3)
        return -1;
    int value = 0;
    for (size_t i = 0; i < length; i++) {
        if (text[i] < '0' || text[i] > '9')
            return -1;
        value = value * 10 + (text[i] - '0');
    }
    if (length > 1 && text[0] == '0')
        return -1;
    return value <= max ? value : -2;
}

const char *kumo_cidr_canonical(const char *text, size_t length, char out[KUMO_CIDR_MAX],
                                enum kumo_family *family)
{
    const char *slash = memchr(text, '/', length);
    if (!slash)
        return "a prefix length is required (a.b.c.d/n or an IPv6 prefix like ::/0)";
    size_t address_length = (size_t)(slash - text);
    if (address_length == 0 || address_length >= 46)
        return "malformed address";
    char address[48];
    memcpy(address, text, address_length);
    address[address_length] = '\0';
    if (strlen(address) != address_length)
        return "malformed address";
    int ipv6 = memchr(address, ':', address_length) != NULL;
    int max = ipv6 ? 128 : 32;
    int prefix = parse_prefix(slash + 1, length - address_length - 1, max);
    if (prefix == -2)
        return ipv6 ? "prefix length must be 0-128" : "prefix length must be 0-32";
    if (prefix < 0)
        return "malformed prefix length";
    unsigned char bytes[16];
    if (inet_pton(ipv6 ? AF_INET6 : AF_INET, address, bytes) != 1)
        return ipv6 ? "malformed IPv6 address" : "malformed IPv4 address";
    int size = ipv6 ? 16 : 4;
    for (int i = 0; i < size; i++) {
        int keep = prefix - i * 8;
        if (keep <= 0)
            bytes[i] = 0;
        else if (keep < 8)
            bytes[i] &= (unsigned char)(0xFF << (8 - keep));
    }
    char canonical[INET6_ADDRSTRLEN];
    if (!inet_ntop(ipv6 ? AF_INET6 : AF_INET, bytes, canonical, sizeof canonical))
        return "malformed address";
    snprintf(out, KUMO_CIDR_MAX, "%s/%d", canonical, prefix);
    *family = ipv6 ? KUMO_IPV6 : KUMO_IPV4;
    return NULL;
}

/* ---- rules ---- */

static const char *const declared_rule_fields[] = {"protocol",    "port",        "from_port",
                                                   "to_port",     "cidr",        "source_group",
                                                   "prefix_list", "description", NULL};
static const char *const result_rule_fields[] = {
    "protocol",    "port",        "from_port", "to_port",  "cidr",      "source_group",
    "prefix_list", "description", "rule_id",   "group_id", "direction", NULL};
static const char *const source_group_fields[] = {"group_id", "owner_id", NULL};

int kumo_protocol_normalize(const char *text, char out[8])
{
    static const char *const names[] = {"tcp", "udp", "icmp", "icmpv6", "all"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(text, names[i]) == 0) {
            snprintf(out, 8, "%s", names[i]);
            return 0;
        }
    }
    if (strcmp(text, "-1") == 0) {
        snprintf(out, 8, "all");
        return 0;
    }
    size_t length = strlen(text);
    if (length == 0 || length > 3 || (length > 1 && text[0] == '0'))
        return -1;
    int number = 0;
    for (size_t i = 0; i < length; i++) {
        if (text[i] < '0' || text[i] > '9')
            return -1;
        number = number * 10 + (text[i] - '0');
    }
    if (number > 255)
        return -1;
    switch (number) {
    case 6:
        snprintf(out, 8, "tcp");
        break;
    case 17:
        snprintf(out, 8, "udp");
        break;
    case 1:
        snprintf(out, 8, "icmp");
        break;
    case 58:
        snprintf(out, 8, "icmpv6");
        break;
    default:
        snprintf(out, 8, "%u", (unsigned)(unsigned char)number); /* 0..255 */
    }
    return 0;
}

static int uses_ports(const char *protocol)
{
    return strcmp(protocol, "tcp") == 0 || strcmp(protocol, "udp") == 0 ||
           strcmp(protocol, "icmp") == 0 || strcmp(protocol, "icmpv6") == 0;
}

static int is_icmp(const char *protocol)
{
    return strncmp(protocol, "icmp", 4) == 0;
}

static void check_protocol(lua_State *L, const struct kumo_check *check, int index,
                           const char *path, struct kumo_rule *out)
{
    char child[KUMO_PATH_MAX];
    kumo_path_field(child, path, "protocol");
    int type = raw_field(L, index, "protocol");
    if (type == LUA_TNIL)
        kumo_check_fail(L, check, child, "required (tcp, udp, icmp, icmpv6, all or a number)");
    if (type == LUA_TNUMBER) {
        int is_integer;
        lua_Integer number = lua_tointegerx(L, -1, &is_integer);
        if (!is_integer)
            kumo_check_fail(L, check, child, "integer expected, got %s", lua_tostring(L, -1));
        if (number < -1 || number > 255)
            kumo_check_fail(L, check, child,
                            "protocol number must be 0-255 (or -1 for all), got %I",
                            (LUAI_UACINT)number);
        char text[24];
        snprintf(text, sizeof text, "%d", (int)number);
        kumo_protocol_normalize(text, out->protocol);
    } else if (type == LUA_TSTRING) {
        const char *text = lua_tostring(L, -1);
        if (kumo_protocol_normalize(text, out->protocol) != 0)
            kumo_check_fail(L, check, child,
                            "unknown protocol '%s' (tcp, udp, icmp, icmpv6, all, or a number "
                            "0-255)",
                            text);
    } else {
        kumo_check_fail(L, check, child, "string or integer expected, got %s",
                        luaL_typename(L, -1));
    }
    lua_pop(L, 1);
}

static void check_port_range(lua_State *L, const struct kumo_check *check, const char *path,
                             const char *field, lua_Integer value, long min, long max)
{
    if (value < min || value > max) {
        char child[KUMO_PATH_MAX];
        kumo_path_field(child, path, field);
        kumo_check_fail(L, check, child, "must be between %d and %d, got %I", (int)min, (int)max,
                        (LUAI_UACINT)value);
    }
}

static void check_ports(lua_State *L, const struct kumo_check *check, int index, const char *path,
                        struct kumo_rule *out)
{
    char child[KUMO_PATH_MAX];
    int has_port, has_from, has_to;
    lua_Integer port = kumo_check_opt_integer(L, check, index, path, "port", &has_port);
    lua_Integer from = kumo_check_opt_integer(L, check, index, path, "from_port", &has_from);
    lua_Integer to = kumo_check_opt_integer(L, check, index, path, "to_port", &has_to);
    const char *protocol = out->protocol;
    out->has_ports = uses_ports(protocol);
    out->from_port = -1;
    out->to_port = -1;
    if (!out->has_ports) {
        const char *field = has_port ? "port" : has_from ? "from_port" : "to_port";
        if (has_port || has_from || has_to) {
            kumo_path_field(child, path, field);
            kumo_check_fail(L, check, child, "not allowed for protocol %s (it covers every port)",
                            protocol);
        }
        return;
    }
    if (is_icmp(protocol)) {
        if (has_port) {
            kumo_path_field(child, path, "port");
            kumo_check_fail(L, check, child,
                            "not allowed for %s (from_port is the ICMP type, to_port the code)",
                            protocol);
        }
        if (has_from)
            check_port_range(L, check, path, "from_port", from, -1, 255);
        if (has_to)
            check_port_range(L, check, path, "to_port", to, -1, 255);
        out->from_port = has_from ? (long)from : -1;
        out->to_port = has_to ? (long)to : -1;
        if (out->from_port == -1 && out->to_port != -1) {
            kumo_path_field(child, path, "to_port");
            kumo_check_fail(L, check, child,
                            "must be -1 (all codes) when from_port (the ICMP type) is -1");
        }
        return;
    }
    if (has_port) {
        if (has_from || has_to) {
            kumo_path_field(child, path, "port");
            kumo_check_fail(L, check, child, "cannot be combined with from_port/to_port");
        }
        check_port_range(L, check, path, "port", port, 0, 65535);
        out->from_port = out->to_port = (long)port;
        return;
    }
    if (!has_from && !has_to)
        kumo_check_fail(L, check, path, "%s needs port, or from_port and to_port", protocol);
    if (!has_to) {
        kumo_path_field(child, path, "to_port");
        kumo_check_fail(L, check, child, "required with from_port");
    }
    if (!has_from) {
        kumo_path_field(child, path, "from_port");
        kumo_check_fail(L, check, child, "required with to_port");
    }
    check_port_range(L, check, path, "from_port", from, 0, 65535);
    check_port_range(L, check, path, "to_port", to, 0, 65535);
    if (from > to) {
        kumo_path_field(child, path, "from_port");
        kumo_check_fail(L, check, child, "must not be greater than to_port (%I > %I)",
                        (LUAI_UACINT)from, (LUAI_UACINT)to);
    }
    out->from_port = (long)from;
    out->to_port = (long)to;
}

static void check_source_group(lua_State *L, const struct kumo_check *check, int index,
                               const char *path, struct kumo_rule *out)
{
    char child[KUMO_PATH_MAX];
    char field[KUMO_PATH_MAX];
    kumo_path_field(child, path, "source_group");
    raw_field(L, index, "source_group");
    const char *group_id = "";
    out->owner_id[0] = '\0';
    if (lua_type(L, -1) == LUA_TSTRING) {
        group_id = lua_tostring(L, -1);
        kumo_check_id(L, check, child, group_id, "sg-", "security group id");
    } else if (lua_type(L, -1) == LUA_TTABLE) {
        kumo_check_fields(L, check, -1, child, source_group_fields);
        group_id = kumo_check_string(L, check, -1, child, "group_id", NULL);
        kumo_path_field(field, child, "group_id");
        kumo_check_id(L, check, field, group_id, "sg-", "security group id");
        size_t owner_length;
        const char *owner = kumo_check_opt_string(L, check, -1, child, "owner_id", &owner_length);
        if (owner) {
            kumo_path_field(field, child, "owner_id");
            int digits = owner_length == OWNER_ID_LENGTH;
            for (size_t i = 0; digits && i < owner_length; i++)
                digits = owner[i] >= '0' && owner[i] <= '9';
            if (!digits)
                kumo_check_fail(L, check, field, "'%s' is not an AWS account id (12 digits)",
                                owner);
            snprintf(out->owner_id, sizeof out->owner_id, "%s", owner);
        }
    } else {
        kumo_check_fail(L, check, child,
                        "string or table expected (\"sg-...\" or { group_id = \"sg-...\", "
                        "owner_id = \"123456789012\" }), got %s",
                        luaL_typename(L, -1));
    }
    snprintf(out->source_id, sizeof out->source_id, "%s", group_id);
    out->source = KUMO_SOURCE_GROUP;
    lua_pop(L, 1);
}

static void check_source(lua_State *L, const struct kumo_check *check, int index, const char *path,
                         struct kumo_rule *out)
{
    static const char *const sources[] = {"cidr", "source_group", "prefix_list"};
    char child[KUMO_PATH_MAX];
    const char *first = NULL;
    for (size_t i = 0; i < 3; i++) {
        lua_pushstring(L, sources[i]);
        int present = lua_rawget(L, index) != LUA_TNIL;
        lua_pop(L, 1);
        if (!present)
            continue;
        if (first)
            kumo_check_fail(L, check, path, "%s and %s cannot be combined (one source per rule)",
                            first, sources[i]);
        first = sources[i];
    }
    if (!first)
        kumo_check_fail(L, check, path, "one of cidr, source_group or prefix_list is required");
    if (strcmp(first, "cidr") == 0) {
        size_t length;
        const char *cidr = kumo_check_string(L, check, index, path, "cidr", &length);
        enum kumo_family family;
        const char *reason = kumo_cidr_canonical(cidr, length, out->source_id, &family);
        if (reason) {
            kumo_path_field(child, path, "cidr");
            kumo_check_fail(L, check, child, "malformed CIDR '%s' (%s)", cidr, reason);
        }
        out->source = family == KUMO_IPV6 ? KUMO_SOURCE_IPV6 : KUMO_SOURCE_IPV4;
    } else if (strcmp(first, "prefix_list") == 0) {
        const char *id = kumo_check_string(L, check, index, path, "prefix_list", NULL);
        kumo_path_field(child, path, "prefix_list");
        kumo_check_id(L, check, child, id, "pl-", "prefix list id");
        snprintf(out->source_id, sizeof out->source_id, "%s", id);
        out->source = KUMO_SOURCE_PREFIX_LIST;
    } else {
        check_source_group(L, check, index, path, out);
    }
}

void kumo_rule_check(lua_State *L, const struct kumo_check *check, int index, const char *path,
                     enum kumo_rule_fields fields, struct kumo_rule *out)
{
    index = lua_absindex(L, index);
    memset(out, 0, sizeof *out);
    kumo_check_table(L, check, index, path);
    kumo_check_fields(L, check, index, path,
                      fields == KUMO_RULE_RESULT ? result_rule_fields : declared_rule_fields);
    check_protocol(L, check, index, path, out);
    check_ports(L, check, index, path, out);
    check_source(L, check, index, path, out);
    size_t length;
    const char *description = kumo_check_opt_string(L, check, index, path, "description", &length);
    if (description) {
        char child[KUMO_PATH_MAX];
        kumo_path_field(child, path, "description");
        kumo_check_length(L, check, child, length, 0, DESCRIPTION_MAX);
        kumo_check_ec2_text(L, check, child, description, length);
        out->description = length > 0 ? description : NULL;
    }
}

void kumo_rule_set_described_ports(struct kumo_rule *rule, const char *from, const char *to)
{
    rule->has_ports = uses_ports(rule->protocol);
    rule->from_port = -1;
    rule->to_port = -1;
    if (!rule->has_ports)
        return;
    int icmp = is_icmp(rule->protocol);
    rule->from_port = from && *from ? strtol(from, NULL, 10) : (icmp ? -1 : 0);
    rule->to_port = to && *to ? strtol(to, NULL, 10) : (icmp ? -1 : 65535);
}

void kumo_rule_identity(const struct kumo_rule *rule, char out[KUMO_IDENTITY_MAX])
{
    static const char *const kinds[] = {"cidr", "cidr", "sg", "pl"};
    snprintf(out, KUMO_IDENTITY_MAX, "%s|%ld|%ld|%s:%s", rule->protocol,
             rule->has_ports ? rule->from_port : -1L, rule->has_ports ? rule->to_port : -1L,
             kinds[rule->source], rule->source_id);
}

void kumo_rule_push_wire(lua_State *L, const struct kumo_rule *rule)
{
    static const char *const lists[] = {"IpRanges", "Ipv6Ranges", "Groups", "PrefixListIds"};
    static const char *const keys[] = {"CidrIp", "CidrIpv6", "GroupId", "PrefixListId"};
    lua_createtable(L, 0, 4);
    lua_pushstring(L, strcmp(rule->protocol, "all") == 0 ? "-1" : rule->protocol);
    lua_setfield(L, -2, "IpProtocol");
    if (rule->has_ports) {
        lua_pushinteger(L, rule->from_port);
        lua_setfield(L, -2, "FromPort");
        lua_pushinteger(L, rule->to_port);
        lua_setfield(L, -2, "ToPort");
    }
    lua_createtable(L, 1, 0);
    lua_createtable(L, 0, 3);
    lua_pushstring(L, rule->source_id);
    lua_setfield(L, -2, keys[rule->source]);
    if (rule->source == KUMO_SOURCE_GROUP && rule->owner_id[0]) {
        lua_pushstring(L, rule->owner_id);
        lua_setfield(L, -2, "UserId");
    }
    if (rule->description) {
        lua_pushstring(L, rule->description);
        lua_setfield(L, -2, "Description");
    }
    lua_rawseti(L, -2, 1);
    lua_setfield(L, -2, lists[rule->source]);
}

void kumo_rule_push_table(lua_State *L, const struct kumo_rule *rule, const char *group_owner_id)
{
    lua_createtable(L, 0, 5);
    lua_pushstring(L, rule->protocol);
    lua_setfield(L, -2, "protocol");
    if (rule->has_ports) {
        if (!is_icmp(rule->protocol) && rule->from_port == rule->to_port) {
            lua_pushinteger(L, rule->from_port);
            lua_setfield(L, -2, "port");
        } else {
            lua_pushinteger(L, rule->from_port);
            lua_setfield(L, -2, "from_port");
            lua_pushinteger(L, rule->to_port);
            lua_setfield(L, -2, "to_port");
        }
    }
    switch (rule->source) {
    case KUMO_SOURCE_IPV4:
    case KUMO_SOURCE_IPV6:
        lua_pushstring(L, rule->source_id);
        lua_setfield(L, -2, "cidr");
        break;
    case KUMO_SOURCE_PREFIX_LIST:
        lua_pushstring(L, rule->source_id);
        lua_setfield(L, -2, "prefix_list");
        break;
    case KUMO_SOURCE_GROUP:
        if (rule->owner_id[0] && group_owner_id && strcmp(rule->owner_id, group_owner_id) != 0) {
            lua_createtable(L, 0, 2);
            lua_pushstring(L, rule->source_id);
            lua_setfield(L, -2, "group_id");
            lua_pushstring(L, rule->owner_id);
            lua_setfield(L, -2, "owner_id");
        } else {
            lua_pushstring(L, rule->source_id);
        }
        lua_setfield(L, -2, "source_group");
        break;
    }
    if (rule->description && *rule->description) {
        lua_pushstring(L, rule->description);
        lua_setfield(L, -2, "description");
    }
}
