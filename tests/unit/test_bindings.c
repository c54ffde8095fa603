/*
 * test_bindings.c - the typed EC2 bindings (bindings/ec2_*.c) and kumo.net
 * over a scripted fake transport and a pinned clock:
 *   - the wire parameters each binding sends, compared as decoded form pairs
 *     (order-independent) with the captured AWS CLI request bodies in
 *     ${KUMO_TESTDATA_DIR}/ec2-wire/raw;
 *   - the captured responses decoded into the documented result shapes;
 *   - rules described by capture 07 have the identity of the declared ones;
 *   - every validation error, with its exact field path, and that nothing
 *     was sent;
 *   - pagination across pages.
 * The fake transport, the environment, the runtime and expect() come from
 * fake_transport.h.
 *
 * How bodies are compared: both bodies are decoded into "name=value" lines
 * and sorted. Two layout differences from the AWS CLI are normalised, not
 * ignored: (1) the bindings send each rule as its own IpPermissions.N while
 * the CLI groups sources with equal protocol and ports into one entry, so
 * every IpPermissions source entry becomes one line "IpPermission{protocol,
 * ports} List{fields}"; (2) tags are sent sorted by key, the CLI keeps the
 * order given, so Tag.N pairs become one "Tag{key=value}" line each.
 * Parameters one side sends and the other does not are listed per test.
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
#include <lualib.h>

#include "kumo.h"
#include "fake_transport.h"
#include "bindings/bindings.h"
#include "host/runtime_internal.h"

#define MAX_EXCHANGES FAKE_MAX_ANSWERS /* captured bodies a fixture can hold */
#define RAW "ec2-wire/raw/"

/* Makes `require "kumo.net"` work whether or not the runtime preloads it. */
static int preload_net(lua_State *L)
{
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
    if (lua_getfield(L, -1, "kumo.net") == LUA_TNIL) {
        lua_pushcfunction(L, luaopen_kumo_net);
        lua_setfield(L, -3, "kumo.net");
    }
    return 0;
}

static struct kumo_runtime *new_runtime(struct fake_transport *fake)
{
    clean_aws_environment();
    set_test_credentials(0);
    struct kumo_runtime *runtime = new_test_runtime(fake, NULL, "us-east-1");
    struct kumo_error *error = NULL;
    lua_pushcfunction(runtime->L, preload_net);
    assert_int_equal(lua_pcall(runtime->L, 0, 0, 0), LUA_OK);
    assert_int_equal(kumo_runtime_run_string(runtime, "=prelude", lua_expect_prelude, NULL, &error),
                     KUMO_OK);
    return runtime;
}

/* ---- comparing form bodies ---- */

static const char normalizer[] =
    "local body, drop = ...\n"
    "local function decode(s)\n"
    "  return (s:gsub('+', ' '):gsub('%%(%x%x)', function(h)\n"
    "    return string.char(tonumber(h, 16)) end))\n"
    "end\n"
    "local dropped = {}\n"
    "for name in (drop or ''):gmatch('[^,]+') do dropped[name] = true end\n"
    "local out, perms, tags = {}, {}, {}\n"
    "for pair in body:gmatch('[^&]+') do\n"
    "  local k, v = pair:match('^([^=]*)=?(.*)$')\n"
    "  k, v = decode(k), decode(v)\n"
    "  local n, rest = k:match('^IpPermissions%.(%d+)%.(.+)$')\n"
    "  local prefix, tn, tf = k:match('^(.-)Tag%.(%d+)%.(%a+)$')\n"
    "  if dropped[k] then\n"
    "  elseif n then\n"
    "    local p = perms[n] or { fields = {}, sources = {} }\n"
    "    perms[n] = p\n"
    "    local list, m, field = rest:match('^([%a%d]+)%.(%d+)%.(.+)$')\n"
    "    if list then\n"
    "      local s = p.sources[list .. m] or { list = list, fields = {} }\n"
    "      p.sources[list .. m] = s\n"
    "      s.fields[#s.fields + 1] = field .. '=' .. v\n"
    "    else\n"
    "      p.fields[#p.fields + 1] = rest .. '=' .. v\n"
    "    end\n"
    "  elseif prefix then\n"
    "    local t = tags[prefix .. tn] or { prefix = prefix }\n"
    "    tags[prefix .. tn] = t\n"
    "    t[tf] = v\n"
    "  else\n"
    "    out[#out + 1] = k .. '=' .. v\n"
    "  end\n"
    "end\n"
    "for _, p in pairs(perms) do\n"
    "  table.sort(p.fields)\n"
    "  for _, s in pairs(p.sources) do\n"
    "    table.sort(s.fields)\n"
    "    out[#out + 1] = 'IpPermission{' .. table.concat(p.fields, ',') .. '} ' .. s.list ..\n"
    "                    '{' .. table.concat(s.fields, ',') .. '}'\n"
    "  end\n"
    "end\n"
    "for _, t in pairs(tags) do\n"
    "  out[#out + 1] = t.prefix .. 'Tag{' .. tostring(t.Key) .. '=' .. tostring(t.Value) .. '}'\n"
    "end\n"
    "table.sort(out)\n"
    "return table.concat(out, '\\n')\n";

/* The normalised form of a form body (see the file comment), without the
 * parameters named in `drop` (comma-separated). Free with free(). */
static char *normalize(const char *body, const char *drop)
{
    lua_State *L = luaL_newstate();
    assert_non_null(L);
    luaL_openlibs(L);
    assert_int_equal(luaL_loadstring(L, normalizer), LUA_OK);
    lua_pushstring(L, body);
    lua_pushstring(L, drop ? drop : "");
    if (lua_pcall(L, 2, 1, 0) != LUA_OK)
        fail_msg("normalizer: %s", lua_tostring(L, -1));
    char *result = strdup(lua_tostring(L, -1));
    lua_close(L);
    assert_non_null(result);
    return result;
}

/* Asserts that `sent` equals the captured request `capture` plus the
 * pre-encoded pairs in `extra` ("MaxResults=1000", may be NULL), minus the
 * parameters named in `drop`. */
static void assert_same_wire(const char *sent, const char *capture, const char *extra,
                             const char *drop)
{
    char *captured = read_testdata(capture);
    size_t length = strlen(captured);
    while (length > 0 && (captured[length - 1] == '\n' || captured[length - 1] == '\r'))
        captured[--length] = '\0';
    char *expected_body = malloc(length + (extra ? strlen(extra) : 0) + 2);
    assert_non_null(expected_body);
    sprintf(expected_body, "%s%s%s", captured, extra ? "&" : "", extra ? extra : "");
    char *expected = normalize(expected_body, drop);
    char *actual = normalize(sent, NULL);
    if (strcmp(expected, actual) != 0)
        print_error("wire mismatch for %s\n--- sent:\n%s\n--- expected:\n%s\n", capture, actual,
                    expected);
    assert_string_equal(actual, expected);
    free(actual);
    free(expected);
    free(expected_body);
    free(captured);
}

/* A fixture: a runtime whose transport answers with captured bodies. */
struct fixture {
    struct fake_transport fake;
    struct kumo_runtime *runtime;
    char *bodies[MAX_EXCHANGES];
};

