/*
 * call.c - the one entry point bindings use to talk to EC2:
 * wire parameters (Lua table) -> form body -> configuration and credentials
 * (resolved once per runtime) -> SigV4 -> transport, with the SDKs'
 * standard retry rules -> XML decode -> Lua table, or a kumo.Error.
 *
 * Retries follow aws/retry.h (standard, adaptive or legacy mode from
 * AWS_RETRY_MODE / the profile; attempts from AWS_MAX_ATTEMPTS / the profile).
 * Every attempt is signed anew, at the runtime clock plus the clock offset
 * learnt from the Date header of earlier responses, and carries
 * amz-sdk-invocation-id (one UUID per call) and amz-sdk-request
 * ("attempt=N; max=M", with "ttl=..." in front once a response gave the
 * server's time).
 *
 * Timeouts: KUMO_CONNECT_TIMEOUT_MS (default 10000) and KUMO_HTTP_TIMEOUT_MS
 * (the whole exchange, default 60000), each 1..3600000.
 *
 * C memory (signature, response) lives only inside the attempt loop, which
 * makes no Lua call that can raise; the result is pushed under lua_pcall and
 * errors are raised only after everything is freed.
 */
#include "aws/call.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lauxlib.h>

#include "aws/credentials.h"
#include "aws/http.h"
#include "aws/intercept.h"
#include "aws/query.h"
#include "aws/retry.h"
#include "aws/sigv4.h"
#include "aws/xml.h"
#include "host/error.h"
#include "host/limits.h"
#include "host/log.h"
#include "host/runtime_internal.h"
#include "sandbox/sandbox.h"

#define EC2_SERVICE "ec2"
#define CONNECT_TIMEOUT_MS 10000
#define TOTAL_TIMEOUT_MS 60000
#define MAX_TIMEOUT_MS 3600000
#define MAX_RESPONSE_BYTES (8u * 1024u * 1024u)
#define CONTENT_TYPE "application/x-www-form-urlencoded; charset=utf-8"
#define USER_AGENT "kumo/" KUMO_VERSION_STRING

/* The parts of an endpoint URL a request needs. */
struct endpoint {
    char url[1024]; /* scheme://authority/path */
    char host[512]; /* Host header: authority without a default port */
    char path[512]; /* "/" when the URL has none */
    int plain_http;
};

/* The key pair (and token) one attempt is signed with; owned elsewhere. */
struct signing_credentials {
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token; /* NULL when none */
};

/* What a failed attempt leaves behind, with no pointers into freed memory. */
struct failure {
    const char *kind;
    char code[128];
    char message[1200];
    char request_id[128];
    const char *hint;
    long http_status;
    enum kumo_transport_result transport; /* KUMO_TRANSPORT_OK: an HTTP answer arrived */
};

/* One call: what every attempt shares. */
struct call_plan {
    const char *action;
    const struct endpoint *ep;
    const char *body;
    size_t body_length;
    char invocation_id[37];
    enum kumo_retry_mode mode;
    int max_attempts;
    long connect_timeout_ms;
    long timeout_ms;
    int have_server_time;          /* a response of this call carried a Date */
    int64_t server_minus_local_ms; /* its estimate of server time - local time */
};

static int parse_endpoint(const char *url, struct endpoint *out)
{
    const char *rest;
    if (strncmp(url, "https://", 8) == 0) {
        rest = url + 8;
        out->plain_http = 0;
    } else if (strncmp(url, "http://", 7) == 0) {
        rest = url + 7;
        out->plain_http = 1;
    } else {
        return -1;
    }
    size_t authority_length = strcspn(rest, "/?#");
    if (authority_length == 0 || authority_length >= sizeof out->host)
        return -1;
    const char *path = rest + authority_length;
    size_t path_length = strcspn(path, "?#");
    if (path_length >= sizeof out->path)
        return -1;
    if (path_length == 0)
        snprintf(out->path, sizeof out->path, "/");
    else
        snprintf(out->path, sizeof out->path, "%.*s", (int)path_length, path);
    snprintf(out->host, sizeof out->host, "%.*s", (int)authority_length, rest);
    const char *default_port = out->plain_http ? ":80" : ":443";
    size_t host_length = strlen(out->host);
    size_t port_length = strlen(default_port);
    if (host_length > port_length &&
        strcmp(out->host + host_length - port_length, default_port) == 0)
        out->host[host_length - port_length] = '\0';
    int written =
        snprintf(out->url, sizeof out->url, "%s://%.*s%s", out->plain_http ? "http" : "https",
                 (int)authority_length, rest, out->path);
    return written > 0 && (size_t)written < sizeof out->url ? 0 : -1;
}

