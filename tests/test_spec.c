/* test_spec.c - the feature spec: parsing, bad specs, the leakage guard,
 * label rule grammar, names, MurmurHash3 and serialization of an unfitted
 * pipeline (the parts that need no records). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "features/pipeline_json.h"
#include "testutil.h"
#include "viral/features.h"

static viral_pipeline *parse(const char *text, const viral_pipeline_options *opts,
                             viral_error *err) {
  viral_error_clear(err);
  return viral_pipeline_parse_spec("t.spec.json", text, strlen(text), opts, err);
}

/* Expect text to be refused with exactly message. */
static void refused(const char *text, const char *message) {
  viral_error err;
  viral_pipeline *p = parse(text, NULL, &err);
  ck_assert_msg(p == NULL, "spec accepted: %s", text);
  ck_assert_str_eq(err.message, message);
}

/* Reference values from tools/fixtures/murmur3.py (an independent Python
 * implementation); "" seed 1, "hello" and the fox are also the published
 * test vectors of MurmurHash3_x86_32. */
START_TEST(murmur3_known_values) {
  ck_assert_uint_eq(viral_murmur3_32("", 0, 0), 0);
  ck_assert_uint_eq(viral_murmur3_32("", 0, 1), 0x514e28b7u);
  ck_assert_uint_eq(viral_murmur3_32("hello", 5, 0), 0x248bfa47u);
  const char *fox = "The quick brown fox jumps over the lazy dog";
  ck_assert_uint_eq(viral_murmur3_32(fox, strlen(fox), 0), 0x2e4ff723u);
  ck_assert_uint_eq(viral_murmur3_32("hello", 5, 42), 0xe2dbd2e1u);
  ck_assert_uint_eq(viral_murmur3_32("fyp", 3, 42), 0x2845d518u);
  ck_assert_uint_eq(viral_murmur3_32("a", 1, 0), 0x3c2569b2u);
  ck_assert_uint_eq(viral_murmur3_32("ab", 2, 0), 0x9bbfd75fu);
  ck_assert_uint_eq(viral_murmur3_32("abc", 3, 0), 0xb3dd93fau);
}
END_TEST

START_TEST(default_spec_file_matches_builtin) {
  char path[4096];
  viral_error err;
  viral_pipeline *file = viral_pipeline_load_spec(
      test_repo_path(path, sizeof path, "datasets/default.spec.json"), NULL, &err);
  ck_assert_msg(file != NULL, "%s", err.message);
  viral_pipeline *builtin = viral_pipeline_load_spec(NULL, NULL, &err);
  ck_assert_msg(builtin != NULL, "%s", err.message);
  char *a = test_pipeline_json(file), *b = test_pipeline_json(builtin);
  ck_assert_str_eq(a, b);
  free(a);
  free(b);
  /* Layout: 2^18 buckets; the dense columns first, in spec order. */
  ck_assert_uint_eq(viral_pipeline_dim(builtin), 1u << 18);
  char name[128];
  viral_pipeline_feature_name(builtin, 0, name, sizeof name);
  ck_assert_str_eq(name, "log1p(views_2h)");
  viral_pipeline_feature_name(builtin, 1, name, sizeof name);
  ck_assert_str_eq(name, "missing(log1p(views_2h))");
  viral_pipeline_feature_name(builtin, 2, name, sizeof name);
  ck_assert_str_eq(name, "log1p(views_1h)");
  viral_pipeline_feature_name(builtin, 12, name, sizeof name);
  ck_assert_str_eq(name, "likes_2h/views_2h");
  ck_assert_str_eq(viral_pipeline_feature_group(builtin, 12), "numeric");
  /* 12 value features with indicators (24) + 8 log ratios with indicators
   * (16) + 2 clips, followers, duration with indicators (8) + 2 bools + hour
   * and weekday 2x(2+1) + 3 text = 59 */
  ck_assert_uint_eq(viral_pipeline_dense_count(builtin), 59);
  viral_pipeline_feature_name(builtin, 20, name, sizeof name);
  ck_assert_str_eq(name, "log_ratio(likes_2h,views_2h)");
  viral_pipeline_feature_name(builtin, 58, name, sizeof name);
  ck_assert_str_eq(name, "mentions(caption)");
  /* 0-45: 23 features with indicators; 46 verified; 47-48 duration; 49
   * music_original; 50-52 hour sin, cos, indicator */
  viral_pipeline_feature_name(builtin, 51, name, sizeof name);
  ck_assert_str_eq(name, "hour_cos(posted_at)");
  ck_assert_str_eq(viral_pipeline_feature_group(builtin, 51), "time");
  viral_pipeline_feature_name(builtin, 1000, name, sizeof name);
  ck_assert_str_eq(name, "hash[1000]");
  ck_assert_str_eq(viral_pipeline_label_rule(builtin), "viral");
  ck_assert_double_near(viral_pipeline_window_hours(builtin), 2, 0);
  ck_assert_int_eq(viral_pipeline_needs_fit(builtin), 1); /* standard scaling */
  ck_assert_int_eq(viral_pipeline_leaks(builtin), 0);
  viral_pipeline_free(file);
  viral_pipeline_free(builtin);
  viral_pipeline_free(NULL);
}
END_TEST

