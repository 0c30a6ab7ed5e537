/* json_path.c - see json_path.h. */
#include "io/json_path.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- parsing ---- */

/* The step "[...]" at p (p[0] == '['): its length, or 0 with why set. */
static size_t parse_bracket(const char *p, json_step *step, char *why, size_t why_size) {
  const char *close = strchr(p, ']');
  if (!close) {
    snprintf(why, why_size, "'[' without ']'");
    return 0;
  }
  size_t n = (size_t)(close - p - 1);
  if (n == 0) {
    step->kind = JSON_STEP_EACH;
    return 2;
  }
  size_t index = 0;
  for (size_t i = 1; i <= n; i++) {
    if (p[i] < '0' || p[i] > '9' || index > JSON_PATH_MAX_INDEX / 10) {
      snprintf(why, why_size, "'%.*s' is not an array step: [] or [N], N from 0 to %u",
               (int)(n + 2 > 40 ? 40 : n + 2), p, JSON_PATH_MAX_INDEX);
      return 0;
    }
    index = index * 10 + (size_t)(p[i] - '0');
  }
  if (index > JSON_PATH_MAX_INDEX) {
    snprintf(why, why_size, "item index %zu is above %u", index, JSON_PATH_MAX_INDEX);
    return 0;
  }
  step->kind = JSON_STEP_ITEM;
  step->index = index;
  return n + 2;
}

int json_path_parse(json_path *path, const char *text, char *why, size_t why_size) {
  memset(path, 0, sizeof *path);
  path->text = text ? text : "";
  const char *p = path->text;
  if (*p == '.') p++; /* jq's ".data.videos" */
  size_t cap = 1;
  for (const char *q = p; *q; q++) cap += *q == '.' || *q == '[';
  if (!*p) return 0;
  if (!(path->steps = calloc(cap, sizeof *path->steps))) return -1;
  /* "a.b" is two steps; a trailing '.' adds none, as it always did */
  while (*p) {
    json_step *step = &path->steps[path->count++];
    if (*p == '[') {
      size_t n = parse_bracket(p, step, why, why_size);
      if (n == 0) {
        json_path_release(path);
        return -2;
      }
      p += n;
      if (*p == '.') p++;
      continue;
    }
    size_t n = strcspn(p, ".[");
    if (memchr(p, ']', n)) {
      snprintf(why, why_size, "']' without '['");
      json_path_release(path);
      return -2;
    }
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
  path->steps = NULL;
  path->count = 0;
}

int json_path_has_array_step(const char *text) { return text && strchr(text, '[') != NULL; }

int json_path_has_each(const json_path *path) {
  for (size_t i = 0; i < path->count; i++)
    if (path->steps[i].kind == JSON_STEP_EACH) return 1;
  return 0;
}

json_type json_path_step_container(const json_step *step) {
  return step->kind == JSON_STEP_MEMBER ? JSON_OBJECT : JSON_ARRAY;
}

int json_path_step_matches(const json_step *step, const char *key, size_t len, size_t index) {
  switch (step->kind) {
  case JSON_STEP_MEMBER: return key && len == step->len && memcmp(key, step->name, len) == 0;
  case JSON_STEP_ITEM: return !key && index == step->index;
  case JSON_STEP_EACH: return !key;
  }
  return 0;
}

size_t json_path_format(const json_path *path, size_t k, const size_t *indices, char *buf,
                        size_t size) {
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < k && i < path->count && used + 1 < size; i++) {
    const json_step *s = &path->steps[i];
    int n;
    if (s->kind == JSON_STEP_MEMBER)
      n = snprintf(buf + used, size - used, "%s%.*s", i ? "." : "", (int)s->len, s->name);
    else if (s->kind == JSON_STEP_ITEM || indices)
      n = snprintf(buf + used, size - used, "[%zu]", s->kind == JSON_STEP_ITEM ? s->index : indices[i]);
    else
      n = snprintf(buf + used, size - used, "[]");
    if (n < 0) break;
    used += (size_t)n;
  }
  return used < size ? used : size - 1;
}

/* ---- following a path in a tree ---- */

static int keep_node(json_path_match *m, uint32_t node) {
  if (m->count == m->cap) {
    size_t cap = m->cap ? 2 * m->cap : 16;
    uint32_t *g = realloc(m->nodes, cap * sizeof *g);
    if (!g) return -1;
    m->nodes = g;
    m->cap = cap;
  }
  m->nodes[m->count++] = node;
  return 0;
}

/* The member called like step of object, or 0 (the first one, as the
 * document reader follows the first). */
static uint32_t member_of(const json_tree *t, const json_node *object, const json_step *step) {
  for (uint32_t i = object->child; i; i = t->nodes[i].next) {
    const json_node *m = &t->nodes[i];
    if (json_path_step_matches(step, json_tree_bytes(t, m->key), m->key_len, 0)) return i;
  }
  return 0;
}

/* Steps k.. from node: the values found go to m. */
static int follow_from(const json_path *path, const json_tree *t, uint32_t node, size_t k,
                       json_path_match *m) {
  if (k > m->steps) m->steps = k;
  if (k == path->count) {
    m->matched = 1;
    return keep_node(m, node);
  }
  const json_step *step = &path->steps[k];
  const json_node *n = &t->nodes[node];
  if (n->type != json_path_step_container(step)) return 0;
  if (step->kind == JSON_STEP_MEMBER) {
    uint32_t next = member_of(t, n, step);
    return next ? follow_from(path, t, next, k + 1, m) : 0;
  }
  if (step->kind == JSON_STEP_EACH && !n->child) { /* nothing to take: an empty list */
    m->matched = 1;
    if (k + 1 > m->steps) m->steps = k + 1; /* the steps after it are not seen */
    return 0;
  }
  size_t i = 0;
  for (uint32_t c = n->child; c; c = t->nodes[c].next, i++)
    if (json_path_step_matches(step, NULL, 0, i) && follow_from(path, t, c, k + 1, m) < 0) return -1;
  return 0;
}

int json_path_follow(const json_path *path, const json_tree *tree, uint32_t root,
                     json_path_match *m) {
  m->matched = 0;
  m->steps = 0;
  m->count = 0;
  return follow_from(path, tree, root, 0, m);
}

void json_path_match_release(json_path_match *m) {
  free(m->nodes);
  memset(m, 0, sizeof *m);
}
