/* cli.c - option parsing shared by every command (see cli.h). */
#include "cli.h"
#include "viral/version.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "viral/dist.h"
#include "viral/eval.h"
#include "viral/model.h"

/* Options every command accepts, appended after the command's own. */
static const cli_option common_options[] = {
    {"help", 'h', NULL, "show this help and exit"},
    {"version", 'V', NULL, "show the version and exit"},
    {NULL, 0, NULL, NULL},
};

/* Spellings from before the commands shared one set of flags (issue 15):
 * still accepted, shown nowhere (help, man pages, completion). target is
 * the option's name now; name the old long name (NULL: none). */
typedef struct cli_alias {
  const char *command;
  char short_name;
  const char *name;
  const char *target;
} cli_alias;
static const cli_alias aliases[] = {
    {"gen", 's', NULL, "seed"},         /* -s is --spec */
    {"gen", 'f', "format", "to"},       /* --format is the input's format */
    {"assemble", 0, "format", "to"},
    {"convert", 't', NULL, "to"},       /* -t is --threshold */
    {"inspect", 'k', NULL, "top"},      /* -k is --folds */
};
#define ALIAS_COUNT (sizeof aliases / sizeof *aliases)

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
  char left[96];
  if (o->short_name)
    snprintf(left, sizeof left, "-%c, --%s%s%s", o->short_name, o->name, o->arg ? " " : "",
             o->arg ? o->arg : "");
  else
    snprintf(left, sizeof left, "    --%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
  /* two spaces at least between the columns: tools/man.sh splits there */
  fprintf(out, "  %-28s %s%s\n", left, strlen(left) >= 28 ? " " : "", o->help);
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

void cli_print_option_table(const cli_spec *spec, FILE *out) {
  cli_option options[CLI_MAX_OPTIONS];
  int own = expand_options(spec, options);
  for (int i = 0; i < own + option_count(common_options); i++) {
    const cli_option *o = i < own ? &options[i] : &common_options[i - own];
    char short_form[3] = {o->short_name ? '-' : '\0', o->short_name, '\0'};
    fprintf(out, "--%s\t%s\t%s\t%s\n", o->name, short_form, o->arg ? o->arg : "", o->help);
  }
}

int cli_runs_distributed(const char *name) {
  static const char *const distributed[] = {"train", "score", "eval", "tune"};
  for (size_t i = 0; i < sizeof distributed / sizeof *distributed; i++)
    if (strcmp(name, distributed[i]) == 0) return 1;
  return 0;
}

int cli_usage_error(const char *command, const char *fmt, ...) {
  va_list ap;
  if (viral_dist_rank() != 0) return CLI_EXIT_USAGE;
  fprintf(stderr, "viral %s: ", command);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, " (try 'viral %s --help')\n", command);
  return CLI_EXIT_USAGE;
}

int cli_data_error(const char *command, const viral_error *err) {
  if (viral_dist_rank() != 0) return CLI_EXIT_DATA;
  fprintf(stderr, "viral %s: %s\n", command,
          err && err->message[0] ? err->message : "unknown error");
  return CLI_EXIT_DATA;
}

/* Edit distance of a and b (optimal string alignment: a swap of two
 * neighbours counts once, "trian" is 1 from "train"). */
static size_t edit_distance(const char *a, const char *b) {
  size_t n = strlen(a), m = strlen(b);
  if (n > 64 || m > 64) return (size_t)-1;
  size_t d[65][65];
  for (size_t i = 0; i <= n; i++) d[i][0] = i;
  for (size_t j = 0; j <= m; j++) d[0][j] = j;
  for (size_t i = 1; i <= n; i++)
    for (size_t j = 1; j <= m; j++) {
      size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
      if (d[i - 1][j] + 1 < best) best = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
        best = d[i - 2][j - 2] + 1;
      d[i][j] = best;
    }
  return d[n][m];
}

const char *cli_closest(const char *word, const char *const *names, size_t count) {
  const char *best = NULL;
  size_t best_d = (size_t)-1, len = strlen(word);
  for (size_t i = 0; i < count; i++) {
    size_t d = edit_distance(word, names[i]);
    if (d < best_d) best = names[i], best_d = d;
  }
  /* close enough to be a slip of the finger: 1 edit in 3 letters, at most */
  return best && best_d * 3 <= len + 2 ? best : NULL;
}

/* The usage error for an unknown long option (--name or --name=value) of
 * a command: with the option it was most likely meant to be. */
