/*
 * test_config.c - unit tests (cmocka) for runtime/aws/config.c: every step of
 * the profile, region, endpoint, CA bundle and static-credential precedence,
 * the recorded sources, the shared-file paths (~ and HOME), and every error
 * message, with an injected environment and temporary files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aws/config.h"

/* ---- Fixture: an injected environment and a temporary directory ---------- */

#define MAX_VARS 16

struct fake_env {
    const char *names[MAX_VARS];
    const char *values[MAX_VARS];
    int count;
};

static struct fake_env environment;
static char temp_dir[64];
static char config_path[128];
static char credentials_path[128];

static const char *fake_getenv(void *user_data, const char *name)
{
    struct fake_env *fake = user_data;
    for (int i = 0; i < fake->count; i++) {
        if (strcmp(fake->names[i], name) == 0)
            return fake->values[i];
    }
    return NULL;
}

static void set_env(const char *name, const char *value)
{
    assert_true(environment.count < MAX_VARS);
    environment.names[environment.count] = name;
    environment.values[environment.count] = value;
    environment.count++;
}

static struct kumo_config_input input_none(void)
{
    struct kumo_config_input input = {NULL, NULL, NULL, fake_getenv, &environment};
    return input;
}

static void write_file(const char *path, const char *text)
{
    FILE *file = fopen(path, "wb");
    assert_non_null(file);
    fputs(text, file);
    fclose(file);
}

static int group_setup(void **state)
{
    (void)state;
    snprintf(temp_dir, sizeof temp_dir, "/tmp/kumo-config-XXXXXX");
    if (!mkdtemp(temp_dir))
        return -1;
    snprintf(config_path, sizeof config_path, "%s/config", temp_dir);
    snprintf(credentials_path, sizeof credentials_path, "%s/credentials", temp_dir);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    char command[128];
    snprintf(command, sizeof command, "rm -rf '%s'", temp_dir);
    return system(command) == 0 ? 0 : -1;
}

/* Each test starts with an empty environment pointing at the two temp files
 * (both absent until the test writes them). */
static int setup(void **state)
{
    (void)state;
    memset(&environment, 0, sizeof environment);
    set_env("AWS_CONFIG_FILE", config_path);
    set_env("AWS_SHARED_CREDENTIALS_FILE", credentials_path);
    unlink(config_path);
    unlink(credentials_path);
    return 0;
}

/* The sources may point into the struct's own buffers, so the resolved
 * struct is kept in static storage (a few in rotation) and the caller gets a
 * copy whose source pointers stay valid until that slot is reused. */
static struct kumo_config resolve_ok(const struct kumo_config_input *input)
{
    static struct kumo_config kept[4];
    static int next;
    struct kumo_config *config = &kept[next++ % 4];
    char errbuf[1024] = "";
    enum kumo_config_failure result = kumo_config_resolve(input, config, errbuf, sizeof errbuf);
    if (result != KUMO_CONFIG_OK)
        fail_msg("resolve failed (%d): %s", (int)result, errbuf);
    return *config;
}

static void resolve_fails(const struct kumo_config_input *input, const char *expected)
{
    struct kumo_config config;
    char errbuf[1024] = "";
    enum kumo_config_failure result = kumo_config_resolve(input, &config, errbuf, sizeof errbuf);
    assert_int_equal(result, KUMO_CONFIG_BAD);
    assert_string_equal(errbuf, expected);
    /* a failed resolve leaves nothing to free */
    assert_null(config.profile);
    assert_null(config.region);
    assert_null(config.endpoint);
    assert_null(config.config_file);
    kumo_config_clear(&config);
}

/* a + b in one of a few rotating static buffers (for expected strings). */
static const char *joined(const char *a, const char *b)
{
    static char text[4][512];
    static int next;
    char *out = text[next++ % 4];
    snprintf(out, sizeof text[0], "%s%s", a, b);
    return out;
}

/* ---- Profile ---------------------------------------------------------------- */

static void test_profile_default_implicit_may_be_absent(void **state)
{
    (void)state;
    set_env("AWS_REGION", "eu-west-1");
    struct kumo_config_input input = input_none();
    struct kumo_config config = resolve_ok(&input);
    assert_string_equal(config.profile, "default");
    assert_string_equal(config.profile_source, "default");
    assert_string_equal(config.config_file, config_path);
    assert_string_equal(config.credentials_file, credentials_path);
    kumo_config_clear(&config);
}

