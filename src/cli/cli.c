/* cli.c - option parsing shared by every command (see cli.h). */
#include "cli.h"
#include "viral/version.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Options every command accepts, appended after the command's own. */
static const cli_option common_options[] = {
    {"help", 'h', NULL, "show this help and exit"},
    {"version", 'V', NULL, "show the version and exit"},
    {NULL, 0, NULL, NULL},
};

static int option_count(const cli_option *opts) {
  int n = 0;
  while (opts && opts[n].name) n++;
  return n;
}

static void print_option(FILE *out, const cli_option *o) {
  char left[64];
  if (o->short_name)
    snprintf(left, sizeof left, "-%c, --%s%s%s", o->short_name, o->name, o->arg ? " " : "",
             o->arg ? o->arg : "");
  else
    snprintf(left, sizeof left, "    --%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
  fprintf(out, "  %-28s %s\n", left, o->help);
}

void cli_print_help(const cli_spec *spec, FILE *out) {
  fprintf(out, "usage: viral %s %s\n\n%s\n", spec->command, spec->usage, spec->summary);
  if (spec->description) fprintf(out, "\n%s\n", spec->description);
  fprintf(out, "\noptions:\n");
  for (int i = 0; i < option_count(spec->options); i++) print_option(out, &spec->options[i]);
  for (int i = 0; i < option_count(common_options); i++) print_option(out, &common_options[i]);
}

int cli_usage_error(const char *command, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "viral %s: ", command);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, " (try 'viral %s --help')\n", command);
  return CLI_EXIT_USAGE;
}

int cli_data_error(const char *command, const viral_error *err) {
  fprintf(stderr, "viral %s: %s\n", command,
          err && err->message[0] ? err->message : "unknown error");
  return CLI_EXIT_DATA;
}

int cli_parse(const cli_spec *spec, int argc, char **argv, cli_args *args) {
  int own = option_count(spec->options), common = option_count(common_options);
  VIRAL_ASSERT(own + common < CLI_MAX_OPTIONS);
  struct option longopts[CLI_MAX_OPTIONS + 1];
  char shortopts[3 * CLI_MAX_OPTIONS + 2];
  size_t sp = 0;
  shortopts[sp++] = ':'; /* report a missing argument as ':' */
  memset(args, 0, sizeof *args);
  args->spec = spec;
  for (int i = 0; i < own + common; i++) {
    const cli_option *o = i < own ? &spec->options[i] : &common_options[i - own];
    longopts[i].name = o->name;
    longopts[i].has_arg = o->arg ? required_argument : no_argument;
    longopts[i].flag = NULL;
    longopts[i].val = 1000 + i; /* map back to the option's position */
    if (o->short_name) {
      shortopts[sp++] = o->short_name;
      if (o->arg) shortopts[sp++] = ':';
    }
  }
  memset(&longopts[own + common], 0, sizeof longopts[0]);
  shortopts[sp] = '\0';

  optind = 1; /* getopt keeps global state: reset it for each command */
  opterr = 0;
  for (;;) {
    int c = getopt_long(argc, argv, shortopts, longopts, NULL);
    if (c == -1) break;
    int idx = -1;
    if (c >= 1000) {
      idx = c - 1000;
    } else if (c == '?' || c == ':') {
      const char *bad = argv[optind - 1];
      if (c == ':') return cli_usage_error(spec->command, "option '%s' needs a value", bad);
      if (optopt && optopt < 1000)
        return cli_usage_error(spec->command, "unknown option '-%c'", optopt);
      return cli_usage_error(spec->command, "unknown option '%s'", bad);
    } else {
      for (int i = 0; i < own + common; i++) {
        const cli_option *o = i < own ? &spec->options[i] : &common_options[i - own];
        if (o->short_name == c) idx = i;
      }
    }
    VIRAL_ASSERT(idx >= 0);
    if (idx >= own) {
      const char *name = common_options[idx - own].name;
      if (strcmp(name, "help") == 0) {
        cli_print_help(spec, stdout);
        return CLI_EXIT_OK;
      }
      printf("viral %s\n", viral_version());
      return CLI_EXIT_OK;
    }
    args->values[idx] = optarg ? optarg : "";
  }
  args->positional = argv + optind;
  args->positional_count = argc - optind;
  if (args->positional_count < spec->min_positional)
    return cli_usage_error(spec->command, "missing argument");
  if (spec->max_positional >= 0 && args->positional_count > spec->max_positional)
    return cli_usage_error(spec->command, "unexpected argument '%s'",
                           args->positional[spec->max_positional]);
  return CLI_CONTINUE;
}

static int find_option(const cli_args *args, const char *name) {
  for (int i = 0; i < option_count(args->spec->options); i++)
    if (strcmp(args->spec->options[i].name, name) == 0) return i;
  VIRAL_ASSERT(!"option not declared in the command's spec");
  return -1;
}

const char *cli_get(const cli_args *args, const char *name) {
  return args->values[find_option(args, name)];
}

int cli_flag(const cli_args *args, const char *name) { return cli_get(args, name) != NULL; }

int cli_get_double(const cli_args *args, const char *name, double def, double *out) {
  const char *v = cli_get(args, name);
  *out = def;
  if (!v) return CLI_CONTINUE;
  char *end = NULL;
  errno = 0;
  double x = strtod(v, &end);
  if (end == v || *end != '\0' || errno == ERANGE)
    return cli_usage_error(args->spec->command, "--%s needs a number, not '%s'", name, v);
  *out = x;
  return CLI_CONTINUE;
}

int cli_get_long(const cli_args *args, const char *name, long def, long *out) {
  const char *v = cli_get(args, name);
  *out = def;
  if (!v) return CLI_CONTINUE;
  char *end = NULL;
  errno = 0;
  long x = strtol(v, &end, 10);
  if (end == v || *end != '\0' || errno == ERANGE)
    return cli_usage_error(args->spec->command, "--%s needs a whole number, not '%s'", name, v);
  *out = x;
  return CLI_CONTINUE;
}
