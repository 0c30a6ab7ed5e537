/* viral/report.h - an evaluation report: per-fold metrics of the model and of
 * the reference predictors, the out-of-fold predictions behind them, and
 * writers for people (text) and programs (JSON), and a self-contained HTML
 * page with inline SVG charts (ROC, precision-recall, reliability with its
 * bin counts, the model's score distribution by class, per-fold AUC or, for
 * progressive validation, AUC over time; no scripts, no external
 * references). Besides the per-fold metrics, every writer shows, over all
 * the rows the report scored: precision and lift at the top 1%, 5% and 10%
 * of the ranking, the model's confusion matrix at its threshold, and its
 * probability bins (README.md, "An evaluation report").
 *
 * The writers print to a FILE* the caller opened (stdout, or a temporary
 * file it renames into place); they never open, close or exit. */
#ifndef VIRAL_REPORT_H
#define VIRAL_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "viral/error.h"
#include "viral/metrics.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The predictors a report compares, in column order. */
typedef enum viral_report_predictor {
  VIRAL_REPORT_MODEL = 0, /* the learner under evaluation */
  VIRAL_REPORT_VIEWS,     /* Szabo-Huberman: logistic on log1p(views at the window) */
  VIRAL_REPORT_BASE,      /* the training part's base rate */
  VIRAL_REPORT_ORACLE,    /* the data's oracle_p column (viral gen --oracle) */
  VIRAL_REPORT_PREDICTORS
} viral_report_predictor;

/* The metrics of the summary table, in row order. */
typedef enum viral_report_metric {
  VIRAL_REPORT_AUC = 0,
  VIRAL_REPORT_AP,
  VIRAL_REPORT_LOGLOSS,
  VIRAL_REPORT_BRIER,
  VIRAL_REPORT_ECE,
  VIRAL_REPORT_METRICS
} viral_report_metric;

/* "model", "views", "base rate", "oracle" / "roc_auc", "average_precision",
 * "log_loss", "brier", "ece" (static). */
const char *viral_report_predictor_name(int which);
const char *viral_report_metric_name(int which);
/* One metric of m by its viral_report_metric number. */
double viral_report_metric_of(const viral_metrics *m, int which);

/* A feature and its importance in the model (viral_model_importance). */
typedef struct viral_report_feature {
  char label[160]; /* the feature in words (viral_pipeline_feature_label) */
  double value;
} viral_report_feature;

/* A report. Filled by an evaluation (viral_eval_run) or by hand; everything
 * is owned by the report. */
typedef struct viral_report {
  char *description;   /* the line stating label rule, window, learner, rows, leakage, folds */
  int folds;
  int temporal;        /* 1: spans hold each fold's test time span */
  int have[VIRAL_REPORT_PREDICTORS];   /* which predictors were scored */
  viral_metrics *per_fold;             /* [VIRAL_REPORT_PREDICTORS * folds], predictor-major */
  double (*span)[2];                   /* [folds] first and last posted_at of the test part */
  size_t rows;                         /* rows of the data */
  int *fold;                           /* [rows] fold that tested the row (0-based), -1: none */
  double *labels;                      /* [rows] the row's label in that fold (NAN: untested) */
  double *probs[VIRAL_REPORT_PREDICTORS]; /* [rows] out-of-fold probabilities (have[j] only) */
  /* the model's most important features, mean over the folds, largest |value|
     first (none when the learner has no weights: an RBF kernel) */
  viral_report_feature *importance;    /* [importance_count] */
  size_t importance_count;
  char *importance_measure;            /* what value measures, NULL when none */
} viral_report;

/* Allocate a report for rows rows and folds folds (fold -1, labels NAN,
 * probabilities 0, nothing scored yet). VIRAL_OK or VIRAL_ERR_NOMEM. */
int viral_report_init(viral_report *r, int folds, size_t rows, viral_error *err);
/* Free what the report owns (NULL-safe, and safe after a failed init). */
void viral_report_release(viral_report *r);
/* Set the description (copied). */
int viral_report_set_description(viral_report *r, const char *text, viral_error *err);
/* Metrics of predictor j on fold f. */
const viral_metrics *viral_report_fold(const viral_report *r, int j, int f);
/* Mean and standard deviation of a metric of predictor j over the folds where
 * it is defined (NAN when on none; sd NAN on one); *used gets that count. */
void viral_report_summary(const viral_report *r, int j, int metric, double *mean, double *sd,
                          size_t *used);

