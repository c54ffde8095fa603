/*
 * test_sandbox.c - the offline EC2 (runtime/sandbox) driven through
 * kumo_sandbox_send with requests signed by kumo's own signer: signature,
 * key and clock checks, every action's happy path and EC2's error codes,
 * real-EC2 behaviour moto lacks (DependencyViolation, pagination, DryRun 412,
 * canonical CIDRs, duplicates whatever the description, the 60-rule quota),
 * the state file (round trip, corrupt files untouched, atomic save), and one
 * end-to-end run of the typed Lua bindings over the sandbox transport.
 * Run with a test name to run one test (ctest: unit.sandbox.NAME).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aws/http.h"
#include "aws/sigv4.h"
#include "fake_transport.h"
#include "kumo.h"
#include "sandbox/sandbox.h"

#define HOST "ec2.us-east-1.amazonaws.com"
#define FORM "application/x-www-form-urlencoded; charset=utf-8"

static int64_t clock_ms = TEST_NOW_MS;

static int64_t sandbox_clock(void *unused)
{
    (void)unused;
    return clock_ms;
}

struct answer {
    long status;
    char *body;
};

struct signing {
    const char *key;
    const char *secret;
    const char *region;
    int64_t skew_seconds;
    int tamper_body; /* change the body after signing */
    int no_auth;
};

static struct answer send_signed(struct kumo_sandbox *sb, const struct signing *how,
                                 const char *body)
{
    struct kumo_http_header to_sign[] = {{"Content-Type", FORM}, {"Host", HOST}};
    struct kumo_sigv4_input input = {
        .method = "POST",
        .path = "/",
        .query = "",
        .headers = to_sign,
        .header_count = 2,
        .payload = body,
        .payload_length = strlen(body),
        .access_key_id = how && how->key ? how->key : KUMO_SANDBOX_ACCESS_KEY_ID,
        .secret_access_key = how && how->secret ? how->secret : KUMO_SANDBOX_SECRET_ACCESS_KEY,
        .region = how && how->region ? how->region : "us-east-1",
        .service = "ec2",
        .unix_seconds = clock_ms / 1000 + (how ? how->skew_seconds : 0),
        .normalize_path = true,
    };
    struct kumo_sigv4_output out = {0};
    assert_int_equal(kumo_sigv4_sign(&input, &out), 0);
    struct kumo_http_header headers[6];
    size_t n = 0;
    headers[n++] = (struct kumo_http_header){"Host", HOST};
    headers[n++] = (struct kumo_http_header){"Content-Type", FORM};
    headers[n++] = (struct kumo_http_header){"X-Amz-Date", out.amz_date};
    if (!how || !how->no_auth)
        headers[n++] = (struct kumo_http_header){"Authorization", out.authorization};
    headers[n++] = (struct kumo_http_header){"User-Agent", "kumo-test"};
    char *sent = strdup(body);
    if (how && how->tamper_body)
        sent[strlen(sent) - 1] ^= 1;
    struct kumo_http_request request = {.method = "POST",
                                        .url = "https://" HOST "/",
                                        .headers = headers,
                                        .header_count = n,
                                        .body = sent,
                                        .body_length = strlen(sent)};
    struct kumo_http_response response;
    kumo_http_response_init(&response, 0);
    char error[256] = "";
    assert_int_equal(kumo_sandbox_send(sb, &request, &response, error, sizeof error),
                     KUMO_TRANSPORT_OK);
    struct answer a = {response.status, strdup(kumo_strbuf_cstr(&response.body))};
    kumo_http_response_clear(&response);
    kumo_sigv4_output_clear(&out);
    free(sent);
    return a;
}

/* Sends "Action=...&Version=2016-11-15&<params>" signed correctly. */
static struct answer call(struct kumo_sandbox *sb, const char *action, const char *format, ...)
{
    char params[65536] = "";
    if (format) {
        va_list args;
        va_start(args, format);
        vsnprintf(params, sizeof params, format, args);
        va_end(args);
    }
    char body[70000];
    snprintf(body, sizeof body, "Action=%s&Version=2016-11-15%s%s", action, *params ? "&" : "",
             params);
    return send_signed(sb, NULL, body);
}

static void expect_error(struct answer a, long status, const char *code)
{
    char want[256];
    snprintf(want, sizeof want, "<Code>%s</Code>", code);
    if (a.status != status || !strstr(a.body, want) || !strstr(a.body, "<RequestID>"))
        fail_msg("expected %ld %s, got %ld: %s", status, code, a.status, a.body);
    free(a.body);
}

