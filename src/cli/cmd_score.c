/* cmd_score.c - `viral score`: the probability that each video goes viral,
 * with the reasons behind it.
 *
 *   viral score [-m MODEL] [--explain K] [--format-out csv|jsonl] [FILE|-] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "age.h"
#include "cli.h"
#include "score_log.h"
#include "share_output.h"
#include "viral/dist.h"
#include "viral/model.h"
#include "viral/score.h"
#include "viral/writer.h"

static const cli_option options[] = {
    {"model", 'm', "MODEL", "the model (default: $VIRAL_MODEL, else the bundled models/default.json)"},
    {"explain", 'e', "K", "add the K features that moved each score most (0 to 100)"},
    {"threshold", 't', "P", "probability at which a video counts as viral (default: the model's)"},
    {"to", 0, "FMT", "output format: csv (default) or jsonl"},
    {"output", 'o', "FILE", "write here (atomically) instead of standard output"},
    {"log", 0, NULL, "the input is a snapshot log: score each video at each look from the model's window on"},
    {"score-at", 0, "AGES", "with --log: score each video at these ages instead (from the model's window on), e.g. 2h,6h,24h"},
    {"html", 0, "FILE", "with --log: a self-contained HTML page drawing a few videos' probability by age"},
    CLI_INPUT_OPTIONS,
    CLI_CACHE_OPTION,
    CLI_ALLOW_MISSING_OPTION,
    {"quiet", 'q', NULL, "no warning or skipped-rows count on stderr"},
    {NULL, 0, NULL, NULL},
};

const cli_spec cmd_score_spec = {
    "score",
    "[options] [FILE|-]",
    "probability, 0/1 verdict and top reasons for each new video",
    "One output row per input row: video_id, probability (of going viral),\n"
    "viral (1 when probability >= threshold) and, with --explain K, the K\n"
    "features that pushed the score most, each as its input, the input's value\n"
    "and where it stands in training, then its contribution: \"shares/views at\n"
    "2h = 0.031 (top 4% of training) -> +1.48\" (logistic: weight x the\n"
    "value's distance from its training mean, in the logit, so an input above\n"
    "the mean with a positive weight pushes up; svm: change of the decision value\n"
    "when the feature is removed; gbt: the feature's SHAP value in the logit,\n"
    "from XGBoost). JSON lines keep\n"
    "\"feature\", \"value\" and \"contribution\" and add \"input\", \"input_value\",\n"
    "\"percentile\", \"share\" and \"text\" (datasets/FORMATS.md). Rows stream:\n"
    "memory stays flat. A row that cannot be\n"
    "scored stops the run with FILE:LINE (exit 1), or is reported and skipped\n"
    "with --skip-bad-rows. Probabilities are printed exactly (17 digits when\n"
    "needed), so they compare bit for bit with eval's.\n"
    "With --log the input is a snapshot log (viral gen --log; JSON Lines unless\n"
    "FILE ends in .csv or --format csv) and each\n"
    "row is video_id, age_h, probability, viral: a video's probability at each\n"
    "look at age >= the model's window, or at each --score-at age it reaches, its\n"
    "record assembled as viral stream assembles it (datasets/STREAM.md).\n"
    "Under mpirun each process scores a share of the FILE's rows and process 0\n"
    "writes them, the bytes one process writes (README \"Scale out with MPI\");\n"
    "--log runs as one process.\n\n"
    "examples:\n"
    "  viral score --explain 3 datasets/sample.csv | head\n"
    "  viral score --log --score-at 2h,6h,24h --html growth.html log.jsonl",
    options,
    0,
    1,
};

typedef struct score_out {
  FILE *out;
  int jsonl;
  size_t explain;
  int quiet; /* -q: no warning or skipped-rows count */
  viral_cache *cache; /* the rows' vector cache (--cache), or NULL: the input */
} score_out;

static void say_skipped(void *ctx, const viral_error *why) {
  (void)ctx;
  fprintf(stderr, "viral score: %s (skipped)\n", why->message);
}

