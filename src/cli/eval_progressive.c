/* eval_progressive.c - `viral eval --progressive`: every video scored when
 * its window closes and learned from when its outcome is known, in the event
 * order `viral stream` uses (viral_eval_progressive), reported overall and
 * over a sliding window of the last outcomes. */
#include "eval_progressive.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "age.h"
#include "eval_report.h"
#include "learn_options.h"
#include "viral/eval.h"
#include "viral/logistic.h"
#include "viral/report.h"
#include "viral/metrics.h"
#include "viral/writer.h"

#define CMD "eval"

static const char *const only_progressive[] = {"no-delay", "horizon", "window-size", "model",
                                               "final-model", NULL};

int eval_progressive_check_unused(const cli_args *args) {
  for (int i = 0; only_progressive[i]; i++)
    if (cli_get(args, only_progressive[i]))
      return cli_usage_error(CMD, "--%s needs --progressive", only_progressive[i]);
  return CLI_CONTINUE;
}

/* Options that do not go with --progressive, or not with -m. */
static int check_options(const cli_args *args, const viral_train_options *opts, int with_model) {
  static const char *const not_here[] = {"folds", "temporal", "gap", NULL};
  for (int i = 0; not_here[i]; i++)
    if (cli_get(args, not_here[i])) return cli_usage_error(CMD, "--%s does not go with --progressive", not_here[i]);
  char online[256];
  viral_learner_list(online, sizeof online, 0, 1);
  if (!viral_learner_online(opts->learner))
    return cli_usage_error(CMD, "--progressive learns online, one video at a time: it needs the "
                                "%s learner, not %s", online, viral_learner_name(opts->learner));
  if (opts->balanced || viral_train_options_online_refusal(opts))
    return cli_usage_error(CMD, "--progressive learns each video once, as it comes: no --passes, "
                                "--shuffle or --class-weight balanced");
  if (!with_model) return CLI_CONTINUE;
  /* the start model brings its pipeline and learner (and --seed does nothing) */
  static const char *const spec[] = {"spec", "label", "allow-leakage", NULL};
  for (int i = 0; spec[i]; i++)
    if (cli_get(args, spec[i]))
      return cli_usage_error(CMD, "--%s does not go with -m: the model brings its spec and learner", spec[i]);
  for (const viral_option *o = viral_train_option_list(); o->name; o++)
    if (strcmp(o->name, "seed") != 0 && cli_get(args, o->name))
      return cli_usage_error(CMD, "--%s does not go with -m: the model brings its spec and learner", o->name);
  return CLI_CONTINUE;
}

/* Featurize the file with the start model's pipeline (cli_eval_load's path
 * for a model instead of a spec). */
static int load_with_model(const cli_args *args, viral_model *m, viral_eval_data **d,
                           viral_reader_options *ropts) {
  viral_pipeline *p = viral_model_pipeline_mut(m);
  if (!*viral_pipeline_label_rule(p)) {
    viral_error err;
    viral_error_clear(&err);
    viral_error_set(&err, VIRAL_ERR_INVALID, cli_get(args, "model"), 0, "the model has no label rule");
    return cli_data_error(CMD, &err);
  }
  viral_pipeline_set_allow_missing(p, cli_flag(args, "allow-missing"));
  return cli_eval_featurize(args, p, cli_get(args, "views-field"), d, ropts);
}

/* ---- what the run produced ---- */

typedef struct run {
  const viral_eval_data *d;
  int have[VIRAL_REPORT_PREDICTORS];
  double *probs[VIRAL_REPORT_PREDICTORS]; /* [rows]: the probability at scoring (NAN: not scored) */
  size_t *learned;                /* [n] evaluated rows in the order their outcomes came */
  size_t *scored;                 /* [n] the same rows in the order they were scored */
  size_t n;
  size_t window;                  /* sliding window, outcomes */
  double threshold;
} run;

/* Metrics of predictor j over learned[from .. to). */
static int metrics_of(const run *r, int j, size_t from, size_t to, viral_metrics *out, double *y,
                      double *p, viral_error *err) {
  for (size_t i = from; i < to; i++) {
    y[i - from] = r->d->ds.labels[r->learned[i]];
    p[i - from] = r->probs[j][r->learned[i]];
  }
  return viral_metrics_compute(y, p, to - from, r->threshold, 0, out, err);
}

