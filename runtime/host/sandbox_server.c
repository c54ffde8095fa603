/*
 * sandbox_server.c - `kumo sandbox serve`: the offline EC2 served over plain
 * HTTP/1.1 on a loopback address, one request per connection, so that the
 * AWS CLI or boto3 can prepare and inspect a sandbox state file.
 */
#include "kumo.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "host/error.h"
#include "sandbox/sandbox.h"

#define MAX_HEADER_BYTES (64 * 1024)
#define MAX_BODY_BYTES (4 * 1024 * 1024)
#define MAX_HEADERS 100
#define READ_TIMEOUT_MS 10000

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int signum)
{
    (void)signum;
    stop_requested = 1;
}

const char *kumo_sandbox_access_key_id(void)
{
    return KUMO_SANDBOX_ACCESS_KEY_ID;
}

const char *kumo_sandbox_secret_access_key(void)
{
    return KUMO_SANDBOX_SECRET_ACCESS_KEY;
}

/* One received request, pointing into `buffer`. */
struct request {
    char buffer[MAX_HEADER_BYTES + 1];
    size_t used;
    char *method;
    char *path;
    struct kumo_http_header headers[MAX_HEADERS];
    size_t header_count;
    char *body;
    size_t body_length;
};

/* Reads with a timeout; returns bytes read, 0 at EOF, -1 on error/timeout. */
static ssize_t read_some(int fd, void *into, size_t size)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int ready = poll(&p, 1, READ_TIMEOUT_MS);
    if (ready <= 0)
        return -1;
    ssize_t n = read(fd, into, size);
    return n < 0 ? -1 : n;
}

static int write_all(int fd, const char *data, size_t length)
{
    while (length > 0) {
        ssize_t n = send(fd, data, length, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        data += n;
        length -= (size_t)n;
    }
    return 0;
}

/* Splits the header block in place. Returns 0, or an HTTP status to answer. */
static int parse_head(struct request *r, char *head_end)
{
    *head_end = '\0';
    char *line_end = strstr(r->buffer, "\r\n");
    if (!line_end)
        return 400;
    *line_end = '\0';
    r->method = r->buffer;
    char *space = strchr(r->method, ' ');
    if (!space)
        return 400;
    *space = '\0';
    r->path = space + 1;
    space = strchr(r->path, ' ');
    if (!space || strncmp(space + 1, "HTTP/1.", 7) != 0)
        return 400;
    *space = '\0';
    char *line = line_end + 2;
    while (*line) {
        line_end = strstr(line, "\r\n");
        if (line_end)
            *line_end = '\0';
        char *colon = strchr(line, ':');
        if (!colon || r->header_count == MAX_HEADERS)
            return 400;
        *colon = '\0';
        char *value = colon + 1;
        while (*value == ' ' || *value == '\t')
            value++;
        r->headers[r->header_count++] = (struct kumo_http_header){line, value};
        if (!line_end)
            break;
        line = line_end + 2;
    }
    return 0;
}

static const char *header_value(const struct request *r, const char *name)
{
    for (size_t i = 0; i < r->header_count; i++)
        if (strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}

/* Reads one request. Returns 0, -1 to drop the connection, or an HTTP
 * status to answer with. */
static int read_request(int fd, struct request *r)
{
    char *head_end = NULL;
    while (!head_end) {
        if (r->used == MAX_HEADER_BYTES)
            return 431;
        ssize_t n = read_some(fd, r->buffer + r->used, MAX_HEADER_BYTES - r->used);
        if (n <= 0)
            return -1;
        r->used += (size_t)n;
        r->buffer[r->used] = '\0';
        head_end = strstr(r->buffer, "\r\n\r\n");
    }
    size_t head_length = (size_t)(head_end - r->buffer) + 4;
    int status = parse_head(r, head_end);
    if (status)
        return status;
    const char *length_text = header_value(r, "Content-Length");
    char *end = NULL;
    unsigned long length = length_text ? strtoul(length_text, &end, 10) : 0;
    if (length_text && (*end != '\0' || end == length_text))
        return 400;
    if (length > MAX_BODY_BYTES)
        return 413;
    r->body = malloc(length + 1);
    if (!r->body)
        return 500;
    size_t have = r->used - head_length;
    memcpy(r->body, r->buffer + head_length, have < length ? have : length);
    while (have < length) {
        ssize_t n = read_some(fd, r->body + have, length - have);
        if (n <= 0)
            return -1;
        have += (size_t)n;
    }
    r->body[length] = '\0';
    r->body_length = length;
    return 0;
}

static const char *reason_phrase(long status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 412:
        return "Precondition Failed";
    case 413:
        return "Payload Too Large";
    case 431:
        return "Request Header Fields Too Large";
    default:
        return status >= 500 ? "Internal Server Error" : "Error";
    }
}

static void respond(int fd, long status, const char *body, size_t length)
{
    char head[256];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %ld %s\r\nContent-Type: text/xml;charset=UTF-8\r\n"
                     "Content-Length: %zu\r\nServer: kumo-sandbox\r\nConnection: close\r\n\r\n",
                     status, reason_phrase(status), length);
    if (write_all(fd, head, (size_t)n) == 0 && length)
        write_all(fd, body, length);
}

