/* report.c - the evaluation report and its text, JSON and HTML writers
 * (viral/report.h). */
#include "viral/report.h"
#include "eval/report_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "io/text.h"
#include "viral/record.h"
#include "viral/writer.h"

static const char *const predictor_names[VIRAL_REPORT_PREDICTORS] = {"model", "views", "base rate",
                                                                     "oracle"};
static const char *const metric_names[VIRAL_REPORT_METRICS] = {"roc_auc", "average_precision",
                                                               "log_loss", "brier", "ece"};

const char *viral_report_predictor_name(int which) {
  return which >= 0 && which < VIRAL_REPORT_PREDICTORS ? predictor_names[which] : "?";
}

const char *viral_report_metric_name(int which) {
  return which >= 0 && which < VIRAL_REPORT_METRICS ? metric_names[which] : "?";
}

double viral_report_metric_of(const viral_metrics *m, int which) {
  switch (which) {
  case VIRAL_REPORT_AUC: return m->roc_auc;
  case VIRAL_REPORT_AP: return m->average_precision;
  case VIRAL_REPORT_LOGLOSS: return m->log_loss;
  case VIRAL_REPORT_BRIER: return m->brier;
  default: return m->ece;
  }
}

/* ---- the report ---- */

void viral_report_release(viral_report *r) {
  if (!r) return;
  free(r->description);
  free(r->per_fold);
  free(r->span);
  free(r->fold);
  free(r->labels);
  for (int j = 0; j < VIRAL_REPORT_PREDICTORS; j++) free(r->probs[j]);
  free(r->importance);
  free(r->importance_measure);
  memset(r, 0, sizeof *r);
}

int viral_report_init(viral_report *r, int folds, size_t rows, viral_error *err) {
  memset(r, 0, sizeof *r);
  if (folds < 1) return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "a report needs at least one fold");
  size_t n = rows ? rows : 1;
  r->folds = folds;
  r->rows = rows;
  r->per_fold = calloc((size_t)VIRAL_REPORT_PREDICTORS * (size_t)folds, sizeof *r->per_fold);
  r->span = calloc((size_t)folds, sizeof *r->span);
  r->fold = malloc(n * sizeof *r->fold);
  r->labels = malloc(n * sizeof *r->labels);
  int ok = r->per_fold && r->span && r->fold && r->labels;
  for (int j = 0; j < VIRAL_REPORT_PREDICTORS; j++) ok = (r->probs[j] = calloc(n, sizeof **r->probs)) && ok;
  if (!ok) {
    viral_report_release(r);
    return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  }
  for (size_t i = 0; i < rows; i++) {
    r->fold[i] = -1;
    r->labels[i] = NAN;
  }
  return VIRAL_OK;
}

int viral_report_set_description(viral_report *r, const char *text, viral_error *err) {
  char *copy = text_dup(text);
  if (!copy) return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  free(r->description);
  r->description = copy;
  return VIRAL_OK;
}

const viral_metrics *viral_report_fold(const viral_report *r, int j, int f) {
  return &r->per_fold[(size_t)j * (size_t)r->folds + (size_t)f];
}

void viral_report_summary(const viral_report *r, int j, int metric, double *mean, double *sd,
                          size_t *used) {
  double *v = malloc((size_t)r->folds * sizeof *v);
  if (!v) {
    *mean = *sd = NAN;
    if (used) *used = 0;
    return;
  }
  for (int f = 0; f < r->folds; f++) v[f] = viral_report_metric_of(viral_report_fold(r, j, f), metric);
  viral_metrics_mean_std(v, (size_t)r->folds, mean, sd, used);
  free(v);
}

static int io_status(FILE *out, viral_error *err) {
  return ferror(out) ? viral_error_set(err, VIRAL_ERR_IO, NULL, 0, "cannot write the report") : VIRAL_OK;
}

/* ---- text ---- */

void report_text_heads(FILE *out, const int have[VIRAL_REPORT_PREDICTORS]) {
  for (int j = 0; j < VIRAL_REPORT_PREDICTORS; j++)
    if (have[j]) fprintf(out, "  %-17s", predictor_names[j]);
}

void report_text_cell(FILE *out, double x) {
  if (isnan(x)) fprintf(out, "  %-17s", "undefined");
  else fprintf(out, "  %-17.4f", x);
}

