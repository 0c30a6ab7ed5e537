/* number_format.c - see number_format.h.
 *
 * Two ways to prove a candidate of 15, 16 or 17 digits reads back without
 * calling strtod, both deciding the three lengths from one product
 * S = ax * 10^k (17 digits before the point):
 * - exact_shortest (where the compiler has 128-bit integers, values from
 *   about 1e-11 to 1e17): ax = m 2^e, so S = m 5^k 2^(e+k) is an integer
 *   over a power of two, and every rounding and distance is exact;
 * - fast_shortest (the other magnitudes, where long double has a 64-bit
 *   significand): S in long double, within half an ulp of the exact value,
 *   and a candidate is taken only when that error cannot change a decision.
 *   Where long double is not wider than double (other platforms, valgrind's
 *   x87 emulation) this path gives up.
 * Anything either cannot prove takes the slow path, snprintf and strtod. */
#include "io/number_format.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "viral/writer.h"

#if defined(__SIZEOF_INT128__) || LDBL_MANT_DIG >= 64 /* the fast paths' output */
static const char digit_pairs[] = "00010203040506070809101112131415161718192021222324"
                                  "25262728293031323334353637383940414243444546474849"
                                  "50515253545556575859606162636465666768697071727374"
                                  "75767778798081828384858687888990919293949596979899";

/* The 8 decimal digits of v (< 10^8, leading zeros included) at d. */
static void write8(char *d, uint32_t v) {
  uint32_t hi = v / 10000, lo = v % 10000;
  memcpy(d, digit_pairs + 2 * (hi / 100), 2);
  memcpy(d + 2, digit_pairs + 2 * (hi % 100), 2);
  memcpy(d + 4, digit_pairs + 2 * (lo / 100), 2);
  memcpy(d + 6, digit_pairs + 2 * (lo % 100), 2);
}

/* The `count` decimal digits of n (leading zeros included) at d: blocks of
 * eight in 32-bit arithmetic, independent of one another. */
