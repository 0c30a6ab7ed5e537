/* viral/svm.h - the SVM learner: libsvm's C-SVC behind viral's vectors.
 *
 * Binary classification of 0/1 labels with a linear or RBF kernel, class
 * weights, and Platt-scaled probabilities (libsvm's `-b 1`). With the same
 * vectors and options, training gives the model `svm-train` gives (support
 * vectors, coefficients, rho, probA/probB), because libsvm's rand() is
 * seeded the way svm-train leaves it (seed 1) unless told otherwise.
 *
 * Orientation: whatever order libsvm saw the classes in, viral's decision
 * value is positive for class 1 and the probability is P(class 1).
 *
 * Not thread-safe: training seeds and draws from the C library's global
 * rand() (and so changes the rand() sequence the rest of the process sees),
 * and libsvm's message hook is one process-wide function pointer. Prediction
 * on a finished model is read-only and may run from several threads.
 *
 * Feature indices: viral's are 0-based; inside the adapter (and in the model
 * text) they are index + 1, the way libsvm files number features, so the
 * text of a model equals the model file svm-train writes for the same
 * vectors in a 1-based libsvm data file. */
#ifndef VIRAL_SVM_H
#define VIRAL_SVM_H

#include <stddef.h>

#include "viral/error.h"
#include "viral/vector.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum viral_svm_kernel {
  VIRAL_SVM_LINEAR = 0, /* u'v */
  VIRAL_SVM_RBF = 1     /* exp(-gamma |u - v|^2) */
} viral_svm_kernel;

#define VIRAL_SVM_MAX_CACHE_MB 1048576.0 /* 1 TiB */

/* Training options. Caller-owned; viral_svm_params_init() sets svm-train's
 * defaults except for the kernel (linear here: svm-train defaults to RBF). */
typedef struct viral_svm_params {
  viral_svm_kernel kernel;
  double C;             /* cost, > 0 (svm-train -c; default 1) */
  double gamma;         /* RBF width, >= 0; 0 = 1 / (1 + largest feature index
                           in the training rows), which is svm-train's
                           1/num_features (default 0) */
  double weight0;       /* C of class 0 is weight0 * C (svm-train -w0; default 1) */
  double weight1;       /* C of class 1 is weight1 * C (svm-train -w1; default 1) */
  int probability;      /* 1: fit Platt scaling by 5-fold CV (svm-train -b 1; default 1) */
  double cache_mb;      /* kernel cache, MB, at most VIRAL_SVM_MAX_CACHE_MB
                           (svm-train -m; default 100) */
  double eps;           /* stopping tolerance (svm-train -e; default 0.001) */
  int shrinking;        /* 0 or 1 (svm-train -h; default 1) */
  unsigned int seed;    /* srand() value before training (default 1, as svm-train) */
  int liblinear;        /* 1: the linear kernel is fitted by LIBLINEAR (-s 2: C-SVC
                           with the squared slack, its intercept lightly penalised;
                           Platt probabilities by 5-fold CV as -b 1) in a fraction
                           of libsvm's time, giving a model of the same shape (the
                           rows inside the margin as support vectors); 0 (default):
                           libsvm, as svm-train. The svm learner sets it for the
                           linear kernel. */
} viral_svm_params;

/* Fill params with the defaults listed above. */
void viral_svm_params_init(viral_svm_params *params);

/* NULL when params are usable, else a static string saying what is wrong
 * ("C must be > 0", ...). Checks what libsvm's svm_check_parameter checks
 * plus viral's own limits. */
const char *viral_svm_params_check(const viral_svm_params *params);

/* A trained (or loaded) model. Opaque; owns all its memory. */
typedef struct viral_svm_model viral_svm_model;

/* Train C-SVC on ds (labels 0/1, both classes present; values finite;
 * indices below INT32_MAX - 1). ds is not kept: the model copies its support
 * vectors. Returns a model to free with viral_svm_model_free(), or NULL with
 * err set. Not thread-safe (see the top of this file). */
viral_svm_model *viral_svm_train(const viral_svm_params *params, const viral_dataset *ds,
                                 viral_error *err);

/* Incremental update by support-vector carry-over (an approximation of
 * training on all rows ever seen): retrain on the model's support vectors,
 * each with the label of its class, followed by the rows of new_rows.
 * budget caps the support vectors carried over (0: no cap): when the model
 * has more, those with the largest |coefficient| are kept (ties: earlier in
 * the model first), in model order. Old rows that were not support vectors
 * are gone for good, which is what makes this approximate.
 * params gives the options; its gamma 0 means the model's own gamma for an
 * RBF model (so the kernel does not drift as rows arrive). model is left
 * unchanged. Returns a new model (free with viral_svm_model_free()) or NULL
 * with err set. Not thread-safe. */
viral_svm_model *viral_svm_update(const viral_svm_model *model, const viral_dataset *new_rows,
                                  size_t budget, const viral_svm_params *params,
                                  viral_error *err);

