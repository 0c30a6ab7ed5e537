/* learn_options.h - learner options shared by train, eval and tune: the
 * learners' own come from the learner table (CLI_LEARNER_OPTIONS, cli.h). */
#ifndef VIRAL_CLI_LEARN_OPTIONS_H
#define VIRAL_CLI_LEARN_OPTIONS_H

#include <time.h>

#include "cli.h"
#include "viral/model.h"

/* --calibrate, --calibration-fraction (train, eval, tune) */
#define CLI_CALIBRATE_OPTIONS                                                                    \
  {"calibrate", 0, "HOW", "platt or isotonic: calibrate probabilities on held-out rows"},        \
      {"calibration-fraction", 0, "F", "share of rows held out for --calibrate (default 0.2)"}

/* --json FILE: the run's summary as JSON (train, update, tune; eval's
 * --json is its report) */
#define CLI_JSON_SUMMARY_OPTION                                                                  \
  {"json", 0, "FILE", "also write the summary as JSON to FILE ('-': standard output)"}

/* Fill opts from the CLI_LEARNER_OPTIONS given (viral_train_options_parse).
 * CLI_CONTINUE or exit code 2. */
int cli_learner_options(const cli_args *args, viral_train_options *opts);

/* Fill opts->calibrate and calibration_fraction from CLI_CALIBRATE_OPTIONS.
 * CLI_CONTINUE or exit code 2. */
int cli_calibrate_options(const cli_args *args, viral_train_options *opts);

/* "viral CMD: N rows, P positives (..%), log loss, AUC, time" on stderr. */
void cli_print_train_summary(const char *command, const viral_train_summary *s, double seconds);
/* Save m to model_path and, when json_path is not NULL, the summary of
 * train or update as one JSON object to json_path ("-": stdout), both or
 * neither (viral_write_outputs): command, model, rows, positives,
 * unlabeled, bad_rows, held_out, out_of_order, log_loss and auc (null when
 * not computed), seconds. VIRAL_OK or a status with err set. */
int cli_save_model(const viral_model *m, const char *model_path, const char *json_path, const char *command,
                   const viral_train_summary *s, double seconds, viral_error *err);
/* viral_model_write of the model ctx, for viral_write_outputs. */
int cli_model_output(FILE *out, const void *ctx, viral_error *err);
/* A JSON number, or null for NaN or an infinity. */
void cli_json_number(FILE *out, double x);

/* Seconds since start (CLOCK_MONOTONIC). */
double cli_seconds_since(const struct timespec *start);

#endif
