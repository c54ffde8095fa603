/*
 * log.h - the runtime's log lines: filtered by level, sent to the host's
 * sink (or stderr as "kumo: <level>: message").
 */
#ifndef KUMO_HOST_LOG_H
#define KUMO_HOST_LOG_H

#include "kumo.h"

struct kumo_runtime;

/* Formats and emits one line when `level` is at or above the runtime's
 * log level. The caller must not pass secrets. */
void kumo_log(struct kumo_runtime *runtime, enum kumo_log_level level, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* 1 when a line at `level` would be emitted. */
int kumo_log_enabled(const struct kumo_runtime *runtime, enum kumo_log_level level);

/* The default sink: "kumo: info: message" on stderr (debug lines have no level word). */
void kumo_log_stderr(void *user_data, enum kumo_log_level level, const char *message);

#endif