/* One row per fold: rows, positives, each predictor's ROC AUC and, when
 * temporal, the test span. */
static void text_folds(FILE *out, const viral_report *r) {
  fprintf(out, "\n%-6s %-8s %-10s", "fold", "rows", "positives");
  report_text_heads(out, r->have);
  fprintf(out, "   (roc_auc)%s\n", r->temporal ? "  test span" : "");
  for (int f = 0; f < r->folds; f++) {
    const viral_metrics *mm = viral_report_fold(r, VIRAL_REPORT_MODEL, f);
    fprintf(out, "%-6d %-8zu %-10zu", f + 1, mm->n, mm->positives);
    for (int j = 0; j < VIRAL_REPORT_PREDICTORS; j++) {
      if (r->have[j]) report_text_cell(out, viral_report_fold(r, j, f)->roc_auc);
    }
    if (r->temporal) {
      char a[32], b[32];
      fprintf(out, " %s .. %s", viral_format_timestamp(a, r->span[f][0]),
              viral_format_timestamp(b, r->span[f][1]));
    }
    fprintf(out, "\n");
  }
}

int viral_report_write_text(const viral_report *r, FILE *out, int per_fold, viral_error *err) {
  fprintf(out, "%s\n", r->description ? r->description : "");
  fprintf(out, "\n%-18s", "metric");
  report_text_heads(out, r->have);
  fprintf(out, "\n");
  for (int m = 0; m < VIRAL_REPORT_METRICS; m++) {
    fprintf(out, "%-18s", metric_names[m]);
    for (int j = 0; j < VIRAL_REPORT_PREDICTORS; j++) {
      if (!r->have[j]) continue;
      double mean, sd;
      size_t used;
      viral_report_summary(r, j, m, &mean, &sd, &used);
      char cell[64];
      if (isnan(mean)) snprintf(cell, sizeof cell, "undefined");
      else if (isnan(sd)) snprintf(cell, sizeof cell, "%.4f (%zu fold)", mean, used);
      else snprintf(cell, sizeof cell, "%.4f +- %.4f", mean, sd);
      fprintf(out, "  %-17s", cell);
    }
    fprintf(out, "\n");
  }
  if (per_fold) text_folds(out, r);
  report_details d[VIRAL_REPORT_PREDICTORS];
  int rc = report_details_of(r, d, err);
  if (rc != VIRAL_OK) return rc;
  report_details_write_text(out, r->have, d, "out-of-fold predictions");
  return io_status(out, err);
}

/* ---- JSON ---- */

int viral_report_write_json(const viral_report *r, FILE *f, viral_error *err) {
  char b[32];
  report_details d[VIRAL_REPORT_PREDICTORS];
  int rc = report_details_of(r, d, err);
  if (rc != VIRAL_OK) return rc;
  fprintf(f, "{\"description\":");
  json_string_write(f, r->description ? r->description : "");
  fprintf(f, ",\"folds\":%d,\"rows\":%zu,\"temporal\":%s", r->folds, r->rows, r->temporal ? "true" : "false");
  if (r->temporal) {
    fprintf(f, ",\"test_spans\":[");
    for (int k = 0; k < r->folds; k++) {
      fprintf(f, "%s[%s,", k ? "," : "", report_json_number(b, r->span[k][0]));
      fprintf(f, "%s]", report_json_number(b, r->span[k][1]));
    }
    fprintf(f, "]");
  }
  fprintf(f, ",\"predictors\":{");
  int first = 1;
  for (int j = 0; j < VIRAL_REPORT_PREDICTORS; j++) {
    if (!r->have[j]) continue;
    fprintf(f, "%s\"%s\":{", first ? "" : ",", predictor_names[j]);
    first = 0;
    for (int m = 0; m < VIRAL_REPORT_METRICS; m++) {
      double mean, sd;
      viral_report_summary(r, j, m, &mean, &sd, NULL);
      fprintf(f, "%s\"%s\":{\"mean\":%s,", m ? "," : "", metric_names[m], report_json_number(b, mean));
      fprintf(f, "\"std\":%s,\"per_fold\":[", report_json_number(b, sd));
      for (int k = 0; k < r->folds; k++)
        fprintf(f, "%s%s", k ? "," : "", report_json_number(b, viral_report_metric_of(viral_report_fold(r, j, k), m)));
      fprintf(f, "]}");
    }
    fprintf(f, ",\"fold_rows\":[");
    for (int k = 0; k < r->folds; k++) fprintf(f, "%s%zu", k ? "," : "", viral_report_fold(r, j, k)->n);
    fprintf(f, "],\"fold_positives\":[");
    for (int k = 0; k < r->folds; k++) fprintf(f, "%s%zu", k ? "," : "", viral_report_fold(r, j, k)->positives);
    fprintf(f, "],\"pooled\":");
    report_details_write_json(f, &d[j]);
    fprintf(f, "}");
  }
  fprintf(f, "}}\n");
  return io_status(f, err);
}

