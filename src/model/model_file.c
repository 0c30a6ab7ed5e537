/* model_file.c - the model as one checked JSON document (DESIGN.md section 5):
 *
 *   {"format": "viral-model", "version": 2,     (1 still loads: no "dense")
 *    "learner": "logistic" | "svm",          (a name in the learner table)
 *    "threshold": 0.5,
 *    "label_rule": "viral",                  (for people; the pipeline holds it)
 *    "pipeline": {...},                      (features/pipeline_json.h)
 *    <the learner's own section>:            (its to_json and from_json)
 *      "logistic": {...}                     (learn/logistic_json.h), or
 *      "svm": {"model": "libsvm model text", "params": {...}},
 *    "calibration": {"kind": "none"} | {"kind": "platt", "a", "b"} |
 *                   {"kind": "isotonic", "x": [...], "y": [...]},
 *    "training": {"rows", "positives", "updates", "posted_at_first",
 *                 "posted_at_last", "created_at", "tool_version"},
 *    "checksum": "fnv1a64:..."}              (model/document.h)
 *
 * Every number is written exactly (io/json_number.h) and every value is
 * checked on load, whatever the checksum says. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "features/pipeline_json.h"
#include "io/json_number.h"
#include "model/document.h"
#include "model/model_internal.h"
#include "viral/version.h"

/* 2^53: larger counts would not be exact in JSON. */
#define MAX_EXACT_INTEGER 9007199254740992.0

/* ---- writing ---- */

static int add_time(cJSON *o, const char *key, double t) {
  if (isnan(t)) return cJSON_AddNullToObject(o, key) ? 0 : -1;
  return viral_json_add_number(o, key, t);
}

static cJSON *training_json(const viral_model *m) {
  cJSON *o = cJSON_CreateObject();
  if (!o || viral_json_add_number(o, "rows", (double)m->rows) ||
      viral_json_add_number(o, "positives", (double)m->positives) ||
      viral_json_add_number(o, "updates", (double)m->updates) ||
      add_time(o, "posted_at_first", m->time_first) || add_time(o, "posted_at_last", m->time_last) ||
      !cJSON_AddStringToObject(o, "created_at", m->created_at) ||
      !cJSON_AddStringToObject(o, "tool_version", viral_version())) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

static cJSON *calibration_json(const viral_calibration *c) {
  cJSON *o = cJSON_CreateObject();
  if (!o || !cJSON_AddStringToObject(o, "kind", viral_calibration_name(c->kind))) goto fail;
  if (c->kind == VIRAL_CALIBRATION_PLATT &&
      (viral_json_add_number(o, "a", c->a) || viral_json_add_number(o, "b", c->b)))
    goto fail;
  if (c->kind == VIRAL_CALIBRATION_ISOTONIC) {
    cJSON *x = cJSON_AddArrayToObject(o, "x"), *y = cJSON_AddArrayToObject(o, "y");
    if (!x || !y) goto fail;
    for (size_t i = 0; i < c->n; i++)
      if (viral_json_append_number(x, c->x[i]) || viral_json_append_number(y, c->y[i])) goto fail;
  }
  return o;
fail:
  cJSON_Delete(o);
  return NULL;
}

/* The whole model as a document object (without checksum); what the
 * learner streams while saving (the logistic coordinate table) is a
 * placeholder for parts[0 .. *count). */
static cJSON *model_json(const viral_model *m, viral_document_part *parts, size_t *count,
                         viral_error *err) {
  cJSON *doc = viral_document_create(VIRAL_MODEL_FORMAT, VIRAL_MODEL_VERSION);
  cJSON *pipeline = NULL, *training = NULL;
  *count = 0;
  if (!doc || !cJSON_AddStringToObject(doc, "learner", m->learner->name) ||
      viral_json_add_number(doc, "threshold", m->threshold) ||
      !cJSON_AddStringToObject(doc, "label_rule", viral_pipeline_label_rule(m->pipeline)))
    goto nomem;
  if (!(pipeline = viral_pipeline_to_json(m->pipeline, err))) goto fail;
  cJSON_AddItemToObject(doc, "pipeline", pipeline);
  if (m->learner->to_json(m->state, doc, parts, count, err) != VIRAL_OK) goto fail;
  cJSON *calibration = calibration_json(&m->calibration);
  if (!calibration) goto nomem;
  cJSON_AddItemToObject(doc, "calibration", calibration);
  if (!(training = training_json(m))) goto nomem;
  cJSON_AddItemToObject(doc, "training", training);
  return doc;
nomem:
  viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
fail:
  cJSON_Delete(doc);
  return NULL;
}

int viral_model_save(const viral_model *m, const char *path, viral_error *err) {
  viral_document_part parts[VIRAL_DOCUMENT_MAX_PARTS];
  size_t count;
  cJSON *doc = model_json(m, parts, &count, err);
  if (!doc) return viral_error_wrap(err, path, 0);
  int rc = viral_document_save_parts(doc, parts, count, path, err);
  cJSON_Delete(doc);
  return rc;
}

int viral_model_write(const viral_model *m, FILE *out, viral_error *err) {
  viral_document_part parts[VIRAL_DOCUMENT_MAX_PARTS];
  size_t count;
  cJSON *doc = model_json(m, parts, &count, err);
  if (!doc) return err ? err->code : VIRAL_ERR_NOMEM;
  int rc = viral_document_write_parts(doc, parts, count, out, err);
  cJSON_Delete(doc);
  return rc;
}

char *viral_model_to_json_text(const viral_model *m, viral_error *err) {
  viral_document_part parts[VIRAL_DOCUMENT_MAX_PARTS];
  size_t count;
  cJSON *doc = model_json(m, parts, &count, err);
  if (!doc) return NULL;
  char *text = viral_document_print_parts(doc, parts, count, err);
  cJSON_Delete(doc);
  return text;
}

/* ---- reading ---- */

static int bad(viral_error *err, const char *path, const char *key, const char *what) {
  return viral_document_bad(err, path, key, what);
}

static int get_number(const cJSON *o, const char *key, double lo, double hi, int integral,
                      double *out, const char *path, viral_error *err) {
  return viral_document_number(o, key, lo, hi, integral, out, path, err);
}

static int get_time(const cJSON *o, const char *key, double *out, const char *path,
                    viral_error *err) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (cJSON_IsNull(v)) {
    *out = NAN;
    return VIRAL_OK;
  }
  return get_number(o, key, -1e12, 1e12, 0, out, path, err);
}

