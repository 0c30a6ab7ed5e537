/* assemble.c - snapshot logs to one record per video (viral/assemble.h).
 *
 * Videos in flight live in a chained hash table keyed by id, each with its
 * sightings kept sorted by observed_at. A closed video becomes a row in a
 * min-heap ordered by (posted_at, video_id); rows move from the heap to the
 * ready queue once no row still to come can sort before them. */
#include "viral/assemble.h"

#include <math.h>
#include <regex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "data/assemble_internal.h"
#include "data/video_table.h"
#include "io/text.h"

/* ---- small helpers ---- */

double interpolate_at(const double *times, const double *values, size_t n, double t) {
  long before = -1, after = -1;
  for (size_t i = 0; i < n; i++) {
    if (isnan(values[i])) continue;
    if (times[i] <= t) before = (long)i; /* the last one at or before t */
    if (times[i] >= t && after < 0) after = (long)i;
  }
  if (before < 0 || after < 0) return NAN;
  double t0 = times[before], t1 = times[after];
  if (t1 == t0) return values[after];
  return values[before] + (values[after] - values[before]) * (t - t0) / (t1 - t0);
}

void viral_assemble_options_init(viral_assemble_options *opts) { memset(opts, 0, sizeof *opts); }

/* ---- state ---- */

typedef struct video {
  viral_vt_node node; /* first: by id, and by deadline posted_at + horizon + grace */
  char *id;
  double posted_at;
  viral_assembled_value *attrs; /* [attr_count], from the earliest sighting */
  double *obs;                  /* [n_obs][1 + counter_count]: observed_at, counters */
  size_t n_obs, cap_obs;
  int bracketed; /* has a sighting at age >= horizon */
  double scored_at, scored_seq, learned_at, learned_seq; /* event times; NAN: not yet */
} video;

typedef struct row {
  double posted_at;
  int reached; /* horizon reached: outcomes known */
  viral_assembled_value *cells; /* [columns]; cells[0].text is the id */
} row;

enum { LABEL_NONE, LABEL_CMP, LABEL_RATIO, LABEL_TOP };
enum { OP_GE, OP_GT, OP_LE, OP_LT, OP_EQ };

struct viral_assembler {
  viral_assemble_options o;
  regex_t re;
  int has_re;
  char **columns;
  size_t ncol, col_attrs, col_ages, col_first, col_out, col_events, col_label;
  /* label rule */
  int label_kind, label_op;
  size_t label_a, label_b;
  double label_x;
  viral_vt videos; /* in flight */
  double seq;      /* rows numbered so far (event_times) */
  /* closed rows: heap by (posted_at, id), then the ready queue */
  row **heap;
  size_t nheap, capheap;
  row **ready;
  size_t nready, ready_head, capready;
  row *current;
  double now;
  int have_now, finished;
  /* field indices for the current schema */
  uint64_t schema;
  int have_schema;
  long idx_id, idx_obs, idx_post;
  long *idx_counters, *idx_attrs;
  unsigned char *seen_counters, *seen_attrs; /* 1: the source was in some input */
  /* sources given as JSON paths with an array step: what the readers saw */
  unsigned char *path_checked, *path_proven; /* [counter_count + attr_count] */
  char **path_miss;                          /* [counter_count + attr_count] */
  const char **sources;                      /* [nsources]: every source read */
  size_t nsources;
  double *scratch; /* [2 * cap_scratch]: ages then values */
  double *rowvals; /* [counter_count]: the row being added */
  viral_assembled_value *rowattrs; /* [attr_count]: its attributes */
  size_t cap_scratch;
  viral_assemble_stats stats;
};

/* ---- label rules ---- */

static int parse_op(const char **p, int *op) {
  const char *s = *p;
  if (s[0] == '>' && s[1] == '=') *op = OP_GE, s += 2;
  else if (s[0] == '<' && s[1] == '=') *op = OP_LE, s += 2;
  else if (s[0] == '=' && s[1] == '=') *op = OP_EQ, s += 2;
  else if (s[0] == '>') *op = OP_GT, s += 1;
  else if (s[0] == '<') *op = OP_LT, s += 1;
  else return 0;
  *p = s;
  return 1;
}

static long find_column(const viral_assembler *a, const char *name, size_t len) {
  for (size_t i = 0; i < a->ncol; i++)
    if (strlen(a->columns[i]) == len && memcmp(a->columns[i], name, len) == 0) return (long)i;
  return -1;
}

static int label_field(viral_assembler *a, const char *rule, const char *s, size_t len,
                       size_t *out, viral_error *err) {
  long c = find_column(a, s, len);
  if (c < 0)
    return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0,
                           "label rule '%s': no output column '%.*s'", rule, (int)len, s);
  *out = (size_t)c;
  return VIRAL_OK;
}

