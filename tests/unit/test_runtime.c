/*
 * test_runtime.c - the embedding API end to end with a scripted transport
 * (a test double behind the transport seam) and a pinned clock: scripts,
 * results as JSON, kumo.Error fields, retries, the exact request sent,
 * configuration errors, log lines, kumo.vars and the stdlib searcher.
 * The transport, clock, log capture and environment helpers are shared
 * (fake_transport.h).
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

static void test_returns_table_as_json(void **state)
{
    (void)state;
    clean_aws_environment();
    struct fake_transport fake = {0};
    struct log_capture log = {{0}};
    struct kumo_runtime *runtime = new_test_runtime(&fake, &log, "us-east-1");
    char *json = NULL;
    struct kumo_error *error = NULL;
    assert_int_equal(
        kumo_runtime_run_string(runtime, "=t", "return { a = 1, b = { 'x', 'y' } }", &json, &error),
        KUMO_OK);
    assert_null(error);
    assert_non_null(strstr(json, "\"a\": 1"));
    assert_non_null(strstr(json, "\"x\""));
    kumo_free(json);
    assert_int_equal(kumo_runtime_run_string(runtime, "=t", "local x = 1", &json, &error), KUMO_OK);
    assert_string_equal(json, "null");
    kumo_free(json);
    assert_int_equal(fake.calls, 0); /* no AWS call, no configuration needed */
    kumo_runtime_destroy(runtime);
}

static void test_script_errors(void **state)
{
    (void)state;
    clean_aws_environment();
    struct fake_transport fake = {0};
    struct log_capture log = {{0}};
    struct kumo_runtime *runtime = new_test_runtime(&fake, &log, "us-east-1");
    struct kumo_error *error = NULL;
    assert_int_equal(kumo_runtime_run_string(runtime, "=broken", "return {", NULL, &error),
                     KUMO_ERROR_SCRIPT);
    assert_non_null(error);
    assert_string_equal(error->kind, "script");
    assert_non_null(strstr(error->message, "broken"));
    kumo_error_free(error);

    assert_int_equal(kumo_runtime_run_string(runtime, "=boom",
                                             "local function f() error('boom') "
                                             "end\nf()",
                                             NULL, &error),
                     KUMO_ERROR_SCRIPT);
    assert_non_null(strstr(error->message, "boom:1: boom"));
    assert_non_null(error->traceback);
    assert_non_null(strstr(error->traceback, "stack traceback"));
    kumo_error_free(error);

    char *json = NULL;
    assert_int_equal(kumo_runtime_run_string(runtime, "=fn", "return { f = print }", &json, &error),
                     KUMO_ERROR_SCRIPT);
    assert_null(json);
    assert_non_null(strstr(error->message, "JSON"));
    kumo_error_free(error);

    assert_int_equal(kumo_runtime_run_file(runtime, "/nonexistent/script.lua", NULL, &error),
                     KUMO_ERROR_USAGE);
    assert_non_null(strstr(error->message, "/nonexistent/script.lua"));
    kumo_error_free(error);
    kumo_runtime_destroy(runtime);
}

