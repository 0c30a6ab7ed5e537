/* test_gen.c - the generator's documented properties (datasets/README.md):
 * determinism, rates within the stated bounds, monotone counters, the
 * oracle, the log's order, and the CLI's output shape. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "viral/gen.h"

/* The defaults, with this many videos. */
static viral_gen_params params_for(uint64_t videos) {
  viral_gen_params p;
  viral_gen_params_init(&p);
  p.videos = videos;
  return p;
}

static viral_gen *make(const viral_gen_params *p) {
  viral_error err = {0};
  viral_gen *g = viral_gen_create(p, &err);
  ck_assert_msg(g != NULL, "create failed: %s", err.message);
  return g;
}

static int next(viral_gen *g, viral_gen_video *v) {
  viral_error err = {0};
  int rc = viral_gen_next(g, v, &err);
  ck_assert_msg(rc >= 0, "next failed: %s", err.message);
  return rc;
}

static int counters_equal(const viral_gen_counters *a, const viral_gen_counters *b) {
  return a->views == b->views && a->likes == b->likes && a->shares == b->shares &&
         a->comments == b->comments && a->saves == b->saves && a->watch_ratio == b->watch_ratio;
}

static int videos_equal(const viral_gen_params *p, const viral_gen_video *a,
                        const viral_gen_video *b) {
  if (strcmp(a->video_id, b->video_id) || a->posted_at != b->posted_at ||
      strcmp(a->author_id, b->author_id) || a->author_followers != b->author_followers ||
      strcmp(a->music_id, b->music_id) || strcmp(a->caption, b->caption) ||
      a->duration_s != b->duration_s || a->views_final != b->views_final ||
      a->hidden_bought != b->hidden_bought)
    return 0;
  for (size_t i = 0; i < p->hour_count; i++)
    if (!counters_equal(&a->snapshots[i], &b->snapshots[i])) return 0;
  return 1;
}

/* Every counter of b is at least that of a; watch ratio in [0,1]; no
 * engagement count above the views. */
static void check_counters(const viral_gen_counters *c) {
  ck_assert(c->watch_ratio >= 0 && c->watch_ratio <= 1);
  ck_assert_uint_le(c->likes, c->views);
  ck_assert_uint_le(c->shares, c->views);
  ck_assert_uint_le(c->comments, c->views);
  ck_assert_uint_le(c->saves, c->views);
}

static void check_not_less(const viral_gen_counters *a, const viral_gen_counters *b) {
  ck_assert_uint_le(a->views, b->views);
  ck_assert_uint_le(a->likes, b->likes);
  ck_assert_uint_le(a->shares, b->shares);
  ck_assert_uint_le(a->comments, b->comments);
  ck_assert_uint_le(a->saves, b->saves);
}

START_TEST(params_are_checked) {
  viral_gen_params p;
  viral_error err = {0};
  viral_gen_params_init(&p);
  ck_assert_int_eq(viral_gen_params_check(&p, &err), VIRAL_OK);
  p.hours[1] = 1; /* 1,1,3,6 */
  ck_assert_int_eq(viral_gen_params_check(&p, &err), VIRAL_ERR_INVALID);
  ck_assert_ptr_nonnull(strstr(err.message, "increase"));
  viral_gen_params_init(&p);
  p.horizon_h = 6; /* not after the last snapshot */
  ck_assert_int_eq(viral_gen_params_check(&p, &err), VIRAL_ERR_INVALID);
  viral_gen_params_init(&p);
  p.log = 1, p.oracle = 10;
  ck_assert_int_eq(viral_gen_params_check(&p, &err), VIRAL_ERR_INVALID);
  viral_gen_params_init(&p);
  p.bought_share = 1.5;
  ck_assert_ptr_null(viral_gen_create(&p, &err));
  ck_assert_int_eq(err.code, VIRAL_ERR_INVALID);
  viral_gen_free(NULL);
}
END_TEST

