/* test_score.c - the scorer of viral/score.h: a lease keeps the model it
 * started with through a reload (and the last lease frees it), a file that
 * does not load leaves the model as it is, threads scoring while the model
 * is replaced get the numbers of the model that scored them, and refusals
 * say which kind they are. The output equals `viral score`'s; the HTTP
 * side is tests/test_serve.c. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "viral/score.h"

#define MODEL VIRAL_SOURCE_DIR "/models/default.json"

typedef struct fixture {
  char dir[4096];
  char model[4200]; /* the file the scorer watches */
  char a[4200];     /* models/default.json */
  char b[4200];     /* another model */
  char *records;    /* CSV of 30 generated videos */
  char *want_a;     /* `viral score --explain 2` of them with a, and with b */
  char *want_b;
} fixture;

static void fixture_make(fixture *f, const char *name) {
  char args[9000], csv[4200];
  test_tmpdir(f->dir, sizeof f->dir, name);
  snprintf(f->model, sizeof f->model, "%s/model.json", f->dir);
  snprintf(f->a, sizeof f->a, "%s", MODEL);
  snprintf(f->b, sizeof f->b, "%s/b.json", f->dir);
  snprintf(csv, sizeof csv, "%s/g.csv", f->dir);
  snprintf(args, sizeof args, "gen -q --videos 30 --seed 3 -o '%s'", csv);
  free(test_viral_out(args));
  snprintf(args, sizeof args, "train -q --l2 30 -o '%s' '%s/datasets/sample.csv'", f->b, VIRAL_SOURCE_DIR);
  free(test_viral_out(args));
  f->records = test_read_file(csv, NULL);
  snprintf(args, sizeof args, "score --explain 2 -m '%s' '%s'", f->a, csv);
  f->want_a = test_viral_out(args);
  snprintf(args, sizeof args, "score --explain 2 -m '%s' '%s'", f->b, csv);
  f->want_b = test_viral_out(args);
  ck_assert_str_ne(f->want_a, f->want_b);
  test_replace_file(f->a, f->model);
}

static void fixture_free(fixture *f) {
  free(f->records);
  free(f->want_a);
  free(f->want_b);
}

static viral_scorer *scorer_of(const fixture *f) {
  viral_error err;
  viral_error_clear(&err);
  viral_scorer *s = viral_scorer_create(f->model, NULL, &err);
  ck_assert_msg(s != NULL, "%s", err.message);
  return s;
}

static viral_score_request csv_request(const char *records) {
  viral_score_request req = {"body", records, strlen(records), VIRAL_FORMAT_CSV, 2};
  return req;
}

/* Score f's records with l (NULL: the scorer's current model) and check
 * the output is want and the generation is generation. */
static void assert_scores(viral_scorer *s, viral_scorer_lease *l, const fixture *f, const char *want,
                          uint64_t generation) {
  viral_score_request req = csv_request(f->records);
  viral_score_result res;
  viral_error err;
  viral_error_clear(&err);
  int rc = l ? viral_scorer_lease_score(l, &req, &res, &err) : viral_scorer_score(s, &req, &res, &err);
  ck_assert_msg(rc == VIRAL_OK, "%s", err.message);
  ck_assert_uint_eq(res.generation, generation);
  ck_assert_uint_eq(res.rows, 30);
  ck_assert_uint_eq(res.len, strlen(want));
  ck_assert_str_eq(res.text, want);
  viral_score_result_release(&res);
}

START_TEST(lease_keeps_its_model) {
  fixture f;
  fixture_make(&f, "score_lease");
  viral_scorer *s = scorer_of(&f);
  viral_error err;
  viral_error_clear(&err);
  viral_scorer_lease *old = viral_scorer_acquire(s, &err);
  ck_assert_ptr_nonnull(old);
  assert_scores(s, old, &f, f.want_a, 1);
  test_replace_file(f.b, f.model);
  ck_assert_int_eq(viral_scorer_reload(s, &err), VIRAL_OK);
  ck_assert_uint_eq(viral_scorer_generation(s), 2);
  assert_scores(s, NULL, &f, f.want_b, 2);
  assert_scores(s, old, &f, f.want_a, 1); /* under way: the model it started with */
  viral_scorer_release(old);              /* the last lease of generation 1 frees it */
  assert_scores(s, NULL, &f, f.want_b, 2);
  uint64_t generation = 0;
  char *json = viral_scorer_model_json(s, &generation);
  ck_assert_uint_eq(generation, 2);
  ck_assert_ptr_nonnull(strstr(json, "\"file\":"));
  free(json);
  viral_scorer_free(s);
  fixture_free(&f);
}
END_TEST

START_TEST(bad_file_keeps_model) {
  fixture f;
  fixture_make(&f, "score_bad_reload");
  viral_scorer *s = scorer_of(&f);
  char bad[4300];
  snprintf(bad, sizeof bad, "%s/bad.json", f.dir);
  test_write_file(bad, "{\"format\": \"viral-model\", \"version\": 2");
  ck_assert_int_eq(rename(bad, f.model), 0);
  viral_error err;
  viral_error_clear(&err);
  ck_assert_int_lt(viral_scorer_reload(s, &err), 0);
  ck_assert_msg(strstr(err.message, "model.json"), "%s", err.message);
  ck_assert_uint_eq(viral_scorer_generation(s), 1);
  assert_scores(s, NULL, &f, f.want_a, 1);
  viral_scorer_free(s);
  fixture_free(&f);
}
END_TEST

/* ---- threads ---- */

