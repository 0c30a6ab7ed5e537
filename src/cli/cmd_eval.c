/* cmd_eval.c - `viral eval`: stratified K-fold cross-validation of the
 * logistic learner, with the base rate, the views-only baseline and (when the
 * data has it) the oracle's probabilities on the same folds.
 *
 *   viral eval [options] FILE */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "eval_progressive.h"
#include "eval_report.h"
#include "learn_options.h"
#include "viral/eval.h"
#include "viral/metrics.h"
#include "viral/writer.h"

static const cli_option options[] = {
    {"folds", 'k', "K", "number of stratified folds (default 5)"},
    {"temporal", 0, NULL, "rolling-origin folds by posted_at instead of stratified ones"},
    {"gap", 0, "DURATION", "--temporal: time between training and test (default 0; e.g. 7d)"},
    {"per-fold", 0, NULL, "also print one row per fold"},
    {"predictions", 0, "FILE", "write the out-of-fold probability of every row (CSV)"},
    {"json", 0, "FILE", "write every number of the report as JSON"},
    {"html", 0, "FILE", "write a self-contained HTML report with charts"},
    CLI_PROGRESSIVE_OPTIONS,
    CLI_SPEC_OPTIONS,
    CLI_LEARNER_OPTIONS,
    CLI_INPUT_OPTIONS,
    {"quiet", 'q', NULL, "no progress on stderr"},
    {NULL, 0, NULL, NULL},
};

const cli_spec cmd_eval_spec = {
    "eval",
    "[options] FILE",
    "cross-validate the learner against reference baselines",
    "Reads the labelled videos once, featurizes them once, deals them into K\n"
    "stratified folds (seeded by --seed) and, for each fold, trains the learner\n"
    "on the other folds in file order and scores the fold. The same folds score\n"
    "two references: the base rate of the training part (a constant: ROC AUC 0.5)\n"
    "and the Szabo-Huberman baseline, a logistic model on log1p(views at the\n"
    "window) alone. When the data has an oracle_p column (viral gen --oracle) the\n"
    "oracle's own probabilities are scored too. Prints the mean and standard\n"
    "deviation of each metric over the folds.\n"
    "With --temporal the rows, in posted_at order, are cut into K + 1 equal parts;\n"
    "fold i tests part i + 1 with a model trained on the rows posted at least\n"
    "--gap before it (set the gap to the label's horizon so no training outcome\n"
    "overlaps the test videos); --per-fold shows each fold's time span.\n"
    "--predictions writes the rows that were tested, with their fold.\n"
    "Only the logistic learner is supported so far, with a spec whose label is\n"
    "not a quantile rule.\n"
    "With --progressive each video is scored when its window closes and learned\n"
    "from when its outcome is known, in event order (the order of viral stream:\n"
    "from the scored_at/learned_at columns of viral assemble --window, else at\n"
    "posted_at + window and posted_at + --horizon); --no-delay learns right after\n"
    "scoring. Metrics over all outcomes and the last --window-size; -m starts\n"
    "from a saved model, --final-model writes the model the run ends with.\n\n"
    "example:\n"
    "  viral eval --folds 5 --per-fold datasets/sample.csv",
    options,
    1,
    1,
};

enum { P_MODEL = EVAL_MODEL, P_VIEWS = EVAL_VIEWS, P_BASE = EVAL_BASE, P_ORACLE = EVAL_ORACLE,
       P_COUNT = EVAL_PREDICTORS };
enum { M_COUNT = EVAL_METRICS };
#define predictor_names eval_predictor_names
#define metric_names eval_metric_names
#define metric_of eval_metric_of

/* Rows of fold f gathered from labels/probs into the scratch arrays. */
static size_t gather(const viral_eval_data *d, const int *fold, int f, const double *probs,
                     double *y, double *p) {
  size_t m = 0;
  for (size_t r = 0; r < d->ds.rows; r++)
    if (fold[r] == f) {
      y[m] = d->ds.labels[r];
      p[m++] = probs[r];
    }
  return m;
}

