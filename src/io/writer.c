/* writer.c - the output writer, CSV cells and exact numbers (viral/writer.h). */
#include "viral/writer.h"

#include "io/number_format.h"
#include "io/random.h"
#include "io/text.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- opening: what the path names ---- */

struct viral_atomic_file {
  FILE *stream;
  char *path;     /* as given, for messages */
  char *target;   /* the file replaced (links followed); NULL when written directly */
  char *tmp_path; /* TARGET.tmp.XXXXXX beside it, so rename is atomic; NULL when direct */
  int is_stdout;  /* stream is stdout: flushed, never closed */
};

static void free_atomic(viral_atomic_file *f) {
  if (!f) return;
  free(f->tmp_path);
  free(f->target);
  free(f->path);
  free(f);
}

/* 1 when path is standard output: "-", or the very file fd 1 is open on
 * (/dev/stdout, /dev/fd/1, or the file the shell redirected it to). Writing
 * such a path through stdout keeps its order with the rest of the output,
 * and replacing it would cut it from the descriptor the caller holds. */
int viral_names_stdout(const char *path) {
  if (strcmp(path, "-") == 0) return 1;
  struct stat out, st;
  return fstat(STDOUT_FILENO, &out) == 0 && stat(path, &st) == 0 && out.st_dev == st.st_dev &&
         out.st_ino == st.st_ino;
}

/* The directory part of path ("." when there is none); caller frees. */
static char *dir_of(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash) return text_dup(".");
  size_t n = slash == path ? 1 : (size_t)(slash - path);
  return text_dup_len(path, n);
}

/* The symbolic link at path read: its target, relative to the link's own
 * directory when it is not absolute. NULL with errno set. */
static char *read_link(const char *path, size_t size) {
  char *text = malloc(size + 1);
  ssize_t n = text ? readlink(path, text, size + 1) : -1;
  if (n < 0 || (size_t)n > size) { /* the link changed under us */
    if (n >= 0) errno = ENAMETOOLONG;
    free(text);
    return NULL;
  }
  text[n] = '\0';
  const char *slash = strrchr(path, '/');
  if (text[0] == '/' || !slash) return text;
  size_t dir = (size_t)(slash - path) + 1;
  char *joined = malloc(dir + (size_t)n + 1);
  if (joined) {
    memcpy(joined, path, dir);
    memcpy(joined + dir, text, (size_t)n + 1);
  }
  free(text);
  return joined;
}

/* path with the symbolic links of its last component followed to the end
 * of the chain (a dangling link gives the file it would create): the file a
 * write through the link means. Caller frees; NULL with errno set. */
static char *follow_links(const char *path) {
  char *cur = text_dup(path);
  for (int hops = 0; cur; hops++) {
    struct stat st;
    if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode)) return cur;
    if (hops == 40) { /* the kernel's own limit */
      free(cur);
      errno = ELOOP;
      return NULL;
    }
    char *next = read_link(cur, st.st_size > 0 ? (size_t)st.st_size : 4096);
    free(cur);
    cur = next;
  }
  return NULL;
}

/* Open a device, FIFO or socket for writing as it is. */
static int open_direct(viral_atomic_file *f, const struct stat *st, viral_error *err) {
  if (S_ISDIR(st->st_mode)) return viral_error_set(err, VIRAL_ERR_IO, f->path, 0, "is a directory");
  int fd = open(f->path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
  if (fd < 0 || !(f->stream = fdopen(fd, "wb"))) {
    int e = errno;
    if (fd >= 0) close(fd);
    return viral_error_set(err, VIRAL_ERR_IO, f->path, 0, "cannot open: %s", strerror(e));
  }
  return VIRAL_OK;
}

/* Create f->tmp_path exclusively beside f->target with mode (the umask
 * applies), trying fresh random suffixes while the name is taken: what
 * mkstemp does, except that mkstemp always makes 0600. Returns the
 * descriptor or -1 with errno set. */
static int create_temporary(viral_atomic_file *f, mode_t mode) {
  static const char letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  size_t n = strlen(f->target);
  if (!(f->tmp_path = malloc(n + 12))) return -1;
  memcpy(f->tmp_path, f->target, n);
  memcpy(f->tmp_path + n, ".tmp.", 5);
  char *suffix = f->tmp_path + n + 5;
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  uint64_t x = ((uint64_t)now.tv_sec << 30) ^ (uint64_t)now.tv_nsec ^ ((uint64_t)getpid() << 40) ^
               (uint64_t)(uintptr_t)f;
  for (int attempt = 0; attempt < 1000; attempt++) {
    for (int i = 0; i < 6; i++) {
      suffix[i] = letters[xorshift64_next(&x) % (sizeof letters - 1)];
    }
    suffix[6] = '\0';
    int fd = open(f->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd >= 0 || errno != EEXIST) return fd;
  }
  errno = EEXIST;
  return -1;
}

/* The temporary file that will replace f->target: with the target's mode
 * (and owner, where allowed) when it exists, else 0666 less the umask. */
static int open_temporary(viral_atomic_file *f, viral_error *err) {
  struct stat old;
  int replaces = stat(f->target, &old) == 0;
  int fd = create_temporary(f, replaces ? old.st_mode & 0777 : 0666);
  if (fd < 0) {
    int e = errno;
    free(f->tmp_path);
    f->tmp_path = NULL;
    return viral_error_set(err, VIRAL_ERR_IO, f->path, 0, "cannot create temporary file: %s", strerror(e));
  }
  if (replaces) {
    /* best effort: only root may give a file away; the mode is ours to set
     * (and must come after fchown, which clears set-id bits) */
    if (fchown(fd, old.st_uid, old.st_gid) != 0) {
      /* not permitted: the file becomes ours */
    }
    if (fchmod(fd, old.st_mode & 07777) != 0) goto fail;
  }
  if ((f->stream = fdopen(fd, "wb"))) return VIRAL_OK;
fail:;
  int e = errno;
  close(fd);
  unlink(f->tmp_path);
  return viral_error_set(err, VIRAL_ERR_IO, f->path, 0, "cannot open temporary file: %s", strerror(e));
}

viral_atomic_file *viral_atomic_open(const char *path, viral_error *err) {
  viral_atomic_file *f = calloc(1, sizeof *f);
  if (!f || !(f->path = text_dup(path))) {
    free(f);
    viral_error_set(err, VIRAL_ERR_NOMEM, path, 0, "out of memory");
    return NULL;
  }
  struct stat st;
  int rc;
  if (viral_names_stdout(path)) {
    f->stream = stdout;
    f->is_stdout = 1;
    return f;
  }
  if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) rc = open_direct(f, &st, err);
  else if (!(f->target = follow_links(path)))
    rc = viral_error_set(err, VIRAL_ERR_IO, path, 0, "cannot follow the link: %s", strerror(errno));
  else rc = open_temporary(f, err);
  if (rc == VIRAL_OK) return f;
  free_atomic(f);
  return NULL;
}

