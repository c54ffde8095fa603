/*
 * sigv4.c - AWS Signature Version 4 (AWS4-HMAC-SHA256) header signing, as
 * declared in sigv4.h: canonical request, string to sign, signing key,
 * signature and the Authorization header value.
 *
 * Pure: no I/O, no clock, no globals. SHA-256 and HMAC-SHA256 come from
 * OpenSSL's libcrypto. The rules follow botocore's SigV4Auth (what the AWS
 * CLI sends to EC2) and pass both official test suites (aws-c-auth v4 and
 * botocore's aws4_testsuite); where they differ, see the comments below.
 */
#include "aws/sigv4.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "util/strbuf.h"
#include "util/text.h"

#define SHA256_LENGTH 32
#define ALGORITHM "AWS4-HMAC-SHA256"
/* 9999-12-31T23:59:59Z: the last second a 4-digit year can show. */
#define MAX_UNIX_SECONDS INT64_C(253402300799)

/* One header as it goes into the canonical request. */
struct canonical_header {
    char *name;   /* lowercased, malloc'ed */
    char *value;  /* trimmed, inner whitespace runs collapsed, malloc'ed */
    size_t order; /* position in the input: keeps repeated names in order */
};

/* One query parameter, already in canonical (re-encoded) form. */
struct query_param {
    char *key;
    char *value;
};

static const char hex_digits[] = "0123456789abcdef";
static const char hex_upper[] = "0123456789ABCDEF";

static void to_hex(const unsigned char *bytes, size_t length, char *hex)
{
    for (size_t i = 0; i < length; i++) {
        hex[2 * i] = hex_digits[bytes[i] >> 4];
        hex[2 * i + 1] = hex_digits[bytes[i] & 0x0f];
    }
    hex[2 * length] = '\0';
}

void kumo_sha256_hex(const void *data, size_t length, char hex[65])
{
    unsigned char digest[SHA256_LENGTH];
    unsigned int digest_length = 0;
    static const unsigned char empty = 0;

    if (!data)
        data = &empty;
    if (EVP_Digest(data, length, digest, &digest_length, EVP_sha256(), NULL) != 1 ||
        digest_length != SHA256_LENGTH) {
        /* Only fails when libcrypto cannot allocate; never hand out a
         * plausible-looking hash then. */
        memset(hex, 0, 65);
        return;
    }
    to_hex(digest, SHA256_LENGTH, hex);
}

static int hmac_sha256(const void *key, size_t key_length, const void *data, size_t length,
                       unsigned char out[SHA256_LENGTH])
{
    unsigned int out_length = 0;
    static const unsigned char empty = 0;

    if (key_length > (size_t)INT32_MAX)
        return -1;
    if (!data)
        data = &empty;
    if (!HMAC(EVP_sha256(), key, (int)key_length, data, length, out, &out_length) ||
        out_length != SHA256_LENGTH)
        return -1;
    return 0;
}

/* RFC 3986 unreserved characters: never percent-encoded. */
static int is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

/* Whitespace for trimming header values: the C locale's isspace() set, so a
 * folded (multiline) value collapses like botocore's ' '.join(v.split()). */
static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* Percent-encodes every byte except the unreserved ones (and '/' when
 * keep_slash), with uppercase hex digits. */
static void uri_encode(struct kumo_strbuf *buf, const char *text, size_t length, int keep_slash)
{
    for (size_t i = 0; i < length; i++) {
        unsigned char c = (unsigned char)text[i];
        if (is_unreserved(c) || (keep_slash && c == '/')) {
            kumo_strbuf_append_char(buf, (char)c);
        } else {
            char escaped[3] = {'%', hex_upper[c >> 4], hex_upper[c & 0x0f]};
            kumo_strbuf_append(buf, escaped, sizeof escaped);
        }
    }
}

/* Decodes %XX escapes (a '%' not followed by two hex digits stays as it
 * is; '+' stays '+') and re-encodes the result: the canonical form of one
 * query key or value. Returns a malloc'ed string or NULL. */
