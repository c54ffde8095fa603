/*
 * imds.c - the EC2 instance metadata credential source, IMDSv2 only:
 *   PUT  /latest/api/token  (x-aws-ec2-metadata-token-ttl-seconds: 21600)
 *   GET  /latest/meta-data/iam/security-credentials/        -> role name
 *   GET  /latest/meta-data/iam/security-credentials/<role>  -> JSON with Code "Success"
 * the GETs carrying x-aws-ec2-metadata-token. Base http://169.254.169.254 or
 * AWS_EC2_METADATA_SERVICE_ENDPOINT; per-request timeout 1 s and 1 attempt
 * unless AWS_METADATA_SERVICE_TIMEOUT / AWS_METADATA_SERVICE_NUM_ATTEMPTS
 * (or the profile's metadata_service_timeout / metadata_service_num_attempts)
 * say otherwise; AWS_EC2_METADATA_DISABLED=true skips it. Every failure to
 * reach or use the service is "absent" (the chain then reports no
 * credentials, with this reason); bad settings are configuration errors.
 * The metadata token never appears in a message.
 */
#include "credential_sources.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cJSON.h>
#include <openssl/crypto.h>

#define DEFAULT_BASE "http://169.254.169.254"
#define TOKEN_PATH "/latest/api/token"
#define ROLE_PATH "/latest/meta-data/iam/security-credentials/"
#define MAX_ATTEMPTS_SETTING 10
#define MAX_TIMEOUT_S 60.0

struct imds {
    const struct kumo_source_context *context;
    char base[512];
    long timeout_ms;
    int attempts;
    char token[512];
};

static const char *env(const struct kumo_source_context *context, const char *name)
{
    const struct kumo_config_input *input = context->input;
    const char *value = input->getenv ? input->getenv(input->getenv_data, name) : getenv(name);
    return value && *value ? value : NULL;
}

/* Reads the timeout (seconds, decimals allowed) and attempt settings. */
static int read_settings(struct imds *imds, const char *timeout_setting,
                         const char *attempts_setting, char *errbuf, size_t errbuf_size)
{
    const char *timeout = env(imds->context, "AWS_METADATA_SERVICE_TIMEOUT");
    const char *timeout_from = "AWS_METADATA_SERVICE_TIMEOUT";
    if (!timeout && timeout_setting) {
        timeout = timeout_setting;
        timeout_from = "profile metadata_service_timeout";
    }
    const char *attempts = env(imds->context, "AWS_METADATA_SERVICE_NUM_ATTEMPTS");
    const char *attempts_from = "AWS_METADATA_SERVICE_NUM_ATTEMPTS";
    if (!attempts && attempts_setting) {
        attempts = attempts_setting;
        attempts_from = "profile metadata_service_num_attempts";
    }
    imds->timeout_ms = 1000;
    imds->attempts = 1;
    if (timeout) {
        char *end = NULL;
        double seconds = strtod(timeout, &end);
        if (end == timeout || *end || !(seconds > 0) || seconds > MAX_TIMEOUT_S) {
            snprintf(errbuf, errbuf_size,
                     "%s '%.40s': expected a number of seconds greater than 0 and at most 60",
                     timeout_from, timeout);
            return -1;
        }
        imds->timeout_ms = (long)(seconds * 1000 + 0.5);
        if (imds->timeout_ms < 1)
            imds->timeout_ms = 1;
    }
    if (attempts) {
        char *end = NULL;
        long n = strtol(attempts, &end, 10);
        if (end == attempts || *end || n < 1 || n > MAX_ATTEMPTS_SETTING) {
            snprintf(errbuf, errbuf_size, "%s '%.40s': expected an integer from 1 to %d",
                     attempts_from, attempts, MAX_ATTEMPTS_SETTING);
            return -1;
        }
        imds->attempts = (int)n;
    }
    return 0;
}

/* One metadata request, retried on connection failures and 5xx. Returns 0
 * with the body in *body (malloc'ed), or -1 with a reason. */
