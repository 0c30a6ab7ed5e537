/* test_describe.c - per-field statistics: type inference, missing, distinct,
 * min/median/max. Inputs are small files in memory read by the real reader;
 * expected values are worked out by hand in the comments. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "viral/describe.h"
#include "viral/reader.h"

/* Describe data (format given) and return the finished description. */
static viral_describe *describe_text(const char *name, const char *data, viral_format format) {
  viral_reader_options opts;
  viral_reader_options_init(&opts);
  opts.format = format;
  viral_error err;
  viral_error_clear(&err);
  viral_reader *r = viral_reader_open_memory(name, data, strlen(data), &opts, &err);
  ck_assert_msg(r != NULL, "open: %s", err.message);
  viral_describe *d = viral_describe_create();
  ck_assert_ptr_nonnull(d);
  const viral_record *rec;
  int rc;
  while ((rc = viral_reader_next(r, &rec, &err)) == 1)
    ck_assert_int_eq(viral_describe_add(d, rec, &err), VIRAL_OK);
  ck_assert_msg(rc == 0, "read: %s", err.message);
  ck_assert_int_eq(viral_describe_finish(d, &err), VIRAL_OK);
  viral_reader_free(r);
  return d;
}

static const viral_field_summary *field(const viral_describe *d, const char *name) {
  for (size_t i = 0; i < viral_describe_field_count(d); i++)
    if (strcmp(viral_describe_field(d, i)->name, name) == 0) return viral_describe_field(d, i);
  ck_abort_msg("no field %s", name);
  return NULL;
}

static void assert_range(const viral_field_summary *s, double min, double median, double max) {
  ck_assert_msg(s->has_range, "%s has no range", s->name);
  ck_assert_double_near(s->min, min, 0);
  ck_assert_double_near(s->median, median, 0);
  ck_assert_double_near(s->max, max, 0);
}

START_TEST(csv_types_missing_and_ranges) {
  const char *csv =
      "b,n,c,d,t,l,x,z,zeros\n"
      "true,1.5,1.4M,01:05,2026-03-02T18:05:00Z,a|b,hello,,0\n"
      "False,2,3K,30,1772560800,c,world,,0\n"
      ",-3,7,1:00:00,2026-03-04 00:00:00,d|e,1,,0\n"
      "true,10,7,00:30,2026-03-04T00:00:00Z,,hello,,0\n";
  viral_describe *d = describe_text("t.csv", csv, VIRAL_FORMAT_CSV);
  ck_assert_uint_eq(viral_describe_rows(d), 4);
  ck_assert_uint_eq(viral_describe_field_count(d), 9);
  /* file order */
  ck_assert_str_eq(viral_describe_field(d, 0)->name, "b");
  ck_assert_str_eq(viral_describe_field(d, 8)->name, "zeros");

  const viral_field_summary *s = field(d, "b");
  ck_assert_str_eq(viral_field_type_name(s->type), "bool");
  ck_assert_uint_eq(s->missing, 1);
  ck_assert_uint_eq(s->distinct, 2); /* "true" twice, "False" */
  ck_assert_int_eq(s->has_range, 0);

  s = field(d, "n"); /* sorted -3, 1.5, 2, 10: median (1.5 + 2) / 2 */
  ck_assert_str_eq(viral_field_type_name(s->type), "number");
  assert_range(s, -3, 1.75, 10);

  s = field(d, "c"); /* 7, 7, 3000, 1400000 */
  ck_assert_str_eq(viral_field_type_name(s->type), "count");
  ck_assert_uint_eq(s->distinct, 3);
  assert_range(s, 7, (7 + 3000) / 2.0, 1400000);

  s = field(d, "d"); /* 30, 30, 65, 3600 seconds */
  ck_assert_str_eq(viral_field_type_name(s->type), "duration");
  assert_range(s, 30, (30 + 65) / 2.0, 3600);

  /* 2026-03-02T18:05:00Z = 1772474700; 1772560800 = 2026-03-03T18:00:00Z;
   * 2026-03-04 00:00:00 (naive, taken as UTC) = 1772582400, twice. */
  s = field(d, "t");
  ck_assert_str_eq(viral_field_type_name(s->type), "timestamp");
  assert_range(s, 1772474700, (1772560800.0 + 1772582400.0) / 2, 1772582400);
  ck_assert_uint_eq(s->distinct, 4); /* distinct by text: the same instant written two ways */

  s = field(d, "l");
  ck_assert_str_eq(viral_field_type_name(s->type), "list");
  ck_assert_uint_eq(s->missing, 1);
  ck_assert_int_eq(s->has_range, 0);

  s = field(d, "x");
  ck_assert_str_eq(viral_field_type_name(s->type), "text");
  ck_assert_uint_eq(s->distinct, 3);

  s = field(d, "z");
  ck_assert_str_eq(viral_field_type_name(s->type), "empty");
  ck_assert_uint_eq(s->missing, 4);
  ck_assert_uint_eq(s->distinct, 0);

  s = field(d, "zeros"); /* only 0s: a number, not a bool */
  ck_assert_str_eq(viral_field_type_name(s->type), "number");
  assert_range(s, 0, 0, 0);
  viral_describe_free(d);
}
END_TEST