static char *canonical_query_part(const char *text, size_t length)
{
    struct kumo_strbuf decoded = KUMO_STRBUF_INIT;
    struct kumo_strbuf encoded = KUMO_STRBUF_INIT;

    for (size_t i = 0; i < length; i++) {
        int high, low;
        if (text[i] == '%' && i + 2 < length &&
            (high = kumo_hex_value((unsigned char)text[i + 1])) >= 0 &&
            (low = kumo_hex_value((unsigned char)text[i + 2])) >= 0) {
            kumo_strbuf_append_char(&decoded, (char)(high << 4 | low));
            i += 2;
        } else {
            kumo_strbuf_append_char(&decoded, text[i]);
        }
    }
    uri_encode(&encoded, kumo_strbuf_cstr(&decoded), decoded.length, 0);
    if (decoded.failed)
        encoded.failed = 1;
    kumo_strbuf_free(&decoded);
    return kumo_strbuf_detach(&encoded);
}

static int compare_query_params(const void *a, const void *b)
{
    const struct query_param *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->value, y->value);
}

/* The canonical query string: parameters split on '&' (empty ones dropped)
 * and at the first '=', each key and value decoded and re-encoded, sorted
 * by key then value (byte order), joined as k=v with '&'. A query that is
 * already encoded the SigV4 way comes out unchanged apart from the order,
 * as botocore signs it; raw UTF-8 or spaces are encoded, as aws-c-auth does. */
static int append_canonical_query(struct kumo_strbuf *out, const char *query)
{
    struct query_param *params = NULL;
    size_t count = 0, capacity = 0;
    int rc = -1;

    if (!query || !*query)
        return 0;
    for (const char *p = query; *p;) {
        const char *end = strchr(p, '&');
        size_t length = end ? (size_t)(end - p) : strlen(p);
        if (length > 0) {
            const char *equals = memchr(p, '=', length);
            size_t key_length = equals ? (size_t)(equals - p) : length;
            if (count == capacity) {
                size_t grown = capacity ? capacity * 2 : 8;
                struct query_param *bigger = realloc(params, grown * sizeof *params);
                if (!bigger)
                    goto done;
                params = bigger;
                capacity = grown;
            }
            params[count].key = canonical_query_part(p, key_length);
            params[count].value = equals ? canonical_query_part(equals + 1, length - key_length - 1)
                                         : canonical_query_part("", 0);
            count++;
            if (!params[count - 1].key || !params[count - 1].value)
                goto done;
        }
        p += length;
        if (*p == '&')
            p++;
    }
    qsort(params, count, sizeof *params, compare_query_params);
    for (size_t i = 0; i < count; i++) {
        if (i)
            kumo_strbuf_append_char(out, '&');
        kumo_strbuf_append_str(out, params[i].key);
        kumo_strbuf_append_char(out, '=');
        kumo_strbuf_append_str(out, params[i].value);
    }
    rc = out->failed ? -1 : 0;
done:
    for (size_t i = 0; i < count; i++) {
        free(params[i].key);
        free(params[i].value);
    }
    free(params);
    return rc;
}

/* RFC 3986 5.2.4 dot-segment removal plus the collapse of empty segments
 * ("//"), exactly as botocore's remove_dot_segments(): a leading '/' is
 * kept, a trailing '/' is kept when any segment remains. */
