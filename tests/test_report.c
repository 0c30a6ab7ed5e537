/* test_report.c - the JSON and HTML reports of `viral eval`. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "viral/eval.h"
#include "viral/report.h"

static size_t count(const char *hay, const char *needle) {
  size_t n = 0;
  for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle)) n++;
  return n;
}

START_TEST(html_is_self_contained_with_four_charts) {
  char dir[4096], cmd[12288], data[4096], path[4096 + 32];
  test_tmpdir(dir, sizeof dir, "report_html");
  test_repo_path(data, sizeof data, "tests/data/eval/head200.csv");
  snprintf(cmd, sizeof cmd, "eval --folds 3 --html %s/r.html %s", dir, data);
  char *out, *err;
  ck_assert_int_eq(test_run_viral(cmd, NULL, &out, &err), 0);
  free(out), free(err);
  snprintf(path, sizeof path, "%s/r.html", dir);
  char *html = test_read_file(path, NULL);
  ck_assert_ptr_nonnull(html);
  ck_assert(strncmp(html, "<!DOCTYPE html>", 15) == 0);
  /* ROC, PR, reliability and per-fold charts, all inline */
  ck_assert_uint_eq(count(html, "<svg "), 4);
  ck_assert_uint_eq(count(html, "</svg>"), 4);
  ck_assert_ptr_nonnull(strstr(html, "ROC curve"));
  ck_assert_ptr_nonnull(strstr(html, "Precision-recall curve"));
  ck_assert_ptr_nonnull(strstr(html, "Reliability diagram"));
  /* nothing fetched from anywhere: no URLs, no src=, no href=, no scripts */
  ck_assert_uint_eq(count(html, "http:"), 0);
  ck_assert_uint_eq(count(html, "https:"), 0);
  ck_assert_uint_eq(count(html, "src="), 0);
  ck_assert_uint_eq(count(html, "href="), 0);
  ck_assert_uint_eq(count(html, "<script"), 0);
  ck_assert_uint_eq(count(html, "url("), 0);
  ck_assert_uint_eq(count(html, "@import"), 0);
  /* the description line states the label and leakage */
  ck_assert_ptr_nonnull(strstr(html, "label viral, window 2h"));
  ck_assert_ptr_nonnull(strstr(html, "leakage not allowed"));
  free(html);
}
END_TEST

START_TEST(json_holds_per_fold_numbers_exactly) {
  char dir[4096], cmd[12288], data[4096], path[4096 + 32];
  test_tmpdir(dir, sizeof dir, "report_json");
  test_repo_path(data, sizeof data, "tests/data/eval/head200.csv");
  snprintf(cmd, sizeof cmd, "eval --folds 3 --json %s/r.json %s", dir, data);
  char *out, *err;
  ck_assert_int_eq(test_run_viral(cmd, NULL, &out, &err), 0);
  snprintf(path, sizeof path, "%s/r.json", dir);
  char *json = test_read_file(path, NULL);
  ck_assert_ptr_nonnull(json);
  /* The base rate predicts the training part's positive share: fold rows are
   * 67, 67, 66 with 3, 2, 2 positives of 7, so fold 1 trains on 133 rows with
   * 4 positives and its Brier score is (3 (1 - 4/133)^2 + 64 (4/133)^2) / 67. */
  double p = 4.0 / 133.0, brier = (3 * (1 - p) * (1 - p) + 64 * p * p) / 67;
  const char *base = strstr(json, "\"base rate\":");
  ck_assert_ptr_nonnull(base);
  const char *b = strstr(base, "\"brier\":");
  ck_assert_ptr_nonnull(b);
  b = strstr(b, "\"per_fold\":[");
  ck_assert_ptr_nonnull(b);
  double got = strtod(b + strlen("\"per_fold\":["), NULL);
  ck_assert_double_near(got, brier, 1e-15);
  ck_assert_ptr_nonnull(strstr(json, "\"fold_rows\":[67,67,66]"));
  ck_assert_ptr_nonnull(strstr(json, "\"oracle\":{"));
  free(json), free(out), free(err);
}
END_TEST

/* A report made by hand: two folds of two rows, the model and the base
 * rate. Fold 1: labels 1, 0, model 0.8, 0.3 (ROC AUC 1, Brier (0.04 + 0.09)
 * / 2 = 0.065); fold 2: labels 0, 1, model 0.6, 0.4 (ROC AUC 0, Brier 0.36).
 * The base rate says 0.5 everywhere (AUC 0.5, Brier 0.25). Means over the
 * folds: model AUC 0.5 with sample sd 0.7071, Brier 0.2125 with sd
 * 0.295 / sqrt 2 = 0.2086. */
