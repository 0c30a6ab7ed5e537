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
  if (!per_fold) return io_status(out, err);
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
  return io_status(out, err);
}

/* ---- JSON ---- */

/* A JSON number that round-trips, or null. */
static const char *jnum(char buf[32], double x) {
  if (!isfinite(x)) return "null";
  return viral_format_double(buf, x);
}

int viral_report_write_json(const viral_report *r, FILE *f, viral_error *err) {
  char b[32];
  fprintf(f, "{\"description\":");
  json_string_write(f, r->description ? r->description : "");
  fprintf(f, ",\"folds\":%d,\"rows\":%zu,\"temporal\":%s", r->folds, r->rows, r->temporal ? "true" : "false");
  if (r->temporal) {
    fprintf(f, ",\"test_spans\":[");
    for (int k = 0; k < r->folds; k++) {
      fprintf(f, "%s[%s,", k ? "," : "", jnum(b, r->span[k][0]));
      fprintf(f, "%s]", jnum(b, r->span[k][1]));
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
      fprintf(f, "%s\"%s\":{\"mean\":%s,", m ? "," : "", metric_names[m], jnum(b, mean));
      fprintf(f, "\"std\":%s,\"per_fold\":[", jnum(b, sd));
      for (int k = 0; k < r->folds; k++)
        fprintf(f, "%s%s", k ? "," : "", jnum(b, viral_report_metric_of(viral_report_fold(r, j, k), m)));
      fprintf(f, "]}");
    }
    fprintf(f, ",\"fold_rows\":[");
    for (int k = 0; k < r->folds; k++) fprintf(f, "%s%zu", k ? "," : "", viral_report_fold(r, j, k)->n);
    fprintf(f, "],\"fold_positives\":[");
    for (int k = 0; k < r->folds; k++) fprintf(f, "%s%zu", k ? "," : "", viral_report_fold(r, j, k)->positives);
    fprintf(f, "]}");
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

static void curve_chart(FILE *f, const viral_report *r, const pooled *pl, int roc) {
  chart_open(f, roc ? "ROC curve (out-of-fold)" : "Precision-recall curve (out-of-fold)",
             roc ? "false positive rate" : "recall", roc ? "true positive rate" : "precision", 1);
  if (roc)
    fprintf(f, "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"#bbb\" stroke-dasharray=\"4\"/>\n",
            sx(0), sy(0), sx(1), sy(1));
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

static void reliability_chart(FILE *f, const viral_report *r, const pooled *pl) {
  chart_open(f, "Reliability diagram (out-of-fold)", "mean predicted probability", "observed rate", 1);
  fprintf(f, "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"#bbb\" stroke-dasharray=\"4\"/>\n",
          sx(0), sy(0), sx(1), sy(1));
  for (int j = 0; j < VIRAL_REPORT_PREDICTORS; j++) {
    if (!r->have[j]) continue;
    viral_metrics m;
    if (viral_metrics_compute(pl->labels, pl->probs[j], pl->n, 0.5, 0, &m, NULL) != VIRAL_OK) continue;
    double x[VIRAL_METRICS_BINS], y[VIRAL_METRICS_BINS];
    size_t n = 0;
    for (int b = 0; b < VIRAL_METRICS_BINS; b++) {
      if (!m.reliability[b].count) continue;
      x[n] = m.reliability[b].mean_predicted;
      y[n++] = m.reliability[b].observed_rate;
      fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n", sx(x[n - 1]), sy(y[n - 1]),
              colors[j]);
    }
    polyline(f, x, y, n, colors[j]);
  }
  fprintf(f, "</svg><figcaption>reliability</figcaption></figure>\n");
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

static void html_escape(FILE *f, const char *s) {
  for (; *s; s++) {
    if (*s == '<') fputs("&lt;", f);
    else if (*s == '>') fputs("&gt;", f);
    else if (*s == '&') fputs("&amp;", f);
    else fputc(*s, f);
  }
}

void report_html_escape(FILE *f, const char *s) { html_escape(f, s); }

static void html_body(FILE *f, const viral_report *r, const pooled *pl) {
  fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
             "<title>viral eval report</title>\n<style>body{font-family:sans-serif;margin:2em}"
             "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
             "figure{display:inline-block;margin:0 1em 1em 0}figcaption{display:none}</style>"
             "</head><body>\n<h1>viral eval</h1>\n<p>");
  html_escape(f, r->description ? r->description : "");
  fprintf(f, "</p>\n<table><tr><th>metric</th>");
  for (int j = 0; j < VIRAL_REPORT_PREDICTORS; j++)
    if (r->have[j]) fprintf(f, "<th>%s</th>", viral_report_predictor_name(j));
  fprintf(f, "</tr>\n");
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
  legend(f, r);
  curve_chart(f, r, pl, 1);
  curve_chart(f, r, pl, 0);
  reliability_chart(f, r, pl);
  fold_chart(f, r);
  report_importance_chart(f, r);
  fprintf(f, "</body></html>\n");
}


int viral_report_write_html(const viral_report *r, FILE *out, viral_error *err) {
  pooled pl;
  if (pool(r, &pl) != VIRAL_OK) return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  html_body(out, r, &pl);
  pooled_release(&pl);
  return io_status(out, err);
}
