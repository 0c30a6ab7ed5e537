/* viral/eval.h - cross-validation: rows read once into memory, stratified or
 * time-ordered folds, out-of-fold predictions of any learner (logistic or
 * SVM, calibrated or not) and of the reference baselines, and the report.
 *
 * Nothing of a fold's test part reaches what predicts it. When the pipeline
 * needs no fitting (scaling "none" and a label rule that is not a quantile:
 * the online learner's usual path) the rows are featurized once and every
 * fold shares the vectors. When it does (standard or min-max scaling, a
 * top:P% label), the input is kept in memory and each fold fits its own copy
 * of the pipeline on its training records only, then featurizes every row
 * with it: scaling statistics and the quantile threshold of fold f come from
 * fold f's training rows, and its test rows are labelled by that threshold,
 * as `viral train` on those rows followed by `viral score` would. */
#ifndef VIRAL_EVAL_H
#define VIRAL_EVAL_H

#include <stddef.h>
#include <stdint.h>

#include "viral/cache.h"
#include "viral/error.h"
#include "viral/features.h"
#include "viral/model.h"
#include "viral/reader.h"
#include "viral/report.h"
#include "viral/vector.h"
#include "viral/writer.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Every labelled row of a file, featurized. Rows without a label are skipped
 * (counted in unlabeled). When the pipeline needs fitting, ds holds the
 * vectors and labels of a copy fitted on all rows: they only deal the
 * stratified folds and count positives; folds never train on them. */
typedef struct viral_eval_data {
  viral_dataset ds;     /* unscaled vectors and 0/1 labels, in file order */
  uint64_t *record;     /* [ds.rows] 0-based index of the row's record in the file */
  double *posted_at;    /* [ds.rows] unix seconds, NAN when absent */
  double *views_window; /* [ds.rows] views at the window (views_<W>h, or the column
                           named at load), NAN when absent */
  double *oracle;       /* [ds.rows] oracle_p column (NULL when has_oracle is 0) */
  char **id;            /* [ds.rows] video_id (NULL when absent), in id_text */
  struct text_pool *id_text; /* private: where the ids are kept */
  int has_views_window, has_oracle; /* 1 when every row has the value */
  uint64_t unlabeled, bad_rows;
  uint64_t positives;
  char input_warning[VIRAL_ERROR_MAX]; /* fields most rows lack (viral_pipeline_tally_warning), "" none */
  viral_pipeline *pipeline; /* its own copy of the caller's pipeline (viral/model.h's rule),
                               which reports the views baseline's leakage too */
  struct viral_eval_source *source; /* private: the input, kept when folds refit the pipeline */
  /* what names the features for people: a pipeline profiled on the rows as they
     were loaded (viral_pipeline_feature_label); pipeline itself, or owned */
  viral_pipeline *named;
} viral_eval_data;

/* Read path ("-" for stdin) once and featurize every row with a copy of p
 * (kept in the data, left unfitted: a pipeline that needs fitting is fitted
 * per fold; the caller keeps p). An input without some field p reads
 * (features and label) is an error unless p allows missing fields
 * (viral_pipeline_tally_check). NULL on error with err set. Free with
 * viral_eval_data_free(). */
viral_eval_data *viral_eval_load(const viral_pipeline *p, const char *path,
                                 const viral_reader_options *ropts, int skip_bad_rows,
                                 viral_error *err);
/* The same, with the views baseline on the column views_field (literal
 * name, e.g. "views_s1" or "score_s2" for data first seen after posting)
 * instead of views_<window>h; NULL: views_<window>h. The baseline's field
 * passes the leakage guard (viral_pipeline_check_observed): one observed
 * after the window, an outcome such as the label's own field, or one with
 * no known observation time is an error unless p allows leakage. */
viral_eval_data *viral_eval_load_with_views(const viral_pipeline *p, const char *path,
                                            const viral_reader_options *ropts, int skip_bad_rows,
                                            const char *views_field, viral_error *err);
