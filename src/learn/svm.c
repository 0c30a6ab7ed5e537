/* svm.c - the libsvm adapter (include/viral/svm.h): training, prediction,
 * explanations, support-vector carry-over, the model text and the time
 * estimate.
 *
 * viral's sparse vectors become svm_node arrays here and nowhere else; a
 * node's index is viral's index + 1 (libsvm files count features from 1). */
#include "viral/svm.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <svm.h>

#include "learn/svm_linear.h"
#include "viral/writer.h"

/* The model: a libsvm svm_model whose every pointer points at arrays this
 * struct owns, so libsvm predicts with it directly and viral alone frees it
 * (no "does the model own its vectors" flag to get wrong). */
struct viral_svm_model {
  struct svm_model m;
  struct svm_node *x_space; /* [nodes]: support vectors, each ended by index -1 */
  size_t nodes;
  struct svm_node **sv;     /* [l]: sv[i] points into x_space */
  double *coef;             /* [l]: y_i alpha_i, positive for class label[0] */
  double *coef_rows[1];     /* libsvm's sv_coef: one row for two classes */
  double rho[1], prob_a[1], prob_b[1];
  int label[2], n_sv[2];
  double sign;              /* +1 when label[0] is 1: makes decisions face class 1 */
};

/* ---- parameters ---- */

void viral_svm_params_init(viral_svm_params *params) {
  memset(params, 0, sizeof *params);
  params->kernel = VIRAL_SVM_LINEAR;
  params->C = 1.0;
  params->gamma = 0.0;
  params->weight0 = 1.0;
  params->weight1 = 1.0;
  params->probability = 1;
  params->cache_mb = 100.0;
  params->eps = 0.001;
  params->shrinking = 1;
  params->seed = 1;
  params->liblinear = 0;
}

const char *viral_svm_params_check(const viral_svm_params *p) {
  if (p->kernel != VIRAL_SVM_LINEAR && p->kernel != VIRAL_SVM_RBF)
    return "kernel must be linear or rbf";
  /* !(x > 0) also refuses NaN, which libsvm's own checks let through. */
  if (!(p->C > 0) || !isfinite(p->C)) return "C must be a finite number > 0";
  if (!(p->gamma >= 0) || !isfinite(p->gamma)) return "gamma must be a finite number >= 0";
  if (!(p->weight0 > 0) || !isfinite(p->weight0) || !(p->weight1 > 0) || !isfinite(p->weight1))
    return "class weights must be finite numbers > 0";
  if (p->probability != 0 && p->probability != 1) return "probability must be 0 or 1";
  /* libsvm turns the cache size into a byte count in a long */
  if (!(p->cache_mb > 0) || !(p->cache_mb <= VIRAL_SVM_MAX_CACHE_MB))
    return "cache size must be a number of MB > 0 and at most 1048576";
  if (!(p->eps > 0) || !isfinite(p->eps)) return "eps must be a finite number > 0";
  if (p->shrinking != 0 && p->shrinking != 1) return "shrinking must be 0 or 1";
  if (p->liblinear != 0 && p->liblinear != 1) return "liblinear must be 0 or 1";
  return NULL;
}

/* ---- libsvm's messages ---- */

static void (*log_fn)(const char *message, void *ctx);
static void *log_ctx;

/* libsvm prints to stdout unless given a function; ours drops the text or
 * hands it to the caller's hook. */
static void forward_libsvm_message(const char *s) {
  if (log_fn) log_fn(s, log_ctx);
}

void viral_svm_set_log(void (*log)(const char *message, void *ctx), void *ctx) {
  log_fn = log;
  log_ctx = ctx;
}

/* ---- the model ---- */

static viral_svm_model *model_alloc(size_t l, size_t nodes) {
  viral_svm_model *m = calloc(1, sizeof *m);
  if (!m) return NULL;
  /* +1: no zero-size allocations for a model without support vectors */
  m->x_space = malloc((nodes + 1) * sizeof *m->x_space);
  m->sv = malloc((l + 1) * sizeof *m->sv);
  m->coef = malloc((l + 1) * sizeof *m->coef);
  if (!m->x_space || !m->sv || !m->coef) {
    viral_svm_model_free(m);
    return NULL;
  }
  m->nodes = nodes;
  m->coef_rows[0] = m->coef;
  struct svm_model *s = &m->m;
  s->param.svm_type = C_SVC;
  s->param.degree = 3;
  s->nr_class = 2;
  s->l = (int)l;
  s->SV = m->sv;
  s->sv_coef = m->coef_rows;
  s->rho = m->rho;
  s->label = m->label;
  s->nSV = m->n_sv;
  /* viral frees every array itself; libsvm's free functions are never
   * called on this struct, so its ownership flag stays irrelevant. */
  s->free_sv = 0;
  return m;
}

