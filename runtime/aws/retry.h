/*
 * retry.h - the AWS SDKs' retry policy as small pure functions over plain
 * state: which failures are retried (standard and legacy rules), the backoff
 * delay, the per-runtime retry quota, the adaptive mode's client-side rate
 * limiter (token bucket + CUBIC, as botocore's adaptive mode), and clock-skew
 * detection from the HTTP Date header. No I/O, no clock and no randomness of
 * its own: callers pass the time and the random number, so tests pin them.
 *
 *   standard  3 attempts; retry on HTTP 500/502/503/504, RequestTimeout,
 *             RequestTimeoutException, PriorRequestNotComplete, the throttling
 *             codes, connection failures and timeouts; never on another 4xx.
 *             Delay before retry n (1-based): random[0,1) * min(2^(n-1), 20) s.
 *             Retry quota: 500 tokens per runtime; a retry costs 5 (10 after a
 *             timeout); a success without retry gives 1 back, a success after
 *             retries gives back what its last retry cost.
 *   adaptive  standard + the rate limiter, which starts limiting sends after
 *             the first throttling answer.
 *   legacy    botocore's _retry.json: 5 attempts; HTTP 500/502/503/504/509/429,
 *             the throttling codes it lists (with their status), socket errors;
 *             delay random[0,1) * 2^(n-1) s, no cap; no retry quota.
 */
#ifndef KUMO_RETRY_H
#define KUMO_RETRY_H

#include <stddef.h>
#include <stdint.h>

#include "kumo.h"

enum kumo_retry_mode { KUMO_RETRY_STANDARD = 0, KUMO_RETRY_ADAPTIVE, KUMO_RETRY_LEGACY };

#define KUMO_RETRY_STANDARD_MAX_ATTEMPTS 3
#define KUMO_RETRY_LEGACY_MAX_ATTEMPTS 5
#define KUMO_RETRY_MAX_BACKOFF_MS 20000
#define KUMO_RETRY_QUOTA_CAPACITY 500
#define KUMO_RETRY_COST 5
#define KUMO_RETRY_TIMEOUT_COST 10
#define KUMO_RETRY_NO_RETRY_REFUND 1
/* A local clock further than this from the server's Date is corrected. */
#define KUMO_CLOCK_SKEW_THRESHOLD_MS (5 * 60 * 1000LL)

/* How one attempt ended. */
struct kumo_retry_outcome {
    enum kumo_transport_result transport; /* KUMO_TRANSPORT_OK: an HTTP answer arrived */
    long http_status;                     /* with an answer */
    const char *code;                     /* the AWS error code, or NULL / "" */
};

/* "standard", "adaptive", "legacy"; NULL or "" is standard. Returns 0, or -1
 * for another name. */
int kumo_retry_mode_parse(const char *name, enum kumo_retry_mode *mode);
const char *kumo_retry_mode_name(enum kumo_retry_mode mode);
/* `configured` (> 0) or the mode's default. */
int kumo_retry_max_attempts(enum kumo_retry_mode mode, int configured);

/* 1 when `code` is one of the SDKs' throttling codes. */
int kumo_retry_is_throttling_code(const char *code);
/* 1 for RequestExpired, RequestTimeTooSkewed, RequestInTheFuture,
 * SignatureDoesNotMatch, AuthFailure. */
int kumo_retry_is_skew_code(const char *code);
/* 1 when the mode retries this outcome (attempts and quota aside). */
int kumo_retry_is_retryable(enum kumo_retry_mode mode, const struct kumo_retry_outcome *outcome);
/* The delay before retry `retry` (1: after the first attempt), in ms, for a
 * random number in [0, 1). */
int64_t kumo_retry_backoff_ms(enum kumo_retry_mode mode, int retry, double random01);
/* What a retry of this outcome costs from the quota. */
int kumo_retry_cost(const struct kumo_retry_outcome *outcome);

/* The retry quota. Zero-initialised = full. */
struct kumo_retry_quota {
    int spent; /* tokens taken out of KUMO_RETRY_QUOTA_CAPACITY */
};
/* Takes `cost` tokens and returns 1, or returns 0 (and takes nothing) when
 * fewer are left. */
int kumo_retry_quota_acquire(struct kumo_retry_quota *quota, int cost);
/* Gives `amount` back, never above the capacity. */
void kumo_retry_quota_release(struct kumo_retry_quota *quota, int amount);
int kumo_retry_quota_available(const struct kumo_retry_quota *quota);

/* The adaptive mode's client-side rate limiter (botocore retries/adaptive.py,
 * bucket.py, throttling.py). Times are seconds on any monotonic clock.
 * Zero-initialised = not started; the first call starts it. */
struct kumo_rate_limiter {
    int started;
    int enabled; /* after the first throttling answer */
    /* token bucket */
    double fill_rate; /* tokens per second (>= 0.5) */
    double max_capacity;
    double capacity;
    double last_refill_s;
    int refilled;
    /* CUBIC */
    double w_max, k, last_fail_s;
    /* measured send rate */
    double measured_rate, last_bucket_s, count;
};
/* Before a send: takes a token and returns 0, or returns the seconds to wait
 * before asking again (the caller sleeps, then calls again). Always 0 until
 * the limiter is enabled. */
double kumo_rate_limiter_acquire(struct kumo_rate_limiter *limiter, double now_s);
/* After every attempt (any outcome): measures the send rate and adjusts the
 * allowed rate (CUBIC: grows after successes, x0.7 after throttling). */
void kumo_rate_limiter_update(struct kumo_rate_limiter *limiter, int throttled, double now_s);

/* Parses an RFC 7231 IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") into Unix
 * seconds. Returns 0, or -1 when it is not one. */
int kumo_http_date_parse(const char *text, int64_t *unix_seconds);
/* The signing offset after a response whose Date is `server_ms`, received at
 * local time `local_ms`: the difference when it is over the threshold, else 0. */
int64_t kumo_clock_skew_offset(int64_t server_ms, int64_t local_ms);

/* Per-runtime retry state (in struct kumo_runtime, zero-initialised). */
struct kumo_retry_state {
    struct kumo_retry_quota quota;
    struct kumo_rate_limiter limiter;
    int64_t clock_offset_ms; /* added to the runtime clock when signing */
    /* Test seams, NULL in normal use: how to sleep and read a monotonic
     * clock (ms). Unit tests set them (through runtime_internal.h) to make
     * backoff instant and the limiter's time virtual. */
    void (*sleep_ms)(void *data, int64_t ms);
    int64_t (*monotonic_ms)(void *data);
    void *hook_data;
};

#endif
