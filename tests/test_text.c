/* test_text.c - the shared text helpers (io/text.h): copies and JSON string
 * literals, escaped as cJSON escapes them; and the one array grower
 * (io/array.h). */
#include <cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/array.h"
#include "io/spill.h"
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

START_TEST(pool_copies_stay_put) {
  text_pool pool = {0};
  char *kept[5000];
  char want[32];
  for (int i = 0; i < 5000; i++) { /* more than one block of copies */
    int n = snprintf(want, sizeof want, "v%d", i * 7919);
    ck_assert_ptr_nonnull(kept[i] = text_pool_dup(&pool, want, (size_t)n));
  }
  char *empty = text_pool_dup(&pool, "", 0);
  size_t long_len = TEXT_POOL_BLOCK; /* longer than a block: one of its own */
  char *long_text = malloc(long_len);
  memset(long_text, 'x', long_len);
  char *big = text_pool_dup(&pool, long_text, long_len);
  char *after = text_pool_dup(&pool, "after", 5);
  for (int i = 0; i < 5000; i++) {
    snprintf(want, sizeof want, "v%d", i * 7919);
    ck_assert_str_eq(kept[i], want);
  }
  ck_assert_str_eq(empty, "");
  ck_assert_uint_eq(strlen(big), long_len);
  ck_assert_int_eq(memcmp(big, long_text, long_len), 0);
  ck_assert_str_eq(after, "after");
  free(long_text);
  text_pool_release(&pool);
  ck_assert_ptr_null(pool.blocks);
}
END_TEST

/* The resident KiB of the mapping that holds p (/proc/self/smaps), -1 when
 * none does. */
static long mapping_rss_kb(const void *p) {
  FILE *f = fopen("/proc/self/smaps", "r");
  ck_assert_ptr_nonnull(f);
  char line[512];
  int inside = 0;
  long rss = -1;
  while (fgets(line, sizeof line, f)) {
    unsigned long lo, hi;
    if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
      inside = (uintptr_t)p >= lo && (uintptr_t)p < hi;
      continue;
    }
    if (inside && sscanf(line, "Rss: %ld kB", &rss) == 1) break;
  }
  fclose(f);
  return rss;
}

START_TEST(arrays_spill_to_a_file_and_let_go) {
  setenv("VIRAL_SPILL_FROM_BYTES", "65536", 1); /* this test's process only (Check forks) */
  viral_spill *s = NULL;
  uint64_t *a = NULL;
  size_t cap = 0, n = (size_t)32 << 20 >> 3; /* 32 MiB of values */
  for (size_t i = 0; i < n; i++) {
    ck_assert_int_eq(spill_grow(&s, (void **)&a, &cap, i + 1, sizeof *a, 64), 0);
    a[i] = i * 2654435761u;
    spill_touched(s, a + i, sizeof *a);
  }
  ck_assert(spill_in_file(s));
  ck_assert_uint_ge(cap, n);
  /* written in order: a few MiB of it mapped, not 32 */
  long rss = mapping_rss_kb(a);
  ck_assert_int_ge(rss, 0);
  ck_assert_int_le(rss, 12 << 10);
  /* read back at random places, each said touched: the same bound, and
   * every value as written (the pages let go came back from the file) */
  uint64_t state = 7;
  for (size_t k = 0; k < 200000; k++) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    size_t i = (size_t)(state >> 20) % n;
    ck_assert_uint_eq(a[i], i * 2654435761u);
    spill_touched(s, a + i, sizeof *a);
  }
  ck_assert_int_le(mapping_rss_kb(a), 12 << 10);
  spill_let_go(s);
  ck_assert_int_le(mapping_rss_kb(a), 64);
  for (size_t i = 0; i < n; i += 4099) ck_assert_uint_eq(a[i], i * 2654435761u);
  spill_free(s, a);
  /* below the threshold an array stays on the heap */
  s = NULL;
  a = NULL;
  cap = 0;
  ck_assert_int_eq(spill_grow(&s, (void **)&a, &cap, 100, sizeof *a, 64), 0);
  ck_assert(!spill_in_file(s));
  spill_touched(s, a, 8); /* nothing for the heap */
  spill_let_go(s);
  spill_free(s, a);
}
END_TEST

START_TEST(a_spill_without_room_stays_on_the_heap) {
  setenv("VIRAL_SPILL_FROM_BYTES", "4096", 1);
  setenv("TMPDIR", "/nonexistent-viral-spill-dir", 1); /* no file can be made */
  viral_spill *s = NULL;
  uint32_t *a = NULL;
  size_t cap = 0;
  for (uint32_t i = 0; i < 100000; i++) {
    ck_assert_int_eq(spill_grow(&s, (void **)&a, &cap, i + 1, sizeof *a, 64), 0);
    a[i] = i;
  }
  ck_assert(!spill_in_file(s));
  for (uint32_t i = 0; i < 100000; i++) ck_assert_uint_eq(a[i], i);
  spill_free(s, a);
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
  tcase_add_test(tc, pool_copies_stay_put);
  tcase_add_test(tc, arrays_spill_to_a_file_and_let_go);
  tcase_add_test(tc, a_spill_without_room_stays_on_the_heap);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return test_main(make_suite()); }
