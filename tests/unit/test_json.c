/*
 * test_json.c - unit tests for runtime/aws/json.c and the `json` Lua library
 * (bindings/json.c): exact encodings, decodings, round trips, pretty output,
 * and the exact error messages, table-driven; then the C API's ownership
 * and stack contracts and its behaviour under Lua memory errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "aws/json.h"
#include "bindings/bindings.h"

static const char lua_prelude[] =
    "array_mt = debug.getregistry()['kumo.array']\n"
    "function A(t) return setmetatable(t, array_mt) end\n"
    "function is_array(t) return type(t) == 'table' and getmetatable(t) == array_mt end\n"
    "function err(...) local ok, e = pcall(...) assert(not ok, 'no error') return e end\n"
    "function same(a, b)\n"
    "  if type(a) ~= type(b) then return false end\n"
    "  if type(a) ~= 'table' then\n"
    "    return a == b and (type(a) ~= 'number' or math.type(a) == math.type(b))\n"
    "  end\n"
    "  for k, v in pairs(a) do if not same(v, b[k]) then return false end end\n"
    "  for k in pairs(b) do if a[k] == nil then return false end end\n"
    "  return true\n"
    "end\n";

static lua_State *new_state(void)
{
    lua_State *L = luaL_newstate();
    assert_non_null(L);
    luaL_openlibs(L);
    luaL_requiref(L, "json", luaopen_kumo_json, 1);
    lua_pop(L, 1);
    if (luaL_dostring(L, lua_prelude) != LUA_OK)
        fail_msg("prelude: %s", lua_tostring(L, -1));
    return L;
}

/* ---- table-driven cases ------------------------------------------------------ */

struct json_case {
    const char *name;
    const char *lua;      /* an expression */
    const char *expected; /* what it evaluates to (a string), or NULL: it must be true */
};

