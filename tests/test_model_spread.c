/* test_model_spread.c - training spread over the processes of an MPI job
 * (viral_train_options.spread, README "Training over MPI"): the batch
 * optimum the processes fit together is the model one process fits on
 * every row, but for the order of floating-point sums. Run by ctest as a
 * job of one (the spread fit must then be the single fit bit for bit) and
 * by tests/mpi.sh under mpirun with 1, 2 and 4 processes, every process
 * checking its own copy of the model. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "viral/dist.h"
#include "viral/features.h"
#include "viral/gen.h"
#include "viral/logistic.h"
#include "viral/metrics.h"
#include "viral/model.h"
#include "viral/reader.h"

/* passes 0: the batch optimum; 1: one online pass. */
static viral_model *train(const viral_pipeline *p, const char *path, int spread, int passes,
                          viral_train_summary *summary) {
  viral_train_options opts;
  viral_train_options_init(&opts);
  opts.spread = spread;
  viral_train_options_logistic(&opts)->params.passes = passes;
  viral_error err;
  viral_error_clear(&err);
  viral_model *m = viral_model_train(p, path, NULL, &opts, summary, &err);
  ck_assert_msg(m != NULL, "rank %d: %s", viral_dist_rank(), err.message);
  return m;
}

/* Each record's margin and probability under a and b, and its label, in
 * file order. */
typedef struct scored {
  double *a, *b, *pa, *pb, *y;
  size_t n;
} scored;

static scored score_both(viral_pipeline *p, const char *path, const viral_model *a, const viral_model *b) {
  scored s = {NULL, NULL, NULL, NULL, NULL, 0};
  size_t cap = 0;
  viral_error err;
  viral_reader *in = viral_reader_open(path, NULL, &err);
  ck_assert_msg(in != NULL, "%s", err.message);
  viral_model_scratch *scratch = viral_model_scratch_create();
  viral_sparse x;
  viral_sparse_init(&x);
  const viral_record *rec;
  while (viral_reader_next(in, &rec, &err) == 1) {
    double y;
    ck_assert_int_eq(viral_pipeline_transform(p, rec, &x, &y, &err), VIRAL_OK);
    if (s.n == cap) {
      cap = cap ? 2 * cap : 1024;
      s.a = realloc(s.a, cap * sizeof *s.a);
      s.b = realloc(s.b, cap * sizeof *s.b);
      s.pa = realloc(s.pa, cap * sizeof *s.pa);
      s.pb = realloc(s.pb, cap * sizeof *s.pb);
      s.y = realloc(s.y, cap * sizeof *s.y);
      ck_assert(s.a && s.b && s.pa && s.pb && s.y);
    }
    viral_prediction pa, pb;
    ck_assert_int_eq(viral_model_predict(a, scratch, rec, &pa, NULL, 0, NULL, &err), VIRAL_OK);
    ck_assert_int_eq(viral_model_predict(b, scratch, rec, &pb, NULL, 0, NULL, &err), VIRAL_OK);
    s.a[s.n] = pa.margin;
    s.b[s.n] = pb.margin;
    s.pa[s.n] = pa.probability;
    s.pb[s.n] = pb.probability;
    s.y[s.n++] = y;
  }
  viral_sparse_release(&x);
  viral_model_scratch_free(scratch);
  viral_reader_free(in);
  return s;
}

static void scored_free(scored *s) {
  free(s->a);
  free(s->b);
  free(s->pa);
  free(s->pb);
  free(s->y);
}

static double auc_of(const double *probability, const double *y, size_t n) {
  double auc;
  viral_error err;
  ck_assert_int_eq(viral_metrics_roc_auc(y, probability, n, &auc, &err), VIRAL_OK);
  return auc;
}

/* Collective: every process fits sample.csv spread over the job and, alone,
 * on every row; the two models agree. */
