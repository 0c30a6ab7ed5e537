/* cli.c - option parsing shared by every command (see cli.h). */
#include "cli.h"
#include "viral/version.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "viral/eval.h"
#include "viral/model.h"

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

/* spec's options into out with the library's lists in place; their count. */
static int expand_options(const cli_spec *spec, cli_option *out) {
  int n = 0;
  for (const cli_option *o = spec->options; o && o->name; o++) {
    if (o->name[0]) {
      VIRAL_ASSERT(n < CLI_MAX_OPTIONS);
      out[n++] = *o;
      continue;
    }
    const viral_option *list = o->short_name == CLI_LIST_TUNE ? viral_tune_option_list() : viral_train_option_list();
    for (; list->name; list++) {
      VIRAL_ASSERT(n < CLI_MAX_OPTIONS);
      out[n++] = (cli_option){list->name, 0, list->arg, list->help};
    }
  }
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
  cli_option options[CLI_MAX_OPTIONS];
  int own = expand_options(spec, options);
  for (int i = 0; i < own; i++) print_option(out, &options[i]);
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
  memset(args, 0, sizeof *args);
  args->spec = spec;
  int own = args->option_count = expand_options(spec, args->options), common = option_count(common_options);
  VIRAL_ASSERT(own + common < CLI_MAX_OPTIONS);
  struct option longopts[CLI_MAX_OPTIONS + 1];
  char shortopts[3 * CLI_MAX_OPTIONS + 2];
  size_t sp = 0;
  shortopts[sp++] = ':'; /* report a missing argument as ':' */
  for (int i = 0; i < own + common; i++) {
    const cli_option *o = i < own ? &args->options[i] : &common_options[i - own];
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
        const cli_option *o = i < own ? &args->options[i] : &common_options[i - own];
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
  for (int i = 0; i < args->option_count; i++)
    if (strcmp(args->options[i].name, name) == 0) return i;
  VIRAL_ASSERT(!"option not declared in the command's spec");
  return -1;
}

const char *cli_get(const cli_args *args, const char *name) {
  return args->values[find_option(args, name)];
}

int cli_flag(const cli_args *args, const char *name) { return cli_get(args, name) != NULL; }

const char *cli_option_value(void *args, const char *name) { return cli_get(args, name); }

int cli_get_double(const cli_args *args, const char *name, double def, double *out) {
  viral_error err;
  *out = def;
  if (viral_option_number(cli_option_value, (void *)args, name, out, &err) != VIRAL_OK)
    return cli_usage_error(args->spec->command, "%s", err.message);
  return CLI_CONTINUE;
}

int cli_get_long(const cli_args *args, const char *name, long def, long *out) {
  viral_error err;
  *out = def;
  if (viral_option_whole(cli_option_value, (void *)args, name, out, &err) != VIRAL_OK)
    return cli_usage_error(args->spec->command, "%s", err.message);
  return CLI_CONTINUE;
}