/* The same from a vector cache made for training (VIRAL_CACHE_TRAIN) with
 * p and the columns views_<window>h (or views_field) and oracle_p: the data,
 * counts, warning and named pipeline the load of its input gives. A p that
 * needs fitting is fitted per fold from the records: an error here. */
viral_eval_data *viral_eval_load_cache(const viral_pipeline *p, const viral_cache *c,
                                       const char *views_field, viral_error *err);
/* NULL-safe. */
void viral_eval_data_free(viral_eval_data *d);

/* Stratified assignment of the n rows with labels to k folds: the positives
 * and the negatives are each shuffled (seeded xorshift, Fisher-Yates) and
 * dealt round-robin, so fold sizes differ by at most one per class.
 * fold[i] receives 0..k-1. Returns VIRAL_OK or VIRAL_ERR_INVALID (k < 2 or
 * k > n) / VIRAL_ERR_NOMEM. */
int viral_eval_stratified_folds(const double *labels, size_t n, int k, uint64_t seed, int *fold,
                                viral_error *err);

/* Rolling-origin split f (0..k-1) of the rows by time: the rows, ordered by
 * posted_at (ties by file order), are cut into k + 1 chunks of equal count;
 * chunk f + 1 is the test part (role 1) and the rows posted at least gap
 * seconds before its first video are the training part (role 0); the rest
 * get role -1 (not used). span receives the test part's first and last
 * posted_at. Rows without posted_at are an error. */
int viral_eval_temporal_split(const double *posted_at, size_t n, int k, int f, double gap,
                              int *role, double span[2], viral_error *err);

/* The same split with the rows in the given order (order[j]: the row at
 * place j, sorted by posted_at), e.g. viral_eval_time_order's. */
int viral_eval_temporal_split_ordered(const double *posted_at, const size_t *order, size_t n, int k,
                                      int f, double gap, int *role, double span[2], viral_error *err);

/* The rows of d in time order into order[d->ds.rows]: by posted_at, ties by
 * video_id (bytes), then by file order, so the order is the same whatever
 * order the file had (unless two rows share both). Rows without posted_at
 * are an error (VIRAL_ERR_MISSING). */
int viral_eval_time_order(const viral_eval_data *d, size_t *order, viral_error *err);

/* 1 when each fold fits its own pipeline (see the top of this file). */
int viral_eval_refits(const viral_eval_data *d);

/* What to predict a fold with. */
typedef enum viral_eval_predictor {
  VIRAL_EVAL_MODEL = 0,  /* the learner of opts on the rows' vectors */
  VIRAL_EVAL_BASE_RATE,  /* the training part's base rate for every row */
  VIRAL_EVAL_VIEWS       /* Szabo-Huberman: logistic (FTRL defaults) on log1p(views at window) */
} viral_eval_predictor;

/* One fold: the rows' roles and the vectors and labels every row has in it.
 * Caller-owned; viral_eval_fold_init fills it, viral_eval_fold_release frees
 * what it made. */
typedef struct viral_eval_fold {
  const viral_eval_data *data;
  const int *role;                /* [rows] 1 test, 0 train, negative unused (borrowed) */
  const size_t *order;            /* [rows] the order rows are learned in (borrowed; NULL:
                                     file order); set after viral_eval_fold_init */
  const viral_dataset *ds;        /* [rows] vectors and labels in this fold (unused rows: empty, NAN) */
  const viral_pipeline *pipeline; /* what made ds: fitted on the training part, or data's own */
  viral_dataset own_ds;           /* private */
  viral_pipeline *own_pipeline;   /* private */
  /* [dim] when set (after init): each feature's importance in the fold's model
     (viral_model_importance on the spread of the training rows) is added here, and
     what it measures put in *importance_measure */
  double *importance;
  const char **importance_measure;
} viral_eval_fold;

/* Set up the fold whose rows have roles role (borrowed; it must outlive the
 * fold). When d refits, fits a copy of d's pipeline on the training rows'
 * records, in file order, and featurizes the training and test rows with it.
 * Fails when no row trains. */
int viral_eval_fold_init(viral_eval_fold *fold, const viral_eval_data *d, const int *role,
                         viral_error *err);
