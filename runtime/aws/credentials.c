/*
 * credentials.c - the credential chain (credentials.h): the order of the
 * sources, the profile rules (role_arn / static keys / credential_process,
 * source profiles and loop detection), and the cache with its 15- and
 * 10-minute refresh windows. The sources themselves live in sts.c,
 * credential_process.c, container_credentials.c and imds.c.
 */
#include "credentials.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include "credential_sources.h"

#define MAX_PROFILE_DEPTH 16

struct kumo_credential_chain {
    struct kumo_config_input input; /* getenv only */
    struct kumo_config view;        /* copies of profile, region, ca_bundle and the file paths */
    kumo_transport_fn transport;
    void *transport_data;
    kumo_clock_fn clock;
    void *clock_data;
    int have;
    struct kumo_credentials current;
};

/* One resolution: what every step needs. */
struct resolution {
    struct kumo_credential_chain *chain;
    struct kumo_source_context context;
    struct kumo_profile_files *files;
    const char *visited[MAX_PROFILE_DEPTH]; /* the profiles being resolved, outermost first */
    int depth;
    char *errbuf;
    size_t errbuf_size;
    enum kumo_config_failure kind;
};

static enum kumo_source_result fail(struct resolution *r, enum kumo_config_failure kind,
                                    const char *format, ...) __attribute__((format(printf, 3, 4)));

static enum kumo_source_result fail(struct resolution *r, enum kumo_config_failure kind,
                                    const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vsnprintf(r->errbuf, r->errbuf_size, format, args);
    va_end(args);
    r->kind = kind;
    return KUMO_SOURCE_FAILED;
}

static const char *setting(struct resolution *r, const char *profile, const char *key,
                           const char **path)
{
    return kumo_profile_files_get(r->files, profile, key, path);
}

/* ---- Sources -------------------------------------------------------------- */