static int parse_label(viral_assembler *a, const char *rule, viral_error *err) {
  const char *s = rule;
  char *end;
  if (strncmp(s, "top:", 4) == 0) {
    double pct = strtod(s + 4, &end);
    if (end == s + 4 || end[0] != '%' || end[1] != ':' || !(pct > 0 && pct <= 100))
      return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0,
                             "label rule '%s': expected top:P%%:FIELD with 0 < P <= 100", rule);
    a->label_kind = LABEL_TOP;
    a->label_x = pct;
    return label_field(a, rule, end + 2, strlen(end + 2), &a->label_a, err);
  }
  const char *field = s, *slash = NULL;
  a->label_kind = LABEL_CMP;
  if (strncmp(s, "ratio:", 6) == 0) {
    a->label_kind = LABEL_RATIO;
    field = s + 6;
    slash = strchr(field, '/');
    if (!slash)
      return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0,
                             "label rule '%s': expected ratio:A/B>=X", rule);
  }
  const char *op = field + strcspn(field, "<>=");
  const char *after = op;
  if (!*op || !parse_op(&after, &a->label_op))
    return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0,
                           "label rule '%s': expected FIELD>=X, ratio:A/B>=X or top:P%%:FIELD",
                           rule);
  a->label_x = strtod(after, &end);
  if (end == after || *end)
    return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0,
                           "label rule '%s': bad threshold '%s'", rule, after);
  if (slash) {
    int rc = label_field(a, rule, field, (size_t)(slash - field), &a->label_a, err);
    if (rc) return rc;
    return label_field(a, rule, slash + 1, (size_t)(op - slash - 1), &a->label_b, err);
  }
  return label_field(a, rule, field, (size_t)(op - field), &a->label_a, err);
}

static double compare(int op, double v, double x) {
  switch (op) {
  case OP_GE: return v >= x;
  case OP_GT: return v > x;
  case OP_LE: return v <= x;
  case OP_LT: return v < x;
  default: return v == x;
  }
}

/* The 0/1 label of r by a threshold rule; NAN when it cannot be computed. */
static double label_value(const viral_assembler *a, const row *r) {
  double v = r->cells[a->label_a].number;
  if (a->label_kind == LABEL_RATIO) {
    double b = r->cells[a->label_b].number;
    if (isnan(b) || b == 0) return NAN;
    v /= b;
  }
  if (isnan(v)) return NAN;
  return compare(a->label_op, v, a->label_x);
}

/* ---- output columns ---- */

static int add_column(viral_assembler *a, size_t cap, const char *fmt, const char *x, double h) {
  char name[512];
  char age[64];
  snprintf(age, sizeof age, "%g", h);
  snprintf(name, sizeof name, fmt, x ? x : age, age);
  VIRAL_ASSERT(a->ncol < cap);
  a->columns[a->ncol] = text_dup(name);
  return a->columns[a->ncol++] ? VIRAL_OK : VIRAL_ERR_NOMEM;
}

static int build_columns(viral_assembler *a) {
  const viral_assemble_options *o = &a->o;
  size_t nc = o->counter_count;
  size_t cap = 2 + o->attr_count + o->age_count * (nc + 1) + o->first * (nc + 1) + 2 * nc + 7;
  a->columns = calloc(cap, sizeof *a->columns);
  if (!a->columns) return VIRAL_ERR_NOMEM;
  int rc = add_column(a, cap, "video_id", NULL, 0);
  rc |= add_column(a, cap, "posted_at", NULL, 0);
  a->col_attrs = a->ncol;
  for (size_t i = 0; i < o->attr_count; i++) rc |= add_column(a, cap, "%s", o->attrs[i].name, 0);
  a->col_ages = a->ncol;
  for (size_t k = 0; k < o->age_count; k++) {
    for (size_t c = 0; c < nc; c++)
      rc |= add_column(a, cap, "%s_%sh", o->counters[c].name, o->ages_h[k]);
    rc |= add_column(a, cap, "covered_%sh", NULL, o->ages_h[k]);
  }
  a->col_first = a->ncol;
  for (size_t k = 1; k <= o->first; k++) {
    char n[32];
    snprintf(n, sizeof n, "%zu", k);
    rc |= add_column(a, cap, "age_s%s_h", n, 0);
    for (size_t c = 0; c < nc; c++) {
      char name[300];
      snprintf(name, sizeof name, "%s_s%zu", o->counters[c].name, k);
      rc |= add_column(a, cap, "%s", name, 0);
    }
  }
  a->col_out = a->ncol;
  for (size_t c = 0; c < nc; c++) {
    rc |= add_column(a, cap, "%s_final", o->counters[c].name, 0);
    rc |= add_column(a, cap, "%s_peak", o->counters[c].name, 0);
  }
  rc |= add_column(a, cap, "age_last_h", NULL, 0);
  rc |= add_column(a, cap, "sightings", NULL, 0);
  a->col_events = a->ncol;
  if (o->event_times) {
    rc |= add_column(a, cap, "scored_at", NULL, 0);
    rc |= add_column(a, cap, "scored_seq", NULL, 0);
    rc |= add_column(a, cap, "learned_at", NULL, 0);
    rc |= add_column(a, cap, "learned_seq", NULL, 0);
  }
  a->col_label = a->ncol;
  if (o->label) rc |= add_column(a, cap, "viral", NULL, 0);
  return rc ? VIRAL_ERR_NOMEM : VIRAL_OK;
}