static void print_table(const run *r, const viral_metrics *m /* [VIRAL_REPORT_PREDICTORS] */) {
  printf("%-18s", "metric");
  for (int j = 0; j < VIRAL_REPORT_PREDICTORS; j++)
    if (r->have[j]) printf("  %-17s", viral_report_predictor_name(j));
  printf("\n");
  for (int k = 0; k < VIRAL_REPORT_METRICS; k++) {
    printf("%-18s", viral_report_metric_name(k));
    for (int j = 0; j < VIRAL_REPORT_PREDICTORS; j++) {
      if (!r->have[j]) continue;
      double v = viral_report_metric_of(&m[j], k);
      if (isnan(v)) printf("  %-17s", "undefined");
      else printf("  %-17.4f", v);
    }
    printf("\n");
  }
}

static void json_metrics(FILE *f, const viral_metrics *m) {
  char b[32];
  fputc('{', f);
  for (int k = 0; k < VIRAL_REPORT_METRICS; k++) {
    double v = viral_report_metric_of(m, k);
    fprintf(f, "%s\"%s\":%s", k ? "," : "", viral_report_metric_name(k), isfinite(v) ? viral_format_double(b, v) : "null");
  }
  fprintf(f, ",\"rows\":%zu,\"positives\":%zu}", m->n, m->positives);
}

/* What the JSON report is written from. overall, last:
 * [VIRAL_REPORT_PREDICTORS]; windows: [VIRAL_REPORT_PREDICTORS * nw]. */
typedef struct json_ctx {
  const run *r;
  const char *description;
  int delayed;
  const viral_metrics *overall, *last, *windows;
  size_t nw;
} json_ctx;

static int write_json(FILE *f, const void *ctx, viral_error *err) {
  const json_ctx *c = ctx;
  const run *r = c->r;
  (void)err;
  fprintf(f, "{\"mode\":\"progressive\",\"description\":");
  viral_report_json_string(f, c->description);
  fprintf(f, ",\"delayed_labels\":%s,\"rows\":%zu,\"window_size\":%zu,\"predictors\":{",
          c->delayed ? "true" : "false", r->n, r->window);
  int first = 1;
  for (int j = 0; j < VIRAL_REPORT_PREDICTORS; j++) {
    if (!r->have[j]) continue;
    fprintf(f, "%s\"%s\":{\"overall\":", first ? "" : ",", viral_report_predictor_name(j));
    first = 0;
    json_metrics(f, &c->overall[j]);
    fprintf(f, ",\"last_window\":");
    json_metrics(f, &c->last[j]);
    fprintf(f, ",\"windows\":[");
    for (size_t w = 0; w < c->nw; w++) {
      if (w) fputc(',', f);
      json_metrics(f, &c->windows[(size_t)j * c->nw + w]);
    }
    fprintf(f, "]}");
  }
  fprintf(f, "}}\n");
  return VIRAL_OK;
}

/* One line per evaluated video, in the order they were scored. */
static int write_predictions(FILE *f, const void *ctx, viral_error *err) {
  const run *r = ctx;
  (void)err;
  fprintf(f, "record,video_id,order,label");
  for (int j = 0; j < VIRAL_REPORT_PREDICTORS; j++)
    if (r->have[j]) fprintf(f, ",%s", j == VIRAL_REPORT_MODEL ? "probability" : j == VIRAL_REPORT_VIEWS ? "views_baseline"
                                                       : j == VIRAL_REPORT_BASE ? "base_rate" : "oracle_p");
  fputc('\n', f);
  char b[32];
  for (size_t i = 0; i < r->n; i++) {
    size_t row = r->scored[i];
    fprintf(f, "%llu,%s,%zu,%d", (unsigned long long)r->d->record[row] + 1,
            r->d->id[row] ? r->d->id[row] : "", i + 1, r->d->ds.labels[row] > 0.5);
    for (int j = 0; j < VIRAL_REPORT_PREDICTORS; j++)
      if (r->have[j]) fprintf(f, ",%s", viral_format_double(b, r->probs[j][row]));
    fputc('\n', f);
  }
  return VIRAL_OK;
}

