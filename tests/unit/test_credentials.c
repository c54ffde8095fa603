/*
 * test_credentials.c - unit tests (cmocka) for the credential chain
 * (runtime/aws/credentials.c and its sources): the chain order, each source,
 * the exact STS / container / metadata requests (a scripted transport records
 * them), source-profile loops, the 15/10-minute refresh windows with a
 * settable clock, credential_process with real scripts written to a temp
 * directory, the retry settings, and that no message carries a secret.
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
#include "aws/credential_sources.h"
#include "aws/credentials.h"
#include "aws/http.h"

/* ---- Fixture: environment, temp files, scripted transport, clock ------------- */

#define MAX_VARS 24
#define MAX_ANSWERS 8
#define MAX_SENT 8

struct fake_env {
    const char *names[MAX_VARS];
    const char *values[MAX_VARS];
    int count;
};

struct answer {
    enum kumo_transport_result result;
    long status;
    const char *body;
};

struct sent {
    char method[8];
    char url[512];
    char headers[4096];
    char body[2048];
    int allow_plain_http;
    long timeout_ms;
};

struct script {
    struct answer answers[MAX_ANSWERS];
    int answer_count;
    int calls;
    struct sent sent[MAX_SENT];
};

static struct fake_env environment;
static struct script transport;
static int64_t clock_now;
static char temp_dir[64];
static char config_path[128];
static char credentials_path[128];

#define NOW_MS 1796413285000LL /* 2026-12-04T19:41:25Z */
#define SOURCE_KEY "AKIDSOURCEKEY"
#define SOURCE_SECRET "source/secret+KEY"
#define ROLE_KEY "ASIAROLEKEY"
#define ROLE_SECRET "role/secret+KEY"
#define ROLE_TOKEN "ROLE-SESSION-TOKEN"

static const char *fake_getenv(void *user_data, const char *name)
{
    struct fake_env *fake = user_data;
    for (int i = 0; i < fake->count; i++)
        if (strcmp(fake->names[i], name) == 0)
            return fake->values[i];
    return NULL;
}

static void set_env(const char *name, const char *value)
{
    assert_true(environment.count < MAX_VARS);
    environment.names[environment.count] = name;
    environment.values[environment.count] = value;
    environment.count++;
}

static enum kumo_transport_result scripted_send(void *user_data,
                                                const struct kumo_http_request *request,
                                                struct kumo_http_response *response,
                                                char *error_message, size_t error_message_size)
{
    struct script *script = user_data;
    int call = script->calls++;
    if (call < MAX_SENT) {
        struct sent *s = &script->sent[call];
        snprintf(s->method, sizeof s->method, "%s", request->method ? request->method : "GET");
        snprintf(s->url, sizeof s->url, "%s", request->url);
        size_t used = 0;
        s->headers[0] = '\0';
        for (size_t i = 0; i < request->header_count; i++)
            used += (size_t)snprintf(s->headers + used, sizeof s->headers - used, "%s: %s\n",
                                     request->headers[i].name, request->headers[i].value);
        snprintf(s->body, sizeof s->body, "%.*s", (int)request->body_length,
                 request->body ? request->body : "");
        s->allow_plain_http = request->allow_plain_http;
        s->timeout_ms = request->timeout_ms;
    }
    if (script->answer_count == 0) {
        snprintf(error_message, error_message_size, "connection refused by 127.0.0.1:9");
        return KUMO_TRANSPORT_CONNECT_FAILED;
    }
    const struct answer *a =
        &script->answers[call < script->answer_count ? call : script->answer_count - 1];
    if (a->result != KUMO_TRANSPORT_OK) {
        snprintf(error_message, error_message_size, "scripted failure");
        return a->result;
    }
    kumo_http_response_set_status(response, a->status);
    kumo_http_response_append_body(response, a->body, strlen(a->body));
    return KUMO_TRANSPORT_OK;
}

static void answer(enum kumo_transport_result result, long status, const char *body)
{
    assert_true(transport.answer_count < MAX_ANSWERS);
    transport.answers[transport.answer_count++] = (struct answer){result, status, body};
}

static int64_t test_clock(void *unused)
{
    (void)unused;
    return clock_now;
}

static void write_file(const char *path, const char *text)
{
    FILE *file = fopen(path, "wb");
    assert_non_null(file);
    fputs(text, file);
    fclose(file);
}

/* A script in the temp dir, made executable; returns its path. */
static const char *write_script(const char *name, const char *text)
{
    static char paths[4][192];
    static int next;
    char *path = paths[next++ % 4];
    snprintf(path, sizeof paths[0], "%s/%s", temp_dir, name);
    write_file(path, text);
    assert_int_equal(chmod(path, 0700), 0);
    return path;
}

