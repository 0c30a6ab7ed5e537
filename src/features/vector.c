/* vector.c - sparse vectors and the CSR dataset (include/viral/vector.h). */
#include "viral/vector.h"
#include "io/array.h"
#include "io/spill.h"

#include <stdlib.h>
#include <string.h>

void viral_sparse_init(viral_sparse *v) { memset(v, 0, sizeof *v); }

void viral_sparse_release(viral_sparse *v) {
  if (!v) return;
  free(v->items);
  viral_sparse_init(v);
}

void viral_sparse_clear(viral_sparse *v) { v->count = 0; }

int viral_sparse_push(viral_sparse *v, uint32_t index, double value) {
  if (v->count == v->capacity) {
    size_t cap = v->capacity ? v->capacity * 2 : 32;
    viral_feature *items = realloc(v->items, cap * sizeof *items);
    if (!items) return VIRAL_ERR_NOMEM;
    v->items = items;
    v->capacity = cap;
  }
  v->items[v->count].index = index;
  v->items[v->count].value = value;
  v->count++;
  return VIRAL_OK;
}

static int by_index(const void *a, const void *b) {
  uint32_t x = ((const viral_feature *)a)->index, y = ((const viral_feature *)b)->index;
  return (x > y) - (x < y);
}

/* Longest tail sorted by insertion (stable) and merged; a longer one goes
 * to qsort. The pipeline's tail is its hashed coordinates, a handful. */
#define TAIL_MAX 64

/* Stable insertion sort by index: a[n]. */
static void insertion_sort(viral_feature *a, size_t n) {
  for (size_t i = 1; i < n; i++) {
    viral_feature f = a[i];
    size_t j = i;
    for (; j > 0 && a[j - 1].index > f.index; j--) a[j] = a[j - 1];
    a[j] = f;
  }
}

/* Merge the sorted runs a[0..run) and a[run..n) (n - run <= TAIL_MAX) in
 * place, from the back; on equal indices the first run's items stay first,
 * so the result is what a stable sort of the whole array gives. */
static void merge_tail(viral_feature *a, size_t run, size_t n) {
  viral_feature tail[TAIL_MAX];
  size_t m = n - run;
  memcpy(tail, a + run, m * sizeof *tail);
  size_t i = run, k = n;
  while (m > 0) {
    if (i > 0 && a[i - 1].index > tail[m - 1].index) a[--k] = a[--i];
    else a[--k] = tail[--m];
  }
}

void viral_sparse_finish(viral_sparse *v) {
  /* Vectors arrive as an ordered run (the pipeline's dense columns) and a
   * short unordered tail (hashed coordinates): sort the tail and merge it
   * in, rather than sorting everything. Either way the order is a stable
   * sort's, so duplicates (hash collisions) are summed in the order they
   * were pushed, as a dense vector would sum them. One pass sums duplicates
   * and drops zeros (a zero sum included). */
  size_t n = v->count, run = 0;
  /* most often there is nothing to do: ordered, unique, no zeros */
  while (run < n && v->items[run].value != 0.0 &&
         (run == 0 || v->items[run - 1].index < v->items[run].index))
    run++;
  if (run == n) return;
  if (run == 0) run = 1;
  while (run < n && v->items[run - 1].index <= v->items[run].index) run++;
  if (run < n) {
    if (n - run > TAIL_MAX) {
      qsort(v->items, n, sizeof *v->items, by_index);
    } else {
      insertion_sort(v->items + run, n - run);
      if (v->items[run - 1].index > v->items[run].index) merge_tail(v->items, run, n);
    }
  }
  size_t out = 0;
  for (size_t i = 0; i < n;) {
    viral_feature f = v->items[i++];
    while (i < n && v->items[i].index == f.index) f.value += v->items[i++].value;
    if (f.value != 0.0) v->items[out++] = f;
  }
  v->count = out;
}

double viral_sparse_dot(const viral_sparse *v, const double *w, size_t dim) {
  double s = 0.0;
  for (size_t i = 0; i < v->count; i++)
    if (v->items[i].index < dim) s += w[v->items[i].index] * v->items[i].value;
  return s;
}

void viral_dataset_init(viral_dataset *ds) { memset(ds, 0, sizeof *ds); }

void viral_dataset_release(viral_dataset *ds) {
  if (!ds) return;
  free(ds->row_start);
  spill_free(ds->spill, ds->items);
  free(ds->labels);
  viral_dataset_init(ds);
}

int viral_dataset_append(viral_dataset *ds, const viral_sparse *v, double label) {
  size_t items_used = ds->rows ? ds->row_start[ds->rows] : 0;
  size_t row_cap = ds->row_capacity, label_cap = ds->row_capacity;
  if (array_grow((void **)&ds->row_start, &row_cap, ds->rows + 2, sizeof *ds->row_start, 64) ||
      array_grow((void **)&ds->labels, &label_cap, ds->rows + 2, sizeof *ds->labels, 64) ||
      spill_grow(&ds->spill, (void **)&ds->items, &ds->item_capacity, items_used + v->count + 1, sizeof *ds->items,
                 64))
    return VIRAL_ERR_NOMEM;
  /* items in a file (io/spill.h): whoever writes or reads the rows, in any
   * order, holds a few MiB of their pages, not the dataset's */
  spill_touched(ds->spill, ds->items + items_used, v->count * sizeof *v->items);
  ds->row_capacity = row_cap < label_cap ? row_cap : label_cap;
  if (ds->rows == 0) ds->row_start[0] = 0;
  if (v->count) /* an empty vector may have no items at all: memcpy wants a pointer */
    memcpy(ds->items + items_used, v->items, v->count * sizeof *v->items);
  for (size_t i = 0; i < v->count; i++)
    if (v->items[i].index + 1 > ds->dim) ds->dim = v->items[i].index + 1;
  ds->labels[ds->rows] = label;
  ds->rows++;
  ds->row_start[ds->rows] = items_used + v->count;
  return VIRAL_OK;
}

viral_sparse viral_dataset_row(const viral_dataset *ds, size_t r) {
  viral_sparse v;
  v.items = ds->items + ds->row_start[r];
  v.count = ds->row_start[r + 1] - ds->row_start[r];
  spill_touched(ds->spill, v.items, v.count * sizeof *v.items);
  v.capacity = 0;
  return v;
}
