/*
 * test_ini.c - unit tests (cmocka) for the AWS shared config/credentials file
 * parser in runtime/aws/ini.c: every section form, sub-keys, comments,
 * whitespace variants, duplicates, syntax errors with their line numbers,
 * and loading files (present, missing, unreadable).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aws/ini.h"

static struct kumo_ini *parse_ok(const char *text)
{
    char errbuf[200] = "unset";
    struct kumo_ini *ini = kumo_ini_parse(text, strlen(text), errbuf, sizeof errbuf);
    if (!ini)
        fail_msg("parse failed: %s", errbuf);
    return ini;
}

static void assert_value(const struct kumo_ini *ini, const char *section, const char *key,
                         const char *expected)
{
    const char *value = kumo_ini_get(ini, section, key);
    if (!expected) {
        if (value)
            fail_msg("[%s] %s: expected no value, got '%s'", section, key, value);
        return;
    }
    if (!value)
        fail_msg("[%s] %s: expected '%s', got nothing", section, key, expected);
    assert_string_equal(value, expected);
}

/* ---- Section forms ------------------------------------------------------ */

static void test_default_section(void **state)
{
    (void)state;
    struct kumo_ini *ini = parse_ok("[default]\nregion = eu-west-1\noutput = json\n");
    assert_true(kumo_ini_has_section(ini, "default"));
    assert_value(ini, "default", "region", "eu-west-1");
    assert_value(ini, "default", "output", "json");
    assert_value(ini, "default", "missing", NULL);
    assert_false(kumo_ini_has_section(ini, "Default")); /* section names are case-sensitive */
    kumo_ini_free(ini);
}

static void test_profile_section(void **state)
{
    (void)state;
    struct kumo_ini *ini = parse_ok("[profile dev]\nregion=ap-northeast-1\n"
                                    "[profile   spaced\t name ]\nregion = us-west-2\n");
    assert_true(kumo_ini_has_section(ini, "profile dev"));
    assert_false(kumo_ini_has_section(ini, "dev"));
    assert_value(ini, "profile dev", "region", "ap-northeast-1");
    /* trimmed, inner blank runs collapsed to one space */
    assert_true(kumo_ini_has_section(ini, "profile spaced name"));
    assert_value(ini, "profile spaced name", "region", "us-west-2");
    kumo_ini_free(ini);
}

static void test_bare_section_credentials_file(void **state)
{
    (void)state;
    struct kumo_ini *ini = parse_ok("[default]\n"
                                    "aws_access_key_id = AKIDEFAULT\n"
                                    "aws_secret_access_key = secret/default+key\n"
                                    "\n"
                                    "[dev]\n"
                                    "aws_access_key_id = AKIDEV\n"
                                    "aws_secret_access_key = dev==secret\n"
                                    "aws_session_token = tok=en\n");
    assert_true(kumo_ini_has_section(ini, "dev"));
    assert_value(ini, "dev", "aws_access_key_id", "AKIDEV");
    /* only the first '=' splits */
    assert_value(ini, "dev", "aws_secret_access_key", "dev==secret");
    assert_value(ini, "dev", "aws_session_token", "tok=en");
    assert_value(ini, "default", "aws_secret_access_key", "secret/default+key");
    kumo_ini_free(ini);
}

