/* cli.h - the command table and the one option parser every command uses.
 *
 * Each command describes its options in a cli_spec; cli_parse() handles
 * --help, --version and usage errors the same way for all of them (help on
 * stdout with exit 0, misuse as one line on stderr with a hint and exit 2). */
#ifndef VIRAL_CLI_H
#define VIRAL_CLI_H

#include <stdio.h>

#include "viral/error.h"

#define CLI_MAX_OPTIONS 64
#define CLI_CONTINUE (-1) /* cli_parse: go on and run the command */

enum { CLI_EXIT_OK = 0, CLI_EXIT_DATA = 1, CLI_EXIT_USAGE = 2 };

typedef struct cli_option {
  const char *name; /* long name without the dashes; "" for a list the library gives */
  char short_name;  /* 0 when there is none; which list, for "" */
  const char *arg;  /* NULL for a flag, else the argument's name ("FILE") */
  const char *help; /* one line */
} cli_option;

/* Lists of options the library gives, in a command's options where they
 * go: the learners' (viral_train_option_list) and their grids'
 * (viral_tune_option_list). A new learner's options appear by themselves. */
enum { CLI_LIST_LEARNER = 1, CLI_LIST_TUNE = 2 };
#define CLI_LEARNER_OPTIONS {"", CLI_LIST_LEARNER, NULL, NULL}
#define CLI_TUNE_OPTIONS {"", CLI_LIST_TUNE, NULL, NULL}

typedef struct cli_spec {
  const char *command;     /* "describe" */
  const char *usage;       /* "[options] [FILE|-]" */
  const char *summary;     /* one line, shown in `viral --help` */
  const char *description; /* paragraph(s) shown in `viral CMD --help` */
  const cli_option *options; /* terminated by an entry with name NULL */
  int min_positional, max_positional; /* max -1: unbounded */
} cli_spec;

typedef struct cli_args {
  const cli_spec *spec;
  cli_option options[CLI_MAX_OPTIONS]; /* the command's, lists expanded */
  int option_count;
  const char *values[CLI_MAX_OPTIONS]; /* by option position; "" for a given flag */
  int positional_count;
  char **positional;
} cli_args;

typedef struct cli_command {
  const char *name;
  int (*run)(int argc, char **argv);
  const cli_spec *spec;
} cli_command;

/* Parse argv (argv[0] is the command name). Returns CLI_CONTINUE, or the exit
 * code to return at once (0 after --help/--version, 2 on misuse). */
int cli_parse(const cli_spec *spec, int argc, char **argv, cli_args *args);

/* Value of option name, or NULL when it was not given. */
const char *cli_get(const cli_args *args, const char *name);
/* 1 when flag name was given. */
int cli_flag(const cli_args *args, const char *name);
/* cli_get for the library (viral_option_get; args is a cli_args). */
const char *cli_option_value(void *args, const char *name);
/* Parse a numeric option; a bad value is a usage error (returns 2 after
 * printing). Returns CLI_CONTINUE with *out = def when absent. */
int cli_get_double(const cli_args *args, const char *name, double def, double *out);
int cli_get_long(const cli_args *args, const char *name, long def, long *out);

/* Print "viral CMD: MESSAGE" and the --help hint to stderr; returns 2. In
 * an MPI job only process 0 says it (each message once: the others failed
 * the same way, or told process 0 why through viral_dist_agree); the same
 * holds for cli_data_error and the warnings below. */