static void hand_report(viral_report *r) {
  viral_error err;
  ck_assert_int_eq(viral_report_init(r, 2, 5, &err), VIRAL_OK);
  ck_assert_int_eq(viral_report_set_description(r, "hand made", &err), VIRAL_OK);
  r->have[VIRAL_REPORT_MODEL] = r->have[VIRAL_REPORT_BASE] = 1;
  const double labels[4] = {1, 0, 0, 1}, model[4] = {0.8, 0.3, 0.6, 0.4};
  for (int i = 0; i < 4; i++) {
    r->fold[i] = i / 2;
    r->labels[i] = labels[i];
    r->probs[VIRAL_REPORT_MODEL][i] = model[i];
    r->probs[VIRAL_REPORT_BASE][i] = 0.5;
  }
  /* row 4 was never tested (fold -1): the charts must leave it out */
  for (int f = 0; f < 2; f++)
    for (int j = 0; j < VIRAL_REPORT_PREDICTORS; j++)
      if (r->have[j])
        ck_assert_int_eq(viral_metrics_compute(labels + 2 * f, r->probs[j] + 2 * f, 2, 0.5, 0,
                                               &r->per_fold[j * 2 + f], &err), VIRAL_OK);
}

/* The writers take the caller's FILE*: text and JSON of a hand-made report. */
START_TEST(writers_print_a_hand_made_report) {
  viral_report r;
  hand_report(&r);
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  viral_error err;
  ck_assert_int_eq(viral_report_write_text(&r, f, 1, &err), VIRAL_OK);
  fclose(f);
  const char *want =
      "hand made\n\n"
      "metric              model              base rate        \n"
      "roc_auc             0.5000 +- 0.7071   0.5000 +- 0.0000 \n"
      "average_precision   0.7500 +- 0.3536   0.5000 +- 0.0000 \n";
  /* average precision: fold 1 ranks its positive first (1), fold 2 last (1/2) */
  ck_assert_msg(strncmp(text, want, strlen(want)) == 0, "%s", text);
  ck_assert_ptr_nonnull(strstr(text, "brier               0.2125 +- 0.2086   0.2500 +- 0.0000 \n"));
  ck_assert_ptr_nonnull(strstr(text, "1      2        1           1.0000             0.5000"));
  ck_assert_ptr_nonnull(strstr(text, "2      2        1           0.0000             0.5000"));
  free(text);

  f = open_memstream(&text, &len);
  ck_assert_int_eq(viral_report_write_json(&r, f, &err), VIRAL_OK);
  fclose(f);
  const char *b = strstr(text, "\"model\":{");
  ck_assert_ptr_nonnull(b);
  b = strstr(b, "\"brier\":{\"mean\":");
  ck_assert_ptr_nonnull(b);
  ck_assert_double_near(strtod(b + strlen("\"brier\":{\"mean\":"), NULL), 0.2125, 1e-15);
  ck_assert_ptr_nonnull(strstr(text, "\"fold_rows\":[2,2],\"fold_positives\":[1,1]"));
  ck_assert_ptr_nonnull(strstr(text, "\"temporal\":false"));
  free(text);

  f = open_memstream(&text, &len);
  ck_assert_int_eq(viral_report_write_html(&r, f, &err), VIRAL_OK);
  fclose(f);
  ck_assert_uint_eq(count(text, "<svg "), 4);
  free(text);
  viral_report_release(&r);
  viral_report_release(&r); /* released twice: harmless */
}
END_TEST

/* Test spans are printed as every time is (viral_format_timestamp): the
 * second a time falls in, also before 1970 (-0.5 is 23:59:59.5 on
 * 1969-12-31; cutting it towards zero printed 1970-01-01T00:00:00Z). */
START_TEST(temporal_spans_before_1970) {
  viral_report r;
  hand_report(&r);
  r.temporal = 1;
  r.span[0][0] = -0.5, r.span[0][1] = 59.5;
  r.span[1][0] = 1772323200, r.span[1][1] = 1772323200.75;
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  viral_error err;
  ck_assert_int_eq(viral_report_write_text(&r, f, 1, &err), VIRAL_OK);
  fclose(f);
  ck_assert_msg(strstr(text, " 1969-12-31T23:59:59Z .. 1970-01-01T00:00:59Z\n"), "%s", text);
  ck_assert_msg(strstr(text, " 2026-03-01T00:00:00Z .. 2026-03-01T00:00:00Z\n"), "%s", text);
  free(text);
  viral_report_release(&r);
}
END_TEST

/* A description with control characters is escaped in the JSON as every
 * other JSON viral writes (cJSON's way: \n, \t), not as \u000a. */