static int fetch(struct imds *imds, const char *method, const char *path, char **body, char *reason,
                 size_t reason_size)
{
    char url[1024];
    snprintf(url, sizeof url, "%s%s", imds->base, path);
    struct kumo_http_header headers[2] = {{"User-Agent", "kumo/" KUMO_VERSION_STRING}};
    size_t count = 1;
    if (strcmp(method, "PUT") == 0)
        headers[count++] =
            (struct kumo_http_header){"x-aws-ec2-metadata-token-ttl-seconds", "21600"};
    else
        headers[count++] = (struct kumo_http_header){"x-aws-ec2-metadata-token", imds->token};
    struct kumo_http_request request = {
        .method = method,
        .url = url,
        .headers = headers,
        .header_count = count,
        .body = strcmp(method, "PUT") == 0 ? "" : NULL,
        .body_length = 0,
        .connect_timeout_ms = imds->timeout_ms,
        .timeout_ms = imds->timeout_ms,
        .max_response_bytes = KUMO_SOURCE_MAX_BODY_BYTES,
        .allow_plain_http = 1,
        .no_proxy = 1,
    };
    *body = NULL;
    for (int attempt = 1; attempt <= imds->attempts; attempt++) {
        struct kumo_http_response response;
        char why[300];
        enum kumo_transport_result sent =
            kumo_source_http(imds->context, &request, &response, why, sizeof why);
        int retry = 0;
        if (sent != KUMO_TRANSPORT_OK) {
            retry = sent == KUMO_TRANSPORT_CONNECT_FAILED || sent == KUMO_TRANSPORT_TIMEOUT ||
                    sent == KUMO_TRANSPORT_FAILED;
            snprintf(reason, reason_size, "%s %s: %s", method, path, why);
        } else if (response.status != 200) {
            retry = response.status >= 500;
            snprintf(reason, reason_size, "%s %s: HTTP %ld", method, path, response.status);
        } else if (!(*body = strdup(kumo_strbuf_cstr(&response.body)))) {
            snprintf(reason, reason_size, "out of memory");
        }
        kumo_http_response_clear(&response);
        if (*body || !retry)
            break;
    }
    return *body ? 0 : -1;
}

static void wipe_free(char *text)
{
    if (text) {
        OPENSSL_cleanse(text, strlen(text));
        free(text);
    }
}

/* The token, trimmed; refused if empty, too long or not a header value. */
static int take_token(struct imds *imds, char *text, char *reason, size_t reason_size)
{
    size_t n = strlen(text);
    while (n > 0 && isspace((unsigned char)text[n - 1]))
        n--;
    int ok = n > 0 && n < sizeof imds->token;
    for (size_t i = 0; ok && i < n; i++)
        ok = text[i] > ' ' && text[i] < 127;
    if (ok) {
        memcpy(imds->token, text, n);
        imds->token[n] = '\0';
    } else {
        snprintf(reason, reason_size, "PUT %s: unusable token", TOKEN_PATH);
    }
    wipe_free(text);
    return ok ? 0 : -1;
}

/* The first line of the role listing; a role name must be a path segment. */
static int take_role(char *text, char *role, size_t role_size, char *reason, size_t reason_size)
{
    size_t n = strcspn(text, "\r\n");
    int ok = n > 0 && n < role_size;
    for (size_t i = 0; ok && i < n; i++)
        ok = isalnum((unsigned char)text[i]) || strchr("+=,.@_-", text[i]);
    if (ok)
        snprintf(role, role_size, "%.*s", (int)n, text);
    else
        snprintf(reason, reason_size, "GET %s: no usable IAM role name (is a role attached?)",
                 ROLE_PATH);
    free(text);
    return ok ? 0 : -1;
}

