/*
 * call.c - the one entry point bindings use to talk to EC2:
 * wire parameters (Lua table) -> form body -> configuration and credentials
 * (resolved once per runtime) -> SigV4 -> transport, with the SDKs'
 * standard retry rules -> XML decode -> Lua table, or a kumo.Error.
 *
 * C memory (signature, response) lives only inside the attempt loop, which
 * makes no Lua call that can raise; the result is pushed under lua_pcall and
 * errors are raised only after everything is freed.
 */
#include "aws/call.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lauxlib.h>

#include "aws/http.h"
#include "aws/query.h"
#include "aws/sigv4.h"
#include "aws/xml.h"
#include "host/error.h"
#include "host/log.h"
#include "host/runtime_internal.h"
#include "sandbox/sandbox.h"

#define EC2_SERVICE "ec2"
#define MAX_ATTEMPTS 3
#define CONNECT_TIMEOUT_MS 10000
#define TOTAL_TIMEOUT_MS 60000
#define MAX_RESPONSE_BYTES (8u * 1024u * 1024u)
#define MAX_BACKOFF_MS 20000
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
    int retryable;
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

static int is_retryable_code(const char *code)
{
    static const char *const codes[] = {"RequestTimeout",
                                        "RequestTimeoutException",
                                        "PriorRequestNotComplete",
                                        "Throttling",
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
                                        "EC2ThrottledException",
                                        NULL};
    for (size_t i = 0; codes[i]; i++)
        if (strcmp(code, codes[i]) == 0)
            return 1;
    return 0;
}

static int is_retryable_status(long status)
{
    return status == 500 || status == 502 || status == 503 || status == 504;
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
        f->retryable = is_retryable_status(response->status) || is_retryable_code(doc.code);
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
    f->retryable = is_retryable_status(response->status);
    if (response->status >= 300 && response->status < 400)
        f->hint = "kumo follows no redirects: check the endpoint URL";
}

static void fail_from_transport(struct failure *f, enum kumo_transport_result result,
                                const char *reason, const struct endpoint *ep)
{
    f->kind = "http";
    f->http_status = 0;
    f->retryable = 1;
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
        f->retryable = 0;
        f->hint = "the server's certificate could not be verified; set AWS_CA_BUNDLE to the "
                  "CA that signed it";
        break;
    case KUMO_TRANSPORT_TOO_LARGE:
        code = KUMO_CODE_RESPONSE_TOO_LARGE;
        f->retryable = 0;
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
    const char *region = rt->region;
    cfg->region_source = "--region";
    if (!region || !*region) {
        region = getenv("AWS_REGION");
        cfg->region_source = "AWS_REGION";
    }
    if (!region || !*region) {
        region = getenv("AWS_DEFAULT_REGION");
        cfg->region_source = "AWS_DEFAULT_REGION";
    }
    if (!region || !*region) {
        region = KUMO_SANDBOX_DEFAULT_REGION;
        cfg->region_source = "the sandbox default";
    }
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

/* Resolves credentials once per runtime (after the region), raising a
 * kumo.Error of kind "credentials" (or "config") when there are none. */
static void ensure_configured(lua_State *L, struct kumo_runtime *rt, const char *action)
{
    ensure_region(L, rt, action);
    if (rt->credentials_resolved)
        return;
    struct kumo_config_input input = {
        .region_flag = rt->region, .profile_flag = rt->profile, .endpoint_flag = rt->endpoint};
    char message[1024] = "";
    enum kumo_config_failure failure =
        kumo_config_resolve_credentials(&input, &rt->config, message, sizeof message);
    if (failure != KUMO_CONFIG_OK) {
        struct kumo_error_info info = {
            .kind = failure == KUMO_CONFIG_NO_CREDENTIALS ? "credentials" : "config",
            .operation = action,
            .code =
                failure == KUMO_CONFIG_NO_CREDENTIALS ? KUMO_CODE_NO_CREDENTIALS : KUMO_CODE_CONFIG,
            .message = message};
        kumo_error_raise(L, &info);
    }
    rt->credentials_resolved = 1;
}

const char *kumo_call_region(lua_State *L)
{
    struct kumo_runtime *rt = kumo_runtime_from_lua(L);
    ensure_region(L, rt, NULL);
    return rt->config.region;
}

static void sleep_ms(int64_t ms)
{
    struct timespec delay = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&delay, &delay) != 0)
        ;
}

