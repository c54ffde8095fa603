/*
 * sandbox_internal.h - what the sandbox's files share: the sandbox object,
 * the decoded form body, the per-request context the actions work on, error
 * helpers, filters, pagination, tag specifications, CIDR canonical forms,
 * and the action entry points (actions_*.c).
 */
#ifndef KUMO_SANDBOX_INTERNAL_H
#define KUMO_SANDBOX_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "sandbox/sandbox.h"
#include "sandbox/world.h"
#include "util/strbuf.h"

struct kumo_sandbox {
    struct sb_world *world;
    char *state_path; /* NULL: memory only */
    kumo_clock_fn clock;
    void *clock_data;
    int dirty;
    /* The state file as last loaded or saved (for reload_if_changed). */
    int file_known;
    dev_t file_dev;
    ino_t file_ino;
    off_t file_size;
    struct timespec file_mtime;
};

/* ---- state.c ---- */

/* Loads `path` into a new world. Returns 0 with *out set (an empty world
 * when the file does not exist), or -1 with a message naming the file. */
int sb_state_load(const char *path, struct sb_world **out, char *errbuf, size_t errbuf_size);
/* Writes the world atomically (temporary file in the same directory, fsync,
 * rename, fsync of the directory). Returns 0 or -1 with a message. */
int sb_state_save(const char *path, const struct sb_world *world, char *errbuf, size_t errbuf_size);

/* ---- form.c: application/x-www-form-urlencoded ---- */

struct sb_param {
    char *name;
    char *value;
};

struct sb_form {
    struct sb_param *items;
    size_t count;
};

/* Decodes the body ('+' is a space, %XX escapes). Returns 0, -1 on a bad
 * escape, -2 out of memory. A later repeat of a name replaces its value. */
int sb_form_parse(struct sb_form *form, const char *body, size_t length);
void sb_form_free(struct sb_form *form);
const char *sb_form_get(const struct sb_form *form, const char *name);
const char *sb_form_getf(const struct sb_form *form, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
/* The highest N among names "PREFIX.N" and "PREFIX.N.*" (0 when none). */
size_t sb_form_list_max(const struct sb_form *form, const char *prefix);

/* ---- the request context ---- */

struct sb_ctx {
    struct sb_world *world;
    struct sb_region *region;
    const struct sb_form *form;
    const char *action;
    struct kumo_strbuf *out; /* the success document */
    char request_id[37];
    int dry_run;
    int changed; /* set by actions that changed the world */
    long status; /* error status (0: none) */
    char code[128];
    char message[1024];
};

/* Records an error and returns -1. */
int sb_fail(struct sb_ctx *ctx, long status, const char *code, const char *format, ...)
    __attribute__((format(printf, 4, 5)));
/* The 412 DryRunOperation answer; returns -1. */
int sb_dry_run(struct sb_ctx *ctx);
/* 500 InternalError (out of memory); returns -1. */
int sb_oom(struct sb_ctx *ctx);
/* Writes the document root of a success answer / closes it. */
void sb_begin(struct sb_ctx *ctx);
void sb_end(struct sb_ctx *ctx);

/* ---- common.c ---- */

/* Canonical CIDR (host bits cleared; IPv6 compressed lowercase) into
 * out[64]. Returns 4 or 6, or 0 when `text` is not a CIDR block. */
int sb_cidr_canonical(const char *text, char out[64]);

/* 1 when `id` is PREFIX-[0-9a-f]{8} or PREFIX-[0-9a-f]{17}. */
int sb_id_well_formed(const char *id, const char *prefix);
/* Fails with `code` and EC2's "Invalid id" message when not well formed. */
int sb_check_id(struct sb_ctx *ctx, const char *id, const char *prefix, const char *code);

/* Reads a required parameter (MissingParameter when absent or empty). */
int sb_require(struct sb_ctx *ctx, const char *name, const char **value);
/* Parses an integer parameter value; InvalidParameterValue if not one. */
int sb_parse_int(struct sb_ctx *ctx, const char *name, const char *text, long long min,
                 long long max, long long *out);

/* Tag key/value checks (InvalidParameterValue / InvalidTag...). */
int sb_check_tag(struct sb_ctx *ctx, const char *key, const char *value);
/* TagSpecification.N for `resource_type` into `tags` (caller clears them).
 * Other resource types or a missing ResourceType fail. */
int sb_tag_specifications(struct sb_ctx *ctx, const char *resource_type, struct sb_tags *tags);

/* Filters: Filter.N.Name / Filter.N.Value.M. */
struct sb_filter {
    const char *name;
    const char **values;
    size_t value_count;
};

struct sb_filters {
    struct sb_filter *items;
    size_t count;
};

/* Parses the filters; a name not in `allowed` (NULL-terminated; "tag:" and
 * "tag-key"/"tag-value" are always allowed) fails with
 * InvalidParameterValue. */
int sb_filters_parse(struct sb_ctx *ctx, const char *const *allowed, struct sb_filters *out);
void sb_filters_free(struct sb_filters *filters);
/* 1 when `value` matches any of the filter's values (* and ? wildcards). */
int sb_filter_any(const struct sb_filter *filter, const char *value);
/* For tag:KEY, tag-key and tag-value: 1/0 match; -1 when not a tag filter. */
int sb_filter_tags(const struct sb_filter *filter, const struct sb_tags *tags);

/* Collects "PREFIX.N" values (GroupId.N, VpcId.N, ...). Returns the count,
 * *out malloc'ed (pointers into the form), or -1 out of memory. */
long sb_list_values(struct sb_ctx *ctx, const char *prefix, const char ***out);

/* MaxResults / NextToken. *max_results 0 when not given; *start the offset
 * where the page begins. `ids_given` with MaxResults fails with
 * InvalidParameterCombination. */
int sb_page_params(struct sb_ctx *ctx, int ids_given, long *max_results, size_t *start);
/* Writes <nextToken> when more items follow the page. */
void sb_page_token(struct sb_ctx *ctx, size_t next, size_t total);

/* Writes a <tagSet> (empty: <tagSet/>). */
void sb_xml_tags(struct kumo_strbuf *out, const struct sb_tags *tags);
/* One <item> of a securityGroupRuleSet. */
void sb_xml_rule_item(struct kumo_strbuf *out, const struct sb_group *group,
                      const struct sb_rule *rule);

/* ---- actions ---- */
int sb_action_describe_vpcs(struct sb_ctx *ctx);
int sb_action_create_vpc(struct sb_ctx *ctx);
int sb_action_delete_vpc(struct sb_ctx *ctx);
int sb_action_create_security_group(struct sb_ctx *ctx);
int sb_action_delete_security_group(struct sb_ctx *ctx);
int sb_action_describe_security_groups(struct sb_ctx *ctx);
int sb_action_describe_network_interfaces(struct sb_ctx *ctx);
int sb_action_authorize_ingress(struct sb_ctx *ctx);
int sb_action_authorize_egress(struct sb_ctx *ctx);
int sb_action_revoke_ingress(struct sb_ctx *ctx);
int sb_action_revoke_egress(struct sb_ctx *ctx);
int sb_action_describe_security_group_rules(struct sb_ctx *ctx);
int sb_action_create_tags(struct sb_ctx *ctx);
int sb_action_delete_tags(struct sb_ctx *ctx);

#endif
