/*
 * sandbox.c - the offline EC2 behind the transport seam (sandbox.h): the
 * sandbox object and its state file, and one request end to end. The checks
 * run in EC2's order: POST, a form Content-Type, the Authorization header
 * (AWS4-HMAC-SHA256, the sandbox key, a credential scope for `ec2`),
 * X-Amz-Date within 15 minutes of the sandbox clock, the SigV4 signature
 * recomputed with kumo's signer over exactly the SignedHeaders and compared
 * in constant time; then the form body, Version, Action, DryRun, and the
 * action itself on the region of the credential scope. Answers are EC2's XML
 * documents with EC2's statuses and codes.
 */
#include "sandbox/sandbox_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/crypto.h>

#include "aws/sigv4.h"
#include "sandbox/xml_out.h"

#define SANDBOX_CONTENT_TYPE "text/xml;charset=UTF-8"
#define EC2_VERSION "2016-11-15"
#define MAX_SKEW_SECONDS (15 * 60)
#define MAX_SIGNED_HEADERS 32

typedef int (*action_fn)(struct sb_ctx *ctx);

static const struct {
    const char *name;
    action_fn fn;
} actions[] = {
    {"DescribeVpcs", sb_action_describe_vpcs},
    {"CreateVpc", sb_action_create_vpc},
    {"DeleteVpc", sb_action_delete_vpc},
    {"CreateSecurityGroup", sb_action_create_security_group},
    {"DeleteSecurityGroup", sb_action_delete_security_group},
    {"DescribeSecurityGroups", sb_action_describe_security_groups},
    {"DescribeNetworkInterfaces", sb_action_describe_network_interfaces},
    {"AuthorizeSecurityGroupIngress", sb_action_authorize_ingress},
    {"AuthorizeSecurityGroupEgress", sb_action_authorize_egress},
    {"RevokeSecurityGroupIngress", sb_action_revoke_ingress},
    {"RevokeSecurityGroupEgress", sb_action_revoke_egress},
    {"DescribeSecurityGroupRules", sb_action_describe_security_group_rules},
    {"CreateTags", sb_action_create_tags},
    {"DeleteTags", sb_action_delete_tags},
};

/* ---- the sandbox object ---- */