START_TEST(same_seed_same_videos_other_seed_others) {
  viral_gen_params p = params_for(300);
  viral_gen *a = make(&p), *b = make(&p);
  p.seed = 2;
  viral_gen *c = make(&p);
  viral_gen_video *va = malloc(sizeof *va), *vb = malloc(sizeof *vb), *vc = malloc(sizeof *vc);
  int n = 0, differ = 0;
  while (next(a, va)) {
    ck_assert_int_eq(next(b, vb), 1);
    ck_assert_int_eq(next(c, vc), 1);
    ck_assert_msg(videos_equal(&p, va, vb), "video %d differs with the same seed", n);
    differ += !videos_equal(&p, va, vc);
    n++;
  }
  ck_assert_int_eq(n, 300);
  ck_assert_int_eq(next(b, vb), 0);
  ck_assert_int_gt(differ, 290); /* another seed gives other videos */
  free(va), free(vb), free(vc);
  viral_gen_free(a), viral_gen_free(b), viral_gen_free(c);
}
END_TEST

/* datasets/README.md states: on 20,000 videos with the defaults, the viral
 * share is in [0.015, 0.045] and the bought share in [0.04, 0.06]; bought
 * videos have more views at 2 h but a lower watch ratio than the others. */
START_TEST(rates_within_documented_bounds) {
  viral_gen_params p = params_for(20000);
  p.seed = 11;
  viral_gen *g = make(&p);
  viral_gen_video *v = malloc(sizeof *v);
  long viral = 0, bought = 0;
  double bought_views = 0, other_views = 0, bought_wr = 0, other_wr = 0;
  int64_t prev_posted = 0;
  while (next(g, v)) {
    viral += v->viral;
    bought += v->hidden_bought;
    ck_assert_int_eq(v->viral, v->views_final >= p.viral_views);
    ck_assert(v->posted_at >= prev_posted); /* posting order */
    ck_assert(v->posted_at >= p.start && v->posted_at < p.start + 30 * 86400);
    prev_posted = v->posted_at;
    double lv = log1p((double)v->snapshots[1].views), wr = v->snapshots[1].watch_ratio;
    if (v->hidden_bought) bought_views += lv, bought_wr += wr;
    else other_views += lv, other_wr += wr;
  }
  double n = (double)p.videos;
  ck_assert_msg(viral / n >= 0.015 && viral / n <= 0.045, "viral share %g", viral / n);
  ck_assert_msg(bought / n >= 0.04 && bought / n <= 0.06, "bought share %g", bought / n);
  ck_assert(bought_views / bought > other_views / (n - bought));
  ck_assert(bought_wr / bought < other_wr / (n - bought));
  free(v);
  viral_gen_free(g);

  p.bought_share = 0; /* the knob works */
  p.videos = 2000;
  g = make(&p);
  v = malloc(sizeof *v);
  while (next(g, v)) ck_assert_int_eq(v->hidden_bought, 0);
  free(v);
  viral_gen_free(g);
}
END_TEST

START_TEST(counters_never_decrease) {
  viral_gen_params p = params_for(5000);
  p.hour_count = 6;
  int hours[] = {1, 2, 3, 6, 12, 24};
  memcpy(p.hours, hours, sizeof hours);
  viral_gen *g = make(&p);
  viral_gen_video *v = malloc(sizeof *v);
  while (next(g, v)) {
    for (size_t i = 0; i < p.hour_count; i++) {
      check_counters(&v->snapshots[i]);
      if (i > 0) check_not_less(&v->snapshots[i - 1], &v->snapshots[i]);
    }
    ck_assert_uint_ge(v->views_final, v->snapshots[p.hour_count - 1].views);
    ck_assert(v->duration_s >= 5 && v->duration_s <= 180);
    ck_assert_uint_le(v->hashtag_count, VIRAL_GEN_MAX_HASHTAGS);
  }
  free(v);
  viral_gen_free(g);
}
END_TEST

START_TEST(oracle_is_a_probability_higher_for_viral_videos) {
  viral_gen_params p = params_for(3000);
  p.oracle = 40;
  viral_gen *g = make(&p);
  viral_gen_video *v = malloc(sizeof *v);
  double sum[2] = {0, 0};
  long count[2] = {0, 0};
  while (next(g, v)) {
    ck_assert(v->oracle_p >= 0 && v->oracle_p <= 1);
    double k = v->oracle_p * p.oracle; /* a share of 40 continuations */
    ck_assert_double_near(k, round(k), 1e-9);
    sum[v->viral] += v->oracle_p;
    count[v->viral]++;
  }
  ck_assert_int_gt(count[1], 10);
  ck_assert_msg(sum[1] / count[1] > sum[0] / count[0] + 0.3, "mean oracle_p %g (viral) vs %g",
                sum[1] / count[1], sum[0] / count[0]);
  free(v);
  viral_gen_free(g);

  /* Without the oracle the field says so. */
  p.oracle = 0;
  p.videos = 1;
  g = make(&p);
  v = malloc(sizeof *v);
  ck_assert_int_eq(next(g, v), 1);
  ck_assert(v->oracle_p < 0);
  free(v);
  viral_gen_free(g);
}
END_TEST

