/* test_version.c - the version (viral/version.h) and the umbrella header:
 * this file includes viral/viral.h alone and reaches every module's API
 * through it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "viral/viral.h"

START_TEST(version_text_numbers_and_cli) {
  ck_assert_str_eq(viral_version(), VIRAL_VERSION);
  char want[64];
  snprintf(want, sizeof want, "%d.%d.%d", VIRAL_VERSION_MAJOR, VIRAL_VERSION_MINOR, VIRAL_VERSION_PATCH);
  ck_assert_str_eq(VIRAL_VERSION, want);
  ck_assert_int_eq(VIRAL_VERSION_NUMBER, VIRAL_VERSION_MAJOR * 10000 + VIRAL_VERSION_MINOR * 100 + VIRAL_VERSION_PATCH);
  /* --version prints it, for the tool and for each command */
  char *out, *err;
  snprintf(want, sizeof want, "viral %s\n", viral_version());
  ck_assert_int_eq(test_run_viral("--version", NULL, &out, &err), 0);
  ck_assert_str_eq(out, want);
  free(out), free(err);
  ck_assert_int_eq(test_run_viral("eval --version", NULL, &out, &err), 0);
  ck_assert_str_eq(out, want);
  free(out), free(err);
}
END_TEST

/* One call into each layer, through the umbrella header only. */
START_TEST(umbrella_reaches_every_module) {
  viral_error err;
  viral_error_clear(&err);
  ck_assert_str_eq(viral_format_name(VIRAL_FORMAT_CSV), "csv");
  viral_sparse v;
  viral_sparse_init(&v);
  viral_sparse_release(&v);
  viral_pipeline *p = viral_pipeline_load_spec(NULL, NULL, &err);
  ck_assert_ptr_nonnull(p);
  viral_train_options o;
  viral_train_options_init(&o);
  viral_model *m = viral_model_create(p, &o, &err);
  ck_assert_ptr_nonnull(m);
  viral_pipeline_free(p); /* the model keeps a copy */
  ck_assert_str_eq(viral_report_metric_name(VIRAL_REPORT_AUC), "roc_auc");
  viral_eval_options eo;
  viral_eval_options_init(&eo);
  viral_stream_options so;
  viral_stream_options_init(&so);
  viral_gen_params gp;
  viral_gen_params_init(&gp);
  viral_assemble_options ao;
  viral_assemble_options_init(&ao);
  viral_describe_free(viral_describe_create());
  viral_vw_writer_free(viral_vw_writer_create());
  viral_model_free(m);
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("version");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, version_text_numbers_and_cli);
  tcase_add_test(tc, umbrella_reaches_every_module);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return test_main(make_suite()); }
