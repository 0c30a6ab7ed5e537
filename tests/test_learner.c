/* test_learner.c - the learner table (viral/learner.h): finding learners,
 * the options a command line lists and their parsing (every learner's
 * options read, the chosen one's kept and checked), the description eval
 * prints, tune's grid, and what an untrained model can learn. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "viral/eval.h"
#include "viral/gbt.h"
#include "viral/learner.h"
#include "viral/logistic.h"
#include "viral/model.h"
#include "viral/svm.h"

/* Options as a command line gives them: "name", "value" pairs, NULL-ended. */
static const char *lookup(void *ctx, const char *name) {
  const char *const *kv = ctx;
  for (; kv[0]; kv += 2)
    if (strcmp(kv[0], name) == 0) return kv[1];
  return NULL;
}

static int parse(viral_train_options *o, const char *const *kv, viral_error *err) {
  viral_train_options_init(o);
  viral_error_clear(err);
  return viral_train_options_parse(o, lookup, (void *)kv, err);
}

START_TEST(the_table) {
  const viral_learner *lr = viral_learner_find("logistic"), *svm = viral_learner_find("svm"),
                      *gbt = viral_learner_find("gbt");
  ck_assert_ptr_nonnull(lr);
  ck_assert_ptr_nonnull(svm);
  ck_assert_ptr_nonnull(gbt);
  ck_assert_ptr_null(viral_learner_find("tree"));
  ck_assert_ptr_eq(viral_learner_default(), lr);
  ck_assert_ptr_eq(viral_learner_at(0), lr);
  ck_assert_ptr_eq(viral_learner_at(1), svm);
  ck_assert_ptr_eq(viral_learner_at(2), gbt);
  ck_assert_ptr_null(viral_learner_at(3));
  ck_assert_str_eq(viral_learner_name(svm), "svm");
  ck_assert_int_eq(viral_learner_online(lr), 1);
  ck_assert_int_eq(viral_learner_online(svm), 0);
  ck_assert_int_eq(viral_learner_online(gbt), 0);
  ck_assert_str_eq(viral_learner_scaling(lr), "none");
  ck_assert_ptr_null(viral_learner_scaling(svm));
  ck_assert_str_eq(viral_learner_scaling(gbt), "none");
  char list[128];
  viral_learner_list(list, sizeof list, 1, 0);
  ck_assert_str_eq(list, "\"logistic\", \"svm\" or \"gbt\"");
  viral_learner_list(list, sizeof list, 0, 1);
  ck_assert_str_eq(list, "logistic");
}
END_TEST

/* Every learner's options, each once, shared ones where the first learner
 * that takes them shows them: the order `viral train --help` has. */
START_TEST(options_listed_once_in_order) {
  static const char *const names[] = {"learner", "optimizer", "alpha", "beta", "l1", "l2", "passes", "C",
                                      "batch-memory", "half-life", "shuffle", "seed", "bits", "no-normalize",
                                      "class-weight", "kernel", "gamma", "max-depth", "eta",
                                      "min-child-weight", "lambda", "subsample", "colsample", "rounds",
                                      "early-stop", "valid-fraction", "no-refit", "min-feature-rows",
                                      "threads", NULL};
  const viral_option *o = viral_train_option_list();
  for (int i = 0; names[i]; i++, o++) {
    ck_assert_ptr_nonnull(o->name);
    ck_assert_str_eq(o->name, names[i]);
    ck_assert(o->help && *o->help);
  }
  ck_assert_ptr_null(o->name);
  ck_assert_str_eq(viral_train_option_list()[0].help,
                   "logistic (default, batch optimum, then online), svm (LIBLINEAR linear, libsvm rbf) or gbt (XGBoost trees)");
  static const char *const grids[] = {"alpha-grid",     "l1-grid",  "l2-grid",
                                      "log2c",          "log2g",    "max-depth-grid",
                                      "eta-grid",       "min-child-weight-grid", NULL};
  o = viral_tune_option_list();
  for (int i = 0; grids[i]; i++, o++) ck_assert_str_eq(o->name, grids[i]);
  ck_assert_ptr_null(o->name);
}
END_TEST

