/*
 * test_retry_runtime.c - retries end to end through the runtime, over the
 * scripted transport (fake_transport.h) with a virtual clock: sleeping
 * advances it instead of waiting (the test seams of struct kumo_retry_state).
 * Checks the headers of every attempt, the error's attempt count, the -v
 * lines, the retry quota, legacy and adaptive mode, and clock-skew
 * correction from the Date header.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "host/runtime_internal.h"
#include "kumo.h"
#include "fake_transport.h"

#define HOUR_MS 3600000LL
#define THROTTLE_BODY                                                                              \
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>"                  \
    "RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors>"       \
    "<RequestID>00000000-test-throttle</RequestID></Response>"
#define OK_BODY                                                                                    \
    "<DescribeVpcsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>r1"       \
    "</requestId><vpcSet/></DescribeVpcsResponse>"
#define ERROR_BODY(code)                                                                           \
    "<Response><Errors><Error><Code>" code "</Code><Message>no</Message></Error></Errors>"         \
    "<RequestID>rid</RequestID></Response>"

/* The virtual world of one test: the fake transport plus a clock that only
 * moves when kumo sleeps or an exchange "takes" exchange_ms. */
struct world {
    struct fake_transport fake;
    int64_t now_ms;          /* the server's (true) time */
    int64_t local_offset_ms; /* the runtime's clock = now_ms + this */
    int64_t exchange_ms;     /* how long each exchange takes */
    int send_date;           /* answers carry Date: now_ms */
    int64_t slept_ms;        /* total backoff and rate-limit sleeping */
    int sleeps;              /* number of sleeps */
    int64_t sleeps_ms[64];   /* each sleep, in order */
};

static enum kumo_transport_result world_send(void *user_data,
                                             const struct kumo_http_request *request,
                                             struct kumo_http_response *response, char *error,
                                             size_t error_size)
{
    struct world *w = user_data;
    w->now_ms += w->exchange_ms;
    enum kumo_transport_result result = fake_send(&w->fake, request, response, error, error_size);
    if (result == KUMO_TRANSPORT_OK && w->send_date) {
        char date[64];
        time_t t = (time_t)(w->now_ms / 1000);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        assert_int_equal(kumo_http_response_add_header(response, "Date", 4, date, strlen(date)), 0);
    }
    return result;
}

static int64_t world_clock(void *user_data)
{
    struct world *w = user_data;
    return w->now_ms + w->local_offset_ms;
}

static int64_t world_monotonic(void *user_data)
{
    struct world *w = user_data;
    return w->now_ms;
}

static void world_sleep(void *user_data, int64_t ms)
{
    struct world *w = user_data;
    w->now_ms += ms;
    w->slept_ms += ms;
    if (w->sleeps < 64)
        w->sleeps_ms[w->sleeps] = ms;
    w->sleeps++;
}

static struct kumo_runtime *new_world_runtime(struct world *w, struct log_capture *log)
{
    if (w->now_ms == 0)
        w->now_ms = TEST_NOW_MS;
    struct kumo_options options = {
        .region = "us-east-1",
        .endpoint = "http://127.0.0.1:5000",
        .transport = world_send,
        .transport_data = w,
        .clock = world_clock,
        .clock_data = w,
        .log = capture_log,
        .log_data = log,
        .log_level = KUMO_LOG_DEBUG,
    };
    struct kumo_error *error = NULL;
    struct kumo_runtime *rt = kumo_runtime_new(&options, &error);
    assert_null(error);
    assert_non_null(rt);
    rt->retry.sleep_ms = world_sleep;
    rt->retry.monotonic_ms = world_monotonic;
    rt->retry.hook_data = w;
    return rt;
}

/* Resolves the configuration (one call), then overrides the retry settings
 * the way AWS_MAX_ATTEMPTS / AWS_RETRY_MODE would. */
static void configure(struct kumo_runtime *rt, struct world *w, const char *mode, int attempts)
{
    size_t answers = w->fake.answer_count;
    struct canned saved = w->fake.answers[0];
    w->fake.answers[0] = (struct canned){KUMO_TRANSPORT_OK, 200, OK_BODY};
    w->fake.answer_count = 1;
    run_ok(rt, "ec2.call('DescribeVpcs')");
    w->fake.answers[0] = saved;
    w->fake.answer_count = answers;
    w->fake.calls = 0;
    free(rt->config.retry_mode);
    rt->config.retry_mode = mode ? strdup(mode) : NULL;
    rt->config.max_attempts = attempts;
}

