/* replay.c - run saved fuzz inputs through a harness without libFuzzer:
 * `fuzz_replay_csv FILE|DIR...` calls LLVMFuzzerTestOneInput once per file
 * (each file of a directory, in name order). ctest runs it over each
 * harness's seeds and over the inputs that once crashed it
 * (tests/fuzz/README.md), in every build. Prints how many inputs ran; a bug
 * shows as a crash or a sanitizer report. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_common.h"

static int run_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "%s: cannot open\n", path);
    return -1;
  }
  size_t cap = 1 << 16, len = 0, got;
  uint8_t *buf = malloc(cap);
  while (buf && (got = fread(buf + len, 1, cap - len, f)) > 0) {
    len += got;
    if (len == cap) {
      uint8_t *grown = realloc(buf, cap *= 2);
      if (!grown) free(buf);
      buf = grown;
    }
  }
  fclose(f);
  if (!buf) return -1;
  /* an exact-size copy, as libFuzzer gives, so reads past the end show */
  uint8_t *exact = malloc(len ? len : 1);
  memcpy(exact, buf, len);
  free(buf);
  LLVMFuzzerTestOneInput(exact, len);
  free(exact);
  return 0;
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_dir(const char *path, size_t *ran) {
  DIR *d = opendir(path);
  if (!d) return -1;
  char **names = NULL;
  size_t n = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    names = realloc(names, (n + 1) * sizeof *names);
    names[n] = malloc(strlen(path) + strlen(e->d_name) + 2);
    sprintf(names[n++], "%s/%s", path, e->d_name);
  }
  closedir(d);
  qsort(names, n, sizeof *names, by_name);
  int rc = 0;
  for (size_t i = 0; i < n; i++) {
    if (run_file(names[i]) != 0) rc = -1;
    else (*ran)++;
    free(names[i]);
  }
  free(names);
  return rc;
}

int main(int argc, char **argv) {
  size_t ran = 0;
  int rc = 0;
  for (int i = 1; i < argc; i++) {
    struct stat st;
    if (stat(argv[i], &st) != 0) {
      fprintf(stderr, "%s: no such file or directory\n", argv[i]);
      rc = 1;
    } else if (S_ISDIR(st.st_mode) ? run_dir(argv[i], &ran) != 0 : run_file(argv[i]) != 0) {
      rc = 1;
    } else if (!S_ISDIR(st.st_mode)) {
      ran++;
    }
  }
  printf("%zu inputs\n", ran);
  return rc;
}