START_TEST(plain_zero_one_is_bool_only_with_both) {
  const char *csv = "a,b,c\n0,1,1\n1,1,2\n0,1,0\n";
  viral_describe *d = describe_text("t.csv", csv, VIRAL_FORMAT_CSV);
  ck_assert_int_eq(field(d, "a")->type, VIRAL_FIELD_BOOL);
  ck_assert_int_eq(field(d, "b")->type, VIRAL_FIELD_NUMBER);
  ck_assert_int_eq(field(d, "c")->type, VIRAL_FIELD_NUMBER);
  viral_describe_free(d);
}
END_TEST

START_TEST(text_with_blanks_is_not_a_list) {
  /* tags of up to three words make a list; a title with a comma and a
   * longer phrase stays text */
  const char *csv = "tags,title\n\"a, b c d\",\"well hello there you, world\"\nc,plain\n";
  viral_describe *d = describe_text("t.csv", csv, VIRAL_FORMAT_CSV);
  ck_assert_int_eq(field(d, "tags")->type, VIRAL_FIELD_LIST);
  ck_assert_int_eq(field(d, "title")->type, VIRAL_FIELD_TEXT);
  viral_describe_free(d);
}
END_TEST

/* 100 rows of tags: one with a long item (a phrase) is tolerated, two are not;
 * a column of URLs where 1 in 20 has a comma is text. */
START_TEST(list_tolerates_one_in_a_hundred) {
  size_t size = 100 * 128 + 64, used = 0;
  char *csv = malloc(size);
  ck_assert_ptr_nonnull(csv);
  used += (size_t)snprintf(csv + used, size - used, "one_long,two_long,url\n");
  for (int i = 0; i < 100; i++)
    used += (size_t)snprintf(csv + used, size - used, "\"%s\",\"%s\",\"http://x.org/%d%s\"\n",
                             i == 7 ? "fyp, a very long tag" : "fyp, dance",
                             i == 7 || i == 8 ? "fyp, a very long tag" : "fyp, dance", i,
                             i % 20 == 0 ? ",a" : "");
  viral_describe *d = describe_text("t.csv", csv, VIRAL_FORMAT_CSV);
  ck_assert_int_eq(field(d, "one_long")->type, VIRAL_FIELD_LIST);
  ck_assert_int_eq(field(d, "two_long")->type, VIRAL_FIELD_TEXT);
  ck_assert_int_eq(field(d, "url")->type, VIRAL_FIELD_TEXT);
  viral_describe_free(d);
  free(csv);
}
END_TEST

START_TEST(jsonl_kinds_and_late_fields) {
  const char *jsonl =
      "{\"id\":\"a\",\"n\":3,\"ok\":true,\"tags\":[\"x\",\"y\"]}\n"
      "{\"id\":\"b\",\"n\":null,\"ok\":false,\"tags\":[\"x\"],\"late\":5}\n"
      "{\"id\":\"c\",\"n\":1,\"late\":\"2.5K\"}\n";
  viral_describe *d = describe_text("t.jsonl", jsonl, VIRAL_FORMAT_JSONL);
  ck_assert_uint_eq(viral_describe_rows(d), 3);
  ck_assert_uint_eq(viral_describe_field_count(d), 5);
  ck_assert_str_eq(viral_describe_field(d, 4)->name, "late"); /* first seen last */
  const viral_field_summary *s = field(d, "n");
  ck_assert_int_eq(s->type, VIRAL_FIELD_NUMBER);
  ck_assert_uint_eq(s->missing, 1);
  assert_range(s, 1, 2, 3);
  s = field(d, "ok");
  ck_assert_int_eq(s->type, VIRAL_FIELD_BOOL);
  ck_assert_uint_eq(s->missing, 1);
  s = field(d, "tags");
  ck_assert_int_eq(s->type, VIRAL_FIELD_LIST);
  ck_assert_uint_eq(s->distinct, 2);
  s = field(d, "late"); /* absent from the first row: missing there */
  ck_assert_int_eq(s->type, VIRAL_FIELD_COUNT);
  ck_assert_uint_eq(s->missing, 1);
  assert_range(s, 5, 1252.5, 2500);
  s = field(d, "id");
  ck_assert_int_eq(s->type, VIRAL_FIELD_TEXT);
  viral_describe_free(d);
}
END_TEST

