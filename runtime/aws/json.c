/*
 * json.c - Lua values to JSON text and back, with cJSON.
 *
 * Encoding builds a cJSON tree inside lua_pcall (a Lua memory error frees the
 * tree, nothing leaks, nothing raises) and prints it, compact or indented
 * two spaces per level. Strings and numbers go in as cJSON "raw" items
 * written here, so strings keep every byte (NUL included) and integers keep
 * all 64 bits; object members are sorted by key so the same table always
 * gives the same text.
 *
 * Decoding parses with cJSON and pushes the tree inside lua_pcall, freeing
 * the tree before a memory error propagates.
 */
#include "aws/json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include <cJSON.h>

#include "aws/xml.h"
#include "util/strbuf.h"

#define JSON_MAX_DEPTH 64
#define ARRAY_METATABLE "kumo.array"

/* json.null is the address of this byte, as a light userdata. */
static char json_null_sentinel;

void kumo_json_push_null(lua_State *L)
{
    lua_pushlightuserdata(L, &json_null_sentinel);
}

static int is_null(lua_State *L, int index)
{
    return lua_type(L, index) == LUA_TLIGHTUSERDATA &&
           lua_touserdata(L, index) == &json_null_sentinel;
}

/* ---- Encoding ---------------------------------------------------------- */

struct encoder {
    lua_State *L;
    int array_mt; /* stack index of the kumo.array metatable, 0 if none */
    cJSON *root;  /* owned; freed by the caller of the protected call */
    int depth;    /* tables open on the current path */
    const void *open[JSON_MAX_DEPTH];
    char path[256]; /* "$.rules[2]", for messages; may be cut short */
    size_t path_length;
    char message[400]; /* set when encoding fails */
};

static int fail(struct encoder *e, const char *what)
{
    snprintf(e->message, sizeof e->message, "%.255s: %.128s", e->path, what);
    return -1;
}

static size_t path_push_index(struct encoder *e, lua_Integer i)
{
    size_t saved = e->path_length;
    size_t room = sizeof e->path - saved;
    int n = snprintf(e->path + saved, room, "[" LUA_INTEGER_FMT "]", (LUAI_UACINT)i);
    e->path_length = n < 0 ? saved : (size_t)n >= room ? sizeof e->path - 1 : saved + (size_t)n;
    return saved;
}

static size_t path_push_key(struct encoder *e, const char *key)
{
    size_t saved = e->path_length;
    size_t room = sizeof e->path - saved;
    int identifier = (key[0] != '\0' && !(key[0] >= '0' && key[0] <= '9'));
    for (const char *p = key; *p && identifier; p++)
        identifier = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                     (*p >= '0' && *p <= '9') || *p == '_';
    int n = snprintf(e->path + saved, room, identifier ? ".%.64s" : "[\"%.64s\"]", key);
    e->path_length = n < 0 ? saved : (size_t)n >= room ? sizeof e->path - 1 : saved + (size_t)n;
    return saved;
}

static void path_pop(struct encoder *e, size_t saved)
{
    e->path_length = saved;
    e->path[saved] = '\0';
}

/* Attaches `item` to `parent` (under `key` for an object), or makes it the
 * root. Frees it on failure. */
static int attach(struct encoder *e, cJSON *parent, const char *key, cJSON *item)
{
    if (item == NULL)
        return fail(e, "out of memory");
    if (parent == NULL) {
        e->root = item;
        return 0;
    }
    if (!(key != NULL ? cJSON_AddItemToObject(parent, key, item)
                      : cJSON_AddItemToArray(parent, item))) {
        cJSON_Delete(item);
        return fail(e, "out of memory");
    }
    return 0;
}

/* Writes `text` as a JSON string literal (RFC 8259 escapes) into a malloc'ed
 * buffer; NULL when out of memory. */