static struct fixture *fixture_new(const char *first, ...)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    va_list names;
    va_start(names, first);
    for (const char *name = first; name; name = va_arg(names, const char *)) {
        char path[256];
        snprintf(path, sizeof path, RAW "%s.response.body", name);
        size_t i = f->fake.answer_count++;
        f->bodies[i] = read_testdata(path);
        f->fake.answers[i].status = strstr(name, "DryRun") ? 412 : 200;
        f->fake.answers[i].body = f->bodies[i];
    }
    va_end(names);
    f->runtime = new_runtime(&f->fake);
    return f;
}

static void fixture_free(struct fixture *f)
{
    kumo_runtime_destroy(f->runtime);
    for (size_t i = 0; i < MAX_EXCHANGES; i++)
        free(f->bodies[i]);
    free(f);
}

/* ---- wire parameters and result shapes, per binding ---- */

static void test_create_security_group(void **state)
{
    (void)state;
    struct fixture *f = fixture_new("02-CreateSecurityGroup", NULL);
    run_ok(f->runtime,
           "local r = ec2.create_security_group{ name = 'zenn-clone-ecs-backend-security-group',\n"
           "  description = 'ECS backend: HTTP from anywhere', vpc_id = 'vpc-b2658024831d86f3f',\n"
           "  tags = { Project = 'zenn-clone', Name = 'zenn-clone-ecs-backend-security-group' } }\n"
           "expect(r, { group_id = 'sg-3600348f823ce7160', arn = 'arn:aws:ec2:us-east-1:"
           "123456789012:security-group/sg-3600348f823ce7160' }, 'result')\n");
    assert_int_equal(f->fake.calls, 1);
    assert_same_wire(f->fake.bodies[0], RAW "02-CreateSecurityGroup.request.body", NULL, NULL);
    /* tags sorted by key: Name before Project, as the capture happens to have them */
    assert_non_null(strstr(f->fake.bodies[0], "TagSpecification.1.Tag.1.Key=Name"));
    fixture_free(f);
}

static void test_create_security_group_dry_run(void **state)
{
    (void)state;
    struct fixture *f = fixture_new("20-err-DryRunOperation-CreateSecurityGroup", NULL);
    run_ok(f->runtime,
           "local ok, err = pcall(ec2.create_security_group, { name = 'web', description = 'web',\n"
           "  vpc_id = 'vpc-0abc', dry_run = true })\n"
           "expect(ok, false) expect(kumo.is_error(err), true) expect(err.code, "
           "'DryRunOperation')\n");
    assert_non_null(strstr(f->fake.bodies[0], "DryRun=true"));
    fixture_free(f);
}

static void test_authorize_ingress_cidrs(void **state)
{
    (void)state;
    struct fixture *f = fixture_new("03-AuthorizeSecurityGroupIngress-http", NULL);
    run_ok(f->runtime,
           "local r = ec2.authorize_ingress{ group_id = 'sg-3600348f823ce7160', rules = {\n"
           "  { protocol = 'tcp', port = 80, cidr = '0.0.0.0/0',\n"
           "    description = 'HTTP from anywhere (IPv4)' },\n"
           "  { protocol = 'tcp', port = 80, cidr = '::/0', description = 'HTTP from anywhere "
           "(IPv6)' } },\n"
           "  tags = { Project = 'zenn-clone' } }\n"
           "expect(r, { rules = {\n"
           "  { protocol = 'tcp', port = 80, cidr = '0.0.0.0/0', description = 'HTTP from "
           "anywhere (IPv4)',\n"
           "    rule_id = 'sgr-641ed46569f6955f4' },\n"
           "  { protocol = 'tcp', port = 80, cidr = '::/0', description = 'HTTP from anywhere "
           "(IPv6)',\n"
           "    rule_id = 'sgr-f15c02e2286cf0f0e' } } }, 'result')\n");
    assert_int_equal(f->fake.calls, 1);
    /* the same rules, the same rule tags as the CLI sent */
    assert_same_wire(f->fake.bodies[0], RAW "03-AuthorizeSecurityGroupIngress-http.request.body",
                     NULL, NULL);
    /* and the layout: one IpPermissions entry per rule, IPv6 to Ipv6Ranges */
    const char *body = f->fake.bodies[0];
    assert_non_null(strstr(body, "IpPermissions.1.IpRanges.1.CidrIp=0.0.0.0%2F0"));
    assert_non_null(strstr(body, "IpPermissions.2.Ipv6Ranges.1.CidrIpv6=%3A%3A%2F0"));
    assert_non_null(strstr(body, "IpPermissions.2.IpProtocol=tcp"));
    assert_non_null(strstr(body, "IpPermissions.2.FromPort=80"));
    assert_non_null(strstr(body, "TagSpecification.1.ResourceType=security-group-rule"));
    assert_null(strstr(body, "DryRun"));
    fixture_free(f);
}

static void test_authorize_ingress_source_group(void **state)
{
    (void)state;
    struct fixture *f = fixture_new("05-AuthorizeSecurityGroupIngress-sgref", NULL);
    run_ok(f->runtime,
           "local r = ec2.authorize_ingress{ group_id = 'sg-7f23fb8dc675ae1ef', rules = {\n"
           "  { protocol = 'tcp', from_port = 3306, to_port = 3306,\n"
           "    source_group = 'sg-3600348f823ce7160', description = 'MySQL from ECS backend' } "
           "} }\n"
           "expect(r, { rules = { { protocol = 'tcp', port = 3306,\n"
           "  source_group = 'sg-3600348f823ce7160', rule_id = 'sgr-5af4bf77b974326cf' } } })\n");
    assert_same_wire(f->fake.bodies[0], RAW "05-AuthorizeSecurityGroupIngress-sgref.request.body",
                     NULL, NULL);
    fixture_free(f);
}

static void test_authorize_ingress_other_account(void **state)
{
    (void)state;
    struct fixture *f = fixture_new("05-AuthorizeSecurityGroupIngress-sgref", NULL);
    run_ok(f->runtime, "ec2.authorize_ingress{ group_id = 'sg-7f23fb8dc675ae1ef', rules = {\n"
                       "  { protocol = 'udp', port = 53, source_group = { group_id = 'sg-0aa',\n"
                       "    owner_id = '210987654321' }, description = 'DNS' } } }\n");
    char *actual = normalize(f->fake.bodies[0], NULL);
    assert_string_equal(actual, "Action=AuthorizeSecurityGroupIngress\n"
                                "GroupId=sg-7f23fb8dc675ae1ef\n"
                                "IpPermission{FromPort=53,IpProtocol=udp,ToPort=53} "
                                "Groups{Description=DNS,GroupId=sg-0aa,UserId=210987654321}\n"
                                "Version=2016-11-15");
    free(actual);
    fixture_free(f);
}

static void test_authorize_egress_prefix_list(void **state)
{
    (void)state;
    struct fixture *f = fixture_new("06-AuthorizeSecurityGroupEgress", NULL);
    run_ok(f->runtime,
           "local r = ec2.authorize_egress{ group_id = 'sg-7f23fb8dc675ae1ef', rules = {\n"
           "  { protocol = 'tcp', port = 443, prefix_list = 'pl-63a5400a',\n"
           "    description = 'S3 gateway endpoint' },\n"
           "  { protocol = 'tcp', port = 443, cidr = '10.0.0.0/16' } } }\n"
           "expect(r, { rules = {\n"
           "  { protocol = 'tcp', port = 443, cidr = '10.0.0.0/16', rule_id = "
           "'sgr-736565ada82f0dfda' },\n"
           "  { protocol = 'tcp', port = 443, prefix_list = 'pl-63a5400a',\n"
           "    rule_id = 'sgr-80c4359e254ae4d52' } } })\n");
    assert_same_wire(f->fake.bodies[0], RAW "06-AuthorizeSecurityGroupEgress.request.body", NULL,
                     NULL);
    fixture_free(f);
}