static const char *hint_for_code(const char *code)
{
    if (strcmp(code, "AuthFailure") == 0 || strcmp(code, "SignatureDoesNotMatch") == 0 ||
        strcmp(code, "InvalidClientTokenId") == 0)
        return "check the access key and secret (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or "
               "the profile's keys) and the system clock";
    if (strcmp(code, "UnauthorizedOperation") == 0 || strcmp(code, "AccessDenied") == 0)
        return "the credentials are valid but IAM does not allow this action; ask for the "
               "permission or use another profile";
    if (strcmp(code, "RequestExpired") == 0)
        return "the system clock is more than 15 minutes off; fix the clock";
    return NULL;
}

/* Classifies a received HTTP response that is not a 2xx. */
static void fail_from_response(struct failure *f, const struct kumo_http_response *response,
                               const struct endpoint *ep)
{
    struct kumo_xml_error doc;
    f->http_status = response->status;
    if (kumo_xml_parse_error(kumo_strbuf_cstr(&response->body), response->body.length, &doc)) {
        f->kind = "aws";
        snprintf(f->code, sizeof f->code, "%s", doc.code);
        snprintf(f->message, sizeof f->message, "%s", doc.message);
        snprintf(f->request_id, sizeof f->request_id, "%s", doc.request_id);
        if (!f->request_id[0] && response->request_id)
            snprintf(f->request_id, sizeof f->request_id, "%s", response->request_id);
        f->hint = hint_for_code(doc.code);
        return;
    }
    f->kind = "http";
    snprintf(f->code, sizeof f->code, "%s", KUMO_CODE_INVALID_RESPONSE);
    snprintf(f->message, sizeof f->message,
             "HTTP %ld from %s with no AWS error document (Content-Type %s)", response->status,
             ep->host, response->content_type ? response->content_type : "not given");
    if (response->request_id)
        snprintf(f->request_id, sizeof f->request_id, "%s", response->request_id);
    if (response->status >= 300 && response->status < 400)
        f->hint = "kumo follows no redirects: check the endpoint URL";
}

static void fail_from_transport(struct failure *f, enum kumo_transport_result result,
                                const char *reason, const struct endpoint *ep)
{
    f->kind = "http";
    f->http_status = 0;
    f->transport = result;
    const char *code = KUMO_CODE_TRANSPORT_FAILED;
    switch (result) {
    case KUMO_TRANSPORT_CONNECT_FAILED:
        code = KUMO_CODE_CONNECTION_FAILED;
        f->hint = "check the endpoint (--endpoint, AWS_ENDPOINT_URL) and the network";
        break;
    case KUMO_TRANSPORT_TIMEOUT:
        code = KUMO_CODE_TIMEOUT;
        f->kind = "timeout";
        break;
    case KUMO_TRANSPORT_TLS_FAILED:
        code = KUMO_CODE_TLS_FAILED;
        f->hint = "the server's certificate could not be verified; set AWS_CA_BUNDLE to the "
                  "CA that signed it";
        break;
    case KUMO_TRANSPORT_TOO_LARGE:
        code = KUMO_CODE_RESPONSE_TOO_LARGE;
        break;
    default:
        break;
    }
    snprintf(f->code, sizeof f->code, "%s", code);
    snprintf(f->message, sizeof f->message, "%s: %s", ep->url,
             reason && *reason ? reason : "the request failed");
}

/* Resolves region and endpoint once per runtime, raising a kumo.Error of
 * kind "config" when something is missing. */
