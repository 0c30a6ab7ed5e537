/* logistic_json.c - the learner's state to and from cJSON, exactly
 * (src/learn/logistic_json.h describes the layout). */
#include "learn/logistic_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/json_number.h"
#include "io/number_format.h"
#include "viral/writer.h"

/* 2^53: every integer up to here is exact in a double, hence in JSON. */
#define MAX_EXACT_INTEGER 9007199254740992.0

/* ---- writing ---- */

/* The optional per-coordinate columns after "index" and "weight". */
typedef struct columns {
  int has_z, has_n, has_scale;
} columns;

static columns columns_of(const viral_logistic_params *p) {
  columns c;
  c.has_z = p->optimizer == VIRAL_LOGISTIC_FTRL;
  c.has_n = p->optimizer != VIRAL_LOGISTIC_SGD;
  c.has_scale = p->normalize;
  return c;
}

static cJSON *write_params(const viral_logistic_params *p) {
  cJSON *o = cJSON_CreateObject();
  if (!o || !cJSON_AddStringToObject(o, "optimizer", viral_logistic_optimizer_name(p->optimizer)) ||
      viral_json_add_number(o, "alpha", p->alpha) || viral_json_add_number(o, "beta", p->beta) ||
      viral_json_add_number(o, "l1", p->l1) || viral_json_add_number(o, "l2", p->l2) ||
      !cJSON_AddBoolToObject(o, "normalize", p->normalize) || viral_json_add_number(o, "dense", p->dense) ||
      viral_json_add_number(o, "passes", p->passes) || !cJSON_AddBoolToObject(o, "shuffle", p->shuffle) ||
      viral_json_add_number(o, "seed", p->seed) || viral_json_add_number(o, "weight0", p->weight0) ||
      viral_json_add_number(o, "weight1", p->weight1)) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

static cJSON *write_bias(const viral_logistic *m, columns c) {
  cJSON *o = cJSON_CreateObject();
  if (!o || viral_json_add_number(o, "weight", m->bias_w) || (c.has_z && viral_json_add_number(o, "z", m->bias_z)) ||
      (c.has_n && viral_json_add_number(o, "n", m->bias_n))) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

static cJSON *write_column_names(columns c) {
  const char *names[5];
  int count = 0;
  names[count++] = "index";
  names[count++] = "weight";
  if (c.has_z) names[count++] = "z";
  if (c.has_n) names[count++] = "n";
  if (c.has_scale) names[count++] = "scale";
  return cJSON_CreateStringArray(names, count);
}

static int has_state(const viral_logistic *m, size_t i) {
  return m->w[i] != 0.0 || (m->z && m->z[i] != 0.0) || (m->n && m->n[i] != 0.0) ||
         (m->s && m->s[i] != 0.0);
}

/* One coordinate's row "[index, weight, ...]" into buf; returns its length. */
static size_t format_row(const viral_logistic *m, size_t index, char *buf) {
  const double cols[4] = {m->w[index], m->z ? m->z[index] : 0.0, m->n ? m->n[index] : 0.0,
                          m->s ? m->s[index] : 0.0};
  const int present[4] = {1, m->z != NULL, m->n != NULL, m->s != NULL};
  size_t len = 0;
  /* the index by hand: printf's machinery cost more than the row's numbers */
  char digits[24];
  size_t nd = 0;
  do digits[nd++] = (char)('0' + index % 10);
  while ((index /= 10) > 0);
  buf[len++] = '[';
  while (nd > 0) buf[len++] = digits[--nd];
  for (int c = 0; c < 4; c++)
    if (present[c]) {
      /* %.17g reads back exactly (DESIGN.md section 5). Not the shortest
       * exact form of viral_format_double: optimizer state is arbitrary
       * doubles, for which that search costs up to three printf and three
       * strtod calls, most of the time of saving a large model. And not
       * printf itself: its multi-precision digits were the rest of it. */
      buf[len++] = ',';
      buf[len++] = ' ';
      len += format_g17_into(buf + len, cols[c]);
    }
  buf[len++] = ']';
  return len;
}

int viral_logistic_json_write_coordinates(const viral_logistic *m, viral_text_emit emit, void *ctx) {
  /* "[" index + 4 numbers of at most 31 characters and separators "]," */
  char row[4 + 24 + 4 * 33 + 8];
  int first = 1;
  if (emit(ctx, "[", 1)) return -1;
  for (size_t i = 0; i < m->dim; i++) {
    if (!has_state(m, i)) continue;
    size_t len = 0;
    if (!first) {
      memcpy(row, ",\n\t\t\t", 5);
      len = 5;
    }
    first = 0;
    len += format_row(m, i, row + len);
    if (emit(ctx, row, len)) return -1;
  }
  return emit(ctx, "]", 1);
}

/* The dense coordinates' running statistics: {"mean": [...], "m2": [...]}. */
static cJSON *write_standardize(const viral_logistic *m) {
  cJSON *o = cJSON_CreateObject();
  cJSON *mean = o ? cJSON_AddArrayToObject(o, "mean") : NULL;
  cJSON *m2 = o ? cJSON_AddArrayToObject(o, "m2") : NULL;
  if (!mean || !m2) goto fail;
  for (uint32_t i = 0; i < m->dense; i++)
    if (viral_json_append_number(mean, m->mean[i]) || viral_json_append_number(m2, m->m2[i])) goto fail;
  return o;
fail:
  cJSON_Delete(o);
  return NULL;
}

/* How the weights were reached ("fit": absent for the params' own passes). */
static const char *const fit_methods[] = {"online", "batch", "over-memory", "one-class"};

static cJSON *write_fit(const viral_logistic_fit_info *f) {
  cJSON *o = cJSON_CreateObject();
  if (!o || !cJSON_AddStringToObject(o, "method", fit_methods[f->method]) ||
      (f->method == VIRAL_LOGISTIC_FIT_BATCH &&
       (viral_json_add_number(o, "C", f->C) || viral_json_add_number(o, "folds", f->folds) ||
        viral_json_add_number(o, "rows", (double)f->rows) ||
        (isfinite(f->cv_log_loss) && viral_json_add_number(o, "cv_log_loss", f->cv_log_loss)))) ||
      (f->method == VIRAL_LOGISTIC_FIT_OVER_MEMORY && viral_json_add_number(o, "memory_mb", f->memory_mb))) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

cJSON *viral_logistic_json_write_head(const viral_logistic *m, cJSON *coordinates, viral_error *err) {
  columns c = columns_of(&m->p);
  cJSON *o = cJSON_CreateObject(), *part;
  if (!o) goto nomem;
  if (!(part = write_params(&m->p))) goto nomem;
  cJSON_AddItemToObject(o, "params", part);
  if (viral_json_add_number(o, "bits", m->bits) || viral_json_add_number(o, "rows", (double)m->rows)) goto nomem;
  if (!(part = write_bias(m, c))) goto nomem;
  cJSON_AddItemToObject(o, "bias", part);
  if (m->fit.method != VIRAL_LOGISTIC_FIT_ONLINE) {
    if (!(part = write_fit(&m->fit))) goto nomem;
    cJSON_AddItemToObject(o, "fit", part);
  }
  if (m->dense) {
    if (!(part = write_standardize(m))) goto nomem;
    cJSON_AddItemToObject(o, "standardize", part);
  }
  if (!(part = write_column_names(c))) goto nomem;
  cJSON_AddItemToObject(o, "columns", part);
  cJSON_AddItemToObject(o, "coordinates", coordinates);
  return o;
nomem:
  cJSON_Delete(o);
  cJSON_Delete(coordinates);
  viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory writing the logistic learner");
  return NULL;
}

cJSON *viral_logistic_json_write(const viral_logistic *m, viral_error *err) {
  viral_text_buf b = {NULL, 0, 0};
  cJSON *coords = NULL;
  if (viral_logistic_json_write_coordinates(m, viral_text_buf_emit, &b) == 0) coords = cJSON_CreateRaw(b.text);
  free(b.text);
  if (!coords) {
    viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory writing the logistic learner");
    return NULL;
  }
  return viral_logistic_json_write_head(m, coords, err);
}

/* ---- reading ---- */

static int bad(viral_error *err, const char *key, const char *what) {
  return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "logistic learner: \"%s\" %s", key, what);
}

static int get_item(const cJSON *obj, const char *key, const char *path, const cJSON **out,
                    viral_error *err) {
  *out = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!*out) {
    viral_error_set(err, VIRAL_ERR_MISSING, NULL, 0, "logistic learner: \"%s\" is missing", path);
    return VIRAL_ERR_MISSING;
  }
  return VIRAL_OK;
}

/* A finite number; with min_zero, also >= 0. */
static int number_value(const cJSON *item, const char *path, int min_zero, double *out,
                        viral_error *err) {
  if (!cJSON_IsNumber(item) || !isfinite(item->valuedouble))
    return bad(err, path, "must be a finite number");
  if (min_zero && !(item->valuedouble >= 0.0)) return bad(err, path, "must be >= 0");
  *out = item->valuedouble;
  return VIRAL_OK;
}

static int integer_value(const cJSON *item, const char *path, double lo, double hi, double *out,
                         viral_error *err) {
  int rc = number_value(item, path, 0, out, err);
  if (rc) return rc;
  if (*out != floor(*out) || *out < lo || *out > hi) {
    char what[96];
    snprintf(what, sizeof what, "must be an integer between %.17g and %.17g", lo, hi);
    return bad(err, path, what);
  }
  return VIRAL_OK;
}

static int get_number(const cJSON *obj, const char *key, const char *path, int min_zero,
                      double *out, viral_error *err) {
  const cJSON *item;
  int rc = get_item(obj, key, path, &item, err);
  return rc ? rc : number_value(item, path, min_zero, out, err);
}

static int get_integer(const cJSON *obj, const char *key, const char *path, double lo, double hi,
                       double *out, viral_error *err) {
  const cJSON *item;
  int rc = get_item(obj, key, path, &item, err);
  return rc ? rc : integer_value(item, path, lo, hi, out, err);
}

static int get_bool(const cJSON *obj, const char *key, const char *path, int *out,
                    viral_error *err) {
  const cJSON *item;
  int rc = get_item(obj, key, path, &item, err);
  if (rc) return rc;
  if (!cJSON_IsBool(item)) return bad(err, path, "must be true or false");
  *out = cJSON_IsTrue(item);
  return VIRAL_OK;
}

static int read_params(const cJSON *json, viral_logistic_params *p, viral_error *err) {
  const cJSON *o, *opt;
  double passes = 1.0, seed = 0.0;
  int rc = get_item(json, "params", "params", &o, err);
  if (rc) return rc;
  if (!cJSON_IsObject(o)) return bad(err, "params", "must be an object");
  if ((rc = get_item(o, "optimizer", "params.optimizer", &opt, err))) return rc;
  viral_logistic_optimizer which;
  if (!cJSON_IsString(opt) || viral_logistic_optimizer_parse(opt->valuestring, &which) != 0)
    return bad(err, "params.optimizer", "must be \"ftrl\", \"adagrad\" or \"sgd\"");
  viral_logistic_params_init(p, which);
  if ((rc = get_number(o, "alpha", "params.alpha", 0, &p->alpha, err)) ||
      (rc = get_number(o, "beta", "params.beta", 0, &p->beta, err)) ||
      (rc = get_number(o, "l1", "params.l1", 0, &p->l1, err)) ||
      (rc = get_number(o, "l2", "params.l2", 0, &p->l2, err)) ||
      (rc = get_bool(o, "normalize", "params.normalize", &p->normalize, err)) ||
      (rc = get_integer(o, "passes", "params.passes", 1, VIRAL_LOGISTIC_MAX_PASSES, &passes, err)) ||
      (rc = get_bool(o, "shuffle", "params.shuffle", &p->shuffle, err)) ||
      (rc = get_integer(o, "seed", "params.seed", 0, UINT32_MAX, &seed, err)) ||
      (rc = get_number(o, "weight0", "params.weight0", 0, &p->weight0, err)) ||
      (rc = get_number(o, "weight1", "params.weight1", 0, &p->weight1, err)))
    return rc;
  /* "dense" came with version 2 of the model file; a version 1 learner has
   * none (max-abs scales only) and reads the same as before. */
  double dense = 0.0;
  if (cJSON_GetObjectItemCaseSensitive(o, "dense") &&
      (rc = get_integer(o, "dense", "params.dense", 0, 1u << VIRAL_LOGISTIC_MAX_BITS, &dense, err)))
    return rc;
  p->dense = (uint32_t)dense;
  p->passes = (int)passes;
  p->seed = (uint32_t)seed;
  const char *why = viral_logistic_params_check(p);
  return why ? viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0, "logistic learner: params: %s", why)
             : VIRAL_OK;
}

