/* test_gbt.c - the gbt learner (viral/gbt.h): its trees score as XGBoost
 * does, bit for bit; save and load keep the model exactly; an update adds
 * trees; SHAP values add up to the margin; damaged boosters are refused;
 * fitting is deterministic. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <xgboost/c_api.h>

#include "learn/gbt_internal.h"
#include "model/document.h"
#include "testutil.h"
#include "viral/gbt.h"
#include "viral/metrics.h"
#include "viral/model.h"

static char dir[4096];
static char sample[4200];

static void setup(void) {
  test_tmpdir(dir, sizeof dir, "gbt");
  test_repo_path(sample, sizeof sample, "datasets/sample.csv");
}

/* Write the header and rows [from, to) of sample.csv to path. */
static const char *write_rows(const char *name, size_t from, size_t to) {
  static char path[4200];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  char *text = test_read_file(sample, NULL);
  ck_assert_ptr_nonnull(text);
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  char *line = text, *next;
  for (size_t row = 0; line && *line; line = next, row++) {
    next = strchr(line, '\n');
    if (next) next++;
    size_t len = next ? (size_t)(next - line) : strlen(line);
    if (row == 0 || (row - 1 >= from && row - 1 < to)) fwrite(line, 1, len, f);
  }
  fclose(f);
  free(text);
  return path;
}

static void gbt_options(viral_train_options *o) {
  viral_train_options_init(o);
  viral_train_options_set_learner(o, viral_learner_find("gbt"));
  viral_gbt_params *p = viral_train_options_gbt(o);
  ck_assert_ptr_nonnull(p);
  p->threads = 1;
  p->rounds = 150;
  p->early_stop = 20;
  p->min_rows = 5;
}

static viral_model *train(const char *path, const viral_train_options *opts) {
  viral_pipeline_options po;
  viral_pipeline_options_init(&po);
  po.scaling = viral_learner_scaling(opts->learner);
  viral_error err = {0};
  viral_pipeline *p = viral_pipeline_load_spec(NULL, &po, &err);
  ck_assert_msg(p != NULL, "%s", err.message);
  viral_model *m = viral_model_train(p, path, NULL, opts, NULL, &err);
  viral_pipeline_free(p);
  ck_assert_msg(m != NULL, "%s", err.message);
  return m;
}

/* The rows of path through m's pipeline. */
static void featurize(viral_model *m, const char *path, viral_dataset *ds) {
  viral_error err = {0};
  viral_reader *r = viral_reader_open(path, NULL, &err);
  ck_assert_ptr_nonnull(r);
  const viral_record *rec;
  viral_sparse x;
  viral_sparse_init(&x);
  while (viral_reader_next(r, &rec, &err) == 1) {
    double y;
    ck_assert_int_eq(viral_pipeline_transform(viral_model_pipeline_mut(m), rec, &x, &y, &err), VIRAL_OK);
    ck_assert_int_eq(viral_dataset_append(ds, &x, y), VIRAL_OK);
  }
  viral_sparse_release(&x);
  viral_reader_free(r);
}

static char *model_text(const viral_model *m) {
  viral_error err = {0};
  char *t = viral_model_to_json_text(m, &err);
  ck_assert_ptr_nonnull(t);
  return t;
}

/* ---- scoring equals XGBoost's ---- */

/* XGBoost's margin for each row of ds, from the model's booster text:
 * out[rows] (caller frees). */
static float *xgboost_margins(const viral_gbt_model *g, const viral_dataset *ds) {
  const uint32_t *columns;
  size_t ncol = viral_gbt_columns(g, &columns);
  gbt_rows rows;
  gbt_rows_init(&rows);
  viral_error err = {0};
  viral_sparse kept;
  viral_sparse_init(&kept);
  for (size_t r = 0; r < ds->rows; r++) {
    viral_sparse x = viral_dataset_row(ds, r);
    viral_sparse_clear(&kept);
    for (size_t i = 0; i < x.count; i++)
      for (size_t j = 0; j < ncol; j++)
        if (columns[j] == x.items[i].index) viral_sparse_push(&kept, (uint32_t)j, x.items[i].value);
    ck_assert_int_eq(gbt_rows_append(&rows, &kept, ds->labels[r], 1, &err), VIRAL_OK);
  }
  viral_sparse_release(&kept);
  DMatrixHandle d;
  ck_assert_int_eq(XGDMatrixCreateFromCSREx(rows.start, rows.index, rows.value, rows.count + 1,
                                            rows.start[rows.count], ncol, &d), 0);
  BoosterHandle b;
  size_t len;
  const char *json = viral_gbt_booster_json(g, &len);
  ck_assert_int_eq(XGBoosterCreate(NULL, 0, &b), 0);
  ck_assert_int_eq(XGBoosterLoadModelFromBuffer(b, json, len), 0);
  const bst_ulong *shape;
  bst_ulong dim;
  const float *m;
  ck_assert_int_eq(XGBoosterPredictFromDMatrix(b, d,
                                               "{\"type\": 1, \"training\": false, \"iteration_begin\": 0, "
                                               "\"iteration_end\": 0, \"strict_shape\": false}",
                                               &shape, &dim, &m),
                   0);
  float *out = malloc(ds->rows * sizeof *out);
  memcpy(out, m, ds->rows * sizeof *out);
  XGBoosterFree(b);
  XGDMatrixFree(d);
  gbt_rows_release(&rows);
  return out;
}