static void test_services_section_sub_keys(void **state)
{
    (void)state;
    struct kumo_ini *ini = parse_ok("[profile dev]\n"
                                    "services = local\n"
                                    "s3 =\n"
                                    "  max_concurrent_requests = 10\n"
                                    "  addressing_style=path\n"
                                    "region = eu-west-1\n"
                                    "[services local]\n"
                                    "ec2 =\n"
                                    "\tendpoint_url = http://localhost:5000\n"
                                    "\n"
                                    "  # a comment inside the sub-section\n"
                                    "\tother = x\n"
                                    "sts =\n"
                                    "    endpoint_url = http://localhost:5001\n");
    assert_value(ini, "profile dev", "services", "local");
    assert_value(ini, "profile dev", "s3", "");
    assert_value(ini, "profile dev", "s3.max_concurrent_requests", "10");
    assert_value(ini, "profile dev", "s3.addressing_style", "path");
    assert_value(ini, "profile dev", "region", "eu-west-1");
    assert_true(kumo_ini_has_section(ini, "services local"));
    assert_value(ini, "services local", "ec2.endpoint_url", "http://localhost:5000");
    assert_value(ini, "services local", "ec2.other", "x");
    assert_value(ini, "services local", "sts.endpoint_url", "http://localhost:5001");
    assert_value(ini, "services local", "endpoint_url", NULL);
    assert_value(ini, "services local", "ec2.missing", NULL);
    kumo_ini_free(ini);
}

static void test_uniformly_indented_keys_are_plain_keys(void **state)
{
    (void)state;
    struct kumo_ini *ini = parse_ok("[default]\n  region = eu-west-1\n  output = json\n"
                                    "  [profile dev]\n    region = us-east-2\n");
    assert_value(ini, "default", "region", "eu-west-1");
    assert_value(ini, "default", "output", "json");
    assert_value(ini, "profile dev", "region", "us-east-2");
    kumo_ini_free(ini);
}

static void test_sub_keys_end_at_dedent(void **state)
{
    (void)state;
    struct kumo_ini *ini = parse_ok("[services s]\nec2 =\n  endpoint_url = http://a\n"
                                    "iam =\n  endpoint_url = http://b\n");
    assert_value(ini, "services s", "ec2.endpoint_url", "http://a");
    assert_value(ini, "services s", "iam.endpoint_url", "http://b");
    kumo_ini_free(ini);
}

static void test_empty_section(void **state)
{
    (void)state;
    struct kumo_ini *ini = parse_ok("[profile empty]\n[default]\nregion = x\n");
    assert_true(kumo_ini_has_section(ini, "profile empty"));
    assert_value(ini, "profile empty", "region", NULL);
    assert_false(kumo_ini_has_section(ini, "profile other"));
    kumo_ini_free(ini);
}

/* ---- Comments, blank lines, whitespace ---------------------------------- */

static void test_comments_and_blank_lines(void **state)
{
    (void)state;
    struct kumo_ini *ini = parse_ok("# leading comment\n"
                                    "; another\n"
                                    "\n"
                                    "   \t\n"
                                    "[default] # trailing comment after a header\n"
                                    "   # indented comment\n"
                                    "region = eu-west-1 # kept: inline comments are values\n"
                                    "output = json ; also kept\n"
                                    "[profile x] ; comment\n"
                                    "region = us-east-1\n");
    assert_value(ini, "default", "region", "eu-west-1 # kept: inline comments are values");
    assert_value(ini, "default", "output", "json ; also kept");
    assert_value(ini, "profile x", "region", "us-east-1");
    kumo_ini_free(ini);
}

static void test_whitespace_variants(void **state)
{
    (void)state;
    struct kumo_ini *ini = parse_ok("\xEF\xBB\xBF[default]\r\n"
                                    "region=eu-west-1\r\n"
                                    "output   =    json   \r\n"
                                    "empty =\r\n"
                                    "tabbed\t=\tvalue\t\r\n"
                                    "[ spaced ]\n"
                                    "last = no newline at end");
    assert_true(kumo_ini_has_section(ini, "default"));
    assert_value(ini, "default", "region", "eu-west-1");
    assert_value(ini, "default", "output", "json");
    assert_value(ini, "default", "empty", "");
    assert_value(ini, "default", "tabbed", "value");
    assert_value(ini, "spaced", "last", "no newline at end");
    kumo_ini_free(ini);
}

