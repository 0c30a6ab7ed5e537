/* test_cli.c - the `viral` binary end to end: `viral describe --json` on
 * every shared real dataset (row counts as their SOURCE.md files state), the
 * example CSV and JSONL agreeing, --skip-bad-rows, and ids written as JSON
 * numbers keeping their digits in eval --predictions. Exact text output is
 * covered by the golden tests in tests/cli/. */
#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* Run `viral ARGS`, expect exit 0 and no message, return the parsed stdout. */
static cJSON *describe_json(const char *args) {
  char *out = NULL, *err = NULL;
  int status = test_run_viral(args, NULL, &out, &err);
  ck_assert_msg(status == 0, "viral %s: exit %d, stderr: %s", args, status, err ? err : "");
  ck_assert_msg(err && err[0] == '\0', "viral %s: stderr: %s", args, err);
  cJSON *doc = cJSON_Parse(out);
  ck_assert_msg(doc != NULL, "viral %s: stdout is not JSON: %.200s", args, out);
  free(out);
  free(err);
  return doc;
}

static double number_of(const cJSON *obj, const char *key) {
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
  ck_assert_msg(cJSON_IsNumber(item), "no number '%s'", key);
  return item->valuedouble;
}

static const char *string_of(const cJSON *obj, const char *key) {
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
  ck_assert_msg(cJSON_IsString(item), "no string '%s'", key);
  return item->valuestring;
}

static const cJSON *field_of(const cJSON *doc, const char *name) {
  const cJSON *f;
  cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(doc, "fields"))
    if (strcmp(string_of(f, "name"), name) == 0) return f;
  return NULL;
}

/* ---- shared datasets: every file reads, with the documented row count ---- */

static const struct {
  const char *file;
  const char *options;
  double rows;
} shared_files[] = {
    {"raw/bilibili-hot-hourly/bilibili_hot_videos_server.csv", "", 4500},
    {"raw/tiktok-vn-2025/raw_data.csv", "", 10102},
    {"raw/tiktok-vn-2025/recrawled_1v.csv", "", 2409},
    {"raw/tiktok-vn-2025/final_recrawl_tp.csv", "", 2391},
    {"raw/tiktok-vn-2025/recrawl_full_tp_view.csv", "", 3938},
    {"raw/tiktok-vn-2025/recrawl_final_nmai_view_filled.csv", "", 3942},
    {"raw/tiktok-trending-2020/trending.json", "--json-path collector", 1000},
    {"raw/reddit-rall-hourly/2023-12/core_data.csv", "", 4106},
    {"raw/reddit-rall-hourly/2024-01/core_data.csv", "", 21600},
    {"raw/reddit-rall-hourly/changes.csv", "", 25706},
};

START_TEST(shared_dataset_row_counts) {
  char path[4096], args[8192];
  test_shared_path(path, sizeof path, shared_files[_i].file);
  snprintf(args, sizeof args, "describe --json %s '%s'", shared_files[_i].options, path);
  cJSON *doc = describe_json(args);
  ck_assert_double_near(number_of(doc, "rows"), shared_files[_i].rows, 0);
  ck_assert_double_near(number_of(doc, "skipped"), 0, 0);
  cJSON_Delete(doc);
}
END_TEST

/* The TikTok-VN columns hold every awkward kind (SOURCE.md): counts as
 * "541.2K", durations as "mm:ss", naive times, "True", comma lists. Returns
 * describe's JSON of path for more checks (caller deletes). */
static cJSON *expect_tiktok_vn_types(const char *path) {
  char args[8192];
  snprintf(args, sizeof args, "describe --json '%s'", path);
  cJSON *doc = describe_json(args);
  static const char *want[][2] = {
      {"user_nfollower", "count"}, {"vid_nview", "count"},      {"music_nused", "count"},
      {"vid_duration", "duration"}, {"vid_postTime", "timestamp"}, {"vid_scrapeTime", "timestamp"},
      {"music_originality", "bool"}, {"vid_hashtags", "list"},   {"vid_caption", "text"},
      {"vid_id", "number"},
  };
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    const cJSON *f = field_of(doc, want[i][0]);
    ck_assert_msg(f != NULL, "no field %s", want[i][0]);
    ck_assert_msg(strcmp(string_of(f, "type"), want[i][1]) == 0, "%s is %s, expected %s",
                  want[i][0], string_of(f, "type"), want[i][1]);
  }
  return doc;
}