static void test_authorize_protocols(void **state)
{
    (void)state;
    struct fixture *f = fixture_new("06-AuthorizeSecurityGroupEgress", NULL);
    run_ok(f->runtime, "ec2.authorize_egress{ group_id = 'sg-1', dry_run = true, rules = {\n"
                       "  { protocol = 'all', cidr = '10.0.0.18/8' },\n"
                       "  { protocol = 'icmp', cidr = '10.0.0.0/16' },\n"
                       "  { protocol = 'icmpv6', from_port = 128, to_port = 0, cidr = "
                       "'2001:DB8::1/32' },\n"
                       "  { protocol = 50, cidr = '10.1.0.0/16' },\n"
                       "  { protocol = '17', from_port = 1000, to_port = 2000, cidr = "
                       "'10.0.0.0/16' } } }\n");
    char *actual = normalize(f->fake.bodies[0], NULL);
    assert_string_equal(actual, "Action=AuthorizeSecurityGroupEgress\n"
                                "DryRun=true\n"
                                "GroupId=sg-1\n"
                                "IpPermission{FromPort=-1,IpProtocol=icmp,ToPort=-1} "
                                "IpRanges{CidrIp=10.0.0.0/16}\n"
                                "IpPermission{FromPort=1000,IpProtocol=udp,ToPort=2000} "
                                "IpRanges{CidrIp=10.0.0.0/16}\n"
                                "IpPermission{FromPort=128,IpProtocol=icmpv6,ToPort=0} "
                                "Ipv6Ranges{CidrIpv6=2001:db8::/32}\n"
                                "IpPermission{IpProtocol=-1} IpRanges{CidrIp=10.0.0.0/8}\n"
                                "IpPermission{IpProtocol=50} IpRanges{CidrIp=10.1.0.0/16}\n"
                                "Version=2016-11-15");
    free(actual);
    fixture_free(f);
}

static void test_revoke_ingress_rules(void **state)
{
    (void)state;
    struct fixture *f = fixture_new("10-RevokeSecurityGroupIngress", NULL);
    run_ok(f->runtime, "local r = ec2.revoke_ingress{ group_id = 'sg-3600348f823ce7160',\n"
                       "  rules = { { protocol = 'tcp', port = 80, cidr = '::/0' } } }\n"
                       "expect(r, { revoked = true })\n");
    assert_same_wire(f->fake.bodies[0], RAW "10-RevokeSecurityGroupIngress.request.body", NULL,
                     NULL);
    fixture_free(f);
}

static void test_revoke_egress_rule_ids(void **state)
{
    (void)state;
    struct fixture *f = fixture_new("10b-RevokeSecurityGroupEgress-byRuleId", NULL);
    run_ok(f->runtime, "local r = ec2.revoke_egress{ group_id = 'sg-7f23fb8dc675ae1ef',\n"
                       "  rule_ids = { 'sgr-7952c329342936cf6' } }\n"
                       "expect(r, { revoked = true })\n");
    assert_same_wire(f->fake.bodies[0], RAW "10b-RevokeSecurityGroupEgress-byRuleId.request.body",
                     NULL, NULL);
    fixture_free(f);
}

/* The groups of capture 07 in the documented shape. */
static const char described_groups[] =
    "local backend_rules = {\n"
    "  { protocol = 'tcp', port = 80, cidr = '0.0.0.0/0', description = 'HTTP from anywhere "
    "(IPv4)' },\n"
    "  { protocol = 'tcp', port = 80, cidr = '::/0', description = 'HTTP from anywhere (IPv6)' "
    "} }\n"
    "local all_out = { protocol = 'all', cidr = '0.0.0.0/0' }\n"
    "local expected_groups = {\n"
    "  { group_id = 'sg-3600348f823ce7160', name = 'zenn-clone-ecs-backend-security-group',\n"
    "    description = 'ECS backend: HTTP from anywhere', vpc_id = 'vpc-b2658024831d86f3f',\n"
    "    owner_id = '123456789012',\n"
    "    arn = 'arn:aws:ec2:us-east-1:123456789012:security-group/sg-3600348f823ce7160',\n"
    "    tags = { Name = 'zenn-clone-ecs-backend-security-group', Project = 'zenn-clone' },\n"
    "    ingress = backend_rules, egress = { all_out } },\n"
    "  { group_id = 'sg-7f23fb8dc675ae1ef', name = 'zenn-clone-rds-security-group',\n"
    "    description = 'RDS: MySQL from ECS backend only', vpc_id = 'vpc-b2658024831d86f3f',\n"
    "    owner_id = '123456789012',\n"
    "    arn = 'arn:aws:ec2:us-east-1:123456789012:security-group/sg-7f23fb8dc675ae1ef',\n"
    "    tags = {},\n"
    "    ingress = { { protocol = 'tcp', port = 3306, source_group = 'sg-3600348f823ce7160',\n"
    "                  description = 'MySQL from ECS backend' } },\n"
    "    egress = { all_out, { protocol = 'tcp', port = 443, cidr = '10.0.0.0/16' },\n"
    "               { protocol = 'tcp', port = 443, prefix_list = 'pl-63a5400a' } } } }\n";

static void test_describe_security_groups_by_filter(void **state)
{
    (void)state;
    struct fixture *f = fixture_new("07-DescribeSecurityGroups", NULL);
    char script[8192];
    snprintf(script, sizeof script,
             "%s"
             "local groups = ec2.describe_security_groups{ vpc_id = 'vpc-b2658024831d86f3f',\n"
             "  names = { 'zenn-clone-ecs-backend-security-group', "
             "'zenn-clone-rds-security-group' } }\n"
             "expect(groups, expected_groups, 'groups')\n"
             "expect(getmetatable(groups), getmetatable(groups[1].ingress), 'array metatable')\n"
             "expect(json.encode(groups[2].tags), '{}')\n",
             described_groups);
    run_ok(f->runtime, script);
    /* kumo adds MaxResults=1000 (pagination); the CLI sent none */
    assert_same_wire(f->fake.bodies[0], RAW "07-DescribeSecurityGroups.request.body",
                     "MaxResults=1000", NULL);
    fixture_free(f);
}

static void test_describe_security_groups_by_id(void **state)
{
    (void)state;
    struct fixture *f = fixture_new("07b-DescribeSecurityGroups-byId", NULL);
    run_ok(f->runtime, "local groups = ec2.describe_security_groups{ group_ids = {\n"
                       "  'sg-3600348f823ce7160', 'sg-7f23fb8dc675ae1ef' } }\n"
                       "expect(#groups, 2) expect(groups[2].ingress[1].port, 3306)\n");
    /* by id: no MaxResults (EC2 refuses it with GroupId) */
    assert_same_wire(f->fake.bodies[0], RAW "07b-DescribeSecurityGroups-byId.request.body", NULL,
                     NULL);
    fixture_free(f);
}