/* Sandbox mode: the sandbox's own credentials; region from --region,
 * AWS_REGION or AWS_DEFAULT_REGION, else us-east-1; the region's default
 * endpoint (never contacted: the sandbox is the transport). No profile or
 * shared file is read, so a sandbox run needs no AWS setup at all. */
static int configure_sandbox(struct kumo_runtime *rt)
{
    struct kumo_config *cfg = &rt->config;
    const char *region =
        kumo_config_sandbox_region(rt->region, KUMO_SANDBOX_DEFAULT_REGION, &cfg->region_source);
    char endpoint[300];
    snprintf(endpoint, sizeof endpoint, "https://ec2.%.200s.amazonaws.com", region);
    cfg->region = strdup(region);
    cfg->endpoint = strdup(endpoint);
    cfg->endpoint_source = "the sandbox";
    cfg->profile = strdup("sandbox");
    cfg->profile_source = "the sandbox";
    cfg->access_key_id = strdup(KUMO_SANDBOX_ACCESS_KEY_ID);
    cfg->secret_access_key = strdup(KUMO_SANDBOX_SECRET_ACCESS_KEY);
    cfg->credential_source = "the sandbox";
    if (!cfg->region || !cfg->endpoint || !cfg->profile || !cfg->access_key_id ||
        !cfg->secret_access_key) {
        kumo_config_clear(cfg);
        return -1;
    }
    return 0;
}

static void ensure_region(lua_State *L, struct kumo_runtime *rt, const char *action)
{
    if (rt->config_resolved)
        return;
    if (rt->sandbox) {
        if (configure_sandbox(rt) != 0)
            luaL_error(L, "out of memory");
        rt->config_resolved = rt->credentials_resolved = 1;
        return;
    }
    struct kumo_config_input input = {
        .region_flag = rt->region, .profile_flag = rt->profile, .endpoint_flag = rt->endpoint};
    char message[1024] = "";
    if (kumo_config_resolve(&input, &rt->config, message, sizeof message) != KUMO_CONFIG_OK) {
        kumo_config_clear(&rt->config);
        struct kumo_error_info info = {
            .kind = "config", .operation = action, .code = KUMO_CODE_CONFIG, .message = message};
        kumo_error_raise(L, &info);
    }
    rt->config_resolved = 1;
}

/* Raises the kumo.Error for a credential chain failure. */
static int raise_credentials_error(lua_State *L, const char *action,
                                   enum kumo_config_failure failure, const char *message)
{
    struct kumo_error_info info = {.kind = failure == KUMO_CONFIG_BAD ? "config" : "credentials",
                                   .operation = action,
                                   .code = failure == KUMO_CONFIG_BAD ? KUMO_CODE_CONFIG
                                                                      : KUMO_CODE_NO_CREDENTIALS,
                                   .message = message};
    return kumo_error_raise(L, &info);
}

/* Sets up the credential chain once per runtime (after the region) and
 * resolves it once, raising a kumo.Error of kind "credentials" (or
 * "config") when there are no usable credentials. Later attempts ask the
 * chain again (current_credentials), which refreshes temporary ones. */
static void ensure_configured(lua_State *L, struct kumo_runtime *rt, const char *action)
{
    ensure_region(L, rt, action);
    if (rt->credentials_resolved)
        return;
    if (!rt->credentials) {
        struct kumo_config_input input = {
            .region_flag = rt->region, .profile_flag = rt->profile, .endpoint_flag = rt->endpoint};
        rt->credentials = kumo_credential_chain_new(&input, &rt->config, rt->transport,
                                                    rt->transport_data, rt->clock, rt->clock_data);
        if (!rt->credentials)
            luaL_error(L, "out of memory");
    }
    char message[1024] = "";
    const struct kumo_credentials *creds = NULL;
    enum kumo_config_failure failure = KUMO_CONFIG_NO_CREDENTIALS;
    if (kumo_credential_chain_get(rt->credentials, &creds, message, sizeof message, &failure) != 0)
        raise_credentials_error(L, action, failure, message);
    kumo_log(rt, KUMO_LOG_DEBUG, "credentials from %s", creds->source);
    rt->credentials_resolved = 1;
}