static char *expect_ok(struct answer a)
{
    if (a.status != 200 || !strstr(a.body, "xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"") ||
        !strstr(a.body, "<requestId>"))
        fail_msg("expected 200, got %ld: %s", a.status, a.body);
    return a.body;
}

static void ok(struct answer a)
{
    free(expect_ok(a));
}

/* The text of the first <name> element at or after `from`, into out. */
static const char *text_of(const char *from, const char *name, char *out, size_t size)
{
    char open[128], close[128];
    snprintf(open, sizeof open, "<%s>", name);
    snprintf(close, sizeof close, "</%s>", name);
    const char *start = strstr(from, open);
    assert_non_null(start);
    start += strlen(open);
    const char *end = strstr(start, close);
    assert_non_null(end);
    snprintf(out, size, "%.*s", (int)(end - start), start);
    return end;
}

static size_t count_of(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static struct kumo_sandbox *new_sandbox(void)
{
    char err[512] = "";
    struct kumo_sandbox *sb = kumo_sandbox_new(NULL, sandbox_clock, NULL, err, sizeof err);
    if (!sb)
        fail_msg("kumo_sandbox_new: %s", err);
    return sb;
}

static void default_vpc_id(struct kumo_sandbox *sb, char out[64])
{
    char *body =
        expect_ok(call(sb, "DescribeVpcs", "Filter.1.Name=is-default&Filter.1.Value.1=true"));
    text_of(body, "vpcId", out, 64);
    free(body);
}

static void create_group(struct kumo_sandbox *sb, const char *vpc, const char *name, char out[64])
{
    char *body = expect_ok(call(sb, "CreateSecurityGroup",
                                "GroupName=%s&GroupDescription=test+group&VpcId=%s", name, vpc));
    text_of(body, "groupId", out, 64);
    free(body);
}

/* ---- request checks ---- */

static void test_signature_checks(void **state)
{
    (void)state;
    struct kumo_sandbox *sb = new_sandbox();
    const char *body = "Action=DescribeVpcs&Version=2016-11-15";
    ok(send_signed(sb, NULL, body));
    struct signing wrong_secret = {.secret = "not-the-secret"};
    expect_error(send_signed(sb, &wrong_secret, body), 401, "AuthFailure");
    struct signing wrong_key = {.key = "AKIAOTHERKEY00000000"};
    expect_error(send_signed(sb, &wrong_key, body), 401, "AuthFailure");
    struct signing stale = {.skew_seconds = -16 * 60};
    expect_error(send_signed(sb, &stale, body), 400, "RequestExpired");
    struct signing future = {.skew_seconds = 16 * 60};
    expect_error(send_signed(sb, &future, body), 400, "RequestExpired");
    struct signing slightly_off = {.skew_seconds = -14 * 60};
    ok(send_signed(sb, &slightly_off, body));
    struct signing tampered = {.tamper_body = 1};
    expect_error(send_signed(sb, &tampered, body), 401, "AuthFailure");
    struct signing none = {.no_auth = 1};
    expect_error(send_signed(sb, &none, body), 401, "MissingAuthenticationToken");
    expect_error(call(sb, "RunInstances", NULL), 400, "InvalidAction");
    expect_error(send_signed(sb, NULL, "Action=DescribeVpcs&Version=2014-01-01"), 400,
                 "NoSuchVersion");
    kumo_sandbox_free(sb);
}

static void test_regions_are_separate(void **state)
{
    (void)state;
    struct kumo_sandbox *sb = new_sandbox();
    char east[64], west[64], id[64];
    default_vpc_id(sb, east);
    create_group(sb, east, "only-east", id);
    struct signing in_west = {.region = "eu-west-1"};
    char *body =
        expect_ok(send_signed(sb, &in_west,
                              "Action=DescribeVpcs&Version=2016-11-15&Filter.1.Name=is-default"
                              "&Filter.1.Value.1=true"));
    text_of(body, "vpcId", west, sizeof west);
    free(body);
    assert_string_not_equal(east, west);
    char params[128];
    snprintf(params, sizeof params, "Action=DescribeSecurityGroups&Version=2016-11-15&GroupId.1=%s",
             id);
    expect_error(send_signed(sb, &in_west, params), 400, "InvalidGroup.NotFound");
    kumo_sandbox_free(sb);
}

/* ---- VPCs ---- */

static void test_default_vpc_and_default_group(void **state)
{
    (void)state;
    struct kumo_sandbox *sb = new_sandbox();
    char *body = expect_ok(call(sb, "DescribeVpcs", NULL));
    assert_non_null(strstr(body, "<cidrBlock>172.31.0.0/16</cidrBlock>"));
    assert_non_null(strstr(body, "<isDefault>true</isDefault>"));
    char vpc[64], text[128];
    text_of(body, "vpcId", vpc, sizeof vpc);
    assert_true(strlen(vpc) == 4 + 17);
    free(body);
    body = expect_ok(
        call(sb, "DescribeSecurityGroups", "Filter.1.Name=vpc-id&Filter.1.Value.1=%s", vpc));
    text_of(body, "groupName", text, sizeof text);
    assert_string_equal(text, "default");
    char group[64];
    text_of(body, "groupId", group, sizeof group);
    /* inbound: all traffic from the group itself; outbound: all to 0.0.0.0/0 */
    const char *in = strstr(body, "<ipPermissions>");
    const char *out = strstr(body, "<ipPermissionsEgress>");
    assert_non_null(in);
    assert_non_null(out);
    text_of(in, "groupId", text, sizeof text);
    assert_string_equal(text, group);
    text_of(out, "cidrIp", text, sizeof text);
    assert_string_equal(text, "0.0.0.0/0");
    assert_null(strstr(body, "<fromPort>"));
    free(body);
    kumo_sandbox_free(sb);
}

static void test_vpc_lifecycle(void **state)
{
    (void)state;
    struct kumo_sandbox *sb = new_sandbox();
    expect_error(call(sb, "CreateVpc", NULL), 400, "MissingParameter");
    expect_error(call(sb, "CreateVpc", "CidrBlock=10.0.0.0%%2F8"), 400, "InvalidVpc.Range");
    expect_error(call(sb, "CreateVpc", "CidrBlock=10.0.0.0%%2F99"), 400, "InvalidParameterValue");
    expect_error(call(sb, "CreateVpc", "CidrBlock=10.0.0.0%%2F16&DryRun=true"), 412,
                 "DryRunOperation");
    char *body = expect_ok(call(sb, "CreateVpc",
                                "CidrBlock=10.1.0.0%%2F16&TagSpecification.1.ResourceType=vpc"
                                "&TagSpecification.1.Tag.1.Key=Name"
                                "&TagSpecification.1.Tag.1.Value=my-vpc"));
    char vpc[64], group[64];
    text_of(body, "vpcId", vpc, sizeof vpc);
    assert_non_null(strstr(body, "<key>Name</key><value>my-vpc</value>"));
    free(body);
    body = expect_ok(call(sb, "DescribeVpcs", "Filter.1.Name=tag%%3AName&Filter.1.Value.1=my-*"));
    assert_int_equal(count_of(body, "<vpcId>"), 1);
    assert_non_null(strstr(body, vpc));
    free(body);
    /* the new VPC's default group */
    body = expect_ok(call(sb, "DescribeSecurityGroups",
                          "Filter.1.Name=vpc-id&Filter.1.Value.1=%s&Filter.2.Name=group-name"
                          "&Filter.2.Value.1=default",
                          vpc));
    assert_int_equal(count_of(body, "<groupName>default</groupName>"), 1);
    free(body);
    create_group(sb, vpc, "blocker", group);
    expect_error(call(sb, "DeleteVpc", "VpcId=%s", vpc), 400, "DependencyViolation");
    ok(call(sb, "DeleteSecurityGroup", "GroupId=%s", group));
    expect_error(call(sb, "DeleteVpc", "VpcId=%s&DryRun=true", vpc), 412, "DryRunOperation");
    ok(call(sb, "DeleteVpc", "VpcId=%s", vpc));
    expect_error(call(sb, "DeleteVpc", "VpcId=%s", vpc), 400, "InvalidVpcID.NotFound");
    expect_error(call(sb, "DescribeVpcs", "VpcId.1=%s", vpc), 400, "InvalidVpcID.NotFound");
    kumo_sandbox_free(sb);
}

/* ---- security groups ---- */

static void test_create_security_group(void **state)
{
    (void)state;
    struct kumo_sandbox *sb = new_sandbox();
    char vpc[64], id[64], text[256];
    default_vpc_id(sb, vpc);
    char *body = expect_ok(call(sb, "CreateSecurityGroup",
                                "GroupName=web&GroupDescription=ECS+backend%%3A+HTTP&VpcId=%s"
                                "&TagSpecification.1.ResourceType=security-group"
                                "&TagSpecification.1.Tag.1.Key=Name"
                                "&TagSpecification.1.Tag.1.Value=web",
                                vpc));
    text_of(body, "groupId", id, sizeof id);
    text_of(body, "securityGroupArn", text, sizeof text);
    char arn[256];
    snprintf(arn, sizeof arn, "arn:aws:ec2:us-east-1:%s:security-group/%s", KUMO_SANDBOX_ACCOUNT_ID,
             id);
    assert_string_equal(text, arn);
    free(body);
    body = expect_ok(call(sb, "DescribeSecurityGroups", "GroupId.1=%s", id));
    text_of(body, "groupDescription", text, sizeof text);
    assert_string_equal(text, "ECS backend: HTTP");
    assert_null(strstr(body, "<ipPermissions><item>")); /* no inbound rule */
    assert_non_null(strstr(body, "<ipPermissions/>"));
    text_of(strstr(body, "<ipPermissionsEgress>"), "cidrIp", text, sizeof text);
    assert_string_equal(text, "0.0.0.0/0"); /* the default outbound rule */
    assert_non_null(strstr(body, "<key>Name</key><value>web</value>"));
    free(body);
    /* without VpcId: the default VPC, so the same name is a duplicate */
    expect_error(call(sb, "CreateSecurityGroup", "GroupName=web&GroupDescription=again"), 400,
                 "InvalidGroup.Duplicate");
    expect_error(call(sb, "CreateSecurityGroup", "GroupName=sg-web&GroupDescription=x"), 400,
                 "InvalidParameterValue");
    expect_error(call(sb, "CreateSecurityGroup", "GroupName=x&GroupDescription=caf%%C3%%A9"), 400,
                 "InvalidParameterValue");
    expect_error(call(sb, "CreateSecurityGroup", "GroupName=x"), 400, "MissingParameter");
    expect_error(call(sb, "CreateSecurityGroup",
                      "GroupName=x&GroupDescription=y&VpcId=vpc-0123456789abcdef0"),
                 400, "InvalidVpcID.NotFound");
    expect_error(call(sb, "DescribeSecurityGroups", "GroupId.1=sg-0123456789abcdef0"), 400,
                 "InvalidGroup.NotFound");
    kumo_sandbox_free(sb);
}

static void test_delete_security_group(void **state)
{
    (void)state;
    struct kumo_sandbox *sb = new_sandbox();
    char vpc[64], ecs[64], rds[64], def[64];
    default_vpc_id(sb, vpc);
    create_group(sb, vpc, "ecs", ecs);
    create_group(sb, vpc, "rds", rds);
    ok(call(sb, "AuthorizeSecurityGroupIngress",
            "GroupId=%s&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=3306"
            "&IpPermissions.1.ToPort=3306&IpPermissions.1.Groups.1.GroupId=%s",
            rds, ecs));
    struct answer a = call(sb, "DeleteSecurityGroup", "GroupId=%s", ecs);
    assert_non_null(strstr(a.body, rds)); /* names the referencing group */
    expect_error(a, 400, "DependencyViolation");
    char *body = expect_ok(call(sb, "DescribeSecurityGroups",
                                "Filter.1.Name=group-name&Filter.1.Value.1=default"
                                "&Filter.2.Name=vpc-id&Filter.2.Value.1=%s",
                                vpc));
    text_of(body, "groupId", def, sizeof def);
    free(body);
    expect_error(call(sb, "DeleteSecurityGroup", "GroupId=%s", def), 400, "CannotDelete");
    expect_error(call(sb, "DeleteSecurityGroup", "GroupId=%s&DryRun=true", rds), 412,
                 "DryRunOperation");
    ok(call(sb, "DeleteSecurityGroup", "GroupId=%s", rds));
    ok(call(sb, "DeleteSecurityGroup", "GroupName=ecs")); /* by name: default VPC */
    expect_error(call(sb, "DeleteSecurityGroup", "GroupId=%s", ecs), 400, "InvalidGroup.NotFound");
    expect_error(call(sb, "DeleteSecurityGroup", NULL), 400, "MissingParameter");
    kumo_sandbox_free(sb);
}

/* ---- rules ---- */

static void test_authorize_and_canonical_cidr(void **state)
{
    (void)state;
    struct kumo_sandbox *sb = new_sandbox();
    char vpc[64], id[64], text[128];
    default_vpc_id(sb, vpc);
    create_group(sb, vpc, "web", id);
    char *body =
        expect_ok(call(sb, "AuthorizeSecurityGroupIngress",
                       "GroupId=%s&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=80"
                       "&IpPermissions.1.ToPort=80&IpPermissions.1.IpRanges.1.CidrIp=10.0.0.18%%2F8"
                       "&IpPermissions.1.IpRanges.1.Description=first"
                       "&IpPermissions.1.Ipv6Ranges.1.CidrIpv6=2001%%3ADB8%%3A0%%3A%%3A1%%2F32"
                       "&TagSpecification.1.ResourceType=security-group-rule"
                       "&TagSpecification.1.Tag.1.Key=Project&TagSpecification.1.Tag.1.Value=kumo",
                       id));
    assert_non_null(strstr(body, "<return>true</return>"));
    assert_int_equal(count_of(body, "<securityGroupRuleId>sgr-"), 2);
    text_of(body, "cidrIpv4", text, sizeof text);
    assert_string_equal(text, "10.0.0.0/8");
    text_of(body, "cidrIpv6", text, sizeof text);
    assert_string_equal(text, "2001:db8::/32");
    assert_int_equal(count_of(body, "<key>Project</key>"), 2);
    free(body);
    /* the same rule with another description, and the canonical spelling */
    expect_error(call(sb, "AuthorizeSecurityGroupIngress",
                      "GroupId=%s&IpPermissions.1.IpProtocol=6&IpPermissions.1.FromPort=80"
                      "&IpPermissions.1.ToPort=80&IpPermissions.1.IpRanges.1.CidrIp=10.0.0.0%%2F8"
                      "&IpPermissions.1.IpRanges.1.Description=other",
                      id),
                 400, "InvalidPermission.Duplicate");
    /* a duplicate anywhere in the call rejects the whole call */
    expect_error(call(sb, "AuthorizeSecurityGroupIngress",
                      "GroupId=%s&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=443"
                      "&IpPermissions.1.ToPort=443&IpPermissions.1.IpRanges.1.CidrIp=1.2.3.4%%2F32"
                      "&IpPermissions.2.IpProtocol=tcp&IpPermissions.2.FromPort=80"
                      "&IpPermissions.2.ToPort=80&IpPermissions.2.IpRanges.1.CidrIp=10.1.1.1%%2F8",
                      id),
                 400, "InvalidPermission.Duplicate");
    body = expect_ok(call(sb, "DescribeSecurityGroupRules",
                          "Filter.1.Name=group-id"
                          "&Filter.1.Value.1=%s",
                          id));
    assert_int_equal(count_of(body, "<securityGroupRuleId>"), 3); /* 2 + default egress */
    assert_null(strstr(body, "1.2.3.4"));
    free(body);
    /* a group reference: duplicate whatever the description */
    char other[64];
    create_group(sb, vpc, "other", other);
    ok(call(sb, "AuthorizeSecurityGroupIngress",
            "GroupId=%s&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=3306"
            "&IpPermissions.1.ToPort=3306&IpPermissions.1.Groups.1.GroupId=%s"
            "&IpPermissions.1.Groups.1.Description=MySQL",
            id, other));
    expect_error(call(sb, "AuthorizeSecurityGroupIngress",
                      "GroupId=%s&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=3306"
                      "&IpPermissions.1.ToPort=3306&IpPermissions.1.Groups.1.GroupId=%s",
                      id, other),
                 400, "InvalidPermission.Duplicate");
    expect_error(call(sb, "AuthorizeSecurityGroupIngress",
                      "GroupId=%s&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=1"
                      "&IpPermissions.1.ToPort=1&IpPermissions.1.Groups.1.GroupId="
                      "sg-0123456789abcdef0",
                      id),
                 400, "InvalidGroup.NotFound");
    expect_error(call(sb, "AuthorizeSecurityGroupIngress",
                      "GroupId=%s&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=1"
                      "&IpPermissions.1.ToPort=1&IpPermissions.1.IpRanges.1.CidrIp=0.0.0.0%%2F99",
                      id),
                 400, "InvalidParameterValue");
    expect_error(call(sb, "AuthorizeSecurityGroupIngress",
                      "GroupId=%s&IpPermissions.1.IpProtocol=bogus"
                      "&IpPermissions.1.IpRanges.1.CidrIp=1.1.1.1%%2F32",
                      id),
                 400, "InvalidParameterValue");
    expect_error(call(sb, "AuthorizeSecurityGroupIngress",
                      "GroupId=%s&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=90"
                      "&IpPermissions.1.ToPort=80&IpPermissions.1.IpRanges.1.CidrIp=1.1.1.1%%2F32",
                      id),
                 400, "InvalidParameterValue");
    expect_error(call(sb, "AuthorizeSecurityGroupIngress",
                      "GroupId=sg-0123456789abcdef0&IpPermissions.1.IpProtocol=-1"
                      "&IpPermissions.1.IpRanges.1.CidrIp=1.1.1.1%%2F32"),
                 400, "InvalidGroup.NotFound");
    /* describe shows -1 without ports, and the egress prefix list */
    ok(call(sb, "AuthorizeSecurityGroupEgress",
            "GroupId=%s&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=443"
            "&IpPermissions.1.ToPort=443&IpPermissions.1.PrefixListIds.1.PrefixListId=pl-63a5400a",
            id));
    body = expect_ok(call(sb, "DescribeSecurityGroups", "GroupId.1=%s", id));
    assert_non_null(strstr(body, "<prefixListId>pl-63a5400a</prefixListId>"));
    assert_non_null(strstr(body, "<ipProtocol>-1</ipProtocol><ipRanges>"));
    free(body);
    kumo_sandbox_free(sb);
}

static void test_rule_quota(void **state)
{
    (void)state;
    struct kumo_sandbox *sb = new_sandbox();
    char vpc[64], id[64];
    default_vpc_id(sb, vpc);
    create_group(sb, vpc, "many", id);
    char params[16384];
    int n = snprintf(params, sizeof params,
                     "GroupId=%s&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=22"
                     "&IpPermissions.1.ToPort=22",
                     id);
    for (int i = 1; i <= 61; i++)
        n += snprintf(params + n, sizeof params - (size_t)n,
                      "&IpPermissions.1.IpRanges.%d.CidrIp=10.%d.0.0%%2F16", i, i);
    expect_error(call(sb, "AuthorizeSecurityGroupIngress", "%s", params), 400,
                 "RulesPerSecurityGroupLimitExceeded");
    char *body = expect_ok(
        call(sb, "DescribeSecurityGroupRules", "Filter.1.Name=group-id&Filter.1.Value.1=%s", id));
    assert_int_equal(count_of(body, "<securityGroupRuleId>"), 1); /* nothing added */
    free(body);
    /* 60 inbound fit (the outbound default rule counts on its own side) */
    char *cut = strstr(params, "&IpPermissions.1.IpRanges.61.");
    *cut = '\0';
    body = expect_ok(call(sb, "AuthorizeSecurityGroupIngress", "%s", params));
    assert_int_equal(count_of(body, "<securityGroupRuleId>"), 60);
    free(body);
    expect_error(call(sb, "AuthorizeSecurityGroupIngress",
                      "GroupId=%s&IpPermissions.1.IpProtocol=udp&IpPermissions.1.FromPort=53"
                      "&IpPermissions.1.ToPort=53&IpPermissions.1.IpRanges.1.CidrIp=1.1.1.1%%2F32",
                      id),
                 400, "RulesPerSecurityGroupLimitExceeded");
    ok(call(sb, "AuthorizeSecurityGroupEgress",
            "GroupId=%s&IpPermissions.1.IpProtocol=udp&IpPermissions.1.FromPort=53"
            "&IpPermissions.1.ToPort=53&IpPermissions.1.IpRanges.1.CidrIp=1.1.1.1%%2F32",
            id));
    kumo_sandbox_free(sb);
}

static void test_dry_run_changes_nothing(void **state)
{
    (void)state;
    struct kumo_sandbox *sb = new_sandbox();
    char vpc[64], id[64];
    default_vpc_id(sb, vpc);
    create_group(sb, vpc, "web", id);
    char *before = expect_ok(call(sb, "DescribeSecurityGroups", NULL));
    struct answer a = call(sb, "CreateSecurityGroup",
                           "GroupName=dry&GroupDescription=dry&VpcId=%s&DryRun=true", vpc);
    assert_non_null(strstr(a.body, "Request would have succeeded, but DryRun flag is set."));
    expect_error(a, 412, "DryRunOperation");
    expect_error(call(sb, "AuthorizeSecurityGroupIngress",
                      "GroupId=%s&DryRun=true&IpPermissions.1.IpProtocol=tcp"
                      "&IpPermissions.1.FromPort=80&IpPermissions.1.ToPort=80"
                      "&IpPermissions.1.IpRanges.1.CidrIp=0.0.0.0%%2F0",
                      id),
                 412, "DryRunOperation");
    expect_error(
        call(sb, "CreateTags", "ResourceId.1=%s&Tag.1.Key=a&Tag.1.Value=b&DryRun=true", id), 412,
        "DryRunOperation");
    /* validation comes first: a dry run of an invalid call is that error */
    expect_error(
        call(sb, "CreateSecurityGroup", "GroupName=sg-bad&GroupDescription=dry&DryRun=true"), 400,
        "InvalidParameterValue");
    char *after = expect_ok(call(sb, "DescribeSecurityGroups", NULL));
    /* the same document but for the request id */
    size_t prefix = (size_t)(strstr(before, "<requestId>") - before);
    assert_int_equal(prefix, (size_t)(strstr(after, "<requestId>") - after));
    assert_memory_equal(before, after, prefix);
    free(before);
    free(after);
    kumo_sandbox_free(sb);
}

static void test_revoke(void **state)
{
    (void)state;
    struct kumo_sandbox *sb = new_sandbox();
    char vpc[64], id[64], rule[64];
    default_vpc_id(sb, vpc);
    create_group(sb, vpc, "web", id);
    char *body = expect_ok(call(
        sb, "AuthorizeSecurityGroupIngress",
        "GroupId=%s&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=80"
        "&IpPermissions.1.ToPort=80&IpPermissions.1.IpRanges.1.CidrIp=0.0.0.0%%2F0"
        "&IpPermissions.1.IpRanges.1.Description=web&IpPermissions.1.IpRanges.2.CidrIp=10.0.0.0"
        "%%2F8",
        id));
    text_of(body, "securityGroupRuleId", rule, sizeof rule);
    free(body);
    /* one listed rule missing: nothing removed */
    expect_error(call(sb, "RevokeSecurityGroupIngress",
                      "GroupId=%s&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=80"
                      "&IpPermissions.1.ToPort=80&IpPermissions.1.IpRanges.1.CidrIp=10.0.0.0%%2F8"
                      "&IpPermissions.1.IpRanges.2.CidrIp=192.168.0.0%%2F16",
                      id),
                 400, "InvalidPermission.NotFound");
    /* by permission, description ignored, canonical CIDR */
    body = expect_ok(call(sb, "RevokeSecurityGroupIngress",
                          "GroupId=%s&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=80"
                          "&IpPermissions.1.ToPort=80&IpPermissions.1.IpRanges.1.CidrIp=10.9.9.9"
                          "%%2F8",
                          id));
    assert_non_null(strstr(body, "<return>true</return>"));
    free(body);
    expect_error(
        call(sb, "RevokeSecurityGroupEgress", "GroupId=%s&SecurityGroupRuleId.1=%s", id, rule), 400,
        "InvalidSecurityGroupRuleId.NotFound"); /* an ingress rule */
    ok(call(sb, "RevokeSecurityGroupIngress", "GroupId=%s&SecurityGroupRuleId.1=%s", id, rule));
    body = expect_ok(call(sb, "DescribeSecurityGroups", "GroupId.1=%s", id));
    assert_non_null(strstr(body, "<ipPermissions/>"));
    free(body);
    kumo_sandbox_free(sb);
}

/* ---- pagination ---- */

static void test_pagination(void **state)
{
    (void)state;
    struct kumo_sandbox *sb = new_sandbox();
    char *body = expect_ok(call(sb, "CreateVpc", "CidrBlock=10.5.0.0%%2F16"));
    char vpc[64], ids[12][64];
    text_of(body, "vpcId", vpc, sizeof vpc);
    free(body);
    for (int i = 0; i < 11; i++) {
        char name[32];
        snprintf(name, sizeof name, "group-%02d", i);
        create_group(sb, vpc, name, ids[i]);
    }
    /* 11 + the VPC's default group = 12 */
    int seen[12] = {0};
    char token[128] = "";
    int pages = 0, total = 0;
    do {
        body = expect_ok(call(sb, "DescribeSecurityGroups",
                              "Filter.1.Name=vpc-id&Filter.1.Value.1=%s&MaxResults=5%s%s", vpc,
                              *token ? "&NextToken=" : "", token));
        pages++;
        size_t items = count_of(body, "<groupName>");
        assert_true(items <= 5);
        for (const char *p = strstr(body, "<groupName>"); p; p = strstr(p + 1, "<groupName>")) {
            char name[64];
            text_of(p, "groupName", name, sizeof name);
            int index = strcmp(name, "default") == 0 ? 11 : atoi(name + 6);
            seen[index]++;
            total++;
        }
        if (strstr(body, "<nextToken>"))
            text_of(body, "nextToken", token, sizeof token);
        else
            token[0] = '\0';
        free(body);
    } while (*token && pages < 10);
    assert_int_equal(pages, 3);
    assert_int_equal(total, 12);
    for (int i = 0; i < 12; i++)
        assert_int_equal(seen[i], 1);
    expect_error(call(sb, "DescribeSecurityGroups", "MaxResults=5&NextToken=garbage"), 400,
                 "InvalidPaginationToken");
    expect_error(call(sb, "DescribeSecurityGroups", "MaxResults=4"), 400, "InvalidParameterValue");
    expect_error(call(sb, "DescribeSecurityGroups", "MaxResults=5&GroupId.1=%s", ids[0]), 400,
                 "InvalidParameterCombination");
    expect_error(call(sb, "DescribeSecurityGroups", "Filter.1.Name=bogus&Filter.1.Value.1=x"), 400,
                 "InvalidParameterValue");
    /* rules page too: 12 groups' rules (11 egress + default's 2) = 13 */
    int rules = 0;
    token[0] = '\0';
    pages = 0;
    do {
        body = expect_ok(call(sb, "DescribeSecurityGroupRules", "MaxResults=5%s%s",
                              *token ? "&NextToken=" : "", token));
        rules += (int)count_of(body, "<securityGroupRuleId>");
        if (strstr(body, "<nextToken>"))
            text_of(body, "nextToken", token, sizeof token);
        else
            token[0] = '\0';
        free(body);
    } while (*token && ++pages < 20);
    assert_int_equal(rules, 11 + 2 + 2); /* plus the default VPC's default group */
    kumo_sandbox_free(sb);
}

/* ---- tags ---- */

static void test_tags(void **state)
{
    (void)state;
    struct kumo_sandbox *sb = new_sandbox();
    char vpc[64], id[64], rule[64];
    default_vpc_id(sb, vpc);
    create_group(sb, vpc, "web", id);
    char *body = expect_ok(
        call(sb, "DescribeSecurityGroupRules", "Filter.1.Name=group-id&Filter.1.Value.1=%s", id));
    text_of(body, "securityGroupRuleId", rule, sizeof rule);
    free(body);
    ok(call(sb, "CreateTags",
            "ResourceId.1=%s&ResourceId.2=%s&ResourceId.3=%s&Tag.1.Key=Team&Tag.1.Value=web"
            "&Tag.2.Key=Env&Tag.2.Value=dev",
            vpc, id, rule));
    body = expect_ok(call(sb, "DescribeSecurityGroups",
                          "Filter.1.Name=tag%%3ATeam"
                          "&Filter.1.Value.1=web"));
    assert_int_equal(count_of(body, "<groupId>"), 1);
    free(body);
    body = expect_ok(
        call(sb, "DescribeSecurityGroupRules", "Filter.1.Name=tag%%3AEnv&Filter.1.Value.1=dev"));
    assert_int_equal(count_of(body, "<securityGroupRuleId>"), 1);
    free(body);
    /* DeleteTags with a value deletes only on a match */
    ok(call(sb, "DeleteTags", "ResourceId.1=%s&Tag.1.Key=Team&Tag.1.Value=other", id));
    body = expect_ok(call(sb, "DescribeSecurityGroups", "GroupId.1=%s", id));
    assert_non_null(strstr(body, "<key>Team</key>"));
    free(body);
    ok(call(sb, "DeleteTags", "ResourceId.1=%s&Tag.1.Key=Team&Tag.1.Value=web&Tag.2.Key=Env", id));
    body = expect_ok(call(sb, "DescribeSecurityGroups", "GroupId.1=%s", id));
    assert_non_null(strstr(body, "<tagSet/>"));
    free(body);
    body = expect_ok(call(sb, "DescribeVpcs", "Filter.1.Name=tag-key&Filter.1.Value.1=Team"));
    assert_int_equal(count_of(body, "<vpcId>"), 1);
    free(body);
    expect_error(call(sb, "CreateTags", "ResourceId.1=sg-0123456789abcdef0&Tag.1.Key=a"), 400,
                 "InvalidGroup.NotFound");
    expect_error(call(sb, "CreateTags", "ResourceId.1=vpc-0123456789abcdef0&Tag.1.Key=a"), 400,
                 "InvalidVpcID.NotFound");
    expect_error(call(sb, "CreateTags", "ResourceId.1=sgr-0123456789abcdef0&Tag.1.Key=a"), 400,
                 "InvalidSecurityGroupRuleId.NotFound");
    expect_error(call(sb, "CreateTags", "ResourceId.1=%s&Tag.1.Key=aws%%3Ax", id), 400,
                 "InvalidParameterValue");
    expect_error(call(sb, "CreateTags", "ResourceId.1=%s", id), 400, "MissingParameter");
    kumo_sandbox_free(sb);
}

/* ---- state files ---- */

static char tmpdir[256];

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/kumo-test-sandbox-XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
}

static void remove_tmpdir(void)
{
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", tmpdir, e->d_name);
        if (rmdir(path) != 0)
            unlink(path);
    }
    if (d)
        closedir(d);
    rmdir(tmpdir);
}