static void test_colon_delimiter_and_key_case(void **state)
{
    (void)state;
    struct kumo_ini *ini = parse_ok("[default]\nregion: eu-north-1\n"
                                    "AWS_Access_Key_ID = AKIDX\n"
                                    "endpoint_url = http://localhost:5000/path\n");
    assert_value(ini, "default", "region", "eu-north-1");
    assert_value(ini, "default", "aws_access_key_id", "AKIDX");
    assert_value(ini, "default", "AWS_ACCESS_KEY_ID", "AKIDX");
    /* the first delimiter is '=', so the URL's ':' stays in the value */
    assert_value(ini, "default", "endpoint_url", "http://localhost:5000/path");
    kumo_ini_free(ini);
}

static void test_crlf_and_tabs(void **state)
{
    (void)state;
    struct kumo_ini *ini = parse_ok("[default]\r\nregion\t=\teu-west-1\t\r\n"
                                    "s3 =\r\n\tmax_bandwidth = 50MB/s\r\n");
    assert_value(ini, "default", "region", "eu-west-1");
    assert_value(ini, "default", "s3.max_bandwidth", "50MB/s");
    kumo_ini_free(ini);
}

/* ---- Duplicates ----------------------------------------------------------- */

static void test_duplicate_key_replaces(void **state)
{
    (void)state;
    struct kumo_ini *ini = parse_ok("[default]\nregion = a\nregion = b\nREGION = c\n");
    assert_value(ini, "default", "region", "c");
    kumo_ini_free(ini);
}

static void test_duplicate_section_merges(void **state)
{
    (void)state;
    struct kumo_ini *ini = parse_ok("[default]\nregion = a\noutput = json\n"
                                    "[profile dev]\nregion = d\n"
                                    "[default]\nregion = b\nretry_mode = standard\n");
    assert_value(ini, "default", "region", "b");
    assert_value(ini, "default", "output", "json");
    assert_value(ini, "default", "retry_mode", "standard");
    assert_value(ini, "profile dev", "region", "d");
    kumo_ini_free(ini);
}

static void test_duplicate_parent_drops_old_sub_keys(void **state)
{
    (void)state;
    struct kumo_ini *ini = parse_ok("[services s]\nec2 =\n  endpoint_url = http://old\n  x = 1\n"
                                    "ec2 =\n  endpoint_url = http://new\n");
    assert_value(ini, "services s", "ec2.endpoint_url", "http://new");
    assert_value(ini, "services s", "ec2.x", NULL);
    kumo_ini_free(ini);
}

static void test_empty_text(void **state)
{
    (void)state;
    struct kumo_ini *ini = parse_ok("");
    assert_false(kumo_ini_has_section(ini, "default"));
    assert_null(kumo_ini_get(ini, "default", "region"));
    kumo_ini_free(ini);
    ini = parse_ok("# only a comment\n\n");
    assert_false(kumo_ini_has_section(ini, "default"));
    kumo_ini_free(ini);
}

static void test_null_arguments(void **state)
{
    (void)state;
    assert_false(kumo_ini_has_section(NULL, "default"));
    assert_null(kumo_ini_get(NULL, "default", "region"));
    kumo_ini_free(NULL);
}

/* ---- Syntax errors ---------------------------------------------------------- */

struct syntax_case {
    const char *text;
    const char *message;
};

static const struct syntax_case syntax_cases[] = {
    {"[default]\nregion = x\nthis is not a key\n", "line 3: expected 'key = value' or '[section]'"},
    {"region = x\n[default]\n", "line 1: 'key = value' before any '[section]'"},
    {"# c\n\n[default\nregion = x\n", "line 3: missing ']' in section header"},
    {"[default]\n[]\n", "line 2: empty section name"},
    {"[default]\n[  \t ]\n", "line 2: empty section name"},
    {"[default] junk\n", "line 1: unexpected text after ']'"},
    {"[default]\n= value\n", "line 2: expected 'key = value' or '[section]'"},
    {"[default]\nregion = x\n  continued\n",
     "line 3: unexpected indented line (sub-keys need a 'key =' line with an empty value "
     "above them)"},
    {"[services s]\nec2 =\n  no equals sign\n",
     "line 3: expected 'key = value' in sub-section 'ec2'"},
    {"[services s]\nec2 =\n  endpoint_url: http://x\n",
     "line 3: expected 'key = value' in sub-section 'ec2'"},
    {"[default]\r\nok = 1\r\n\r\n\r\nbad\r\n", "line 5: expected 'key = value' or '[section]'"},
};

