/* report_internal.h - what the fold report (report.c), the progressive
 * report (report_progressive.c) and the details both show
 * (report_details.c) share (internal). */
#ifndef VIRAL_EVAL_REPORT_INTERNAL_H
#define VIRAL_EVAL_REPORT_INTERNAL_H

#include <stdio.h>

#include "viral/report.h"

/* The predictors' column heads of a table, for those in have. */
void report_text_heads(FILE *out, const int have[VIRAL_REPORT_PREDICTORS]);
/* One table cell: the number to 4 decimals, or "undefined" for NAN. */
void report_text_cell(FILE *out, double x);
/* s with HTML's special characters escaped. */
void report_html_escape(FILE *f, const char *s);
/* The importance bar chart of the HTML report (report_importance.c); nothing
 * when r has no importance. */
void report_importance_chart(FILE *f, const viral_report *r);

/* A JSON number that round-trips (viral_format_double), or null. */
const char *report_json_number(char buf[32], double x);

/* ---- details over all the predictions a report scored (report_details.c) ---- */

/* The tops of the ranking the reports show: the 1%, 5% and 10% of rows
 * with the highest probabilities. */
#define REPORT_TOPS 3
extern const int report_top_percent[REPORT_TOPS];

/* Flagging the top percent% of the rows. */
typedef struct report_top {
  int percent;      /* 1, 5 or 10 */
  size_t k;         /* rows flagged: ceil(n * percent / 100) */
  double precision; /* positives among them / k (viral_metrics_at_k); NAN when n == 0 */
  double lift;      /* precision / base rate; NAN when there are no positives */
} report_top;

/* One predictor over every row the report scored: the out-of-fold rows of a
 * fold report, all outcomes of a progressive one. A plain value. */
typedef struct report_details {
  viral_metrics all;            /* at the model's threshold: confusion, reliability bins */
  report_top top[REPORT_TOPS];
} report_details;

/* Fill *out from labels/probs [n] at threshold. VIRAL_OK, or the status of
 * viral_metrics_compute with err set. */
int report_details_compute(const double *labels, const double *probs, size_t n, double threshold,
                           report_details *out, viral_error *err);
/* The details of every predictor r has (out[j] for have[j]), over its
 * tested rows at the threshold its folds were measured at. */
int report_details_of(const viral_report *r, report_details out[VIRAL_REPORT_PREDICTORS], viral_error *err);

/* The text sections: precision and lift at the tops for every predictor,
 * then the model's confusion matrix and its probability bins (reliability
 * and the score distribution by class). what names the rows ("out-of-fold
 * predictions", "outcomes"). */
void report_details_write_text(FILE *out, const int have[VIRAL_REPORT_PREDICTORS],
                               const report_details d[VIRAL_REPORT_PREDICTORS], const char *what);
/* The details of one predictor as one JSON object: rows, positives,
 * base_rate, top, threshold, confusion, accuracy, precision, recall, f1,
 * bins (datasets/FORMATS.md); numbers round-trip, undefined is null. */
void report_details_write_json(FILE *out, const report_details *d);

/* ---- HTML (report.c) ---- */

/* The page of a fold report (progressive NULL) or of a progressive one (r
 * then holds its outcomes as one fold): the summary, charts over the pooled
 * rows subtitled with scope, the details, and the fold or window charts. */
int report_html_write(const viral_report *r, const viral_progressive_report *progressive, FILE *out,
                      viral_error *err);

#endif