/* The rows viral_svm_update() carries over: appends to out (a caller-owned,
 * initialised dataset) the model's support vectors with their labels, capped
 * by budget as described there. */
int viral_svm_carry_over(const viral_svm_model *model, size_t budget, viral_dataset *out,
                         viral_error *err);

/* Score x (a finished sparse vector). Fills *decision (positive: class 1;
 * for the linear kernel w'x + b) and *probability (P(class 1), Platt-scaled;
 * 0.5 at decision 0 is not implied) when the pointers are not NULL. A
 * probability asked of a model trained without probability=1 is an error
 * (VIRAL_ERR_INVALID). Non-finite values in x are an error. */
int viral_svm_predict(const viral_svm_model *model, const viral_sparse *x, double *probability,
                      double *decision, viral_error *err);

/* Explain a score: out[i] (out: [x->count]) = decision(x) - decision(x with
 * item i removed), the change of the decision value when feature
 * x->items[i].index is taken out. For the linear kernel that is w_j * x_j.
 * Costs x->count + 1 decision evaluations. */
int viral_svm_contributions(const viral_svm_model *model, const viral_sparse *x, double *out,
                            viral_error *err);

/* For a linear-kernel model: the equivalent weights, decision(x) = w'x +
 * bias (w: [dim], indexed by viral's 0-based feature index; features at or
 * beyond dim are left out, so pass dim above the largest index in use). Sums
 * the support vectors in model order, so w'x + bias can differ from
 * viral_svm_predict's decision in the last bits. VIRAL_ERR_INVALID for an
 * RBF model, which has no weights. */
int viral_svm_linear_weights(const viral_svm_model *model, double *w, size_t dim, double *bias,
                             viral_error *err);

/* Number of support vectors. */
size_t viral_svm_support_vector_count(const viral_svm_model *model);
/* 1 when the model has Platt coefficients (trained with probability=1). */
int viral_svm_has_probability(const viral_svm_model *model);
/* The kernel, and gamma (0 for the linear kernel). */
viral_svm_kernel viral_svm_model_kernel(const viral_svm_model *model);
double viral_svm_model_gamma(const viral_svm_model *model);

/* The model as libsvm model-file text (svm_type, kernel_type, gamma, nr_class,
 * total_sv, rho, label, probA, probB, nr_sv, SV lines), NUL-terminated, in a
 * buffer the caller frees with free(). Written by viral in the C locale with
 * the layout svm_save_model uses, except that support-vector values get the
 * shortest form that reads back exactly (libsvm writes %.8g and loses bits);
 * a value with at most 8 significant digits prints as %.8g does, so for such
 * data the text is byte-identical to svm-train's model file. svm-predict
 * reads it. Numbers are written and read in the C locale (viral never calls
 * setlocale; a program that does must keep LC_NUMERIC at "C"). *len (may be
 * NULL) gets strlen. */
int viral_svm_to_text(const viral_svm_model *model, char **text, size_t *len, viral_error *err);

/* Parse model text (len bytes; need not be NUL-terminated). The text is
 * validated completely (keys, counts, numbers, index order and range, sizes
 * bounded by the text's own length) before anything is built, so a truncated
 * or hostile text is refused with a message and never crashes. Accepts what
 * viral_svm_to_text and svm-train (c_svc, linear or rbf, two classes 0 and
 * 1) write. to_text(from_text(t)) == t for text viral wrote, and a reloaded
 * model predicts bit for bit what the original did. Returns a model (free
 * with viral_svm_model_free()) or NULL with err set ("svm model line N: ..."). */
viral_svm_model *viral_svm_from_text(const char *text, size_t len, viral_error *err);

/* NULL-safe. */
void viral_svm_model_free(viral_svm_model *model);

/* Rough training time in seconds for rows rows with avg_nonzeros non-zeros
 * each, so a caller can warn before a run that takes hours (kernel SVM
 * training grows with the square of the rows or worse). A model measured on
 * this project's machines; see svm.c for the measurement. Use the logistic
 * learner for large data. */
double viral_svm_estimate_seconds(const viral_svm_params *params, size_t rows,
                                  double avg_nonzeros);

/* libsvm's progress messages ("optimization finished, #iter = ...") go to
 * log(message, ctx) when log is set, and nowhere when it is NULL (the
 * default). Process-wide; not thread-safe. */
void viral_svm_set_log(void (*log)(const char *message, void *ctx), void *ctx);

/* ---- as a model's learner ("svm" in viral/learner.h) ---- */

typedef struct viral_model viral_model;
typedef struct viral_train_options viral_train_options;

/* The svm learner's parameters in o (when it trains, seed, weight0 and
 * weight1 become the options' seed and class weights, and probability 1);
 * NULL when o's learner is another. */
viral_svm_params *viral_train_options_svm(viral_train_options *o);
/* An svm model's libsvm model (borrowed); NULL when m holds another. */
const viral_svm_model *viral_model_svm(const viral_model *m);

#ifdef __cplusplus
}
#endif
#endif
