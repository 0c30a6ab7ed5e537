/* age.c - ages and durations on the command line (age.h). */
#include "age.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A number and an optional unit letter (s, m, h, d; 0 when bare) in the first
 * len bytes of s: the syntax both units below share. 0, or -1 when malformed
 * or negative. */
static int parse_number_unit(const char *s, size_t len, double *x, char *unit) {
  char buf[64];
  if (len == 0 || len >= sizeof buf) return -1;
  memcpy(buf, s, len);
  buf[len] = '\0';
  char *end;
  errno = 0;
  *x = strtod(buf, &end);
  *unit = *end && strchr("smhd", *end) ? *end++ : 0;
  return end == buf || *end || errno || !(*x >= 0) || isinf(*x) ? -1 : 0;
}

double cli_parse_hours(const char *s, size_t len) {
  double x;
  char unit;
  if (parse_number_unit(s, len, &x, &unit) != 0) return -1;
  return unit == 'm' ? x * (1.0 / 60) : unit == 'd' ? x * 24 : unit == 's' ? x * (1.0 / 3600) : x;
}

double cli_parse_seconds(const char *s) {
  double x;
  char unit;
  if (parse_number_unit(s, strlen(s), &x, &unit) != 0) return -1;
  return unit == 'd' ? x * 86400 : unit == 'h' ? x * 3600 : unit == 'm' ? x * 60 : x;
}

int cli_parse_hours_list(const char *text, double **ages, size_t *count) {
  size_t n = 1;
  for (const char *p = text; *p; p++) n += *p == ',';
  double *a = calloc(n, sizeof *a);
  if (!a) return -1;
  const char *s = text;
  for (size_t k = 0; k < n; k++) {
    size_t len = strcspn(s, ",");
    if ((a[k] = cli_parse_hours(s, len)) < 0 || (k && a[k] <= a[k - 1])) {
      free(a);
      return -1;
    }
    s += len + 1;
  }
  *ages = a;
  *count = n;
  return 0;
}

int cli_has_time_unit(const char *s) {
  size_t n = strlen(s);
  return n > 0 && strchr("smhd", s[n - 1]) != NULL;
}
