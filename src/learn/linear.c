/* linear.c - the LIBLINEAR adapter (learn/linear.h): rows held in
 * LIBLINEAR's form, fitting, decision values. viral's sparse vectors
 * become feature_node arrays here and nowhere else. */
#include "learn/linear.h"
#include "io/array.h"
#include "io/spill.h"
#include "viral/dist.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <linear.h>

/* Rows: row i is nodes[start[i] .. start[i + 1]): its items, then two
 * nodes: before finish a terminator and a spare, after it the bias item
 * and the terminator. */
struct linear_rows {
  struct feature_node *nodes;
  viral_spill *spill; /* the file nodes live in past io/spill.h's threshold (NULL: the heap) */
  size_t nodes_used, nodes_capacity;
  size_t *start; /* [rows + 1] */
  double *y;     /* [rows]: +1 for class 1, -1 for class 0 (LIBLINEAR's order: see linear_train) */
  double *weight; /* [rows] each row's importance; NULL: all 1 */
  size_t rows, rows_capacity;
  uint32_t *index; /* after finish: [features] the vector index of each feature */
  uint32_t features;
  double bias;
  int finished;
};

/* Row i touched: nodes in a file (io/spill.h) are let go every few MiB
 * touched, so a pass over the rows (a fit makes one per function, gradient
 * and Hessian-vector product) holds a few MiB of them, not all. */
static void walked(const linear_rows *r, size_t i) {
  if (r->spill) spill_touched(r->spill, r->nodes + r->start[i], (r->start[i + 1] - r->start[i]) * sizeof *r->nodes);
}

linear_rows *linear_rows_create(void) {
  linear_rows *r = calloc(1, sizeof *r);
  if (r && !(r->start = calloc(1, sizeof *r->start))) {
    free(r);
    return NULL;
  }
  return r;
}

void linear_rows_free(linear_rows *r) {
  if (!r) return;
  free(r->index);
  free(r->y);
  free(r->weight);
  free(r->start);
  spill_free(r->spill, r->nodes);
  free(r);
}

size_t linear_rows_count(const linear_rows *r) { return r->rows; }
double linear_rows_label(const linear_rows *r, size_t i) { return r->y[i] > 0 ? 1.0 : 0.0; }
uint32_t linear_rows_features(const linear_rows *r) { return r->features; }
uint32_t linear_rows_index(const linear_rows *r, uint32_t j) { return r->index[j]; }
double linear_rows_bias(const linear_rows *r) { return r->bias; }

size_t linear_rows_bytes_with(const linear_rows *r, size_t items) {
  /* what is used: a grown array's pages past it are not touched */
  return (r->nodes_used + items + 2) * sizeof *r->nodes + (r->rows + 1) * (sizeof *r->start + sizeof *r->y);
}

int linear_rows_add(linear_rows *r, const viral_sparse *x, double y) {
  if (r->rows >= (size_t)INT_MAX) return VIRAL_ERR_LIMIT;
  size_t cap = r->rows_capacity, ycap = r->rows_capacity;
  if (array_grow((void **)&r->start, &cap, r->rows + 2, sizeof *r->start, 1024) ||
      array_grow((void **)&r->y, &ycap, r->rows + 1, sizeof *r->y, 1024) ||
      spill_grow(&r->spill, (void **)&r->nodes, &r->nodes_capacity, r->nodes_used + x->count + 2, sizeof *r->nodes,
                 1024))
    return VIRAL_ERR_NOMEM;
  r->rows_capacity = cap < ycap ? cap : ycap;
  struct feature_node *n = r->nodes + r->nodes_used;
  spill_touched(r->spill, n, (x->count + 2) * sizeof *r->nodes);
  for (size_t k = 0; k < x->count; k++) {
    n[k].index = (int)x->items[k].index;
    n[k].value = x->items[k].value;
  }
  n[x->count].index = -1;
  n[x->count + 1].index = -1;
  n[x->count].value = n[x->count + 1].value = 0;
  r->nodes_used += x->count + 2;
  r->y[r->rows] = y > 0.5 ? 1.0 : -1.0;
  r->start[++r->rows] = r->nodes_used;
  return VIRAL_OK;
}

void linear_rows_set_weights(linear_rows *r, double *weight) {
  free(r->weight);
  r->weight = weight;
}

double linear_rows_weight(const linear_rows *r, size_t i) { return r->weight ? r->weight[i] : 1.0; }

