/*
 * test_query.c - unit tests for runtime/aws/query.c (EC2 Query form bodies).
 *
 * Every real request body captured from the AWS CLI (testdata/ec2-wire/raw/
 * *.request.body, read at run time) is decoded into pairs, un-flattened into
 * the nested Lua table a script would write, and encoded again by kumo: the
 * pair sets must be equal, byte for byte as botocore wrote them (RFC 3986
 * percent-encoding with a space written as '+', as form bodies have it), and the pairs
 * must come in kumo's order. One cmocka test per capture. Then edge cases and
 * the exact error messages, table-driven.
 */
#include <dirent.h>
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

#include "aws/query.h"

#define WIRE_DIR KUMO_TESTDATA_DIR "/ec2-wire/raw"

/* ---- helpers ------------------------------------------------------------ */

static char *read_file(const char *path, size_t *length)
{
    FILE *f = fopen(path, "rb");
    *length = 0;
    if (f == NULL)
        return NULL;
    size_t cap = 4096, n = 0;
    char *data = malloc(cap);
    size_t got;
    while (data != NULL && (got = fread(data + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            cap *= 2;
            char *bigger = realloc(data, cap);
            if (bigger == NULL)
                free(data);
            data = bigger;
        }
    }
    fclose(f);
    if (data != NULL)
        data[n] = '\0';
    *length = n;
    return data;
}

struct pair {
    char *name;  /* decoded */
    char *value; /* decoded */
    size_t value_length;
    char *raw_name; /* as on the wire */
    char *raw_value;
};

struct pairs {
    struct pair *items;
    size_t count;
};

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Form-decodes text[0..n) ('+' is a space). */
static char *form_decode(const char *text, size_t n, size_t *out_length)
{
    char *out = malloc(n + 1);
    size_t o = 0;
    assert_non_null(out);
    for (size_t i = 0; i < n; i++) {
        if (text[i] == '+') {
            out[o++] = ' ';
        } else if (text[i] == '%' && i + 2 < n && hex_value(text[i + 1]) >= 0 &&
                   hex_value(text[i + 2]) >= 0) {
            out[o++] = (char)(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
            i += 2;
        } else {
            out[o++] = text[i];
        }
    }
    out[o] = '\0';
    if (out_length != NULL)
        *out_length = o;
    return out;
}

static char *copy_raw(const char *text, size_t n)
{
    char *out = malloc(n + 1);
    assert_non_null(out);
    memcpy(out, text, n);
    out[n] = '\0';
    return out;
}

static void parse_form(const char *body, struct pairs *out)
{
    out->items = NULL;
    out->count = 0;
    const char *p = body;
    while (*p) {
        const char *amp = strchr(p, '&');
        size_t n = amp ? (size_t)(amp - p) : strlen(p);
        const char *eq = memchr(p, '=', n);
        assert_non_null(eq);
        size_t name_n = (size_t)(eq - p), value_n = n - name_n - 1;
        out->items = realloc(out->items, (out->count + 1) * sizeof *out->items);
        assert_non_null(out->items);
        struct pair *pr = &out->items[out->count++];
        pr->name = form_decode(p, name_n, NULL);
        pr->value = form_decode(eq + 1, value_n, &pr->value_length);
        pr->raw_name = copy_raw(p, name_n);
        pr->raw_value = copy_raw(eq + 1, value_n);
        p += n;
        if (*p == '&')
            p++;
    }
}

static void free_pairs(struct pairs *ps)
{
    for (size_t i = 0; i < ps->count; i++) {
        free(ps->items[i].name);
        free(ps->items[i].value);
        free(ps->items[i].raw_name);
        free(ps->items[i].raw_value);
    }
    free(ps->items);
}

static int compare_raw(const void *a, const void *b)
{
    const struct pair *l = a, *r = b;
    int c = strcmp(l->raw_name, r->raw_name);
    return c != 0 ? c : strcmp(l->raw_value, r->raw_value);
}

/* Checks that `raw` (as written by kumo) uses only RFC 3986 unreserved
 * characters, %XX with uppercase hex, and '+' for a space. */
static void assert_rfc3986(const char *raw)
{
    for (const char *p = raw; *p; p++) {
        char c = *p;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~' || c == '+')
            continue;
        if (c == '%' && strchr("0123456789ABCDEF", p[1]) && p[1] &&
            strchr("0123456789ABCDEF", p[2]) && p[2]) {
            p += 2;
            continue;
        }
        fail_msg("not RFC 3986 encoded at '%s' in '%s'", p, raw);
    }
}

/* The order kumo promises, written independently: names split on '.', digit
 * segments compared as numbers, others bytewise, a prefix first. */
static int expected_order(const char *a, const char *b)
{
    while (*a || *b) {
        size_t an = strcspn(a, "."), bn = strcspn(b, ".");
        int a_num = an > 0 && strspn(a, "0123456789") >= an;
        int b_num = bn > 0 && strspn(b, "0123456789") >= bn;
        int c;
        if (a_num && b_num) {
            unsigned long long x = strtoull(a, NULL, 10), y = strtoull(b, NULL, 10);
            c = x < y ? -1 : x > y;
        } else {
            size_t n = an < bn ? an : bn;
            c = memcmp(a, b, n);
            if (c == 0)
                c = an < bn ? -1 : an > bn;
        }
        if (c != 0)
            return c;
        a += an;
        b += bn;
        if (!*a || !*b)
            return (*a != 0) - (*b != 0);
        a++;
        b++;
    }
    return 0;
}

/* lua_pcall'ed: (action, version|nil, params) -> body. Checks the stack. */
static int call_push_body(lua_State *L)
{
    const char *action = luaL_checkstring(L, 1);
    const char *version = lua_tostring(L, 2);
    int top = lua_gettop(L);
    kumo_query_push_body(L, action, version, 3);
    if (lua_gettop(L) != top + 1 || !lua_isstring(L, -1))
        return luaL_error(L, "stack not balanced: %d -> %d", top, lua_gettop(L));
    return 1;
}

static lua_State *new_state(void)
{
    lua_State *L = luaL_newstate();
    assert_non_null(L);
    luaL_openlibs(L);
    return L;
}

/* Sets t[path] = value in the table at -1, creating intermediate tables;
 * numeric segments become integer keys. */
static void set_flattened(lua_State *L, const char *name, const char *value, size_t value_length)
{
    lua_pushvalue(L, -1);
    const char *p = name;
    for (;;) {
        size_t n = strcspn(p, ".");
        int numeric = n > 0 && strspn(p, "0123456789") >= n;
        if (numeric)
            lua_pushinteger(L, (lua_Integer)strtoll(p, NULL, 10));
        else
            lua_pushlstring(L, p, n);
        if (p[n] == '\0') {
            lua_pushlstring(L, value, value_length);
            lua_settable(L, -3);
            lua_pop(L, 1);
            return;
        }
        lua_pushvalue(L, -1);
        if (lua_gettable(L, -3) == LUA_TNIL) {
            lua_pop(L, 1);
            lua_newtable(L);
            lua_pushvalue(L, -2);
            lua_pushvalue(L, -2);
            lua_settable(L, -5);
        }
        lua_remove(L, -2);
        lua_remove(L, -2);
        p += n + 1;
    }
}

/* ---- one test per captured request ---------------------------------------- */

static void test_capture(void **state)
{
    const char *path = *state;
    size_t length;
    char *capture = read_file(path, &length);
    assert_non_null(capture);
    while (length > 0 && (capture[length - 1] == '\n' || capture[length - 1] == '\r'))
        capture[--length] = '\0';

    struct pairs wire;
    parse_form(capture, &wire);
    assert_true(wire.count >= 2);
    assert_string_equal(wire.items[0].name, "Action");
    assert_string_equal(wire.items[1].name, "Version");

    lua_State *L = new_state();
    lua_pushcfunction(L, call_push_body);
    lua_pushstring(L, wire.items[0].value);
    lua_pushstring(L, wire.items[1].value);
    lua_newtable(L);
    for (size_t i = 2; i < wire.count; i++)
        set_flattened(L, wire.items[i].name, wire.items[i].value, wire.items[i].value_length);
    if (lua_pcall(L, 3, 1, 0) != LUA_OK)
        fail_msg("%s: %s", path, lua_tostring(L, -1));
    const char *body = lua_tostring(L, -1);

    struct pairs ours;
    parse_form(body, &ours);
    assert_int_equal(ours.count, wire.count);
    assert_string_equal(ours.items[0].raw_name, "Action");
    assert_string_equal(ours.items[0].value, wire.items[0].value);
    assert_string_equal(ours.items[1].raw_name, "Version");
    assert_string_equal(ours.items[1].value, wire.items[1].value);
    assert_null(strstr(body, "%20"));
    for (size_t i = 0; i < ours.count; i++) {
        assert_rfc3986(ours.items[i].raw_name);
        assert_rfc3986(ours.items[i].raw_value);
        if (i > 2 && expected_order(ours.items[i - 1].name, ours.items[i].name) >= 0)
            fail_msg("out of order: %s before %s", ours.items[i - 1].name, ours.items[i].name);
    }
    /* Same pairs, byte for byte. */
    qsort(wire.items, wire.count, sizeof *wire.items, compare_raw);
    qsort(ours.items, ours.count, sizeof *ours.items, compare_raw);
    for (size_t i = 0; i < ours.count; i++) {
        assert_string_equal(ours.items[i].raw_name, wire.items[i].raw_name);
        assert_string_equal(ours.items[i].raw_value, wire.items[i].raw_value);
    }

    free_pairs(&wire);
    free_pairs(&ours);
    free(capture);
    lua_close(L);
}

/* ---- edge cases ------------------------------------------------------------ */

struct body_case {
    const char *name;
    const char *lua; /* a chunk returning the params (the second value: the version) */
    const char *action;
    const char *expected; /* the exact body, or NULL when an error is expected */
    const char *error;    /* the exact error message */
};

static const struct body_case body_cases[] = {
    {"nil params", "return nil", "DescribeVpcs", "Action=DescribeVpcs&Version=2016-11-15", NULL},
    {"empty table", "return {}", "DescribeVpcs", "Action=DescribeVpcs&Version=2016-11-15", NULL},
    {"header example",
     "return { Filter = { { Name = 'tag:Name', Value = { 'a', 'b' } } }, DryRun = true }", "X",
     "Action=X&Version=2016-11-15&DryRun=true&Filter.1.Name=tag%3AName&Filter.1.Value.1=a&"
     "Filter.1.Value.2=b",
     NULL},
    {"booleans", "return { DryRun = true, Force = false }", "A",
     "Action=A&Version=2016-11-15&DryRun=true&Force=false", NULL},
    {"integers", "return { MaxResults = 5, Offset = -12, Big = math.maxinteger }", "A",
     "Action=A&Version=2016-11-15&Big=9223372036854775807&MaxResults=5&Offset=-12", NULL},
    {"integral floats", "return { A = 3.0, B = -0.0, C = 1e15 }", "A",
     "Action=A&Version=2016-11-15&A=3&B=0&C=1000000000000000", NULL},
    {"unicode", "return { Description = '\\u{65E5}\\u{672C} \\u{FC}' }", "A",
     "Action=A&Version=2016-11-15&Description=%E6%97%A5%E6%9C%AC+%C3%BC", NULL},
    {"reserved characters",
     "return { V = [[a b+c&d=e/f:g?h#i[j]k@l!m$n'o(p)q*r,s;t%u~v-w.x_y\"]] }", "A",
     "Action=A&Version=2016-11-15&V=a+b%2Bc%26d%3De%2Ff%3Ag%3Fh%23i%5Bj%5Dk%40l%21m%24n%27o%"
     "28p%29q%2Ar%2Cs%3Bt%25u~v-w.x_y%22",
     NULL},
    {"control bytes and NUL", "return { V = 'a\\0b\\n\\t\\127\\255' }", "A",
     "Action=A&Version=2016-11-15&V=a%00b%0A%09%7F%FF", NULL},
    {"empty string value", "return { A = '' }", "A", "Action=A&Version=2016-11-15&A=", NULL},
    {"empty nested table", "return { GroupId = {}, VpcId = 'v' }", "A",
     "Action=A&Version=2016-11-15&VpcId=v", NULL},
    {"numeric order", "return { GroupId = { 'a','b','c','d','e','f','g','h','i','j','k' } }", "A",
     "Action=A&Version=2016-11-15&GroupId.1=a&GroupId.2=b&GroupId.3=c&GroupId.4=d&GroupId.5=e&"
     "GroupId.6=f&GroupId.7=g&GroupId.8=h&GroupId.9=i&GroupId.10=j&GroupId.11=k",
     NULL},
    {"name order", "return { Ab = 1, A = { B = 2, Ba = 3 }, a = 4, B = 5 }", "A",
     "Action=A&Version=2016-11-15&A.B=2&A.Ba=3&Ab=1&B=5&a=4", NULL},
    {"action is encoded", "return nil", "A B", "Action=A+B&Version=2016-11-15", NULL},
    {"other version", "return { RoleArn = 'arn:aws:iam::1:role/x' }, '2011-06-15'", "AssumeRole",
     "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fx", NULL},
    {"16 levels", "local t = 'x' for i = 1, 15 do t = { A = t } end return { R = t }", "A",
     "Action=A&Version=2016-11-15&R.A.A.A.A.A.A.A.A.A.A.A.A.A.A.A=x", NULL},

    {"non-integral float", "return { A = 3.5 }", "A", NULL,
     "params.A: number has no integer representation (3.5)"},
    {"NaN", "return { A = 0/0 }", "A", NULL, NULL /* message checked by prefix below */},
    {"sparse list", "return { GroupId = { [1] = 'a', [3] = 'b' } }", "A", NULL,
     "params.GroupId: sparse list (index 2 missing, highest is 3)"},
    {"mixed keys", "return { Filter = { { Name = 'x' }, Extra = 'y' } }", "A", NULL,
     "params.Filter: table mixes list indices and names"},
    {"function value", "return { Filter = { { Name = 'x', Value = print } } }", "A", NULL,
     "params.Filter[1].Value: string, number or boolean expected, got function"},
    {"function in a list", "return { Filter = { { Name = 'x', Value = { 'a', print } } } }", "A",
     NULL, "params.Filter[1].Value[2]: string, number or boolean expected, got function"},
    {"userdata value", "return { F = io.stdout }", "A", NULL,
     "params.F: string, number or boolean expected, got FILE*"},
    {"17 levels", "local t = 'x' for i = 1, 17 do t = { A = t } end return { R = t }", "A", NULL,
     "params.R.A.A.A.A.A.A.A.A.A.A.A.A.A.A.A.A: tables nested deeper than 16"},
    {"cycle", "local t = {} t.Self = t return t", "A", NULL,
     "params.Self.Self.Self.Self.Self.Self.Self.Self.Self.Self.Self.Self.Self.Self.Self.Self.Self: "
     "tables nested deeper than 16"},
    {"top-level list", "return { 'a', 'b' }", "A", NULL,
     "params: table of names expected, got a list"},
    {"params not a table", "return 'x'", "A", NULL, "params: table expected, got string"},
    {"Action in params", "return { Action = 'Evil' }", "A", NULL,
     "params.Action: 'Action' is set by the call, not a parameter"},
    {"Version in params", "return { Version = '1' }", "A", NULL,
     "params.Version: 'Version' is set by the call, not a parameter"},
    {"duplicate name", "return { ['A.1'] = 'x', A = { 'y' } }", "A", NULL, ""},
    {"boolean key", "return { [true] = 'x' }", "A", NULL,
     "params: keys must be names or list indices 1..n, got boolean key"},
    {"zero key", "return { L = { [0] = 'x' } }", "A", NULL,
     "params.L: keys must be names or list indices 1..n, got non-positive integer key"},
    {"float key", "return { L = { [1.5] = 'x' } }", "A", NULL,
     "params.L: keys must be names or list indices 1..n, got number key"},
    {"empty name", "return { [''] = 'x' }", "A", NULL, "params: empty parameter name"},
};

static void test_body_case(void **state)
{
    const struct body_case *c = *state;
    lua_State *L = new_state();
    lua_pushcfunction(L, call_push_body);
    lua_pushstring(L, c->action);
    if (luaL_loadstring(L, c->lua) != LUA_OK || lua_pcall(L, 0, 2, 0) != LUA_OK)
        fail_msg("%s: %s", c->name, lua_tostring(L, -1));
    lua_insert(L, -2); /* the version before the params */
    int status = lua_pcall(L, 3, 1, 0);
    const char *result = lua_tostring(L, -1);
    if (c->expected != NULL) {
        if (status != LUA_OK)
            fail_msg("%s: unexpected error: %s", c->name, result);
        assert_string_equal(result, c->expected);
    } else {
        if (status == LUA_OK)
            fail_msg("%s: expected an error, got %s", c->name, result);
        if (c->error != NULL && c->error[0] != '\0')
            assert_string_equal(result, c->error);
        else if (strcmp(c->name, "NaN") == 0)
            assert_non_null(strstr(result, "params.A: number has no integer representation"));
        else /* duplicate name: the path depends on traversal order; the name does not */
            assert_non_null(strstr(result, ": parameter name 'A.1' given twice"));
    }
    lua_close(L);
}

/* ---- kumo_query_add_encoded ------------------------------------------------ */

static int encode_all_bytes(lua_State *L)
{
    char bytes[256 * 5];
    for (int i = 0; i < 256 * 5; i++)
        bytes[i] = (char)(i % 256);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    kumo_query_add_encoded(&b, bytes, sizeof bytes); /* longer than one internal chunk */
    luaL_pushresult(&b);
    return 1;
}

static void test_add_encoded_every_byte(void **state)
{
    (void)state;
    lua_State *L = new_state();
    lua_pushcfunction(L, encode_all_bytes);
    assert_int_equal(lua_pcall(L, 0, 1, 0), LUA_OK);
    const char *out = lua_tostring(L, -1);
    const char *p = out;
    for (int i = 0; i < 256 * 5; i++) {
        int c = i % 256;
        int unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                         (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
        if (unreserved) {
            assert_int_equal((unsigned char)*p, c);
            p++;
        } else if (c == ' ') {
            assert_int_equal(*p, '+');
            p++;
        } else {
            char expect[4];
            snprintf(expect, sizeof expect, "%%%02X", c);
            assert_memory_equal(p, expect, 3);
            p += 3;
        }
    }
    assert_int_equal(*p, '\0');
    lua_close(L);
}

/* ---- main -------------------------------------------------------------------- */

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
    size_t ncases = sizeof body_cases / sizeof body_cases[0];
    char *paths[256];
    char *names[256];
    size_t nfiles = 0;
    DIR *dir = opendir(WIRE_DIR);
    if (dir == NULL) {
        fprintf(stderr, "cannot open %s\n", WIRE_DIR);
        return 1;
    }
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL && nfiles < 256) {
        if (!ends_with(entry->d_name, ".request.body"))
            continue;
        paths[nfiles++] = strdup(entry->d_name);
    }
    closedir(dir);
    qsort(paths, nfiles, sizeof *paths, compare_strings);
    if (nfiles < 30) {
        fprintf(stderr, "expected the 30+ captured request bodies in %s, found %zu\n", WIRE_DIR,
                nfiles);
        return 1;
    }

    size_t total = nfiles + ncases + 1;
    struct CMUnitTest *tests = calloc(total, sizeof *tests);
    size_t t = 0;
    for (size_t i = 0; i < nfiles; i++) {
        size_t n = strlen(paths[i]) - strlen(".request.body");
        names[i] = malloc(n + 16);
        snprintf(names[i], n + 16, "capture %.*s", (int)n, paths[i]);
        char *full = malloc(strlen(WIRE_DIR) + strlen(paths[i]) + 2);
        sprintf(full, "%s/%s", WIRE_DIR, paths[i]);
        free(paths[i]);
        paths[i] = full;
        tests[t].name = names[i];
        tests[t].test_func = test_capture;
        tests[t].initial_state = paths[i];
        t++;
    }
    for (size_t i = 0; i < ncases; i++) {
        tests[t].name = body_cases[i].name;
        tests[t].test_func = test_body_case;
        tests[t].initial_state = (void *)&body_cases[i];
        t++;
    }
    tests[t].name = "add_encoded every byte";
    tests[t].test_func = test_add_encoded_every_byte;
    t++;

    int failed = _cmocka_run_group_tests("query", tests, t, NULL, NULL);
    for (size_t i = 0; i < nfiles; i++) {
        free(paths[i]);
        free(names[i]);
    }
    free(tests);
    return failed;
}