int cli_usage_error(const char *command, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Print "viral CMD: MESSAGE" to stderr for a data/runtime error; returns 1. */
int cli_data_error(const char *command, const viral_error *err);

/* 1 when the command named name runs over the processes of an MPI job
 * (score, eval, tune); the others refuse to run in a job of several. */
int cli_runs_distributed(const char *name);

/* Help text of a command on out. */
void cli_print_help(const cli_spec *spec, FILE *out);
/* The command's options on out, one a line, for completion and tests:
 * --NAME TAB -S (or nothing) TAB ARG (nothing for a flag) TAB help. */
void cli_print_option_table(const cli_spec *spec, FILE *out);
/* Of names, the one word most likely is a slip of the finger for (edit
 * distance, a swap of two letters counting once), or NULL when none is
 * close enough. */
const char *cli_closest(const char *word, const char *const *names, size_t count);

/* ---- options shared by the data commands (common.c) ---- */

#include "viral/features.h"
#include "viral/reader.h"
#include "viral/rows.h"

/* --format, --json-path, --skip-bad-rows */
#define CLI_INPUT_OPTIONS                                                                        \
  {"format", 'f', "FMT", "input format: csv, jsonl or json (default: from the name)"},           \
      {"json-path", 0, "PATH", "JSON path to the records in a JSON document: data.videos, "      \
                               "[].data.videos; replaces the spec's, '' is the top"},              \
      {"skip-bad-rows", 0, NULL, "skip malformed rows, count them and report the count"}
/* --cache FILE (cache.c) */
#define CLI_CACHE_OPTION                                                                         \
  {"cache", 0, "FILE", "read the rows from this vector cache; made from the input first when "    \
                       "missing or stale (input or spec changed)"}
/* --allow-missing: read an input that lacks fields the spec reads */
#define CLI_ALLOW_MISSING_OPTION                                                                 \
  {"allow-missing", 0, NULL, "read an input that lacks fields the spec reads (they count as missing)"}
/* --spec, --label, --allow-leakage, --allow-missing */
#define CLI_SPEC_OPTIONS                                                                         \
  {"spec", 's', "SPEC", "feature spec: a file, or a bundled one by name (research-api, scraper, "  \
                       "tracker, ...; default: the built-in datasets/default.spec.json)"},     \
      {"label", 'l', "RULE", "label rule overriding the spec's: viral, views_final>=1000000, "    \
                             "top:10%:views_final, ratio:views_48h/views_2h>=10"},               \
      {"allow-leakage", 0, NULL, "accept features observed after the window (reports say so)"},  \
      CLI_ALLOW_MISSING_OPTION

/* The spec file `-s given` names: given itself when it is a file or a path,
 * else the bundled spec of that name (NAME.spec.json beside the installed
 * binary, in the install directory, or in the source tree's datasets/),
 * into path (size bytes). VIRAL_OK, or VIRAL_ERR_IO with err naming the
 * bundled specs (spec_name.c). */
int cli_find_spec(const char *given, char *path, size_t size, viral_error *err);
/* Reader options: the defaults, then the input options of pipeline p's spec
 * (p may be NULL), then --format, --json-path and --skip-bad-rows.
 * CLI_CONTINUE or exit code 2. */
int cli_input_options(const cli_args *args, const viral_pipeline *p, viral_reader_options *opts);
/* Load the pipeline named by --spec/--label/--allow-leakage/--allow-missing (scaling, when
 * not NULL, overrides the spec's). NULL with err set. */
viral_pipeline *cli_load_pipeline(const cli_args *args, const char *scaling, viral_error *err);
/* "viral CMD: warning: TEXT" on stderr, when text is not empty. */
void cli_print_warning(const char *command, const char *text);
/* cli_print_warning of the input tally's warning of p, when it has one. */
void cli_input_warning(const char *command, const viral_pipeline *p);
/* Output rows held in memory until the input is known to have the fields
 * the spec reads, so that an input of the wrong shape is an error before
 * the first row goes out (score, convert). A CSV input is known from its
 * header; a JSON input after CLI_HOLD_ROWS records (the row source's
 * check_after), or at its end. */
#define CLI_HOLD_ROWS 1000
typedef struct cli_held_output {
  FILE *out;  /* where rows go now: memory, then real */
  FILE *real;
  char *buf;
  size_t len;
} cli_held_output;
/* Hold what is written to h->out. VIRAL_OK or VIRAL_ERR_NOMEM with err set. */
int cli_hold_begin(cli_held_output *h, FILE *real, viral_error *err);
/* After each row of s, and at the end of the pass (s NULL): once the input
 * is checked, send the held rows on. VIRAL_OK or VIRAL_ERR_NOMEM. */
int cli_hold_update(cli_held_output *h, const viral_rows *s, viral_error *err);
/* Free; rows still held are dropped. */
void cli_hold_end(cli_held_output *h);
/* The model to use without -m (score, serve): $VIRAL_MODEL, the installed
 * copy, or the one in the source tree this binary was built from. */
const char *cli_default_model(void);
/* 1 when stderr is a terminal and --quiet was not given (progress lines). */
int cli_show_progress(const cli_args *args);

/* The command table (main.c). */
extern const cli_command cli_commands[];
const cli_command *cli_find_command(const char *name);

/* Commands: one cmd_<name>.c each. */
#define CLI_DECLARE(name) int cmd_##name(int argc, char **argv); extern const cli_spec cmd_##name##_spec
/* CLI_DECLARE(name); for each command */
CLI_DECLARE(describe);
CLI_DECLARE(gen);
CLI_DECLARE(convert);
CLI_DECLARE(train);
CLI_DECLARE(update);
CLI_DECLARE(stream);
CLI_DECLARE(score);
CLI_DECLARE(inspect);
CLI_DECLARE(eval);
CLI_DECLARE(tune);
CLI_DECLARE(assemble);
CLI_DECLARE(serve);

/* ---- the vector cache (cache.c) ---- */

#include "viral/cache.h"
#include "viral/model.h"

/* The cache options of a training cache of p (train, eval, tune): the
 * views column (views_field, or views_<window>h; into views, 64 bytes)
 * and oracle_p kept beside the vectors, names into names[2]. */
void cli_train_cache_options(const viral_pipeline *p, const char *views_field, char *views,
                             const char *names[2], viral_cache_options *co);
/* The cache the command reads for input: --cache's (made first when
 * missing or stale, saying why on stderr unless --quiet), or input itself
 * when it is a cache; *c NULL when it reads input as text. CLI_CONTINUE or
 * an exit status (the error said). */
int cli_open_cache(const cli_args *args, const char *input, const viral_pipeline *p,
                   const viral_reader_options *ro, const viral_cache_options *co, viral_cache **c);
/* Train on data as viral_model_train does, through the vector cache when
 * the command has one (cli_open_cache); the input tally's warning into
 * warning (VIRAL_ERROR_MAX bytes). CLI_CONTINUE and *m, or an exit status. */
int cli_train_model(const cli_args *args, const viral_pipeline *p, const char *data,
                    const viral_reader_options *ro, const viral_train_options *opts,
                    viral_train_summary *summary, char *warning, viral_model **m);

#endif