static enum kumo_source_result from_environment(struct resolution *r, struct kumo_credentials *out)
{
    const char *key = kumo_config_env(&r->chain->input, "AWS_ACCESS_KEY_ID");
    const char *secret = kumo_config_env(&r->chain->input, "AWS_SECRET_ACCESS_KEY");
    if (!key && !secret) {
        snprintf(r->errbuf, r->errbuf_size, "AWS_ACCESS_KEY_ID is not set");
        return KUMO_SOURCE_ABSENT;
    }
    if (!key || !secret)
        return fail(r, KUMO_CONFIG_NO_CREDENTIALS,
                    "%s is set but %s is not: set both, or unset %s to use profile %s",
                    key ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                    key ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID",
                    key ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY", r->chain->view.profile);
    if (kumo_credentials_set(out, key, secret,
                             kumo_config_env(&r->chain->input, "AWS_SESSION_TOKEN")) != 0)
        return fail(r, KUMO_CONFIG_BAD, "out of memory");
    snprintf(out->source, sizeof out->source, "environment");
    return KUMO_SOURCE_OK;
}

static int has_static_keys(struct resolution *r, const char *profile)
{
    return setting(r, profile, "aws_access_key_id", NULL) ||
           setting(r, profile, "aws_secret_access_key", NULL);
}

static enum kumo_source_result from_static(struct resolution *r, const char *profile,
                                           struct kumo_credentials *out)
{
    const char *path = NULL, *secret_path = NULL;
    const char *key = setting(r, profile, "aws_access_key_id", &path);
    const char *secret = setting(r, profile, "aws_secret_access_key", &secret_path);
    if (!key || !secret)
        return fail(r, KUMO_CONFIG_NO_CREDENTIALS,
                    "profile %s in %s has %s but no %s: set both aws_access_key_id and "
                    "aws_secret_access_key",
                    profile, key ? path : secret_path,
                    key ? "aws_access_key_id" : "aws_secret_access_key",
                    key ? "aws_secret_access_key" : "aws_access_key_id");
    if (kumo_credentials_set(out, key, secret, setting(r, profile, "aws_session_token", NULL)) != 0)
        return fail(r, KUMO_CONFIG_BAD, "out of memory");
    snprintf(out->source, sizeof out->source, "profile %s in %s", profile, path);
    return KUMO_SOURCE_OK;
}

static enum kumo_source_result from_process(struct resolution *r, const char *profile,
                                            struct kumo_credentials *out)
{
    const char *command = setting(r, profile, "credential_process", NULL);
    enum kumo_source_result result =
        kumo_source_process(command, profile, 0, out, r->errbuf, r->errbuf_size, &r->kind);
    return result;
}

static enum kumo_source_result from_imds(struct resolution *r, struct kumo_credentials *out)
{
    const char *profile = r->chain->view.profile;
    return kumo_source_imds(&r->context, setting(r, profile, "metadata_service_timeout", NULL),
                            setting(r, profile, "metadata_service_num_attempts", NULL), out,
                            r->errbuf, r->errbuf_size, &r->kind);
}

/* ---- Profiles and AssumeRole ------------------------------------------------ */

static enum kumo_source_result from_profile(struct resolution *r, const char *profile,
                                            int as_source, struct kumo_credentials *out);

/* "a -> b -> a" into buffer. */
static void describe_loop(struct resolution *r, const char *again, char *buffer, size_t size)
{
    size_t used = 0;
    buffer[0] = '\0';
    for (int i = 0; i < r->depth && used < size; i++)
        used += (size_t)snprintf(buffer + used, size - used, "%s -> ", r->visited[i]);
    if (used < size)
        snprintf(buffer + used, size - used, "%s", again);
}

/* The credentials AssumeRole is signed with, for `profile`. */
static enum kumo_source_result role_source(struct resolution *r, const char *profile,
                                           struct kumo_credentials *out)
{
    const char *source_profile = setting(r, profile, "source_profile", NULL);
    const char *credential_source = setting(r, profile, "credential_source", NULL);
    if (source_profile && credential_source)
        return fail(r, KUMO_CONFIG_BAD,
                    "profile %s sets both source_profile and credential_source: keep one", profile);
    if (credential_source) {
        enum kumo_source_result result;
        if (strcmp(credential_source, "Environment") == 0)
            result = from_environment(r, out);
        else if (strcmp(credential_source, "Ec2InstanceMetadata") == 0)
            result = from_imds(r, out);
        else if (strcmp(credential_source, "EcsContainer") == 0)
            result = kumo_source_container(&r->context, out, r->errbuf, r->errbuf_size, &r->kind);
        else
            return fail(r, KUMO_CONFIG_BAD,
                        "profile %s: credential_source '%.60s' is not Environment, "
                        "Ec2InstanceMetadata or EcsContainer",
                        profile, credential_source);
        if (result == KUMO_SOURCE_ABSENT) {
            char reason[400];
            snprintf(reason, sizeof reason, "%s", r->errbuf);
            return fail(r, KUMO_CONFIG_NO_CREDENTIALS,
                        "profile %s: credential_source %s gave no credentials (%s)", profile,
                        credential_source, reason);
        }
        return result;
    }
    if (!source_profile)
        return fail(r, KUMO_CONFIG_BAD,
                    "profile %s has role_arn but neither source_profile nor credential_source",
                    profile);
    if (strcmp(source_profile, profile) == 0 && has_static_keys(r, profile))
        return from_static(r, profile, out); /* a profile that assumes a role with its own keys */
    for (int i = 0; i < r->depth; i++) {
        if (strcmp(r->visited[i], source_profile) == 0) {
            char loop[600];
            describe_loop(r, source_profile, loop, sizeof loop);
            return fail(r, KUMO_CONFIG_BAD, "source_profile loop: %s", loop);
        }
    }
    if (!kumo_profile_files_has(r->files, source_profile))
        return fail(r, KUMO_CONFIG_BAD, "source_profile '%s' of profile %s does not exist",
                    source_profile, profile);
    return from_profile(r, source_profile, 1, out);
}

static enum kumo_source_result assume_role(struct resolution *r, const char *profile,
                                           struct kumo_credentials *out)
{
    struct kumo_assume_role role = {
        .role_arn = setting(r, profile, "role_arn", NULL),
        .role_session_name = setting(r, profile, "role_session_name", NULL),
        .external_id = setting(r, profile, "external_id", NULL),
    };
    const char *duration = setting(r, profile, "duration_seconds", NULL);
    if (duration) {
        char *end = NULL;
        long seconds = strtol(duration, &end, 10);
        if (end == duration || *end || seconds < 900 || seconds > 43200)
            return fail(r, KUMO_CONFIG_BAD,
                        "profile %s: duration_seconds '%.40s' must be an integer from 900 to "
                        "43200",
                        profile, duration);
        role.duration_seconds = seconds;
    }
    char via[300], endpoint_source[400];
    char *endpoint = NULL;
    snprintf(via, sizeof via, "profile %s", profile);
    role.via = via;
    int found = kumo_config_service_endpoint(&r->chain->input, &r->chain->view, r->files, "sts",
                                             "AWS_ENDPOINT_URL_STS", &endpoint, endpoint_source,
                                             sizeof endpoint_source, r->errbuf, r->errbuf_size);
    if (found < 0) {
        r->kind = KUMO_CONFIG_BAD;
        return KUMO_SOURCE_FAILED;
    }
    role.endpoint = endpoint;
    role.endpoint_explicit = found == 1;

