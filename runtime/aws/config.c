/*
 * config.c - resolves the profile, region, endpoint, CA bundle and static
 * credentials the way the AWS SDKs do (flag > environment > profile in the
 * shared files > default), recording where each value came from as a human
 * string for `kumo config` and for error messages.
 *
 * Secrets (secret key, session token, and the key id with them) are wiped
 * before they are freed and never appear in a message.
 */
#include "config.h"

#include <ctype.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "ini.h"
#include "util/text.h"

/* ---- Small helpers ------------------------------------------------------ */

static void wipe_free(char *text)
{
    if (text) {
        OPENSSL_cleanse(text, strlen(text));
        free(text);
    }
}

/* An environment variable; unset and empty are the same (`export X=`). */
static const char *env(const struct kumo_config_input *input, const char *name)
{
    const char *value = input->getenv ? input->getenv(input->getenv_data, name) : getenv(name);
    return value && *value ? value : NULL;
}

/* The home directory: $HOME, else (real environment only) the password
 * database. Returns a malloc'ed string or NULL. */
static char *home_directory(const struct kumo_config_input *input)
{
    const char *home = env(input, "HOME");
    if (home)
        return strdup(home);
    if (input->getenv)
        return NULL; /* an injected environment without HOME: do not peek */
    struct passwd entry;
    struct passwd *found = NULL;
    char buffer[4096];
    if (getpwuid_r(getuid(), &entry, buffer, sizeof buffer, &found) == 0 && found &&
        found->pw_dir && *found->pw_dir)
        return strdup(found->pw_dir);
    return NULL;
}

static char *join_path(const char *directory, const char *rest)
{
    size_t size = strlen(directory) + 1 + strlen(rest) + 1;
    char *path = malloc(size);
    if (path)
        snprintf(path, size, "%s%s%s", directory, rest[0] == '/' ? "" : "/", rest);
    return path;
}

/* A file path from `variable`, else ~/default_rest; "~" and "~/..." are
 * expanded. *out is NULL (and 0 returned) when no home directory is known.
 * Returns -1 when out of memory. */
static int file_path(const struct kumo_config_input *input, const char *variable,
                     const char *default_rest, const char *home, char **out)
{
    *out = NULL;
    const char *given = env(input, variable);
    if (given) {
        if (home && given[0] == '~' && (given[1] == '\0' || given[1] == '/'))
            *out = join_path(home, given[1] ? given + 2 : "");
        else
            *out = strdup(given);
        return *out ? 0 : -1;
    }
    if (!home)
        return 0;
    *out = join_path(home, default_rest);
    return *out ? 0 : -1;
}

static const char *path_or_default(const char *path, const char *fallback)
{
    return path ? path : fallback;
}

/* ---- The two shared files ----------------------------------------------- */

struct shared_files {
    struct kumo_ini *config;      /* NULL when missing */
    struct kumo_ini *credentials; /* NULL when missing */
};

static void shared_files_free(struct shared_files *files)
{
    kumo_ini_free(files->config);
    kumo_ini_free(files->credentials);
    files->config = files->credentials = NULL;
}

static int load_one(const char *path, struct kumo_ini **out, char *errbuf, size_t errbuf_size)
{
    *out = NULL;
    if (!path)
        return 0;
    int missing = 0;
    char message[400];
    *out = kumo_ini_load(path, &missing, message, sizeof message);
    if (!*out && !missing) {
        kumo_set_message(errbuf, errbuf_size, "cannot use AWS shared file: %s", message);
        return -1;
    }
    return 0;
}

static int shared_files_load(const struct kumo_config *config, struct shared_files *files,
                             char *errbuf, size_t errbuf_size)
{
    files->config = files->credentials = NULL;
    if (load_one(config->config_file, &files->config, errbuf, errbuf_size) != 0 ||
        load_one(config->credentials_file, &files->credentials, errbuf, errbuf_size) != 0) {
        shared_files_free(files);
        return -1;
    }
    return 0;
}

/* The config-file sections that hold `profile`: "[profile NAME]", and for
 * "default" also "[default]". A bare "[NAME]" there is not a profile. */
