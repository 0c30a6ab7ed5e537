/* viral/model.h - a trained model: the fitted feature pipeline, a learner
 * (one of the table of viral/learner.h: online logistic, libsvm SVM), the
 * decision threshold and training metadata, saved as one checked JSON
 * document (DESIGN.md section 5).
 *
 * Training streams: the logistic learner reads each row once, transforms it
 * and learns from it, so memory stays flat in the number of rows. Two things
 * need a look at the data before learning and then read the file twice (so
 * they need a file, not stdin): a pipeline that must be fitted (a quantile
 * label rule such as top:10%:views_final) and balanced class weights (which
 * need the class counts). More than one pass, and the SVM learner, hold the
 * vectors in memory.
 *
 * Update continues exactly: for the logistic learner, training on A then
 * updating with B gives bit for bit the weights of training on A followed by
 * B in one pass (no shuffle). A quantile label threshold is fitted once, at
 * train time, and kept by update. For the SVM, update retrains on the support
 * vectors plus the new rows (an approximation; see viral/svm.h). A
 * calibration (Platt or isotonic, fitted at train time on held-out rows) is
 * kept as it is by update; training with one holds its rows out of the
 * learner, so the exact-continuation property is stated for models trained
 * without calibration.
 *
 * Pipelines, one rule: a function given a pipeline never takes it over and
 * never changes it. A model (train, create, fit) and eval data
 * (viral_eval_load) keep a copy of their own, made when called; the caller
 * frees its pipeline when it is done with it. Training reads the input
 * through the model's copy, whose input tally holds the warnings
 * (viral_model_pipeline). */
#ifndef VIRAL_MODEL_H
#define VIRAL_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "viral/calibrate.h"
#include "viral/error.h"
#include "viral/features.h"
#include "viral/learner.h"
#include "viral/reader.h"
#include "viral/record.h"
#include "viral/rows.h"
#include "viral/vector.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VIRAL_MODEL_FORMAT "viral-model"
/* Version 2 (2026-11): the logistic learner standardizes the dense columns
 * ("params.dense", "standardize"). Version 1 files still load: their learner
 * has no dense columns and scores as it did. */
#define VIRAL_MODEL_VERSION 2
#define VIRAL_MODEL_OLDEST_VERSION 1

/* Room for a learner's own parameters inside viral_train_options. */
#define VIRAL_TRAIN_PARAMS_SIZE 256

typedef struct viral_train_options {
  const viral_learner *learner;   /* default: viral_learner_default() */
  /* The learner's own parameters (optimizer, C, kernel...): set with
   * viral_train_options_set_learner (its defaults), viral_train_options_parse,
   * or the accessor in the learner's header (viral_train_options_logistic,
   * viral_train_options_svm). */
  union {
    long double align_;
    void *align_pointer_;
    unsigned char bytes[VIRAL_TRAIN_PARAMS_SIZE];
  } params;
  uint32_t seed;                  /* seeds whatever is random in training: a shuffle,
                                     libsvm's generator, the calibration hold-out (default 1) */
  double weight0, weight1;        /* importance of label-0 and label-1 rows (default 1) */
  int balanced;                   /* class weights n / (2 n_class), from the training rows,
                                     instead of weight0 and weight1 */
  double threshold;               /* probability at which score says 1 (default 0.5) */
  int skip_bad_rows;              /* count and skip rows whose features fail */
  viral_calibration_kind calibrate; /* fit a calibration on held-out rows (default none) */
  double calibration_fraction;      /* share of labelled rows held out for it (default 0.2),
                                       chosen by a seeded hash of the row number; they are
                                       not learned from, and they are held in memory */
  size_t svm_budget;              /* svm update: support vectors carried over (0: all) */
  /* Called before a training run estimated to take over a minute (a kernel
   * SVM; may be NULL). */
  void (*warn)(void *ctx, double estimated_seconds, size_t rows);
  void *warn_ctx;
  /* Called with a sentence (lower case, no final period) when training
   * takes another course than the one asked: the logistic learner's rows
   * past --batch-memory, or of one class, learned in one online pass instead
   * of at the batch optimum (may be NULL). */
  void (*note)(void *ctx, const char *message);
  void *note_ctx;
  /* Called now and then with rows read so far (may be NULL). */
  void (*progress)(void *ctx, uint64_t rows);
  void *progress_ctx;
  /* 1: viral_model_train is collective over the processes of an MPI job
   * (viral/dist.h): each process reads its share of the input and they fit
   * one model together, the same on every process (the logistic learner;
   * README "Training over MPI"). 0 (default): this process alone. */
  int spread;
} viral_train_options;