size_t viral_assembler_column_count(const viral_assembler *a) { return a->ncol; }
const char *viral_assembler_column_name(const viral_assembler *a, size_t i) {
  return i < a->ncol ? a->columns[i] : NULL;
}

/* ---- create / free ---- */

static int check_options(const viral_assemble_options *o, viral_error *err) {
  if (!o->id_field || !*o->id_field)
    return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "the video id field is required");
  if (!o->has_observed_time && (!o->observed_at_field || !*o->observed_at_field))
    return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "the observed_at field is required");
  if (!o->posted_at_from_id && (!o->posted_at_field || !*o->posted_at_field))
    return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0,
                           "the posted_at field is required (or take it from the id)");
  if (!(o->horizon_h >= 0) || !(o->grace_h >= 0) || isinf(o->horizon_h) || isinf(o->grace_h))
    return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0,
                           "horizon and grace must be finite and >= 0");
  if (o->event_times && !(o->horizon_h > 0 && o->window_h >= 0 && o->window_h < o->horizon_h))
    return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0,
                           "event times need a horizon and a window shorter than it");
  for (size_t c = 0; c < o->counter_count; c++)
    if (o->counters[c].parse == VIRAL_PARSE_TEXT)
      return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0,
                             "counter '%s' must be numeric, not text", o->counters[c].name);
  for (size_t k = 0; k < o->age_count; k++) {
    if (!(o->ages_h[k] >= 0) || isinf(o->ages_h[k]) || (k && o->ages_h[k] <= o->ages_h[k - 1]))
      return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0,
                             "ages must be >= 0, finite and increasing");
    if (o->horizon_h > 0 && o->ages_h[k] > o->horizon_h)
      return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0,
                             "age %gh is after the horizon %gh", o->ages_h[k], o->horizon_h);
  }
  return VIRAL_OK;
}

/* Every source field the assembler reads, for the reader's field paths. */
static void list_sources(viral_assembler *a) {
  const viral_assemble_options *o = &a->o;
  a->sources[a->nsources++] = o->id_field;
  if (!o->has_observed_time) a->sources[a->nsources++] = o->observed_at_field;
  if (!o->posted_at_from_id) a->sources[a->nsources++] = o->posted_at_field;
  for (size_t c = 0; c < o->counter_count; c++) a->sources[a->nsources++] = o->counters[c].source;
  for (size_t i = 0; i < o->attr_count; i++) a->sources[a->nsources++] = o->attrs[i].source;
}

const char *const *viral_assembler_sources(const viral_assembler *a, size_t *count) {
  *count = a->nsources;
  return a->sources;
}

viral_assembler *viral_assembler_create(const viral_assemble_options *opts, viral_error *err) {
  if (check_options(opts, err)) return NULL;
  viral_assembler *a = calloc(1, sizeof *a);
  if (!a) goto nomem;
  a->o = *opts;
  if (opts->id_regex) {
    int rc = regcomp(&a->re, opts->id_regex, REG_EXTENDED);
    if (rc) {
      char why[128];
      regerror(rc, &a->re, why, sizeof why);
      viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "bad id regex '%s': %s", opts->id_regex, why);
      free(a);
      return NULL;
    }
    a->has_re = 1;
  }
  int table = viral_vt_init(&a->videos);
  a->idx_counters = calloc(opts->counter_count + 1, sizeof *a->idx_counters);
  a->idx_attrs = calloc(opts->attr_count + 1, sizeof *a->idx_attrs);
  a->rowvals = calloc(opts->counter_count + 1, sizeof *a->rowvals);
  a->seen_counters = calloc(opts->counter_count + 1, 1);
  a->seen_attrs = calloc(opts->attr_count + 1, 1);
  size_t mapped = opts->counter_count + opts->attr_count + 1;
  a->path_checked = calloc(mapped, 1);
  a->path_proven = calloc(mapped, 1);
  a->path_miss = calloc(mapped, sizeof *a->path_miss);
  a->sources = calloc(mapped + 3, sizeof *a->sources);
  if (table != VIRAL_OK || !a->rowvals || !a->seen_counters || !a->seen_attrs || !a->idx_counters ||
      !a->idx_attrs || !a->path_checked || !a->path_proven || !a->path_miss || !a->sources ||
      build_columns(a))
    goto nomem;
  list_sources(a);
  for (size_t i = 0; i < a->ncol; i++)
    for (size_t j = 0; j < i; j++)
      if (strcmp(a->columns[i], a->columns[j]) == 0) {
        viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0,
                        "output column '%s' would appear twice: rename a counter or attribute",
                        a->columns[i]);
        viral_assembler_free(a);
        return NULL;
      }
  if (opts->label && parse_label(a, opts->label, err)) {
    viral_assembler_free(a);
    return NULL;
  }
  return a;