static const struct json_case cases[] = {
    /* scalars */
    {"nil", "json.encode(nil)", "null"},
    {"booleans", "json.encode({true, false})", "[true,false]"},
    {"integers", "json.encode({0, 42, -7, math.maxinteger, math.mininteger})",
     "[0,42,-7,9223372036854775807,-9223372036854775808]"},
    {"floats", "json.encode({1.5, 1.0, 0.1, -0.0, 1/3, 1e300, 1e-7, 2^53, 123456.789})",
     "[1.5,1.0,0.1,-0.0,0.33333333333333331,1e+300,1e-07,9007199254740992.0,123456.789]"},
    {"string", "json.encode('hello')", "\"hello\""},
    {"escapes", "json.encode('q\"b\\\\s/\\n\\r\\t\\b\\f\\1\\31\\127')",
     "\"q\\\"b\\\\s/\\n\\r\\t\\b\\f\\u0001\\u001f\x7f\""},
    {"NUL byte", "json.encode('a\\0b')", "\"a\\u0000b\""},
    {"UTF-8 passes through", "json.encode('\\u{65E5}\\u{672C} \\u{1F600}')",
     "\"\xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80\""},
    {"json.null", "json.encode(json.null)", "null"},
    {"json.null in containers", "json.encode({a = json.null, b = {json.null, 1}})",
     "{\"a\":null,\"b\":[null,1]}"},

    /* arrays and objects */
    {"array", "json.encode({1, 'two', {3}})", "[1,\"two\",[3]]"},
    {"empty table is an object", "json.encode({})", "{}"},
    {"kumo.array empty table", "json.encode(A{})", "[]"},
    {"kumo.array table", "json.encode(A{1, 2})", "[1,2]"},
    {"object keys sorted", "json.encode({b = 1, a = 2, c = 3, B = 4})",
     "{\"B\":4,\"a\":2,\"b\":1,\"c\":3}"},
    {"mixed keys become an object", "json.encode({1, 2, x = 3})", "{\"1\":1,\"2\":2,\"x\":3}"},
    {"sparse list becomes an object", "json.encode({[1] = 'a', [3] = 'c'})",
     "{\"1\":\"a\",\"3\":\"c\"}"},
    {"negative integer keys", "json.encode({[-1] = 'a', [0] = 'b'})", "{\"-1\":\"a\",\"0\":\"b\"}"},
    {"nested", "json.encode({ vpc_id = 'vpc-1', groups = { { id = 'sg-1', rules = A{} } } })",
     "{\"groups\":[{\"id\":\"sg-1\",\"rules\":[]}],\"vpc_id\":\"vpc-1\"}"},
    {"key escapes", "json.encode({['a\"b\\n'] = 1})", "{\"a\\\"b\\n\":1}"},
    {"64 levels",
     "(function() local t = 1 for i = 1, 64 do t = {t} end return json.encode(t) end)()", NULL},
    {"shared table is not a cycle", "(function() local s = {1} return json.encode({s, s}) end)()",
     "[[1],[1]]"},

    /* pretty */
    {"pretty", "json.encode({a = 1, b = {1, {x = true}}, c = {}, d = A{}}, {pretty = true})",
     "{\n  \"a\": 1,\n  \"b\": [\n    1,\n    {\n      \"x\": true\n    }\n  ],\n  \"c\": {},\n"
     "  \"d\": []\n}"},
    {"pretty scalar", "json.encode('x', {pretty = true})", "\"x\""},
    {"pretty false", "json.encode({1}, {pretty = false})", "[1]"},
    {"pretty with a tab in a string", "json.encode({'\\t'}, {pretty = true})", "[\n  \"\\t\"\n]"},

    /* encode errors */
    {"function", "err(json.encode, print)", "json.encode: $: cannot encode a function"},
    {"function in a path", "err(json.encode, {rules = {{}, {f = print}}})",
     "json.encode: $.rules[2].f: cannot encode a function"},
    {"odd key in a path", "err(json.encode, {['a b'] = {print}})",
     "json.encode: $[\"a b\"][1]: cannot encode a function"},
    {"cycle", "(function() local t = {} t.self = t return err(json.encode, t) end)()",
     "json.encode: $.self: cannot encode a table that contains itself (cycle)"},
    {"indirect cycle",
     "(function() local a, b = {}, {} a[1] = b b.x = a return err(json.encode, a) end)()",
     "json.encode: $[1].x: cannot encode a table that contains itself (cycle)"},
    {"NaN", "err(json.encode, {x = 0/0})", "json.encode: $.x: cannot encode NaN"},
    {"inf", "err(json.encode, {1, math.huge})", "json.encode: $[2]: cannot encode inf"},
    {"-inf", "err(json.encode, -math.huge)", "json.encode: $: cannot encode -inf"},
    {"65 levels",
     "(function() local t = 1 for i = 1, 65 do t = {t} end return err(json.encode, t) end)()",
     "json.encode: $[1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1]"
     "[1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1][1]"
     "[1][1][1][1][1][1][1][1]: tables nested deeper than 64"},
    {"boolean key", "err(json.encode, {[true] = 1})",
     "json.encode: $: cannot encode a boolean key"},
    {"float key", "err(json.encode, {x = {[1.5] = 1}})",
     "json.encode: $.x: cannot encode a non-integer number key"},
    {"table key", "err(json.encode, {[{}] = 1})", "json.encode: $: cannot encode a table key"},
    {"NUL in a key", "err(json.encode, {['a\\0b'] = 1})",
     "json.encode: $: cannot encode a key containing a NUL byte"},
    {"integer and string key collide", "err(json.encode, {[1] = 'a', ['1'] = 'b'})",
     "json.encode: $: key \"1\" given twice (integer and string)"},
    {"thread", "err(json.encode, {co = coroutine.create(print)})",
     "json.encode: $.co: cannot encode a thread"},
    {"userdata", "err(json.encode, io.stdout)", "json.encode: $: cannot encode a userdata"},
    {"light userdata", "err(json.encode, debug.upvalueid(A, 1))",
     "json.encode: $: cannot encode a light userdata"},
    {"kumo.array with names", "err(json.encode, A{1, x = 2})",
     "json.encode: $: kumo.array table has keys other than 1..n"},
    {"kumo.array with a hole", "err(json.encode, {list = A{[2] = 1}})",
     "json.encode: $.list: kumo.array table has keys other than 1..n"},
    {"no value", "err(json.encode):find('bad argument #1', 1, true) ~= nil", NULL},
    {"unknown option",
     "err(json.encode, 1, {indent = 2}):find(\"unknown option 'indent'\", 1, "
     "true) ~= nil",
     NULL},
    {"options not a table", "err(json.encode, 1, 'pretty'):find('table expected', 1, true) ~= nil",
     NULL},
    {"pretty not a boolean",
     "err(json.encode, 1, {pretty = 1}):find('pretty: boolean expected, got number', 1, true) ~= "
     "nil",
     NULL},

    /* decode */
    {"decode object",
     "(function() local t = json.decode('{\"a\":1,\"b\":[1,2,{\"c\":null}],\"d\":\"x\",\"e\":true,"
     "\"f\":1.5,\"g\":false}')\n"
     "return math.type(t.a) == 'integer' and t.a == 1 and is_array(t.b) and #t.b == 3\n"
     "  and t.b[3].c == json.null and getmetatable(t.b[3]) == nil and t.d == 'x'\n"
     "  and t.e == true and math.type(t.f) == 'float' and t.f == 1.5 and t.g == false end)()",
     NULL},
    {"decode scalars",
     "json.decode('null') == json.null and json.decode('true') == true and "
     "json.decode(' \"s\" ') == 's' and json.decode('-12') == -12 and "
     "math.type(json.decode('-12')) == 'integer' and math.type(json.decode('1e2')) == 'integer' "
     "and math.type(json.decode('1e300')) == 'float' and "
     "math.type(json.decode('12345678901234567890')) == 'float' and "
     "json.decode('9007199254740992') == 9007199254740992",
     NULL},
    {"decode empty containers",
     "is_array(json.decode('[]')) and #json.decode('[]') == 0 and "
     "getmetatable(json.decode('{}')) == nil and next(json.decode('{}')) == nil",
     NULL},
    {"decode escapes",
     "json.decode('\"a\\\\u00e9\\\\n\\\\t\\\\\\\"\\\\\\\\\\\\/\\\\ud83d\\\\ude00\"')",
     "a\xC3\xA9\n\t\"\\/\xF0\x9F\x98\x80"},
    {"decode nulls in arrays",
     "(function() local t = json.decode('[null,1,null]') return #t == 3 "
     "and t[1] == json.null and t[3] == json.null end)()",
     NULL},
    {"decode duplicate keys: last wins", "json.decode('{\"a\":1,\"a\":2}').a == 2", NULL},
    {"json.null is a light userdata", "type(json.null) == 'userdata' and json.null ~= nil", NULL},

    /* round trips */
    {"round trip value",
     "(function() local v = {vpc_id = 'vpc-1', n = 3, f = 0.25, ok = true, list = A{1, 'a', A{}},\n"
     "  nested = {deep = {deeper = {'x'}}}, empty = {}, s = 'line\\nbreak \"q\" \\u{E9}'}\n"
     "  local back = json.decode(json.encode(v))\n"
     "  return same(v, back) and is_array(back.list) and is_array(back.list[3])\n"
     "  and not is_array(back.empty) end)()",
     NULL},
    {"round trip text",
     "(function() for _, s in ipairs{'{\"a\":[1,2.5,\"x\",null,true,{}],\"b\":[]}', '[]', '{}',\n"
     "  '[[[]]]', '-0.5', '1e+300', '0.1'} do\n"
     "  assert(json.encode(json.decode(s)) == s, s) end return true end)()",
     NULL},
    {"round trip integers",
     "json.decode(json.encode(math.maxinteger - 1)) ~= nil and "
     "json.decode(json.encode({1.0}))[1] == 1.0",
     NULL},

    /* decode errors */
    {"empty input", "err(json.decode, '')", "json.decode: empty input"},
    {"blank input", "err(json.decode, ' \\n\\t')", "json.decode: empty input"},
    {"truncated array", "err(json.decode, '[1,2')",
     "json.decode: unexpected end of input at byte 4"},
    {"truncated object", "err(json.decode, '{\"a\":[1,2}')",
     "json.decode: unexpected end of input at byte 10"},
    {"truncated string", "err(json.decode, '\"abc')",
     "json.decode: unexpected end of input at byte 4"},
    {"trailing comma", "err(json.decode, '[1,]')",
     "json.decode: unexpected character ']' at byte 4"},
    {"missing colon", "err(json.decode, '{\"a\" 1}')",
     "json.decode: unexpected character '1' at byte 6"},
    {"bad literal", "err(json.decode, 'tru')", "json.decode: unexpected character 't' at byte 1"},
    {"control byte", "err(json.decode, '\\1')", "json.decode: unexpected byte 0x01 at byte 1"},
    {"trailing text", "err(json.decode, '{\"a\":1}}')",
     "json.decode: unexpected trailing character '}' at byte 8"},
    {"trailing NUL", "err(json.decode, '[1] \\0')",
     "json.decode: unexpected trailing byte 0x00 at byte 5"},
    {"two values", "err(json.decode, '1 2')",
     "json.decode: unexpected trailing character '2' at byte 3"},
    {"NUL escape refused", "err(json.decode, '[\"\\\\\\\\u0000\", \"a\\\\u0000\"]')",
     "json.decode: \\u0000 in a string is not supported at byte 15"},
    {"not a string", "err(json.decode, {}):find('bad argument #1', 1, true) ~= nil", NULL},
};