/* NULL-safe; the fold can be initialised again. */
void viral_eval_fold_release(viral_eval_fold *fold);

/* Train what on the fold's training rows, in the fold's order (file order
 * unless set), and write the probability of each test row into probs[row]
 * (other entries left alone).
 * The model predictor trains exactly as viral_model_train does on a file of
 * those rows (viral_model_fit: same pipeline fit, calibration hold-out, class
 * weights, passes, gamma), so its probabilities are bit-identical to
 * `viral train` + `viral score`. */
int viral_eval_fold_predict_with(const viral_eval_fold *fold, viral_eval_predictor what,
                                 const viral_train_options *opts, double *probs, viral_error *err);

/* viral_eval_fold_init with role 1 for fold f, 0 for the other non-negative
 * folds, then viral_eval_fold_predict_with, then release. */
int viral_eval_fold_predict(const viral_eval_data *d, const int *fold, int f,
                            viral_eval_predictor what, const viral_train_options *opts,
                            double *probs, viral_error *err);

/* ---- a whole evaluation ---- */

typedef struct viral_eval_options {
  int folds;                 /* K (default 5) */
  int temporal;              /* 1: rolling-origin folds by posted_at, else stratified; each
                                fold learns its rows in time order (viral_eval_time_order),
                                whatever the file order */
  double gap;                /* temporal: seconds between training and test (default 0) */
  uint64_t seed;             /* stratified folds (default 1) */
  viral_train_options train; /* the learner (default: viral_train_options_init) */
  /* Called before each fold (may be NULL): fold 0-based of folds. */
  void (*progress)(void *ctx, int fold, int folds);
  void *progress_ctx;
  /* NULL, or a directory (viral/writer.h) that receives every fold as the
   * learner sees it, for other tools (a model of another library on the
   * same rows, vectors, folds and labels):
   *   fold-F-train.svm, fold-F-test.svm  LIBSVM lines "LABEL IDX:VAL ...",
   *       label 1 or 0 (the fold's label: a quantile rule's threshold is
   *       fitted on the fold's training rows), index = vector index + 1,
   *       values after the fold's pipeline fit (scaled when the pipeline
   *       scales: the svm; raw for the logistic learner, which normalizes
   *       online); training rows in the order the learner learns them (time
   *       order for temporal folds), test rows in row order;
   *   fold-F-train.csv, fold-F-test.csv  record (1-based, as in
   *       viral_eval_write_predictions), video_id, posted_at (unix
   *       seconds), label: one line per vector line;
   *   manifest.json  format "viral-folds", version 1, the report's
   *       description, split, fold_count, gap_seconds or seed, label,
   *       window_hours, pipeline_fitted_per_fold, learner, rows,
   *       dimension, dense_columns (names of indices 1..k), spec, and per
   *       fold its files, counts, label_threshold and test_posted_at.
   * The run writes the files; the caller commits or aborts the directory. */
  viral_atomic_dir *export_folds;
} viral_eval_options;

void viral_eval_options_init(viral_eval_options *o);

/* Cross-validate the learner of o on d against the base rate, the views
 * baseline (when every row has views at the window) and the oracle (when
 * every row has oracle_p), fold by fold, and fill r (initialised here; the
 * caller releases it, also on failure). Metrics use o->train.threshold. */
int viral_eval_run(const viral_eval_data *d, const viral_eval_options *o, viral_report *r,
                   viral_error *err);

/* The tested rows of r as CSV: record (1-based), video_id, fold (1-based),
 * label, probability, views_baseline, base_rate[, oracle_p]; probabilities
 * round-trip. VIRAL_OK or VIRAL_ERR_IO. */
int viral_eval_write_predictions(const viral_eval_data *d, const viral_report *r, FILE *out,
                                 viral_error *err);

/* ---- tuning: a grid search by cross-validation ---- */

#define VIRAL_TUNE_MAX_AXES 4
#define VIRAL_TUNE_MAX_VALUES 32

/* One parameter of a grid: the values the learner option called name
 * takes. */