START_TEST(trees_score_as_xgboost_does) {
  viral_train_options opts;
  gbt_options(&opts);
  const char *path = write_rows("fit.csv", 0, 2000);
  viral_model *m = train(path, &opts);
  const viral_gbt_model *g = viral_model_gbt(m);
  ck_assert_ptr_nonnull(g);
  ck_assert_uint_gt(viral_gbt_tree_count(g), 5);
  viral_dataset ds;
  viral_dataset_init(&ds);
  featurize(m, sample, &ds); /* rows it was fitted on and 3000 others */
  float *want = xgboost_margins(g, &ds);
  viral_error err = {0};
  size_t high = 0;
  for (size_t r = 0; r < ds.rows; r++) {
    viral_sparse x = viral_dataset_row(&ds, r);
    viral_prediction p;
    ck_assert_int_eq(viral_model_predict_vector(m, &x, &p, &err), VIRAL_OK);
    ck_assert_msg(p.margin == (double)want[r], "row %zu: %.9g vs xgboost %.9g", r, p.margin, want[r]);
    ck_assert_double_near(p.probability, 1 / (1 + exp(-p.margin)), 1e-15);
    high += p.probability > 0.5;
  }
  ck_assert_uint_gt(high, 10);
  free(want);
  viral_dataset_release(&ds);
  viral_model_free(m);
}
END_TEST

/* ---- save and load ---- */

START_TEST(save_and_load_keep_the_model_exactly) {
  viral_train_options opts;
  gbt_options(&opts);
  viral_model *m = train(write_rows("fit.csv", 0, 1500), &opts);
  char path[4200];
  snprintf(path, sizeof path, "%s/m.json", dir);
  viral_error err = {0};
  ck_assert_int_eq(viral_model_save(m, path, &err), VIRAL_OK);
  viral_model *back = viral_model_load(path, &err);
  ck_assert_msg(back != NULL, "%s", err.message);
  char *a = model_text(m), *b = model_text(back);
  ck_assert_str_eq(a, b);
  free(a), free(b);
  viral_dataset ds;
  viral_dataset_init(&ds);
  featurize(m, sample, &ds);
  for (size_t r = 0; r < ds.rows; r++) {
    viral_sparse x = viral_dataset_row(&ds, r);
    viral_prediction p, q;
    ck_assert_int_eq(viral_model_predict_vector(m, &x, &p, &err), VIRAL_OK);
    ck_assert_int_eq(viral_model_predict_vector(back, &x, &q, &err), VIRAL_OK);
    ck_assert(p.probability == q.probability && p.margin == q.margin);
  }
  viral_dataset_release(&ds);
  viral_model_free(m);
  viral_model_free(back);
}
END_TEST

/* ---- update ---- */

/* The "trees" array of XGBoost's JSON model text (caller deletes). */
static cJSON *booster_trees(const char *json) {
  cJSON *doc = cJSON_Parse(json);
  ck_assert_ptr_nonnull(doc);
  cJSON *model = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "learner"), "gradient_booster"), "model");
  cJSON *trees = cJSON_DetachItemFromObject(model, "trees");
  ck_assert_ptr_nonnull(trees);
  cJSON_Delete(doc);
  return trees;
}

