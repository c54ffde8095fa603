/*
 * sigv4_sign.c - a test tool: signs requests with kumo_sigv4_sign() for the
 * differential test against botocore (tests/integration/test_sigv4_differential.py).
 *
 * stdin: one JSON object per line:
 *   {"method": "POST", "path": "/", "query": "" | null,
 *    "headers": [["Content-Type", "..."], ["Host", "..."]],
 *    "body": "Action=...",                      (UTF-8 text, hashed as bytes)
 *    "access_key_id": "...", "secret_access_key": "...", "session_token": "..." | null,
 *    "sign_session_token": true,               (optional, default true)
 *    "normalize_path": true,                   (optional, default true)
 *    "region": "us-east-1", "service": "ec2", "unix_seconds": 1440938160}
 * stdout: one JSON object per input line, in order:
 *   {"amz_date", "canonical_request", "string_to_sign", "signed_headers",
 *    "signature", "authorization"}   or   {"error": "..."}
 * Exit status 0 unless stdin cannot be read or memory runs out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "aws/sigv4.h"

static const char *string_field(const cJSON *object, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, name);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

static bool bool_field(const cJSON *object, const char *name, bool fallback)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, name);
    return cJSON_IsBool(item) ? cJSON_IsTrue(item) : fallback;
}

/* Signs one request; returns the result object (never NULL unless out of
 * memory). */
static cJSON *sign_one(const char *line)
{
    cJSON *request = cJSON_Parse(line);
    cJSON *result = cJSON_CreateObject();
    struct kumo_http_header *headers = NULL;
    struct kumo_sigv4_input in = {0};
    struct kumo_sigv4_output out = {0};
    const char *error = NULL;

    if (!result)
        goto done;
    if (!request || !cJSON_IsObject(request)) {
        error = "invalid JSON";
        goto done;
    }
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(request, "headers");
    const cJSON *seconds = cJSON_GetObjectItemCaseSensitive(request, "unix_seconds");
    if (!cJSON_IsArray(list) || !cJSON_IsNumber(seconds)) {
        error = "headers (array) and unix_seconds (number) are required";
        goto done;
    }
    int count = cJSON_GetArraySize(list);
    headers = calloc((size_t)count + 1, sizeof *headers);
    if (!headers) {
        error = "out of memory";
        goto done;
    }
    for (int i = 0; i < count; i++) {
        const cJSON *pair = cJSON_GetArrayItem(list, i);
        const cJSON *name = cJSON_GetArrayItem(pair, 0);
        const cJSON *value = cJSON_GetArrayItem(pair, 1);
        if (!cJSON_IsString(name) || !cJSON_IsString(value)) {
            error = "each header is a [name, value] pair of strings";
            goto done;
        }
        headers[i].name = name->valuestring;
        headers[i].value = value->valuestring;
    }
    const char *body = string_field(request, "body");
    in.method = string_field(request, "method");
    in.path = string_field(request, "path");
    in.query = string_field(request, "query");
    in.headers = headers;
    in.header_count = (size_t)count;
    in.payload = body;
    in.payload_length = body ? strlen(body) : 0;
    in.access_key_id = string_field(request, "access_key_id");
    in.secret_access_key = string_field(request, "secret_access_key");
    in.session_token = string_field(request, "session_token");
    in.sign_session_token = bool_field(request, "sign_session_token", true);
    in.region = string_field(request, "region");
    in.service = string_field(request, "service");
    in.unix_seconds = (int64_t)seconds->valuedouble;
    in.normalize_path = bool_field(request, "normalize_path", true);
    if (kumo_sigv4_sign(&in, &out) != 0) {
        error = "kumo_sigv4_sign failed";
        goto done;
    }
    if (!cJSON_AddStringToObject(result, "amz_date", out.amz_date) ||
        !cJSON_AddStringToObject(result, "canonical_request", out.canonical_request) ||
        !cJSON_AddStringToObject(result, "string_to_sign", out.string_to_sign) ||
        !cJSON_AddStringToObject(result, "signed_headers", out.signed_headers) ||
        !cJSON_AddStringToObject(result, "signature", out.signature) ||
        !cJSON_AddStringToObject(result, "authorization", out.authorization)) {
        cJSON_Delete(result);
        result = NULL;
    }

done:
    if (result && error && !cJSON_AddStringToObject(result, "error", error)) {
        cJSON_Delete(result);
        result = NULL;
    }
    kumo_sigv4_output_clear(&out);
    free(headers);
    cJSON_Delete(request);
    return result;
}

int main(void)
{
    char *line = NULL;
    size_t capacity = 0;
    ssize_t length;
    int status = 0;

    while ((length = getline(&line, &capacity, stdin)) >= 0) {
        while (length > 0 && (line[length - 1] == '\n' || line[length - 1] == '\r'))
            line[--length] = '\0';
        if (length == 0)
            continue;
        cJSON *result = sign_one(line);
        char *text = result ? cJSON_PrintUnformatted(result) : NULL;
        cJSON_Delete(result);
        if (!text) {
            fprintf(stderr, "sigv4_sign: out of memory\n");
            status = 1;
            break;
        }
        puts(text);
        cJSON_free(text);
    }
    if (ferror(stdin)) {
        fprintf(stderr, "sigv4_sign: cannot read stdin\n");
        status = 1;
    }
    free(line);
    fflush(stdout);
    return status;
}