static const char *header(const char *headers, const char *name, char *out, size_t size)
{
    char key[64];
    snprintf(key, sizeof key, "%s: ", name);
    const char *at = strstr(headers, key);
    if (!at)
        return NULL;
    at += strlen(key);
    size_t n = strcspn(at, "\n");
    snprintf(out, size, "%.*s", (int)n, at);
    return out;
}

static void test_headers_of_every_attempt(void **state)
{
    (void)state;
    clean_aws_environment();
    set_test_credentials(0);
    struct world w = {.fake = {.answers = {{KUMO_TRANSPORT_OK, 503, THROTTLE_BODY},
                                           {KUMO_TRANSPORT_FAILED, 0, ""},
                                           {KUMO_TRANSPORT_OK, 200, OK_BODY}},
                               .answer_count = 3},
                      .exchange_ms = 1500,
                      .send_date = 1};
    struct log_capture log = {{0}};
    struct kumo_runtime *rt = new_world_runtime(&w, &log);
    run_ok(rt, "ec2.call('DescribeVpcs')");
    assert_int_equal(w.fake.calls, 3);
    char id[3][64], date[3][32], auth[3][400], req[3][96];
    for (int i = 0; i < 3; i++) {
        assert_non_null(header(w.fake.headers[i], "amz-sdk-invocation-id", id[i], sizeof id[i]));
        assert_non_null(header(w.fake.headers[i], "X-Amz-Date", date[i], sizeof date[i]));
        assert_non_null(header(w.fake.headers[i], "Authorization", auth[i], sizeof auth[i]));
        assert_non_null(header(w.fake.headers[i], "amz-sdk-request", req[i], sizeof req[i]));
    }
    /* one UUID v4 for the call */
    assert_int_equal(strlen(id[0]), 36);
    assert_int_equal(id[0][14], '4');
    assert_non_null(strchr("89ab", id[0][19]));
    assert_string_equal(id[0], id[1]);
    assert_string_equal(id[0], id[2]);
    /* signed anew: each attempt has its own time and signature */
    assert_string_equal(date[0], "20261204T194125Z");
    assert_string_not_equal(date[0], date[1]);
    assert_string_not_equal(date[1], date[2]);
    assert_string_not_equal(auth[0], auth[1]);
    assert_string_not_equal(auth[1], auth[2]);
    /* attempt=N; max=M, and the ttl once a response gave the server's time:
     * the 503 came at 19:41:26.5 (with its Date); the retry is sent after the
     * backoff, ttl = server time then + 60 s. The reset brought no Date, so
     * the third attempt keeps computing from the same estimate. */
    assert_string_equal(req[0], "attempt=1; max=3");
    assert_non_null(strstr(req[1], "; attempt=2; max=3"));
    assert_non_null(strstr(req[2], "; attempt=3; max=3"));
    assert_int_equal(strncmp(req[1], "ttl=20261204T1942", 17), 0);
    assert_int_equal(strncmp(req[2], "ttl=20261204T1942", 17), 0);
    /* unsigned */
    assert_non_null(strstr(auth[0], "SignedHeaders=content-type;host;x-amz-date,"));
    /* -v: one line per exchange, one per retry with its delay, no secret */
    assert_non_null(strstr(log.text, "http DescribeVpcs 503 "));
    assert_non_null(strstr(log.text, "attempt 1/3"));
    assert_non_null(strstr(log.text, "http DescribeVpcs failed (TransportFailed) "));
    assert_non_null(strstr(log.text, "attempt 2/3"));
    assert_non_null(strstr(log.text, "http DescribeVpcs 200 "));
    assert_non_null(strstr(log.text, "attempt 3/3"));
    char expected[128];
    snprintf(expected, sizeof expected,
             "retry DescribeVpcs after RequestLimitExceeded in %lld ms (1 of 3 attempts made)",
             (long long)w.sleeps_ms[0]);
    assert_non_null(strstr(log.text, expected));
    assert_non_null(strstr(log.text, "retry DescribeVpcs after TransportFailed in "));
    assert_null(strstr(log.text, TEST_SECRET));
    assert_null(strstr(log.text, "Signature="));
    /* backoff within the formula: < 1 s, then < 2 s */
    assert_int_equal(w.sleeps, 2);
    assert_true(w.sleeps_ms[0] >= 0 && w.sleeps_ms[0] < 1000);
    assert_true(w.sleeps_ms[1] >= 0 && w.sleeps_ms[1] < 2000);
    kumo_runtime_destroy(rt);
}