static int read_training(viral_model *m, const cJSON *doc, const char *path, viral_error *err) {
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(doc, "training");
  if (!cJSON_IsObject(t)) return bad(err, path, "training", "is missing or not an object");
  double rows, pos, updates;
  int rc;
  if ((rc = get_number(t, "rows", 0, MAX_EXACT_INTEGER, 1, &rows, path, err)) ||
      (rc = get_number(t, "positives", 0, rows, 1, &pos, path, err)) ||
      (rc = get_number(t, "updates", 0, MAX_EXACT_INTEGER, 1, &updates, path, err)) ||
      (rc = get_time(t, "posted_at_first", &m->time_first, path, err)) ||
      (rc = get_time(t, "posted_at_last", &m->time_last, path, err)))
    return rc;
  const cJSON *created = cJSON_GetObjectItemCaseSensitive(t, "created_at");
  if (!cJSON_IsString(created) || strlen(created->valuestring) >= sizeof m->created_at)
    return bad(err, path, "created_at", "is missing or not a date");
  snprintf(m->created_at, sizeof m->created_at, "%s", created->valuestring);
  m->rows = (uint64_t)rows;
  m->positives = (uint64_t)pos;
  m->updates = (uint64_t)updates;
  return VIRAL_OK;
}

/* An array of n finite numbers in [0, 1], ascending when ascending is set. */
static int read_unit_array(const cJSON *a, const char *key, int ascending, double *out, size_t n,
                           const char *path, viral_error *err) {
  size_t i = 0;
  for (const cJSON *v = a->child; v; v = v->next, i++) {
    if (i >= n || !cJSON_IsNumber(v) || !(v->valuedouble >= 0 && v->valuedouble <= 1) ||
        (ascending && i > 0 && !(v->valuedouble > out[i - 1])))
      return bad(err, path, key, ascending ? "must hold increasing probabilities"
                                           : "must hold probabilities");
    out[i] = v->valuedouble;
  }
  return VIRAL_OK;
}

static int read_calibration(viral_model *m, const cJSON *doc, const char *path, viral_error *err) {
  const cJSON *c = cJSON_GetObjectItemCaseSensitive(doc, "calibration");
  const cJSON *kind = cJSON_GetObjectItemCaseSensitive(c, "kind");
  viral_calibration *cal = &m->calibration;
  if (!cJSON_IsObject(c) || !cJSON_IsString(kind) ||
      viral_calibration_parse(kind->valuestring, &cal->kind) != VIRAL_OK)
    return bad(err, path, "calibration", "must have \"kind\": \"none\", \"platt\" or \"isotonic\"");
  int rc = VIRAL_OK;
  if (cal->kind == VIRAL_CALIBRATION_PLATT) {
    if ((rc = get_number(c, "a", -1e300, 1e300, 0, &cal->a, path, err)) ||
        (rc = get_number(c, "b", -1e300, 1e300, 0, &cal->b, path, err)))
      return rc;
  } else if (cal->kind == VIRAL_CALIBRATION_ISOTONIC) {
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(c, "x"), *y = cJSON_GetObjectItemCaseSensitive(c, "y");
    int n = cJSON_GetArraySize(x);
    if (!cJSON_IsArray(x) || !cJSON_IsArray(y) || n < 1 || n != cJSON_GetArraySize(y))
      return bad(err, path, "calibration", "isotonic needs arrays x and y of one length");
    cal->n = (size_t)n;
    if (!(cal->x = malloc(cal->n * sizeof *cal->x)) || !(cal->y = malloc(cal->n * sizeof *cal->y)))
      return viral_error_set(err, VIRAL_ERR_NOMEM, path, 0, "out of memory");
    if ((rc = read_unit_array(x, "x", 1, cal->x, cal->n, path, err)) ||
        (rc = read_unit_array(y, "y", 0, cal->y, cal->n, path, err)))
      return rc;
    for (size_t i = 1; i < cal->n; i++)
      if (cal->y[i] < cal->y[i - 1]) return bad(err, path, "y", "must not decrease");
  }
  return VIRAL_OK;
}

