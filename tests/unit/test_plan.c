/*
 * test_plan.c - plan, dry-run and destroy runs (runtime/aws/intercept.c,
 * bindings/plan.c, stdlib/kumo/run.lua) over the scripted fake transport:
 * a plan sends only reads and reports placeholder ids as "(known after
 * apply)"; the plan formatter's lines for every kind of change; a dry run
 * sends DryRun=true (never touching a caller's own table) and turns
 * DryRunOperation / UnauthorizedOperation into the report and the error;
 * a destroy's DependencyViolation names the network interfaces (with their
 * descriptions) that still use the group, which the sandbox cannot show.
 *
 * kumo_test_plan [NAME]: all tests, or only the one named (ctest runs each
 * as unit.plan.NAME).
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

#define VPC_ID "vpc-b2658024831d86f3f"
#define SG_ID "sg-0a1b2c3d4e5f60718"
#define XML_DECL "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
#define EC2_NS " xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15\""
#define ERROR_DOC(code, message)                                                                   \
    XML_DECL "<Response" EC2_NS "><Errors><Error><Code>" code "</Code><Message>" message           \
             "</Message></Error></Errors><RequestID>req-error</RequestID></Response>"
#define NO_GROUPS                                                                                  \
    XML_DECL "<DescribeSecurityGroupsResponse" EC2_NS "><securityGroupInfo/>"                      \
             "<requestId>req-describe</requestId></DescribeSecurityGroupsResponse>"
#define TAGGED_GROUP                                                                               \
    XML_DECL "<DescribeSecurityGroupsResponse" EC2_NS "><securityGroupInfo><item><groupId>" SG_ID  \
             "</groupId><groupName>web</groupName><groupDescription>web servers"                   \
             "</groupDescription><vpcId>" VPC_ID "</vpcId><ownerId>123456789012</ownerId>"         \
             "<ipPermissions/><ipPermissionsEgress/><tagSet><item><key>kumo:stack</key><value>"    \
             "default</value></item></tagSet></item></securityGroupInfo>"                          \
             "<requestId>req-describe</requestId></DescribeSecurityGroupsResponse>"
#define ENIS                                                                                       \
    XML_DECL "<DescribeNetworkInterfacesResponse" EC2_NS "><networkInterfaceSet><item>"            \
             "<networkInterfaceId>eni-0123456789abcdef0</networkInterfaceId><description>ELB "     \
             "app/web/50dc6c495c0c9188</description></item></networkInterfaceSet>"                 \
             "<requestId>req-eni</requestId></DescribeNetworkInterfacesResponse>"

#define OK(body)                                                                                   \
    {                                                                                              \
        KUMO_TRANSPORT_OK, 200, body                                                               \
    }
#define FAILS(status, body)                                                                        \
    {                                                                                              \
        KUMO_TRANSPORT_OK, status, body                                                            \
    }

static const char declarations[] =
    "sg = require 'kumo.sg'\n"
    "run = require 'kumo.run'\n"
    "plan = require 'kumo.plan'\n"
    "VPC, SG = '" VPC_ID "', '" SG_ID "'\n"
    "function web()\n"
    "  return { name = 'web', description = 'web servers', vpc_id = VPC, ingress = {\n"
    "    { protocol = 'tcp', port = 80, cidr = '0.0.0.0/0', description = 'HTTP' } } }\n"
    "end\n";

struct fixture {
    struct fake_transport fake;
    struct log_capture log;
    struct kumo_runtime *runtime;
};

static struct fixture *fixture_new(enum kumo_run_mode mode, const struct canned *answers,
                                   size_t count)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    for (size_t i = 0; i < count; i++)
        f->fake.answers[i] = answers[i];
    f->fake.answer_count = count;
    clean_aws_environment();
    set_test_credentials(0);
    struct kumo_options options = {
        .region = "us-east-1",
        .endpoint = "http://127.0.0.1:5000",
        .transport = fake_send,
        .transport_data = &f->fake,
        .clock = fixed_clock,
        .log = capture_log,
        .log_data = &f->log,
        .log_level = KUMO_LOG_DEBUG,
        .run_mode = mode,
    };
    struct kumo_error *error = NULL;
    f->runtime = kumo_runtime_new(&options, &error);
    assert_null(error);
    assert_non_null(f->runtime);
    run_ok(f->runtime, lua_expect_prelude);
    run_ok(f->runtime, declarations);
    return f;
}

#define FIXTURE(mode, ...)                                                                         \
    fixture_new(mode, (const struct canned[]){__VA_ARGS__},                                        \
                sizeof((const struct canned[]){__VA_ARGS__}) / sizeof(struct canned))

static void fixture_free(struct fixture *f)
{
    kumo_runtime_destroy(f->runtime);
    free(f);
}

static void assert_contains(const char *text, const char *part)
{
    if (!strstr(text, part))
        print_error("lacks \"%s\"; it has:\n%s\n", part, text);
    assert_non_null(strstr(text, part));
}

/* Runs `script` (the run's finish included); returns the JSON result or,
 * on failure, NULL with *error set. */
