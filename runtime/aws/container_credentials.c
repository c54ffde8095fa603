/*
 * container_credentials.c - the container credential source (ECS, EKS pod
 * identity, local test servers):
 *   AWS_CONTAINER_CREDENTIALS_RELATIVE_URI -> http://169.254.170.2<uri>, else
 *   AWS_CONTAINER_CREDENTIALS_FULL_URI: https to any host; plain http only to
 *   a loopback host (127.0.0.0/8, [::1], localhost) or 169.254.170.2,
 *   169.254.170.23, [fd00:ec2::23].
 * Authorization is the contents of AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE
 * (read on every fetch) or AWS_CONTAINER_AUTHORIZATION_TOKEN. The answer is
 * JSON {AccessKeyId, SecretAccessKey, Token, Expiration}, at most 64 KiB.
 * 2 s per attempt, 3 attempts on connection failures and 5xx. Messages name
 * the scheme and host only: the path may be a capability.
 */
#include "credential_sources.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#define ECS_HOST "http://169.254.170.2"
#define TIMEOUT_MS 2000L
#define ATTEMPTS 3
#define MAX_TOKEN_BYTES 16384

static const char *env(const struct kumo_source_context *context, const char *name)
{
    const struct kumo_config_input *input = context->input;
    const char *value = input->getenv ? input->getenv(input->getenv_data, name) : getenv(name);
    return value && *value ? value : NULL;
}

/* "scheme://host[:port]" of url into origin; host (no port, no brackets)
 * into host. Returns 0, or -1 when the URL is not http(s)://authority/... */
static int url_origin(const char *url, char *origin, size_t origin_size, char *host,
                      size_t host_size, int *plain)
{
    *plain = strncasecmp(url, "http://", 7) == 0;
    if (!*plain && strncasecmp(url, "https://", 8) != 0)
        return -1;
    const char *rest = url + (*plain ? 7 : 8);
    size_t n = strcspn(rest, "/?#");
    if (n == 0 || n >= host_size || memchr(rest, '@', n) ||
        (size_t)snprintf(origin, origin_size, "%.*s", (int)(rest + n - url), url) >= origin_size)
        return -1;
    for (const char *p = url; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 127)
            return -1;
    if (rest[0] == '[') {
        const char *end = memchr(rest, ']', n);
        if (!end)
            return -1;
        snprintf(host, host_size, "%.*s", (int)(end - rest - 1), rest + 1);
    } else {
        size_t h = strcspn(rest, ":/?#");
        snprintf(host, host_size, "%.*s", (int)(h < n ? h : n), rest);
    }
    return 0;
}

static int plain_http_allowed(const char *host)
{
    if (strcasecmp(host, "localhost") == 0 || strcmp(host, "::1") == 0 ||
        strcmp(host, "169.254.170.2") == 0 || strcmp(host, "169.254.170.23") == 0 ||
        strcasecmp(host, "fd00:ec2::23") == 0)
        return 1;
    /* 127.0.0.0/8 as a dotted quad */
    unsigned a, b, c, d;
    char tail;
    return sscanf(host, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) == 4 && a == 127 && b < 256 &&
           c < 256 && d < 256;
}