/* A saved FTRL weight must be the one z and n give. Not bit for bit: the
 * file may come from a build that rounds differently (e.g. fused
 * multiply-add); the stored weight is what continues training. */
static int ftrl_consistent(const viral_logistic_params *p, double w, double z, double n,
                           double l1, double l2) {
  double expect = viral_logistic_ftrl_weight(p, z, sqrt(n), l1, l2);
  return fabs(w - expect) <= 1e-12 * fmax(1.0, fabs(expect));
}

static int read_bias(const cJSON *json, viral_logistic *m, columns c, viral_error *err) {
  const cJSON *o;
  int rc = get_item(json, "bias", "bias", &o, err);
  if (rc) return rc;
  if (!cJSON_IsObject(o)) return bad(err, "bias", "must be an object");
  if ((rc = get_number(o, "weight", "bias.weight", 0, &m->bias_w, err)) ||
      (c.has_z && (rc = get_number(o, "z", "bias.z", 0, &m->bias_z, err))) ||
      (c.has_n && (rc = get_number(o, "n", "bias.n", 1, &m->bias_n, err))))
    return rc;
  if (c.has_z && !ftrl_consistent(&m->p, m->bias_w, m->bias_z, m->bias_n, 0.0, 0.0))
    return bad(err, "bias.weight", "does not match bias.z and bias.n");
  return VIRAL_OK;
}

