/* fuzz_cache.c - the vector cache reader on arbitrary bytes. The input is
 * written to a temporary file (a cache is mapped from a file) with its size
 * and checksum made right (cache_seal), so mutations reach the header's
 * other fields, the rows and the description; a cache that opens is read
 * through the row source to its end, with a column asked for, twice. */
#include <stdio.h>
#include <unistd.h>

#include "features/cache_internal.h"
#include "fuzz_common.h"
#include "viral/cache.h"

static char path[4096];

static void remove_file(void) { unlink(path); }

/* The temporary file, made once per process. */
static void open_file(void) {
  if (!path[0]) {
    const char *dir = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/viral-fuzz-cache-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0) abort();
    close(fd);
    atexit(remove_file);
  }
}

static void read_rows(const viral_cache *c, const viral_rows_options *o) {
  viral_error err;
  viral_rows *s = viral_rows_open_cache(c, o, &err);
  const viral_row *row;
  double sum = 0;
  for (int pass = 0; s && pass < 2; pass++) {
    while (viral_rows_next(s, &row, &err) == 1)
      for (size_t k = 0; k < row->x->count; k++) sum += row->x->items[k].value;
    viral_rows_rewind(s, &err);
  }
  (void)sum;
  viral_rows_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  open_file();
  unsigned char *copy = (unsigned char *)fuzz_exact_copy(data, size);
  if (!copy) return 0;
  cache_seal(copy, size);
  FILE *f = fopen(path, "wb");
  if (!f) abort();
  fwrite(copy, 1, size, f);
  if (fclose(f) != 0) abort();
  free(copy);
  viral_error err;
  viral_cache *c = viral_cache_open(path, &err);
  if (c) {
    viral_rows_options o;
    viral_rows_options_init(&o);
    o.labels = VIRAL_ROWS_ANY_LABEL;
    read_rows(c, &o);
    const char *const columns[1] = {"oracle_p"};
    o.labels = VIRAL_ROWS_LABELLED;
    o.columns = columns;
    o.column_count = 1;
    read_rows(c, &o);
    viral_pipeline_free(viral_cache_pipeline(c, &err));
  }
  viral_cache_free(c);
  return 0;
}
