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
 *   max_attempts = AWS_MAX_ATTEMPTS > profile max_attempts (a positive integer)
 *   retry_mode = AWS_RETRY_MODE > profile retry_mode (standard, adaptive, legacy)
 *
 * A profile named explicitly (flag or AWS_PROFILE) that exists in neither
 * file is an error; the implicit "default" may be absent. In the config file
 * a profile is "[profile NAME]" (and "[default]" for default; a bare
 * "[NAME]" is not a profile); in the credentials file it is "[NAME]". A
 * profile setting found in both files is taken from the credentials file
 * (botocore merges them that way). [services NAME] sections are read from the
 * config file only. Empty environment variables count as unset; a file path
 * "~" or "~/..." is expanded with HOME (with no HOME and no path variable, the
 * file is treated as absent). The region must match botocore's
 * [a-zA-Z0-9](-?[a-zA-Z0-9])* rule (it becomes part of a host name); an
 * endpoint must be http(s)://host[:port][/path] without user info, query or
 * fragment. The default endpoint of a cn-* region ends in amazonaws.com.cn.
 *
 * Sources are human strings for `kumo config` and messages: "--profile",
 * "AWS_PROFILE", "default"; "--region", "AWS_REGION", "AWS_DEFAULT_REGION",
 * "profile dev in /home/u/.aws/config"; "--endpoint", "AWS_ENDPOINT_URL_EC2",
 * "AWS_ENDPOINT_URL", "profile dev, [services local] ec2.endpoint_url in
 * /home/u/.aws/config", "profile dev in /home/u/.aws/config", "default for
 * the region"; credentials "environment" or "profile dev in
 * /home/u/.aws/credentials". They are string literals or point into the
 * struct's own source_buffer, so they are valid while the struct is (do not
 * copy the struct by value and free the original).
 *
 * No message ever contains a secret; values named in messages are the
 * profile, region, endpoint, CA bundle path and file paths only.
 */
#ifndef KUMO_CONFIG_H
#define KUMO_CONFIG_H

#include <stddef.h>

/* Reads an environment variable; tests inject their own. */
typedef const char *(*kumo_getenv_fn)(void *user_data, const char *name);

struct kumo_config_input {
    const char *region_flag; /* NULL when not given */
    const char *profile_flag;
    const char *endpoint_flag;
    kumo_getenv_fn getenv; /* NULL: the process environment */
    void *getenv_data;
};

/* Filled by kumo_config_resolve() (everything but the credentials) and
 * kumo_config_resolve_credentials(); released by kumo_config_clear(). */
struct kumo_config {
    char *profile;
    const char *profile_source; /* "--profile", "AWS_PROFILE", "default" */
    char *region;
    const char *region_source; /* "--region", ..., "profile dev in /home/u/.aws/config" */
    char *endpoint;
    const char *endpoint_source;
    int endpoint_explicit; /* 1 when the user named it (flag, env, file): plain http allowed */
    char *ca_bundle;       /* NULL: system store; checked readable */
    char *access_key_id;
    char *secret_access_key;
    char *session_token;           /* NULL when none */
    const char *credential_source; /* "environment", "profile dev in /home/u/.aws/credentials" */
    char *config_file;             /* paths used (NULL: no HOME), for messages */
    char *credentials_file;
    char source_buffer[3][160]; /* storage for the composed region, endpoint and
                                   credential sources (truncated when longer) */
    /* Retry settings (AWS_MAX_ATTEMPTS / profile max_attempts, AWS_RETRY_MODE /
     * profile retry_mode). 0 / NULL: not set, the mode's default applies
     * (standard: 3 attempts; legacy: 5). Sources like the others. */
    int max_attempts;
    const char *max_attempts_source;
    char *retry_mode; /* "standard", "adaptive" or "legacy" (validated), or NULL */
    const char *retry_mode_source;
    char retry_source_buffer[2][160]; /* storage for the two retry sources */
};

