/* bare_libcsv.c - the reference for the reader benchmark: libcsv parsing a
 * file in 64 KiB fread chunks with strtod on every cell, nothing else. */
#include <csv.h>
#include <stdio.h>
#include <stdlib.h>

static double sum;
static size_t rows;

static void on_cell(void *field, size_t len, void *data) {
  (void)data;
  char buf[64];
  if (len == 0 || len >= sizeof buf) return;
  for (size_t i = 0; i < len; i++) buf[i] = ((char *)field)[i];
  buf[len] = '\0';
  sum += strtod(buf, NULL);
}

static void on_row(int c, void *data) {
  (void)c;
  (void)data;
  rows++;
}

int main(int argc, char **argv) {
  FILE *f = argc > 1 ? fopen(argv[1], "rb") : NULL;
  if (!f) return 1;
  struct csv_parser p;
  csv_init(&p, 0);
  static char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) csv_parse(&p, buf, n, on_cell, on_row, NULL);
  csv_fini(&p, on_cell, on_row, NULL);
  csv_free(&p);
  fclose(f);
  printf("%zu rows, sum %.6g\n", rows - 1, sum);
  return 0;
}
