/* learner.h - the learner table: what a model, its file, eval, tune,
 * inspect and the command line ask of a learner (viral/learner.h). One
 * struct of operations per learner, in its own file (logistic_learner.c,
 * svm_learner.c, gbt_learner.c); the table that lists them is learner.c. Internal: cJSON
 * and the model document's types appear here.
 *
 * A learner keeps its fitted state (weights, support vectors, trees...)
 * behind a void pointer the model holds; nothing outside the learner's file
 * looks into it. Its training parameters live in a viral_train_options'
 * params block (at most VIRAL_TRAIN_PARAMS_SIZE bytes).
 *
 * Adding a learner: its .c (and the .h of what it adapts), a row in
 * learner.c's table, its tests. Required operations: name, options,
 * params_*, fit, predict, to_json, from_json, free. Optional (NULL when it
 * cannot): update (continue on new rows; NULL: `viral update` refuses),
 * create/learn (learn one row at a time: online), contributions
 * (--explain), weights (inspect), check, counts_first, tune_axes, the
 * describe operations. */
#ifndef VIRAL_LEARN_LEARNER_H
#define VIRAL_LEARN_LEARNER_H

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "model/document.h"
#include "viral/features.h"
#include "viral/learner.h"
#include "viral/model.h"
#include "viral/vector.h"

/* The rows a learner fits on, one at a time: the model's row source less
 * the rows held out for calibration, with the model's bookkeeping (counts,
 * time span) done. model.c. */
typedef struct viral_fit_rows viral_fit_rows;
/* 1 and the row's vector, label (0 or 1) and weight; 0 at the end; or a
 * negative status with err set. */
int viral_fit_rows_next(viral_fit_rows *r, const viral_sparse **x, double *y, double *weight,
                        viral_error *err);
/* The record number (0-based, in the input) of the row viral_fit_rows_next
 * gave last, and its posted_at (Unix seconds; NAN when it has none). */
uint64_t viral_fit_rows_record(const viral_fit_rows *r);
double viral_fit_rows_posted_at(const viral_fit_rows *r);
/* The error of a training input without a labelled row (its label rule
 * and what the rows had instead): returns its status. */
int viral_fit_rows_none(const viral_fit_rows *r, viral_error *err);

/* What training hands a learner. */
typedef struct viral_learner_fit {
  const viral_train_options *opts;
  const viral_pipeline *pipeline;
  /* [2] labelled rows of class 0 and 1 in the whole input (held-out rows
   * included), when the learner's counts_first asked for them; else NULL */
  const uint64_t *class_counts;
  /* a probability for the training summary: each row's before it was
   * learned (online), or the fitted model's on its rows */
  void (*scored)(void *ctx, double p, double y);
  void *scored_ctx;
} viral_learner_fit;

/* One parameter tune searches (viral_tune_grid in viral/eval.h). */
typedef struct viral_tune_axis_def {
  const char *name;   /* the learner option it sets ("alpha", "C") */
  const char *option; /* tune's option giving its values ("alpha-grid", "log2c"); NULL:
                         held at the options' value */
  const char *grid;   /* its default values, as the option gives them */
  int log2;           /* the values are BEGIN,END,STEP on the log2 scale (libsvm's grid.py);
                         else a list */
  int positive;       /* the values must be > 0 */
} viral_tune_axis_def;

struct viral_learner {
  const char *name;
  const char *summary; /* a few words for --learner's help: "batch optimum, then online" */
  /* the pipeline scaling it trains with: "none" when it learns its inputs'
   * scale online, NULL for the spec's own */
  const char *scaling;
  /* NULL when its weights (below) are signed weights on the features'
   * values; else what its non-negative weights measure ("total gain"), and
   * inspect lists the features by it */
  const char *importance;
  /* its options in the order the command line lists them (NULL name ends);
   * an entry with a NULL help is one every learner shares (seed,
   * class-weight), shown here and read by viral_train_options_parse */
  const viral_option *options;
  /* tune's options of its grid (NULL name ends; may be NULL) */
  const viral_option *tune_options;

