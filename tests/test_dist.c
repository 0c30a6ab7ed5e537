/* test_dist.c - the processes of a job (viral/dist.h). ctest runs it
 * alone: a job of one, what viral does without mpirun or built without MPI.
 * tests/mpi.sh runs it again under mpirun with 1, 2 and 4 processes: the
 * "job" cases then check the collective calls over a real job, each process
 * expecting what its rank should get. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "viral/dist.h"


/* ---- alone ---- */

START_TEST(one_process_without_a_launcher) {
  viral_error err;
  viral_error_clear(&err);
  /* ctest starts this without mpirun: nothing to join, a second call too */
  ck_assert_int_eq(viral_dist_init(NULL, NULL, &err), VIRAL_OK);
  ck_assert_int_eq(viral_dist_init(NULL, NULL, &err), VIRAL_OK);
  ck_assert_int_eq(viral_dist_rank(), 0);
  ck_assert_int_eq(viral_dist_size(), 1);
  viral_dist_finalize();
  viral_dist_finalize(); /* nothing joined: nothing to leave, twice */
  ck_assert_int_eq(viral_dist_size(), 1);
}
END_TEST

/* ---- a job of any size (1 alone) ---- */

/* The message agree gives: prefixed by the failed rank in a job of several,
 * the process's own (the one viral says without MPI) alone. */
static void expect_failure(const viral_error *err, int rank, const char *message) {
  char want[VIRAL_ERROR_MAX];
  if (viral_dist_size() > 1) snprintf(want, sizeof want, "rank %d: %s", rank, message);
  else snprintf(want, sizeof want, "%s", message);
  ck_assert_str_eq(err->message, want);
}

START_TEST(agree_when_all_succeed) {
  viral_error err;
  viral_error_clear(&err);
  ck_assert_int_eq(viral_dist_agree(VIRAL_OK, 0, &err), VIRAL_OK);
  /* a positive status is a count, not a failure */
  ck_assert_int_eq(viral_dist_agree(1 + viral_dist_rank(), 0, &err), VIRAL_OK);
  ck_assert_str_eq(err.message, "");
}
END_TEST

START_TEST(agree_on_the_smallest_key) {
  viral_error err;
  int rank = viral_dist_rank(), last = viral_dist_size() - 1;
  /* every process fails, the last with the smallest key (the first bad
   * row) and its own status: everyone gets its status and message */
  viral_error_clear(&err);
  int mine = rank == last ? VIRAL_ERR_PARSE : VIRAL_ERR_IO;
  viral_error_set(&err, mine, "d.csv", 100 - rank, "bad row of rank %d", rank);
  ck_assert_int_eq(viral_dist_agree(mine, 100 - rank, &err), VIRAL_ERR_PARSE);
  char message[64];
  snprintf(message, sizeof message, "d.csv:%d: bad row of rank %d", 100 - last, last);
  expect_failure(&err, last, message);
}
END_TEST

START_TEST(agree_on_the_lowest_rank_of_a_tie) {
  viral_error err;
  int rank = viral_dist_rank();
  viral_error_clear(&err);
  viral_error_set(&err, VIRAL_ERR_MISSING, NULL, 0, "fold 3 of rank %d", rank);
  ck_assert_int_eq(viral_dist_agree(VIRAL_ERR_MISSING, 3, &err), VIRAL_ERR_MISSING);
  expect_failure(&err, 0, "fold 3 of rank 0");
}
END_TEST

START_TEST(agree_tells_the_ones_that_succeeded) {
  viral_error err;
  int rank = viral_dist_rank(), last = viral_dist_size() - 1;
  viral_error_clear(&err);
  int mine = VIRAL_OK;
  if (rank == last) mine = viral_error_set(&err, VIRAL_ERR_LIMIT, NULL, 0, "too long");
  ck_assert_int_eq(viral_dist_agree(mine, 0, &err), VIRAL_ERR_LIMIT);
  expect_failure(&err, last, "too long");
}
END_TEST

START_TEST(sum_over_the_processes) {
  viral_error err;
  int size = viral_dist_size();
  uint64_t v[3] = {1, (uint64_t)viral_dist_rank(), UINT64_C(1) << 40};
  ck_assert_int_eq(viral_dist_sum(v, 3, &err), VIRAL_OK);
  ck_assert_uint_eq(v[0], (uint64_t)size);
  ck_assert_uint_eq(v[1], (uint64_t)size * (uint64_t)(size - 1) / 2);
  ck_assert_uint_eq(v[2], (uint64_t)size << 40); /* 64 bits, not int */
  ck_assert_int_eq(viral_dist_sum(NULL, 0, &err), VIRAL_OK);
}
END_TEST