/* Defaults: the default learner (logistic FTRL) with its defaults, seed 1,
 * class weights 1, threshold 0.5. */
void viral_train_options_init(viral_train_options *opts);

/* Make l opts' learner, with l's default parameters. */
void viral_train_options_set_learner(viral_train_options *opts, const viral_learner *l);

/* The options of every learner (and the ones they share: --learner,
 * --seed, --class-weight), each once, in the order a command lists them;
 * an entry with a NULL name ends the array. */
const viral_option *viral_train_option_list(void);

/* Set opts from the options a command line gave (get: see viral/learner.h):
 * --learner first, then each learner's options (those of the other
 * learners are read and checked too, and kept nowhere), --seed and
 * --class-weight, and last the chosen learner's check of its parameters.
 * VIRAL_OK, or VIRAL_ERR_INVALID with err's message saying what is wrong
 * ("--passes must be from 1 to 100000"). */
int viral_train_options_parse(viral_train_options *opts, viral_option_get get, void *ctx,
                              viral_error *err);

/* NULL when opts' learner learns one row at a time from the start with
 * its parameters, else why not ("passes and shuffling need the data
 * first"). Balanced weights and a calibration need the data first too
 * (viral_model_create says so): they are the options' own. */
const char *viral_train_options_online_refusal(const viral_train_options *opts);

/* The learner and its parameters for people: "logistic (ftrl alpha 0.5
 * beta 1 l1 0 l2 1 passes 1, balanced, calibrated platt on 0.2 of the
 * training part)". Always NUL-terminated. */
void viral_train_options_describe(const viral_train_options *opts, char *buf, size_t size);

/* What training or an update saw. */
typedef struct viral_train_summary {
  uint64_t rows;       /* labelled rows learned from */
  uint64_t positives;
  uint64_t unlabeled;  /* rows without a label, skipped */
  uint64_t bad_rows;   /* rows skipped as malformed (skip_bad_rows) */
  uint64_t held_out;   /* rows held out for calibration (not learned from) */
  uint64_t backwards;  /* labelled rows posted before the labelled row read before
                          them: learning is in file order, not time order */
  double log_loss;     /* logistic: progressive (each row scored before learning it);
                          svm update: on the new rows; svm train: NAN, not computed
                          (scoring every training row against every support vector
                          costs about as much as the training itself) */
  double auc;          /* the same predictions' ROC AUC (NAN with one class, or
                          not computed) */
} viral_train_summary;

typedef struct viral_model viral_model;

/* Train a model on the records of path ("-" for stdin) with a copy of
 * pipeline p, fitted there when it needs fitting. Returns the model or NULL
 * with err naming the file, line and problem. */
viral_model *viral_model_train(const viral_pipeline *p, const char *path,
                               const viral_reader_options *reader_opts,
                               const viral_train_options *opts, viral_train_summary *summary,
                               viral_error *err);

/* Train a model on the rows of s, made by a pass that fitted (when it
 * needs fitting) and profiled p as viral_model_train's pass does (a vector
 * cache, viral/cache.h): the model viral_model_train gives on the records
 * they came from. s is read (and rewound) here, not freed. NULL with err
 * set. */
