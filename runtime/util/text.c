/*
 * text.c - the text helpers declared in text.h.
 */
#include "text.h"

#include <stdarg.h>
#include <stdio.h>

void kumo_set_message(char *buffer, size_t size, const char *format, ...)
{
    if (!buffer || size == 0)
        return;
    va_list args;
    va_start(args, format);
    vsnprintf(buffer, size, format, args);
    va_end(args);
}

int kumo_hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}
