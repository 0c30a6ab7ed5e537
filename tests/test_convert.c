/* test_convert.c - the dataset specs on the real shared datasets (first rows,
 * read from the committed excerpts, checked against
 * tools/fixtures/features_reference.py), and `viral convert` output accepted
 * by svm-train and liblinear-train. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "testutil.h"
#include "viral/features.h"
#include "viral/reader.h"

/* The dataset spec with scaling "none" (so values are the transforms' own)
 * and the given label rule (so no quantile needs fitting). */
static viral_pipeline *dataset_spec(const char *name, const char *label) {
  char rel[256], path[4096];
  snprintf(rel, sizeof rel, "datasets/%s.spec.json", name);
  char *text = test_read_file(test_repo_path(path, sizeof path, rel), NULL);
  ck_assert_ptr_nonnull(text);
  cJSON *j = cJSON_Parse(text);
  ck_assert_ptr_nonnull(j);
  cJSON_ReplaceItemInObject(j, "scaling", cJSON_CreateString("none"));
  char *unscaled = cJSON_Print(j);
  viral_pipeline_options opts;
  viral_pipeline_options_init(&opts);
  opts.label = label;
  viral_error err;
  viral_pipeline *p = viral_pipeline_parse_spec(path, unscaled, strlen(unscaled), &opts, &err);
  ck_assert_msg(p != NULL, "%s", err.message);
  ck_assert_int_eq(viral_pipeline_needs_fit(p), 0);
  free(unscaled);
  cJSON_Delete(j);
  free(text);
  return p;
}

/* Set by first_row(): the record's video_id and posted_at through the spec. */
static char first_id[64];
static double first_posted;

/* Transform the first record of the shared file with p (its committed
 * excerpt: the same first rows). */
static void first_row(viral_pipeline *p, const char *file, viral_sparse *v, double *label) {
  char path[4096];
  viral_reader_options o;
  viral_reader_options_init(&o);
  viral_pipeline_reader_options(p, &o);
  viral_error err;
  viral_reader *r = viral_reader_open(test_excerpt_path(path, sizeof path, file), &o, &err);
  ck_assert_msg(r != NULL, "%s", err.message);
  const viral_record *rec;
  ck_assert_int_eq(viral_reader_next(r, &rec, &err), 1);
  ck_assert_msg(viral_pipeline_transform(p, rec, v, label, &err) == VIRAL_OK, "%s", err.message);
  /* the mapped id and post time, as temporal splits and outputs read them */
  viral_strview id;
  ck_assert_int_eq(viral_pipeline_field_text(p, rec, "video_id", &id, &err), VIRAL_OK);
  snprintf(first_id, sizeof first_id, "%.*s", (int)id.len, id.ptr);
  ck_assert_int_eq(viral_pipeline_field_timestamp(p, rec, "posted_at", &first_posted, &err),
                   VIRAL_OK);
  ck_assert_int_eq(viral_pipeline_field_timestamp(p, rec, "video_id", &first_posted, &err),
                   VIRAL_ERR_INVALID);
  ck_assert_int_eq(viral_pipeline_field_text(p, rec, "nope", &id, &err), VIRAL_MISSING);
  /* asked again, in another order (the pipeline remembers its last two
   * answers): the same fields */
  double posted = NAN;
  for (int round = 0; round < 2; round++) {
    ck_assert_int_eq(viral_pipeline_field_text(p, rec, "nope", &id, &err), VIRAL_MISSING);
    ck_assert_int_eq(viral_pipeline_field_timestamp(p, rec, "posted_at", &posted, &err), VIRAL_OK);
    ck_assert_double_eq(posted, first_posted);
    ck_assert_int_eq(viral_pipeline_field_text(p, rec, "video_id", &id, &err), VIRAL_OK);
    ck_assert_int_eq((int)id.len, (int)strlen(first_id));
    ck_assert(memcmp(id.ptr, first_id, id.len) == 0);
  }
  viral_reader_free(r);
}

typedef struct expect {
  uint32_t index;
  double value;
} expect;

static void check_vector(const viral_sparse *v, const expect *want, size_t n) {
  ck_assert_uint_eq(v->count, n);
  for (size_t i = 0; i < n; i++) {
    ck_assert_uint_eq(v->items[i].index, want[i].index);
    ck_assert_double_near(v->items[i].value, want[i].value, 1e-13);
  }
}

/* trending.json item 1: duration 15, not verified, music not original,
 * createTime 1608214517 (2020-12-17 14:15:17 UTC, a Thursday), caption
 * "Confidence went 📈" (17 code points), no hashtags or mentions. */