/* Serves one connection: one request, one answer. */
static void serve_connection(struct kumo_sandbox *sandbox, int fd)
{
    struct request *r = calloc(1, sizeof *r);
    if (!r)
        return;
    int status = read_request(fd, r);
    if (status > 0) {
        respond(fd, status, "", 0);
    } else if (status == 0) {
        char message[1024] = "";
        if (kumo_sandbox_reload_if_changed(sandbox, message, sizeof message) != 0)
            fprintf(stderr, "kumo: sandbox: %s\n", message);
        long answer = 500;
        char *body = NULL;
        size_t length = 0;
        kumo_sandbox_handle(sandbox, r->method, r->path, r->headers, r->header_count, r->body,
                            r->body_length, &answer, &body, &length);
        if (kumo_sandbox_dirty(sandbox) && kumo_sandbox_save(sandbox, message, sizeof message))
            fprintf(stderr, "kumo: sandbox: %s\n", message);
        respond(fd, answer, body ? body : "", body ? length : 0);
        free(body);
    }
    free(r->body);
    free(r);
}

static int is_loopback(const struct sockaddr *address)
{
    if (address->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)address;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (address->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)address;
        return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
    }
    return 0;
}

static enum kumo_status fail(struct kumo_error **error, const char *code, const char *message)
{
    if (error)
        *error = kumo_error_new(KUMO_ERROR_CONFIG, "config", code, message);
    return KUMO_ERROR_CONFIG;
}

/* Binds a listening socket on host:port (loopback only). */
static int listen_on(const char *host, int port, int *bound_port, char *message, size_t size)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *found = NULL;
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    int rc = getaddrinfo(host, service, &hints, &found);
    if (rc != 0) {
        snprintf(message, size, "cannot resolve '%s': %s", host, gai_strerror(rc));
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *a = found; a; a = a->ai_next) {
        if (!is_loopback(a->ai_addr)) {
            snprintf(message, size,
                     "'%s' is not a loopback address: the sandbox only listens on 127.0.0.1 "
                     "or ::1",
                     host);
            continue;
        }
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, 0);
        if (fd < 0)
            continue;
        int on = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
        if (bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, 16) == 0)
            break;
        snprintf(message, size, "cannot listen on %s:%d: %s", host, port, strerror(errno));
        close(fd);
        fd = -1;
    }
    freeaddrinfo(found);
    if (fd < 0)
        return -1;
    struct sockaddr_storage local;
    socklen_t length = sizeof local;
    getsockname(fd, (struct sockaddr *)&local, &length);
    *bound_port = ntohs(local.ss_family == AF_INET ? ((struct sockaddr_in *)&local)->sin_port
                                                   : ((struct sockaddr_in6 *)&local)->sin6_port);
    return fd;
}

enum kumo_status kumo_sandbox_serve(const char *state_path, const char *host, int port,
                                    kumo_serve_ready_fn ready, void *ready_data,
                                    struct kumo_error **error)
{
    if (error)
        *error = NULL;
    if (!host || port < 0 || port > 65535)
        return fail(error, "InvalidArgument", "a loopback host and a port 0-65535 are needed");
    char message[1024] = "";
    struct kumo_sandbox *sandbox =
        kumo_sandbox_new(state_path, NULL, NULL, message, sizeof message);
    if (!sandbox)
        return fail(error, "InvalidSandboxState", message);
    int bound_port = 0;
    int listener = listen_on(host, port, &bound_port, message, sizeof message);
    if (listener < 0) {
        kumo_sandbox_free(sandbox);
        return fail(error, "ListenFailed", message);
    }
    struct sigaction action = {.sa_handler = on_stop_signal};
    struct sigaction old_int, old_term;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &old_int);
    sigaction(SIGTERM, &action, &old_term);
    stop_requested = 0;
    if (ready)
        ready(ready_data, host, bound_port);
    while (!stop_requested) {
        struct pollfd p = {.fd = listener, .events = POLLIN};
        if (poll(&p, 1, 500) <= 0)
            continue;
        int fd = accept(listener, NULL, NULL);
        if (fd < 0)
            continue;
        serve_connection(sandbox, fd);
        close(fd);
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    close(listener);
    enum kumo_status status = KUMO_OK;
    if (kumo_sandbox_dirty(sandbox) && kumo_sandbox_save(sandbox, message, sizeof message) != 0)
        status = fail(error, "SandboxSaveFailed", message);
    kumo_sandbox_free(sandbox);
    return status;
}
