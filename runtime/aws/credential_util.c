/*
 * credential_util.c - what the credential sources share: copying and wiping
 * credentials, ISO 8601 times, the JSON credential document (container,
 * instance metadata, credential_process) and one HTTP exchange through the
 * transport seam.
 */
#include "credential_sources.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>
#include <openssl/crypto.h>

static void wipe_free(char *text)
{
    if (text) {
        OPENSSL_cleanse(text, strlen(text));
        free(text);
    }
}

void kumo_credentials_clear(struct kumo_credentials *credentials)
{
    if (!credentials)
        return;
    wipe_free(credentials->access_key_id);
    wipe_free(credentials->secret_access_key);
    wipe_free(credentials->session_token);
    memset(credentials, 0, sizeof *credentials);
}

int kumo_credentials_set(struct kumo_credentials *out, const char *key, const char *secret,
                         const char *token)
{
    out->access_key_id = strdup(key);
    out->secret_access_key = strdup(secret);
    out->session_token = token && *token ? strdup(token) : NULL;
    if (!out->access_key_id || !out->secret_access_key ||
        (token && *token && !out->session_token)) {
        kumo_credentials_clear(out);
        return -1;
    }
    return 0;
}

/* Reads exactly `count` digits. */
static int digits(const char **p, int count, int *value)
{
    *value = 0;
    for (int i = 0; i < count; i++, (*p)++) {
        if (!isdigit((unsigned char)**p))
            return -1;
        *value = *value * 10 + (**p - '0');
    }
    return 0;
}

int kumo_iso8601_to_ms(const char *text, int64_t *ms)
{
    const char *p = text;
    int year, month, day, hour, minute, second;
    if (!text || digits(&p, 4, &year) || *p++ != '-' || digits(&p, 2, &month) || *p++ != '-' ||
        digits(&p, 2, &day) || (*p != 'T' && *p != 't' && *p != ' ') || !*p++ ||
        digits(&p, 2, &hour) || *p++ != ':' || digits(&p, 2, &minute) || *p++ != ':' ||
        digits(&p, 2, &second))
        return -1;
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
        return -1;
    int64_t fraction_ms = 0;
    if (*p == '.') {
        p++;
        int scale = 100, count = 0;
        for (; isdigit((unsigned char)*p); p++, count++) {
            fraction_ms += (*p - '0') * scale;
            scale /= 10;
        }
        if (count == 0)
            return -1;
    }
    int64_t offset_s = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1, oh, om;
        if (digits(&p, 2, &oh))
            return -1;
        if (*p == ':')
            p++;
        if (digits(&p, 2, &om) || oh > 23 || om > 59)
            return -1;
        offset_s = sign * (oh * 3600 + om * 60);
    } else {
        return -1;
    }
    if (*p != '\0')
        return -1;
    struct tm tm = {0};
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    time_t seconds = timegm(&tm);
    if (seconds == (time_t)-1)
        return -1;
    *ms = ((int64_t)seconds - offset_s) * 1000 + fraction_ms;
    return 0;
}

/* Wipes every string of a parsed document before it is freed. */
static void wipe_json(cJSON *item)
{
    for (; item; item = item->next) {
        if (item->valuestring)
            OPENSSL_cleanse(item->valuestring, strlen(item->valuestring));
        wipe_json(item->child);
    }
}

static const char *json_string(const cJSON *root, const char *name, int *wrong_type)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, name);
    if (!item)
        return NULL;
    if (!cJSON_IsString(item) || !item->valuestring) {
        *wrong_type = 1;
        return NULL;
    }
    return item->valuestring;
}

int kumo_credentials_from_json(const char *text, size_t length, const char *token_name,
                               int expiration_required, const char *what,
                               struct kumo_credentials *out, char *errbuf, size_t errbuf_size)
{
    int result = -1;
    int wrong = 0;
    cJSON *root = cJSON_ParseWithLength(text, length);
    if (!root || !cJSON_IsObject(root)) {
        snprintf(errbuf, errbuf_size, "%s: the answer is not a JSON object", what);
        goto done;
    }
    const char *key = json_string(root, "AccessKeyId", &wrong);
    const char *secret = json_string(root, "SecretAccessKey", &wrong);
    const char *token = token_name ? json_string(root, token_name, &wrong) : NULL;
    const char *expiration = json_string(root, "Expiration", &wrong);
    if (wrong) {
        snprintf(errbuf, errbuf_size, "%s: a credential field is not a string", what);
        goto done;
    }
    if (!key || !*key || !secret || !*secret) {
        snprintf(errbuf, errbuf_size, "%s: the answer lacks AccessKeyId or SecretAccessKey", what);
        goto done;
    }
    int64_t expiration_ms = 0;
    if (expiration && *expiration) {
        if (kumo_iso8601_to_ms(expiration, &expiration_ms) != 0) {
            snprintf(errbuf, errbuf_size, "%s: Expiration '%.40s' is not an ISO 8601 time", what,
                     expiration);
            goto done;
        }
    } else if (expiration_required) {
        snprintf(errbuf, errbuf_size, "%s: the answer lacks Expiration", what);
        goto done;
    }
    if (kumo_credentials_set(out, key, secret, token) != 0) {
        snprintf(errbuf, errbuf_size, "%s: out of memory", what);
        goto done;
    }
    out->expiration_ms = expiration_ms;
    result = 0;
done:
    if (root) {
        wipe_json(root);
        cJSON_Delete(root);
    }
    return result;
}

enum kumo_transport_result kumo_source_http(const struct kumo_source_context *context,
                                            const struct kumo_http_request *request,
                                            struct kumo_http_response *response, char *errbuf,
                                            size_t errbuf_size)
{
    kumo_http_response_init(response, request->max_response_bytes ? request->max_response_bytes
                                                                  : KUMO_SOURCE_MAX_BODY_BYTES);
    char reason[300] = "";
    enum kumo_transport_result result =
        context->transport(context->transport_data, request, response, reason, sizeof reason);
    if (result != KUMO_TRANSPORT_OK)
        snprintf(errbuf, errbuf_size, "%s",
                 reason[0] ? reason
                           : (result == KUMO_TRANSPORT_TIMEOUT ? "timed out" : "transport failed"));
    return result;
}
