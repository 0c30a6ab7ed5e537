/* test_number_format.c - the fast exact formatter of `viral convert` gives
 * the same text as viral_format_double() (the shortest of %.15g, %.16g and
 * %.17g that reads back) and always reads back to the same double. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io/number_format.h"
#include "testutil.h"
#include "viral/writer.h"

static void same(double x) {
  char a[32], b[32], c[32], d[32];
  const char *fast = format_value(a, x);
  format_double_slow(b, x);
  ck_assert_msg(strcmp(fast, b) == 0, "%.17g: fast '%s', slow reference '%s'", x, fast, b);
  ck_assert_uint_eq(format_value_into(d, x), strlen(b)); /* the writer's form */
  ck_assert_str_eq(d, b);
  viral_format_double(c, x); /* the public function is the fast one, copied to the start */
  ck_assert_str_eq(c, b);
  if (isfinite(x)) ck_assert_msg(strtod(fast, NULL) == x, "%s does not read back", fast);
}

START_TEST(known_values) {
  char buf[32];
  ck_assert_str_eq(format_value(buf, 0.1), "0.1");
  ck_assert_str_eq(format_value(buf, -0.25), "-0.25");
  ck_assert_str_eq(format_value(buf, 1.0 / 3), "0.3333333333333333"); /* 16 digits suffice */
  ck_assert_str_eq(format_value(buf, 4.61512051684126), "4.61512051684126");
  ck_assert_str_eq(format_value(buf, 1e-5), "1e-05");
  ck_assert_str_eq(format_value(buf, 0.1 + 0.2), "0.30000000000000004");
  ck_assert_str_eq(format_value(buf, 262144), "262144");
  ck_assert_str_eq(format_value(buf, -3), "-3");
  ck_assert_str_eq(format_value(buf, 1e22), "1e+22");
  double cases[] = {0.5, 1e-300, 5e-324, 1e300, -1e15, 123456.789, 0.001, 0.0001, 1e16 + 2,
                    9007199254740993.0, 2.5e-5, 137.3763888888889, -0.9997620270799091,
                    0.021814885034560468, 6.7082039324993685, 1e-49, 1e50, INFINITY, -INFINITY};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) same(cases[i]);
}
END_TEST

/* Random values over the magnitudes vectors hold, and raw bit patterns. */
START_TEST(random_values_match) {
  uint64_t s = 88172645463325252u;
  for (int i = 0; i < 400000; i++) {
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
    double x;
    switch (i % 4) {
    case 0: x = log1p(i); break;
    case 1: x = (double)(s % 2000000) / (double)(1 + s % 997) - 1000; break;
    case 2: {
      uint64_t bits = (s & 0x800FFFFFFFFFFFFFu) | ((uint64_t)(1023 - 60 + s % 120) << 52);
      memcpy(&x, &bits, sizeof x);
      break;
    }
    default: x = sin(i) * pow(10, (int)(s % 30) - 15);
    }
    same(x);
  }
}
END_TEST

/* Where the fast path's decisions are closest to their limits: powers of
 * two (the gap below is half the gap above) and their neighbours, the
 * edges of the decades it settles e10 between and of its range of scales,
 * and halves at 15-17 digits. */
START_TEST(edges_match) {
  for (int e = -60; e <= 80; e++) {
    double x = ldexp(1.0, e);
    same(x), same(nextafter(x, 0)), same(nextafter(x, INFINITY)), same(-x), same(3 * x);
  }
  for (int e = -16; e <= 20; e++) {
    double x = pow(10, e);
    same(x), same(nextafter(x, 0)), same(nextafter(x, INFINITY));
    same(x * 9.999999999999999), same(x * 1.0000000000000002);
  }
  static const double halves[] = {0.5, 2.5, 1.5e-15, 123456789012345.5, 1234567890123456.5,
                                  0.12345678901234565, 0.1234567890123456785, 999999999999999.9,
                                  9999999999999999.0, 99999999999999999.0, 1e15 + 0.5};
  for (size_t i = 0; i < sizeof halves / sizeof *halves; i++) same(halves[i]);
}
END_TEST

/* format_g17_into gives printf's %.17g (the model file's coordinates). */
static void same_g17(double x) {
  char a[32], b[32];
  size_t n = format_g17_into(a, x);
  snprintf(b, sizeof b, "%.17g", x);
  ck_assert_msg(strcmp(a, b) == 0, "%s: format_g17_into gave '%s'", b, a);
  ck_assert_uint_eq(n, strlen(b));
}

START_TEST(g17_matches_printf) {
  /* exact ties at the 17th digit (18 significant digits ending in 5): to
   * the even neighbour, as printf */
  for (int k = 1; k <= 60; k++)
    for (int j = 0; j < 64; j++) {
      double x = ldexp(1.0 + j, 0) + ldexp(1.0, -k);
      same_g17(x), same_g17(-x), same_g17(ldexp(x, -20)), same_g17(ldexp(x, 20));
    }
  for (int e = -80; e <= 80; e++) {
    double x = ldexp(1.0, e);
    same_g17(x), same_g17(nextafter(x, 0)), same_g17(nextafter(x, INFINITY)), same_g17(3 * x);
  }
  for (int e = -20; e <= 22; e++) { /* where the digits carry into a new decade */
    double x = pow(10, e);
    same_g17(x), same_g17(nextafter(x, 0)), same_g17(nextafter(x, INFINITY)), same_g17(x * 9.999999999999999);
  }
  double cases[] = {0, -0.0, 1, -1, 0.1, 1e-5, 1e-4, 1e16, 1e17, 99999999999999999.0, 5e-324, DBL_MAX,
                    INFINITY, -INFINITY, NAN};
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) same_g17(cases[i]);
  uint64_t s = 88172645463325252u;
  for (int i = 0; i < 600000; i++) {
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
    double x;
    if (i % 2) { /* any bits, most magnitudes */
      memcpy(&x, &s, sizeof x);
    } else { /* the magnitudes an optimizer's state takes */
      uint64_t bits = (s & 0x800FFFFFFFFFFFFFu) | ((uint64_t)(1023 - 45 + s % 105) << 52);
      memcpy(&x, &bits, sizeof x);
    }
    same_g17(x);
  }
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("number_format");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, known_values);
  tcase_add_test(tc, random_values_match);
  tcase_add_test(tc, edges_match);
  tcase_add_test(tc, g17_matches_printf);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return test_main(make_suite()); }