viral_model *viral_model_train_rows(const viral_pipeline *p, viral_rows *s,
                                    const viral_train_options *opts, viral_train_summary *summary,
                                    viral_error *err);

/* Train a model on rows already featurized with p (fitted when it needs
 * fitting), in order, exactly as viral_model_train does on a file holding
 * the records those rows came from: the same calibration hold-out, class
 * weights, gamma and learner arithmetic, so viral_model_predict_vector gives
 * the probabilities `viral score` gives. The model holds a copy of p.
 * Caller frees with viral_model_free(); NULL on error with err set. */
viral_model *viral_model_fit(const viral_pipeline *p, const viral_dataset *ds,
                             const viral_train_options *opts, viral_error *err);
/* The same on the rows rows[0 .. n) of ds, in that order (a fold's
 * training rows without a copy of them; NULL rows: all of ds), row r
 * posted at posted_at[r] ([ds->rows]; NULL: no times), as the file's
 * records were (the logistic learner's --half-life reads them). */
viral_model *viral_model_fit_rows(const viral_pipeline *p, const viral_dataset *ds, const size_t *rows, size_t n,
                                  const double *posted_at, const viral_train_options *opts, viral_error *err);

/* Continue training m on the labelled records of path. On failure m is
 * unchanged for the SVM; for the logistic learner rows learned before the
 * failing row stay learned, so callers that must not keep a half update
 * (the CLI) discard m and keep the file they loaded it from. */
int viral_model_update(viral_model *m, const char *path, const viral_reader_options *reader_opts,
                       const viral_train_options *opts, viral_train_summary *summary,
                       viral_error *err);

/* Continue training m on the labelled rows of s (a vector cache made for
 * update with m's pipeline), whose pass left named as the pipeline
 * viral_model_update leaves m with: m takes a copy of it. As
 * viral_model_update on failure. */
int viral_model_update_rows(viral_model *m, const viral_pipeline *named, viral_rows *s,
                            const viral_train_options *opts, viral_train_summary *summary,
                            viral_error *err);

/* Learn from one record (a learner that learns online; test-then-train): *p_before gets
 * the probability the model gave rec before learning (may be NULL). The label
 * is y when y is 0 or 1, else the model's label rule applied to rec; returns
 * VIRAL_MISSING (nothing learned) when that gives none. The same arithmetic
 * as viral_model_update on a file holding rec. */
int viral_model_learn(viral_model *m, const viral_record *rec, double y, double *p_before,
                      viral_error *err);

/* Save through viral_atomic_open (viral/writer.h): atomically for a file (a
 * crash leaves the previous file or the new one whole), "-" to stdout. */
int viral_model_save(const viral_model *m, const char *path, viral_error *err);
/* The model file's text (what save writes) to out, for a caller that
 * commits several outputs together (viral_write_outputs). */
int viral_model_write(const viral_model *m, FILE *out, viral_error *err);
/* Load and validate (format, version, checksum, shapes, values). Errors are
 * "PATH: problem". */
viral_model *viral_model_load(const char *path, viral_error *err);
/* NULL-safe. */
void viral_model_free(viral_model *m);

/* One reason behind a score: a feature and how much it moved the score
 * (logistic: weight x the value's distance from its training mean, in the
 * logit, every dense feature ranked, those at 0 too: with the logit of the
 * video at the training mean they add up to the score's; svm: change of the
 * decision value when the feature is removed; gbt: its SHAP value in the
 * logit), and the input behind it in words (viral_reason_text). */
typedef struct viral_reason {
  char name[160];      /* the feature as the pipeline names it: "log1p(views_1h)" */
  uint32_t index;      /* the vector index */
  double value;        /* the feature's value in the vector */
  double contribution;
  viral_feature_input input; /* the input: "shares/views at 2h", 0.031, top 4% of training */
} viral_reason;

/* Room for any viral_reason_text. */
#define VIRAL_REASON_TEXT_MAX 400