static void expect_time_span(const cJSON *doc, const char *field, const char *earliest,
                             const char *latest) {
  const cJSON *t = field_of(doc, field);
  ck_assert_msg(strncmp(string_of(t, "earliest"), earliest, strlen(earliest)) == 0, "earliest %s",
                string_of(t, "earliest"));
  ck_assert_msg(strncmp(string_of(t, "latest"), latest, strlen(latest)) == 0, "latest %s",
                string_of(t, "latest"));
}

/* The excerpt's 200 rows were scraped 2025-05-29 15:38:41 .. 18:27:40
 * (naive, read as UTC; the least and greatest vid_scrapeTime, sorted by
 * tools/fixtures/make_excerpts.py's reader, Python's csv). */
START_TEST(tiktok_vn_types) {
  char path[4096];
  cJSON *doc = expect_tiktok_vn_types(test_excerpt_path(path, sizeof path, "raw/tiktok-vn-2025/raw_data.csv"));
  expect_time_span(doc, "vid_scrapeTime", "2025-05-29T15:38:41", "2025-05-29T18:27:40");
  cJSON_Delete(doc);
}
END_TEST

/* SOURCE.md: the whole table's scrapeTime runs 2025-05-14 .. 05-29. */
START_TEST(tiktok_vn_types_whole_table) {
  char path[4096];
  cJSON *doc = expect_tiktok_vn_types(test_shared_path(path, sizeof path, "raw/tiktok-vn-2025/raw_data.csv"));
  expect_time_span(doc, "vid_scrapeTime", "2025-05-14", "2025-05-29");
  cJSON_Delete(doc);
}
END_TEST

/* ---- the example files describe the same nine videos ---- */

START_TEST(example_csv_and_jsonl_agree) {
  char csv[4096], jsonl[4096], args[8192];
  snprintf(args, sizeof args, "describe --json '%s'",
           test_repo_path(csv, sizeof csv, "datasets/example.csv"));
  cJSON *a = describe_json(args);
  snprintf(args, sizeof args, "describe --json '%s'",
           test_repo_path(jsonl, sizeof jsonl, "datasets/example.jsonl"));
  cJSON *b = describe_json(args);
  ck_assert_double_near(number_of(a, "rows"), 9, 0);
  ck_assert_double_near(number_of(b, "rows"), 9, 0);
  ck_assert_str_eq(string_of(a, "format"), "csv");
  ck_assert_str_eq(string_of(b, "format"), "jsonl");
  size_t shared = 0;
  const cJSON *fa;
  cJSON_ArrayForEach(fa, cJSON_GetObjectItemCaseSensitive(a, "fields")) {
    const char *name = string_of(fa, "name");
    const cJSON *fb = field_of(b, name);
    if (!fb) continue;
    shared++;
    ck_assert_msg(strcmp(string_of(fa, "type"), string_of(fb, "type")) == 0, "%s: %s vs %s", name,
                  string_of(fa, "type"), string_of(fb, "type"));
    static const char *keys[] = {"missing", "distinct", "min", "median", "max"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
      const cJSON *x = cJSON_GetObjectItemCaseSensitive(fa, keys[k]);
      const cJSON *y = cJSON_GetObjectItemCaseSensitive(fb, keys[k]);
      ck_assert_msg((x == NULL) == (y == NULL), "%s: %s only in one", name, keys[k]);
      if (x) ck_assert_msg(x->valuedouble == y->valuedouble, "%s %s: %.17g vs %.17g", name,
                           keys[k], x->valuedouble, y->valuedouble);
    }
  }
  /* every canonical field of the CSV is in the JSONL too */
  ck_assert_uint_eq(shared, (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(a, "fields")));
  /* and a few values checked by hand: 1.2M and 250.5K followers make a count,
   * sorted 920 3400 8800 15600 48200 72000 250500 1200000 (one missing) */
  const cJSON *f = field_of(a, "author_followers");
  ck_assert_str_eq(string_of(f, "type"), "count");
  ck_assert_double_near(number_of(f, "missing"), 1, 0);
  ck_assert_double_near(number_of(f, "median"), (15600 + 48200) / 2.0, 0);
  ck_assert_double_near(number_of(f, "max"), 1200000, 0);
  f = field_of(a, "posted_at"); /* 7304 is posted at 1772560800 = 2026-03-03T18:00:00Z */
  ck_assert_str_eq(string_of(f, "type"), "timestamp");
  ck_assert_str_eq(string_of(f, "earliest"), "2026-03-02T18:05:00Z");
  ck_assert_str_eq(string_of(f, "latest"), "2026-03-06T03:20:00Z");
  ck_assert_double_near(number_of(f, "median"), 1772625600, 0); /* 2026-03-04T12:00:00Z */
  cJSON_Delete(a);
  cJSON_Delete(b);
}
END_TEST

