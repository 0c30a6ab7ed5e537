/* eval_progressive.h - `viral eval --progressive`: test-then-train in event
 * time (viral_eval_progressive), its text, JSON and HTML reports. */
#ifndef VIRAL_CLI_EVAL_PROGRESSIVE_H
#define VIRAL_CLI_EVAL_PROGRESSIVE_H

#include "cli.h"

/* The options only --progressive takes (for cmd_eval's table). */
#define CLI_PROGRESSIVE_OPTIONS                                                                    \
  {"progressive", 0, NULL, "test-then-train in event time with the online learner (see below)"},  \
      {"no-delay", 0, NULL, "--progressive: learn from each video right after scoring it"},       \
      {"horizon", 0, "AGE", "--progressive: outcome known at posted_at + AGE when the data has "  \
                            "no learned_at column (default 7d)"},                                 \
      {"window-size", 0, "N", "--progressive: outcomes in the sliding metrics window (default "  \
                              "10000)"},                                                          \
      {"model", 'm', "MODEL", "--progressive: start from this logistic model (as viral stream "   \
                              "-m) instead of an untrained one"},                                 \
      {"final-model", 0, "FILE", "--progressive: write the model as the run leaves it"}

/* Run `viral eval --progressive` with the parsed args; returns the exit code. */
int eval_progressive(const cli_args *args);

/* CLI_CONTINUE, or a usage error (exit 2) when an option of --progressive
 * was given without it. */
int eval_progressive_check_unused(const cli_args *args);

#endif
