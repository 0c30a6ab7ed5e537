/* test_value.c - the value parsers of viral/record.h. Expected values are
 * worked out by hand in the comments (timestamps were cross-checked with
 * Python's datetime). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "viral/record.h"

static double num(const char *s) {
  double x = -12345;
  ck_assert_msg(viral_parse_number(s, strlen(s), &x) == VIRAL_OK, "number '%s' refused", s);
  return x;
}
static int num_bad(const char *s) {
  double x;
  return viral_parse_number(s, strlen(s), &x) == VIRAL_ERR_PARSE;
}
static double count(const char *s) {
  double x = -12345;
  ck_assert_msg(viral_parse_count(s, strlen(s), &x) == VIRAL_OK, "count '%s' refused", s);
  return x;
}
static int count_bad(const char *s) {
  double x;
  return viral_parse_count(s, strlen(s), &x) == VIRAL_ERR_PARSE;
}
static double dur(const char *s) {
  double x = -12345;
  ck_assert_msg(viral_parse_duration(s, strlen(s), &x) == VIRAL_OK, "duration '%s' refused", s);
  return x;
}
static int dur_bad(const char *s) {
  double x;
  return viral_parse_duration(s, strlen(s), &x) == VIRAL_ERR_PARSE;
}
static int boolean(const char *s) {
  int b = -1;
  ck_assert_msg(viral_parse_bool(s, strlen(s), &b) == VIRAL_OK, "bool '%s' refused", s);
  return b;
}
static int bool_bad(const char *s) {
  int b;
  return viral_parse_bool(s, strlen(s), &b) == VIRAL_ERR_PARSE;
}
static double ts(const char *s, int offset) {
  double x = -12345;
  ck_assert_msg(viral_parse_timestamp(s, strlen(s), offset, &x) == VIRAL_OK,
                "timestamp '%s' refused", s);
  return x;
}
static int ts_bad(const char *s) {
  double x;
  return viral_parse_timestamp(s, strlen(s), 0, &x) == VIRAL_ERR_PARSE;
}

START_TEST(numbers) {
  ck_assert(num("42") == 42);
  ck_assert(num("  -3.25\t") == -3.25);
  ck_assert(num("+7") == 7);
  ck_assert(num("0.1") == 0.1);
  ck_assert(num("1e3") == 1000);
  ck_assert(num("2.5E-3") == 0.0025);
  ck_assert(num(".5") == 0.5);
  ck_assert(num("5.") == 5);
  ck_assert(num("123456789012345678901234567890") == 123456789012345678901234567890.0);
  ck_assert(num("1.7976931348623157e308") == 1.7976931348623157e308);
  ck_assert(num("4.9e-324") == 4.9e-324);
  ck_assert(signbit(num("-0")));
  /* a slice: the digits after len are not part of the number */
  double x;
  ck_assert_int_eq(viral_parse_number("12345", 2, &x), VIRAL_OK);
  ck_assert(x == 12);
  ck_assert(num_bad(""));
  ck_assert(num_bad("   "));
  ck_assert(num_bad("abc"));
  ck_assert(num_bad("1.2.3"));
  ck_assert(num_bad("12abc"));
  ck_assert(num_bad("1 2"));
  ck_assert(num_bad("1,234")); /* thousands separators only in counts */
  ck_assert(num_bad("inf"));
  ck_assert(num_bad("nan"));
  ck_assert(num_bad("0x10"));
  ck_assert(num_bad("1e999")); /* not finite */
  ck_assert(num_bad("1e"));
  ck_assert(num_bad("-"));
  ck_assert(num_bad("."));
}
END_TEST

