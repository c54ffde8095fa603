/*
 * test_sg_ensure.c - the stdlib modules kumo.sg (sg.ensure) and kumo.vpc
 * (vpc.find), driven from Lua scripts over the scripted fake transport
 * (fake_transport.h), on the paths a moto server cannot show: EC2's
 * eventual consistency (InvalidGroup.NotFound right after a create), races
 * with another writer (InvalidGroup.Duplicate, InvalidPermission.Duplicate),
 * rule comparison by canonical identity, tag and description drift,
 * argument errors (nothing sent), and vpc.find's zero / one / two matches.
 *
 * The canned answers are hand-built in the shapes EC2 sends (see
 * ${KUMO_TESTDATA_DIR}/ec2-wire/raw/NN-Action.response.body), and every request
 * body sent is compared whole with the expected one.
 *
 * kumo_test_sg_ensure [NAME]: all tests, or only the one named (ctest runs
 * each as unit.sg_ensure.NAME).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kumo.h"
#include "fake_transport.h"

/* ---- the group, the VPC and the rules the scripts declare ---- */

#define VPC_ID "vpc-b2658024831d86f3f"
#define SG_ID "sg-0a1b2c3d4e5f60718"
#define ACCOUNT "123456789012"

/* Lua: the declared rules and arguments, defined before every script. */
static const char declarations[] =
    "sg = require 'kumo.sg'\n"
    "vpc = require 'kumo.vpc'\n"
    "VPC, SG = '" VPC_ID "', '" SG_ID "'\n"
    "R80 = { protocol = 'tcp', port = 80, cidr = '0.0.0.0/0', description = 'HTTP' }\n"
    "R443 = { protocol = 'tcp', port = 443, cidr = '0.0.0.0/0', description = 'HTTPS' }\n"
    "function web(extra)\n"
    "  local args = { name = 'web', description = 'web servers', vpc_id = VPC, ingress = { R80 } "
    "}\n"
    "  for k, v in pairs(extra or {}) do args[k] = v end\n"
    "  return args\n"
    "end\n";

/* ---- EC2 answers, in the shapes EC2 sends ---- */

#define XML_DECL "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
#define EC2_NS " xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15\""

#define ERROR_DOC(code, message)                                                                   \
    XML_DECL "<Response" EC2_NS "><Errors><Error><Code>" code "</Code><Message>" message           \
             "</Message></Error></Errors><RequestID>req-error</RequestID></Response>"

#define GROUP_NOT_FOUND                                                                            \
    ERROR_DOC("InvalidGroup.NotFound", "The security group '" SG_ID "' does not exist")
#define GROUP_DUPLICATE                                                                            \
    ERROR_DOC("InvalidGroup.Duplicate", "The security group 'web' already exists")
#define PERMISSION_DUPLICATE                                                                       \
    ERROR_DOC("InvalidPermission.Duplicate", "The specified rule already exists")

#define DESCRIBE_GROUPS(items)                                                                     \
    XML_DECL "<DescribeSecurityGroupsResponse" EC2_NS "><securityGroupInfo>" items                 \
             "</securityGroupInfo><requestId>req-describe</requestId>"                             \
             "</DescribeSecurityGroupsResponse>"
#define NO_GROUPS                                                                                  \
    XML_DECL "<DescribeSecurityGroupsResponse" EC2_NS "><securityGroupInfo/>"                      \
             "<requestId>req-describe</requestId></DescribeSecurityGroupsResponse>"

/* One group of DescribeSecurityGroups: `tag_set` and `ingress` are whole
 * elements ("<tagSet/>", "<ipPermissions>...</ipPermissions>"); the egress
 * is AWS's default outbound rule. */
#define GROUP(description, tag_set, ingress)                                                       \
    "<item><groupId>" SG_ID "</groupId><ipPermissionsEgress>" DEFAULT_EGRESS                       \
    "</ipPermissionsEgress>" tag_set "<vpcId>" VPC_ID "</vpcId><securityGroupArn>arn:aws:ec2:"     \
    "us-east-1:" ACCOUNT ":security-group/" SG_ID "</securityGroupArn><ownerId>" ACCOUNT           \
    "</ownerId><groupName>web</groupName><groupDescription>" description                           \
    "</groupDescription>" ingress "</item>"