typedef struct viral_tune_axis {
  const char *name;  /* "alpha", "C" (static) */
  int searched;      /* 0: held at the options' value (one value, shown, not searched) */
  size_t count;
  double values[VIRAL_TUNE_MAX_VALUES];
} viral_tune_axis;

/* The grid: every combination of its axes' values, the first axis
 * outermost. */
typedef struct viral_tune_grid {
  viral_tune_axis axes[VIRAL_TUNE_MAX_AXES];
  size_t count;
} viral_tune_grid;

/* The options giving the grid of each learner (the logistic learner's
 * --alpha-grid LIST, the SVM's --log2c B,E,S, ...), each once, for a
 * command line; an entry with a NULL name ends the array. */
const viral_option *viral_tune_option_list(void);

/* The grid of base's learner: each axis from its option (get: see
 * viral/learner.h), else its default values; an axis the learner holds
 * (the linear kernel's gamma) at base's value. VIRAL_OK, or
 * VIRAL_ERR_INVALID with the usage error in err ("--alpha-grid values must
 * be > 0"). */
int viral_tune_grid_parse(const viral_train_options *base, viral_option_get get, void *ctx,
                          viral_tune_grid *grid, viral_error *err);

typedef enum viral_tune_metric {
  VIRAL_TUNE_AUC = 0, /* ROC AUC: larger is better */
  VIRAL_TUNE_LOG_LOSS, /* smaller is better */
  VIRAL_TUNE_BRIER    /* smaller is better */
} viral_tune_metric;

/* "auc", "logloss", "brier": VIRAL_OK, or VIRAL_ERR_INVALID. */
int viral_tune_metric_parse(const char *name, viral_tune_metric *out);

/* One point of the grid and how it did. */
typedef struct viral_tune_point {
  viral_train_options opts;          /* base with the point's values */
  double value[VIRAL_TUNE_MAX_AXES]; /* its value on each axis */
  double *per_fold;                  /* [folds] the metric on each fold */
  double mean, sd;                   /* over the folds */
} viral_tune_point;

/* Caller-owned: filled by viral_eval_tune, freed by
 * viral_tune_result_release. */
typedef struct viral_tune_result {
  viral_tune_point *points; /* [count], in grid order */
  size_t count;
  int folds;
  long best;                /* the best point, -1 when the metric is undefined everywhere */
  double *per_fold_;        /* private: [count * folds] */
} viral_tune_result;

/* Cross-validate every point of grid around base on k stratified folds
 * dealt with seed: each fold fits its pipeline once (viral_eval_fold_init)
 * and every point trains on it as viral_eval_fold_predict_with does;
 * metric of each point on each fold, its mean and deviation, the best.
 * progress (may be NULL) is called before each point of each fold
 * (0-based). out is initialised here and released by the caller, also on
 * failure. VIRAL_OK or an error. */
int viral_eval_tune(const viral_eval_data *d, const viral_train_options *base,
                    const viral_tune_grid *grid, int k, uint64_t seed, viral_tune_metric metric,
                    void (*progress)(void *ctx, int fold, int folds, size_t point, size_t points),
                    void *progress_ctx, viral_tune_result *out, viral_error *err);
/* NULL-safe on r->points. */
void viral_tune_result_release(viral_tune_result *r);

/* ---- progressive validation: test-then-train in event time ---- */

/* One step of a progressive run: score a row, or learn from it. */
typedef struct viral_eval_step {
  size_t row;
  int learn; /* 0: score, 1: learn */
} viral_eval_step;

/* When each row is scored and learned from, in the order a live system
 * (viral stream) does it. From the columns `viral assemble --window` writes
 * when the data has them: scored_seq / learned_seq (the log position: the
 * ordinal of the log row at which it happened; R - 0.5 for a video closed
 * by time just before row R) with scored_at / learned_at (event times), a
 * missing value meaning "not within the log". Steps sort by (seq, time,
 * video_id, score before learn); without seq columns, by (time, video_id).
 * Without the columns: scored at posted_at + window, learned at posted_at +
 * horizon; at equal times outcomes come first (a label known at t is used by
 * a score at t), then by video_id and file order. */