START_TEST(spread_fit_is_the_single_process_fit) {
  char path[4096];
  test_repo_path(path, sizeof path, "datasets/sample.csv");
  viral_pipeline *p = test_default_pipeline("none");
  viral_train_summary spread_summary, alone_summary;
  viral_model *spread = train(p, path, 1, 0, &spread_summary);
  viral_model *alone = train(p, path, 0, 0, &alone_summary);
  ck_assert_uint_eq(viral_model_rows(spread), viral_model_rows(alone));
  ck_assert_uint_eq(viral_model_positives(spread), viral_model_positives(alone));
  ck_assert_uint_eq(spread_summary.rows, alone_summary.rows);
  double first[2], last[2];
  viral_model_time_span(spread, &first[0], &last[0]);
  viral_model_time_span(alone, &first[1], &last[1]);
  ck_assert(first[0] == first[1] && last[0] == last[1]);
  /* the training profile covers every process's rows */
  ck_assert_uint_eq(viral_pipeline_profile_rows(viral_model_pipeline(spread)),
                    viral_pipeline_profile_rows(viral_model_pipeline(alone)));

  scored s = score_both(p, path, spread, alone);
  double gap = 0, size = 0;
  for (size_t i = 0; i < s.n; i++) {
    gap += (s.a[i] - s.b[i]) * (s.a[i] - s.b[i]);
    size += s.b[i] * s.b[i];
  }
  double relative = sqrt(gap / size), auc_gap = fabs(auc_of(s.pa, s.y, s.n) - auc_of(s.pb, s.y, s.n));
  if (viral_dist_size() == 1) {
    /* a job of one sums nothing: the same bits */
    ck_assert_msg(memcmp(s.a, s.b, s.n * sizeof *s.a) == 0, "a job of one: margins differ by %g", relative);
  } else {
    /* measured on 5000 rows: 3e-6 with 2 processes and 4 (the solver stops
     * at a gradient 1e-8 of its start, where sums in another order stop it
     * a little elsewhere) */
    ck_assert_msg(relative <= 2e-5, "rank %d of %d: margins differ by %g (relative)", viral_dist_rank(),
                  viral_dist_size(), relative);
  }
  ck_assert_msg(auc_gap <= 1e-6, "AUC differs by %g", auc_gap);
  ck_assert_double_near(spread_summary.log_loss, alone_summary.log_loss, 1e-6);
  ck_assert_double_near(spread_summary.auc, alone_summary.auc, 1e-6);
  scored_free(&s);
  viral_model_free(spread);
  viral_model_free(alone);
  viral_pipeline_free(p);
}
END_TEST

/* videos generated videos (seed 3) written to a CSV of this process's own
 * (every process writes the same bytes); path: its name. */
static void generate(size_t videos, char *path, size_t size) {
  char dir[3800];
  char name[64];
  snprintf(name, sizeof name, "model_spread_%d", viral_dist_rank());
  test_tmpdir(dir, sizeof dir, name);
  snprintf(path, size, "%s/videos.csv", dir);
  viral_gen_params params;
  viral_gen_params_init(&params);
  params.videos = videos;
  params.seed = 3;
  viral_error err;
  viral_gen *gen = viral_gen_create(&params, &err);
  ck_assert_msg(gen != NULL, "%s", err.message);
  FILE *out = fopen(path, "w");
  ck_assert_ptr_nonnull(out);
  viral_gen_write_header(out, &params, VIRAL_GEN_CSV);
  viral_gen_video video;
  while (viral_gen_next(gen, &video, &err) == 1) viral_gen_write_video(out, &params, VIRAL_GEN_CSV, &video);
  ck_assert_int_eq(fclose(out), 0);
  viral_gen_free(gen);
}

/* Collective: one online pass spread over the job (each process learns
 * its byte range of the file, the weights averaged every so many rows)
 * against one process's pass over every row: the AUC on the training rows
 * close to one process's. */
START_TEST(spread_online_pass_averages_the_processes) {
  char path[4096];
  generate(40000, path, sizeof path);
  viral_pipeline *p = test_default_pipeline("none");
  viral_train_summary spread_summary, alone_summary;
  viral_model *spread = train(p, path, 1, 1, &spread_summary);
  viral_model *alone = train(p, path, 0, 1, &alone_summary);
  ck_assert_uint_eq(viral_model_rows(spread), viral_model_rows(alone));
  scored s = score_both(p, path, spread, alone);
  double auc_spread = auc_of(s.pa, s.y, s.n), auc_alone = auc_of(s.pb, s.y, s.n);
  if (viral_dist_size() == 1) {
    ck_assert_msg(memcmp(s.a, s.b, s.n * sizeof *s.a) == 0, "a job of one: another model than one process's");
  } else {
    /* measured: AUC 0.9830 alone, 0.9762 over 2 processes, 0.9598 over 4:
     * 10,000 rows each (a quarter of the posting times) are few for 5
     * averages; on 1M rows (tools/bench/mpi.sh) the test AUC is within
     * 0.001 */
    double allowed = viral_dist_size() == 2 ? 0.01 : 0.03;
    ck_assert_msg(fabs(auc_spread - auc_alone) <= allowed, "rank %d of %d: AUC %.4f averaged, %.4f alone",
                  viral_dist_rank(), viral_dist_size(), auc_spread, auc_alone);
  }
  scored_free(&s);
  viral_model_free(spread);
  viral_model_free(alone);
  viral_pipeline_free(p);
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("model_spread");
  TCase *job = tcase_create("job"); /* every process runs it: it is collective */
  tcase_set_timeout(job, 300);
  tcase_add_test(job, spread_fit_is_the_single_process_fit);
  tcase_add_test(job, spread_online_pass_averages_the_processes);
  suite_add_tcase(s, job);
  return s;
}

int main(int argc, char **argv) { return test_main_in_job(&argc, &argv, "test_model_spread", make_suite); }
