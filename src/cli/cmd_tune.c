/* cmd_tune.c - `viral tune`: grid search by stratified cross-validation, in
 * the spirit of libsvm's grid.py: alpha, l1 and l2 of the FTRL logistic
 * learner, or log2 grids of C (and gamma for the rbf kernel) of the SVM;
 * then optionally the final model on all rows.
 *
 *   viral tune [options] [-o MODEL] FILE */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "eval_report.h"
#include "learn_options.h"
#include "viral/dist.h"
#include "viral/eval.h"
#include "viral/metrics.h"
#include "viral/writer.h"

static const cli_option options[] = {
    {"output", 'o', "FILE", "train the final model on all rows with the best parameters"},
    {"metric", 0, "NAME", "auc (default), logloss or brier"},
    {"folds", 'k', "K", "number of stratified folds (default 5)"},
    CLI_TUNE_OPTIONS,
    CLI_SPEC_OPTIONS,
    CLI_LEARNER_OPTIONS,
    CLI_CALIBRATE_OPTIONS,
    CLI_INPUT_OPTIONS,
    CLI_CACHE_OPTION,
    CLI_JSON_SUMMARY_OPTION,
    {"quiet", 'q', NULL, "no progress on stderr"},
    {NULL, 0, NULL, NULL},
};

const cli_spec cmd_tune_spec = {
    "tune",
    "[options] [-o MODEL] FILE",
    "grid search of the learner's parameters by cross-validation",
    "Reads the labelled videos once, then cross-validates the learner on the same\n"
    "stratified folds (seeded by --seed) for every point of the grid and prints\n"
    "the mean and standard deviation of the metric over the folds, then the best\n"
    "parameters. The logistic learner's grid is alpha x l1 x l2; the SVM's is\n"
    "C x gamma on log2 scales as libsvm's grid.py has them (C only for the\n"
    "linear kernel). Other learner options (--optimizer, --passes,\n"
    "--class-weight, --calibrate, ...) stay fixed. Each fold fits its pipeline\n"
    "(scaling, quantile label) on its own training rows, as in viral eval.\n"
    "With -o, trains the final model on all rows with the best parameters.\n"
    "--json writes the table and the best point as JSON (with -o: both files or\n"
    "neither); --json - writes it to stdout instead of the table.\n"
    "Under mpirun the (fold, point) pairs are spread over the processes and\n"
    "process 0 writes what one process writes.\n\n"
    "example:\n"
    "  viral tune --metric auc -o model.json datasets/sample.csv\n"
    "  viral tune --learner svm --kernel rbf --log2c -1,7,2 --log2g -9,1,2 data.csv\n"
    "  viral tune -q --json - datasets/sample.csv | jq .best",
    options,
    1,
    1,
};

static void progress(void *ctx, int fold, int folds, size_t point, size_t points) {
  (void)ctx;
  fprintf(stderr, "\rviral tune: fold %d of %d, point %zu of %zu", fold + 1, folds, point + 1, points);
}

/* The table of every point's metric. */
static void print_table(const viral_tune_grid *grid, const viral_tune_result *r) {
  for (size_t a = 0; a < grid->count; a++) printf("%-10s ", grid->axes[a].name);
  printf("%-10s %-10s\n", "mean", "std");
  for (size_t i = 0; i < r->count; i++) {
    for (size_t a = 0; a < grid->count; a++) printf("%-10g ", r->points[i].value[a]);
    printf("%-10.4f %-10.4f\n", r->points[i].mean, r->points[i].sd);
  }
}

/* The best point's options, as train takes them. */
static void print_best(const viral_tune_grid *grid, const viral_tune_result *r, const char *metric) {
  const viral_tune_point *b = &r->points[r->best];
  printf("\nbest:");
  for (size_t a = 0; a < grid->count; a++)
    if (grid->axes[a].searched) printf(" --%s %g", grid->axes[a].name, b->value[a]);
  printf(" (%s %.4f)\n", metric, b->mean);
}

/* One point's values on the grid's axes (all, or the searched ones), as
 * members of a JSON object. */
static void json_point(FILE *out, const viral_tune_grid *grid, const viral_tune_point *pt, int searched_only) {
  for (size_t a = 0; a < grid->count; a++) {
    if (searched_only && !grid->axes[a].searched) continue;
    viral_json_write_string(out, grid->axes[a].name, strlen(grid->axes[a].name));
    fputc(':', out);
    cli_json_number(out, pt->value[a]);
    fputc(',', out);
  }
  fputs("\"mean\":", out);
  cli_json_number(out, pt->mean);
}

typedef struct tune_json {
  const viral_tune_grid *grid;
  const viral_tune_result *r;
  const viral_eval_data *d;
  const char *metric, *label, *model;
  long folds, seed;
} tune_json;

