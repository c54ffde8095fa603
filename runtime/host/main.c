/*
 * main.c - the `kumo` command: parses the command line, runs a script
 * through the public embedding API (kumo.h, nothing else), writes the
 * returned table as JSON where --output asks, and reports failures.
 *
 * Exit status: 0 success, 1 the script or AWS failed, 2 usage error.
 * stdout carries only what --output - asks for; everything else is stderr.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kumo.h"

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

#define MAX_VARS 256

static const char usage_text[] =
    "Usage: kumo run SCRIPT [options]   run a Lua provisioning script\n"
    "       kumo config [options]       show the region, credentials, ... a run would use\n"
    "       kumo sandbox serve [options] serve the offline EC2 over HTTP on loopback\n"
    "       kumo version                print the version\n"
    "       kumo --help                 show this help ('kumo run --help' for run's options)\n"
    "\n"
    "kumo runs Lua scripts that provision AWS through signed EC2 API calls.\n"
    "Region, credentials and endpoint follow the AWS CLI's rules (environment,\n"
    "~/.aws/config, ~/.aws/credentials).\n";

static const char run_usage_text[] =
    "Usage: kumo run SCRIPT [options]\n"
    "\n"
    "Options:\n"
    "  --region REGION     AWS region (else AWS_REGION, AWS_DEFAULT_REGION, the profile)\n"
    "  --profile NAME      profile in ~/.aws/config and ~/.aws/credentials (else AWS_PROFILE)\n"
    "  --endpoint URL      EC2 endpoint (else AWS_ENDPOINT_URL_EC2, AWS_ENDPOINT_URL, profile)\n"
    "  --var KEY=VALUE     pass a value to the script as kumo.vars.KEY (repeatable)\n"
    "  --output FILE|-     write the script's returned table as JSON to FILE, or stdout\n"
    "  --plan              show what the script would change, change nothing\n"
    "  --dry-run           send every change with DryRun=true: AWS checks permissions,\n"
    "                      nothing changes; lists the denied actions (exit 1 if any)\n"
    "  --destroy           remove what the script manages, in reverse order\n"
    "  --force             with --destroy: also remove resources kumo did not tag\n"
    "  --sandbox[=FILE]    run against kumo's offline EC2 (no AWS account needed); with\n"
    "                      FILE, load the simulated world from it and save it back\n"
    "  -v, --verbose       one line per HTTP exchange, and tracebacks on errors\n"
    "  -q, --quiet         only warnings and errors\n"
    "  -h, --help          show this help\n"
    "\n"
    "Exit status: 0 success, 1 the script or AWS failed, 2 usage error.\n";

struct run_args {
    const char *script;
    const char *region;
    const char *profile;
    const char *endpoint;
    const char *output;
    const char *sandbox_state; /* with sandbox: the state file, or NULL */
    int sandbox;
    int plan, dry_run, destroy, force;
    const char *vars[MAX_VARS];
    size_t var_count;
    int verbose;
    int quiet;
};

__attribute__((format(printf, 1, 2))) static int usage_error(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fprintf(stderr, "kumo: ");
    vfprintf(stderr, format, args);
    va_end(args);
    fprintf(stderr, "\nTry 'kumo --help'.\n");
    return EXIT_USAGE;
}

/* Matches "--name VALUE" and "--name=VALUE"; advances *i past the value. */
static int take_value(int argc, char **argv, int *i, const char *name, const char **value,
                      int *error)
{
    const char *arg = argv[*i];
    size_t length = strlen(name);
    if (strncmp(arg, name, length) != 0)
        return 0;
    if (arg[length] == '=') {
        *value = arg + length + 1;
        return 1;
    }
    if (arg[length] != '\0')
        return 0;
    if (*i + 1 >= argc) {
        *error = 1;
        return 1;
    }
    *value = argv[++*i];
    return 1;
}

