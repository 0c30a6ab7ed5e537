/* viral/vector.h - the one sparse vector representation every learner uses,
 * and a CSR dataset for learners that need all rows at once (SVM,
 * cross-validation). */
#ifndef VIRAL_VECTOR_H
#define VIRAL_VECTOR_H

#include <stddef.h>
#include <stdint.h>

#include "viral/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One non-zero coordinate. */
typedef struct viral_feature {
  uint32_t index;
  double value;
} viral_feature;

/* A sparse vector: items sorted by index, no duplicate indices once
 * viral_sparse_finish() has run. Caller-owned struct. */
typedef struct viral_sparse {
  viral_feature *items; /* [count] */
  size_t count;
  size_t capacity;
} viral_sparse;

void viral_sparse_init(viral_sparse *v);
void viral_sparse_release(viral_sparse *v);
/* Forget the items, keep the memory. */
void viral_sparse_clear(viral_sparse *v);
/* Append (index, value); order does not matter until finish. */
int viral_sparse_push(viral_sparse *v, uint32_t index, double value);
/* Sort by index, sum duplicate indices, drop exact zeros. */
void viral_sparse_finish(viral_sparse *v);
/* Dot product with a dense weight array w: [dim]; indices >= dim count as 0. */
double viral_sparse_dot(const viral_sparse *v, const double *w, size_t dim);

/* Many vectors in compressed sparse row form, with labels and weights. */
typedef struct viral_dataset {
  size_t rows;
  size_t *row_start;    /* [rows + 1]: row r is items[row_start[r] .. row_start[r+1]) */
  viral_feature *items; /* [row_start[rows]] */
  double *labels;       /* [rows]: 0 or 1 */
  size_t row_capacity, item_capacity;
  uint32_t dim;         /* 1 + largest index seen */
  struct viral_spill *spill; /* internal: the file items live in past 16 MiB (NULL: the heap) */
} viral_dataset;

void viral_dataset_init(viral_dataset *ds);
void viral_dataset_release(viral_dataset *ds);
/* Append a finished vector with its label. */
int viral_dataset_append(viral_dataset *ds, const viral_sparse *v, double label);
/* Row r as a borrowed vector (items point into ds). */
viral_sparse viral_dataset_row(const viral_dataset *ds, size_t r);

#ifdef __cplusplus
}
#endif
#endif
