/* progressive.c - progressive validation (viral/eval.h): every row is scored
 * when a live system would score it and learned from when its outcome is
 * known, in one event order shared with `viral stream`. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "viral/eval.h"
#include "viral/logistic.h"

void viral_eval_schedule_release(viral_eval_schedule *s) {
  if (!s) return;
  free(s->steps);
  memset(s, 0, sizeof *s);
}

/* ---- the event columns ---- */

/* When a row is scored and learned: (position, time) each, NAN when never. */
typedef struct row_times {
  double score_pos, score_t, learn_pos, learn_t;
} row_times;

static double column_time(const viral_record *rec, const char *name) {
  long i = viral_record_find(rec, name);
  double t = NAN;
  if (i < 0 || viral_record_timestamp(rec, (size_t)i, 0, &t, NULL) != VIRAL_OK) return NAN;
  return t;
}

static double column_number(const viral_record *rec, const char *name) {
  long i = viral_record_find(rec, name);
  double x = NAN;
  if (i < 0 || viral_record_number(rec, (size_t)i, &x, NULL) != VIRAL_OK) return NAN;
  return x;
}

/* Read scored_at/learned_at (and the _seq columns) of d's rows from path.
 * *found: 1 when some record has a scored_at or learned_at field. */
static int read_columns(const viral_eval_data *d, const char *path, const viral_reader_options *ropts,
                        row_times *rt, int *found, viral_error *err) {
  viral_reader *r = viral_reader_open(path, ropts, err);
  if (!r) return err->code;
  const viral_record *rec;
  int rc;
  uint64_t index = 0;
  size_t row = 0;
  *found = 0;
  while ((rc = viral_reader_next(r, &rec, err)) == 1) {
    uint64_t here = index++;
    *found |= viral_record_find(rec, "scored_at") >= 0 || viral_record_find(rec, "learned_at") >= 0;
    if (row >= d->ds.rows || d->record[row] != here) continue;
    row_times *x = &rt[row++];
    x->score_t = column_time(rec, "scored_at");
    x->learn_t = column_time(rec, "learned_at");
    /* without a seq column the time is the position */
    x->score_pos = viral_record_find(rec, "scored_seq") >= 0 ? column_number(rec, "scored_seq") : x->score_t;
    x->learn_pos = viral_record_find(rec, "learned_seq") >= 0 ? column_number(rec, "learned_seq") : x->learn_t;
    if (isnan(x->score_t)) x->score_pos = NAN;
    if (isnan(x->learn_t)) x->learn_pos = NAN;
  }
  viral_reader_free(r);
  if (rc < 0) return rc;
  if (row != d->ds.rows)
    return viral_error_set(err, VIRAL_ERR_INVALID, path, 0, "the file changed while it was read");
  return VIRAL_OK;
}

/* ---- ordering ---- */

typedef struct keyed_step {
  double pos, t;
  int first;      /* 0 sorts before 1 at equal (pos, t) */
  const char *id;
  size_t row;
  int learn;
} keyed_step;

static int by_event(const void *a, const void *b) {
  const keyed_step *x = a, *y = b;
  if (x->pos != y->pos) return x->pos < y->pos ? -1 : 1;
  if (x->t != y->t) return x->t < y->t ? -1 : 1;
  if (x->first != y->first) return x->first - y->first;
  int c = strcmp(x->id ? x->id : "", y->id ? y->id : "");
  if (c) return c;
  if (x->row != y->row) return x->row < y->row ? -1 : 1;
  return x->learn - y->learn;
}

int viral_eval_schedule_build(const viral_eval_data *d, const char *path,
                              const viral_reader_options *ropts,
                              const viral_eval_progressive_options *o,
                              viral_eval_schedule *out, viral_error *err) {
  memset(out, 0, sizeof *out);
  size_t n = d->ds.rows;
  row_times *rt = calloc(n ? n : 1, sizeof *rt);
  keyed_step *k = malloc((2 * n + 1) * sizeof *k);
  if (!rt || !k) {
    free(rt);
    free(k);
    return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  }
  int found = 0;
  int rc = read_columns(d, path, ropts, rt, &found, err);
  for (size_t r = 0; rc == VIRAL_OK && !found && r < n; r++) {
    double t = d->posted_at[r];
    if (isnan(t))
      rc = viral_error_set(err, VIRAL_ERR_MISSING, path, 0,
                           "progressive evaluation needs posted_at in every row, or the "
                           "scored_at/learned_at columns of viral assemble --window");
    rt[r].score_pos = rt[r].score_t = t + o->window_h * 3600;
    rt[r].learn_pos = rt[r].learn_t = t + o->horizon_h * 3600;
  }
  size_t m = 0;
  for (size_t r = 0; rc == VIRAL_OK && r < n; r++) {
    row_times x = rt[r];
    if (isnan(x.score_pos)) {
      out->unscored++;
      continue; /* never scored: nothing to evaluate, and it teaches nothing */
    }
    if (o->no_delay) x.learn_pos = x.score_pos, x.learn_t = x.score_t;
    /* without columns, at equal times the outcomes known then come first */
    int outcome_first = !found && !o->no_delay;
    k[m++] = (keyed_step){x.score_pos, x.score_t, outcome_first, d->id[r], r, 0};
    if (isnan(x.learn_pos)) {
      out->unlearned++;
      continue;
    }
    k[m++] = (keyed_step){x.learn_pos, x.learn_t, 0, d->id[r], r, 1};
    out->evaluated++;
  }
  free(rt);
  if (rc == VIRAL_OK && !(out->steps = malloc((m ? m : 1) * sizeof *out->steps)))
    rc = viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  if (rc != VIRAL_OK) {
    free(k);
    viral_eval_schedule_release(out);
    return rc;
  }
  qsort(k, m, sizeof *k, by_event);
  for (size_t i = 0; i < m; i++) out->steps[i] = (viral_eval_step){k[i].row, k[i].learn};
  out->count = m;
  out->from_columns = found;
  free(k);
  return VIRAL_OK;
}