static int normalize_path(struct kumo_strbuf *out, const char *path)
{
    size_t length = strlen(path);
    size_t *starts = NULL; /* offsets in `out` where kept segments begin */
    size_t kept = 0;
    int rc = -1;

    if (length == 0)
        return kumo_strbuf_append_char(out, '/');
    starts = malloc((length / 2 + 1) * sizeof *starts);
    if (!starts)
        return -1;
    size_t base = out->length;
    if (path[0] == '/')
        kumo_strbuf_append_char(out, '/');
    size_t body = out->length;
    for (const char *p = path; p < path + length;) {
        const char *slash = memchr(p, '/', (size_t)(path + length - p));
        size_t segment = slash ? (size_t)(slash - p) : (size_t)(path + length - p);
        if (segment == 0 || (segment == 1 && p[0] == '.')) {
            /* empty or "." : dropped */
        } else if (segment == 2 && p[0] == '.' && p[1] == '.') {
            if (kept > 0) {
                kept--;
                out->length = starts[kept] > body ? starts[kept] - 1 : body;
            }
        } else {
            if (kept > 0)
                kumo_strbuf_append_char(out, '/');
            starts[kept++] = out->length;
            kumo_strbuf_append(out, p, segment);
        }
        p += segment + (slash ? 1 : 0);
    }
    if (out->failed)
        goto done;
    if (out->data)
        out->data[out->length] = '\0'; /* a ".." may have cut the text */
    if (path[length - 1] == '/' && kept > 0)
        kumo_strbuf_append_char(out, '/');
    if (out->length == base)
        kumo_strbuf_append_char(out, '/'); /* "a/.." and the like */
    rc = out->failed ? -1 : 0;
done:
    free(starts);
    return rc;
}

/* The canonical URI: the path (normalised when asked) percent-encoded
 * with '/' kept. The path is taken as it is sent on the request line, so an
 * already-encoded path is encoded once more ("%20" -> "%2520"): the double
 * encoding that botocore and aws-c-auth apply to every service but S3. */
static int append_canonical_uri(struct kumo_strbuf *out, const char *path, bool normalize)
{
    struct kumo_strbuf normalized = KUMO_STRBUF_INIT;
    int rc = -1;

    if (normalize) {
        if (normalize_path(&normalized, path) != 0)
            goto done;
    } else if (kumo_strbuf_append_str(&normalized, *path ? path : "/") != 0) {
        goto done;
    }
    uri_encode(out, normalized.data, normalized.length, 1);
    rc = out->failed ? -1 : 0;
done:
    kumo_strbuf_free(&normalized);
    return rc;
}

/* A header name must be a non-empty HTTP token-ish string: no controls,
 * spaces or ':'. */
static int valid_header_name(const char *name)
{
    if (!name || !*name)
        return 0;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if (*p <= 0x20 || *p == 0x7f || *p == ':')
            return 0;
    }
    return 1;
}

static char *lowercase_copy(const char *text)
{
    size_t length = strlen(text);
    char *copy = malloc(length + 1);
    if (!copy)
        return NULL;
    for (size_t i = 0; i <= length; i++) {
        char c = text[i];
        copy[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    return copy;
}

/* Trims leading/trailing whitespace and collapses inner runs (including
 * folded line breaks) to one space. */
static char *trimmed_copy(const char *value)
{
    size_t length = strlen(value);
    char *copy = malloc(length + 1);
    size_t n = 0;
    int pending_space = 0;

    if (!copy)
        return NULL;
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        if (is_space(*p)) {
            pending_space = n > 0;
            continue;
        }
        if (pending_space)
            copy[n++] = ' ';
        pending_space = 0;
        copy[n++] = (char)*p;
    }
    copy[n] = '\0';
    return copy;
}

static int compare_headers(const void *a, const void *b)
{
    const struct canonical_header *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return x->order < y->order ? -1 : x->order > y->order;
}

static int valid_scope_part(const char *text)
{
    if (!text || !*text)
        return 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p <= 0x20 || *p == 0x7f || *p == '/' || *p == ',')
            return 0;
    }
    return 1;
}

/* unix seconds -> "YYYYMMDDTHHMMSSZ" (proleptic Gregorian, UTC), without
 * the C library's time zone machinery. */
