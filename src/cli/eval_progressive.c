/* eval_progressive.c - `viral eval --progressive`: its options, the start
 * model and the data; the run and the report are library code
 * (viral_eval_progressive_run, viral/report.h): every video scored when its
 * window closes and learned from when its outcome is known, in the event
 * order `viral stream` uses, reported overall and over a sliding window of
 * the last outcomes. */
#include "eval_progressive.h"

#include <stdio.h>
#include <string.h>

#include "age.h"
#include "eval_report.h"
#include "learn_options.h"
#include "viral/eval.h"
#include "viral/logistic.h"
#include "viral/report.h"
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

/* ---- the outputs: all written, or none ---- */

typedef struct outputs_ctx {
  const viral_eval_data *d;
  const viral_progressive_report *r;
} outputs_ctx;

static int write_json(FILE *out, const void *ctx, viral_error *err) {
  return viral_progressive_report_write_json(((const outputs_ctx *)ctx)->r, out, err);
}
static int write_predictions(FILE *out, const void *ctx, viral_error *err) {
  const outputs_ctx *c = ctx;
  return viral_eval_progressive_write_predictions(c->d, c->r, out, err);
}
static int write_html(FILE *out, const void *ctx, viral_error *err) {
  return viral_progressive_report_write_html(((const outputs_ctx *)ctx)->r, out, err);
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
  viral_eval_progressive_run_options run = {{0, 168, cli_flag(args, "no-delay")}, (size_t)window, NULL};
  viral_eval_progressive_options *po = &run.events;
  const char *h = cli_get(args, "horizon");
  if (h && (po->horizon_h = cli_parse_hours(h, strlen(h))) <= 0)
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
  po->window_h = viral_pipeline_window_hours(pl);
  run.model_source = model_path;
  int status = CLI_EXIT_OK;
  viral_progressive_report rep = {0};
  if (!(po->horizon_h > po->window_h)) {
    status = cli_usage_error(CMD, "--horizon (%gh) must be longer than the window (%gh)", po->horizon_h, po->window_h);
    goto done;
  }
  outputs_ctx oc = {d, &rep};
  const char *json = cli_get(args, "json");
  const viral_output outputs[] = {{json, write_json, &oc},
                                  {cli_get(args, "predictions"), write_predictions, &oc},
                                  {cli_get(args, "final-model"), cli_model_output, m},
                                  {cli_get(args, "html"), write_html, &oc}};
  if (viral_eval_progressive_run(d, path, &ropts, &run, m, &rep, &err) != VIRAL_OK ||
      viral_write_outputs(outputs, sizeof outputs / sizeof *outputs, &err) != VIRAL_OK ||
      /* --json -: the JSON alone on stdout */
      (!(json && viral_names_stdout(json)) &&
       viral_progressive_report_write_text(&rep, stdout, cli_flag(args, "per-fold"), &err) != VIRAL_OK))
    goto fail;
  cli_print_warning(CMD, d->input_warning);
  if (d->unlabeled || d->bad_rows)
    fprintf(stderr, "viral eval: skipped %llu unlabelled and %llu bad rows\n",
            (unsigned long long)d->unlabeled, (unsigned long long)d->bad_rows);
  goto done;
fail:
  status = cli_data_error(CMD, &err);
done:
  viral_progressive_report_release(&rep);
  viral_eval_data_free(d);
  viral_model_free(m);
  return status;
}
