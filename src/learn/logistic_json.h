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
 *               "normalize": true, "dense": 2, "passes": 1, "shuffle": false,
 *               "seed": 1, "weight0": 1, "weight1": 1},
 *    "bits": 18, "rows": 1234,
 *    "bias": {"weight": -1.2, "z": 3.4, "n": 56.7},
 *    "standardize": {"mean": [3.5, 0.25], "m2": [1520.5, 98.5]},
 *    "columns": ["index", "weight", "z", "n", "scale"],
 *    "coordinates": [[0, 0.5, -2, 9, 0],
 *                    [17, 0.25, -1.5, 3.25, 4], ...]}
 *
 * "columns" depends on the optimizer: z only for ftrl, n for ftrl and adagrad,
 * scale only when normalising; bias has the same optimizer fields. "weight"
 * is the optimizer's weight u_i on the standardized value of a dense
 * coordinate, on x_i / scale_i for the others (on x_i when not normalising).
 * "standardize" holds the running mean and m2 of the dense coordinates over
 * "rows" examples; it is present when normalising with "dense" > 0. Dense
 * coordinates have scale 0. Only coordinates with some non-zero state are
 * listed, one per line, in increasing index order. A learner from a version
 * 1 model file has no "dense" (read as 0) and no "standardize". */
#ifndef VIRAL_LOGISTIC_JSON_H
#define VIRAL_LOGISTIC_JSON_H

#include <cJSON.h>

#include "io/json_number.h"
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
  /* Standardized dense coordinates [0, dense): dense = p.dense when
   * normalising, else 0 (and these are NULL). Over the rows learned so far: */
  uint32_t dense;
  double *mean;    /* [dense] running mean of x_i (absent: 0) */
  double *m2;      /* [dense] sum of squared deviations from the mean */
  /* Derived, never saved: recomputed from the saved state the same way after
   * every update and on load (viral_logistic_refresh_), so they have the same
   * bits either way. */
  double *sd;      /* [dense] sqrt(m2_i / rows) */
  double raw_bias; /* bias_w - sum_i w_i mean_i / sd_i: the intercept on raw values */
  double *sqrt_n;  /* [dense] ftrl only: sqrt(n_i), so a dense step takes one square root */
  double *scratch; /* [5 * dense] one example's standardized values, new mean, m2, sd,
                    * and the standardized value of 0 */
};

/* Recompute the derived fields (sd, sqrt_n, raw_bias) from the state. */
void viral_logistic_refresh_(viral_logistic *m);

/* FTRL's closed-form weight from z and sqrt(n) (McMahan et al. Algorithm 1),
 * shared by the update and the loader's consistency check. */
double viral_logistic_ftrl_weight(const viral_logistic_params *p, double z, double sqrt_n,
                                  double l1, double l2);

/* The "coordinates" value, a JSON array of arrays, written through emit
 * piece by piece (a row at a time): a large learner's table is never held in
 * memory. Returns 0, or -1 when emit failed. */
int viral_logistic_json_write_coordinates(const viral_logistic *m, viral_text_emit emit, void *ctx);

/* The learner object with coordinates (taken over, freed on failure) as its
 * "coordinates" member: a placeholder when the caller streams the table. NULL
 * with err set when memory runs out. */
cJSON *viral_logistic_json_write_head(const viral_logistic *m, cJSON *coordinates, viral_error *err);

/* A new cJSON object holding the whole learner, the table as one raw item
 * (caller cJSON_Delete()s it), or NULL with err set when memory runs out. */
cJSON *viral_logistic_json_write(const viral_logistic *m, viral_error *err);

/* A new learner rebuilt from json (caller frees with viral_logistic_free()),
 * or NULL with err naming the offending key when anything is missing, of the
 * wrong type, out of range, not finite or inconsistent. */
viral_logistic *viral_logistic_json_read(const cJSON *json, viral_error *err);

/* The same, with the coordinate table given as its JSON text (len bytes)
 * instead of json's "coordinates" member, which is ignored: a large model is
 * loaded without a cJSON node per number (model/document.h cuts it out). */
viral_logistic *viral_logistic_json_read_split(const cJSON *json, const char *coordinates,
                                               size_t len, viral_error *err);

#endif