/* The tested rows' labels and probabilities, for the charts. */
typedef struct pooled {
  size_t n;
  double *labels;
  double *probs[VIRAL_REPORT_PREDICTORS];
} pooled;

static void pooled_release(pooled *pl) {
  free(pl->labels);
  for (int j = 0; j < VIRAL_REPORT_PREDICTORS; j++) free(pl->probs[j]);
}

static int pool(const viral_report *r, pooled *pl) {
  memset(pl, 0, sizeof *pl);
  size_t cap = r->rows ? r->rows : 1;
  int ok = (pl->labels = malloc(cap * sizeof *pl->labels)) != NULL;
  for (int j = 0; j < VIRAL_REPORT_PREDICTORS; j++) ok = (pl->probs[j] = malloc(cap * sizeof(double))) && ok;
  if (!ok) {
    pooled_release(pl);
    return VIRAL_ERR_NOMEM;
  }
  for (size_t i = 0; i < r->rows; i++) {
    if (r->fold[i] < 0) continue;
    pl->labels[pl->n] = r->labels[i];
    for (int j = 0; j < VIRAL_REPORT_PREDICTORS; j++) pl->probs[j][pl->n] = r->probs[j][i];
    pl->n++;
  }
  return VIRAL_OK;
}

int report_details_of(const viral_report *r, report_details out[VIRAL_REPORT_PREDICTORS], viral_error *err) {
  pooled pl;
  if (pool(r, &pl) != VIRAL_OK) return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  /* every fold is measured at the same threshold: the model's */
  double threshold = r->folds > 0 ? viral_report_fold(r, VIRAL_REPORT_MODEL, 0)->threshold : 0.5;
  int rc = VIRAL_OK;
  memset(out, 0, VIRAL_REPORT_PREDICTORS * sizeof *out);
  for (int j = 0; j < VIRAL_REPORT_PREDICTORS && rc == VIRAL_OK; j++)
    if (r->have[j]) rc = report_details_compute(pl.labels, pl.probs[j], pl.n, threshold, &out[j], err);
  pooled_release(&pl);
  return rc;
}

/* ---- HTML ---- */

static const char *const colors[VIRAL_REPORT_PREDICTORS] = {"#1f5fa8", "#c0392b", "#7f8c8d", "#2e8b57"};

#define W 320.0
#define H 320.0
#define PAD 40.0

static double sx(double x) { return PAD + x * (W - 2 * PAD); }
static double sy(double y) { return H - PAD - y * (H - 2 * PAD); }

/* xticks 0: the x axis is labelled by the caller (folds). */
static void chart_open(FILE *f, const char *title, const char *xlab, const char *ylab, int xticks) {
  fprintf(f, "<figure><svg width=\"%g\" height=\"%g\" "
             "role=\"img\" aria-label=\"%s\">\n", W, H, title);
  fprintf(f, "<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" fill=\"none\" stroke=\"#444\"/>\n",
          PAD, PAD, W - 2 * PAD, H - 2 * PAD);
  for (int i = 0; i <= 4; i++) {
    double t = i / 4.0;
    if (xticks)
      fprintf(f, "<text x=\"%g\" y=\"%g\" font-size=\"10\" text-anchor=\"middle\">%.2f</text>\n", sx(t),
              H - PAD + 14, t);
    fprintf(f, "<text x=\"%g\" y=\"%g\" font-size=\"10\" text-anchor=\"end\">%.2f</text>\n", PAD - 4,
            sy(t) + 3, t);
  }
  fprintf(f, "<text x=\"%g\" y=\"%g\" font-size=\"13\" text-anchor=\"middle\">%s</text>\n", W / 2, 20.0, title);
  fprintf(f, "<text x=\"%g\" y=\"%g\" font-size=\"11\" text-anchor=\"middle\">%s</text>\n", W / 2, H - 8, xlab);
  fprintf(f, "<text x=\"12\" y=\"%g\" font-size=\"11\" text-anchor=\"middle\" "
             "transform=\"rotate(-90 12 %g)\">%s</text>\n", H / 2, H / 2, ylab);
}