nomem:
  viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  viral_assembler_free(a);
  return NULL;
}

static void free_cells(viral_assembled_value *cells, size_t n) {
  if (!cells) return;
  for (size_t i = 0; i < n; i++) free((char *)cells[i].text);
  free(cells);
}

static void free_row(const viral_assembler *a, row *r) {
  if (!r) return;
  free_cells(r->cells, a->ncol);
  free(r);
}

static void free_video(const viral_assembler *a, video *v) {
  if (!v) return;
  free(v->id);
  free_cells(v->attrs, a->o.attr_count);
  free(v->obs);
  free(v);
}

void viral_assembler_free(viral_assembler *a) {
  if (!a) return;
  for (size_t i = 0; a->videos.heap && i < a->videos.count; i++)
    free_video(a, (video *)viral_vt_at(&a->videos, i));
  viral_vt_release(&a->videos);
  for (size_t i = 0; i < a->nheap; i++) free_row(a, a->heap[i]);
  free(a->heap);
  for (size_t i = a->ready_head; i < a->nready; i++) free_row(a, a->ready[i]);
  free(a->ready);
  free_row(a, a->current);
  for (size_t i = 0; a->columns && i < a->ncol; i++) free(a->columns[i]);
  free(a->columns);
  if (a->has_re) regfree(&a->re);
  free(a->idx_counters);
  free(a->idx_attrs);
  free(a->scratch);
  free(a->rowvals);
  free(a->seen_counters);
  free(a->seen_attrs);
  for (size_t i = 0; a->path_miss && i < a->o.counter_count + a->o.attr_count; i++) free(a->path_miss[i]);
  free(a->path_miss);
  free(a->path_checked);
  free(a->path_proven);
  free(a->sources);
  free_cells(a->rowattrs, a->o.attr_count);
  free(a);
}

/* ---- rows: heap and ready queue ---- */

static int row_before(const row *x, const row *y) {
  if (x->posted_at != y->posted_at) return x->posted_at < y->posted_at;
  return strcmp(x->cells[0].text, y->cells[0].text) < 0;
}

static int heap_push(viral_assembler *a, row *r) {
  if (a->nheap == a->capheap) {
    size_t cap = a->capheap ? 2 * a->capheap : 64;
    row **h = realloc(a->heap, cap * sizeof *h);
    if (!h) return VIRAL_ERR_NOMEM;
    a->heap = h;
    a->capheap = cap;
  }
  size_t i = a->nheap++;
  while (i > 0 && row_before(r, a->heap[(i - 1) / 2])) {
    a->heap[i] = a->heap[(i - 1) / 2];
    i = (i - 1) / 2;
  }
  a->heap[i] = r;
  return VIRAL_OK;
}

static row *heap_pop(viral_assembler *a) {
  row *top = a->heap[0], *last = a->heap[--a->nheap];
  size_t i = 0;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= a->nheap) break;
    if (c + 1 < a->nheap && row_before(a->heap[c + 1], a->heap[c])) c++;
    if (!row_before(a->heap[c], last)) break;
    a->heap[i] = a->heap[c];
    i = c;
  }
  if (a->nheap) a->heap[i] = last;
  return top;
}

/* Move r to the ready queue, or drop it when unlabeled and not kept. */
static int make_ready(viral_assembler *a, row *r) {
  int labeled = r->reached;
  if (labeled && a->label_kind != LABEL_NONE) labeled = !isnan(r->cells[a->col_label].number);
  if (!labeled) {
    a->stats.unlabeled++;
    if (!a->o.keep_unlabeled) {
      free_row(a, r);
      return VIRAL_OK;
    }
  }
  if (a->ready_head == a->nready) a->ready_head = a->nready = 0;
  if (a->nready == a->capready) {
    size_t cap = a->capready ? 2 * a->capready : 64;
    row **q = realloc(a->ready, cap * sizeof *q);
    if (!q) {
      free_row(a, r);
      return VIRAL_ERR_NOMEM;
    }
    a->ready = q;
    a->capready = cap;
  }
  a->ready[a->nready++] = r;
  return VIRAL_OK;
}

/* Release heap rows that sort before bound. */
static int release_before(viral_assembler *a, double bound) {
  while (a->nheap && a->heap[0]->posted_at < bound) {
    int rc = make_ready(a, heap_pop(a));
    if (rc) return rc;
  }
  return VIRAL_OK;
}

int viral_assembler_next(viral_assembler *a, const viral_assembled_value **out) {
  free_row(a, a->current);
  a->current = NULL;
  if (a->ready_head == a->nready) return 0;
  a->current = a->ready[a->ready_head++];
  a->stats.records++;
  if (a->label_kind != LABEL_NONE && a->current->cells[a->col_label].number == 1)
    a->stats.positives++;
  *out = a->current->cells;
  return 1;
}