static void print_value(double x) {
  if (isnan(x)) printf("  %-17s", "undefined");
  else printf("  %-17.4f", x);
}

static int write_predictions(const char *path, const viral_eval_data *d, const int *fold,
                             double *const probs[P_COUNT], int have[P_COUNT]) {
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *f = fopen(tmp, "w");
  if (!f) return -1;
  fprintf(f, "record,video_id,fold,label,probability,views_baseline,base_rate%s\n",
          have[P_ORACLE] ? ",oracle_p" : "");
  char buf[32];
  for (size_t r = 0; r < d->ds.rows; r++) {
    if (fold[r] < 0) continue; /* never tested (the first part of a temporal run) */
    fprintf(f, "%llu,%s,%d,%d", (unsigned long long)d->record[r] + 1,
            d->id[r] ? d->id[r] : "", fold[r] + 1, d->ds.labels[r] > 0.5);
    for (int k = 0; k < P_COUNT; k++) {
      if (k == P_ORACLE && !have[P_ORACLE]) continue;
      fprintf(f, ",%s", have[k] ? viral_format_double(buf, probs[k][r]) : "");
    }
    fputc('\n', f);
  }
  int bad = ferror(f);
  if (fclose(f) != 0 || bad || rename(tmp, path) != 0) {
    remove(tmp);
    return -1;
  }
  return 0;
}

/* "36h", "7d", "90m", "3600s" or plain seconds into seconds; 0 or -1. */
static int parse_gap(const char *text, double *out) {
  char *end;
  double x = strtod(text, &end);
  double unit = strcmp(end, "d") == 0   ? 86400
                : strcmp(end, "h") == 0 ? 3600
                : strcmp(end, "m") == 0 ? 60
                : strcmp(end, "s") == 0 || !*end ? 1
                                                 : -1;
  if (end == text || unit < 0 || !(x >= 0) || !isfinite(x)) return -1;
  *out = x * unit;
  return 0;
}