START_TEST(counts) {
  ck_assert(count("1.4M") == 1400000); /* exactly: 14 * 10^5, not 1.4 * 1e6 */
  ck_assert(count("541.2K") == 541200);
  ck_assert(count("63.6K videos") == 63600);
  ck_assert(count("1 videos") == 1);
  ck_assert(count("2B") == 2e9);
  ck_assert(count("2b") == 2e9);
  ck_assert(count("30k") == 30000);
  ck_assert(count("1.4m") == 1400000);
  ck_assert(count("304.9K") == 304900);
  ck_assert(count("0.5K") == 500);
  ck_assert(count(" 1098 ") == 1098);
  ck_assert(count("1,234") == 1234);
  ck_assert(count("1,234,567") == 1234567);
  ck_assert(count("12,345.5") == 12345.5);
  ck_assert(count("7.5M views") == 7500000);
  ck_assert(count("+5") == 5);
  ck_assert(count("0") == 0);
  ck_assert(count_bad("-5"));
  ck_assert(count_bad("-1.4M"));
  ck_assert(count_bad(""));
  ck_assert(count_bad("K"));
  ck_assert(count_bad("1.4X"));
  ck_assert(count_bad("1.4MM"));
  ck_assert(count_bad("1.4 M")); /* a lone multiplier word is not a harmless unit */
  ck_assert(count_bad("2 million"));
  ck_assert(count_bad("3 videos extra"));
  ck_assert(count_bad("1,23"));
  ck_assert(count_bad("12,34,567"));
  ck_assert(count_bad("1234,567"));
  ck_assert(count_bad("1e3")); /* exponents are not how counts are written */
  ck_assert(count_bad("N/A"));
}
END_TEST

START_TEST(durations) {
  ck_assert(dur("45") == 45);
  ck_assert(dur("21.5") == 21.5);
  ck_assert(dur("00:31") == 31);
  ck_assert(dur("02:55") == 175);
  ck_assert(dur("1:02:03") == 3723); /* 3600 + 120 + 3 */
  ck_assert(dur("90:00") == 5400);   /* minutes beyond an hour stay minutes */
  ck_assert(dur("0:00:01.25") == 1.25);
  ck_assert(dur(" 3:07 ") == 187);
  ck_assert(dur_bad(""));
  ck_assert(dur_bad("1:60"));
  ck_assert(dur_bad("1:61:00"));
  ck_assert(dur_bad("1:2:3:4"));
  ck_assert(dur_bad("-5"));
  ck_assert(dur_bad("1.5:00")); /* a fraction only on the last part */
  ck_assert(dur_bad("1::2"));
  ck_assert(dur_bad(":30"));
  ck_assert(dur_bad("30:"));
  ck_assert(dur_bad("3m"));
}
END_TEST

START_TEST(booleans) {
  ck_assert_int_eq(boolean("1"), 1);
  ck_assert_int_eq(boolean("0"), 0);
  ck_assert_int_eq(boolean("true"), 1);
  ck_assert_int_eq(boolean("True"), 1);
  ck_assert_int_eq(boolean("TRUE"), 1);
  ck_assert_int_eq(boolean("false"), 0);
  ck_assert_int_eq(boolean("False"), 0);
  ck_assert_int_eq(boolean("yes"), 1);
  ck_assert_int_eq(boolean("no"), 0);
  ck_assert_int_eq(boolean(" 1.0 "), 1);
  ck_assert(bool_bad(""));
  ck_assert(bool_bad("2"));
  ck_assert(bool_bad("t"));
  ck_assert(bool_bad("truth"));
  ck_assert(bool_bad("0.5"));
}
END_TEST