/* Log mode: sorted by observed_at; per video, looks strictly later, counters
 * never decrease, the last look at the horizon; every video is seen. */
START_TEST(log_is_sorted_and_monotone) {
  enum { N = 1500 };
  viral_gen_params p = params_for(N);
  p.days = 10;
  p.log = 1;
  viral_gen *g = make(&p);
  viral_gen_video *v = malloc(sizeof *v);
  viral_gen_counters *last = calloc(N, sizeof *last);
  int64_t *last_at = calloc(N, sizeof *last_at), prev = 0;
  int *looks = calloc(N, sizeof *looks);
  long rows = 0;
  while (next(g, v)) {
    ck_assert_uint_lt(v->index, N);
    size_t i = (size_t)v->index;
    ck_assert(v->observed_at >= prev);
    ck_assert(v->observed_at > v->posted_at);
    ck_assert(v->observed_at <= v->posted_at + (int64_t)(p.horizon_h * 3600));
    check_counters(&v->observed);
    if (looks[i]) {
      ck_assert(v->observed_at > last_at[i]);
      check_not_less(&last[i], &v->observed);
    }
    prev = v->observed_at;
    last[i] = v->observed;
    last_at[i] = v->observed_at;
    looks[i]++;
    rows++;
  }
  for (size_t i = 0; i < N; i++) ck_assert_int_ge(looks[i], 2);
  ck_assert_int_gt(rows, 3 * N);
  free(looks), free(last_at), free(last), free(v);
  viral_gen_free(g);
}
END_TEST

/* ---- through the CLI ---- */

START_TEST(cli_same_seed_same_bytes) {
  char *a = NULL, *b = NULL, *c = NULL;
  ck_assert_int_eq(test_run_viral("gen --videos 500 --seed 9", NULL, &a, NULL), 0);
  ck_assert_int_eq(test_run_viral("gen --videos 500 --seed 9", NULL, &b, NULL), 0);
  ck_assert_int_eq(test_run_viral("gen --videos 500 --seed 10", NULL, &c, NULL), 0);
  ck_assert_str_eq(a, b);
  ck_assert_str_ne(a, c);
  const char *header =
      "video_id,posted_at,author_id,author_followers,author_verified,duration_s,music_id,"
      "music_original,hashtags,caption,views_1h,likes_1h,shares_1h,comments_1h,saves_1h,"
      "watch_ratio_1h,views_2h,";
  ck_assert_int_eq(strncmp(a, header, strlen(header)), 0);
  ck_assert_ptr_nonnull(strstr(a, ",watch_ratio_6h,views_final,viral,hidden_bought\n"));
  size_t lines = 0;
  for (const char *s = a; *s; s++) lines += *s == '\n';
  ck_assert_uint_eq(lines, 501);
  free(a), free(b), free(c);

  /* -o FILE holds the same bytes, and nothing goes to stdout. */
  char dir[4096], path[4200], args[4400];
  test_tmpdir(dir, sizeof dir, "gen_output");
  snprintf(path, sizeof path, "%s/out.csv", dir);
  snprintf(args, sizeof args, "gen --videos 500 --seed 9 -o '%s'", path);
  ck_assert_int_eq(test_run_viral("gen --videos 500 --seed 9", NULL, &a, NULL), 0);
  ck_assert_int_eq(test_run_viral(args, NULL, &b, NULL), 0);
  ck_assert_str_eq(b, "");
  char *file = test_read_file(path, NULL);
  ck_assert_ptr_nonnull(file);
  ck_assert_str_eq(file, a);
  free(file), free(a), free(b);
}
END_TEST