static void test_syntax_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof syntax_cases / sizeof syntax_cases[0]; i++) {
        char errbuf[200] = "";
        struct kumo_ini *ini = kumo_ini_parse(syntax_cases[i].text, strlen(syntax_cases[i].text),
                                              errbuf, sizeof errbuf);
        if (ini)
            fail_msg("case %zu parsed but should fail", i);
        if (strcmp(errbuf, syntax_cases[i].message) != 0)
            fail_msg("case %zu: expected \"%s\", got \"%s\"", i, syntax_cases[i].message, errbuf);
    }
}

static void test_nul_byte_is_an_error(void **state)
{
    (void)state;
    const char text[] = "[default]\nregion = a\0b\n";
    char errbuf[200] = "";
    assert_null(kumo_ini_parse(text, sizeof text - 1, errbuf, sizeof errbuf));
    assert_string_equal(errbuf, "line 2: NUL byte in text");
}

static void test_error_message_has_no_value(void **state)
{
    (void)state;
    /* a broken line after a secret: the message names the line, not values */
    const char *text = "[default]\naws_secret_access_key = SUPERSECRET\nSUPERSECRET2\n";
    char errbuf[200] = "";
    assert_null(kumo_ini_parse(text, strlen(text), errbuf, sizeof errbuf));
    assert_null(strstr(errbuf, "SUPERSECRET"));
}

static void test_small_error_buffer(void **state)
{
    (void)state;
    char errbuf[8];
    const char *text = "garbage";
    assert_null(kumo_ini_parse(text, strlen(text), errbuf, sizeof errbuf));
    assert_string_equal(errbuf, "line 1:");
    assert_null(kumo_ini_parse(text, strlen(text), NULL, 0));
}

/* ---- Files ------------------------------------------------------------------ */

static char temp_dir[64];

static int make_temp_dir(void **state)
{
    (void)state;
    snprintf(temp_dir, sizeof temp_dir, "/tmp/kumo-ini-XXXXXX");
    return mkdtemp(temp_dir) ? 0 : -1;
}

static int remove_temp_dir(void **state)
{
    (void)state;
    char command[128];
    snprintf(command, sizeof command, "rm -rf '%s'", temp_dir);
    return system(command) == 0 ? 0 : -1;
}

static void write_file(const char *path, const char *text)
{
    FILE *file = fopen(path, "wb");
    assert_non_null(file);
    fputs(text, file);
    fclose(file);
}

static void test_load_file(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/config", temp_dir);
    write_file(path, "[profile dev]\nregion = eu-west-3\n");
    int missing = -1;
    char errbuf[200] = "";
    struct kumo_ini *ini = kumo_ini_load(path, &missing, errbuf, sizeof errbuf);
    assert_non_null(ini);
    assert_int_equal(missing, 0);
    assert_value(ini, "profile dev", "region", "eu-west-3");
    kumo_ini_free(ini);
}

static void test_load_missing_file(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/does-not-exist", temp_dir);
    int missing = 0;
    char errbuf[200] = "x";
    assert_null(kumo_ini_load(path, &missing, errbuf, sizeof errbuf));
    assert_int_equal(missing, 1);
    assert_string_equal(errbuf, "");
    /* a missing directory on the way is missing too */
    snprintf(path, sizeof path, "%s/no-dir/config", temp_dir);
    missing = 0;
    assert_null(kumo_ini_load(path, &missing, errbuf, sizeof errbuf));
    assert_int_equal(missing, 1);
}