static char *slurp(const char *path, size_t *length)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buffer[1 << 20];
    size_t n = fread(buffer, 1, sizeof buffer - 1, f);
    fclose(f);
    buffer[n] = '\0';
    if (length)
        *length = n;
    return strdup(buffer);
}

static size_t dir_entries(void)
{
    size_t n = 0;
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    while ((e = readdir(d)))
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

static void test_state_round_trip(void **state)
{
    (void)state;
    make_tmpdir();
    char path[512], copy[512], err[512] = "";
    snprintf(path, sizeof path, "%s/state.json", tmpdir);
    snprintf(copy, sizeof copy, "%s/copy.json", tmpdir);
    struct kumo_sandbox *sb = kumo_sandbox_new(path, sandbox_clock, NULL, err, sizeof err);
    assert_non_null(sb);
    assert_int_equal(kumo_sandbox_dirty(sb), 0);
    char vpc[64], ecs[64], rds[64];
    default_vpc_id(sb, vpc);
    create_group(sb, vpc, "ecs", ecs);
    create_group(sb, vpc, "rds", rds);
    ok(call(sb, "AuthorizeSecurityGroupIngress",
            "GroupId=%s&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=3306"
            "&IpPermissions.1.ToPort=3306&IpPermissions.1.Groups.1.GroupId=%s"
            "&IpPermissions.1.Groups.1.Description=MySQL&IpPermissions.2.IpProtocol=icmp"
            "&IpPermissions.2.FromPort=8&IpPermissions.2.ToPort=-1"
            "&IpPermissions.2.Ipv6Ranges.1.CidrIpv6=%%3A%%3A%%2F0"
            "&TagSpecification.1.ResourceType=security-group-rule"
            "&TagSpecification.1.Tag.1.Key=K&TagSpecification.1.Tag.1.Value=V",
            rds, ecs));
    ok(call(sb, "CreateTags", "ResourceId.1=%s&Tag.1.Key=Name&Tag.1.Value=main", vpc));
    char *before = expect_ok(call(sb, "DescribeSecurityGroups", NULL));
    assert_int_equal(kumo_sandbox_dirty(sb), 1);
    assert_int_equal(kumo_sandbox_save(sb, err, sizeof err), 0);
    assert_int_equal(kumo_sandbox_dirty(sb), 0);
    assert_int_equal(dir_entries(), 1); /* no temporary file left behind */
    kumo_sandbox_free(sb);

    char *saved = slurp(path, NULL);
    assert_non_null(strstr(saved, "\"format\":\t\"kumo-sandbox/1\""));
    assert_non_null(strstr(saved, "\"request_count\":\t6"));
    assert_non_null(strstr(saved, "\"CreateSecurityGroup\":\t2"));

    sb = kumo_sandbox_new(path, sandbox_clock, NULL, err, sizeof err);
    assert_non_null(sb);
    char *after = expect_ok(call(sb, "DescribeSecurityGroups", NULL));
    size_t prefix = (size_t)(strstr(before, "<requestId>") - before);
    assert_int_equal(prefix, (size_t)(strstr(after, "<requestId>") - after));
    assert_memory_equal(before, after, prefix); /* same world, same ids */
    /* new ids continue the counter: no clash with loaded ones */
    char third[64];
    create_group(sb, vpc, "third", third);
    assert_string_not_equal(third, ecs);
    assert_string_not_equal(third, rds);
    kumo_sandbox_free(sb);

    /* load + save without change writes the same bytes */
    sb = kumo_sandbox_new(path, sandbox_clock, NULL, err, sizeof err);
    assert_non_null(sb);
    assert_int_equal(kumo_sandbox_save(sb, err, sizeof err), 0);
    char *again = slurp(path, NULL);
    assert_string_equal(saved, again);
    kumo_sandbox_free(sb);
    free(saved);
    free(again);
    free(before);
    free(after);
    (void)copy;
    remove_tmpdir();
}

static void test_state_missing_file_is_empty_world(void **state)
{
    (void)state;
    make_tmpdir();
    char path[512], err[512] = "";
    snprintf(path, sizeof path, "%s/new.json", tmpdir);
    struct kumo_sandbox *sb = kumo_sandbox_new(path, sandbox_clock, NULL, err, sizeof err);
    assert_non_null(sb);
    assert_int_equal(dir_entries(), 0);
    ok(call(sb, "DescribeVpcs", NULL));
    assert_int_equal(kumo_sandbox_save(sb, err, sizeof err), 0);
    assert_int_equal(dir_entries(), 1);
    kumo_sandbox_free(sb);
    /* memory-only sandboxes save nothing */
    sb = new_sandbox();
    assert_int_equal(kumo_sandbox_save(sb, err, sizeof err), 0);
    kumo_sandbox_free(sb);
    remove_tmpdir();
}

static void test_state_corrupt_files_untouched(void **state)
{
    (void)state;
    static const char *const contents[] = {
        "{ not json",
        "{\"format\": \"something-else/9\"}",
        "[]",
        "",
        "{\"format\": \"kumo-sandbox/1\", \"seed\": \"0000000000000001\", \"counter\": 1, "
        "\"request_count\": 0, \"regions\": {\"us-east-1\": {\"vpcs\": [{\"id\": 5}]}}}",
    };
    static const char *const problems[] = {"not valid JSON", "something-else/9", "object expected",
                                           "not valid JSON", "\"id\": string expected"};
    for (size_t i = 0; i < sizeof contents / sizeof contents[0]; i++) {
        make_tmpdir();
        char path[512], err[512] = "";
        snprintf(path, sizeof path, "%s/bad.json", tmpdir);
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        fputs(contents[i], f);
        fclose(f);
        struct kumo_sandbox *sb = kumo_sandbox_new(path, sandbox_clock, NULL, err, sizeof err);
        assert_null(sb);
        if (!strstr(err, path) || !strstr(err, problems[i]))
            fail_msg("case %zu: unexpected message: %s", i, err);
        char *now = slurp(path, NULL);
        assert_string_equal(now, contents[i]);
        free(now);
        assert_int_equal(dir_entries(), 1);
        remove_tmpdir();
    }
    /* unreadable: a directory where the file should be */
    make_tmpdir();
    char path[512], err[512] = "";
    snprintf(path, sizeof path, "%s/dir.json", tmpdir);
    assert_int_equal(mkdir(path, 0700), 0);
    assert_null(kumo_sandbox_new(path, sandbox_clock, NULL, err, sizeof err));
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "cannot read"));
    remove_tmpdir();
}