const char *kumo_call_region(lua_State *L)
{
    struct kumo_runtime *rt = kumo_runtime_from_lua(L);
    ensure_region(L, rt, NULL);
    return rt->config.region;
}

/* Sleeps through the runtime's hook (tests) or nanosleep. */
static void pause_ms(struct kumo_runtime *rt, int64_t ms)
{
    if (ms <= 0)
        return;
    if (rt->retry.sleep_ms) {
        rt->retry.sleep_ms(rt->retry.hook_data, ms);
        return;
    }
    struct timespec delay = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&delay, &delay) != 0)
        ;
}

static int64_t monotonic_ms(struct kumo_runtime *rt)
{
    if (rt->retry.monotonic_ms)
        return rt->retry.monotonic_ms(rt->retry.hook_data);
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* A random number in [0, 1) for the backoff jitter. */
static double random_unit(struct kumo_runtime *rt)
{
    return (double)(kumo_runtime_random(rt) >> 11) * (1.0 / 9007199254740992.0);
}

static void format_invocation_id(struct kumo_runtime *rt, char out[37])
{
    uint64_t a = kumo_runtime_random(rt), b = kumo_runtime_random(rt);
    snprintf(out, 37, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32),
             (unsigned)(a >> 16) & 0xffff, (unsigned)a & 0xfff,
             (unsigned)((b >> 48) & 0x3fff) | 0x8000, (unsigned long long)(b & 0xffffffffffffULL));
}

/* Reads a timeout in ms from the environment. Returns 0 (with the default
 * when unset or empty), or -1 when the value is not 1..MAX_TIMEOUT_MS. */
static int timeout_from_env(const char *name, long fallback, long *out)
{
    const char *text = getenv(name);
    *out = fallback;
    if (!text || !*text)
        return 0;
    char *end = NULL;
    long value = strtol(text, &end, 10);
    if (*end != '\0' || value < 1 || value > MAX_TIMEOUT_MS || text[0] < '0' || text[0] > '9')
        return -1;
    *out = value;
    return 0;
}

/* Fills the call-wide settings, or raises a kumo.Error of kind "config". */
static void plan_call(lua_State *L, struct kumo_runtime *rt, struct call_plan *plan)
{
    const char *bad = NULL;
    if (kumo_retry_mode_parse(rt->config.retry_mode, &plan->mode) != 0)
        bad = "the retry mode must be standard, adaptive or legacy";
    else if (timeout_from_env("KUMO_CONNECT_TIMEOUT_MS", CONNECT_TIMEOUT_MS,
                              &plan->connect_timeout_ms) != 0)
        bad = "KUMO_CONNECT_TIMEOUT_MS must be a number of milliseconds from 1 to 3600000";
    else if (timeout_from_env("KUMO_HTTP_TIMEOUT_MS", TOTAL_TIMEOUT_MS, &plan->timeout_ms) != 0)
        bad = "KUMO_HTTP_TIMEOUT_MS must be a number of milliseconds from 1 to 3600000";
    if (bad) {
        struct kumo_error_info info = {
            .kind = "config", .operation = plan->action, .code = KUMO_CODE_CONFIG, .message = bad};
        kumo_error_raise(L, &info);
    }
    plan->max_attempts = kumo_retry_max_attempts(plan->mode, rt->config.max_attempts);
    format_invocation_id(rt, plan->invocation_id);
}

/* The amz-sdk-request value of an attempt. botocore adds "ttl=" (the server's
 * time plus the timeout, from the Date of an earlier response of this call). */
