/*
 * test_retry.c - the retry policy (runtime/aws/retry.c) as pure functions:
 * the classification table of standard and legacy mode, backoff bounds, the
 * retry quota, the adaptive rate limiter against values computed with
 * botocore's own classes, HTTP dates and the clock-skew threshold.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "aws/retry.h"

struct classification {
    const char *name;
    enum kumo_transport_result transport;
    long status;
    const char *code;
    int standard; /* retried in standard (and adaptive) mode */
    int legacy;   /* retried in legacy mode */
};

static const struct classification cases[] = {
    {"500 html", KUMO_TRANSPORT_OK, 500, NULL, 1, 1},
    {"502", KUMO_TRANSPORT_OK, 502, NULL, 1, 1},
    {"503 RequestLimitExceeded", KUMO_TRANSPORT_OK, 503, "RequestLimitExceeded", 1, 1},
    {"504", KUMO_TRANSPORT_OK, 504, NULL, 1, 1},
    {"509", KUMO_TRANSPORT_OK, 509, NULL, 0, 1},
    {"429 no code", KUMO_TRANSPORT_OK, 429, NULL, 0, 1},
    {"400 RequestTimeout", KUMO_TRANSPORT_OK, 400, "RequestTimeout", 1, 0},
    {"400 RequestTimeoutException", KUMO_TRANSPORT_OK, 400, "RequestTimeoutException", 1, 0},
    {"400 PriorRequestNotComplete", KUMO_TRANSPORT_OK, 400, "PriorRequestNotComplete", 1, 0},
    {"400 Throttling", KUMO_TRANSPORT_OK, 400, "Throttling", 1, 1},
    {"400 ThrottlingException", KUMO_TRANSPORT_OK, 400, "ThrottlingException", 1, 1},
    {"400 ThrottledException", KUMO_TRANSPORT_OK, 400, "ThrottledException", 1, 1},
    {"400 RequestThrottledException", KUMO_TRANSPORT_OK, 400, "RequestThrottledException", 1, 1},
    {"400 TooManyRequestsException", KUMO_TRANSPORT_OK, 400, "TooManyRequestsException", 1, 0},
    {"400 ProvisionedThroughputExceededException", KUMO_TRANSPORT_OK, 400,
     "ProvisionedThroughputExceededException", 1, 1},
    {"400 TransactionInProgressException", KUMO_TRANSPORT_OK, 400, "TransactionInProgressException",
     1, 0},
    {"400 RequestLimitExceeded", KUMO_TRANSPORT_OK, 400, "RequestLimitExceeded", 1, 0},
    {"400 BandwidthLimitExceeded", KUMO_TRANSPORT_OK, 400, "BandwidthLimitExceeded", 1, 0},
    {"400 LimitExceededException", KUMO_TRANSPORT_OK, 400, "LimitExceededException", 1, 0},
    {"400 RequestThrottled", KUMO_TRANSPORT_OK, 400, "RequestThrottled", 1, 0},
    {"503 SlowDown", KUMO_TRANSPORT_OK, 503, "SlowDown", 1, 1},
    {"400 EC2ThrottledException", KUMO_TRANSPORT_OK, 400, "EC2ThrottledException", 1, 0},
    {"503 EC2ThrottledException", KUMO_TRANSPORT_OK, 503, "EC2ThrottledException", 1, 1},
    {"400 InvalidGroup.NotFound", KUMO_TRANSPORT_OK, 400, "InvalidGroup.NotFound", 0, 0},
    {"400 InvalidPermission.Duplicate", KUMO_TRANSPORT_OK, 400, "InvalidPermission.Duplicate", 0,
     0},
    {"401 AuthFailure", KUMO_TRANSPORT_OK, 401, "AuthFailure", 0, 0},
    {"403 UnauthorizedOperation", KUMO_TRANSPORT_OK, 403, "UnauthorizedOperation", 0, 0},
    {"400 RequestExpired", KUMO_TRANSPORT_OK, 400, "RequestExpired", 0, 0},
    {"412 DryRunOperation", KUMO_TRANSPORT_OK, 412, "DryRunOperation", 0, 0},
    {"404 no code", KUMO_TRANSPORT_OK, 404, NULL, 0, 0},
    {"301 redirect", KUMO_TRANSPORT_OK, 301, NULL, 0, 0},
    {"connection refused", KUMO_TRANSPORT_CONNECT_FAILED, 0, "ConnectionFailed", 1, 1},
    {"timeout", KUMO_TRANSPORT_TIMEOUT, 0, "Timeout", 1, 1},
    {"reset or truncated", KUMO_TRANSPORT_FAILED, 0, "TransportFailed", 1, 1},
    {"tls verification", KUMO_TRANSPORT_TLS_FAILED, 0, "TLSFailed", 0, 0},
    {"body too large", KUMO_TRANSPORT_TOO_LARGE, 0, "ResponseTooLarge", 0, 0},
};

