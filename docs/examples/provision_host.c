/*
 * provision_host.c - a small program that embeds kumo, built only against
 * the installed library (see docs/embedding.md and the Makefile /
 * CMakeLists.txt beside this file).
 *
 * It registers a Lua function, require("host").notify(message), that the
 * host prints; passes its input as JSON; runs a provisioning script under
 * a memory cap and a time limit, with the safe set of Lua libraries,
 * against kumo's offline EC2 sandbox; and prints the JSON result.
 *
 *   ./provision_host [prefix]
 */
#include <stdio.h>
#include <stdlib.h>

#include <kumo.h>

/* The script a user might hand to the host: it sees the host's input as
 * `...` (and kumo.input) and reports progress through the host's module. */
static const char script[] =
    "local vpc = require 'kumo.vpc'\n"
    "local sg = require 'kumo.sg'\n"
    "local host = require 'host'\n"
    "local input = ...\n"
    "\n"
    "local v = vpc.ensure{ name = input.prefix .. '-vpc', cidr = input.cidr }\n"
    "host.notify('vpc ' .. v.vpc_id .. (v.created and ' created' or ' found'))\n"
    "local web = sg.ensure{\n"
    "  name = input.prefix .. '-web', description = 'web servers', vpc_id = v.vpc_id,\n"
    "  ingress = { { protocol = 'tcp', port = 443, cidr = '0.0.0.0/0' } },\n"
    "}\n"
    "host.notify('security group ' .. web.group_id)\n"
    "return { vpc_id = v.vpc_id, web_group_id = web.group_id }\n";

/* require("host").notify(message): args_json is the argument list as a JSON
 * array, e.g. ["vpc vpc-0abc created"]. Answers `true`. */
static void notify(void *user_data, const char *args_json, struct kumo_host_call *call)
{
    const char *tag = user_data;
    printf("[%s] notify %s\n", tag, args_json);
    kumo_host_call_return_json(call, "true");
}

static int fail(const char *what, struct kumo_error *error)
{
    fprintf(stderr, "provision_host: %s: %s%s%s\n", what, error && error->code ? error->code : "",
            error && error->code ? ": " : "", error && error->message ? error->message : "failed");
    kumo_error_free(error);
    return 1;
}

int main(int argc, char **argv)
{
    const char *prefix = argc > 1 ? argv[1] : "demo";
    struct kumo_options options = {
        .log_level = KUMO_LOG_WARN,
        .sandbox = 1,                   /* offline EC2, in memory */
        .memory_limit_bytes = 8u << 20, /* 8 MiB for the Lua state */
        .time_limit_ms = 10000,         /* per run */
        .libraries = 0,                 /* the safe set */
    };
    struct kumo_error *error = NULL;
    struct kumo_runtime *runtime = kumo_runtime_new(&options, &error);
    if (!runtime)
        return fail("kumo_runtime_new", error);

    if (kumo_runtime_register_function(runtime, "host", "notify", notify, "host") != KUMO_OK) {
        kumo_runtime_destroy(runtime);
        return fail("kumo_runtime_register_function", NULL);
    }
    char input[256];
    snprintf(input, sizeof input, "{\"prefix\": \"%s\", \"cidr\": \"10.42.0.0/16\"}", prefix);
    if (kumo_runtime_set_input_json(runtime, input, &error) != KUMO_OK) {
        kumo_runtime_destroy(runtime);
        return fail("kumo_runtime_set_input_json", error);
    }

    char *result = NULL;
    enum kumo_status status =
        kumo_runtime_run_string(runtime, "=provision", script, &result, &error);
    if (status != KUMO_OK) {
        kumo_runtime_destroy(runtime);
        return fail("run", error);
    }
    printf("kumo %s result:\n%s\n", kumo_version(), result);
    kumo_free(result);

    /* a runaway script is stopped by the limits, and the runtime lives on */
    status = kumo_runtime_run_string(runtime, "=greedy",
                                     "local t = {} while true do t[#t + 1] = {} end", NULL, &error);
    printf("greedy script: status %d, %s\n", status, error && error->code ? error->code : "-");
    kumo_error_free(error);

    kumo_runtime_destroy(runtime);
    return status == KUMO_ERROR_LIMIT ? 0 : 1;
}