START_TEST(timestamps) {
  /* 2026-03-02: 56 years after 1970 with 14 leap days (1972..2024) is day
   * 20454 on Jan 1, + 31 (Jan) + 28 (Feb) + 1 = 20514; 20514 * 86400 =
   * 1772409600, + 18:05 = 65100 s. */
  ck_assert(ts("2026-03-02T18:05:00Z", 0) == 1772474700);
  ck_assert(ts("2026-03-02T18:05:00z", 0) == 1772474700);
  ck_assert(ts("2026-03-02T18:05:00.250Z", 0) == 1772474700.25);
  ck_assert(ts("2026-03-02T20:05:00+02:00", 0) == 1772474700);
  ck_assert(ts("2026-03-02T13:35:00-0430", 0) == 1772474700);
  ck_assert(ts("2026-03-02T18:05Z", 0) == 1772474700);
  ck_assert(ts("2026-03-02 18:05:00", 0) == 1772474700);
  /* naive times are taken at the given offset: 18:05 at UTC+7 is 11:05Z */
  ck_assert(ts("2026-03-02 18:05:00", 7 * 60) == 1772474700 - 7 * 3600);
  /* an explicit zone wins over the offset */
  ck_assert(ts("2026-03-02T18:05:00Z", 7 * 60) == 1772474700);
  /* the tiktok-vn files: 2025-05-21 23:44:45+07:00 is 16:44:45Z */
  ck_assert(ts("2025-05-21 23:44:45+07:00", 0) == 1747845885);
  /* reddit's hourly form: 2023-12-30 14:00Z */
  ck_assert(ts("2023-12-30T14", 0) == 1703944800);
  ck_assert(ts("2024-02-29", 0) == 1709164800);
  ck_assert(ts("2000-02-29T12:00:00Z", 0) == 951825600);
  ck_assert(ts("1970-01-01T00:00:00Z", 0) == 0);
  ck_assert(ts("1969-12-31T23:59:59Z", 0) == -1);
  ck_assert(ts("1900-03-01", 0) == -2203891200.0);
  ck_assert(ts("1606325682", 0) == 1606325682);
  ck_assert(ts(" 1606325682.5 ", 0) == 1606325682.5);
  ck_assert(ts_bad(""));
  ck_assert(ts_bad("2023-02-29"));  /* 2023 is not a leap year */
  ck_assert(ts_bad("1900-02-29"));  /* nor is 1900 */
  ck_assert(ts_bad("2024-02-30"));
  ck_assert(ts_bad("2024-13-01"));
  ck_assert(ts_bad("2024-00-10"));
  ck_assert(ts_bad("2024-04-31"));
  ck_assert(ts_bad("2024-01-01T24:00:00"));
  ck_assert(ts_bad("2024-01-01T10:60"));
  ck_assert(ts_bad("2024-01-01T10:00:60"));
  ck_assert(ts_bad("2024-01-01T10:00:00+25:00"));
  ck_assert(ts_bad("2024-01-01T10:00:00.Z"));
  ck_assert(ts_bad("2024-01-01T10:00:00 junk"));
  ck_assert(ts_bad("2024-1-5"));
  ck_assert(ts_bad("4/14/2025 12:43"));
  ck_assert(ts_bad("yesterday"));
}
END_TEST

