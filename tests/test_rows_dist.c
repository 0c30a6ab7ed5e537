/* test_rows_dist.c - byte ranges of one input over the processes of a job
 * (viral/rows.h, share_bytes): what the job sums and pools is what one
 * process reading the whole input gets. ctest runs it alone (a job of one);
 * tests/mpi.sh runs it under mpirun with 1, 2 and 4 processes, each
 * process reading its range and comparing with its own read of the whole
 * input. Every case is collective: every process runs them, in order. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "viral/dist.h"
#include "viral/rows.h"

static const char *spec =
    "{\"window\": \"2h\", \"label\": \"top:10%:views_final\", \"hash_bits\": 6, \"scaling\": \"standard\","
    " \"features\": [{\"transform\": \"log1p\", \"field\": \"views_1h\", \"fill\": 0},"
    " {\"transform\": \"log1p\", \"field\": \"likes_1h\", \"fill\": 0},"
    " {\"transform\": \"log1p\", \"field\": \"shares_1h\", \"fill\": 0},"
    " {\"transform\": \"hash\", \"field\": \"music_id\"}]}";

static viral_pipeline *pipeline(void) {
  viral_error err;
  viral_pipeline *p = viral_pipeline_parse_spec("dist", spec, strlen(spec), NULL, &err);
  ck_assert_msg(p != NULL, "%s", err.message);
  return p;
}

/* name in a directory every process sees, written by process 0 (text:
 * caller's, freed) before any process goes on. */
static const char *shared_file(char *path, size_t size, const char *name, char *text) {
  char dir[512], sub[128];
  snprintf(sub, sizeof sub, "rows_dist_%s", name); /* one each: another may still be read */
  if (viral_dist_rank() == 0) test_tmpdir(dir, sizeof dir, sub);
  else snprintf(dir, sizeof dir, "%s/%s", VIRAL_TEST_TMP, sub);
  snprintf(path, size, "%s/%s", dir, name);
  if (viral_dist_rank() == 0) test_write_file(path, text);
  free(text);
  viral_error err;
  ck_assert_int_eq(viral_dist_agree(VIRAL_OK, 0, &err), VIRAL_OK); /* written before read */
  return path;
}

/* n JSON Lines records; music_id another every 40 records (each process
 * meets its own), shares_1h only in the last quarter, record bad (a
 * negative count) and every seventh without views_final. */
static char *jsonl_records(int n, int bad) {
  size_t cap = 64 + (size_t)n * 192, used = 0;
  char *t = malloc(cap);
  for (int i = 0; i < n; i++) {
    char shares[32] = "", label[32] = "";
    if (i >= n * 3 / 4) snprintf(shares, sizeof shares, ", \"shares_1h\": %d", i % 7);
    if (i % 7 != 6) snprintf(label, sizeof label, ", \"views_final\": %d", (i * 7919) % 1009);
    used += (size_t)snprintf(t + used, cap - used, "{\"video_id\": \"v%d\", \"views_1h\": %d, \"likes_1h\": %d, \"music_id\": \"s%d\"%s%s}\n",
                             i, i == bad ? -5 : (i * 37) % 101, (i * 13) % 29, i / 40, shares, label);
  }
  return t;
}

/* The source over path: share_bytes over the job (whole: one process's
 * read of everything). */
static viral_rows *open_rows(viral_pipeline *p, const char *path, int whole, viral_error *err) {
  viral_reader_options ro;
  viral_reader_options_init(&ro);
  ro.skip_bad_rows = 1;
  viral_rows_options o;
  viral_rows_options_init(&o);
  o.labels = VIRAL_ROWS_ANY_LABEL;
  if (!whole) {
    o.shares = (unsigned)viral_dist_size();
    o.share = (unsigned)viral_dist_rank();
    o.share_bytes = 1;
  }
  return viral_rows_open(p, path, &ro, &o, err);
}

/* One pass over path, shared or whole: its counts and the tally's warning. */
static void pass(const char *path, int whole, viral_rows_counts *c, char *warning, size_t size) {
  viral_pipeline *p = pipeline();
  viral_error err;
  viral_rows *s = open_rows(p, path, 1, &err); /* fitted alike for both */
  ck_assert_msg(s != NULL && viral_rows_fit(s, &err) == VIRAL_OK, "%s", err.message);
  viral_rows_free(s);
  s = open_rows(p, path, whole, &err);
  ck_assert_msg(s != NULL, "%s", err.message);
  ck_assert_int_eq(viral_rows_get_sharing(s), whole || viral_dist_size() == 1 ? VIRAL_ROWS_UNSHARED
                                                                                : VIRAL_ROWS_BYTE_RANGE);
  const viral_row *row;
  int rc;
  while ((rc = viral_rows_next(s, &row, &err)) == 1) continue;
  ck_assert_msg(rc == 0, "%s", err.message);
  if (!whole) ck_assert_int_eq(viral_dist_agree(rc, 0, &err), VIRAL_OK);
  if (!whole) ck_assert_msg(viral_rows_sum_shares(s, &err) == VIRAL_OK, "%s", err.message);
  viral_rows_get_counts(s, c);
  viral_pipeline_tally_warning(p, warning, size);
  viral_rows_free(s);
  viral_pipeline_free(p);
}

/* The counts and the tally of the job are the whole input's: shares_1h,
 * which only the last quarter of the records has (the last process's), is
 * in the input for every process and missing in 75% of the rows. */
