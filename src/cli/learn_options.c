/* learn_options.c - parsing of the learner options (learn_options.h). */
#include "learn_options.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "viral/writer.h"

int cli_learner_options(const cli_args *args, viral_train_options *opts) {
  viral_error err;
  viral_error_clear(&err);
  if (viral_train_options_parse(opts, cli_option_value, (void *)args, &err) != VIRAL_OK)
    return cli_usage_error(args->spec->command, "%s", err.message);
  return CLI_CONTINUE;
}

int cli_calibrate_options(const cli_args *args, viral_train_options *opts) {
  const char *cmd = args->spec->command;
  const char *calibrate = cli_get(args, "calibrate");
  if (calibrate && viral_calibration_parse(calibrate, &opts->calibrate) != VIRAL_OK)
    return cli_usage_error(cmd, "--calibrate must be platt or isotonic, not '%s'", calibrate);
  int rc = cli_get_double(args, "calibration-fraction", 0.2, &opts->calibration_fraction);
  if (rc != CLI_CONTINUE) return rc;
  if (!(opts->calibration_fraction > 0 && opts->calibration_fraction < 1))
    return cli_usage_error(cmd, "--calibration-fraction must be between 0 and 1");
  return CLI_CONTINUE;
}

void cli_print_train_summary(const char *command, const viral_train_summary *s, double seconds) {
  char scores[64];

  if (isnan(s->log_loss)) snprintf(scores, sizeof scores, "training rows not scored");
  else if (isnan(s->auc)) snprintf(scores, sizeof scores, "log loss %.4f, AUC undefined", s->log_loss);
  else snprintf(scores, sizeof scores, "log loss %.4f, AUC %.4f", s->log_loss, s->auc);
  fprintf(stderr, "viral %s: %llu rows, %llu positives (%.2f%%), %s, %.2fs", command,
          (unsigned long long)s->rows, (unsigned long long)s->positives,
          s->rows ? 100.0 * (double)s->positives / (double)s->rows : 0.0, scores, seconds);
  if (s->unlabeled) fprintf(stderr, ", %llu unlabelled rows skipped", (unsigned long long)s->unlabeled);
  if (s->bad_rows) fprintf(stderr, ", %llu bad rows skipped", (unsigned long long)s->bad_rows);
  if (s->held_out) fprintf(stderr, ", %llu rows held out for calibration", (unsigned long long)s->held_out);
  fputc('\n', stderr);
  /* a handful of late rows is normal in scraped data; more says the file is not in time order */
  if (s->backwards > 0 && s->backwards * 100 > s->rows + s->held_out)
    fprintf(stderr, "viral %s: note: %llu of %llu rows are posted before the row above them: "
                    "learning follows the file's order, not posted_at (sort the file by posted_at "
                    "to learn in time order)\n",
            command, (unsigned long long)s->backwards, (unsigned long long)(s->rows + s->held_out));
}

void cli_json_number(FILE *out, double x) {
  char num[32];
  fputs(isfinite(x) ? viral_format_double(num, x) : "null", out);
}

typedef struct train_json {
  const char *command, *model;
  const viral_train_summary *s;
  double seconds;
} train_json;

static int write_train_json(FILE *out, const void *ctx, viral_error *err) {
  (void)err;
  const train_json *j = ctx;
  const viral_train_summary *s = j->s;
  fputs("{\"command\":", out);
  viral_json_write_string(out, j->command, strlen(j->command));
  fputs(",\"model\":", out);
  viral_json_write_string(out, j->model, strlen(j->model));
  fprintf(out, ",\"rows\":%llu,\"positives\":%llu,\"unlabeled\":%llu,\"bad_rows\":%llu,\"held_out\":%llu,"
               "\"out_of_order\":%llu,\"log_loss\":",
          (unsigned long long)s->rows, (unsigned long long)s->positives, (unsigned long long)s->unlabeled,
          (unsigned long long)s->bad_rows, (unsigned long long)s->held_out, (unsigned long long)s->backwards);
  cli_json_number(out, s->log_loss);
  fputs(",\"auc\":", out);
  cli_json_number(out, s->auc);
  fputs(",\"seconds\":", out);
  cli_json_number(out, j->seconds);
  fputs("}\n", out);
  return VIRAL_OK;
}

int cli_model_output(FILE *out, const void *ctx, viral_error *err) {
  return viral_model_write(ctx, out, err);
}

int cli_save_model(const viral_model *m, const char *model_path, const char *json_path, const char *command,
                   const viral_train_summary *s, double seconds, viral_error *err) {
  if (!json_path) return viral_model_save(m, model_path, err);
  train_json j = {command, model_path, s, seconds};
  const viral_output outputs[] = {{model_path, cli_model_output, m}, {json_path, write_train_json, &j}};
  return viral_write_outputs(outputs, 2, err);
}

double cli_seconds_since(const struct timespec *start) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}