/* A polyline of at most ~400 points (curves of large data are thinned). */
static void polyline(FILE *f, const double *x, const double *y, size_t n, const char *color) {
  if (n == 0) return;
  size_t step = n > 400 ? n / 400 : 1;
  fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"", color);
  for (size_t i = 0; i < n; i += step) fprintf(f, "%.1f,%.1f ", sx(x[i]), sy(y[i]));
  fprintf(f, "%.1f,%.1f\"/>\n", sx(x[n - 1]), sy(y[n - 1]));
}

static void legend(FILE *f, const viral_report *r) {
  fprintf(f, "<p class=\"legend\">");
  for (int j = 0; j < VIRAL_REPORT_PREDICTORS; j++)
    if (r->have[j])
      fprintf(f, "<span style=\"color:%s\">&#9632; %s</span> ", colors[j], viral_report_predictor_name(j));
  fprintf(f, "</p>\n");
}

/* Under a chart's title: which rows it shows. */
static void chart_subtitle(FILE *f, const char *text) {
  fprintf(f, "<text x=\"%g\" y=\"%g\" font-size=\"10\" fill=\"#555\" text-anchor=\"middle\">%s</text>\n", W / 2,
          33.0, text);
}

static void diagonal(FILE *f) {
  fprintf(f, "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"#bbb\" stroke-dasharray=\"4\"/>\n",
          sx(0), sy(0), sx(1), sy(1));
}

static void curve_chart(FILE *f, const viral_report *r, const pooled *pl, int roc, const char *scope) {
  chart_open(f, roc ? "ROC curve" : "Precision-recall curve", roc ? "false positive rate" : "recall",
             roc ? "true positive rate" : "precision", 1);
  chart_subtitle(f, scope);
  if (roc) diagonal(f);
  for (int j = 0; j < VIRAL_REPORT_PREDICTORS; j++) {
    if (!r->have[j] || j == VIRAL_REPORT_BASE) continue;
    viral_curve c;
    viral_curve_init(&c);
    int rc = roc ? viral_metrics_roc_curve(pl->labels, pl->probs[j], pl->n, &c, NULL)
                 : viral_metrics_pr_curve(pl->labels, pl->probs[j], pl->n, &c, NULL);
    if (rc >= 0) polyline(f, c.x, c.y, c.count, colors[j]);
    viral_curve_release(&c);
  }
  fprintf(f, "</svg><figcaption>%s</figcaption></figure>\n",
          roc ? "roc" : "pr");
}

/* Text readable over lines and points: a white halo around the glyphs. */
#define HALO "stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\""

/* The model's count in each bin, over the bin's middle along the top of the
 * plot, on two staggered rows so that six-digit counts do not touch. */
static void bin_counts(FILE *f, const viral_metrics *m) {
  for (int b = 0; b < VIRAL_METRICS_BINS; b++) {
    const viral_reliability_bin *bin = &m->reliability[b];
    fprintf(f, "<text x=\"%.1f\" y=\"%g\" font-size=\"9\" text-anchor=\"middle\" fill=\"%s\" " HALO ">n=%zu</text>\n",
            sx((bin->lower + bin->upper) / 2), PAD + 11 + 10 * (b % 2), colors[VIRAL_REPORT_MODEL], bin->count);
  }
}

/* Each predictor's non-empty bins as points, with the bin and its count in
 * a tooltip; the model's counts also written along the top. */