START_TEST(update_adds_trees_fitted_on_the_new_rows) {
  viral_train_options opts;
  gbt_options(&opts);
  viral_model *m = train(write_rows("a.csv", 0, 1000), &opts);
  viral_model *twin = train(write_rows("a.csv", 0, 1000), &opts);
  size_t before = viral_gbt_tree_count(viral_model_gbt(m));
  char *old = strdup(viral_gbt_booster_json(viral_model_gbt(m), NULL));
  const char *b = write_rows("b.csv", 1000, 5000);
  viral_train_summary s;
  viral_error err = {0};
  ck_assert_int_eq(viral_model_update(m, b, NULL, &opts, &s, &err), VIRAL_OK);
  ck_assert_uint_eq(s.rows, 4000);
  ck_assert(s.log_loss > 0 && s.auc > 0.5); /* the slice of the new rows, scored */
  size_t after = viral_gbt_tree_count(viral_model_gbt(m));
  ck_assert_uint_gt(after, before);
  ck_assert_uint_eq(viral_model_updates(m), 1);
  ck_assert_uint_eq(viral_model_rows(m), 5000);
  /* the same update of the same model: the same trees */
  ck_assert_int_eq(viral_model_update(twin, b, NULL, &opts, NULL, &err), VIRAL_OK);
  size_t lx, ly;
  const char *gx = viral_gbt_booster_json(viral_model_gbt(m), &lx), *gy = viral_gbt_booster_json(viral_model_gbt(twin), &ly);
  ck_assert_uint_eq(lx, ly);
  ck_assert_msg(memcmp(gx, gy, lx) == 0, "the same update of the same model gave other trees");
  /* the old trees are still the first ones: an update adds, it does not refit */
  cJSON *old_trees = booster_trees(old), *new_trees = booster_trees(gx);
  ck_assert_int_eq(cJSON_GetArraySize(old_trees), (int)before);
  ck_assert_int_eq(cJSON_GetArraySize(new_trees), (int)after);
  for (size_t k = 0; k < before; k++) {
    char *t0 = cJSON_PrintUnformatted(cJSON_GetArrayItem(old_trees, (int)k));
    char *t1 = cJSON_PrintUnformatted(cJSON_GetArrayItem(new_trees, (int)k));
    ck_assert_msg(strcmp(t0, t1) == 0, "tree %zu changed in the update", k);
    free(t0), free(t1);
  }
  cJSON_Delete(old_trees), cJSON_Delete(new_trees);
  free(old);
  viral_model_free(m);
  viral_model_free(twin);
}
END_TEST

/* ---- explanations ---- */

START_TEST(contributions_add_up_to_the_margin) {
  viral_train_options opts;
  gbt_options(&opts);
  viral_model *m = train(write_rows("fit.csv", 0, 2000), &opts);
  const viral_gbt_model *g = viral_model_gbt(m);
  viral_dataset ds;
  viral_dataset_init(&ds);
  featurize(m, write_rows("score.csv", 2000, 2300), &ds);
  viral_error err = {0};
  double *out = malloc(512 * sizeof *out);
  size_t explained = 0;
  for (size_t r = 0; r < ds.rows; r++) {
    viral_sparse x = viral_dataset_row(&ds, r);
    ck_assert_uint_lt(x.count, 512);
    double margin, bias, absent, sum = 0;
    ck_assert_int_eq(viral_gbt_predict(g, &x, NULL, &margin, &err), VIRAL_OK);
    ck_assert_int_eq(viral_gbt_contributions(g, &x, out, &bias, &absent, &err), VIRAL_OK);
    for (size_t i = 0; i < x.count; i++) sum += out[i];
    ck_assert_double_near(sum + bias + absent, margin, 1e-4 * (1 + fabs(margin)));
    explained += sum != 0;
  }
  ck_assert_uint_eq(explained, ds.rows);
  /* the model's reasons are those contributions, largest first */
  viral_sparse x = viral_dataset_row(&ds, 0);
  ck_assert_int_eq(viral_gbt_contributions(g, &x, out, NULL, NULL, &err), VIRAL_OK);
  free(out);
  viral_dataset_release(&ds);
  viral_model_free(m);
}
END_TEST

/* ---- damaged files ---- */

static char good_path[4200];

static void save_good(void) {
  viral_train_options opts;
  gbt_options(&opts);
  viral_model *m = train(write_rows("good.csv", 0, 800), &opts);
  snprintf(good_path, sizeof good_path, "%s/good.json", dir);
  viral_error err = {0};
  ck_assert_int_eq(viral_model_save(m, good_path, &err), VIRAL_OK);
  viral_model_free(m);
}

typedef void (*edit_fn)(cJSON *gbt);

/* The load error (without "PATH: ") of the good model with its "gbt"
 * section edited and a valid checksum. */