static void test_classification_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct classification *c = &cases[i];
        struct kumo_retry_outcome o = {c->transport, c->status, c->code};
        if (kumo_retry_is_retryable(KUMO_RETRY_STANDARD, &o) != c->standard)
            fail_msg("standard mode, case \"%s\": expected %s", c->name,
                     c->standard ? "a retry" : "no retry");
        if (kumo_retry_is_retryable(KUMO_RETRY_ADAPTIVE, &o) != c->standard)
            fail_msg("adaptive mode, case \"%s\": expected %s", c->name,
                     c->standard ? "a retry" : "no retry");
        if (kumo_retry_is_retryable(KUMO_RETRY_LEGACY, &o) != c->legacy)
            fail_msg("legacy mode, case \"%s\": expected %s", c->name,
                     c->legacy ? "a retry" : "no retry");
    }
}

static void test_throttling_and_skew_codes(void **state)
{
    (void)state;
    assert_true(kumo_retry_is_throttling_code("RequestLimitExceeded"));
    assert_true(kumo_retry_is_throttling_code("PriorRequestNotComplete"));
    assert_false(kumo_retry_is_throttling_code("RequestTimeout"));
    assert_false(kumo_retry_is_throttling_code(NULL));
    assert_false(kumo_retry_is_throttling_code(""));
    static const char *const skew[] = {"RequestExpired", "RequestTimeTooSkewed",
                                       "RequestInTheFuture", "SignatureDoesNotMatch",
                                       "AuthFailure"};
    for (size_t i = 0; i < 5; i++)
        assert_true(kumo_retry_is_skew_code(skew[i]));
    assert_false(kumo_retry_is_skew_code("UnauthorizedOperation"));
    assert_false(kumo_retry_is_skew_code(NULL));
}

static void test_modes_and_attempts(void **state)
{
    (void)state;
    enum kumo_retry_mode mode = KUMO_RETRY_LEGACY;
    assert_int_equal(kumo_retry_mode_parse(NULL, &mode), 0);
    assert_int_equal(mode, KUMO_RETRY_STANDARD);
    assert_int_equal(kumo_retry_mode_parse("adaptive", &mode), 0);
    assert_int_equal(mode, KUMO_RETRY_ADAPTIVE);
    assert_int_equal(kumo_retry_mode_parse("legacy", &mode), 0);
    assert_int_equal(mode, KUMO_RETRY_LEGACY);
    assert_int_equal(kumo_retry_mode_parse("Standard", &mode), -1);
    assert_string_equal(kumo_retry_mode_name(KUMO_RETRY_ADAPTIVE), "adaptive");
    assert_int_equal(kumo_retry_max_attempts(KUMO_RETRY_STANDARD, 0), 3);
    assert_int_equal(kumo_retry_max_attempts(KUMO_RETRY_ADAPTIVE, 0), 3);
    assert_int_equal(kumo_retry_max_attempts(KUMO_RETRY_LEGACY, 0), 5);
    assert_int_equal(kumo_retry_max_attempts(KUMO_RETRY_STANDARD, 2), 2);
    assert_int_equal(kumo_retry_max_attempts(KUMO_RETRY_LEGACY, 7), 7);
}

