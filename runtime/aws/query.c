/*
 * query.c - builds the EC2 Query form body from a Lua table of wire
 * parameters: nested tables flattened to dotted names, lists 1-based with no
 * ".member", values percent-encoded per RFC 3986, pairs in a fixed order.
 *
 * Everything lives in Lua memory while it is built (a table of name/value
 * strings, a userdata array for sorting, a luaL_Buffer for the body), so a
 * raised error leaks nothing.
 */
#include "aws/query.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#define QUERY_MAX_DEPTH 16

/* One name=value pair; both strings are anchored in the pairs table. */
struct query_pair {
    const char *name;
    size_t name_length;
    const char *value;
    size_t value_length;
};

static const char hex_digits[] = "0123456789ABCDEF";

static int is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

void kumo_query_add_encoded(luaL_Buffer *buffer, const char *text, size_t length)
{
    const unsigned char *in = (const unsigned char *)text;
    while (length > 0) {
        size_t chunk = length < 512 ? length : 512;
        char *out = luaL_prepbuffsize(buffer, chunk * 3);
        size_t used = 0;
        for (size_t i = 0; i < chunk; i++) {
            unsigned char c = in[i];
            if (is_unreserved(c)) {
                out[used++] = (char)c;
            } else if (c == ' ') {
                out[used++] = '+'; /* form encoding, as botocore sends it */
            } else {
                out[used++] = '%';
                out[used++] = hex_digits[c >> 4];
                out[used++] = hex_digits[c & 0x0f];
            }
        }
        luaL_addsize(buffer, used);
        in += chunk;
        length -= chunk;
    }
}

/* Compares one dot-separated segment of each name: two all-digit segments by
 * numeric value (any length), anything else byte by byte. */
