/* gbt_trees.c - the trees of XGBoost's JSON model as flat arrays, checked
 * once when read and walked to score without XGBoost (gbt_internal.h).
 *
 * Numbers are read from the text XGBoost wrote (json_tree keeps it) with
 * strtof, as XGBoost reads its own floats: through a double first, a
 * condition could round to the neighbouring float. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/json_tree.h"
#include "learn/gbt_internal.h"

/* XGBoost's JSON model is a few levels deep. */
#define GBT_JSON_DEPTH 16

static int bad(viral_error *err, const char *fmt, const char *what, long tree) {
  char msg[200];
  snprintf(msg, sizeof msg, fmt, what);
  if (tree >= 0) return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "booster tree %ld: %s", tree, msg);
  return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "booster: %s", msg);
}

/* The member at a path of object names ("learner", "objective", ...), or
 * NULL. */
static const json_node *at(const json_tree *t, const json_node *n, const char *const *path) {
  for (; n && *path; path++) n = n->type == JSON_OBJECT ? json_tree_member(t, n, *path) : NULL;
  return n;
}

static int is_string(const json_tree *t, const json_node *n, const char *s) {
  return n && n->type == JSON_STRING && n->len == strlen(s) && memcmp(json_tree_bytes(t, n->text), s, n->len) == 0;
}

/* A whole number in [lo, hi] written as a number or (XGBoost's parameters)
 * a string: 0, else -1. */
static int whole(const json_tree *t, const json_node *n, long lo, long hi, long *out) {
  if (!n || (n->type != JSON_NUMBER && n->type != JSON_STRING)) return -1;
  const char *s = json_tree_bytes(t, n->text);
  char *end = NULL;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (end == s || *end || errno || v < lo || v > hi) return -1;
  *out = v;
  return 0;
}

/* 0 or 1, written as a number or as false and true (older XGBoost): 0,
 * else -1. */
static int flag(const json_tree *t, const json_node *n, long *out) {
  if (n && (n->type == JSON_TRUE || n->type == JSON_FALSE)) {
    *out = n->type == JSON_TRUE;
    return 0;
  }
  return whole(t, n, 0, 1, out);
}

/* A finite float from a number's text (or a string's: base_score): 0, else -1. */
static int real(const json_tree *t, const json_node *n, float *out) {
  if (!n || (n->type != JSON_NUMBER && n->type != JSON_STRING)) return -1;
  const char *s = json_tree_bytes(t, n->text);
  char *end = NULL;
  errno = 0;
  float v = strtof(s, &end);
  if (end == s || *end || !isfinite(v)) return -1;
  *out = v;
  return 0;
}

/* The array member name of tree with exactly count items: its first item's
 * index (0 when count is 0), or 0 with *ok cleared. */
static uint32_t items(const json_tree *t, const json_node *tree, const char *name, long count, int *ok) {
  const json_node *a = json_tree_member(t, tree, name);
  long n = 0;
  if (!a || a->type != JSON_ARRAY) {
    *ok = 0;
    return 0;
  }
  for (uint32_t i = a->child; i; i = t->nodes[i].next) n++;
  if (n != count) *ok = 0;
  return a->child;
}

/* Tree number k (node tree) into nodes[0..count), checked. */
static int read_tree(const json_tree *t, const json_node *tree, long k, const uint32_t *columns, size_t ncol,
                     gbt_node *nodes, long count, double *gain, viral_error *err) {
  int ok = 1;
  uint32_t left = items(t, tree, "left_children", count, &ok), right = items(t, tree, "right_children", count, &ok),
           feature = items(t, tree, "split_indices", count, &ok),
           cond = items(t, tree, "split_conditions", count, &ok), dflt = items(t, tree, "default_left", count, &ok),
           loss = items(t, tree, "loss_changes", count, &ok);
  if (!ok) return bad(err, "%s", "its node arrays must each hold num_nodes items", k);
  const json_node *types = json_tree_member(t, tree, "split_type");
  long numerical;
  for (uint32_t i = types ? types->child : 0; i; i = t->nodes[i].next)
    if (whole(t, &t->nodes[i], 0, 0, &numerical)) return bad(err, "%s", "categorical splits are not supported", k);
  for (long i = 0; i < count; i++) {
    long l, r, f = 0, d = 0;
    float c, g = 0;
    if (whole(t, &t->nodes[left], -1, count - 1, &l) || whole(t, &t->nodes[right], -1, count - 1, &r) ||
        whole(t, &t->nodes[feature], 0, (long)ncol - 1, &f) || real(t, &t->nodes[cond], &c) ||
        flag(t, &t->nodes[dflt], &d) || real(t, &t->nodes[loss], &g))
      return bad(err, "%s", "a node has a child, feature, condition, default or gain out of range", k);
    if ((l < 0) != (r < 0) || (l >= 0 && (l <= i || r <= i || l == r)))
      return bad(err, "%s", "a split's children must be two distinct nodes after it", k);
    nodes[i] = (gbt_node){c, l < 0 ? 0 : columns[f], (int32_t)l, (int32_t)r, (uint8_t)d};
    if (l >= 0) gain[f] += g;
    left = t->nodes[left].next, right = t->nodes[right].next, feature = t->nodes[feature].next;
    cond = t->nodes[cond].next, dflt = t->nodes[dflt].next, loss = t->nodes[loss].next;
  }
  return VIRAL_OK;
}