static void test_case(void **state)
{
    const struct json_case *c = *state;
    lua_State *L = new_state();
    char chunk[4096];
    snprintf(chunk, sizeof chunk, "return %s", c->lua);
    if (luaL_loadstring(L, chunk) != LUA_OK || lua_pcall(L, 0, 1, 0) != LUA_OK)
        fail_msg("%s: %s", c->name, lua_tostring(L, -1));
    if (c->expected != NULL) {
        if (lua_type(L, -1) != LUA_TSTRING)
            fail_msg("%s: got a %s", c->name, luaL_typename(L, -1));
        assert_string_equal(lua_tostring(L, -1), c->expected);
    } else if (!lua_toboolean(L, -1)) {
        fail_msg("%s: false", c->name);
    }
    lua_close(L);
}

/* ---- the C API -------------------------------------------------------------------- */

static void test_encode_c_api(void **state)
{
    (void)state;
    lua_State *L = luaL_newstate(); /* no json library: kumo.array not registered */
    char errbuf[128];
    lua_newtable(L);
    lua_pushinteger(L, 5);
    lua_setfield(L, -2, "n");
    lua_pushnil(L); /* an extra value above: the index is relative */
    int top = lua_gettop(L);
    char *text = kumo_json_encode(L, -2, 0, errbuf, sizeof errbuf);
    assert_non_null(text);
    assert_string_equal(text, "{\"n\":5}");
    free(text); /* plain free(), as json.h promises */
    assert_int_equal(lua_gettop(L), top);

    lua_pushcfunction(L, luaopen_base);
    assert_null(kumo_json_encode(L, -1, 1, errbuf, sizeof errbuf));
    assert_string_equal(errbuf, "$: cannot encode a function");
    assert_int_equal(lua_gettop(L), top + 1);
    /* a short errbuf is cut and terminated */
    char tiny[6];
    assert_null(kumo_json_encode(L, -1, 0, tiny, sizeof tiny));
    assert_string_equal(tiny, "$: ca");
    lua_close(L);
}