static void write_header(const score_out *o) {
  if (!o->jsonl) viral_score_write_csv_header(o->out, o->explain);
}

/* Score the rows of path into o: every row, after the header, or with
 * share (in an MPI job) the rows of this process's share, without one.
 * Alone, the rows are held back until the input is known to have the
 * fields the model reads (cli_hold_update). VIRAL_OK or an error; *counts are the
 * row source's. */
static int score_rows(viral_model *m, const char *path, const viral_reader_options *ropts, score_out *o,
                      cli_share *share, viral_rows_counts *counts, viral_error *err) {
  viral_pipeline *p = viral_model_pipeline_mut(m);
  viral_rows_options ro;
  viral_rows_options_init(&ro);
  ro.labels = VIRAL_ROWS_NO_LABEL;
  ro.ids = VIRAL_ROWS_ID_REQUIRED;
  ro.check_after = CLI_HOLD_ROWS;
  ro.skipped = say_skipped;
  if (share) cli_share_rows_options(share, &ro);
  memset(counts, 0, sizeof *counts);
  viral_rows *rows = o->cache ? viral_rows_open_cache(o->cache, &ro, err) : viral_rows_open(p, path, ropts, &ro, err);
  if (!rows) return err->code;
  viral_model_scratch *scratch = viral_model_scratch_create();
  cli_held_output held = {o->out, o->out, NULL, 0};
  int rc = scratch ? VIRAL_OK : viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  /* a share goes to a file nobody sees before every share is done: no hold */
  if (rc == VIRAL_OK && !share) rc = cli_hold_begin(&held, o->out, err);
  viral_reason reasons[VIRAL_SCORE_MAX_EXPLAIN];
  viral_prediction pred;
  viral_scored_row scored;
  o->out = held.out;
  if (rc == VIRAL_OK && !share) write_header(o);
  while (rc == VIRAL_OK && (rc = viral_score_next_row(m, scratch, rows, o->explain, &pred, reasons, &scored, err)) == 1) {
    if ((rc = cli_hold_update(&held, rows, err)) != VIRAL_OK) break;
    o->out = held.out;
    if (share && (rc = cli_share_row(share, scored.record, err)) != VIRAL_OK) break;
    if (o->jsonl) {
      viral_score_write_json_row(o->out, &scored);
      fputc('\n', o->out);
    } else {
      viral_score_write_csv_row(o->out, &scored);
    }
  }
  if (rc == 0) rc = cli_hold_update(&held, NULL, err);
  o->out = held.real;
  cli_hold_end(&held);
  viral_rows_get_counts(rows, counts);
  viral_rows_free(rows);
  viral_model_scratch_free(scratch);
  return rc < 0 ? rc : VIRAL_OK;
}

/* After a run: the input tally's warning and the bad rows skipped, unless
 * -q. Returns 0. */
static int say_done(const score_out *o, const viral_model *m, uint64_t bad_rows) {
  if (o->quiet) return CLI_EXIT_OK;
  if (o->cache) cli_print_warning("score", viral_cache_warning(o->cache));
  else cli_input_warning("score", viral_model_pipeline(m));
  if (bad_rows && viral_dist_rank() == 0)
    fprintf(stderr, "viral score: %llu bad rows skipped\n", (unsigned long long)bad_rows);
  return CLI_EXIT_OK;
}

/* --log: the options for score_log (score_log.c), checked first. */
static int score_log_usage(const cli_args *args, long explain) {
  if (!cli_flag(args, "log") && (cli_get(args, "score-at") || cli_get(args, "html")))
    return cli_usage_error("score", "--%s needs --log", cli_get(args, "score-at") ? "score-at" : "html");
  if (!cli_flag(args, "log")) return 0;
  /* a log is read in time order: one process's */
  if (viral_dist_size() > 1) return cli_usage_error("score", "--log runs as one process: start it without mpirun");
  if (explain) return cli_usage_error("score", "--explain is not given with --log");
  if (cli_get(args, "cache")) return cli_usage_error("score", "--cache is not given with --log");
  const char *format = cli_get(args, "format");
  if (cli_get(args, "json-path") || (format && strcmp(format, "csv") && strcmp(format, "jsonl")))
    return cli_usage_error("score", "--log reads CSV or JSON Lines (--format csv|jsonl), no --json-path");
  return 0;
}