static int config_sections(const char *profile, char sections[2][200])
{
    int count = 0;
    if (strcmp(profile, "default") == 0)
        snprintf(sections[count++], 200, "default");
    snprintf(sections[count++], 200, "profile %s", profile);
    return count;
}

static int profile_exists(const struct shared_files *files, const char *profile)
{
    if (kumo_ini_has_section(files->credentials, profile))
        return 1;
    char sections[2][200];
    int count = config_sections(profile, sections);
    for (int i = 0; i < count; i++) {
        if (kumo_ini_has_section(files->config, sections[i]))
            return 1;
    }
    return 0;
}

/* A profile setting: the credentials file's [NAME] wins over the config
 * file's profile section (as botocore merges them). *path_out says which file
 * it came from. Empty values count as unset. */
static const char *profile_get(const struct kumo_config *config, const struct shared_files *files,
                               const char *key, const char **path_out)
{
    const char *value = kumo_ini_get(files->credentials, config->profile, key);
    if (value && *value) {
        *path_out = config->credentials_file;
        return value;
    }
    char sections[2][200];
    int count = config_sections(config->profile, sections);
    for (int i = 0; i < count; i++) {
        value = kumo_ini_get(files->config, sections[i], key);
        if (value && *value) {
            *path_out = config->config_file;
            return value;
        }
    }
    return NULL;
}

/* ---- Validation ----------------------------------------------------------- */

/* As botocore: ^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,62}[a-zA-Z0-9])?$ */
static int valid_region(const char *region)
{
    size_t length = strlen(region);
    if (length == 0 || length > 64)
        return 0;
    for (size_t i = 0; i < length; i++) {
        unsigned char c = (unsigned char)region[i];
        if (!(isascii(c) && isalnum(c)) && !(c == '-' && i > 0 && i + 1 < length))
            return 0;
    }
    return 1;
}

static int is_host_char(unsigned char c)
{
    return isascii(c) && (isalnum(c) || c == '-' || c == '.' || c == '_');
}

/* http(s)://host[:port][/path] with a DNS name, IPv4 or [IPv6] host; no user
 * info, query, fragment, blanks or control characters. */
static int valid_endpoint(const char *url)
{
    const char *p;
    if (strncasecmp(url, "https://", 8) == 0)
        p = url + 8;
    else if (strncasecmp(url, "http://", 7) == 0)
        p = url + 7;
    else
        return 0;
    const char *host = p;
    if (*p == '[') {
        p++;
        while (*p && (isxdigit((unsigned char)*p) || *p == ':' || *p == '.'))
            p++;
        if (*p != ']' || p == host + 1)
            return 0;
        p++;
    } else {
        while (is_host_char((unsigned char)*p))
            p++;
        if (p == host || p - host > 253)
            return 0;
    }
    if (*p == ':') {
        p++;
        const char *digits = p;
        long port = 0;
        while (isdigit((unsigned char)*p) && p - digits < 6)
            port = port * 10 + (*p++ - '0');
        if (p == digits || port < 1 || port > 65535)
            return 0;
    }
    if (*p != '\0' && *p != '/')
        return 0;
    for (; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= ' ' || c >= 127 || c == '?' || c == '#')
            return 0;
    }
    return 1;
}

/* ---- Resolution ------------------------------------------------------------ */

static enum kumo_config_failure out_of_memory(char *errbuf, size_t errbuf_size)
{
    kumo_set_message(errbuf, errbuf_size, "out of memory while resolving the AWS configuration");
    return KUMO_CONFIG_BAD;
}

static enum kumo_config_failure resolve_profile(const struct kumo_config_input *input,
                                                struct kumo_config *config, int *explicit_out,
                                                char *errbuf, size_t errbuf_size)
{
    const char *profile = "default";
    config->profile_source = "default";
    *explicit_out = 0;
    if (input->profile_flag) {
        if (!*input->profile_flag) {
            kumo_set_message(errbuf, errbuf_size, "--profile: empty profile name");
            return KUMO_CONFIG_BAD;
        }
        profile = input->profile_flag;
        config->profile_source = "--profile";
        *explicit_out = 1;
    } else if (env(input, "AWS_PROFILE")) {
        profile = env(input, "AWS_PROFILE");
        config->profile_source = "AWS_PROFILE";
        *explicit_out = 1;
    }
    config->profile = strdup(profile);
    return config->profile ? KUMO_CONFIG_OK : out_of_memory(errbuf, errbuf_size);
}