static const char *edited_error(edit_fn edit) {
  static viral_error err;
  char *text = test_read_file(good_path, NULL);
  cJSON *doc = cJSON_Parse(text);
  free(text);
  cJSON_DeleteItemFromObject(doc, "checksum");
  edit(cJSON_GetObjectItem(doc, "gbt"));
  static char path[4200];
  snprintf(path, sizeof path, "%s/edited.json", dir);
  ck_assert_int_eq(viral_document_save(doc, path, &err), VIRAL_OK);
  cJSON_Delete(doc);
  viral_error_clear(&err);
  viral_model *m = viral_model_load(path, &err);
  ck_assert_msg(m == NULL, "a damaged model was accepted");
  ck_assert_msg(strncmp(err.message, path, strlen(path)) == 0, "names the file: %s", err.message);
  return err.message + strlen(path) + 2;
}

/* Replace the first occurrence of from by to in the booster text. */
static void booster_replace(cJSON *gbt, const char *from, const char *to) {
  const char *text = cJSON_GetObjectItem(gbt, "booster")->valuestring;
  const char *at = strstr(text, from);
  ck_assert_ptr_nonnull(at);
  size_t n = strlen(text) + strlen(to) + 1;
  char *edited = malloc(n);
  snprintf(edited, n, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
  cJSON_ReplaceItemInObject(gbt, "booster", cJSON_CreateString(edited));
  free(edited);
}

static void child_before_parent(cJSON *g) { booster_replace(g, "\"left_children\":[1,", "\"left_children\":[0,"); }
static void no_booster(cJSON *g) { cJSON_DeleteItemFromObject(g, "booster"); }
static void not_json(cJSON *g) { cJSON_ReplaceItemInObject(g, "booster", cJSON_CreateString("{\"learner\":")); }
static void other_objective(cJSON *g) { booster_replace(g, "binary:logistic", "reg:squarederror"); }
static void infinite_leaf(cJSON *g) {
  cJSON *b = cJSON_Parse(cJSON_GetObjectItem(g, "booster")->valuestring);
  cJSON *tree = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(
                                                           cJSON_GetObjectItem(b, "learner"), "gradient_booster"),
                                                       "model"),
                                   "trees"),
                                   0);
  cJSON_ReplaceItemInArray(cJSON_GetObjectItem(tree, "split_conditions"), 0, cJSON_CreateRaw("1E39"));
  char *text = cJSON_PrintUnformatted(b);
  cJSON_ReplaceItemInObject(g, "booster", cJSON_CreateString(text));
  free(text);
  cJSON_Delete(b);
}
static void extra_node(cJSON *g) { booster_replace(g, "\"split_conditions\":[", "\"split_conditions\":[1,"); }
static void one_column_less(cJSON *g) { cJSON_DeleteItemFromArray(cJSON_GetObjectItem(g, "columns"), 0); }
static void columns_out_of_order(cJSON *g) {
  cJSON *c = cJSON_GetObjectItem(g, "columns");
  cJSON_ReplaceItemInArray(c, 1, cJSON_CreateNumber(cJSON_GetArrayItem(c, 0)->valuedouble));
}
static void bad_eta(cJSON *g) { cJSON_ReplaceItemInObject(cJSON_GetObjectItem(g, "params"), "eta", cJSON_CreateNumber(0)); }

START_TEST(damaged_boosters_are_refused_with_their_reason) {
  save_good();
  ck_assert_str_eq(edited_error(child_before_parent),
                   "booster tree 0: a split's children must be two distinct nodes after it");
  ck_assert_str_eq(edited_error(no_booster),
                   "\"gbt\" must hold \"params\", \"columns\" and the XGBoost \"booster\" text");
  ck_assert_str_eq(edited_error(not_json), "booster: is not a JSON document");
  ck_assert_str_eq(edited_error(other_objective), "booster: must be a gbtree booster of binary:logistic");
  ck_assert_str_eq(edited_error(infinite_leaf),
                   "booster tree 0: a node has a child, feature, condition, default or gain out of range");
  ck_assert_str_eq(edited_error(extra_node), "booster tree 0: its node arrays must each hold num_nodes items");
  ck_assert_str_eq(edited_error(one_column_less), "booster: its num_feature must equal the count of columns");
  ck_assert_str_eq(edited_error(columns_out_of_order),
                   "gbt columns must be ascending feature indices below the pipeline's 262144");
  ck_assert_str_eq(edited_error(bad_eta), "gbt params: eta must be a number in (0, 1]");
}
END_TEST

/* ---- quality ---- */

/* Trained on rows 1-3000 of sample.csv with the defaults, the trees rank
 * rows 3001-5000 at least as well as scikit-learn's HistGradientBoosting
 * on the same vectors (tests/fixtures/gbt/sample_auc.txt, written by
 * tools/fixtures/make_gbt_fixtures.sh), less 0.005. */