/* "standardize": {"mean": [dense numbers], "m2": [dense numbers >= 0]},
 * present exactly when the learner standardizes dense coordinates. The
 * shape is checked before the learner is made, so the arrays "dense" sizes
 * are there in the file: a few bytes cannot ask for gigabytes. */
static const char *const standardize_keys[2] = {"mean", "m2"};

static int check_standardize_shape(const cJSON *json, uint32_t dense, viral_error *err) {
  const cJSON *o = cJSON_GetObjectItemCaseSensitive(json, "standardize");
  if (!dense) return o ? bad(err, "standardize", "must be absent without dense coordinates") : VIRAL_OK;
  if (!o) return viral_error_set(err, VIRAL_ERR_MISSING, NULL, 0, "logistic learner: \"standardize\" is missing");
  for (int a = 0; a < 2; a++) {
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, standardize_keys[a]);
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) != (int)dense) {
      char path[64], what[64];
      snprintf(path, sizeof path, "standardize.%s", standardize_keys[a]);
      snprintf(what, sizeof what, "must be an array of %u numbers", (unsigned)dense);
      return bad(err, path, what);
    }
  }
  return VIRAL_OK;
}

/* The values of "standardize", its shape checked already. */
static int read_standardize(const cJSON *json, viral_logistic *m, viral_error *err) {
  if (!m->dense) return VIRAL_OK;
  const cJSON *o = cJSON_GetObjectItemCaseSensitive(json, "standardize");
  double *dest[2] = {m->mean, m->m2};
  for (int a = 0; a < 2; a++) {
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, standardize_keys[a]);
    uint32_t i = 0;
    for (const cJSON *v = arr->child; v; v = v->next, i++) {
      char path[64];
      snprintf(path, sizeof path, "standardize.%s[%u]", standardize_keys[a], (unsigned)i);
      int rc = number_value(v, path, a == 1, &dest[a][i], err);
      if (rc) return rc;
    }
  }
  if (m->rows == 0)
    for (uint32_t i = 0; i < m->dense; i++)
      if (m->mean[i] != 0.0 || m->m2[i] != 0.0)
        return bad(err, "standardize", "must be all zero before any row is learned");
  return VIRAL_OK;
}

