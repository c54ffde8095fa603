/*
 * test_sigv4.c - unit tests of kumo_sigv4_sign() beyond the official
 * vectors (test_sigv4_vectors.c): rejected input, X-Amz-Date formatting,
 * path normalisation and encoding, canonical query strings, header
 * trimming/joining, session tokens, SHA-256, and output ownership.
 * Table-driven; each check compares one stage of the output exactly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aws/sigv4.h"

#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static const struct kumo_http_header host_only[] = {{"Host", "example.amazonaws.com"}};

/* A valid GET / request at the suites' time (2015-08-30T12:36:00Z). */
static struct kumo_sigv4_input base_input(void)
{
    struct kumo_sigv4_input in = {0};
    in.method = "GET";
    in.path = "/";
    in.headers = host_only;
    in.header_count = 1;
    in.access_key_id = "AKIDEXAMPLE";
    in.secret_access_key = SECRET;
    in.region = "us-east-1";
    in.service = "service";
    in.unix_seconds = 1440938160;
    in.normalize_path = true;
    return in;
}

/* Line `index` (0-based) of the canonical request, copied into out. */
static void creq_line(const struct kumo_sigv4_output *out, int index, char *line, size_t size)
{
    const char *p = out->canonical_request;
    for (int i = 0; i < index; i++) {
        p = strchr(p, '\n');
        assert_non_null(p);
        p++;
    }
    size_t n = strcspn(p, "\n");
    assert_true(n < size);
    memcpy(line, p, n);
    line[n] = '\0';
}

static void assert_cleared(const struct kumo_sigv4_output *out)
{
    assert_null(out->canonical_request);
    assert_null(out->string_to_sign);
    assert_null(out->signed_headers);
    assert_null(out->authorization);
    assert_int_equal(out->amz_date[0], 0);
    assert_int_equal(out->signature[0], 0);
}

/* ---- rejected input ------------------------------------------------------ */

static void test_rejects_bad_input(void **state)
{
    static const struct kumo_http_header no_host[] = {{"Content-Type", "text/plain"}};
    static const struct kumo_http_header with_date[] = {{"Host", "h"}, {"X-Amz-Date", "x"}};
    static const struct kumo_http_header with_auth[] = {{"Host", "h"}, {"authorization", "x"}};
    static const struct kumo_http_header with_token[] = {{"Host", "h"},
                                                         {"X-Amz-Security-Token", "t"}};
    static const struct kumo_http_header bad_name[] = {{"Host", "h"}, {"My Header", "x"}};
    static const struct kumo_http_header colon_name[] = {{"Host", "h"}, {"a:b", "x"}};
    static const struct kumo_http_header empty_name[] = {{"Host", "h"}, {"", "x"}};
    static const struct kumo_http_header null_value[] = {{"Host", NULL}};
    struct kumo_sigv4_output out;
    struct kumo_sigv4_input in;

    for (int c = 0; c < 21; c++) {
        in = base_input();
        switch (c) {
        case 0:
            in.method = NULL;
            break;
        case 1:
            in.method = "";
            break;
        case 2:
            in.path = NULL;
            break;
        case 3:
            in.headers = no_host;
            break;
        case 4:
            in.headers = with_date;
            in.header_count = 2;
            break;
        case 5:
            in.headers = with_auth;
            in.header_count = 2;
            break;
        case 6:
            in.headers = with_token;
            in.header_count = 2;
            in.session_token = "t";
            in.sign_session_token = true;
            break;
        case 7:
            in.headers = bad_name;
            in.header_count = 2;
            break;
        case 8:
            in.headers = colon_name;
            in.header_count = 2;
            break;
        case 9:
            in.headers = empty_name;
            in.header_count = 2;
            break;
        case 10:
            in.headers = null_value;
            break;
        case 11:
            in.headers = NULL;
            break;
        case 12:
            in.header_count = 0;
            break; /* no Host at all */
        case 13:
            in.payload = NULL;
            in.payload_length = 3;
            break;
        case 14:
            in.access_key_id = "";
            break;
        case 15:
            in.secret_access_key = NULL;
            break;
        case 16:
            in.region = "us/east";
            break;
        case 17:
            in.service = NULL;
            break;
        case 18:
            in.unix_seconds = -1;
            break;
        case 19:
            in.unix_seconds = INT64_C(253402300800);
            break; /* year 10000 */
        case 20:
            in.access_key_id = "AKID EXAMPLE";
            break;
        }
        memset(&out, 0x5a, sizeof out); /* garbage in: must come back cleared */
        if (kumo_sigv4_sign(&in, &out) != -1)
            fail_msg("bad input case %d was accepted", c);
        assert_cleared(&out);
    }
    in = base_input();
    assert_int_equal(kumo_sigv4_sign(NULL, &out), -1);
    assert_int_equal(kumo_sigv4_sign(&in, NULL), -1);
}