static void test_call_signs_and_decodes(void **state)
{
    (void)state;
    clean_aws_environment();
    set_test_credentials(1);
    char *body = read_testdata("ec2-wire/raw/01-DescribeVpcs.response.body");
    struct fake_transport fake = {.answers = {{KUMO_TRANSPORT_OK, 200, body}}, .answer_count = 1};
    struct log_capture log = {{0}};
    struct kumo_runtime *runtime = new_test_runtime(&fake, &log, "eu-west-1");
    char *json = NULL;
    struct kumo_error *error = NULL;
    const char *script =
        "local r = ec2.call('DescribeVpcs', { Filter = { { Name = 'tag:Name', "
        "Value = { 'zenn-clone-vpc' } } } })\n"
        "return { id = r.vpcSet[1].vpcId, n = #r.vpcSet, request_id = r.requestId }";
    assert_int_equal(kumo_runtime_run_string(runtime, "=call", script, &json, &error), KUMO_OK);
    assert_non_null(strstr(json, "\"id\": \"vpc-b2658024831d86f3f\""));
    assert_int_equal(fake.calls, 1);
    assert_string_equal(fake.last_url, "http://127.0.0.1:5000/");
    assert_string_equal(fake.last_body,
                        "Action=DescribeVpcs&Version=2016-11-15"
                        "&Filter.1.Name=tag%3AName&Filter.1.Value.1=zenn-clone-vpc");
    const char *h = fake.last_headers;
    assert_non_null(strstr(h, "Host: 127.0.0.1:5000\n"));
    assert_non_null(strstr(h, "Content-Type: application/x-www-form-urlencoded; charset=utf-8\n"));
    assert_non_null(strstr(h, "X-Amz-Date: 20261204T194125Z\n"));
    assert_non_null(strstr(h, "X-Amz-Security-Token: " TEST_TOKEN "\n"));
    assert_non_null(strstr(h, "Authorization: AWS4-HMAC-SHA256 Credential=" TEST_KEY_ID
                              "/20261204/eu-west-1/ec2/aws4_request, "
                              "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, "
                              "Signature="));
    assert_non_null(strstr(h, "amz-sdk-request: attempt=1; max=3\n"));
    assert_null(strstr(h, "x-amz-content-sha256"));
    /* the -v line: action, status, ms, attempt; and no secret anywhere */
    assert_non_null(strstr(log.text, "http DescribeVpcs 200 "));
    assert_non_null(strstr(log.text, "attempt 1/3"));
    assert_null(strstr(log.text, TEST_SECRET));
    assert_null(strstr(log.text, TEST_TOKEN));
    kumo_free(json);
    free(body);
    kumo_runtime_destroy(runtime);
}

static void test_aws_error_fields(void **state)
{
    (void)state;
    clean_aws_environment();
    set_test_credentials(0);
    char *body = read_testdata("ec2-wire/raw/23-err-InvalidGroup.NotFound.response.body");
    struct fake_transport fake = {.answers = {{KUMO_TRANSPORT_OK, 400, body}}, .answer_count = 1};
    struct log_capture log = {{0}};
    struct kumo_runtime *runtime = new_test_runtime(&fake, &log, "us-east-1");
    char *json = NULL;
    struct kumo_error *error = NULL;
    const char *caught =
        "local ok, err = pcall(ec2.call, 'DescribeSecurityGroups', { GroupId = { 'sg-1' } })\n"
        "assert(not ok and kumo.is_error(err))\n"
        "return { kind = err.kind, code = err.code, op = err.operation, status = err.http_status,"
        " attempts = err.attempts, rid = err.request_id, text = tostring(err) }";
    assert_int_equal(kumo_runtime_run_string(runtime, "=caught", caught, &json, &error), KUMO_OK);
    assert_non_null(strstr(json, "\"kind\": \"aws\""));
    assert_non_null(strstr(json, "\"code\": \"InvalidGroup.NotFound\""));
    assert_non_null(strstr(json, "\"op\": \"DescribeSecurityGroups\""));
    assert_non_null(strstr(json, "\"status\": 400"));
    assert_non_null(strstr(json, "\"attempts\": 1"));
    assert_non_null(strstr(json, "\"rid\": \"request-id\""));
    assert_non_null(strstr(json, "\"text\": \"InvalidGroup.NotFound: The security group"));
    kumo_free(json);
    assert_int_equal(fake.calls, 1); /* a 400 is never retried */

    assert_int_equal(kumo_runtime_run_string(runtime, "=uncaught",
                                             "ec2.call('DescribeSecurityGroups', {})", NULL,
                                             &error),
                     KUMO_ERROR_AWS);
    assert_string_equal(error->kind, "aws");
    assert_string_equal(error->code, "InvalidGroup.NotFound");
    assert_string_equal(error->operation, "DescribeSecurityGroups");
    assert_string_equal(error->request_id, "request-id");
    assert_int_equal(error->http_status, 400);
    assert_int_equal(error->attempts, 1);
    assert_non_null(error->traceback);
    kumo_error_free(error);
    free(body);
    kumo_runtime_destroy(runtime);
}

