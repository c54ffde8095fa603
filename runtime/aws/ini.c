/*
 * ini.c - the parser for the AWS shared config and credentials files
 * declared in ini.h: sections, "key = value" lines, and the indented
 * sub-keys the AWS CLI accepts under a key with an empty value.
 *
 * Values may be secrets (aws_secret_access_key), so every string this unit
 * stores, and the file text it reads, is wiped before it is freed.
 */
#include "ini.h"
#include "util/text.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

/* Config files are small; anything bigger is a mistake, not a config. */
#define INI_MAX_FILE_BYTES (4u * 1024u * 1024u)

struct ini_entry {
    char *key; /* "region", or "ec2.endpoint_url" for a sub-key */
    char *value;
};

struct ini_section {
    char *name;
    struct ini_entry *entries;
    size_t count;
    size_t capacity;
};

struct kumo_ini {
    struct ini_section *sections;
    size_t count;
    size_t capacity;
};

static void wipe_free(char *text)
{
    if (text) {
        OPENSSL_cleanse(text, strlen(text));
        free(text);
    }
}

static char *dup_range(const char *start, size_t length)
{
    char *copy = malloc(length + 1);
    if (!copy)
        return NULL;
    memcpy(copy, start, length);
    copy[length] = '\0';
    return copy;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\f' || c == '\v';
}

/* Trims blanks (and a stray '\r') from both ends of [*start, *start+*length). */
static void trim(const char **start, size_t *length)
{
    const char *s = *start;
    size_t n = *length;
    while (n > 0 && (is_blank(*s) || *s == '\r')) {
        s++;
        n--;
    }
    while (n > 0 && (is_blank(s[n - 1]) || s[n - 1] == '\r'))
        n--;
    *start = s;
    *length = n;
}

static struct ini_section *find_section(const struct kumo_ini *ini, const char *name)
{
    for (size_t i = 0; i < ini->count; i++) {
        if (strcmp(ini->sections[i].name, name) == 0)
            return &ini->sections[i];
    }
    return NULL;
}

/* Returns the section called `name` (created when new), or NULL when out of
 * memory. Takes ownership of `name` in every case. */
static struct ini_section *open_section(struct kumo_ini *ini, char *name)
{
    struct ini_section *existing = find_section(ini, name);
    if (existing) {
        free(name);
        return existing;
    }
    if (ini->count == ini->capacity) {
        size_t capacity = ini->capacity ? ini->capacity * 2 : 8;
        struct ini_section *grown = realloc(ini->sections, capacity * sizeof *grown);
        if (!grown) {
            free(name);
            return NULL;
        }
        ini->sections = grown;
        ini->capacity = capacity;
    }
    struct ini_section *section = &ini->sections[ini->count++];
    memset(section, 0, sizeof *section);
    section->name = name;
    return section;
}

static struct ini_entry *find_entry(const struct ini_section *section, const char *key)
{
    for (size_t i = 0; i < section->count; i++) {
        if (strcasecmp(section->entries[i].key, key) == 0)
            return &section->entries[i];
    }
    return NULL;
}

/* Drops the sub-keys "parent.*" of a key that is being defined again. */
static void drop_children(struct ini_section *section, const char *parent)
{
    size_t parent_length = strlen(parent);
    size_t kept = 0;
    for (size_t i = 0; i < section->count; i++) {
        struct ini_entry *entry = &section->entries[i];
        if (strncasecmp(entry->key, parent, parent_length) == 0 &&
            entry->key[parent_length] == '.') {
            wipe_free(entry->key);
            wipe_free(entry->value);
            continue;
        }
        section->entries[kept++] = *entry;
    }
    section->count = kept;
}

/* Sets key = value in section (a later value replaces an earlier one). Takes
 * ownership of key and value. Returns 0, or -1 when out of memory. */
static int set_entry(struct ini_section *section, char *key, char *value)
{
    struct ini_entry *entry = find_entry(section, key);
    if (entry) {
        free(key);
        wipe_free(entry->value);
        entry->value = value;
        return 0;
    }
    if (section->count == section->capacity) {
        size_t capacity = section->capacity ? section->capacity * 2 : 8;
        struct ini_entry *grown = realloc(section->entries, capacity * sizeof *grown);
        if (!grown) {
            free(key);
            wipe_free(value);
            return -1;
        }
        section->entries = grown;
        section->capacity = capacity;
    }
    section->entries[section->count].key = key;
    section->entries[section->count].value = value;
    section->count++;
    return 0;
}

/* "[  profile   dev ]" -> "profile dev": trimmed, inner blank runs collapsed. */
static char *section_name(const char *start, size_t length)
{
    trim(&start, &length);
    char *name = malloc(length + 1);
    if (!name)
        return NULL;
    size_t out = 0;
    for (size_t i = 0; i < length; i++) {
        if (is_blank(start[i])) {
            if (out > 0 && name[out - 1] != ' ')
                name[out++] = ' ';
        } else {
            name[out++] = start[i];
        }
    }
    name[out] = '\0';
    return name;
}

