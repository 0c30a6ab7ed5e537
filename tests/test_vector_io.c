/* test_vector_io.c - feature vectors as LIBSVM and Vowpal Wabbit lines
 * (viral/vector_io.h). The same lines through `viral convert` are the
 * golden tests convert_libsvm and convert_vw. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "viral/vector_io.h"

START_TEST(libsvm_lines) {
  viral_libsvm_writer *w = viral_libsvm_writer_create();
  ck_assert_ptr_nonnull(w);
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  viral_sparse v;
  viral_sparse_init(&v);
  viral_sparse_push(&v, 4, 0.1);
  viral_sparse_push(&v, 0, 2);
  viral_sparse_push(&v, 99, -1.0 / 3);
  viral_sparse_finish(&v);
  ck_assert_int_eq(viral_libsvm_writer_write(w, f, &v, 1), VIRAL_OK);
  viral_sparse_clear(&v);
  ck_assert_int_eq(viral_libsvm_writer_write(w, f, &v, 0), VIRAL_OK);
  fclose(f);
  /* indices from 1, numbers that read back exactly */
  ck_assert_str_eq(text, "1 1:2 5:0.1 100:-0.3333333333333333\n0\n");
  free(text);
  viral_sparse_release(&v);
  viral_libsvm_writer_free(w);
  viral_libsvm_writer_free(NULL);
}
END_TEST

START_TEST(vw_lines_by_group) {
  viral_vw_writer *w = viral_vw_writer_create();
  ck_assert_ptr_nonnull(w);
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  /* a group's coordinates together, groups in the order first met; 1 needs
   * no value, 0 is left out, VW's separators become '_' */
  char group[16];
  strcpy(group, "numeric"); /* a copy: the writer keeps its own */
  ck_assert_int_eq(viral_vw_writer_add(w, 0, 1.5, group, "log1p(views_1h)"), 0);
  ck_assert_int_eq(viral_vw_writer_add(w, 7, 1, "hashtags", "hashtag=a b:c|d"), 0);
  strcpy(group, "xxxxxxx");
  ck_assert_int_eq(viral_vw_writer_add(w, 1, 0.25, "numeric", "likes/views"), 0);
  ck_assert_int_eq(viral_vw_writer_add(w, 2, 0, "numeric", "zero"), 0);
  ck_assert_int_eq(viral_vw_writer_write(w, f, 1), VIRAL_OK);
  /* a row that failed half way is forgotten by begin */
  ck_assert_int_eq(viral_vw_writer_add(w, 9, 3, "sound", "sound=s1"), 0);
  viral_vw_writer_begin(w);
  ck_assert_int_eq(viral_vw_writer_add(w, 8, 1, "hashtags", "hashtag=fyp"), 0);
  ck_assert_int_eq(viral_vw_writer_add(w, 0, -2, "numeric", "log1p(views_1h)"), 0);
  ck_assert_int_eq(viral_vw_writer_write(w, f, 0), VIRAL_OK);
  ck_assert_int_eq(viral_vw_writer_write(w, f, 0), VIRAL_OK);
  fclose(f);
  ck_assert_str_eq(text, "1 |numeric log1p(views_1h):1.5 likes/views:0.25 |hashtags hashtag=a_b_c_d\n"
                         "-1 |numeric log1p(views_1h):-2 |hashtags hashtag=fyp\n"
                         "-1\n");
  free(text);
  viral_vw_writer_free(w);
  viral_vw_writer_free(NULL);
}
END_TEST

/* Any number of groups (there was a limit of 64, met as "unknown error"). */
START_TEST(vw_many_groups) {
  viral_vw_writer *w = viral_vw_writer_create();
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  char group[16];
  for (int g = 0; g < 100; g++) {
    snprintf(group, sizeof group, "g%d", g);
    ck_assert_int_eq(viral_vw_writer_add(w, (uint32_t)g, 1, group, "x"), 0);
  }
  ck_assert_int_eq(viral_vw_writer_write(w, f, 1), VIRAL_OK);
  fclose(f);
  ck_assert_ptr_nonnull(strstr(text, " |g0 x |g1 x "));
  ck_assert_ptr_nonnull(strstr(text, " |g98 x |g99 x\n"));
  free(text);
  viral_vw_writer_free(w);
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("vector_io");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, libsvm_lines);
  tcase_add_test(tc, vw_lines_by_group);
  tcase_add_test(tc, vw_many_groups);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return test_main(make_suite()); }