  /* ---- parameters: in the params block of a viral_train_options ---- */
  void (*params_init)(void *params);
  /* read its own options: VIRAL_OK, or VIRAL_ERR_INVALID with the usage
   * error in err */
  int (*params_parse)(void *params, viral_option_get get, void *ctx, viral_error *err);
  /* NULL when o's parameters are usable, else what is wrong */
  const char *(*params_check)(const viral_train_options *o);
  /* "ftrl alpha 0.5 beta 1 l1 0 l2 1 passes 1" */
  void (*params_describe)(const viral_train_options *o, char *buf, size_t size);
  /* tune: the axes of o's grid (static), and setting a point */
  size_t (*tune_axes)(const viral_train_options *o, const viral_tune_axis_def **axes);
  int (*param_set)(viral_train_options *o, const char *name, double value);
  double (*param_get)(const viral_train_options *o, const char *name);

  /* ---- training ---- */
  /* 1 when fit can take rows spread over the processes of an MPI job
   * (o->spread: each process calls fit on its share, together) */
  int spreads;
  /* before any pass over the data: can it learn p's vectors with o? */
  int (*check)(const viral_train_options *o, const viral_pipeline *p, viral_error *err);
  /* 1 when fit needs the class counts of all labelled rows first */
  int (*counts_first)(const viral_train_options *o);
  /* a fitted state from rows, or NULL with err set */
  void *(*fit)(const viral_learner_fit *f, viral_fit_rows *rows, viral_error *err);
  /* continue state on rows: VIRAL_OK, or an error with state unchanged (or,
   * online, holding the rows learned before the failing one) */
  int (*update)(void *state, const viral_learner_fit *f, viral_fit_rows *rows, viral_error *err);

  /* ---- online: learning one row at a time (NULL for a batch learner) ---- */
  /* NULL when an untrained state with o can learn one row at a time, else
   * why not ("passes and shuffling need the data first") */
  const char *(*online_refusal)(const viral_train_options *o);
  void *(*create)(const viral_train_options *o, const viral_pipeline *p, viral_error *err);
  /* learn (x, y): *p_before (may be NULL) the probability before */
  int (*learn)(void *state, const viral_sparse *x, double y, double *p_before, viral_error *err);

  /* ---- scoring (state is read only: threads may share it) ---- */
  int (*predict)(const void *state, const viral_sparse *x, double *probability, double *margin,
                 viral_error *err);
  /* out[k] (out: [x->count]): item k's share of the score (--explain) */
  int (*contributions)(const void *state, const viral_sparse *x, double *out, viral_error *err);
  /* 1: contributions are measured from the video at the training mean, so a
   * dense coordinate at 0 (absent from x) has one too, and explain ranks
   * every dense coordinate; 0: from x = 0, absent coordinates have none */
  int contributions_from_mean;
  /* w[i] (w: [dim]) the weight on feature i's raw value: VIRAL_OK, or
   * VIRAL_MISSING with err saying why it has none */
  int (*weights)(const void *state, double *w, uint32_t dim, viral_error *err);
  /* inspect: "ftrl, alpha 0.5, ..., 4301 non-zero" */
  void (*describe)(const void *state, char *buf, size_t size);
  /* inspect --json: its own members; VIRAL_OK or VIRAL_ERR_NOMEM */
  int (*describe_json)(const void *state, cJSON *o);

  /* ---- the model file: its own section ---- */
  /* the section's key and the members the loader reads (model/document.h);
   * a member marked cut comes to from_json as text */
  viral_document_key section;
  /* add its section to doc; a member streamed while the file is written
   * gets a placeholder in doc and its writer in parts[*count] */
  int (*to_json)(const void *state, cJSON *doc, viral_document_part *parts, size_t *count,
                 viral_error *err);
  /* its state from doc's section (cut: the cut member's text, cut_len
   * bytes, NULL when doc holds it), checked against the model's pipeline p;
   * errors name path */
  void *(*from_json)(const cJSON *doc, const char *cut, size_t cut_len, const viral_pipeline *p,
                     const char *path, viral_error *err);
  void (*free)(void *state);
};

/* The learners (learner.c's table, each in its own file). */
extern const viral_learner viral_logistic_learner_;
extern const viral_learner viral_svm_learner_;
extern const viral_learner viral_gbt_learner_;

/* ---- shared by the learners' files (learner.c) ---- */

/* A usage error: VIRAL_ERR_INVALID with the message. */
int viral_option_error(viral_error *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* The state of model m when its learner is l, else NULL (model.c). */
void *viral_model_state_(const viral_model *m, const viral_learner *l);

#endif