static int unknown_long_option(const cli_args *args, const cli_option *common, int ncommon, const char *bad) {
  char name[128];
  snprintf(name, sizeof name, "%s", bad + 2);
  name[strcspn(name, "=")] = '\0';
  const char *names[CLI_MAX_OPTIONS];
  size_t n = 0;
  for (int i = 0; i < args->option_count; i++) names[n++] = args->options[i].name;
  for (int i = 0; i < ncommon && n < CLI_MAX_OPTIONS; i++) names[n++] = common[i].name;
  /* getopt takes an unambiguous prefix (--lab): this one was not */
  char matches[256] = "";
  int prefixed = 0;
  size_t len = strlen(name);
  for (size_t i = 0; i < n; i++)
    if (len && strncmp(names[i], name, len) == 0 && ++prefixed)
      snprintf(matches + strlen(matches), sizeof matches - strlen(matches), "%s--%s", prefixed > 1 ? ", " : "", names[i]);
  if (prefixed > 1)
    return cli_usage_error(args->spec->command, "option '%s' is ambiguous: %s", bad, matches);
  /* the one it names refused the value: a flag given one (--quiet=1) */
  if (prefixed == 1 && strchr(bad, '='))
    return cli_usage_error(args->spec->command, "option '%s' takes no value", matches);
  const char *near = cli_closest(name, names, n);
  if (near) return cli_usage_error(args->spec->command, "unknown option '%s'; did you mean '--%s'?", bad, near);
  return cli_usage_error(args->spec->command, "unknown option '%s'", bad);
}

/* Index in args->options of the option named name; -1 when none. */
static int option_index(const cli_args *args, const char *name) {
  for (int i = 0; i < args->option_count; i++)
    if (strcmp(args->options[i].name, name) == 0) return i;
  return -1;
}

/* Add the command's old spellings (aliases) to getopt's tables; n entries
 * of longopts are used, *sp characters of shortopts; short_index maps a
 * letter to the option it stands for. Returns the new n. */
static int add_aliases(const cli_args *args, struct option *longopts, int n, char *shortopts, size_t *sp,
                       int *short_index) {
  for (size_t a = 0; a < ALIAS_COUNT; a++) {
    const cli_alias *al = &aliases[a];
    int idx = strcmp(al->command, args->spec->command) == 0 ? option_index(args, al->target) : -1;
    if (idx < 0) continue;
    const char *arg = args->options[idx].arg;
    if (al->name) longopts[n++] = (struct option){al->name, arg ? required_argument : no_argument, NULL, 1000 + idx};
    if (al->short_name) {
      shortopts[(*sp)++] = al->short_name;
      if (arg) shortopts[(*sp)++] = ':';
      short_index[(unsigned char)al->short_name] = idx;
    }
  }
  return n;
}

int cli_parse(const cli_spec *spec, int argc, char **argv, cli_args *args) {
  memset(args, 0, sizeof *args);
  args->spec = spec;
  int own = args->option_count = expand_options(spec, args->options), common = option_count(common_options);
  VIRAL_ASSERT(own + common < CLI_MAX_OPTIONS);
  struct option longopts[CLI_MAX_OPTIONS + ALIAS_COUNT + 1];
  char shortopts[3 * (CLI_MAX_OPTIONS + ALIAS_COUNT) + 2];
  int short_index[256]; /* letter -> option position */
  for (int i = 0; i < 256; i++) short_index[i] = -1;
  size_t sp = 0;
  shortopts[sp++] = ':'; /* report a missing argument as ':' */
  for (int i = 0; i < own + common; i++) {
    const cli_option *o = i < own ? &args->options[i] : &common_options[i - own];
    longopts[i] = (struct option){o->name, o->arg ? required_argument : no_argument, NULL, 1000 + i};
    if (o->short_name) {
      shortopts[sp++] = o->short_name;
      if (o->arg) shortopts[sp++] = ':';
      short_index[(unsigned char)o->short_name] = i;
    }
  }
  int n = add_aliases(args, longopts, own + common, shortopts, &sp, short_index);
  memset(&longopts[n], 0, sizeof longopts[0]);
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
      if (strncmp(bad, "--", 2) == 0) return unknown_long_option(args, common_options, common, bad);
      return cli_usage_error(spec->command, "unknown option '%s'", bad);
    } else {
      idx = short_index[(unsigned char)c];
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
  int i = option_index(args, name);
  VIRAL_ASSERT(i >= 0 && "option not declared in the command's spec");
  return i;
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