void viral_assembler_stats(const viral_assembler *a, viral_assemble_stats *stats) {
  *stats = a->stats;
}

/* ---- closing a video ---- */

static int ensure_scratch(viral_assembler *a, size_t n) {
  if (n <= a->cap_scratch) return VIRAL_OK;
  double *s = realloc(a->scratch, 2 * n * sizeof *s);
  if (!s) return VIRAL_ERR_NOMEM;
  a->scratch = s;
  a->cap_scratch = n;
  return VIRAL_OK;
}

/* Fill the outcome cells of r from v's sightings (ages: [n] hours). */
static void fill_outcomes(viral_assembler *a, const video *v, const double *ages, double *vals,
                          viral_assembled_value *cells) {
  size_t nc = a->o.counter_count, stride = 1 + nc, n = v->n_obs;
  double H = a->o.horizon_h;
  int at_horizon = H > 0 && v->bracketed;
  for (size_t c = 0; c < nc; c++) {
    double peak = NAN;
    for (size_t i = 0; i < n; i++) {
      vals[i] = v->obs[i * stride + 1 + c];
      /* the bracketing sighting after the horizon is not part of the outcome */
      if (!isnan(vals[i]) && !(at_horizon && ages[i] > H) && !(vals[i] <= peak)) peak = vals[i];
    }
    double final = at_horizon ? interpolate_at(ages, vals, n, H) : vals[n - 1];
    if (!isnan(final) && !(final <= peak)) peak = final;
    cells[a->col_out + 2 * c].number = final;
    cells[a->col_out + 2 * c + 1].number = peak;
  }
  double last = ages[n - 1];
  if (at_horizon) last = H;
  cells[a->col_out + 2 * nc].number = last;
}

/* Turn v into a row (or drop it) and hand it on; frees v. */
static int close_video(viral_assembler *a, video *v) {
  const viral_assemble_options *o = &a->o;
  size_t nc = o->counter_count, stride = 1 + nc, n = v->n_obs;
  int rc = VIRAL_OK;
  row *r = NULL;
  if (n < o->min_sightings) {
    a->stats.few_sightings++;
    goto done;
  }
  if ((rc = ensure_scratch(a, n))) goto done;
  r = calloc(1, sizeof *r);
  if (!r || !(r->cells = calloc(a->ncol, sizeof *r->cells))) {
    rc = VIRAL_ERR_NOMEM;
    goto done;
  }
  for (size_t i = 0; i < a->ncol; i++) r->cells[i].number = NAN;
  double *ages = a->scratch, *vals = a->scratch + a->cap_scratch;
  for (size_t i = 0; i < n; i++) ages[i] = (v->obs[i * stride] - v->posted_at) / 3600.0;
  r->posted_at = v->posted_at;
  r->cells[0].text = v->id;
  v->id = NULL;
  r->cells[1].number = v->posted_at;
  for (size_t i = 0; i < o->attr_count; i++) {
    r->cells[a->col_attrs + i] = v->attrs[i];
    v->attrs[i].text = NULL;
  }
  size_t col = a->col_ages;
  for (size_t k = 0; k < o->age_count; k++) {
    double t = o->ages_h[k];
    for (size_t c = 0; c < nc; c++) {
      for (size_t i = 0; i < n; i++) vals[i] = v->obs[i * stride + 1 + c];
      r->cells[col++].number = interpolate_at(ages, vals, n, t);
    }
    r->cells[col++].number = ages[0] <= t && ages[n - 1] >= t;
  }
  for (size_t k = 0; k < o->first; k++) {
    /* the sighting that brackets the horizon is an outcome, never a feature */
    int have = k < n && !(o->horizon_h > 0 && ages[k] > o->horizon_h);
    r->cells[col++].number = have ? ages[k] : NAN;
    for (size_t c = 0; c < nc; c++) r->cells[col++].number = have ? v->obs[k * stride + 1 + c] : NAN;
  }
  r->reached = o->horizon_h <= 0 || v->bracketed ||
               (a->have_now && a->now >= v->posted_at + o->horizon_h * 3600);
  if (r->reached) fill_outcomes(a, v, ages, vals, r->cells);
  r->cells[a->col_out + 2 * nc + 1].number = (double)n;
  if (o->event_times) {
    r->cells[a->col_events].number = v->scored_at;
    r->cells[a->col_events + 1].number = v->scored_seq;
    r->cells[a->col_events + 2].number = v->learned_at;
    r->cells[a->col_events + 3].number = v->learned_seq;
  }
  if (r->reached && (a->label_kind == LABEL_CMP || a->label_kind == LABEL_RATIO))
    r->cells[a->col_label].number = label_value(a, r);
  rc = heap_push(a, r);
  if (!rc) r = NULL;
done:
  free_row(a, r);
  free_video(a, v);
  return rc;
}

/* ---- adding rows ---- */