static void test_describe_security_groups_other_owner(void **state)
{
    (void)state;
    const char *response =
        "<DescribeSecurityGroupsResponse><requestId>r</requestId><securityGroupInfo><item>"
        "<groupId>sg-1</groupId><ownerId>111111111111</ownerId><ipPermissions>"
        "<item><ipProtocol>tcp</ipProtocol><fromPort>8000</fromPort><toPort>8080</toPort>"
        "<groups><item><groupId>sg-2</groupId><userId>222222222222</userId></item>"
        "<item><groupId>sg-3</groupId><userId>111111111111</userId><description></description>"
        "</item></groups><ipRanges/></item>"
        "<item><ipProtocol>icmp</ipProtocol><fromPort>8</fromPort><toPort>-1</toPort>"
        "<ipRanges><item><cidrIp>10.0.0.0/8</cidrIp></item></ipRanges></item>"
        "<item><ipProtocol>58</ipProtocol><fromPort>-1</fromPort><toPort>-1</toPort>"
        "<ipv6Ranges><item><cidrIpv6>2001:DB8::/32</cidrIpv6></item></ipv6Ranges></item>"
        "<item><ipProtocol>50</ipProtocol>"
        "<ipRanges><item><cidrIp>10.0.0.0/8</cidrIp></item></ipRanges></item>"
        "<item><ipProtocol>-1</ipProtocol><fromPort>-1</fromPort><toPort>-1</toPort>"
        "<prefixListIds><item><prefixListId>pl-1</prefixListId></item></prefixListIds></item>"
        "</ipPermissions><ipPermissionsEgress/></item></securityGroupInfo>"
        "</DescribeSecurityGroupsResponse>";
    struct fixture *f = fixture_new(NULL);
    f->fake.answers[0] = (struct canned){KUMO_TRANSPORT_OK, 200, response};
    f->fake.answer_count = 1;
    run_ok(f->runtime,
           "local g = ec2.describe_security_groups{}[1]\n"
           "expect(g.ingress, {\n"
           "  { protocol = 'tcp', from_port = 8000, to_port = 8080,\n"
           "    source_group = { group_id = 'sg-2', owner_id = '222222222222' } },\n"
           "  { protocol = 'tcp', from_port = 8000, to_port = 8080, source_group = 'sg-3' },\n"
           "  { protocol = 'icmp', from_port = 8, to_port = -1, cidr = '10.0.0.0/8' },\n"
           "  { protocol = 'icmpv6', from_port = -1, to_port = -1, cidr = '2001:db8::/32' },\n"
           "  { protocol = '50', cidr = '10.0.0.0/8' },\n"
           "  { protocol = 'all', prefix_list = 'pl-1' } })\n"
           "expect(g.egress, {}) expect(g.tags, {})\n"
           "local net = require 'kumo.net'\n"
           "for i, rule in ipairs(g.ingress) do net.validate_rule(rule, 'ingress[' .. i .. ']') "
           "end\n");
    assert_non_null(strstr(f->fake.bodies[0], "MaxResults=1000"));
    fixture_free(f);
}

static void test_describe_security_group_rules(void **state)
{
    (void)state;
    struct fixture *f = fixture_new("08-DescribeSecurityGroupRules", NULL);
    run_ok(f->runtime,
           "local rules = ec2.describe_security_group_rules{ group_id = 'sg-7f23fb8dc675ae1ef' }\n"
           "local g = 'sg-7f23fb8dc675ae1ef'\n"
           "expect(rules, {\n"
           "  { rule_id = 'sgr-7952c329342936cf6', group_id = g, direction = 'egress',\n"
           "    protocol = 'all', cidr = '0.0.0.0/0' },\n"
           "  { rule_id = 'sgr-736565ada82f0dfda', group_id = g, direction = 'egress',\n"
           "    protocol = 'tcp', port = 443, cidr = '10.0.0.0/16' },\n"
           "  { rule_id = 'sgr-80c4359e254ae4d52', group_id = g, direction = 'egress',\n"
           "    protocol = 'tcp', port = 443, prefix_list = 'pl-63a5400a' },\n"
           "  { rule_id = 'sgr-5af4bf77b974326cf', group_id = g, direction = 'ingress',\n"
           "    protocol = 'tcp', port = 3306, source_group = 'sg-3600348f823ce7160' } })\n"
           "local net = require 'kumo.net'\n"
           "expect(net.canonical_rule(rules[1]), 'all|-1|-1|cidr:0.0.0.0/0')\n");
    /* kumo adds MaxResults=1000 (pagination); the CLI sent none */
    assert_same_wire(f->fake.bodies[0], RAW "08-DescribeSecurityGroupRules.request.body",
                     "MaxResults=1000", NULL);
    fixture_free(f);
}

static void test_delete_security_group(void **state)
{
    (void)state;
    struct fixture *f = fixture_new("33-DeleteSecurityGroup", NULL);
    run_ok(f->runtime, "expect(ec2.delete_security_group{ group_id = 'sg-69d8b8a55de44cd47' },\n"
                       "  { deleted = true })\n");
    assert_same_wire(f->fake.bodies[0], RAW "33-DeleteSecurityGroup.request.body", NULL, NULL);
    fixture_free(f);
}

static void test_describe_vpcs(void **state)
{
    (void)state;
    struct fixture *f = fixture_new("01-DescribeVpcs", NULL);
    run_ok(f->runtime, "expect(ec2.describe_vpcs{ name = 'zenn-clone-vpc' }, {\n"
                       "  { vpc_id = 'vpc-b2658024831d86f3f', cidr = '10.0.0.0/16', state = "
                       "'available',\n"
                       "    is_default = false, owner_id = '123456789012',\n"
                       "    tags = { Name = 'zenn-clone-vpc' } } })\n");
    /* kumo adds MaxResults=1000 (pagination); the CLI sent none */
    assert_same_wire(f->fake.bodies[0], RAW "01-DescribeVpcs.request.body", "MaxResults=1000",
                     NULL);
    fixture_free(f);
}

static void test_describe_vpcs_by_id_and_filters(void **state)
{
    (void)state;
    struct fixture *f = fixture_new("01-DescribeVpcs", NULL);
    run_ok(f->runtime, "ec2.describe_vpcs{ vpc_ids = { 'vpc-b2658024831d86f3f' },\n"
                       "  filters = { ['cidr-block'] = '10.0.0.0/16', state = { 'available', "
                       "'pending' } } }\n");
    char *actual = normalize(f->fake.bodies[0], NULL);
    assert_string_equal(actual, "Action=DescribeVpcs\n"
                                "Filter.1.Name=cidr-block\n"
                                "Filter.1.Value.1=10.0.0.0/16\n"
                                "Filter.2.Name=state\n"
                                "Filter.2.Value.1=available\n"
                                "Filter.2.Value.2=pending\n"
                                "Version=2016-11-15\n"
                                "VpcId.1=vpc-b2658024831d86f3f");
    free(actual);
    fixture_free(f);
}

static void test_create_tags(void **state)
{
    (void)state;
    struct fixture *f = fixture_new("09-CreateTags", NULL);
    run_ok(f->runtime, "expect(ec2.create_tags{ resources = { 'sg-3600348f823ce7160',\n"
                       "  'sg-7f23fb8dc675ae1ef' }, tags = { Project = 'zenn-clone', Env = 'dev' } "
                       "}, {})\n");
    /* the CLI kept the order given (Project, Env); kumo sorts by key */
    assert_same_wire(f->fake.bodies[0], RAW "09-CreateTags.request.body", NULL, NULL);
    assert_non_null(strstr(f->fake.bodies[0], "Tag.1.Key=Env"));
    fixture_free(f);
}

