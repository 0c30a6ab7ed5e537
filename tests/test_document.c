/* test_document.c - checked JSON documents: round trip and refusal of
 * damaged files, each with its message. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io/json_number.h"
#include "io/read_file.h"
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

/* A part that emits a JSON array of count numbers, one emit per number. */
typedef struct numbers_part {
  int count;
  int fail_at; /* return -1 at this number (-1: never) */
} numbers_part;

static int write_numbers(void *ctx, viral_text_emit emit, void *emit_ctx) {
  numbers_part *p = ctx;
  if (emit(emit_ctx, "[", 1)) return -1;
  for (int i = 0; i < p->count; i++) {
    if (i == p->fail_at) return -1;
    char text[32];
    int n = snprintf(text, sizeof text, "%s%d", i ? ", " : "", i * 7);
    if (emit(emit_ctx, text, (size_t)n)) return -1;
  }
  return emit(emit_ctx, "]", 1);
}

START_TEST(parts_are_written_in_place_and_checked) {
  char path[4200];
  snprintf(path, sizeof path, "%s/parts.json", dir);
  numbers_part np = {1000, -1};
  viral_document_part part = {write_numbers, &np};
  cJSON *doc = viral_document_create("viral-model", 2);
  cJSON *inner = cJSON_AddObjectToObject(doc, "learner");
  cJSON_AddItemToObject(inner, "table", viral_document_placeholder(0));
  cJSON_AddStringToObject(inner, "after", "x");
  viral_error err = {0};
  ck_assert_int_eq(viral_document_save_parts(doc, &part, 1, path, &err), VIRAL_OK);
  /* the same text as a tree holding the array would print (numbers in
   * cJSON's own spacing: "[0, 7, 14, ...]") */
  cJSON *tree = viral_document_create("viral-model", 2);
  cJSON *tinner = cJSON_AddObjectToObject(tree, "learner");
  cJSON *arr = cJSON_AddArrayToObject(tinner, "table");
  for (int i = 0; i < 1000; i++) cJSON_AddItemToArray(arr, cJSON_CreateNumber(i * 7));
  cJSON_AddStringToObject(tinner, "after", "x");
  char *want = cJSON_Print(tree), *text = test_read_file(path, NULL);
  size_t body = strlen(want) - 2; /* without "\n}" */
  ck_assert(strncmp(text, want, body) == 0);
  ck_assert_ptr_nonnull(strstr(text, "\"checksum\""));
  char *printed = viral_document_print_parts(doc, &part, 1, &err);
  ck_assert_str_eq(printed, want);
  free(printed);
  free(want);
  free(text);
  cJSON_Delete(tree);
  /* it loads, with checksum and versions 1 to 2 accepted */
  cJSON *back = viral_document_load_versions(path, "viral-model", 1, 2, &err);
  ck_assert_msg(back != NULL, "%s", err.message);
  const cJSON *table = cJSON_GetObjectItem(cJSON_GetObjectItem(back, "learner"), "table");
  ck_assert_int_eq(cJSON_GetArraySize(table), 1000);
  ck_assert_int_eq(cJSON_GetArrayItem(table, 999)->valueint, 6993);
  cJSON_Delete(back);
  ck_assert_ptr_null(viral_document_load(path, "viral-model", 1, &err));
  ck_assert_ptr_nonnull(strstr(err.message, "this viral reads version 1)"));
  ck_assert_ptr_null(viral_document_load_versions(path, "viral-model", 3, 4, &err));
  ck_assert_ptr_nonnull(strstr(err.message, "this viral reads versions 3 to 4)"));
  /* a part that fails leaves the file as it was */
  size_t before_len;
  char *before = test_read_file(path, &before_len);
  np.fail_at = 500;
  ck_assert_int_ne(viral_document_save_parts(doc, &part, 1, path, &err), VIRAL_OK);
  size_t after_len;
  char *after = test_read_file(path, &after_len);
  ck_assert_uint_eq(before_len, after_len);
  ck_assert(memcmp(before, after, before_len) == 0);
  free(before);
  free(after);
  cJSON_Delete(doc);
}
END_TEST

static const viral_document_key logistic_keys[] = {
    {"x", NULL, 0}, {"coordinates", NULL, 1}, {"y", NULL, 0}, {NULL, NULL, 0}};
static const viral_document_key split_keys[] = {
    {"format", NULL, 0}, {"version", NULL, 0}, {"pipeline", NULL, 0},
    {"logistic", logistic_keys, 0}, {"checksum", NULL, 0}, {NULL, NULL, 0}};
