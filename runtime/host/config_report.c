/*
 * config_report.c - `kumo config`: what region, endpoint, profile,
 * credentials and retry settings a run would use, and where each came from,
 * as JSON for the command to print. Never a secret: the access key id is
 * shown masked, the secret key and session token not at all.
 */
#include "kumo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "aws/config.h"
#include "aws/credentials.h"
#include "host/error.h"
#include "host/runtime_internal.h"
#include "sandbox/sandbox.h"

/* "AKIA************WXYZ": the last four characters only. */
static void mask_key_id(const char *key_id, char *out, size_t size)
{
    size_t length = key_id ? strlen(key_id) : 0;
    if (length <= 4) {
        snprintf(out, size, "****");
        return;
    }
    size_t stars = length - 4 < 16 ? length - 4 : 16;
    snprintf(out, size, "%.*s%s", (int)stars, "****************", key_id + length - 4);
}

static void add_setting(cJSON *root, const char *name, const char *value, const char *source,
                        const char *problem)
{
    cJSON *item = cJSON_AddObjectToObject(root, name);
    if (!item)
        return;
    if (value)
        cJSON_AddStringToObject(item, "value", value);
    else
        cJSON_AddNullToObject(item, "value");
    if (source)
        cJSON_AddStringToObject(item, "source", source);
    if (problem)
        cJSON_AddStringToObject(item, "error", problem);
}

static void add_retry(cJSON *root, const struct kumo_config *cfg)
{
    const char *mode = cfg->retry_mode ? cfg->retry_mode : "standard";
    int default_attempts = strcmp(mode, "legacy") == 0 ? 5 : 3;
    char attempts[16];
    snprintf(attempts, sizeof attempts, "%d",
             cfg->max_attempts > 0 ? cfg->max_attempts : default_attempts);
    add_setting(root, "retry_mode", mode,
                cfg->retry_mode_source ? cfg->retry_mode_source : "default", NULL);
    add_setting(root, "max_attempts", attempts,
                cfg->max_attempts_source ? cfg->max_attempts_source : "default for the mode", NULL);
}

static void report_sandbox(cJSON *root, const struct kumo_runtime *rt)
{
    const char *source = NULL;
    const char *region =
        kumo_config_sandbox_region(rt->region, KUMO_SANDBOX_DEFAULT_REGION, &source);
    char key[64];
    mask_key_id(KUMO_SANDBOX_ACCESS_KEY_ID, key, sizeof key);
    add_setting(root, "profile", "sandbox", "--sandbox", NULL);
    add_setting(root, "region", region, source, NULL);
    add_setting(root, "endpoint", "(the offline sandbox)", "--sandbox", NULL);
    add_setting(root, "credentials", key, "the sandbox's own", NULL);
    add_setting(root, "ca_bundle", NULL, "not used", NULL);
    struct kumo_config none = {0};
    add_retry(root, &none);
}