static void format_sdk_request(struct kumo_runtime *rt, const struct call_plan *plan, int attempt,
                               char *out, size_t size)
{
    if (!plan->have_server_time) {
        snprintf(out, size, "attempt=%d; max=%d", attempt, plan->max_attempts);
        return;
    }
    int64_t ttl_ms = kumo_runtime_now_ms(rt) + plan->server_minus_local_ms + plan->timeout_ms;
    time_t ttl = (time_t)(ttl_ms / 1000 - (ttl_ms % 1000 < 0));
    struct tm tm;
    char stamp[32] = "";
    if (gmtime_r(&ttl, &tm))
        strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    snprintf(out, size, "ttl=%s; attempt=%d; max=%d", stamp, attempt, plan->max_attempts);
}

/* Reads the Date of a response: remembers the server's time for the ttl and
 * sets the runtime's signing offset. Returns 1 when the offset changed by
 * more than the skew threshold (the attempt was signed with a clock that was
 * off). */
static int learn_server_time(struct kumo_runtime *rt, struct call_plan *plan,
                             const struct kumo_http_response *response)
{
    int64_t server_s;
    if (!response->date || kumo_http_date_parse(response->date, &server_s) != 0)
        return 0;
    int64_t local_ms = kumo_runtime_now_ms(rt);
    plan->have_server_time = 1;
    plan->server_minus_local_ms = server_s * 1000 - local_ms;
    int64_t before = rt->retry.clock_offset_ms;
    int64_t after = kumo_clock_skew_offset(server_s * 1000, local_ms);
    rt->retry.clock_offset_ms = after;
    if (after != before)
        kumo_log(rt, KUMO_LOG_DEBUG,
                 "clock: the local clock is %lld s %s the server's; signing "
                 "with %s",
                 (long long)((after - before < 0 ? before - after : after - before) / 1000),
                 after - before < 0 ? "ahead of" : "behind",
                 after ? "the server's time" : "the local clock");
    int64_t change = after - before;
    return change > KUMO_CLOCK_SKEW_THRESHOLD_MS || change < -KUMO_CLOCK_SKEW_THRESHOLD_MS;
}

/* The credentials to sign one attempt with. Every attempt asks again, so
 * temporary credentials can be refreshed between attempts. Returns 0, or -1
 * with *f filled (kind "credentials"). */
static int current_credentials(struct kumo_runtime *rt, struct signing_credentials *out,
                               struct failure *f)
{
    if (!rt->credentials) { /* the sandbox: its fixed keys are in the config */
        const struct kumo_config *cfg = &rt->config;
        out->access_key_id = cfg->access_key_id;
        out->secret_access_key = cfg->secret_access_key;
        out->session_token = NULL;
        return 0;
    }
    char message[1024] = "";
    const struct kumo_credentials *creds = NULL;
    enum kumo_config_failure failure = KUMO_CONFIG_NO_CREDENTIALS;
    if (kumo_credential_chain_get(rt->credentials, &creds, message, sizeof message, &failure) !=
        0) {
        f->kind = failure == KUMO_CONFIG_BAD ? "config" : "credentials";
        snprintf(f->code, sizeof f->code, "%s",
                 failure == KUMO_CONFIG_BAD ? KUMO_CODE_CONFIG : KUMO_CODE_NO_CREDENTIALS);
        snprintf(f->message, sizeof f->message, "%s", message);
        return -1;
    }
    if (message[0]) /* a refresh failed; the current credentials are still good */
        kumo_log(rt, KUMO_LOG_WARN, "%s", message);
    out->access_key_id = creds->access_key_id;
    out->secret_access_key = creds->secret_access_key;
    out->session_token =
        creds->session_token && *creds->session_token ? creds->session_token : NULL;
    return 0;
}

/* One signed exchange. Returns 1 with *response filled on a 2xx, 0 with
 * *failure filled otherwise; *skewed says the response showed that this
 * attempt was signed with a clock off by more than the threshold. */