/* Everything but the support vectors, as model text states it (the
 * trained model is described the same way). seen: which keys were given
 * (HAS_PROB_A for Platt coefficients). */
typedef struct {
  int seen, rbf;
  double gamma, rho, prob_a, prob_b;
  long total_sv, label[2], n_sv[2];
} model_header;

enum {
  HAS_TYPE = 1 << 0, HAS_KERNEL = 1 << 1, HAS_GAMMA = 1 << 2, HAS_NR_CLASS = 1 << 3,
  HAS_TOTAL = 1 << 4, HAS_RHO = 1 << 5, HAS_LABEL = 1 << 6, HAS_PROB_A = 1 << 7,
  HAS_PROB_B = 1 << 8, HAS_NR_SV = 1 << 9
};

static void apply_header(viral_svm_model *m, const model_header *h) {
  struct svm_model *s = &m->m;
  s->param.kernel_type = h->rbf ? RBF : LINEAR;
  s->param.gamma = h->rbf ? h->gamma : 0.0;
  m->rho[0] = h->rho;
  for (int k = 0; k < 2; k++) {
    m->label[k] = (int)h->label[k];
    m->n_sv[k] = (int)h->n_sv[k];
  }
  m->sign = m->label[0] == 1 ? 1.0 : -1.0;
  int probability = (h->seen & HAS_PROB_A) != 0;
  m->prob_a[0] = h->prob_a;
  m->prob_b[0] = h->prob_b;
  s->param.probability = probability;
  s->probA = probability ? m->prob_a : NULL;
  s->probB = probability ? m->prob_b : NULL;
}

void viral_svm_model_free(viral_svm_model *m) {
  if (!m) return;
  free(m->coef);
  free(m->sv);
  free(m->x_space);
  free(m);
}

size_t viral_svm_support_vector_count(const viral_svm_model *m) { return (size_t)m->m.l; }

int viral_svm_has_probability(const viral_svm_model *m) { return m->m.probA != NULL; }

viral_svm_kernel viral_svm_model_kernel(const viral_svm_model *m) {
  return m->m.param.kernel_type == RBF ? VIRAL_SVM_RBF : VIRAL_SVM_LINEAR;
}

double viral_svm_model_gamma(const viral_svm_model *m) {
  return m->m.param.kernel_type == RBF ? m->m.param.gamma : 0.0;
}

/* Deep copy of what svm_train returned: its support vectors point into the
 * training problem, which viral frees right after training. */
static viral_svm_model *adopt_trained(const struct svm_model *t) {
  size_t l = (size_t)t->l, nodes = 0;
  for (size_t i = 0; i < l; i++) {
    const struct svm_node *p = t->SV[i];
    while (p->index != -1) p++;
    nodes += (size_t)(p - t->SV[i]) + 1;
  }
  viral_svm_model *m = model_alloc(l, nodes);
  if (!m) return NULL;
  size_t at = 0;
  for (size_t i = 0; i < l; i++) {
    m->sv[i] = m->x_space + at;
    const struct svm_node *p = t->SV[i];
    do m->x_space[at++] = *p; while ((p++)->index != -1);
    m->coef[i] = t->sv_coef[0][i];
  }
  model_header h;
  memset(&h, 0, sizeof h);
  h.rbf = t->param.kernel_type == RBF;
  h.gamma = t->param.gamma;
  h.rho = t->rho[0];
  for (int k = 0; k < 2; k++) {
    h.label[k] = t->label[k];
    h.n_sv[k] = t->nSV[k];
  }
  if (t->probA && t->probB) {
    h.seen |= HAS_PROB_A | HAS_PROB_B;
    h.prob_a = t->probA[0];
    h.prob_b = t->probB[0];
  }
  apply_header(m, &h);
  return m;
}

/* ---- training ---- */

/* Largest node index libsvm can hold, as viral index + 1, leaving -1 free. */
#define MAX_VIRAL_INDEX ((uint32_t)INT_MAX - 2u)

/* items: [count] as svm_node, ended by index -1; nodes: [count + 1]. row
 * (1-based) names the training row in messages; 0 means a vector to score. */