static void test_error_reports_attempts_and_max(void **state)
{
    (void)state;
    clean_aws_environment();
    set_test_credentials(0);
    struct world w = {
        .fake = {.answers = {{KUMO_TRANSPORT_OK, 503, THROTTLE_BODY}}, .answer_count = 1}};
    struct log_capture log = {{0}};
    struct kumo_runtime *rt = new_world_runtime(&w, &log);
    struct kumo_error *error = NULL;
    assert_int_equal(kumo_runtime_run_string(rt, "=t", "ec2.call('DescribeVpcs')", NULL, &error),
                     KUMO_ERROR_AWS);
    assert_string_equal(error->code, "RequestLimitExceeded");
    assert_int_equal(error->attempts, 3);
    assert_int_equal(error->http_status, 503);
    assert_int_equal(w.fake.calls, 3);
    kumo_error_free(error);

    /* AWS_MAX_ATTEMPTS=2 (through the config) */
    configure(rt, &w, NULL, 2);
    assert_int_equal(kumo_runtime_run_string(rt, "=t", "ec2.call('DescribeVpcs')", NULL, &error),
                     KUMO_ERROR_AWS);
    assert_int_equal(error->attempts, 2);
    assert_int_equal(w.fake.calls, 2);
    assert_non_null(strstr(w.fake.headers[1], "attempt=2; max=2\n"));
    kumo_error_free(error);

    /* a 400 is never retried */
    w.fake.answers[0] =
        (struct canned){KUMO_TRANSPORT_OK, 400, ERROR_BODY("InvalidVpcID.NotFound")};
    w.fake.calls = 0;
    assert_int_equal(kumo_runtime_run_string(rt, "=t", "ec2.call('DescribeVpcs')", NULL, &error),
                     KUMO_ERROR_AWS);
    assert_int_equal(error->attempts, 1);
    assert_int_equal(w.fake.calls, 1);
    kumo_error_free(error);
    kumo_runtime_destroy(rt);
}

static void test_legacy_mode(void **state)
{
    (void)state;
    clean_aws_environment();
    set_test_credentials(0);
    struct world w = {
        .fake = {.answers = {{KUMO_TRANSPORT_OK, 503, THROTTLE_BODY}}, .answer_count = 1}};
    struct log_capture log = {{0}};
    struct kumo_runtime *rt = new_world_runtime(&w, &log);
    configure(rt, &w, "legacy", 0);
    int before = kumo_retry_quota_available(&rt->retry.quota);
    struct kumo_error *error = NULL;
    assert_int_equal(kumo_runtime_run_string(rt, "=t", "ec2.call('DescribeVpcs')", NULL, &error),
                     KUMO_ERROR_AWS);
    assert_int_equal(error->attempts, 5);
    assert_int_equal(w.fake.calls, 5);
    assert_non_null(strstr(w.fake.headers[4], "amz-sdk-request: attempt=5; max=5\n"));
    /* no cap: the n-th delay is below 2^(n-1) s */
    assert_int_equal(w.sleeps, 4);
    for (int i = 0; i < 4; i++)
        assert_true(w.sleeps_ms[i] >= 0 && w.sleeps_ms[i] < (1000LL << i));
    assert_int_equal(kumo_retry_quota_available(&rt->retry.quota), before); /* no quota */
    kumo_error_free(error);

    /* legacy retries a 429 without an error document; standard would not */
    w.fake.answers[0] = (struct canned){KUMO_TRANSPORT_OK, 429, "slow down"};
    w.fake.answers[1] = (struct canned){KUMO_TRANSPORT_OK, 200, OK_BODY};
    w.fake.answer_count = 2;
    w.fake.calls = 0;
    run_ok(rt, "ec2.call('DescribeVpcs')");
    assert_int_equal(w.fake.calls, 2);
    kumo_runtime_destroy(rt);
}