typedef struct worker {
  viral_scorer *s;
  const fixture *f;
  int requests;
  int wrong; /* answers that are not their generation's numbers */
} worker;

static void *score_many(void *arg) {
  worker *w = arg;
  viral_score_request req = csv_request(w->f->records);
  for (int i = 0; i < w->requests; i++) {
    viral_score_result res;
    viral_error err;
    if (viral_scorer_score(w->s, &req, &res, &err) != VIRAL_OK) {
      w->wrong++;
      continue;
    }
    /* odd generations are model a, even ones model b */
    const char *want = res.generation % 2 ? w->f->want_a : w->f->want_b;
    w->wrong += strcmp(res.text, want) != 0;
    viral_score_result_release(&res);
  }
  return NULL;
}

START_TEST(threads_score_while_it_reloads) {
  fixture f;
  fixture_make(&f, "score_threads");
  viral_scorer *s = scorer_of(&f);
  enum { THREADS = 4 };
  worker w[THREADS];
  pthread_t t[THREADS];
  for (int i = 0; i < THREADS; i++) {
    w[i] = (worker){s, &f, 40, 0};
    ck_assert_int_eq(pthread_create(&t[i], NULL, score_many, &w[i]), 0);
  }
  viral_error err;
  for (int k = 2; k <= 11; k++) {
    test_replace_file(k % 2 ? f.a : f.b, f.model);
    ck_assert_int_eq(viral_scorer_reload(s, &err), VIRAL_OK);
  }
  for (int i = 0; i < THREADS; i++) {
    pthread_join(t[i], NULL);
    ck_assert_msg(w[i].wrong == 0, "thread %d: %d answers not of their model", i, w[i].wrong);
  }
  ck_assert_uint_eq(viral_scorer_generation(s), 11);
  assert_scores(s, NULL, &f, f.want_a, 11);
  viral_scorer_free(s);
  fixture_free(&f);
}
END_TEST

/* ---- refusals ---- */

static int refusal(viral_scorer *s, const char *body, viral_format format, size_t explain, viral_score_result *res,
                   viral_error *err) {
  viral_score_request req = {"body", body, strlen(body), format, explain};
  viral_error_clear(err);
  int rc = viral_scorer_score(s, &req, res, err);
  ck_assert_ptr_null(res->text);
  return rc;
}

START_TEST(refusals_say_their_kind) {
  fixture f;
  fixture_make(&f, "score_refusals");
  viral_scorer *s = scorer_of(&f);
  viral_score_result res;
  viral_error err;
  /* not valid JSON: unreadable */
  ck_assert_int_lt(refusal(s, "[{\"video_id\": 1}, {", VIRAL_FORMAT_JSON, 0, &res, &err), 0);
  ck_assert_int_eq(res.unreadable, 1);
  ck_assert_msg(strstr(err.message, "body:"), "%s", err.message);
  /* a bad value in the first row, broken JSON in the second: the first error, a bad value */
  ck_assert_int_lt(refusal(s, "{\"video_id\":\"v1\",\"views_1h\":\"lots\"}\n{\"video_id\":", VIRAL_FORMAT_JSONL, 0,
                           &res, &err), 0);
  ck_assert_int_eq(res.unreadable, 0);
  /* fields the model reads are missing: not unreadable, and named */
  ck_assert_int_lt(refusal(s, "video_id,views_1h\nv1,3\n", VIRAL_FORMAT_CSV, 0, &res, &err), 0);
  ck_assert_int_eq(res.unreadable, 0);
  ck_assert_msg(strstr(err.message, "lacks fields the spec reads: ") && strstr(err.message, "views_2h"), "%s",
                err.message);
  /* what a request may ask */
  ck_assert_int_eq(refusal(s, "video_id\nv1\n", VIRAL_FORMAT_CSV, VIRAL_SCORE_MAX_EXPLAIN + 1, &res, &err),
                   VIRAL_ERR_INVALID);
  ck_assert_int_eq(refusal(s, "video_id\nv1\n", VIRAL_FORMAT_AUTO, 0, &res, &err), VIRAL_ERR_INVALID);
  viral_scorer_free(s);
  fixture_free(&f);
}
END_TEST

/* With allow_missing, an input without the model's fields is scored, and
 * the warning says what was absent. */
START_TEST(allow_missing_warns) {
  fixture f;
  fixture_make(&f, "score_allow_missing");
  viral_scorer_options o;
  viral_scorer_options_init(&o);
  o.allow_missing = 1;
  viral_error err;
  viral_error_clear(&err);
  viral_scorer *s = viral_scorer_create(f.model, &o, &err);
  ck_assert_ptr_nonnull(s);
  viral_score_request req = {"body", "video_id,views_1h\nv1,3\n", 23, VIRAL_FORMAT_CSV, 0};
  viral_score_result res;
  ck_assert_int_eq(viral_scorer_score(s, &req, &res, &err), VIRAL_OK);
  ck_assert_uint_eq(res.rows, 1);
  ck_assert_msg(strstr(res.warning, "read as missing (--allow-missing): views_2h"), "warning: %s", res.warning);
  viral_score_result_release(&res);
  viral_scorer_free(s);
  fixture_free(&f);
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("score");
  TCase *tc = tcase_create("scorer");
  tcase_add_test(tc, lease_keeps_its_model);
  tcase_add_test(tc, bad_file_keeps_model);
  tcase_add_test(tc, threads_score_while_it_reloads);
  tcase_add_test(tc, refusals_say_their_kind);
  tcase_add_test(tc, allow_missing_warns);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return test_main(make_suite()); }
