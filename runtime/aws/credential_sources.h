/*
 * credential_sources.h - the individual credential sources behind the chain
 * (credentials.c) and what they share: an HTTP helper, the JSON credential
 * document, ISO 8601 times.
 *
 * Every source fills a cleared struct kumo_credentials (source string
 * included) and returns KUMO_SOURCE_OK; KUMO_SOURCE_ABSENT when it is not
 * configured or (metadata) not reachable, with the reason in errbuf;
 * KUMO_SOURCE_FAILED when configured but failing, with the message in errbuf
 * and *kind (KUMO_CONFIG_NO_CREDENTIALS or KUMO_CONFIG_BAD). No message
 * holds a secret or a response body.
 */
#ifndef KUMO_CREDENTIAL_SOURCES_H
#define KUMO_CREDENTIAL_SOURCES_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "credentials.h"
#include "http.h"

enum kumo_source_result { KUMO_SOURCE_OK = 0, KUMO_SOURCE_ABSENT = 1, KUMO_SOURCE_FAILED = -1 };

/* What the sources need from the chain. */
struct kumo_source_context {
    const struct kumo_config_input *input; /* getenv */
    const char *region;
    const char *ca_bundle; /* NULL: system store */
    kumo_transport_fn transport;
    void *transport_data;
    int64_t now_ms;
};

/* ---- Shared helpers (credential_util.c) ---- */

/* Copies the three strings (token may be NULL or ""); returns 0 or -1 (out of memory,
 * *out cleared). */
int kumo_credentials_set(struct kumo_credentials *out, const char *key, const char *secret,
                         const char *token);

/* "2026-12-04T19:41:25Z", with optional fraction and "+hh:mm"/"-hh:mm"
 * offset. Returns 0 with ms since the epoch, or -1. */
int kumo_iso8601_to_ms(const char *text, int64_t *ms);

/* A credential JSON document: AccessKeyId, SecretAccessKey, the token under
 * `token_name` ("Token" or "SessionToken", optional), Expiration (ISO 8601,
 * optional unless expiration_required). `what` names the source in messages
 * ("credential_process of profile x"). Values are copied into *out (its
 * source left alone); the parsed document is wiped. Returns 0 or -1 with a
 * message that never quotes the document. */
int kumo_credentials_from_json(const char *text, size_t length, const char *token_name,
                               int expiration_required, const char *what,
                               struct kumo_credentials *out, char *errbuf, size_t errbuf_size);

/* One HTTP exchange through the context's transport; the response is
 * initialised here with a 64 KiB cap and must be cleared by the caller.
 * Returns the transport result with a reason in errbuf on failure. */
enum kumo_transport_result kumo_source_http(const struct kumo_source_context *context,
                                            const struct kumo_http_request *request,
                                            struct kumo_http_response *response, char *errbuf,
                                            size_t errbuf_size);
#define KUMO_SOURCE_MAX_BODY_BYTES ((size_t)64 * 1024)

/* ---- The sources ---- */

/* credential_process.c: runs `command` (split like a shell line, no shell),
 * for profile `profile` (named in messages). timeout_ms 0: 60 s. */
enum kumo_source_result kumo_source_process(const char *command, const char *profile,
                                            long timeout_ms, struct kumo_credentials *out,
                                            char *errbuf, size_t errbuf_size,
                                            enum kumo_config_failure *kind);

/* container_credentials.c */
enum kumo_source_result kumo_source_container(const struct kumo_source_context *context,
                                              struct kumo_credentials *out, char *errbuf,
                                              size_t errbuf_size, enum kumo_config_failure *kind);

/* imds.c: `timeout_setting`/`attempts_setting` come from the profile
 * (metadata_service_timeout, metadata_service_num_attempts) or NULL; the
 * environment variables win. */
enum kumo_source_result kumo_source_imds(const struct kumo_source_context *context,
                                         const char *timeout_setting, const char *attempts_setting,
                                         struct kumo_credentials *out, char *errbuf,
                                         size_t errbuf_size, enum kumo_config_failure *kind);

/* sts.c: AssumeRole. */
struct kumo_assume_role {
    const char *role_arn;
    const char *role_session_name; /* NULL: kumo-<now ms> */
    const char *external_id;       /* NULL when none */
    long duration_seconds;         /* 0: not sent (STS default, 1 hour) */
    const char *endpoint;          /* https://sts.<region>.amazonaws.com when NULL */
    int endpoint_explicit;         /* 1: the user named it, plain http allowed */
    const char *via;               /* "profile dev": for the source string */
};
enum kumo_source_result kumo_source_assume_role(const struct kumo_source_context *context,
                                                const struct kumo_assume_role *role,
                                                const struct kumo_credentials *source,
                                                struct kumo_credentials *out, char *errbuf,
                                                size_t errbuf_size, enum kumo_config_failure *kind);

#endif