static void test_load_syntax_error_names_file(void **state)
{
    (void)state;
    char path[128];
    char expected[256];
    snprintf(path, sizeof path, "%s/broken", temp_dir);
    write_file(path, "[default]\nregion = x\n\nnot a line\n");
    int missing = -1;
    char errbuf[256] = "";
    assert_null(kumo_ini_load(path, &missing, errbuf, sizeof errbuf));
    assert_int_equal(missing, 0);
    snprintf(expected, sizeof expected, "%s: line 4: expected 'key = value' or '[section]'", path);
    assert_string_equal(errbuf, expected);
}

static void test_load_directory_fails(void **state)
{
    (void)state;
    int missing = -1;
    char errbuf[256] = "";
    char expected[256];
    assert_null(kumo_ini_load(temp_dir, &missing, errbuf, sizeof errbuf));
    assert_int_equal(missing, 0);
    snprintf(expected, sizeof expected, "cannot read %s: %s", temp_dir, strerror(EISDIR));
    assert_string_equal(errbuf, expected);
}

static void test_load_unreadable_file(void **state)
{
    (void)state;
    if (geteuid() == 0)
        skip(); /* root reads everything */
    char path[128];
    snprintf(path, sizeof path, "%s/unreadable", temp_dir);
    write_file(path, "[default]\n");
    chmod(path, 0);
    int missing = -1;
    char errbuf[256] = "";
    assert_null(kumo_ini_load(path, &missing, errbuf, sizeof errbuf));
    assert_int_equal(missing, 0);
    assert_non_null(strstr(errbuf, "cannot open"));
    assert_non_null(strstr(errbuf, path));
}

static void test_load_large_file(void **state)
{
    (void)state;
    /* more than one read buffer: many profiles */
    char path[128];
    snprintf(path, sizeof path, "%s/large", temp_dir);
    FILE *file = fopen(path, "wb");
    assert_non_null(file);
    for (int i = 0; i < 2000; i++)
        fprintf(file, "[profile p%d]\nregion = r%d\n\n", i, i);
    fclose(file);
    int missing = -1;
    char errbuf[256] = "";
    struct kumo_ini *ini = kumo_ini_load(path, &missing, errbuf, sizeof errbuf);
    assert_non_null(ini);
    assert_value(ini, "profile p0", "region", "r0");
    assert_value(ini, "profile p1999", "region", "r1999");
    kumo_ini_free(ini);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_section),
        cmocka_unit_test(test_profile_section),
        cmocka_unit_test(test_bare_section_credentials_file),
        cmocka_unit_test(test_services_section_sub_keys),
        cmocka_unit_test(test_uniformly_indented_keys_are_plain_keys),
        cmocka_unit_test(test_sub_keys_end_at_dedent),
        cmocka_unit_test(test_empty_section),
        cmocka_unit_test(test_comments_and_blank_lines),
        cmocka_unit_test(test_whitespace_variants),
        cmocka_unit_test(test_colon_delimiter_and_key_case),
        cmocka_unit_test(test_crlf_and_tabs),
        cmocka_unit_test(test_duplicate_key_replaces),
        cmocka_unit_test(test_duplicate_section_merges),
        cmocka_unit_test(test_duplicate_parent_drops_old_sub_keys),
        cmocka_unit_test(test_empty_text),
        cmocka_unit_test(test_null_arguments),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_nul_byte_is_an_error),
        cmocka_unit_test(test_error_message_has_no_value),
        cmocka_unit_test(test_small_error_buffer),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_load_missing_file),
        cmocka_unit_test(test_load_syntax_error_names_file),
        cmocka_unit_test(test_load_directory_fails),
        cmocka_unit_test(test_load_unreadable_file),
        cmocka_unit_test(test_load_large_file),
    };
    return cmocka_run_group_tests_name("unit.ini", tests, make_temp_dir, remove_temp_dir);
}