/* ---- bad rows ---- */

START_TEST(skip_bad_rows_counts_them) {
  char dir[4096], path[4200], args[8192];
  test_tmpdir(dir, sizeof dir, "skip_bad_rows");
  snprintf(path, sizeof path, "%s/bad.jsonl", dir);
  test_write_file(path, "{\"a\":1}\n{\"a\":2\n{\"a\":3}\nnot json\n{\"a\":5}\n");
  char *out = NULL, *err = NULL;
  snprintf(args, sizeof args, "describe --json '%s'", path);
  ck_assert_int_eq(test_run_viral(args, NULL, &out, &err), 1);
  ck_assert_str_eq(out, ""); /* nothing on stdout when the file is bad */
  ck_assert_msg(strstr(err, "bad.jsonl:2: ") != NULL, "stderr: %s", err);
  free(out);
  free(err);
  snprintf(args, sizeof args, "describe --json --skip-bad-rows '%s'", path);
  ck_assert_int_eq(test_run_viral(args, NULL, &out, &err), 0);
  cJSON *doc = cJSON_Parse(out);
  ck_assert_ptr_nonnull(doc);
  ck_assert_double_near(number_of(doc, "rows"), 3, 0);
  ck_assert_double_near(number_of(doc, "skipped"), 2, 0);
  const cJSON *a = field_of(doc, "a");
  ck_assert_double_near(number_of(a, "median"), 3, 0); /* 1 3 5 */
  char want[4400];
  snprintf(want, sizeof want, "viral describe: %s: skipped 2 bad rows\n", path);
  ck_assert_str_eq(err, want);
  cJSON_Delete(doc);
  free(out);
  free(err);
}
END_TEST

/* ---- exact ids ---- */

/* eval --predictions names each row by its video_id as written: a 19-digit
 * id given as a JSON number keeps its digits (it came back as the double's
 * 7455000000000007168 for every one of these). */
START_TEST(eval_predictions_keep_ids) {
  char dir[2048], path[2100], pred[2100], args[4400], line[256];
  test_tmpdir(dir, sizeof dir, "eval_ids");
  snprintf(path, sizeof path, "%s/ids.jsonl", dir);
  snprintf(pred, sizeof pred, "%s/pred.csv", dir);
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  for (int i = 0; i < 40; i++) {
    int views = 40 + (i * 7919) % 4000;
    fprintf(f, "{\"video_id\":74550000000000070%02d,\"views_1h\":%d,\"likes_1h\":%d,\"viral\":%d}\n", i,
            views, views / 10, views > 2000);
  }
  ck_assert_int_eq(fclose(f), 0);
  snprintf(args, sizeof args, "eval --allow-missing --folds 2 --predictions '%s' '%s'", pred, path);
  char *out = NULL, *err = NULL;
  ck_assert_msg(test_run_viral(args, NULL, &out, &err) == 0, "stderr: %s", err);
  char *text = test_read_file(pred, NULL);
  ck_assert_ptr_nonnull(text);
  for (int i = 0; i < 40; i++) {
    snprintf(line, sizeof line, "\n%d,74550000000000070%02d,", i + 1, i);
    ck_assert_msg(strstr(text, line) != NULL, "no row '%s' in:\n%.300s", line + 1, text);
  }
  free(text);
  free(out);
  free(err);
}
END_TEST