START_TEST(leakage_guard_refuses_late_fields) {
  const char *spec = "{\"window\": \"1h\", \"features\": ["
                     "{\"transform\": \"log1p\", \"field\": \"views_1h\", \"fill\": 0},"
                     "{\"transform\": \"log1p\", \"field\": \"views_24h\", \"fill\": 0}]}";
  refused(spec, "t.spec.json: features[1]: feature 'log1p(views_24h)' uses field 'views_24h' "
                "(observed at 24h) after the 1h window; --allow-leakage keeps it");
  refused("{\"window\": \"2h\", \"features\": [{\"transform\": \"identity\", \"field\": "
          "\"views_final\", \"fill\": 0}]}",
          "t.spec.json: features[0]: feature 'views_final' uses field 'views_final' (an outcome) "
          "after the 2h window; --allow-leakage keeps it");
  /* a field mapped as an outcome is refused too, even without a suffix */
  refused("{\"window\": \"2h\", \"fields\": {\"plays\": {\"from\": \"playCount\", \"parse\": "
          "\"count\", \"observed\": \"outcome\"}}, \"features\": [{\"transform\": \"log1p\", "
          "\"field\": \"plays\", \"fill\": 0}]}",
          "t.spec.json: features[0]: feature 'log1p(plays)' uses field 'plays' (an outcome) "
          "after the 2h window; --allow-leakage keeps it");
  viral_pipeline_options opts;
  viral_pipeline_options_init(&opts);
  opts.allow_leakage = 1;
  viral_error err;
  viral_pipeline *p = parse(spec, &opts, &err);
  ck_assert_msg(p != NULL, "%s", err.message);
  ck_assert_int_eq(viral_pipeline_leaks(p), 1);
  viral_pipeline_free(p);
  /* within the window: fine, and no leak reported */
  opts.allow_leakage = 1;
  p = parse("{\"window\": \"24h\", \"features\": [{\"transform\": \"log1p\", \"field\": "
            "\"views_24h\", \"fill\": 0}]}", &opts, &err);
  ck_assert_msg(p != NULL, "%s", err.message);
  ck_assert_int_eq(viral_pipeline_leaks(p), 0);
  viral_pipeline_free(p);
}
END_TEST

