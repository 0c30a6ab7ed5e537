/* test_vector.c - sparse vectors and the CSR dataset. */
#include <math.h>
#include <stdlib.h>

#include "testutil.h"
#include "viral/vector.h"

START_TEST(finish_sorts_sums_duplicates_and_drops_zeros) {
  viral_sparse v;
  viral_sparse_init(&v);
  ck_assert_int_eq(viral_sparse_push(&v, 7, 1.5), VIRAL_OK);
  ck_assert_int_eq(viral_sparse_push(&v, 2, 2.0), VIRAL_OK);
  ck_assert_int_eq(viral_sparse_push(&v, 7, 0.25), VIRAL_OK);
  ck_assert_int_eq(viral_sparse_push(&v, 4, 1.0), VIRAL_OK);
  ck_assert_int_eq(viral_sparse_push(&v, 4, -1.0), VIRAL_OK);
  viral_sparse_finish(&v);
  ck_assert_uint_eq(v.count, 2);
  ck_assert_uint_eq(v.items[0].index, 2);
  ck_assert_double_near(v.items[0].value, 2.0, 0);
  ck_assert_uint_eq(v.items[1].index, 7);
  ck_assert_double_near(v.items[1].value, 1.75, 0);
  double w[8] = {0, 0, 3, 0, 0, 0, 0, 2};
  ck_assert_double_near(viral_sparse_dot(&v, w, 8), 2.0 * 3 + 1.75 * 2, 0);
  ck_assert_double_near(viral_sparse_dot(&v, w, 5), 6.0, 0); /* index 7 outside */
  viral_sparse_release(&v);
  viral_sparse_release(NULL);
}
END_TEST

START_TEST(dataset_keeps_rows_and_labels) {
  viral_dataset ds;
  viral_dataset_init(&ds);
  viral_sparse v;
  viral_sparse_init(&v);
  for (int r = 0; r < 1000; r++) {
    viral_sparse_clear(&v);
    for (int j = 0; j <= r % 5; j++) viral_sparse_push(&v, (uint32_t)(j * 3 + r % 2), r + j);
    viral_sparse_finish(&v);
    ck_assert_int_eq(viral_dataset_append(&ds, &v, r % 3 == 0), VIRAL_OK);
  }
  ck_assert_uint_eq(ds.rows, 1000);
  ck_assert_uint_eq(ds.dim, 14); /* largest index 4*3+1 */
  viral_sparse row = viral_dataset_row(&ds, 999);
  ck_assert_uint_eq(row.count, 999 % 5 + 1);
  ck_assert_uint_eq(row.items[0].index, 1);
  ck_assert_double_near(row.items[0].value, 999, 0);
  ck_assert_double_near(ds.labels[999], 1, 0);
  ck_assert_double_near(ds.labels[998], 0, 0);
  viral_sparse_release(&v);
  viral_dataset_release(&ds);
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("vector");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, finish_sorts_sums_duplicates_and_drops_zeros);
  tcase_add_test(tc, dataset_keeps_rows_and_labels);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return test_main(make_suite()); }