START_TEST(times_out_of_range_and_the_shared_calendar) {
  double x;
  /* epoch milliseconds (2023-11-14T22:13:20Z) are not read as seconds of
   * the year 55871: refused with their own status */
  ck_assert_int_eq(viral_parse_timestamp("1700000000000", 13, 0, &x), VIRAL_ERR_LIMIT);
  ck_assert_int_eq(viral_parse_timestamp("32503680000", 11, 0, &x), VIRAL_ERR_LIMIT); /* 3000-01-01 */
  ck_assert(ts("32503679999", 0) == 32503679999.0);
  ck_assert(ts("-30610224000", 0) == VIRAL_TIME_MIN); /* 1000-01-01 */
  ck_assert(ts("1000-01-01", 0) == VIRAL_TIME_MIN);
  ck_assert(ts("2999-12-31T23:59:59Z", 0) == VIRAL_TIME_MAX - 1);
  ck_assert(ts_bad("3000-01-01"));
  ck_assert(ts_bad("0999-12-31"));
  /* the calendar every parser shares */
  ck_assert_int_eq(viral_civil_time(2026, 3, 2, 18, 5, 0, 0, &x), VIRAL_OK);
  ck_assert(x == 1772474700);
  ck_assert_int_eq(viral_civil_time(2026, 3, 2, 18, 5, 0, 120, &x), VIRAL_OK);
  ck_assert(x == 1772474700 - 7200);
  ck_assert_int_eq(viral_civil_time(2026, 2, 31, 0, 0, 0, 0, &x), VIRAL_ERR_PARSE);
  ck_assert_int_eq(viral_civil_time(2023, 2, 29, 0, 0, 0, 0, &x), VIRAL_ERR_PARSE);
  ck_assert_int_eq(viral_civil_time(2024, 2, 29, 0, 0, 0, 0, &x), VIRAL_OK);
  ck_assert_int_eq(viral_civil_time(2024, 1, 1, 24, 0, 0, 0, &x), VIRAL_ERR_PARSE);
  ck_assert_int_eq(viral_civil_time(2024, 1, 1, 0, 0, 60, 0, &x), VIRAL_ERR_PARSE);
  ck_assert_int_eq(viral_civil_time(56973, 1, 1, 0, 0, 0, 0, &x), VIRAL_ERR_LIMIT);
  /* formatting is its inverse */
  char buf[32];
  ck_assert_str_eq(viral_format_timestamp(buf, 1772474700), "2026-03-02T18:05:00Z");
  ck_assert_str_eq(viral_format_timestamp(buf, -1.5), "1969-12-31T23:59:58Z");
  ck_assert_str_eq(viral_format_timestamp(buf, VIRAL_TIME_MIN), "1000-01-01T00:00:00Z");
  ck_assert_str_eq(viral_format_timestamp(buf, 1.7e12), "1700000000000");
}
END_TEST

/* viral_parse_interval into *out; -1 when refused. */
static double interval(const char *s, char bare, char unit) {
  double x;
  return viral_parse_interval(s, strlen(s), bare, unit, &x) == VIRAL_OK ? x : -1;
}

