/* eval_report.c - the JSON and HTML reports of `viral eval`. */
#include "eval_report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "viral/writer.h"

const char *const eval_predictor_names[EVAL_PREDICTORS] = {"model", "views", "base rate", "oracle"};
const char *const eval_metric_names[EVAL_METRICS] = {"roc_auc", "average_precision", "log_loss",
                                                     "brier", "ece"};

double eval_metric_of(const viral_metrics *m, int which) {
  switch (which) {
  case EVAL_AUC: return m->roc_auc;
  case EVAL_AP: return m->average_precision;
  case EVAL_LOGLOSS: return m->log_loss;
  case EVAL_BRIER: return m->brier;
  default: return m->ece;
  }
}

int cli_eval_load(const cli_args *args, viral_pipeline **p, viral_eval_data **d,
                  viral_reader_options *ropts) {
  const char *command = args->spec->command;
  viral_error err;
  viral_error_clear(&err);
  *d = NULL;
  *p = cli_load_pipeline(args, "none", &err);
  if (!*p) return cli_data_error(command, &err);
  int rc;
  if (!*viral_pipeline_label_rule(*p))
    rc = cli_usage_error(command, "the spec has no label rule: give one with --label");
  else if ((rc = cli_input_options(args, *p, ropts)) == CLI_CONTINUE &&
           !(*d = viral_eval_load(*p, args->positional[0], ropts, cli_flag(args, "skip-bad-rows"), &err)))
    rc = cli_data_error(command, &err);
  else if (rc == CLI_CONTINUE && (*d)->ds.rows == 0) {
    viral_error_set(&err, VIRAL_ERR_INVALID, args->positional[0], 0, "no labelled rows to evaluate");
    rc = cli_data_error(command, &err);
  }
  if (rc != CLI_CONTINUE) {
    viral_eval_data_free(*d);
    *d = NULL;
    viral_pipeline_free(*p);
    *p = NULL;
  }
  return rc;
}

/* A JSON number that round-trips, or null. */
static const char *jnum(char buf[32], double x) {
  if (!isfinite(x)) return "null";
  return viral_format_double(buf, x);
}

/* Write to path.tmp with fn, then rename over path. */
static int atomic_write(const char *path, void (*fn)(FILE *, const eval_result *),
                        const eval_result *r) {
  size_t len = strlen(path) + 5;
  char *tmp = malloc(len);
  if (!tmp) return -1;
  snprintf(tmp, len, "%s.tmp", path);
  FILE *f = fopen(tmp, "w");
  int rc = -1;
  if (f) {
    fn(f, r);
    int bad = ferror(f);
    if (fclose(f) == 0 && !bad && rename(tmp, path) == 0) rc = 0;
  }
  if (rc) remove(tmp);
  free(tmp);
  return rc;
}

void eval_json_string(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') fprintf(f, "\\%c", *s);
    else if ((unsigned char)*s < 0x20) fprintf(f, "\\u%04x", *s);
    else fputc(*s, f);
  }
  fputc('"', f);
}

static void json_body(FILE *f, const eval_result *r) {
  char b[32];
  fprintf(f, "{\"description\":");
  eval_json_string(f, r->description);
  fprintf(f, ",\"folds\":%d,\"rows\":%zu,\"predictors\":{", r->folds, r->rows);
  int first = 1;
  for (int j = 0; j < EVAL_PREDICTORS; j++) {
    if (!r->have[j]) continue;
    fprintf(f, "%s\"%s\":{", first ? "" : ",", eval_predictor_names[j]);
    first = 0;
    for (int m = 0; m < EVAL_METRICS; m++) {
      double v[1000];
      for (int k = 0; k < r->folds; k++) v[k] = eval_metric_of(&r->per_fold[j * r->folds + k], m);
      double mean, sd;
      viral_metrics_mean_std(v, (size_t)r->folds, &mean, &sd, NULL);
      fprintf(f, "%s\"%s\":{\"mean\":%s,", m ? "," : "", eval_metric_names[m], jnum(b, mean));
      fprintf(f, "\"std\":%s,\"per_fold\":[", jnum(b, sd));
      for (int k = 0; k < r->folds; k++) fprintf(f, "%s%s", k ? "," : "", jnum(b, v[k]));
      fprintf(f, "]}");
    }
    fprintf(f, ",\"fold_rows\":[");
    for (int k = 0; k < r->folds; k++) fprintf(f, "%s%zu", k ? "," : "", r->per_fold[j * r->folds + k].n);
    fprintf(f, "]}");
  }
  fprintf(f, "}}\n");
}

int eval_write_json(const char *path, const eval_result *r) { return atomic_write(path, json_body, r); }

/* ---- HTML ---- */

static const char *const colors[EVAL_PREDICTORS] = {"#1f5fa8", "#c0392b", "#7f8c8d", "#2e8b57"};

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