/* min, median and max as exact text. */
static void assert_exact_range(const viral_field_summary *s, const char *min, const char *median,
                               const char *max) {
  ck_assert_msg(s->has_range, "%s has no range", s->name);
  ck_assert_str_eq(s->min_text, min);
  ck_assert_str_eq(s->median_text, median);
  ck_assert_str_eq(s->max_text, max);
}

/* Whole numbers keep every digit in min, median and max, from JSON numbers
 * and CSV cells alike, within 64 bits; ids a double cannot tell apart count
 * as distinct values. (Before, 7455000000000007918, ...7919 and ...7920 all
 * read as the double 7455000000000008192: one distinct value, and a range
 * printed as 7.455e+18.) */
START_TEST(whole_numbers_keep_their_digits) {
  const char *jsonl =
      "{\"id\":7455000000000007919,\"n\":-5,\"u\":9223372036854775808,\"f\":1.5,\"mix\":-1}\n"
      "{\"id\":7455000000000007920,\"n\":-2,\"u\":18446744073709551615,\"f\":2,\"mix\":9223372036854775808}\n"
      "{\"id\":7455000000000008192,\"n\":3,\"u\":1,\"f\":3,\"mix\":1}\n"
      "{\"id\":7455000000000007918,\"n\":-4,\"u\":2,\"f\":4,\"mix\":2}\n";
  viral_describe *d = describe_text("t.jsonl", jsonl, VIRAL_FORMAT_JSONL);
  const viral_field_summary *s = field(d, "id");
  ck_assert_int_eq(s->type, VIRAL_FIELD_NUMBER);
  ck_assert_uint_eq(s->distinct, 4);
  assert_exact_range(s, "7455000000000007918", "7455000000000007919.5", "7455000000000008192");
  ck_assert(s->min == 7455000000000007918.0);
  assert_exact_range(field(d, "n"), "-5", "-3", "3");
  /* past INT64_MAX with no negative value: unsigned */
  assert_exact_range(field(d, "u"), "1", "4611686018427387905", "18446744073709551615");
  /* a fraction, or a negative with a value past INT64_MAX: doubles, no text */
  s = field(d, "f");
  assert_exact_range(s, "", "", "");
  assert_range(s, 1.5, 2.5, 4);
  s = field(d, "mix");
  assert_exact_range(s, "", "", "");
  assert_range(s, -1, 1.5, 9223372036854775808.0);
  viral_describe_free(d);
  d = describe_text("t.csv", "id,neg\n 7455000000000007919 ,-2\n7455000000000007920,-1\n", VIRAL_FORMAT_CSV);
  assert_exact_range(field(d, "id"), "7455000000000007919", "7455000000000007919.5", "7455000000000007920");
  assert_exact_range(field(d, "neg"), "-2", "-1.5", "-1");
  viral_describe_free(d);
}
END_TEST

/* n rows of "id,half": id all distinct, half taking n/2 values. */
static char *distinct_csv(size_t n) {
  char *csv = malloc(n * 24 + 16), *p = csv;
  ck_assert_ptr_nonnull(csv);
  p += sprintf(p, "id,half\n");
  for (size_t i = 0; i < n; i++) p += sprintf(p, "k%zu,%zu\n", i, i / 2);
  return csv;
}

