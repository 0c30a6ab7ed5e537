/* profile.c - what training saw, kept with the model (viral/features.h,
 * "the training profile"), and the coordinates of a record in words.
 *
 * Profiling runs inside the training pass (viral_pipeline_transform with
 * profiling on), in memory flat in the rows: per dense column a Welford
 * mean and variance of its vector value and a seeded reservoir of its
 * feature's inputs; per hashed index a row count, and the names of the
 * names_max most frequent indices (a min-heap by count evicts the rarest:
 * an index left out was never more frequent than every one kept). */
#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "features/pipeline_internal.h"
#include "io/array.h"
#include "io/json_number.h"
#include "io/random.h"

#define PI 3.14159265358979323846

void profile_link_columns(viral_pipeline *p) {
  for (size_t i = 0; i < p->nfeatures; i++) {
    const feature_def *f = &p->features[i];
    for (int k = 0; k < f->ncols; k++) {
      p->cols[f->col + (uint32_t)k].feature = i;
      p->cols[f->col + (uint32_t)k].offset = k;
    }
  }
  for (uint32_t c = 0; c < p->ncols; c++) p->cols[c].prof.mean = p->cols[c].prof.sd = NAN;
}

/* Free what profiling holds while it runs. */
static void drop_accumulators(viral_pipeline *p) {
  for (uint32_t c = 0; c < p->ncols; c++) {
    free(p->cols[c].prof.res);
    p->cols[c].prof.res = NULL;
  }
  free(p->row_x);
  free(p->row_in);
  free(p->bucket_count);
  free(p->bucket_entry);
  free(p->heap);
  free(p->heap_counts);
  free(p->pending);
  p->pending = NULL;
  p->npending = p->pending_cap = 0;
  p->row_x = p->row_in = NULL;
  p->bucket_count = p->bucket_entry = p->heap = p->heap_counts = NULL;
  p->profiling = 0;
}

void profile_release(viral_pipeline *p) {
  drop_accumulators(p);
  for (uint32_t c = 0; c < p->ncols; c++) {
    free(p->cols[c].prof.q);
    p->cols[c].prof.q = NULL;
  }
}

uint64_t viral_pipeline_profile_rows(const viral_pipeline *p) { return p->profile_rows; }

/* 1 when column c's input has an order worth a quantile (a count, a ratio;
 * not an hour, a yes/no or an indicator). */
static int col_ordered(const viral_pipeline *p, uint32_t c) {
  const dense_col *col = &p->cols[c];
  const feature_def *f = &p->features[col->feature];
  if (col->offset != 0) return 0;
  switch (f->kind) {
  case T_BOOL: case T_MISSING: case T_HOUR: case T_WEEKDAY: return 0;
  default: return 1;
  }
}

/* Forget the profile and the names, and make room to profile again. */
static int profile_start(viral_pipeline *p) {
  profile_release(p);
  pipeline_forget_names(p);
  p->profile_rows = 0;
  p->profile_rng = 0x70726f66696c65ull; /* "profile": a fixed seed, the same quantiles each run */
  size_t dim = p->any_hashed ? (size_t)1 << p->hash_bits : 0;
  size_t ncols = p->ncols ? p->ncols : 1;
  p->row_x = malloc(ncols * sizeof *p->row_x);
  p->row_in = malloc(ncols * sizeof *p->row_in);
  if (!p->row_x || !p->row_in) return VIRAL_ERR_NOMEM;
  if (dim && (!(p->bucket_count = table_calloc(dim, sizeof *p->bucket_count)) ||
              !(p->bucket_entry = table_calloc(dim, sizeof *p->bucket_entry)) ||
              !(p->heap = malloc((p->names_max ? p->names_max : 1) * sizeof *p->heap)) ||
              !(p->heap_counts = malloc((p->names_max ? p->names_max : 1) * sizeof *p->heap_counts))))
    return VIRAL_ERR_NOMEM;
  for (uint32_t c = 0; c < p->ncols; c++) {
    col_profile *cp = &p->cols[c].prof;
    cp->n = cp->m = cp->m2 = 0;
    cp->seen = 0;
    cp->mean = cp->sd = NAN;
    if (col_ordered(p, c) && !(cp->res = malloc(PROFILE_RESERVOIR * sizeof *cp->res)))
      return VIRAL_ERR_NOMEM;
  }
  p->profiling = 1;
  return VIRAL_OK;
}