static void reliability_chart(FILE *f, const viral_report *r, const report_details *d, const char *scope) {
  chart_open(f, "Reliability diagram", "mean predicted probability", "observed rate", 1);
  chart_subtitle(f, scope);
  diagonal(f);
  bin_counts(f, &d[VIRAL_REPORT_MODEL].all); /* under the points */
  for (int j = VIRAL_REPORT_PREDICTORS - 1; j >= 0; j--) { /* the model drawn last, on top */
    if (!r->have[j]) continue;
    const viral_metrics *m = &d[j].all;
    double x[VIRAL_METRICS_BINS], y[VIRAL_METRICS_BINS];
    size_t n = 0;
    for (int b = 0; b < VIRAL_METRICS_BINS; b++) {
      const viral_reliability_bin *bin = &m->reliability[b];
      if (!bin->count) continue;
      x[n] = bin->mean_predicted;
      y[n++] = bin->observed_rate;
      fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"><title>%s, p %.1f-%.1f: n = %zu, "
                 "%zu viral, mean predicted %.4f, observed rate %.4f</title></circle>\n",
              sx(x[n - 1]), sy(y[n - 1]), colors[j], viral_report_predictor_name(j), bin->lower, bin->upper,
              bin->count, bin->positives, bin->mean_predicted, bin->observed_rate);
    }
    polyline(f, x, y, n, colors[j]);
  }
  fprintf(f, "</svg><figcaption>reliability</figcaption></figure>\n");
}

static const char *const class_colors[2] = {"#8fb3de", "#e67e22"}; /* not viral, viral */

/* The model's probabilities by class, in the reliability bins: per bin the
 * share of each class that falls in it (each class sums to 1, so the rare
 * class shows), the counts in tooltips. */
static void distribution_chart(FILE *f, const viral_metrics *m, const char *scope) {
  chart_open(f, "Score distribution by class (model)", "predicted probability", "share of the class", 1);
  chart_subtitle(f, scope);
  size_t of_class[2] = {m->n - m->positives, m->positives};
  const char *const names[2] = {"not viral", "viral"};
  double bw = (sx(1) - sx(0)) / VIRAL_METRICS_BINS * 0.42;
  for (int b = 0; b < VIRAL_METRICS_BINS; b++) {
    const viral_reliability_bin *bin = &m->reliability[b];
    size_t count[2] = {bin->count - bin->positives, bin->positives};
    for (int c = 0; c < 2; c++) {
      double share = of_class[c] ? (double)count[c] / (double)of_class[c] : 0;
      fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>%s, p %.1f-%.1f: "
                 "%zu of %zu (%.1f%%)</title></rect>\n",
              sx(bin->lower) + bw * (0.1 + c), sy(share), bw, sy(0) - sy(share), class_colors[c], names[c],
              bin->lower, bin->upper, count[c], of_class[c], 100 * share);
    }
  }
  for (int c = 0; c < 2; c++)
    fprintf(f, "<text x=\"%g\" y=\"%g\" font-size=\"10\" text-anchor=\"end\" fill=\"%s\" " HALO ">&#9632; %s (%zu)</text>\n",
            sx(1) - 6, sy(1) + 14 + 13 * c, class_colors[c], names[c], of_class[c]);
  fprintf(f, "</svg><figcaption>distribution</figcaption></figure>\n");
}

static void fold_chart(FILE *f, const viral_report *r) {
  chart_open(f, "ROC AUC per fold", "fold", "ROC AUC", 0);
  int shown = 0;
  for (int j = 0; j < VIRAL_REPORT_PREDICTORS; j++) shown += r->have[j];
  double slot = (W - 2 * PAD) / r->folds, bw = slot * 0.8 / (shown ? shown : 1);
  for (int k = 0; k < r->folds; k++) {
    if (r->folds <= 20)
      fprintf(f, "<text x=\"%.1f\" y=\"%g\" font-size=\"10\" text-anchor=\"middle\">%d</text>\n",
              PAD + (k + 0.5) * slot, H - PAD + 14, k + 1);
    int s = 0;
    for (int j = 0; j < VIRAL_REPORT_PREDICTORS; j++) {
      if (!r->have[j]) continue;
      double v = viral_report_fold(r, j, k)->roc_auc;
      double x = PAD + k * slot + slot * 0.1 + s++ * bw;
      if (isfinite(v))
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n", x, sy(v),
                bw, sy(0) - sy(v), colors[j]);
    }
  }
  fprintf(f, "</svg><figcaption>folds</figcaption></figure>\n");
}

/* ---- HTML: progressive validation over time ---- */

