/* report_progressive.c - progressive validation as a whole (viral eval
 * --progressive): the run over the schedule, metrics over all outcomes, the
 * last window and each window, and the report's text, JSON, HTML and CSV
 * (viral/report.h, viral/eval.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval/report_internal.h"
#include "io/text.h"
#include "viral/eval.h"
#include "viral/logistic.h"
#include "viral/report.h"
#include "viral/writer.h"

void viral_progressive_report_release(viral_progressive_report *r) {
  if (!r) return;
  free(r->description);
  free(r->labels);
  for (int j = 0; j < VIRAL_REPORT_PREDICTORS; j++) free(r->probs[j]);
  free(r->learned);
  free(r->scored);
  free(r->per_window);
  free(r->window_span);
  memset(r, 0, sizeof *r);
}

static int nomem(viral_error *err) { return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory"); }

/* ---- the run ---- */

/* The evaluated rows (scored and learned) in learn order and score order. */
static int order_rows(viral_progressive_report *r, const viral_eval_schedule *s, viral_error *err) {
  size_t nl = 0, ns = 0;
  char *learns = calloc(r->rows ? r->rows : 1, 1);
  if (!learns) return nomem(err);
  for (size_t i = 0; i < s->count; i++)
    if (s->steps[i].learn) learns[s->steps[i].row] = 1, r->learned[nl++] = s->steps[i].row;
  for (size_t i = 0; i < s->count; i++)
    if (!s->steps[i].learn && learns[s->steps[i].row]) r->scored[ns++] = s->steps[i].row;
  free(learns);
  r->n = nl;
  return VIRAL_OK;
}

/* Metrics of predictor j over learned[from .. to); y, p: scratch [n]. */
static int metrics_of(const viral_progressive_report *r, int j, size_t from, size_t to, double threshold,
                      viral_metrics *out, double *y, double *p, viral_error *err) {
  for (size_t i = from; i < to; i++) {
    y[i - from] = r->labels[r->learned[i]];
    p[i - from] = r->probs[j][r->learned[i]];
  }
  return viral_metrics_compute(y, p, to - from, threshold, 0, out, err);
}

/* Overall, last-window and per-window metrics of every predictor. */
static int window_metrics(viral_progressive_report *r, double threshold, viral_error *err) {
  r->windows = (r->n + r->window - 1) / r->window;
  r->per_window = calloc((size_t)VIRAL_REPORT_PREDICTORS * r->windows, sizeof *r->per_window);
  double *y = malloc(r->n * sizeof *y), *q = malloc(r->n * sizeof *q);
  int rc = r->per_window && y && q ? VIRAL_OK : nomem(err);
  size_t from_last = r->n > r->window ? r->n - r->window : 0;
  for (int j = 0; j < VIRAL_REPORT_PREDICTORS && rc == VIRAL_OK; j++) {
    if (!r->have[j]) continue;
    if ((rc = metrics_of(r, j, 0, r->n, threshold, &r->overall[j], y, q, err)) != VIRAL_OK ||
        (rc = metrics_of(r, j, from_last, r->n, threshold, &r->last[j], y, q, err)) != VIRAL_OK)
      break;
    for (size_t w = 0; w < r->windows && rc == VIRAL_OK; w++) {
      size_t to = (w + 1) * r->window < r->n ? (w + 1) * r->window : r->n;
      rc = metrics_of(r, j, w * r->window, to, threshold, &r->per_window[(size_t)j * r->windows + w], y, q, err);
    }
  }
  free(y);
  free(q);
  return rc;
}

/* First and last posted_at of each window's videos (NAN when none has one). */
static int window_spans(viral_progressive_report *r, const viral_eval_data *d, viral_error *err) {
  if (!(r->window_span = malloc((r->windows ? r->windows : 1) * sizeof *r->window_span))) return nomem(err);
  for (size_t w = 0; w < r->windows; w++) {
    double lo = NAN, hi = NAN;
    for (size_t i = w * r->window; i < r->n && i < (w + 1) * r->window; i++) {
      double t = d->posted_at[r->learned[i]];
      if (isnan(t)) continue;
      if (isnan(lo) || t < lo) lo = t;
      if (isnan(hi) || t > hi) hi = t;
    }
    r->window_span[w][0] = lo;
    r->window_span[w][1] = hi;
  }
  return VIRAL_OK;
}