/* Parser state carried from line to line. */
struct parse_state {
    struct kumo_ini *ini;
    struct ini_section *section; /* current section, NULL before the first */
    char *parent;                /* the last key when its value was empty, else NULL */
    size_t key_indent;           /* indentation of the last key line */
    int have_key;                /* a key line was seen in the current section */
};

enum line_result { LINE_OK, LINE_SYNTAX, LINE_MEMORY };

static enum line_result parse_section_line(struct parse_state *state, const char *text,
                                           size_t length, char *errbuf, size_t errbuf_size,
                                           size_t line_number)
{
    /* text starts with '['; the name runs to the last ']' on the line, and
     * only a comment may follow it. */
    const char *close = NULL;
    for (size_t i = length; i > 1; i--) {
        if (text[i - 1] == ']') {
            close = text + i - 1;
            break;
        }
    }
    if (!close) {
        kumo_set_message(errbuf, errbuf_size, "line %zu: missing ']' in section header",
                         line_number);
        return LINE_SYNTAX;
    }
    const char *rest = close + 1;
    size_t rest_length = length - (size_t)(rest - text);
    trim(&rest, &rest_length);
    if (rest_length > 0 && rest[0] != '#' && rest[0] != ';') {
        kumo_set_message(errbuf, errbuf_size, "line %zu: unexpected text after ']'", line_number);
        return LINE_SYNTAX;
    }
    char *name = section_name(text + 1, (size_t)(close - text - 1));
    if (!name)
        return LINE_MEMORY;
    if (name[0] == '\0') {
        free(name);
        kumo_set_message(errbuf, errbuf_size, "line %zu: empty section name", line_number);
        return LINE_SYNTAX;
    }
    state->section = open_section(state->ini, name);
    if (!state->section)
        return LINE_MEMORY;
    wipe_free(state->parent);
    state->parent = NULL;
    state->have_key = 0;
    return LINE_OK;
}

/* Splits "key = value" (first '=' or ':') into trimmed copies. */
static enum line_result split_key_value(const char *text, size_t length, int allow_colon,
                                        char **key_out, char **value_out)
{
    const char *delimiter = NULL;
    for (size_t i = 0; i < length; i++) {
        if (text[i] == '=' || (allow_colon && text[i] == ':')) {
            delimiter = text + i;
            break;
        }
    }
    if (!delimiter)
        return LINE_SYNTAX;
    const char *key = text;
    size_t key_length = (size_t)(delimiter - text);
    trim(&key, &key_length);
    if (key_length == 0)
        return LINE_SYNTAX;
    const char *value = delimiter + 1;
    size_t value_length = (size_t)(text + length - value);
    trim(&value, &value_length);
    *key_out = dup_range(key, key_length);
    *value_out = dup_range(value, value_length);
    if (!*key_out || !*value_out) {
        free(*key_out);
        wipe_free(*value_out);
        return LINE_MEMORY;
    }
    return LINE_OK;
}

static enum line_result parse_line(struct parse_state *state, const char *line, size_t length,
                                   char *errbuf, size_t errbuf_size, size_t line_number)
{
    size_t indent = 0;
    while (indent < length && is_blank(line[indent]))
        indent++;
    const char *text = line + indent;
    size_t text_length = length - indent;
    trim(&text, &text_length);
    if (text_length == 0 || text[0] == '#' || text[0] == ';')
        return LINE_OK; /* blank lines and comments keep an open parent open */

    /* A line indented deeper than the key above it continues that key. */
    if (state->section && state->have_key && indent > state->key_indent) {
        if (!state->parent) {
            kumo_set_message(
                errbuf, errbuf_size,
                "line %zu: unexpected indented line (sub-keys need a 'key =' line with "
                "an empty value above them)",
                line_number);
            return LINE_SYNTAX;
        }
        char *child = NULL;
        char *value = NULL;
        enum line_result result = split_key_value(text, text_length, 0, &child, &value);
        if (result == LINE_SYNTAX) {
            kumo_set_message(errbuf, errbuf_size,
                             "line %zu: expected 'key = value' in sub-section '%s'", line_number,
                             state->parent);
            return result;
        }
        if (result != LINE_OK)
            return result;
        size_t key_size = strlen(state->parent) + 1 + strlen(child) + 1;
        char *key = malloc(key_size);
        if (!key) {
            free(child);
            wipe_free(value);
            return LINE_MEMORY;
        }
        snprintf(key, key_size, "%s.%s", state->parent, child);
        free(child);
        return set_entry(state->section, key, value) == 0 ? LINE_OK : LINE_MEMORY;
    }

    if (text[0] == '[')
        return parse_section_line(state, text, text_length, errbuf, errbuf_size, line_number);

    char *key = NULL;
    char *value = NULL;
    enum line_result result = split_key_value(text, text_length, 1, &key, &value);
    if (result == LINE_SYNTAX) {
        kumo_set_message(errbuf, errbuf_size, "line %zu: expected 'key = value' or '[section]'",
                         line_number);
        return result;
    }
    if (result != LINE_OK)
        return result;
    if (!state->section) {
        free(key);
        wipe_free(value);
        kumo_set_message(errbuf, errbuf_size, "line %zu: 'key = value' before any '[section]'",
                         line_number);
        return LINE_SYNTAX;
    }
    wipe_free(state->parent);
    state->parent = NULL;
    if (value[0] == '\0') {
        state->parent = dup_range(key, strlen(key));
        if (!state->parent) {
            free(key);
            free(value);
            return LINE_MEMORY;
        }
    }
    drop_children(state->section, key);
    state->key_indent = indent;
    state->have_key = 1;
    return set_entry(state->section, key, value) == 0 ? LINE_OK : LINE_MEMORY;
}