/* Outcomes first .. last (1-based) of window w. */
static void window_outcomes(const viral_progressive_report *p, size_t w, size_t *first, size_t *last) {
  *first = w * p->window + 1;
  *last = (w + 1) * p->window < p->n ? (w + 1) * p->window : p->n;
}

/* ROC AUC of each predictor in each consecutive window of outcomes, as
 * points joined where both neighbours are defined (a window with one class
 * has none). */
static void window_chart(FILE *f, const viral_progressive_report *p) {
  char xlab[96];
  snprintf(xlab, sizeof xlab, "window of %zu outcomes, in the order they came", p->window);
  chart_open(f, "ROC AUC over time", xlab, "ROC AUC", 0);
  chart_subtitle(f, "progressive validation, consecutive windows");
  size_t label_every = p->windows <= 20 ? 1 : (p->windows + 9) / 10;
  for (size_t w = 0; w < p->windows; w++)
    if (w % label_every == 0)
      fprintf(f, "<text x=\"%.1f\" y=\"%g\" font-size=\"10\" text-anchor=\"middle\">%zu</text>\n",
              sx((w + 0.5) / (double)p->windows), H - PAD + 14, w + 1);
  double radius = p->windows > 30 ? 1.5 : 3; /* many windows: points that do not merge */
  for (int j = VIRAL_REPORT_PREDICTORS - 1; j >= 0; j--) { /* the model drawn last, on top */
    if (!p->have[j]) continue;
    const viral_metrics *m = &p->per_window[(size_t)j * p->windows];
    for (size_t w = 0; w < p->windows; w++) {
      double x = (w + 0.5) / (double)p->windows, v = m[w].roc_auc;
      if (isnan(v)) continue;
      if (w > 0 && !isnan(m[w - 1].roc_auc))
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"1.5\"/>\n",
                sx((w - 0.5) / (double)p->windows), sy(m[w - 1].roc_auc), sx(x), sy(v), colors[j]);
      size_t first, last;
      window_outcomes(p, w, &first, &last);
      fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%g\" fill=\"%s\"><title>%s, window %zu (outcomes %zu-%zu, "
                 "%zu viral): ROC AUC %.4f</title></circle>\n",
              sx(x), sy(v), radius, colors[j], viral_report_predictor_name(j), w + 1, first, last, m[w].positives, v);
    }
  }
  fprintf(f, "</svg><figcaption>windows</figcaption></figure>\n");
}

/* ---- HTML: tables ---- */

static void table_heads(FILE *f, const char *first, const int have[VIRAL_REPORT_PREDICTORS]) {
  fprintf(f, "<table><tr><th>%s</th>", first);
  for (int j = 0; j < VIRAL_REPORT_PREDICTORS; j++)
    if (have[j]) fprintf(f, "<th>%s</th>", viral_report_predictor_name(j));
  fprintf(f, "</tr>\n");
}

static void table_cell(FILE *f, double x) {
  if (isnan(x)) fprintf(f, "<td>undefined</td>");
  else fprintf(f, "<td>%.4f</td>", x);
}

/* The fold report's summary: mean &plusmn; sd over the folds. */
static void summary_table(FILE *f, const viral_report *r) {
  table_heads(f, "metric", r->have);
  for (int m = 0; m < VIRAL_REPORT_METRICS; m++) {
    fprintf(f, "<tr><td>%s</td>", viral_report_metric_name(m));
    for (int j = 0; j < VIRAL_REPORT_PREDICTORS; j++) {
      if (!r->have[j]) continue;
      double mean, sd;
      viral_report_summary(r, j, m, &mean, &sd, NULL);
      if (isnan(mean)) fprintf(f, "<td>undefined</td>");
      else if (isnan(sd)) fprintf(f, "<td>%.4f</td>", mean);
      else fprintf(f, "<td>%.4f &plusmn; %.4f</td>", mean, sd);
    }
    fprintf(f, "</tr>\n");
  }
  fprintf(f, "</table>\n");
}

/* A table of metrics m [VIRAL_REPORT_PREDICTORS] (the progressive report's
 * all-outcomes and sliding-window tables). */