/* ---- round trip: described rules have the identity of the declared ones ---- */

static void test_round_trip_capture_07(void **state)
{
    (void)state;
    struct fixture *f = fixture_new("07-DescribeSecurityGroups", NULL);
    run_ok(
        f->runtime,
        "local net = require 'kumo.net'\n"
        "local function identities(rules)\n"
        "  local out = {}\n"
        "  for _, rule in ipairs(rules) do out[#out + 1] = net.canonical_rule(rule) end\n"
        "  table.sort(out)\n"
        "  return out\n"
        "end\n"
        "-- what the zenn-clone script declares (spelled in several equivalent ways)\n"
        "local declared = {\n"
        "  ['sg-3600348f823ce7160'] = {\n"
        "    ingress = {\n"
        "      { protocol = 'tcp', port = 80, cidr = '0.0.0.0/0', description = 'HTTP (IPv4)' },\n"
        "      { protocol = 6, from_port = 80, to_port = 80, cidr = '::0/0' } },\n"
        "    egress = { { protocol = '-1', cidr = '0.0.0.0/0' } } },\n"
        "  ['sg-7f23fb8dc675ae1ef'] = {\n"
        "    ingress = { { protocol = 'tcp', from_port = 3306, to_port = 3306,\n"
        "      source_group = { group_id = 'sg-3600348f823ce7160', owner_id = '123456789012' } "
        "} },\n"
        "    egress = { { protocol = -1, cidr = '0.0.0.0/0' },\n"
        "      { protocol = 'tcp', port = 443, cidr = '10.0.255.7/16' },\n"
        "      { protocol = '6', port = 443, prefix_list = 'pl-63a5400a' } } } }\n"
        "local groups = ec2.describe_security_groups{ vpc_id = 'vpc-b2658024831d86f3f' }\n"
        "expect(#groups, 2)\n"
        "for _, g in ipairs(groups) do\n"
        "  local d = declared[g.group_id]\n"
        "  expect(identities(g.ingress), identities(d.ingress), g.group_id .. ' ingress')\n"
        "  expect(identities(g.egress), identities(d.egress), g.group_id .. ' egress')\n"
        "  for i, rule in ipairs(g.ingress) do net.validate_rule(rule, 'ingress[' .. i .. ']') "
        "end\n"
        "end\n"
        "expect(identities(groups[1].ingress), { 'tcp|80|80|cidr:0.0.0.0/0', "
        "'tcp|80|80|cidr:::/0' })\n"
        "expect(identities(groups[2].ingress), { 'tcp|3306|3306|sg:sg-3600348f823ce7160' })\n");
    fixture_free(f);
}

static void test_described_rules_authorize_again(void **state)
{
    (void)state;
    /* rules from a describe are accepted by authorize as they are */
    struct fixture *f =
        fixture_new("07-DescribeSecurityGroups", "06-AuthorizeSecurityGroupEgress", NULL);
    run_ok(f->runtime, "local groups = ec2.describe_security_groups{}\n"
                       "ec2.authorize_egress{ group_id = 'sg-1', rules = groups[2].egress }\n");
    assert_int_equal(f->fake.calls, 2);
    char *actual = normalize(f->fake.bodies[1], NULL);
    assert_string_equal(actual, "Action=AuthorizeSecurityGroupEgress\n"
                                "GroupId=sg-1\n"
                                "IpPermission{FromPort=443,IpProtocol=tcp,ToPort=443} "
                                "IpRanges{CidrIp=10.0.0.0/16}\n"
                                "IpPermission{FromPort=443,IpProtocol=tcp,ToPort=443} "
                                "PrefixListIds{PrefixListId=pl-63a5400a}\n"
                                "IpPermission{IpProtocol=-1} IpRanges{CidrIp=0.0.0.0/0}\n"
                                "Version=2016-11-15");
    free(actual);
    fixture_free(f);
}

/* ---- kumo.net ---- */

static void test_net(void **state)
{
    (void)state;
    struct fixture *f = fixture_new(NULL);
    run_ok(f->runtime,
           "local net = require 'kumo.net'\n"
           "expect({ net.canonical_cidr('10.0.0.18/8') }, { '10.0.0.0/8', 'ipv4' })\n"
           "expect({ net.canonical_cidr('0.0.0.0/0') }, { '0.0.0.0/0', 'ipv4' })\n"
           "expect({ net.canonical_cidr('2001:DB8:0:0::1/32') }, { '2001:db8::/32', 'ipv6' })\n"
           "expect({ net.canonical_cidr('::/0') }, { '::/0', 'ipv6' })\n"
           "expect({ net.canonical_cidr('fe80::1/128') }, { 'fe80::1/128', 'ipv6' })\n"
           "expect({ net.canonical_cidr('10.0.0.0/33') },\n"
           "  { nil, \"malformed CIDR '10.0.0.0/33' (prefix length must be 0-32)\" })\n"
           "expect({ net.canonical_cidr('10.0.0.0') }, { nil, \"malformed CIDR '10.0.0.0' (a "
           "prefix length is required (a.b.c.d/n or an IPv6 prefix like ::/0))\" })\n"
           "for _, bad in ipairs{ '10.0.0/8', '010.0.0.0/8', '10.0.0.0/08', '10.0.0.0/', "
           "'::/129',\n"
           "    '1.2.3.4/-1', ' 1.2.3.4/8', 'fe80::1%eth0/64', 'x/1', '' } do\n"
           "  expect(net.canonical_cidr(bad), nil, bad)\n"
           "end\n"
           "local R = net.canonical_rule\n"
           "expect(R{ protocol = 'tcp', port = 80, cidr = '0.0.0.0/0' }, "
           "'tcp|80|80|cidr:0.0.0.0/0')\n"
           "expect(R{ protocol = 6, from_port = 80, to_port = 80, cidr = '0.0.0.0/0', description "
           "= 'x' },\n"
           "  'tcp|80|80|cidr:0.0.0.0/0')\n"
           "expect(R{ protocol = 'all', cidr = '::/0' }, 'all|-1|-1|cidr:::/0')\n"
           "expect(R{ protocol = '-1', cidr = '::0/0' }, 'all|-1|-1|cidr:::/0')\n"
           "expect(R{ protocol = 'icmp', from_port = 8, source_group = 'sg-1' }, "
           "'icmp|8|-1|sg:sg-1')\n"
           "expect(R{ protocol = 1, source_group = { group_id = 'sg-1', owner_id = "
           "'123456789012' } },\n"
           "  'icmp|-1|-1|sg:sg-1')\n"
           "expect(R{ protocol = '58', cidr = '::/0' }, 'icmpv6|-1|-1|cidr:::/0')\n"
           "expect(R{ protocol = 17, port = 53, prefix_list = 'pl-63a5400a' }, "
           "'udp|53|53|pl:pl-63a5400a')\n"
           "expect(R{ protocol = '50', cidr = '10.0.0.0/8' }, '50|-1|-1|cidr:10.0.0.0/8')\n"
           "expect(R{ protocol = 'tcp', port = 1, cidr = '1.1.1.1/32', rule_id = 'sgr-1',\n"
           "  group_id = 'sg-2', direction = 'ingress' }, 'tcp|1|1|cidr:1.1.1.1/32')\n"
           "local ok, err = pcall(function() return R{ protocol = 'tcp', cidr = '0.0.0.0/0' } "
           "end)\n"
           "expect(err, 't:28: net.canonical_rule: rule: tcp needs port, or from_port and "
           "to_port')\n"
           "expect(net.validate_rule{ protocol = 'udp', port = 53, cidr = '10.0.0.0/8' }, true)\n"
           "ok, err = pcall(function() net.validate_rule({ protocol = 'tcp', port = 'x' }, "
           "'rules[4]') end)\n"
           "expect(err, 't:31: rules[4].port: integer expected, got string')\n"
           "ok, err = pcall(net.validate_rule, { protocol = 'tcp', port = 1, cidr = '::/0', "
           "rule_id = 'sgr-1' }, 'r', 0)\n"
           "expect(err, 'r.rule_id: unknown field')\n");
    assert_int_equal(f->fake.calls, 0);
    fixture_free(f);
}

