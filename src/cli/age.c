/* age.c - ages and durations on the command line (age.h). */
#include "age.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

double cli_parse_hours(const char *s, size_t len) {
  char buf[64];
  if (len == 0 || len >= sizeof buf) return -1;
  memcpy(buf, s, len);
  buf[len] = '\0';
  char *end;
  errno = 0;
  double x = strtod(buf, &end);
  double unit = 1;
  if (*end == 'h') end++;
  else if (*end == 'm') unit = 1.0 / 60, end++;
  else if (*end == 'd') unit = 24, end++;
  else if (*end == 's') unit = 1.0 / 3600, end++;
  if (end == buf || *end || errno || !(x >= 0) || isinf(x)) return -1;
  return x * unit;
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