START_TEST(bad_specs_name_file_key_and_problem) {
  refused("{\"window\": \"2h\", \"features\": [{\"transform\": \"log2\", \"field\": \"views_1h\"}]}",
          "t.spec.json: features[0].transform: unknown transform 'log2'");
  refused("{\"window\": \"2h\", \"features\": [{\"transform\": \"log1p\", \"field\": \"foo\"}]}",
          "t.spec.json: features[0]: field 'foo' has no observation time: map it under \"fields\" "
          "with \"observed\" ('0h', '24h' or 'outcome')");
  refused("{\"window\": \"2h\",\n \"features\": [}", "t.spec.json:2: bad json near '}'");
  refused("", "t.spec.json:1: bad json: empty or cut short");
  /* an infinite number (1e999) anywhere aborted saving the spec (fuzz_spec) */
  refused("{\"window\": \"2h\", \"missing\": {\"fill\": 1e999}, \"features\": []}",
          "t.spec.json: missing.fill: number out of range (beyond +-1.8e308)");
  refused("{\"window\": \"2h\", \"features\": [{\"transform\": \"clip\", \"field\": "
          "\"views_1h\", \"min\": 0, \"max\": 1e999}]}",
          "t.spec.json: features[0].max: number out of range (beyond +-1.8e308)");
  refused("{\"note\": [1, -1e400], \"window\": \"2h\", \"features\": []}",
          "t.spec.json: note[1]: number out of range (beyond +-1.8e308)");
  /* a second key used to be ignored, and a duplicated number made saving the
   * spec loop forever (fuzz_spec; tests/fuzz/regressions/spec) */
  refused("{\"window\": \"2h\", \"hash_bits\": 8, \"hash_bits\": 9, \"features\": []}",
          "t.spec.json: hash_bits: given twice");
  refused("{\"window\": \"2h\", \"features\": [{\"transform\": \"log1p\", \"field\": "
          "\"views_1h\", \"field\": \"views_2h\"}]}",
          "t.spec.json: features[0].field: given twice");
  refused("{\"features\": []}\n{\"features\": []}", "t.spec.json:2: text after the json");
  refused("{\"window\": \"2h\", \"hash_bits\": \"18\", \"features\": []}",
          "t.spec.json: hash_bits: expected a number");
  refused("{\"window\": 2, \"features\": []}", "t.spec.json: window: expected a string");
  refused("{\"window\": \"2h\", \"features\": {}}", "t.spec.json: features: expected an array");
  refused("{\"window\": \"2h\", \"features\": [{\"transform\": \"log1p\", \"field\": 3}]}",
          "t.spec.json: features[0].field: expected a string");
  refused("{\"window\": \"2h\", \"features\": [{\"transform\": \"ratio\", \"fields\": "
          "[\"likes_1h\"]}]}",
          "t.spec.json: features[0].fields: expected an array of 2 field names");
  refused("{\"window\": \"2h\", \"features\": [{\"transform\": \"log1p\", \"field\": "
          "\"views_1h\", \"fil\": 0}]}",
          "t.spec.json: features[0].fil: unknown key");
  refused("{\"window\": \"2h\", \"features\": [{\"transform\": \"log1p\", \"field\": "
          "\"caption\"}]}",
          "t.spec.json: features[0]: transform 'log1p' needs a numeric field, and 'caption' is "
          "parsed as text");
  refused("{\"window\": \"2h\", \"fields\": {\"x\": {\"parse\": \"hex\"}}, \"features\": []}",
          "t.spec.json: fields.x.parse: unknown parse rule 'hex' (number, count, duration, bool, "
          "timestamp, text, list, regex)");
  refused("{\"window\": \"2h\", \"fields\": {\"id\": {\"from\": \"url\", \"regex\": \"[0-9]+\", "
          "\"observed\": \"0h\"}}, \"features\": []}",
          "t.spec.json: fields.id.regex: the regex needs a capture group");
  refused("{\"window\": \"2h\", \"scaling\": \"z\", \"features\": []}",
          "t.spec.json: scaling: expected 'none', 'standard' or 'minmax', not 'z'");
  refused("{\"window\": \"2h\", \"features\": [{\"transform\": \"clip\", \"field\": "
          "\"views_1h\", \"min\": 5, \"max\": 1}]}",
          "t.spec.json: features[0]: clip needs numbers \"min\" <= \"max\"");
  refused("{\"features\": []}", "t.spec.json: window: missing (e.g. \"window\": \"2h\")");
  refused("{\"window\": \"2h\", \"hash_bits\": 1, \"features\": [{\"transform\": \"log1p\", "
          "\"field\": \"views_1h\", \"fill\": 0, \"indicator\": true}, {\"transform\": \"hash\", "
          "\"field\": \"music_id\"}]}",
          "t.spec.json: hash_bits: 2^1 buckets leave no room for hashed features after 2 dense "
          "columns");
  /* more buckets than the logistic learner holds: refused at load, not
   * after training a model score cannot read */
  refused("{\"window\": \"2h\", \"hash_bits\": 31, \"features\": [{\"transform\": \"hash\", "
          "\"field\": \"music_id\"}]}",
          "t.spec.json: hash_bits: expected a whole number from 1 to 24");
  refused("{\"window\": \"2h\", \"hash_bits\": 25, \"features\": []}",
          "t.spec.json: hash_bits: expected a whole number from 1 to 24");
  refused("[1]", "t.spec.json: (top): expected a JSON object");
  /* JSON paths are checked when the spec loads, not on the first record */
  refused("{\"window\": \"2h\", \"fields\": {\"caption\": {\"from\": \"challenges[first].title\"}}, "
          "\"features\": []}",
          "t.spec.json: fields.caption.from: json path 'challenges[first].title': '[first]' is not an "
          "array step: [] or [N], N from 0 to 1000000000");
  refused("{\"window\": \"2h\", \"input\": {\"json_path\": \"data.videos[\"}, \"features\": []}",
          "t.spec.json: input.json_path: json path 'data.videos[': '[' without ']'");
  viral_error err;
  ck_assert_ptr_null(viral_pipeline_load_spec("/nonexistent/x.json", NULL, &err));
  ck_assert_str_eq(err.message, "/nonexistent/x.json: cannot open: No such file or directory");
}
END_TEST