static enum kumo_config_failure resolve_region(const struct kumo_config_input *input,
                                               struct kumo_config *config,
                                               const struct shared_files *files, char *errbuf,
                                               size_t errbuf_size)
{
    const char *region = NULL;
    const char *path = NULL;
    if (input->region_flag) {
        region = input->region_flag;
        config->region_source = "--region";
    } else if ((region = env(input, "AWS_REGION"))) {
        config->region_source = "AWS_REGION";
    } else if ((region = env(input, "AWS_DEFAULT_REGION"))) {
        config->region_source = "AWS_DEFAULT_REGION";
    } else if ((region = profile_get(config, files, "region", &path))) {
        snprintf(config->source_buffer[0], sizeof config->source_buffer[0], "profile %s in %s",
                 config->profile, path);
        config->region_source = config->source_buffer[0];
    } else {
        kumo_set_message(
            errbuf, errbuf_size,
            "no AWS region: pass --region, set AWS_REGION, or set `region` in profile %s "
            "in %s",
            config->profile, path_or_default(config->config_file, "~/.aws/config"));
        return KUMO_CONFIG_BAD;
    }
    if (!valid_region(region)) {
        kumo_set_message(errbuf, errbuf_size,
                         "invalid AWS region '%.64s' (from %s): expected letters, digits and '-', "
                         "e.g. us-east-1",
                         region, config->region_source);
        return KUMO_CONFIG_BAD;
    }
    config->region = strdup(region);
    return config->region ? KUMO_CONFIG_OK : out_of_memory(errbuf, errbuf_size);
}

static enum kumo_config_failure resolve_endpoint(const struct kumo_config_input *input,
                                                 struct kumo_config *config,
                                                 const struct shared_files *files, char *errbuf,
                                                 size_t errbuf_size)
{
    const char *endpoint = NULL;
    const char *path = NULL;
    const char *services = NULL;
    char services_section[300];
    char *buffer = config->source_buffer[1];
    size_t buffer_size = sizeof config->source_buffer[1];
    if (input->endpoint_flag) {
        endpoint = input->endpoint_flag;
        config->endpoint_source = "--endpoint";
    } else if ((endpoint = env(input, "AWS_ENDPOINT_URL_EC2"))) {
        config->endpoint_source = "AWS_ENDPOINT_URL_EC2";
    } else if ((endpoint = env(input, "AWS_ENDPOINT_URL"))) {
        config->endpoint_source = "AWS_ENDPOINT_URL";
    } else {
        services = profile_get(config, files, "services", &path);
        if (services) {
            /* [services NAME] sections live in the config file only. */
            snprintf(services_section, sizeof services_section, "services %s", services);
            endpoint = kumo_ini_get(files->config, services_section, "ec2.endpoint_url");
            if (endpoint && *endpoint)
                snprintf(buffer, buffer_size, "profile %s, [services %s] ec2.endpoint_url in %s",
                         config->profile, services, config->config_file);
            else
                endpoint = NULL;
        }
        if (!endpoint && (endpoint = profile_get(config, files, "endpoint_url", &path)))
            snprintf(buffer, buffer_size, "profile %s in %s", config->profile, path);
        if (endpoint)
            config->endpoint_source = buffer;
    }

    if (endpoint) {
        if (!valid_endpoint(endpoint)) {
            kumo_set_message(errbuf, errbuf_size,
                             "invalid endpoint URL '%.200s' (from %s): expected "
                             "http(s)://host[:port][/path]",
                             endpoint, config->endpoint_source);
            return KUMO_CONFIG_BAD;
        }
        config->endpoint = strdup(endpoint);
        config->endpoint_explicit = 1;
    } else {
        /* China regions live under their own partition's domain. */
        const char *suffix =
            strncmp(config->region, "cn-", 3) == 0 ? "amazonaws.com.cn" : "amazonaws.com";
        size_t size = strlen(config->region) + strlen(suffix) + sizeof "https://ec2..";
        config->endpoint = malloc(size);
        if (config->endpoint)
            snprintf(config->endpoint, size, "https://ec2.%s.%s", config->region, suffix);
        config->endpoint_source = "default for the region";
        config->endpoint_explicit = 0;
    }
    return config->endpoint ? KUMO_CONFIG_OK : out_of_memory(errbuf, errbuf_size);
}

