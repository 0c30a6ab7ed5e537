/* value.c - the value parsers of viral/record.h: numbers, counts ("1.4M"),
 * durations ("mm:ss"), booleans, timestamps and lists, on byte slices.
 *
 * Decimal numbers are converted exactly: a mantissa below 2^53 and a power of
 * ten up to 22 are both exact doubles, so one multiplication or division
 * rounds correctly (Clinger's fast path); anything else goes through strtod
 * on a normalised copy. That makes "1.4M" exactly 1400000 instead of
 * 1.4 * 1e6 = 1399999.9999999998. */
#define _XOPEN_SOURCE 700 /* strptime */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "io/reader_internal.h"
#include "io/value_internal.h"
#include "viral/record.h"

static int is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}
static int is_digit(char c) { return c >= '0' && c <= '9'; }
static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

void value_trim(const char **s, size_t *len) {
  const char *p = *s, *e = *s + *len;
  while (p < e && is_blank(*p)) p++;
  while (e > p && is_blank(e[-1])) e--;
  *s = p;
  *len = (size_t)(e - p);
}

int value_is_blank(const char *s, size_t len) {
  for (size_t i = 0; i < len; i++)
    if (!is_blank(s[i])) return 0;
  return 1;
}

/* Length of the valid UTF-8 character at s (at most len bytes), 0 when the
 * bytes there are not one. */
static size_t utf8_sequence_length(const char *s, size_t len) {
  unsigned char c = (unsigned char)s[0];
  size_t k = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
  return k && k <= len && utf8_valid(s, k) ? k : 0;
}

void value_quote(char *out, size_t size, const char *s, size_t len, size_t max) {
  size_t n = len, o = 0;
  int cut = 0;
  if (n > max) {
    n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) n--;
    cut = 1;
  }
  for (size_t i = 0; i < n && o + 8 < size; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '\n') o += (size_t)snprintf(out + o, size - o, "\\n");
    else if (c == '\t') o += (size_t)snprintf(out + o, size - o, "\\t");
    else if (c == '\r') o += (size_t)snprintf(out + o, size - o, "\\r");
    else if (c < 0x20 || c == 0x7f) o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
    else if (c < 0x80) out[o++] = (char)c;
    else {
      size_t k = utf8_sequence_length(s + i, n - i);
      if (k == 0) {
        o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
        continue;
      }
      if (o + k + 8 >= size) break;
      memcpy(out + o, s + i, k);
      o += k;
      i += k - 1;
    }
  }
  if (cut && o + 4 < size) {
    memcpy(out + o, "...", 3);
    o += 3;
  }
  out[o] = '\0';
}

/* ---- decimal scanning ---- */

#define MAX_DIGITS 80 /* longer numbers are rejected as malformed */

/* A scanned decimal: value = (-1)^neg * digits * 10^exp10. */
typedef struct decimal {
  int neg;
  char digits[MAX_DIGITS + 1]; /* significant digits, no dot */
  int ndigits;
  long exp10;
} decimal;

/* Scan [sign] digits [. digits] [e [sign] digits] from s[*pos..len), with
 * "1,234,567" grouping when allow_groups. Needs at least one digit. Moves
 * *pos past what was read; returns 0 when there is no number there. */
static int scan_decimal(const char *s, size_t len, size_t *pos, int allow_sign,
                        int allow_groups, int allow_exponent, decimal *d) {
  size_t i = *pos;
  d->neg = 0;
  d->ndigits = 0;
  d->exp10 = 0;
  if (allow_sign && i < len && (s[i] == '+' || s[i] == '-')) d->neg = s[i++] == '-';
  int seen = 0, group_digits = -1; /* digits since the last ',' (-1: no ',' yet) */
  size_t int_start = i;
  for (; i < len; i++) {
    char c = s[i];
    if (is_digit(c)) {
      if (d->ndigits > 0 || c != '0') {
        if (d->ndigits >= MAX_DIGITS) return 0;
        d->digits[d->ndigits++] = c;
      }
      seen = 1;
      if (group_digits >= 0) group_digits++;
    } else if (c == ',' && allow_groups && seen && i + 1 < len && is_digit(s[i + 1])) {
      /* a group separator: the first group has 1-3 digits, later ones 3 */
      if (group_digits < 0 ? i - int_start > 3 : group_digits != 3) return 0;
      group_digits = 0;
    } else {
      break;
    }
  }
  if (group_digits >= 0 && group_digits != 3) return 0;
  if (i < len && s[i] == '.') {
    i++;
    for (; i < len && is_digit(s[i]); i++) {
      seen = 1;
      if (d->ndigits == 0 && s[i] == '0') {
        d->exp10--;
        continue;
      }
      if (d->ndigits >= MAX_DIGITS) return 0;
      d->digits[d->ndigits++] = s[i];
      d->exp10--;
    }
  }
  if (!seen) return 0;
  if (allow_exponent && i < len && (s[i] == 'e' || s[i] == 'E')) {
    size_t j = i + 1;
    int eneg = 0;
    if (j < len && (s[j] == '+' || s[j] == '-')) eneg = s[j++] == '-';
    if (j >= len || !is_digit(s[j])) return 0;
    long e = 0;
    for (; j < len && is_digit(s[j]); j++)
      if (e < 100000) e = e * 10 + (s[j] - '0');
    d->exp10 += eneg ? -e : e;
    i = j;
  }
  d->digits[d->ndigits] = '\0';
  *pos = i;
  return 1;
}

