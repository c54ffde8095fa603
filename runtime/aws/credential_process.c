/*
 * credential_process.c - the credential_process source: the profile's
 * command split like a shell line (blanks separate words; '...' is literal;
 * "..." allows \" \\ \$ \` escapes; a backslash outside quotes escapes the
 * next character) and run WITHOUT a shell (posix_spawnp, stdin /dev/null).
 * Its stdout (at most 64 KiB) must be the JSON document
 * {"Version": 1, "AccessKeyId", "SecretAccessKey", "SessionToken"?,
 * "Expiration"?}; its stderr (the first 2 KiB) is quoted in the message of a
 * non-zero exit; after the timeout the child is killed. The output is never
 * quoted: it holds secrets.
 */
#define _GNU_SOURCE /* pipe2 */
#include "credential_sources.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>
#include <openssl/crypto.h>

#include "util/strbuf.h"

extern char **environ;

#define MAX_ARGS 64
#define MAX_STDERR_BYTES 2048
#define DEFAULT_TIMEOUT_MS 60000L

/* Splits `line` into argv (words in one malloc'ed block *storage). Returns
 * the word count, or -1 with a message. */
static int split_command(const char *line, char **argv, char **storage, char *errbuf,
                         size_t errbuf_size)
{
    char *out = malloc(strlen(line) + 1);
    *storage = out;
    if (!out) {
        snprintf(errbuf, errbuf_size, "out of memory");
        return -1;
    }
    int count = 0;
    const char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
            p++;
        if (!*p)
            break;
        if (count == MAX_ARGS) {
            snprintf(errbuf, errbuf_size, "more than %d words", MAX_ARGS);
            return -1;
        }
        argv[count++] = out;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
            if (*p == '\'') {
                const char *end = strchr(p + 1, '\'');
                if (!end) {
                    snprintf(errbuf, errbuf_size, "unterminated single quote");
                    return -1;
                }
                memcpy(out, p + 1, (size_t)(end - p - 1));
                out += end - p - 1;
                p = end + 1;
            } else if (*p == '"') {
                for (p++; *p && *p != '"'; p++) {
                    if (*p == '\\' && p[1] && strchr("\"\\$`", p[1]))
                        p++;
                    *out++ = *p;
                }
                if (*p != '"') {
                    snprintf(errbuf, errbuf_size, "unterminated double quote");
                    return -1;
                }
                p++;
            } else if (*p == '\\') {
                if (!p[1]) {
                    snprintf(errbuf, errbuf_size, "trailing backslash");
                    return -1;
                }
                *out++ = p[1];
                p += 2;
            } else {
                *out++ = *p++;
            }
        }
        *out++ = '\0';
    }
    argv[count] = NULL;
    if (count == 0)
        snprintf(errbuf, errbuf_size, "empty command");
    return count ? count : -1;
}

static int64_t monotonic_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* Reads stdout and stderr until both close, the cap is passed or the
 * deadline. Returns 0, 1 (timeout), 2 (stdout too large) or -1 (error). */
static int collect(int out_fd, int err_fd, long timeout_ms, struct kumo_strbuf *out,
                   struct kumo_strbuf *err)
{
    int64_t deadline = monotonic_ms() + timeout_ms;
    struct pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
    char chunk[4096];
    while (fds[0].fd >= 0 || fds[1].fd >= 0) {
        int64_t left = deadline - monotonic_ms();
        if (left <= 0)
            return 1;
        int ready = poll(fds, 2, (int)left);
        if (ready < 0 && errno != EINTR)
            return -1;
        for (int i = 0; i < 2 && ready > 0; i++) {
            if (fds[i].fd < 0 || !fds[i].revents)
                continue;
            ssize_t n = read(fds[i].fd, chunk, sizeof chunk);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                fds[i].fd = -1;
                continue;
            }
            if (i == 0) {
                if (out->length + (size_t)n > KUMO_SOURCE_MAX_BODY_BYTES)
                    return 2;
                kumo_strbuf_append(out, chunk, (size_t)n);
            } else if (err->length < MAX_STDERR_BYTES) {
                size_t room = MAX_STDERR_BYTES - err->length;
                kumo_strbuf_append(err, chunk, (size_t)n < room ? (size_t)n : room);
            }
        }
        OPENSSL_cleanse(chunk, sizeof chunk);
    }
    return out->failed || err->failed ? -1 : 0;
}

/* stderr as one printable line. */
static void one_line(const char *text, char *line, size_t size)
{
    size_t n = 0;
    for (const char *p = text; *p && n + 1 < size; p++)
        line[n++] = (*p == '\n' || *p == '\r' || *p == '\t') ? ' '
                    : ((unsigned char)*p < ' ' || *p == 127) ? '?'
                                                             : *p;
    while (n > 0 && line[n - 1] == ' ')
        n--;
    line[n] = '\0';
}

