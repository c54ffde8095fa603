/*
 * fake_transport.h - what the end-to-end unit tests share: a scripted
 * transport (a test double behind the kumo_transport_fn seam) that answers
 * with canned responses and records every request, the test data reader,
 * an AWS environment cleaner, and a runtime constructor with a pinned clock
 * and a log capture.
 *
 *   struct fake_transport fake = {
 *       .answers = {{KUMO_TRANSPORT_OK, 200, body}, {KUMO_TRANSPORT_FAILED, 0, ""}},
 *       .answer_count = 2};
 *   struct log_capture log = {{0}};
 *   clean_aws_environment();
 *   set_test_credentials(0);
 *   struct kumo_runtime *runtime = new_test_runtime(&fake, &log, "us-east-1");
 *   ... kumo_runtime_run_string(runtime, ...) ...
 *   fake.calls, fake.bodies[0], fake.last_headers, log.text
 *
 * Request N (0-based) gets answers[N]; once the answers run out, the last
 * one is repeated. With no answers at all, every request fails with
 * KUMO_TRANSPORT_FAILED (a test that expects nothing to be sent checks
 * `calls == 0`).
 */
#ifndef KUMO_TESTS_FAKE_TRANSPORT_H
#define KUMO_TESTS_FAKE_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "kumo.h"

#define TEST_KEY_ID "AKIDEXAMPLE"
#define TEST_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define TEST_TOKEN "SESSIONTOKENEXAMPLE/abc+def="
/* 2026-12-04T19:41:25Z, the pinned clock of every test runtime */
#define TEST_NOW_MS 1796413285000LL

#define FAKE_MAX_ANSWERS 16
#define FAKE_MAX_REQUESTS 16 /* requests recorded in full; `calls` counts them all */
#define FAKE_URL_SIZE 512
#define FAKE_BODY_SIZE 16384
#define FAKE_HEADERS_SIZE 4096

/* One canned answer. A non-OK `result` is returned as the transport failure
 * (status and body unused); otherwise `status` and `body` (NUL-terminated)
 * are the HTTP answer. */
struct canned {
    enum kumo_transport_result result;
    long status;
    const char *body;
};

struct fake_transport {
    /* set by the test */
    struct canned answers[FAKE_MAX_ANSWERS];
    size_t answer_count;
    /* recorded by the transport */
    size_t calls;                                       /* requests received */
    size_t truncated;                                   /* recordings cut at their buffer size */
    char urls[FAKE_MAX_REQUESTS][FAKE_URL_SIZE];        /* request URLs, in order */
    char bodies[FAKE_MAX_REQUESTS][FAKE_BODY_SIZE];     /* request bodies, in order */
    char headers[FAKE_MAX_REQUESTS][FAKE_HEADERS_SIZE]; /* "name: value\n" lines, in order */
    char last_url[FAKE_URL_SIZE];                       /* the latest request, always */
    char last_body[FAKE_BODY_SIZE];
    char last_headers[FAKE_HEADERS_SIZE];
};

/* The kumo_transport_fn of the fake; user_data is a struct fake_transport. */
enum kumo_transport_result fake_send(void *user_data, const struct kumo_http_request *request,
                                     struct kumo_http_response *response, char *error_message,
                                     size_t error_message_size);

/* A kumo_clock_fn that always answers TEST_NOW_MS. */
int64_t fixed_clock(void *unused);

/* Log lines as "<level number> <message>\n", in order ("2 careful\n"). */
struct log_capture {
    char text[16384];
};

/* The kumo_log_fn that appends to a struct log_capture. */
void capture_log(void *user_data, enum kumo_log_level level, const char *message);

/* The contents of ${KUMO_TESTDATA_DIR}/relative, NUL-terminated; fails the
 * test when it cannot be read. Free with free(). */
char *read_testdata(const char *relative);

/* Unsets every AWS_* and KUMO_* variable a runtime reads, and points the
 * shared config and credentials files at paths that do not exist, so the
 * developer's own AWS setup never leaks into a test. */
void clean_aws_environment(void);

/* Sets TEST_KEY_ID / TEST_SECRET (and TEST_TOKEN when with_token) in the
 * environment. */
void set_test_credentials(int with_token);

/* A runtime over `fake`, endpoint http://127.0.0.1:5000, the pinned clock,
 * `region` (NULL: none configured). With `log`, every line from DEBUG up is
 * captured there; with NULL, lines are dropped. Fails the test on error. */
struct kumo_runtime *new_test_runtime(struct fake_transport *fake, struct log_capture *log,
                                      const char *region);

/* Lua source defining the global expect(actual, expected, what), a deep
 * comparison that tells integers, floats and strings apart; run it once per
 * runtime (run_ok(runtime, lua_expect_prelude)). */
extern const char lua_expect_prelude[];

/* Runs `script` as chunk "t"; fails the test with the script's error if it
 * raises. */
void run_ok(struct kumo_runtime *runtime, const char *script);

#endif /* KUMO_TESTS_FAKE_TRANSPORT_H */