static void write_digits(char *d, uint64_t n, int count) {
  int i = count;
  for (; i >= 8; i -= 8, n /= 100000000) write8(d + i - 8, (uint32_t)(n % 100000000));
  for (; i > 0; i--, n /= 10) d[i - 1] = (char)('0' + n % 10);
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

#endif

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

#ifdef __SIZEOF_INT128__
__extension__ typedef unsigned __int128 u128;

static const uint64_t pow5[28] = {
    1u, 5u, 25u, 125u, 625u, 3125u, 15625u, 78125u, 390625u, 1953125u, 9765625u, 48828125u,
    244140625u, 1220703125u, 6103515625u, 30517578125u, 152587890625u, 762939453125u,
    3814697265625u, 19073486328125u, 95367431640625u, 476837158203125u, 2384185791015625u,
    11920928955078125u, 59604644775390625u, 298023223876953125u, 1490116119384765625u,
    7450580596923828125u};

/* exact_shortest's test of one length: the candidate W / q rounded (q =
 * 10^(17 - digits), top = 10^digits). Returns 1 with *n set when it reads
 * back, 0 when it does not, -1 when this cannot tell (an exact tie). */
static inline int try_digits(uint64_t W, u128 P, u128 R, int s, u128 gap4, int power_of_two,
                             uint64_t q, uint64_t top, uint64_t *n) {
  u128 twice_rest = (((u128)(W % q) << s) + R) * 2, unit = (u128)q << s;
  if (twice_rest == unit) return -1; /* a tie in the rounding */
  *n = W / q + (twice_rest > unit);
  if (*n >= top) return -1;
  u128 D = (u128)(*n * q) << s;
  int below = D < P;
  u128 dist4 = (below ? P - D : D - P) * 4;
  u128 limit4 = power_of_two && below ? gap4 / 2 : gap4;
  if (dist4 == limit4) return -1; /* a tie in reading back */
  return dist4 < limit4;
}

/* ax (positive, normal) = m 2^e exactly, scaled to 17 digits before the
 * point: S = ax 10^k = m 5^k 2^(e+k) = P / 2^s with the integer P = m 5^k
 * (shifted left when e + k > 0), W = floor(S) (10^16 <= W < 10^17), and
 * e10 = floor(log10(ax)) = 16 - k. No rounding anywhere. 0 when ax is out
 * of reach (from about 1e-11 to 1e17 it is not). */
typedef struct scaled17 {
  u128 P;
  int s, k, e, e10, power_of_two;
  uint64_t W;
} scaled17;

static int scale17(double ax, scaled17 *out) {
  uint64_t bits;
  memcpy(&bits, &ax, sizeof bits);
  int biased = (int)(bits >> 52);
  if (biased == 0 || biased == 0x7FF) return 0;
  uint64_t m = (bits & 0xFFFFFFFFFFFFFu) | ((uint64_t)1 << 52);
  int e = biased - 1075, e2 = biased - 1023;
  /* e10 = floor(log10(ax)) from floor(e2 log10(2)), which is e10 or one less */
  int e10 = e2 >= 0 ? (int)(((long)e2 * 78913) >> 18) : -(int)((-(long)e2 * 78913 + 262143) >> 18);
  for (int tries = 0;; tries++) {
    int k = 16 - e10;
    if (tries == 3 || k < 0 || k > 27) return 0;
    int sh = -(e + k);
    if (sh > 64 || sh < -8) return 0;
    u128 P = (u128)m * pow5[k];
    if (sh < 0) P <<= -sh;
    int s = sh > 0 ? sh : 0;
    u128 whole = P >> s;
    if (whole >= (u128)100000000000000000u) e10++;
    else if (whole < (u128)10000000000000000u) e10--;
    else {
      *out = (scaled17){P, s, k, e, e10, (bits & 0xFFFFFFFFFFFFFu) == 0, (uint64_t)whole};
      return 1;
    }
  }
}

/* The shortest exact form with 15..17 digits by integer arithmetic, for ax
 * (positive, normal) from about 1e-11 to 1e17; returns the end of the
 * text, or NULL to leave the value to another path.
 *
 * With S = W + R / 2^s as scale17 gives it, the k-digit candidate is S / q
 * rounded (q = 10^(17 - k)), decided on the exact remainder; it reads back
 * when |n q - S| is below half the gap between doubles at ax, 2^(e-1)
 * 10^k, which in units of 2^-s is 5^k / 2 (a quarter below a power of two,
 * where the gap below is half as wide). Exact ties, in the rounding or in
 * the reading back, go to the slow path. */
static char *exact_shortest(char *out, double ax) {
  scaled17 c;
  if (!scale17(ax, &c)) return NULL;
  u128 R = c.P - ((u128)c.W << c.s); /* S - W, in units of 2^-s */
  /* four times the half gap, in units of 2^-s: 2 * 5^k, shifted when s was
   * clipped at 0 */
  int up = c.e + c.k > 0 ? c.e + c.k : 0;
  u128 gap4 = (u128)pow5[c.k] << (1 + up);
  /* q and top are constants in each call, so their divisions are
   * multiplications */
  uint64_t n = 0, W = c.W;
  int s = c.s, pow2 = c.power_of_two;
  int digits = 15, found = try_digits(W, c.P, R, s, gap4, pow2, 100, 1000000000000000u, &n);
  if (found == 0) digits = 16, found = try_digits(W, c.P, R, s, gap4, pow2, 10, 10000000000000000u, &n);
  if (found == 0) digits = 17, found = try_digits(W, c.P, R, s, gap4, pow2, 1, 100000000000000000u, &n);
  return found > 0 ? format_g(out, n, digits, c.e10) : NULL;
}

/* printf's %.17g of ax (positive, normal) from about 1e-11 to 1e17: S
 * rounded to the nearest whole number, a tie to the even one, as glibc's
 * printf does in the default rounding mode; NULL out of reach. */
static char *exact_g17(char *out, double ax) {
  scaled17 c;
  if (!scale17(ax, &c)) return NULL;
  uint64_t n = c.W;
  int e10 = c.e10;
  if (c.s > 0) {
    u128 twice_rest = (c.P - ((u128)c.W << c.s)) * 2, unit = (u128)1 << c.s;
    if (twice_rest > unit || (twice_rest == unit && (n & 1))) n++;
  }
  if (n == 100000000000000000u) n /= 10, e10++; /* 9.99..95 up to 10 */
  return format_g(out, n, 17, e10);
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

size_t format_index(char buf[32], uint64_t n) { return (size_t)(format_uint(buf, n) - buf); }

size_t format_value_into(char buf[32], double x) {
  char *o = buf;
  /* whole numbers below 1e15 print as integers (%.15g would too) */
  if (fabs(x) < 1e15 && x == (double)(int64_t)x) {
    if (x < 0 || (x == 0 && signbit(x))) *o++ = '-';
    return (size_t)(format_uint(o, (uint64_t)fabs(x)) - buf);
  }
  if (isfinite(x)) {
    if (x < 0) *o++ = '-';
    char *end = NULL;
#ifdef __SIZEOF_INT128__
    end = exact_shortest(o, fabs(x));
#endif
#if LDBL_MANT_DIG >= 64
    if (!end) end = fast_shortest(o, fabs(x));
#endif
    if (end) return (size_t)(end - buf);
  }
  return strlen(format_double_slow(buf, x));
}

size_t format_g17_into(char buf[32], double x) {
#ifdef __SIZEOF_INT128__
  if (isfinite(x) && x != 0) {
    char *o = buf;
    if (x < 0) *o++ = '-';
    char *end = exact_g17(o, fabs(x));
    if (end) return (size_t)(end - buf);
  }
#endif
  return (size_t)snprintf(buf, 32, "%.17g", x);
}

const char *format_value(char buf[32], double x) {
  format_value_into(buf, x);
  return buf;
}