/* Regression (shared/repro/spec-error-overread): the "bad json near ..."
 * message quoted 20 bytes from wherever cJSON stopped, past the end of a
 * buffer that has no NUL (a heap overflow under ASan, stray heap bytes in the
 * message otherwise). Each file is parsed from a buffer of exactly its size,
 * and loaded from its path (a larger buffer, not NUL-terminated either). */
START_TEST(json_errors_quote_only_the_spec_text) {
  static const struct {
    const char *file, *message;
  } cases[] = {
      {"spec_open_brace.json", ":1: bad json near '{'"},
      {"cut.spec.json", ":1: bad json near '}'"},
      {"fuzz-crash-00311de9def146bbee7d8cfe7e4fef21910e2556",
       ":47: bad json near '\"separator\"\\n  ]\\n}\\n'"},
      {"fuzz-crash-00e53169cc0b83bccaaef532709350d126a4146b",
       ":23: bad json near '\\xa3\\xf5\\x82\\xfe'"},
      {"fuzz-crash-0149c5627e63622b08a8d34b0e53bf291a56b8e9", "bad json near 'naordmes'"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char rel[256], path[4096];
    snprintf(rel, sizeof rel, "tests/data/repro/spec-error-overread/%s", cases[i].file);
    test_repo_path(path, sizeof path, rel);
    size_t len = 0;
    char *text = test_read_file(path, &len);
    ck_assert_ptr_nonnull(text);
    char *exact = malloc(len ? len : 1);
    memcpy(exact, text, len);
    viral_error err;
    viral_error_clear(&err);
    viral_pipeline *p = viral_pipeline_parse_spec("t.spec.json", exact, len, NULL, &err);
    ck_assert_msg(p == NULL, "%s accepted", cases[i].file);
    ck_assert_msg(strstr(err.message, cases[i].message) != NULL, "%s: %s", cases[i].file,
                  err.message);
    viral_error_clear(&err);
    ck_assert_ptr_null(viral_pipeline_load_spec(path, NULL, &err));
    ck_assert_msg(strstr(err.message, cases[i].message) != NULL, "%s: %s", cases[i].file,
                  err.message);
    free(exact);
    free(text);
  }
}
END_TEST

START_TEST(label_rules_parse) {
  const char *base = "{\"window\": \"2h\", \"label\": \"%s\", \"features\": [{\"transform\": "
                     "\"log1p\", \"field\": \"views_1h\", \"fill\": 0}]}";
  char text[512];
  viral_error err;
  struct {
    const char *rule;
    double threshold; /* NAN: none */
    int needs_fit;
  } ok[] = {{"viral", NAN, 0},
            {"views_final>=1000000", 1000000, 0},
            {"views_final<5", 5, 0},
            {"ratio:views_48h/views_2h>=10", 10, 0},
            {"top:10%:views_final", NAN, 1},
            {"", NAN, 0}};
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    snprintf(text, sizeof text, base, ok[i].rule);
    viral_pipeline *p = parse(text, NULL, &err);
    ck_assert_msg(p != NULL, "%s: %s", ok[i].rule, err.message);
    ck_assert_str_eq(viral_pipeline_label_rule(p), ok[i].rule);
    if (isnan(ok[i].threshold)) ck_assert(isnan(viral_pipeline_label_threshold(p)));
    else ck_assert_double_near(viral_pipeline_label_threshold(p), ok[i].threshold, 0);
    ck_assert_int_eq(viral_pipeline_needs_fit(p), ok[i].needs_fit);
    viral_pipeline_free(p);
  }
  const char *bad[] = {"views_final>=", "top:0%:views_final", "top:10:views_final",
                       "ratio:views_48h>=10", "caption", "views_final=>3", "top:200%:x_final"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    snprintf(text, sizeof text, base, bad[i]);
    ck_assert_ptr_null(parse(text, NULL, &err));
    char want[512];
    snprintf(want, sizeof want, "t.spec.json: label: bad label rule '%s' (FIELD, FIELD>=N, "
                                "top:P%%:FIELD or ratio:A/B>=N, on numeric fields)", bad[i]);
    ck_assert_str_eq(err.message, want);
  }
  /* --label overrides the spec and is what the stored spec says */
  viral_pipeline_options opts;
  viral_pipeline_options_init(&opts);
  opts.label = "likes_final>10";
  snprintf(text, sizeof text, base, "viral");
  viral_pipeline *p = parse(text, &opts, &err);
  ck_assert_msg(p != NULL, "%s", err.message);
  ck_assert_str_eq(viral_pipeline_label_rule(p), "likes_final>10");
  char *json = test_pipeline_json(p);
  ck_assert_ptr_nonnull(strstr(json, "\"label\":\"likes_final>10\""));
  free(json);
  viral_pipeline_free(p);
}
END_TEST