static enum kumo_config_failure resolve_ca_bundle(const struct kumo_config_input *input,
                                                  struct kumo_config *config,
                                                  const struct shared_files *files, char *errbuf,
                                                  size_t errbuf_size)
{
    const char *path = NULL;
    char source[300];
    const char *bundle = env(input, "AWS_CA_BUNDLE");
    if (bundle) {
        snprintf(source, sizeof source, "AWS_CA_BUNDLE");
    } else if ((bundle = profile_get(config, files, "ca_bundle", &path))) {
        snprintf(source, sizeof source, "profile %s in %s", config->profile, path);
    } else {
        return KUMO_CONFIG_OK;
    }
    if (access(bundle, R_OK) != 0) {
        kumo_set_message(errbuf, errbuf_size, "CA bundle %s (from %s) cannot be read", bundle,
                         source);
        return KUMO_CONFIG_BAD;
    }
    config->ca_bundle = strdup(bundle);
    return config->ca_bundle ? KUMO_CONFIG_OK : out_of_memory(errbuf, errbuf_size);
}

/* A setting from `variable`, else the profile's `key`; *source says which
 * (composed into buffer). NULL when neither is set. */
static const char *env_or_profile(const struct kumo_config_input *input,
                                  const struct kumo_config *config,
                                  const struct shared_files *files, const char *variable,
                                  const char *key, const char **source, char *buffer,
                                  size_t buffer_size)
{
    const char *path = NULL;
    const char *value = env(input, variable);
    if (value) {
        *source = variable;
    } else if ((value = profile_get(config, files, key, &path))) {
        snprintf(buffer, buffer_size, "profile %s in %s", config->profile, path);
        *source = buffer;
    }
    return value;
}

static enum kumo_config_failure resolve_retry(const struct kumo_config_input *input,
                                              struct kumo_config *config,
                                              const struct shared_files *files, char *errbuf,
                                              size_t errbuf_size)
{
    const char *source = NULL;
    const char *attempts =
        env_or_profile(input, config, files, "AWS_MAX_ATTEMPTS", "max_attempts", &source,
                       config->retry_source_buffer[0], sizeof config->retry_source_buffer[0]);
    if (attempts) {
        char *end = NULL;
        long n = strtol(attempts, &end, 10);
        if (!isdigit((unsigned char)attempts[0]) || *end || n < 1 || n > 1000) {
            kumo_set_message(errbuf, errbuf_size,
                             "invalid max_attempts '%.40s' (from %s): expected a positive integer "
                             "(at most 1000)",
                             attempts, source);
            return KUMO_CONFIG_BAD;
        }
        config->max_attempts = (int)n;
        config->max_attempts_source = source;
    }
    const char *mode =
        env_or_profile(input, config, files, "AWS_RETRY_MODE", "retry_mode", &source,
                       config->retry_source_buffer[1], sizeof config->retry_source_buffer[1]);
    if (mode) {
        if (strcmp(mode, "standard") != 0 && strcmp(mode, "adaptive") != 0 &&
            strcmp(mode, "legacy") != 0) {
            kumo_set_message(errbuf, errbuf_size,
                             "invalid retry_mode '%.40s' (from %s): expected standard, adaptive or "
                             "legacy",
                             mode, source);
            return KUMO_CONFIG_BAD;
        }
        config->retry_mode = strdup(mode);
        if (!config->retry_mode)
            return out_of_memory(errbuf, errbuf_size);
        config->retry_mode_source = source;
    }
    return KUMO_CONFIG_OK;
}