static void format_amz_date(int64_t seconds, char out[17])
{
    int64_t days = seconds / 86400;
    int64_t rest = seconds % 86400;
    /* Howard Hinnant's civil_from_days, for days >= 0. */
    int64_t z = days + 719468;
    int64_t era = z / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t day = doy - (153 * mp + 2) / 5 + 1;
    int64_t month = mp < 10 ? mp + 3 : mp - 9;
    int64_t year = yoe + era * 400 + (month <= 2);
    int64_t fields[6] = {year, month, day, rest / 3600, rest % 3600 / 60, rest % 60};
    static const int widths[6] = {4, 2, 2, 2, 2, 2};
    char *p = out;

    for (int f = 0; f < 6; f++) {
        int64_t v = fields[f];
        for (int w = widths[f] - 1; w >= 0; w--) {
            p[w] = (char)('0' + v % 10);
            v /= 10;
        }
        p += widths[f];
        if (f == 2)
            *p++ = 'T';
    }
    *p++ = 'Z';
    *p = '\0';
}

void kumo_sigv4_output_clear(struct kumo_sigv4_output *output)
{
    if (!output)
        return;
    free(output->canonical_request);
    free(output->string_to_sign);
    free(output->signed_headers);
    free(output->authorization);
    memset(output, 0, sizeof *output);
}