static void test_decode_c_api(void **state)
{
    (void)state;
    lua_State *L = luaL_newstate();
    char errbuf[128];
    int top = lua_gettop(L);
    assert_int_equal(kumo_json_push_decoded(L, "[1,", 3, errbuf, sizeof errbuf), -1);
    assert_int_equal(lua_gettop(L), top); /* nothing pushed on failure */
    assert_string_equal(errbuf, "unexpected end of input at byte 3");
    /* length is honoured: the text need not be NUL-terminated */
    assert_int_equal(kumo_json_push_decoded(L, "[7]garbage", 3, errbuf, sizeof errbuf), 0);
    assert_int_equal(lua_gettop(L), top + 1);
    lua_rawgeti(L, -1, 1);
    assert_int_equal(lua_tointeger(L, -1), 7);
    lua_pop(L, 1);
    /* decoding registers kumo.array when needed */
    assert_true(lua_getmetatable(L, -1));
    luaL_getmetatable(L, "kumo.array");
    assert_true(lua_rawequal(L, -1, -2));
    lua_pop(L, 3);
    kumo_json_push_null(L);
    assert_int_equal(lua_type(L, -1), LUA_TLIGHTUSERDATA);
    assert_int_equal(kumo_json_push_decoded(L, "null", 4, errbuf, sizeof errbuf), 0);
    assert_true(lua_rawequal(L, -1, -2));
    lua_close(L);
}

/* ---- memory errors --------------------------------------------------------------- */

struct limited {
    size_t used, limit;
};

static void *limited_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    struct limited *l = ud;
    size_t old = ptr != NULL ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        l->used -= old;
        return NULL;
    }
    if (nsize > old && l->used + (nsize - old) > l->limit)
        return NULL;
    void *p = realloc(ptr, nsize);
    if (p != NULL)
        l->used = l->used - old + nsize;
    return p;
}

