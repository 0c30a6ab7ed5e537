/* number_format.c - see number_format.h.
 *
 * For a candidate decimal n * 10^p (n < 10^17, |p| <= 27) both n and 10^p are
 * exact in an x87 long double (64-bit significand), so the product or
 * quotient is rounded once to 64 bits. Rounding that to double gives the
 * correctly rounded result (what strtod gives) unless the long double landed
 * exactly on a midpoint between two doubles, which is checked. So a candidate
 * is proven to read back without calling strtod. Where long double is not
 * wider than double (other platforms, valgrind's x87 emulation) every value
 * takes the slow path. */
#include "io/number_format.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "viral/writer.h"

#if LDBL_MANT_DIG >= 64
static const long double pow10_ld[28] = {
    1e0L,  1e1L,  1e2L,  1e3L,  1e4L,  1e5L,  1e6L,  1e7L,  1e8L,  1e9L,
    1e10L, 1e11L, 1e12L, 1e13L, 1e14L, 1e15L, 1e16L, 1e17L, 1e18L, 1e19L,
    1e20L, 1e21L, 1e22L, 1e23L, 1e24L, 1e25L, 1e26L, 1e27L};

/* 1 when long double arithmetic really has 64 bits here. */
static int wide_long_double(void) {
  static int wide = -1;
  if (wide < 0) {
    volatile long double one = 1.0L, tiny = LDBL_EPSILON;
    wide = one + tiny != one;
  }
  return wide;
}

/* 1 when n * 10^p, correctly rounded to double, is ax (> 0), 0 when it is
 * not, -1 when this cannot tell (a midpoint, or p out of range). */
static int reads_back(uint64_t n, int p, double ax) {
  if (p < -27 || p > 27) return -1;
  long double v = p >= 0 ? (long double)n * pow10_ld[p] : (long double)n / pow10_ld[-p];
  double d = (double)v;
  long double below = (long double)nextafter(d, 0.0), above = (long double)nextafter(d, INFINITY);
  long double mid_low = ((long double)d + below) / 2, mid_high = ((long double)d + above) / 2;
  if (v == mid_low || v == mid_high) return -1; /* the exact value may be on either side */
  return d == ax;
}

/* printf("%.{precision}g") of the decimal n * 10^(e10 - precision + 1), n
 * having exactly `precision` digits: trailing zeros dropped, exponent form
 * when e10 < -4 or e10 >= precision. */
static char *format_g(char *out, uint64_t n, int precision, int e10) {
  char d[24];
  int digits = precision;
  for (int i = digits - 1; i >= 0; i--, n /= 10) d[i] = (char)('0' + n % 10);
  while (digits > 1 && d[digits - 1] == '0') digits--;
  char *o = out;
  if (e10 < -4 || e10 >= precision) {
    *o++ = d[0];
    if (digits > 1) {
      *o++ = '.';
      memcpy(o, d + 1, (size_t)digits - 1);
      o += digits - 1;
    }
    int e = e10 < 0 ? -e10 : e10;
    *o++ = 'e';
    *o++ = e10 < 0 ? '-' : '+';
    if (e >= 100) *o++ = (char)('0' + e / 100);
    *o++ = (char)('0' + e / 10 % 10);
    *o++ = (char)('0' + e % 10);
  } else if (e10 < 0) {
    *o++ = '0';
    *o++ = '.';
    for (int i = -1; i > e10; i--) *o++ = '0';
    memcpy(o, d, (size_t)digits);
    o += digits;
  } else {
    for (int i = 0; i <= e10; i++) *o++ = i < digits ? d[i] : '0';
    if (digits > e10 + 1) {
      *o++ = '.';
      memcpy(o, d + e10 + 1, (size_t)(digits - e10 - 1));
      o += digits - e10 - 1;
    }
  }
  *o = '\0';
  return out;
}

/* The shortest exact form with 15..17 digits, or NULL when unproven. */
static char *fast_shortest(char *out, double ax) {
  if (!(ax > 1e-280 && ax < 1e280) || !wide_long_double()) return NULL;
  int e10 = (int)floor(log10(ax));
  for (int digits = 15; digits <= 17; digits++) {
    int shift = digits - 1 - e10; /* ax * 10^shift has `digits` digits */
    if (shift < -27 || shift > 27) return NULL;
    long double scaled = shift >= 0 ? (long double)ax * pow10_ld[shift]
                                    : (long double)ax / pow10_ld[-shift];
    long double lo = pow10_ld[digits - 1], hi = pow10_ld[digits];
    if (scaled < lo || scaled >= hi) return NULL; /* log10 was off near a power of 10 */
    /* scaled is within half a long double ulp (< hi * 2^-64) of the exact
     * product: that near a half, rounding it might not be what printf's
     * exact rounding gives */
    long double frac = scaled - floorl(scaled);
    if (fabsl(frac - 0.5L) <= hi * LDBL_EPSILON) return NULL;
    uint64_t n = (uint64_t)llrintl(scaled);
    if ((long double)n >= hi) return NULL;
    int back = reads_back(n, -shift, ax);
    if (back < 0) return NULL;
    if (back) return format_g(out, n, digits, e10);
  }
  return NULL;
}
#endif

static char *format_uint(char buf[32], uint64_t n) {
  char *p = buf + 31;
  *p = '\0';
  do *--p = (char)('0' + n % 10); while ((n /= 10) > 0);
  return p;
}

const char *viral_format_value_(char buf[32], double x) {
  if (x == floor(x) && fabs(x) < 1e15) {
    char *p = format_uint(buf, (uint64_t)fabs(x));
    if (x < 0 || (x == 0 && signbit(x))) *--p = '-';
    return p;
  }
#if LDBL_MANT_DIG >= 64
  if (isfinite(x)) {
    char *p = buf + (x < 0);
    if (fast_shortest(p, fabs(x))) {
      if (x < 0) buf[0] = '-';
      return buf;
    }
  }
#endif
  return viral_format_double_slow_(buf, x);
}