static int to_nodes(const viral_feature *items, size_t count, struct svm_node *nodes, size_t row,
                    viral_error *err) {
  char where[48] = "the vector";
  if (row) snprintf(where, sizeof where, "row %zu", row);
  for (size_t i = 0; i < count; i++) {
    if (items[i].index > MAX_VIRAL_INDEX)
      return viral_error_set(err, VIRAL_ERR_LIMIT, NULL, 0,
                             "svm: %s: feature index %lu is beyond libsvm's range", where,
                             (unsigned long)items[i].index);
    if (i > 0 && items[i].index <= items[i - 1].index)
      return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0,
                             "svm: %s: feature indices are not increasing", where);
    if (!isfinite(items[i].value))
      return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0,
                             "svm: %s: feature %lu is not a finite number", where,
                             (unsigned long)items[i].index);
    nodes[i].index = (int)items[i].index + 1;
    nodes[i].value = items[i].value;
  }
  nodes[count].index = -1;
  nodes[count].value = 0.0;
  return VIRAL_OK;
}

viral_svm_model *viral_svm_train(const viral_svm_params *params, const viral_dataset *ds,
                                 viral_error *err) {
  const char *bad = viral_svm_params_check(params);
  if (bad) {
    viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "svm: %s", bad);
    return NULL;
  }
  if (ds->rows == 0 || ds->rows > (size_t)INT_MAX) {
    viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "svm: %zu training rows (need 1 to %d)",
                    ds->rows, INT_MAX);
    return NULL;
  }
  size_t count[2] = {0, 0};
  for (size_t r = 0; r < ds->rows; r++) {
    if (ds->labels[r] != 0.0 && ds->labels[r] != 1.0) {
      viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "svm: row %zu: label %g is not 0 or 1",
                      r + 1, ds->labels[r]);
      return NULL;
    }
    count[ds->labels[r] == 1.0]++;
  }
  if (count[0] == 0 || count[1] == 0) {
    viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0,
                    "svm: the training rows hold only class %d: need both classes",
                    count[1] ? 1 : 0);
    return NULL;
  }

  if (params->kernel == VIRAL_SVM_LINEAR && params->liblinear) return svm_linear_train(params, ds, err);

  viral_svm_model *model = NULL;
  struct svm_model *trained = NULL;
  struct svm_problem prob;
  prob.l = (int)ds->rows;
  prob.y = malloc(ds->rows * sizeof *prob.y);
  prob.x = malloc(ds->rows * sizeof *prob.x);
  /* x_space: [rows + nnz], each row's nodes then its -1 terminator */
  struct svm_node *x_space = malloc((ds->row_start[ds->rows] + ds->rows) * sizeof *x_space);
  if (!prob.y || !prob.x || !x_space) {
    viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "svm: out of memory for %zu rows", ds->rows);
    goto done;
  }
  size_t at = 0;
  for (size_t r = 0; r < ds->rows; r++) {
    size_t n = ds->row_start[r + 1] - ds->row_start[r];
    if (to_nodes(ds->items + ds->row_start[r], n, x_space + at, r + 1, err) != VIRAL_OK)
      goto done;
    prob.x[r] = x_space + at;
    prob.y[r] = ds->labels[r];
    at += n + 1;
  }

  int weight_label[2] = {0, 1};
  double weight[2] = {params->weight0, params->weight1};
  struct svm_parameter sp;
  memset(&sp, 0, sizeof sp);
  sp.svm_type = C_SVC;
  sp.kernel_type = params->kernel == VIRAL_SVM_RBF ? RBF : LINEAR;
  sp.degree = 3;
  /* svm-train's default: 1/num_features, num_features being the largest
   * 1-based index in the file, which is ds->dim */
  sp.gamma = params->gamma > 0 || ds->dim == 0 ? params->gamma : 1.0 / ds->dim;
  sp.coef0 = 0;
  sp.cache_size = params->cache_mb;
  sp.eps = params->eps;
  sp.C = params->C;
  sp.nr_weight = 2;
  sp.weight_label = weight_label;
  sp.weight = weight;
  sp.nu = 0.5;
  sp.p = 0.1;
  sp.shrinking = params->shrinking;
  sp.probability = params->probability;
  bad = svm_check_parameter(&prob, &sp);
  if (bad) {
    viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "svm: libsvm refuses the parameters: %s", bad);
    goto done;
  }

  svm_set_print_string_function(forward_libsvm_message);
  /* svm-train never seeds, so its rand() starts from seed 1: seeding the same
   * gives the same probability folds, hence the same probA/probB. */
  srand(params->seed);
  trained = svm_train(&prob, &sp);
  if (!trained || trained->nr_class != 2) {
    viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "svm: libsvm did not return a two-class model");
    goto done;
  }
  model = adopt_trained(trained);
  if (!model) viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "svm: out of memory copying the model");

