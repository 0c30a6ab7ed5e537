/* test_text.c - the shared text helpers (io/text.h): copies and JSON string
 * literals, escaped as cJSON escapes them; and the one array grower
 * (io/array.h). */
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/array.h"
#include "io/text.h"
#include "viral/writer.h"
#include "testutil.h"

static int file_emit(void *ctx, const char *text, size_t len) {
  return fwrite(text, 1, len, ctx) == len ? 0 : -1;
}

/* json_string_emit of the len bytes at s, as a new string (caller frees). */
static char *literal(const char *s, size_t len) {
  char *text = NULL;
  size_t n = 0;
  FILE *f = open_memstream(&text, &n);
  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(json_string_emit(s, len, file_emit, f), 0);
  fclose(f);
  return text;
}

START_TEST(escapes_as_cjson_does) {
  char *t = literal("a\"b\\c\b\f\n\r\t\x01\x1f/\xc3\xa9", 15);
  ck_assert_str_eq(t, "\"a\\\"b\\\\c\\b\\f\\n\\r\\t\\u0001\\u001f/\xc3\xa9\"");
  free(t);
  /* a NUL inside the bytes is a character like any control byte */
  t = literal("x\0y", 3);
  ck_assert_str_eq(t, "\"x\\u0000y\"");
  free(t);
  t = literal("", 0);
  ck_assert_str_eq(t, "\"\"");
  free(t);
  /* every byte from 1 to 127, alone and in a run, as cJSON prints it */
  char all[128];
  for (int c = 1; c < 128; c++) all[c - 1] = (char)c;
  all[127] = '\0';
  cJSON *s = cJSON_CreateString(all);
  char *want = cJSON_PrintUnformatted(s);
  t = literal(all, 127);
  ck_assert_str_eq(t, want);
  free(t);
  free(want);
  cJSON_Delete(s);
  for (int c = 1; c < 128; c++) {
    char one[2] = {(char)c, 0};
    s = cJSON_CreateString(one);
    want = cJSON_PrintUnformatted(s);
    t = literal(one, 1);
    ck_assert_msg(strcmp(t, want) == 0, "byte %d: %s, cJSON %s", c, t, want);
    free(t);
    free(want);
    cJSON_Delete(s);
  }
}
END_TEST

START_TEST(json_string_write_takes_a_c_string) {
  char *text = NULL;
  size_t n = 0;
  FILE *f = open_memstream(&text, &n);
  json_string_write(f, "tab\there");
  viral_json_write_string(f, "a\0b", 3); /* the public one takes bytes, NULs too */
  fclose(f);
  ck_assert_str_eq(text, "\"tab\\there\"\"a\\u0000b\"");
  free(text);
}
END_TEST

static int stop_at_second(void *ctx, const char *text, size_t len) {
  (void)text;
  (void)len;
  return ++*(int *)ctx == 2 ? -1 : 0;
}

START_TEST(emit_failure_stops) {
  int calls = 0;
  ck_assert_int_eq(json_string_emit("a\nb", 3, stop_at_second, &calls), -1);
  ck_assert_int_eq(calls, 2);
}
END_TEST

START_TEST(arrays_grow_by_half_and_refuse_overflow) {
  int *a = NULL;
  size_t cap = 0;
  ck_assert_int_eq(array_grow((void **)&a, &cap, 5, sizeof *a, 4), 0);
  ck_assert_uint_eq(cap, 7); /* 4, then 4 + 2 + 1 */
  a[6] = 42;
  ck_assert_int_eq(array_grow((void **)&a, &cap, 7, sizeof *a, 4), 0);
  ck_assert_uint_eq(cap, 7); /* room already: nothing moves */
  int *kept = a;
  ck_assert_int_eq(array_grow((void **)&a, &cap, SIZE_MAX / 2, sizeof *a, 4), -1);
  ck_assert_ptr_eq(a, kept); /* the byte count overflows: unchanged */
  ck_assert_uint_eq(cap, 7);
  ck_assert_int_eq(a[6], 42);
  free(a);
}
END_TEST

START_TEST(copies) {
  char *c = text_dup("video");
  ck_assert_str_eq(c, "video");
  free(c);
  ck_assert_ptr_null(text_dup(NULL));
  c = text_dup_len("abcdef", 3);
  ck_assert_str_eq(c, "abc");
  free(c);
  c = text_dup_len("", 0);
  ck_assert_str_eq(c, "");
  free(c);
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("text");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, escapes_as_cjson_does);
  tcase_add_test(tc, json_string_write_takes_a_c_string);
  tcase_add_test(tc, emit_failure_stops);
  tcase_add_test(tc, copies);
  tcase_add_test(tc, arrays_grow_by_half_and_refuse_overflow);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return test_main(make_suite()); }