static int attempt_once(struct kumo_runtime *rt, struct call_plan *plan, int attempt,
                        struct kumo_http_response *response, struct failure *f, int *skewed)
{
    const struct kumo_config *cfg = &rt->config;
    const struct endpoint *ep = plan->ep;
    struct signing_credentials creds;
    *skewed = 0;
    if (current_credentials(rt, &creds, f) != 0)
        return 0;
    struct kumo_http_header to_sign[] = {{"Content-Type", CONTENT_TYPE}, {"Host", ep->host}};
    int64_t signing_ms = kumo_runtime_now_ms(rt) + rt->retry.clock_offset_ms;
    struct kumo_sigv4_input input = {
        .method = "POST",
        .path = ep->path,
        .query = "",
        .headers = to_sign,
        .header_count = 2,
        .payload = plan->body,
        .payload_length = plan->body_length,
        .access_key_id = creds.access_key_id,
        .secret_access_key = creds.secret_access_key,
        .session_token = creds.session_token,
        .sign_session_token = true,
        .region = cfg->region,
        .service = EC2_SERVICE,
        .unix_seconds = signing_ms / 1000 - (signing_ms % 1000 < 0),
        .normalize_path = true,
    };
    struct kumo_sigv4_output signature = {0};
    if (kumo_sigv4_sign(&input, &signature) != 0) {
        f->kind = "credentials";
        f->transport = KUMO_TRANSPORT_TLS_FAILED; /* anything not retried */
        snprintf(f->code, sizeof f->code, "%s", "SigningFailed");
        snprintf(f->message, sizeof f->message, "cannot sign the request (out of memory?)");
        return 0;
    }
    char sdk_request[96];
    format_sdk_request(rt, plan, attempt, sdk_request, sizeof sdk_request);
    struct kumo_http_header headers[9];
    size_t count = 0;
    headers[count++] = (struct kumo_http_header){"Host", ep->host};
    headers[count++] = (struct kumo_http_header){"Content-Type", CONTENT_TYPE};
    headers[count++] = (struct kumo_http_header){"X-Amz-Date", signature.amz_date};
    if (creds.session_token)
        headers[count++] = (struct kumo_http_header){"X-Amz-Security-Token", creds.session_token};
    headers[count++] = (struct kumo_http_header){"Authorization", signature.authorization};
    headers[count++] = (struct kumo_http_header){"User-Agent", USER_AGENT};
    headers[count++] = (struct kumo_http_header){"amz-sdk-invocation-id", plan->invocation_id};
    headers[count++] = (struct kumo_http_header){"amz-sdk-request", sdk_request};
    struct kumo_http_request request = {
        .method = "POST",
        .url = ep->url,
        .headers = headers,
        .header_count = count,
        .body = plan->body,
        .body_length = plan->body_length,
        .connect_timeout_ms = plan->connect_timeout_ms,
        .timeout_ms = plan->timeout_ms,
        .max_response_bytes = MAX_RESPONSE_BYTES,
        .ca_bundle = cfg->ca_bundle,
        .allow_plain_http = ep->plain_http && cfg->endpoint_explicit,
    };
    char reason[512] = "";
    int64_t started = monotonic_ms(rt);
    enum kumo_transport_result result =
        rt->transport(rt->transport_data, &request, response, reason, sizeof reason);
    long elapsed = (long)(monotonic_ms(rt) - started);
    kumo_sigv4_output_clear(&signature);
    if (result != KUMO_TRANSPORT_OK) {
        fail_from_transport(f, result, reason, ep);
        kumo_log(rt, KUMO_LOG_DEBUG, "http %s failed (%s) %ld ms attempt %d/%d", plan->action,
                 f->code, elapsed, attempt, plan->max_attempts);
        return 0;
    }
    kumo_log(rt, KUMO_LOG_DEBUG, "http %s %ld %ld ms attempt %d/%d", plan->action, response->status,
             elapsed, attempt, plan->max_attempts);
    *skewed = learn_server_time(rt, plan, response);
    if (response->status >= 200 && response->status < 300)
        return 1;
    fail_from_response(f, response, ep);
    return 0;
}

/* Adaptive mode: waits for a token of the client-side rate limiter. */
static void wait_for_send_token(struct kumo_runtime *rt, const struct call_plan *plan)
{
    if (plan->mode != KUMO_RETRY_ADAPTIVE)
        return;
    double wait_s;
    while ((wait_s = kumo_rate_limiter_acquire(&rt->retry.limiter,
                                               (double)monotonic_ms(rt) / 1000.0)) > 0) {
        int64_t wait_ms = (int64_t)ceil(wait_s * 1000.0);
        kumo_log(rt, KUMO_LOG_DEBUG, "rate limit %s: waiting %lld ms (adaptive retry mode)",
                 plan->action, (long long)wait_ms);
        pause_ms(rt, wait_ms);
    }
}