#define DEFAULT_EGRESS                                                                             \
    "<item><ipProtocol>-1</ipProtocol><groups/><ipRanges><item><cidrIp>0.0.0.0/0</cidrIp>"         \
    "</item></ipRanges><ipv6Ranges/><prefixListIds/></item>"
#define TAG(key, value) "<item><key>" key "</key><value>" value "</value></item>"
#define NAME_TAG_ONLY "<tagSet>" TAG("Name", "web") "</tagSet>"
#define NO_INGRESS "<ipPermissions/>"
/* One ipPermissions item with one IPv4 range. */
#define PERMISSION(protocol, port, cidr, description)                                              \
    "<item><ipProtocol>" protocol "</ipProtocol><fromPort>" port "</fromPort><toPort>" port        \
    "</toPort><groups/><ipRanges><item><description>" description "</description><cidrIp>" cidr    \
    "</cidrIp></item></ipRanges><ipv6Ranges/><prefixListIds/></item>"
#define HTTP_PERMISSION PERMISSION("tcp", "80", "0.0.0.0/0", "HTTP")
#define HTTPS_PERMISSION PERMISSION("tcp", "443", "0.0.0.0/0", "HTTPS")

#define CREATED_GROUP                                                                              \
    XML_DECL "<CreateSecurityGroupResponse" EC2_NS "><groupId>" SG_ID "</groupId>"                 \
             "<securityGroupArn>arn:aws:ec2:us-east-1:" ACCOUNT ":security-group/" SG_ID           \
             "</securityGroupArn><requestId>req-create</requestId></CreateSecurityGroupResponse>"

/* AuthorizeSecurityGroupIngress's answer for one tcp rule from 0.0.0.0/0. */
#define AUTHORIZED(rule_id, port, description)                                                     \
    XML_DECL "<AuthorizeSecurityGroupIngressResponse" EC2_NS "><return>true</return>"              \
             "<securityGroupRuleSet><item><securityGroupRuleId>" rule_id                           \
             "</securityGroupRuleId><groupId>" SG_ID "</groupId><isEgress>false</isEgress>"        \
             "<ipProtocol>tcp</ipProtocol><fromPort>" port "</fromPort><toPort>" port              \
             "</toPort><cidrIpv4>0.0.0.0/0</cidrIpv4><description>" description                    \
             "</description></item></securityGroupRuleSet><requestId>req-authorize</requestId>"    \
             "</AuthorizeSecurityGroupIngressResponse>"
#define AUTHORIZED_HTTP AUTHORIZED("sgr-0123456789abcdef0", "80", "HTTP")
#define AUTHORIZED_HTTPS AUTHORIZED("sgr-0fedcba9876543210", "443", "HTTPS")

#define TAGS_CREATED                                                                               \
    XML_DECL "<CreateTagsResponse" EC2_NS "><requestId>req-tags</requestId></CreateTagsResponse>"

#define DESCRIBE_VPCS(items)                                                                       \
    XML_DECL "<DescribeVpcsResponse" EC2_NS "><vpcSet>" items "</vpcSet>"                          \
             "<requestId>req-vpcs</requestId></DescribeVpcsResponse>"
#define NO_VPCS                                                                                    \
    XML_DECL "<DescribeVpcsResponse" EC2_NS "><vpcSet/><requestId>req-vpcs</requestId>"            \
             "</DescribeVpcsResponse>"
#define VPC(id)                                                                                    \
    "<item><ownerId>" ACCOUNT "</ownerId><instanceTenancy>default</instanceTenancy>"               \
    "<ipv6CidrBlockAssociationSet/><cidrBlockAssociationSet><item><associationId>"                 \
    "vpc-cidr-assoc-15dd92fe019a6cef7</associationId><cidrBlock>10.0.0.0/16</cidrBlock>"           \
    "<cidrBlockState><state>associated</state></cidrBlockState></item>"                            \
    "</cidrBlockAssociationSet><isDefault>false</isDefault><tagSet>" TAG(                          \
        "Name", "app-vpc") "</tagSet><vpcId>" id                                                   \
                           "</vpcId><state>available</state><cidrBlock>10.0.0.0/16</cidrBlock>"    \
                           "<dhcpOptionsId>default</dhcpOptionsId></item>"