static int read_columns(const cJSON *json, columns c, viral_error *err) {
  const cJSON *names;
  int rc = get_item(json, "columns", "columns", &names, err);
  if (rc) return rc;
  cJSON *expect = write_column_names(c);
  if (!expect) return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  int same = cJSON_Compare(names, expect, 1);
  char *text = same ? NULL : cJSON_PrintUnformatted(expect);
  cJSON_Delete(expect);
  if (same) return VIRAL_OK;
  rc = viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0,
                       "logistic learner: \"columns\" must be %s for these params",
                       text ? text : "the optimizer's columns");
  free(text);
  return rc;
}

/* One coordinate's numbers, however they were read: vals[0, count), with
 * count = -1 when the row was not an array of numbers. */
typedef struct coord_row {
  double vals[5];
  int count;
} coord_row;

static int read_coordinate(const coord_row *row, size_t k, viral_logistic *m, columns c,
                           double *last_index, viral_error *err) {
  char path[64];
  snprintf(path, sizeof path, "coordinates[%zu]", k);
  int want = 2 + c.has_z + c.has_n + c.has_scale;
  if (row->count != want) {
    char what[64];
    snprintf(what, sizeof what, "must be an array of %d numbers", want);
    return bad(err, path, what);
  }
  const char *names[5] = {"index", "weight", NULL, NULL, NULL};
  int col = 2;
  if (c.has_z) names[col++] = "z";
  if (c.has_n) names[col++] = "n";
  if (c.has_scale) names[col++] = "scale";
  double z = 0.0, n = 0.0, s = 0.0;
  for (int j = 0; j < want; j++) {
    double v = row->vals[j];
    snprintf(path, sizeof path, "coordinates[%zu][%d] (%s)", k, j, names[j]);
    if (j == 0) {
      if (!(v >= 0.0 && v <= (double)(m->dim - 1) && v == floor(v))) {
        char what[96];
        snprintf(what, sizeof what, "must be an integer between 0 and %zu", m->dim - 1);
        return bad(err, path, what);
      }
      if (v <= *last_index) return bad(err, path, "must be larger than the previous index");
      continue;
    }
    if (!isfinite(v)) return bad(err, path, "must be a finite number");
    if ((names[j][0] == 'n' || names[j][0] == 's') && !(v >= 0.0)) return bad(err, path, "must be >= 0");
    if (names[j][0] == 'z') z = v;
    if (names[j][0] == 'n') n = v;
    if (names[j][0] == 's') {
      s = v;
      /* Any listed hashed coordinate has been seen, and only non-zero
       * values count; a dense coordinate has no max-abs scale (unless a
       * hashed value collided with it). */
      if (!(s > 0.0) && row->vals[0] >= m->dense) return bad(err, path, "must be > 0");
    }
  }
  double w = row->vals[1];
  if (c.has_z && !ftrl_consistent(&m->p, w, z, n, m->p.l1, m->p.l2)) {
    snprintf(path, sizeof path, "coordinates[%zu][1] (weight)", k);
    return bad(err, path, "does not match z and n");
  }
  *last_index = row->vals[0];
  size_t i = (size_t)row->vals[0];
  m->w[i] = w;
  if (m->z) m->z[i] = z;
  if (m->n) m->n[i] = n;
  if (m->s) m->s[i] = s;
  return VIRAL_OK;
}

