/*
 * config.h - resolving region, endpoint, profile and credentials the way
 * the AWS SDKs do, and saying where each value came from.
 *
 *   region   = --region > AWS_REGION > AWS_DEFAULT_REGION > profile `region` > error
 *   endpoint = --endpoint > AWS_ENDPOINT_URL_EC2 > AWS_ENDPOINT_URL >
 *              profile [services] ec2.endpoint_url > profile endpoint_url >
 *              https://ec2.<region>.amazonaws.com
 *   profile  = --profile > AWS_PROFILE > "default"
 *   files    = AWS_CONFIG_FILE (~/.aws/config), AWS_SHARED_CREDENTIALS_FILE
 *              (~/.aws/credentials)
 *   credentials (this part of the chain): environment (AWS_ACCESS_KEY_ID +
 *              AWS_SECRET_ACCESS_KEY [+ AWS_SESSION_TOKEN]; a key without its
 *              secret is an error) > static keys of the profile (credentials
 *              file first, then config file).
 *   ca bundle = AWS_CA_BUNDLE > profile ca_bundle
 *
 * A profile named explicitly (flag or AWS_PROFILE) that exists in neither
 * file is an error; the implicit "default" may be absent.
 */
#ifndef KUMO_CONFIG_H
#define KUMO_CONFIG_H

#include <stddef.h>

/* Reads an environment variable; tests inject their own. */
typedef const char *(*kumo_getenv_fn)(void *user_data, const char *name);

struct kumo_config_input {
    const char *region_flag;   /* NULL when not given */
    const char *profile_flag;
    const char *endpoint_flag;
    kumo_getenv_fn getenv;     /* NULL: the process environment */
    void *getenv_data;
};

struct kumo_config {
    char *profile;        const char *profile_source;   /* "--profile", "AWS_PROFILE", "default" */
    char *region;         const char *region_source;    /* "--region", "AWS_REGION", ..., "profile dev (~/.aws/config)" */
    char *endpoint;       const char *endpoint_source;
    int endpoint_explicit;  /* 1 when the user named it (flag, env, file): plain http allowed */
    char *ca_bundle;      /* NULL: system store */
    char *access_key_id;
    char *secret_access_key;
    char *session_token;  /* NULL when none */
    const char *credential_source; /* "environment", "shared credentials file (profile dev)", ... */
    char *config_file;    /* paths used, for messages */
    char *credentials_file;
    char source_buffer[3][160]; /* storage for the composed *_source strings above */
};

enum kumo_config_failure {
    KUMO_CONFIG_OK = 0,
    KUMO_CONFIG_BAD = 1,          /* missing region, unknown profile, unreadable file, bad URL */
    KUMO_CONFIG_NO_CREDENTIALS = 2 /* nothing in the chain, or half a key pair */
};

/* Resolves region, endpoint and profile (not credentials). On failure returns
 * KUMO_CONFIG_BAD and writes a message saying what to set into errbuf. */
enum kumo_config_failure kumo_config_resolve(const struct kumo_config_input *input,
                                             struct kumo_config *config, char *errbuf,
                                             size_t errbuf_size);

/* Resolves credentials for an already-resolved config. On failure returns
 * KUMO_CONFIG_NO_CREDENTIALS (or KUMO_CONFIG_BAD) with a message that says
 * what to set, naming the profile and files searched, never a secret. */
enum kumo_config_failure kumo_config_resolve_credentials(const struct kumo_config_input *input,
                                                         struct kumo_config *config,
                                                         char *errbuf, size_t errbuf_size);

/* Frees every string (secrets are zeroed first). */
void kumo_config_clear(struct kumo_config *config);

#endif