/* Returns -1 when parsed, else an exit status to return at once. */
static int parse_run_args(int argc, char **argv, struct run_args *args)
{
    for (int i = 2; i < argc; i++) {
        const char *arg = argv[i];
        const char *value = NULL;
        int missing = 0;
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            fputs(run_usage_text, stdout);
            return EXIT_OK;
        } else if (strcmp(arg, "-v") == 0 || strcmp(arg, "--verbose") == 0) {
            args->verbose = 1;
        } else if (strcmp(arg, "-q") == 0 || strcmp(arg, "--quiet") == 0) {
            args->quiet = 1;
        } else if (take_value(argc, argv, &i, "--region", &args->region, &missing) ||
                   take_value(argc, argv, &i, "--profile", &args->profile, &missing) ||
                   take_value(argc, argv, &i, "--endpoint", &args->endpoint, &missing) ||
                   take_value(argc, argv, &i, "--output", &args->output, &missing)) {
            if (missing)
                return usage_error("option %s needs a value", arg);
        } else if (strcmp(arg, "--plan") == 0) {
            args->plan = 1;
        } else if (strcmp(arg, "--dry-run") == 0) {
            args->dry_run = 1;
        } else if (strcmp(arg, "--destroy") == 0) {
            args->destroy = 1;
        } else if (strcmp(arg, "--force") == 0) {
            args->force = 1;
        } else if (strcmp(arg, "--sandbox") == 0) {
            args->sandbox = 1;
        } else if (strncmp(arg, "--sandbox=", 10) == 0) {
            args->sandbox = 1;
            args->sandbox_state = arg + 10;
            if (!*args->sandbox_state)
                return usage_error("%s", "--sandbox=FILE needs a file name");
        } else if (take_value(argc, argv, &i, "--var", &value, &missing)) {
            if (missing)
                return usage_error("option %s needs KEY=VALUE", arg);
            const char *equals = strchr(value, '=');
            if (!equals || equals == value)
                return usage_error("--var expects KEY=VALUE, got '%s'", value);
            if (args->var_count == MAX_VARS)
                return usage_error("too many --var options (at most %d)", MAX_VARS);
            args->vars[args->var_count++] = value;
        } else if (arg[0] == '-' && arg[1] != '\0') {
            return usage_error("unknown option '%s' for 'kumo run'", arg);
        } else if (!args->script) {
            args->script = arg;
        } else {
            return usage_error("unexpected argument '%s' (one script per run)", arg);
        }
    }
    if (!args->script)
        return usage_error("%s", "'kumo run' needs a script: kumo run SCRIPT [options]");
    if (args->verbose && args->quiet)
        return usage_error("%s", "-v and -q cannot be used together");
    if (args->plan + args->dry_run + args->destroy > 1)
        return usage_error("%s", "--plan, --dry-run and --destroy cannot be combined");
    if (args->force && !args->destroy)
        return usage_error("%s", "--force only applies to --destroy");
    if (args->sandbox && (args->endpoint || args->profile))
        return usage_error("%s", "--sandbox runs against the offline EC2: it takes no --endpoint "
                                 "or --profile");
    return -1;
}

static void report_error(const struct kumo_error *error, int verbose)
{
    if (error->kind && strcmp(error->kind, "script") == 0) {
        fprintf(stderr, "kumo: script error: %s\n", error->message);
    } else {
        fprintf(stderr, "kumo: ");
        if (error->code)
            fprintf(stderr, "%s: ", error->code);
        fprintf(stderr, "%s", error->message ? error->message : "unknown error");
        if (error->operation || error->request_id) {
            fprintf(stderr, " (");
            if (error->operation)
                fprintf(stderr, "%s", error->operation);
            if (error->request_id)
                fprintf(stderr, "%srequest id %s", error->operation ? ", " : "", error->request_id);
            fprintf(stderr, ")");
        }
        fprintf(stderr, "\n");
        if (error->attempts > 1)
            fprintf(stderr, "kumo: gave up after %d attempts\n", error->attempts);
    }
    if (error->hint)
        fprintf(stderr, "kumo: hint: %s\n", error->hint);
    if (verbose && error->traceback)
        fprintf(stderr, "%s\n", error->traceback);
}

static int write_output(const char *target, const char *json)
{
    if (strcmp(target, "-") == 0) {
        if (fputs(json, stdout) == EOF || fputc('\n', stdout) == EOF || fflush(stdout) != 0) {
            perror("kumo: cannot write the output to stdout");
            return EXIT_FAILED;
        }
        return EXIT_OK;
    }
    FILE *file = fopen(target, "w");
    if (!file) {
        fprintf(stderr, "kumo: cannot write the output to '%s': ", target);
        perror(NULL);
        return EXIT_FAILED;
    }
    int failed = fputs(json, file) == EOF || fputc('\n', file) == EOF;
    failed |= fclose(file) != 0;
    if (failed) {
        fprintf(stderr, "kumo: cannot write the output to '%s'\n", target);
        return EXIT_FAILED;
    }
    return EXIT_OK;
}