static void resolve_fields(viral_assembler *a, const viral_record *rec) {
  const viral_assemble_options *o = &a->o;
  a->idx_id = viral_record_find(rec, o->id_field);
  a->idx_obs = o->has_observed_time ? -1 : viral_record_find(rec, o->observed_at_field);
  a->idx_post = o->posted_at_from_id ? -1 : viral_record_find(rec, o->posted_at_field);
  for (size_t c = 0; c < o->counter_count; c++) {
    a->idx_counters[c] = viral_record_find(rec, o->counters[c].source);
    a->seen_counters[c] |= a->idx_counters[c] >= 0;
  }
  for (size_t i = 0; i < o->attr_count; i++) {
    a->idx_attrs[i] = viral_record_find(rec, o->attrs[i].source);
    a->seen_attrs[i] |= a->idx_attrs[i] >= 0;
  }
  a->schema = viral_record_schema_id(rec);
  a->have_schema = 1;
}

static int missing(const viral_record *rec, const char *field, const char *what, viral_error *err) {
  return viral_error_set(err, VIRAL_ERR_MISSING, viral_record_source(rec), viral_record_line(rec),
                         "field '%s': missing %s", field, what);
}

/* The video id of rec as a new string, through the id regex when there is one. */
static int read_id(viral_assembler *a, const viral_record *rec, char **out, viral_error *err) {
  viral_strview s;
  int rc = a->idx_id < 0 ? VIRAL_MISSING : viral_record_text(rec, (size_t)a->idx_id, &s, err);
  if (rc == VIRAL_MISSING) return missing(rec, a->o.id_field, "video id", err);
  if (rc) return rc;
  char *text = text_dup_len(s.ptr, s.len);
  if (!text) return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  if (a->has_re) {
    regmatch_t m[2];
    if (regexec(&a->re, text, 2, m, 0) != 0) {
      rc = viral_error_set(err, VIRAL_ERR_PARSE, viral_record_source(rec), viral_record_line(rec),
                           "field '%s': '%s' does not match the id regex '%s'", a->o.id_field,
                           text, a->o.id_regex);
      free(text);
      return rc;
    }
    int g = m[1].rm_so >= 0 ? 1 : 0;
    memmove(text, text + m[g].rm_so, (size_t)(m[g].rm_eo - m[g].rm_so));
    text[m[g].rm_eo - m[g].rm_so] = '\0';
  }
  *out = text;
  return VIRAL_OK;
}

/* TikTok ids carry the post time: the top 32 bits are unix seconds (UTC). */
static int posted_from_id(const viral_record *rec, const char *field, const char *id, double *out,
                          viral_error *err) {
  uint64_t x = 0;
  const char *p = id;
  for (; *p >= '0' && *p <= '9'; p++) {
    uint64_t d = (uint64_t)(*p - '0');
    if (x > (UINT64_MAX - d) / 10) break;
    x = x * 10 + d;
  }
  if (p == id || *p)
    return viral_error_set(err, VIRAL_ERR_PARSE, viral_record_source(rec), viral_record_line(rec),
                           "field '%s': id '%s' is not a 64-bit decimal number, so it holds no "
                           "post time", field, id);
  *out = (double)(x >> 32);
  return VIRAL_OK;
}

/* Parse rec's attributes into a->rowattrs (a fresh array). */
static int read_attrs(viral_assembler *a, const viral_record *rec, viral_error *err) {
  free_cells(a->rowattrs, a->o.attr_count);
  a->rowattrs = calloc(a->o.attr_count + 1, sizeof *a->rowattrs);
  if (!a->rowattrs) return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  for (size_t i = 0; i < a->o.attr_count; i++) {
    viral_assembled_value *cell = &a->rowattrs[i];
    cell->number = NAN;
    int rc = viral_assemble_read_field(rec, a->idx_attrs[i], a->o.attrs[i].parse,
                                       a->o.utc_offset_minutes, &cell->number, &cell->text, err);
    if (rc < 0) return rc;
  }
  return VIRAL_OK;
}

/* Close the videos whose deadline (posted_at + horizon + grace) event time
 * reached, in (deadline, id) order as the stream does: just before row seq. */
static int close_due(viral_assembler *a) {
  viral_vt_node *n;
  while ((n = viral_vt_due(&a->videos, a->now))) {
    video *v = (video *)n;
    viral_vt_remove(&a->videos, n);
    if (a->o.event_times) {
      if (isnan(v->scored_seq)) v->scored_seq = a->seq - 0.5, v->scored_at = n->deadline;
      v->learned_seq = a->seq - 0.5;
      v->learned_at = n->deadline;
    }
    int rc = close_video(a, v);
    if (rc) return rc;
  }
  return VIRAL_OK;
}