START_TEST(cli_options_shape_the_output) {
  char *out = NULL, *err = NULL;
  ck_assert_int_eq(test_run_viral("gen --videos 3 --hours 2,24 --horizon 3d --oracle 5", NULL,
                                  &out, NULL), 0);
  ck_assert_ptr_nonnull(strstr(out, ",views_2h,"));
  ck_assert_ptr_nonnull(strstr(out, ",watch_ratio_24h,views_final,viral,hidden_bought,oracle_p\n"));
  ck_assert_ptr_null(strstr(out, "views_1h"));
  free(out);

  ck_assert_int_eq(test_run_viral("gen --videos 2 --format jsonl --start 2025-01-02", NULL, &out,
                                  NULL), 0);
  ck_assert_int_eq(strncmp(out, "{\"video_id\":\"v1\",\"posted_at\":\"2025-01-", 38), 0);
  ck_assert_ptr_nonnull(strstr(out, "\"hashtags\":["));
  free(out);

  /* jsonl log lines are observe events for `viral stream` */
  ck_assert_int_eq(test_run_viral("gen --videos 20 --log --format jsonl", NULL, &out, NULL), 0);
  for (const char *line = out; *line; line = strchr(line, '\n') + 1)
    ck_assert_int_eq(strncmp(line, "{\"event\":\"observe\",\"video_id\":", 30), 0);
  free(out);

  /* usage errors: exit 2, message on stderr, nothing on stdout */
  const char *bad[] = {"gen --hours 3,2",      "gen --format xml",    "gen --oracle 5 --log",
                       "gen --horizon 2h",     "gen --start yesterday", "gen --videos 0",
                       "gen --bought-share 2", "gen --window 200"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    ck_assert_msg(test_run_viral(bad[i], NULL, &out, &err) == 2, "'%s' should be a usage error",
                  bad[i]);
    ck_assert_str_eq(out, "");
    ck_assert_int_eq(strncmp(err, "viral gen: ", 11), 0);
    free(out), free(err);
  }
  ck_assert_int_eq(test_run_viral("gen --help", NULL, &out, NULL), 0);
  ck_assert_ptr_nonnull(strstr(out, "usage: viral gen"));
  free(out);
}
END_TEST

START_TEST(cli_log_is_sorted_by_observed_at) {
  char *out = NULL;
  ck_assert_int_eq(test_run_viral("gen --videos 300 --log --days 3", NULL, &out, NULL), 0);
  ck_assert_int_eq(strncmp(out, "video_id,observed_at,posted_at,views,", 37), 0);
  char prev[32] = "";
  long rows = 0;
  for (char *line = strchr(out, '\n') + 1; *line; line = strchr(line, '\n') + 1) {
    char *at = strchr(line, ',') + 1; /* observed_at: ISO strings sort as times */
    ck_assert_int_eq(at[20], ',');
    ck_assert_msg(strncmp(prev, at, 20) <= 0, "row %ld out of order", rows);
    memcpy(prev, at, 20);
    rows++;
  }
  ck_assert_int_gt(rows, 900);
  free(out);
}
END_TEST

/* datasets/sample.csv is what the command in datasets/README.md makes. */
START_TEST(sample_is_reproducible) {
  char path[4096];
  size_t len = 0;
  char *sample = test_read_file(test_repo_path(path, sizeof path, "datasets/sample.csv"), &len);
  ck_assert_ptr_nonnull(sample);
  char *out = NULL;
  ck_assert_int_eq(test_run_viral("gen --videos 5000 --seed 20260301 --oracle 100", NULL, &out,
                                  NULL), 0);
  ck_assert_uint_eq(strlen(out), len);
  ck_assert_int_eq(memcmp(out, sample, len), 0);
  free(out), free(sample);
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("gen");
  TCase *lib = tcase_create("library");
  tcase_add_test(lib, params_are_checked);
  tcase_add_test(lib, same_seed_same_videos_other_seed_others);
  tcase_add_test(lib, rates_within_documented_bounds);
  tcase_add_test(lib, counters_never_decrease);
  tcase_add_test(lib, oracle_is_a_probability_higher_for_viral_videos);
  tcase_add_test(lib, log_is_sorted_and_monotone);
  suite_add_tcase(s, lib);
  TCase *cli = tcase_create("cli");
  tcase_add_test(cli, cli_same_seed_same_bytes);
  tcase_add_test(cli, cli_options_shape_the_output);
  tcase_add_test(cli, cli_log_is_sorted_by_observed_at);
  tcase_add_test(cli, sample_is_reproducible);
  suite_add_tcase(s, cli);
  return s;
}

int main(void) { return test_main(make_suite()); }