/* Row i's own items (without the two closing nodes). */
static size_t row_items(const linear_rows *r, size_t i, struct feature_node **items) {
  walked(r, i);
  *items = r->nodes + r->start[i];
  return r->start[i + 1] - r->start[i] - 2;
}

int linear_rows_get(const linear_rows *r, size_t i, viral_sparse *out) {
  struct feature_node *items;
  size_t n = row_items(r, i, &items);
  viral_sparse_clear(out);
  for (size_t k = 0; k < n; k++) {
    /* after finish a node's index is its feature number + 1 */
    uint32_t index = r->finished ? (uint32_t)(items[k].index - 1) : (uint32_t)items[k].index;
    if (viral_sparse_push(out, index, items[k].value) != VIRAL_OK) return VIRAL_ERR_NOMEM;
  }
  return VIRAL_OK;
}

void linear_rows_transform(linear_rows *r, double (*f)(void *ctx, uint32_t index, double value), void *ctx) {
  for (size_t i = 0; i < r->rows; i++) {
    struct feature_node *items;
    size_t n = row_items(r, i, &items);
    for (size_t k = 0; k < n; k++) items[k].value = f(ctx, (uint32_t)items[k].index, items[k].value);
  }
}

/* One past the largest index the rows use. */
static uint32_t top_index(const linear_rows *r) {
  uint32_t top = 0;
  for (size_t i = 0; i < r->rows; i++) {
    struct feature_node *items;
    size_t n = row_items(r, i, &items);
    for (size_t k = 0; k < n; k++)
      if ((uint32_t)items[k].index + 1 > top) top = (uint32_t)items[k].index + 1;
  }
  return top;
}

/* in_use: [top] 1 at each index the rows use (0 elsewhere). */
static void mark_in_use(const linear_rows *r, uint64_t *in_use) {
  for (size_t i = 0; i < r->rows; i++) {
    struct feature_node *items;
    size_t n = row_items(r, i, &items);
    for (size_t k = 0; k < n; k++) in_use[items[k].index] = 1;
  }
}

/* The indices in use, marked in *in_use ([top + 1], caller frees): this
 * process's rows, or with spread those of every process of the job. */
static int indices_in_use(const linear_rows *r, int spread, uint64_t **in_use, uint32_t *top, viral_error *err) {
  double most = top_index(r);
  int rc = spread ? viral_dist_max_double(&most, 1, err) : VIRAL_OK;
  if (rc != VIRAL_OK) return rc;
  *top = (uint32_t)most;
  if (!(*in_use = calloc((size_t)*top + 1, sizeof **in_use)))
    rc = viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory numbering %u features", *top);
  else
    mark_in_use(r, *in_use);
  /* every process must make the sum: a failure to allocate is agreed first */
  if (spread && (rc = viral_dist_agree(rc, 0, err)) == VIRAL_OK) rc = viral_dist_sum(*in_use, (size_t)*top, err);
  return rc;
}

int linear_rows_finish_like(linear_rows *r, const linear_rows *like, viral_error *err) {
  uint32_t features = like->features;
  free(r->index);
  if (!(r->index = malloc(((size_t)features + 1) * sizeof *r->index)))
    return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory numbering %u features", features);
  memcpy(r->index, like->index, (size_t)features * sizeof *r->index);
  for (size_t i = 0; i < r->rows; i++) {
    struct feature_node *items;
    size_t n = row_items(r, i, &items);
    for (size_t k = 0; k < n; k++) items[k].index += 1; /* a feature number + 1, as finish leaves it */
    items[n].index = (int)features + 1;
    items[n].value = like->bias;
    items[n + 1].index = -1;
  }
  r->features = features;
  r->bias = like->bias;
  r->finished = 1;
  return VIRAL_OK;
}

int linear_rows_finish(linear_rows *r, double bias, viral_error *err) {
  return linear_rows_finish_spread(r, bias, 0, err);
}

