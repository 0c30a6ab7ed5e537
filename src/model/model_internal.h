/* model_internal.h - the model struct, shared by model.c (training, scoring)
 * and model_file.c (the JSON document). */
#ifndef VIRAL_MODEL_INTERNAL_H
#define VIRAL_MODEL_INTERNAL_H

#include "viral/model.h"

struct viral_model {
  viral_pipeline *pipeline;
  viral_learner_kind kind;
  viral_logistic *logistic; /* kind == logistic */
  viral_svm_model *svm;     /* kind == svm */
  viral_svm_params svm_params; /* what the SVM was trained with (its text holds only kernel and gamma) */
  double threshold;
  uint64_t rows, positives, updates;
  double time_first, time_last; /* posted_at span, unix seconds, NAN when unknown */
  char created_at[32];          /* ISO-8601 UTC of the first training */
  viral_calibration calibration; /* applied to the learner's probability */

  /* while training with calibration: the rows held out for it */
  viral_dataset *held_out;
  double holdout_fraction;
  uint32_t holdout_seed;
  uint64_t holdout_index;

  /* scratch for scoring */
  viral_sparse vec;
  viral_pipeline_scratch *names; /* naming reasons */
  double *contributions; /* [capacity] */
  size_t capacity;
};

/* VIRAL_OK when a logistic learner of 2^bits weights can hold every index
 * of p's vectors, else VIRAL_ERR_INVALID with err naming source (a model
 * file, or NULL for the --bits of training): the one check training and
 * loading share. */
int viral_model_check_bits_(int bits, const viral_pipeline *p, const char *source, viral_error *err);

/* An empty model around p (taken over). NULL when out of memory. */
viral_model *viral_model_create_(viral_pipeline *p, viral_learner_kind kind);

#endif