static int64_t system_clock_ms(void *unused)
{
    (void)unused;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static void remember_file(struct kumo_sandbox *sandbox)
{
    struct stat st;
    sandbox->file_known = sandbox->state_path && stat(sandbox->state_path, &st) == 0;
    if (sandbox->file_known) {
        sandbox->file_dev = st.st_dev;
        sandbox->file_ino = st.st_ino;
        sandbox->file_size = st.st_size;
        sandbox->file_mtime = st.st_mtim;
    }
}

struct kumo_sandbox *kumo_sandbox_new(const char *state_path, kumo_clock_fn clock, void *clock_data,
                                      char *errbuf, size_t errbuf_size)
{
    struct kumo_sandbox *sandbox = calloc(1, sizeof *sandbox);
    if (!sandbox) {
        snprintf(errbuf, errbuf_size, "out of memory");
        return NULL;
    }
    sandbox->clock = clock ? clock : system_clock_ms;
    sandbox->clock_data = clock ? clock_data : NULL;
    if (state_path) {
        sandbox->state_path = sb_strdup(state_path);
        if (!sandbox->state_path) {
            snprintf(errbuf, errbuf_size, "out of memory");
            free(sandbox);
            return NULL;
        }
        if (sb_state_load(state_path, &sandbox->world, errbuf, errbuf_size) != 0) {
            free(sandbox->state_path);
            free(sandbox);
            return NULL;
        }
        remember_file(sandbox);
    } else {
        sandbox->world = sb_world_new();
        if (!sandbox->world) {
            snprintf(errbuf, errbuf_size, "out of memory");
            free(sandbox);
            return NULL;
        }
    }
    return sandbox;
}

void kumo_sandbox_free(struct kumo_sandbox *sandbox)
{
    if (!sandbox)
        return;
    sb_world_free(sandbox->world);
    free(sandbox->state_path);
    free(sandbox);
}

int kumo_sandbox_dirty(const struct kumo_sandbox *sandbox)
{
    return sandbox->dirty;
}

int kumo_sandbox_save(struct kumo_sandbox *sandbox, char *errbuf, size_t errbuf_size)
{
    if (!sandbox->state_path)
        return 0;
    if (sb_state_save(sandbox->state_path, sandbox->world, errbuf, errbuf_size) != 0)
        return -1;
    sandbox->dirty = 0;
    remember_file(sandbox);
    return 0;
}

int kumo_sandbox_reload_if_changed(struct kumo_sandbox *sandbox, char *errbuf, size_t errbuf_size)
{
    if (!sandbox->state_path)
        return 0;
    struct stat st;
    if (stat(sandbox->state_path, &st) != 0) {
        if (errno == ENOENT && !sandbox->file_known)
            return 0;
        snprintf(errbuf, errbuf_size, "cannot read sandbox state file %s: %s", sandbox->state_path,
                 strerror(errno));
        return -1;
    }
    if (sandbox->file_known && st.st_dev == sandbox->file_dev && st.st_ino == sandbox->file_ino &&
        st.st_size == sandbox->file_size && st.st_mtim.tv_sec == sandbox->file_mtime.tv_sec &&
        st.st_mtim.tv_nsec == sandbox->file_mtime.tv_nsec)
        return 0;
    struct sb_world *world;
    if (sb_state_load(sandbox->state_path, &world, errbuf, errbuf_size) != 0)
        return -1;
    sb_world_free(sandbox->world);
    sandbox->world = world;
    sandbox->dirty = 0;
    remember_file(sandbox);
    return 0;
}

/* ---- request checks ---- */

static const char *find_header(const struct kumo_http_header *headers, size_t count,
                               const char *name)
{
    for (size_t i = 0; i < count; i++)
        if (headers[i].name && strcasecmp(headers[i].name, name) == 0)
            return headers[i].value ? headers[i].value : "";
    return NULL;
}

static int auth_failure(struct sb_ctx *ctx)
{
    return sb_fail(ctx, 401, "AuthFailure",
                   "AWS was not able to validate the provided access credentials");
}

/* "20261204T194125Z" -> Unix seconds; -1 when malformed. */
static int64_t parse_amz_date(const char *text)
{
    if (strlen(text) != 16 || text[8] != 'T' || text[15] != 'Z')
        return -1;
    for (int i = 0; i < 15; i++)
        if (i != 8 && !isdigit((unsigned char)text[i]))
            return -1;
    struct tm tm = {0};
    tm.tm_year = (text[0] - '0') * 1000 + (text[1] - '0') * 100 + (text[2] - '0') * 10 +
                 (text[3] - '0') - 1900;
    tm.tm_mon = (text[4] - '0') * 10 + (text[5] - '0') - 1;
    tm.tm_mday = (text[6] - '0') * 10 + (text[7] - '0');
    tm.tm_hour = (text[9] - '0') * 10 + (text[10] - '0');
    tm.tm_min = (text[11] - '0') * 10 + (text[12] - '0');
    tm.tm_sec = (text[13] - '0') * 10 + (text[14] - '0');
    if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
        tm.tm_min > 59 || tm.tm_sec > 60)
        return -1;
    return (int64_t)timegm(&tm);
}

struct authorization {
    char credential[256];
    char signed_headers[1024];
    char signature[128];
};

/* Splits "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...". */
static int parse_authorization(const char *value, struct authorization *out)
{
    static const char algorithm[] = "AWS4-HMAC-SHA256 ";
    memset(out, 0, sizeof *out);
    if (strncmp(value, algorithm, sizeof algorithm - 1) != 0)
        return -1;
    const char *p = value + sizeof algorithm - 1;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        const char *end = strchr(p, ',');
        size_t length = end ? (size_t)(end - p) : strlen(p);
        while (length && p[length - 1] == ' ')
            length--;
        const char *eq = memchr(p, '=', length);
        if (!eq)
            return -1;
        size_t key_length = (size_t)(eq - p), value_length = length - key_length - 1;
        char *target = NULL;
        size_t size = 0;
        if (key_length == 10 && strncmp(p, "Credential", 10) == 0) {
            target = out->credential;
            size = sizeof out->credential;
        } else if (key_length == 13 && strncmp(p, "SignedHeaders", 13) == 0) {
            target = out->signed_headers;
            size = sizeof out->signed_headers;
        } else if (key_length == 9 && strncmp(p, "Signature", 9) == 0) {
            target = out->signature;
            size = sizeof out->signature;
        } else {
            return -1;
        }
        if (value_length == 0 || value_length >= size || target[0])
            return -1;
        memcpy(target, eq + 1, value_length);
        target[value_length] = '\0';
        p += length;
    }
    return out->credential[0] && out->signed_headers[0] && out->signature[0] ? 0 : -1;
}