done:
  if (trained) svm_free_and_destroy_model(&trained);
  free(x_space);
  free(prob.x);
  free(prob.y);
  return model;
}

viral_svm_model *svm_model_linear(const viral_dataset *svs, const double *coef, size_t n_class1, double rho,
                                  int probability, double prob_a, double prob_b, viral_error *err) {
  size_t l = svs->rows;
  viral_svm_model *m = model_alloc(l, svs->row_start[l] + l);
  if (!m) {
    viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "svm: out of memory for the model");
    return NULL;
  }
  size_t at = 0;
  for (size_t i = 0; i < l; i++) {
    size_t n = svs->row_start[i + 1] - svs->row_start[i];
    if (to_nodes(svs->items + svs->row_start[i], n, m->x_space + at, i + 1, err) != VIRAL_OK) {
      viral_svm_model_free(m);
      return NULL;
    }
    m->sv[i] = m->x_space + at;
    m->coef[i] = coef[i];
    at += n + 1;
  }
  model_header h;
  memset(&h, 0, sizeof h);
  h.rho = rho;
  h.label[0] = 1; /* decisions face class 1 */
  h.label[1] = 0;
  h.n_sv[0] = (long)n_class1;
  h.n_sv[1] = (long)(l - n_class1);
  if (probability) {
    h.seen |= HAS_PROB_A | HAS_PROB_B;
    h.prob_a = prob_a;
    h.prob_b = prob_b;
  }
  apply_header(m, &h);
  return m;
}

/* ---- prediction ---- */

#define STACK_NODES 64

/* Raw libsvm decision value of nodes (label[0] positive), made viral's. */
static double decision_of(const viral_svm_model *m, const struct svm_node *nodes) {
  double dec = 0.0;
  svm_predict_values(&m->m, nodes, &dec);
  return m->sign * dec;
}

int viral_svm_predict(const viral_svm_model *m, const viral_sparse *x, double *probability,
                      double *decision, viral_error *err) {
  if (probability && !viral_svm_has_probability(m))
    return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0,
                           "svm: the model was trained without probability estimates");
  struct svm_node stack[STACK_NODES], *nodes = stack;
  if (x->count + 1 > STACK_NODES && !(nodes = malloc((x->count + 1) * sizeof *nodes)))
    return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "svm: out of memory");
  int rc = to_nodes(x->items, x->count, nodes, 0, err);
  if (rc == VIRAL_OK) {
    if (decision) *decision = decision_of(m, nodes);
    if (probability) {
      double est[2];
      svm_predict_probability(&m->m, nodes, est);
      *probability = m->label[0] == 1 ? est[0] : est[1];
    }
  }
  if (nodes != stack) free(nodes);
  return rc;
}

int viral_svm_contributions(const viral_svm_model *m, const viral_sparse *x, double *out,
                            viral_error *err) {
  size_t n = x->count;
  struct svm_node *nodes = malloc((2 * n + 2) * sizeof *nodes);
  if (!nodes) return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "svm: out of memory");
  struct svm_node *without = nodes + n + 1; /* [n]: x less one item, -1 ended */
  int rc = to_nodes(x->items, n, nodes, 0, err);
  if (rc == VIRAL_OK) {
    double full = decision_of(m, nodes);
    for (size_t i = 0; i < n; i++) {
      memcpy(without, nodes, i * sizeof *nodes);
      memcpy(without + i, nodes + i + 1, (n - i) * sizeof *nodes); /* with the terminator */
      out[i] = full - decision_of(m, without);
    }
  }
  free(nodes);
  return rc;
}

int viral_svm_linear_weights(const viral_svm_model *m, double *w, size_t dim, double *bias,
                             viral_error *err) {
  if (m->m.param.kernel_type != LINEAR)
    return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0,
                           "svm: an rbf model has no weight vector");
  for (size_t j = 0; j < dim; j++) w[j] = 0.0;
  /* w: [dim] = sign * sum_i coef_i sv_i; libsvm's decision is w'x - rho */
  for (int i = 0; i < m->m.l; i++)
    for (const struct svm_node *p = m->sv[i]; p->index != -1; p++)
      if ((size_t)(p->index - 1) < dim) w[p->index - 1] += m->sign * m->coef[i] * p->value;
  *bias = -m->sign * m->rho[0];
  return VIRAL_OK;
}