#define OK(body)                                                                                   \
    {                                                                                              \
        KUMO_TRANSPORT_OK, 200, body                                                               \
    }
#define FAILS(body)                                                                                \
    {                                                                                              \
        KUMO_TRANSPORT_OK, 400, body                                                               \
    }

/* ---- the requests sg.ensure and vpc.find send ---- */

#define FIND_GROUP                                                                                 \
    "Action=DescribeSecurityGroups&Version=2016-11-15&Filter.1.Name=vpc-id&Filter.1.Value."        \
    "1=" VPC_ID "&Filter.2.Name=group-name&Filter.2.Value.1=web&MaxResults=1000"
#define DESCRIBE_GROUP_BY_ID "Action=DescribeSecurityGroups&Version=2016-11-15&GroupId.1=" SG_ID
/* Parameters after Action and Version are sent sorted by name. */
#define CREATE_GROUP                                                                               \
    "Action=CreateSecurityGroup&Version=2016-11-15&GroupDescription=web+servers&GroupName=web"     \
    "&TagSpecification.1.ResourceType=security-group&TagSpecification.1.Tag.1.Key=Name"            \
    "&TagSpecification.1.Tag.1.Value=web&TagSpecification.1.Tag.2.Key=kumo%3Astack"                \
    "&TagSpecification.1.Tag.2.Value=default&VpcId=" VPC_ID
#define AUTHORIZE "Action=AuthorizeSecurityGroupIngress&Version=2016-11-15&GroupId=" SG_ID
#define TCP_FROM_ANYWHERE(n, port, description)                                                    \
    "&IpPermissions." n ".FromPort=" port "&IpPermissions." n ".IpProtocol=tcp&IpPermissions." n   \
    ".IpRanges.1.CidrIp=0.0.0.0%2F0&IpPermissions." n ".IpRanges.1.Description=" description       \
    "&IpPermissions." n ".ToPort=" port
#define AUTHORIZE_HTTP AUTHORIZE TCP_FROM_ANYWHERE("1", "80", "HTTP")
#define AUTHORIZE_HTTPS AUTHORIZE TCP_FROM_ANYWHERE("1", "443", "HTTPS")
#define AUTHORIZE_BOTH                                                                             \
    AUTHORIZE TCP_FROM_ANYWHERE("1", "80", "HTTP") TCP_FROM_ANYWHERE("2", "443", "HTTPS")
#define FIND_VPC                                                                                   \
    "Action=DescribeVpcs&Version=2016-11-15&Filter.1.Name=tag%3AName&Filter.1.Value.1=app-vpc"     \
    "&MaxResults=1000"

/* ---- the fixture ---- */

struct fixture {
    struct fake_transport fake;
    struct log_capture log;
    struct kumo_runtime *runtime;
};

/* A runtime in `region` whose transport gives `answers` in order (the last
 * one repeated), with the declarations and expect() loaded. */
static struct fixture *fixture_new(const char *region, const struct canned *answers, size_t count)
{
    assert_true(count <= FAKE_MAX_ANSWERS);
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    for (size_t i = 0; i < count; i++)
        f->fake.answers[i] = answers[i];
    f->fake.answer_count = count;
    clean_aws_environment();
    set_test_credentials(0);
    f->runtime = new_test_runtime(&f->fake, &f->log, region);
    run_ok(f->runtime, lua_expect_prelude);
    run_ok(f->runtime, declarations);
    return f;
}

#define FIXTURE(region, ...)                                                                       \
    fixture_new(region, (const struct canned[]){__VA_ARGS__},                                      \
                sizeof((const struct canned[]){__VA_ARGS__}) / sizeof(struct canned))

static void fixture_free(struct fixture *f)
{
    kumo_runtime_destroy(f->runtime);
    free(f);
}

