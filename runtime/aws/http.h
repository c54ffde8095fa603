/*
 * http.h - the HTTP side of the runtime: the response object transports
 * fill (struct kumo_http_response, opaque in kumo.h), and the default
 * transport built on libcurl.
 *
 * The libcurl transport keeps one easy handle per runtime (connection reuse,
 * keep-alive), verifies peer and host always, requires TLS 1.2 or newer,
 * follows no redirects, speaks https only unless request->allow_plain_http,
 * honours connect/total timeouts and the body cap, sends no proxy-less
 * surprises (libcurl's usual proxy variables apply), and never logs.
 */
#ifndef KUMO_HTTP_H
#define KUMO_HTTP_H

#include <stddef.h>

#include "kumo.h"
#include "../util/strbuf.h"

#define KUMO_HTTP_MAX_HEADERS 64

struct kumo_http_response {
    long status;
    struct kumo_strbuf body;
    size_t max_body_bytes;     /* copied from the request by kumo_http_response_init() */
    char *date;                /* value of the Date header, or NULL */
    char *request_id;          /* x-amzn-requestid / x-amz-request-id header, or NULL */
    char *content_type;        /* Content-Type header, or NULL */
};

void kumo_http_response_init(struct kumo_http_response *response, size_t max_body_bytes);
void kumo_http_response_clear(struct kumo_http_response *response);

/* The libcurl transport. */
struct kumo_curl_transport;

/* Returns NULL when libcurl cannot be initialised. */
struct kumo_curl_transport *kumo_curl_transport_new(void);
void kumo_curl_transport_free(struct kumo_curl_transport *transport);
/* A kumo_transport_fn; user_data is a struct kumo_curl_transport *. */
enum kumo_transport_result kumo_curl_transport_send(void *user_data,
                                                    const struct kumo_http_request *request,
                                                    struct kumo_http_response *response,
                                                    char *error_message,
                                                    size_t error_message_size);

#endif