static void test_backoff_bounds(void **state)
{
    (void)state;
    const double almost_one = 0.9999999999;
    /* standard: random * min(2^(n-1), 20) s */
    static const int64_t caps[] = {1000, 2000, 4000, 8000, 16000, 20000, 20000, 20000};
    for (int n = 1; n <= 8; n++) {
        assert_int_equal(kumo_retry_backoff_ms(KUMO_RETRY_STANDARD, n, 0.0), 0);
        assert_int_equal(kumo_retry_backoff_ms(KUMO_RETRY_STANDARD, n, almost_one),
                         caps[n - 1] - 1);
        assert_int_equal(kumo_retry_backoff_ms(KUMO_RETRY_STANDARD, n, 0.5), caps[n - 1] / 2);
        assert_int_equal(kumo_retry_backoff_ms(KUMO_RETRY_ADAPTIVE, n, 0.5), caps[n - 1] / 2);
    }
    assert_int_equal(kumo_retry_backoff_ms(KUMO_RETRY_STANDARD, 1000, 0.5), 10000);
    /* legacy: random * 2^(n-1) s, no cap */
    assert_int_equal(kumo_retry_backoff_ms(KUMO_RETRY_LEGACY, 1, 0.5), 500);
    assert_int_equal(kumo_retry_backoff_ms(KUMO_RETRY_LEGACY, 4, 0.5), 4000);
    assert_int_equal(kumo_retry_backoff_ms(KUMO_RETRY_LEGACY, 6, 0.5), 16000);
    assert_int_equal(kumo_retry_backoff_ms(KUMO_RETRY_LEGACY, 6, almost_one), 31999);
    /* nonsense in, a zero delay out */
    assert_int_equal(kumo_retry_backoff_ms(KUMO_RETRY_STANDARD, 1, 1.0), 0);
    assert_int_equal(kumo_retry_backoff_ms(KUMO_RETRY_STANDARD, 1, -0.5), 0);
}

static void test_quota_drains_and_refills(void **state)
{
    (void)state;
    struct kumo_retry_quota quota = {0};
    assert_int_equal(kumo_retry_quota_available(&quota), 500);
    for (int i = 0; i < 100; i++)
        if (!kumo_retry_quota_acquire(&quota, KUMO_RETRY_COST))
            fail_msg("retry %d of 100 could not pay 5 tokens", i + 1);
    assert_int_equal(kumo_retry_quota_available(&quota), 0);
    assert_false(kumo_retry_quota_acquire(&quota, KUMO_RETRY_COST)); /* the 101st */
    assert_int_equal(kumo_retry_quota_available(&quota), 0);
    kumo_retry_quota_release(&quota, KUMO_RETRY_NO_RETRY_REFUND);
    assert_int_equal(kumo_retry_quota_available(&quota), 1);
    assert_false(kumo_retry_quota_acquire(&quota, KUMO_RETRY_COST)); /* nothing taken */
    assert_int_equal(kumo_retry_quota_available(&quota), 1);
    kumo_retry_quota_release(&quota, 9);
    assert_true(kumo_retry_quota_acquire(&quota, KUMO_RETRY_TIMEOUT_COST));
    assert_int_equal(kumo_retry_quota_available(&quota), 0);
    kumo_retry_quota_release(&quota, 10000); /* never above the capacity */
    assert_int_equal(kumo_retry_quota_available(&quota), 500);

    struct kumo_retry_outcome timeout = {KUMO_TRANSPORT_TIMEOUT, 0, "Timeout"};
    struct kumo_retry_outcome throttled = {KUMO_TRANSPORT_OK, 503, "RequestLimitExceeded"};
    struct kumo_retry_outcome reset = {KUMO_TRANSPORT_FAILED, 0, "TransportFailed"};
    assert_int_equal(kumo_retry_cost(&timeout), 10);
    assert_int_equal(kumo_retry_cost(&throttled), 5);
    assert_int_equal(kumo_retry_cost(&reset), 5);
}

#define assert_near(a, b) assert_true(fabs((a) - (b)) < 1e-9)

/* Expected values from botocore's ClientRateLimiter, TokenBucket,
 * CubicCalculator and RateClocker driven by a fake clock through the same
 * sequence (created at t=10.0). */
static void test_rate_limiter_matches_botocore(void **state)
{
    (void)state;
    struct kumo_rate_limiter l = {0};
    assert_true(kumo_rate_limiter_acquire(&l, 10.0) == 0); /* starts it; not limiting yet */
    kumo_rate_limiter_update(&l, 0, 10.0);
    assert_false(l.enabled);
    assert_near(l.fill_rate, 0.5);
    kumo_rate_limiter_update(&l, 1, 10.2);
    assert_true(l.enabled);
    assert_near(l.fill_rate, 0.5);
    assert_near(l.capacity, 0.1);
    kumo_rate_limiter_update(&l, 1, 10.6);
    assert_near(l.measured_rate, 4.8);
    assert_near(l.capacity, 0.3);
    kumo_rate_limiter_update(&l, 0, 11.3);
    assert_near(l.measured_rate, 2.56);
    assert_near(l.capacity, 0.65);
    kumo_rate_limiter_update(&l, 0, 12.9);
    assert_near(l.fill_rate, 2.074357701750);
    assert_near(l.max_capacity, 2.074357701750);
    assert_near(l.measured_rate, 1.045333333333);
    assert_near(l.capacity, 1.0);
    kumo_rate_limiter_update(&l, 0, 14.0);
    assert_near(l.fill_rate, 1.4848);
    assert_near(l.capacity, 1.4848);
    /* sends: one token now, then a wait for the next */
    assert_true(kumo_rate_limiter_acquire(&l, 14.0) == 0);
    double wait = kumo_rate_limiter_acquire(&l, 14.0);
    assert_near(wait, (1 - 0.4848) / 1.4848);
    assert_true(kumo_rate_limiter_acquire(&l, 14.0 + wait) == 0);
}