START_TEST(unfitted_round_trip) {
  viral_error err;
  viral_pipeline *p = viral_pipeline_load_spec(NULL, NULL, &err);
  ck_assert_ptr_nonnull(p);
  char *a = test_pipeline_json(p);
  cJSON *j = cJSON_Parse(a);
  viral_pipeline *q = viral_pipeline_from_json(j, "m.json", &err);
  ck_assert_msg(q != NULL, "%s", err.message);
  char *b = test_pipeline_json(q);
  ck_assert_str_eq(a, b);
  ck_assert_int_eq(viral_pipeline_is_fitted(q), 0);
  /* shape checks on load */
  cJSON_DeleteItemFromArray(cJSON_GetObjectItem(j, "scaling"), 0);
  ck_assert_ptr_null(viral_pipeline_from_json(j, "m.json", &err));
  ck_assert_str_eq(err.message, "m.json: pipeline: scaling has the wrong number of columns");
  cJSON_Delete(j);
  free(a);
  free(b);
  viral_pipeline_free(p);
  viral_pipeline_free(q);
}
END_TEST

/* A spec with one field mapped by regex re (a C string, JSON-escaped here). */
static viral_pipeline *regex_spec(const char *re, viral_error *err) {
  char text[2048];
  char escaped[1024];
  size_t o = 0;
  for (const char *c = re; *c && o + 2 < sizeof escaped; c++) {
    if (*c == '\\' || *c == '"') escaped[o++] = '\\';
    escaped[o++] = *c;
  }
  escaped[o] = '\0';
  snprintf(text, sizeof text,
           "{\"window\": \"0h\", \"hash_bits\": 8, \"fields\": {\"vid\": {\"from\": \"url\", "
           "\"regex\": \"%s\", \"observed\": \"0h\"}}, \"features\": [{\"transform\": \"hash\", "
           "\"field\": \"vid\"}]}", escaped);
  return parse(text, NULL, err);
}