/* ---- update by support-vector carry-over ---- */

typedef struct {
  double magnitude;
  size_t position;
} ranked_sv;

static int by_magnitude_then_position(const void *a, const void *b) {
  const ranked_sv *x = a, *y = b;
  if (x->magnitude != y->magnitude) return x->magnitude < y->magnitude ? 1 : -1;
  return (x->position > y->position) - (x->position < y->position);
}

int viral_svm_carry_over(const viral_svm_model *m, size_t budget, viral_dataset *out,
                         viral_error *err) {
  size_t l = (size_t)m->m.l;
  unsigned char *keep = malloc(l + 1);
  ranked_sv *rank = malloc((l + 1) * sizeof *rank);
  viral_sparse v;
  viral_sparse_init(&v);
  int rc = VIRAL_OK;
  if (!keep || !rank) {
    rc = viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "svm: out of memory");
    goto done;
  }
  memset(keep, budget == 0 || budget >= l, l + 1);
  if (budget > 0 && budget < l) {
    for (size_t i = 0; i < l; i++) {
      rank[i].magnitude = fabs(m->coef[i]);
      rank[i].position = i;
    }
    qsort(rank, l, sizeof *rank, by_magnitude_then_position);
    for (size_t i = 0; i < budget; i++) keep[rank[i].position] = 1;
  }
  for (size_t i = 0; i < l && rc == VIRAL_OK; i++) {
    if (!keep[i]) continue;
    viral_sparse_clear(&v);
    for (const struct svm_node *p = m->sv[i]; p->index != -1 && rc == VIRAL_OK; p++)
      rc = viral_sparse_push(&v, (uint32_t)(p->index - 1), p->value);
    /* the first n_sv[0] support vectors are the class label[0]'s */
    if (rc == VIRAL_OK) rc = viral_dataset_append(out, &v, m->label[i < (size_t)m->n_sv[0] ? 0 : 1]);
    if (rc != VIRAL_OK) rc = viral_error_set(err, rc, NULL, 0, "svm: out of memory");
  }
done:
  viral_sparse_release(&v);
  free(rank);
  free(keep);
  return rc;
}

viral_svm_model *viral_svm_update(const viral_svm_model *m, const viral_dataset *new_rows,
                                  size_t budget, const viral_svm_params *params,
                                  viral_error *err) {
  /* checked here so that messages count the caller's rows, not the
   * carried-over ones in front of them */
  for (size_t r = 0; r < new_rows->rows; r++)
    if (new_rows->labels[r] != 0.0 && new_rows->labels[r] != 1.0) {
      viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "svm: new row %zu: label %g is not 0 or 1",
                      r + 1, new_rows->labels[r]);
      return NULL;
    }
  viral_dataset all;
  viral_dataset_init(&all);
  viral_svm_model *updated = NULL;
  if (viral_svm_carry_over(m, budget, &all, err) != VIRAL_OK) goto done;
  for (size_t r = 0; r < new_rows->rows; r++) {
    viral_sparse row = viral_dataset_row(new_rows, r);
    if (viral_dataset_append(&all, &row, new_rows->labels[r]) != VIRAL_OK) {
      viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "svm: out of memory");
      goto done;
    }
  }
  viral_svm_params p = *params;
  if (p.kernel == VIRAL_SVM_RBF && p.gamma == 0 && viral_svm_model_kernel(m) == VIRAL_SVM_RBF)
    p.gamma = viral_svm_model_gamma(m);
  updated = viral_svm_train(&p, &all, err);
done:
  viral_dataset_release(&all);
  return updated;
}

/* ---- model text ---- */

