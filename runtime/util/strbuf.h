/*
 * strbuf.h - a small growable byte buffer used by the runtime's C code
 * (signer, transport, config). Always NUL-terminated; no Lua involved.
 */
#ifndef KUMO_STRBUF_H
#define KUMO_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct kumo_strbuf {
    char *data;    /* NUL-terminated; NULL until the first append */
    size_t length; /* bytes used, without the NUL */
    size_t capacity;
    int failed; /* set once an allocation failed; later appends do nothing */
};

#define KUMO_STRBUF_INIT                                                                           \
    {                                                                                              \
        NULL, 0, 0, 0                                                                              \
    }

int kumo_strbuf_append(struct kumo_strbuf *buf, const void *data, size_t length);
int kumo_strbuf_append_str(struct kumo_strbuf *buf, const char *text);
int kumo_strbuf_append_char(struct kumo_strbuf *buf, char c);
int kumo_strbuf_printf(struct kumo_strbuf *buf, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
/* Returns the text ("" when empty) as a malloc'ed string the caller owns, and
 * resets the buffer; NULL if any earlier append failed (the buffer is freed). */
char *kumo_strbuf_detach(struct kumo_strbuf *buf);
/* A view of the text: "" when empty. Valid until the next append. */
const char *kumo_strbuf_cstr(const struct kumo_strbuf *buf);
void kumo_strbuf_reset(struct kumo_strbuf *buf);
void kumo_strbuf_free(struct kumo_strbuf *buf);

#endif