static void test_reload_if_changed(void **state)
{
    (void)state;
    make_tmpdir();
    char path[512], err[512] = "";
    snprintf(path, sizeof path, "%s/state.json", tmpdir);
    struct kumo_sandbox *a = kumo_sandbox_new(path, sandbox_clock, NULL, err, sizeof err);
    struct kumo_sandbox *b = kumo_sandbox_new(path, sandbox_clock, NULL, err, sizeof err);
    char vpc[64], id[64];
    default_vpc_id(a, vpc);
    create_group(a, vpc, "from-a", id);
    assert_int_equal(kumo_sandbox_save(a, err, sizeof err), 0);
    assert_int_equal(kumo_sandbox_reload_if_changed(b, err, sizeof err), 0);
    ok(call(b, "DescribeSecurityGroups", "GroupId.1=%s", id));
    /* a corrupt file on disk: error, the world in memory is kept */
    sleep(0);
    FILE *f = fopen(path, "wb");
    fputs("garbage", f);
    fclose(f);
    assert_int_equal(kumo_sandbox_reload_if_changed(b, err, sizeof err), -1);
    ok(call(b, "DescribeSecurityGroups", "GroupId.1=%s", id));
    kumo_sandbox_free(a);
    kumo_sandbox_free(b);
    remove_tmpdir();
}

