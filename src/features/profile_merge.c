/* profile_merge.c - the training profile of rows spread over the processes
 * of an MPI job (viral_pipeline_profile_merge, viral/features.h): each
 * process profiled its share; here the parts become the profile of all the
 * rows, the same on every process.
 *
 * - Spreads: each column's Welford (n, mean, m2) combined in rank order
 *   (io/welford.h): one process's figures but for the last bits.
 * - Quantiles: a reservoir of the union drawn from the processes'
 *   reservoirs, each giving a share proportional to the inputs it saw
 *   (largest remainders, ties to the lower rank), its first places (a
 *   reservoir's places are exchangeable, so its first k are a uniform k of
 *   its inputs). Another uniform sample than one process draws: quantiles
 *   within sampling error of one process's, not the same.
 * - Hashed names: rows per index summed; the names are the union of the
 *   processes' kept names (a name kept by no process, because it was never
 *   among any share's most frequent, is lost), kept by the summed counts
 *   up to names_max; an index named differently by two processes is
 *   marked collided and keeps the lower rank's name. */
#include <stdlib.h>
#include <string.h>

#include "features/pipeline_internal.h"
#include "io/array.h"
#include "io/welford.h"
#include "io/text.h"
#include "viral/dist.h"

static int nomem(viral_error *err) { return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory"); }

/* Every process's doubles (mine[n]) after each other in rank order: *all,
 * *parts of them. Collective. */
static int gather_doubles(const double *mine, size_t n, double **all, size_t *parts, viral_error *err) {
  char *bytes = NULL;
  size_t total = 0;
  int rc = viral_dist_allgather(mine, n * sizeof *mine, &bytes, &total, err);
  *all = (double *)(void *)bytes;
  *parts = n ? total / (n * sizeof *mine) : 0;
  return rc;
}

/* ---- spreads and quantiles ---- */

/* One column's part: n, mean, m2, seen, k, then k reservoir values. */
#define COLUMN_HEAD 5

static size_t column_width(void) { return COLUMN_HEAD + PROFILE_RESERVOIR; }

static void pack_column(const col_profile *cp, double *out) {
  size_t k = cp->res ? (cp->seen < PROFILE_RESERVOIR ? (size_t)cp->seen : PROFILE_RESERVOIR) : 0;
  memset(out, 0, column_width() * sizeof *out);
  out[0] = cp->n;
  out[1] = cp->m;
  out[2] = cp->m2;
  out[3] = (double)cp->seen;
  out[4] = (double)k;
  if (k) memcpy(out + COLUMN_HEAD, cp->res, k * sizeof *out);
}

/* How many of each part's reservoir the union's takes: [parts] take. */
static void reservoir_shares(const double *const *part, size_t parts, size_t *take) {
  double seen = 0;
  size_t kept = 0;
  for (size_t r = 0; r < parts; r++) seen += part[r][3], kept += (size_t)part[r][4];
  size_t want = kept < PROFILE_RESERVOIR ? kept : PROFILE_RESERVOIR, given = 0;
  for (size_t r = 0; r < parts; r++) {
    take[r] = seen > 0 ? (size_t)((double)want * part[r][3] / seen) : 0;
    given += take[r];
  }
  while (given < want) { /* the largest remainder, the lower rank first */
    size_t best = parts;
    double most = -1;
    for (size_t r = 0; r < parts; r++) {
      double rest = (double)want * part[r][3] / seen - (double)take[r];
      if (take[r] < (size_t)part[r][4] && rest > most) most = rest, best = r;
    }
    if (best == parts) break;
    take[best]++, given++;
  }
}

static void merge_column(col_profile *cp, const double *const *part, size_t parts, size_t *take) {
  double n = 0, mean = 0, m2 = 0;
  for (size_t r = 0; r < parts; r++) welford_merge(&n, &mean, &m2, part[r][0], part[r][1], part[r][2]);
  cp->n = n, cp->m = mean, cp->m2 = m2;
  if (!cp->res) return;
  reservoir_shares(part, parts, take);
  size_t at = 0;
  uint64_t seen = 0;
  for (size_t r = 0; r < parts; r++) {
    memcpy(cp->res + at, part[r] + COLUMN_HEAD, take[r] * sizeof *cp->res);
    at += take[r];
    seen += (uint64_t)part[r][3];
  }
  /* finish_quantiles reads min(seen, PROFILE_RESERVOIR) places: the union's */
  cp->seen = seen < PROFILE_RESERVOIR ? seen : at;
}

static int merge_columns(viral_pipeline *p, viral_error *err) {
  size_t width = column_width(), n = (size_t)p->ncols * width, parts = 0;
  double *mine = malloc((n ? n : 1) * sizeof *mine), *all = NULL;
  int rc = mine ? VIRAL_OK : nomem(err);
  for (uint32_t c = 0; c < p->ncols && rc == VIRAL_OK; c++) pack_column(&p->cols[c].prof, mine + (size_t)c * width);
  if ((rc = viral_dist_agree(rc, 0, err)) == VIRAL_OK) rc = gather_doubles(mine, n, &all, &parts, err);
  free(mine);
  const double **part = rc == VIRAL_OK ? malloc((parts ? parts : 1) * sizeof *part) : NULL;
  size_t *take = rc == VIRAL_OK ? malloc((parts ? parts : 1) * sizeof *take) : NULL;
  if (rc == VIRAL_OK && (!part || !take)) rc = nomem(err);
  for (uint32_t c = 0; c < p->ncols && rc == VIRAL_OK; c++) {
    for (size_t r = 0; r < parts; r++) part[r] = all + r * n + (size_t)c * width;
    merge_column(&p->cols[c].prof, part, parts, take);
  }
  free(take);
  free(part);
  free(all);
  return rc;
}

/* ---- hashed names ---- */

static int put(char **buf, size_t *len, size_t *cap, const void *bytes, size_t n) {
  if (array_grow((void **)buf, cap, *len + n, 1, 4096) < 0) return VIRAL_ERR_NOMEM;
  memcpy(*buf + *len, bytes, n);
  *len += n;
  return VIRAL_OK;
}

static int put_text(char **buf, size_t *len, size_t *cap, const char *text) {
  uint32_t n = text ? (uint32_t)strlen(text) : 0;
  return put(buf, len, cap, &n, sizeof n) || put(buf, len, cap, text ? text : "", n) ? VIRAL_ERR_NOMEM : VIRAL_OK;
}

/* This process's names: index, collided, group, name, each. */
static int pack_names(const viral_pipeline *p, char **buf, size_t *len) {
  size_t cap = 0;
  *buf = NULL, *len = 0;
  for (size_t i = 0; i < p->nnames; i++) {
    const name_entry *e = &p->names[i];
    uint32_t head[2] = {e->index, (uint32_t)e->collided};
    if (put(buf, len, &cap, head, sizeof head) || put_text(buf, len, &cap, e->group) ||
        put_text(buf, len, &cap, e->name))
      return VIRAL_ERR_NOMEM;
  }
  return VIRAL_OK;
}

static const char *take_text(const char **at, uint32_t *n) {
  memcpy(n, *at, sizeof *n);
  const char *text = *at + sizeof *n;
  *at = text + *n;
  return text;
}

/* Entry for index among names[0, n), or NULL. */
static name_entry *entry_of(viral_pipeline *p, uint32_t index) {
  uint32_t k = p->bucket_entry[index];
  return k ? &p->names[k - 1] : NULL;
}

/* Add the gathered names (every process's, rank order) to p->names, which
 * was emptied: the union, collisions marked. */
static int unite_names(viral_pipeline *p, const char *all, size_t total) {
  for (const char *at = all; at < all + total;) {
    uint32_t head[2], glen, nlen;
    memcpy(head, at, sizeof head);
    at += sizeof head;
    const char *group = take_text(&at, &glen), *name = take_text(&at, &nlen);
    name_entry *e = entry_of(p, head[0]);
    if (e) {
      if (head[1] || strlen(e->name) != nlen || memcmp(e->name, name, nlen) != 0) e->collided = 1;
      continue;
    }
    if (array_grow((void **)&p->names, &p->names_cap, p->nnames + 1, sizeof *p->names, 64) < 0) return VIRAL_ERR_NOMEM;
    e = &p->names[p->nnames];
    memset(e, 0, sizeof *e);
    e->index = head[0];
    e->collided = (int)head[1];
    if (!(e->group = text_dup_len(group, glen)) || !(e->name = text_dup_len(name, nlen))) {
      free(e->group);
      return VIRAL_ERR_NOMEM;
    }
    p->bucket_entry[e->index] = (uint32_t)++p->nnames;
  }
  return VIRAL_OK;
}

static const viral_pipeline *by_count_of; /* qsort's context: the pipeline sorted */

/* More rows first, then the smaller index. */
static int by_count(const void *a, const void *b) {
  const name_entry *x = a, *y = b;
  uint32_t cx = by_count_of->bucket_count[x->index], cy = by_count_of->bucket_count[y->index];
  if (cx != cy) return cx > cy ? -1 : 1;
  return (x->index > y->index) - (x->index < y->index);
}

/* Only the names_max most frequent names stay. */
static void keep_most_frequent(viral_pipeline *p) {
  if (p->nnames <= p->names_max) return;
  by_count_of = p;
  qsort(p->names, p->nnames, sizeof *p->names, by_count);
  for (size_t i = p->names_max; i < p->nnames; i++) {
    free(p->names[i].group);
    free(p->names[i].name);
  }
  p->nnames = p->names_max;
}

static int merge_names(viral_pipeline *p, viral_error *err) {
  size_t dim = (size_t)1 << p->hash_bits;
  uint64_t *counts = malloc(dim * sizeof *counts);
  char *mine = NULL, *all = NULL;
  size_t len = 0, total = 0;
  int rc = counts && pack_names(p, &mine, &len) == VIRAL_OK ? VIRAL_OK : nomem(err);
  for (size_t i = 0; counts && i < dim; i++) counts[i] = p->bucket_count[i];
  if ((rc = viral_dist_agree(rc, 0, err)) == VIRAL_OK) rc = viral_dist_sum(counts, dim, err);
  if (rc == VIRAL_OK) rc = viral_dist_allgather(mine, len, &all, &total, err);
  free(mine);
  if (rc == VIRAL_OK) {
    for (size_t i = 0; i < dim; i++) p->bucket_count[i] = counts[i] < UINT32_MAX ? (uint32_t)counts[i] : UINT32_MAX;
    for (size_t i = 0; i < p->nnames; i++) p->bucket_entry[p->names[i].index] = 0;
    pipeline_forget_names(p);
    if (unite_names(p, all, total) != VIRAL_OK) rc = nomem(err);
    keep_most_frequent(p);
  }
  free(all);
  free(counts);
  return rc;
}

int viral_pipeline_profile_merge(viral_pipeline *p, viral_error *err) {
  if (!p->profiling) return VIRAL_OK;
  int rc = viral_dist_sum(&p->profile_rows, 1, err);
  if (rc == VIRAL_OK) rc = merge_columns(p, err);
  if (rc == VIRAL_OK && p->bucket_count) rc = merge_names(p, err);
  return rc;
}
