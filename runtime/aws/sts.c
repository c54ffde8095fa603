/*
 * sts.c - STS AssumeRole: the form body (Action, Version, then the
 * parameters sorted by name, percent-encoded like kumo's query encoder:
 * RFC 3986 with '+' for a space), signed with SigV4 for service "sts" with the
 * source credentials, POSTed to the STS endpoint, and the answer's
 * AssumeRoleResult/Credentials read with the locked-down XML parser. An
 * error document is reported with its code and message.
 */
#include "credential_sources.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "sigv4.h"
#include "xml.h"
#include "util/strbuf.h"

#define STS_VERSION "2011-06-15"
#define CONTENT_TYPE "application/x-www-form-urlencoded; charset=utf-8"
#define USER_AGENT "kumo/" KUMO_VERSION_STRING
#define CONNECT_TIMEOUT_MS 10000L
#define TIMEOUT_MS 30000L

static void add_encoded(struct kumo_strbuf *buf, const char *text)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            kumo_strbuf_append_char(buf, (char)*p);
        } else if (*p == ' ') {
            kumo_strbuf_append_char(buf, '+');
        } else {
            char escape[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            kumo_strbuf_append(buf, escape, 3);
        }
    }
}

static void add_pair(struct kumo_strbuf *buf, const char *name, const char *value)
{
    if (!value)
        return;
    kumo_strbuf_printf(buf, "&%s=", name);
    add_encoded(buf, value);
}

/* Host header and path of an http(s) URL (the host without a default port). */
static int split_url(const char *url, char *host, size_t host_size, char *path, size_t path_size)
{
    int plain = strncmp(url, "http://", 7) == 0;
    if (!plain && strncmp(url, "https://", 8) != 0)
        return -1;
    const char *rest = url + (plain ? 7 : 8);
    size_t n = strcspn(rest, "/?#");
    if (n == 0 || n >= host_size)
        return -1;
    snprintf(host, host_size, "%.*s", (int)n, rest);
    const char *default_port = plain ? ":80" : ":443";
    size_t hl = strlen(host), pl = strlen(default_port);
    if (hl > pl && strcmp(host + hl - pl, default_port) == 0)
        host[hl - pl] = '\0';
    const char *p = rest + n;
    size_t length = strcspn(p, "?#");
    if (length >= path_size)
        return -1;
    snprintf(path, path_size, "%.*s", (int)length, length ? p : "/");
    return 0;
}

static enum kumo_source_result read_answer(const struct kumo_assume_role *role,
                                           const struct kumo_http_response *response,
                                           struct kumo_credentials *out, char *errbuf,
                                           size_t errbuf_size)
{
    const char *body = kumo_strbuf_cstr(&response->body);
    if (response->status != 200) {
        struct kumo_xml_error error;
        if (kumo_xml_parse_error(body, response->body.length, &error))
            snprintf(errbuf, errbuf_size, "STS AssumeRole of %s failed: %s: %s (HTTP %ld)",
                     role->role_arn, error.code, error.message, response->status);
        else
            snprintf(errbuf, errbuf_size, "STS AssumeRole of %s failed: HTTP %ld", role->role_arn,
                     response->status);
        return KUMO_SOURCE_FAILED;
    }
    static const char *const paths[] = {
        "AssumeRoleResponse/AssumeRoleResult/Credentials/AccessKeyId",
        "AssumeRoleResponse/AssumeRoleResult/Credentials/SecretAccessKey",
        "AssumeRoleResponse/AssumeRoleResult/Credentials/SessionToken",
        "AssumeRoleResponse/AssumeRoleResult/Credentials/Expiration",
    };
    char *values[4];
    char reason[200];
    enum kumo_source_result result = KUMO_SOURCE_FAILED;
    int64_t expiration_ms = 0;
    if (kumo_xml_extract_texts(body, response->body.length, paths, values, 4, reason,
                               sizeof reason) != 0) {
        snprintf(errbuf, errbuf_size, "STS AssumeRole of %s: unreadable answer (%s)",
                 role->role_arn, reason);
        return KUMO_SOURCE_FAILED;
    }
    if (!values[0] || !*values[0] || !values[1] || !*values[1] || !values[2] || !*values[2] ||
        !values[3]) {
        snprintf(errbuf, errbuf_size, "STS AssumeRole of %s: the answer lacks credentials",
                 role->role_arn);
    } else if (kumo_iso8601_to_ms(values[3], &expiration_ms) != 0) {
        snprintf(errbuf, errbuf_size, "STS AssumeRole of %s: bad Expiration '%.40s'",
                 role->role_arn, values[3]);
    } else if (kumo_credentials_set(out, values[0], values[1], values[2]) != 0) {
        snprintf(errbuf, errbuf_size, "STS AssumeRole: out of memory");
    } else {
        out->expiration_ms = expiration_ms;
        snprintf(out->source, sizeof out->source, "assume-role %s via %s", role->role_arn,
                 role->via);
        result = KUMO_SOURCE_OK;
    }
    for (int i = 0; i < 4; i++) {
        if (values[i])
            OPENSSL_cleanse(values[i], strlen(values[i]));
        free(values[i]);
    }
    return result;
}