/* The description line: what was run, on what, and what was left out. */
static int describe(viral_progressive_report *r, const viral_eval_data *d, const viral_eval_schedule *s,
                    const viral_eval_progressive_run_options *run, const viral_model *m, viral_error *err) {
  const viral_eval_progressive_options *o = &run->events;
  const viral_pipeline *pl = viral_model_pipeline(m);
  const viral_logistic_params *lp = viral_logistic_get_params(viral_model_logistic(m));
  char when[160];
  if (s->from_columns) snprintf(when, sizeof when, "event times from the data's scored_at/learned_at");
  else snprintf(when, sizeof when, "scored at posted_at + %gh, outcome at posted_at + %gh", o->window_h, o->horizon_h);
  const char *from = run->model_source;
  size_t positives = r->overall[VIRAL_REPORT_MODEL].positives;
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (!f) return nomem(err);
  fprintf(f,
          "label %s, window %gh, learner logistic (%s alpha %g beta %g l1 %g l2 %g%s%s%s), rows %zu, "
          "positives %zu (%.2f%%), leakage %s, progressive validation, %s (%s); not evaluated: "
          "%zu never scored, %zu outcome after the data's end; sliding window %zu outcomes",
          viral_pipeline_label_rule(pl), o->window_h, viral_logistic_optimizer_name(lp->optimizer), lp->alpha,
          lp->beta, lp->l1, lp->l2, from ? ", from " : "", from ? from : "", from ? "" : ", untrained", r->n,
          positives, 100.0 * (double)positives / (double)r->n, viral_pipeline_leaks(d->pipeline) ? "ALLOWED" : "not allowed",
          o->no_delay ? "no delay (learned right after scoring)"
                      : "delayed labels (scored when the window closes, learned when the outcome is known)",
          when, s->unscored, s->unlearned, r->window);
  if (fclose(f) != 0 || !text) {
    free(text);
    return nomem(err);
  }
  r->description = text;
  return VIRAL_OK;
}

/* The report's arrays for d's rows. */
static int allocate(viral_progressive_report *r, const viral_eval_data *d, viral_error *err) {
  size_t n = d->ds.rows ? d->ds.rows : 1;
  r->rows = d->ds.rows;
  r->labels = malloc(n * sizeof *r->labels);
  r->learned = malloc(n * sizeof *r->learned);
  r->scored = malloc(n * sizeof *r->scored);
  int ok = r->labels && r->learned && r->scored;
  for (int j = 0; j < VIRAL_REPORT_PREDICTORS; j++) ok = (r->probs[j] = malloc(n * sizeof **r->probs)) && ok;
  if (!ok) return nomem(err);
  memcpy(r->labels, d->ds.labels, d->ds.rows * sizeof *r->labels);
  return VIRAL_OK;
}

int viral_eval_progressive_run(const viral_eval_data *d, const char *path,
                               const viral_reader_options *ropts,
                               const viral_eval_progressive_run_options *o, viral_model *m,
                               viral_progressive_report *rep, viral_error *err) {
  memset(rep, 0, sizeof *rep);
  rep->window = o->window_size ? o->window_size : 10000;
  rep->delayed = !o->events.no_delay;
  const int have[VIRAL_REPORT_PREDICTORS] = {1, d->has_views_window, 1, d->has_oracle};
  memcpy(rep->have, have, sizeof have);
  viral_eval_schedule sched = {0};
  int rc = allocate(rep, d, err);
  if (rc == VIRAL_OK) rc = viral_eval_schedule_build(d, path, ropts, &o->events, &sched, err);
  const viral_eval_predictor what[3] = {VIRAL_EVAL_MODEL, VIRAL_EVAL_VIEWS, VIRAL_EVAL_BASE_RATE};
  const int slot[3] = {VIRAL_REPORT_MODEL, VIRAL_REPORT_VIEWS, VIRAL_REPORT_BASE};
  for (int j = 0; j < 3 && rc == VIRAL_OK; j++)
    if (rep->have[slot[j]]) rc = viral_eval_progressive(d, &sched, what[j], m, rep->probs[slot[j]], err);
  if (rc == VIRAL_OK && rep->have[VIRAL_REPORT_ORACLE])
    memcpy(rep->probs[VIRAL_REPORT_ORACLE], d->oracle, d->ds.rows * sizeof *d->oracle);
  if (rc == VIRAL_OK) rc = order_rows(rep, &sched, err);
  if (rc == VIRAL_OK && rep->n == 0)
    rc = viral_error_set(err, VIRAL_ERR_INVALID, path, 0,
                         "no video was both scored and learned from within the data's time");
  if (rc == VIRAL_OK) rc = window_metrics(rep, viral_model_threshold(m), err);
  if (rc == VIRAL_OK) rc = window_spans(rep, d, err);
  if (rc == VIRAL_OK) rc = describe(rep, d, &sched, o, m, err);
  viral_eval_schedule_release(&sched);
  return rc;
}