START_TEST(the_job_sums_counts_and_tally) {
  char path[600], whole_warning[1024], job_warning[1024];
  shared_file(path, sizeof path, "tally.jsonl", jsonl_records(400, 350));
  viral_rows_counts whole, job;
  pass(path, 1, &whole, whole_warning, sizeof whole_warning);
  pass(path, 0, &job, job_warning, sizeof job_warning);
  ck_assert_uint_eq(job.records, whole.records);
  ck_assert_uint_eq(job.rows, whole.rows);
  ck_assert_uint_eq(job.unlabeled, whole.unlabeled);
  ck_assert_uint_eq(job.bad_rows, whole.bad_rows);
  ck_assert_uint_eq(whole.bad_rows, 1);
  ck_assert_str_eq(job_warning, whole_warning);
  ck_assert_msg(strstr(whole_warning, "shares_1h (75.0%)") != NULL, "%s", whole_warning);
}
END_TEST

/* A fit over the job: the quantile threshold of top:10%:views_final is the
 * one process's, to the bit, the names of hashed values its, and the
 * scaling its up to rounding. */
START_TEST(the_job_fits_what_one_process_fits) {
  char path[600];
  shared_file(path, sizeof path, "fit.jsonl", jsonl_records(997, -1));
  viral_pipeline *one = pipeline(), *job = pipeline();
  viral_error err;
  viral_rows *s = open_rows(one, path, 1, &err);
  ck_assert_msg(s != NULL && viral_rows_fit(s, &err) == VIRAL_OK, "%s", err.message);
  viral_rows_free(s);
  s = open_rows(job, path, 0, &err);
  ck_assert_msg(s != NULL, "%s", err.message);
  ck_assert_msg(viral_rows_fit(s, &err) == VIRAL_OK, "%s", err.message);
  viral_rows_free(s);
  char *a = test_pipeline_json(one), *b = test_pipeline_json(job);
  const char *ta = strstr(a, "\"label_threshold\":"), *tb = strstr(b, "\"label_threshold\":");
  ck_assert_ptr_nonnull(ta);
  ck_assert_ptr_nonnull(tb);
  ck_assert_int_eq(strncmp(ta, tb, 40), 0);
  /* the names of the hashed music_id values, collisions marked */
  const char *na = strstr(a, "\"names\":["), *nb = strstr(b, "\"names\":[");
  ck_assert_ptr_nonnull(na);
  ck_assert_ptr_nonnull(nb);
  size_t names_len = (size_t)(strstr(na, "]]") - na);
  ck_assert_msg(names_len > 20 && strncmp(na, nb, names_len + 1) == 0, "%.*s\n%.*s", (int)names_len + 1, na,
                (int)names_len + 1, nb);
  if (viral_dist_size() == 1) ck_assert_str_eq(a, b);
  free(a);
  free(b);
  /* the scaled vectors of every record agree */
  viral_rows *x = open_rows(one, path, 1, &err), *y = open_rows(job, path, 1, &err);
  const viral_row *rx, *ry;
  while (viral_rows_next(x, &rx, &err) == 1) {
    ck_assert_int_eq(viral_rows_next(y, &ry, &err), 1);
    ck_assert_uint_eq(rx->x->count, ry->x->count);
    ck_assert(rx->label == ry->label || (isnan(rx->label) && isnan(ry->label)));
    for (size_t k = 0; k < rx->x->count; k++) {
      ck_assert_uint_eq(rx->x->items[k].index, ry->x->items[k].index);
      ck_assert_double_near(rx->x->items[k].value, ry->x->items[k].value, 1e-12);
    }
  }
  viral_rows_free(x);
  viral_rows_free(y);
  viral_pipeline_free(one);
  viral_pipeline_free(job);
}
END_TEST

/* A quoted field holding line ends across every cut: every process fails
 * to open, with the same message. */
START_TEST(every_process_refuses_a_bad_cut) {
  char path[600];
  size_t cap = 1 << 16, used = 0;
  char *t = malloc(cap);
  used += (size_t)snprintf(t + used, cap - used, "video_id,views_1h,views_final\na,1,1\nb,2,\"");
  for (int i = 0; i < 2000; i++) used += (size_t)snprintf(t + used, cap - used, "%d\n", i);
  snprintf(t + used, cap - used, "\"\nc,3,1\n");
  shared_file(path, sizeof path, "spans.csv", t);
  viral_pipeline *p = pipeline();
  viral_pipeline_set_allow_missing(p, 1);
  viral_error err;
  viral_error_clear(&err);
  viral_rows *s = open_rows(p, path, 0, &err);
  if (viral_dist_size() == 1) {
    ck_assert_msg(s != NULL, "%s", err.message);
  } else {
    ck_assert_ptr_null(s);
    char want[700];
    snprintf(want, sizeof want, "rank 0: cannot cut %s at byte ", path);
    ck_assert_msg(strstr(err.message, want) == err.message, "%s", err.message);
  }
  viral_rows_free(s);
  viral_pipeline_free(p);
}
END_TEST


static Suite *make_suite(void) {
  Suite *s = suite_create("rows_dist");
  TCase *job = tcase_create("job");
  tcase_add_test(job, the_job_sums_counts_and_tally);
  tcase_add_test(job, the_job_fits_what_one_process_fits);
  tcase_add_test(job, every_process_refuses_a_bad_cut);
  suite_add_tcase(s, job);
  return s;
}

int main(int argc, char **argv) { return test_main_in_job(&argc, &argv, "test_rows_dist", make_suite); }