int kumo_sigv4_sign(const struct kumo_sigv4_input *input, struct kumo_sigv4_output *output)
{
    struct canonical_header *headers = NULL;
    size_t count = 0;
    struct kumo_strbuf creq = KUMO_STRBUF_INIT;
    struct kumo_strbuf signed_names = KUMO_STRBUF_INIT;
    struct kumo_strbuf sts = KUMO_STRBUF_INIT;
    struct kumo_strbuf key = KUMO_STRBUF_INIT;
    struct kumo_strbuf auth = KUMO_STRBUF_INIT;
    unsigned char k[SHA256_LENGTH] = {0}, sig[SHA256_LENGTH];
    char payload_hash[65], creq_hash[65], date[9];
    int has_host = 0;
    bool add_token;
    int rc = -1;

    if (!output)
        return -1;
    memset(output, 0, sizeof *output);
    if (!input || !input->method || !*input->method || !input->path ||
        (input->header_count && !input->headers) || (input->payload_length && !input->payload) ||
        !valid_scope_part(input->access_key_id) || !input->secret_access_key ||
        !valid_scope_part(input->region) || !valid_scope_part(input->service) ||
        input->unix_seconds < 0 || input->unix_seconds > MAX_UNIX_SECONDS)
        return -1;
    add_token = input->session_token && *input->session_token && input->sign_session_token;

    format_amz_date(input->unix_seconds, output->amz_date);
    memcpy(date, output->amz_date, 8);
    date[8] = '\0';

    /* Headers: the caller's, plus X-Amz-Date and maybe the token. */
    headers = calloc(input->header_count + 2, sizeof *headers);
    if (!headers)
        goto done;
    for (size_t i = 0; i < input->header_count; i++) {
        const struct kumo_http_header *h = &input->headers[i];
        if (!valid_header_name(h->name) || !h->value)
            goto done;
        headers[count].name = lowercase_copy(h->name);
        headers[count].value = trimmed_copy(h->value);
        headers[count].order = count;
        count++;
        if (!headers[count - 1].name || !headers[count - 1].value)
            goto done;
        const char *name = headers[count - 1].name;
        /* The signer owns these; signing Authorization makes no sense. */
        if (!strcmp(name, "x-amz-date") || !strcmp(name, "authorization") ||
            (add_token && !strcmp(name, "x-amz-security-token")))
            goto done;
        if (!strcmp(name, "host"))
            has_host = 1;
    }
    if (!has_host)
        goto done;
    headers[count].name = strdup("x-amz-date");
    headers[count].value = strdup(output->amz_date);
    headers[count].order = count;
    count++;
    if (add_token) {
        headers[count].name = strdup("x-amz-security-token");
        headers[count].value = trimmed_copy(input->session_token);
        headers[count].order = count;
        count++;
    }
    for (size_t i = 0; i < count; i++) {
        if (!headers[i].name || !headers[i].value)
            goto done;
    }
    qsort(headers, count, sizeof *headers, compare_headers);

    /* 1. Canonical request. */
    kumo_strbuf_append_str(&creq, input->method);
    kumo_strbuf_append_char(&creq, '\n');
    if (append_canonical_uri(&creq, input->path, input->normalize_path) != 0)
        goto done;
    kumo_strbuf_append_char(&creq, '\n');
    if (append_canonical_query(&creq, input->query) != 0)
        goto done;
    kumo_strbuf_append_char(&creq, '\n');
    for (size_t i = 0; i < count; i++) {
        int repeat = i > 0 && !strcmp(headers[i].name, headers[i - 1].name);
        if (repeat) {
            kumo_strbuf_append_char(&creq, ',');
        } else {
            if (i > 0) {
                kumo_strbuf_append_char(&creq, '\n');
                kumo_strbuf_append_char(&signed_names, ';');
            }
            kumo_strbuf_append_str(&creq, headers[i].name);
            kumo_strbuf_append_char(&creq, ':');
            kumo_strbuf_append_str(&signed_names, headers[i].name);
        }
        kumo_strbuf_append_str(&creq, headers[i].value);
    }
    kumo_sha256_hex(input->payload, input->payload_length, payload_hash);
    if (!payload_hash[0])
        goto done;
    kumo_strbuf_printf(&creq, "\n\n%s\n%s", kumo_strbuf_cstr(&signed_names), payload_hash);
    if (creq.failed || signed_names.failed)
        goto done;

    /* 2. String to sign. */
    kumo_sha256_hex(creq.data, creq.length, creq_hash);
    if (!creq_hash[0])
        goto done;
    kumo_strbuf_printf(&sts, ALGORITHM "\n%s\n%s/%s/%s/aws4_request\n%s", output->amz_date, date,
                       input->region, input->service, creq_hash);

    /* 3. Signing key: HMAC chain from "AWS4" + secret; 4. signature. */
    kumo_strbuf_append_str(&key, "AWS4");
    kumo_strbuf_append_str(&key, input->secret_access_key);
    if (sts.failed || key.failed)
        goto done;
    if (hmac_sha256(key.data, key.length, date, 8, k) != 0 ||
        hmac_sha256(k, sizeof k, input->region, strlen(input->region), k) != 0 ||
        hmac_sha256(k, sizeof k, input->service, strlen(input->service), k) != 0 ||
        hmac_sha256(k, sizeof k, "aws4_request", 12, k) != 0 ||
        hmac_sha256(k, sizeof k, sts.data, sts.length, sig) != 0)
        goto done;
    to_hex(sig, sizeof sig, output->signature);

    /* 5. Authorization header value. */
    kumo_strbuf_printf(&auth,
                       ALGORITHM " Credential=%s/%s/%s/%s/aws4_request, SignedHeaders=%s, "
                                 "Signature=%s",
                       input->access_key_id, date, input->region, input->service,
                       kumo_strbuf_cstr(&signed_names), output->signature);
    if (auth.failed)
        goto done;

    output->canonical_request = kumo_strbuf_detach(&creq);
    output->string_to_sign = kumo_strbuf_detach(&sts);
    output->signed_headers = kumo_strbuf_detach(&signed_names);
    output->authorization = kumo_strbuf_detach(&auth);
    if (output->canonical_request && output->string_to_sign && output->signed_headers &&
        output->authorization)
        rc = 0;

done:
    OPENSSL_cleanse(k, sizeof k);
    if (key.data)
        OPENSSL_cleanse(key.data, key.length);
    kumo_strbuf_free(&key);
    kumo_strbuf_free(&creq);
    kumo_strbuf_free(&signed_names);
    kumo_strbuf_free(&sts);
    kumo_strbuf_free(&auth);
    if (headers) {
        for (size_t i = 0; i < input->header_count + 2; i++) {
            free(headers[i].name);
            free(headers[i].value);
        }
        free(headers);
    }
    if (rc != 0)
        kumo_sigv4_output_clear(output);
    return rc;
}