START_TEST(trending_first_row) {
  viral_pipeline *p = dataset_spec("tiktok-trending-2020", "views>=1000000");
  viral_sparse v;
  viral_sparse_init(&v);
  double label;
  first_row(p, "raw/tiktok-trending-2020/trending.json", &v, &label);
  ck_assert_str_eq(first_id, "6907228749016714497");
  ck_assert_double_near(first_posted, 1608214517, 0);
  ck_assert_double_near(label, 0, 0); /* 44,800 plays */
  expect want[] = {{0, 2.772588722239781},       /* log1p(15) */
                   {4, -0.5565977331986722},      /* hour sin */
                   {5, -0.8307821395516997},      /* hour cos */
                   {7, 0.43388373911755823},      /* weekday sin (3) */
                   {8, -0.900968867902419},       /* weekday cos */
                   {10, 17},                      /* caption length */
                   {71995, 1},                    /* creator=ninakleij */
                   {89095, 1}};                   /* sound=6790057285814061057 */
  check_vector(&v, want, sizeof want / sizeof want[0]);
  viral_sparse_release(&v);
  viral_pipeline_free(p);
}
END_TEST

/* raw_data.csv row 1: "00:31", original sound, posted 2025-05-21 09:44:45
 * UTC (a Wednesday), caption of 21 code points, one hashtag, 541.2K views. */
START_TEST(tiktok_vn_first_row) {
  viral_pipeline *p = dataset_spec("tiktok-vn-2025", "views>=500000");
  viral_sparse v;
  viral_sparse_init(&v);
  double label;
  first_row(p, "raw/tiktok-vn-2025/raw_data.csv", &v, &label);
  ck_assert_str_eq(first_id, "7506832682593094928");
  ck_assert_double_near(first_posted, 1747820685, 0);
  ck_assert_double_near(label, 1, 0);
  expect want[] = {{0, 3.4657359027997265},      /* log1p(31) */
                   {2, 1},                        /* music original */
                   {3, 0.5564768949477846},       /* hour sin */
                   {4, -0.8308630846230155},      /* hour cos */
                   {6, 0.9749279121818236},       /* weekday sin (2) */
                   {7, -0.22252093395631434},     /* weekday cos */
                   {9, 21},                       /* caption length */
                   {10, 1},                       /* hashtag count */
                   {7080, 1},                     /* sound=nhạc nền - 🦩Trà Vy 👅 */
                   {122251, 1},                   /* creator=lenguyentravi */
                   {183982, 1}};                  /* hashtag=xuhuongtiktok */
  check_vector(&v, want, sizeof want / sizeof want[0]);
  viral_sparse_release(&v);
  viral_pipeline_free(p);
}
END_TEST

/* bilibili row 1: duration 121 s, original (copyright 1), pubdate
 * 1748750400 (2025-06-01 04:00 UTC, a Sunday), snapshot 1749244955, so
 * 137.376 h old; 12-character title, 10 tags, category 鬼畜调教. */
START_TEST(bilibili_first_row) {
  viral_pipeline *p = dataset_spec("bilibili-hot-hourly", "views>=1000000");
  viral_sparse v;
  viral_sparse_init(&v);
  double label;
  first_row(p, "raw/bilibili-hot-hourly/bilibili_hot_videos_server.csv", &v, &label);
  ck_assert_str_eq(first_id, "114586338463891");
  ck_assert_double_near(first_posted, 1748750400, 0);
  ck_assert_double_near(label, 0, 0); /* 684,033 views */
  ck_assert_uint_eq(v.count, 21);     /* 9 dense, category, creator, 10 tags */
  expect want[] = {{0, 4.804021044733257},       /* log1p(121) */
                   {2, 1},                        /* copyright */
                   {4, 0.8660254037844386},       /* hour sin (04:00) */
                   {5, 0.5000000000000001},       /* hour cos */
                   {7, -0.7818314824680299},      /* weekday sin (6) */
                   {8, 0.6234898018587334},       /* weekday cos */
                   {10, 137.3763888888889},       /* age in hours */
                   {12, 12},                      /* title length */
                   {13, 10}};                     /* tag count */
  v.count = 9; /* the dense part; the tags' indices are checked by the hashing tests */
  check_vector(&v, want, sizeof want / sizeof want[0]);
  viral_pipeline_free(p);
  viral_sparse_release(&v);
}
END_TEST

/* reddit 2024-01 row 1: news, a link to www.insideedition.com (the regex
 * capture), created 1704844309, seen at 2024-01-10T02. */
START_TEST(reddit_first_row) {
  viral_pipeline *p = dataset_spec("reddit-rall-hourly", "score>=10000");
  viral_sparse v;
  viral_sparse_init(&v);
  double label;
  first_row(p, "raw/reddit-rall-hourly/2024-01/core_data.csv", &v, &label);
  ck_assert_str_eq(first_id, "192tq7w");
  ck_assert_double_near(first_posted, 1704844309, 0);
  ck_assert_double_near(label, 0, 0); /* score 3098 */
  expect want[] = {{1, -0.03569894072143081},    /* hour sin */
                   {2, 0.9993625896697194},       /* hour cos */
                   {4, 0.7818314824680298},       /* weekday sin (1) */
                   {5, 0.6234898018587336},       /* weekday cos */
                   {7, 2.136388888888889},        /* age in hours */
                   {9, 67},                       /* title length */
                   {89115, 1},                    /* domain=www.insideedition.com */
                   {187274, 1}};                  /* subreddit=news */
  check_vector(&v, want, sizeof want / sizeof want[0]);
  viral_sparse_release(&v);
  viral_pipeline_free(p);
}
END_TEST

