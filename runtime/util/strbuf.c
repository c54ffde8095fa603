/*
 * strbuf.c - the growable byte buffer declared in strbuf.h.
 */
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int grow(struct kumo_strbuf *buf, size_t extra)
{
    if (buf->failed)
        return -1;
    size_t need = buf->length + extra + 1;
    if (need <= buf->capacity)
        return 0;
    size_t capacity = buf->capacity ? buf->capacity : 64;
    while (capacity < need) {
        if (capacity > ((size_t)-1) / 2) {
            buf->failed = 1;
            return -1;
        }
        capacity *= 2;
    }
    char *data = realloc(buf->data, capacity);
    if (!data) {
        buf->failed = 1;
        return -1;
    }
    buf->data = data;
    buf->capacity = capacity;
    return 0;
}

int kumo_strbuf_append(struct kumo_strbuf *buf, const void *data, size_t length)
{
    if (grow(buf, length) != 0)
        return -1;
    if (length)
        memcpy(buf->data + buf->length, data, length);
    buf->length += length;
    buf->data[buf->length] = '\0';
    return 0;
}

int kumo_strbuf_append_str(struct kumo_strbuf *buf, const char *text)
{
    return kumo_strbuf_append(buf, text, strlen(text));
}

int kumo_strbuf_append_char(struct kumo_strbuf *buf, char c)
{
    return kumo_strbuf_append(buf, &c, 1);
}

int kumo_strbuf_printf(struct kumo_strbuf *buf, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    va_list copy;
    va_copy(copy, args);
    int needed = vsnprintf(NULL, 0, format, copy);
    va_end(copy);
    if (needed < 0 || grow(buf, (size_t)needed) != 0) {
        va_end(args);
        buf->failed = 1;
        return -1;
    }
    vsnprintf(buf->data + buf->length, (size_t)needed + 1, format, args);
    va_end(args);
    buf->length += (size_t)needed;
    return 0;
}

char *kumo_strbuf_detach(struct kumo_strbuf *buf)
{
    if (buf->failed) {
        kumo_strbuf_free(buf);
        return NULL;
    }
    char *text = buf->data;
    if (!text)
        text = calloc(1, 1);
    buf->data = NULL;
    buf->length = buf->capacity = 0;
    return text;
}

const char *kumo_strbuf_cstr(const struct kumo_strbuf *buf)
{
    return buf->data ? buf->data : "";
}

void kumo_strbuf_reset(struct kumo_strbuf *buf)
{
    buf->length = 0;
    if (buf->data)
        buf->data[0] = '\0';
}

void kumo_strbuf_free(struct kumo_strbuf *buf)
{
    free(buf->data);
    buf->data = NULL;
    buf->length = buf->capacity = 0;
    buf->failed = 0;
}
