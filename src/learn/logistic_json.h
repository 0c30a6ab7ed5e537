/* logistic_json.h - internal: the learner's state, and its JSON form.
 *
 * The struct lives here (not in logistic.c) because the serializer in
 * logistic_json.c reads and rebuilds every field; nothing outside src/learn
 * should include this header except the model file code and tests.
 *
 * JSON form, one object (numbers are JSON numbers printed by
 * viral_format_double, so they read back to the same bits; cJSON 1.7.15's own
 * printer does not guarantee that: it keeps 15 digits whenever the value reads
 * back within a relative DBL_EPSILON, which loses the last bit of about one
 * double in nine):
 *
 *   {"params": {"optimizer": "ftrl", "alpha": 0.1, "beta": 1, "l1": 0, "l2": 1,
 *               "normalize": true, "passes": 1, "shuffle": false, "seed": 1,
 *               "weight0": 1, "weight1": 1},
 *    "bits": 18, "rows": 1234,
 *    "bias": {"weight": -1.2, "z": 3.4, "n": 56.7},
 *    "columns": ["index", "weight", "z", "n", "scale"],
 *    "coordinates": [[17, 0.25, -1.5, 3.25, 4], ...]}
 *
 * "columns" depends on the optimizer: z only for ftrl, n for ftrl and adagrad,
 * scale only when normalising; bias has the same optimizer fields. "weight"
 * is the optimizer's weight u_i on x_i / scale_i (on x_i when not
 * normalising). Only coordinates with some non-zero state are listed, in
 * increasing index order. */
#ifndef VIRAL_LOGISTIC_JSON_H
#define VIRAL_LOGISTIC_JSON_H

#include <cJSON.h>

#include "viral/logistic.h"

struct viral_logistic {
  viral_logistic_params p;
  int bits;
  uint32_t mask;   /* dim - 1 */
  size_t dim;      /* 2^bits */
  double *w;       /* [dim] optimizer weight u_i (cached from z, n for ftrl) */
  double *z;       /* [dim] ftrl only, else NULL */
  double *n;       /* [dim] ftrl and adagrad: sum of squared gradients */
  double *s;       /* [dim] when normalising: max |x_i| seen, else NULL */
  double bias_w, bias_z, bias_n; /* the intercept's w, z, n */
  uint64_t rows;   /* examples learned */
};

/* FTRL's closed-form weight from z and sqrt(n) (McMahan et al. Algorithm 1),
 * shared by the update and the loader's consistency check. */
double viral_logistic_ftrl_weight(const viral_logistic_params *p, double z, double sqrt_n,
                                  double l1, double l2);

/* splitmix64 (Steele, Lea and Flood 2014), the shuffle's generator: advances
 * *state and returns the next output; the same sequence on every machine. */
uint64_t viral_logistic_splitmix64(uint64_t *state);

/* A new cJSON object holding the whole learner (caller cJSON_Delete()s it), or
 * NULL with err set when memory runs out. */
cJSON *viral_logistic_json_write(const viral_logistic *m, viral_error *err);

/* A new learner rebuilt from json (caller frees with viral_logistic_free()),
 * or NULL with err naming the offending key when anything is missing, of the
 * wrong type, out of range, not finite or inconsistent. */
viral_logistic *viral_logistic_json_read(const cJSON *json, viral_error *err);

#endif