static void test_profile_from_env(void **state)
{
    (void)state;
    write_file(config_path, "[profile dev]\nregion = ap-northeast-1\n");
    set_env("AWS_PROFILE", "dev");
    struct kumo_config_input input = input_none();
    struct kumo_config config = resolve_ok(&input);
    assert_string_equal(config.profile, "dev");
    assert_string_equal(config.profile_source, "AWS_PROFILE");
    assert_string_equal(config.region, "ap-northeast-1");
    kumo_config_clear(&config);
}

static void test_profile_flag_beats_env(void **state)
{
    (void)state;
    write_file(config_path, "[profile dev]\nregion = r-dev\n[profile prod]\nregion = r-prod\n");
    set_env("AWS_PROFILE", "dev");
    struct kumo_config_input input = input_none();
    input.profile_flag = "prod";
    struct kumo_config config = resolve_ok(&input);
    assert_string_equal(config.profile, "prod");
    assert_string_equal(config.profile_source, "--profile");
    assert_string_equal(config.region, "r-prod");
    kumo_config_clear(&config);
}

static void test_profile_only_in_credentials_file(void **state)
{
    (void)state;
    write_file(credentials_path, "[ci]\naws_access_key_id = AKIACI\n"
                                 "aws_secret_access_key = ci-secret\n");
    struct kumo_config_input input = input_none();
    input.profile_flag = "ci";
    input.region_flag = "us-east-1";
    struct kumo_config config = resolve_ok(&input);
    assert_string_equal(config.profile, "ci");
    kumo_config_clear(&config);
}

static void test_profile_missing_is_an_error(void **state)
{
    (void)state;
    write_file(config_path, "[profile other]\nregion = x\n");
    set_env("AWS_PROFILE", "dev");
    struct kumo_config_input input = input_none();
    char expected[1024];
    snprintf(expected, sizeof expected,
             "profile 'dev' (from AWS_PROFILE) not found: neither %s ([profile dev]) nor %s "
             "([dev]) defines it",
             config_path, credentials_path);
    resolve_fails(&input, expected);

    input.profile_flag = "qa";
    snprintf(expected, sizeof expected,
             "profile 'qa' (from --profile) not found: neither %s ([profile qa]) nor %s "
             "([qa]) defines it",
             config_path, credentials_path);
    resolve_fails(&input, expected);
}

static void test_bare_section_in_config_file_is_not_a_profile(void **state)
{
    (void)state;
    write_file(config_path, "[dev]\nregion = eu-west-1\n");
    write_file(credentials_path, "[profile dev]\naws_access_key_id = A\n");
    struct kumo_config_input input = input_none();
    input.profile_flag = "dev";
    char expected[1024];
    snprintf(expected, sizeof expected,
             "profile 'dev' (from --profile) not found: neither %s ([profile dev]) nor %s "
             "([dev]) defines it",
             config_path, credentials_path);
    resolve_fails(&input, expected);
}

static void test_profile_default_section_forms(void **state)
{
    (void)state;
    /* "[default]" and "[profile default]" both name the default profile */
    write_file(config_path, "[profile default]\nregion = from-profile-default\n");
    struct kumo_config_input input = input_none();
    struct kumo_config config = resolve_ok(&input);
    assert_string_equal(config.region, "from-profile-default");
    kumo_config_clear(&config);

    write_file(config_path, "[default]\nregion = from-default\n");
    input.profile_flag = "default";
    config = resolve_ok(&input);
    assert_string_equal(config.region, "from-default");
    assert_string_equal(config.profile_source, "--profile");
    kumo_config_clear(&config);
}

static void test_profile_empty_flag(void **state)
{
    (void)state;
    struct kumo_config_input input = input_none();
    input.profile_flag = "";
    resolve_fails(&input, "--profile: empty profile name");
}

static void test_empty_env_profile_is_unset(void **state)
{
    (void)state;
    set_env("AWS_PROFILE", "");
    set_env("AWS_REGION", "eu-west-1");
    struct kumo_config_input input = input_none();
    struct kumo_config config = resolve_ok(&input);
    assert_string_equal(config.profile, "default");
    assert_string_equal(config.profile_source, "default");
    kumo_config_clear(&config);
}

/* ---- Region ----------------------------------------------------------------- */

