/* assemble_inputs.c - many poll files, one log (viral/assemble.h): the
 * files of the paths given (a directory gives its files), each with the time
 * its rows were observed when that comes from outside the rows (the file's
 * name, or one given per path), in the order the polls were taken. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data/assemble_internal.h"
#include "io/value_internal.h"

/* ---- the time in a file's name ---- */

static const char *base_name(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

/* Literal pattern text pat[0..n) ("%%" is '%') at s: where the match ends, or NULL. */
static const char *match_literal(const char *s, const char *pat, size_t n) {
  for (size_t i = 0; i < n; i++, s++) {
    if (pat[i] == '%' && i + 1 < n && pat[i + 1] == '%') i++;
    if (*s != pat[i]) return NULL;
  }
  return s;
}

/* 1 when pat[0..n) has a conversion other than "%%". */
static int has_conversion(const char *pat, size_t n) {
  for (size_t i = 0; i + 1 < n; i++) {
    if (pat[i] != '%') continue;
    if (pat[i + 1] != '%') return 1;
    i++;
  }
  return n > 0 && pat[n - 1] == '%' && (n < 2 || pat[n - 2] != '%');
}

/* "%s" among literal text: unix seconds, read here (strptime's %s gives
 * the local time of the machine). 1 with *out set, else 0. */
static int match_seconds(const char *s, const char *pattern, const char *conv, double *out) {
  const char *p = match_literal(s, pattern, (size_t)(conv - pattern));
  if (!p || *p < '0' || *p > '9') return 0;
  double t = 0;
  size_t digits = 0;
  for (; *p >= '0' && *p <= '9'; p++, digits++) t = t * 10 + (*p - '0');
  const char *rest = conv + 2;
  if (digits > 12 || !match_literal(p, rest, strlen(rest)) || !(t >= VIRAL_TIME_MIN && t < VIRAL_TIME_MAX))
    return 0;
  *out = t;
  return 1;
}

/* The first position of name (its start, or after a byte that is not a
 * digit, so 2026 is never read from 12026) where pattern matches. */
static int find_time(const char *name, const char *pattern, int utc_offset_minutes, double *out) {
  const char *conv = strstr(pattern, "%s");
  for (const char *s = name; *s; s++) {
    if (s > name && s[-1] >= '0' && s[-1] <= '9') continue;
    if (conv ? match_seconds(s, pattern, conv, out)
             : value_parse_time_format(s, pattern, utc_offset_minutes, out) != NULL)
      return 1;
  }
  return 0;
}

int viral_assemble_time_in_name(const char *path, const char *pattern, int utc_offset_minutes,
                                double *out, viral_error *err) {
  const char *conv = strstr(pattern, "%s");
  if (!has_conversion(pattern, strlen(pattern)) ||
      (conv && (has_conversion(pattern, (size_t)(conv - pattern)) ||
                has_conversion(conv + 2, strlen(conv + 2)))))
    return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0,
                           "file name pattern '%s': expected strptime conversions such as "
                           "%%Y%%m%%dT%%H%%M%%S, or one %%s (unix seconds) with literal text",
                           pattern);
  if (find_time(base_name(path), pattern, utc_offset_minutes, out)) return VIRAL_OK;
  return viral_error_set(err, VIRAL_ERR_PARSE, path, 0,
                         "no time in the file name by the pattern '%s'", pattern);
}

/* ---- the list of inputs ---- */

typedef struct input_list {
  viral_assemble_input *items;
  size_t count, cap;
} input_list;