static void report_aws(cJSON *root, struct kumo_runtime *rt)
{
    struct kumo_config_input input = {
        .region_flag = rt->region, .profile_flag = rt->profile, .endpoint_flag = rt->endpoint};
    struct kumo_config cfg = {0};
    char message[1024] = "";
    char region_problem[1024] = "";
    if (kumo_config_resolve(&input, &cfg, message, sizeof message) != KUMO_CONFIG_OK) {
        /* Was it only the region? Then resolve the rest with a stand-in region,
         * so the report still explains the profile, credentials and retries. */
        struct kumo_config_input stand_in = input;
        stand_in.region_flag = KUMO_SANDBOX_DEFAULT_REGION;
        char second[1024] = "";
        kumo_config_clear(&cfg);
        if (rt->region ||
            kumo_config_resolve(&stand_in, &cfg, second, sizeof second) != KUMO_CONFIG_OK) {
            add_setting(root, "configuration", NULL, NULL, message);
            kumo_config_clear(&cfg);
            return;
        }
        snprintf(region_problem, sizeof region_problem, "%s", message);
    }
    add_setting(root, "profile", cfg.profile, cfg.profile_source, NULL);
    if (region_problem[0]) {
        add_setting(root, "region", NULL, NULL, region_problem);
        add_setting(root, "endpoint", NULL, NULL, "needs a region");
    } else {
        add_setting(root, "region", cfg.region, cfg.region_source, NULL);
        add_setting(root, "endpoint", cfg.endpoint, cfg.endpoint_source, NULL);
    }
    add_setting(root, "ca_bundle", cfg.ca_bundle,
                cfg.ca_bundle ? "AWS_CA_BUNDLE or profile" : "the system's trust store", NULL);
    add_retry(root, &cfg);

    struct kumo_credential_chain *chain = kumo_credential_chain_new(
        &input, &cfg, rt->transport, rt->transport_data, rt->clock, rt->clock_data);
    const struct kumo_credentials *creds = NULL;
    enum kumo_config_failure kind = KUMO_CONFIG_OK;
    if (!chain) {
        add_setting(root, "credentials", NULL, NULL, "out of memory");
    } else if (kumo_credential_chain_get(chain, &creds, message, sizeof message, &kind) != 0) {
        add_setting(root, "credentials", NULL, NULL, message);
    } else {
        char key[64];
        mask_key_id(creds->access_key_id, key, sizeof key);
        add_setting(root, "credentials", key, creds->source, NULL);
        cJSON *item = cJSON_GetObjectItemCaseSensitive(root, "credentials");
        cJSON_AddBoolToObject(item, "temporary", creds->session_token != NULL);
        if (creds->expiration_ms > 0)
            cJSON_AddNumberToObject(
                item, "expires_in_seconds",
                (double)((creds->expiration_ms - rt->clock(rt->clock_data)) / 1000));
    }
    kumo_credential_chain_free(chain);
    kumo_config_clear(&cfg);
}

/* The report as an aligned table: setting, value, source (or the error). */
static char *format_table(const cJSON *root)
{
    static const char *const order[] = {"profile",     "region",        "endpoint",
                                        "credentials", "retry_mode",    "max_attempts",
                                        "ca_bundle",   "configuration", NULL};
    size_t size = 4096;
    char *text = malloc(size);
    if (!text)
        return NULL;
    int used = snprintf(text, size, "%-13s %-44s %s\n", "setting", "value", "source");
    for (size_t i = 0; order[i]; i++) {
        const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, order[i]);
        if (!item)
            continue;
        const char *value = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(item, "value"));
        const char *source = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(item, "source"));
        const char *problem = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(item, "error"));
        char name[32];
        snprintf(name, sizeof name, "%s", order[i]);
        for (char *c = name; *c; c++)
            if (*c == '_')
                *c = ' ';
        size_t need = (size_t)used + 64 + strlen(value ? value : "") +
                      strlen(source ? source : "") + strlen(problem ? problem : "") + 16;
        if (need > size) {
            char *bigger = realloc(text, need * 2);
            if (!bigger) {
                free(text);
                return NULL;
            }
            text = bigger;
            size = need * 2;
        }
        if (problem)
            used += snprintf(text + used, size - (size_t)used, "%-13s %-44s error: %s\n", name,
                             value ? value : "(none)", problem);
        else
            used += snprintf(text + used, size - (size_t)used, "%-13s %-44s %s\n", name,
                             value ? value : "(none)", source ? source : "");
    }
    return text;
}

enum kumo_status kumo_runtime_describe_config(struct kumo_runtime *runtime, int as_json,
                                              char **report, struct kumo_error **error)
{
    if (error)
        *error = NULL;
    if (report)
        *report = NULL;
    if (!runtime || !report) {
        if (error)
            *error = kumo_error_new(KUMO_ERROR_USAGE, "usage", NULL, "runtime and report needed");
        return KUMO_ERROR_USAGE;
    }
    cJSON *root = cJSON_CreateObject();
    if (!root)
        goto out_of_memory;
    if (runtime->sandbox)
        report_sandbox(root, runtime);
    else
        report_aws(root, runtime);
    *report = as_json ? cJSON_Print(root) : format_table(root); /* malloc'ed: kumo_free() */
    cJSON_Delete(root);
    if (*report)
        return KUMO_OK;
out_of_memory:
    if (error)
        *error = kumo_error_new(KUMO_ERROR_MEMORY, "memory", NULL, "out of memory");
    return KUMO_ERROR_MEMORY;
}