/* ---- pagination ---- */

static void test_pagination(void **state)
{
    (void)state;
    const char *groups1 = "<DescribeSecurityGroupsResponse><requestId>r1</requestId>"
                          "<securityGroupInfo><item><groupId>sg-1</groupId></item>"
                          "<item><groupId>sg-2</groupId></item></securityGroupInfo>"
                          "<nextToken>tok-2</nextToken></DescribeSecurityGroupsResponse>";
    const char *groups2 = "<DescribeSecurityGroupsResponse><requestId>r2</requestId>"
                          "<securityGroupInfo><item><groupId>sg-3</groupId></item>"
                          "</securityGroupInfo><nextToken></nextToken>"
                          "</DescribeSecurityGroupsResponse>";
    const char *rules1 = "<DescribeSecurityGroupRulesResponse><securityGroupRuleSet><item>"
                         "<securityGroupRuleId>sgr-1</securityGroupRuleId>"
                         "<groupId>sg-1</groupId><isEgress>false</isEgress>"
                         "<ipProtocol>tcp</ipProtocol><fromPort>22</fromPort><toPort>22</toPort>"
                         "<cidrIpv4>10.0.0.0/8</cidrIpv4></item></securityGroupRuleSet>"
                         "<nextToken>r-2</nextToken></DescribeSecurityGroupRulesResponse>";
    const char *rules2 = "<DescribeSecurityGroupRulesResponse><securityGroupRuleSet><item>"
                         "<securityGroupRuleId>sgr-2</securityGroupRuleId>"
                         "<groupId>sg-1</groupId><isEgress>true</isEgress>"
                         "<ipProtocol>-1</ipProtocol><cidrIpv6>::/0</cidrIpv6>"
                         "<description>out</description></item></securityGroupRuleSet>"
                         "</DescribeSecurityGroupRulesResponse>";
    const char *vpcs1 = "<DescribeVpcsResponse><vpcSet><item><vpcId>vpc-1</vpcId></item>"
                        "</vpcSet><nextToken>v-2</nextToken></DescribeVpcsResponse>";
    const char *vpcs2 = "<DescribeVpcsResponse><vpcSet/></DescribeVpcsResponse>";
    struct fixture *f = fixture_new(NULL);
    struct canned answers[] = {{KUMO_TRANSPORT_OK, 200, groups1}, {KUMO_TRANSPORT_OK, 200, groups2},
                               {KUMO_TRANSPORT_OK, 200, rules1},  {KUMO_TRANSPORT_OK, 200, rules2},
                               {KUMO_TRANSPORT_OK, 200, vpcs1},   {KUMO_TRANSPORT_OK, 200, vpcs2}};
    memcpy(f->fake.answers, answers, sizeof answers);
    f->fake.answer_count = 6;
    run_ok(f->runtime,
           "local groups = ec2.describe_security_groups{ vpc_id = 'vpc-1' }\n"
           "expect(#groups, 3) expect(groups[3].group_id, 'sg-3')\n"
           "local rules = ec2.describe_security_group_rules{ group_id = 'sg-1' }\n"
           "expect(rules, { { rule_id = 'sgr-1', group_id = 'sg-1', direction = 'ingress',\n"
           "  protocol = 'tcp', port = 22, cidr = '10.0.0.0/8' },\n"
           "  { rule_id = 'sgr-2', group_id = 'sg-1', direction = 'egress', protocol = 'all',\n"
           "    cidr = '::/0', description = 'out' } })\n"
           "local vpcs = ec2.describe_vpcs{}\n"
           "expect(vpcs, { { vpc_id = 'vpc-1', is_default = false, tags = {} } })\n");
    assert_int_equal(f->fake.calls, 6);
    char *second = normalize(f->fake.bodies[1], NULL);
    assert_string_equal(second, "Action=DescribeSecurityGroups\n"
                                "Filter.1.Name=vpc-id\n"
                                "Filter.1.Value.1=vpc-1\n"
                                "MaxResults=1000\n"
                                "NextToken=tok-2\n"
                                "Version=2016-11-15");
    free(second);
    assert_null(strstr(f->fake.bodies[0], "NextToken"));
    assert_non_null(strstr(f->fake.bodies[3], "NextToken=r-2"));
    assert_non_null(strstr(f->fake.bodies[3], "Filter.1.Name=group-id"));
    assert_non_null(strstr(f->fake.bodies[5], "NextToken=v-2"));
    fixture_free(f);
}

static void test_pagination_repeated_token(void **state)
{
    (void)state;
    const char *page = "<DescribeVpcsResponse><vpcSet><item><vpcId>vpc-1</vpcId></item>"
                       "</vpcSet><nextToken>same</nextToken></DescribeVpcsResponse>";
    struct fixture *f = fixture_new(NULL);
    f->fake.answers[0] = (struct canned){KUMO_TRANSPORT_OK, 200, page};
    f->fake.answer_count = 1;
    run_ok(f->runtime, "local ok, err = pcall(ec2.describe_vpcs, {})\n"
                       "expect(ok, false)\n"
                       "assert(err:find('DescribeVpcs: the server returned the same NextToken "
                       "twice', 1, true), err)\n");
    assert_int_equal(f->fake.calls, 2);
    fixture_free(f);
}

/* ---- validation: one case per error class; nothing may be sent ---- */

struct bad_case {
    const char *call;    /* a Lua expression, on line 1 */
    const char *message; /* the whole message, position included */
};

static void run_bad_case(void **state)
{
    const struct bad_case *c = *state;
    struct fixture *f = fixture_new("03-AuthorizeSecurityGroupIngress-http", NULL);
    assert_int_equal(kumo_runtime_set_var(f->runtime, "expected", c->message), KUMO_OK);
    char script[4096];
    /* on line 1 of chunk "t", so the message starts with "t:1: " */
    snprintf(script, sizeof script,
             "local ok, err = pcall(function() return %s end)\n"
             "expect(ok, false, 'raised')\n"
             "expect(err, kumo.vars.expected, 'message')\n",
             c->call);
    run_ok(f->runtime, script);
    assert_int_equal(f->fake.calls, 0);
    fixture_free(f);
}

#define RULES(...) "ec2.authorize_ingress{ group_id = 'sg-1', rules = { " __VA_ARGS__ " } }"
#define OK_RULE "{ protocol = 'tcp', port = 80, cidr = '0.0.0.0/0' }"
#define SG(fields) "ec2.create_security_group{ vpc_id = 'vpc-1', " fields " }"
#define LONG_256 "string.rep('a', 256)"