/* Asserts that request `index` (0-based) had exactly `expected` as body. */
static void assert_request(const struct fixture *f, size_t index, const char *expected)
{
    assert_true(index < f->fake.calls);
    if (strcmp(f->fake.bodies[index], expected) != 0)
        print_error("request %zu:\n  sent     %s\n  expected %s\n", index, f->fake.bodies[index],
                    expected);
    assert_string_equal(f->fake.bodies[index], expected);
}

static void assert_logged(const struct fixture *f, const char *line)
{
    if (!strstr(f->log.text, line))
        print_error("log lacks \"%s\"; it has:\n%s", line, f->log.text);
    assert_non_null(strstr(f->log.text, line));
}

/* ---- InvalidGroup.NotFound: retried only right after this run's create ---- */

static void test_not_found_after_create_is_retried(void **state)
{
    (void)state;
    struct fixture *f =
        FIXTURE("us-east-1", OK(NO_GROUPS), OK(CREATED_GROUP), FAILS(GROUP_NOT_FOUND),
                FAILS(GROUP_NOT_FOUND), OK(AUTHORIZED_HTTP));
    run_ok(
        f->runtime,
        "expect(sg.not_found_delays, { 0.25, 0.5, 1, 2, 3, 3 }, 'default delays')\n"
        "sg.not_found_delays = { 0, 0, 0 }\n"
        "local r = sg.ensure(web())\n"
        "expect(r, { group_id = SG, name = 'web', vpc_id = VPC, created = true,\n"
        "  ingress_added = { R80 }, egress_added = {}, ingress_removed = {}, egress_removed = {},"
        "  tags_set = {}, unchanged = false })\n");
    assert_int_equal(f->fake.calls, 5);
    assert_request(f, 0, FIND_GROUP);
    assert_request(f, 1, CREATE_GROUP);
    assert_request(f, 2, AUTHORIZE_HTTP);
    assert_request(f, 3, AUTHORIZE_HTTP);
    assert_request(f, 4, AUTHORIZE_HTTP);
    assert_logged(f, "1 created web (" SG_ID ", " VPC_ID "): +1 inbound rule\n");
    fixture_free(f);
}

/* With not_found_delays of `budget` entries, a NotFound that persists gives
 * budget + 1 authorize attempts, then the kumo.Error stands. */
static void run_not_found_budget(int budget)
{
    struct fixture *f =
        FIXTURE("us-east-1", OK(NO_GROUPS), OK(CREATED_GROUP), FAILS(GROUP_NOT_FOUND));
    char script[256];
    snprintf(script, sizeof script,
             "sg.not_found_delays = {}\n"
             "for i = 1, %d do sg.not_found_delays[i] = 0 end\n"
             "sg.ensure(web())\n",
             budget);
    struct kumo_error *error = NULL;
    assert_int_equal(kumo_runtime_run_string(f->runtime, "=t", script, NULL, &error),
                     KUMO_ERROR_AWS);
    assert_non_null(error);
    assert_string_equal(error->kind, "aws");
    assert_string_equal(error->code, "InvalidGroup.NotFound");
    assert_string_equal(error->operation, "AuthorizeSecurityGroupIngress");
    assert_string_equal(error->request_id, "req-error");
    assert_int_equal(error->http_status, 400);
    assert_int_equal(error->attempts, 1);
    kumo_error_free(error);
    assert_int_equal(f->fake.calls, 2 + (size_t)budget + 1);
    assert_request(f, 0, FIND_GROUP);
    assert_request(f, 1, CREATE_GROUP);
    for (int i = 0; i <= budget; i++)
        assert_request(f, 2 + (size_t)i, AUTHORIZE_HTTP);
    fixture_free(f);
}

static void test_not_found_after_create_gives_up(void **state)
{
    (void)state;
    run_not_found_budget(3);
    run_not_found_budget(1);
    run_not_found_budget(0);
}

