/* model_internal.h - the model struct, shared by model.c (training,
 * scoring), model_file.c (the JSON document) and inspect.c. */
#ifndef VIRAL_MODEL_INTERNAL_H
#define VIRAL_MODEL_INTERNAL_H

#include "learn/learner.h"
#include "viral/model.h"

struct viral_model {
  viral_pipeline *pipeline;
  const viral_learner *learner; /* its row of the table */
  void *state;                  /* the learner's fitted state (learner->free) */
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

  viral_sparse vec; /* learning one record */
};

/* An empty model of learner around p (taken over). NULL when out of memory. */
viral_model *viral_model_create_(viral_pipeline *p, const viral_learner *learner);

#endif