static const struct bad_case bad_unknown_field = {
    RULES(OK_RULE ", { protcol = 'tcp', port = 80, cidr = '0.0.0.0/0' }"),
    "t:1: ec2.authorize_ingress: rules[2].protcol: unknown field"};
static const struct bad_case bad_unknown_top_field = {
    SG("name = 'a', description = 'b', nmae = 'c'"),
    "t:1: ec2.create_security_group: nmae: unknown field"};
static const struct bad_case bad_type = {
    RULES(OK_RULE ", { protocol = 'tcp', from_port = '80', to_port = 80, cidr = '0.0.0.0/0' }"),
    "t:1: ec2.authorize_ingress: rules[2].from_port: integer expected, got string"};
static const struct bad_case bad_type_float = {
    RULES("{ protocol = 'tcp', port = 80.5, cidr = '0.0.0.0/0' }"),
    "t:1: ec2.authorize_ingress: rules[1].port: integer expected, got 80.5"};
static const struct bad_case bad_type_argument = {
    "ec2.describe_vpcs('vpc-1')", "t:1: ec2.describe_vpcs: table expected, got string"};
static const struct bad_case bad_port_range = {
    RULES("{ protocol = 'udp', port = 70000, cidr = '0.0.0.0/0' }"),
    "t:1: ec2.authorize_ingress: rules[1].port: must be between 0 and 65535, got 70000"};
static const struct bad_case bad_port_negative = {
    RULES("{ protocol = 'tcp', from_port = -1, to_port = 80, cidr = '0.0.0.0/0' }"),
    "t:1: ec2.authorize_ingress: rules[1].from_port: must be between 0 and 65535, got -1"};
static const struct bad_case bad_from_greater = {
    RULES("{ protocol = 'tcp', from_port = 90, to_port = 80, cidr = '0.0.0.0/0' }"),
    "t:1: ec2.authorize_ingress: rules[1].from_port: must not be greater than to_port (90 > 80)"};
static const struct bad_case bad_cidr = {
    RULES("{ protocol = 'tcp', port = 22, cidr = '10.0.0.0/33' }"),
    "t:1: ec2.authorize_ingress: rules[1].cidr: malformed CIDR '10.0.0.0/33' (prefix length "
    "must be 0-32)"};
static const struct bad_case bad_cidr_ipv6 = {
    RULES(OK_RULE ", { protocol = 'tcp', port = 22, cidr = '2001:db8::g/64' }"),
    "t:1: ec2.authorize_ingress: rules[2].cidr: malformed CIDR '2001:db8::g/64' (malformed IPv6 "
    "address)"};
static const struct bad_case bad_protocol = {
    RULES("{ protocol = 'tpc', port = 22, cidr = '10.0.0.0/8' }"),
    "t:1: ec2.authorize_ingress: rules[1].protocol: unknown protocol 'tpc' (tcp, udp, icmp, "
    "icmpv6, all, or a number 0-255)"};
static const struct bad_case bad_protocol_number = {
    RULES("{ protocol = 256, cidr = '10.0.0.0/8' }"),
    "t:1: ec2.authorize_ingress: rules[1].protocol: protocol number must be 0-255 (or -1 for "
    "all), got 256"};
static const struct bad_case bad_name_sg = {
    SG("name = 'sg-web', description = 'web'"),
    "t:1: ec2.create_security_group: name: must not start with 'sg-' (EC2 reserves it for ids)"};
static const struct bad_case bad_name_long = {
    SG("name = " LONG_256 ", description = 'web'"),
    "t:1: ec2.create_security_group: name: at most 255 characters allowed, got 256"};
static const struct bad_case bad_description_long = {
    SG("name = 'web', description = " LONG_256),
    "t:1: ec2.create_security_group: description: at most 255 characters allowed, got 256"};
static const struct bad_case bad_rule_description_long = {
    RULES("{ protocol = 'tcp', port = 22, cidr = '10.0.0.0/8', description = " LONG_256 " }"),
    "t:1: ec2.authorize_ingress: rules[1].description: at most 255 characters allowed, got 256"};
static const struct bad_case bad_description_chars = {
    SG("name = 'web', description = 'web ~ servers'"),
    "t:1: ec2.create_security_group: description: character '~' at position 5 is not allowed "
    "(EC2 accepts only a-z A-Z 0-9, space and ._-:/()#,@[]+=&;{}!$*)"};
static const struct bad_case bad_rule_description_chars = {
    RULES("{ protocol = 'tcp', port = 22, cidr = '10.0.0.0/8', description = 'caf\\u{e9}' }"),
    "t:1: ec2.authorize_ingress: rules[1].description: character byte 0xC3 at position 4 is not "
    "allowed (EC2 accepts only a-z A-Z 0-9, space and ._-:/()#,@[]+=&;{}!$*)"};
static const struct bad_case bad_name_chars = {
    SG("name = 'web\\tservers', description = 'web'"),
    "t:1: ec2.create_security_group: name: character byte 0x09 at position 4 is not allowed "
    "(EC2 accepts only a-z A-Z 0-9, space and ._-:/()#,@[]+=&;{}!$*)"};
static const struct bad_case bad_duplicate_rule = {
    RULES("{ protocol = 'tcp', port = 22, cidr = '10.0.0.18/8', description = 'a' }, " OK_RULE
          ", { protocol = 6, from_port = 22, to_port = 22, cidr = '10.0.0.0/8' }"),
    "t:1: ec2.authorize_ingress: rules[3]: the same rule as rules[1]"};
static const struct bad_case bad_duplicate_revoke = {
    "ec2.revoke_egress{ group_id = 'sg-1', rules = { { protocol = 'all', cidr = '::/0' }, "
    "{ protocol = -1, cidr = '0::0/0' } } }",
    "t:1: ec2.revoke_egress: rules[2]: the same rule as rules[1]"};
static const struct bad_case bad_duplicate_rule_id = {
    "ec2.revoke_ingress{ group_id = 'sg-1', rule_ids = { 'sgr-1', 'sgr-2', 'sgr-1' } }",
    "t:1: ec2.revoke_ingress: rule_ids[3]: the same security group rule id as rule_ids[1]"};
static const struct bad_case bad_no_source = {
    RULES("{ protocol = 'tcp', port = 22 }"),
    "t:1: ec2.authorize_ingress: rules[1]: one of cidr, source_group or prefix_list is "
    "required"};
static const struct bad_case bad_two_sources = {
    RULES("{ protocol = 'tcp', port = 22, cidr = '::/0', prefix_list = 'pl-1' }"),
    "t:1: ec2.authorize_ingress: rules[1]: cidr and prefix_list cannot be combined (one source "
    "per rule)"};
static const struct bad_case bad_port_and_range = {
    RULES("{ protocol = 'tcp', port = 22, from_port = 22, to_port = 22, cidr = '::/0' }"),
    "t:1: ec2.authorize_ingress: rules[1].port: cannot be combined with from_port/to_port"};
static const struct bad_case bad_half_range = {
    RULES("{ protocol = 'tcp', from_port = 22, cidr = '::/0' }"),
    "t:1: ec2.authorize_ingress: rules[1].to_port: required with from_port"};
static const struct bad_case bad_icmp_port = {
    RULES("{ protocol = 'icmp', port = 8, cidr = '0.0.0.0/0' }"),
    "t:1: ec2.authorize_ingress: rules[1].port: not allowed for icmp (from_port is the ICMP "
    "type, to_port the code)"};