static int check_code(const char *text, char *reason, size_t reason_size)
{
    cJSON *root = cJSON_Parse(text);
    const cJSON *code = root ? cJSON_GetObjectItemCaseSensitive(root, "Code") : NULL;
    int ok = cJSON_IsString(code) && strcmp(code->valuestring, "Success") == 0;
    if (!root)
        snprintf(reason, reason_size, "the credentials answer is not JSON");
    else if (!ok)
        snprintf(reason, reason_size, "the credentials answer has Code '%.60s', not 'Success'",
                 cJSON_IsString(code) ? code->valuestring : "");
    if (root) {
        for (cJSON *item = root->child; item; item = item->next)
            if (item->valuestring)
                OPENSSL_cleanse(item->valuestring, strlen(item->valuestring));
        cJSON_Delete(root);
    }
    return ok ? 0 : -1;
}

enum kumo_source_result kumo_source_imds(const struct kumo_source_context *context,
                                         const char *timeout_setting, const char *attempts_setting,
                                         struct kumo_credentials *out, char *errbuf,
                                         size_t errbuf_size, enum kumo_config_failure *kind)
{
    struct imds imds = {.context = context};
    const char *disabled = env(context, "AWS_EC2_METADATA_DISABLED");
    *kind = KUMO_CONFIG_BAD;
    if (disabled && strcasecmp(disabled, "true") == 0) {
        snprintf(errbuf, errbuf_size,
                 "instance metadata: disabled by AWS_EC2_METADATA_DISABLED=true");
        return KUMO_SOURCE_ABSENT;
    }
    const char *base = env(context, "AWS_EC2_METADATA_SERVICE_ENDPOINT");
    if (base && strncasecmp(base, "http://", 7) != 0 && strncasecmp(base, "https://", 8) != 0) {
        snprintf(errbuf, errbuf_size,
                 "AWS_EC2_METADATA_SERVICE_ENDPOINT '%.200s' is not an http(s) URL", base);
        return KUMO_SOURCE_FAILED;
    }
    if ((size_t)snprintf(imds.base, sizeof imds.base, "%s", base ? base : DEFAULT_BASE) >=
        sizeof imds.base) {
        snprintf(errbuf, errbuf_size, "AWS_EC2_METADATA_SERVICE_ENDPOINT is too long");
        return KUMO_SOURCE_FAILED;
    }
    size_t n = strlen(imds.base);
    while (n > 0 && imds.base[n - 1] == '/')
        imds.base[--n] = '\0';
    if (read_settings(&imds, timeout_setting, attempts_setting, errbuf, errbuf_size) != 0)
        return KUMO_SOURCE_FAILED;

    *kind = KUMO_CONFIG_NO_CREDENTIALS;
    enum kumo_source_result result = KUMO_SOURCE_ABSENT;
    char reason[400] = "";
    char role[256], path[512];
    char *text = NULL;
    if (fetch(&imds, "PUT", TOKEN_PATH, &text, reason, sizeof reason) != 0)
        goto done;
    char *taken = text;
    text = NULL; /* take_token and take_role free what they are given */
    if (take_token(&imds, taken, reason, sizeof reason) != 0 ||
        fetch(&imds, "GET", ROLE_PATH, &text, reason, sizeof reason) != 0)
        goto done;
    taken = text;
    text = NULL;
    if (take_role(taken, role, sizeof role, reason, sizeof reason) != 0)
        goto done;
    snprintf(path, sizeof path, "%s%s", ROLE_PATH, role);
    if (fetch(&imds, "GET", path, &text, reason, sizeof reason) != 0 ||
        check_code(text, reason, sizeof reason) != 0)
        goto done;
    char what[300];
    snprintf(what, sizeof what, "instance metadata (role %.150s)", role);
    if (kumo_credentials_from_json(text, strlen(text), "Token", 1, what, out, reason,
                                   sizeof reason) != 0)
        goto done;
    snprintf(out->source, sizeof out->source, "instance metadata (role %.150s)", role);
    result = KUMO_SOURCE_OK;

done:
    if (result != KUMO_SOURCE_OK)
        snprintf(errbuf, errbuf_size, "instance metadata at %.200s: %s", imds.base, reason);
    wipe_free(text);
    OPENSSL_cleanse(imds.token, sizeof imds.token);
    return result;
}