static char *run(struct fixture *f, const char *script, struct kumo_error **error)
{
    char *json = NULL;
    *error = NULL;
    kumo_runtime_run_string(f->runtime, "=t", script, &json, error);
    return json;
}

/* ---- plan ---- */

static void test_plan_sends_only_reads(void **state)
{
    (void)state;
    struct fixture *f = FIXTURE(KUMO_RUN_PLAN, OK(NO_GROUPS));
    struct kumo_error *error;
    char *json = run(f,
                     "local r = sg.ensure(web())\n"
                     "expect(r.group_id, 'sg-00000000000000001', 'placeholder')\n"
                     "expect(plan.is_placeholder(r.group_id), true, 'is_placeholder')\n"
                     "local calls = plan.calls()\n"
                     "expect(#calls, 2, 'calls')\n"
                     "expect(calls[1].action, 'CreateSecurityGroup', 'first')\n"
                     "expect(calls[1].id, r.group_id, 'id')\n"
                     "expect(calls[2].params.GroupId, r.group_id, 'authorize group')\n"
                     "return { id = r.group_id }\n",
                     &error);
    assert_null(error);
    assert_non_null(json);
    assert_int_equal(f->fake.calls, 1);
    assert_contains(f->fake.bodies[0], "Action=DescribeSecurityGroups");
    assert_contains(json, "\"id\": \"(known after apply)\"");
    assert_contains(json, "\"add\": 1");
    assert_contains(f->log.text, "4 + security group web (in " VPC_ID ")\n"
                                 "4     + inbound tcp 80 from 0.0.0.0/0 \"HTTP\"\n"
                                 "4 \n"
                                 "4 Plan: 1 to add, 0 to change, 0 to destroy (rules: 1 to add, "
                                 "0 to remove).\n");
    kumo_free(json);
    fixture_free(f);
}