/* Regression (shared/repro/regex-hang): back-references made scoring run for
 * minutes on 80 bytes, and bounded repeats let regcomp() take gigabytes
 * ("(.{0,1000}){0,1000}": 6 GB in 20 s). Both are refused at load, quickly:
 * this test case has a 10 s timeout. */
START_TEST(regex_limits) {
  static const char *const fine[] = {
      "/video/([0-9]+)", "^https?://([^/]+)", "([0-9]{19})",
      "([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})",
      "([\\1])",   /* in a bracket expression a backslash is itself */
      "(a\\.b)",   /* an escaped dot, not a back-reference */
      "(a{,5})",   /* GNU {,n} */
      "(a{,})",    /* GNU {,}: a star */
      "((.{0,15}){0,15})x", /* 15 * (15 + 1) + 1 + 1 = 242 elements */
  };
  for (size_t i = 0; i < sizeof fine / sizeof fine[0]; i++) {
    viral_error err;
    viral_pipeline *p = regex_spec(fine[i], &err);
    ck_assert_msg(p != NULL, "%s: %s", fine[i], err.message);
    viral_pipeline_free(p);
  }
  static const struct {
    const char *re, *why;
  } refused_re[] = {
      {"(.*)(.*)(.*)\\3\\2\\1x", "back-references (\\3) are not supported"},
      {"(a)\\1", "back-references (\\1) are not supported"},
      {"(.{0,1000}){0,1000}x", "too large once its repeats are expanded (more than 256 elements)"},
      {"((a{0,100}){0,100})", "too large once its repeats are expanded"},
      {"(((a{0,7}){0,7}){0,7})", "too large once its repeats are expanded"},
      {"(a{99999999999999999999})", "too large once its repeats are expanded"},
      {"(.{257})", "too large once its repeats are expanded"},
  };
  for (size_t i = 0; i < sizeof refused_re / sizeof refused_re[0]; i++) {
    viral_error err;
    viral_pipeline *p = regex_spec(refused_re[i].re, &err);
    ck_assert_msg(p == NULL, "%s accepted", refused_re[i].re);
    ck_assert_msg(strstr(err.message, "t.spec.json: fields.vid.regex: regular expression '") ==
                      err.message && strstr(err.message, refused_re[i].why),
                  "%s: %s", refused_re[i].re, err.message);
  }
  char longest[300];
  memset(longest, 'a', sizeof longest - 1);
  longest[0] = '(';
  longest[2] = ')';
  longest[sizeof longest - 1] = '\0';
  viral_error err;
  ck_assert_ptr_null(regex_spec(longest, &err));
  ck_assert_msg(strstr(err.message, "longer than 256 bytes"), "%s", err.message);
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("spec");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, murmur3_known_values);
  tcase_add_test(tc, default_spec_file_matches_builtin);
  tcase_add_test(tc, leakage_guard_refuses_late_fields);
  tcase_add_test(tc, bad_specs_name_file_key_and_problem);
  tcase_add_test(tc, json_errors_quote_only_the_spec_text);
  tcase_add_test(tc, label_rules_parse);
  tcase_add_test(tc, unfitted_round_trip);
  suite_add_tcase(s, tc);
  TCase *limits = tcase_create("limits");
  tcase_set_timeout(limits, 10);
  tcase_add_test(limits, regex_limits);
  suite_add_tcase(s, limits);
  return s;
}

int main(void) { return test_main(make_suite()); }
