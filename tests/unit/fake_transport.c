/*
 * fake_transport.c - the scripted transport, test data reader, environment
 * cleaner and runtime constructor shared by the end-to-end unit tests (see
 * fake_transport.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_transport.h"

/* Copies `length` bytes of `text` into `out` (NUL-terminated); counts a cut. */
static void record(struct fake_transport *fake, char *out, size_t size, const char *text,
                   size_t length)
{
    if (length >= size) {
        fake->truncated++;
        length = size - 1;
    }
    if (length > 0)
        memcpy(out, text, length);
    out[length] = '\0';
}

static void record_headers(struct fake_transport *fake, char *out, size_t size,
                           const struct kumo_http_request *request)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < request->header_count; i++) {
        int n = snprintf(out + used, size - used, "%s: %s\n", request->headers[i].name,
                         request->headers[i].value);
        if (n < 0 || (size_t)n >= size - used) {
            fake->truncated++;
            return;
        }
        used += (size_t)n;
    }
}

enum kumo_transport_result fake_send(void *user_data, const struct kumo_http_request *request,
                                     struct kumo_http_response *response, char *error_message,
                                     size_t error_message_size)
{
    struct fake_transport *fake = user_data;
    size_t call = fake->calls++;
    const char *body = request->body ? request->body : "";
    record(fake, fake->last_url, sizeof fake->last_url, request->url, strlen(request->url));
    record(fake, fake->last_body, sizeof fake->last_body, body, request->body_length);
    record_headers(fake, fake->last_headers, sizeof fake->last_headers, request);
    if (call < FAKE_MAX_REQUESTS) {
        memcpy(fake->urls[call], fake->last_url, sizeof fake->last_url);
        memcpy(fake->bodies[call], fake->last_body, sizeof fake->last_body);
        memcpy(fake->headers[call], fake->last_headers, sizeof fake->last_headers);
    }
    if (fake->answer_count == 0) {
        snprintf(error_message, error_message_size, "fake transport: no canned answer");
        return KUMO_TRANSPORT_FAILED;
    }
    size_t count = fake->answer_count < FAKE_MAX_ANSWERS ? fake->answer_count : FAKE_MAX_ANSWERS;
    const struct canned *answer = &fake->answers[call < count ? call : count - 1];
    if (answer->result != KUMO_TRANSPORT_OK) {
        snprintf(error_message, error_message_size, "fake failure for 127.0.0.1:9");
        return answer->result;
    }
    kumo_http_response_set_status(response, answer->status);
    const char *answer_body = answer->body ? answer->body : "";
    if (kumo_http_response_append_body(response, answer_body, strlen(answer_body)) != 0)
        return KUMO_TRANSPORT_TOO_LARGE;
    return KUMO_TRANSPORT_OK;
}

int64_t fixed_clock(void *unused)
{
    (void)unused;
    return TEST_NOW_MS;
}

void capture_log(void *user_data, enum kumo_log_level level, const char *message)
{
    struct log_capture *capture = user_data;
    size_t used = strlen(capture->text);
    snprintf(capture->text + used, sizeof capture->text - used, "%d %s\n", (int)level, message);
}

static void quiet_log(void *user_data, enum kumo_log_level level, const char *message)
{
    (void)user_data;
    (void)level;
    (void)message;
}

char *read_testdata(const char *relative)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", KUMO_TESTDATA_DIR, relative);
    FILE *file = fopen(path, "rb");
    if (!file)
        fail_msg("cannot open %s", path);
    assert_int_equal(fseek(file, 0, SEEK_END), 0);
    long size = ftell(file);
    assert_true(size >= 0);
    assert_int_equal(fseek(file, 0, SEEK_SET), 0);
    char *data = malloc((size_t)size + 1);
    assert_non_null(data);
    assert_int_equal(fread(data, 1, (size_t)size, file), (size_t)size);
    data[size] = '\0';
    fclose(file);
    return data;
}

void clean_aws_environment(void)
{
    static const char *const names[] = {"AWS_REGION",
                                        "AWS_DEFAULT_REGION",
                                        "AWS_PROFILE",
                                        "AWS_ENDPOINT_URL",
                                        "AWS_ENDPOINT_URL_EC2",
                                        "AWS_ACCESS_KEY_ID",
                                        "AWS_SECRET_ACCESS_KEY",
                                        "AWS_SESSION_TOKEN",
                                        "AWS_CA_BUNDLE",
                                        "KUMO_STDLIB_PATH",
                                        NULL};
    for (size_t i = 0; names[i]; i++)
        unsetenv(names[i]);
    setenv("AWS_CONFIG_FILE", "/nonexistent/kumo-test/config", 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/kumo-test/credentials", 1);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
}

void set_test_credentials(int with_token)
{
    setenv("AWS_ACCESS_KEY_ID", TEST_KEY_ID, 1);
    setenv("AWS_SECRET_ACCESS_KEY", TEST_SECRET, 1);
    if (with_token)
        setenv("AWS_SESSION_TOKEN", TEST_TOKEN, 1);
}

struct kumo_runtime *new_test_runtime(struct fake_transport *fake, struct log_capture *log,
                                      const char *region)
{
    struct kumo_options options = {
        .region = region,
        .endpoint = "http://127.0.0.1:5000",
        .transport = fake_send,
        .transport_data = fake,
        .clock = fixed_clock,
        .log = log ? capture_log : quiet_log,
        .log_data = log,
        .log_level = log ? KUMO_LOG_DEBUG : KUMO_LOG_ERROR,
        .stdlib_path = NULL,
    };
    struct kumo_error *error = NULL;
    struct kumo_runtime *runtime = kumo_runtime_new(&options, &error);
    assert_null(error);
    assert_non_null(runtime);
    return runtime;
}

const char lua_expect_prelude[] =
    "local function show(v)\n"
    "  if type(v) == 'string' then return string.format('%q', v) end\n"
    "  if type(v) == 'number' then return math.type(v) .. ':' .. tostring(v) end\n"
    "  if type(v) ~= 'table' then return tostring(v) end\n"
    "  local keys = {}\n"
    "  for k in pairs(v) do keys[#keys + 1] = k end\n"
    "  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)\n"
    "  local parts = {}\n"
    "  for _, k in ipairs(keys) do parts[#parts + 1] = tostring(k) .. '=' .. show(v[k]) end\n"
    "  return '{' .. table.concat(parts, ', ') .. '}'\n"
    "end\n"
    "function expect(actual, expected, what)\n"
    "  local a, e = show(actual), show(expected)\n"
    "  if a ~= e then\n"
    "    error((what or 'value') .. ':\\n  got      ' .. a .. '\\n  expected ' .. e, 2)\n"
    "  end\n"
    "end\n";

void run_ok(struct kumo_runtime *runtime, const char *script)
{
    struct kumo_error *error = NULL;
    enum kumo_status status = kumo_runtime_run_string(runtime, "=t", script, NULL, &error);
    if (status != KUMO_OK) {
        const char *message = error && error->message ? error->message : "(no message)";
        char copy[4096];
        snprintf(copy, sizeof copy, "%s", message);
        kumo_error_free(error);
        fail_msg("script failed: %s", copy);
    }
}