START_TEST(distinct_exact_up_to_the_bound) {
  size_t n = VIRAL_DESCRIBE_EXACT_DISTINCT;
  char *csv = distinct_csv(n);
  viral_describe *d = describe_text("t.csv", csv, VIRAL_FORMAT_CSV);
  const viral_field_summary *s = field(d, "id");
  ck_assert_int_eq(s->distinct_exact, 1);
  ck_assert_uint_eq(s->distinct, n);
  s = field(d, "half");
  ck_assert_int_eq(s->distinct_exact, 1);
  ck_assert_uint_eq(s->distinct, n / 2);
  /* 0,0,1,1,...: median of n values is the mean of the two middle ones */
  assert_range(s, 0, ((n / 2 - 1) / 2 + (n / 2) / 2) / 2.0, n / 2 - 1);
  viral_describe_free(d);
  free(csv);
}
END_TEST

START_TEST(distinct_estimated_beyond_the_bound) {
  size_t n = 200000;
  char *csv = distinct_csv(n);
  viral_describe *d = describe_text("t.csv", csv, VIRAL_FORMAT_CSV);
  const viral_field_summary *s = field(d, "id");
  ck_assert_int_eq(s->distinct_exact, 0);
  /* 2^14 registers: standard error 1.04/128 = 0.81%; allow 4 sigma */
  ck_assert_msg(fabs((double)s->distinct - (double)n) <= 0.0325 * (double)n, "estimate %zu of %zu",
                s->distinct, n);
  s = field(d, "half"); /* 100000 distinct: estimated too */
  ck_assert_int_eq(s->distinct_exact, 0);
  ck_assert_msg(fabs((double)s->distinct - n / 2.0) <= 0.0325 * (n / 2.0), "estimate %zu",
                s->distinct);
  viral_describe_free(d);
  free(csv);
}
END_TEST

START_TEST(empty_input_and_free_null) {
  /* fields are learned from records: a header alone gives none */
  viral_describe *d = describe_text("t.csv", "a,b\n", VIRAL_FORMAT_CSV);
  ck_assert_uint_eq(viral_describe_rows(d), 0);
  ck_assert_uint_eq(viral_describe_field_count(d), 0);
  viral_describe_free(d);
  viral_describe_free(NULL);
}
END_TEST

/* The writers (viral_describe_write_text, _json): the table and the JSON
 * document of a small file, as `viral describe` prints them. */
START_TEST(writers_table_and_json) {
  viral_describe *d = describe_text("w.csv", "id,t,n\n7,2026-03-02T18:05:00Z,1.5\n9007199254740993,,2\n",
                                    VIRAL_FORMAT_CSV);
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  viral_error err;
  ck_assert_int_eq(viral_describe_write_text(d, "w.csv", VIRAL_FORMAT_CSV, f, &err), VIRAL_OK);
  fclose(f);
  ck_assert_str_eq(text, "w.csv: 2 rows, 3 fields (csv)\n\n"
                         "field  type       missing  distinct                   min                median                   max\n"
                         "id     number           0         2                     7      4503599627370500      9007199254740993\n"
                         "t      timestamp        1         1  2026-03-02T18:05:00Z  2026-03-02T18:05:00Z  2026-03-02T18:05:00Z\n"
                         "n      number           0         2                   1.5                  1.75                     2\n");
  free(text);
  f = open_memstream(&text, &len);
  ck_assert_int_eq(viral_describe_write_json(d, "w.csv", VIRAL_FORMAT_CSV, 3, f, &err), VIRAL_OK);
  fclose(f);
  ck_assert_msg(strstr(text, "\"file\":\t\"w.csv\",\n\t\"format\":\t\"csv\",\n\t\"rows\":\t2,\n\t\"skipped\":\t3,"), "%s", text);
  ck_assert_msg(strstr(text, "\"max\":\t9007199254740993\n"), "%s", text); /* the digits, not the double */
  ck_assert_msg(strstr(text, "\"earliest\":\t\"2026-03-02T18:05:00Z\""), "%s", text);
  free(text);
  viral_describe_free(d);
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("describe");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, csv_types_missing_and_ranges);
  tcase_add_test(tc, plain_zero_one_is_bool_only_with_both);
  tcase_add_test(tc, text_with_blanks_is_not_a_list);
  tcase_add_test(tc, list_tolerates_one_in_a_hundred);
  tcase_add_test(tc, whole_numbers_keep_their_digits);
  tcase_add_test(tc, jsonl_kinds_and_late_fields);
  tcase_add_test(tc, distinct_exact_up_to_the_bound);
  tcase_add_test(tc, distinct_estimated_beyond_the_bound);
  tcase_add_test(tc, empty_input_and_free_null);
  tcase_add_test(tc, writers_table_and_json);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return test_main(make_suite()); }