    struct kumo_credentials source = {0};
    enum kumo_source_result result = role_source(r, profile, &source);
    if (result == KUMO_SOURCE_OK)
        result = kumo_source_assume_role(&r->context, &role, &source, out, r->errbuf,
                                         r->errbuf_size, &r->kind);
    kumo_credentials_clear(&source);
    free(endpoint);
    return result;
}

/* A profile's credentials. The selected profile: role_arn, static keys,
 * credential_process. A source profile: static keys, credential_process
 * (unless it has a role_arn), role_arn. */
static enum kumo_source_result from_profile(struct resolution *r, const char *profile,
                                            int as_source, struct kumo_credentials *out)
{
    if (r->depth == MAX_PROFILE_DEPTH)
        return fail(r, KUMO_CONFIG_BAD, "source_profile chain deeper than %d profiles at %s",
                    MAX_PROFILE_DEPTH, profile);
    r->visited[r->depth++] = profile;
    int role = setting(r, profile, "role_arn", NULL) != NULL;
    int keys = has_static_keys(r, profile);
    int process = setting(r, profile, "credential_process", NULL) != NULL;
    enum kumo_source_result result;
    if (role && (!as_source || !keys))
        result = assume_role(r, profile, out);
    else if (keys)
        result = from_static(r, profile, out);
    else if (process)
        result = from_process(r, profile, out);
    else if (as_source)
        result = fail(r, KUMO_CONFIG_NO_CREDENTIALS,
                      "source profile %s has no credentials (no aws_access_key_id, "
                      "credential_process or role_arn)",
                      profile);
    else
        result = KUMO_SOURCE_ABSENT;
    r->depth--;
    return result;
}

/* ---- The chain ------------------------------------------------------------ */

static const char *or_default(const char *path, const char *fallback)
{
    return path ? path : fallback;
}

static enum kumo_source_result resolve(struct kumo_credential_chain *chain, int64_t now_ms,
                                       struct kumo_credentials *out, char *errbuf,
                                       size_t errbuf_size, enum kumo_config_failure *kind)
{
    struct resolution r = {
        .chain = chain,
        .context = {&chain->input, chain->view.region, chain->view.ca_bundle, chain->transport,
                    chain->transport_data, now_ms},
        .errbuf = errbuf,
        .errbuf_size = errbuf_size,
        .kind = KUMO_CONFIG_NO_CREDENTIALS,
    };
    const char *profile = chain->view.profile;
    char imds_reason[500] = "";
    enum kumo_source_result result = from_environment(&r, out);
    if (result != KUMO_SOURCE_ABSENT)
        goto done;
    if (!(r.files = kumo_profile_files_load(&chain->view, errbuf, errbuf_size))) {
        r.kind = KUMO_CONFIG_BAD;
        result = KUMO_SOURCE_FAILED;
        goto done;
    }
    result = from_profile(&r, profile, 0, out);
    if (result != KUMO_SOURCE_ABSENT)
        goto done;
    result = kumo_source_container(&r.context, out, errbuf, errbuf_size, &r.kind);
    if (result != KUMO_SOURCE_ABSENT)
        goto done;
    result = from_imds(&r, out);
    if (result != KUMO_SOURCE_ABSENT)
        goto done;
    snprintf(imds_reason, sizeof imds_reason, "%s", errbuf);
    snprintf(errbuf, errbuf_size,
             "no AWS credentials: searched the environment (AWS_ACCESS_KEY_ID, "
             "AWS_SECRET_ACCESS_KEY), profile %s in %s and %s (aws_access_key_id, role_arn, "
             "credential_process), the container endpoint (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI "
             "or _FULL_URI: not set) and %s",
             profile, or_default(chain->view.credentials_file, "~/.aws/credentials"),
             or_default(chain->view.config_file, "~/.aws/config"), imds_reason);
    r.kind = KUMO_CONFIG_NO_CREDENTIALS;
    result = KUMO_SOURCE_FAILED;
done:
    kumo_profile_files_free(r.files);
    *kind = result == KUMO_SOURCE_OK ? KUMO_CONFIG_OK : r.kind;
    if (result == KUMO_SOURCE_OK && errbuf_size > 0)
        errbuf[0] = '\0'; /* drop the notes of the sources passed over */
    return result;
}

static int64_t system_clock_ms(void *unused)
{
    (void)unused;
    struct timeval now;
    gettimeofday(&now, NULL);
    return (int64_t)now.tv_sec * 1000 + now.tv_usec / 1000;
}

static int copy_string(char **to, const char *from)
{
    *to = from ? strdup(from) : NULL;
    return from && !*to ? -1 : 0;
}

struct kumo_credential_chain *kumo_credential_chain_new(const struct kumo_config_input *input,
                                                        const struct kumo_config *config,
                                                        kumo_transport_fn transport,
                                                        void *transport_data, kumo_clock_fn clock,
                                                        void *clock_data)
{
    if (!config || !config->profile || !config->region || !transport)
        return NULL;
    struct kumo_credential_chain *chain = calloc(1, sizeof *chain);
    if (!chain)
        return NULL;
    if (input) {
        chain->input.getenv = input->getenv;
        chain->input.getenv_data = input->getenv_data;
    }
    chain->transport = transport;
    chain->transport_data = transport_data;
    chain->clock = clock ? clock : system_clock_ms;
    chain->clock_data = clock_data;
    if (copy_string(&chain->view.profile, config->profile) != 0 ||
        copy_string(&chain->view.region, config->region) != 0 ||
        copy_string(&chain->view.ca_bundle, config->ca_bundle) != 0 ||
        copy_string(&chain->view.config_file, config->config_file) != 0 ||
        copy_string(&chain->view.credentials_file, config->credentials_file) != 0) {
        kumo_credential_chain_free(chain);
        return NULL;
    }
    return chain;
}

int kumo_credential_chain_get(struct kumo_credential_chain *chain,
                              const struct kumo_credentials **out, char *errbuf, size_t errbuf_size,
                              enum kumo_config_failure *kind)
{
    enum kumo_config_failure ignored;
    if (!kind)
        kind = &ignored;
    *kind = KUMO_CONFIG_OK;
    *out = NULL;
    int64_t now = chain->clock(chain->clock_data);
    struct kumo_credentials *current = &chain->current;
    if (chain->have && (current->expiration_ms == 0 ||
                        current->expiration_ms - now > KUMO_CREDENTIALS_ADVISORY_REFRESH_MS)) {
        *out = current;
        return 0;
    }
    struct kumo_credentials fresh = {0};
    enum kumo_source_result result = resolve(chain, now, &fresh, errbuf, errbuf_size, kind);
    if (result == KUMO_SOURCE_OK && fresh.expiration_ms != 0 && fresh.expiration_ms <= now) {
        snprintf(errbuf, errbuf_size, "the credentials from %s have already expired", fresh.source);
        *kind = KUMO_CONFIG_NO_CREDENTIALS;
        result = KUMO_SOURCE_FAILED;
    }
    if (result == KUMO_SOURCE_OK) {
        kumo_credentials_clear(current);
        *current = fresh;
        chain->have = 1;
        *out = current;
        return 0;
    }
    kumo_credentials_clear(&fresh);
    if (chain->have && current->expiration_ms - now > KUMO_CREDENTIALS_MANDATORY_REFRESH_MS) {
        /* advisory refresh failed: the old ones still do; say so as a warning */
        char reason[600];
        snprintf(reason, sizeof reason, "%s", errbuf);
        snprintf(errbuf, errbuf_size,
                 "refreshing the credentials from %s failed, kept the current credentials (they "
                 "expire in %lld minutes): %s",
                 current->source, (long long)((current->expiration_ms - now) / 60000), reason);
        *kind = KUMO_CONFIG_OK;
        *out = current;
        return 0;
    }
    if (chain->have) {
        char reason[600];
        snprintf(reason, sizeof reason, "%s", errbuf);
        snprintf(errbuf, errbuf_size,
                 "the credentials from %s expire within 10 minutes and could not be refreshed: %s",
                 current->source, reason);
    }
    return -1;
}

void kumo_credential_chain_free(struct kumo_credential_chain *chain)
{
    if (!chain)
        return;
    kumo_credentials_clear(&chain->current);
    free(chain->view.profile);
    free(chain->view.region);
    free(chain->view.ca_bundle);
    free(chain->view.config_file);
    free(chain->view.credentials_file);
    free(chain);
}
