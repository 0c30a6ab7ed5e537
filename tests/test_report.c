/* test_report.c - the JSON and HTML reports of `viral eval`. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval/report_internal.h"
#include "testutil.h"
#include "viral/eval.h"
#include "viral/report.h"

static size_t count(const char *hay, const char *needle) {
  size_t n = 0;
  for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle)) n++;
  return n;
}

/* The charts of a page, all inline: ROC, PR, reliability, score
 * distribution, the last one named (per fold or over time), then extra when
 * not NULL (the importance chart). */
static void assert_charts(const char *html, const char *last, const char *extra) {
  size_t n = extra ? 6 : 5;
  ck_assert_uint_eq(count(html, "<svg "), n);
  ck_assert_uint_eq(count(html, "</svg>"), n);
  const char *const titles[6] = {"ROC curve", "Precision-recall curve", "Reliability diagram",
                                 "Score distribution by class (model)", last, extra};
  for (size_t i = 0; i < n; i++) {
    char label[128];
    snprintf(label, sizeof label, "aria-label=\"%s\"", titles[i]);
    ck_assert_msg(strstr(html, label), "no chart %s", titles[i]);
  }
}

START_TEST(html_is_self_contained_with_six_charts) {
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
  assert_charts(html, "ROC AUC per fold", "feature importance");
  ck_assert_ptr_nonnull(strstr(html, ">out-of-fold predictions, 200 rows</text>"));
  /* the reliability bins carry their counts: ten labels, and each point a tooltip */
  ck_assert_uint_eq(count(html, ">n="), 10);
  ck_assert_ptr_nonnull(strstr(html, "<title>model, p 0.0-0.1: n = "));
  ck_assert_ptr_nonnull(strstr(html, "<h2>Top of the ranking</h2>"));
  ck_assert_ptr_nonnull(strstr(html, "<h2>Confusion matrix</h2>"));
  ck_assert_ptr_nonnull(strstr(html, "<h2>Predictions by probability</h2>"));
  /* the importance chart names features in words, never hash[] */
  ck_assert_ptr_nonnull(strstr(html, "feature importance (mean over the folds' models)"));
  ck_assert_ptr_nonnull(strstr(html, "effect: weight x standard deviation in training"));
  ck_assert_ptr_nonnull(strstr(html, ">shares/views at 2h</text>"));
  ck_assert_ptr_null(strstr(html, "hash["));
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
  ck_assert_uint_eq(count(text, "<svg "), 5);
  free(text);
  viral_report_release(&r);
  viral_report_release(&r); /* released twice: harmless */
}
END_TEST

/* The importance chart: a bar per feature, escaped words, negative bars to
 * the left of the zero line in the other colour; none without importance. */