START_TEST(parsing_keeps_the_chosen_learners_options) {
  viral_train_options o;
  viral_error err;
  const char *const svm[] = {"learner", "svm", "kernel", "rbf", "C", "4", "alpha", "3", "seed", "7",
                             "class-weight", "1:3", NULL};
  ck_assert_int_eq(parse(&o, svm, &err), VIRAL_OK);
  ck_assert_ptr_eq(o.learner, viral_learner_find("svm"));
  ck_assert_ptr_null(viral_train_options_logistic(&o));
  ck_assert_int_eq(viral_train_options_svm(&o)->kernel, VIRAL_SVM_RBF);
  ck_assert(viral_train_options_svm(&o)->C == 4);
  ck_assert_uint_eq(o.seed, 7);
  ck_assert(o.weight0 == 1 && o.weight1 == 3 && !o.balanced);
  char text[256];
  viral_train_options_describe(&o, text, sizeof text);
  ck_assert_str_eq(text, "svm (rbf C 4 gamma auto)");

  const char *const lr[] = {"optimizer", "adagrad", "l2", "0.5", "passes", "3", "shuffle", "",
                            "bits", "20", "class-weight", "balanced", NULL};
  ck_assert_int_eq(parse(&o, lr, &err), VIRAL_OK);
  viral_logistic_options *lo = viral_train_options_logistic(&o);
  ck_assert_ptr_nonnull(lo);
  ck_assert_int_eq(lo->params.optimizer, VIRAL_LOGISTIC_ADAGRAD);
  ck_assert(lo->params.alpha == 0.1 && lo->params.l2 == 0.5); /* adagrad's alpha */
  ck_assert_int_eq(lo->params.passes, 3);
  ck_assert_int_eq(lo->params.shuffle, 1);
  ck_assert_int_eq(lo->bits, 20);
  ck_assert_int_eq(o.balanced, 1);
  o.calibrate = VIRAL_CALIBRATION_PLATT;
  viral_train_options_describe(&o, text, sizeof text);
  ck_assert_str_eq(text, "logistic (adagrad alpha 0.1 beta 1 l1 0 l2 0.5 passes 3, balanced, calibrated "
                         "platt on 0.2 of the training part)");
  ck_assert_str_eq(viral_train_options_online_refusal(&o), "passes and shuffling need the data first");

  const char *const gbt[] = {"learner", "gbt", "max-depth", "4", "eta", "0.2", "rounds", "300", "no-refit", "",
                             "threads", "1", "min-feature-rows", "5", "C", "4", NULL};
  ck_assert_int_eq(parse(&o, gbt, &err), VIRAL_OK);
  const viral_gbt_params *gp = viral_train_options_gbt(&o);
  ck_assert_ptr_nonnull(gp);
  ck_assert_ptr_null(viral_train_options_svm(&o));
  ck_assert(gp->max_depth == 4 && gp->eta == 0.2 && gp->rounds == 300 && gp->refit == 0 && gp->threads == 1 &&
            gp->min_rows == 5);
  viral_train_options_describe(&o, text, sizeof text);
  ck_assert_str_eq(text, "gbt (max-depth 4 eta 0.2 min-child-weight 1 lambda 1 subsample 0.8 colsample 0.8 "
                         "rounds 300 early-stop 50 on the last 0.1 no-refit)");
  ck_assert_str_eq(viral_train_options_online_refusal(&o), "its learner does not learn one row at a time");
}
END_TEST

/* A bad value is an error whichever learner runs; the chosen learner's
 * check comes last. */
