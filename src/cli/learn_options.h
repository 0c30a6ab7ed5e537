/* learn_options.h - learner options shared by train (and later eval, tune). */
#ifndef VIRAL_CLI_LEARN_OPTIONS_H
#define VIRAL_CLI_LEARN_OPTIONS_H

#include <time.h>

#include "cli.h"
#include "viral/model.h"

#define CLI_LEARNER_OPTIONS                                                                      \
  {"learner", 0, "NAME", "logistic (default, online) or svm (libsvm)"},                          \
      {"optimizer", 0, "NAME", "logistic: ftrl (default), adagrad or sgd"},                      \
      {"alpha", 0, "X", "logistic: learning rate scale (ftrl default 0.5)"},                     \
      {"beta", 0, "X", "logistic: ftrl/adagrad rate smoothing (default 1)"},                     \
      {"l1", 0, "X", "logistic: L1 penalty (default 0)"},                                        \
      {"l2", 0, "X", "logistic: L2 penalty (ftrl default 1)"},                                   \
      {"passes", 0, "N", "logistic: passes over the data (default 1; more hold rows in memory)"}, \
      {"shuffle", 0, NULL, "logistic: shuffle the rows every pass (seeded)"},                    \
      {"seed", 0, "N", "seed of the shuffle and of libsvm's random generator (default 1)"},     \
      {"bits", 0, "B", "logistic: weights for 2^B hashed features (default: the spec's)"},       \
      {"no-normalize", 0, NULL, "logistic: raw values (no learned means, sds or scales)"},                 \
      {"class-weight", 0, "W", "balanced, or W0:W1 importances of the two classes"},             \
      {"kernel", 0, "K", "svm: linear (default) or rbf"},                                        \
      {"C", 0, "X", "svm: cost (default 1)"},                                                    \
      {"gamma", 0, "X", "svm: rbf width (default 1 / mean non-zero features per row)"}

/* --calibrate, --calibration-fraction (train, eval, tune) */
#define CLI_CALIBRATE_OPTIONS                                                                    \
  {"calibrate", 0, "HOW", "platt or isotonic: calibrate probabilities on held-out rows"},        \
      {"calibration-fraction", 0, "F", "share of rows held out for --calibrate (default 0.2)"}

/* Fill opts from the CLI_LEARNER_OPTIONS given. CLI_CONTINUE or exit code 2. */
int cli_learner_options(const cli_args *args, viral_train_options *opts);

/* Fill opts->calibrate and calibration_fraction from CLI_CALIBRATE_OPTIONS.
 * CLI_CONTINUE or exit code 2. */
int cli_calibrate_options(const cli_args *args, viral_train_options *opts);

/* "viral CMD: N rows, P positives (..%), log loss, AUC, time" on stderr. */
void cli_print_train_summary(const char *command, const viral_train_summary *s, double seconds);
/* Seconds since start (CLOCK_MONOTONIC). */
double cli_seconds_since(const struct timespec *start);

#endif
