/* test_document.c - checked JSON documents: round trip and refusal of
 * damaged files, each with its message. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/json_number.h"
#include "model/document.h"
#include "testutil.h"

static char dir[4096];

static void setup(void) { test_tmpdir(dir, sizeof dir, "document"); }

/* A small document saved to NAME in the scratch directory; returns its path. */
static const char *save_sample(char *path, size_t size, const char *name) {
  snprintf(path, size, "%s/%s", dir, name);
  cJSON *doc = viral_document_create("viral-model", 1);
  cJSON_AddNumberToObject(doc, "third", 1.0 / 3.0);
  cJSON_AddNumberToObject(doc, "tiny", 5e-324);
  cJSON_AddStringToObject(doc, "rule", "views_final>=1000000");
  viral_error err = {0};
  ck_assert_int_eq(viral_document_save(doc, path, &err), VIRAL_OK);
  cJSON_Delete(doc);
  return path;
}

START_TEST(round_trip_is_exact) {
  char path[4200];
  save_sample(path, sizeof path, "m.json");
  viral_error err = {0};
  cJSON *doc = viral_document_load(path, "viral-model", 1, &err);
  ck_assert_msg(doc != NULL, "%s", err.message);
  ck_assert(cJSON_GetObjectItem(doc, "third")->valuedouble == 1.0 / 3.0);
  ck_assert(cJSON_GetObjectItem(doc, "tiny")->valuedouble == 5e-324);
  ck_assert_str_eq(cJSON_GetObjectItem(doc, "rule")->valuestring, "views_final>=1000000");
  ck_assert_ptr_null(cJSON_GetObjectItem(doc, "checksum"));
  cJSON_Delete(doc);
}
END_TEST

/* Load text written to a file and return the error message (static buffer). */
static const char *load_error(const char *text, const char *format, int version) {
  static viral_error err;
  char path[4200];
  snprintf(path, sizeof path, "%s/bad.json", dir);
  test_write_file(path, text);
  viral_error_clear(&err);
  cJSON *doc = viral_document_load(path, format, version, &err);
  ck_assert_ptr_null(doc);
  const char *msg = err.message + strlen(path) + 2; /* drop "PATH: " */
  ck_assert_msg(strncmp(err.message, path, strlen(path)) == 0, "message names the file: %s", err.message);
  return msg;
}

START_TEST(damaged_documents_are_refused) {
  char path[4200];
  save_sample(path, sizeof path, "good.json");
  char *good = test_read_file(path, NULL);
  ck_assert_ptr_nonnull(good);

  /* truncated in the middle */
  char *cut = strdup(good);
  cut[strlen(cut) / 2] = '\0';
  ck_assert_str_eq(load_error(cut, "viral-model", 1), "not valid JSON: truncated");
  free(cut);

  /* a value edited by hand */
  char *edited = strdup(good);
  char *rule = strstr(edited, "1000000");
  rule[0] = '2';
  ck_assert_str_eq(load_error(edited, "viral-model", 1),
                   "checksum mismatch: the file was changed or damaged");
  free(edited);

  ck_assert_str_eq(load_error(good, "viral-checkpoint", 1),
                   "not a viral-checkpoint file (no \"format\": \"viral-checkpoint\")");
  ck_assert_str_eq(load_error(good, "viral-model", 2),
                   "unsupported viral-model version (this viral reads version 2)");
  ck_assert_str_eq(load_error("{\"format\":\"viral-model\",\"version\":1}", "viral-model", 1),
                   "no checksum at the end of the file");
  ck_assert_str_eq(load_error("[1,2,3]", "viral-model", 1),
                   "not a viral-model file (no \"format\": \"viral-model\")");
  ck_assert_str_eq(load_error("", "viral-model", 1), "empty file");
  ck_assert_str_eq(load_error("{\"format\": oops}", "viral-model", 1), "not valid JSON near byte 11");
  free(good);

  viral_error err = {0};
  snprintf(path, sizeof path, "%s/absent.json", dir);
  ck_assert_ptr_null(viral_document_load(path, "viral-model", 1, &err));
  ck_assert_ptr_nonnull(strstr(err.message, "absent.json: cannot open: No such file or directory"));
}
END_TEST

START_TEST(numbers_cjson_would_round_keep_their_bits) {
  /* 0.1 + 0.2 prints as 0.3 with %.15g and cJSON accepts that: written as
   * exact raw text instead, it must come back bit for bit and keep the
   * checksum valid (the hash is over the bytes written, not a re-print). */
  char path[4200];
  snprintf(path, sizeof path, "%s/exact.json", dir);
  cJSON *doc = viral_document_create("viral-model", 1);
  double x = 0.1 + 0.2;
  ck_assert_int_eq(viral_json_add_number(doc, "x", x), 0);
  ck_assert_int_eq(viral_json_add_number(doc, "negzero", -0.0), 0);
  viral_error err = {0};
  ck_assert_int_eq(viral_document_save(doc, path, &err), VIRAL_OK);
  cJSON_Delete(doc);
  doc = viral_document_load(path, "viral-model", 1, &err);
  ck_assert_msg(doc != NULL, "%s", err.message);
  ck_assert(cJSON_GetObjectItem(doc, "x")->valuedouble == x);
  ck_assert(signbit(cJSON_GetObjectItem(doc, "negzero")->valuedouble));
  cJSON_Delete(doc);
}
END_TEST

START_TEST(any_edit_is_detected) {
  char path[4200];
  save_sample(path, sizeof path, "m.json");
  char *text = test_read_file(path, NULL);
  /* re-indenting changes bytes of the body: refused, as any edit is */
  char *tab = strchr(text, '\t');
  *tab = ' ';
  ck_assert_str_eq(load_error(text, "viral-model", 1),
                   "checksum mismatch: the file was changed or damaged");
  free(text);
}
END_TEST

START_TEST(fnv1a64_known_values) {
  /* Published FNV-1a 64 test vectors: "" and "a". */
  ck_assert(viral_fnv1a64("", 0) == 0xcbf29ce484222325ull);
  ck_assert(viral_fnv1a64("a", 1) == 0xaf63dc4c8601ec8cull);
  ck_assert(viral_fnv1a64("foobar", 6) == 0x85944171f73967e8ull);
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("document");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, setup, NULL);
  tcase_add_test(tc, round_trip_is_exact);
  tcase_add_test(tc, damaged_documents_are_refused);
  tcase_add_test(tc, numbers_cjson_would_round_keep_their_bits);
  tcase_add_test(tc, any_edit_is_detected);
  tcase_add_test(tc, fnv1a64_known_values);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return test_main(make_suite()); }