static void test_not_found_on_existing_group_is_not_retried(void **state)
{
    (void)state;
    struct fixture *f =
        FIXTURE("us-east-1", OK(DESCRIBE_GROUPS(GROUP("web servers", NAME_TAG_ONLY, NO_INGRESS))),
                FAILS(GROUP_NOT_FOUND), OK(AUTHORIZED_HTTP));
    run_ok(f->runtime, "sg.not_found_delays = { 0, 0, 0 }\n"
                       "local ok, err = pcall(sg.ensure, web())\n"
                       "expect(ok, false)\n"
                       "assert(kumo.is_error(err), tostring(err))\n"
                       "expect({ err.code, err.operation, err.attempts },\n"
                       "  { 'InvalidGroup.NotFound', 'AuthorizeSecurityGroupIngress', 1 })\n");
    assert_int_equal(f->fake.calls, 2);
    assert_request(f, 0, FIND_GROUP);
    assert_request(f, 1, AUTHORIZE_HTTP);
    fixture_free(f);
}

/* ---- races with another writer ---- */

static void test_group_duplicate_looks_again(void **state)
{
    (void)state;
    struct fixture *f = FIXTURE(
        "us-east-1", OK(NO_GROUPS), FAILS(GROUP_DUPLICATE),
        OK(DESCRIBE_GROUPS(GROUP("web servers", NAME_TAG_ONLY, NO_INGRESS))), OK(AUTHORIZED_HTTP));
    run_ok(
        f->runtime,
        "local r = sg.ensure(web())\n"
        "expect(r, { group_id = SG, name = 'web', vpc_id = VPC, created = false,\n"
        "  ingress_added = { R80 }, egress_added = {}, ingress_removed = {}, egress_removed = {},"
        "  tags_set = {}, unchanged = false })\n");
    assert_int_equal(f->fake.calls, 4);
    assert_request(f, 0, FIND_GROUP);
    assert_request(f, 1, CREATE_GROUP);
    assert_request(f, 2, FIND_GROUP);
    assert_request(f, 3, AUTHORIZE_HTTP);
    assert_logged(f, "1 updated web (" SG_ID ", " VPC_ID "): +1 inbound rule\n");
    assert_null(strstr(f->log.text, "\n2 ")); /* no warning */
    fixture_free(f);
}

static void test_group_duplicate_but_not_found_again(void **state)
{
    (void)state;
    /* the second look finds nothing either: the Duplicate error stands */
    struct fixture *f = FIXTURE("us-east-1", OK(NO_GROUPS), FAILS(GROUP_DUPLICATE), OK(NO_GROUPS));
    run_ok(f->runtime, "local ok, err = pcall(sg.ensure, web())\n"
                       "expect(ok, false)\n"
                       "assert(kumo.is_error(err), tostring(err))\n"
                       "expect({ err.code, err.operation },\n"
                       "  { 'InvalidGroup.Duplicate', 'CreateSecurityGroup' })\n");
    assert_int_equal(f->fake.calls, 3);
    assert_request(f, 0, FIND_GROUP);
    assert_request(f, 1, CREATE_GROUP);
    assert_request(f, 2, FIND_GROUP);
    fixture_free(f);
}

static void test_permission_duplicate_converged(void **state)
{
    (void)state;
    struct fixture *f =
        FIXTURE("us-east-1", OK(DESCRIBE_GROUPS(GROUP("web servers", NAME_TAG_ONLY, NO_INGRESS))),
                FAILS(PERMISSION_DUPLICATE),
                OK(DESCRIBE_GROUPS(GROUP("web servers", NAME_TAG_ONLY,
                                         "<ipPermissions>" HTTP_PERMISSION HTTPS_PERMISSION
                                         "</ipPermissions>"))),
                FAILS(ERROR_DOC("Unexpected", "no fourth request expected")));
    run_ok(f->runtime,
           "local r = sg.ensure(web{ ingress = { R80, R443 } })\n"
           "expect(r, { group_id = SG, name = 'web', vpc_id = VPC, created = false,\n"
           "  ingress_added = {}, egress_added = {}, ingress_removed = {}, egress_removed = {},"
           "  tags_set = {}, unchanged = true })\n");
    assert_int_equal(f->fake.calls, 3);
    assert_request(f, 0, FIND_GROUP);
    assert_request(f, 1, AUTHORIZE_BOTH);
    assert_request(f, 2, DESCRIBE_GROUP_BY_ID);
    fixture_free(f);
}

