/*
 * retry.c - the SDKs' retry policy (see retry.h): classification, backoff,
 * retry quota, the adaptive rate limiter and clock-skew detection. Pure:
 * time and randomness come from the caller.
 */
#include "aws/retry.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int in_list(const char *code, const char *const *list)
{
    if (!code || !*code)
        return 0;
    for (size_t i = 0; list[i]; i++)
        if (strcmp(code, list[i]) == 0)
            return 1;
    return 0;
}

int kumo_retry_mode_parse(const char *name, enum kumo_retry_mode *mode)
{
    if (!name || !*name || strcmp(name, "standard") == 0)
        *mode = KUMO_RETRY_STANDARD;
    else if (strcmp(name, "adaptive") == 0)
        *mode = KUMO_RETRY_ADAPTIVE;
    else if (strcmp(name, "legacy") == 0)
        *mode = KUMO_RETRY_LEGACY;
    else
        return -1;
    return 0;
}

const char *kumo_retry_mode_name(enum kumo_retry_mode mode)
{
    switch (mode) {
    case KUMO_RETRY_ADAPTIVE:
        return "adaptive";
    case KUMO_RETRY_LEGACY:
        return "legacy";
    default:
        return "standard";
    }
}

int kumo_retry_max_attempts(enum kumo_retry_mode mode, int configured)
{
    if (configured > 0)
        return configured;
    return mode == KUMO_RETRY_LEGACY ? KUMO_RETRY_LEGACY_MAX_ATTEMPTS
                                     : KUMO_RETRY_STANDARD_MAX_ATTEMPTS;
}

int kumo_retry_is_throttling_code(const char *code)
{
    /* botocore retries/standard.py ThrottledRetryableChecker */
    static const char *const codes[] = {"Throttling",
                                        "ThrottlingException",
                                        "ThrottledException",
                                        "RequestThrottledException",
                                        "TooManyRequestsException",
                                        "ProvisionedThroughputExceededException",
                                        "TransactionInProgressException",
                                        "RequestLimitExceeded",
                                        "BandwidthLimitExceeded",
                                        "LimitExceededException",
                                        "RequestThrottled",
                                        "SlowDown",
                                        "PriorRequestNotComplete",
                                        "EC2ThrottledException",
                                        NULL};
    return in_list(code, codes);
}

int kumo_retry_is_skew_code(const char *code)
{
    static const char *const codes[] = {"RequestExpired",     "RequestTimeTooSkewed",
                                        "RequestInTheFuture", "SignatureDoesNotMatch",
                                        "AuthFailure",        NULL};
    return in_list(code, codes);
}

static int transport_retryable(enum kumo_transport_result result)
{
    /* Connection failures, timeouts, resets and truncated bodies. A TLS
     * verification failure or an oversized body would fail the same way
     * again. */
    return result == KUMO_TRANSPORT_CONNECT_FAILED || result == KUMO_TRANSPORT_TIMEOUT ||
           result == KUMO_TRANSPORT_FAILED;
}

static int standard_retryable(const struct kumo_retry_outcome *o)
{
    static const char *const transient[] = {"RequestTimeout", "RequestTimeoutException",
                                            "PriorRequestNotComplete", NULL};
    if (o->transport != KUMO_TRANSPORT_OK)
        return transport_retryable(o->transport);
    long s = o->http_status;
    if (s == 500 || s == 502 || s == 503 || s == 504)
        return 1;
    return in_list(o->code, transient) || kumo_retry_is_throttling_code(o->code);
}

static int legacy_retryable(const struct kumo_retry_outcome *o)
{
    /* botocore data/_retry.json: __default__ plus the ec2 section */
    static const struct {
        const char *code;
        long status;
    } pairs[] = {{"Throttling", 400},
                 {"ThrottlingException", 400},
                 {"ThrottledException", 400},
                 {"RequestThrottledException", 400},
                 {"ProvisionedThroughputExceededException", 400},
                 {"RequestLimitExceeded", 503},
                 {"EC2ThrottledException", 503}};
    if (o->transport != KUMO_TRANSPORT_OK)
        return transport_retryable(o->transport);
    long s = o->http_status;
    if (s == 500 || s == 502 || s == 503 || s == 504 || s == 509 || s == 429)
        return 1;
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
        if (o->code && strcmp(o->code, pairs[i].code) == 0 && s == pairs[i].status)
            return 1;
    return 0;
}

int kumo_retry_is_retryable(enum kumo_retry_mode mode, const struct kumo_retry_outcome *outcome)
{
    return mode == KUMO_RETRY_LEGACY ? legacy_retryable(outcome) : standard_retryable(outcome);
}

int64_t kumo_retry_backoff_ms(enum kumo_retry_mode mode, int retry, double random01)
{
    if (retry < 1)
        retry = 1;
    if (random01 < 0 || random01 >= 1)
        random01 = 0;
    int exponent = retry - 1 > 40 ? 40 : retry - 1;
    double cap_ms = 1000.0 * (double)((int64_t)1 << exponent);
    if (mode != KUMO_RETRY_LEGACY && cap_ms > KUMO_RETRY_MAX_BACKOFF_MS)
        cap_ms = KUMO_RETRY_MAX_BACKOFF_MS;
    return (int64_t)(random01 * cap_ms);
}

int kumo_retry_cost(const struct kumo_retry_outcome *outcome)
{
    return outcome->transport == KUMO_TRANSPORT_TIMEOUT ? KUMO_RETRY_TIMEOUT_COST : KUMO_RETRY_COST;
}