/* The powers of ten that are exact doubles. */
static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                               1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                               1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Correctly rounded value of d * 10^extra; VIRAL_ERR_PARSE when it is not
 * finite. */
static int decimal_value(const decimal *d, long extra, double *out) {
  if (d->ndigits == 0) {
    *out = d->neg ? -0.0 : 0.0;
    return VIRAL_OK;
  }
  long e = d->exp10 + extra;
  if (d->ndigits <= 15) { /* mantissa < 10^15 < 2^53: exact */
    uint64_t m = 0;
    for (int k = 0; k < d->ndigits; k++) m = m * 10 + (uint64_t)(d->digits[k] - '0');
    if (e >= -22 && e <= 22) {
      double v = e >= 0 ? (double)m * pow10[e] : (double)m / pow10[-e];
      *out = d->neg ? -v : v;
      return VIRAL_OK;
    }
  }
  char buf[MAX_DIGITS + 32];
  snprintf(buf, sizeof buf, "%s%se%ld", d->neg ? "-" : "", d->digits, e);
  double v = strtod(buf, NULL);
  if (!isfinite(v)) return VIRAL_ERR_PARSE;
  *out = v;
  return VIRAL_OK;
}

int viral_parse_number(const char *s, size_t len, double *out) {
  if (value_parse_plain(s, len, 1, out)) return VIRAL_OK;
  value_trim(&s, &len);
  size_t pos = 0;
  decimal d;
  if (!scan_decimal(s, len, &pos, 1, 0, 1, &d) || pos != len) return VIRAL_ERR_PARSE;
  return decimal_value(&d, 0, out);
}

/* ---- counts ---- */

static int word_is(const char *s, size_t len, const char *word) {
  if (strlen(word) != len) return 0;
  for (size_t i = 0; i < len; i++)
    if (lower(s[i]) != word[i]) return 0;
  return 1;
}

int viral_parse_count(const char *s, size_t len, double *out) {
  if (value_parse_plain(s, len, 0, out)) return VIRAL_OK;
  value_trim(&s, &len);
  size_t pos = 0;
  decimal d;
  if (len > 0 && s[0] == '+') pos = 1; /* "-" is never a count */
  if (!scan_decimal(s, len, &pos, 0, 1, 0, &d)) return VIRAL_ERR_PARSE;
  long extra = 0;
  if (pos < len) {
    char c = lower(s[pos]);
    int ends = pos + 1 == len || is_blank(s[pos + 1]);
    if (ends && (c == 'k' || c == 'm' || c == 'b')) {
      extra = c == 'k' ? 3 : c == 'm' ? 6 : 9;
      pos++;
    }
  }
  if (pos < len) {
    /* one trailing word of letters ("63.6K videos"), never a multiplier */
    size_t w = pos;
    while (w < len && is_blank(s[w])) w++;
    if (w == pos) return VIRAL_ERR_PARSE;
    size_t start = w;
    while (w < len && ((s[w] >= 'a' && s[w] <= 'z') || (s[w] >= 'A' && s[w] <= 'Z'))) w++;
    size_t n = w - start;
    if (n == 0 || w != len) return VIRAL_ERR_PARSE;
    static const char *const multipliers[] = {"k", "m", "b", "thousand", "million",
                                              "billion", "mil", "mn", "bn"};
    for (size_t k = 0; k < sizeof multipliers / sizeof *multipliers; k++)
      if (word_is(s + start, n, multipliers[k])) return VIRAL_ERR_PARSE;
  }
  return decimal_value(&d, extra, out);
}

/* ---- durations ---- */

