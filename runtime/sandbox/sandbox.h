/*
 * sandbox.h - the offline EC2: a simulator that sits behind the runtime's
 * transport seam. It receives the very HTTP request libcurl would send,
 * verifies its SigV4 signature against the sandbox credentials, decodes the
 * form body, applies the action to a world (VPCs, security groups, rules,
 * tags), and answers with EC2's XML documents, HTTP statuses and error
 * codes. Where moto and real EC2 differ, it behaves like real EC2.
 *
 * State lives in memory; with a state file it is loaded at creation and
 * written back (temporary file + rename) by kumo_sandbox_save().
 */
#ifndef KUMO_SANDBOX_H
#define KUMO_SANDBOX_H

#include <stddef.h>
#include <stdint.h>

#include "kumo.h"

/* The credentials the sandbox accepts (and kumo uses in sandbox mode). Not
 * secrets: they only open the local simulator. */
#define KUMO_SANDBOX_ACCESS_KEY_ID "AKIASANDBOXKUMO00001"
#define KUMO_SANDBOX_SECRET_ACCESS_KEY "kumo/sandbox/not-a-secret/0000000000000000"
#define KUMO_SANDBOX_ACCOUNT_ID "123456789012"
#define KUMO_SANDBOX_DEFAULT_REGION "us-east-1"

struct kumo_sandbox;

/* Creates a sandbox. `state_path` NULL: an empty world in memory (each
 * region gets its default VPC and default security group on first use).
 * Otherwise the world is loaded from that JSON file; a missing file is an
 * empty world (created on save); an unreadable or corrupt file is an error
 * (NULL, message in errbuf naming the file and what is wrong; the file is
 * left untouched). `clock` (may be NULL: system clock) gives the time used
 * for the RequestExpired check (signatures more than 15 minutes off). */
struct kumo_sandbox *kumo_sandbox_new(const char *state_path, kumo_clock_fn clock, void *clock_data,
                                      char *errbuf, size_t errbuf_size);

/* A kumo_transport_fn; user_data is a struct kumo_sandbox *. Only POST of a
 * form body is EC2; anything else gets the HTTP error EC2 would give. */
enum kumo_transport_result kumo_sandbox_send(void *user_data,
                                             const struct kumo_http_request *request,
                                             struct kumo_http_response *response,
                                             char *error_message, size_t error_message_size);

/* Handles one raw HTTP exchange for a server front end: method, path (with
 * any query), headers (as received) and body in; status and body out (body
 * malloc'ed, caller frees; its Content-Type is always
 * "text/xml;charset=UTF-8"). Same behaviour as kumo_sandbox_send. Returns
 * 0, or -1 when out of memory (nothing allocated). */
int kumo_sandbox_handle(struct kumo_sandbox *sandbox, const char *method, const char *path,
                        const struct kumo_http_header *headers, size_t header_count,
                        const char *body, size_t body_length, long *status, char **response_body,
                        size_t *response_length);

/* 1 when the world changed since it was loaded or last saved. Every request
 * served counts as a change: the request counters (request_count,
 * requests.by_action) are part of the state file. */
int kumo_sandbox_dirty(const struct kumo_sandbox *sandbox);

/* Writes the world to its state file atomically (a temporary file in the
 * same directory, fsync, rename). No-op without a state file. Returns 0, or
 * -1 with a message. */
int kumo_sandbox_save(struct kumo_sandbox *sandbox, char *errbuf, size_t errbuf_size);

/* Reloads the state file when it changed on disk since it was loaded or
 * saved (used by the server front end between requests). Returns 0, or -1
 * with a message (the world in memory is then kept). */
int kumo_sandbox_reload_if_changed(struct kumo_sandbox *sandbox, char *errbuf, size_t errbuf_size);

void kumo_sandbox_free(struct kumo_sandbox *sandbox);

#endif