int kumo_retry_quota_acquire(struct kumo_retry_quota *quota, int cost)
{
    if (cost > kumo_retry_quota_available(quota))
        return 0;
    quota->spent += cost;
    return 1;
}

void kumo_retry_quota_release(struct kumo_retry_quota *quota, int amount)
{
    quota->spent = amount >= quota->spent ? 0 : quota->spent - amount;
}

int kumo_retry_quota_available(const struct kumo_retry_quota *quota)
{
    return KUMO_RETRY_QUOTA_CAPACITY - quota->spent;
}

/* ---- adaptive rate limiter ---------------------------------------------- */

#define MIN_FILL_RATE 0.5
#define CUBIC_SCALE 0.4
#define CUBIC_BETA 0.7
#define RATE_SMOOTHING 0.8
#define RATE_BUCKET_S 0.5
#define MAX_RATE_ADJUST_SCALE 2.0

static void limiter_start(struct kumo_rate_limiter *l, double now_s)
{
    memset(l, 0, sizeof *l);
    l->started = 1;
    l->fill_rate = 1; /* TokenBucket(max_rate=1) */
    l->max_capacity = 1;
    l->refilled = 1; /* the bucket's first refill, at creation */
    l->last_refill_s = now_s;
    l->last_fail_s = now_s; /* CubicCalculator(starting_max_rate=0, start_time=now) */
    l->last_bucket_s = floor(now_s);
}

static void refill(struct kumo_rate_limiter *l, double now_s)
{
    if (!l->refilled) {
        l->refilled = 1;
        l->last_refill_s = now_s;
        return;
    }
    double capacity = l->capacity + (now_s - l->last_refill_s) * l->fill_rate;
    l->capacity = capacity < l->max_capacity ? capacity : l->max_capacity;
    l->last_refill_s = now_s;
}

static void set_max_rate(struct kumo_rate_limiter *l, double rate, double now_s)
{
    refill(l, now_s);
    l->fill_rate = rate > MIN_FILL_RATE ? rate : MIN_FILL_RATE;
    l->max_capacity = rate >= 1 ? rate : 1;
    if (l->capacity > l->max_capacity)
        l->capacity = l->max_capacity;
}

double kumo_rate_limiter_acquire(struct kumo_rate_limiter *l, double now_s)
{
    if (!l->started)
        limiter_start(l, now_s);
    if (!l->enabled)
        return 0;
    refill(l, now_s);
    if (l->capacity >= 1 - 1e-9) { /* rounding must not leave a caller waiting forever */
        l->capacity -= 1;
        return 0;
    }
    return (1 - l->capacity) / l->fill_rate;
}

static double measure(struct kumo_rate_limiter *l, double now_s)
{
    double bucket = floor(now_s / RATE_BUCKET_S) * RATE_BUCKET_S;
    l->count += 1;
    if (bucket > l->last_bucket_s) {
        double current = l->count / (bucket - l->last_bucket_s);
        l->measured_rate = current * RATE_SMOOTHING + l->measured_rate * (1 - RATE_SMOOTHING);
        l->count = 0;
        l->last_bucket_s = bucket;
    }
    return l->measured_rate;
}

void kumo_rate_limiter_update(struct kumo_rate_limiter *l, int throttled, double now_s)
{
    if (!l->started)
        limiter_start(l, now_s);
    double measured = measure(l, now_s);
    double rate;
    if (!throttled) {
        double dt = now_s - l->last_fail_s - l->k;
        rate = CUBIC_SCALE * dt * dt * dt + l->w_max;
    } else {
        double used = measured;
        if (l->enabled && l->fill_rate < used)
            used = l->fill_rate;
        l->w_max = used;
        l->k = cbrt(l->w_max * (1 - CUBIC_BETA) / CUBIC_SCALE);
        l->last_fail_s = now_s;
        rate = used * CUBIC_BETA;
        l->enabled = 1;
    }
    double ceiling = MAX_RATE_ADJUST_SCALE * measured;
    set_max_rate(l, rate < ceiling ? rate : ceiling, now_s);
}

/* ---- clock skew ----------------------------------------------------------- */

static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int kumo_http_date_parse(const char *text, int64_t *unix_seconds)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    char weekday[4], month[4], zone[4];
    int day, year, hour, minute, second, used = 0;
    if (!text ||
        sscanf(text, "%3[A-Za-z], %2d %3[A-Za-z] %4d %2d:%2d:%2d %3[A-Z]%n", weekday, &day, month,
               &year, &hour, &minute, &second, zone, &used) != 8 ||
        text[used] != '\0' || strcmp(zone, "GMT") != 0 || strlen(month) != 3)
        return -1;
    const char *found = strstr(months, month);
    if (!found || (found - months) % 3 != 0)
        return -1;
    int m = (int)((found - months) / 3) + 1;
    if (day < 1 || day > 31 || year < 1970 || hour > 23 || minute > 59 || second > 60 || hour < 0 ||
        minute < 0 || second < 0)
        return -1;
    *unix_seconds = days_from_civil(year, m, day) * 86400 + hour * 3600 + minute * 60 + second;
    return 0;
}

int64_t kumo_clock_skew_offset(int64_t server_ms, int64_t local_ms)
{
    int64_t skew = server_ms - local_ms;
    return skew > KUMO_CLOCK_SKEW_THRESHOLD_MS || skew < -KUMO_CLOCK_SKEW_THRESHOLD_MS ? skew : 0;
}
