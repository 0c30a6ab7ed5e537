/* value_internal.h - helpers value.c shares with the rest of src/io (and
 * the layers above it). */
#ifndef VIRAL_IO_VALUE_INTERNAL_H
#define VIRAL_IO_VALUE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* Narrow (*s, *len) past leading and trailing blanks (space, tab, CR, LF, VT, FF). */
void value_trim(const char **s, size_t *len);
/* 1 when s holds nothing but blanks (or is empty). */
int value_is_blank(const char *s, size_t len);

/* Room for value_quote's output of at most max input bytes. */
#define VALUE_QUOTE_SIZE(max) ((max) * 4 + 8)
/* Quote the len bytes at s (no NUL needed) for a one-line message into out
 * (size bytes, at least VALUE_QUOTE_SIZE(max)): at most max bytes of s, cut
 * on a UTF-8 character boundary and then "...", control bytes and bytes
 * that are not UTF-8 as \n, \t, \r or \xHH. Never reads s beyond len. */
void value_quote(char *out, size_t size, const char *s, size_t len, size_t max);
/* The common cell, [-]digits[.digits] (the minus only when allow_minus)
 * with nothing around it: 1 with *out set to the double every parser of
 * viral/record.h gives for it, 0 when their general path must decide
 * (blanks, sign, grouping, exponent, suffix, long mantissas). Inline: the
 * record getters run it on every numeric cell.
 *
 * At most 19 digits, so the mantissa m fits in 64 bits; when m <= 2^53 it
 * is an exact double and so is 10^decimals (decimals <= 19), and one
 * division rounds correctly, as the general path (or strtod) does: the same
 * double either way. A digit must come first: ".5" is left to the general
 * path, which durations refuse. */
static inline int value_parse_plain(const char *s, size_t len, int allow_minus, double *out) {
  static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,
                                 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19};
  size_t i = 0;
  int neg = allow_minus && len > 0 && s[0] == '-';
  i += (size_t)neg;
  uint64_t m = 0;
  size_t int_start = i;
  for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) m = m * 10 + (uint64_t)(s[i] - '0');
  size_t digits = i - int_start, decimals = 0;
  if (digits == 0) return 0;
  if (i < len && s[i] == '.') {
    size_t frac_start = ++i;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) m = m * 10 + (uint64_t)(s[i] - '0');
    decimals = i - frac_start;
    digits += decimals;
  }
  if (i != len || digits > 19 || m > ((uint64_t)1 << 53)) return 0;
  double v = (double)m;
  if (decimals) v /= pow10[decimals]; /* whole numbers, most cells, need no division */
  *out = neg ? -v : v;
  return 1;
}
/* The time at the start of text (NUL-terminated) by a strptime format,
 * through the one validated calendar (viral_civil_time: a day past the
 * month's end is an error, not the next month), naive at utc_offset_minutes:
 * sets *out and returns where the match ended, or NULL when text does not
 * match the format or names no valid time. The C locale's names (%b). */
const char *value_parse_time_format(const char *text, const char *format, int utc_offset_minutes,
                                    double *out);
/* Days from 1970-01-01 to y-m-d (proleptic Gregorian); m in 1..12. */
long days_from_civil(long y, int m, int d);
/* Its inverse: the civil date of day z since 1970-01-01. */
void civil_from_days(long z, long *y, int *m, int *d);

#endif
