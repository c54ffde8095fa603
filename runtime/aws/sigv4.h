/*
 * sigv4.h - AWS Signature Version 4 (AWS4-HMAC-SHA256), header signing.
 *
 * Pure: no I/O, no clock, no Lua. The caller passes the time, credentials and
 * the request; the signer returns every stage (canonical request, string to
 * sign, signature, Authorization value) so tests can check each one.
 *
 * The rules are botocore's SigV4Auth (what the AWS CLI sends to EC2); the
 * signer passes every header-signed case of the aws-c-auth v4 suite and of
 * botocore's aws4_testsuite (tests/unit/test_sigv4_vectors.c) and agrees
 * byte for byte with botocore on random EC2 requests
 * (tests/integration/test_sigv4_differential.py). It never adds
 * x-amz-content-sha256 (EC2 must not get it; an S3-style caller passes it
 * as an ordinary header) and never adds Host.
 */
#ifndef KUMO_SIGV4_H
#define KUMO_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kumo.h"

struct kumo_sigv4_input {
    const char *method; /* "POST": used as given (not upper-cased) */
    /* Path as sent on the request line, e.g. "/" (not decoded). It is
     * percent-encoded once more for the canonical URI (every byte but
     * A-Z a-z 0-9 - . _ ~ and '/'), so "%20" signs as "%2520": the double
     * encoding botocore and aws-c-auth use for every service but S3. */
    const char *path;
    /* Query string as sent, without '?'; NULL or "" for none. Split on '&'
     * (empty pieces dropped) and at the first '='; %XX escapes are decoded
     * and everything is re-encoded (RFC 3986, uppercase hex; '+' is a plain
     * '+' and signs as %2B), then sorted by key, then value. */
    const char *query;
    /* Headers to sign, as they will be sent (must include Host). Names are
     * matched case-insensitively; repeated names are joined with ',' in the
     * order given; values are trimmed and inner runs of whitespace (space,
     * tab, CR, LF: folded multiline values) collapsed to one space. The
     * signer itself adds X-Amz-Date and, when session_token is set and
     * sign_session_token is true, X-Amz-Security-Token: passing those (or
     * Authorization) is an error. Sign only headers that are sent unchanged
     * (not User-Agent, Expect, Transfer-Encoding, ...). */
    const struct kumo_http_header *headers;
    size_t header_count;
    const void *payload; /* request body (hashed with SHA-256); NULL when length is 0 */
    size_t payload_length;
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token; /* NULL (or "") when none */
    /* true (botocore): the token header is signed. false: it is left out of
     * the signature; the caller adds X-Amz-Security-Token to the request. */
    bool sign_session_token;
    const char *region;   /* "us-east-1" */
    const char *service;  /* "ec2", "sts" */
    int64_t unix_seconds; /* request time, UTC: 0 .. 253402300799 (year 9999) */
    bool normalize_path;  /* remove "." / ".." / "//" segments (not for S3) */
};

struct kumo_sigv4_output {
    char amz_date[17];       /* "20150830T123600Z": send as X-Amz-Date */
    char signature[65];      /* lowercase hex */
    char *canonical_request; /* malloc'ed */
    char *string_to_sign;    /* malloc'ed */
    char *signed_headers;    /* malloc'ed, "content-type;host;x-amz-date" */
    char *authorization;     /* malloc'ed: the Authorization header value */
};

/* Signs the request. Returns 0, or -1 on bad input (a NULL or empty
 * required field, no Host, a header name with spaces/controls/':', a
 * region/service/key id with '/', ',' or spaces, a time out of range) or
 * out of memory; the output is then cleared. On success the caller owns the
 * output's strings: release them with kumo_sigv4_output_clear() (which also
 * accepts a cleared output or NULL). */
int kumo_sigv4_sign(const struct kumo_sigv4_input *input, struct kumo_sigv4_output *output);
void kumo_sigv4_output_clear(struct kumo_sigv4_output *output);

/* Lowercase hex SHA-256 of data into hex[65]. */
void kumo_sha256_hex(const void *data, size_t length, char hex[65]);

#endif