static void test_region_precedence(void **state)
{
    (void)state;
    write_file(config_path, "[default]\nregion = from-profile\n");
    struct kumo_config_input input = input_none();
    struct kumo_config config = resolve_ok(&input);
    assert_string_equal(config.region, "from-profile");
    assert_string_equal(config.region_source, joined("profile default in ", config_path));
    kumo_config_clear(&config);

    set_env("AWS_DEFAULT_REGION", "from-default-region");
    config = resolve_ok(&input);
    assert_string_equal(config.region, "from-default-region");
    assert_string_equal(config.region_source, "AWS_DEFAULT_REGION");
    kumo_config_clear(&config);

    set_env("AWS_REGION", "from-region");
    config = resolve_ok(&input);
    assert_string_equal(config.region, "from-region");
    assert_string_equal(config.region_source, "AWS_REGION");
    kumo_config_clear(&config);

    input.region_flag = "from-flag";
    config = resolve_ok(&input);
    assert_string_equal(config.region, "from-flag");
    assert_string_equal(config.region_source, "--region");
    kumo_config_clear(&config);
}

static void test_region_credentials_file_wins_over_config_file(void **state)
{
    (void)state;
    write_file(config_path, "[profile dev]\nregion = config-region\n");
    write_file(credentials_path, "[dev]\nregion = credentials-region\n");
    struct kumo_config_input input = input_none();
    input.profile_flag = "dev";
    struct kumo_config config = resolve_ok(&input);
    assert_string_equal(config.region, "credentials-region");
    assert_string_equal(config.region_source, joined("profile dev in ", credentials_path));
    kumo_config_clear(&config);
}

static void test_region_empty_env_falls_through(void **state)
{
    (void)state;
    set_env("AWS_REGION", "");
    set_env("AWS_DEFAULT_REGION", "eu-central-1");
    struct kumo_config_input input = input_none();
    struct kumo_config config = resolve_ok(&input);
    assert_string_equal(config.region, "eu-central-1");
    assert_string_equal(config.region_source, "AWS_DEFAULT_REGION");
    kumo_config_clear(&config);
}

static void test_region_missing(void **state)
{
    (void)state;
    write_file(config_path, "[profile dev]\noutput = json\n");
    struct kumo_config_input input = input_none();
    input.profile_flag = "dev";
    char expected[1024];
    snprintf(expected, sizeof expected,
             "no AWS region: pass --region, set AWS_REGION, or set `region` in profile dev in %s",
             config_path);
    resolve_fails(&input, expected);
}

static void test_region_invalid(void **state)
{
    (void)state;
    static const char *const bad[] = {"us east 1", "-us-east-1",    "us-east-1-",
                                      "eu/west",   "ec2.evil.com#", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct kumo_config_input input = input_none();
        input.region_flag = bad[i];
        char expected[256];
        snprintf(expected, sizeof expected,
                 "invalid AWS region '%s' (from --region): expected letters, digits and '-', "
                 "e.g. us-east-1",
                 bad[i]);
        resolve_fails(&input, expected);
    }
}

/* ---- Endpoint ------------------------------------------------------------------ */

static void test_endpoint_default(void **state)
{
    (void)state;
    struct kumo_config_input input = input_none();
    input.region_flag = "eu-west-1";
    struct kumo_config config = resolve_ok(&input);
    assert_string_equal(config.endpoint, "https://ec2.eu-west-1.amazonaws.com");
    assert_string_equal(config.endpoint_source, "default for the region");
    assert_int_equal(config.endpoint_explicit, 0);
    assert_null(config.ca_bundle);
    kumo_config_clear(&config);

    input.region_flag = "cn-north-1";
    config = resolve_ok(&input);
    assert_string_equal(config.endpoint, "https://ec2.cn-north-1.amazonaws.com.cn");
    kumo_config_clear(&config);
}