int cmd_eval(int argc, char **argv) {
  cli_args args;
  int rc = cli_parse(&cmd_eval_spec, argc, argv, &args);
  if (rc != CLI_CONTINUE) return rc;
  if (cli_flag(&args, "progressive")) return eval_progressive(&args);
  if ((rc = eval_progressive_check_unused(&args)) != CLI_CONTINUE) return rc;
  long k;
  if ((rc = cli_get_long(&args, "folds", 5, &k)) != CLI_CONTINUE) return rc;
  if (k < 2 || k > 1000) return cli_usage_error("eval", "--folds must be from 2 to 1000");
  viral_train_options opts;
  viral_train_options_init(&opts);
  if ((rc = cli_learner_options(&args, &opts)) != CLI_CONTINUE) return rc;
  if (opts.learner != VIRAL_LEARNER_LOGISTIC)
    return cli_usage_error("eval", "only --learner logistic is supported by eval so far");
  long seed;
  if ((rc = cli_get_long(&args, "seed", 1, &seed)) != CLI_CONTINUE) return rc;
  int temporal = cli_flag(&args, "temporal");
  double gap = 0;
  const char *gap_text = cli_get(&args, "gap");
  if (gap_text && (!temporal || parse_gap(gap_text, &gap) != 0))
    return cli_usage_error("eval", "--gap needs --temporal and a duration such as 7d or 36h, not '%s'",
                           gap_text);

  viral_error err;
  viral_error_clear(&err);
  viral_pipeline *p;
  viral_eval_data *d;
  viral_reader_options ropts;
  if ((rc = cli_eval_load(&args, &p, &d, &ropts)) != CLI_CONTINUE) return rc;
  int show = cli_show_progress(&args);
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);

  int *fold = NULL, *role = NULL, *tested = NULL;
  double (*span)[2] = NULL;
  double *probs[P_COUNT] = {NULL}, *y = NULL, *q = NULL;
  int have[P_COUNT] = {1, 0, 1, 0};
  viral_metrics *per = NULL; /* [P_COUNT * k] */
  int status = CLI_EXIT_OK;
  size_t n = d->ds.rows;
  have[P_VIEWS] = d->has_views_window;
  have[P_ORACLE] = d->has_oracle;
  fold = malloc((n ? n : 1) * sizeof *fold);
  role = malloc((n ? n : 1) * sizeof *role);
  tested = malloc((n ? n : 1) * sizeof *tested);
  span = calloc((size_t)k, sizeof *span);
  y = malloc((n ? n : 1) * sizeof *y);
  q = malloc((n ? n : 1) * sizeof *q);
  per = calloc((size_t)P_COUNT * (size_t)k, sizeof *per);
  for (int i = 0; i < P_COUNT; i++) probs[i] = calloc(n ? n : 1, sizeof **probs);
  if (!fold || !role || !tested || !span || !y || !q || !per || !probs[0] || !probs[1] || !probs[2] || !probs[3]) {
    viral_error_set(&err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
    status = cli_data_error("eval", &err);
    goto done;
  }
  for (size_t r = 0; r < n; r++) tested[r] = -1;
  if (!temporal && viral_eval_stratified_folds(d->ds.labels, n, (int)k, (uint64_t)seed, fold, &err) != VIRAL_OK) {
    status = cli_data_error("eval", &err);
    goto done;
  }
  if (have[P_ORACLE]) memcpy(probs[P_ORACLE], d->oracle, n * sizeof *d->oracle);
  for (int f = 0; f < (int)k; f++) {
    if (show) {
      double el = cli_seconds_since(&start);
      fprintf(stderr, "\rviral eval: fold %d of %ld, %.1fs elapsed, about %.1fs left", f + 1, k, el,
              f ? el / f * (double)(k - f) : 0.0);
    }
    if (temporal) {
      if (viral_eval_temporal_split(d->posted_at, n, (int)k, f, gap, role, span[f], &err) != VIRAL_OK) {
        status = cli_data_error("eval", &err);
        goto done;
      }
    } else {
      for (size_t r = 0; r < n; r++) role[r] = fold[r] == f;
    }
    size_t train_rows = 0;
    for (size_t r = 0; r < n; r++) {
      if (role[r] == 1) tested[r] = f;
      train_rows += role[r] == 0;
    }
    if (train_rows == 0) {
      if (show) fputc('\n', stderr);
      viral_error_set(&err, VIRAL_ERR_INVALID, args.positional[0], 0,
                      "fold %d has no training rows%s", f + 1,
                      temporal ? " posted --gap before its test part: use fewer folds or a shorter gap" : "");
      status = cli_data_error("eval", &err);
      goto done;
    }
    const viral_eval_predictor what[3] = {VIRAL_EVAL_MODEL, VIRAL_EVAL_VIEWS, VIRAL_EVAL_BASE_RATE};
    const int slot[3] = {P_MODEL, P_VIEWS, P_BASE};
    for (int j = 0; j < 3; j++) {
      if (!have[slot[j]]) continue;
      if (viral_eval_fold_predict(d, role, 1, what[j], &opts, probs[slot[j]], &err) != VIRAL_OK) {
        if (show) fputc('\n', stderr);
        status = cli_data_error("eval", &err);
        goto done;
      }
    }
    for (int j = 0; j < P_COUNT; j++) {
      if (!have[j]) continue;
      size_t m = gather(d, role, 1, probs[j], y, q);
      if (viral_metrics_compute(y, q, m, opts.threshold, 0, &per[(size_t)j * (size_t)k + (size_t)f], &err) !=
          VIRAL_OK) {
        status = cli_data_error("eval", &err);
        goto done;
      }
    }
  }
  if (show) fputc('\n', stderr);
  const char *pred_path = cli_get(&args, "predictions");
  if (pred_path && write_predictions(pred_path, d, tested, probs, have) != 0) {
    viral_error_set(&err, VIRAL_ERR_IO, pred_path, 0, "cannot write the predictions");
    status = cli_data_error("eval", &err);
    goto done;
  }

  /* The line that says what was measured. */
  const viral_logistic_params *lp = &opts.logistic;
  char folds_text[128];
  if (temporal) snprintf(folds_text, sizeof folds_text, "rolling-origin folds by posted_at (gap %gh)", gap / 3600);
  else snprintf(folds_text, sizeof folds_text, "stratified folds (seed %ld)", seed);
  char description[1024];
  snprintf(description, sizeof description, "label %s, window %gh, learner logistic (%s alpha %g beta %g l1 %g l2 %g passes %d%s), "
         "rows %zu, positives %llu (%.2f%%), leakage %s, %ld %s",
         viral_pipeline_label_rule(p), viral_pipeline_window_hours(p),
         viral_logistic_optimizer_name(lp->optimizer), lp->alpha, lp->beta, lp->l1, lp->l2,
         lp->passes, opts.balanced ? ", balanced" : "", n, (unsigned long long)d->positives,
         n ? 100.0 * (double)d->positives / (double)n : 0.0,
         viral_pipeline_leaks(p) ? "ALLOWED" : "not allowed", k, folds_text);
  printf("%s\n", description);
  eval_result res = {description, (int)k, {have[0], have[1], have[2], have[3]}, per, n,
                     d->ds.labels, probs};
  const char *json = cli_get(&args, "json"), *html = cli_get(&args, "html");
  const char *failed = json && eval_write_json(json, &res) != 0   ? json
                       : html && eval_write_html(html, &res) != 0 ? html
                                                                  : NULL;
  if (failed) {
    viral_error_set(&err, VIRAL_ERR_IO, failed, 0, "cannot write the report");
    status = cli_data_error("eval", &err);
    goto done;
  }
  printf("\n%-18s", "metric");
  for (int j = 0; j < P_COUNT; j++)
    if (have[j]) printf("  %-17s", predictor_names[j]);
  printf("\n");
  double vals[1000];
  for (int m = 0; m < M_COUNT; m++) {
    printf("%-18s", metric_names[m]);
    for (int j = 0; j < P_COUNT; j++) {
      if (!have[j]) continue;
      for (long f = 0; f < k; f++) vals[f] = metric_of(&per[(size_t)j * (size_t)k + (size_t)f], m);
      double mean, sd;
      size_t used;
      viral_metrics_mean_std(vals, (size_t)k, &mean, &sd, &used);
      char cell[64];
      if (isnan(mean)) snprintf(cell, sizeof cell, "undefined");
      else if (isnan(sd)) snprintf(cell, sizeof cell, "%.4f (%zu fold)", mean, used);
      else snprintf(cell, sizeof cell, "%.4f +- %.4f", mean, sd);
      printf("  %-17s", cell);
    }
    printf("\n");
  }
  if (cli_flag(&args, "per-fold")) {
    printf("\n%-6s %-8s %-10s", "fold", "rows", "positives");
    for (int j = 0; j < P_COUNT; j++)
      if (have[j]) printf("  %-17s", predictor_names[j]);
    printf("   (roc_auc)%s\n", temporal ? "  test span" : "");
    for (long f = 0; f < k; f++) {
      const viral_metrics *mm = &per[f];
      printf("%-6ld %-8zu %-10zu", f + 1, mm->n, mm->positives);
      for (int j = 0; j < P_COUNT; j++)
        if (have[j]) print_value(per[(size_t)j * (size_t)k + (size_t)f].roc_auc);
      if (temporal) {
        char a[32], b[32];
        time_t t0 = (time_t)span[f][0], t1 = (time_t)span[f][1];
        struct tm tm;
        strftime(a, sizeof a, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t0, &tm));
        strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t1, &tm));
        printf(" %s .. %s", a, b);
      }
      printf("\n");
    }
  }
  if (d->unlabeled || d->bad_rows)
    fprintf(stderr, "viral eval: skipped %llu unlabelled and %llu bad rows\n",
            (unsigned long long)d->unlabeled, (unsigned long long)d->bad_rows);

done:
  for (int i = 0; i < P_COUNT; i++) free(probs[i]);
  free(per);
  free(y);
  free(q);
  free(fold);
  free(role);
  free(tested);
  free(span);
  viral_eval_data_free(d);
  viral_pipeline_free(p);
  return status;
}