/* Score the log at path into out_path (--log). Returns an exit code. */
static int score_log_run(const cli_args *args, viral_model **m, const char *path, const char *out_path,
                         const score_out *out, viral_error *err) {
  const char *format = cli_get(args, "format");
  size_t len = strlen(path);
  int csv = format ? strcmp(format, "csv") == 0 : len >= 4 && strcmp(path + len - 4, ".csv") == 0;
  score_log_options lo = {NULL, 0, out->jsonl, cli_flag(args, "allow-missing"), cli_flag(args, "skip-bad-rows"),
                          out->quiet, cli_get(args, "html"), csv};
  double *ages = NULL;
  const char *at = cli_get(args, "score-at");
  if (at && cli_parse_hours_list(at, &ages, &lo.age_count) != 0)
    return cli_usage_error("score", "bad --score-at '%s': ages such as 2h,6h,24h, ascending", at);
  lo.ages_h = ages;
  viral_atomic_file *af = viral_atomic_open(out_path, err);
  int rc = af ? score_log(m, path, &lo, viral_atomic_stream(af)) : cli_data_error("score", err);
  free(ages);
  if (af && rc != CLI_EXIT_OK) viral_atomic_abort(af);
  else if (af && viral_atomic_commit(af, err) != VIRAL_OK) rc = cli_data_error("score", err);
  return rc;
}

/* Score path into out_path as one process. Returns an exit code. */
static int score_alone(viral_model *m, const char *path, const viral_reader_options *ropts, const char *out_path,
                       score_out *o, viral_error *err) {
  viral_atomic_file *af = viral_atomic_open(out_path, err);
  if (!af) return cli_data_error("score", err);
  o->out = viral_atomic_stream(af);
  viral_rows_counts counts;
  if (score_rows(m, path, ropts, o, NULL, &counts, err) != VIRAL_OK) {
    viral_atomic_abort(af);
    return cli_data_error("score", err);
  }
  if (viral_atomic_commit(af, err) != VIRAL_OK) return cli_data_error("score", err);
  return say_done(o, m, counts.bad_rows);
}

/* Process 0 writes the header and the parts, in input order, to out_path. */
static int write_merged(FILE *const *parts, const char *out_path, score_out *o, viral_error *err) {
  viral_atomic_file *af = viral_atomic_open(out_path, err);
  if (!af) return err->code;
  o->out = viral_atomic_stream(af);
  write_header(o);
  int rc = cli_share_merge(parts, (unsigned)viral_dist_size(), o->out, err);
  if (rc != VIRAL_OK) viral_atomic_abort(af);
  else rc = viral_atomic_commit(af, err);
  return rc;
}

/* Score path into out_path as one process of an MPI job: each scores its
 * share into a temporary file; process 0 gathers them and writes the
 * output, opened only once every share is scored, so a failed or killed
 * process leaves no file. Returns an exit code. */
