/*
 * http.c - the response object every transport fills (the public setters of
 * kumo.h) and the default transport built on the libcurl easy API.
 *
 * One easy handle per transport object, reused for every request so that
 * libcurl keeps the connection alive; every option is set again for each
 * request after curl_easy_reset() (which keeps the connection cache). TLS
 * peer and host verification are always on, TLS 1.2 is the minimum,
 * redirects are never followed, plain http is allowed only when the request
 * says so. Nothing here logs; failure reasons name the host and port only.
 */
#include "http.h"
#include "util/text.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

_Static_assert(sizeof(curl_off_t) >= sizeof(int64_t), "curl_off_t holds an int64_t");

struct kumo_curl_transport {
    CURL *easy;
};

/* ---- The response object ----------------------------------------------- */

void kumo_http_response_init(struct kumo_http_response *response, size_t max_body_bytes)
{
    memset(response, 0, sizeof *response);
    response->body = (struct kumo_strbuf)KUMO_STRBUF_INIT;
    response->max_body_bytes = max_body_bytes ? max_body_bytes : KUMO_HTTP_DEFAULT_MAX_BODY_BYTES;
}

static void wipe_free(char *text)
{
    if (text) {
        OPENSSL_cleanse(text, strlen(text));
        free(text);
    }
}

static void clear_headers(struct kumo_http_response *response)
{
    free(response->date);
    free(response->request_id);
    free(response->content_type);
    response->date = response->request_id = response->content_type = NULL;
}

void kumo_http_response_clear(struct kumo_http_response *response)
{
    if (!response)
        return;
    /* Bodies can carry credentials (STS, metadata): wipe before freeing. */
    if (response->body.data)
        OPENSSL_cleanse(response->body.data, response->body.capacity);
    kumo_strbuf_free(&response->body);
    clear_headers(response);
    response->status = 0;
}