enum kumo_config_failure kumo_config_resolve(const struct kumo_config_input *input,
                                             struct kumo_config *config, char *errbuf,
                                             size_t errbuf_size)
{
    memset(config, 0, sizeof *config);
    kumo_set_message(errbuf, errbuf_size, "%s", "");
    struct kumo_config_input no_input = {0};
    if (!input)
        input = &no_input;

    struct shared_files files = {NULL, NULL};
    char *home = NULL;
    int explicit_profile = 0;
    enum kumo_config_failure result =
        resolve_profile(input, config, &explicit_profile, errbuf, errbuf_size);
    if (result != KUMO_CONFIG_OK)
        goto error;

    home = home_directory(input);
    if (file_path(input, "AWS_CONFIG_FILE", ".aws/config", home, &config->config_file) != 0 ||
        file_path(input, "AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials", home,
                  &config->credentials_file) != 0) {
        result = out_of_memory(errbuf, errbuf_size);
        goto error;
    }
    if (shared_files_load(config, &files, errbuf, errbuf_size) != 0) {
        result = KUMO_CONFIG_BAD;
        goto error;
    }
    if (explicit_profile && !profile_exists(&files, config->profile)) {
        kumo_set_message(
            errbuf, errbuf_size,
            "profile '%s' (from %s) not found: neither %s ([profile %s]) nor %s ([%s]) "
            "defines it",
            config->profile, config->profile_source,
            path_or_default(config->config_file, "~/.aws/config"), config->profile,
            path_or_default(config->credentials_file, "~/.aws/credentials"), config->profile);
        result = KUMO_CONFIG_BAD;
        goto error;
    }
    if ((result = resolve_region(input, config, &files, errbuf, errbuf_size)) != KUMO_CONFIG_OK ||
        (result = resolve_endpoint(input, config, &files, errbuf, errbuf_size)) != KUMO_CONFIG_OK ||
        (result = resolve_ca_bundle(input, config, &files, errbuf, errbuf_size)) !=
            KUMO_CONFIG_OK ||
        (result = resolve_retry(input, config, &files, errbuf, errbuf_size)) != KUMO_CONFIG_OK)
        goto error;

    shared_files_free(&files);
    free(home);
    return KUMO_CONFIG_OK;

error:
    shared_files_free(&files);
    free(home);
    kumo_config_clear(config);
    return result;
}

/* ---- Credentials ------------------------------------------------------------ */

static void clear_credentials(struct kumo_config *config)
{
    wipe_free(config->access_key_id);
    wipe_free(config->secret_access_key);
    wipe_free(config->session_token);
    config->access_key_id = config->secret_access_key = config->session_token = NULL;
    config->credential_source = NULL;
}

static enum kumo_config_failure take_credentials(struct kumo_config *config, const char *key,
                                                 const char *secret, const char *token,
                                                 char *errbuf, size_t errbuf_size)
{
    config->access_key_id = strdup(key);
    config->secret_access_key = strdup(secret);
    config->session_token = token ? strdup(token) : NULL;
    if (!config->access_key_id || !config->secret_access_key || (token && !config->session_token)) {
        clear_credentials(config);
        return out_of_memory(errbuf, errbuf_size);
    }
    return KUMO_CONFIG_OK;
}

/* Static keys of the profile in one file's section(s); returns OK when found,
 * NO_CREDENTIALS with a message for half a pair, and sets *found = 0 when the
 * section has neither key. */
static enum kumo_config_failure keys_in_section(struct kumo_config *config,
                                                const struct kumo_ini *ini, const char *section,
                                                const char *path, int *found, char *errbuf,
                                                size_t errbuf_size)
{
    *found = 0;
    const char *key = kumo_ini_get(ini, section, "aws_access_key_id");
    const char *secret = kumo_ini_get(ini, section, "aws_secret_access_key");
    const char *token = kumo_ini_get(ini, section, "aws_session_token");
    key = key && *key ? key : NULL;
    secret = secret && *secret ? secret : NULL;
    token = token && *token ? token : NULL;
    if (!key && !secret)
        return KUMO_CONFIG_OK;
    *found = 1;
    if (!key || !secret) {
        kumo_set_message(errbuf, errbuf_size,
                         "profile %s in %s has %s but no %s: set both aws_access_key_id and "
                         "aws_secret_access_key in [%s]",
                         config->profile, path, key ? "aws_access_key_id" : "aws_secret_access_key",
                         key ? "aws_secret_access_key" : "aws_access_key_id", section);
        return KUMO_CONFIG_NO_CREDENTIALS;
    }
    snprintf(config->source_buffer[2], sizeof config->source_buffer[2], "profile %s in %s",
             config->profile, path);
    config->credential_source = config->source_buffer[2];
    return take_credentials(config, key, secret, token, errbuf, errbuf_size);
}