START_TEST(parsing_refuses_with_the_reason) {
  viral_train_options o;
  viral_error err;
  const char *const unknown[] = {"learner", "tree", NULL};
  ck_assert_int_eq(parse(&o, unknown, &err), VIRAL_ERR_INVALID);
  ck_assert_str_eq(err.message, "--learner must be logistic, svm or gbt, not 'tree'");
  const char *const passes[] = {"learner", "svm", "passes", "0", NULL};
  ck_assert_int_eq(parse(&o, passes, &err), VIRAL_ERR_INVALID);
  ck_assert_str_eq(err.message, "--passes must be from 1 to 100000");
  const char *const kernel[] = {"kernel", "poly", NULL};
  ck_assert_int_eq(parse(&o, kernel, &err), VIRAL_ERR_INVALID);
  ck_assert_str_eq(err.message, "--kernel must be linear or rbf, not 'poly'");
  const char *const cost[] = {"learner", "svm", "C", "-1", NULL};
  ck_assert_int_eq(parse(&o, cost, &err), VIRAL_ERR_INVALID);
  ck_assert_str_eq(err.message, "C must be a finite number > 0");
  const char *const logistic_cost[] = {"C", "-1", NULL}; /* the batch optimum's C, svm's words */
  ck_assert_int_eq(parse(&o, logistic_cost, &err), VIRAL_ERR_INVALID);
  ck_assert_str_eq(err.message, "C must be a finite number > 0");
  const char *const cost_online[] = {"C", "2", "passes", "1", NULL};
  ck_assert_int_eq(parse(&o, cost_online, &err), VIRAL_ERR_INVALID);
  ck_assert_str_eq(err.message, "--C is the cost of the batch optimum: it does not go with --passes (online)");
  const char *const recency_online[] = {"half-life", "0.25", "passes", "1", NULL};
  ck_assert_int_eq(parse(&o, recency_online, &err), VIRAL_ERR_INVALID);
  ck_assert_str_eq(err.message, "--half-life weighs the rows of the batch optimum: it does not go with --passes (online)");
  const char *const recency[] = {"half-life", "-1", NULL};
  ck_assert_int_eq(parse(&o, recency, &err), VIRAL_ERR_INVALID);
  ck_assert_str_eq(err.message, "--half-life must be a finite number >= 0 (a share of the rows' time span)");
  const char *const memory[] = {"batch-memory", "-1", NULL};
  ck_assert_int_eq(parse(&o, memory, &err), VIRAL_ERR_INVALID);
  ck_assert_str_eq(err.message, "--batch-memory must be from 0 to 1048576 MB");
  const char *const alpha[] = {"alpha", "abc", NULL};
  ck_assert_int_eq(parse(&o, alpha, &err), VIRAL_ERR_INVALID);
  ck_assert_str_eq(err.message, "--alpha needs a number, not 'abc'");
  const char *const weights[] = {"class-weight", "1:x", NULL};
  ck_assert_int_eq(parse(&o, weights, &err), VIRAL_ERR_INVALID);
  ck_assert_str_eq(err.message, "--class-weight must be 'balanced' or W0:W1 such as 1:5, not '1:x'");
  const char *const depth[] = {"learner", "gbt", "max-depth", "20", NULL};
  ck_assert_int_eq(parse(&o, depth, &err), VIRAL_ERR_INVALID);
  ck_assert_str_eq(err.message, "--max-depth must be from 1 to 16");
  const char *const eta[] = {"eta", "x", NULL}; /* read whichever learner runs */
  ck_assert_int_eq(parse(&o, eta, &err), VIRAL_ERR_INVALID);
  ck_assert_str_eq(err.message, "--eta needs a number, not 'x'");
  const char *const big_eta[] = {"learner", "gbt", "eta", "2", NULL};
  ck_assert_int_eq(parse(&o, big_eta, &err), VIRAL_ERR_INVALID);
  ck_assert_str_eq(err.message, "eta must be a number in (0, 1]");
  const char *const seed[] = {"seed", "-1", NULL};
  ck_assert_int_eq(parse(&o, seed, &err), VIRAL_ERR_INVALID);
  ck_assert_str_eq(err.message, "--seed must be from 0 to 4294967295");
}
END_TEST