static void legend(FILE *f, const eval_result *r) {
  fprintf(f, "<p class=\"legend\">");
  for (int j = 0; j < EVAL_PREDICTORS; j++)
    if (r->have[j])
      fprintf(f, "<span style=\"color:%s\">&#9632; %s</span> ", colors[j], eval_predictor_names[j]);
  fprintf(f, "</p>\n");
}

static void curve_chart(FILE *f, const eval_result *r, int roc) {
  chart_open(f, roc ? "ROC curve (out-of-fold)" : "Precision-recall curve (out-of-fold)",
             roc ? "false positive rate" : "recall", roc ? "true positive rate" : "precision", 1);
  if (roc)
    fprintf(f, "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"#bbb\" stroke-dasharray=\"4\"/>\n",
            sx(0), sy(0), sx(1), sy(1));
  for (int j = 0; j < EVAL_PREDICTORS; j++) {
    if (!r->have[j] || j == EVAL_BASE) continue;
    viral_curve c;
    viral_curve_init(&c);
    int rc = roc ? viral_metrics_roc_curve(r->labels, r->probs[j], r->rows, &c, NULL)
                 : viral_metrics_pr_curve(r->labels, r->probs[j], r->rows, &c, NULL);
    if (rc >= 0) polyline(f, c.x, c.y, c.count, colors[j]);
    viral_curve_release(&c);
  }
  fprintf(f, "</svg><figcaption>%s</figcaption></figure>\n",
          roc ? "roc" : "pr");
}

static void reliability_chart(FILE *f, const eval_result *r) {
  chart_open(f, "Reliability diagram (out-of-fold)", "mean predicted probability", "observed rate", 1);
  fprintf(f, "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"#bbb\" stroke-dasharray=\"4\"/>\n",
          sx(0), sy(0), sx(1), sy(1));
  for (int j = 0; j < EVAL_PREDICTORS; j++) {
    if (!r->have[j]) continue;
    viral_metrics m;
    if (viral_metrics_compute(r->labels, r->probs[j], r->rows, 0.5, 0, &m, NULL) != VIRAL_OK) continue;
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

static void fold_chart(FILE *f, const eval_result *r) {
  chart_open(f, "ROC AUC per fold", "fold", "ROC AUC", 0);
  int shown = 0;
  for (int j = 0; j < EVAL_PREDICTORS; j++) shown += r->have[j];
  double slot = (W - 2 * PAD) / r->folds, bw = slot * 0.8 / (shown ? shown : 1);
  for (int k = 0; k < r->folds; k++) {
    if (r->folds <= 20)
      fprintf(f, "<text x=\"%.1f\" y=\"%g\" font-size=\"10\" text-anchor=\"middle\">%d</text>\n",
              PAD + (k + 0.5) * slot, H - PAD + 14, k + 1);
    int s = 0;
    for (int j = 0; j < EVAL_PREDICTORS; j++) {
      if (!r->have[j]) continue;
      double v = r->per_fold[j * r->folds + k].roc_auc;
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

static void html_body(FILE *f, const eval_result *r) {
  fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
             "<title>viral eval report</title>\n<style>body{font-family:sans-serif;margin:2em}"
             "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
             "figure{display:inline-block;margin:0 1em 1em 0}figcaption{display:none}</style>"
             "</head><body>\n<h1>viral eval</h1>\n<p>");
  html_escape(f, r->description);
  fprintf(f, "</p>\n<table><tr><th>metric</th>");
  for (int j = 0; j < EVAL_PREDICTORS; j++)
    if (r->have[j]) fprintf(f, "<th>%s</th>", eval_predictor_names[j]);
  fprintf(f, "</tr>\n");
  for (int m = 0; m < EVAL_METRICS; m++) {
    fprintf(f, "<tr><td>%s</td>", eval_metric_names[m]);
    for (int j = 0; j < EVAL_PREDICTORS; j++) {
      if (!r->have[j]) continue;
      double v[1000], mean, sd;
      for (int k = 0; k < r->folds; k++) v[k] = eval_metric_of(&r->per_fold[j * r->folds + k], m);
      viral_metrics_mean_std(v, (size_t)r->folds, &mean, &sd, NULL);
      if (isnan(mean)) fprintf(f, "<td>undefined</td>");
      else if (isnan(sd)) fprintf(f, "<td>%.4f</td>", mean);
      else fprintf(f, "<td>%.4f &plusmn; %.4f</td>", mean, sd);
    }
    fprintf(f, "</tr>\n");
  }
  fprintf(f, "</table>\n");
  legend(f, r);
  curve_chart(f, r, 1);
  curve_chart(f, r, 0);
  reliability_chart(f, r);
  fold_chart(f, r);
  fprintf(f, "</body></html>\n");
}

int eval_write_html(const char *path, const eval_result *r) { return atomic_write(path, html_body, r); }
