/* learn_options.c - parsing of the learner options (learn_options.h). */
#include "learn_options.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --class-weight balanced | W0:W1 */
static int class_weights(const cli_args *args, viral_train_options *opts) {
  const char *w = cli_get(args, "class-weight");
  if (!w) return CLI_CONTINUE;
  if (strcmp(w, "balanced") == 0) {
    opts->balanced = 1;
    return CLI_CONTINUE;
  }
  char *end = NULL;
  double w0 = strtod(w, &end), w1 = -1;
  if (end != w && *end == ':') {
    const char *second = end + 1;
    w1 = strtod(second, &end);
    if (end == second || *end) w1 = -1;
  }
  if (!(w0 >= 0 && w1 >= 0 && w0 + w1 > 0))
    return cli_usage_error(args->spec->command,
                           "--class-weight must be 'balanced' or W0:W1 such as 1:5, not '%s'", w);
  opts->logistic.weight0 = opts->svm.weight0 = w0;
  opts->logistic.weight1 = opts->svm.weight1 = w1;
  return CLI_CONTINUE;
}

int cli_learner_options(const cli_args *args, viral_train_options *opts) {
  const char *cmd = args->spec->command;
  const char *learner = cli_get(args, "learner");
  if (learner && viral_learner_parse(learner, &opts->learner) != VIRAL_OK)
    return cli_usage_error(cmd, "--learner must be logistic or svm, not '%s'", learner);
  const char *optimizer = cli_get(args, "optimizer");
  if (optimizer) {
    viral_logistic_optimizer o;
    if (viral_logistic_optimizer_parse(optimizer, &o) != VIRAL_OK)
      return cli_usage_error(cmd, "--optimizer must be ftrl, adagrad or sgd, not '%s'", optimizer);
    viral_logistic_params_init(&opts->logistic, o); /* that optimizer's defaults */
  }
  viral_logistic_params *lp = &opts->logistic;
  viral_svm_params *sp = &opts->svm;
  long passes = lp->passes, seed = lp->seed, bits = 0;
  int rc;
  if ((rc = cli_get_double(args, "alpha", lp->alpha, &lp->alpha)) != CLI_CONTINUE ||
      (rc = cli_get_double(args, "beta", lp->beta, &lp->beta)) != CLI_CONTINUE ||
      (rc = cli_get_double(args, "l1", lp->l1, &lp->l1)) != CLI_CONTINUE ||
      (rc = cli_get_double(args, "l2", lp->l2, &lp->l2)) != CLI_CONTINUE ||
      (rc = cli_get_long(args, "passes", passes, &passes)) != CLI_CONTINUE ||
      (rc = cli_get_long(args, "seed", seed, &seed)) != CLI_CONTINUE ||
      (rc = cli_get_long(args, "bits", 0, &bits)) != CLI_CONTINUE ||
      (rc = cli_get_double(args, "C", sp->C, &sp->C)) != CLI_CONTINUE ||
      (rc = cli_get_double(args, "gamma", sp->gamma, &sp->gamma)) != CLI_CONTINUE)
    return rc;
  if (passes < 1 || passes > VIRAL_LOGISTIC_MAX_PASSES)
    return cli_usage_error(cmd, "--passes must be from 1 to %d", VIRAL_LOGISTIC_MAX_PASSES);
  if (seed < 0 || seed > 4294967295L) return cli_usage_error(cmd, "--seed must be from 0 to 4294967295");
  if (bits && (bits < VIRAL_LOGISTIC_MIN_BITS || bits > VIRAL_LOGISTIC_MAX_BITS))
    return cli_usage_error(cmd, "--bits must be from %d to %d", VIRAL_LOGISTIC_MIN_BITS,
                           VIRAL_LOGISTIC_MAX_BITS);
  lp->passes = (int)passes;
  lp->seed = (uint32_t)seed;
  sp->seed = (unsigned)seed;
  opts->bits = (int)bits;
  if (cli_flag(args, "shuffle")) lp->shuffle = 1;
  if (cli_flag(args, "no-normalize")) lp->normalize = 0;
  const char *kernel = cli_get(args, "kernel");
  if (kernel) {
    if (strcmp(kernel, "linear") == 0) sp->kernel = VIRAL_SVM_LINEAR;
    else if (strcmp(kernel, "rbf") == 0) sp->kernel = VIRAL_SVM_RBF;
    else return cli_usage_error(cmd, "--kernel must be linear or rbf, not '%s'", kernel);
  }
  if ((rc = class_weights(args, opts)) != CLI_CONTINUE) return rc;
  const char *why = opts->learner == VIRAL_LEARNER_SVM ? viral_svm_params_check(sp)
                                                       : viral_logistic_params_check(lp);
  if (why) return cli_usage_error(cmd, "%s", why);
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

double cli_seconds_since(const struct timespec *start) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}
