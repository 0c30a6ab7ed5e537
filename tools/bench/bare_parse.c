/* bare_parse.c - the reference parse for tools/bench/bench_reader.sh and
 * tools/bench/convert.sh: libcsv over 64 KiB fread chunks with strtod on every
 * cell, nothing else. Prints rows (the header included) and cells. */
#include <csv.h>
#include <stdio.h>
#include <stdlib.h>

static size_t rows, cells;
static double sum;

static void on_cell(void *s, size_t len, void *data) {
  (void)data;
  char buf[64];
  if (len >= sizeof buf) len = sizeof buf - 1;
  for (size_t i = 0; i < len; i++) buf[i] = ((char *)s)[i];
  buf[len] = '\0';
  sum += strtod(buf, NULL);
  cells++;
}

static void on_row(int c, void *data) {
  (void)c;
  (void)data;
  rows++;
}

int main(int argc, char **argv) {
  FILE *f = argc > 1 ? fopen(argv[1], "rb") : stdin;
  if (!f) return 1;
  struct csv_parser p;
  if (csv_init(&p, CSV_APPEND_NULL) != 0) return 1;
  static char buf[1 << 16];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0)
    if (csv_parse(&p, buf, n, on_cell, on_row, NULL) != n) return 1;
  csv_fini(&p, on_cell, on_row, NULL);
  csv_free(&p);
  printf("%zu rows %zu cells (checksum %g)\n", rows, cells, sum);
  return 0;
}