/* ---- end to end through the public API ---- */

static void test_end_to_end_typed_bindings(void **state)
{
    (void)state;
    clean_aws_environment();
    setenv("AWS_ACCESS_KEY_ID", KUMO_SANDBOX_ACCESS_KEY_ID, 1);
    setenv("AWS_SECRET_ACCESS_KEY", KUMO_SANDBOX_SECRET_ACCESS_KEY, 1);
    struct kumo_sandbox *sb = new_sandbox();
    struct kumo_options options = {0};
    options.region = "us-east-1";
    options.endpoint = "https://ec2.us-east-1.amazonaws.com";
    options.transport = kumo_sandbox_send;
    options.transport_data = sb;
    options.clock = sandbox_clock;
    options.log_level = KUMO_LOG_ERROR;
    struct kumo_error *error = NULL;
    struct kumo_runtime *rt = kumo_runtime_new(&options, &error);
    if (!rt)
        fail_msg("kumo_runtime_new: %s", error && error->message ? error->message : "?");
    char *json = NULL;
    enum kumo_status status = kumo_runtime_run_string(
        rt, "=e2e",
        "local vpc = ec2.describe_vpcs{ filters = { ['is-default'] = 'true' } }[1]\n"
        "local sg = ec2.create_security_group{ name = 'web', description = 'web servers',\n"
        "  vpc_id = vpc.vpc_id, tags = { Name = 'web' } }\n"
        "local r = ec2.authorize_ingress{ group_id = sg.group_id, rules = {\n"
        "  { protocol = 'tcp', port = 80, cidr = '0.0.0.0/0', description = 'HTTP (IPv4)' },\n"
        "  { protocol = 'tcp', port = 80, cidr = '::/0' } } }\n"
        "local ok, err = pcall(ec2.authorize_ingress, { group_id = sg.group_id, rules = {\n"
        "  { protocol = 'tcp', port = 80, cidr = '0.0.0.0/0', description = 'other' } } })\n"
        "local g = ec2.describe_security_groups{ group_ids = { sg.group_id } }[1]\n"
        "return { same = (g.group_id == sg.group_id), added = #r.rules, name = g.name,\n"
        "  tag = g.tags.Name, ingress = #g.ingress, egress = #g.egress, vpc = g.vpc_id == "
        "vpc.vpc_id,\n"
        "  dup = err.code, status = err.http_status }\n",
        &json, &error);
    if (status != KUMO_OK)
        fail_msg("run: %s: %s", error && error->code ? error->code : "",
                 error && error->message ? error->message : "?");
    assert_non_null(strstr(json, "\"same\": true"));
    assert_non_null(strstr(json, "\"added\": 2"));
    assert_non_null(strstr(json, "\"name\": \"web\""));
    assert_non_null(strstr(json, "\"tag\": \"web\""));
    assert_non_null(strstr(json, "\"ingress\": 2"));
    assert_non_null(strstr(json, "\"egress\": 1"));
    assert_non_null(strstr(json, "\"vpc\": true"));
    assert_non_null(strstr(json, "\"dup\": \"InvalidPermission.Duplicate\""));
    assert_non_null(strstr(json, "\"status\": 400"));
    kumo_free(json);
    kumo_runtime_destroy(rt);
    kumo_sandbox_free(sb);
    clean_aws_environment();
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signature_checks),
        cmocka_unit_test(test_regions_are_separate),
        cmocka_unit_test(test_default_vpc_and_default_group),
        cmocka_unit_test(test_vpc_lifecycle),
        cmocka_unit_test(test_create_security_group),
        cmocka_unit_test(test_delete_security_group),
        cmocka_unit_test(test_authorize_and_canonical_cidr),
        cmocka_unit_test(test_rule_quota),
        cmocka_unit_test(test_dry_run_changes_nothing),
        cmocka_unit_test(test_revoke),
        cmocka_unit_test(test_pagination),
        cmocka_unit_test(test_tags),
        cmocka_unit_test(test_state_round_trip),
        cmocka_unit_test(test_state_missing_file_is_empty_world),
        cmocka_unit_test(test_state_corrupt_files_untouched),
        cmocka_unit_test(test_reload_if_changed),
        cmocka_unit_test(test_end_to_end_typed_bindings),
    };
    if (argc > 1) {
        char filter[128];
        snprintf(filter, sizeof filter, "test_%s", argv[1]);
        cmocka_set_test_filter(filter);
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