static void test_endpoint_precedence(void **state)
{
    (void)state;
    write_file(config_path, "[profile dev]\n"
                            "region = eu-west-1\n"
                            "endpoint_url = http://profile-endpoint:1\n"
                            "services = local\n"
                            "[services local]\n"
                            "s3 =\n"
                            "  endpoint_url = http://s3-only:9\n"
                            "ec2 =\n"
                            "  endpoint_url = http://services-endpoint:2\n");
    struct kumo_config_input input = input_none();
    input.profile_flag = "dev";
    struct kumo_config config = resolve_ok(&input);
    assert_string_equal(config.endpoint, "http://services-endpoint:2");
    assert_string_equal(config.endpoint_source,
                        joined("profile dev, [services local] ec2.endpoint_url in ", config_path));
    assert_int_equal(config.endpoint_explicit, 1);
    kumo_config_clear(&config);

    set_env("AWS_ENDPOINT_URL", "http://generic:3");
    config = resolve_ok(&input);
    assert_string_equal(config.endpoint, "http://generic:3");
    assert_string_equal(config.endpoint_source, "AWS_ENDPOINT_URL");
    assert_int_equal(config.endpoint_explicit, 1);
    kumo_config_clear(&config);

    set_env("AWS_ENDPOINT_URL_EC2", "http://ec2-specific:4");
    config = resolve_ok(&input);
    assert_string_equal(config.endpoint, "http://ec2-specific:4");
    assert_string_equal(config.endpoint_source, "AWS_ENDPOINT_URL_EC2");
    kumo_config_clear(&config);

    input.endpoint_flag = "https://flag.example.com/base/";
    config = resolve_ok(&input);
    assert_string_equal(config.endpoint, "https://flag.example.com/base/");
    assert_string_equal(config.endpoint_source, "--endpoint");
    assert_int_equal(config.endpoint_explicit, 1);
    kumo_config_clear(&config);
}

static void test_endpoint_profile_endpoint_url(void **state)
{
    (void)state;
    /* a services section without ec2, or a missing one, falls to endpoint_url */
    write_file(config_path, "[profile dev]\n"
                            "region = eu-west-1\n"
                            "services = local\n"
                            "endpoint_url = http://localhost:5000\n"
                            "[services local]\n"
                            "s3 =\n"
                            "  endpoint_url = http://s3-only:9\n"
                            "[profile other]\n"
                            "region = eu-west-1\n"
                            "services = nowhere\n"
                            "endpoint_url = https://other.example\n");
    struct kumo_config_input input = input_none();
    input.profile_flag = "dev";
    struct kumo_config config = resolve_ok(&input);
    assert_string_equal(config.endpoint, "http://localhost:5000");
    assert_string_equal(config.endpoint_source, joined("profile dev in ", config_path));
    assert_int_equal(config.endpoint_explicit, 1);
    kumo_config_clear(&config);

    input.profile_flag = "other";
    config = resolve_ok(&input);
    assert_string_equal(config.endpoint, "https://other.example");
    kumo_config_clear(&config);
}

static void test_endpoint_services_in_credentials_file_ignored(void **state)
{
    (void)state;
    /* [services x] sections live in the config file only */
    write_file(config_path, "[default]\nregion = eu-west-1\nservices = s\n");
    write_file(credentials_path, "[services s]\nec2 =\n  endpoint_url = http://creds:1\n");
    struct kumo_config_input input = input_none();
    struct kumo_config config = resolve_ok(&input);
    assert_string_equal(config.endpoint, "https://ec2.eu-west-1.amazonaws.com");
    assert_int_equal(config.endpoint_explicit, 0);
    kumo_config_clear(&config);
}

static void test_endpoint_valid_forms(void **state)
{
    (void)state;
    static const char *const good[] = {
        "http://localhost:5000",
        "https://ec2.eu-west-1.amazonaws.com",
        "https://host/",
        "http://127.0.0.1:65535/some/path",
        "https://[::1]:5000/",
        "HTTPS://EXAMPLE.COM",
        "http://my_host.local:1/a%20b",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        struct kumo_config_input input = input_none();
        input.region_flag = "us-east-1";
        input.endpoint_flag = good[i];
        struct kumo_config config = resolve_ok(&input);
        assert_string_equal(config.endpoint, good[i]);
        kumo_config_clear(&config);
    }
}

static void test_endpoint_invalid_forms(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "ftp://example.com",
        "example.com",
        "http://",
        "https://:443",
        "https://host:0",
        "https://host:65536",
        "https://host:x",
        "https://user@host",
        "https://host?x=1",
        "https://host/p?q",
        "https://host/#frag",
        "https://ho st",
        "https://host/a b",
        "https://[::1",
        "https://[]:1",
        "",
        "https://host:1234567",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct kumo_config_input input = input_none();
        input.region_flag = "us-east-1";
        input.endpoint_flag = bad[i];
        char expected[1024];
        snprintf(expected, sizeof expected,
                 "invalid endpoint URL '%s' (from --endpoint): expected "
                 "http(s)://host[:port][/path]",
                 bad[i]);
        resolve_fails(&input, expected);
    }
    /* the source is named for the environment and the files too */
    struct kumo_config_input input = input_none();
    input.region_flag = "us-east-1";
    set_env("AWS_ENDPOINT_URL_EC2", "localhost:5000");
    resolve_fails(&input, "invalid endpoint URL 'localhost:5000' (from AWS_ENDPOINT_URL_EC2): "
                          "expected http(s)://host[:port][/path]");
}