int viral_svm_to_text(const viral_svm_model *m, char **text, size_t *len, viral_error *err) {
  char *buf = NULL;
  size_t size = 0;
  FILE *f = open_memstream(&buf, &size);
  if (!f) return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "svm: out of memory");
  /* svm_save_model's layout and precision (%.17g), so svm-predict reads it
   * and, for short values, the bytes equal svm-train's file */
  int rbf = m->m.param.kernel_type == RBF;
  fprintf(f, "svm_type c_svc\nkernel_type %s\n", rbf ? "rbf" : "linear");
  if (rbf) fprintf(f, "gamma %.17g\n", m->m.param.gamma);
  fprintf(f, "nr_class 2\ntotal_sv %d\nrho %.17g\nlabel %d %d\n", m->m.l, m->rho[0], m->label[0],
          m->label[1]);
  if (viral_svm_has_probability(m))
    fprintf(f, "probA %.17g\nprobB %.17g\n", m->prob_a[0], m->prob_b[0]);
  fprintf(f, "nr_sv %d %d\nSV\n", m->n_sv[0], m->n_sv[1]);
  char num[32];
  for (int i = 0; i < m->m.l; i++) {
    fprintf(f, "%.17g ", m->coef[i]);
    for (const struct svm_node *p = m->sv[i]; p->index != -1; p++)
      fprintf(f, "%d:%s ", p->index, viral_format_double(num, p->value));
    fputc('\n', f);
  }
  int failed = ferror(f);
  if (fclose(f) != 0 || failed || !buf) {
    free(buf);
    return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "svm: cannot build the model text");
  }
  *text = buf;
  if (len) *len = size;
  return VIRAL_OK;
}

/* Parsing works on a private NUL-terminated copy that it cuts into tokens. */
typedef struct {
  char *next; /* start of the next line */
  long line;  /* number of the line last returned, 1-based */
} line_reader;

/* The next line (its '\n' replaced by NUL), or NULL at the end. */
static char *next_line(line_reader *r) {
  if (!r->next || !*r->next) return NULL;
  char *line = r->next, *nl = strchr(line, '\n');
  if (nl) {
    *nl = '\0';
    r->next = nl + 1;
  } else {
    r->next = NULL;
  }
  r->line++;
  return line;
}

/* Next blank-separated token of *s (cut with a NUL), or NULL. */
static char *next_token(char **s) {
  char *p = *s;
  while (*p == ' ' || *p == '\t' || *p == '\r') p++;
  if (!*p) {
    *s = p;
    return NULL;
  }
  char *start = p;
  while (*p && *p != ' ' && *p != '\t' && *p != '\r') p++;
  if (*p) *p++ = '\0';
  *s = p;
  return start;
}

static int parse_finite(const char *tok, double *out) {
  if (!tok) return -1;
  char *end;
  errno = 0;
  double x = strtod(tok, &end);
  if (end == tok || *end || !isfinite(x)) return -1;
  *out = x;
  return 0;
}

/* A decimal integer in [min, max]: digits with an optional '-', nothing else. */
static int parse_int(const char *tok, long min, long max, long *out) {
  if (!tok) return -1;
  const char *d = tok + (*tok == '-');
  if (*d < '0' || *d > '9') return -1;
  char *end;
  errno = 0;
  long x = strtol(tok, &end, 10);
  if (*end || errno == ERANGE || x < min || x > max) return -1;
  *out = x;
  return 0;
}

static const struct {
  const char *key;
  int flag;
} header_keys[] = {
    {"svm_type", HAS_TYPE}, {"kernel_type", HAS_KERNEL}, {"gamma", HAS_GAMMA},
    {"nr_class", HAS_NR_CLASS}, {"total_sv", HAS_TOTAL}, {"rho", HAS_RHO},
    {"label", HAS_LABEL}, {"probA", HAS_PROB_A}, {"probB", HAS_PROB_B}, {"nr_sv", HAS_NR_SV},
};

#define PARSE_FAIL(r, ...) viral_error_set(err, VIRAL_ERR_PARSE, "svm model", (r)->line, __VA_ARGS__)