static void metrics_table(FILE *f, const int have[VIRAL_REPORT_PREDICTORS], const viral_metrics *m) {
  table_heads(f, "metric", have);
  for (int k = 0; k < VIRAL_REPORT_METRICS; k++) {
    fprintf(f, "<tr><td>%s</td>", viral_report_metric_name(k));
    for (int j = 0; j < VIRAL_REPORT_PREDICTORS; j++)
      if (have[j]) table_cell(f, viral_report_metric_of(&m[j], k));
    fprintf(f, "</tr>\n");
  }
  fprintf(f, "</table>\n");
}

static void tops_table(FILE *f, const int have[VIRAL_REPORT_PREDICTORS], const report_details *d,
                       const char *what) {
  const viral_metrics *m = &d[VIRAL_REPORT_MODEL].all;
  fprintf(f, "<h2>Top of the ranking</h2>\n<p>The videos each predictor ranks highest, over all %zu %s "
             "(%zu viral, base rate %.4f): precision is the share of them that went viral, lift that share over "
             "the base rate.</p>\n", m->n, what, m->positives, m->base_rate);
  table_heads(f, "metric", have);
  for (int lift = 0; lift <= 1; lift++)
    for (int t = 0; t < REPORT_TOPS; t++) {
      fprintf(f, "<tr><td>%s@%d%% (top %zu)</td>", lift ? "lift" : "precision", d[VIRAL_REPORT_MODEL].top[t].percent,
              d[VIRAL_REPORT_MODEL].top[t].k);
      for (int j = 0; j < VIRAL_REPORT_PREDICTORS; j++)
        if (have[j]) table_cell(f, lift ? d[j].top[t].lift : d[j].top[t].precision);
      fprintf(f, "</tr>\n");
    }
  fprintf(f, "</table>\n");
}

static void confusion_table(FILE *f, const viral_metrics *m, const char *what) {
  const viral_confusion *c = &m->confusion;
  fprintf(f, "<h2>Confusion matrix</h2>\n<p>The model at its threshold %g (viral when p &ge; %g), all %zu %s: "
             "accuracy %.4f, precision %.4f, recall %.4f, F1 %.4f.</p>\n",
          m->threshold, m->threshold, m->n, what, m->accuracy, m->precision, m->recall, m->f1);
  fprintf(f, "<table><tr><th></th><th>predicted viral</th><th>predicted not viral</th></tr>\n"
             "<tr><th>viral</th><td>%zu</td><td>%zu</td></tr>\n"
             "<tr><th>not viral</th><td>%zu</td><td>%zu</td></tr></table>\n",
          c->tp, c->fn, c->fp, c->tn);
}

static void bins_table(FILE *f, const viral_metrics *m) {
  fprintf(f, "<h2>Predictions by probability</h2>\n<p>The model's reliability bins: how many videos got a "
             "probability in each, of each class (the score distribution), and how often they went viral.</p>\n");
  fprintf(f, "<table><tr><th>probability</th><th>rows</th><th>not viral</th><th>viral</th>"
             "<th>mean predicted</th><th>observed rate</th></tr>\n");
  for (int b = 0; b < VIRAL_METRICS_BINS; b++) {
    const viral_reliability_bin *bin = &m->reliability[b];
    fprintf(f, "<tr><td>%.1f-%.1f</td><td>%zu</td><td>%zu</td><td>%zu</td>", bin->lower, bin->upper, bin->count,
            bin->count - bin->positives, bin->positives);
    if (bin->count) fprintf(f, "<td>%.4f</td><td>%.4f</td></tr>\n", bin->mean_predicted, bin->observed_rate);
    else fprintf(f, "<td>-</td><td>-</td></tr>\n");
  }
  fprintf(f, "</table>\n");
}

/* The window chart's table: each window's outcomes, when the videos were
 * posted, and each predictor's ROC AUC. */