/* Verifies the SigV4 signature; on success writes the scope's region. */
static int verify_request(struct kumo_sandbox *sandbox, struct sb_ctx *ctx, const char *path,
                          const char *query, const struct kumo_http_header *headers,
                          size_t header_count, const char *body, size_t body_length,
                          char region[64])
{
    const char *value = find_header(headers, header_count, "Authorization");
    if (!value)
        return sb_fail(ctx, 401, "MissingAuthenticationToken",
                       "The request must contain either a valid (registered) AWS access key ID "
                       "or X.509 certificate.");
    struct authorization auth;
    if (parse_authorization(value, &auth) != 0)
        return sb_fail(ctx, 401, "AuthFailure",
                       "AWS was not able to validate the provided access credentials (the "
                       "Authorization header is not an AWS4-HMAC-SHA256 signature)");
    /* Credential = KEY/DATE/REGION/SERVICE/aws4_request */
    char *parts[5] = {0};
    char credential[256];
    snprintf(credential, sizeof credential, "%s", auth.credential);
    int count = 0;
    for (char *save = NULL, *tok = strtok_r(credential, "/", &save); tok && count < 6;
         tok = strtok_r(NULL, "/", &save)) {
        if (count < 5)
            parts[count] = tok;
        count++;
    }
    if (count != 5 || strcmp(parts[4], "aws4_request") != 0)
        return auth_failure(ctx);
    if (strcmp(parts[0], KUMO_SANDBOX_ACCESS_KEY_ID) != 0)
        return auth_failure(ctx);
    if (strcmp(parts[3], "ec2") != 0)
        return sb_fail(ctx, 401, "AuthFailure",
                       "Credential should be scoped to correct service: 'ec2'.");
    size_t region_length = strlen(parts[2]);
    if (region_length == 0 || region_length >= 64)
        return auth_failure(ctx);
    for (const char *p = parts[2]; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
            return auth_failure(ctx);
    const char *amz_date = find_header(headers, header_count, "X-Amz-Date");
    int64_t signed_at = amz_date ? parse_amz_date(amz_date) : -1;
    if (signed_at < 0)
        return sb_fail(ctx, 400, "RequestExpired",
                       "Request has expired: it carries no valid X-Amz-Date header.");
    int64_t now = sandbox->clock(sandbox->clock_data) / 1000;
    if (signed_at < now - MAX_SKEW_SECONDS || signed_at > now + MAX_SKEW_SECONDS)
        return sb_fail(ctx, 400, "RequestExpired",
                       "Request has expired. Timestamp date is %s, more than 15 minutes from "
                       "the server's clock.",
                       amz_date);
    if (strncmp(parts[1], amz_date, 8) != 0 || strlen(parts[1]) != 8)
        return auth_failure(ctx);
    if (find_header(headers, header_count, "X-Amz-Security-Token"))
        return sb_fail(ctx, 401, "AuthFailure",
                       "The security token included in the request is invalid (sandbox keys "
                       "are permanent).");

    /* The headers the client says it signed, as received. */
    struct kumo_http_header to_sign[MAX_SIGNED_HEADERS];
    size_t sign_count = 0;
    int has_host = 0;
    char list[1024];
    snprintf(list, sizeof list, "%s", auth.signed_headers);
    for (char *save = NULL, *name = strtok_r(list, ";", &save); name;
         name = strtok_r(NULL, ";", &save)) {
        if (strcmp(name, "host") == 0)
            has_host = 1;
        if (strcmp(name, "x-amz-date") == 0)
            continue;
        if (strcmp(name, "authorization") == 0)
            return auth_failure(ctx);
        int found = 0;
        for (size_t i = 0; i < header_count; i++) {
            if (!headers[i].name || strcasecmp(headers[i].name, name) != 0)
                continue;
            if (sign_count == MAX_SIGNED_HEADERS)
                return auth_failure(ctx);
            to_sign[sign_count++] = headers[i];
            found = 1;
        }
        if (!found)
            return auth_failure(ctx);
    }
    if (!has_host)
        return sb_fail(ctx, 401, "AuthFailure",
                       "AWS was not able to validate the provided access credentials (the Host "
                       "header must be signed)");
    struct kumo_sigv4_input input = {
        .method = "POST",
        .path = path,
        .query = query,
        .headers = to_sign,
        .header_count = sign_count,
        .payload = body_length ? body : NULL,
        .payload_length = body_length,
        .access_key_id = KUMO_SANDBOX_ACCESS_KEY_ID,
        .secret_access_key = KUMO_SANDBOX_SECRET_ACCESS_KEY,
        .region = parts[2],
        .service = "ec2",
        .unix_seconds = signed_at,
        .normalize_path = true,
    };
    struct kumo_sigv4_output expected = {0};
    if (kumo_sigv4_sign(&input, &expected) != 0)
        return auth_failure(ctx);
    int ok = strcmp(expected.signed_headers, auth.signed_headers) == 0 &&
             strcmp(expected.amz_date, amz_date) == 0 && strlen(auth.signature) == 64 &&
             CRYPTO_memcmp(expected.signature, auth.signature, 64) == 0;
    kumo_sigv4_output_clear(&expected);
    if (!ok)
        return auth_failure(ctx);
    snprintf(region, 64, "%s", parts[2]);
    return 0;
}

static int is_form_content_type(const char *value)
{
    static const char form[] = "application/x-www-form-urlencoded";
    if (!value)
        return 0;
    while (*value == ' ')
        value++;
    if (strncasecmp(value, form, sizeof form - 1) != 0)
        return 0;
    char next = value[sizeof form - 1];
    return next == '\0' || next == ';' || next == ' ';
}

/* ---- one exchange ---- */

struct reply {
    long status;
    char *body;
    size_t length;
    char request_id[37];
};

static int handle(struct kumo_sandbox *sandbox, const char *method, const char *path,
                  const char *query, const struct kumo_http_header *headers, size_t header_count,
                  const char *body, size_t body_length, struct reply *reply)
{
    struct sb_world *world = sandbox->world;
    struct kumo_strbuf out = KUMO_STRBUF_INIT;
    struct sb_form form = {0};
    struct sb_ctx ctx = {.world = world, .form = &form, .action = "", .out = &out};
    world->request_count++;
    sandbox->dirty = 1;
    sb_world_request_id(world, ctx.request_id);
    char region[64];

    if (!method || strcmp(method, "POST") != 0) {
        sb_fail(&ctx, 405, "UnsupportedHttpVerb",
                "The sandbox accepts only POST requests with a form body.");
        goto answer;
    }
    if (!is_form_content_type(find_header(headers, header_count, "Content-Type"))) {
        sb_fail(&ctx, 415, "UnsupportedMediaType",
                "Content-Type must be application/x-www-form-urlencoded.");
        goto answer;
    }
    if (verify_request(sandbox, &ctx, path, query, headers, header_count, body, body_length,
                       region) != 0)
        goto answer;
    int parsed = sb_form_parse(&form, body ? body : "", body ? body_length : 0);
    if (parsed == -2) {
        sb_oom(&ctx);
        goto answer;
    }
    if (parsed != 0) {
        sb_fail(&ctx, 400, "MalformedQueryString",
                "The form body contains a malformed percent-encoding.");
        goto answer;
    }
    const char *action = sb_form_get(&form, "Action");
    const char *version = sb_form_get(&form, "Version");
    if (!action || !*action) {
        sb_fail(&ctx, 400, "MissingAction", "The request must contain the parameter Action");
        goto answer;
    }
    if (!version || !*version) {
        sb_fail(&ctx, 400, "MissingParameter", "The request must contain the parameter Version");
        goto answer;
    }
    if (strcmp(version, EC2_VERSION) != 0) {
        sb_fail(&ctx, 400, "NoSuchVersion",
                "The requested version (%.64s) of service AmazonEC2 does not exist", version);
        goto answer;
    }
    action_fn fn = NULL;
    for (size_t i = 0; i < sizeof actions / sizeof actions[0] && !fn; i++)
        if (strcmp(actions[i].name, action) == 0) {
            fn = actions[i].fn;
            ctx.action = actions[i].name;
        }
    if (fn && sb_world_count_action(world, ctx.action, 1) != 0) {
        sb_oom(&ctx);
        goto answer;
    }
    if (!fn) {
        sb_fail(&ctx, 400, "InvalidAction", "The action %.128s is not valid for this web service.",
                action);
        goto answer;
    }
    const char *dry_run = sb_form_get(&form, "DryRun");
    if (dry_run && strcasecmp(dry_run, "true") != 0 && strcasecmp(dry_run, "false") != 0) {
        sb_fail(&ctx, 400, "InvalidParameterValue",
                "Invalid value '%.64s' for DryRun: true or false expected", dry_run);
        goto answer;
    }
    ctx.dry_run = dry_run && strcasecmp(dry_run, "true") == 0;
    ctx.region = sb_world_region(world, region);
    if (!ctx.region) {
        sb_oom(&ctx);
        goto answer;
    }
    if (fn(&ctx) != 0 && ctx.status == 0)
        sb_oom(&ctx);

answer:
    sb_form_free(&form);
    snprintf(reply->request_id, sizeof reply->request_id, "%s", ctx.request_id);
    if (ctx.status) {
        kumo_strbuf_reset(&out);
        sb_xml_error_document(&out, ctx.code, ctx.message, ctx.request_id);
        reply->status = ctx.status;
    } else {
        reply->status = 200;
    }
    reply->length = out.length;
    reply->body = kumo_strbuf_detach(&out);
    return reply->body ? 0 : -1;
}

int kumo_sandbox_handle(struct kumo_sandbox *sandbox, const char *method, const char *path,
                        const struct kumo_http_header *headers, size_t header_count,
                        const char *body, size_t body_length, long *status, char **response_body,
                        size_t *response_length)
{
    struct reply reply = {0};
    char *path_copy = sb_strdup(path && *path ? path : "/");
    if (!path_copy)
        return -1;
    char *query = strchr(path_copy, '?');
    if (query)
        *query++ = '\0';
    int rc = handle(sandbox, method, path_copy, query ? query : "", headers, header_count, body,
                    body_length, &reply);
    free(path_copy);
    if (rc != 0)
        return -1;
    *status = reply.status;
    *response_body = reply.body;
    *response_length = reply.length;
    return 0;
}

enum kumo_transport_result kumo_sandbox_send(void *user_data,
                                             const struct kumo_http_request *request,
                                             struct kumo_http_response *response,
                                             char *error_message, size_t error_message_size)
{
    struct kumo_sandbox *sandbox = user_data;
    /* The path (and query) of the URL: after "scheme://authority". */
    const char *url = request->url ? request->url : "/";
    const char *scheme_end = strstr(url, "://");
    const char *path = scheme_end ? strchr(scheme_end + 3, '/') : url;
    if (scheme_end && !path)
        path = "/";
    if (scheme_end) {
        const char *question = strchr(scheme_end + 3, '?');
        if (question && (!path || question < path))
            path = question; /* "https://host?x" has the path "/" and a query */
    }
    char *copy = malloc(strlen(path) + 2);
    if (!copy) {
        snprintf(error_message, error_message_size, "sandbox: out of memory");
        return KUMO_TRANSPORT_FAILED;
    }
    if (path[0] == '?')
        snprintf(copy, strlen(path) + 2, "/%s", path);
    else
        strcpy(copy, path);
    char *query = strchr(copy, '?');
    if (query)
        *query++ = '\0';
    struct reply reply = {0};
    int rc = handle(sandbox, request->method ? request->method : "GET", copy, query ? query : "",
                    request->headers, request->header_count, request->body, request->body_length,
                    &reply);
    free(copy);
    if (rc != 0) {
        snprintf(error_message, error_message_size, "sandbox: out of memory");
        return KUMO_TRANSPORT_FAILED;
    }
    char date[64];
    time_t now = (time_t)(sandbox->clock(sandbox->clock_data) / 1000);
    struct tm tm;
    gmtime_r(&now, &tm);
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    snprintf(date, sizeof date, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday], tm.tm_mday,
             months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    kumo_http_response_set_status(response, reply.status);
    struct {
        const char *name, *value;
    } out_headers[] = {{"Content-Type", SANDBOX_CONTENT_TYPE},
                       {"x-amzn-RequestId", reply.request_id},
                       {"Date", date},
                       {"Server", "kumo-sandbox"}};
    for (size_t i = 0; i < sizeof out_headers / sizeof out_headers[0]; i++) {
        if (kumo_http_response_add_header(response, out_headers[i].name,
                                          strlen(out_headers[i].name), out_headers[i].value,
                                          strlen(out_headers[i].value)) != 0) {
            free(reply.body);
            snprintf(error_message, error_message_size, "sandbox: out of memory");
            return KUMO_TRANSPORT_FAILED;
        }
    }
    if (kumo_http_response_append_body(response, reply.body, reply.length) != 0) {
        free(reply.body);
        snprintf(error_message, error_message_size,
                 "sandbox: the response body is larger than the cap");
        return KUMO_TRANSPORT_TOO_LARGE;
    }
    free(reply.body);
    return KUMO_TRANSPORT_OK;
}