KUMO_API void kumo_http_response_set_status(struct kumo_http_response *response, long status)
{
    response->status = status;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Keeps the header value in *slot when `name` is the wanted one. */
static int keep_header(char **slot, const char *value, size_t value_length)
{
    char *copy = malloc(value_length + 1);
    if (!copy)
        return -1;
    memcpy(copy, value, value_length);
    copy[value_length] = '\0';
    free(*slot);
    *slot = copy;
    return 0;
}

static int name_is(const char *name, size_t name_length, const char *wanted)
{
    return strlen(wanted) == name_length && strncasecmp(name, wanted, name_length) == 0;
}

KUMO_API int kumo_http_response_add_header(struct kumo_http_response *response, const char *name,
                                           size_t name_length, const char *value,
                                           size_t value_length)
{
    while (name_length > 0 && is_space(name[name_length - 1]))
        name_length--;
    while (value_length > 0 && is_space(*value)) {
        value++;
        value_length--;
    }
    while (value_length > 0 && is_space(value[value_length - 1]))
        value_length--;
    if (name_is(name, name_length, "date"))
        return keep_header(&response->date, value, value_length);
    if (name_is(name, name_length, "x-amzn-requestid") ||
        name_is(name, name_length, "x-amz-request-id"))
        return keep_header(&response->request_id, value, value_length);
    if (name_is(name, name_length, "content-type"))
        return keep_header(&response->content_type, value, value_length);
    return 0; /* only the declared headers are kept */
}

KUMO_API int kumo_http_response_append_body(struct kumo_http_response *response, const void *data,
                                            size_t length)
{
    if (length > response->max_body_bytes ||
        response->body.length > response->max_body_bytes - length)
        return -1;
    return kumo_strbuf_append(&response->body, data, length);
}

/* ---- The libcurl transport --------------------------------------------- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_code = CURLE_FAILED_INIT;

static void curl_init_once(void)
{
    curl_init_code = curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct kumo_curl_transport *kumo_curl_transport_new(void)
{
    pthread_once(&curl_once, curl_init_once);
    if (curl_init_code != CURLE_OK)
        return NULL;
    struct kumo_curl_transport *transport = calloc(1, sizeof *transport);
    if (!transport)
        return NULL;
    transport->easy = curl_easy_init();
    if (!transport->easy) {
        free(transport);
        return NULL;
    }
    return transport;
}

void kumo_curl_transport_free(struct kumo_curl_transport *transport)
{
    if (!transport)
        return;
    curl_easy_cleanup(transport->easy);
    free(transport);
}

/* State the callbacks share during one transfer. */
struct transfer {
    struct kumo_http_response *response;
    size_t max_body_bytes; /* the request's cap (0: the response's own) */
    int too_large;         /* the write callback refused the body */
    int out_of_memory;     /* the header callback could not keep a header */
};

static size_t on_body(char *data, size_t size, size_t count, void *user_data)
{
    struct transfer *transfer = user_data;
    size_t length = size * count;
    struct kumo_http_response *response = transfer->response;
    if (transfer->max_body_bytes && (length > transfer->max_body_bytes ||
                                     response->body.length > transfer->max_body_bytes - length)) {
        transfer->too_large = 1;
        return 0;
    }
    if (kumo_http_response_append_body(response, data, length) != 0) {
        transfer->too_large = 1;
        return 0;
    }
    return length;
}

static size_t on_header(char *data, size_t size, size_t count, void *user_data)
{
    struct transfer *transfer = user_data;
    size_t length = size * count;
    if (length >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        /* A new response head (after a 1xx one): forget earlier headers. */
        clear_headers(transfer->response);
        return length;
    }
    const char *colon = memchr(data, ':', length);
    if (!colon || colon == data)
        return length; /* the blank line ending the head, or a folded line */
    size_t name_length = (size_t)(colon - data);
    if (kumo_http_response_add_header(transfer->response, data, name_length, colon + 1,
                                      length - name_length - 1) != 0) {
        transfer->out_of_memory = 1;
        return 0;
    }
    return length;
}

/* "host:port" of the URL, for messages; never the path or the query. */
static void url_host_port(const char *url, char *out, size_t out_size)
{
    snprintf(out, out_size, "%s", "(invalid URL)");
    CURLU *parsed = curl_url();
    if (!parsed)
        return;
    char *host = NULL;
    char *port = NULL;
    if (curl_url_set(parsed, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
        curl_url_get(parsed, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        curl_url_get(parsed, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK)
        snprintf(out, out_size, "%s:%s", host, port);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(parsed);
}

static int has_scheme(const char *url, const char *scheme)
{
    size_t length = strlen(scheme);
    return strncasecmp(url, scheme, length) == 0 && strncmp(url + length, "://", 3) == 0;
}

static int valid_method(const char *method)
{
    if (!method || !*method || strlen(method) > 16)
        return 0;
    for (const char *c = method; *c; c++) {
        if (*c < 'A' || *c > 'Z')
            return 0;
    }
    return 1;
}

/* A header name is an RFC 9110 token; a value holds no CR, LF or NUL. */
static int valid_header(const struct kumo_http_header *header)
{
    if (!header->name || !*header->name || !header->value)
        return 0;
    for (const char *c = header->name; *c; c++) {
        if (*c <= ' ' || *c >= 127 || strchr("\"(),/:;<=>?@[\\]{}", *c))
            return 0;
    }
    return strpbrk(header->value, "\r\n") == NULL;
}

static int request_has_header(const struct kumo_http_request *request, const char *name)
{
    for (size_t i = 0; i < request->header_count; i++) {
        if (strcasecmp(request->headers[i].name, name) == 0)
            return 1;
    }
    return 0;
}

/* Appends one header line to *list; returns 0, or -1 when out of memory. */
static int add_line(struct curl_slist **list, const char *line)
{
    struct curl_slist *grown = curl_slist_append(*list, line);
    if (!grown)
        return -1;
    *list = grown;
    return 0;
}

/* The request's headers exactly as given, and "Name:" lines that stop
 * libcurl from adding its own Accept, Expect and Content-Type. The lines may
 * hold secrets (Authorization, tokens): they are wiped by free_header_list. */
static int build_header_list(const struct kumo_http_request *request, struct curl_slist **list)
{
    for (size_t i = 0; i < request->header_count; i++) {
        const struct kumo_http_header *header = &request->headers[i];
        size_t size = strlen(header->name) + strlen(header->value) + 3;
        char *line = malloc(size);
        if (!line)
            return -1;
        if (header->value[0] == '\0')
            snprintf(line, size, "%s;", header->name); /* "Name;" sends an empty value */
        else
            snprintf(line, size, "%s: %s", header->name, header->value);
        int failed = add_line(list, line);
        wipe_free(line);
        if (failed)
            return -1;
    }
    static const char *const suppressed[] = {"Accept", "Expect", "Content-Type"};
    for (size_t i = 0; i < sizeof suppressed / sizeof suppressed[0]; i++) {
        if (request_has_header(request, suppressed[i]))
            continue;
        char line[32];
        snprintf(line, sizeof line, "%s:", suppressed[i]);
        if (add_line(list, line) != 0)
            return -1;
    }
    return 0;
}

static void free_header_list(struct curl_slist *list)
{
    for (struct curl_slist *item = list; item; item = item->next) {
        if (item->data)
            OPENSSL_cleanse(item->data, strlen(item->data));
    }
    curl_slist_free_all(list);
}

static enum kumo_transport_result classify(CURLcode code, const struct transfer *transfer)
{
    switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
        return KUMO_TRANSPORT_CONNECT_FAILED;
    case CURLE_OPERATION_TIMEDOUT:
        return KUMO_TRANSPORT_TIMEOUT;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_USE_SSL_FAILED:
        return KUMO_TRANSPORT_TLS_FAILED;
    case CURLE_FILESIZE_EXCEEDED:
        return KUMO_TRANSPORT_TOO_LARGE;
    case CURLE_WRITE_ERROR:
        return transfer->too_large ? KUMO_TRANSPORT_TOO_LARGE : KUMO_TRANSPORT_FAILED;
    default:
        return KUMO_TRANSPORT_FAILED;
    }
}

static const char *result_summary(enum kumo_transport_result result)
{
    switch (result) {
    case KUMO_TRANSPORT_CONNECT_FAILED:
        return "cannot connect to";
    case KUMO_TRANSPORT_TIMEOUT:
        return "timed out talking to";
    case KUMO_TRANSPORT_TLS_FAILED:
        return "TLS failure with";
    case KUMO_TRANSPORT_TOO_LARGE:
        return "response too large from";
    default:
        return "HTTP exchange failed with";
    }
}

/* Sets every option of one request on the (reset) handle. */
static CURLcode set_options(CURL *easy, const struct kumo_http_request *request,
                            struct curl_slist *headers, struct transfer *transfer, char *curl_error)
{
    CURLcode code = CURLE_OK;
#define SET(option, value)                                                                         \
    do {                                                                                           \
        if (code == CURLE_OK)                                                                      \
            code = curl_easy_setopt(easy, option, value);                                          \
    } while (0)

    SET(CURLOPT_URL, request->url);
    SET(CURLOPT_ERRORBUFFER, curl_error);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_NOPROGRESS, 1L);
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_MAXREDIRS, 0L);
    if (request->no_proxy)
        SET(CURLOPT_NOPROXY, "*");  /* metadata endpoints: never through a proxy */
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85.0 */
    SET(CURLOPT_PROTOCOLS_STR, request->allow_plain_http ? "http,https" : "https");
    SET(CURLOPT_REDIR_PROTOCOLS_STR, "https");
#else
    SET(CURLOPT_PROTOCOLS, request->allow_plain_http ? (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS)
                                                     : (long)CURLPROTO_HTTPS);
    SET(CURLOPT_REDIR_PROTOCOLS, (long)CURLPROTO_HTTPS);
#endif
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
    SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    if (request->ca_bundle)
        SET(CURLOPT_CAINFO, request->ca_bundle);
    SET(CURLOPT_CONNECTTIMEOUT_MS, request->connect_timeout_ms > 0
                                       ? request->connect_timeout_ms
                                       : (long)KUMO_HTTP_DEFAULT_CONNECT_TIMEOUT_MS);
    SET(CURLOPT_TIMEOUT_MS,
        request->timeout_ms > 0 ? request->timeout_ms : (long)KUMO_HTTP_DEFAULT_TIMEOUT_MS);
    /* An early refusal when Content-Length is over the cap; the write
     * callback enforces the cap for bodies of unknown length. */
    if (request->max_response_bytes > 0 &&
        (uintmax_t)request->max_response_bytes <= (uintmax_t)INT64_MAX)
        SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)request->max_response_bytes);

    const char *method = request->method;
    int has_body = request->body != NULL || request->body_length > 0;
    if (strcmp(method, "GET") == 0 && !has_body) {
        SET(CURLOPT_HTTPGET, 1L);
    } else if (strcmp(method, "HEAD") == 0 && !has_body) {
        SET(CURLOPT_NOBODY, 1L);
    } else {
        /* POSTFIELDS does not copy: the request outlives the transfer. */
        SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)request->body_length);
        SET(CURLOPT_POSTFIELDS, request->body ? request->body : "");
        if (strcmp(method, "POST") != 0)
            SET(CURLOPT_CUSTOMREQUEST, method);
    }
    SET(CURLOPT_HTTPHEADER, headers);
    SET(CURLOPT_HEADERFUNCTION, on_header);
    SET(CURLOPT_HEADERDATA, transfer);
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, transfer);
#undef SET
    return code;
}

