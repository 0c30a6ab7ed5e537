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

START_TEST(dataset_takes_a_vector_never_filled) {
  /* eval --temporal on a file in reverse time order appends an unused row's
   * vector before any row filled it (items NULL): UBSan saw memcpy(NULL) */
  viral_dataset ds;
  viral_dataset_init(&ds);
  viral_sparse empty;
  viral_sparse_init(&empty);
  ck_assert_ptr_null(empty.items);
  ck_assert_int_eq(viral_dataset_append(&ds, &empty, NAN), VIRAL_OK);
  ck_assert_uint_eq(ds.rows, 1);
  ck_assert_uint_eq(viral_dataset_row(&ds, 0).count, 0);
  viral_dataset_release(&ds);
}
END_TEST

/* A sorted run followed by an unsorted tail (the pipeline's dense columns,
 * then its hashed ones) whose indices fall inside the run and repeat: the
 * tail is merged in, duplicates summed in push order. Worked by hand:
 * index 3: 1e16 (run) + -1e16 (tail) + 1 (tail), in that order, is 1;
 * in any other order it is 0, because 1e16 +- 1 is a tie between doubles
 * 2 apart that rounds to the even 1e16 (e.g. (1e16 + 1) - 1e16 = 0);
 * index 5: 2 + 0.5 = 2.5; index 9: 4; index 1: 7 (tail only); index 12: -3;
 * index 8: 1 + -1 = 0, dropped. */
START_TEST(finish_merges_a_sorted_run_and_a_tail) {
  viral_sparse v;
  viral_sparse_init(&v);
  viral_sparse_push(&v, 3, 1e16);
  viral_sparse_push(&v, 5, 2.0);
  viral_sparse_push(&v, 9, 4.0);
  viral_sparse_push(&v, 12, -3.0);
  viral_sparse_push(&v, 5, 0.5);   /* the tail starts here */
  viral_sparse_push(&v, 8, 1.0);
  viral_sparse_push(&v, 3, -1e16);
  viral_sparse_push(&v, 1, 7.0);
  viral_sparse_push(&v, 3, 1.0);
  viral_sparse_push(&v, 8, -1.0);
  viral_sparse_finish(&v);
  static const uint32_t want_index[] = {1, 3, 5, 9, 12};
  static const double want_value[] = {7.0, 1.0, 2.5, 4.0, -3.0};
  ck_assert_uint_eq(v.count, 5);
  for (size_t i = 0; i < 5; i++) {
    ck_assert_uint_eq(v.items[i].index, want_index[i]);
    ck_assert_double_near(v.items[i].value, want_value[i], 0);
  }
  viral_sparse_release(&v);
}
END_TEST

/* Random vectors, a sorted run then a tail of 0..150 items (past the
 * insertion-sort limit, so qsort's path too), against a plain reference:
 * for each distinct index in ascending order, the sum of its values. The
 * values are small integers, so every summation order gives the same sum. */
START_TEST(finish_matches_a_reference_on_random_vectors) {
  uint64_t state = 12345;
  viral_sparse v;
  viral_sparse_init(&v);
  for (int trial = 0; trial < 3000; trial++) {
    viral_sparse_clear(&v);
    state = state * 6364136223846793005u + 1442695040888963407u;
    size_t run = (state >> 33) % 40, tail = (state >> 45) % 151;
    uint32_t range = 1 + (uint32_t)((state >> 20) % 200);
    double sum[200] = {0};
    uint32_t index = 0;
    for (size_t i = 0; i < run + tail; i++) {
      state = state * 6364136223846793005u + 1442695040888963407u;
      if (i < run) index += (uint32_t)((state >> 61) % 3); /* ascending, repeats */
      else index = (uint32_t)((state >> 33) % range);
      if (index >= 200) index = 199;
      double x = (double)((int)((state >> 50) % 7) - 3);
      sum[index] += x;
      ck_assert_int_eq(viral_sparse_push(&v, index, x), VIRAL_OK);
    }
    viral_sparse_finish(&v);
    size_t k = 0;
    for (uint32_t i = 0; i < 200; i++) {
      if (sum[i] == 0) continue;
      ck_assert_uint_lt(k, v.count);
      ck_assert_uint_eq(v.items[k].index, i);
      ck_assert_double_near(v.items[k].value, sum[i], 0);
      k++;
    }
    ck_assert_uint_eq(k, v.count);
  }
  viral_sparse_release(&v);
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("vector");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, finish_sorts_sums_duplicates_and_drops_zeros);
  tcase_add_test(tc, finish_merges_a_sorted_run_and_a_tail);
  tcase_add_test(tc, finish_matches_a_reference_on_random_vectors);
  tcase_add_test(tc, dataset_keeps_rows_and_labels);
  tcase_add_test(tc, dataset_takes_a_vector_never_filled);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return test_main(make_suite()); }
