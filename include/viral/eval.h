/* viral/eval.h - cross-validation: rows featurized once in memory, stratified
 * folds, out-of-fold predictions of the online logistic learner and of the
 * reference baselines.
 *
 * The rows are transformed once with the pipeline given (which must not need
 * fitting: the online learner's path, scaling "none", and a label rule that is
 * not a quantile), so each fold only trains and predicts. */
#ifndef VIRAL_EVAL_H
#define VIRAL_EVAL_H

#include <stddef.h>
#include <stdint.h>

#include "viral/error.h"
#include "viral/features.h"
#include "viral/model.h"
#include "viral/reader.h"
#include "viral/vector.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Every labelled row of a file, featurized. Rows without a label are skipped
 * (counted in unlabeled). */
typedef struct viral_eval_data {
  viral_dataset ds;     /* unscaled vectors and 0/1 labels, in file order */
  uint64_t *record;     /* [ds.rows] 0-based index of the row's record in the file */
  double *posted_at;    /* [ds.rows] unix seconds, NAN when absent */
  double *views_window; /* [ds.rows] views at the window (views_<W>h), NAN when absent */
  double *oracle;       /* [ds.rows] oracle_p column, NAN when absent */
  char **id;            /* [ds.rows] video_id (NULL when absent) */
  int has_views_window, has_oracle; /* 1 when every row has the value */
  uint64_t unlabeled, bad_rows;
  uint64_t positives;
  const viral_pipeline *pipeline; /* borrowed from viral_eval_load's caller, who keeps it alive */
} viral_eval_data;

/* Read path ("-" for stdin) once and featurize every row with p (not taken,
 * and it must outlive the data; it must not need fitting). NULL on error with err set. Free with
 * viral_eval_data_free(). */
viral_eval_data *viral_eval_load(viral_pipeline *p, const char *path,
                                 const viral_reader_options *ropts, int skip_bad_rows,
                                 viral_error *err);
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

/* What to predict a fold with. */
typedef enum viral_eval_predictor {
  VIRAL_EVAL_MODEL = 0,  /* the learner of opts on the rows' vectors */
  VIRAL_EVAL_BASE_RATE,  /* the training part's base rate for every row */
  VIRAL_EVAL_VIEWS       /* Szabo-Huberman: logistic (FTRL defaults) on log1p(views at window) */
} viral_eval_predictor;

/* Train on the rows whose fold is neither f nor negative, in file order, and
 * write the probability of each row of fold f into probs[row] (other entries
 * left alone). The model predictor trains exactly as viral_model_train does on a
 * file of those rows (same importances, passes, bits), so its probabilities
 * are bit-identical to `viral train` + `viral score`. Only the uncalibrated logistic
 * learner is supported. Returns VIRAL_OK or a negative status with err set. */
int viral_eval_fold_predict(const viral_eval_data *d, const int *fold, int f,
                            viral_eval_predictor what, const viral_train_options *opts,
                            double *probs, viral_error *err);


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

#ifdef __cplusplus
}
#endif
#endif
