/* fit_pool.c - what the processes of a job fitted, pooled (the fit of a
 * pipeline over byte ranges of one input, viral_rows_fit). */
#include <stdlib.h>
#include <string.h>

#include "features/pipeline_internal.h"
#include "viral/dist.h"

/* The label values of a quantile rule: every process's, in rank order, on
 * every process (the threshold, the k-th largest, is then one process's). */
static int pool_label_values(viral_pipeline *p, viral_error *err) {
  label_rule *l = &p->label;
  if (l->kind != LABEL_TOP) return VIRAL_OK;
  char *all = NULL;
  size_t total = 0;
  int rc = viral_dist_allgather(l->values, l->nvalues * sizeof *l->values, &all, &total, err);
  if (rc != VIRAL_OK) return rc;
  free(l->values);
  l->values = (double *)(void *)all;
  l->nvalues = l->cap = total / sizeof *l->values;
  return VIRAL_OK;
}

/* A column's fit accumulators, as they travel. */
enum { COL_N, COL_MEAN, COL_M2, COL_MIN, COL_MAX, COL_STATS };

/* Add the accumulators s of other rows to c (Chan et al.'s pairwise
 * update of Welford's mean and sum of squares). */
static void combine(dense_col *c, const double *s) {
  if (s[COL_N] == 0) return;
  if (c->n == 0) {
    c->n = s[COL_N], c->mean = s[COL_MEAN], c->m2 = s[COL_M2], c->min = s[COL_MIN], c->max = s[COL_MAX];
    return;
  }
  double n = c->n + s[COL_N], d = s[COL_MEAN] - c->mean;
  c->mean += d * s[COL_N] / n;
  c->m2 += s[COL_M2] + d * d * c->n * s[COL_N] / n;
  c->n = n;
  if (s[COL_MIN] < c->min) c->min = s[COL_MIN];
  if (s[COL_MAX] > c->max) c->max = s[COL_MAX];
}

/* The scaling statistics of every column: each process's accumulators,
 * combined in rank order, so every process has the same bits. */
static int pool_scaling(viral_pipeline *p, viral_error *err) {
  size_t len = (size_t)p->ncols * COL_STATS * sizeof(double);
  if (len == 0) return VIRAL_OK;
  double *mine = malloc(len);
  if (!mine) return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  for (uint32_t i = 0; i < p->ncols; i++) {
    const dense_col *c = &p->cols[i];
    double *s = mine + (size_t)i * COL_STATS;
    s[COL_N] = c->n, s[COL_MEAN] = c->mean, s[COL_M2] = c->m2, s[COL_MIN] = c->min, s[COL_MAX] = c->max;
  }
  char *all = NULL;
  size_t total = 0;
  int rc = viral_dist_allgather(mine, len, &all, &total, err);
  free(mine);
  if (rc != VIRAL_OK) return rc;
  for (uint32_t i = 0; i < p->ncols; i++) p->cols[i].n = 0;
  double s[COL_STATS];
  for (size_t at = 0; at + len <= total; at += len)
    for (uint32_t i = 0; i < p->ncols; i++) {
      memcpy(s, all + at + (size_t)i * sizeof s, sizeof s);
      combine(&p->cols[i], s);
    }
  free(all);
  return VIRAL_OK;
}

/* The names of hashed indices, each process's in the order it noted them:
 * index (4 bytes), collided (1), group and name (NUL-terminated). */
static char *pack_names(const viral_pipeline *p, size_t *len) {
  size_t n = 0;
  for (size_t i = 0; i < p->nnames; i++) n += 5 + strlen(p->names[i].group) + strlen(p->names[i].name) + 2;
  char *buf = malloc(n ? n : 1), *at = buf;
  for (size_t i = 0; buf && i < p->nnames; i++) {
    const name_entry *e = &p->names[i];
    memcpy(at, &e->index, 4);
    at[4] = (char)e->collided;
    at += 5;
    at = stpcpy(at, e->group) + 1;
    at = stpcpy(at, e->name) + 1;
  }
  *len = n;
  return buf;
}

/* Every process's names noted again in rank order, as one process reading
 * the ranges in turn notes them: the first names_max indices, a second
 * name at an index (or a collision the process saw) a collision. */
static int pool_names(viral_pipeline *p, viral_error *err) {
  size_t len, total = 0;
  char *mine = pack_names(p, &len), *all = NULL;
  if (!mine) return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  int rc = viral_dist_allgather(mine, len, &all, &total, err);
  free(mine);
  if (rc != VIRAL_OK) return rc;
  pipeline_forget_names(p);
  for (const char *at = all, *end = all + total; rc == VIRAL_OK && at < end;) {
    uint32_t index;
    memcpy(&index, at, 4);
    const char *group = at + 5, *name = group + strlen(group) + 1;
    rc = pipeline_pool_name(p, index, group, name, at[4]);
    at = name + strlen(name) + 1;
  }
  free(all);
  return rc == VIRAL_OK ? VIRAL_OK : viral_error_set(err, rc, NULL, 0, "out of memory");
}

int pipeline_fit_pool(viral_pipeline *p, viral_error *err) {
  int rc = pool_label_values(p, err);
  if (rc == VIRAL_OK) rc = pool_scaling(p, err);
  return rc == VIRAL_OK ? pool_names(p, err) : rc;
}
