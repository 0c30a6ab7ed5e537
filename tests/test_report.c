/* test_report.c - the JSON and HTML reports of `viral eval`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

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

static Suite *make_suite(void) {
  Suite *s = suite_create("report");
  TCase *tc = tcase_create("report");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, html_is_self_contained_with_four_charts);
  tcase_add_test(tc, json_holds_per_fold_numbers_exactly);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return test_main(make_suite()); }
