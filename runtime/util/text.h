/*
 * text.h - small text helpers shared by the runtime's C code: writing a
 * formatted message into a caller's buffer, and reading a hex digit.
 */
#ifndef KUMO_TEXT_H
#define KUMO_TEXT_H

#include <stddef.h>

/* Formats into buffer[0..size) (truncating); does nothing when buffer is
 * NULL or size is 0. */
void kumo_set_message(char *buffer, size_t size, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* The value of a hex digit (0-9, a-f, A-F), or -1. */
int kumo_hex_value(int c);

#endif
