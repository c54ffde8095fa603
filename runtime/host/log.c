/*
 * log.c - the runtime's log lines: level filter, formatting, and the
 * default stderr sink.
 */
#include "host/log.h"

#include <stdarg.h>
#include <stdio.h>

#include "host/runtime_internal.h"

int kumo_log_enabled(const struct kumo_runtime *runtime, enum kumo_log_level level)
{
    return level >= runtime->log_level;
}

void kumo_log(struct kumo_runtime *runtime, enum kumo_log_level level, const char *format, ...)
{
    if (!kumo_log_enabled(runtime, level))
        return;
    char line[2048];
    va_list args;
    va_start(args, format);
    vsnprintf(line, sizeof line, format, args);
    va_end(args);
    runtime->log(runtime->log_data, level, line);
}

void kumo_log_stderr(void *user_data, enum kumo_log_level level, const char *message)
{
    static const char *const words[] = {"", "info: ", "warn: ", "error: "};
    (void)user_data;
    if (level == KUMO_LOG_REPORT) {
        fprintf(stderr, "%s\n", message);
        return;
    }
    fprintf(stderr, "kumo: %s%s\n", words[level <= KUMO_LOG_ERROR ? level : KUMO_LOG_ERROR],
            message);
}