static int command_run(int argc, char **argv)
{
    struct run_args args = {0};
    int parsed = parse_run_args(argc, argv, &args);
    if (parsed >= 0)
        return parsed;

    struct kumo_options options = {
        .region = args.region,
        .profile = args.profile,
        .endpoint = args.endpoint,
        .log_level = args.verbose ? KUMO_LOG_DEBUG
                     : args.quiet ? KUMO_LOG_WARN
                                  : KUMO_LOG_INFO,
        .sandbox = args.sandbox,
        .sandbox_state_path = args.sandbox_state,
        .run_mode = args.plan      ? KUMO_RUN_PLAN
                    : args.dry_run ? KUMO_RUN_DRY_RUN
                    : args.destroy ? KUMO_RUN_DESTROY
                                   : KUMO_RUN_APPLY,
        .destroy_untagged = args.force,
        .libraries = KUMO_LIBS_ALL, /* the user's own scripts: every Lua library */
    };
    struct kumo_error *error = NULL;
    struct kumo_runtime *runtime = kumo_runtime_new(&options, &error);
    if (!runtime) {
        report_error(error, args.verbose);
        kumo_error_free(error);
        return EXIT_FAILED;
    }
    for (size_t i = 0; i < args.var_count; i++) {
        const char *equals = strchr(args.vars[i], '=');
        char key[256];
        size_t key_length = (size_t)(equals - args.vars[i]);
        if (key_length >= sizeof key) {
            kumo_runtime_destroy(runtime);
            return usage_error("--var key too long: '%s'", args.vars[i]);
        }
        memcpy(key, args.vars[i], key_length);
        key[key_length] = '\0';
        if (kumo_runtime_set_var(runtime, key, equals + 1) != KUMO_OK) {
            kumo_runtime_destroy(runtime);
            fprintf(stderr, "kumo: out of memory\n");
            return EXIT_FAILED;
        }
    }

    char *json = NULL;
    enum kumo_status status =
        kumo_runtime_run_file(runtime, args.script, args.output ? &json : NULL, &error);
    int exit_code = EXIT_OK;
    if (status != KUMO_OK) {
        if (status == KUMO_ERROR_USAGE) {
            fprintf(stderr, "kumo: %s\n", error && error->message ? error->message : "usage");
            exit_code = EXIT_USAGE;
        } else {
            if (error)
                report_error(error, args.verbose);
            exit_code = EXIT_FAILED;
        }
    } else if (args.output) {
        exit_code = write_output(args.output, json);
    }
    kumo_free(json);
    kumo_error_free(error);
    kumo_runtime_destroy(runtime);
    return exit_code;
}

static const char config_usage_text[] =
    "Usage: kumo config [--region R] [--profile P] [--endpoint URL] [--sandbox] [--json]\n"
    "\n"
    "Shows the region, endpoint, profile, credentials, retry mode and attempts that\n"
    "'kumo run' would use with the same flags and environment, and where each came\n"
    "from. Never shows a secret: the access key id is masked. Exit 1 when a setting\n"
    "cannot be resolved (the report says why).\n";