static const viral_document_key sample_keys[] = {
    {"format", NULL, 0}, {"version", NULL, 0}, {"third", NULL, 0}, {"tiny", NULL, 0},
    {"rule", NULL, 0}, {"checksum", NULL, 0}, {NULL, NULL, 0}};

/* Save doc (freed) to path and load it back with split_keys. */
static cJSON *save_and_load_known(cJSON *doc, const char *path, char **text, size_t *start,
                                  size_t *len) {
  viral_error err = {0};
  ck_assert_int_eq(viral_document_save(doc, path, &err), VIRAL_OK);
  cJSON_Delete(doc);
  cJSON *back = viral_document_load_known(path, "viral-model", 1, 2, split_keys, text, start, len,
                                          &err);
  ck_assert_msg(back != NULL, "%s", err.message);
  return back;
}

START_TEST(split_load_cuts_out_the_right_member) {
  /* Decoys: a "coordinates" key in another object, the same text inside a
   * string, and a bracket in a string before the real member. */
  char path[4200];
  snprintf(path, sizeof path, "%s/split.json", dir);
  cJSON *doc = viral_document_create("viral-model", 2);
  cJSON *pipe = cJSON_AddObjectToObject(doc, "pipeline");
  cJSON *decoy = cJSON_AddArrayToObject(pipe, "coordinates");
  cJSON_AddItemToArray(decoy, cJSON_CreateNumber(9));
  cJSON_AddStringToObject(pipe, "note", "\"coordinates\": [1]");
  cJSON *lr = cJSON_AddObjectToObject(doc, "logistic");
  cJSON_AddStringToObject(lr, "x", "]");
  cJSON *coords = cJSON_AddArrayToObject(lr, "coordinates");
  for (int r = 0; r < 2; r++) {
    cJSON *row = cJSON_CreateArray();
    cJSON_AddItemToArray(row, cJSON_CreateNumber(2 * r + 1));
    cJSON_AddItemToArray(row, cJSON_CreateNumber(2 * r + 2));
    cJSON_AddItemToArray(coords, row);
  }
  cJSON_AddNumberToObject(lr, "y", 1);
  viral_error err = {0};
  char *text = NULL;
  size_t start = 0, len = 0;
  cJSON *back = save_and_load_known(doc, path, &text, &start, &len);
  ck_assert_uint_eq(len, strlen("[[1, 2], [3, 4]]"));
  ck_assert(strncmp(text + start, "[[1, 2], [3, 4]]", len) == 0);
  const cJSON *cut = cJSON_GetObjectItem(cJSON_GetObjectItem(back, "logistic"), "coordinates");
  ck_assert(cJSON_IsArray(cut) && cJSON_GetArraySize(cut) == 0);
  ck_assert_int_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(back, "logistic"), "y")->valueint, 1);
  const cJSON *kept = cJSON_GetObjectItem(cJSON_GetObjectItem(back, "pipeline"), "coordinates");
  ck_assert_int_eq(cJSON_GetArrayItem(kept, 0)->valueint, 9);
  cJSON_Delete(back);
  /* the cut-out bytes are still under the checksum */
  text[start + 2] = '7';
  test_write_file(path, text);
  free(text);
  ck_assert_ptr_null(
      viral_document_load_known(path, "viral-model", 1, 2, split_keys, &text, &start, &len, &err));
  ck_assert_ptr_nonnull(strstr(err.message, "checksum mismatch"));
  ck_assert_ptr_null(text);
  /* no such member: the whole tree, len 0 */
  save_sample(path, sizeof path, "plain.json");
  back = viral_document_load_known(path, "viral-model", 1, 1, sample_keys, &text, &start, &len, &err);
  ck_assert_msg(back != NULL, "%s", err.message);
  ck_assert_uint_eq(len, 0);
  ck_assert(cJSON_GetObjectItem(back, "third")->valuedouble == 1.0 / 3.0);
  cJSON_Delete(back);
  free(text);
}
END_TEST

/* Unknown members, at the levels the keys describe, are parsed as null;
 * a value kept whole keeps whatever it holds; text the scan cannot follow is
 * left to cJSON, which says what is wrong. */
