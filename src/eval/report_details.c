/* report_details.c - what a report shows beyond its summary table, over
 * every row it scored: precision and lift at the top of the ranking, the
 * confusion matrix at the model's threshold, and the probability bins
 * (reliability with counts, and the score distribution by class); computed
 * once and written as text and JSON (the HTML is in report.c). */
#include <math.h>
#include <stdlib.h>

#include "eval/report_internal.h"
#include "io/text.h"
#include "viral/writer.h"

const int report_top_percent[REPORT_TOPS] = {1, 5, 10};

/* ---- computing ---- */

int report_details_compute(const double *labels, const double *probs, size_t n, double threshold,
                           report_details *out, viral_error *err) {
  int rc = viral_metrics_compute(labels, probs, n, threshold, 0, &out->all, err);
  for (int t = 0; t < REPORT_TOPS && rc == VIRAL_OK; t++) {
    report_top *top = &out->top[t];
    top->percent = report_top_percent[t];
    /* ceil(n * percent / 100) in integers: 5% of 1000 rows is 50, not 51 */
    top->k = (n * (size_t)top->percent + 99) / 100;
    rc = viral_metrics_at_k(labels, probs, n, top->k, &top->precision, NULL, err);
    if (rc == VIRAL_METRIC_UNDEFINED) rc = VIRAL_OK;
    top->lift = out->all.positives ? top->precision / out->all.base_rate : NAN;
  }
  return rc;
}

/* ---- text ---- */

static void text_tops(FILE *out, const int have[VIRAL_REPORT_PREDICTORS],
                      const report_details d[VIRAL_REPORT_PREDICTORS], const char *what) {
  const viral_metrics *m = &d[VIRAL_REPORT_MODEL].all;
  fprintf(out, "\ntop of the ranking, all %zu %s (%zu positives, base rate %.4f): top", m->n, what,
          m->positives, m->base_rate);
  for (int t = 0; t < REPORT_TOPS; t++) fprintf(out, "%s %d%%", t ? "," : "", report_top_percent[t]);
  fprintf(out, " =");
  for (int t = 0; t < REPORT_TOPS; t++) fprintf(out, "%s %zu", t ? "," : "", d[VIRAL_REPORT_MODEL].top[t].k);
  fprintf(out, " rows\n%-18s", "metric");
  report_text_heads(out, have);
  fprintf(out, "\n");
  for (int lift = 0; lift <= 1; lift++)
    for (int t = 0; t < REPORT_TOPS; t++) {
      char name[32];
      snprintf(name, sizeof name, "%s@%d%%", lift ? "lift" : "precision", report_top_percent[t]);
      fprintf(out, "%-18s", name);
      for (int j = 0; j < VIRAL_REPORT_PREDICTORS; j++)
        if (have[j]) report_text_cell(out, lift ? d[j].top[t].lift : d[j].top[t].precision);
      fprintf(out, "\n");
    }
}

static void text_confusion(FILE *out, const viral_metrics *m, const char *what) {
  const viral_confusion *c = &m->confusion;
  fprintf(out, "\nconfusion matrix of the model at its threshold %g (viral when p >= %g), all %zu %s\n",
          m->threshold, m->threshold, m->n, what);
  fprintf(out, "%-18s%-18s%s\n", "", "predicted viral", "predicted not viral");
  fprintf(out, "%-18s%-18zu%zu\n", "viral", c->tp, c->fn);
  fprintf(out, "%-18s%-18zu%zu\n", "not viral", c->fp, c->tn);
  fprintf(out, "accuracy %.4f, precision %.4f, recall %.4f, f1 %.4f\n", m->accuracy, m->precision,
          m->recall, m->f1);
}

static void text_bins(FILE *out, const viral_metrics *m) {
  fprintf(out, "\nthe model's predictions by probability: reliability, and the score distribution by class\n");
  fprintf(out, "%-14s%-10s%-12s%-10s%-17s%s\n", "probability", "rows", "not viral", "viral", "mean predicted",
          "observed rate");
  for (int b = 0; b < VIRAL_METRICS_BINS; b++) {
    const viral_reliability_bin *bin = &m->reliability[b];
    char range[32];
    snprintf(range, sizeof range, "%.1f-%.1f", bin->lower, bin->upper);
    fprintf(out, "%-14s%-10zu%-12zu%-10zu", range, bin->count, bin->count - bin->positives, bin->positives);
    if (bin->count) fprintf(out, "%-17.4f%.4f\n", bin->mean_predicted, bin->observed_rate);
    else fprintf(out, "%-17s%s\n", "-", "-");
  }
}

void report_details_write_text(FILE *out, const int have[VIRAL_REPORT_PREDICTORS],
                               const report_details d[VIRAL_REPORT_PREDICTORS], const char *what) {
  text_tops(out, have, d, what);
  text_confusion(out, &d[VIRAL_REPORT_MODEL].all, what);
  text_bins(out, &d[VIRAL_REPORT_MODEL].all);
}

/* ---- JSON ---- */

const char *report_json_number(char buf[32], double x) {
  return isfinite(x) ? viral_format_double(buf, x) : "null";
}

void report_details_write_json(FILE *f, const report_details *d) {
  const viral_metrics *m = &d->all;
  char b[32];
  fprintf(f, "{\"rows\":%zu,\"positives\":%zu,\"base_rate\":%s,\"top\":[", m->n, m->positives,
          report_json_number(b, m->base_rate));
  for (int t = 0; t < REPORT_TOPS; t++) {
    fprintf(f, "%s{\"percent\":%d,\"k\":%zu,\"precision\":%s,", t ? "," : "", d->top[t].percent, d->top[t].k,
            report_json_number(b, d->top[t].precision));
    fprintf(f, "\"lift\":%s}", report_json_number(b, d->top[t].lift));
  }
  fprintf(f, "],\"threshold\":%s,", report_json_number(b, m->threshold));
  fprintf(f, "\"confusion\":{\"tp\":%zu,\"fp\":%zu,\"tn\":%zu,\"fn\":%zu},", m->confusion.tp, m->confusion.fp,
          m->confusion.tn, m->confusion.fn);
  fprintf(f, "\"accuracy\":%s,", report_json_number(b, m->accuracy));
  fprintf(f, "\"precision\":%s,", report_json_number(b, m->precision));
  fprintf(f, "\"recall\":%s,", report_json_number(b, m->recall));
  fprintf(f, "\"f1\":%s,\"bins\":[", report_json_number(b, m->f1));
  for (int k = 0; k < VIRAL_METRICS_BINS; k++) {
    const viral_reliability_bin *bin = &m->reliability[k];
    fprintf(f, "%s{\"lower\":%s,", k ? "," : "", report_json_number(b, bin->lower));
    fprintf(f, "\"upper\":%s,\"rows\":%zu,\"negatives\":%zu,\"positives\":%zu,", report_json_number(b, bin->upper), bin->count,
            bin->count - bin->positives, bin->positives);
    fprintf(f, "\"mean_predicted\":%s,", report_json_number(b, bin->mean_predicted));
    fprintf(f, "\"observed_rate\":%s}", report_json_number(b, bin->observed_rate));
  }
  fprintf(f, "]}");
}