static char *quote_string(const char *text, size_t length)
{
    size_t size = 3;
    for (size_t i = 0; i < length; i++) {
        unsigned char c = (unsigned char)text[i];
        size +=
            (c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t')
                ? 2
            : c < 0x20 ? 6
                       : 1;
    }
    char *out = malloc(size);
    if (out == NULL)
        return NULL;
    char *o = out;
    *o++ = '"';
    for (size_t i = 0; i < length; i++) {
        unsigned char c = (unsigned char)text[i];
        switch (c) {
        case '"':
            *o++ = '\\', *o++ = '"';
            break;
        case '\\':
            *o++ = '\\', *o++ = '\\';
            break;
        case '\b':
            *o++ = '\\', *o++ = 'b';
            break;
        case '\f':
            *o++ = '\\', *o++ = 'f';
            break;
        case '\n':
            *o++ = '\\', *o++ = 'n';
            break;
        case '\r':
            *o++ = '\\', *o++ = 'r';
            break;
        case '\t':
            *o++ = '\\', *o++ = 't';
            break;
        default:
            if (c < 0x20) {
                snprintf(o, 7, "\\u%04x", c);
                o += 6;
            } else {
                *o++ = (char)c;
            }
        }
    }
    *o++ = '"';
    *o = '\0';
    return out;
}

/* A float as the shortest of %.14g/%.17g that reads back the same, always
 * with a fraction or exponent so that it decodes as a float again. */
static void format_float(char *out, size_t size, lua_Number n)
{
    snprintf(out, size, "%.14g", (double)n);
    if (strtod(out, NULL) != (double)n)
        snprintf(out, size, "%.17g", (double)n);
    if (strpbrk(out, ".eE") == NULL) {
        size_t len = strlen(out);
        if (len + 2 < size)
            memcpy(out + len, ".0", 3);
    }
}

static int encode_value(struct encoder *e, int index, cJSON *parent, const char *key);

static int compare_members(const void *left, const void *right)
{
    const cJSON *a = *(const cJSON *const *)left;
    const cJSON *b = *(const cJSON *const *)right;
    return strcmp(a->string, b->string);
}

/* Sorts the members of an object by key; fails on a repeated key (a table
 * with both 1 and "1"). */
static int sort_members(struct encoder *e, cJSON *object)
{
    size_t n = 0;
    for (cJSON *c = object->child; c != NULL; c = c->next)
        n++;
    if (n < 2)
        return 0;
    cJSON **items = malloc(n * sizeof *items);
    if (items == NULL)
        return fail(e, "out of memory");
    size_t i = 0;
    for (cJSON *c = object->child; c != NULL; c = c->next)
        items[i++] = c;
    qsort(items, n, sizeof *items, compare_members);
    for (i = 0; i < n; i++) {
        items[i]->prev = i > 0 ? items[i - 1] : items[n - 1]; /* cJSON: child->prev is last */
        items[i]->next = i + 1 < n ? items[i + 1] : NULL;
    }
    object->child = items[0];
    int status = 0;
    for (i = 1; i < n && status == 0; i++) {
        if (strcmp(items[i - 1]->string, items[i]->string) == 0) {
            char what[128];
            snprintf(what, sizeof what, "key \"%.64s\" given twice (integer and string)",
                     items[i]->string);
            status = fail(e, what);
        }
    }
    free(items);
    return status;
}

static int encode_table(struct encoder *e, int index, cJSON *parent, const char *key)
{
    lua_State *L = e->L;
    const void *self = lua_topointer(L, index);
    for (int i = 0; i < e->depth; i++)
        if (e->open[i] == self)
            return fail(e, "cannot encode a table that contains itself (cycle)");
    if (e->depth >= JSON_MAX_DEPTH)
        return fail(e, "tables nested deeper than 64");
    if (!lua_checkstack(L, 6))
        return fail(e, "out of Lua stack");

    int marked = 0;
    if (e->array_mt != 0 && lua_getmetatable(L, index)) {
        marked = lua_rawequal(L, -1, e->array_mt);
        lua_pop(L, 1);
    }
    lua_Integer count = 0, max_index = 0;
    int only_indices = 1;
    lua_pushnil(L);
    while (lua_next(L, index) != 0) {
        lua_pop(L, 1);
        count++;
        if (lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 1) {
            if (lua_tointeger(L, -1) > max_index)
                max_index = lua_tointeger(L, -1);
        } else {
            only_indices = 0;
        }
    }
    int is_array = only_indices && max_index == count && (count > 0 || marked);
    if (marked && !is_array)
        return fail(e, "kumo.array table has keys other than 1..n");

    cJSON *item = is_array ? cJSON_CreateArray() : cJSON_CreateObject();
    if (attach(e, parent, key, item) != 0)
        return -1;
    e->open[e->depth++] = self;
    if (is_array) {
        for (lua_Integer i = 1; i <= count; i++) {
            lua_rawgeti(L, index, i);
            size_t saved = path_push_index(e, i);
            if (encode_value(e, lua_gettop(L), item, NULL) != 0)
                return -1;
            path_pop(e, saved);
            lua_pop(L, 1);
        }
    } else {
        lua_pushnil(L);
        while (lua_next(L, index) != 0) {
            char number[32];
            const char *name;
            if (lua_type(L, -2) == LUA_TSTRING) {
                size_t length;
                name = lua_tolstring(L, -2, &length);
                if (strlen(name) != length)
                    return fail(e, "cannot encode a key containing a NUL byte");
            } else if (lua_isinteger(L, -2)) {
                snprintf(number, sizeof number, LUA_INTEGER_FMT, (LUAI_UACINT)lua_tointeger(L, -2));
                name = number;
            } else {
                char what[64];
                snprintf(what, sizeof what, "cannot encode a %s key",
                         lua_type(L, -2) == LUA_TNUMBER ? "non-integer number"
                                                        : luaL_typename(L, -2));
                return fail(e, what);
            }
            size_t saved = path_push_key(e, name);
            if (encode_value(e, lua_gettop(L), item, name) != 0)
                return -1;
            path_pop(e, saved);
            lua_pop(L, 1);
        }
        if (sort_members(e, item) != 0)
            return -1;
    }
    e->depth--;
    return 0;
}

static int encode_value(struct encoder *e, int index, cJSON *parent, const char *key)
{
    lua_State *L = e->L;
    char text[64];
    switch (lua_type(L, index)) {
    case LUA_TNIL:
        return attach(e, parent, key, cJSON_CreateNull());
    case LUA_TBOOLEAN:
        return attach(e, parent, key, cJSON_CreateBool(lua_toboolean(L, index)));
    case LUA_TNUMBER:
        if (lua_isinteger(L, index)) {
            snprintf(text, sizeof text, LUA_INTEGER_FMT, (LUAI_UACINT)lua_tointeger(L, index));
        } else {
            lua_Number n = lua_tonumber(L, index);
            if (isnan(n))
                return fail(e, "cannot encode NaN");
            if (isinf(n))
                return fail(e, n > 0 ? "cannot encode inf" : "cannot encode -inf");
            format_float(text, sizeof text, n);
        }
        return attach(e, parent, key, cJSON_CreateRaw(text));
    case LUA_TSTRING: {
        size_t length;
        const char *s = lua_tolstring(L, index, &length);
        char *quoted = quote_string(s, length);
        if (quoted == NULL)
            return fail(e, "out of memory");
        cJSON *item = cJSON_CreateRaw(quoted);
        free(quoted);
        return attach(e, parent, key, item);
    }
    case LUA_TTABLE:
        return encode_table(e, index, parent, key);
    case LUA_TLIGHTUSERDATA:
        if (is_null(L, index))
            return attach(e, parent, key, cJSON_CreateNull());
        return fail(e, "cannot encode a light userdata");
    default: {
        char what[64];
        snprintf(what, sizeof what, "cannot encode a %s", luaL_typename(L, index));
        return fail(e, what);
    }
    }
}

/* lua_pcall'ed: [1] = the encoder (light userdata), [2] = the value. Returns
 * nothing; the outcome is in the encoder. */
static int encode_protected(lua_State *L)
{
    struct encoder *e = lua_touserdata(L, 1);
    luaL_getmetatable(L, ARRAY_METATABLE);
    e->array_mt = lua_istable(L, -1) ? lua_gettop(L) : 0;
    encode_value(e, 2, NULL, NULL);
    return 0;
}

/* Writes the tree: compact, or pretty with two spaces per level (an empty
 * array or object stays "[]"/"{}"). Strings and numbers are raw items
 * already in JSON form; keys are quoted here. Errors stick in `out`. */
static void print_item(struct kumo_strbuf *out, const cJSON *item, int pretty, int level)
{
    if (cJSON_IsRaw(item)) {
        kumo_strbuf_append_str(out, item->valuestring);
    } else if (cJSON_IsNull(item)) {
        kumo_strbuf_append_str(out, "null");
    } else if (cJSON_IsBool(item)) {
        kumo_strbuf_append_str(out, cJSON_IsTrue(item) ? "true" : "false");
    } else {
        int object = cJSON_IsObject(item);
        kumo_strbuf_append_char(out, object ? '{' : '[');
        for (const cJSON *c = item->child; c != NULL; c = c->next) {
            if (c != item->child)
                kumo_strbuf_append_char(out, ',');
            if (pretty)
                kumo_strbuf_printf(out, "\n%*s", 2 * (level + 1), "");
            if (object) {
                char *key = quote_string(c->string, strlen(c->string));
                if (key == NULL)
                    out->failed = 1;
                else
                    kumo_strbuf_append_str(out, key);
                free(key);
                kumo_strbuf_append_str(out, pretty ? ": " : ":");
            }
            print_item(out, c, pretty, level + 1);
        }
        if (pretty && item->child != NULL)
            kumo_strbuf_printf(out, "\n%*s", 2 * level, "");
        kumo_strbuf_append_char(out, object ? '}' : ']');
    }
}

char *kumo_json_encode(lua_State *L, int index, int pretty, char *errbuf, size_t errbuf_size)
{
    struct encoder e;
    memset(&e, 0, sizeof e);
    e.L = L;
    strcpy(e.path, "$");
    e.path_length = 1;
    index = lua_absindex(L, index);
    if (!lua_checkstack(L, 4)) {
        snprintf(errbuf, errbuf_size, "out of Lua stack");
        return NULL;
    }
    lua_pushcfunction(L, encode_protected);
    lua_pushlightuserdata(L, &e);
    lua_pushvalue(L, index);
    int status = lua_pcall(L, 2, 0, 0);
    if (status != LUA_OK) {
        snprintf(errbuf, errbuf_size, "%.255s: %s", e.path,
                 status == LUA_ERRMEM ? "not enough memory" : "Lua error while encoding");
        lua_pop(L, 1);
        cJSON_Delete(e.root);
        return NULL;
    }
    if (e.message[0] != '\0') {
        snprintf(errbuf, errbuf_size, "%s", e.message);
        cJSON_Delete(e.root);
        return NULL;
    }
    struct kumo_strbuf out = KUMO_STRBUF_INIT;
    print_item(&out, e.root, pretty, 0);
    cJSON_Delete(e.root);
    char *text = kumo_strbuf_detach(&out);
    if (text == NULL)
        snprintf(errbuf, errbuf_size, "$: out of memory");
    return text;
}

/* ---- Decoding ---------------------------------------------------------- */

static void push_item(lua_State *L, const cJSON *item, int mt)
{
    luaL_checkstack(L, 4, "JSON nested too deeply");
    if (cJSON_IsNull(item)) {
        kumo_json_push_null(L);
    } else if (cJSON_IsBool(item)) {
        lua_pushboolean(L, cJSON_IsTrue(item));
    } else if (cJSON_IsNumber(item)) {
        double d = item->valuedouble;
        lua_Integer i;
        if (floor(d) == d && lua_numbertointeger(d, &i))
            lua_pushinteger(L, i);
        else
            lua_pushnumber(L, (lua_Number)d);
    } else if (cJSON_IsString(item)) {
        lua_pushstring(L, item->valuestring);
    } else if (cJSON_IsArray(item)) {
        lua_createtable(L, cJSON_GetArraySize(item), 0);
        lua_pushvalue(L, mt);
        lua_setmetatable(L, -2);
        lua_Integer i = 0;
        for (const cJSON *c = item->child; c != NULL; c = c->next) {
            push_item(L, c, mt);
            lua_rawseti(L, -2, ++i);
        }
    } else if (cJSON_IsObject(item)) {
        lua_createtable(L, 0, cJSON_GetArraySize(item));
        for (const cJSON *c = item->child; c != NULL; c = c->next) {
            push_item(L, c, mt);
            lua_setfield(L, -2, c->string);
        }
    } else {
        lua_pushnil(L); /* cJSON_Raw and invalid items do not come from the parser */
    }
}

/* lua_pcall'ed: [1] = the cJSON tree (light userdata). Pushes the value. */
static int decode_protected(lua_State *L)
{
    const cJSON *tree = lua_touserdata(L, 1);
    kumo_xml_register_array_metatable(L);
    luaL_getmetatable(L, ARRAY_METATABLE);
    push_item(L, tree, lua_gettop(L));
    return 1;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Whether the text stops inside a string or an open array/object (then a
 * parse failure there is "unexpected end of input"); *string_start is the
 * offset of the opening quote of an unterminated string, or -1. */
static int ends_early(const char *text, size_t length, long *string_start)
{
    long depth = 0;
    *string_start = -1;
    for (size_t i = 0; i < length; i++) {
        char c = text[i];
        if (*string_start >= 0) {
            if (c == '\\')
                i++;
            else if (c == '"')
                *string_start = -1;
        } else if (c == '"') {
            *string_start = (long)i;
        } else if (c == '[' || c == '{') {
            depth++;
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    return *string_start >= 0 || depth > 0;
}

/* The offset of the first \u0000 escape inside a string, or -1: cJSON would
 * silently cut the string there, so such input is refused instead. */
static long find_nul_escape(const char *text, size_t length)
{
    int in_string = 0;
    for (size_t i = 0; i < length; i++) {
        if (!in_string) {
            in_string = text[i] == '"';
        } else if (text[i] == '"') {
            in_string = 0;
        } else if (text[i] == '\\') {
            if (i + 5 < length && text[i + 1] == 'u' && memcmp(text + i + 2, "0000", 4) == 0)
                return (long)i;
            i++;
        }
    }
    return -1;
}

static void describe_byte(char *out, size_t size, const char *what, unsigned char c, size_t at)
{
    if (c >= 0x20 && c < 0x7f)
        snprintf(out, size, "unexpected %scharacter '%c' at byte %zu", what, c, at);
    else
        snprintf(out, size, "unexpected %sbyte 0x%02X at byte %zu", what, c, at);
}

int kumo_json_push_decoded(lua_State *L, const char *text, size_t length, char *errbuf,
                           size_t errbuf_size)
{
    size_t start = 0;
    while (start < length && is_space(text[start]))
        start++;
    if (start == length) {
        snprintf(errbuf, errbuf_size, "empty input");
        return -1;
    }
    const char *end = NULL;
    cJSON *tree = cJSON_ParseWithLengthOpts(text, length, &end, 0);
    if (tree == NULL) {
        size_t at = end != NULL && end >= text ? (size_t)(end - text) : 0;
        long string_start;
        int early = ends_early(text, length, &string_start);
        if (early && (at + 1 >= length || (string_start >= 0 && at >= (size_t)string_start &&
                                           at <= (size_t)string_start + 1)))
            snprintf(errbuf, errbuf_size, "unexpected end of input at byte %zu", length);
        else if (at < length)
            describe_byte(errbuf, errbuf_size, "", (unsigned char)text[at], at + 1);
        else
            snprintf(errbuf, errbuf_size, "invalid JSON at byte %zu", length);
        return -1;
    }
    long nul = find_nul_escape(text, length);
    if (nul >= 0) {
        snprintf(errbuf, errbuf_size, "\\u0000 in a string is not supported at byte %ld", nul + 1);
        cJSON_Delete(tree);
        return -1;
    }
    size_t used = (size_t)(end - text);
    while (used < length && is_space(text[used]))
        used++;
    if (used < length) {
        describe_byte(errbuf, errbuf_size, "trailing ", (unsigned char)text[used], used + 1);
        cJSON_Delete(tree);
        return -1;
    }
    if (!lua_checkstack(L, 3)) {
        cJSON_Delete(tree);
        luaL_checkstack(L, 3, "no stack space to decode JSON");
    }
    lua_pushcfunction(L, decode_protected);
    lua_pushlightuserdata(L, tree);
    int status = lua_pcall(L, 1, 1, 0);
    cJSON_Delete(tree);
    if (status != LUA_OK)
        lua_error(L); /* a memory error: re-raise now that the tree is freed */
    return 0;
}