/* ---- Files and HOME ---------------------------------------------------------- */

static void test_files_default_to_home(void **state)
{
    (void)state;
    char aws_dir[160];
    snprintf(aws_dir, sizeof aws_dir, "%s/.aws", temp_dir);
    mkdir(aws_dir, 0700);
    char home_config[200];
    snprintf(home_config, sizeof home_config, "%s/config", aws_dir);
    write_file(home_config, "[profile home]\nregion = from-home\n");
    memset(&environment, 0, sizeof environment);
    set_env("HOME", temp_dir);
    struct kumo_config_input input = input_none();
    input.profile_flag = "home";
    struct kumo_config config = resolve_ok(&input);
    assert_string_equal(config.config_file, home_config);
    assert_string_equal(config.credentials_file, joined(temp_dir, "/.aws/credentials"));
    assert_string_equal(config.region, "from-home");
    assert_string_equal(config.region_source, joined("profile home in ", home_config));
    kumo_config_clear(&config);
    unlink(home_config);
    rmdir(aws_dir);
}

static void test_files_tilde_expansion(void **state)
{
    (void)state;
    write_file(config_path, "[default]\nregion = tilde\n");
    memset(&environment, 0, sizeof environment);
    set_env("HOME", temp_dir);
    set_env("AWS_CONFIG_FILE", "~/config");
    set_env("AWS_SHARED_CREDENTIALS_FILE", "~/credentials");
    struct kumo_config_input input = input_none();
    struct kumo_config config = resolve_ok(&input);
    assert_string_equal(config.config_file, config_path);
    assert_string_equal(config.credentials_file, credentials_path);
    assert_string_equal(config.region, "tilde");
    kumo_config_clear(&config);
}

static void test_files_without_home(void **state)
{
    (void)state;
    memset(&environment, 0, sizeof environment);
    set_env("AWS_REGION", "eu-west-1");
    struct kumo_config_input input = input_none();
    struct kumo_config config = resolve_ok(&input);
    assert_null(config.config_file);
    assert_null(config.credentials_file);
    kumo_config_clear(&config);

    input.profile_flag = "dev";
    resolve_fails(&input, "profile 'dev' (from --profile) not found: neither ~/.aws/config "
                          "([profile dev]) nor ~/.aws/credentials ([dev]) defines it");
}

static void test_files_syntax_error(void **state)
{
    (void)state;
    write_file(config_path, "[default]\nregion = eu-west-1\nbroken line\n");
    struct kumo_config_input input = input_none();
    input.region_flag = "eu-west-1";
    char expected[1024];
    snprintf(expected, sizeof expected,
             "cannot use AWS shared file: %s: line 3: expected 'key = value' or '[section]'",
             config_path);
    resolve_fails(&input, expected);

    unlink(config_path);
    write_file(credentials_path, "aws_access_key_id = AKIA\n");
    snprintf(expected, sizeof expected,
             "cannot use AWS shared file: %s: line 1: 'key = value' before any '[section]'",
             credentials_path);
    resolve_fails(&input, expected);
}

/* ---- CA bundle ---------------------------------------------------------------- */

static void test_ca_bundle(void **state)
{
    (void)state;
    char bundle[160];
    char other[160];
    snprintf(bundle, sizeof bundle, "%s/ca.pem", temp_dir);
    snprintf(other, sizeof other, "%s/other.pem", temp_dir);
    write_file(bundle, "not checked here\n");
    write_file(other, "not checked here\n");
    char config_text[300];
    snprintf(config_text, sizeof config_text, "[default]\nregion = eu-west-1\nca_bundle = %s\n",
             other);
    write_file(config_path, config_text);
    struct kumo_config_input input = input_none();
    struct kumo_config config = resolve_ok(&input);
    assert_string_equal(config.ca_bundle, other);
    kumo_config_clear(&config);

    set_env("AWS_CA_BUNDLE", bundle);
    config = resolve_ok(&input);
    assert_string_equal(config.ca_bundle, bundle);
    kumo_config_clear(&config);

    unlink(bundle);
    char expected[1024];
    snprintf(expected, sizeof expected, "CA bundle %s (from AWS_CA_BUNDLE) cannot be read", bundle);
    resolve_fails(&input, expected);
    unlink(other);
}