int linear_rows_finish_spread(linear_rows *r, double bias, int spread, viral_error *err) {
  /* number the indices in use, in increasing order: number[index] is the
   * feature's number + 1, 0 for an index no row uses */
  uint64_t *number = NULL;
  uint32_t top = 0;
  int rc = indices_in_use(r, spread, &number, &top, err);
  if (rc != VIRAL_OK) {
    free(number);
    return rc;
  }
  uint32_t features = 0;
  for (uint32_t i = 0; i < top; i++)
    if (number[i]) number[i] = ++features;
  free(r->index);
  if (!(r->index = malloc(((size_t)features + 1) * sizeof *r->index))) {
    free(number);
    return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory numbering %u features", features);
  }
  for (uint32_t i = 0; i < top; i++)
    if (number[i]) r->index[number[i] - 1] = i;
  for (size_t i = 0; i < r->rows; i++) {
    struct feature_node *items;
    size_t n = row_items(r, i, &items);
    for (size_t k = 0; k < n; k++) items[k].index = (int)number[items[k].index];
    items[n].index = (int)features + 1; /* LIBLINEAR's bias item: the last feature */
    items[n].value = bias;
    items[n + 1].index = -1;
  }
  free(number);
  r->features = features;
  r->bias = bias;
  r->finished = 1;
  return VIRAL_OK;
}

double linear_rows_decision(const linear_rows *r, size_t i, const double *w) {
  walked(r, i);
  double d = 0;
  for (const struct feature_node *p = r->nodes + r->start[i]; p->index != -1; p++) d += w[p->index - 1] * p->value;
  return d;
}

void linear_rows_add_row(const linear_rows *r, size_t i, double a, double *v) {
  walked(r, i);
  for (const struct feature_node *p = r->nodes + r->start[i]; p->index != -1; p++) v[p->index - 1] += a * p->value;
}

void linear_rows_add_squares(const linear_rows *r, size_t i, double a, double *v) {
  walked(r, i);
  for (const struct feature_node *p = r->nodes + r->start[i]; p->index != -1; p++)
    v[p->index - 1] += a * p->value * p->value;
}

/* ---- fitting ---- */

static void quiet(const char *message) { (void)message; }

int linear_train(const linear_rows *r, const size_t *rows, size_t n, const linear_fit *f, const double *init,
                 double *w, viral_error *err) {
  if (!r->finished) return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "linear: rows not finished");
  if (!rows) n = r->rows;
  struct problem prob;
  prob.l = (int)n;
  prob.n = (int)r->features + 1;
  prob.bias = r->bias;
  prob.y = malloc((n ? n : 1) * sizeof *prob.y);
  prob.x = malloc((n ? n : 1) * sizeof *prob.x);
  int rc = VIRAL_OK;
  struct model *model = NULL;
  if (!prob.y || !prob.x) {
    rc = viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "linear: out of memory for %zu rows", n);
    goto done;
  }
  size_t pos = 0;
  for (size_t k = 0; k < n; k++) {
    size_t i = rows ? rows[k] : k;
    prob.x[k] = r->nodes + r->start[i];
    prob.y[k] = r->y[i];
    pos += r->y[i] > 0;
  }
  if (pos == 0 || pos == n) {
    rc = viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "the training rows hold only class %d: need both classes",
                         pos ? 1 : 0);
    goto done;
  }
  /* LIBLINEAR orders the classes by first appearance, except that with
   * labels -1 and +1 it puts +1 first: so its weights face class 1, and so
   * does init */
  int weight_label[2] = {-1, +1};
  double weight[2] = {f->weight0, f->weight1};
  struct parameter param;
  memset(&param, 0, sizeof param);
  param.solver_type = f->loss == LINEAR_LOGISTIC ? L2R_LR : L2R_L2LOSS_SVC;
  param.eps = f->eps;
  param.C = f->C;
  param.nr_weight = 2;
  param.weight_label = weight_label;
  param.weight = weight;
  param.p = 0.1;
  param.init_sol = f->loss == LINEAR_LOGISTIC ? (double *)init : NULL;
  const char *bad = check_parameter(&prob, &param);
  if (bad) {
    rc = viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "liblinear refuses the parameters: %s", bad);
    goto done;
  }
  set_print_string_function(quiet);
  srand(f->seed);
  model = train(&prob, &param);
  if (!model || model->nr_class != 2 || model->label[0] != 1) {
    rc = viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "liblinear did not return a two-class model");
    goto done;
  }
  memcpy(w, model->w, ((size_t)r->features + 1) * sizeof *w);
  for (uint32_t j = 0; j <= r->features; j++)
    if (!isfinite(w[j])) rc = viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "liblinear returned a weight that is not finite");
done:
  if (model) free_and_destroy_model(&model);
  free(prob.x);
  free(prob.y);
  return rc;
}
