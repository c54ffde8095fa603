/*
 * credentials.h - the AWS credential chain, in the SDKs' order, with caching
 * and refresh of temporary credentials.
 *
 *   1. environment: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN);
 *      half a pair is an error, not a fall-through;
 *   2. the selected profile (config->profile), first match wins:
 *      role_arn with source_profile or credential_source (Environment,
 *      Ec2InstanceMetadata, EcsContainer) -> STS AssumeRole (external_id,
 *      duration_seconds, role_session_name; default session name kumo-<ms>);
 *      static keys; credential_process;
 *      a source profile is read as: static keys, else credential_process, else
 *      its own role_arn (chained AssumeRole). A source_profile naming the
 *      profile itself uses that profile's static keys; any other repeat is a
 *      loop, reported with the profiles in it ("a -> b -> a");
 *   3. container: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI
 *      (container_credentials.c);
 *   4. EC2 instance metadata, IMDSv2 (imds.c), unless AWS_EC2_METADATA_DISABLED=true.
 *
 * A source that is configured but fails (STS AccessDenied, a failing
 * credential_process, a container endpoint that does not answer) stops the
 * chain with its error. Instance metadata comes last: when it cannot be
 * reached the result is "no credentials", and the message lists every place
 * searched.
 *
 * Caching: the first kumo_credential_chain_get() resolves; later calls return
 * the cached credentials until they are within 15 minutes of their expiration
 * (advisory refresh), then the chain is resolved again from the start. When
 * that refresh fails, the old credentials are kept while they are more than
 * 10 minutes from expiry; within 10 minutes (mandatory refresh) the failure
 * is returned. Freshly resolved credentials that are already expired are an
 * error. Credentials with no expiration are never refreshed.
 *
 * Messages never contain a secret key, session token, metadata token, the
 * output of a credential_process or a response body: only profile names,
 * file paths, role ARNs, URLs without their credentials, HTTP statuses and
 * AWS error codes and messages.
 */
#ifndef KUMO_CREDENTIALS_H
#define KUMO_CREDENTIALS_H

#include <stddef.h>
#include <stdint.h>

#include "kumo.h"
#include "config.h"

#define KUMO_CREDENTIALS_SOURCE_SIZE 200
/* Refresh windows, before the expiration. */
#define KUMO_CREDENTIALS_ADVISORY_REFRESH_MS (15LL * 60 * 1000)
#define KUMO_CREDENTIALS_MANDATORY_REFRESH_MS (10LL * 60 * 1000)

struct kumo_credentials {
    char *access_key_id;
    char *secret_access_key;
    char *session_token;   /* NULL when none */
    int64_t expiration_ms; /* ms since the epoch; 0: never expires */
    /* Where they came from, for `kumo config` and messages: "environment",
     * "profile dev in /home/u/.aws/credentials", "assume-role
     * arn:aws:iam::1:role/r via profile dev", "credential_process (profile
     * x)", "container (http://169.254.170.2/v2/...)", "instance metadata
     * (role r)". */
    char source[KUMO_CREDENTIALS_SOURCE_SIZE];
};

/* Frees the strings (wiped first) and zeroes the struct. NULL is allowed. */
void kumo_credentials_clear(struct kumo_credentials *credentials);

struct kumo_credential_chain;

/* Creates a chain for a resolved config (kumo_config_resolve()). The input's
 * getenv (and its data) and the config are copied as needed: neither has to
 * outlive the chain. `transport` sends the STS, container and metadata
 * requests (metadata and container requests set allow_plain_http); `clock`
 * gives ms since the epoch (NULL: the system clock). Nothing is resolved
 * yet. Returns NULL when out of memory or when config is not resolved. */
struct kumo_credential_chain *kumo_credential_chain_new(const struct kumo_config_input *input,
                                                        const struct kumo_config *config,
                                                        kumo_transport_fn transport,
                                                        void *transport_data, kumo_clock_fn clock,
                                                        void *clock_data);

/* The current credentials (see the caching rules above). Returns 0 with *out
 * pointing at the chain's credentials, valid until the next call or
 * kumo_credential_chain_free(), and errbuf "" - or, when an advisory refresh
 * failed and the old credentials were kept, a warning to log ("refreshing
 * the credentials from ... failed, kept the current credentials ..."); or -1 with a one-line
 * message in errbuf and *kind set to KUMO_CONFIG_NO_CREDENTIALS (nothing found, or a source failed)
 * or KUMO_CONFIG_BAD (a configuration error: unknown source_profile, a loop,
 * bad duration_seconds, a bad container URI). kind may be NULL. */
int kumo_credential_chain_get(struct kumo_credential_chain *chain,
                              const struct kumo_credentials **out, char *errbuf, size_t errbuf_size,
                              enum kumo_config_failure *kind);

/* Frees the chain; cached secrets are wiped. NULL is allowed. */
void kumo_credential_chain_free(struct kumo_credential_chain *chain);

#endif