enum kumo_source_result kumo_source_assume_role(const struct kumo_source_context *context,
                                                const struct kumo_assume_role *role,
                                                const struct kumo_credentials *source,
                                                struct kumo_credentials *out, char *errbuf,
                                                size_t errbuf_size, enum kumo_config_failure *kind)
{
    enum kumo_source_result result = KUMO_SOURCE_FAILED;
    struct kumo_strbuf body = KUMO_STRBUF_INIT;
    struct kumo_sigv4_output signature = {0};
    struct kumo_http_response response;
    int have_response = 0;
    char url[1024], host[512], path[512], session[64], duration[32];
    *kind = KUMO_CONFIG_NO_CREDENTIALS;

    if (role->endpoint)
        snprintf(url, sizeof url, "%s", role->endpoint);
    else
        snprintf(url, sizeof url, "https://sts.%s.%s/", context->region,
                 strncmp(context->region, "cn-", 3) == 0 ? "amazonaws.com.cn" : "amazonaws.com");
    if (split_url(url, host, sizeof host, path, sizeof path) != 0) {
        snprintf(errbuf, errbuf_size, "STS endpoint %.200s is not an http(s) URL", url);
        *kind = KUMO_CONFIG_BAD;
        goto done;
    }
    snprintf(session, sizeof session, "kumo-%lld", (long long)context->now_ms);
    snprintf(duration, sizeof duration, "%ld", role->duration_seconds);
    kumo_strbuf_append_str(&body, "Action=AssumeRole&Version=" STS_VERSION);
    add_pair(&body, "DurationSeconds", role->duration_seconds > 0 ? duration : NULL);
    add_pair(&body, "ExternalId", role->external_id);
    add_pair(&body, "RoleArn", role->role_arn);
    add_pair(&body, "RoleSessionName", role->role_session_name ? role->role_session_name : session);
    if (body.failed) {
        snprintf(errbuf, errbuf_size, "STS AssumeRole: out of memory");
        goto done;
    }

    struct kumo_http_header to_sign[] = {{"Content-Type", CONTENT_TYPE}, {"Host", host}};
    struct kumo_sigv4_input input = {
        .method = "POST",
        .path = path,
        .query = "",
        .headers = to_sign,
        .header_count = 2,
        .payload = body.data,
        .payload_length = body.length,
        .access_key_id = source->access_key_id,
        .secret_access_key = source->secret_access_key,
        .session_token = source->session_token,
        .sign_session_token = true,
        .region = context->region,
        .service = "sts",
        .unix_seconds = context->now_ms / 1000,
        .normalize_path = true,
    };
    if (kumo_sigv4_sign(&input, &signature) != 0) {
        snprintf(errbuf, errbuf_size, "STS AssumeRole of %s: cannot sign the request",
                 role->role_arn);
        goto done;
    }
    struct kumo_http_header headers[6];
    size_t count = 0;
    headers[count++] = (struct kumo_http_header){"Host", host};
    headers[count++] = (struct kumo_http_header){"Content-Type", CONTENT_TYPE};
    headers[count++] = (struct kumo_http_header){"X-Amz-Date", signature.amz_date};
    if (source->session_token)
        headers[count++] = (struct kumo_http_header){"X-Amz-Security-Token", source->session_token};
    headers[count++] = (struct kumo_http_header){"Authorization", signature.authorization};
    headers[count++] = (struct kumo_http_header){"User-Agent", USER_AGENT};
    struct kumo_http_request request = {
        .method = "POST",
        .url = url,
        .headers = headers,
        .header_count = count,
        .body = body.data,
        .body_length = body.length,
        .connect_timeout_ms = CONNECT_TIMEOUT_MS,
        .timeout_ms = TIMEOUT_MS,
        .max_response_bytes = KUMO_SOURCE_MAX_BODY_BYTES,
        .ca_bundle = context->ca_bundle,
        .allow_plain_http = role->endpoint_explicit && strncmp(url, "http://", 7) == 0,
    };
    char reason[400];
    have_response = 1;
    if (kumo_source_http(context, &request, &response, reason, sizeof reason) !=
        KUMO_TRANSPORT_OK) {
        snprintf(errbuf, errbuf_size, "STS AssumeRole of %s: %s", role->role_arn, reason);
        goto done;
    }
    result = read_answer(role, &response, out, errbuf, errbuf_size);

done:
    if (have_response)
        kumo_http_response_clear(&response);
    kumo_sigv4_output_clear(&signature);
    kumo_strbuf_free(&body);
    return result;
}