static void test_retries_throttling_then_succeeds(void **state)
{
    (void)state;
    clean_aws_environment();
    set_test_credentials(0);
    char *throttle = read_testdata("ec2-wire/raw/40-err-RequestLimitExceeded.stub.response.body");
    char *ok = read_testdata("ec2-wire/raw/01-DescribeVpcs.response.body");
    struct fake_transport fake = {.answers = {{KUMO_TRANSPORT_OK, 503, throttle},
                                              {KUMO_TRANSPORT_FAILED, 0, ""},
                                              {KUMO_TRANSPORT_OK, 200, ok}},
                                  .answer_count = 3};
    struct log_capture log = {{0}};
    struct kumo_runtime *runtime = new_test_runtime(&fake, &log, "us-east-1");
    char *json = NULL;
    struct kumo_error *error = NULL;
    assert_int_equal(kumo_runtime_run_string(runtime, "=retry",
                                             "return #ec2.call('DescribeVpcs').vpcSet", &json,
                                             &error),
                     KUMO_OK);
    assert_string_equal(json, "1");
    assert_int_equal(fake.calls, 3);
    assert_non_null(strstr(fake.last_headers, "amz-sdk-request: attempt=3; max=3\n"));
    assert_non_null(strstr(log.text, "attempt 3/3"));
    kumo_free(json);
    free(throttle);
    free(ok);
    kumo_runtime_destroy(runtime);
}

static void test_gives_up_after_three_attempts(void **state)
{
    (void)state;
    clean_aws_environment();
    set_test_credentials(0);
    struct fake_transport fake = {.answers = {{KUMO_TRANSPORT_CONNECT_FAILED, 0, ""}},
                                  .answer_count = 1};
    struct log_capture log = {{0}};
    struct kumo_runtime *runtime = new_test_runtime(&fake, &log, "us-east-1");
    struct kumo_error *error = NULL;
    assert_int_equal(
        kumo_runtime_run_string(runtime, "=down", "ec2.call('DescribeVpcs')", NULL, &error),
        KUMO_ERROR_HTTP);
    assert_string_equal(error->code, "ConnectionFailed");
    assert_int_equal(error->attempts, 3);
    assert_int_equal(error->http_status, 0);
    assert_non_null(strstr(error->message, "127.0.0.1:5000"));
    assert_int_equal(fake.calls, 3);
    kumo_error_free(error);
    kumo_runtime_destroy(runtime);
}

static void test_html_500_is_an_http_error(void **state)
{
    (void)state;
    clean_aws_environment();
    set_test_credentials(0);
    char *html = read_testdata("ec2-wire/raw/34-DeleteSecurityGroup-byName-moto-500.response.body");
    struct fake_transport fake = {.answers = {{KUMO_TRANSPORT_OK, 500, html}}, .answer_count = 1};
    struct log_capture log = {{0}};
    struct kumo_runtime *runtime = new_test_runtime(&fake, &log, "us-east-1");
    struct kumo_error *error = NULL;
    assert_int_equal(kumo_runtime_run_string(runtime, "=html",
                                             "ec2.call('DeleteSecurityGroup', "
                                             "{ GroupName = 'x' })",
                                             NULL, &error),
                     KUMO_ERROR_HTTP);
    assert_string_equal(error->code, "InvalidResponse");
    assert_int_equal(error->http_status, 500);
    assert_int_equal(error->attempts, 3); /* a 500 is retryable */
    kumo_error_free(error);
    free(html);
    kumo_runtime_destroy(runtime);
}

static void test_missing_configuration(void **state)
{
    (void)state;
    clean_aws_environment();
    struct fake_transport fake = {0};
    struct log_capture log = {{0}};
    struct kumo_runtime *runtime = new_test_runtime(&fake, &log, NULL);
    struct kumo_error *error = NULL;
    assert_int_equal(
        kumo_runtime_run_string(runtime, "=noregion", "ec2.call('DescribeVpcs')", NULL, &error),
        KUMO_ERROR_CONFIG);
    assert_string_equal(error->kind, "config");
    assert_non_null(strstr(error->message, "AWS_REGION"));
    kumo_error_free(error);
    kumo_runtime_destroy(runtime);

    runtime = new_test_runtime(&fake, &log, "us-east-1");
    assert_int_equal(
        kumo_runtime_run_string(runtime, "=nocreds", "ec2.call('DescribeVpcs')", NULL, &error),
        KUMO_ERROR_CREDENTIALS);
    assert_string_equal(error->kind, "credentials");
    assert_string_equal(error->code, "NoCredentials");
    assert_non_null(strstr(error->message, "AWS_ACCESS_KEY_ID"));
    kumo_error_free(error);
    assert_int_equal(fake.calls, 0);
    kumo_runtime_destroy(runtime);
}