/* ---- running the schedule ---- */

/* The views baseline: log1p(views at window) standardized by a running
 * (Welford) mean and deviation of the rows learned so far. */
typedef struct views_state {
  viral_logistic *lr;
  double n, mean, m2;
  viral_sparse x;
} views_state;

static int views_vector(views_state *v, double views) {
  double u = log1p(views);
  double sd = v->n > 0 && v->m2 > 0 ? sqrt(v->m2 / v->n) : 1;
  viral_sparse_clear(&v->x);
  int rc = viral_sparse_push(&v->x, 0, (u - (v->n > 0 ? v->mean : u)) / sd);
  viral_sparse_finish(&v->x);
  return rc;
}

static int views_step(views_state *v, double views, int learn, double y, double *p) {
  if (learn) {
    double u = log1p(views), delta = u - v->mean;
    v->n++;
    v->mean += delta / v->n;
    v->m2 += delta * (u - v->mean);
  }
  if (views_vector(v, views) != VIRAL_OK) return VIRAL_ERR_NOMEM;
  if (!learn) {
    *p = viral_logistic_predict(v->lr, &v->x);
    return VIRAL_OK;
  }
  return isnan(viral_logistic_learn(v->lr, &v->x, y, 1)) ? VIRAL_ERR_INVALID : VIRAL_OK;
}

int viral_eval_progressive(const viral_eval_data *d, const viral_eval_schedule *s,
                           viral_eval_predictor what, viral_model *m, double *probs,
                           viral_error *err) {
  for (size_t r = 0; r < d->ds.rows; r++) probs[r] = NAN;
  if (what == VIRAL_EVAL_VIEWS && !d->has_views_window)
    return viral_error_set(err, VIRAL_ERR_MISSING, NULL, 0,
                           "the views baseline needs views at the window in every row");
  if (what == VIRAL_EVAL_MODEL && (!m || !viral_learner_online(viral_model_learner(m)))) {
    char online[256];
    viral_learner_list(online, sizeof online, 0, 1);
    return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0,
                           "progressive evaluation learns online: it needs a %s model", online);
  }
  views_state v = {0};
  viral_sparse_init(&v.x);
  if (what == VIRAL_EVAL_VIEWS) {
    viral_logistic_params params;
    viral_logistic_params_init(&params, VIRAL_LOGISTIC_FTRL);
    if (!(v.lr = viral_logistic_create(&params, VIRAL_LOGISTIC_MIN_BITS, err))) return err->code;
  }
  double learned = 0, positives = 0;
  int rc = VIRAL_OK;
  for (size_t i = 0; i < s->count && rc == VIRAL_OK; i++) {
    size_t r = s->steps[i].row;
    int learn = s->steps[i].learn;
    double y = d->ds.labels[r];
    viral_sparse x = viral_dataset_row(&d->ds, r);
    switch (what) {
    case VIRAL_EVAL_MODEL:
      if (learn) {
        rc = viral_model_learn_vector(m, &x, y, d->posted_at[r], err);
      } else {
        viral_prediction pred;
        if ((rc = viral_model_predict_vector(m, &x, &pred, err)) == VIRAL_OK) probs[r] = pred.probability;
      }
      break;
    case VIRAL_EVAL_VIEWS:
      rc = views_step(&v, d->views_window[r], learn, y, &probs[r]);
      if (rc == VIRAL_ERR_NOMEM) viral_error_set(err, rc, NULL, 0, "out of memory");
      else if (rc != VIRAL_OK) viral_error_set(err, rc, NULL, 0, "views at the window are not finite");
      break;
    default:
      if (learn) learned++, positives += y > 0.5;
      else probs[r] = (positives + 1) / (learned + 2);
    }
  }
  viral_sparse_release(&v.x);
  viral_logistic_free(v.lr);
  return rc;
}