/* Release the rows nothing still to come can sort before. */
static int release(viral_assembler *a) {
  /* the first deadline is the earliest posted_at in flight; a video not seen
   * yet is first seen at age < H, so it was posted after now - H */
  const viral_vt_node *first = viral_vt_first(&a->videos);
  double min_posted = first ? ((const video *)first)->posted_at : INFINITY;
  double bound = a->now - a->o.horizon_h * 3600;
  return release_before(a, min_posted < bound ? min_posted : bound);
}

int viral_assembler_add(viral_assembler *a, const viral_record *rec, viral_error *err) {
  const viral_assemble_options *o = &a->o;
  size_t nc = o->counter_count, stride = 1 + nc;
  VIRAL_ASSERT(!a->finished);
  if (!a->have_schema || viral_record_schema_id(rec) != a->schema) resolve_fields(a, rec);
  a->stats.rows++;
  char *id = NULL;
  double t, posted;
  int rc = read_id(a, rec, &id, err);
  if (rc) return rc;
  t = o->observed_time;
  rc = o->has_observed_time ? VIRAL_OK
       : a->idx_obs < 0     ? VIRAL_MISSING
                            : viral_record_timestamp(rec, (size_t)a->idx_obs, o->utc_offset_minutes, &t, err);
  if (rc == VIRAL_MISSING) rc = missing(rec, o->observed_at_field, "observed_at time", err);
  if (rc) goto fail;
  if (o->posted_at_from_id) {
    rc = posted_from_id(rec, o->id_field, id, &posted, err);
  } else {
    rc = a->idx_post < 0 ? VIRAL_MISSING
                         : viral_record_timestamp(rec, (size_t)a->idx_post, o->utc_offset_minutes,
                                                  &posted, err);
    if (rc == VIRAL_MISSING) rc = missing(rec, o->posted_at_field, "posted_at time", err);
  }
  double age_h; /* a sighting before the posting cannot be: refused, not used as a negative age */
  if (rc == VIRAL_OK) rc = viral_record_age_hours(rec, posted, t, &age_h, err);
  if (rc) goto fail;
  double H = o->horizon_h * 3600;
  if (H > 0 && a->have_now && t < a->now) {
    char was[32], got[32];
    viral_assemble_format_time(was, a->now);
    viral_assemble_format_time(got, t);
    rc = viral_error_set(err, VIRAL_ERR_INVALID, viral_record_source(rec), viral_record_line(rec),
                         "the log is not sorted by observed_at (%s comes after %s): with a "
                         "horizon the log is read as a stream and must be in time order; sort "
                         "it by '%s' or leave the horizon out",
                         got, was, o->has_observed_time ? "the poll time" : o->observed_at_field);
    goto fail;
  }
  int advanced = !a->have_now || t > a->now;
  if (advanced) a->now = t;
  a->have_now = 1;
  a->seq++;
  if (H > 0 && advanced && (rc = close_due(a))) goto nomem;

  video *v = (video *)viral_vt_find(&a->videos, id);
  /* a closed video has left the table, so its later rows land here too */
  if (H > 0 && !v && t - posted >= H) {
    a->stats.late_rows++; /* after the horizon: nothing to learn from it */
    free(id);
    return VIRAL_OK;
  }
  /* parse everything before touching the video, so a bad row changes nothing */
  for (size_t c = 0; c < nc; c++) {
    a->rowvals[c] = NAN;
    rc = viral_assemble_read_field(rec, a->idx_counters[c], o->counters[c].parse,
                                   o->utc_offset_minutes, &a->rowvals[c], NULL, err);
    if (rc < 0) goto fail;
  }
  int earliest = !v || t < v->obs[0];
  if (earliest && (rc = read_attrs(a, rec, err))) goto fail;
  if (!v) {
    v = calloc(1, sizeof *v);
    if (!v || !(v->attrs = calloc(o->attr_count + 1, sizeof *v->attrs))) {
      free_video(a, v);
      rc = viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
      goto fail;
    }
    v->id = id;
    id = NULL;
    v->posted_at = posted;
    v->scored_at = v->scored_seq = v->learned_at = v->learned_seq = NAN;
    v->node.id = v->id;
    v->node.deadline = H > 0 ? posted + H + o->grace_h * 3600 : INFINITY;
    if (viral_vt_add(&a->videos, &v->node)) {
      free_video(a, v);
      goto nomem;
    }
    a->stats.videos++;
  }
  if (v->n_obs == v->cap_obs) {
    size_t cap = v->cap_obs ? 2 * v->cap_obs : 4;
    double *obs = realloc(v->obs, cap * stride * sizeof *obs);
    if (!obs) goto nomem;
    v->obs = obs;
    v->cap_obs = cap;
  }
  /* keep sightings sorted by time: logs come mostly sorted, so this is cheap */
  size_t pos = v->n_obs;
  while (pos > 0 && v->obs[(pos - 1) * stride] > t) pos--;
  memmove(v->obs + (pos + 1) * stride, v->obs + pos * stride, (v->n_obs - pos) * stride * sizeof(double));
  v->n_obs++;
  v->obs[pos * stride] = t;
  memcpy(v->obs + pos * stride + 1, a->rowvals, nc * sizeof(double));
  if (earliest) { /* the earliest sighting gives posted_at and the attributes */
    v->posted_at = posted;
    free_cells(v->attrs, o->attr_count);
    v->attrs = a->rowattrs;
    a->rowattrs = NULL;
  }
  /* the same test as the stream's, so both score at the same sighting */
  if (o->event_times && isnan(v->scored_seq) && (t - v->posted_at) / 3600 >= o->window_h)
    v->scored_seq = a->seq, v->scored_at = t;
  if (H > 0 && t - v->posted_at >= H) {
    v->bracketed = 1;
    v->learned_seq = a->seq;
    v->learned_at = t;
    viral_vt_remove(&a->videos, &v->node);
    if ((rc = close_video(a, v))) goto nomem;
  }
  if (H > 0 && a->label_kind != LABEL_TOP && (rc = release(a))) goto nomem;
  free(id); /* a known video's: it has one already */
  return VIRAL_OK;
nomem:
  rc = viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
fail:
  free(id);
  return rc;
}