/* cut: the text of the member the learner's section cut out of doc
 * (cut_len bytes), or NULL when doc holds it. */
static viral_model *model_from_json(const cJSON *doc, const char *cut, size_t cut_len,
                                    const char *path, viral_error *err) {
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(doc, "learner");
  const viral_learner *learner = cJSON_IsString(name) ? viral_learner_find(name->valuestring) : NULL;
  if (!learner) {
    char must[300], names[256];
    viral_learner_list(names, sizeof names, 1, 0);
    snprintf(must, sizeof must, "must be %s", names);
    bad(err, path, "learner", must);
    return NULL;
  }
  const cJSON *pj = cJSON_GetObjectItemCaseSensitive(doc, "pipeline");
  if (!cJSON_IsObject(pj)) {
    bad(err, path, "pipeline", "is missing or not an object");
    return NULL;
  }
  viral_pipeline *p = viral_pipeline_from_json(pj, path, err);
  if (!p) return NULL;
  viral_model *m = viral_model_create_(p, learner);
  if (!m) {
    viral_pipeline_free(p);
    viral_error_set(err, VIRAL_ERR_NOMEM, path, 0, "out of memory");
    return NULL;
  }
  int rc = get_number(doc, "threshold", 0, 1, 0, &m->threshold, path, err);
  if (rc == VIRAL_OK) rc = read_training(m, doc, path, err);
  if (rc == VIRAL_OK) rc = read_calibration(m, doc, path, err);
  if (rc == VIRAL_OK && !(m->state = learner->from_json(doc, cut, cut_len, p, path, err)))
    rc = err ? err->code : VIRAL_ERR_INVALID;
  if (rc != VIRAL_OK) {
    viral_model_free(m);
    return NULL;
  }
  return m;
}

/* Every member the readers above (and viral_pipeline_from_json, each
 * learner's from_json) look at: the loader skips any other without
 * building it. A key missing here reads as null, so a reader of a new key
 * fails loudly until it is listed. */
static const viral_document_key pipeline_keys[] = {
    {"spec", NULL, 0}, {"allow_leakage", NULL, 0}, {"fitted", NULL, 0}, {"scaling", NULL, 0},
    {"label_threshold", NULL, 0}, {"names", NULL, 0}, {"profile", NULL, 0}, {NULL, NULL, 0}};
static const viral_document_key calibration_keys[] = {
    {"kind", NULL, 0}, {"a", NULL, 0}, {"b", NULL, 0}, {"x", NULL, 0}, {"y", NULL, 0},
    {NULL, NULL, 0}};
static const viral_document_key training_keys[] = {
    {"rows", NULL, 0}, {"positives", NULL, 0}, {"updates", NULL, 0},
    {"posted_at_first", NULL, 0}, {"posted_at_last", NULL, 0}, {"created_at", NULL, 0},
    {"tool_version", NULL, 0}, {NULL, NULL, 0}};
static const viral_document_key model_keys[] = {
    {"format", NULL, 0}, {"version", NULL, 0}, {"learner", NULL, 0}, {"threshold", NULL, 0},
    {"label_rule", NULL, 0}, {"pipeline", pipeline_keys, 0}, {"calibration", calibration_keys, 0},
    {"training", training_keys, 0}, {"checksum", NULL, 0}, {NULL, NULL, 0}};

#define MAX_LEARNERS 16

/* model_keys and every learner's section, into keys (NULL name ends). */
static void known_keys(viral_document_key keys[], size_t size) {
  size_t n = 0;
  for (const viral_document_key *k = model_keys; k->name && n + 1 < size; k++) keys[n++] = *k;
  for (size_t i = 0; viral_learner_at(i) && n + 1 < size; i++) keys[n++] = viral_learner_at(i)->section;
  keys[n] = (viral_document_key){NULL, NULL, 0};
}

viral_model *viral_model_load(const char *path, viral_error *err) {
  char *text = NULL;
  size_t start = 0, len = 0;
  viral_document_key keys[sizeof model_keys / sizeof model_keys[0] + MAX_LEARNERS];
  known_keys(keys, sizeof keys / sizeof keys[0]);
  cJSON *doc = viral_document_load_known(path, VIRAL_MODEL_FORMAT, VIRAL_MODEL_OLDEST_VERSION,
                                         VIRAL_MODEL_VERSION, keys, &text, &start, &len, err);
  if (!doc) return NULL;
  viral_model *m = model_from_json(doc, len ? text + start : NULL, len, path, err);
  cJSON_Delete(doc);
  free(text);
  return m;
}
