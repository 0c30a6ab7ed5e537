/* cmd_convert.c - `viral convert`: write feature vectors as LIBSVM or Vowpal
 * Wabbit text, for other tools, or as viral's own vector cache.
 *
 * usage: viral convert [--spec FILE] [--to libsvm|vw|cache] [options] [FILE|-]
 *
 * LIBSVM lines are "LABEL IDX:VAL ..." with labels 0/1 and 1-based indices in
 * ascending order (svm-train and liblinear-train accept both). VW lines are
 * "LABEL |namespace name:value ..." with labels -1/+1 (VW's logistic
 * convention) and one namespace per feature group. Values are printed so they
 * read back exactly. A spec that needs fitting (scaling, a quantile label) is
 * fitted on the whole input first, so the input must be a file, not stdin. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "viral/features.h"
#include "viral/reader.h"
#include "viral/vector_io.h"
#include "viral/writer.h"

static const cli_option options[] = {
    {"to", 0, "FMT", "output format: libsvm (default), vw or cache"},
    CLI_SPEC_OPTIONS,
    CLI_INPUT_OPTIONS,
    {"output", 'o', "FILE", "write to FILE (atomically) instead of standard output"},
    {"quiet", 'q', NULL, "no warning or skipped-rows count on stderr"},
    {NULL, 0, NULL, NULL},
};

const cli_spec cmd_convert_spec = {
    "convert",
    "[options] [FILE|-]",
    "write feature vectors as LIBSVM or Vowpal Wabbit text, or a vector cache",
    "Reads records (CSV, JSONL or JSON), turns each into its feature vector with\n"
    "the spec's pipeline and writes one line per record with its label:\n"
    "  libsvm: LABEL IDX:VAL ...        labels 0/1, indices from 1, ascending\n"
    "  vw:     LABEL |namespace name:value ...   labels -1/1, one namespace per group\n"
    "Rows whose label is missing are an error (skipped with --skip-bad-rows).\n"
    "A spec with scaling or a top:P% label is first fitted on the whole input\n"
    "(two passes), so FILE must then be a file, not standard input.\n"
    "--to cache writes viral's binary vector cache to -o FILE (datasets/FORMATS.md,\n"
    "\"Vector cache\"): the rows train, eval and tune read in place of FILE when\n"
    "given it as their input, with the same spec options and the default\n"
    "(logistic) learner's scaling; the same file --cache makes.\n\n"
    "example:\n"
    "  viral convert -o sample.libsvm datasets/sample.csv\n"
    "  viral convert --to vw -o sample.vw datasets/sample.csv\n"
    "  viral convert --to cache -o sample.vc datasets/sample.csv",
    options,
    0,
    1,
};

enum { TO_LIBSVM, TO_VW, TO_CACHE };

/* ---- the command ---- */

/* --to cache: the training cache of job's input at path (-o). Returns an
 * exit status. */
static int write_cache(const cli_args *args, const char *input, viral_pipeline *p, const viral_reader_options *ro) {
  const char *path = cli_get(args, "output");
  if (!path || strcmp(path, "-") == 0) return cli_usage_error("convert", "--to cache needs -o FILE");
  if (strcmp(input, "-") == 0) return cli_usage_error("convert", "--to cache reads a FILE, not stdin");
  char views[64];
  const char *names[2];
  viral_cache_options co;
  cli_train_cache_options(p, NULL, views, names, &co);
  viral_error err;
  viral_error_clear(&err);
  viral_cache *c = NULL;
  if (viral_cache_build(p, input, ro, &co, path, &err) != VIRAL_OK || !(c = viral_cache_open(path, &err)))
    return cli_data_error("convert", &err);
  if (!cli_flag(args, "quiet")) {
    cli_print_warning("convert", viral_cache_warning(c));
    fprintf(stderr, "viral convert: %llu rows in the vector cache %s\n", (unsigned long long)viral_cache_rows(c), path);
  }
  viral_cache_free(c);
  return CLI_EXIT_OK;
}

typedef struct convert_job {
  const char *input;
  viral_reader_options ropts;
  viral_pipeline *pipe;
  int to;
  size_t written, skipped;
} convert_job;

/* The writer of the output format (viral/vector_io.h). */
typedef struct convert_writers {
  viral_libsvm_writer *libsvm;
  viral_vw_writer *vw;
} convert_writers;

static void vw_begin(void *ctx) { viral_vw_writer_begin(ctx); }

/* Write every row of s: held back until the input is known to have the
 * fields the spec reads. */
static int write_rows(convert_job *job, viral_rows *s, convert_writers *w, FILE *out,
                      viral_error *err) {
  cli_held_output held;
  int rc = cli_hold_begin(&held, out, err);
  const viral_row *r;
  while (rc == VIRAL_OK && (rc = viral_rows_next(s, &r, err)) == 1) {
    if ((rc = cli_hold_update(&held, s, err)) != VIRAL_OK) break;
    if (job->to == TO_VW ? viral_vw_writer_write(w->vw, held.out, r->label) != VIRAL_OK
                         : viral_libsvm_writer_write(w->libsvm, held.out, r->x, r->label) != VIRAL_OK) {
      rc = viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
      break;
    }
    job->written++;
  }
  if (rc == 0) rc = cli_hold_update(&held, NULL, err);
  cli_hold_end(&held);
  return rc;
}