static const char big_json[] =
    "{\"groups\":[{\"id\":\"sg-1\",\"rules\":[{\"port\":80,\"cidr\":\"0.0.0.0/0\"},"
    "{\"port\":443,\"cidr\":\"::/0\"}]},{\"id\":\"sg-2\",\"rules\":[]}],\"vpc\":\"vpc-1\","
    "\"tags\":{\"Name\":\"x\",\"Project\":\"zenn-clone\"},\"list\":[1,2,3,4,5,6,7,8,9,10]}";

static int decode_protected(lua_State *L)
{
    char errbuf[128];
    if (kumo_json_push_decoded(L, big_json, strlen(big_json), errbuf, sizeof errbuf) != 0)
        return luaL_error(L, "%s", errbuf);
    return 1;
}

/* Decoding with less and less memory: success or a memory error, no leak. */
static void test_decode_memory_errors(void **state)
{
    (void)state;
    int failures = 0, successes = 0;
    for (size_t extra = 0; extra < 64 * 1024 && successes == 0; extra += 64) {
        struct limited l = {0, (size_t)-1};
        lua_State *L = lua_newstate(limited_alloc, &l);
        assert_non_null(L);
        l.limit = l.used + 512 + extra;
        lua_pushcfunction(L, decode_protected);
        int status = lua_pcall(L, 0, 1, 0);
        if (status == LUA_OK)
            successes++;
        else if (status == LUA_ERRMEM)
            failures++;
        else
            fail_msg("unexpected error: %s", lua_tostring(L, -1));
        l.limit = (size_t)-1;
        lua_close(L);
    }
    assert_true(failures > 0);
    assert_int_equal(successes, 1);
}

/* Encoding never raises: under memory pressure it returns NULL, no leak. */
static void test_encode_memory_errors(void **state)
{
    (void)state;
    int failures = 0, successes = 0;
    for (size_t extra = 0; extra < 64 * 1024 && successes == 0; extra += 16) {
        struct limited l = {0, (size_t)-1};
        lua_State *L = lua_newstate(limited_alloc, &l);
        assert_non_null(L);
        char errbuf[128];
        assert_int_equal(
            kumo_json_push_decoded(L, big_json, strlen(big_json), errbuf, sizeof errbuf), 0);
        l.limit = l.used + extra;
        int top = lua_gettop(L);
        char *text = kumo_json_encode(L, -1, 1, errbuf, sizeof errbuf);
        assert_int_equal(lua_gettop(L), top);
        if (text != NULL) {
            successes++;
            free(text);
        } else {
            assert_non_null(strstr(errbuf, "not enough memory"));
            failures++;
        }
        l.limit = (size_t)-1;
        lua_close(L);
    }
    assert_int_equal(successes, 1);
    (void)failures; /* with little Lua allocation in encoding, failures may be few */
}

static void test_library_table(void **state)
{
    (void)state;
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    assert_int_equal(luaopen_kumo_json(L), 1);
    assert_true(lua_istable(L, -1));
    lua_getfield(L, -1, "encode");
    assert_true(lua_iscfunction(L, -1));
    lua_getfield(L, -2, "decode");
    assert_true(lua_iscfunction(L, -1));
    lua_getfield(L, -3, "null");
    kumo_json_push_null(L);
    assert_true(lua_rawequal(L, -1, -2));
    luaL_getmetatable(L, "kumo.array");
    assert_true(lua_istable(L, -1));
    lua_close(L);
}

int main(void)
{
    size_t ncases = sizeof cases / sizeof cases[0];
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_encode_c_api),         cmocka_unit_test(test_decode_c_api),
        cmocka_unit_test(test_decode_memory_errors), cmocka_unit_test(test_encode_memory_errors),
        cmocka_unit_test(test_library_table),
    };
    size_t nfixed = sizeof fixed / sizeof fixed[0];
    struct CMUnitTest *tests = calloc(ncases + nfixed, sizeof *tests);
    for (size_t i = 0; i < ncases; i++) {
        tests[i].name = cases[i].name;
        tests[i].test_func = test_case;
        tests[i].initial_state = (void *)&cases[i];
    }
    memcpy(tests + ncases, fixed, sizeof fixed);
    int failed = _cmocka_run_group_tests("json", tests, ncases + nfixed, NULL, NULL);
    free(tests);
    return failed;
}