static void row_from_json(const cJSON *row, coord_row *out) {
  out->count = 0;
  if (!cJSON_IsArray(row)) {
    out->count = -1;
    return;
  }
  for (const cJSON *v = row->child; v; v = v->next) {
    if (!cJSON_IsNumber(v) || out->count == 5) {
      out->count = -1;
      return;
    }
    out->vals[out->count++] = v->valuedouble;
  }
}

static const char *skip_space(const char *p, const char *end) {
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
  return p;
}

/* One "[number, ...]" at *p (after white space); advances *p past it. The
 * numbers are read with strtod, as cJSON reads them: the same bits. */
static void row_from_text(const char **p, const char *end, coord_row *out) {
  const char *q = skip_space(*p, end);
  out->count = -1;
  if (q >= end || *q != '[') return;
  q = skip_space(q + 1, end);
  int count = 0;
  if (q < end && *q == ']') {
    *p = q + 1;
    out->count = 0;
    return;
  }
  for (;;) {
    /* a JSON number starts with '-' or a digit; strtod alone would also
     * take "inf", "0x1p3" or a leading '+' */
    if (q >= end || !(*q == '-' || (*q >= '0' && *q <= '9')) || count == 5) return;
    char *after;
    out->vals[count++] = strtod(q, &after);
    if (after == q || after > end) return;
    q = skip_space(after, end);
    if (q < end && *q == ',') {
      q = skip_space(q + 1, end);
      continue;
    }
    if (q < end && *q == ']') break;
    return;
  }
  out->count = count;
  *p = q + 1;
}

/* The coordinate table as text "[[...], ...]" (len bytes; NUL-terminated
 * after them or not: strtod stops at the closing bracket). */
static int read_coordinates_text(const char *text, size_t len, viral_logistic *m, columns c,
                                 viral_error *err) {
  const char *p = skip_space(text, text + len), *end = text + len;
  if (p >= end || *p != '[') return bad(err, "coordinates", "must be an array");
  p = skip_space(p + 1, end);
  double last_index = -1.0;
  size_t k = 0;
  if (p < end && *p == ']') p++;
  else
    for (;; k++) {
      coord_row row;
      row_from_text(&p, end, &row);
      int rc = read_coordinate(&row, k, m, c, &last_index, err);
      if (rc) return rc;
      p = skip_space(p, end);
      if (p < end && *p == ',') {
        p++;
        continue;
      }
      if (p < end && *p == ']') {
        p++;
        break;
      }
      return bad(err, "coordinates", "must be an array of arrays");
    }
  if (skip_space(p, end) != end) return bad(err, "coordinates", "has text after the array");
  return VIRAL_OK;
}