static void window_table(FILE *f, const viral_progressive_report *p) {
  fprintf(f, "<h2>Metrics over time</h2>\n<p>Consecutive windows of %zu outcomes, in the order the outcomes "
             "came.</p>\n<table><tr><th>window</th><th>outcomes</th>"
             "<th>videos posted</th><th>rows</th><th>viral</th>",
          p->window);
  for (int j = 0; j < VIRAL_REPORT_PREDICTORS; j++)
    if (p->have[j]) fprintf(f, "<th>%s ROC AUC</th>", viral_report_predictor_name(j));
  fprintf(f, "</tr>\n");
  for (size_t w = 0; w < p->windows; w++) {
    size_t first, last;
    window_outcomes(p, w, &first, &last);
    char a[32], b[32];
    fprintf(f, "<tr><td>%zu</td><td>%zu-%zu</td>", w + 1, first, last);
    if (p->window_span && !isnan(p->window_span[w][0]))
      fprintf(f, "<td>%s .. %s</td>", viral_format_timestamp(a, p->window_span[w][0]),
              viral_format_timestamp(b, p->window_span[w][1]));
    else fprintf(f, "<td>-</td>");
    fprintf(f, "<td>%zu</td><td>%zu</td>", p->per_window[w].n, p->per_window[w].positives);
    for (int j = 0; j < VIRAL_REPORT_PREDICTORS; j++)
      if (p->have[j]) table_cell(f, p->per_window[(size_t)j * p->windows + w].roc_auc);
    fprintf(f, "</tr>\n");
  }
  fprintf(f, "</table>\n");
}

/* ---- HTML: the page ---- */

static void html_escape(FILE *f, const char *s) {
  for (; *s; s++) {
    if (*s == '<') fputs("&lt;", f);
    else if (*s == '>') fputs("&gt;", f);
    else if (*s == '&') fputs("&amp;", f);
    else fputc(*s, f);
  }
}

void report_html_escape(FILE *f, const char *s) { html_escape(f, s); }

static void html_head(FILE *f, const viral_report *r, const char *title) {
  fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
             "<title>%s report</title>\n<style>body{font-family:sans-serif;margin:2em}"
             "table{border-collapse:collapse;margin-bottom:1em}"
             "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
             "h2{font-size:1.1em;margin:1.2em 0 0.3em}"
             "figure{display:inline-block;margin:0 1em 1em 0}figcaption{display:none}</style>"
             "</head><body>\n<h1>%s</h1>\n<p>", title, title);
  html_escape(f, r->description ? r->description : "");
  fprintf(f, "</p>\n");
}

/* The progressive report's two tables, as its text report has them. */
static void progressive_tables(FILE *f, const viral_progressive_report *p) {
  size_t last = p->n < p->window ? p->n : p->window;
  fprintf(f, "<h2>All %zu outcomes</h2>\n", p->n);
  metrics_table(f, p->have, p->overall);
  fprintf(f, "<h2>Last %zu outcomes (sliding window)</h2>\n", last);
  metrics_table(f, p->have, p->last);
}

static void html_body(FILE *f, const viral_report *r, const pooled *pl, const report_details *d,
                      const viral_progressive_report *progressive) {
  const char *what = progressive ? "outcomes" : "out-of-fold predictions";
  char scope[96];
  if (progressive) snprintf(scope, sizeof scope, "progressive validation, all %zu outcomes", pl->n);
  else snprintf(scope, sizeof scope, "out-of-fold predictions, %zu rows", pl->n);
  html_head(f, r, progressive ? "viral eval --progressive" : "viral eval");
  if (progressive) progressive_tables(f, progressive);
  else summary_table(f, r);
  legend(f, r);
  curve_chart(f, r, pl, 1, scope);
  curve_chart(f, r, pl, 0, scope);
  reliability_chart(f, r, d, scope);
  distribution_chart(f, &d[VIRAL_REPORT_MODEL].all, scope);
  if (progressive) window_chart(f, progressive);
  else fold_chart(f, r);
  report_importance_chart(f, r);
  if (progressive) window_table(f, progressive);
  tops_table(f, r->have, d, what);
  confusion_table(f, &d[VIRAL_REPORT_MODEL].all, what);
  bins_table(f, &d[VIRAL_REPORT_MODEL].all);
  fprintf(f, "</body></html>\n");
}

int report_html_write(const viral_report *r, const viral_progressive_report *progressive, FILE *out,
                      viral_error *err) {
  pooled pl;
  report_details d[VIRAL_REPORT_PREDICTORS];
  int rc = report_details_of(r, d, err);
  if (rc != VIRAL_OK) return rc;
  if (pool(r, &pl) != VIRAL_OK) return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  html_body(out, r, &pl, d, progressive);
  pooled_release(&pl);
  return io_status(out, err);
}

int viral_report_write_html(const viral_report *r, FILE *out, viral_error *err) {
  return report_html_write(r, NULL, out, err);
}
