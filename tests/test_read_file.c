/* test_read_file.c - whole files into memory (io/read_file.h): standard
 * input, no limit, and the reason a file could not be read. The limits on
 * regular files and pipes are checked in test_document.c, with the model
 * loader that relies on them. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/read_file.h"
#include "testutil.h"

START_TEST(reads_standard_input) {
  char dir[4096], path[4200];
  test_tmpdir(dir, sizeof dir, "read_file_stdin");
  snprintf(path, sizeof path, "%s/in.txt", dir);
  test_write_file(path, "a,b\n1,2\n");
  ck_assert_ptr_nonnull(freopen(path, "rb", stdin));
  char *text;
  size_t len;
  viral_error err;
  ck_assert_int_eq(viral_read_file("-", SIZE_MAX, &text, &len, &err), VIRAL_OK);
  ck_assert_uint_eq(len, 8);
  ck_assert_str_eq(text, "a,b\n1,2\n");
  free(text);
  /* left open, at its end */
  ck_assert_int_eq(viral_read_file(NULL, SIZE_MAX, &text, &len, &err), VIRAL_OK);
  ck_assert_uint_eq(len, 0);
  free(text);
}
END_TEST

/* SIZE_MAX: no limit, and no overflow in the buffer's growth. */
START_TEST(no_limit_reads_everything) {
  char dir[4096], path[4200];
  test_tmpdir(dir, sizeof dir, "read_file_big");
  snprintf(path, sizeof path, "%s/big.txt", dir);
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  for (int i = 0; i < 300000; i++) fputs("0123456789", f);
  fclose(f);
  char *text;
  size_t len;
  viral_error err;
  ck_assert_int_eq(viral_read_file(path, SIZE_MAX, &text, &len, &err), VIRAL_OK);
  ck_assert_uint_eq(len, 3000000);
  ck_assert_int_eq(text[len - 1], '9');
  ck_assert_int_eq(text[len], '\0');
  free(text);
  /* the same through a pipe, where the size is not known beforehand */
  char cmd[4300];
  snprintf(cmd, sizeof cmd, "cat %s", path);
  FILE *p = popen(cmd, "r");
  ck_assert_ptr_nonnull(p);
  ck_assert_ptr_nonnull(freopen(NULL, "rb", stdin));
  ck_assert_int_ne(dup2(fileno(p), fileno(stdin)), -1);
  ck_assert_int_eq(viral_read_file("-", SIZE_MAX, &text, &len, &err), VIRAL_OK);
  ck_assert_uint_eq(len, 3000000);
  free(text);
  pclose(p);
}
END_TEST

START_TEST(unreadable_says_why) {
  char dir[4096];
  test_tmpdir(dir, sizeof dir, "read_file_dir");
  char *text;
  size_t len;
  viral_error err;
  ck_assert_int_eq(viral_read_file(dir, 1000, &text, &len, &err), VIRAL_ERR_IO);
  ck_assert_ptr_null(text);
  ck_assert_msg(strstr(err.message, ": read error: Is a directory"), "%s", err.message);
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("read_file");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, reads_standard_input);
  tcase_add_test(tc, no_limit_reads_everything);
  tcase_add_test(tc, unreadable_says_why);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return test_main(make_suite()); }