struct kumo_ini *kumo_ini_parse(const char *text, size_t length, char *errbuf, size_t errbuf_size)
{
    kumo_set_message(errbuf, errbuf_size, "%s", "");
    struct kumo_ini *ini = calloc(1, sizeof *ini);
    if (!ini) {
        kumo_set_message(errbuf, errbuf_size, "out of memory");
        return NULL;
    }
    struct parse_state state = {.ini = ini};
    if (length >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        text += 3; /* a UTF-8 byte order mark */
        length -= 3;
    }
    size_t line_number = 0;
    size_t position = 0;
    while (position < length) {
        line_number++;
        const char *line = text + position;
        const char *newline = memchr(line, '\n', length - position);
        size_t line_length = newline ? (size_t)(newline - line) : length - position;
        position += line_length + (newline ? 1 : 0);
        if (memchr(line, '\0', line_length)) {
            kumo_set_message(errbuf, errbuf_size, "line %zu: NUL byte in text", line_number);
            goto error;
        }
        enum line_result result =
            parse_line(&state, line, line_length, errbuf, errbuf_size, line_number);
        if (result == LINE_MEMORY) {
            kumo_set_message(errbuf, errbuf_size, "out of memory");
            goto error;
        }
        if (result != LINE_OK)
            goto error;
    }
    wipe_free(state.parent);
    return ini;

error:
    wipe_free(state.parent);
    kumo_ini_free(ini);
    return NULL;
}

struct kumo_ini *kumo_ini_load(const char *path, int *missing, char *errbuf, size_t errbuf_size)
{
    int missing_dummy;
    if (!missing)
        missing = &missing_dummy;
    *missing = 0;
    kumo_set_message(errbuf, errbuf_size, "%s", "");
    FILE *file = fopen(path, "rb");
    if (!file) {
        if (errno == ENOENT || errno == ENOTDIR) {
            *missing = 1;
            return NULL;
        }
        kumo_set_message(errbuf, errbuf_size, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    struct kumo_ini *ini = NULL;
    char *text = NULL;
    size_t length = 0;
    size_t capacity = 0;
    for (;;) {
        if (length == capacity) {
            if (capacity >= INI_MAX_FILE_BYTES) {
                kumo_set_message(errbuf, errbuf_size, "%s: file larger than %u bytes", path,
                                 INI_MAX_FILE_BYTES);
                goto done;
            }
            size_t grown_capacity = capacity ? capacity * 2 : 4096;
            char *grown = malloc(grown_capacity);
            if (!grown) {
                kumo_set_message(errbuf, errbuf_size, "%s: out of memory", path);
                goto done;
            }
            if (text) {
                memcpy(grown, text, length);
                OPENSSL_cleanse(text, capacity);
                free(text);
            }
            text = grown;
            capacity = grown_capacity;
        }
        size_t got = fread(text + length, 1, capacity - length, file);
        length += got;
        if (got == 0) {
            if (ferror(file)) {
                kumo_set_message(errbuf, errbuf_size, "cannot read %s: %s", path, strerror(errno));
                goto done;
            }
            break;
        }
    }
    char parse_error[200];
    ini = kumo_ini_parse(text ? text : "", length, parse_error, sizeof parse_error);
    if (!ini)
        kumo_set_message(errbuf, errbuf_size, "%s: %s", path, parse_error);

done:
    if (text) {
        OPENSSL_cleanse(text, capacity);
        free(text);
    }
    fclose(file);
    return ini;
}

int kumo_ini_has_section(const struct kumo_ini *ini, const char *section)
{
    return ini && section && find_section(ini, section) != NULL;
}

const char *kumo_ini_get(const struct kumo_ini *ini, const char *section, const char *key)
{
    if (!ini || !section || !key)
        return NULL;
    const struct ini_section *found = find_section(ini, section);
    if (!found)
        return NULL;
    const struct ini_entry *entry = find_entry(found, key);
    return entry ? entry->value : NULL;
}

void kumo_ini_free(struct kumo_ini *ini)
{
    if (!ini)
        return;
    for (size_t i = 0; i < ini->count; i++) {
        struct ini_section *section = &ini->sections[i];
        for (size_t j = 0; j < section->count; j++) {
            wipe_free(section->entries[j].key);
            wipe_free(section->entries[j].value);
        }
        free(section->entries);
        free(section->name);
    }
    free(ini->sections);
    free(ini);
}