START_TEST(json_description_escaped_as_cjson_does) {
  viral_report r;
  hand_report(&r);
  viral_error err;
  ck_assert_int_eq(viral_report_set_description(&r, "two\nlines\tand \"quotes\"", &err), VIRAL_OK);
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  ck_assert_int_eq(viral_report_write_json(&r, f, &err), VIRAL_OK);
  fclose(f);
  const char *want = "{\"description\":\"two\\nlines\\tand \\\"quotes\\\"\",";
  ck_assert_msg(strncmp(text, want, strlen(want)) == 0, "%s", text);
  free(text);
  viral_report_release(&r);
}
END_TEST

/* text of FILE* writer w on r (caller frees). */
static char *progressive_text(const viral_progressive_report *r, int which) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  viral_error err;
  int rc = which == 0   ? viral_progressive_report_write_text(r, f, 1, &err)
           : which == 1 ? viral_progressive_report_write_json(r, f, &err)
                        : viral_progressive_report_write_html(r, f, &err);
  ck_assert_int_eq(rc, VIRAL_OK);
  fclose(f);
  return text;
}

/* A whole progressive run on tests/data/progressive/fallback.csv (worked
 * out in test_progressive.c): window 2h, horizon 4h; rows in file order a,
 * c, b; outcomes in the order a, b, c, scores too. The base rate gives a
 * and b 1/2 and c 3/4: Brier over all (1/4 + 1/4 + 9/16) / 3, over the
 * last window of 2 (b, c) (1/4 + 9/16) / 2. */
START_TEST(progressive_run_and_its_report) {
  char path[4096];
  test_repo_path(path, sizeof path, "tests/data/progressive/fallback.csv");
  viral_pipeline_options po;
  viral_pipeline_options_init(&po);
  po.scaling = "none";
  po.allow_missing = 1;
  viral_error err;
  viral_pipeline *p = viral_pipeline_load_spec(NULL, &po, &err);
  ck_assert_msg(p != NULL, "%s", err.message);
  viral_reader_options ro;
  viral_reader_options_init(&ro);
  viral_eval_data *d = viral_eval_load(p, path, &ro, 0, &err);
  ck_assert_msg(d != NULL, "%s", err.message);
  viral_train_options to;
  viral_train_options_init(&to);
  viral_model *m = viral_model_create(p, &to, &err); /* m and d keep copies of p */
  ck_assert_msg(m != NULL, "%s", err.message);
  viral_pipeline_free(p);

  viral_eval_progressive_run_options o = {{2, 4, 0}, 2, NULL};
  viral_progressive_report r;
  ck_assert_msg(viral_eval_progressive_run(d, path, &ro, &o, m, &r, &err) == VIRAL_OK, "%s", err.message);
  ck_assert_uint_eq(r.n, 3);
  ck_assert_uint_eq(r.learned[0], 0);
  ck_assert_uint_eq(r.learned[1], 2);
  ck_assert_uint_eq(r.learned[2], 1);
  ck_assert_uint_eq(r.scored[0], 0);
  ck_assert_uint_eq(r.scored[1], 2);
  ck_assert_uint_eq(r.scored[2], 1);
  ck_assert_double_eq(r.probs[VIRAL_REPORT_BASE][0], 0.5);
  ck_assert_double_eq(r.probs[VIRAL_REPORT_BASE][1], 0.75);
  ck_assert_double_eq(r.probs[VIRAL_REPORT_BASE][2], 0.5);
  ck_assert_int_eq(r.have[VIRAL_REPORT_VIEWS], 1);
  ck_assert_int_eq(r.have[VIRAL_REPORT_ORACLE], 0);
  ck_assert_double_near(r.overall[VIRAL_REPORT_BASE].brier, (0.25 + 0.25 + 0.5625) / 3, 1e-15);
  ck_assert_double_near(r.last[VIRAL_REPORT_BASE].brier, (0.25 + 0.5625) / 2, 1e-15);
  ck_assert_uint_eq(r.windows, 2);
  const viral_metrics *w = &r.per_window[VIRAL_REPORT_BASE * r.windows];
  ck_assert_uint_eq(w[0].n, 2);
  ck_assert_uint_eq(w[0].positives, 2);
  ck_assert_uint_eq(w[1].n, 1);
  ck_assert_ptr_nonnull(strstr(r.description, "rows 3, positives 2 (66.67%)"));
  ck_assert_ptr_nonnull(strstr(r.description, ", untrained), "));
  ck_assert_ptr_nonnull(strstr(r.description, "(scored at posted_at + 2h, outcome at posted_at + 4h)"));

  char *text = progressive_text(&r, 0);
  ck_assert_msg(strstr(text, "\n\nall 3 outcomes\nmetric ") && strstr(text, "\nlast 2 outcomes (sliding window)\n") &&
                    strstr(text, "\nwindow rows     positives "), "%s", text);
  ck_assert_ptr_nonnull(strstr(text, "brier               0.4027             0.3018             0.3542"));
  free(text);
  text = progressive_text(&r, 1);
  ck_assert_msg(strncmp(text, "{\"mode\":\"progressive\",\"description\":\"label viral, ", 45) == 0, "%s", text);
  ck_assert_ptr_nonnull(strstr(text, "\"delayed_labels\":true,\"rows\":3,\"window_size\":2,"));
  free(text);
  text = progressive_text(&r, 2);
  ck_assert_uint_eq(count(text, "<svg "), 4);
  free(text);

  char *csv = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&csv, &len);
  ck_assert_int_eq(viral_eval_progressive_write_predictions(d, &r, f, &err), VIRAL_OK);
  fclose(f);
  ck_assert_str_eq(csv, "record,video_id,order,label,probability,views_baseline,base_rate\n"
                        "1,a,1,1,0.5,0.5,0.5\n"
                        "3,b,2,1,0.5,0.5,0.5\n"
                        "2,c,3,0,0.8414350450854661,0.6367452413646005,0.75\n");
  free(csv);
  viral_progressive_report_release(&r);
  viral_progressive_report_release(&r);

  viral_eval_data_free(d);

  /* outcomes that all come after the data's end: nothing to report */
  char dir[4096], late[4200];
  test_tmpdir(dir, sizeof dir, "report_progressive_late");
  snprintf(late, sizeof late, "%s/late.csv", dir);
  test_write_file(late, "video_id,posted_at,views_2h,scored_at,scored_seq,learned_at,learned_seq,viral\n"
                        "a,2026-01-01T00:00:00Z,10,2026-01-01T02:00:00Z,1,,,1\n"
                        "b,2026-01-01T00:10:00Z,20,2026-01-01T02:10:00Z,2,,,0\n");
  ck_assert_ptr_nonnull(d = viral_eval_load(viral_model_pipeline_mut(m), late, &ro, 0, &err));
  ck_assert_int_eq(viral_eval_progressive_run(d, late, &ro, &o, m, &r, &err), VIRAL_ERR_INVALID);
  ck_assert_msg(strstr(err.message, "late.csv: no video was both scored and learned from"), "%s", err.message);
  viral_progressive_report_release(&r);
  viral_eval_data_free(d);
  viral_model_free(m);
}
END_TEST