static void test_plan_formatter(void **state)
{
    (void)state;
    struct fixture *f = FIXTURE(KUMO_RUN_APPLY, OK(NO_GROUPS));
    run_ok(f->runtime,
           "run.name(SG, 'web')\n"
           "local new = plan.placeholder('sg')\n"
           "local lines, changes, summary = run.build_plan{\n"
           "  { action = 'CreateSecurityGroup', id = new, params = { GroupName = 'db',\n"
           "    GroupDescription = 'd', VpcId = VPC } },\n"
           "  { action = 'AuthorizeSecurityGroupIngress', params = { GroupId = new,\n"
           "    IpPermissions = { { IpProtocol = 'tcp', FromPort = 3306, ToPort = 3306,\n"
           "      Groups = { { GroupId = SG, Description = 'MySQL' } } } } } },\n"
           "  { action = 'AuthorizeSecurityGroupEgress', params = { GroupId = new,\n"
           "    IpPermissions = { { IpProtocol = '-1',\n"
           "      PrefixListIds = { { PrefixListId = 'pl-12345678' } } } } } },\n"
           "  { action = 'RevokeSecurityGroupIngress', params = { GroupId = SG,\n"
           "    IpPermissions = { { IpProtocol = 'udp', FromPort = 1000, ToPort = 2000,\n"
           "      Ipv6Ranges = { { CidrIpv6 = '::/0' } } },\n"
           "      { IpProtocol = 'icmp', FromPort = 8, ToPort = -1,\n"
           "        IpRanges = { { CidrIp = '10.0.0.0/8' } } } } } },\n"
           "  { action = 'RevokeSecurityGroupEgress', params = { GroupId = SG,\n"
           "    SecurityGroupRuleId = { 'sgr-0123456789abcdef0' } } },\n"
           "  { action = 'CreateTags', params = { ResourceId = { SG },\n"
           "    Tag = { { Key = 'Env', Value = 'dev' } } } },\n"
           "  { action = 'DeleteSecurityGroup', params = { GroupId = 'sg-0fedcba9876543210' } },\n"
           "  { action = 'ModifyVpcAttribute', params = { VpcId = VPC } },\n"
           "}\n"
           "expect(lines, {\n"
           "  '+ security group db (in " VPC_ID ")',\n"
           "  '    + inbound tcp 3306 from security group web (" SG_ID ") \"MySQL\"',\n"
           "  '    + outbound all traffic to prefix list pl-12345678',\n"
           "  '~ security group web (" SG_ID ")',\n"
           "  '    - inbound udp 1000-2000 from ::/0',\n"
           "  '    - inbound icmp type 8 from 10.0.0.0/8',\n"
           "  '    - outbound rule sgr-0123456789abcdef0',\n"
           "  '    ~ tag Env = \"dev\"',\n"
           "  '- security group sg-0fedcba9876543210',\n"
           "  '~ ModifyVpcAttribute',\n"
           "  '',\n"
           "  'Plan: 1 to add, 2 to change, 1 to destroy (rules: 2 to add, 3 to remove).',\n"
           "}, 'lines')\n"
           "expect(changes[1].id, '(known after apply)', 'id')\n"
           "expect(changes[2].action, 'update', 'update')\n"
           "expect(summary, { add = 1, change = 2, destroy = 1, rules_added = 2,\n"
           "  rules_removed = 3 }, 'summary')\n"
           "local none = run.build_plan{}\n"
           "expect(none, { 'No changes.' }, 'no changes')\n");
    assert_int_equal(f->fake.calls, 0);
    fixture_free(f);
}

/* ---- dry run ---- */

static void test_dry_run_collects_allowed_and_denied(void **state)
{
    (void)state;
    struct fixture *f = FIXTURE(
        KUMO_RUN_DRY_RUN, OK(NO_GROUPS),
        FAILS(412, ERROR_DOC("DryRunOperation", "Request would have succeeded, but DryRun flag "
                                                "is set.")),
        FAILS(403, ERROR_DOC("UnauthorizedOperation",
                             "You are not authorized to perform this operation.")));
    struct kumo_error *error;
    char *json = run(f, "sg.ensure(web())\n", &error);
    assert_null(json);
    assert_non_null(error);
    assert_int_equal(error->status, KUMO_ERROR_AWS);
    assert_string_equal(error->code, "UnauthorizedOperation");
    assert_string_equal(error->message,
                        "dry run: 1 action(s) denied: AuthorizeSecurityGroupIngress");
    assert_int_equal(f->fake.calls, 3);
    assert_contains(f->fake.bodies[1], "Action=CreateSecurityGroup");
    assert_contains(f->fake.bodies[1], "&DryRun=true");
    assert_contains(f->fake.bodies[2], "Action=AuthorizeSecurityGroupIngress");
    assert_contains(f->fake.bodies[2], "&DryRun=true");
    assert_null(strstr(f->fake.bodies[0], "DryRun"));
    assert_contains(f->log.text, "4 Dry run: 1 action(s) allowed, 1 denied.\n"
                                 "4   allowed  CreateSecurityGroup\n"
                                 "4   denied   AuthorizeSecurityGroupIngress: You are not "
                                 "authorized to perform this operation.\n");
    kumo_error_free(error);
    fixture_free(f);
}

