/* viral_read.c - the reader benchmark: viral_reader over the same file,
 * viral_record_number on every field of every row. */
#include <stdio.h>

#include "viral/reader.h"

int main(int argc, char **argv) {
  viral_error err = {0};
  viral_reader *r = viral_reader_open(argc > 1 ? argv[1] : "-", NULL, &err);
  if (!r) {
    fprintf(stderr, "%s\n", err.message);
    return 1;
  }
  const viral_record *rec;
  double sum = 0, x;
  int rc;
  while ((rc = viral_reader_next(r, &rec, &err)) == 1) {
    size_t n = viral_record_field_count(rec);
    for (size_t i = 0; i < n; i++)
      if (viral_record_number(rec, i, &x, &err) == VIRAL_OK) sum += x;
  }
  if (rc < 0) fprintf(stderr, "%s\n", err.message);
  printf("%zu rows, sum %.6g\n", viral_reader_rows(r), sum);
  viral_reader_free(r);
  return rc < 0;
}
