/* eval_report.h - the JSON and HTML reports of `viral eval`. */
#ifndef VIRAL_CLI_EVAL_REPORT_H
#define VIRAL_CLI_EVAL_REPORT_H

#include <stddef.h>

#include "cli.h"
#include "viral/eval.h"
#include "viral/metrics.h"

enum { EVAL_MODEL, EVAL_VIEWS, EVAL_BASE, EVAL_ORACLE, EVAL_PREDICTORS };
enum { EVAL_AUC, EVAL_AP, EVAL_LOGLOSS, EVAL_BRIER, EVAL_ECE, EVAL_METRICS };

extern const char *const eval_predictor_names[EVAL_PREDICTORS];
extern const char *const eval_metric_names[EVAL_METRICS];

/* One metric of m by its EVAL_ number. */
double eval_metric_of(const viral_metrics *m, int which);

/* Everything a report shows (nothing owned). */
typedef struct eval_result {
  const char *description; /* the line with label rule, window, learner, rows, ... */
  int folds;
  int have[EVAL_PREDICTORS];
  const viral_metrics *per_fold; /* [EVAL_PREDICTORS * folds], predictor-major */
  size_t rows;
  const double *labels;                  /* [rows] */
  double *const *probs;                  /* [EVAL_PREDICTORS][rows] out-of-fold */
} eval_result;

/* Load the spec (scaling "none") and featurize args' FILE once for eval and
 * tune. Returns CLI_CONTINUE with *p, *d and *ropts filled (caller frees p
 * and d), or the command's exit status with nothing to free. */
int cli_eval_load(const cli_args *args, viral_pipeline **p, viral_eval_data **d,
                  viral_reader_options *ropts);

/* s as a JSON string literal (quoted, escaped) on f. */
void eval_json_string(FILE *f, const char *s);

/* Write the report as JSON / a self-contained HTML page with inline SVG
 * (no scripts, no external references). Atomic; 0 or -1. */
int eval_write_json(const char *path, const eval_result *r);
int eval_write_html(const char *path, const eval_result *r);

#endif
