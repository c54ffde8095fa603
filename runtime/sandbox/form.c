/*
 * form.c - decoding of the EC2 Query form body
 * (application/x-www-form-urlencoded) into name/value pairs, and lookups by
 * name, by formatted name and by list prefix.
 */
#include "sandbox/sandbox_internal.h"
#include "util/text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Decodes [text, text+length) into a new string; NULL with *bad set on a
 * bad escape or an escaped NUL, NULL alone when out of memory. */
static char *decode(const char *text, size_t length, int *bad)
{
    char *out = malloc(length + 1);
    if (!out)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < length; i++) {
        char c = text[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            int hi = i + 1 < length ? kumo_hex_value(text[i + 1]) : -1;
            int lo = i + 2 < length ? kumo_hex_value(text[i + 2]) : -1;
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                *bad = 1;
                free(out);
                return NULL;
            }
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        out[n++] = c;
    }
    out[n] = '\0';
    return out;
}

int sb_form_parse(struct sb_form *form, const char *body, size_t length)
{
    form->items = NULL;
    form->count = 0;
    size_t i = 0;
    while (i < length) {
        size_t end = i;
        while (end < length && body[end] != '&')
            end++;
        if (end > i) {
            size_t eq = i;
            while (eq < end && body[eq] != '=')
                eq++;
            int bad = 0;
            char *name = decode(body + i, eq - i, &bad);
            char *value =
                name ? decode(body + (eq < end ? eq + 1 : end), eq < end ? end - eq - 1 : 0, &bad)
                     : NULL;
            if (!name || !value) {
                free(name);
                free(value);
                sb_form_free(form);
                return bad ? -1 : -2;
            }
            struct sb_param *existing = NULL;
            for (size_t k = 0; k < form->count; k++)
                if (strcmp(form->items[k].name, name) == 0)
                    existing = &form->items[k];
            if (existing) {
                free(existing->value);
                existing->value = value;
                free(name);
            } else {
                struct sb_param *grown =
                    realloc(form->items, (form->count + 1) * sizeof *form->items);
                if (!grown) {
                    free(name);
                    free(value);
                    sb_form_free(form);
                    return -2;
                }
                form->items = grown;
                form->items[form->count].name = name;
                form->items[form->count].value = value;
                form->count++;
            }
        }
        i = end + 1;
    }
    return 0;
}

void sb_form_free(struct sb_form *form)
{
    for (size_t i = 0; i < form->count; i++) {
        free(form->items[i].name);
        free(form->items[i].value);
    }
    free(form->items);
    form->items = NULL;
    form->count = 0;
}

const char *sb_form_get(const struct sb_form *form, const char *name)
{
    for (size_t i = 0; i < form->count; i++)
        if (strcmp(form->items[i].name, name) == 0)
            return form->items[i].value;
    return NULL;
}

const char *sb_form_getf(const struct sb_form *form, const char *format, ...)
{
    char name[512];
    va_list args;
    va_start(args, format);
    int n = vsnprintf(name, sizeof name, format, args);
    va_end(args);
    if (n < 0 || (size_t)n >= sizeof name)
        return NULL;
    return sb_form_get(form, name);
}

size_t sb_form_list_max(const struct sb_form *form, const char *prefix)
{
    size_t prefix_length = strlen(prefix), max = 0;
    for (size_t i = 0; i < form->count; i++) {
        const char *name = form->items[i].name;
        if (strncmp(name, prefix, prefix_length) != 0 || name[prefix_length] != '.')
            continue;
        const char *p = name + prefix_length + 1;
        if (*p < '1' || *p > '9')
            continue;
        size_t n = 0;
        while (*p >= '0' && *p <= '9' && n < 100000)
            n = n * 10 + (size_t)(*p++ - '0');
        if ((*p == '\0' || *p == '.') && n > max)
            max = n;
    }
    return max;
}