static void test_dry_run_leaves_the_callers_table(void **state)
{
    (void)state;
    struct fixture *f =
        FIXTURE(KUMO_RUN_DRY_RUN, FAILS(412, ERROR_DOC("DryRunOperation", "would have succeeded")));
    struct kumo_error *error;
    char *json = run(f,
                     "local p = { GroupId = SG }\n"
                     "local r = ec2.call('DeleteSecurityGroup', p)\n"
                     "expect(p, { GroupId = SG }, 'caller table')\n"
                     "expect(r['return'], 'true', 'synthesized')\n"
                     "ec2.call('ResetEbsDefaultKmsKeyId')\n"
                     "return true\n",
                     &error);
    assert_null(error);
    assert_non_null(json);
    assert_int_equal(f->fake.calls, 2);
    assert_contains(f->fake.bodies[0], "&DryRun=true");
    assert_contains(f->fake.bodies[1],
                    "Action=ResetEbsDefaultKmsKeyId&Version=2016-11-15&DryRun=true");
    kumo_free(json);
    fixture_free(f);
}

/* ---- destroy ---- */

static void test_destroy_dependency_violation_names_interfaces(void **state)
{
    (void)state;
    struct fixture *f = FIXTURE(
        KUMO_RUN_DESTROY, OK(TAGGED_GROUP), OK(NO_GROUPS), OK(NO_GROUPS),
        FAILS(400, ERROR_DOC("DependencyViolation", "resource " SG_ID " has a dependent object")),
        OK(ENIS), OK(NO_GROUPS), OK(NO_GROUPS));
    struct kumo_error *error;
    char *json = run(f, "sg.ensure(web())\n", &error);
    assert_null(json);
    assert_non_null(error);
    assert_string_equal(error->code, "DependencyViolation");
    assert_string_equal(error->message,
                        "cannot delete security group web (" SG_ID "): still used by network "
                        "interface eni-0123456789abcdef0 (\"ELB app/web/50dc6c495c0c9188\")");
    assert_int_equal(f->fake.calls, 7);
    assert_contains(f->fake.bodies[1], "Filter.1.Name=ip-permission.group-id");
    assert_contains(f->fake.bodies[3], "Action=DeleteSecurityGroup");
    assert_contains(f->fake.bodies[4], "Action=DescribeNetworkInterfaces&Version=2016-11-15"
                                       "&Filter.1.Name=group-id&Filter.1.Value.1=" SG_ID);
    kumo_error_free(error);
    fixture_free(f);
}

static void test_destroy_refuses_untagged(void **state)
{
    (void)state;
    struct fixture *f =
        FIXTURE(KUMO_RUN_DESTROY, OK(XML_DECL "<DescribeSecurityGroupsResponse" EC2_NS
                                              "><securityGroupInfo><item><groupId>" SG_ID
                                              "</groupId><groupName>web</groupName><vpcId>" VPC_ID
                                              "</vpcId><tagSet/></item></securityGroupInfo>"
                                              "</DescribeSecurityGroupsResponse>"));
    struct kumo_error *error;
    char *json = run(f, "sg.ensure(web())\n", &error);
    assert_null(json);
    assert_non_null(error);
    assert_string_equal(error->code, "NotManagedByKumo");
    assert_string_equal(error->message,
                        "refusing to destroy security group web (" SG_ID "): it lacks the tag "
                        "kumo:stack=default, so kumo did not create it; run with --force to "
                        "delete it anyway");
    assert_int_equal(f->fake.calls, 1);
    kumo_error_free(error);
    fixture_free(f);
}

#define TEST(name) cmocka_unit_test(test_##name)

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        TEST(plan_sends_only_reads),
        TEST(plan_formatter),
        TEST(dry_run_collects_allowed_and_denied),
        TEST(dry_run_leaves_the_callers_table),
        TEST(destroy_dependency_violation_names_interfaces),
        TEST(destroy_refuses_untagged),
    };
    if (argc > 1) {
        size_t i = 0;
        while (i < sizeof tests / sizeof tests[0] &&
               strcmp(tests[i].name + strlen("test_"), argv[1]) != 0)
            i++;
        if (i == sizeof tests / sizeof tests[0]) {
            fprintf(stderr, "no test named %s\n", argv[1]);
            return 1;
        }
        cmocka_set_test_filter(tests[i].name);
    }
    return cmocka_run_group_tests_name("plan", tests, NULL, NULL);
}
