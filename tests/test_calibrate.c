/* test_calibrate.c - Platt scaling and isotonic regression against hand
 * calculations and scikit-learn 1.2.1 (tools/fixtures/make_calibration_fixtures.py). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "viral/calibrate.h"

START_TEST(isotonic_pools_violators_by_hand) {
  /* p: 0.1 0.2 0.3 0.4 0.5, y: 0 1 0 1 1. PAV: (0.1:0) then (0.2:1), (0.3:0)
   * violate -> pooled to 0.5 over [0.2, 0.3]; then 0.4:1 and 0.5:1 are above.
   * Points: (0.1,0) (0.2,.5) (0.3,.5) (0.4,1) (0.5,1). */
  double p[] = {0.3, 0.1, 0.5, 0.2, 0.4}, y[] = {0, 0, 1, 1, 1};
  viral_calibration c;
  viral_calibration_init(&c);
  viral_error err = {0};
  ck_assert_int_eq(viral_calibration_fit(&c, VIRAL_CALIBRATION_ISOTONIC, p, y, 5, &err), VIRAL_OK);
  ck_assert_uint_eq(c.n, 5);
  ck_assert_double_near(viral_calibration_apply(&c, 0.05), 0, 0);
  ck_assert_double_near(viral_calibration_apply(&c, 0.15), 0.25, 1e-15); /* halfway 0 -> .5 */
  ck_assert_double_near(viral_calibration_apply(&c, 0.25), 0.5, 1e-15);
  ck_assert_double_near(viral_calibration_apply(&c, 0.35), 0.75, 1e-15);
  ck_assert_double_near(viral_calibration_apply(&c, 0.9), 1, 0);
  viral_calibration_release(&c);
}
END_TEST

START_TEST(ties_share_one_value) {
  double p[] = {0.5, 0.5, 0.5, 0.5}, y[] = {0, 1, 1, 1};
  viral_calibration c;
  viral_calibration_init(&c);
  ck_assert_int_eq(viral_calibration_fit(&c, VIRAL_CALIBRATION_ISOTONIC, p, y, 4, NULL), VIRAL_OK);
  ck_assert_uint_eq(c.n, 1);
  ck_assert_double_near(viral_calibration_apply(&c, 0.5), 0.75, 0);
  ck_assert_double_near(viral_calibration_apply(&c, 0.1), 0.75, 0);
  viral_calibration_release(&c);
}
END_TEST

START_TEST(platt_on_balanced_symmetric_data_is_the_identity_map_shape) {
  /* Scores symmetric around p = 0.5 with mirrored labels: by symmetry the fit
   * has b = 0 (calibrated(0.5) = 0.5), and since the rows are separable in
   * the middle, a < 0 (higher raw, higher calibrated). */
  double p[] = {0.1, 0.2, 0.3, 0.7, 0.8, 0.9, 0.4, 0.6}, y[] = {0, 0, 0, 1, 1, 1, 1, 0};
  viral_calibration c;
  viral_calibration_init(&c);
  ck_assert_int_eq(viral_calibration_fit(&c, VIRAL_CALIBRATION_PLATT, p, y, 8, NULL), VIRAL_OK);
  ck_assert_double_near(c.b, 0, 1e-9);
  ck_assert(c.a < 0);
  ck_assert_double_near(viral_calibration_apply(&c, 0.5), 0.5, 1e-9);
  ck_assert(viral_calibration_apply(&c, 0.9) > viral_calibration_apply(&c, 0.6));
  viral_calibration_release(&c);
}
END_TEST

START_TEST(refuses_one_class_and_bad_input) {
  double p[] = {0.1, 0.2}, y[] = {1, 1}, bad[] = {0.1, 1.5}, y2[] = {0, 1};
  viral_calibration c;
  viral_calibration_init(&c);
  viral_error err = {0};
  ck_assert_int_eq(viral_calibration_fit(&c, VIRAL_CALIBRATION_PLATT, p, y, 2, &err), VIRAL_ERR_INVALID);
  ck_assert_str_eq(err.message, "calibration needs both classes among its 2 held-out rows");
  ck_assert_int_eq(viral_calibration_fit(&c, VIRAL_CALIBRATION_ISOTONIC, bad, y2, 2, &err),
                   VIRAL_ERR_INVALID);
  ck_assert_str_eq(err.message, "calibration row 1: label must be 0/1 and probability in [0, 1]");
  ck_assert_double_near(viral_calibration_apply(&c, 0.3), 0.3, 0); /* none: identity */
  viral_calibration_kind k;
  ck_assert_int_eq(viral_calibration_parse("isotonic", &k), VIRAL_OK);
  ck_assert_int_eq(k, VIRAL_CALIBRATION_ISOTONIC);
  ck_assert_int_eq(viral_calibration_parse("beta", &k), VIRAL_ERR_INVALID);
  viral_calibration_release(&c);
}
END_TEST

START_TEST(matches_scikit_learn) {
  char path[4200];
  char *rows = test_read_file(test_repo_path(path, sizeof path, "tests/fixtures/calibration/set1.csv"), NULL);
  char *expected = test_read_file(test_repo_path(path, sizeof path, "tests/fixtures/calibration/set1.expected"), NULL);
  ck_assert_ptr_nonnull(rows);
  ck_assert_ptr_nonnull(expected);
  double p[1000], y[1000];
  size_t n = 0;
  for (char *line = strchr(rows, '\n') + 1; *line && n < 1000; line = strchr(line, '\n') + 1) {
    ck_assert_int_eq(sscanf(line, "%lf,%lf", &p[n], &y[n]), 2);
    n++;
  }
  ck_assert_uint_eq(n, 400);
  viral_calibration platt, iso;
  viral_calibration_init(&platt);
  viral_calibration_init(&iso);
  ck_assert_int_eq(viral_calibration_fit(&platt, VIRAL_CALIBRATION_PLATT, p, y, n, NULL), VIRAL_OK);
  ck_assert_int_eq(viral_calibration_fit(&iso, VIRAL_CALIBRATION_ISOTONIC, p, y, n, NULL), VIRAL_OK);
  size_t checked = 0;
  for (char *line = expected; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
    double a, b;
    if (sscanf(line, "platt_a %lf", &a) == 1) {
      /* sklearn minimises the same objective with BFGS, we with Newton (as
       * libsvm): the optimum agrees to the solvers' tolerances */
      ck_assert_double_near(platt.a, a, 1e-5);
      checked++;
    } else if (sscanf(line, "platt_b %lf", &b) == 1) {
      ck_assert_double_near(platt.b, b, 1e-5);
      checked++;
    } else if (sscanf(line, "iso %lf %lf", &a, &b) == 2) {
      ck_assert_double_near(viral_calibration_apply(&iso, a), b, 1e-12);
      checked++;
    }
  }
  ck_assert_uint_eq(checked, 2 + 121);
  viral_calibration_release(&platt);
  viral_calibration_release(&iso);
  free(rows);
  free(expected);
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("calibrate");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, isotonic_pools_violators_by_hand);
  tcase_add_test(tc, ties_share_one_value);
  tcase_add_test(tc, platt_on_balanced_symmetric_data_is_the_identity_map_shape);
  tcase_add_test(tc, refuses_one_class_and_bad_input);
  tcase_add_test(tc, matches_scikit_learn);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return test_main(make_suite()); }