START_TEST(unknown_members_read_as_null) {
  char path[4200];
  snprintf(path, sizeof path, "%s/unknown.json", dir);
  cJSON *doc = viral_document_create("viral-model", 2);
  cJSON *lr = cJSON_AddObjectToObject(doc, "logistic");
  cJSON_AddStringToObject(lr, "x", "{\"y\": [");
  cJSON_AddItemToObject(lr, "later", cJSON_CreateIntArray((const int[]){1, 2, 3}, 3));
  cJSON *coords = cJSON_AddArrayToObject(lr, "coordinates");
  cJSON_AddItemToArray(coords, cJSON_CreateIntArray((const int[]){0, 5}, 2));
  cJSON *pipe = cJSON_AddObjectToObject(doc, "pipeline");
  cJSON_AddItemToObject(pipe, "later", cJSON_CreateIntArray((const int[]){4}, 1));
  cJSON_AddItemToObject(doc, "later", cJSON_CreateIntArray((const int[]){7, 8}, 2));
  viral_error err = {0};
  char *text = NULL;
  size_t start = 0, len = 0;
  cJSON *back = save_and_load_known(doc, path, &text, &start, &len);
  const cJSON *l = cJSON_GetObjectItem(back, "logistic");
  ck_assert_str_eq(cJSON_GetObjectItem(l, "x")->valuestring, "{\"y\": [");
  ck_assert(cJSON_IsNull(cJSON_GetObjectItem(l, "later")));
  ck_assert(cJSON_IsNull(cJSON_GetObjectItem(back, "later")));
  ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(back, "pipeline"), "later")), 1);
  ck_assert_uint_eq(len, strlen("[[0, 5]]"));
  cJSON_Delete(back);
  free(text);

  static const char *const broken[] = {
      "{\"format\": \"viral-model\", \"later\": [1, 2", "{\"format\" \"viral-model\"}", "[1]", "{\"a\": }",
  };
  for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
    test_write_file(path, broken[i]);
    ck_assert_ptr_null(viral_document_load_known(path, "viral-model", 1, 2, split_keys, &text, &start,
                                                 &len, &err));
    ck_assert_ptr_null(text);
    ck_assert_msg(strstr(err.message, "not valid JSON") || strstr(err.message, "not a viral-model"),
                  "%s: %s", broken[i], err.message);
  }
}
END_TEST

/* The size limit is checked on the file's real size before anything is
 * read: a 1.5 GiB file (sparse: it takes no disk) is refused at once. It
 * used to be read whole, the buffer doubling to 2 GiB, and only then
 * refused (a 1.15 GB checkpoint loaded in 3.4 GB). */
START_TEST(size_limit_is_checked_before_reading) {
  char path[4200];
  snprintf(path, sizeof path, "%s/huge.json", dir);
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(ftruncate(fileno(f), (off_t)1536 * 1024 * 1024), 0);
  fclose(f);
  viral_error err = {0};
  ck_assert_ptr_null(viral_document_load(path, "viral-model", 1, &err));
  ck_assert_msg(strstr(err.message, "huge.json: file larger than 1073741824 bytes"), "%s",
                err.message);
  remove(path);

  /* the reader itself, with a small limit: a regular file and a pipe */
  char *text = NULL;
  size_t len = 0;
  snprintf(path, sizeof path, "%s/small.txt", dir);
  test_write_file(path, "0123456789");
  ck_assert_int_eq(viral_read_file(path, 10, &text, &len, &err), VIRAL_OK);
  ck_assert_uint_eq(len, 10);
  ck_assert_str_eq(text, "0123456789");
  free(text);
  ck_assert_int_eq(viral_read_file(path, 9, &text, &len, &err), VIRAL_ERR_LIMIT);
  ck_assert_ptr_null(text);
  ck_assert_msg(strstr(err.message, "small.txt: file larger than 9 bytes"), "%s", err.message);

  char fifo[4200];
  snprintf(fifo, sizeof fifo, "%s/fifo", dir);
  remove(fifo);
  ck_assert_int_eq(mkfifo(fifo, 0600), 0);
  for (int over = 0; over <= 1; over++) {
    pid_t pid = fork();
    if (pid == 0) { /* the writer: 100000 bytes, the reader's limit or one more */
      FILE *w = fopen(fifo, "wb");
      static char block[100001];
      memset(block, 'x', sizeof block);
      size_t n = fwrite(block, 1, 100000 + (size_t)over, w);
      fclose(w);
      _exit(n == 100000 + (size_t)over ? 0 : 1);
    }
    int rc = viral_read_file(fifo, 100000, &text, &len, &err);
    waitpid(pid, NULL, 0);
    if (over) {
      ck_assert_int_eq(rc, VIRAL_ERR_LIMIT);
      ck_assert_ptr_null(text);
    } else {
      ck_assert_int_eq(rc, VIRAL_OK);
      ck_assert_uint_eq(len, 100000);
      free(text);
    }
  }
  remove(fifo);
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
  tcase_add_test(tc, parts_are_written_in_place_and_checked);
  tcase_add_test(tc, split_load_cuts_out_the_right_member);
  tcase_add_test(tc, unknown_members_read_as_null);
  tcase_add_test(tc, size_limit_is_checked_before_reading);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return test_main(make_suite()); }