/* The evaluated rows (scored and learned) in learn order and score order. */
static void order_rows(run *r, const viral_eval_schedule *s) {
  size_t nl = 0, ns = 0;
  char *learns = calloc(r->d->ds.rows ? r->d->ds.rows : 1, 1);
  if (!learns) return;
  for (size_t i = 0; i < s->count; i++)
    if (s->steps[i].learn) learns[s->steps[i].row] = 1, r->learned[nl++] = s->steps[i].row;
  for (size_t i = 0; i < s->count; i++)
    if (!s->steps[i].learn && learns[s->steps[i].row]) r->scored[ns++] = s->steps[i].row;
  free(learns);
  r->n = nl;
}

static int write_html(FILE *out, const void *ctx, viral_error *err) {
  return viral_report_write_html(ctx, out, err);
}

static int write_model(FILE *out, const void *ctx, viral_error *err) {
  return viral_model_write(ctx, out, err);
}

/* The report of the pooled outcomes for the HTML page, shown as one "fold"
 * in the order they were learned; overall: [VIRAL_REPORT_PREDICTORS].
 * VIRAL_OK with rep to release, or a status with nothing to release. */
static int html_report(viral_report *rep, const run *r, const char *description,
                       const viral_metrics *overall, viral_error *err) {
  int rc = viral_report_init(rep, 1, r->n, err);
  if (rc != VIRAL_OK) return rc;
  if ((rc = viral_report_set_description(rep, description, err)) != VIRAL_OK) {
    viral_report_release(rep);
    return rc;
  }
  for (int j = 0; j < VIRAL_REPORT_PREDICTORS; j++) {
    rep->have[j] = r->have[j];
    rep->per_fold[j] = overall[j];
    if (r->have[j])
      for (size_t i = 0; i < r->n; i++) rep->probs[j][i] = r->probs[j][r->learned[i]];
  }
  for (size_t i = 0; i < r->n; i++) {
    rep->fold[i] = 0;
    rep->labels[i] = r->d->ds.labels[r->learned[i]];
  }
  return VIRAL_OK;
}

/* --json, --predictions, --final-model and --html: all written, or none. */
static int write_outputs(const cli_args *args, const run *r, const json_ctx *jc, const viral_model *m,
                         viral_error *err) {
  const char *html = cli_get(args, "html");
  viral_report rep;
  if (html && html_report(&rep, r, jc->description, jc->overall, err) != VIRAL_OK) return err->code;
  const viral_output outputs[] = {{cli_get(args, "json"), write_json, jc},
                                  {cli_get(args, "predictions"), write_predictions, r},
                                  {cli_get(args, "final-model"), write_model, m},
                                  {html, write_html, &rep}};
  int rc = viral_write_outputs(outputs, sizeof outputs / sizeof *outputs, err);
  if (html) viral_report_release(&rep);
  return rc;
}