START_TEST(tune_grids) {
  viral_train_options o;
  viral_error err;
  viral_tune_grid g;
  const char *const none[] = {NULL};
  ck_assert_int_eq(parse(&o, none, &err), VIRAL_OK);
  ck_assert_int_eq(viral_tune_grid_parse(&o, lookup, (void *)none, &g, &err), VIRAL_OK);
  ck_assert_uint_eq(g.count, 1); /* the batch optimum: C */
  ck_assert_str_eq(g.axes[0].name, "C");
  ck_assert_uint_eq(g.axes[0].count, 13);
  ck_assert_int_eq(viral_tune_grid_parse(&o, lookup, (void *)(const char *const[]){"alpha-grid", "1", NULL}, &g, &err),
                   VIRAL_ERR_INVALID);
  ck_assert_str_eq(err.message, "--alpha-grid does not apply to the logistic learner with these options (it tunes C)");
  const char *const online[] = {"passes", "1", NULL};
  ck_assert_int_eq(parse(&o, online, &err), VIRAL_OK);
  ck_assert_int_eq(viral_tune_grid_parse(&o, lookup, (void *)none, &g, &err), VIRAL_OK);
  ck_assert_uint_eq(g.count, 3);
  ck_assert_str_eq(g.axes[0].name, "alpha");
  ck_assert_uint_eq(g.axes[0].count, 6);
  ck_assert_uint_eq(g.axes[2].count, 3);
  const char *const alphas[] = {"alpha-grid", "0,1", NULL}; /* (still --passes 1) */
  ck_assert_int_eq(viral_tune_grid_parse(&o, lookup, (void *)alphas, &g, &err), VIRAL_ERR_INVALID);
  ck_assert_str_eq(err.message, "--alpha-grid values must be > 0");

  const char *const linear[] = {"learner", "svm", "gamma", "0.25", "log2c", "-1,3,2", NULL};
  ck_assert_int_eq(parse(&o, linear, &err), VIRAL_OK);
  ck_assert_int_eq(viral_tune_grid_parse(&o, lookup, (void *)linear, &g, &err), VIRAL_OK);
  ck_assert_uint_eq(g.count, 2);
  ck_assert_uint_eq(g.axes[0].count, 3);
  ck_assert(g.axes[0].values[0] == 0.5 && g.axes[0].values[2] == 8);
  ck_assert_int_eq(g.axes[1].searched, 0); /* the linear kernel's gamma is held */
  ck_assert(g.axes[1].count == 1 && g.axes[1].values[0] == 0.25);
  const char *const rbf[] = {"learner", "svm", "kernel", "rbf", "log2g", "1,2", NULL};
  ck_assert_int_eq(parse(&o, rbf, &err), VIRAL_OK);
  ck_assert_int_eq(viral_tune_grid_parse(&o, lookup, (void *)rbf, &g, &err), VIRAL_ERR_INVALID);
  ck_assert_str_eq(err.message, "--log2g must be BEGIN,END,STEP on the log2 scale with at most 32 points, "
                                "such as -5,15,2");

  /* every value must make parameters the learner takes */
  const char *const trees[] = {"learner", "gbt", "max-depth-grid", "2,3.5", NULL};
  ck_assert_int_eq(parse(&o, trees, &err), VIRAL_OK);
  ck_assert_int_eq(viral_tune_grid_parse(&o, lookup, (void *)none, &g, &err), VIRAL_OK);
  ck_assert_uint_eq(g.count, 3);
  ck_assert_str_eq(g.axes[0].name, "max-depth");
  ck_assert(g.axes[0].count == 2 && g.axes[1].count == 2 && g.axes[2].count == 2);
  ck_assert_int_eq(viral_tune_grid_parse(&o, lookup, (void *)trees, &g, &err), VIRAL_ERR_INVALID);
  ck_assert_str_eq(err.message, "--max-depth-grid: 3.5 is not a value of max-depth");
  const char *const etas[] = {"eta-grid", "0.1,1.5", NULL};
  ck_assert_int_eq(viral_tune_grid_parse(&o, lookup, (void *)etas, &g, &err), VIRAL_ERR_INVALID);
  ck_assert_str_eq(err.message, "--eta-grid: eta must be a number in (0, 1]");

  viral_tune_metric m;
  ck_assert_int_eq(viral_tune_metric_parse("logloss", &m), VIRAL_OK);
  ck_assert_int_eq(m, VIRAL_TUNE_LOG_LOSS);
  ck_assert_int_eq(viral_tune_metric_parse("f1", &m), VIRAL_ERR_INVALID);
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("learner");
  TCase *tc = tcase_create("learner");
  tcase_add_test(tc, the_table);
  tcase_add_test(tc, options_listed_once_in_order);
  tcase_add_test(tc, parsing_keeps_the_chosen_learners_options);
  tcase_add_test(tc, parsing_refuses_with_the_reason);
  tcase_add_test(tc, tune_grids);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return test_main(make_suite()); }