static void test_retry_quota_drains(void **state)
{
    (void)state;
    clean_aws_environment();
    set_test_credentials(0);
    struct world w = {
        .fake = {.answers = {{KUMO_TRANSPORT_OK, 503, THROTTLE_BODY}}, .answer_count = 1}};
    struct log_capture log = {{0}};
    struct kumo_runtime *rt = new_world_runtime(&w, &log);
    configure(rt, &w, NULL, 1000);
    /* the configure call succeeded without a retry: 1 token back, still full */
    assert_int_equal(kumo_retry_quota_available(&rt->retry.quota), 500);
    struct kumo_error *error = NULL;
    assert_int_equal(kumo_runtime_run_string(rt, "=t", "ec2.call('DescribeVpcs')", NULL, &error),
                     KUMO_ERROR_AWS);
    /* 100 retries of 5 tokens, then the 101st cannot be paid: 101 attempts */
    assert_int_equal(error->attempts, 101);
    assert_int_equal(w.fake.calls, 101);
    assert_int_equal(w.sleeps, 100);
    assert_string_equal(error->code, "RequestLimitExceeded");
    assert_non_null(strstr(error->message, "retry quota"));
    assert_non_null(strstr(error->message, "exhausted"));
    assert_non_null(strstr(error->message, "101 attempts made"));
    assert_int_equal(kumo_retry_quota_available(&rt->retry.quota), 0);
    kumo_error_free(error);

    /* empty: the next failure fails at once */
    w.fake.calls = 0;
    assert_int_equal(kumo_runtime_run_string(rt, "=t", "ec2.call('DescribeVpcs')", NULL, &error),
                     KUMO_ERROR_AWS);
    assert_int_equal(error->attempts, 1);
    assert_non_null(strstr(error->message, "1 attempt made"));
    kumo_error_free(error);

    /* successes without retry give 1 token each; 5 of them pay one retry */
    w.fake.answers[0] = (struct canned){KUMO_TRANSPORT_OK, 200, OK_BODY};
    for (int i = 0; i < 5; i++)
        run_ok(rt, "ec2.call('DescribeVpcs')");
    assert_int_equal(kumo_retry_quota_available(&rt->retry.quota), 5);
    /* a retried success gives back what its retry cost */
    w.fake.answers[0] = (struct canned){KUMO_TRANSPORT_OK, 503, THROTTLE_BODY};
    w.fake.answers[1] = (struct canned){KUMO_TRANSPORT_OK, 200, OK_BODY};
    w.fake.answer_count = 2;
    w.fake.calls = 0;
    run_ok(rt, "ec2.call('DescribeVpcs')");
    assert_int_equal(w.fake.calls, 2);
    assert_int_equal(kumo_retry_quota_available(&rt->retry.quota), 5);
    kumo_runtime_destroy(rt);
}

static void test_timeout_costs_ten(void **state)
{
    (void)state;
    clean_aws_environment();
    set_test_credentials(0);
    struct world w = {.fake = {.answers = {{KUMO_TRANSPORT_TIMEOUT, 0, ""},
                                           {KUMO_TRANSPORT_CONNECT_FAILED, 0, ""},
                                           {KUMO_TRANSPORT_OK, 500, "<html>oops</html>"},
                                           {KUMO_TRANSPORT_OK, 200, OK_BODY}},
                               .answer_count = 4}};
    struct log_capture log = {{0}};
    struct kumo_runtime *rt = new_world_runtime(&w, &log);
    configure(rt, &w, NULL, 4);
    run_ok(rt, "ec2.call('DescribeVpcs')");
    assert_int_equal(w.fake.calls, 4);
    /* 10 + 5 + 5 taken, the last retry's 5 given back */
    assert_int_equal(kumo_retry_quota_available(&rt->retry.quota), 500 - 15);
    kumo_runtime_destroy(rt);
}

