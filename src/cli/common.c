/* common.c - option handling shared by the commands that read data. */
#define _POSIX_C_SOURCE 200809L /* open_memstream */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "viral/dist.h"

int cli_input_options(const cli_args *args, const viral_pipeline *p, viral_reader_options *opts) {
  viral_reader_options_init(opts);
  if (p) viral_pipeline_reader_options(p, opts);
  const char *format = cli_get(args, "format");
  if (format && viral_format_parse(format, &opts->format) != VIRAL_OK)
    return cli_usage_error(args->spec->command, "--format must be csv, jsonl or json, not '%s'", format);
  if (cli_get(args, "json-path")) opts->json_path = cli_get(args, "json-path");
  if (cli_flag(args, "skip-bad-rows")) opts->skip_bad_rows = 1;
  return CLI_CONTINUE;
}

viral_pipeline *cli_load_pipeline(const cli_args *args, const char *scaling, viral_error *err) {
  viral_pipeline_options popts;
  viral_pipeline_options_init(&popts);
  popts.label = cli_get(args, "label");
  popts.allow_leakage = cli_flag(args, "allow-leakage");
  popts.allow_missing = cli_flag(args, "allow-missing");
  popts.scaling = scaling;
  const char *spec = cli_get(args, "spec");
  char path[4096];
  if (spec && cli_find_spec(spec, path, sizeof path, err) != VIRAL_OK) return NULL;
  return viral_pipeline_load_spec(spec ? path : NULL, &popts, err);
}

const char *cli_default_model(void) {
  const char *env = getenv("VIRAL_MODEL");
  if (env && *env) return env;
  if (access(VIRAL_INSTALLED_MODEL, R_OK) == 0) return VIRAL_INSTALLED_MODEL;
  return VIRAL_SOURCE_MODEL;
}

int cli_show_progress(const cli_args *args) {
  for (int i = 0; i < args->option_count; i++)
    if (strcmp(args->options[i].name, "quiet") == 0 && cli_flag(args, "quiet")) return 0;
  return isatty(STDERR_FILENO);
}

void cli_print_warning(const char *command, const char *text) {
  if (text && *text && viral_dist_rank() == 0) fprintf(stderr, "viral %s: warning: %s\n", command, text);
}

void cli_input_warning(const char *command, const viral_pipeline *p) {
  char msg[VIRAL_ERROR_MAX];
  viral_pipeline_tally_warning(p, msg, sizeof msg);
  cli_print_warning(command, msg);
}

int cli_hold_begin(cli_held_output *h, FILE *real, viral_error *err) {
  memset(h, 0, sizeof *h);
  h->real = real;
  if (!(h->out = open_memstream(&h->buf, &h->len)))
    return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  return VIRAL_OK;
}

int cli_hold_update(cli_held_output *h, const viral_rows *s, viral_error *err) {
  if (h->out == h->real || (s && !viral_rows_input_checked(s))) return VIRAL_OK;
  if (fflush(h->out) != 0) return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  fwrite(h->buf, 1, h->len, h->real);
  cli_hold_end(h);
  h->out = h->real;
  return VIRAL_OK;
}

void cli_hold_end(cli_held_output *h) {
  if (h->out && h->out != h->real) fclose(h->out);
  free(h->buf);
  h->buf = NULL;
  h->len = 0;
  h->out = NULL;
}
