/* cache.c - --cache FILE, and a vector cache given as the input: what the
 * commands that read rows share (cli.h, viral/cache.h). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "viral/dist.h"

void cli_train_cache_options(const viral_pipeline *p, const char *views_field, char *views,
                             const char *names[2], viral_cache_options *co) {
  snprintf(views, 64, "views_%gh", viral_pipeline_window_hours(p));
  if (views_field) snprintf(views, 64, "%s", views_field);
  names[0] = views;
  names[1] = "oracle_p";
  memset(co, 0, sizeof *co);
  co->mode = VIRAL_CACHE_TRAIN;
  co->columns = names;
  co->column_count = 2;
}

int cli_open_cache(const cli_args *args, const char *input, const viral_pipeline *p,
                   const viral_reader_options *ro, const viral_cache_options *co, viral_cache **c) {
  const char *command = args->spec->command, *path = cli_get(args, "cache");
  *c = NULL;
  if (!path && !viral_cache_is(input)) return CLI_CONTINUE;
  if (viral_dist_size() > 1)
    return cli_usage_error(command, "a vector cache is read by one process: start it without mpirun");
  viral_error err;
  viral_error_clear(&err);
  char note[VIRAL_ERROR_MAX];
  if (!(*c = viral_cache_prepare(path, input, p, ro, co, note, sizeof note, &err))) return cli_data_error(command, &err);
  if (*note && !cli_flag(args, "quiet")) fprintf(stderr, "viral %s: %s\n", command, note);
  return CLI_CONTINUE;
}

int cli_train_model(const cli_args *args, const viral_pipeline *p, const char *data,
                    const viral_reader_options *ro, const viral_train_options *opts,
                    viral_train_summary *summary, char *warning, viral_model **m) {
  const char *command = args->spec->command;
  char views[64];
  const char *names[2];
  viral_cache_options co;
  cli_train_cache_options(p, NULL, views, names, &co);
  viral_cache *c;
  int rc = cli_open_cache(args, data, p, ro, &co, &c);
  if (rc != CLI_CONTINUE) return rc;
  viral_error err;
  viral_error_clear(&err);
  if (!c) {
    *m = viral_model_train(p, data, ro, opts, summary, &err);
    if (*m) viral_pipeline_tally_warning(viral_model_pipeline(*m), warning, VIRAL_ERROR_MAX);
  } else {
    viral_rows_options o;
    viral_rows_options_init(&o);
    o.times = 1;
    viral_pipeline *fitted = viral_cache_pipeline(c, &err);
    viral_rows *rows = fitted ? viral_rows_open_cache(c, &o, &err) : NULL;
    *m = rows ? viral_model_train_rows(fitted, rows, opts, summary, &err) : NULL;
    snprintf(warning, VIRAL_ERROR_MAX, "%s", viral_cache_warning(c));
    viral_rows_free(rows);
    viral_pipeline_free(fitted);
    viral_cache_free(c);
  }
  return *m ? CLI_CONTINUE : cli_data_error(command, &err);
}
