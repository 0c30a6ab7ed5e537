/* age.c - ages and durations on the command line (age.h). */
#include "age.h"

#include <stdlib.h>
#include <string.h>

#include "viral/record.h"

/* Both read the library's one duration syntax (viral_parse_interval). */
double cli_parse_hours(const char *s, size_t len) {
  double h;
  return viral_parse_interval(s, len, 'h', 'h', &h) == VIRAL_OK ? h : -1;
}

double cli_parse_seconds(const char *s) {
  double x;
  return viral_parse_interval(s, strlen(s), 's', 's', &x) == VIRAL_OK ? x : -1;
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