enum kumo_transport_result kumo_curl_transport_send(void *user_data,
                                                    const struct kumo_http_request *request,
                                                    struct kumo_http_response *response,
                                                    char *error_message, size_t error_message_size)
{
    struct kumo_curl_transport *transport = user_data;
    kumo_set_message(error_message, error_message_size, "%s", "");
    if (!transport || !request || !response || !request->url) {
        kumo_set_message(error_message, error_message_size, "HTTP request without a URL");
        return KUMO_TRANSPORT_FAILED;
    }
    char host_port[300];
    url_host_port(request->url, host_port, sizeof host_port);
    const char *method = request->method ? request->method : "GET";
    if (!valid_method(method)) {
        kumo_set_message(error_message, error_message_size, "invalid HTTP method for %s",
                         host_port);
        return KUMO_TRANSPORT_FAILED;
    }
    if (!request->body && request->body_length > 0) {
        kumo_set_message(error_message, error_message_size, "HTTP request body missing for %s",
                         host_port);
        return KUMO_TRANSPORT_FAILED;
    }
    if (request->header_count > 0 && !request->headers) {
        kumo_set_message(error_message, error_message_size, "HTTP request headers missing for %s",
                         host_port);
        return KUMO_TRANSPORT_FAILED;
    }
    for (size_t i = 0; i < request->header_count; i++) {
        if (!valid_header(&request->headers[i])) {
            kumo_set_message(error_message, error_message_size,
                             "invalid HTTP header name or value for %s", host_port);
            return KUMO_TRANSPORT_FAILED;
        }
    }
    if (!has_scheme(request->url, "https") &&
        !(request->allow_plain_http && has_scheme(request->url, "http"))) {
        kumo_set_message(error_message, error_message_size,
                         "refusing to connect to %s: only https:// URLs are allowed here",
                         host_port);
        return KUMO_TRANSPORT_FAILED;
    }

    struct kumo_http_request sent = *request;
    sent.method = method;
    struct curl_slist *headers = NULL;
    if (build_header_list(&sent, &headers) != 0) {
        free_header_list(headers);
        kumo_set_message(error_message, error_message_size, "out of memory");
        return KUMO_TRANSPORT_FAILED;
    }

    CURL *easy = transport->easy;
    struct transfer transfer = {.response = response,
                                .max_body_bytes = request->max_response_bytes};
    char curl_error[CURL_ERROR_SIZE];
    curl_error[0] = '\0';
    curl_easy_reset(easy); /* keeps the connection cache */
    CURLcode code = set_options(easy, &sent, headers, &transfer, curl_error);
    if (code == CURLE_OK)
        code = curl_easy_perform(easy);

    enum kumo_transport_result result = KUMO_TRANSPORT_OK;
    if (code == CURLE_OK) {
        long status = 0;
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
        kumo_http_response_set_status(response, status);
    } else if (transfer.out_of_memory) {
        result = KUMO_TRANSPORT_FAILED;
        kumo_set_message(error_message, error_message_size,
                         "out of memory reading the answer of %s", host_port);
    } else {
        result = classify(code, &transfer);
        const char *detail = curl_error[0] ? curl_error : curl_easy_strerror(code);
        if (result == KUMO_TRANSPORT_CONNECT_FAILED)
            detail = curl_easy_strerror(code); /* libcurl's text repeats host and port */
        if (result == KUMO_TRANSPORT_TOO_LARGE)
            detail = "body over the size limit";
        size_t detail_length = strlen(detail);
        while (detail_length > 0 && is_space(detail[detail_length - 1]))
            detail_length--;
        kumo_set_message(error_message, error_message_size, "%s %s: %.*s", result_summary(result),
                         host_port, (int)detail_length, detail);
    }

    /* The handle must not keep pointers into this request or its headers. */
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, (char *)NULL);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, (char *)NULL);
    free_header_list(headers);
    return result;
}