static void test_permission_duplicate_adds_the_rest(void **state)
{
    (void)state;
    struct fixture *f =
        FIXTURE("us-east-1", OK(DESCRIBE_GROUPS(GROUP("web servers", NAME_TAG_ONLY, NO_INGRESS))),
                FAILS(PERMISSION_DUPLICATE),
                OK(DESCRIBE_GROUPS(GROUP("web servers", NAME_TAG_ONLY,
                                         "<ipPermissions>" HTTP_PERMISSION "</ipPermissions>"))),
                OK(AUTHORIZED_HTTPS), FAILS(ERROR_DOC("Unexpected", "no fifth request expected")));
    run_ok(
        f->runtime,
        "local r = sg.ensure(web{ ingress = { R80, R443 } })\n"
        "expect(r, { group_id = SG, name = 'web', vpc_id = VPC, created = false,\n"
        "  ingress_added = { R443 }, egress_added = {}, ingress_removed = {}, egress_removed = {},"
        "  tags_set = {}, unchanged = false })\n");
    assert_int_equal(f->fake.calls, 4);
    assert_request(f, 0, FIND_GROUP);
    assert_request(f, 1, AUTHORIZE_BOTH);
    assert_request(f, 2, DESCRIBE_GROUP_BY_ID);
    assert_request(f, 3, AUTHORIZE_HTTPS);
    assert_logged(f, "1 updated web (" SG_ID ", " VPC_ID "): +1 inbound rule\n");
    fixture_free(f);
}

/* ---- comparing by canonical identity ---- */

static void test_canonical_comparison(void **state)
{
    (void)state;
    /* EC2 describes the rule with protocol "6", the cleared CIDR and another
     * description; the default egress rule with protocol "-1" */
    struct fixture *f = FIXTURE(
        "us-east-1",
        OK(DESCRIBE_GROUPS(GROUP("web servers", NAME_TAG_ONLY,
                                 "<ipPermissions>" PERMISSION("6", "80", "10.0.0.0/8",
                                                              "set by hand") "</ipPermissions>"))),
        FAILS(ERROR_DOC("Unexpected", "no second request expected")));
    run_ok(f->runtime,
           "local declared = { protocol = 'tcp', port = 80, cidr = '10.0.0.18/8',\n"
           "  description = 'web traffic' }\n"
           "local r = sg.ensure(web{ ingress = { declared },\n"
           "  egress = { { protocol = -1, cidr = '0.0.0.0/0' } } })\n"
           "expect(r, { group_id = SG, name = 'web', vpc_id = VPC, created = false,\n"
           "  ingress_added = {}, egress_added = {}, ingress_removed = {}, egress_removed = {},"
           "  tags_set = {}, unchanged = true })\n");
    assert_int_equal(f->fake.calls, 1);
    assert_request(f, 0, FIND_GROUP);
    assert_logged(f, "1 unchanged web (" SG_ID ", " VPC_ID "): already as declared\n");
    fixture_free(f);
}

/* ---- tags and description of an existing group ---- */

static void test_missing_tag_is_set(void **state)
{
    (void)state;
    struct fixture *f =
        FIXTURE("us-east-1",
                OK(DESCRIBE_GROUPS(GROUP(
                    "web servers", "<tagSet>" TAG("Team", "web") TAG("Name", "web") "</tagSet>",
                    "<ipPermissions>" HTTP_PERMISSION "</ipPermissions>"))),
                OK(TAGS_CREATED), FAILS(ERROR_DOC("Unexpected", "no third request expected")));
    run_ok(f->runtime,
           "local r = sg.ensure(web{ tags = { Team = 'web', Env = 'dev' } })\n"
           "expect(r, { group_id = SG, name = 'web', vpc_id = VPC, created = false,\n"
           "  ingress_added = {}, egress_added = {}, ingress_removed = {}, egress_removed = {},"
           "  tags_set = { Env = 'dev' },\n"
           "  unchanged = false })\n");
    assert_int_equal(f->fake.calls, 2);
    assert_request(f, 0, FIND_GROUP);
    assert_request(f, 1,
                   "Action=CreateTags&Version=2016-11-15&ResourceId.1=" SG_ID
                   "&Tag.1.Key=Env&Tag.1.Value=dev");
    assert_logged(f, "1 updated web (" SG_ID ", " VPC_ID "): tags updated\n");
    assert_null(strstr(f->log.text, "\n2 ")); /* no warning */
    fixture_free(f);
}