/* A reason in words, the one form every output uses (score, stream,
 * serve): the input, its value and where it stands in training, then its
 * effect on the score: "shares/views at 2h = 0.031 (top 4% of training) ->
 * +1.48", "author verified = yes (12% of training) -> -0.41", "views at 1h
 * missing -> +0.2", "hashtags include fyp (31% of training) -> +0.12".
 * Without a training profile (an older model file) the part in parentheses
 * is left out. Into buf (always NUL-terminated); returns the length the
 * whole text needs, like snprintf. */
int viral_reason_text(const viral_reason *r, char *buf, size_t size);

/* The reasons as a JSON array, each {"feature", "value", "contribution"}
 * (as before this form) plus "input" (the input in words), "input_value"
 * (its value, or null), "percentile" (0-100: share of training inputs
 * below it, or null), "share" (0-100: share of training rows where a
 * yes/no, missing or category input held, or null) and "text"
 * (viral_reason_text). Numbers round-trip. Writes to out; the caller checks
 * ferror. */
void viral_reasons_write_json(FILE *out, const viral_reason *reasons, size_t n);

typedef struct viral_prediction {
  double probability; /* P(viral) */
  int label;          /* probability >= threshold */
  double margin;      /* logit (logistic) or decision value (svm) */
} viral_prediction;

/* What scoring writes: the record's vector, the contributions and
 * ranking of --explain, the pipeline's per-row work. Scoring leaves the
 * model as it is, so one loaded model scores from several threads at once,
 * each thread with its own scratch. A scratch fits any model. NULL when out
 * of memory; free with viral_model_scratch_free() (NULL-safe). */
typedef struct viral_model_scratch viral_model_scratch;
viral_model_scratch *viral_model_scratch_create(void);
void viral_model_scratch_free(viral_model_scratch *s);

/* Score one record, working in s. With reasons != NULL and max_reasons >
 * 0, also the features that moved the score most (by |contribution|,
 * largest first): *reason_count is set to how many were written. */
int viral_model_predict(const viral_model *m, viral_model_scratch *s, const viral_record *rec,
                        viral_prediction *out, viral_reason *reasons, size_t max_reasons,
                        size_t *reason_count, viral_error *err);

/* The reasons of viral_model_predict for a row already transformed by the
 * model's pipeline: x its vector, rec the record it came from (which names
 * the features), working in s. *reason_count is set to how many were
 * written. */
int viral_model_explain(const viral_model *m, viral_model_scratch *s, const viral_sparse *x,
                        const viral_record *rec, viral_reason *reasons, size_t max_reasons,
                        size_t *reason_count, viral_error *err);

/* An untrained model of an online learner (viral_learner_online) with a
 * copy of p, as viral_model_train starts one: opts' learner parameters and
 * threshold, no rows. For learning one row at a time (progressive
 * validation); balanced class weights, a calibration and whatever else
 * needs the data first (the logistic learner's passes and shuffle) are
 * refused. NULL with err set. */
viral_model *viral_model_create(const viral_pipeline *p, const viral_train_options *opts,
                                viral_error *err);

/* viral_model_learn on a row already transformed by the model's pipeline:
 * x its vector, y its label (0 or 1), posted_at its time (NAN: unknown; it
 * only feeds the time span). Bit for bit what viral_model_learn does with
 * the record x came from. */
int viral_model_learn_vector(viral_model *m, const viral_sparse *x, double y, double posted_at,
                             viral_error *err);

/* viral_model_predict without reasons on a row already transformed by the
 * model's pipeline (bit-identical probability). */
int viral_model_predict_vector(const viral_model *m, const viral_sparse *x, viral_prediction *out,
                               viral_error *err);

/* ---- what is inside ---- */

