/*
 * sigv4.h - AWS Signature Version 4 (AWS4-HMAC-SHA256), header signing.
 *
 * Pure: no I/O, no clock, no Lua. The caller passes the time, credentials and
 * the request; the signer returns every stage (canonical request, string to
 * sign, signature, Authorization value) so tests can check each one.
 */
#ifndef KUMO_SIGV4_H
#define KUMO_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kumo.h"

struct kumo_sigv4_input {
    const char *method;       /* "POST" */
    const char *path;         /* path as sent on the request line, e.g. "/" (not decoded) */
    const char *query;        /* query string as sent, without '?'; NULL or "" for none */
    /* Headers to sign, as they will be sent (must include Host). Names are
     * matched case-insensitively; repeated names are joined with ','; values
     * are trimmed and inner runs of spaces collapsed. The signer itself adds
     * X-Amz-Date and, when session_token is set and sign_session_token is
     * true, X-Amz-Security-Token: do not pass those. */
    const struct kumo_http_header *headers;
    size_t header_count;
    const void *payload;      /* request body (hashed with SHA-256) */
    size_t payload_length;
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token; /* NULL when none */
    bool sign_session_token;   /* true (botocore): token header is signed */
    const char *region;        /* "us-east-1" */
    const char *service;       /* "ec2", "sts" */
    int64_t unix_seconds;      /* request time, UTC */
    bool normalize_path;       /* remove "." / ".." / "//" segments (not for S3) */
};

struct kumo_sigv4_output {
    char amz_date[17];         /* "20150830T123600Z": send as X-Amz-Date */
    char signature[65];        /* lowercase hex */
    char *canonical_request;   /* malloc'ed */
    char *string_to_sign;      /* malloc'ed */
    char *signed_headers;      /* malloc'ed, "content-type;host;x-amz-date" */
    char *authorization;       /* malloc'ed: the Authorization header value */
};

/* Signs the request. Returns 0, or -1 on bad input or out of memory (the
 * output is then cleared). Release the output with kumo_sigv4_output_clear(). */
int kumo_sigv4_sign(const struct kumo_sigv4_input *input, struct kumo_sigv4_output *output);
void kumo_sigv4_output_clear(struct kumo_sigv4_output *output);

/* Lowercase hex SHA-256 of data into hex[65]. */
void kumo_sha256_hex(const void *data, size_t length, char hex[65]);

#endif
