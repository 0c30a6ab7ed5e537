/* test_writer.c - atomic files, CSV cells and exact numbers (viral/writer.h). */
#include <dirent.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "viral/writer.h"

/* Files in dir (to see that no temporary file is left behind). */
static int count_files(const char *dir) {
  DIR *d = opendir(dir);
  ck_assert_ptr_nonnull(d);
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) n++;
  closedir(d);
  return n;
}

START_TEST(commit_replaces_the_file) {
  char dir[4096], path[4200];
  test_tmpdir(dir, sizeof dir, "writer_commit");
  snprintf(path, sizeof path, "%s/model.json", dir);
  test_write_file(path, "old contents\n");
  viral_error err = {0};
  viral_atomic_file *f = viral_atomic_open(path, &err);
  ck_assert_msg(f != NULL, "%s", err.message);
  fputs("new contents\n", viral_atomic_stream(f));
  /* until commit the old file is what readers see */
  char *text = test_read_file(path, NULL);
  ck_assert_str_eq(text, "old contents\n");
  free(text);
  ck_assert_int_eq(viral_atomic_commit(f, &err), VIRAL_OK);
  text = test_read_file(path, NULL);
  ck_assert_str_eq(text, "new contents\n");
  free(text);
  ck_assert_int_eq(count_files(dir), 1);
}
END_TEST

START_TEST(abort_leaves_the_old_file) {
  char dir[4096], path[4200];
  test_tmpdir(dir, sizeof dir, "writer_abort");
  snprintf(path, sizeof path, "%s/model.json", dir);
  test_write_file(path, "old contents\n");
  viral_error err = {0};
  viral_atomic_file *f = viral_atomic_open(path, &err);
  ck_assert_ptr_nonnull(f);
  fputs("half a mod", viral_atomic_stream(f));
  viral_atomic_abort(f);
  viral_atomic_abort(NULL);
  char *text = test_read_file(path, NULL);
  ck_assert_str_eq(text, "old contents\n");
  free(text);
  ck_assert_int_eq(count_files(dir), 1);
}
END_TEST

START_TEST(open_in_missing_directory_fails) {
  viral_error err = {0};
  viral_atomic_file *f = viral_atomic_open("/nonexistent/dir/model.json", &err);
  ck_assert_ptr_null(f);
  ck_assert_str_eq(err.message,
                   "/nonexistent/dir/model.json: cannot create temporary file: No such file or "
                   "directory");
}
END_TEST

static void check_cell(const char *cell, const char *expected) {
  char *buf = NULL;
  size_t size = 0;
  FILE *out = open_memstream(&buf, &size);
  ck_assert_ptr_nonnull(out);
  viral_csv_write_cell(out, cell, strlen(cell));
  fclose(out);
  ck_assert_str_eq(buf, expected);
  free(buf);
}

START_TEST(csv_cells_quoted_only_when_needed) {
  check_cell("plain", "plain");
  check_cell("", "");
  check_cell("a,b", "\"a,b\"");
  check_cell("say \"hi\"", "\"say \"\"hi\"\"\"");
  check_cell("two\nlines", "\"two\nlines\"");
  check_cell("cr\rhere", "\"cr\rhere\"");
  check_cell(" padded", "\" padded\"");
  check_cell("fyp|dance", "fyp|dance");
}
END_TEST

static void round_trip(double x) {
  char buf[32];
  viral_format_double(buf, x);
  double back = strtod(buf, NULL);
  ck_assert_msg(memcmp(&back, &x, sizeof x) == 0, "%.17g printed as %s", x, buf);
}

START_TEST(doubles_round_trip) {
  char buf[32];
  ck_assert_str_eq(viral_format_double(buf, 0.1), "0.1"); /* shortest, not 0.10000000000000001 */
  ck_assert_str_eq(viral_format_double(buf, 3), "3");
  ck_assert_str_eq(viral_format_double(buf, -0.0), "-0");
  ck_assert_str_eq(viral_format_double(buf, 1e300), "1e+300");
  ck_assert_str_eq(viral_format_double(buf, INFINITY), "inf");
  ck_assert_str_eq(viral_format_double(buf, NAN), "nan");
  double xs[] = {0.1, 1.0 / 3, 2.0 / 3, 1e300, -1e-300, DBL_MIN, DBL_MAX, DBL_TRUE_MIN,
                 0.30000000000000004, 123456789.123456789, -0.0, 5e-324, 9007199254740993.0};
  for (size_t i = 0; i < sizeof xs / sizeof *xs; i++) round_trip(xs[i]);
  ck_assert(signbit(strtod(viral_format_double(buf, -0.0), NULL)));
  /* many values between, from a fixed linear congruential sequence */
  unsigned long long state = 12345;
  for (int i = 0; i < 20000; i++) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    double x;
    unsigned long long bits = state;
    memcpy(&x, &bits, sizeof x);
    if (isfinite(x)) round_trip(x);
  }
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("writer");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, commit_replaces_the_file);
  tcase_add_test(tc, abort_leaves_the_old_file);
  tcase_add_test(tc, open_in_missing_directory_fails);
  tcase_add_test(tc, csv_cells_quoted_only_when_needed);
  tcase_add_test(tc, doubles_round_trip);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return test_main(make_suite()); }