/* The run as one JSON object: what --json writes. */
static int write_tune_json(FILE *out, const void *ctx, viral_error *err) {
  (void)err;
  const tune_json *j = ctx;
  fputs("{\"command\":\"tune\",\"metric\":", out);
  viral_json_write_string(out, j->metric, strlen(j->metric));
  fprintf(out, ",\"folds\":%ld,\"seed\":%ld,\"rows\":%zu,\"positives\":%llu,\"label\":", j->folds, j->seed,
          j->d->ds.rows, (unsigned long long)j->d->positives);
  viral_json_write_string(out, j->label, strlen(j->label));
  fputs(",\"points\":[", out);
  for (size_t i = 0; i < j->r->count; i++) {
    fputs(i ? ",{" : "{", out);
    json_point(out, j->grid, &j->r->points[i], 0);
    fputs(",\"sd\":", out);
    cli_json_number(out, j->r->points[i].sd);
    fputc('}', out);
  }
  fputs("],\"best\":{", out);
  json_point(out, j->grid, &j->r->points[j->r->best], 1);
  fputs("},\"model\":", out);
  if (j->model) viral_json_write_string(out, j->model, strlen(j->model));
  else fputs("null", out);
  fputs("}\n", out);
  return VIRAL_OK;
}

int cmd_tune(int argc, char **argv) {
  cli_args args;
  int rc = cli_parse(&cmd_tune_spec, argc, argv, &args);
  if (rc != CLI_CONTINUE) return rc;
  long k, seed;
  if ((rc = cli_get_long(&args, "folds", 5, &k)) != CLI_CONTINUE) return rc;
  if (k < 2 || k > 1000) return cli_usage_error("tune", "--folds must be from 2 to 1000");
  if ((rc = cli_get_long(&args, "seed", 1, &seed)) != CLI_CONTINUE) return rc;
  const char *metric = cli_get(&args, "metric") ? cli_get(&args, "metric") : "auc";
  viral_tune_metric which;
  if (viral_tune_metric_parse(metric, &which) != VIRAL_OK)
    return cli_usage_error("tune", "--metric must be auc, logloss or brier, not '%s'", metric);
  viral_train_options opts;
  viral_train_options_init(&opts);
  if ((rc = cli_learner_options(&args, &opts)) != CLI_CONTINUE) return rc;
  if ((rc = cli_calibrate_options(&args, &opts)) != CLI_CONTINUE) return rc;
  viral_error err;
  viral_error_clear(&err);
  viral_tune_grid grid;
  if (viral_tune_grid_parse(&opts, cli_option_value, &args, &grid, &err) != VIRAL_OK)
    return cli_usage_error("tune", "%s", err.message);

  viral_pipeline *p;
  viral_eval_data *d;
  viral_reader_options ropts;
  if ((rc = cli_eval_load(&args, &opts, NULL, &p, &d, &ropts)) != CLI_CONTINUE) return rc;
  int status = CLI_EXIT_OK, show = cli_show_progress(&args);
  viral_tune_result r;
  rc = viral_eval_tune(d, &opts, &grid, (int)k, (uint64_t)seed, which, show ? progress : NULL, NULL, &r, &err);
  if (show) fputc('\n', stderr);
  if (rc != VIRAL_OK) {
    status = cli_data_error("tune", &err);
    goto done;
  }
  cli_print_warning("tune", d->input_warning);
  const char *json = cli_get(&args, "json");
  int text = !json || !viral_names_stdout(json); /* --json -: the JSON alone on stdout */
  if (text) {
    printf("%s of %ld stratified folds (seed %ld), rows %zu, positives %llu, label %s\n\n", metric, k,
           seed, d->ds.rows, (unsigned long long)d->positives, viral_pipeline_label_rule(p));
    print_table(&grid, &r);
  }
  if (r.best < 0) {
    viral_error_set(&err, VIRAL_ERR_INVALID, args.positional[0], 0, "%s is undefined on every fold", metric);
    status = cli_data_error("tune", &err);
    goto done;
  }
  if (text) print_best(&grid, &r, metric);
  /* in an MPI job every process holds the whole result; process 0 writes it */
  if (viral_dist_rank() != 0) goto done;
  const char *out = cli_get(&args, "output");
  viral_model *m = NULL;
  if (out) {
    const viral_train_options *b = &r.points[r.best].opts;
    viral_pipeline *fresh = cli_load_pipeline(&args, viral_learner_scaling(b->learner), &err);
    char warning[VIRAL_ERROR_MAX];
    status = fresh ? cli_train_model(&args, fresh, args.positional[0], &ropts, b, NULL, warning, &m)
                   : cli_data_error("tune", &err);
    viral_pipeline_free(fresh);
    if (status != CLI_CONTINUE) goto done;
    status = CLI_EXIT_OK;
  }
  tune_json tj = {&grid, &r, d, metric, viral_pipeline_label_rule(p), out, k, seed};
  const viral_output outputs[] = {{out, cli_model_output, m}, {json, write_tune_json, &tj}};
  if (viral_write_outputs(outputs, 2, &err) != VIRAL_OK) status = cli_data_error("tune", &err);
  viral_model_free(m);

done:
  viral_tune_result_release(&r);
  viral_eval_data_free(d);
  viral_pipeline_free(p);
  return status;
}