static const struct bad_case bad_all_ports = {
    RULES("{ protocol = 'all', from_port = 0, to_port = 65535, cidr = '0.0.0.0/0' }"),
    "t:1: ec2.authorize_ingress: rules[1].from_port: not allowed for protocol all (it covers "
    "every port)"};
static const struct bad_case bad_source_group = {
    RULES("{ protocol = 'tcp', port = 5432, source_group = { group_id = 'sg-1', owner_id = "
          "'12345' } }"),
    "t:1: ec2.authorize_ingress: rules[1].source_group.owner_id: '12345' is not an AWS account "
    "id (12 digits)"};
static const struct bad_case bad_source_group_field = {
    RULES("{ protocol = 'tcp', port = 5432, source_group = { id = 'sg-1' } }"),
    "t:1: ec2.authorize_ingress: rules[1].source_group.id: unknown field"};
static const struct bad_case bad_group_id = {
    "ec2.delete_security_group{ group_id = 'web' }",
    "t:1: ec2.delete_security_group: group_id: 'web' is not a security group id (sg- followed by "
    "hex digits)"};
static const struct bad_case bad_vpc_id = {
    "ec2.create_security_group{ name = 'web', description = 'web', vpc_id = 'vpc_1' }",
    "t:1: ec2.create_security_group: vpc_id: 'vpc_1' is not a VPC id (vpc- followed by hex "
    "digits)"};
static const struct bad_case bad_empty_rules = {
    "ec2.authorize_egress{ group_id = 'sg-1', rules = {} }",
    "t:1: ec2.authorize_egress: rules: at least one rule expected"};
static const struct bad_case bad_rules_not_list = {
    "ec2.authorize_egress{ group_id = 'sg-1', rules = " OK_RULE " }",
    "t:1: ec2.authorize_egress: rules: list expected (keys 1..n only)"};
static const struct bad_case bad_revoke_both = {
    "ec2.revoke_ingress{ group_id = 'sg-1', rule_ids = { 'sgr-1' }, rules = { " OK_RULE " } }",
    "t:1: ec2.revoke_ingress: rule_ids: cannot be combined with rules"};
static const struct bad_case bad_revoke_neither = {
    "ec2.revoke_ingress{ group_id = 'sg-1' }",
    "t:1: ec2.revoke_ingress: one of rules or rule_ids is required"};
static const struct bad_case bad_missing_description = {
    "ec2.create_security_group{ name = 'web', vpc_id = 'vpc-1' }",
    "t:1: ec2.create_security_group: description: required"};
static const struct bad_case bad_tag_value = {
    SG("name = 'web', description = 'web', tags = { Name = 42 }"),
    "t:1: ec2.create_security_group: tags.Name: string expected, got number"};
static const struct bad_case bad_tag_key = {
    "ec2.create_tags{ resources = { 'sg-1' }, tags = { ['aws:x'] = 'y' } }",
    "t:1: ec2.create_tags: tags[\"aws:x\"]: tag keys starting with 'aws:' are reserved by AWS"};
static const struct bad_case bad_resource = {
    "ec2.create_tags{ resources = { 'sg-1', 'web' }, tags = { A = 'b' } }",
    "t:1: ec2.create_tags: resources[2]: 'web' is not a resource id (like sg-0123abcd)"};
static const struct bad_case bad_dry_run = {
    "ec2.delete_security_group{ group_id = 'sg-1', dry_run = 'yes' }",
    "t:1: ec2.delete_security_group: dry_run: boolean expected, got string"};
static const struct bad_case bad_filter = {
    "ec2.describe_security_groups{ vpc_id = 'vpc-1', filters = { ['vpc-id'] = 'vpc-2' } }",
    "t:1: ec2.describe_security_groups: filters[\"vpc-id\"]: filter 'vpc-id' is already set by "
    "another field"};
static const struct bad_case bad_filter_value = {
    "ec2.describe_vpcs{ filters = { state = { 'available', 1 } } }",
    "t:1: ec2.describe_vpcs: filters.state[2]: string expected, got number"};
static const struct bad_case bad_describe_field = {
    "ec2.describe_security_group_rules{ group_ids = { 'sg-1' } }",
    "t:1: ec2.describe_security_group_rules: group_ids: unknown field"};

#define TEST(name)                                                                                 \
    {                                                                                              \
#name, test_##name, NULL, NULL, NULL                                                       \
    }
#define BAD(name)                                                                                  \
    {                                                                                              \
        "invalid." #name, run_bad_case, NULL, NULL, (void *)&bad_##name                            \
    }

/* kumo_test_bindings [NAME]: all tests, or only the one named (ctest runs
 * each as unit.bindings.NAME). */
int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        TEST(create_security_group),
        TEST(create_security_group_dry_run),
        TEST(authorize_ingress_cidrs),
        TEST(authorize_ingress_source_group),
        TEST(authorize_ingress_other_account),
        TEST(authorize_egress_prefix_list),
        TEST(authorize_protocols),
        TEST(revoke_ingress_rules),
        TEST(revoke_egress_rule_ids),
        TEST(describe_security_groups_by_filter),
        TEST(describe_security_groups_by_id),
        TEST(describe_security_groups_other_owner),
        TEST(describe_security_group_rules),
        TEST(delete_security_group),
        TEST(describe_vpcs),
        TEST(describe_vpcs_by_id_and_filters),
        TEST(create_tags),
        TEST(round_trip_capture_07),
        TEST(described_rules_authorize_again),
        TEST(net),
        TEST(pagination),
        TEST(pagination_repeated_token),
        BAD(unknown_field),
        BAD(unknown_top_field),
        BAD(type),
        BAD(type_float),
        BAD(type_argument),
        BAD(port_range),
        BAD(port_negative),
        BAD(from_greater),
        BAD(cidr),
        BAD(cidr_ipv6),
        BAD(protocol),
        BAD(protocol_number),
        BAD(name_sg),
        BAD(name_long),
        BAD(description_long),
        BAD(rule_description_long),
        BAD(description_chars),
        BAD(rule_description_chars),
        BAD(name_chars),
        BAD(duplicate_rule),
        BAD(duplicate_revoke),
        BAD(duplicate_rule_id),
        BAD(no_source),
        BAD(two_sources),
        BAD(port_and_range),
        BAD(half_range),
        BAD(icmp_port),
        BAD(all_ports),
        BAD(source_group),
        BAD(source_group_field),
        BAD(group_id),
        BAD(vpc_id),
        BAD(empty_rules),
        BAD(rules_not_list),
        BAD(revoke_both),
        BAD(revoke_neither),
        BAD(missing_description),
        BAD(tag_value),
        BAD(tag_key),
        BAD(resource),
        BAD(dry_run),
        BAD(filter),
        BAD(filter_value),
        BAD(describe_field),
    };
    if (argc > 1) {
        size_t i = 0;
        while (i < sizeof tests / sizeof tests[0] && strcmp(tests[i].name, argv[1]) != 0)
            i++;
        if (i == sizeof tests / sizeof tests[0]) {
            fprintf(stderr, "no test named %s\n", argv[1]);
            return 1;
        }
        cmocka_set_test_filter(argv[1]);
    }
    return cmocka_run_group_tests_name("bindings", tests, NULL, NULL);
}