/* ---- Credentials ------------------------------------------------------------------ */

static struct kumo_config resolved(struct kumo_config_input *input)
{
    input->region_flag = "us-east-1";
    return resolve_ok(input);
}

static void credentials_ok(struct kumo_config_input *input, struct kumo_config *config)
{
    char errbuf[1024] = "";
    enum kumo_config_failure result =
        kumo_config_resolve_credentials(input, config, errbuf, sizeof errbuf);
    if (result != KUMO_CONFIG_OK)
        fail_msg("credentials failed (%d): %s", (int)result, errbuf);
}

static void credentials_fail(struct kumo_config_input *input, struct kumo_config *config,
                             enum kumo_config_failure expected_result, const char *expected)
{
    char errbuf[1024] = "";
    enum kumo_config_failure result =
        kumo_config_resolve_credentials(input, config, errbuf, sizeof errbuf);
    assert_int_equal(result, expected_result);
    assert_string_equal(errbuf, expected);
    /* no secret value (all of them end in SECRET or TOKEN) is ever in a message */
    static const char *const secrets[] = {"ENVSECRET",    "FILESECRET", "DEVSECRET",
                                          "CONFIGSECRET", "ENVTOKEN",   "DEVTOKEN"};
    for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++)
        assert_null(strstr(errbuf, secrets[i]));
    assert_null(config->access_key_id);
    assert_null(config->secret_access_key);
    assert_null(config->session_token);
}

static void test_credentials_environment(void **state)
{
    (void)state;
    write_file(credentials_path, "[default]\naws_access_key_id = AKIAFILE\n"
                                 "aws_secret_access_key = FILESECRET\n");
    set_env("AWS_ACCESS_KEY_ID", "AKIAENV");
    set_env("AWS_SECRET_ACCESS_KEY", "ENVSECRET");
    struct kumo_config_input input = input_none();
    struct kumo_config config = resolved(&input);
    credentials_ok(&input, &config);
    assert_string_equal(config.access_key_id, "AKIAENV");
    assert_string_equal(config.secret_access_key, "ENVSECRET");
    assert_null(config.session_token);
    assert_string_equal(config.credential_source, "environment");

    set_env("AWS_SESSION_TOKEN", "ENVTOKEN");
    credentials_ok(&input, &config); /* a second call replaces the first */
    assert_string_equal(config.session_token, "ENVTOKEN");
    kumo_config_clear(&config);
}

static void test_credentials_half_pair_in_environment(void **state)
{
    (void)state;
    write_file(credentials_path, "[default]\naws_access_key_id = AKIAFILE\n"
                                 "aws_secret_access_key = FILESECRET\n");
    set_env("AWS_ACCESS_KEY_ID", "AKIAENV");
    struct kumo_config_input input = input_none();
    struct kumo_config config = resolved(&input);
    credentials_fail(&input, &config, KUMO_CONFIG_NO_CREDENTIALS,
                     "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not: set both, or "
                     "unset AWS_ACCESS_KEY_ID to use profile default");
    kumo_config_clear(&config);

    setup(NULL);
    set_env("AWS_SECRET_ACCESS_KEY", "ENVSECRET");
    config = resolved(&input);
    credentials_fail(&input, &config, KUMO_CONFIG_NO_CREDENTIALS,
                     "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not: set both, or "
                     "unset AWS_SECRET_ACCESS_KEY to use profile default");
    kumo_config_clear(&config);
}

static void test_credentials_file_profile(void **state)
{
    (void)state;
    write_file(credentials_path, "[default]\naws_access_key_id = AKIADEFAULT\n"
                                 "aws_secret_access_key = DEFAULTSECRET\n"
                                 "[dev]\naws_access_key_id = AKIADEV\n"
                                 "aws_secret_access_key = DEVSECRET\n"
                                 "aws_session_token = DEVTOKEN\n");
    write_file(config_path, "[profile dev]\naws_access_key_id = AKIACONFIG\n"
                            "aws_secret_access_key = CONFIGSECRET\n");
    struct kumo_config_input input = input_none();
    input.profile_flag = "dev";
    struct kumo_config config = resolved(&input);
    credentials_ok(&input, &config);
    assert_string_equal(config.access_key_id, "AKIADEV");
    assert_string_equal(config.secret_access_key, "DEVSECRET");
    assert_string_equal(config.session_token, "DEVTOKEN");
    assert_string_equal(config.credential_source, joined("profile dev in ", credentials_path));
    kumo_config_clear(&config);
}

