/* viral/learner.h - the learners a model can hold, and their options.
 *
 * Every learner is one row of a table (src/learn/learner.c) of operations:
 * its name and options, fitting from rows, learning one row (when it learns
 * online), predicting, explaining a prediction, its weights, and its own
 * section of the model file. The model, its file, eval, tune, inspect and the
 * command line go through the table: none of them knows which learners
 * there are. The learners today: "logistic" (online; viral/logistic.h) and
 * "svm" (libsvm, batch; viral/svm.h). */
#ifndef VIRAL_LEARNER_H
#define VIRAL_LEARNER_H

#include <stddef.h>

#include "viral/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct viral_learner viral_learner;

/* The learner called name, or NULL. */
const viral_learner *viral_learner_find(const char *name);
/* The learners in the table's order: i from 0 until NULL. */
const viral_learner *viral_learner_at(size_t i);
/* The learner a model gets unless told otherwise (the first: logistic). */
const viral_learner *viral_learner_default(void);

/* Its name, as --learner and the model file spell it. */
const char *viral_learner_name(const viral_learner *l);
/* 1 when it learns one row at a time: a model of it continues exactly
 * (update), learns as outcomes arrive (eval --progressive, stream) and can
 * start untrained (viral_model_create). */
int viral_learner_online(const viral_learner *l);
/* The scaling its pipeline trains with: "none" for a learner that learns
 * its inputs' scale in its own single pass, NULL for the spec's own. */
const char *viral_learner_scaling(const viral_learner *l);
/* The learners' names for messages: "logistic or svm" ("a, b or c"), each
 * in double quotes when quoted is set, only those that learn online when
 * online is set. buf is always NUL-terminated. */
void viral_learner_list(char *buf, size_t size, int quoted, int online);

/* ---- options, as a command line gives them ---- */

/* One option: --name ARG, its help on one line. */
typedef struct viral_option {
  const char *name;
  const char *arg;  /* "X", "N", "NAME"...; NULL for a flag */
  const char *help;
} viral_option;

/* The value given for option name: its text, "" for a flag that was
 * given, NULL when it was not given. */
typedef const char *(*viral_option_get)(void *ctx, const char *name);

/* Option name read as a number into *out when given (else *out is left
 * alone): VIRAL_OK, or VIRAL_ERR_INVALID with err's message "--alpha needs
 * a number, not 'x'". */
int viral_option_number(viral_option_get get, void *ctx, const char *name, double *out,
                        viral_error *err);
/* The same for a whole number ("--passes needs a whole number, not 'x'"). */
int viral_option_whole(viral_option_get get, void *ctx, const char *name, long *out,
                       viral_error *err);

#ifdef __cplusplus
}
#endif
#endif