START_TEST(importance_chart_draws_each_feature) {
  viral_report r;
  hand_report(&r);
  r.importance = calloc(2, sizeof *r.importance);
  r.importance_measure = malloc(8);
  ck_assert_ptr_nonnull(r.importance);
  ck_assert_ptr_nonnull(r.importance_measure);
  strcpy(r.importance_measure, "a & b");
  strcpy(r.importance[0].label, "hashtags include <b>");
  r.importance[0].value = -2;
  strcpy(r.importance[1].label, "views at 2h");
  r.importance[1].value = 1;
  r.importance_count = 2;
  char *text = NULL;
  size_t len = 0;
  viral_error err;
  FILE *f = open_memstream(&text, &len);
  ck_assert_int_eq(viral_report_write_html(&r, f, &err), VIRAL_OK);
  fclose(f);
  ck_assert_uint_eq(count(text, "<svg "), 6);
  ck_assert_ptr_nonnull(strstr(text, ">hashtags include &lt;b&gt;</text>"));
  ck_assert_ptr_nonnull(strstr(text, ">a &amp; b</text>"));
  ck_assert_uint_eq(count(text, "fill=\"#d62728\"/>"), 1);
  ck_assert_ptr_nonnull(strstr(text, ">-2</text>"));
  ck_assert_ptr_nonnull(strstr(text, ">+1</text>"));
  free(text);
  viral_report_release(&r);
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

/* ---- the details: tops of the ranking, confusion matrix, bins ---- */

/* The output of writer which (0 text, 1 JSON, 2 HTML) on fold report r or,
 * when r is NULL, on progressive report p; text with per-fold rows (caller
 * frees). */
static char *written(const viral_report *r, const viral_progressive_report *p, int which) {
  /* the stream's buffer lives on the heap: gcc -O3 inlines this function
   * and took the address of a local here for a dangling pointer */
  struct memory {
    char *text;
    size_t len;
  } *buf = calloc(1, sizeof *buf);
  ck_assert_ptr_nonnull(buf);
  FILE *f = open_memstream(&buf->text, &buf->len);
  viral_error err;
  int rc = r ? (which == 0   ? viral_report_write_text(r, f, 1, &err)
                : which == 1 ? viral_report_write_json(r, f, &err)
                             : viral_report_write_html(r, f, &err))
             : (which == 0   ? viral_progressive_report_write_text(p, f, 1, &err)
                : which == 1 ? viral_progressive_report_write_json(p, f, &err)
                             : viral_progressive_report_write_html(p, f, &err));
  ck_assert_int_eq(rc, VIRAL_OK);
  fclose(f);
  char *text = buf->text;
  free(buf);
  return text;
}

/* Twenty rows by hand: probabilities 0.95, 0.90, ..., 0.00 and positives
 * at rows 0, 2, 5 and 10 (base rate 4/20 = 0.2).
 * - top 1% and 5% are ceil(0.2) = ceil(1) = 1 row: row 0, viral: precision
 *   1, lift 1 / 0.2 = 5; top 10% is 2 rows: rows 0 and 1, one viral: 0.5,
 *   lift 2.5.
 * - at 0.5 rows 0..9 are flagged: tp 3 (0, 2, 5), fp 7, fn 1 (row 10), tn 9;
 *   accuracy 12/20, precision 3/10, recall 3/4, F1 6/14.
 * - bins of two rows each: 0.9-1.0 rows 0, 1 (one viral, mean 0.925), 0.8-0.9
 *   rows 2, 3 (one), 0.7-0.8 rows 4, 5 (one), 0.4-0.5 rows 10, 11 (one); the
 *   other six bins no viral row. */
static const double hand_probs[20] = {0.95, 0.90, 0.85, 0.80, 0.75, 0.70, 0.65, 0.60, 0.55, 0.50,
                                      0.45, 0.40, 0.35, 0.30, 0.25, 0.20, 0.15, 0.10, 0.05, 0.00};
static const double hand_labels[20] = {1, 0, 1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0};

START_TEST(details_of_a_hand_ranking) {
  report_details d;
  viral_error err;
  ck_assert_int_eq(report_details_compute(hand_labels, hand_probs, 20, 0.5, &d, &err), VIRAL_OK);
  const size_t k[3] = {1, 1, 2};
  const double precision[3] = {1, 1, 0.5}, lift[3] = {5, 5, 2.5};
  for (int t = 0; t < REPORT_TOPS; t++) {
    ck_assert_uint_eq(d.top[t].k, k[t]);
    ck_assert_double_near(d.top[t].precision, precision[t], 1e-15);
    ck_assert_double_near(d.top[t].lift, lift[t], 1e-14);
  }
  ck_assert_double_near(d.all.threshold, 0.5, 0);
  ck_assert_uint_eq(d.all.confusion.tp, 3);
  ck_assert_uint_eq(d.all.confusion.fp, 7);
  ck_assert_uint_eq(d.all.confusion.fn, 1);
  ck_assert_uint_eq(d.all.confusion.tn, 9);
  ck_assert_double_near(d.all.f1, 6.0 / 14, 1e-15);
  const size_t viral[10] = {0, 0, 0, 0, 1, 0, 0, 1, 1, 1};
  for (int b = 0; b < VIRAL_METRICS_BINS; b++) {
    ck_assert_uint_eq(d.all.reliability[b].count, 2);
    ck_assert_uint_eq(d.all.reliability[b].positives, viral[b]);
  }
  ck_assert_double_near(d.all.reliability[9].mean_predicted, 0.925, 1e-15);

  /* the same rows as a report of one fold: every writer shows them */
  viral_report r;
  ck_assert_int_eq(viral_report_init(&r, 1, 20, &err), VIRAL_OK);
  ck_assert_int_eq(viral_report_set_description(&r, "hand ranking", &err), VIRAL_OK);
  r.have[VIRAL_REPORT_MODEL] = 1;
  for (int i = 0; i < 20; i++) {
    r.fold[i] = 0;
    r.labels[i] = hand_labels[i];
    r.probs[VIRAL_REPORT_MODEL][i] = hand_probs[i];
  }
  ck_assert_int_eq(viral_metrics_compute(hand_labels, hand_probs, 20, 0.5, 0, &r.per_fold[0], &err), VIRAL_OK);
  char *text = written(&r, NULL, 0);
  const char *want =
      "top of the ranking, all 20 out-of-fold predictions (4 positives, base rate 0.2000): "
      "top 1%, 5%, 10% = 1, 1, 2 rows\n"
      "metric              model            \n"
      "precision@1%        1.0000           \n"
      "precision@5%        1.0000           \n"
      "precision@10%       0.5000           \n"
      "lift@1%             5.0000           \n"
      "lift@5%             5.0000           \n"
      "lift@10%            2.5000           \n\n"
      "confusion matrix of the model at its threshold 0.5 (viral when p >= 0.5), all 20 out-of-fold predictions\n"
      "                  predicted viral   predicted not viral\n"
      "viral             3                 1\n"
      "not viral         7                 9\n"
      "accuracy 0.6000, precision 0.3000, recall 0.7500, f1 0.4286\n\n"
      "the model's predictions by probability: reliability, and the score distribution by class\n"
      "probability   rows      not viral   viral     mean predicted   observed rate\n"
      "0.0-0.1       2         2           0         0.0250           0.0000\n";
  ck_assert_msg(strstr(text, want), "%s", text);
  ck_assert_msg(strstr(text, "\n0.9-1.0       2         1           1         0.9250           0.5000\n"), "%s", text);
  free(text);

  text = written(&r, NULL, 1);
  ck_assert_msg(strstr(text, "\"pooled\":{\"rows\":20,\"positives\":4,\"base_rate\":0.2,\"top\":["
                             "{\"percent\":1,\"k\":1,\"precision\":1,\"lift\":5},"
                             "{\"percent\":5,\"k\":1,\"precision\":1,\"lift\":5},"
                             "{\"percent\":10,\"k\":2,\"precision\":0.5,\"lift\":2.5}],\"threshold\":0.5,"
                             "\"confusion\":{\"tp\":3,\"fp\":7,\"tn\":9,\"fn\":1},\"accuracy\":0.6,"
                             "\"precision\":0.3,\"recall\":0.75,\"f1\":0.42857142857142855,\"bins\":["
                             "{\"lower\":0,\"upper\":0.1,\"rows\":2,\"negatives\":2,\"positives\":0,"
                             "\"mean_predicted\":0.025,\"observed_rate\":0},"),
                "%s", text);
  ck_assert_msg(strstr(text, "{\"lower\":0.9,\"upper\":1,\"rows\":2,\"negatives\":1,\"positives\":1,"
                             "\"mean_predicted\":0.925,\"observed_rate\":0.5}]}"), "%s", text);
  free(text);

  text = written(&r, NULL, 2);
  ck_assert_ptr_nonnull(strstr(text, "<tr><td>lift@10% (top 2)</td><td>2.5000</td></tr>"));
  ck_assert_ptr_nonnull(strstr(text, "<tr><th>viral</th><td>3</td><td>1</td></tr>"));
  ck_assert_ptr_nonnull(strstr(text, "<tr><th>not viral</th><td>7</td><td>9</td></tr>"));
  ck_assert_ptr_nonnull(strstr(text, "The model at its threshold 0.5 (viral when p &ge; 0.5)"));
  ck_assert_ptr_nonnull(strstr(text, "<tr><td>0.9-1.0</td><td>2</td><td>1</td><td>1</td><td>0.9250</td>"
                                     "<td>0.5000</td></tr>"));
  /* the distribution chart: each class's share of a bin, counts in the tooltip */
  ck_assert_ptr_nonnull(strstr(text, "<title>viral, p 0.4-0.5: 1 of 4 (25.0%)</title>"));
  ck_assert_ptr_nonnull(strstr(text, "<title>not viral, p 0.0-0.1: 2 of 16 (12.5%)</title>"));
  ck_assert_uint_eq(count(text, ">n=2</text>"), 10);
  free(text);
  viral_report_release(&r);
}
END_TEST

/* Only the rows a fold tested go into the details (hand_report's row 4 was
 * never tested): 4 rows, 2 viral; the model flags 0.8 (viral) and 0.6 (not)
 * at 0.5; its top row, 0.8, is viral: precision 1, lift 2. The base rate
 * ties every row at 0.5: its top row is the first, row 0, viral. */
START_TEST(details_pool_the_tested_rows) {
  viral_report r;
  hand_report(&r);
  report_details d[VIRAL_REPORT_PREDICTORS];
  viral_error err;
  ck_assert_int_eq(report_details_of(&r, d, &err), VIRAL_OK);
  for (int j = 0; j < VIRAL_REPORT_PREDICTORS; j += 2) {
    ck_assert_uint_eq(d[j].all.n, 4);
    ck_assert_uint_eq(d[j].all.positives, 2);
    ck_assert_uint_eq(d[j].top[0].k, 1);
    ck_assert_double_near(d[j].top[0].precision, 1, 0);
    ck_assert_double_near(d[j].top[0].lift, 2, 1e-15);
  }
  const viral_confusion *c = &d[VIRAL_REPORT_MODEL].all.confusion;
  ck_assert(c->tp == 1 && c->fp == 1 && c->tn == 1 && c->fn == 1);
  viral_report_release(&r);
}
END_TEST

/* The details against scikit-learn and numpy on the sets of
 * tools/fixtures/make_report_fixtures.py (tests/fixtures/report/). */
static const char *fixture_value(const char *expected, const char *key) {
  size_t len = strlen(key);
  for (const char *line = expected; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
    if (strncmp(line, key, len) == 0 && line[len] == '=') return line + len + 1;
  ck_abort_msg("fixture has no key %s", key);
  return NULL;
}

static double fixture_number(const char *expected, const char *key) {
  return strtod(fixture_value(expected, key), NULL);
}

START_TEST(details_match_scikit_learn) {
  static const char *const sets[] = {"set1", "extreme", "tied", "rare"};
  for (size_t s = 0; s < sizeof sets / sizeof *sets; s++) {
    char path[4096], rel[256], data[512];
    snprintf(rel, sizeof rel, "tests/fixtures/report/%s.expected", sets[s]);
    char *expected = test_read_file(test_repo_path(path, sizeof path, rel), NULL);
    ck_assert_msg(expected != NULL, "cannot read %s", path);
    const char *v = fixture_value(expected, "data");
    snprintf(data, sizeof data, "%.*s", (int)strcspn(v, "\n"), v);
    char *csv = test_read_file(test_repo_path(path, sizeof path, data), NULL);
    ck_assert_msg(csv != NULL, "cannot read %s", path);
    size_t n = (size_t)fixture_number(expected, "n");
    double *y = malloc(n * sizeof *y), *p = malloc(n * sizeof *p);
    char *at = strchr(csv, '\n') + 1; /* after "label,prob" */
    for (size_t i = 0; i < n; i++) {
      y[i] = strtod(at, &at);
      p[i] = strtod(at + 1, &at);
      at++;
    }
    report_details d;
    viral_error err;
    ck_assert_int_eq(report_details_compute(y, p, n, 0.5, &d, &err), VIRAL_OK);
    ck_assert_double_near(d.all.positives, fixture_number(expected, "positives"), 0);
    for (int t = 0; t < REPORT_TOPS; t++) {
      char key[64];
      snprintf(key, sizeof key, "top%d_k", d.top[t].percent);
      ck_assert_double_near(d.top[t].k, fixture_number(expected, key), 0);
      snprintf(key, sizeof key, "top%d_precision", d.top[t].percent);
      ck_assert_double_near(d.top[t].precision, fixture_number(expected, key), 1e-15);
      snprintf(key, sizeof key, "top%d_lift", d.top[t].percent);
      ck_assert_double_near(d.top[t].lift, fixture_number(expected, key), 1e-12);
    }
    const viral_confusion *c = &d.all.confusion;
    ck_assert_double_near(c->tp, fixture_number(expected, "tp"), 0);
    ck_assert_double_near(c->fp, fixture_number(expected, "fp"), 0);
    ck_assert_double_near(c->tn, fixture_number(expected, "tn"), 0);
    ck_assert_double_near(c->fn, fixture_number(expected, "fn"), 0);
    ck_assert_double_near(d.all.accuracy, fixture_number(expected, "accuracy"), 1e-15);
    ck_assert_double_near(d.all.precision, fixture_number(expected, "precision"), 1e-15);
    ck_assert_double_near(d.all.recall, fixture_number(expected, "recall"), 1e-15);
    ck_assert_double_near(d.all.f1, fixture_number(expected, "f1"), 1e-15);
    for (int b = 0; b < VIRAL_METRICS_BINS; b++) {
      char key[64];
      const viral_reliability_bin *bin = &d.all.reliability[b];
      snprintf(key, sizeof key, "bin%d_negatives", b);
      ck_assert_double_near(bin->count - bin->positives, fixture_number(expected, key), 0);
      snprintf(key, sizeof key, "bin%d_positives", b);
      ck_assert_double_near(bin->positives, fixture_number(expected, key), 0);
    }
    free(y), free(p), free(csv), free(expected);
  }
}
END_TEST

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

  char *text = written(NULL, &r, 0);
  ck_assert_msg(strstr(text, "\n\nall 3 outcomes\nmetric ") && strstr(text, "\nlast 2 outcomes (sliding window)\n") &&
                    strstr(text, "\nwindow rows     positives "), "%s", text);
  ck_assert_ptr_nonnull(strstr(text, "brier               0.4027             0.3018             0.3542"));
  free(text);
  text = written(NULL, &r, 1);
  ck_assert_msg(strncmp(text, "{\"mode\":\"progressive\",\"description\":\"label viral, ", 45) == 0, "%s", text);
  ck_assert_ptr_nonnull(strstr(text, "\"delayed_labels\":true,\"rows\":3,\"window_size\":2,"));
  /* over all 3 outcomes (learned a, b, c): the base rate's top row is c
   * (3/4), not viral: precision 0; at 0.5 the model flags all three */
  ck_assert_ptr_nonnull(strstr(text, "\"base rate\":{\"overall\":"));
  ck_assert_msg(strstr(strstr(text, "\"base rate\":{\"overall\":"),
                       "\"pooled\":{\"rows\":3,\"positives\":2,\"base_rate\":0.6666666666666666,\"top\":["
                       "{\"percent\":1,\"k\":1,\"precision\":0,\"lift\":0},"), "no pooled base rate");
  ck_assert_ptr_nonnull(strstr(text, "\"confusion\":{\"tp\":2,\"fp\":1,\"tn\":0,\"fn\":0}"));
  /* windows a, b and c: when their videos were posted */
  ck_assert_ptr_nonnull(strstr(text, "\"window_spans\":[[1767225600,1767229200],[1767236400,1767236400]]}\n"));
  free(text);
  text = written(NULL, &r, 0);
  ck_assert_ptr_nonnull(strstr(text, "\nconfusion matrix of the model at its threshold 0.5 (viral when p >= 0.5), "
                                     "all 3 outcomes\n"));
  free(text);
  text = written(NULL, &r, 2);
  assert_charts(text, "ROC AUC over time", NULL);
  ck_assert_ptr_nonnull(strstr(text, "<h1>viral eval --progressive</h1>"));
  /* what the charts are: progressive validation, windows over time; no folds */
  ck_assert_ptr_null(strstr(text, "fold"));
  ck_assert_ptr_nonnull(strstr(text, ">progressive validation, all 3 outcomes</text>"));
  ck_assert_ptr_nonnull(strstr(text, ">window of 2 outcomes, in the order they came</text>"));
  /* the text report's tables: all outcomes, the sliding window, each window */
  ck_assert_ptr_nonnull(strstr(text, "<h2>All 3 outcomes</h2>"));
  ck_assert_ptr_nonnull(strstr(text, "<h2>Last 2 outcomes (sliding window)</h2>"));
  ck_assert_ptr_nonnull(strstr(text, "<tr><td>brier</td><td>0.4027</td><td>0.3018</td><td>0.3542</td></tr>"));
  ck_assert_ptr_nonnull(strstr(text, "<h2>Metrics over time</h2>"));
  ck_assert_msg(strstr(text, "<tr><td>1</td><td>1-2</td><td>2026-01-01T00:00:00Z .. 2026-01-01T01:00:00Z</td>"
                             "<td>2</td><td>2</td><td>undefined</td>"), "no window 1");
  ck_assert_ptr_nonnull(strstr(text, "<tr><td>2</td><td>3-3</td><td>2026-01-01T03:00:00Z .. 2026-01-01T03:00:00Z</td>"
                                     "<td>1</td><td>0</td>"));
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
  tcase_add_test(tc, html_is_self_contained_with_six_charts);
  tcase_add_test(tc, details_of_a_hand_ranking);
  tcase_add_test(tc, details_match_scikit_learn);
  tcase_add_test(tc, details_pool_the_tested_rows);
  tcase_add_test(tc, importance_chart_draws_each_feature);
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
