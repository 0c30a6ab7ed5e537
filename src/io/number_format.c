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

/* The `count` decimal digits of n (leading zeros included) at d, two at a
 * time: half the dependent divisions. */
static void write_digits(char *d, uint64_t n, int count) {
  static const char pairs[] = "00010203040506070809101112131415161718192021222324"
                              "25262728293031323334353637383940414243444546474849"
                              "50515253545556575859606162636465666768697071727374"
                              "75767778798081828384858687888990919293949596979899";
  int i = count;
  for (; i >= 2; i -= 2, n /= 100) memcpy(d + i - 2, pairs + 2 * (n % 100), 2);
  if (i == 1) d[0] = (char)('0' + n % 10);
}

/* printf("%.{precision}g") of the decimal n * 10^(e10 - precision + 1), n
 * having exactly `precision` digits: trailing zeros dropped, exponent form
 * when e10 < -4 or e10 >= precision. Returns the end of the text (its NUL). */
static char *format_g(char *out, uint64_t n, int precision, int e10) {
  char d[24];
  int digits = precision;
  write_digits(d, n, digits);
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
  return o;
}

/* ax * 10^shift in long double (|shift| <= 27, so 10^shift is exact and
 * this is one rounding). */
static long double scale(double ax, int shift) {
  return shift >= 0 ? (long double)ax * pow10_ld[shift] : (long double)ax / pow10_ld[-shift];
}

/* The shortest exact form with 15..17 digits; returns the end of the text,
 * or NULL when unproven.
 *
 * One product S = ax * 10^(16 - e10) (17 digits before the point) decides
 * all three lengths. In long double it is W + f (W whole, 0 <= f < 1)
 * within half an ulp, 2^-8, of the exact S (S < 10^17 < 2^57). The k-digit
 * candidate is S / q rounded, q = 10^(17 - k): floor(W / q) plus one when
 * (W mod q) + f passes q / 2. It reads back when its distance to S, |n q -
 * W - f|, is below half the gap between doubles at ax, in the same units
 * (a quarter below a power of two, where the gap below is half as wide).
 * Within BLUR of either decision the answer is "unproven". */
static char *fast_shortest(char *out, double ax) {
  const long double BLUR = 1.0L / 128; /* twice the error bound of S, r and dist */
  if (!(ax > 1e-280 && ax < 1e280) || !wide_long_double()) return NULL;
  uint64_t bits;
  memcpy(&bits, &ax, sizeof bits);
  int e2 = (int)(bits >> 52) - 1023; /* ax in [2^e2, 2^(e2+1)) */
  /* e10 = floor(log10(ax)): floor(e2 * log10(2)) (78913 / 2^18 is log10(2)
   * to 6 digits) is e10 or one less; where S falls settles it */
  int e10 = e2 >= 0 ? (int)(((long)e2 * 78913) >> 18) : -(int)((-(long)e2 * 78913 + 262143) >> 18);
  long double S = 0;
  for (int tries = 0; tries < 3; tries++) {
    if (16 - e10 < -27 || 16 - e10 > 27) return NULL;
    S = scale(ax, 16 - e10);
    if (S >= 1e17L) e10++;
    else if (S < 1e16L) e10--;
    else break;
  }
  if (!(S >= 1e16L && S < 1e17L)) return NULL;
  uint64_t W = (uint64_t)S;
  long double f = S - (long double)W;
  /* half the gap between doubles at ax, 2^(e2 - 53), in units of S */
  uint64_t gap_bits = (uint64_t)(e2 - 53 + 1023) << 52;
  double gap;
  memcpy(&gap, &gap_bits, sizeof gap);
  long double half_gap = scale(gap, 16 - e10);
  int power_of_two = (bits & 0xFFFFFFFFFFFFFu) == 0;
  uint64_t q = 100, top = 1000000000000000u; /* 10^15: the smallest 16-digit number */
  for (int digits = 15; digits <= 17; digits++, q /= 10, top *= 10) {
    long double r = (long double)(W % q) + f;
    if (fabsl(r - (long double)q / 2) <= BLUR) return NULL; /* a near tie */
    uint64_t n = W / q + (r > (long double)q / 2);
    if (n >= top) return NULL; /* rounded up to one more digit */
    long double off = (long double)((int64_t)(n * q - W)) - f; /* candidate - S */
    long double limit = power_of_two && off < 0 ? half_gap / 2 : half_gap;
    long double dist = fabsl(off);
    if (fabsl(dist - limit) <= BLUR) return NULL;
    if (dist < limit) return format_g(out, n, digits, e10);
  }
  return NULL;
}
#endif

/* Decimal digits of n at out; returns the end (its NUL). */
static char *format_uint(char *out, uint64_t n) {
  char d[24];
  int k = 0;
  do d[k++] = (char)('0' + n % 10); while ((n /= 10) > 0);
  while (k > 0) *out++ = d[--k];
  *out = '\0';
  return out;
}

size_t viral_format_index_(char buf[32], uint64_t n) { return (size_t)(format_uint(buf, n) - buf); }

size_t viral_format_value_into_(char buf[32], double x) {
  char *o = buf;
  /* whole numbers below 1e15 print as integers (%.15g would too) */
  if (fabs(x) < 1e15 && x == (double)(int64_t)x) {
    if (x < 0 || (x == 0 && signbit(x))) *o++ = '-';
    return (size_t)(format_uint(o, (uint64_t)fabs(x)) - buf);
  }
#if LDBL_MANT_DIG >= 64
  if (isfinite(x)) {
    if (x < 0) *o++ = '-';
    char *end = fast_shortest(o, fabs(x));
    if (end) return (size_t)(end - buf);
  }
#endif
  return strlen(viral_format_double_slow_(buf, x));
}

const char *viral_format_value_(char buf[32], double x) {
  viral_format_value_into_(buf, x);
  return buf;
}