/* "fit", optional (models before it, and online fits, have none). */
static int read_fit(const cJSON *json, viral_logistic_fit_info *f, viral_error *err) {
  const cJSON *o = cJSON_GetObjectItemCaseSensitive(json, "fit"), *method;
  memset(f, 0, sizeof *f);
  f->cv_log_loss = NAN;
  if (!o) return VIRAL_OK;
  if (!cJSON_IsObject(o)) return bad(err, "fit", "must be an object");
  int rc = get_item(o, "method", "fit.method", &method, err);
  if (rc) return rc;
  int which = -1;
  for (int i = 0; i < 4 && cJSON_IsString(method); i++)
    if (strcmp(method->valuestring, fit_methods[i]) == 0) which = i;
  if (which < 0) return bad(err, "fit.method", "must be \"online\", \"batch\", \"over-memory\" or \"one-class\"");
  f->method = (viral_logistic_fit_method)which;
  double folds = 0, rows = 0;
  if (f->method == VIRAL_LOGISTIC_FIT_BATCH) {
    if ((rc = get_number(o, "C", "fit.C", 1, &f->C, err)) ||
        (rc = get_integer(o, "folds", "fit.folds", 0, 1000, &folds, err)) ||
        (rc = get_integer(o, "rows", "fit.rows", 0, MAX_EXACT_INTEGER, &rows, err)))
      return rc;
    const cJSON *loss = cJSON_GetObjectItemCaseSensitive(o, "cv_log_loss");
    if (loss && (rc = number_value(loss, "fit.cv_log_loss", 1, &f->cv_log_loss, err))) return rc;
  }
  if (f->method == VIRAL_LOGISTIC_FIT_OVER_MEMORY &&
      (rc = get_number(o, "memory_mb", "fit.memory_mb", 1, &f->memory_mb, err)))
    return rc;
  f->folds = (int)folds;
  f->rows = (uint64_t)rows;
  return VIRAL_OK;
}

/* Everything but the coordinate table, into a new learner. */
static viral_logistic *read_head(const cJSON *json, columns *c, viral_error *err) {
  viral_logistic_params p;
  viral_logistic_fit_info fit;
  viral_logistic *m = NULL;
  double bits = 0.0, rows = 0.0;
  if (!cJSON_IsObject(json)) {
    bad(err, "learner", "must be an object");
    return NULL;
  }
  if (read_params(json, &p, err) ||
      get_integer(json, "bits", "bits", VIRAL_LOGISTIC_MIN_BITS, VIRAL_LOGISTIC_MAX_BITS, &bits,
                  err) ||
      get_integer(json, "rows", "rows", 0, MAX_EXACT_INTEGER, &rows, err) || read_fit(json, &fit, err))
    return NULL;
  *c = columns_of(&p);
  if (read_columns(json, *c, err) || check_standardize_shape(json, p.normalize ? p.dense : 0, err))
    return NULL;
  if (!(m = viral_logistic_create(&p, (int)bits, err))) return NULL;
  m->rows = (uint64_t)rows;
  m->fit = fit;
  if (read_bias(json, m, *c, err) || read_standardize(json, m, err)) {
    viral_logistic_free(m);
    return NULL;
  }
  return m;
}

viral_logistic *viral_logistic_json_read_split(const cJSON *json, const char *coordinates,
                                               size_t len, viral_error *err) {
  columns c;
  viral_logistic *m = read_head(json, &c, err);
  if (!m) return NULL;
  if (read_coordinates_text(coordinates, len, m, c, err)) {
    viral_logistic_free(m);
    return NULL;
  }
  viral_logistic_refresh_(m);
  return m;
}

viral_logistic *viral_logistic_json_read(const cJSON *json, viral_error *err) {
  const cJSON *coords = NULL;
  columns c;
  viral_logistic *m = read_head(json, &c, err);
  if (!m) return NULL;
  if (get_item(json, "coordinates", "coordinates", &coords, err)) goto fail;
  if (!cJSON_IsArray(coords)) {
    bad(err, "coordinates", "must be an array");
    goto fail;
  }
  double last_index = -1.0;
  size_t k = 0;
  for (const cJSON *item = coords->child; item; item = item->next, k++) {
    coord_row row;
    row_from_json(item, &row);
    if (read_coordinate(&row, k, m, c, &last_index, err)) goto fail;
  }
  viral_logistic_refresh_(m);
  return m;
fail:
  viral_logistic_free(m);
  return NULL;
}