int eval_progressive(const cli_args *args) {
  viral_train_options opts;
  viral_train_options_init(&opts);
  int rc = cli_learner_options(args, &opts);
  if (rc != CLI_CONTINUE) return rc;
  const char *model_path = cli_get(args, "model");
  if ((rc = check_options(args, &opts, model_path != NULL)) != CLI_CONTINUE) return rc;
  long window = 10000;
  if ((rc = cli_get_long(args, "window-size", 10000, &window)) != CLI_CONTINUE) return rc;
  if (window < 2) return cli_usage_error(CMD, "--window-size must be 2 or more");
  viral_eval_progressive_options po = {0, 168, cli_flag(args, "no-delay")};
  const char *h = cli_get(args, "horizon");
  if (h && (po.horizon_h = cli_parse_hours(h, strlen(h))) <= 0)
    return cli_usage_error(CMD, "--horizon needs an age such as 48h or 7d, not '%s'", h);
  const char *path = args->positional[0];
  if (strcmp(path, "-") == 0)
    return cli_usage_error(CMD, "--progressive reads the file twice (for its event times): give a "
                                "file, not stdin");

  viral_error err;
  viral_error_clear(&err);
  viral_model *m = NULL;
  viral_pipeline *p = NULL;
  viral_eval_data *d = NULL;
  viral_reader_options ropts;
  if (model_path) {
    if (!(m = viral_model_load(model_path, &err))) return cli_data_error(CMD, &err);
    if (!viral_learner_online(viral_model_learner(m))) {
      char online[256];
      viral_learner_list(online, sizeof online, 0, 1);
      viral_error_set(&err, VIRAL_ERR_INVALID, model_path, 0,
                      "an %s model cannot learn one video at a time: --progressive needs a %s model",
                      viral_learner_name(viral_model_learner(m)), online);
      viral_model_free(m);
      return cli_data_error(CMD, &err);
    }
    if ((rc = load_with_model(args, m, &d, &ropts)) != CLI_CONTINUE) {
      viral_model_free(m);
      return rc;
    }
  } else {
    if ((rc = cli_eval_load(args, &opts, cli_get(args, "views-field"), &p, &d, &ropts)) != CLI_CONTINUE) return rc;
    /* d's copy of p knows what the views baseline reads */
    m = viral_model_create(d->pipeline, &opts, &err);
    viral_pipeline_free(p);
    if (!m) {
      viral_eval_data_free(d);
      return cli_data_error(CMD, &err);
    }
  }
  const viral_pipeline *pl = viral_model_pipeline(m);
  po.window_h = viral_pipeline_window_hours(pl);
  int status = CLI_EXIT_OK;
  viral_eval_schedule sched = {0};
  run r = {d, {1, d->has_views_window, 1, d->has_oracle}, {NULL}, NULL, NULL, 0, (size_t)window,
           viral_model_threshold(m)};
  size_t rows = d->ds.rows;
  viral_metrics overall[VIRAL_REPORT_PREDICTORS], last[VIRAL_REPORT_PREDICTORS], *windows = NULL;
  double *y = malloc((rows ? rows : 1) * sizeof *y), *q = malloc((rows ? rows : 1) * sizeof *q);
  r.learned = malloc((rows ? rows : 1) * sizeof *r.learned);
  r.scored = malloc((rows ? rows : 1) * sizeof *r.scored);
  int nomem = !y || !q || !r.learned || !r.scored;
  for (int j = 0; j < VIRAL_REPORT_PREDICTORS; j++) nomem |= !(r.probs[j] = malloc((rows ? rows : 1) * sizeof **r.probs));
  if (nomem) {
    viral_error_set(&err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
    goto fail;
  }
  if (!(po.horizon_h > po.window_h)) {
    status = cli_usage_error(CMD, "--horizon (%gh) must be longer than the window (%gh)", po.horizon_h, po.window_h);
    goto done;
  }
  if (viral_eval_schedule_build(d, path, &ropts, &po, &sched, &err) != VIRAL_OK) goto fail;
  const viral_eval_predictor what[3] = {VIRAL_EVAL_MODEL, VIRAL_EVAL_VIEWS, VIRAL_EVAL_BASE_RATE};
  const int slot[3] = {VIRAL_REPORT_MODEL, VIRAL_REPORT_VIEWS, VIRAL_REPORT_BASE};
  for (int j = 0; j < 3; j++)
    if (r.have[slot[j]] && viral_eval_progressive(d, &sched, what[j], m, r.probs[slot[j]], &err) != VIRAL_OK)
      goto fail;
  if (r.have[VIRAL_REPORT_ORACLE]) memcpy(r.probs[VIRAL_REPORT_ORACLE], d->oracle, rows * sizeof *d->oracle);
  order_rows(&r, &sched);
  if (r.n == 0) {
    viral_error_set(&err, VIRAL_ERR_INVALID, path, 0,
                    "no video was both scored and learned from within the data's time");
    goto fail;
  }
  size_t nw = (r.n + r.window - 1) / r.window;
  if (!(windows = calloc((size_t)VIRAL_REPORT_PREDICTORS * nw, sizeof *windows))) {
    viral_error_set(&err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
    goto fail;
  }
  size_t from_last = r.n > r.window ? r.n - r.window : 0;
  for (int j = 0; j < VIRAL_REPORT_PREDICTORS; j++) {
    if (!r.have[j]) continue;
    if (metrics_of(&r, j, 0, r.n, &overall[j], y, q, &err) != VIRAL_OK ||
        metrics_of(&r, j, from_last, r.n, &last[j], y, q, &err) != VIRAL_OK)
      goto fail;
    for (size_t w = 0; w < nw; w++) {
      size_t to = (w + 1) * r.window < r.n ? (w + 1) * r.window : r.n;
      if (metrics_of(&r, j, w * r.window, to, &windows[(size_t)j * nw + w], y, q, &err) != VIRAL_OK) goto fail;
    }
  }

  const viral_logistic_params *lp = viral_logistic_get_params(viral_model_logistic(m));
  char when[160], description[1400];
  if (sched.from_columns) snprintf(when, sizeof when, "event times from the data's scored_at/learned_at");
  else snprintf(when, sizeof when, "scored at posted_at + %gh, outcome at posted_at + %gh", po.window_h, po.horizon_h);
  snprintf(description, sizeof description,
           "label %s, window %gh, learner logistic (%s alpha %g beta %g l1 %g l2 %g%s%s%s), rows %zu, "
           "positives %zu (%.2f%%), leakage %s, progressive validation, %s (%s); not evaluated: "
           "%zu never scored, %zu outcome after the data's end; sliding window %zu outcomes",
           viral_pipeline_label_rule(pl), po.window_h, viral_logistic_optimizer_name(lp->optimizer), lp->alpha,
           lp->beta, lp->l1, lp->l2, model_path ? ", from " : "", model_path ? model_path : "",
           model_path ? "" : ", untrained", r.n, overall[VIRAL_REPORT_MODEL].positives,
           100.0 * (double)overall[VIRAL_REPORT_MODEL].positives / (double)r.n,
           viral_pipeline_leaks(d->pipeline) ? "ALLOWED" : "not allowed",
           po.no_delay ? "no delay (learned right after scoring)" : "delayed labels (scored when the window "
                                                                    "closes, learned when the outcome is known)",
           when, sched.unscored, sched.unlearned, r.window);
  json_ctx jc = {&r, description, !po.no_delay, overall, last, windows, nw};
  if (write_outputs(args, &r, &jc, m, &err) != VIRAL_OK) goto fail;
  printf("%s\n\nall %zu outcomes\n", description, r.n);
  print_table(&r, overall);
  printf("\nlast %zu outcomes (sliding window)\n", r.n - from_last);
  print_table(&r, last);
  if (cli_flag(args, "per-fold")) {
    printf("\n%-6s %-8s %-10s", "window", "rows", "positives");
    for (int j = 0; j < VIRAL_REPORT_PREDICTORS; j++)
      if (r.have[j]) printf("  %-17s", viral_report_predictor_name(j));
    printf("   (roc_auc)\n");
    for (size_t w = 0; w < nw; w++) {
      printf("%-6zu %-8zu %-10zu", w + 1, windows[w].n, windows[w].positives);
      for (int j = 0; j < VIRAL_REPORT_PREDICTORS; j++) {
        if (!r.have[j]) continue;
        double v = windows[(size_t)j * nw + w].roc_auc;
        if (isnan(v)) printf("  %-17s", "undefined");
        else printf("  %-17.4f", v);
      }
      printf("\n");
    }
  }
  cli_print_warning(CMD, d->input_warning);
  if (d->unlabeled || d->bad_rows)
    fprintf(stderr, "viral eval: skipped %llu unlabelled and %llu bad rows\n",
            (unsigned long long)d->unlabeled, (unsigned long long)d->bad_rows);
  goto done;
fail:
  status = cli_data_error(CMD, &err);
done:
  for (int j = 0; j < VIRAL_REPORT_PREDICTORS; j++) free(r.probs[j]);
  free(r.learned);
  free(r.scored);
  free(windows);
  free(y);
  free(q);
  viral_eval_schedule_release(&sched);
  viral_eval_data_free(d);
  viral_model_free(m);
  return status;
}