enum kumo_config_failure {
    KUMO_CONFIG_OK = 0,
    KUMO_CONFIG_BAD = 1,           /* missing region, unknown profile, unreadable file, bad URL */
    KUMO_CONFIG_NO_CREDENTIALS = 2 /* nothing in the chain, or half a key pair */
};

/* Resolves profile, files, region, endpoint and CA bundle (not credentials)
 * into *config, which is overwritten (zeroed first). On failure returns
 * KUMO_CONFIG_BAD, leaves *config zeroed, and writes a message saying what to
 * set into errbuf. input NULL: no flags, the process environment. */
enum kumo_config_failure kumo_config_resolve(const struct kumo_config_input *input,
                                             struct kumo_config *config, char *errbuf,
                                             size_t errbuf_size);

/* Resolves credentials for an already-resolved config (the files are read
 * again), replacing any earlier ones. On failure returns
 * KUMO_CONFIG_NO_CREDENTIALS (nothing found, or half a key pair in the
 * environment or a profile) or KUMO_CONFIG_BAD (unreadable file, config not
 * resolved) with a message that says what to set, naming the profile and
 * files searched, never a secret; the credential fields are then NULL. A
 * profile that uses role_arn, credential_process, SSO or web identity is
 * "no credentials" here (the message says which it uses): those belong to
 * the rest of the chain. */
enum kumo_config_failure kumo_config_resolve_credentials(const struct kumo_config_input *input,
                                                         struct kumo_config *config, char *errbuf,
                                                         size_t errbuf_size);

/* ---- For the credential chain (credentials.c) ---------------------------- */

/* An environment variable through input->getenv (NULL input: the process
 * environment); empty counts as unset (NULL). */
const char *kumo_config_env(const struct kumo_config_input *input, const char *name);

/* Both shared files of a resolved config, loaded once, to read any profile. */
struct kumo_profile_files;

/* Loads config->config_file and config->credentials_file (a missing file is
 * empty). Returns NULL with a message naming the file when one cannot be
 * read or parsed, or when out of memory. */
struct kumo_profile_files *kumo_profile_files_load(const struct kumo_config *config, char *errbuf,
                                                   size_t errbuf_size);

/* 1 when `profile` is defined in either file ([NAME] in credentials,
 * [profile NAME] / [default] in config). */
int kumo_profile_files_has(const struct kumo_profile_files *files, const char *profile);

/* A setting of `profile` (credentials file first, then config file; empty
 * values count as unset) and, in *path_out when not NULL, the file it came
 * from. The pointer is valid until kumo_profile_files_free(). */
const char *kumo_profile_files_get(const struct kumo_profile_files *files, const char *profile,
                                   const char *key, const char **path_out);

/* The endpoint of another service for config->profile: env_name (e.g.
 * "AWS_ENDPOINT_URL_STS") > AWS_ENDPOINT_URL > profile [services NAME]
 * `service`.endpoint_url > profile endpoint_url. Returns 1 with a malloc'ed
 * URL in *url and its source in source, 0 when none is configured (use the
 * service's default), or -1 with a message for an invalid URL or no memory. */
int kumo_config_service_endpoint(const struct kumo_config_input *input,
                                 const struct kumo_config *config,
                                 const struct kumo_profile_files *files, const char *service,
                                 const char *env_name, char **url, char *source, size_t source_size,
                                 char *errbuf, size_t errbuf_size);

/* Frees the files. NULL is allowed. */
void kumo_profile_files_free(struct kumo_profile_files *files);

/* The region of a sandbox run: `flag` (--region), else AWS_REGION, else
 * AWS_DEFAULT_REGION, else `fallback`; *source says which. No profile or
 * shared file is read. */
const char *kumo_config_sandbox_region(const char *flag, const char *fallback, const char **source);

/* Frees every string (secrets are zeroed first) and zeroes the struct.
 * NULL and an already-cleared struct are allowed. */
void kumo_config_clear(struct kumo_config *config);

#endif
