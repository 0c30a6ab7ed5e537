/* json_path.c - see json_path.h. */
#include "io/json_path.h"

#include <stdlib.h>
#include <string.h>

int json_path_parse(json_path *path, const char *text) {
  memset(path, 0, sizeof *path);
  path->text = text ? text : "";
  size_t cap = 1;
  for (const char *p = path->text; *p; p++) cap += *p == '.';
  if (!*path->text) return 0;
  if (!(path->steps = calloc(cap, sizeof *path->steps))) return -1;
  /* "a.b" is two steps; a trailing '.' adds none, as it always did */
  for (const char *p = path->text; *p;) {
    const char *dot = strchr(p, '.');
    size_t n = dot ? (size_t)(dot - p) : strlen(p);
    json_step *step = &path->steps[path->count++];
    step->kind = JSON_STEP_MEMBER;
    step->name = p;
    step->len = n;
    p += n;
    if (*p == '.') p++;
  }
  return 0;
}

void json_path_release(json_path *path) {
  free(path->steps);
  memset(path, 0, sizeof *path);
}

json_type json_path_step_container(const json_step *step) {
  switch (step->kind) {
  case JSON_STEP_MEMBER: return JSON_OBJECT;
  }
  return JSON_OBJECT;
}

int json_path_step_matches(const json_step *step, const char *key, size_t len, size_t index) {
  (void)index; /* for steps on array items */
  switch (step->kind) {
  case JSON_STEP_MEMBER: return key && len == step->len && memcmp(key, step->name, len) == 0;
  }
  return 0;
}