static void test_credentials_config_file_profile(void **state)
{
    (void)state;
    write_file(credentials_path, "[dev]\nregion = us-east-1\n");
    write_file(config_path, "[profile dev]\naws_access_key_id = AKIACONFIG\n"
                            "aws_secret_access_key = CONFIGSECRET\n"
                            "[default]\naws_access_key_id = AKIACONFIGDEFAULT\n"
                            "aws_secret_access_key = CONFIGDEFAULTSECRET\n");
    struct kumo_config_input input = input_none();
    input.profile_flag = "dev";
    struct kumo_config config = resolved(&input);
    credentials_ok(&input, &config);
    assert_string_equal(config.access_key_id, "AKIACONFIG");
    assert_string_equal(config.secret_access_key, "CONFIGSECRET");
    assert_null(config.session_token);
    assert_string_equal(config.credential_source, joined("profile dev in ", config_path));
    kumo_config_clear(&config);

    input.profile_flag = NULL;
    config = resolved(&input);
    credentials_ok(&input, &config);
    assert_string_equal(config.access_key_id, "AKIACONFIGDEFAULT");
    kumo_config_clear(&config);
}

static void test_credentials_half_pair_in_file(void **state)
{
    (void)state;
    write_file(credentials_path, "[dev]\naws_access_key_id = AKIADEV\n");
    write_file(config_path, "[profile dev]\naws_access_key_id = AKIACONFIG\n"
                            "aws_secret_access_key = CONFIGSECRET\n");
    struct kumo_config_input input = input_none();
    input.profile_flag = "dev";
    struct kumo_config config = resolved(&input);
    char expected[1024];
    snprintf(expected, sizeof expected,
             "profile dev in %s has aws_access_key_id but no aws_secret_access_key: set both "
             "aws_access_key_id and aws_secret_access_key in [dev]",
             credentials_path);
    credentials_fail(&input, &config, KUMO_CONFIG_NO_CREDENTIALS, expected);
    kumo_config_clear(&config);

    write_file(credentials_path, "[dev]\n");
    write_file(config_path, "[profile dev]\naws_secret_access_key = CONFIGSECRET\n");
    config = resolved(&input);
    snprintf(expected, sizeof expected,
             "profile dev in %s has aws_secret_access_key but no aws_access_key_id: set both "
             "aws_access_key_id and aws_secret_access_key in [profile dev]",
             config_path);
    credentials_fail(&input, &config, KUMO_CONFIG_NO_CREDENTIALS, expected);
    kumo_config_clear(&config);
}

static void test_credentials_none(void **state)
{
    (void)state;
    write_file(config_path, "[profile dev]\nregion = us-east-1\n");
    struct kumo_config_input input = input_none();
    input.profile_flag = "dev";
    struct kumo_config config = resolved(&input);
    char expected[1024];
    snprintf(expected, sizeof expected,
             "no AWS credentials: searched the environment (AWS_ACCESS_KEY_ID, "
             "AWS_SECRET_ACCESS_KEY) and profile dev in %s and %s; set AWS_ACCESS_KEY_ID and "
             "AWS_SECRET_ACCESS_KEY, or aws_access_key_id and aws_secret_access_key in [dev] "
             "of %s",
             credentials_path, config_path, credentials_path);
    credentials_fail(&input, &config, KUMO_CONFIG_NO_CREDENTIALS, expected);
    kumo_config_clear(&config);
}

static void test_credentials_none_notes_other_methods(void **state)
{
    (void)state;
    write_file(config_path, "[profile dev]\nregion = us-east-1\n"
                            "role_arn = arn:aws:iam::123456789012:role/x\nsource_profile = base\n");
    struct kumo_config_input input = input_none();
    input.profile_flag = "dev";
    struct kumo_config config = resolved(&input);
    char expected[1024];
    snprintf(expected, sizeof expected,
             "no AWS credentials: searched the environment (AWS_ACCESS_KEY_ID, "
             "AWS_SECRET_ACCESS_KEY) and profile dev in %s and %s (profile dev uses role_arn, "
             "which is not read here); set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
             "aws_access_key_id and aws_secret_access_key in [dev] of %s",
             credentials_path, config_path, credentials_path);
    credentials_fail(&input, &config, KUMO_CONFIG_NO_CREDENTIALS, expected);
    kumo_config_clear(&config);
}