static int command_config(int argc, char **argv)
{
    struct kumo_options options = {.log_level = KUMO_LOG_WARN, .libraries = KUMO_LIBS_ALL};
    int as_json = 0;
    for (int i = 2; i < argc; i++) {
        int missing = 0;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(config_usage_text, stdout);
            return EXIT_OK;
        } else if (strcmp(argv[i], "--json") == 0) {
            as_json = 1;
        } else if (strcmp(argv[i], "--sandbox") == 0) {
            options.sandbox = 1;
        } else if (take_value(argc, argv, &i, "--region", &options.region, &missing) ||
                   take_value(argc, argv, &i, "--profile", &options.profile, &missing) ||
                   take_value(argc, argv, &i, "--endpoint", &options.endpoint, &missing)) {
            if (missing)
                return usage_error("option %s needs a value", argv[i]);
        } else {
            return usage_error("unknown argument '%s' for 'kumo config'", argv[i]);
        }
    }
    struct kumo_error *error = NULL;
    struct kumo_runtime *runtime = kumo_runtime_new(&options, &error);
    if (!runtime) {
        report_error(error, 0);
        kumo_error_free(error);
        return EXIT_FAILED;
    }
    char *report = NULL;
    enum kumo_status status = kumo_runtime_describe_config(runtime, as_json, &report, &error);
    int exit_code = EXIT_OK;
    if (status != KUMO_OK) {
        report_error(error, 0);
        exit_code = EXIT_FAILED;
    } else {
        fputs(report, stdout);
        if (as_json)
            fputc('\n', stdout);
        /* a setting that could not be resolved is a failure, as a run would fail */
        if (strstr(report, as_json ? "\"error\":" : " error: "))
            exit_code = EXIT_FAILED;
    }
    kumo_free(report);
    kumo_error_free(error);
    kumo_runtime_destroy(runtime);
    return exit_code;
}

static const char serve_usage_text[] =
    "Usage: kumo sandbox serve [--state FILE] [--host 127.0.0.1] [--port 4566]\n"
    "\n"
    "Serves kumo's offline EC2 over HTTP on a loopback address until interrupted, so\n"
    "that other clients can prepare or inspect a sandbox state file, e.g.\n"
    "  AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s \\\n"
    "  aws --endpoint-url http://127.0.0.1:4566 --region us-east-1 ec2 describe-vpcs\n"
    "Prints the URL it listens on to stdout. Port 0 picks a free port.\n";

static void print_listening(void *unused, const char *host, int port)
{
    (void)unused;
    printf(strchr(host, ':') ? "http://[%s]:%d\n" : "http://%s:%d\n", host, port);
    fflush(stdout);
}

static int command_sandbox(int argc, char **argv)
{
    if (argc < 3 || strcmp(argv[2], "serve") != 0) {
        if (argc >= 3 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0)) {
            printf(serve_usage_text, kumo_sandbox_access_key_id(),
                   kumo_sandbox_secret_access_key());
            return EXIT_OK;
        }
        return usage_error("%s", "'kumo sandbox' needs a subcommand: kumo sandbox serve");
    }
    const char *state = NULL, *host = "127.0.0.1", *port_text = "4566";
    for (int i = 3; i < argc; i++) {
        int missing = 0;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            printf(serve_usage_text, kumo_sandbox_access_key_id(),
                   kumo_sandbox_secret_access_key());
            return EXIT_OK;
        } else if (take_value(argc, argv, &i, "--state", &state, &missing) ||
                   take_value(argc, argv, &i, "--host", &host, &missing) ||
                   take_value(argc, argv, &i, "--port", &port_text, &missing)) {
            if (missing)
                return usage_error("option %s needs a value", argv[i]);
        } else {
            return usage_error("unknown argument '%s' for 'kumo sandbox serve'", argv[i]);
        }
    }
    char *end = NULL;
    long port = strtol(port_text, &end, 10);
    if (*end != '\0' || end == port_text || port < 0 || port > 65535)
        return usage_error("--port expects a number 0-65535, got '%s'", port_text);
    struct kumo_error *error = NULL;
    if (kumo_sandbox_serve(state, host, (int)port, print_listening, NULL, &error) != KUMO_OK) {
        report_error(error, 0);
        kumo_error_free(error);
        return EXIT_FAILED;
    }
    return EXIT_OK;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_text, stderr);
        return EXIT_USAGE;
    }
    const char *command = argv[1];
    if (strcmp(command, "--help") == 0 || strcmp(command, "-h") == 0 ||
        strcmp(command, "help") == 0) {
        fputs(usage_text, stdout);
        return EXIT_OK;
    }
    if (strcmp(command, "version") == 0 || strcmp(command, "--version") == 0) {
        if (argc > 2)
            return usage_error("'kumo version' takes no arguments, got '%s'", argv[2]);
        printf("kumo %s\n", kumo_version());
        return EXIT_OK;
    }
    if (strcmp(command, "run") == 0)
        return command_run(argc, argv);
    if (strcmp(command, "sandbox") == 0)
        return command_sandbox(argc, argv);
    if (strcmp(command, "config") == 0)
        return command_config(argc, argv);
    return usage_error("unknown command '%s'", command);
}