/* ---- inputs without the fields the spec reads ---- */

/* Run `viral ARGS`, expect exit 1 with stderr containing want; frees. */
static void expect_error(const char *args, const char *want) {
  char *out = NULL, *err = NULL;
  ck_assert_int_eq(test_run_viral(args, NULL, &out, &err), 1);
  ck_assert_msg(strstr(err, want) != NULL, "viral %s: stderr: %s", args, err);
  free(out);
  free(err);
}

static int exists(const char *path) {
  FILE *f = fopen(path, "rb");
  if (f) fclose(f);
  return f != NULL;
}

START_TEST(train_and_update_refuse_inputs_without_the_fields) {
  char dir[4096], model[4200], research[4200], challenges[4200], spec[4200], args[16384];
  test_tmpdir(dir, sizeof dir, "missing_fields");
  snprintf(model, sizeof model, "%s/m.json", dir);
  test_repo_path(research, sizeof research, "tests/data/inputs/research.json");
  test_repo_path(challenges, sizeof challenges, "tests/data/inputs/challenges.jsonl");
  test_repo_path(spec, sizeof spec, "tests/data/inputs/challenges_typo.spec.json");
  /* train: the fields are named, with the input's, and no model is written */
  snprintf(args, sizeof args, "train -q -o '%s' --json-path data.videos '%s'", model, research);
  expect_error(args, "research.json: the input lacks fields the spec reads: viral, views_2h, "
                     "views_1h, likes_2h, shares_2h, comments_2h, saves_2h, likes_1h and 13 more "
                     "(the input has: id, create_time, username, region_code,");
  ck_assert(!exists(model));
  /* allowed, nothing is labelled: the label field and what was found */
  snprintf(args, sizeof args, "train -q --allow-missing -o '%s' --json-path data.videos '%s'", model,
           research);
  expect_error(args, "no labelled rows to learn from: the label rule 'viral' reads 'viral', which is "
                     "not in the input (it has: id, create_time,");
  ck_assert(!exists(model));
  /* a spec "from" that no record matches: an error at the end of the pass, naming the step */
  snprintf(args, sizeof args, "train -q --spec '%s' -o '%s' '%s'", spec, model, challenges);
  expect_error(args, "challenges.jsonl: the input lacks fields the spec reads: caption (from "
                     "'challenges[].titel': no record has 'titel' in 'challenges[]') (the input "
                     "has: video_id, views_2h, viral, challenges)");
  ck_assert(!exists(model));
  /* update: refused, and the model file is left as it was */
  char sample[4200];
  test_repo_path(sample, sizeof sample, "datasets/sample.csv");
  char *out = NULL, *err = NULL;
  snprintf(args, sizeof args, "train -q -o '%s' '%s'", model, sample);
  ck_assert_int_eq(test_run_viral(args, NULL, &out, &err), 0);
  free(out);
  free(err);
  size_t before_len = 0, after_len = 0;
  char *before = test_read_file(model, &before_len);
  snprintf(args, sizeof args, "update -q -m '%s' --json-path data.videos '%s'", model, research);
  expect_error(args, "research.json: the input lacks fields the spec reads: viral, views_2h,");
  char *after = test_read_file(model, &after_len);
  ck_assert(before && after && before_len == after_len && memcmp(before, after, before_len) == 0);
  free(before);
  free(after);
}
END_TEST

/* -s takes a bundled spec by name from any directory (this test runs in the
 * build tree, where no file is called research-api); a name that is neither
 * a file nor a bundled spec is an error listing the bundled ones. */