static void test_clock_skew_is_corrected(void **state)
{
    (void)state;
    clean_aws_environment();
    set_test_credentials(0);
    /* the runtime's clock is 1 hour slow; the server's Date is right */
    struct world w = {.fake = {.answers = {{KUMO_TRANSPORT_OK, 400, ERROR_BODY("RequestExpired")},
                                           {KUMO_TRANSPORT_OK, 200, OK_BODY}},
                               .answer_count = 2},
                      .local_offset_ms = -HOUR_MS,
                      .send_date = 1};
    struct log_capture log = {{0}};
    struct kumo_runtime *rt = new_world_runtime(&w, &log);
    run_ok(rt, "ec2.call('DescribeVpcs')");
    assert_int_equal(w.fake.calls, 2);
    assert_non_null(strstr(w.fake.headers[0], "X-Amz-Date: 20261204T184125Z\n"));
    assert_non_null(strstr(w.fake.headers[1], "X-Amz-Date: 20261204T194125Z\n"));
    assert_non_null(strstr(w.fake.headers[1], "amz-sdk-request: ttl=20261204T194225Z; attempt=2; "
                                              "max=3\n"));
    assert_int_equal(w.sleeps, 0); /* retried at once */
    assert_int_equal(rt->retry.clock_offset_ms, HOUR_MS);
    assert_non_null(strstr(log.text, "clock: the local clock is 3600 s behind the server's"));
    assert_non_null(strstr(log.text, "retry DescribeVpcs after RequestExpired, clock corrected, "
                                     "in 0 ms (1 of 3 attempts made)"));
    assert_int_equal(kumo_retry_quota_available(&rt->retry.quota), 500); /* no quota used */

    /* later calls are signed with the corrected time from the start */
    w.fake.calls = 0;
    w.fake.answers[0] = (struct canned){KUMO_TRANSPORT_OK, 200, OK_BODY};
    run_ok(rt, "ec2.call('DescribeVpcs')");
    assert_int_equal(w.fake.calls, 1);
    assert_non_null(strstr(w.fake.headers[0], "X-Amz-Date: 20261204T194125Z\n"));

    /* a skew error the clock does not explain is not retried */
    w.fake.calls = 0;
    w.fake.answers[0] = (struct canned){KUMO_TRANSPORT_OK, 401, ERROR_BODY("AuthFailure")};
    w.fake.answer_count = 1;
    struct kumo_error *error = NULL;
    assert_int_equal(kumo_runtime_run_string(rt, "=t", "ec2.call('DescribeVpcs')", NULL, &error),
                     KUMO_ERROR_AWS);
    assert_int_equal(error->attempts, 1);
    assert_string_equal(error->code, "AuthFailure");
    kumo_error_free(error);
    kumo_runtime_destroy(rt);
}

static void test_clock_skew_retried_once(void **state)
{
    (void)state;
    clean_aws_environment();
    set_test_credentials(0);
    /* 1 hour fast; every answer is a skew error: one retry, then the error */
    struct world w = {
        .fake = {.answers = {{KUMO_TRANSPORT_OK, 403, ERROR_BODY("SignatureDoesNotMatch")}},
                 .answer_count = 1},
        .local_offset_ms = HOUR_MS,
        .send_date = 1};
    struct log_capture log = {{0}};
    struct kumo_runtime *rt = new_world_runtime(&w, &log);
    struct kumo_error *error = NULL;
    assert_int_equal(kumo_runtime_run_string(rt, "=t", "ec2.call('DescribeVpcs')", NULL, &error),
                     KUMO_ERROR_AWS);
    assert_int_equal(error->attempts, 2);
    assert_int_equal(w.fake.calls, 2);
    assert_non_null(strstr(w.fake.headers[0], "X-Amz-Date: 20261204T204125Z\n"));
    assert_non_null(strstr(w.fake.headers[1], "X-Amz-Date: 20261204T194125Z\n"));
    assert_int_equal(rt->retry.clock_offset_ms, -HOUR_MS);
    kumo_error_free(error);

    /* the clock was fixed meanwhile: the offset goes back to 0 */
    w.local_offset_ms = 0;
    w.fake.answers[0] = (struct canned){KUMO_TRANSPORT_OK, 200, OK_BODY};
    run_ok(rt, "ec2.call('DescribeVpcs')");
    assert_int_equal(rt->retry.clock_offset_ms, 0);
    kumo_runtime_destroy(rt);
}