/* The readable report: the description, the mean +- sd table and, with
 * per_fold, one row per fold (ROC AUC; the test span when temporal); then,
 * over the out-of-fold rows, the tops of the ranking, the confusion matrix
 * and the probability bins. The confusion matrix is at the threshold the
 * folds were measured at (per_fold[].threshold). VIRAL_OK, VIRAL_ERR_IO
 * when out reports a write error, or VIRAL_ERR_NOMEM (or VIRAL_ERR_INVALID
 * for labels or probabilities viral_metrics_compute refuses). The JSON and
 * HTML writers return the same. */
int viral_report_write_text(const viral_report *r, FILE *out, int per_fold, viral_error *err);
/* Every number as one JSON document; numbers round-trip, undefined is null. */
int viral_report_write_json(const viral_report *r, FILE *out, viral_error *err);
/* One self-contained HTML page with inline SVG charts. */
int viral_report_write_html(const viral_report *r, FILE *out, viral_error *err);

/* ---- progressive validation (viral eval --progressive) ---- */

/* A progressive validation report: the probability each evaluated video got
 * when it was scored, and metrics over all outcomes, over the last window of
 * them and over consecutive windows, in the order the outcomes came. Filled
 * by viral_eval_progressive_run (viral/eval.h); everything is owned by the
 * report. */
typedef struct viral_progressive_report {
  char *description; /* label rule, window, learner, rows, leakage, event times */
  int delayed;       /* 1: learned when the outcome was known; 0: right after scoring */
  int have[VIRAL_REPORT_PREDICTORS];      /* which predictors were scored */
  size_t rows;                            /* rows of the data */
  double *labels;                         /* [rows] */
  double *probs[VIRAL_REPORT_PREDICTORS]; /* [rows] probability when scored (NAN: never) */
  size_t n;                               /* rows evaluated: scored, and learned from */
  size_t *learned;                        /* [n] those rows in the order their outcomes came */
  size_t *scored;                         /* [n] the same rows in the order they were scored */
  size_t window;                          /* outcomes per window */
  viral_metrics overall[VIRAL_REPORT_PREDICTORS]; /* all n outcomes */
  viral_metrics last[VIRAL_REPORT_PREDICTORS];    /* the last min(n, window) outcomes */
  size_t windows;                         /* consecutive windows of outcomes: n / window, rounded up */
  viral_metrics *per_window;              /* [VIRAL_REPORT_PREDICTORS * windows], predictor-major */
  double (*window_span)[2];               /* [windows] first and last posted_at of the window's
                                             videos (NAN when none has one) */
} viral_progressive_report;

/* Free what the report owns (NULL-safe, twice-safe, and safe on a report
 * zeroed or left by a failed run). */
void viral_progressive_report_release(viral_progressive_report *r);
/* The readable report: the description, the table over all outcomes and
 * over the last window and, with per_window, one row per window (ROC AUC);
 * then the tops of the ranking, the confusion matrix at the model's
 * threshold and the probability bins over all outcomes.
 * These writers return VIRAL_OK or VIRAL_ERR_NOMEM and leave a write error
 * in ferror(out), for the caller's commit of the file (viral_write_outputs)
 * or its check of standard output. */
int viral_progressive_report_write_text(const viral_progressive_report *r, FILE *out, int per_window,
                                        viral_error *err);
/* Every number as one JSON document ("mode": "progressive"); numbers
 * round-trip, undefined is null. */
int viral_progressive_report_write_json(const viral_progressive_report *r, FILE *out, viral_error *err);
/* One self-contained HTML page: the text report's tables, the charts of
 * viral_report_write_html over all outcomes (subtitled "progressive
 * validation"), ROC AUC over time (per window of outcomes) with its table,
 * and the details. */
int viral_progressive_report_write_html(const viral_progressive_report *r, FILE *out, viral_error *err);

/* ---- trajectories (viral score --log --html) ---- */

/* One score of a video at an age (viral_stream_score's). */
typedef struct viral_trajectory_point {
  const char *video_id;
  double age_h;
  double probability;
} viral_trajectory_point;

/* A self-contained HTML page (inline SVG, no scripts, no external
 * references) drawing the probability of at most max_videos videos against
 * their age: those of highest peak probability (ties by id), each line
 * through its points in age order, with a table of their numbers. points[n]
 * in any order; description (may be NULL) is the page's first line.
 * VIRAL_OK, VIRAL_ERR_NOMEM, or VIRAL_ERR_IO when out reports a write error. */
int viral_report_write_trajectories_html(const viral_trajectory_point *points, size_t n, size_t max_videos,
                                         const char *description, FILE *out, viral_error *err);

#ifdef __cplusplus
}
#endif
#endif