/* One header line "key values..."; sets *done at "SV". */
static int parse_header_line(line_reader *r, char *line, model_header *h, int *done,
                             viral_error *err) {
  char *key = next_token(&line);
  if (!key) return PARSE_FAIL(r, "empty line in the header");
  if (strcmp(key, "SV") == 0) {
    *done = 1;
  } else {
    size_t k = 0, nkeys = sizeof header_keys / sizeof header_keys[0];
    while (k < nkeys && strcmp(header_keys[k].key, key) != 0) k++;
    if (k == nkeys) return PARSE_FAIL(r, "unknown key '%.40s'", key);
    int flag = header_keys[k].flag;
    if (h->seen & flag) return PARSE_FAIL(r, "'%s' given twice", key);
    h->seen |= flag;
    char *tok = next_token(&line);
    long n;
    switch (flag) {
    case HAS_TYPE:
      if (!tok || strcmp(tok, "c_svc") != 0)
        return PARSE_FAIL(r, "svm_type '%.40s' is not supported (only c_svc)", tok ? tok : "");
      break;
    case HAS_KERNEL:
      if (tok && strcmp(tok, "rbf") == 0) h->rbf = 1;
      else if (!tok || strcmp(tok, "linear") != 0)
        return PARSE_FAIL(r, "kernel_type '%.40s' is not supported (linear or rbf)", tok ? tok : "");
      break;
    case HAS_GAMMA:
      if (parse_finite(tok, &h->gamma) || h->gamma < 0)
        return PARSE_FAIL(r, "gamma must be a finite number >= 0");
      break;
    case HAS_NR_CLASS:
      if (parse_int(tok, 2, 2, &n)) return PARSE_FAIL(r, "nr_class must be 2");
      break;
    case HAS_TOTAL:
      if (parse_int(tok, 0, INT_MAX, &h->total_sv))
        return PARSE_FAIL(r, "total_sv must be an integer from 0 to %d", INT_MAX);
      break;
    case HAS_RHO:
      if (parse_finite(tok, &h->rho)) return PARSE_FAIL(r, "rho must be a finite number");
      break;
    case HAS_PROB_A:
      if (parse_finite(tok, &h->prob_a)) return PARSE_FAIL(r, "probA must be a finite number");
      break;
    case HAS_PROB_B:
      if (parse_finite(tok, &h->prob_b)) return PARSE_FAIL(r, "probB must be a finite number");
      break;
    case HAS_LABEL:
      if (parse_int(tok, 0, 1, &h->label[0]) || parse_int(tok = next_token(&line), 0, 1, &h->label[1]) ||
          h->label[0] == h->label[1])
        return PARSE_FAIL(r, "label must be the two classes 0 and 1");
      break;
    case HAS_NR_SV:
      if (parse_int(tok, 0, INT_MAX, &h->n_sv[0]) ||
          parse_int(tok = next_token(&line), 0, INT_MAX, &h->n_sv[1]))
        return PARSE_FAIL(r, "nr_sv must be two integers from 0 to %d", INT_MAX);
      break;
    }
  }
  if (next_token(&line)) return PARSE_FAIL(r, "unexpected text after '%s'", key);
  return VIRAL_OK;
}

static int check_header(const line_reader *r, const model_header *h, viral_error *err) {
  static const int required = HAS_TYPE | HAS_KERNEL | HAS_NR_CLASS | HAS_TOTAL | HAS_RHO |
                              HAS_LABEL | HAS_NR_SV;
  for (size_t k = 0; k < sizeof header_keys / sizeof header_keys[0]; k++)
    if ((required & header_keys[k].flag) && !(h->seen & header_keys[k].flag))
      return PARSE_FAIL(r, "'%s' is missing", header_keys[k].key);
  if (h->rbf && !(h->seen & HAS_GAMMA)) return PARSE_FAIL(r, "'gamma' is missing for kernel rbf");
  if (!(h->seen & HAS_PROB_A) != !(h->seen & HAS_PROB_B))
    return PARSE_FAIL(r, "probA and probB come together or not at all");
  if ((long long)h->n_sv[0] + h->n_sv[1] != h->total_sv)
    return PARSE_FAIL(r, "nr_sv %ld + %ld does not add up to total_sv %ld", h->n_sv[0], h->n_sv[1],
                      h->total_sv);
  return VIRAL_OK;
}

/* One "coef index:value ..." line into nodes (room checked by the caller's
 * count of ':'); returns the number of nodes written, terminator included,
 * or -1 with err set. */
static long parse_sv_line(line_reader *r, char *line, double *coef, struct svm_node *nodes,
                          viral_error *err) {
  if (parse_finite(next_token(&line), coef)) {
    PARSE_FAIL(r, "a support vector line starts with a finite coefficient");
    return -1;
  }
  long n = 0, index, previous = 0;
  char *tok;
  while ((tok = next_token(&line))) {
    char *colon = strchr(tok, ':');
    if (colon) *colon = '\0';
    if (!colon || parse_int(tok, 1, (long)MAX_VIRAL_INDEX + 1, &index)) {
      PARSE_FAIL(r, "bad feature index in '%.40s' (want INDEX:VALUE, 1 <= INDEX <= %ld)", tok,
                 (long)MAX_VIRAL_INDEX + 1);
      return -1;
    }
    if (index <= previous) {
      PARSE_FAIL(r, "feature index %ld is not above the previous one", index);
      return -1;
    }
    if (parse_finite(colon + 1, &nodes[n].value)) {
      PARSE_FAIL(r, "feature %ld: '%.40s' is not a finite number", index, colon + 1);
      return -1;
    }
    nodes[n++].index = (int)index;
    previous = index;
  }
  nodes[n].index = -1;
  nodes[n].value = 0.0;
  return n + 1;
}