/* The outcome of a failed attempt, as the retry policy sees it. */
static struct kumo_retry_outcome outcome_of(const struct failure *f)
{
    struct kumo_retry_outcome o = {f->transport, f->http_status, f->code};
    return o;
}

enum verdict { GIVE_UP, RETRY, QUOTA_EXHAUSTED };

/* Decides about a failed attempt; on RETRY, *delay_ms is the backoff (0 for
 * the one immediate retry after a clock-skew correction). Pays the quota. */
static enum verdict decide(struct kumo_runtime *rt, const struct call_plan *plan,
                           const struct failure *f, int attempt, int skewed, int *skew_retried,
                           int *last_cost, int64_t *delay_ms)
{
    struct kumo_retry_outcome o = outcome_of(f);
    *delay_ms = 0;
    if (attempt >= plan->max_attempts)
        return GIVE_UP;
    if (skewed && !*skew_retried && kumo_retry_is_skew_code(f->code)) {
        *skew_retried = 1;
        return RETRY;
    }
    if (!kumo_retry_is_retryable(plan->mode, &o))
        return GIVE_UP;
    if (plan->mode != KUMO_RETRY_LEGACY) {
        int cost = kumo_retry_cost(&o);
        if (!kumo_retry_quota_acquire(&rt->retry.quota, cost))
            return QUOTA_EXHAUSTED;
        *last_cost = cost;
    }
    *delay_ms = kumo_retry_backoff_ms(plan->mode, attempt, random_unit(rt));
    return RETRY;
}

struct decode_args {
    const struct kumo_http_response *response;
    char *reason;
    size_t reason_size;
    int ok;
};

/* Runs under lua_pcall: pushes the decoded response. */
static int decode_protected(lua_State *L)
{
    struct decode_args *args = lua_touserdata(L, 1);
    const struct kumo_strbuf *body = &args->response->body;
    args->ok = kumo_xml_push_response(L, kumo_strbuf_cstr(body), body->length, args->reason,
                                      args->reason_size) == 0;
    return args->ok ? 1 : 0;
}

/* Decodes a 2xx response (freeing it) and leaves only the result on the
 * stack, or raises. */
static int finish_success(lua_State *L, const struct call_plan *plan, int body_index,
                          struct kumo_http_response *response, int attempts)
{
    char reason[256] = "";
    struct decode_args args = {response, reason, sizeof reason, 0};
    lua_pushcfunction(L, decode_protected);
    lua_pushlightuserdata(L, &args);
    int status = lua_pcall(L, 1, 1, 0);
    char request_id[128] = "";
    if (response->request_id)
        snprintf(request_id, sizeof request_id, "%s", response->request_id);
    long http_status = response->status;
    kumo_http_response_clear(response);
    if (status != LUA_OK)
        return lua_error(L); /* memory error; the response is freed */
    if (args.ok) {
        lua_remove(L, body_index); /* leave only the response */
        return 1;
    }
    char message[1200];
    snprintf(message, sizeof message,
             "the %.128s response from %.512s is not an EC2 document: %.256s", plan->action,
             plan->ep->host, reason);
    struct kumo_error_info info = {.kind = "http",
                                   .operation = plan->action,
                                   .code = KUMO_CODE_INVALID_RESPONSE,
                                   .message = message,
                                   .request_id = request_id[0] ? request_id : NULL,
                                   .http_status = http_status,
                                   .attempts = attempts};
    return kumo_error_raise(L, &info);
}