const viral_learner *viral_model_learner(const viral_model *m);
const viral_pipeline *viral_model_pipeline(const viral_model *m);
viral_pipeline *viral_model_pipeline_mut(viral_model *m);
double viral_model_threshold(const viral_model *m);
void viral_model_set_threshold(viral_model *m, double threshold);
/* Rows and positives learned in all (train plus updates), updates applied. */
uint64_t viral_model_rows(const viral_model *m);
uint64_t viral_model_positives(const viral_model *m);
uint64_t viral_model_updates(const viral_model *m);
/* Earliest and latest posted_at seen in training (unix seconds; NAN when
 * the data had none). */
void viral_model_time_span(const viral_model *m, double *first, double *last);
/* The calibration applied to the learner's probability (kind none: none). */
const viral_calibration *viral_model_calibration(const viral_model *m);
/* The model's file as a JSON text (what save writes, without the checksum);
 * caller frees. */
char *viral_model_to_json_text(const viral_model *m, viral_error *err);

/* The learner's own description for people, from its fitted state: "ftrl,
 * alpha 0.5, beta 1, l1 0, l2 1, 1 pass, 2^18 weights, 4301 non-zero" or
 * "linear kernel, gamma 0, 52 support vectors". Always NUL-terminated. */
void viral_model_describe_learner(const viral_model *m, char *buf, size_t size);

/* One weight of the model: on the raw value of the feature at index. */
typedef struct viral_weight {
  uint32_t index;
  double weight;
} viral_weight;

/* The model's non-zero weights, largest first (*n of them; caller frees).
 * NULL with *n 0 and err saying why when the learner has none ("an RBF
 * kernel has no feature weights"; VIRAL_MISSING) or memory ran out. */
viral_weight *viral_model_weights(const viral_model *m, size_t *n, viral_error *err);

/* A feature's importance on a scale common to all features (inspect, the
 * HTML evaluation report). */
typedef struct viral_importance {
  uint32_t index;
  double importance; /* linear learners: weight x spread, signed (the score's change for one
                        standard deviation of the feature in training); gbt: total gain */
  double weight;     /* the weight on the feature's value (gbt: its gain) */
  double spread;     /* the feature's standard deviation in training (NAN for gbt) */
} viral_importance;

/* The features of m by importance, largest |importance| first (*n of
 * them; caller frees), and what it measures in *measure (static): for a
 * learner with signed weights (logistic, linear SVM), weight x the
 * feature's standard deviation in training, spread[index] when spread
 * (a [dim] array) is given, else the model's training profile
 * (viral_pipeline_spread); features whose spread is unknown (a hashed
 * feature too rare to be named) are left out and counted in *unranked
 * (may be NULL). A model without a profile (an older file) ranks by raw
 * weight and says so. gbt: its total gain, as XGBoost reports it. NULL with
 * *n 0 and err set when the learner has no weights (an RBF kernel;
 * VIRAL_MISSING) or memory ran out. */
viral_importance *viral_model_importance(const viral_model *m, const double *spread, size_t *n,
                                         const char **measure, size_t *unranked, viral_error *err);

/* What `viral inspect` prints of the model loaded from path, to out: its
 * metadata, label rule, learner and its top features by importance
 * (viral_model_importance; at most top, or why there are none), each named
 * in words. VIRAL_OK or VIRAL_ERR_NOMEM. */
int viral_model_inspect_text(const viral_model *m, const char *path, size_t top, FILE *out,
                             viral_error *err);

/* What `viral inspect --json` prints of the model loaded from path: its
 * metadata, label rule, the spec as it applies it, its top features by
 * importance ("importance": what it measures, "top_importance": [{"feature",
 * "label", "index", "importance", "weight", "sd"}], at most top) and, for
 * a learner with signed weights, its top raw weights of each sign
 * ("top_positive", "top_negative", as before). Caller frees; NULL when out
 * of memory. */
char *viral_model_inspect_json(const viral_model *m, const char *path, size_t top, viral_error *err);

#ifdef __cplusplus
}
#endif
#endif