viral_svm_model *viral_svm_from_text(const char *text, size_t len, viral_error *err) {
  if (memchr(text, '\0', len)) {
    viral_error_set(err, VIRAL_ERR_PARSE, "svm model", 0, "a NUL byte in the text");
    return NULL;
  }
  char *buf = malloc(len + 1);
  if (!buf) {
    viral_error_set(err, VIRAL_ERR_NOMEM, "svm model", 0, "out of memory for %zu bytes", len);
    return NULL;
  }
  memcpy(buf, text, len);
  buf[len] = '\0';
  viral_svm_model *m = NULL;
  line_reader r = {buf, 0};
  model_header h;
  memset(&h, 0, sizeof h);
  int done = 0;
  char *line;
  while (!done) {
    if (!(line = next_line(&r))) {
      PARSE_FAIL(&r, "truncated: the text ends before the 'SV' line");
      goto fail;
    }
    if (parse_header_line(&r, line, &h, &done, err) != VIRAL_OK) goto fail;
  }
  if (check_header(&r, &h, err) != VIRAL_OK) goto fail;

  /* Sizes come from the text itself, never from the header's counts alone:
   * the lines left and the ':' in them bound what is allocated. */
  size_t lines = 0, colons = 0;
  for (const char *p = r.next; p && *p; p++) {
    if (*p == ':') colons++;
    if (*p == '\n' || !p[1]) lines++;
  }
  if (lines != (size_t)h.total_sv) {
    PARSE_FAIL(&r, "%s: %zu support vector lines after 'SV', total_sv says %ld",
               lines < (size_t)h.total_sv ? "truncated" : "too many lines", lines, h.total_sv);
    goto fail;
  }
  if (!(m = model_alloc(lines, colons + lines))) {
    viral_error_set(err, VIRAL_ERR_NOMEM, "svm model", 0, "out of memory for %zu support vectors",
                    lines);
    goto fail;
  }
  size_t at = 0;
  for (size_t i = 0; i < lines; i++) {
    line = next_line(&r);
    m->sv[i] = m->x_space + at;
    long used = parse_sv_line(&r, line, &m->coef[i], m->x_space + at, err);
    if (used < 0) goto fail;
    at += (size_t)used;
  }
  apply_header(m, &h);
  free(buf);
  return m;
fail:
  viral_svm_model_free(m);
  free(buf);
  return NULL;
}

/* ---- time estimate ---- */

/* Measured on this project's machine kind (2 cores, one busy), svm-train
 * 3.24 with default options on dense synthetic rows of 19 features with
 * noisy labels (tools/bench/svm.sh writes the same data):
 *
 *   rows    -t 0    -t 2    -t 2 -b 1   -t 0 -b 1
 *   2000    0.05 s  0.06 s
 *   4000    0.22 s  0.22 s
 *   8000    0.89 s  0.83 s  4.33 s      3.94 s
 *  16000    4.17 s  3.21 s
 *
 * Doubling the rows multiplies the time by 3.9 to 4.7: quadratic, drifting
 * worse as the kernel cache (100 MB) stops holding the columns. The linear
 * kernel at 16000 rows gives 4.17 / (16000^2 * 20) = 8.1e-10 s per unit of
 * rows^2 * (nonzeros + 1); probability=1 (five cross-validation fits on 4/5
 * of the rows, then the final fit) costs 4.4 to 5.2 times more. Real data
 * with more support vectors runs slower (DESIGN.md: svm-train -b 1 on 100k
 * real rows ran past 20 minutes; this model says 13), so read the estimate
 * as a lower bound. */
#define SECONDS_PER_UNIT 8e-10
#define PROBABILITY_FACTOR 5.0

double viral_svm_estimate_seconds(const viral_svm_params *params, size_t rows,
                                  double avg_nonzeros) {
  double n = (double)rows;
  double seconds = SECONDS_PER_UNIT * n * n * (avg_nonzeros + 1.0);
  if (params && params->probability) seconds *= PROBABILITY_FACTOR;
  return seconds;
}