static int group_setup(void **state)
{
    (void)state;
    snprintf(temp_dir, sizeof temp_dir, "/tmp/kumo-creds-XXXXXX");
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

static int setup(void **state)
{
    (void)state;
    memset(&environment, 0, sizeof environment);
    memset(&transport, 0, sizeof transport);
    clock_now = NOW_MS;
    set_env("AWS_CONFIG_FILE", config_path);
    set_env("AWS_SHARED_CREDENTIALS_FILE", credentials_path);
    set_env("AWS_REGION", "us-east-1");
    set_env("AWS_EC2_METADATA_DISABLED", "true");
    unlink(config_path);
    unlink(credentials_path);
    return 0;
}

/* The chain over the fixture; *config must be cleared by the caller. */
static struct kumo_credential_chain *new_chain(struct kumo_config *config, const char *profile)
{
    struct kumo_config_input input = {NULL, profile, NULL, fake_getenv, &environment};
    char errbuf[1024] = "";
    if (kumo_config_resolve(&input, config, errbuf, sizeof errbuf) != KUMO_CONFIG_OK)
        fail_msg("resolve failed: %s", errbuf);
    struct kumo_credential_chain *chain =
        kumo_credential_chain_new(&input, config, scripted_send, &transport, test_clock, NULL);
    assert_non_null(chain);
    return chain;
}

static void assert_no_secret(const char *text)
{
    static const char *const secrets[] = {SOURCE_SECRET, ROLE_SECRET,       ROLE_TOKEN,
                                          "IMDS-TOKEN",  "CONTAINER-TOKEN", "proc-secret"};
    for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++)
        if (strstr(text, secrets[i]))
            fail_msg("a secret (%s) leaked into: %s", secrets[i], text);
}

/* Resolves and expects success; returns the credentials. */
static const struct kumo_credentials *get_ok(struct kumo_credential_chain *chain)
{
    const struct kumo_credentials *credentials = NULL;
    char errbuf[1024] = "";
    enum kumo_config_failure kind;
    if (kumo_credential_chain_get(chain, &credentials, errbuf, sizeof errbuf, &kind) != 0)
        fail_msg("chain failed (%d): %s", (int)kind, errbuf);
    assert_non_null(credentials);
    assert_int_equal(kind, KUMO_CONFIG_OK);
    if (errbuf[0] && !strstr(errbuf, "kept the current credentials"))
        fail_msg("a success with a message: %s", errbuf);
    return credentials;
}

/* Resolves and expects failure of `kind` with a message containing `part`. */
static void get_fails(struct kumo_credential_chain *chain, enum kumo_config_failure kind,
                      const char *part)
{
    const struct kumo_credentials *credentials = NULL;
    char errbuf[1024] = "";
    enum kumo_config_failure got = KUMO_CONFIG_OK;
    assert_int_equal(kumo_credential_chain_get(chain, &credentials, errbuf, sizeof errbuf, &got),
                     -1);
    assert_null(credentials);
    if (!strstr(errbuf, part))
        fail_msg("message lacks '%s': %s", part, errbuf);
    assert_int_equal(got, kind);
    assert_no_secret(errbuf);
}

static const char sts_ok[] =
    "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
    "  <AssumeRoleResult>\n"
    "    <AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/r/s</Arn>"
    "<AssumedRoleId>AROA:s</AssumedRoleId></AssumedRoleUser>\n"
    "    <Credentials>\n"
    "      <AccessKeyId>" ROLE_KEY "</AccessKeyId>\n"
    "      <SecretAccessKey>" ROLE_SECRET "</SecretAccessKey>\n"
    "      <SessionToken>" ROLE_TOKEN "</SessionToken>\n"
    "      <Expiration>2026-12-04T20:41:25Z</Expiration>\n" /* NOW + 60 min */
    "    </Credentials>\n"
    "  </AssumeRoleResult>\n"
    "  <ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata>\n"
    "</AssumeRoleResponse>\n";

static const char sts_denied[] =
    "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error>"
    "<Type>Sender</Type><Code>AccessDenied</Code><Message>User is not authorized to perform: "
    "sts:AssumeRole</Message></Error><RequestId>req-2</RequestId></ErrorResponse>";

static const char role_profile[] = "[profile dev]\n"
                                   "role_arn = arn:aws:iam::123456789012:role/deployer\n"
                                   "source_profile = base\n";

static const char base_keys[] = "[base]\n"
                                "aws_access_key_id = " SOURCE_KEY "\n"
                                "aws_secret_access_key = " SOURCE_SECRET "\n";

/* ---- Environment and static keys ------------------------------------------- */

static void test_environment_first(void **state)
{
    (void)state;
    write_file(credentials_path, base_keys);
    set_env("AWS_PROFILE", "base");
    set_env("AWS_ACCESS_KEY_ID", "AKIDENV");
    set_env("AWS_SECRET_ACCESS_KEY", "env-secret");
    set_env("AWS_SESSION_TOKEN", "env-token");
    struct kumo_config config;
    struct kumo_credential_chain *chain = new_chain(&config, NULL);
    const struct kumo_credentials *c = get_ok(chain);
    assert_string_equal(c->access_key_id, "AKIDENV");
    assert_string_equal(c->session_token, "env-token");
    assert_string_equal(c->source, "environment");
    assert_int_equal(c->expiration_ms, 0);
    assert_int_equal(transport.calls, 0);
    kumo_credential_chain_free(chain);
    kumo_config_clear(&config);
}