START_TEST(intervals) {
  ck_assert(interval("2h", 'h', 'h') == 2);
  ck_assert(interval("2", 'h', 'h') == 2);
  ck_assert(interval("90m", 'h', 'h') == 90 * (60.0 / 3600));
  ck_assert(interval("1d", 'h', 'h') == 24);
  ck_assert(interval("30s", 'h', 'h') == 30 * (1.0 / 3600));
  ck_assert(interval("7d", 's', 's') == 604800);
  ck_assert(interval("90", 's', 's') == 90);
  ck_assert(interval("1.5h", 's', 's') == 5400);
  ck_assert(interval("0", 'h', 'h') == 0);
  ck_assert(interval("1e1h", 'h', 'h') == 10);
  const char *bad[] = {"", "h", "-1h", "+1h", "1 h", " 1h", "1w", "0x10", "inf", "nan", "1hh", "1,5h"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    ck_assert_msg(interval(bad[i], 'h', 'h') == -1, "'%s' accepted", bad[i]);
}
END_TEST

START_TEST(lists) {
  viral_strview items[8];
  const char *s = " #fyp, dance|renegade  ,,#  x ";
  size_t n = viral_parse_list(s, strlen(s), NULL, items, 8);
  ck_assert_uint_eq(n, 4);
  ck_assert(items[0].len == 3 && memcmp(items[0].ptr, "fyp", 3) == 0);
  ck_assert(items[1].len == 5 && memcmp(items[1].ptr, "dance", 5) == 0);
  ck_assert(items[2].len == 8 && memcmp(items[2].ptr, "renegade", 8) == 0);
  ck_assert(items[3].len == 1 && memcmp(items[3].ptr, "x", 1) == 0);
  /* more items than room: the count is still the total */
  ck_assert_uint_eq(viral_parse_list("a b c d", 7, " ", items, 2), 4);
  ck_assert(items[1].len == 1 && items[1].ptr[0] == 'b');
  /* a separator set without ' ' keeps inner blanks */
  s = "hip hop, lo fi";
  n = viral_parse_list(s, strlen(s), ",", items, 8);
  ck_assert_uint_eq(n, 2);
  ck_assert(items[0].len == 7 && memcmp(items[0].ptr, "hip hop", 7) == 0);
  ck_assert(items[1].len == 5 && memcmp(items[1].ptr, "lo fi", 5) == 0);
  ck_assert_uint_eq(viral_parse_list("", 0, NULL, items, 8), 0);
  ck_assert_uint_eq(viral_parse_list(" , | ", 5, NULL, items, 8), 0);
}
END_TEST

/* The plain-decimal fast path ([-]digits[.digits], at most 19 digits and a
 * mantissa up to 2^53) must give the very double the general path gives.
 * glibc's strtod, correctly rounded, is the independent reference; the
 * cases sit on the fast path's edges and around them. */
static void same_as_strtod(const char *s) {
  double want = strtod(s, NULL), got = num(s);
  ck_assert_msg(memcmp(&got, &want, sizeof got) == 0, "'%s': %.17g, strtod %.17g", s, got, want);
  if (s[0] != '-') { /* counts and durations take the same unsigned cells */
    double c = count(s), d = dur(s);
    ck_assert_msg(memcmp(&c, &want, sizeof c) == 0, "count '%s': %.17g", s, c);
    ck_assert_msg(memcmp(&d, &want, sizeof d) == 0, "duration '%s': %.17g", s, d);
  }
}

START_TEST(plain_decimals) {
  static const char *const edges[] = {
      "0", "7", "-0", "-0.0", "0.1", "0.3", "2.675", "21.5", "0.6726", "-3.25", "5.",
      "9007199254740992",   /* 2^53: the largest mantissa taken directly */
      "9007199254740993",   /* 2^53 + 1: general path, rounds to even */
      "9007199254740.993", "0.9007199254740993", "1234567890123456789", /* 19 digits */
      "12345678901234567890", /* 20 digits: general path */
      "0.0000000000000000001", "0.00000000000000000001", "000000000000000000001.5",
      "1767225600", "123456.7890123456789", "4503599627370497.5", "0.30000000000000004",
  };
  for (size_t i = 0; i < sizeof edges / sizeof *edges; i++) same_as_strtod(edges[i]);
  ck_assert(signbit(num("-0.0")));
  /* a deterministic spread: 1-19 digits, the dot anywhere (linear congruential) */
  uint64_t state = 88172645463325252u;
  for (int k = 0; k < 20000; k++) {
    char buf[32];
    state = state * 6364136223846793005u + 1442695040888963407u;
    int digits = 1 + (int)(state >> 59) % 19, dot = (int)(state >> 40) % (digits + 1);
    size_t o = 0;
    if (state & 1) buf[o++] = '-';
    for (int d = 0; d < digits; d++) {
      if (d == dot && d > 0) buf[o++] = '.';
      state = state * 6364136223846793005u + 1442695040888963407u;
      buf[o++] = (char)('0' + (state >> 60) % 10);
    }
    buf[o] = '\0';
    same_as_strtod(buf);
  }
  /* a leading dot stays a number but not a duration, and booleans 0/1 */
  ck_assert(num(".5") == 0.5);
  ck_assert(dur_bad(".5"));
  ck_assert(dur_bad("-5"));
  ck_assert_int_eq(boolean("1"), 1);
  ck_assert_int_eq(boolean("0"), 0);
}
END_TEST

static Suite *make_suite(void) {
  Suite *s = suite_create("value");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, numbers);
  tcase_add_test(tc, plain_decimals);
  tcase_add_test(tc, counts);
  tcase_add_test(tc, durations);
  tcase_add_test(tc, booleans);
  tcase_add_test(tc, timestamps);
  tcase_add_test(tc, times_out_of_range_and_the_shared_calendar);
  tcase_add_test(tc, intervals);
  tcase_add_test(tc, lists);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return test_main(make_suite()); }