int viral_parse_duration(const char *s, size_t len, double *out) {
  if (value_parse_plain(s, len, 0, out)) return VIRAL_OK; /* plain seconds */
  value_trim(&s, &len);
  double parts[3];
  int nparts = 0;
  size_t pos = 0;
  for (;;) {
    if (nparts == 3) return VIRAL_ERR_PARSE;
    size_t start = pos;
    decimal d;
    if (pos >= len || !is_digit(s[pos])) return VIRAL_ERR_PARSE;
    if (!scan_decimal(s, len, &pos, 0, 0, 0, &d)) return VIRAL_ERR_PARSE;
    if (decimal_value(&d, 0, &parts[nparts]) != VIRAL_OK) return VIRAL_ERR_PARSE;
    int has_fraction = memchr(s + start, '.', pos - start) != NULL;
    nparts++;
    if (pos == len) break;
    if (s[pos] != ':' || has_fraction) return VIRAL_ERR_PARSE; /* fraction only last */
    pos++;
  }
  /* every part after the first is a base-60 digit pair */
  for (int k = 1; k < nparts; k++)
    if (parts[k] >= 60) return VIRAL_ERR_PARSE;
  double total = 0;
  for (int k = 0; k < nparts; k++) total = total * 60 + parts[k];
  *out = total;
  return VIRAL_OK;
}

/* ---- booleans ---- */

int viral_parse_bool(const char *s, size_t len, int *out) {
  if (len == 1 && (s[0] == '0' || s[0] == '1')) { /* the common cell */
    *out = s[0] == '1';
    return VIRAL_OK;
  }
  value_trim(&s, &len);
  if (word_is(s, len, "true") || word_is(s, len, "yes")) {
    *out = 1;
    return VIRAL_OK;
  }
  if (word_is(s, len, "false") || word_is(s, len, "no")) {
    *out = 0;
    return VIRAL_OK;
  }
  double x;
  if (viral_parse_number(s, len, &x) == VIRAL_OK && (x == 0 || x == 1)) {
    *out = x == 1;
    return VIRAL_OK;
  }
  return VIRAL_ERR_PARSE;
}

/* ---- timestamps ---- */

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. Shift
 * the year to start in March so the leap day is the last day of a year, then
 * count 400-year eras (146097 days each). */
long days_from_civil(long y, int m, int d) {
  y -= m <= 2;
  long era = (y >= 0 ? y : y - 399) / 400;
  long yoe = y - era * 400;                                  /* [0, 399] */
  long doy = (153L * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
  long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;          /* [0, 146096] */
  return era * 146097 + doe - 719468;
}

static int days_in_month(long y, int m) {
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : days[m - 1];
}

/* Exactly n digits at s[*pos]; returns -1 when they are not there. */
static long fixed_digits(const char *s, size_t len, size_t *pos, int n) {
  long v = 0;
  for (int k = 0; k < n; k++) {
    if (*pos >= len || !is_digit(s[*pos])) return -1;
    v = v * 10 + (s[(*pos)++] - '0');
  }
  return v;
}

static int in_time_range(double t) { return t >= VIRAL_TIME_MIN && t < VIRAL_TIME_MAX; }

int viral_civil_time(long year, int month, int day, int hour, int minute, double second,
                     int utc_offset_minutes, double *out) {
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour < 0 ||
      hour > 23 || minute < 0 || minute > 59 || !(second >= 0 && second < 60))
    return VIRAL_ERR_PARSE;
  long days = days_from_civil(year, month, day);
  double t = (double)days * 86400 + (double)(hour * 3600L + minute * 60L) + second -
             (double)utc_offset_minutes * 60;
  if (!in_time_range(t)) return VIRAL_ERR_LIMIT;
  *out = t;
  return VIRAL_OK;
}

const char *value_parse_time_format(const char *text, const char *format, int utc_offset_minutes,
                                    double *out) {
  struct tm tm;
  memset(&tm, 0, sizeof tm);
  const char *end = strptime(text, format, &tm);
  if (!end || viral_civil_time(tm.tm_year + 1900L, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                               tm.tm_min, tm.tm_sec, utc_offset_minutes, out) != VIRAL_OK)
    return NULL;
  return end;
}

