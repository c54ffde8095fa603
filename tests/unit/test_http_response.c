/*
 * test_http_response.c - unit tests (cmocka) for the response object that
 * every transport fills through the public setters of kumo.h
 * (kumo_http_response_set_status / _add_header / _append_body) and its
 * private init/clear pair in runtime/aws/http.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "aws/http.h"

static int add(struct kumo_http_response *response, const char *name, const char *value)
{
    return kumo_http_response_add_header(response, name, strlen(name), value, strlen(value));
}

static void test_init_and_status(void **state)
{
    (void)state;
    struct kumo_http_response response;
    memset(&response, 0xab, sizeof response);
    kumo_http_response_init(&response, 100);
    assert_int_equal(response.status, 0);
    assert_int_equal(response.max_body_bytes, 100);
    assert_int_equal(response.body.length, 0);
    assert_null(response.date);
    assert_null(response.request_id);
    assert_null(response.content_type);
    kumo_http_response_set_status(&response, 503);
    assert_int_equal(response.status, 503);
    kumo_http_response_clear(&response);

    kumo_http_response_init(&response, 0);
    assert_int_equal(response.max_body_bytes, KUMO_HTTP_DEFAULT_MAX_BODY_BYTES);
    kumo_http_response_clear(&response);
}

static void test_body_cap(void **state)
{
    (void)state;
    struct kumo_http_response response;
    kumo_http_response_init(&response, 10);
    assert_int_equal(kumo_http_response_append_body(&response, "hello", 5), 0);
    assert_int_equal(kumo_http_response_append_body(&response, "", 0), 0);
    assert_int_equal(kumo_http_response_append_body(&response, "world", 5), 0); /* exactly 10 */
    assert_string_equal(kumo_strbuf_cstr(&response.body), "helloworld");
    assert_int_equal(kumo_http_response_append_body(&response, "!", 1), -1);
    assert_int_equal(response.body.length, 10); /* nothing appended on refusal */
    assert_int_equal(kumo_http_response_append_body(&response, "x", SIZE_MAX), -1);
    kumo_http_response_clear(&response);
    /* clear keeps the cap, so the same response can take the next attempt */
    assert_int_equal(response.max_body_bytes, 10);
    assert_int_equal(response.body.length, 0);
    assert_int_equal(kumo_http_response_append_body(&response, "0123456789", 10), 0);
    kumo_http_response_clear(&response);
}

static void test_headers_kept(void **state)
{
    (void)state;
    struct kumo_http_response response;
    kumo_http_response_init(&response, 10);
    assert_int_equal(add(&response, "Date", " Tue, 03 Dec 2024 10:00:00 GMT\r\n"), 0);
    assert_int_equal(add(&response, "X-AMZN-RequestId", "abc-123"), 0);
    assert_int_equal(add(&response, "content-type", "\ttext/xml;charset=UTF-8 "), 0);
    assert_int_equal(add(&response, "Set-Cookie", "ignored=1"), 0);
    assert_int_equal(add(&response, "Dat", "not date"), 0);
    assert_int_equal(add(&response, "Dates", "not date"), 0);
    assert_string_equal(response.date, "Tue, 03 Dec 2024 10:00:00 GMT");
    assert_string_equal(response.request_id, "abc-123");
    assert_string_equal(response.content_type, "text/xml;charset=UTF-8");

    /* the S3-style name too; a later header replaces an earlier one */
    assert_int_equal(add(&response, "x-amz-request-id", "def-456"), 0);
    assert_string_equal(response.request_id, "def-456");
    /* the name is not NUL-terminated where the transport hands it over */
    assert_int_equal(kumo_http_response_add_header(&response, "Date: x", 4, "later", 5), 0);
    assert_string_equal(response.date, "later");
    assert_int_equal(add(&response, "Content-Type", ""), 0);
    assert_string_equal(response.content_type, "");
    kumo_http_response_clear(&response);
    assert_null(response.date);
    assert_null(response.request_id);
    assert_null(response.content_type);
    assert_int_equal(response.status, 0);
    kumo_http_response_clear(&response); /* twice is fine */
    kumo_http_response_clear(NULL);
}

static void test_transport_new_and_free(void **state)
{
    (void)state;
    struct kumo_curl_transport *first = kumo_curl_transport_new();
    struct kumo_curl_transport *second = kumo_curl_transport_new();
    assert_non_null(first);
    assert_non_null(second);
    kumo_curl_transport_free(first);
    kumo_curl_transport_free(second);
    kumo_curl_transport_free(NULL);
}

static void test_transport_rejects_bad_requests(void **state)
{
    (void)state;
    struct kumo_curl_transport *transport = kumo_curl_transport_new();
    assert_non_null(transport);
    struct kumo_http_response response;
    kumo_http_response_init(&response, 100);
    char error[200];
    struct kumo_http_request request;
    memset(&request, 0, sizeof request);

    assert_int_equal(kumo_curl_transport_send(transport, &request, &response, error, sizeof error),
                     KUMO_TRANSPORT_FAILED);
    assert_string_equal(error, "HTTP request without a URL");

    request.url = "https://127.0.0.1:9/";
    request.method = "post";
    assert_int_equal(kumo_curl_transport_send(transport, &request, &response, error, sizeof error),
                     KUMO_TRANSPORT_FAILED);
    assert_string_equal(error, "invalid HTTP method for 127.0.0.1:9");

    request.method = "POST";
    request.body_length = 5;
    assert_int_equal(kumo_curl_transport_send(transport, &request, &response, error, sizeof error),
                     KUMO_TRANSPORT_FAILED);
    assert_string_equal(error, "HTTP request body missing for 127.0.0.1:9");

    request.body_length = 0;
    struct kumo_http_header bad_name = {"Bad Name", "x"};
    request.headers = &bad_name;
    request.header_count = 1;
    assert_int_equal(kumo_curl_transport_send(transport, &request, &response, error, sizeof error),
                     KUMO_TRANSPORT_FAILED);
    assert_string_equal(error, "invalid HTTP header name or value for 127.0.0.1:9");

    request.headers = NULL;
    request.header_count = 0;
    request.url = "http://user:pw@example.com:8080/path?Signature=s";
    assert_int_equal(kumo_curl_transport_send(transport, &request, &response, error, sizeof error),
                     KUMO_TRANSPORT_FAILED);
    assert_string_equal(error, "refusing to connect to example.com:8080: only https:// URLs are "
                               "allowed here");
    assert_int_equal(response.status, 0);
    kumo_http_response_clear(&response);
    kumo_curl_transport_free(transport);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_and_status),
        cmocka_unit_test(test_body_cap),
        cmocka_unit_test(test_headers_kept),
        cmocka_unit_test(test_transport_new_and_free),
        cmocka_unit_test(test_transport_rejects_bad_requests),
    };
    return cmocka_run_group_tests_name("http.response", tests, NULL, NULL);
}
