/* spec_regex.c - the limits on a spec's regular expressions
 * (pipeline_internal.h), checked before regcomp() sees the pattern.
 *
 * A spec, and the model that embeds it, is user input, and glibc's regex
 * engine can be made to run for hours or take gigabytes: back-references
 * make matching exponential ("(.*)(.*)(.*)\3\2\1x" on 80 bytes runs for
 * minutes), and regcomp() expands bounded repeats, nested ones
 * multiplicatively ("(.{0,1000}){0,1000}" took 6 GB in 20 s). Without
 * back-references a match is polynomial: the size bound here and the
 * subject bound in transform.c keep one value's match to milliseconds.
 *
 * The size is an estimate of the compiled program: one per literal, bracket
 * expression, '.', anchor or group, a repeated piece counted as many times as
 * its largest count. It is computed on the text alone, so it runs before
 * regcomp() and never on a pattern regcomp() could not parse the same way
 * that matters: an invalid pattern is refused by regcomp() afterwards. */
#include <stdio.h>
#include <string.h>

#include "features/pipeline_internal.h"

typedef struct scan {
  const char *p;   /* next character */
  char *why;       /* the problem, when there is one */
  size_t why_size;
  int failed;
} scan;

/* a + b and a * b, saturated just above the limit so nothing overflows */
static size_t add_sat(size_t a, size_t b) {
  const size_t cap = VIRAL_REGEX_MAX_SIZE + 1;
  return a > cap || b > cap || a + b > cap ? cap : a + b;
}
static size_t mul_sat(size_t a, size_t b) {
  const size_t cap = VIRAL_REGEX_MAX_SIZE + 1;
  return a > cap || b > cap || a * b > cap ? cap : a * b;
}

/* Skip a bracket expression; s->p is after its '['. */
static void skip_bracket(scan *s) {
  const char *p = s->p;
  if (*p == '^') p++;
  if (*p == ']') p++; /* a ']' first is a member */
  while (*p && *p != ']') {
    if (*p == '[' && (p[1] == ':' || p[1] == '=' || p[1] == '.')) {
      char close = p[1];
      const char *end = p + 2;
      while (*end && !(end[0] == close && end[1] == ']')) end++;
      p = *end ? end + 2 : end;
    } else {
      p++;
    }
  }
  s->p = *p ? p + 1 : p;
}

/* The number at *p, advancing past its digits (large ones stop growing at
 * a million); -1 when there are none. */
static long read_count(const char **p) {
  if (**p < '0' || **p > '9') return -1;
  long n = 0;
  for (; **p >= '0' && **p <= '9'; (*p)++)
    if (n < 1000000) n = n * 10 + (**p - '0');
  return n;
}

/* The largest count of a quantifier at s->p ("{m}", "{m,}", "{m,n}", "{,n}",
 * "*", "+", "?"), advancing past it; 0 when there is none. */
static long quantifier(scan *s) {
  char c = *s->p;
  if (c == '*' || c == '?') return s->p++, 1;
  if (c == '+') return s->p++, 2; /* a+ is compiled as aa* */
  if (c != '{') return 0;
  const char *p = s->p + 1;
  long lo = read_count(&p), hi = lo;
  if (*p == ',') {
    p++;
    hi = read_count(&p);
    if (hi < 0) hi = (lo < 0 ? 0 : lo) + 1; /* unbounded: lo copies, then a star */
  }
  if (*p != '}' || (lo < 0 && hi < 0)) return 0; /* not an interval: a literal '{' */
  s->p = p + 1;
  return hi < 1 ? 1 : hi;
}

static void fail(scan *s, const char *fmt, const char *arg) {
  if (s->failed) return;
  s->failed = 1;
  snprintf(s->why, s->why_size, fmt, arg);
}

static size_t alternation(scan *s, int depth);

/* One atom with its quantifiers. */
static size_t piece(scan *s, int depth) {
  size_t size = 1;
  char c = *s->p++;
  if (c == '(') {
    size = add_sat(alternation(s, depth + 1), 1);
    if (*s->p == ')') s->p++;
  } else if (c == '[') {
    skip_bracket(s);
  } else if (c == '\\' && *s->p) {
    if (*s->p >= '1' && *s->p <= '9') {
      char ref[3] = {'\\', *s->p, '\0'};
      fail(s, "back-references (%s) are not supported: they can make matching take hours", ref);
    }
    s->p++;
  }
  for (long n; (n = quantifier(s)) > 0;) size = mul_sat(size, (size_t)n);
  return size;
}

/* Branches separated by '|', up to a ')' or the end. */
static size_t alternation(scan *s, int depth) {
  size_t size = 0;
  while (*s->p && !s->failed && !(*s->p == ')' && depth > 0)) {
    if (*s->p == '|') {
      s->p++;
      continue;
    }
    size = add_sat(size, piece(s, depth));
  }
  return size;
}

int spec_regex_check(const char *pattern, char *why, size_t why_size) {
  scan s = {pattern, why, why_size, 0};
  if (strlen(pattern) > VIRAL_REGEX_MAX_PATTERN) {
    snprintf(why, why_size, "longer than %d bytes", VIRAL_REGEX_MAX_PATTERN);
    return -1;
  }
  size_t size = alternation(&s, 0); /* at depth 0 a stray ')' is an atom */
  if (s.failed) return -1;
  if (size > VIRAL_REGEX_MAX_SIZE) {
    snprintf(why, why_size, "too large once its repeats are expanded (more than %d elements)",
             VIRAL_REGEX_MAX_SIZE);
    return -1;
  }
  return 0;
}
