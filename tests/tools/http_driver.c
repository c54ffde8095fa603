/*
 * http_driver.c - a command-line client of the libcurl transport
 * (runtime/aws/http.c) for tests/integration/test_http_transport.py.
 *
 *   kumo_http_driver [--method M] [--header 'Name: value']... [--body TEXT]
 *                    [--body-file FILE] [--ca FILE] [--allow-http] [--connect-timeout-ms N]
 *                    [--timeout-ms N] [--max-bytes N] [--repeat N] URL
 *
 * Sends the request --repeat times (default 1) on ONE transport object and
 * prints one JSON object per exchange on stdout:
 *   {"result": "OK", "status": 200, "date": ..., "request_id": ...,
 *    "content_type": ..., "body": ..., "error": ...}
 * Body bytes above 0x7f are written as \u00XX (decode them as Latin-1).
 * Exit status: 0 when every exchange returned KUMO_TRANSPORT_OK, 1 otherwise,
 * 2 on a usage error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/http.h"

#define MAX_HEADERS 32

/* Reads a whole file into a malloc'ed buffer; NULL on failure. */
static char *read_file(const char *path, size_t *length)
{
    FILE *file = fopen(path, "rb");
    if (!file)
        return NULL;
    char *data = NULL;
    size_t size = 0;
    size_t capacity = 0;
    for (;;) {
        if (size == capacity) {
            capacity = capacity ? capacity * 2 : 65536;
            char *grown = realloc(data, capacity);
            if (!grown) {
                free(data);
                fclose(file);
                return NULL;
            }
            data = grown;
        }
        size_t got = fread(data + size, 1, capacity - size, file);
        size += got;
        if (got == 0)
            break;
    }
    fclose(file);
    *length = size;
    return data;
}

static void print_json_string(const char *text, size_t length)
{
    if (!text) {
        fputs("null", stdout);
        return;
    }
    putchar('"');
    for (size_t i = 0; i < length; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

static const char *result_name(enum kumo_transport_result result)
{
    switch (result) {
    case KUMO_TRANSPORT_OK:
        return "OK";
    case KUMO_TRANSPORT_CONNECT_FAILED:
        return "CONNECT_FAILED";
    case KUMO_TRANSPORT_TIMEOUT:
        return "TIMEOUT";
    case KUMO_TRANSPORT_TLS_FAILED:
        return "TLS_FAILED";
    case KUMO_TRANSPORT_TOO_LARGE:
        return "TOO_LARGE";
    case KUMO_TRANSPORT_FAILED:
        return "FAILED";
    }
    return "?";
}

static int usage(void)
{
    fputs("usage: kumo_http_driver [--method M] [--header 'Name: value']... [--body TEXT]\n"
          "                        [--body-file FILE] [--ca FILE] [--allow-http] "
          "[--connect-timeout-ms N]\n"
          "                        [--timeout-ms N] [--max-bytes N] [--repeat N] URL\n",
          stderr);
    return 2;
}

int main(int argc, char **argv)
{
    struct kumo_http_header headers[MAX_HEADERS];
    char *header_copies[MAX_HEADERS];
    size_t header_count = 0;
    struct kumo_http_request request;
    memset(&request, 0, sizeof request);
    request.method = "GET";
    request.connect_timeout_ms = 5000;
    request.timeout_ms = 10000;
    request.max_response_bytes = 1024 * 1024;
    long repeat = 1;
    char *body_file = NULL;

    int i = 1;
    for (; i < argc; i++) {
        const char *arg = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(arg, "--allow-http") == 0) {
            request.allow_plain_http = 1;
            continue;
        }
        if (strncmp(arg, "--", 2) != 0)
            break;
        if (!value)
            return usage();
        i++;
        if (strcmp(arg, "--method") == 0) {
            request.method = value;
        } else if (strcmp(arg, "--header") == 0) {
            const char *colon = strchr(value, ':');
            if (!colon || header_count == MAX_HEADERS)
                return usage();
            char *copy = strdup(value);
            if (!copy)
                return 1;
            copy[colon - value] = '\0';
            const char *header_value = copy + (colon - value) + 1;
            while (*header_value == ' ')
                header_value++;
            header_copies[header_count] = copy;
            headers[header_count].name = copy;
            headers[header_count].value = header_value;
            header_count++;
        } else if (strcmp(arg, "--body") == 0) {
            request.body = value;
            request.body_length = strlen(value);
        } else if (strcmp(arg, "--body-file") == 0) {
            free(body_file);
            body_file = read_file(value, &request.body_length);
            if (!body_file) {
                fprintf(stderr, "kumo_http_driver: cannot read %s\n", value);
                return 2;
            }
            request.body = body_file;
        } else if (strcmp(arg, "--ca") == 0) {
            request.ca_bundle = value;
        } else if (strcmp(arg, "--connect-timeout-ms") == 0) {
            request.connect_timeout_ms = atol(value);
        } else if (strcmp(arg, "--timeout-ms") == 0) {
            request.timeout_ms = atol(value);
        } else if (strcmp(arg, "--max-bytes") == 0) {
            request.max_response_bytes = (size_t)atol(value);
        } else if (strcmp(arg, "--repeat") == 0) {
            repeat = atol(value);
        } else {
            return usage();
        }
    }
    if (i + 1 != argc || repeat < 1)
        return usage();
    request.url = argv[i];
    request.headers = headers;
    request.header_count = header_count;

    struct kumo_curl_transport *transport = kumo_curl_transport_new();
    if (!transport) {
        fputs("kumo_http_driver: cannot initialise libcurl\n", stderr);
        return 1;
    }
    int failures = 0;
    for (long n = 0; n < repeat; n++) {
        struct kumo_http_response response;
        kumo_http_response_init(&response, request.max_response_bytes);
        char error[256];
        enum kumo_transport_result result =
            kumo_curl_transport_send(transport, &request, &response, error, sizeof error);
        if (result != KUMO_TRANSPORT_OK)
            failures++;
        printf("{\"result\": \"%s\", \"status\": %ld, \"date\": ", result_name(result),
               response.status);
        print_json_string(response.date, response.date ? strlen(response.date) : 0);
        fputs(", \"request_id\": ", stdout);
        print_json_string(response.request_id,
                          response.request_id ? strlen(response.request_id) : 0);
        fputs(", \"content_type\": ", stdout);
        print_json_string(response.content_type,
                          response.content_type ? strlen(response.content_type) : 0);
        fputs(", \"body\": ", stdout);
        print_json_string(kumo_strbuf_cstr(&response.body), response.body.length);
        fputs(", \"error\": ", stdout);
        print_json_string(error, strlen(error));
        fputs("}\n", stdout);
        fflush(stdout);
        kumo_http_response_clear(&response);
    }
    kumo_curl_transport_free(transport);
    for (size_t h = 0; h < header_count; h++)
        free(header_copies[h]);
    free(body_file);
    return failures ? 1 : 0;
}