/* ---- writers ----
 * They leave write errors in ferror(out), for the commit of the file
 * (viral_write_outputs) or the check of standard output to report. */

/* The pooled outcomes as a report of one fold, in the order they were
 * learned. VIRAL_OK with h to release, or a status with nothing to release. */
static int as_one_fold(viral_report *h, const viral_progressive_report *r, viral_error *err) {
  int rc = viral_report_init(h, 1, r->n, err);
  if (rc != VIRAL_OK) return rc;
  if ((rc = viral_report_set_description(h, r->description ? r->description : "", err)) != VIRAL_OK) {
    viral_report_release(h);
    return rc;
  }
  for (int j = 0; j < VIRAL_REPORT_PREDICTORS; j++) {
    h->have[j] = r->have[j];
    h->per_fold[j] = r->overall[j];
    if (r->have[j])
      for (size_t i = 0; i < r->n; i++) h->probs[j][i] = r->probs[j][r->learned[i]];
  }
  for (size_t i = 0; i < r->n; i++) {
    h->fold[i] = 0;
    h->labels[i] = r->labels[r->learned[i]];
  }
  return VIRAL_OK;
}

/* The details (report_internal.h) of every predictor over all outcomes. */
static int details_of(const viral_progressive_report *r, report_details d[VIRAL_REPORT_PREDICTORS],
                      viral_error *err) {
  viral_report h;
  int rc = as_one_fold(&h, r, err);
  if (rc != VIRAL_OK) return rc;
  rc = report_details_of(&h, d, err);
  viral_report_release(&h);
  return rc;
}

/* The metrics table: one column per predictor, one row per metric. */
static void print_table(FILE *out, const viral_progressive_report *r,
                        const viral_metrics *m /* [VIRAL_REPORT_PREDICTORS] */) {
  fprintf(out, "%-18s", "metric");
  report_text_heads(out, r->have);
  fprintf(out, "\n");
  for (int k = 0; k < VIRAL_REPORT_METRICS; k++) {
    fprintf(out, "%-18s", viral_report_metric_name(k));
    for (int j = 0; j < VIRAL_REPORT_PREDICTORS; j++)
      if (r->have[j]) report_text_cell(out, viral_report_metric_of(&m[j], k));
    fprintf(out, "\n");
  }
}

/* One row per window of outcomes: rows, positives, each predictor's ROC AUC. */
static void text_windows(FILE *out, const viral_progressive_report *r) {
  fprintf(out, "\n%-6s %-8s %-10s", "window", "rows", "positives");
  report_text_heads(out, r->have);
  fprintf(out, "   (roc_auc)\n");
  for (size_t w = 0; w < r->windows; w++) {
    fprintf(out, "%-6zu %-8zu %-10zu", w + 1, r->per_window[w].n, r->per_window[w].positives);
    for (int j = 0; j < VIRAL_REPORT_PREDICTORS; j++)
      if (r->have[j]) report_text_cell(out, r->per_window[(size_t)j * r->windows + w].roc_auc);
    fprintf(out, "\n");
  }
}

int viral_progressive_report_write_text(const viral_progressive_report *r, FILE *out, int per_window,
                                        viral_error *err) {
  report_details d[VIRAL_REPORT_PREDICTORS];
  int rc = details_of(r, d, err);
  if (rc != VIRAL_OK) return rc;
  size_t from_last = r->n > r->window ? r->n - r->window : 0;
  fprintf(out, "%s\n\nall %zu outcomes\n", r->description ? r->description : "", r->n);
  print_table(out, r, r->overall);
  fprintf(out, "\nlast %zu outcomes (sliding window)\n", r->n - from_last);
  print_table(out, r, r->last);
  if (per_window) text_windows(out, r);
  report_details_write_text(out, r->have, d, "outcomes");
  return VIRAL_OK;
}