static int add_input(input_list *l, const char *path, size_t len, const char *name) {
  if (l->count == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 16;
    viral_assemble_input *g = realloc(l->items, cap * sizeof *g);
    if (!g) return VIRAL_ERR_NOMEM;
    l->items = g;
    l->cap = cap;
  }
  size_t n = name ? len + 1 + strlen(name) : len;
  char *p = malloc(n + 1);
  if (!p) return VIRAL_ERR_NOMEM;
  memcpy(p, path, len);
  if (name) {
    p[len] = '/';
    strcpy(p + len + 1, name);
  }
  p[n] = '\0';
  viral_assemble_input *in = &l->items[l->count++];
  memset(in, 0, sizeof *in);
  in->path = p;
  return VIRAL_OK;
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The files of directory dir (not those whose name starts with '.'), sorted
 * by name, appended to l. */
static int add_directory(input_list *l, const char *dir, viral_error *err) {
  DIR *d = opendir(dir);
  if (!d) return viral_error_set(err, VIRAL_ERR_IO, dir, 0, "cannot open: %s", strerror(errno));
  char **names = NULL;
  size_t n = 0, cap = 0;
  int rc = VIRAL_OK;
  size_t len = strlen(dir);
  while (len > 1 && dir[len - 1] == '/') len--;
  for (struct dirent *e; rc == VIRAL_OK && (e = readdir(d));) {
    if (e->d_name[0] == '.') continue;
    if (n == cap) {
      cap = cap ? 2 * cap : 64;
      char **g = realloc(names, cap * sizeof *g);
      if (!g) {
        rc = VIRAL_ERR_NOMEM;
        break;
      }
      names = g;
    }
    if (!(names[n] = malloc(strlen(e->d_name) + 1))) rc = VIRAL_ERR_NOMEM;
    else strcpy(names[n++], e->d_name);
  }
  closedir(d);
  if (n) qsort(names, n, sizeof *names, by_name);
  size_t files = 0;
  for (size_t i = 0; i < n && rc == VIRAL_OK; i++) {
    if ((rc = add_input(l, dir, len, names[i]))) break;
    struct stat st; /* a subdirectory (or a socket) is not a poll */
    if (stat(l->items[l->count - 1].path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode))
      free(l->items[--l->count].path);
    else
      files++;
  }
  for (size_t i = 0; i < n; i++) free(names[i]);
  free(names);
  if (rc == VIRAL_ERR_NOMEM) return viral_error_set(err, rc, NULL, 0, "out of memory");
  if (!files) return viral_error_set(err, VIRAL_ERR_INVALID, dir, 0, "no files in the directory");
  return VIRAL_OK;
}

static int is_directory(const char *path) {
  struct stat st;
  return strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Inputs in time order; ties keep the order they were given in. */
static int by_time(const void *a, const void *b) {
  const viral_assemble_input *x = a, *y = b;
  if (x->time != y->time) return x->time < y->time ? -1 : 1;
  return (x->order > y->order) - (x->order < y->order);
}

int viral_assemble_inputs(const char *const *paths, size_t npaths, const char *name_pattern,
                          const double *times, size_t ntimes, int utc_offset_minutes,
                          viral_assemble_input **out, size_t *count, viral_error *err) {
  input_list l = {NULL, 0, 0};
  int rc = VIRAL_OK;
  *out = NULL;
  *count = 0;
  if (ntimes && ntimes != 1 && ntimes != npaths) {
    return viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0,
                           "%zu observed times for %zu inputs: give one, or one per input", ntimes,
                           npaths);
  }
  for (size_t i = 0; i < npaths && rc == VIRAL_OK; i++) {
    size_t first = l.count;
    if (is_directory(paths[i])) rc = add_directory(&l, paths[i], err);
    else if ((rc = add_input(&l, paths[i], strlen(paths[i]), NULL)))
      viral_error_set(err, rc, NULL, 0, "out of memory");
    for (size_t k = first; k < l.count && rc == VIRAL_OK; k++) {
      viral_assemble_input *in = &l.items[k];
      in->order = k;
      if (ntimes) {
        in->has_time = 1;
        in->time = times[ntimes == 1 ? 0 : i];
      } else if (name_pattern) {
        if (strcmp(in->path, "-") == 0)
          rc = viral_error_set(err, VIRAL_ERR_INVALID, NULL, 0,
                               "standard input has no file name to take a time from");
        else if ((rc = viral_assemble_time_in_name(in->path, name_pattern, utc_offset_minutes,
                                                   &in->time, err)) == VIRAL_OK)
          in->has_time = 1;
      }
    }
  }
  if (rc) {
    viral_assemble_inputs_free(l.items, l.count);
    return rc;
  }
  if (ntimes || name_pattern) qsort(l.items, l.count, sizeof *l.items, by_time);
  *out = l.items;
  *count = l.count;
  return VIRAL_OK;
}

void viral_assemble_inputs_free(viral_assemble_input *inputs, size_t count) {
  for (size_t i = 0; inputs && i < count; i++) free(inputs[i].path);
  free(inputs);
}
