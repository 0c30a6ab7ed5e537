/* read_file.c - a whole file into memory, its size checked first (read_file.h). */
#include "io/read_file.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int too_large(const char *path, size_t max, viral_error *err) {
  return viral_error_set(err, VIRAL_ERR_LIMIT, path, 0, "file larger than %zu bytes", max);
}

int viral_read_file(const char *path, size_t max, char **text, size_t *len, viral_error *err) {
  *text = NULL;
  *len = 0;
  int is_stdin = !path || strcmp(path, "-") == 0;
  FILE *f = is_stdin ? stdin : fopen(path, "rb");
  if (!f) return viral_error_set(err, VIRAL_ERR_IO, path, 0, "cannot open: %s", strerror(errno));
  size_t ceiling = max <= SIZE_MAX - 2 ? max + 2 : SIZE_MAX; /* the most the buffer holds */
  /* A regular file says its size: refuse it or allocate it once. Otherwise
   * (or when it grows while being read) the buffer doubles, never past max + 1
   * bytes, so a file just over the limit is found out after max + 1 bytes. */
  struct stat st;
  size_t cap = 1 << 16;
  if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode)) {
    if ((unsigned long long)st.st_size > max) {
      if (!is_stdin) fclose(f);
      return too_large(path, max, err);
    }
    cap = (size_t)st.st_size + 2; /* one byte more, to see the end of file */
  }
  if (cap > ceiling) cap = ceiling;
  char *buf = malloc(cap);
  size_t n = 0, got;
  int rc = VIRAL_OK;
  while (buf && (got = fread(buf + n, 1, cap - 1 - n, f)) > 0) {
    n += got;
    if (n > max) {
      rc = too_large(path, max, err);
      break;
    }
    if (n < cap - 1) continue;
    size_t grown_cap = cap - 1 > max / 2 ? ceiling : 2 * cap;
    char *grown = realloc(buf, grown_cap);
    if (!grown) {
      free(buf);
      buf = NULL;
      break;
    }
    buf = grown;
    cap = grown_cap;
  }
  if (rc == VIRAL_OK && !buf) rc = viral_error_set(err, VIRAL_ERR_NOMEM, path, 0, "out of memory");
  if (rc == VIRAL_OK && ferror(f)) rc = viral_error_set(err, VIRAL_ERR_IO, path, 0, "read error: %s", strerror(errno));
  if (!is_stdin) fclose(f);
  if (rc != VIRAL_OK) {
    free(buf);
    return rc;
  }
  buf[n] = '\0';
  *text = buf;
  *len = n;
  return VIRAL_OK;
}