static int64_t monotonic_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static void format_invocation_id(struct kumo_runtime *rt, char out[37])
{
    uint64_t a = kumo_runtime_random(rt), b = kumo_runtime_random(rt);
    snprintf(out, 37, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32),
             (unsigned)(a >> 16) & 0xffff, (unsigned)a & 0xfff,
             (unsigned)((b >> 48) & 0x3fff) | 0x8000, (unsigned long long)(b & 0xffffffffffffULL));
}

/* One signed exchange. Returns 1 with *response filled on a 2xx, 0 with
 * *failure filled otherwise. */
/* The credentials to sign one attempt with. Every attempt asks again, so
 * temporary credentials can be refreshed between attempts. Returns 0, or -1
 * with *f filled (kind "credentials"). */
static int current_credentials(struct kumo_runtime *rt, struct signing_credentials *out,
                               struct failure *f)
{
    const struct kumo_config *cfg = &rt->config;
    (void)f;
    out->access_key_id = cfg->access_key_id;
    out->secret_access_key = cfg->secret_access_key;
    out->session_token = cfg->session_token && *cfg->session_token ? cfg->session_token : NULL;
    return 0;
}

static int attempt_once(struct kumo_runtime *rt, const char *action, const struct endpoint *ep,
                        const char *body, size_t body_length, const char *invocation_id,
                        int attempt, struct kumo_http_response *response, struct failure *f)
{
    const struct kumo_config *cfg = &rt->config;
    struct signing_credentials creds;
    if (current_credentials(rt, &creds, f) != 0)
        return 0;
    struct kumo_http_header to_sign[] = {{"Content-Type", CONTENT_TYPE}, {"Host", ep->host}};
    struct kumo_sigv4_input input = {
        .method = "POST",
        .path = ep->path,
        .query = "",
        .headers = to_sign,
        .header_count = 2,
        .payload = body,
        .payload_length = body_length,
        .access_key_id = creds.access_key_id,
        .secret_access_key = creds.secret_access_key,
        .session_token = creds.session_token,
        .sign_session_token = true,
        .region = cfg->region,
        .service = EC2_SERVICE,
        .unix_seconds = kumo_runtime_now_ms(rt) / 1000,
        .normalize_path = true,
    };
    struct kumo_sigv4_output signature = {0};
    if (kumo_sigv4_sign(&input, &signature) != 0) {
        f->kind = "credentials";
        f->retryable = 0;
        snprintf(f->code, sizeof f->code, "%s", "SigningFailed");
        snprintf(f->message, sizeof f->message, "cannot sign the request (out of memory?)");
        return 0;
    }
    char sdk_request[64];
    snprintf(sdk_request, sizeof sdk_request, "attempt=%d; max=%d", attempt, MAX_ATTEMPTS);
    struct kumo_http_header headers[9];
    size_t count = 0;
    headers[count++] = (struct kumo_http_header){"Host", ep->host};
    headers[count++] = (struct kumo_http_header){"Content-Type", CONTENT_TYPE};
    headers[count++] = (struct kumo_http_header){"X-Amz-Date", signature.amz_date};
    if (creds.session_token)
        headers[count++] = (struct kumo_http_header){"X-Amz-Security-Token", creds.session_token};
    headers[count++] = (struct kumo_http_header){"Authorization", signature.authorization};
    headers[count++] = (struct kumo_http_header){"User-Agent", USER_AGENT};
    headers[count++] = (struct kumo_http_header){"amz-sdk-invocation-id", invocation_id};
    headers[count++] = (struct kumo_http_header){"amz-sdk-request", sdk_request};
    struct kumo_http_request request = {
        .method = "POST",
        .url = ep->url,
        .headers = headers,
        .header_count = count,
        .body = body,
        .body_length = body_length,
        .connect_timeout_ms = CONNECT_TIMEOUT_MS,
        .timeout_ms = TOTAL_TIMEOUT_MS,
        .max_response_bytes = MAX_RESPONSE_BYTES,
        .ca_bundle = cfg->ca_bundle,
        .allow_plain_http = ep->plain_http && cfg->endpoint_explicit,
    };
    char reason[512] = "";
    int64_t started = monotonic_ms();
    enum kumo_transport_result result =
        rt->transport(rt->transport_data, &request, response, reason, sizeof reason);
    long elapsed = (long)(monotonic_ms() - started);
    kumo_sigv4_output_clear(&signature);
    if (result != KUMO_TRANSPORT_OK) {
        fail_from_transport(f, result, reason, ep);
        kumo_log(rt, KUMO_LOG_DEBUG, "http %s failed (%s) %ld ms attempt %d/%d", action, f->code,
                 elapsed, attempt, MAX_ATTEMPTS);
        return 0;
    }
    kumo_log(rt, KUMO_LOG_DEBUG, "http %s %ld %ld ms attempt %d/%d", action, response->status,
             elapsed, attempt, MAX_ATTEMPTS);
    if (response->status >= 200 && response->status < 300)
        return 1;
    fail_from_response(f, response, ep);
    return 0;
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

int kumo_call_ec2(lua_State *L, const char *action, int params_index)
{
    struct kumo_runtime *rt = kumo_runtime_from_lua(L);
    if (params_index != 0)
        params_index = lua_absindex(L, params_index);
    kumo_query_push_body(L, action, KUMO_EC2_API_VERSION, params_index);
    int body_index = lua_gettop(L);
    size_t body_length;
    const char *body = lua_tolstring(L, -1, &body_length);
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

    char invocation_id[37];
    format_invocation_id(rt, invocation_id);
    struct failure f;
    struct kumo_http_response response;
    int attempt = 0, succeeded = 0;
    while (attempt < MAX_ATTEMPTS) {
        attempt++;
        memset(&f, 0, sizeof f);
        kumo_http_response_init(&response, MAX_RESPONSE_BYTES);
        succeeded =
            attempt_once(rt, action, &ep, body, body_length, invocation_id, attempt, &response, &f);
        if (succeeded || !f.retryable || attempt == MAX_ATTEMPTS)
            break;
        kumo_http_response_clear(&response);
        int64_t cap_ms = (int64_t)1000 << (attempt - 1);
        if (cap_ms > MAX_BACKOFF_MS)
            cap_ms = MAX_BACKOFF_MS;
        int64_t delay_ms = (int64_t)(kumo_runtime_random(rt) % (uint64_t)cap_ms);
        kumo_log(rt, KUMO_LOG_DEBUG, "retry %s after %s in %lld ms", action, f.code,
                 (long long)delay_ms);
        sleep_ms(delay_ms);
    }

    if (succeeded) {
        char reason[256] = "";
        struct decode_args args = {&response, reason, sizeof reason, 0};
        lua_pushcfunction(L, decode_protected);
        lua_pushlightuserdata(L, &args);
        int status = lua_pcall(L, 1, 1, 0);
        char request_id[128] = "";
        if (response.request_id)
            snprintf(request_id, sizeof request_id, "%s", response.request_id);
        long http_status = response.status;
        kumo_http_response_clear(&response);
        if (status != LUA_OK)
            return lua_error(L); /* memory error; the response is freed */
        if (args.ok) {
            lua_remove(L, body_index); /* leave only the response */
            return 1;
        }
        char message[1200];
        snprintf(message, sizeof message,
                 "the %.128s response from %.512s is not an EC2 document: %.256s", action, ep.host,
                 reason);
        struct kumo_error_info info = {.kind = "http",
                                       .operation = action,
                                       .code = KUMO_CODE_INVALID_RESPONSE,
                                       .message = message,
                                       .request_id = request_id[0] ? request_id : NULL,
                                       .http_status = http_status,
                                       .attempts = attempt};
        return kumo_error_raise(L, &info);
    }
    kumo_http_response_clear(&response);
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