static enum kumo_source_result parse_output(const struct kumo_strbuf *out, const char *profile,
                                            struct kumo_credentials *credentials, char *errbuf,
                                            size_t errbuf_size)
{
    char what[300];
    snprintf(what, sizeof what, "credential_process of profile %s", profile);
    const char *text = kumo_strbuf_cstr(out);
    cJSON *root = cJSON_ParseWithLength(text, out->length);
    const cJSON *version = root ? cJSON_GetObjectItemCaseSensitive(root, "Version") : NULL;
    int version_ok = cJSON_IsNumber(version) && version->valuedouble == 1.0;
    int is_object = root && cJSON_IsObject(root);
    if (root) {
        for (cJSON *item = root->child; item; item = item->next)
            if (item->valuestring)
                OPENSSL_cleanse(item->valuestring, strlen(item->valuestring));
        cJSON_Delete(root);
    }
    if (!is_object) {
        snprintf(errbuf, errbuf_size, "%s: its output is not a JSON object", what);
        return KUMO_SOURCE_FAILED;
    }
    if (!version_ok) {
        snprintf(errbuf, errbuf_size, "%s: unsupported \"Version\" (expected 1)", what);
        return KUMO_SOURCE_FAILED;
    }
    if (kumo_credentials_from_json(text, out->length, "SessionToken", 0, what, credentials, errbuf,
                                   errbuf_size) != 0)
        return KUMO_SOURCE_FAILED;
    snprintf(credentials->source, sizeof credentials->source, "credential_process (profile %s)",
             profile);
    return KUMO_SOURCE_OK;
}

enum kumo_source_result kumo_source_process(const char *command, const char *profile,
                                            long timeout_ms, struct kumo_credentials *out,
                                            char *errbuf, size_t errbuf_size,
                                            enum kumo_config_failure *kind)
{
    enum kumo_source_result result = KUMO_SOURCE_FAILED;
    char *argv[MAX_ARGS + 1];
    char *storage = NULL;
    char reason[200];
    int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
    pid_t pid = -1;
    int file_actions_ready = 0;
    posix_spawn_file_actions_t actions;
    struct kumo_strbuf stdout_buf = KUMO_STRBUF_INIT, stderr_buf = KUMO_STRBUF_INIT;
    *kind = KUMO_CONFIG_NO_CREDENTIALS;

    if (split_command(command, argv, &storage, reason, sizeof reason) < 0) {
        snprintf(errbuf, errbuf_size, "credential_process of profile %s cannot be parsed: %s",
                 profile, reason);
        *kind = KUMO_CONFIG_BAD;
        goto done;
    }
    if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0 ||
        posix_spawn_file_actions_init(&actions) != 0) {
        snprintf(errbuf, errbuf_size, "credential_process of profile %s: cannot create pipes: %s",
                 profile, strerror(errno));
        goto done;
    }
    file_actions_ready = 1;
    if (posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0) != 0 ||
        posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1) != 0 ||
        posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2) != 0) {
        snprintf(errbuf, errbuf_size, "credential_process of profile %s: out of memory", profile);
        goto done;
    }
    int spawn_error = posix_spawnp(&pid, argv[0], &actions, NULL, argv, environ);
    if (spawn_error != 0) {
        pid = -1;
        snprintf(errbuf, errbuf_size, "credential_process of profile %s: cannot run %.200s: %s",
                 profile, argv[0], strerror(spawn_error));
        goto done;
    }
    close(out_pipe[1]);
    close(err_pipe[1]);
    out_pipe[1] = err_pipe[1] = -1;

    long limit_ms = timeout_ms > 0 ? timeout_ms : DEFAULT_TIMEOUT_MS;
    int collected = collect(out_pipe[0], err_pipe[0], limit_ms, &stdout_buf, &stderr_buf);
    if (collected != 0)
        kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    pid = -1;
    if (collected == 1) {
        snprintf(errbuf, errbuf_size,
                 "credential_process of profile %s (%.200s) did not finish within %ld %s: killed",
                 profile, argv[0], limit_ms % 1000 ? limit_ms : limit_ms / 1000,
                 limit_ms % 1000 ? "ms" : "s");
    } else if (collected == 2) {
        snprintf(errbuf, errbuf_size,
                 "credential_process of profile %s (%.200s) printed more than %zu bytes", profile,
                 argv[0], KUMO_SOURCE_MAX_BODY_BYTES);
    } else if (collected < 0) {
        snprintf(errbuf, errbuf_size, "credential_process of profile %s: cannot read its output",
                 profile);
    } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        char line[600];
        one_line(kumo_strbuf_cstr(&stderr_buf), line, sizeof line);
        char how[64];
        if (WIFEXITED(status))
            snprintf(how, sizeof how, "exited with status %d", WEXITSTATUS(status));
        else
            snprintf(how, sizeof how, "was killed by signal %d",
                     WIFSIGNALED(status) ? WTERMSIG(status) : 0);
        snprintf(errbuf, errbuf_size, "credential_process of profile %s (%.200s) %s%s%s", profile,
                 argv[0], how, line[0] ? ": " : "", line);
    } else {
        result = parse_output(&stdout_buf, profile, out, errbuf, errbuf_size);
    }

done:
    if (pid > 0) {
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    if (file_actions_ready)
        posix_spawn_file_actions_destroy(&actions);
    for (int i = 0; i < 2; i++) {
        if (out_pipe[i] >= 0)
            close(out_pipe[i]);
        if (err_pipe[i] >= 0)
            close(err_pipe[i]);
    }
    if (stdout_buf.data)
        OPENSSL_cleanse(stdout_buf.data, stdout_buf.length);
    kumo_strbuf_free(&stdout_buf);
    kumo_strbuf_free(&stderr_buf);
    free(storage);
    return result;
}