static void test_rate_limiter_slows_after_throttling(void **state)
{
    (void)state;
    struct kumo_rate_limiter l = {0};
    double now = 100.0;
    /* a burst of successes at 10 requests per second: never limited */
    for (int i = 0; i < 30; i++, now += 0.1) {
        assert_true(kumo_rate_limiter_acquire(&l, now) == 0);
        kumo_rate_limiter_update(&l, 0, now);
    }
    assert_false(l.enabled);
    /* one throttle: the allowed rate drops to 0.7 x the measured rate */
    double measured_before = l.measured_rate;
    kumo_rate_limiter_update(&l, 1, now);
    assert_true(l.enabled);
    assert_true(l.fill_rate < measured_before);
    assert_true(l.fill_rate >= 0.5);
    /* sending at 10/s now has to wait */
    double waited = 0;
    for (int i = 0; i < 60; i++) {
        double w;
        while ((w = kumo_rate_limiter_acquire(&l, now)) > 0) {
            waited += w;
            now += w;
        }
        now += 0.1;
    }
    assert_true(waited > 0.5);
    /* CUBIC remembers the rate it was throttled at */
    assert_near(l.w_max, measured_before);
    assert_near(l.k, cbrt(measured_before * 0.3 / 0.4));
}

static void test_http_dates(void **state)
{
    (void)state;
    int64_t s = 0;
    assert_int_equal(kumo_http_date_parse("Fri, 04 Dec 2026 19:41:25 GMT", &s), 0);
    assert_int_equal(s, 1796413285);
    assert_int_equal(kumo_http_date_parse("Thu, 01 Jan 1970 00:00:00 GMT", &s), 0);
    assert_int_equal(s, 0);
    assert_int_equal(kumo_http_date_parse("Tue, 29 Feb 2028 23:59:59 GMT", &s), 0);
    assert_int_equal(s, 1835481599);
    static const char *const bad[] = {"",
                                      "yesterday",
                                      "Fri, 04 Dec 2026 19:41:25 UTC",
                                      "Fri, 04 Dek 2026 19:41:25 GMT",
                                      "Fri, 04 Dec 2026 25:41:25 GMT",
                                      "Fri, 04 Dec 2026 19:41:25 GMT trailing",
                                      "Friday, 04-Dec-26 19:41:25 GMT"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (kumo_http_date_parse(bad[i], &s) == 0)
            fail_msg("accepted a bad date: \"%s\"", bad[i]);
    assert_int_equal(kumo_http_date_parse(NULL, &s), -1);
}

static void test_clock_skew_threshold(void **state)
{
    (void)state;
    const int64_t now = 1796413285000LL;
    assert_int_equal(kumo_clock_skew_offset(now, now), 0);
    assert_int_equal(kumo_clock_skew_offset(now + 300000, now), 0); /* 5 min: not "more than" */
    assert_int_equal(kumo_clock_skew_offset(now - 300000, now), 0);
    assert_int_equal(kumo_clock_skew_offset(now + 300001, now), 300001);
    assert_int_equal(kumo_clock_skew_offset(now, now - 3600000), 3600000); /* clock 1 h slow */
    assert_int_equal(kumo_clock_skew_offset(now, now + 3600000), -3600000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classification_table),
        cmocka_unit_test(test_throttling_and_skew_codes),
        cmocka_unit_test(test_modes_and_attempts),
        cmocka_unit_test(test_backoff_bounds),
        cmocka_unit_test(test_quota_drains_and_refills),
        cmocka_unit_test(test_rate_limiter_matches_botocore),
        cmocka_unit_test(test_rate_limiter_slows_after_throttling),
        cmocka_unit_test(test_http_dates),
        cmocka_unit_test(test_clock_skew_threshold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