static int is_all_digits(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static int compare_segment(const char *a, size_t an, const char *b, size_t bn)
{
    if (is_all_digits(a, an) && is_all_digits(b, bn)) {
        while (an > 1 && *a == '0')
            a++, an--;
        while (bn > 1 && *b == '0')
            b++, bn--;
        if (an != bn)
            return an < bn ? -1 : 1;
        return memcmp(a, b, an);
    }
    size_t n = an < bn ? an : bn;
    int c = memcmp(a, b, n);
    if (c != 0)
        return c;
    return an == bn ? 0 : (an < bn ? -1 : 1);
}

static int compare_pairs(const void *left, const void *right)
{
    const struct query_pair *l = left, *r = right;
    const char *a = l->name, *a_end = l->name + l->name_length;
    const char *b = r->name, *b_end = r->name + r->name_length;
    for (;;) {
        const char *a_dot = memchr(a, '.', (size_t)(a_end - a));
        const char *b_dot = memchr(b, '.', (size_t)(b_end - b));
        size_t an = (size_t)((a_dot ? a_dot : a_end) - a);
        size_t bn = (size_t)((b_dot ? b_dot : b_end) - b);
        int c = compare_segment(a, an, b, bn);
        if (c != 0)
            return c;
        if (!a_dot || !b_dot) /* the name with fewer segments sorts first */
            return (a_dot != NULL) - (b_dot != NULL);
        a = a_dot + 1;
        b = b_dot + 1;
    }
}

/* Table shapes, as classify() sees them. */
enum table_shape { SHAPE_EMPTY, SHAPE_LIST, SHAPE_NAMES };

/* Looks at the keys of the table at `index` (path on top of the stack) and
 * returns its shape, or raises on mixed keys, sparse lists and keys that are
 * neither names nor list indices. Sets *count to the list length. */
static enum table_shape classify(lua_State *L, int index, lua_Integer *count)
{
    lua_Integer integers = 0, max_index = 0;
    int names = 0;
    const char *path = lua_tostring(L, -1);
    lua_pushnil(L);
    while (lua_next(L, index) != 0) {
        lua_pop(L, 1); /* the value; keep the key for lua_next */
        if (lua_type(L, -1) == LUA_TSTRING) {
            names++;
        } else if (lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 1) {
            lua_Integer k = lua_tointeger(L, -1);
            integers++;
            if (k > max_index)
                max_index = k;
        } else {
            luaL_error(L, "%s: keys must be names or list indices 1..n, got %s key", path,
                       lua_isinteger(L, -1) ? "non-positive integer" : luaL_typename(L, -1));
        }
    }
    if (names > 0 && integers > 0)
        luaL_error(L, "%s: table mixes list indices and names", path);
    if (integers > 0) {
        if (max_index != integers) {
            lua_Integer missing = 1;
            while (lua_rawgeti(L, index, missing) != LUA_TNIL) {
                lua_pop(L, 1);
                missing++;
            }
            luaL_error(L, "%s: sparse list (index %I missing, highest is %I)", path, missing,
                       max_index);
        }
        *count = integers;
        return SHAPE_LIST;
    }
    *count = 0;
    return names > 0 ? SHAPE_NAMES : SHAPE_EMPTY;
}

static void flatten_table(lua_State *L, int pairs_index, int depth);

/* Stack: ... value wire_name path. Adds the pairs for `value` to the pairs
 * table and pops the three. */
static void flatten_value(lua_State *L, int pairs_index, int depth)
{
    int value = lua_absindex(L, -3);
    const char *path = lua_tostring(L, -1);
    switch (lua_type(L, value)) {
    case LUA_TTABLE:
        flatten_table(L, pairs_index, depth + 1);
        return;
    case LUA_TSTRING:
        lua_pushvalue(L, value);
        break;
    case LUA_TBOOLEAN:
        lua_pushstring(L, lua_toboolean(L, value) ? "true" : "false");
        break;
    case LUA_TNUMBER:
        if (lua_isinteger(L, value)) {
            lua_pushfstring(L, "%I", (LUAI_UACINT)lua_tointeger(L, value));
        } else {
            lua_Number n = lua_tonumber(L, value);
            lua_Integer i = 0;
            if (!lua_numbertointeger(floor(n), &i) || (lua_Number)i != n)
                luaL_error(L, "%s: number has no integer representation (%f)", path, n);
            lua_pushfstring(L, "%I", (LUAI_UACINT)i);
        }
        break;
    default: {
        const char *type_name = luaL_typename(L, value);
        if (luaL_getmetafield(L, value, "__name") == LUA_TSTRING)
            type_name = lua_tostring(L, -1); /* as luaL_typeerror does */
        else if (lua_type(L, value) == LUA_TLIGHTUSERDATA)
            type_name = "light userdata";
        luaL_error(L, "%s: string, number or boolean expected, got %s", path, type_name);
        return;
    }
    }
    /* Stack: ... value wire_name path text. */
    const char *name = lua_tostring(L, -3);
    if (strcmp(name, "Action") == 0 || strcmp(name, "Version") == 0)
        luaL_error(L, "%s: '%s' is set by the call, not a parameter", path, name);
    lua_pushvalue(L, -3);
    if (lua_rawget(L, pairs_index) != LUA_TNIL)
        luaL_error(L, "%s: parameter name '%s' given twice", path, name);
    lua_pop(L, 1);
    lua_pushvalue(L, -3);
    lua_insert(L, -2);
    lua_rawset(L, pairs_index);
    lua_pop(L, 3);
}

/* Pushes the wire name and path of the child under `key` (a string or a list
 * index) of the table whose wire name and path are at -2 and -1. */
static void push_child_names(lua_State *L, int is_index, const char *key, lua_Integer i)
{
    const char *prefix = lua_tostring(L, -2);
    const char *path = lua_tostring(L, -1);
    if (is_index) {
        lua_pushfstring(L, "%s.%I", prefix, (LUAI_UACINT)i);
        lua_pushfstring(L, "%s[%I]", path, (LUAI_UACINT)i);
    } else {
        if (key[0] == '\0')
            luaL_error(L, "%s: empty parameter name", path);
        if (prefix[0] == '\0')
            lua_pushstring(L, key);
        else
            lua_pushfstring(L, "%s.%s", prefix, key);
        lua_pushfstring(L, "%s.%s", path, key);
    }
}

/* Stack: ... table wire_name path. Pops the three. */
static void flatten_table(lua_State *L, int pairs_index, int depth)
{
    int table = lua_absindex(L, -3);
    lua_Integer count = 0;
    if (depth > QUERY_MAX_DEPTH)
        luaL_error(L, "%s: tables nested deeper than %d", lua_tostring(L, -1), QUERY_MAX_DEPTH);
    luaL_checkstack(L, 8, "query: parameters nested too deeply");
    enum table_shape shape = classify(L, table, &count);
    if (shape == SHAPE_LIST) {
        if (depth == 0)
            luaL_error(L, "%s: table of names expected, got a list", lua_tostring(L, -1));
        for (lua_Integer i = 1; i <= count; i++) {
            lua_rawgeti(L, table, i);
            lua_pushvalue(L, -3);
            lua_pushvalue(L, -3);
            push_child_names(L, 1, NULL, i);
            lua_remove(L, -3);
            lua_remove(L, -3);
            flatten_value(L, pairs_index, depth);
        }
    } else if (shape == SHAPE_NAMES) {
        lua_pushnil(L);
        while (lua_next(L, table) != 0) {
            /* Stack: ... table wire_name path key value. */
            const char *key = lua_tostring(L, -2); /* a string: classify checked */
            lua_pushvalue(L, -4);
            lua_pushvalue(L, -4);
            push_child_names(L, 0, key, 0);
            lua_remove(L, -3);
            lua_remove(L, -3);
            flatten_value(L, pairs_index, depth);
        }
    }
    lua_pop(L, 3);
}

void kumo_query_push_body(lua_State *L, const char *action, const char *version, int params_index)
{
    luaL_checkstack(L, 10, "query: no stack space");
    params_index = lua_absindex(L, params_index);
    if (version == NULL)
        version = KUMO_EC2_API_VERSION;
    int params_type = lua_type(L, params_index);
    if (params_type != LUA_TNONE && params_type != LUA_TNIL && params_type != LUA_TTABLE)
        luaL_error(L, "params: table expected, got %s", luaL_typename(L, params_index));

    lua_newtable(L); /* pairs: wire name -> value text */
    int pairs_index = lua_gettop(L);
    lua_pushstring(L, action);
    lua_setfield(L, pairs_index, "Action");
    lua_pushstring(L, version);
    lua_setfield(L, pairs_index, "Version");
    if (params_type == LUA_TTABLE) {
        lua_pushvalue(L, params_index);
        lua_pushliteral(L, "");
        lua_pushliteral(L, "params");
        flatten_table(L, pairs_index, 0);
    }

    size_t count = 0;
    lua_pushnil(L);
    while (lua_next(L, pairs_index) != 0) {
        lua_pop(L, 1);
        count++;
    }
    struct query_pair *pairs = lua_newuserdatauv(L, count * sizeof *pairs, 0);
    size_t n = 0;
    lua_pushnil(L);
    while (lua_next(L, pairs_index) != 0) {
        pairs[n].name = lua_tolstring(L, -2, &pairs[n].name_length);
        pairs[n].value = lua_tolstring(L, -1, &pairs[n].value_length);
        n++;
        lua_pop(L, 1);
    }
    /* Action and Version first, then the rest in name order. */
    size_t head = 0;
    static const char *const first[] = {"Action", "Version"};
    for (size_t f = 0; f < 2; f++) {
        for (size_t i = head; i < n; i++) {
            if (strcmp(pairs[i].name, first[f]) == 0) {
                struct query_pair t = pairs[head];
                pairs[head] = pairs[i];
                pairs[i] = t;
                head++;
                break;
            }
        }
    }
    qsort(pairs + head, n - head, sizeof *pairs, compare_pairs);

    luaL_Buffer body;
    luaL_buffinit(L, &body);
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            luaL_addchar(&body, '&');
        kumo_query_add_encoded(&body, pairs[i].name, pairs[i].name_length);
        luaL_addchar(&body, '=');
        kumo_query_add_encoded(&body, pairs[i].value, pairs[i].value_length);
    }
    luaL_pushresult(&body);
    /* Stack: ... pairs userdata body. */
    lua_replace(L, pairs_index);
    lua_pop(L, 1);
}
