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

/* Fill opts from the CLI_LEARNER_OPTIONS given (viral_train_options_parse).
 * CLI_CONTINUE or exit code 2. */
int cli_learner_options(const cli_args *args, viral_train_options *opts);

/* Fill opts->calibrate and calibration_fraction from CLI_CALIBRATE_OPTIONS.
 * CLI_CONTINUE or exit code 2. */
int cli_calibrate_options(const cli_args *args, viral_train_options *opts);

/* "viral CMD: N rows, P positives (..%), log loss, AUC, time" on stderr. */
void cli_print_train_summary(const char *command, const viral_train_summary *s, double seconds);
/* Seconds since start (CLOCK_MONOTONIC). */
double cli_seconds_since(const struct timespec *start);

#endif