static void json_metrics(FILE *f, const viral_metrics *m) {
  char b[32];
  fputc('{', f);
  for (int k = 0; k < VIRAL_REPORT_METRICS; k++) {
    double v = viral_report_metric_of(m, k);
    fprintf(f, "%s\"%s\":%s", k ? "," : "", viral_report_metric_name(k), isfinite(v) ? viral_format_double(b, v) : "null");
  }
  fprintf(f, ",\"rows\":%zu,\"positives\":%zu}", m->n, m->positives);
}

int viral_progressive_report_write_json(const viral_progressive_report *r, FILE *f, viral_error *err) {
  report_details d[VIRAL_REPORT_PREDICTORS];
  int rc = details_of(r, d, err);
  if (rc != VIRAL_OK) return rc;
  char b[32];
  fprintf(f, "{\"mode\":\"progressive\",\"description\":");
  json_string_write(f, r->description ? r->description : "");
  fprintf(f, ",\"delayed_labels\":%s,\"rows\":%zu,\"window_size\":%zu,\"predictors\":{",
          r->delayed ? "true" : "false", r->n, r->window);
  int first = 1;
  for (int j = 0; j < VIRAL_REPORT_PREDICTORS; j++) {
    if (!r->have[j]) continue;
    fprintf(f, "%s\"%s\":{\"overall\":", first ? "" : ",", viral_report_predictor_name(j));
    first = 0;
    json_metrics(f, &r->overall[j]);
    fprintf(f, ",\"last_window\":");
    json_metrics(f, &r->last[j]);
    fprintf(f, ",\"windows\":[");
    for (size_t w = 0; w < r->windows; w++) {
      if (w) fputc(',', f);
      json_metrics(f, &r->per_window[(size_t)j * r->windows + w]);
    }
    fprintf(f, "],\"pooled\":");
    report_details_write_json(f, &d[j]);
    fprintf(f, "}");
  }
  fprintf(f, "},\"window_spans\":[");
  for (size_t w = 0; w < r->windows; w++) {
    fprintf(f, "%s[%s,", w ? "," : "", report_json_number(b, r->window_span ? r->window_span[w][0] : NAN));
    fprintf(f, "%s]", report_json_number(b, r->window_span ? r->window_span[w][1] : NAN));
  }
  fprintf(f, "]}\n");
  return VIRAL_OK;
}

int viral_progressive_report_write_html(const viral_progressive_report *r, FILE *out, viral_error *err) {
  viral_report h;
  int rc = as_one_fold(&h, r, err);
  if (rc != VIRAL_OK) return rc;
  rc = report_html_write(&h, r, out, err);
  viral_report_release(&h);
  return rc;
}

/* The predictions file's column of predictor j. */
static const char *prediction_column(int j) {
  return j == VIRAL_REPORT_MODEL ? "probability"
         : j == VIRAL_REPORT_VIEWS ? "views_baseline"
         : j == VIRAL_REPORT_BASE  ? "base_rate"
                                   : "oracle_p";
}

int viral_eval_progressive_write_predictions(const viral_eval_data *d,
                                             const viral_progressive_report *r, FILE *f,
                                             viral_error *err) {
  (void)err;
  fprintf(f, "record,video_id,order,label");
  for (int j = 0; j < VIRAL_REPORT_PREDICTORS; j++)
    if (r->have[j]) fprintf(f, ",%s", prediction_column(j));
  fputc('\n', f);
  char b[32];
  for (size_t i = 0; i < r->n; i++) {
    size_t row = r->scored[i];
    fprintf(f, "%llu,%s,%zu,%d", (unsigned long long)d->record[row] + 1, d->id[row] ? d->id[row] : "", i + 1,
            d->ds.labels[row] > 0.5);
    for (int j = 0; j < VIRAL_REPORT_PREDICTORS; j++)
      if (r->have[j]) fprintf(f, ",%s", viral_format_double(b, r->probs[j][row]));
    fputc('\n', f);
  }
  return VIRAL_OK;
}
