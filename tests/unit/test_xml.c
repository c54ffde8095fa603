/*
 * test_xml.c - unit tests for runtime/aws/xml.c (EC2 responses into Lua
 * tables, AWS error documents, refusal of DOCTYPEs and malformed input).
 *
 * Every captured response (testdata/ec2-wire/raw/<label>.response.body, read at
 * run time; the HTTP status from the first line of the matching
 * .response.xml) is one cmocka test, checked against the expectations table
 * below: success documents decode to the expected tables (checked by a Lua
 * snippet), error documents give their code, message and request id. A
 * capture without an expectation fails the run.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "aws/xml.h"

#define WIRE_DIR KUMO_TESTDATA_DIR "/ec2-wire"

/* ---- helpers ------------------------------------------------------------ */

static char *read_file(const char *path, size_t *length)
{
    FILE *f = fopen(path, "rb");
    *length = 0;
    if (f == NULL)
        return NULL;
    size_t cap = 4096, n = 0, got;
    char *data = malloc(cap);
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

static const char lua_prelude[] =
    "function is_array(t)\n"
    "  return type(t) == 'table' and getmetatable(t) ~= nil\n"
    "     and getmetatable(t) == debug.getregistry()['kumo.array']\n"
    "end\n"
    "function is_empty_array(t) return is_array(t) and next(t) == nil end\n"
    "function count_keys(t) local n = 0 for _ in pairs(t) do n = n + 1 end return n end\n";

static lua_State *new_state(void)
{
    lua_State *L = luaL_newstate();
    assert_non_null(L);
    luaL_openlibs(L);
    assert_int_equal(luaL_dostring(L, lua_prelude), LUA_OK);
    return L;
}

/* lua_pcall'ed: (body) -> result table | nil, reason. */
static int call_push_response(lua_State *L)
{
    size_t length;
    const char *body = luaL_checklstring(L, 1, &length);
    char reason[256];
    int top = lua_gettop(L);
    if (kumo_xml_push_response(L, body, length, reason, sizeof reason) != 0) {
        if (lua_gettop(L) != top)
            return luaL_error(L, "pushed something on failure");
        lua_pushnil(L);
        lua_pushstring(L, reason);
        return 2;
    }
    if (lua_gettop(L) != top + 1)
        return luaL_error(L, "stack not balanced");
    return 1;
}

/* Decodes `body`; on success runs the Lua `check` with the result as `...`.
 * Returns the reason on failure (static storage), NULL on success. */
static const char *decode_and_check(const char *body, size_t length, const char *check)
{
    static char reason[256];
    lua_State *L = new_state();
    lua_pushcfunction(L, call_push_response);
    lua_pushlstring(L, body, length);
    if (lua_pcall(L, 1, 2, 0) != LUA_OK)
        fail_msg("raised: %s", lua_tostring(L, -1));
    if (lua_isnil(L, -2)) {
        snprintf(reason, sizeof reason, "%s", lua_tostring(L, -1));
        lua_close(L);
        return reason;
    }
    lua_pop(L, 1);
    if (check != NULL) {
        if (luaL_loadstring(L, check) != LUA_OK)
            fail_msg("check does not compile: %s", lua_tostring(L, -1));
        lua_insert(L, -2);
        if (lua_pcall(L, 1, 0, 0) != LUA_OK)
            fail_msg("check failed: %s", lua_tostring(L, -1));
    }
    lua_close(L);
    return NULL;
}

static void check_decodes(const char *body, const char *check)
{
    const char *reason = decode_and_check(body, strlen(body), check);
    if (reason != NULL)
        fail_msg("refused: %s\n%s", reason, body);
}

static void check_refused(const char *body, size_t length, const char *reason_part)
{
    const char *reason = decode_and_check(body, length, NULL);
    if (reason == NULL)
        fail_msg("accepted: %s", body);
    if (reason_part != NULL && strstr(reason, reason_part) == NULL)
        fail_msg("reason '%s' lacks '%s'", reason, reason_part);
    struct kumo_xml_error error;
    assert_int_equal(kumo_xml_parse_error(body, length, &error), 0);
}

/* ---- one test per captured response ------------------------------------- */

struct capture_expect {
    const char *label; /* the capture's number, up to the first '-' */
    int status;
    const char *code; /* error documents: the AWS code */
    const char *message;
    const char *request_id;
    const char *check; /* success documents: Lua run with the result as ... */
};

#define DRY_RUN_MESSAGE "Request would have succeeded, but DryRun flag is set."
#define ONLY_REQUEST_ID "local r = ... assert(count_keys(r) == 1 and r.requestId == 'request-id')"

static const struct capture_expect expectations[] = {
    {"00", 200, NULL, NULL, NULL,
     "local r = ... local v = r.vpc\n"
     "assert(v.vpcId == 'vpc-2798c5db073066abe' and v.isDefault == 'false')\n"
     "assert(is_empty_array(v.ipv6CidrBlockAssociationSet))\n"
     "assert(is_array(v.cidrBlockAssociationSet) and #v.cidrBlockAssociationSet == 1)\n"
     "assert(v.cidrBlockAssociationSet[1].cidrBlockState.state == 'associated')\n"
     "assert(#v.tagSet == 1 and v.tagSet[1].key == 'Name' and v.tagSet[1].value == 'other-vpc')\n"
     "assert(r.requestId == 'request-id' and getmetatable(r) == nil)"},
    {"01", 200, NULL, NULL, NULL,
     "local r = ... assert(is_array(r.vpcSet) and #r.vpcSet == 1)\n"
     "local v = r.vpcSet[1]\n"
     "assert(v.vpcId == 'vpc-b2658024831d86f3f' and v.cidrBlock == '10.0.0.0/16')\n"
     "assert(v.tagSet[1].value == 'zenn-clone-vpc' and v.state == 'available')\n"
     "assert(r.requestId == 'request-id')"},
    {"02", 200, NULL, NULL, NULL,
     "local r = ... assert(r.groupId == 'sg-3600348f823ce7160')\n"
     "assert(r.securityGroupArn == "
     "'arn:aws:ec2:us-east-1:123456789012:security-group/sg-3600348f823ce7160')\n"
     "assert(count_keys(r) == 3 and r.requestId == 'request-id')"},
    {"03", 200, NULL, NULL, NULL,
     "local r = ... assert(r['return'] == 'true')\n"
     "local s = r.securityGroupRuleSet assert(is_array(s) and #s == 2)\n"
     "assert(s[1].cidrIpv4 == '0.0.0.0/0' and s[2].cidrIpv6 == '::/0')\n"
     "assert(s[1].fromPort == '80' and s[1].toPort == '80' and s[1].isEgress == 'false')\n"
     "assert(s[1].description == 'HTTP from anywhere (IPv4)')\n"
     "assert(s[2].securityGroupRuleId == 'sgr-f15c02e2286cf0f0e')\n"
     "assert(s[1].tagSet[1].key == 'Project' and s[1].tagSet[1].value == 'zenn-clone')"},
    {"04", 200, NULL, NULL, NULL, "local r = ... assert(r.groupId == 'sg-7f23fb8dc675ae1ef')"},
    {"05", 200, NULL, NULL, NULL,
     "local r = ... local s = r.securityGroupRuleSet assert(#s == 1)\n"
     "assert(s[1].referencedGroupInfo.groupId == 'sg-3600348f823ce7160')\n"
     "assert(s[1].referencedGroupInfo.userId == '123456789012')\n"
     "assert(is_empty_array(s[1].tagSet) and s[1].cidrIpv4 == nil)"},
    {"06", 200, NULL, NULL, NULL,
     "local r = ... local s = r.securityGroupRuleSet assert(#s == 2)\n"
     "assert(s[1].cidrIpv4 == '10.0.0.0/16' and s[2].prefixListId == 'pl-63a5400a')\n"
     "assert(s[2].isEgress == 'true' and s[2].fromPort == '443')"},
    {"07", 200, NULL, NULL, NULL,
     "local r = ... local g = r.securityGroupInfo\n"
     "assert(is_array(g) and #g == 2 and r.requestId == 'request-id')\n"
     "local ecs, rds = g[1], g[2]\n"
     "assert(ecs.groupId == 'sg-3600348f823ce7160')\n"
     "assert(ecs.groupName == 'zenn-clone-ecs-backend-security-group')\n"
     "assert(ecs.groupDescription == 'ECS backend: HTTP from anywhere')\n"
     "assert(is_array(ecs.ipPermissions) and #ecs.ipPermissions == 1)\n"
     "local p = ecs.ipPermissions[1]\n"
     "assert(p.ipProtocol == 'tcp' and p.fromPort == '80' and p.toPort == '80')\n"
     "assert(is_empty_array(p.groups) and is_empty_array(p.prefixListIds))\n"
     "assert(#p.ipRanges == 1 and p.ipRanges[1].cidrIp == '0.0.0.0/0')\n"
     "assert(p.ipRanges[1].description == 'HTTP from anywhere (IPv4)')\n"
     "assert(#p.ipv6Ranges == 1 and p.ipv6Ranges[1].cidrIpv6 == '::/0')\n"
     "local e = ecs.ipPermissionsEgress assert(is_array(e) and #e == 1)\n"
     "assert(e[1].ipProtocol == '-1' and e[1].fromPort == nil and e[1].toPort == nil)\n"
     "assert(is_empty_array(e[1].ipv6Ranges) and e[1].ipRanges[1].cidrIp == '0.0.0.0/0')\n"
     "assert(#ecs.tagSet == 2 and ecs.tagSet[2].key == 'Project')\n"
     "assert(rds.groupId == 'sg-7f23fb8dc675ae1ef' and is_empty_array(rds.tagSet))\n"
     "local q = rds.ipPermissions[1]\n"
     "assert(q.fromPort == '3306' and is_empty_array(q.ipRanges) and #q.groups == 1)\n"
     "assert(q.groups[1].groupId == 'sg-3600348f823ce7160')\n"
     "assert(q.groups[1].userId == '123456789012')\n"
     "assert(q.groups[1].description == 'MySQL from ECS backend')\n"
     "assert(#rds.ipPermissionsEgress == 2)\n"
     "assert(rds.ipPermissionsEgress[2].prefixListIds[1].prefixListId == 'pl-63a5400a')"},
    {"07b", 200, NULL, NULL, NULL,
     "local r = ... local g = r.securityGroupInfo assert(#g == 2)\n"
     "assert(g[1].groupName == 'zenn-clone-ecs-backend-security-group')\n"
     "assert(g[2].groupName == 'zenn-clone-rds-security-group')"},
    {"08", 200, NULL, NULL, NULL,
     "local r = ... local s = r.securityGroupRuleSet assert(#s == 4)\n"
     "assert(s[1].ipProtocol == '-1' and s[1].fromPort == '-1' and s[1].toPort == '-1')\n"
     "assert(s[4].referencedGroupInfo.groupId == 'sg-3600348f823ce7160')"},
    {"09", 200, NULL, NULL, NULL, ONLY_REQUEST_ID},
    {"10", 200, NULL, NULL, NULL,
     "local r = ... assert(r['return'] == 'true' and r.requestId == 'request-id')"},
    {"10b", 200, NULL, NULL, NULL, "local r = ... assert(r['return'] == 'true')"},
    {"11", 200, NULL, NULL, NULL,
     "local r = ... local g = r.securityGroupInfo assert(#g == 9 and r.nextToken == nil)\n"
     "assert(g[1].groupName == 'default' and is_empty_array(g[1].ipPermissions))\n"
     "assert(g[9].groupName == 'filler-6')"},
    {"11b", 200, NULL, NULL, NULL,
     "local r = ... assert(#r.securityGroupRuleSet == 2 and r.nextToken == nil)"},
    {"20", 412, "DryRunOperation", DRY_RUN_MESSAGE, "request-id", NULL},
    {"21", 400, "InvalidGroup.Duplicate",
     "The security group 'zenn-clone-rds-security-group' already exists", "request-id", NULL},
    {"22", 400, "InvalidPermission.Duplicate", "The specified rule already exists", "request-id",
     NULL},
    {"22a", 200, NULL, NULL, NULL,
     "local r = ... local s = r.securityGroupRuleSet\n"
     "assert(#s == 1 and s[1].securityGroupRuleId == 'sgr-ae01613180a078113')"},
    {"22b", 400, "InvalidPermission.Duplicate", "The specified rule already exists", "request-id",
     NULL},
    {"23", 400, "InvalidGroup.NotFound",
     "The security group '{'sg-0123456789abcdef0'}' does not exist", "request-id", NULL},
    {"24", 400, "InvalidGroup.NotFound", "The security group 'sg-0123456789abcdef0' does not exist",
     "request-id", NULL},
    {"25", 400, "InvalidPermission.NotFound",
     "The specified rule does not exist in this security group", "request-id", NULL},
    {"26", 400, "InvalidParameterValue",
     "invalid CIDR subnet specification: {'CidrIp': '0.0.0.0/99'}", "request-id", NULL},
    {"27", 412, "DryRunOperation", DRY_RUN_MESSAGE, "request-id", NULL},
    {"28", 412, "DryRunOperation", DRY_RUN_MESSAGE, "request-id", NULL},
    {"29", 400, "RulesPerSecurityGroupLimitExceeded",
     "The maximum number of rules per security group has been reached.", "request-id", NULL},
    {"30", 200, NULL, NULL, NULL, ONLY_REQUEST_ID},
    {"31", 200, NULL, NULL, NULL, ONLY_REQUEST_ID},
    {"32", 400, "DependencyViolation",
     "The vpc 'vpc-9a16a93c30add127e' has dependencies and cannot be deleted.", "request-id", NULL},
    {"33", 200, NULL, NULL, NULL, ONLY_REQUEST_ID},
    {"34", 500, NULL, NULL, NULL, NULL}, /* HTML: not an error document */
    {"40", 503, "RequestLimitExceeded", "Request limit exceeded.", "00000000-test-throttle", NULL},
    {"50", 401, "AuthFailure", "AWS was not able to validate the provided access credentials", "",
     NULL},
    {"51", 401, "AuthFailure", "AWS was not able to validate the provided access credentials", "",
     NULL},
    {"52", 403, "AccessDenied",
     "User: arn:aws:iam::123456789012:user/runner is not authorized to perform: "
     "ec2:DescribeSecurityGroups",
     "", NULL},
};

struct capture {
    char label[128];     /* file name without .response.body */
    char body_path[512]; /* raw/<label>.response.body */
    char xml_path[512];  /* <label>.response.xml */
    const struct capture_expect *expect;
};

static void test_capture(void **state)
{
    const struct capture *c = *state;
    const struct capture_expect *x = c->expect;
    if (x == NULL)
        fail_msg("%s: no expectation in test_xml.c for this capture", c->label);

    size_t length, xml_length;
    char *body = read_file(c->body_path, &length);
    char *xml = read_file(c->xml_path, &xml_length);
    assert_non_null(body);
    assert_non_null(xml);
    int status = 0;
    assert_int_equal(sscanf(xml, "<!-- HTTP %d", &status), 1);
    assert_int_equal(status, x->status);
    /* The .response.xml is the status comment, then the same body. */
    const char *rest = strchr(xml, '\n') + 1;
    assert_memory_equal(rest, body, length);

    struct kumo_xml_error error;
    int is_error = kumo_xml_parse_error(body, length, &error);
    if (x->code != NULL) {
        assert_int_equal(is_error, 1);
        assert_string_equal(error.code, x->code);
        assert_string_equal(error.message, x->message);
        assert_string_equal(error.request_id, x->request_id);
        /* The same document also decodes as plain tables. */
        char check[256];
        snprintf(check, sizeof check,
                 "local r = ... assert(r.Errors.Error.Code == '%s', r.Errors.Error.Code)", x->code);
        const char *reason = decode_and_check(body, length, check);
        if (reason != NULL)
            fail_msg("%s: refused: %s", c->label, reason);
    } else if (x->status == 200) {
        assert_int_equal(is_error, 0);
        const char *reason = decode_and_check(body, length, x->check);
        if (reason != NULL)
            fail_msg("%s: refused: %s", c->label, reason);
        reason =
            decode_and_check(body, length, "local r = ... assert(r.requestId == 'request-id')");
        assert_null(reason);
    } else {
        /* Not XML at all (moto's HTML 500 page): no error document, refused. */
        assert_int_equal(is_error, 0);
        assert_string_equal(error.code, "");
        const char *reason = decode_and_check(body, length, NULL);
        assert_non_null(reason);
    }
    free(body);
    free(xml);
}

/* ---- refusals -------------------------------------------------------------- */

static const char billion_laughs[] =
    "<?xml version=\"1.0\"?>\n"
    "<!DOCTYPE lolz [\n"
    " <!ENTITY lol \"lol\">\n"
    " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
    " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
    " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
    " <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
    " <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
    " <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
    " <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
    " <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
    " <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
    "]>\n"
    "<Response><Errors><Error><Code>&lol9;</Code></Error></Errors></Response>\n";

static void test_billion_laughs_refused(void **state)
{
    (void)state;
    check_refused(billion_laughs, strlen(billion_laughs), "DOCTYPE");
}

static void test_external_entity_refused(void **state)
{
    (void)state;
    static const char xxe[] = "<?xml version=\"1.0\"?>"
                              "<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
                              "<r><a>&x;</a></r>";
    check_refused(xxe, strlen(xxe), "DOCTYPE");
    static const char external_dtd[] =
        "<!DOCTYPE r SYSTEM \"http://127.0.0.1:9/evil.dtd\"><r><a>1</a></r>";
    check_refused(external_dtd, strlen(external_dtd), "DOCTYPE");
}

static void test_doctype_after_prolog_refused(void **state)
{
    (void)state;
    static const char *const docs[] = {
        "\xEF\xBB\xBF<?xml version=\"1.0\"?><!-- c --><?pi x?>\n<!DOCTYPE r><r/>",
        "<!doctype html><html><body>500</body></html>",
        "   <!DOCTYPE r []><r><a>1</a></r>",
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++)
        check_refused(docs[i], strlen(docs[i]), "DOCTYPE");
}

/* A UTF-16 document: the byte scan cannot see its DOCTYPE; the parser hook
 * must stop it. */
static void test_utf16_doctype_refused(void **state)
{
    (void)state;
    static const char ascii[] = "<?xml version=\"1.0\" encoding=\"UTF-16\"?>"
                                "<!DOCTYPE r [<!ENTITY a \"aaaaaaaaaa\">]><r><b>&a;</b></r>";
    size_t n = strlen(ascii);
    char *utf16 = malloc(2 + 2 * n);
    utf16[0] = (char)0xFF;
    utf16[1] = (char)0xFE;
    for (size_t i = 0; i < n; i++) {
        utf16[2 + 2 * i] = ascii[i];
        utf16[3 + 2 * i] = 0;
    }
    check_refused(utf16, 2 + 2 * n, "DOCTYPE");
    /* The same document without the DOCTYPE decodes: the refusal was the DOCTYPE. */
    static const char plain[] = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><r><b>x</b></r>";
    n = strlen(plain);
    for (size_t i = 0; i < n; i++) {
        utf16[2 + 2 * i] = plain[i];
        utf16[3 + 2 * i] = 0;
    }
    const char *reason = decode_and_check(utf16, 2 + 2 * n, "local r = ... assert(r.b == 'x')");
    assert_null(reason);
    free(utf16);
}

static void test_malformed_refused(void **state)
{
    (void)state;
    static const char *const docs[] = {
        "<a><b></a>",     "<Response><Errors>", "not xml at all",          "<a>&undefined;</a>",
        "<a></a><b></b>", "<a x='1' x='2'/>",   "<?xml version=\"1.0\"?>", "Internal Server Error",
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++)
        check_refused(docs[i], strlen(docs[i]), "not well-formed XML");
    check_refused("", 0, "empty document");
    check_refused("<a>1</a>", 0, "empty document");
}

/* libxml2 must not write to stderr (the command's stderr is for kumo). */
static void test_errors_stay_quiet(void **state)
{
    (void)state;
    fflush(stderr);
    FILE *capture = tmpfile();
    assert_non_null(capture);
    int saved = dup(2);
    assert_true(saved >= 0);
    assert_true(dup2(fileno(capture), 2) >= 0);
    char reason[128];
    lua_State *L = new_state();
    int r1 = kumo_xml_push_response(L, "<a><b></a>", 10, reason, sizeof reason);
    int r2 = kumo_xml_push_response(L, "<a>&nope;</a>", 13, reason, sizeof reason);
    int r3 =
        kumo_xml_push_response(L, billion_laughs, strlen(billion_laughs), reason, sizeof reason);
    struct kumo_xml_error error;
    int r4 = kumo_xml_parse_error("<x><y></x>", 10, &error);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    lua_close(L);
    assert_int_equal(r1, -1);
    assert_int_equal(r2, -1);
    assert_int_equal(r3, -1);
    assert_int_equal(r4, 0);
    fseek(capture, 0, SEEK_END);
    long written = ftell(capture);
    fclose(capture);
    assert_int_equal(written, 0);
}

static void test_reason_names_the_problem(void **state)
{
    (void)state;
    char reason[200];
    lua_State *L = new_state();
    int top = lua_gettop(L);
    assert_int_equal(kumo_xml_push_response(L, "<a>\n<b></a>", 11, reason, sizeof reason), -1);
    assert_int_equal(lua_gettop(L), top);
    assert_non_null(strstr(reason, "not well-formed XML (line 2)"));
    assert_null(strchr(reason, '\n'));
    /* A tiny buffer is cut, still terminated. */
    char tiny[8];
    assert_int_equal(kumo_xml_push_response(L, "<a>", 3, tiny, sizeof tiny), -1);
    assert_int_equal(strlen(tiny), 7);
    lua_close(L);
}

/* ---- decoding rules -------------------------------------------------------- */

static void test_decoding_rules(void **state)
{
    (void)state;
    /* whitespace between elements is layout; a leaf keeps its text */
    check_decodes("<?xml version=\"1.0\"?>\n<R xmlns=\"urn:x\">\n  <a>  </a>\n  <b/>\n"
                  "  <c>\n    <d>1</d>\n  </c>\n</R>\n",
                  "local r = ... assert(r.a == '  ' and r.b == '' and r.c.d == '1')\n"
                  "assert(count_keys(r) == 3 and count_keys(r.c) == 1)");
    /* entities, character references, CDATA, comments, attributes */
    check_decodes("<R><a>x &amp; y &#233; &lt;&gt;&quot;&apos;</a><b><![CDATA[<raw>&]]></b>"
                  "<c>1<!-- no -->2</c><d attr='ignored'>v</d><?pi ignored?></R>",
                  "local r = ... assert(r.a == 'x & y \\u{E9} <>\"\\'', r.a)\n"
                  "assert(r.b == '<raw>&' and r.c == '12' and r.d == 'v')");
    /* namespaces are ignored: elements matched by local name */
    check_decodes("<e:R xmlns:e=\"urn:e\" xmlns=\"urn:d\"><e:groupId>sg-1</e:groupId>"
                  "<requestId>x</requestId></e:R>",
                  "local r = ... assert(r.groupId == 'sg-1' and r.requestId == 'x')");
    /* <item> lists, of leaves and of tables; a repeated name keeps the last */
    check_decodes("<R><groupSet><item>a</item><item>b</item></groupSet>"
                  "<rules><item><id>1</id></item><item><id>2</id><id>3</id></item></rules>"
                  "<n>1</n><n>2</n></R>",
                  "local r = ... assert(is_array(r.groupSet) and #r.groupSet == 2)\n"
                  "assert(r.groupSet[1] == 'a' and r.groupSet[2] == 'b')\n"
                  "assert(is_array(r.rules) and r.rules[1].id == '1' and r.rules[2].id == '3')\n"
                  "assert(r.n == '2')");
    /* <item> mixed with other names: a table, not an array */
    check_decodes("<R><s><item>1</item><other>2</other></s></R>",
                  "local r = ... assert(not is_array(r.s) and r.s.item == '1' and r.s.other == "
                  "'2')");
    /* empty list containers: *Set and the known EC2 list names */
    check_decodes("<R><fooSet/><tagSet>\n  </tagSet><ipPermissions></ipPermissions><groups/>"
                  "<ipRanges/><ipv6Ranges/><prefixListIds/><securityGroupInfo/>"
                  "<userIdGroupPairs/><ipPermissionsEgress/><plain/><Set/><settings/></R>",
                  "local r = ... for _, k in ipairs{'fooSet', 'tagSet', 'ipPermissions', "
                  "'groups', 'ipRanges', 'ipv6Ranges', 'prefixListIds', 'securityGroupInfo', "
                  "'userIdGroupPairs', 'ipPermissionsEgress'} do\n"
                  "  assert(is_empty_array(r[k]), k) end\n"
                  "assert(r.plain == '' and r.Set == '' and r.settings == '')");
    /* a list name with text is text */
    check_decodes("<R><groups>g</groups></R>", "local r = ... assert(r.groups == 'g')");
    /* the root: always a table */
    check_decodes("<R>text</R>", "local r = ... assert(type(r) == 'table' and next(r) == nil)");
    check_decodes("<R/>", "local r = ... assert(type(r) == 'table' and next(r) == nil)");
    check_decodes("<R><item>1</item><item>2</item></R>",
                  "local r = ... assert(is_array(r) and #r == 2 and r[2] == '2')");
    /* UTF-8 text passes through */
    check_decodes("<R><d>\xE6\x97\xA5\xE6\x9C\xAC</d></R>",
                  "local r = ... assert(r.d == '\\u{65E5}\\u{672C}')");
    /* deep but legal nesting */
    char deep[4096] = "";
    for (int i = 0; i < 200; i++)
        strcat(deep, "<a>");
    strcat(deep, "x");
    for (int i = 0; i < 200; i++)
        strcat(deep, "</a>");
    check_decodes(deep, "local r = ... local n = 0 while type(r) == 'table' do r = r.a n = n + 1 "
                        "end assert(r == 'x' and n == 199, n)");
}

static void test_array_metatable(void **state)
{
    (void)state;
    lua_State *L = luaL_newstate();
    kumo_xml_register_array_metatable(L);
    luaL_getmetatable(L, "kumo.array");
    assert_true(lua_istable(L, -1));
    const void *first = lua_topointer(L, -1);
    lua_getfield(L, -1, "__name");
    assert_string_equal(lua_tostring(L, -1), "kumo.array");
    lua_pop(L, 2);
    kumo_xml_register_array_metatable(L); /* idempotent */
    luaL_getmetatable(L, "kumo.array");
    assert_ptr_equal(lua_topointer(L, -1), first);
    lua_pop(L, 1);
    assert_int_equal(lua_gettop(L), 0);
    lua_close(L);
}

/* ---- memory errors ------------------------------------------------------------ */

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

static int push_body_protected(lua_State *L)
{
    size_t length;
    const char *body = lua_touserdata(L, 1);
    length = (size_t)lua_tointeger(L, 2);
    char reason[128];
    if (kumo_xml_push_response(L, body, length, reason, sizeof reason) != 0)
        return luaL_error(L, "refused: %s", reason);
    return 1;
}

/* Runs the decoder with less and less memory: every attempt either succeeds
 * or raises a memory error, and (under ASan) leaks nothing. */
static void test_memory_errors_free_the_document(void **state)
{
    (void)state;
    size_t length;
    char *body = read_file(WIRE_DIR "/raw/07-DescribeSecurityGroups.response.body", &length);
    assert_non_null(body);
    int failures = 0, successes = 0;
    for (size_t extra = 0; extra < 64 * 1024 && successes == 0; extra += 512) {
        struct limited l = {0, (size_t)-1};
        lua_State *L = lua_newstate(limited_alloc, &l);
        assert_non_null(L);
        l.limit = l.used + 2048 + extra;
        lua_pushcfunction(L, push_body_protected);
        lua_pushlightuserdata(L, body);
        lua_pushinteger(L, (lua_Integer)length);
        int status = lua_pcall(L, 2, 1, 0);
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
    free(body);
}

/* ---- kumo_xml_parse_error ---------------------------------------------------- */

static void test_parse_error_shapes(void **state)
{
    (void)state;
    struct kumo_xml_error e;
    /* present but empty elements: still an error document */
    static const char empty[] = "<Response><Errors><Error><Code/><Message/></Error></Errors>"
                                "<RequestID/></Response>";
    assert_int_equal(kumo_xml_parse_error(empty, strlen(empty), &e), 1);
    assert_string_equal(e.code, "");
    assert_string_equal(e.message, "");
    assert_string_equal(e.request_id, "");
    /* STS/IAM: <ErrorResponse><Error> and <RequestId> */
    static const char sts[] =
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
        "<Error><Type>Sender</Type><Code>InvalidClientTokenId</Code>"
        "<Message>The security token included in the request is invalid.</Message></Error>"
        "<RequestId>4fb8-abc</RequestId></ErrorResponse>";
    assert_int_equal(kumo_xml_parse_error(sts, strlen(sts), &e), 1);
    assert_string_equal(e.code, "InvalidClientTokenId");
    assert_string_equal(e.message, "The security token included in the request is invalid.");
    assert_string_equal(e.request_id, "4fb8-abc");
    /* whitespace around values is trimmed; entities decoded */
    static const char spaced[] = "<Response>\n <Errors>\n  <Error>\n   <Code>\n    Throttling\n"
                                 "   </Code>\n   <Message> a &amp; b </Message>\n  </Error>\n"
                                 " </Errors>\n <RequestID> id-1 </RequestID>\n</Response>\n";
    assert_int_equal(kumo_xml_parse_error(spaced, strlen(spaced), &e), 1);
    assert_string_equal(e.code, "Throttling");
    assert_string_equal(e.message, "a & b");
    assert_string_equal(e.request_id, "id-1");
    /* not error documents */
    static const char *const others[] = {
        "<Response><Errors/></Response>",
        "<Response><Errors><Error><Message>m</Message></Error></Errors></Response>",
        "<DescribeVpcsResponse><requestId>r</requestId></DescribeVpcsResponse>",
        "<Other><Errors><Error><Code>X</Code></Error></Errors></Other>",
        "<!DOCTYPE Response><Response><Errors><Error><Code>X</Code></Error></Errors></Response>",
        "Internal Server Error",
        "<html><body>502 Bad Gateway</body></html>",
        "",
    };
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        assert_int_equal(kumo_xml_parse_error(others[i], strlen(others[i]), &e), 0);
        assert_string_equal(e.code, "");
    }
    assert_int_equal(kumo_xml_parse_error(NULL, 0, &e), 0);
}

/* Long values are cut to the field size, never in the middle of a UTF-8
 * character. */
static void test_parse_error_truncation(void **state)
{
    (void)state;
    struct kumo_xml_error e;
    for (int shift = 0; shift < 3; shift++) {
        char doc[8192];
        size_t n = (size_t)snprintf(doc, sizeof doc,
                                    "<Response><Errors><Error><Code>C</Code>"
                                    "<Message>");
        for (int i = 0; i < shift; i++)
            doc[n++] = 'x';
        for (int i = 0; i < 1000; i++) { /* U+20AC, 3 bytes */
            memcpy(doc + n, "\xE2\x82\xAC", 3);
            n += 3;
        }
        n += (size_t)snprintf(doc + n, sizeof doc - n,
                              "</Message></Error></Errors><RequestID>%0200d</RequestID>"
                              "</Response>",
                              7);
        assert_int_equal(kumo_xml_parse_error(doc, n, &e), 1);
        size_t len = strlen(e.message);
        assert_true(len < sizeof e.message && len > sizeof e.message - 5);
        assert_int_equal((len - (size_t)shift) % 3, 0); /* whole characters only */
        assert_int_equal(strlen(e.request_id), sizeof e.request_id - 1);
    }
}

/* ---- main -------------------------------------------------------------------- */

static int compare_captures(const void *a, const void *b)
{
    return strcmp(((const struct capture *)a)->label, ((const struct capture *)b)->label);
}

int main(void)
{
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_billion_laughs_refused),
        cmocka_unit_test(test_external_entity_refused),
        cmocka_unit_test(test_doctype_after_prolog_refused),
        cmocka_unit_test(test_utf16_doctype_refused),
        cmocka_unit_test(test_malformed_refused),
        cmocka_unit_test(test_errors_stay_quiet),
        cmocka_unit_test(test_reason_names_the_problem),
        cmocka_unit_test(test_decoding_rules),
        cmocka_unit_test(test_array_metatable),
        cmocka_unit_test(test_memory_errors_free_the_document),
        cmocka_unit_test(test_parse_error_shapes),
        cmocka_unit_test(test_parse_error_truncation),
    };
    size_t nfixed = sizeof fixed / sizeof fixed[0];
    static struct capture captures[128];
    size_t ncaptures = 0;
    DIR *dir = opendir(WIRE_DIR "/raw");
    if (dir == NULL) {
        fprintf(stderr, "cannot open %s/raw\n", WIRE_DIR);
        return 1;
    }
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL && ncaptures < 128) {
        const char *suffix = ".response.body";
        size_t n = strlen(entry->d_name), m = strlen(suffix);
        if (n <= m || strcmp(entry->d_name + n - m, suffix) != 0 || n - m >= 128)
            continue;
        struct capture *c = &captures[ncaptures++];
        char label[128];
        snprintf(label, sizeof label, "%.*s", (int)(n - m), entry->d_name);
        memcpy(c->label, label, sizeof label);
        snprintf(c->body_path, sizeof c->body_path, "%s/raw/%s", WIRE_DIR, entry->d_name);
        snprintf(c->xml_path, sizeof c->xml_path, "%s/%.127s.response.xml", WIRE_DIR, label);
        size_t key = strcspn(c->label, "-");
        for (size_t i = 0; i < sizeof expectations / sizeof expectations[0]; i++)
            if (strlen(expectations[i].label) == key &&
                strncmp(expectations[i].label, c->label, key) == 0)
                c->expect = &expectations[i];
    }
    closedir(dir);
    qsort(captures, ncaptures, sizeof captures[0], compare_captures);
    if (ncaptures < 30) {
        fprintf(stderr, "expected the 30+ captured responses in %s/raw, found %zu\n", WIRE_DIR,
                ncaptures);
        return 1;
    }

    struct CMUnitTest *tests = calloc(ncaptures + nfixed, sizeof *tests);
    static char names[128][160];
    for (size_t i = 0; i < ncaptures; i++) {
        snprintf(names[i], sizeof names[i], "capture %.127s", captures[i].label);
        tests[i].name = names[i];
        tests[i].test_func = test_capture;
        tests[i].initial_state = &captures[i];
    }
    memcpy(tests + ncaptures, fixed, sizeof fixed);
    int failed = _cmocka_run_group_tests("xml", tests, ncaptures + nfixed, NULL, NULL);
    free(tests);
    return failed;
}