static void test_environment_half_pair_is_an_error(void **state)
{
    (void)state;
    write_file(credentials_path, base_keys);
    set_env("AWS_ACCESS_KEY_ID", "AKIDENV");
    struct kumo_config config;
    struct kumo_credential_chain *chain = new_chain(&config, "base");
    get_fails(chain, KUMO_CONFIG_NO_CREDENTIALS,
              "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
    kumo_credential_chain_free(chain);
    kumo_config_clear(&config);
}

/* Every section form: [name] in credentials, [profile name] and [default] in
 * config; a bare [name] in config is not a profile. */
static void test_profile_section_forms(void **state)
{
    (void)state;
    write_file(credentials_path, "[creds]\naws_access_key_id = AKIDCREDS\n"
                                 "aws_secret_access_key = s1\n");
    write_file(config_path, "[default]\naws_access_key_id = AKIDDEFAULT\n"
                            "aws_secret_access_key = s2\n"
                            "[profile cfg]\naws_access_key_id = AKIDCFG\n"
                            "aws_secret_access_key = s3\naws_session_token = t3\n"
                            "[bare]\naws_access_key_id = AKIDBARE\naws_secret_access_key = s4\n");
    static const struct {
        const char *profile, *key, *source_file;
    } cases[] = {{"creds", "AKIDCREDS", "credentials"},
                 {NULL, "AKIDDEFAULT", "config"},
                 {"cfg", "AKIDCFG", "config"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct kumo_config config;
        struct kumo_credential_chain *chain = new_chain(&config, cases[i].profile);
        const struct kumo_credentials *c = get_ok(chain);
        assert_string_equal(c->access_key_id, cases[i].key);
        char expected[300];
        snprintf(expected, sizeof expected, "profile %s in %s/%s",
                 cases[i].profile ? cases[i].profile : "default", temp_dir, cases[i].source_file);
        assert_string_equal(c->source, expected);
        kumo_credential_chain_free(chain);
        kumo_config_clear(&config);
    }
    struct kumo_config config;
    struct kumo_config_input input = {NULL, "bare", NULL, fake_getenv, &environment};
    char errbuf[512];
    assert_int_equal(kumo_config_resolve(&input, &config, errbuf, sizeof errbuf), KUMO_CONFIG_BAD);
    assert_non_null(strstr(errbuf, "profile 'bare'"));
}

static void test_nothing_found_lists_the_places_searched(void **state)
{
    (void)state;
    struct kumo_config config;
    struct kumo_credential_chain *chain = new_chain(&config, NULL);
    get_fails(chain, KUMO_CONFIG_NO_CREDENTIALS, "no AWS credentials: searched the environment");
    get_fails(chain, KUMO_CONFIG_NO_CREDENTIALS, "disabled by AWS_EC2_METADATA_DISABLED=true");
    assert_int_equal(transport.calls, 0);
    kumo_credential_chain_free(chain);
    kumo_config_clear(&config);
}

/* ---- AssumeRole --------------------------------------------------------------- */

static void test_assume_role_request_is_exact(void **state)
{
    (void)state;
    write_file(credentials_path, base_keys);
    write_file(config_path, role_profile);
    answer(KUMO_TRANSPORT_OK, 200, sts_ok);
    struct kumo_config config;
    struct kumo_credential_chain *chain = new_chain(&config, "dev");
    const struct kumo_credentials *c = get_ok(chain);
    assert_string_equal(c->access_key_id, ROLE_KEY);
    assert_string_equal(c->secret_access_key, ROLE_SECRET);
    assert_string_equal(c->session_token, ROLE_TOKEN);
    assert_int_equal(c->expiration_ms, NOW_MS + 3600 * 1000);
    assert_string_equal(c->source,
                        "assume-role arn:aws:iam::123456789012:role/deployer via profile dev");
    assert_int_equal(transport.calls, 1);
    const struct sent *s = &transport.sent[0];
    assert_string_equal(s->method, "POST");
    assert_string_equal(s->url, "https://sts.us-east-1.amazonaws.com/");
    assert_int_equal(s->allow_plain_http, 0);
    assert_string_equal(s->body, "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%"
                                 "3A123456789012%3Arole%2Fdeployer&RoleSessionName=kumo-"
                                 "1796413285000");
    assert_non_null(strstr(s->headers, "Host: sts.us-east-1.amazonaws.com\n"));
    assert_non_null(strstr(s->headers, "Content-Type: application/x-www-form-urlencoded; "
                                       "charset=utf-8\n"));
    assert_non_null(strstr(s->headers, "X-Amz-Date: 20261204T194125Z\n"));
    assert_non_null(strstr(s->headers, "Authorization: AWS4-HMAC-SHA256 Credential=" SOURCE_KEY
                                       "/20261204/us-east-1/sts/aws4_request, "
                                       "SignedHeaders=content-type;host;x-amz-date, Signature="));
    assert_null(strstr(s->headers, "X-Amz-Security-Token"));
    kumo_credential_chain_free(chain);
    kumo_config_clear(&config);
}

static void test_assume_role_parameters_and_sts_endpoint(void **state)
{
    (void)state;
    write_file(credentials_path,
               "[base]\naws_access_key_id = " SOURCE_KEY "\naws_secret_access_key = " SOURCE_SECRET
               "\naws_session_token = SRC-TOKEN\n");
    write_file(config_path, "[profile dev]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = "
                            "base\nexternal_id = ext id/1\nduration_seconds = 1800\n"
                            "role_session_name = me@host\nservices = local\n"
                            "[services local]\nsts =\n  endpoint_url = http://127.0.0.1:4566\n");
    answer(KUMO_TRANSPORT_OK, 200, sts_ok);
    struct kumo_config config;
    struct kumo_credential_chain *chain = new_chain(&config, "dev");
    get_ok(chain);
    const struct sent *s = &transport.sent[0];
    assert_string_equal(s->url, "http://127.0.0.1:4566");
    assert_int_equal(s->allow_plain_http, 1);
    assert_string_equal(s->body, "Action=AssumeRole&Version=2011-06-15&DurationSeconds=1800&"
                                 "ExternalId=ext+id%2F1&RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fr&"
                                 "RoleSessionName=me%40host");
    assert_non_null(strstr(s->headers, "Host: 127.0.0.1:4566\n"));
    assert_non_null(strstr(s->headers, "X-Amz-Security-Token: SRC-TOKEN\n"));
    assert_non_null(strstr(s->headers, "SignedHeaders=content-type;host;x-amz-date;"
                                       "x-amz-security-token,"));
    kumo_credential_chain_free(chain);
    kumo_config_clear(&config);

    /* AWS_ENDPOINT_URL_STS wins over the profile */
    set_env("AWS_ENDPOINT_URL_STS", "https://sts.example.test/base");
    memset(&transport, 0, sizeof transport);
    answer(KUMO_TRANSPORT_OK, 200, sts_ok);
    chain = new_chain(&config, "dev");
    get_ok(chain);
    assert_string_equal(transport.sent[0].url, "https://sts.example.test/base");
    assert_non_null(strstr(transport.sent[0].headers, "Host: sts.example.test\n"));
    kumo_credential_chain_free(chain);
    kumo_config_clear(&config);
}

static void test_assume_role_denied(void **state)
{
    (void)state;
    write_file(credentials_path, base_keys);
    write_file(config_path, role_profile);
    answer(KUMO_TRANSPORT_OK, 403, sts_denied);
    struct kumo_config config;
    struct kumo_credential_chain *chain = new_chain(&config, "dev");
    get_fails(chain, KUMO_CONFIG_NO_CREDENTIALS,
              "STS AssumeRole of arn:aws:iam::123456789012:role/deployer failed: AccessDenied: "
              "User is not authorized to perform: sts:AssumeRole (HTTP 403)");
    kumo_credential_chain_free(chain);
    kumo_config_clear(&config);
}

static void test_assume_role_configuration_errors(void **state)
{
    (void)state;
    static const struct {
        const char *config, *message;
    } cases[] = {
        {"[profile dev]\nrole_arn = arn:r\n", "has role_arn but neither source_profile"},
        {"[profile dev]\nrole_arn = arn:r\nsource_profile = nope\n",
         "source_profile 'nope' of profile dev does not exist"},
        {"[profile dev]\nrole_arn = arn:r\ncredential_source = Foo\n",
         "credential_source 'Foo' is not Environment"},
        {"[profile dev]\nrole_arn = arn:r\nsource_profile = base\nduration_seconds = 60\n",
         "duration_seconds '60' must be an integer from 900 to 43200"},
        {"[profile dev]\nrole_arn = arn:r\nsource_profile = a\n"
         "[profile a]\nrole_arn = arn:a\nsource_profile = b\n"
         "[profile b]\nrole_arn = arn:b\nsource_profile = a\n",
         "source_profile loop: dev -> a -> b -> a"},
        {"[profile dev]\nrole_arn = arn:r\nsource_profile = dev\n",
         "source_profile loop: dev -> dev"},
    };
    write_file(credentials_path, base_keys);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_file(config_path, cases[i].config);
        struct kumo_config config;
        struct kumo_credential_chain *chain = new_chain(&config, "dev");
        get_fails(chain, KUMO_CONFIG_BAD, cases[i].message);
        assert_int_equal(transport.calls, 0);
        kumo_credential_chain_free(chain);
        kumo_config_clear(&config);
    }
}

static void test_assume_role_with_own_keys_and_chained(void **state)
{
    (void)state;
    /* source_profile = itself: its own static keys sign the call */
    write_file(config_path,
               "[profile dev]\nrole_arn = arn:r\nsource_profile = dev\n"
               "aws_access_key_id = " SOURCE_KEY "\naws_secret_access_key = " SOURCE_SECRET "\n");
    answer(KUMO_TRANSPORT_OK, 200, sts_ok);
    struct kumo_config config;
    struct kumo_credential_chain *chain = new_chain(&config, "dev");
    assert_string_equal(get_ok(chain)->access_key_id, ROLE_KEY);
    assert_non_null(strstr(transport.sent[0].headers, "Credential=" SOURCE_KEY "/"));
    kumo_credential_chain_free(chain);
    kumo_config_clear(&config);

    /* dev -> mid (a role itself) -> base (keys): two AssumeRole calls */
    memset(&transport, 0, sizeof transport);
    write_file(credentials_path, base_keys);
    write_file(config_path, "[profile dev]\nrole_arn = arn:outer\nsource_profile = mid\n"
                            "[profile mid]\nrole_arn = arn:inner\nsource_profile = base\n");
    answer(KUMO_TRANSPORT_OK, 200, sts_ok);
    chain = new_chain(&config, "dev");
    get_ok(chain);
    assert_int_equal(transport.calls, 2);
    assert_non_null(strstr(transport.sent[0].body, "RoleArn=arn%3Ainner"));
    assert_non_null(strstr(transport.sent[0].headers, "Credential=" SOURCE_KEY "/"));
    assert_non_null(strstr(transport.sent[1].body, "RoleArn=arn%3Aouter"));
    assert_non_null(strstr(transport.sent[1].headers, "Credential=" ROLE_KEY "/"));
    assert_non_null(strstr(transport.sent[1].headers, "X-Amz-Security-Token: " ROLE_TOKEN "\n"));
    kumo_credential_chain_free(chain);
    kumo_config_clear(&config);
}

static void test_credential_source_environment(void **state)
{
    (void)state;
    write_file(config_path, "[profile dev]\nrole_arn = arn:r\ncredential_source = Environment\n");
    set_env("AWS_PROFILE", "dev");
    struct kumo_config config;
    /* the environment's keys would win outright; credential_source is used
     * when the chain reaches the profile, so check it through a profile
     * whose environment keys are absent: no credentials */
    struct kumo_credential_chain *chain = new_chain(&config, NULL);
    get_fails(chain, KUMO_CONFIG_NO_CREDENTIALS, "credential_source Environment gave no");
    kumo_credential_chain_free(chain);
    kumo_config_clear(&config);
}

/* ---- credential_process ------------------------------------------------------ */

static void process_config(const char *command)
{
    char text[1024];
    snprintf(text, sizeof text, "[profile proc]\ncredential_process = %s\n", command);
    write_file(config_path, text);
}

static void test_process_success(void **state)
{
    (void)state;
    const char *script = write_script(
        "ok.sh", "#!/bin/sh\n"
                 "[ \"$1\" = 'two words' ] && [ \"$2\" = 'x\"y' ] || exit 9\n"
                 "printf '{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC\", \"SecretAccessKey\": "
                 "\"proc-secret\", \"SessionToken\": \"proc-token\", \"Expiration\": "
                 "\"2026-12-04T21:41:25Z\"}'\n");
    char command[400];
    snprintf(command, sizeof command, "%s 'two words' \"x\\\"y\"", script);
    process_config(command);
    struct kumo_config config;
    struct kumo_credential_chain *chain = new_chain(&config, "proc");
    const struct kumo_credentials *c = get_ok(chain);
    assert_string_equal(c->access_key_id, "AKIDPROC");
    assert_string_equal(c->secret_access_key, "proc-secret");
    assert_string_equal(c->session_token, "proc-token");
    assert_int_equal(c->expiration_ms, NOW_MS + 2 * 3600 * 1000);
    assert_string_equal(c->source, "credential_process (profile proc)");
    kumo_credential_chain_free(chain);
    kumo_config_clear(&config);
}

static void test_process_failures(void **state)
{
    (void)state;
    static const struct {
        const char *name, *script, *message;
    } cases[] = {
        {"fail.sh", "#!/bin/sh\necho 'token expired, run login' >&2\nexit 3\n",
         "exited with status 3: token expired, run login"},
        {"badjson.sh", "#!/bin/sh\necho '{\"Version\": 1, \"SecretAccessKey\": \"proc-secret\"'\n",
         "credential_process of profile proc: its output is not a JSON object"},
        {"v2.sh",
         "#!/bin/sh\necho '{\"Version\": 2, \"AccessKeyId\": \"A\", \"SecretAccessKey\": "
         "\"proc-secret\"}'\n",
         "credential_process of profile proc: unsupported \"Version\" (expected 1)"},
        {"nokey.sh", "#!/bin/sh\necho '{\"Version\": 1, \"SecretAccessKey\": \"proc-secret\"}'\n",
         "lacks AccessKeyId or SecretAccessKey"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        process_config(write_script(cases[i].name, cases[i].script));
        struct kumo_config config;
        struct kumo_credential_chain *chain = new_chain(&config, "proc");
        get_fails(chain, KUMO_CONFIG_NO_CREDENTIALS, cases[i].message);
        kumo_credential_chain_free(chain);
        kumo_config_clear(&config);
    }
    process_config("/no/such/program --flag");
    struct kumo_config config;
    struct kumo_credential_chain *chain = new_chain(&config, "proc");
    get_fails(chain, KUMO_CONFIG_NO_CREDENTIALS, "cannot run /no/such/program");
    kumo_credential_chain_free(chain);
    kumo_config_clear(&config);
    process_config("'unterminated");
    chain = new_chain(&config, "proc");
    get_fails(chain, KUMO_CONFIG_BAD, "cannot be parsed: unterminated single quote");
    kumo_credential_chain_free(chain);
    kumo_config_clear(&config);
}

static void test_process_timeout_kills_the_child(void **state)
{
    (void)state;
    const char *script = write_script("slow.sh", "#!/bin/sh\nexec sleep 30\n");
    struct kumo_credentials c = {0};
    char errbuf[512];
    enum kumo_config_failure kind;
    assert_int_equal(kumo_source_process(script, "slow", 300, &c, errbuf, sizeof errbuf, &kind),
                     KUMO_SOURCE_FAILED);
    assert_non_null(strstr(errbuf, "did not finish within 300 ms: killed"));
    assert_null(c.access_key_id);
}

/* ---- Container ------------------------------------------------------------------ */

static const char container_ok[] =
    "{\"AccessKeyId\": \"AKIDCONT\", \"SecretAccessKey\": \"cont-secret\", \"Token\": "
    "\"cont-token\", \"Expiration\": \"2026-12-04T20:41:25Z\"}";

static void test_container_relative_and_token_file(void **state)
{
    (void)state;
    char token_path[160];
    snprintf(token_path, sizeof token_path, "%s/token", temp_dir);
    write_file(token_path, "CONTAINER-TOKEN\n");
    set_env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc");
    set_env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", token_path);
    set_env("AWS_CONTAINER_AUTHORIZATION_TOKEN", "ignored");
    answer(KUMO_TRANSPORT_OK, 200, container_ok);
    struct kumo_config config;
    struct kumo_credential_chain *chain = new_chain(&config, NULL);
    const struct kumo_credentials *c = get_ok(chain);
    assert_string_equal(c->access_key_id, "AKIDCONT");
    assert_string_equal(c->session_token, "cont-token");
    assert_string_equal(c->source, "container (http://169.254.170.2)");
    assert_string_equal(transport.sent[0].method, "GET");
    assert_string_equal(transport.sent[0].url, "http://169.254.170.2/v2/credentials/abc");
    assert_int_equal(transport.sent[0].allow_plain_http, 1);
    assert_non_null(strstr(transport.sent[0].headers, "Authorization: CONTAINER-TOKEN\n"));
    kumo_credential_chain_free(chain);
    kumo_config_clear(&config);
}

static void test_container_full_uri_rules(void **state)
{
    (void)state;
    static const struct {
        const char *uri;
        int allowed;
    } cases[] = {{"http://127.0.0.1:8080/creds", 1}, {"http://127.1.2.3/x", 1},
                 {"http://localhost/x", 1},          {"http://[::1]:99/x", 1},
                 {"http://169.254.170.23/v1", 1},    {"http://[fd00:ec2::23]/v1", 1},
                 {"https://creds.example.com/x", 1}, {"http://creds.example.com/x", 0},
                 {"http://10.0.0.1/x", 0},           {"ftp://127.0.0.1/x", 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        setup(NULL);
        set_env("AWS_CONTAINER_CREDENTIALS_FULL_URI", cases[i].uri);
        set_env("AWS_CONTAINER_AUTHORIZATION_TOKEN", "CONTAINER-TOKEN");
        answer(KUMO_TRANSPORT_OK, 200, container_ok);
        struct kumo_config config;
        struct kumo_credential_chain *chain = new_chain(&config, NULL);
        if (cases[i].allowed) {
            get_ok(chain);
            assert_string_equal(transport.sent[0].url, cases[i].uri);
        } else {
            get_fails(chain, KUMO_CONFIG_BAD, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
            assert_int_equal(transport.calls, 0);
        }
        kumo_credential_chain_free(chain);
        kumo_config_clear(&config);
    }
}

static void test_container_errors(void **state)
{
    (void)state;
    set_env("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:9/creds");
    set_env("AWS_CONTAINER_AUTHORIZATION_TOKEN", "CONTAINER-TOKEN");
    answer(KUMO_TRANSPORT_OK, 401, "{\"message\": \"CONTAINER-TOKEN is wrong\"}");
    struct kumo_config config;
    struct kumo_credential_chain *chain = new_chain(&config, NULL);
    get_fails(chain, KUMO_CONFIG_NO_CREDENTIALS,
              "container credentials from http://127.0.0.1:9: HTTP 401");
    assert_int_equal(transport.calls, 1); /* a 4xx is not retried */
    kumo_credential_chain_free(chain);
    kumo_config_clear(&config);

    memset(&transport, 0, sizeof transport);
    answer(KUMO_TRANSPORT_OK, 200, "{\"AccessKeyId\": \"A\", \"SecretAccessKey\": ");
    chain = new_chain(&config, NULL);
    get_fails(chain, KUMO_CONFIG_NO_CREDENTIALS, "the answer is not a JSON object");
    kumo_credential_chain_free(chain);
    kumo_config_clear(&config);

    memset(&transport, 0, sizeof transport); /* connection refused: 3 attempts */
    chain = new_chain(&config, NULL);
    get_fails(chain, KUMO_CONFIG_NO_CREDENTIALS, "connection refused");
    assert_int_equal(transport.calls, 3);
    kumo_credential_chain_free(chain);
    kumo_config_clear(&config);
}

/* ---- Instance metadata ---------------------------------------------------------- */

static const char imds_ok[] =
    "{\"Code\": \"Success\", \"LastUpdated\": \"2026-12-04T19:00:00Z\", \"Type\": "
    "\"AWS-HMAC\", \"AccessKeyId\": \"ASIAIMDS\", \"SecretAccessKey\": \"imds-secret\", "
    "\"Token\": \"imds-session\", \"Expiration\": \"2026-12-05T01:41:25Z\"}";

static void use_imds(void)
{
    environment.values[3] = "false"; /* AWS_EC2_METADATA_DISABLED */
}

static void test_imds_requests_are_exact(void **state)
{
    (void)state;
    use_imds();
    answer(KUMO_TRANSPORT_OK, 200, "IMDS-TOKEN");
    answer(KUMO_TRANSPORT_OK, 200, "web-role\n");
    answer(KUMO_TRANSPORT_OK, 200, imds_ok);
    struct kumo_config config;
    struct kumo_credential_chain *chain = new_chain(&config, NULL);
    const struct kumo_credentials *c = get_ok(chain);
    assert_string_equal(c->access_key_id, "ASIAIMDS");
    assert_string_equal(c->session_token, "imds-session");
    assert_string_equal(c->source, "instance metadata (role web-role)");
    assert_int_equal(c->expiration_ms, NOW_MS + 6 * 3600 * 1000);
    assert_int_equal(transport.calls, 3);
    assert_string_equal(transport.sent[0].method, "PUT");
    assert_string_equal(transport.sent[0].url, "http://169.254.169.254/latest/api/token");
    assert_non_null(
        strstr(transport.sent[0].headers, "x-aws-ec2-metadata-token-ttl-seconds: 21600\n"));
    assert_int_equal(transport.sent[0].timeout_ms, 1000);
    assert_string_equal(transport.sent[1].method, "GET");
    assert_string_equal(transport.sent[1].url,
                        "http://169.254.169.254/latest/meta-data/iam/security-credentials/");
    assert_non_null(strstr(transport.sent[1].headers, "x-aws-ec2-metadata-token: IMDS-TOKEN\n"));
    assert_string_equal(
        transport.sent[2].url,
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/web-role");
    assert_non_null(strstr(transport.sent[2].headers, "x-aws-ec2-metadata-token: IMDS-TOKEN\n"));
    for (int i = 0; i < 3; i++)
        assert_int_equal(transport.sent[i].allow_plain_http, 1);
    kumo_credential_chain_free(chain);
    kumo_config_clear(&config);
}

static void test_imds_settings_and_failures(void **state)
{
    (void)state;
    use_imds();
    set_env("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1338/");
    set_env("AWS_METADATA_SERVICE_TIMEOUT", "2.5");
    set_env("AWS_METADATA_SERVICE_NUM_ATTEMPTS", "2");
    struct kumo_config config;
    struct kumo_credential_chain *chain = new_chain(&config, NULL); /* nothing answers */
    get_fails(chain, KUMO_CONFIG_NO_CREDENTIALS,
              "instance metadata at http://127.0.0.1:1338: PUT /latest/api/token: connection "
              "refused");
    assert_int_equal(transport.calls, 2);
    assert_string_equal(transport.sent[0].url, "http://127.0.0.1:1338/latest/api/token");
    assert_int_equal(transport.sent[0].timeout_ms, 2500);
    kumo_credential_chain_free(chain);
    kumo_config_clear(&config);

    static const struct {
        const char *role_answer;
        long role_status;
        const char *credentials;
        const char *message;
    } cases[] = {
        {"", 404, "", "GET /latest/meta-data/iam/security-credentials/: HTTP 404"},
        {"../x\n", 200, "", "no usable IAM role name"},
        {"r\n", 200, "{\"Code\": \"AssumeRoleUnauthorizedAccess\"}",
         "Code 'AssumeRoleUnauthorizedAccess', not 'Success'"},
        {"r\n", 200, "not json", "the credentials answer is not JSON"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memset(&transport, 0, sizeof transport);
        answer(KUMO_TRANSPORT_OK, 200, "IMDS-TOKEN");
        answer(KUMO_TRANSPORT_OK, cases[i].role_status, cases[i].role_answer);
        answer(KUMO_TRANSPORT_OK, 200, cases[i].credentials);
        chain = new_chain(&config, NULL);
        get_fails(chain, KUMO_CONFIG_NO_CREDENTIALS, cases[i].message);
        kumo_credential_chain_free(chain);
        kumo_config_clear(&config);
    }

    environment.values[environment.count - 1] = "0";
    chain = new_chain(&config, NULL);
    get_fails(chain, KUMO_CONFIG_BAD, "AWS_METADATA_SERVICE_NUM_ATTEMPTS '0'");
    kumo_credential_chain_free(chain);
    kumo_config_clear(&config);
}

/* ---- Refresh windows ---------------------------------------------------------- */

static void test_refresh_windows(void **state)
{
    (void)state;
    write_file(credentials_path, base_keys);
    write_file(config_path, role_profile);
    answer(KUMO_TRANSPORT_OK, 200, sts_ok); /* expires at NOW + 60 min */
    struct kumo_config config;
    struct kumo_credential_chain *chain = new_chain(&config, "dev");
    get_ok(chain);
    assert_int_equal(transport.calls, 1);

    clock_now = NOW_MS + 44 * 60 * 1000; /* 16 min left: cached */
    get_ok(chain);
    assert_int_equal(transport.calls, 1);

    clock_now = NOW_MS + 46 * 60 * 1000; /* 14 min left: refresh, which works */
    get_ok(chain);
    assert_int_equal(transport.calls, 2);

    /* the refreshed ones carry the same expiration (same canned answer):
     * 14 min left again; now the refresh fails and the old ones are kept */
    transport.answers[1] = (struct answer){KUMO_TRANSPORT_OK, 403, sts_denied};
    transport.answer_count = 2;
    const struct kumo_credentials *c = NULL;
    char warning[1024] = "";
    enum kumo_config_failure kind;
    assert_int_equal(kumo_credential_chain_get(chain, &c, warning, sizeof warning, &kind), 0);
    assert_int_equal(kind, KUMO_CONFIG_OK);
    assert_int_equal(transport.calls, 3);
    assert_string_equal(c->access_key_id, ROLE_KEY);
    assert_string_equal(warning, "refreshing the credentials from assume-role "
                                 "arn:aws:iam::123456789012:role/deployer via profile dev failed, "
                                 "kept the current credentials (they expire in 14 minutes): "
                                 "STS AssumeRole of arn:aws:iam::123456789012:role/deployer "
                                 "failed: AccessDenied: User is not authorized to perform: "
                                 "sts:AssumeRole (HTTP 403)");

    clock_now = NOW_MS + 51 * 60 * 1000; /* 9 min left: the failure is returned */
    get_fails(chain, KUMO_CONFIG_NO_CREDENTIALS,
              "expire within 10 minutes and could not be refreshed: STS AssumeRole");
    assert_int_equal(transport.calls, 4);

    transport.answers[1] = (struct answer){KUMO_TRANSPORT_OK, 200, sts_ok};
    clock_now = NOW_MS + 61 * 60 * 1000; /* the answer is already expired */
    get_fails(chain, KUMO_CONFIG_NO_CREDENTIALS, "have already expired");
    kumo_credential_chain_free(chain);
    kumo_config_clear(&config);
}

/* ---- Helpers and config ---------------------------------------------------------- */

static void test_iso8601(void **state)
{
    (void)state;
    int64_t ms = 0;
    assert_int_equal(kumo_iso8601_to_ms("2026-12-04T19:41:25Z", &ms), 0);
    assert_int_equal(ms, NOW_MS);
    assert_int_equal(kumo_iso8601_to_ms("2026-12-04T19:41:25.250Z", &ms), 0);
    assert_int_equal(ms, NOW_MS + 250);
    assert_int_equal(kumo_iso8601_to_ms("2026-12-04T21:41:25+02:00", &ms), 0);
    assert_int_equal(ms, NOW_MS);
    assert_int_equal(kumo_iso8601_to_ms("2026-12-04 19:41:25Z", &ms), 0);
    assert_int_equal(kumo_iso8601_to_ms("2026-12-04T19:41:25", &ms), -1);
    assert_int_equal(kumo_iso8601_to_ms("2026-13-04T19:41:25Z", &ms), -1);
    assert_int_equal(kumo_iso8601_to_ms("tomorrow", &ms), -1);
}

static void test_retry_settings(void **state)
{
    (void)state;
    write_file(config_path, "[default]\nregion = eu-west-1\nmax_attempts = 7\n"
                            "retry_mode = adaptive\n");
    struct kumo_config_input input = {NULL, NULL, NULL, fake_getenv, &environment};
    struct kumo_config config;
    char errbuf[512];
    assert_int_equal(kumo_config_resolve(&input, &config, errbuf, sizeof errbuf), KUMO_CONFIG_OK);
    assert_int_equal(config.max_attempts, 7);
    assert_string_equal(config.retry_mode, "adaptive");
    char expected[300];
    snprintf(expected, sizeof expected, "profile default in %s", config_path);
    assert_string_equal(config.max_attempts_source, expected);
    assert_string_equal(config.retry_mode_source, expected);
    kumo_config_clear(&config);

    set_env("AWS_MAX_ATTEMPTS", "2");
    set_env("AWS_RETRY_MODE", "legacy");
    assert_int_equal(kumo_config_resolve(&input, &config, errbuf, sizeof errbuf), KUMO_CONFIG_OK);
    assert_int_equal(config.max_attempts, 2);
    assert_string_equal(config.max_attempts_source, "AWS_MAX_ATTEMPTS");
    assert_string_equal(config.retry_mode, "legacy");
    assert_string_equal(config.retry_mode_source, "AWS_RETRY_MODE");
    kumo_config_clear(&config);

    environment.values[environment.count - 2] = "0";
    assert_int_equal(kumo_config_resolve(&input, &config, errbuf, sizeof errbuf), KUMO_CONFIG_BAD);
    assert_string_equal(errbuf, "invalid max_attempts '0' (from AWS_MAX_ATTEMPTS): expected a "
                                "positive integer (at most 1000)");
    environment.values[environment.count - 2] = "3";
    environment.values[environment.count - 1] = "fast";
    assert_int_equal(kumo_config_resolve(&input, &config, errbuf, sizeof errbuf), KUMO_CONFIG_BAD);
    assert_string_equal(errbuf, "invalid retry_mode 'fast' (from AWS_RETRY_MODE): expected "
                                "standard, adaptive or legacy");
}

#define TEST(name) cmocka_unit_test_setup(name, setup)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_environment_first),
        TEST(test_environment_half_pair_is_an_error),
        TEST(test_profile_section_forms),
        TEST(test_nothing_found_lists_the_places_searched),
        TEST(test_assume_role_request_is_exact),
        TEST(test_assume_role_parameters_and_sts_endpoint),
        TEST(test_assume_role_denied),
        TEST(test_assume_role_configuration_errors),
        TEST(test_assume_role_with_own_keys_and_chained),
        TEST(test_credential_source_environment),
        TEST(test_process_success),
        TEST(test_process_failures),
        TEST(test_process_timeout_kills_the_child),
        TEST(test_container_relative_and_token_file),
        TEST(test_container_full_uri_rules),
        TEST(test_container_errors),
        TEST(test_imds_requests_are_exact),
        TEST(test_imds_settings_and_failures),
        TEST(test_refresh_windows),
        TEST(test_iso8601),
        TEST(test_retry_settings),
    };
    return cmocka_run_group_tests_name("unit.credentials", tests, group_setup, group_teardown);
}