/* The input's rows, the spec's pipeline fitted on them first when it needs
 * it (VW rows are named into w->vw). NULL with err set. */
static viral_rows *open_rows(convert_job *job, convert_writers *w, viral_error *err) {
  viral_rows_options o;
  viral_rows_options_init(&o);
  o.labels = VIRAL_ROWS_LABEL_REQUIRED;
  o.check_after = CLI_HOLD_ROWS;
  if (job->to == TO_VW) {
    o.sink = viral_vw_writer_add;
    o.sink_begin = vw_begin;
    o.sink_ctx = w->vw;
  }
  viral_rows *s = viral_rows_open(job->pipe, job->input, &job->ropts, &o, err);
  if (s && viral_pipeline_needs_fit(job->pipe) && viral_rows_fit(s, err) != VIRAL_OK) {
    viral_rows_free(s);
    s = NULL;
  }
  return s;
}

int cmd_convert(int argc, char **argv) {
  cli_args args;
  int rc = cli_parse(&cmd_convert_spec, argc, argv, &args);
  if (rc != CLI_CONTINUE) return rc;
  convert_job job;
  memset(&job, 0, sizeof job);
  job.input = args.positional_count ? args.positional[0] : "-";
  const char *to = cli_get(&args, "to");
  if (!to || strcmp(to, "libsvm") == 0) job.to = TO_LIBSVM;
  else if (strcmp(to, "vw") == 0) job.to = TO_VW;
  else if (strcmp(to, "cache") == 0) job.to = TO_CACHE;
  else return cli_usage_error("convert", "--to must be libsvm, vw or cache, not '%s'", to);
  viral_error err;
  viral_error_clear(&err);
  /* the cache train reads: its pipeline scaled as the default learner scales */
  viral_train_options topts;
  viral_train_options_init(&topts);
  job.pipe = cli_load_pipeline(&args, job.to == TO_CACHE ? viral_learner_scaling(topts.learner) : NULL, &err);
  if (!job.pipe) return cli_data_error("convert", &err);
  if ((rc = cli_input_options(&args, job.pipe, &job.ropts)) != CLI_CONTINUE) {
    viral_pipeline_free(job.pipe);
    return rc;
  }
  if (!*viral_pipeline_label_rule(job.pipe)) {
    viral_pipeline_free(job.pipe);
    return cli_usage_error("convert", "the spec has no label rule: give one with --label");
  }

  if (viral_pipeline_needs_fit(job.pipe) && strcmp(job.input, "-") == 0) {
    viral_pipeline_free(job.pipe);
    return cli_usage_error("convert", "the spec needs fitting (scaling or a quantile label), "
                                      "which reads the input twice: give a FILE, not stdin");
  }
  int quiet = cli_flag(&args, "quiet");
  if (viral_pipeline_leaks(job.pipe) && !quiet)
    fprintf(stderr, "viral convert: warning: --allow-leakage: features use fields observed after "
                    "the %gh window\n", viral_pipeline_window_hours(job.pipe));
  if (job.to == TO_CACHE) {
    rc = write_cache(&args, job.input, job.pipe, &job.ropts);
    viral_pipeline_free(job.pipe);
    return rc;
  }

  int status = CLI_EXIT_OK;
  viral_atomic_file *af = NULL;
  convert_writers w = {NULL, NULL};
  viral_rows *rows = NULL;
  if (job.to == TO_VW ? !(w.vw = viral_vw_writer_create()) : !(w.libsvm = viral_libsvm_writer_create())) {
    viral_error_set(&err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
    status = cli_data_error("convert", &err);
    goto done;
  }
  if (!(rows = open_rows(&job, &w, &err))) {
    status = cli_data_error("convert", &err);
    goto done;
  }
  const char *path = cli_get(&args, "output") ? cli_get(&args, "output") : "-";
  if (!(af = viral_atomic_open(path, &err))) {
    status = cli_data_error("convert", &err);
    goto done;
  }
  if (write_rows(&job, rows, &w, viral_atomic_stream(af), &err) != VIRAL_OK) {
    status = cli_data_error("convert", &err);
    viral_atomic_abort(af);
    goto done;
  }
  if (viral_atomic_commit(af, &err) != VIRAL_OK) {
    status = cli_data_error("convert", &err);
    goto done;
  }
  if (!quiet) cli_input_warning("convert", job.pipe);
  viral_rows_counts counts;
  viral_rows_get_counts(rows, &counts);
  job.skipped = counts.bad_rows;
  if (job.skipped && !quiet)
    fprintf(stderr, "viral convert: %zu rows written, %zu bad rows skipped\n", job.written,
            job.skipped);
done:
  viral_rows_free(rows);
  viral_vw_writer_free(w.vw);
  viral_libsvm_writer_free(w.libsvm);
  viral_pipeline_free(job.pipe);
  return status;
}
