/*
 * ini.h - the AWS shared config/credentials file format.
 *
 *   [default]                 # comments with '#' or ';' at line start
 *   region = eu-west-1
 *   [profile dev]
 *   services = my-services
 *   s3 =                      # a key with an empty value opens sub-keys:
 *     max_concurrent_requests = 10   # indented lines are "s3.max_concurrent_requests"
 *   [services my-services]
 *   ec2 =
 *     endpoint_url = http://localhost:5000
 *
 * Section names are kept as written inside the brackets, trimmed, with inner
 * runs of whitespace collapsed ("profile   dev" -> "profile dev"); they are
 * case-sensitive; only a comment may follow the ']'. Keys are trimmed; values
 * are trimmed; an inline " #" or " ;" comment after a value is NOT stripped
 * (the CLI keeps it too). A later duplicate key replaces the earlier one (and
 * drops the earlier key's sub-keys); a repeated section merges into the first.
 *
 * As in the AWS CLI (Python's configparser): a key line may use ':' instead
 * of '=' ("region: eu-west-1"); key lookups ignore ASCII case; a line is a
 * sub-key line when it is indented deeper than the key line above it (so
 * uniformly indented "key = value" lines are ordinary keys), and a sub-key
 * line must be "child = value". An indented line under a key that has a
 * value, a key before any section, "[]", and a line that is neither a
 * section, a key, a comment nor blank are syntax errors. Comment lines may
 * be indented. A UTF-8 byte order mark at the start is skipped.
 *
 * Values may be secrets: everything stored is wiped before it is freed.
 */
#ifndef KUMO_INI_H
#define KUMO_INI_H

#include <stddef.h>

struct kumo_ini;

/* Parses text. Returns NULL with a message ("line 3: expected 'key = value'
 * or '[section]'") in errbuf on a syntax error or out of memory. */
struct kumo_ini *kumo_ini_parse(const char *text, size_t length, char *errbuf, size_t errbuf_size);

/* Reads and parses a file. Returns NULL and sets *missing = 1 when the file
 * does not exist (not an error for AWS config files); returns NULL with
 * *missing = 0 and a message naming the file on other failures. */
struct kumo_ini *kumo_ini_load(const char *path, int *missing, char *errbuf, size_t errbuf_size);

/* 1 when the section exists (even if empty). */
int kumo_ini_has_section(const struct kumo_ini *ini, const char *section);

/* The value of key in section, or NULL. Sub-keys are addressed as
 * "parent.child" ("ec2.endpoint_url"). */
const char *kumo_ini_get(const struct kumo_ini *ini, const char *section, const char *key);

void kumo_ini_free(struct kumo_ini *ini);

#endif