static int cmp_desc(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;
  return (a < b) - (a > b);
}

/* top:P%:FIELD: 1 for the rows at or above the value of the ceil(P% * n)-th
 * largest (ties at the threshold all count). */
static int label_top(viral_assembler *a) {
  double *v = malloc((a->nheap + 1) * sizeof *v);
  if (!v) return VIRAL_ERR_NOMEM;
  size_t n = 0;
  for (size_t i = 0; i < a->nheap; i++) {
    double x = a->heap[i]->cells[a->label_a].number;
    if (a->heap[i]->reached && !isnan(x)) v[n++] = x;
  }
  if (n) {
    qsort(v, n, sizeof *v, cmp_desc);
    size_t k = (size_t)ceil(a->label_x / 100.0 * (double)n);
    if (k < 1) k = 1;
    double threshold = v[k - 1];
    for (size_t i = 0; i < a->nheap; i++) {
      row *r = a->heap[i];
      double x = r->cells[a->label_a].number;
      if (r->reached && !isnan(x)) r->cells[a->col_label].number = x >= threshold;
    }
  }
  free(v);
  return VIRAL_OK;
}

int viral_assembler_set_observed_time(viral_assembler *a, double t) {
  if (!a->o.has_observed_time) return VIRAL_ERR_INVALID;
  a->o.observed_time = t;
  return VIRAL_OK;
}

void viral_assembler_input_done(viral_assembler *a, const viral_reader *r) {
  if (viral_reader_format(r) == VIRAL_FORMAT_CSV) return; /* a CSV column is a column */
  size_t nc = a->o.counter_count;
  for (size_t k = 0; k < nc + a->o.attr_count; k++) {
    const char *source = k < nc ? a->o.counters[k].source : a->o.attrs[k - nc].source;
    if (!strchr(source, '[') || a->path_proven[k]) continue;
    const char *miss = viral_reader_path_miss(r, source);
    a->path_checked[k] = 1;
    a->path_proven[k] = !miss;
    char *copy = miss ? text_dup(miss) : NULL;
    if (copy || !miss) { /* out of memory: the earlier word stays */
      free(a->path_miss[k]);
      a->path_miss[k] = copy;
    }
  }
}

/* A mapped field no input has is a typo, not a column of missing values: a
 * column no input had, or a JSON path no record had every step of. */
static int check_sources_seen(const viral_assembler *a, viral_error *err) {
  if (!a->stats.rows) return VIRAL_OK;
  size_t nc = a->o.counter_count;
  for (size_t k = 0; k < nc + a->o.attr_count; k++) {
    int seen = k < nc ? a->seen_counters[k] : a->seen_attrs[k - nc];
    if (seen && !(a->path_checked[k] && !a->path_proven[k])) continue;
    const viral_field_map *m = k < nc ? &a->o.counters[k] : &a->o.attrs[k - nc];
    const char *miss = a->path_miss[k];
    return viral_error_set(err, VIRAL_ERR_MISSING, NULL, 0, "no input has the field '%s' (%s '%s')%s%s",
                           m->source, k < nc ? "counter" : "attribute", m->name, miss ? ": " : "",
                           miss ? miss : "");
  }
  return VIRAL_OK;
}

int viral_assembler_finish(viral_assembler *a, viral_error *err) {
  VIRAL_ASSERT(!a->finished);
  a->finished = 1;
  int rc = check_sources_seen(a, err);
  if (rc) return rc;
  while (a->videos.count && !rc) {
    video *v = (video *)viral_vt_at(&a->videos, a->videos.count - 1);
    viral_vt_remove(&a->videos, &v->node);
    rc = close_video(a, v);
  }
  if (!rc && a->label_kind == LABEL_TOP) rc = label_top(a);
  if (!rc) rc = release_before(a, INFINITY);
  if (rc) return viral_error_set(err, rc, NULL, 0, "out of memory");
  return VIRAL_OK;
}