/* The Authorization value into *token (malloc'ed, NULL when none). */
static int read_token(const struct kumo_source_context *context, char **token, char *errbuf,
                      size_t errbuf_size)
{
    *token = NULL;
    const char *path = env(context, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    if (path) {
        FILE *file = fopen(path, "rb");
        if (!file) {
            snprintf(errbuf, errbuf_size,
                     "container credentials: cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE "
                     "%.300s",
                     path);
            return -1;
        }
        char *text = calloc(1, MAX_TOKEN_BYTES + 1);
        size_t n = text ? fread(text, 1, MAX_TOKEN_BYTES + 1, file) : 0;
        fclose(file);
        if (!text || n > MAX_TOKEN_BYTES) {
            snprintf(errbuf, errbuf_size, "container credentials: token file %.300s %s", path,
                     text ? "is too large" : "cannot be read (out of memory)");
            if (text)
                OPENSSL_cleanse(text, MAX_TOKEN_BYTES + 1);
            free(text);
            return -1;
        }
        text[n] = '\0';
        while (n > 0 && isspace((unsigned char)text[n - 1]))
            text[--n] = '\0';
        *token = text;
    } else if (env(context, "AWS_CONTAINER_AUTHORIZATION_TOKEN")) {
        *token = strdup(env(context, "AWS_CONTAINER_AUTHORIZATION_TOKEN"));
        if (!*token) {
            snprintf(errbuf, errbuf_size, "container credentials: out of memory");
            return -1;
        }
    }
    for (const char *p = *token; p && *p; p++) {
        if (*p == '\r' || *p == '\n') {
            snprintf(errbuf, errbuf_size,
                     "container credentials: the authorization token contains a line break");
            OPENSSL_cleanse(*token, strlen(*token));
            free(*token);
            *token = NULL;
            return -1;
        }
    }
    return 0;
}

enum kumo_source_result kumo_source_container(const struct kumo_source_context *context,
                                              struct kumo_credentials *out, char *errbuf,
                                              size_t errbuf_size, enum kumo_config_failure *kind)
{
    const char *relative = env(context, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    const char *full = env(context, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
    char url[2048], origin[600], host[300];
    int plain = 0;
    *kind = KUMO_CONFIG_BAD;
    if (relative) {
        if (relative[0] != '/' ||
            (size_t)snprintf(url, sizeof url, "%s%s", ECS_HOST, relative) >= sizeof url) {
            snprintf(errbuf, errbuf_size,
                     "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI must be a path starting with '/'");
            return KUMO_SOURCE_FAILED;
        }
    } else if (full) {
        if ((size_t)snprintf(url, sizeof url, "%s", full) >= sizeof url) {
            snprintf(errbuf, errbuf_size, "AWS_CONTAINER_CREDENTIALS_FULL_URI is too long");
            return KUMO_SOURCE_FAILED;
        }
    } else {
        snprintf(errbuf, errbuf_size,
                 "container: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and "
                 "AWS_CONTAINER_CREDENTIALS_FULL_URI are not set");
        return KUMO_SOURCE_ABSENT;
    }
    if (url_origin(url, origin, sizeof origin, host, sizeof host, &plain) != 0) {
        snprintf(errbuf, errbuf_size, "%s is not an http(s)://host/... URL",
                 relative ? "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
                          : "AWS_CONTAINER_CREDENTIALS_FULL_URI");
        return KUMO_SOURCE_FAILED;
    }
    if (plain && !relative && !plain_http_allowed(host)) {
        snprintf(errbuf, errbuf_size,
                 "AWS_CONTAINER_CREDENTIALS_FULL_URI %.300s: plain http is allowed only to a "
                 "loopback address, 169.254.170.2, 169.254.170.23 or fd00:ec2::23; use https",
                 origin);
        return KUMO_SOURCE_FAILED;
    }

    *kind = KUMO_CONFIG_NO_CREDENTIALS;
    char *token = NULL;
    if (read_token(context, &token, errbuf, errbuf_size) != 0)
        return KUMO_SOURCE_FAILED;
    struct kumo_http_header headers[3] = {{"Accept", "application/json"},
                                          {"User-Agent", "kumo/" KUMO_VERSION_STRING}};
    size_t count = 2;
    if (token)
        headers[count++] = (struct kumo_http_header){"Authorization", token};
    struct kumo_http_request request = {
        .method = "GET",
        .url = url,
        .headers = headers,
        .header_count = count,
        .connect_timeout_ms = TIMEOUT_MS,
        .timeout_ms = TIMEOUT_MS,
        .max_response_bytes = KUMO_SOURCE_MAX_BODY_BYTES,
        .ca_bundle = context->ca_bundle,
        .allow_plain_http = plain,
        .no_proxy = 1,
    };
    enum kumo_source_result result = KUMO_SOURCE_FAILED;
    char reason[300] = "";
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
        struct kumo_http_response response;
        enum kumo_transport_result sent =
            kumo_source_http(context, &request, &response, reason, sizeof reason);
        int retry = 0;
        if (sent != KUMO_TRANSPORT_OK) {
            retry = sent != KUMO_TRANSPORT_TOO_LARGE && sent != KUMO_TRANSPORT_TLS_FAILED;
            snprintf(errbuf, errbuf_size, "container credentials from %.300s: %s", origin, reason);
        } else if (response.status != 200) {
            retry = response.status >= 500;
            snprintf(errbuf, errbuf_size, "container credentials from %.300s: HTTP %ld", origin,
                     response.status);
        } else {
            char what[400];
            snprintf(what, sizeof what, "container credentials from %.300s", origin);
            if (kumo_credentials_from_json(kumo_strbuf_cstr(&response.body), response.body.length,
                                           "Token", 0, what, out, errbuf, errbuf_size) == 0) {
                snprintf(out->source, sizeof out->source, "container (%.150s)", origin);
                result = KUMO_SOURCE_OK;
            }
        }
        kumo_http_response_clear(&response);
        if (!retry)
            break;
    }
    if (token) {
        OPENSSL_cleanse(token, strlen(token));
        free(token);
    }
    return result;
}