typedef struct viral_eval_schedule {
  viral_eval_step *steps; /* [count], in event order */
  size_t count;
  int from_columns;       /* 1: the data's scored_at / learned_at columns */
  size_t evaluated;       /* rows both scored and learned from */
  size_t unscored;        /* rows never scored within the log */
  size_t unlearned;       /* rows scored whose outcome came after the log's end */
} viral_eval_schedule;

typedef struct viral_eval_progressive_options {
  double window_h;  /* without columns: scored at posted_at + window */
  double horizon_h; /* without columns: learned at posted_at + horizon (> window) */
  int no_delay;     /* learn from each row right after scoring it (the classic,
                       label-at-once progressive validation) */
} viral_eval_progressive_options;

/* Build the schedule of d's rows. path (a file, not stdin) is read again
 * for the event columns, through ropts; d must have been loaded from it.
 * Fills *out (release with viral_eval_schedule_release). Returns VIRAL_OK or
 * a negative status with err set (no posted_at without columns, I/O). */
int viral_eval_schedule_build(const viral_eval_data *d, const char *path,
                              const viral_reader_options *ropts,
                              const viral_eval_progressive_options *opts,
                              viral_eval_schedule *out, viral_error *err);
/* NULL-safe on s->steps. */
void viral_eval_schedule_release(viral_eval_schedule *s);

/* Run schedule s with one predictor: probs[row] receives the probability
 * each scored row got when it was scored (rows never scored: NAN).
 *   VIRAL_EVAL_MODEL: model m (logistic, featurized by the pipeline d was
 *     loaded with) scores with viral_model_predict_vector and learns with
 *     viral_model_learn_vector; m is left as the run ends.
 *   VIRAL_EVAL_VIEWS: a logistic (FTRL defaults) on log1p(views at window),
 *     standardized by the mean and deviation of the rows learned so far.
 *   VIRAL_EVAL_BASE_RATE: (positives + 1) / (learned + 2) of the rows
 *     learned so far.
 * m is used only for VIRAL_EVAL_MODEL. Returns VIRAL_OK or a negative status. */
int viral_eval_progressive(const viral_eval_data *d, const viral_eval_schedule *s,
                           viral_eval_predictor what, viral_model *m, double *probs,
                           viral_error *err);

/* What a whole progressive validation runs with. */
typedef struct viral_eval_progressive_run_options {
  viral_eval_progressive_options events; /* when rows are scored and learned */
  size_t window_size;       /* outcomes per sliding window of the report (0: 10000) */
  const char *model_source; /* where the start model came from, for the description
                               (NULL: an untrained one) */
} viral_eval_progressive_run_options;

/* A whole progressive validation (viral eval --progressive): the schedule of
 * d's rows (viral_eval_schedule_build, path and ropts as there), then model
 * m (logistic; left as the run ends), the views baseline (when every row has
 * views at the window) and the base rate run through it, the oracle's
 * column taken when every row has one, and the report filled: rows
 * evaluated in outcome order, metrics (at m's threshold) over all of them,
 * the last window and each window, and the description. rep is initialised
 * here; the caller releases it, also on failure. o->events.horizon_h must
 * be longer than o->events.window_h. A run in which no video was both
 * scored and learned from is an error naming path. */
int viral_eval_progressive_run(const viral_eval_data *d, const char *path,
                               const viral_reader_options *ropts,
                               const viral_eval_progressive_run_options *o, viral_model *m,
                               viral_progressive_report *rep, viral_error *err);

/* The evaluated rows of rep as CSV, in the order they were scored: record
 * (1-based), video_id, order (1-based), label, then probability,
 * views_baseline, base_rate and oracle_p for the predictors rep has;
 * probabilities round-trip. */
int viral_eval_progressive_write_predictions(const viral_eval_data *d,
                                             const viral_progressive_report *rep, FILE *out,
                                             viral_error *err);

#ifdef __cplusplus
}
#endif
#endif
