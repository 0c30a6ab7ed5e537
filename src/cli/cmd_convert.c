/* cmd_convert.c - `viral convert`: write feature vectors as LIBSVM or Vowpal
 * Wabbit text, for other tools.
 *
 * usage: viral convert [--spec FILE] [--to libsvm|vw] [options] [FILE|-]
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
    {"to", 't', "FORMAT", "libsvm (default) or vw"},
    CLI_SPEC_OPTIONS,
    CLI_INPUT_OPTIONS,
    {"output", 'o', "FILE", "write to FILE (atomically) instead of standard output"},
    {NULL, 0, NULL, NULL},
};

const cli_spec cmd_convert_spec = {
    "convert",
    "[options] [FILE|-]",
    "write feature vectors as LIBSVM or Vowpal Wabbit text",
    "Reads records (CSV, JSONL or JSON), turns each into its feature vector with\n"
    "the spec's pipeline and writes one line per record with its label:\n"
    "  libsvm: LABEL IDX:VAL ...        labels 0/1, indices from 1, ascending\n"
    "  vw:     LABEL |namespace name:value ...   labels -1/1, one namespace per group\n"
    "Rows whose label is missing are an error (skipped with --skip-bad-rows).\n"
    "A spec with scaling or a top:P% label is first fitted on the whole input\n"
    "(two passes), so FILE must then be a file, not standard input.",
    options,
    0,
    1,
};

enum { TO_LIBSVM, TO_VW };

/* ---- the command ---- */

typedef struct convert_job {
  const char *input;
  viral_reader_options ropts;
  viral_pipeline *pipe;
  int to, skip_bad;
  size_t written, skipped;
} convert_job;

/* One pass over the input: fit (out == NULL) or write. Rows written are
 * held back until the input is known to have the fields the spec reads. */
static int pass(convert_job *job, FILE *out, viral_error *err) {
  viral_reader *reader = viral_reader_open(job->input, &job->ropts, err);
  if (!reader) return err->code ? err->code : VIRAL_ERR_IO;
  cli_held_output held;
  memset(&held, 0, sizeof held);
  int rc = viral_pipeline_tally_begin(job->pipe, VIRAL_READS_LABEL, err);
  if (rc == VIRAL_OK && out && (rc = cli_hold_begin(&held, out, err)) == VIRAL_OK) out = held.out;
  viral_sparse v;
  viral_sparse_init(&v);
  viral_libsvm_writer *libsvm = NULL;
  viral_vw_writer *vw = NULL;
  if (rc == VIRAL_OK && out && !(job->to == TO_VW ? (vw = viral_vw_writer_create()) != NULL
                                                   : (libsvm = viral_libsvm_writer_create()) != NULL))
    rc = viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  const viral_record *rec;
  size_t skipped = 0;
  while (rc == VIRAL_OK && (rc = viral_reader_next(reader, &rec, err)) == 1) {
    double label = NAN;
    if ((rc = viral_pipeline_tally_record(job->pipe, reader, rec, err)) != VIRAL_OK ||
        (out && (rc = cli_hold_update(&held, job->pipe, reader, err)) != VIRAL_OK))
      break;
    if (out) out = held.out;
    if (!out) {
      rc = viral_pipeline_fit_record(job->pipe, rec, err);
    } else if (job->to == TO_LIBSVM) {
      rc = viral_pipeline_transform(job->pipe, rec, &v, &label, err);
    } else {
      viral_vw_writer_begin(vw);
      rc = viral_pipeline_transform_named(job->pipe, rec, viral_vw_writer_add, vw, &label, err);
    }
    if (rc == VIRAL_OK && out && isnan(label))
      rc = viral_error_set(err, VIRAL_ERR_MISSING, viral_record_source(rec),
                           viral_record_line(rec), "no label (rule '%s')",
                           viral_pipeline_label_rule(job->pipe));
    if (rc != VIRAL_OK) {
      int explained = viral_pipeline_tally_explain(job->pipe, err);
      if (explained) rc = err->code;
      if (explained || !job->skip_bad || rc == VIRAL_ERR_NOMEM) break;
      skipped++;
      viral_error_clear(err);
      rc = VIRAL_OK;
      continue;
    }
    if (!out) continue;
    if (job->to == TO_VW ? viral_vw_writer_write(vw, out, label) != VIRAL_OK
                         : viral_libsvm_writer_write(libsvm, out, &v, label) != VIRAL_OK) {
      rc = viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
      break;
    }
    job->written++;
  }
  if (rc > 0) rc = VIRAL_OK;
  if (rc == VIRAL_OK) rc = out ? cli_hold_update(&held, job->pipe, NULL, err) : viral_pipeline_tally_check(job->pipe, err);
  cli_hold_end(&held);
  if (rc == VIRAL_OK) skipped += viral_reader_skipped(reader);
  if (out) job->skipped = skipped;
  viral_libsvm_writer_free(libsvm);
  viral_vw_writer_free(vw);
  viral_sparse_release(&v);
  viral_reader_free(reader);
  return rc;
}

int cmd_convert(int argc, char **argv) {
  cli_args args;
  int rc = cli_parse(&cmd_convert_spec, argc, argv, &args);
  if (rc != CLI_CONTINUE) return rc;
  convert_job job;
  memset(&job, 0, sizeof job);
  job.input = args.positional_count ? args.positional[0] : "-";
  job.skip_bad = cli_flag(&args, "skip-bad-rows");
  const char *to = cli_get(&args, "to");
  if (!to || strcmp(to, "libsvm") == 0) job.to = TO_LIBSVM;
  else if (strcmp(to, "vw") == 0) job.to = TO_VW;
  else return cli_usage_error("convert", "--to must be libsvm or vw, not '%s'", to);
  viral_error err;
  viral_error_clear(&err);
  job.pipe = cli_load_pipeline(&args, NULL, &err);
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
  if (viral_pipeline_leaks(job.pipe))
    fprintf(stderr, "viral convert: warning: --allow-leakage: features use fields observed after "
                    "the %gh window\n", viral_pipeline_window_hours(job.pipe));

  int status = CLI_EXIT_OK;
  viral_atomic_file *af = NULL;
  if (viral_pipeline_needs_fit(job.pipe)) {
    if (viral_pipeline_fit_begin(job.pipe, &err) || pass(&job, NULL, &err) ||
        viral_pipeline_fit_end(job.pipe, &err)) {
      status = cli_data_error("convert", &err);
      goto done;
    }
  }
  const char *path = cli_get(&args, "output") ? cli_get(&args, "output") : "-";
  if (!(af = viral_atomic_open(path, &err))) {
    status = cli_data_error("convert", &err);
    goto done;
  }
  if (pass(&job, viral_atomic_stream(af), &err) != VIRAL_OK) {
    status = cli_data_error("convert", &err);
    viral_atomic_abort(af);
    goto done;
  }
  if (viral_atomic_commit(af, &err) != VIRAL_OK) {
    status = cli_data_error("convert", &err);
    goto done;
  }
  cli_input_warning("convert", job.pipe);
  if (job.skipped)
    fprintf(stderr, "viral convert: %zu rows written, %zu bad rows skipped\n", job.written,
            job.skipped);
done:
  viral_pipeline_free(job.pipe);
  return status;
}