/* The trajectories page: the max_videos videos of highest peak (ties by
 * id), each one line through its points in age order, ids escaped, nothing
 * that reaches outside the page. */
START_TEST(trajectories_page_draws_the_highest_videos) {
  const viral_trajectory_point pts[] = {
      {"low", 2, 0.01},  {"b<1>", 6, 0.30}, {"top", 24, 0.90}, {"b<1>", 2, 0.10}, {"top", 2, 0.20},
      {"tie", 2, 0.30},  {"low", 6, 0.02},  {"top", 6, 0.50},
  };
  char *text = NULL;
  size_t len = 0;
  viral_error err;
  FILE *f = open_memstream(&text, &len);
  ck_assert_int_eq(viral_report_write_trajectories_html(pts, 8, 3, "a & b", f, &err), VIRAL_OK);
  fclose(f);
  ck_assert_uint_eq(count(text, "<svg "), 1);
  ck_assert_uint_eq(count(text, "<polyline "), 3);
  ck_assert_uint_eq(count(text, "<circle "), 3 + 2 + 1);
  ck_assert_ptr_nonnull(strstr(text, "<p>a &amp; b</p>"));
  ck_assert_ptr_nonnull(strstr(text, "3 of 4 videos"));
  ck_assert_ptr_null(strstr(text, "low")); /* the lowest peak is left out */
  /* table order: top (0.9), then b<1> and tie at 0.3, by id */
  const char *top = strstr(text, "top</td>"), *b = strstr(text, "b&lt;1&gt;</td>"), *tie = strstr(text, "tie</td>");
  ck_assert(top && b && tie && top < b && b < tie);
  ck_assert_ptr_nonnull(strstr(text, "<td>3</td><td>2h: 0.2000</td><td>24h: 0.9000</td><td>0.9000</td>"));
  ck_assert_uint_eq(count(text, "<script") + count(text, "href=") + count(text, "src=") + count(text, "http"), 0);
  free(text);
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("report");
  TCase *tc = tcase_create("report");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, html_is_self_contained_with_four_charts);
  tcase_add_test(tc, json_holds_per_fold_numbers_exactly);
  tcase_add_test(tc, writers_print_a_hand_made_report);
  tcase_add_test(tc, json_description_escaped_as_cjson_does);
  tcase_add_test(tc, temporal_spans_before_1970);
  tcase_add_test(tc, progressive_run_and_its_report);
  tcase_add_test(tc, trajectories_page_draws_the_highest_videos);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return test_main(make_suite()); }