static void run_ok(const char *cmd) {
  int rc = system(cmd);
  ck_assert_msg(rc == 0, "'%s' exited with %d", cmd, rc);
}

/* Convert trending.json (data) to LIBSVM text: `lines` videos, the top 10%
 * of plays (`positives`) labelled 1; svm-train and liblinear-train accept it. */
static void libsvm_output_trains(const char *data, size_t want_lines, size_t want_positives) {
  char dir[4096], cmd[16384];
  test_tmpdir(dir, sizeof dir, "convert_libsvm");
  char *out = NULL, *err = NULL;
  snprintf(cmd, sizeof cmd, "convert --spec '%s/datasets/tiktok-trending-2020.spec.json' --to libsvm "
                            "-o '%s/t.svm' '%s'", VIRAL_SOURCE_DIR, dir, data);
  int rc = test_run_viral(cmd, NULL, &out, &err);
  ck_assert_msg(rc == 0, "exit %d: %s", rc, err);
  ck_assert_str_eq(err, "");
  free(out);
  free(err);
  snprintf(cmd, sizeof cmd, "%s/t.svm", dir);
  char *text = test_read_file(cmd, NULL);
  ck_assert_ptr_nonnull(text);
  size_t lines = 0, positives = 0;
  for (char *s = text; *s; s++) {
    if (s == text || s[-1] == '\n') positives += s[0] == '1' && s[1] == ' ';
    lines += *s == '\n';
  }
  ck_assert_uint_eq(lines, want_lines);
  ck_assert_uint_eq(positives, want_positives);
  free(text);
  snprintf(cmd, sizeof cmd, "svm-train -q -t 0 '%s/t.svm' '%s/t.svm.model' > /dev/null", dir, dir);
  run_ok(cmd);
  snprintf(cmd, sizeof cmd, "liblinear-train -q -s 0 '%s/t.svm' '%s/t.lin.model' > /dev/null", dir,
           dir);
  run_ok(cmd);
  /* and they would have refused a malformed file */
  snprintf(cmd, sizeof cmd, "printf '1 3:1 2:1\\n' > '%s/bad.svm' && svm-train -q '%s/bad.svm' "
                            "'%s/bad.model' > /dev/null 2>&1", dir, dir, dir);
  ck_assert_int_ne(system(cmd), 0);
}

/* The excerpt's 50 videos: the top 10% are 5 (plays >= 838,100, no tie;
 * tools/fixtures/make_excerpts.py). */
START_TEST(libsvm_output_trains_svm_and_liblinear) {
  char data[4096];
  libsvm_output_trains(test_excerpt_path(data, sizeof data, "raw/tiktok-trending-2020/trending.json"),
                       50, 5);
}
END_TEST

/* The whole table: top 10% of 1000 plays, no ties at the threshold. */
START_TEST(libsvm_output_of_the_whole_table) {
  char data[4096];
  libsvm_output_trains(test_shared_path(data, sizeof data, "raw/tiktok-trending-2020/trending.json"),
                       1000, 100);
}
END_TEST

/* A data error leaves no output file, not even a partial one. */
START_TEST(failed_convert_writes_no_file) {
  char dir[4096], cmd[16384], out_path[4200];
  test_tmpdir(dir, sizeof dir, "convert_nofile");
  snprintf(out_path, sizeof out_path, "%s/out.svm", dir);
  snprintf(cmd, sizeof cmd, "convert --spec '%s/tests/data/features/small.spec.json' -o '%s' "
                            "'%s/tests/data/features/nolabel.csv'",
           VIRAL_SOURCE_DIR, out_path, VIRAL_SOURCE_DIR);
  char *err = NULL;
  ck_assert_int_eq(test_run_viral(cmd, NULL, NULL, &err), 1);
  ck_assert_ptr_nonnull(strstr(err, "nolabel.csv:3: no label (rule 'viral')"));
  free(err);
  ck_assert_ptr_null(test_read_file(out_path, NULL));
  snprintf(cmd, sizeof cmd, "ls -A '%s' | wc -l | grep -qx 0", dir); /* no temporary left */
  ck_assert_int_eq(system(cmd), 0);
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("convert");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, trending_first_row);
  tcase_add_test(tc, tiktok_vn_first_row);
  tcase_add_test(tc, bilibili_first_row);
  tcase_add_test(tc, reddit_first_row);
  tcase_add_test(tc, libsvm_output_trains_svm_and_liblinear);
  tcase_add_test(tc, failed_convert_writes_no_file);
  suite_add_tcase(s, tc);
  tc = tcase_create("shared");
  tcase_set_tags(tc, "shared");
  tcase_add_test(tc, libsvm_output_of_the_whole_table);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return test_main(make_suite()); }