START_TEST(spec_by_bundled_name) {
  char tracker[4200], dir[4096], model[4200], args[9000], *out = NULL, *err = NULL;
  test_repo_path(tracker, sizeof tracker, "tests/data/presets/tracker/videos.csv");
  test_tmpdir(dir, sizeof dir, "spec_by_name");
  snprintf(model, sizeof model, "%s/m.json", dir);
  snprintf(args, sizeof args, "train -q -s tracker -o '%s' '%s'", model, tracker);
  ck_assert_int_eq(test_run_viral(args, NULL, &out, &err), 0);
  ck_assert_str_eq(err, "");
  free(out);
  free(err);
  snprintf(args, sizeof args, "inspect --json '%s'", model);
  ck_assert_int_eq(test_run_viral(args, NULL, &out, &err), 0);
  ck_assert_ptr_nonnull(strstr(out, "\"name\":\t\"tracker\""));
  free(out);
  free(err);
  snprintf(args, sizeof args, "train -q -s research-apii -o /dev/null '%s'", tracker);
  expect_error(args, "viral train: research-apii: no such spec file, nor a bundled spec of that "
                     "name (bundled: ");
  expect_error(args, "research-api, scraper, tiktok-trending-2020");
  snprintf(args, sizeof args, "assemble -s ./research-api '%s'", tracker);
  expect_error(args, "viral assemble: ./research-api: cannot open: No such file or directory");
}
END_TEST

START_TEST(train_notes_a_file_out_of_time_order) {
  char dir[4096], model[4200], data[4200], args[16384];
  test_tmpdir(dir, sizeof dir, "time_order");
  snprintf(model, sizeof model, "%s/m.json", dir);
  char *out = NULL, *err = NULL;
  test_repo_path(data, sizeof data, "tests/data/eval/head200_reversed.csv");
  snprintf(args, sizeof args, "train -o '%s' '%s'", model, data);
  ck_assert_int_eq(test_run_viral(args, NULL, &out, &err), 0);
  ck_assert_msg(strstr(err, "viral train: note: 199 of 200 rows are posted before the row above "
                            "them: learning follows the file's order, not posted_at") != NULL,
                "%s", err);
  free(out);
  free(err);
  test_repo_path(data, sizeof data, "tests/data/eval/head200.csv");
  snprintf(args, sizeof args, "train -o '%s' '%s'", model, data);
  ck_assert_int_eq(test_run_viral(args, NULL, &out, &err), 0);
  ck_assert_msg(strstr(err, "note:") == NULL, "%s", err);
  free(out);
  free(err);
}
END_TEST

/* eval --progressive -m with a views baseline read after the window: the
 * header says leakage is ALLOWED when the model was trained with
 * --allow-leakage (the eval data's own copy of the pipeline is the one the
 * guard marks; the model's is left alone). */
START_TEST(progressive_header_says_leakage_allowed) {
  char dir[4096], model[4200], data[4200], args[16384];
  test_tmpdir(dir, sizeof dir, "progressive_leak");
  snprintf(model, sizeof model, "%s/leaky.json", dir);
  test_repo_path(data, sizeof data, "tests/data/eval/head200.csv");
  char *out = NULL, *err = NULL;
  snprintf(args, sizeof args, "train -q --allow-leakage -o '%s' '%s'", model, data);
  ck_assert_int_eq(test_run_viral(args, NULL, &out, &err), 0);
  free(out);
  free(err);
  snprintf(args, sizeof args, "eval --progressive -m '%s' --views-field views_6h '%s'", model, data);
  ck_assert_int_eq(test_run_viral(args, NULL, &out, &err), 0);
  ck_assert_msg(strstr(out, ", leakage ALLOWED, progressive validation") != NULL, "%.400s", out);
  free(out);
  free(err);
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("cli");
  TCase *tc = tcase_create("describe");
  tcase_add_test(tc, tiktok_vn_types);
  tcase_add_test(tc, example_csv_and_jsonl_agree);
  tcase_add_test(tc, skip_bad_rows_counts_them);
  tcase_add_test(tc, train_and_update_refuse_inputs_without_the_fields);
  tcase_add_test(tc, train_notes_a_file_out_of_time_order);
  tcase_add_test(tc, spec_by_bundled_name);
  tcase_add_test(tc, progressive_header_says_leakage_allowed);
  suite_add_tcase(s, tc);
  tc = tcase_create("ids");
  tcase_add_test(tc, eval_predictions_keep_ids);
  suite_add_tcase(s, tc);
  tc = tcase_create("shared");
  tcase_set_tags(tc, "shared");
  tcase_add_loop_test(tc, shared_dataset_row_counts, 0,
                      (int)(sizeof shared_files / sizeof shared_files[0]));
  tcase_add_test(tc, tiktok_vn_types_whole_table);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return test_main(make_suite()); }