static int ascending(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Quantiles of the reservoir (type 7: linear between order statistics). */
static int finish_quantiles(col_profile *cp) {
  size_t n = cp->seen < PROFILE_RESERVOIR ? (size_t)cp->seen : PROFILE_RESERVOIR;
  if (!cp->res || n == 0) return VIRAL_OK;
  if (!(cp->q = malloc(PROFILE_QUANTILES * sizeof *cp->q))) return VIRAL_ERR_NOMEM;
  qsort(cp->res, n, sizeof *cp->res, ascending);
  for (int k = 0; k < PROFILE_QUANTILES; k++) {
    double h = (double)(n - 1) * k / (PROFILE_QUANTILES - 1);
    size_t lo = (size_t)floor(h), hi = lo + 1 < n ? lo + 1 : lo;
    cp->q[k] = cp->res[lo] + (h - (double)lo) * (cp->res[hi] - cp->res[lo]);
  }
  return VIRAL_OK;
}

static int profile_finish(viral_pipeline *p, viral_error *err) {
  int rc = VIRAL_OK;
  for (uint32_t c = 0; c < p->ncols && rc == VIRAL_OK; c++) {
    col_profile *cp = &p->cols[c].prof;
    if (cp->n > 0) {
      cp->mean = cp->m;
      cp->sd = sqrt(cp->m2 / cp->n);
    }
    rc = finish_quantiles(cp);
  }
  for (size_t i = 0; i < p->nnames && p->bucket_count; i++)
    p->names[i].count = p->bucket_count[p->names[i].index];
  drop_accumulators(p);
  if (rc != VIRAL_OK) return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  return pipeline_sort_names(p, err);
}

int viral_pipeline_profile(viral_pipeline *p, int on, viral_error *err) {
  if (!on) return p->profiling ? profile_finish(p, err) : VIRAL_OK;
  if (profile_start(p) == VIRAL_OK) return VIRAL_OK;
  drop_accumulators(p);
  return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
}

/* ---- one row ---- */

void profile_row_begin(viral_pipeline *p) {
  p->npending = 0;
  for (uint32_t c = 0; c < p->ncols; c++) {
    p->row_x[c] = 0; /* a column the row does not emit is 0 in its vector */
    p->row_in[c] = NAN;
  }
}

/* Offer x to a reservoir of PROFILE_RESERVOIR (Vitter's algorithm R). */
static void reservoir_add(viral_pipeline *p, col_profile *cp, double x) {
  uint64_t i = cp->seen++;
  if (i < PROFILE_RESERVOIR) {
    cp->res[i] = x;
    return;
  }
  uint64_t j = splitmix64_next(&p->profile_rng) % (i + 1);
  if (j < PROFILE_RESERVOIR) cp->res[j] = x;
}

static void prefetch_entries(const viral_pipeline *p);
static int note_pending(viral_pipeline *p, viral_pipeline_scratch *s);

int profile_row_end(viral_pipeline *p, viral_pipeline_scratch *s) {
  prefetch_entries(p); /* they arrive while the columns are counted */
  p->profile_rows++;
  for (uint32_t c = 0; c < p->ncols; c++) {
    col_profile *cp = &p->cols[c].prof;
    double x = p->row_x[c];
    cp->n += 1;
    double d = x - cp->m;
    cp->m += d / cp->n;
    cp->m2 += d * (x - cp->m);
    if (cp->res && !isnan(p->row_in[c])) reservoir_add(p, cp, p->row_in[c]);
  }
  return note_pending(p, s);
}

int profile_row_fail(viral_pipeline *p, viral_pipeline_scratch *s) { return note_pending(p, s); }

/* ---- names by frequency ---- */

/* The count of the name at heap place h: bucket_count of its index, kept
 * beside the heap (heap_counts) so that sifting reads one small array
 * instead of a miss in names[] and one in bucket_count per comparison. */
static uint32_t heap_count(const viral_pipeline *p, size_t h) { return p->heap_counts[h]; }

static void heap_swap(viral_pipeline *p, size_t a, size_t b) {
  uint32_t t = p->heap[a];
  p->heap[a] = p->heap[b];
  p->heap[b] = t;
  t = p->heap_counts[a];
  p->heap_counts[a] = p->heap_counts[b];
  p->heap_counts[b] = t;
  p->names[p->heap[a]].heap_pos = a;
  p->names[p->heap[b]].heap_pos = b;
}

static void heap_down(viral_pipeline *p, size_t h) {
  for (;;) {
    size_t l = 2 * h + 1, r = l + 1, m = h;
    if (l < p->nnames && heap_count(p, l) < heap_count(p, m)) m = l;
    if (r < p->nnames && heap_count(p, r) < heap_count(p, m)) m = r;
    if (m == h) return;
    heap_swap(p, h, m);
    h = m;
  }
}

static void heap_up(viral_pipeline *p, size_t h) {
  while (h > 0 && heap_count(p, (h - 1) / 2) > heap_count(p, h)) {
    heap_swap(p, h, (h - 1) / 2);
    h = (h - 1) / 2;
  }
}

/* Give entry e the name of (f, a, b). */
static int set_name(viral_pipeline_scratch *s, name_entry *e, const feature_def *f, viral_strview a,
                    const viral_strview *b) {
  const char *name = pipeline_hashed_name(s, f, a, b);
  char *n = name ? text_dup(name) : NULL, *g = text_dup(f->group);
  if (!n || !g) {
    free(n);
    free(g);
    return VIRAL_ERR_NOMEM;
  }
  free(e->name);
  free(e->group);
  e->name = n;
  e->group = g;
  e->votes = 1;
  return VIRAL_OK;
}

/* A new entry for index at the end of names[] and the heap. */
static int add_entry(viral_pipeline *p, viral_pipeline_scratch *s, uint32_t index, const feature_def *f,
                     viral_strview a, const viral_strview *b) {
  if (array_grow((void **)&p->names, &p->names_cap, p->nnames + 1, sizeof *p->names, 64) < 0) return VIRAL_ERR_NOMEM;
  name_entry *e = &p->names[p->nnames];
  memset(e, 0, sizeof *e);
  e->index = index;
  if (set_name(s, e, f, a, b) != VIRAL_OK) return VIRAL_ERR_NOMEM;
  e->heap_pos = p->nnames;
  p->heap[p->nnames] = (uint32_t)p->nnames;
  p->heap_counts[p->nnames] = p->bucket_count[index];
  p->bucket_entry[index] = (uint32_t)++p->nnames;
  heap_up(p, e->heap_pos);
  return VIRAL_OK;
}

static int note_hashed(viral_pipeline *p, viral_pipeline_scratch *s, uint32_t index,
                       const feature_def *f, viral_strview a, const viral_strview *b) {
  if (p->bucket_count[index] < UINT32_MAX) p->bucket_count[index]++;
  if (p->names_max == 0) return VIRAL_OK;
  uint32_t k = p->bucket_entry[index];
  if (k) {
    name_entry *e = &p->names[k - 1];
    int rc = VIRAL_OK;
    /* Boyer-Moore majority vote: the name kept is the most frequent one
     * whenever one name has most of the index's rows */
    if (pipeline_name_is(e->name, f, a, b)) e->votes++;
    else if ((e->collided = 1, e->votes == 0)) rc = set_name(s, e, f, a, b);
    else e->votes--;
    p->heap_counts[e->heap_pos] = p->bucket_count[index];
    heap_down(p, e->heap_pos);
    return rc;
  }
  if (p->nnames < p->names_max) return add_entry(p, s, index, f, a, b);
  /* full: this index takes the place of the rarest once it is more frequent */
  if (p->bucket_count[index] <= heap_count(p, 0)) return VIRAL_OK;
  name_entry *e = &p->names[p->heap[0]];
  p->bucket_entry[e->index] = 0;
  e->index = index;
  e->collided = 0;
  p->bucket_entry[index] = p->heap[0] + 1;
  p->heap_counts[0] = p->bucket_count[index];
  int rc = set_name(s, e, f, a, b);
  heap_down(p, 0);
  return rc;
}

#if defined(__GNUC__) /* a macro: gcc drops a function of nothing but prefetches */
#define PREFETCH(a) __builtin_prefetch((a))
#else
#define PREFETCH(a) ((void)(a))
#endif

int profile_queue_hashed(viral_pipeline *p, uint32_t index, const feature_def *f, viral_strview a,
                         const viral_strview *b) {
  if (array_grow((void **)&p->pending, &p->pending_cap, p->npending + 1, sizeof *p->pending, 16) < 0)
    return VIRAL_ERR_NOMEM;
  PREFETCH(&p->bucket_count[index]);
  PREFETCH(&p->bucket_entry[index]);
  pending_note *q = &p->pending[p->npending++];
  q->index = index;
  q->f = f;
  q->a = a;
  q->has_b = b != NULL;
  if (b) q->b = *b;
  return VIRAL_OK;
}

/* Ask for the name entries of the queued coordinates, then (once those
 * are in) for their names: hints only, noting may move them. */
static void prefetch_entries(const viral_pipeline *p) {
  for (size_t i = 0; p->names_max && i < p->npending; i++) {
    uint32_t k = p->bucket_entry[p->pending[i].index];
    if (k) PREFETCH(&p->names[k - 1]);
  }
}

static void prefetch_names(const viral_pipeline *p) {
  for (size_t i = 0; p->names_max && i < p->npending; i++) {
    uint32_t k = p->bucket_entry[p->pending[i].index];
    if (k) PREFETCH(p->names[k - 1].name);
  }
}

/* Note the row's queued coordinates in order. */
static int note_pending(viral_pipeline *p, viral_pipeline_scratch *s) {
  prefetch_names(p);
  size_t n = p->npending;
  p->npending = 0;
  for (size_t i = 0; i < n; i++) {
    const pending_note *q = &p->pending[i];
    int rc = note_hashed(p, s, q->index, q->f, q->a, q->has_b ? &q->b : NULL);
    if (rc != VIRAL_OK) return rc;
  }
  return VIRAL_OK;
}

/* ---- inputs ---- */

double profile_input(const viral_pipeline_scratch *s, const feature_def *f, double value, int *kind) {
  double a = f->nfields > 0 ? s->values[f->field[0]].num : 0;
  double b = f->nfields > 1 ? s->values[f->field[1]].num : 0;
  *kind = VIRAL_INPUT_NUMBER;
  switch (f->kind) {
  case T_IDENTITY: case T_LOG1P: case T_CLIP: case T_LOGIT: case T_LOG_VIEWS: return a;
  case T_BOOL: *kind = VIRAL_INPUT_YESNO; return a != 0;
  case T_MISSING: *kind = VIRAL_INPUT_MISSING; return NAN;
  case T_RATIO: case T_LOG_RATIO: return b == 0 ? NAN : a / b;
  /* growth is log((1 + b) / (1 + a)): its factor reads better than its log */
  case T_GROWTH: return (1 + b) / (1 + a);
  case T_HOUR:
    *kind = VIRAL_INPUT_HOUR;
    return (a - 86400.0 * floor(a / 86400.0)) / 3600.0;
  case T_WEEKDAY: {
    *kind = VIRAL_INPUT_WEEKDAY;
    double days = floor(a / 86400.0) + 3; /* as transform.c: Monday = 0 */
    return days - 7.0 * floor(days / 7.0);
  }
  case T_HASH: case T_HASH_LIST: case T_CROSS: *kind = VIRAL_INPUT_CATEGORY; return NAN;
  /* velocity, acceleration, age, length, count, mentions, times_log1p: the
   * transform's own value is already in plain units */
  default: return value;
  }
}

/* ---- labels ---- */

/* Where a field name's "_<H>h" suffix starts ("views_2h": 5), or 0. */
static size_t hours_suffix(const char *name) {
  const char *u = strrchr(name, '_');
  if (!u || u == name || !u[1]) return 0;
  const char *c = u + 1;
  while ((*c >= '0' && *c <= '9') || *c == '.') c++;
  return c > u + 1 && c[0] == 'h' && c[1] == '\0' ? (size_t)(u - name) : 0;
}

/* The words of name[0..n): underscores read as spaces. */
static void append_words(char *buf, size_t size, const char *name, size_t n) {
  size_t used = strlen(buf);
  for (size_t i = 0; i < n && used + 1 < size; i++) buf[used++] = name[i] == '_' ? ' ' : name[i];
  buf[used] = '\0';
}

static void append(char *buf, size_t size, const char *text) {
  size_t used = strlen(buf);
  if (used < size) snprintf(buf + used, size - used, "%s", text);
}

/* A field for people: "views_2h" -> "views at 2h", "duration_s" ->
 * "duration (s)", "author_followers" -> "author followers". */
static void append_field(char *buf, size_t size, const char *name) {
  size_t h = hours_suffix(name), n = strlen(name);
  if (h) {
    append_words(buf, size, name, h);
    append(buf, size, " at ");
    append(buf, size, name + h + 1);
  } else if (n > 2 && strcmp(name + n - 2, "_s") == 0) {
    append_words(buf, size, name, n - 2);
    append(buf, size, " (s)");
  } else {
    append_words(buf, size, name, n);
  }
}

/* 1 when the fields of f (k of them) are one quantity at several ages
 * (views_1h, views_2h): their stems are equal and each has an age. */
static int same_stem(const viral_pipeline *p, const feature_def *f, int k) {
  const char *a = p->fields[f->field[0]].name;
  size_t h = hours_suffix(a);
  if (!h) return 0;
  for (int i = 1; i < k; i++) {
    const char *b = p->fields[f->field[i]].name;
    if (hours_suffix(b) != h || strncmp(a, b, h) != 0) return 0;
  }
  return 1;
}

/* "views" of "views_2h", and its age "2h". */
static const char *age_of(const viral_pipeline *p, const feature_def *f, int k) {
  const char *name = p->fields[f->field[k]].name;
  return name + hours_suffix(name) + 1;
}

/* The ages of f's fields joined by "->": "1h->2h". */
static void append_ages(char *buf, size_t size, const viral_pipeline *p, const feature_def *f) {
  for (int k = 0; k < f->nfields; k++) {
    if (k) append(buf, size, "->");
    append(buf, size, age_of(p, f, k));
  }
}

/* A ratio of two fields: "shares/views at 2h", or "likes at 2h / views at 1h". */
static void ratio_label(char *buf, size_t size, const viral_pipeline *p, const feature_def *f) {
  const char *a = p->fields[f->field[0]].name, *b = p->fields[f->field[1]].name;
  size_t ha = hours_suffix(a), hb = hours_suffix(b);
  if (ha && hb && strcmp(a + ha, b + hb) == 0) {
    append_words(buf, size, a, ha);
    append(buf, size, "/");
    append_words(buf, size, b, hb);
    append(buf, size, " at ");
    append(buf, size, a + ha + 1);
    return;
  }
  append_field(buf, size, a);
  append(buf, size, " / ");
  append_field(buf, size, b);
}

/* The input of dense feature f in words (no column suffix). */
static void base_words(const viral_pipeline *p, const feature_def *f, char *buf, size_t size) {
  const char *a = f->nfields > 0 ? p->fields[f->field[0]].name : "";
  const char *b = f->nfields > 1 ? p->fields[f->field[1]].name : "";
  buf[0] = '\0';
  switch (f->kind) {
  case T_RATIO: case T_LOG_RATIO: ratio_label(buf, size, p, f); return;
  case T_GROWTH: case T_VELOCITY: case T_ACCEL:
    if (same_stem(p, f, f->nfields)) {
      append_words(buf, size, a, hours_suffix(a));
      append(buf, size, f->kind == T_GROWTH ? " growth " : f->kind == T_VELOCITY ? " per hour " : " acceleration ");
      append_ages(buf, size, p, f);
      return;
    }
    append(buf, size, f->kind == T_GROWTH ? "growth " : f->kind == T_VELOCITY ? "change per hour " : "acceleration ");
    for (int k = 0; k < f->nfields; k++) {
      if (k) append(buf, size, " -> ");
      append_field(buf, size, p->fields[f->field[k]].name);
    }
    return;
  case T_TIMES_LOG1P:
    append_field(buf, size, a);
    append(buf, size, " x log(1 + ");
    append_field(buf, size, b);
    append(buf, size, ")");
    return;
  case T_HOUR: case T_WEEKDAY:
    if (strcmp(a, "posted_at") == 0) {
      append(buf, size, f->kind == T_HOUR ? "posting hour" : "posting day");
      return;
    }
    append(buf, size, f->kind == T_HOUR ? "hour of " : "day of ");
    break;
  case T_AGE:
    append(buf, size, "hours from ");
    append_field(buf, size, a);
    append(buf, size, " to ");
    append_field(buf, size, b);
    return;
  case T_COUNT: append(buf, size, "number of "); break;
  case T_MENTIONS: append(buf, size, "mentions in "); break;
  default: break;
  }
  append_field(buf, size, a);
  if (f->kind == T_LENGTH) append(buf, size, " length");
}

/* base_words, with the transform's name after it when an earlier feature
 * reads the same ("watch ratio at 2h" clipped, then "watch ratio at 2h
 * (logit)"), so two reasons never read alike. */
static void feature_words(const viral_pipeline *p, const feature_def *f, char *buf, size_t size) {
  char other[320];
  base_words(p, f, buf, size);
  for (const feature_def *g = p->features; g < f; g++) {
    if (g->ncols == 0) continue;
    base_words(p, g, other, sizeof other);
    if (strcmp(other, buf) != 0) continue;
    append(buf, size, " (");
    append(buf, size, pipeline_transform_name(f->kind));
    append(buf, size, ")");
    return;
  }
}

/* 1 when column offset of f is its missing indicator (or f is one). */
static int is_indicator(const feature_def *f, int offset) {
  return f->kind == T_MISSING || (f->indicator && offset == f->ncols - 1);
}

/* Dense column c in words, with what tells its columns apart. */
static void column_words(const viral_pipeline *p, uint32_t c, char *buf, size_t size) {
  const feature_def *f = &p->features[p->cols[c].feature];
  int offset = p->cols[c].offset;
  feature_words(p, f, buf, size);
  if (is_indicator(f, offset)) append(buf, size, " missing");
  else if (f->kind == T_HOUR || f->kind == T_WEEKDAY) append(buf, size, offset ? " (cos)" : " (sin)");
}

int viral_pipeline_feature_label(const viral_pipeline *p, uint32_t index, char *buf, size_t size) {
  if (index >= p->ncols) return viral_pipeline_feature_name(p, index, buf, size);
  char words[320];
  column_words(p, index, words, sizeof words);
  return snprintf(buf, size, "%s", words);
}

/* Share of the profiled rows where hashed index held (NAN: unknown). */
static double index_share(const viral_pipeline *p, uint32_t index) {
  const name_entry *e = pipeline_lookup_name(p, index);
  if (!e || !e->count || !p->profile_rows) return NAN;
  return (double)e->count / (double)p->profile_rows;
}

double viral_pipeline_spread(const viral_pipeline *p, uint32_t index) {
  if (!p->profile_rows) return NAN;
  if (index < p->ncols) return p->cols[index].prof.sd;
  double f = index_share(p, index);
  return sqrt(f * (1 - f));
}

/* Where v stands among the quantiles q: the share of the profiled inputs
 * below it, ties counted half, linear between quantiles. */
static double rank_in(const double *q, double v) {
  const int n = PROFILE_QUANTILES;
  if (v < q[0]) return 0;
  if (v > q[n - 1]) return 1;
  int lo = 0, hi = n - 1;
  while (lo < n && q[lo] < v) lo++;
  while (hi >= 0 && q[hi] > v) hi--;
  double pos = lo <= hi ? (lo + hi) / 2.0 : hi + (v - q[hi]) / (q[lo] - q[hi]);
  return pos / (n - 1);
}

static void input_clear(viral_feature_input *out) {
  out->kind = VIRAL_INPUT_NUMBER;
  out->value = out->percentile = out->share = NAN;
}

/* The mean of 0/1 column c over the profiled rows: the share where it was 1. */
static double column_share(const viral_pipeline *p, uint32_t c) {
  return p->profile_rows && !p->cols[c].scaled ? p->cols[c].prof.mean : NAN;
}

void profile_describe_dense(const viral_pipeline *p, const feature_def *f, int offset, int present,
                            double input, int kind, viral_feature_input *out) {
  uint32_t c = f->col + (uint32_t)offset;
  input_clear(out);
  snprintf(out->name, sizeof out->name, "%s", p->cols[c].name);
  feature_words(p, f, out->label, sizeof out->label);
  if (is_indicator(f, offset)) { /* set when the input is missing */
    out->kind = present ? VIRAL_INPUT_PRESENT : VIRAL_INPUT_MISSING;
    out->share = present ? 1 - column_share(p, c) : column_share(p, c);
    return;
  }
  if (!present) { /* its fill value stands in */
    out->kind = VIRAL_INPUT_MISSING;
    return;
  }
  out->kind = kind;
  out->value = input;
  const col_profile *cp = &p->cols[c].prof;
  if (kind == VIRAL_INPUT_NUMBER && cp->q && !isnan(input)) out->percentile = rank_in(cp->q, input);
  if (kind == VIRAL_INPUT_YESNO) out->share = column_share(p, c);
}

void profile_describe_hashed(const viral_pipeline *p, const feature_def *f, uint32_t index,
                             const char *name, viral_strview a, const viral_strview *b,
                             viral_feature_input *out) {
  input_clear(out);
  out->kind = VIRAL_INPUT_CATEGORY;
  snprintf(out->name, sizeof out->name, "%s", name);
  const char *fa = p->fields[f->field[0]].name;
  if (f->kind == T_CROSS)
    snprintf(out->label, sizeof out->label, "%s = %.*s and %s = %.*s", fa, (int)a.len, a.ptr,
             p->fields[f->field[1]].name, (int)b->len, b->ptr);
  else
    snprintf(out->label, sizeof out->label, "%s %s %.*s", fa, f->kind == T_HASH_LIST ? "include" : "=",
             (int)a.len, a.ptr);
  const name_entry *e = pipeline_lookup_name(p, index);
  if (e && strcmp(e->name, name) == 0) out->share = index_share(p, index);
}

void profile_describe_index(const viral_pipeline *p, uint32_t index, viral_feature_input *out) {
  input_clear(out);
  viral_pipeline_feature_name(p, index, out->name, sizeof out->name);
  viral_pipeline_feature_label(p, index, out->label, sizeof out->label);
  if (index >= p->ncols) {
    out->kind = VIRAL_INPUT_CATEGORY;
    out->share = index_share(p, index);
  } else if (is_indicator(&p->features[p->cols[index].feature], p->cols[index].offset)) {
    out->kind = VIRAL_INPUT_MISSING;
    out->share = column_share(p, index);
  }
}

/* ---- in the model file ---- */

/* {"rows": N, "columns": [{"mean", "sd", "quantiles"?}, ...]}, or NULL
 * when p has no profile (or memory ran out: *nomem). */
cJSON *profile_to_json(const viral_pipeline *p, int *nomem) {
  *nomem = 0;
  if (!p->profile_rows) return NULL;
  cJSON *o = cJSON_CreateObject(), *cols = o ? cJSON_AddArrayToObject(o, "columns") : NULL;
  if (!cols || !cJSON_AddItemToObject(o, "rows", viral_json_exact_number((double)p->profile_rows)))
    goto fail;
  for (uint32_t c = 0; c < p->ncols; c++) {
    const col_profile *cp = &p->cols[c].prof;
    cJSON *col = cJSON_CreateObject();
    if (!col || !cJSON_AddItemToArray(cols, col)) {
      cJSON_Delete(col);
      goto fail;
    }
    cJSON *mean = isnan(cp->mean) ? cJSON_CreateNull() : viral_json_exact_number(cp->mean);
    cJSON *sd = isnan(cp->sd) ? cJSON_CreateNull() : viral_json_exact_number(cp->sd);
    if (!cJSON_AddItemToObject(col, "mean", mean) || !cJSON_AddItemToObject(col, "sd", sd)) goto fail;
    if (!cp->q) continue;
    cJSON *q = cJSON_AddArrayToObject(col, "quantiles");
    for (int k = 0; q && k < PROFILE_QUANTILES; k++)
      if (viral_json_append_number(q, cp->q[k])) goto fail;
    if (!q) goto fail;
  }
  return o;
fail:
  cJSON_Delete(o);
  *nomem = 1;
  return NULL;
}

static int profile_error(viral_error *err, const char *source, const char *what) {
  return viral_error_set(err, VIRAL_ERR_INVALID, source, 0, "pipeline: profile: %s", what);
}

/* A number, or NAN for null; 0 when it is neither. */
static int number_or_null(const cJSON *j, double *out) {
  if (cJSON_IsNull(j)) return *out = NAN, 1;
  return pipeline_json_number(j, out) && isfinite(*out);
}

static int read_quantiles(col_profile *cp, const cJSON *q, const char *source, viral_error *err) {
  if (!q) return VIRAL_OK;
  if (!cJSON_IsArray(q) || cJSON_GetArraySize(q) != PROFILE_QUANTILES)
    return profile_error(err, source, "quantiles must be an array of 101 numbers");
  if (!(cp->q = malloc(PROFILE_QUANTILES * sizeof *cp->q)))
    return viral_error_set(err, VIRAL_ERR_NOMEM, source, 0, "out of memory");
  int k = 0;
  for (const cJSON *x = q->child; x; x = x->next, k++)
    if (!pipeline_json_number(x, &cp->q[k]) || !isfinite(cp->q[k]) || (k && cp->q[k] < cp->q[k - 1]))
      return profile_error(err, source, "quantiles must be finite and ascending");
  return VIRAL_OK;
}

int profile_from_json(viral_pipeline *p, const cJSON *json, const char *source, viral_error *err) {
  p->profile_rows = 0;
  if (!json) return VIRAL_OK; /* a model file from before profiles */
  const cJSON *cols = cJSON_GetObjectItemCaseSensitive(json, "columns");
  double rows = NAN;
  if (!pipeline_json_number(cJSON_GetObjectItemCaseSensitive(json, "rows"), &rows) || !(rows >= 1) ||
      rows != floor(rows) || rows > 9007199254740992.0 || !cJSON_IsArray(cols) ||
      (uint32_t)cJSON_GetArraySize(cols) != p->ncols)
    return profile_error(err, source, "needs rows (a count) and one column per dense column");
  uint32_t c = 0;
  for (const cJSON *col = cols->child; col; col = col->next, c++) {
    col_profile *cp = &p->cols[c].prof;
    if (!number_or_null(cJSON_GetObjectItemCaseSensitive(col, "mean"), &cp->mean) ||
        !number_or_null(cJSON_GetObjectItemCaseSensitive(col, "sd"), &cp->sd) || cp->sd < 0)
      return profile_error(err, source, "each column needs mean and sd (numbers or null)");
    int rc = read_quantiles(cp, cJSON_GetObjectItemCaseSensitive(col, "quantiles"), source, err);
    if (rc != VIRAL_OK) return rc;
  }
  p->profile_rows = (uint64_t)rows;
  return VIRAL_OK;
}