static void test_other_description_is_a_warning(void **state)
{
    (void)state;
    struct fixture *f =
        FIXTURE("us-east-1",
                OK(DESCRIBE_GROUPS(GROUP("old servers", NAME_TAG_ONLY,
                                         "<ipPermissions>" HTTP_PERMISSION "</ipPermissions>"))),
                FAILS(ERROR_DOC("Unexpected", "no second request expected")));
    run_ok(f->runtime,
           "local r = sg.ensure(web())\n"
           "expect(r, { group_id = SG, name = 'web', vpc_id = VPC, created = false,\n"
           "  ingress_added = {}, egress_added = {}, ingress_removed = {}, egress_removed = {},"
           "  tags_set = {}, unchanged = true })\n");
    assert_int_equal(f->fake.calls, 1);
    assert_request(f, 0, FIND_GROUP);
    assert_logged(f, "\n2 web (" SG_ID "): its description is 'old servers', not 'web servers'; "
                     "AWS cannot change a group's description (delete and recreate the group to "
                     "change it)\n");
    fixture_free(f);
}

/* ---- vpc.find ---- */

static void test_vpc_find_none(void **state)
{
    (void)state;
    struct fixture *f = FIXTURE("eu-west-1", OK(NO_VPCS));
    run_ok(f->runtime, "local ok, err = pcall(function() local v = vpc.find{ name = 'app-vpc' } "
                       "return v end)\n"
                       "expect(ok, false)\n"
                       "expect(err, \"t:1: no VPC named 'app-vpc' in region eu-west-1: create it "
                       "first, or pass --var vpc_id=vpc-... to use another VPC\")\n");
    assert_int_equal(f->fake.calls, 1);
    assert_request(f, 0, FIND_VPC);
    assert_non_null(strstr(f->fake.headers[0], "/eu-west-1/ec2/aws4_request"));
    fixture_free(f);
}

static void test_vpc_find_two(void **state)
{
    (void)state;
    struct fixture *f = FIXTURE(
        "eu-west-1", OK(DESCRIBE_VPCS(VPC("vpc-0bbbbbbbbbbbbbbbb") VPC("vpc-0aaaaaaaaaaaaaaaa"))));
    run_ok(f->runtime, "local ok, err = pcall(function() local v = vpc.find{ name = 'app-vpc' } "
                       "return v end)\n"
                       "expect(ok, false)\n"
                       "expect(err, \"t:1: 2 VPCs are named 'app-vpc' in region eu-west-1 "
                       "(vpc-0aaaaaaaaaaaaaaaa, vpc-0bbbbbbbbbbbbbbbb): rename all but one, or "
                       "pass --var vpc_id=... to choose\")\n");
    assert_int_equal(f->fake.calls, 1);
    assert_request(f, 0, FIND_VPC);
    fixture_free(f);
}

static void test_vpc_find_one(void **state)
{
    (void)state;
    struct fixture *f = FIXTURE("eu-west-1", OK(DESCRIBE_VPCS(VPC(VPC_ID))));
    run_ok(f->runtime,
           "expect(vpc.find{ name = 'app-vpc' }, { vpc_id = VPC, cidr = '10.0.0.0/16',\n"
           "  state = 'available', is_default = false, owner_id = '" ACCOUNT "',\n"
           "  tags = { Name = 'app-vpc' } })\n");
    assert_int_equal(f->fake.calls, 1);
    assert_request(f, 0, FIND_VPC);
    fixture_free(f);
}

/* ---- argument errors: the field path, and nothing sent ---- */

struct bad_case {
    const char *call;    /* a Lua expression, on line 1 */
    const char *message; /* the whole message, position included */
};