static int score_shared(viral_model *m, const char *path, const viral_reader_options *ropts, const char *out_path,
                        score_out *o, viral_error *err) {
  if (strcmp(path, "-") == 0)
    return cli_usage_error("score", "processes of an MPI job cannot share standard input: give a FILE");
  FILE *part = tmpfile();
  cli_share share;
  cli_share_init(&share, part);
  viral_rows_counts counts = {0, 0, 0, 0};
  int rc = part ? VIRAL_OK : viral_error_set(err, VIRAL_ERR_IO, NULL, 0, "cannot create a temporary file");
  o->out = part;
  if (rc == VIRAL_OK) rc = score_rows(m, path, ropts, o, &share, &counts, err);
  if (rc == VIRAL_OK) rc = cli_share_finish(&share, counts.records, err);
  /* the first bad record in the input's order is the one said */
  rc = viral_dist_agree(rc, (int64_t)counts.records, err);
  uint64_t bad_rows = counts.bad_rows;
  if (rc == VIRAL_OK) rc = viral_dist_sum(&bad_rows, 1, err);
  FILE **parts = NULL;
  if (rc == VIRAL_OK) {
    parts = calloc((size_t)viral_dist_size(), sizeof *parts);
    int gathered = parts ? viral_dist_gather_stream(part, parts, err) : viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
    if ((rc = viral_dist_agree(gathered, 0, err)) == VIRAL_OK && viral_dist_rank() == 0)
      rc = write_merged(parts, out_path, o, err);
  }
  for (int r = 1; parts && r < viral_dist_size(); r++)
    if (parts[r]) fclose(parts[r]);
  free(parts);
  if (part) fclose(part);
  cli_share_release(&share);
  if (rc != VIRAL_OK) return cli_data_error("score", err);
  return say_done(o, m, bad_rows);
}

int cmd_score(int argc, char **argv) {
  cli_args args;
  int rc = cli_parse(&cmd_score_spec, argc, argv, &args);
  if (rc != CLI_CONTINUE) return rc;
  long explain = 0;
  if ((rc = cli_get_long(&args, "explain", 0, &explain)) != CLI_CONTINUE) return rc;
  if (explain < 0 || explain > VIRAL_SCORE_MAX_EXPLAIN)
    return cli_usage_error("score", "--explain must be from 0 to %d", VIRAL_SCORE_MAX_EXPLAIN);
  const char *to = cli_get(&args, "to");
  if (to && strcmp(to, "csv") && strcmp(to, "jsonl"))
    return cli_usage_error("score", "--to must be csv or jsonl, not '%s'", to);
  double threshold = -1;
  if ((rc = cli_get_double(&args, "threshold", -1, &threshold)) != CLI_CONTINUE) return rc;
  if (cli_get(&args, "threshold") && !(threshold >= 0 && threshold <= 1))
    return cli_usage_error("score", "--threshold must be a probability from 0 to 1");
  if ((rc = score_log_usage(&args, explain)) != 0) return rc;

  viral_error err;
  viral_error_clear(&err);
  const char *model_path = cli_get(&args, "model") ? cli_get(&args, "model") : cli_default_model();
  viral_model *m = viral_model_load(model_path, &err);
  if (!m) return cli_data_error("score", &err);
  if (threshold >= 0) viral_model_set_threshold(m, threshold);
  viral_reader_options ropts;
  viral_pipeline_set_allow_missing(viral_model_pipeline_mut(m), cli_flag(&args, "allow-missing"));
  if ((rc = cli_input_options(&args, viral_model_pipeline(m), &ropts)) != CLI_CONTINUE) {
    viral_model_free(m);
    return rc;
  }
  const char *path = args.positional_count ? args.positional[0] : "-";
  const char *out_path = cli_get(&args, "output") ? cli_get(&args, "output") : "-";
  score_out o = {NULL, to && strcmp(to, "jsonl") == 0, (size_t)explain, cli_flag(&args, "quiet"), NULL};
  viral_cache_options co = {VIRAL_CACHE_SCORE, NULL, 0};
  if (!cli_flag(&args, "log") &&
      (rc = cli_open_cache(&args, path, viral_model_pipeline(m), &ropts, &co, &o.cache)) != CLI_CONTINUE) {
    viral_model_free(m);
    return rc;
  }
  /* the reasons name each feature by its input, which a cache does not keep */
  if (o.cache && explain) rc = cli_usage_error("score", "--explain reads each row's inputs: a vector cache holds "
                                                        "vectors only (score the input itself)");
  else if (cli_flag(&args, "log")) rc = score_log_run(&args, &m, path, out_path, &o, &err);
  else if (viral_dist_size() > 1) rc = score_shared(m, path, &ropts, out_path, &o, &err);
  else rc = score_alone(m, path, &ropts, out_path, &o, &err);
  viral_cache_free(o.cache);
  viral_model_free(m);
  return rc;
}