START_TEST(auc_on_held_out_rows_reaches_the_reference) {
  char ref_path[4200];
  test_repo_path(ref_path, sizeof ref_path, "tests/fixtures/gbt/sample_auc.txt");
  char *ref = test_read_file(ref_path, NULL);
  ck_assert_ptr_nonnull(ref);
  double hgb = 0;
  ck_assert_int_eq(sscanf(ref, "hgb %lf", &hgb), 1);
  free(ref);
  ck_assert(hgb > 0.9 && hgb < 1);
  viral_train_options opts;
  viral_train_options_init(&opts);
  viral_train_options_set_learner(&opts, viral_learner_find("gbt"));
  viral_model *m = train(write_rows("fit.csv", 0, 3000), &opts);
  viral_dataset ds;
  viral_dataset_init(&ds);
  featurize(m, write_rows("test.csv", 3000, 5000), &ds);
  double *p = malloc(ds.rows * sizeof *p), auc = 0;
  viral_error err = {0};
  for (size_t r = 0; r < ds.rows; r++) {
    viral_sparse x = viral_dataset_row(&ds, r);
    viral_prediction pred;
    ck_assert_int_eq(viral_model_predict_vector(m, &x, &pred, &err), VIRAL_OK);
    p[r] = pred.probability;
  }
  ck_assert_int_eq(viral_metrics_roc_auc(ds.labels, p, ds.rows, &auc, &err), VIRAL_OK);
  ck_assert_msg(auc >= hgb - 0.005, "AUC %.4f below the reference %.4f - 0.005", auc, hgb);
  free(p);
  viral_dataset_release(&ds);
  viral_model_free(m);
}
END_TEST

/* ---- determinism and refusals ---- */

START_TEST(fitting_is_deterministic) {
  viral_train_options opts;
  gbt_options(&opts);
  const char *path = write_rows("fit.csv", 0, 1500);
  viral_model *a = train(path, &opts), *b = train(path, &opts);
  size_t la, lb;
  const char *ja = viral_gbt_booster_json(viral_model_gbt(a), &la), *jb = viral_gbt_booster_json(viral_model_gbt(b), &lb);
  ck_assert_uint_eq(la, lb);
  ck_assert(memcmp(ja, jb, la) == 0);
  /* another seed samples other rows and columns */
  opts.seed = 2;
  viral_model *c = train(path, &opts);
  const char *jc = viral_gbt_booster_json(viral_model_gbt(c), NULL);
  ck_assert(strcmp(ja, jc) != 0);
  viral_model_free(a);
  viral_model_free(b);
  viral_model_free(c);
}
END_TEST

START_TEST(one_class_is_refused) {
  viral_train_options opts;
  gbt_options(&opts);
  viral_pipeline_options po;
  viral_pipeline_options_init(&po);
  po.scaling = "none";
  po.label = "views_final>=1000000000000";
  viral_error err = {0};
  viral_pipeline *p = viral_pipeline_load_spec(NULL, &po, &err);
  ck_assert_ptr_null(viral_model_train(p, write_rows("one.csv", 0, 300), NULL, &opts, NULL, &err));
  ck_assert_str_eq(err.message, "gbt needs rows of both classes to learn from, not only 0");
  viral_pipeline_free(p);
}
END_TEST

START_TEST(params_are_checked) {
  viral_gbt_params p;
  viral_gbt_params_init(&p);
  ck_assert_ptr_null(viral_gbt_params_check(&p));
  p.subsample = 0;
  ck_assert_str_eq(viral_gbt_params_check(&p), "subsample must be a number in (0, 1]");
  viral_gbt_params_init(&p);
  p.valid_fraction = 0.6;
  ck_assert_str_eq(viral_gbt_params_check(&p), "valid-fraction must be a number in (0, 0.5]");
  viral_gbt_params_init(&p);
  p.max_depth = 17;
  ck_assert_str_eq(viral_gbt_params_check(&p), "max-depth must be from 1 to 16");
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("gbt");
  TCase *tc = tcase_create("gbt");
  tcase_add_checked_fixture(tc, setup, NULL);
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, trees_score_as_xgboost_does);
  tcase_add_test(tc, save_and_load_keep_the_model_exactly);
  tcase_add_test(tc, update_adds_trees_fitted_on_the_new_rows);
  tcase_add_test(tc, contributions_add_up_to_the_margin);
  tcase_add_test(tc, damaged_boosters_are_refused_with_their_reason);
  tcase_add_test(tc, auc_on_held_out_rows_reaches_the_reference);
  tcase_add_test(tc, fitting_is_deterministic);
  tcase_add_test(tc, one_class_is_refused);
  tcase_add_test(tc, params_are_checked);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return test_main(make_suite()); }