/* ---- X-Amz-Date ---------------------------------------------------------- */

static void test_amz_date(void **state)
{
    static const struct {
        int64_t seconds;
        const char *date;
    } cases[] = {
        {0, "19700101T000000Z"},          {951782399, "20000228T235959Z"},
        {951782400, "20000229T000000Z"},  {1234567890, "20090213T233130Z"},
        {1440938160, "20150830T123600Z"}, {1709164800, "20240229T000000Z"},
        {4102444800, "21000101T000000Z"}, {INT64_C(253402300799), "99991231T235959Z"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct kumo_sigv4_input in = base_input();
        struct kumo_sigv4_output out;
        char scope[64];
        in.unix_seconds = cases[i].seconds;
        assert_int_equal(kumo_sigv4_sign(&in, &out), 0);
        assert_string_equal(out.amz_date, cases[i].date);
        /* the scope date is the first 8 characters */
        snprintf(scope, sizeof scope, "Credential=AKIDEXAMPLE/%.8s/us-east-1/", cases[i].date);
        assert_non_null(strstr(out.authorization, scope));
        kumo_sigv4_output_clear(&out);
    }
}

/* ---- canonical URI --------------------------------------------------------- */

static void test_canonical_uri(void **state)
{
    static const struct {
        const char *path;
        bool normalize;
        const char *uri;
    } cases[] = {
        /* normalised: botocore's remove_dot_segments, then encoded again */
        {"", true, "/"},
        {"/", true, "/"},
        {"//", true, "/"},
        {"/a/./b/../c/", true, "/a/c/"},
        {"/../..", true, "/"},
        {"/a/..", true, "/"},
        {"/a/b/..", true, "/a"},
        {"/a/b/.", true, "/a/b"},
        {"/./", true, "/"},
        {"/a/../b/", true, "/b/"},
        {"/a//b", true, "/a/b"},
        {"a/b", true, "a/b"},
        /* encoding: everything but unreserved and '/'; '%' too (double) */
        {"/a b", true, "/a%20b"},
        {"/%41", true, "/%2541"},
        {"/\xc3\xa9", true, "/%C3%A9"},
        {"/$x*y+z", true, "/%24x%2Ay%2Bz"},
        {"/-._~", true, "/-._~"},
        /* not normalised: as given */
        {"", false, "/"},
        {"//a/./b/../", false, "//a/./b/../"},
        {"/a b", false, "/a%20b"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct kumo_sigv4_input in = base_input();
        struct kumo_sigv4_output out;
        char line[256];
        in.path = cases[i].path;
        in.normalize_path = cases[i].normalize;
        assert_int_equal(kumo_sigv4_sign(&in, &out), 0);
        creq_line(&out, 1, line, sizeof line);
        if (strcmp(line, cases[i].uri) != 0)
            fail_msg("path \"%s\" (normalize %d): expected \"%s\", got \"%s\"", cases[i].path,
                     cases[i].normalize, cases[i].uri, line);
        kumo_sigv4_output_clear(&out);
    }
}

/* ---- canonical query string ------------------------------------------------ */

static void test_canonical_query(void **state)
{
    static const struct {
        const char *query;
        const char *canonical;
    } cases[] = {
        {NULL, ""},
        {"", ""},
        {"b=2&a=1", "a=1&b=2"},
        {"a=2&a=1", "a=1&a=2"},
        {"B=1&a=1", "B=1&a=1"}, /* byte order: uppercase first */
        {"a", "a="},
        {"a=&b", "a=&b="},
        {"x=1&&y=2&", "x=1&y=2"},
        {"=v", "=v"},
        {"k=a=b", "k=a%3Db"},
        {"k=a+b", "k=a%2Bb"},
        {"k=sp ace", "k=sp%20ace"},
        {"k=%e1%88%b4", "k=%E1%88%B4"},
        {"k=%E1%88%B4", "k=%E1%88%B4"},
        {"k=100%", "k=100%25"},
        {"k=%zz&j=%4", "j=%254&k=%25zz"},
        {"k=%7E%2d", "k=~-"},
        {"Action=DescribeVpcs&Version=2016-11-15", "Action=DescribeVpcs&Version=2016-11-15"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct kumo_sigv4_input in = base_input();
        struct kumo_sigv4_output out;
        char line[256];
        in.query = cases[i].query;
        assert_int_equal(kumo_sigv4_sign(&in, &out), 0);
        creq_line(&out, 2, line, sizeof line);
        if (strcmp(line, cases[i].canonical) != 0)
            fail_msg("query \"%s\": expected \"%s\", got \"%s\"",
                     cases[i].query ? cases[i].query : "(null)", cases[i].canonical, line);
        kumo_sigv4_output_clear(&out);
    }
}

/* ---- headers ---------------------------------------------------------------- */

static void test_canonical_headers(void **state)
{
    static const struct kumo_http_header headers[] = {
        {"X-B", "  a \t b\n   c  "},
        {"Host", "example.amazonaws.com"},
        {"x-a", "2"},
        {"X-A", " 1 "},
        {"X-Empty", ""},
        {"X-Blank", " \t "},
        {"x-b", "d"},
    };
    struct kumo_sigv4_input in = base_input();
    struct kumo_sigv4_output out;
    in.headers = headers;
    in.header_count = sizeof headers / sizeof headers[0];
    assert_int_equal(kumo_sigv4_sign(&in, &out), 0);
    assert_string_equal(out.canonical_request,
                        "GET\n/\n\n"
                        "host:example.amazonaws.com\n"
                        "x-a:2,1\n"
                        "x-amz-date:20150830T123600Z\n"
                        "x-b:a b c,d\n"
                        "x-blank:\n"
                        "x-empty:\n"
                        "\n"
                        "host;x-a;x-amz-date;x-b;x-blank;x-empty\n" EMPTY_SHA256);
    assert_string_equal(out.signed_headers, "host;x-a;x-amz-date;x-b;x-blank;x-empty");
    kumo_sigv4_output_clear(&out);
}

static void test_header_order_does_not_matter(void **state)
{
    static const struct kumo_http_header first[] = {
        {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
        {"Host", "ec2.us-east-1.amazonaws.com"}};
    static const struct kumo_http_header second[] = {
        {"host", "ec2.us-east-1.amazonaws.com"},
        {"CONTENT-TYPE", "application/x-www-form-urlencoded; charset=utf-8"}};
    static const char body[] = "Action=DescribeVpcs&Version=2016-11-15";
    struct kumo_sigv4_input in = base_input();
    struct kumo_sigv4_output a, b;

    in.method = "POST";
    in.payload = body;
    in.payload_length = strlen(body);
    in.service = "ec2";
    in.headers = first;
    in.header_count = 2;
    assert_int_equal(kumo_sigv4_sign(&in, &a), 0);
    in.headers = second;
    assert_int_equal(kumo_sigv4_sign(&in, &b), 0);
    assert_string_equal(a.canonical_request, b.canonical_request);
    assert_string_equal(a.authorization, b.authorization);
    assert_string_equal(a.signed_headers, "content-type;host;x-amz-date");
    /* EC2: no x-amz-content-sha256 added; the body hash ends the request */
    assert_null(strstr(a.canonical_request, "x-amz-content-sha256"));
    char hash[65];
    kumo_sha256_hex(body, strlen(body), hash);
    assert_string_equal(a.canonical_request + strlen(a.canonical_request) - 64, hash);
    kumo_sigv4_output_clear(&a);
    kumo_sigv4_output_clear(&b);
}

/* ---- session token ----------------------------------------------------------- */

static void test_session_token(void **state)
{
    static const char token[] = "AQoDYXdzEPT//////////wEXAMPLE+abc/def==";
    struct kumo_sigv4_input in = base_input();
    struct kumo_sigv4_output plain, signed_token, unsigned_token;

    assert_int_equal(kumo_sigv4_sign(&in, &plain), 0);

    in.session_token = token;
    in.sign_session_token = true;
    assert_int_equal(kumo_sigv4_sign(&in, &signed_token), 0);
    assert_string_equal(signed_token.signed_headers, "host;x-amz-date;x-amz-security-token");
    assert_non_null(strstr(signed_token.canonical_request,
                           "\nx-amz-security-token:AQoDYXdzEPT//////////wEXAMPLE+abc/def==\n"));
    assert_string_not_equal(signed_token.signature, plain.signature);

    /* Not signed: the caller adds the header after signing. */
    in.sign_session_token = false;
    assert_int_equal(kumo_sigv4_sign(&in, &unsigned_token), 0);
    assert_string_equal(unsigned_token.authorization, plain.authorization);

    /* An empty token is no token. */
    in.session_token = "";
    in.sign_session_token = true;
    kumo_sigv4_output_clear(&unsigned_token);
    assert_int_equal(kumo_sigv4_sign(&in, &unsigned_token), 0);
    assert_string_equal(unsigned_token.authorization, plain.authorization);

    kumo_sigv4_output_clear(&plain);
    kumo_sigv4_output_clear(&signed_token);
    kumo_sigv4_output_clear(&unsigned_token);
}

/* ---- whole output ----------------------------------------------------------- */

static void test_get_vanilla_every_stage(void **state)
{
    /* aws4_testsuite get-vanilla, spelled out (the vector files hold the
     * same, see test_sigv4_vectors.c). */
    struct kumo_sigv4_input in = base_input();
    struct kumo_sigv4_output out;
    assert_int_equal(kumo_sigv4_sign(&in, &out), 0);
    assert_string_equal(out.amz_date, "20150830T123600Z");
    assert_string_equal(out.canonical_request, "GET\n/\n\nhost:example.amazonaws.com\n"
                                               "x-amz-date:20150830T123600Z\n\n"
                                               "host;x-amz-date\n" EMPTY_SHA256);
    assert_string_equal(out.string_to_sign,
                        "AWS4-HMAC-SHA256\n20150830T123600Z\n"
                        "20150830/us-east-1/service/aws4_request\n"
                        "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
    assert_string_equal(out.signature,
                        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    assert_string_equal(
        out.authorization,
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
        "aws4_request, SignedHeaders=host;x-amz-date, "
        "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    /* the secret appears nowhere */
    assert_null(strstr(out.canonical_request, SECRET));
    assert_null(strstr(out.string_to_sign, SECRET));
    assert_null(strstr(out.authorization, SECRET));

    kumo_sigv4_output_clear(&out);
    assert_cleared(&out);
    kumo_sigv4_output_clear(&out); /* twice is fine */
    kumo_sigv4_output_clear(NULL);
}

static void test_sha256_hex(void **state)
{
    char hex[65];
    kumo_sha256_hex("", 0, hex);
    assert_string_equal(hex, EMPTY_SHA256);
    kumo_sha256_hex(NULL, 0, hex);
    assert_string_equal(hex, EMPTY_SHA256);
    kumo_sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    kumo_sha256_hex("a\0b", 3, hex); /* bytes, not a C string */
    assert_string_not_equal(hex,
                            "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rejects_bad_input),
        cmocka_unit_test(test_amz_date),
        cmocka_unit_test(test_canonical_uri),
        cmocka_unit_test(test_canonical_query),
        cmocka_unit_test(test_canonical_headers),
        cmocka_unit_test(test_header_order_does_not_matter),
        cmocka_unit_test(test_session_token),
        cmocka_unit_test(test_get_vanilla_every_stage),
        cmocka_unit_test(test_sha256_hex),
    };
    return cmocka_run_group_tests_name("sigv4", tests, NULL, NULL);
}