FILE *viral_atomic_stream(viral_atomic_file *file) { return file->stream; }

/* ---- committing ---- */

/* fsync the directory holding path, so a rename in it is durable. */
static int sync_parent_dir(const char *path) {
  char *dir = dir_of(path);
  int fd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
  free(dir);
  if (fd < 0) return -1;
  int rc = fsync(fd);
  int e = errno;
  close(fd);
  errno = e;
  return rc;
}

static int write_error(viral_atomic_file *f, int e, viral_error *err) {
  const char *name = f->is_stdout ? NULL : f->path; /* stdout is no file */
  /* e is 0 when the failure was in an earlier write, whose errno is gone */
  return viral_error_set(err, VIRAL_ERR_IO, name, 0, "write error%s%s", e ? ": " : "", e ? strerror(e) : "");
}

/* Flush out what was written and check it arrived; an atomic file is also
 * fsynced. Closes the stream (never stdout). */
static int finish_stream(viral_atomic_file *f, viral_error *err) {
  errno = 0;
  int rc = VIRAL_OK;
  if (fflush(f->stream) != 0 || ferror(f->stream)) rc = write_error(f, errno, err);
  else if (f->tmp_path && fsync(fileno(f->stream)) != 0)
    rc = viral_error_set(err, VIRAL_ERR_IO, f->path, 0, "cannot sync: %s", strerror(errno));
  if (f->is_stdout) return rc;
  errno = 0;
  if (fclose(f->stream) != 0 && rc == VIRAL_OK) rc = write_error(f, errno, err);
  f->stream = NULL;
  return rc;
}

int viral_atomic_commit_all(viral_atomic_file *const *files, size_t count, viral_error *err) {
  int rc = VIRAL_OK;
  for (size_t i = 0; i < count; i++) { /* everything on disk before anything is renamed */
    if (!files[i]) continue;
    if (rc == VIRAL_OK) rc = finish_stream(files[i], err);
    else if (!files[i]->is_stdout) fclose(files[i]->stream);
  }
  for (size_t i = 0; i < count; i++) {
    viral_atomic_file *f = files[i];
    if (!f || !f->tmp_path) continue;
    if (rc == VIRAL_OK && rename(f->tmp_path, f->target) == 0) {
      free(f->tmp_path); /* in place: nothing to remove */
      f->tmp_path = NULL;
      continue;
    }
    if (rc == VIRAL_OK)
      rc = viral_error_set(err, VIRAL_ERR_IO, f->path, 0, "cannot replace file: %s", strerror(errno));
    unlink(f->tmp_path);
  }
  for (size_t i = 0; i < count; i++) {
    viral_atomic_file *f = files[i];
    if (f && f->target && rc == VIRAL_OK && sync_parent_dir(f->target) != 0)
      rc = viral_error_set(err, VIRAL_ERR_IO, f->path, 0, "cannot sync directory: %s", strerror(errno));
    free_atomic(f);
  }
  return rc;
}

int viral_atomic_commit(viral_atomic_file *file, viral_error *err) {
  return viral_atomic_commit_all(&file, 1, err);
}

void viral_atomic_abort(viral_atomic_file *f) {
  if (!f) return;
  if (!f->is_stdout) fclose(f->stream);
  if (f->tmp_path) unlink(f->tmp_path);
  free_atomic(f);
}

int viral_write_outputs(const viral_output *outputs, size_t count, viral_error *err) {
  viral_atomic_file **files = calloc(count ? count : 1, sizeof *files);
  if (!files) return viral_error_set(err, VIRAL_ERR_NOMEM, NULL, 0, "out of memory");
  int rc = VIRAL_OK;
  for (size_t i = 0; i < count && rc == VIRAL_OK; i++)
    if (outputs[i].path && !(files[i] = viral_atomic_open(outputs[i].path, err))) rc = err ? err->code : VIRAL_ERR_IO;
  for (size_t i = 0; i < count && rc == VIRAL_OK; i++)
    if (files[i]) rc = outputs[i].write(viral_atomic_stream(files[i]), outputs[i].ctx, err);
  if (rc == VIRAL_OK) rc = viral_atomic_commit_all(files, count, err);
  else
    for (size_t i = 0; i < count; i++) viral_atomic_abort(files[i]);
  free(files);
  return rc;
}

/* ---- cells and numbers ---- */

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
  const char *p = format_value(buf, x);
  if (p != buf) memmove(buf, p, strlen(p) + 1);
  return buf;
}

char *format_double_slow(char buf[32], double x) {
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