enum kumo_config_failure kumo_config_resolve_credentials(const struct kumo_config_input *input,
                                                         struct kumo_config *config, char *errbuf,
                                                         size_t errbuf_size)
{
    kumo_set_message(errbuf, errbuf_size, "%s", "");
    struct kumo_config_input no_input = {0};
    if (!input)
        input = &no_input;
    if (!config || !config->profile) {
        kumo_set_message(errbuf, errbuf_size,
                         "credentials asked for before the configuration was "
                         "resolved");
        return KUMO_CONFIG_BAD;
    }
    clear_credentials(config);

    /* 1. The environment. */
    const char *key = env(input, "AWS_ACCESS_KEY_ID");
    const char *secret = env(input, "AWS_SECRET_ACCESS_KEY");
    if (key && secret) {
        config->credential_source = "environment";
        return take_credentials(config, key, secret, env(input, "AWS_SESSION_TOKEN"), errbuf,
                                errbuf_size);
    }
    if (key || secret) {
        kumo_set_message(errbuf, errbuf_size,
                         "%s is set but %s is not: set both, or unset %s to use profile %s",
                         key ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                         key ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID",
                         key ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY", config->profile);
        return KUMO_CONFIG_NO_CREDENTIALS;
    }

    /* 2. Static keys of the profile: credentials file, then config file. */
    struct shared_files files;
    if (shared_files_load(config, &files, errbuf, errbuf_size) != 0)
        return KUMO_CONFIG_BAD;
    int found = 0;
    enum kumo_config_failure result =
        keys_in_section(config, files.credentials, config->profile,
                        path_or_default(config->credentials_file, "~/.aws/credentials"), &found,
                        errbuf, errbuf_size);
    char sections[2][200];
    int count = config_sections(config->profile, sections);
    for (int i = 0; !found && i < count; i++)
        result = keys_in_section(config, files.config, sections[i],
                                 path_or_default(config->config_file, "~/.aws/config"), &found,
                                 errbuf, errbuf_size);
    if (found) {
        shared_files_free(&files);
        return result;
    }

    /* Nothing: say what was searched, and what the profile uses instead. */
    const char *other = NULL;
    const char *path = NULL;
    static const char *const others[] = {"role_arn", "credential_process", "sso_session",
                                         "sso_start_url", "web_identity_token_file"};
    for (size_t i = 0; !other && i < sizeof others / sizeof others[0]; i++) {
        if (profile_get(config, &files, others[i], &path))
            other = others[i];
    }
    char note[200] = "";
    if (other)
        snprintf(note, sizeof note, " (profile %s uses %s, which is not read here)",
                 config->profile, other);
    kumo_set_message(errbuf, errbuf_size,
                     "no AWS credentials: searched the environment (AWS_ACCESS_KEY_ID, "
                     "AWS_SECRET_ACCESS_KEY) and profile %s in %s and %s%s; set AWS_ACCESS_KEY_ID "
                     "and AWS_SECRET_ACCESS_KEY, or aws_access_key_id and aws_secret_access_key in "
                     "[%s] of %s",
                     config->profile,
                     path_or_default(config->credentials_file, "~/.aws/credentials"),
                     path_or_default(config->config_file, "~/.aws/config"), note, config->profile,
                     path_or_default(config->credentials_file, "~/.aws/credentials"));
    shared_files_free(&files);
    return KUMO_CONFIG_NO_CREDENTIALS;
}

void kumo_config_clear(struct kumo_config *config)
{
    if (!config)
        return;
    clear_credentials(config);
    free(config->profile);
    free(config->region);
    free(config->endpoint);
    free(config->ca_bundle);
    free(config->config_file);
    free(config->credentials_file);
    free(config->retry_mode);
    memset(config, 0, sizeof *config);
}

/* ---- For the credential chain ---------------------------------------------- */

const char *kumo_config_env(const struct kumo_config_input *input, const char *name)
{
    struct kumo_config_input no_input = {0};
    return env(input ? input : &no_input, name);
}

struct kumo_profile_files {
    struct shared_files files;
    struct kumo_config paths; /* only profile, config_file, credentials_file are set */
};

struct kumo_profile_files *kumo_profile_files_load(const struct kumo_config *config, char *errbuf,
                                                   size_t errbuf_size)
{
    struct kumo_profile_files *files = calloc(1, sizeof *files);
    if (!files) {
        out_of_memory(errbuf, errbuf_size);
        return NULL;
    }
    files->paths.config_file = config->config_file ? strdup(config->config_file) : NULL;
    files->paths.credentials_file =
        config->credentials_file ? strdup(config->credentials_file) : NULL;
    if ((config->config_file && !files->paths.config_file) ||
        (config->credentials_file && !files->paths.credentials_file)) {
        out_of_memory(errbuf, errbuf_size);
        kumo_profile_files_free(files);
        return NULL;
    }
    if (shared_files_load(&files->paths, &files->files, errbuf, errbuf_size) != 0) {
        kumo_profile_files_free(files);
        return NULL;
    }
    return files;
}

int kumo_profile_files_has(const struct kumo_profile_files *files, const char *profile)
{
    return profile_exists(&files->files, profile);
}

const char *kumo_profile_files_get(const struct kumo_profile_files *files, const char *profile,
                                   const char *key, const char **path_out)
{
    struct kumo_config named = files->paths;
    named.profile = (char *)profile;
    const char *path = NULL;
    const char *value = profile_get(&named, &files->files, key, &path);
    if (path_out)
        *path_out = path;
    return value;
}

int kumo_config_service_endpoint(const struct kumo_config_input *input,
                                 const struct kumo_config *config,
                                 const struct kumo_profile_files *files, const char *service,
                                 const char *env_name, char **url, char *source, size_t source_size,
                                 char *errbuf, size_t errbuf_size)
{
    struct kumo_config_input no_input = {0};
    if (!input)
        input = &no_input;
    *url = NULL;
    const char *path = NULL;
    const char *endpoint = NULL;
    const char *services = NULL;
    char key[120];
    if ((endpoint = env(input, env_name))) {
        snprintf(source, source_size, "%s", env_name);
    } else if ((endpoint = env(input, "AWS_ENDPOINT_URL"))) {
        snprintf(source, source_size, "AWS_ENDPOINT_URL");
    } else {
        services = kumo_profile_files_get(files, config->profile, "services", &path);
        if (services) {
            char section[300];
            snprintf(section, sizeof section, "services %s", services);
            snprintf(key, sizeof key, "%s.endpoint_url", service);
            endpoint = kumo_ini_get(files->files.config, section, key);
            if (endpoint && *endpoint)
                snprintf(source, source_size, "profile %s, [services %s] %s in %s", config->profile,
                         services, key, files->paths.config_file);
            else
                endpoint = NULL;
        }
        if (!endpoint &&
            (endpoint = kumo_profile_files_get(files, config->profile, "endpoint_url", &path)))
            snprintf(source, source_size, "profile %s in %s", config->profile, path);
    }
    if (!endpoint)
        return 0;
    if (!valid_endpoint(endpoint)) {
        kumo_set_message(
            errbuf, errbuf_size,
            "invalid endpoint URL '%.200s' (from %s): expected http(s)://host[:port][/path]",
            endpoint, source);
        return -1;
    }
    *url = strdup(endpoint);
    if (!*url) {
        out_of_memory(errbuf, errbuf_size);
        return -1;
    }
    return 1;
}

void kumo_profile_files_free(struct kumo_profile_files *files)
{
    if (!files)
        return;
    shared_files_free(&files->files);
    free(files->paths.config_file);
    free(files->paths.credentials_file);
    free(files);
}

const char *kumo_config_sandbox_region(const char *flag, const char *fallback, const char **source)
{
    static const char *const variables[] = {"AWS_REGION", "AWS_DEFAULT_REGION"};
    if (flag && *flag) {
        *source = "--region";
        return flag;
    }
    for (size_t i = 0; i < sizeof variables / sizeof variables[0]; i++) {
        const char *value = getenv(variables[i]);
        if (value && *value) {
            *source = variables[i];
            return value;
        }
    }
    *source = "the sandbox default";
    return fallback;
}