int viral_parse_timestamp(const char *s, size_t len, int utc_offset_minutes, double *out) {
  value_trim(&s, &len);
  /* plain unix seconds: no '-' after the first character means no date */
  if (len < 10 || s[4] != '-') {
    double t;
    if (viral_parse_number(s, len, &t) != VIRAL_OK) return VIRAL_ERR_PARSE;
    if (!in_time_range(t)) return VIRAL_ERR_LIMIT;
    *out = t;
    return VIRAL_OK;
  }
  size_t pos = 0;
  long year = fixed_digits(s, len, &pos, 4);
  if (year < 0 || pos >= len || s[pos++] != '-') return VIRAL_ERR_PARSE;
  long month = fixed_digits(s, len, &pos, 2);
  if (month < 1 || month > 12 || pos >= len || s[pos++] != '-') return VIRAL_ERR_PARSE;
  long day = fixed_digits(s, len, &pos, 2);
  if (day < 0) return VIRAL_ERR_PARSE;
  long hour = 0, minute = 0, second = 0;
  double fraction = 0;
  int offset = utc_offset_minutes;
  if (pos < len) {
    if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ') return VIRAL_ERR_PARSE;
    pos++;
    hour = fixed_digits(s, len, &pos, 2);
    if (hour < 0) return VIRAL_ERR_PARSE;
    if (pos < len && s[pos] == ':') {
      pos++;
      minute = fixed_digits(s, len, &pos, 2);
      if (minute < 0) return VIRAL_ERR_PARSE;
      if (pos < len && s[pos] == ':') {
        pos++;
        second = fixed_digits(s, len, &pos, 2);
        if (second < 0) return VIRAL_ERR_PARSE;
        if (pos < len && s[pos] == '.') {
          decimal d;
          if (pos + 1 >= len || !is_digit(s[pos + 1]) ||
              !scan_decimal(s, len, &pos, 0, 0, 0, &d) ||
              decimal_value(&d, 0, &fraction) != VIRAL_OK)
            return VIRAL_ERR_PARSE;
        }
      }
    }
    if (pos < len) { /* a zone: Z, +hh, +hhmm or +hh:mm */
      if (s[pos] == 'Z' || s[pos] == 'z') {
        offset = 0;
        pos++;
      } else if (s[pos] == '+' || s[pos] == '-') {
        int sign = s[pos++] == '-' ? -1 : 1;
        long oh = fixed_digits(s, len, &pos, 2), om = 0;
        if (oh < 0 || oh > 23) return VIRAL_ERR_PARSE;
        if (pos < len) {
          if (s[pos] == ':') pos++;
          om = fixed_digits(s, len, &pos, 2);
          if (om < 0 || om > 59) return VIRAL_ERR_PARSE;
        }
        offset = sign * (int)(oh * 60 + om);
      }
      if (pos != len) return VIRAL_ERR_PARSE;
    }
  }
  double t;
  int rc = viral_civil_time(year, (int)month, (int)day, (int)hour, (int)minute, (double)second,
                            offset, &t);
  if (rc != VIRAL_OK) return rc == VIRAL_ERR_LIMIT ? VIRAL_ERR_PARSE : rc; /* a date's year is what it says */
  *out = t + fraction;
  return VIRAL_OK;
}

void civil_from_days(long z, long *y, int *m, int *d) {
  z += 719468;
  long era = (z >= 0 ? z : z - 146096) / 146097;
  long doe = z - era * 146097;
  long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  long mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

char *viral_format_timestamp(char buf[32], double t) {
  if (!isfinite(t) || !in_time_range(t)) {
    snprintf(buf, 32, "%.17g", t);
    return buf;
  }
  double whole = floor(t);
  long days = (long)floor(whole / 86400);
  int sec = (int)(whole - (double)days * 86400); /* [0, 86400) */
  long y;
  int m, d;
  civil_from_days(days, &y, &m, &d);
  snprintf(buf, 32, "%04d-%02d-%02dT%02d:%02d:%02dZ", (int)(y % 10000), m % 100, d % 100,
           sec / 3600 % 100, sec / 60 % 60, sec % 60); /* the %s keep the compiler sure of the widths */
  return buf;
}

/* ---- durations ---- */

static double unit_seconds(char unit) {
  return unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 : unit == 'd' ? 86400 : 0;
}

int viral_parse_interval(const char *s, size_t len, char bare, char out_unit, double *out) {
  if (len == 0) return VIRAL_ERR_PARSE;
  char unit = bare;
  if (strchr("smhd", s[len - 1])) unit = s[--len];
  for (size_t i = 0; i < len; i++)
    if (s[i] == ' ' || s[i] == '\t' || s[i] == '-' || s[i] == '+') return VIRAL_ERR_PARSE;
  double x, from = unit_seconds(unit), to = unit_seconds(out_unit);
  if (!from || !to || viral_parse_number(s, len, &x) != VIRAL_OK || !(x >= 0)) return VIRAL_ERR_PARSE;
  /* the same unit keeps x exactly; the ratio of two units is one rounding */
  *out = from == to ? x : x * (from / to);
  return isfinite(*out) ? VIRAL_OK : VIRAL_ERR_PARSE;
}

/* ---- lists ---- */

size_t viral_parse_list(const char *s, size_t len, const char *separators,
                        viral_strview *items, size_t max) {
  if (!separators) separators = ",| ";
  size_t count = 0, pos = 0;
  while (pos <= len) {
    size_t start = pos;
    while (pos < len && !strchr(separators, s[pos])) pos++;
    const char *item = s + start;
    size_t n = pos - start;
    value_trim(&item, &n);
    if (n > 0 && item[0] == '#') {
      item++;
      n--;
      value_trim(&item, &n);
    }
    if (n > 0) {
      if (count < max) {
        items[count].ptr = item;
        items[count].len = n;
      }
      count++;
    }
    pos++; /* past the separator (or the end) */
  }
  return count;
}