static const char *const learner_param[] = {"learner", "learner_model_param", NULL};
static const char *const objective_name[] = {"learner", "objective", "name", NULL};
static const char *const booster_name[] = {"learner", "gradient_booster", "name", NULL};
static const char *const model_trees[] = {"learner", "gradient_booster", "model", "trees", NULL};
static const char *const tree_info[] = {"learner", "gradient_booster", "model", "tree_info", NULL};
static const char *const tree_nodes[] = {"tree_param", "num_nodes", NULL};

/* The model's head: binary:logistic, gbtree, ncol features, its base
 * score; the trees' array and how many nodes they hold in all. */
static int read_head(const json_tree *t, size_t ncol, float *base_score, const json_node **trees,
                     size_t *nodes, viral_error *err) {
  const json_node *root = json_tree_node(t, 1), *param = at(t, root, learner_param);
  long features, classes;
  if (!is_string(t, at(t, root, objective_name), "binary:logistic") ||
      !is_string(t, at(t, root, booster_name), "gbtree"))
    return bad(err, "%s", "must be a gbtree booster of binary:logistic", -1);
  if (!param || whole(t, json_tree_member(t, param, "num_feature"), 0, 0x7fffffffL, &features) ||
      (size_t)features != ncol)
    return bad(err, "%s", "its num_feature must equal the count of columns", -1);
  if (whole(t, json_tree_member(t, param, "num_class"), 0, 0, &classes) ||
      real(t, json_tree_member(t, param, "base_score"), base_score) || !(*base_score > 0 && *base_score < 1))
    return bad(err, "%s", "needs num_class 0 and a base_score in (0, 1)", -1);
  *trees = at(t, root, model_trees);
  const json_node *info = at(t, root, tree_info);
  if (!*trees || (*trees)->type != JSON_ARRAY || !info || info->type != JSON_ARRAY)
    return bad(err, "%s", "has no array of trees", -1);
  *nodes = 0;
  uint32_t i = (*trees)->child, g = info->child;
  for (long k = 0; i; i = t->nodes[i].next, g = t->nodes[g].next, k++) {
    long n, group;
    if (!g || whole(t, &t->nodes[g], 0, 0, &group)) return bad(err, "%s", "its tree_info must be 0 for each tree", k);
    if (whole(t, at(t, &t->nodes[i], tree_nodes), 1, 0x7fffffffL, &n))
      return bad(err, "%s", "its tree_param.num_nodes must be a count of nodes", k);
    *nodes += (size_t)n;
  }
  if (g) return bad(err, "%s", "its tree_info must be 0 for each tree", -1);
  return VIRAL_OK;
}

int gbt_trees_read(gbt_trees *out, const char *json, size_t len, const uint32_t *columns, size_t ncol,
                   viral_error *err) {
  json_tree t;
  json_tree_init(&t);
  gbt_trees r = {0};
  const json_node *trees = NULL;
  size_t total = 0, count = 0;
  int rc = json_tree_parse(&t, json, len, GBT_JSON_DEPTH);
  if (rc == -2) rc = viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  else if (rc < 0) rc = bad(err, "%s", "is not a JSON document", -1);
  float base_score = 0;
  if (rc == VIRAL_OK) rc = read_head(&t, ncol, &base_score, &trees, &total, err);
  if (rc == VIRAL_OK) {
    /* XGBoost's LogisticRegression::ProbToMargin, in float */
    r.base_margin = -logf(1.0f / base_score - 1.0f);
    for (uint32_t i = trees->child; i; i = t.nodes[i].next) count++;
    r.nodes = malloc((total ? total : 1) * sizeof *r.nodes);
    r.root = malloc((count ? count : 1) * sizeof *r.root);
    r.gain = calloc(ncol ? ncol : 1, sizeof *r.gain);
    r.ncol = ncol;
    if (!r.nodes || !r.root || !r.gain) rc = viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  }
  size_t used = 0;
  long k = 0;
  for (uint32_t i = trees ? trees->child : 0; rc == VIRAL_OK && i; i = t.nodes[i].next, k++) {
    long n = 0;
    whole(&t, at(&t, &t.nodes[i], tree_nodes), 1, 0x7fffffffL, &n);
    r.root[r.count++] = used;
    rc = read_tree(&t, &t.nodes[i], k, columns, ncol, r.nodes + used, n, r.gain, err);
    used += (size_t)n;
  }
  json_tree_release(&t);
  if (rc != VIRAL_OK) {
    gbt_trees_release(&r);
    return rc;
  }
  *out = r;
  return VIRAL_OK;
}

void gbt_trees_release(gbt_trees *t) {
  free(t->nodes);
  free(t->root);
  free(t->gain);
  memset(t, 0, sizeof *t);
}

/* x's value at index as a float: 1 when x holds it, else 0. x's items are
 * in ascending order of index. */
static int lookup(const viral_sparse *x, uint32_t index, float *v) {
  size_t lo = 0, hi = x->count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (x->items[mid].index < index) lo = mid + 1;
    else hi = mid;
  }
  if (lo == x->count || x->items[lo].index != index) return 0;
  *v = gbt_float(x->items[lo].value);
  return 1;
}

float gbt_trees_margin(const gbt_trees *t, const viral_sparse *x) {
  float margin = t->base_margin;
  for (size_t k = 0; k < t->count; k++) {
    const gbt_node *tree = t->nodes + t->root[k];
    int32_t n = 0;
    while (tree[n].left >= 0) {
      float v;
      if (!lookup(x, tree[n].index, &v)) n = tree[n].default_left ? tree[n].left : tree[n].right;
      else n = v < tree[n].value ? tree[n].left : tree[n].right;
    }
    margin += tree[n].value;
  }
  return margin;
}