static void test_credentials_broken_file(void **state)
{
    (void)state;
    struct kumo_config_input input = input_none();
    struct kumo_config config = resolved(&input);
    /* the file went bad between the two calls */
    write_file(credentials_path, "[default\n");
    char expected[1024];
    snprintf(expected, sizeof expected,
             "cannot use AWS shared file: %s: line 1: missing ']' in section header",
             credentials_path);
    credentials_fail(&input, &config, KUMO_CONFIG_BAD, expected);
    kumo_config_clear(&config);
}

static void test_credentials_before_resolve(void **state)
{
    (void)state;
    struct kumo_config config;
    memset(&config, 0, sizeof config);
    struct kumo_config_input input = input_none();
    credentials_fail(&input, &config, KUMO_CONFIG_BAD,
                     "credentials asked for before the configuration was resolved");
}

static void test_clear_zeroes_everything(void **state)
{
    (void)state;
    set_env("AWS_ACCESS_KEY_ID", "AKIAENV");
    set_env("AWS_SECRET_ACCESS_KEY", "ENVSECRET");
    struct kumo_config_input input = input_none();
    struct kumo_config config = resolved(&input);
    credentials_ok(&input, &config);
    kumo_config_clear(&config);
    struct kumo_config zero;
    memset(&zero, 0, sizeof zero);
    assert_memory_equal(&config, &zero, sizeof config);
    kumo_config_clear(&config); /* twice is fine */
    kumo_config_clear(NULL);
}

static void test_process_environment(void **state)
{
    (void)state;
    /* getenv NULL reads the real environment */
    setenv("AWS_CONFIG_FILE", config_path, 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", credentials_path, 1);
    setenv("AWS_REGION", "sa-east-1", 1);
    unsetenv("AWS_PROFILE");
    unsetenv("AWS_ENDPOINT_URL");
    unsetenv("AWS_ENDPOINT_URL_EC2");
    unsetenv("AWS_CA_BUNDLE");
    struct kumo_config_input input = {0};
    struct kumo_config config = resolve_ok(&input);
    assert_string_equal(config.region, "sa-east-1");
    assert_string_equal(config.config_file, config_path);
    kumo_config_clear(&config);
    config = resolve_ok(NULL);
    assert_string_equal(config.region, "sa-east-1");
    kumo_config_clear(&config);
    unsetenv("AWS_REGION");
}

#define TEST(name) cmocka_unit_test_setup(name, setup)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_profile_default_implicit_may_be_absent),
        TEST(test_profile_from_env),
        TEST(test_profile_flag_beats_env),
        TEST(test_profile_only_in_credentials_file),
        TEST(test_profile_missing_is_an_error),
        TEST(test_bare_section_in_config_file_is_not_a_profile),
        TEST(test_profile_default_section_forms),
        TEST(test_profile_empty_flag),
        TEST(test_empty_env_profile_is_unset),
        TEST(test_region_precedence),
        TEST(test_region_credentials_file_wins_over_config_file),
        TEST(test_region_empty_env_falls_through),
        TEST(test_region_missing),
        TEST(test_region_invalid),
        TEST(test_endpoint_default),
        TEST(test_endpoint_precedence),
        TEST(test_endpoint_profile_endpoint_url),
        TEST(test_endpoint_services_in_credentials_file_ignored),
        TEST(test_endpoint_valid_forms),
        TEST(test_endpoint_invalid_forms),
        TEST(test_files_default_to_home),
        TEST(test_files_tilde_expansion),
        TEST(test_files_without_home),
        TEST(test_files_syntax_error),
        TEST(test_ca_bundle),
        TEST(test_credentials_environment),
        TEST(test_credentials_half_pair_in_environment),
        TEST(test_credentials_file_profile),
        TEST(test_credentials_config_file_profile),
        TEST(test_credentials_half_pair_in_file),
        TEST(test_credentials_none),
        TEST(test_credentials_none_notes_other_methods),
        TEST(test_credentials_broken_file),
        TEST(test_credentials_before_resolve),
        TEST(test_clear_zeroes_everything),
        TEST(test_process_environment),
    };
    return cmocka_run_group_tests_name("unit.config", tests, group_setup, group_teardown);
}
