/* writer.c - atomic files, CSV cells and exact numbers (viral/writer.h). */
#include "viral/writer.h"

#include "io/number_format.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct viral_atomic_file {
  FILE *stream;
  char *path;     /* the target */
  char *tmp_path; /* PATH.tmp.XXXXXX in the same directory, so rename is atomic */
};

static char *dup_string(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

viral_atomic_file *viral_atomic_open(const char *path, viral_error *err) {
  viral_atomic_file *f = calloc(1, sizeof *f);
  size_t n = strlen(path) + 16;
  if (!f || !(f->path = dup_string(path)) || !(f->tmp_path = malloc(n))) goto nomem;
  snprintf(f->tmp_path, n, "%s.tmp.XXXXXX", path);
  int fd = mkstemp(f->tmp_path);
  if (fd < 0) {
    viral_error_set(err, VIRAL_ERR_IO, path, 0, "cannot create temporary file: %s", strerror(errno));
    goto fail;
  }
  fchmod(fd, 0644); /* mkstemp makes 0600; outputs are ordinary files */
  f->stream = fdopen(fd, "wb");
  if (!f->stream) {
    viral_error_set(err, VIRAL_ERR_IO, path, 0, "cannot open temporary file: %s", strerror(errno));
    close(fd);
    unlink(f->tmp_path);
    goto fail;
  }
  return f;
nomem:
  viral_error_set(err, VIRAL_ERR_NOMEM, path, 0, "out of memory");
fail:
  if (f) {
    free(f->tmp_path);
    free(f->path);
    free(f);
  }
  return NULL;
}

FILE *viral_atomic_stream(viral_atomic_file *file) { return file->stream; }

static void free_atomic(viral_atomic_file *f) {
  free(f->tmp_path);
  free(f->path);
  free(f);
}

/* fsync the directory holding path, so the rename itself is durable. */
static int sync_parent_dir(const char *path) {
  char dir[4096];
  const char *slash = strrchr(path, '/');
  if (!slash) snprintf(dir, sizeof dir, ".");
  else if (slash == path) snprintf(dir, sizeof dir, "/");
  else snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
  int fd = open(dir, O_RDONLY);
  if (fd < 0) return -1;
  int rc = fsync(fd);
  close(fd);
  return rc;
}

int viral_atomic_commit(viral_atomic_file *f, viral_error *err) {
  int rc = VIRAL_OK;
  if (fflush(f->stream) != 0 || ferror(f->stream) || fsync(fileno(f->stream)) != 0) {
    rc = viral_error_set(err, VIRAL_ERR_IO, f->path, 0, "write failed: %s", strerror(errno));
    fclose(f->stream);
  } else if (fclose(f->stream) != 0) {
    rc = viral_error_set(err, VIRAL_ERR_IO, f->path, 0, "write failed: %s", strerror(errno));
  } else if (rename(f->tmp_path, f->path) != 0) {
    rc = viral_error_set(err, VIRAL_ERR_IO, f->path, 0, "cannot replace file: %s", strerror(errno));
  } else if (sync_parent_dir(f->path) != 0) {
    rc = viral_error_set(err, VIRAL_ERR_IO, f->path, 0, "cannot sync directory: %s", strerror(errno));
  }
  if (rc != VIRAL_OK) unlink(f->tmp_path);
  free_atomic(f);
  return rc;
}

void viral_atomic_abort(viral_atomic_file *f) {
  if (!f) return;
  fclose(f->stream);
  unlink(f->tmp_path);
  free_atomic(f);
}

void viral_csv_write_cell(FILE *out, const char *s, size_t len) {
  int quote = len > 0 && (s[0] == ' ' || s[len - 1] == ' ');
  for (size_t i = 0; i < len && !quote; i++)
    if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r') quote = 1;
  if (!quote) {
    fwrite(s, 1, len, out);
    return;
  }
  putc('"', out);
  for (size_t i = 0; i < len; i++) {
    if (s[i] == '"') putc('"', out);
    putc(s[i], out);
  }
  putc('"', out);
}

char *viral_format_double(char buf[32], double x) {
  const char *p = viral_format_value_(buf, x);
  if (p != buf) memmove(buf, p, strlen(p) + 1);
  return buf;
}

char *viral_format_double_slow_(char buf[32], double x) {
  if (isnan(x)) return strcpy(buf, "nan");
  if (isinf(x)) return strcpy(buf, x > 0 ? "inf" : "-inf");
  /* Shortest of %.15g..%.17g that reads back to the same bits: exact, and
   * 0.1 stays "0.1" for people reading the file. */
  for (int prec = 15; prec <= 17; prec++) {
    snprintf(buf, 32, "%.*g", prec, x);
    if (strtod(buf, NULL) == x) break;
  }
  return buf;
}