static void test_vars_log_and_modules(void **state)
{
    (void)state;
    clean_aws_environment();
    struct fake_transport fake = {0};
    struct log_capture log = {{0}};
    struct kumo_runtime *runtime = new_test_runtime(&fake, &log, "us-east-1");
    assert_int_equal(kumo_runtime_set_var(runtime, "prefix", "demo"), KUMO_OK);
    assert_int_equal(kumo_runtime_set_var(runtime, "", "x"), KUMO_ERROR_USAGE);
    char *json = NULL;
    struct kumo_error *error = NULL;
    const char *script = "log.info('hello %s', kumo.vars.prefix)\n"
                         "log.warn('careful')\n"
                         "assert(require('kumo.ec2') == ec2 and require('kumo.json') == json)\n"
                         "assert(type(require('kumo.paginate').all) == 'function')\n"
                         "return kumo.vars";
    assert_int_equal(kumo_runtime_run_string(runtime, "=vars", script, &json, &error), KUMO_OK);
    assert_non_null(strstr(json, "\"prefix\": \"demo\""));
    assert_non_null(strstr(log.text, "1 hello demo\n"));
    assert_non_null(strstr(log.text, "2 careful\n"));
    kumo_free(json);
    assert_int_equal(
        kumo_runtime_run_string(runtime, "=nomod", "require('kumo.nope')", NULL, &error),
        KUMO_ERROR_SCRIPT);
    assert_non_null(strstr(error->message, "kumo.nope"));
    kumo_error_free(error);
    kumo_runtime_destroy(runtime);
}

static void test_paginate_follows_next_token(void **state)
{
    (void)state;
    clean_aws_environment();
    set_test_credentials(0);
    const char *page1 = "<DescribeSecurityGroupsResponse><requestId>r1</requestId>"
                        "<securityGroupInfo><item><groupId>sg-1</groupId></item>"
                        "<item><groupId>sg-2</groupId></item></securityGroupInfo>"
                        "<nextToken>tok-2</nextToken></DescribeSecurityGroupsResponse>";
    const char *page2 = "<DescribeSecurityGroupsResponse><requestId>r2</requestId>"
                        "<securityGroupInfo><item><groupId>sg-3</groupId></item>"
                        "</securityGroupInfo></DescribeSecurityGroupsResponse>";
    struct fake_transport fake = {
        .answers = {{KUMO_TRANSPORT_OK, 200, page1}, {KUMO_TRANSPORT_OK, 200, page2}},
        .answer_count = 2};
    struct log_capture log = {{0}};
    struct kumo_runtime *runtime = new_test_runtime(&fake, &log, "us-east-1");
    char *json = NULL;
    struct kumo_error *error = NULL;
    const char *script =
        "local ids = {}\n"
        "for _, g in require('kumo.paginate').each('DescribeSecurityGroups',"
        " { MaxResults = 5 }, 'securityGroupInfo') do ids[#ids + 1] = g.groupId end\n"
        "return ids";
    assert_int_equal(kumo_runtime_run_string(runtime, "=pages", script, &json, &error), KUMO_OK);
    assert_non_null(strstr(json, "\"sg-1\""));
    assert_non_null(strstr(json, "\"sg-3\""));
    assert_int_equal(fake.calls, 2);
    assert_non_null(strstr(fake.last_body, "NextToken=tok-2"));
    assert_non_null(strstr(fake.last_body, "MaxResults=5"));
    kumo_free(json);
    kumo_runtime_destroy(runtime);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_returns_table_as_json),
        cmocka_unit_test(test_script_errors),
        cmocka_unit_test(test_call_signs_and_decodes),
        cmocka_unit_test(test_aws_error_fields),
        cmocka_unit_test(test_retries_throttling_then_succeeds),
        cmocka_unit_test(test_gives_up_after_three_attempts),
        cmocka_unit_test(test_html_500_is_an_http_error),
        cmocka_unit_test(test_missing_configuration),
        cmocka_unit_test(test_vars_log_and_modules),
        cmocka_unit_test(test_paginate_follows_next_token),
    };
    return cmocka_run_group_tests_name("runtime", tests, NULL, NULL);
}