START_TEST(sum_doubles_alike_on_every_process) {
  viral_error err;
  int rank = viral_dist_rank(), size = viral_dist_size();
  /* v[1]: 1e16 (whose ulp is 2) and ones, whose sum depends on the order */
  double v[3] = {0.1 * (rank + 1), rank == 0 ? 1e16 : 1.0, -rank};
  ck_assert_int_eq(viral_dist_sum_double(v, 3, &err), VIRAL_OK);
  ck_assert_double_near(v[0], 0.1 * size * (size + 1) / 2, 1e-15);
  ck_assert_double_near(v[1], 1e16 + (size - 1), size);
  ck_assert(v[2] == -(double)size * (size - 1) / 2);
  /* the same bits everywhere: every process's sums, side by side */
  char *all;
  size_t total;
  ck_assert_int_eq(viral_dist_allgather(v, sizeof v, &all, &total, &err), VIRAL_OK);
  ck_assert_uint_eq(total, (size_t)size * sizeof v);
  for (int r = 1; r < size; r++) ck_assert_msg(memcmp(all, all + r * sizeof v, sizeof v) == 0, "rank %d summed otherwise", r);
  free(all);
  ck_assert_int_eq(viral_dist_sum_double(NULL, 0, &err), VIRAL_OK);
}
END_TEST

START_TEST(allgather_in_rank_order) {
  viral_error err;
  int rank = viral_dist_rank(), size = viral_dist_size();
  /* rank r gives r letters 'a' + r (rank 0 nothing): "b", "bcc", "bccddd" */
  char mine[8], want[64] = "";
  memset(mine, 'a' + rank, (size_t)rank);
  for (int r = 1; r < size; r++) memset(want + strlen(want), 'a' + r, (size_t)r);
  char *all = NULL;
  size_t total = 99;
  ck_assert_int_eq(viral_dist_allgather(mine, (size_t)rank, &all, &total, &err), VIRAL_OK);
  ck_assert_uint_eq(total, strlen(want));
  if (total) ck_assert(memcmp(all, want, total) == 0);
  else ck_assert_ptr_null(all);
  free(all);
  /* nothing from anyone: nothing, and no buffer */
  ck_assert_int_eq(viral_dist_allgather(NULL, 0, &all, &total, &err), VIRAL_OK);
  ck_assert(all == NULL && total == 0);
  /* process 0 alone gives: the others get it too */
  ck_assert_int_eq(viral_dist_allgather("abc", rank == 0 ? 3 : 0, &all, &total, &err), VIRAL_OK);
  ck_assert_uint_eq(total, 3);
  ck_assert(memcmp(all, "abc", 3) == 0);
  free(all);
}
END_TEST

/* Byte i of rank r's stream. */
static int stream_byte(int r, size_t i) { return (int)((i * 7 + (size_t)r) % 251); }
/* Rank r's stream: more than one chunk of 1 MiB from rank 2 on. */
static size_t stream_len(int r) { return (size_t)r * 700000 + 5; }

/* The length of the rest of part when its bytes are rank r's stream, else
 * SIZE_MAX (one check per part: each ck_assert costs a message to Check). */
static size_t stream_read(FILE *part, int r) {
  size_t i = 0;
  int c;
  while ((c = fgetc(part)) != EOF)
    if (c != stream_byte(r, i++)) return SIZE_MAX;
  return i;
}

START_TEST(gather_streams_to_process_0) {
  viral_error err;
  viral_error_clear(&err);
  int rank = viral_dist_rank(), size = viral_dist_size();
  FILE *mine = tmpfile(), *parts[4] = {NULL};
  ck_assert_ptr_nonnull(mine);
  ck_assert_int_le(size, 4);
  for (size_t i = 0; i < stream_len(rank); i++) fputc(stream_byte(rank, i), mine);
  ck_assert(!ferror(mine));
  /* written but not flushed: process 0's own part is flushed, and rewound */
  ck_assert_int_eq(viral_dist_gather_stream(mine, parts, &err), VIRAL_OK);
  if (rank == 0) {
    ck_assert(parts[0] == mine);
    for (int r = 0; r < size; r++) {
      ck_assert_ptr_nonnull(parts[r]);
      ck_assert_uint_eq(stream_read(parts[r], r), stream_len(r));
      if (r > 0) fclose(parts[r]);
    }
  } else {
    ck_assert_ptr_null(parts[0]); /* not used away from process 0 */
  }
  fclose(mine);
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("dist");
  if (!test_in_a_job()) {
    TCase *alone = tcase_create("alone");
    tcase_add_test(alone, one_process_without_a_launcher);
    suite_add_tcase(s, alone);
  }
  /* every process runs these, in this order: each is collective */
  TCase *job = tcase_create("job");
  tcase_add_test(job, agree_when_all_succeed);
  tcase_add_test(job, agree_on_the_smallest_key);
  tcase_add_test(job, agree_on_the_lowest_rank_of_a_tie);
  tcase_add_test(job, agree_tells_the_ones_that_succeeded);
  tcase_add_test(job, sum_over_the_processes);
  tcase_add_test(job, sum_doubles_alike_on_every_process);
  tcase_add_test(job, allgather_in_rank_order);
  tcase_add_test(job, gather_streams_to_process_0);
  suite_add_tcase(s, job);
  return s;
}

int main(int argc, char **argv) { return test_main_in_job(make_suite, "test_dist", &argc, &argv); }
