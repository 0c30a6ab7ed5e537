/* test_progressive.c - progressive validation (viral/eval.h): the event order
 * with and without the event columns, delayed and not, and the running
 * base rate, on hand-made rows whose order is worked out in comments. The
 * agreement with `viral stream` on a generated log is tests/progressive_equiv.sh. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "viral/eval.h"

static viral_pipeline *pipeline(void) {
  viral_pipeline_options po;
  viral_pipeline_options_init(&po);
  po.scaling = "none";
  po.allow_missing = 1; /* the files have the columns the schedule needs, not every feature's */
  viral_error err;
  viral_pipeline *p = viral_pipeline_load_spec(NULL, &po, &err);
  ck_assert_msg(p != NULL, "%s", err.message);
  return p;
}

static viral_eval_data *load(viral_pipeline *p, const char *name, char *path, size_t size,
                             viral_reader_options *ro) {
  char rel[256];
  snprintf(rel, sizeof rel, "tests/data/progressive/%s", name);
  test_repo_path(path, size, rel);
  viral_reader_options_init(ro);
  viral_error err;
  viral_eval_data *d = viral_eval_load(p, path, ro, 0, &err);
  ck_assert_msg(d != NULL, "%s", err.message);
  return d;
}

/* Build d's schedule and write its steps as "aS bS aL ..." (by video id). */
static void schedule(const viral_eval_data *d, const char *path, const viral_reader_options *ro,
                     const viral_eval_progressive_options *o, viral_eval_schedule *s, char *out,
                     size_t size) {
  viral_error err;
  ck_assert_msg(viral_eval_schedule_build(d, path, ro, o, s, &err) == VIRAL_OK, "%s", err.message);
  out[0] = '\0';
  for (size_t i = 0; i < s->count; i++) {
    size_t n = strlen(out);
    snprintf(out + n, size - n, "%s%s%c", i ? " " : "", d->id[s->steps[i].row], s->steps[i].learn ? 'L' : 'S');
  }
}

/* fallback.csv, window 2h, horizon 4h: a posted 0h, b 1h, c 3h (c comes
 * before b in the file). Scores at 2h (a), 3h (b), 5h (c); outcomes at 4h
 * (a), 5h (b), 7h (c). At 5h the outcome (b) comes before the score (c).
 * Base rate (positives + 1) / (learned + 2), labels a 1, b 1, c 0:
 * a and b are scored before any outcome: 1/2; c after a and b: 3/4.
 * Without delay each row is learned right after its score: a 1/2, b after
 * a: 2/3, c after a and b: 3/4. */
START_TEST(order_without_columns) {
  viral_pipeline *p = pipeline();
  char path[4096], text[256];
  viral_reader_options ro;
  viral_eval_data *d = load(p, "fallback.csv", path, sizeof path, &ro);
  viral_eval_progressive_options o = {2, 4, 0};
  viral_eval_schedule s;
  viral_error err;
  schedule(d, path, &ro, &o, &s, text, sizeof text);
  ck_assert_str_eq(text, "aS bS aL bL cS cL");
  ck_assert_int_eq(s.from_columns, 0);
  ck_assert_uint_eq(s.evaluated, 3);
  double probs[3];
  ck_assert_int_eq(viral_eval_progressive(d, &s, VIRAL_EVAL_BASE_RATE, NULL, probs, &err), VIRAL_OK);
  /* rows in file order: a, c, b */
  ck_assert_double_eq(probs[0], 0.5);
  ck_assert_double_eq(probs[2], 0.5);
  ck_assert_double_eq(probs[1], 0.75);
  viral_eval_schedule_release(&s);

  o.no_delay = 1;
  schedule(d, path, &ro, &o, &s, text, sizeof text);
  ck_assert_str_eq(text, "aS aL bS bL cS cL");
  ck_assert_int_eq(viral_eval_progressive(d, &s, VIRAL_EVAL_BASE_RATE, NULL, probs, &err), VIRAL_OK);
  ck_assert_double_eq(probs[0], 0.5);
  ck_assert_double_eq_tol(probs[2], 2.0 / 3.0, 1e-15);
  ck_assert_double_eq(probs[1], 0.75);
  viral_eval_schedule_release(&s);
  viral_eval_data_free(d);
  viral_pipeline_free(p);
}
END_TEST

/* columns.csv (as `viral assemble --window` writes): steps sort by (seq,
 * time, id, score before learn):
 *   a scored at row 3, c at 5, d at 6, c learned at row 7;
 *   just before row 8 (seq 7.5) b and a close by time: b's deadline 04:00
 *   comes before a's 05:00 although "a" < "b"; b is scored then too.
 *   d is never learned (its outcome came after the log): scored, not
 *   evaluated; e is never scored: no step at all. */
START_TEST(order_from_event_columns) {
  viral_pipeline *p = pipeline();
  char path[4096], text[256];
  viral_reader_options ro;
  viral_eval_data *d = load(p, "columns.csv", path, sizeof path, &ro);
  viral_eval_progressive_options o = {2, 48, 0};
  viral_eval_schedule s;
  viral_error err;
  schedule(d, path, &ro, &o, &s, text, sizeof text);
  ck_assert_str_eq(text, "aS cS dS cL bS bL aL");
  ck_assert_int_eq(s.from_columns, 1);
  ck_assert_uint_eq(s.evaluated, 3);
  ck_assert_uint_eq(s.unlearned, 1);
  ck_assert_uint_eq(s.unscored, 1);
  /* an untrained model scores 1/2 until it learns; e is never scored */
  viral_train_options to;
  viral_train_options_init(&to);
  viral_model *m = viral_model_create(p, &to, &err);
  ck_assert_msg(m != NULL, "%s", err.message);
  double probs[5];
  ck_assert_int_eq(viral_eval_progressive(d, &s, VIRAL_EVAL_MODEL, m, probs, &err), VIRAL_OK);
  ck_assert_double_eq(probs[0], 0.5);
  ck_assert(isnan(probs[4]));
  ck_assert_uint_eq(viral_model_rows(m), 3);      /* c, b, a */
  ck_assert_uint_eq(viral_model_positives(m), 2); /* c, a */
  viral_model_free(m);
  viral_eval_schedule_release(&s);
  viral_eval_data_free(d);
  viral_pipeline_free(p);
}
END_TEST

/* An untrained model refuses what needs the data first. */
START_TEST(untrained_model_refuses_batch_options) {
  viral_train_options to;
  viral_train_options_init(&to);
  to.balanced = 1;
  viral_error err;
  viral_pipeline *p = pipeline();
  ck_assert_ptr_null(viral_model_create(p, &to, &err));
  ck_assert_ptr_nonnull(strstr(err.message, "balanced"));
  viral_train_options_init(&to);
  viral_train_options_set_learner(&to, viral_learner_find("svm"));
  ck_assert_ptr_null(viral_model_create(p, &to, &err));
  ck_assert_ptr_nonnull(strstr(err.message, "logistic"));
  viral_pipeline_free(p);
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("progressive");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, order_without_columns);
  tcase_add_test(tc, order_from_event_columns);
  tcase_add_test(tc, untrained_model_refuses_batch_options);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return test_main(make_suite()); }