int kumo_call_ec2(lua_State *L, const char *action, int params_index)
{
    struct kumo_runtime *rt = kumo_runtime_from_lua(L);
    if (params_index != 0)
        params_index = lua_absindex(L, params_index);
    if (kumo_intercept_before(L, rt, action, &params_index))
        return 1; /* plan mode: recorded, answered without sending */
    kumo_query_push_body(L, action, KUMO_EC2_API_VERSION, params_index);
    int body_index = lua_gettop(L);
    struct call_plan plan = {.action = action};
    plan.body = lua_tolstring(L, -1, &plan.body_length);
    ensure_configured(L, rt, action);

    struct endpoint ep;
    if (parse_endpoint(rt->config.endpoint, &ep) != 0) {
        struct kumo_error_info info = {.kind = "config",
                                       .operation = action,
                                       .code = KUMO_CODE_CONFIG,
                                       .message = "the endpoint is not an http(s) URL"};
        return kumo_error_raise(L, &info);
    }
    if (ep.plain_http && !rt->config.endpoint_explicit) {
        struct kumo_error_info info = {.kind = "config",
                                       .operation = action,
                                       .code = KUMO_CODE_CONFIG,
                                       .message = "plain http:// is allowed only for an "
                                                  "endpoint given explicitly"};
        return kumo_error_raise(L, &info);
    }
    plan.ep = &ep;
    plan_call(L, rt, &plan);

    /* From here to the end of the loop no Lua call may raise. */
    struct failure f;
    struct kumo_http_response response;
    int attempt = 0, succeeded = 0, skew_retried = 0, last_cost = 0;
    enum verdict verdict = GIVE_UP;
    for (;;) {
        attempt++;
        memset(&f, 0, sizeof f);
        kumo_http_response_init(&response, MAX_RESPONSE_BYTES);
        wait_for_send_token(rt, &plan);
        int skewed = 0;
        succeeded = attempt_once(rt, &plan, attempt, &response, &f, &skewed);
        if (plan.mode == KUMO_RETRY_ADAPTIVE)
            kumo_rate_limiter_update(&rt->retry.limiter,
                                     !succeeded && kumo_retry_is_throttling_code(f.code),
                                     (double)monotonic_ms(rt) / 1000.0);
        if (succeeded)
            break;
        int64_t delay_ms = 0;
        verdict = decide(rt, &plan, &f, attempt, skewed, &skew_retried, &last_cost, &delay_ms);
        if (verdict != RETRY)
            break;
        kumo_http_response_clear(&response);
        kumo_log(rt, KUMO_LOG_DEBUG, "retry %s after %s%s in %lld ms (%d of %d attempts made)",
                 action, f.code, skewed && delay_ms == 0 ? ", clock corrected," : "",
                 (long long)delay_ms, attempt, plan.max_attempts);
        pause_ms(rt, delay_ms);
        kumo_limits_check(L); /* a cancel or the time limit stops between attempts (no C
                                 memory is live here: the response was cleared) */
    }

    if (succeeded) {
        if (plan.mode != KUMO_RETRY_LEGACY)
            kumo_retry_quota_release(&rt->retry.quota,
                                     last_cost ? last_cost : KUMO_RETRY_NO_RETRY_REFUND);
        return finish_success(L, &plan, body_index, &response, attempt);
    }
    kumo_http_response_clear(&response);
    if (f.kind && strcmp(f.kind, "aws") == 0 &&
        kumo_intercept_error(L, rt, action, params_index, f.code, f.message, f.http_status)) {
        lua_remove(L, body_index); /* dry run: allowed or denied, recorded */
        return 1;
    }
    if (verdict == QUOTA_EXHAUSTED) {
        size_t used = strlen(f.message);
        snprintf(f.message + used, sizeof f.message - used,
                 " (not retried: the retry quota of this run is exhausted; %d attempt%s made)",
                 attempt, attempt == 1 ? "" : "s");
    }
    struct kumo_error_info info = {.kind = f.kind,
                                   .operation = action,
                                   .code = f.code,
                                   .message = f.message,
                                   .request_id = f.request_id[0] ? f.request_id : NULL,
                                   .hint = f.hint,
                                   .http_status = f.http_status,
                                   .attempts = attempt};
    return kumo_error_raise(L, &info);
}
