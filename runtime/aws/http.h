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

/* The body cap a response gets when kumo_http_response_init() is given 0. */
#define KUMO_HTTP_DEFAULT_MAX_BODY_BYTES ((size_t)8 * 1024 * 1024)
/* The timeouts the libcurl transport uses when the request's are 0 (never
 * "wait forever"). */
#define KUMO_HTTP_DEFAULT_CONNECT_TIMEOUT_MS 10000L
#define KUMO_HTTP_DEFAULT_TIMEOUT_MS 120000L

struct kumo_http_response {
    long status;
    struct kumo_strbuf body;
    size_t max_body_bytes; /* copied from the request by kumo_http_response_init() */
    char *date;            /* value of the Date header, or NULL */
    char *request_id;      /* x-amzn-requestid / x-amz-request-id header, or NULL */
    char *content_type;    /* Content-Type header, or NULL */
};

/* Sets up an empty response whose body may grow to max_body_bytes (0: the
 * default cap above). Nothing is allocated until the transport fills it. */
void kumo_http_response_init(struct kumo_http_response *response, size_t max_body_bytes);
/* Frees the body (wiped first: it may hold credentials) and the kept headers,
 * and resets status to 0. The cap stays, so the response can be filled again
 * (the next retry) without another init. NULL is allowed. */
void kumo_http_response_clear(struct kumo_http_response *response);

/* The libcurl transport. */
struct kumo_curl_transport;

/* Returns NULL when libcurl cannot be initialised. */
struct kumo_curl_transport *kumo_curl_transport_new(void);
void kumo_curl_transport_free(struct kumo_curl_transport *transport);
/* A kumo_transport_fn; user_data is a struct kumo_curl_transport *.
 * `response` must be freshly initialised or cleared; the transport appends to
 * it. The status is set only when a whole response arrived (any status; a 3xx
 * is returned, not followed). request->method NULL means "GET"; a body is sent
 * for any method when request->body is set (POSTFIELDS, no Expect). The given
 * headers are sent exactly; libcurl adds only Host (unless given) and
 * Content-Length, never Accept, Expect or a default Content-Type. Results:
 * CONNECT_FAILED (DNS, refused), TIMEOUT (connect or total), TLS_FAILED
 * (handshake, certificate), TOO_LARGE (body over the cap), FAILED (plain
 * http:// without allow_plain_http, reset, truncated body, empty reply, bad
 * header or method). error_message names the host:port, never the path,
 * the query, a header or the body. Not for concurrent use of one transport. */
enum kumo_transport_result kumo_curl_transport_send(void *user_data,
                                                    const struct kumo_http_request *request,
                                                    struct kumo_http_response *response,
                                                    char *error_message, size_t error_message_size);

#endif
