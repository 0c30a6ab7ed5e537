/* spec_name.c - `-s NAME`: the specs bundled with viral (the spec files of
 * datasets/, the presets among them) found by name, so that `viral train -s
 * research-api` works from any directory, installed or built. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

#define SPEC_SUFFIX ".spec.json"

static int is_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && !S_ISDIR(st.st_mode);
}

/* The directories that may hold the bundled specs, in the order they are
 * searched: beside an installed binary (BIN/../share/viral/specs, wherever
 * the prefix is), the configured install directory, the source tree. */
static size_t spec_dirs(char dirs[3][PATH_MAX]) {
  size_t n = 0;
  char exe[PATH_MAX];
  ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (len > 0) {
    exe[len] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash) {
      *slash = '\0';
      int w = snprintf(dirs[n], PATH_MAX, "%s/../share/viral/specs", exe);
      if (w > 0 && w < PATH_MAX) n++;
    }
  }
  snprintf(dirs[n++], PATH_MAX, "%s", VIRAL_INSTALLED_SPECS);
  snprintf(dirs[n++], PATH_MAX, "%s", VIRAL_SOURCE_SPECS);
  return n;
}

static int by_name(const void *a, const void *b) {
  return strcmp((const char *)a, (const char *)b);
}

/* "default, research-api, ...": the names of the specs in dir, sorted. */
static void list_names(const char *dir, char *buf, size_t size) {
  static char names[64][NAME_MAX + 1];
  size_t count = 0, used = 0, suffix = strlen(SPEC_SUFFIX);
  buf[0] = '\0';
  DIR *d = opendir(dir);
  if (!d) return;
  for (struct dirent *e; (e = readdir(d)) && count < 64;) {
    size_t n = strlen(e->d_name);
    if (n > suffix && strcmp(e->d_name + n - suffix, SPEC_SUFFIX) == 0)
      snprintf(names[count++], sizeof names[0], "%.*s", (int)(n - suffix), e->d_name);
  }
  closedir(d);
  qsort(names, count, sizeof names[0], by_name);
  for (size_t i = 0; i < count && used + 1 < size; i++) {
    int w = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", names[i]);
    if (w > 0) used += (size_t)w;
  }
}

int cli_find_spec(const char *given, char *path, size_t size, viral_error *err) {
  /* a file, or anything that looks like a path, is taken as it is */
  if (is_file(given) || strchr(given, '/')) {
    snprintf(path, size, "%s", given);
    return VIRAL_OK;
  }
  size_t n = strlen(given), suffix = strlen(SPEC_SUFFIX);
  int has_suffix = n > suffix && strcmp(given + n - suffix, SPEC_SUFFIX) == 0;
  char dirs[3][PATH_MAX];
  size_t ndirs = spec_dirs(dirs);
  for (size_t i = 0; i < ndirs; i++) {
    snprintf(path, size, "%s/%s%s", dirs[i], given, has_suffix ? "" : SPEC_SUFFIX);
    if (is_file(path)) return VIRAL_OK;
  }
  char names[1024] = "";
  for (size_t i = 0; i < ndirs && !names[0]; i++) list_names(dirs[i], names, sizeof names);
  return viral_error_set(err, VIRAL_ERR_IO, given, 0,
                         "no such spec file, nor a bundled spec of that name (bundled: %s)",
                         names[0] ? names : "none found");
}