static void run_bad_case(void **state)
{
    const struct bad_case *c = *state;
    struct fixture *f = FIXTURE("us-east-1", OK(NO_GROUPS));
    assert_int_equal(kumo_runtime_set_var(f->runtime, "expected", c->message), KUMO_OK);
    char script[2048];
    /* on line 1 of chunk "t", and not a tail call, so the message starts
     * with "t:1: " */
    snprintf(script, sizeof script,
             "local ok, err = pcall(function() local r = %s return r end)\n"
             "expect(ok, false, 'raised')\n"
             "expect(err, kumo.vars.expected, 'message')\n",
             c->call);
    run_ok(f->runtime, script);
    assert_int_equal(f->fake.calls, 0);
    fixture_free(f);
}

static const struct bad_case bad_not_a_table = {
    "sg.ensure('web')", "t:1: sg.ensure: a table of settings expected, got string"};
static const struct bad_case bad_unknown_field = {"sg.ensure(web{ nmae = 'web' })",
                                                  "t:1: sg.ensure: nmae: unknown field"};
static const struct bad_case bad_missing_vpc_id = {
    "sg.ensure{ name = 'web', description = 'web servers', ingress = { R80 } }",
    "t:1: sg.ensure: vpc_id: string expected, got nil"};
static const struct bad_case bad_field_type = {
    "sg.ensure(web{ vpc_id = 7 })", "t:1: sg.ensure: vpc_id: string expected, got number"};
static const struct bad_case bad_rule_port = {
    "sg.ensure(web{ ingress = { R80, { protocol = 'tcp', port = 70000, cidr = '0.0.0.0/0' } } })",
    "t:1: sg.ensure: ingress[2].port: must be between 0 and 65535, got 70000"};
static const struct bad_case bad_rule_field = {
    "sg.ensure(web{ egress = { { protcol = 'tcp', port = 1, cidr = '0.0.0.0/0' } } })",
    "t:1: sg.ensure: egress[1].protcol: unknown field"};
static const struct bad_case bad_duplicate_rule = {
    "sg.ensure(web{ ingress = { R80, { protocol = 6, from_port = 80, to_port = 80,"
    " cidr = '0.0.0.1/0' } } })",
    "t:1: sg.ensure: ingress[2]: the same rule as ingress[1]"};
static const struct bad_case bad_rules_not_list = {
    "sg.ensure(web{ ingress = { web = R80 } })",
    "t:1: sg.ensure: ingress: a list of rules expected (key web is not a list index)"};
static const struct bad_case bad_tags = {
    "sg.ensure(web{ tags = { Env = 1 } })",
    "t:1: sg.ensure: tags: string keys and string values expected"};
static const struct bad_case bad_vpc_unknown_field = {"vpc.find{ nmae = 'app-vpc' }",
                                                      "t:1: vpc.find: nmae: unknown field"};
static const struct bad_case bad_vpc_missing_name = {
    "vpc.find{}", "t:1: vpc.find: name: string expected, got nil"};

#define TEST(name)                                                                                 \
    {                                                                                              \
#name, test_##name, NULL, NULL, NULL                                                       \
    }
#define BAD(name)                                                                                  \
    {                                                                                              \
        "invalid." #name, run_bad_case, NULL, NULL, (void *)&bad_##name                            \
    }

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        TEST(not_found_after_create_is_retried),
        TEST(not_found_after_create_gives_up),
        TEST(not_found_on_existing_group_is_not_retried),
        TEST(group_duplicate_looks_again),
        TEST(group_duplicate_but_not_found_again),
        TEST(permission_duplicate_converged),
        TEST(permission_duplicate_adds_the_rest),
        TEST(canonical_comparison),
        TEST(missing_tag_is_set),
        TEST(other_description_is_a_warning),
        TEST(vpc_find_none),
        TEST(vpc_find_two),
        TEST(vpc_find_one),
        BAD(not_a_table),
        BAD(unknown_field),
        BAD(missing_vpc_id),
        BAD(field_type),
        BAD(rule_port),
        BAD(rule_field),
        BAD(duplicate_rule),
        BAD(rules_not_list),
        BAD(tags),
        BAD(vpc_unknown_field),
        BAD(vpc_missing_name),
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
    return cmocka_run_group_tests_name("sg_ensure", tests, NULL, NULL);
}