static void test_adaptive_mode_limits_sends(void **state)
{
    (void)state;
    clean_aws_environment();
    set_test_credentials(0);
    struct world w = {.fake = {.answers = {{KUMO_TRANSPORT_OK, 503, THROTTLE_BODY},
                                           {KUMO_TRANSPORT_OK, 200, OK_BODY}},
                               .answer_count = 2},
                      .exchange_ms = 10};
    struct log_capture log = {{0}};
    struct kumo_runtime *rt = new_world_runtime(&w, &log);
    configure(rt, &w, "adaptive", 0);
    run_ok(rt, "ec2.call('DescribeVpcs')");
    assert_int_equal(w.fake.calls, 2);
    assert_true(rt->retry.limiter.enabled);
    /* the throttle cut the allowed rate to the floor (0.5/s): sends now wait */
    assert_non_null(strstr(log.text, "rate limit DescribeVpcs: waiting "));
    w.fake.calls = 0;
    w.fake.answers[0] = (struct canned){KUMO_TRANSPORT_OK, 200, OK_BODY};
    int sleeps_before = w.sleeps;
    int64_t slept_before = w.slept_ms;
    run_ok(rt, "ec2.call('DescribeVpcs') ec2.call('DescribeVpcs')");
    assert_int_equal(w.fake.calls, 2);
    assert_true(w.sleeps > sleeps_before);
    assert_true(w.slept_ms > slept_before);

    /* standard mode never waits for a token */
    struct world s = {.fake = {.answers = {{KUMO_TRANSPORT_OK, 503, THROTTLE_BODY},
                                           {KUMO_TRANSPORT_OK, 200, OK_BODY}},
                               .answer_count = 2}};
    struct log_capture slog = {{0}};
    struct kumo_runtime *srt = new_world_runtime(&s, &slog);
    run_ok(srt, "ec2.call('DescribeVpcs')");
    assert_null(strstr(slog.text, "rate limit"));
    assert_false(srt->retry.limiter.enabled);
    kumo_runtime_destroy(srt);
    kumo_runtime_destroy(rt);
}

static void test_timeout_settings(void **state)
{
    (void)state;
    clean_aws_environment();
    set_test_credentials(0);
    struct world w = {.fake = {.answers = {{KUMO_TRANSPORT_OK, 200, OK_BODY}}, .answer_count = 1}};
    struct log_capture log = {{0}};
    struct kumo_runtime *rt = new_world_runtime(&w, &log);
    setenv("KUMO_HTTP_TIMEOUT_MS", "soon", 1);
    struct kumo_error *error = NULL;
    assert_int_equal(kumo_runtime_run_string(rt, "=t", "ec2.call('DescribeVpcs')", NULL, &error),
                     KUMO_ERROR_CONFIG);
    assert_non_null(strstr(error->message, "KUMO_HTTP_TIMEOUT_MS"));
    assert_int_equal(w.fake.calls, 0);
    kumo_error_free(error);
    setenv("KUMO_HTTP_TIMEOUT_MS", "250", 1);
    setenv("KUMO_CONNECT_TIMEOUT_MS", "0", 1);
    assert_int_equal(kumo_runtime_run_string(rt, "=t", "ec2.call('DescribeVpcs')", NULL, &error),
                     KUMO_ERROR_CONFIG);
    assert_non_null(strstr(error->message, "KUMO_CONNECT_TIMEOUT_MS"));
    kumo_error_free(error);
    setenv("KUMO_CONNECT_TIMEOUT_MS", "100", 1);
    run_ok(rt, "ec2.call('DescribeVpcs')");
    assert_int_equal(w.fake.calls, 1);
    unsetenv("KUMO_HTTP_TIMEOUT_MS");
    unsetenv("KUMO_CONNECT_TIMEOUT_MS");
    kumo_runtime_destroy(rt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_headers_of_every_attempt),
        cmocka_unit_test(test_error_reports_attempts_and_max),
        cmocka_unit_test(test_legacy_mode),
        cmocka_unit_test(test_retry_quota_drains),
        cmocka_unit_test(test_timeout_costs_ten),
        cmocka_unit_test(test_clock_skew_is_corrected),
        cmocka_unit_test(test_clock_skew_retried_once),
        cmocka_unit_test(test_adaptive_mode_limits_sends),
        cmocka_unit_test(test_timeout_settings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
